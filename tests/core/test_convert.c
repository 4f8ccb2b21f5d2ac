/* SPDX-License-Identifier: MIT */
/* Converters: the vectors in tests/vectors (read at run time and held here), and more
 * cases whose metans answers were computed with `b2sum -l 128`, never with
 * this code. */
#include "../unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/convert.h"

struct vec {
	const char *pool, *template, *name, *want; /* want NULL: refused */
};

static void init_or_fail(struct converter *c, enum converter_kind kind, const char *pool,
			 const char *template)
{
	struct prefix6 p;
	const char *why = NULL;

	if (!prefix6_parse(pool, &p, &why))
		fail_msg("pool %s: %s", pool, why);
	if (!converter_init(c, kind, &p, template, &why))
		fail_msg("converter_init(%s, %s): %s", pool, template ? template : "NULL", why);
}

/* "" when the case passes, else what went wrong, in msg. */
static bool run_case(enum converter_kind kind, const struct vec *v, char *msg, size_t n)
{
	struct converter c;
	struct prefix6 p;
	uint8_t addr[16];
	char text[AWG_ADDR_TEXT_MAX + 1];
	const char *why = NULL;

	if (!prefix6_parse(v->pool, &p, &why) || !converter_init(&c, kind, &p, v->template, &why)) {
		if (!v->want) /* a pool the converter cannot use is a refusal too */
			return true;
		snprintf(msg, n, "%s: config refused: %s", v->pool, why);
		return false;
	}
	if (!converter_map(&c, v->name, addr, &why)) {
		if (!v->want)
			return true;
		snprintf(msg, n, "%s %s \"%s\": refused (%s), want %s", v->pool,
			 v->template ? v->template : "", v->name, why, v->want);
		return false;
	}
	addr6_format(addr, text);
	if (v->want && !strcmp(text, v->want))
		return true;
	snprintf(msg, n, "%s %s \"%s\": got %s, want %s", v->pool, v->template ? v->template : "",
		 v->name, text, v->want ? v->want : "a refusal");
	return false;
}

static void check_case(enum converter_kind kind, const struct vec *v)
{
	char msg[512];

	if (!run_case(kind, v, msg, sizeof(msg)))
		fail_msg("%s", msg);
}

/* The .tsv files in tests/vectors, read at run time: every case must pass. */
static const char *vectors_dir(char *buf, size_t n)
{
	const char *top = getenv("TOP");

	snprintf(buf, n, "%s/tests/vectors", top ? top : ".");
	return buf;
}

static int run_tsv(const char *file, enum converter_kind kind)
{
	char dir[512], path[600], line[1024], msg[512];
	int cases = 0, failed = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", vectors_dir(dir, sizeof(dir)), file);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: the vectors must be there", path);
	while (fgets(line, sizeof(line), f)) {
		char *fld[4] = {0}, *save = NULL, *tok;
		int nf = 0;
		struct vec v;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		for (tok = strtok_r(line, "\t", &save); tok && nf < 4;
		     tok = strtok_r(NULL, "\t", &save))
			fld[nf++] = tok;
		if (nf != (kind == CONVERTER_METANS ? 4 : 3)) {
			print_error("%s: malformed line\n", path);
			failed++;
			continue;
		}
		v.pool = fld[0];
		v.template = kind == CONVERTER_METANS ? fld[1] : NULL;
		v.name = fld[nf - 2];
		v.want = strcmp(fld[nf - 1], "error") ? fld[nf - 1] : NULL;
		cases++;
		if (!run_case(kind, &v, msg, sizeof(msg))) {
			print_error("%s: %s\n", file, msg);
			failed++;
		}
	}
	fclose(f);
	if (failed)
		fail_msg("%d of %d cases in %s failed", failed, cases, file);
	return cases;
}

static void shared_bcd_tsv(void **state)
{
	assert_true(run_tsv("direct-bcd.tsv", CONVERTER_DIRECT_BCD) >= 8);
}

static void shared_metans_tsv(void **state)
{
	assert_true(run_tsv("metans.tsv", CONVERTER_METANS) >= 10);
}

/* The same vectors, held here. */
static const struct vec bcd_vectors[] = {
    {"fde3:25fb:7f6c:1::/64", NULL, "1234", "fde3:25fb:7f6c:1::1234"},
    {"fde3:25fb:7f6c:1::/64", NULL, "0", "fde3:25fb:7f6c:1::"},
    {"fde3:25fb:7f6c:1::/64", NULL, "9999", "fde3:25fb:7f6c:1::9999"},
    {"fde3:25fb:7f6c:1::/64", NULL, "0042", "fde3:25fb:7f6c:1::42"},
    {"fde3:25fb:7f6c:1::/64", NULL, "10000", NULL},
    {"fde3:25fb:7f6c:1::/64", NULL, "12a", NULL},
    {"fd00:1:2:3:4:5:6:0/112", NULL, "77", "fd00:1:2:3:4:5:6:77"},
    {"fd00:1:2:3:4:5:6:0/120", NULL, "77", NULL},
};

static const struct vec metans_vectors[] = {
    {"fde3:25fb:7f6c:1::/64", "st%s.0", "1234", "fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad"},
    {"2001:db8::/48", "%s", "hello-world-1", "2001:db8:0:2888:42b3:2cd1:9221:10ac"},
    {"2001:db8::/48", "%s", "hello-world-2", "2001:db8:0:f44e:cb9d:7024:5a18:e1df"},
    {"2001:db8::/64", "%s.foo", "hello-world-1", "2001:db8::1623:7f0a:5a31:a26"},
    {"fde3:25fb:7f6c:1::/64", "%s", "Device-7", "fde3:25fb:7f6c:1:5650:6dc9:a6f8:c3bd"},
    {"fde3:25fb:7f6c:1::/64", "%s", "device-7", "fde3:25fb:7f6c:1:5650:6dc9:a6f8:c3bd"},
    {"fd00:1::/96", "%s.0", "x", "fd00:1::b38f:2c44"},
    {"fde3:25fb:7f6c:1::/64", "%s", "bad_label", NULL},
    {"fde3:25fb:7f6c:1::/64", "%s", "-lead", NULL},
    {"fde3:25fb:7f6c:1::/64", "%s",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
};

static void bcd_vector(void **state)
{
	check_case(CONVERTER_DIRECT_BCD, *state);
}

static void metans_vector(void **state)
{
	check_case(CONVERTER_METANS, *state);
}

/* Our own metans cases: expected values from `b2sum -l 128` over the labels
 * in reverse order joined by NUL, the low (128 - len) digest bits ORed into
 * the pool (see tests/smoke/addr.sh for the same computation in shell). */
static const struct vec metans_own[] = {
    {"2001:db8::/48", "%s.0", "1234", "2001:db8:0:a544:8d67:d4b8:edc0:5c97"},
    {"2001:db8::/48", "st%s.0", "1234", "2001:db8:0:1615:cb0b:5960:3f8c:99ad"},
    {"2001:db8:1:200::/56", "%s", "hello-world-1", "2001:db8:1:288:42b3:2cd1:9221:10ac"},
    {"fd00:1:2:3:4:5::/96", "%s.0", "x", "fd00:1:2:3:4:5:b38f:2c44"},
    {"fd00:1:2:3:4:5:6:0/112", "%s", "a", "fd00:1:2:3:4:5:6:497e"},
    {"fd00:1:2:3:4:5:6:700/120", "%s", "a", "fd00:1:2:3:4:5:6:77e"},
    {"fd00:1:2:3:4:5:6:700/120", "st%s.0", "1234", "fd00:1:2:3:4:5:6:7ad"},
    {"2001:db8:0:8::/61", "%s", "device-7", "2001:db8:0:a:5650:6dc9:a6f8:c3bd"},
    {"::/0", "%s", "device-7", "5777:45e2:87eb:31d2:5650:6dc9:a6f8:c3bd"},
    {"fd00::/100", "%s", "a", "fd00::e46:497e"},
    {"fde3:25fb:7f6c:1::/64", "%s", "b.a", "fde3:25fb:7f6c:1:dccb:e7c:1b53:d92f"},
    {"fde3:25fb:7f6c:1::/64", "%s.a", "b", "fde3:25fb:7f6c:1:dccb:e7c:1b53:d92f"},
    {"fde3:25fb:7f6c:1::/64", "%s.fleet.example.com", "dev-1",
     "fde3:25fb:7f6c:1:4730:ddb6:dd54:e8d0"},
    {"fde3:25fb:7f6c:1::/64", "%s.FLEET.Example.COM", "DEV-1",
     "fde3:25fb:7f6c:1:4730:ddb6:dd54:e8d0"},
    {"fde3:25fb:7f6c:1::/64", "%s", "0", "fde3:25fb:7f6c:1:e659:7a65:3a88:f56c"},
    {"fde3:25fb:7f6c:1::/64", "%s", "a-b", "fde3:25fb:7f6c:1:8534:6b17:aa65:f794"},
    {"fde3:25fb:7f6c:1::/64", "%s",
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
     "fde3:25fb:7f6c:1:8170:7dde:e53e:4451"},
};

static void metans_own_case(void **state)
{
	check_case(CONVERTER_METANS, *state);
}

static void expect_map_refused(enum converter_kind kind, const char *pool, const char *template,
			       const char *name, const char *want_why)
{
	struct converter c;
	uint8_t addr[16];
	const char *why = NULL;

	init_or_fail(&c, kind, pool, template);
	if (converter_map(&c, name, addr, &why))
		fail_msg("\"%s\" was mapped, want refusal \"%s\"", name, want_why);
	assert_string_equal(why, want_why);
}

static void expect_init_refused(enum converter_kind kind, const char *pool, const char *template,
				const char *want_why)
{
	struct converter c;
	struct prefix6 p;
	const char *why = NULL;

	assert_true(prefix6_parse(pool, &p, &why));
	if (converter_init(&c, kind, &p, template, &why))
		fail_msg("pool %s template %s accepted, want \"%s\"", pool, template, want_why);
	assert_string_equal(why, want_why);
}

static void expect_map(enum converter_kind kind, const char *pool, const char *template,
		       const char *name, const char *want)
{
	struct vec v = {pool, template, name, want};

	check_case(kind, &v);
}

#define BCD_POOL "fde3:25fb:7f6c:1::/64"
#define DIGITS	 "direct-bcd name has a character other than 0-9"

static void kind_names(void **state)
{
	enum converter_kind k;

	assert_true(converter_kind_parse("direct-bcd", &k));
	assert_int_equal(k, CONVERTER_DIRECT_BCD);
	assert_true(converter_kind_parse("metans", &k));
	assert_int_equal(k, CONVERTER_METANS);
	assert_string_equal(converter_kind_name(CONVERTER_DIRECT_BCD), "direct-bcd");
	assert_string_equal(converter_kind_name(CONVERTER_METANS), "metans");
	assert_null(converter_kind_name((enum converter_kind)7));
}

static void kind_unknown(void **state)
{
	enum converter_kind k;

	assert_false(converter_kind_parse("", &k));
	assert_false(converter_kind_parse("Metans", &k));
	assert_false(converter_kind_parse("direct_bcd", &k));
	assert_false(converter_kind_parse("bcd", &k));
}

static void bcd_zero_is_pool(void **state)
{
	expect_map(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "0", "fde3:25fb:7f6c:1::");
	expect_map(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "0000", "fde3:25fb:7f6c:1::");
}

static void bcd_leading_zeros(void **state)
{
	expect_map(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "0042", "fde3:25fb:7f6c:1::42");
	expect_map(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "042", "fde3:25fb:7f6c:1::42");
	expect_map(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "0007", "fde3:25fb:7f6c:1::7");
	expect_map(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "1000", "fde3:25fb:7f6c:1::1000");
}

static void bcd_pool_sizes(void **state)
{
	expect_map(CONVERTER_DIRECT_BCD, "2001:db8::/48", NULL, "1234", "2001:db8::1234");
	expect_map(CONVERTER_DIRECT_BCD, "2001:db8:0:100::/56", NULL, "1", "2001:db8:0:100::1");
	expect_map(CONVERTER_DIRECT_BCD, "fd00:1:2:3:4:5::/96", NULL, "9999",
		   "fd00:1:2:3:4:5:0:9999");
	expect_map(CONVERTER_DIRECT_BCD, "fd00:1:2:3:4:5:6:0/112", NULL, "5", "fd00:1:2:3:4:5:6:5");
	expect_map(CONVERTER_DIRECT_BCD, "::/0", NULL, "12", "::12");
}

static void bcd_too_long(void **state)
{
	expect_map_refused(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "10000",
			   "direct-bcd name longer than 4 digits");
	expect_map_refused(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "00001",
			   "direct-bcd name longer than 4 digits");
}

static void bcd_empty(void **state)
{
	expect_map_refused(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, "", "empty name");
}

static void bcd_not_digits(void **state)
{
	static const char *const bad[] = {
	    "12a",	    "+1",  "-1",  " 1", "1 ",
	    "1_2",	    "0x1", "1.5", "a",	"\xd9\xa1", /* ARABIC-INDIC DIGIT ONE */
	    "\xef\xbc\x91",				    /* FULLWIDTH DIGIT ONE */
	    "1\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_map_refused(CONVERTER_DIRECT_BCD, BCD_POOL, NULL, bad[i], DIGITS);
}

static void bcd_pool_too_small(void **state)
{
	static const char *const pools[] = {"fd00::/113", "fd00::/120", "fd00::/128"};
	size_t i;

	for (i = 0; i < 3; i++)
		expect_init_refused(CONVERTER_DIRECT_BCD, pools[i], NULL,
				    "pool too small for direct-bcd (needs /112 or shorter)");
}

static void bcd_ignores_template(void **state)
{
	struct converter c;

	init_or_fail(&c, CONVERTER_DIRECT_BCD, BCD_POOL, NULL);
	init_or_fail(&c, CONVERTER_DIRECT_BCD, BCD_POOL, "%s");
}

static void bad_pool_struct(void **state)
{
	struct converter c;
	struct prefix6 p = {.len = 64};
	const char *why = NULL;

	p.addr[15] = 1; /* host bit set: not a prefix6_parse result */
	assert_false(converter_init(&c, CONVERTER_DIRECT_BCD, &p, NULL, &why));
	assert_string_equal(why, "pool is not a valid prefix");
	p.addr[15] = 0;
	p.len = 129;
	assert_false(converter_init(&c, CONVERTER_METANS, &p, "%s", &why));
	assert_string_equal(why, "pool is not a valid prefix");
}

static void unknown_kind(void **state)
{
	struct converter c;
	struct prefix6 p = {.len = 64};
	const char *why = NULL;

	assert_false(converter_init(&c, (enum converter_kind)9, &p, NULL, &why));
	assert_string_equal(why, "unknown converter");
}

#define MPOOL "fde3:25fb:7f6c:1::/64"
#define ONE_S "metans template must hold exactly one %s and no other %"

static void metans_default_template(void **state)
{
	expect_map(CONVERTER_METANS, MPOOL, NULL, "device-7",
		   "fde3:25fb:7f6c:1:5650:6dc9:a6f8:c3bd");
}

static void metans_template_no_s(void **state)
{
	expect_init_refused(CONVERTER_METANS, MPOOL, "device", "metans template has no %s");
	expect_init_refused(CONVERTER_METANS, MPOOL, "", "metans template has no %s");
}

static void metans_template_two_s(void **state)
{
	expect_init_refused(CONVERTER_METANS, MPOOL, "%s.%s", ONE_S);
}

static void metans_template_other_percent(void **state)
{
	static const char *const bad[] = {"%d", "%s.%d",   "%%s", "%s%",
					  "%",	"100%.%s", "%S",  "%s%%"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_init_refused(CONVERTER_METANS, MPOOL, bad[i], ONE_S);
}

static void metans_template_too_long(void **state)
{
	char t[AWG_TEMPLATE_MAX + 2];

	memset(t, 'a', sizeof(t) - 1);
	t[sizeof(t) - 1] = '\0';
	memcpy(t, "%s.", 3);
	expect_init_refused(CONVERTER_METANS, MPOOL, t, "metans template too long");
}

static void metans_template_not_dns(void **state)
{
	static const char *const bad[] = {"%s..x", "%s.",  ".%s",    "-%s",
					  "%s-",   "%s_x", "%s.x y", "%s.-x"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_init_refused(CONVERTER_METANS, MPOOL, bad[i],
				    "metans template does not give a valid DNS name");
}

static void metans_pool_sizes(void **state)
{
	struct converter c;

	init_or_fail(&c, CONVERTER_METANS, "2001:db8::/48", "%s");
	init_or_fail(&c, CONVERTER_METANS, "fd00::/120", "%s");
	expect_init_refused(CONVERTER_METANS, "fd00::/121", "%s",
			    "pool too small for metans (needs /120 or shorter)");
	expect_init_refused(CONVERTER_METANS, "fd00::/128", "%s",
			    "pool too small for metans (needs /120 or shorter)");
}

static void metans_label_63(void **state)
{
	/* 63 bytes is the most a label may have: accepted (value in metans_own). */
	expect_map(CONVERTER_METANS, MPOOL, "%s",
		   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		   "fde3:25fb:7f6c:1:8170:7dde:e53e:4451");
}

static void metans_label_64(void **state)
{
	expect_map_refused(CONVERTER_METANS, MPOOL, "%s",
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   "DNS label longer than 63 bytes");
	/* the template's own characters count too */
	expect_map_refused(CONVERTER_METANS, MPOOL, "x%s",
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   "DNS label longer than 63 bytes");
}

static void metans_not_ldh(void **state)
{
	static const char *const bad[] = {"bad_label", "a b", "a*",   "caf\xc3\xa9",
					  "a/b",       "a:b", "a\tb", "x@y"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_map_refused(
		    CONVERTER_METANS, MPOOL, "%s", bad[i],
		    "DNS label has a character other than a letter, digit or hyphen");
}

static void metans_hyphen_ends(void **state)
{
	static const char *const bad[] = {"-lead", "trail-", "-", "a.-b", "a-.b"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_map_refused(CONVERTER_METANS, MPOOL, "%s", bad[i],
				   "DNS label starts or ends with a hyphen");
}

static void metans_inner_hyphens(void **state)
{
	expect_map(CONVERTER_METANS, MPOOL, "%s", "a-b", "fde3:25fb:7f6c:1:8534:6b17:aa65:f794");
}

static void metans_empty_label(void **state)
{
	static const char *const bad[] = {"a..b", ".a", "a.", "."};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_map_refused(CONVERTER_METANS, MPOOL, "%s", bad[i], "empty DNS label");
}

static void metans_empty_name(void **state)
{
	expect_map_refused(CONVERTER_METANS, MPOOL, "%s", "", "empty name");
	expect_map_refused(CONVERTER_METANS, MPOOL, "x%s", "", "empty name");
}

static void metans_name_too_long(void **state)
{
	char name[300];
	int i;

	/* 4 labels of 63 = 255 bytes with the dots: longer than 253 */
	for (i = 0; i < 255; i++)
		name[i] = i % 64 == 63 ? '.' : 'a';
	name[255] = '\0';
	expect_map_refused(CONVERTER_METANS, MPOOL, "%s", name, "DNS name longer than 253 bytes");
	name[253] = '\0'; /* 253 is fine */
	{
		struct converter c;
		uint8_t addr[16];
		const char *why = NULL;

		init_or_fail(&c, CONVERTER_METANS, MPOOL, "%s");
		if (!converter_map(&c, name, addr, &why))
			fail_msg("253-byte name refused: %s", why);
	}
	expect_map_refused(CONVERTER_METANS, MPOOL, "%s.com", name,
			   "DNS name longer than 253 bytes");
}

static void metans_lowercase(void **state)
{
	expect_map(CONVERTER_METANS, MPOOL, "%s", "DEVICE-7",
		   "fde3:25fb:7f6c:1:5650:6dc9:a6f8:c3bd");
	expect_map(CONVERTER_METANS, "fde3:25fb:7f6c:1::/64", "ST%s.0", "1234",
		   "fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad");
}

static void metans_pool_bits_kept(void **state)
{
	struct converter c;
	struct prefix6 p;
	uint8_t addr[16];
	const char *why = NULL;
	char name[8];
	int n;

	/* /61: 3 host bits share a byte with the pool; the pool's bits stay. */
	init_or_fail(&c, CONVERTER_METANS, "2001:db8:0:8::/61", "%s");
	assert_true(prefix6_parse("2001:db8:0:8::/61", &p, &why));
	for (n = 0; n < 200; n++) {
		snprintf(name, sizeof(name), "d%d", n);
		assert_true(converter_map(&c, name, addr, &why));
		if (!prefix6_contains(&p, addr))
			fail_msg("\"%s\" left the pool", name);
	}
}

/* Whatever a converter maps lies inside its pool, for any pool and name. */
static void always_inside_pool(void **state)
{
	static const char *const pools[] = {"2001:db8::/48",	      "2001:db8:1:200::/56",
					    "fde3:25fb:7f6c:1::/64",  "2001:db8:0:8::/61",
					    "fd00:1:2:3:4:5::/96",    "fd00::/100",
					    "fd00:1:2:3:4:5:6:0/112", "fd00:1:2:3:4:5:6:700/120"};
	static const char alphabet[] = "0123456789abcXYZ-._ ";
	unsigned int seed = 7;
	size_t pi;
	int i, mapped = 0;

	for (pi = 0; pi < sizeof(pools) / sizeof(pools[0]); pi++) {
		struct converter bcd, metans;
		struct prefix6 p;
		const char *why = NULL;
		bool have_bcd;

		assert_true(prefix6_parse(pools[pi], &p, &why));
		have_bcd = converter_init(&bcd, CONVERTER_DIRECT_BCD, &p, NULL, &why);
		assert_int_equal(have_bcd, p.len <= AWG_BCD_POOL_MAXLEN);
		assert_true(converter_init(&metans, CONVERTER_METANS, &p, "%s.x", &why));
		for (i = 0; i < 5000; i++) {
			char name[12];
			uint8_t a[16];
			size_t n = 1 + (size_t)rand_r(&seed) % (sizeof(name) - 1), k;

			for (k = 0; k < n; k++)
				name[k] =
				    alphabet[rand_r(&seed) % (i % 2 ? 10 : sizeof(alphabet) - 1)];
			name[n] = '\0';
			if (have_bcd && converter_map(&bcd, name, a, &why)) {
				mapped++;
				assert_true(prefix6_contains(&p, a));
			}
			if (converter_map(&metans, name, a, &why)) {
				mapped++;
				assert_true(prefix6_contains(&p, a));
			}
		}
	}
	assert_true(mapped > 10000);
}

int main(void)
{
	struct CMUnitTest tests[64 + sizeof(bcd_vectors) / sizeof(bcd_vectors[0]) +
				sizeof(metans_vectors) / sizeof(metans_vectors[0]) +
				sizeof(metans_own) / sizeof(metans_own[0])];
	static char names[64][160];
	size_t n = 0, i, k = 0;
	static const struct CMUnitTest fixed[] = {
	    T("tests/vectors: every case in direct-bcd.tsv passes (read at run time)",
	      shared_bcd_tsv),
	    T("tests/vectors: every case in metans.tsv passes (read at run time)",
	      shared_metans_tsv),
	    T("converter: names direct-bcd and metans parse and print", kind_names),
	    T("converter: other names are refused", kind_unknown),
	    T("converter: a pool with host bits set or length > 128 is refused", bad_pool_struct),
	    T("converter: an unknown kind is refused", unknown_kind),
	    T("direct-bcd: name 0 maps to the pool address itself", bcd_zero_is_pool),
	    T("direct-bcd: leading zeros are allowed (0042 -> ::42)", bcd_leading_zeros),
	    T("direct-bcd: any pool up to /112 takes the last 16 bits", bcd_pool_sizes),
	    T("direct-bcd: more than 4 digits is refused", bcd_too_long),
	    T("direct-bcd: empty name is refused", bcd_empty),
	    T("direct-bcd: anything but ASCII 0-9 is refused (sign, space, _, non-ASCII digit)",
	      bcd_not_digits),
	    T("direct-bcd: pool longer than /112 is a config error", bcd_pool_too_small),
	    T("direct-bcd: a template is not needed", bcd_ignores_template),
	    T("metans: default template is %s", metans_default_template),
	    T("metans: template without %s is a config error", metans_template_no_s),
	    T("metans: template with two %s is a config error", metans_template_two_s),
	    T("metans: template with any other % is a config error", metans_template_other_percent),
	    T("metans: template longer than 253 bytes is a config error", metans_template_too_long),
	    T("metans: template that cannot give a DNS name is a config error",
	      metans_template_not_dns),
	    T("metans: pool up to /120 is accepted, longer is a config error", metans_pool_sizes),
	    T("metans: label of 63 bytes is accepted", metans_label_63),
	    T("metans: label longer than 63 bytes is refused", metans_label_64),
	    T("metans: label with a non-LDH character is refused", metans_not_ldh),
	    T("metans: label starting or ending with a hyphen is refused", metans_hyphen_ends),
	    T("metans: inner hyphens are fine", metans_inner_hyphens),
	    T("metans: empty label is refused", metans_empty_label),
	    T("metans: empty name is refused", metans_empty_name),
	    T("metans: DNS name longer than 253 bytes is refused", metans_name_too_long),
	    T("metans: name and template are lowercased", metans_lowercase),
	    T("metans: pool bits in a shared byte are kept (/61)", metans_pool_bits_kept),
	    T("converter: every mapped address lies inside the pool (random names)",
	      always_inside_pool),
	};

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (i = 0; i < sizeof(bcd_vectors) / sizeof(bcd_vectors[0]); i++, k++) {
		snprintf(names[k], sizeof(names[k]), "vector: direct-bcd %s \"%s\" -> %s",
			 bcd_vectors[i].pool, bcd_vectors[i].name,
			 bcd_vectors[i].want ? bcd_vectors[i].want : "refused");
		tests[n++] = (struct CMUnitTest)TS(names[k], bcd_vector, &bcd_vectors[i]);
	}
	for (i = 0; i < sizeof(metans_vectors) / sizeof(metans_vectors[0]); i++, k++) {
		snprintf(names[k], sizeof(names[k]), "vector: metans %s %s \"%.20s\" -> %s",
			 metans_vectors[i].pool, metans_vectors[i].template, metans_vectors[i].name,
			 metans_vectors[i].want ? metans_vectors[i].want : "refused");
		tests[n++] = (struct CMUnitTest)TS(names[k], metans_vector, &metans_vectors[i]);
	}
	for (i = 0; i < sizeof(metans_own) / sizeof(metans_own[0]); i++, k++) {
		snprintf(names[k], sizeof(names[k]), "metans (b2sum): %s %s \"%.20s\" -> %s",
			 metans_own[i].pool, metans_own[i].template, metans_own[i].name,
			 metans_own[i].want);
		tests[n++] = (struct CMUnitTest)TS(names[k], metans_own_case, &metans_own[i]);
	}
	return _cmocka_run_group_tests(__FILE__, tests, n, NULL, NULL);
}
