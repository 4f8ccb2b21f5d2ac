/* SPDX-License-Identifier: MIT */
/*
 * key_parse on arbitrary bytes (the POST body). Invariants: an accepted key
 * is not all zeros and key_format gives back exactly the text without its
 * surrounding whitespace; and any 32 non-zero bytes survive format + parse.
 */
#include "fuzz.h"
#include "../../core/key.h"

#include <sodium.h>

static bool is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[AWG_KEY_LEN], back[AWG_KEY_LEN];
	char text[AWG_KEY_B64_LEN + 1];
	const uint8_t *t = data;
	const char *why = NULL;
	size_t n = size;

	if (key_parse((const char *)data, size, key, &why)) {
		while (n && is_space(*t))
			t++, n--;
		while (n && is_space(t[n - 1]))
			n--;
		FUZZ_CHECK(!key_is_zero(key), "all-zero key accepted");
		key_format(key, text);
		FUZZ_CHECK(n == AWG_KEY_B64_LEN && !memcmp(text, t, n),
			   "accepted key re-formats to other text: %s", text);
	} else {
		FUZZ_CHECK(why && *why, "refused without a reason");
	}

	/* the other direction: raw bytes -> text -> the same bytes */
	if (size >= AWG_KEY_LEN) {
		memcpy(key, data, AWG_KEY_LEN);
		key_format(key, text);
		FUZZ_CHECK(strlen(text) == AWG_KEY_B64_LEN, "formatted key of %zu chars",
			   strlen(text));
		if (key_parse(text, AWG_KEY_B64_LEN, back, &why))
			FUZZ_CHECK(key_equal(key, back), "format + parse changed the key");
		else
			FUZZ_CHECK(key_is_zero(key), "formatted key refused: %s", why);
	}
	return 0;
}
