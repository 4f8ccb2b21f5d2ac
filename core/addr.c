/* SPDX-License-Identifier: MIT */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

bool addr6_parse(const char *text, uint8_t out[16], const char **why)
{
	struct in_addr v4;

	if (strnlen(text, AWG_ADDR_TEXT_MAX + 1) > AWG_ADDR_TEXT_MAX) {
		*why = "address too long";
		return false;
	}
	if (inet_pton(AF_INET6, text, out) == 1)
		return true;
	*why = inet_pton(AF_INET, text, &v4) == 1 ? "IPv4 address, IPv6 needed"
						  : "not an IPv6 address";
	return false;
}

/* RFC 5952 section 4: lowercase hex, no leading zeros, the longest run of two
 * or more zero groups shortened to "::" (the leftmost on a tie), never one
 * lone zero group. Always plain hex: no dotted-quad tail. */
void addr6_format(const uint8_t addr[16], char *out)
{
	unsigned int g[8];
	int i, best = -1, best_len = 0, run = 0;
	char *p = out;

	for (i = 0; i < 8; i++)
		g[i] = (unsigned int)addr[2 * i] << 8 | addr[2 * i + 1];
	for (i = 0; i < 8; i++) {
		run = g[i] ? 0 : run + 1;
		if (run > best_len) {
			best_len = run;
			best = i - run + 1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			*p++ = ':';
		p += sprintf(p, "%x", g[i]);
	}
	*p = '\0';
}

static bool host_bits_zero(const uint8_t addr[16], unsigned int len)
{
	unsigned int i;

	for (i = len; i < 128; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static bool parse_len(const char *s, uint8_t *len)
{
	unsigned int v = 0;
	size_t i, n = strlen(s);

	if (n < 1 || n > 3)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > 128)
		return false;
	*len = (uint8_t)v;
	return true;
}

bool prefix6_parse(const char *text, struct prefix6 *out, const char **why)
{
	char buf[AWG_PREFIX_TEXT_MAX + 1];
	char *slash;
	size_t n = strnlen(text, sizeof(buf));

	if (n >= sizeof(buf)) {
		*why = "prefix too long";
		return false;
	}
	memcpy(buf, text, n + 1);
	slash = strchr(buf, '/');
	if (!slash) {
		*why = "missing /length";
		return false;
	}
	*slash = '\0';
	if (!addr6_parse(buf, out->addr, why))
		return false;
	if (!parse_len(slash + 1, &out->len)) {
		*why = "prefix length must be 0 to 128";
		return false;
	}
	if (!host_bits_zero(out->addr, out->len)) {
		*why = "host bits set";
		return false;
	}
	return true;
}

void prefix6_format(const struct prefix6 *p, char *out)
{
	size_t n;

	addr6_format(p->addr, out);
	n = strlen(out);
	snprintf(out + n, AWG_PREFIX_TEXT_MAX + 1 - n, "/%u", (unsigned int)p->len);
}

/* The first len bits of a and b agree. */
static bool same_bits(const uint8_t a[16], const uint8_t b[16], unsigned int len)
{
	unsigned int full = len / 8, rest = len % 8;
	uint8_t mask;

	if (len > 128)
		return false;
	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return ((a[full] ^ b[full]) & mask) == 0;
}

bool prefix6_contains(const struct prefix6 *p, const uint8_t addr[16])
{
	return same_bits(p->addr, addr, p->len);
}

bool prefix6_within(const struct prefix6 *inner, const struct prefix6 *outer)
{
	return inner->len >= outer->len && same_bits(inner->addr, outer->addr, outer->len);
}

bool prefix6_overlap(const struct prefix6 *a, const struct prefix6 *b)
{
	return same_bits(a->addr, b->addr, a->len < b->len ? a->len : b->len);
}

bool pool_route_check(const struct prefix6 *pool, const struct prefix6 *route, const char **why)
{
	if (!prefix6_within(pool, route)) {
		*why = "pool is not inside route";
		return false;
	}
	return true;
}
