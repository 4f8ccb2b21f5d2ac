#!/bin/bash
# GET /v1/peers.json through spawn-fcgi + cgi-fcgi: HTTP Basic against
# HTTP_AUTH from the responders' environment; the JSON lists exactly the
# registered devices.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

fcgi_netns && helper_start && fcgi_start "$FSOCK" 2 HTTP_AUTH=fleet:s3cret &&
	fcgi_start "$T_TMP/noauth.sock" 1 ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
ip netns exec "$NS" wg set "$IF" peer "$(newkey)" allowed-ips fd00:99::7/128 # static: never listed

declare -A KEYS
for cn in 1234 42 7; do
	KEYS[$cn]=$(newkey)
	register $cn "${KEYS[$cn]}"
	[ "$STATUS" = 200 ] || not_ok "register $cn" "$RESP"
done
KEYS[42]=$(newkey)
register 42 "${KEYS[42]}" # replaced: only the new key is listed

GOOD="HTTP_AUTHORIZATION=Basic $(printf 'fleet:s3cret' | base64)"
BODY=
get() { req REQUEST_METHOD="${M:-GET}" REQUEST_URI=/v1/peers.json "$@"; }

get "$GOOD"
expect_status "right credentials: 200" 200
expect_match "right credentials: application/json" '^Content-Type: application/json; charset=UTF-8$' "$HEADERS"
cp "$T_TMP/resp.body" "$T_TMP/peers.json"
check "the answer is JSON" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T_TMP/peers.json"
listed=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for name, p in d.items():
    assert list(p) == sorted(p) == ["created", "ip", "last_handshake", "pubkey", "rx_bytes", "tx_bytes"], list(p)
    assert all(isinstance(p[k], int) for k in ("created", "last_handshake", "rx_bytes", "tx_bytes"))
    print(name, p["ip"], p["pubkey"])
print("sorted" if list(d) == sorted(d) else "unsorted")
' "$T_TMP/peers.json" 2>&1)
want="1234 fde3:25fb:7f6c:1::1234 ${KEYS[1234]}
42 fde3:25fb:7f6c:1::42 ${KEYS[42]}
7 fde3:25fb:7f6c:1::7 ${KEYS[7]}
sorted"
expect_eq "exactly the registered devices, right ips and keys, names and fields sorted" "$want" "$listed"

M=HEAD get "$GOOD"
expect_status "HEAD: 200" 200
expect_eq "HEAD: no body" "" "$RESP"
expect_match "HEAD: the GET's Content-Length" "^Content-Length: $(wc -c <"$T_TMP/peers.json")\$" "$HEADERS"

get "HTTP_AUTHORIZATION=Basic $(printf 'fleet:wrong' | base64)"
expect_status "wrong credentials: 401" 401
expect_match "wrong credentials: WWW-Authenticate" '^WWW-Authenticate: Basic realm="autowg"$' "$HEADERS"
get
expect_status "missing credentials: 401" 401
expect_match "missing credentials: WWW-Authenticate" '^WWW-Authenticate: Basic realm="autowg"$' "$HEADERS"
M=POST get "$GOOD"
expect_status "POST on peers.json: 405" 405
expect_match "POST on peers.json: Allow: GET, HEAD" '^Allow: GET, HEAD$' "$HEADERS"
REQ_SOCK=$T_TMP/noauth.sock get "$GOOD"
expect_status "HTTP_AUTH unset: 404" 404
done_testing
