/* SPDX-License-Identifier: MIT */
/*
 * Userspace WireGuard (wireguard-go, boringtun): the cross-platform UAPI on
 * <wg_socket_dir()>/<ifname>.sock, https://www.wireguard.com/xplatform/.
 * The daemon answers any number of get=1 / set=1 requests on one connection,
 * so the connection is kept open between calls (see `cached` below) rather
 * than paying connect() and close() on both sides per request. Every socket
 * operation times out, so a stuck daemon costs the helper WG_UAPI_TIMEOUT_MS,
 * not its life. A reply is used only when it was read to its end ("errno=0"
 * and the blank line after it). The text itself is read and written by
 * uapi_text.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "../core/clock.h"
#include "wg.h"
#include "backend.h"
#include "uapi_text.h"

#define WG_UAPI_TIMEOUT_MS 2000	 /* each connect, send and receive */
#define WG_UAPI_LINE_MAX   512	 /* longest reply line; real ones are < 100 */
#define WG_UAPI_RBUF	   65536 /* receive buffer */
#define WG_UAPI_CHUNK	   1000	 /* changes per set=1 request, to bound memory */
/* How often a set=1 on the kept connection first checks that the socket file
 * is still the one it went to (get=1 always checks). A set on a dead daemon's
 * connection fails at once and is retried on a new one (may_retry); this only
 * bounds how long a live daemon that lost its socket file keeps our sets. */
#define WG_UAPI_RECHECK_MS 1000

struct uapi_conn {
	int fd;
	/* Which daemon this goes to: the name and the socket file's identity.
	 * A restarted daemon binds a new socket file (a new inode). */
	char ifname[AWG_IFNAME_MAX + 1];
	dev_t sock_dev;
	ino_t sock_ino;
	int64_t checked_ms; /* when the socket file's identity was last checked */
	size_t rx;	    /* bytes received for the current request's reply */
	size_t used;	    /* high-water mark of buf since it was last wiped */
	size_t start, end;  /* unread bytes are buf[start, end) */
	char buf[WG_UAPI_RBUF];
};

/*
 * The one kept-open connection. The helper is single-threaded and serves one
 * interface, so one slot is enough; a call for another interface, or for a
 * socket file that is no longer the one we connected to, replaces it. It is
 * only ever idle between whole replies: any error closes it (after one the
 * position in the stream is unknown), and the next call connects afresh.
 */
static struct uapi_conn *cached;
/* Set in a forked child: the descriptor is shared with the parent, so the
 * child must open its own (pthread_atfork, instead of a getpid() a call). */
static bool cached_forked;

static void child_after_fork(void)
{
	cached_forked = true;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, child_after_fork);
}

static void uapi_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_atfork);
}

static void conn_close(struct uapi_conn *c)
{
	if (!c)
		return;
	if (c == cached)
		cached = NULL;
	if (c->fd >= 0)
		close(c->fd);
	/* The reply to get=1 carried the private key. */
	sodium_memzero(c->buf, sizeof(c->buf));
	free(c);
}

static int conn_open(const char *ifname, struct uapi_conn **out)
{
	const struct timeval tv = {
	    .tv_sec = WG_UAPI_TIMEOUT_MS / 1000,
	    .tv_usec = (WG_UAPI_TIMEOUT_MS % 1000) * 1000,
	};
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct uapi_conn *c;
	struct stat st;
	int ret;

	ret = wg_socket_path(ifname, addr.sun_path);
	if (ret < 0)
		return ret == -EINVAL ? -ENODEV : ret;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	c->sock_dev = 0;
	c->sock_ino = 0;
	c->checked_ms = clock_coarse_ms();
	c->rx = c->used = c->start = c->end = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto fail;
	}
	/* SO_SNDTIMEO also bounds connect() on a unix socket with a full backlog. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto fail;
	}
	/* Before connect(): should the file be replaced in between, the next
	 * call sees a changed identity and reconnects once too often, no worse. */
	if (stat(addr.sun_path, &st) == 0) {
		c->sock_dev = st.st_dev;
		c->sock_ino = st.st_ino;
	}
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		/* No socket, or a stale one left by a daemon that died: no interface. */
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			ret = -ENODEV;
		else if (ret == -EAGAIN || ret == -EINPROGRESS)
			ret = -ETIMEDOUT;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	conn_close(c);
	return ret;
}

/* The cached connection when it is this process's and goes to ifname's
 * socket file, else NULL (and the old one closed). With verify, or when the
 * last check is WG_UAPI_RECHECK_MS old, one stat() of the socket file makes
 * sure; instead of socket+connect+close either way. */
static struct uapi_conn *conn_reuse(const char *ifname, bool verify)
{
	char path[AWG_SOCKET_PATH_MAX + 1];
	int64_t now = clock_coarse_ms();
	struct stat st;

	if (!cached)
		return NULL;
	if (cached_forked || strcmp(cached->ifname, ifname) || cached->start != cached->end)
		goto stale;
	if (!verify && now - cached->checked_ms < WG_UAPI_RECHECK_MS)
		return cached;
	if (wg_socket_path(ifname, path) < 0 || stat(path, &st) < 0 ||
	    st.st_dev != cached->sock_dev || st.st_ino != cached->sock_ino)
		goto stale;
	cached->checked_ms = now;
	return cached;
stale:
	/* close() in a child only drops its copy of the descriptor. */
	conn_close(cached);
	cached_forked = false;
	return NULL;
}

static int conn_send(struct uapi_conn *c, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next line, without its '\n', NUL-terminated in place. A line longer
 * than WG_UAPI_LINE_MAX, a NUL inside one, or the end of the stream before
 * the line's end is -EPROTO: the reply is incomplete and must not be used. */
static int conn_line(struct uapi_conn *c, char **line, size_t *len)
{
	for (;;) {
		char *p = c->buf + c->start;
		char *nl = memchr(p, '\n', c->end - c->start);
		ssize_t n;

		if (nl) {
			*nl = '\0';
			*line = p;
			*len = (size_t)(nl - p);
			c->start += *len + 1;
			if (*len > WG_UAPI_LINE_MAX || memchr(p, '\0', *len))
				return -EPROTO;
			return 0;
		}
		if (c->end - c->start > WG_UAPI_LINE_MAX)
			return -EPROTO;
		memmove(c->buf, p, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
		n = recv(c->fd, c->buf + c->end, sizeof(c->buf) - c->end, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -EPROTO;
		c->rx += (size_t)n;
		c->end += (size_t)n;
		if (c->end > c->used)
			c->used = c->end;
	}
}

/* Read key=value lines up to "errno=N" and the blank line that ends every
 * reply; b is NULL when only errno= is expected (the reply to set=1). 0 when
 * the reply was read to its end, with the daemon's answer in *remote (0 or
 * -errno); any other error leaves the stream at an unknown position. */
static int read_reply(struct uapi_conn *c, struct wg_builder *b, int *remote)
{
	struct wg_peer *peer = NULL;
	bool have_errno = false;
	size_t len = 0;
	char *line = NULL, *eq;
	int ret;

	for (;;) {
		ret = conn_line(c, &line, &len);
		if (ret < 0)
			return ret;
		if (len == 0)
			return have_errno ? 0 : -EPROTO;
		eq = strchr(line, '=');
		if (have_errno || !eq)
			return -EPROTO;
		*eq = '\0';
		if (!strcmp(line, "errno")) {
			if (!uapi_parse_errno(eq + 1, remote))
				return -EPROTO;
			have_errno = true;
		} else if (!b) {
			return -EPROTO;
		} else {
			ret = uapi_parse_line(b, &peer, line, eq + 1);
			if (ret < 0)
				return ret;
		}
	}
}

/* A kept connection that failed before any byte of the reply came back was
 * dead already: the daemon closed it while idle, or died. Such a request goes
 * once more on a new connection. Not once a reply has begun: the request was
 * read and a set=1 maybe applied, so it must not be sent twice behind the
 * caller's back. Not on a timeout either: the daemon is stuck, not gone, and a
 * second try would double the WG_UAPI_TIMEOUT_MS bound. EOF before any byte is
 * the only -EPROTO possible with nothing received. */
static bool may_retry(const struct uapi_conn *c, int err)
{
	return c->rx == 0 && (err == -EPIPE || err == -ECONNRESET || err == -EPROTO);
}

/* Send one request and read its whole reply (into b for get=1). 0, the
 * daemon's -errno, or a local -errno. The connection is kept for the next
 * call only when the reply was read to its end. */
static int uapi_request(const char *ifname, const char *req, size_t len, struct wg_builder *b)
{
	struct uapi_conn *c;
	bool reused;
	int ret, remote = 0;

	uapi_once();
	c = conn_reuse(ifname, b != NULL);
	reused = c != NULL;

	for (;;) {
		if (!c) {
			ret = conn_open(ifname, &c);
			if (ret < 0)
				return ret;
		}
		c->rx = 0;
		ret = conn_send(c, req, len);
		if (ret == 0)
			ret = read_reply(c, b, &remote);
		if (ret == 0 || !reused || !may_retry(c, ret))
			break;
		conn_close(c);
		c = NULL;
		reused = false;
	}
	if (ret < 0) {
		conn_close(c);
		return ret;
	}
	/* Whole reply consumed: wipe what it left in buf (get=1 carried the
	 * private key) and keep the connection. */
	sodium_memzero(c->buf, c->used);
	c->used = c->start = c->end = 0;
	cached = c;
	return remote;
}

/*
 * Is the device still as our last dump found it? UAPI has no per-peer get,
 * and a dump of a big device costs the daemon tens of milliseconds, so the
 * helper would rather not read it again before every new key it sets. Only
 * a process that connects to the UAPI socket can change the device, and
 * every connect() to a unix socket touches the socket file's atime (the
 * kernel's unix_find_bsd calls touch_atime); under relatime only while atime
 * is not newer than ctime, which a utimensat() setting atime to 0 ensures
 * (it sets ctime to now). So before each dump, on a connection already open:
 * atime := 0, and no connection to the daemon open but ours (one opened
 * before might still change the device after our read; the daemon's side
 * of each is in /proc/net/unix under the socket's path from connect() on,
 * not yet accepted or still being served). After that the dump stays true
 * while atime is still 0.
 * Whatever is unsure (a mount that keeps no atime, which our own connect()
 * shows; a read-only /run; another network
 * namespace, where the daemon's sockets are not listed) means "may have
 * changed": the caller reads the device.
 */
#define WG_UAPI_PROC_UNIX "/proc/net/unix"
#define WG_UAPI_UNIX_LINE (AWG_SOCKET_PATH_MAX + 96)
#define SS_UNCONNECTED_	  1 /* /proc/net/unix "St" of a listener; 2 to 4: a connection */
static struct {
	char ifname[AWG_IFNAME_MAX + 1];
	dev_t dev; /* the socket file watched */
	ino_t ino;
	bool atime_follows; /* a connect moved its atime */
	uint64_t gen;	    /* dumps read to their end, each numbered */
	uint64_t clean_gen; /* the last of them that began watched, or 0 */
} watch;

/* Connections to the socket at path the daemon has or will have to serve
 * (accepted or not yet), or -1 when its listener is not in this network
 * namespace's list (nothing can be told). */
static long served_connections(const char *path)
{
	char line[WG_UAPI_UNIX_LINE];
	bool listener = false;
	unsigned st;
	long n = 0;
	int at;
	FILE *f = fopen(WG_UAPI_PROC_UNIX, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* Num RefCount Protocol Flags Type St Inode Path: the path is
		 * the rest of the line, from line + at */
		at = 0;
		if (sscanf(line, "%*s %*x %*x %*x %*x %x %*u %n", &st, &at) != 1 || !at)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line + at, path))
			continue;
		listener |= st == SS_UNCONNECTED_;
		n += st != SS_UNCONNECTED_;
	}
	fclose(f);
	return listener ? n : -1;
}

static bool atime_zero(const char *path)
{
	static const struct timespec t[2] = {{0, 0}, {0, UTIME_OMIT}};

	return utimensat(AT_FDCWD, path, t, 0) == 0;
}

/* Before a dump: a connection open, atime 0, no other connection to serve.
 * True when the dump about to be read can be trusted until atime moves.
 * Whether this socket file's atime follows connects at all is learnt from
 * our own connect(), made with atime 0. */
static bool watch_begin(const char *ifname)
{
	char path[AWG_SOCKET_PATH_MAX + 1];
	bool fresh = false;
	struct uapi_conn *c;
	struct stat st;

	watch.clean_gen = 0;
	if (wg_socket_path(ifname, path) < 0)
		return false;
	c = conn_reuse(ifname, true);
	if (!c) {
		fresh = atime_zero(path);
		if (conn_open(ifname, &c) < 0)
			return false;
		cached = c;
	}
	if (stat(path, &st) < 0 || st.st_dev != c->sock_dev || st.st_ino != c->sock_ino)
		return false;
	if (strcmp(watch.ifname, ifname) || watch.dev != st.st_dev || watch.ino != st.st_ino) {
		snprintf(watch.ifname, sizeof(watch.ifname), "%s", ifname);
		watch.dev = st.st_dev;
		watch.ino = st.st_ino;
		watch.atime_follows = false;
	}
	if (fresh)
		watch.atime_follows = st.st_atim.tv_sec || st.st_atim.tv_nsec;
	return watch.atime_follows && atime_zero(path) && served_connections(path) == 1;
}

static int uapi_unchanged(const char *ifname, uint64_t gen)
{
	char path[AWG_SOCKET_PATH_MAX + 1];
	struct stat st;

	if (!gen || gen != watch.clean_gen || strcmp(ifname, watch.ifname) ||
	    wg_socket_path(ifname, path) < 0 || stat(path, &st) < 0)
		return 0;
	return st.st_dev == watch.dev && st.st_ino == watch.ino && !st.st_atim.tv_sec &&
	       !st.st_atim.tv_nsec;
}

static int uapi_get_device(const char *ifname, struct wg_device **out)
{
	static const char request[] = "get=1\n\n";
	struct wg_builder b = {0};
	bool watched;
	int ret;

	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	ret = wg_builder_init(&b, ifname);
	if (ret < 0)
		goto out;
	uapi_once();
	watched = watch_begin(ifname);
	ret = uapi_request(ifname, request, sizeof(request) - 1, &b);
	if (ret == 0) {
		*out = wg_builder_finish(&b);
		(*out)->gen = ++watch.gen;
		watch.clean_gen = watched ? watch.gen : 0;
	}
out:
	wg_builder_discard(&b);
	return ret;
}

/* One set=1 request for at most WG_UAPI_CHUNK changes. */
static int apply_chunk(const char *ifname, const struct wg_change *changes, size_t n)
{
	static const char head[] = "set=1\n";
	size_t len = 0, room = sizeof(head) + 1;
	char *text;
	int ret;

	for (size_t i = 0; i < n; i++)
		room += uapi_change_max(&changes[i]) + 1;
	text = malloc(room);
	if (!text)
		return -ENOMEM;
	memcpy(text, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (size_t i = 0; i < n; i++) {
		size_t k = uapi_format_change(&changes[i], text + len);

		if (!k) {
			ret = -EINVAL;
			goto out;
		}
		len += k;
	}
	text[len++] = '\n';
	ret = uapi_request(ifname, text, len, NULL);
out:
	free(text);
	return ret;
}

static int uapi_apply(const char *ifname, const struct wg_change *changes, size_t n)
{
	int ret;

	for (size_t off = 0; off < n; off += WG_UAPI_CHUNK) {
		size_t k = n - off < WG_UAPI_CHUNK ? n - off : WG_UAPI_CHUNK;

		ret = apply_chunk(ifname, changes + off, k);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The interface and the socket file of the daemon that serves it. */
static void uapi_identity(const char *ifname, struct wg_identity *id)
{
	char path[AWG_SOCKET_PATH_MAX + 1];
	struct stat st;

	memset(id, 0, sizeof(*id));
	id->ifindex = if_nametoindex(ifname);
	id->exists = id->ifindex != 0;
	if (wg_socket_path(ifname, path) == 0 && stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		id->sock_dev = st.st_dev;
		id->sock_ino = st.st_ino;
	} else {
		id->exists = false;
	}
}

const struct wg_ops wg_userspace_ops = {
    .name = "userspace",
    .get_device = uapi_get_device,
    .apply = uapi_apply,
    .unchanged = uapi_unchanged,
    .identity = uapi_identity,
};
