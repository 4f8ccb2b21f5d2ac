/* SPDX-License-Identifier: MIT */
/* Helpers of test_backend: TAP diagnostics, timing, test addresses and keys,
 * peer lookup in a dump, the shared state and its setup from the environment. */
#ifndef AUTOWG_TESTS_WGTEST_H
#define AUTOWG_TESTS_WGTEST_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "../../wg/wg.h"

#define POOL_NET    1 /* the pool: fd00:aaaa:bbbb:1::/64 */
#define OUTSIDE_NET 2 /* peers outside it: fd00:aaaa:bbbb:2::/64 */

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			diag(__VA_ARGS__);                                                         \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void addr_of(unsigned net, uint32_t host, uint8_t out[16])
{
	static const uint8_t base[6] = {0xfd, 0x00, 0xaa, 0xaa, 0xbb, 0xbb};

	memset(out, 0, 16);
	memcpy(out, base, sizeof(base));
	out[7] = (uint8_t)net;
	out[12] = (uint8_t)(host >> 24);
	out[13] = (uint8_t)(host >> 16);
	out[14] = (uint8_t)(host >> 8);
	out[15] = (uint8_t)host;
}

static inline bool ip_in_pool(const struct wg_allowedip *ip)
{
	uint8_t pool[16];

	addr_of(POOL_NET, 0, pool);
	return ip->family == AF_INET6 && ip->cidr >= 64 && !memcmp(ip->addr, pool, 8);
}

static inline const char *key_text(const uint8_t key[AWG_KEY_LEN])
{
	static char bufs[4][AWG_KEY_B64_LEN + 1];
	static unsigned i;
	char *buf = bufs[i++ % 4]; /* a few per printf */

	return sodium_bin2base64(buf, sizeof(bufs[0]), key, AWG_KEY_LEN,
				 sodium_base64_VARIANT_ORIGINAL);
}

static inline const char *addr_text(const uint8_t addr[16])
{
	static char bufs[4][AWG_ADDR_TEXT_MAX + 1];
	static unsigned i;

	return inet_ntop(AF_INET6, addr, bufs[i++ % 4], sizeof(bufs[0]));
}

static inline int cmp_peer(const void *a, const void *b)
{
	return memcmp(((const struct wg_peer *)a)->key, ((const struct wg_peer *)b)->key,
		      AWG_KEY_LEN);
}

/* Sorts dev->peers by key so lookups are bsearch; the tests never rely on order. */
static inline void sort_peers(struct wg_device *dev)
{
	qsort(dev->peers, dev->n_peers, sizeof(*dev->peers), cmp_peer);
}

static inline const struct wg_peer *find(const struct wg_device *dev,
					 const uint8_t key[AWG_KEY_LEN])
{
	struct wg_peer k;

	memcpy(k.key, key, AWG_KEY_LEN);
	return bsearch(&k, dev->peers, dev->n_peers, sizeof(*dev->peers), cmp_peer);
}

static inline bool has_dup_keys(const struct wg_device *dev)
{
	for (size_t i = 1; i < dev->n_peers; i++)
		if (!cmp_peer(&dev->peers[i - 1], &dev->peers[i]))
			return true;
	return false;
}

/* The peer has exactly one allowed IP, addr/128. */
static inline bool exactly(const struct wg_peer *p, const uint8_t addr[16])
{
	return p && p->n_ips == 1 && p->ips[0].family == AF_INET6 && p->ips[0].cidr == 128 &&
	       !memcmp(p->ips[0].addr, addr, 16);
}

static inline struct wg_change set_of(const uint8_t key[AWG_KEY_LEN], const uint8_t addr[16])
{
	struct wg_change ch = {.op = WG_CHANGE_SET};

	memcpy(ch.key, key, AWG_KEY_LEN);
	memcpy(ch.addr, addr, 16);
	return ch;
}

static inline struct wg_change remove_of(const uint8_t key[AWG_KEY_LEN])
{
	struct wg_change ch = {.op = WG_CHANGE_REMOVE};

	memcpy(ch.key, key, AWG_KEY_LEN);
	return ch;
}

static inline void new_key(uint8_t key[AWG_KEY_LEN])
{
	randombytes_buf(key, AWG_KEY_LEN);
}

/* The state test_backend's cases share, read from the environment by setup(). */
#define N_OUTSIDE    100
#define N_TIMED	     50
#define N_DUMP_TIMED 5
#define BIG_DEFAULT  20000
#define BIG_BASE     0x100000u /* host part of the big device's first address */
#define N_TOGGLES    10	       /* changes by the concurrent writer */

struct ctx {
	const struct wg_ops *ops;
	const char *backend, *ifname, *verify;
	uint8_t pubkey[AWG_KEY_LEN], static_key[AWG_KEY_LEN];
	unsigned port, static_nips;
	struct wg_peer static_snap; /* the static peer as first seen */
	size_t big;
	double dump_ms;			 /* median dump time at the big device */
	uint8_t (*outside)[AWG_KEY_LEN]; /* N_OUTSIDE keys */
	uint8_t (*big_keys)[AWG_KEY_LEN];
	uint32_t serial; /* host part of the next small-case address */
};

static inline struct wg_device *get(struct ctx *c)
{
	struct wg_device *dev = NULL;
	int ret = c->ops->get_device(c->ifname, &dev);

	if (ret < 0) {
		diag("get_device(%s): %s", c->ifname, strerror(-ret));
		return NULL;
	}
	sort_peers(dev);
	return dev;
}

static inline bool apply(struct ctx *c, const struct wg_change *ch, size_t n)
{
	int ret = wg_apply(c->ops, c->ifname, ch, n);

	if (ret < 0)
		diag("apply(%s, %zu changes): %s", c->ifname, n, strerror(-ret));
	return ret == 0;
}

/* WG_VERIFY what ifname args...: the real wg(8) agrees (exit 0). */
static inline bool verify(struct ctx *c, const char *what, const char *a1, const char *a2)
{
	const char *argv[] = {"sh", c->verify, what, c->ifname, a1, a2, NULL};
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv("/bin/sh", (char **)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static inline bool static_unchanged(struct ctx *c, const struct wg_device *dev)
{
	const struct wg_peer *p = find(dev, c->static_key);
	const struct wg_peer *s = &c->static_snap;

	CHECK(p, "the static peer %s is gone", key_text(c->static_key));
	CHECK(p->n_ips == s->n_ips, "the static peer has %u allowed IPs, had %u", p->n_ips,
	      s->n_ips);
	CHECK(!memcmp(p->ips, s->ips, s->n_ips * sizeof(*s->ips)),
	      "the static peer's allowed IPs changed");
	return true;
fail:
	return false;
}

/* The big device is complete: every big peer with its address, the outside
 * peers, the static peer, and at most `extra` others. */
static inline bool complete(struct ctx *c, struct wg_device *dev, size_t base, size_t extra)
{
	uint8_t addr[16];

	CHECK(dev->n_peers >= base && dev->n_peers <= base + extra, "%zu peers, want %zu..%zu",
	      dev->n_peers, base, base + extra);
	CHECK(!has_dup_keys(dev), "a peer appears twice");
	for (size_t i = 0; i < c->big; i++) {
		addr_of(POOL_NET, BIG_BASE + (uint32_t)i, addr);
		CHECK(exactly(find(dev, c->big_keys[i]), addr),
		      "peer %zu (%s) missing or not %s/128", i, key_text(c->big_keys[i]),
		      addr_text(addr));
	}
	for (int i = 0; i < N_OUTSIDE; i++)
		CHECK(find(dev, c->outside[i]), "outside peer %d missing", i);
	return static_unchanged(c, dev);
fail:
	return false;
}

static inline bool selected(const char *only, const char *id)
{
	size_t len = strlen(id);

	for (const char *p = only; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && !strncmp(p, id, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return !only;
}

static inline bool setup(struct ctx *c)
{
	const char *pub = getenv("WG_PUBKEY"), *spk = getenv("WG_STATIC_PEER");
	const char *port = getenv("WG_PORT"), *nips = getenv("WG_STATIC_NIPS");
	const char *big = getenv("WG_BIG");
	size_t len;

	c->backend = getenv("WG_BACKEND");
	c->ifname = getenv("WG_IFNAME");
	c->verify = getenv("WG_VERIFY");
	if (c->verify && !*c->verify)
		c->verify = NULL;
	CHECK(c->backend && c->ifname, "WG_BACKEND and WG_IFNAME must be set");
	c->ops = wg_ops_pick(c->ifname, c->backend);
	CHECK(c->ops && strcmp(c->backend, "auto"), "WG_BACKEND must be kernel or userspace");
	CHECK(pub &&
		  sodium_base642bin(c->pubkey, AWG_KEY_LEN, pub, strlen(pub), " \n", &len, NULL,
				    sodium_base64_VARIANT_ORIGINAL) == 0 &&
		  len == AWG_KEY_LEN,
	      "WG_PUBKEY must be the interface's public key");
	CHECK(spk &&
		  sodium_base642bin(c->static_key, AWG_KEY_LEN, spk, strlen(spk), " \n", &len, NULL,
				    sodium_base64_VARIANT_ORIGINAL) == 0 &&
		  len == AWG_KEY_LEN,
	      "WG_STATIC_PEER must be a static peer's public key");
	CHECK(port && nips, "WG_PORT and WG_STATIC_NIPS must be set");
	c->port = (unsigned)strtoul(port, NULL, 10);
	c->static_nips = (unsigned)strtoul(nips, NULL, 10);
	c->big = big ? strtoul(big, NULL, 10) : BIG_DEFAULT;
	c->outside = calloc(N_OUTSIDE, AWG_KEY_LEN);
	c->big_keys = calloc(c->big + 1, AWG_KEY_LEN);
	CHECK(c->outside && c->big_keys, "ENOMEM");
	return true;
fail:
	return false;
}

#endif
