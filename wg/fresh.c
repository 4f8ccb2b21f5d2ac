/* SPDX-License-Identifier: MIT */
#include "fresh.h"

uint32_t fresh_clock(int64_t now, int64_t offset)
{
	int64_t f;

	/* clamped first, so the sum below cannot overflow */
	if (now > INT64_MAX / 4)
		now = INT64_MAX / 4;
	if (now < INT64_MIN / 4)
		now = INT64_MIN / 4;
	if (offset > FRESH_OFFSET_MAX)
		offset = FRESH_OFFSET_MAX;
	if (offset < -FRESH_OFFSET_MAX)
		offset = -FRESH_OFFSET_MAX;
	f = now - FRESH_EPOCH + offset;
	if (f < (int64_t)FRESH_MIN)
		return FRESH_MIN;
	return f > (int64_t)FRESH_MAX ? FRESH_MAX : (uint32_t)f;
}

uint32_t fresh_next(uint32_t clock, uint32_t known)
{
	if (known >= FRESH_MAX)
		return FRESH_NONE;
	if (clock < FRESH_MIN)
		clock = FRESH_MIN;
	if (clock > FRESH_MAX)
		clock = FRESH_MAX;
	return clock > known ? clock : known + 1;
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
