/* SPDX-License-Identifier: MIT */
#include "../unit.h"

#include <string.h>

#include "../../core/text.h"

static const char *esc(const char *in, size_t len, size_t size, unsigned flags)
{
	static char out[256];

	assert_true(size <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	return text_escape(in, len, out, size, flags);
}

static void printable_ascii_stays(void **state)
{
	assert_string_equal(esc("CN=dev-1234, O=Fleet", 64, 64, 0), "CN=dev-1234, O=Fleet");
}

static void control_bytes_are_escaped(void **state)
{
	assert_string_equal(esc("a\nb\tc\x1b[2J\x7f", 64, 64, 0), "a\\x0ab\\x09c\\x1b[2J\\x7f");
}

static void backslash_and_quotes_are_escaped(void **state)
{
	/* a log line quotes a CN with '...': a CN cannot end the quote early */
	assert_string_equal(esc("a'b\"c\\d", 64, 64, 0), "a\\x27b\\x22c\\x5cd");
}

static void bytes_from_0x80_are_escaped(void **state)
{
	assert_string_equal(esc("Ger\xc3\xa4t", 64, 64, 0), "Ger\\xc3\\xa4t");
}

static void keep_8bit_leaves_utf8_for_a_terminal(void **state)
{
	assert_string_equal(esc("Ger\xc3\xa4t\n'", 64, 64, TEXT_KEEP_8BIT),
			    "Ger\xc3\xa4t\\x0a\\x27");
}

static void stops_at_len_or_nul(void **state)
{
	assert_string_equal(esc("abcdef", 3, 64, 0), "abc");
	assert_string_equal(esc("ab\0cd", 5, 64, 0), "ab");
}

static void cut_to_fit_never_inside_an_escape(void **state)
{
	/* room for 5 bytes and the NUL: "ab" and one escape; the second
	 * escape would need 4 more */
	assert_string_equal(esc("ab\n\ncd", 64, 7, 0), "ab\\x0a");
	assert_string_equal(esc("ab\n\ncd", 64, 6, 0), "ab");
	assert_string_equal(esc("abc", 64, 1, 0), "");
}

static void hexval_both_cases(void **state)
{
	assert_int_equal(text_hexval('0'), 0);
	assert_int_equal(text_hexval('9'), 9);
	assert_int_equal(text_hexval('a'), 10);
	assert_int_equal(text_hexval('F'), 15);
	assert_int_equal(text_hexval('g'), -1);
	assert_int_equal(text_hexval('G'), -1);
	assert_int_equal(text_hexval('/'), -1);
	assert_int_equal(text_hexval(':'), -1);
	assert_int_equal(text_hexval('\0'), -1);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("text: printable ASCII stays as it is", printable_ascii_stays),
	    T("text: control bytes and DEL become \\xHH", control_bytes_are_escaped),
	    T("text: the backslash and both quotes become \\xHH", backslash_and_quotes_are_escaped),
	    T("text: bytes from 0x80 become \\xHH", bytes_from_0x80_are_escaped),
	    T("text: TEXT_KEEP_8BIT leaves UTF-8 as it is, escapes the rest",
	      keep_8bit_leaves_utf8_for_a_terminal),
	    T("text: stops at len or at a NUL", stops_at_len_or_nul),
	    T("text: cut to fit the output, never inside an escape",
	      cut_to_fit_never_inside_an_escape),
	    T("text: hex digits in either case, -1 for anything else", hexval_both_cases),
	};

	return RUN(tests);
}
