#!/bin/bash
# Every libFuzzer harness (tests/fuzz/) built with clang into $B-fuzz (never
# $B) and run for FUZZ_BRIEF_SECONDS (3) over its committed seeds and
# regression cases: a crash, a broken invariant or a failed build is a
# "not ok" with the reproducer's path. Long runs: make fuzz.
. "$(dirname "$0")/../lib.sh"

# lib.sh made $B absolute; make fuzz names the tree relative. Both must
# spell it alike, or the .d files name other targets and header changes
# leave stale objects behind.
B=${B#"$TOP"/}
FUZZ_B=${FUZZ_B:-$B-fuzz}
FUZZ_B=${FUZZ_B#"$TOP"/}
log=$T_TMP/fuzz-build.log
if ! make -C "$TOP" --no-print-directory -j2 B="$B" FUZZ_B="$FUZZ_B" fuzz-build >"$log" 2>&1; then
	not_ok "fuzz harnesses build with clang -fsanitize=fuzzer,address,undefined" \
		"$(grep -E 'error|Error' "$log" | head -n 5)"
	done_testing
	exit 1
fi
ok "fuzz harnesses build with clang -fsanitize=fuzzer,address,undefined into $FUZZ_B"

# run.sh numbers its own lines; renumber them after ours.
cd "$TOP" || exit 1
FUZZ_B=$FUZZ_B FUZZ_SECONDS=${FUZZ_BRIEF_SECONDS:-3} tests/fuzz/run.sh >"$T_TMP/run.out"
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T_TMP/run.out"
done_testing
