/* SPDX-License-Identifier: MIT */
/* The identity of a request, from web-server parameters only (docs/design.md, the rules). */
#include "identity.h"
#include "trust.h"
#include "../core/dn.h"

#include <string.h>

/* The certificate passed: decoded once, then described, verified and read
 * from that one object (decoding costs more than the rest together). */
static bool from_cert(const char *text, struct trust *trust, char *cn, struct cert_info *info,
		      const char **why)
{
	X509 *x = cert_parse(text, strlen(text), why);
	bool ok;

	if (!x)
		return false;
	cert_describe(x, info);
	ok = (!trust || trust_verify(trust, x, why)) && cert_cn_of(x, cn, why);
	X509_free(x);
	return ok;
}

bool identity_cn(char *const *env, struct trust *trust, char *cn, struct cert_info *info,
		 const char **why)
{
	const char *verify, *cert, *dn;

	memset(info, 0, sizeof(*info));
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
		return from_cert(cert, trust, cn, info, why);
	/* A subject is only text: with --client-ca nothing in it can be checked. */
	if (trust) {
		*why = "no client certificate to verify (SSL_CLIENT_CERT absent)";
		return false;
	}
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
