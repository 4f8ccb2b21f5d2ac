/* SPDX-License-Identifier: MIT */
/* GET <prefix>v1/peers.json: the table as the original autowg's JSON
 * (docs/design.md); and the table's rows by name, which /metrics lists too. */
#ifndef AUTOWG_FCGI_PEERS_H
#define AUTOWG_FCGI_PEERS_H

#include <stdbool.h>
#include <stddef.h>

struct table_entry;

/* The used entries of a table, each a consistent copy. */
struct peer_rows {
	struct table_entry *rows; /* n of them: by name when sorted, else in slot order */
	long n;
};

/* The table at base[0..size) into *pr (peer_rows_free frees it), sorted by
 * name when sort. False with *why when an entry stayed torn, a name is not
 * clean UTF-8 without control bytes, or there is no memory. */
bool peer_rows_read(const void *base, size_t size, bool sort, struct peer_rows *pr,
		    const char **why);
void peer_rows_free(struct peer_rows *pr);

/*
 * The table at base[0..size) as a JSON object keyed by name, each
 * {created, ip, last_handshake, pubkey, rx_bytes, tx_bytes}, names sorted,
 * followed by a newline. *out is malloc'd. False with *why when an entry
 * stayed torn, is malformed, or a name appears twice: better no answer
 * than a wrong one.
 */
bool peers_json(const void *base, size_t size, char **out, size_t *len, const char **why);

#endif
