#!/bin/bash
# autowg-helper against real wireguard-go: flags, start-up flush, and every
# registration rule, checked with the real `wg show dump`.
. "$(dirname "$0")/helper-lib.sh"

hl_setup
# Names change keys back to back here; the limit: tests/wg/helper-rekey.sh.
NOLIMIT=(--min-rekey-interval 0)

# --- flags -------------------------------------------------------------------
# refused NAME WANT_RC MSG_REGEX FLAGS...: the helper exits with WANT_RC and says MSG.
refused() {
	local name=$1 want=$2 re=$3 out rc
	shift 3
	out=$(timeout 10 ip netns exec "$NS" "$HELPER" --socket "$T_TMP/never.sock" "$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && printf '%s' "$out" | grep -qE -- "$re" && [ ! -e "$T_TMP/never.sock" ]; then
		ok "$name"
	else
		not_ok "$name" "want exit $want and /$re/" "got exit $rc: $out"
	fi
}
STD=(--pool "$POOL" --route "$ROUTE" --endpoint vpn.example.com)

refused "--http-port is refused: the web server listens" 2 "web server listens now" \
	"${STD[@]}" --http-port 8080 "$IF"
refused "--http-host is refused: the web server listens" 2 "web server listens now" \
	"${STD[@]}" --http-host 0.0.0.0 "$IF"
refused "unknown flag is refused" 2 "unknown option" "${STD[@]}" --bogus "$IF"
refused "missing --pool is refused" 2 "required" --route "$ROUTE" --endpoint x "$IF"
refused "missing INTERFACE argument is refused" 2 "INTERFACE is missing" "${STD[@]}"
refused "malformed --pool is refused" 2 "--pool" --pool nonsense --route "$ROUTE" --endpoint x "$IF"
refused "--endpoint with a port is refused" 2 "--endpoint" --pool "$POOL" --route "$ROUTE" \
	--endpoint vpn.example.com:51820 "$IF"
refused "--max-peers beyond the limit is refused" 2 "--max-peers" "${STD[@]}" --max-peers 1000001 "$IF"
refused "unknown --backend is refused" 2 "--backend" "${STD[@]}" --backend magic "$IF"
refused "missing interface: exit 1" 1 "nosuchif0: no such interface" "${STD[@]}" nosuchif0
refused "loopback is not WireGuard: exit 1" 1 "lo: not a WireGuard interface" "${STD[@]}" lo
refused "pool outside the route: exit 1" 1 "--pool fd00:9::/64" --pool fd00:9::/64 \
	--route "$ROUTE" --endpoint x "$IF"
refused "pool too small for direct-bcd: exit 1" 1 "too small for direct-bcd" \
	--pool fde3:25fb:7f6c:1::/120 --route "$ROUTE" --endpoint x "$IF"
refused "metans template without %s: exit 1" 1 "metans-template" "${STD[@]}" --converter metans \
	--metans-template nothing.example "$IF"
refused "metans template with two %s: exit 1" 1 "metans-template" "${STD[@]}" --converter metans \
	--metans-template '%s.%s' "$IF"
refused "bad --cn-pattern regex: exit 1" 1 "--cn-pattern" "${STD[@]}" --cn-pattern '(ab' "$IF"

# An interface without a private key.
IF2=$(uniq_name wgk)
ip netns exec "$NS" wireguard-go "$IF2" >/dev/null 2>&1
on_exit "ip netns exec $NS ip link del $IF2; rm -f /var/run/wireguard/$IF2.sock"
wait_for 5 test -S "/var/run/wireguard/$IF2.sock"
refused "interface without a private key: exit 1" 1 "$IF2: the interface has no private key" \
	"${STD[@]}" "$IF2"

expect_eq "--version: the Makefile's VERSION" "autowg-helper $(awg_version)" "$("$HELPER" --version)"
help=$("$HELPER" --help)
missing=
for flag in --pool --route --endpoint --http-prefix --cn-pattern --converter --metans-template \
	--keepalive --socket --socket-group --max-peers --backend --install-routes --node-id \
	--freshness-offset --help --version; do
	printf '%s' "$help" | grep -q -- "$flag" || missing="$missing $flag"
done
expect_eq "--help explains every flag" "" "$missing"

# --- start-up ----------------------------------------------------------------
SA=$(newkey) SB=$(newkey) PC=$(newkey) PD=$(newkey)
wgx set "$IF" peer "$SA" allowed-ips 10.0.0.1/32,fd00:1::/64 \
	peer "$SB" allowed-ips fde3:25fb:7f6c:2::/64 \
	peer "$PC" allowed-ips fde3:25fb:7f6c:1::5/128 \
	peer "$PD" allowed-ips fd00:2::/64,fde3:25fb:7f6c:1:1::/80
before_a=$(allowed_ips "$SA") before_b=$(allowed_ips "$SB")
check "helper starts and listens" start_helper "${NOLIMIT[@]}"
expect_eq "static peer outside the route survives start-up" "$before_a" "$(allowed_ips "$SA")"
expect_eq "static peer in the route, outside the pool, survives start-up" "$before_b" \
	"$(allowed_ips "$SB")"
expect_eq "peer inside the pool is flushed" "" "$(allowed_ips "$PC")"
expect_eq "a static peer with one allowed IP inside the pool loses only that one" "fd00:2::/64" \
	"$(allowed_ips "$PD")"
expect_eq "exactly the three static peers are left" 3 "$(dump | tail -n +2 | wc -l)"
expect_match "start-up logs the flush" "flushed 1 peer from the pool" "$(cat "$HLOG")"
expect_eq "start-up logs each flushed peer" 1 "$(grep -cF "flushed peer $PC" "$HLOG")"
expect_eq "socket mode is 0660" 660 "$(stat -c %a "$SOCK")"

table=$(call table)
expect_line "table: endpoint has the interface's port" "endpoint=vpn.example.com:$PORT" "$table"
expect_line "table: interface public key" "pubkey=$(wgx show "$IF" public-key)" "$table"
expect_line "table: route" "route=$ROUTE" "$table"
expect_line "table: pool" "pool=$POOL" "$table"
expect_line "table: up" "up=1" "$table"

# --- registration --------------------------------------------------------------
K1=$(newkey) K2=$(newkey) K3=$(newkey)
expect_eq "good registration: 200 and the address" \
	"200 ok 1234 fde3:25fb:7f6c:1::1234 registered" "$(call register 1234 "$K1")"
expect_eq "good registration puts exactly addr/128 on the interface" \
	"fde3:25fb:7f6c:1::1234/128" "$(allowed_ips "$K1")"
d0=$(dump_stable)
expect_eq "same key again is idempotent (200 same)" "200 same" "$(reply_of 1234 "$K1")"
expect_eq "idempotent registration changes nothing" "$d0" "$(dump_stable)"
wgx set "$IF" peer "$K1" remove
expect_eq "a peer an operator removed: re-registering says 200 same" "200 same" "$(reply_of 1234 "$K1")"
expect_eq "... and puts it back with its /128" "fde3:25fb:7f6c:1::1234/128" "$(allowed_ips "$K1")"
expect_eq "new key for a known name: 200 replaced" "200 replaced" "$(reply_of 1234 "$K2")"
expect_eq "replaced: the old peer is gone" "" "$(allowed_ips "$K1")"
expect_eq "replaced: the new key has the /128" "fde3:25fb:7f6c:1::1234/128" "$(allowed_ips "$K2")"

# refusal NAME STATUS_RESULT CN KEY: refused as said, interface unchanged.
refusal() {
	local before after got
	before=$(dump_stable)
	got=$(reply_of "$3" "$4")
	after=$(dump_stable)
	if [ "$got" = "$2" ] && [ "$before" = "$after" ]; then
		ok "$1"
	else
		not_ok "$1" "want: $2, interface unchanged" "got: $got" \
			"$(diff <(echo "$before") <(echo "$after"))"
	fi
}
IFKEY=$(wgx show "$IF" public-key)
refusal "key of another device: 409, nothing changed" "409 key_taken" 1235 "$K2"
refusal "key of a static peer: 409, nothing changed" "409 key_static" 1235 "$SA"
refusal "key of the other static peer: 409" "409 key_static" 1235 "$SB"
refusal "interface's own key: 409, nothing changed" "409 key_iface" 1235 "$IFKEY"
refusal "CN not matching the pattern: 403" "403 bad_cn" "12-34" "$K3"
refusal "direct-bcd name 10000: 422" "422 bad_name" 10000 "$K3"
refusal "malformed key: 400" "400 bad_key" 1235 "not-a-key"
expect_eq "register 42" "200 ok" "$(reply_of 42 "$K3")"
refusal "0042 maps to 42's address: 409" "409 addr_taken" 0042 "$(newkey)"

# A static peer added by an operator later, inside the pool: learnt at refresh.
SE=$(newkey)
wgx set "$IF" peer "$SE" allowed-ips fde3:25fb:7f6c:1::77/128
sleep 1.1
expect_eq "refresh answers ok" ok "$(call refresh)"
refusal "address of a static peer's allowed IP: 409, nothing changed" "409 addr_static" 77 "$(newkey)"
expect_eq "the static peer keeps its allowed IP" "fde3:25fb:7f6c:1::77/128" "$(allowed_ips "$SE")"

ip -n "$NS" -6 addr add fde3:25fb:7f6c:1::1/64 dev "$IF"
sleep 1.1
call refresh >/dev/null
refusal "address configured on the interface: 409" "409 addr_iface" 1 "$(newkey)"

out=$(call map-write)
expect_match "responders cannot write the table" "^map-write: refused$" "$out"
table=$(call table)
expect_match "table lists the registered name" "^entry 1234 fde3:25fb:7f6c:1::1234 " "$table"
expect_eq "table entry carries the key" 1 "$(printf '%s\n' "$table" | grep -cF " $K2 ")"
expect_eq "table has exactly the registered names" 2 "$(printf '%s\n' "$table" | grep -c '^entry ')"
expect_eq "log: each registration with name, address, key, outcome" 1 \
	"$(grep -cF "register 1234 fde3:25fb:7f6c:1::1234 key $K2: replaced" "$HLOG")"
expect_match "log: each refusal with the reason and the CN" "refused CN '1235' .*key_static" \
	"$(cat "$HLOG")"

# A second helper must fail on the socket before it touches the interface.
d0=$(dump_stable)
out=$(timeout 10 ip netns exec "$NS" "$HELPER" "${STD[@]}" --socket "$SOCK" "$IF" 2>&1)
rc=$?
expect_eq "a second helper on the same socket exits 1" "1: another helper is listening" \
	"$rc: $(printf '%s' "$out" | grep -o 'another helper is listening')"
expect_eq "... and has not touched the interface" "$d0" "$(dump_stable)"
expect_eq "... and the first one still serves" "200 same" "$(reply_of 1234 "$K2")"
refused "--socket in a missing directory: exit 1" 1 "directory does not exist" "${STD[@]}" \
	--socket "$T_TMP/missing/helper.sock" "$IF"
touch "$T_TMP/plain"
refused "--socket on a regular file: exit 1, the file stays" 1 "exists and is not a socket" \
	"${STD[@]}" --socket "$T_TMP/plain" "$IF"
check "... the regular file is still there" test -f "$T_TMP/plain"

check "SIGTERM: exit 0" stop_helper
check "SIGTERM: socket removed" test ! -e "$SOCK"

# --- a small table, an IPv6 endpoint ------------------------------------------
check "restart with --max-peers 2 and an IPv6 endpoint" start_helper "${NOLIMIT[@]}" --max-peers 2 \
	--endpoint 2001:db8::1 --keepalive 10
expect_eq "restart flushes the previous registrations" "" "$(allowed_ips "$K2")"
expect_line "IPv6 endpoint is bracketed" "endpoint=[2001:db8::1]:$PORT" "$(call table)"
expect_line "keepalive in the table" "keepalive=10" "$(call table)"
reply_of 11 "$(newkey)" >/dev/null
reply_of 12 "$(newkey)" >/dev/null
refusal "table full: 503" "503 full" 13 "$(newkey)"
check "SIGTERM again: exit 0" stop_helper

done_testing
