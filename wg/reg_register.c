/* SPDX-License-Identifier: MIT */
/*
 * Registrations: each checked in the documented order against the table,
 * the static peers and the interface, then applied to the interface in as
 * few transactions as the order allows, and only then written to the table,
 * counted and logged.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/key.h"
#include "../core/map.h"
#include "../core/table.h"
#include "../core/text.h"
#include "fresh.h"
#include "log.h"
#include "registry_priv.h"

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

/* answer(), for reg_check: 1, the request is refused. */
static uint32_t refuse(struct reg_answer *out, uint32_t result, const char *why)
{
	answer(out, result, why);
	return 1;
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
		return refuse(out, REG_UNAVAILABLE, NULL);
	step = map_cn(r->cfg.pattern, r->cfg.conv, cn, out->name, out->addr, &why);
	if (step != MAP_OK)
		return refuse(out, step == MAP_BAD_CN ? REG_BAD_CN : REG_BAD_NAME, why);
	if (key_is_zero(key))
		return refuse(out, REG_BAD_KEY, "the all-zero key");
	if (r->has_iface_key && key_equal(key, r->iface_key))
		return refuse(out, REG_KEY_IFACE, NULL);
	if (statics_has_key(&r->st, key))
		return refuse(out, REG_KEY_STATIC, NULL);
	s = sindex_find(&r->by_key, key);
	/* setting the peer again would take the address back from whoever the
	 * operator gave it to since: refused like a new device would be */
	if (s != HINDEX_NONE && !strcmp(r->slot[s].name, out->name) &&
	    bset_has(&r->iface_addrs, out->addr))
		return refuse(out, REG_ADDR_IFACE, NULL);
	if (s != HINDEX_NONE && !strcmp(r->slot[s].name, out->name) &&
	    statics_cover(&r->st, out->addr))
		return refuse(out, REG_ADDR_STATIC, NULL);
	if (s != HINDEX_NONE && r->adopted[s] && !memcmp(r->slot[s].addr, out->addr, 16)) {
		/* the device of a kept peer, back with the same key */
		*owner = s;
		return 0;
	}
	if (s != HINDEX_NONE) {
		if (strcmp(r->slot[s].name, out->name))
			return refuse(out, REG_KEY_TAKEN, NULL);
		/* set again all the same: a device re-registers when its
		 * handshake went stale, and an operator may have removed it */
		*owner = s;
		answer(out, REG_SAME, NULL);
		return 0;
	}
	if (bset_has(&r->iface_addrs, out->addr))
		return refuse(out, REG_ADDR_IFACE, NULL);
	if (statics_cover(&r->st, out->addr))
		return refuse(out, REG_ADDR_STATIC, NULL);
	s = sindex_find(&r->by_addr, out->addr);
	if (s != HINDEX_NONE && r->adopted[s]) {
		*owner = s; /* a kept peer stands in for whoever maps here */
		return 0;
	}
	if (s != HINDEX_NONE && strcmp(r->slot[s].name, out->name))
		return refuse(out, REG_ADDR_TAKEN, r->slot[s].name);
	*owner = sindex_find(&r->by_name, out->name);
	if (*owner == HINDEX_NONE && !r->n_free)
		return refuse(out, REG_FULL, NULL);
	if (*owner != HINDEX_NONE && (out->retry_after = rekey_wait(r, *owner, now))) {
		snprintf(wait, sizeof(wait), "retry in %u s", out->retry_after);
		return refuse(out, REG_RATE_LIMITED, wait);
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
		if (!registry_is_ours(r, g[i].q->key))
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
