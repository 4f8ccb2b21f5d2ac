/* SPDX-License-Identifier: MIT */
/*
 * converter_init and converter_map with an arbitrary kind, pool, template
 * and name. Invariants: an accepted configuration respects the pool limits;
 * an accepted name maps to an address inside the pool, the same address
 * every time; metans ignores case; direct-bcd writes only the last 16 bits.
 */
#include "fuzz.h"
#include "../../core/convert.h"

#include <sodium.h>

#define FUZZ_TEXT_MAX 512 /* longer than any limit, so the limits are reached */

/* Flags byte. */
#define F_KEEP_HOST_BITS 1u /* else the pool's host bits are cleared first */
#define F_NULL_TEMPLATE	 2u

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void clear_host_bits(struct prefix6 *p)
{
	unsigned i;

	for (i = p->len; i < 128; i++)
		p->addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

static void check_map(const struct converter *c, const char *name)
{
	uint8_t out[16], again[16];
	char lower[FUZZ_TEXT_MAX + 1];
	const char *why = NULL;
	size_t i;

	if (!converter_map(c, name, out, &why)) {
		FUZZ_CHECK(why && *why, "refused without a reason");
		return;
	}
	FUZZ_CHECK(prefix6_contains(&c->pool, out), "address outside the pool");
	FUZZ_CHECK(converter_map(c, name, again, &why) && !memcmp(out, again, 16),
		   "second mapping differs");
	if (c->kind == CONVERTER_DIRECT_BCD) {
		FUZZ_CHECK(!memcmp(out, c->pool.addr, 14), "direct-bcd changed more than 16 bits");
		FUZZ_CHECK(strlen(name) >= 1 && strlen(name) <= 4, "direct-bcd name of %zu bytes",
			   strlen(name));
		return;
	}
	for (i = 0; name[i]; i++)
		lower[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a') : name[i];
	lower[i] = '\0';
	FUZZ_CHECK(converter_map(c, lower, again, &why) && !memcmp(out, again, 16),
		   "metans depends on case");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t kind = fuzz_u8(&in) % 3, flags = fuzz_u8(&in);
	struct converter c;
	struct prefix6 pool;
	const char *why = NULL;
	char *template, *name;

	pool.len = fuzz_u8(&in);
	fuzz_bytes(&in, pool.addr, sizeof(pool.addr));
	if (!(flags & F_KEEP_HOST_BITS) && pool.len <= 128)
		clear_host_bits(&pool);
	template = fuzz_str(&in, FUZZ_TEXT_MAX);
	name = fuzz_str(&in, FUZZ_TEXT_MAX);

	if (!converter_init(&c, (enum converter_kind)kind, &pool,
			    flags & F_NULL_TEMPLATE ? NULL : template, &why)) {
		FUZZ_CHECK(why && *why, "configuration refused without a reason");
		goto out;
	}
	FUZZ_CHECK(kind != 2, "unknown kind accepted");
	FUZZ_CHECK(pool.len <= (kind == CONVERTER_DIRECT_BCD ? AWG_BCD_POOL_MAXLEN
							     : AWG_METANS_POOL_MAXLEN),
		   "pool /%u accepted for %s", pool.len, converter_kind_name(c.kind));
	check_map(&c, name);
	/* the template's own text as a name too: '%' and dots in names */
	check_map(&c, template);
out:
	free(template);
	free(name);
	return 0;
}
