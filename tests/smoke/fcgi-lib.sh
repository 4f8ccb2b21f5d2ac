#!/bin/bash
# autowg: not a test (helpers the fcgi-*.sh smoke tests source)
# A real wireguard-go interface in its own network namespace, the real
# autowg-helper managing it, autowg-fcgi under spawn-fcgi, and requests sent
# with cgi-fcgi carrying exactly the parameters a web server would set.
# shellcheck source=tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

POOL=fde3:25fb:7f6c:1::/64
ROUTE=fde3:25fb:7f6c::/48
PORT=53092
HSOCK=$T_TMP/helper.sock
FSOCK=$T_TMP/fcgi.sock
chmod 755 "$T_TMP" # the responders run as nobody and must reach the sockets

# fcgi_netns: namespace NS with interface IF (port 53092, address ::1 of the route).
fcgi_netns() {
	NS=$(uniq_name fns)
	IF=$(uniq_name wgf)
	netns_add "$NS" || return 1
	wggo_up "$NS" "$IF" || return 1
	ip netns exec "$NS" wg set "$IF" listen-port $PORT || return 1
	ip -n "$NS" addr add fde3:25fb:7f6c::1/64 dev "$IF"
}

# helper_start [FLAGS...]: the real helper on IF, socket group nogroup.
# These tests give one name new keys back to back: no --min-rekey-interval
# unless FLAGS set one (tests/wg/helper-rekey.sh tests the limit itself).
helper_start() {
	rm -f "$HSOCK"
	ip netns exec "$NS" "$B/autowg-helper" --pool $POOL --route $ROUTE \
		--endpoint vpn.example.com --socket "$HSOCK" --socket-group nogroup \
		--min-rekey-interval 0 "$@" "$IF" \
		>>"$T_TMP/helper.log" 2>&1 &
	HELPER_PID=$!
	on_exit "kill $HELPER_PID"
	wait_for 5 test -S "$HSOCK"
}

helper_stop() {
	kill "$HELPER_PID" 2>/dev/null
	wait "$HELPER_PID" 2>/dev/null
}

# fcgi_start [SOCKET [PROCS [ENV...]]]: autowg-fcgi under spawn-fcgi as nobody.
fcgi_start() {
	local sock=${1:-$FSOCK} procs=${2:-2} pidf
	shift 2 2>/dev/null || shift $#
	pidf=$sock.pid
	(umask 077 && env "$@" spawn-fcgi -s "$sock" -M 0600 -u nobody -g nogroup -F "$procs" -P "$pidf" \
		-- "$B/autowg-fcgi" --socket "$HSOCK" >>"$T_TMP/spawn.log" 2>&1) || return 1
	on_exit "kill \$(cat $pidf)"
}

# fcgi_start_fg [SOCKET]: one responder with spawn-fcgi -n, which keeps its
# stderr (forked children get /dev/null), so its log lines land in fcgi.log.
fcgi_start_fg() {
	local sock=${1:-$FSOCK}
	spawn-fcgi -n -s "$sock" -M 0600 -u nobody -g nogroup \
		-- "$B/autowg-fcgi" --socket "$HSOCK" >>"$T_TMP/fcgi.log" 2>&1 &
	on_exit "kill $!"
	wait_for 5 test -S "$sock"
}

# req [NAME=value...]: one request through cgi-fcgi; the body is $BODY.
# Sets STATUS (the number), HEADERS and RESP (the body).
# shellcheck disable=SC2034 # read by req
BODY=
req() {
	local sock=${REQ_SOCK:-$FSOCK} out=$T_TMP/resp
	printf '%s' "$BODY" | env -i REMOTE_ADDR=192.0.2.1 GATEWAY_INTERFACE=CGI/1.1 \
		SERVER_PROTOCOL=HTTP/1.1 "$@" cgi-fcgi -bind -connect "$sock" >"$out" 2>"$out.err"
	resp_parse "$out"
}

resp_parse() {
	HEADERS=$(sed -n '1,/^\r\{0,1\}$/p' "$1" | tr -d '\r')
	sed '1,/^\r\{0,1\}$/d' "$1" >"$1.body"
	RESP=$(cat "$1.body")
	STATUS=$(printf '%s\n' "$HEADERS" | sed -n 's/^Status: \([0-9]*\) .*/\1/p')
}

# register CN KEY [NAME=value...]: a verified registration with the DN of CN.
register() {
	local cn=$1
	BODY=$2
	shift 2
	req REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS \
		"SSL_CLIENT_S_DN=CN=$cn,O=autowg test" CONTENT_LENGTH=${#BODY} "$@"
}

dump() { ip netns exec "$NS" wg show "$IF" dump; }
# peers: "key allowed-ips" per peer, sorted
peers() { dump | tail -n +2 | awk '{print $1, $4}' | sort; }
newkey() { wg genkey | wg pubkey; }

# expect_status NAME WANT: with the answer's first line on failure.
expect_status() {
	if [ "$STATUS" = "$2" ]; then ok "$1"; else not_ok "$1" "want status $2, got ${STATUS:-none}: $RESP"; fi
}
