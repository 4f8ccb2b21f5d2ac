#!/bin/bash
# The cluster figure of make bench: three concentrators and a core (the lab
# of tests/e2e/cluster-lab.sh without web servers and devices: wireguard-go,
# autowg-helper --install-routes --converter metans, BIRD with the conf/
# files), CL_DEVICES devices registered straight through the helpers'
# sockets (tests/clients/awg-call bench: a fresh key per registration, no
# tunnels), spread evenly. Then, BENCH_RUNS times:
#   - concentrator 1 dies (every process killed, its links down) and its
#     devices register again at the other two, half each, as they would at
#     their next client run: the time until the core routes every device to
#     a live concentrator, from the death and from the first re-registration;
#     helper CPU (utime+stime from /proc of the two live helpers) per
#     re-registration and per kernel route change they saw; BIRD's CPU; the
#     route churn (ip monitor of the pool's routes, BGP updates at the core);
#   - (not after the last run) it comes back and the same devices register
#     at it again: they move from two concentrators to a third at once; the
#     time until the core routes them there, and until the two old helpers
#     have dropped every moved peer.
# Run by bench/run.sh (make bench) first, or alone as BENCH_ONLY=cluster make
# bench. Root. Figures to stdout and appended to $RESULTS.
set -u
cd "$(dirname "$0")/.." || exit 1
export TOP=$PWD
B=${B:-build}
CL_DEVICES=${BENCH_CLUSTER_DEVICES:-10000}
RUNS=${BENCH_RUNS:-3}
CALL=$B/tests/clients/awg-call
. tests/lib.sh
. tests/e2e/lab.sh
. tests/e2e/cluster-lab.sh
. bench/lib.sh
RESULTS=${RESULTS:-$T_TMP/results.txt}
HZ=$(getconf CLK_TCK)
CONVERGE_MAX=600 # seconds a convergence may take before the bench gives up
lab_say() { :; }

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (namespaces, wireguard-go)" >&2; exit 1; }
for t in bird birdc wireguard-go wg ip; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing: make deps" >&2; exit 1; }
done
for f in "$B/autowg-helper" "$CALL"; do
	[ -x "$f" ] || { echo "bench: $f is not built: make bench" >&2; exit 1; }
done

CL_HELPER_EXTRA="--converter metans --max-peers $((CL_DEVICES + 1000))"
cl_init
cl_up 0 noweb || { echo "bench: the cluster lab did not come up" >&2; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
POOL_RE="^${LAB_POOL%::/64}:"
# core_split: how many pool /128s the core's kernel routes to concentrators
# 1, 2 and 3 ("N1 N2 N3"; its BIRD exports the best route of each).
core_split() {
	ip -n "$CL_CORE" -6 route show proto bird | awk -v re="$POOL_RE" '
		$0 ~ re { for (i = 1; i < NF; i++) if ($i == "dev") n[$(i + 1)]++ }
		END { printf "%d %d %d\n", n["c1"], n["c2"], n["c3"] }'
}
# split_is N1 N2+N3: the core routes N1 devices to concentrator 1, N2+N3 to
# the other two.
split_is() { local a b c; read -r a b c <<<"$(core_split)"; [ "$a" -eq "$1" ] && [ $((b + c)) -eq "$2" ]; }
# converge T0 N1 N2+N3: wait until split_is N1 N2+N3; prints ms since T0,
# fails after CONVERGE_MAX.
converge() {
	local t0=$1
	cl_wait "$CONVERGE_MAX" split_is "$2" "$3" || {
		echo "bench: no convergence within $CONVERGE_MAX s: the core routes $(core_split)" >&2
		return 1
	}
	echo $(($(now_ms) - t0))
}
# fill K N START: N registrations d<START..> at concentrator K.
fill() {
	local out
	out=$("$CALL" "$CL/c$1/run/helper.sock" bench "$2" d "$3") ||
		{ echo "bench: registering at concentrator $1 failed: $out" >&2; return 1; }
}
npeers() { ip netns exec "${CL_CNS[$1]}" wg show "${CL_CIF[$1]}" peers | wc -l; }
# monitor NS FILE: ip monitor of NS's routes into FILE, until killed.
monitor() {
	ip -n "$1" monitor route >"$2" 2>/dev/null &
	MON_PIDS="$MON_PIDS $!"
	on_exit "kill $!"
}
# changes FILE: route changes for pool /128s in an ip monitor log.
changes() { grep -cE "^(Deleted )?${LAB_POOL%::/64}:" "$1"; }
# The live routers' BIRD (ip netns exec execs bird: the pid is BIRD's).
bird_cpu() { cpu_ticks "${CL_BIRD_PID[0]}" "${CL_BIRD_PID[2]}" "${CL_BIRD_PID[3]}"; }
bgp_updates() { # updates the core received from concentrators 2 and 3
	cl_birdc 0 show protocols all 2>/dev/null | awk -v a="$(cl_conc_addr 2)" -v b="$(cl_conc_addr 3)" '
		/Neighbor address:/ { p = ($3 == a || $3 == b) }
		p && /Import updates:/ { n += $3 } END { print n + 0 }'
}
per() { awk -v t="$1" -v hz="$HZ" -v n="$2" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }'; }
drops() { cat "$CL"/bird/[123].log | grep -c "Kernel dropped some netlink messages"; }

say ""
say "## cluster: $CL_DEVICES devices over 3 concentrators, BIRD $(bird --version 2>&1 | awk '{ print $NF }')," \
	"a route reflector; one concentrator dies (runs: $RUNS)"

# --- the fill ----------------------------------------------------------------
per_c=$(((CL_DEVICES + 2) / 3))
N1=$per_c S1=0
t0=$(now_ms)
for k in 1 2 3; do
	n=$((k < 3 ? per_c : CL_DEVICES - 2 * per_c))
	fill "$k" "$n" $(((k - 1) * per_c)) &
	FILL_PID[k]=$!
done
for k in 1 2 3; do wait "${FILL_PID[k]}" || exit 1; done
tf=$(($(now_ms) - t0))
tc=$(converge "$t0" "$N1" $((CL_DEVICES - N1))) || exit 1
say "# fill: $CL_DEVICES registrations through the three helpers' sockets in $(secs "$tf") s"
fig cl_fill "cluster: first fill, from the first registration until the core routes all $CL_DEVICES devices" \
	"s" "%.1f" "$(secs "$tc")"

# --- concentrator 1 dies; its devices register at 2 and 3 ------------------------
CONV=() CONVR=() HCH=() HREG=() BCPU=() CHURN=() BACK=() GONE=()
for ((run = 1; run <= RUNS; run++)); do
	MON_PIDS=""
	for k in 2 3; do monitor "${CL_CNS[k]}" "$T_TMP/mon-c$k.log"; done
	monitor "$CL_CORE" "$T_TMP/mon-core.log"
	sleep 0.5
	h0=$(cpu_ticks "${CL_HELPER_PID[2]}" "${CL_HELPER_PID[3]}") b0=$(bird_cpu) u0=$(bgp_updates)
	td=$(now_ms)
	cl_kill 1
	tr=$(now_ms)
	half=$((N1 / 2))
	fill 2 "$half" "$S1" &
	p2=$!
	fill 3 $((N1 - half)) $((S1 + half)) &
	p3=$!
	wait "$p2" && wait "$p3" || exit 1
	tre=$(($(now_ms) - tr))
	tconv=$(converge "$td" 0 "$CL_DEVICES") || exit 1
	h1=$(cpu_ticks "${CL_HELPER_PID[2]}" "${CL_HELPER_PID[3]}") b1=$(bird_cpu) u1=$(bgp_updates)
	sleep 1 # the last notifications into the monitors
	# shellcheck disable=SC2086
	kill $MON_PIDS
	ch=$(($(changes "$T_TMP/mon-c2.log") + $(changes "$T_TMP/mon-c3.log")))
	say "# run $run: concentrator 1 killed in $((tr - td)) ms; its $N1 devices registered at 2 and 3" \
		"in $(secs "$tre") s; the core routed all of them $(secs "$tconv") s after the death;" \
		"route changes: $ch on concentrators 2 and 3, $(changes "$T_TMP/mon-core.log") on the core;" \
		"$((u1 - u0)) BGP updates at the core from 2 and 3"
	CONV+=("$(secs "$tconv")") CONVR+=("$(secs $((tconv - (tr - td))))")
	HCH+=("$(per $((h1 - h0)) "$ch")") HREG+=("$(per $((h1 - h0)) "$N1")")
	BCPU+=("$(awk -v t=$((b1 - b0)) -v hz="$HZ" 'BEGIN { print t * 1000 / hz }')") CHURN+=("$ch")
	[ "$run" -lt "$RUNS" ] || break

	# It comes back; its devices register there again and move.
	cl_links 1 up
	if ! cl_conc_up 1 noweb || ! cl_wait 30 cl_session_up 1; then
		echo "bench: concentrator 1 did not come back" >&2
		exit 1
	fi
	t0=$(now_ms)
	fill 1 "$N1" "$S1" || exit 1
	tb=$(converge "$t0" "$N1" $((CL_DEVICES - N1))) || exit 1
	moved_out() { [ $(($(npeers 2) + $(npeers 3))) -eq $((CL_DEVICES - N1)) ]; }
	cl_wait "$CONVERGE_MAX" moved_out || { echo "bench: the moved peers were not all dropped" >&2; exit 1; }
	tg=$(($(now_ms) - t0))
	say "# run $run: concentrator 1 back; its $N1 devices registered there again: the core routed them" \
		"there after $(secs "$tb") s, concentrators 2 and 3 had dropped them after $(secs "$tg") s"
	BACK+=("$(secs "$tb")") GONE+=("$(secs "$tg")")
done
fig cl_converge "cluster: concentrator 1 dies: seconds until the core routes all $CL_DEVICES devices to a live one" \
	"s" "%.1f" "${CONV[@]}"
fig cl_converge_rereg "cluster: the same, counted from the first re-registration" "s" "%.1f" "${CONVR[@]}"
fig cl_helper_per_rereg "cluster: helper CPU per re-registration (the two live helpers)" "us" "%.1f" "${HREG[@]}"
fig cl_helper_per_change "cluster: helper CPU per kernel route change they saw" "us" "%.1f" "${HCH[@]}"
fig cl_churn "cluster: kernel route changes on the two live concentrators per failover" "changes" "%d" "${CHURN[@]}"
fig cl_bird_cpu "cluster: BIRD CPU, the three live routers, per failover" "ms" "%.0f" "${BCPU[@]}"
if [ "${#BACK[@]}" -gt 0 ]; then
	fig cl_move_core "cluster: $N1 devices move at once to a third concentrator: the core follows" \
		"s" "%.1f" "${BACK[@]}"
	fig cl_move_gone "cluster: the same: the two old helpers have dropped every moved peer" \
		"s" "%.1f" "${GONE[@]}"
fi
say "# BIRD's \"Kernel dropped some netlink messages\" warnings on the concentrators: $(drops)"
