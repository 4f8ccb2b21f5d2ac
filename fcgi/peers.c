/* SPDX-License-Identifier: MIT */
#include "peers.h"
#include "outbuf.h"
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

#define put_lit(o, s) outbuf_put(o, s, sizeof(s) - 1)

static void put_u64(struct outbuf *o, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	outbuf_put(o, t + i, sizeof(t) - i);
}

static void put_i64(struct outbuf *o, int64_t v)
{
	if (v < 0) {
		o->p[o->len++] = '-';
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

/* A JSON string of a name that passed cn_check: no control bytes, so only
 * the quote and the backslash need escaping; UTF-8 goes through as is. */
static void put_name(struct outbuf *o, const char *s)
{
	o->p[o->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			o->p[o->len++] = '\\';
		o->p[o->len++] = *s;
	}
	o->p[o->len++] = '"';
}

/* in sorted key order, as the original autowg's json.dumps(sort_keys=True) */
static void put_entry(struct outbuf *o, const struct table_entry *e)
{
	char ip[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];

	addr6_format(e->addr, ip);
	key_format(e->key, key);
	put_name(o, e->name);
	put_lit(o, ":{\"created\":");
	put_i64(o, e->created);
	put_lit(o, ",\"ip\":\"");
	outbuf_put(o, ip, strlen(ip));
	put_lit(o, "\",\"last_handshake\":");
	put_i64(o, e->last_handshake);
	put_lit(o, ",\"pubkey\":\"");
	outbuf_put(o, key, AWG_KEY_B64_LEN);
	put_lit(o, "\",\"rx_bytes\":");
	put_u64(o, e->rx_bytes);
	put_lit(o, ",\"tx_bytes\":");
	put_u64(o, e->tx_bytes);
	o->p[o->len++] = '}';
}

/* Consistent copies of the used entries among the first hw into rows[hw]:
 * their count, or -1 with *why. */
static long read_rows(const void *base, size_t size, struct table_entry *rows, uint32_t hw,
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

/* rows[0..n) by name: pointers sorted (cheap to move), then the rows copied
 * in that order, so that every pass after reads them one after the other. */
static bool sort_rows(struct table_entry **rows, long n)
{
	const struct table_entry **idx = calloc(n ? (size_t)n : 1, sizeof(*idx));
	struct table_entry *sorted = calloc(n ? (size_t)n : 1, sizeof(*sorted));
	long k;

	if (!idx || !sorted) {
		free(idx);
		free(sorted);
		return false;
	}
	for (k = 0; k < n; k++)
		idx[k] = &(*rows)[k];
	qsort(idx, (size_t)n, sizeof(*idx), by_name);
	for (k = 0; k < n; k++)
		sorted[k] = *idx[k];
	free(idx);
	free(*rows);
	*rows = sorted;
	return true;
}

bool peer_rows_read(const void *base, size_t size, bool sort, struct peer_rows *pr,
		    const char **why)
{
	uint32_t hw = table_high_water(base, size);

	*pr = (struct peer_rows){0};
	*why = "out of memory";
	pr->rows = calloc(hw ? hw : 1, sizeof(*pr->rows));
	if (!pr->rows)
		goto fail;
	if ((pr->n = read_rows(base, size, pr->rows, hw, why)) < 0)
		goto fail;
	if (sort && !sort_rows(&pr->rows, pr->n)) {
		*why = "out of memory";
		goto fail;
	}
	return true;
fail:
	peer_rows_free(pr);
	return false;
}

void peer_rows_free(struct peer_rows *pr)
{
	free(pr->rows);
	*pr = (struct peer_rows){0};
}

bool peers_json(const void *base, size_t size, char **out, size_t *len, const char **why)
{
	struct peer_rows pr;
	struct outbuf o;
	long k;

	if (!peer_rows_read(base, size, true, &pr, why))
		return false;
	*why = "out of memory";
	if (!outbuf_init(&o, (size_t)pr.n * JSON_ENTRY_ESTIMATE + JSON_ENTRY_MAX + 4))
		goto fail;
	o.p[o.len++] = '{';
	for (k = 0; k < pr.n; k++) {
		if (k && !strcmp(pr.rows[k - 1].name, pr.rows[k].name)) {
			*why = "registration table has a name twice";
			outbuf_free(&o);
			goto fail;
		}
		if (!outbuf_room(&o, JSON_ENTRY_MAX + 4))
			break;
		if (k)
			o.p[o.len++] = ',';
		put_entry(&o, &pr.rows[k]);
	}
	if (outbuf_room(&o, 2))
		put_lit(&o, "}\n");
	*out = outbuf_take(&o, len);
	peer_rows_free(&pr);
	return *out != NULL;
fail:
	peer_rows_free(&pr);
	return false;
}
