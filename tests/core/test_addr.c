/* SPDX-License-Identifier: MIT */
#include "../unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/addr.h"

static void parse_or_fail(const char *text, uint8_t out[16])
{
	const char *why = NULL;

	if (!addr6_parse(text, out, &why))
		fail_msg("addr6_parse(\"%s\") refused: %s", text, why);
}

static struct prefix6 prefix(const char *text)
{
	struct prefix6 p;
	const char *why = NULL;

	if (!prefix6_parse(text, &p, &why))
		fail_msg("prefix6_parse(\"%s\") refused: %s", text, why);
	return p;
}

static void expect_format(const char *in, const char *want)
{
	uint8_t a[16];
	char out[AWG_ADDR_TEXT_MAX + 1];

	parse_or_fail(in, a);
	addr6_format(a, out);
	if (strcmp(out, want))
		fail_msg("%s formats as %s, want %s", in, out, want);
}

static void expect_addr_refused(const char *text, const char *want_why)
{
	uint8_t a[16];
	const char *why = NULL;

	if (addr6_parse(text, a, &why))
		fail_msg("\"%s\" was accepted as an address", text);
	assert_string_equal(why, want_why);
}

static void expect_prefix_refused(const char *text, const char *want_why)
{
	struct prefix6 p;
	const char *why = NULL;

	if (prefix6_parse(text, &p, &why))
		fail_msg("\"%s\" was accepted as a prefix", text);
	assert_string_equal(why, want_why);
}

static void parse_ok(void **state)
{
	static const uint8_t want[16] = {0xfd, 0xe3, 0x25, 0xfb, 0x7f, 0x6c, 0,	   1,
					 0,    0,    0,	   0,	 0,    0,    0x12, 0x34};
	uint8_t a[16];

	parse_or_fail("fde3:25fb:7f6c:1::1234", a);
	assert_memory_equal(a, want, 16);
	parse_or_fail("FDE3:25FB:7F6C:0001:0000:0000:0000:1234", a);
	assert_memory_equal(a, want, 16);
}

static void parse_ipv4(void **state)
{
	expect_addr_refused("10.0.0.1", "IPv4 address, IPv6 needed");
	expect_addr_refused("192.0.2.1", "IPv4 address, IPv6 needed");
}

static void parse_garbage(void **state)
{
	static const char *const bad[] = {
	    "",	    "x",       ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "fe80::1%eth0", " ::1",
	    "::1 ", "12345::", "::g"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_addr_refused(bad[i], "not an IPv6 address");
}

static void parse_too_long(void **state)
{
	expect_addr_refused("0000:0000:0000:0000:0000:0000:0000:0000:0000:0", "address too long");
}

/* RFC 5952 section 4 and its examples. */
static void format_rfc5952(void **state)
{
	expect_format("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");
	expect_format("2001:0db8::0001", "2001:db8::1");
	expect_format("2001:DB8::AB:CD", "2001:db8::ab:cd");
	expect_format("::", "::");
	expect_format("0:0:0:0:0:0:0:1", "::1");
	expect_format("1:0:0:0:0:0:0:0", "1::");
	expect_format("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
	expect_format("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void format_no_single_group(void **state)
{
	expect_format("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	expect_format("0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7");
	expect_format("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0");
	expect_format("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0");
}

static void format_longest_run(void **state)
{
	expect_format("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	expect_format("0:0:1:0:0:0:0:1", "0:0:1::1");
	expect_format("1:0:0:2:0:0:0:0", "1:0:0:2::");
}

static void format_leftmost_tie(void **state)
{
	expect_format("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	expect_format("0:0:1:1:1:1:0:0", "::1:1:1:1:0:0");
	expect_format("1:0:0:1:0:0:1:1", "1::1:0:0:1:1");
}

static void format_plain_hex(void **state)
{
	/* No dotted quad, not even for IPv4-mapped: one spelling per address. */
	expect_format("::ffff:1.2.3.4", "::ffff:102:304");
	expect_format("::1.2.3.4", "::102:304");
}

/* Against glibc's inet_ntop, which follows RFC 5952 except for its dotted-quad
 * tails: random addresses with random zero groups. */
static void format_matches_inet_ntop(void **state)
{
	uint8_t a[16], back[16];
	char mine[AWG_ADDR_TEXT_MAX + 1], ref[INET6_ADDRSTRLEN];
	unsigned int seed = 12345, i, g, compared = 0;

	for (i = 0; i < 200000; i++) {
		for (g = 0; g < 8; g++) {
			unsigned int r = rand_r(&seed);
			unsigned int v = r % 3 ? 0 : (r >> 4) & 0xffff;

			if (r % 7 == 0)
				v = 1u << (r % 16);
			a[2 * g] = (uint8_t)(v >> 8);
			a[2 * g + 1] = (uint8_t)v;
		}
		addr6_format(a, mine);
		parse_or_fail(mine, back);
		if (memcmp(a, back, 16))
			fail_msg("%s does not parse back to the same address", mine);
		assert_non_null(inet_ntop(AF_INET6, a, ref, sizeof(ref)));
		if (strchr(ref, '.'))
			continue;
		compared++;
		if (strcmp(mine, ref))
			fail_msg("formatted %s, inet_ntop says %s", mine, ref);
	}
	assert_true(compared > 100000);
}

static void format_max_len(void **state)
{
	uint8_t a[16];
	char out[AWG_ADDR_TEXT_MAX + 1];

	memset(a, 0xff, 16);
	addr6_format(a, out);
	assert_int_equal(strlen(out), 39);
}

static void prefix_ok(void **state)
{
	struct prefix6 p = prefix("fde3:25fb:7f6c::/48");
	char out[AWG_PREFIX_TEXT_MAX + 1];

	assert_int_equal(p.len, 48);
	prefix6_format(&p, out);
	assert_string_equal(out, "fde3:25fb:7f6c::/48");
	p = prefix("::/0");
	assert_int_equal(p.len, 0);
	p = prefix("::1/128");
	assert_int_equal(p.len, 128);
	p = prefix("FDE3:25FB:7F6C:0001:0:0:0:0/64");
	prefix6_format(&p, out);
	assert_string_equal(out, "fde3:25fb:7f6c:1::/64");
	p = prefix("2001:db8:0:8::/61");
	prefix6_format(&p, out);
	assert_string_equal(out, "2001:db8:0:8::/61");
}

static void prefix_host_bits(void **state)
{
	expect_prefix_refused("fde3:25fb:7f6c:1::/48", "host bits set");
	expect_prefix_refused("fde3:25fb:7f6c:1::1/64", "host bits set");
	expect_prefix_refused("2001:db8:0:c::/61", "host bits set");
	expect_prefix_refused("::1/127", "host bits set");
	expect_prefix_refused("8000::/0", "host bits set");
}

static void prefix_missing_len(void **state)
{
	expect_prefix_refused("fde3:25fb:7f6c::", "missing /length");
	expect_prefix_refused("", "missing /length");
}

static void prefix_bad_len(void **state)
{
	static const char *const bad[] = {"fd00::/129",	 "fd00::/",	"fd00::/-1",
					  "fd00::/+64",	 "fd00::/64x",	"fd00::/ 64",
					  "fd00::/1000", "fd00::/0x40", "fd00::/64/64"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_prefix_refused(bad[i], "prefix length must be 0 to 128");
}

static void prefix_ipv4(void **state)
{
	expect_prefix_refused("10.0.0.0/8", "IPv4 address, IPv6 needed");
}

static void prefix_bad_addr(void **state)
{
	expect_prefix_refused("fd00:::/64", "not an IPv6 address");
	expect_prefix_refused("/64", "not an IPv6 address");
}

static void prefix_too_long(void **state)
{
	expect_prefix_refused("0000:0000:0000:0000:0000:0000:0000:0000/128xxxxxxxxxxx",
			      "prefix too long");
}

static void contains(void **state)
{
	struct prefix6 p = prefix("fde3:25fb:7f6c:1::/64"), all = prefix("::/0"),
		       one = prefix("fd00::5/128"), odd = prefix("2001:db8:0:8::/61");
	uint8_t a[16];

	parse_or_fail("fde3:25fb:7f6c:1:ffff:ffff:ffff:ffff", a);
	assert_true(prefix6_contains(&p, a));
	assert_true(prefix6_contains(&all, a));
	parse_or_fail("fde3:25fb:7f6c:2::", a);
	assert_false(prefix6_contains(&p, a));
	parse_or_fail("fd00::5", a);
	assert_true(prefix6_contains(&one, a));
	parse_or_fail("fd00::4", a);
	assert_false(prefix6_contains(&one, a));
	parse_or_fail("2001:db8:0:f:ffff::", a);
	assert_true(prefix6_contains(&odd, a));
	parse_or_fail("2001:db8:0:10::", a);
	assert_false(prefix6_contains(&odd, a));
	parse_or_fail("2001:db8:0:7::", a);
	assert_false(prefix6_contains(&odd, a));
}

static void within(void **state)
{
	struct prefix6 route = prefix("fde3:25fb:7f6c::/48"),
		       pool = prefix("fde3:25fb:7f6c:1::/64"),
		       other = prefix("fde3:25fb:7f6d::/64");

	assert_true(prefix6_within(&pool, &route));
	assert_true(prefix6_within(&route, &route));
	assert_false(prefix6_within(&route, &pool));
	assert_false(prefix6_within(&other, &route));
}

static void overlap(void **state)
{
	struct prefix6 a = prefix("fde3:25fb:7f6c::/48"), b = prefix("fde3:25fb:7f6c:1::/64"),
		       c = prefix("fde3:25fb:7f6d::/48"), d = prefix("fde3:25fb:7f6c:1::5/128");

	assert_true(prefix6_overlap(&a, &b));
	assert_true(prefix6_overlap(&b, &a));
	assert_false(prefix6_overlap(&a, &c));
	assert_false(prefix6_overlap(&c, &a));
	assert_true(prefix6_overlap(&b, &d));
	assert_true(prefix6_overlap(&d, &d));
	assert_false(prefix6_overlap(&c, &d));
}

static void pool_route(void **state)
{
	struct prefix6 route = prefix("fde3:25fb:7f6c::/48"),
		       pool = prefix("fde3:25fb:7f6c:1::/64");
	const char *why = NULL;

	assert_true(pool_route_check(&pool, &route, &why));
	assert_true(pool_route_check(&route, &route, &why));
}

static void pool_outside_route(void **state)
{
	struct prefix6 route = prefix("fde3:25fb:7f6c::/48"),
		       pool = prefix("fde3:25fb:7f6d:1::/64");
	const char *why = NULL;

	assert_false(pool_route_check(&pool, &route, &why));
	assert_string_equal(why, "pool is not inside route");
}

static void pool_bigger_than_route(void **state)
{
	struct prefix6 route = prefix("fde3:25fb:7f6c:1::/64"),
		       pool = prefix("fde3:25fb:7f6c::/48");
	const char *why = NULL;

	assert_false(pool_route_check(&pool, &route, &why));
	assert_string_equal(why, "pool is not inside route");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("addr: full and compressed forms parse", parse_ok),
	    T("addr: IPv4 is refused", parse_ipv4),
	    T("addr: garbage, zone ids, spaces are refused", parse_garbage),
	    T("addr: text longer than 45 bytes is refused", parse_too_long),
	    T("format: RFC 5952 lowercase, no leading zeros, :: for zeros", format_rfc5952),
	    T("format: a single zero group is never compressed", format_no_single_group),
	    T("format: the longest zero run is compressed", format_longest_run),
	    T("format: the leftmost of equal runs is compressed", format_leftmost_tie),
	    T("format: plain hex even for IPv4-mapped", format_plain_hex),
	    T("format: agrees with inet_ntop and parses back (200000 addresses)",
	      format_matches_inet_ntop),
	    T("format: the longest address fits", format_max_len),
	    T("prefix: addr/len parses and formats canonically", prefix_ok),
	    T("prefix: host bits set is refused", prefix_host_bits),
	    T("prefix: missing /len is refused", prefix_missing_len),
	    T("prefix: length not 0..128 decimal is refused", prefix_bad_len),
	    T("prefix: IPv4 is refused", prefix_ipv4),
	    T("prefix: bad address is refused", prefix_bad_addr),
	    T("prefix: overlong text is refused", prefix_too_long),
	    T("prefix: contains respects the prefix length, odd lengths too", contains),
	    T("prefix: within means inside and not shorter", within),
	    T("prefix: overlap is symmetric", overlap),
	    T("pool/route: pool inside or equal to route is accepted", pool_route),
	    T("pool/route: pool outside the route is refused", pool_outside_route),
	    T("pool/route: pool larger than the route is refused", pool_bigger_than_route),
	};

	return RUN(tests);
}
