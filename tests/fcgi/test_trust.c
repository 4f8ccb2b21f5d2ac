/* SPDX-License-Identifier: MIT */
/*
 * --client-ca and --client-crl (fcgi/trust.c) against a PKI made at run
 * time: what chains to the fleet CA for client authentication is accepted,
 * everything else refused with OpenSSL's reason; files that cannot be used
 * are refused at start; the CA and CRL files are reloaded when they
 * change, and while either cannot be loaded nothing is accepted.
 */
#include "../unit.h"
#include "pki.h"
#include "../../core/clock.h"
#include "../../fcgi/trust.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/autowg-trust.XXXXXX";
static char ca_path[64], crl_path[64], tmp_path[64];
static struct pki_cert root, other;

static void write_ca(void)
{
	X509 *certs[] = {root.x, NULL};

	pki_write(ca_path, certs, NULL, NULL);
}

/* crl_path atomically: a new file renamed over the old one. */
static void write_crl(X509_CRL *crl)
{
	X509_CRL *crls[] = {crl, NULL};

	pki_write(tmp_path, NULL, crls, NULL);
	assert_int_equal(rename(tmp_path, crl_path), 0);
	X509_CRL_free(crl);
}

static struct trust *load(const char *crl)
{
	char why[TRUST_WHY_MAX + 1] = "";
	struct trust *t = trust_new(ca_path, crl, why);

	if (!t)
		fail_msg("trust_new: %s", why);
	return t;
}

/* verify x: true, or false with a reason containing want */
static void expect_verify(struct trust *t, X509 *x, const char *want)
{
	const char *why = NULL;
	bool ok = trust_verify(t, x, &why);

	if (!want) {
		if (!ok)
			fail_msg("refused: %s", why);
		return;
	}
	if (ok)
		fail_msg("accepted, want refused with '%s'", want);
	if (!strstr(why, want))
		fail_msg("refused with '%s', want '%s'", why, want);
	assert_null(strchr(why, '\n'));
}

static void fleet_device_is_accepted(void **state)
{
	struct trust *t = load(NULL);
	struct pki_cert d = pki_device("1234", &root, 10);

	expect_verify(t, d.x, NULL);
	expect_verify(t, d.x, NULL); /* the context is reused */
	pki_free(&d);
	trust_free(t);
}

static void other_ca_is_refused(void **state)
{
	struct trust *t = load(NULL);
	struct pki_cert d = pki_device("1234", &other, 10);

	expect_verify(t, d.x, "unable to get local issuer certificate");
	pki_free(&d);
	trust_free(t);
}

static void self_signed_device_is_refused(void **state)
{
	struct trust *t = load(NULL);
	struct pki_cert d = pki_device("1234", NULL, 10);

	expect_verify(t, d.x, "self-signed certificate");
	pki_free(&d);
	trust_free(t);
}

/* Same name as the fleet CA, but another key: the signature decides. */
static void forged_issuer_name_is_refused(void **state)
{
	struct trust *t = load(NULL);
	struct pki_cert fake = pki_ca("root", NULL), d = pki_device("1234", &fake, 10);

	expect_verify(t, d.x, "certificate signature failure");
	pki_free(&d);
	pki_free(&fake);
	trust_free(t);
}

static void dates_are_checked(void **state)
{
	struct trust *t = load(NULL);
	struct pki_opts expired = {.eku = "clientAuth", .from = -7200, .to = -3600, .serial = 11};
	struct pki_opts future = {.eku = "clientAuth", .from = 3600, .to = 7200, .serial = 12};
	struct pki_cert e = pki_make("1234", &root, &expired), f = pki_make("1234", &root, &future);
	struct pki_cert d = pki_device("1234", &root, 13);

	expect_verify(t, e.x, "certificate has expired");
	expect_verify(t, f.x, "certificate is not yet valid");
	/* as of a day and a half from now the good one has expired too */
	trust_set_time(t, time(NULL) + 129600);
	expect_verify(t, d.x, "certificate has expired");
	pki_free(&e);
	pki_free(&f);
	pki_free(&d);
	trust_free(t);
}

static void purpose_is_client_authentication(void **state)
{
	struct trust *t = load(NULL);
	struct pki_opts server = {.eku = "serverAuth", .from = -60, .to = 3600, .serial = 20};
	struct pki_opts none = {.eku = NULL, .from = -60, .to = 3600, .serial = 21};
	struct pki_opts both = {
	    .eku = "serverAuth,clientAuth", .from = -60, .to = 3600, .serial = 22};
	struct pki_cert s = pki_make("1234", &root, &server), n = pki_make("1234", &root, &none),
			b = pki_make("1234", &root, &both);

	expect_verify(t, s.x, "unsuitable certificate purpose");
	expect_verify(t, n.x, NULL); /* no extendedKeyUsage: any purpose */
	expect_verify(t, b.x, NULL);
	pki_free(&s);
	pki_free(&n);
	pki_free(&b);
	trust_free(t);
}

/* The fleet's CA, or an intermediate CA below it, presented as a client
 * certificate (anyone can: a CA certificate is public). */
static void ca_certificate_is_never_a_device(void **state)
{
	struct pki_cert sub = pki_ca("sub", &root);
	X509 *certs[] = {root.x, sub.x, NULL};
	struct trust *t;

	pki_write(ca_path, certs, NULL, NULL);
	t = load(NULL);
	expect_verify(t, root.x, "it is a CA certificate");
	expect_verify(t, sub.x, "it is a CA certificate");
	trust_free(t);
	write_ca();
	pki_free(&sub);
}

/* At most TRUST_CHAIN_DEPTH_MAX intermediate CAs between a device and the
 * root, all in the --client-ca file (web servers pass the device's
 * certificate alone). */
static void chain_depth_is_limited(void **state)
{
	struct pki_cert i1 = pki_ca("i1", &root), i2 = pki_ca("i2", &i1), i3 = pki_ca("i3", &i2);
	struct pki_cert d2 = pki_device("1234", &i2, 30), d3 = pki_device("1234", &i3, 31);
	X509 *certs[] = {root.x, i1.x, i2.x, i3.x, NULL};
	struct trust *t;

	assert_int_equal(TRUST_CHAIN_DEPTH_MAX, 2);
	pki_write(ca_path, certs, NULL, NULL);
	t = load(NULL);
	expect_verify(t, d2.x, NULL);
	expect_verify(t, d3.x, "certificate chain too long");
	trust_free(t);
	write_ca();
	pki_free(&i1);
	pki_free(&i2);
	pki_free(&i3);
	pki_free(&d2);
	pki_free(&d3);
}

/* Several CAs in one file: a CA rotation, the old and the new fleet CA. */
static void several_cas_for_a_rotation(void **state)
{
	X509 *certs[] = {root.x, other.x, NULL};
	struct pki_cert a = pki_device("1", &root, 40), b = pki_device("2", &other, 41);
	struct trust *t;

	pki_write(ca_path, certs, NULL, NULL);
	t = load(NULL);
	expect_verify(t, a.x, NULL);
	expect_verify(t, b.x, NULL);
	trust_free(t);
	write_ca();
	pki_free(&a);
	pki_free(&b);
}

/* Each bad file: NULL, and a reason that names the file. */
static void expect_bad(const char *ca, const char *crl, const char *want)
{
	char why[TRUST_WHY_MAX + 1] = "";
	struct trust *t = trust_new(ca, crl, why);

	if (t)
		fail_msg("accepted %s / %s, want '%s'", ca, crl ? crl : "-", want);
	if (!strstr(why, want))
		fail_msg("refused with '%s', want '%s'", why, want);
	assert_null(strchr(why, '\n'));
}

static void unusable_ca_files_are_refused(void **state)
{
	struct pki_cert d = pki_device("1234", &root, 50);
	X509 *dev[] = {d.x, NULL}, *both[] = {root.x, d.x, NULL}, *ca[] = {root.x, NULL};
	X509_CRL *crl[] = {pki_crl(&root, NULL, 0, 3600), NULL};
	EVP_PKEY *key[] = {root.key, NULL};
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad.pem", dir);
	expect_bad("/nonexistent/ca.pem", NULL, "/nonexistent/ca.pem: No such file or directory");
	expect_bad(dir, NULL, "not a regular file");
	f = fopen(path, "w");
	fclose(f);
	expect_bad(path, NULL, "holds nothing in PEM");
	f = fopen(path, "w");
	fputs("hello\n", f);
	fclose(f);
	expect_bad(path, NULL, "holds nothing in PEM");
	f = fopen(path, "w");
	fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	expect_bad(path, NULL, "not PEM");
	pki_write(path, dev, NULL, NULL);
	expect_bad(path, NULL, "certificate 1 (/O=autowg test/CN=1234) is not a CA");
	pki_write(path, both, NULL, NULL);
	expect_bad(path, NULL, "certificate 2 (/O=autowg test/CN=1234) is not a CA");
	pki_write(path, ca, crl, NULL);
	expect_bad(path, NULL, "holds a CRL: give it to --client-crl");
	pki_write(path, ca, NULL, key);
	expect_bad(path, NULL, "holds a private key: keep it out of this file");
	f = fopen(path, "w");
	assert_int_equal(ftruncate(fileno(f), TRUST_FILE_MAX + 1), 0);
	fclose(f);
	expect_bad(path, NULL, "at most");
	unlink(path);
	X509_CRL_free(crl[0]);
	pki_free(&d);
}

static void unusable_crl_files_are_refused(void **state)
{
	X509 *certs[] = {root.x, NULL};
	X509_CRL *theirs[] = {pki_crl(&other, NULL, 0, 3600), NULL};
	X509_CRL *ours[] = {pki_crl(&root, NULL, 0, 3600), NULL};
	char path[96];

	snprintf(path, sizeof(path), "%s/bad.crl", dir);
	expect_bad(ca_path, "/nonexistent/ca.crl",
		   "/nonexistent/ca.crl: No such file or directory");
	pki_write(path, certs, NULL, NULL);
	expect_bad(ca_path, path, "holds a certificate: give it to --client-ca");
	pki_write(path, NULL, theirs, NULL);
	expect_bad(ca_path, path,
		   "CRL 1 (issuer /O=autowg test/CN=other) is not signed by a CA of --client-ca");
	/* a CRL with the fleet CA's name but signed by another key */
	X509_CRL_set_issuer_name(theirs[0], X509_get_subject_name(root.x));
	X509_CRL_sign(theirs[0], other.key, EVP_sha256());
	pki_write(path, NULL, theirs, NULL);
	expect_bad(ca_path, path, "is not signed by a CA of --client-ca");
	pki_write(path, NULL, ours, NULL);
	trust_free(load(path));
	unlink(path);
	X509_CRL_free(theirs[0]);
	X509_CRL_free(ours[0]);
}

/* The responder checks CRLs itself: only what it understands whole. */
static void only_complete_direct_crls(void **state)
{
	X509_CRL *delta = pki_crl(&root, NULL, 0, 3600), *idp = pki_crl(&root, NULL, 0, 3600);
	X509_CRL *two[] = {pki_crl(&root, NULL, 0, 3600), pki_crl(&root, NULL, 0, 7200), NULL};
	X509_CRL *one[] = {NULL, NULL};
	ISSUING_DIST_POINT *dp = ISSUING_DIST_POINT_new();
	ASN1_INTEGER *base = ASN1_INTEGER_new();
	char path[96];

	snprintf(path, sizeof(path), "%s/bad.crl", dir);
	ASN1_INTEGER_set(base, 1);
	assert_int_equal(X509_CRL_add1_ext_i2d(delta, NID_delta_crl, base, 1, 0), 1);
	X509_CRL_sign(delta, root.key, EVP_sha256());
	dp->onlyuser = 0xff;
	assert_int_equal(X509_CRL_add1_ext_i2d(idp, NID_issuing_distribution_point, dp, 1, 0), 1);
	X509_CRL_sign(idp, root.key, EVP_sha256());
	one[0] = delta;
	pki_write(path, NULL, one, NULL);
	expect_bad(ca_path, path, "is a delta CRL: only complete, direct CRLs");
	one[0] = idp;
	pki_write(path, NULL, one, NULL);
	expect_bad(ca_path, path, "is limited by an issuing distribution point");
	pki_write(path, NULL, two, NULL);
	expect_bad(ca_path, path,
		   "CRLs 1 and 2 are both of /O=autowg test/CN=root: keep the newest only");
	unlink(path);
	ISSUING_DIST_POINT_free(dp);
	ASN1_INTEGER_free(base);
	X509_CRL_free(delta);
	X509_CRL_free(idp);
	X509_CRL_free(two[0]);
	X509_CRL_free(two[1]);
}

static void revoked_is_refused(void **state)
{
	long revoked[] = {60};
	struct pki_cert bad = pki_device("1234", &root, 60), good = pki_device("1235", &root, 61);
	struct trust *t;

	write_crl(pki_crl(&root, revoked, 1, 3600));
	t = load(crl_path);
	expect_verify(t, bad.x, "certificate revoked");
	expect_verify(t, good.x, NULL);
	trust_free(t);
	pki_free(&bad);
	pki_free(&good);
}

/* Every CA of the chain needs its CRL, as with nginx's ssl_crl, and an
 * intermediate CA can be revoked. */
static void crl_of_every_ca_in_the_chain(void **state)
{
	struct pki_cert sub = pki_ca("sub", &root), d = pki_device("1234", &sub, 70);
	X509 *certs[] = {root.x, sub.x, NULL};
	X509_CRL *one[] = {pki_crl(&root, NULL, 0, 3600), NULL};
	X509_CRL *both[] = {one[0], pki_crl(&sub, NULL, 0, 3600), NULL};
	struct trust *t;

	pki_write(ca_path, certs, NULL, NULL);
	pki_write(crl_path, NULL, one, NULL);
	t = load(crl_path);
	expect_verify(t, d.x, "unable to get certificate CRL");
	trust_free(t);
	pki_write(crl_path, NULL, both, NULL);
	t = load(crl_path);
	expect_verify(t, d.x, NULL);
	trust_free(t);
	/* the intermediate CA revoked (serial 1) by the root's CRL */
	X509_CRL_free(both[0]);
	both[0] = pki_crl(&root, (long[]){1}, 1, 3600);
	pki_write(crl_path, NULL, both, NULL);
	t = load(crl_path);
	expect_verify(t, d.x, "certificate revoked (at depth 1)");
	trust_free(t);
	write_ca();
	X509_CRL_free(both[0]);
	X509_CRL_free(both[1]);
	pki_free(&sub);
	pki_free(&d);
}

/* Past its nextUpdate a CRL says nothing any more: its CA's certificates
 * are refused until a fresh one is in place. */
static void expired_crl_refuses_all(void **state)
{
	struct pki_cert d = pki_device("1234", &root, 80);
	struct trust *t;

	write_crl(pki_crl(&root, NULL, 0, 3600));
	t = load(crl_path);
	expect_verify(t, d.x, NULL);
	trust_set_time(t, time(NULL) + 7200);
	expect_verify(t, d.x, "CRL has expired");
	trust_free(t);
	/* loaded when already expired: it loads (the log says so), refuses */
	write_crl(pki_crl(&root, NULL, 0, -60));
	t = load(crl_path);
	expect_verify(t, d.x, "CRL has expired");
	trust_free(t);
	pki_free(&d);
}

static void crl_is_reloaded_when_it_changes(void **state)
{
	long revoked[] = {90};
	struct pki_cert d = pki_device("1234", &root, 90);
	int64_t t0 = clock_ms();
	struct trust *t;

	write_crl(pki_crl(&root, NULL, 0, 3600));
	t = load(crl_path);
	expect_verify(t, d.x, NULL);
	write_crl(pki_crl(&root, revoked, 1, 3600));
	/* not looked at again before TRUST_RELOAD_CHECK_MS */
	trust_reload_check(t, t0 + TRUST_RELOAD_CHECK_MS - 1);
	expect_verify(t, d.x, NULL);
	trust_reload_check(t, t0 + 2 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, "certificate revoked");
	/* and back */
	write_crl(pki_crl(&root, NULL, 0, 3600));
	trust_reload_check(t, t0 + 4 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, NULL);
	trust_free(t);
	pki_free(&d);
}

/* A CRL file that cannot be loaded any more (half written, gone, garbage):
 * nothing is accepted until it can be again. */
static void unreadable_crl_refuses_all(void **state)
{
	struct pki_cert d = pki_device("1234", &root, 100);
	int64_t t0 = clock_ms();
	struct trust *t;
	FILE *f;

	write_crl(pki_crl(&root, NULL, 0, 3600));
	t = load(crl_path);
	expect_verify(t, d.x, NULL);
	f = fopen(crl_path, "a");
	fputs("-----BEGIN X509 CRL-----\nAAAA\n", f);
	fclose(f);
	trust_reload_check(t, t0 + 2 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, "the CRL file cannot be loaded");
	unlink(crl_path);
	trust_reload_check(t, t0 + 4 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, "the CRL file cannot be loaded");
	write_crl(pki_crl(&root, NULL, 0, 3600));
	trust_reload_check(t, t0 + 6 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, NULL);
	trust_free(t);
	pki_free(&d);
}

/* The CA file in place of ca_path, atomically; NULL entries end it. */
static void replace_ca(X509 *a, X509 *b)
{
	X509 *certs[] = {a, b, NULL};
	char tmp[80];

	snprintf(tmp, sizeof(tmp), "%s/new.pem", dir);
	pki_write(tmp, certs, NULL, NULL);
	assert_int_equal(rename(tmp, ca_path), 0);
}

/* A CA rotation as the README does it: the new CA joins the bundle (and
 * its CRL the CRL file), then the old one leaves; the responder follows
 * both changes without a restart. */
static void ca_file_is_reloaded_when_it_changes(void **state)
{
	struct pki_cert d_old = pki_device("1234", &root, 110);
	struct pki_cert d_new = pki_device("1235", &other, 111);
	X509_CRL *both[3];
	int64_t t0 = clock_ms();
	struct trust *t;

	write_crl(pki_crl(&root, NULL, 0, 3600));
	t = load(crl_path);
	expect_verify(t, d_old.x, NULL);
	expect_verify(t, d_new.x, "unable to get local issuer certificate");
	/* both CAs, both CRLs */
	replace_ca(root.x, other.x);
	both[0] = pki_crl(&root, NULL, 0, 3600);
	both[1] = pki_crl(&other, NULL, 0, 3600);
	both[2] = NULL;
	pki_write(tmp_path, NULL, both, NULL);
	assert_int_equal(rename(tmp_path, crl_path), 0);
	X509_CRL_free(both[0]);
	X509_CRL_free(both[1]);
	trust_reload_check(t, t0 + TRUST_RELOAD_CHECK_MS - 1);
	expect_verify(t, d_new.x, "unable to get local issuer certificate");
	trust_reload_check(t, t0 + 2 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d_old.x, NULL);
	expect_verify(t, d_new.x, NULL);
	/* the old CA retired: its CRL can no longer be checked, so it goes too */
	replace_ca(other.x, NULL);
	write_crl(pki_crl(&other, NULL, 0, 3600));
	trust_reload_check(t, t0 + 4 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d_new.x, NULL);
	expect_verify(t, d_old.x, "unable to get local issuer certificate");
	trust_free(t);
	write_ca();
	pki_free(&d_old);
	pki_free(&d_new);
}

/* A CA file that cannot be loaded any more: nothing is accepted, not even
 * what the CAs loaded before would accept, until it can be again. */
static void unreadable_ca_file_refuses_all(void **state)
{
	struct pki_cert d = pki_device("1234", &root, 120);
	int64_t t0 = clock_ms();
	struct trust *t = load(NULL);
	FILE *f;

	expect_verify(t, d.x, NULL);
	f = fopen(ca_path, "a");
	fputs("-----BEGIN CERTIFICATE-----\nAAAA\n", f);
	fclose(f);
	trust_reload_check(t, t0 + 2 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, "the CA file cannot be loaded");
	write_ca();
	trust_reload_check(t, t0 + 4 * TRUST_RELOAD_CHECK_MS);
	expect_verify(t, d.x, NULL);
	trust_free(t);
	pki_free(&d);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	snprintf(crl_path, sizeof(crl_path), "%s/ca.crl", dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s/new.crl", dir);
	root = pki_ca("root", NULL);
	other = pki_ca("other", NULL);
	write_ca();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(ca_path);
	unlink(crl_path);
	unlink(tmp_path);
	rmdir(dir);
	pki_free(&root);
	pki_free(&other);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("trust: a device certificate of the fleet CA is accepted", fleet_device_is_accepted),
	    T("trust: a certificate of another CA is refused", other_ca_is_refused),
	    T("trust: a self-signed device certificate is refused", self_signed_device_is_refused),
	    T("trust: an issuer named like the fleet CA but with another key is refused",
	      forged_issuer_name_is_refused),
	    T("trust: expired and not yet valid certificates are refused", dates_are_checked),
	    T("trust: purpose sslclient: serverAuth alone is refused",
	      purpose_is_client_authentication),
	    T("trust: a CA certificate is never a device", ca_certificate_is_never_a_device),
	    T("trust: at most 2 intermediate CAs", chain_depth_is_limited),
	    T("trust: several CAs in one file (a rotation)", several_cas_for_a_rotation),
	    T("trust: a CA file that is missing, empty, not PEM, not all CAs, or too big is "
	      "refused",
	      unusable_ca_files_are_refused),
	    T("trust: a CRL file that is missing, not CRLs, or signed by another CA is refused",
	      unusable_crl_files_are_refused),
	    T("trust: only complete, direct CRLs, one per CA", only_complete_direct_crls),
	    T("trust: a revoked certificate is refused, another one is not", revoked_is_refused),
	    T("trust: with a CRL file every CA of the chain needs its CRL, and can be revoked",
	      crl_of_every_ca_in_the_chain),
	    T("trust: an expired CRL refuses every certificate of its CA", expired_crl_refuses_all),
	    T("trust: the CRL file is reloaded when it changes, not before the check interval",
	      crl_is_reloaded_when_it_changes),
	    T("trust: a CRL file that cannot be loaded any more refuses everything until it can",
	      unreadable_crl_refuses_all),
	    T("trust: the CA file is reloaded when it changes: a CA joins, a CA retires",
	      ca_file_is_reloaded_when_it_changes),
	    T("trust: a CA file that cannot be loaded any more refuses everything until it can",
	      unreadable_ca_file_refuses_all),
	};

	return cmocka_run_group_tests_name(__FILE__, tests, setup, teardown);
}
