/* SPDX-License-Identifier: MIT */
/* The registry unit tests' fixture (test_registry.c, test_registry_many.c,
 * test_reg_ctl.c, test_ops.c, test_routes.c): a registry over a fresh table
 * in front of the fake WireGuard of fake_wg.h. Include after cmocka and
 * wg/registry.h, with CAPACITY (the table's slots) defined. */
#ifndef AUTOWG_TESTS_REGISTRY_FIX_H
#define AUTOWG_TESTS_REGISTRY_FIX_H

#define FAKE_CHANGES_MAX 64
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

/* How fix_make makes the registry; zero for each default. */
struct fix_opts {
	uint32_t capacity;		/* slots; CAPACITY when 0 */
	enum converter_kind kind;	/* CONVERTER_DIRECT_BCD when 0 */
	const struct wg_ops *ops;	/* fake_ops when NULL */
	const struct route_ops *routes; /* --install-routes when set */
	unsigned node_id;
};

/* A registry made as o says over a fresh table: neither synced nor up. */
static struct fix *fix_make(const struct fix_opts *o)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct registry_config rc;
	struct prefix6 pool;
	const char *why;
	char err[128];

	assert_non_null(f);
	f->capacity = o->capacity ? o->capacity : CAPACITY;
	assert_true(prefix6_parse(POOL, &pool, &why));
	assert_true(converter_init(&f->conv, o->kind, &pool, NULL, &why));
	f->pat = cn_pattern_compile(CN_PATTERN_DEFAULT, err, sizeof(err));
	assert_non_null(f->pat);
	f->size = table_size(f->capacity);
	f->table = aligned_alloc(64, (f->size + 63) / 64 * 64);
	assert_non_null(f->table);
	table_init(f->table, f->size, f->capacity);
	rc = (struct registry_config){.ifname = "wgtest",
				      .ops = o->ops ? o->ops : &fake_ops,
				      .conv = &f->conv,
				      .pattern = f->pat,
				      .capacity = f->capacity,
				      .table = f->table,
				      .routes = o->routes,
				      .node_id = o->node_id};
	assert_int_equal(registry_new(&rc, &f->r), 0);
	return f;
}

static void fix_free(struct fix *f)
{
	registry_free(f->r);
	cn_pattern_free(f->pat);
	free(f->table);
	free(f);
}

/* Synced with an interface holding p[0..n). */
static void fix_sync(struct fix *f, const struct fake_peer *p, size_t n)
{
	struct wg_device *d = device(p, n);

	assert_int_equal(registry_sync(f->r, d), 0);
	device_free(d);
}

/* Registration of key number keyn for cn at time now: its result. */
__attribute__((unused)) static uint32_t reg_at(struct fix *f, const char *cn, int keyn, int64_t now)
{
	uint8_t key[AWG_KEY_LEN];
	struct reg_answer a;

	key_of(keyn, key);
	registry_register(f->r, cn, key, now, &a);
	return a.result;
}

/* cmocka setup for the registry tests: CAPACITY slots, synced with an empty
 * interface, up, the fake's record cleared. */
__attribute__((unused)) static int setup_opts(void **state, const struct fix_opts *o)
{
	struct fix *f = fix_make(o);

	fix_sync(f, NULL, 0);
	registry_set_up(f->r, true);
	memset(&fake, 0, sizeof(fake));
	*state = f;
	return 0;
}

__attribute__((unused)) static int setup(void **state)
{
	return setup_opts(state, &(struct fix_opts){0});
}

__attribute__((unused)) static int teardown(void **state)
{
	fix_free(*state);
	return 0;
}

/* Registration at time 1000; its answer in *a unless a is NULL. */
__attribute__((unused)) static uint32_t reg(struct fix *f, const char *cn, int keyn,
					    struct reg_answer *a)
{
	uint8_t key[AWG_KEY_LEN];
	struct reg_answer local;

	key_of(keyn, key);
	registry_register(f->r, cn, key, 1000, a ? a : &local);
	return a ? a->result : local.result;
}

#endif
