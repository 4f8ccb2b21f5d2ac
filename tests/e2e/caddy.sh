#!/bin/bash
# End-to-end with caddy in front, using its conf/ file as shipped:
# see contract.sh for the cases and lab.sh for the lab; and Caddy's body
# read timeout.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lab.sh"
. "$TOP/tests/e2e/contract.sh"

# Caddy buffers request bodies (buffer_requests) and gives a request 10 s
# for its body (read_body): a client slower than that is answered 499 by
# Caddy after 10 s.
read_body_timeout() {
	local out t0 took
	t0=$(date +%s)
	out=$(lab_ns "${LAB_DNS[3]}" python3 "$TOP/tests/clients/slow-client.py" 10.77.0.1 "$LAB_NAME" \
		"$LAB_PKI/dev-${LAB_CN[3]}.crt" "$LAB_PKI/dev-${LAB_CN[3]}.key" 1 2 16 "${LAB_PREFIX}v1/register")
	took=$(($(date +%s) - t0))
	echo "# $out"
	expect_match "caddy: a body slower than read_body (10 s) is answered 499 by Caddy" \
		'answered HTTP/1.1 499 ' "$out"
	check "caddy: ... after 10 to 13 s ($took s)" test "$took" -ge 10 -a "$took" -le 13
}

lab_main caddy read_body_timeout
