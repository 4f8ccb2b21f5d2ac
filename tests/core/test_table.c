/* SPDX-License-Identifier: MIT */
/* The shared table: writer and reader agree; a reader survives a hostile
 * mapping; a reader racing a writer never returns a mixed copy. */
#include "../unit.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/table.h"

#define CAP 16

static void *new_table(uint32_t cap, size_t *size)
{
	void *base;

	*size = table_size(cap);
	base = aligned_alloc(64, (*size + 63) / 64 * 64);
	assert_non_null(base);
	table_init(base, *size, cap);
	return base;
}

static struct table_entry entry(const char *name, uint8_t fill)
{
	struct table_entry e;

	memset(&e, 0, sizeof(e));
	e.flags = TABLE_ENTRY_USED;
	snprintf(e.name, sizeof(e.name), "%s", name);
	memset(e.addr, fill, sizeof(e.addr));
	memset(e.key, fill, sizeof(e.key));
	e.created = fill;
	e.last_handshake = fill + 1;
	e.rx_bytes = fill + 2u;
	e.tx_bytes = fill + 3u;
	return e;
}

static void expect_check_fails(const void *base, size_t size, const char *want_why)
{
	const char *why = NULL;

	if (table_check(base, size, &why))
		fail_msg("table_check accepted a mapping that should fail with \"%s\"", want_why);
	assert_string_equal(why, want_why);
}

static void size_formula(void **state)
{
	assert_int_equal(table_size(0), sizeof(struct table_header));
	assert_int_equal(table_size(10),
			 sizeof(struct table_header) + 10 * sizeof(struct table_entry));
	assert_true(table_size(UINT32_MAX) > (size_t)UINT32_MAX);
}

static void init_check(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	const struct table_header *h = base;
	const char *why = NULL;

	assert_true(table_check(base, size, &why));
	assert_int_equal(h->capacity, CAP);
	assert_int_equal(h->entry_size, sizeof(struct table_entry));
	assert_int_equal(h->size, size);
	assert_int_equal(table_high_water(base, size), 0);
	free(base);
}

/* On zeroed memory only the header is written: the entries' pages stay
 * untouched (here: a marker placed where an entry is is left alone). */
static void init_zeroed_writes_only_the_header(void **state)
{
	size_t size = table_size(CAP);
	unsigned char *base = aligned_alloc(64, (size + 63) / 64 * 64);
	struct table_entry e;
	const char *why = NULL;

	memset(base, 0, size);
	base[size - 1] = 0x5a;
	table_init_zeroed(base, size, CAP);
	assert_true(table_check(base, size, &why));
	assert_int_equal(((struct table_header *)base)->capacity, CAP);
	assert_int_equal(base[size - 1], 0x5a);
	base[size - 1] = 0;
	assert_int_equal(table_read_entry(base, size, CAP - 1, &e), TABLE_READ_EMPTY);
	free(base);
}

static void init_clamps_capacity(void **state)
{
	size_t size = table_size(4);
	void *base = aligned_alloc(64, (size + 63) / 64 * 64);
	const char *why = NULL;

	table_init(base, size, 1000);
	assert_int_equal(((struct table_header *)base)->capacity, 4);
	assert_true(table_check(base, size, &why));
	free(base);
}

static void settings_round_trip(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_settings s, got;

	memset(&s, 0, sizeof(s));
	strcpy(s.interface, "wg0");
	strcpy(s.pool, "fde3:25fb:7f6c:1::/64");
	strcpy(s.route, "fde3:25fb:7f6c::/48");
	strcpy(s.endpoint, "vpn.example.com:53092");
	strcpy(s.pubkey, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	strcpy(s.http_prefix, "/");
	strcpy(s.cn_pattern, "([0-9a-zA-Z]+)");
	s.keepalive = 25;
	s.converter = 1;
	s.up = 1;
	s.started = 1700000000;
	s.stats_refreshed = 1700000001;
	table_write_settings(base, &s);
	assert_true(table_read_settings(base, size, &got));
	assert_memory_equal(&s, &got, sizeof(s));
	free(base);
}

static void entry_round_trip(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_entry e = entry("1234", 7), got;

	table_write_entry(base, 3, &e);
	assert_int_equal(table_read_entry(base, size, 3, &got), TABLE_READ_OK);
	assert_string_equal(got.name, "1234");
	assert_memory_equal(got.addr, e.addr, 16);
	assert_memory_equal(got.key, e.key, AWG_KEY_LEN);
	assert_int_equal(got.created, 7);
	assert_int_equal(got.last_handshake, 8);
	assert_int_equal(got.rx_bytes, 9);
	assert_int_equal(got.tx_bytes, 10);
	assert_int_equal(got.seq % 2, 0);
	assert_int_equal(table_read_entry(base, size, 2, &got), TABLE_READ_EMPTY);
	free(base);
}

static void count_and_high_water(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;
	struct table_entry e = entry("a", 1), empty, got;
	uint64_t gen = h->generation;

	memset(&empty, 0, sizeof(empty));
	table_write_entry(base, 0, &e);
	table_write_entry(base, 5, &e);
	assert_int_equal(h->count, 2);
	assert_int_equal(table_high_water(base, size), 6);
	assert_true(h->generation > gen);
	table_write_entry(base, 5, &e); /* rewrite: count unchanged */
	assert_int_equal(h->count, 2);
	table_write_entry(base, 5, &empty);
	assert_int_equal(h->count, 1);
	assert_int_equal(table_high_water(base, size), 1);
	assert_int_equal(table_read_entry(base, size, 5, &got), TABLE_READ_EMPTY);
	table_write_entry(base, 0, &empty);
	assert_int_equal(h->count, 0);
	assert_int_equal(table_high_water(base, size), 0);
	table_write_entry(base, CAP, &e); /* out of range: ignored */
	assert_int_equal(h->count, 0);
	free(base);
}

static void cleared_entry_wiped(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_entry e = entry("secret", 9), empty, got;

	memset(&empty, 0, sizeof(empty));
	table_write_entry(base, 1, &e);
	table_write_entry(base, 1, &empty);
	assert_int_equal(table_read_entry(base, size, 1, &got), TABLE_READ_EMPTY);
	assert_int_equal(got.name[0], 0);
	assert_int_equal(got.key[0], 0);
	free(base);
}

static void out_of_range_index(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_entry got;

	assert_int_equal(table_read_entry(base, size, CAP, &got), TABLE_READ_TORN);
	assert_int_equal(table_read_entry(base, size, UINT32_MAX, &got), TABLE_READ_TORN);
	free(base);
}

static void larger_header_honoured(void **state)
{
	/* A newer writer may grow the header: readers use header_size. */
	size_t size = table_size(CAP) + 64;
	void *base = aligned_alloc(64, (size + 63) / 64 * 64);
	struct table_header *h = base;
	struct table_entry e = entry("x", 3), got;
	const char *why = NULL;

	table_init(base, size, CAP);
	h->header_size += 64;
	assert_true(table_check(base, size, &why));
	table_write_entry(base, CAP - 1, &e);
	assert_int_equal(table_read_entry(base, size, CAP - 1, &got), TABLE_READ_OK);
	assert_string_equal(got.name, "x");
	free(base);
}

/* Hostile mappings: every header field checked against the mapping size. */
static void hostile_small(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_entry got;
	struct table_settings s;

	expect_check_fails(base, sizeof(struct table_header) - 1,
			   "mapping smaller than the table header");
	expect_check_fails(NULL, size, "mapping smaller than the table header");
	expect_check_fails(base, size - 1, "capacity does not fit the mapping");
	assert_int_equal(table_read_entry(base, size - 1, 0, &got), TABLE_READ_TORN);
	assert_false(table_read_settings(base, 10, &s));
	assert_int_equal(table_high_water(base, 10), 0);
	free(base);
}

static void hostile_magic_version(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;

	h->magic ^= 1;
	expect_check_fails(base, size, "bad table magic");
	h->magic ^= 1;
	h->version = TABLE_VERSION + 1;
	expect_check_fails(base, size, "unsupported table version");
	free(base);
}

static void hostile_sizes(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;
	struct table_entry got;

	h->header_size = sizeof(struct table_header) - 8;
	expect_check_fails(base, size, "bad header_size");
	h->header_size = sizeof(struct table_header) + 4;
	expect_check_fails(base, size, "bad header_size");
	h->header_size = UINT32_MAX;
	expect_check_fails(base, size, "bad header_size");
	h->header_size = sizeof(struct table_header);
	h->entry_size = sizeof(struct table_entry) + 8;
	expect_check_fails(base, size, "bad entry_size");
	h->entry_size = 0;
	expect_check_fails(base, size, "bad entry_size");
	h->entry_size = sizeof(struct table_entry);
	h->capacity = UINT32_MAX;
	expect_check_fails(base, size, "capacity does not fit the mapping");
	assert_int_equal(table_read_entry(base, size, 100000, &got), TABLE_READ_TORN);
	h->capacity = CAP + 1;
	expect_check_fails(base, size, "capacity does not fit the mapping");
	h->capacity = CAP;
	h->size = size + 1;
	expect_check_fails(base, size, "size field disagrees with the mapping");
	h->size = size - sizeof(struct table_entry);
	expect_check_fails(base, size, "size field disagrees with the mapping");
	h->size = size;
	h->header_size = sizeof(struct table_header) + 8; /* entries now overrun */
	expect_check_fails(base, size, "capacity does not fit the mapping");
	free(base);
}

static void hostile_misaligned(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	char *copy = aligned_alloc(64, (size + 64 + 63) / 64 * 64);

	memcpy(copy + 4, base, size);
	expect_check_fails(copy + 4, size, "mapping not aligned");
	free(copy);
	free(base);
}

static void hostile_high_water(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;

	h->high_water = UINT32_MAX;
	assert_int_equal(table_high_water(base, size), CAP);
	free(base);
}

static void hostile_odd_seq(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;
	struct table_entry e = entry("a", 1), *slot, got;
	struct table_settings s;

	table_write_entry(base, 0, &e);
	slot = (void *)((char *)base + h->header_size);
	slot->seq |= 1; /* a writer that never finishes */
	assert_int_equal(table_read_entry(base, size, 0, &got), TABLE_READ_TORN);
	h->settings_seq |= 1;
	assert_false(table_read_settings(base, size, &s));
	free(base);
}

static void hostile_unterminated_name(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;
	struct table_entry e = entry("a", 1), *slot, got;

	table_write_entry(base, 0, &e);
	slot = (void *)((char *)base + h->header_size);
	memset(slot->name, 'x', sizeof(slot->name));
	assert_int_equal(table_read_entry(base, size, 0, &got), TABLE_READ_TORN);
	memset(slot->name, 0, sizeof(slot->name));
	assert_int_equal(table_read_entry(base, size, 0, &got), TABLE_READ_TORN); /* empty */
	strcpy(slot->name, "a");
	slot->flags = 0x80000001u;
	assert_int_equal(table_read_entry(base, size, 0, &got), TABLE_READ_TORN); /* flags */
	free(base);
}

static void hostile_unterminated_settings(void **state)
{
	size_t size;
	void *base = new_table(CAP, &size);
	struct table_header *h = base;
	struct table_settings s, good;
	size_t offs[] = {
	    offsetof(struct table_settings, interface),
	    offsetof(struct table_settings, pool),
	    offsetof(struct table_settings, route),
	    offsetof(struct table_settings, endpoint),
	    offsetof(struct table_settings, pubkey),
	    offsetof(struct table_settings, http_prefix),
	    offsetof(struct table_settings, cn_pattern),
	};
	size_t lens[] = {
	    sizeof(s.interface), sizeof(s.pool),	sizeof(s.route),      sizeof(s.endpoint),
	    sizeof(s.pubkey),	 sizeof(s.http_prefix), sizeof(s.cn_pattern),
	};
	size_t i;

	memset(&good, 0, sizeof(good));
	strcpy(good.interface, "wg0");
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		s = good;
		memset((char *)&s + offs[i], 'x', lens[i]);
		table_write_settings(base, &s);
		if (table_read_settings(base, size, &s))
			fail_msg("settings string %zu without NUL accepted", i);
	}
	table_write_settings(base, &good);
	assert_true(table_read_settings(base, size, &s));
	assert_int_equal(h->settings_seq % 2, 0);
	free(base);
}

/* A writer hammers entry 0 and the settings; every field is derived from
 * one counter, so a mixed copy shows. */
struct race {
	void *base;
	size_t size;
	int stop;
	uint32_t written;
};

static struct table_entry race_entry(uint32_t n)
{
	struct table_entry e;

	memset(&e, 0, sizeof(e));
	e.flags = TABLE_ENTRY_USED;
	snprintf(e.name, sizeof(e.name), "n%u", n);
	memset(e.addr, (int)(n & 0xff), sizeof(e.addr));
	memset(e.key, (int)((n >> 8) & 0xff), sizeof(e.key));
	e.created = n;
	e.last_handshake = (int64_t)n * 3;
	e.rx_bytes = (uint64_t)n << 20;
	e.tx_bytes = ~(uint64_t)n;
	return e;
}

static bool race_entry_ok(const struct table_entry *g)
{
	uint32_t n = (uint32_t)g->created;
	struct table_entry want = race_entry(n);

	want.seq = g->seq;
	return !memcmp(&want, g, sizeof(want));
}

static void *writer(void *arg)
{
	struct race *r = arg;
	struct table_settings s;
	uint32_t n;

	memset(&s, 0, sizeof(s));
	for (n = 1; !__atomic_load_n(&r->stop, __ATOMIC_RELAXED); n++) {
		struct table_entry e = race_entry(n);

		table_write_entry(r->base, 0, &e);
		snprintf(s.interface, sizeof(s.interface), "w%u", n % 1000);
		memset(s.pool, 'a' + (int)(n % 26), 20);
		s.keepalive = n % 1000;
		s.started = n % 1000;
		table_write_settings(r->base, &s);
		__atomic_store_n(&r->written, n, __ATOMIC_RELAXED);
		if (n % 64 == 0)
			sched_yield(); /* interleave even on one free core */
	}
	return NULL;
}

static void concurrent_reader(void **state)
{
	struct race r = {.stop = 0};
	pthread_t t;
	struct table_entry first = race_entry(0), got;
	struct table_settings s;
	long ok = 0, torn = 0, sok = 0, changes = 0, i;
	int64_t last = -1;
	time_t deadline = time(NULL) + 3;

	r.base = new_table(CAP, &r.size);
	table_write_entry(r.base, 0, &first);
	assert_int_equal(pthread_create(&t, NULL, writer, &r), 0);
	/* Until 20000 different values were seen, at most 3 seconds. */
	for (i = 0; changes < 20000 && (i % 1024 || time(NULL) < deadline); i++) {
		switch (table_read_entry(r.base, r.size, 0, &got)) {
		case TABLE_READ_OK:
			if (!race_entry_ok(&got)) {
				__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
				pthread_join(t, NULL);
				fail_msg("mixed copy returned as consistent (created=%lld name=%s)",
					 (long long)got.created, got.name);
			}
			ok++;
			changes += got.created != last;
			last = got.created;
			break;
		case TABLE_READ_TORN:
			torn++;
			break;
		case TABLE_READ_EMPTY:
			__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
			pthread_join(t, NULL);
			fail_msg("used entry read as empty");
		}
		if (i % 8 == 0 && table_read_settings(r.base, r.size, &s)) {
			char want[AWG_IFNAME_MAX + 1];

			snprintf(want, sizeof(want), "w%u", s.keepalive);
			if ((s.keepalive || s.interface[0]) &&
			    (strcmp(want, s.interface) || s.started != s.keepalive ||
			     s.pool[0] != s.pool[19])) {
				__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
				pthread_join(t, NULL);
				fail_msg("mixed settings copy (interface %s keepalive %u)",
					 s.interface, s.keepalive);
			}
			sok++;
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	print_message("# %ld consistent entry reads (%ld saw a new value), %ld torn, "
		      "%ld settings reads, %u writes\n",
		      ok, changes, torn, sok, __atomic_load_n(&r.written, __ATOMIC_RELAXED));
	assert_true(changes >= 100); /* the race really happened */
	assert_true(sok > 100);
	free(r.base);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("table: size is header plus capacity entries", size_formula),
	    T("table: init gives a table that checks", init_check),
	    T("table: init on zeroed memory writes only the header",
	      init_zeroed_writes_only_the_header),
	    T("table: init cuts capacity to what fits", init_clamps_capacity),
	    T("table: settings read back as written", settings_round_trip),
	    T("table: an entry reads back as written; unused slots read empty", entry_round_trip),
	    T("table: count and high_water follow writes and clears", count_and_high_water),
	    T("table: a cleared entry keeps nothing of the old one", cleared_entry_wiped),
	    T("table: index at or past capacity is refused", out_of_range_index),
	    T("table: a larger header_size is honoured by reader and writer",
	      larger_header_honoured),
	    T("hostile: mapping smaller than header or entries is refused", hostile_small),
	    T("hostile: bad magic or version is refused", hostile_magic_version),
	    T("hostile: header_size, entry_size, capacity, size out of bounds are refused",
	      hostile_sizes),
	    T("hostile: a misaligned mapping is refused", hostile_misaligned),
	    T("hostile: high_water past capacity is clamped", hostile_high_water),
	    T("hostile: a sequence counter odd forever gives up after retries", hostile_odd_seq),
	    T("hostile: unterminated or empty name, unknown flags read as torn",
	      hostile_unterminated_name),
	    T("hostile: every unterminated settings string is refused",
	      hostile_unterminated_settings),
	    T("seqlock: a reader racing a writer never gets a mixed copy", concurrent_reader),
	};

	return RUN(tests);
}
