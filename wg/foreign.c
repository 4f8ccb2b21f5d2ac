/* SPDX-License-Identifier: MIT */
#include "foreign.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fresh.h"

#define FOREIGN_MIN_RECS 64

struct foreign_rec {
	uint8_t addr[16];
	uint32_t fresh[FOREIGN_PER_ADDR]; /* FRESH_NONE = unused, in no order */
};

struct foreign {
	uint8_t hkey[HINDEX_KEY_LEN];
	struct foreign_rec *rec; /* [0, n) in use, packed */
	size_t n, cap;
	struct sindex idx; /* over rec, room for cap */
};

static uint64_t rec_hash(const void *ctx, uint32_t i)
{
	const struct foreign *f = ctx;

	return hindex_hash(f->hkey, f->rec[i].addr, 16);
}
static uint64_t key_hash(const void *ctx, const void *key)
{
	return hindex_hash(((const struct foreign *)ctx)->hkey, key, 16);
}
static bool rec_eq(const void *ctx, uint32_t i, const void *key)
{
	return !memcmp(((const struct foreign *)ctx)->rec[i].addr, key, 16);
}

static const struct sindex_ops foreign_ops = {rec_hash, key_hash, rec_eq};

int foreign_new(struct foreign **out)
{
	struct foreign *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f || sodium_init() < 0)
		goto fail;
	randombytes_buf(f->hkey, sizeof(f->hkey));
	f->cap = FOREIGN_MIN_RECS;
	f->rec = calloc(f->cap, sizeof(*f->rec));
	if (!f->rec || sindex_init(&f->idx, f->cap, &foreign_ops, f))
		goto fail;
	*out = f;
	return 0;
fail:
	foreign_free(f);
	return -ENOMEM;
}

void foreign_free(struct foreign *f)
{
	if (!f)
		return;
	sindex_free(&f->idx);
	free(f->rec);
	free(f);
}

/* Twice the records, and an index rebuilt for them. */
static int grow(struct foreign *f)
{
	size_t cap = f->cap * 2 < FOREIGN_ADDRS_MAX ? f->cap * 2 : FOREIGN_ADDRS_MAX;
	struct foreign_rec *rec = reallocarray(f->rec, cap, sizeof(*rec));
	struct sindex idx;
	size_t i;

	if (!rec)
		return -ENOMEM;
	f->rec = rec;
	if (sindex_init(&idx, cap, &foreign_ops, f))
		return -ENOMEM;
	sindex_free(&f->idx);
	f->idx = idx;
	f->cap = cap;
	for (i = 0; i < f->n; i++)
		sindex_insert(&f->idx, (uint32_t)i);
	return 0;
}

int foreign_add(struct foreign *f, const uint8_t addr[16], uint32_t fresh)
{
	uint32_t i = sindex_find(&f->idx, addr);
	struct foreign_rec *r;
	unsigned k, low = 0;
	int ret;

	if (fresh == FRESH_NONE)
		return 0;
	if (i == HINDEX_NONE) {
		if (f->n >= FOREIGN_ADDRS_MAX)
			return -ENOSPC;
		if (f->n == f->cap && (ret = grow(f)))
			return ret;
		i = (uint32_t)f->n++;
		memset(&f->rec[i], 0, sizeof(f->rec[i]));
		memcpy(f->rec[i].addr, addr, 16);
		sindex_insert(&f->idx, i);
	}
	r = &f->rec[i];
	for (k = 0; k < FOREIGN_PER_ADDR; k++) {
		if (r->fresh[k] == fresh)
			return 0;
		if (r->fresh[k] < r->fresh[low])
			low = k;
	}
	/* an unused place is FRESH_NONE, the lowest of all */
	if (fresh > r->fresh[low])
		r->fresh[low] = fresh;
	return 0;
}

void foreign_del(struct foreign *f, const uint8_t addr[16], uint32_t fresh)
{
	uint32_t i = sindex_find(&f->idx, addr), last;
	struct foreign_rec *r;
	unsigned k, used = 0;

	if (i == HINDEX_NONE || fresh == FRESH_NONE)
		return;
	r = &f->rec[i];
	for (k = 0; k < FOREIGN_PER_ADDR; k++) {
		if (r->fresh[k] == fresh)
			r->fresh[k] = FRESH_NONE;
		used += r->fresh[k] != FRESH_NONE;
	}
	if (used)
		return;
	/* the last record fills the hole, so [0, n) stays packed */
	last = (uint32_t)(f->n - 1);
	sindex_remove(&f->idx, i);
	if (i != last) {
		sindex_remove(&f->idx, last);
		f->rec[i] = f->rec[last];
		sindex_insert(&f->idx, i);
	}
	f->n--;
}

uint32_t foreign_best(const struct foreign *f, const uint8_t addr[16])
{
	uint32_t i = sindex_find(&f->idx, addr), best = FRESH_NONE;
	unsigned k;

	if (i == HINDEX_NONE)
		return FRESH_NONE;
	for (k = 0; k < FOREIGN_PER_ADDR; k++)
		if (f->rec[i].fresh[k] > best)
			best = f->rec[i].fresh[k];
	return best;
}

bool foreign_has(const struct foreign *f, const uint8_t addr[16], uint32_t fresh)
{
	uint32_t i = sindex_find(&f->idx, addr);
	unsigned k;

	if (i == HINDEX_NONE || fresh == FRESH_NONE)
		return false;
	for (k = 0; k < FOREIGN_PER_ADDR; k++)
		if (f->rec[i].fresh[k] == fresh)
			return true;
	return false;
}

size_t foreign_count(const struct foreign *f)
{
	return f->n;
}
