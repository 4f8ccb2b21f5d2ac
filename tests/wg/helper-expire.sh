#!/bin/bash
# --expire-after against real wireguard-go: a device that never shakes hands
# is removed once it is that old (from the interface, the table and
# peers.json), a device that keeps talking through the tunnel stays, the
# static peer stays; a device that goes quiet after talking is removed too.
# Each removal is logged and counted in v1/metrics.
. "$(dirname "$0")/helper-lib.sh"

EXPIRE=3
# --- the flags: named limits, refused with exit 2 and a reason ---------------
flags() { "$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint vpn.example.com --socket "$SOCK" "$@" nosuchif0 2>&1; }
for bad in 0 31536001 -5 3x ""; do
	out=$(flags --expire-after "$bad")
	expect_eq "--expire-after '$bad': exit 2, the range named" \
		"2 autowg-helper: --expire-after: '$bad' is not a number from 1 to 31536000" "$? $(head -n 1 <<<"$out")"
done
out=$(flags --metrics-per-peer=maybe)
expect_eq "--metrics-per-peer=maybe: exit 2" "2 autowg-helper: --metrics-per-peer 'maybe': use yes or no" \
	"$? $(head -n 1 <<<"$out")"
out=$(flags --expire-after 20 --keepalive 25 --metrics-per-peer=no --keep-peers)
expect_match "--expire-after not above --keepalive: a warning" \
	"--expire-after 20 is not longer than --keepalive 25" "$out"
expect_match "... the flags themselves accepted (it stops at the missing interface)" \
	"nosuchif0: no such interface" "$out"

hl_setup
hl_device
STATIC=$(newkey)
wgx set "$IF" peer "$STATIC" allowed-ips fde3:25fb:7f6c::2/128 # an operator's, outside the pool
check "helper starts with --expire-after $EXPIRE" start_helper --expire-after $EXPIRE

DPUB=$(wg pubkey <"$T_TMP/$DIF.key")
read -r status result _ addr _ <<<"$(call register 1234 "$DPUB")"
expect_eq "the talking device registers" "200 ok fde3:25fb:7f6c:1::1234" "$status $result $addr"
hl_device_join "$addr" "$PORT"
check "the talking device pings through the tunnel" wait_for 10 ping_srv
ip netns exec "$DNS" ping -6 -i 0.2 fde3:25fb:7f6c::1 >/dev/null 2>&1 &
PINGER=$!
on_exit "kill $PINGER"

QUIET=$(newkey)
expect_eq "a device that will never shake hands registers" "200 ok" "$(reply_of 7 "$QUIET")"
t0=$(date +%s)
json=$(cgi peers.json)
expect_eq "both are in peers.json" "1234 7" "$(printf '%s' "$json" | jq -r 'keys | join(" ")')"

gone() { [ -z "$(allowed_ips "$QUIET")" ]; }
check "the silent device's peer leaves the interface" wait_for $((EXPIRE + 8)) gone
t1=$(date +%s)
check "... not before $EXPIRE s after its registration ($((t1 - t0)) s)" test $((t1 - t0)) -ge $EXPIRE
check "... and not much later ($((t1 - t0)) s)" test $((t1 - t0)) -le $((EXPIRE + 4))
check "... and the table" bash -c "! $CALL $SOCK table | grep -q '^entry 7 '"
expect_eq "... and peers.json" "1234" "$(cgi peers.json | jq -r 'keys | join(" ")')"
expect_match "logged: expired name=7, never shook hands" \
	"expired name=7 ip=fde3:25fb:7f6c:1::7 last handshake never \(registered [0-9]+ s ago\)" \
	"$(cat "$HLOG")"

sleep $((EXPIRE + 2)) # the talking device outlives the limit several times over
check "the talking device stays ($((EXPIRE + 2)) s more)" test -n "$(allowed_ips "$DPUB")"
check "... and keeps pinging" ping_srv
check "the static peer stays" test "$(allowed_ips "$STATIC")" = "fde3:25fb:7f6c::2/128"
expect_eq "metrics: autowg_expired_total 1" "autowg_expired_total 1" \
	"$(cgi metrics | grep '^autowg_expired_total ')"

# The device goes quiet after talking: its WireGuard goes away.
kill "$PINGER"
ip -n "$DNS" link del "$DIF"
check "the device that went quiet is removed too" wait_for $((EXPIRE + 8)) \
	bash -c "[ -z \"\$(ip netns exec $NS wg show $IF allowed-ips | grep '^$DPUB')\" ]"
expect_match "logged with its last handshake in seconds" \
	"expired name=1234 ip=fde3:25fb:7f6c:1::1234 last handshake [0-9]+ s ago" "$(cat "$HLOG")"
expect_eq "metrics: autowg_expired_total 2" "autowg_expired_total 2" \
	"$(cgi metrics | grep '^autowg_expired_total ')"
check "the static peer is still there" test "$(allowed_ips "$STATIC")" = "fde3:25fb:7f6c::2/128"
check "helper stops (SIGTERM, exit 0)" stop_helper
done_testing
