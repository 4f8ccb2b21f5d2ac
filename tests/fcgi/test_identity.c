/* SPDX-License-Identifier: MIT */
/* Identity: SSL_CLIENT_VERIFY, then SSL_CLIENT_CERT (certificates made at run
 * time with libcrypto), else SSL_CLIENT_S_DN; nothing else, nothing twice. */
#include "request_fixture.h"
#include "certs.h"
#include "pki.h"
#include "../../core/key.h"
#include "../../fcgi/trust.h"

#include <unistd.h>

/* ---- identity ---- */

static void verify_must_be_success(void **state)
{
	struct req q;

	req_register(&q);
	req_del(&q, "SSL_CLIENT_VERIFY");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_VERIFY=NONE");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_VERIFY=FAILED:certificate has expired");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_VERIFY=success");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_VERIFY=SUCCESS ");
	expect(&q, 403, NULL);
	assert_int_equal(fake.registers, 0);
}

static void headers_are_never_identity(void **state)
{
	struct req q;

	req_register(&q);
	req_del(&q, "SSL_CLIENT_S_DN");
	req_add(&q, "HTTP_X_CLIENT_SUBJECT=CN=1234");
	req_add(&q, "HTTP_SSL_CLIENT_S_DN=CN=1234");
	req_add(&q, "REMOTE_USER=1234");
	expect(&q, 403, "no client certificate subject\n");
	assert_int_equal(fake.registers, 0);
}

static void dn_refusals(void **state)
{
	struct req q;

	req_register(&q);
	req_set(&q, "SSL_CLIENT_S_DN=CN=1234,CN=5678");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_S_DN={http.request.tls.client.subject}");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_S_DN=O=autowg test");
	expect(&q, 403, NULL);
	req_set(&q, "SSL_CLIENT_S_DN=");
	expect(&q, 403, NULL);
	assert_int_equal(fake.registers, 0);
}

static void cn_pattern_refusal_is_403(void **state)
{
	struct req q;

	fake_reply(REG_BAD_CN, NULL, "", "certificate CN does not match the CN pattern");
	req_register(&q);
	req_set(&q, "SSL_CLIENT_S_DN=CN=1234x");
	expect(&q, 403, "certificate CN does not match the CN pattern\n");
	assert_string_equal(fake.last_cn, "1234x");
}

static void cert_with_env(const char *cert, int status, const char *want_cn)
{
	char *kv = malloc(strlen(cert) + 32);
	struct req q;

	sprintf(kv, "SSL_CLIENT_CERT=%s", cert);
	req_register(&q);
	req_set(&q, "SSL_CLIENT_S_DN=CN=9999"); /* must be ignored */
	req_add(&q, kv);
	fake.last_cn[0] = '\0';
	expect(&q, status, NULL);
	if (want_cn)
		assert_string_equal(fake.last_cn, want_cn);
	free(kv);
}

static void cert_plain_pem(void **state)
{
	char *pem = make_cert_cn("1234");

	cert_with_env(pem, 200, "1234");
	free(pem);
}

static void cert_url_escaped_as_nginx(void **state)
{
	char *pem = make_cert_cn("4321"), *esc = url_escape(pem);

	cert_with_env(esc, 200, "4321");
	free(esc);
	free(pem);
}

static void cert_folded_lines(void **state)
{
	char *pem = make_cert_cn("1111"), *spaces = fold(pem, " "), *tabs = fold(pem, "\n\t"),
	     *crlf = fold(pem, "\r\n");

	cert_with_env(spaces, 200, "1111");
	cert_with_env(tabs, 200, "1111");
	cert_with_env(crlf, 200, "1111");
	free(spaces);
	free(tabs);
	free(crlf);
	free(pem);
}

static void cert_two_cns_is_403(void **state)
{
	struct cn_value two[] = {{V_ASN1_UTF8STRING, "1234", 4}, {V_ASN1_UTF8STRING, "5678", 4}};
	char *pem = make_cert(two, 2);

	cert_with_env(pem, 403, NULL);
	assert_int_equal(fake.registers, 0);
	free(pem);
}

static void cert_without_cn_is_403(void **state)
{
	char *pem = make_cert(NULL, 0);

	cert_with_env(pem, 403, NULL);
	assert_int_equal(fake.registers, 0);
	free(pem);
}

static void cert_bmpstring_cn_is_utf8(void **state)
{
	/* "dév1" in UCS-2 big-endian */
	struct cn_value bmp = {V_ASN1_BMPSTRING,
			       "\0d\0\xe9\0v\0"
			       "1",
			       8};
	char *pem = make_cert(&bmp, 1);

	cert_with_env(pem, 200, "d\xc3\xa9v1");
	free(pem);
}

static void cert_nul_in_cn_is_403(void **state)
{
	struct cn_value nul = {V_ASN1_UTF8STRING,
			       "12\0"
			       "34",
			       5};
	char *pem = make_cert(&nul, 1);

	cert_with_env(pem, 403, NULL);
	assert_int_equal(fake.registers, 0);
	free(pem);
}

static void cert_garbage_never_falls_back_to_dn(void **state)
{
	char *pem = make_cert_cn("1234"), *two = malloc(strlen(pem) * 2 + 1);

	cert_with_env("not a certificate", 403, NULL);
	cert_with_env("", 403, NULL);
	pem[40] ^= 1; /* a flipped base64 character */
	cert_with_env(pem, 403, NULL);
	pem[40] ^= 1;
	sprintf(two, "%s%s", pem, pem);
	cert_with_env(two, 403, NULL);
	strcpy(two, pem);
	strcat(two, "trailing");
	cert_with_env(two, 403, NULL);
	assert_int_equal(fake.registers, 0);
	free(two);
	free(pem);
}

static void duplicate_params_are_refused(void **state)
{
	struct req q;

	req_register(&q);
	req_add(&q, "SSL_CLIENT_S_DN=CN=5678");
	expect(&q, 403, "parameter SSL_CLIENT_S_DN given twice\n");
	req_register(&q);
	req_add(&q, "SSL_CLIENT_VERIFY=SUCCESS");
	expect(&q, 403, NULL);
	req_register(&q);
	req_add(&q, "REQUEST_URI=/v1/peers.json");
	expect(&q, 400, "parameter REQUEST_URI given twice\n");
	req_register(&q);
	req_add(&q, "CONTENT_LENGTH=44");
	expect(&q, 400, NULL);
	assert_int_equal(fake.registers, 0);
}

/* ---- with --client-ca ---- */

static struct pki_cert fleet;
static char ca_file[] = "/tmp/autowg-identity-ca.XXXXXX";

/* A registration carrying cert as nginx sends it, with --client-ca. */
static void expect_with_ca(const char *pem, int status, const char *want_body)
{
	char *esc = url_escape(pem), *kv = malloc(strlen(esc) + 32);
	struct req q;

	sprintf(kv, "SSL_CLIENT_CERT=%s", esc);
	req_register(&q);
	req_add(&q, kv);
	fake.last_cn[0] = '\0';
	expect(&q, status, want_body);
	free(kv);
	free(esc);
}

static int setup_ca(void **state)
{
	X509 *certs[] = {fleet.x, NULL};
	char why[TRUST_WHY_MAX + 1];
	int fd;

	setup(state);
	if ((fd = mkstemp(ca_file)) < 0)
		return -1;
	close(fd);
	pki_write(ca_file, certs, NULL, NULL);
	trust = trust_new(ca_file, NULL, why);
	return trust ? 0 : -1;
}

static int teardown_ca(void **state)
{
	trust_free(trust);
	trust = NULL;
	unlink(ca_file);
	strcpy(ca_file, "/tmp/autowg-identity-ca.XXXXXX");
	return teardown(state);
}

static void ca_accepts_a_fleet_certificate(void **state)
{
	struct pki_cert d = pki_device("4321", &fleet, 0x1a2b);
	char *pem = pki_pem(d.x);

	expect_with_ca(pem, 200, NULL);
	assert_string_equal(fake.last_cn, "4321");
	free(pem);
	pki_free(&d);
}

static void ca_refuses_what_the_web_server_let_through(void **state)
{
	struct pki_cert other = pki_ca("other", NULL), d = pki_device("4321", &other, 7),
			self = pki_device("4321", NULL, 8);
	char *pem = pki_pem(d.x), *self_pem = pki_pem(self.x);

	expect_with_ca(pem, 403,
		       "client certificate does not verify against --client-ca: "
		       "unable to get local issuer certificate\n");
	expect_with_ca(self_pem, 403,
		       "client certificate does not verify against --client-ca: "
		       "self-signed certificate\n");
	assert_int_equal(fake.registers, 0);
	free(pem);
	free(self_pem);
	pki_free(&d);
	pki_free(&self);
	pki_free(&other);
}

/* A subject is text anyone can write: with --client-ca it is not enough. */
static void ca_refuses_a_subject_alone(void **state)
{
	struct req q;

	req_register(&q);
	expect(&q, 403, "no client certificate to verify (SSL_CLIENT_CERT absent)\n");
	assert_int_equal(fake.registers, 0);
}

/* The audit: the certificate's serial, issuer and notAfter, the CN, the
 * helper's answer with the replaced key, and the posted key. */
static void audit_names_certificate_and_keys(void **state)
{
	struct pki_cert d = pki_device("1234", &fleet, 0x1a2b);
	char *pem = pki_pem(d.x), *esc = url_escape(pem), *kv = malloc(strlen(esc) + 32);
	uint8_t old[AWG_KEY_LEN], key[AWG_KEY_LEN];
	const char *why;
	struct response res;
	struct req q;

	memset(old, 7, sizeof(old));
	fake_reply(REG_REPLACED, "fde3:25fb:7f6c:1::1234", "1234", "");
	fake.reply.flags = REPLY_HAS_OLD_KEY;
	memcpy(fake.reply.old_key, old, AWG_KEY_LEN);
	sprintf(kv, "SSL_CLIENT_CERT=%s", esc);
	req_register(&q);
	req_add(&q, kv);
	run(&q, &res);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.reason, "registered; the new key replaced the old one");
	assert_string_equal(res.audit.cn, "1234");
	assert_string_equal(res.audit.name, "1234");
	assert_string_equal(res.audit.result, "replaced");
	assert_int_equal(res.audit.flags,
			 AUDIT_REGISTER | AUDIT_HAS_KEY | AUDIT_HAS_ADDR | AUDIT_HAS_OLD_KEY);
	assert_memory_equal(res.audit.old_key, old, AWG_KEY_LEN);
	assert_true(key_parse(KEY_A, strlen(KEY_A), key, &why));
	assert_memory_equal(res.audit.key, key, AWG_KEY_LEN);
	assert_string_equal(res.audit.cert.serial, "1A2B");
	assert_string_equal(res.audit.cert.issuer, "CN=fleet,O=autowg test");
	assert_int_equal(strlen(res.audit.cert.not_after), 20);
	assert_int_equal(res.audit.cert.not_after[19], 'Z');
	response_free(&res);
	/* refused by the CA check: the certificate is still named */
	fake_reply(REG_OK, "fde3:25fb:7f6c:1::1234", "1234", "registered");
	pki_free(&d);
	d = pki_device("1234", NULL, 0x99);
	free(pem);
	free(esc);
	pem = pki_pem(d.x);
	esc = url_escape(pem);
	kv = realloc(kv, strlen(esc) + 32);
	sprintf(kv, "SSL_CLIENT_CERT=%s", esc);
	req_register(&q);
	req_add(&q, kv);
	run(&q, &res);
	assert_int_equal(res.status, 403);
	assert_string_equal(res.audit.cn, "");
	assert_string_equal(res.audit.cert.serial, "99");
	assert_string_equal(res.audit.cert.issuer, "CN=1234,O=autowg test");
	assert_int_equal(res.audit.flags, AUDIT_REGISTER);
	response_free(&res);
	free(kv);
	free(esc);
	free(pem);
	pki_free(&d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(verify_must_be_success),
	    T(headers_are_never_identity),
	    T(dn_refusals),
	    T(cn_pattern_refusal_is_403),
	    T(cert_plain_pem),
	    T(cert_url_escaped_as_nginx),
	    T(cert_folded_lines),
	    T(cert_two_cns_is_403),
	    T(cert_without_cn_is_403),
	    T(cert_bmpstring_cn_is_utf8),
	    T(cert_nul_in_cn_is_403),
	    T(cert_garbage_never_falls_back_to_dn),
	    T(duplicate_params_are_refused),
	    cmocka_unit_test_setup_teardown(ca_accepts_a_fleet_certificate, setup_ca, teardown_ca),
	    cmocka_unit_test_setup_teardown(ca_refuses_what_the_web_server_let_through, setup_ca,
					    teardown_ca),
	    cmocka_unit_test_setup_teardown(ca_refuses_a_subject_alone, setup_ca, teardown_ca),
	    cmocka_unit_test_setup_teardown(audit_names_certificate_and_keys, setup_ca,
					    teardown_ca),
	};

	if (fake_start(64)) {
		perror("fake helper");
		return 1;
	}
	fleet = pki_ca("fleet", NULL);
	atexit(cleanup);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
