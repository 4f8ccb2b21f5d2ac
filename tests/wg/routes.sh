#!/bin/bash
# --install-routes in the registry against a fake WireGuard and a fake
# routing table: build/tests/wg/test_routes.
B=${B:-build}
case $B in /*) ;; *) B=$(cd "$(dirname "$0")/../.." && pwd)/$B ;; esac
# the registry logs every registration on stderr
exec env CMOCKA_MESSAGE_OUTPUT=TAP "$B/tests/wg/test_routes" 2>/dev/null
