/* SPDX-License-Identifier: MIT */
/*
 * One list of cases for both WireGuard backends, run against a real interface.
 *
 *   WG_BACKEND       kernel | userspace
 *   WG_IFNAME        the interface (created by the caller, private key and port set)
 *   WG_PUBKEY        its public key, base64 (`wg show IF public-key`)
 *   WG_PORT          its listen port
 *   WG_STATIC_PEER   a peer the caller added with allowed IPs outside the pool
 *   WG_STATIC_NIPS   how many allowed IPs that peer has
 *   WG_VERIFY        optional: tests/wg/wg-verify, to check results with wg(8)
 *   WG_ONLY          optional: comma-separated case ids to run (default: all)
 *   WG_BIG           optional: size of the big device (default 20000)
 *
 * Prints TAP ("ok N - name" / "not ok N - name") and "# " lines with timings.
 * The pool is fd00:aaaa:bbbb:1::/64; peers outside it live in fd00:aaaa:bbbb:2::/64.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "../../wg/wg.h"
#include "wgtest.h"

static int t_n, t_fails;

static bool case_pick(struct ctx *c)
{
	const struct wg_ops *want =
	    !strcmp(c->backend, "userspace") ? &wg_userspace_ops : &wg_kernel_ops;
	const char *saved = getenv("WG_SOCKET_DIR");
	bool ok = false;

	CHECK(wg_ops_pick(c->ifname, "auto") == want, "auto did not pick %s for %s", c->backend,
	      c->ifname);
	CHECK(wg_ops_pick("awgnosuchif0", "auto") == &wg_kernel_ops,
	      "auto picked userspace without a socket");
	CHECK(wg_ops_pick(c->ifname, "kernel") == &wg_kernel_ops, "kernel");
	CHECK(wg_ops_pick(c->ifname, "userspace") == &wg_userspace_ops, "userspace");
	CHECK(!wg_ops_pick(c->ifname, "bogus"), "an unknown backend name was accepted");
	setenv("WG_SOCKET_DIR", "/nonexistent-autowg", 1);
	CHECK(!strcmp(wg_socket_dir(), "/nonexistent-autowg"), "WG_SOCKET_DIR ignored");
	CHECK(wg_ops_pick(c->ifname, "auto") == &wg_kernel_ops,
	      "auto saw a socket that is not there");
	ok = true;
fail:
	if (saved)
		setenv("WG_SOCKET_DIR", saved, 1);
	else
		unsetenv("WG_SOCKET_DIR");
	return ok;
}

static bool case_device(struct ctx *c)
{
	struct wg_device *dev = get(c);
	bool ok = false;

	CHECK(dev, "no device");
	CHECK(!strcmp(dev->ifname, c->ifname), "ifname %s", dev->ifname);
	CHECK(dev->flags & WG_DEVICE_HAS_PRIVATE_KEY, "no private key reported");
	CHECK(dev->flags & WG_DEVICE_HAS_PUBLIC_KEY, "no public key reported");
	CHECK(!memcmp(dev->public_key, c->pubkey, AWG_KEY_LEN), "public key %s, want %s",
	      key_text(dev->public_key), getenv("WG_PUBKEY"));
	CHECK(dev->flags & WG_DEVICE_HAS_LISTEN_PORT, "no listen port reported");
	CHECK(dev->listen_port == c->port, "listen port %u, want %u", dev->listen_port, c->port);
	ok = true;
fail:
	wg_device_free(dev);
	return ok;
}

static bool case_missing(struct ctx *c)
{
	static const char name[] = "awgnosuchif0";
	struct wg_device *dev = NULL;
	uint8_t key[AWG_KEY_LEN], addr[16];
	struct wg_change ch;
	int ret;

	new_key(key);
	addr_of(POOL_NET, 1, addr);
	ch = set_of(key, addr);
	ret = c->ops->get_device(name, &dev);
	CHECK(ret == -ENODEV, "get_device: %s, want ENODEV", strerror(-ret));
	CHECK(!dev, "a device came back with an error");
	ret = c->ops->apply(name, &ch, 1);
	CHECK(ret == -ENODEV, "apply: %s, want ENODEV", strerror(-ret));
	ret = c->ops->get_device("../../etc/x", &dev);
	CHECK(ret == -ENODEV, "a name with '/': %s, want ENODEV", strerror(-ret));
	return true;
fail:
	wg_device_free(dev);
	return false;
}

/* "lo" exists everywhere: the kernel says it is not WireGuard; userspace has
 * no socket for it. */
static bool case_notwg(struct ctx *c)
{
	int want = c->ops == &wg_kernel_ops ? -EPROTONOSUPPORT : -ENODEV;
	struct wg_device *dev = NULL;
	int ret = c->ops->get_device("lo", &dev);

	wg_device_free(dev);
	CHECK(ret == want, "get_device(lo): %s, want %s", strerror(-ret), strerror(-want));
	return true;
fail:
	return false;
}

static bool case_static(struct ctx *c)
{
	struct wg_device *dev = get(c);
	const struct wg_peer *p;

	CHECK(dev, "no device");
	CHECK(!has_dup_keys(dev), "a peer appears twice in the dump (split peer not merged)");
	p = find(dev, c->static_key);
	CHECK(p, "static peer %s not in the dump", key_text(c->static_key));
	CHECK(p->n_ips == c->static_nips, "static peer has %u allowed IPs, want %u", p->n_ips,
	      c->static_nips);
	for (uint32_t i = 0; i < p->n_ips; i++)
		CHECK(!ip_in_pool(&p->ips[i]), "static peer has an allowed IP in the pool");
	c->static_snap = *p;
	c->static_snap.ips = malloc(p->n_ips * sizeof(*p->ips) + 1);
	CHECK(c->static_snap.ips, "ENOMEM");
	memcpy(c->static_snap.ips, p->ips, p->n_ips * sizeof(*p->ips));
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

/* SET, SET again (replace), REMOVE+SET, REMOVE several, REMOVE absent. */
static uint8_t k1[AWG_KEY_LEN], k2[AWG_KEY_LEN], a1[16], a2[16];

static bool case_set_adds(struct ctx *c)
{
	struct wg_change ch;
	struct wg_device *dev = NULL;

	new_key(k1);
	addr_of(POOL_NET, ++c->serial, a1);
	ch = set_of(k1, a1);
	CHECK(apply(c, &ch, 1), "SET failed");
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(exactly(find(dev, k1), a1), "peer %s does not have exactly %s/128", key_text(k1),
	      addr_text(a1));
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

static bool case_set_replaces(struct ctx *c)
{
	struct wg_change ch;
	struct wg_device *dev = NULL;
	char want[AWG_PREFIX_TEXT_MAX + 1];

	addr_of(POOL_NET, ++c->serial, a2);
	ch = set_of(k1, a2);
	CHECK(apply(c, &ch, 1), "SET failed");
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(exactly(find(dev, k1), a2), "peer %s does not have exactly %s/128 (old %s kept?)",
	      key_text(k1), addr_text(a2), addr_text(a1));
	snprintf(want, sizeof(want), "%s/128", addr_text(a2));
	CHECK(!c->verify || verify(c, "ips", key_text(k1), want), "wg(8) disagrees");
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

static bool case_replace_peer(struct ctx *c)
{
	struct wg_change ch[2];
	struct wg_device *dev = NULL;

	new_key(k2);
	ch[0] = remove_of(k1);
	ch[1] = set_of(k2, a2);
	CHECK(apply(c, ch, 2), "REMOVE+SET failed");
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(!find(dev, k1), "the old peer is still there");
	CHECK(exactly(find(dev, k2), a2), "the new peer does not have exactly %s/128",
	      addr_text(a2));
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

static bool case_remove_several(struct ctx *c)
{
	uint8_t k[3][AWG_KEY_LEN], addr[16];
	struct wg_change ch[4];
	struct wg_device *dev = NULL;

	for (int i = 0; i < 3; i++) {
		new_key(k[i]);
		addr_of(POOL_NET, ++c->serial, addr);
		ch[i] = set_of(k[i], addr);
	}
	CHECK(apply(c, ch, 3), "SET of 3 failed");
	ch[0] = remove_of(k2);
	ch[1] = remove_of(k[0]);
	ch[2] = remove_of(k[1]);
	CHECK(apply(c, ch, 3), "REMOVE of 3 failed");
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(!find(dev, k2) && !find(dev, k[0]) && !find(dev, k[1]), "a removed peer is there");
	CHECK(find(dev, k[2]), "a peer that was not removed is gone");
	memcpy(k1, k[2], AWG_KEY_LEN); /* the next case removes it */
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

static bool case_remove_absent(struct ctx *c)
{
	struct wg_change ch[2];
	struct wg_device *dev = NULL;
	uint8_t absent[AWG_KEY_LEN];

	new_key(absent);
	ch[0] = remove_of(absent);
	ch[1] = remove_of(k1);
	CHECK(apply(c, ch, 2), "REMOVE of an absent peer failed");
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(!find(dev, absent), "the absent peer was created");
	CHECK(!find(dev, k1), "the peer after it was not removed");
	CHECK(dev->n_peers == 1, "%zu peers left, want only the static one", dev->n_peers);
	CHECK(static_unchanged(c, dev), "static peer");
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

/* Does peer p have exactly the allowed IPs want[0..n) (in any order)? */
static bool has_exactly(const struct wg_peer *p, const struct wg_allowedip *want, uint32_t n)
{
	uint32_t i, j;

	if (!p || p->n_ips != n)
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < p->n_ips; j++)
			if (p->ips[j].family == want[i].family && p->ips[j].cidr == want[i].cidr &&
			    !memcmp(p->ips[j].addr, want[i].addr,
				    want[i].family == AF_INET ? 4 : 16))
				break;
		if (j == p->n_ips)
			return false;
	}
	return true;
}

#define N_SET_IPS 3000 /* more than one kernel message holds */

/* SET_IPS: an existing peer's allowed IPs become exactly the list (IPv4,
 * IPv6, thousands: split across messages); an absent peer is not created;
 * a list with a SET_IPS without IPs is refused and nothing of it applied. */
static bool case_set_ips(struct ctx *c)
{
	struct wg_allowedip *ips = calloc(N_SET_IPS + 2, sizeof(*ips));
	uint8_t key[AWG_KEY_LEN], absent[AWG_KEY_LEN], addr[16];
	struct wg_change ch[2];
	struct wg_device *dev = NULL;
	bool ok = false;
	int ret;

	CHECK(ips, "ENOMEM");
	ips[0] = (struct wg_allowedip){.family = AF_INET, .cidr = 24, .addr = {10, 98, 0, 0}};
	ips[1] = (struct wg_allowedip){.family = AF_INET6, .cidr = 64};
	addr_of(OUTSIDE_NET + 7, 0, ips[1].addr);
	for (uint32_t i = 0; i < N_SET_IPS; i++) {
		ips[i + 2] = (struct wg_allowedip){.family = AF_INET6, .cidr = 128};
		addr_of(OUTSIDE_NET + 8, i + 1, ips[i + 2].addr);
	}
	new_key(key);
	new_key(absent);
	addr_of(POOL_NET, ++c->serial, addr);
	ch[0] = set_of(key, addr);
	CHECK(apply(c, ch, 1), "SET failed");
	ch[0] = (struct wg_change){.op = WG_CHANGE_SET_IPS, .ips = ips, .n_ips = N_SET_IPS + 2};
	memcpy(ch[0].key, key, AWG_KEY_LEN);
	CHECK(apply(c, ch, 1), "SET_IPS of %d allowed IPs failed", N_SET_IPS + 2);
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(!has_dup_keys(dev), "the peer appears twice in the dump");
	CHECK(has_exactly(find(dev, key), ips, N_SET_IPS + 2),
	      "the peer does not have exactly the %d allowed IPs (it has %u)", N_SET_IPS + 2,
	      find(dev, key) ? find(dev, key)->n_ips : 0);
	wg_device_free(dev);
	/* fewer: the others go, the pool address first of all */
	ch[0].ips = ips + 1;
	ch[0].n_ips = 1;
	ch[1] = ch[0];
	memcpy(ch[1].key, absent, AWG_KEY_LEN);
	CHECK(apply(c, ch, 2), "SET_IPS of one allowed IP (and an absent peer) failed");
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(has_exactly(find(dev, key), ips + 1, 1), "the peer does not have exactly %s/64",
	      addr_text(ips[1].addr));
	CHECK(!find(dev, absent), "SET_IPS created an absent peer");
	wg_device_free(dev);
	/* a SET_IPS without IPs: refused before anything is applied */
	ch[0] = remove_of(key);
	ch[1].n_ips = 0;
	ret = wg_apply(c->ops, c->ifname, ch, 2);
	CHECK(ret == -EINVAL, "a SET_IPS without IPs: %s, want EINVAL", strerror(-ret));
	dev = get(c);
	CHECK(dev && find(dev, key), "the REMOVE before it was applied");
	wg_device_free(dev);
	dev = NULL;
	CHECK(apply(c, ch, 1), "REMOVE failed");
	dev = get(c);
	CHECK(dev && dev->n_peers == 1, "the test left peers behind");
	CHECK(static_unchanged(c, dev), "static peer");
	ok = true;
fail:
	wg_device_free(dev);
	free(ips);
	return ok;
}

/* probe_peers (kernel): 0 for keys that are no peer, 1 when one is, and
 * nothing changed either way; its cost beside a dump's. Userspace has none
 * (UAPI has no per-peer get): the registry dumps instead. */
static bool case_probe(struct ctx *c)
{
	uint8_t keys[3][AWG_KEY_LEN];
	struct wg_device *dev = NULL;
	double t[N_TIMED];
	int ret;

	if (c->ops == &wg_userspace_ops) {
		CHECK(!c->ops->probe_peers, "userspace has a probe");
		return true;
	}
	new_key(keys[0]);
	new_key(keys[2]);
	memcpy(keys[1], c->static_key, AWG_KEY_LEN);
	ret = c->ops->probe_peers(c->ifname, (const uint8_t(*)[AWG_KEY_LEN])keys, 1);
	CHECK(ret == 0, "an absent key: %d, want 0", ret);
	ret = c->ops->probe_peers(c->ifname, (const uint8_t(*)[AWG_KEY_LEN])keys + 1, 1);
	CHECK(ret == 1, "the static peer's key: %d, want 1", ret);
	ret = c->ops->probe_peers(c->ifname, (const uint8_t(*)[AWG_KEY_LEN])keys, 3);
	CHECK(ret == 1, "absent, static, absent: %d, want 1", ret);
	memcpy(keys[1], c->pubkey, AWG_KEY_LEN);
	ret = c->ops->probe_peers(c->ifname, (const uint8_t(*)[AWG_KEY_LEN])keys, 3);
	CHECK(ret == 0, "absent, the interface's own key, absent: %d, want 0", ret);
	ret = c->ops->probe_peers("awgnosuchif0", (const uint8_t(*)[AWG_KEY_LEN])keys, 1);
	CHECK(ret == -ENODEV, "a missing interface: %s, want ENODEV", strerror(-ret));
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(dev->n_peers == 1, "%zu peers after probing, want the static one only", dev->n_peers);
	CHECK(!find(dev, keys[0]) && !find(dev, keys[2]), "a probe created a peer");
	CHECK(static_unchanged(c, dev), "static peer changed by a probe");
	for (int i = 0; i < N_TIMED; i++) {
		double t0 = now();

		CHECK(c->ops->probe_peers(c->ifname, (const uint8_t(*)[AWG_KEY_LEN])keys, 1) == 0,
		      "timed probe");
		t[i] = (now() - t0) * 1e3;
	}
	printf("# %s: one probe at %zu peers: median %.3f ms (%d runs)\n", c->backend, dev->n_peers,
	       median(t, N_TIMED), N_TIMED);
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

/* Median time of N_TIMED single SETs of new pool peers, in ms. */
static bool time_sets(struct ctx *c, double *ms)
{
	double t[N_TIMED];
	uint8_t key[AWG_KEY_LEN], addr[16];
	struct wg_change ch;

	for (int i = 0; i < N_TIMED; i++) {
		double t0;

		new_key(key);
		addr_of(POOL_NET, ++c->serial, addr);
		ch = set_of(key, addr);
		t0 = now();
		if (!apply(c, &ch, 1))
			return false;
		t[i] = (now() - t0) * 1e3;
	}
	*ms = median(t, N_TIMED);
	return true;
}

static bool case_outside(struct ctx *c)
{
	struct wg_change ch[N_OUTSIDE];
	uint8_t addr[16];
	double ms;

	for (int i = 0; i < N_OUTSIDE; i++) {
		new_key(c->outside[i]);
		addr_of(OUTSIDE_NET, (uint32_t)i + 1, addr);
		ch[i] = set_of(c->outside[i], addr);
	}
	CHECK(apply(c, ch, N_OUTSIDE), "SET of %d peers outside the pool failed", N_OUTSIDE);
	CHECK(time_sets(c, &ms), "timed SETs failed");
	printf("# %s: one SET at %d existing peers: median %.3f ms (%d runs)\n", c->backend,
	       N_OUTSIDE + 1, ms, N_TIMED);
	return true;
fail:
	return false;
}

static bool case_big_add(struct ctx *c)
{
	struct wg_change *ch = calloc(c->big, sizeof(*ch));
	uint8_t addr[16];
	double t0;
	bool ok = false;

	CHECK(ch, "ENOMEM");
	for (size_t i = 0; i < c->big; i++) {
		new_key(c->big_keys[i]);
		addr_of(POOL_NET, BIG_BASE + (uint32_t)i, addr);
		ch[i] = set_of(c->big_keys[i], addr);
	}
	t0 = now();
	CHECK(apply(c, ch, c->big), "one apply of %zu SETs failed", c->big);
	printf("# %s: one apply of %zu SETs: %.3f s\n", c->backend, c->big, now() - t0);
	ok = true;
fail:
	free(ch);
	return ok;
}

static bool case_big_dump(struct ctx *c)
{
	size_t want = c->big + N_OUTSIDE + N_TIMED + 1;
	struct wg_device *dev = get(c);
	char n[32];

	CHECK(dev, "no device");
	CHECK(complete(c, dev, want, 0), "the dump is not the device");
	snprintf(n, sizeof(n), "%zu", want);
	CHECK(!c->verify || verify(c, "count", n, NULL), "wg(8) does not count %zu peers", want);
	wg_device_free(dev);
	return true;
fail:
	wg_device_free(dev);
	return false;
}

static bool case_big_timing(struct ctx *c)
{
	double t[N_DUMP_TIMED], ms;
	size_t peers = 0;

	for (int i = 0; i < N_DUMP_TIMED; i++) {
		struct wg_device *dev = NULL;
		double t0 = now();
		int ret = c->ops->get_device(c->ifname, &dev);

		t[i] = (now() - t0) * 1e3;
		CHECK(ret == 0, "get_device: %s", strerror(-ret));
		peers = dev->n_peers;
		wg_device_free(dev);
	}
	c->dump_ms = median(t, N_DUMP_TIMED);
	printf("# %s: dump at %zu peers: median %.1f ms (%d runs)\n", c->backend, peers, c->dump_ms,
	       N_DUMP_TIMED);
	CHECK(time_sets(c, &ms), "timed SETs failed");
	printf("# %s: one SET at %zu existing peers: median %.3f ms (%d runs)\n", c->backend, peers,
	       ms, N_TIMED);
	for (int i = 0; c->ops->probe_peers && i < N_DUMP_TIMED; i++) {
		uint8_t key[AWG_KEY_LEN];
		double t0;

		new_key(key);
		t0 = now();
		CHECK(c->ops->probe_peers(c->ifname, (const uint8_t(*)[AWG_KEY_LEN]) & key, 1) == 0,
		      "probe of a new key");
		t[i] = (now() - t0) * 1e3;
	}
	if (c->ops->probe_peers)
		printf("# %s: one probe of a new key at %zu peers: median %.3f ms (%d runs),"
		       " against a dump's %.1f ms\n",
		       c->backend, peers, median(t, N_DUMP_TIMED), N_DUMP_TIMED, c->dump_ms);
	return true;
fail:
	return false;
}

/* Another writer replaces big peers by themselves (REMOVE+SET of the same
 * key and address in one apply: the device is the same before and after)
 * while we dump. The removed peer goes to the end of the kernel's list, so a
 * dump that is not restarted returns it twice, or ends early when it was the
 * dump's cursor. Every dump we get must be the whole device; -EAGAIN (too
 * many interruptions in a row) is allowed but counted. */
static bool case_concurrent(struct ctx *c)
{
	useconds_t pause = (useconds_t)(2 * c->dump_ms * 1000) + 1000;
	size_t want = c->big + N_OUTSIDE + 2 * N_TIMED + 1;
	int good = 0, again = 0, status = 0;
	bool ok = false, done = false;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		for (int i = 0; i < N_TOGGLES; i++) {
			size_t j = randombytes_uniform((uint32_t)c->big);
			uint8_t addr[16];
			struct wg_change ch[2];

			addr_of(POOL_NET, BIG_BASE + (uint32_t)j, addr);
			ch[0] = remove_of(c->big_keys[j]);
			ch[1] = set_of(c->big_keys[j], addr);
			if (c->ops->apply(c->ifname, ch, 2) < 0)
				_exit(1);
			usleep(pause);
		}
		_exit(0);
	}
	while (!done) {
		struct wg_device *dev = NULL;
		int ret;

		done = waitpid(pid, &status, WNOHANG) == pid;
		ret = c->ops->get_device(c->ifname, &dev);
		if (ret == -EAGAIN) {
			again++;
			continue;
		}
		CHECK(ret == 0, "get_device: %s", strerror(-ret));
		sort_peers(dev);
		ok = complete(c, dev, want, 0);
		wg_device_free(dev);
		CHECK(ok, "dump %d during changes is not the whole device", good + again + 1);
		ok = false;
		good++;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer failed");
	printf("# %s: %d complete dumps and %d -EAGAIN during %d changes\n", c->backend, good,
	       again, N_TOGGLES);
	CHECK(good > 0, "no dump completed");
	ok = true;
fail:
	if (!done && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	return ok;
}

/* What the helper does at start: remove every peer with an allowed IP in the pool. */
static bool case_flush(struct ctx *c)
{
	struct wg_device *dev = get(c);
	struct wg_change *ch = NULL;
	size_t n = 0;
	uint8_t addr[16];
	double t0;
	bool ok = false;

	CHECK(dev, "no device");
	ch = calloc(dev->n_peers, sizeof(*ch));
	CHECK(ch, "ENOMEM");
	for (size_t i = 0; i < dev->n_peers; i++)
		for (uint32_t j = 0; j < dev->peers[i].n_ips; j++)
			if (ip_in_pool(&dev->peers[i].ips[j])) {
				ch[n++] = remove_of(dev->peers[i].key);
				break;
			}
	wg_device_free(dev);
	t0 = now();
	CHECK(apply(c, ch, n), "flush of %zu peers failed", n);
	printf("# %s: flush of %zu pool peers in one apply: %.3f s\n", c->backend, n, now() - t0);
	dev = get(c);
	CHECK(dev, "no device");
	CHECK(dev->n_peers == N_OUTSIDE + 1, "%zu peers left, want %d", dev->n_peers,
	      N_OUTSIDE + 1);
	for (int i = 0; i < N_OUTSIDE; i++) {
		addr_of(OUTSIDE_NET, (uint32_t)i + 1, addr);
		CHECK(exactly(find(dev, c->outside[i]), addr), "outside peer %d changed or gone",
		      i);
	}
	CHECK(static_unchanged(c, dev), "static peer");
	CHECK(!c->verify || verify(c, "count", "101", NULL), "wg(8) does not count 101 peers");
	ok = true;
fail:
	free(ch);
	wg_device_free(dev);
	return ok;
}

static const struct {
	const char *id, *name;
	bool (*fn)(struct ctx *);
} cases[] = {
    {"pick", "wg_ops_pick: auto picks this backend for the interface", case_pick},
    {"device", "get_device returns the public key and listen port", case_device},
    {"missing", "a missing interface is -ENODEV", case_missing},
    {"notwg", "lo is not WireGuard", case_notwg},
    {"static", "the static peer is dumped once with all its allowed IPs", case_static},
    {"set", "SET adds a peer with exactly addr/128", case_set_adds},
    {"replace_ips", "SET on an existing peer replaces its allowed IPs", case_set_replaces},
    {"replace_peer", "REMOVE+SET in one apply replaces one peer by another", case_replace_peer},
    {"remove", "REMOVE of several peers", case_remove_several},
    {"remove_absent", "REMOVE of an absent peer is not an error; static untouched",
     case_remove_absent},
    {"set_ips", "SET_IPS: exactly the given allowed IPs, never a new peer", case_set_ips},
    {"probe", "probe_peers: a peer or not, with nothing changed", case_probe},
    {"outside", "100 peers outside the pool; SET timing", case_outside},
    {"big_add", "many peers added in one apply", case_big_add},
    {"big_dump", "the dump returns every peer with its allowed IP", case_big_dump},
    {"big_timing", "dump and SET timing at the big device", case_big_timing},
    {"concurrent", "dumps during concurrent changes are complete", case_concurrent},
    {"flush", "flushing the pool leaves exactly the peers outside it", case_flush},
};

int main(void)
{
	const char *only = getenv("WG_ONLY");
	struct ctx c = {0};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0 || !setup(&c)) {
		printf("not ok 1 - setup\n1..1\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok;

		if (!selected(only, cases[i].id))
			continue;
		ok = cases[i].fn(&c);
		t_fails += !ok;
		printf("%s %d - %s: %s\n", ok ? "ok" : "not ok", ++t_n, c.backend, cases[i].name);
	}
	printf("1..%d\n", t_n);
	free(c.static_snap.ips);
	free(c.outside);
	free(c.big_keys);
	return t_fails ? 1 : 0;
}
