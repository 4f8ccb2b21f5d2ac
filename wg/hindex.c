/* SPDX-License-Identifier: MIT */
#include "hindex.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

uint64_t hindex_hash(const uint8_t hkey[HINDEX_KEY_LEN], const void *p, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, p, len, hkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* A power of two at least 1.5 times max: with linear probing a full index
 * is at most two-thirds used, so probe chains stay short (about 2 cells
 * for a hit, 5 for a miss at that load), at 4 bytes a cell. */
static int cells_alloc(uint32_t **cell, uint32_t *mask, size_t max)
{
	size_t n = HINDEX_MIN_CELLS;

	while (n < max + max / 2) {
		if (n > (size_t)UINT32_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	*cell = calloc(n, sizeof(**cell));
	if (!*cell)
		return -ENOMEM;
	*mask = (uint32_t)(n - 1);
	return 0;
}

int bset_init(struct bset *s, size_t item_size, size_t max, const uint8_t hkey[HINDEX_KEY_LEN])
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->hkey = hkey;
	s->item_size = item_size;
	s->max = max;
	ret = cells_alloc(&s->cell, &s->mask, max);
	if (ret)
		return ret;
	s->items = calloc(max ? max : 1, item_size);
	if (!s->items) {
		free(s->cell);
		s->cell = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The cell holding item, or the empty cell where it would go. */
static uint32_t bset_slot(const struct bset *s, const void *item)
{
	uint32_t i = (uint32_t)hindex_hash(s->hkey, item, s->item_size) & s->mask;

	while (s->cell[i]) {
		const uint8_t *have = s->items + (size_t)(s->cell[i] - 1) * s->item_size;

		if (!memcmp(have, item, s->item_size))
			break;
		i = (i + 1) & s->mask;
	}
	return i;
}

int bset_add(struct bset *s, const void *item)
{
	uint32_t i = bset_slot(s, item);

	if (s->cell[i])
		return 0;
	if (s->n >= s->max)
		return -ENOSPC;
	memcpy(s->items + s->n * s->item_size, item, s->item_size);
	s->cell[i] = (uint32_t)++s->n;
	return 0;
}

bool bset_has(const struct bset *s, const void *item)
{
	if (!s->cell)
		return false;
	return s->cell[bset_slot(s, item)] != 0;
}

void bset_free(struct bset *s)
{
	if (s->items)
		sodium_memzero(s->items, s->max * s->item_size);
	free(s->items);
	free(s->cell);
	memset(s, 0, sizeof(*s));
}

int sindex_init(struct sindex *x, size_t max, const struct sindex_ops *ops, const void *ctx)
{
	memset(x, 0, sizeof(*x));
	x->ops = ops;
	x->ctx = ctx;
	return cells_alloc(&x->cell, &x->mask, max);
}

uint32_t sindex_find(const struct sindex *x, const void *key)
{
	uint32_t i = (uint32_t)x->ops->hash_key(x->ctx, key) & x->mask;

	for (; x->cell[i]; i = (i + 1) & x->mask)
		if (x->ops->equal(x->ctx, x->cell[i] - 1, key))
			return x->cell[i] - 1;
	return HINDEX_NONE;
}

void sindex_insert(struct sindex *x, uint32_t rec)
{
	uint32_t i = (uint32_t)x->ops->hash_rec(x->ctx, rec) & x->mask;

	while (x->cell[i])
		i = (i + 1) & x->mask;
	x->cell[i] = rec + 1;
}

/* Backward-shift deletion: no tombstones, so chains never grow with churn. */
void sindex_remove(struct sindex *x, uint32_t rec)
{
	uint32_t i = (uint32_t)x->ops->hash_rec(x->ctx, rec) & x->mask, j, k;

	while (x->cell[i] && x->cell[i] != rec + 1)
		i = (i + 1) & x->mask;
	if (!x->cell[i])
		return;
	for (;;) {
		x->cell[i] = 0;
		j = i;
		for (;;) {
			j = (j + 1) & x->mask;
			if (!x->cell[j])
				return;
			k = (uint32_t)x->ops->hash_rec(x->ctx, x->cell[j] - 1) & x->mask;
			/* leave cell j alone when its home k lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		x->cell[i] = x->cell[j];
		i = j;
	}
}

void sindex_free(struct sindex *x)
{
	free(x->cell);
	x->cell = NULL;
}
