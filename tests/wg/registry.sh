#!/bin/bash
# The registration rules against a fake WireGuard: build/tests/wg/test_registry.
B=${B:-build}
case $B in /*) ;; *) B=$(cd "$(dirname "$0")/../.." && pwd)/$B ;; esac
# the registry logs every registration on stderr: tens of thousands of lines
exec env CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/test_registry" 2>/dev/null
