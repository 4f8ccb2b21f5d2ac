#!/bin/bash
# A name changing keys faster than --min-rekey-interval, through spawn-fcgi +
# cgi-fcgi against the real helper and a real wireguard-go interface: 429
# Too Many Requests with a Retry-After header and a one-line reason, nothing
# changed, the same key still 200, and each refusal counted in /v1/metrics.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

fcgi_netns && helper_start --min-rekey-interval 60 && fcgi_start "$FSOCK" 2 HTTP_AUTH=fleet:s3cret ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

K1=$(newkey)
register 1234 "$K1"
expect_status "first registration: 200" 200
before=$(peers)
register 1234 "$(newkey)"
expect_status "a new key at once: 429" 429
expect_match "429: Too Many Requests" '^Status: 429 Too Many Requests$' "$HEADERS"
retry=$(printf '%s\n' "$HEADERS" | sed -n 's/^Retry-After: //p')
if [[ $retry =~ ^[0-9]+$ ]] && [ "$retry" -ge 58 ] && [ "$retry" -le 60 ]; then
	ok "429: Retry-After is the seconds left of the 60 ($retry)"
else
	not_ok "429: Retry-After is the seconds left of the 60" "headers: $HEADERS"
fi
expect_eq "429: one line saying why and how long" "key changed too recently: retry in $retry s" "$RESP"
expect_match "429: text/plain" '^Content-Type: text/plain; charset=UTF-8$' "$HEADERS"
expect_eq "429: the interface is unchanged" "$before" "$(peers)"
for i in 1 2 3; do register 1234 "$(newkey)"; done
expect_status "three more new keys: still 429" 429
expect_eq "... and still the first key on the interface" "$before" "$(peers)"
register 1234 "$K1"
expect_status "the same key again: 200" 200
check "... with no Retry-After" eval "! printf '%s\n' \"\$HEADERS\" | grep -q '^Retry-After'"
register 1234-x "$(newkey)"
check "other refusals carry no Retry-After (403)" eval "[ \"\$STATUS\" = 403 ] && ! printf '%s\n' \"\$HEADERS\" | grep -q '^Retry-After'"

BODY=
req REQUEST_METHOD=GET REQUEST_URI=/v1/metrics "HTTP_AUTHORIZATION=Basic $(printf 'fleet:s3cret' | base64)"
expect_status "metrics: 200" 200
expect_eq "metrics: the four refusals counted as rate_limited" \
	'autowg_registrations_total{outcome="rate_limited"} 4' "$(grep 'outcome="rate_limited"' "$T_TMP/resp.body")"
expect_match "the helper logs each refusal" "refused CN '1234' name 1234 key .*: rate_limited" \
	"$(cat "$T_TMP/helper.log")"
done_testing
