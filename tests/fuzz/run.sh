#!/bin/bash
# autowg: not a test (run by "make fuzz" and tests/faults/fuzz-brief.sh)
# Run every libFuzzer harness in $FUZZ_B/fuzz/ for FUZZ_SECONDS each, one at a
# time, starting from its committed seeds and regression cases
# (tests/fuzz/corpus/<harness>/, read-only) plus what earlier runs found
# ($FUZZ_B/fuzz-out/corpus/<harness>/). One TAP line per harness:
#   ok 1 - fuzz_dn: 60 s, 7368021 runs, no crash
#   not ok 2 - fuzz_key: crash after 1234 runs, reproducer build-fuzz/fuzz-out/crashes/fuzz_key-crash-...
# Usage: tests/fuzz/run.sh [harness...]   (names like fuzz_dn; default: all)
set -u
cd "$(dirname "$0")/../.."
FUZZ_B=${FUZZ_B:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
out=$FUZZ_B/fuzz-out
mkdir -p "$out/crashes" "$out/logs"

if [ $# -gt 0 ]; then
	harnesses=()
	for h in "$@"; do harnesses+=("$FUZZ_B/fuzz/$h"); done
else
	harnesses=("$FUZZ_B"/fuzz/fuzz_*)
fi
n=0 fails=0
for bin in "${harnesses[@]}"; do
	h=$(basename "$bin")
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $h: not built ($bin)"
		fails=$((fails + 1))
		continue
	fi
	seeds=tests/fuzz/corpus/$h
	work=$out/corpus/$h
	log=$out/logs/$h.log
	mkdir -p "$work"
	dirs=("$work")
	[ -d "$seeds" ] && dirs+=("$seeds")
	opts=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$out/crashes/$h-" -close_fd_mask=1)
	[ -f "tests/fuzz/$h.dict" ] && opts+=(-dict="tests/fuzz/$h.dict")
	[ -f "tests/fuzz/$h.options" ] && read -ra extra <"tests/fuzz/$h.options" && opts+=("${extra[@]}")
	before=$(ls "$out/crashes" | grep -c "^$h-")
	start=$(date +%s)
	# new inputs go into the first directory: the scratch one, never the seeds
	timeout -k 5 $((FUZZ_SECONDS + 60)) "$bin" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	runs=${runs:-$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)}
	artifact=$(ls -t "$out"/crashes/"$h"-* 2>/dev/null | head -n 1)
	after=$(ls "$out/crashes" | grep -c "^$h-")
	if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
		echo "ok $n - $h: $secs s, ${runs:-0} runs, no crash"
		continue
	fi
	fails=$((fails + 1))
	if [ "$after" -gt "$before" ]; then
		echo "not ok $n - $h: crash after ${runs:-?} runs, reproducer $artifact"
		echo "#   reproduce: $bin $artifact"
	else
		echo "not ok $n - $h: exited with status $rc after ${runs:-?} runs"
	fi
	grep -E 'ERROR: |invariant broken|SUMMARY: ' "$log" | head -n 5 | sed 's/^/#   /'
	echo "#   log: $log"
done
echo "1..$n"
echo "# fuzz: $n harnesses, $fails failed, $FUZZ_SECONDS s each"
[ "$fails" -eq 0 ]
