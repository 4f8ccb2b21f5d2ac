#!/bin/bash
# --keep-peers against real wireguard-go: three devices (each a wireguard-go
# in its own namespace) ping the concentrator without pause while the helper
# is restarted under them; with --keep-peers none loses a ping, their
# entries come back (peers.json, metrics), peers that do not look like ours
# are still removed with the reason logged. Then metans: a kept peer shows
# as "[address]" until its device registers again. Last, the control: a
# restart without --keep-peers flushes the pool and the pings stop.
. "$(dirname "$0")/helper-lib.sh"

N=3
PINGS=${KEEP_PINGS:-60} # at 0.2 s: 12 s, the restart falls well inside
hl_setup
ip -n "$NS" -6 addr add fde3:25fb:7f6c::1/48 dev "$IF" nodad
STATIC=$(newkey)
wgx set "$IF" peer "$STATIC" allowed-ips fde3:25fb:7f6c::2/128 # an operator's, outside the pool
check "helper starts with --keep-peers" start_helper --keep-peers
srvkey=$(call table | sed -n 's/^pubkey=//p')

cgi() {
	env -i AUTOWG_HTTP_AUTH=ops:pw REQUEST_METHOD=GET REQUEST_URI="/v1/$1" GATEWAY_INTERFACE=CGI/1.1 \
		"HTTP_AUTHORIZATION=Basic $(printf ops:pw | base64)" "$B/autowg-fcgi" --socket "$SOCK" |
		sed '1,/^\r$/d'
}

declare -a DNS DIF DPUB
for ((i = 1; i <= N; i++)); do
	DNS[i]=$(uniq_name awk$i)
	DIF[i]=$(uniq_name wgk$i)
	va=$(uniq_name vk$i) vb=$(uniq_name vd$i)
	netns_add "${DNS[i]}"
	ip link add "$va" netns "$NS" type veth peer name "$vb" netns "${DNS[i]}"
	ip -n "$NS" addr add "10.9.$i.1/24" dev "$va" && ip -n "$NS" link set "$va" up
	ip -n "${DNS[i]}" addr add "10.9.$i.2/24" dev "$vb" && ip -n "${DNS[i]}" link set "$vb" up
	wggo_up "${DNS[i]}" "${DIF[i]}" || { not_ok "device $i wireguard-go comes up"; done_testing; exit 1; }
	DPUB[i]=$(wg pubkey <"$T_TMP/${DIF[i]}.key")
	read -r status result _ addr _ <<<"$(call register 100$i "${DPUB[i]}")"
	[ "$status $result" = "200 ok" ] || not_ok "device 100$i registers" "$status $result"
	ip netns exec "${DNS[i]}" wg set "${DIF[i]}" peer "$srvkey" endpoint "10.9.$i.1:$PORT" \
		allowed-ips "$ROUTE" persistent-keepalive 1
	ip -n "${DNS[i]}" -6 addr add "$addr/128" dev "${DIF[i]}" nodad
	ip -n "${DNS[i]}" -6 route add "$ROUTE" dev "${DIF[i]}"
done
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; } # a key as a regex
ping_dev() { ip netns exec "${DNS[$1]}" ping -6 -c 1 -W 1 fde3:25fb:7f6c::1 >/dev/null 2>&1; }
for ((i = 1; i <= N; i++)); do
	check "device 100$i pings the concentrator through the tunnel" wait_for 10 ping_dev $i
done
# A peer a device set up as "0042" (its key only; it is not running), and
# pool peers that are not ours to keep: two allowed IPs; not a BCD number.
K42=$(newkey)
expect_eq "a device registers as 0042" "200 ok" "$(reply_of 0042 "$K42")"
TWO=$(newkey) HEX=$(newkey)
wgx set "$IF" peer "$TWO" allowed-ips fde3:25fb:7f6c:1::2001/128,fde3:25fb:7f6c:1::2002/128
wgx set "$IF" peer "$HEX" allowed-ips fde3:25fb:7f6c:1::abcd/128

# --- The restart, under continuous pings ----------------------------------
for ((i = 1; i <= N; i++)); do
	ip netns exec "${DNS[i]}" ping -6 -i 0.2 -c "$PINGS" -W 1 fde3:25fb:7f6c::1 >"$T_TMP/ping$i" 2>&1 &
	PING_PID[i]=$!
done
sleep 2
check "helper stops (SIGTERM)" stop_helper
sleep 1
check "helper starts again with --keep-peers, devices up" start_helper --keep-peers
for ((i = 1; i <= N; i++)); do
	wait "${PING_PID[i]}"
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$T_TMP/ping$i")
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T_TMP/ping$i")
	expect_eq "device 100$i: $sent pings across the restart, 0% loss" "$PINGS 0" "$sent $loss"
	echo "# device 100$i: $(grep 'packet loss' "$T_TMP/ping$i")"
done
json=$(cgi peers.json)
got=$(printf '%s' "$json" | jq -r 'to_entries[] | "\(.key) \(.value.ip) \(.value.pubkey)"')
want=$(for ((i = 1; i <= N; i++)); do echo "100$i fde3:25fb:7f6c:1::100$i ${DPUB[i]}"; done
	echo "42 fde3:25fb:7f6c:1::42 $K42")
expect_eq "peers.json lists the kept devices (0042 recovered as 42) with addresses and keys" "$want" "$got"
for ((i = 1; i <= N; i++)); do
	expect_match "logged: kept peer 100$i" "kept peer 100$i fde3:25fb:7f6c:1::100$i key $(re "${DPUB[i]}")" "$(cat "$HLOG")"
done
check "the peer with two allowed IPs is removed" test -z "$(allowed_ips "$TWO")"
expect_match "... and why is logged" "flushed peer $(re "$TWO") .*: not kept: it has more than one allowed IP" "$(cat "$HLOG")"
check "the peer at ::abcd is removed" test -z "$(allowed_ips "$HEX")"
expect_match "... and why is logged" "flushed peer $(re "$HEX") .*: not kept: its last 16 bits are not a direct-bcd number" "$(cat "$HLOG")"
check "the static peer stays" test "$(allowed_ips "$STATIC")" = "fde3:25fb:7f6c::2/128"
expect_eq "metrics: autowg_kept_total 4, autowg_peers_managed 4" \
	"autowg_peers_managed 4;autowg_kept_total 4;" \
	"$(cgi metrics | grep -E '^autowg_(kept_total|peers_managed) ' | tr '\n' ';')"

# A kept entry stands in for whoever maps to its address.
expect_eq "device 1001 registers again with its key: same" "200 same" "$(reply_of 1001 "${DPUB[1]}")"
expect_eq "device 0042 registers again as 0042: takes over the kept 42 (replaced: renamed)" \
	"200 replaced" "$(reply_of 0042 "$K42")"
expect_eq "... peers.json: 0042 at its address, no 42" "0042 fde3:25fb:7f6c:1::42 null" \
	"$(cgi peers.json | jq -r '"0042 \(."0042".ip) \(."42")"')"
expect_eq "... now 42 is another device: refused" "409 addr_taken" "$(reply_of 42 "$(newkey)")"
K3=$(newkey)
expect_eq "device 1003 registers with a new key: replaced" "200 replaced" "$(reply_of 1003 "$K3")"
expect_eq "... the interface has the new key at its address" "fde3:25fb:7f6c:1::1003/128" "$(allowed_ips "$K3")"
check "... the old key is gone" test -z "$(allowed_ips "${DPUB[3]}")"
expect_eq "... not a key change of the name (it only stood in)" \
	'autowg_key_changes_total{name="1003"} 0' "$(cgi metrics | grep '^autowg_key_changes_total{name="1003"}')"
expect_eq "another device cannot take 1001's key" "409 key_taken" "$(reply_of 7 "${DPUB[1]}")"

# --- metans: kept under "[address]" until the device registers ------------
check "helper stops" stop_helper
check "helper starts with --converter metans --keep-peers" start_helper --converter metans --keep-peers
M=$(newkey)
read -r status result name maddr _ <<<"$(call register toilet1 "$M")"
expect_eq "metans device registers" "200 ok toilet1" "$status $result $name"
check "helper stops" stop_helper
check "helper starts again with --converter metans --keep-peers" start_helper --converter metans --keep-peers
names=$(cgi peers.json | jq -r 'keys | join(" ")')
expect_eq "peers.json shows every kept peer under [address]" \
	"$(printf '%s\n' "[$maddr]" "[fde3:25fb:7f6c:1::1001]" "[fde3:25fb:7f6c:1::1002]" \
		"[fde3:25fb:7f6c:1::1003]" "[fde3:25fb:7f6c:1::42]" | LC_ALL=C sort | paste -sd ' ')" "$names"
check "metrics show them too" eval "cgi metrics | grep -qF 'name=\"[$maddr]\"'"
expect_eq "the device registers again with its key: replaced (renamed)" "200 replaced" \
	"$(reply_of toilet1 "$M")"
expect_eq "... peers.json has its name back, at its address" "$maddr" \
	"$(cgi peers.json | jq -r '."toilet1".ip')"
check "... and no [address] entry for it" eval "! cgi peers.json | jq -e '.\"[$maddr]\"' >/dev/null"

# --- The control: without --keep-peers the pool is flushed ----------------
check "helper stops" stop_helper
check "helper starts without --keep-peers" start_helper
check "the devices' peers are gone" test -z "$(allowed_ips "${DPUB[1]}")$(allowed_ips "${DPUB[2]}")"
check "... and device 1001's ping fails, as it should" bash -c "! ip netns exec ${DNS[1]} ping -6 -c 2 -W 1 fde3:25fb:7f6c::1 >/dev/null 2>&1"
check "helper stops (SIGTERM, exit 0)" stop_helper
done_testing
