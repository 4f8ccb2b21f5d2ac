#!/bin/bash
# valgrind memcheck over the helper and a responder through a smoke run:
# registrations (new, same key, new key, refusals), peers.json, a helper
# restart the responder reconnects after; and a responder with --client-ca
# and --client-crl verifying certificates while its CRL file changes. No
# errors, no leaks.
# shellcheck source=tests/smoke/fcgi-lib.sh
. "$(dirname "$0")/../smoke/fcgi-lib.sh"
. "$TOP/tests/e2e/pki.sh"

# valgrind cannot run ASan binaries: under SANITIZE=1 use a plain build.
VB=$B
if nm "$B/autowg-helper" 2>/dev/null | grep -q __asan_init; then
	VB=$B-plain
	# not the sanitizer flags that "make check SANITIZE=1" passes down in MAKEFLAGS
	env -u MAKEFLAGS -u MAKELEVEL make -s -C "$TOP" B="$VB" SANITIZE=0 all >"$T_TMP/build.log" 2>&1 ||
		{ not_ok "plain build for valgrind" "$(tail -5 "$T_TMP/build.log")"; done_testing; exit 1; }
fi
VG="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --track-fds=no"
VLOG=$T_TMP/vg
mkdir -m 1777 "$VLOG"

fcgi_netns || { not_ok "netns and wireguard-go"; done_testing; exit 1; }
vg_helper() {
	rm -f "$HSOCK"
	# shellcheck disable=SC2086
	ip netns exec "$NS" $VG --log-file="$VLOG/helper.%p" "$VB/autowg-helper" --pool $POOL \
		--route $ROUTE --endpoint vpn.example.com --socket "$HSOCK" --socket-group nogroup \
		--min-rekey-interval 0 "$IF" \
		>>"$T_TMP/helper.log" 2>&1 &
	HELPER_PID=$!
	on_exit "kill $HELPER_PID"
	wait_for 30 test -S "$HSOCK"
}
vg_helper || { not_ok "helper under valgrind starts" "$(cat "$T_TMP/helper.log")"; done_testing; exit 1; }
# shellcheck disable=SC2086
HTTP_AUTH=fleet:s3cret spawn-fcgi -n -s "$FSOCK" -M 0600 -u nobody -g nogroup \
	-- /usr/bin/valgrind $VG --log-file="$VLOG/fcgi.%p" "$VB/autowg-fcgi" --socket "$HSOCK" \
	>>"$T_TMP/fcgi.log" 2>&1 &
FCGI_PID=$!
on_exit "kill $FCGI_PID"
wait_for 30 test -S "$FSOCK" || { not_ok "responder under valgrind starts"; done_testing; exit 1; }

# The same with --client-ca and --client-crl.
PKI=$T_TMP/pki
mkdir -p "$PKI" && pki_fleet "$PKI" 1234 && chmod 0755 "$PKI" && chmod 0644 "$PKI"/*.crt "$PKI"/*.crl ||
	not_ok "PKI made with openssl"
CRL=$T_TMP/fleet.crl
cp "$PKI/fleet-ca.crl" "$CRL" && chmod 0644 "$CRL"
FSOCK_CA=$T_TMP/fcgi-ca.sock
# shellcheck disable=SC2086
spawn-fcgi -n -s "$FSOCK_CA" -M 0600 -u nobody -g nogroup -- /usr/bin/valgrind $VG \
	--log-file="$VLOG/fcgi-ca.%p" "$VB/autowg-fcgi" --socket "$HSOCK" --client-ca "$PKI/fleet-ca.crt" \
	--client-crl "$CRL" >>"$T_TMP/fcgi-ca.log" 2>&1 &
FCGI_CA_PID=$!
on_exit "kill $FCGI_CA_PID"
wait_for 30 test -S "$FSOCK_CA" || not_ok "responder with --client-ca under valgrind starts"
escaped() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""), end="")' "$PKI/$1.crt"; }
post_ca() { # CERTNAME
	BODY=$(newkey)
	REQ_SOCK=$FSOCK_CA req REQUEST_METHOD=POST REQUEST_URI=/v1/register CONTENT_LENGTH=44 \
		SSL_CLIENT_VERIFY=SUCCESS "SSL_CLIENT_CERT=$(escaped "$1")"
}
post_ca dev-1234
expect_status "--client-ca: a fleet certificate" 200
post_ca rogue-dev
expect_status "--client-ca: another CA's certificate: 403" 403
post_ca revoked-dev
expect_status "--client-crl: a revoked certificate: 403" 403
printf 'garbage\n' >"$CRL.new" && chmod 0644 "$CRL.new" && mv "$CRL.new" "$CRL"
sleep 1.2
post_ca dev-1234
expect_status "--client-crl: the CRL file replaced by garbage: 403" 403
cp "$PKI/fleet-ca.crl" "$CRL.new" && chmod 0644 "$CRL.new" && mv "$CRL.new" "$CRL"
sleep 1.2
post_ca dev-1234
expect_status "--client-crl: reloaded: 200" 200
kill -TERM "$FCGI_CA_PID"
wait "$FCGI_CA_PID" 2>/dev/null
wait_for 10 grep -qs 'ERROR SUMMARY' "$VLOG"/fcgi-ca.*

k1=$(newkey) k2=$(newkey)
register 1234 "$k1"
expect_status "registration under valgrind" 200
register 1234 "$k1"
expect_status "same key again" 200
register 1234 "$k2"
expect_status "new key replaces" 200
register 77 "$k2"
expect_status "another device's key: 409" 409
register 1234x "$(newkey)"
expect_status "a name the converter cannot map: 422" 422
BODY=short
register 42 short
expect_status "malformed key: 400" 400
BODY=
req REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json "HTTP_AUTHORIZATION=Basic $(printf 'fleet:s3cret' | base64)"
expect_status "peers.json" 200
req REQUEST_METHOD=GET REQUEST_URI=/v1/peers.json "HTTP_AUTHORIZATION=Basic $(printf 'fleet:wrong' | base64)"
expect_status "peers.json, wrong password: 401" 401

# helper restart: the responder reconnects (and unmaps the old table)
kill -TERM "$HELPER_PID"
wait "$HELPER_PID"
expect_eq "helper exits 0 on SIGTERM under valgrind (no errors, no leaks)" 0 $?
register 1234 "$k2"
expect_status "helper stopped: 503" 503
vg_helper || not_ok "helper restarts under valgrind"
register 1234 "$(newkey)"
expect_status "after the helper restart the responder reconnects" 200

kill -TERM "$HELPER_PID"
wait "$HELPER_PID"
expect_eq "restarted helper exits 0 (no errors, no leaks)" 0 $?
# The responder has no SIGTERM handler of its own: memcheck still writes its
# report at the fatal signal; judge the report, not the exit status.
kill -TERM "$FCGI_PID"
wait "$FCGI_PID" 2>/dev/null
wait_for 10 grep -qs 'ERROR SUMMARY' "$VLOG"/fcgi.*

for f in "$VLOG"/helper.* "$VLOG"/fcgi.* "$VLOG"/fcgi-ca.*; do
	[ -f "$f" ] || continue
	n=$(basename "$f" | cut -d. -f1)
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -1)
	expect_eq "$n ($(basename "$f")): memcheck reports 0 errors" 0 "${errs:-no summary}"
	lost=$(grep -E '(definitely|indirectly|possibly) lost: [1-9]' "$f")
	expect_eq "$n ($(basename "$f")): no memory lost" "" "$lost"
done
[ "$(find "$VLOG" -name 'fcgi.*' | wc -l)" -ge 1 ] && ok "memcheck report for the responder exists" ||
	not_ok "memcheck report for the responder exists"
[ "$(find "$VLOG" -name 'fcgi-ca.*' | wc -l)" -ge 1 ] &&
	ok "memcheck report for the responder with --client-ca exists" ||
	not_ok "memcheck report for the responder with --client-ca exists"
done_testing
