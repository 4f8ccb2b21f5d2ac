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
#include "../core/text.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END	  "-----END CERTIFICATE-----"
#define PEM_SPACE " \t\r\n"

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
		if (i + 2 >= len || (hi = text_hexval(text[i + 1])) < 0 ||
		    (lo = text_hexval(text[i + 2])) < 0) {
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

bool cert_cn_of(X509 *x, char *cn, const char **why)
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

X509 *cert_parse(const char *text, size_t len, const char **why)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t pem_len, der_len;
	char *pem = NULL;
	X509 *x = NULL;

	if (len > FCGI_CERT_TEXT_MAX) {
		*why = "client certificate too long";
		return NULL;
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
		X509_free(x);
		x = NULL;
	}
out:
	ERR_clear_error();
	free(der);
	free(pem);
	return x;
}

bool cert_cn(const char *text, size_t len, char *cn, const char **why)
{
	X509 *x = cert_parse(text, len, why);
	bool ok = x && cert_cn_of(x, cn, why);

	X509_free(x);
	return ok;
}

/* Printable ASCII only, cut to fit with "..." at the end. */
static void log_text(const char *in, size_t len, char *out, size_t size)
{
	size_t i, n = len < size - 1 ? len : size - 1;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f ? in[i] : '?';
	if (n < len && n >= 3)
		memcpy(out + n - 3, "...", 3);
	out[n] = '\0';
}

static void serial_text(X509 *x, char *out, size_t size)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	log_text(hex ? hex : "?", hex ? strlen(hex) : 1, out, size);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* RFC 2253 with everything outside printable ASCII escaped (ESC_MSB). */
static void issuer_text(X509 *x, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (!b || X509_NAME_print_ex(b, X509_get_issuer_name(x), 0, XN_FLAG_RFC2253) < 0) {
		log_text("?", 1, out, size);
	} else {
		len = BIO_get_mem_data(b, &data);
		log_text(data, len > 0 ? (size_t)len : 0, out, size);
	}
	BIO_free(b);
}

static void time_text(const ASN1_TIME *t, char *out, size_t size)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		log_text("?", 1, out, size);
}

void cert_describe(X509 *x, struct cert_info *out)
{
	serial_text(x, out->serial, sizeof(out->serial));
	issuer_text(x, out->issuer, sizeof(out->issuer));
	time_text(X509_get0_notAfter(x), out->not_after, sizeof(out->not_after));
	ERR_clear_error();
}
