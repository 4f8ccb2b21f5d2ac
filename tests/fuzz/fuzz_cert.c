/* SPDX-License-Identifier: MIT */
/*
 * cert_cn (fcgi/cert.c): the client certificate a web server passes, to its
 * CN; and with --client-ca, its verification (fcgi/trust.c) and the whole
 * identity of a request (identity_cn). First byte 0: the rest is the
 * parameter's text as it is. Otherwise the rest is DER, framed here as PEM
 * the ways servers spell it (lighttpd/Caddy plain, nginx
 * $ssl_client_escaped_cert, old nginx $ssl_client_cert with a tab after each
 * newline), so mutations reach the X.509 parser and the chain check. The
 * trust store is a fixed fuzz fleet (below): the seeds der-ca-* are
 * signed by it, so mutations of them get past the issuer lookup.
 * Invariants: an accepted CN is 1..AWG_CN_MAX bytes and passes cn_check; the
 * three framings of the same DER give the same answer; a verified
 * certificate is signed by a CA of the store, for client authentication,
 * within its dates as of the fixed time, not a CA, not revoked, and the
 * same certificate verifies the same way twice; identity_cn with --client-ca
 * accepts exactly what verifies and has a CN, and describes it in
 * printable, bounded text.
 */
#include "fuzz.h"
#include "../../core/dn.h"
#include "../../fcgi/identity.h"
#include "../../fcgi/request.h"
#include "../../fcgi/trust.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <unistd.h>

#define FUZZ_DER_MAX 4096 /* escaped, 4 kB of DER stays inside FCGI_CERT_TEXT_MAX */
#define PEM_LINE     64

enum framing { PLAIN, ESCAPED, TABBED, N_FRAMINGS };

/* The fuzz fleet, made once with python3-cryptography (keys thrown away):
 * a CA valid 2020-2120 and an intermediate CA below it, each with a CRL
 * (the CA's revokes serial 666), checked as of 2030-01-01. */
static const char fleet_pem[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBcTCCARagAwIBAgIBATAKBggqhkjOPQQDAjAuMRQwEgYDVQQKDAthdXRvd2cg\n"
				"ZnV6ejEWMBQGA1UEAwwNZnV6eiBmbGVldCBDQTAgFw0yMDAxMDEwMDAwMDBaGA8y\n"
				"MTIwMDEwMTAwMDAwMFowLjEUMBIGA1UECgwLYXV0b3dnIGZ1enoxFjAUBgNVBAMM\n"
				"DWZ1enogZmxlZXQgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQS4EnUJWxJ\n"
				"h78xcpz2AUSpUnEqHe3fk7EPJJt8hklrqTbFpxG6hacNnF/xronxbJ2RQrzVDLE0\n"
				"ac9WCHjflvwSoyMwITAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAK\n"
				"BggqhkjOPQQDAgNJADBGAiEA7bxQDv0Dvf+wXO68qXOkkl5+MLMZI5Wfr6pfvXRS\n"
				"GxECIQDypCHIMNHozjPstu9IxqoxilGavoX7+yIXDi/yWtoX0A==\n"
				"-----END CERTIFICATE-----\n"
				"-----BEGIN CERTIFICATE-----\n"
				"MIIBdDCCARqgAwIBAgIBAjAKBggqhkjOPQQDAjAuMRQwEgYDVQQKDAthdXRvd2cg\n"
				"ZnV6ejEWMBQGA1UEAwwNZnV6eiBmbGVldCBDQTAgFw0yMDAxMDEwMDAwMDBaGA8y\n"
				"MTIwMDEwMTAwMDAwMFowMjEUMBIGA1UECgwLYXV0b3dnIGZ1enoxGjAYBgNVBAMM\n"
				"EWZ1enogaW50ZXJtZWRpYXRlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEUOYe\n"
				"8GfXqbuvceuOJjrFez0c0Vybroz+9iVqrLR17paOXgUwzmWm5gbg4xISfQaleOkt\n"
				"KNiRJjXAs8MsdHWrUaMjMCEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMC\n"
				"AQYwCgYIKoZIzj0EAwIDSAAwRQIgVkcuyhOMqO5rBIt+hOdo5Zrb1ou7OrjMIgrJ\n"
				"gS0OdD4CIQCgl2+I57kwSD74ih2DVCvkFeJQuMOifn+mzICtgcNRpg==\n"
				"-----END CERTIFICATE-----\n";
static const char crl_pem[] = "-----BEGIN X509 CRL-----\n"
			      "MIHNMHYCAQEwCgYIKoZIzj0EAwIwLjEUMBIGA1UECgwLYXV0b3dnIGZ1enoxFjAU\n"
			      "BgNVBAMMDWZ1enogZmxlZXQgQ0EXDTIwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAw\n"
			      "MDAwWjAVMBMCAgKaFw0yMTAxMDEwMDAwMDBaMAoGCCqGSM49BAMCA0cAMEQCIHOX\n"
			      "Y41w9VxhzYIvDq2nvSip/G4bQnZiYpojPrm+LIfbAiApR1yHupI78EEy2VCHHqJA\n"
			      "IfNoNlN3tvnPGblrjsPPIw==\n"
			      "-----END X509 CRL-----\n"
			      "-----BEGIN X509 CRL-----\n"
			      "MIG7MGMCAQEwCgYIKoZIzj0EAwIwMjEUMBIGA1UECgwLYXV0b3dnIGZ1enoxGjAY\n"
			      "BgNVBAMMEWZ1enogaW50ZXJtZWRpYXRlFw0yMDAxMDEwMDAwMDBaGA8yMTAwMDEw\n"
			      "MTAwMDAwMFowCgYIKoZIzj0EAwIDSAAwRQIgcZkSma65GjgTRov321eLE7/v2yn6\n"
			      "jQR4+E3yDZN9DE0CIQDisx2CxMtE82f+rEPJqy30BVAHHSAe9BWAVhPSXPX2WQ==\n"
			      "-----END X509 CRL-----\n";
#define FUZZ_TIME    1893456000 /* 2030-01-01T00:00:00Z */
#define FUZZ_REVOKED 666

static struct trust *trust;
static STACK_OF(X509) * cas;
static char ca_path[] = "/tmp/fuzz_cert-ca.XXXXXX", crl_path[] = "/tmp/fuzz_cert-crl.XXXXXX";

static void write_tmp(char *path, const char *text)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd))
		abort();
}

static void remove_tmp(void)
{
	unlink(ca_path);
	unlink(crl_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[TRUST_WHY_MAX + 1];
	BIO *b = BIO_new_mem_buf(fleet_pem, -1);
	X509 *x;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || !b || !(cas = sk_X509_new_null()))
		abort();
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		sk_X509_push(cas, x);
	BIO_free(b);
	/* the files stay while the fuzzer runs: the CRL file is looked at */
	write_tmp(ca_path, fleet_pem);
	write_tmp(crl_path, crl_pem);
	atexit(remove_tmp);
	if (sk_X509_num(cas) != 2 || !(trust = trust_new(ca_path, crl_path, why))) {
		fprintf(stderr, "fuzz_cert: the fuzz fleet does not load: %s\n", why);
		abort();
	}
	trust_set_time(trust, FUZZ_TIME);
	return 0;
}

/* The CA of the store that issued and signed x, or NULL. */
static X509 *signer_of(X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(cas); i++) {
		X509 *ca = sk_X509_value(cas, i);

		if (X509_check_issued(ca, x) == X509_V_OK &&
		    X509_verify(x, X509_get0_pubkey(ca)) == 1)
			return ca;
	}
	return NULL;
}

static bool printable(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return n < size;
}

/* --client-ca on the certificate in pem, and identity_cn on the request
 * that carries it. */
static void check_verify(const char *pem, size_t len)
{
	char cn[AWG_CN_MAX + 1], cn2[AWG_CN_MAX + 1], *kv;
	const char *why = NULL, *why2 = NULL, *env[3];
	time_t at = FUZZ_TIME;
	struct cert_info info;
	X509 *x, *ca;
	bool ok, ok2, id, has_cn;

	if (!(x = cert_parse(pem, len, &why)))
		return;
	ok = trust_verify(trust, x, &why);
	ok2 = trust_verify(trust, x, &why2);
	FUZZ_CHECK(ok == ok2, "verified %d, then %d", ok, ok2);
	if (!ok)
		FUZZ_CHECK(why && *why && !strchr(why, '\n'), "refused without a one-line reason");
	if (ok) {
		ca = signer_of(x);
		FUZZ_CHECK(ca, "verified a certificate no CA of the store signed");
		FUZZ_CHECK(!X509_check_ca(x), "verified a CA certificate");
		FUZZ_CHECK(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0) == 1,
			   "verified a certificate that is not for client authentication");
		FUZZ_CHECK(X509_cmp_time(X509_get0_notBefore(x), &at) < 0 &&
			       X509_cmp_time(X509_get0_notAfter(x), &at) > 0,
			   "verified a certificate outside its dates");
		FUZZ_CHECK(ca != sk_X509_value(cas, 0) ||
			       ASN1_INTEGER_get(X509_get0_serialNumber(x)) != FUZZ_REVOKED,
			   "verified the revoked certificate");
	}
	has_cn = cert_cn_of(x, cn, &why);
	kv = malloc(len + 32);
	if (!kv)
		abort();
	snprintf(kv, len + 32, "SSL_CLIENT_CERT=%.*s", (int)len, pem);
	env[0] = "SSL_CLIENT_VERIFY=SUCCESS";
	env[1] = kv;
	env[2] = NULL;
	id = identity_cn((char *const *)env, trust, cn2, &info, &why);
	FUZZ_CHECK(id == (ok && has_cn), "identity %d, but verified %d and CN %d", id, ok, has_cn);
	FUZZ_CHECK(!id || !strcmp(cn, cn2), "identity CN %s, certificate CN %s", cn2, cn);
	FUZZ_CHECK(printable(info.serial, sizeof(info.serial)) && info.serial[0] &&
		       printable(info.issuer, sizeof(info.issuer)) &&
		       printable(info.not_after, sizeof(info.not_after)),
		   "the certificate described in unprintable or unbounded text");
	free(kv);
	X509_free(x);
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
		if (!memchr(data + 1, 0, size - 1))
			check_verify((const char *)data + 1, size - 1);
		goto out;
	}
	if (size - 1 > FUZZ_DER_MAX)
		goto out;
	for (f = 0; f < N_FRAMINGS; f++) {
		pem = frame(data + 1, size - 1, (enum framing)f, &len);
		FUZZ_CHECK(len <= FCGI_CERT_TEXT_MAX, "framed PEM of %zu bytes", len);
		ok[f] = check(pem, len, cn[f]);
		if (f == PLAIN)
			check_verify(pem, len);
		free(pem);
		FUZZ_CHECK(ok[f] == ok[0] && (!ok[f] || !strcmp(cn[f], cn[0])),
			   "framing %d answers differently from plain PEM", f);
	}
out:
	for (f = 0; f < N_FRAMINGS; f++)
		free(cn[f]);
	return 0;
}
