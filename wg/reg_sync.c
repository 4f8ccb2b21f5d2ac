/* SPDX-License-Identifier: MIT */
/*
 * The registry and the interface made to agree (registry_sync: at start-up
 * and whenever the interface comes back), and what a dump of it tells
 * (registry_update): stats, static peers, the interface's own key and
 * addresses.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../core/key.h"
#include "../core/table.h"
#include "log.h"
#include "registry_priv.h"
#include "statics.h"

/* At a sync the pool's other peers are about to be removed: not static. A
 * static peer with allowed IPs inside the pool too is about to lose those:
 * it is learnt without them (statics_learn's drop). */
static bool skip_sync(const void *ctx, const struct wg_peer *p)
{
	const struct registry *r = ctx;

	return registry_is_ours(r, p->key) || peer_pool_only(p, &r->cfg.conv->pool);
}

static bool skip_update(const void *ctx, const struct wg_peer *p)
{
	return registry_is_ours(ctx, p->key);
}

/* Entry s can no longer be served: its key or address is someone else's. */
static const char *entry_clash(const struct registry *r, const struct statics *st,
			       const uint8_t *iface_key, uint32_t s)
{
	const struct table_entry *e = &r->slot[s];

	if (iface_key && key_equal(e->key, iface_key))
		return "its key is now the interface's";
	if (statics_has_key(st, e->key))
		return "its key now belongs to a static peer";
	if (bset_has(&r->iface_addrs, e->addr))
		return "its address is now configured on the interface";
	if (statics_cover(st, e->addr))
		return "its address now belongs to a static peer";
	return NULL;
}

static void warn_pool_overlap(const struct registry *r, const struct wg_device *dev)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		if (registry_is_ours(r, p->key) || peer_pool_only(p, &r->cfg.conv->pool))
			continue;
		for (j = 0; j < p->n_ips; j++) {
			struct prefix6 ip = {.len = p->ips[j].cidr};
			char k[AWG_KEY_B64_LEN + 1], t[AWG_PREFIX_TEXT_MAX + 1];

			/* one inside the pool is gone (registry_sync trims it) */
			if (p->ips[j].family != AF_INET6 || ip.len > 128 ||
			    allowedip_in_pool(&p->ips[j], &r->cfg.conv->pool))
				continue;
			memcpy(ip.addr, p->ips[j].addr, 16);
			if (!prefix6_overlap(&ip, &r->cfg.conv->pool))
				continue;
			key_format(p->key, k);
			prefix6_format(&ip, t);
			log_warn("static peer %s has %s, which covers the pool: "
				 "addresses inside it will be refused",
				 k, t);
		}
	}
}

/* Static peer p has allowed IPs inside the pool too: change ch gives it
 * only those outside, copied to out (room for p->n_ips). */
static void trim_change(const struct wg_peer *p, const struct prefix6 *pool,
			struct wg_allowedip *out, struct wg_change *ch)
{
	uint32_t j;

	ch->op = WG_CHANGE_SET_IPS;
	memcpy(ch->key, p->key, AWG_KEY_LEN);
	ch->ips = out;
	ch->n_ips = 0;
	for (j = 0; j < p->n_ips; j++)
		if (!allowedip_in_pool(&p->ips[j], pool))
			out[ch->n_ips++] = p->ips[j];
}

/* After the trim: which of p's allowed IPs it lost. */
static void log_trimmed(const struct wg_peer *p, const struct prefix6 *pool)
{
	struct wg_allowedip in[LOG_IPS_MAX + 1];
	struct wg_peer lost = {.ips = in};
	char k[AWG_KEY_B64_LEN + 1], ips[(LOG_IPS_MAX + 1) * (AWG_PREFIX_TEXT_MAX + 1) + 8];
	uint32_t j, kept = 0;

	for (j = 0; j < p->n_ips; j++)
		if (!allowedip_in_pool(&p->ips[j], pool))
			kept++;
		else if (lost.n_ips <= LOG_IPS_MAX)
			in[lost.n_ips++] = p->ips[j];
	key_format(p->key, k);
	peer_ips_text(&lost, ips, sizeof(ips));
	log_info("static peer %s lost its allowed IPs inside the pool: %s; kept the %u outside it",
		 k, ips, kept);
}

/* What a sync will do, worked out before the interface is touched. */
struct sync_plan {
	const struct wg_device *dev;
	const uint8_t *iface_key; /* the interface's public key, or NULL */
	struct statics st;	  /* the static peers the sync leaves */
	struct wg_change *ch;	  /* n of them, room for n_ch */
	size_t n, n_ch;
	struct wg_allowedip *outside; /* the trimmed static peers' allowed IPs */
	bool *drop;		      /* per slot: the entry clashes, it goes */
	/* per peer of dev: why a pool peer is flushed (NULL: kept, under
	 * names[i] when --keep-peers) */
	const char **why;
	char (*names)[AWG_NAME_MAX + 1];
	size_t flushed, trimmed, n_keep;
};

static void sync_plan_free(struct sync_plan *p)
{
	if (p->ch)
		sodium_memzero(p->ch, p->n_ch * sizeof(*p->ch));
	free(p->ch);
	free(p->outside);
	free(p->drop);
	free(p->why);
	free(p->names);
	statics_free(&p->st);
}

/* A static peer with allowed IPs in the pool loses those; it is the
 * interface's, so is not in the registry. */
static bool trimmed_static(const struct registry *r, const struct wg_peer *p)
{
	const struct prefix6 *pool = &r->cfg.conv->pool;

	return !registry_is_ours(r, p->key) && peer_in_pool(p, pool) && !peer_pool_only(p, pool);
}

/* The change list: the pool's other peers removed (or trimmed, for a static
 * peer with allowed IPs on both sides of the pool's edge), every entry set,
 * or removed when it clashes. 0 or -errno (-ENOMEM). */
static int sync_plan(struct registry *r, const struct wg_device *dev, struct sync_plan *p)
{
	const struct prefix6 *pool = &r->cfg.conv->pool;
	size_t i, n_ips = 0;
	uint32_t s, end;
	int ret;

	*p = (struct sync_plan){.dev = dev};
	p->iface_key = dev->flags & WG_DEVICE_HAS_PUBLIC_KEY ? dev->public_key : NULL;
	ret = statics_learn(&p->st, dev, skip_sync, r, pool, r->hkey);
	if (ret)
		return ret;
	for (i = 0; i < dev->n_peers; i++)
		n_ips += dev->peers[i].n_ips;
	p->n_ch = dev->n_peers + r->count + 1;
	p->ch = calloc(p->n_ch, sizeof(*p->ch));
	p->outside = calloc(n_ips ? n_ips : 1, sizeof(*p->outside));
	p->drop = calloc(r->cfg.capacity ? r->cfg.capacity : 1, sizeof(*p->drop));
	p->why = calloc(dev->n_peers ? dev->n_peers : 1, sizeof(*p->why));
	if (r->keep_peers)
		p->names = calloc(dev->n_peers ? dev->n_peers : 1, sizeof(*p->names));
	if (!p->ch || !p->outside || !p->drop || !p->why || (r->keep_peers && !p->names))
		return -ENOMEM;
	ret = keep_plan(r, dev, &p->st, p->why, p->names, &p->n_keep);
	if (ret)
		return ret;
	for (i = 0, n_ips = 0; i < dev->n_peers; i++) {
		const struct wg_peer *peer = &dev->peers[i];

		if (registry_is_ours(r, peer->key) || !peer_in_pool(peer, pool))
			continue;
		if (!peer_pool_only(peer, pool)) {
			/* a static peer: it loses its pool addresses, nothing else */
			trim_change(peer, pool, p->outside + n_ips, &p->ch[p->n]);
			n_ips += p->ch[p->n++].n_ips;
			p->trimmed++;
			continue;
		}
		if (!p->why[i])
			continue;
		p->ch[p->n].op = WG_CHANGE_REMOVE;
		memcpy(p->ch[p->n++].key, peer->key, AWG_KEY_LEN);
		p->flushed++;
	}
	for (s = 0, end = slot_end(r); s < end; s++) {
		if (!(r->slot[s].flags & TABLE_ENTRY_USED))
			continue;
		p->drop[s] = entry_clash(r, &p->st, p->iface_key, s) != NULL;
		/* a dropped entry's peer goes, unless that key is someone else's */
		if (p->drop[s] && ((p->iface_key && key_equal(r->slot[s].key, p->iface_key)) ||
				   statics_has_key(&p->st, r->slot[s].key)))
			continue;
		p->ch[p->n].op = p->drop[s] ? WG_CHANGE_REMOVE : WG_CHANGE_SET;
		memcpy(p->ch[p->n].key, r->slot[s].key, AWG_KEY_LEN);
		memcpy(p->ch[p->n++].addr, r->slot[s].addr, 16);
	}
	return 0;
}

/* What the applied sync did, before the registry takes it in: each pool
 * peer flushed or kept, each static peer trimmed, the totals, each entry
 * dropped and why, and static peers whose routes cover the pool. */
static void sync_log(const struct registry *r, const struct sync_plan *p)
{
	const struct wg_device *dev = p->dev;
	uint32_t s, end;
	size_t i;

	keep_log(r, dev, p->why, p->names);
	for (i = 0; i < dev->n_peers && p->trimmed; i++)
		if (trimmed_static(r, &dev->peers[i]))
			log_trimmed(&dev->peers[i], &r->cfg.conv->pool);
	if (r->keep_peers)
		log_info("%s: kept %zu peer%s of the pool, flushed %zu, re-applied %u, trimmed %zu "
			 "static",
			 r->cfg.ifname, p->n_keep, p->n_keep == 1 ? "" : "s", p->flushed, r->count,
			 p->trimmed);
	else
		log_info("%s: flushed %zu peer%s from the pool, re-applied %u, trimmed %zu static",
			 r->cfg.ifname, p->flushed, p->flushed == 1 ? "" : "s", r->count,
			 p->trimmed);
	for (s = 0, end = slot_end(r); s < end; s++)
		if (p->drop[s])
			log_warn("dropped %s: %s", r->slot[s].name,
				 entry_clash(r, &p->st, p->iface_key, s));
	warn_pool_overlap(r, dev);
}

/* The registry takes in what the interface now is: the kept peers become
 * entries, the clashing entries go, the static peers and the interface's
 * key are the dump's. */
static void sync_commit(struct registry *r, struct sync_plan *p)
{
	uint32_t s, end;

	keep_take(r, p->dev, p->why, p->names, time(NULL));
	for (s = 0, end = slot_end(r); s < end; s++)
		if (p->drop[s])
			slot_drop(r, s);
	statics_free(&r->st);
	r->st = p->st;
	memset(&p->st, 0, sizeof(p->st));
	r->dev_gen = p->dev->gen;
	r->has_iface_key = p->iface_key != NULL;
	if (p->iface_key)
		memcpy(r->iface_key, p->iface_key, AWG_KEY_LEN);
}

int registry_sync(struct registry *r, const struct wg_device *dev)
{
	struct sync_plan p;
	int ret = sync_plan(r, dev, &p);

	if (!ret)
		ret = wg_apply(r->cfg.ops, r->cfg.ifname, p.ch, p.n);
	if (!ret) {
		sync_log(r, &p);
		sync_commit(r, &p);
	}
	sync_plan_free(&p);
	return ret;
}

int registry_update(struct registry *r, const struct wg_device *dev)
{
	int64_t now = time(NULL);
	struct statics st;
	size_t i;
	int ret;

	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];
		uint32_t s = sindex_find(&r->by_key, p->key);

		if (s == HINDEX_NONE)
			continue;
		/* a sign of life: a handshake, or bytes received since the last look */
		if (p->last_handshake > r->seen[s])
			r->seen[s] = p->last_handshake;
		if (p->rx_bytes != r->slot[s].rx_bytes)
			r->seen[s] = now;
		if (r->slot[s].last_handshake == p->last_handshake &&
		    r->slot[s].rx_bytes == p->rx_bytes && r->slot[s].tx_bytes == p->tx_bytes)
			continue;
		slot_stats(r, s, p);
	}
	ret = statics_learn(&st, dev, skip_update, r, NULL, r->hkey);
	if (ret)
		return ret;
	if (st.n_peers != r->st.n_peers)
		log_info("%s: %zu static peer%s (was %zu)", r->cfg.ifname, st.n_peers,
			 st.n_peers == 1 ? "" : "s", r->st.n_peers);
	statics_free(&r->st);
	r->st = st;
	r->dev_gen = dev->gen;
	r->has_iface_key = (dev->flags & WG_DEVICE_HAS_PUBLIC_KEY) != 0;
	if (r->has_iface_key)
		memcpy(r->iface_key, dev->public_key, AWG_KEY_LEN);
	return 0;
}

int registry_set_iface_addrs(struct registry *r, const uint8_t (*addrs)[16], size_t n)
{
	struct bset set;
	size_t i;
	int ret;

	if (n > REG_IFACE_ADDRS_MAX)
		n = REG_IFACE_ADDRS_MAX;
	ret = bset_init(&set, 16, n, r->hkey);
	for (i = 0; !ret && i < n; i++)
		ret = bset_add(&set, addrs[i]);
	if (ret) {
		bset_free(&set);
		return ret;
	}
	bset_free(&r->iface_addrs);
	r->iface_addrs = set;
	return 0;
}
