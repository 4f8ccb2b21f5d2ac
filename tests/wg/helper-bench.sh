#!/bin/bash
# Registration latency through autowg-helper and real wireguard-go, at 100
# and at 20,000 existing peers. Prints "# " lines with the medians.
. "$(dirname "$0")/helper-lib.sh"

BENCH_N=${BENCH_N:-300}	  # registrations timed at each size
FILL=${BENCH_FILL:-20000} # existing peers for the large case

hl_setup
check "helper starts (metans, table of $((FILL + 2 * BENCH_N + 200)))" start_helper \
	--converter metans --max-peers $((FILL + 2 * BENCH_N + 200))

# bench NAME N PREFIX: N registrations of fresh names, each must answer 200.
bench() {
	local out
	out=$(call bench "$2" "$3")
	if [ $? -eq 0 ]; then ok "$1: $out"; else not_ok "$1" "$out"; fi
	LAST=$(printf '%s' "$out" | sed -n 's/.*median \([0-9.]*\) us.*/\1/p')
}

# fill NAME N PREFIX: N registrations of fresh names from 64 connections at
# once (the helper takes them in batches, as a fleet restarting).
fill() {
	local out
	if out=$(call fill "$2" "$3"); then ok "$1: $out"; else not_ok "$1" "$out"; fi
}

bench "fill to 100 peers" 100 filla
bench "$BENCH_N registrations at 100 existing peers" "$BENCH_N" small
small=$LAST
t0=$(date +%s)
fill "fill to $FILL peers" $((FILL - 100 - BENCH_N)) fillb
echo "# filling $((FILL - 100 - BENCH_N)) peers, 64 at a time, took $(($(date +%s) - t0)) s"
bench "$BENCH_N registrations at $FILL existing peers" "$BENCH_N" large
large=$LAST
expect_eq "the interface holds every registered peer" $((FILL + BENCH_N)) \
	"$(dump | tail -n +2 | wc -l)"
sleep 1.1
t0=$(date +%s%N)
expect_eq "stats refresh at $((FILL + BENCH_N)) peers" ok "$(call refresh)"
echo "# refresh (one dump of $((FILL + BENCH_N)) peers) took $((($(date +%s%N) - t0) / 1000000)) ms"
echo "# median registration through the helper (userspace, wireguard-go): ${small} us at 100 peers, ${large} us at $FILL peers"
check "helper stops (SIGTERM, exit 0)" stop_helper

# A restart on the full interface flushes every pool peer and only those.
SK=$(newkey)
wgx set "$IF" peer "$SK" allowed-ips fde3:25fb:7f6c:2::/64,fde3:25fb:7f6c:3::1/128
t0=$(date +%s%N)
check "restart on $((FILL + BENCH_N + 1)) peers" start_helper --converter metans
echo "# start-up flush of $((FILL + BENCH_N)) peers took $((($(date +%s%N) - t0) / 1000000)) ms (start to serving)"
expect_eq "the flush leaves exactly the static peer" "$SK fde3:25fb:7f6c:2::/64,fde3:25fb:7f6c:3::1/128" \
	"$(dump | awk -F'\t' 'NR > 1 { print $1, $4 }')"
expect_match "the flush is logged" "flushed $((FILL + BENCH_N)) peers from the pool" "$(cat "$HLOG")"
check "helper stops (SIGTERM, exit 0)" stop_helper
done_testing
