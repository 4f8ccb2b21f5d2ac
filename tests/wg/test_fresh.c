/* SPDX-License-Identifier: MIT */
/* The pure parts of --install-routes: freshness and metric arithmetic, the
 * hybrid logical clock, the bounds (wg/fresh.c), and the memory of other
 * protocols' routes (wg/foreign.c). Expected values are worked out by hand:
 * F = 16 * tick + node, a tick being 8 s since 1577836800 (2020-01-01),
 * metric = 2147483648 - F. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../wg/foreign.h"
#include "../../wg/fresh.h"

static void clock_counts_ticks_since_2020_node_in_the_low_bits(void **state)
{
	(void)state;
	assert_int_equal(fresh_clock(1577836800 + 8, 0, 0), 16);  /* tick 1 */
	assert_int_equal(fresh_clock(1577836800 + 15, 0, 0), 16); /* rounded down */
	assert_int_equal(fresh_clock(1577836800 + 16, 0, 0), 32);
	/* 2025-12-01: 186710400 s, tick 23338800 */
	assert_int_equal(fresh_clock(1764547200, 0, 0), 373420800);
	assert_int_equal(fresh_clock(1764547200, 0, 5), 373420805);
	assert_int_equal(fresh_clock(1764547200, 0, 15), 373420815);
	/* --freshness-offset shifts it, either way */
	assert_int_equal(fresh_clock(1764547200, 3600, 0), 373428000);
	assert_int_equal(fresh_clock(1764547200, -86400, 2), 373248002);
}

static void clock_stays_in_range(void **state)
{
	(void)state;
	/* before tick 1 (the epoch itself, 1970, the far past): tick 1 */
	assert_int_equal(fresh_clock(1577836800, 0, 0), 16);
	assert_int_equal(fresh_clock(0, 0, 3), 19);
	assert_int_equal(fresh_clock(INT64_MIN, INT64_MIN, 0), 16);
	assert_int_equal(fresh_clock(1764547200, INT64_MIN, 0), 16);
	/* the last tick, 2^27 - 1 (2054), and anything after it */
	assert_int_equal(fresh_clock(1577836800 + 8 * 134217727LL, 0, 0), 2147483632u);
	assert_int_equal(fresh_clock(1577836800 + 8 * 134217727LL, 0, 15), 2147483647u);
	assert_int_equal(fresh_clock(1577836800 + 8 * 134217728LL, 0, 0), 2147483632u);
	assert_int_equal(fresh_clock(INT64_MAX, INT64_MAX, 15), 2147483647u);
	assert_int_equal(fresh_clock(1764547200, INT64_MAX, 1), 2147483633u);
}

static void registration_is_newer_than_anything_known(void **state)
{
	(void)state;
	/* nothing known, or older: the clock */
	assert_int_equal(fresh_next(373420805, 0, 5), 373420805);
	assert_int_equal(fresh_next(373420805, 373420804, 5), 373420805);
	/* its own freshness in the same tick: node 5's next */
	assert_int_equal(fresh_next(373420805, 373420805, 5), 373420821);
	/* another node in the same tick, above or below */
	assert_int_equal(fresh_next(373420805, 373420806, 5), 373420821);
	assert_int_equal(fresh_next(373420805, 373420803, 5), 373420805);
	/* a clock 100 freshnesses ahead elsewhere: the first of node 5's after it */
	assert_int_equal(fresh_next(373420805, 373420905, 5), 373420917);
	/* at the top: node 15 fits in the last tick, node 0 does not */
	assert_int_equal(fresh_next(1000, 2147483632u, 15), 2147483647u);
	assert_int_equal(fresh_next(1000, 2147483632u, 0), 0);
	assert_int_equal(fresh_next(1000, 2147483647u, 15), 0);
	assert_int_equal(fresh_next(1000, 4294967295u, 3), 0);
	/* never 0: the oldest of node 0 is 16 */
	assert_int_equal(fresh_next(0, 0, 0), 16);
	assert_int_equal(fresh_next(0, 0, 7), 7);
}

static void metric_is_two_to_the_31_minus_freshness(void **state)
{
	(void)state;
	assert_int_equal(fresh_metric(1), 2147483647u);
	assert_int_equal(fresh_metric(186710400), 1960773248u);
	assert_int_equal(fresh_metric(2147483647u), 1);
	assert_int_equal(fresh_of_metric(1960773248u), 186710400);
	assert_int_equal(fresh_of_metric(1), 2147483647u);
	assert_int_equal(fresh_of_metric(2147483647u), 1);
	/* metrics that carry no freshness: 0, 2^31 and beyond */
	assert_int_equal(fresh_of_metric(0), 0);
	assert_int_equal(fresh_of_metric(2147483648u), 0);
	assert_int_equal(fresh_of_metric(4294967295u), 0);
	/* the kernel's default metric reads as very fresh */
	assert_int_equal(fresh_of_metric(1024), 2147482624u);
}

static void addr(uint8_t a[16], uint32_t n)
{
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[12] = (uint8_t)(n >> 24);
	a[13] = (uint8_t)(n >> 16);
	a[14] = (uint8_t)(n >> 8);
	a[15] = (uint8_t)n;
}

static void foreign_keeps_the_freshest_per_address(void **state)
{
	struct foreign *f;
	uint8_t a[16], b[16];

	(void)state;
	assert_int_equal(foreign_new(&f), 0);
	addr(a, 1);
	addr(b, 2);
	assert_int_equal(foreign_best(f, a), 0);
	assert_int_equal(foreign_add(f, a, 100), 0);
	assert_int_equal(foreign_add(f, a, 300), 0);
	assert_int_equal(foreign_add(f, a, 200), 0);
	assert_int_equal(foreign_add(f, a, 300), 0); /* the same route again */
	assert_int_equal(foreign_best(f, a), 300);
	assert_int_equal(foreign_best(f, b), 0);
	assert_true(foreign_has(f, a, 200));
	assert_false(foreign_has(f, a, 250));
	assert_false(foreign_has(f, b, 200));
	foreign_del(f, a, 300);
	assert_int_equal(foreign_best(f, a), 200);
	foreign_del(f, a, 300); /* gone already: nothing happens */
	foreign_del(f, b, 200); /* never known: nothing happens */
	assert_int_equal(foreign_best(f, a), 200);
	foreign_del(f, a, 200);
	foreign_del(f, a, 100);
	assert_int_equal(foreign_best(f, a), 0);
	assert_int_equal(foreign_count(f), 0);
	/* a route that carries no freshness is not remembered */
	assert_int_equal(foreign_add(f, a, 0), 0);
	assert_int_equal(foreign_count(f), 0);
	foreign_free(f);
}

static void foreign_past_its_places_forgets_the_stalest(void **state)
{
	struct foreign *f;
	uint8_t a[16];
	uint32_t i;

	(void)state;
	assert_int_equal(foreign_new(&f), 0);
	addr(a, 7);
	for (i = 1; i <= FOREIGN_PER_ADDR + 2; i++)
		assert_int_equal(foreign_add(f, a, 10 * i), 0);
	assert_int_equal(foreign_best(f, a), 10 * (FOREIGN_PER_ADDR + 2));
	assert_false(foreign_has(f, a, 10));
	assert_false(foreign_has(f, a, 20));
	assert_true(foreign_has(f, a, 30));
	assert_int_equal(foreign_add(f, a, 5), 0); /* staler than all: not kept */
	assert_false(foreign_has(f, a, 5));
	foreign_free(f);
}

/* Many addresses: the memory grows, and removing packs it without losing
 * any other. */
static void foreign_grows_and_shrinks(void **state)
{
	enum { N = 5000 };
	struct foreign *f;
	uint8_t a[16];
	uint32_t i;

	(void)state;
	assert_int_equal(foreign_new(&f), 0);
	for (i = 0; i < N; i++) {
		addr(a, i);
		assert_int_equal(foreign_add(f, a, i + 1), 0);
	}
	assert_int_equal(foreign_count(f), N);
	for (i = 0; i < N; i += 2) {
		addr(a, i);
		foreign_del(f, a, i + 1);
	}
	assert_int_equal(foreign_count(f), N / 2);
	for (i = 0; i < N; i++) {
		addr(a, i);
		assert_int_equal(foreign_best(f, a), i % 2 ? i + 1 : 0);
	}
	foreign_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(clock_counts_ticks_since_2020_node_in_the_low_bits),
	    cmocka_unit_test(clock_stays_in_range),
	    cmocka_unit_test(registration_is_newer_than_anything_known),
	    cmocka_unit_test(metric_is_two_to_the_31_minus_freshness),
	    cmocka_unit_test(foreign_keeps_the_freshest_per_address),
	    cmocka_unit_test(foreign_past_its_places_forgets_the_stalest),
	    cmocka_unit_test(foreign_grows_and_shrinks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
