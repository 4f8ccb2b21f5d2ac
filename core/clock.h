/* SPDX-License-Identifier: MIT */
/* Milliseconds on the monotonic clock: deadlines, periods, rate limits. */
#ifndef AUTOWG_CLOCK_H
#define AUTOWG_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC. */
int64_t clock_ms(void);
/* CLOCK_MONOTONIC_COARSE: up to a tick behind, and cheaper, for a check
 * made on every call that only needs to know whether about a second passed. */
int64_t clock_coarse_ms(void);

#endif
