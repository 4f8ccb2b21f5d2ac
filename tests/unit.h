/* SPDX-License-Identifier: MIT */
/* Shared bits of the cmocka unit tests: a test named after the behaviour it checks. */
#ifndef AUTOWG_TESTS_UNIT_H
#define AUTOWG_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* T("metans: label longer than 63 bytes is refused", fn) */
#define T(name, fn)                                                                                \
	{                                                                                          \
		name, fn, NULL, NULL, NULL                                                         \
	}
/* The same test function run once per element of a table (state = element). */
#define TS(name, fn, state)                                                                        \
	{                                                                                          \
		name, fn, NULL, NULL, (void *)(state)                                              \
	}

#define RUN(tests) cmocka_run_group_tests_name(__FILE__, tests, NULL, NULL)

#endif
