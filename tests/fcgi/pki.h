/* SPDX-License-Identifier: MIT */
/* A small PKI made at run time with libcrypto: CAs, device certificates
 * with any dates and purposes, CRLs, and PEM files of them. */
#ifndef AUTOWG_TESTS_PKI_H
#define AUTOWG_TESTS_PKI_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pki_cert {
	X509 *x;
	EVP_PKEY *key;
};

struct pki_opts {
	bool ca;
	const char *eku; /* extendedKeyUsage value, or NULL for none */
	long from, to;	 /* validity, seconds from now */
	long serial;
};

__attribute__((unused)) static EVP_PKEY *pki_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (!k)
		abort();
	return k;
}

__attribute__((unused)) static void pki_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e || !X509_add_ext(x, e, -1))
		abort();
	X509_EXTENSION_free(e);
}

/* A certificate for cn signed by issuer (NULL: self-signed). */
__attribute__((unused)) static struct pki_cert
pki_make(const char *cn, const struct pki_cert *issuer, const struct pki_opts *o)
{
	struct pki_cert c = {X509_new(), pki_key()};
	X509_NAME *name;

	if (!c.x)
		abort();
	X509_set_version(c.x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.x), o->serial);
	X509_gmtime_adj(X509_getm_notBefore(c.x), o->from);
	X509_gmtime_adj(X509_getm_notAfter(c.x), o->to);
	X509_set_pubkey(c.x, c.key);
	name = X509_get_subject_name(c.x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"autowg test",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c.x, issuer ? X509_get_subject_name(issuer->x) : name);
	pki_ext(c.x, issuer ? issuer->x : c.x, NID_basic_constraints,
		o->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	pki_ext(c.x, issuer ? issuer->x : c.x, NID_key_usage,
		o->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (o->eku)
		pki_ext(c.x, issuer ? issuer->x : c.x, NID_ext_key_usage, o->eku);
	if (!X509_sign(c.x, issuer ? issuer->key : c.key, EVP_sha256()))
		abort();
	return c;
}

__attribute__((unused)) static struct pki_cert pki_ca(const char *cn, const struct pki_cert *issuer)
{
	struct pki_opts o = {.ca = true, .from = -3600, .to = 86400, .serial = 1};

	return pki_make(cn, issuer, &o);
}

/* A device certificate: clientAuth, valid from an hour ago for a day. */
__attribute__((unused)) static struct pki_cert pki_device(const char *cn, const struct pki_cert *ca,
							  long serial)
{
	struct pki_opts o = {.eku = "clientAuth", .from = -3600, .to = 86400, .serial = serial};

	return pki_make(cn, ca, &o);
}

__attribute__((unused)) static void pki_free(struct pki_cert *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->key);
	c->x = NULL;
	c->key = NULL;
}

/* A CRL of ca revoking the serials, valid from an hour ago until next
 * seconds from now. */
__attribute__((unused)) static X509_CRL *pki_crl(const struct pki_cert *ca, const long *serials,
						 int n, long next)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	int i;

	if (!crl || !t)
		abort();
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->x));
	X509_gmtime_adj(t, -3600);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, next);
	X509_CRL_set1_nextUpdate(crl, t);
	for (i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		X509_gmtime_adj(t, -60);
		ASN1_INTEGER_set(sn, serials[i]);
		X509_REVOKED_set_serialNumber(r, sn);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(crl, r);
		ASN1_INTEGER_free(sn);
	}
	X509_CRL_sort(crl);
	if (!X509_CRL_sign(crl, ca->key, EVP_sha256()))
		abort();
	ASN1_TIME_free(t);
	return crl;
}

/* PEM file of certificates (NULL-terminated), then CRLs, then keys. */
__attribute__((unused)) static void pki_write(const char *path, X509 *const *certs,
					      X509_CRL *const *crls, EVP_PKEY *const *keys)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	for (; certs && *certs; certs++)
		PEM_write_X509(f, *certs);
	for (; crls && *crls; crls++)
		PEM_write_X509_CRL(f, *crls);
	for (; keys && *keys; keys++)
		PEM_write_PrivateKey(f, *keys, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* The certificate as PEM text, malloc'd. */
__attribute__((unused)) static char *pki_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	if (!b || !PEM_write_bio_X509(b, x))
		abort();
	len = BIO_get_mem_data(b, &data);
	out = malloc((size_t)len + 1);
	memcpy(out, data, (size_t)len);
	out[len] = '\0';
	BIO_free(b);
	return out;
}

#endif
