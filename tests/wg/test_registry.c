/* SPDX-License-Identifier: MIT */
/* The registration rules and syncs with the interface, against a fake
 * WireGuard (wg_ops) that records every change and can be told to fail.
 * Real WireGuard: tests/wg/helper*.sh. */
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

#define CAPACITY 4
#include "registry_fix.h"

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

/* reg() at a given time. */
static uint32_t answer_at(struct fix *f, const char *cn, int keyn, int64_t now,
			  struct reg_answer *a)
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
	assert_int_equal(answer_at(f, "1234", 1, 1000, &a), REG_OK);
	assert_int_equal(a.retry_after, 0);
	fake.calls = 0;
	/* a new key 3 s later: refused, 7 s to wait, nothing applied or changed */
	assert_int_equal(answer_at(f, "1234", 2, 1003, &a), REG_RATE_LIMITED);
	assert_int_equal(a.retry_after, 7);
	assert_string_equal(a.reason, "key changed too recently: retry in 7 s");
	assert_int_equal(fake.calls, 0);
	assert_int_equal(table_read_entry(f->table, f->size, 0, &e), TABLE_READ_OK);
	assert_memory_equal(e.key, k1, AWG_KEY_LEN);
	assert_int_equal(e.key_changes, 0);
	/* the same key is never limited; another name is not this one */
	assert_int_equal(answer_at(f, "1234", 1, 1004, &a), REG_SAME);
	assert_int_equal(a.retry_after, 0);
	assert_int_equal(answer_at(f, "42", 3, 1004, &a), REG_OK);
	/* at the interval: taken, and the next interval starts there */
	assert_int_equal(answer_at(f, "1234", 2, 1010, &a), REG_REPLACED);
	assert_int_equal(answer_at(f, "1234", 4, 1019, &a), REG_RATE_LIMITED);
	assert_int_equal(a.retry_after, 1);
	assert_int_equal(answer_at(f, "1234", 4, 1020, &a), REG_REPLACED);
	/* a clock set back cannot lock the name out */
	assert_int_equal(answer_at(f, "1234", 5, 900, &a), REG_REPLACED);
	/* 0 turns the limit off */
	registry_set_min_rekey(f->r, 0);
	assert_int_equal(answer_at(f, "1234", 6, 901, &a), REG_REPLACED);
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
	    {.key = 10, .ips = {"fde3:25fb:7f6c:1::5/128"}}, /* in the pool: removed */
	    {.key = 11, .ips = {"fde3:25fb:7f6c:2::/64"}},   /* in the route: static */
	    {.key = 12, .ips = {"fd00:1::/64"}},	     /* elsewhere: static */
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
	const struct fake_peer peers[] = {{.key = 13, .ips = {"fde3:25fb:7f6c:1::42/128"}}};
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
	const struct fake_peer peers[] = {{.key = 1, .ips = {"fde3:25fb:7f6c:1::1234/128"}},
					  {.key = 7, .ips = {POOL}}};
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
	const struct fake_peer peers[] = {{.key = 11, .ips = {"fd00:1::/64"}},
					  {.key = 12, .ips = {"fde3:25fb:7f6c:1::9/128"}}};
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
	const struct fake_peer peers[] = {{.key = 20, .ips = {"fde3:25fb:7f6c:1::7/128"}},
					  {.key = 21, .ips = {"fde3:25fb:7f6c:1::100/120"}}};
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
	const struct fake_peer peers[] = {{.key = 20, .ips = {"fde3:25fb:7f6c::/48"}}};
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
	const struct fake_peer peers[] = {{.key = 1, .ips = {"fde3:25fb:7f6c:1::1/128"}}};
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
