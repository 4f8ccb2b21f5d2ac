#!/bin/bash
# autowg: not a test (helpers tests/faults/*.sh source)
# On top of tests/smoke/fcgi-lib.sh (a wireguard-go interface in a namespace,
# the real helper, autowg-fcgi under spawn-fcgi): the FastCGI client
# fcgi-call (many requests without a fork each), awg-call, and the
# interface's state without the columns that move by themselves.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../smoke/fcgi-lib.sh"

FCALL=$B/tests/clients/fcgi-call
ACALL=$B/tests/clients/awg-call
# shellcheck disable=SC2034 # PFX, TOOK: read by the scripts that source this
PFX=fde3:25fb:7f6c:1:: # the pool's addresses are PFX<name> under direct-bcd
for f in "$B/autowg-helper" "$B/autowg-fcgi" "$FCALL" "$ACALL"; do
	[ -x "$f" ] || { not_ok "$f is built"; done_testing; exit 1; }
done

# dump_stable: `wg show IF dump` without handshake and transfer columns,
# peers sorted (wireguard-go lists them in no fixed order).
dump_stable() {
	dump | awk -F'\t' 'NR == 1 { print; next } { print $1, $2, $3, $4, $8 | "sort" }'
}
# statics_add: two static peers (outside the route; in the route, outside
# the pool) that nothing may touch; their keys in $STATICS.
statics_add() {
	S1=$(newkey) S2=$(newkey)
	ip netns exec "$NS" wg set "$IF" peer "$S1" allowed-ips fd00:99::7/128,10.9.0.1/32 \
		peer "$S2" allowed-ips fde3:25fb:7f6c:2::/64
	STATICS="$S1
$S2"
}
# dynamic_peers: "key allowed-ips" of every peer but the static ones.
dynamic_peers() { peers | grep -vF "$STATICS"; }
# static_peers: the static peers as they are now.
static_peers() { peers | grep -F "$STATICS"; }
# table_entries: "key addr/128" of every entry of the helper's shared table.
table_entries() { "$ACALL" "$HSOCK" table | awk '$1 == "entry" { print $4, $3 "/128" }' | sort; }
# freq [NAME=value...]: one request through fcgi-call; body $BODY; like req,
# and TOOK: the request's milliseconds from connect to its end, as fcgi-call
# measured them (its own start-up, slow under the sanitizers, left out).
freq() {
	printf '%s' "$BODY" >"$T_TMP/req.body"
	FCGI_CALL_TIMING=1 "$FCALL" "${REQ_SOCK:-$FSOCK}" req REMOTE_ADDR=192.0.2.1 \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 "$@" <"$T_TMP/req.body" \
		>"$T_TMP/resp" 2>"$T_TMP/resp.err"
	# shellcheck disable=SC2034
	TOOK=$(sed -n 's/^fcgi-call: took \([0-9]*\) ms$/\1/p' "$T_TMP/resp.err")
	TOOK=${TOOK:-99999}
	resp_parse "$T_TMP/resp"
}
# honest CN: one verified registration with a fresh key through the responders.
honest() { register "$1" "$(newkey)"; [ "$STATUS" = 200 ]; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# expect_line NAME LINE TEXT: TEXT has exactly LINE as one of its lines.
expect_line() {
	if printf '%s\n' "$3" | grep -qFx -- "$2"; then ok "$1"; else not_ok "$1" "want line: $2" "got: $3"; fi
}
