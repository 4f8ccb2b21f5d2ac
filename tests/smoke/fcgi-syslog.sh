#!/bin/bash
# Logging under spawn-fcgi: forked children get a stderr that goes to
# /dev/null, so autowg-fcgi logs to syslog(3) there (--log auto). The
# responders run in a mount namespace whose /dev/log is a datagram socket
# this test reads (no syslog daemon needed); a refusal must arrive there,
# with facility daemon and ident autowg-fcgi. The same set-up with
# --log stderr loses it (the control), and a responder whose stderr is a
# file keeps logging there.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

PY=/usr/bin/python3
fcgi_netns && helper_start ||
	{ not_ok "start helper" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

# syslog_rx NAME: a unix datagram socket $T_TMP/NAME.sock; every datagram
# becomes one line of $T_TMP/NAME.log.
syslog_rx() {
	$PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
import os; os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "ab", buffering=0)
while True:
    out.write(s.recv(65536).replace(b"\n", b" ") + b"\n")
' "$T_TMP/$1.sock" "$T_TMP/$1.log" &
	on_exit "kill $!"
	: >"$T_TMP/$1.log"
	wait_for 5 test -S "$T_TMP/$1.sock"
}

# spawn_ns NAME FCGISOCK [ARGS...]: spawn-fcgi (forking, 1 child) inside a
# private mount namespace whose /dev holds only null and log -> NAME.sock.
spawn_ns() {
	local name=$1 sock=$2 d=$T_TMP/dev-$1
	shift 2
	mkdir -p "$d/old"
	unshare -m --propagation private bash -c '
		set -e
		mount --bind /dev "$1/old"
		mount -t tmpfs -o mode=0755 tmpfs /dev
		touch /dev/null && mount --bind "$1/old/null" /dev/null
		ln -s "$2" /dev/log
		shift 3
		exec spawn-fcgi -s "$0" -M 0600 -u nobody -g nogroup -F 1 -P "$0.pid" -- "$@"
	' "$sock" "$d" "$T_TMP/$name.sock" -- "$B/autowg-fcgi" --socket "$HSOCK" "$@" \
		>>"$T_TMP/spawn.log" 2>&1 || return 1
	on_exit "kill \$(cat $sock.pid)"
	wait_for 5 test -S "$sock"
}

refuse() { REQ_SOCK=$1 req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=0; }

check "a datagram socket stands in for /dev/log" syslog_rx auto
check "responder under spawn-fcgi -F in a namespace with that /dev/log" spawn_ns auto "$T_TMP/auto.fcgi"
pid=$(cat "$T_TMP/auto.fcgi.pid")
expect_match "its stderr is /dev/null" '^/dev/null$' "$(readlink "/proc/$pid/fd/2")"
refuse "$T_TMP/auto.fcgi"
expect_status "a request without a certificate: 403" 403
check "the refusal reaches syslog" wait_for 5 grep -q 'autowg-fcgi\[[0-9]*\]: 403 Forbidden' "$T_TMP/auto.log"
line=$(grep -m1 'autowg-fcgi.*403 Forbidden' "$T_TMP/auto.log")
echo "# syslog got: $line"
expect_match "... with facility daemon, priority notice (<29>), ident autowg-fcgi and the pid" \
	"^<29>.* autowg-fcgi\\[$pid\\]: 403 Forbidden: " "$line"
# Without --client-ca, one warning when it starts, before any request.
expect_match "without --client-ca the first line, a warning (<28>), says the web server's word alone counts" \
	"^<28>.* autowg-fcgi\\[$pid\\]: no --client-ca: client certificates are trusted on the web server's word alone" \
	"$(grep -m1 'autowg-fcgi' "$T_TMP/auto.log")"
expect_eq "... exactly once" 1 "$(grep -c 'no --client-ca' "$T_TMP/auto.log")"

# The control: --log stderr under the same set-up says nothing to syslog.
check "a second /dev/log socket" syslog_rx forced
check "responder with --log stderr, same set-up" spawn_ns forced "$T_TMP/forced.fcgi" --log stderr
refuse "$T_TMP/forced.fcgi"
expect_status "--log stderr: the request is refused all the same" 403
sleep 1
expect_eq "--log stderr: nothing reaches syslog (the refusal is lost in /dev/null)" "" "$(cat "$T_TMP/forced.log")"

# --log syslog with stderr a file (plain CGI, same namespace set-up): syslog.
# cgi_ns NAME ARGS...: one CGI request refused for want of a certificate.
cgi_ns() {
	local name=$1 d=$T_TMP/dev-$1
	shift
	mkdir -p "$d/old"
	env -i REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=0 GATEWAY_INTERFACE=CGI/1.1 \
		REMOTE_ADDR=192.0.2.9 unshare -m --propagation private bash -c '
		set -e
		mount --bind /dev "$0/old"
		mount -t tmpfs -o mode=0755 tmpfs /dev
		touch /dev/null && mount --bind "$0/old/null" /dev/null
		ln -s "$1" /dev/log
		shift 2
		exec "$@" </dev/null
	' "$d" "$T_TMP/$name.sock" -- "$B/autowg-fcgi" --socket "$HSOCK" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
}
check "a third /dev/log socket" syslog_rx always
cgi_ns always --log syslog
expect_match "--log syslog, stderr a file: refused" '^Status: 403' "$(cat "$T_TMP/always.out")"
check "--log syslog, stderr a file: the refusal reaches syslog" \
	wait_for 5 grep -q 'autowg-fcgi\[[0-9]*\]: 403 Forbidden.*remote=192.0.2.9' "$T_TMP/always.log"
expect_eq "... and not the file" "" "$(cat "$T_TMP/always.err")"
check "a fourth /dev/log socket" syslog_rx auto2
cgi_ns auto2
expect_match "auto, stderr a file: the refusal is in the file" '^autowg-fcgi: 403 Forbidden' "$(cat "$T_TMP/auto2.err")"
sleep 0.5
expect_eq "... and not in syslog" "" "$(cat "$T_TMP/auto2.log")"

# auto with a real stderr under spawn-fcgi -n (it keeps it): stderr, as before.
check "responder in the foreground, stderr a file" fcgi_start_fg "$T_TMP/fg.fcgi"
refuse "$T_TMP/fg.fcgi"
check "auto with stderr a file: the refusal is in the file" \
	wait_for 5 grep -q '^autowg-fcgi: 403 Forbidden' "$T_TMP/fcgi.log"
done_testing
