/* SPDX-License-Identifier: MIT */
/*
 * The registration rules: CN -> name -> address, and who may hold which key
 * and address. Owns the private copy of the table and writes the shared one;
 * changes the interface only through wg_apply, and changes its own state
 * only after the apply succeeded.
 */
#ifndef AUTOWG_REGISTRY_H
#define AUTOWG_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/convert.h"
#include "../core/pattern.h"
#include "../core/proto.h"
#include "../core/table.h"
#include "route.h"
#include "wg.h"

#define REG_IFACE_ADDRS_MAX 4096 /* IPv6 addresses on the interface we remember */

struct registry_config {
	const char *ifname;
	const struct wg_ops *ops;
	const struct converter *conv; /* holds the pool */
	const struct cn_pattern *pattern;
	uint32_t capacity; /* --max-peers */
	void *table;	   /* writable, table_init'ed for capacity */
	/* --install-routes: a route per entry through routes (NULL: off) */
	const struct route_ops *routes;
	void *routes_ctx;
	int64_t fresh_offset; /* --freshness-offset, seconds */
	unsigned node_id;     /* --node-id: the low bits of every freshness */
};

struct reg_answer {
	uint32_t result;      /* enum reg_result */
	uint32_t retry_after; /* REG_RATE_LIMITED: seconds until the name may change keys */
	uint8_t addr[16];
	char name[AWG_NAME_MAX + 1];
	char reason[AWG_REASON_MAX + 1];
	bool has_old_key; /* old_key: the key this registration replaced */
	uint8_t old_key[AWG_KEY_LEN];
};

struct registry;

/* cfg's pointers must outlive the registry. 0 or -ENOMEM. */
int registry_new(const struct registry_config *cfg, struct registry **out);
void registry_free(struct registry *r);

/* One registration, checked in the documented order; logs the outcome.
 * REG_SAME sets the peer once more (no table change), which repairs a peer
 * removed behind the helper's back when its device re-registers. */
void registry_register(struct registry *r, const char *cn, const uint8_t key[AWG_KEY_LEN],
		       int64_t now, struct reg_answer *out);

/* Registrations that arrived together, answered exactly as one after the
 * other in this order, but applied to the interface in as few transactions
 * as that allows: one, unless one's outcome could depend on another's (the
 * same name, key, address or entry: then that one waits for the ones before
 * it), or more than REGISTRY_GROUP_MAX are waiting. A failed apply answers
 * every registration of its transaction REG_UNAVAILABLE. */
#define REGISTRY_GROUP_MAX 64
struct reg_request {
	const char *cn;
	const uint8_t *key; /* AWG_KEY_LEN bytes */
};
void registry_register_many(struct registry *r, const struct reg_request *q, size_t n, int64_t now,
			    struct reg_answer *out);

/* Make the interface match the table in one apply: remove every peer with
 * an allowed IP inside the pool that is not ours, set every entry. The other
 * peers become the static peers; entries that now clash with one of them or
 * with the interface are dropped. 0, or -errno with the registry unchanged. */
int registry_sync(struct registry *r, const struct wg_device *dev);
/* --expire-after: remove every entry whose last sign of life (latest
 * handshake, or received bytes seen growing; its registration when there
 * was none) is more than `after` seconds before now, in one apply. The
 * number removed, or -errno with the registry unchanged. */
int registry_expire(struct registry *r, int64_t now, uint32_t after);
/* From a fresh dump: stats of our peers into the table, static peers and the
 * interface key re-learned. Never changes the interface. 0 or -ENOMEM. */
int registry_update(struct registry *r, const struct wg_device *dev);
/* The interface's own IPv6 addresses (refused as device addresses). */
int registry_set_iface_addrs(struct registry *r, const uint8_t (*addrs)[16], size_t n);

/* autowg-ctl (wg/reg_ctl.c). The entry named name into *out; false when none. */
bool registry_find(const struct registry *r, const char *name, struct table_entry *out);
/* Up to max used entries, from slot *cursor on, into out; *cursor becomes
 * the slot of the next used entry, or 0 when none follows. The count. */
size_t registry_list(const struct registry *r, uint32_t *cursor, struct table_entry *out,
		     size_t max);
/* Remove the peer named name from the interface, then its entry: the key
 * and the address are free at once. *out is the entry as it was. 0, or
 * -ENOENT (no such name), -ENETDOWN (the interface is down) or the apply's
 * -errno, each with nothing changed. */
int registry_remove(struct registry *r, const char *name, struct table_entry *out);
/* --install-routes, after a sync or a dump of the routing table (own: our
 * routes it found): every entry gets its route back (a kept peer takes the
 * freshness of the route an earlier run left it), stale routes of ours go,
 * the routes that cannot be added are logged and retried by
 * registry_routes_repair. Never fails: a route is not a reason to stop. */
void registry_routes_sync(struct registry *r, const struct own_route *own, size_t n_own);
/* The kernel says these routes changed (route.h): one of ours removed by
 * someone else is re-added by the next repair. */
void registry_route_events(struct registry *r, const struct route_event *ev, size_t n);
/* Add the routes of entries that lack theirs; logs what happened. */
void registry_routes_repair(struct registry *r);
/* Entries without their route (0 when --install-routes is off). */
uint32_t registry_unrouted(const struct registry *r);

/* Whether the interface is usable: the one flag the helper keeps of it (the
 * daemon sets it, its published settings follow). While it is false every
 * registration is REG_UNAVAILABLE, and nothing touches the interface. False
 * after registry_new. */
void registry_set_up(struct registry *r, bool up);
bool registry_up(const struct registry *r);
/* --keep-peers: from now on a sync keeps the pool's peers that look like
 * ours (see reg_keep.c) instead of removing them. Off after registry_new. */
void registry_set_keep_peers(struct registry *r, bool keep);
/* --min-rekey-interval: a name takes a new key at most once in `seconds`
 * (REG_RATE_LIMITED until then); the same key again is never limited, nor a
 * kept peer's device taking its entry over. 0, after registry_new: off. */
void registry_set_min_rekey(struct registry *r, uint32_t seconds);
/* The -errno of an apply that failed since the last call (then 0 again), or
 * 0: a failure means the interface needs a check. */
int registry_take_check(struct registry *r);
uint32_t registry_count(const struct registry *r);
size_t registry_static_count(const struct registry *r);

#endif
