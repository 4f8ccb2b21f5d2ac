#!/bin/bash
# The userspace backend against a fake UAPI daemon: truncated, malformed and
# stuck replies, exact request text, chunking (build/tests/wg/test_uapi); the
# kept connection, "unchanged" and the interface's identity (test_uapi_conn).
. "$(dirname "$0")/../lib.sh"
rc=0
for t in test_uapi test_uapi_conn; do
	[ -x "$B/tests/wg/$t" ] || { not_ok "$t is built" "missing $B/tests/wg/$t"; rc=1; continue; }
	CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/$t" || rc=1
done
exit $rc
