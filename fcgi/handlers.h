/* SPDX-License-Identifier: MIT */
/* The endpoints, called by handle() once the route and settings are known. */
#ifndef AUTOWG_FCGI_HANDLERS_H
#define AUTOWG_FCGI_HANDLERS_H

#include "auth.h"
#include "helper.h"
#include "request.h"

/* trust: --client-ca, or NULL. */
void handle_register(struct trust *trust, struct helper *h, const struct table_settings *s,
		     const struct request *r, const char *method, struct response *out);
/* peers.json or metrics (which: ROUTE_PEERS or ROUTE_METRICS). */
void handle_peers(const struct auth *auth, struct helper *h, const struct request *r,
		  const char *method, struct response *out, enum route which);

#endif
