/* SPDX-License-Identifier: MIT */
#include "peers.h"
#include "../core/addr.h"
#include "../core/dn.h"
#include "../core/key.h"
#include "../core/table.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_ENTRY_ESTIMATE 256 /* formatted bytes per peer, to size the output once */

static int by_name(const void *a, const void *b)
{
	const struct table_entry *x = *(const struct table_entry *const *)a;
	const struct table_entry *y = *(const struct table_entry *const *)b;

	return strcmp(x->name, y->name);
}

/* Numbers go in as raw text: cJSON's doubles would round byte counters
 * above 2^53, and printing doubles is slow at 100,000 peers. */
static bool add_int(cJSON *obj, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool add_int(cJSON *obj, const char *key, const char *fmt, ...)
{
	char text[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return cJSON_AddItemToObjectCS(obj, key, cJSON_CreateRaw(text));
}

static cJSON *entry_json(const struct table_entry *e)
{
	char ip[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	addr6_format(e->addr, ip);
	key_format(e->key, key);
	/* in sorted key order, as the seed's json.dumps(sort_keys=True) */
	if (!add_int(o, "created", "%" PRId64, e->created) ||
	    !cJSON_AddItemToObjectCS(o, "ip", cJSON_CreateString(ip)) ||
	    !add_int(o, "last_handshake", "%" PRId64, e->last_handshake) ||
	    !cJSON_AddItemToObjectCS(o, "pubkey", cJSON_CreateString(key)) ||
	    !add_int(o, "rx_bytes", "%" PRIu64, e->rx_bytes) ||
	    !add_int(o, "tx_bytes", "%" PRIu64, e->tx_bytes)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
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
	cJSON *root = cJSON_CreateObject(), *o;
	char *text = NULL, *grown;
	long k;

	*why = "out of memory";
	if (!root)
		return NULL;
	for (k = 0; k < n; k++) {
		if (k && !strcmp(idx[k - 1]->name, idx[k]->name)) {
			*why = "registration table has a name twice";
			goto out;
		}
		/* the key points into rows, which outlive root: no copy */
		if (!(o = entry_json(idx[k])) || !cJSON_AddItemToObjectCS(root, idx[k]->name, o)) {
			cJSON_Delete(o);
			goto out;
		}
	}
	text = cJSON_PrintBuffered(root, (int)(n * JSON_ENTRY_ESTIMATE + 64), 0);
	if (!text)
		goto out;
	*len = strlen(text);
	grown = realloc(text, *len + 2);
	if (!grown) {
		free(text);
		text = NULL;
		goto out;
	}
	text = grown;
	text[(*len)++] = '\n';
	text[*len] = '\0';
out:
	cJSON_Delete(root);
	return text;
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
