/* SPDX-License-Identifier: MIT */
/*
 * Freshness (--install-routes): how new a registration is, carried in the
 * metric of the device's kernel route so that BIRD can announce it and every
 * router prefers the newest registration. Pure arithmetic.
 *
 * F = FRESH_NODES * T + N: T is the clock in ticks of FRESH_TICK seconds
 * since FRESH_EPOCH (plus --freshness-offset), N this concentrator's
 * --node-id, so that two concentrators never give the same F. A
 * registration gets the smallest F of this node that is at least the clock
 * and above F_known, the freshest route for that address the helper knows
 * of (a hybrid logical clock): it wins even over a concentrator whose clock
 * runs ahead. FRESH_MIN <= F <= FRESH_MAX; the route's metric is
 * FRESH_SPAN - F, so the lower metric is the newer registration (the kernel
 * forwards to it by itself) and BIRD's 32-bit filter arithmetic
 * (LOCAL_PREF = 2^31 - metric) stays in range. T runs out in 2054.
 */
#ifndef AUTOWG_FRESH_H
#define AUTOWG_FRESH_H

#include <stdint.h>

#include "../core/limits.h"

#define FRESH_EPOCH	 1577836800LL	       /* 2020-01-01T00:00:00Z, Unix seconds */
#define FRESH_TICK	 8		       /* seconds: the clock part orders registrations */
#define FRESH_NODES	 (AWG_NODE_ID_MAX + 1) /* node ids in the low bits */
#define FRESH_SPAN	 2147483648u	       /* 2^31: metric = FRESH_SPAN - F */
#define FRESH_MIN	 1u
#define FRESH_MAX	 (FRESH_SPAN - 1)
#define FRESH_NONE	 0u	      /* no freshness: no route, or a metric that carries none */
#define FRESH_OFFSET_MAX 2147483647LL /* |--freshness-offset|, seconds */

/* The clock of node (0..AWG_NODE_ID_MAX) at Unix time now:
 * FRESH_NODES * T + node, T = (now - FRESH_EPOCH + offset) / FRESH_TICK
 * rounded down and kept within 1..(FRESH_SPAN / FRESH_NODES - 1). */
uint32_t fresh_clock(int64_t now, int64_t offset, unsigned node);
/* A registration's freshness: the smallest F that is at least clock, above
 * known (the freshest route for the address, FRESH_NONE when there is
 * none), and node's (F % FRESH_NODES == node). FRESH_NONE when none is left
 * below FRESH_SPAN. */
uint32_t fresh_next(uint32_t clock, uint32_t known, unsigned node);
/* The route metric of freshness f (FRESH_MIN..FRESH_MAX). */
uint32_t fresh_metric(uint32_t f);
/* The freshness a route's metric says: FRESH_SPAN - metric, or FRESH_NONE
 * for metric 0 and metrics of 2^31 and more. */
uint32_t fresh_of_metric(uint32_t metric);

#endif
