#!/bin/bash
# Counters, --expire-after and --keep-peers against a fake WireGuard:
# build/tests/wg/test_ops.
B=${B:-build}
case $B in /*) ;; *) B=$(cd "$(dirname "$0")/../.." && pwd)/$B ;; esac
exec env CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/test_ops" 2>/dev/null
