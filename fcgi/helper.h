/* SPDX-License-Identifier: MIT */
/*
 * The responder's side of the helper protocol (core/proto.h): one
 * SOCK_SEQPACKET connection, the shared table mapped read-only. Every call
 * shares one deadline per request, so a dead or stuck helper costs at most
 * HELPER_TIMEOUT_MS; a broken connection is re-made once, at once.
 */
#ifndef AUTOWG_FCGI_HELPER_H
#define AUTOWG_FCGI_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/proto.h"
#include "../core/table.h"

#define HELPER_TIMEOUT_MS 900 /* whole request budget: answer 503 within a second */
#define HELPER_TABLE_MAX  (table_size(AWG_MAX_PEERS_LIMIT)) /* biggest mapping accepted */

struct helper {
	char path[AWG_SOCKET_PATH_MAX + 1];
	int fd; /* -1 when not connected */
	const void *table;
	size_t table_size;
	int64_t deadline_ms; /* CLOCK_MONOTONIC */
	int64_t answered_ms; /* the last whole reply, CLOCK_MONOTONIC */
};

/* --socket, else $AUTOWG_SOCKET, else HELPER_SOCKET_DEFAULT. */
const char *helper_socket_path(const char *flag);
/* false when path does not fit a unix socket address. */
bool helper_init(struct helper *h, const char *path);
void helper_close(struct helper *h);
/* Start a request: a fresh deadline, and drop a connection the helper closed
 * (checked unless the helper answered in the last HELPER_RECHECK_MS). */
void helper_begin(struct helper *h);
/* A fresh deadline for the rest of the request, after its body (which has
 * its own, FCGI_BODY_TIMEOUT_MS): the helper still gets HELPER_TIMEOUT_MS. */
void helper_renew(struct helper *h);
/* Settings from the table, connecting when needed, checked fit for an
 * answer (one-line, well-formed): 0, or -errno (-EBADMSG: the helper's
 * settings are not) with *why the one-line reason for the client. */
int helper_settings(struct helper *h, struct table_settings *out, const char **why);
/* One registration: 0 with a checked reply, or -errno. */
int helper_register(struct helper *h, const char *cn, const uint8_t key[AWG_KEY_LEN],
		    struct msg_register_reply *out);
/* The one-line reason a client sees for a helper error (HTTP 503). */
const char *helper_error(int err);
/* Ask for fresh stats: 0 with *result (REG_OK or REG_UNAVAILABLE), or -errno. */
int helper_refresh(struct helper *h, uint32_t *result);

#endif
