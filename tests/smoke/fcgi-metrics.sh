#!/bin/bash
# GET /v1/metrics through spawn-fcgi + cgi-fcgi against the real helper and a
# real wireguard-go interface: counters right after known registrations and
# refusals, the peers.json credential rules, and the answer parsed by two
# real Prometheus text-format parsers (promtool check metrics, and
# python3-prometheus-client's text_string_to_metric_families). Every outcome
# exported counts what it says: one the helper never sees is not exported.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/fcgi-lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-prometheus-client is
for t in promtool $PY; do
	command -v $t >/dev/null || { not_ok "$t installed (tools/deps)"; done_testing; exit 1; }
done
check "python3-prometheus-client installed (tools/deps)" $PY -c 'import prometheus_client'

STATIC=$(newkey)
fcgi_netns && ip netns exec "$NS" wg set "$IF" peer "$STATIC" allowed-ips fd00:99::7/128 && # static: never listed
	helper_start --max-peers 500 && fcgi_start "$FSOCK" 2 HTTP_AUTH=fleet:s3cret &&
	fcgi_start "$T_TMP/noauth.sock" 1 ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }

K1234=$(newkey)
K42=$(newkey)
outcome() { register "$1" "$2"; [ "$STATUS" = "$3" ] || not_ok "register $1: want $3" "got $STATUS: $RESP"; }
outcome 1234 "$K1234" 200 # ok
outcome 42 "$K42" 200     # ok
outcome 42 "$K42" 200     # same
for i in 1 2 3; do        # replaced, three times: one name, three new keys
	K42=$(newkey)
	outcome 42 "$K42" 200
done
outcome x-1 "$(newkey)" 403   # bad_cn: the pattern must match the whole CN
outcome 12345 "$(newkey)" 422 # bad_name: more than 4 digits
outcome 7 "$K1234" 409        # key_taken
outcome 8 "$STATIC" 409       # key_static
outcome 9 "not-a-key" 400     # bad_key: the responder refuses it, the helper never sees it

GOOD="HTTP_AUTHORIZATION=Basic $(printf 'fleet:s3cret' | base64)"
BODY=
get() { req REQUEST_METHOD="${M:-GET}" REQUEST_URI=/v1/metrics "$@"; }

get "$GOOD"
expect_status "right credentials: 200" 200
expect_match "Content-Type is the text format 0.0.4" \
	'^Content-Type: text/plain; version=0.0.4; charset=utf-8$' "$HEADERS"
cp "$T_TMP/resp.body" "$T_TMP/metrics.txt"
if out=$(promtool check metrics <"$T_TMP/metrics.txt" 2>&1); then
	ok "promtool check metrics: parses, no lint problem"
else
	not_ok "promtool check metrics: parses, no lint problem" "$out"
fi

# Every sample as "name{label=value,...} value", labels sorted, through the
# python parser (which refuses what the format does not allow).
samples() {
	$PY -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = list(text_string_to_metric_families(text))
for f in fams:
    assert f.documentation, f.name + " has no HELP"
    assert f.type in ("counter", "gauge"), f.name + " " + f.type
    for s in f.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %d" % (s.name, labels, s.value))
' "$1"
}
if S=$(samples "$T_TMP/metrics.txt" 2>&1); then
	ok "python3-prometheus-client parses it, every family has HELP and a type"
else
	not_ok "python3-prometheus-client parses it, every family has HELP and a type" "$S"
fi
# HELP and TYPE for every family, in the file itself
fams=$(sed -n 's/^\([a-z_]*\)[{ ].*/\1/p' "$T_TMP/metrics.txt" | sort -u)
missing=""
for f in $fams; do
	grep -q "^# HELP $f " "$T_TMP/metrics.txt" && grep -q "^# TYPE $f " "$T_TMP/metrics.txt" ||
		missing="$missing $f"
done
expect_eq "a HELP and a TYPE line for every family" "" "$missing"

val() { printf '%s\n' "$S" | awk -v k="$1" '$1 == k { print $2 }'; }
reg() { val "autowg_registrations_total{outcome=$1}"; }
got=""
for o in ok same replaced bad_cn key_taken key_static key_iface addr_taken addr_static \
	addr_iface bad_name full unavailable rate_limited; do
	got="$got $o=$(reg $o)"
done
expect_eq "registrations by outcome" \
	" ok=2 same=1 replaced=3 bad_cn=1 key_taken=1 key_static=1 key_iface=0 addr_taken=0 addr_static=0 addr_iface=0 bad_name=1 full=0 unavailable=0 rate_limited=0" \
	"$got"
expect_eq "no bad_key series: a malformed key is refused by the responder (400), never counted" \
	"" "$(grep 'outcome="bad_key"' "$T_TMP/metrics.txt")"
expect_eq "autowg_peers_managed: the two devices" 2 "$(val 'autowg_peers_managed{}')"
expect_eq "autowg_table_capacity: --max-peers" 500 "$(val 'autowg_table_capacity{}')"
expect_eq "autowg_key_changes_total: 42 changed keys 3 times" 3 "$(val 'autowg_key_changes_total{name=42}')"
expect_eq "autowg_key_changes_total: 1234 never" 0 "$(val 'autowg_key_changes_total{name=1234}')"
expect_eq "autowg_expired_total: 0" 0 "$(val 'autowg_expired_total{}')"
expect_eq "autowg_routes: 0 without --install-routes" 0 "$(val 'autowg_routes{}')"
expect_eq "autowg_moved_total: 0" 0 "$(val 'autowg_moved_total{}')"
expect_eq "autowg_helper_up: 1 for the interface" 1 "$(val "autowg_helper_up{interface=$IF}")"
start=$(val 'autowg_helper_start_time_seconds{}')
check "autowg_helper_start_time_seconds is the last minute ($start)" \
	test "${start:-0}" -gt $(($(date +%s) - 60)) -a "${start:-0}" -le "$(date +%s)"
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; } # a key as a regex
lab="address=fde3:25fb:7f6c:1::42,interface=$IF,name=42,public_key=$(re "$K42")"
for f in wireguard_sent_bytes_total wireguard_received_bytes_total wireguard_latest_handshake_seconds; do
	expect_match "$f for 42, labelled interface, public_key (the new key), name, address" \
		"^$f\{$lab\} [0-9]+\$" "$S"
	expect_eq "$f: one series per device, none for the static peer" 2 \
		"$(printf '%s\n' "$S" | grep -c "^$f{")"
done

M=HEAD get "$GOOD"
expect_status "HEAD: 200" 200
expect_eq "HEAD: no body" "" "$RESP"
expect_match "HEAD: a Content-Length" '^Content-Length: [0-9]+$' "$HEADERS"
get "HTTP_AUTHORIZATION=Basic $(printf 'fleet:wrong' | base64)"
expect_status "wrong credentials: 401" 401
expect_match "wrong credentials: WWW-Authenticate" '^WWW-Authenticate: Basic realm="autowg"$' "$HEADERS"
get
expect_status "missing credentials: 401" 401
M=POST get "$GOOD"
expect_status "POST: 405" 405
expect_match "POST: Allow: GET, HEAD" '^Allow: GET, HEAD$' "$HEADERS"
REQ_SOCK=$T_TMP/noauth.sock get "$GOOD"
expect_status "HTTP_AUTH unset: 404" 404

# --metrics-per-peer=no: totals only, for very large fleets.
helper_stop
helper_start --metrics-per-peer=no || { not_ok "helper restarts"; done_testing; exit 1; }
outcome 1234 "$(newkey)" 200
get "$GOOD"
expect_status "--metrics-per-peer=no: 200" 200
cp "$T_TMP/resp.body" "$T_TMP/totals.txt"
check "--metrics-per-peer=no: promtool check metrics" promtool check metrics <"$T_TMP/totals.txt"
S=$(samples "$T_TMP/totals.txt" 2>&1)
expect_eq "--metrics-per-peer=no: no per-peer series and no per-name key changes" "" \
	"$(grep -E '^(wireguard_|autowg_key_changes)' "$T_TMP/totals.txt")"
expect_eq "--metrics-per-peer=no: totals kept (a fresh helper: one ok)" "1 1" \
	"$(val 'autowg_registrations_total{outcome=ok}') $(val 'autowg_peers_managed{}')"

# The interface goes away: metrics still answer, and say so.
ip -n "$NS" link del "$IF"
helper_down() { get "$GOOD" && [ "$STATUS" = 200 ] && grep -q "^autowg_helper_up{interface=\"$IF\"} 0\$" "$T_TMP/resp.body"; }
check "interface gone: metrics answer 200 with autowg_helper_up 0" wait_for 5 helper_down
check "... and still parse (promtool)" promtool check metrics <"$T_TMP/resp.body"
register 1234 "$(newkey)"
expect_status "interface gone: a registration answers 503" 503
expect_eq "interface gone: the refusal says the interface is unavailable" \
	"WireGuard interface unavailable" "$RESP"
get "$GOOD"
S=$(samples "$T_TMP/resp.body" 2>&1)
expect_eq "interface gone: the 503 counts as outcome unavailable" 1 "$(reg unavailable)"
req REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json "$GOOD"
expect_status "... while peers.json answers 503" 503
done_testing
