/* SPDX-License-Identifier: MIT */
/* peers.json credentials, read once from the process environment. */
#include "auth.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool auth_init(struct auth *a, const char *userpass, const char **why)
{
	size_t len, i;

	memset(a, 0, sizeof(*a));
	if (!userpass)
		return true;
	len = strlen(userpass);
	if (!len || len > FCGI_AUTH_MAX || !strchr(userpass, ':')) {
		*why = "HTTP_AUTH must be user:password, at most 255 bytes";
		return false;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)userpass[i] < 0x20 || (unsigned char)userpass[i] >= 0x7f) {
			*why = "HTTP_AUTH must be printable ASCII";
			return false;
		}
	memcpy(a->expect, "Basic ", 6);
	sodium_bin2base64(a->expect + 6, sizeof(a->expect) - 6, (const unsigned char *)userpass,
			  len, sodium_base64_VARIANT_ORIGINAL);
	a->len = strlen(a->expect);
	a->enabled = true;
	return true;
}

bool auth_init_env(struct auth *a, bool fastcgi, const char **why)
{
	const char *v = getenv("AUTOWG_HTTP_AUTH");

	if (!v && fastcgi)
		v = getenv("HTTP_AUTH");
	return auth_init(a, v, why);
}

bool auth_check(const struct auth *a, const char *header)
{
	/* The length is not secret (it follows from the password's length);
	 * the bytes are compared in constant time. */
	if (!a->enabled || !header || strlen(header) != a->len)
		return false;
	return sodium_memcmp(header, a->expect, a->len) == 0;
}

void auth_wipe(struct auth *a)
{
	sodium_memzero(a, sizeof(*a));
}
