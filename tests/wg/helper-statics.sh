#!/bin/bash
# Static peers against the helper, on real wireguard-go: a static peer with
# one allowed IP inside the pool loses only its pool addresses at start-up,
# and a static peer added with `wg set` while the helper runs cannot have its
# key taken by a registration, however soon after it came.
. "$(dirname "$0")/helper-lib.sh"

hl_setup

# --- start-up: only the pool's addresses go -------------------------------------------
SM=$(newkey) SP=$(newkey) SW=$(newkey)
many=$(awk 'BEGIN { for (i = 1; i <= 1500; i++) printf ",fd00:3::%x/128", i }')
wgx set "$IF" peer "$SM" allowed-ips 10.1.0.0/24,fd00:2::/64,fde3:25fb:7f6c:1::9/128,fde3:25fb:7f6c:1:1::/80 \
	peer "$SP" allowed-ips fde3:25fb:7f6c:1::5/128 \
	peer "$SW" allowed-ips "fde3:25fb:7f6c:1::8/128$many"
check "helper starts" start_helper
expect_eq "a static peer with allowed IPs inside the pool keeps those outside it (IPv4 too)" \
	"10.1.0.0/24 fd00:2::/64" "$(allowed_ips "$SM" | tr ',' '\n' | sort | xargs)"
expect_eq "... and one with 1500 outside keeps all 1500" 1500 "$(allowed_ips "$SW" | tr ',' '\n' | grep -c '^fd00:3::')"
expect_eq "... and loses its pool address" "" "$(allowed_ips "$SW" | tr ',' '\n' | grep '^fde3:25fb:7f6c:1:')"
expect_eq "a peer with allowed IPs only inside the pool is flushed" "" "$(allowed_ips "$SP")"
expect_eq "two peers left: the two trimmed static ones" 2 "$(dump | tail -n +2 | wc -l)"
expect_eq "the log says which pool addresses a static peer lost" 1 \
	"$(grep -F "static peer $SM lost its allowed IPs inside the pool: " "$HLOG" | grep -c 'fde3:25fb:7f6c:1::9/128.*; kept the 2 outside it$')"
expect_match "start-up logs the flush of the pool-only peer" "flushed 1 peer from the pool" "$(cat "$HLOG")"
expect_eq "the trimmed peer's key is a static peer's: 409" "409 key_static" "$(reply_of 1234 "$SM")"
expect_eq "its old pool address is free for its device: 200" "200 ok" "$(reply_of 9 "$(newkey)")"
expect_eq "... and the trimmed peer still has its outside addresses" \
	"10.1.0.0/24 fd00:2::/64" "$(allowed_ips "$SM" | tr ',' '\n' | sort | xargs)"
check "SIGTERM: exit 0" stop_helper

# The same with --keep-peers: such a peer is never kept, only trimmed.
wgx set "$IF" peer "$SM" allowed-ips 10.1.0.0/24,fd00:2::/64,fde3:25fb:7f6c:1::9/128
check "helper starts with --keep-peers" start_helper --keep-peers
expect_eq "--keep-peers: the static peer keeps its outside addresses, loses the pool's" \
	"10.1.0.0/24 fd00:2::/64" "$(allowed_ips "$SM" | tr ',' '\n' | sort | xargs)"
check "SIGTERM: exit 0" stop_helper

# --- a static peer added while the helper runs ------------------------------------------
# The helper re-reads static peers about once a second; a registration that
# comes right after `wg set` falls inside that window. Three tries: each one
# must be refused, whenever the re-read happens to fall.
check "helper starts" start_helper
for i in 1 2 3; do
	S=$(newkey)
	wgx set "$IF" peer "$S" allowed-ips "fd00:9::$i/128,10.9.0.$i/32"
	got=$(reply_of "77$i" "$S")
	after=$(allowed_ips "$S")
	if [ "$got" = "409 key_static" ] && [ "$after" = "fd00:9::$i/128,10.9.0.$i/32" ]; then
		ok "static peer added with wg set, registered at once (try $i): 409, its allowed IPs untouched"
	else
		not_ok "static peer added with wg set, registered at once (try $i): 409, its allowed IPs untouched" \
			"got: $got" "its allowed IPs now: $after"
	fi
done
expect_eq "no entry took a static peer's key" 0 "$(call table | grep -c '^entry 77')"
expect_match "the refusals are logged as key_static" "refused CN '771' name 771 key .*: key_static" \
	"$(cat "$HLOG")"
# A new device's key is checked too, and still registers.
expect_eq "a new device registers as ever" "200 ok" "$(reply_of 1234 "$(newkey)")"

# The userspace backend reads the interface again only when another process
# connected to its UAPI socket since the last read. A connection made before
# that read and used after it must count too: a UAPI client holds one open
# across a registration (which reads the interface), then adds a static peer
# through it, and that key is registered at once.
coproc HOLD { ip netns exec "$NS" python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
print("connected")
key, ips = sys.stdin.readline().split()
s.sendall(("set=1\npublic_key=%s\nallowed_ip=%s\n\n" % (key, ips)).encode())
print(s.recv(100).decode().split()[0])
sys.stdin.readline()
' "/var/run/wireguard/$IF.sock"; }
on_exit "kill $HOLD_PID"
read -r -t 5 line <&"${HOLD[0]}"
expect_eq "a UAPI client holds a connection open" connected "$line"
expect_eq "a registration while it is open" "200 ok" "$(reply_of 1235 "$(newkey)")"
S=$(newkey)
echo "$(printf '%s' "$S" | base64 -d | od -An -tx1 | tr -d ' \n') fd00:9::99/128" >&"${HOLD[1]}"
read -r -t 5 line <&"${HOLD[0]}"
expect_eq "... then adds a static peer through it" errno=0 "$line"
expect_eq "that static peer's key, registered at once: 409" "409 key_static" "$(reply_of 779 "$S")"
expect_eq "... its allowed IP untouched" "fd00:9::99/128" "$(allowed_ips "$S")"
echo >&"${HOLD[1]}"
check "SIGTERM: exit 0" stop_helper
done_testing
