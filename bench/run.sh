#!/bin/bash
# make bench: the figures of bench/README.md, each the median of BENCH_RUNS runs with
# min and max, to stdout and bench/results.txt, then PASS/MISS per goal.
#
# The lab: a wireguard-go interface in a network namespace, the real
# autowg-helper on it, spawn-fcgi with 1 and with 2 autowg-fcgi processes
# and 2 noop-fcgi processes (the ceiling), one nginx on loopback in front of
# all three (bench/nginx.conf.in: identity from a request header, bench
# only), driven by wrk with bench/register.lua; and two more pairs of
# responders that also get a real device certificate, one of them with
# --client-ca and --client-crl (the cost of client certificates).
# Root; from the top of the tree after "make B=... all tests/clients
# bench/noop-fcgi bench/peers-render bench/cert-cost" (make bench does it).
#   BENCH_SECONDS (5) per wrk run, BENCH_RUNS (3), BENCH_PEERS (65000: the
#   goals name 100,000, but wireguard-go refuses a peer beyond 65,536,
#   its device.MaxPeers), BENCH_MID (10000), BENCH_KEEP_LOGS (a directory)
#   BENCH_RESULTS (bench/results.txt) where the figures go
#   BENCH_QUICK=1: stop after the figures at 100 peers (a minute; for work
#   on the registration path), without writing bench/results.txt
#   BENCH_PERF=DIR: also profile (perf record -e cpu-clock, call graphs) the
#   helper and responders during an extra registration run and during
#   peers.json at the largest size; reports in DIR (not part of make bench)
#   BENCH_ONLY=cluster: only the cluster figure (bench/cluster.sh: three
#   concentrators with BIRD and a route reflector, BENCH_CLUSTER_DEVICES
#   devices, 10000; one concentrator dies), under a minute, without
#   writing bench/results.txt; make bench runs it first, before the lab
#   below (not with BENCH_QUICK)
set -u
cd "$(dirname "$0")/.." || exit 1
export TOP=$PWD
B=${B:-build}
[ "${BENCH_ONLY:-}" = cluster ] && exec bench/cluster.sh
DUR=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-3}
BIG=${BENCH_PEERS:-65000}
SMALL=100
MID=${BENCH_MID:-10000}
POOL=fde3:25fb:7f6c:1::/64
ROUTE=fde3:25fb:7f6c::/48
AUTH=bench:secret
. tests/lib.sh
. bench/lib.sh

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (namespaces, wireguard-go)" >&2; exit 1; }
for t in wrk nginx spawn-fcgi wireguard-go wg curl openssl ip; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing: make deps" >&2; exit 1; }
done
HELPER=$B/autowg-helper FCGI=$B/autowg-fcgi NOOP=$B/bench/noop-fcgi RENDER=$B/bench/peers-render CALL=$B/tests/clients/awg-call
CERTCOST=$B/bench/cert-cost
for f in "$HELPER" "$FCGI" "$NOOP" "$CALL" "$CERTCOST"; do
	[ -x "$f" ] || { echo "bench: $f is not built: make bench" >&2; exit 1; }
done

HZ=$(getconf CLK_TCK)
LOG=$T_TMP/log
mkdir -p "$LOG"
chmod 755 "$T_TMP"
RESULTS=$T_TMP/results.txt
: >"$RESULTS"
KEEP=${BENCH_KEEP_LOGS:-}
[ -n "$KEEP" ] && on_exit "cp -r $LOG $KEEP"

say "# autowg benchmark (make bench, bench/README.md): $(date -u '+%Y-%m-%d %H:%M UTC')"
say "# machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
	"$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
say "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work shares this machine)"
say "# each figure: median of $RUNS runs of ${DUR} s (min, max); wrk -t2 (-t1 at c=1), --timeout 10s"
say "# lab: wireguard-go $(wireguard-go --version 2>/dev/null | sed -n 's/^wireguard-go //p' | head -1)" \
	"in a namespace, autowg-helper (metans), spawn-fcgi, $(nginx -v 2>&1 | sed 's/.*: //')" \
	"(2 workers) on loopback, wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"

if [ -z "${BENCH_QUICK:-}" ]; then
	RESULTS=$RESULTS B=$B bench/cluster.sh || { echo "bench: the cluster figure failed" >&2; exit 1; }
fi

# --- the lab ---------------------------------------------------------------
NS=$(uniq_name bns)
IF=$(uniq_name wgb)
SOCK=$T_TMP/helper.sock
WPORT=$((20000 + RANDOM % 20000))
netns_add "$NS"
umask 077 # wg genkey's key file
wggo_up "$NS" "$IF" || { echo "bench: wireguard-go failed" >&2; exit 1; }
umask 022
ip netns exec "$NS" wg set "$IF" listen-port "$WPORT"
WG_PIDS=$(pgrep -x -f "wireguard-go $IF")
[ -n "$WG_PIDS" ] || { echo "bench: no wireguard-go process for $IF" >&2; exit 1; }

HPID="" HELPER_PIDS=""
# register.lua gives known names new keys back to back: no --min-rekey-interval.
start_helper() { # LOGFILE
	rm -f "$SOCK"
	ip netns exec "$NS" "$HELPER" --pool "$POOL" --route "$ROUTE" --endpoint vpn.example.com \
		--converter metans --max-peers $((BIG + 20000)) --socket "$SOCK" \
		--socket-group nogroup --min-rekey-interval 0 "$IF" 2>>"$1" &
	HPID=$! HELPER_PIDS=$!
	on_exit "kill $HPID"
}
helper_serves() { "$CALL" "$SOCK" table >/dev/null 2>&1; }
start_helper "$LOG/helper.log"
wait_for 10 helper_serves || { echo "bench: the helper does not serve" >&2; exit 1; }

D=$T_TMP/nginx
mkdir -p "$D"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=vpn.example.com" -keyout "$D/server.key" -out "$D/server.crt" 2>/dev/null ||
	{ echo "bench: openssl failed" >&2; exit 1; }
# The fleet's CA and CRL, and a device certificate for each name of the
# 100-peer fleet (s0 ..), URL-escaped into nginx's map "1<name>" -> PEM.
. tests/e2e/pki.sh
bench_pki() {
	local p=$D/pki
	mkdir -p "$p" && pki_ca "$p" ca && pki_crl "$p" ca || return 1
	# shellcheck disable=SC2046 # names are words
	pki_devices_one_key "$p" ca dev $(seq -f 's%.0f' 0 $((SMALL - 1))) || return 1
	python3 - "$p" "$SMALL" >"$D/certs.map" <<-'EOF' || return 1
		import sys, urllib.parse
		d, n = sys.argv[1], int(sys.argv[2])
		print('map "$bench_with_cert$http_x_bench_cn" $bench_client_cert {\n\tdefault "";')
		for i in range(n):
		    esc = urllib.parse.quote(open("%s/dev-s%d.crt" % (d, i)).read(), safe="")
		    open("%s/s%d.esc" % (d, i), "w").write(esc)
		    print('\t"1s%d" "%s";' % (i, esc))
		print("}")
	EOF
	chmod 0755 "$p" && chmod 0644 "$p"/*.crt "$p/ca.crl"
}
bench_pki || { echo "bench: the client certificates could not be made" >&2; exit 1; }
PORT=$((20000 + RANDOM % 20000))
STATUS_PORT=$((PORT + 10))
sed -e "s|@DIR@|$D|g" -e "s|@STATUS@|$STATUS_PORT|g" \
	-e "s|@PORT0@|$PORT|g" -e "s|@PORT1@|$((PORT + 1))|g" -e "s|@PORT2@|$((PORT + 2))|g" \
	-e "s|@PORT3@|$((PORT + 3))|g" -e "s|@PORT4@|$((PORT + 4))|g" -e "s|@PORT5@|$((PORT + 5))|g" \
	-e "s|@PORT6@|$((PORT + 6))|g" -e "s|@PORT7@|$((PORT + 7))|g" -e "s|@PORT8@|$((PORT + 8))|g" \
	-e "s|@PORT9@|$((PORT + 9))|g" \
	bench/nginx.conf.in >"$D/nginx.conf"
nginx -p "$D" -c "$D/nginx.conf" -e "$D/error.log" || { echo "bench: nginx failed" >&2; exit 1; }
on_exit "kill \$(cat $D/nginx.pid)"
wait_for 5 test -s "$D/nginx.pid"
wait_for 5 eval '[ "$(pgrep -P "$(cat "$D/nginx.pid")" | wc -l)" -ge 2 ]'
NGINX_PIDS="$(cat "$D/nginx.pid") $(pgrep -P "$(cat "$D/nginx.pid")" | tr '\n' ' ')"

spawn() { # NAME PROCS PROGRAM [ARGS...]
	local name=$1 procs=$2
	shift 2
	HTTP_AUTH=$AUTH spawn-fcgi -s "$D/$name.sock" -U nobody -G nogroup -M 0660 -u nobody \
		-g nogroup -F "$procs" -P "$D/$name.pid" -- "$@" >/dev/null 2>>"$LOG/spawn.log" || return 1
	on_exit "kill \$(cat $D/$name.pid)"
	[ "$(wc -w <"$D/$name.pid")" -eq "$procs" ]
}
spawn one 1 "$FCGI" --socket "$SOCK" && spawn two 2 "$FCGI" --socket "$SOCK" &&
	spawn noop 2 "$NOOP" && spawn cert 2 "$FCGI" --socket "$SOCK" &&
	spawn certca 2 "$FCGI" --socket "$SOCK" --client-ca "$D/pki/ca.crt" --client-crl "$D/pki/ca.crl" ||
	{ echo "bench: spawn-fcgi failed" >&2; exit 1; }
CERT_PIDS=$(cat "$D/cert.pid" | tr '\n' ' ')
CERTCA_PIDS=$(cat "$D/certca.pid" | tr '\n' ' ')
ONE_PIDS=$(cat "$D/one.pid" | tr '\n' ' ')
TWO_PIDS=$(cat "$D/two.pid" | tr '\n' ' ')
NOOP_PIDS=$(cat "$D/noop.pid" | tr '\n' ' ')
URL_HTTP_ONE=http://127.0.0.1:$PORT/v1/register URL_HTTPS_ONE=https://127.0.0.1:$((PORT + 1))/v1/register
URL_HTTP_TWO=http://127.0.0.1:$((PORT + 2))/v1/register URL_HTTPS_TWO=https://127.0.0.1:$((PORT + 3))/v1/register
URL_HTTP_NOOP=http://127.0.0.1:$((PORT + 4))/v1/register URL_HTTPS_NOOP=https://127.0.0.1:$((PORT + 5))/v1/register
URL_HTTPS_CERT=https://127.0.0.1:$((PORT + 7))/v1/register
URL_HTTPS_CERTCA=https://127.0.0.1:$((PORT + 9))/v1/register
PEERS_URL=http://127.0.0.1:$((PORT + 2))/v1/peers.json

# perf_during NAME PIDS CMD...: with BENCH_PERF set, a CPU profile of PIDS
# (space separated) while CMD runs, reported into $BENCH_PERF/NAME.txt.
perf_during() {
	local name=$1 pids=$2 pp
	shift 2
	[ -n "${BENCH_PERF:-}" ] || return 0
	mkdir -p "$BENCH_PERF"
	perf record -q -e cpu-clock -F 4999 -g -p "$(tr ' ' '\n' <<<"$pids" | grep . | paste -sd,)" \
		-o "$BENCH_PERF/$name.data" 2>/dev/null &
	pp=$!
	sleep 0.5
	"$@" >/dev/null
	kill -INT "$pp"
	wait "$pp"
	perf report -i "$BENCH_PERF/$name.data" --stdio --no-children --sort comm,dso,sym \
		--percent-limit 0.7 -g none 2>/dev/null >"$BENCH_PERF/$name.txt"
	perf report -i "$BENCH_PERF/$name.data" --stdio --children --sort comm,sym \
		--percent-limit 3 -g none 2>/dev/null >"$BENCH_PERF/$name.children.txt"
}
json_loop() { local i; for i in 1 2 3 4 5 6; do curl -s -o /dev/null -u "$AUTH" "$PEERS_URL"; done; }

peers() { ip netns exec "$NS" wg show "$IF" peers | wc -l; }
# fill N PREFIX [START]: N registrations of new names PREFIX<START..>
# straight into the helper's socket, 64 at a time (each batch of new keys
# costs the helper one dump of wireguard-go: one at a time would take hours).
fill() {
	local out
	out=$("$CALL" "$SOCK" fill "$1" "$2" "${3:-0}") || { echo "bench: fill failed: $out" >&2; exit 1; }
}
probe() { # URL: one registration must answer 200
	local code
	code=$(curl -sk -o /dev/null -w '%{http_code}' -H 'X-Bench-CN: s0' --data-binary \
		"$(head -c 32 /dev/urandom | base64)" "$1")
	[ "$code" = 200 ] || { echo "bench: $1 answers $code" >&2; exit 1; }
}
for u in "$URL_HTTP_ONE" "$URL_HTTPS_ONE" "$URL_HTTP_TWO" "$URL_HTTPS_TWO" "$URL_HTTP_NOOP" \
	"$URL_HTTPS_NOOP" "$URL_HTTPS_CERT" "$URL_HTTPS_CERTCA"; do
	probe "$u"
done

# --- registrations at 100 existing peers: the CPU baseline -------------------
# series N PREFIX FLEET: c=8 keep-alive through 2 responders, every
# registration a new key for one of FLEET known names (the peer count stays).
series() {
	local n=$1 prefix=$2 fleet=$3 i rate=() cpu=() ng=() wg=() p99=() hl=() rs=() start=0
	AUTOWG_PIDS="$HPID $TWO_PIDS" OTHER_PIDS=
	for ((i = 0; i < RUNS; i++)); do
		wrk_run "$URL_HTTP_TWO" 8 0 "$fleet" "$prefix" "$start"
		start=$((start + W_OK))
		rate+=("$W_RATE") cpu+=("$W_CPU_AUTOWG") ng+=("$W_CPU_NGINX") wg+=("$W_CPU_WG") p99+=("$W_P99")
		hl+=("$W_CPU_HELPER")
		rs+=("$(awk -v a="$W_CPU_AUTOWG" -v h="$W_CPU_HELPER" 'BEGIN { printf "%.1f", a - h }')")
	done
	local at="at $n peers"
	fig "rate_$n" "$at: registrations/s (c=8 keep-alive, 2 responders)" "reg/s" "%.0f" "${rate[@]}"
	fig "cpu_$n" "$at: CPU/registration, autowg (helper + responders)" "us" "%.1f" "${cpu[@]}"
	fig "cpu_helper_$n" "$at: CPU/registration, of that the helper" "us" "%.1f" "${hl[@]}"
	fig "cpu_fcgi_$n" "$at: CPU/registration, of that the responders" "us" "%.1f" "${rs[@]}"
	fig "p99_$n" "$at: p99 latency" "ms" "%.2f" "${p99[@]}"
	fig "cpu_nginx_$n" "$at: CPU/registration, nginx" "us" "%.1f" "${ng[@]}"
	fig "cpu_wg_$n" "$at: CPU/registration, wireguard-go" "us" "%.1f" "${wg[@]}"
	say "# peers on the interface after: $(peers)"
}
fill $((SMALL - 1)) s 1 # the probes registered s0
[ "$(peers)" -eq "$SMALL" ] || { echo "bench: $(peers) peers, want $SMALL" >&2; exit 1; }
say ""
say "## at $SMALL existing peers"
series "$SMALL" s "$SMALL"
perf_during register "$HPID $TWO_PIDS" wrk_run "$URL_HTTP_TWO" 8 0 "$SMALL" s 0
perf_during register-c64 "$HPID $TWO_PIDS $WG_PIDS" wrk_run "$URL_HTTP_TWO" 64 0 "$SMALL" s 0
# Memory after one peers.json too, as at the large size (its stats refresh
# holds a dump of the interface for a moment).
curl -s -o /dev/null -u "$AUTH" "$PEERS_URL"
fig rss_helper_$SMALL "at $SMALL peers: helper RSS (after a peers.json)" "kB" "%d" "$(rss_kb "$HPID")"
say "# helper at $SMALL peers: RssAnon $(rss_kb "$HPID" RssAnon) kB, RssFile $(rss_kb "$HPID" RssFile) kB, RssShmem $(rss_kb "$HPID" RssShmem) kB"
fig rss_fcgi_$SMALL "at $SMALL peers: responder RSS (largest of 2)" "kB" "%d" \
	"$(for p in $TWO_PIDS; do rss_kb "$p"; done | sort -n | tail -1)"

# --- client certificates: what decoding and verifying them costs ---------------
# Interleaved, as the matrix below: the three setups see the same load.
# HTTPS with a full handshake per request, as devices register; c=8.
say ""
say "## client certificates: HTTPS, a full handshake per request, c=8, 2 responders each"
say "# DN only: SSL_CLIENT_S_DN, as every other figure here; certificate: SSL_CLIENT_CERT too, a real"
say "# device certificate, decoded for its CN and the audit line; --client-ca: the same, verified"
say "# against the fleet CA and its CRL (--client-ca, --client-crl: the shipped unit with a CRL)"
declare -A C=()
CSTART=0
for ((i = 0; i < RUNS; i++)); do
	for setup in TWO CERT CERTCA; do
		u=URL_HTTPS_$setup p=${setup}_PIDS
		AUTOWG_PIDS="$HPID ${!p}" OTHER_PIDS=
		wrk_run "${!u}" 8 1 "$SMALL" s "$CSTART"
		CSTART=$((CSTART + W_OK))
		C[$setup.fcgi]+=" $(awk -v a="$W_CPU_AUTOWG" -v h="$W_CPU_HELPER" 'BEGIN { printf "%.1f", a - h }')"
		C[$setup.nginx]+=" $W_CPU_NGINX" C[$setup.rate]+=" $W_RATE"
	done
done
for setup in TWO CERT CERTCA; do
	case $setup in
	TWO) k=dn l="DN only" ;;
	CERT) k=cert l="certificate" ;;
	CERTCA) k=ca l="--client-ca" ;;
	esac
	fig "tls_fcgi_$k" "HTTPS, $l: CPU/registration, the responders" "us" "%.1f" ${C[$setup.fcgi]}
	fig "tls_nginx_$k" "HTTPS, $l: CPU/registration, nginx" "us" "%.1f" ${C[$setup.nginx]}
	fig "tls_rate_$k" "HTTPS, $l: registrations/s" "reg/s" "%.0f" ${C[$setup.rate]}
done
# differences within each run (the runs of one round see the same load)
diffs() { paste -d' ' <(tr ' ' '\n' <<<"$1" | grep .) <(tr ' ' '\n' <<<"$2" | grep .) |
	awk '{ printf "%.1f\n", $1 - $2 }'; }
fig tls_cert_adds "HTTPS: decoding the certificate adds (certificate minus DN only), responders" "us" "%.1f" \
	$(diffs "${C[CERT.fcgi]}" "${C[TWO.fcgi]}")
fig tls_verify_adds "HTTPS: the chain verification adds (--client-ca minus certificate), responders" "us" \
	"%.1f" $(diffs "${C[CERTCA.fcgi]}" "${C[CERT.fcgi]}")
# The same in process, step by step (bench/cert-cost), without the noise of
# the rest of a registration.
"$CERTCOST" "$D/pki/ca.crt" "$D/pki/ca.crl" "$D/pki/s0.esc" 2000 "$RUNS" >"$LOG/cert-cost.txt" ||
	echo "bench: cert-cost failed" >&2
cc_fig() { # KEY STEP LABEL
	# shellcheck disable=SC2046 # the figures of one line
	fig "$1" "in process, per call: $3" "us" "%.1f" $(awk -v s="$2" '$1 == s { $1 = ""; print }' "$LOG/cert-cost.txt")
}
cc_fig cc_parse parse "decoding the certificate (%-escapes, PEM, d2i_X509)"
cc_fig cc_cn cn "its CN"
cc_fig cc_describe describe "its serial, issuer and notAfter for the audit line"
cc_fig cc_verify verify "X509_verify_cert against --client-ca"
cc_fig cc_verify_crl verify_crl "X509_verify_cert against --client-ca, and --client-crl"
cc_fig cc_identity identity "the whole identity of a request, certificate without --client-ca"
cc_fig cc_identity_ca identity_ca "the whole identity with --client-ca and --client-crl"

if [ -n "${BENCH_QUICK:-}" ]; then
	echo "bench: BENCH_QUICK: stopped after the baseline; bench/results.txt not written"
	exit 0
fi

# --- the matrix: rate and latency, keep-alive and full TLS handshakes --------
# A fleet of MID-SMALL new names: the first pass registers new names (the
# interface grows to MID peers), every later one new keys for known names.
say ""
say "## registrations: rate and latency (fleet of $((MID - SMALL)) new names, then new keys;" \
	"the interface grows from $SMALL to $MID peers)"
MSTART=0
for mode in keepalive https; do
	close=0 label="HTTP keep-alive"
	if [ "$mode" = https ]; then close=1 label="HTTPS, full handshake per request"; fi
	c0=$(nginx_counts)
	for conc in 1 8 64; do
		declare -A R=()
		for ((i = 0; i < RUNS; i++)); do
			# Interleaved: the three setups see the same background load.
			for setup in TWO NOOP ONE; do
				u=URL_HTTP_$setup
				[ "$mode" = https ] && u=URL_HTTPS_$setup
				case $setup in
				ONE) AUTOWG_PIDS="$HPID $ONE_PIDS" OTHER_PIDS= ;;
				TWO) AUTOWG_PIDS="$HPID $TWO_PIDS" OTHER_PIDS= ;;
				NOOP) AUTOWG_PIDS="$HPID" OTHER_PIDS="$NOOP_PIDS" ;;
				esac
				wrk_run "${!u}" "$conc" "$close" $((MID - SMALL)) m "$MSTART"
				[ "$setup" = NOOP ] || MSTART=$((MSTART + W_OK))
				R[$setup.rate]+=" $W_RATE" R[$setup.p50]+=" $W_P50" R[$setup.p99]+=" $W_P99"
				R[$setup.cpu]+=" $W_CPU_AUTOWG" R[$setup.other]+=" $W_CPU_OTHER"
				R[$setup.nginx]+=" $W_CPU_NGINX" R[$setup.wrk]+=" $W_CPU_WRK"
				R[$setup.wg]+=" $W_CPU_WG"
			done
		done
		for setup in ONE TWO; do
			n=1 l="1 responder"
			[ $setup = TWO ] && n=2 l="2 responders"
			k="${mode}_c${conc}_$n"
			l="$label, c=$conc, $l"
			fig "rate_$k" "$l: registrations/s" "reg/s" "%.0f" ${R[$setup.rate]}
			fig "p50_$k" "$l: p50 latency" "ms" "%.2f" ${R[$setup.p50]}
			fig "p99_$k" "$l: p99 latency" "ms" "%.2f" ${R[$setup.p99]}
			fig "cpu_$k" "$l: CPU/registration, autowg" "us" "%.1f" ${R[$setup.cpu]}
			fig "cpun_$k" "$l: CPU/registration, nginx" "us" "%.1f" ${R[$setup.nginx]}
			fig "cpug_$k" "$l: CPU/registration, wireguard-go" "us" "%.1f" ${R[$setup.wg]}
			fig "cpuw_$k" "$l: CPU/registration, wrk (the client)" "us" "%.1f" ${R[$setup.wrk]}
		done
		k="${mode}_c${conc}_noop"
		l="$label, c=$conc, CEILING (do-nothing responder x2)"
		fig "rate_$k" "$l: requests/s" "req/s" "%.0f" ${R[NOOP.rate]}
		fig "p50_$k" "$l: p50 latency" "ms" "%.2f" ${R[NOOP.p50]}
		fig "p99_$k" "$l: p99 latency" "ms" "%.2f" ${R[NOOP.p99]}
		fig "cpuo_$k" "$l: CPU/request, do-nothing responders" "us" "%.1f" ${R[NOOP.other]}
		fig "cpun_$k" "$l: CPU/request, nginx" "us" "%.1f" ${R[NOOP.nginx]}
		fig "cpuw_$k" "$l: CPU/request, wrk (the client)" "us" "%.1f" ${R[NOOP.wrk]}
		unset R
	done
	c1=$(nginx_counts)
	say "# $label: nginx accepted $(($(cut -d' ' -f1 <<<"$c1") - $(cut -d' ' -f1 <<<"$c0")))" \
		"connections for $(($(cut -d' ' -f2 <<<"$c1") - $(cut -d' ' -f2 <<<"$c0"))) requests"
done
say "# peers on the interface after: $(peers)"

# --- at MID peers -------------------------------------------------------------
n=$(peers)
[ "$n" -lt "$MID" ] && fill $((MID - n)) t
say ""
say "## at $MID existing peers"
series "$MID" m $((MID - SMALL))

# peers_json N: RUNS*2 sequential GETs, then 8 at once (the refresh is shared).
peers_json() {
	local n=$1 t=() i code par
	for ((i = 0; i < RUNS * 2; i++)); do
		read -r code tt < <(curl -s -o "$LOG/peers.json" -w '%{http_code} %{time_total}\n' \
			-u "$AUTH" "$PEERS_URL")
		[ "$code" = 200 ] || echo "bench: peers.json answers $code: $(head -c 200 "$LOG/peers.json")" >&2
		t+=("$(awk -v s="$tt" 'BEGIN { printf "%.1f", s * 1000 }')")
	done
	fig "json_$n" "at $n peers: peers.json latency" "ms" "%.1f" "${t[@]}"
	say "# peers.json at $n peers: $(wc -c <"$LOG/peers.json") bytes," \
		"$(grep -o '"pubkey"' "$LOG/peers.json" | wc -l) peers listed"
	par=$(for i in 1 2 3 4 5 6 7 8; do
		curl -s -o /dev/null -w '%{time_total}\n' -u "$AUTH" "$PEERS_URL" &
	done; wait)
	fig "json8_$n" "at $n peers: peers.json latency, 8 at once (slowest of 8)" \
		"ms" "%.1f" "$(printf '%s\n' $par | sort -g | tail -1 | awk '{ printf "%.1f", $1 * 1000 }')"
}
peers_json "$MID"

# --- at BIG peers ---------------------------------------------------------------
n=$(peers)
t0=$(date +%s%N)
fill $((BIG - n)) g
t1=$(date +%s%N)
say ""
say "## at $BIG existing peers"
say "# filling $((BIG - n)) peers through the helper socket took $(ms_of $((t1 - t0))) ms"
[ "$(peers)" -ge "$BIG" ] || { echo "bench: $(peers) peers, want $BIG" >&2; exit 1; }
series "$BIG" g $((BIG - n))
fig rss_helper0_$BIG "at $BIG peers: helper RSS (before any peers.json)" "kB" "%d" "$(rss_kb "$HPID")"
say "# helper at $BIG peers before peers.json: RssAnon $(rss_kb "$HPID" RssAnon) kB, RssFile $(rss_kb "$HPID" RssFile) kB, RssShmem $(rss_kb "$HPID" RssShmem) kB"
peers_json "$BIG"
perf_during peers-json "$HPID $TWO_PIDS $WG_PIDS" json_loop
# 100,000 peers is past wireguard-go's cap: the responder's part of the
# answer (copy out of the table, sort, format) on a 100,000-entry table.
"$RENDER" 100000 $((RUNS * 2)) >"$LOG/render.txt"
fig json_render "peers.json built by the responder from a 100,000-entry table (no HTTP, no refresh)" \
	"ms" "%.1f" $(awk '{ print $1 }' "$LOG/render.txt")
fig metrics_render "/metrics with per-peer series built from a 100,000-entry table (no HTTP)" \
	"ms" "%.1f" $(awk '{ print $3 }' "$LOG/render.txt")
say "# from 100,000 entries: peers.json $(awk 'NR == 1 { print $2 }' "$LOG/render.txt") bytes," \
	"/metrics $(awk 'NR == 1 { print $4 }' "$LOG/render.txt") bytes"
fig rss_helper_$BIG "at $BIG peers: helper RSS (after peers.json)" "kB" "%d" "$(rss_kb "$HPID")"
say "# helper at $BIG peers: RssAnon $(rss_kb "$HPID" RssAnon) kB, RssFile $(rss_kb "$HPID" RssFile) kB, RssShmem $(rss_kb "$HPID" RssShmem) kB"
fig rss_fcgi_$BIG "at $BIG peers: responder RSS (largest of 2)" "kB" "%d" \
	"$(for p in $TWO_PIDS; do rss_kb "$p"; done | sort -n | tail -1)"
fig rss_wg_$BIG "at $BIG peers: wireguard-go RSS" "kB" "%d" "$(rss_kb "$WG_PIDS")"
hb=$(awk -v a="${FIG[rss_helper_$SMALL]}" -v b="${FIG[rss_helper_$BIG]}" -v n=$((BIG - SMALL)) \
	'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
hb0=$(awk -v a="${FIG[rss_helper_$SMALL]}" -v b="${FIG[rss_helper0_$BIG]}" -v n=$((BIG - SMALL)) \
	'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
fig helper_bpp0 "helper memory per peer beyond its base, before any peers.json at $BIG" \
	"bytes/peer" "%d" "$hb0"
fig helper_bpp "helper memory per peer beyond its base (RSS after peers.json at $BIG minus at $SMALL)" \
	"bytes/peer" "%d" "$hb"

# --- start-up flush -------------------------------------------------------------
# Restart the helper on the interface holding BIG pool peers: it removes all
# of them before it serves. Time from exec to the socket answering. Runs
# after the first refill the interface straight through wg (no helper).
flush_run() {
	local t0 t1
	kill -TERM "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	t0=$(date +%s%N)
	start_helper "$LOG/helper-restart.log"
	until helper_serves; do
		kill -0 "$HPID" 2>/dev/null || { echo "bench: the helper died" >&2; exit 1; }
		sleep 0.02
	done
	t1=$(date +%s%N)
	FL+=("$(ms_of $((t1 - t0)))")
	[ "$(peers)" -eq 0 ] || echo "bench: $(peers) peers left after the flush" >&2
}
# refill_wg N: N pool peers straight into wireguard-go with "wg addconf".
refill_wg() {
	head -c $(($1 * 33 + 99)) /dev/urandom | base64 -w 0 | fold -w 44 | awk -v n="$1" '
		length($0) < 44 || index($0, "=") { next }
		++i > n { exit }
		{ k = substr($0, 1, 42) "A="
		printf "[Peer]\nPublicKey = %s\nAllowedIPs = fde3:25fb:7f6c:1:%x:%x:%x:%x/128\n\n",
			k, int(i / 65536) % 65536, i % 65536, 1, 1 }' >"$T_TMP/refill.conf"
	ip netns exec "$NS" wg addconf "$IF" "$T_TMP/refill.conf"
}
say ""
say "## start-up flush"
FL=()
flush_run
for ((i = 1; i < RUNS; i++)); do
	refill_wg "$BIG" || { echo "bench: refill failed" >&2; break; }
	flush_run
done
fig flush "start-up flush of $BIG pool peers (helper start to socket answering)" "ms" "%.0f" "${FL[@]}"
say "# helper log: $(grep -m1 -o 'flushed [0-9]* peers from the pool' "$LOG/helper-restart.log")"

# --- goals ------------------------------------------------------------------------
say ""
say "## goals (bench/README.md), medians of this run"
goal() { # NAME OK(1/0) TEXT
	local r=MISS
	[ "$2" = 1 ] && r=PASS
	say "$r: $1: $3"
}
holds() { awk -v a="$1" -v b="$3" "BEGIN { r = (a $2 b) ? 1 : 0; print r }"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = (b > 0) ? a / b : 0; printf "%.2f", r }'; }
c100=${FIG[cpu_$SMALL]} cbig=${FIG[cpu_$BIG]}
goal "CPU per registration in autowg <= 48 us" "$(holds "$c100" '<=' 48)" "$c100 us at $SMALL peers"
goal "CPU per registration at $BIG peers within 1.3x of at $SMALL" \
	"$(holds "$(ratio "$cbig" "$c100")" '<=' 1.3)" "$cbig us / $c100 us = $(ratio "$cbig" "$c100")x"
for n in 1 2; do
	p=${FIG[p99_keepalive_c64_$n]}
	goal "p99 at c=64 keep-alive < 50 ms ($n responder(s))" "$(holds "$p" '<' 50)" "$p ms"
done
# The rate the goal means is the loaded one (c=64: a fleet re-registering
# at once); at c=1 and c=8 the ratio measures latency, listed for reference.
for n in 1 2; do
	a=${FIG[rate_https_c64_$n]} z=${FIG[rate_https_c64_noop]}
	goal "HTTPS full handshake >= 80% of the do-nothing rate, c=64, $n responder(s)" \
		"$(holds "$(ratio "$a" "$z")" '>=' 0.8)" "$a / $z reg/s = $(ratio "$a" "$z")"
	for conc in 1 8; do
		a=${FIG[rate_https_c${conc}_$n]} z=${FIG[rate_https_c${conc}_noop]}
		say "# HTTPS at c=$conc, $n responder(s): $a / $z reg/s = $(ratio "$a" "$z") of the do-nothing rate"
	done
done
goal "peers.json at $MID peers < 40 ms" "$(holds "${FIG[json_$MID]}" '<' 40)" "${FIG[json_$MID]} ms"
goal "peers.json at $BIG peers < 300 ms" "$(holds "${FIG[json_$BIG]}" '<' 300)" "${FIG[json_$BIG]} ms"
goal "peers.json from a 100,000-entry table (responder's part) < 300 ms" \
	"$(holds "${FIG[json_render]}" '<' 300)" "${FIG[json_render]} ms"
goal "helper memory < 300 bytes per peer beyond its base" "$(holds "$hb" '<' 300)" \
	"$hb bytes/peer after peers.json ($hb0 before any)"
say "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

cp "$RESULTS" "${BENCH_RESULTS:-bench/results.txt}"
echo "bench: written to ${BENCH_RESULTS:-bench/results.txt}"
