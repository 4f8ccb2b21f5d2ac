#!/bin/bash
# End-to-end with lighttpd in front, using its conf/ file as shipped:
# see contract.sh for the cases and lab.sh for the lab.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"
. "$TOP/tests/e2e/contract.sh"

# lighttpd's SSL_CLIENT_S_DN is OpenSSL's XN_FLAG_ONELINE text
# ("O = x, OU = y, CN = 1001"), not RFC 4514. Without exportcert the
# responder has only that, and must refuse it rather than guess a name.
without_exportcert() {
	local before out
	kill "$LAB_WEB_PID"; wait "$LAB_WEB_PID" 2>/dev/null
	mkdir -p "$LAB/noexport"
	sed 's/ssl.verifyclient.exportcert = "enable"/ssl.verifyclient.exportcert = "disable"/' \
		"$CONF/lighttpd-autowg.conf" >"$LAB/noexport/lighttpd-autowg.conf"
	cp "$CONF/lighttpd-autowg-limit.lua" "$LAB/noexport/"
	CONF=$LAB/noexport lab_web lighttpd || { not_ok "lighttpd without exportcert starts"; return; }
	before=$(lab_wg_state)
	out=$(lab_curl 1 --cert "$LAB_PKI/dev-${LAB_CN[1]}.crt" --key "$LAB_PKI/dev-${LAB_CN[1]}.key" \
		-H 'Content-Type: text/plain' --data-binary "$(lab_dev_key 1)" -w '\n%{http_code}' "$(lab_register_url)")
	expect_match "lighttpd without exportcert: the one-line subject is refused (403)" '403$' "$out"
	expect_eq "lighttpd without exportcert: nothing changes" "$before" "$(lab_wg_state)"
}

lighttpd_more() {
	contract_request_limit
	without_exportcert
}

lab_main lighttpd lighttpd_more
