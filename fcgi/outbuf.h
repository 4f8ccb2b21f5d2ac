/* SPDX-License-Identifier: MIT */
/* The body of a large answer (peers.json, /metrics), built in one growing
 * buffer: written with outbuf_printf, or byte by byte after outbuf_room. A
 * failure to grow sticks: the buffer then gives no text at all. */
#ifndef AUTOWG_FCGI_OUTBUF_H
#define AUTOWG_FCGI_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct outbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

/* An empty buffer of cap bytes (at least 1). false when out of memory. */
bool outbuf_init(struct outbuf *o, size_t cap);
/* Room for n more bytes and a NUL: false (and failed) when it cannot grow. */
bool outbuf_room(struct outbuf *o, size_t n);
void outbuf_printf(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text, NUL-terminated, *len bytes, handed over (caller frees); NULL
 * when anything failed. The buffer is empty afterwards. */
char *outbuf_take(struct outbuf *o, size_t *len);
void outbuf_free(struct outbuf *o);

/* n bytes, after outbuf_room made room for them. */
static inline void outbuf_put(struct outbuf *o, const char *s, size_t n)
{
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

#endif
