/* SPDX-License-Identifier: MIT */
/* Request parameters as "NAME=value" strings (FastCGI envp or CGI environ). */
#include "request.h"

#include <string.h>

/* Length of the name part, or 0 for an entry without '=' or an empty name. */
static size_t name_len(const char *entry)
{
	const char *eq = memchr(entry, '=', strnlen(entry, FCGI_PARAM_MAX));

	return eq ? (size_t)(eq - entry) : 0;
}

int param_get(char *const *env, const char *name, const char **value)
{
	size_t len = strlen(name);

	for (; *env; env++) {
		if (name_len(*env) == len && !memcmp(*env, name, len)) {
			*value = *env + len + 1;
			return 1;
		}
	}
	return 0;
}

bool params_unique(char *const *env, char *dup, size_t dup_size)
{
	size_t n, i, j, li;

	for (n = 0; env[n]; n++)
		if (n >= FCGI_PARAMS_MAX) {
			dup[0] = '\0';
			return false;
		}
	/* Quadratic, but n is bounded and small in practice (~30). */
	for (i = 0; i < n; i++) {
		li = name_len(env[i]);
		if (!li)
			continue;
		for (j = i + 1; j < n; j++) {
			if (name_len(env[j]) == li && !memcmp(env[i], env[j], li)) {
				if (li >= dup_size)
					li = dup_size - 1;
				memcpy(dup, env[i], li);
				dup[li] = '\0';
				return false;
			}
		}
	}
	return true;
}
