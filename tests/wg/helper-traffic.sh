#!/bin/bash
# A device really joins through autowg-helper: a second wireguard-go in its own
# namespace registers, pings the concentrator through the tunnel, its stats
# reach the shared table, and it keeps working across a WireGuard restart on
# the concentrator without registering again.
. "$(dirname "$0")/helper-lib.sh"

hl_setup
hl_device
check "helper starts" start_helper

DPUB=$(wg pubkey <"$T_TMP/$DIF.key")
read -r status result _ addr _ <<<"$(call register 1234 "$DPUB")"
expect_eq "device registers" "200 ok fde3:25fb:7f6c:1::1234" "$status $result $addr"
table=$(call table)
endpoint=$(printf '%s\n' "$table" | sed -n 's/^endpoint=vpn.example.com://p')
hl_device_join "$addr" "$endpoint"
check "the device pings the concentrator through the tunnel" wait_for 10 ping_srv

sleep 1.1
expect_eq "refresh answers ok" ok "$(call refresh)"
entry=$(call table | grep '^entry 1234 ')
hs=$(printf '%s' "$entry" | sed -n 's/.* handshake=\([0-9]*\) .*/\1/p')
rx=$(printf '%s' "$entry" | sed -n 's/.* rx=\([0-9]*\) .*/\1/p')
check "the table has the device's last handshake ($hs)" test "${hs:-0}" -gt 0
check "the table has the device's received bytes ($rx)" test "${rx:-0}" -gt 0
refreshed=$(call table | sed -n 's/^stats_refreshed=//p')
check "the table has the refresh time ($refreshed)" test "${refreshed:-0}" -ge "$(($(date +%s) - 5))"

# The concentrator's WireGuard restarts; the device does nothing.
wgpid=$(pgrep -f "^wireguard-go $IF\$")
kill "$wgpid"
wait_for 5 bash -c "! kill -0 $wgpid" >/dev/null 2>&1 # its UDP port is free again
ip netns exec "$NS" wireguard-go "$IF" >>"$T_TMP/wggo-$IF.log" 2>&1
wait_for 5 test -S "/var/run/wireguard/$IF.sock"
check "restarted WireGuard gets the same port back" \
	wgx set "$IF" private-key "$T_TMP/$IF.key" listen-port "$PORT"
ip -n "$NS" -6 addr add fde3:25fb:7f6c::1/48 dev "$IF" nodad
ip -n "$NS" link set "$IF" up
check "after the restart the device's peer is back within 2 s" \
	wait_for 2 bash -c "ip netns exec $NS wg show $IF allowed-ips | grep -q '$DPUB.*fde3:25fb:7f6c:1::1234/128'"
check "... and the device pings again without registering again" wait_for 15 ping_srv
check "helper stops (SIGTERM, exit 0)" stop_helper
done_testing
