/* SPDX-License-Identifier: MIT */
/* --install-routes in the registry, against a fake WireGuard and a fake
 * routing table: the route goes in before the peer, a registration whose
 * route cannot go in is refused, the route follows the peer, the hybrid
 * logical clock, the sync, lost routes. Real kernel routes:
 * tests/wg/helper-routes.sh. Freshness here is worked out by hand, for
 * node 0: 16 times the ticks of 8 s since 2020-01-01; metric 2^31 - F. */
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

#define CAPACITY 24
#define T1000	 (1577836800 + 8 * 1000) /* the start of tick 1000 */
#define F1000	 16000u			 /* its freshness */
#define M(f)	 (2147483648u - (f))	 /* a freshness's metric */
#define M1000	 M(F1000)

#include "registry_fix.h"

#define FR_MAX 32

/* The routing table as the fake keeps it: our routes, and what is known of
 * other protocols' routes (the helper learns those from the kernel). */
static struct {
	struct own_route own[FR_MAX];
	size_t n_own;
	struct {
		uint8_t addr[16];
		uint32_t fresh;
	} foreign[FR_MAX];
	size_t n_foreign;
	int fail_add;	     /* -errno every add returns while set */
	size_t adds, dels;   /* calls */
	size_t own_at_apply; /* our routes when WireGuard was last applied */
} fr;

static int fr_find(const struct prefix6 *dst, uint32_t metric)
{
	size_t i;

	for (i = 0; i < fr.n_own; i++)
		if (fr.own[i].dst.len == dst->len && !memcmp(fr.own[i].dst.addr, dst->addr, 16) &&
		    fr.own[i].metric == metric)
			return (int)i;
	return -1;
}

static int fr_add(void *ctx, const uint8_t addr[16], uint32_t f)
{
	struct own_route o = {.dst = {.len = 128}, .metric = 2147483648u - f};

	(void)ctx;
	fr.adds++;
	if (fr.fail_add)
		return fr.fail_add;
	memcpy(o.dst.addr, addr, 16);
	if (fr_find(&o.dst, o.metric) >= 0)
		return 0;
	assert_true(fr.n_own < FR_MAX);
	fr.own[fr.n_own++] = o;
	return 0;
}

static int fr_del(void *ctx, const struct prefix6 *dst, uint32_t metric)
{
	int i = fr_find(dst, metric);

	(void)ctx;
	fr.dels++;
	if (i >= 0)
		fr.own[i] = fr.own[--fr.n_own];
	return 0;
}

static uint32_t fr_known(void *ctx, const uint8_t addr[16])
{
	uint32_t best = 0;
	size_t i;

	(void)ctx;
	for (i = 0; i < fr.n_foreign; i++)
		if (!memcmp(fr.foreign[i].addr, addr, 16) && fr.foreign[i].fresh > best)
			best = fr.foreign[i].fresh;
	return best;
}

static const struct route_ops fr_ops = {fr_add, fr_del, fr_known};

static void foreign(const char *addr, uint32_t fresh)
{
	addr_of(addr, fr.foreign[fr.n_foreign].addr);
	fr.foreign[fr.n_foreign++].fresh = fresh;
}

/* Our routes for addr: how many, and the metric of the last. */
static size_t routes_of(const char *addr, uint32_t *metric)
{
	uint8_t a[16];
	size_t i, n = 0;

	addr_of(addr, a);
	for (i = 0; i < fr.n_own; i++) {
		if (fr.own[i].dst.len != 128 || memcmp(fr.own[i].dst.addr, a, 16))
			continue;
		n++;
		if (metric)
			*metric = fr.own[i].metric;
	}
	return n;
}

static uint32_t metric_of(const char *addr)
{
	uint32_t m = 0;

	assert_int_equal(routes_of(addr, &m), 1);
	return m;
}

/* WireGuard, noting how many routes were in when the peers were set. */
static int apply_noting(const char *ifname, const struct wg_change *ch, size_t n)
{
	fr.own_at_apply = fr.n_own;
	return fake_apply(ifname, ch, n);
}

static const struct wg_ops wg_noting = {
    .name = "fake", .get_device = fake_get, .apply = apply_noting};

static unsigned fix_node; /* --node-id of the next fix_new */

/* A registry with --install-routes over an interface holding p[0..n)
 * (--keep-peers keeps them), synced against a routing table holding own
 * and the routes elsewhere set up before (fix_free forgets those). */
static struct fix *fix_new(bool keep, const struct fake_peer *p, size_t n,
			   const struct own_route *own, size_t n_own)
{
	struct fix *f;

	fr.n_own = fr.adds = fr.dels = fr.own_at_apply = 0;
	fr.fail_add = 0;
	memset(&fake, 0, sizeof(fake));
	f = fix_make(&(struct fix_opts){.ops = &wg_noting, .routes = &fr_ops, .node_id = fix_node});
	registry_set_keep_peers(f->r, keep);
	fix_sync(f, p, n);
	if (n_own)
		memcpy(fr.own, own, n_own * sizeof(*own));
	fr.n_own = n_own;
	registry_routes_sync(f->r, own, n_own);
	registry_set_up(f->r, true);
	return f;
}

/* fix_free, and the routing table and node id back to none. */
static void fix_end(struct fix *f)
{
	fix_free(f);
	memset(&fr, 0, sizeof(fr));
	fix_node = 0;
}

static uint64_t routes_gauge(struct fix *f)
{
	struct table_counters c;

	assert_true(table_read_counters(f->table, f->size, &c));
	return c.routes;
}

static void route_goes_in_before_the_peer(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	assert_int_equal(fr.own_at_apply, 1);
	assert_int_equal(routes_gauge(f), 1);
	assert_int_equal(reg_at(f, "42", 2, T1000 + 8 * 5), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M(16080));
	assert_int_equal(routes_gauge(f), 2);
	fix_end(f);
}

static void new_key_gets_a_fresher_route_the_old_one_goes(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	/* in the same tick: the next of this node after its own freshness */
	assert_int_equal(reg_at(f, "1234", 2, T1000 + 7), REG_REPLACED);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M(16016));
	/* later: the clock */
	assert_int_equal(reg_at(f, "1234", 3, T1000 + 8 * 60), REG_REPLACED);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M(16960));
	assert_int_equal(routes_gauge(f), 1);
	fix_end(f);
}

static void same_key_keeps_the_route(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	fr.adds = fr.dels = 0;
	assert_int_equal(reg_at(f, "1234", 1, T1000 + 60), REG_SAME);
	assert_int_equal(fr.adds + fr.dels, 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	fix_end(f);
}

static void no_route_no_peer(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	struct table_counters c;

	(void)state;
	fr.fail_add = -ENOBUFS;
	fake.calls = 0;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_UNAVAILABLE);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(fake.n_peers, 0);
	assert_int_equal(registry_count(f->r), 0);
	assert_true(table_read_counters(f->table, f->size, &c));
	assert_int_equal(c.registrations[REG_UNAVAILABLE], 1);
	assert_int_equal(c.routes, 0);
	fr.fail_add = 0;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(fake.n_peers, 1);
	fix_end(f);
}

static void new_key_without_its_route_keeps_the_old_peer(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	uint8_t k1[AWG_KEY_LEN];

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	fr.fail_add = -ENOBUFS;
	assert_int_equal(reg_at(f, "1234", 2, T1000 + 1), REG_UNAVAILABLE);
	key_of(1, k1);
	assert_int_equal(fake.n_peers, 1);
	assert_memory_equal(fake.peer[0].key, k1, AWG_KEY_LEN);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	fix_end(f);
}

static void failed_apply_takes_the_route_back(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	fake.fail = -EIO;
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_UNAVAILABLE);
	assert_int_equal(reg_at(f, "1234", 3, T1000 + 1), REG_UNAVAILABLE);
	assert_int_equal(routes_of("fde3:25fb:7f6c:1::42", NULL), 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	assert_int_equal(routes_gauge(f), 1);
	fix_end(f);
}

static void newer_than_a_clock_running_ahead(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	/* registered at node 3, whose clock runs 4000 ticks ahead */
	foreign("fde3:25fb:7f6c:1::1234", 16 * 5000 + 3);
	foreign("fde3:25fb:7f6c:1::1234", 16 * 3000 + 3);
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M(16 * 5001));
	/* an older route elsewhere changes nothing: the clock wins */
	foreign("fde3:25fb:7f6c:1::42", 16 * 999 + 5);
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M1000);
	fix_end(f);
}

static void the_node_id_is_in_the_low_bits(void **state)
{
	struct fix *f;

	(void)state;
	fix_node = 5;
	f = fix_new(false, NULL, 0, NULL, 0);
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M(F1000 + 5));
	/* node 3 in the same tick: below node 5's */
	foreign("fde3:25fb:7f6c:1::42", F1000 + 3);
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M(F1000 + 5));
	/* node 10 in the same tick: node 5's next tick */
	foreign("fde3:25fb:7f6c:1::43", F1000 + 10);
	assert_int_equal(reg_at(f, "43", 3, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::43"), M(F1000 + 16 + 5));
	fix_end(f);
}

static void nothing_fresher_fits(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	foreign("fde3:25fb:7f6c:1::1234", 2147483647u); /* metric 1 */
	fake.calls = 0;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_UNAVAILABLE);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(fr.n_own, 0);
	foreign("fde3:25fb:7f6c:1::42", 2147483631u); /* the last tick but one, node 15 */
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M(2147483632u));
	/* node 0's last freshness is taken: none left for it */
	foreign("fde3:25fb:7f6c:1::43", 2147483632u);
	assert_int_equal(reg_at(f, "43", 3, T1000), REG_UNAVAILABLE);
	fix_end(f);
}

static void clock_is_clamped(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1", 1, 1000000000), REG_OK);   /* 2001: before 2020 */
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1"), M(16)); /* tick 1 */
	assert_int_equal(reg_at(f, "2", 2, 1577836800LL + 3000000000LL), REG_OK); /* 2115 */
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::2"), M(2147483632u)); /* the last tick */
	fix_end(f);
}

static void expiry_takes_the_route(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(reg_at(f, "42", 2, T1000 + 8 * 6), REG_OK);
	assert_int_equal(registry_expire(f->r, T1000 + 40, 30), 1);
	assert_int_equal(routes_of("fde3:25fb:7f6c:1::1234", NULL), 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M(16096));
	assert_int_equal(routes_gauge(f), 1);
	fix_end(f);
}

static void sync_keeps_ours_removes_stale_adds_missing(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	struct own_route own[3] = {{.dst = {.len = 128}, .metric = M1000},
				   {.dst = {.len = 128}, .metric = 5},
				   {.dst = {.len = 64}, .metric = 77}};

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(reg_at(f, "42", 2, T1000 + 7), REG_OK);
	/* the table as a dump finds it: 1234's route; a stale /128 and a /64;
	 * 42's route gone (with the interface, say) */
	addr_of("fde3:25fb:7f6c:1::1234", own[0].dst.addr);
	addr_of("fde3:25fb:7f6c:1::9", own[1].dst.addr);
	addr_of("fde3:25fb:7f6c:9::", own[2].dst.addr);
	memcpy(fr.own, own, sizeof(own));
	fr.n_own = 3;
	fr.adds = fr.dels = 0;
	registry_routes_sync(f->r, own, 3);
	assert_int_equal(fr.dels, 2);
	assert_int_equal(fr.adds, 1);
	assert_int_equal(fr.n_own, 2);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M1000); /* the same tick */
	assert_int_equal(routes_gauge(f), 2);
	assert_int_equal(registry_unrouted(f->r), 0);
	fix_end(f);
}

static void kept_peer_keeps_the_route_of_the_earlier_run(void **state)
{
	const struct fake_peer p[] = {
	    {.key = 5, .ips = {"fde3:25fb:7f6c:1::42/128"}, .handshake = T1000 + 8 * 50}};
	struct own_route own[2] = {{.dst = {.len = 128}, .metric = M1000},
				   {.dst = {.len = 128}, .metric = M(F1000 - 16)}};
	struct fix *f;

	(void)state;
	addr_of("fde3:25fb:7f6c:1::42", own[0].dst.addr);
	addr_of("fde3:25fb:7f6c:1::42", own[1].dst.addr); /* an older one too: it goes */
	f = fix_new(true, p, 1, own, 2);
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(fr.adds, 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M1000);
	/* its device, back with the same key: nothing changes */
	assert_int_equal(reg_at(f, "42", 5, T1000 + 8 * 100), REG_SAME);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M1000);
	/* with a new key: the clock */
	assert_int_equal(reg_at(f, "42", 6, T1000 + 8 * 100), REG_REPLACED);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M(17600));
	fix_end(f);
}

static void kept_peer_without_a_route_takes_its_handshake(void **state)
{
	const struct fake_peer p[] = {
	    {.key = 5, .ips = {"fde3:25fb:7f6c:1::42/128"}, .handshake = T1000 + 8 * 50},
	    {.key = 6, .ips = {"fde3:25fb:7f6c:1::43/128"}, .handshake = 0}};
	struct fix *f = fix_new(true, p, 2, NULL, 0);

	(void)state;
	assert_int_equal(registry_count(f->r), 2);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M(16800));
	/* never a handshake: this node's oldest, tick 1 */
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::43"), M(16));
	fix_end(f);
}

static void route_removed_by_someone_else_comes_back(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	struct route_event ev[2] = {{.kind = ROUTE_EV_OWN_GONE, .metric = M1000 + 1},
				    {.kind = ROUTE_EV_OWN_GONE, .metric = M1000}};
	struct prefix6 dst = {.len = 128};

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	addr_of("fde3:25fb:7f6c:1::1234", ev[0].addr);
	addr_of("fde3:25fb:7f6c:1::1234", ev[1].addr);
	/* another metric than ours: not ours, nothing to do */
	registry_route_events(f->r, ev, 1);
	assert_int_equal(registry_unrouted(f->r), 0);
	memcpy(dst.addr, ev[1].addr, 16);
	fr_del(NULL, &dst, M1000);
	registry_route_events(f->r, ev + 1, 1);
	assert_int_equal(registry_unrouted(f->r), 1);
	assert_int_equal(routes_gauge(f), 0);
	/* it cannot be added yet; then it can */
	fr.fail_add = -ENETDOWN;
	registry_routes_repair(f->r);
	assert_int_equal(registry_unrouted(f->r), 1);
	fr.fail_add = 0;
	registry_routes_repair(f->r);
	assert_int_equal(registry_unrouted(f->r), 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	assert_int_equal(routes_gauge(f), 1);
	fix_end(f);
}

/* With the interface refusing routes a pass gives up after 16 failures:
 * a second later it tries again. */
static void a_refused_pass_stops_early(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	struct route_event ev[20];
	char cn[8];
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		snprintf(cn, sizeof(cn), "%d", 100 + i);
		assert_int_equal(reg_at(f, cn, 100 + i, T1000), REG_OK);
		ev[i] = (struct route_event){.kind = ROUTE_EV_OWN_GONE, .metric = M1000};
		memcpy(ev[i].addr, fr.own[i].dst.addr, 16);
	}
	fr.n_own = 0; /* the interface went down: every route with it */
	registry_route_events(f->r, ev, 20);
	assert_int_equal(registry_unrouted(f->r), 20);
	fr.fail_add = -ENETDOWN;
	fr.adds = 0;
	registry_routes_repair(f->r);
	assert_int_equal(fr.adds, 16);
	fr.fail_add = 0;
	registry_routes_repair(f->r);
	assert_int_equal(registry_unrouted(f->r), 0);
	assert_int_equal(fr.n_own, 20);
	fix_end(f);
}

static uint64_t moved_count(struct fix *f)
{
	struct table_counters c;

	assert_true(table_read_counters(f->table, f->size, &c));
	return c.moved;
}

/* The kernel tells of a route of another protocol for addr. */
static void route_elsewhere(struct fix *f, const char *addr, uint32_t fresh)
{
	struct route_event ev = {.kind = ROUTE_EV_FOREIGN, .metric = 2147483648u - fresh};

	foreign(addr, fresh);
	addr_of(addr, ev.addr);
	registry_route_events(f->r, &ev, 1);
}

static void fresher_route_elsewhere_moves_the_device(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	uint8_t k1[AWG_KEY_LEN];

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_OK);
	fake.calls = 0;
	route_elsewhere(f, "fde3:25fb:7f6c:1::1234", F1000 + 1); /* node 1, the same tick */
	key_of(1, k1);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, k1, AWG_KEY_LEN);
	assert_int_equal(fake.n_peers, 1);
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(routes_of("fde3:25fb:7f6c:1::1234", NULL), 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::42"), M1000);
	assert_int_equal(moved_count(f), 1);
	assert_int_equal(routes_gauge(f), 1);
	/* the device back here: newer than the route elsewhere */
	assert_int_equal(reg_at(f, "1234", 3, T1000), REG_OK);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M(F1000 + 16));
	route_elsewhere(f, "fde3:25fb:7f6c:1::1234", F1000 + 1); /* told again: older now */
	assert_int_equal(registry_count(f->r), 2);
	fix_end(f);
}

static void an_older_or_equal_route_elsewhere_moves_nothing(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_OK);
	fake.calls = 0;
	route_elsewhere(f, "fde3:25fb:7f6c:1::42", F1000 - 1);
	route_elsewhere(f, "fde3:25fb:7f6c:1::7", 16 * 5000); /* no such device here */
	/* the same freshness: another concentrator with node id 0 (logged) */
	route_elsewhere(f, "fde3:25fb:7f6c:1::1234", F1000);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(registry_count(f->r), 2);
	assert_int_equal(moved_count(f), 0);
	fix_end(f);
}

static void a_move_the_interface_refuses_is_tried_again(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	fake.fail = -EIO;
	route_elsewhere(f, "fde3:25fb:7f6c:1::1234", 16 * 2000);
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	assert_int_equal(moved_count(f), 0);
	assert_int_equal(registry_take_check(f->r), -EIO);
	fake.fail = 0;
	registry_routes_repair(f->r);
	assert_int_equal(registry_count(f->r), 0);
	assert_int_equal(fake.n_peers, 0);
	assert_int_equal(moved_count(f), 1);
	fix_end(f);
}

static void a_dump_finds_devices_that_moved(void **state)
{
	struct fix *f = fix_new(false, NULL, 0, NULL, 0);
	struct own_route own[2] = {{.dst = {.len = 128}, .metric = M1000},
				   {.dst = {.len = 128}, .metric = M1000}};

	(void)state;
	assert_int_equal(reg_at(f, "1234", 1, T1000), REG_OK);
	assert_int_equal(reg_at(f, "42", 2, T1000), REG_OK);
	addr_of("fde3:25fb:7f6c:1::1234", own[0].dst.addr);
	addr_of("fde3:25fb:7f6c:1::42", own[1].dst.addr);
	/* learned while the interface was away: no event, the dump tells */
	foreign("fde3:25fb:7f6c:1::42", 16 * 1500 + 2);
	registry_routes_sync(f->r, own, 2);
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(routes_of("fde3:25fb:7f6c:1::42", NULL), 0);
	assert_int_equal(metric_of("fde3:25fb:7f6c:1::1234"), M1000);
	assert_int_equal(moved_count(f), 1);
	fix_end(f);
}

static void kept_peer_registered_elsewhere_since_goes(void **state)
{
	const struct fake_peer p[] = {
	    {.key = 5, .ips = {"fde3:25fb:7f6c:1::42/128"}, .handshake = T1000 + 8 * 50}};
	struct fix *f;

	(void)state;
	/* while this helper was stopped, its device registered elsewhere */
	foreign("fde3:25fb:7f6c:1::42", 16 * 1600 + 2);
	f = fix_new(true, p, 1, NULL, 0);
	assert_int_equal(registry_count(f->r), 0);
	assert_int_equal(fake.n_peers, 0);
	assert_int_equal(fr.n_own, 0);
	assert_int_equal(moved_count(f), 1);
	fix_end(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(route_goes_in_before_the_peer),
	    cmocka_unit_test(new_key_gets_a_fresher_route_the_old_one_goes),
	    cmocka_unit_test(same_key_keeps_the_route),
	    cmocka_unit_test(no_route_no_peer),
	    cmocka_unit_test(new_key_without_its_route_keeps_the_old_peer),
	    cmocka_unit_test(failed_apply_takes_the_route_back),
	    cmocka_unit_test(newer_than_a_clock_running_ahead),
	    cmocka_unit_test(the_node_id_is_in_the_low_bits),
	    cmocka_unit_test(nothing_fresher_fits),
	    cmocka_unit_test(clock_is_clamped),
	    cmocka_unit_test(expiry_takes_the_route),
	    cmocka_unit_test(sync_keeps_ours_removes_stale_adds_missing),
	    cmocka_unit_test(kept_peer_keeps_the_route_of_the_earlier_run),
	    cmocka_unit_test(kept_peer_without_a_route_takes_its_handshake),
	    cmocka_unit_test(route_removed_by_someone_else_comes_back),
	    cmocka_unit_test(a_refused_pass_stops_early),
	    cmocka_unit_test(fresher_route_elsewhere_moves_the_device),
	    cmocka_unit_test(an_older_or_equal_route_elsewhere_moves_nothing),
	    cmocka_unit_test(a_move_the_interface_refuses_is_tried_again),
	    cmocka_unit_test(a_dump_finds_devices_that_moved),
	    cmocka_unit_test(kept_peer_registered_elsewhere_since_goes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
