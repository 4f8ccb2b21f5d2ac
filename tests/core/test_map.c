/* SPDX-License-Identifier: MIT */
/* CN -> name -> address, the chain the helper and autowg-addr share. The
 * addresses are worked out by hand (direct-bcd) or hash.metans.net's. */
#include "../unit.h"

#include <string.h>

#include "../../core/addr.h"
#include "../../core/map.h"

struct chain {
	struct converter conv;
	struct cn_pattern *pat;
};

static void chain_init(struct chain *c, enum converter_kind kind, const char *re, const char *tmpl)
{
	struct prefix6 pool;
	const char *why;
	char err[128];

	assert_true(prefix6_parse("fde3:25fb:7f6c:1::/64", &pool, &why));
	assert_true(converter_init(&c->conv, kind, &pool, tmpl, &why));
	c->pat = cn_pattern_compile(re, err, sizeof(err));
	assert_non_null(c->pat);
}

static enum map_step run(struct chain *c, const char *cn, char *name, char *text)
{
	uint8_t addr[16];
	const char *why = NULL;
	enum map_step step;

	memset(addr, 0xee, sizeof(addr));
	step = map_cn(c->pat, &c->conv, cn, name, addr, &why);
	addr6_format(addr, text);
	if (step != MAP_OK)
		assert_non_null(why);
	return step;
}

static void direct_bcd(void **state)
{
	char name[AWG_NAME_MAX + 1], text[AWG_ADDR_TEXT_MAX + 1];
	struct chain c;

	chain_init(&c, CONVERTER_DIRECT_BCD, CN_PATTERN_DEFAULT, NULL);
	assert_int_equal(run(&c, "1234", name, text), MAP_OK);
	assert_string_equal(name, "1234");
	assert_string_equal(text, "fde3:25fb:7f6c:1::1234");
	cn_pattern_free(c.pat);
}

static void metans_with_pattern(void **state)
{
	char name[AWG_NAME_MAX + 1], text[AWG_ADDR_TEXT_MAX + 1];
	struct chain c;

	chain_init(&c, CONVERTER_METANS, "smart-toilet-(\\d+)", "st%s.0");
	assert_int_equal(run(&c, "smart-toilet-1234", name, text), MAP_OK);
	assert_string_equal(name, "1234");
	assert_string_equal(text, "fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad");
	cn_pattern_free(c.pat);
}

static void bad_cn_leaves_no_name(void **state)
{
	char name[AWG_NAME_MAX + 1], text[AWG_ADDR_TEXT_MAX + 1];
	struct chain c;

	chain_init(&c, CONVERTER_DIRECT_BCD, CN_PATTERN_DEFAULT, NULL);
	/* the pattern must match the whole CN */
	assert_int_equal(run(&c, "12-34", name, text), MAP_BAD_CN);
	assert_string_equal(name, "");
	/* a control character: refused before the pattern is asked */
	assert_int_equal(run(&c, "12\n34", name, text), MAP_BAD_CN);
	assert_string_equal(name, "");
	assert_int_equal(run(&c, "", name, text), MAP_BAD_CN);
	cn_pattern_free(c.pat);
}

static void bad_name_keeps_the_name(void **state)
{
	char name[AWG_NAME_MAX + 1], text[AWG_ADDR_TEXT_MAX + 1];
	struct chain c;

	chain_init(&c, CONVERTER_DIRECT_BCD, CN_PATTERN_DEFAULT, NULL);
	assert_int_equal(run(&c, "10000", name, text), MAP_BAD_NAME);
	assert_string_equal(name, "10000");
	assert_string_equal(text, "::");
	/* the default pattern takes "1234x" whole: a name direct-bcd refuses */
	assert_int_equal(run(&c, "1234x", name, text), MAP_BAD_NAME);
	assert_string_equal(name, "1234x");
	cn_pattern_free(c.pat);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("map: direct-bcd CN 1234 is name 1234 at <pool>::1234", direct_bcd),
	    T("map: metans with a CN pattern gives the name and hash.metans.net's address",
	      metans_with_pattern),
	    T("map: a CN the check or the pattern refuses is MAP_BAD_CN, without a name",
	      bad_cn_leaves_no_name),
	    T("map: a name the converter refuses is MAP_BAD_NAME, with the name, address zero",
	      bad_name_keeps_the_name),
	};

	return RUN(tests);
}
