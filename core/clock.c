/* SPDX-License-Identifier: MIT */
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

static int64_t ms_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

int64_t clock_coarse_ms(void)
{
	return ms_of(CLOCK_MONOTONIC_COARSE);
}

int clock_wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int n;

	for (;;) {
		left = deadline_ms - clock_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}
