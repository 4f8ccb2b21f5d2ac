/* SPDX-License-Identifier: MIT */
/* clock_wait_fd: the wait the responder, its helper connection and
 * autowg-ctl make for a descriptor until a deadline. */
#include "../unit.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../core/clock.h"

static int fds[2];

static int pipe_up(void **state)
{
	(void)state;
	return pipe(fds);
}

static int pipe_down(void **state)
{
	(void)state;
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static void ready_fd_answers_at_once(void **state)
{
	int64_t t0 = clock_ms();

	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(clock_wait_fd(fds[0], POLLIN, t0 + 5000), 0);
	assert_true(clock_ms() - t0 < 1000);
}

static void silent_fd_times_out_at_the_deadline(void **state)
{
	int64_t t0 = clock_ms(), took;

	assert_int_equal(clock_wait_fd(fds[0], POLLIN, t0 + 200), -ETIMEDOUT);
	took = clock_ms() - t0;
	if (took < 200 || took > 2000)
		fail_msg("timed out after %lld ms, want 200", (long long)took);
}

static void deadline_passed_is_a_timeout(void **state)
{
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(clock_wait_fd(fds[0], POLLIN, clock_ms() - 1), -ETIMEDOUT);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal handled without SA_RESTART (the helper's own) does not end the
 * wait early: the wait goes on to its deadline. */
static void a_signal_does_not_end_the_wait(void **state)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval it = {.it_value = {.tv_usec = 50000}};
	int64_t t0 = clock_ms(), took;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(clock_wait_fd(fds[0], POLLIN, t0 + 300), -ETIMEDOUT);
	took = clock_ms() - t0;
	if (took < 300)
		fail_msg("the wait ended after %lld ms, at the signal", (long long)took);
}

/* poll reports a descriptor that is not open as POLLNVAL: the wait ends at
 * once and the caller's read or send says what is wrong; a negative one is
 * left alone by poll, so only the deadline ends the wait. */
static void a_closed_descriptor_ends_the_wait_at_once(void **state)
{
	assert_int_equal(clock_wait_fd(-1, POLLIN, clock_ms() + 100), -ETIMEDOUT);
	assert_int_equal(clock_wait_fd(1000, POLLIN, clock_ms() + 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(ready_fd_answers_at_once, pipe_up, pipe_down),
	    cmocka_unit_test_setup_teardown(silent_fd_times_out_at_the_deadline, pipe_up,
					    pipe_down),
	    cmocka_unit_test_setup_teardown(deadline_passed_is_a_timeout, pipe_up, pipe_down),
	    cmocka_unit_test_setup_teardown(a_signal_does_not_end_the_wait, pipe_up, pipe_down),
	    cmocka_unit_test_setup_teardown(a_closed_descriptor_ends_the_wait_at_once, pipe_up,
					    pipe_down),
	};

	return RUN(tests);
}
