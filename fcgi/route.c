/* SPDX-License-Identifier: MIT */
/*
 * Which endpoint a request is for. nginx, lighttpd and Caddy disagree on
 * SCRIPT_NAME/PATH_INFO/DOCUMENT_URI, but all pass the request line's target
 * as REQUEST_URI: its path part is matched literally, and anything that
 * could be read two ways (%-escapes, dot segments) is refused instead.
 */
#include "request.h"

#include <stdio.h>
#include <string.h>

static bool path_safe(const char *p, size_t len, const char **why)
{
	size_t i;

	if (!len || p[0] != '/') {
		*why = "request path does not start with /";
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch <= 0x20 || ch == 0x7f) {
			*why = "request path has control bytes or spaces";
			return false;
		}
		if (ch == '%') {
			*why = "request path has %-escapes";
			return false;
		}
	}
	/* a dot segment: "/./", "/../", or at the end */
	for (i = 0; i < len; i++) {
		if (p[i] != '/' || i + 1 >= len || p[i + 1] != '.')
			continue;
		if (i + 2 == len || p[i + 2] == '/' ||
		    (p[i + 2] == '.' && (i + 3 == len || p[i + 3] == '/'))) {
			*why = "request path has dot segments";
			return false;
		}
	}
	return true;
}

bool route_path(char *const *env, char *out, const char **why)
{
	const char *uri, *script = "", *info = "";
	size_t len;
	int n;

	if (param_get(env, "REQUEST_URI", &uri)) {
		len = strcspn(uri, "?#");
		if (len > FCGI_PATH_MAX) {
			*why = "request path too long";
			return false;
		}
		memcpy(out, uri, len);
		out[len] = '\0';
	} else {
		/* plain CGI without REQUEST_URI */
		param_get(env, "SCRIPT_NAME", &script);
		param_get(env, "PATH_INFO", &info);
		n = snprintf(out, FCGI_PATH_MAX + 1, "%s%s", script, info);
		if (n < 0 || n > FCGI_PATH_MAX) {
			*why = "request path too long";
			return false;
		}
		len = (size_t)n;
	}
	return path_safe(out, len, why);
}

static bool is(const char *path, const char *prefix, size_t plen, const char *tail)
{
	return !strncmp(path, prefix, plen) && !strcmp(path + plen, tail);
}

/* The original autowg joins prefix and endpoint literally: prefix "/" gives
 * "/v1/register", prefix "/autowg/" gives "/autowg/v1/register". */
enum route route_match(const char *path, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (is(path, prefix, plen, "v1/register"))
		return ROUTE_REGISTER;
	if (is(path, prefix, plen, "v1/peers.json"))
		return ROUTE_PEERS;
	if (is(path, prefix, plen, "v1/metrics"))
		return ROUTE_METRICS;
	return ROUTE_NONE;
}
