#!/bin/bash
# The WireGuard backends against real WireGuard: build/tests/wg/test_backend
# with WG_BACKEND=userspace on a wireguard-go interface in a network
# namespace, checked independently with wg(8); then the kernel backend's
# error cases on the same machine (no wireguard.ko here: its full run is
# under qemu, tests/qemu).
. "$(dirname "$0")/../lib.sh"

BIN=$B/tests/wg/test_backend
VERIFY=$TOP/tests/wg/wg-verify
POOL_RE='fd00:aaaa:bbbb:1:'
STATIC_EXTRA=3000 # /128s on the static peer: the kernel splits it across dump messages

ns=$(uniq_name awgb)
ifn=$(uniq_name wgb)
port=$((20000 + RANDOM % 20000))

# run_bin NAME ENV...: run the test binary in the namespace and pass its TAP
# lines on under this script's numbering; a crash is a failure too.
run_bin() {
	local name=$1 line rc
	shift
	ip netns exec "$ns" env "$@" "$BIN" >"$T_TMP/$name.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) not_ok "${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		1..*) ;;
		*) echo "# $line" ;;
		esac
	done <"$T_TMP/$name.out"
	[ "$rc" -eq 0 ] || grep -q '^not ok' "$T_TMP/$name.out" ||
		not_ok "$name: test_backend exited with status $rc"
}

[ -x "$BIN" ] || { not_ok "test_backend is built" "missing $BIN"; done_testing; exit; }
netns_add "$ns"
if ! wggo_up "$ns" "$ifn"; then
	not_ok "wireguard-go interface $ifn is up" "$(cat "$T_TMP/wggo-$ifn.log" 2>/dev/null)"
	done_testing
	exit
fi
ok "wireguard-go interface $ifn is up"
ip netns exec "$ns" wg set "$ifn" listen-port "$port"
pub=$(ip netns exec "$ns" wg show "$ifn" public-key)
static=$(wg genkey 2>/dev/null | wg pubkey)
extra=$(awk -v n="$STATIC_EXTRA" 'BEGIN { for (i = 1; i <= n; i++) printf ",fd00:ffff:1::%x/128", i }')
ip netns exec "$ns" wg set "$ifn" peer "$static" allowed-ips "10.99.0.0/24,fd00:ffff::/64$extra"
static_ips=$(ip netns exec "$ns" wg show "$ifn" allowed-ips | awk -v k="$static" '$1 == k')

common=(WG_IFNAME="$ifn" WG_PUBKEY="$pub" WG_PORT="$port" WG_STATIC_PEER="$static"
	WG_STATIC_NIPS=$((STATIC_EXTRA + 2)))
run_bin userspace WG_BACKEND=userspace "${common[@]}" WG_VERIFY="$VERIFY" WG_NETNS="$ns"

# Independent of our code: what wg(8) shows afterwards.
dump=$(ip netns exec "$ns" wg show "$ifn" dump | tail -n +2)
expect_eq "wg(8): 101 peers remain (100 outside the pool and the static one)" 101 \
	"$(printf '%s\n' "$dump" | grep -c .)"
expect_eq "wg(8): no allowed IP in the pool remains" 0 \
	"$(printf '%s\n' "$dump" | cut -f4 | grep -c "$POOL_RE")"
expect_eq "wg(8): the static peer's allowed IPs are unchanged" "$static_ips" \
	"$(ip netns exec "$ns" wg show "$ifn" allowed-ips | awk -v k="$static" '$1 == k')"

# The kernel backend here: no "wireguard" family, so a missing interface is
# -ENODEV and an existing one (lo) is not WireGuard.
run_bin kernel WG_BACKEND=kernel "${common[@]}" WG_ONLY=missing,notwg

done_testing
