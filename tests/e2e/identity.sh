#!/bin/bash
# Identity that does not rest on the web server's word alone: the
# attacks, each against the lab with nginx (conf/ and the units as shipped):
#   - a certificate of another CA through nginx's default server: another
#     site on the same port, with its own client CA, is the default server;
#     the client sends no SNI (an IP literal) and the Host of the autowg site
#   - a local process on the responders' socket claiming SSL_CLIENT_VERIFY
#     SUCCESS with a self-signed certificate of a device's CN: as www-data
#     (php-fpm, fcgiwrap, CGI scripts), and as a process that can reach it
#   - a revoked certificate, when nginx checks the CRL itself (ssl_crl)
# Each must get nothing and change nothing on the concentrator.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"
. "$TOP/tests/e2e/contract.sh"

FCALL=$B/tests/clients/fcgi-call
LAB_CN=("" 1001 1002 1003 1004)
VICTIM=${LAB_CN[1]}

# other_site: an intranet site on the same nginx, port 443 too, and its
# default server, whose clients have certificates of another CA (rogue-ca).
other_site() {
	cat >"$LAB/nginx/other-sites/intranet.conf" <<-EOF
		server {
			listen 443 ssl default_server;
			listen [::]:443 ssl default_server;
			server_name intranet.test;
			ssl_certificate $LAB_PKI/intranet.crt;
			ssl_certificate_key $LAB_PKI/intranet.key;
			ssl_verify_client on;
			ssl_client_certificate $LAB_PKI/rogue-ca.crt;
			location / { return 200 "intranet\n"; }
		}
	EOF
}

up() {
	lab_net 4 && lab_helper && lab_fcgi || return 1
	mkdir -p "$LAB/nginx/other-sites" && other_site && lab_web nginx || return 1
	local i
	for i in 1 2 3; do lab_client "$i" || { echo "# device $i: $LAB_OUT"; return 1; }; done
}

# attempt NAME WANT REGEX CMD...: CMD (a request) gets no registration
# answer but WANT, a line matching REGEX, and the concentrator does not change.
attempt() {
	local name=$1 want=$2 re=$3 before out
	shift 3
	before=$(lab_wg_state)
	out=$("$@" 2>&1 | tr -d '\r')
	case $out in
	*pubkey=* | *ip=*) not_ok "$name: gets nothing" "answer: $out" ;;
	*) if printf '%s\n' "$out" | grep -qE -- "$re"; then ok "$name: $want"; else
		not_ok "$name: $want" "answer: $(printf '%s' "$out" | tr '\n' ' ' | head -c 300)"; fi ;;
	esac
	expect_eq "$name: changes nothing (device $VICTIM keeps its key)" "$before" "$(lab_wg_state)"
}

# From the intruder's namespace, with a certificate of the other site's CA
# for the victim's CN: connect to the IP (no SNI) and name the autowg site
# in Host only.
no_sni() {
	lab_ns "${LAB_DNS[LAB_INTRUDER]}" curl -sS -k --max-time 10 \
		--cert "$LAB_PKI/rogue-dev.crt" --key "$LAB_PKI/rogue-dev.key" -H "Host: $LAB_NAME" \
		-H 'Content-Type: text/plain' --data-binary "$(wg genkey | wg pubkey)" -w '\n%{http_code}' \
		"https://10.77.0.1${LAB_PREFIX}v1/register"
}
# The same with the other site's name as SNI.
other_sni() {
	lab_ns "${LAB_DNS[LAB_INTRUDER]}" curl -sS -k --max-time 10 --resolve intranet.test:443:10.77.0.1 \
		--cert "$LAB_PKI/rogue-dev.crt" --key "$LAB_PKI/rogue-dev.key" -H "Host: $LAB_NAME" \
		-H 'Content-Type: text/plain' --data-binary "$(wg genkey | wg pubkey)" -w '\n%{http_code}' \
		"https://intranet.test${LAB_PREFIX}v1/register"
}

# nginx again with the site changed by sed expression $1 (a mutation of the
# file as shipped).
nginx_with() {
	kill "$LAB_WEB_PID"
	wait "$LAB_WEB_PID" 2>/dev/null
	mkdir -p "$LAB/mut"
	sed "$1" "$CONF/nginx-autowg.conf" >"$LAB/mut/nginx-autowg.conf"
	CONF=$LAB/mut lab_web nginx
}

default_server() {
	check "the intranet site answers its own clients" bash -c \
		"ip netns exec ${LAB_DNS[LAB_INTRUDER]} curl -sS -k --max-time 10 --cert $LAB_PKI/rogue-dev.crt \
		--key $LAB_PKI/rogue-dev.key https://10.77.0.1/ | grep -qx intranet"
	attempt "another CA's certificate via the default server, no SNI, Host $LAB_NAME (conf as shipped)" \
		421 '^421$' no_sni
	attempt "another CA's certificate, SNI intranet.test, Host $LAB_NAME" 421 '^421$' other_sni
	# The web server's mistake, made on purpose: the site without its SNI
	# check. The responders' --client-ca still refuses the certificate.
	if nginx_with '/if (\$ssl_server_name/,/^\t}/d'; then
		check "the mutated site has no SNI check left" bash -c "! grep -q ssl_server_name $LAB/mut/nginx-autowg.conf"
		attempt "the same without nginx's SNI check: the responder's --client-ca refuses it" 403 '^403$' no_sni
		expect_match "the refusal says why" 'not issued by the fleet CA|unable to get local issuer' \
			"$(no_sni 2>&1)"
	else
		not_ok "nginx starts with the site without its SNI check"
	fi
	nginx_with '' || not_ok "nginx starts again with the site as shipped"
}

# A device certificate nobody issued: self-signed, CN of the victim,
# URL-escaped as nginx passes it.
forged_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj "/O=autowg test fleet/OU=devices/CN=$VICTIM" -addext basicConstraints=critical,CA:FALSE \
		-addext keyUsage=critical,digitalSignature -addext extendedKeyUsage=clientAuth -keyout "$LAB/forged.key" \
		-out "$LAB/forged.crt" 2>/dev/null &&
		python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""), end="")' \
			"$LAB/forged.crt" >"$LAB/forged.esc"
}
# socket_call [setpriv ARGS...]: the forged registration straight to the
# responders' socket, as the user setpriv makes.
socket_call() {
	wg genkey | wg pubkey | tr -d '\n' >"$LAB/forged.body"
	"$@" "$FCALL" "$LAB_FCGI_SOCK" req REQUEST_METHOD=POST "REQUEST_URI=${LAB_PREFIX}v1/register" \
		CONTENT_LENGTH=44 REMOTE_ADDR=127.0.0.1 SSL_CLIENT_VERIFY=SUCCESS \
		"SSL_CLIENT_S_DN=CN=$VICTIM,OU=devices,O=autowg test fleet" \
		"SSL_CLIENT_CERT=$(cat "$LAB/forged.esc")" <"$LAB/forged.body"
	echo "exit $?"
}
as_www_data() { socket_call setpriv --reuid www-data --regid www-data --init-groups; }
as_member() { socket_call; }

local_process() {
	forged_cert || { not_ok "a self-signed certificate for CN $VICTIM is made"; return; }
	attempt "www-data (php-fpm, CGI) on the responders' socket" "cannot connect" \
		'^fcgi-call: Permission denied$' as_www_data
	attempt "a process that reaches the socket, SUCCESS and a self-signed certificate of CN $VICTIM" \
		"403, self-signed" '^client certificate does not verify against --client-ca: self-signed certificate$' \
		as_member
}

# nginx with ssl_crl as the file shows it: nginx itself refuses the revoked
# certificate (400), the responders never see it.
nginx_crl() {
	if nginx_with "s|^\(\s*\)# *ssl_crl .*|\1ssl_crl $LAB_PKI/fleet-ca.crl;|"; then
		check "the site with ssl_crl enabled" grep -q "^\s*ssl_crl $LAB_PKI/fleet-ca.crl;" "$LAB/mut/nginx-autowg.conf"
		attempt "a revoked certificate with ssl_crl: nginx refuses it" 400 '^400$' \
			lab_curl "$LAB_INTRUDER" --cert "$LAB_PKI/revoked-dev.crt" --key "$LAB_PKI/revoked-dev.key" \
			-H 'Content-Type: text/plain' --data-binary "$(wg genkey | wg pubkey)" -w '\n%{http_code}' \
			"$(lab_register_url)"
		expect_match "with ssl_crl a device of the fleet still registers" '^ip=' \
			"$(lab_curl 2 --cert "$LAB_PKI/dev-${LAB_CN[2]}.crt" --key "$LAB_PKI/dev-${LAB_CN[2]}.key" \
				-H 'Content-Type: text/plain' --data-binary "$(lab_dev_key 2)" "$(lab_register_url)")"
	else
		not_ok "nginx starts with ssl_crl enabled"
	fi
}

t0=$SECONDS
if up; then
	ok "lab up: nginx with conf/nginx-autowg.conf beside an intranet site (the default server), devices registered"
	default_server
	local_process
	nginx_crl
else
	not_ok "lab up: nginx with conf/nginx-autowg.conf beside an intranet site, devices registered"
fi
[ -n "${LAB:-}" ] && [ "$T_FAILS" -gt 0 ] && for l in helper fcgi web; do
	[ -f "$LAB/$l.log" ] && tail -n 20 "$LAB/$l.log" | sed "s/^/#   $l: /"
done
echo "# identity: $((SECONDS - t0)) s"
done_testing
