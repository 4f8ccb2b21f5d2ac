/* SPDX-License-Identifier: MIT */
/*
 * dn_extract_cn on arbitrary bytes (the subject DN a web server passes).
 * Invariants: an accepted CN is 1..AWG_CN_MAX bytes, passes cn_check, and
 * comes back unchanged from "CN=" plus its RFC 4514 escaping.
 */
#include "fuzz.h"
#include "../../core/dn.h"

/* Every byte that is not a letter or digit as \HH: always a valid value. */
static size_t escape_cn(const char *cn, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	for (i = 0; cn[i]; i++) {
		unsigned char ch = (unsigned char)cn[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9')) {
			out[n++] = (char)ch;
			continue;
		}
		out[n++] = '\\';
		out[n++] = hex[ch >> 4];
		out[n++] = hex[ch & 15];
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size buffers: ASan sees a write past AWG_CN_MAX + 1 */
	char *cn = malloc(AWG_CN_MAX + 1), *cn2 = malloc(AWG_CN_MAX + 1);
	char esc[3 + 3 * AWG_CN_MAX];
	const char *why = NULL;
	size_t len, n;

	if (!cn || !cn2)
		abort();
	if (!dn_extract_cn((const char *)data, size, cn, &why)) {
		FUZZ_CHECK(why && *why, "refused without a reason");
		goto out;
	}
	len = strnlen(cn, AWG_CN_MAX + 1);
	FUZZ_CHECK(len >= 1 && len <= AWG_CN_MAX, "CN of %zu bytes", len);
	FUZZ_CHECK(cn_check(cn, len, &why), "accepted CN fails cn_check: %s", why);

	memcpy(esc, "CN=", 3);
	n = 3 + escape_cn(cn, esc + 3);
	FUZZ_CHECK(dn_extract_cn(esc, n, cn2, &why), "escaped CN refused: %s", why);
	FUZZ_CHECK(!strcmp(cn, cn2), "escaped CN came back different");
out:
	free(cn);
	free(cn2);
	return 0;
}
