/* SPDX-License-Identifier: MIT */
/* The helper's log: stderr, one line per event, "autowg-helper: " first.
 * log_warn is for bad input and lost resources (never fatal); fatal is for
 * broken invariants and bad configuration at start-up only. */
#ifndef AUTOWG_LOG_H
#define AUTOWG_LOG_H

#include <stdnoreturn.h>

#define LOG_LINE_MAX 1024 /* longer lines are cut */
#define LOG_PREFIX   "autowg-helper: "

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(1). */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
