#!/bin/bash
# Requests per second through nginx -> autowg-fcgi (1 and 4 processes) ->
# autowg-helper -> a real wireguard-go interface, driven by wrk: no cgi-fcgi
# (it forks per request). Run as root from the top of the tree after make:
#   bench/run.sh [DURATION_SECONDS]
# Results go to stdout and bench/out/.
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
DUR=${1:-10}
export TOP=$PWD B
. tests/lib.sh
OUT=$PWD/bench/out
mkdir -p "$OUT"
chmod 755 "$T_TMP"
PORT=$((20000 + RANDOM % 20000))
NS=$(uniq_name bns)
IF=$(uniq_name wgb)

netns_add "$NS"
wggo_up "$NS" "$IF" || { echo "bench: wireguard-go failed"; exit 1; }
ip netns exec "$NS" wg set "$IF" listen-port 53092
ip netns exec "$NS" "$B/autowg-helper" --pool fde3:25fb:7f6c:1::/64 --route fde3:25fb:7f6c::/48 \
	--endpoint vpn.example.com --socket "$T_TMP/helper.sock" --socket-group nogroup "$IF" \
	>"$OUT/helper.log" 2>&1 &
on_exit "kill $!"
wait_for 5 test -S "$T_TMP/helper.sock" || { echo "bench: helper failed"; exit 1; }

mkdir -p "$T_TMP/nginx"
sed -e "s|@DIR@|$T_TMP/nginx|g" -e "s|@PORT@|$PORT|g" -e "s|@FSOCK@|$T_TMP/fcgi.sock|g" \
	bench/nginx.conf.in >"$T_TMP/nginx/nginx.conf"
nginx -p "$T_TMP/nginx" -c "$T_TMP/nginx/nginx.conf" -e "$T_TMP/nginx/error.log" || exit 1
on_exit "kill \$(cat $T_TMP/nginx/nginx.pid)"

run() { # PROCS MODE
	local procs=$1 mode=$2 pidf=$T_TMP/fcgi.$1.pid
	rm -f "$T_TMP/fcgi.sock"
	spawn-fcgi -s "$T_TMP/fcgi.sock" -M 0600 -u nobody -g nogroup -F "$procs" -P "$pidf" \
		-- "$B/autowg-fcgi" --socket "$T_TMP/helper.sock" >/dev/null || exit 1
	MODE=$mode wrk -t2 -c16 -d"${DUR}s" -s bench/register.lua "http://127.0.0.1:$PORT/v1/register" \
		>"$OUT/wrk-$procs-$mode.txt" 2>&1
	kill $(cat "$pidf")
	sleep 0.3
	printf '%d responder(s), %-5s keys: %s req/s; %s\n' "$procs" "$mode" \
		"$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk-$procs-$mode.txt")" \
		"$(grep '^requests' "$OUT/wrk-$procs-$mode.txt")"
}

for procs in 1 4; do
	run "$procs" fresh
	run "$procs" same
done
echo "peers on the interface: $(ip netns exec "$NS" wg show "$IF" peers | wc -l)"
