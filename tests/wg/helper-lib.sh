#!/bin/bash
# autowg: not a test. Shared by tests/wg/helper*.sh: a wireguard-go
# interface in a namespace, autowg-helper on it, awg-call against its socket.
. "$(dirname "$0")/../lib.sh"

HELPER=$B/autowg-helper
CALL=$B/tests/clients/awg-call
POOL=fde3:25fb:7f6c:1::/64
ROUTE=fde3:25fb:7f6c::/48
SOCK=$T_TMP/helper.sock
HLOG=$T_TMP/helper.log
HPID=

for f in "$HELPER" "$CALL"; do
	[ -x "$f" ] || { not_ok "$f is built"; done_testing; exit 1; }
done

# hl_setup: namespace NS with wireguard-go interface IF on port PORT.
hl_setup() {
	NS=$(uniq_name awh)
	IF=$(uniq_name wgh)
	PORT=$((20000 + RANDOM % 20000))
	netns_add "$NS"
	if ! wggo_up "$NS" "$IF"; then
		not_ok "wireguard-go interface $IF comes up"
		done_testing
		exit 1
	fi
	ip netns exec "$NS" wg set "$IF" listen-port "$PORT"
}

# hl_device: a device beside NS: namespace DNS with wireguard-go interface
# DIF (its private key in $T_TMP/$DIF.key), reached from NS over a veth pair
# (NS 10.9.0.1, DNS 10.9.0.2); IF gets the route's first address.
hl_device() {
	DNS=$(uniq_name awd)
	DIF=$(uniq_name wgd)
	local va vb
	va=$(uniq_name vda)
	vb=$(uniq_name vdb)
	netns_add "$DNS"
	ip link add "$va" netns "$NS" type veth peer name "$vb" netns "$DNS"
	ip -n "$NS" addr add 10.9.0.1/24 dev "$va" && ip -n "$NS" link set "$va" up
	ip -n "$DNS" addr add 10.9.0.2/24 dev "$vb" && ip -n "$DNS" link set "$vb" up
	ip -n "$NS" -6 addr add fde3:25fb:7f6c::1/48 dev "$IF" nodad
	if ! wggo_up "$DNS" "$DIF"; then
		not_ok "device wireguard-go comes up"
		done_testing
		exit 1
	fi
}

# hl_device_join ADDR PORT: the device, registered at ADDR, talks to the
# concentrator's interface (its key from the helper's table) on PORT.
hl_device_join() {
	local srvkey
	srvkey=$(call table | sed -n 's/^pubkey=//p')
	ip netns exec "$DNS" wg set "$DIF" peer "$srvkey" endpoint "10.9.0.1:$2" \
		allowed-ips "$ROUTE" persistent-keepalive 1
	ip -n "$DNS" -6 addr add "$1/128" dev "$DIF" nodad
	ip -n "$DNS" -6 route add "$ROUTE" dev "$DIF"
}

# ping_srv: one ping from the device to the concentrator through the tunnel.
ping_srv() { ip netns exec "$DNS" ping -6 -c 1 -W 1 fde3:25fb:7f6c::1 >/dev/null 2>&1; }

# start_helper [FLAGS...]: helper on IF with the usual flags plus FLAGS;
# returns once it serves (it listens before it flushes the pool, and answers
# only after: a second helper must fail on the socket, not flush).
start_helper() {
	rm -f "$SOCK"
	ip netns exec "$NS" "$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint vpn.example.com \
		--socket "$SOCK" "$@" "$IF" 2>>"$HLOG" &
	HPID=$!
	on_exit "kill $HPID"
	wait_for 5 test -S "$SOCK" && timeout 60 "$CALL" "$SOCK" table >/dev/null
}

# stop_helper: SIGTERM; its exit status is the function's.
stop_helper() {
	kill -TERM "$HPID" 2>/dev/null
	wait "$HPID"
}

call() { "$CALL" "$SOCK" "$@"; }
wgx() { ip netns exec "$NS" wg "$@"; }
dump() { wgx show "$IF" dump; }
# The dump without the columns that move by themselves (handshake, transfer).
# Peers sorted: wireguard-go lists them in no fixed order.
dump_stable() {
	dump | awk -F'\t' 'NR == 1 { print; next } { print $1, $2, $3, $4, $8 | "sort" }'
}
# expect_line NAME LINE TEXT: TEXT has exactly LINE as one of its lines.
expect_line() {
	if printf '%s\n' "$3" | grep -qFx -- "$2"; then ok "$1"; else not_ok "$1" "want line: $2" "got: $3"; fi
}
# allowed_ips KEY: that peer's allowed IPs, or nothing.
allowed_ips() { dump | awk -F'\t' -v k="$1" 'NR > 1 && $1 == k { print $4 }'; }
newkey() { wg genkey | wg pubkey; }
# reply_of CN KEY: "<status> <result>" of a registration.
reply_of() { call register "$1" "$2" | cut -d' ' -f1,2; }
# frame NAME HEX...: the last packet closes the connection; the helper lives.
frame() {
	local name=$1 out
	shift
	out=$(call raw "$@")
	if [ "$(printf '%s\n' "$out" | tail -n 1)" = "packet $#: closed" ] && kill -0 "$HPID"; then
		ok "$name"
	else
		not_ok "$name" "want the connection closed after packet $#" "got: $out"
	fi
}
# cgi PATH: GET v1/PATH through the responder as plain CGI (root's
# credentials on the helper's socket), the body only.
cgi() {
	env -i AUTOWG_HTTP_AUTH=ops:pw REQUEST_METHOD=GET REQUEST_URI="/v1/$1" GATEWAY_INTERFACE=CGI/1.1 \
		"HTTP_AUTHORIZATION=Basic $(printf ops:pw | base64)" "$B/autowg-fcgi" --socket "$SOCK" |
		sed '1,/^\r$/d'
}
