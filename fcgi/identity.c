/* SPDX-License-Identifier: MIT */
/* The identity of a request, from web-server parameters only (docs/design.md, the rules). */
#include "identity.h"
#include "request.h"
#include "../core/dn.h"

#include <string.h>

bool identity_cn(char *const *env, char *cn, const char **why)
{
	const char *verify, *cert, *dn;

	if (!param_get(env, "SSL_CLIENT_VERIFY", &verify)) {
		*why = "no verified client certificate (SSL_CLIENT_VERIFY absent)";
		return false;
	}
	if (strcmp(verify, "SUCCESS")) {
		*why = "client certificate not verified (SSL_CLIENT_VERIFY is not SUCCESS)";
		return false;
	}
	/* Present means used: an unparsable certificate is a refusal, never a
	 * reason to believe the DN instead. Empty counts as present. */
	if (param_get(env, "SSL_CLIENT_CERT", &cert))
		return cert_cn(cert, strlen(cert), cn, why);
	if (!param_get(env, "SSL_CLIENT_S_DN", &dn)) {
		*why = "no client certificate subject";
		return false;
	}
	if (strlen(dn) > AWG_DN_MAX) {
		*why = "client certificate subject too long";
		return false;
	}
	return dn_extract_cn(dn, strlen(dn), cn, why);
}
