#!/bin/bash
# autowg-fcgi --client-ca and --client-crl through spawn-fcgi and cgi-fcgi,
# with a real helper and certificates made by the openssl CLI: files that
# cannot be used stop the responder at start with a clear line; a running
# responder verifies every certificate, refuses a subject alone, follows
# the CRL file as it changes (fail closed while it cannot be loaded), and
# logs the audit line of every registration and refusal.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"
. "$TOP/tests/e2e/pki.sh"

P=$T_TMP/pki
mkdir -p "$P" && pki_fleet "$P" 1234 1235 && chmod 0755 "$P" && chmod 0644 "$P"/*.crt "$P"/*.crl ||
	{ not_ok "PKI made with openssl"; done_testing; exit 1; }
CA=$P/fleet-ca.crt
CRL=$T_TMP/fleet.crl # replaced atomically below, readable by nobody
cp "$P/fleet-ca.crl" "$CRL" && chmod 0644 "$CRL"
escape() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""), end="")' "$1"; }

# --- files that cannot be used: exit 2 at start, one line saying why ----------------
# start_fails NAME WANT_REGEX ARGS...: spawn-fcgi -n execs the responder itself.
start_fails() {
	local name=$1 re=$2 out rc
	shift 2
	rm -f "$T_TMP/never.sock"
	out=$(timeout 10 spawn-fcgi -n -s "$T_TMP/never.sock" -u nobody -g nogroup -- "$B/autowg-fcgi" \
		--socket "$HSOCK" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && printf '%s' "$out" | grep -qE -- "$re"; then
		ok "$name: exit 2, '$(printf '%s' "$out" | grep -E -- "$re" | head -n 1 | cut -c1-110)'"
	else
		not_ok "$name: exit 2 and /$re/" "got exit $rc: $out"
	fi
}
printf 'not a certificate\n' >"$T_TMP/junk.pem"
chmod 0644 "$T_TMP/junk.pem"
start_fails "--client-ca that does not exist" \
	'autowg-fcgi: client certificates: /nonexistent/ca.pem: No such file or directory' \
	--client-ca /nonexistent/ca.pem
start_fails "--client-ca that is not PEM" "junk.pem: holds nothing in PEM" --client-ca "$T_TMP/junk.pem"
start_fails "--client-ca that is a device's certificate" "dev-1234.crt: certificate 1 .* is not a CA" \
	--client-ca "$P/dev-1234.crt"
start_fails "--client-ca that is a CRL" "holds a CRL: give it to --client-crl" --client-ca "$P/fleet-ca.crl"
start_fails "--client-crl without --client-ca" "--client-crl needs --client-ca" --client-crl "$CRL"
start_fails "--client-crl that does not exist" "/nonexistent/ca.crl: No such file" \
	--client-ca "$CA" --client-crl /nonexistent/ca.crl
start_fails "--client-crl that holds a certificate" "holds a certificate: give it to --client-ca" \
	--client-ca "$CA" --client-crl "$CA"
start_fails "--client-crl of another CA" "is not signed by a CA of --client-ca" \
	--client-ca "$P/rogue-ca.crt" --client-crl "$CRL"
out=$(env -i REQUEST_METHOD=POST REQUEST_URI=/v1/register AUTOWG_CLIENT_CA=/nonexistent/ca.pem \
	"$B/autowg-fcgi" --socket "$HSOCK" 2>&1 </dev/null)
rc=$?
expect_eq "as CGI, an unusable AUTOWG_CLIENT_CA: 503 and exit 1" "503 1" \
	"$(printf '%s' "$out" | sed -n 's/^Status: \([0-9]*\).*/\1/p') $rc"

# --- a responder with --client-ca and --client-crl ----------------------------------
fcgi_netns && helper_start || { not_ok "start the helper" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
spawn-fcgi -n -s "$FSOCK" -M 0600 -u nobody -g nogroup -- "$B/autowg-fcgi" --socket "$HSOCK" \
	--client-ca "$CA" --client-crl "$CRL" >>"$T_TMP/fcgi.log" 2>&1 &
FPID=$!
on_exit "kill $FPID"
wait_for 5 test -S "$FSOCK" || { not_ok "start the responder" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
# (spawn-fcgi makes the socket before the responder starts: wait for it)
check "at start it says what it verifies against" wait_for 5 grep -qF \
	"client certificates are verified against --client-ca $CA and --client-crl $CRL" "$T_TMP/fcgi.log"

# post CERTNAME [NAME=value...]: a registration with a fresh key and that certificate.
post() {
	local c=$1
	shift
	BODY=$(newkey)
	req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 SSL_CLIENT_VERIFY=SUCCESS \
		"SSL_CLIENT_CERT=$(escape "$P/$c.crt")" "$@"
}
serial() { openssl x509 -in "$P/$1.crt" -noout -serial | sed 's/^serial=//'; }
log_line() { grep -F "$1" "$T_TMP/fcgi.log" | tail -n 1; }

post dev-1234
K1=$BODY
expect_status "a device certificate of the fleet CA: 200" 200
post dev-1234
K2=$BODY
expect_status "the same device with a new key: 200" 200
line=$(log_line "serial=$(serial dev-1234)")
echo "# audit: $line"
expect_match "the audit line names who, from where, what changed and with which certificate" \
	"^autowg-fcgi: 200 OK: registered; the new key replaced the old one \\(cn=1234 remote=192\\.0\\.2\\.1 name=1234 addr=fde3:25fb:7f6c:1::1234 result=replaced key=${K2//+/\\+} old_key=${K1//+/\\+} serial=$(serial dev-1234) issuer=\"CN=autowg test fleet-ca,O=Example fleet\" not_after=20[0-9-]{8}T[0-9:]{8}Z\\)$" \
	"$line"

post rogue-dev
expect_status "a certificate of another CA: 403" 403
expect_eq "... with OpenSSL's reason" "client certificate does not verify against --client-ca: unable to get local issuer certificate" "$RESP"
expect_match "... logged with the certificate it was" \
	"403 Forbidden: .* \\(cn=- remote=192\\.0\\.2\\.1 serial=$(serial rogue-dev) issuer=\"CN=autowg test rogue-ca,O=Example fleet\" not_after=" \
	"$(log_line "serial=$(serial rogue-dev)")"
BODY=$(newkey)
req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 SSL_CLIENT_VERIFY=SUCCESS "SSL_CLIENT_S_DN=CN=1234"
expect_status "a subject without the certificate: 403" 403
expect_eq "... because nothing can be verified" "no client certificate to verify (SSL_CLIENT_CERT absent)" "$RESP"
post revoked-dev
expect_status "the revoked certificate: 403" 403
expect_match "... certificate revoked" "certificate revoked$" "$RESP"

# The CRL file replaced (atomically) by one that also revokes dev-1235:
# in force within TRUST_RELOAD_CHECK_MS (1 s).
post dev-1235
expect_status "dev-1235 before it is revoked: 200" 200
pki_crl "$P" fleet-ca revoked-dev dev-1235 && cp "$P/fleet-ca.crl" "$T_TMP/new.crl" && chmod 0644 "$T_TMP/new.crl" &&
	mv "$T_TMP/new.crl" "$CRL"
t0=$(date +%s%N)
seen=
for _ in $(seq 30); do
	post dev-1235
	[ "$STATUS" = 403 ] && { seen=$((($(date +%s%N) - t0) / 1000000)); break; }
	sleep 0.1
done
if [ -n "$seen" ] && [ "$seen" -le 1500 ]; then ok "a new CRL is in force within a second and a half ($seen ms)"; else
	not_ok "a new CRL is in force within a second and a half" "last answer $STATUS: $RESP"; fi
expect_match "... logged" "--client-crl $CRL reloaded: 1 CRL" "$(cat "$T_TMP/fcgi.log")"

# A CRL file that cannot be loaded: nobody gets in until it can.
printf 'garbage\n' >"$T_TMP/new.crl" && chmod 0644 "$T_TMP/new.crl" && mv "$T_TMP/new.crl" "$CRL"
sleep 1.2
post dev-1234
expect_status "a CRL file that cannot be loaded: even a good certificate is refused (403)" 403
expect_match "... saying why" "the CRL file cannot be loaded" "$RESP"
post dev-1234
expect_eq "... and the error is logged once, not per request" 1 \
	"$(grep -c -- "--client-crl: $CRL: holds nothing in PEM; every client certificate is refused" "$T_TMP/fcgi.log")"
cp "$P/fleet-ca.crl" "$T_TMP/new.crl" && chmod 0644 "$T_TMP/new.crl" && mv "$T_TMP/new.crl" "$CRL"
sleep 1.2
post dev-1234
expect_status "a good CRL again: 200" 200

# AUTOWG_CLIENT_CA in the environment instead of the flag.
kill "$FPID"
wait "$FPID" 2>/dev/null
rm -f "$FSOCK"
AUTOWG_CLIENT_CA=$CA spawn-fcgi -n -s "$FSOCK" -M 0600 -u nobody -g nogroup -- "$B/autowg-fcgi" \
	--socket "$HSOCK" >>"$T_TMP/fcgi2.log" 2>&1 &
on_exit "kill $!"
wait_for 5 test -S "$FSOCK"
BODY=$(newkey)
req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 SSL_CLIENT_VERIFY=SUCCESS "SSL_CLIENT_S_DN=CN=1234"
expect_status "AUTOWG_CLIENT_CA works as --client-ca (a subject alone: 403)" 403
post dev-1235
expect_status "... and without a CRL, dev-1235 is fine there" 200
done_testing
