/* SPDX-License-Identifier: MIT */
/* GET <prefix>v1/peers.json: the table as the original autowg's JSON (docs/design.md). */
#ifndef AUTOWG_FCGI_PEERS_H
#define AUTOWG_FCGI_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The table at base[0..size) as a JSON object keyed by name, each
 * {created, ip, last_handshake, pubkey, rx_bytes, tx_bytes}, names sorted,
 * followed by a newline. *out is malloc'd. False with *why when an entry
 * stayed torn, is malformed, or a name appears twice: better no answer
 * than a wrong one.
 */
/* Consistent copies of the used entries among the first hw into rows[hw]:
 * their count, or -1 with *why (an entry stayed torn, or a name is not
 * clean UTF-8 without control bytes). */
struct table_entry;
long peers_rows(const void *base, size_t size, struct table_entry *rows, uint32_t hw,
		const char **why);
bool peers_json(const void *base, size_t size, char **out, size_t *len, const char **why);

#endif
