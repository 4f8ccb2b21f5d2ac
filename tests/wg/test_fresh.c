/* SPDX-License-Identifier: MIT */
/* The pure parts of --install-routes: freshness and metric arithmetic, the
 * hybrid logical clock, the bounds (wg/fresh.c), and the memory of other
 * protocols' routes (wg/foreign.c). Expected values are worked out by hand:
 * F = now - 1577836800 (2020-01-01), metric = 2147483648 - F. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../wg/foreign.h"
#include "../../wg/fresh.h"

static void clock_counts_seconds_since_2020(void **state)
{
	(void)state;
	assert_int_equal(fresh_clock(1577836800 + 1, 0), 1);
	assert_int_equal(fresh_clock(1764547200, 0), 186710400); /* 2025-12-01 */
	/* --freshness-offset shifts it, either way */
	assert_int_equal(fresh_clock(1764547200, 3600), 186714000);
	assert_int_equal(fresh_clock(1764547200, -86400), 186624000);
}

static void clock_stays_in_range(void **state)
{
	(void)state;
	assert_int_equal(fresh_clock(1577836800, 0), 1); /* the epoch itself: 0 is no freshness */
	assert_int_equal(fresh_clock(0, 0), 1);
	assert_int_equal(fresh_clock(INT64_MIN, INT64_MIN), 1);
	assert_int_equal(fresh_clock(1577836800 + 2147483647LL, 0), 2147483647u);
	assert_int_equal(fresh_clock(1577836800 + 2147483648LL, 0), 2147483647u);
	assert_int_equal(fresh_clock(INT64_MAX, INT64_MAX), 2147483647u);
	assert_int_equal(fresh_clock(1764547200, INT64_MAX), 2147483647u);
	assert_int_equal(fresh_clock(1764547200, INT64_MIN), 1);
}

static void registration_is_newer_than_anything_known(void **state)
{
	(void)state;
	assert_int_equal(fresh_next(1000, 0), 1000);	/* nothing known: the clock */
	assert_int_equal(fresh_next(1000, 999), 1000);	/* older known: the clock */
	assert_int_equal(fresh_next(1000, 1000), 1001); /* a tie: one more */
	assert_int_equal(fresh_next(1000, 5000), 5001); /* a clock ahead elsewhere */
	assert_int_equal(fresh_next(1000, 2147483646u), 2147483647u);
	/* nothing newer fits: no freshness */
	assert_int_equal(fresh_next(1000, 2147483647u), 0);
	assert_int_equal(fresh_next(1000, 4294967295u), 0);
	/* a clock out of range is brought back into it */
	assert_int_equal(fresh_next(0, 0), 1);
	assert_int_equal(fresh_next(4000000000u, 7), 2147483647u);
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
	    cmocka_unit_test(clock_counts_seconds_since_2020),
	    cmocka_unit_test(clock_stays_in_range),
	    cmocka_unit_test(registration_is_newer_than_anything_known),
	    cmocka_unit_test(metric_is_two_to_the_31_minus_freshness),
	    cmocka_unit_test(foreign_keeps_the_freshest_per_address),
	    cmocka_unit_test(foreign_past_its_places_forgets_the_stalest),
	    cmocka_unit_test(foreign_grows_and_shrinks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
