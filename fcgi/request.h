/* SPDX-License-Identifier: MIT */
/*
 * One request as the responder sees it, and the answer it gives: a pure-ish
 * core that FastCGI, plain CGI and the unit tests all drive the same way.
 */
#ifndef AUTOWG_FCGI_REQUEST_H
#define AUTOWG_FCGI_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../core/limits.h"

#define FCGI_PARAMS_MAX	   1024	 /* parameters in one request (or CGI environment) */
#define FCGI_PARAM_MAX	   65536 /* bytes in one "NAME=value" parameter */
#define FCGI_PATH_MAX	   4096	 /* request path, bytes */
#define FCGI_CERT_TEXT_MAX 32768 /* SSL_CLIENT_CERT as passed (escaped PEM) */
#define FCGI_REASON_MAX	   255	 /* one-line reason in an answer */
/* A request's whole body must be in within this time from the request's
 * start, else 408: a web server that streams bodies (Caddy) would
 * otherwise let a slow client hold a responder as long as it likes. */
#define FCGI_BODY_TIMEOUT_S  3
#define FCGI_BODY_TIMEOUT_MS (FCGI_BODY_TIMEOUT_S * 1000)
/* After an early answer (403, 404, 413) the unread body is discarded, at
 * most this much of it and for at most this long, then the request ends. */
#define FCGI_DRAIN_MAX	      (16 << 10)
#define FCGI_DRAIN_TIMEOUT_MS 250

struct body_reader {
	/* Up to len bytes into buf: the count, 0 at end of input, -1 on error
	 * (errno ETIMEDOUT: the body's deadline passed). */
	ssize_t (*read)(void *ctx, char *buf, size_t len);
	void *ctx;
};

struct request {
	char *const *env; /* "NAME=value" strings, NULL-terminated; untrusted */
	struct body_reader body;
};

#define CERT_SERIAL_TEXT_MAX 64	 /* hex digits of a serial in the log; longer ones are cut */
#define CERT_ISSUER_TEXT_MAX 255 /* the issuer in the log; longer ones are cut */
#define CERT_TIME_TEXT_MAX   20	 /* "2026-12-03T07:13:15Z" */

/* The client certificate as the log names it; all "" when none was passed. */
struct cert_info {
	char serial[CERT_SERIAL_TEXT_MAX + 1];	/* hex, as openssl x509 -serial prints it */
	char issuer[CERT_ISSUER_TEXT_MAX + 1];	/* RFC 2253, printable ASCII */
	char not_after[CERT_TIME_TEXT_MAX + 1]; /* UTC */
};

/* What the one log line of a request says (handle.c): enough to answer
 * "who registered 1234, from where, with which certificate". */
#define AUDIT_REGISTER	  1u /* a registration: logged whatever its status */
#define AUDIT_HAS_KEY	  2u /* key: the key it posted */
#define AUDIT_HAS_ADDR	  4u /* addr: the address the helper gave the name */
#define AUDIT_HAS_OLD_KEY 8u /* old_key: the key it replaced */
struct audit {
	uint32_t flags;
	char cn[AWG_CN_MAX + 1]; /* the verified CN, or "" */
	struct cert_info cert;
	char name[AWG_NAME_MAX + 1]; /* the helper's answer, or "" */
	const char *result;	     /* its outcome (reg_result_name), or NULL */
	uint8_t addr[16];
	uint8_t key[AWG_KEY_LEN];
	uint8_t old_key[AWG_KEY_LEN];
};

struct response {
	int status;
	const char *content_type;
	const char *allow;     /* value of an Allow header, or NULL */
	bool www_authenticate; /* add WWW-Authenticate: Basic realm="autowg" */
	unsigned retry_after;  /* seconds for a Retry-After header, 0 = none */
	bool head;	       /* HEAD: every header, no body */
	char *body;	       /* malloc'd, owned; body_len bytes */
	size_t body_len;
	/* for the log line: why a request was refused, and the audit */
	char reason[FCGI_REASON_MAX + 1];
	struct audit audit;
};

struct auth;
struct helper;
struct trust;

/* Answer r into *out (caller frees with response_free). Never fails: every
 * refusal is a status with a one-line reason. Logs every refusal and every
 * registration (the audit line). trust is --client-ca, or NULL. */
void handle(const struct auth *auth, struct trust *trust, struct helper *h, const struct request *r,
	    struct response *out);

/* Parameters. 0 absent, 1 found (*value set). Assumes no duplicates. */
int param_get(char *const *env, const char *name, const char **value);
/* True when no parameter name appears twice and there are not too many;
 * otherwise *dup names the first repeated one (NULL when too many). */
bool params_unique(char *const *env, char *dup, size_t dup_size);

/* Responses. */
void response_text(struct response *out, int status, const char *reason);
bool response_set_body(struct response *out, int status, const char *type, char *body, size_t len);
const char *status_text(int status);
/* Header block ("Status: ...\r\n...\r\n\r\n") into buf; its length or -1. */
int response_header(const struct response *r, char *buf, size_t size);
void response_free(struct response *r);

/* Routing: the request path into out[FCGI_PATH_MAX + 1]; false with a reason
 * when it is missing or unsafe (%-escapes, "..", control bytes). */
bool route_path(char *const *env, char *out, const char **why);
enum route { ROUTE_NONE, ROUTE_REGISTER, ROUTE_PEERS, ROUTE_METRICS };
enum route route_match(const char *path, const char *prefix);

/* Body: CONTENT_LENGTH -> 0 and *len, or 411/400/413 and *why. */
int body_length(char *const *env, size_t *len, const char **why);
/* Read exactly len bytes (len <= AWG_BODY_MAX): 0, or 400 (or 408 when
 * the reader's deadline passed) and *why. */
int body_read(const struct body_reader *b, char *buf, size_t len, const char **why);

#endif
