#!/bin/bash
# End-to-end with nginx in front, using its conf/ file as shipped:
# see contract.sh for the cases and lab.sh for the lab.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"
. "$TOP/tests/e2e/contract.sh"
lab_main nginx contract_request_limit
