#!/bin/bash
# The userspace backend against a fake UAPI daemon: truncated, malformed and
# stuck replies, exact request text, chunking (build/tests/wg/test_uapi).
. "$(dirname "$0")/../lib.sh"
[ -x "$B/tests/wg/test_uapi" ] || { not_ok "test_uapi is built" "missing $B/tests/wg/test_uapi"; done_testing; exit; }
CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/test_uapi"
