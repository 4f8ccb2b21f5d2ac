/* SPDX-License-Identifier: MIT */
#include "key.h"

#include <sodium.h>
#include <string.h>

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

bool key_parse(const char *text, size_t len, uint8_t out[AWG_KEY_LEN], const char **why)
{
	char b64[AWG_KEY_B64_LEN + 1], again[AWG_KEY_B64_LEN + 1];
	uint8_t key[AWG_KEY_LEN];
	const char *end;
	size_t key_len = 0;
	bool ok = false;

	while (len && is_space(*text)) {
		text++;
		len--;
	}
	while (len && is_space(text[len - 1]))
		len--;
	if (len != AWG_KEY_B64_LEN) {
		*why = "key is not 44 characters of base64";
		return false;
	}
	memcpy(b64, text, len);
	b64[len] = '\0';
	if (memchr(b64, '\0', len)) {
		*why = "key is not valid base64";
		goto out;
	}
	if (sodium_base642bin(key, sizeof(key), b64, len, NULL, &key_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    end != b64 + len || key_len != AWG_KEY_LEN) {
		*why = "key is not valid base64";
		goto out;
	}
	/* A last character with stray low bits decodes too; only the one
	 * canonical spelling of a key is accepted. */
	sodium_bin2base64(again, sizeof(again), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	if (strcmp(again, b64)) {
		*why = "key is not canonical base64";
		goto out;
	}
	if (sodium_is_zero(key, sizeof(key))) {
		*why = "key is all zeros";
		goto out;
	}
	memcpy(out, key, sizeof(key));
	ok = true;
out:
	sodium_memzero(key, sizeof(key));
	return ok;
}

void key_format(const uint8_t key[AWG_KEY_LEN], char *out)
{
	sodium_bin2base64(out, AWG_KEY_B64_LEN + 1, key, AWG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

bool key_equal(const uint8_t a[AWG_KEY_LEN], const uint8_t b[AWG_KEY_LEN])
{
	return sodium_memcmp(a, b, AWG_KEY_LEN) == 0;
}

bool key_is_zero(const uint8_t key[AWG_KEY_LEN])
{
	return sodium_is_zero(key, AWG_KEY_LEN) == 1;
}
