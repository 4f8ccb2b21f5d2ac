/* SPDX-License-Identifier: MIT */
/* The registration rules, against a fake WireGuard (wg_ops) that records
 * every change and can be told to fail. Real WireGuard: tests/wg/helper*.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "../../core/addr.h"
#include "../../core/key.h"
#include "../../core/table.h"
#include "../../wg/registry.h"

#define FAKE_CHANGES_MAX 64
#define CAPACITY	 4
#define POOL		 "fde3:25fb:7f6c:1::/64"

#include "fake_wg.h"

struct fix {
	struct converter conv;
	struct cn_pattern *pat;
	void *table;
	size_t size;
	struct registry *r;
	uint32_t capacity;
};

static void addr_of(const char *text, uint8_t out[16])
{
	const char *why;

	assert_true(addr6_parse(text, out, &why));
}

/* A device: interface key 999, then peers given as (key number, prefix). */
struct fake_peer {
	int key;
	const char *ip; /* "addr/len" */
};

static struct wg_device *device(const struct fake_peer *p, size_t n)
{
	struct wg_device *d = calloc(1, sizeof(*d));
	size_t i;

	d->flags = WG_DEVICE_HAS_PUBLIC_KEY | WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	key_of(999, d->public_key);
	d->listen_port = 51820;
	d->peers = calloc(n ? n : 1, sizeof(*d->peers));
	d->n_peers = n;
	for (i = 0; i < n; i++) {
		struct prefix6 pf;
		const char *why;

		key_of(p[i].key, d->peers[i].key);
		d->peers[i].ips = calloc(1, sizeof(*d->peers[i].ips));
		d->peers[i].n_ips = 1;
		assert_true(prefix6_parse(p[i].ip, &pf, &why));
		d->peers[i].ips[0].family = AF_INET6;
		d->peers[i].ips[0].cidr = pf.len;
		memcpy(d->peers[i].ips[0].addr, pf.addr, 16);
	}
	return d;
}

static void device_free(struct wg_device *d)
{
	size_t i;

	for (i = 0; i < d->n_peers; i++)
		free(d->peers[i].ips);
	free(d->peers);
	free(d);
}

static int setup_cap(void **state, uint32_t capacity, enum converter_kind kind)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct prefix6 pool;
	const char *why;
	char err[128];
	struct registry_config rc;
	struct wg_device *d;

	assert_true(prefix6_parse(POOL, &pool, &why));
	assert_true(converter_init(&f->conv, kind, &pool, NULL, &why));
	f->pat = cn_pattern_compile(CN_PATTERN_DEFAULT, err, sizeof(err));
	assert_non_null(f->pat);
	f->capacity = capacity;
	f->size = table_size(capacity);
	f->table = aligned_alloc(64, (f->size + 63) / 64 * 64);
	table_init(f->table, f->size, capacity);
	rc = (struct registry_config){.ifname = "wgtest",
				      .ops = &fake_ops,
				      .conv = &f->conv,
				      .pattern = f->pat,
				      .capacity = capacity,
				      .table = f->table};
	assert_int_equal(registry_new(&rc, &f->r), 0);
	d = device(NULL, 0);
	assert_int_equal(registry_sync(f->r, d), 0);
	device_free(d);
	registry_set_up(f->r, true);
	memset(&fake, 0, sizeof(fake));
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_cap(state, CAPACITY, CONVERTER_DIRECT_BCD);
}

static int setup_big(void **state)
{
	return setup_cap(state, 20000, CONVERTER_METANS);
}

static int teardown(void **state)
{
	struct fix *f = *state;

	registry_free(f->r);
	cn_pattern_free(f->pat);
	free(f->table);
	free(f);
	return 0;
}

static uint32_t reg(struct fix *f, const char *cn, int keyn, struct reg_answer *a)
{
	uint8_t key[AWG_KEY_LEN];
	struct reg_answer local;

	key_of(keyn, key);
	registry_register(f->r, cn, key, 1000, a ? a : &local);
	return a ? a->result : local.result;
}

static void new_name_gets_its_address(void **state)
{
	struct fix *f = *state;
	struct reg_answer a;
	struct table_entry e;
	uint8_t want[16], key[AWG_KEY_LEN];

	assert_int_equal(reg(f, "1234", 1, &a), REG_OK);
	addr_of("fde3:25fb:7f6c:1::1234", want);
	assert_memory_equal(a.addr, want, 16);
	assert_string_equal(a.name, "1234");
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_SET);
	assert_memory_equal(fake.ch[0].addr, want, 16);
	key_of(1, key);
	assert_memory_equal(fake.ch[0].key, key, AWG_KEY_LEN);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_OK);
	assert_string_equal(e.name, "1234");
	assert_memory_equal(e.key, key, AWG_KEY_LEN);
	assert_int_equal(registry_count(f->r), 1);
}

static void same_key_is_idempotent(void **state)
{
	struct fix *f = *state;

	uint8_t want[16], key[AWG_KEY_LEN];

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(reg(f, "1234", 1, NULL), REG_SAME);
	assert_int_equal(registry_count(f->r), 1);
	/* the same peer is set once more (it repairs a removal), nothing else */
	addr_of("fde3:25fb:7f6c:1::1234", want);
	key_of(1, key);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_SET);
	assert_memory_equal(fake.ch[0].key, key, AWG_KEY_LEN);
	assert_memory_equal(fake.ch[0].addr, want, 16);
	/* and when that fails, the interface is unavailable: the table stays */
	fake.fail = -EIO;
	assert_int_equal(reg(f, "1234", 1, NULL), REG_UNAVAILABLE);
	fake.fail = 0;
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(reg(f, "1234", 1, NULL), REG_SAME);
}

static void new_key_replaces_in_one_apply(void **state)
{
	struct fix *f = *state;
	uint8_t old[AWG_KEY_LEN], nu[AWG_KEY_LEN];
	struct table_entry e;

	key_of(1, old);
	key_of(2, nu);
	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(reg(f, "1234", 2, NULL), REG_REPLACED);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 2);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, old, AWG_KEY_LEN);
	assert_int_equal(fake.ch[1].op, WG_CHANGE_SET);
	assert_memory_equal(fake.ch[1].key, nu, AWG_KEY_LEN);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_OK);
	assert_memory_equal(e.key, nu, AWG_KEY_LEN);
	/* the old key is free again, the new one is this name's */
	assert_int_equal(reg(f, "1235", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "1234", 2, NULL), REG_SAME);
}

/* The audit line names the key a registration replaced: only then. */
static void answer_names_the_replaced_key(void **state)
{
	struct fix *f = *state;
	uint8_t old[AWG_KEY_LEN], zero[AWG_KEY_LEN] = {0};
	struct reg_answer a;

	key_of(1, old);
	assert_int_equal(reg(f, "1234", 1, &a), REG_OK);
	assert_false(a.has_old_key);
	assert_memory_equal(a.old_key, zero, AWG_KEY_LEN);
	assert_int_equal(reg(f, "1234", 1, &a), REG_SAME);
	assert_false(a.has_old_key);
	assert_int_equal(reg(f, "1234", 2, &a), REG_REPLACED);
	assert_true(a.has_old_key);
	assert_memory_equal(a.old_key, old, AWG_KEY_LEN);
	/* refused, or failed to apply: nothing was replaced */
	assert_int_equal(reg(f, "1235", 2, &a), REG_KEY_TAKEN);
	assert_false(a.has_old_key);
	fake.fail = -EIO;
	assert_int_equal(reg(f, "1234", 3, &a), REG_UNAVAILABLE);
	fake.fail = 0;
	assert_false(a.has_old_key);
}

/* reg_at: reg() at a given time. */
static uint32_t reg_at(struct fix *f, const char *cn, int keyn, int64_t now, struct reg_answer *a)
{
	uint8_t key[AWG_KEY_LEN];

	key_of(keyn, key);
	registry_register(f->r, cn, key, now, a);
	return a->result;
}

static void rekey_within_interval_is_rate_limited(void **state)
{
	struct fix *f = *state;
	struct reg_answer a;
	struct table_entry e;
	uint8_t k1[AWG_KEY_LEN];

	registry_set_min_rekey(f->r, 10);
	key_of(1, k1);
	assert_int_equal(reg_at(f, "1234", 1, 1000, &a), REG_OK);
	assert_int_equal(a.retry_after, 0);
	fake.calls = 0;
	/* a new key 3 s later: refused, 7 s to wait, nothing applied or changed */
	assert_int_equal(reg_at(f, "1234", 2, 1003, &a), REG_RATE_LIMITED);
	assert_int_equal(a.retry_after, 7);
	assert_string_equal(a.reason, "key changed too recently: retry in 7 s");
	assert_int_equal(fake.calls, 0);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_OK);
	assert_memory_equal(e.key, k1, AWG_KEY_LEN);
	assert_int_equal(e.key_changes, 0);
	/* the same key is never limited; another name is not this one */
	assert_int_equal(reg_at(f, "1234", 1, 1004, &a), REG_SAME);
	assert_int_equal(a.retry_after, 0);
	assert_int_equal(reg_at(f, "42", 3, 1004, &a), REG_OK);
	/* at the interval: taken, and the next interval starts there */
	assert_int_equal(reg_at(f, "1234", 2, 1010, &a), REG_REPLACED);
	assert_int_equal(reg_at(f, "1234", 4, 1019, &a), REG_RATE_LIMITED);
	assert_int_equal(a.retry_after, 1);
	assert_int_equal(reg_at(f, "1234", 4, 1020, &a), REG_REPLACED);
	/* a clock set back cannot lock the name out */
	assert_int_equal(reg_at(f, "1234", 5, 900, &a), REG_REPLACED);
	/* 0 turns the limit off */
	registry_set_min_rekey(f->r, 0);
	assert_int_equal(reg_at(f, "1234", 6, 901, &a), REG_REPLACED);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_OK);
	assert_int_equal(e.key_changes, 4);
}

/* Two new keys for one name in one batch: the first is taken, the second
 * waits for it and is limited, as one after the other. */
static void rekey_limit_holds_within_a_batch(void **state)
{
	struct fix *f = *state;
	uint8_t k1[AWG_KEY_LEN], k2[AWG_KEY_LEN], k3[AWG_KEY_LEN];
	struct reg_request q[3] = {{"1234", k1}, {"1234", k2}, {"1234", k3}};
	struct reg_answer a[3];

	registry_set_min_rekey(f->r, 5);
	key_of(1, k1);
	key_of(2, k2);
	key_of(3, k3);
	registry_register_many(f->r, q, 3, 1000, a);
	assert_int_equal(a[0].result, REG_OK);
	assert_int_equal(a[1].result, REG_RATE_LIMITED);
	assert_int_equal(a[1].retry_after, 5);
	assert_int_equal(a[2].result, REG_RATE_LIMITED);
	assert_int_equal(registry_count(f->r), 1);
}

/* A peer "added with wg set" after the last dump: in the fake's interface,
 * not in the registry's static peers. */
static void add_behind_the_back(int keyn, const char *prefix)
{
	struct prefix6 pf;
	const char *why;

	assert_true(prefix6_parse(prefix, &pf, &why));
	key_of(keyn, fake.extra[fake.n_extra].key);
	fake.extra[fake.n_extra].ip = (struct wg_allowedip){.family = AF_INET6, .cidr = pf.len};
	memcpy(fake.extra[fake.n_extra++].ip.addr, pf.addr, 16);
}

/* The attack: a static peer's key registered before the helper re-read its
 * static peers. The new key is looked up first; the peer is found, learnt,
 * and the registration refused without touching it. */
static void new_key_of_a_static_peer_added_since_is_refused(void **state)
{
	struct fix *f = *state;
	struct reg_answer a;

	add_behind_the_back(50, "fd00:9::1/128");
	assert_int_equal(reg(f, "1234", 50, &a), REG_KEY_STATIC);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(fake.probes, 1);
	assert_int_equal(fake.gets, 1); /* the probe said "maybe": a dump says who */
	assert_int_equal(registry_count(f->r), 0);
	assert_int_equal(registry_static_count(f->r), 1);
	/* a new key that is nobody's: one lookup, no dump, registered */
	assert_int_equal(reg(f, "1234", 51, &a), REG_OK);
	assert_int_equal(fake.probes, 2);
	assert_int_equal(fake.gets, 1);
	/* its own key again: the registry set it, no lookup */
	assert_int_equal(reg(f, "1234", 51, &a), REG_SAME);
	assert_int_equal(fake.probes, 2);
}

/* Without a per-key lookup (userspace) the check is a dump; a static peer
 * added since with an address in the pool is learnt from it as well. */
static void new_key_is_checked_by_a_dump_without_lookup(void **state)
{
	struct fix *f = *state;
	struct registry_config rc = {.ifname = "wgtest",
				     .ops = &fake_ops_dump,
				     .conv = &f->conv,
				     .pattern = f->pat,
				     .capacity = f->capacity,
				     .table = f->table};
	struct reg_answer a;

	registry_free(f->r);
	table_init(f->table, f->size, f->capacity);
	assert_int_equal(registry_new(&rc, &f->r), 0);
	registry_set_up(f->r, true);
	add_behind_the_back(52, "fde3:25fb:7f6c:1::77/128");
	assert_int_equal(reg(f, "1234", 52, &a), REG_KEY_STATIC);
	assert_int_equal(fake.gets, 1);
	/* learnt by that dump: refused before any other */
	assert_int_equal(reg(f, "77", 53, &a), REG_ADDR_STATIC);
	assert_int_equal(fake.gets, 1);
	assert_int_equal(reg(f, "1234", 54, &a), REG_OK);
	assert_int_equal(fake.gets, 2);
	assert_int_equal(fake.probes, 0);
	assert_int_equal(fake.calls, 1);
}

/* One lookup for a whole batch; a static key in it is refused, the others
 * go on; an interface that cannot be read answers the batch 503. */
static void new_keys_of_a_batch_are_checked_together(void **state)
{
	struct fix *f = *state;
	uint8_t k[3][AWG_KEY_LEN];
	struct reg_request q[3] = {{"1", k[0]}, {"2", k[1]}, {"3", k[2]}};
	struct reg_answer a[3];

	key_of(60, k[0]);
	key_of(61, k[1]);
	key_of(62, k[2]);
	add_behind_the_back(61, "fd00:9::61/128");
	registry_register_many(f->r, q, 3, 1000, a);
	assert_int_equal(a[0].result, REG_OK);
	assert_int_equal(a[1].result, REG_KEY_STATIC);
	assert_int_equal(a[2].result, REG_OK);
	assert_int_equal(fake.probes, 1);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 2);
	fake.probe_fail = -EIO;
	key_of(63, k[0]);
	q[0].cn = "4";
	registry_register_many(f->r, q, 1, 1000, a);
	assert_int_equal(a[0].result, REG_UNAVAILABLE);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(registry_take_check(f->r), -EIO);
	assert_int_equal(registry_count(f->r), 2);
}

static void key_of_another_name_is_refused(void **state)
{
	struct fix *f = *state;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(reg(f, "1235", 1, NULL), REG_KEY_TAKEN);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(registry_count(f->r), 1);
}

static void interface_key_is_refused(void **state)
{
	assert_int_equal(reg(*state, "1234", 999, NULL), REG_KEY_IFACE);
	assert_int_equal(fake.calls, 0);
}

static void sync_flushes_pool_keeps_statics(void **state)
{
	struct fix *f = *state;
	const struct fake_peer peers[] = {
	    {10, "fde3:25fb:7f6c:1::5/128"}, /* in the pool: removed */
	    {11, "fde3:25fb:7f6c:2::/64"},   /* in the route: static */
	    {12, "fd00:1::/64"},	     /* elsewhere: static */
	};
	struct wg_device *d = device(peers, 3);
	uint8_t k10[AWG_KEY_LEN];

	assert_int_equal(registry_sync(f->r, d), 0);
	key_of(10, k10);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, k10, AWG_KEY_LEN);
	assert_int_equal(registry_static_count(f->r), 2);
	assert_int_equal(reg(f, "1234", 11, NULL), REG_KEY_STATIC);
	assert_int_equal(reg(f, "1234", 12, NULL), REG_KEY_STATIC);
	/* the flushed peer's key is nobody's now */
	assert_int_equal(reg(f, "1234", 10, NULL), REG_OK);
	device_free(d);
}

/* A static peer with allowed IPs on both sides of the pool's edge loses
 * those inside it and keeps the others (IPv4 too); it stays a static peer,
 * and the address it lost is free. */
static void sync_trims_a_static_peer_in_the_pool(void **state)
{
	struct fix *f = *state;
	const struct fake_peer peers[] = {{13, "fde3:25fb:7f6c:1::42/128"}};
	struct wg_device *d = device(peers, 1);
	struct wg_allowedip *ips = calloc(3, sizeof(*ips));
	struct prefix6 pf;
	uint8_t k13[AWG_KEY_LEN];
	const char *why;

	ips[0] = d->peers[0].ips[0];
	assert_true(prefix6_parse("fd00:7::/64", &pf, &why));
	ips[1] = (struct wg_allowedip){.family = AF_INET6, .cidr = pf.len};
	memcpy(ips[1].addr, pf.addr, 16);
	ips[2] = (struct wg_allowedip){.family = AF_INET, .cidr = 16, .addr = {10, 7}};
	free(d->peers[0].ips);
	d->peers[0].ips = ips;
	d->peers[0].n_ips = 3;
	assert_int_equal(registry_sync(f->r, d), 0);
	key_of(13, k13);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_SET_IPS);
	assert_memory_equal(fake.ch[0].key, k13, AWG_KEY_LEN);
	assert_int_equal(fake.n_set_ips, 2);
	assert_memory_equal(&fake.set_ips[0], &ips[1], sizeof(*ips));
	assert_memory_equal(&fake.set_ips[1], &ips[2], sizeof(*ips));
	assert_int_equal(registry_static_count(f->r), 1);
	assert_int_equal(reg(f, "1234", 13, NULL), REG_KEY_STATIC);
	/* the address it lost is nobody's: device 42 gets it */
	assert_int_equal(reg(f, "42", 14, NULL), REG_OK);
	device_free(d);
}

static void sync_reapplies_the_table(void **state)
{
	struct fix *f = *state;
	const struct fake_peer peers[] = {{1, "fde3:25fb:7f6c:1::1234/128"}, {7, POOL}};
	struct wg_device *d = device(peers, 2);
	uint8_t k1[AWG_KEY_LEN], k7[AWG_KEY_LEN];

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "1", 2, NULL), REG_OK);
	assert_int_equal(registry_sync(f->r, d), 0);
	key_of(1, k1);
	key_of(7, k7);
	/* peer 7 removed, our two set again, ours never removed */
	assert_int_equal(fake.n, 3);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, k7, AWG_KEY_LEN);
	assert_int_equal(fake.ch[1].op, WG_CHANGE_SET);
	assert_int_equal(fake.ch[2].op, WG_CHANGE_SET);
	assert_int_equal(registry_count(f->r), 2);
	device_free(d);
}

static void sync_failure_changes_nothing(void **state)
{
	struct fix *f = *state;
	const struct fake_peer peers[] = {{11, "fd00:1::/64"}, {12, "fde3:25fb:7f6c:1::9/128"}};
	struct wg_device *d = device(peers, 2);

	fake.fail = -EIO;
	assert_int_equal(registry_sync(f->r, d), -EIO);
	fake.fail = 0;
	assert_int_equal(registry_static_count(f->r), 0);
	assert_int_equal(reg(f, "1234", 11, NULL), REG_OK);
	device_free(d);
}

static void address_of_static_peer_is_refused(void **state)
{
	struct fix *f = *state;
	/* a peer added later by an operator, inside the pool: learnt as static */
	const struct fake_peer peers[] = {{20, "fde3:25fb:7f6c:1::7/128"},
					  {21, "fde3:25fb:7f6c:1::100/120"}};
	struct wg_device *d = device(peers, 2);

	assert_int_equal(registry_update(f->r, d), 0);
	fake.calls = 0;
	assert_int_equal(reg(f, "7", 1, NULL), REG_ADDR_STATIC);
	assert_int_equal(reg(f, "0150", 1, NULL), REG_ADDR_STATIC);
	assert_int_equal(reg(f, "0250", 1, NULL), REG_OK);
	assert_int_equal(fake.calls, 1);
	device_free(d);
}

static void static_route_covering_pool_refuses_all(void **state)
{
	struct fix *f = *state;
	const struct fake_peer peers[] = {{20, "fde3:25fb:7f6c::/48"}};
	struct wg_device *d = device(peers, 1);

	assert_int_equal(registry_sync(f->r, d), 0);
	assert_int_equal(reg(f, "1", 1, NULL), REG_ADDR_STATIC);
	device_free(d);
}

static void interface_address_is_refused(void **state)
{
	struct fix *f = *state;
	uint8_t a[1][16];

	addr_of("fde3:25fb:7f6c:1::1", a[0]);
	assert_int_equal(registry_set_iface_addrs(f->r, (const uint8_t(*)[16])a, 1), 0);
	assert_int_equal(reg(f, "1", 1, NULL), REG_ADDR_IFACE);
	assert_int_equal(reg(f, "2", 1, NULL), REG_OK);
}

static void address_of_another_name_is_refused(void **state)
{
	struct fix *f = *state;
	struct reg_answer a;

	assert_int_equal(reg(f, "42", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "0042", 2, &a), REG_ADDR_TAKEN);
	assert_string_equal(a.name, "0042");
	assert_non_null(strstr(a.reason, "42"));
}

static void bad_cn_bad_name_bad_key(void **state)
{
	struct fix *f = *state;
	struct reg_answer a;
	uint8_t zero[AWG_KEY_LEN] = {0};

	assert_int_equal(reg(f, "12-34", 1, &a), REG_BAD_CN);
	assert_string_equal(a.name, "");
	assert_int_equal(reg(f, "12\n34", 1, NULL), REG_BAD_CN);
	assert_int_equal(reg(f, "", 1, NULL), REG_BAD_CN);
	assert_int_equal(reg(f, "10000", 1, &a), REG_BAD_NAME);
	assert_string_equal(a.name, "10000");
	registry_register(f->r, "1", zero, 1, &a);
	assert_int_equal(a.result, REG_BAD_KEY);
	assert_int_equal(fake.calls, 0);
}

static void down_interface_is_unavailable(void **state)
{
	struct fix *f = *state;

	registry_set_up(f->r, false);
	assert_int_equal(reg(f, "1", 1, NULL), REG_UNAVAILABLE);
	/* before anything else: a 503 whatever the request */
	assert_int_equal(reg(f, "12-34", 1, NULL), REG_UNAVAILABLE);
	assert_int_equal(reg(f, "10000", 1, NULL), REG_UNAVAILABLE);
	assert_int_equal(fake.calls, 0);
	registry_set_up(f->r, true);
	assert_int_equal(reg(f, "1", 1, NULL), REG_OK);
}

static void full_table_is_refused(void **state)
{
	struct fix *f = *state;
	char cn[8];
	int i;

	for (i = 0; i < CAPACITY; i++) {
		snprintf(cn, sizeof(cn), "%d", i);
		assert_int_equal(reg(f, cn, i + 1, NULL), REG_OK);
	}
	assert_int_equal(reg(f, "100", 100, NULL), REG_FULL);
	/* a known name may still change its key */
	assert_int_equal(reg(f, "0", 101, NULL), REG_REPLACED);
}

static void apply_failure_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(registry_take_check(f->r), 0);
	fake.fail = -ECONNREFUSED;
	assert_int_equal(reg(f, "1", 1, NULL), REG_UNAVAILABLE);
	assert_int_equal(registry_take_check(f->r), -ECONNREFUSED);
	assert_int_equal(registry_take_check(f->r), 0);
	assert_int_equal(registry_count(f->r), 0);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_EMPTY);
	fake.fail = 0;
	assert_int_equal(reg(f, "1", 1, NULL), REG_OK);
	fake.fail = -EIO;
	assert_int_equal(reg(f, "1", 2, NULL), REG_UNAVAILABLE);
	fake.fail = 0;
	assert_int_equal(reg(f, "1", 1, NULL), REG_SAME);
}

static void update_copies_stats(void **state)
{
	struct fix *f = *state;
	const struct fake_peer peers[] = {{1, "fde3:25fb:7f6c:1::1/128"}};
	struct wg_device *d = device(peers, 1);
	struct table_entry e;

	assert_int_equal(reg(f, "1", 1, NULL), REG_OK);
	d->peers[0].last_handshake = 1700000000;
	d->peers[0].rx_bytes = 123;
	d->peers[0].tx_bytes = 456;
	assert_int_equal(registry_update(f->r, d), 0);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_OK);
	assert_int_equal(e.last_handshake, 1700000000);
	assert_int_equal(e.rx_bytes, 123);
	assert_int_equal(e.tx_bytes, 456);
	assert_int_equal(registry_static_count(f->r), 0);
	device_free(d);
}

/* 20,000 names, each key replaced once: every index stays exact. */
static void many_names_and_replacements(void **state)
{
	struct fix *f = *state;
	char cn[32];
	int i;

	for (i = 0; i < 20000; i++) {
		snprintf(cn, sizeof(cn), "dev%d", i);
		assert_int_equal(reg(f, cn, i + 1000, NULL), REG_OK);
	}
	assert_int_equal(reg(f, "extra", 50000, NULL), REG_FULL);
	for (i = 0; i < 20000; i += 2) {
		snprintf(cn, sizeof(cn), "dev%d", i);
		assert_int_equal(reg(f, cn, i + 30001, NULL), REG_REPLACED);
	}
	for (i = 0; i < 20000; i++) {
		snprintf(cn, sizeof(cn), "dev%d", i);
		assert_int_equal(reg(f, cn, i % 2 ? i + 1000 : i + 30001, NULL), REG_SAME);
		if (i % 2 == 0)
			assert_int_equal(reg(f, "other", i + 1000, NULL), REG_FULL);
	}
	assert_int_equal(registry_count(f->r), 20000);
}

/* ---- several registrations at once: registry_register_many ---- */

struct snap {
	struct reg_answer a[256];
	size_t n_a;
	struct table_entry e[CAPACITY];
	bool used[CAPACITY];
	uint8_t peer[FAKE_PEERS_MAX][AWG_KEY_LEN + 16];
	size_t n_peers;
};

static int peer_cmp(const void *x, const void *y)
{
	return memcmp(x, y, AWG_KEY_LEN + 16);
}

static void snap_state(struct fix *f, struct snap *sn)
{
	uint32_t i;
	size_t k;

	for (i = 0; i < CAPACITY; i++)
		sn->used[i] = table_read_entry(f->table, f->size, i, &sn->e[i]) == TABLE_READ_OK;
	sn->n_peers = fake.n_peers;
	for (k = 0; k < fake.n_peers; k++) {
		memcpy(sn->peer[k], fake.peer[k].key, AWG_KEY_LEN);
		memcpy(sn->peer[k] + AWG_KEY_LEN, fake.peer[k].addr, 16);
	}
	qsort(sn->peer, sn->n_peers, sizeof(sn->peer[0]), peer_cmp);
}

/* A script of batches over few names and keys (direct-bcd, 4 slots): every
 * clash the rules know comes up. "12" and "012" share an address. */
static const char *const script_names[] = {"1", "2", "3", "12", "012", "5", "x!"};

static size_t script_run(struct fix *f, unsigned seed, bool grouped, struct snap *sn)
{
	struct reg_request q[8];
	uint8_t keys[8][AWG_KEY_LEN];
	unsigned x = seed;
	size_t round, i, n, applies;

	memset(sn, 0, sizeof(*sn));
	fake.calls = 0;
	for (round = 0; round < 32; round++) {
		x = x * 1103515245u + 12345u;
		n = 1 + (x >> 16) % 8;
		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			key_of(1 + (int)((x >> 16) % 6), keys[i]);
			q[i].cn = script_names[(x >> 8) % 7];
			q[i].key = keys[i];
		}
		if (grouped) {
			registry_register_many(f->r, q, n, 1000, &sn->a[sn->n_a]);
		} else {
			for (i = 0; i < n; i++)
				registry_register(f->r, q[i].cn, q[i].key, 1000,
						  &sn->a[sn->n_a + i]);
		}
		sn->n_a += n;
	}
	applies = fake.calls;
	snap_state(f, sn);
	return applies;
}

static void many_answers_as_one_at_a_time(void **state)
{
	struct fix *f = *state;
	static struct snap one, many;
	size_t i, applies_one, applies_many, total_one = 0, total_many = 0;
	unsigned seed;

	for (seed = 1; seed <= 40; seed++) {
		teardown(state);
		setup(state);
		f = *state;
		applies_one = script_run(f, seed, false, &one);
		teardown(state);
		setup(state);
		f = *state;
		applies_many = script_run(f, seed, true, &many);
		assert_int_equal(one.n_a, many.n_a);
		for (i = 0; i < one.n_a; i++) {
			if (one.a[i].result != many.a[i].result)
				fail_msg("seed %u, registration %zu: one at a time %s, grouped %s",
					 seed, i, reg_result_name(one.a[i].result),
					 reg_result_name(many.a[i].result));
			assert_string_equal(one.a[i].name, many.a[i].name);
			assert_memory_equal(one.a[i].addr, many.a[i].addr, 16);
			assert_string_equal(one.a[i].reason, many.a[i].reason);
		}
		for (i = 0; i < CAPACITY; i++) {
			assert_int_equal(one.used[i], many.used[i]);
			if (!one.used[i])
				continue;
			assert_string_equal(one.e[i].name, many.e[i].name);
			assert_memory_equal(one.e[i].key, many.e[i].key, AWG_KEY_LEN);
			assert_memory_equal(one.e[i].addr, many.e[i].addr, 16);
			assert_int_equal(one.e[i].key_changes, many.e[i].key_changes);
		}
		assert_int_equal(one.n_peers, many.n_peers);
		assert_memory_equal(one.peer, many.peer, one.n_peers * sizeof(one.peer[0]));
		assert_true(applies_many <= applies_one);
		total_one += applies_one;
		total_many += applies_many;
	}
	/* and grouping saved transactions: the point of it */
	print_message("# 40 scripts: %zu applies one at a time, %zu grouped\n", total_one,
		      total_many);
	assert_true(total_many < total_one);
}

static void many_new_names_go_in_one_apply(void **state)
{
	struct fix *f = *state;
	uint8_t k[3][AWG_KEY_LEN];
	struct reg_request q[3] = {{"1", k[0]}, {"2", k[1]}, {"3", k[2]}};
	struct reg_answer a[3];

	key_of(1, k[0]);
	key_of(2, k[1]);
	key_of(3, k[2]);
	registry_register_many(f->r, q, 3, 1000, a);
	assert_int_equal(a[0].result, REG_OK);
	assert_int_equal(a[1].result, REG_OK);
	assert_int_equal(a[2].result, REG_OK);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 3);
	assert_int_equal(fake.n_peers, 3);
	assert_int_equal(registry_count(f->r), 3);
}

static void many_old_key_taken_by_another_name_waits(void **state)
{
	struct fix *f = *state;
	uint8_t k1[AWG_KEY_LEN], k2[AWG_KEY_LEN];
	struct reg_request q[2] = {{"1", k2}, {"2", k1}};
	struct reg_answer a[2];

	key_of(1, k1);
	key_of(2, k2);
	assert_int_equal(reg(f, "1", 1, NULL), REG_OK);
	fake.calls = 0;
	/* "1" moves to key 2, freeing key 1, which "2" then takes: two applies */
	registry_register_many(f->r, q, 2, 1000, a);
	assert_int_equal(a[0].result, REG_REPLACED);
	assert_int_equal(a[1].result, REG_OK);
	assert_int_equal(fake.calls, 2);
}

static void many_failed_apply_answers_all_unavailable(void **state)
{
	struct fix *f = *state;
	uint8_t k[2][AWG_KEY_LEN];
	struct reg_request q[3] = {{"1", k[0]}, {"x!", k[1]}, {"2", k[1]}};
	struct reg_answer a[3];

	key_of(1, k[0]);
	key_of(2, k[1]);
	fake.fail = -EIO;
	registry_register_many(f->r, q, 3, 1000, a);
	fake.fail = 0;
	assert_int_equal(a[0].result, REG_UNAVAILABLE);
	assert_int_equal(a[1].result, REG_BAD_CN); /* refused before any apply */
	assert_int_equal(a[2].result, REG_UNAVAILABLE);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(registry_count(f->r), 0);
}

static void many_full_table_counts_the_group(void **state)
{
	struct fix *f = *state;
	uint8_t k[5][AWG_KEY_LEN];
	struct reg_request q[5] = {{"1", k[0]}, {"2", k[1]}, {"3", k[2]}, {"5", k[3]}, {"6", k[4]}};
	struct reg_answer a[5];
	int i;

	for (i = 0; i < 5; i++)
		key_of(i + 1, k[i]);
	registry_register_many(f->r, q, 5, 1000, a);
	for (i = 0; i < CAPACITY; i++)
		assert_int_equal(a[i].result, REG_OK);
	assert_int_equal(a[4].result, REG_FULL);
	assert_int_equal(registry_count(f->r), CAPACITY);
	assert_int_equal(fake.n_peers, CAPACITY);
}

/* autowg-ctl remove: the peer goes in one apply, then the entry; its key,
 * address and name are free at once. */
static void remove_takes_peer_and_entry(void **state)
{
	struct fix *f = *state;
	uint8_t k1[AWG_KEY_LEN], want[16];
	struct table_entry e;

	key_of(1, k1);
	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "1235", 2, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(registry_remove(f->r, "1234", &e), 0);
	assert_string_equal(e.name, "1234");
	addr_of("fde3:25fb:7f6c:1::1234", want);
	assert_memory_equal(e.addr, want, 16);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, k1, AWG_KEY_LEN);
	assert_int_equal(fake.n_peers, 1);
	assert_int_equal(registry_count(f->r), 1);
	assert_false(registry_find(f->r, "1234", &e));
	assert_true(registry_find(f->r, "1235", &e));
	/* the key is free for another name, the name for a new registration */
	assert_int_equal(reg(f, "1236", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "1234", 3, NULL), REG_OK);
}

static void remove_unknown_name_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(registry_remove(f->r, "1233", &e), -ENOENT);
	assert_int_equal(registry_remove(f->r, "", &e), -ENOENT);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(registry_count(f->r), 1);
}

static void remove_while_down_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	registry_set_up(f->r, false);
	fake.calls = 0;
	assert_int_equal(registry_remove(f->r, "1234", &e), -ENETDOWN);
	assert_int_equal(fake.calls, 0);
	assert_true(registry_find(f->r, "1234", &e));
}

static void remove_apply_failure_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.fail = -EIO;
	assert_int_equal(registry_remove(f->r, "1234", &e), -EIO);
	fake.fail = 0;
	assert_int_equal(registry_take_check(f->r), -EIO);
	assert_true(registry_find(f->r, "1234", &e));
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(fake.n_peers, 1);
	assert_int_equal(reg(f, "1234", 1, NULL), REG_SAME);
}

/* Pages of used entries in slot order; the cursor skips the holes and is 0
 * after the last one. */
static void list_pages_over_holes(void **state)
{
	struct fix *f = *state;
	struct table_entry e[CAPACITY];
	uint32_t cursor = 0;

	assert_int_equal(reg(f, "1", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "2", 2, NULL), REG_OK);
	assert_int_equal(reg(f, "3", 3, NULL), REG_OK);
	assert_int_equal(reg(f, "4", 4, NULL), REG_OK);
	assert_int_equal(registry_remove(f->r, "2", &e[0]), 0);
	assert_int_equal(registry_list(f->r, &cursor, e, 2), 2);
	assert_string_equal(e[0].name, "1");
	assert_string_equal(e[1].name, "3");
	assert_int_not_equal(cursor, 0);
	assert_int_equal(registry_list(f->r, &cursor, e, 2), 1);
	assert_string_equal(e[0].name, "4");
	assert_int_equal(cursor, 0);
	cursor = CAPACITY + 7;
	assert_int_equal(registry_list(f->r, &cursor, e, 2), 0);
	assert_int_equal(cursor, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(new_name_gets_its_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(same_key_is_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(new_key_replaces_in_one_apply, setup, teardown),
	    cmocka_unit_test_setup_teardown(answer_names_the_replaced_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(rekey_within_interval_is_rate_limited, setup, teardown),
	    cmocka_unit_test_setup_teardown(rekey_limit_holds_within_a_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(new_key_of_a_static_peer_added_since_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(new_key_is_checked_by_a_dump_without_lookup, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(new_keys_of_a_batch_are_checked_together, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(key_of_another_name_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(interface_key_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(sync_flushes_pool_keeps_statics, setup, teardown),
	    cmocka_unit_test_setup_teardown(sync_trims_a_static_peer_in_the_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(sync_reapplies_the_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(sync_failure_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(address_of_static_peer_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(static_route_covering_pool_refuses_all, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(interface_address_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(address_of_another_name_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_cn_bad_name_bad_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(down_interface_is_unavailable, setup, teardown),
	    cmocka_unit_test_setup_teardown(full_table_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(apply_failure_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(update_copies_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(many_names_and_replacements, setup_big, teardown),
	    cmocka_unit_test_setup_teardown(many_answers_as_one_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(many_new_names_go_in_one_apply, setup, teardown),
	    cmocka_unit_test_setup_teardown(many_old_key_taken_by_another_name_waits, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(many_failed_apply_answers_all_unavailable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(many_full_table_counts_the_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_takes_peer_and_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_unknown_name_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_while_down_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_apply_failure_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(list_pages_over_holes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
