# autowg: not a test (sourced by the tests in this directory; see tests/run)
# The end-to-end lab, sourced after tests/lib.sh (bash). Real parts only:
# wireguard-go, the real helper and responders under spawn-fcgi, a real web
# server running the conf/ file itself (only placeholders and paths replaced),
# and devices running contrib/autowg-client in their own network namespaces.
#
#   concentrator netns $LAB_CNS
#     bridge lbr 10.77.0.1/24; wireguard-go $LAB_CIF set up as wg-quick would
#     (key, ListenPort, Address $LAB_CADDR/48, a static operator peer)
#     autowg-helper, spawn-fcgi with 2 responders, nginx|lighttpd|caddy on :443;
#     the responders' socket belongs to group $LAB_WEB_GROUP (made for the
#     lab, the unit's autowg-web), which only the web server's workers have
#   device netns $LAB_DNS[i], i = 1..N: eth0 10.77.0.(10+i) on the bridge,
#     /etc/netns/<ns>/hosts says vpn.test is 10.77.0.1, a certificate with
#     CN ${LAB_CN[i]}; its WireGuard interface is ${LAB_DIF[i]}
#
# Everything is registered with on_exit: namespaces, processes, sockets,
# interfaces and /etc/netns entries go away even when a test fails.
# Functions print "# ..." progress lines (TAP comments); lab_say is the hook
# tools/demo uses to narrate.

LAB_ROUTE=fde3:25fb:7f6c::/48
LAB_POOL=fde3:25fb:7f6c:1::/64
LAB_CADDR=fde3:25fb:7f6c::1
LAB_STATIC_ADDR=fde3:25fb:7f6c::2
LAB_PORT=51820
LAB_PREFIX=/vpn/
LAB_NAME=vpn.test
LAB_AUTH=ops:s3cret-peers
LAB_CN=("" 1001 1002 1003)
LAB_HELPER_ARGS="--pool $LAB_POOL --route $LAB_ROUTE --endpoint $LAB_NAME --http-prefix $LAB_PREFIX --keepalive 25"
E2E_DIR=$TOP/tests/e2e
CONF=${E2E_CONF:-$TOP/conf}  # E2E_CONF: try a changed copy (mutation checks)
. "$E2E_DIR/pki.sh"

lab_say() { echo "# $*"; }

# lab_ip CN: the address direct-bcd gives CN in $LAB_POOL.
lab_ip() { echo "${LAB_POOL%::/64}::$1"; }

# lab_subst IN OUT: conf/ file with the placeholders filled in for this lab.
lab_subst() {
	sed -e "s|@SERVER_NAME@|$LAB_NAME|g" -e "s|@TLS_CERT@|$LAB_PKI/server.crt|g" \
		-e "s|@TLS_KEY@|$LAB_PKI/server.key|g" -e "s|@FLEET_CA@|$LAB_PKI/fleet-ca.crt|g" \
		-e "s|@FCGI_SOCKET@|$LAB_FCGI_SOCK|g" \
		-e "s|@LIMIT_SCRIPT@|$CONF/lighttpd-autowg-limit.lua|g" "$1" >"$2" || return 1
	if grep -n '@[A-Z_]*@' "$2"; then echo "# unreplaced placeholder in $1" >&2; return 1; fi
}

# lab_execstart UNIT [INSTANCE]: the unit's ExecStart= line, with the
# installed paths replaced by this lab's (binaries from $B, /run/ under
# $LAB/run/, the fleet CA under $LAB_PKI), %i by INSTANCE ($LAB_CIF),
# $AUTOWG_ARGS by $LAB_HELPER_ARGS and the system accounts by ones every
# Debian has (nobody/nogroup for autowg) or the lab made (the socket's group).
lab_execstart() {
	sed -n 's/^ExecStart=//p' "$1" | sed \
		-e "s|/usr/local/sbin/autowg-helper|$B/autowg-helper|" \
		-e "s|/usr/local/bin/autowg-fcgi|$B/autowg-fcgi|" \
		-e "s| /run/| $LAB/run/|g" \
		-e "s|-u autowg -g autowg|-u nobody -g nogroup|" \
		-e "s|-U autowg -G autowg-web|-U nobody -G $LAB_WEB_GROUP|" \
		-e "s| /etc/autowg/device-ca.pem| $LAB_PKI/fleet-ca.crt|g" \
		-e "s|--socket-group autowg|--socket-group nogroup|" \
		-e "s|\\\$AUTOWG_ARGS|$LAB_HELPER_ARGS|" -e "s|%i|${2:-$LAB_CIF}|g"
}

# lab_arg FLAG CMD: the word after FLAG in the command line CMD.
lab_arg() { printf '%s\n' "$2" | sed -n "s/.* $1 \\([^ ]*\\).*/\\1/p"; }

# lab_rundirs UNIT INSTANCE: what systemd does before ExecStart: each
# RuntimeDirectory= made under $LAB/run (its parents too), with
# RuntimeDirectoryMode.
lab_rundirs() {
	local d mode
	mode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$1")
	for d in $(sed -n 's/^RuntimeDirectory=//p' "$1"); do
		mkdir -p "$LAB/run/${d//%i/$2}" && chmod "${mode:-0755}" "$LAB/run/${d//%i/$2}" || return 1
	done
}

# lab_rundirs_gone UNIT INSTANCE: what systemd does when the unit stops:
# each RuntimeDirectory= removed with what is in it, its parents kept.
lab_rundirs_gone() {
	local d
	for d in $(sed -n 's/^RuntimeDirectory=//p' "$1"); do rm -rf "${LAB:?}/run/${d//%i/$2}"; done
}

lab_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# lab_wg_state: what a refused request must not change on the concentrator:
# its key and port, every peer and its allowed IPs (not counters, not
# handshakes, which keepalives move).
lab_wg_state() {
	{
		lab_ns "$LAB_CNS" wg show "$LAB_CIF" public-key &&
			lab_ns "$LAB_CNS" wg show "$LAB_CIF" listen-port &&
			lab_ns "$LAB_CNS" wg show "$LAB_CIF" allowed-ips | sort
	} | tr '\t\n' ' ;'
}


# lab_net N: namespaces, the bridge, N devices, the concentrator's WireGuard.
lab_net() {
	local n=$1 i id
	id=$(printf '%x' $((T_ID % 65536)))
	LAB=$T_TMP/lab
	mkdir -p "$LAB/run" || return 1
	# Responders run as nobody: they must reach the sockets under $LAB.
	chmod 0711 "$T_TMP" "$LAB" && chmod 0755 "$LAB/run"
	LAB_PKI=$LAB/pki
	LAB_CNS=awc$id
	LAB_CIF=$(uniq_name awc)
	lab_say "PKI (README.md, Certificates): fleet CA, server CA and certificate for $LAB_NAME, devices ${LAB_CN[*]:1:n}, a rogue CA"
	pki_fleet "$LAB_PKI" "${LAB_CN[@]:1:n}" || return 1
	# The responders (nobody) read the fleet CA and its CRL, nothing else.
	chmod 0711 "$LAB_PKI" && chmod 0644 "$LAB_PKI/fleet-ca.crt" "$LAB_PKI/fleet-ca.crl"
	lab_group || return 1

	netns_add "$LAB_CNS" || return 1
	ip -n "$LAB_CNS" link add lbr type bridge || return 1
	ip -n "$LAB_CNS" addr add 10.77.0.1/24 dev lbr
	ip -n "$LAB_CNS" link set lbr up
	for ((i = 1; i <= n; i++)); do
		LAB_DNS[i]=awd$id-$i
		LAB_DIF[i]=$(uniq_name awd$i)
		netns_add "${LAB_DNS[i]}" || return 1
		ip link add eth0 netns "${LAB_DNS[i]}" type veth peer name vd$i netns "$LAB_CNS" || return 1
		ip -n "$LAB_CNS" link set "vd$i" master lbr up
		ip -n "${LAB_DNS[i]}" addr add "10.77.0.$((10 + i))/24" dev eth0
		ip -n "${LAB_DNS[i]}" link set eth0 up
		lab_hosts "${LAB_DNS[i]}" || return 1
		on_exit "lab_ns ${LAB_DNS[i]} ip link del ${LAB_DIF[i]}; rm -f /var/run/wireguard/${LAB_DIF[i]}.sock"
		lab_say "device ${LAB_CN[i]}: netns ${LAB_DNS[i]}, eth0 10.77.0.$((10 + i)), WireGuard ${LAB_DIF[i]}"
	done
	lab_concentrator
}

# lab_group: a system group of the lab's own for the responders' socket (the
# unit's autowg-web): the web server's workers get it, nothing else has it.
lab_group() {
	local i
	LAB_WEB_GROUP=awgw$(printf '%x' $((T_ID % 65536)))
	# groupadd fails while another process holds /etc/group's lock: retry
	for i in 1 2 3 4 5 6 7 8 9 10; do
		groupadd --system "$LAB_WEB_GROUP" 2>/dev/null && break
		getent group "$LAB_WEB_GROUP" >/dev/null && break
		sleep 0.3
	done
	getent group "$LAB_WEB_GROUP" >/dev/null || return 1
	on_exit "groupdel $LAB_WEB_GROUP"
}

# lab_hosts NS: vpn.test resolves to the concentrator inside NS only
# (ip netns exec bind-mounts /etc/netns/NS/hosts over /etc/hosts).
lab_hosts() {
	mkdir -p "/etc/netns/$1" || return 1
	on_exit "rm -rf /etc/netns/$1; rmdir /etc/netns"
	printf '127.0.0.1 localhost\n10.77.0.1 %s\n' "$LAB_NAME" >"/etc/netns/$1/hosts"
}

# The concentrator's interface, the way wg-quick sets up
#   [Interface] ListenPort, PrivateKey, Address = $LAB_CADDR/48
#   [Peer] PublicKey = <operator>, AllowedIPs = $LAB_STATIC_ADDR/128
lab_concentrator() {
	wggo_up "$LAB_CNS" "$LAB_CIF" || return 1
	lab_ns "$LAB_CNS" wg set "$LAB_CIF" listen-port "$LAB_PORT" || return 1
	wg genkey >"$LAB/operator.key"
	LAB_STATIC_KEY=$(wg pubkey <"$LAB/operator.key")
	lab_ns "$LAB_CNS" wg set "$LAB_CIF" peer "$LAB_STATIC_KEY" allowed-ips "$LAB_STATIC_ADDR/128" || return 1
	ip -n "$LAB_CNS" -6 addr add "$LAB_CADDR/48" dev "$LAB_CIF" || return 1
	ip -n "$LAB_CNS" link set "$LAB_CIF" mtu 1420 up
	LAB_STATIC_LINE=$(lab_ns "$LAB_CNS" wg show "$LAB_CIF" allowed-ips | grep "^$LAB_STATIC_KEY")
	lab_say "concentrator: netns $LAB_CNS, $LAB_CIF listening on $LAB_PORT, address $LAB_CADDR/48," \
		"static operator peer $LAB_STATIC_ADDR"
}

# lab_caps UNIT: setpriv's form of the unit's CapabilityBoundingSet, e.g.
# "-all,+net_admin,+chown".
lab_caps() {
	local c out=-all
	for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$1"); do
		c=${c#CAP_}
		out=$out,+${c,,}
	done
	echo "$out"
}

# lab_helper [INSTANCE]: the helper, started as systemd starts
# conf/autowg-helper@.service for INSTANCE ($LAB_CIF): in its
# RuntimeDirectory, with its ExecStart, only the unit's capabilities and
# NoNewPrivileges. Sets LAB_HELPER_SOCK and LAB_HELPER_PID; logs to
# $LAB/helper.log (helper-INSTANCE.log for another instance).
lab_helper() {
	local cmd unit=$CONF/autowg-helper@.service inst=${1:-$LAB_CIF} log=helper
	[ "$inst" = "$LAB_CIF" ] || log=helper-$inst
	cmd="setpriv --bounding-set $(lab_caps "$unit") --no-new-privs $(lab_execstart "$unit" "$inst")"
	[ -x "$B/autowg-helper" ] || { echo "# $B/autowg-helper is not built" >&2; return 1; }
	LAB_HELPER_SOCK=$(lab_arg --socket "$cmd")
	lab_rundirs "$unit" "$inst" || return 1
	lab_say "helper: $cmd"
	# shellcheck disable=SC2086 # a command line, split as systemd would
	ip netns exec "$LAB_CNS" $cmd >"$LAB/$log.log" 2>&1 &
	LAB_HELPER_PID=$!
	on_exit "kill $LAB_HELPER_PID; wait $LAB_HELPER_PID; rm -f $LAB_HELPER_SOCK"
	# alive too: a socket there may be another helper's
	wait_for 5 test -S "$LAB_HELPER_SOCK" && sleep 0.2 && kill -0 "$LAB_HELPER_PID" ||
		{ lab_log "$log"; return 1; }
}

# lab_fcgi [INSTANCE]: two responders, started as systemd starts
# conf/autowg-fcgi@.service for INSTANCE ($LAB_CIF): in its
# RuntimeDirectory, with its ExecStart and only the unit's capabilities.
# They must talk to the socket of lab_helper INSTANCE. Sets LAB_FCGI_SOCK and
# LAB_FCGI_PIDS.
lab_fcgi() {
	local cmd pid unit=$CONF/autowg-fcgi@.service inst=${1:-$LAB_CIF} log=fcgi helper_sock
	[ "$inst" = "$LAB_CIF" ] || log=fcgi-$inst
	cmd="setpriv --bounding-set $(lab_caps "$unit") --no-new-privs $(lab_execstart "$unit" "$inst")"
	[ -x "$B/autowg-fcgi" ] || { echo "# $B/autowg-fcgi is not built" >&2; return 1; }
	LAB_FCGI_SOCK=$(lab_arg -s "$cmd")
	helper_sock=$(lab_execstart "$CONF/autowg-helper@.service" "$inst")
	helper_sock=$(lab_arg --socket "$helper_sock")
	if [ "$(lab_arg --socket "$cmd")" != "$helper_sock" ]; then
		echo "# the responders' unit talks to $(lab_arg --socket "$cmd"), the helper's listens on $helper_sock" >&2
		return 1
	fi
	lab_rundirs "$unit" "$inst" || return 1
	lab_say "responders: HTTP_AUTH=<set> AUTOWG_CLIENT_CRL=${LAB_CLIENT_CRL:-$LAB_PKI/fleet-ca.crl} $cmd"
	# shellcheck disable=SC2086
	HTTP_AUTH=$LAB_AUTH AUTOWG_CLIENT_CRL=${LAB_CLIENT_CRL:-$LAB_PKI/fleet-ca.crl} lab_ns "$LAB_CNS" $cmd \
		>"$LAB/$log.log" 2>&1 || { lab_log "$log"; return 1; }
	LAB_FCGI_PIDS=$(cat "$(lab_arg -P "$cmd")")
	for pid in $LAB_FCGI_PIDS; do on_exit "kill $pid"; done
	on_exit "rm -f $LAB_FCGI_SOCK"
	wait_for 5 test -S "$LAB_FCGI_SOCK"
}

lab_log() { sed "s/^/#   $1: /" "$LAB/$1.log" >&2; }

# lab_web nginx|lighttpd|caddy [SITE]: the web server with its conf/ file,
# or with SITE (another conf/ file, placeholders and all).
lab_web() {
	LAB_WEB=$1
	local d=$LAB/$1 site=${2:-$CONF/$(lab_web_conf "$1")}
	mkdir -p "$d" || return 1
	case $1 in
	nginx)
		lab_subst "$site" "$d/site.conf" || return 1
		cp /etc/nginx/fastcgi_params "$d/"
		mkdir -p "$d/other-sites"
		# The workers run as www-data with the socket's group (README).
		cat >"$d/nginx.conf" <<-EOF
			# lab wrapper: the site is conf/nginx-autowg.conf; other sites
			# on the same server may go into other-sites/
			daemon off; master_process on; worker_processes 1; user www-data $LAB_WEB_GROUP;
			pid $d/nginx.pid; error_log $d/error.log;
			events {}
			http {
				access_log $d/access.log;
				client_body_temp_path $d/body; fastcgi_temp_path $d/fastcgi;
				proxy_temp_path $d/proxy; uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
				include $d/site.conf;
				include $d/other-sites/*.conf;
			}
		EOF
		lab_ns "$LAB_CNS" nginx -t -q -c "$d/nginx.conf" || return 1
		ip netns exec "$LAB_CNS" nginx -c "$d/nginx.conf" >"$LAB/web.log" 2>&1 &
		;;
	lighttpd)
		lab_subst "$site" "$d/site.conf" || return 1
		chown www-data "$d" # its error log, opened as www-data
		cat >"$d/lighttpd.conf" <<-EOF
			# lab wrapper: the site is conf/lighttpd-autowg.conf
			server.document-root = "$d"
			server.port = 443
			server.errorlog = "$d/error.log"
			server.username = "www-data"
			server.groupname = "$LAB_WEB_GROUP"
			include "$d/site.conf"
		EOF
		lab_ns "$LAB_CNS" lighttpd -tt -f "$d/lighttpd.conf" || return 1
		ip netns exec "$LAB_CNS" lighttpd -D -f "$d/lighttpd.conf" >"$LAB/web.log" 2>&1 &
		;;
	caddy)
		lab_subst "$site" "$d/Caddyfile" || return 1
		# Caddy keeps state under XDG dirs; keep it inside the lab.
		XDG_DATA_HOME=$d XDG_CONFIG_HOME=$d HOME=$d \
			lab_ns "$LAB_CNS" caddy validate --adapter caddyfile --config "$d/Caddyfile" >"$d/validate.log" 2>&1 ||
			{ cat "$d/validate.log" >&2; return 1; }
		XDG_DATA_HOME=$d XDG_CONFIG_HOME=$d HOME=$d \
			ip netns exec "$LAB_CNS" caddy run --adapter caddyfile --config "$d/Caddyfile" >"$LAB/web.log" 2>&1 &
		;;
	*) return 1 ;;
	esac
	LAB_WEB_PID=$!
	on_exit "kill $LAB_WEB_PID; wait $LAB_WEB_PID"
	lab_say "web server: $1 with ${site#"$TOP"/}, on 10.77.0.1:443, client certificates required"
	wait_for 10 lab_web_up || { lab_log web; return 1; }
}

lab_web_conf() { case $1 in nginx) echo nginx-autowg.conf ;; lighttpd) echo lighttpd-autowg.conf ;; caddy) echo Caddyfile ;; esac; }
lab_web_up() { lab_ns "$LAB_CNS" bash -c ': </dev/tcp/127.0.0.1/443' 2>/dev/null; }

# lab_up SERVER [N]: the whole lab with SERVER and N (3) devices.
lab_up() {
	lab_net "${2:-3}" && lab_helper && lab_fcgi && lab_web "$1"
}

# lab_device_conf I [CERTNAME]: the device's /etc/autowg.conf; prints its path.
lab_device_conf() {
	local i=$1 c=${2:-dev-${LAB_CN[$1]}} f=$LAB/dev$1.conf
	cat >"$f" <<-EOF
		ifname=${LAB_DIF[i]}
		api_endpoint=https://$LAB_NAME${LAB_PREFIX}v1/register
		cert=$LAB_PKI/$c.crt
		key=$LAB_PKI/$c.key
		ca=$LAB_PKI/server-ca.crt
	EOF
	echo "$f"
}

# lab_client I [SHELL] [CERTNAME]: run contrib/autowg-client on device I.
# Output in $LAB_OUT, status returned. Odd devices use busybox ash, even
# ones bash, unless SHELL is given.
lab_client() {
	local i=$1 sh=${2:-} conf
	[ -n "$sh" ] || { ((i % 2)) && sh="busybox ash" || sh=bash; }
	conf=$(lab_device_conf "$i" "${3:-}")
	# shellcheck disable=SC2086
	LAB_OUT=$(AUTOWG_CONF=$conf lab_ns "${LAB_DNS[i]}" $sh "$TOP/contrib/autowg-client" 2>&1)
}

lab_dev_key() { lab_ns "${LAB_DNS[$1]}" wg show "${LAB_DIF[$1]}" public-key 2>/dev/null; }
lab_dev_addr() { ip -n "${LAB_DNS[$1]}" -6 -o addr show dev "${LAB_DIF[$1]}" scope global 2>/dev/null | awk '{print $4}'; }

# lab_ping NS ADDR: a ping across the tunnel (a first one may wait for the
# handshake).
lab_ping() { wait_for 10 lab_ns "$1" ping -6 -c 1 -W 1 "$2" >/dev/null; }

# lab_curl I ARGS...: curl from device I's namespace to the web server.
lab_curl() {
	local i=$1; shift
	lab_ns "${LAB_DNS[i]}" curl -sS --max-time 10 --cacert "$LAB_PKI/server-ca.crt" "$@"
}

# lab_peers_json: GET peers.json with the operator's credentials (and, since
# the whole server wants a client certificate, device 1's).
lab_peers_json() {
	lab_curl 1 --cert "$LAB_PKI/dev-${LAB_CN[1]}.crt" --key "$LAB_PKI/dev-${LAB_CN[1]}.key" \
		-u "$LAB_AUTH" "https://$LAB_NAME${LAB_PREFIX}v1/peers.json"
}
