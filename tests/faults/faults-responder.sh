#!/bin/bash
# Faults on the responders' side of the helper:
# (c) the helper's socket missing, the helper stopped, killed or frozen: the
#     responders answer 503 within a second; responders killed with SIGKILL
#     and respawned, again and again: the helper is unaffected;
# (d) a responder taken over (awg-call raw, hostile-responder.py): short,
#     long, wrong type, unterminated strings, huge values, non-zero reserved,
#     passed descriptors, floods, a client that never reads: the helper keeps
#     serving honest responders, measured by honest registrations through
#     autowg-fcgi during and after each.
# shellcheck source=tests/faults/faults-lib.sh
. "$(dirname "$0")/faults-lib.sh"

HOSTILE=$TOP/tests/clients/hostile-responder.py
fcgi_netns || { not_ok "set up namespace and wireguard-go"; done_testing; exit 1; }
statics_add
helper_start && fcgi_start "$FSOCK" 4 && wait_for 5 test -S "$FSOCK" ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
K1234=$(newkey)
register 1234 "$K1234"

# all_503 NAME: 8 registrations, every one 503 within a second.
all_503() {
	local i bad=
	for i in 1 2 3 4 5 6 7 8; do
		BODY=$(newkey)
		freq REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS \
			SSL_CLIENT_S_DN=CN=$((100 + i)) CONTENT_LENGTH=44
		[ "$STATUS" = 503 ] && [ "$TOOK" -lt 1000 ] || bad="$bad [$STATUS in $TOOK ms: $RESP]"
	done
	if [ -z "$bad" ]; then ok "$1: 503 within a second, 8 of 8"; else not_ok "$1: 503 within a second" "$bad"; fi
}
# all_200 NAME: 8 honest registrations.
all_200() {
	local i bad=
	for i in 1 2 3 4 5 6 7 8; do honest $((10 + i)) || bad="$bad [$STATUS: $RESP]"; done
	if [ -z "$bad" ]; then ok "$1: 8 honest registrations answered 200"; else not_ok "$1: honest registrations" "$bad"; fi
}
respawn() {
	# shellcheck disable=SC2046 # one pid a line
	kill -KILL $(cat "$FSOCK.pid") 2>/dev/null
	sleep 0.1
	fcgi_start "$FSOCK" 4 && wait_for 5 test -S "$FSOCK"
}

# --- (c) the helper away ----------------------------------------------------------------
helper_stop
all_503 "helper stopped (SIGTERM, socket removed)"
helper_start
all_200 "helper started again"
kill -KILL "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null
check "SIGKILL leaves the socket file behind" test -S "$HSOCK"
all_503 "helper killed (SIGKILL, stale socket file)"
helper_start
all_200 "helper started over the stale socket"
kill -STOP "$HELPER_PID"
on_exit "kill -CONT $HELPER_PID"
all_503 "helper frozen (SIGSTOP)"
kill -CONT "$HELPER_PID"
sleep 0.2
all_200 "helper thawed (SIGCONT)"
rm -f "$HSOCK"
respawn
all_503 "helper running, its socket file removed, responders respawned"
helper_stop
: >"$HSOCK"
all_503 "a regular file where the helper's socket should be"
rm -f "$HSOCK"
helper_start
all_200 "helper started again"

# The helper restarted ten times under the same responders: they reconnect
# each time and keep no old table mapping or descriptor behind.
rfds() { # descriptors and memfd mappings of every responder
	local p n=0 m=0
	for p in $(cat "$FSOCK.pid"); do
		n=$((n + $(ls "/proc/$p/fd" | wc -l)))
		m=$((m + $(grep -c memfd "/proc/$p/maps")))
	done
	echo "$n descriptors, $m table mappings"
}
"$FCALL" "$FSOCK" load 16 200 100 4000 "$PFX" >/dev/null
r0=$(rfds)
for _ in $(seq 10); do
	helper_stop
	helper_start
	"$FCALL" "$FSOCK" load 16 200 100 4000 "$PFX" >"$T_TMP/restart.out" ||
		not_ok "registrations after a helper restart" "$(cat "$T_TMP/restart.out")"
done
expect_eq "ten helper restarts: the responders hold what they held before ($r0)" "$r0" "$(rfds)"

# Responders killed with SIGKILL in the middle of a load, five times over.
# The helper's descriptors are counted with every responder connected.
hfds() { ls "/proc/$HELPER_PID/fd" | wc -l; }
"$FCALL" "$FSOCK" load 16 400 100 4000 "$PFX" >/dev/null
fds0=$(hfds)
lines0=$(wc -l <"$T_TMP/helper.log")
for round in 1 2 3 4 5; do
	"$FCALL" "$FSOCK" load 16 0 100 4000 "$PFX" duration=600 ok503 >"$T_TMP/kill.out" 2>&1 &
	LPID=$!
	sleep 0.3
	respawn
	wait "$LPID"
	grep -q '(0 failed)' "$T_TMP/kill.out" || not_ok "round $round: only whole answers" "$(cat "$T_TMP/kill.out")"
done
sleep 0.2 # the helper sees the hang-ups
all_200 "responders killed with SIGKILL and respawned 5 times under load: the helper serves"
check "... the same helper process" kill -0 "$HELPER_PID"
fds1=$(hfds)
check "... no leaked connections: helper descriptors $fds0 before, $fds1 after" test "$fds1" -le "$fds0"
# A responder killed while its request was served costs the helper one
# failed reply ("dropped: Broken pipe"); anything else would be news.
expect_eq "... and no other connection trouble in its log (no eviction, no accept error)" "" \
	"$(tail -n +"$((lines0 + 1))" "$T_TMP/helper.log" | grep -E 'connection|accept|descriptor' |
		grep -vE 'dropped: (Broken pipe|Connection reset by peer)$' | head -n 3)"

# --- (d) a hostile responder -------------------------------------------------------------
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
zeros() { [ "$1" -gt 0 ] && printf "%0$(($1 * 2))d" 0; }
hexstr() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
KEYHEX=$(printf '22%.0s' $(seq 32))
# reg CN_FIELD_HEX [RESERVED] [KEYHEX]: a MSG_REGISTER with the CN field as given, zero-padded.
reg() { echo "$(le32 2)$(le32 "${2:-0}")$1$(zeros $((256 - ${#1} / 2)))${3:-$KEYHEX}"; }
REFRESH="$(le32 4)$(le32 0)"
d0=$(dump_stable)
# raw NAME WANT_LAST HEX...: awg-call raw; the last packet's outcome is WANT_LAST;
# then an honest registration through the responders works.
raw() {
	local name=$1 want=$2 out last
	shift 2
	out=$("$ACALL" "$HSOCK" raw "$@" 2>&1)
	last=$(printf '%s\n' "$out" | tail -n 1)
	if [ "$last" = "packet $#: $want" ] && kill -0 "$HELPER_PID" && honest 42; then
		ok "$name: $want; an honest registration then: 200"
	else
		not_ok "$name" "want packet $#: $want, then an honest 200" "got: $out / honest: $STATUS $RESP"
	fi
}
raw "3-byte packet" closed 020000
raw "type only (4 bytes)" closed "$(le32 2)"
raw "MSG_REGISTER header only (8 bytes)" closed "$(le32 2)$(le32 0)"
raw "MSG_REGISTER of 4096 bytes" closed "$(reg "$(hexstr 7)")$(zeros 3800)"
raw "MSG_REFRESH of MSG_REGISTER's size" closed "$(le32 4)$(le32 0)$(zeros 288)"
raw "MSG_REGISTER_REPLY sent to the helper" closed "$(le32 3)$(zeros 212)"
raw "type 0" closed "$(le32 0)$(le32 0)"
raw "type 0xffffffff (huge)" closed "$(le32 4294967295)$(zeros 292)"
raw "type 0x80000002 (register with the top bit)" closed "$(reg "$(hexstr 7)" | sed 's/^02000000/02000080/')"
raw "reserved 0xffffffff in MSG_REGISTER" closed "$(reg "$(hexstr 7)" 4294967295)"
raw "reserved 0x80000000 in MSG_REFRESH" closed "$(le32 4)$(le32 2147483648)"
raw "CN field of 256 bytes, no NUL (unterminated)" closed "$(reg "$(printf '37%.0s' $(seq 256))")"
raw "CN with a byte after its NUL (not zero-padded)" closed "$(reg "$(hexstr 7)00$(zeros 253)01")"
raw "empty CN: refused with a reply" "reply type 3, 256 bytes" "$(reg "")"
raw "CN with a newline: refused with a reply" "reply type 3, 256 bytes" "$(reg "$(hexstr 12)0a$(hexstr 34)")"
raw "CN not UTF-8: refused with a reply" "reply type 3, 256 bytes" "$(reg "$(hexstr 12)ff")"
raw "all-zero key: refused with a reply" "reply type 3, 256 bytes" "$(reg "$(hexstr 77)" 0 "$(zeros 32)")"
pipelined=()
for _ in $(seq 50); do pipelined+=("$REFRESH"); done
raw "50 good requests, then a short one" closed "${pipelined[@]}" 0400
expect_eq "raw frames: the interface changed only by the honest registrations" "" \
	"$(diff <(echo "$d0") <(dump_stable) | grep '^[<>]' | grep -v 'fde3:25fb:7f6c:1::42/128')"

# hostile NAME WANT_REGEX ARGS...: hostile-responder.py, then an honest registration.
hostile() {
	local name=$1 re=$2 out
	shift 2
	out=$(timeout 60 python3 "$HOSTILE" "$HSOCK" "$@" 2>&1)
	if printf '%s' "$out" | grep -qE -- "$re" && kill -0 "$HELPER_PID" && honest 42; then
		ok "$name ($out); an honest registration then: 200"
	else
		not_ok "$name" "want /$re/, then an honest 200" "got: $out / honest: $STATUS $RESP"
	fi
}
fds0=$(hfds)
hostile "a 65536-byte packet" "^bigpkt 65536: closed" bigpkt 65536
hostile "a 200000-byte packet" "^bigpkt 200000: closed" bigpkt 200000
hostile "1000 garbage packets back to back" "^burst: [0-9]+ sent, then closed" burst 1000
hostile "a client that never reads its replies is dropped" "^nonreader: dropped" nonreader 200000
hostile "descriptors passed with requests (50 x 250)" "^fds: reply 8 bytes x50$" fds 50 250
hostile "5000 connections opened and closed, hello unread" "^churn: 5000 of 5000" churn 5000
hostile "300 connections of random bytes" "^random: closed x[0-9]+(, reply 256 bytes x[0-9]+)?$" random 300 7
sleep 0.2
fds1=$(hfds)
check "no descriptor leaked to the helper: $fds0 before, $fds1 after" test "$fds1" -le "$fds0"
expect_match "a client that does not read is logged as such" "does not read its replies" "$(cat "$T_TMP/helper.log")"

# A flood of 2000 held connections: honest registrations during and after.
"$ACALL" "$HSOCK" flood 2000 >"$T_TMP/flood.out" 2>&1 &
FPID=$!
on_exit "kill $FPID"
wait_for 60 grep -q '^flood:' "$T_TMP/flood.out"
all_200 "during a flood of 2000 held connections ($(cat "$T_TMP/flood.out"))"
kill "$FPID"
wait "$FPID" 2>/dev/null
all_200 "after the flood"

# Everything hostile at once, while honest clients register through the responders.
(
	python3 "$HOSTILE" "$HSOCK" churn 20000 &
	python3 "$HOSTILE" "$HSOCK" random 2000 11 &
	python3 "$HOSTILE" "$HSOCK" burst 5000 &
	python3 "$HOSTILE" "$HSOCK" nonreader 200000 &
	"$ACALL" "$HSOCK" flood 1500 &
	sleep 4
	# shellcheck disable=SC2046 # one pid a word
	kill $(jobs -p) 2>/dev/null
) >"$T_TMP/mix.out" 2>&1 &
MPID=$!
on_exit "kill $MPID"
sleep 0.5
out=$("$FCALL" "$FSOCK" load 16 0 100 5000 "$PFX" duration=3000)
rc=$?
wait "$MPID"
if [ "$rc" = 0 ]; then ok "honest load beside every hostile client at once: every answer 200 ($out)"; else
	not_ok "honest load beside every hostile client at once: every answer 200" "$out"; fi
check "the helper survived it all" kill -0 "$HELPER_PID"
expect_eq "static peers untouched" "$(printf '%s\n' "$d0" | grep -F "$STATICS")" "$(dump_stable | grep -F "$STATICS")"
expect_eq "the table equals the interface" "$(dynamic_peers | sort)" "$(table_entries)"
done_testing
