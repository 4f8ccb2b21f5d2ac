/* SPDX-License-Identifier: MIT */
/* The registry's insides, shared by registry.c (its memory, indexes and
 * slots) and the reg_*.c files that work on it: reg_register.c
 * (registrations), reg_sync.c (the interface made to agree), reg_keep.c
 * (--keep-peers), reg_expire.c (--expire-after), reg_ctl.c (autowg-ctl),
 * reg_routes.c (--install-routes). Nothing else includes this. */
#ifndef AUTOWG_REGISTRY_PRIV_H
#define AUTOWG_REGISTRY_PRIV_H

#include "../core/table.h"
#include "hindex.h"
#include "registry.h"
#include "statics.h"

#define LOG_IPS_MAX 4 /* allowed IPs named per flushed peer */

struct registry {
	struct registry_config cfg;
	uint8_t hkey[HINDEX_KEY_LEN];
	/* The shared table's entries, read directly (the helper is their only
	 * writer: F_SEAL_FUTURE_WRITE keeps everyone else out); written only
	 * through slot_write(). Flags say used. */
	const struct table_entry *slot;
	int64_t *seen;	     /* per slot: last sign of life, Unix seconds */
	bool *adopted;	     /* per slot: kept at start-up, not yet confirmed */
	uint32_t *free_slot; /* stack of unused slots, lowest on top */
	uint32_t n_free, count;
	struct sindex by_name, by_key, by_addr;
	struct statics st;
	struct bset iface_addrs;
	uint8_t iface_key[AWG_KEY_LEN];
	bool has_iface_key, up;
	bool keep_peers;    /* --keep-peers */
	uint32_t min_rekey; /* --min-rekey-interval, seconds; 0 = off */
	int check;	    /* -errno of the last failed apply */
	uint64_t dev_gen;   /* the read static peers were last learnt from (wg_device.gen) */
	/* --install-routes (cfg.routes), per slot: the freshness of the
	 * entry's route (FRESH_NONE: not decided yet), and whether the route is
	 * in the kernel as far as the helper knows; n_routed of them are */
	uint32_t *fresh;
	bool *routed;
	uint32_t n_routed;
	int repair_err;	    /* the last repair's failure, logged once */
	bool moved_pending; /* a move could not be carried out: try again */
};

bool registry_is_ours(const struct registry *r, const uint8_t key[AWG_KEY_LEN]);
/* One past the highest used slot (the table keeps it): loops over the slots
 * stop there, so pages of a large --max-peers that no peer reached are never
 * touched (a read of one costs a page of memory on some kernels). */
uint32_t slot_end(const struct registry *r);
/* Entry s becomes *e, under the table's seqlock. */
void slot_write(struct registry *r, uint32_t s, const struct table_entry *e);
void slot_drop(struct registry *r, uint32_t s);
uint32_t slot_take(struct registry *r, const char *name, const uint8_t addr[16],
		   const uint8_t key[AWG_KEY_LEN], int64_t now);
/* Slot s's counters from the interface's peer p; the rest stays. */
void slot_stats(struct registry *r, uint32_t s, const struct wg_peer *p);
/* "(fde3::1/128,...)" for a log line. */
void peer_ips_text(const struct wg_peer *p, char *out, size_t size);

/* reg_routes.c: before the peer of a registration is set, its route: a
 * new freshness when renew (a new name or key), else entry s keeps its own;
 * *added when the route had to be added. 0, or -errno (nothing added). */
int route_prepare(struct registry *r, uint32_t s, const uint8_t addr[16], bool renew, int64_t now,
		  uint32_t *fresh, bool *added);
/* After the peer was set: entry s's route is now the one of freshness f
 * (the older one removed). */
void route_settle(struct registry *r, uint32_t s, uint32_t fresh);
/* Remove the route route_prepare added for a registration that failed. */
void route_undo(struct registry *r, const uint8_t addr[16], uint32_t fresh);
/* Entry s goes: its route too. */
void route_drop(struct registry *r, uint32_t s);

/* reg_keep.c: which pool peers a sync keeps (why[i] NULL, their names in
 * names[i]) and why the others go (why[i] also says so with --keep-peers
 * off); *n_keep of them. 0 or -ENOMEM. */
int keep_plan(struct registry *r, const struct wg_device *dev, const struct statics *st,
	      const char **why, char (*names)[AWG_NAME_MAX + 1], size_t *n_keep);
/* After the sync's apply: each pool peer logged, kept or flushed, in the
 * order of dev... */
void keep_log(const struct registry *r, const struct wg_device *dev, const char **why,
	      char (*names)[AWG_NAME_MAX + 1]);
/* ...then the kept ones become entries. */
void keep_take(struct registry *r, const struct wg_device *dev, const char **why,
	       char (*names)[AWG_NAME_MAX + 1], int64_t now);
/* reg_keep.c: why pool peer p cannot be kept (NULL: it can), and the name it is
 * kept under in name[AWG_NAME_MAX + 1]. */
const char *keep_check(const struct registry *r, const struct statics *st, const struct wg_peer *p,
		       char *name);

#endif
