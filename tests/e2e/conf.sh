#!/bin/bash
# conf/ as a whole: the systemd units pass systemd-analyze verify (with only
# the installed binary paths pointed at the build), and every web server file
# keeps the settings that make identity safe. The web server files are run
# for real by nginx.sh, lighttpd.sh and caddy.sh; the units' ExecStart lines
# are what the lab (lab.sh) starts the helper and the responders with.
. "$(dirname "$0")/../lib.sh"
C=$TOP/conf

# verify_unit FILE AS: systemd-analyze verify FILE installed under the name
# AS; any warning at all (an unknown key, a bad value) is a failure.
verify_unit() {
	local d=$T_TMP/units out rc
	mkdir -p "$d"
	sed -e "s|/usr/local/sbin/autowg-helper|$B/autowg-helper|" \
		-e "s|/usr/local/bin/autowg-fcgi|$B/autowg-fcgi|" "$1" >"$d/$2"
	out=$(cd "$d" && SYSTEMD_LOG_LEVEL=info systemd-analyze verify --man=no "./$2" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && ! printf '%s' "$out" | grep -qiE 'unknown|ignoring|invalid|failed|not executable'; then
		ok "systemd-analyze verify $(basename "$1")"
	else
		not_ok "systemd-analyze verify $(basename "$1")" "$out"
	fi
}

if command -v systemd-analyze >/dev/null; then
	verify_unit "$C/autowg-helper@.service" autowg-helper@wg0.service
	verify_unit "$C/autowg-fcgi@.service" autowg-fcgi@wg0.service
else
	not_ok "systemd-analyze is installed (package systemd)"
fi

unit_has() { grep -qE "^$2" "$C/$1"; }
check "helper unit: only CAP_NET_ADMIN and CAP_CHOWN" unit_has autowg-helper@.service 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_CHOWN$'
check "helper unit: NoNewPrivileges" unit_has autowg-helper@.service 'NoNewPrivileges=yes$'
check "helper unit: ProtectSystem=strict" unit_has autowg-helper@.service 'ProtectSystem=strict$'
check "helper unit: a RuntimeDirectory per instance, autowg/%i" unit_has autowg-helper@.service 'RuntimeDirectory=autowg/%i$'
check "responders' unit: a RuntimeDirectory per instance, autowg-fcgi/%i" unit_has autowg-fcgi@.service 'RuntimeDirectory=autowg-fcgi/%i$'
check "helper unit: restarts on failure" unit_has autowg-helper@.service 'Restart=on-failure$'
check "helper unit: ordered after wg-quick@%i" unit_has autowg-helper@.service 'After=wg-quick@%i.service'
fcgi_exec=$(sed -n 's/^ExecStart=//p' "$C/autowg-fcgi@.service")
helper_exec=$(sed -n 's/^ExecStart=//p' "$C/autowg-helper@.service")
# arg FLAG LINE: the word after FLAG in LINE.
arg() { printf '%s\n' "$2" | sed -n "s/.* $1 \([^ ]*\).*/\1/p"; }
expect_eq "helper unit: its socket is in its own RuntimeDirectory" /run/autowg/%i/helper.sock \
	"$(arg --socket "$helper_exec")"
expect_eq "responders' unit: they talk to their own interface's helper" \
	"$(arg --socket "$helper_exec")" "$(arg --socket "$fcgi_exec")"
expect_eq "responders' unit: spawn-fcgi's socket is in its own RuntimeDirectory" \
	/run/autowg-fcgi/%i/fcgi.sock "$(arg -s "$fcgi_exec")"
expect_eq "responders' unit: the pid file is in its own RuntimeDirectory, as PIDFile= says" \
	"/run/autowg-fcgi/%i/autowg-fcgi.pid /run/autowg-fcgi/%i/autowg-fcgi.pid" \
	"$(arg -P "$fcgi_exec") $(sed -n 's/^PIDFile=//p' "$C/autowg-fcgi@.service")"
check "responders' unit: an env file per instance" unit_has autowg-fcgi@.service 'EnvironmentFile=-/etc/autowg/fcgi-%i.env$'
check "responders' unit: ordered after their helper" unit_has autowg-fcgi@.service 'After=.*autowg-helper@%i.service'

# spawn-fcgi's -n runs exactly one process whatever -F says.
check "spawn-fcgi line forks two responders (-F 2, no -n)" \
	bash -c '[[ " $1 " == *" -F 2 "* && " $1 " != *" -n "* ]]' _ "$fcgi_exec"
# Not www-data's: php-fpm pools, fcgiwrap and CGI scripts run as www-data.
check "spawn-fcgi socket is autowg's and group autowg-web's (the web server's workers), mode 0660" \
	bash -c '[[ "$1" == *"-M 0660 -U autowg -G autowg-web "* ]]' _ "$fcgi_exec"
check "responders verify client certificates themselves (--client-ca, the fleet CA file)" \
	bash -c '[[ "$1" == *" --client-ca /etc/autowg/device-ca.pem"* ]]' _ "$fcgi_exec"

# nginx: verification on, never optional_no_ca; identity params next to fastcgi_pass.
ngx=$C/nginx-autowg.conf
check "nginx: ssl_verify_client on" grep -qE '^\s*ssl_verify_client on;' "$ngx"
check "nginx: never optional_no_ca" bash -c '! grep -qE "^\s*ssl_verify_client\s+optional_no_ca" "$1"' _ "$ngx"
loc=$(sed -n '/location \/vpn\/ {/,/^\t}/p' "$ngx")
for p in 'fastcgi_pass unix:@FCGI_SOCKET@;' 'fastcgi_param SSL_CLIENT_VERIFY $ssl_client_verify;' \
	'fastcgi_param SSL_CLIENT_S_DN $ssl_client_s_dn;' 'fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;'; do
	check "nginx: '$p' in the /vpn/ location" grep -qF -- "$p" <<<"$loc"
done
check "nginx: underscores_in_headers stays off" bash -c '! grep -qE "^\s*underscores_in_headers\s+on" "$1"' _ "$ngx"
check "nginx: a request whose SNI is not the site's own is 421" \
	grep -qzE 'if \(\$ssl_server_name != "@SERVER_NAME@"\) \{\s*return 421;' "$ngx"
check "nginx: shows ssl_crl" grep -qE '^\s*# ?ssl_crl /etc/autowg/device-ca.crl;$' "$ngx"

# nginx, two interfaces: the same rules, in each interface's location.
ngm=$C/nginx-autowg-multi.conf
check "nginx multi: ssl_verify_client on" grep -qE '^\s*ssl_verify_client on;' "$ngm"
check "nginx multi: never optional_no_ca" bash -c '! grep -qE "^\s*ssl_verify_client\s+optional_no_ca" "$1"' _ "$ngm"
check "nginx multi: underscores_in_headers stays off" bash -c '! grep -qE "^\s*underscores_in_headers\s+on" "$1"' _ "$ngm"
check "nginx multi: a request whose SNI is not the site's own is 421" \
	grep -qzE 'if \(\$ssl_server_name != "@SERVER_NAME@"\) \{\s*return 421;' "$ngm"
check "nginx multi: shows ssl_crl" grep -qE '^\s*# ?ssl_crl /etc/autowg/device-ca.crl;$' "$ngm"
for l in vpn:DEVICES sensors:SENSORS; do
	loc=$(sed -n "/location \/${l%%:*}\/ {/,/^\t}/p" "$ngm")
	for p in "fastcgi_pass unix:@FCGI_SOCKET_${l#*:}@;" 'fastcgi_param SSL_CLIENT_VERIFY $ssl_client_verify;' \
		'limit_req zone=autowg burst=10 nodelay;' \
		'fastcgi_param SSL_CLIENT_S_DN $ssl_client_s_dn;' 'fastcgi_param SSL_CLIENT_CERT $ssl_client_escaped_cert;'; do
		check "nginx multi: '$p' in the /${l%%:*}/ location" grep -qF -- "$p" <<<"$loc"
	done
done

lt=$C/lighttpd-autowg.conf
for p in 'ssl.verifyclient.activate = "enable"' 'ssl.verifyclient.enforce = "enable"' \
	'ssl.verifyclient.ca-file = "@FLEET_CA@"' 'ssl.verifyclient.exportcert = "enable"' '"socket" => "@FCGI_SOCKET@"'; do
	check "lighttpd: $p" grep -qF -- "$p" "$lt"
done
check "lighttpd: shows ssl.verifyclient.ca-crl-file" \
	grep -qE '^\s*# ssl.verifyclient.ca-crl-file = "/etc/autowg/device-ca.crl"$' "$lt"

cf=$C/Caddyfile
check "Caddy: client_auth mode require_and_verify or verify_if_given" \
	grep -qE '^\s*mode (require_and_verify|verify_if_given)$' "$cf"
check "Caddy: no header_up identity" bash -c '! grep -qE "^\s*header_up" "$1"' _ "$cf"
for p in 'env SSL_CLIENT_VERIFY {autowg_ssl_client_verify}' 'env SSL_CLIENT_S_DN {http.request.tls.client.subject}' \
	'env SSL_CLIENT_CERT {http.request.tls.client.certificate_pem}' '"" NONE' 'default SUCCESS'; do
	check "Caddy: $p" grep -qF -- "$p" "$cf"
done
check "Caddy: request bodies buffered before the responder is asked" grep -qE '^\s*buffer_requests$' "$cf"
check "Caddy: a body read timeout" grep -qE '^\s*read_body [0-9]+s$' "$cf"
done_testing
