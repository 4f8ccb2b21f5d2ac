/* SPDX-License-Identifier: MIT */
/*
 * cert-cost: what the responder spends on one client certificate, step by
 * step, in process: the certificate as nginx passes it (URL-escaped PEM)
 * decoded (cert_parse: the framing and d2i_X509), its CN (cert_cn_of), the
 * audit fields (cert_describe), the chain check with --client-ca
 * (trust_verify) and with --client-ca and --client-crl, and the whole of
 * identity_cn both ways. RUNS rounds of N calls each, in microseconds per
 * call, one line per step: "NAME US..." (one figure per round).
 *   cert-cost CA_PEM CRL_PEM CERT_ESCAPED [N [RUNS]]
 * Not a test: nothing here judges the time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../fcgi/identity.h"
#include "../fcgi/log.h"
#include "../fcgi/trust.h"

#define RUNS_MAX 15

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

enum step { PARSE, CN, DESCRIBE, VERIFY, VERIFY_CRL, IDENTITY, IDENTITY_CA, N_STEPS };
static const char *const names[N_STEPS] = {"parse",	 "cn",	     "describe",   "verify",
					   "verify_crl", "identity", "identity_ca"};

struct ctx {
	const char *text;
	char *env[3];
	struct trust *ca, *ca_crl;
	X509 *x;
};

__attribute__((noreturn)) static void fail(const char *what, const char *why)
{
	fprintf(stderr, "cert-cost: %s: %s\n", what, why);
	exit(1);
}

static void one(struct ctx *c, enum step s)
{
	char cn[AWG_CN_MAX + 1];
	struct cert_info info;
	const char *why = "";
	X509 *x;

	switch (s) {
	case PARSE:
		if (!(x = cert_parse(c->text, strlen(c->text), &why)))
			fail("cert_parse", why);
		X509_free(x);
		break;
	case CN:
		if (!cert_cn_of(c->x, cn, &why))
			fail("cert_cn_of", why);
		break;
	case DESCRIBE:
		cert_describe(c->x, &info);
		break;
	case VERIFY:
	case VERIFY_CRL:
		if (!trust_verify(s == VERIFY ? c->ca : c->ca_crl, c->x, &why))
			fail("trust_verify", why);
		break;
	case IDENTITY:
	case IDENTITY_CA:
		if (!identity_cn(c->env, s == IDENTITY ? NULL : c->ca_crl, cn, &info, &why))
			fail("identity_cn", why);
		break;
	case N_STEPS:
		break;
	}
}

int main(int argc, char **argv)
{
	static char verify[] = "SSL_CLIENT_VERIFY=SUCCESS";
	char why[TRUST_WHY_MAX + 1], *kv;
	double t[RUNS_MAX], t0;
	const char *err = "";
	struct ctx c;
	FILE *f;
	long size = 0;
	int n, runs, i, r, s;

	if (argc < 4)
		fail("usage", "cert-cost CA_PEM CRL_PEM CERT_ESCAPED [N [RUNS]]");
	n = argc > 4 ? atoi(argv[4]) : 2000;
	runs = argc > 5 ? atoi(argv[5]) : 5;
	if (n < 1 || runs < 1 || runs > RUNS_MAX)
		fail("usage", "N >= 1, 1 <= RUNS <= 15");
	fcgi_log_init(FCGI_LOG_STDERR);
	if (!(f = fopen(argv[3], "r")) || fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0)
		fail(argv[3], "cannot read");
	rewind(f);
	kv = calloc(1, (size_t)size + 32);
	strcpy(kv, "SSL_CLIENT_CERT=");
	if (fread(kv + 16, 1, (size_t)size, f) != (size_t)size)
		fail(argv[3], "cannot read");
	fclose(f);
	c.text = kv + 16;
	c.env[0] = verify;
	c.env[1] = kv;
	c.env[2] = NULL;
	if (!(c.ca = trust_new(argv[1], NULL, why)) ||
	    !(c.ca_crl = trust_new(argv[1], argv[2], why)))
		fail("trust_new", why);
	if (!(c.x = cert_parse(c.text, strlen(c.text), &err)))
		fail("cert_parse", err);
	for (s = 0; s < N_STEPS; s++) {
		for (i = 0; i < n / 10 + 1; i++) /* warm up */
			one(&c, (enum step)s);
		for (r = 0; r < runs; r++) {
			t0 = now_us();
			for (i = 0; i < n; i++)
				one(&c, (enum step)s);
			t[r] = (now_us() - t0) / n;
		}
		printf("%s", names[s]);
		for (r = 0; r < runs; r++)
			printf(" %.1f", t[r]);
		printf("\n");
	}
	X509_free(c.x);
	trust_free(c.ca);
	trust_free(c.ca_crl);
	free(kv);
	return 0;
}
