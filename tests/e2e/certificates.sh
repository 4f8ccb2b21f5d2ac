#!/bin/bash
# README.md's "Certificates", run as written: every command block, read from
# README.md (tests/e2e/pki.sh), run in the README's order by POSIX sh in the
# directory that keeps the CAs, the settings carried from block to block as
# in one shell, against the real nginx lab (conf/nginx-autowg.conf with its
# ssl_crl line uncommented). Only three things differ from a concentrator:
# /etc/autowg/ and /etc/wireguard/ are directories of this test, the
# interface "devices" is the lab's, and "systemctl reload nginx" sends the
# lab's nginx the signal systemd would (SIGHUP).
# What it shows: the CA and the certificates are what the README says; a
# device of the fleet CA registers and its tunnel carries traffic; the CN
# check prints what tests/vectors say; a certificate signed with a device's
# key and a fleet certificate without clientAuth are refused; a revoked
# device is refused by nginx's ssl_crl while the others register; an expired
# CRL locks every device out until the publish block runs; during a CA
# rotation devices of both CAs register, no request fails across the
# reloads, and once the old CA is retired its devices are refused; rotating
# the concentrator's WireGuard key stops the tunnels at once, the helper
# answers with the new key within 10 s, the client waits for a stale
# handshake, then registers again and the tunnel is back.
. "$(dirname "$0")/../lib.sh"

CAS=$T_TMP/cas            # the operator's CA directory
ETC=$T_TMP/etc/autowg     # the concentrator's /etc/autowg/
WGETC=$T_TMP/etc/wireguard
RELOAD_SECS=10            # nginx applies a reload within this
HAMMER_SECS=30            # a no-outage loop runs at most this long
HAMMER_MAX=3000           # and at most this many requests
mkdir -p "$CAS" "$ETC" "$WGETC" || exit 1

# The site as the README has the operator run it: revocation on, the fleet
# CAs and their CRLs where the publish block puts them.
export E2E_CONF=$T_TMP/conf
cp -r "$TOP/conf" "$E2E_CONF"
sed -i -e 's|^\t#ssl_crl /etc/autowg/|\tssl_crl /etc/autowg/|' -e "s|/etc/autowg/|$ETC/|g" \
	-e "s|@FLEET_CA@|$ETC/device-ca.pem|" "$E2E_CONF/nginx-autowg.conf"
# The responders verify against the same files: --client-ca from their
# unit, the CRL from AUTOWG_CLIENT_CRL as README's "The responders" says.
sed -i -e "s|/etc/autowg/|$ETC/|g" "$E2E_CONF/autowg-fcgi@.service"
LAB_CLIENT_CRL=$ETC/device-ca.crl
. "$TOP/tests/e2e/lab.sh"
check "conf/nginx-autowg.conf has the ssl_crl line the README turns on" \
	grep -qx "	ssl_crl $ETC/device-ca.crl;" "$E2E_CONF/nginx-autowg.conf"

# --- Running the README's blocks ---------------------------------------------

STATE=""  # the settings so far, as the operator's shell keeps them
RAN=()    # the blocks run, to compare with the README's
# shellcheck disable=SC2016 # for the block's shell
PRELUDE='systemctl() {
	[ "$*" = "reload nginx" ] || { echo "systemctl $*: not in this test" >&2; return 1; }
	[ -e "$NGINX_PID" ] || return 0 # nginx not started yet: nothing to reload
	kill -HUP "$(cat "$NGINX_PID")"
}'
NGINX_PID=$T_TMP/lab/nginx/nginx.pid

# readme NAME: the README block with this test's paths.
readme() {
	pki_block "$1" | sed -e "s|/etc/autowg/|$ETC/|g" -e "s|/etc/wireguard/|$WGETC/|g"
}

# run_block NAME [LINE...]: the block, after the settings so far and the
# extra lines (a device's CN); output in $T_TMP/block-NAME.log.
run_block() {
	local name=$1 cmds
	shift
	RAN+=("$name")
	cmds=$(readme "$name")
	[ -n "$cmds" ] || { echo "README.md has no block <!-- pki: $name -->" >"$T_TMP/block-$name.log"; return 1; }
	(cd "$CAS" && NGINX_PID=$NGINX_PID PATH="$B:$PATH" sh -eu -c "$PRELUDE
$STATE
$(printf '%s\n' "$@")
$cmds") >"$T_TMP/block-$name.log" 2>&1
}

# block_ok NAME TEXT [LINE...]: run_block as a test case.
block_ok() {
	local name=$1 text=$2
	shift 2
	if run_block "$name" "$@"; then ok "README block $name: $text"; else
		not_ok "README block $name: $text" "$(tail -n 8 "$T_TMP/block-$name.log")"
	fi
}

x509() { openssl x509 -noout "$@" 2>&1; }

# nginx's reload is done when the workers of before it have all gone (they
# finish what they serve first): a request may meet an old one until then.
workers() { ps -o pid= --ppid "$(cat "$NGINX_PID" 2>/dev/null)" 2>/dev/null | tr -d ' ' | sort; }
gone() { local w; w=$(workers); [ -n "$w" ] && [ -z "$(comm -12 <(echo "$1") <(echo "$w"))" ]; }
reloaded() {
	wait_for "$RELOAD_SECS" gone "$1" || not_ok "nginx finished its reload within $RELOAD_SECS s" \
		"workers before: $1; now: $(workers)"
}
# publish TEXT: the publish block, and its reload done.
publish() {
	local old
	old=$(workers)
	block_ok publish "$1"
	[ -z "$old" ] || reloaded "$old"
}
# hup: a reload of nginx by hand (for what the README warns about), done.
hup() {
	local old
	old=$(workers)
	kill -HUP "$(cat "$NGINX_PID")"
	reloaded "$old"
}

# --- The fleet CA, devices, CN check, server ---------------------------------

STATE=$(readme settings)
RAN+=(settings)
got=$(cd "$CAS" && sh -eu -c "$STATE"'
sh -c "echo \$CA"; echo "$CA_NAME|$CN|$SERVER"')
expect_eq "README block settings: CA (exported), CA_NAME, CN, SERVER" \
	"fleet-ca-2026 Example fleet CA 2026|1234|vpn.example.com" "${got//$'\n'/ }"
OLD=$CAS/fleet-ca-2026

block_ok ca "makes the fleet CA"
expect_match "the fleet CA is a CA that signs devices only (pathlen:0)" \
	'CA:TRUE, pathlen:0' "$(x509 -ext basicConstraints -in "$OLD/ca.crt")"
expect_match "the fleet CA is named by CA_NAME" 'CN ?= ?Example fleet CA 2026' "$(x509 -subject -in "$OLD/ca.crt")"

for cn in 1234 1002; do
	block_ok device-key "key and request for CN $cn" "CN=$cn"
	block_ok device-sign "CN $cn signed by the fleet CA" "CN=$cn"
done
expect_match "device 1234: subject CN is the device's name" 'CN ?= ?1234$' "$(x509 -subject -in "$CAS/1234.crt")"
expect_match "device 1234: CA:FALSE" 'CA:FALSE' "$(x509 -ext basicConstraints -in "$CAS/1234.crt")"
expect_match "device 1234: extendedKeyUsage clientAuth" 'TLS Web Client Authentication' \
	"$(x509 -ext extendedKeyUsage -in "$CAS/1234.crt")"
check "device 1234 verifies against the fleet CA as a TLS client" \
	openssl verify -CAfile "$OLD/ca.crt" -purpose sslclient "$CAS/1234.crt"
expect_eq "the CA's index.txt lists both devices, valid" "V /O=Example fleet/CN=1234;V /O=Example fleet/CN=1002;" \
	"$(awk -F'\t' '{printf "%s %s;", $1, $6}' "$OLD/index.txt")"

block_ok check-cn "autowg-addr answers"
want_bcd=$(awk -F'\t' '$1 == "fde3:25fb:7f6c:1::/64" && $2 == "1234" {print $3}' "$TOP/tests/vectors/direct-bcd.tsv")
want_metans=$(awk -F'\t' '$1 == "fde3:25fb:7f6c:1::/64" && $2 == "st%s.0" && $3 == "1234" {print $4}' \
	"$TOP/tests/vectors/metans.tsv")
expect_eq "README block check-cn prints the addresses of tests/vectors" \
	"$want_bcd $want_metans" "$(tr '\n' ' ' <"$T_TMP/block-check-cn.log" | sed 's/ $//')"

block_ok server-ca "makes the private server CA"
block_ok server "the server certificate for vpn.test" "SERVER=vpn.test"
check "the server certificate verifies against the server CA as a TLS server for vpn.test" \
	openssl verify -CAfile "$CAS/server-ca.crt" -purpose sslserver -verify_hostname vpn.test "$CAS/vpn.test.crt"

publish "the CA bundle and CRL for the concentrator (nginx not running yet)"
expect_eq "published: the fleet CA, its CRL" "1 1" \
	"$(grep -c 'BEGIN CERTIFICATE' "$ETC/device-ca.pem") $(grep -c 'BEGIN X509 CRL' "$ETC/device-ca.crl")"

# --- The lab, with the README's server certificate and CA bundle -------------

lab_run() {
	lab_net 3 || return 1
	# The README's server certificate and CA replace the lab's own.
	cp "$CAS/vpn.test.chain.pem" "$LAB_PKI/server.crt" && cp "$CAS/vpn.test.key" "$LAB_PKI/server.key" &&
		cp "$CAS/server-ca.crt" "$LAB_PKI/server-ca.crt" || return 1
	for cn in 1234 1002; do cp "$CAS/$cn.crt" "$LAB_PKI/readme-$cn.crt" && cp "$CAS/$cn.key" "$LAB_PKI/readme-$cn.key"; done
	lab_helper && lab_fcgi && lab_web nginx
}
if ! lab_run; then
	not_ok "the nginx lab runs with the README's certificates"
	done_testing
	exit 1
fi
ok "the nginx lab runs with the README's certificates and conf/nginx-autowg.conf"

# status I CERT: HTTP status of a registration of device I's current key (a
# new one when it has none) with certificate CERT (in $LAB_PKI).
status() {
	local key
	key=$(lab_dev_key "$1") || true
	[ -n "$key" ] || key=$(wg genkey | wg pubkey)
	lab_curl "$1" --cert "$LAB_PKI/$2.crt" --key "$LAB_PKI/$2.key" -H 'Content-Type: text/plain' \
		--data-binary "$key" -o /dev/null -w '%{http_code}' "https://$LAB_NAME${LAB_PREFIX}v1/register" 2>/dev/null
}
is_status() { [ "$(status "$2" "$3")" = "$1" ]; }

if lab_client 1 "" readme-1234; then ok "device 1234 (README certificate) registers"; else
	not_ok "device 1234 (README certificate) registers" "$LAB_OUT"; fi
expect_eq "device 1234 has its direct-bcd address" "$(lab_ip 1234)/128" "$(lab_dev_addr 1)"
check "device 1234 pings the concentrator over the tunnel" lab_ping "${LAB_DNS[1]}" "$LAB_CADDR"
if lab_client 2 "" readme-1002; then ok "device 1002 (README certificate) registers"; else
	not_ok "device 1002 (README certificate) registers" "$LAB_OUT"; fi

# --- Attacks on the chain ------------------------------------------------------

A=$T_TMP/attack
mkdir -p "$A"
# A certificate for 1001 signed with device 1234's key, sent with 1234's
# certificate as its chain: the device is not a CA.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$A/forged.key" 2>/dev/null
openssl req -new -key "$A/forged.key" -subj "/O=Example fleet/CN=1001" -out "$A/forged.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$A/client.ext"
openssl x509 -req -in "$A/forged.csr" -CA "$CAS/1234.crt" -CAkey "$CAS/1234.key" -days 2 \
	-extfile "$A/client.ext" -out "$A/leaf.crt" 2>/dev/null
cat "$A/leaf.crt" "$CAS/1234.crt" >"$LAB_PKI/forged.crt" && cp "$A/forged.key" "$LAB_PKI/forged.key"
before=$(lab_wg_state)
expect_eq "attack: a certificate signed with a device's key is refused by nginx (400)" "400" "$(status 3 forged)"
# A certificate of the fleet CA itself, but for servers only.
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$A/server.ext"
openssl x509 -req -in "$A/forged.csr" -CA "$OLD/ca.crt" -CAkey "$OLD/ca.key" -days 2 \
	-extfile "$A/server.ext" -out "$LAB_PKI/noclient.crt" 2>/dev/null && cp "$A/forged.key" "$LAB_PKI/noclient.key"
expect_eq "attack: a fleet CA certificate without clientAuth is refused by nginx (400)" "400" "$(status 3 noclient)"
expect_eq "attacks: the concentrator is unchanged" "$before" "$(lab_wg_state)"

# --- Revocation -----------------------------------------------------------------

block_ok revoke "device 1002 revoked" "CN=1002"
expect_match "the CA's index.txt marks 1002 revoked (keyCompromise)" '^R	.*keyCompromise.*CN=1002$' \
	"$(grep 'CN=1002$' "$OLD/index.txt")"
publish "the new CRL, nginx reloaded"
if wait_for "$RELOAD_SECS" is_status 400 2 readme-1002; then
	ok "a revoked device is refused by nginx's ssl_crl (400)"
else
	not_ok "a revoked device is refused by nginx's ssl_crl (400)" "still: $(status 2 readme-1002)"
fi
# The device restarts (its wireguard-go gone with the interface) and tries.
lab_ns "${LAB_DNS[2]}" ip link del "${LAB_DIF[2]}"
wait_for 5 bash -c "! test -S /var/run/wireguard/${LAB_DIF[2]}.sock"
if lab_client 2 "" readme-1002; then
	not_ok "autowg-client with the revoked certificate fails" "client said: $LAB_OUT"
else
	expect_match "autowg-client with the revoked certificate fails with nginx's refusal" 'refused: HTTP 400' "$LAB_OUT"
fi
expect_eq "device 1234, not revoked, still registers" "200" "$(status 1 readme-1234)"

# The README's warning: a CRL past its next update locks every device out.
(cd "$CAS" && CA=fleet-ca-2026 openssl ca -config "$OLD/ca.cnf" -gencrl -crl_lastupdate 20200101000000Z \
	-crl_nextupdate 20200102000000Z -out "$ETC/device-ca.crl") >/dev/null 2>&1
hup
if wait_for "$RELOAD_SECS" is_status 400 1 readme-1234; then
	ok "an expired CRL: nginx refuses even a good device (as the README warns)"
else
	not_ok "an expired CRL: nginx refuses even a good device (as the README warns)" "got $(status 1 readme-1234)"
fi
publish "a fresh CRL after the expired one"
check "after publishing, the good device registers again" wait_for "$RELOAD_SECS" is_status 200 1 readme-1234

# --- Rotating the fleet CA ------------------------------------------------------

# hammer CERT STOPFILE OUT: one request after another with device 3's
# namespace and CERT to a path nginx answers itself (404 once the
# certificate is accepted, 400 if not), until STOPFILE goes; statuses in OUT.
hammer() {
	local n=0 end=$((SECONDS + HAMMER_SECS))
	while [ -e "$2" ] && [ "$n" -lt "$HAMMER_MAX" ] && [ "$SECONDS" -lt "$end" ]; do
		lab_curl 3 --cert "$LAB_PKI/$1.crt" --key "$LAB_PKI/$1.key" -o /dev/null -w '%{http_code}\n' \
			"https://$LAB_NAME/" 2>/dev/null
		n=$((n + 1))
	done >"$3"
}
# no_outage CERT TEXT: the publish block runs while CERT's requests go on.
no_outage() {
	local stop=$T_TMP/hammer.on pid
	: >"$stop"
	hammer "$1" "$stop" "$T_TMP/hammer.out" &
	pid=$!
	sleep 0.5
	publish "$2"
	sleep 0.5
	rm -f "$stop"
	wait "$pid"
	expect_eq "no outage for $1 across the reload: every request accepted ($(wc -l <"$T_TMP/hammer.out") sent)" \
		"" "$(grep -v '^404$' "$T_TMP/hammer.out" | sort | uniq -c | tr '\n' ' ')"
	check "the no-outage loop for $1 sent requests during the reload" test "$(wc -l <"$T_TMP/hammer.out")" -ge 10
}

STATE="$STATE
$(readme rotate-settings)"
RAN+=(rotate-settings)
block_ok ca "the new fleet CA beside the old one"
block_ok device-key "key and request for CN 1003" "CN=1003"
block_ok device-sign "CN 1003 signed by the new CA" "CN=1003"
expect_match "device 1003's certificate is the new CA's" 'Example fleet CA 2027' "$(x509 -issuer -in "$CAS/1003.crt")"
cp "$CAS/1003.crt" "$LAB_PKI/readme-1003.crt" && cp "$CAS/1003.key" "$LAB_PKI/readme-1003.key"
expect_eq "before publishing, nginx refuses the new CA's device (400)" "400" "$(status 3 readme-1003)"
no_outage readme-1234 "both CAs and both CRLs"
expect_eq "published: both CAs, both CRLs" "2 2" \
	"$(grep -c 'BEGIN CERTIFICATE' "$ETC/device-ca.pem") $(grep -c 'BEGIN X509 CRL' "$ETC/device-ca.crl")"
check "both CAs: the new CA's device registers" wait_for "$RELOAD_SECS" is_status 200 3 readme-1003
expect_eq "both CAs: the old CA's device registers" "200" "$(status 1 readme-1234)"
if lab_client 3 "" readme-1003; then ok "device 1003 (new CA) registers with autowg-client"; else
	not_ok "device 1003 (new CA) registers with autowg-client" "$LAB_OUT"; fi

# The README's rule: every CA in the bundle needs its CRL.
grep -q . "$OLD/ca.crl" && cp "$OLD/ca.crl" "$ETC/device-ca.crl"
hup
if wait_for "$RELOAD_SECS" is_status 400 3 readme-1003; then
	ok "a CA in the bundle without its CRL: nginx refuses its devices (as the README says)"
else
	not_ok "a CA in the bundle without its CRL: nginx refuses its devices (as the README says)" \
		"got $(status 3 readme-1003)"
fi
publish "both CRLs again"
check "both CRLs again: the new CA's device registers" wait_for "$RELOAD_SECS" is_status 200 3 readme-1003

block_ok retire "the old CA retired"
no_outage readme-1003 "the new CA alone"
check "the old CA retired: its device is refused (400)" wait_for "$RELOAD_SECS" is_status 400 1 readme-1234
expect_eq "the old CA retired: the new CA's device registers" "200" "$(status 3 readme-1003)"

# --- Rotating the concentrator's WireGuard key --------------------------------

priv=$(lab_ns "$LAB_CNS" wg show "$LAB_CIF" private-key)
old_pub=$(lab_ns "$LAB_CNS" wg show "$LAB_CIF" public-key)
printf '[Interface]\nListenPort = %s\nPrivateKey = %s\nAddress = %s/48\n' "$LAB_PORT" "$priv" "$LAB_CADDR" \
	>"$WGETC/$LAB_CIF.conf"
check "device 1003 pings the concentrator before the rotation" lab_ping "${LAB_DNS[3]}" "$LAB_CADDR"

RAN+=(wg-rotate)
cmds=$(readme wg-rotate | sed "s/\bdevices\b/$LAB_CIF/g")
if ip netns exec "$LAB_CNS" sh -eu -c "$cmds" >"$T_TMP/block-wg-rotate.log" 2>&1; then
	ok "README block wg-rotate: a new key on the interface"
else
	not_ok "README block wg-rotate: a new key on the interface" "$(cat "$T_TMP/block-wg-rotate.log")"
fi
new_pub=$(lab_ns "$LAB_CNS" wg show "$LAB_CIF" public-key)
check "the interface has a new public key" test -n "$new_pub" -a "$new_pub" != "$old_pub"
expect_eq "wg-quick's configuration holds the new private key" "$new_pub" \
	"$(sed -n 's/^PrivateKey = //p' "$WGETC/$LAB_CIF.conf" | wg pubkey 2>&1)"
check "the new key's file is gone" test ! -e "$WGETC/$LAB_CIF.newkey"
if lab_ns "${LAB_DNS[3]}" ping -6 -c 2 -W 1 "$LAB_CADDR" >/dev/null 2>&1; then
	not_ok "what devices see: the tunnel stops at once"
else
	ok "what devices see: the tunnel stops at once"
fi
if lab_client 3 "" readme-1003 && [ -z "$LAB_OUT" ]; then
	ok "the client waits: a handshake under 135 s old is alive (exit 0, silent)"
else
	not_ok "the client waits: a handshake under 135 s old is alive (exit 0, silent)" "$LAB_OUT"
fi
answer_key() {
	lab_curl 3 --cert "$LAB_PKI/readme-1003.crt" --key "$LAB_PKI/readme-1003.key" -H 'Content-Type: text/plain' \
		--data-binary "$(lab_dev_key 3)" "https://$LAB_NAME${LAB_PREFIX}v1/register" 2>/dev/null |
		sed -n 's/^pubkey=//p'
}
key_is_new() { [ "$(answer_key)" = "$new_pub" ]; }
t0=$SECONDS
if wait_for 12 key_is_new; then
	ok "the helper answers with the new key within 10 s ($((SECONDS - t0)) s)"
else
	not_ok "the helper answers with the new key within 10 s" "answer: $(answer_key)"
fi
# The handshake going stale, without waiting 135 s: the device's peer reset
# (no handshake at all), then the client's next run, as from cron.
lab_ns "${LAB_DNS[3]}" wg set "${LAB_DIF[3]}" peer "$old_pub" remove
if lab_client 3 "" readme-1003; then ok "once its handshake is stale the client registers again"; else
	not_ok "once its handshake is stale the client registers again" "$LAB_OUT"; fi
expect_eq "the device now has the concentrator's new key" "$new_pub" \
	"$(lab_ns "${LAB_DNS[3]}" wg show "${LAB_DIF[3]}" peers)"
check "the tunnel is back: device 1003 pings the concentrator" lab_ping "${LAB_DNS[3]}" "$LAB_CADDR"

# --- Every block of the README ran --------------------------------------------
expect_eq "every <!-- pki: --> block of README.md was run by this test" \
	"$(sed -n 's/^ *<!-- pki: \([a-z-]*\) -->$/\1/p' "$TOP/README.md" | sort -u | tr '\n' ' ')" \
	"$(printf '%s\n' "${RAN[@]}" | sort -u | tr '\n' ' ')"
done_testing
