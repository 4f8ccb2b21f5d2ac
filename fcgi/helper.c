/* SPDX-License-Identifier: MIT */
/*
 * Talking to autowg-helper. Everything that comes back is untrusted: exact
 * packet lengths, known types, terminated strings, exactly one descriptor
 * with the hello and none after, a table that is a regular file at least as
 * big as announced. Anything else drops the connection (proto.h).
 */
#include "log.h"
#include "helper.h"
#include "../core/addr.h"
#include "../core/clock.h"
#include "../core/key.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A connection the helper answered on this recently is taken as alive
 * without a poll(): under load every request saves a system call, and a
 * helper that died since shows as a failed send, retried on a new
 * connection (call()). Only what reads the table without asking the
 * helper can see a dead helper's table, for at most this long. */
#define HELPER_RECHECK_MS 100

const char *helper_socket_path(const char *flag)
{
	const char *env = getenv("AUTOWG_SOCKET");

	if (flag)
		return flag;
	return env && env[0] ? env : HELPER_SOCKET_DEFAULT;
}

bool helper_init(struct helper *h, const char *path)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	if (!path[0] || strlen(path) >= sizeof(h->path))
		return false;
	strcpy(h->path, path);
	return true;
}

void helper_close(struct helper *h)
{
	if (h->table)
		munmap((void *)h->table, h->table_size);
	h->table = NULL;
	h->table_size = 0;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

void helper_begin(struct helper *h)
{
	int64_t now = clock_ms();
	struct pollfd p;

	h->deadline_ms = now + HELPER_TIMEOUT_MS;
	if (h->fd < 0 || now - h->answered_ms < HELPER_RECHECK_MS)
		return;
	/* Between requests nothing may arrive: readable or hung up means the
	 * helper went away (or misbehaved); start over. */
	p.fd = h->fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) > 0)
		helper_close(h);
}

void helper_renew(struct helper *h)
{
	h->deadline_ms = clock_ms() + HELPER_TIMEOUT_MS;
}

static int send_frame(struct helper *h, const void *buf, size_t len)
{
	ssize_t n;
	int err;

	for (;;) {
		n = send(h->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return (size_t)n == len ? 0 : -EPROTO;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((err = clock_wait_fd(h->fd, POLLOUT, h->deadline_ms)))
			return err;
	}
}

static void close_fds(int *fds, size_t n)
{
	while (n--)
		close(fds[n]);
}

/* One packet of exactly len bytes; with fd_out, exactly one descriptor. */
static int recv_frame(struct helper *h, void *out, size_t len, int *fd_out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	unsigned char raw[PROTO_FRAME_MAX];
	struct iovec iov = {.iov_base = raw, .iov_len = sizeof(raw)};
	struct msghdr msg = {0};
	int fds[PROTO_FDS_MAX], err;
	size_t nfds;
	ssize_t n;

	/* A reply is never there yet right after the request: wait first. */
	for (;;) {
		if ((err = clock_wait_fd(h->fd, POLLIN, h->deadline_ms)))
			return err;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(h->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	if (n == 0)
		return -ECONNRESET; /* the helper closed the connection */
	if (proto_frame_check(&msg, (size_t)n, len, fd_out ? 1 : 0, fds, &nfds)) {
		close_fds(fds, nfds);
		return -EPROTO;
	}
	memcpy(out, raw, len);
	if (fd_out)
		*fd_out = fds[0];
	return 0;
}

static int map_table(struct helper *h, int tfd, uint64_t size)
{
	const char *why = "";
	struct stat st;
	void *base;
	int seals;

	if (size < sizeof(struct table_header) || size > HELPER_TABLE_MAX) {
		fcgi_log(LOG_ERR, "helper announced a table of %llu bytes",
			 (unsigned long long)size);
		return -EPROTO;
	}
	/* Mapping past the end of the file would fault on first touch. */
	if (fstat(tfd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size) {
		fcgi_log(LOG_ERR, "helper's table descriptor is not a file of %llu bytes",
			 (unsigned long long)size);
		return -EPROTO;
	}
	/* ... and a file that can shrink later could fault any time: the
	 * helper seals its memfd against shrinking, so insist on it. */
	seals = fcntl(tfd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		fcgi_log(LOG_ERR, "helper's table is not sealed against shrinking");
		return -EPROTO;
	}
	base = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, tfd, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (!table_check(base, (size_t)size, &why)) {
		fcgi_log(LOG_ERR, "helper's table refused: %s", why);
		munmap(base, (size_t)size);
		return -EPROTO;
	}
	h->table = base;
	h->table_size = (size_t)size;
	return 0;
}

static int connect_helper(struct helper *h)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct msg_hello hello;
	int fd, tfd = -1, err;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memcpy(sun.sun_path, h->path, strlen(h->path));
	/* A unix connect never waits: a full backlog (a stuck helper) is EAGAIN. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		close(fd);
		return err;
	}
	h->fd = fd;
	err = recv_frame(h, &hello, sizeof(hello), &tfd);
	if (!err && (hello.type != MSG_HELLO || hello.version != PROTO_VERSION)) {
		fcgi_log(LOG_ERR, "helper hello: type %u version %u, want %u %u", hello.type,
			 hello.version, MSG_HELLO, PROTO_VERSION);
		err = -EPROTO;
	}
	if (!err)
		err = map_table(h, tfd, hello.table_size);
	if (tfd >= 0)
		close(tfd);
	if (err == -EPROTO)
		fcgi_log(LOG_ERR, "helper at %s: bad hello", h->path);
	if (err)
		helper_close(h);
	return err;
}

static int ensure(struct helper *h)
{
	return h->fd >= 0 ? 0 : connect_helper(h);
}

static bool broken(int err)
{
	return err == -ECONNRESET || err == -EPIPE || err == -ENOTCONN;
}

/* One request and its reply, with one fresh connection when the old one
 * turned out to be broken (the helper restarted). */
static int call(struct helper *h, const void *req, size_t req_len, void *reply, size_t reply_len,
		uint32_t reply_type)
{
	int err = 0, tries;
	uint32_t type;

	for (tries = 0; tries < 2; tries++) {
		if ((err = ensure(h)))
			return err;
		err = send_frame(h, req, req_len);
		if (!err)
			err = recv_frame(h, reply, reply_len, NULL);
		if (!err) {
			memcpy(&type, reply, sizeof(type));
			if (type == reply_type) {
				h->answered_ms = clock_ms();
				return 0;
			}
			err = -EPROTO;
		}
		/* a reply may still be on its way: never reuse this connection */
		helper_close(h);
		if (err == -EPROTO)
			fcgi_log(LOG_ERR, "helper sent a malformed reply");
		if (!broken(err))
			return err;
	}
	return err;
}

const char *helper_error(int err)
{
	return err == -ETIMEDOUT ? "helper did not answer in time" : "helper unavailable";
}

static bool printable_word(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return i > 0;
}

/* Settings the helper published are safe to put in an answer: one-line,
 * well-formed. */
static bool settings_ok(const struct table_settings *s, const char **why)
{
	struct prefix6 p;
	uint8_t key[AWG_KEY_LEN];
	const char *bad;

	if (!printable_word(s->http_prefix) || s->http_prefix[0] != '/')
		*why = "helper settings: bad http prefix";
	else if (!printable_word(s->endpoint))
		*why = "helper settings: bad endpoint";
	else if (!prefix6_parse(s->route, &p, &bad) || !prefix6_parse(s->pool, &p, &bad))
		*why = "helper settings: bad route or pool";
	else if (!key_parse(s->pubkey, strlen(s->pubkey), key, &bad))
		*why = "helper settings: bad interface key";
	else if (s->keepalive > 65535)
		*why = "helper settings: bad keepalive";
	else
		return true;
	return false;
}

int helper_settings(struct helper *h, struct table_settings *out, const char **why)
{
	int err = ensure(h);

	if (!err && !table_read_settings(h->table, h->table_size, out))
		err = -EAGAIN;
	if (err) {
		*why = helper_error(err);
		return err;
	}
	return settings_ok(out, why) ? 0 : -EBADMSG;
}

/* Known flags only; without REPLY_HAS_OLD_KEY the field is zeros. */
static bool old_key_ok(const struct msg_register_reply *r)
{
	static const uint8_t zero[AWG_KEY_LEN];

	if (r->flags & ~REPLY_HAS_OLD_KEY)
		return false;
	return (r->flags & REPLY_HAS_OLD_KEY) || !memcmp(r->old_key, zero, AWG_KEY_LEN);
}

int helper_register(struct helper *h, const char *cn, const uint8_t key[AWG_KEY_LEN],
		    struct msg_register_reply *out)
{
	struct msg_register req;
	size_t len = strlen(cn);
	int err;

	if (len > AWG_CN_MAX)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.type = MSG_REGISTER;
	memcpy(req.cn, cn, len);
	memcpy(req.key, key, AWG_KEY_LEN);
	err = call(h, &req, sizeof(req), out, sizeof(*out), MSG_REGISTER_REPLY);
	if (err)
		return err;
	if (out->result >= REG_RESULT_COUNT || !proto_string_ok(out->name, sizeof(out->name)) ||
	    !proto_string_ok(out->reason, sizeof(out->reason)) || !old_key_ok(out) ||
	    out->retry_after > AWG_REKEY_INTERVAL_MAX ||
	    (out->result == REG_RATE_LIMITED) != (out->retry_after > 0)) {
		fcgi_log(LOG_ERR, "helper sent a malformed register reply");
		helper_close(h);
		return -EPROTO;
	}
	return 0;
}

int helper_refresh(struct helper *h, uint32_t *result)
{
	struct msg_refresh req = {.type = MSG_REFRESH};
	struct msg_refresh_reply reply;
	int err;

	err = call(h, &req, sizeof(req), &reply, sizeof(reply), MSG_REFRESH_REPLY);
	if (err)
		return err;
	if (reply.result != REG_OK && reply.result != REG_UNAVAILABLE) {
		fcgi_log(LOG_ERR, "helper sent a malformed refresh reply");
		helper_close(h);
		return -EPROTO;
	}
	*result = reply.result;
	return 0;
}
