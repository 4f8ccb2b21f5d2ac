# autowg: not a test (sourced by tests/e2e/cluster.sh and bench/cluster.sh)
# The cluster lab, sourced after tests/lib.sh and tests/e2e/lab.sh (bash):
# three concentrators that serve one fleet, a core router between them and a
# server behind it, each in its own network namespace, BIRD on every router
# with the conf/ files themselves (only placeholders replaced).
#
#   inet   bridge ibr (10.77.0.0/24, "the internet"): concentrator k has
#          10.77.0.k on it (vpnk.test), device i 10.77.0.(10+i)
#   core   BIRD with conf/bird-core.conf (route reflector); link ck to
#          concentrator k (fd00:77:0:k::1/64), srv to the server LAN
#          (fde3:25fb:7f6c:ff::1/64, announced to the concentrators)
#   srv    the server the devices talk to, fde3:25fb:7f6c:ff::10/64
#   ck     concentrator k: pub (10.77.0.k/24), core (fd00:77:0:k::2/64),
#          wireguard-go set up as wg-quick would (fde3:25fb:7f6c::k/48,
#          port 51820, its own key), autowg-helper --install-routes
#          --node-id k-1, responders, nginx, BIRD with conf/bird-autowg.conf
#   dk     device k: eth0 (10.77.0.(10+k)), hosts for vpn1..3.test
#
# The helpers all use --pool $LAB_POOL --route $LAB_ROUTE with direct-bcd,
# or with CL_HELPER_EXTRA appended (the benchmark uses metans); CL_OFFSET[k]
# skews concentrator k's freshness clock by that many seconds. Everything is
# registered with on_exit. The lab.sh functions work on one concentrator at
# a time: cl_use K points their globals (LAB, LAB_CNS, LAB_CIF, ...) at K.

CL_N=3
CL_ASN=65077
CL_CORE_ID=10.77.255.1
CL_CONCENTRATORS=fd00:77::/48
CL_SERVER_NET=fde3:25fb:7f6c:ff::/64
CL_SERVER=fde3:25fb:7f6c:ff::10
CL_HELPER_EXTRA=${CL_HELPER_EXTRA:-}

cl_core_addr() { echo "fd00:77:0:$1::1"; }
cl_conc_addr() { echo "fd00:77:0:$1::2"; }

# cl_init: names and directories (no namespaces yet).
cl_init() {
	local id k
	id=$(printf '%x' $((T_ID % 65536)))
	CL=$T_TMP/cl
	CL_PKI=$CL/pki
	mkdir -p "$CL/bird" "$CL_PKI" || return 1
	# Responders run as nobody: they must reach the sockets under $CL.
	chmod 0711 "$T_TMP" "$CL"
	lab_group || return 1 # the responders' socket group (lab.sh)
	CL_NET=awk$id-net CL_CORE=awk$id-core CL_SRV=awk$id-srv
	for ((k = 1; k <= CL_N; k++)); do
		CL_CNS[k]=awk$id-c$k
		CL_CIF[k]=$(uniq_name awk$k)
		CL_DNS[k]=awk$id-d$k
		CL_DIF[k]=$(uniq_name awe$k)
	done
}

# cl_use K: lab.sh's globals for concentrator K.
cl_use() {
	LAB=$CL/c$1
	LAB_PKI=$CL_PKI/c$1
	LAB_CNS=${CL_CNS[$1]}
	LAB_CIF=${CL_CIF[$1]}
	LAB_NAME=vpn$1.test
	LAB_HELPER_SOCK=$LAB/run/helper.sock
	LAB_FCGI_SOCK=$LAB/run/fcgi.sock
	LAB_HELPER_ARGS="--pool $LAB_POOL --route $LAB_ROUTE --endpoint $LAB_NAME --http-prefix $LAB_PREFIX"
	LAB_HELPER_ARGS="$LAB_HELPER_ARGS --keepalive 25 --install-routes --node-id $(($1 - 1)) $CL_HELPER_EXTRA"
	if [ -n "${CL_OFFSET[$1]:-}" ]; then LAB_HELPER_ARGS="$LAB_HELPER_ARGS --freshness-offset ${CL_OFFSET[$1]}"; fi
}

# cl_pki CN...: the fleet CA, a device certificate per CN (named dev-CN) in
# CL_PKI, with server-ca.crt that devices verify the servers with; and for
# concentrator K the web server's files in CL_PKI/cK (lab.sh's LAB_PKI): its
# own certificate for vpnK.test as server.crt/.key, the fleet CA and its
# CRL (for the responders' --client-ca and --client-crl).
cl_pki() {
	local k cn
	pki_ca "$CL_PKI" fleet-ca || return 1
	for ((k = 1; k <= CL_N; k++)); do
		pki_server "$CL_PKI" "server$k" "vpn$k.test" && mkdir -p "$CL_PKI/c$k" &&
			mv "$CL_PKI/server$k.crt" "$CL_PKI/c$k/server.crt" &&
			mv "$CL_PKI/server$k.key" "$CL_PKI/c$k/server.key" &&
			cp "$CL_PKI/fleet-ca.crt" "$CL_PKI/c$k/" || return 1
	done
	for cn in "$@"; do pki_device "$CL_PKI" fleet-ca "dev-$cn" "$cn" || return 1; done
	pki_crl "$CL_PKI" fleet-ca || return 1
	chmod -R go-rwx "$CL_PKI"
	# The responders (nobody) read their fleet CA and its CRL, nothing else.
	for ((k = 1; k <= CL_N; k++)); do
		cp "$CL_PKI/fleet-ca.crl" "$CL_PKI/c$k/" && chmod 0711 "$CL_PKI/c$k" &&
			chmod 0644 "$CL_PKI/c$k/fleet-ca.crt" "$CL_PKI/c$k/fleet-ca.crl" || return 1
	done
	chmod 0711 "$CL_PKI"
}

_cl_sysctl() { ip netns exec "$1" sysctl -w net.ipv6.conf.all.forwarding=1 >/dev/null; }

# cl_net [DEVICES]: every namespace and link; DEVICES (0) device namespaces.
cl_net() {
	local nd=${1:-0} k
	netns_add "$CL_NET" && netns_add "$CL_CORE" && netns_add "$CL_SRV" || return 1
	ip -n "$CL_NET" link add ibr type bridge && ip -n "$CL_NET" link set ibr up || return 1
	_cl_sysctl "$CL_CORE" || return 1
	ip link add srv netns "$CL_CORE" type veth peer name eth0 netns "$CL_SRV" || return 1
	ip -n "$CL_CORE" addr add "${CL_SERVER_NET%::/64}::1/64" dev srv nodad
	ip -n "$CL_CORE" link set srv up
	ip -n "$CL_SRV" addr add "$CL_SERVER/64" dev eth0 nodad
	ip -n "$CL_SRV" link set eth0 up
	ip -n "$CL_SRV" -6 route add default via "${CL_SERVER_NET%::/64}::1" || return 1
	for ((k = 1; k <= CL_N; k++)); do
		netns_add "${CL_CNS[k]}" && _cl_sysctl "${CL_CNS[k]}" || return 1
		ip link add pub netns "${CL_CNS[k]}" type veth peer name pc$k netns "$CL_NET" || return 1
		ip -n "$CL_NET" link set "pc$k" master ibr up
		ip -n "${CL_CNS[k]}" addr add "10.77.0.$k/24" dev pub
		ip link add core netns "${CL_CNS[k]}" type veth peer name "c$k" netns "$CL_CORE" || return 1
		ip -n "$CL_CORE" addr add "$(cl_core_addr "$k")/64" dev "c$k" nodad
		ip -n "$CL_CORE" link set "c$k" up
		cl_links "$k" up || return 1
		lab_say "concentrator $k: netns ${CL_CNS[k]}, vpn$k.test = 10.77.0.$k, link to the core $(cl_conc_addr "$k")"
	done
	for ((k = 1; k <= nd; k++)); do
		netns_add "${CL_DNS[k]}" || return 1
		ip link add eth0 netns "${CL_DNS[k]}" type veth peer name "pd$k" netns "$CL_NET" || return 1
		ip -n "$CL_NET" link set "pd$k" master ibr up
		ip -n "${CL_DNS[k]}" addr add "10.77.0.$((10 + k))/24" dev eth0
		ip -n "${CL_DNS[k]}" link set eth0 up
		cl_hosts "${CL_DNS[k]}" || return 1
		on_exit "ip -n ${CL_DNS[k]} link del ${CL_DIF[k]}; rm -f /var/run/wireguard/${CL_DIF[k]}.sock"
	done
	lab_say "core: netns $CL_CORE, server $CL_SERVER in netns $CL_SRV"
}

# cl_links K up|down: concentrator K's links to the internet and the core.
# Taking a link down drops its IPv6 addresses, so up puts them back, as the
# concentrator's network configuration would when it boots.
cl_links() {
	local ns=${CL_CNS[$1]}
	ip -n "$ns" link set pub "$2" && ip -n "$ns" link set core "$2" || return 1
	[ "$2" = up ] || return 0
	ip -n "$ns" addr replace "$(cl_conc_addr "$1")/64" dev core nodad
}

# cl_hosts NS: vpnK.test is concentrator K, inside NS only.
cl_hosts() {
	local k
	mkdir -p "/etc/netns/$1" || return 1
	on_exit "rm -rf /etc/netns/$1; rmdir /etc/netns"
	{
		echo "127.0.0.1 localhost"
		for ((k = 1; k <= CL_N; k++)); do echo "10.77.0.$k vpn$k.test"; done
	} >"/etc/netns/$1/hosts"
}

# cl_bird_conf IN OUT K: a conf/ BIRD file with its placeholders filled in for
# router K (0 is the core).
cl_bird_conf() {
	local id=$CL_CORE_ID
	[ "$3" -gt 0 ] && id=10.77.0.$3
	sed -e "s|@ROUTER_ID@|$id|g" -e "s|@ASN@|$CL_ASN|g" -e "s|@POOL@|$LAB_POOL|g" \
		-e "s|@ROUTE@|$LAB_ROUTE|g" -e "s|@CORE_ADDR@|$(cl_core_addr "$3")|g" \
		-e "s|@CONCENTRATORS@|$CL_CONCENTRATORS|g" -e "s|@SERVER_IF@|srv|g" "$1" >"$2" || return 1
	if grep -n '@[A-Z_]*@' "$2"; then echo "# unreplaced placeholder in $1" >&2; return 1; fi
}

# cl_bird K: BIRD on router K (0: the core, with bird-core.conf), control
# socket $CL/bird/K.ctl, log $CL/bird/K.log.
cl_bird() {
	local k=$1 ns conf=$CONF/bird-autowg.conf d=$CL/bird
	ns=${CL_CNS[k]:-}
	if [ "$k" -eq 0 ]; then ns=$CL_CORE conf=$CONF/bird-core.conf; fi
	cl_bird_conf "$conf" "$d/$k.conf" "$k" || return 1
	bird -p -c "$d/$k.conf" || return 1
	rm -f "$d/$k.ctl"
	ip netns exec "$ns" bird -f -c "$d/$k.conf" -s "$d/$k.ctl" -P "$d/$k.pid" -D "$d/$k.log" &
	CL_BIRD_PID[k]=$!
	on_exit "kill ${CL_BIRD_PID[k]}; wait ${CL_BIRD_PID[k]}"
	wait_for 5 birdc -s "$d/$k.ctl" show status >/dev/null 2>&1
}

# cl_birdc K ARGS...: a BIRD command on router K.
cl_birdc() { local k=$1; shift; birdc -s "$CL/bird/$k.ctl" "$@"; }

# cl_session_up K: concentrator K's session with the core is established.
cl_session_up() { cl_birdc "$1" show protocols core1 2>/dev/null | grep -q Established; }

# cl_wg K: concentrator K's WireGuard interface as wg-quick sets it up; the
# key is kept in $CL, so a concentrator that comes back has the same one.
cl_wg() {
	local k=$1 key=$CL/c$1.key
	[ -s "$key" ] || (umask 077 && wg genkey >"$key") || return 1
	rm -f "/var/run/wireguard/${CL_CIF[k]}.sock"
	wggo_up "${CL_CNS[k]}" "${CL_CIF[k]}" "$key" || return 1
	ip netns exec "${CL_CNS[k]}" wg set "${CL_CIF[k]}" listen-port "$LAB_PORT" || return 1
	ip -n "${CL_CNS[k]}" -6 addr add "${LAB_ROUTE%::/48}::$k/48" dev "${CL_CIF[k]}" nodad || return 1
	ip -n "${CL_CNS[k]}" link set "${CL_CIF[k]}" mtu 1420 up
}

# cl_conc_up K [noweb]: concentrator K: WireGuard, helper, then (unless
# noweb) responders and nginx, then BIRD.
cl_conc_up() {
	local k=$1
	cl_use "$k"
	mkdir -p "$LAB/run" && chmod 0711 "$LAB" && chmod 0755 "$LAB/run" || return 1
	rm -f "$LAB_HELPER_SOCK" "$LAB_FCGI_SOCK"
	cl_wg "$k" && lab_helper || return 1
	CL_HELPER_PID[k]=$LAB_HELPER_PID
	if [ "${2:-}" != noweb ]; then
		lab_fcgi && lab_web nginx || return 1
	fi
	cl_bird "$k"
}

# cl_up [DEVICES] [noweb]: the whole cluster, every session established.
cl_up() {
	local k
	cl_net "${1:-0}" && cl_bird 0 || return 1
	for ((k = 1; k <= CL_N; k++)); do cl_conc_up "$k" "${2:-}" || return 1; done
	for ((k = 1; k <= CL_N; k++)); do
		wait_for 15 cl_session_up "$k" || { echo "# concentrator $k: no BGP session" >&2; return 1; }
	done
}

# cl_kill K: concentrator K dies: every process in its namespace killed
# (wireguard-go, helper, responders, nginx, BIRD), its links down.
cl_kill() {
	local pids p
	pids=$(ip netns pids "${CL_CNS[$1]}")
	# Quietly: bash would report each of its killed jobs.
	{
		# shellcheck disable=SC2086 # a list of pids
		[ -n "$pids" ] && kill -9 $pids
		for p in $pids; do wait_for 5 eval "! kill -0 $p 2>/dev/null"; done
	} 2>/dev/null
	cl_links "$1" down
}

# cl_peers K: "ADDRESS" of every pool peer on concentrator K, sorted.
cl_peers() {
	ip netns exec "${CL_CNS[$1]}" wg show "${CL_CIF[$1]}" allowed-ips 2>/dev/null |
		awk '{ for (i = 2; i <= NF; i++) print $i }' | grep "^${LAB_POOL%::/64}:" | sed 's|/128$||' | sort
}

# cl_routes K: the helper's routes on concentrator K, "ADDRESS", sorted.
cl_routes() {
	ip -n "${CL_CNS[$1]}" -6 route show proto 213 2>/dev/null | awk '{ print $1 }' | sort
}

# cl_core_paths: every path the core's BIRD has for a device, "ADDRESS K"
# (K the concentrator it leads to), sorted.
cl_core_paths() {
	cl_birdc 0 show route in "$LAB_POOL" 2>/dev/null | awk '
		$1 ~ /\/128$/ { net = $1; sub(/\/128$/, "", net) }
		/^[ \t]+via .* on c[0-9]+$/ { k = $NF; sub(/^c/, "", k); print net, k }' | sort
}

# cl_where ADDRESS...: for each address, the concentrators that hold a peer
# for it, "ADDRESS K[,K...]" ("ADDRESS " when none), one per line.
cl_where() {
	local k
	{
		for ((k = 1; k <= CL_N; k++)); do cl_peers "$k" | sed "s/\$/ $k/"; done
		echo --
		printf '%s\n' "$@"
	} | awk '$0 == "--" { q = 1; next }
		!q { if ($1 in w) w[$1] = w[$1] "," $2; else w[$1] = $2; next }
		{ print $1 " " w[$1] }'
}

# cl_wait SECONDS CMD...: poll CMD every 0.1 s until it succeeds, for at most
# SECONDS of wall time (wait_for counts tries, which a slow CMD stretches).
cl_wait() {
	local end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@"; do
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.1
	done
}
