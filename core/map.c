/* SPDX-License-Identifier: MIT */
#include "map.h"

#include <string.h>

#include "dn.h"

enum map_step map_cn(const struct cn_pattern *pattern, const struct converter *conv, const char *cn,
		     char *name, uint8_t addr[16], const char **why)
{
	if (!cn_check(cn, strnlen(cn, AWG_CN_MAX + 1), why) ||
	    !cn_pattern_name(pattern, cn, name, why)) {
		name[0] = '\0';
		return MAP_BAD_CN;
	}
	if (!converter_map(conv, name, addr, why)) {
		memset(addr, 0, 16);
		return MAP_BAD_NAME;
	}
	return MAP_OK;
}
