#!/bin/bash
# make bench-routes: what --install-routes costs the helper. The helper on
# a wireguard-go interface in a network namespace, registrations straight
# through its socket (tests/clients/awg-call bench: one at a time, no web
# server), with and without --install-routes; the helper's CPU from
# /proc/PID/schedstat (nanoseconds on a CPU) around each batch:
#   - per registration of a new name (peer + route added),
#   - per registration of a new key for a known name (the peer replaced,
#     a fresher route added and the older one removed),
#   - per move: fresher routes of another protocol for every device (as BIRD
#     installs them, ip -batch), each peer and route removed, and how long
#     until all of them are gone.
# Root; from the top of the tree after "make B=... all tests" (make
# bench-routes does it).
#   BENCH_ROUTES_N (2000) devices per batch, BENCH_RUNS (3),
#   BENCH_ROUTES_RESULTS (a file the figures are appended to, besides stdout)
set -u
cd "$(dirname "$0")/.." || exit 1
export TOP=$PWD
B=${B:-build}
N=${BENCH_ROUTES_N:-2000}
RUNS=${BENCH_RUNS:-3}
POOL=fde3:25fb:7f6c:1::/64
ROUTE=fde3:25fb:7f6c::/48
. tests/lib.sh
. bench/lib.sh

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (namespaces, wireguard-go)" >&2; exit 1; }
for t in wireguard-go wg ip; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing: make deps" >&2; exit 1; }
done
HELPER=$B/autowg-helper CALL=$B/tests/clients/awg-call
for f in "$HELPER" "$CALL"; do
	[ -x "$f" ] || { echo "bench: $f is not built: make bench-routes" >&2; exit 1; }
done
RESULTS=${BENCH_ROUTES_RESULTS:-$T_TMP/results.txt}

NS=$(uniq_name rns)
IF=$(uniq_name wgr)
SOCK=$T_TMP/helper.sock
netns_add "$NS"
umask 077 # wg genkey's key file
wggo_up "$NS" "$IF" || { echo "bench: wireguard-go failed" >&2; exit 1; }
umask 022
ip netns exec "$NS" wg set "$IF" listen-port $((20000 + RANDOM % 20000))
# The next hop of the routes "elsewhere": one end of a veth pair.
VETH=$(uniq_name vrb)
ip -n "$NS" link add "$VETH" type veth peer name "$(uniq_name vrc)"
ip -n "$NS" link set "$VETH" up

say "# autowg-helper with and without --install-routes (make bench-routes): $(date -u '+%Y-%m-%d %H:%M UTC')"
say "# machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
	"$(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "# $N registrations a batch through the helper's socket (awg-call, one at a time), wireguard-go" \
	"in a namespace, metans; helper CPU from /proc/PID/schedstat; median of $RUNS runs (min, max)"

HPID=
# The second batch gives every name a new key at once: no --min-rekey-interval.
start_helper() { # FLAGS...
	rm -f "$SOCK"
	ip netns exec "$NS" "$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint vpn.example.com \
		--converter metans --max-peers $((N + 100)) --socket "$SOCK" --min-rekey-interval 0 "$@" "$IF" \
		2>>"$T_TMP/helper.log" &
	HPID=$!
	on_exit "kill $HPID"
	wait_for 10 test -S "$SOCK" && timeout 60 "$CALL" "$SOCK" table >/dev/null ||
		{ echo "bench: the helper does not serve" >&2; exit 1; }
}
stop_helper() { kill -TERM "$HPID" && wait "$HPID"; }
cpu_ns() { awk '{ print $1 }' "/proc/$HPID/schedstat"; }
# per_op NS0 NS1: microseconds per device, one decimal.
per_op() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / 1000 / n }'; }
# batch PREFIX: N registrations of PREFIX0..; US is the helper's CPU per one.
batch() {
	local c0 c1 out
	c0=$(cpu_ns)
	out=$("$CALL" "$SOCK" bench "$N" "$1") || { echo "bench: $out" >&2; exit 1; }
	c1=$(cpu_ns)
	US=$(per_op "$c0" "$c1")
}
npeers() { ip netns exec "$NS" wg show "$IF" peers | wc -l; }

declare -a NEW_OFF NEW_ON KEY_OFF KEY_ON MOVE MOVE_MS
for ((r = 1; r <= RUNS; r++)); do
	for mode in off on; do
		if [ $mode = on ]; then start_helper --install-routes --node-id 0; else start_helper; fi
		batch "r${r}${mode}x"
		new=$US
		batch "r${r}${mode}x" # the same names: new keys
		key=$US
		if [ $mode = off ]; then
			NEW_OFF+=("$new") KEY_OFF+=("$key")
			stop_helper
			continue
		fi
		NEW_ON+=("$new") KEY_ON+=("$key")
		[ "$(ip -n "$NS" -6 route show table main proto 213 | wc -l)" -eq "$N" ] ||
			{ echo "bench: want $N routes" >&2; exit 1; }
		# every device registers elsewhere (node 1, the same tick)
		ip -n "$NS" -6 route show table main proto 213 | awk -v v="$VETH" '{
			for (i = 2; i < NF; i++) if ($i == "metric") m = $(i + 1)
			printf "route add %s/128 via fe80::99 dev %s proto bird metric %d\n", $1, v, m - 1 }' \
			>"$T_TMP/moves"
		c0=$(cpu_ns) t0=$(date +%s%N)
		ip -n "$NS" -batch "$T_TMP/moves"
		wait_for 60 eval '[ "$(npeers)" -eq 0 ]' || { echo "bench: the moves did not finish" >&2; exit 1; }
		t1=$(date +%s%N)
		sleep 0.2 # the last notifications read
		MOVE+=("$(per_op "$c0" "$(cpu_ns)")")
		MOVE_MS+=("$(ms_of $((t1 - t0)))")
		[ "$(grep -c "^autowg-helper: moved " "$T_TMP/helper.log")" -ge $((r * N)) ] ||
			{ echo "bench: not every move logged" >&2; exit 1; }
		stop_helper
		ip -n "$NS" -6 route flush table main proto bird
	done
done
fig new_off "helper CPU per registration, new name, without --install-routes" us "%.1f" "${NEW_OFF[@]}"
fig new_on "helper CPU per registration, new name, with --install-routes" us "%.1f" "${NEW_ON[@]}"
fig key_off "helper CPU per registration, new key, without --install-routes" us "%.1f" "${KEY_OFF[@]}"
fig key_on "helper CPU per registration, new key, with --install-routes" us "%.1f" "${KEY_ON[@]}"
fig move "helper CPU per move ($N fresher proto bird routes at once; peer and route removed)" us \
	"%.1f" "${MOVE[@]}"
fig move_ms "time from the first route elsewhere to the last of $N peers gone" ms "%.1f" \
	"${MOVE_MS[@]}"
