#!/bin/bash
# autowg-helper under abuse, against real wireguard-go: garbage frames, a
# connection flood, wrong credentials, WireGuard restarted under it, SIGTERM.
. "$(dirname "$0")/helper-lib.sh"

hl_setup
check "helper starts" start_helper

# --- frames ------------------------------------------------------------------
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
zeros() { printf "%0$(($1 * 2))d" 0; }
hexstr() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
KEYHEX=$(printf '11%.0s' $(seq 32))
# reg_pkt CN [RESERVED] [CN_FIELD_HEX]: a MSG_REGISTER (296 bytes).
reg_pkt() {
	local cn=${3:-$(hexstr "$1")}
	echo "$(le32 2)$(le32 "${2:-0}")$cn$(zeros $((256 - ${#cn} / 2)))$KEYHEX"
}
REFRESH="$(le32 4)$(le32 0)"

expect_eq "a well-formed raw MSG_REGISTER gets a reply" "packet 1: reply type 3, 256 bytes" \
	"$(call raw "$(reg_pkt 500)")"
expect_eq "a well-formed MSG_REFRESH gets a reply" "packet 1: reply type 5, 8 bytes" \
	"$(call raw "$REFRESH")"
frame "short packet closes the connection" 0200
frame "empty packet closes the connection" ""
frame "register one byte too long closes the connection" "$(reg_pkt 501)00"
frame "register one byte short closes the connection" "$(reg_pkt 501 | cut -c3-)"
frame "unknown type closes the connection" "$(le32 99)$(le32 0)"
frame "MSG_HELLO from a client closes the connection" "$(le32 1)$(le32 1)$(zeros 8)"
frame "a reply type from a client closes the connection" "$(le32 3)$(zeros 224)"
frame "non-zero reserved in refresh closes the connection" "$(le32 4)$(le32 1)"
frame "non-zero reserved in register closes the connection" "$(reg_pkt 502 7)"
frame "CN without a NUL closes the connection" "$(reg_pkt x 0 "$(printf '61%.0s' $(seq 256))")"
frame "CN with bytes after its NUL closes the connection" \
	"$(reg_pkt x 0 "$(hexstr 503)00$(hexstr junk)")"
frame "a good request, then garbage: closed after the garbage" "$REFRESH" 0200
expect_match "dropped connections are logged with what was wrong" \
	"dropped: message type 2 of 297 bytes, want 296" "$(cat "$HLOG")"
expect_eq "after all that an honest register works" "200 ok" "$(reply_of 1 "$(newkey)")"
expect_eq "no garbage reached the interface (two good registrations only)" 2 \
	"$(dump | tail -n +2 | wc -l)"

# --- flood ---------------------------------------------------------------------
"$CALL" "$SOCK" flood 2000 >"$T_TMP/flood.out" 2>&1 &
FPID=$!
on_exit "kill $FPID"
if wait_for 60 grep -q '^flood:' "$T_TMP/flood.out"; then
	ok "2000 connections opened ($(cat "$T_TMP/flood.out"))"
else
	not_ok "2000 connections opened" "$(cat "$T_TMP/flood.out")"
fi
got=$(timeout 10 "$CALL" "$SOCK" register 2 "$(newkey)" | cut -d' ' -f1,2)
expect_eq "during a flood of 2000 connections an honest register works" "200 ok" "$got"
expect_match "the flood is logged" "connections: closed the one idle longest" "$(cat "$HLOG")"
kill "$FPID"
wait "$FPID" 2>/dev/null
# connection events are logged at most 20 a second, then counted
if wait_for 3 grep -q "more connection events not logged" "$HLOG"; then
	ok "events beyond the log budget are counted"
else
	not_ok "events beyond the log budget are counted" "$(tail -n 3 "$HLOG")"
fi

# --- credentials -----------------------------------------------------------------
chmod 0711 "$T_TMP"
chmod 0666 "$SOCK"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
sleep 1.1 # a fresh second: the flood's closes may have used up this one's log budget
out=$(as_nobody "$CALL" "$SOCK" register 3 "$(newkey)" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "no MSG_HELLO"; then
	ok "a client with the wrong credentials is refused"
else
	not_ok "a client with the wrong credentials is refused" "exit $rc: $out"
fi
expect_match "the refusal is logged with the credentials" "uid 65534 gid 65534 refused" "$(cat "$HLOG")"
check "helper stops (SIGTERM, exit 0)" stop_helper
check "restart with --socket-group nogroup" start_helper --socket-group nogroup
expect_eq "socket group is nogroup" "nogroup 660" "$(stat -c '%G %a' "$SOCK")"
got=$(as_nobody "$CALL" "$SOCK" register 3 "$(newkey)" | cut -d' ' -f1,2)
expect_eq "a client in the socket group is served" "200 ok" "$got"
got=$(setpriv --reuid=65534 --regid=65534 --groups=65534 "$CALL" "$SOCK" register 4 "$(newkey)" 2>&1 | cut -d' ' -f1,2)
expect_eq "... also with the group as a supplementary group" "200 ok" "$got"

# --- WireGuard restarted -------------------------------------------------------------
K5=$(newkey) K6=$(newkey)
reply_of 5 "$K5" >/dev/null
reply_of 6 "$K6" >/dev/null
wgpid=$(pgrep -f "^wireguard-go $IF\$")
if [ -n "$wgpid" ] && kill "$wgpid"; then ok "wireguard-go stopped"; else not_ok "wireguard-go stopped" "pid '$wgpid'"; fi
wait_for 5 bash -c "! ip -n $NS link show $IF" >/dev/null 2>&1
wait_for 3 grep -q "interface lost" "$HLOG"
expect_match "interface lost is logged" "$IF: interface lost" "$(cat "$HLOG")"
t0=$(date +%s%N)
got=$(timeout 5 "$CALL" "$SOCK" register 7 "$(newkey)" | cut -d' ' -f1,2)
t1=$(date +%s%N)
expect_eq "while WireGuard is down: 503" "503 unavailable" "$got"
check "... and the answer is quick (< 1 s)" test $(((t1 - t0) / 1000000)) -lt 1000
expect_line "table says down" "up=0" "$(call table)"

NEWPORT=$((PORT + 1))
ip netns exec "$NS" wireguard-go "$IF" >>"$T_TMP/wggo-$IF.log" 2>&1
wait_for 5 test -S "/var/run/wireguard/$IF.sock"
wgx set "$IF" private-key "$T_TMP/$IF.key" listen-port "$NEWPORT"
ip -n "$NS" link set "$IF" up
t0=$(date +%s%N)
back() {
	[ "$(allowed_ips "$K5")" = "fde3:25fb:7f6c:1::5/128" ] &&
		[ "$(allowed_ips "$K6")" = "fde3:25fb:7f6c:1::6/128" ]
}
if wait_for 2 back; then
	ok "within 2 s of WireGuard being back, the peers are back with their /128s ($((($(date +%s%N) - t0) / 1000000)) ms)"
else
	not_ok "within 2 s of WireGuard being back, the peers are back with their /128s" "$(dump)"
fi
expect_match "interface regained is logged" "$IF: interface regained" "$(cat "$HLOG")"
expect_eq "registered devices need not re-register (200 same)" "200 same" "$(reply_of 5 "$K5")"
expect_line "table has the new port" "endpoint=vpn.example.com:$NEWPORT" "$(call table)"
expect_line "table says up" "up=1" "$(call table)"

# wireguard-go killed hard (its socket file stays behind), then back.
wgpid=$(pgrep -f "^wireguard-go $IF\$")
kill -KILL "$wgpid"
wait_for 3 bash -c "! ip -n $NS link show $IF" >/dev/null 2>&1
sleep 1.2
got=$(timeout 5 "$CALL" "$SOCK" register 8 "$(newkey)" | cut -d' ' -f1,2)
expect_eq "wireguard-go killed with SIGKILL: 503" "503 unavailable" "$got"
ip netns exec "$NS" wireguard-go "$IF" >>"$T_TMP/wggo-$IF.log" 2>&1
wait_for 5 bash -c "ip -n $NS link show $IF" >/dev/null 2>&1
wgx set "$IF" private-key "$T_TMP/$IF.key" listen-port "$NEWPORT"
ip -n "$NS" link set "$IF" up
if wait_for 2 back; then ok "after SIGKILL and restart the peers are back within 2 s"; else not_ok "after SIGKILL and restart the peers are back within 2 s" "$(dump)"; fi

# wireguard-go frozen (SIGSTOP): the backend times out, the helper answers 503
# and keeps serving; after SIGCONT it recovers by itself.
wgpid=$(pgrep -f "^wireguard-go $IF\$")
kill -STOP "$wgpid"
on_exit "kill -CONT $wgpid"
got=$(timeout 10 "$CALL" "$SOCK" register 9 "$(newkey)" | cut -d' ' -f1,2)
expect_eq "wireguard-go frozen: 503 within the backend's timeout" "503 unavailable" "$got"
t0=$(date +%s%N)
got=$(timeout 10 "$CALL" "$SOCK" register 9 "$(newkey)" | cut -d' ' -f1,2)
t1=$(date +%s%N)
expect_eq "frozen: the next registration is refused too" "503 unavailable" "$got"
check "... without waiting on the frozen daemon (< 1 s)" test $(((t1 - t0) / 1000000)) -lt 1000
kill -CONT "$wgpid"
if wait_for 10 bash -c "[ \"\$('$CALL' '$SOCK' register 5 '$K5' | cut -d' ' -f1,2)\" = '200 same' ]"; then
	ok "after SIGCONT the helper recovers by itself"
else
	not_ok "after SIGCONT the helper recovers by itself" "$(tail -n 5 "$HLOG")"
fi

# --- SIGTERM with connections open -----------------------------------------------------
"$CALL" "$SOCK" flood 50 >"$T_TMP/flood2.out" 2>&1 &
FPID=$!
on_exit "kill $FPID"
wait_for 10 grep -q '^flood:' "$T_TMP/flood2.out"
check "SIGTERM with 50 connections open: exit 0" stop_helper
check "SIGTERM removes the socket" test ! -e "$SOCK"
kill "$FPID"
wait "$FPID" 2>/dev/null

done_testing
