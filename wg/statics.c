/* SPDX-License-Identifier: MIT */
#include "statics.h"

#include <string.h>
#include <sys/socket.h>

void statics_free(struct statics *st)
{
	bset_free(&st->keys);
	bset_free(&st->prefixes);
	memset(st, 0, sizeof(*st));
}

static void prefix_item(const uint8_t addr[16], uint8_t len, uint8_t item[PREFIX_ITEM_LEN])
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		item[i] = bits >= 8 ? addr[i] : (uint8_t)(addr[i] & (0xff00u >> bits));
	}
	item[16] = len;
}

/* Inside any static peer's allowed IP: one lookup per prefix length in use. */
bool statics_cover(const struct statics *st, const uint8_t addr[16])
{
	uint8_t item[PREFIX_ITEM_LEN];
	unsigned len;

	for (len = 0; len <= 128; len++) {
		if (!st->has_len[len])
			continue;
		prefix_item(addr, (uint8_t)len, item);
		if (bset_has(&st->prefixes, item))
			return true;
	}
	return false;
}

bool allowedip_in_pool(const struct wg_allowedip *ip, const struct prefix6 *pool)
{
	struct prefix6 p = {.len = ip->cidr};

	if (ip->family != AF_INET6 || p.len > 128)
		return false;
	memcpy(p.addr, ip->addr, 16);
	return prefix6_within(&p, pool);
}

bool peer_in_pool(const struct wg_peer *p, const struct prefix6 *pool)
{
	uint32_t i;

	for (i = 0; i < p->n_ips; i++)
		if (allowedip_in_pool(&p->ips[i], pool))
			return true;
	return false;
}

bool peer_pool_only(const struct wg_peer *p, const struct prefix6 *pool)
{
	uint32_t i;

	for (i = 0; i < p->n_ips; i++)
		if (!allowedip_in_pool(&p->ips[i], pool))
			return false;
	return p->n_ips > 0;
}
bool statics_has_key(const struct statics *st, const uint8_t key[AWG_KEY_LEN])
{
	return bset_has(&st->keys, key);
}

int statics_learn(struct statics *st, const struct wg_device *dev,
		  bool (*skip)(const void *ctx, const struct wg_peer *p), const void *ctx,
		  const struct prefix6 *drop, const uint8_t hkey[HINDEX_KEY_LEN])
{
	size_t i, n_ips = 0;
	uint32_t j;
	int ret;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < dev->n_peers; i++)
		n_ips += dev->peers[i].n_ips;
	ret = bset_init(&st->keys, AWG_KEY_LEN, dev->n_peers, hkey);
	if (!ret)
		ret = bset_init(&st->prefixes, PREFIX_ITEM_LEN, n_ips, hkey);
	for (i = 0; !ret && i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		if (skip(ctx, p))
			continue;
		ret = bset_add(&st->keys, p->key);
		st->n_peers++;
		for (j = 0; !ret && j < p->n_ips; j++) {
			uint8_t item[PREFIX_ITEM_LEN];

			if (p->ips[j].family != AF_INET6 || p->ips[j].cidr > 128 ||
			    (drop && allowedip_in_pool(&p->ips[j], drop)))
				continue;
			prefix_item(p->ips[j].addr, p->ips[j].cidr, item);
			ret = bset_add(&st->prefixes, item);
			st->has_len[p->ips[j].cidr] = true;
		}
	}
	if (ret)
		statics_free(st);
	return ret;
}
