/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format, version 0.0.4: "# HELP" and
 * "# TYPE" before each family's samples, samples of one family together,
 * label values with backslash, double quote and newline escaped. Every
 * number is an integer, printed as such (no float rounding of byte counts).
 */
#include "metrics.h"
#include "peers.h"
#include "../core/addr.h"
#include "../core/key.h"
#include "../core/proto.h"
#include "../core/table.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX (2 * (AWG_NAME_MAX + 1)) /* an escaped label value */

struct out {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *grown;
	int n;

	if (o->failed)
		return;
	for (;;) {
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
		want = o->cap * 2 + (size_t)n + 1;
		grown = realloc(o->p, want);
		if (!grown) {
			o->failed = true;
			return;
		}
		o->p = grown;
		o->cap = want;
	}
}

bool metrics_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		const char *rep = *in == '\\'	? "\\\\"
				  : *in == '"'	? "\\\""
				  : *in == '\n' ? "\\n"
						: NULL;
		size_t n = rep ? 2 : 1;

		if (o + n >= size)
			return false;
		if (rep)
			memcpy(out + o, rep, 2);
		else
			out[o] = *in;
		o += n;
	}
	out[o] = '\0';
	return true;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The labels of one peer, escaped once. */
struct peer_labels {
	char text[4 * LABEL_MAX];
};

static bool peer_labels(const char *iface, const struct table_entry *e, struct peer_labels *l)
{
	char name[LABEL_MAX], ifn[LABEL_MAX], addr[AWG_ADDR_TEXT_MAX + 1], key[AWG_KEY_B64_LEN + 1];
	int n;

	if (!metrics_escape(e->name, name, sizeof(name)) ||
	    !metrics_escape(iface, ifn, sizeof(ifn)))
		return false;
	addr6_format(e->addr, addr);
	key_format(e->key, key);
	n = snprintf(l->text, sizeof(l->text),
		     "interface=\"%s\",public_key=\"%s\",name=\"%s\",address=\"%s\"", ifn, key,
		     name, addr);
	return n > 0 && (size_t)n < sizeof(l->text);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct table_entry *)a)->name, ((const struct table_entry *)b)->name);
}

static void per_peer(struct out *o, const struct table_settings *s, const struct table_entry *rows,
		     struct peer_labels *labels, long n)
{
	char name[LABEL_MAX];
	long k;

	family(o, "wireguard_sent_bytes_total", "counter", "Bytes sent to the peer.");
	for (k = 0; k < n; k++)
		put(o, "wireguard_sent_bytes_total{%s} %" PRIu64 "\n", labels[k].text,
		    rows[k].tx_bytes);
	family(o, "wireguard_received_bytes_total", "counter", "Bytes received from the peer.");
	for (k = 0; k < n; k++)
		put(o, "wireguard_received_bytes_total{%s} %" PRIu64 "\n", labels[k].text,
		    rows[k].rx_bytes);
	family(o, "wireguard_latest_handshake_seconds", "gauge",
	       "Unix time of the latest handshake with the peer, 0 for never.");
	for (k = 0; k < n; k++)
		put(o, "wireguard_latest_handshake_seconds{%s} %" PRId64 "\n", labels[k].text,
		    rows[k].last_handshake);
	family(o, "autowg_key_changes_total", "counter",
	       "Times a name's key was replaced by a new registration (a cloned image shows as "
	       "one name changing keys again and again).");
	for (k = 0; k < n; k++) {
		metrics_escape(rows[k].name, name, sizeof(name)); /* fitted in peer_labels */
		put(o, "autowg_key_changes_total{name=\"%s\"} %" PRIu64 "\n", name,
		    rows[k].key_changes);
	}
	(void)s;
}

static void totals(struct out *o, const struct table_settings *s, const struct table_counters *c,
		   long n, uint32_t capacity)
{
	char ifn[LABEL_MAX];
	uint32_t i;

	family(o, "autowg_registrations_total", "counter",
	       "Registrations the helper answered, by outcome (ok, same, replaced, or the "
	       "refusal).");
	for (i = 0; i < REG_RESULT_COUNT; i++) {
		/* a malformed key is refused by the responder itself (400) and
		 * never reaches the helper: no series pretends to count it */
		if (i == REG_BAD_KEY)
			continue;
		put(o, "autowg_registrations_total{outcome=\"%s\"} %" PRIu64 "\n",
		    reg_result_name(i), c->registrations[i]);
	}
	family(o, "autowg_peers_managed", "gauge", "Peers in the registration table.");
	put(o, "autowg_peers_managed %ld\n", n);
	family(o, "autowg_table_capacity", "gauge",
	       "Size of the registration table (--max-peers).");
	put(o, "autowg_table_capacity %" PRIu32 "\n", capacity);
	family(o, "autowg_expired_total", "counter", "Peers removed by --expire-after.");
	put(o, "autowg_expired_total %" PRIu64 "\n", c->expired);
	family(o, "autowg_kept_total", "counter", "Pool peers kept at start-up by --keep-peers.");
	put(o, "autowg_kept_total %" PRIu64 "\n", c->adopted);
	family(o, "autowg_routes", "gauge",
	       "Kernel routes the helper holds for its devices (--install-routes).");
	put(o, "autowg_routes %" PRIu64 "\n", c->routes);
	family(o, "autowg_moved_total", "counter",
	       "Peers removed because their device registered at another concentrator later.");
	put(o, "autowg_moved_total %" PRIu64 "\n", c->moved);
	family(o, "autowg_helper_up", "gauge", "1 when the helper has its WireGuard interface.");
	if (metrics_escape(s->interface, ifn, sizeof(ifn)))
		put(o, "autowg_helper_up{interface=\"%s\"} %u\n", ifn, s->up ? 1u : 0u);
	family(o, "autowg_helper_start_time_seconds", "gauge", "Unix time the helper started.");
	put(o, "autowg_helper_start_time_seconds %" PRId64 "\n", s->started);
}

bool metrics_text(const void *base, size_t size, char **out, size_t *len, const char **why)
{
	uint32_t hw = table_high_water(base, size), capacity = table_capacity(base, size);
	struct table_settings s;
	struct table_counters c;
	struct table_entry *rows = NULL;
	struct peer_labels *labels = NULL;
	struct out o = {0};
	bool ok = false;
	long n = 0, k;

	*why = "registration table busy; try again";
	if (!table_read_settings(base, size, &s) || !table_read_counters(base, size, &c))
		return false;
	*why = "out of memory";
	rows = calloc(hw ? hw : 1, sizeof(*rows));
	if (!rows)
		goto done;
	if ((n = peers_rows(base, size, rows, hw, why)) < 0)
		goto done;
	o.cap = 4096 + (s.metrics_per_peer ? (size_t)n * METRICS_PEER_ESTIMATE : 0);
	o.p = malloc(o.cap);
	if (!o.p)
		goto done;
	o.p[0] = '\0';
	if (s.metrics_per_peer) {
		qsort(rows, (size_t)n, sizeof(*rows), by_name);
		labels = calloc(n ? (size_t)n : 1, sizeof(*labels));
		if (!labels)
			goto done;
		for (k = 0; k < n; k++) {
			if (!peer_labels(s.interface, &rows[k], &labels[k])) {
				*why = "registration table has a malformed name";
				goto done;
			}
		}
		per_peer(&o, &s, rows, labels, n);
	}
	totals(&o, &s, &c, n, capacity);
	if (o.failed)
		goto done;
	*out = o.p;
	*len = o.len;
	o.p = NULL;
	ok = true;
done:
	free(o.p);
	free(labels);
	free(rows);
	return ok;
}
