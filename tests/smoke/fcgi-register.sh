#!/bin/bash
# POST /v1/register through spawn-fcgi + cgi-fcgi against a real helper and
# a real wireguard-go interface: the contract lines and every refusal.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

fcgi_netns || { not_ok "set up namespace and wireguard-go"; done_testing; exit 1; }
STATIC=$(newkey)
ip netns exec "$NS" wg set "$IF" peer "$STATIC" allowed-ips fd00:99::7/128
helper_start && fcgi_start || { not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
IFKEY=$(ip netns exec "$NS" wg show "$IF" public-key)

K1=$(newkey)
register 1234 "$K1"
expect_status "good registration: 200" 200
want="endpoint=vpn.example.com:$PORT
pubkey=$IFKEY
route=$ROUTE
ip=fde3:25fb:7f6c:1::1234
keepalive=25"
expect_eq "good registration: the five lines" "$want" "$RESP"
expect_match "good registration: text/plain" '^Content-Type: text/plain; charset=UTF-8$' "$HEADERS"
expect_eq "good registration: the interface has the peer with exactly ip/128" \
	"$K1 fde3:25fb:7f6c:1::1234/128" "$(peers | grep "^$K1 ")"

before=$(peers)
register 1234 "$K1"
expect_status "same key again: 200" 200
expect_eq "same key again: same five lines" "$want" "$RESP"
expect_eq "same key again: interface unchanged" "$before" "$(peers)"

K2=$(newkey)
register 1234 "$K2"
expect_status "new key: 200" 200
expect_eq "new key: same address" "ip=fde3:25fb:7f6c:1::1234" "$(printf '%s\n' "$RESP" | grep '^ip=')"
expect_eq "new key: replaces the old peer" "$K2 fde3:25fb:7f6c:1::1234/128" \
	"$(peers | grep fde3:25fb:7f6c:1::1234/128)"
check "new key: old key gone" eval "! peers | grep -q '^$K1 '"

register 42 "$(newkey)"
expect_status "second device: 200" 200
expect_eq "second device: its address" "ip=fde3:25fb:7f6c:1::42" "$(printf '%s\n' "$RESP" | grep '^ip=')"

before=$(peers)
register 4321 "$K2"
expect_status "key of another device: 409" 409
expect_eq "key of another device: interface unchanged" "$before" "$(peers)"
register 4321 "$STATIC"
expect_status "key of a static peer: 409" 409
expect_eq "key of a static peer: interface unchanged" "$before" "$(peers)"
register 4321 "$IFKEY"
expect_status "key of the interface: 409" 409
expect_eq "key of the interface: interface unchanged" "$before" "$(peers)"
check "static peer survived" eval "peers | grep -q '^$STATIC fd00:99::7/128$'"

# The default pattern ([0-9a-zA-Z]+) must match the whole CN: "1234-x" is
# refused, and "1234x" is the name 1234x (which direct-bcd cannot map), never 1234.
register 1234-x "$(newkey)"
expect_status "CN 1234-x, not wholly matched by the default pattern: 403" 403
register 1234x "$(newkey)"
expect_status "CN 1234x with the default pattern: not device 1234 (422)" 422
register 12345 "$(newkey)"
expect_status "CN 12345 (direct-bcd range): 422" 422

for bad in short:mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwnE= \
	long:mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwnE4=AAAA \
	not-base64:mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwn!4= \
	all-zero:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; do
	register 77 "${bad#*:}"
	expect_status "malformed key (${bad%%:*}): 400" 400
done
expect_eq "malformed keys: interface unchanged" "$before" "$(peers)"

BODY=$K1
req REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=77
expect_status "no CONTENT_LENGTH: 411" 411
BODY=$(head -c 2000 /dev/zero | tr '\0' A)
req REQUEST_METHOD=POST REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=77 CONTENT_LENGTH=2000
expect_status "2000-byte body: 413" 413
BODY=$K1
req REQUEST_METHOD=POST REQUEST_URI=/v1/nothing SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=77 CONTENT_LENGTH=44
expect_status "unknown path: 404" 404
BODY=
req REQUEST_METHOD=GET REQUEST_URI=/v1/register SSL_CLIENT_VERIFY=SUCCESS SSL_CLIENT_S_DN=CN=77
expect_status "GET on register: 405" 405
expect_match "GET on register: Allow: POST" '^Allow: POST$' "$HEADERS"
expect_eq "refusals: interface unchanged" "$before" "$(peers)"
done_testing
