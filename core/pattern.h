/* SPDX-License-Identifier: MIT */
/* --cn-pattern: a Python-style regex (PCRE2, UTF) that must match the whole CN. */
#ifndef AUTOWG_PATTERN_H
#define AUTOWG_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include "limits.h"

#define CN_PATTERN_DEFAULT "([0-9a-zA-Z]+)"

struct cn_pattern;

/* Compile; NULL on error with a message in err[errlen]. Caller frees. */
struct cn_pattern *cn_pattern_compile(const char *re, char *err, size_t errlen);
void cn_pattern_free(struct cn_pattern *p);
/* The name for cn: group 1 when the pattern has a group, else the whole match;
 * into name[AWG_NAME_MAX + 1]. Refused when the pattern does not match the
 * whole CN, or the name is empty or too long. */
bool cn_pattern_name(const struct cn_pattern *p, const char *cn, char *name, const char **why);

#endif
