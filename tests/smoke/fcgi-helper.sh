#!/bin/bash
# The responders and a helper that goes away, hangs or comes back: 503
# within a second, never a hang, and reconnection without a restart.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

fcgi_netns && helper_start && fcgi_start "$FSOCK" 2 ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

K=$(newkey)
ms() { echo $(($(date +%s%N) / 1000000)); }
# timed_register: register 1234 $K; TOOK in milliseconds
timed_register() {
	local t0
	t0=$(ms)
	register 1234 "$K"
	TOOK=$(($(ms) - t0))
}
# several requests so that both responder processes answer
all_status() {
	local out=""
	for _ in 1 2 3 4; do
		timed_register
		out="$out $STATUS"
		[ "$TOOK" -lt "${LIMIT:-1000}" ] || out="$out(${TOOK}ms)"
	done
	echo "$out"
}

timed_register
expect_status "helper up: 200" 200

helper_stop
expect_eq "helper stopped: 503 from every responder within a second" " 503 503 503 503" "$(all_status)"

helper_start
expect_eq "helper restarted: responders reconnect by themselves" " 200 200 200 200" "$(all_status)"
expect_eq "helper restarted: the device is back on the interface" "$K fde3:25fb:7f6c:1::1234/128" \
	"$(peers | grep "^$K ")"

kill -STOP "$HELPER_PID"
on_exit "kill -CONT $HELPER_PID"
LIMIT=1150 # cgi-fcgi's own start-up on top of the responder's 900 ms budget
expect_eq "helper hung: 503 within a second, no hang" " 503 503 503 503" "$(all_status)"
kill -CONT "$HELPER_PID"
sleep 0.2
expect_eq "helper resumed: 200 again" " 200 200 200 200" "$(all_status)"

# The interface itself goes away: the helper says so, the responder says 503.
ip -n "$NS" link del "$IF"
rm -f "/var/run/wireguard/$IF.sock"
K=$(newkey) # a new key needs the interface
timed_register
expect_status "interface gone, new key: 503" 503
check "interface gone, new key: answered within a second" test "$TOOK" -lt 1100
sleep 2.5 # the helper notices within two seconds
LIMIT=1100
expect_eq "interface gone, noticed: 503 from every responder" " 503 503 503 503" "$(all_status)"
done_testing
