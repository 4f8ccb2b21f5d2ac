/* SPDX-License-Identifier: MIT */
#include "fresh.h"

#define TICKS_MAX (FRESH_SPAN / FRESH_NODES - 1)

uint32_t fresh_clock(int64_t now, int64_t offset, unsigned node)
{
	int64_t t;

	/* clamped first, so the sum below cannot overflow */
	if (now > INT64_MAX / 4)
		now = INT64_MAX / 4;
	if (now < INT64_MIN / 4)
		now = INT64_MIN / 4;
	if (offset > FRESH_OFFSET_MAX)
		offset = FRESH_OFFSET_MAX;
	if (offset < -FRESH_OFFSET_MAX)
		offset = -FRESH_OFFSET_MAX;
	node %= FRESH_NODES;
	t = now - FRESH_EPOCH + offset;
	t = t < 0 ? 0 : t / FRESH_TICK; /* rounded down, also before the epoch */
	if (t < 1)
		t = 1;
	if (t > TICKS_MAX)
		t = TICKS_MAX;
	return (uint32_t)t * FRESH_NODES + node;
}

uint32_t fresh_next(uint32_t clock, uint32_t known, unsigned node)
{
	uint64_t f = clock > (uint64_t)known + 1 ? clock : (uint64_t)known + 1;

	node %= FRESH_NODES;
	f += (node + FRESH_NODES - f % FRESH_NODES) % FRESH_NODES;
	return f > FRESH_MAX ? FRESH_NONE : (uint32_t)f;
}

uint32_t fresh_metric(uint32_t f)
{
	return FRESH_SPAN - f;
}

uint32_t fresh_of_metric(uint32_t metric)
{
	if (metric == 0 || metric >= FRESH_SPAN)
		return FRESH_NONE;
	return FRESH_SPAN - metric;
}
