/* SPDX-License-Identifier: MIT */
/* The responders' socket: accept, check credentials, hand out the table,
 * answer requests. One poll() loop, one thread. */
#ifndef AUTOWG_SERVER_H
#define AUTOWG_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/proto.h"
#include "daemon.h"

#define SERVER_CONN_MAX	    1024 /* concurrent responder connections */
#define SERVER_FD_SPARE	    32	 /* descriptors kept for everything else */
#define SERVER_ACCEPT_BURST 64	 /* accepts per loop turn, so requests keep moving */
#define SERVER_PEER_GROUPS  256	 /* supplementary groups looked at (SO_PEERGROUPS) */
#define SERVER_LOG_PER_SEC  20	 /* connection log lines per second, then a count */
#define SERVER_SOCKET_MODE  0660

struct server_conn {
	int fd; /* -1 = free */
	pid_t pid;
	uid_t uid;
	int64_t active_ms; /* last accept or request, monotonic */
};

/* The MSG_REGISTERs of one turn of the loop, answered together after one
 * registry_register_many(): a fleet re-registering at once costs the
 * interface one transaction per turn instead of one per device. */
struct reg_batch {
	size_t n;
	struct server_conn *conn[REGISTRY_GROUP_MAX];
	struct msg_register msg[REGISTRY_GROUP_MAX];
};

struct server {
	char path[AWG_SOCKET_PATH_MAX + 1];
	int fd;
	bool has_gid;
	gid_t gid;
	uid_t self_uid;
	size_t conn_max;
	struct server_conn conn[SERVER_CONN_MAX];
	int64_t log_second;
	unsigned log_lines, log_dropped;
	struct reg_batch batch; /* this turn's registrations */
};

/* Bind and listen at path (its directory must exist; a stale socket there is
 * replaced, anything else is refused), mode 0660, group gid when has_gid.
 * 0 or -errno with *why. */
int server_listen(struct server *s, const char *path, bool has_gid, gid_t gid, const char **why);
/* Serve until *stop is set. */
void server_run(struct server *s, struct daemon *d, volatile sig_atomic_t *stop);
/* Close everything and remove the socket file. */
void server_close(struct server *s);

#endif
