/* SPDX-License-Identifier: MIT */
/*
 * --client-ca and --client-crl: the responder checks the client certificate
 * itself, so that the web server's word is not the only one. A web server
 * with several sites can verify a certificate against another site's CA,
 * and any local process on the responders' socket can claim that one
 * verified; neither gets past this.
 */
#ifndef AUTOWG_FCGI_TRUST_H
#define AUTOWG_FCGI_TRUST_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Intermediate CAs allowed between a device's certificate and a CA of
 * --client-ca: 2, as ssl_verify_depth 2 in conf/nginx-autowg.conf. */
#define TRUST_CHAIN_DEPTH_MAX 2
/* --client-ca and --client-crl are looked at (a stat each) at most this
 * often, and reloaded when they changed: a new CA bundle or CRL is in force
 * within this time. */
#define TRUST_RELOAD_CHECK_MS 1000
/* Largest --client-ca or --client-crl file read. */
#define TRUST_FILE_MAX (16 << 20)
#define TRUST_WHY_MAX  255 /* a reason, one line */

struct trust;

/*
 * The CA certificates in ca_file (PEM, one or more; each must be a CA) and,
 * when crl_file is not NULL, the CRLs in it (PEM, one or more: complete,
 * direct CRLs, at most one per CA, each signed by a CA of ca_file, which
 * is checked here, once per load). NULL with why[TRUST_WHY_MAX + 1] set
 * when a file is missing, unreadable, empty, too big, or holds anything
 * else. Both files are loaded again when they change (trust_reload_check).
 */
struct trust *trust_new(const char *ca_file, const char *crl_file, char *why);
void trust_free(struct trust *t);

/*
 * Does x chain to a CA of ca_file, for TLS client authentication (purpose
 * sslclient: no CA certificate, no server-only certificate), within the
 * validity dates of every certificate, TRUST_CHAIN_DEPTH_MAX and, with a
 * CRL file, every certificate of the chain but its root on the current CRL
 * of the CA that issued it, and not revoked there? False with *why (one
 * line, valid until the next call). Looks at the files first
 * (trust_reload_check). A CA file or CRL file that cannot be loaded refuses
 * every certificate, a CRL whose nextUpdate has passed every certificate it
 * would cover: never fail open.
 */
bool trust_verify(struct trust *t, X509 *x, const char **why);

/* Looks at both files when TRUST_RELOAD_CHECK_MS passed since the last look
 * (now_ms on CLOCK_MONOTONIC), and reloads what changed: the CA file, and
 * the CRL file with it; or the CRL file alone. Logs what happened. */
void trust_reload_check(struct trust *t, int64_t now_ms);

/* Verify as of Unix time when instead of the clock (tests, fuzzers). */
void trust_set_time(struct trust *t, time_t when);

#endif
