#!/bin/bash
# The qemu harness against real kernel WireGuard: boot Debian's kernel, load
# wireguard.ko, join two network namespaces with veth, put a kernel WireGuard
# interface in each, and ping across the tunnel over IPv4 and IPv6.
. "$(dirname "$0")/../lib.sh"

guest=$T_TMP/guest.sh
cat >"$guest" <<'EOF'
# Runs in the VM (dash, busybox applets). $1: the host's time, Unix seconds.
host_time=$1
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() { name=$1; shift; if "$@" >/tmp/out 2>&1; then ok "$name"; else not_ok "$name" "command failed: $*" "$(cat /tmp/out)"; fi; }

check "kernel wireguard module loads" grep -q '^wireguard ' /proc/modules
check "/dev/urandom gives bytes" sh -c '[ "$(head -c 32 /dev/urandom | wc -c)" -eq 32 ]'
check "/tmp is writable" sh -c 'echo x >/tmp/probe && [ "$(cat /tmp/probe)" = x ]'
now=$(date +%s)
if [ $((now - host_time)) -ge -5 ] && [ $((now - host_time)) -le 120 ]; then
	ok "guest clock follows the host"
else
	not_ok "guest clock follows the host" "host $host_time, guest $now"
fi

ip netns add a && ip netns add b &&
	ip link add va netns a type veth peer name vb netns b &&
	ip -n a addr add 192.168.77.1/24 dev va && ip -n b addr add 192.168.77.2/24 dev vb &&
	ip -n a link set lo up && ip -n b link set lo up &&
	ip -n a link set va up && ip -n b link set vb up
check "veth pair joins two namespaces" ip netns exec a ping -c 1 -W 5 192.168.77.2

(umask 077 && wg genkey >/tmp/a.key && wg genkey >/tmp/b.key)
pa=$(wg pubkey </tmp/a.key) pb=$(wg pubkey </tmp/b.key)
if [ ${#pa} -eq 44 ] && [ ${#pb} -eq 44 ] && [ "$pa" != "$pb" ]; then
	ok "wg genkey and wg pubkey work"
else
	not_ok "wg genkey and wg pubkey work" "public keys: '$pa' '$pb'"
fi
# Created inside each namespace, so each interface's UDP socket lives there.
check "ip link add type wireguard" sh -c 'ip -n a link add wga type wireguard && ip -n b link add wgb type wireguard'
check "wg set configures the kernel interfaces" sh -c "
	ip netns exec a wg set wga private-key /tmp/a.key listen-port 51820 \
		peer $pb allowed-ips 10.77.0.2/32,fd77::2/128 endpoint 192.168.77.2:51821 &&
	ip netns exec b wg set wgb private-key /tmp/b.key listen-port 51821 \
		peer $pa allowed-ips 10.77.0.1/32,fd77::1/128 endpoint 192.168.77.1:51820"
ip -n a addr add 10.77.0.1/24 dev wga && ip -n a addr add fd77::1/64 dev wga nodad && ip -n a link set wga up
ip -n b addr add 10.77.0.2/24 dev wgb && ip -n b addr add fd77::2/64 dev wgb nodad && ip -n b link set wgb up
got=$(ip netns exec a wg show wga public-key):$(ip netns exec a wg show wga listen-port):$(ip netns exec a wg show wga peers)
if [ "$got" = "$pa:51820:$pb" ]; then ok "wg show reads the kernel interface back"; else not_ok "wg show reads the kernel interface back" "want $pa:51820:$pb" "got  $got"; fi

check "ping across a kernel WireGuard tunnel" ip netns exec a ping -c 1 -W 5 10.77.0.2
check "ping -6 across a kernel WireGuard tunnel" ip netns exec b ping -6 -c 1 -W 5 fd77::1
hs=$(ip netns exec b wg show wgb latest-handshakes | awk '{ print $2 }')
if [ -n "$hs" ] && [ "$hs" -gt 0 ]; then ok "the kernel records the handshake"; else not_ok "the kernel records the handshake" "latest-handshakes: $hs"; fi
rx=$(ip netns exec a wg show wga transfer | awk '{ print $2 }')
if [ -n "$rx" ] && [ "$rx" -gt 0 ]; then ok "the kernel counts received bytes"; else not_ok "the kernel counts received bytes" "rx: $rx"; fi
check "removing the peer cuts the tunnel" sh -c "ip netns exec a wg set wga peer $pb remove &&
	! ip netns exec a ping -c 1 -W 1 10.77.0.2"
# Checks of the harness itself, read on the host: a last line without a
# newline, and an exit status that only a working vm.sh passes back.
printf 'unterminated last line'
[ "$fails" -eq 0 ] && exit 42
exit 1
EOF

out=$("$TOP/tests/qemu/vm.sh" --timeout 120 -- "$guest" "$(date +%s)")
rc=$?
printf '%s\n' "$out"
# Continue lib.sh's numbering and failure count after the guest's lines.
# shellcheck disable=SC2034
T_N=$(printf '%s\n' "$out" | grep -cE '^(not )?ok ')
# shellcheck disable=SC2034
T_FAILS=$(printf '%s\n' "$out" | grep -cE '^not ok ')
if [ "$rc" -eq 1 ]; then
	not_ok "the guest script passes" "vm.sh exited with status 1: see the failures above"
else
	expect_eq "vm.sh returns the guest script's exit status" 42 "$rc"
fi
expect_eq "vm.sh passes an unterminated last line through" "unterminated last line" \
	"$(printf '%s\n' "$out" | grep -v '^# vm:' | tail -n 1)"
done_testing
