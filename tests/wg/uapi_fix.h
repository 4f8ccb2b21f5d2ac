/* SPDX-License-Identifier: MIT */
/*
 * The fake UAPI daemon that the userspace backend's unit tests talk to
 * (test_uapi.c: the text; test_uapi_conn.c: the kept connection). It
 * listens in a private WG_SOCKET_DIR, answers each request with a scripted
 * reply (or never), and saves every request so the exact text we send can
 * be checked. Like
 * wireguard-go it can answer several requests on one connection (FAKE_KEEP);
 * FAKE_REPLY closes the connection after each reply, as a daemon that drops
 * idle connections would.
 */
#ifndef AUTOWG_TESTS_UAPI_FIX_H
#define AUTOWG_TESTS_UAPI_FIX_H

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

/* A change of op for key fill..fill, address fd00::host. */
static struct wg_change change(enum wg_change_op op, uint8_t fill, uint16_t host)
{
	struct wg_change ch = {.op = op};

	memset(ch.key, fill, sizeof(ch.key));
	ch.addr[0] = 0xfd;
	ch.addr[14] = (uint8_t)(host >> 8);
	ch.addr[15] = (uint8_t)host;
	return ch;
}

/* Group setup: the fake's private WG_SOCKET_DIR. */
static int uapi_fix_setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	return setenv("WG_SOCKET_DIR", dir, 1);
}

static int uapi_fix_teardown(void **state)
{
	char cmd[sizeof(dir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* main() of each file: the tests, in the fake's directory. */
static int uapi_fix_run(const struct CMUnitTest *tests, size_t n)
{
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return 1;
	return _cmocka_run_group_tests(__BASE_FILE__, tests, n, uapi_fix_setup, uapi_fix_teardown);
}

#endif
