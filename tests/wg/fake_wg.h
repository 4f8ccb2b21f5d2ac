/* SPDX-License-Identifier: MIT */
/* A fake WireGuard for registry unit tests: records the last change list
 * and fails when told to. Include after cmocka and wg/registry.h, with
 * FAKE_CHANGES_MAX defined. Real WireGuard: tests/wg/helper*.sh. */
#ifndef AUTOWG_TESTS_FAKE_WG_H
#define AUTOWG_TESTS_FAKE_WG_H

#define FAKE_PEERS_MAX 64
#define FAKE_IPS_MAX   8

static struct {
	struct wg_change ch[FAKE_CHANGES_MAX];
	size_t n, calls;
	int fail; /* -errno the next apply returns */
	/* the allowed IPs of the last SET_IPS applied (its ips[] is the caller's) */
	struct wg_allowedip set_ips[FAKE_IPS_MAX];
	uint32_t n_set_ips;
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
	(void)ifname;
	*out = NULL;
	return -ENOSYS;
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

static const struct wg_ops fake_ops = {"fake", fake_get, fake_apply};

/* Key number n: distinct, never all-zero. */
static void key_of(int n, uint8_t key[AWG_KEY_LEN])
{
	memset(key, 0, AWG_KEY_LEN);
	key[0] = (uint8_t)(n & 0xff);
	key[1] = (uint8_t)(n >> 8);
	key[31] = 0x42;
}

#endif
