/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One write(2) per line so lines from one process never interleave. */
static void log_line(const char *tag, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX + 2];
	int n, m;
	size_t len;

	n = snprintf(line, sizeof(line) - 1, "%s%s", LOG_PREFIX, tag);
	m = vsnprintf(line + n, sizeof(line) - 1 - (size_t)n, fmt, ap);
	len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0)
		return; /* nowhere left to complain */
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
	exit(1);
}
