#!/bin/bash
# Identity through spawn-fcgi + cgi-fcgi with a real helper: only a verified
# certificate's CN counts, from SSL_CLIENT_CERT (openssl-made, URL-escaped as
# nginx sends it, or plain as lighttpd and Caddy do) or SSL_CLIENT_S_DN.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

fcgi_netns && helper_start --cn-pattern '([0-9]+)' && fcgi_start_fg "$FSOCK" ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

# A CA and device certificates made by the openssl CLI.
P=$T_TMP/pki
mkdir -p "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/CN=autowg test CA" -keyout "$P/ca.key" -out "$P/ca.pem" 2>/dev/null
device_cert() { # NAME SUBJECT
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
		-keyout "$P/$1.key" -out "$P/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
			-CAcreateserial -days 1 -out "$P/$1.pem" 2>/dev/null
}
device_cert dev1234 "/O=fleet/CN=1234"
device_cert two "/O=fleet/CN=1234/CN=5678"
device_cert nocn "/O=fleet/OU=devices"
device_cert x "/O=fleet/CN=1234x"
escape() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""), end="")' "$1"; }

V=SSL_CLIENT_VERIFY=SUCCESS
post() { # NAME=value... : a registration with a fresh key
	BODY=$(newkey)
	req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 "$@"
}
before=$(peers)

post $V "SSL_CLIENT_CERT=$(escape "$P/dev1234.pem")"
expect_status "URL-escaped certificate (nginx): 200" 200
expect_match "URL-escaped certificate: the CN's address" '^ip=fde3:25fb:7f6c:1::1234$' "$RESP"
post $V "SSL_CLIENT_CERT=$(cat "$P/dev1234.pem")" "SSL_CLIENT_S_DN=CN=42"
expect_status "plain PEM certificate (lighttpd, Caddy), DN ignored: 200" 200
expect_match "plain PEM certificate: the certificate's CN wins over the DN" '^ip=fde3:25fb:7f6c:1::1234$' "$RESP"
after=$(peers)

post $V "SSL_CLIENT_CERT=$(escape "$P/two.pem")"
expect_status "certificate with two CNs: 403" 403
post $V "SSL_CLIENT_CERT=$(escape "$P/nocn.pem")"
expect_status "certificate without a CN: 403" 403
post $V "SSL_CLIENT_CERT=$(escape "$P/x.pem")"
expect_status "certificate CN 1234x with pattern ([0-9]+): 403" 403
post $V "SSL_CLIENT_CERT=garbage" "SSL_CLIENT_S_DN=CN=1234"
expect_status "unparsable certificate, valid DN: 403 (no fallback)" 403
post $V "SSL_CLIENT_S_DN=CN=1234,CN=5678"
expect_status "DN with two CNs: 403" 403
post SSL_CLIENT_VERIFY="FAILED:certificate has expired" "SSL_CLIENT_S_DN=CN=1234"
expect_status "SSL_CLIENT_VERIFY=FAILED:...: 403" 403
post SSL_CLIENT_VERIFY=NONE "SSL_CLIENT_S_DN=CN=1234"
expect_status "SSL_CLIENT_VERIFY=NONE: 403" 403
post "SSL_CLIENT_S_DN=CN=1234" "SSL_CLIENT_CERT=$(escape "$P/dev1234.pem")"
expect_status "SSL_CLIENT_VERIFY absent: 403" 403
post $V "HTTP_X_CLIENT_SUBJECT=CN=1234"
expect_status "only HTTP_X_CLIENT_SUBJECT: 403" 403
post $V "HTTP_X_CLIENT_SUBJECT=CN=1234" REMOTE_USER=1234 "HTTP_SSL_CLIENT_S_DN=CN=1234"
expect_status "client headers and REMOTE_USER: 403" 403
post $V "SSL_CLIENT_S_DN={http.request.tls.client.subject}"
expect_status "Caddy's literal {http.request.tls.client.subject}: 403" 403
post $V "SSL_CLIENT_S_DN=CN=1234x"
expect_status "DN CN 1234x with pattern ([0-9]+): 403" 403

# A parameter twice: cgi-fcgi forwards environ as it is, so exec it with a
# hand-made environment that holds SSL_CLIENT_S_DN twice.
dup_req() {
	printf '%s' "$(newkey)" | python3 -c '
import ctypes, sys
a = sys.argv[1:]; i = a.index("--")
def arr(l):
    v = (ctypes.c_char_p * (len(l) + 1))(*[x.encode() for x in l]); return v
ctypes.CDLL(None).execve(a[i + 1].encode(), arr(a[i + 1:]), arr(a[:i]))
' "$@" -- "$(command -v cgi-fcgi)" -bind -connect "$FSOCK" >"$T_TMP/resp"
	resp_parse "$T_TMP/resp"
}
dup_req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 $V \
	SSL_CLIENT_S_DN=CN=4321 SSL_CLIENT_S_DN=CN=1234
expect_status "SSL_CLIENT_S_DN twice: 403" 403
dup_req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 $V $V SSL_CLIENT_S_DN=CN=4321
expect_status "SSL_CLIENT_VERIFY twice: 403" 403
dup_req REQUEST_METHOD=POST REQUEST_URI=/v1/register REQUEST_URI=/v1/register CONTENT_LENGTH=44 $V \
	SSL_CLIENT_S_DN=CN=4321
expect_status "REQUEST_URI twice: 400" 400
dup_req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 $V SSL_CLIENT_S_DN=CN=4321
expect_status "the same request once: 200" 200
after=$(peers)
post $V "SSL_CLIENT_S_DN=CN=1234,CN=5678"
expect_eq "refusals: interface unchanged" "$after" "$(peers)"
check "registrations did change the interface" test "$before" != "$after"
expect_match "refusals are logged with reason and identity" \
	'autowg-fcgi: 403 Forbidden: .*CN.* \(cn=- remote=192\.0\.2\.1\)' "$(cat "$T_TMP/fcgi.log")"
done_testing
