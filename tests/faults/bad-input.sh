#!/bin/bash
# The bad-input suite, driven by tables: every case in cases/bad-input.tsv is
# one FastCGI request to autowg-fcgi (spawn-fcgi, the real helper, a real
# wireguard-go interface), every case in cases/helper-flags.tsv one
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
# cannot write (BMPString, UniversalString, NUL and newline in the CN).
P=$T_TMP/pki
mkdir -p "$P"
python3 - "$P" <<'EOF' || not_ok "certificates made" "python3 cryptography failed"
import datetime, sys, urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
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
EOF

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
	args=()
	for p in "${f[@]:4}"; do
		case $p in
		@POST) args+=(REQUEST_METHOD=POST REQUEST_URI=/v1/register "CONTENT_LENGTH=$(expand @LEN)") ;;
		@PEERS) args+=(REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json) ;;
		@V) args+=(SSL_CLIENT_VERIFY=SUCCESS) ;;
		@MANY\(*\)) for ((i = 0; i < ${p//[^0-9]/}; i++)); do args+=("HTTP_X_$i=$i"); done ;;
		*) args+=("$(expand "$p")") ;;
		esac
	done
	before=$(dump_stable)
	"$FCALL" "$FSOCK" req REMOTE_ADDR=192.0.2.1 GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
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
