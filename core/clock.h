/* SPDX-License-Identifier: MIT */
/* Milliseconds on the monotonic clock: deadlines, periods, rate limits;
 * waiting for a descriptor until a deadline. */
#ifndef AUTOWG_CLOCK_H
#define AUTOWG_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC. */
int64_t clock_ms(void);
/* CLOCK_MONOTONIC_COARSE: up to a tick behind, and cheaper, for a check
 * made on every call that only needs to know whether about a second passed. */
int64_t clock_coarse_ms(void);

/* Wait until fd has one of events or clock_ms() reaches deadline_ms,
 * through EINTR: 0, -ETIMEDOUT, or -errno. */
int clock_wait_fd(int fd, short events, int64_t deadline_ms);

#endif
