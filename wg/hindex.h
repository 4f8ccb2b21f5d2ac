/* SPDX-License-Identifier: MIT */
/*
 * Hash indexes for the registry: open addressing, linear probing, at most
 * half full, hashed with keyed SipHash (crypto_shorthash) so that chosen
 * names and keys cannot build long probe chains. Lookups cost the same at
 * 100 and at 1,000,000 entries.
 */
#ifndef AUTOWG_HINDEX_H
#define AUTOWG_HINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HINDEX_KEY_LEN	 16 /* crypto_shorthash_KEYBYTES */
#define HINDEX_MIN_CELLS 16
#define HINDEX_NONE	 UINT32_MAX

uint64_t hindex_hash(const uint8_t hkey[HINDEX_KEY_LEN], const void *p, size_t len);

/* A set of fixed-size byte strings, filled once and then only read. */
struct bset {
	const uint8_t *hkey;
	uint8_t *items;
	uint32_t *cell; /* item number + 1, 0 = empty */
	uint32_t mask;
	size_t item_size, n, max;
};

/* Room for max items. 0 or -ENOMEM. */
int bset_init(struct bset *s, size_t item_size, size_t max, const uint8_t hkey[HINDEX_KEY_LEN]);
/* Add (duplicates ignored). 0, or -ENOSPC past max. */
int bset_add(struct bset *s, const void *item);
bool bset_has(const struct bset *s, const void *item);
void bset_free(struct bset *s);

/* An index over records the caller owns (numbered 0..max-1). The caller
 * says how to hash a record and how to compare one with a key. */
struct sindex_ops {
	uint64_t (*hash_rec)(const void *ctx, uint32_t rec);
	uint64_t (*hash_key)(const void *ctx, const void *key);
	bool (*equal)(const void *ctx, uint32_t rec, const void *key);
};

struct sindex {
	const struct sindex_ops *ops;
	const void *ctx;
	uint32_t *cell; /* record + 1, 0 = empty */
	uint32_t mask;
};

int sindex_init(struct sindex *x, size_t max, const struct sindex_ops *ops, const void *ctx);
/* The record holding key, or HINDEX_NONE. */
uint32_t sindex_find(const struct sindex *x, const void *key);
/* rec must not be indexed yet; the index has room for max records. */
void sindex_insert(struct sindex *x, uint32_t rec);
/* Remove rec (indexed, still holding its key). */
void sindex_remove(struct sindex *x, uint32_t rec);
void sindex_free(struct sindex *x);

#endif
