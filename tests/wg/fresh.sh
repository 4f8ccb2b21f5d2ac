#!/bin/bash
# Freshness arithmetic, the hybrid logical clock and the memory of other
# protocols' routes (--install-routes): build/tests/wg/test_fresh.
B=${B:-build}
case $B in /*) ;; *) B=$(cd "$(dirname "$0")/../.." && pwd)/$B ;; esac
exec env CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/test_fresh"
