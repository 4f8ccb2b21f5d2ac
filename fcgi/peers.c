/* SPDX-License-Identifier: MIT */
#include "peers.h"
#include "../core/addr.h"
#include "../core/dn.h"
#include "../core/key.h"
#include "../core/table.h"

#include <stdlib.h>
#include <string.h>

/*
 * The output is written by hand into one buffer: building a cJSON tree
 * costs seven allocations a peer and dominated the time at 100,000 peers.
 * The bytes are cJSON's compact form (tests/fcgi/test_peers.c compares the
 * two), so nothing changes for a reader.
 */
#define JSON_ENTRY_ESTIMATE 240 /* formatted bytes per typical peer, to size the buffer */
/* an upper bound for one entry: every name byte escaped, four 20-digit numbers */
#define JSON_ENTRY_MAX (2 * AWG_NAME_MAX + AWG_ADDR_TEXT_MAX + AWG_KEY_B64_LEN + 4 * 21 + 96)

static int by_name(const void *a, const void *b)
{
	const struct table_entry *x = *(const struct table_entry *const *)a;
	const struct table_entry *y = *(const struct table_entry *const *)b;

	return strcmp(x->name, y->name);
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put_mem(struct out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}
#define put_lit(o, s) put_mem(o, s, sizeof(s) - 1)

static void put_u64(struct out *o, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	put_mem(o, t + i, sizeof(t) - i);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		o->buf[o->len++] = '-';
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

/* A JSON string of a name that passed cn_check: no control bytes, so only
 * the quote and the backslash need escaping; UTF-8 goes through as is. */
static void put_name(struct out *o, const char *s)
{
	o->buf[o->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			o->buf[o->len++] = '\\';
		o->buf[o->len++] = *s;
	}
	o->buf[o->len++] = '"';
}

/* in sorted key order, as the original autowg's json.dumps(sort_keys=True) */
static void put_entry(struct out *o, const struct table_entry *e)
{
	char ip[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];

	addr6_format(e->addr, ip);
	key_format(e->key, key);
	put_name(o, e->name);
	put_lit(o, ":{\"created\":");
	put_i64(o, e->created);
	put_lit(o, ",\"ip\":\"");
	put_mem(o, ip, strlen(ip));
	put_lit(o, "\",\"last_handshake\":");
	put_i64(o, e->last_handshake);
	put_lit(o, ",\"pubkey\":\"");
	put_mem(o, key, AWG_KEY_B64_LEN);
	put_lit(o, "\",\"rx_bytes\":");
	put_u64(o, e->rx_bytes);
	put_lit(o, ",\"tx_bytes\":");
	put_u64(o, e->tx_bytes);
	o->buf[o->len++] = '}';
}

/* Consistent copies of every used entry into rows; their count, or -1. */
long peers_rows(const void *base, size_t size, struct table_entry *rows, uint32_t hw,
		const char **why)
{
	const char *bad;
	uint32_t i;
	long n = 0;

	for (i = 0; i < hw; i++) {
		switch (table_read_entry(base, size, i, &rows[n])) {
		case TABLE_READ_EMPTY:
			continue;
		case TABLE_READ_TORN:
			*why = "registration table busy; try again";
			return -1;
		case TABLE_READ_OK:
			break;
		}
		/* names become JSON keys: valid UTF-8 without control bytes */
		if (!cn_check(rows[n].name, strnlen(rows[n].name, sizeof(rows[n].name)), &bad)) {
			*why = "registration table has a malformed name";
			return -1;
		}
		n++;
	}
	return n;
}

static char *render(struct table_entry **idx, long n, size_t *len, const char **why)
{
	struct out o = {.cap = (size_t)n * JSON_ENTRY_ESTIMATE + JSON_ENTRY_MAX + 4};
	char *grown;
	long k;

	*why = "out of memory";
	if (!(o.buf = malloc(o.cap)))
		return NULL;
	o.buf[o.len++] = '{';
	for (k = 0; k < n; k++) {
		if (k && !strcmp(idx[k - 1]->name, idx[k]->name)) {
			*why = "registration table has a name twice";
			free(o.buf);
			return NULL;
		}
		if (o.cap - o.len < JSON_ENTRY_MAX + 4) {
			if (!(grown = realloc(o.buf, o.cap * 2))) {
				free(o.buf);
				return NULL;
			}
			o.buf = grown;
			o.cap *= 2;
		}
		if (k)
			o.buf[o.len++] = ',';
		put_entry(&o, idx[k]);
	}
	put_lit(&o, "}\n");
	o.buf[o.len] = '\0';
	*len = o.len;
	return o.buf;
}

bool peers_json(const void *base, size_t size, char **out, size_t *len, const char **why)
{
	uint32_t hw = table_high_water(base, size);
	struct table_entry *rows, **idx;
	long n, k;
	bool ok = false;

	rows = calloc(hw ? hw : 1, sizeof(*rows));
	idx = calloc(hw ? hw : 1, sizeof(*idx));
	*why = "out of memory";
	if (!rows || !idx)
		goto out;
	if ((n = peers_rows(base, size, rows, hw, why)) < 0)
		goto out;
	for (k = 0; k < n; k++)
		idx[k] = &rows[k];
	qsort(idx, (size_t)n, sizeof(*idx), by_name);
	*out = render(idx, n, len, why);
	ok = *out != NULL;
out:
	free(idx);
	free(rows);
	return ok;
}
