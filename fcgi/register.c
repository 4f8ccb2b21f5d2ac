/* SPDX-License-Identifier: MIT */
/* POST <prefix>v1/register: identity, key, the helper's verdict, five lines. */
#include "handlers.h"
#include "identity.h"
#include "../core/addr.h"
#include "../core/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTER_ANSWER_MAX 512 /* the five lines; every field is bounded */

static bool one_line(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return i > 0;
}

static void answer(const struct table_settings *s, const uint8_t addr[16], struct response *out)
{
	char ip[AWG_ADDR_TEXT_MAX + 1], *body = malloc(REGISTER_ANSWER_MAX);
	int n;

	addr6_format(addr, ip);
	if (!body) {
		response_text(out, 503, "out of memory");
		return;
	}
	n = snprintf(body, REGISTER_ANSWER_MAX,
		     "endpoint=%s\npubkey=%s\nroute=%s\nip=%s\nkeepalive=%u\n", s->endpoint,
		     s->pubkey, s->route, ip, s->keepalive);
	if (n < 0 || n >= REGISTER_ANSWER_MAX) {
		free(body);
		response_text(out, 503, "answer too long");
		return;
	}
	response_set_body(out, 200, "text/plain; charset=UTF-8", body, (size_t)n);
}

/* The helper's verdict into the audit line. */
static void audit_reply(struct audit *a, const struct msg_register_reply *reply)
{
	static const uint8_t zero[16];

	a->result = reg_result_name(reply->result);
	strcpy(a->name, reply->name);
	if (memcmp(reply->addr, zero, sizeof(zero))) {
		a->flags |= AUDIT_HAS_ADDR;
		memcpy(a->addr, reply->addr, sizeof(a->addr));
	}
	if (reply->flags & REPLY_HAS_OLD_KEY) {
		a->flags |= AUDIT_HAS_OLD_KEY;
		memcpy(a->old_key, reply->old_key, AWG_KEY_LEN);
	}
}

void handle_register(struct trust *trust, struct helper *h, const struct table_settings *s,
		     const struct request *r, const char *method, struct response *out)
{
	char cn[AWG_CN_MAX + 1], body[AWG_BODY_MAX];
	struct msg_register_reply reply;
	struct table_settings now;
	uint8_t key[AWG_KEY_LEN];
	struct prefix6 pool;
	const char *why;
	size_t len = 0;
	int status, err;

	if (strcmp(method, "POST")) {
		out->allow = "POST";
		response_text(out, 405, "method not allowed; use POST");
		return;
	}
	out->audit.flags |= AUDIT_REGISTER;
	if (!identity_cn(r->env, trust, cn, &out->audit.cert, &why)) {
		response_text(out, 403, why);
		return;
	}
	strcpy(out->audit.cn, cn);
	if ((status = body_length(r->env, &len, &why)) ||
	    (status = body_read(&r->body, body, len, &why))) {
		response_text(out, status, why);
		return;
	}
	if (!key_parse(body, len, key, &why)) {
		response_text(out, 400, why);
		return;
	}
	out->audit.flags |= AUDIT_HAS_KEY;
	memcpy(out->audit.key, key, AWG_KEY_LEN);
	/* the helper alone knows whether its interface is up: it answers (and
	 * counts) REG_UNAVAILABLE, so it is asked whatever s->up said */
	helper_renew(h); /* the body may have taken up to FCGI_BODY_TIMEOUT_MS */
	if ((err = helper_register(h, cn, key, &reply))) {
		response_text(out, 503, helper_error(err));
		return;
	}
	audit_reply(&out->audit, &reply);
	status = reg_result_status(reply.result);
	if (status != 200) {
		/* a 429 says when to come back (RFC 9110 Retry-After) */
		if (reply.result == REG_RATE_LIMITED)
			out->retry_after = reply.retry_after;
		response_text(out, status,
			      one_line(reply.reason, AWG_REASON_MAX)
				  ? reply.reason
				  : reg_result_reason(reply.result));
		return;
	}
	/* the freshest settings: the port or key may have changed meanwhile */
	if (helper_settings(h, &now, &why))
		now = *s;
	if (!prefix6_parse(now.pool, &pool, &why) || !prefix6_contains(&pool, reply.addr)) {
		response_text(out, 503, "helper answered an address outside the pool");
		return;
	}
	answer(&now, reply.addr, out);
	snprintf(out->reason, sizeof(out->reason), "%s", reg_result_reason(reply.result));
}
