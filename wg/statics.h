/* SPDX-License-Identifier: MIT */
/* Static peers: every peer on the interface the helper did not register.
 * Their keys and allowed IPs are never given to a device. Rebuilt from each
 * dump; lookups cost one hash probe per prefix length in use, whatever the
 * number of peers. */
#ifndef AUTOWG_STATICS_H
#define AUTOWG_STATICS_H

#include <stdbool.h>
#include <stdint.h>
#include "../core/addr.h"
#include "hindex.h"
#include "wg.h"

#define PREFIX_ITEM_LEN 17 /* masked address + length */

/* Who else holds keys and addresses: rebuilt from every dump. */
struct statics {
	struct bset keys;     /* AWG_KEY_LEN */
	struct bset prefixes; /* PREFIX_ITEM_LEN */
	bool has_len[129];
	size_t n_peers;
};

/* From dev, every peer skip() does not skip, with its allowed IPs except
 * those inside drop (NULL: all of them). 0 or -ENOMEM (st empty then). */
int statics_learn(struct statics *st, const struct wg_device *dev,
		  bool (*skip)(const void *ctx, const struct wg_peer *p), const void *ctx,
		  const struct prefix6 *drop, const uint8_t hkey[HINDEX_KEY_LEN]);
bool statics_has_key(const struct statics *st, const uint8_t key[AWG_KEY_LEN]);
/* addr lies inside one of the static peers' IPv6 allowed IPs. */
bool statics_cover(const struct statics *st, const uint8_t addr[16]);
void statics_free(struct statics *st);
/* Any of p's allowed IPs lies inside pool. */
bool peer_in_pool(const struct wg_peer *p, const struct prefix6 *pool);
/* Some of p's allowed IPs lie inside pool and none outside it (IPv4 is
 * outside): a pool peer. One with both is a static peer that has addresses
 * in the pool too. */
bool peer_pool_only(const struct wg_peer *p, const struct prefix6 *pool);
/* Allowed IP ip lies inside pool. */
bool allowedip_in_pool(const struct wg_allowedip *ip, const struct prefix6 *pool);

#endif
