/* SPDX-License-Identifier: MIT */
/* The registry unit tests' fixture: a registry over a table of CAPACITY
 * slots (setup) or 20,000 (setup_big), synced with an empty device, up, in
 * front of the fake WireGuard of fake_wg.h. Included by test_registry.c,
 * test_registry_many.c and test_reg_ctl.c, after cmocka and
 * wg/registry.h. */
#ifndef AUTOWG_TESTS_REGISTRY_FIX_H
#define AUTOWG_TESTS_REGISTRY_FIX_H

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

#endif
