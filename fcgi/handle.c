/* SPDX-License-Identifier: MIT */
/* One request: refuse what is ambiguous, route, and log every refusal. */
#include "log.h"
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#define LOG_FIELD_MAX 64 /* bytes of REMOTE_ADDR shown in a log line */

static bool is_identity_param(const char *name)
{
	return !strcmp(name, "SSL_CLIENT_VERIFY") || !strcmp(name, "SSL_CLIENT_CERT") ||
	       !strcmp(name, "SSL_CLIENT_S_DN");
}

/* Untrusted text for a log line: printable ASCII only, bounded. */
static void clean(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = (unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static void log_refusal(const struct request *r, const struct response *out)
{
	char remote[LOG_FIELD_MAX + 1] = "-";
	const char *addr;

	if (out->status == 200)
		return;
	if (param_get(r->env, "REMOTE_ADDR", &addr))
		clean(addr, remote, sizeof(remote));
	/* the CN passed cn_check (no control bytes) before it was stored */
	fcgi_log(LOG_NOTICE, "%d %s: %s (cn=%s remote=%s)", out->status, status_text(out->status),
		 out->reason, out->cn[0] ? out->cn : "-", remote);
}

static void route(const struct auth *auth, struct helper *h, const struct request *r,
		  struct response *out, const char **method_out)
{
	char dup[LOG_FIELD_MAX + 1], name[LOG_FIELD_MAX + 1], path[FCGI_PATH_MAX + 1];
	char reason[FCGI_REASON_MAX + 1];
	struct table_settings s;
	const char *why, *method;
	int err;

	if (!params_unique(r->env, dup, sizeof(dup))) {
		clean(dup, name, sizeof(name));
		snprintf(reason, sizeof(reason), "parameter %s given twice", name);
		response_text(out, is_identity_param(dup) ? 403 : 400,
			      dup[0] ? reason : "too many parameters");
		return;
	}
	if (!param_get(r->env, "REQUEST_METHOD", &method)) {
		response_text(out, 400, "no request method");
		return;
	}
	*method_out = method;
	if (!route_path(r->env, path, &why)) {
		response_text(out, 400, why);
		return;
	}
	/* the prefix is the helper's: without it no path can be matched */
	if ((err = helper_settings(h, &s))) {
		response_text(out, 503, helper_error(err));
		return;
	}
	if (!settings_ok(&s, &why)) {
		response_text(out, 503, why);
		return;
	}
	switch (route_match(path, s.http_prefix)) {
	case ROUTE_REGISTER:
		handle_register(h, &s, r, method, out);
		return;
	case ROUTE_PEERS:
	case ROUTE_METRICS:
		/* both are the operator's, behind the same credentials */
		if (auth->enabled) {
			handle_peers(auth, h, r, method, out, route_match(path, s.http_prefix));
			return;
		}
		break;
	case ROUTE_NONE:
		break;
	}
	response_text(out, 404, "not found");
}

void handle(const struct auth *auth, struct helper *h, const struct request *r,
	    struct response *out)
{
	const char *method = "";

	memset(out, 0, sizeof(*out));
	helper_begin(h);
	route(auth, h, r, out, &method);
	out->head = !strcmp(method, "HEAD");
	log_refusal(r, out);
}
