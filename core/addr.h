/* SPDX-License-Identifier: MIT */
/* IPv6 addresses and prefixes: parse, check, format (RFC 5952). Pure. */
#ifndef AUTOWG_ADDR_H
#define AUTOWG_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include "limits.h"

struct prefix6 {
	uint8_t addr[16];
	uint8_t len; /* 0..128 */
};

/* Parse "addr" (no length). On failure *why says what was wrong. */
bool addr6_parse(const char *text, uint8_t out[16], const char **why);
/* Format in RFC 5952 canonical form into out[AWG_ADDR_TEXT_MAX + 1]. */
void addr6_format(const uint8_t addr[16], char *out);
/* Parse "addr/len"; host bits set is an error, as in the original. */
bool prefix6_parse(const char *text, struct prefix6 *out, const char **why);
/* Format "addr/len" into out[AWG_PREFIX_TEXT_MAX + 1]. */
void prefix6_format(const struct prefix6 *p, char *out);
/* True when addr lies inside p. */
bool prefix6_contains(const struct prefix6 *p, const uint8_t addr[16]);
/* True when inner lies inside outer (inner->len >= outer->len). */
bool prefix6_within(const struct prefix6 *inner, const struct prefix6 *outer);
/* True when the two prefixes share at least one address. */
bool prefix6_overlap(const struct prefix6 *a, const struct prefix6 *b);
/* Pool/route check for the helper's flags: pool inside route. */
bool pool_route_check(const struct prefix6 *pool, const struct prefix6 *route, const char **why);

#endif
