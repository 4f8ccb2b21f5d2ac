#!/bin/bash
# Two WireGuard interfaces on one concentrator, behind one nginx running
# conf/nginx-autowg-multi.conf: each interface has its own helper
# (autowg-helper@.service) and responders (autowg-fcgi@.service), started as
# systemd starts the two instances: in their own RuntimeDirectory, with the
# units' own ExecStart lines. Devices register on either prefix and join the
# right interface; autowg-ctl talks to each helper at its own socket. Then one
# interface's units stop as systemd stops them (the processes killed, their
# RuntimeDirectory removed): the other keeps its sockets and keeps
# registering devices, and the stopped one comes back when started again.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"

HELPER_UNIT=$CONF/autowg-helper@.service
FCGI_UNIT=$CONF/autowg-fcgi@.service
CTL=$B/autowg-ctl
LAB_CN=("" 1001 1002 1003)
# Interface A ("devices" in the conf file, at /vpn/) is the lab's own; B
# ("sensors", at /sensors/) is added beside it with a pool and route of its own.
A_PREFIX=/vpn/ B_PREFIX=/sensors/
B_ROUTE=fde3:25fb:7f6d::/48 B_POOL=fde3:25fb:7f6d:1::/64 B_CADDR=fde3:25fb:7f6d::1 B_PORT=51821
A_ARGS="--pool $LAB_POOL --route $LAB_ROUTE --endpoint $LAB_NAME --http-prefix $A_PREFIX --keepalive 25"
B_ARGS="--pool $B_POOL --route $B_ROUTE --endpoint $LAB_NAME --http-prefix $B_PREFIX --keepalive 25"

up() {
	lab_net 3 || return 1
	B_IF=$(uniq_name awb)
	wggo_up "$LAB_CNS" "$B_IF" || return 1
	lab_ns "$LAB_CNS" wg set "$B_IF" listen-port "$B_PORT" || return 1
	ip -n "$LAB_CNS" -6 addr add "$B_CADDR/48" dev "$B_IF" || return 1
	ip -n "$LAB_CNS" link set "$B_IF" mtu 1420 up
	A_IF=$LAB_CIF
	start A && start B || return 1
	sed -e "s|@FCGI_SOCKET_DEVICES@|$A_FCGI_SOCK|" -e "s|@FCGI_SOCKET_SENSORS@|$B_FCGI_SOCK|" \
		"$CONF/nginx-autowg-multi.conf" >"$LAB/nginx-autowg-multi.conf" &&
		lab_web nginx "$LAB/nginx-autowg-multi.conf"
}

# start A|B: that interface's helper, then its responders, as systemd
# starts autowg-helper@IF and autowg-fcgi@IF.
start() {
	local i=$1 ifn args
	eval "ifn=\$${i}_IF args=\$${i}_ARGS"
	LAB_HELPER_ARGS=$args lab_helper "$ifn" && lab_fcgi "$ifn" || return 1
	eval "${i}_HELPER_SOCK=\$LAB_HELPER_SOCK ${i}_HELPER_PID=\$LAB_HELPER_PID"
	eval "${i}_FCGI_SOCK=\$LAB_FCGI_SOCK ${i}_FCGI_PIDS=\$LAB_FCGI_PIDS"
}

# stop A|B: as systemd stops both units of that interface: every process
# gets SIGTERM, then each unit's RuntimeDirectory goes.
stop() {
	local i=$1 ifn hpid fpids p
	eval "ifn=\$${i}_IF hpid=\$${i}_HELPER_PID fpids=\$${i}_FCGI_PIDS"
	kill $fpids "$hpid"
	wait "$hpid"
	for p in $fpids; do wait_for 5 bash -c "! kill -0 $p 2>/dev/null"; done
	lab_rundirs_gone "$FCGI_UNIT" "$ifn"
	lab_rundirs_gone "$HELPER_UNIT" "$ifn"
}

# peer_on IF KEY: the allowed IPs IF gives KEY, or nothing.
peer_on() { lab_ns "$LAB_CNS" wg show "$1" allowed-ips | awk -v k="$2" '$1 == k { print $2 }'; }
b_ip() { echo "${B_POOL%::/64}::$1"; }
# register I PREFIX: device I's client against PREFIX.
register() { LAB_PREFIX=$2 lab_client "$1"; }
ctl() { "$CTL" --socket "$1" list | cut -f1-3; }

if up; then
	ok "lab up: two interfaces, each with the units' helper and responders, nginx with conf/nginx-autowg-multi.conf"
else
	not_ok "lab up: two interfaces, each with the units' helper and responders, nginx with conf/nginx-autowg-multi.conf"
	done_testing
	exit 1
fi
expect_eq "each helper instance has its own socket in its own runtime directory" \
	"$LAB/run/autowg/$A_IF/helper.sock $LAB/run/autowg/$B_IF/helper.sock" "$A_HELPER_SOCK $B_HELPER_SOCK"
expect_eq "each responder instance has its own socket in its own runtime directory" \
	"$LAB/run/autowg-fcgi/$A_IF/fcgi.sock $LAB/run/autowg-fcgi/$B_IF/fcgi.sock" "$A_FCGI_SOCK $B_FCGI_SOCK"

# --- both serve -------------------------------------------------------------------
D1=${LAB_CN[1]} D2=${LAB_CN[2]} D3=${LAB_CN[3]}
if register 1 "$A_PREFIX"; then ok "device $D1 registers at $A_PREFIX"; else not_ok "device $D1 registers at $A_PREFIX" "client said: $LAB_OUT"; fi
if register 2 "$B_PREFIX"; then ok "device $D2 registers at $B_PREFIX"; else not_ok "device $D2 registers at $B_PREFIX" "client said: $LAB_OUT"; fi
expect_eq "device $D1 gets its address in the first interface's pool" "$(lab_ip "$D1")/128" "$(lab_dev_addr 1)"
expect_eq "device $D2 gets its address in the second interface's pool" "$(b_ip "$D2")/128" "$(lab_dev_addr 2)"
expect_eq "device $D1's peer is on the first interface" "$(lab_ip "$D1")/128" "$(peer_on "$A_IF" "$(lab_dev_key 1)")"
expect_eq "device $D2's peer is on the second interface" "$(b_ip "$D2")/128" "$(peer_on "$B_IF" "$(lab_dev_key 2)")"
expect_eq "... and not on the first" "" "$(peer_on "$A_IF" "$(lab_dev_key 2)")"
expect_eq "device $D1 is not on the second" "" "$(peer_on "$B_IF" "$(lab_dev_key 1)")"
check "device $D1 pings the first interface's address through its tunnel" lab_ping "${LAB_DNS[1]}" "$LAB_CADDR"
check "device $D2 pings the second interface's address through its tunnel" lab_ping "${LAB_DNS[2]}" "$B_CADDR"
# The README's commands, with /run/ as the lab's.
expect_eq "autowg-ctl at the first helper's socket lists device $D1 alone" \
	"$(printf '%s\t%s\t%s' "$D1" "$(lab_ip "$D1")" "$(lab_dev_key 1)")" "$(ctl "$LAB/run/autowg/$A_IF/helper.sock")"
expect_eq "autowg-ctl at the second helper's socket lists device $D2 alone" \
	"$(printf '%s\t%s\t%s' "$D2" "$(b_ip "$D2")" "$(lab_dev_key 2)")" "$(ctl "$LAB/run/autowg/$B_IF/helper.sock")"

# --- one interface stops ------------------------------------------------------------
stop A
check "the stopped interface's runtime directories are gone" \
	test ! -e "$LAB/run/autowg/$A_IF" -a ! -e "$LAB/run/autowg-fcgi/$A_IF"
check "the other helper's socket is still there" test -S "$B_HELPER_SOCK"
check "the other responders' socket is still there" test -S "$B_FCGI_SOCK"
check "the other helper still runs" kill -0 "$B_HELPER_PID"
if register 3 "$B_PREFIX"; then ok "a new device $D3 registers at $B_PREFIX while the first interface is stopped"; else
	not_ok "a new device $D3 registers at $B_PREFIX while the first interface is stopped" "client said: $LAB_OUT"; fi
expect_eq "device $D3's peer is on the second interface" "$(b_ip "$D3")/128" "$(peer_on "$B_IF" "$(lab_dev_key 3)")"
check "device $D3 pings through its tunnel" lab_ping "${LAB_DNS[3]}" "$B_CADDR"
lab_ns "${LAB_DNS[2]}" ip link del "${LAB_DIF[2]}"
wait_for 5 bash -c "! test -S /var/run/wireguard/${LAB_DIF[2]}.sock"
if register 2 "$B_PREFIX"; then ok "device $D2, rebooted with a new key, registers again"; else
	not_ok "device $D2, rebooted with a new key, registers again" "client said: $LAB_OUT"; fi
expect_eq "... with the same address" "$(b_ip "$D2")/128" "$(lab_dev_addr 2)"
lab_ns "${LAB_DNS[1]}" ip link del "${LAB_DIF[1]}"
wait_for 5 bash -c "! test -S /var/run/wireguard/${LAB_DIF[1]}.sock"
if register 1 "$A_PREFIX"; then not_ok "the stopped interface registers nobody" "client said: $LAB_OUT"; else
	ok "the stopped interface registers nobody (client: $LAB_OUT)"; fi

# --- and starts again ------------------------------------------------------------------
if start A; then ok "the first interface's units start again"; else not_ok "the first interface's units start again"; fi
if register 1 "$A_PREFIX"; then ok "device $D1 registers again at $A_PREFIX"; else not_ok "device $D1 registers again at $A_PREFIX" "client said: $LAB_OUT"; fi
check "device $D1 pings through its new tunnel" lab_ping "${LAB_DNS[1]}" "$LAB_CADDR"
expect_eq "the second interface's devices are untouched" \
	"$(printf '%s\n' "$(b_ip "$D2")/128 $(lab_dev_key 2)" "$(b_ip "$D3")/128 $(lab_dev_key 3)" | sort)" \
	"$(lab_ns "$LAB_CNS" wg show "$B_IF" allowed-ips | awk '{ print $2, $1 }' | sort)"

# --- the README's kick, on one interface ---------------------------------------------
out=$("$CTL" --socket "$LAB/run/autowg/$A_IF/helper.sock" remove "$D1")
expect_eq "autowg-ctl at the first helper's socket removes device $D1" \
	"0 removed $D1 $(lab_ip "$D1") key $(lab_dev_key 1)" "$? $out"
check "device $D1's tunnel is cut: two pings get no answer" \
	bash -c "! ip netns exec ${LAB_DNS[1]} ping -6 -c 2 -W 1 $LAB_CADDR >/dev/null 2>&1"
"$CTL" --socket "$LAB/run/autowg/$A_IF/helper.sock" show "$D1" >/dev/null 2>&1
expect_eq "autowg-ctl show $D1 afterwards: no such device (exit 3)" 3 $?
expect_eq "the second interface's devices are still untouched" \
	"$(printf '%s\t%s\t%s\n' "$D2" "$(b_ip "$D2")" "$(lab_dev_key 2)" "$D3" "$(b_ip "$D3")" "$(lab_dev_key 3)" | sort)" \
	"$(ctl "$LAB/run/autowg/$B_IF/helper.sock" | sort)"

[ "$T_FAILS" -gt 0 ] && for l in helper helper-"$B_IF" fcgi fcgi-"$B_IF" web; do
	[ -f "$LAB/$l.log" ] && tail -n 20 "$LAB/$l.log" | sed "s/^/#   $l: /"
done
done_testing
