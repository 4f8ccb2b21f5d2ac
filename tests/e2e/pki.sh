# autowg: not a test (sourced by the tests in this directory; see tests/run)
# Test PKI made with the openssl CLI at test time. Source it; every function
# writes PEM files into a directory and prints nothing on success.
#   pki_ca DIR NAME                 DIR/NAME.crt, DIR/NAME.key: a self-signed CA
#   pki_server DIR CA NAME SAN      DIR/NAME.crt/.key signed by DIR/CA, for TLS
#                                   servers; SAN is an openssl subjectAltName
#                                   value, e.g. "DNS:vpn.test,IP:10.0.0.1"
#   pki_device DIR CA NAME CN       DIR/NAME.crt/.key signed by DIR/CA, a TLS
#                                   client certificate with subject CN=CN
#   pki_crl DIR CA NAME...          DIR/CA.crl: a CRL signed by DIR/CA (valid
#                                   for 2 days) revoking DIR/NAME.crt, each NAME
#   pki_fleet DIR CN...             the whole test set: fleet CA, server cert
#                                   "server" (SAN DNS:vpn.test + loopback +
#                                   10.77.0.1/fd00:77::1), a device cert per CN
#                                   (named dev-CN), "revoked-dev" for the second
#                                   CN (the first when there is one) and the
#                                   fleet's CRL fleet-ca.crl revoking it; a
#                                   second "rogue" CA with a device cert
#                                   "rogue-dev" for the first CN and a server
#                                   cert "intranet" (another site, DNS:intranet.test)
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

# openssl ca keeps its list of revoked certificates in DIR/CA.db/.
pki_crl() {
	local d=$1 ca=$2 n db=$1/$2.db
	shift 2
	mkdir -p "$db" && : >"$db/index.txt" || return 1
	printf '%s\n' "[ca]" "default_ca = c" "[c]" "database = $db/index.txt" "default_md = sha256" \
		"default_crl_days = 2" >"$db/ca.cnf"
	for n in "$@"; do
		openssl ca -config "$db/ca.cnf" -keyfile "$d/$ca.key" -cert "$d/$ca.crt" \
			-revoke "$d/$n.crt" 2>/dev/null || return 1
	done
	openssl ca -config "$db/ca.cnf" -keyfile "$d/$ca.key" -cert "$d/$ca.crt" -gencrl \
		-out "$d/$ca.crl" 2>/dev/null
}

pki_fleet() {
	local d=$1 cn; shift
	mkdir -p "$d" || return 1
	pki_ca "$d" fleet-ca || return 1
	pki_server "$d" fleet-ca server "DNS:vpn.test,DNS:localhost,IP:127.0.0.1,IP:::1,IP:10.77.0.1,IP:fd00:77::1" || return 1
	for cn in "$@"; do pki_device "$d" fleet-ca "dev-$cn" "$cn" || return 1; done
	pki_device "$d" fleet-ca revoked-dev "${2:-$1}" && pki_crl "$d" fleet-ca revoked-dev || return 1
	pki_ca "$d" rogue-ca || return 1
	pki_device "$d" rogue-ca rogue-dev "$1" || return 1
	pki_server "$d" rogue-ca intranet "DNS:intranet.test,IP:10.77.0.1"
}
