/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format, version 0.0.4: "# HELP" and
 * "# TYPE" before each family's samples, samples of one family together,
 * label values with backslash, double quote and newline escaped. Every
 * number is an integer, printed as such (no float rounding of byte counts).
 */
#include "metrics.h"
#include "outbuf.h"
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

static void family(struct outbuf *o, const char *name, const char *type, const char *help)
{
	outbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
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

/* The per-peer families, peers by name, labels[k] for peer[k]. */
static void per_peer(struct outbuf *o, const struct table_entry *peer,
		     const struct peer_labels *labels, long n)
{
	char name[LABEL_MAX];
	long k;

	family(o, "wireguard_sent_bytes_total", "counter", "Bytes sent to the peer.");
	for (k = 0; k < n; k++)
		outbuf_printf(o, "wireguard_sent_bytes_total{%s} %" PRIu64 "\n", labels[k].text,
			      peer[k].tx_bytes);
	family(o, "wireguard_received_bytes_total", "counter", "Bytes received from the peer.");
	for (k = 0; k < n; k++)
		outbuf_printf(o, "wireguard_received_bytes_total{%s} %" PRIu64 "\n", labels[k].text,
			      peer[k].rx_bytes);
	family(o, "wireguard_latest_handshake_seconds", "gauge",
	       "Unix time of the latest handshake with the peer, 0 for never.");
	for (k = 0; k < n; k++)
		outbuf_printf(o, "wireguard_latest_handshake_seconds{%s} %" PRId64 "\n",
			      labels[k].text, peer[k].last_handshake);
	family(o, "autowg_key_changes_total", "counter",
	       "Times a name's key was replaced by a new registration (a cloned image shows as "
	       "one name changing keys again and again).");
	for (k = 0; k < n; k++) {
		metrics_escape(peer[k].name, name, sizeof(name)); /* fitted in peer_labels */
		outbuf_printf(o, "autowg_key_changes_total{name=\"%s\"} %" PRIu64 "\n", name,
			      peer[k].key_changes);
	}
}

static void totals(struct outbuf *o, const struct table_settings *s, const struct table_counters *c,
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
		outbuf_printf(o, "autowg_registrations_total{outcome=\"%s\"} %" PRIu64 "\n",
			      reg_result_name(i), c->registrations[i]);
	}
	family(o, "autowg_peers_managed", "gauge", "Peers in the registration table.");
	outbuf_printf(o, "autowg_peers_managed %ld\n", n);
	family(o, "autowg_table_capacity", "gauge",
	       "Size of the registration table (--max-peers).");
	outbuf_printf(o, "autowg_table_capacity %" PRIu32 "\n", capacity);
	family(o, "autowg_expired_total", "counter", "Peers removed by --expire-after.");
	outbuf_printf(o, "autowg_expired_total %" PRIu64 "\n", c->expired);
	family(o, "autowg_kept_total", "counter", "Pool peers kept at start-up by --keep-peers.");
	outbuf_printf(o, "autowg_kept_total %" PRIu64 "\n", c->adopted);
	family(o, "autowg_routes", "gauge",
	       "Kernel routes the helper holds for its devices (--install-routes).");
	outbuf_printf(o, "autowg_routes %" PRIu64 "\n", c->routes);
	family(o, "autowg_moved_total", "counter",
	       "Peers removed because their device registered at another concentrator later.");
	outbuf_printf(o, "autowg_moved_total %" PRIu64 "\n", c->moved);
	family(o, "autowg_helper_up", "gauge", "1 when the helper has its WireGuard interface.");
	if (metrics_escape(s->interface, ifn, sizeof(ifn)))
		outbuf_printf(o, "autowg_helper_up{interface=\"%s\"} %u\n", ifn, s->up ? 1u : 0u);
	family(o, "autowg_helper_start_time_seconds", "gauge", "Unix time the helper started.");
	outbuf_printf(o, "autowg_helper_start_time_seconds %" PRId64 "\n", s->started);
}

bool metrics_text(const void *base, size_t size, char **out, size_t *len, const char **why)
{
	uint32_t capacity = table_capacity(base, size);
	struct table_settings s;
	struct table_counters c;
	struct peer_labels *labels = NULL;
	struct peer_rows pr;
	struct outbuf o = {0};
	bool ok = false;
	long k;

	*why = "registration table busy; try again";
	if (!table_read_settings(base, size, &s) || !table_read_counters(base, size, &c))
		return false;
	if (!peer_rows_read(base, size, s.metrics_per_peer, &pr, why))
		return false;
	*why = "out of memory";
	if (!outbuf_init(&o,
			 4096 + (s.metrics_per_peer ? (size_t)pr.n * METRICS_PEER_ESTIMATE : 0)))
		goto done;
	if (s.metrics_per_peer) {
		labels = calloc(pr.n ? (size_t)pr.n : 1, sizeof(*labels));
		if (!labels)
			goto done;
		for (k = 0; k < pr.n; k++) {
			if (!peer_labels(s.interface, &pr.rows[k], &labels[k])) {
				*why = "registration table has a malformed name";
				goto done;
			}
		}
		per_peer(&o, pr.rows, labels, pr.n);
	}
	totals(&o, &s, &c, pr.n, capacity);
	*out = outbuf_take(&o, len);
	ok = *out != NULL;
done:
	outbuf_free(&o);
	free(labels);
	peer_rows_free(&pr);
	return ok;
}
