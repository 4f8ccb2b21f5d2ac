# autowg: not a test (sourced by the tests in this directory; see tests/run)
# The end-to-end contract, the same for every web server. Sourced after
# lab.sh; lab_contract runs against a lab built with lab_up SERVER 4:
# devices 1..3 are the fleet, device 4 an intruder holding a certificate for
# device 1's CN from another CA.

LAB_FLEET=3
LAB_INTRUDER=4

lab_register_url() { echo "https://$LAB_NAME${LAB_PREFIX}v1/register"; }
lab_peer_of() { lab_ns "$LAB_CNS" wg show "$LAB_CIF" allowed-ips | awk -v a="$1/128" '$2 == a { print $1 }'; }
lab_shell_of() { if (($1 % 2)); then echo "busybox ash"; else echo bash; fi; }

contract_register() {
	local i cn ip
	for ((i = 1; i <= LAB_FLEET; i++)); do
		cn=${LAB_CN[i]} ip=$(lab_ip "$cn")
		if lab_client "$i"; then
			ok "$LAB_WEB: device $cn registers ($(lab_shell_of "$i"))"
			lab_say "device $cn: $LAB_OUT"
		else
			not_ok "$LAB_WEB: device $cn registers ($(lab_shell_of "$i"))" "client said: $LAB_OUT"
		fi
		expect_eq "$LAB_WEB: device $cn has address $ip/128" "$ip/128" "$(lab_dev_addr "$i")"
		expect_eq "$LAB_WEB: concentrator routes $ip to device $cn's key" "$(lab_dev_key "$i")" "$(lab_peer_of "$ip")"
	done
}

contract_ping() {
	local i cn ip
	for ((i = 1; i <= LAB_FLEET; i++)); do
		cn=${LAB_CN[i]} ip=$(lab_ip "$cn")
		check "$LAB_WEB: device $cn pings the concentrator $LAB_CADDR over the tunnel" lab_ping "${LAB_DNS[i]}" "$LAB_CADDR"
		check "$LAB_WEB: the concentrator pings device $cn at $ip" lab_ping "$LAB_CNS" "$ip"
	done
}

contract_alive() {
	local key
	key=$(lab_dev_key 1)
	if lab_client 1 && [ -z "$LAB_OUT" ]; then
		ok "$LAB_WEB: a live tunnel makes the client exit 0 quietly"
	else
		not_ok "$LAB_WEB: a live tunnel makes the client exit 0 quietly" "client said: $LAB_OUT"
	fi
	expect_eq "$LAB_WEB: a live tunnel keeps its key" "$key" "$(lab_dev_key 1)"
}

contract_peers_json() {
	local json want got code i
	json=$(lab_peers_json)
	want=$(for ((i = 1; i <= LAB_FLEET; i++)); do echo "${LAB_CN[i]}"; done | sort | tr '\n' ' ')
	got=$(printf '%s' "$json" | jq -r 'keys[]' 2>/dev/null | sort | tr '\n' ' ')
	expect_eq "$LAB_WEB: peers.json lists exactly the devices" "$want" "$got"
	want=$(for ((i = 1; i <= LAB_FLEET; i++)); do echo "${LAB_CN[i]} $(lab_ip "${LAB_CN[i]}") $(lab_dev_key "$i")"; done | sort)
	got=$(printf '%s' "$json" | jq -r 'to_entries[] | "\(.key) \(.value.ip) \(.value.pubkey)"' 2>/dev/null | sort)
	expect_eq "$LAB_WEB: peers.json has each device's address and key" "$want" "$got"
	code=$(lab_curl 1 --cert "$LAB_PKI/dev-${LAB_CN[1]}.crt" --key "$LAB_PKI/dev-${LAB_CN[1]}.key" \
		-o /dev/null -w '%{http_code}' "https://$LAB_NAME${LAB_PREFIX}v1/peers.json")
	expect_eq "$LAB_WEB: peers.json without credentials is 401" 401 "$code"
	code=$(lab_curl 1 --cert "$LAB_PKI/dev-${LAB_CN[1]}.crt" --key "$LAB_PKI/dev-${LAB_CN[1]}.key" \
		-u ops:wrong -o /dev/null -w '%{http_code}' "https://$LAB_NAME${LAB_PREFIX}v1/peers.json")
	expect_eq "$LAB_WEB: peers.json with a wrong password is 401" 401 "$code"
}

contract_static() {
	expect_eq "$LAB_WEB: the static operator peer keeps its key and address" "$LAB_STATIC_LINE" \
		"$(lab_ns "$LAB_CNS" wg show "$LAB_CIF" allowed-ips | grep "^$LAB_STATIC_KEY")"
}

# Device 2 reboots: its interface (and key) is gone; the client makes a new
# one and gets the same address.
contract_reboot() {
	local old new ip
	ip=$(lab_ip "${LAB_CN[2]}")
	old=$(lab_dev_key 2)
	lab_ns "${LAB_DNS[2]}" ip link del "${LAB_DIF[2]}"
	wait_for 5 bash -c "! test -S /var/run/wireguard/${LAB_DIF[2]}.sock"
	if lab_client 2; then ok "$LAB_WEB: a rebooted device registers again"; else
		not_ok "$LAB_WEB: a rebooted device registers again" "client said: $LAB_OUT"; fi
	new=$(lab_dev_key 2)
	if [ -n "$new" ] && [ "$new" != "$old" ]; then ok "$LAB_WEB: the rebooted device has a new key"; else
		not_ok "$LAB_WEB: the rebooted device has a new key" "old: $old" "new: $new"; fi
	expect_eq "$LAB_WEB: the rebooted device keeps its address" "$ip/128" "$(lab_dev_addr 2)"
	expect_eq "$LAB_WEB: the concentrator has the new key for $ip" "$new" "$(lab_peer_of "$ip")"
	if lab_ns "$LAB_CNS" wg show "$LAB_CIF" peers | grep -qxF -- "$old"; then
		not_ok "$LAB_WEB: the old key is gone from the concentrator"
	else ok "$LAB_WEB: the old key is gone from the concentrator"; fi
	check "$LAB_WEB: the rebooted device pings the concentrator" lab_ping "${LAB_DNS[2]}" "$LAB_CADDR"
}

# Device 2 reboots again at once: the helper's --min-rekey-interval (5 s by
# default, as the unit runs it) answers 429 with Retry-After through the web
# server; the client waits that long and registers its new key.
contract_reboot_again() {
	local ip t0 took
	ip=$(lab_ip "${LAB_CN[2]}")
	lab_ns "${LAB_DNS[2]}" ip link del "${LAB_DIF[2]}"
	wait_for 5 bash -c "! test -S /var/run/wireguard/${LAB_DIF[2]}.sock"
	t0=$SECONDS
	if lab_client 2; then ok "$LAB_WEB: a device rebooted twice in a row registers again"; else
		not_ok "$LAB_WEB: a device rebooted twice in a row registers again" "client said: $LAB_OUT"; fi
	took=$((SECONDS - t0))
	expect_match "$LAB_WEB: ... after the server's 429 (the helper says rate_limited)" \
		"refused CN '${LAB_CN[2]}' name ${LAB_CN[2]} key .*: rate_limited" "$(cat "$LAB/helper.log")"
	check "$LAB_WEB: ... having waited Retry-After, at most 5 s ($took s)" test "$took" -le 7
	expect_eq "$LAB_WEB: ... and the concentrator has its new key" "$(lab_dev_key 2)" "$(lab_peer_of "$ip")"
	check "$LAB_WEB: ... and it pings the concentrator" lab_ping "${LAB_DNS[2]}" "$LAB_CADDR"
}

# refused NAME CURLARGS...: a registration attempt from the intruder's
# namespace gets no answer and changes nothing on the concentrator.
refused() {
	local name=$1 before after out; shift
	before=$(lab_wg_state)
	out=$(lab_curl "$LAB_INTRUDER" -H 'Content-Type: text/plain' \
		--data-binary "$(wg genkey | wg pubkey)" "$@" "$(lab_register_url)" 2>&1)
	after=$(lab_wg_state)
	case $out in
	*pubkey=* | *ip=*) not_ok "$LAB_WEB: $name gets nothing" "answer: $out" ;;
	*) ok "$LAB_WEB: $name gets nothing" ;;
	esac
	expect_eq "$LAB_WEB: $name changes nothing" "$before" "$after"
}

contract_refusals() {
	local rogue="--cert $LAB_PKI/rogue-dev.crt --key $LAB_PKI/rogue-dev.key" cn1=${LAB_CN[1]}
	local before after out ip1
	refused "a device without a certificate"
	# shellcheck disable=SC2086
	refused "a device with a certificate from another CA" $rogue
	refused "a device without a certificate sending X-Client-Subject" -H "X-Client-Subject: CN=$cn1"
	refused "a device without a certificate sending X_Client_Subject" -H "X_Client_Subject: CN=$cn1"
	# shellcheck disable=SC2086
	refused "a device with a rogue certificate sending both headers" $rogue \
		-H "X-Client-Subject: CN=$cn1" -H "X_Client_Subject: CN=$cn1" -H "SSL_CLIENT_VERIFY: SUCCESS"

	# The client itself, with the rogue certificate: non-zero, a message,
	# and no interface made on the intruder.
	before=$(lab_wg_state)
	if lab_client "$LAB_INTRUDER" "" rogue-dev; then
		not_ok "$LAB_WEB: autowg-client with a rogue certificate fails" "client said: $LAB_OUT"
	else
		expect_match "$LAB_WEB: autowg-client with a rogue certificate fails clearly" \
			'registration at .* (failed|refused)' "$LAB_OUT"
	fi
	if ip -n "${LAB_DNS[LAB_INTRUDER]}" link show "${LAB_DIF[LAB_INTRUDER]}" >/dev/null 2>&1; then
		not_ok "$LAB_WEB: a refused client touches no interface"
	else ok "$LAB_WEB: a refused client touches no interface"; fi
	expect_eq "$LAB_WEB: a refused client changes nothing on the concentrator" "$before" "$(lab_wg_state)"

	# A real device naming another in a header: it is still itself. Its own
	# key again, so the registration is idempotent and nothing moves.
	before=$(lab_wg_state)
	ip1=$(lab_ip "$cn1")
	out=$(lab_curl 1 --cert "$LAB_PKI/dev-$cn1.crt" --key "$LAB_PKI/dev-$cn1.key" \
		-H "X-Client-Subject: CN=${LAB_CN[3]}" -H 'Content-Type: text/plain' \
		--data-binary "$(lab_dev_key 1)" "$(lab_register_url)" 2>&1)
	expect_match "$LAB_WEB: a header naming another device does not change who you are" "ip=$ip1" "$out"
	expect_eq "$LAB_WEB: ... and changes nothing" "$before" "$(lab_wg_state)"
}

# A device certificate of the fleet, revoked: the web server's configuration
# as shipped checks no CRL, the responders' AUTOWG_CLIENT_CRL does (403).
contract_revoked() {
	local before out
	before=$(lab_wg_state)
	out=$(lab_curl "$LAB_INTRUDER" --cert "$LAB_PKI/revoked-dev.crt" --key "$LAB_PKI/revoked-dev.key" \
		-H 'Content-Type: text/plain' --data-binary "$(wg genkey | wg pubkey)" -w '\n%{http_code}' \
		"$(lab_register_url)" 2>&1)
	expect_match "$LAB_WEB: a revoked device certificate is refused (403, certificate revoked)" \
		'revoked.*403$' "$(printf '%s' "$out" | tr '\n' ' ')"
	expect_eq "$LAB_WEB: a revoked device certificate changes nothing" "$before" "$(lab_wg_state)"
}

# Slow bodies: 10 clients of device 3 send their bodies one byte a second,
# half to register, half to a path that is not there (404). A real device
# still registers (its own key again) in under a second meanwhile.
LAB_SLOW_CLIENTS=10
contract_slow_bodies() {
	local slow=$LAB/slow.out pid out code took i
	lab_ns "${LAB_DNS[3]}" python3 "$TOP/tests/clients/slow-client.py" 10.77.0.1 "$LAB_NAME" \
		"$LAB_PKI/dev-${LAB_CN[3]}.crt" "$LAB_PKI/dev-${LAB_CN[3]}.key" "$LAB_SLOW_CLIENTS" 1 8 \
		"${LAB_PREFIX}v1/register" "${LAB_PREFIX}v1/nothing" >"$slow" 2>&1 &
	pid=$!
	on_exit "kill $pid"
	wait_for 10 grep -q '^slow: ' "$slow"
	expect_eq "$LAB_WEB: $LAB_SLOW_CLIENTS slow clients are connected and sending" \
		"slow: $LAB_SLOW_CLIENTS sending" "$(grep '^slow: ' "$slow")"
	sleep 2 # well into their bodies: whatever reads them is held by now
	for i in 1 2 3; do
		out=$(lab_curl 2 --cert "$LAB_PKI/dev-${LAB_CN[2]}.crt" --key "$LAB_PKI/dev-${LAB_CN[2]}.key" \
			-H 'Content-Type: text/plain' --data-binary "$(lab_dev_key 2)" -o "$LAB/slow-reg.out" \
			-w '%{http_code} %{time_total}' "$(lab_register_url)" 2>&1)
		read -r code took <<<"$out"
		if ! kill -0 "$pid" 2>/dev/null; then
			not_ok "$LAB_WEB: with $LAB_SLOW_CLIENTS slow clients a device registers in under 1 s (try $i)" \
				"answered ${code:-nothing} only after ${took:-?} s, when the slow clients had given up"
		elif [ "$code" = 200 ] && awk -v t="$took" 'BEGIN { exit !(t < 1.0) }'; then
			ok "$LAB_WEB: with $LAB_SLOW_CLIENTS slow clients a device registers in under 1 s (${took} s, try $i)"
		else
			not_ok "$LAB_WEB: with $LAB_SLOW_CLIENTS slow clients a device registers in under 1 s (try $i)" \
				"status ${code:-none} after ${took:-?} s: $(head -c 200 "$LAB/slow-reg.out")"
		fi
	done
	wait "$pid" 2>/dev/null # it stops by itself after 8 s
	sed 's/^/# /' "$slow"
}

# conf/nginx-autowg.conf and conf/lighttpd-autowg.conf allow each client
# certificate 10 requests a minute in bursts of 10: a device past that gets
# 429 with Retry-After from the web server, and autowg never sees the
# request; other devices are not limited, and the helper's own 429 still
# comes through as it is. (Caddy 2.6.2 has no such limit: README.)
contract_request_limit() {
	local cn=${LAB_CN[4]} codes='' i n200 out hdr k4 c3 k3
	local crt=$LAB_PKI/dev-$cn.crt key=$LAB_PKI/dev-$cn.key
	k4=$(wg genkey | wg pubkey)
	n200=$(grep -c "register $cn " "$LAB/helper.log")
	for i in $(seq 15); do
		codes="$codes $(lab_curl 4 --cert "$crt" --key "$key" -o /dev/null -w '%{http_code}' \
			-H 'Content-Type: text/plain' --data-binary "$k4" "$(lab_register_url)")"
	done
	expect_match "$LAB_WEB: 15 requests in a row from one certificate: 429 after the burst" \
		"^( 200)+( 429)+$" "$codes"
	hdr=$(lab_curl 4 --cert "$crt" --key "$key" -D - -o "$LAB/limited.body" -H 'Content-Type: text/plain' \
		--data-binary "$k4" "$(lab_register_url)" | tr -d '\r')
	expect_match "$LAB_WEB: the 429 says when to come back (Retry-After: at most 6 s)" \
		"^[Rr]etry-[Aa]fter: [1-6]$" "$hdr"
	expect_eq "$LAB_WEB: ... and why" "too many requests from this certificate" "$(cat "$LAB/limited.body")"
	expect_eq "$LAB_WEB: the limited requests never reached the helper" \
		$((n200 + $(printf '%s\n' $codes | grep -c 200))) "$(grep -c "register $cn " "$LAB/helper.log")"
	# A certificate nothing used before (device 3's went into the slow
	# clients: the web server has counted those), for a device 1009.
	if [ ! -e "$LAB_PKI/dev-1009.crt" ]; then
		pki_device "$LAB_PKI" fleet-ca dev-1009 1009 || not_ok "$LAB_WEB: a certificate for 1009"
	fi
	c3=(--cert "$LAB_PKI/dev-1009.crt" --key "$LAB_PKI/dev-1009.key"
		-H 'Content-Type: text/plain' "$(lab_register_url)")
	k3=$(wg genkey | wg pubkey)
	out=$(lab_curl 3 "${c3[@]}" -o /dev/null -w '%{http_code}' --data-binary "$k3")
	expect_eq "$LAB_WEB: another certificate is not limited (a new key: 200)" 200 "$out"
	# Another new key at once: the helper's 429, passed through as it is.
	hdr=$(lab_curl 3 "${c3[@]}" -D - -o "$LAB/rekey.body" --data-binary "$(wg genkey | wg pubkey)" |
		tr -d '\r')
	expect_match "$LAB_WEB: the helper's 429 comes through" "^HTTP/[0-9.]+ 429" "$hdr"
	expect_match "$LAB_WEB: ... with the helper's reason" "^key changed too recently: retry in [1-5] s$" \
		"$(cat "$LAB/rekey.body")"
}

# lab_contract: everything above, in order.
lab_contract() {
	contract_register
	contract_ping
	contract_alive
	contract_peers_json
	contract_static
	contract_reboot
	contract_reboot_again
	contract_refusals
	contract_revoked
	contract_slow_bodies
	contract_peers_json
	contract_static
}

# lab_main SERVER [FN]: a whole test file; FN runs after the contract.
lab_main() {
	local t0=$SECONDS
	LAB_CN=("" 1001 1002 1003 1004)
	if lab_up "$1" 4; then
		ok "$1: lab up with conf/$(lab_web_conf "$1"), the helper and two responders"
		lab_contract
		[ -n "${2:-}" ] && "$2"
	else
		not_ok "$1: lab up with conf/$(lab_web_conf "$1"), the helper and two responders"
	fi
	[ -n "${LAB:-}" ] && [ "$T_FAILS" -gt 0 ] && for l in helper fcgi web; do
		[ -f "$LAB/$l.log" ] && tail -n 20 "$LAB/$l.log" | sed "s/^/#   $l: /"
	done
	echo "# $1: $((SECONDS - t0)) s"
	done_testing
}
