#!/bin/bash
# Several concentrators, one fleet: the lab of tests/e2e/cluster-lab.sh (a
# core router running BIRD as route reflector with conf/bird-core.conf, a
# server behind it, three concentrators each with wireguard-go, the helper
# with --install-routes, responders, nginx with client certificates and BIRD
# with conf/bird-autowg.conf) and three devices running contrib/autowg-client
# with all three concentrators in api_endpoint, each starting at its own.
# The cases run in this order, each on what the one before left:
#   every device registers, the server pings it, the core routes it
#   concentrator 1 dies; its device registers elsewhere; death to first ping
#   it comes back: no device is taken from where it lives now
#   a device moves: the core follows within 2 s, the old peer goes within 5 s
#   it moves away from concentrator 2, whose clock is an hour ahead: the same
#   BIRD restarted on a concentrator: its routes come back, nothing lost
#   1,000 registrations of 300 names over the three, at random, concurrently
#   20 names each registered at two concentrators at the same moment
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"
. "$TOP/tests/e2e/cluster-lab.sh"

CHURN_FIRST=2000 # names 2000..2299
CHURN_NAMES=300
CHURN_REGS=1000
CHURN_PARALLEL=12 # registrations in flight at once
TWIN_FIRST=2300 # names 2300..2319: each registered at two concentrators at once
TWIN_NAMES=20
MOVE_CORE_MS=2000 # the issue's bounds
MOVE_GONE_MS=5000
# Concentrator 2's freshness clock runs an hour ahead (--freshness-offset):
# a skewed clock must not pin a device to it.
CL_OFFSET[2]=3600

now_ms() { echo $(($(date +%s%N) / 1000000)); }
dev_ip() { lab_ip "${LAB_CN[$1]}"; }

# cl_client I FIRST: device I runs autowg-client with the three URLs,
# concentrator FIRST first; output in OUT. Odd devices use busybox ash, even
# ones bash.
cl_client() {
	local i=$1 f=$CL/dev$1.conf urls="" j k sh=bash
	((i % 2)) && sh="busybox ash"
	for ((j = 0; j < CL_N; j++)); do
		k=$((($2 - 1 + j) % CL_N + 1))
		urls="$urls https://vpn$k.test${LAB_PREFIX}v1/register"
	done
	cat >"$f" <<-EOF
		ifname=${CL_DIF[i]}
		api_endpoint="${urls# }"
		cert=$CL_PKI/dev-${LAB_CN[i]}.crt
		key=$CL_PKI/dev-${LAB_CN[i]}.key
		ca=$CL_PKI/server-ca.crt
	EOF
	# shellcheck disable=SC2086
	OUT=$(AUTOWG_CONF=$f ip netns exec "${CL_DNS[i]}" $sh "$TOP/contrib/autowg-client" 2>&1)
}

# stale I: what device I's client sees once its tunnel has had no handshake
# for 135 s (ALIVE_SECS), without waiting that long: no live peer. The
# client then registers, and replaces the old peer itself.
stale() {
	local p
	for p in $(ip netns exec "${CL_DNS[$1]}" wg show "${CL_DIF[$1]}" peers); do
		ip netns exec "${CL_DNS[$1]}" wg set "${CL_DIF[$1]}" peer "$p" remove
	done
}

server_pings() { cl_wait 10 ip netns exec "$CL_SRV" ping -6 -c 1 -W 1 "$1" >/dev/null; }

# core_best: the core's preferred path per device, "ADDRESS K", sorted.
core_best() {
	cl_birdc 0 show route in "$LAB_POOL" 2>/dev/null | awk '
		/unicast \[/ { best = ($0 ~ /\] \* \(/) }
		$1 ~ /\/128$/ { net = $1; sub(/\/128$/, "", net) }
		best && /^[ \t]+via .* on c[0-9]+$/ { k = $NF; sub(/^c/, "", k); print net, k }' | sort
}

# only ADDRESS...: the lines of stdin about these addresses.
only() { grep -E "^($(printf '%s|' "$@" | sed 's/|$//')) "; }

# want LIST: "ADDRESS K" lines for "I:K ..." (device I at concentrator K).
want() {
	local p
	for p in "$@"; do echo "$(dev_ip "${p%:*}") ${p#*:}"; done | sort
}

helper_log() { cat "$CL/c$1/helper.log" 2>/dev/null; }
DIPS=("$(dev_ip 1)" "$(dev_ip 2)" "$(dev_ip 3)")
core3() { cl_core_paths | only "${DIPS[@]}"; }
where3() { cl_where "${DIPS[@]}"; }

# --- The lab ----------------------------------------------------------------
setup() {
	cl_init && cl_pki "${LAB_CN[@]:1:3}" || return 1
	pki_devices_one_key "$CL_PKI" fleet-ca churn \
		$(seq "$CHURN_FIRST" $((TWIN_FIRST + TWIN_NAMES - 1))) || return 1
	cl_up 3
}
t=$SECONDS
if ! setup; then
	not_ok "set-up: core, server, three concentrators with BIRD sessions up, three devices"
	for f in "$CL"/bird/*.log "$CL"/c*/helper.log; do [ -f "$f" ] && sed "s|^|# $f: |" "$f" | tail -n 20; done
	done_testing
	exit
fi
echo "# lab up in $((SECONDS - t)) s"

# --- Every device registers, the server pings it, the core routes it -------
for i in 1 2 3; do
	if cl_client "$i" "$i"; then
		expect_match "device $i registers at concentrator $i" "endpoint vpn$i.test:$LAB_PORT\$" "$OUT"
	else not_ok "device $i registers at concentrator $i" "$OUT"; fi
done
for i in 1 2 3; do check "the server pings device $i ($(dev_ip "$i"))" server_pings "$(dev_ip "$i")"; done
core_is() { [ "$(core3)" = "$1" ]; }
w=$(want 1:1 2:2 3:3)
cl_wait 5 core_is "$w"
expect_eq "the core's BIRD has exactly one /128 per device, to the concentrator it registered with" \
	"$w" "$(core3)"
expect_eq "each concentrator has one route (proto autowg) per device it holds" \
	"$(dev_ip 1)|$(dev_ip 2)|$(dev_ip 3)" "$(cl_routes 1)|$(cl_routes 2)|$(cl_routes 3)"

# --- Concentrator 1 dies ------------------------------------------------------
t0=$(now_ms)
cl_kill 1
stale 1
if cl_client 1 1; then
	expect_match "concentrator 1 dead: device 1's next client run registers at concentrator 2" \
		"endpoint vpn2.test:$LAB_PORT \(at https://vpn2.test/vpn/v1/register, after: https://vpn1.test/vpn/v1/register failed: " "$OUT"
else not_ok "concentrator 1 dead: device 1's next client run registers at concentrator 2" "$OUT"; fi
if server_pings "$(dev_ip 1)"; then
	t1=$(now_ms)
	ok "concentrator 1 dead: the server pings device 1 again"
	echo "# death to first ping: $(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000))) s" \
		"(the client run right after the death: the dead URL's connect timeout, the registration" \
		"at the next one, BGP; in the field add the wait for the tunnel to go stale, up to" \
		"135 s after its last handshake, and the cron interval)"
else not_ok "concentrator 1 dead: the server pings device 1 again" "no answer within 10 s"; fi
w=$(want 1:2 2:2 3:3)
cl_wait 10 core_is "$w"
expect_eq "concentrator 1 dead: the core routes every device to a live concentrator, one /128 each" \
	"$w" "$(core3)"

# --- It comes back (the helper flushes at start) ------------------------------
cl_links 1 up
if cl_conc_up 1 && cl_wait 15 cl_session_up 1; then
	ok "concentrator 1 back: every process restarted, its BGP session up"
else not_ok "concentrator 1 back: every process restarted, its BGP session up" "$(tail -n 5 "$CL/bird/1.log")"; fi
learned() { [ "$(ip -n "${CL_CNS[1]}" -6 route show proto bird | grep -c "^${LAB_POOL%::/64}:")" -eq 3 ]; }
check "concentrator 1 back: it learns the three devices' routes from the core" cl_wait 10 learned
sleep 1 # room for a wrong reaction to what it learned
expect_eq "concentrator 1 back: no device taken from where it lives (peers)" \
	"$(printf '%s 2\n%s 2\n%s 3' "$(dev_ip 1)" "$(dev_ip 2)" "$(dev_ip 3)")" "$(where3)"
expect_eq "concentrator 1 back: the core still routes each device to where it lives" \
	"$w" "$(core3)"
for i in 1 2 3; do
	cl_client "$i" "$i"
	expect_eq "concentrator 1 back: device $i's client run finds its tunnel alive and does nothing" "" "$OUT"
done

# --- A device moves while both concentrators are alive ---------------------
# move I FROM TO WHAT: device I, at concentrator FROM, registers again at TO
# (its client starting there); the core must prefer TO within 2 s, FROM must
# drop its peer and route within 5 s and log it.
move() {
	local i=$1 from=$2 to=$3 what=$4 t0 t1 ip
	ip=$(dev_ip "$i")
	stale "$i"
	cl_client "$i" "$to"
	t0=$(now_ms)
	expect_match "$what: device $i registers again, at concentrator $to" "endpoint vpn$to.test:$LAB_PORT\$" "$OUT"
	core_prefers() { core_best | only "$ip" | grep -q " $to\$"; }
	cl_wait 10 core_prefers
	t1=$(now_ms)
	if core_prefers && [ $((t1 - t0)) -le "$MOVE_CORE_MS" ]; then
		ok "$what: the core prefers concentrator $to within 2 s ($((t1 - t0)) ms)"
	else not_ok "$what: the core prefers concentrator $to within 2 s" \
		"after $((t1 - t0)) ms: $(core_best | only "$ip")"; fi
	gone() { [ -z "$(cl_peers "$from" | grep -Fx "$ip")$(cl_routes "$from" | grep -Fx "$ip")" ]; }
	cl_wait 10 gone
	t1=$(now_ms)
	if gone && [ $((t1 - t0)) -le "$MOVE_GONE_MS" ]; then
		ok "$what: concentrator $from's peer and route are gone within 5 s ($((t1 - t0)) ms)"
	else not_ok "$what: concentrator $from's peer and route are gone within 5 s" \
		"after $((t1 - t0)) ms: peers $(cl_peers "$from" | tr '\n' ' '), routes $(cl_routes "$from" | tr '\n' ' ')"; fi
	expect_match "$what: concentrator $from's helper logs it" "moved.*$ip" "$(helper_log "$from" | grep -w moved)"
	check "$what: the server pings device $i at concentrator $to" server_pings "$ip"
}
move 3 3 1 "device 3 moved"
w=$(want 1:2 2:2 3:1)
cl_wait 5 core_is "$w"
expect_eq "device 3 moved: the core has exactly one /128 per device" "$w" "$(core3)"
move 2 2 3 "device 2 moved away from the clock an hour ahead"
w=$(want 1:2 2:3 3:1)
cl_wait 5 core_is "$w"
expect_eq "device 2 moved: the core has exactly one /128 per device" "$w" "$(core3)"

# --- BIRD restarted on concentrator 2 ------------------------------------------
peers_before=$(where3)
kill "${CL_BIRD_PID[2]}" && wait "${CL_BIRD_PID[2]}"
withdrawn() { [ -z "$(cl_core_paths | only "${DIPS[0]}")" ]; }
check "BIRD stopped on concentrator 2: the core withdraws its devices" cl_wait 10 withdrawn
t0=$(now_ms)
cl_bird 2 && cl_wait 15 cl_session_up 2
cl_wait 15 core_is "$w"
t1=$(now_ms)
expect_eq "BIRD restarted on concentrator 2: its routes are announced again" \
	"$w" "$(core3)"
echo "# BIRD restart to routes back at the core: $((t1 - t0)) ms"
expect_eq "BIRD restarted on concentrator 2: nothing lost, every peer where it was" \
	"$peers_before" "$(where3)"
check "BIRD restarted on concentrator 2: the server pings device 1" server_pings "$(dev_ip 1)"
expect_eq "the helpers saw exactly the two moves" "0 1 1" \
	"$(helper_log 1 | grep -cw moved) $(helper_log 2 | grep -cw moved) $(helper_log 3 | grep -cw moved)"

# --- 1,000 registrations for 300 names, concurrently ---------------------------
# In waves: each name at most once per wave, a wave's registrations in random
# order over the three concentrators and CHURN_PARALLEL at a time, the next
# wave once the cluster has settled. A registration is "later" than another
# of the same name when it knows of it: freshness orders registrations by
# what the registering concentrator has heard through BGP (a hybrid logical
# clock), and two that do not know of each other (within BGP's propagation
# delay, well under a second) are ordered by a coarse clock and then by
# --node-id, not by which came last. Settling between waves makes every
# registration of a name causally after the one before. A name's next
# registration is always at another concentrator: each one is a move.
mapfile -t KEYS < <(python3 -c 'import base64, os
for _ in range(int(__import__("sys").argv[1])): print(base64.b64encode(os.urandom(32)).decode())' \
	$((CHURN_REGS + 2 * TWIN_NAMES)))
declare -A LAST
# churn_reg N K: curl's config lines for one registration of name N at
# concentrator K with a fresh key (KEYI); its line of output is "STATUS N K".
churn_reg() {
	printf 'url = "https://vpn%s.test%sv1/register"\n' "$2" "$LAB_PREFIX"
	printf 'cert = "%s/dev-%s.crt"\nkey = "%s/churn.key"\n' "$CL_PKI" "$1" "$CL_PKI"
	printf 'cacert = "%s/server-ca.crt"\n' "$CL_PKI"
	printf 'data-binary = "%s"\n' "${KEYS[KEYI]}"
	KEYI=$((KEYI + 1))
	printf 'max-time = 30\noutput = "/dev/null"\n'
	printf 'write-out = "%%{http_code} %s %s\\n"\n' "$1" "$2"
}
churn_head() { printf 'parallel\nparallel-max = %s\nsilent\nshow-error\n' "$1"; }
# churn_plan NAME...: curl's config for one wave (to stdout), choosing each
# registration's concentrator; run in this shell (LAST, KEYI).
churn_plan() {
	local n k
	churn_head "$CHURN_PARALLEL"
	for n in "$@"; do
		if [ -n "${LAST[$n]:-}" ]; then # one of the other two
			k=$(((LAST[$n] + RANDOM % (CL_N - 1)) % CL_N + 1))
		else k=$((RANDOM % CL_N + 1)); fi
		LAST[$n]=$k
		[ "$n" = "$1" ] || echo "next"
		churn_reg "$n" "$k"
	done
}
KEYI=0
names=$(seq "$CHURN_FIRST" $((CHURN_FIRST + CHURN_NAMES - 1)))
# 100 names register four times, 200 three times: 1,000.
extra=$(printf '%s\n' "$names" | shuf -n $((CHURN_REGS - 3 * CHURN_NAMES)))
churn_ips=$(for n in $names; do lab_ip "$n"; done)
# where_is, core_has: where the churn names are, on the concentrators and
# at the core ("ADDRESS K"); want_where: where LAST says they should be.
# shellcheck disable=SC2086
where_is() { cl_where $churn_ips | awk 'NF == 2' | sort; }
# shellcheck disable=SC2086
core_has() { cl_core_paths | only $churn_ips; }
want_where() { local n; for n in $names; do [ -n "${LAST[$n]:-}" ] && echo "$(lab_ip "$n") ${LAST[$n]}"; done | sort; }
converged() { [ "$(where_is)" = "$WANT" ] && [ "$(core_has)" = "$WANT" ]; }
results=""
t0=$SECONDS
for wave in 1 2 3 4; do
	# shellcheck disable=SC2046 # names are numbers
	if [ "$wave" -le 3 ]; then set -- $(printf '%s\n' "$names" | shuf); else set -- $(printf '%s\n' "$extra" | shuf); fi
	churn_plan "$@" >"$CL/churn-$wave.curl"
	tw=$(now_ms)
	results="$results$(ip netns exec "${CL_DNS[1]}" curl --config "$CL/churn-$wave.curl" 2>"$CL/churn-$wave.err")"$'\n'
	tr=$(now_ms)
	WANT=$(want_where)
	cl_wait 30 converged
	echo "# wave $wave: $# registrations in $((tr - tw)) ms, settled $(($(now_ms) - tr)) ms later"
done
echo "# $CHURN_REGS registrations in $((SECONDS - t0)) s"
expect_eq "1,000 registrations: every one answered 200" "$CHURN_REGS x 200" \
	"$(printf '%s' "$results" | awk 'NF { print $1 }' | sort | uniq -c | awk '{ print $1 " x " $2 }' | paste -sd,)"
# first_diff WANT GOT: the first differing lines, for a failure message.
first_diff() { diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") | grep '^[<>]' | head -n 10; }
got=$(where_is)
if [ "$got" = "$WANT" ]; then
	ok "300 names: each has exactly one peer in the cluster, at the concentrator of its last registration"
else not_ok "300 names: each has exactly one peer in the cluster, at the concentrator of its last registration" \
	"< want, > got (address concentrators):" "$(first_diff "$WANT" "$got")"; fi
got=$(core_has)
if [ "$got" = "$WANT" ]; then
	ok "300 names: the core agrees, one /128 each, to that concentrator"
else not_ok "300 names: the core agrees, one /128 each, to that concentrator" \
	"< want, > got (address concentrator):" "$(first_diff "$WANT" "$got")"; fi
for k in 1 2 3; do
	expect_eq "concentrator $k: a route (proto autowg) for exactly the peers it holds" \
		"$(cl_peers "$k")" "$(cl_routes "$k")"
done

# --- One name at two concentrators at the same moment ---------------------------
# Neither knows of the other's registration: the freshness clock cannot
# order them, the node ids in its low bits do. Whichever wins, exactly one
# concentrator may keep the name, and the core must route it there.
twins=$(seq "$TWIN_FIRST" $((TWIN_FIRST + TWIN_NAMES - 1)))
{
	churn_head $((2 * TWIN_NAMES))
	for n in $twins; do
		[ "$n" = "$TWIN_FIRST" ] || echo next
		churn_reg "$n" 1
		echo next
		churn_reg "$n" 2
	done
} >"$CL/twins.curl"
results=$(ip netns exec "${CL_DNS[1]}" curl --config "$CL/twins.curl" 2>"$CL/twins.err")
expect_eq "20 names registered at concentrators 1 and 2 at once: every registration answered 200" \
	"$((2 * TWIN_NAMES)) x 200" "$(printf '%s\n' "$results" | awk 'NF { print $1 }' | sort | uniq -c |
		awk '{ print $1 " x " $2 }' | paste -sd,)"
twin_ips=$(for n in $twins; do lab_ip "$n"; done)
# shellcheck disable=SC2086
twins_where() { cl_where $twin_ips | sort; }
# shellcheck disable=SC2086
twins_core() { cl_core_paths | only $twin_ips; }
one_each() { [ -z "$(twins_where | awk 'NF != 2 || $2 !~ /^[12]$/')" ] && [ "$(twins_core)" = "$(twins_where)" ]; }
cl_wait 10 one_each
got=$(twins_where | awk 'NF != 2 || $2 !~ /^[12]$/')
if [ -z "$got" ]; then
	ok "20 names registered at two concentrators at once: each ends with exactly one peer in the cluster"
else not_ok "20 names registered at two concentrators at once: each ends with exactly one peer in the cluster" \
	"names with none or several (address concentrators):" "$(printf '%s\n' "$got" | head -n 10)"; fi
got=$(twins_core)
if [ "$got" = "$(twins_where)" ]; then
	ok "20 names registered at two concentrators at once: the core routes each to the one that kept it"
else not_ok "20 names registered at two concentrators at once: the core routes each to the one that kept it" \
	"< holders, > the core's routes:" "$(first_diff "$(twins_where)" "$got")"; fi
done_testing
