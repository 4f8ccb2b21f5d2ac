#!/bin/bash
# Faults under the helper, with registrations flowing through the responders:
# (a) the helper killed with SIGKILL in the middle of a registration flood and
#     restarted: the interface ends with exactly the static peers plus the
#     devices that registered again after the restart, nothing half-applied;
# (b) wireguard-go killed and restarted, the interface deleted and recreated
#     (with a new key and port): the helper puts every registered peer back
#     with its /128 within two seconds, and answers carry the new key and port;
# (c) and (d) are in faults-responder.sh; beyond those:
# (e) a device's peer removed or changed behind the helper's back: the
#     device registering again (what it does when its handshake goes stale)
#     gets its peer back, never a 200 for a peer that is not there;
# (f) an operator gives a pool address to a new static peer while the helper
#     runs: no registration takes it away again (409, never stolen).
# shellcheck source=tests/faults/faults-lib.sh
. "$(dirname "$0")/faults-lib.sh"

fcgi_netns || { not_ok "set up namespace and wireguard-go"; done_testing; exit 1; }
statics_add
helper_start && fcgi_start "$FSOCK" 4 && wait_for 5 test -S "$FSOCK" ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
statics_before=$(static_peers)

# --- (a) SIGKILL in the middle of a flood -------------------------------------------
# 32 clients, each owning its names (so per name the log is in order), for
# 4 s; the helper is killed after 1.2 s and restarted 0.6 s later.
"$FCALL" "$FSOCK" load 32 0 400 2000 "$PFX" owned fresh=50 duration=4000 ok503 \
	log="$T_TMP/flood.log" >"$T_TMP/flood.out" &
LPID=$!
on_exit "kill $LPID"
sleep 1.2
t_kill=$(ms)
kill -KILL "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null
sleep 0.6
t_restart=$(ms)
n_before=$(dynamic_peers | wc -l)
helper_start || not_ok "helper restarts after SIGKILL (stale socket replaced)" "$(tail -n 5 "$T_TMP/helper.log")"
wait "$LPID"
check "the flood saw only whole answers ($(cat "$T_TMP/flood.out"))" grep -q '^load: .*(0 failed)' "$T_TMP/flood.out"
expect_match "the helper restarts over its stale socket and flushes what the old one registered" \
	"flushed $n_before peers from the pool" "$(grep -o 'flushed [0-9]* peers from the pool' "$T_TMP/helper.log" | sed -n 2p)"

counts=$(awk -v k="$t_kill" -v r="$t_restart" '
	{ p = $1 < k ? "before" : $1 < r ? "outage" : "after"; c[p " " $4]++ }
	END { for (x in c) print x, c[x] }' "$T_TMP/flood.log" | sort)
echo "$counts" | sed 's/^/# /'
check "the flood had 200s before the kill" eval "echo '$counts' | grep -q '^before 200 '"
check "the flood had 200s after the restart" eval "echo '$counts' | grep -q '^after 200 '"
expect_eq "every answer was 200 or 503: no 500, no hang, no torn answer" "" \
	"$(awk '$4 != 200 && $4 != 503' "$T_TMP/flood.log" | head -n 3)"
expect_eq "between the kill and the restart every answer was 503" "" \
	"$(awk -v k="$((t_kill + 50))" -v r="$t_restart" '$1 >= k && $1 < r && $4 != 503' "$T_TMP/flood.log" | head -n 3)"

# Per name, the last key answered 200 after the restart is on the interface;
# a name that was answered 200 only by the old helper is not.
want=$(awk -v r="$t_restart" '$1 >= r && $4 == 200 { k[$2] = $3 } END { for (n in k) print k[n], "'"$PFX"'" n "/128" }' \
	"$T_TMP/flood.log" | sort)
dyn=$(dynamic_peers)
expect_eq "afterwards: exactly the devices registered after the restart, each with its /128" \
	"$want" "$(printf '%s\n' "$dyn" | sort)"
expect_eq "no peer without an allowed IP (nothing half-applied)" "" "$(peers | awk '$2 == "(none)"')"
expect_eq "no pool peer the new helper did not register (table equals interface)" \
	"$(printf '%s\n' "$dyn" | sort)" "$(table_entries)"
expect_eq "static peers untouched by the kill and the restart" "$statics_before" "$(static_peers)"
check "an honest registration after all that: 200" honest 1234

# --- (b) wireguard-go and the interface pulled away ----------------------------------
# back NAME T0: every table entry on the interface with its /128 within 2 s of T0.
back() {
	local got
	want=$(table_entries)
	if wait_for 3 eval '[ "$(dynamic_peers | sort)" = "$want" ] && [ -n "$want" ]'; then
		got=$(($(ms) - $2))
		if [ "$got" -le 2000 ]; then ok "$1: peers back with their /128s in $got ms"; else
			not_ok "$1: peers back with their /128s within 2 s" "took $got ms"; fi
	else
		not_ok "$1: peers back with their /128s within 2 s" "want: $want" "got: $(dynamic_peers)"
	fi
}
wggo_pid() { pgrep -f "^wireguard-go $IF\$"; }
# wggo_again [PORT [KEYFILE]]: a new wireguard-go for IF, configured as an operator would.
wggo_again() {
	wait_for 5 bash -c "! ip -n $NS link show $IF" >/dev/null 2>&1
	ip netns exec "$NS" wireguard-go "$IF" >>"$T_TMP/wggo-$IF.log" 2>&1
	wait_for 5 test -S "/var/run/wireguard/$IF.sock"
	ip netns exec "$NS" wg set "$IF" private-key "${2:-$T_TMP/$IF.key}" listen-port "${1:-$PORT}" \
		peer "$S1" allowed-ips fd00:99::7/128,10.9.0.1/32 peer "$S2" allowed-ips fde3:25fb:7f6c:2::/64
	ip -n "$NS" link set "$IF" up
	ip -n "$NS" addr add fde3:25fb:7f6c::1/64 dev "$IF"
}
for n in 1 2 3 4 5 6 7 8; do honest $n || not_ok "register $n" "$RESP"; done

kill -KILL "$(wggo_pid)"
sleep 1.2 # the helper notices within a second
t0=$(ms)
register 9 "$(newkey)"
took=$(($(ms) - t0))
expect_eq "wireguard-go killed: a new registration answers 503" 503 "$STATUS"
check "... within a second ($took ms)" test "$took" -lt 1000
wggo_again
back "wireguard-go killed with SIGKILL and restarted" "$(ms)"
expect_eq "static peers as the operator put them back" "$statics_before" "$(static_peers)"

# Restarted under a registration load: still exactly the table afterwards.
"$FCALL" "$FSOCK" load 8 0 50 3000 "$PFX" duration=3000 ok503 >"$T_TMP/load2.out" &
LPID=$!
on_exit "kill $LPID"
sleep 0.5
kill -TERM "$(wggo_pid)"
wggo_again
t0=$(ms)
if wait_for 3 eval '"$ACALL" "$HSOCK" table | grep -qx up=1'; then
	took=$(($(ms) - t0))
	if [ "$took" -le 2000 ]; then ok "wireguard-go restarted under load: the helper is up again in $took ms"
	else not_ok "wireguard-go restarted under load: the helper is up again within 2 s" "took $took ms"; fi
else
	not_ok "wireguard-go restarted under load: the helper is up again within 2 s" "$(tail -n 3 "$T_TMP/helper.log")"
fi
wait "$LPID"
echo "# $(cat "$T_TMP/load2.out")"
dyn=$(dynamic_peers)
expect_eq "... after the load: the table equals the interface" "$(printf '%s\n' "$dyn" | sort)" "$(table_entries)"
check "... every answer whole, 200 or 503" grep -q '^load: .*(0 failed)' "$T_TMP/load2.out"

# The interface deleted (wireguard-go exits with it) and recreated with a
# new private key and port: answers carry the new key and port.
ip -n "$NS" link del "$IF"
NEWPORT=$((PORT + 7))
wg genkey >"$T_TMP/new.key"
wggo_again "$NEWPORT" "$T_TMP/new.key"
back "interface deleted and recreated with a new key and port" "$(ms)"
register 1 "$(newkey)"
expect_line "answers carry the new listen port" "endpoint=vpn.example.com:$NEWPORT" "$RESP"
expect_line "answers carry the new interface key" "pubkey=$(wg pubkey <"$T_TMP/new.key")" "$RESP"
expect_eq "static peers intact" "$statics_before" "$(static_peers)"
expect_eq "no peer without an allowed IP" "" "$(peers | awk '$2 == "(none)"')"
check "helper still running" kill -0 "$HELPER_PID"

# --- (e) the interface changed behind the helper's back ------------------------------
KE=$(newkey)
register 4242 "$KE"
ip netns exec "$NS" wg set "$IF" peer "$KE" remove
register 4242 "$KE"
expect_status "peer removed by hand, device registers again: 200" 200
expect_eq "... and its peer is back with its /128" "$KE $PFX""4242/128" "$(peers | grep "^$KE ")"
ip netns exec "$NS" wg set "$IF" peer "$KE" allowed-ips fd00:42::1/128
register 4242 "$KE"
expect_status "peer's allowed IPs changed by hand, device registers again: 200" 200
expect_eq "... and its peer has exactly its /128 again" "$KE $PFX""4242/128" "$(peers | grep "^$KE ")"

# --- (f) static peers added inside the pool while the helper runs ----------------------
# No peers.json request in between: the helper must know it all the same.
S3=$(newkey)
ip netns exec "$NS" wg set "$IF" peer "$S3" allowed-ips "$PFX""77/128"
# The helper re-reads static peers periodically (RESCAN_* in wg/daemon.h:
# at most every 10 s, every second on a small interface); wait for it.
n_before=$(grep -c 'static peers (was' "$T_TMP/helper.log")
wait_for 12 eval '[ "$(grep -c "static peers (was" "$T_TMP/helper.log")" -gt "$n_before" ]' ||
	not_ok "the helper learns a static peer added while it runs, within 10 s"
register 77 "$(newkey)"
expect_status "a new static peer holds 77's address, 77 registers: 409" 409
expect_eq "... and the static peer keeps its /128" "$S3 $PFX""77/128" "$(peers | grep "^$S3 ")"
# The operator moves a registered device's address to a new static peer; the
# helper has seen it (a refresh), then the device registers again.
KF=$(newkey) S4=$(newkey)
register 4343 "$KF"
ip netns exec "$NS" wg set "$IF" peer "$S4" allowed-ips "$PFX""4343/128"
sleep 1.1
"$ACALL" "$HSOCK" refresh >/dev/null
register 4343 "$KF"
expect_status "a static peer took 4343's address, 4343 registers again: 409" 409
expect_eq "... and the static peer keeps its /128" "$S4 $PFX""4343/128" "$(peers | grep "^$S4 ")"
done_testing
