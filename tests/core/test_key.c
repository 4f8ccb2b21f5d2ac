/* SPDX-License-Identifier: MIT */
#include "../unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/key.h"

#define KEY_0_31 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" /* bytes 0..31 */
#define KEY_FF	 "//////////////////////////////////////////8="
#define KEY_WG	 "dKdtmSw0FA11Wroy37D3nte64vYPnrNqSRapbMoyK20=" /* wg genkey | wg pubkey */
#define KEY_ZERO "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static void expect_key(const char *text, size_t len, const uint8_t want[AWG_KEY_LEN])
{
	uint8_t k[AWG_KEY_LEN];
	const char *why = NULL;

	if (!key_parse(text, len, k, &why))
		fail_msg("key \"%.*s\" refused: %s", (int)len, text, why);
	if (want)
		assert_memory_equal(k, want, AWG_KEY_LEN);
}

static void expect_refused(const char *text, size_t len, const char *want_why)
{
	uint8_t k[AWG_KEY_LEN];
	const char *why = NULL;

	if (key_parse(text, len, k, &why))
		fail_msg("key \"%.*s\" accepted", (int)len, text);
	assert_non_null(why);
	if (want_why)
		assert_string_equal(why, want_why);
}

static void seq_key(uint8_t k[AWG_KEY_LEN])
{
	int i;

	for (i = 0; i < AWG_KEY_LEN; i++)
		k[i] = (uint8_t)i;
}

static void parses(void **state)
{
	uint8_t want[AWG_KEY_LEN], ff[AWG_KEY_LEN];

	seq_key(want);
	memset(ff, 0xff, sizeof(ff));
	expect_key(KEY_0_31, strlen(KEY_0_31), want);
	expect_key(KEY_FF, strlen(KEY_FF), ff);
	expect_key(KEY_WG, strlen(KEY_WG), NULL);
}

static void whitespace_trimmed(void **state)
{
	uint8_t want[AWG_KEY_LEN];
	const char *t = " \t\r\n" KEY_0_31 "\r\n \v\f";

	seq_key(want);
	expect_key(t, strlen(t), want);
	t = KEY_0_31 "\n";
	expect_key(t, strlen(t), want);
}

static void not_nul_terminated(void **state)
{
	char buf[64];
	uint8_t want[AWG_KEY_LEN];

	seq_key(want);
	memset(buf, 'Q', sizeof(buf));
	memcpy(buf, KEY_0_31, 44); /* no NUL: len alone bounds the text */
	expect_key(buf, 44, want);
}

static void wrong_length(void **state)
{
	const char *w = "key is not 44 characters of base64";

	expect_refused("", 0, w);
	expect_refused("   \n", 4, w);
	expect_refused(KEY_0_31, 43, w);
	expect_refused(KEY_0_31 "A", 45, w);
	expect_refused(KEY_0_31 KEY_0_31, 88, w);
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 43, w); /* no padding */
}

static void inner_whitespace(void **state)
{
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd h8=", 44,
		       "key is not valid base64");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMU\nRYXGBkaGxwdHh8=", 44,
		       "key is not valid base64");
}

static void bad_alphabet(void **state)
{
	/* URL-safe '-' and '_' are another variant: refused. */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd-h8=", 44,
		       "key is not valid base64");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd_h8=", 44,
		       "key is not valid base64");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd.h8=", 44,
		       "key is not valid base64");
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\xc3\xa9h8", 44,
		       "key is not valid base64");
}

static void bad_padding(void **state)
{
	/* 44 characters, but padding in the wrong place or missing. */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", 44, NULL);
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh==", 44, NULL);
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd=h8=", 44, NULL);
	expect_refused("=AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 44, NULL);
}

static void not_canonical(void **state)
{
	/* The last character's two unused bits set: decodes to the same bytes
	 * in a lax decoder, refused here. */
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", 44, NULL);
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh/=", 44, NULL);
	expect_refused("//////////////////////////////////////////9=", 44, NULL);
}

static void nul_inside(void **state)
{
	expect_refused("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\0h8=", 44,
		       "key is not valid base64");
}

static void all_zero(void **state)
{
	expect_refused(KEY_ZERO, 44, "key is all zeros");
	expect_refused("  " KEY_ZERO "\n", 47, "key is all zeros");
}

static void out_untouched_on_refusal(void **state)
{
	uint8_t k[AWG_KEY_LEN];
	const char *why = NULL;

	memset(k, 0xaa, sizeof(k));
	assert_false(key_parse(KEY_ZERO, 44, k, &why));
	assert_int_equal(k[0], 0xaa);
	assert_int_equal(k[31], 0xaa);
}

static void format_round_trip(void **state)
{
	uint8_t k[AWG_KEY_LEN], back[AWG_KEY_LEN];
	char out[AWG_KEY_B64_LEN + 1];
	const char *why = NULL;

	seq_key(k);
	memset(out, 'x', sizeof(out));
	key_format(k, out);
	assert_string_equal(out, KEY_0_31);
	assert_true(key_parse(out, strlen(out), back, &why));
	assert_memory_equal(k, back, AWG_KEY_LEN);
}

static void equal(void **state)
{
	uint8_t a[AWG_KEY_LEN], b[AWG_KEY_LEN];

	seq_key(a);
	seq_key(b);
	assert_true(key_equal(a, b));
	b[31] ^= 1;
	assert_false(key_equal(a, b));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(key_equal(a, b));
}

static void is_zero(void **state)
{
	uint8_t k[AWG_KEY_LEN] = {0};

	assert_true(key_is_zero(k));
	k[31] = 1;
	assert_false(key_is_zero(k));
	k[31] = 0;
	k[0] = 1;
	assert_false(key_is_zero(k));
}

static void random_texts(void **state)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ ";
	unsigned int seed = 32;
	char text[AWG_KEY_B64_LEN + 1], again[AWG_KEY_B64_LEN + 1];
	uint8_t k[AWG_KEY_LEN];
	int i, j, accepted = 0;

	for (i = 0; i < 200000; i++) {
		const char *why = NULL;

		for (j = 0; j < AWG_KEY_B64_LEN; j++)
			text[j] = b64[rand_r(&seed) % (i % 2 ? 64 : sizeof(b64) - 1)];
		if (i % 2)
			text[43] = '='; /* mostly well-formed: exercises the canonical check */
		text[AWG_KEY_B64_LEN] = '\0';
		if (!key_parse(text, AWG_KEY_B64_LEN, k, &why)) {
			assert_non_null(why);
			continue;
		}
		accepted++;
		key_format(k, again);
		if (strcmp(again, text))
			fail_msg("accepted \"%s\" but it formats as \"%s\"", text, again);
	}
	print_message("# %d of 200000 random texts accepted\n", accepted);
	assert_true(accepted > 1000);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("key: 44 characters of canonical base64 parse to the 32 bytes", parses),
	    T("key: surrounding ASCII whitespace is trimmed", whitespace_trimmed),
	    T("key: the text need not be NUL-terminated", not_nul_terminated),
	    T("key: anything but 44 characters is refused", wrong_length),
	    T("key: whitespace inside the key is refused", inner_whitespace),
	    T("key: characters outside the standard alphabet are refused", bad_alphabet),
	    T("key: misplaced or missing padding is refused", bad_padding),
	    T("key: non-canonical last character (unused bits set) is refused", not_canonical),
	    T("key: a NUL byte inside is refused", nul_inside),
	    T("key: the all-zero key is refused", all_zero),
	    T("key: out is untouched when refused", out_untouched_on_refusal),
	    T("key: format gives the canonical base64 and parses back", format_round_trip),
	    T("key: key_equal compares every byte", equal),
	    T("key: key_is_zero", is_zero),
	    T("key: random texts: whatever is accepted formats back to the same text",
	      random_texts),
	};

	return RUN(tests);
}
