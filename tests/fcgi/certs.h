/* SPDX-License-Identifier: MIT */
/* Self-signed test certificates made at run time with libcrypto. */
#ifndef AUTOWG_TESTS_CERTS_H
#define AUTOWG_TESTS_CERTS_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

struct cn_value {
	int type; /* V_ASN1_UTF8STRING, V_ASN1_BMPSTRING, ... */
	const char *bytes;
	int len;
};

/* A PEM certificate whose subject has O=autowg test and the given CNs
 * (n may be 0); malloc'd, NUL-terminated. */
static char *make_cert(const struct cn_value *cns, int n)
{
	static EVP_PKEY *pkey;
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL, *data;
	long len;
	int i;

	if (!pkey)
		pkey = EVP_EC_gen("P-256");
	if (!x || !bio || !pkey)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"autowg test",
				   -1, -1, 0);
	for (i = 0; i < n; i++)
		X509_NAME_add_entry_by_NID(name, NID_commonName, cns[i].type,
					   (const unsigned char *)cns[i].bytes, cns[i].len, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, pkey, EVP_sha256()) || !PEM_write_bio_X509(bio, x))
		goto out;
	len = BIO_get_mem_data(bio, &data);
	pem = malloc((size_t)len + 1);
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
out:
	BIO_free(bio);
	X509_free(x);
	return pem;
}

static char *make_cert_cn(const char *cn)
{
	struct cn_value v = {V_ASN1_UTF8STRING, cn, (int)strlen(cn)};

	return make_cert(&v, 1);
}

/* nginx $ssl_client_escaped_cert: URL-escaped like ngx_escape_uri's
 * component mode (everything but unreserved characters). */
static char *url_escape(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *p = out;

	for (; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s))
			*p++ = *s;
		else
			p += sprintf(p, "%%%02X", (unsigned char)*s);
	}
	*p = '\0';
	return out;
}

/* Every newline replaced by c (or "\n\t" when c is '\t' and tab_after). */
static char *fold(const char *s, const char *repl)
{
	char *out = malloc(strlen(s) * strlen(repl) + 1), *p = out;

	for (; *s; s++) {
		if (*s == '\n') {
			strcpy(p, repl);
			p += strlen(repl);
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	return out;
}

#endif
