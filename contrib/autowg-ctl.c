/* SPDX-License-Identifier: MIT */
/*
 * autowg-ctl: list, show and remove the devices a running autowg-helper
 * holds, over its socket (core/proto.h, the MSG_CTL_* messages). Root only:
 * the helper decides by the credentials it took at accept; this program
 * reports what it was told. Replies are untrusted like the responders'
 * (fcgi/helper.c): exact length and type, a known result, terminated
 * strings, no descriptor but the hello's, a list cursor that moves forward.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../core/addr.h"
#include "../core/clock.h"
#include "../core/key.h"
#include "../core/proto.h"
#include "../core/text.h"

#define PROG	       "autowg-ctl"
#define EXIT_FAIL      1
#define EXIT_USAGE     2
#define EXIT_NOT_FOUND 3
/* Per request: a list's first page and a show wait for the helper to read
 * the interface's stats, a remove for the interface to apply it. */
#define CTL_TIMEOUT_MS 10000
#define TIME_TEXT_MAX  32

static const char usage_text[] =
    "Usage: " PROG " [--socket PATH] list\n"
    "       " PROG " [--socket PATH] show NAME\n"
    "       " PROG " [--socket PATH] remove NAME\n"
    "\n"
    "Lists, shows and removes the devices a running autowg-helper holds, through\n"
    "its socket. Root only: the helper refuses everyone else.\n"
    "\n"
    "  list          one line per device, tab-separated: name, address, public\n"
    "                key, registered (UTC), last handshake (UTC, or never)\n"
    "  show NAME     the device NAME as key=value lines: name, ip, pubkey,\n"
    "                created, last_handshake, rx_bytes, tx_bytes, key_changes\n"
    "  remove NAME   remove the device's peer from the interface now; its\n"
    "                address is free at once. A device whose certificate is\n"
    "                still good can register again: revoke it first\n"
    "\n"
    "  --socket PATH the helper's socket (default: $AUTOWG_SOCKET, else\n"
    "                " HELPER_SOCKET_DEFAULT "); one helper per interface,\n"
    "                e.g. /run/autowg/wg0/helper.sock\n"
    "  --help        this text\n"
    "  --version     print the version\n"
    "\n"
    "Environment:\n"
    "  AUTOWG_SOCKET  the helper's socket when --socket is not given\n"
    "\n"
    "Exit status: 0 done, 1 the helper refused or could not be reached,\n"
    "2 bad usage, 3 no device of that name.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static noreturn void bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, PROG ": %s%s\nTry '" PROG " --help'.\n", what, arg);
	exit(EXIT_USAGE);
}

static noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static noreturn void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_FAIL);
}

struct conn {
	const char *path;
	int fd;
};

/* One packet of exactly len bytes into out; with fd_out exactly one
 * descriptor must come with it, else none. 0, -ECONNRESET (the helper
 * closed), -EPROTO (anything else it sent), or -errno. */
static int recv_exact(struct conn *c, void *out, size_t len, int *fd_out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = out, .iov_len = len};
	struct msghdr msg;
	int fds[PROTO_FDS_MAX], err;
	size_t nfds;
	ssize_t n;

	if ((err = clock_wait_fd(c->fd, POLLIN, clock_ms() + CTL_TIMEOUT_MS)))
		return err;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(c->fd, &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if (proto_frame_check(&msg, (size_t)n, len, fd_out ? 1 : 0, fds, &nfds)) {
		while (nfds)
			close(fds[--nfds]);
		return -EPROTO;
	}
	if (fd_out)
		*fd_out = fds[0];
	return 0;
}

static noreturn void fail_recv(const struct conn *c, int err)
{
	if (err == -ECONNRESET)
		fail("the helper at %s closed the connection: it accepts only root, its own "
		     "user and its socket group",
		     c->path);
	if (err == -EPROTO)
		fail("the helper at %s sent a malformed reply (an autowg-helper of another "
		     "version?)",
		     c->path);
	fail("no reply from the helper at %s: %s", c->path, strerror(-err));
}

/* What the operator can do about a failed connect. */
static const char *connect_hint(int err)
{
	if (err == EACCES || err == EPERM)
		return " (autowg-ctl must run as root)";
	if (err == ENOENT || err == ECONNREFUSED)
		return " (is autowg-helper running? each interface's helper has its own socket: "
		       "--socket /run/autowg/INTERFACE/helper.sock)";
	if (err == EAGAIN)
		return " (the helper is not accepting connections: busy or stuck)";
	return "";
}

/* Connect and take the hello. The table's descriptor is closed at once:
 * autowg-ctl asks the helper for everything. */
static void conn_open(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct msg_hello hello;
	int tfd = -1, err;

	if (strlen(c->path) > AWG_SOCKET_PATH_MAX || !c->path[0])
		bad_usage("--socket: not a socket path: ", c->path);
	memcpy(sa.sun_path, c->path, strlen(c->path));
	/* non-blocking: a unix connect waits on a full backlog (a stuck helper) */
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		fail("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		fprintf(stderr, PROG ": cannot connect to %s: %s%s\n", c->path, strerror(err),
			connect_hint(err));
		exit(EXIT_FAIL);
	}
	err = recv_exact(c, &hello, sizeof(hello), &tfd);
	if (err)
		fail_recv(c, err);
	close(tfd);
	if (hello.type != MSG_HELLO || hello.version != PROTO_VERSION)
		fail_recv(c, -EPROTO);
}

static void conn_send(const struct conn *c, const void *m, size_t len)
{
	if (send(c->fd, m, len, MSG_NOSIGNAL) != (ssize_t)len)
		fail("cannot send to the helper at %s: %s", c->path, strerror(errno));
}

/* The refusals every reply can carry; returns for CTL_OK only. */
static void check_result(const struct conn *c, uint32_t result, const char *reason,
			 const char *name)
{
	if (result == CTL_OK)
		return;
	if (result == CTL_NOT_FOUND) {
		fprintf(stderr, PROG ": %s: %s\n", name, reason);
		exit(EXIT_NOT_FOUND);
	}
	if (result == CTL_DENIED)
		fail("the helper at %s refused: %s", c->path, reason);
	fail("%s: %s", name, reason);
}

/* Names come from certificates: bytes that would break a line or a column
 * are shown as \xHH. */
static void print_name(const char *name)
{
	char shown[4 * AWG_NAME_MAX + 1];

	fputs(text_escape(name, AWG_NAME_MAX, shown, sizeof(shown), TEXT_KEEP_8BIT), stdout);
}

static const char *time_text(int64_t t, char out[TIME_TEXT_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0)
		return "never";
	if (!gmtime_r(&tt, &tm) || !strftime(out, TIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, TIME_TEXT_MAX, "%lld", (long long)t);
	return out;
}

static bool peer_ok(const struct ctl_peer *p)
{
	return proto_string_ok(p->name, sizeof(p->name)) && p->name[0];
}

static void print_line(const struct ctl_peer *p)
{
	char addr[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];
	char t1[TIME_TEXT_MAX], t2[TIME_TEXT_MAX];

	addr6_format(p->addr, addr);
	key_format(p->key, key);
	print_name(p->name);
	printf("\t%s\t%s\t%s\t%s\n", addr, key, time_text(p->created, t1),
	       time_text(p->last_handshake, t2));
}

static void print_peer(const struct ctl_peer *p)
{
	char addr[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];
	char t[TIME_TEXT_MAX];

	addr6_format(p->addr, addr);
	key_format(p->key, key);
	printf("name=");
	print_name(p->name);
	printf("\nip=%s\npubkey=%s\n", addr, key);
	printf("created=%s\n", time_text(p->created, t));
	printf("last_handshake=%s\n", time_text(p->last_handshake, t));
	printf("rx_bytes=%llu\ntx_bytes=%llu\nkey_changes=%llu\n", (unsigned long long)p->rx_bytes,
	       (unsigned long long)p->tx_bytes, (unsigned long long)p->key_changes);
}

static void cmd_list(struct conn *c)
{
	static struct msg_ctl_list_reply r;
	struct msg_ctl_list m = {.type = MSG_CTL_LIST};
	uint32_t i;
	int err;

	do {
		conn_send(c, &m, sizeof(m));
		if ((err = recv_exact(c, &r, sizeof(r), NULL)))
			fail_recv(c, err);
		if (r.type != MSG_CTL_LIST_REPLY || r.count > CTL_LIST_PAGE ||
		    (r.result != CTL_OK && r.result != CTL_DENIED) ||
		    (r.next && (r.next <= m.cursor || r.next >= AWG_MAX_PEERS_LIMIT)))
			fail_recv(c, -EPROTO);
		check_result(c, r.result, ctl_result_reason(r.result), "list");
		for (i = 0; i < r.count; i++)
			if (!peer_ok(&r.peer[i]))
				fail_recv(c, -EPROTO);
		for (i = 0; i < r.count; i++)
			print_line(&r.peer[i]);
		m.cursor = r.next;
	} while (m.cursor);
}

static void cmd_name(struct conn *c, uint32_t type, const char *name)
{
	struct msg_ctl_name m;
	struct msg_ctl_peer_reply r;
	char addr[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];
	int err;

	memset(&m, 0, sizeof(m));
	m.type = type;
	memcpy(m.name, name, strlen(name));
	conn_send(c, &m, sizeof(m));
	if ((err = recv_exact(c, &r, sizeof(r), NULL)))
		fail_recv(c, err);
	if (r.type != MSG_CTL_PEER_REPLY || r.result >= CTL_RESULT_COUNT ||
	    !proto_string_ok(r.reason, sizeof(r.reason)) || strchr(r.reason, '\n') ||
	    (r.result == CTL_OK && (!peer_ok(&r.peer) || strcmp(r.peer.name, name))))
		fail_recv(c, -EPROTO);
	check_result(c, r.result, r.reason, name);
	if (type == MSG_CTL_SHOW) {
		print_peer(&r.peer);
		return;
	}
	addr6_format(r.peer.addr, addr);
	key_format(r.peer.key, key);
	printf("removed ");
	print_name(r.peer.name);
	printf(" %s key %s\n", addr, key);
}

/* A name as the helper's CN pattern gives it: 1 to AWG_NAME_MAX bytes, no
 * control characters (the helper refuses those in a CN). */
static const char *name_arg(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > AWG_NAME_MAX)
		bad_usage("NAME must be 1 to 63 bytes: ", name);
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			bad_usage("NAME has a control character", "");
	return name;
}

enum { OPT_SOCKET = 256, OPT_HELP, OPT_VERSION };

static const struct option long_opts[] = {
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
	const char *env = getenv("AUTOWG_SOCKET"), *cmd;
	struct conn c = {.path = env && env[0] ? env : HELPER_SOCKET_DEFAULT, .fd = -1};
	int opt, want;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			c.path = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			puts(PROG " " AUTOWG_VERSION);
			return 0;
		case ':':
			bad_usage("a value is missing for ", argv[optind - 1]);
		default:
			bad_usage("unknown option ", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		bad_usage("a command is missing: list, show NAME or remove NAME", "");
	cmd = argv[optind++];
	want = !strcmp(cmd, "list") ? 0 : !strcmp(cmd, "show") || !strcmp(cmd, "remove") ? 1 : -1;
	if (want < 0)
		bad_usage("unknown command (list, show NAME or remove NAME): ", cmd);
	if (argc - optind != want)
		bad_usage(want ? "exactly one NAME after " : "no argument after ", cmd);
	if (want)
		name_arg(argv[optind]);
	conn_open(&c);
	if (!want)
		cmd_list(&c);
	else
		cmd_name(&c, !strcmp(cmd, "show") ? MSG_CTL_SHOW : MSG_CTL_REMOVE, argv[optind]);
	close(c.fd);
	if (fflush(stdout) || ferror(stdout))
		fail("cannot write the answer: %s", strerror(errno));
	return 0;
}
