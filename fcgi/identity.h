/* SPDX-License-Identifier: MIT */
/* Who is asking: only what the web server says about a verified certificate,
 * checked again against the fleet's CAs when the responder has them. */
#ifndef AUTOWG_FCGI_IDENTITY_H
#define AUTOWG_FCGI_IDENTITY_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include "request.h"
#include "../core/limits.h"

struct trust;

/*
 * The CN into cn[AWG_CN_MAX + 1], in this order and from nothing else:
 * SSL_CLIENT_VERIFY must be exactly "SUCCESS"; then SSL_CLIENT_CERT when
 * present (never a fallback to the DN when it does not parse), decoded
 * once: that one object is described into *info, verified against trust
 * (--client-ca) when trust is not NULL, and gives the CN; else, only
 * without trust, SSL_CLIENT_S_DN as RFC 4514. False (HTTP 403) with *why
 * otherwise; *info is all "" unless a certificate was decoded. HTTP_* and
 * REMOTE_USER are never read. Expects params_unique() first.
 */
bool identity_cn(char *const *env, struct trust *trust, char *cn, struct cert_info *info,
		 const char **why);

/*
 * The one certificate in text[0..len): PEM, possibly URL-escaped (nginx
 * $ssl_client_escaped_cert), with line breaks as newlines, CRLF, spaces or
 * tabs (old nginx $ssl_client_cert), DER used up exactly. NULL with *why;
 * the caller X509_free()s it.
 */
X509 *cert_parse(const char *text, size_t len, const char **why);
/* x's CN: exactly one commonName, converted to UTF-8, checked by cn_check. */
bool cert_cn_of(X509 *x, char *cn, const char **why);
/* cert_parse, then cert_cn_of. */
bool cert_cn(const char *text, size_t len, char *cn, const char **why);
/* Serial, issuer and notAfter of x for the log line. */
void cert_describe(X509 *x, struct cert_info *out);

#endif
