#!/bin/bash
# The same binary as a plain CGI program: the web server's parameters in the
# environment, the body on stdin, one answer on stdout.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

fcgi_netns && helper_start ||
	{ not_ok "start helper" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

cgi() { # NAME=value...: body from $BODY
	printf '%s' "$BODY" | env -i REMOTE_ADDR=192.0.2.1 GATEWAY_INTERFACE=CGI/1.1 "$@" \
		setpriv --reuid nobody --regid nogroup --clear-groups "$B/autowg-fcgi" \
		--socket "$HSOCK" >"$T_TMP/resp" 2>"$T_TMP/cgi.err"
	CGI_RC=$?
	resp_parse "$T_TMP/resp"
}

K=$(newkey)
BODY=$K
cgi REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS \
	"SSL_CLIENT_S_DN=CN=1234" CONTENT_LENGTH=44
expect_status "CGI registration: 200" 200
expect_eq "CGI registration: exits 0" 0 "$CGI_RC"
expect_match "CGI registration: the address" '^ip=fde3:25fb:7f6c:1::1234$' "$RESP"
expect_eq "CGI registration: five lines" 5 "$(printf '%s\n' "$RESP" | wc -l)"
expect_eq "CGI registration: the interface has it" "$K fde3:25fb:7f6c:1::1234/128" "$(peers | grep "^$K ")"

BODY=$K
cgi REQUEST_METHOD=POST SCRIPT_NAME=/v1/register SSL_CLIENT_VERIFY=SUCCESS \
	"SSL_CLIENT_S_DN=CN=1234" CONTENT_LENGTH=44
expect_status "CGI without REQUEST_URI (SCRIPT_NAME): 200" 200

BODY=$K
cgi REQUEST_METHOD=POST REQUEST_URI=/v1/register "HTTP_X_CLIENT_SUBJECT=CN=1234" CONTENT_LENGTH=44
expect_status "CGI, only a client header: 403" 403
expect_match "CGI refusal logged on stderr" '403 Forbidden' "$(cat "$T_TMP/cgi.err")"

BODY=$(head -c 2000 /dev/zero | tr '\0' A)
cgi REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS "SSL_CLIENT_S_DN=CN=1234" CONTENT_LENGTH=2000
expect_status "CGI, 2000-byte body: 413" 413

# In CGI the environment is built from the request: a client's "Auth:" header
# arrives as HTTP_AUTH and must not switch peers.json on or set its password.
BODY=
AUTHZ="HTTP_AUTHORIZATION=Basic $(printf 'x:y' | base64)"
cgi REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json HTTP_AUTH=x:y "$AUTHZ"
expect_status "CGI, HTTP_AUTH from a client header: 404" 404
cgi REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json AUTOWG_HTTP_AUTH=x:y "$AUTHZ"
expect_status "CGI, AUTOWG_HTTP_AUTH: 200" 200
expect_match "CGI, AUTOWG_HTTP_AUTH: lists the device" '"1234"' "$RESP"
cgi REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json AUTOWG_HTTP_AUTH=x:z "$AUTHZ"
expect_status "CGI, AUTOWG_HTTP_AUTH, wrong password: 401" 401

helper_stop
BODY=$K
cgi REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS "SSL_CLIENT_S_DN=CN=1234" CONTENT_LENGTH=44
expect_status "CGI, helper stopped: 503" 503
done_testing
