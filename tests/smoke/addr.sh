#!/bin/bash
# autowg-addr, the operator's address tool, against the contract: the
# vectors, exit codes 0/1/2, stdout/stderr split, --help, and pools /48 to
# /120 checked against answers computed here in shell: direct-bcd by string
# arithmetic, metans with b2sum -l 128.
. "$(dirname "$0")/../lib.sh"
ADDR=$B/autowg-addr
VEC=$TOP/tests/vectors

if [ ! -x "$ADDR" ]; then
	not_ok "autowg-addr is built" "missing $ADDR"
	done_testing
	exit 1
fi

# run ARGS...: sets OUT, ERR, RC.
run() {
	"$ADDR" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# expand6 ADDR: the 32 hex nibbles of an IPv6 address written in hex groups.
expand6() {
	local a=$1 head tail n i g H=() L=() G=()
	if [[ $a == *::* ]]; then
		head=${a%%::*} tail=${a#*::}
		[ -n "$head" ] && IFS=: read -ra H <<<"$head"
		[ -n "$tail" ] && IFS=: read -ra L <<<"$tail"
		n=$((8 - ${#H[@]} - ${#L[@]}))
	else
		IFS=: read -ra H <<<"$a"
		n=0
	fi
	G=("${H[@]}")
	for ((i = 0; i < n; i++)); do G+=(0); done
	G+=("${L[@]}")
	for g in "${G[@]}"; do printf '%04x' $((16#$g)); done
}

# compress6 NIBBLES: RFC 5952 text (lowercase, no leading zeros, longest run
# of >= 2 zero groups as ::, leftmost on a tie).
compress6() {
	local h=$1 i g=() run=0 best=-1 bestlen=0 left right
	for ((i = 0; i < 8; i++)); do g+=("$(printf '%x' $((16#${h:i*4:4})))"); done
	for ((i = 0; i < 8; i++)); do
		if [ "${g[i]}" = 0 ]; then
			run=$((run + 1))
			((run > bestlen)) && { bestlen=$run; best=$((i - run + 1)); }
		else
			run=0
		fi
	done
	if ((bestlen < 2)); then
		(IFS=:; echo "${g[*]}")
		return
	fi
	left=$(IFS=:; echo "${g[*]:0:best}")
	right=$(IFS=:; echo "${g[*]:best+bestlen}")
	echo "$left::$right"
}

# bcd_want POOL NAME: the pool's first 28 nibbles, then the digits as nibbles.
bcd_want() {
	local p=${1%/*} n
	n=$(printf '%04d' "$((10#$2))")
	compress6 "$(expand6 "$p" | cut -c1-28)$n"
}

# metans_want POOL DNSNAME: b2sum -l 128 over the labels in reverse order
# joined by NUL; the digest's low (128 - len) bits fill the host bits.
metans_want() {
	local p=${1%/*} len=${1#*/} dns L=() i first=1 d pn out="" k m
	dns=$(printf '%s' "$2" | tr 'A-Z' 'a-z')
	IFS=. read -ra L <<<"$dns"
	d=$(for ((i = ${#L[@]} - 1; i >= 0; i--)); do
		[ $first = 1 ] || printf '\0'
		first=0
		printf '%s' "${L[i]}"
	done | b2sum -l 128 | cut -d' ' -f1)
	pn=$(expand6 "$p")
	for ((i = 0; i < 32; i++)); do
		k=$((len - 4 * i)) # pool bits in this nibble
		if ((k >= 4)); then
			out+=${pn:i:1}
		elif ((k <= 0)); then
			out+=${d:i:1}
		else
			m=$(((1 << (4 - k)) - 1))
			out+=$(printf '%x' $(((16#${pn:i:1} & ~m & 15) | (16#${d:i:1} & m))))
		fi
	done
	compress6 "$out"
}

# The helpers themselves, on known answers.
expect_eq "shell helper: compress6 follows RFC 5952" \
	"2001:db8::1:0:0:1 2001:db8:0:1:1:1:1:1 :: ::1 1::" \
	"$(compress6 20010db8000000000001000000000001) $(compress6 20010db8000000010001000100010001) $(compress6 00000000000000000000000000000000) $(compress6 00000000000000000000000000000001) $(compress6 00010000000000000000000000000000)"
expect_eq "shell helper: metans_want gives the example of docs/design.md" \
	"fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad" "$(metans_want fde3:25fb:7f6c:1::/64 st1234.0)"

# --- tests/vectors, through the CLI
n=0
while IFS=$'\t' read -r pool name want; do
	case $pool in '#'* | '') continue ;; esac
	n=$((n + 1))
	run --pool "$pool" -- "$name"
	if [ "$want" = error ]; then
		if [ "$RC" -eq 0 ] || [ -n "$OUT" ]; then
			not_ok "vector direct-bcd $pool $name is refused" "rc=$RC out=$OUT"
		else
			ok "vector direct-bcd $pool $name is refused (${ERR%%$'\n'*})"
		fi
	else
		expect_eq "vector direct-bcd $pool $name -> $want" "$want 0" "$OUT $RC"
	fi
done <"$VEC/direct-bcd.tsv"
[ "$n" -ge 8 ] || not_ok "direct-bcd.tsv has its cases" "read $n"

n=0
while IFS=$'\t' read -r pool tmpl name want; do
	case $pool in '#'* | '') continue ;; esac
	n=$((n + 1))
	run --pool "$pool" --converter metans --metans-template "$tmpl" --cn-pattern '(.+)' -- "$name"
	if [ "$want" = error ]; then
		if [ "$RC" -ne 1 ] || [ -n "$OUT" ]; then
			not_ok "vector metans $pool $tmpl ${name:0:20} is refused" "rc=$RC out=$OUT"
		else
			ok "vector metans $pool $tmpl ${name:0:20} is refused (${ERR%%$'\n'*})"
		fi
	else
		expect_eq "vector metans $pool $tmpl $name -> $want" "$want 0" "$OUT $RC"
	fi
done <"$VEC/metans.tsv"
[ "$n" -ge 10 ] || not_ok "metans.tsv has its cases" "read $n"

# --- pools /48 to /120 against the shell's own answers
for pool in 2001:db8::/48 2001:db8:1:200::/56 fde3:25fb:7f6c:1::/64 fd00:1:2:3:4:5::/96 \
	fd00:1:2:3:4:5:6:0/112; do
	for name in 0 7 42 0042 1234 9999 1000; do
		run --pool "$pool" "$name"
		expect_eq "direct-bcd $pool $name" "$(bcd_want "$pool" "$name") 0" "$OUT $RC"
	done
done
for pool in 2001:db8::/48 2001:db8:1:200::/56 fde3:25fb:7f6c:1::/64 fd00:1:2:3:4:5::/96 \
	fd00:1:2:3:4:5:6:0/112 fd00:1:2:3:4:5:6:700/120 2001:db8:0:8::/61 fd00::/100; do
	for name in a device-7 Hello-World-1 x.y 0 smart-toilet-1234; do
		run --pool "$pool" -c metans -r '(.+)' "$name"
		expect_eq "metans $pool $name" "$(metans_want "$pool" "$name") 0" "$OUT $RC"
	done
	run --pool "$pool" -c metans -t 'st%s.0' -r 'smart-toilet-(\d+)' smart-toilet-1234
	expect_eq "metans $pool st%s.0 smart-toilet-(\\d+)" \
		"$(metans_want "$pool" st1234.0) 0" "$OUT $RC"
	run --pool "$pool" -c metans -t '%s.Fleet.example.com' dev1
	expect_eq "metans $pool %s.Fleet.example.com dev1" \
		"$(metans_want "$pool" dev1.fleet.example.com) 0" "$OUT $RC"
done

A63=$(printf 'a%.0s' $(seq 63))
run --pool fde3:25fb:7f6c:1::/64 -c metans -t "x%s" "$A63"
expect_eq "metans: label of 64 bytes (template + name) is refused" \
	"1 autowg-addr: $A63: DNS label longer than 63 bytes" "$RC $ERR"
run --pool fde3:25fb:7f6c:1::/64 -c metans "$A63"
expect_eq "metans: label of 63 bytes is accepted" \
	"$(metans_want fde3:25fb:7f6c:1::/64 "$A63") 0" "$OUT $RC"

# --- several CNs: in order, failures only on stderr, exit 1
run --pool fde3:25fb:7f6c:1::/64 1 12a 2 10000 3
expect_eq "several CNs: good ones on stdout in order" \
	"$(printf 'fde3:25fb:7f6c:1::1\nfde3:25fb:7f6c:1::2\nfde3:25fb:7f6c:1::3')" "$OUT"
expect_eq "several CNs: exit 1 when any failed" 1 "$RC"
expect_eq "several CNs: one stderr line per failed CN" \
	"$(printf 'autowg-addr: 12a: direct-bcd name has a character other than 0-9\nautowg-addr: 10000: direct-bcd name longer than 4 digits')" "$ERR"
run --pool fde3:25fb:7f6c:1::/64 1234
expect_eq "good CN: exit 0, nothing on stderr" "0 " "$RC $ERR"

# --- the CN pattern must match the whole CN
run --pool fde3:25fb:7f6c:1::/64 1234x 12x
expect_eq "default pattern: 1234x and 12x are the names, direct-bcd refuses them" \
	"$(printf '1 autowg-addr: 1234x: direct-bcd name longer than 4 digits\nautowg-addr: 12x: direct-bcd name has a character other than 0-9')" "$RC $ERR"
run --pool fde3:25fb:7f6c:1::/64 -r 'smart-toilet-(\d+)' smart-toilet-1234 smart-toilet-1234x \
	xsmart-toilet-1234
expect_eq "pattern group 1 is the name" "fde3:25fb:7f6c:1::1234" "$OUT"
expect_eq "pattern: trailing and leading text refused" \
	"$(printf 'autowg-addr: smart-toilet-1234x: CN does not match the CN pattern\nautowg-addr: xsmart-toilet-1234: CN does not match the CN pattern')" "$ERR"
run --pool fde3:25fb:7f6c:1::/64 "$(printf '12\n34')" "12 34"
expect_eq "default pattern refuses newline and space (control byte escaped)" \
	"$(printf 'autowg-addr: 12\\x0a34: CN has a control character\nautowg-addr: 12 34: CN does not match the CN pattern')" "$ERR"
run --pool fde3:25fb:7f6c:1::/64 "$(printf '\xff')"
expect_eq "CN that is not UTF-8 refused" "1 autowg-addr: $(printf '\xff'): CN is not valid UTF-8" "$RC $ERR"

# --- bad options: exit 2, nothing on stdout
bad() {
	local name=$1 want=$2
	shift 2
	run "$@"
	if [ "$RC" -eq 2 ] && [ -z "$OUT" ] && printf '%s' "$ERR" | grep -qF -- "$want"; then
		ok "bad options: $name exits 2"
	else
		not_ok "bad options: $name exits 2" "rc=$RC out=$OUT" "err=$ERR" "want: $want"
	fi
}
bad "missing --pool" "--pool is required" 1234
bad "no CN" "no CN given" --pool fd00::/64
bad "pool with host bits" "host bits set" --pool fd00::1/64 1
bad "pool without /len" "missing /length" --pool fd00:: 1
bad "IPv4 pool" "IPv4" --pool 10.0.0.0/8 1
bad "pool /129" "prefix length" --pool fd00::/129 1
bad "unknown converter" "not direct-bcd or metans" --pool fd00::/64 --converter base32 1
bad "template without %s" "has no %s" --pool fd00::/64 -c metans -t foo 1
bad "template with two %s" "exactly one %s" --pool fd00::/64 -c metans -t '%s.%s' 1
bad "template with %d" "exactly one %s" --pool fd00::/64 -c metans -t '%s.%d' 1
bad "direct-bcd pool /120" "pool too small for direct-bcd" --pool fd00::/120 1
bad "metans pool /121" "pool too small for metans" --pool fd00::/121 -c metans 1
bad "bad regex" "bad CN pattern at offset" --pool fd00::/64 -r '(' 1
bad "unknown option" "Try 'autowg-addr --help'" --pool fd00::/64 --frobnicate 1

# --- --help and --version
run --help
if [ "$RC" -eq 0 ] && [ -z "$ERR" ]; then ok "--help exits 0 on stdout"; else not_ok "--help exits 0 on stdout" "rc=$RC err=$ERR"; fi
for opt in --pool --converter --metans-template --cn-pattern --help --version direct-bcd metans \
	'([0-9a-zA-Z]+)' 'Exit status'; do
	if printf '%s' "$OUT" | grep -qF -- "$opt"; then ok "--help explains $opt"; else not_ok "--help explains $opt"; fi
done
run --version
expect_eq "--version: the Makefile's VERSION" "0 autowg-addr $(awg_version)" "$RC $OUT"

done_testing
