/* SPDX-License-Identifier: MIT */
/* peers.json credentials: HTTP Basic against one user:password. */
#ifndef AUTOWG_FCGI_AUTH_H
#define AUTOWG_FCGI_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define FCGI_AUTH_MAX	     255 /* "user:password", bytes */
#define FCGI_AUTH_HEADER_MAX (6 + ((FCGI_AUTH_MAX + 2) / 3) * 4)

struct auth {
	bool enabled;
	size_t len;
	char expect[FCGI_AUTH_HEADER_MAX + 1]; /* "Basic " + base64(user:password) */
};

/*
 * From the process environment, read once at start-up: AUTOWG_HTTP_AUTH,
 * else HTTP_AUTH but only when fastcgi is true. In plain CGI the web server
 * builds the environment from the request and a client header "Auth: x"
 * arrives as HTTP_AUTH, so it is never trusted there. False with *why when
 * a value is set but unusable (a configuration error).
 */
bool auth_init_env(struct auth *a, bool fastcgi, const char **why);
/* userpass NULL disables peers.json. */
bool auth_init(struct auth *a, const char *userpass, const char **why);
/* The Authorization header value matches, in constant time. */
bool auth_check(const struct auth *a, const char *header);
void auth_wipe(struct auth *a);

#endif
