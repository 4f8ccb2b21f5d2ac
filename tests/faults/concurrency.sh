#!/bin/bash
# 64 concurrent clients make 10,000 registrations over 200 names with random
# key changes (30% fresh keys, 10% the key another name last held), through autowg-fcgi (4 processes under spawn-fcgi) to the real
# helper and a real wireguard-go interface, while peers.json and the shared
# table are read all along. Afterwards every name has exactly one peer, no
# address is held twice, the table equals the interface, and no reader ever
# saw a torn entry.
# shellcheck source=tests/faults/faults-lib.sh
. "$(dirname "$0")/faults-lib.sh"

CLIENTS=${CONC_CLIENTS:-64} COUNT=${CONC_COUNT:-10000} NAMES=200 BASE=1000
fcgi_netns || { not_ok "set up namespace and wireguard-go"; done_testing; exit 1; }
statics_add
helper_start && fcgi_start "$FSOCK" 4 HTTP_AUTH=fleet:s3cret && wait_for 5 test -S "$FSOCK" ||
	{ not_ok "start helper and responders" "$(cat "$T_TMP"/*.log)"; done_testing; exit 1; }
statics_before=$(static_peers)

# The shared table read as fast as awg-call goes, for the whole run.
table_reader() {
	local n=0
	while [ ! -e "$T_TMP/stop" ]; do
		"$ACALL" "$HSOCK" table >"$T_TMP/t.out" 2>&1 || echo "awg-call table failed" >>"$T_TMP/torn"
		grep -E 'torn|bad table' "$T_TMP/t.out" >>"$T_TMP/torn"
		n=$((n + 1))
	done
	echo "$n" >"$T_TMP/reads"
}
: >"$T_TMP/torn"
table_reader &
RPID=$!
on_exit "kill $RPID"

t0=$(ms)
out=$("$FCALL" "$FSOCK" load "$CLIENTS" "$COUNT" "$NAMES" "$BASE" "$PFX" fresh=30 swap=10 peers=20 \
	auth=fleet:s3cret log="$T_TMP/reg.log" json="$T_TMP/peers.jsonl")
rc=$?
took=$(($(ms) - t0))
touch "$T_TMP/stop"
wait "$RPID"
echo "# $out"
regs=$(wc -l <"$T_TMP/reg.log")
gets=$(wc -l <"$T_TMP/peers.jsonl")
if [ "$rc" = 0 ] && [ $((regs + $(printf '%s' "$out" | sed -n 's/.* \([0-9]*\) peers.json.*/\1/p'))) = "$COUNT" ]; then
	ok "$CLIENTS clients, $COUNT requests ($regs registrations, $gets peers.json) in $took ms: every answer right"
else
	not_ok "$CLIENTS clients, $COUNT requests: every answer right" "exit $rc: $out"
fi
expect_eq "every registration answered 200 with ip=$PFX<name>, or 409 for a key another name holds" "" \
	"$(awk '$4 != 200 && $4 != 409' "$T_TMP/reg.log" | head -n 3)"

# Every peers.json answer: JSON, no name twice, each name's own address,
# well-formed keys, no address or key held by two names.
jsoncheck=$(python3 - "$T_TMP/peers.jsonl" "$PFX" "$BASE" "$NAMES" <<'EOF'
import base64, json, sys
path, pfx, base, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bad = []
def pairs(kv):
    seen = set()
    for k, _ in kv:
        if k in seen: raise ValueError("name %s twice" % k)
        seen.add(k)
    return dict(kv)
for n, line in enumerate(open(path), 1):
    try:
        d = json.loads(line, object_pairs_hook=pairs)
        ips, keys = set(), set()
        for name, p in d.items():
            if not name.isdigit() or not base <= int(name) < base + names: raise ValueError("stray name " + name)
            if p["ip"] != pfx + name: raise ValueError("%s has ip %s" % (name, p["ip"]))
            if len(p["pubkey"]) != 44 or len(base64.b64decode(p["pubkey"], validate=True)) != 32:
                raise ValueError("%s has key %r" % (name, p["pubkey"]))
            if p["ip"] in ips or p["pubkey"] in keys: raise ValueError("ip or key twice: " + name)
            ips.add(p["ip"]); keys.add(p["pubkey"])
    except Exception as e:
        bad.append("answer %d: %s" % (n, e))
print("%d answers checked" % n if not bad else "\n".join(bad[:5]))
EOF
)
expect_match "every peers.json answer during the run is whole and consistent" "^[0-9]+ answers checked$" "$jsoncheck"
expect_eq "no torn table entry in $(cat "$T_TMP/reads" 2>/dev/null) reads of the shared table during the run" \
	"" "$(sort -u "$T_TMP/torn" | head -n 3)"

# --- afterwards ---------------------------------------------------------------------
dyn=$(dynamic_peers)
named=$(awk '$4 == 200 { print $2 }' "$T_TMP/reg.log" | sort -u)
want=$(for n in $named; do echo "$PFX$n/128"; done | sort)
expect_eq "every name registered has exactly one peer, with exactly its /128" "$want" \
	"$(printf '%s\n' "$dyn" | awk '{ print $2 }' | sort)"
expect_eq "no two peers share an address" "" \
	"$(peers | awk '{ n = split($2, a, ","); for (i = 1; i <= n; i++) print a[i] }' | sort | uniq -d)"
expect_eq "the shared table (awg-call table) equals the interface" \
	"$(printf '%s\n' "$dyn" | sort)" "$(table_entries)"
# Each key on the interface was answered 200 for that very name.
stray=$(printf '%s\n' "$dyn" | while read -r k a; do
	n=${a#"$PFX"} n=${n%/128}
	grep -qF " $n $k 200" "$T_TMP/reg.log" || echo "$n $k"
done)
expect_eq "every peer's key is one its name was answered 200 for" "" "$stray"
expect_eq "static peers untouched" "$statics_before" "$(static_peers)"

GOOD="HTTP_AUTHORIZATION=Basic $(printf 'fleet:s3cret' | base64)"
BODY=
freq REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json "$GOOD"
listed=$(python3 -c '
import json, sys
for n, p in json.load(open(sys.argv[1])).items(): print(p["pubkey"], p["ip"] + "/128")
' "$T_TMP/resp.body" | sort)
expect_eq "peers.json afterwards lists exactly the interface's peers" "$(printf '%s\n' "$dyn" | sort)" "$listed"
expect_eq "the helper never failed to apply a change" "" "$(grep -m 3 'applying a peer failed' "$T_TMP/helper.log")"
done_testing
