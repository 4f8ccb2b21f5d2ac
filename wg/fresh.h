/* SPDX-License-Identifier: MIT */
/*
 * Freshness (--install-routes): how new a registration is, carried in the
 * metric of the device's kernel route so that BIRD can announce it and every
 * router prefers the newest registration. Pure arithmetic.
 *
 * F is seconds since FRESH_EPOCH on this concentrator's clock (plus
 * --freshness-offset), raised by a hybrid logical clock: a registration gets
 * max(clock, F_known + 1), where F_known is the freshest route for that
 * address the helper knows of, so it wins even over a concentrator whose
 * clock runs ahead. 1 <= F <= FRESH_MAX; the route's metric is
 * FRESH_SPAN - F, so the lower metric is the newer registration (the kernel
 * forwards to it by itself) and BIRD's 32-bit filter arithmetic
 * (LOCAL_PREF = 2^31 - metric) stays in range. F runs out in 2088.
 */
#ifndef AUTOWG_FRESH_H
#define AUTOWG_FRESH_H

#include <stdint.h>

#define FRESH_EPOCH	 1577836800LL /* 2020-01-01T00:00:00Z, Unix seconds */
#define FRESH_SPAN	 2147483648u  /* 2^31: metric = FRESH_SPAN - F */
#define FRESH_MIN	 1u
#define FRESH_MAX	 (FRESH_SPAN - 1)
#define FRESH_NONE	 0u	      /* no freshness: no route, or a metric that carries none */
#define FRESH_OFFSET_MAX 2147483647LL /* |--freshness-offset|, seconds */

/* The clock at Unix time now: now - FRESH_EPOCH + offset, clamped to
 * FRESH_MIN..FRESH_MAX. */
uint32_t fresh_clock(int64_t now, int64_t offset);
/* A registration's freshness: max(clock, known + 1), known being the
 * freshest route for the address (FRESH_NONE when there is none). FRESH_NONE
 * when known is FRESH_MAX already: nothing newer fits. */
uint32_t fresh_next(uint32_t clock, uint32_t known);
/* The route metric of freshness f (FRESH_MIN..FRESH_MAX). */
uint32_t fresh_metric(uint32_t f);
/* The freshness a route's metric says: FRESH_SPAN - metric, or FRESH_NONE
 * for metric 0 and metrics of 2^31 and more. */
uint32_t fresh_of_metric(uint32_t metric);

#endif
