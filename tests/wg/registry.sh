#!/bin/bash
# The registry against a fake WireGuard: the registration rules and syncs
# (build/tests/wg/test_registry), many registrations (test_registry_many),
# autowg-ctl's remove and list (test_reg_ctl).
B=${B:-build}
case $B in /*) ;; *) B=$(cd "$(dirname "$0")/../.." && pwd)/$B ;; esac
rc=0
for t in test_registry test_registry_many test_reg_ctl; do
	# the registry logs every registration on stderr: tens of thousands of lines
	env CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/$t" 2>/dev/null || rc=1
done
exit $rc
