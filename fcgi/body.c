/* SPDX-License-Identifier: MIT */
/* The POST body: a declared length, read exactly, never more than needed. */
#include "request.h"

#include <errno.h>
#include <string.h>

#define STR_(x) #x
#define STR(x)	STR_(x)

int body_length(char *const *env, size_t *len, const char **why)
{
	const char *cl;
	size_t n = 0, i;

	/* nginx passes CONTENT_LENGTH empty when the request had none */
	if (!param_get(env, "CONTENT_LENGTH", &cl) || !cl[0]) {
		*why = "Content-Length required";
		return 411;
	}
	for (i = 0; cl[i]; i++) {
		if (cl[i] < '0' || cl[i] > '9') {
			*why = "Content-Length is not a decimal number";
			return 400;
		}
		/* anything past the limit is too large; stop counting early */
		if (n <= AWG_BODY_MAX)
			n = n * 10 + (size_t)(cl[i] - '0');
	}
	if (n > AWG_BODY_MAX) {
		*why = "body too large";
		return 413;
	}
	*len = n;
	return 0;
}

int body_read(const struct body_reader *b, char *buf, size_t len, const char **why)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = b->read(b->ctx, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ETIMEDOUT) {
			*why = "request body not received within " STR(FCGI_BODY_TIMEOUT_S) " s";
			return 408;
		}
		if (n <= 0) {
			*why = "body shorter than Content-Length";
			return 400;
		}
		got += (size_t)n;
	}
	return 0;
}
