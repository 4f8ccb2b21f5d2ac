/* SPDX-License-Identifier: MIT */
/*
 * The registration table's seqlock, as in Boehm, "Can seqlocks get along with
 * programming language memory models?": the writer makes the counter odd,
 * issues a release fence, stores the data, then publishes the even counter
 * with a release store; the reader loads the counter with acquire, copies,
 * issues an acquire fence and re-loads the counter. Every access to shared
 * bytes is a relaxed atomic word access, so a torn copy is a retry, never
 * undefined behaviour.
 */
#include "table.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>

#define WORD sizeof(uint32_t)

_Static_assert(sizeof(struct table_entry) % WORD == 0, "entry is whole words");
_Static_assert(sizeof(struct table_settings) % WORD == 0, "settings are whole words");
_Static_assert(offsetof(struct table_entry, seq) == 0, "entry starts with its counter");
_Static_assert(offsetof(struct table_entry, flags) == WORD, "entry data follows its counter");

#define ENTRY_DATA_SIZE (sizeof(struct table_entry) - WORD)

/* What a reader trusts of the header once it has checked it. */
struct layout {
	uint32_t header_size;
	uint32_t capacity;
};

static uint32_t load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Shared side word by word, relaxed atomics; local side through memcpy, so
 * the local struct is never read through a foreign type. */
static void copy_in(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const uint32_t *s = src;
	uint32_t w;
	size_t i;

	for (i = 0; i < n / WORD; i++) {
		w = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
		memcpy(d + i * WORD, &w, WORD);
	}
}

static void copy_out(void *dst, const void *src, size_t n)
{
	uint32_t *d = dst;
	const unsigned char *s = src;
	uint32_t w;
	size_t i;

	for (i = 0; i < n / WORD; i++) {
		memcpy(&w, s + i * WORD, WORD);
		__atomic_store_n(&d[i], w, __ATOMIC_RELAXED);
	}
}

static bool layout_get(const void *base, size_t size, struct layout *l, const char **why)
{
	const struct table_header *h = base;
	uint64_t need, hsize;
	uint32_t entry_size;

	if (!base || size < sizeof(*h)) {
		*why = "mapping smaller than the table header";
		return false;
	}
	if ((uintptr_t)base % _Alignof(struct table_header)) {
		*why = "mapping not aligned";
		return false;
	}
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != TABLE_MAGIC) {
		*why = "bad table magic";
		return false;
	}
	if (load32(&h->version) != TABLE_VERSION) {
		*why = "unsupported table version";
		return false;
	}
	l->header_size = load32(&h->header_size);
	entry_size = load32(&h->entry_size);
	l->capacity = load32(&h->capacity);
	hsize = __atomic_load_n(&h->size, __ATOMIC_RELAXED);
	if (l->header_size < sizeof(*h) || l->header_size % _Alignof(struct table_entry)) {
		*why = "bad header_size";
		return false;
	}
	if (entry_size != sizeof(struct table_entry)) {
		*why = "bad entry_size";
		return false;
	}
	/* 32-bit by 32-bit fits in 64 bits: no overflow. */
	need = (uint64_t)l->capacity * entry_size + l->header_size;
	if (need > (uint64_t)size) {
		*why = "capacity does not fit the mapping";
		return false;
	}
	if (hsize < need || hsize > (uint64_t)size) {
		*why = "size field disagrees with the mapping";
		return false;
	}
	return true;
}

static const struct table_entry *entry_at(const void *base, const struct layout *l, uint32_t i)
{
	return (const void *)((const char *)base + l->header_size +
			      (size_t)i * sizeof(struct table_entry));
}

/* Copy n bytes from src under the seqlock seq; false after
 * TABLE_READ_RETRIES tries that saw a writer. */
static bool seq_read(const uint32_t *seq, void *dst, const void *src, size_t n)
{
	uint32_t s;
	int tries;

	for (tries = 0; tries < TABLE_READ_RETRIES; tries++) {
		s = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (s & 1) {
			sched_yield(); /* let a preempted writer finish */
			continue;
		}
		copy_in(dst, src, n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s)
			return true;
	}
	return false;
}

static void seq_write(uint32_t *seq, void *dst, const void *src, size_t n)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED) | 1;

	__atomic_store_n(seq, s, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	copy_out(dst, src, n);
	__atomic_store_n(seq, s + 1, __ATOMIC_RELEASE);
}

static bool terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

_Static_assert(SIZE_MAX / 2 > (uint64_t)UINT32_MAX * sizeof(struct table_entry),
	       "table_size cannot overflow");

size_t table_size(uint32_t capacity)
{
	return sizeof(struct table_header) + (size_t)capacity * sizeof(struct table_entry);
}

bool table_check(const void *base, size_t size, const char **why)
{
	struct layout l;

	return layout_get(base, size, &l, why);
}

bool table_read_settings(const void *base, size_t size, struct table_settings *out)
{
	const struct table_header *h = base;
	struct layout l;
	const char *why;
	const struct table_settings *s = out;

	if (!layout_get(base, size, &l, &why))
		return false;
	if (!seq_read(&h->settings_seq, out, &h->settings, sizeof(*out)))
		return false;
	return terminated(s->interface, sizeof(s->interface)) &&
	       terminated(s->pool, sizeof(s->pool)) && terminated(s->route, sizeof(s->route)) &&
	       terminated(s->endpoint, sizeof(s->endpoint)) &&
	       terminated(s->pubkey, sizeof(s->pubkey)) &&
	       terminated(s->http_prefix, sizeof(s->http_prefix)) &&
	       terminated(s->cn_pattern, sizeof(s->cn_pattern));
}

enum table_read table_read_entry(const void *base, size_t size, uint32_t i, struct table_entry *out)
{
	const struct table_entry *e;
	struct layout l;
	const char *why;

	if (!layout_get(base, size, &l, &why) || i >= l.capacity)
		return TABLE_READ_TORN;
	e = entry_at(base, &l, i);
	if (!seq_read(&e->seq, out, e, sizeof(*out)))
		return TABLE_READ_TORN;
	if (out->flags & ~TABLE_ENTRY_USED)
		return TABLE_READ_TORN;
	if (!(out->flags & TABLE_ENTRY_USED))
		return TABLE_READ_EMPTY;
	if (!terminated(out->name, sizeof(out->name)) || !out->name[0])
		return TABLE_READ_TORN;
	return TABLE_READ_OK;
}

uint32_t table_high_water(const void *base, size_t size)
{
	const struct table_header *h = base;
	struct layout l;
	const char *why;
	uint32_t hw;

	if (!layout_get(base, size, &l, &why))
		return 0;
	hw = __atomic_load_n(&h->high_water, __ATOMIC_ACQUIRE);
	return hw < l.capacity ? hw : l.capacity;
}

/* A capacity that does not fit in size is cut down to what does. */
static void init(void *base, size_t size, uint32_t capacity, bool zeroed)
{
	struct table_header *h = base;

	if (size < sizeof(*h))
		return;
	if (table_size(capacity) > size)
		capacity = (uint32_t)((size - sizeof(*h)) / sizeof(struct table_entry));
	memset(base, 0, zeroed ? sizeof(*h) : size);
	h->version = TABLE_VERSION;
	h->header_size = sizeof(*h);
	h->entry_size = sizeof(struct table_entry);
	h->capacity = capacity;
	h->size = size;
	__atomic_store_n(&h->magic, TABLE_MAGIC, __ATOMIC_RELEASE);
}

void table_init(void *base, size_t size, uint32_t capacity)
{
	init(base, size, capacity, false);
}

void table_init_zeroed(void *base, size_t size, uint32_t capacity)
{
	init(base, size, capacity, true);
}

static void bump_generation(struct table_header *h)
{
	__atomic_store_n(&h->generation, h->generation + 1, __ATOMIC_RELEASE);
}

void table_write_settings(void *base, const struct table_settings *s)
{
	struct table_header *h = base;

	seq_write(&h->settings_seq, &h->settings, s, sizeof(*s));
	bump_generation(h);
}

static struct table_entry *entry_rw(void *base, uint32_t i)
{
	struct table_header *h = base;

	return (void *)((char *)base + h->header_size + (size_t)i * sizeof(struct table_entry));
}

const struct table_entry *table_entries(const void *base)
{
	const struct table_header *h = base;

	return (const void *)((const char *)base + h->header_size);
}

void table_write_entry(void *base, uint32_t i, const struct table_entry *e)
{
	struct table_header *h = base;
	struct table_entry *slot, copy;
	bool was_used, now_used = e->flags & TABLE_ENTRY_USED;
	uint32_t hw;

	if (i >= h->capacity)
		return;
	slot = entry_rw(base, i);
	was_used = slot->flags & TABLE_ENTRY_USED;
	memset(&copy, 0, sizeof(copy));
	if (now_used)
		copy = *e;
	copy.flags = now_used ? TABLE_ENTRY_USED : 0;
	seq_write(&slot->seq, &slot->flags, &copy.flags, ENTRY_DATA_SIZE);

	if (now_used != was_used)
		__atomic_store_n(&h->count, h->count + (now_used ? 1 : -1u), __ATOMIC_RELAXED);
	hw = h->high_water;
	if (now_used && i >= hw)
		hw = i + 1;
	while (hw > 0 && !(entry_rw(base, hw - 1)->flags & TABLE_ENTRY_USED))
		hw--;
	__atomic_store_n(&h->high_water, hw, __ATOMIC_RELEASE);
	bump_generation(h);
}

uint32_t table_capacity(const void *base, size_t size)
{
	struct layout l;
	const char *why;

	return layout_get(base, size, &l, &why) ? l.capacity : 0;
}

bool table_read_counters(const void *base, size_t size, struct table_counters *out)
{
	const struct table_header *h = base;
	struct layout l;
	const char *why;
	size_t i;

	if (!layout_get(base, size, &l, &why))
		return false;
	for (i = 0; i < TABLE_REG_COUNTERS; i++)
		out->registrations[i] =
		    __atomic_load_n(&h->counters.registrations[i], __ATOMIC_RELAXED);
	out->expired = __atomic_load_n(&h->counters.expired, __ATOMIC_RELAXED);
	out->adopted = __atomic_load_n(&h->counters.adopted, __ATOMIC_RELAXED);
	out->routes = __atomic_load_n(&h->counters.routes, __ATOMIC_RELAXED);
	out->moved = __atomic_load_n(&h->counters.moved, __ATOMIC_RELAXED);
	return true;
}

/* The helper is the only writer: load, add, store; readers see either. */
static void counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

void table_count_registration(void *base, uint32_t result)
{
	struct table_header *h = base;

	if (result < TABLE_REG_COUNTERS)
		counter_add(&h->counters.registrations[result], 1);
}

void table_count_expired(void *base, uint32_t n)
{
	counter_add(&((struct table_header *)base)->counters.expired, n);
}

void table_count_adopted(void *base, uint32_t n)
{
	counter_add(&((struct table_header *)base)->counters.adopted, n);
}

void table_count_moved(void *base, uint32_t n)
{
	counter_add(&((struct table_header *)base)->counters.moved, n);
}

void table_set_routes(void *base, uint64_t n)
{
	__atomic_store_n(&((struct table_header *)base)->counters.routes, n, __ATOMIC_RELAXED);
}
