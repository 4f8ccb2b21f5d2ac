/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool use_syslog;

bool fcgi_log_mode_parse(const char *text, enum fcgi_log_mode *out)
{
	static const char *const names[] = {"auto", "stderr", "syslog"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(text, names[i])) {
			*out = (enum fcgi_log_mode)i;
			return true;
		}
	}
	return false;
}

bool fcgi_log_wants_syslog(enum fcgi_log_mode mode, int fd)
{
	struct stat st, null;

	if (mode != FCGI_LOG_AUTO)
		return mode == FCGI_LOG_SYSLOG;
	if (fstat(fd, &st) < 0)
		return true; /* closed: nobody reads it */
	if (!S_ISCHR(st.st_mode))
		return false;
	return stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) && null.st_rdev == st.st_rdev;
}

void fcgi_log_init(enum fcgi_log_mode mode)
{
	use_syslog = fcgi_log_wants_syslog(mode, STDERR_FILENO);
	if (use_syslog)
		openlog(FCGI_LOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

bool fcgi_log_is_syslog(void)
{
	return use_syslog;
}

void fcgi_log(int priority, const char *fmt, ...)
{
	char line[FCGI_LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog)
		syslog(priority, "%s", line);
	else
		fprintf(stderr, FCGI_LOG_IDENT ": %s\n", line);
}
