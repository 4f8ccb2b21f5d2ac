# autowg: not a test (sourced by the tests in this directory; see tests/run)
# Test PKI made at test time with the command blocks of README.md's
# "Certificates" section, read from README.md itself: the commands the README
# shows are the ones every test's certificates come from. Source it after
# tests/lib.sh; every function writes PEM files into a directory and prints
# nothing on success (openssl's output goes to DIR/pki.log and is shown when
# a block fails).
#   pki_block NAME              the commands of the README block marked
#                               <!-- pki: NAME --> (tests/e2e/certificates.sh
#                               runs every one of them)
#   pki_ca DIR NAME             a fleet CA: its directory DIR/NAME.ca (the
#                               README's $CA) and DIR/NAME.crt, its certificate
#   pki_device DIR CA NAME CN   DIR/NAME.crt/.key: a device certificate with
#                               subject CN=CN, signed by CA (made by pki_ca)
#   pki_server DIR NAME HOST    DIR/NAME.crt/.key: a server certificate for
#                               HOST, with its chain, from the private server
#                               CA DIR/server-ca.crt (made on first use)
#   pki_fleet DIR CN...         the whole test set: fleet CA "fleet-ca",
#                               server CA "server-ca" with the server
#                               certificate "server" for vpn.test, a device
#                               certificate per CN ("dev-CN"), and a second
#                               "rogue-ca" with a device certificate
#                               "rogue-dev" for the first CN; "revoked-dev",
#                               another certificate for the second CN (the
#                               first when there is one), revoked in
#                               fleet-ca.crl; and "intranet", a server
#                               certificate for another site (intranet.test)
#   pki_crl DIR CA NAME...      DIR/NAME.crt revoked (the README's "revoke"
#                               block; one revoked already stays so), then
#                               DIR/CA.crl, CA's CRL
#   pki_devices_one_key DIR CA KEY CN...  a device certificate dev-CN per CN,
#                               all for one key DIR/KEY.key (hundreds quickly)
# Keys are EC P-256, as the README makes them: fast, and accepted by nginx,
# lighttpd and Caddy alike.

PKI_README=${PKI_README:-$TOP/README.md}

pki_block() {
	# The marker's indentation plus four spaces is the code block's (a block
	# inside a list item is indented further); blank lines inside it count.
	awk -v m="<!-- pki: $1 -->" '
		!on { t = $0; sub(/^ */, "", t); if (t == m) { on = 1; ind = length($0) - length(t) + 4 }; next }
		/^ *$/ { if (seen) held = held "\n"; next }
		substr($0, 1, ind) ~ /^ *$/ && length($0) > ind { printf "%s%s\n", held, substr($0, ind + 1); held = ""; seen = 1; next }
		{ exit }
	' "$PKI_README"
}

# pki_run DIR BLOCK [VAR=VALUE]...: the README block, in DIR, with POSIX sh
# as a user's shell would run it, the variables set.
pki_run() {
	local d=$1 name=$2 cmds
	shift 2
	cmds=$(pki_block "$name")
	if [ -z "$cmds" ]; then
		echo "# pki: README.md has no block <!-- pki: $name -->" >&2
		return 1
	fi
	if ! (cd "$d" && env "$@" sh -eu -c "$cmds") >>"$d/pki.log" 2>&1; then
		echo "# pki: README block '$name' failed in $d:" >&2
		tail -n 15 "$d/pki.log" | sed 's/^/#   /' >&2
		return 1
	fi
}

pki_ca() {
	local d=$1 n=$2
	pki_run "$d" ca CA="$n.ca" CA_NAME="autowg test $n" && cp "$d/$n.ca/ca.crt" "$d/$n.crt"
}

pki_device() {
	local d=$1 ca=$2 n=$3 cn=$4 w=$1/work-$3
	mkdir -p "$w" || return 1
	pki_run "$w" device-key CN="$cn" &&
		pki_run "$w" device-sign CA="$d/$ca.ca" CN="$cn" &&
		mv "$w/$cn.crt" "$d/$n.crt" && mv "$w/$cn.key" "$d/$n.key" && rm -rf "$w"
}

pki_server() {
	local d=$1 n=$2 host=$3 w=$1/work-$2
	if [ ! -e "$d/server-ca.crt" ]; then pki_run "$d" server-ca || return 1; fi
	mkdir -p "$w" || return 1
	cp "$d/server-ca.crt" "$d/server-ca.key" "$w/" &&
		pki_run "$w" server SERVER="$host" &&
		mv "$w/$host.chain.pem" "$d/$n.crt" && mv "$w/$host.key" "$d/$n.key" && rm -rf "$w"
}

# openssl ca keeps its list of revoked certificates in DIR/CA.db/.
pki_crl() {
	local d=$1 ca=$2 n serial
	shift 2
	for n in "$@"; do
		serial=$(openssl x509 -noout -serial -in "$d/$n.crt") || return 1
		grep -q "^R	.*	${serial#serial=}	" "$d/$ca.ca/index.txt" && continue
		pki_run "$d" revoke CA="$d/$ca.ca" CN="$d/$n" || return 1
	done
	# the "publish" block's -gencrl, for this one CA
	(cd "$d" && CA=$ca.ca openssl ca -config "$ca.ca/ca.cnf" -gencrl -out "$ca.crl") \
		>>"$d/pki.log" 2>&1
}

pki_fleet() {
	local d=$1 cn
	shift
	mkdir -p "$d" || return 1
	pki_ca "$d" fleet-ca || return 1
	pki_server "$d" server vpn.test || return 1
	for cn in "$@"; do pki_device "$d" fleet-ca "dev-$cn" "$cn" || return 1; done
	pki_device "$d" fleet-ca revoked-dev "${2:-$1}" && pki_crl "$d" fleet-ca revoked-dev || return 1
	pki_ca "$d" rogue-ca || return 1
	pki_device "$d" rogue-ca rogue-dev "$1" || return 1
	pki_server "$d" intranet intranet.test
}

# pki_devices_one_key DIR CA KEYNAME CN...: a device certificate DIR/dev-CN.crt
# per CN, signed by CA (made by pki_ca), all for one key DIR/KEYNAME.key
# (made if missing): one openssl run per certificate instead of the README's
# three, for tests that need hundreds of names. The extensions are the
# README's [device] section's.
pki_devices_one_key() {
	local d=$1 ca=$2 k=$3 cn
	shift 3
	if [ ! -s "$d/$k.key" ]; then
		(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$d/$k.key" 2>/dev/null) || return 1
	fi
	for cn in "$@"; do
		openssl req -new -x509 -key "$d/$k.key" -subj "/O=Example fleet/CN=$cn" \
			-CA "$d/$ca.ca/ca.crt" -CAkey "$d/$ca.ca/ca.key" -days 2 \
			-addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature \
			-addext extendedKeyUsage=clientAuth -out "$d/dev-$cn.crt" 2>/dev/null || return 1
	done
}
