/* SPDX-License-Identifier: MIT */
/*
 * cert_cn (fcgi/cert.c): the client certificate a web server passes, to its
 * CN. First byte 0: the rest is the parameter's text as it is. Otherwise the
 * rest is DER, framed here as PEM the ways servers spell it (lighttpd/Caddy
 * plain, nginx $ssl_client_escaped_cert, old nginx $ssl_client_cert with a
 * tab after each newline), so mutations reach the X.509 parser.
 * Invariants: an accepted CN is 1..AWG_CN_MAX bytes and passes cn_check; the
 * three framings of the same DER give the same answer.
 */
#include "fuzz.h"
#include "../../core/dn.h"
#include "../../fcgi/identity.h"
#include "../../fcgi/request.h"

#include <sodium.h>

#define FUZZ_DER_MAX 4096 /* escaped, 4 kB of DER stays inside FCGI_CERT_TEXT_MAX */
#define PEM_LINE     64

enum framing { PLAIN, ESCAPED, TABBED, N_FRAMINGS };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void append(char *out, size_t *n, const char *s, enum framing f)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (f == ESCAPED && !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				      (ch >= '0' && ch <= '9') || strchr("-._~", ch))) {
			out[(*n)++] = '%';
			out[(*n)++] = hex[ch >> 4];
			out[(*n)++] = hex[ch & 15];
			continue;
		}
		out[(*n)++] = (char)ch;
		if (f == TABBED && ch == '\n' && s[1])
			out[(*n)++] = '\t';
	}
}

/* PEM of der in the framing f: malloc'd, length in *len. */
static char *frame(const uint8_t *der, size_t der_len, enum framing f, size_t *len)
{
	size_t b64_size = sodium_base64_encoded_len(der_len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64_size), *pem, line[PEM_LINE + 2];
	size_t i, n = 0, b64_len;

	/* every byte may become %XX, plus line breaks and tabs */
	pem = malloc(3 * (b64_size + 2 * (b64_size / PEM_LINE + 1) + 64) + 1);
	if (!b64 || !pem)
		abort();
	sodium_bin2base64(b64, b64_size, der, der_len, sodium_base64_VARIANT_ORIGINAL);
	b64_len = strlen(b64);
	append(pem, &n, "-----BEGIN CERTIFICATE-----\n", f);
	for (i = 0; i < b64_len; i += PEM_LINE) {
		snprintf(line, sizeof(line), "%.*s\n", PEM_LINE, b64 + i);
		append(pem, &n, line, f);
	}
	append(pem, &n, "-----END CERTIFICATE-----\n", f);
	pem[n] = '\0';
	free(b64);
	*len = n;
	return pem;
}

static bool check(const char *text, size_t len, char *cn)
{
	const char *why = NULL;
	size_t n;

	if (!cert_cn(text, len, cn, &why)) {
		FUZZ_CHECK(why && *why, "refused without a reason");
		return false;
	}
	n = strnlen(cn, AWG_CN_MAX + 1);
	FUZZ_CHECK(n >= 1 && n <= AWG_CN_MAX, "CN of %zu bytes", n);
	FUZZ_CHECK(cn_check(cn, n, &why), "accepted CN fails cn_check: %s", why);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cn[N_FRAMINGS], *pem;
	bool ok[N_FRAMINGS];
	size_t len;
	int f;

	if (!size)
		return 0;
	for (f = 0; f < N_FRAMINGS; f++)
		if (!(cn[f] = malloc(AWG_CN_MAX + 1))) /* exact size: ASan sees an overrun */
			abort();
	if (data[0] == 0) {
		check((const char *)data + 1, size - 1, cn[0]);
		goto out;
	}
	if (size - 1 > FUZZ_DER_MAX)
		goto out;
	for (f = 0; f < N_FRAMINGS; f++) {
		pem = frame(data + 1, size - 1, (enum framing)f, &len);
		FUZZ_CHECK(len <= FCGI_CERT_TEXT_MAX, "framed PEM of %zu bytes", len);
		ok[f] = check(pem, len, cn[f]);
		free(pem);
		FUZZ_CHECK(ok[f] == ok[0] && (!ok[f] || !strcmp(cn[f], cn[0])),
			   "framing %d answers differently from plain PEM", f);
	}
out:
	for (f = 0; f < N_FRAMINGS; f++)
		free(cn[f]);
	return 0;
}
