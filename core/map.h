/* SPDX-License-Identifier: MIT */
/* A device's name and address from its certificate's CN: the CN check, the
 * CN pattern, then the converter. The helper and autowg-addr both call it,
 * so the operator's tool cannot drift from what the helper gives. Pure. */
#ifndef AUTOWG_MAP_H
#define AUTOWG_MAP_H

#include <stdint.h>
#include "convert.h"
#include "limits.h"
#include "pattern.h"

enum map_step {
	MAP_OK,
	MAP_BAD_CN,   /* not an acceptable CN, or the pattern refuses it: name is "" */
	MAP_BAD_NAME, /* the converter cannot map the name: name is set, addr zero */
};

/* cn (NUL-terminated) -> name[AWG_NAME_MAX + 1] -> addr; *why says what was
 * refused. */
enum map_step map_cn(const struct cn_pattern *pattern, const struct converter *conv, const char *cn,
		     char *name, uint8_t addr[16], const char **why);

#endif
