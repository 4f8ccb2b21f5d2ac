/* SPDX-License-Identifier: MIT */
/* The operations passes of the registry against a fake WireGuard: counters
 * in the shared table, --expire-after, --keep-peers. Real WireGuard:
 * tests/wg/helper-expire.sh, tests/wg/helper-keep.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <cmocka.h>

#include "../../core/addr.h"
#include "../../core/key.h"
#include "../../core/table.h"
#include "../../wg/registry.h"

#define CAPACITY 8
#include "registry_fix.h"

/* A registry synced with an interface holding p[0..n), up. */
static struct fix *fix_new(enum converter_kind kind, bool keep, const struct fake_peer *p, size_t n)
{
	struct fix *f = fix_make(&(struct fix_opts){.kind = kind});

	registry_set_keep_peers(f->r, keep);
	memset(&fake, 0, sizeof(fake));
	fix_sync(f, p, n);
	registry_set_up(f->r, true);
	return f;
}

/* The used entry named name, or fail. */
static struct table_entry entry(struct fix *f, const char *name)
{
	struct table_entry e;
	uint32_t i;

	for (i = 0; i < CAPACITY; i++)
		if (table_read_entry(f->table, f->size, i, &e) == TABLE_READ_OK &&
		    !strcmp(e.name, name))
			return e;
	fail_msg("no entry %s", name);
	return e;
}

static bool has_entry(struct fix *f, const char *name)
{
	struct table_entry e;
	uint32_t i;

	for (i = 0; i < CAPACITY; i++)
		if (table_read_entry(f->table, f->size, i, &e) == TABLE_READ_OK &&
		    !strcmp(e.name, name))
			return true;
	return false;
}

static void counters_by_outcome_and_key_changes(void **state)
{
	struct fix *f = fix_new(CONVERTER_DIRECT_BCD, false, NULL, 0);
	struct table_counters c;

	(void)state;
	assert_int_equal(reg_at(f, "1", 1, 1000), REG_OK);
	assert_int_equal(reg_at(f, "2", 2, 1000), REG_OK);
	assert_int_equal(reg_at(f, "1", 1, 1000), REG_SAME);
	assert_int_equal(reg_at(f, "1", 3, 1000), REG_REPLACED);
	assert_int_equal(reg_at(f, "1", 4, 1000), REG_REPLACED);
	assert_int_equal(reg_at(f, "x-1", 5, 1000), REG_BAD_CN);
	assert_int_equal(reg_at(f, "12345", 5, 1000), REG_BAD_NAME);
	assert_int_equal(reg_at(f, "3", 2, 1000), REG_KEY_TAKEN);
	assert_true(table_read_counters(f->table, f->size, &c));
	assert_int_equal(c.registrations[REG_OK], 2);
	assert_int_equal(c.registrations[REG_SAME], 1);
	assert_int_equal(c.registrations[REG_REPLACED], 2);
	assert_int_equal(c.registrations[REG_BAD_CN], 1);
	assert_int_equal(c.registrations[REG_BAD_NAME], 1);
	assert_int_equal(c.registrations[REG_KEY_TAKEN], 1);
	assert_int_equal(c.registrations[REG_FULL], 0);
	assert_int_equal(c.expired, 0);
	assert_int_equal(entry(f, "1").key_changes, 2);
	assert_int_equal(entry(f, "2").key_changes, 0);
	fix_free(f);
}

static void expire_never_shook_hands(void **state)
{
	struct fix *f = fix_new(CONVERTER_DIRECT_BCD, false, NULL, 0);
	struct table_counters c;
	uint8_t k1[AWG_KEY_LEN];

	(void)state;
	assert_int_equal(reg_at(f, "1", 1, 1000), REG_OK);
	assert_int_equal(reg_at(f, "2", 2, 1002), REG_OK);
	memset(&fake, 0, sizeof(fake));
	assert_int_equal(registry_expire(f->r, 1003, 3), 0); /* exactly 3 s: not yet */
	assert_int_equal(fake.calls, 0);
	assert_int_equal(registry_expire(f->r, 1004, 3), 1);
	key_of(1, k1);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, k1, AWG_KEY_LEN);
	assert_false(has_entry(f, "1"));
	assert_true(has_entry(f, "2"));
	assert_int_equal(registry_count(f->r), 1);
	assert_true(table_read_counters(f->table, f->size, &c));
	assert_int_equal(c.expired, 1);
	/* its name is free again, and off means off */
	assert_int_equal(reg_at(f, "1", 1, 1004), REG_OK);
	assert_int_equal(registry_expire(f->r, 99999, 0), 0);
	fix_free(f);
}

static void expire_counts_handshakes_and_traffic(void **state)
{
	int64_t now = time(NULL);
	struct fix *f = fix_new(CONVERTER_DIRECT_BCD, false, NULL, 0);
	struct fake_peer p[] = {{1, {"fde3:25fb:7f6c:1::1/128"}, now - 2, 0},
				{2, {"fde3:25fb:7f6c:1::2/128"}, now - 100, 5000},
				{3, {"fde3:25fb:7f6c:1::3/128"}, now - 100, 0}};
	struct wg_device *d;

	(void)state;
	assert_int_equal(reg_at(f, "1", 1, now - 200), REG_OK);
	assert_int_equal(reg_at(f, "2", 2, now - 200), REG_OK);
	assert_int_equal(reg_at(f, "3", 3, now - 200), REG_OK);
	d = device(p, 3);
	assert_int_equal(registry_update(f->r, d), 0);
	device_free(d);
	/* 1 shook hands 2 s ago; 2's handshake is old but it received bytes;
	 * 3 is quiet since its handshake 100 s ago */
	assert_int_equal(registry_expire(f->r, now, 10), 1);
	assert_true(has_entry(f, "1"));
	assert_true(has_entry(f, "2"));
	assert_false(has_entry(f, "3"));
	fix_free(f);
}

static void expire_apply_failure_changes_nothing(void **state)
{
	struct fix *f = fix_new(CONVERTER_DIRECT_BCD, false, NULL, 0);
	struct table_counters c;

	(void)state;
	assert_int_equal(reg_at(f, "1", 1, 1000), REG_OK);
	fake.fail = -EIO;
	assert_int_equal(registry_expire(f->r, 2000, 3), -EIO);
	assert_true(has_entry(f, "1"));
	assert_int_equal(registry_take_check(f->r), -EIO);
	assert_true(table_read_counters(f->table, f->size, &c));
	assert_int_equal(c.expired, 0);
	fix_free(f);
}

static const struct fake_peer pool_peers[] = {
    {5, {"fde3:25fb:7f6c:1::42/128"}, 0, 0},
    {6, {"fde3:25fb:7f6c:1::abcd/128"}, 0, 0},				     /* not BCD */
    {7, {"fde3:25fb:7f6c:1::2001/128", "fde3:25fb:7f6c:1::2002/128"}, 0, 0}, /* two IPs */
    {8, {"fde3:25fb:7f6c:1:0:1::/96"}, 0, 0},				     /* not a /128 */
    {9, {"fde3:25fb:7f6c:1:1::1234/128"}, 0, 0}, /* BCD, but not where direct-bcd puts it */
    {10, {"fd00:99::7/128"}, 0, 0},		 /* static */
    {11, {"fde3:25fb:7f6c:1::0/128"}, 0, 0},
};
#define N_POOL_PEERS (sizeof(pool_peers) / sizeof(pool_peers[0]))

static void keep_peers_off_flushes(void **state)
{
	struct fix *f = fix_new(CONVERTER_DIRECT_BCD, false, pool_peers, N_POOL_PEERS);

	(void)state;
	assert_int_equal(registry_count(f->r), 0);
	assert_int_equal(registry_static_count(f->r), 1);
	fix_free(f);
}

static size_t removed(int keyn)
{
	uint8_t k[AWG_KEY_LEN];
	size_t i, n = 0;

	key_of(keyn, k);
	for (i = 0; i < fake.n; i++)
		n += fake.ch[i].op == WG_CHANGE_REMOVE && key_equal(fake.ch[i].key, k);
	return n;
}

static void keep_peers_direct_bcd(void **state)
{
	struct fix *f;
	struct table_counters c;
	struct table_entry e;
	uint8_t a[16];
	const char *why;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	f = fix_new(CONVERTER_DIRECT_BCD, true, pool_peers, N_POOL_PEERS);
	assert_int_equal(registry_count(f->r), 2); /* ::42 as "42", ::0 as "0" */
	e = entry(f, "42");
	assert_true(addr6_parse("fde3:25fb:7f6c:1::42", a, &why));
	assert_memory_equal(e.addr, a, 16);
	assert_true(has_entry(f, "0"));
	assert_true(table_read_counters(f->table, f->size, &c));
	assert_int_equal(c.adopted, 2);
	assert_int_equal(registry_static_count(f->r), 1);
	/* the device registers as "0042" with its key: the entry is confirmed
	 * under the device's spelling */
	assert_int_equal(reg_at(f, "0042", 5, 2000), REG_REPLACED);
	assert_false(has_entry(f, "42"));
	e = entry(f, "0042");
	assert_int_equal(e.key_changes, 0);
	assert_int_equal(registry_count(f->r), 2);
	/* from now on "42" is another device */
	assert_int_equal(reg_at(f, "42", 12, 2000), REG_ADDR_TAKEN);
	/* "0" comes back with a new key: replaced, the old peer removed */
	assert_int_equal(reg_at(f, "0", 13, 2000), REG_REPLACED);
	assert_int_equal(removed(11), 1);
	assert_int_equal(entry(f, "0").key_changes, 0);
	/* a confirmed entry behaves as any: the same key again is "same" */
	assert_int_equal(reg_at(f, "0", 13, 2000), REG_SAME);
	fix_free(f);
}

static void keep_peers_removes_what_does_not_fit(void **state)
{
	struct fix *f = fix_make(&(struct fix_opts){0});
	struct wg_device *d = device(pool_peers, N_POOL_PEERS);
	size_t i;
	int gone[16] = {0};

	(void)state;
	registry_set_keep_peers(f->r, true);
	memset(&fake, 0, sizeof(fake));
	assert_int_equal(registry_sync(f->r, d), 0);
	device_free(d);
	for (i = 0; i < fake.n; i++) {
		assert_int_equal(fake.ch[i].op, WG_CHANGE_REMOVE);
		assert_int_equal(fake.ch[i].key[31], 0x42);
		gone[fake.ch[i].key[0]] = 1;
	}
	assert_int_equal(fake.n, 4);
	assert_true(gone[6] && gone[7] && gone[8] && gone[9]);
	fix_free(f);
}

static void keep_peers_metans_under_address(void **state)
{
	struct fix *f = fix_new(CONVERTER_METANS, true, pool_peers, 1);
	struct reg_answer a;
	uint8_t key[AWG_KEY_LEN];

	(void)state;
	assert_int_equal(registry_count(f->r), 1);
	assert_true(has_entry(f, "[fde3:25fb:7f6c:1::42]"));
	/* a device whose metans address is elsewhere is just a new device */
	key_of(20, key);
	registry_register(f->r, "toilet1", key, 2000, &a);
	assert_int_equal(a.result, REG_OK);
	assert_int_equal(registry_count(f->r), 2);
	/* and the kept peer's own key cannot be taken by another name */
	key_of(5, key);
	registry_register(f->r, "toilet2", key, 2000, &a);
	assert_int_equal(a.result, REG_KEY_TAKEN);
	assert_true(has_entry(f, "[fde3:25fb:7f6c:1::42]"));
	fix_free(f);
}

static void keep_peers_table_full(void **state)
{
	struct fake_peer many[CAPACITY + 2];
	char ips[CAPACITY + 2][48];
	struct fix *f;
	size_t i;

	(void)state;
	for (i = 0; i < CAPACITY + 2; i++) {
		snprintf(ips[i], sizeof(ips[i]), "fde3:25fb:7f6c:1::%zu/128", 100 + i);
		many[i] = (struct fake_peer){(int)(30 + i), {ips[i]}, 0, 0};
	}
	f = fix_new(CONVERTER_DIRECT_BCD, true, many, CAPACITY + 2);
	assert_int_equal(registry_count(f->r), CAPACITY);
	assert_int_equal(fake.n, 2); /* the two that did not fit are removed */
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(counters_by_outcome_and_key_changes),
	    cmocka_unit_test(expire_never_shook_hands),
	    cmocka_unit_test(expire_counts_handshakes_and_traffic),
	    cmocka_unit_test(expire_apply_failure_changes_nothing),
	    cmocka_unit_test(keep_peers_off_flushes),
	    cmocka_unit_test(keep_peers_direct_bcd),
	    cmocka_unit_test(keep_peers_removes_what_does_not_fit),
	    cmocka_unit_test(keep_peers_metans_under_address),
	    cmocka_unit_test(keep_peers_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
