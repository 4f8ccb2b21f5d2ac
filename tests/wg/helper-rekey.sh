#!/bin/bash
# --min-rekey-interval against real wireguard-go: one device certificate
# posting new keys in a loop gets one key change per interval, the rest 429
# with the seconds to wait; the same key again stays free; every refusal is
# counted and logged; 0 turns the limit off.
. "$(dirname "$0")/helper-lib.sh"

hl_setup

# --- the attack: a rekey loop ------------------------------------------------------
check "helper starts with --min-rekey-interval 30" start_helper --min-rekey-interval 30
K0=$(newkey)
expect_eq "first registration: 200 ok" "200 ok" "$(reply_of 1234 "$K0")"
before=$(dump_stable)
got='' changed=0
for _ in $(seq 20); do
	r=$(reply_of 1234 "$(newkey)")
	got="$got${got:+,}$r"
	[ "$r" = "200 replaced" ] && changed=$((changed + 1))
done
expect_eq "a rekey loop of 20 new keys at once: no key change gets through" 0 "$changed"
expect_eq "... the interface is unchanged: the first key keeps its /128" "$before" "$(dump_stable)"
expect_eq "... and every one of them is refused 429 rate_limited" \
	"$(printf '429 rate_limited%.0s,' $(seq 20) | sed 's/,$//')" "$got"
out=$(call register 1234 "$(newkey)")
expect_match "the refusal says how long to wait" "^429 rate_limited 1234 .* retry in ([12][0-9]|30) s$" "$out"
expect_eq "the same key again stays free: 200 same" "200 same" "$(reply_of 1234 "$K0")"
expect_eq "another device is not limited by this one: 200 ok" "200 ok" "$(reply_of 42 "$(newkey)")"
expect_match "every refusal is logged with the name and the reason" \
	"refused CN '1234' name 1234 key .*: rate_limited \\(key changed too recently: retry in" "$(cat "$HLOG")"
expect_eq "every refusal is logged" 21 "$(grep -c ": rate_limited (" "$HLOG")"
check "SIGTERM: exit 0" stop_helper

# --- the interval passes -------------------------------------------------------------
check "helper starts with --min-rekey-interval 2" start_helper --min-rekey-interval 2
K1=$(newkey) K2=$(newkey)
expect_eq "register 1234" "200 ok" "$(reply_of 1234 "$K1")"
expect_eq "a new key at once: 429" "429 rate_limited" "$(reply_of 1234 "$(newkey)")"
sleep 2.2
expect_eq "a new key after the interval: 200 replaced" "200 replaced" "$(reply_of 1234 "$K2")"
expect_eq "... and it has the /128" "fde3:25fb:7f6c:1::1234/128" "$(allowed_ips "$K2")"
expect_eq "the interval starts again at that change: 429" "429 rate_limited" \
	"$(reply_of 1234 "$(newkey)")"
check "SIGTERM: exit 0" stop_helper

# --- off -----------------------------------------------------------------------------------
check "helper starts with --min-rekey-interval 0" start_helper --min-rekey-interval 0
expect_eq "register 1234" "200 ok" "$(reply_of 1234 "$(newkey)")"
expect_eq "--min-rekey-interval 0: a new key at once is 200 replaced" "200 replaced" \
	"$(reply_of 1234 "$(newkey)")"
check "SIGTERM: exit 0" stop_helper

# --- the default ------------------------------------------------------------------------------
check "helper starts with no --min-rekey-interval" start_helper
expect_match "the start-up line names the interval" "started on .*key changes at most every 5 s" \
	"$(cat "$HLOG")"
expect_eq "register 1234" "200 ok" "$(reply_of 1234 "$(newkey)")"
expect_eq "default: a new key at once is 429" "429 rate_limited" "$(reply_of 1234 "$(newkey)")"
check "SIGTERM: exit 0" stop_helper

done_testing
