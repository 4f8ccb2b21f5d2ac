/* SPDX-License-Identifier: MIT */
/* Identity: SSL_CLIENT_VERIFY, then SSL_CLIENT_CERT (certificates made at run
 * time with libcrypto), else SSL_CLIENT_S_DN; nothing else, nothing twice. */
#include "request_fixture.h"
#include "certs.h"

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
	};

	if (fake_start(64)) {
		perror("fake helper");
		return 1;
	}
	atexit(cleanup);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
