/* SPDX-License-Identifier: MIT */
/*
 * awg-call: a test client for autowg-helper's socket.
 *   awg-call SOCK register CN KEYB64   -> "<status> <result> <name> <addr> <reason>"
 *   awg-call SOCK refresh              -> "<result>"
 *   awg-call SOCK table                -> settings and every used entry
 *   awg-call SOCK raw HEX...           -> one packet per HEX; "reply ..." or "closed" each
 *   awg-call SOCK flood N              -> hold N connections until killed
 *   awg-call SOCK map-write            -> try to write the table; "refused" is the good answer
 *   awg-call SOCK bench N PREFIX [START] -> register CNs PREFIX<START..START+N-1> with
 *                                          fresh keys (ok or replaced); print the
 *                                          median round trip
 *   awg-call SOCK fill N PREFIX [START]  -> the same from FILL_CONNS connections at
 *                                          once (the helper batches them, as it does
 *                                          a fleet restarting); print the rate
 * Exit 0 when the helper answered as a helper should, 1 otherwise, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../core/addr.h"
#include "../../core/key.h"
#include "../../core/proto.h"
#include "../../core/table.h"

#define RAW_MAX	      PROTO_LIST_FRAME_MAX /* bytes in one raw packet: a list reply fits */
#define REPLY_WAIT_MS 3000		   /* how long raw waits to see a reply or a close */
#define FLOOD_MAX     100000
#define BENCH_MAX     1000000
#define FILL_CONNS    64 /* a loop turn's batch of the helper (REGISTRY_GROUP_MAX) */

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "awg-call: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int connect_to(const char *path, bool quiet)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (quiet) {
			close(fd);
			return -1;
		}
		die("connect");
	}
	return fd;
}

/* MSG_HELLO and its descriptor; -1 when the helper closed instead. */
static int recv_hello(int fd, struct msg_hello *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = h, .iov_len = sizeof(*h)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	int tfd = -1;
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

	if (n != (ssize_t)sizeof(*h) || h->type != MSG_HELLO || h->version != PROTO_VERSION)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&tfd, CMSG_DATA(cm), sizeof(int));
	return tfd;
}

static int session(const char *path, struct msg_hello *h)
{
	int fd = connect_to(path, false), tfd = recv_hello(fd, h);

	if (tfd < 0) {
		fprintf(stderr, "awg-call: no MSG_HELLO with a descriptor (refused?)\n");
		exit(1);
	}
	close(tfd);
	return fd;
}

static bool do_register(int fd, const char *cn, const uint8_t key[AWG_KEY_LEN],
			struct msg_register_reply *r)
{
	struct msg_register m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_REGISTER;
	snprintf(m.cn, sizeof(m.cn), "%s", cn);
	memcpy(m.key, key, AWG_KEY_LEN);
	if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
		return false;
	return recv(fd, r, sizeof(*r), 0) == (ssize_t)sizeof(*r) && r->type == MSG_REGISTER_REPLY;
}

static int cmd_register(const char *path, const char *cn, const char *keytext)
{
	struct msg_register_reply r;
	struct msg_hello h;
	uint8_t key[AWG_KEY_LEN] = {0};
	char addr[AWG_ADDR_TEXT_MAX + 1];
	const char *why;
	int fd = session(path, &h);

	/* A malformed key goes as zeros: the helper must refuse it. */
	if (!key_parse(keytext, strlen(keytext), key, &why))
		memset(key, 0, sizeof(key));
	if (!do_register(fd, cn, key, &r)) {
		printf("closed\n");
		return 1;
	}
	r.name[sizeof(r.name) - 1] = r.reason[sizeof(r.reason) - 1] = '\0';
	addr6_format(r.addr, addr);
	printf("%d %s %s %s %s\n", reg_result_status(r.result),
	       reg_result_name(r.result) ? reg_result_name(r.result) : "?",
	       r.name[0] ? r.name : "-", addr, r.reason);
	return 0;
}

static int cmd_refresh(const char *path)
{
	struct msg_refresh m = {.type = MSG_REFRESH};
	struct msg_refresh_reply r;
	struct msg_hello h;
	int fd = session(path, &h);

	if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m) ||
	    recv(fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r) || r.type != MSG_REFRESH_REPLY) {
		printf("closed\n");
		return 1;
	}
	printf("%s\n", reg_result_name(r.result) ? reg_result_name(r.result) : "?");
	return 0;
}

static const void *map_table(const char *path, size_t *size)
{
	struct msg_hello h;
	int fd = connect_to(path, false), tfd = recv_hello(fd, &h);
	void *p;

	if (tfd < 0)
		die("no table descriptor");
	p = mmap(NULL, h.table_size, PROT_READ, MAP_SHARED, tfd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	*size = h.table_size;
	close(tfd);
	close(fd);
	return p;
}

static int cmd_table(const char *path)
{
	struct table_settings s;
	struct table_entry e;
	size_t size;
	const void *base = map_table(path, &size);
	const char *why = NULL;
	uint32_t i, hw;
	char addr[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];

	if (!table_check(base, size, &why) || !table_read_settings(base, size, &s)) {
		printf("bad table: %s\n", why ? why : "settings unreadable");
		return 1;
	}
	printf("interface=%s\npool=%s\nroute=%s\nendpoint=%s\npubkey=%s\nhttp_prefix=%s\n"
	       "cn_pattern=%s\nkeepalive=%u\nconverter=%u\nup=%u\nstarted=%lld\n"
	       "stats_refreshed=%lld\n",
	       s.interface, s.pool, s.route, s.endpoint, s.pubkey, s.http_prefix, s.cn_pattern,
	       s.keepalive, s.converter, s.up, (long long)s.started, (long long)s.stats_refreshed);
	hw = table_high_water(base, size);
	for (i = 0; i < hw; i++) {
		enum table_read rd = table_read_entry(base, size, i, &e);

		if (rd == TABLE_READ_TORN) {
			printf("entry %u torn\n", i);
			continue;
		}
		if (rd != TABLE_READ_OK)
			continue;
		addr6_format(e.addr, addr);
		key_format(e.key, key);
		printf("entry %s %s %s created=%lld handshake=%lld rx=%llu tx=%llu\n", e.name, addr,
		       key, (long long)e.created, (long long)e.last_handshake,
		       (unsigned long long)e.rx_bytes, (unsigned long long)e.tx_bytes);
	}
	return 0;
}

static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

/* After each packet: a reply, a close, or silence. */
static int cmd_raw(const char *path, int argc, char **argv)
{
	static unsigned char pkt[RAW_MAX], in[RAW_MAX];
	struct msg_hello h;
	int fd = session(path, &h), i;

	for (i = 0; i < argc; i++) {
		size_t n = unhex(argv[i], pkt, sizeof(pkt));
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t got;
		uint32_t type = 0;

		if (send(fd, pkt, n, MSG_NOSIGNAL) != (ssize_t)n) {
			printf("packet %d: closed (send: %s)\n", i + 1, strerror(errno));
			return 0;
		}
		if (poll(&p, 1, REPLY_WAIT_MS) == 0) {
			printf("packet %d: no answer\n", i + 1);
			continue;
		}
		got = recv(fd, in, sizeof(in), 0);
		if (got <= 0) {
			printf("packet %d: closed\n", i + 1);
			return 0;
		}
		memcpy(&type, in, got >= 4 ? 4 : 0);
		printf("packet %d: reply type %u, %zd bytes\n", i + 1, type, got);
	}
	return 0;
}

static _Noreturn void cmd_flood(const char *path, long n)
{
	struct rlimit rl;
	long i, ok = 0;

	/* one descriptor per connection */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 16 ? rl.rlim_max : (rlim_t)n + 16;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < n; i++) {
		int fd = connect_to(path, true);

		if (fd >= 0)
			ok++;
	}
	printf("flood: %ld of %ld connected\n", ok, n);
	fflush(stdout);
	for (;;)
		pause();
}

/* Every road to a writable shared mapping must be closed. */
static int cmd_map_write(const char *path)
{
	struct msg_hello h;
	int fd = connect_to(path, false), tfd = recv_hello(fd, &h), rw, bad = 0;
	char proc[64];
	void *p;

	if (tfd < 0)
		die("no table descriptor");
	p = mmap(NULL, h.table_size, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	printf("mmap PROT_WRITE MAP_SHARED: %s\n", p == MAP_FAILED ? strerror(errno) : "ALLOWED");
	bad += p != MAP_FAILED;
	p = mmap(NULL, h.table_size, PROT_READ, MAP_SHARED, tfd, 0);
	if (p == MAP_FAILED)
		die("mmap read-only");
	if (mprotect(p, h.table_size, PROT_READ | PROT_WRITE) == 0) {
		printf("mprotect PROT_WRITE: ALLOWED\n");
		bad++;
	} else {
		printf("mprotect PROT_WRITE: %s\n", strerror(errno));
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
	rw = open(proc, O_RDWR);
	if (rw < 0) {
		printf("re-open read-write: %s\n", strerror(errno));
	} else {
		p = mmap(NULL, h.table_size, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
		printf("re-opened read-write, mmap PROT_WRITE MAP_SHARED: %s\n",
		       p == MAP_FAILED ? strerror(errno) : "ALLOWED");
		bad += p != MAP_FAILED;
		if (pwrite(rw, "x", 1, 0) == 1) {
			printf("re-opened read-write, pwrite: ALLOWED\n");
			bad++;
		} else {
			printf("re-opened read-write, pwrite: %s\n", strerror(errno));
		}
	}
	printf("map-write: %s\n", bad ? "WRITABLE" : "refused");
	return bad ? 1 : 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* N registrations with fresh keys over one connection: new names, or
 * known ones replaced. */
static int cmd_bench(const char *path, long n, const char *prefix, long start)
{
	struct msg_register_reply r;
	struct msg_hello h;
	long long *t = calloc((size_t)n, sizeof(*t));
	uint8_t key[AWG_KEY_LEN];
	char cn[AWG_CN_MAX + 1];
	long i, failed = 0;
	int fd = session(path, &h);

	if (!t || sodium_init() < 0)
		die("setup");
	for (i = 0; i < n; i++) {
		long long t0;

		snprintf(cn, sizeof(cn), "%s%ld", prefix, start + i);
		randombytes_buf(key, sizeof(key));
		t0 = now_ns();
		if (!do_register(fd, cn, key, &r)) {
			printf("bench: connection closed at %ld\n", i);
			return 1;
		}
		t[i] = now_ns() - t0;
		/* a known name gets the new key: replaced, as good as a new one */
		if (r.result != REG_OK && r.result != REG_REPLACED && failed++ < 3)
			printf("bench: %s: %s\n", cn, reg_result_name(r.result));
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_ll);
	printf("bench: %ld registrations, %ld refused, median %.1f us, p90 %.1f us, max %.1f us\n",
	       n, failed, t[n / 2] / 1e3, t[n * 9 / 10] / 1e3, t[n - 1] / 1e3);
	free(t);
	return failed ? 1 : 0;
}

/* N registrations from FILL_CONNS connections, one in flight on each. */
static int cmd_fill(const char *path, long n, const char *prefix, long start)
{
	struct pollfd pfd[FILL_CONNS];
	struct msg_register_reply r;
	struct msg_register m;
	struct msg_hello h;
	long sent = 0, done = 0, failed = 0;
	long long t0 = now_ns();
	int i, conns = n < FILL_CONNS ? (int)n : FILL_CONNS;

	if (sodium_init() < 0)
		die("setup");
	for (i = 0; i < conns; i++)
		pfd[i] = (struct pollfd){.fd = session(path, &h), .events = POLLIN};
	memset(&m, 0, sizeof(m));
	m.type = MSG_REGISTER;
	for (i = 0; i < conns; i++, sent++) {
		memset(m.cn, 0, sizeof(m.cn));
		snprintf(m.cn, sizeof(m.cn), "%s%ld", prefix, start + sent);
		randombytes_buf(m.key, sizeof(m.key));
		if (send(pfd[i].fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			die("send");
	}
	while (done < n) {
		if (poll(pfd, (nfds_t)conns, REPLY_WAIT_MS * 10) <= 0) {
			printf("fill: no reply after %ld of %ld\n", done, n);
			return 1;
		}
		for (i = 0; i < conns; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (recv(pfd[i].fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r) ||
			    r.type != MSG_REGISTER_REPLY) {
				printf("fill: connection closed after %ld\n", done);
				return 1;
			}
			done++;
			if (r.result != REG_OK && failed++ < 3)
				printf("fill: %s\n", reg_result_name(r.result));
			if (sent == n) {
				pfd[i].events = 0;
				continue;
			}
			memset(m.cn, 0, sizeof(m.cn));
			snprintf(m.cn, sizeof(m.cn), "%s%ld", prefix, start + sent++);
			randombytes_buf(m.key, sizeof(m.key));
			if (send(pfd[i].fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
				die("send");
		}
	}
	printf("fill: %ld registrations, %ld refused, %.0f a second\n", n, failed,
	       n / ((now_ns() - t0) / 1e9));
	return failed ? 1 : 0;
}

static long arg_long(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > max) {
		fprintf(stderr, "awg-call: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		goto usage;
	if (!strcmp(argv[2], "register") && argc == 5)
		return cmd_register(argv[1], argv[3], argv[4]);
	if (!strcmp(argv[2], "refresh") && argc == 3)
		return cmd_refresh(argv[1]);
	if (!strcmp(argv[2], "table") && argc == 3)
		return cmd_table(argv[1]);
	if (!strcmp(argv[2], "raw") && argc >= 4)
		return cmd_raw(argv[1], argc - 3, argv + 3);
	if (!strcmp(argv[2], "flood") && argc == 4)
		cmd_flood(argv[1], arg_long(argv[3], FLOOD_MAX));
	if (!strcmp(argv[2], "map-write") && argc == 3)
		return cmd_map_write(argv[1]);
	if (!strcmp(argv[2], "bench") && (argc == 5 || argc == 6) && arg_long(argv[3], BENCH_MAX))
		return cmd_bench(argv[1], arg_long(argv[3], BENCH_MAX), argv[4],
				 argc == 6 ? arg_long(argv[5], BENCH_MAX) : 0);
	if (!strcmp(argv[2], "fill") && (argc == 5 || argc == 6) && arg_long(argv[3], BENCH_MAX))
		return cmd_fill(argv[1], arg_long(argv[3], BENCH_MAX), argv[4],
				argc == 6 ? arg_long(argv[5], BENCH_MAX) : 0);
usage:
	fprintf(stderr, "usage: awg-call SOCK register CN KEY | refresh | table | raw HEX... | "
			"flood N | map-write | bench N PREFIX [START] | fill N PREFIX [START]\n");
	return 2;
}
