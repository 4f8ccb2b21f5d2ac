/* SPDX-License-Identifier: MIT */
/* The CN of a certificate subject, from RFC 4514 text (nginx $ssl_client_s_dn,
 * Caddy {http.request.tls.client.subject}). */
#ifndef AUTOWG_DN_H
#define AUTOWG_DN_H

#include <stdbool.h>
#include <stddef.h>
#include "limits.h"

/* Exactly one non-empty CN (CN, commonName or 2.5.4.3, any case) from the DN
 * in text[0..len); unescaped into cn[AWG_CN_MAX + 1]. Refuses text that is
 * not a DN, #hex values, zero or several CNs, and any CN cn_check refuses. */
bool dn_extract_cn(const char *text, size_t len, char *cn, const char **why);
/* A CN's bytes are acceptable as an identity: non-empty, at most AWG_CN_MAX,
 * valid UTF-8, no control characters (C0, DEL, C1). */
bool cn_check(const char *cn, size_t len, const char **why);

#endif
