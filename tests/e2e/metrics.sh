#!/bin/bash
# v1/metrics end to end: nginx with conf/nginx-autowg.conf, the helper and
# responders as the conf/ units start them, three devices registered with
# autowg-client and pinging through their tunnels; then curl fetches the
# metrics over TLS with the operator's credentials and promtool (Debian's
# prometheus) checks the answer, which has each device's traffic.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"

command -v promtool >/dev/null || { not_ok "promtool installed (tools/deps)"; done_testing; exit 1; }
LAB_CN=("" 1001 1002 1003)
lab_up nginx 3 || { not_ok "lab up with nginx"; done_testing; exit 1; }
ok "lab up with nginx"
for i in 1 2 3; do
	check "device ${LAB_CN[i]} registers with autowg-client" lab_client "$i"
	check "device ${LAB_CN[i]} pings the concentrator through its tunnel" lab_ping "${LAB_DNS[i]}" "$LAB_CADDR"
done
url="https://$LAB_NAME${LAB_PREFIX}v1/metrics"
cert=(--cert "$LAB_PKI/dev-${LAB_CN[1]}.crt" --key "$LAB_PKI/dev-${LAB_CN[1]}.key")
sleep 1.1 # the responders refresh stats at most once a second
lab_curl 1 "${cert[@]}" -u "$LAB_AUTH" -D "$LAB/metrics.hdr" -o "$LAB/metrics.txt" "$url"
expect_match "curl: 200" '^HTTP/[0-9.]+ 200' "$(head -n 1 "$LAB/metrics.hdr")"
expect_match "curl: the text format's content type" \
	'^[Cc]ontent-[Tt]ype: text/plain; version=0.0.4; charset=utf-8' "$(tr -d '\r' <"$LAB/metrics.hdr")"
if out=$(promtool check metrics <"$LAB/metrics.txt" 2>&1); then
	ok "promtool check metrics accepts what curl got"
else
	not_ok "promtool check metrics accepts what curl got" "$out"
fi
for i in 1 2 3; do
	ip=$(lab_ip "${LAB_CN[i]}") key=$(lab_dev_key "$i")
	rx=$(grep -F "wireguard_received_bytes_total{interface=\"$LAB_CIF\",public_key=\"$key\",name=\"${LAB_CN[i]}\",address=\"$ip\"}" \
		"$LAB/metrics.txt" | awk '{print $2}')
	check "device ${LAB_CN[i]}: bytes received from it (${rx:-none}) > 0" test "${rx:-0}" -gt 0
done
expect_eq "registrations: 3 ok" 'autowg_registrations_total{outcome="ok"} 3' \
	"$(grep '^autowg_registrations_total{outcome="ok"}' "$LAB/metrics.txt")"
expect_eq "the static operator peer is not a managed peer" "autowg_peers_managed 3" \
	"$(grep '^autowg_peers_managed ' "$LAB/metrics.txt")"
code=$(lab_curl 1 "${cert[@]}" -o /dev/null -w '%{http_code}' "$url")
expect_eq "without credentials: 401" 401 "$code"
done_testing
