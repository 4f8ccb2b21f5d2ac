# Shared shell test helpers. Source from a test script:  . "$(dirname "$0")/../lib.sh"
# Results are TAP lines; the runner (tests/run) counts them.
# Every resource a test creates is registered with on_exit and removed even
# when the test fails: /var/run/wireguard is shared by all namespaces.
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
B=${B:-build}
case $B in /*) ;; *) B=$TOP/$B ;; esac
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
T_N=0
T_FAILS=0
T_ID=$$
T_TMP=$(mktemp -d /tmp/autowg-test.XXXXXX)
_T_CLEAN=()

on_exit() { _T_CLEAN+=("$*"); }
_t_cleanup() {
	local i
	for ((i = ${#_T_CLEAN[@]} - 1; i >= 0; i--)); do eval "${_T_CLEAN[i]}" >/dev/null 2>&1; done
	rm -rf "$T_TMP"
}
trap _t_cleanup EXIT
trap 'exit 130' INT TERM

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
not_ok() {
	T_N=$((T_N + 1)); T_FAILS=$((T_FAILS + 1))
	echo "not ok $T_N - $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}
# check NAME CMD...: ok when CMD succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n" "command failed: $*"; fi; }
# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want: $2" "got:  $3"; fi
}
# expect_match NAME REGEX TEXT
expect_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then ok "$1"; else not_ok "$1" "want match: $2" "got: $3"; fi
}
# expect_none NAME WHAT [ITEM...]: ok when no ITEM is given; else the items,
# after WHAT, are the failure message.
expect_none() {
	local n=$1 w=$2
	shift 2
	if [ $# -eq 0 ]; then ok "$n"; else not_ok "$n" "$w" "$@"; fi
}
done_testing() { echo "1..$T_N"; [ "$T_FAILS" -eq 0 ]; }

# Unique short names: interface names are at most 15 bytes.
uniq_name() { echo "$1$(printf '%x' $((T_ID % 65536)))$((RANDOM % 100))"; }

# netns_add NAME: a network namespace removed on exit, with lo up.
netns_add() {
	ip netns add "$1" && on_exit "ip netns del $1"
	ip -n "$1" link set lo up
}

# wggo_up NS IFNAME [PRIVKEY_FILE]: wireguard-go interface IFNAME inside NS, removed on exit.
wggo_up() {
	local ns=$1 ifn=$2 key=${3:-}
	ip netns exec "$ns" wireguard-go "$ifn" >"$T_TMP/wggo-$ifn.log" 2>&1 || return 1
	on_exit "ip netns exec $ns ip link del $ifn; rm -f /var/run/wireguard/$ifn.sock"
	local i
	for i in $(seq 50); do [ -S "/var/run/wireguard/$ifn.sock" ] && break; sleep 0.1; done
	[ -S "/var/run/wireguard/$ifn.sock" ] || return 1
	if [ -z "$key" ]; then key=$T_TMP/$ifn.key; wg genkey >"$key"; fi
	ip netns exec "$ns" wg set "$ifn" private-key "$key" || return 1
	ip -n "$ns" link set "$ifn" up
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local t=$1 i; shift
	for ((i = 0; i < t * 10; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# awg_version: the one version string, as the Makefile sets it.
awg_version() { sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$TOP/Makefile"; }

# tree_files: the repository's files, NUL-separated, relative to $TOP: what
# git tracks plus new files it would track (not ignored), never build output.
tree_files() {
	local f
	git -C "$TOP" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$TOP/$f" ] && printf '%s\0' "$f"; done
}
