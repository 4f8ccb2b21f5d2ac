/* SPDX-License-Identifier: MIT */
/*
 * The CN of the client certificate the web server passed. Servers spell the
 * same PEM differently: nginx URL-escapes it ($ssl_client_escaped_cert) or,
 * in old versions, puts a tab after every newline ($ssl_client_cert);
 * lighttpd and Caddy pass it plain; proxies fold the newlines to spaces. So
 * the framing is parsed here rather than by PEM_read_bio: %XX decoded, then
 * exactly one BEGIN/END CERTIFICATE block with only whitespace around it,
 * base64 with whitespace ignored, DER that is used up exactly.
 */
#include "identity.h"
#include "request.h"
#include "../core/dn.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END	  "-----END CERTIFICATE-----"
#define PEM_SPACE " \t\r\n"

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* %XX-decode text into out (at least len + 1 bytes); '+' stays '+', as
 * nginx escapes it and base64 needs it. */
static bool unescape(const char *text, size_t len, char *out, size_t *out_len, const char **why)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (text[i] != '%') {
			out[n++] = text[i];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(text[i + 1])) < 0 ||
		    (lo = hexval(text[i + 2])) < 0) {
			*why = "client certificate has a bad %-escape";
			return false;
		}
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	if (memchr(out, '\0', n)) {
		*why = "client certificate has a NUL byte";
		return false;
	}
	out[n] = '\0';
	*out_len = n;
	return true;
}

static bool only_space(const char *p, size_t len)
{
	return strspn(p, PEM_SPACE) >= len;
}

/* The DER bytes of the one certificate in pem (NUL-terminated). */
static bool pem_der(const char *pem, size_t len, unsigned char *der, size_t *der_len,
		    const char **why)
{
	const char *begin = strstr(pem, PEM_BEGIN), *b64, *end;
	const char *b64_end;

	if (!begin || !only_space(pem, (size_t)(begin - pem))) {
		*why = "client certificate is not PEM";
		return false;
	}
	b64 = begin + strlen(PEM_BEGIN);
	end = strstr(b64, PEM_END);
	if (!end) {
		*why = "client certificate PEM has no END line";
		return false;
	}
	if (!only_space(end + strlen(PEM_END), len - (size_t)(end + strlen(PEM_END) - pem))) {
		*why = "client certificate PEM has trailing data";
		return false;
	}
	if (sodium_base642bin(der, *der_len, b64, (size_t)(end - b64), PEM_SPACE, der_len, &b64_end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    b64_end != end) {
		*why = "client certificate PEM is not valid base64";
		return false;
	}
	return true;
}

static bool x509_cn(X509 *x, char *cn, const char **why)
{
	X509_NAME *subject = X509_get_subject_name(x);
	unsigned char *utf8 = NULL;
	ASN1_STRING *value;
	int idx, len;
	bool ok = false;

	idx = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
	if (idx < 0) {
		*why = "client certificate has no CN";
		return false;
	}
	if (X509_NAME_get_index_by_NID(subject, NID_commonName, idx) >= 0) {
		*why = "client certificate has several CNs";
		return false;
	}
	value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
	len = value ? ASN1_STRING_to_UTF8(&utf8, value) : -1;
	if (len < 0) {
		*why = "client certificate CN is not a string";
		return false;
	}
	if (!cn_check((const char *)utf8, (size_t)len, why))
		goto out;
	memcpy(cn, utf8, (size_t)len);
	cn[len] = '\0';
	ok = true;
out:
	OPENSSL_free(utf8);
	return ok;
}

bool cert_cn(const char *text, size_t len, char *cn, const char **why)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t pem_len, der_len;
	char *pem = NULL;
	X509 *x = NULL;
	bool ok = false;

	if (len > FCGI_CERT_TEXT_MAX) {
		*why = "client certificate too long";
		return false;
	}
	pem = malloc(len + 1);
	der_len = len;
	der = malloc(der_len + 1);
	if (!pem || !der) {
		*why = "out of memory";
		goto out;
	}
	if (!unescape(text, len, pem, &pem_len, why) || !pem_der(pem, pem_len, der, &der_len, why))
		goto out;
	p = der;
	x = d2i_X509(NULL, &p, (long)der_len);
	if (!x || p != der + der_len) {
		*why = "client certificate does not parse";
		goto out;
	}
	ok = x509_cn(x, cn, why);
out:
	X509_free(x);
	free(der);
	free(pem);
	return ok;
}
