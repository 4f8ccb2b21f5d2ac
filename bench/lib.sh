#!/bin/bash
# autowg bench: not a test. Shared by bench/run.sh: figures (median, min,
# max of several runs), CPU and memory of processes from /proc, wrk runs.

# Every figure line goes to stdout and to $RESULTS; FIG[name] keeps the
# median for the goals at the end.
declare -A FIG
say() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# stats V...: "median min max" (median of an even count: mean of the middle two).
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan nan nan"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}

# fig KEY LABEL UNIT FMT V...: one line "LABEL: MED UNIT (min MIN, max MAX, N runs)".
fig() {
	local key=$1 label=$2 unit=$3 fmt=$4 med min max
	shift 4
	read -r med min max <<<"$(stats "$@")"
	FIG[$key]=$med
	if [ $# -eq 1 ]; then
		say "$(printf "%s: $fmt %s (1 run)" "$label" "$med" "$unit")"
	else
		say "$(printf "%s: $fmt %s (min $fmt, max $fmt, %d runs)" "$label" "$med" "$unit" \
			"$min" "$max" $#)"
	fi
}

# cpu_ticks PID...: utime+stime of the processes, in clock ticks (fields 14
# and 15 of /proc/PID/stat, counted after the ")" that ends the name).
cpu_ticks() {
	local p t=0 f
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		f=$(sed 's/.*) //' "/proc/$p/stat") || continue
		set -- $f
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# rss_kb PID [FIELD]: VmRSS (or RssAnon, RssFile, RssShmem) in kB.
rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f { print $2 }' "/proc/$1/status"; }

# ms_of NS: nanoseconds to milliseconds with one decimal.
ms_of() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }

# wrk_run URL CONC CLOSE FLEET PREFIX START: one wrk run of $DUR seconds,
# measuring the CPU of the process groups AUTOWG_PIDS, NGINX_PIDS, WG_PIDS
# OTHER_PIDS and HELPER_PIDS (a part of AUTOWG_PIDS) around it. Sets W_RATE (successful registrations per
# second), W_P50 and W_P99 (ms), W_OK, W_ERR and W_CPU_{AUTOWG,NGINX,WG,OTHER}
# W_CPU_HELPER and W_CPU_WRK (microseconds of CPU per successful registration).
wrk_run() {
	local url=$1 conc=$2 close=$3 fleet=$4 prefix=$5 start=$6 threads=2 out
	local a0 n0 w0 o0 h0 a1 n1 w1 o1 h1 line
	[ "$conc" -lt 2 ] && threads=1
	a0=$(cpu_ticks $AUTOWG_PIDS) n0=$(cpu_ticks $NGINX_PIDS)
	w0=$(cpu_ticks $WG_PIDS) o0=$(cpu_ticks $OTHER_PIDS) h0=$(cpu_ticks $HELPER_PIDS)
	# "times" in the subshell: the CPU of wrk itself, the client that
	# shares the 2 cores (TLS handshakes cost it as much as nginx).
	out=$(CLOSE=$close FLEET=$fleet PREFIX=$prefix START=$start THREADS=$threads \
		wrk -t"$threads" -c"$conc" -d"${DUR}s" --timeout 10s -s bench/register.lua "$url" 2>&1
		times >"$T_TMP/times" # not in a pipe: the pipe's subshell has no children
		awk 'NR == 2 { gsub(/[ms]/, " "); print "WRKCPU", $1 * 60 + $2 + $3 * 60 + $4 }' \
			"$T_TMP/times")
	a1=$(cpu_ticks $AUTOWG_PIDS) n1=$(cpu_ticks $NGINX_PIDS)
	w1=$(cpu_ticks $WG_PIDS) o1=$(cpu_ticks $OTHER_PIDS) h1=$(cpu_ticks $HELPER_PIDS)
	printf '%s\n' "$out" >>"$LOG/wrk.log"
	line=$(printf '%s\n' "$out" | grep '^BENCH ')
	if [ -z "$line" ]; then
		echo "bench: wrk failed: $out" >&2
		W_RATE=0 W_P50=0 W_P99=0 W_OK=0 W_ERR=1
		W_CPU_AUTOWG=0 W_CPU_NGINX=0 W_CPU_WG=0 W_CPU_OTHER=0 W_CPU_HELPER=0
		return 1
	fi
	eval "$(printf '%s\n' "$line" | sed 's/^BENCH //; s/\([a-z_0-9]*\)=\([0-9]*\)/local r_\1=\2;/g')"
	W_ERR=$r_errors
	W_OK=$((r_requests - r_errors))
	[ "$W_OK" -lt 1 ] && W_OK=1
	W_RATE=$(awk -v n="$W_OK" -v d="$r_duration_us" 'BEGIN { printf "%.0f", n * 1e6 / d }')
	W_P50=$(awk -v u="$r_p50_us" 'BEGIN { printf "%.2f", u / 1000 }')
	W_P99=$(awk -v u="$r_p99_us" 'BEGIN { printf "%.2f", u / 1000 }')
	per_reg() { awk -v t="$1" -v hz="$HZ" -v n="$W_OK" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'; }
	W_CPU_AUTOWG=$(per_reg $((a1 - a0)))
	W_CPU_NGINX=$(per_reg $((n1 - n0)))
	W_CPU_WG=$(per_reg $((w1 - w0)))
	W_CPU_OTHER=$(per_reg $((o1 - o0)))
	W_CPU_HELPER=$(per_reg $((h1 - h0)))
	W_CPU_WRK=$(printf '%s\n' "$out" | awk -v n="$W_OK" '$1 == "WRKCPU" { printf "%.1f", $2 * 1e6 / n }')
	[ "$W_ERR" -eq 0 ] || echo "bench: $W_ERR errors in $url c=$conc" >&2
	return 0
}

# nginx_counts: "accepts requests" from stub_status.
nginx_counts() {
	curl -s "http://127.0.0.1:$STATUS_PORT/" | awk 'NR == 3 { print $1, $3 }'
}
