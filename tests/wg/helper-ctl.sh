#!/bin/bash
# autowg-ctl against a live autowg-helper on real wireguard-go: list, show,
# remove (the device's tunnel cut at once, its peer gone from wg show, the
# name free to register again), an unknown name, bad input, --help, and the
# rule that only root may use it: a caller in the socket group (as the
# responders are) is refused and logged and changes nothing, while the
# responders keep registering.
. "$(dirname "$0")/helper-lib.sh"

CTL=$B/autowg-ctl
[ -x "$CTL" ] || { not_ok "$CTL is built"; done_testing; exit 1; }
ctl() { "$CTL" --socket "$SOCK" "$@"; }
# The responders' position: not root, in the socket group (nogroup here).
as_group() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# Nobody at all: neither root nor in the socket group.
as_stranger() { setpriv --reuid=65534 --regid=100 --clear-groups "$@"; }
P=fde3:25fb:7f6c:1:
# log_has NAME TEXT: the helper's log has a line with TEXT, as it is (keys hold '+' and '/').
log_has() { if grep -qF -- "$2" "$HLOG"; then ok "$1"; else not_ok "$1" "want a log line with: $2" "got: $(tail -n 3 "$HLOG")"; fi; }

# --- usage, before any helper ----------------------------------------------------
# usage_fails NAME ARGS...: exit 2, one line saying what is wrong, a pointer to --help.
usage_fails() {
	local name=$1 out rc
	shift
	out=$("$CTL" --socket "$T_TMP/none.sock" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && printf '%s' "$out" | grep -q "Try 'autowg-ctl --help'"; then
		ok "$name"
	else
		not_ok "$name" "want exit 2 and a pointer to --help" "got exit $rc: $out"
	fi
}
usage_fails "no command: exit 2"
usage_fails "unknown command: exit 2" kick 1001
usage_fails "show without a NAME: exit 2" show
usage_fails "remove with two NAMEs: exit 2" remove 1001 1002
usage_fails "list with a NAME: exit 2" list 1001
usage_fails "a NAME of 64 bytes: exit 2" show "$(printf 'a%.0s' $(seq 64))"
usage_fails "an empty NAME: exit 2" remove ""
usage_fails "a NAME with a control character: exit 2" remove $'10\n01'
usage_fails "unknown option: exit 2" --bogus list
usage_fails "--socket without a value: exit 2" list --socket
usage_fails "a NAME that looks like an option, without --: exit 2" show -x
help=$("$CTL" --help)
expect_eq "--help exits 0" 0 $?
missing=
for w in "Usage: autowg-ctl" list "show NAME" "remove NAME" --socket --help --version AUTOWG_SOCKET \
	"Root only" "Exit status"; do
	printf '%s' "$help" | grep -qF -- "$w" || missing="$missing '$w'"
done
expect_eq "--help explains every command, option and exit status" "" "$missing"
expect_eq "--version: the Makefile's VERSION" "autowg-ctl $(awg_version)" "$("$CTL" --version)"
out=$("$CTL" --socket "$T_TMP/none.sock" list 2>&1)
rc=$?
expect_eq "no helper: exit 1" 1 "$rc"
expect_match "no helper: says which socket and asks whether the helper runs" \
	"cannot connect to $T_TMP/none.sock: No such file or directory \(is autowg-helper running" "$out"

# --- a helper, a real device and two more registrations --------------------------
hl_setup
hl_device
chmod 0711 "$T_TMP" # the socket group's callers must reach the socket
check "helper starts with --socket-group nogroup" start_helper --socket-group nogroup --min-rekey-interval 0

K1=$(wg pubkey <"$T_TMP/$DIF.key") K2=$(newkey) K3=$(newkey)
t0=$(date +%s)
expect_eq "device 1001 registers" "200 ok" "$(reply_of 1001 "$K1")"
expect_eq "device 1002 registers" "200 ok" "$(reply_of 1002 "$K2")"
expect_eq "device 1003 registers" "200 ok" "$(reply_of 1003 "$K3")"
t1=$(date +%s)
hl_device_join "${P}:1001" "$PORT"
check "device 1001 pings the concentrator through the tunnel" wait_for 10 ping_srv
sleep 1.1 # a list refreshes the stats at most once a second

# --- list ------------------------------------------------------------------------------
out=$(ctl list)
expect_eq "list exits 0" 0 $?
expect_eq "list: one line per device: name, address, key" \
	"$(printf '1001\t%s\t%s\n1002\t%s\t%s\n1003\t%s\t%s' "${P}:1001" "$K1" "${P}:1002" "$K2" "${P}:1003" "$K3")" \
	"$(printf '%s\n' "$out" | cut -f1-3 | sort)"
# the same devices as the interface has, each with its /128
from_wg=$(dump | awk -F'\t' 'NR > 1 { print $1, $4 }' | sort)
from_ctl=$(printf '%s\n' "$out" | awk -F'\t' '{ print $3, $2 "/128" }' | sort)
expect_eq "list: the same keys and addresses as wg show dump" "$from_wg" "$from_ctl"
created=$(printf '%s\n' "$out" | awk -F'\t' '$1 == 1002 { print $4 }')
expect_match "list: registered time in UTC, ISO 8601 ($created)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$created"
c=$(date -u -d "$created" +%s 2>/dev/null || echo 0)
check "list: registered between the request and its answer" test "$c" -ge "$t0" -a "$c" -le "$t1"
expect_eq "list: a device that never shook hands: never" never \
	"$(printf '%s\n' "$out" | awk -F'\t' '$1 == 1002 { print $5 }')"
hs=$(printf '%s\n' "$out" | awk -F'\t' '$1 == 1001 { print $5 }')
h=$(date -u -d "$hs" +%s 2>/dev/null || echo 0)
check "list: the real device's last handshake ($hs), not before it registered" \
	test "$h" -ge "$t0" -a "$h" -le "$(date +%s)"

# --- show ------------------------------------------------------------------------------
out=$(ctl show 1002)
expect_eq "show exits 0" 0 $?
for l in name=1002 "ip=${P}:1002" "pubkey=$K2" last_handshake=never rx_bytes=0 key_changes=0; do
	expect_line "show 1002: $l" "$l" "$out"
done
expect_eq "show 1002: created as list says" "created=$created" "$(printf '%s\n' "$out" | grep '^created=')"
K2b=$(newkey)
expect_eq "device 1002 registers a new key" "200 replaced" "$(reply_of 1002 "$K2b")"
out=$(ctl show 1002)
expect_line "show after a new key: the new key" "pubkey=$K2b" "$out"
expect_line "show after a new key: key_changes=1" key_changes=1 "$out"
rx=$(ctl show 1001 | sed -n 's/^rx_bytes=//p')
check "show 1001: the real device's received bytes ($rx)" test "${rx:-0}" -gt 0

# --- an unknown name ---------------------------------------------------------------------
before=$(dump_stable)
out=$(ctl show 9999 2>&1)
expect_eq "show of an unknown name: exit 3" 3 $?
expect_eq "show of an unknown name: says so" "autowg-ctl: 9999: no device is registered under that name" "$out"
out=$(ctl remove 9999 2>&1)
expect_eq "remove of an unknown name: exit 3" 3 $?
expect_eq "remove of an unknown name: says so" "autowg-ctl: 9999: no device is registered under that name" "$out"
expect_eq "remove of an unknown name changes nothing" "$before" "$(dump_stable)"
ctl show -- -x >/dev/null 2>&1
expect_eq "a NAME that starts with - after --: asked, not found (exit 3)" 3 $?
expect_match "remove of an unknown name is logged" "autowg-ctl remove '9999' \(pid [0-9]+ uid 0\): no such device" "$(cat "$HLOG")"

# --- not root ----------------------------------------------------------------------------
out=$(as_group "$CTL" --socket "$SOCK" remove 1003 2>&1)
expect_eq "a caller in the socket group cannot remove: exit 1" 1 $?
expect_eq "a caller in the socket group is told why" \
	"autowg-ctl: the helper at $SOCK refused: only root may list, show or remove devices" "$out"
expect_eq "the refused remove changed nothing" "$before" "$(dump_stable)"
expect_match "the refusal is logged with who asked for what" \
	"uid 65534 dropped: autowg-ctl remove '1003' refused: only root" "$(cat "$HLOG")"
out=$(as_group "$CTL" --socket "$SOCK" list 2>&1)
expect_eq "a caller in the socket group cannot list: exit 1, told why, no device shown" \
	"1 autowg-ctl: the helper at $SOCK refused: only root may list, show or remove devices" "$? $out"
out=$(as_group "$CTL" --socket "$SOCK" show 1003 2>&1)
expect_eq "a caller in the socket group cannot show: exit 1" 1 $?
expect_eq "a refused show reveals nothing" \
	"autowg-ctl: the helper at $SOCK refused: only root may list, show or remove devices" "$out"
out=$(as_stranger "$CTL" --socket "$SOCK" list 2>&1)
expect_eq "a caller outside the socket group cannot even connect: exit 1, told to be root" \
	"1 autowg-ctl: cannot connect to $SOCK: Permission denied (autowg-ctl must run as root)" "$? $out"
got=$(as_group "$CALL" "$SOCK" register 1004 "$(newkey)" | cut -d' ' -f1,2)
expect_eq "responders (the socket group) keep registering" "200 ok" "$got"

# --- frames ----------------------------------------------------------------------------------
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
zeros() { printf "%0$(($1 * 2))d" 0; }
hexstr() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# name_pkt TYPE NAME [RESERVED] [NAME_FIELD_HEX]: MSG_CTL_SHOW (8) or MSG_CTL_REMOVE (9), 72 bytes.
name_pkt() {
	local f=${4:-$(hexstr "$2")}
	echo "$(le32 "$1")$(le32 "${3:-0}")$f$(zeros $((64 - ${#f} / 2)))"
}
expect_eq "a well-formed raw MSG_CTL_SHOW gets its reply" "packet 1: reply type 10, 288 bytes" \
	"$(call raw "$(name_pkt 8 1003)")"
expect_eq "a well-formed raw MSG_CTL_LIST gets its reply" "packet 1: reply type 7, 9744 bytes" \
	"$(call raw "$(le32 6)$(le32 0)")"
frame "MSG_CTL_REMOVE one byte short closes the connection" "$(name_pkt 9 1003 | cut -c3-)"
frame "MSG_CTL_REMOVE one byte too long closes the connection" "$(name_pkt 9 1003)00"
frame "MSG_CTL_LIST one byte too long closes the connection" "$(le32 6)$(le32 0)00"
frame "MSG_CTL_REMOVE with a non-zero reserved field closes the connection" "$(name_pkt 9 1003 1)"
frame "MSG_CTL_REMOVE with a name without a NUL closes the connection" \
	"$(name_pkt 9 x 0 "$(printf '31%.0s' $(seq 64))")"
frame "MSG_CTL_REMOVE with bytes after the name's NUL closes the connection" \
	"$(name_pkt 9 x 0 "$(hexstr 1003)00$(hexstr junk)")"
before=$(dump_stable)
frame "a reply type from a client closes the connection" "$(le32 10)$(zeros 284)"
expect_eq "no malformed request removed anything" "$before" "$(dump_stable)"

# --- remove ------------------------------------------------------------------------------------
expect_eq "before: 1003's key cannot be registered by another name" "409 key_taken" "$(reply_of 1005 "$K3")"
out=$(ctl remove 1003)
expect_eq "remove 1003: exit 0, says what it removed" "0 removed 1003 ${P}:1003 key $K3" "$? $out"
expect_eq "after: the key is free at once for another name" "200 ok" "$(reply_of 1005 "$K3")"

before=$(dump_stable | grep -v "^$K1 ")
"$CTL" --socket "$SOCK" remove 1001 >"$T_TMP/remove.out" &
CTL_PID=$!
wait "$CTL_PID"
rc=$?
out=$(cat "$T_TMP/remove.out")
expect_eq "remove 1001: exit 0, says what it removed" "0 removed 1001 ${P}:1001 key $K1" "$rc $out"
expect_eq "the peer is gone from wg show at once" "" "$(allowed_ips "$K1")"
check "no peer holds its address any more" \
	bash -c "! ip netns exec $NS wg show $IF allowed-ips | grep -qF '${P}:1001/128'"
check "the device's tunnel is cut: two pings get no answer" \
	bash -c "! ip netns exec $DNS ping -6 -c 2 -W 1 fde3:25fb:7f6c::1 >/dev/null 2>&1"
expect_eq "every other peer is untouched" "$before" "$(dump_stable)"
log_has "the removal is logged with what and who" \
	"removed 1001 ${P}:1001 key $K1: autowg-ctl remove (pid $CTL_PID uid 0)"
expect_eq "list no longer shows it" "" "$(ctl list | awk -F'\t' '$1 == 1001')"
ctl show 1001 >/dev/null 2>&1
expect_eq "show of the removed name: exit 3" 3 $?
ctl remove 1001 >/dev/null 2>&1
expect_eq "removing it again: exit 3" 3 $?
expect_eq "the name can register again (a new registration, not 'same')" "200 ok" "$(reply_of 1001 "$K1")"
check "... and its device reaches the concentrator again" wait_for 10 ping_srv

# --- more than one page --------------------------------------------------------------------------
bench=$(call bench 70 "" 2000)
expect_match "70 more devices register" "bench: 70 registrations, 0 refused" "$bench"
names=$(ctl list | cut -f1)
expect_eq "list pages through all of them: each device exactly once" \
	"$(printf '%s\n' 1001 1002 1004 1005 $(seq 2000 2069) | sort)" "$(printf '%s\n' "$names" | sort)"

# --- a stuck helper ----------------------------------------------------------------------------------
kill -STOP "$HPID"
on_exit "kill -CONT $HPID"
t0=$(date +%s)
out=$(timeout 60 "$CTL" --socket "$SOCK" list 2>&1)
rc=$?
t1=$(date +%s)
kill -CONT "$HPID"
expect_eq "a stuck helper: autowg-ctl gives up with exit 1 and says so" \
	"1 autowg-ctl: no reply from the helper at $SOCK: Connection timed out" "$rc $out"
check "... after its 10 s limit, not sooner, not much later ($((t1 - t0)) s)" test $((t1 - t0)) -ge 9 -a $((t1 - t0)) -le 20
expect_eq "after SIGCONT the helper answers autowg-ctl again" 0 "$(ctl list >/dev/null; echo $?)"

# --- the interface down ----------------------------------------------------------------------------
wgpid=$(pgrep -f "^wireguard-go $IF\$")
kill "$wgpid"
wait_for 5 grep -q "interface lost" "$HLOG"
"$CTL" --socket "$SOCK" remove 1002 >"$T_TMP/remove.out" 2>&1 &
CTL_PID=$!
wait "$CTL_PID"
expect_eq "remove while WireGuard is down: exit 1, says so" \
	"1 autowg-ctl: 1002: WireGuard interface unavailable; nothing was changed" "$? $(cat "$T_TMP/remove.out")"
ctl show 1002 >/dev/null
expect_eq "... and the device is still registered" 0 $?
log_has "... and the failure is logged" \
	"autowg-ctl remove 1002 ${P}:1002 key $K2b (pid $CTL_PID uid 0) failed: the interface is down"

check "helper stops (SIGTERM, exit 0)" stop_helper
done_testing
