#!/bin/bash
# Request bodies that arrive slowly, as a web server that streams bodies
# (Caddy without buffer_requests) passes on a slow client's: one responder
# under spawn-fcgi, fcgi-call sending the body a byte at a time. The body
# has a deadline (3 s from the start of the request: 408), and after an
# early answer the responder drains at most 250 ms of what is still coming:
# no client can hold a responder longer than that. And as plain CGI, where
# the body is stdin.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

FCALL=$B/tests/clients/fcgi-call
BODY_DEADLINE_MS=3000 # FCGI_BODY_TIMEOUT_MS
DRAIN_MS=250          # FCGI_DRAIN_TIMEOUT_MS

fcgi_netns && helper_start && fcgi_start "$FSOCK" 1 && wait_for 5 test -S "$FSOCK" ||
	{ not_ok "start helper and one responder" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

# slow MS NAME=value...: one request whose body ($BODY) comes a byte every MS.
slow() {
	local ms=$1
	shift
	printf '%s' "$BODY" >"$T_TMP/req.body"
	FCGI_CALL_SLOW_STDIN_MS=$ms FCGI_CALL_TIMING=1 "$FCALL" "$FSOCK" req REMOTE_ADDR=192.0.2.1 \
		"$@" <"$T_TMP/req.body" >"$T_TMP/resp" 2>"$T_TMP/resp.err"
	TOOK=$(sed -n 's/^fcgi-call: took \([0-9]*\) ms$/\1/p' "$T_TMP/resp.err")
	TOOK=${TOOK:-99999}
	resp_parse "$T_TMP/resp"
}
ms() { echo $(($(date +%s%N) / 1000000)); }
REG="REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS"
# took_between NAME LO HI: the last request took LO..HI ms.
took_between() {
	if [ "$TOOK" -ge "$2" ] && [ "$TOOK" -le "$3" ]; then ok "$1 ($TOOK ms)"; else
		not_ok "$1" "took $TOOK ms, want $2..$3; answer: $STATUS $RESP $(cat "$T_TMP/resp.err")"; fi
}

K=$(newkey)
register 1234 "$K"
expect_status "a registration with its body at once: 200" 200
before=$(peers)

# A whole key, a byte every 500 ms: 22 s if the responder waited for it.
BODY=$(newkey)
# shellcheck disable=SC2086
slow 500 $REG SSL_CLIENT_S_DN=CN=77 CONTENT_LENGTH=44
expect_status "a body a byte every 500 ms: 408" 408
expect_match "... with a one-line reason" '^request body not received within 3 s$' "$RESP"
took_between "... at the body's deadline, not before it and not long after" \
	$((BODY_DEADLINE_MS - 100)) $((BODY_DEADLINE_MS + 700))
expect_eq "... and the interface is unchanged" "$before" "$(peers)"

# Slower than the deadline from the first byte on.
BODY=$(newkey)
# shellcheck disable=SC2086
slow 4000 $REG SSL_CLIENT_S_DN=CN=77 CONTENT_LENGTH=44
expect_status "no byte of the body within the deadline: 408" 408
took_between "... at the deadline" $((BODY_DEADLINE_MS - 100)) $((BODY_DEADLINE_MS + 700))

# Just in time: the whole body (44 bytes a record each, 50 ms apart) within
# 2.2 s is accepted.
BODY=$K
# shellcheck disable=SC2086
slow 50 $REG SSL_CLIENT_S_DN=CN=1234 CONTENT_LENGTH=44
expect_status "a body that trickles in within the deadline: 200" 200

# Early answers with a body still coming: the 403 (no verified identity) and
# the 404 are answered before the body is read; the responder then drains
# at most DRAIN_MS of it and ends the request.
BODY=$(head -c 200 /dev/zero | tr '\0' A)
slow 50 REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=200
expect_status "an early 403 with 200 bytes still coming a byte every 50 ms" 403
took_between "... the request ends after the bounded drain" 0 $((DRAIN_MS + 700))
# shellcheck disable=SC2086
slow 50 REQUEST_METHOD=POST REQUEST_URI=/v1/nothing SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=1234 CONTENT_LENGTH=200
expect_status "an early 404 with 200 bytes still coming" 404
took_between "... the request ends after the bounded drain" 0 $((DRAIN_MS + 700))

# The one responder is free again at once.
t0=$(ms)
register 1234 "$K"
t1=$(ms)
expect_status "after the slow bodies the responder serves at once: 200" 200
check "... in under a second ($((t1 - t0)) ms with cgi-fcgi's start)" test $((t1 - t0)) -lt 1000

# Three slow bodies at once against the one responder: each is cut at its
# deadline, one after the other, never longer.
pids=()
for i in 1 2 3; do
	(
		printf '%s' "$(newkey)" | FCGI_CALL_SLOW_STDIN_MS=500 FCGI_CALL_TIMING=1 "$FCALL" "$FSOCK" req \
			REMOTE_ADDR=192.0.2.$i REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS \
			SSL_CLIENT_S_DN=CN=7$i CONTENT_LENGTH=44 >"$T_TMP/par$i" 2>&1
	) &
	pids+=($!)
done
t0=$(ms)
wait "${pids[@]}"
t1=$(ms)
n408=$(grep -l '^Status: 408' "$T_TMP"/par? | wc -l)
expect_eq "three slow bodies at once: each answered 408" 3 "$n408"
check "... all three within 3 deadlines and a second ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -le $((3 * BODY_DEADLINE_MS + 1000))
expect_eq "... and the interface is unchanged" "$before" "$(peers)"

# Plain CGI: the body is stdin, and a web server that never closes it gets
# 408 at the deadline too.
cgi_slow() {
	{ printf 'AAAA'; sleep 6; } | env -i REMOTE_ADDR=192.0.2.1 GATEWAY_INTERFACE=CGI/1.1 \
		REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=77 \
		CONTENT_LENGTH=44 setpriv --reuid nobody --regid nogroup --clear-groups "$B/autowg-fcgi" \
		--socket "$HSOCK" >"$T_TMP/cgi.resp" 2>"$T_TMP/cgi.err"
}
timeout 10 bash -c "$(declare -f cgi_slow); T_TMP=$T_TMP B=$B HSOCK=$HSOCK cgi_slow"
resp_parse "$T_TMP/cgi.resp"
expect_status "CGI, a body that stops coming: 408" 408
done_testing
