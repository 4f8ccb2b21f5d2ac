/* SPDX-License-Identifier: MIT */
/*
 * A fake autowg-helper for the responder's unit tests: a real SOCK_SEQPACKET
 * socket and a real memfd table (core/table.c's writer side), served by a
 * thread whose answers each test scripts. Included by each test program.
 */
#ifndef AUTOWG_TESTS_FAKE_HELPER_H
#define AUTOWG_TESTS_FAKE_HELPER_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../core/addr.h"
#include "../../core/key.h"
#include "../../core/proto.h"
#include "../../core/table.h"

enum fake_mode {
	FAKE_ANSWER,	     /* reply with fake.reply / REG_OK refresh */
	FAKE_SILENT,	     /* read requests, never answer (a stuck helper) */
	FAKE_CLOSE_ONCE,     /* close the first connection on its first request */
	FAKE_ANSWER_CLOSE,   /* answer the first connection's first request, then close it */
	FAKE_SHORT_REPLY,    /* a reply one byte short */
	FAKE_HELLO_VERSION,  /* hello with a wrong version */
	FAKE_HELLO_NO_FD,    /* hello without a descriptor */
	FAKE_HELLO_TWO_FDS,  /* hello with two descriptors */
	FAKE_HELLO_BIG,	     /* hello announcing more than the file holds */
	FAKE_HELLO_UNSEALED, /* a valid table that could still shrink */
};

struct fake_helper {
	char dir[64], path[AWG_SOCKET_PATH_MAX + 1];
	int listen_fd, memfd, unsealed_fd;
	void *table;
	size_t size;
	uint32_t capacity;
	pthread_t thread;
	pthread_mutex_t lock;
	/* scripted by the test */
	enum fake_mode mode;
	struct msg_register_reply reply;
	uint32_t refresh_result;
	/* observed */
	int connections, registers, refreshes, closes;
	char last_cn[AWG_CN_MAX + 1];
	uint8_t last_key[AWG_KEY_LEN];
};

static struct fake_helper fake;

static void fake_settings(const char *prefix, uint32_t up)
{
	struct table_settings s;
	uint8_t key[AWG_KEY_LEN];

	memset(&s, 0, sizeof(s));
	memset(key, 7, sizeof(key));
	strcpy(s.interface, "wgtest0");
	strcpy(s.pool, "fde3:25fb:7f6c:1::/64");
	strcpy(s.route, "fde3:25fb:7f6c::/48");
	strcpy(s.endpoint, "vpn.example.com:53092");
	key_format(key, s.pubkey);
	snprintf(s.http_prefix, sizeof(s.http_prefix), "%s", prefix);
	strcpy(s.cn_pattern, "([0-9a-zA-Z]+)");
	s.keepalive = 25;
	s.up = up;
	table_write_settings(fake.table, &s);
}

static void fake_reply(uint32_t result, const char *addr, const char *name, const char *reason)
{
	const char *why;

	pthread_mutex_lock(&fake.lock);
	memset(&fake.reply, 0, sizeof(fake.reply));
	fake.reply.type = MSG_REGISTER_REPLY;
	fake.reply.result = result;
	if (addr)
		addr6_parse(addr, fake.reply.addr, &why);
	snprintf(fake.reply.name, sizeof(fake.reply.name), "%s", name);
	snprintf(fake.reply.reason, sizeof(fake.reply.reason), "%s", reason);
	pthread_mutex_unlock(&fake.lock);
}

static void fake_set_mode(enum fake_mode m)
{
	pthread_mutex_lock(&fake.lock);
	fake.mode = m;
	pthread_mutex_unlock(&fake.lock);
}

static int fake_send_hello(int c, enum fake_mode mode)
{
	struct msg_hello hello = {
	    .type = MSG_HELLO, .version = PROTO_VERSION, .table_size = fake.size};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = &hello, .iov_len = sizeof(hello)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int fd = mode == FAKE_HELLO_UNSEALED ? fake.unsealed_fd : fake.memfd;
	int fds[2] = {fd, fd};
	struct cmsghdr *cm;
	size_t nfds = mode == FAKE_HELLO_TWO_FDS ? 2 : 1;

	/* a valid table, only without the seal */
	if (mode == FAKE_HELLO_UNSEALED &&
	    pwrite(fake.unsealed_fd, fake.table, fake.size, 0) != (ssize_t)fake.size)
		return -1;
	if (mode == FAKE_HELLO_VERSION)
		hello.version = PROTO_VERSION + 1;
	if (mode == FAKE_HELLO_BIG)
		hello.table_size = fake.size + 4096;
	if (mode != FAKE_HELLO_NO_FD) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(c, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(hello) ? 0 : -1;
}

/* Serve one connection until it closes; false to close it early. */
static void fake_serve(int c, int conn_no)
{
	union {
		struct msg_register reg;
		struct msg_refresh refresh;
		char raw[1024];
	} in;
	struct msg_refresh_reply rr;
	struct msg_register_reply reply;
	enum fake_mode mode;
	ssize_t n;

	for (;;) {
		n = recv(c, &in, sizeof(in), 0);
		if (n <= 0)
			return;
		pthread_mutex_lock(&fake.lock);
		mode = fake.mode;
		reply = fake.reply;
		rr.type = MSG_REFRESH_REPLY;
		rr.result = fake.refresh_result;
		if (in.reg.type == MSG_REGISTER && n == sizeof(in.reg)) {
			fake.registers++;
			memcpy(fake.last_cn, in.reg.cn, sizeof(fake.last_cn));
			memcpy(fake.last_key, in.reg.key, AWG_KEY_LEN);
		} else if (in.refresh.type == MSG_REFRESH && n == sizeof(in.refresh)) {
			fake.refreshes++;
		} else {
			pthread_mutex_unlock(&fake.lock);
			return; /* garbage ends the connection, as the real helper does */
		}
		pthread_mutex_unlock(&fake.lock);
		if (mode == FAKE_SILENT)
			continue;
		if (mode == FAKE_CLOSE_ONCE && conn_no == 1)
			return;
		if (in.reg.type == MSG_REGISTER)
			send(c, &reply, sizeof(reply) - (mode == FAKE_SHORT_REPLY), MSG_NOSIGNAL);
		else
			send(c, &rr, sizeof(rr) - (mode == FAKE_SHORT_REPLY), MSG_NOSIGNAL);
		if (mode == FAKE_ANSWER_CLOSE && conn_no == 1)
			return;
	}
}

static void *fake_thread(void *arg)
{
	enum fake_mode mode;
	int c, no;

	(void)arg;
	for (;;) {
		c = accept4(fake.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		pthread_mutex_lock(&fake.lock);
		no = ++fake.connections;
		mode = fake.mode;
		pthread_mutex_unlock(&fake.lock);
		if (fake_send_hello(c, mode) == 0)
			fake_serve(c, no);
		close(c);
		pthread_mutex_lock(&fake.lock);
		fake.closes++;
		pthread_mutex_unlock(&fake.lock);
	}
}

/* Start the fake with a table of capacity entries and prefix "/". */
static int fake_start(uint32_t capacity)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	memset(&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	strcpy(fake.dir, "/tmp/autowg-fake.XXXXXX");
	if (!mkdtemp(fake.dir))
		return -1;
	snprintf(fake.path, sizeof(fake.path), "%s/helper.sock", fake.dir);
	fake.capacity = capacity;
	fake.size = table_size(capacity);
	fake.memfd = memfd_create("autowg-fake-table", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fake.memfd < 0 || ftruncate(fake.memfd, (off_t)fake.size) ||
	    fcntl(fake.memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		return -1;
	fake.unsealed_fd = memfd_create("autowg-fake-unsealed", MFD_CLOEXEC);
	if (fake.unsealed_fd < 0 || ftruncate(fake.unsealed_fd, (off_t)fake.size))
		return -1;
	fake.table = mmap(NULL, fake.size, PROT_READ | PROT_WRITE, MAP_SHARED, fake.memfd, 0);
	if (fake.table == MAP_FAILED)
		return -1;
	table_init(fake.table, fake.size, capacity);
	fake_settings("/", 1);
	fake.refresh_result = REG_OK;
	fake_reply(REG_OK, "fde3:25fb:7f6c:1::1234", "1234", "registered");
	fake.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, fake.path);
	if (fake.listen_fd < 0 || bind(fake.listen_fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fake.listen_fd, 16))
		return -1;
	return pthread_create(&fake.thread, NULL, fake_thread, NULL) ? -1 : 0;
}

/* Add a used entry at slot i. */
__attribute__((unused)) static void fake_entry(uint32_t i, const char *name, const char *addr,
					       uint8_t keybyte, int64_t created, uint64_t rx)
{
	struct table_entry e;
	const char *why;

	memset(&e, 0, sizeof(e));
	e.flags = TABLE_ENTRY_USED;
	snprintf(e.name, sizeof(e.name), "%s", name);
	addr6_parse(addr, e.addr, &why);
	memset(e.key, keybyte, sizeof(e.key));
	e.created = created;
	e.last_handshake = created + 5;
	e.rx_bytes = rx;
	e.tx_bytes = rx * 2;
	table_write_entry(fake.table, i, &e);
}

#endif
