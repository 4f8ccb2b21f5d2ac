/* SPDX-License-Identifier: MIT */
/* A fake WireGuard for registry unit tests: records the last change list
 * and fails when told to; its dump is the peers the changes left plus
 * fake.extra (peers "added with wg set" behind the registry's back).
 * fake_ops looks keys up as the kernel backend does (probe_peers);
 * fake_ops_dump has no lookup, as the userspace backend. Include after
 * cmocka and wg/registry.h, with FAKE_CHANGES_MAX defined. Real WireGuard:
 * tests/wg/helper*.sh. */
#ifndef AUTOWG_TESTS_FAKE_WG_H
#define AUTOWG_TESTS_FAKE_WG_H

#define FAKE_PEERS_MAX 64
#define FAKE_IPS_MAX   8

/* Key number n: distinct, never all-zero. */
static void key_of(int n, uint8_t key[AWG_KEY_LEN])
{
	memset(key, 0, AWG_KEY_LEN);
	key[0] = (uint8_t)(n & 0xff);
	key[1] = (uint8_t)(n >> 8);
	key[31] = 0x42;
}

static struct {
	struct wg_change ch[FAKE_CHANGES_MAX];
	size_t n, calls;
	int fail; /* -errno the next apply returns */
	/* the allowed IPs of the last SET_IPS applied (its ips[] is the caller's) */
	struct wg_allowedip set_ips[FAKE_IPS_MAX];
	uint32_t n_set_ips;
	/* peers on the interface the changes did not make: key, one allowed IP */
	struct {
		uint8_t key[AWG_KEY_LEN];
		struct wg_allowedip ip;
	} extra[FAKE_PEERS_MAX];
	size_t n_extra;
	size_t gets, probes;	  /* dumps and probes asked for */
	int probe_fail, get_fail; /* -errno the next probe / dump returns */
	/* the interface as the applied changes left it: key -> one address */
	struct {
		uint8_t key[AWG_KEY_LEN], addr[16];
	} peer[FAKE_PEERS_MAX];
	size_t n_peers;
} fake;

static void fake_model(const struct wg_change *c)
{
	size_t i;

	for (i = 0; i < fake.n_peers; i++)
		if (!memcmp(fake.peer[i].key, c->key, AWG_KEY_LEN))
			break;
	if (c->op == WG_CHANGE_SET_IPS) {
		fake.n_set_ips = c->n_ips < FAKE_IPS_MAX ? c->n_ips : FAKE_IPS_MAX;
		memcpy(fake.set_ips, c->ips, fake.n_set_ips * sizeof(*c->ips));
		return; /* a static peer's: the model holds the pool's only */
	}
	if (c->op == WG_CHANGE_REMOVE) {
		if (i < fake.n_peers)
			fake.peer[i] = fake.peer[--fake.n_peers];
		return;
	}
	if (i == fake.n_peers) {
		if (i == FAKE_PEERS_MAX)
			return;
		fake.n_peers++;
		memcpy(fake.peer[i].key, c->key, AWG_KEY_LEN);
	}
	memcpy(fake.peer[i].addr, c->addr, 16);
}

static int fake_get(const char *ifname, struct wg_device **out)
{
	struct wg_device *d;
	size_t i, n = fake.n_peers + fake.n_extra;

	(void)ifname;
	*out = NULL;
	fake.gets++;
	if (fake.get_fail)
		return fake.get_fail;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->flags = WG_DEVICE_HAS_PUBLIC_KEY | WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	key_of(999, d->public_key);
	d->listen_port = 51820;
	d->peers = calloc(n ? n : 1, sizeof(*d->peers));
	assert_non_null(d->peers);
	d->n_peers = n;
	for (i = 0; i < n; i++) {
		struct wg_peer *p = &d->peers[i];

		p->ips = calloc(1, sizeof(*p->ips));
		assert_non_null(p->ips);
		p->n_ips = 1;
		if (i < fake.n_peers) {
			memcpy(p->key, fake.peer[i].key, AWG_KEY_LEN);
			p->ips[0] = (struct wg_allowedip){.family = AF_INET6, .cidr = 128};
			memcpy(p->ips[0].addr, fake.peer[i].addr, 16);
		} else {
			memcpy(p->key, fake.extra[i - fake.n_peers].key, AWG_KEY_LEN);
			p->ips[0] = fake.extra[i - fake.n_peers].ip;
		}
	}
	*out = d;
	return 0;
}

static bool fake_has(const uint8_t key[AWG_KEY_LEN])
{
	size_t i;

	for (i = 0; i < fake.n_peers; i++)
		if (!memcmp(fake.peer[i].key, key, AWG_KEY_LEN))
			return true;
	for (i = 0; i < fake.n_extra; i++)
		if (!memcmp(fake.extra[i].key, key, AWG_KEY_LEN))
			return true;
	return false;
}

static int fake_probe(const char *ifname, const uint8_t (*keys)[AWG_KEY_LEN], size_t n)
{
	(void)ifname;
	fake.probes++;
	if (fake.probe_fail)
		return fake.probe_fail;
	while (n--)
		if (fake_has(keys[n]))
			return 1;
	return 0;
}

static int fake_apply(const char *ifname, const struct wg_change *ch, size_t n)
{
	(void)ifname;
	fake.calls++;
	if (fake.fail)
		return fake.fail;
	fake.n = n < FAKE_CHANGES_MAX ? n : FAKE_CHANGES_MAX;
	memcpy(fake.ch, ch, fake.n * sizeof(*ch));
	while (n--)
		fake_model(ch++);
	return 0;
}

static const struct wg_ops fake_ops = {
    .name = "fake", .get_device = fake_get, .apply = fake_apply, .probe_peers = fake_probe};
static const struct wg_ops fake_ops_dump = {
    .name = "fake-dump", .get_device = fake_get, .apply = fake_apply};

__attribute__((unused)) static void addr_of(const char *text, uint8_t out[16])
{
	const char *why;

	assert_true(addr6_parse(text, out, &why));
}

/* A device as a dump returns it: interface key 999, port 51820, then
 * peers given as (key number, one or two "addr/len", handshake, rx). */
struct fake_peer {
	int key;
	const char *ips[2]; /* "addr/len", one or two */
	int64_t handshake;
	uint64_t rx;
};

__attribute__((unused)) static struct wg_device *device(const struct fake_peer *p, size_t n)
{
	struct wg_device *d = calloc(1, sizeof(*d));
	size_t i, j;

	d->flags = WG_DEVICE_HAS_PUBLIC_KEY | WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	key_of(999, d->public_key);
	d->listen_port = 51820;
	d->peers = calloc(n ? n : 1, sizeof(*d->peers));
	d->n_peers = n;
	for (i = 0; i < n; i++) {
		key_of(p[i].key, d->peers[i].key);
		d->peers[i].ips = calloc(2, sizeof(*d->peers[i].ips));
		d->peers[i].last_handshake = p[i].handshake;
		d->peers[i].rx_bytes = p[i].rx;
		for (j = 0; j < 2 && p[i].ips[j]; j++) {
			struct prefix6 pf;
			const char *why;

			assert_true(prefix6_parse(p[i].ips[j], &pf, &why));
			d->peers[i].ips[j].family = AF_INET6;
			d->peers[i].ips[j].cidr = pf.len;
			memcpy(d->peers[i].ips[j].addr, pf.addr, 16);
			d->peers[i].n_ips++;
		}
	}
	return d;
}

__attribute__((unused)) static void device_free(struct wg_device *d)
{
	size_t i;

	for (i = 0; i < d->n_peers; i++)
		free(d->peers[i].ips);
	free(d->peers);
	free(d);
}

#endif
