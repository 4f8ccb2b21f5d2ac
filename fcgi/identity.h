/* SPDX-License-Identifier: MIT */
/* Who is asking: only what the web server says about a verified certificate. */
#ifndef AUTOWG_FCGI_IDENTITY_H
#define AUTOWG_FCGI_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include "../core/limits.h"

/*
 * The CN into cn[AWG_CN_MAX + 1], in this order and from nothing else:
 * SSL_CLIENT_VERIFY must be exactly "SUCCESS"; then SSL_CLIENT_CERT when
 * present (never a fallback to the DN when it does not parse); else
 * SSL_CLIENT_S_DN as RFC 4514. False (HTTP 403) with *why otherwise.
 * HTTP_* and REMOTE_USER are never read. Expects params_unique() first.
 */
bool identity_cn(char *const *env, char *cn, const char **why);

/*
 * The CN of the one certificate in text[0..len): PEM, possibly URL-escaped
 * (nginx $ssl_client_escaped_cert), with line breaks as newlines, CRLF,
 * spaces or tabs (old nginx $ssl_client_cert). Exactly one commonName,
 * converted to UTF-8, checked by cn_check.
 */
bool cert_cn(const char *text, size_t len, char *cn, const char **why);

#endif
