/* SPDX-License-Identifier: MIT */
/*
 * The registry itself: its memory, its indexes over the shared table's
 * entries, and the slots that hold them. What it does with them is in the
 * reg_*.c files: registrations (reg_register.c), syncs with the interface
 * (reg_sync.c), and the passes beside them (registry_priv.h).
 */
#include "registry.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/key.h"
#include "../core/table.h"
#include "fresh.h"
#include "hindex.h"
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
