#!/bin/bash
# --install-routes against real wireguard-go and the real kernel routing
# table of a network namespace: one route "ADDR/128 dev IF proto 213 metric
# 2^31 - F" per device peer, F the freshness of its registration (16 times
# the 8 s ticks since 2020-01-01, plus --node-id), following the peers: registration, key replacement (one
# route, fresher), a route removed behind the helper's back, expiry, the
# start-up flush of stale routes, --keep-peers across a restart, the
# interface going away and coming back. Without the flag no route is ever
# touched.
. "$(dirname "$0")/helper-lib.sh"

EPOCH=1577836800 # 2020-01-01T00:00:00Z
SPAN=2147483648  # 2^31
NODE=3           # --node-id
RT=(--install-routes --node-id $NODE --min-rekey-interval 0) # keys change back to back here
hl_setup
ip -n "$NS" -6 addr add fde3:25fb:7f6c::1/48 dev "$IF" nodad

# routes: the proto 213 routes on the interface, main table, "ADDR DEV
# METRIC" per line, sorted.
routes() {
	ip -n "$NS" -6 route show table main proto 213 | awk -v ifn="$IF" '{
		for (i = 2; i < NF; i++) { if ($i == "dev") d = $(i + 1); if ($i == "metric") m = $(i + 1) }
		if (d == ifn) print $1, d, m }' | sort
}
# has_route ROUTE-SPEC...: ip finds such a route.
has_route() { [ -n "$(ip -n "$NS" -6 route show "$@")" ]; }
# all_routes: every IPv6 route of the namespace, every table.
all_routes() { ip -n "$NS" -6 route show table all | sort; }
metric_of() { routes | awk -v a="$1" '$1 == a { print $3 }'; }
# f_at [OFFSET]: the freshness of this node's clock now, the contract's way:
# 16 x (seconds since 2020 + OFFSET) / 8, rounded down, + NODE.
f_at() { echo $((($(date +%s) - EPOCH + ${1:-0}) / 8 * 16 + NODE)); }
# next_f KNOWN: this node's first freshness above KNOWN.
next_f() { local k=$(($1 + 1)); echo $((k + (NODE - k % 16 + 16) % 16)); }
# fresh_between NAME ADDR F0 F1: ADDR has exactly one route, on IF, whose
# freshness lies in [F0, F1].
fresh_between() {
	local got f
	got=$(routes | awk -v a="$2" '$1 == a')
	f=$((SPAN - $(echo "$got" | awk '{ print $3 }' | head -n 1)))
	if [ "$(echo "$got" | grep -c .)" = 1 ] && [ "$(echo "$got" | awk '{ print $2 }')" = "$IF" ] &&
		[ "$f" -ge "$3" ] && [ "$f" -le "$4" ]; then
		ok "$1"
	else
		not_ok "$1" "want one route for $2 on $IF with freshness in [$3, $4]" "got: $got (freshness $f)"
	fi
}

# --- without --install-routes, no route is ever touched -------------------------
DUM=$(uniq_name vro) # another interface: one end of a veth pair (no dummy module here)
ip -n "$NS" link add "$DUM" type veth peer name "$(uniq_name vrp)"
ip -n "$NS" link set "$DUM" up
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::5/128 dev "$DUM" proto bird metric 1000
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::6/128 dev "$IF" proto 213 metric 1000
before=$(all_routes)
check "helper starts without --install-routes" start_helper --expire-after 1
expect_eq "a registration without --install-routes: 200" "200 ok" "$(reply_of 7 "$(newkey)")"
gone7() { [ -z "$(dump | awk -F'\t' '$4 == "fde3:25fb:7f6c:1::7/128"')" ]; }
check "... it expires" wait_for 10 gone7
expect_eq "... and the routing table is exactly as before (a proto 213 route on the interface included)" \
	"$before" "$(all_routes)"
expect_eq "metrics: autowg_routes 0" "autowg_routes 0" "$(cgi metrics | grep '^autowg_routes ')"
check "helper stops" stop_helper
ip -n "$NS" -6 route del fde3:25fb:7f6c:1::5/128 dev "$DUM" proto bird metric 1000

# --- the start-up flush ---------------------------------------------------------
# Left on the interface by an earlier run: a pool /128 (::6 above) and a
# prefix, both proto 213; not ours: proto 213 on another interface, another
# protocol on our interface.
ip -n "$NS" -6 route add fde3:25fb:7f6c:9::/64 dev "$IF" proto 213 metric 77
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::8/128 dev "$DUM" proto 213 metric 77
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::9/128 dev "$IF" proto static metric 77
check "helper starts with --install-routes" start_helper "${RT[@]}"
expect_eq "the start-up flush removes the stale proto 213 routes on the interface" "" "$(routes)"
expect_match "... and logs each" "removing stale route fde3:25fb:7f6c:9::/64 metric 77 \(protocol 213" \
	"$(cat "$HLOG")"
check "... leaves proto 213 on another interface alone" \
	has_route fde3:25fb:7f6c:1::8/128 dev "$DUM" proto 213 metric 77
check "... and another protocol on the interface too" \
	has_route fde3:25fb:7f6c:1::9/128 dev "$IF" proto static metric 77
ip -n "$NS" -6 route del fde3:25fb:7f6c:1::9/128 dev "$IF" proto static metric 77
ip -n "$NS" -6 route del fde3:25fb:7f6c:1::8/128 dev "$DUM" proto 213 metric 77

# --- registrations ---------------------------------------------------------------
K1=$(newkey) K2=$(newkey) K3=$(newkey)
f0=$(f_at)
expect_eq "device 1234 registers" "200 ok" "$(reply_of 1234 "$K1")"
f1=$(f_at)
fresh_between "its route: fde3:25fb:7f6c:1::1234/128 dev $IF proto 213, metric 2^31 - F, F = 16 x (8 s ticks since 2020) + node $NODE" \
	fde3:25fb:7f6c:1::1234 "$f0" "$f1"
m1=$(metric_of fde3:25fb:7f6c:1::1234)
expect_match "the registration's log line names the route" \
	"register 1234 fde3:25fb:7f6c:1::1234 key .*: ok, route metric $m1 \(freshness $((SPAN - m1))\)" \
	"$(cat "$HLOG")"
expect_eq "the same key again: the route stays as it was" "200 same $m1" \
	"$(reply_of 1234 "$K1") $(metric_of fde3:25fb:7f6c:1::1234)"
expect_eq "a new key for 1234: replaced" "200 replaced" "$(reply_of 1234 "$K2")"
m2=$(metric_of fde3:25fb:7f6c:1::1234)
expect_eq "... still one route for it" 1 "$(routes | grep -c '^fde3:25fb:7f6c:1::1234 ')"
check "... fresher: its metric is lower ($m1 -> $m2)" test "$m2" -lt "$m1"
expect_eq "device 42 registers" "200 ok" "$(reply_of 42 "$K3")"
expect_eq "two devices, two routes" "fde3:25fb:7f6c:1::1234 $IF;fde3:25fb:7f6c:1::42 $IF;" \
	"$(routes | awk '{ printf "%s %s;", $1, $2 }')"
expect_eq "metrics: autowg_routes 2" "autowg_routes 2" "$(cgi metrics | grep '^autowg_routes ')"
expect_eq "a refused registration adds no route" "409 key_taken 2" \
	"$(reply_of 43 "$K3") $(routes | grep -c .)"
expect_eq "a device removed with autowg-ctl loses its route at once" "200 ok 3 2" \
	"$(reply_of 44 "$(newkey)") $(routes | grep -c .) $("$B/autowg-ctl" --socket "$SOCK" remove 44 >/dev/null && routes | grep -c .)"

# --- a route removed behind the helper's back comes back ------------------------
m42=$(metric_of fde3:25fb:7f6c:1::42)
ip -n "$NS" -6 route del fde3:25fb:7f6c:1::42/128 dev "$IF" proto 213 metric "$m42"
back42() { [ "$(metric_of fde3:25fb:7f6c:1::42)" = "$m42" ]; }
check "a route removed by someone else is back within 3 s, the same" wait_for 3 back42
expect_match "... and the log says so" \
	"the route of 42 fde3:25fb:7f6c:1::42 metric $m42 was removed by someone else" "$(cat "$HLOG")"
expect_match "... and that it came back" "1 route added again" "$(cat "$HLOG")"

# --- SIGTERM leaves routes as it leaves peers; --keep-peers keeps both -----------
check "helper stops (SIGTERM)" stop_helper
before=$(routes)
expect_eq "after SIGTERM the routes stay, as the peers do" 2 "$(echo "$before" | grep -c .)"
check "helper starts with --install-routes --keep-peers" start_helper "${RT[@]}" --keep-peers
expect_eq "the kept peers keep their routes, metrics unchanged (nothing for BGP to see)" \
	"$before" "$(routes)"
expect_match "... logged" "routes: 2 kept, 0 added, 0 stale removed, 0 missing" "$(cat "$HLOG")"
K4=$(newkey)
expect_eq "the kept device 42 registers with a new key" "200 replaced" "$(reply_of 42 "$K4")"
check "... its route is fresher than the kept one" test "$(metric_of fde3:25fb:7f6c:1::42)" -lt "$m42"
expect_eq "... one route still" 1 "$(routes | grep -c '^fde3:25fb:7f6c:1::42 ')"

# --- the interface goes away and comes back: the routes with it -----------------
before=$(routes | awk '{ print $1, $3 }')
wgpid=$(pgrep -f "^wireguard-go $IF\$")
kill "$wgpid"
wait_for 5 bash -c "! ip -n $NS link show $IF" >/dev/null 2>&1
wait_for 3 grep -q "interface lost" "$HLOG"
expect_eq "the interface gone: its routes with it" "" "$(routes)"
ip netns exec "$NS" wireguard-go "$IF" >>"$T_TMP/wggo-$IF.log" 2>&1
wait_for 5 test -S "/var/run/wireguard/$IF.sock"
wgx set "$IF" private-key "$T_TMP/$IF.key" listen-port "$PORT"
ip -n "$NS" link set "$IF" up
back() { [ "$(routes | awk '{ print $1, $3 }')" = "$before" ] && [ "$(routes | awk '{ print $2 }' | sort -u)" = "$IF" ]; }
if wait_for 4 back; then
	ok "the interface back: every route back on it, metrics unchanged"
else
	not_ok "the interface back: every route back on it, metrics unchanged" "want: $before" "got: $(routes)"
fi
expect_eq "metrics: autowg_routes 2" "autowg_routes 2" "$(cgi metrics | grep '^autowg_routes ')"
check "helper stops" stop_helper

# --- expiry takes the route; a restart without --keep-peers flushes them --------
check "helper starts with --install-routes --keep-peers --expire-after 2" \
	start_helper "${RT[@]}" --keep-peers --expire-after 2
expect_eq "a device that will never shake hands registers" "200 ok" "$(reply_of 77 "$(newkey)")"
expect_eq "... with a route" 1 "$(routes | grep -c '^fde3:25fb:7f6c:1::77 ')"
gone77() { [ -z "$(routes | grep '^fde3:25fb:7f6c:1::77 ')" ]; }
check "it expires: its route goes" wait_for 10 gone77
check "helper stops" stop_helper
check "helper starts with --install-routes, without --keep-peers" start_helper "${RT[@]}"
expect_eq "the pool flushed, the routes too" "" "$(routes)$(dump | tail -n +2)"
expect_eq "metrics: autowg_routes 0" "autowg_routes 0" "$(cgi metrics | grep '^autowg_routes ')"

# --- ip -6 route show proto autowg, with conf/rt_protos.d/autowg.conf -----------
expect_eq "register 1234 again" "200 ok" "$(reply_of 1234 "$(newkey)")"
mkdir -p "$T_TMP/iproute2"
cp -r /etc/iproute2/. "$T_TMP/iproute2/"
mkdir -p "$T_TMP/iproute2/rt_protos.d"
cp "$TOP/conf/rt_protos.d/autowg.conf" "$T_TMP/iproute2/rt_protos.d/"
# in a mount namespace of its own: the machine's /etc is never touched
named=$(unshare -m sh -c "mount --bind '$T_TMP/iproute2' /etc/iproute2 &&
	ip -n '$NS' -6 route show table main proto autowg && ip -n '$NS' -6 route show table main")
expect_match "with conf/rt_protos.d/autowg.conf, ip -6 route show proto autowg lists the route" \
	"^fde3:25fb:7f6c:1::1234 dev $IF metric" "$named"
expect_match "... and ip names the protocol autowg" "fde3:25fb:7f6c:1::1234 dev $IF proto autowg metric" \
	"$named"
check "helper stops" stop_helper

# --- moved: a fresher route elsewhere takes the device away ----------------------
# Routes as BIRD installs them on a concentrator for devices that registered
# at another one: proto bird, via a next hop, metric 2^31 - their freshness.
elsewhere() { # ADDR METRIC [add|append]
	ip -n "$NS" -6 route "${3:-add}" "$1/128" via fe80::99 dev "$DUM" proto bird metric "$2"
}
check "helper starts with --install-routes" start_helper "${RT[@]}"
K600=$(newkey) K601=$(newkey) K602=$(newkey)
for n in 600 601 602; do
	eval "k=\$K$n"
	expect_eq "device $n registers" "200 ok" "$(reply_of $n "$k")"
done
m600=$(metric_of fde3:25fb:7f6c:1::600) m601=$(metric_of fde3:25fb:7f6c:1::601)
m602=$(metric_of fde3:25fb:7f6c:1::602)
t0=$(date +%s%N)
elsewhere fde3:25fb:7f6c:1::600 $((m600 - 10)) # registered at node 13 later in the same tick
moved600() { [ -z "$(allowed_ips "$K600")" ] && [ -z "$(metric_of fde3:25fb:7f6c:1::600)" ]; }
if wait_for 5 moved600; then
	ok "a fresher route elsewhere: peer and route gone within 5 s ($((($(date +%s%N) - t0) / 1000000)) ms)"
else
	not_ok "a fresher route elsewhere: peer and route gone within 5 s" "peer: $(allowed_ips "$K600")" \
		"routes: $(routes)"
fi
expect_match "... logged: moved, with both freshnesses" \
	"moved 600 fde3:25fb:7f6c:1::600: a route of another protocol with freshness $((SPAN - m600 + 10)) \(metric $((m600 - 10))\) is fresher than its own $((SPAN - m600))" \
	"$(cat "$HLOG")"
expect_eq "... counted: autowg_moved_total 1" "autowg_moved_total 1" \
	"$(cgi metrics | grep '^autowg_moved_total ')"
expect_eq "... gone from peers.json" "601 602" "$(cgi peers.json | jq -r 'keys | join(" ")')"
check "... the route elsewhere is left alone" has_route fde3:25fb:7f6c:1::600/128 proto bird
elsewhere fde3:25fb:7f6c:1::601 $((m601 + 100)) # an older registration elsewhere
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::600/120 via fe80::99 dev "$DUM" proto bird metric 1
sleep 2
expect_eq "an older route elsewhere, or a fresh prefix that is no /128: peer and route stay" \
	"fde3:25fb:7f6c:1::601/128 $m601" "$(allowed_ips "$K601") $(metric_of fde3:25fb:7f6c:1::601)"
# A route exactly as fresh can only come from another concentrator with the
# same --node-id (BIRD could not even install it: the kernel says EEXIST;
# "append" can): no move, a warning.
elsewhere fde3:25fb:7f6c:1::602 "$m602" append
tie602() { grep -q "for 602 fde3:25fb:7f6c:1::602 is exactly as fresh as its own" "$HLOG"; }
check "a route elsewhere exactly as fresh: a warning" wait_for 5 tie602
expect_match "... that names the node id" "does another concentrator have --node-id $NODE too\?" \
	"$(cat "$HLOG")"
expect_eq "... and no move: peer and route stay" "fde3:25fb:7f6c:1::602/128 $m602" \
	"$(allowed_ips "$K602") $(metric_of fde3:25fb:7f6c:1::602)"
expect_eq "device 600 registers here again" "200 ok" "$(reply_of 600 "$(newkey)")"
expect_eq "... this node's first freshness above the route elsewhere" \
	$((SPAN - $(next_f $((SPAN - m600 + 10))))) "$(metric_of fde3:25fb:7f6c:1::600)"
sleep 1
expect_eq "... and stays" 1 "$(routes | grep -c '^fde3:25fb:7f6c:1::600 ')"
expect_eq "metrics: autowg_moved_total 1, autowg_routes 3" "autowg_routes 3;autowg_moved_total 1;" \
	"$(cgi metrics | grep -E '^autowg_(routes|moved_total) ' | tr '\n' ';')"
# A kept peer whose device registered elsewhere while the helper was stopped.
check "helper stops" stop_helper
elsewhere fde3:25fb:7f6c:1::601 $((m601 - 5)) append
check "helper starts with --install-routes --keep-peers" start_helper "${RT[@]}" --keep-peers
expect_eq "the kept peer whose device registered elsewhere since is gone at start-up" "" \
	"$(allowed_ips "$K601")$(metric_of fde3:25fb:7f6c:1::601)"
expect_match "... logged" "moved 601 fde3:25fb:7f6c:1::601: " "$(cat "$HLOG")"
expect_eq "... the other kept peers stay" "fde3:25fb:7f6c:1::600;fde3:25fb:7f6c:1::602;" \
	"$(routes | awk '{ printf "%s;", $1 }')"
check "helper stops" stop_helper
for r in "600/128 metric $((m600 - 10))" "600/120 metric 1" "601/128 metric $((m601 + 100))" \
	"601/128 metric $((m601 - 5))" "602/128 metric $m602"; do
	ip -n "$NS" -6 route del fde3:25fb:7f6c:1::${r% metric *} via fe80::99 dev "$DUM" proto bird metric "${r#* metric }"
done
expect_eq "(the routes elsewhere removed again)" "" "$(ip -n "$NS" -6 route show proto bird)"

# --- the freshness clock: --freshness-offset, and newer than any route known ----
# bad_flag NAME MSG FLAGS...: exit 2 and MSG, nothing started.
bad_flag() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint vpn.example.com \
		--socket "$T_TMP/never.sock" "$@" nosuchif0 2>&1)
	rc=$?
	expect_eq "$name" "2 autowg-helper: $want" "$rc $(head -n 1 <<<"$out")"
}
bad_flag "--install-routes without --node-id: exit 2, and why" \
	"--install-routes needs --node-id N: this concentrator's own number, 0 to 15, unique among those announcing the pool" \
	--install-routes
bad_flag "--node-id past 15: exit 2, the range named" "--node-id: '16' is not a number from 0 to 15" \
	--install-routes --node-id 16
out=$("$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint x --socket "$T_TMP/never.sock" \
	--node-id 1 nosuchif0 2>&1)
expect_match "--node-id without --install-routes: a warning" "--node-id is only used by --install-routes" \
	"$out"
bad_flag "--freshness-offset past 2^31 - 1: exit 2, the range named" \
	"--freshness-offset: '2147483648' is not a number from -2147483647 to 2147483647" \
	"${RT[@]}" --freshness-offset 2147483648
bad_flag "--freshness-offset not a number: exit 2" \
	"--freshness-offset: '1h' is not a number from -2147483647 to 2147483647" \
	"${RT[@]}" --freshness-offset 1h
out=$("$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint x --socket "$T_TMP/never.sock" \
	--freshness-offset 5 nosuchif0 2>&1)
expect_match "--freshness-offset without --install-routes: a warning" \
	"--freshness-offset is only used by --install-routes" "$out"
# Routes of another protocol, as BIRD installs them for devices that
# registered at another concentrator: one there before the helper starts
# (learned from the dump), one added while it runs (from a notification).
far1=$(($(f_at) + 16 * 120000 + 4)) # node 7, whose clock runs 11 days ahead
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::501/128 via fe80::99 dev "$DUM" proto bird metric $((SPAN - far1))
day=86400
check "helper starts with --install-routes --freshness-offset $day" \
	start_helper "${RT[@]}" --freshness-offset $day
expect_match "the start-up line names the clock and its offset" \
	"installing routes \(protocol 213, node $NODE, freshness now [0-9]+, clock offset \+$day s\)" \
	"$(cat "$HLOG")"
f0=$(f_at $day)
expect_eq "device 500 registers" "200 ok" "$(reply_of 500 "$(newkey)")"
f1=$(f_at $day)
fresh_between "with --freshness-offset $day its freshness is a day ahead of the clock" \
	fde3:25fb:7f6c:1::500 "$f0" "$f1"
expect_eq "device 501, whose route elsewhere is 11 days ahead, registers" "200 ok" \
	"$(reply_of 501 "$(newkey)")"
expect_eq "... its freshness is this node's first above that route's (learned from the dump)" \
	$((SPAN - $(next_f $far1))) "$(metric_of fde3:25fb:7f6c:1::501)"
far2=$(($(f_at) + 16 * 250000 + 9)) # node 12, 23 days ahead
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::502/128 via fe80::99 dev "$DUM" proto bird metric $((SPAN - far2))
expect_eq "device 502 registers after a route 23 days ahead appeared for it" "200 ok" \
	"$(reply_of 502 "$(newkey)")"
expect_eq "... this node's first above that route's (learned from a notification)" \
	$((SPAN - $(next_f $far2))) "$(metric_of fde3:25fb:7f6c:1::502)"
ip -n "$NS" -6 route add fde3:25fb:7f6c:1::503/128 via fe80::99 dev "$DUM" proto bird \
	metric $((SPAN - $(f_at) + 16 * 625)) # 5000 s before
f0=$(f_at $day)
expect_eq "device 503, with an older route elsewhere, registers" "200 ok" "$(reply_of 503 "$(newkey)")"
f1=$(f_at $day)
fresh_between "... its freshness is the clock's (with the offset)" fde3:25fb:7f6c:1::503 "$f0" "$f1"
expect_eq "device 502 registers with a new key" "200 replaced" "$(reply_of 502 "$(newkey)")"
expect_eq "... this node's first above its own route" $((SPAN - $(next_f "$(next_f $far2)"))) \
	"$(metric_of fde3:25fb:7f6c:1::502)"
check "helper stops" stop_helper
check "helper starts with --install-routes --freshness-offset -$day" \
	start_helper "${RT[@]}" --freshness-offset -$day
f0=$(f_at -$day)
expect_eq "device 504 registers" "200 ok" "$(reply_of 504 "$(newkey)")"
f1=$(f_at -$day)
fresh_between "with --freshness-offset -$day its freshness is a day behind the clock" \
	fde3:25fb:7f6c:1::504 "$f0" "$f1"
check "helper stops" stop_helper

# --- a route that cannot be added: the registration is refused, no peer set -----
# With IPv6 off on the interface the kernel refuses routes through it.
check "helper starts with --install-routes" start_helper "${RT[@]}"
K700=$(newkey) K701=$(newkey)
expect_eq "device 700 registers" "200 ok" "$(reply_of 700 "$K700")"
m700=$(metric_of fde3:25fb:7f6c:1::700)
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
on_exit "ip netns exec $NS sysctl -qw net.ipv6.conf.$IF.disable_ipv6=0"
read -r status result _ _ reason <<<"$(call register 701 "$K701")"
expect_eq "a registration whose route cannot be added: 503, and why" \
	"503 unavailable WireGuard interface unavailable: its route cannot be installed" \
	"$status $result $reason"
expect_eq "... its peer is not set, and no route" "" "$(allowed_ips "$K701")$(metric_of fde3:25fb:7f6c:1::701)"
expect_match "... the log says why" "route for 701 not installed: Permission denied" "$(cat "$HLOG")"
lost700() { grep -q "1 route missing, cannot be added: Permission denied; trying again every second" "$HLOG"; }
check "device 700's route, gone with IPv6, cannot be added again: logged" wait_for 3 lost700
expect_eq "... the peer stays; metrics: autowg_peers_managed 1, autowg_routes 0" \
	"fde3:25fb:7f6c:1::700/128 autowg_peers_managed 1;autowg_routes 0;" \
	"$(allowed_ips "$K700") $(cgi metrics | grep -E '^autowg_(peers_managed|routes) ' | tr '\n' ';')"
sleep 1.5
expect_eq "... logged once, not every second" 1 \
	"$(grep -c "route missing, cannot be added: Permission denied" "$HLOG")"
mark=$(wc -l <"$HLOG")
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=0"
back700() { [ "$(metric_of fde3:25fb:7f6c:1::700)" = "$m700" ]; }
check "IPv6 back: device 700's route is back within 3 s, the same" wait_for 3 back700
expect_match "... logged" "1 route added again" "$(tail -n +$((mark + 1)) "$HLOG")"
expect_eq "device 701 registers now" "200 ok 1" \
	"$(reply_of 701 "$K701") $(routes | grep -c '^fde3:25fb:7f6c:1::701 ')"
check "helper stops" stop_helper
done_testing
