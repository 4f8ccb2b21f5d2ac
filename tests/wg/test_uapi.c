/* SPDX-License-Identifier: MIT */
/*
 * The userspace backend against a fake UAPI daemon: what a broken, stuck or
 * hostile wireguard-go could send. The fake listens in a private
 * WG_SOCKET_DIR, answers each request with a scripted reply (or never),
 * and saves every request so the exact text we send can be checked. Like
 * wireguard-go it can answer several requests on one connection (FAKE_KEEP);
 * FAKE_REPLY closes the connection after each reply, as a daemon that drops
 * idle connections would.
 */
#include "../unit.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "../../wg/wg.h"

#define REQ_MAX (4u << 20) /* largest request the fake keeps */

/* room for a subdirectory: unchanged_never_on_a_noatime_mount */
static char dir[64] = "/tmp/autowg-uapi.XXXXXX";

enum fake_mode { FAKE_REPLY, FAKE_HANG, FAKE_KEEP };

struct fake {
	pid_t pid;
	char name[16];
};

/* FAKE_KEEP: when set, the second request on a connection gets this reply
 * instead, and the connection is closed after it. */
static const char *fake_second_reply;
/* Prefix of the files the next fake writes; the interface name when NULL. */
static const char *fake_tag;
/* As fake_second_reply: never answer the second request. */
static const char fake_hang[] = "(hang)";

static void save_file(const char *name, const char *what, int i, const char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s%d", dir, name, what, i);
	f = fopen(path, "w");
	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

/* Read one request: up to the blank line that ends it, or EOF. */
static size_t read_request(int fd, char *buf)
{
	size_t len = 0;

	while (len < REQ_MAX) {
		ssize_t n = read(fd, buf + len, REQ_MAX - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
			break;
	}
	return len;
}

/* Requests are numbered across connections (name.reqN); name.conns0 holds
 * the number of connections accepted so far. Like wireguard-go it serves
 * several connections at once (poll), each request read whole. */
static void fake_serve(int lfd, const char *name, const char *reply, enum fake_mode mode)
{
	enum { CONNS = 8 };
	struct pollfd p[1 + CONNS] = {{.fd = lfd, .events = POLLIN}};
	int served[1 + CONNS] = {0}, req = 0, conn = 0;
	char *buf = malloc(REQ_MAX), n[16];

	for (int i = 1; i <= CONNS; i++)
		p[i] = (struct pollfd){.fd = -1, .events = POLLIN};
	while (buf && poll(p, 1 + CONNS, -1) > 0) {
		for (int i = 1; i <= CONNS; i++) {
			const char *r = reply;
			size_t len;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			len = read_request(p[i].fd, buf);
			if (len > 0) {
				save_file(name, "req", req++, buf, len);
				if (mode == FAKE_HANG)
					pause();
				if (mode == FAKE_KEEP && served[i] == 1 && fake_second_reply)
					r = fake_second_reply;
				if (r == fake_hang)
					pause();
				served[i]++;
			}
			/* EOF, or a reply after which the connection ends. */
			if (len == 0 || write(p[i].fd, r, strlen(r)) < 0 || mode == FAKE_REPLY ||
			    r != reply) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		if (p[0].revents) {
			int fd = accept(lfd, NULL, NULL), i;

			if (fd < 0)
				break;
			for (i = 1; i <= CONNS && p[i].fd >= 0; i++)
				;
			if (i > CONNS)
				break;
			p[i].fd = fd;
			served[i] = 0;
			snprintf(n, sizeof(n), "%d", ++conn);
			save_file(name, "conns", 0, n, strlen(n));
		}
	}
	_exit(0);
}

/* A fake daemon for interface `name`; the socket exists when this returns. */
static void fake_start(struct fake *f, const char *name, const char *reply, enum fake_mode mode)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s.sock", dir, name);
	unlink(addr.sun_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		fake_serve(lfd, fake_tag ? fake_tag : name, reply, mode);
	close(lfd);
}

static void fake_stop(struct fake *f)
{
	char path[256];

	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	snprintf(path, sizeof(path), "%s/%s.sock", dir, f->name);
	unlink(path);
}

/* Request number i that the fake saw, NUL-terminated (caller frees), or NULL. */
static char *request(const char *name, int i)
{
	char path[256], *buf = calloc(1, REQ_MAX + 1);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.req%d", dir, name, i);
	f = fopen(path, "r");
	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	if (fread(buf, 1, REQ_MAX, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static int get_with_reply(const char *name, const char *reply, struct wg_device **dev)
{
	struct fake f;
	int ret;

	*dev = NULL;
	fake_start(&f, name, reply, FAKE_REPLY);
	ret = wg_userspace_ops.get_device(name, dev);
	fake_stop(&f);
	return ret;
}

static void expect_get_error(const char *name, const char *reply, int want)
{
	struct wg_device *dev = (struct wg_device *)1;
	int ret = get_with_reply(name, reply, &dev);

	if (ret != want)
		fail_msg("reply \"%.60s...\": got %s, want %s", reply, strerror(-ret),
			 strerror(-want));
	assert_null(dev);
}

#define KEY_A "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
#define KEY_B "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

static void get_reads_device_and_peers(void **state)
{
	uint8_t priv[32], pub[32];
	char hex[65], reply[1024], *req;
	struct wg_device *dev = NULL;

	randombytes_buf(priv, sizeof(priv));
	crypto_scalarmult_base(pub, priv);
	sodium_bin2hex(hex, sizeof(hex), priv, sizeof(priv));
	snprintf(reply, sizeof(reply),
		 "private_key=%s\nlisten_port=51820\nfwmark=0\n"
		 "public_key=" KEY_A "\npreshared_key=%064d\nprotocol_version=1\n"
		 "endpoint=[fd00::1]:1234\nlast_handshake_time_sec=1700000000\n"
		 "last_handshake_time_nsec=5\ntx_bytes=456\nrx_bytes=123\n"
		 "persistent_keepalive_interval=25\nallowed_ip=10.1.0.0/16\n"
		 "allowed_ip=fd00:1::7/128\n"
		 "public_key=" KEY_B "\nsome_future_key=whatever\nerrno=0\n\n",
		 hex, 0);
	assert_int_equal(get_with_reply("fget", reply, &dev), 0);
	req = request("fget", 0);
	assert_non_null(req);
	assert_string_equal(req, "get=1\n\n");
	free(req);
	assert_string_equal(dev->ifname, "fget");
	assert_int_equal(dev->flags, WG_DEVICE_HAS_PUBLIC_KEY | WG_DEVICE_HAS_PRIVATE_KEY |
					 WG_DEVICE_HAS_LISTEN_PORT);
	assert_memory_equal(dev->public_key, pub, 32);
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->n_peers, 2);
	assert_int_equal(dev->peers[0].key[0], 0x01);
	assert_int_equal(dev->peers[0].key[31], 0x20);
	assert_int_equal(dev->peers[0].last_handshake, 1700000000);
	assert_int_equal(dev->peers[0].rx_bytes, 123);
	assert_int_equal(dev->peers[0].tx_bytes, 456);
	assert_int_equal(dev->peers[0].n_ips, 2);
	assert_int_equal(dev->peers[0].ips[0].family, AF_INET);
	assert_int_equal(dev->peers[0].ips[0].cidr, 16);
	assert_memory_equal(dev->peers[0].ips[0].addr, "\x0a\x01\x00\x00", 4);
	assert_int_equal(dev->peers[0].ips[1].family, AF_INET6);
	assert_int_equal(dev->peers[0].ips[1].cidr, 128);
	assert_int_equal(dev->peers[0].ips[1].addr[15], 7);
	assert_int_equal(dev->peers[1].key[0], 0xa0);
	assert_int_equal(dev->peers[1].n_ips, 0);
	wg_device_free(dev);
}

static void get_without_private_key_has_no_key(void **state)
{
	struct wg_device *dev = NULL;

	assert_int_equal(get_with_reply("fnokey", "listen_port=1\nerrno=0\n\n", &dev), 0);
	assert_int_equal(dev->flags, WG_DEVICE_HAS_LISTEN_PORT);
	assert_int_equal(dev->n_peers, 0);
	wg_device_free(dev);
}

static void get_truncated_before_errno_is_eproto(void **state)
{
	expect_get_error("ftrunc", "listen_port=1\npublic_key=" KEY_A "\nallowed_ip=10.0.0.0/8\n",
			 -EPROTO);
	expect_get_error("ftrunc2", "listen_port=1\npublic_key=" KEY_A "\nallowed_i", -EPROTO);
}

static void get_without_final_blank_line_is_eproto(void **state)
{
	expect_get_error("fnoblank", "listen_port=1\nerrno=0\n", -EPROTO);
	expect_get_error("fempty", "", -EPROTO);
	expect_get_error("fnoerrno", "listen_port=1\n\n", -EPROTO);
}

static void get_remote_errno_is_returned(void **state)
{
	expect_get_error("ferrneg", "errno=-22\n\n", -EINVAL); /* wireguard-go */
	expect_get_error("ferrpos", "errno=5\n\n", -EIO);
	expect_get_error("ferrbig", "errno=99999\n\n", -EPROTO);
	expect_get_error("ferrtxt", "errno=x\n\n", -EPROTO);
}

static void get_malformed_lines_are_eproto(void **state)
{
	char longline[700];

	expect_get_error("fnoeq", "listen_port=1\ngarbage\nerrno=0\n\n", -EPROTO);
	expect_get_error("fcidr", "public_key=" KEY_A "\nallowed_ip=fd00::1/129\nerrno=0\n\n",
			 -EPROTO);
	expect_get_error("fcidr4", "public_key=" KEY_A "\nallowed_ip=10.0.0.0/33\nerrno=0\n\n",
			 -EPROTO);
	expect_get_error("faddr", "public_key=" KEY_A "\nallowed_ip=10.0.0/8\nerrno=0\n\n",
			 -EPROTO);
	expect_get_error("fkey", "public_key=0102\nerrno=0\n\n", -EPROTO);
	expect_get_error("fkeyx", "public_key=" KEY_A "x\nerrno=0\n\n", -EPROTO);
	expect_get_error("fport", "listen_port=65536\nerrno=0\n\n", -EPROTO);
	expect_get_error("frx", "public_key=" KEY_A "\nrx_bytes=-1\nerrno=0\n\n", -EPROTO);
	expect_get_error("fafter", "errno=0\nlisten_port=1\n\n", -EPROTO);
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "x=", 2);
	memcpy(longline + sizeof(longline) - 12, "\nerrno=0\n\n", 11);
	expect_get_error("flong", longline, -EPROTO);
}

static void stuck_daemon_times_out(void **state)
{
	struct wg_device *dev = NULL;
	struct timespec t0, t1;
	struct fake f;
	double s;
	int ret;

	fake_start(&f, "fhang", "", FAKE_HANG);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_userspace_ops.get_device("fhang", &dev);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fake_stop(&f);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(ret, -ETIMEDOUT);
	assert_null(dev);
	if (s < 1.5 || s > 4)
		fail_msg("timed out after %.2f s, want about 2 s", s);
}

static void missing_or_stale_socket_is_enodev(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct wg_device *dev = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_int_equal(wg_userspace_ops.get_device("fnone", &dev), -ENODEV);
	/* A socket file nobody listens on: what a crashed daemon leaves. */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/fstale.sock", dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(wg_userspace_ops.get_device("fstale", &dev), -ENODEV);
	unlink(addr.sun_path);
	assert_null(dev);
}

static struct wg_change change(enum wg_change_op op, uint8_t fill, uint16_t host)
{
	struct wg_change ch = {.op = op};

	memset(ch.key, fill, sizeof(ch.key));
	ch.addr[0] = 0xfd;
	ch.addr[14] = (uint8_t)(host >> 8);
	ch.addr[15] = (uint8_t)host;
	return ch;
}

static void apply_sends_exact_text(void **state)
{
	struct wg_change ch[2] = {change(WG_CHANGE_REMOVE, 0x11, 0),
				  change(WG_CHANGE_SET, 0x22, 5)};
	struct fake f;
	char *req;

	fake_start(&f, "fset", "errno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fset", ch, 2), 0);
	fake_stop(&f);
	req = request("fset", 0);
	assert_non_null(req);
	assert_string_equal(
	    req, "set=1\n"
		 "public_key=1111111111111111111111111111111111111111111111111111111111111111\n"
		 "remove=true\n"
		 "public_key=2222222222222222222222222222222222222222222222222222222222222222\n"
		 "replace_allowed_ips=true\n"
		 "allowed_ip=fd00::5/128\n"
		 "\n");
	free(req);
}

static void apply_remote_error_is_returned(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x33, 1);
	struct fake f;

	fake_start(&f, "fseterr", "errno=-22\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fseterr", &ch, 1), -EINVAL);
	fake_stop(&f);
	fake_start(&f, "fsetjunk", "listen_port=1\nerrno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fsetjunk", &ch, 1), -EPROTO);
	fake_stop(&f);
	fake_start(&f, "fsetcut", "errno=0\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fsetcut", &ch, 1), -EPROTO);
	fake_stop(&f);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void apply_splits_large_lists(void **state)
{
	enum { N = 2500 };
	struct wg_change *ch = calloc(N, sizeof(*ch));
	const int want[] = {1000, 1000, 500};
	struct fake f;

	assert_non_null(ch);
	for (int i = 0; i < N; i++)
		ch[i] = change(WG_CHANGE_SET, (uint8_t)i, (uint16_t)i);
	fake_start(&f, "fbig", "errno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_userspace_ops.apply("fbig", ch, N), 0);
	fake_stop(&f);
	for (int i = 0; i < 3; i++) {
		char *req = request("fbig", i);

		assert_non_null(req);
		assert_int_equal(count(req, "public_key="), want[i]);
		assert_int_equal(strncmp(req, "set=1\n", 6), 0);
		free(req);
	}
	assert_null(request("fbig", 3));
	free(ch);
}

static void apply_refuses_unknown_op_before_sending(void **state)
{
	struct wg_change ch[2] = {change(WG_CHANGE_SET, 0x44, 1), change(WG_CHANGE_SET, 0x45, 2)};
	struct fake f;

	ch[1].op = (enum wg_change_op)7;
	fake_start(&f, "fbadop", "errno=0\n\n", FAKE_REPLY);
	assert_int_equal(wg_apply(&wg_userspace_ops, "fbadop", ch, 2), -EINVAL);
	fake_stop(&f);
	assert_null(request("fbadop", 0));
}

/* Connections the fake for name accepted. */
static int conns(const char *name)
{
	char path[256];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "%s/%s.conns0", dir, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void expect_request(const char *name, int i, const char *prefix)
{
	char *req = request(name, i);

	if (!prefix) {
		if (req)
			fail_msg("%s: unexpected request %d: %.40s", name, i, req);
		return;
	}
	if (!req || strncmp(req, prefix, strlen(prefix)))
		fail_msg("%s: request %d: want \"%s...\", got \"%.40s\"", name, i, prefix,
			 req ? req : "(none)");
	free(req);
}

static void get_ok(const char *name)
{
	struct wg_device *dev = NULL;

	assert_int_equal(wg_userspace_ops.get_device(name, &dev), 0);
	assert_non_null(dev);
	wg_device_free(dev);
}

static void requests_share_one_connection(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x51, 1);
	struct fake f;

	fake_start(&f, "fkeep", "errno=0\n\n", FAKE_KEEP);
	get_ok("fkeep");
	assert_int_equal(wg_userspace_ops.apply("fkeep", &ch, 1), 0);
	get_ok("fkeep");
	fake_stop(&f);
	assert_int_equal(conns("fkeep"), 1);
	expect_request("fkeep", 0, "get=1\n\n");
	expect_request("fkeep", 1, "set=1\npublic_key=5151");
	expect_request("fkeep", 2, "get=1\n\n");
	expect_request("fkeep", 3, NULL);
}

static void closed_connection_reconnects(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x52, 1);
	struct fake f;

	/* The daemon closes after every reply: each call finds the kept
	 * connection dead and goes again, transparently, on a new one. */
	fake_start(&f, "fclose", "errno=0\n\n", FAKE_REPLY);
	get_ok("fclose");
	assert_int_equal(wg_userspace_ops.apply("fclose", &ch, 1), 0);
	get_ok("fclose");
	fake_stop(&f);
	assert_int_equal(conns("fclose"), 3);
	expect_request("fclose", 0, "get=1\n\n");
	expect_request("fclose", 1, "set=1\n");
	expect_request("fclose", 2, "get=1\n\n");
	expect_request("fclose", 3, NULL);

	/* Closed after reading a set=1, with no byte of reply: sent again. */
	fake_second_reply = "";
	fake_start(&f, "fdrop", "errno=0\n\n", FAKE_KEEP);
	fake_second_reply = NULL;
	assert_int_equal(wg_userspace_ops.apply("fdrop", &ch, 1), 0);
	assert_int_equal(wg_userspace_ops.apply("fdrop", &ch, 1), 0);
	fake_stop(&f);
	assert_int_equal(conns("fdrop"), 2);
	expect_request("fdrop", 2, "set=1\n");
	expect_request("fdrop", 3, NULL);

	/* A daemon that died: its stale socket file is -ENODEV, as before. */
	fake_start(&f, "fdead", "errno=0\n\n", FAKE_KEEP);
	get_ok("fdead");
	kill(f.pid, SIGKILL);
	waitpid(f.pid, NULL, 0);
	assert_int_equal(wg_userspace_ops.apply("fdead", &ch, 1), -ENODEV);
	fake_stop(&f);
}

static void cut_reply_is_not_resent(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x53, 1);
	struct fake f;

	/* Part of the reply came: the set may be applied; report, never resend. */
	fake_second_reply = "errno=";
	fake_start(&f, "fcut", "errno=0\n\n", FAKE_KEEP);
	fake_second_reply = NULL;
	assert_int_equal(wg_userspace_ops.apply("fcut", &ch, 1), 0);
	assert_int_equal(wg_userspace_ops.apply("fcut", &ch, 1), -EPROTO);
	expect_request("fcut", 2, NULL);
	/* The broken connection was dropped: the next call connects afresh. */
	assert_int_equal(wg_userspace_ops.apply("fcut", &ch, 1), 0);
	fake_stop(&f);
	assert_int_equal(conns("fcut"), 2);
	expect_request("fcut", 2, "set=1\n");
	expect_request("fcut", 3, NULL);
}

static void new_socket_file_means_new_connection(void **state)
{
	struct fake a, b;

	/* A restarted daemon binds a new socket file while our connection to
	 * the old one still works: the next request must go to the new one. */
	fake_tag = "fnew1";
	fake_start(&a, "fnew", "errno=0\n\n", FAKE_KEEP);
	get_ok("fnew");
	fake_tag = "fnew2";
	fake_start(&b, "fnew", "errno=0\n\n", FAKE_KEEP);
	fake_tag = NULL;
	get_ok("fnew");
	fake_stop(&a);
	fake_stop(&b);
	expect_request("fnew1", 0, "get=1\n\n");
	expect_request("fnew1", 1, NULL);
	expect_request("fnew2", 0, "get=1\n\n");
	assert_int_equal(conns("fnew2"), 1);
}

static void new_socket_file_reaches_sets_within_a_second(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x5e, 1);
	struct fake a, b;

	/* Sets skip the socket file's check for up to WG_UAPI_RECHECK_MS
	 * (1 s); after that a new file gets them. */
	fake_tag = "fsnew1";
	fake_start(&a, "fsnew", "errno=0\n\n", FAKE_KEEP);
	assert_int_equal(wg_userspace_ops.apply("fsnew", &ch, 1), 0);
	fake_tag = "fsnew2";
	fake_start(&b, "fsnew", "errno=0\n\n", FAKE_KEEP);
	fake_tag = NULL;
	usleep(1200 * 1000);
	assert_int_equal(wg_userspace_ops.apply("fsnew", &ch, 1), 0);
	fake_stop(&a);
	fake_stop(&b);
	expect_request("fsnew1", 1, NULL);
	expect_request("fsnew2", 0, "set=1\n");
	assert_int_equal(conns("fsnew2"), 1);
}

static void stuck_kept_connection_times_out_once(void **state)
{
	struct wg_device *dev = NULL;
	struct timespec t0, t1;
	struct fake f;
	double s;
	int ret;

	fake_second_reply = fake_hang;
	fake_start(&f, "fkhang", "errno=0\n\n", FAKE_KEEP);
	fake_second_reply = NULL;
	get_ok("fkhang");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = wg_userspace_ops.get_device("fkhang", &dev);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fake_stop(&f);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_int_equal(ret, -ETIMEDOUT);
	assert_null(dev);
	/* Not retried: a stuck daemon costs one timeout, not two. */
	if (s < 1.5 || s > 3)
		fail_msg("timed out after %.2f s, want about 2 s", s);
	assert_int_equal(conns("fkhang"), 1);
}

static void forked_child_opens_its_own_connection(void **state)
{
	struct fake f;
	int status = -1;
	pid_t pid;

	/* A child shares the parent's socket: using it would interleave the
	 * two processes' requests and replies on one stream. */
	fake_start(&f, "ffork", "errno=0\n\n", FAKE_KEEP);
	get_ok("ffork");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wg_device *dev = NULL;
		int ret = wg_userspace_ops.get_device("ffork", &dev);

		wg_device_free(dev);
		_exit(ret == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	get_ok("ffork");
	fake_stop(&f);
	assert_int_equal(conns("ffork"), 2);
	expect_request("ffork", 2, "get=1\n\n");
}

/* A connection to the fake's socket from this process, as wg(8) would make. */
static int connect_to(const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s.sock", dir, name);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static uint64_t get_gen(const char *name)
{
	struct wg_device *dev = NULL;
	uint64_t gen;

	assert_int_equal(wg_userspace_ops.get_device(name, &dev), 0);
	gen = dev->gen;
	wg_device_free(dev);
	assert_true(gen > 0);
	return gen;
}

/* After a dump read with no other connection to the daemon, the device
 * counts as unchanged, through our own sets, until another process connects
 * (wg set does); a connection open while a dump is read makes that dump
 * untrusted, since it may still change the device afterwards. */
static void unchanged_until_another_process_connects(void **state)
{
	struct wg_change ch = change(WG_CHANGE_SET, 0x61, 1);
	uint64_t gen, gen2;
	struct fake f;
	int fd;

	fake_start(&f, "fwatch", "errno=0\n\n", FAKE_KEEP);
	gen = get_gen("fwatch");
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 1);
	assert_int_equal(wg_userspace_ops.apply("fwatch", &ch, 1), 0);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 1);
	close(connect_to("fwatch"));
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
	/* a dump is trusted again once the daemon is done with that connection */
	for (int i = 0; i < 50; i++) {
		gen2 = get_gen("fwatch");
		if (wg_userspace_ops.unchanged("fwatch", gen2) == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen2), 1);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", 0), 0);
	assert_int_equal(wg_userspace_ops.unchanged("fother", gen2), 0);
	fd = connect_to("fwatch");
	gen = get_gen("fwatch");
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
	close(fd);
	gen = get_gen("fwatch");
	fake_stop(&f);
	assert_int_equal(wg_userspace_ops.unchanged("fwatch", gen), 0);
}

/* A new socket file (a restarted daemon) is not the one watched. */
static void unchanged_not_across_a_new_socket_file(void **state)
{
	struct fake f;
	uint64_t gen;

	fake_start(&f, "fwnew", "errno=0\n\n", FAKE_KEEP);
	gen = get_gen("fwnew");
	assert_int_equal(wg_userspace_ops.unchanged("fwnew", gen), 1);
	fake_stop(&f);
	fake_start(&f, "fwnew", "errno=0\n\n", FAKE_KEEP);
	assert_int_equal(wg_userspace_ops.unchanged("fwnew", gen), 0);
	fake_stop(&f);
}

/* Where connects leave atime alone there is nothing to watch: never
 * "unchanged", so every new key costs a dump. */
static void unchanged_never_on_a_noatime_mount(void **state)
{
	char saved[sizeof(dir)], sub[sizeof(dir) + 4];
	struct fake f;
	uint64_t gen;

	snprintf(saved, sizeof(saved), "%s", dir);
	snprintf(sub, sizeof(sub), "%s/na", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	if (mount("tmpfs", sub, "tmpfs", MS_NOATIME, "size=1m") < 0)
		fail_msg("mount a noatime tmpfs on %s: %s", sub, strerror(errno));
	assert_true(strlen(sub) < sizeof(dir));
	memcpy(dir, sub, strlen(sub) + 1);
	setenv("WG_SOCKET_DIR", dir, 1);
	fake_start(&f, "fwna", "errno=0\n\n", FAKE_KEEP);
	gen = get_gen("fwna");
	assert_int_equal(wg_userspace_ops.unchanged("fwna", gen), 0);
	gen = get_gen("fwna");
	assert_int_equal(wg_userspace_ops.unchanged("fwna", gen), 0);
	fake_stop(&f);
	snprintf(dir, sizeof(dir), "%s", saved);
	setenv("WG_SOCKET_DIR", dir, 1);
	assert_int_equal(umount(sub), 0);
}

/* "lo" exists in every namespace: the interface is there, and so is the
 * socket file of whichever fake daemon serves it. */
static void identity_is_the_index_and_the_socket_file(void **state)
{
	struct wg_identity none, first, again, second, gone;
	struct fake a, b;

	wg_userspace_ops.identity("lo", &none);
	assert_false(none.exists); /* an interface, but no daemon's socket */
	fake_start(&a, "lo", "errno=0\n\n", FAKE_KEEP);
	wg_userspace_ops.identity("lo", &first);
	wg_userspace_ops.identity("lo", &again);
	assert_true(first.exists);
	assert_int_equal(first.ifindex, if_nametoindex("lo"));
	assert_memory_equal(&first, &again, sizeof(first));
	/* a restarted daemon binds a new socket file: another identity */
	fake_start(&b, "lo", "errno=0\n\n", FAKE_KEEP);
	wg_userspace_ops.identity("lo", &second);
	assert_true(second.exists);
	assert_true(second.sock_ino != first.sock_ino || second.sock_dev != first.sock_dev);
	fake_stop(&a);
	fake_stop(&b);
	wg_userspace_ops.identity("lo", &gone);
	assert_false(gone.exists);
	wg_kernel_ops.identity("lo", &first);
	assert_true(first.exists);
	assert_int_equal(first.ifindex, if_nametoindex("lo"));
	wg_kernel_ops.identity("nosuchif0", &gone);
	assert_false(gone.exists);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T("uapi get: device key, port, peers, allowed IPs, stats", get_reads_device_and_peers),
	    T("uapi get: no private key, no key flags", get_without_private_key_has_no_key),
	    T("uapi get: reply cut before errno= is -EPROTO, never a partial list",
	      get_truncated_before_errno_is_eproto),
	    T("uapi get: reply without its final blank line is -EPROTO",
	      get_without_final_blank_line_is_eproto),
	    T("uapi get: errno=N from the daemon is returned as -N", get_remote_errno_is_returned),
	    T("uapi get: malformed or overlong lines are -EPROTO", get_malformed_lines_are_eproto),
	    T("uapi: a daemon that never answers times out in about 2 s", stuck_daemon_times_out),
	    T("uapi: missing or stale socket is -ENODEV", missing_or_stale_socket_is_enodev),
	    T("uapi apply: REMOVE and SET as the exact UAPI text", apply_sends_exact_text),
	    T("uapi apply: errno from the daemon, junk or a cut reply fail",
	      apply_remote_error_is_returned),
	    T("uapi apply: 2500 changes go as 1000, 1000 and 500", apply_splits_large_lists),
	    T("wg_apply: an unknown op is refused before anything reaches the daemon",
	      apply_refuses_unknown_op_before_sending),
	    T("uapi: get, set, get over one kept connection", requests_share_one_connection),
	    T("uapi: a connection the daemon closed is replaced transparently",
	      closed_connection_reconnects),
	    T("uapi: a set whose reply was cut is not sent again", cut_reply_is_not_resent),
	    T("uapi: a new socket file (restarted daemon) gets a new connection",
	      new_socket_file_means_new_connection),
	    T("uapi: a new socket file gets the sets too, within a second",
	      new_socket_file_reaches_sets_within_a_second),
	    T("uapi: a kept connection to a stuck daemon times out once, in about 2 s",
	      stuck_kept_connection_times_out_once),
	    T("uapi: a forked child does not use its parent's connection",
	      forked_child_opens_its_own_connection),
	    T("uapi unchanged: after a lone dump, until another process connects",
	      unchanged_until_another_process_connects),
	    T("uapi unchanged: not across a new socket file",
	      unchanged_not_across_a_new_socket_file),
	    T("uapi unchanged: never on a noatime mount", unchanged_never_on_a_noatime_mount),
	    T("identity: the interface's index and, for userspace, its socket file",
	      identity_is_the_index_and_the_socket_file),
	};
	char cmd[sizeof(dir) + 16];
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	setenv("WG_SOCKET_DIR", dir, 1);
	ret = RUN(tests);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ret = ret ? ret : 1;
	return ret;
}
