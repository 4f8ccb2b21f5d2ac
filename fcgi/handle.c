/* SPDX-License-Identifier: MIT */
/* One request: refuse what is ambiguous, route, and log every refusal and
 * every registration. */
#include "log.h"
#include "handlers.h"
#include "../core/addr.h"
#include "../core/key.h"
#include "../core/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_FIELD_MAX 64 /* bytes of REMOTE_ADDR shown in a log line */

static bool is_identity_param(const char *name)
{
	return !strcmp(name, "SSL_CLIENT_VERIFY") || !strcmp(name, "SSL_CLIENT_CERT") ||
	       !strcmp(name, "SSL_CLIENT_S_DN");
}

/* fmt appended to out[*n..size), cut at the end of out. */
__attribute__((format(printf, 4, 5))) static void append(char *out, size_t size, size_t *n,
							 const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= size - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(out + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

/* The audit: who (the CN, the certificate), from where (REMOTE_ADDR), and
 * what changed (name, address, new and old key, the helper's outcome). The
 * CN and name passed cn_check (no control bytes); the rest is our own text
 * or was cleaned when it was made. */
static void log_fields(const struct request *r, const struct audit *a, char *out, size_t size)
{
	char remote[LOG_FIELD_MAX + 1] = "-", ip[AWG_ADDR_TEXT_MAX + 1], k[AWG_KEY_B64_LEN + 1];
	const char *addr;
	size_t n = 0;

	if (param_get(r->env, "REMOTE_ADDR", &addr))
		text_escape(addr, strlen(addr), remote, sizeof(remote), 0);
	append(out, size, &n, "cn=%s remote=%s", a->cn[0] ? a->cn : "-", remote);
	if (a->name[0])
		append(out, size, &n, " name=%s", a->name);
	if (a->flags & AUDIT_HAS_ADDR) {
		addr6_format(a->addr, ip);
		append(out, size, &n, " addr=%s", ip);
	}
	if (a->result)
		append(out, size, &n, " result=%s", a->result);
	if (a->flags & AUDIT_HAS_KEY) {
		key_format(a->key, k);
		append(out, size, &n, " key=%s", k);
	}
	if (a->flags & AUDIT_HAS_OLD_KEY) {
		key_format(a->old_key, k);
		append(out, size, &n, " old_key=%s", k);
	}
	if (a->cert.serial[0])
		append(out, size, &n, " serial=%s issuer=\"%s\" not_after=%s", a->cert.serial,
		       a->cert.issuer, a->cert.not_after);
}

/* One line for every refusal and every registration, whatever its status. */
static void log_request(const struct request *r, const struct response *out)
{
	char fields[FCGI_LOG_LINE_MAX];

	if (out->status == 200 && !(out->audit.flags & AUDIT_REGISTER))
		return;
	log_fields(r, &out->audit, fields, sizeof(fields));
	fcgi_log(out->status == 200 ? LOG_INFO : LOG_NOTICE, "%d %s: %s (%s)", out->status,
		 status_text(out->status), out->reason, fields);
}

static void route(const struct auth *auth, struct trust *trust, struct helper *h,
		  const struct request *r, struct response *out, const char **method_out)
{
	char dup[LOG_FIELD_MAX + 1], name[LOG_FIELD_MAX + 1], path[FCGI_PATH_MAX + 1];
	char reason[FCGI_REASON_MAX + 1];
	struct table_settings s;
	const char *why, *method;

	if (!params_unique(r->env, dup, sizeof(dup))) {
		text_escape(dup, strlen(dup), name, sizeof(name), 0);
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
	if (helper_settings(h, &s, &why)) {
		response_text(out, 503, why);
		return;
	}
	switch (route_match(path, s.http_prefix)) {
	case ROUTE_REGISTER:
		handle_register(trust, h, &s, r, method, out);
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

void handle(const struct auth *auth, struct trust *trust, struct helper *h, const struct request *r,
	    struct response *out)
{
	const char *method = "";

	memset(out, 0, sizeof(*out));
	helper_begin(h);
	route(auth, trust, h, r, out, &method);
	out->head = !strcmp(method, "HEAD");
	log_request(r, out);
}
