#!/bin/bash
# contrib/autowg-client against answers it must check: a real nginx (TLS,
# client certificate sent) answers each URL with one crafted body; the client
# runs under busybox ash and under bash. A good answer configures the device;
# every bad one exits non-zero with a clear message and leaves the device's
# previous configuration exactly as it was. When the server's route changes,
# the route the client installed before goes and nobody else's route does;
# a configuration without ifname makes the interface "autowg", as the
# original client did. With several URLs in api_endpoint, the client moves
# on past a dead port, a connection that times out and a 5xx, never past a
# 4xx, and tries them in order or from a random start.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/pki.sh"

NS=$(uniq_name awt)
IFN=$(uniq_name awt)
D=$T_TMP/client
PORT=51820
SRVKEY=$(wg genkey | wg pubkey)
ROUTE=fde3:25fb:7f6c::/48
IP=fde3:25fb:7f6c:1::1234
GOOD="endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n"
SRVKEY2=$(wg genkey | wg pubkey)
ROUTE2=fde3:25fb:7f00::/40 # holds $IP too
OPROUTE=fd99:1::/64        # the operator's own route on the device's interface
DEFAULT_IF=autowg          # the original client's interface name
# answer [FIELD=VALUE...]: the good answer with those fields changed, in
# nginx's "\n" notation.
answer() {
	local endpoint=vpn.test:$PORT pubkey=$SRVKEY route=$ROUTE ip=$IP keepalive=25 kv
	for kv in "$@"; do local "$kv"; done
	printf 'endpoint=%s\\npubkey=%s\\nroute=%s\\nip=%s\\nkeepalive=%s\\n' \
		"$endpoint" "$pubkey" "$route" "$ip" "$keepalive"
}
# The device's own network, beside the tunnel: a LAN address and its /64.
LAN_ADDR=2001:db8:5::7
ESC=$'\033' BEL=$'\007' CSI8=$'\xc2\x9b'

# name|status|body|message the client must print (ERE); body uses \n escapes
# as nginx's return does.
BAD_CASES=(
	"no-keepalive|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\n|no keepalive"
	"no-pubkey|200|endpoint=vpn.test:$PORT\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|no pubkey"
	"empty|200||no endpoint"
	"twice|200|${GOOD}ip=fde3:25fb:7f6c:1::1235\n|ip given twice"
	"key-short|200|endpoint=vpn.test:$PORT\npubkey=${SRVKEY:4}\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|pubkey is not"
	"key-33-bytes|200|endpoint=vpn.test:$PORT\npubkey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|pubkey is not"
	"key-noncanonical|200|endpoint=vpn.test:$PORT\npubkey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|pubkey is not"
	"key-not-base64|200|endpoint=vpn.test:$PORT\npubkey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*A=\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|pubkey is not"
	"ip-outside|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=fde3:25fb:7f6d::1\nkeepalive=25\n|outside route"
	"ip-outside-bit|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=fde3:25fb:7f6c:8000::/49\nip=$IP\nkeepalive=25\n|outside route"
	"ip-prefixlen|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP/64\nkeepalive=25\n|ip has a prefix"
	"ip-garbage|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=fde3::1::2\nkeepalive=25\n|ip is not"
	"ip-v4|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=10.0.0.1\nkeepalive=25\n|ip is not"
	"route-129|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=fde3:25fb:7f6c::/129\nip=$IP\nkeepalive=25\n|route is not"
	"route-nolen|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=fde3:25fb:7f6c::\nip=$IP\nkeepalive=25\n|route is not"
	"endpoint-noport|200|endpoint=vpn.test\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|endpoint is not"
	"endpoint-port0|200|endpoint=vpn.test:0\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|endpoint is not"
	"endpoint-port-big|200|endpoint=vpn.test:65536\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|endpoint is not"
	"endpoint-shell|200|endpoint=vpn.test;reboot:1\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|endpoint is not"
	"endpoint-v6-nobrackets|200|endpoint=fde3::1:51820\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n|endpoint is not"
	"keepalive-word|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25s\n|keepalive is not"
	"status-403|403|no verified client certificate\n|HTTP 403: no verified client certificate"
	"status-409|409|conflict: key belongs to another peer\n|HTTP 409: conflict"
	"status-503|503|helper unavailable\n|HTTP 503"
	# A route that would pull the device's own traffic into the tunnel.
	"route-default|200|$(answer route=::/0)|route ::/0 is shorter than /16"
	"route-15|200|$(answer route=fde2::/15)|route fde2::/15 is shorter than /16"
	"route-covers-lan|200|$(answer route=2001:db8::/32 ip=2001:db8:77::1234)|route 2001:db8::/32 contains this device's address $LAN_ADDR \\(on lan0\\)"
	"route-inside-lan|200|$(answer route=2001:db8:5:0:8000::/65 ip=2001:db8:5:0:8000::1234)|route 2001:db8:5:0:8000::/65 lies inside this device's network $LAN_ADDR/64 \\(on lan0\\)"
	"route-covers-loopback|200|$(answer route=::/16 ip=::1234)|route ::/16 contains this device's address ::1 \\(on lo\\)"
	# Server text reaches the terminal escaped: no escape sequence, no C1 control.
	"escape-line|200|${ESC}]0;owned${BEL}\n|a line without '=': \\\\x1b\\]0;owned\\\\x07"
	"escape-pubkey|200|$(answer "pubkey=${ESC}[31mred")|pubkey is not a WireGuard key: \\\\x1b\\[31mred"
	"escape-refusal|403|denied ${ESC}[2J${CSI8}x\n|HTTP 403: denied \\\\x1b\\[2J\\\\xc2\\\\x9bx"
)
GOOD_CASES=(
	"good|200|$GOOD"
	"good-crlf-extra|200|endpoint=vpn.test:$PORT\r\npubkey=$SRVKEY\r\nroute=$ROUTE\r\nip=FDE3:25FB:7F6C:1::1234\r\nkeepalive=25\r\npsk_supported=no\r\n"
	"good-v6-endpoint|200|endpoint=[fd00:77::1]:$PORT\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=0\n"
)
# The server's route changes (same key, then written otherwise, then back
# with a new key); status and body as above.
MOVE_CASES=(
	"route-moved|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=$ROUTE2\nip=$IP\nkeepalive=25\n"
	"route-respelled|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY\nroute=FDE3:25FB:7F00:0:0::/40\nip=$IP\nkeepalive=25\n"
	"route-back-newkey|200|endpoint=vpn.test:$PORT\npubkey=$SRVKEY2\nroute=$ROUTE\nip=$IP\nkeepalive=25\n"
)
# Served too, for the several-URL cases: a good answer with another port.
MORE_CASES=(
	"good-b|200|endpoint=vpn.test:$((PORT + 1))\npubkey=$SRVKEY\nroute=$ROUTE\nip=$IP\nkeepalive=25\n"
)
# Answers for the cases after the loop: accepted, with their own checks.
CHECK_CASES=(
	"route-16|200|$(answer route=fde3::/16)"
	"route-8|200|$(answer route=fd00::/8 ip=fd00::1234)"
)

setup() {
	local c name status body
	mkdir -p "$D/pki" && pki_fleet "$D/pki" 1234 || return 1
	netns_add "$NS" || return 1
	ip -n "$NS" link add lan0 type veth peer name lan1 && ip -n "$NS" link set lan0 up &&
		ip -n "$NS" -6 addr add "$LAN_ADDR/64" dev lan0 nodad || return 1
	mkdir -p "/etc/netns/$NS" && on_exit "rm -rf /etc/netns/$NS; rmdir /etc/netns"
	# blackhole.test: a neighbour that never answers, so a connection
	# to it times out (its frames go to a MAC address nobody has).
	printf '127.0.0.1 vpn.test\n10.99.0.2 blackhole.test\n' >"/etc/netns/$NS/hosts"
	ip -n "$NS" link add bh0 type veth peer name bh1 || return 1
	ip -n "$NS" addr add 10.99.0.1/24 dev bh0
	ip -n "$NS" link set bh0 up && ip -n "$NS" link set bh1 up
	ip -n "$NS" neigh add 10.99.0.2 lladdr 02:00:00:00:99:02 dev bh0 nud permanent || return 1
	on_exit "ip -n $NS link del $IFN; rm -f /var/run/wireguard/$IFN.sock"
	{
		echo "daemon off; pid $D/nginx.pid; error_log $D/error.log; events {}"
		echo "http { log_format path '\$uri'; access_log $D/access.log path;"
		echo "client_body_temp_path $D/body;"
		echo "server { listen 127.0.0.1:443 ssl; ssl_certificate $D/pki/server.crt;"
		echo "ssl_certificate_key $D/pki/server.key; default_type text/plain;"
		for c in "${BAD_CASES[@]}" "${GOOD_CASES[@]}" "${MOVE_CASES[@]}" "${MORE_CASES[@]}" "${CHECK_CASES[@]}"; do
			IFS='|' read -r name status body _ <<<"$c"
			echo "location = /case/$name { return $status \"$body\"; }"
		done
		# 429: how long to wait, or not; each logs its requests.
		for c in rate-1:1 rate-long:3600 rate-none:; do
			echo "location = /case/${c%%:*} { access_log $D/${c%%:*}.log;"
			[ -n "${c#*:}" ] && echo "add_header Retry-After ${c#*:} always;"
			echo 'return 429 "key changed too recently\n"; }'
		done
		echo "} }"
	} >"$D/nginx.conf"
	ip netns exec "$NS" nginx -t -q -c "$D/nginx.conf" || return 1
	ip netns exec "$NS" nginx -c "$D/nginx.conf" >"$D/nginx.log" 2>&1 &
	on_exit "kill $!; wait $!"
	wait_for 5 ip netns exec "$NS" bash -c ': </dev/tcp/127.0.0.1/443' 2>/dev/null
}

# write_conf_urls "URL..." [IFNAME [API_START [LINE...]]]: the device's
# configuration with that api_endpoint; no ifname line when IFNAME is "-",
# no api_start line when API_START is empty; the LINEs added at the end.
write_conf_urls() {
	local urls=$1 ifn=${2:-$IFN} start=${3:-}
	[ $# -gt 3 ] && shift 3 || set --
	{
		[ "$ifn" = - ] || echo "ifname=$ifn"
		echo "api_endpoint=\"$urls\""
		echo "cert=$D/pki/dev-1234.crt"
		echo "key=$D/pki/dev-1234.key"
		echo "ca=$D/pki/server-ca.crt"
		[ -z "$start" ] || echo "api_start=$start"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$D/autowg.conf"
}
# write_conf CASE [IFNAME]: the same for the one URL /case/CASE.
write_conf() { write_conf_urls "https://vpn.test/case/$1" "${2:-$IFN}"; }

# run_client SHELL CASE [CONF_LINE...]: the client against /case/CASE, those
# lines added to its configuration; output in OUT.
run_client() {
	local sh=$1 c=$2
	shift 2
	run_client_urls "$sh" "https://vpn.test/case/$c" "" "$@"
}

# run_client_urls SHELL "URL..." [API_START [CONF_LINE...]]: the client with
# that api_endpoint (and api_start, and lines); output in OUT, nginx's log
# of the paths asked in ASKED.
run_client_urls() {
	local sh=$1 urls=$2 start=${3:-} rc
	[ $# -gt 3 ] && shift 3 || set --
	write_conf_urls "$urls" "$IFN" "$start" "$@"
	: >"$D/access.log"
	# shellcheck disable=SC2086
	OUT=$(AUTOWG_CONF=$D/autowg.conf ip netns exec "$NS" $sh "$TOP/contrib/autowg-client" 2>&1)
	rc=$?
	ASKED=$(tr '\n' ' ' <"$D/access.log")
	ASKED=${ASKED% }
	return $rc
}

# The device's peer endpoint port: which good answer it applied.
peer_port() {
	local ep
	ep=$(ip netns exec "$NS" wg show "$IFN" endpoints 2>/dev/null | cut -f2)
	echo "${ep##*:}"
}

# run_client_noif SHELL CASE: the same with no ifname in the configuration,
# in a mount namespace of its own with an empty /run/wireguard, so that the
# UAPI socket of the interface it makes meets no other test's.
run_client_noif() {
	write_conf "$2" -
	# shellcheck disable=SC2016,SC2086
	OUT=$(AUTOWG_CONF=$D/autowg.conf ip netns exec "$NS" unshare -m --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 autowg-test /run/wireguard && exec "$@"' sh \
		$1 "$TOP/contrib/autowg-client" 2>&1)
}

# routes IFNAME: the device's IPv6 routes through IFNAME that are not the
# kernel's own, by prefix, sorted.
routes() { ip -n "$NS" -6 route show dev "$1" | grep -v 'proto kernel' | awk '{print $1}' | sort | tr '\n' ' '; }
want_routes() { printf '%s\n' "$@" | sort | tr '\n' ' '; }

dev_state() {
	ip netns exec "$NS" wg show "$IFN" dump 2>&1
	ip -n "$NS" -6 -o addr show dev "$IFN" 2>&1 | awk '{print $4}'
	ip -n "$NS" -6 route show dev "$IFN" 2>&1
	ip -n "$NS" -o link show dev "$IFN" 2>&1 | grep -o 'mtu [0-9]*'
}

# good_state: the one peer with its allowed IPs and endpoint port, the
# address, the route, the MTU.
good_state() {
	local ep
	ep=$(ip netns exec "$NS" wg show "$IFN" endpoints | cut -f2)
	echo "$(ip netns exec "$NS" wg show "$IFN" allowed-ips | tr '\t\n' '  ')"":${ep##*:}" \
		"$(ip -n "$NS" -6 -o addr show dev "$IFN" scope global | awk '{print $4}')" \
		"$(ip -n "$NS" -6 route show "$ROUTE" dev "$IFN" | awk '{print $1, "dev", "'"$IFN"'"}')" \
		"$(ip -n "$NS" -o link show dev "$IFN" | grep -o 'mtu [0-9]*')"
}

if ! setup; then
	not_ok "set-up: netns, PKI and nginx serving crafted answers"
	done_testing
	exit
fi

for sh in "busybox ash" bash; do
	ip -n "$NS" link del "$IFN" 2>/dev/null
	wait_for 5 bash -c "! test -S /var/run/wireguard/$IFN.sock"
	# A refused first registration makes no interface at all.
	run_client "$sh" status-403
	if ip -n "$NS" link show "$IFN" >/dev/null 2>&1; then
		not_ok "$sh: a refused first registration creates no interface"
	else ok "$sh: a refused first registration creates no interface"; fi

	for c in "${GOOD_CASES[@]}"; do
		IFS='|' read -r name _ <<<"$c"
		if run_client "$sh" "$name"; then ok "$sh: $name: accepted"; else not_ok "$sh: $name: accepted" "$OUT"; fi
		expect_eq "$sh: $name: peer, address $IP/128, route and MTU 1280 applied" \
			"$SRVKEY $ROUTE :$PORT $IP/128 $ROUTE dev $IFN mtu 1280" "$(good_state)"
	done
	check "$sh: exactly one peer after three registrations" \
		test "$(ip netns exec "$NS" wg show "$IFN" peers | wc -l)" -eq 1

	for c in "${BAD_CASES[@]}"; do
		IFS='|' read -r name _ _ msg <<<"$c"
		before=$(dev_state)
		if run_client "$sh" "$name"; then
			not_ok "$sh: $name: refused" "client said: $OUT"
		else
			expect_match "$sh: $name: refused with a clear message" "^autowg-client: .*$msg" "$OUT"
		fi
		expect_eq "$sh: $name: previous configuration untouched" "$before" "$(dev_state)"
		raw=$(printf '%s' "$OUT" | LC_ALL=C tr -d '\n -~' | od -An -tx1 | tr -d ' \n')
		expect_eq "$sh: $name: no control byte reaches the terminal" "" "$raw"
	done

	# The server's route changes: the old one goes, the operator's stays.
	run_client "$sh" good || not_ok "$sh: route moves: first registration" "$OUT"
	ip -n "$NS" -6 route add "$OPROUTE" dev "$IFN"
	for c in "${MOVE_CASES[@]}"; do
		IFS='|' read -r name _ <<<"$c"
		if run_client "$sh" "$name"; then ok "$sh: $name: accepted"; else not_ok "$sh: $name: accepted" "$OUT"; fi
		case $name in
		route-moved) want=$(want_routes "$ROUTE2" "$OPROUTE") what="$ROUTE2 replaces the old route $ROUTE" ;;
		route-respelled) want=$(want_routes "$ROUTE2" "$OPROUTE") what="the same route written otherwise is kept" ;;
		route-back-newkey) want=$(want_routes "$ROUTE" "$OPROUTE") what="back to $ROUTE with a new server key: $ROUTE2 goes" ;;
		esac
		expect_eq "$sh: $name: $what; the operator's $OPROUTE stays" "$want" "$(routes "$IFN")"
	done
	expect_eq "$sh: route moves: the one peer is the server's new key, with $ROUTE" \
		"$SRVKEY2	$ROUTE" "$(ip netns exec "$NS" wg show "$IFN" allowed-ips)"
	ip -n "$NS" -6 route del "$OPROUTE" dev "$IFN"

	# No ifname: the interface is "autowg", as with the original client.
	# (The device's address leaves $IFN first: an address of the device
	# outside the tunnel inside the route would make the client refuse it.)
	ip -n "$NS" -6 addr flush dev "$IFN" scope global
	on_exit "ip -n $NS link del $DEFAULT_IF"
	if run_client_noif "$sh" good; then
		ok "$sh: no ifname in the configuration: accepted"
	else
		not_ok "$sh: no ifname in the configuration: accepted" "$OUT"
	fi
	expect_match "$sh: no ifname: says it configured $DEFAULT_IF" "^autowg-client: $DEFAULT_IF registered: ip $IP," "$OUT"
	expect_eq "$sh: no ifname: $DEFAULT_IF has the address $IP/128 and the route" \
		"$IP/128 $(want_routes "$ROUTE")" \
		"$(ip -n "$NS" -6 -o addr show dev "$DEFAULT_IF" scope global 2>&1 | awk '{print $4}') $(routes "$DEFAULT_IF")"
	ip -n "$NS" link del "$DEFAULT_IF" 2>/dev/null

	# The minimum route length: /16 by default, min_route_len in the config.
	if run_client "$sh" route-16; then ok "$sh: route /16 (the default minimum): accepted"; else
		not_ok "$sh: route /16 (the default minimum): accepted" "$OUT"; fi
	expect_match "$sh: route /16: routed through the tunnel" "^fde3::/16 " \
		"$(ip -n "$NS" -6 route show dev "$IFN")"
	if run_client "$sh" route-8 min_route_len=8; then ok "$sh: route /8 with min_route_len=8: accepted"; else
		not_ok "$sh: route /8 with min_route_len=8: accepted" "$OUT"; fi
	expect_match "$sh: route /8: routed through the tunnel" "^fd00::/8 " \
		"$(ip -n "$NS" -6 route show dev "$IFN")"
	before=$(dev_state)
	if run_client "$sh" route-8; then not_ok "$sh: route /8 with the default minimum: refused" "$OUT"; else
		expect_match "$sh: route /8 with the default minimum: refused" "route fd00::/8 is shorter than /16" "$OUT"; fi
	for bad in 129 -1 x 016 ''; do
		if run_client "$sh" good "min_route_len=$bad"; then
			not_ok "$sh: min_route_len=$bad: refused" "$OUT"
		else
			expect_match "$sh: min_route_len=$bad: refused" "min_route_len must be a number from 0 to 128" "$OUT"
		fi
	done
	expect_eq "$sh: refused routes and settings: previous configuration untouched" "$before" "$(dev_state)"

	# 429: wait Retry-After when it is short, try once more; else come back
	# at the next run. Quiet either way (cron mails what a job prints).
	for c in rate-1 rate-long rate-none; do : >"$D/$c.log"; done
	t0=$(date +%s%N)
	run_client "$sh" rate-1
	rc=$? took=$((($(date +%s%N) - t0) / 1000000))
	expect_eq "$sh: 429 with Retry-After 1: exit 0, nothing printed" "0:" "$rc:$OUT"
	expect_eq "$sh: 429 with Retry-After 1: waited and asked once more" 2 "$(wc -l <"$D/rate-1.log")"
	check "$sh: 429 with Retry-After 1: the wait was about 1 s ($took ms)" test "$took" -ge 1000 -a "$took" -lt 5000
	expect_eq "$sh: 429: previous configuration untouched" "$before" "$(dev_state)"
	run_client "$sh" rate-long
	expect_eq "$sh: 429 with Retry-After 3600: exit 0 at once, nothing printed" "0:" "$?:$OUT"
	expect_eq "$sh: 429 with Retry-After 3600: asked once" 1 "$(wc -l <"$D/rate-long.log")"
	run_client "$sh" rate-none
	expect_eq "$sh: 429 without Retry-After: exit 0, nothing printed" "0:" "$?:$OUT"
	expect_eq "$sh: 429 without Retry-After: asked once" 1 "$(wc -l <"$D/rate-none.log")"
	: >"$D/rate-1.log"
	run_client "$sh" rate-1 max_retry_wait=0
	expect_eq "$sh: 429 with max_retry_wait=0: exit 0, no second try" "0:1" "$?:$(wc -l <"$D/rate-1.log")"
	if run_client "$sh" rate-1 max_retry_wait=soon; then not_ok "$sh: max_retry_wait=soon: refused" "$OUT"; else
		expect_match "$sh: max_retry_wait=soon: refused" "max_retry_wait must be a number of seconds" "$OUT"; fi
	expect_eq "$sh: after the 429s: previous configuration untouched" "$before" "$(dev_state)"
	# On a terminal it says so (script(1) gives it one).
	run_client "$sh" rate-long
	out=$(AUTOWG_CONF=$D/autowg.conf ip netns exec "$NS" script -qec "$sh $TOP/contrib/autowg-client" /dev/null)
	expect_match "$sh: 429 on a terminal: one line saying nothing changed" \
		"^autowg-client: the server asks to come back later \\(HTTP 429, Retry-After 3600 s\\); nothing changed" "$out"
done

# --- Several URLs in api_endpoint ------------------------------------------
U=https://vpn.test/case
DEAD=https://vpn.test:4443/case/good # nothing listens there
SLOW=https://blackhole.test/case/good
for sh in "busybox ash" bash; do
	if run_client_urls "$sh" "$U/good $U/good-b"; then
		expect_eq "$sh: several URLs: the first answering 200 is used, the others never asked" \
			"$PORT /case/good" "$(peer_port) $ASKED"
	else not_ok "$sh: several URLs: the first answering 200 is used, the others never asked" "$OUT"; fi

	if run_client_urls "$sh" "$DEAD $U/good-b"; then
		expect_eq "$sh: a URL refusing the connection: the next one registers" "$((PORT + 1))" "$(peer_port)"
		expect_match "$sh: the success line names the URL that failed and why" \
			"registered: .*\(at $U/good-b, after: $DEAD failed: .*\(curl exit 7\)\)" "$OUT"
	else not_ok "$sh: a URL refusing the connection: the next one registers" "$OUT"; fi

	if run_client_urls "$sh" "$U/status-503 $U/good"; then
		expect_eq "$sh: a URL answering 503: the next one registers" "$PORT /case/status-503 /case/good" \
			"$(peer_port) $ASKED"
	else not_ok "$sh: a URL answering 503: the next one registers" "$OUT"; fi

	before=$(dev_state)
	if run_client_urls "$sh" "$U/status-403 $U/good-b"; then
		not_ok "$sh: a URL answering 403: refused, the next URL never asked" "client said: $OUT"
	else
		expect_eq "$sh: a URL answering 403: refused, the next URL never asked" \
			"/case/status-403|autowg-client: registration at $U/status-403 refused: HTTP 403: no verified client certificate" \
			"$ASKED|$OUT"
	fi
	expect_eq "$sh: a URL answering 403: previous configuration untouched" "$before" "$(dev_state)"

	before=$(dev_state)
	if run_client_urls "$sh" "$U/status-503 $DEAD"; then
		not_ok "$sh: every URL failing: one line naming each URL and what went wrong" "client said: $OUT"
	else
		expect_match "$sh: every URL failing: one line naming each URL and what went wrong" \
			"^autowg-client: registration failed at all 2 endpoints: $U/status-503 failed: HTTP 503: helper unavailable; $DEAD failed: .*\(curl exit 7\)\$" \
			"$OUT"
	fi
	expect_eq "$sh: every URL failing: previous configuration untouched" "$before" "$(dev_state)"

	firsts=""
	for i in 1 2 3 4 5; do
		run_client_urls "$sh" "$U/good $U/good-b" first && firsts="$firsts $(peer_port)"
	done
	expect_eq "$sh: api_start=first: every run starts with the first URL" \
		" $PORT $PORT $PORT $PORT $PORT" "$firsts"
	# Random start: both URLs come first within 30 runs (a chance of
	# 2 in 2^30 to fail if the start really is random).
	seen=""
	for ((i = 0; i < 30; i++)); do
		run_client_urls "$sh" "$U/good $U/good-b" random && seen="$seen $(peer_port)"
		[[ $seen == *" $PORT"* && $seen == *" $((PORT + 1))"* ]] && break
	done
	if [[ $seen == *" $PORT"* && $seen == *" $((PORT + 1))"* ]]; then
		ok "$sh: api_start=random: each URL is tried first on some run"
	else not_ok "$sh: api_start=random: each URL is tried first on some run" "ports applied, run by run:$seen"; fi

	for c in "https://vpn.test/case/good http://vpn.test/case/good|api_endpoint must be https:// URLs: http://vpn.test/case/good" \
		"$(printf "$U/good %.0s" 1 2 3 4 5 6 7 8 9)|api_endpoint lists 9 URLs; at most 8" \
		"$U/good|api_start must be first or random: sometimes|sometimes"; do
		IFS='|' read -r urls msg start <<<"$c"
		before=$(dev_state)
		if run_client_urls "$sh" "$urls" "${start:-first}"; then
			not_ok "$sh: bad config refused with a clear message: $msg" "client said: $OUT"
		else
			expect_match "$sh: bad config refused with a clear message: $msg" "^autowg-client: .*: $msg\$" "$OUT"
		fi
		expect_eq "$sh: bad config ($msg): nothing asked, nothing changed" "|$before" "$ASKED|$(dev_state)"
	done
done

# A URL whose connection times out (CONNECT_TIMEOUT, 10 s): the next one
# registers. Under one shell only: the path is the same as for a refused
# connection, which both shells run above.
start=$SECONDS
if run_client_urls "busybox ash" "$SLOW $U/good-b"; then
	took=$((SECONDS - start))
	expect_eq "a URL timing out: the next one registers" "$((PORT + 1))" "$(peer_port)"
	# CONNECT_TIMEOUT (10 s), not the whole request's 30 s.
	if [ "$took" -ge 9 ] && [ "$took" -le 15 ]; then
		ok "a URL timing out costs the connect timeout, 10 s"
	else not_ok "a URL timing out costs the connect timeout, 10 s" "the run took $took s"; fi
else not_ok "a URL timing out: the next one registers" "$OUT"; fi

# Missing configuration: a clear message, nothing else.
OUT=$(AUTOWG_CONF=$T_TMP/none busybox ash "$TOP/contrib/autowg-client" 2>&1)
expect_match "no config file: clear message" "autowg-client: cannot read $T_TMP/none" "$OUT"
done_testing
