/* SPDX-License-Identifier: MIT */
#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool outbuf_init(struct outbuf *o, size_t cap)
{
	*o = (struct outbuf){.cap = cap ? cap : 1};
	o->p = malloc(o->cap);
	o->failed = !o->p;
	if (o->p)
		o->p[0] = '\0';
	return !o->failed;
}

bool outbuf_room(struct outbuf *o, size_t n)
{
	size_t want;
	char *grown;

	if (o->failed)
		return false;
	if (o->cap - o->len > n)
		return true;
	want = o->cap * 2 > o->len + n + 1 ? o->cap * 2 : o->len + n + 1;
	grown = realloc(o->p, want);
	if (!grown) {
		o->failed = true;
		return false;
	}
	o->p = grown;
	o->cap = want;
	return true;
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (o->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		outbuf_room(o, (size_t)n);
	}
}

char *outbuf_take(struct outbuf *o, size_t *len)
{
	char *p = o->failed ? NULL : o->p;

	if (p) {
		p[o->len] = '\0';
		*len = o->len;
	} else {
		free(o->p);
	}
	*o = (struct outbuf){0};
	return p;
}

void outbuf_free(struct outbuf *o)
{
	free(o->p);
	*o = (struct outbuf){0};
}
