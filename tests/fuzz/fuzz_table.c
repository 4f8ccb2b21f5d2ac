/* SPDX-License-Identifier: MIT */
/*
 * The reader side of the shared table over a hostile mapping: arbitrary
 * bytes of an arbitrary size, or a real table_init image with arbitrary
 * bytes patched in. The mapping is an exact-size heap block, so any read
 * outside it is an ASan report. Invariants: what the reader accepts is
 * well-formed (strings terminated, high_water <= capacity, an index past
 * capacity is never read), and an unpatched image reads back as written.
 */
#include "fuzz.h"
#include "../../core/table.h"

#define FUZZ_TABLE_CAP_MAX   64	 /* entries in a built image */
#define FUZZ_TABLE_READS_MAX 256 /* entries read per input */
#define FUZZ_TABLE_PATCH_MAX 64

/* Mode byte: bit 0 clear = the rest is the mapping as it is; set = build. */
#define MODE_BUILD 1u

struct built {
	uint32_t cap, written;
	struct table_entry e[2];
	struct table_settings s;
	unsigned patches;
};

static void build(struct fuzz_in *in, uint8_t *map, size_t size, struct built *b)
{
	unsigned i;

	table_init(map, size, b->cap);
	fuzz_bytes(in, &b->s, sizeof(b->s));
	table_write_settings(map, &b->s);
	for (i = 0; i < 2 && i < b->cap; i++) {
		memset(&b->e[i], 0, sizeof(b->e[i]));
		b->e[i].flags = TABLE_ENTRY_USED;
		fuzz_bytes(in, b->e[i].name, sizeof(b->e[i].name) - 1);
		if (!b->e[i].name[0])
			b->e[i].name[0] = 'x';
		fuzz_bytes(in, b->e[i].addr, sizeof(b->e[i].addr));
		b->e[i].created = (int64_t)fuzz_u16(in) << 20;
		b->e[i].rx_bytes = fuzz_u16(in);
		table_write_entry(map, b->cap - 1 - i, &b->e[i]);
		b->written++;
	}
	/* then the hostile part: (offset, byte) patches anywhere */
	for (b->patches = 0; in->left >= 3 && b->patches < FUZZ_TABLE_PATCH_MAX; b->patches++) {
		size_t off = fuzz_u16(in);
		uint8_t v = fuzz_u8(in);

		map[off % size] ^= v ? v : 0xff;
	}
}

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_settings(const struct table_settings *s)
{
	FUZZ_CHECK(terminated(s->interface, sizeof(s->interface)) &&
		       terminated(s->pool, sizeof(s->pool)) &&
		       terminated(s->route, sizeof(s->route)) &&
		       terminated(s->endpoint, sizeof(s->endpoint)) &&
		       terminated(s->pubkey, sizeof(s->pubkey)) &&
		       terminated(s->http_prefix, sizeof(s->http_prefix)) &&
		       terminated(s->cn_pattern, sizeof(s->cn_pattern)),
		   "accepted settings with an unterminated string");
}

static void read_all(const uint8_t *map, size_t size, uint32_t extra, const struct built *b)
{
	const struct table_header *h = (const void *)map;
	struct table_settings s;
	struct table_counters c;
	struct table_entry e;
	const char *why = NULL;
	enum table_read r;
	uint32_t cap, hw, i;
	bool ok = table_check(map, size, &why);

	FUZZ_CHECK(ok || (why && *why), "refused without a reason");
	if (table_read_settings(map, size, &s)) {
		FUZZ_CHECK(ok, "settings read from a table table_check refuses");
		check_settings(&s);
	}
	hw = table_high_water(map, size);
	if (table_read_counters(map, size, &c))
		FUZZ_CHECK(ok, "counters read from a table table_check refuses");
	if (!ok) {
		FUZZ_CHECK(hw == 0, "high_water %u from a refused table", hw);
		FUZZ_CHECK(table_capacity(map, size) == 0, "capacity from a refused table");
		FUZZ_CHECK(table_read_entry(map, size, 0, &e) == TABLE_READ_TORN,
			   "entry read from a refused table");
		return;
	}
	cap = h->capacity; /* trusted now: table_check said it fits */
	FUZZ_CHECK(table_capacity(map, size) == cap, "table_capacity disagrees with the header");
	FUZZ_CHECK(hw <= cap, "high_water %u > capacity %u", hw, cap);
	for (i = 0; i < cap && i < FUZZ_TABLE_READS_MAX; i++) {
		r = table_read_entry(map, size, i, &e);
		if (r == TABLE_READ_OK)
			FUZZ_CHECK(terminated(e.name, sizeof(e.name)) && e.name[0],
				   "entry %u: bad name accepted", i);
		if (b && !b->patches && i >= cap - b->written) {
			const struct table_entry *want = &b->e[cap - 1 - i];

			FUZZ_CHECK(r == TABLE_READ_OK, "written entry %u reads as %d", i, r);
			FUZZ_CHECK(!strcmp(e.name, want->name) &&
				       !memcmp(e.addr, want->addr, sizeof(e.addr)) &&
				       e.created == want->created && e.rx_bytes == want->rx_bytes,
				   "entry %u reads back different", i);
		}
	}
	if (cap)
		table_read_entry(map, size, cap - 1, &e);
	FUZZ_CHECK(table_read_entry(map, size, cap, &e) == TABLE_READ_TORN,
		   "entry at capacity read");
	if (extra >= cap)
		FUZZ_CHECK(table_read_entry(map, size, extra, &e) == TABLE_READ_TORN,
			   "entry %u past capacity %u read", extra, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in), *map;
	uint32_t extra = (uint32_t)fuzz_u16(&in) << 16 | fuzz_u16(&in);
	struct built b;
	size_t msize;
	uint8_t grow, shrink;

	if (!(mode & MODE_BUILD)) {
		msize = in.left;
		map = malloc(msize ? msize : 1);
		if (!map)
			abort();
		memcpy(map, in.p, msize);
		read_all(map, msize, extra, NULL);
		free(map);
		return 0;
	}
	memset(&b, 0, sizeof(b));
	b.cap = fuzz_u8(&in) % (FUZZ_TABLE_CAP_MAX + 1);
	/* the mapping: the table's size give or take up to 255 bytes */
	grow = fuzz_u8(&in);
	shrink = fuzz_u8(&in);
	msize = table_size(b.cap) + grow;
	msize = msize > shrink ? msize - shrink : 0;
	if (msize < sizeof(struct table_header)) {
		/* table_init refuses to write there; read what is there */
		map = calloc(1, msize ? msize : 1);
		if (!map)
			abort();
		read_all(map, msize, extra, NULL);
		free(map);
		return 0;
	}
	map = malloc(msize);
	if (!map)
		abort();
	if (table_size(b.cap) > msize) /* table_init cuts capacity to fit */
		b.cap =
		    (uint32_t)((msize - sizeof(struct table_header)) / sizeof(struct table_entry));
	build(&in, map, msize, &b);
	read_all(map, msize, extra, &b);
	free(map);
	return 0;
}
