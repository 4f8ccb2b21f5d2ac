/* SPDX-License-Identifier: MIT */
/*
 * The responder's log. spawn-fcgi in forking mode gives its children a
 * stderr that goes to /dev/null, so a refusal logged there is lost: in auto
 * mode the responder logs to syslog(3) (ident autowg-fcgi, LOG_DAEMON; the
 * journal under systemd) when its stderr is /dev/null or closed, and to
 * stderr otherwise.
 */
#ifndef AUTOWG_FCGI_LOG_H
#define AUTOWG_FCGI_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define FCGI_LOG_IDENT	  "autowg-fcgi"
#define FCGI_LOG_LINE_MAX 2048 /* longer lines are cut (an audit line fits) */

enum fcgi_log_mode { FCGI_LOG_AUTO, FCGI_LOG_STDERR, FCGI_LOG_SYSLOG };

/* "auto", "stderr" or "syslog". */
bool fcgi_log_mode_parse(const char *text, enum fcgi_log_mode *out);
/* Whether mode means syslog for a process whose stderr is fd: auto says
 * yes when fd is closed or is the /dev/null character device. */
bool fcgi_log_wants_syslog(enum fcgi_log_mode mode, int fd);
/* Decide once, at start-up (opens the syslog connection when chosen). */
void fcgi_log_init(enum fcgi_log_mode mode);
bool fcgi_log_is_syslog(void);
/* One line; "autowg-fcgi: " goes first on stderr, syslog adds its own. */
void fcgi_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
