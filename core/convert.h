/* SPDX-License-Identifier: MIT */
/* Converters: device name -> address inside the pool. Pure functions. */
#ifndef AUTOWG_CONVERT_H
#define AUTOWG_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include "addr.h"
#include "limits.h"

enum converter_kind {
	CONVERTER_DIRECT_BCD = 0,
	CONVERTER_METANS = 1,
};

struct converter {
	enum converter_kind kind;
	struct prefix6 pool;
	char template[AWG_TEMPLATE_MAX + 1]; /* metans only */
};

/* "direct-bcd" or "metans" -> kind. */
bool converter_kind_parse(const char *text, enum converter_kind *out);
const char *converter_kind_name(enum converter_kind kind);
/* Check the configuration (pool size for the kind, template has exactly one
 * %s and nothing else of the kind) and fill *c. A refusal is a configuration
 * error, *why says which. template may be NULL for direct-bcd. */
bool converter_init(struct converter *c, enum converter_kind kind, const struct prefix6 *pool,
		    const char *template, const char **why);
/* name -> address. A refusal means the name cannot be mapped (HTTP 422). */
bool converter_map(const struct converter *c, const char *name, uint8_t out[16], const char **why);

#endif
