/* SPDX-License-Identifier: MIT */
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../core/key.h"
#include "../core/map.h"
#include "../core/table.h"
#include "../core/text.h"
#include "fresh.h"
#include "hindex.h"
#include "log.h"
#include "registry_priv.h"
#include "statics.h"

_Static_assert(REG_RESULT_COUNT <= TABLE_REG_COUNTERS, "a table counter per result");

static uint64_t name_rec(const void *ctx, uint32_t rec)
{
	const struct registry *r = ctx;

	return hindex_hash(r->hkey, r->slot[rec].name, strlen(r->slot[rec].name));
}
static uint64_t name_key(const void *ctx, const void *key)
{
	return hindex_hash(((const struct registry *)ctx)->hkey, key, strlen(key));
}
static bool name_eq(const void *ctx, uint32_t rec, const void *key)
{
	return !strcmp(((const struct registry *)ctx)->slot[rec].name, key);
}
static uint64_t key_rec(const void *ctx, uint32_t rec)
{
	const struct registry *r = ctx;

	return hindex_hash(r->hkey, r->slot[rec].key, AWG_KEY_LEN);
}
static uint64_t key_key(const void *ctx, const void *key)
{
	return hindex_hash(((const struct registry *)ctx)->hkey, key, AWG_KEY_LEN);
}
static bool key_eq(const void *ctx, uint32_t rec, const void *key)
{
	return key_equal(((const struct registry *)ctx)->slot[rec].key, key);
}
static uint64_t addr_rec(const void *ctx, uint32_t rec)
{
	const struct registry *r = ctx;

	return hindex_hash(r->hkey, r->slot[rec].addr, 16);
}
static uint64_t addr_key(const void *ctx, const void *key)
{
	return hindex_hash(((const struct registry *)ctx)->hkey, key, 16);
}
static bool addr_eq(const void *ctx, uint32_t rec, const void *key)
{
	return !memcmp(((const struct registry *)ctx)->slot[rec].addr, key, 16);
}

static const struct sindex_ops name_ops = {name_rec, name_key, name_eq};
static const struct sindex_ops key_ops = {key_rec, key_key, key_eq};
static const struct sindex_ops addr_ops = {addr_rec, addr_key, addr_eq};

bool registry_is_ours(const struct registry *r, const uint8_t key[AWG_KEY_LEN])
{
	return sindex_find(&r->by_key, key) != HINDEX_NONE;
}
#define is_ours registry_is_ours

/* At a sync the pool's other peers are about to be removed: not static. A
 * static peer with allowed IPs inside the pool too is about to lose those:
 * it is learnt without them (statics_learn's drop). */
static bool skip_sync(const void *ctx, const struct wg_peer *p)
{
	const struct registry *r = ctx;

	return is_ours(r, p->key) || peer_pool_only(p, &r->cfg.conv->pool);
}

static bool skip_update(const void *ctx, const struct wg_peer *p)
{
	return is_ours(ctx, p->key);
}

int registry_new(const struct registry_config *cfg, struct registry **out)
{
	struct registry *r;
	uint32_t i;
	int ret = -ENOMEM;

	*out = NULL;
	if (sodium_init() < 0)
		return -EIO;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	randombytes_buf(r->hkey, sizeof(r->hkey));
	r->slot = table_entries(cfg->table);
	r->free_slot = calloc(cfg->capacity ? cfg->capacity : 1, sizeof(*r->free_slot));
	r->seen = calloc(cfg->capacity ? cfg->capacity : 1, sizeof(*r->seen));
	r->adopted = calloc(cfg->capacity ? cfg->capacity : 1, sizeof(*r->adopted));
	if (!r->free_slot || !r->seen || !r->adopted)
		goto fail;
	if (cfg->routes) {
		r->fresh = calloc(cfg->capacity ? cfg->capacity : 1, sizeof(*r->fresh));
		r->routed = calloc(cfg->capacity ? cfg->capacity : 1, sizeof(*r->routed));
		if (!r->fresh || !r->routed)
			goto fail;
	}
	for (i = 0; i < cfg->capacity; i++)
		r->free_slot[i] = cfg->capacity - 1 - i;
	r->n_free = cfg->capacity;
	if (sindex_init(&r->by_name, cfg->capacity, &name_ops, r) ||
	    sindex_init(&r->by_key, cfg->capacity, &key_ops, r) ||
	    sindex_init(&r->by_addr, cfg->capacity, &addr_ops, r) ||
	    bset_init(&r->iface_addrs, 16, 0, r->hkey))
		goto fail;
	*out = r;
	return 0;
fail:
	registry_free(r);
	return ret;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	free(r->free_slot);
	free(r->seen);
	free(r->adopted);
	free(r->fresh);
	free(r->routed);
	sindex_free(&r->by_name);
	sindex_free(&r->by_key);
	sindex_free(&r->by_addr);
	statics_free(&r->st);
	bset_free(&r->iface_addrs);
	sodium_memzero(r->iface_key, sizeof(r->iface_key));
	free(r);
}

uint32_t slot_end(const struct registry *r)
{
	return table_high_water(r->cfg.table, table_size(r->cfg.capacity));
}

void slot_write(struct registry *r, uint32_t s, const struct table_entry *e)
{
	table_write_entry(r->cfg.table, s, e);
}

void slot_stats(struct registry *r, uint32_t s, const struct wg_peer *p)
{
	struct table_entry e = r->slot[s];

	e.last_handshake = p->last_handshake;
	e.rx_bytes = p->rx_bytes;
	e.tx_bytes = p->tx_bytes;
	slot_write(r, s, &e);
}

void slot_drop(struct registry *r, uint32_t s)
{
	struct table_entry empty;

	route_drop(r, s);
	sindex_remove(&r->by_name, s);
	sindex_remove(&r->by_key, s);
	sindex_remove(&r->by_addr, s);
	memset(&empty, 0, sizeof(empty));
	slot_write(r, s, &empty);
	r->seen[s] = 0;
	r->adopted[s] = false;
	r->free_slot[r->n_free++] = s;
	r->count--;
}

uint32_t slot_take(struct registry *r, const char *name, const uint8_t addr[16],
		   const uint8_t key[AWG_KEY_LEN], int64_t now)
{
	uint32_t s = r->free_slot[--r->n_free];
	struct table_entry e;

	memset(&e, 0, sizeof(e));
	e.flags = TABLE_ENTRY_USED;
	snprintf(e.name, sizeof(e.name), "%s", name);
	memcpy(e.addr, addr, 16);
	memcpy(e.key, key, AWG_KEY_LEN);
	e.created = now;
	slot_write(r, s, &e);
	r->seen[s] = now;
	r->adopted[s] = false;
	if (r->fresh) {
		r->fresh[s] = FRESH_NONE;
		r->routed[s] = false;
	}
	/* the indexes hash what the slot now holds */
	sindex_insert(&r->by_name, s);
	sindex_insert(&r->by_key, s);
	sindex_insert(&r->by_addr, s);
	r->count++;
	return s;
}

/* New key for slot s: re-index by key; the address and name stay. */
static void slot_rekey(struct registry *r, uint32_t s, const uint8_t key[AWG_KEY_LEN], int64_t now)
{
	struct table_entry e = r->slot[s];

	sindex_remove(&r->by_key, s);
	memcpy(e.key, key, AWG_KEY_LEN);
	e.created = now;
	e.last_handshake = 0;
	e.rx_bytes = e.tx_bytes = 0;
	e.key_changes++;
	slot_write(r, s, &e);
	r->seen[s] = now;
	sindex_insert(&r->by_key, s);
}

/* A kept peer's entry confirmed by its device's registration: it takes the
 * name the device gives (a metans "[address]", or another spelling of a
 * direct-bcd number) and, when it brought one, the new key. Not a key
 * change of the name: the entry only stood in for it. */
static void slot_confirm(struct registry *r, uint32_t s, const char *name,
			 const uint8_t key[AWG_KEY_LEN], int64_t now)
{
	struct table_entry e = r->slot[s];

	sindex_remove(&r->by_name, s);
	sindex_remove(&r->by_key, s);
	snprintf(e.name, sizeof(e.name), "%s", name);
	if (!key_equal(e.key, key)) {
		memcpy(e.key, key, AWG_KEY_LEN);
		e.created = now;
		e.last_handshake = 0;
		e.rx_bytes = e.tx_bytes = 0;
		r->seen[s] = now;
	}
	slot_write(r, s, &e);
	r->adopted[s] = false;
	sindex_insert(&r->by_name, s);
	sindex_insert(&r->by_key, s);
}

static void answer(struct reg_answer *out, uint32_t result, const char *why)
{
	const char *base = reg_result_reason(result);

	out->result = result;
	if (why && *why)
		snprintf(out->reason, sizeof(out->reason), "%s: %s", base, why);
	else
		snprintf(out->reason, sizeof(out->reason), "%s", base);
}

/* One line per registration; old is the replaced key, or "". */
static void log_answer(const struct registry *r, const char *cn, const uint8_t key[AWG_KEY_LEN],
		       const char *old, uint32_t fresh, const struct reg_answer *a)
{
	char ecn[AWG_CN_MAX * 4 + 1], addr[AWG_ADDR_TEXT_MAX + 1], k[AWG_KEY_B64_LEN + 1];
	char route[48] = "";

	(void)r;
	text_escape(cn, AWG_CN_MAX + 1, ecn, sizeof(ecn), 0);
	key_format(key, k);
	addr6_format(a->addr, addr);
	if (fresh != FRESH_NONE)
		snprintf(route, sizeof(route), ", route metric %" PRIu32 " (freshness %" PRIu32 ")",
			 fresh_metric(fresh), fresh);
	if (reg_result_status(a->result) == 200)
		log_info("register %s %s key %s: %s%s%s%s", a->name, addr, k,
			 reg_result_name(a->result), old[0] ? ", old key " : "", old, route);
	else if (a->name[0])
		log_info("refused CN '%s' name %s key %s: %s (%s)", ecn, a->name, k,
			 reg_result_name(a->result), a->reason);
	else
		log_info("refused CN '%s' key %s: %s (%s)", ecn, k, reg_result_name(a->result),
			 a->reason);
}

/* Seconds until entry s may take a new key (--min-rekey-interval), 0 when
 * it may now. Counted from the entry's last key (its `created`); a clock set
 * back counts as time passed, so it cannot lock a name out. */
static uint32_t rekey_wait(const struct registry *r, uint32_t s, int64_t now)
{
	int64_t since = now - r->slot[s].created;

	if (!r->min_rekey || r->adopted[s] || since < 0 || since >= r->min_rekey)
		return 0;
	return r->min_rekey - (uint32_t)since;
}

/* The checks in their documented order; 0 when the request may be applied. */
static uint32_t reg_check(struct registry *r, const char *cn, const uint8_t key[AWG_KEY_LEN],
			  int64_t now, struct reg_answer *out, uint32_t *owner)
{
	char wait[sizeof("retry in 4294967295 s")];
	const char *why = NULL;
	enum map_step step;
	uint32_t s;

	/* first, as the responders did when they checked the settings: a down
	 * interface answers 503 whatever the request */
	if (!r->up)
		return answer(out, REG_UNAVAILABLE, NULL), 1;
	step = map_cn(r->cfg.pattern, r->cfg.conv, cn, out->name, out->addr, &why);
	if (step != MAP_OK) {
		answer(out, step == MAP_BAD_CN ? REG_BAD_CN : REG_BAD_NAME, why);
		return 1;
	}
	if (key_is_zero(key))
		return answer(out, REG_BAD_KEY, "the all-zero key"), 1;
	if (r->has_iface_key && key_equal(key, r->iface_key))
		return answer(out, REG_KEY_IFACE, NULL), 1;
	if (statics_has_key(&r->st, key))
		return answer(out, REG_KEY_STATIC, NULL), 1;
	s = sindex_find(&r->by_key, key);
	/* setting the peer again would take the address back from whoever the
	 * operator gave it to since: refused like a new device would be */
	if (s != HINDEX_NONE && !strcmp(r->slot[s].name, out->name) &&
	    bset_has(&r->iface_addrs, out->addr))
		return answer(out, REG_ADDR_IFACE, NULL), 1;
	if (s != HINDEX_NONE && !strcmp(r->slot[s].name, out->name) &&
	    statics_cover(&r->st, out->addr))
		return answer(out, REG_ADDR_STATIC, NULL), 1;
	if (s != HINDEX_NONE && r->adopted[s] && !memcmp(r->slot[s].addr, out->addr, 16)) {
		/* the device of a kept peer, back with the same key */
		*owner = s;
		return 0;
	}
	if (s != HINDEX_NONE) {
		if (strcmp(r->slot[s].name, out->name))
			return answer(out, REG_KEY_TAKEN, NULL), 1;
		/* set again all the same: a device re-registers when its
		 * handshake went stale, and an operator may have removed it */
		*owner = s;
		return answer(out, REG_SAME, NULL), 0;
	}
	if (bset_has(&r->iface_addrs, out->addr))
		return answer(out, REG_ADDR_IFACE, NULL), 1;
	if (statics_cover(&r->st, out->addr))
		return answer(out, REG_ADDR_STATIC, NULL), 1;
	s = sindex_find(&r->by_addr, out->addr);
	if (s != HINDEX_NONE && r->adopted[s]) {
		*owner = s; /* a kept peer stands in for whoever maps here */
		return 0;
	}
	if (s != HINDEX_NONE && strcmp(r->slot[s].name, out->name))
		return answer(out, REG_ADDR_TAKEN, r->slot[s].name), 1;
	*owner = sindex_find(&r->by_name, out->name);
	if (*owner == HINDEX_NONE && !r->n_free)
		return answer(out, REG_FULL, NULL), 1;
	if (*owner != HINDEX_NONE && (out->retry_after = rekey_wait(r, *owner, now))) {
		snprintf(wait, sizeof(wait), "retry in %u s", out->retry_after);
		return answer(out, REG_RATE_LIMITED, wait), 1;
	}
	return 0;
}

/* Every registration ends here: counted and logged; old is the replaced
 * key, fresh its route's freshness (FRESH_NONE: none). */
static void settle(struct registry *r, const struct reg_request *q, const char *old, uint32_t fresh,
		   const struct reg_answer *out)
{
	table_count_registration(r->cfg.table, out->result);
	log_answer(r, q->cn, q->key, old, fresh, out);
}

/* A registration that passed reg_check and waits for the group's apply. */
struct pending {
	const struct reg_request *q;
	struct reg_answer *out;
	uint32_t owner;
	bool same, confirm;
	uint32_t fresh; /* --install-routes: the freshness of its route */
	bool added;	/* ... added for it: removed again if the apply fails */
	bool refused;	/* answered already: a static peer holds the key, or its route could
			 * not be added; no peer set */
};

/* Could q's outcome depend on p's, or the other way round? Then p must be
 * applied and in the table before q is checked, as if one at a time. */
static bool depends(const struct registry *r, const struct pending *p, const struct reg_request *q,
		    const struct reg_answer *qa, uint32_t q_owner)
{
	return key_equal(p->q->key, q->key) ||
	       (p->owner != HINDEX_NONE && key_equal(r->slot[p->owner].key, q->key)) ||
	       (q_owner != HINDEX_NONE && q_owner == p->owner) ||
	       (qa->name[0] && !strcmp(p->out->name, qa->name)) ||
	       !memcmp(p->out->addr, qa->addr, 16);
}

/*
 * A key the registry never set may be on the interface all the same: a
 * static peer an operator added with wg set since the last re-read, whose
 * allowed IPs a SET would replace. So before the group's new keys are set
 * the interface is asked: ops->probe_peers where the backend can look a key
 * up (one lookup per key); else, unless ops->unchanged says nobody touched
 * the interface since the read the static peers come from (then a key that
 * is not theirs is nobody's), a dump. When one may be there, a dump
 * re-learns the static peers and every registration of the group is checked
 * again, as if it came now; those refused are answered and marked refused.
 * 0, or -errno when the interface could not be read.
 */
static int check_new_keys(struct registry *r, struct pending *g, size_t n, int64_t now)
{
	uint8_t keys[REGISTRY_GROUP_MAX][AWG_KEY_LEN];
	struct wg_device *dev = NULL;
	size_t i, k = 0;
	int ret = 1;

	for (i = 0; i < n; i++)
		if (!is_ours(r, g[i].q->key))
			memcpy(keys[k++], g[i].q->key, AWG_KEY_LEN);
	if (!k)
		return 0;
	if (r->cfg.ops->probe_peers)
		ret =
		    r->cfg.ops->probe_peers(r->cfg.ifname, (const uint8_t(*)[AWG_KEY_LEN])keys, k);
	else if (r->cfg.ops->unchanged && r->dev_gen)
		ret = r->cfg.ops->unchanged(r->cfg.ifname, r->dev_gen) == 1 ? 0 : 1;
	if (ret <= 0)
		return ret;
	ret = r->cfg.ops->get_device(r->cfg.ifname, &dev);
	if (!ret)
		ret = registry_update(r, dev);
	wg_device_free(dev);
	for (i = 0; !ret && i < n; i++) {
		struct reg_answer a;
		uint32_t owner = HINDEX_NONE;

		memset(&a, 0, sizeof(a));
		if (reg_check(r, g[i].q->cn, g[i].q->key, now, &a, &owner)) {
			*g[i].out = a;
			g[i].refused = true;
		}
	}
	return ret;
}

/* --install-routes: each registration's route goes in before its peer (a
 * new name or key gets a new freshness); one that cannot have its route is
 * refused, its peer never set. */
static void routes_first(struct registry *r, struct pending *g, size_t n, int64_t now)
{
	size_t i;
	int ret;

	for (i = 0; r->cfg.routes && i < n; i++) {
		struct pending *p = &g[i];
		bool renew;

		if (p->refused)
			continue;
		renew = !p->same && !(p->confirm && key_equal(r->slot[p->owner].key, p->q->key));

		ret = route_prepare(r, p->owner, p->out->addr, renew, now, &p->fresh, &p->added);
		if (!ret)
			continue;
		p->refused = true;
		answer(p->out, REG_UNAVAILABLE,
		       ret == -ERANGE ? "a route for its address is as fresh as a route can be"
				      : "its route cannot be installed");
		log_warn("%s: route for %s not installed: %s", r->cfg.ifname, p->out->name,
			 ret == -ERANGE ? "no freshness beyond the freshest route known"
					: strerror(-ret));
	}
}

/* Apply the group's changes in one transaction, then update the table and
 * answer each in order; on failure each is REG_UNAVAILABLE and the registry
 * is unchanged (a resync follows: r->check). */
static void commit(struct registry *r, struct pending *g, size_t n, struct wg_change *ch,
		   int64_t now)
{
	char old[AWG_KEY_B64_LEN + 1];
	size_t i, m = 0;
	uint32_t s;
	int ret;

	if (!n)
		return;
	ret = check_new_keys(r, g, n, now);
	if (ret) {
		log_warn("%s: reading the interface before setting new keys failed: %s",
			 r->cfg.ifname, strerror(-ret));
		r->check = ret;
	} else {
		routes_first(r, g, n, now);
	}
	for (i = 0; i < n && !ret; i++) {
		const struct pending *p = &g[i];

		if (p->refused)
			continue;
		if (p->owner != HINDEX_NONE && !p->same &&
		    !key_equal(r->slot[p->owner].key, p->q->key)) {
			memset(&ch[m], 0, sizeof(ch[m]));
			ch[m].op = WG_CHANGE_REMOVE;
			memcpy(ch[m++].key, r->slot[p->owner].key, AWG_KEY_LEN);
		}
		memset(&ch[m], 0, sizeof(ch[m]));
		ch[m].op = WG_CHANGE_SET;
		memcpy(ch[m].key, p->q->key, AWG_KEY_LEN);
		memcpy(ch[m++].addr, p->out->addr, 16);
	}
	if (!ret && m) {
		ret = wg_apply(r->cfg.ops, r->cfg.ifname, ch, m);
		sodium_memzero(ch, m * sizeof(*ch));
		if (ret) {
			log_warn("%s: applying %zu peer%s failed: %s", r->cfg.ifname, n,
				 n == 1 ? "" : "s", strerror(-ret));
			r->check = ret;
		}
	}
	for (i = 0; i < n; i++) {
		struct pending *p = &g[i];
		struct reg_answer *out = p->out;

		old[0] = '\0';
		s = p->owner;
		if (p->refused) {
			/* answered by check_new_keys or routes_first; not in the apply */
		} else if (ret) {
			if (p->added)
				route_undo(r, out->addr, p->fresh);
			answer(out, REG_UNAVAILABLE, strerror(-ret));
		} else if (p->same) {
			/* the table already says so */
		} else if (p->confirm) {
			bool same_peer = !strcmp(r->slot[p->owner].name, out->name) &&
					 key_equal(r->slot[p->owner].key, p->q->key);

			log_info("%s: kept peer %s confirmed by its device", out->name,
				 r->slot[p->owner].name);
			if (!key_equal(r->slot[p->owner].key, p->q->key)) {
				out->has_old_key = true;
				memcpy(out->old_key, r->slot[p->owner].key, AWG_KEY_LEN);
			}
			slot_confirm(r, p->owner, out->name, p->q->key, now);
			answer(out, same_peer ? REG_SAME : REG_REPLACED, NULL);
		} else if (p->owner != HINDEX_NONE) {
			key_format(r->slot[p->owner].key, old);
			out->has_old_key = true;
			memcpy(out->old_key, r->slot[p->owner].key, AWG_KEY_LEN);
			slot_rekey(r, p->owner, p->q->key, now);
			answer(out, REG_REPLACED, NULL);
		} else {
			s = slot_take(r, out->name, out->addr, p->q->key, now);
			answer(out, REG_OK, NULL);
		}
		if (!p->refused && !ret && r->cfg.routes)
			route_settle(r, s, p->fresh);
		settle(r, p->q, old, p->refused || ret ? FRESH_NONE : p->fresh, out);
	}
}

void registry_register_many(struct registry *r, const struct reg_request *q, size_t n, int64_t now,
			    struct reg_answer *out)
{
	/* a group is at most REGISTRY_GROUP_MAX: two changes each on the stack */
	struct pending g[REGISTRY_GROUP_MAX];
	struct wg_change ch[2 * REGISTRY_GROUP_MAX];
	size_t i, k, ng = 0, takes = 0;
	bool again, refused;
	uint32_t owner;

	for (i = 0; i < n; i++) {
		/* Checked against the table as it is; when the answer could
		 * depend on a registration of the group, the group goes first
		 * and the check is made again. */
		do {
			memset(&out[i], 0, sizeof(out[i]));
			owner = HINDEX_NONE;
			refused = reg_check(r, q[i].cn, q[i].key, now, &out[i], &owner) != 0;
			again = ng == REGISTRY_GROUP_MAX ||
				(!refused && owner == HINDEX_NONE && takes >= r->n_free);
			for (k = 0; k < ng && !again; k++)
				again = depends(r, &g[k], &q[i], &out[i], owner);
			if (again && ng) {
				commit(r, g, ng, ch, now);
				ng = takes = 0;
			} else {
				again = false;
			}
		} while (again);
		if (refused) {
			settle(r, &q[i], "", FRESH_NONE, &out[i]);
			continue;
		}
		g[ng] = (struct pending){.q = &q[i], .out = &out[i], .owner = owner};
		g[ng].same = out[i].result == REG_SAME;
		g[ng].confirm = owner != HINDEX_NONE && r->adopted[owner];
		takes += owner == HINDEX_NONE;
		ng++;
	}
	commit(r, g, ng, ch, now);
}

void registry_register(struct registry *r, const char *cn, const uint8_t key[AWG_KEY_LEN],
		       int64_t now, struct reg_answer *out)
{
	struct reg_request q = {.cn = cn, .key = key};

	registry_register_many(r, &q, 1, now, out);
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

		if (is_ours(r, p->key) || peer_pool_only(p, &r->cfg.conv->pool))
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

	return !is_ours(r, p->key) && peer_in_pool(p, pool) && !peer_pool_only(p, pool);
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

		if (is_ours(r, peer->key) || !peer_in_pool(peer, pool))
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

void registry_set_up(struct registry *r, bool up)
{
	r->up = up;
}

void registry_set_keep_peers(struct registry *r, bool keep)
{
	r->keep_peers = keep;
}

void registry_set_min_rekey(struct registry *r, uint32_t seconds)
{
	r->min_rekey = seconds;
}

bool registry_up(const struct registry *r)
{
	return r->up;
}

int registry_take_check(struct registry *r)
{
	int c = r->check;

	r->check = 0;
	return c;
}

uint32_t registry_count(const struct registry *r)
{
	return r->count;
}

size_t registry_static_count(const struct registry *r)
{
	return r->st.n_peers;
}
