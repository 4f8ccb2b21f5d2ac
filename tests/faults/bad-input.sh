#!/bin/bash
# The bad-input suite, driven by tables: every case in cases/bad-input.tsv is
# one FastCGI request to autowg-fcgi (spawn-fcgi, the real helper, a real
# wireguard-go interface; @CA cases go to responders started with
# --client-ca and --client-crl), every case in cases/helper-flags.tsv one
# autowg-helper start. Each asserts the status, the one-line reason, and
# that the interface is byte-for-byte unchanged (`wg show dump` without the
# handshake and transfer columns). One TAP line per case.
# shellcheck source=tests/faults/faults-lib.sh
. "$(dirname "$0")/faults-lib.sh"

CASES=$TOP/tests/faults/cases
fcgi_netns || { not_ok "set up namespace and wireguard-go"; done_testing; exit 1; }
statics_add
helper_start && fcgi_start "$FSOCK" 2 HTTP_AUTH=fleet:s3cret && wait_for 5 test -S "$FSOCK" ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
K=$(newkey)
register 1234 "$K"
[ "$STATUS" = 200 ] || { not_ok "register device 1234" "$RESP"; done_testing; exit 1; }

# Certificates made as a CA would sign them, with subjects openssl's CLI
# cannot write (BMPString, UniversalString, NUL and newline in the CN); and
# for --client-ca the fleet CA itself (ca.pem, with three intermediate CAs
# below it), their CRLs (ca.crl), and certificates it must refuse.
P=$T_TMP/pki
mkdir -p "$P"
# Debian's python3 with python3-cryptography (tools/deps), whatever else is
# first on PATH.
/usr/bin/python3 - "$P" <<'EOF' || not_ok "certificates made" "python3-cryptography failed"
import base64, datetime, sys, urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
d = sys.argv[1]
ca = ec.generate_private_key(ec.SECP256R1())
dev = ec.generate_private_key(ec.SECP256R1())
O = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fleet")
def cn(v, t=_ASN1Type.UTF8String):
    return x509.NameAttribute(NameOID.COMMON_NAME, v, t, _validate=False)
subjects = {
    "bmp1234": [O, cn("1234", _ASN1Type.BMPString)],
    "univ1234": [O, cn("1234", _ASN1Type.UniversalString)],
    "bmpgreek": [O, cn("\u0391\u0392\u0393", _ASN1Type.BMPString)],
    "nul": [O, cn("12\x0034")],
    "nl": [O, cn("12\n34")],
    "empty": [O, cn("")],
    "long": [O, cn("7" * 300)],
    "trail": [O, cn("1234 ")],
    "two": [O, cn("1234"), cn("1234")],
    "nocn": [O, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "devices")],
}
now = datetime.datetime.now(datetime.timezone.utc)
for name, attrs in subjects.items():
    c = (x509.CertificateBuilder().subject_name(x509.Name([x509.RelativeDistinguishedName([a]) for a in attrs]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "autowg test CA")]))
         .public_key(dev.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
         .sign(ca, hashes.SHA256()))
    pem = c.public_bytes(serialization.Encoding.PEM).decode()
    open("%s/%s.pem" % (d, name), "w").write(pem)
    open("%s/%s.esc" % (d, name), "w").write(urllib.parse.quote(pem, safe=""))

def name_of(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def cert(cn, key, issuer, issuer_key, is_ca=False, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,),
         start=-3600, end=86400):
    b = (x509.CertificateBuilder().subject_name(name_of(cn)).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(seconds=start))
         .not_valid_after(now + datetime.timedelta(seconds=end))
         .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    return b.sign(issuer_key, hashes.SHA256())
def save(name, pem):
    open("%s/%s.pem" % (d, name), "w").write(pem)
    open("%s/%s.esc" % (d, name), "w").write(urllib.parse.quote(pem, safe=""))
def pem_of(c):
    return c.public_bytes(serialization.Encoding.PEM).decode()
def crl(issuer, key, revoked=()):
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
         .last_update(now - datetime.timedelta(hours=1)).next_update(now + datetime.timedelta(days=1)))
    for r in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(r.serial_number)
                                      .revocation_date(now - datetime.timedelta(minutes=1)).build())
    return b.sign(key, hashes.SHA256())
# the issuer of the certificates above, and three intermediate CAs below it
root = cert("autowg test CA", ca, name_of("autowg test CA"), ca, is_ca=True, eku=None)
keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
inter, up, up_key = [], root, ca
for i, k in enumerate(keys):
    inter.append(cert("intermediate %d" % (i + 1), k, up.subject, up_key, is_ca=True, eku=None))
    up, up_key = inter[-1], k
other = ec.generate_private_key(ec.SECP256R1())
revoked = cert("1234", dev, root.subject, ca)
save("good", pem_of(cert("1234", dev, root.subject, ca)))
save("deep2", pem_of(cert("1234", dev, inter[1].subject, keys[1])))
save("deep3", pem_of(cert("1234", dev, inter[2].subject, keys[2])))
save("expired", pem_of(cert("1234", dev, root.subject, ca, start=-7200, end=-3600)))
save("notyet", pem_of(cert("1234", dev, root.subject, ca, start=3600, end=7200)))
save("serveronly", pem_of(cert("1234", dev, root.subject, ca, eku=(ExtendedKeyUsageOID.SERVER_AUTH,))))
save("selfsigned", pem_of(cert("1234", dev, name_of("1234"), dev)))
save("otherca", pem_of(cert("1234", dev, name_of("another CA"), other)))
save("forged", pem_of(cert("1234", dev, root.subject, other)))
save("cacert", pem_of(root))
save("revoked", pem_of(revoked))
der = bytearray(cert("1234", dev, root.subject, ca).public_bytes(serialization.Encoding.DER))
der[-3] ^= 1  # one bit of the signature
b64 = base64.b64encode(bytes(der)).decode()
save("tampered", "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" %
     "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)))
open("%s/ca.pem" % d, "w").write("".join(pem_of(c) for c in [root] + inter))
open("%s/ca.crl" % d, "wb").write(b"".join(
    crl(c, k, [revoked] if c is root else []).public_bytes(serialization.Encoding.PEM)
    for c, k in [(root, ca)] + list(zip(inter, keys))))
EOF
# More responders, with --client-ca and --client-crl (from the environment).
FSOCK_CA=$T_TMP/fcgi-ca.sock
fcgi_start "$FSOCK_CA" 2 AUTOWG_CLIENT_CA="$P/ca.pem" AUTOWG_CLIENT_CRL="$P/ca.crl" &&
	wait_for 5 test -S "$FSOCK_CA" || not_ok "start responders with --client-ca" "$(cat "$T_TMP"/spawn.log)"

# expand VALUE: the placeholders of one parameter value.
expand() {
	local v=$1
	while [[ $v =~ @CERT\(([a-z0-9]+)\) ]]; do v=${v/"${BASH_REMATCH[0]}"/"$(cat "$P/${BASH_REMATCH[1]}.esc")"}; done
	while [[ $v =~ @PEM\(([a-z0-9]+)\) ]]; do v=${v/"${BASH_REMATCH[0]}"/"$(cat "$P/${BASH_REMATCH[1]}.pem")"}; done
	while [[ $v =~ @B64\(([^\)]*)\) ]]; do v=${v/"${BASH_REMATCH[0]}"/"$(printf '%b' "${BASH_REMATCH[1]}" | base64 -w0)"}; done
	while [[ $v =~ @PAD\(([0-9]+),(.)\) ]]; do
		v=${v/"${BASH_REMATCH[0]}"/"$(head -c "${BASH_REMATCH[1]}" /dev/zero | tr '\0' "${BASH_REMATCH[2]}")"}
	done
	v=${v//@LEN/$(stat -c %s "$T_TMP/req.body")}
	v=${v//@AUTH/Basic $(printf 'fleet:s3cret' | base64 -w0)}
	printf '%s' "$v"
}
# body SPEC: the case's body into $T_TMP/req.body.
body() {
	local t
	case $1 in
	-) : ;;
	text:*)
		t=${1#text:}
		while [[ $t == *@NEWK* ]]; do t=${t/@NEWK/$(newkey)}; done
		printf '%b' "${t//@K/$K}" ;;
	pad:*) t=${1#pad:} && head -c "${t%%:*}" /dev/zero | tr '\0' "${t#*:}" ;;
	hex:*) printf '%s' "${1#hex:}" | xxd -r -p ;;
	*) echo "bad body spec $1" >&2 ;;
	esac >"$T_TMP/req.body"
}
# answer_ok STATUS REASON: the answer is STATUS, a refusal one line of
# text/plain holding REASON, a 200 holding REASON; says why not in WHY.
answer_ok() {
	local lines
	WHY=
	if [ "$STATUS" != "$1" ]; then
		WHY="status ${STATUS:-none}, want $1"
	elif [ "$1" != 200 ]; then
		lines=$(wc -l <"$T_TMP/resp.body")
		printf '%s\n' "$HEADERS" | grep -qx 'Content-Type: text/plain; charset=UTF-8' || WHY="not text/plain"
		[ "$lines" = 1 ] && [ "$(tail -c 1 "$T_TMP/resp.body" | xxd -p)" = 0a ] || WHY="$WHY; not one line"
	fi
	grep -qF -- "$2" "$T_TMP/resp.body" || WHY="$WHY; reason lacks '$2'"
	[ -z "$WHY" ]
}

# --- requests --------------------------------------------------------------------
n_req=0
while IFS=$'\t' read -r -a f; do
	[ ${#f[@]} -eq 0 ] || [[ ${f[0]} == \#* ]] && continue
	name=${f[0]} want=${f[1]} reason=${f[2]}
	body "${f[3]}"
	args=() sock=$FSOCK
	for p in "${f[@]:4}"; do
		case $p in
		@CA) sock=$FSOCK_CA ;;
		@POST) args+=(REQUEST_METHOD=POST REQUEST_URI=/v1/register "CONTENT_LENGTH=$(expand @LEN)") ;;
		@PEERS) args+=(REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json) ;;
		@V) args+=(SSL_CLIENT_VERIFY=SUCCESS) ;;
		@MANY\(*\)) for ((i = 0; i < ${p//[^0-9]/}; i++)); do args+=("HTTP_X_$i=$i"); done ;;
		*) args+=("$(expand "$p")") ;;
		esac
	done
	before=$(dump_stable)
	"$FCALL" "$sock" req REMOTE_ADDR=192.0.2.1 GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		"${args[@]}" <"$T_TMP/req.body" >"$T_TMP/resp" 2>"$T_TMP/resp.err"
	rc=$?
	resp_parse "$T_TMP/resp"
	after=$(dump_stable)
	n_req=$((n_req + 1))
	if [ "$rc" = 0 ] && answer_ok "$want" "$reason" && [ "$before" = "$after" ]; then
		ok "$want $name"
		echo "#   -> $(head -n 1 "$T_TMP/resp.body" | cut -c1-150)"
	else
		[ "$rc" = 0 ] || WHY="$WHY; fcgi-call: $(cat "$T_TMP/resp.err")"
		[ "$before" = "$after" ] || WHY="$WHY; INTERFACE CHANGED: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ')"
		not_ok "$want $name" "${WHY#; }" "answer: $(head -c 300 "$T_TMP/resp")"
	fi
done <"$CASES/bad-input.tsv"

# --- helper flags -------------------------------------------------------------------
rep() { head -c "$1" /dev/zero | tr '\0' "$2"; }
STD="--pool $POOL --route $ROUTE --endpoint vpn.example.com"
n_flag=0
while IFS=$'\t' read -r name want re words; do
	[ -z "$name" ] || [[ $name == \#* ]] && continue
	words=${words//@STD/$STD}
	eval "set -- ${words//@IF/$IF}"
	before=$(dump_stable)
	rm -f "$T_TMP/never.sock"
	out=$(timeout 10 ip netns exec "$NS" "$B/autowg-helper" --socket "$T_TMP/never.sock" "$@" 2>&1)
	rc=$?
	after=$(dump_stable)
	n_flag=$((n_flag + 1))
	if [ "$rc" = "$want" ] && printf '%s' "$out" | head -n 1 | grep -qE -- "$re" &&
		[ ! -e "$T_TMP/never.sock" ] && [ "$before" = "$after" ]; then
		ok "helper flag: $name: exit $want"
	else
		not_ok "helper flag: $name" "want exit $want and /$re/ on the first line, no socket, interface unchanged" \
			"got exit $rc: $(printf '%s' "$out" | head -n 2)" \
			"$([ -e "$T_TMP/never.sock" ] && echo "socket left behind") $([ "$before" = "$after" ] || echo "INTERFACE CHANGED")"
	fi
done <"$CASES/helper-flags.tsv"

echo "# $n_req request cases, $n_flag helper flag cases"
check "the helper served throughout" kill -0 "$HELPER_PID"
expect_eq "device 1234 still holds its key" "$K $PFX""1234/128" "$(peers | grep "^$K ")"
done_testing
