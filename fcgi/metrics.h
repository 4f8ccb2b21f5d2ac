/* SPDX-License-Identifier: MIT */
/* GET <prefix>v1/metrics: the table in the Prometheus text format 0.0.4. */
#ifndef AUTOWG_FCGI_METRICS_H
#define AUTOWG_FCGI_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_CONTENT_TYPE  "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_PEER_ESTIMATE 640 /* formatted bytes per peer, to size the output once */

/*
 * Every family with HELP and TYPE lines. Per peer (unless the settings say
 * metrics_per_peer = 0): wireguard_sent_bytes_total,
 * wireguard_received_bytes_total, wireguard_latest_handshake_seconds (the
 * names and labels of the common WireGuard exporters, plus name and
 * address) and autowg_key_changes_total by name. Always: registrations by
 * outcome, peers managed, table capacity, expired and kept peers, helper up
 * and start time. *out is malloc'd. False with *why when the table cannot
 * be read consistently.
 */
bool metrics_text(const void *base, size_t size, char **out, size_t *len, const char **why);

/* A label value escaped as the text format wants (\\, \", \n) into out;
 * false when it does not fit. */
bool metrics_escape(const char *in, char *out, size_t size);

#endif
