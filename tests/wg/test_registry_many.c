/* SPDX-License-Identifier: MIT */
/* Many registrations: 20,000 names in one registry, and several at once
 * (registry_register_many) answering as one at a time would. Against the
 * fake WireGuard of fake_wg.h; real WireGuard: tests/wg/helper*.sh. */
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

static int setup_big(void **state)
{
	return setup_opts(state, &(struct fix_opts){.capacity = 20000, .kind = CONVERTER_METANS});
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(many_names_and_replacements, setup_big, teardown),
	    cmocka_unit_test_setup_teardown(many_answers_as_one_at_a_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(many_new_names_go_in_one_apply, setup, teardown),
	    cmocka_unit_test_setup_teardown(many_old_key_taken_by_another_name_waits, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(many_failed_apply_answers_all_unavailable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(many_full_table_counts_the_group, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
