# autowg: not a test (sourced by the tests in this directory; see tests/run)
# Test PKI made with the openssl CLI at test time. Source it; every function
# writes PEM files into a directory and prints nothing on success.
#   pki_ca DIR NAME                 DIR/NAME.crt, DIR/NAME.key: a self-signed CA
#   pki_server DIR CA NAME SAN      DIR/NAME.crt/.key signed by DIR/CA, for TLS
#                                   servers; SAN is an openssl subjectAltName
#                                   value, e.g. "DNS:vpn.test,IP:10.0.0.1"
#   pki_device DIR CA NAME CN       DIR/NAME.crt/.key signed by DIR/CA, a TLS
#                                   client certificate with subject CN=CN
#   pki_fleet DIR CN...             the whole test set: fleet CA, server cert
#                                   "server" (SAN DNS:vpn.test + loopback +
#                                   10.77.0.1/fd00:77::1), a device cert per CN
#                                   (named dev-CN), and a second "rogue" CA with
#                                   a device cert "rogue-dev" for the first CN
#   pki_devices_one_key DIR CA KEY CN...  a device cert dev-CN per CN, all
#                                   for one key KEY (hundreds quickly)
# EC P-256 keys: fast to make, accepted by nginx, lighttpd and Caddy alike.

_pki_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null && chmod 600 "$1"; }

pki_ca() {
	local d=$1 n=$2
	_pki_key "$d/$n.key" || return 1
	openssl req -x509 -new -key "$d/$n.key" -out "$d/$n.crt" -days 2 -subj "/O=autowg test/CN=$n" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# _pki_sign DIR CA NAME SUBJ EXTFILE
_pki_sign() {
	local d=$1 ca=$2 n=$3 subj=$4 ext=$5
	_pki_key "$d/$n.key" || return 1
	openssl req -new -key "$d/$n.key" -subj "$subj" -out "$d/$n.csr" 2>/dev/null || return 1
	openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" -CAcreateserial \
		-days 2 -extfile "$ext" -out "$d/$n.crt" 2>/dev/null || return 1
	rm -f "$d/$n.csr"
}

pki_server() {
	local d=$1 ca=$2 n=$3 san=$4
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth" "subjectAltName=$san" >"$d/$n.ext"
	local cn=${san%%,*}
	_pki_sign "$d" "$ca" "$n" "/O=autowg test/CN=${cn#*:}" "$d/$n.ext"
}

pki_device() {
	local d=$1 ca=$2 n=$3 cn=$4
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=clientAuth" >"$d/$n.ext"
	_pki_sign "$d" "$ca" "$n" "/O=autowg test fleet/OU=devices/CN=$cn" "$d/$n.ext"
}

pki_fleet() {
	local d=$1 cn; shift
	mkdir -p "$d" || return 1
	pki_ca "$d" fleet-ca || return 1
	pki_server "$d" fleet-ca server "DNS:vpn.test,DNS:localhost,IP:127.0.0.1,IP:::1,IP:10.77.0.1,IP:fd00:77::1" || return 1
	for cn in "$@"; do pki_device "$d" fleet-ca "dev-$cn" "$cn" || return 1; done
	pki_ca "$d" rogue-ca || return 1
	pki_device "$d" rogue-ca rogue-dev "$1"
}

# pki_devices_one_key DIR CA KEYNAME CN...: a device certificate DIR/dev-CN.crt
# per CN, all for one key DIR/KEYNAME.key (made if missing): one openssl
# run per certificate, for tests that need hundreds of names.
pki_devices_one_key() {
	local d=$1 ca=$2 k=$3 cn
	shift 3
	[ -s "$d/$k.key" ] || _pki_key "$d/$k.key" || return 1
	for cn in "$@"; do
		openssl req -new -x509 -key "$d/$k.key" -subj "/O=autowg test fleet/OU=devices/CN=$cn" \
			-CA "$d/$ca.crt" -CAkey "$d/$ca.key" -days 2 -addext basicConstraints=CA:FALSE \
			-addext keyUsage=critical,digitalSignature -addext extendedKeyUsage=clientAuth \
			-out "$d/dev-$cn.crt" 2>/dev/null || return 1
	done
}
