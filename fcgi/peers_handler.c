/* SPDX-License-Identifier: MIT */
/* GET/HEAD <prefix>v1/peers.json and v1/metrics behind HTTP Basic credentials. */
#include "handlers.h"
#include "metrics.h"
#include "peers.h"

#include <string.h>

void handle_peers(const struct auth *auth, struct helper *h, const struct request *r,
		  const char *method, struct response *out, enum route which)
{
	const char *header = NULL, *why;
	uint32_t result;
	size_t len = 0;
	char *json;
	int err;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		out->allow = "GET, HEAD";
		response_text(out, 405, "method not allowed; use GET");
		return;
	}
	param_get(r->env, "HTTP_AUTHORIZATION", &header);
	if (!auth_check(auth, header)) {
		out->www_authenticate = true;
		response_text(out, 401, header ? "wrong credentials" : "credentials required");
		return;
	}
	if ((err = helper_refresh(h, &result))) {
		response_text(out, 503, helper_error(err));
		return;
	}
	/* metrics answer while the interface is down: autowg_helper_up says so */
	if (result != REG_OK && which != ROUTE_METRICS) {
		response_text(out, 503, "WireGuard interface unavailable");
		return;
	}
	if (!h->table) {
		response_text(out, 503, "helper unavailable");
		return;
	}
	if (which == ROUTE_METRICS) {
		if (!metrics_text(h->table, h->table_size, &json, &len, &why))
			response_text(out, 503, why);
		else
			response_set_body(out, 200, METRICS_CONTENT_TYPE, json, len);
		return;
	}
	if (!peers_json(h->table, h->table_size, &json, &len, &why)) {
		response_text(out, 503, why);
		return;
	}
	response_set_body(out, 200, "application/json; charset=UTF-8", json, len);
}
