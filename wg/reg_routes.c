/* SPDX-License-Identifier: MIT */
/*
 * --install-routes, the registry's side. Every entry has one kernel route,
 * "<address>/128 dev <interface> proto 213 metric 2^31 - F" (wg/route.h),
 * F the freshness of its registration (wg/fresh.h). The route goes in
 * before a registration's peer is set, and a registration whose route
 * cannot go in is refused (503, no peer set): a device served here but
 * unknown to the other routers would be unreachable, while a 503 sends it
 * to another concentrator. The route goes out with the entry (expiry, a
 * clash at a sync, a move). A route lost afterwards (removed by someone
 * else, or with the interface) is added again every second until it is
 * back, and the log says so: the registry, the interface and the routing
 * table never disagree silently.
 *
 * Moved: a route of another protocol for an entry's address that is
 * fresher than the entry's own means its device registered at another
 * concentrator later. The entry goes, peer and route, logged and counted.
 * Freshness carries the --node-id, so two concentrators never tie; a route
 * exactly as fresh means two of them share a node id, and is logged. The
 * helper hears of such routes from the kernel's notifications, and checks
 * every entry after each dump of the routing table.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fresh.h"
#include "log.h"
#include "registry_priv.h"

#define LOG_GONE_MAX	 4  /* lost routes named per batch of notifications */
#define REPAIR_FAILS_MAX 16 /* failed adds before a pass over missing routes stops */

static void repair(struct registry *r, bool tell);

static struct prefix6 host_route(const uint8_t addr[16])
{
	struct prefix6 p = {.len = 128};

	memcpy(p.addr, addr, 16);
	return p;
}

static void routed_set(struct registry *r, uint32_t s, bool on)
{
	if (r->routed[s] == on)
		return;
	r->routed[s] = on;
	r->n_routed += on ? 1 : -1u;
	table_set_routes(r->cfg.table, r->n_routed);
}

static int add(struct registry *r, const uint8_t addr[16], uint32_t fresh)
{
	return r->cfg.routes->add(r->cfg.routes_ctx, addr, fresh);
}

/* Remove our route dst/metric; a failure is logged (the next dump of the
 * routing table finds the route and removes it then). */
static void del(struct registry *r, const struct prefix6 *dst, uint32_t metric, const char *what)
{
	char t[AWG_PREFIX_TEXT_MAX + 1];
	int ret = r->cfg.routes->del(r->cfg.routes_ctx, dst, metric);

	if (!ret)
		return;
	prefix6_format(dst, t);
	log_warn("%s: removing the route %s metric %" PRIu32 " (%s) failed: %s", r->cfg.ifname, t,
		 metric, what, strerror(-ret));
}

int route_prepare(struct registry *r, uint32_t s, const uint8_t addr[16], bool renew, int64_t now,
		  uint32_t *fresh, bool *added)
{
	uint32_t known;
	int ret;

	*added = false;
	if (s == HINDEX_NONE || r->fresh[s] == FRESH_NONE)
		renew = true;
	if (renew) {
		/* the hybrid logical clock: newer than any route known for it */
		known = r->cfg.routes->known(r->cfg.routes_ctx, addr);
		if (s != HINDEX_NONE && r->fresh[s] > known)
			known = r->fresh[s];
		*fresh = fresh_next(fresh_clock(now, r->cfg.fresh_offset, r->cfg.node_id), known,
				    r->cfg.node_id);
		if (*fresh == FRESH_NONE)
			return -ERANGE;
	} else {
		*fresh = r->fresh[s];
		if (r->routed[s])
			return 0;
	}
	ret = add(r, addr, *fresh);
	if (ret)
		return ret;
	*added = true;
	return 0;
}

void route_settle(struct registry *r, uint32_t s, uint32_t fresh)
{
	struct prefix6 dst = host_route(r->slot[s].addr);

	if (r->routed[s] && r->fresh[s] != fresh)
		del(r, &dst, fresh_metric(r->fresh[s]), "the older registration's");
	r->fresh[s] = fresh;
	routed_set(r, s, true);
}

void route_undo(struct registry *r, const uint8_t addr[16], uint32_t fresh)
{
	struct prefix6 dst = host_route(addr);

	del(r, &dst, fresh_metric(fresh), "its peer could not be set");
}

void route_drop(struct registry *r, uint32_t s)
{
	struct prefix6 dst;

	if (!r->cfg.routes)
		return;
	if (r->routed[s]) {
		dst = host_route(r->slot[s].addr);
		del(r, &dst, fresh_metric(r->fresh[s]), "its peer is gone");
		routed_set(r, s, false);
	}
	r->fresh[s] = FRESH_NONE;
}

uint32_t registry_unrouted(const struct registry *r)
{
	return r->cfg.routes ? r->count - r->n_routed : 0;
}

/* The entry holding addr, or HINDEX_NONE. */
static uint32_t entry_at(const struct registry *r, const uint8_t addr[16])
{
	return sindex_find(&r->by_addr, addr);
}

/* A kept peer has no freshness of its own: the route an earlier run left
 * it (found[s]), else its last handshake (the device was here then), else
 * the oldest this node gives (its first tick). */
static void fresh_for_kept(struct registry *r, const uint32_t *found)
{
	uint32_t s, end;

	for (s = 0, end = slot_end(r); s < end; s++) {
		if (!(r->slot[s].flags & TABLE_ENTRY_USED) || r->fresh[s] != FRESH_NONE)
			continue;
		if (found && found[s] != FRESH_NONE)
			r->fresh[s] = found[s];
		else if (r->slot[s].last_handshake > 0)
			r->fresh[s] = fresh_clock(r->slot[s].last_handshake, r->cfg.fresh_offset,
						  r->cfg.node_id);
		else
			r->fresh[s] = fresh_clock(FRESH_EPOCH, 0, r->cfg.node_id);
	}
}

/* Our routes the dump found: each entry's own is kept, the rest removed. */
static void own_routes(struct registry *r, const struct own_route *own, size_t n_own,
		       uint32_t *kept, uint32_t *removed)
{
	char t[AWG_PREFIX_TEXT_MAX + 1];
	size_t i;
	uint32_t s;

	for (i = 0; i < n_own; i++) {
		const struct own_route *o = &own[i];

		s = o->dst.len == 128 ? entry_at(r, o->dst.addr) : HINDEX_NONE;
		if (s != HINDEX_NONE && !r->routed[s] && o->metric == fresh_metric(r->fresh[s])) {
			routed_set(r, s, true);
			(*kept)++;
			continue;
		}
		prefix6_format(&o->dst, t);
		log_info("%s: removing stale route %s metric %" PRIu32
			 " (protocol %u, no entry has it)",
			 r->cfg.ifname, t, o->metric, ROUTE_PROTO);
		del(r, &o->dst, o->metric, "stale");
		(*removed)++;
	}
}

/* Entry s's device registered elsewhere later: a fresher route is known.
 * *known is that route's freshness. */
static bool has_moved(struct registry *r, uint32_t s, uint32_t *known)
{
	char a[AWG_ADDR_TEXT_MAX + 1];

	if (!(r->slot[s].flags & TABLE_ENTRY_USED) || r->fresh[s] == FRESH_NONE)
		return false;
	*known = r->cfg.routes->known(r->cfg.routes_ctx, r->slot[s].addr);
	if (*known == r->fresh[s]) {
		addr6_format(r->slot[s].addr, a);
		log_warn("%s: a route of another protocol for %s %s is exactly as fresh as its own "
			 "(%" PRIu32 "): does another concentrator have --node-id %u too?",
			 r->cfg.ifname, r->slot[s].name, a, *known, r->cfg.node_id);
	}
	return *known != FRESH_NONE && *known > r->fresh[s];
}

static void log_moved(const struct registry *r, uint32_t s, uint32_t known)
{
	char a[AWG_ADDR_TEXT_MAX + 1];

	addr6_format(r->slot[s].addr, a);
	log_info("moved %s %s: a route of another protocol with freshness %" PRIu32
		 " (metric %" PRIu32 ") is fresher than its own %" PRIu32
		 ": the device registered elsewhere later; peer and route removed",
		 r->slot[s].name, a, known, fresh_metric(known), r->fresh[s]);
}

/* The entries of which[0..n) whose devices moved go, peers in one apply.
 * When that fails nothing changes, and the next repair tries again. */
static void moved(struct registry *r, const uint32_t *which, uint32_t n)
{
	struct wg_change *ch = calloc(n ? n : 1, sizeof(*ch));
	uint32_t *gone = calloc(n ? n : 1, sizeof(*gone));
	uint32_t *known = calloc(n ? n : 1, sizeof(*known));
	uint32_t i, m = 0;
	int ret;

	if (!ch || !gone || !known) {
		r->moved_pending = true;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!has_moved(r, which[i], &known[m]))
			continue;
		ch[m].op = WG_CHANGE_REMOVE;
		memcpy(ch[m].key, r->slot[which[i]].key, AWG_KEY_LEN);
		gone[m++] = which[i];
	}
	ret = wg_apply(r->cfg.ops, r->cfg.ifname, ch, m);
	if (ret) {
		log_warn("%s: removing %" PRIu32 " moved peer%s failed: %s; trying again",
			 r->cfg.ifname, m, m == 1 ? "" : "s", strerror(-ret));
		r->check = ret;
		r->moved_pending = true;
		goto out;
	}
	for (i = 0; i < m; i++) {
		log_moved(r, gone[i], known[i]);
		slot_drop(r, gone[i]);
	}
	if (m)
		table_count_moved(r->cfg.table, m);
out:
	if (ch)
		sodium_memzero(ch, (n ? n : 1) * sizeof(*ch));
	free(ch);
	free(gone);
	free(known);
}

/* Every entry: after a dump, and when a move could not be carried out. */
static void moved_all(struct registry *r)
{
	uint32_t s, end, n = 0, *which;

	r->moved_pending = false;
	which = calloc(r->count ? r->count : 1, sizeof(*which));
	if (!which) {
		r->moved_pending = true;
		return;
	}
	for (s = 0, end = slot_end(r); s < end && n < r->count; s++)
		if (r->slot[s].flags & TABLE_ENTRY_USED)
			which[n++] = s;
	moved(r, which, n);
	free(which);
}

/* Add the missing routes; tell, when told to, which came back. A pass
 * stops after REPAIR_FAILS_MAX failures: when the interface refuses
 * routes (down, IPv6 off) it refuses them all, and the next pass is a
 * second away. */
static void repair(struct registry *r, bool tell)
{
	uint32_t s, end, fixed = 0, failed = 0, missing;
	int ret, err = 0;

	if (!r->cfg.routes || r->n_routed == r->count)
		return;
	for (s = 0, end = slot_end(r); s < end && failed < REPAIR_FAILS_MAX; s++) {
		if (!(r->slot[s].flags & TABLE_ENTRY_USED) || r->routed[s])
			continue;
		ret = add(r, r->slot[s].addr, r->fresh[s]);
		if (ret) {
			failed++;
			err = ret;
			continue;
		}
		routed_set(r, s, true);
		fixed++;
	}
	missing = registry_unrouted(r);
	if (fixed && tell)
		log_info("%s: %" PRIu32 " route%s added again", r->cfg.ifname, fixed,
			 fixed == 1 ? "" : "s");
	if (failed && err != r->repair_err)
		log_warn("%s: %" PRIu32 " route%s missing, cannot be added: %s; trying again every "
			 "second",
			 r->cfg.ifname, missing, missing == 1 ? "" : "s", strerror(-err));
	r->repair_err = err;
}

void registry_routes_sync(struct registry *r, const struct own_route *own, size_t n_own)
{
	uint32_t *found, s, end, kept = 0, removed = 0, before;
	size_t i;

	if (!r->cfg.routes)
		return;
	/* the dump is the truth about which routes are there */
	for (s = 0, end = slot_end(r); s < end; s++)
		if (r->slot[s].flags & TABLE_ENTRY_USED)
			routed_set(r, s, false);
	/* without memory for it a kept peer takes the other sources */
	found = calloc(r->cfg.capacity ? r->cfg.capacity : 1, sizeof(*found));
	for (i = 0; found && i < n_own; i++) {
		uint32_t f = fresh_of_metric(own[i].metric);

		s = own[i].dst.len == 128 ? entry_at(r, own[i].dst.addr) : HINDEX_NONE;
		if (s != HINDEX_NONE && r->fresh[s] == FRESH_NONE && f > found[s])
			found[s] = f;
	}
	fresh_for_kept(r, found);
	free(found);
	own_routes(r, own, n_own, &kept, &removed);
	before = r->n_routed;
	r->repair_err = 0;
	repair(r, false);
	log_info("%s: routes: %" PRIu32 " kept, %" PRIu32 " added, %" PRIu32
		 " stale removed, %" PRIu32 " missing",
		 r->cfg.ifname, kept, r->n_routed - before, removed, registry_unrouted(r));
	moved_all(r);
}

void registry_route_events(struct registry *r, const struct route_event *ev, size_t n)
{
	char a[AWG_ADDR_TEXT_MAX + 1];
	uint32_t s, gone = 0, *which, n_which = 0, k;
	size_t i;

	if (!r->cfg.routes || !n)
		return;
	which = calloc(n, sizeof(*which));
	for (i = 0; i < n; i++) {
		s = entry_at(r, ev[i].addr);
		if (ev[i].kind == ROUTE_EV_FOREIGN && s != HINDEX_NONE) {
			for (k = 0; k < n_which && which[k] != s; k++)
				;
			if (which && k == n_which)
				which[n_which++] = s;
			r->moved_pending |= !which;
		}
		if (ev[i].kind != ROUTE_EV_OWN_GONE)
			continue;
		if (s == HINDEX_NONE || !r->routed[s] || ev[i].metric != fresh_metric(r->fresh[s]))
			continue; /* one we removed ourselves */
		routed_set(r, s, false);
		if (gone++ < LOG_GONE_MAX) {
			addr6_format(ev[i].addr, a);
			log_warn("%s: the route of %s %s metric %" PRIu32
				 " was removed by someone else: adding it again",
				 r->cfg.ifname, r->slot[s].name, a, ev[i].metric);
		}
	}
	if (gone > LOG_GONE_MAX)
		log_warn("%s: ... and %" PRIu32 " more routes removed by someone else",
			 r->cfg.ifname, gone - LOG_GONE_MAX);
	if (which)
		moved(r, which, n_which);
	free(which);
}

void registry_routes_repair(struct registry *r)
{
	if (r->cfg.routes && r->moved_pending)
		moved_all(r);
	repair(r, true);
}
