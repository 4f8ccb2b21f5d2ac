/* SPDX-License-Identifier: MIT */
#include "../unit.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../core/pattern.h"

static struct cn_pattern *compile(const char *re)
{
	char err[256] = "";
	struct cn_pattern *p = cn_pattern_compile(re, err, sizeof(err));

	if (!p)
		fail_msg("pattern \"%s\" refused: %s", re, err);
	return p;
}

static void expect_name(const char *re, const char *cn, const char *want)
{
	struct cn_pattern *p = compile(re);
	char name[AWG_NAME_MAX + 1];
	const char *why = NULL;
	bool ok = cn_pattern_name(p, cn, name, &why);

	cn_pattern_free(p);
	if (!ok)
		fail_msg("pattern \"%s\" refused CN \"%s\": %s", re, cn, why);
	assert_string_equal(name, want);
}

static void expect_refused(const char *re, const char *cn, const char *want_why)
{
	struct cn_pattern *p = compile(re);
	char name[AWG_NAME_MAX + 1];
	const char *why = NULL;
	bool ok = cn_pattern_name(p, cn, name, &why);

	cn_pattern_free(p);
	if (ok)
		fail_msg("pattern \"%s\" accepted CN \"%s\" as name \"%s\"", re, cn, name);
	assert_string_equal(why, want_why);
}

static void expect_compile_error(const char *re, const char *want_part)
{
	char err[256] = "";
	struct cn_pattern *p = cn_pattern_compile(re, err, sizeof(err));

	if (p) {
		cn_pattern_free(p);
		fail_msg("pattern \"%s\" compiled", re);
	}
	if (!strstr(err, want_part))
		fail_msg("pattern \"%s\": error \"%s\" lacks \"%s\"", re, err, want_part);
}

#define NOMATCH "CN does not match the CN pattern"
#define TOILET	"smart-toilet-(\\d+)"

static void default_whole_cn(void **state)
{
	expect_name(CN_PATTERN_DEFAULT, "1234", "1234");
	expect_name(CN_PATTERN_DEFAULT, "1234x", "1234x");
	expect_name(CN_PATTERN_DEFAULT, "Device7", "Device7");
}

static void default_refuses(void **state)
{
	static const char *const bad[] = {"12 34", "1234\n",	  "1234 ",  " 1234", "12-34",
					  "12.34", "caf\xc3\xa9", "1234\r", "a_b"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(CN_PATTERN_DEFAULT, bad[i], NOMATCH);
}

static void group_one(void **state)
{
	expect_name(TOILET, "smart-toilet-1234", "1234");
}

static void trailing_text(void **state)
{
	expect_refused(TOILET, "smart-toilet-1234x", NOMATCH);
	expect_refused(TOILET, "smart-toilet-1234\n", NOMATCH);
}

static void leading_text(void **state)
{
	expect_refused(TOILET, "xsmart-toilet-1234", NOMATCH);
	expect_refused(TOILET, "\nsmart-toilet-1234", NOMATCH);
}

static void alternation_anchored(void **state)
{
	/* "^a|b$" glued would take "ab" by its first branch; match options do not. */
	expect_refused("a|b", "ab", NOMATCH);
	expect_refused("(a)|b", "ba", NOMATCH);
	expect_name("(a)|b", "a", "a");
}

static void dollar_newline(void **state)
{
	expect_refused("(\\d+)$", "12\n", NOMATCH);
	expect_name("(\\d+)$", "12", "12");
}

static void no_group_whole_match(void **state)
{
	expect_name("dev-[0-9]+", "dev-12", "dev-12");
	expect_name("(?:dev-)[0-9]+", "dev-12", "dev-12");
}

static void first_of_several_groups(void **state)
{
	expect_name("(\\w+)-(\\d+)", "abc-12", "abc");
	expect_name("(?:dev-)(\\d+)", "dev-12", "12");
	expect_name("(?<num>\\d+)-x", "12-x", "12");
}

static void unset_group(void **state)
{
	expect_refused("(x)?\\d+", "12", "empty name");
}

static void empty_group(void **state)
{
	expect_refused("(a*)b", "b", "empty name");
	expect_refused("x(\\d*)", "x", "empty name");
}

static void name_length(void **state)
{
	char cn[AWG_NAME_MAX + 2];

	memset(cn, 'a', sizeof(cn));
	cn[AWG_NAME_MAX] = '\0';
	expect_name("(.*)", cn, cn);
	cn[AWG_NAME_MAX] = 'a';
	cn[AWG_NAME_MAX + 1] = '\0';
	expect_refused("(.*)", cn, "name longer than 63 bytes");
	expect_refused(".*", cn, "name longer than 63 bytes");
	expect_name("(a)a*", cn, "a"); /* only the name is bounded, not the CN */
}

static void utf8_chars(void **state)
{
	expect_name("caf.-(\\d)", "caf\xc3\xa9-1", "1");
	expect_name("(.)", "\xc3\xa9", "\xc3\xa9");
}

static void invalid_utf8_cn(void **state)
{
	expect_refused(CN_PATTERN_DEFAULT,
		       "\xff"
		       "1",
		       "CN is not valid UTF-8");
	expect_refused("(.*)", "a\xc3", "CN is not valid UTF-8");
}

static void compile_errors(void **state)
{
	expect_compile_error("(", "offset 1");
	expect_compile_error("(", "missing closing parenthesis");
	expect_compile_error("[a-", "bad CN pattern at offset");
	expect_compile_error("a{2,1}", "bad CN pattern at offset");
	expect_compile_error("\\C", "bad CN pattern at offset");
	expect_compile_error("\xff", "UTF-8");
}

static void too_long(void **state)
{
	char re[AWG_CN_PATTERN_MAX + 2];

	memset(re, 'a', sizeof(re));
	re[AWG_CN_PATTERN_MAX + 1] = '\0';
	expect_compile_error(re, "CN pattern longer than 255 bytes");
	re[AWG_CN_PATTERN_MAX] = '\0';
	cn_pattern_free(compile(re));
}

static void backtracking_bounded(void **state)
{
	char cn[64];
	clock_t t0 = clock();

	memset(cn, 'a', 40);
	cn[40] = '\0';
	expect_refused("(a+)+[bc]", cn, "CN pattern match limit reached");
	assert_true(clock() - t0 < 10 * CLOCKS_PER_SEC);
}

static void free_null(void **state)
{
	cn_pattern_free(NULL);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("pattern: default takes the whole CN as the name (1234x included)", default_whole_cn),
	    T("pattern: default refuses spaces, newline, -, ., _, non-ASCII", default_refuses),
	    T("pattern: the name is group 1", group_one),
	    T("pattern: text after the match is refused (smart-toilet-1234x)", trailing_text),
	    T("pattern: text before the match is refused (xsmart-toilet-1234)", leading_text),
	    T("pattern: alternation must match the whole CN too", alternation_anchored),
	    T("pattern: $ does not match before a final newline", dollar_newline),
	    T("pattern: without a group the name is the whole match", no_group_whole_match),
	    T("pattern: with several groups the name is group 1", first_of_several_groups),
	    T("pattern: group 1 that did not take part is refused", unset_group),
	    T("pattern: empty name is refused", empty_group),
	    T("pattern: name of 63 bytes is accepted, 64 refused", name_length),
	    T("pattern: UTF mode, . is one character", utf8_chars),
	    T("pattern: CN that is not UTF-8 is refused", invalid_utf8_cn),
	    T("pattern: compile errors give PCRE2's message and offset", compile_errors),
	    T("pattern: pattern longer than 255 bytes is refused", too_long),
	    T("pattern: catastrophic backtracking stops at the match limit", backtracking_bounded),
	    T("pattern: freeing NULL is fine", free_null),
	};

	return RUN(tests);
}
