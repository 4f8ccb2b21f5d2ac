/* SPDX-License-Identifier: MIT */
/* GET <prefix>v1/peers.json: the table as the seed's JSON. */
#ifndef AUTOWG_FCGI_PEERS_H
#define AUTOWG_FCGI_PEERS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The table at base[0..size) as a JSON object keyed by name, each
 * {created, ip, last_handshake, pubkey, rx_bytes, tx_bytes}, names sorted,
 * followed by a newline. *out is malloc'd. False with *why when an entry
 * stayed torn, is malformed, or a name appears twice: better no answer
 * than a wrong one.
 */
bool peers_json(const void *base, size_t size, char **out, size_t *len, const char **why);

#endif
