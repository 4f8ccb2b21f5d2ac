/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/addr.h"
#include "../core/clock.h"
#include "../core/key.h"
#include "../core/proto.h"
#include "../core/text.h"
#include "log.h"
#include "registry.h"

/* Connection events are logged, but a flood must not turn into a log flood:
 * SERVER_LOG_PER_SEC lines a second, then one line with the count. */
static void conn_log_flush(struct server *s)
{
	int64_t sec = clock_ms() / 1000;

	if (sec == s->log_second)
		return;
	if (s->log_dropped)
		log_warn("%u more connection events not logged", s->log_dropped);
	s->log_second = sec;
	s->log_lines = s->log_dropped = 0;
}

static bool conn_log_ok(struct server *s)
{
	conn_log_flush(s);
	if (s->log_lines < SERVER_LOG_PER_SEC) {
		s->log_lines++;
		return true;
	}
	s->log_dropped++;
	return false;
}

#define conn_log(s, ...)                                                                           \
	do {                                                                                       \
		if (conn_log_ok(s))                                                                \
			log_warn(__VA_ARGS__);                                                     \
	} while (0)

static void conn_close(struct server_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* As many connections as descriptors allow, up to SERVER_CONN_MAX. */
static size_t conn_limit(void)
{
	struct rlimit rl;
	rlim_t want = SERVER_CONN_MAX + SERVER_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return SERVER_CONN_MAX / 4;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return SERVER_CONN_MAX;
	return rl.rlim_cur > 2 * SERVER_FD_SPARE ? (size_t)(rl.rlim_cur - SERVER_FD_SPARE) : 16;
}

/* A socket file left by a helper that died may be replaced; a live one, or
 * anything that is not a socket, is not ours to remove. */
static int clear_stale(const char *path, const char **why)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, ret = 0;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*why = "cannot look at the socket path";
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*why = "the socket path exists and is not a socket";
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket";
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		*why = "another helper is listening on the socket";
		ret = -EADDRINUSE;
	} else if (unlink(path) < 0 && errno != ENOENT) {
		*why = "cannot remove the stale socket";
		ret = -errno;
	}
	close(fd);
	return ret;
}

int server_listen(struct server *s, const char *path, bool has_gid, gid_t gid, const char **why)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	for (i = 0; i < SERVER_CONN_MAX; i++)
		s->conn[i].fd = -1;
	if (strlen(path) > AWG_SOCKET_PATH_MAX) {
		*why = "socket path too long";
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s->has_gid = has_gid;
	s->gid = gid;
	s->self_uid = getuid();
	s->conn_max = conn_limit();
	ret = clear_stale(path, why);
	if (ret)
		return ret;
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		*why = "socket";
		return -errno;
	}
	old = umask(0177); /* never, even briefly, more open than 0600 */
	ret = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0) {
		ret = -errno;
		*why = ret == -ENOENT ? "cannot bind: its directory does not exist" : "cannot bind";
		goto fail;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (has_gid && chown(path, (uid_t)-1, gid) < 0) {
		ret = -errno;
		*why = "cannot set the socket's group";
		goto fail;
	}
	if (chmod(path, SERVER_SOCKET_MODE) < 0 || listen(s->fd, SOMAXCONN) < 0) {
		ret = -errno;
		*why = "cannot chmod or listen";
		goto fail;
	}
	return 0;
fail:
	server_close(s);
	return ret;
}

void server_close(struct server *s)
{
	size_t i;

	for (i = 0; i < SERVER_CONN_MAX; i++)
		conn_close(&s->conn[i]);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->path[0])
		unlink(s->path);
	s->path[0] = '\0';
}

static bool in_peer_groups(int fd, gid_t gid)
{
#ifdef SO_PEERGROUPS
	gid_t groups[SERVER_PEER_GROUPS];
	socklen_t len = sizeof(groups);
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
#else
	(void)fd;
	(void)gid;
#endif
	return false;
}

static bool cred_ok(const struct server *s, int fd, const struct ucred *uc)
{
	if (uc->uid == 0 || uc->uid == s->self_uid)
		return true;
	return s->has_gid && (uc->gid == s->gid || in_peer_groups(fd, s->gid));
}

static bool send_hello(int fd, const struct daemon *d)
{
	struct msg_hello m = {
	    .type = MSG_HELLO, .version = PROTO_VERSION, .table_size = d->shm.size};
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &d->shm.ro_fd, sizeof(int));
	return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(m);
}

/* The connection idle longest makes room: a flood of idle connections costs
 * its own members their place, never a newcomer's. */
static struct server_conn *conn_evict(struct server *s)
{
	struct server_conn *old = NULL;
	size_t i;

	for (i = 0; i < s->conn_max; i++)
		if (s->conn[i].fd >= 0 && (!old || s->conn[i].active_ms < old->active_ms))
			old = &s->conn[i];
	if (old) {
		conn_log(s, "%zu connections: closed the one idle longest (pid %ld uid %ld)",
			 s->conn_max, (long)old->pid, (long)old->uid);
		conn_close(old);
	}
	return old;
}

static struct server_conn *conn_free_slot(struct server *s)
{
	size_t i;

	for (i = 0; i < s->conn_max; i++)
		if (s->conn[i].fd < 0)
			return &s->conn[i];
	return conn_evict(s);
}

/* One accept; false when there is nothing more to accept now. */
static bool accept_one(struct server *s, const struct daemon *d)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct server_conn *c;
	int fd;

	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			conn_evict(s); /* else the listener stays readable and we spin */
			return false;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
		    errno != EINTR && errno != EPROTO)
			conn_log(s, "accept: %s", strerror(errno));
		return errno == ECONNABORTED || errno == EINTR || errno == EPROTO;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		conn_log(s, "connection refused: no peer credentials: %s", strerror(errno));
		close(fd);
		return true;
	}
	if (!cred_ok(s, fd, &uc)) {
		conn_log(s,
			 "connection from pid %ld uid %ld gid %ld refused: not root, not uid %ld%s",
			 (long)uc.pid, (long)uc.uid, (long)uc.gid, (long)s->self_uid,
			 s->has_gid ? ", not in the socket group" : "");
		close(fd);
		return true;
	}
	if (!send_hello(fd, d)) {
		conn_log(s, "connection from pid %ld uid %ld: cannot send the table: %s",
			 (long)uc.pid, (long)uc.uid, strerror(errno));
		close(fd);
		return true;
	}
	c = conn_free_slot(s);
	c->fd = fd;
	c->pid = uc.pid;
	c->uid = uc.uid;
	c->active_ms = clock_ms();
	return true;
}

static void drop(struct server *s, struct server_conn *c, const char *what)
{
	conn_log(s, "connection from pid %ld uid %ld dropped: %s", (long)c->pid, (long)c->uid,
		 what);
	conn_close(c);
}

static void reply(struct server *s, struct server_conn *c, const void *m, size_t len)
{
	if (send(c->fd, m, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		drop(s, c, errno == EAGAIN ? "it does not read its replies" : strerror(errno));
}

static void batch_run(struct server *s, struct daemon *d)
{
	struct reg_batch *b = &s->batch;
	struct reg_request q[REGISTRY_GROUP_MAX];
	struct reg_answer a[REGISTRY_GROUP_MAX];
	struct msg_register_reply r;
	size_t i;

	if (!b->n)
		return;
	for (i = 0; i < b->n; i++)
		q[i] = (struct reg_request){.cn = b->msg[i].cn, .key = b->msg[i].key};
	registry_register_many(d->reg, q, b->n, time(NULL), a);
	for (i = 0; i < b->n; i++) {
		memset(&r, 0, sizeof(r));
		r.type = MSG_REGISTER_REPLY;
		r.result = a[i].result;
		r.retry_after = a[i].retry_after;
		memcpy(r.addr, a[i].addr, sizeof(r.addr));
		memcpy(r.name, a[i].name, sizeof(r.name));
		memcpy(r.reason, a[i].reason, sizeof(r.reason));
		if (a[i].has_old_key) {
			r.flags = REPLY_HAS_OLD_KEY;
			memcpy(r.old_key, a[i].old_key, AWG_KEY_LEN);
		}
		reply(s, b->conn[i], &r, sizeof(r));
	}
	sodium_memzero(b->msg, b->n * sizeof(b->msg[0]));
	b->n = 0;
}

static void do_register(struct server *s, struct server_conn *c, struct daemon *d, const void *buf)
{
	struct reg_batch *b = &s->batch;
	struct msg_register *m = &b->msg[b->n];

	memcpy(m, buf, sizeof(*m));
	if (m->reserved) {
		drop(s, c, "MSG_REGISTER with a non-zero reserved field");
		return;
	}
	if (!proto_string_ok(m->cn, sizeof(m->cn))) {
		drop(s, c, "MSG_REGISTER with a CN not NUL-terminated and zero-padded");
		return;
	}
	b->conn[b->n++] = c;
	if (b->n == REGISTRY_GROUP_MAX)
		batch_run(s, d);
}

static void do_refresh(struct server *s, struct server_conn *c, struct daemon *d, const void *buf)
{
	struct msg_refresh m;
	struct msg_refresh_reply r = {.type = MSG_REFRESH_REPLY};

	memcpy(&m, buf, sizeof(m));
	if (m.reserved) {
		drop(s, c, "MSG_REFRESH with a non-zero reserved field");
		return;
	}
	r.result = daemon_refresh(d);
	reply(s, c, &r, sizeof(r));
}

static void ctl_peer_of(struct ctl_peer *p, const struct table_entry *e)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->name, e->name, sizeof(p->name));
	memcpy(p->addr, e->addr, sizeof(p->addr));
	memcpy(p->key, e->key, sizeof(p->key));
	p->created = e->created;
	p->last_handshake = e->last_handshake;
	p->rx_bytes = e->rx_bytes;
	p->tx_bytes = e->tx_bytes;
	p->key_changes = e->key_changes;
}

/* autowg-ctl's requests are root's alone, whoever else may connect (the
 * responders' group): the credentials taken at accept decide before the
 * request is read. Anyone else is told so and loses the connection. */
static bool ctl_allowed(struct server *s, struct server_conn *c, const void *buf)
{
	static const struct msg_ctl_list_reply list = {.type = MSG_CTL_LIST_REPLY,
						       .result = CTL_DENIED};
	struct msg_ctl_peer_reply p;
	struct msg_ctl_name m;
	char name[(AWG_NAME_MAX + 1) * 4], what[sizeof(name) + 96];
	uint32_t type;

	if (c->uid == 0)
		return true;
	memcpy(&type, buf, sizeof(type));
	if (type == MSG_CTL_LIST) {
		reply(s, c, &list, sizeof(list));
		snprintf(what, sizeof(what), "autowg-ctl list");
	} else {
		memset(&p, 0, sizeof(p));
		p.type = MSG_CTL_PEER_REPLY;
		p.result = CTL_DENIED;
		snprintf(p.reason, sizeof(p.reason), "%s", ctl_result_reason(CTL_DENIED));
		reply(s, c, &p, sizeof(p));
		memcpy(&m, buf, sizeof(m));
		text_escape(m.name, sizeof(m.name), name, sizeof(name), 0);
		snprintf(what, sizeof(what), "autowg-ctl %s '%s'",
			 type == MSG_CTL_SHOW ? "show" : "remove", name);
	}
	if (c->fd >= 0) {
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " refused: only root may list, show or remove devices");
		drop(s, c, what);
	}
	return false;
}

static void do_ctl_list(struct server *s, struct server_conn *c, struct daemon *d, const void *buf)
{
	static struct msg_ctl_list_reply r;
	static struct table_entry e[CTL_LIST_PAGE];
	struct msg_ctl_list m;
	uint32_t cursor;
	size_t i;

	memcpy(&m, buf, sizeof(m));
	if (!ctl_allowed(s, c, buf))
		return;
	if (m.cursor == 0)
		daemon_refresh(d); /* the handshakes as they are now; at most once a second */
	memset(&r, 0, sizeof(r));
	r.type = MSG_CTL_LIST_REPLY;
	r.result = CTL_OK;
	cursor = m.cursor;
	r.count = (uint32_t)registry_list(d->reg, &cursor, e, CTL_LIST_PAGE);
	r.next = cursor;
	for (i = 0; i < r.count; i++)
		ctl_peer_of(&r.peer[i], &e[i]);
	reply(s, c, &r, sizeof(r));
}

/* One line per removal, saying who asked. */
static void log_remove(const struct server_conn *c, const char *name, const struct table_entry *e,
		       int ret)
{
	char ename[(AWG_NAME_MAX + 1) * 4], addr[AWG_ADDR_TEXT_MAX + 1], k[AWG_KEY_B64_LEN + 1];

	text_escape(name, AWG_NAME_MAX + 1, ename, sizeof(ename), 0);
	if (ret == -ENOENT) {
		log_info("autowg-ctl remove '%s' (pid %ld uid %ld): no such device", ename,
			 (long)c->pid, (long)c->uid);
		return;
	}
	addr6_format(e->addr, addr);
	key_format(e->key, k);
	if (ret)
		log_warn("autowg-ctl remove %s %s key %s (pid %ld uid %ld) failed: %s", ename, addr,
			 k, (long)c->pid, (long)c->uid,
			 ret == -ENETDOWN ? "the interface is down" : strerror(-ret));
	else
		log_info("removed %s %s key %s: autowg-ctl remove (pid %ld uid %ld)", ename, addr,
			 k, (long)c->pid, (long)c->uid);
}

/* MSG_CTL_SHOW and MSG_CTL_REMOVE. The registrations waiting in the batch
 * are applied first: everything that arrived before is done before. */
static void do_ctl_name(struct server *s, struct server_conn *c, struct daemon *d, const void *buf)
{
	struct msg_ctl_peer_reply r;
	struct msg_ctl_name m;
	struct table_entry e;
	uint32_t result;
	int ret = 0;

	memcpy(&m, buf, sizeof(m));
	if (!ctl_allowed(s, c, buf))
		return;
	if (m.reserved) {
		drop(s, c, "MSG_CTL request with a non-zero reserved field");
		return;
	}
	if (!proto_string_ok(m.name, sizeof(m.name))) {
		drop(s, c, "MSG_CTL request with a name not NUL-terminated and zero-padded");
		return;
	}
	batch_run(s, d);
	memset(&e, 0, sizeof(e));
	if (m.type == MSG_CTL_SHOW) {
		daemon_refresh(d);
		ret = registry_find(d->reg, m.name, &e) ? 0 : -ENOENT;
	} else {
		ret = registry_remove(d->reg, m.name, &e);
		log_remove(c, m.name, &e, ret);
	}
	result = ret == 0 ? CTL_OK : ret == -ENOENT ? CTL_NOT_FOUND : CTL_UNAVAILABLE;
	memset(&r, 0, sizeof(r));
	r.type = MSG_CTL_PEER_REPLY;
	r.result = result;
	if (result == CTL_OK)
		ctl_peer_of(&r.peer, &e);
	if (result == CTL_UNAVAILABLE && ret != -ENETDOWN)
		snprintf(r.reason, sizeof(r.reason), "%s: %s", ctl_result_reason(result),
			 strerror(-ret));
	else
		snprintf(r.reason, sizeof(r.reason), "%s", ctl_result_reason(result));
	reply(s, c, &r, sizeof(r));
}

/* The requests: each type's exact size and its handler, which gets the
 * packet (that many bytes) and checks its fields. */
static const struct {
	uint32_t type;
	size_t size;
	void (*serve)(struct server *s, struct server_conn *c, struct daemon *d, const void *buf);
} requests[] = {
    {MSG_REGISTER, sizeof(struct msg_register), do_register},
    {MSG_REFRESH, sizeof(struct msg_refresh), do_refresh},
    {MSG_CTL_LIST, sizeof(struct msg_ctl_list), do_ctl_list},
    {MSG_CTL_SHOW, sizeof(struct msg_ctl_name), do_ctl_name},
    {MSG_CTL_REMOVE, sizeof(struct msg_ctl_name), do_ctl_name},
};

#define N_REQUESTS (sizeof(requests) / sizeof(requests[0]))

/* One packet from c: exactly one request, or the connection goes. */
static void serve_one(struct server *s, struct server_conn *c, struct daemon *d)
{
	union {
		uint32_t type;
		unsigned char b[PROTO_FRAME_MAX];
	} u;
	char what[96];
	size_t i;
	ssize_t n;

	n = recv(c->fd, &u, sizeof(u), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop(s, c, strerror(errno));
		return;
	}
	if (n == 0) {
		conn_close(c); /* closed, or an empty packet: either way, done */
		return;
	}
	c->active_ms = clock_ms();
	if ((size_t)n < sizeof(u.type)) {
		snprintf(what, sizeof(what), "short packet (%zd bytes)", n);
		drop(s, c, what);
		return;
	}
	for (i = 0; i < N_REQUESTS && requests[i].type != u.type; i++)
		;
	if (i == N_REQUESTS) {
		snprintf(what, sizeof(what), "unknown message type %u (%zd bytes)", u.type, n);
		drop(s, c, what);
		return;
	}
	if ((size_t)n != requests[i].size) {
		snprintf(what, sizeof(what), "message type %u of %zd bytes, want %zu", u.type, n,
			 requests[i].size);
		drop(s, c, what);
		return;
	}
	requests[i].serve(s, c, d, u.b);
}

/* pfd[] before the connections: the listener, then route notifications. */
#define PFD_LISTEN 0
#define PFD_ROUTES 1
#define PFD_CONNS  2

void server_run(struct server *s, struct daemon *d, volatile sig_atomic_t *stop)
{
	static struct pollfd pfd[SERVER_CONN_MAX + PFD_CONNS];
	static struct server_conn *who[SERVER_CONN_MAX + PFD_CONNS];
	size_t i, n;
	int k;

	while (!*stop) {
		conn_log_flush(s);
		daemon_tick(d);
		n = 0;
		pfd[n++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
		/* a negative descriptor is left alone by poll() */
		pfd[n++] =
		    (struct pollfd){.fd = d->routes ? routes_fd(d->routes) : -1, .events = POLLIN};
		for (i = 0; i < s->conn_max; i++) {
			if (s->conn[i].fd < 0)
				continue;
			who[n] = &s->conn[i];
			pfd[n++] = (struct pollfd){.fd = s->conn[i].fd, .events = POLLIN};
		}
		if (poll(pfd, n, daemon_timeout(d)) < 0) {
			if (errno != EINTR)
				fatal("poll: %s", strerror(errno));
			continue;
		}
		if (pfd[PFD_ROUTES].revents & POLLIN)
			daemon_routes_read(d);
		/* one request per connection per turn: nobody can hog the loop */
		for (i = PFD_CONNS; i < n; i++) {
			if (who[i]->fd != pfd[i].fd)
				continue; /* evicted during this turn */
			if (pfd[i].revents & POLLIN)
				serve_one(s, who[i], d);
			else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
				conn_close(who[i]);
		}
		batch_run(s, d);
		if (pfd[PFD_LISTEN].revents & POLLIN)
			for (k = 0; k < SERVER_ACCEPT_BURST && accept_one(s, d); k++)
				;
	}
}
