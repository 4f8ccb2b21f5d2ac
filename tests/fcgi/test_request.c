/* SPDX-License-Identifier: MIT */
/* The responder's request handling through handle() against a fake helper:
 * routing, bodies, the helper's verdicts and failures, peers.json. */
#include "request_fixture.h"

/* ---- routing ---- */

static void register_answers_five_lines(void **state)
{
	struct req q;

	req_register(&q);
	expect(&q, 200, FIVE_LINES);
	assert_string_equal(fake.last_cn, "1234");
}

static void register_sends_the_key(void **state)
{
	uint8_t want[AWG_KEY_LEN];
	const char *why;
	struct req q;

	req_register(&q);
	req_body(&q, "  " KEY_B "\r\n");
	expect(&q, 200, NULL);
	assert_true(key_parse(KEY_B, strlen(KEY_B), want, &why));
	assert_memory_equal(fake.last_key, want, AWG_KEY_LEN);
}

static void query_string_is_ignored(void **state)
{
	struct req q;

	req_register(&q);
	req_set(&q, "REQUEST_URI=/v1/register?x=1");
	expect(&q, 200, FIVE_LINES);
}

static void prefix_from_the_table(void **state)
{
	struct req q;

	fake_settings("/autowg/", 1);
	req_register(&q);
	expect(&q, 404, "not found\n");
	req_set(&q, "REQUEST_URI=/autowg/v1/register");
	expect(&q, 200, FIVE_LINES);
}

static void cgi_path_without_request_uri(void **state)
{
	struct req q;

	req_register(&q);
	req_del(&q, "REQUEST_URI");
	req_add(&q, "SCRIPT_NAME=/v1");
	req_add(&q, "PATH_INFO=/register");
	expect(&q, 200, FIVE_LINES);
}

static void unknown_path_is_404(void **state)
{
	struct req q;

	req_register(&q);
	req_set(&q, "REQUEST_URI=/v1/registerx");
	expect(&q, 404, NULL);
	req_set(&q, "REQUEST_URI=/v2/register");
	expect(&q, 404, NULL);
	assert_int_equal(fake.registers, 0);
}

static void escaped_or_dotted_path_is_400(void **state)
{
	struct req q;

	req_register(&q);
	req_set(&q, "REQUEST_URI=/v1/%72egister");
	expect(&q, 400, "request path has %-escapes\n");
	req_set(&q, "REQUEST_URI=/x/../v1/register");
	expect(&q, 400, "request path has dot segments\n");
	req_set(&q, "REQUEST_URI=v1/register");
	expect(&q, 400, NULL);
	assert_int_equal(fake.registers, 0);
}

static void get_on_register_is_405_with_allow(void **state)
{
	struct response res;
	char hdr[512];
	struct req q;

	req_register(&q);
	req_set(&q, "REQUEST_METHOD=GET");
	run(&q, &res);
	assert_int_equal(res.status, 405);
	assert_string_equal(res.allow, "POST");
	assert_true(response_header(&res, hdr, sizeof(hdr)) > 0);
	assert_string_equal(hdr, "Status: 405 Method Not Allowed\r\n"
				 "Content-Type: text/plain; charset=UTF-8\r\n"
				 "Content-Length: 29\r\nAllow: POST\r\n\r\n");
	response_free(&res);
}

/* ---- bodies ---- */

static void content_length_required(void **state)
{
	struct req q;

	req_register(&q);
	req_del(&q, "CONTENT_LENGTH");
	expect(&q, 411, NULL);
	req_set(&q, "CONTENT_LENGTH=");
	expect(&q, 411, NULL);
	req_set(&q, "CONTENT_LENGTH=abc");
	expect(&q, 400, NULL);
	req_set(&q, "CONTENT_LENGTH=-1");
	expect(&q, 400, NULL);
	req_set(&q, "CONTENT_LENGTH=+44");
	expect(&q, 400, NULL);
}

static void big_body_is_413_unread(void **state)
{
	struct req q;

	req_register(&q);
	req_set(&q, "CONTENT_LENGTH=2000");
	expect(&q, 413, NULL);
	assert_int_equal(q.body.pos, 0);
	req_set(&q, "CONTENT_LENGTH=99999999999999999999999999");
	expect(&q, 413, NULL);
	req_set(&q, "CONTENT_LENGTH=1025");
	expect(&q, 413, NULL);
	assert_int_equal(q.body.pos, 0);
}

static void short_body_is_400(void **state)
{
	struct req q;

	req_register(&q);
	req_set(&q, "CONTENT_LENGTH=50");
	expect(&q, 400, "body shorter than Content-Length\n");
}

static void malformed_keys_are_400(void **state)
{
	static const char *bad[] = {
	    "mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwnE=",   /* short */
	    "mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwnE4=A", /* long */
	    "mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwn!4=",  /* not base64 */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* all zero */
	    "",
	};
	struct req q;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_register(&q);
		req_body(&q, bad[i]);
		expect(&q, 400, NULL);
	}
	assert_int_equal(fake.registers, 0);
}

/* ---- the helper's verdicts ---- */

static void helper_conflicts(void **state)
{
	struct req q;

	req_register(&q);
	fake_reply(REG_KEY_TAKEN, NULL, "5678", "public key is registered to device 5678");
	expect(&q, 409, "public key is registered to device 5678\n");
	req_register(&q);
	fake_reply(REG_KEY_STATIC, NULL, "", "two\nlines");
	expect(&q, 409, "public key belongs to a static peer\n");
	req_register(&q);
	fake_reply(REG_BAD_NAME, NULL, "", "");
	expect(&q, 422, "name cannot be mapped to an address\n");
	req_register(&q);
	fake_reply(REG_FULL, NULL, "", "");
	expect(&q, 503, NULL);
}

static void helper_rate_limited_is_429_with_retry_after(void **state)
{
	char hdr[1024];
	struct response res;
	struct req q;

	req_register(&q);
	fake_reply(REG_RATE_LIMITED, NULL, "1234", "key changed too recently: retry in 7 s");
	fake.reply.retry_after = 7;
	run(&q, &res);
	assert_int_equal(res.status, 429);
	assert_int_equal(res.retry_after, 7);
	assert_true(response_header(&res, hdr, sizeof(hdr)) > 0);
	assert_non_null(strstr(hdr, "Status: 429 Too Many Requests\r\n"));
	assert_non_null(strstr(hdr, "\r\nRetry-After: 7\r\n"));
	assert_int_equal(res.body_len, strlen("key changed too recently: retry in 7 s\n"));
	response_free(&res);
	/* no other answer carries one */
	req_register(&q);
	fake_reply(REG_KEY_TAKEN, NULL, "5678", "");
	run(&q, &res);
	assert_int_equal(res.status, 409);
	assert_true(response_header(&res, hdr, sizeof(hdr)) > 0);
	assert_null(strstr(hdr, "Retry-After"));
	response_free(&res);
}

/* A wait where none belongs, none where one does, or more than a day: the
 * helper is not speaking the protocol. */
static void helper_bad_retry_after_is_503(void **state)
{
	static const struct {
		uint32_t result, retry_after;
	} bad[] = {{REG_RATE_LIMITED, 0},
		   {REG_KEY_TAKEN, 3},
		   {REG_OK, 3},
		   {REG_RATE_LIMITED, AWG_REKEY_INTERVAL_MAX + 1}};
	struct req q;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_register(&q);
		fake_reply(bad[i].result, "fde3:25fb:7f6c:1::1234", "1234", "");
		fake.reply.retry_after = bad[i].retry_after;
		expect(&q, 503, NULL);
	}
}

static void helper_nonsense_is_503(void **state)
{
	struct req q;

	req_register(&q);
	fake_reply(REG_RESULT_COUNT, NULL, "", "");
	expect(&q, 503, NULL);
	req_register(&q);
	fake_reply(REG_OK, "fde3:25fb:7f6c:2::1", "1234", "");
	expect(&q, 503, "helper answered an address outside the pool\n");
	req_register(&q);
	fake_reply(REG_OK, "fde3:25fb:7f6c:1::1234", "1234", "");
	fake_set_mode(FAKE_SHORT_REPLY);
	expect(&q, 503, NULL);
}

/* The helper alone knows whether its interface is up, and answers (and
 * counts) REG_UNAVAILABLE: the responder asks it whatever the settings say. */
static void interface_down_is_503_from_the_helper(void **state)
{
	struct req q;

	fake_settings("/", 0);
	fake_reply(REG_UNAVAILABLE, NULL, "", "WireGuard interface unavailable");
	req_register(&q);
	expect(&q, 503, "WireGuard interface unavailable\n");
	assert_int_equal(fake.registers, 1);
}

static void helper_absent_is_503_at_once(void **state)
{
	struct helper none;
	struct response res;
	struct timespec a, b;
	struct req q;
	struct request r;

	assert_true(helper_init(&none, "/tmp/autowg-no-such-dir/helper.sock"));
	req_register(&q);
	r.env = q.env;
	r.body.read = body_read_fn;
	r.body.ctx = &q.body;
	clock_gettime(CLOCK_MONOTONIC, &a);
	handle(&auth, NULL, &none, &r, &res);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(res.status, 503);
	assert_true(b.tv_sec - a.tv_sec < 1);
	response_free(&res);
	helper_close(&none);
}

static void helper_stuck_is_503_within_a_second(void **state)
{
	struct timespec a, b;
	struct req q;
	double took;

	fake_set_mode(FAKE_SILENT);
	req_register(&q);
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect(&q, 503, "helper did not answer in time\n");
	clock_gettime(CLOCK_MONOTONIC, &b);
	took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (took >= 1.0 || took < 0.5)
		fail_msg("stuck helper answered after %.3f s", took);
}

static void helper_restart_reconnects_in_the_same_request(void **state)
{
	struct req q;
	int before = fake.connections;

	fake_set_mode(FAKE_CLOSE_ONCE);
	fake.connections = 0; /* the mode keys on the connection number */
	req_register(&q);
	expect(&q, 200, FIVE_LINES);
	assert_int_equal(fake.connections, 2);
	/* and the new connection is kept for the next request */
	req_register(&q);
	expect(&q, 200, FIVE_LINES);
	assert_int_equal(fake.connections, 2);
	(void)before;
}

static void helper_gone_between_requests_reconnects(void **state)
{
	struct req q;
	int closes, i;

	/* The helper answers, then its connection goes (a restart between
	 * requests). The next request comes well inside the responder's
	 * 100 ms without a liveness poll: its send fails, and it must go
	 * again on a new connection instead of failing. */
	fake_set_mode(FAKE_ANSWER_CLOSE);
	fake.connections = 0;
	pthread_mutex_lock(&fake.lock);
	closes = fake.closes;
	pthread_mutex_unlock(&fake.lock);
	req_register(&q);
	expect(&q, 200, FIVE_LINES);
	for (i = 0; i < 1000; i++) {
		pthread_mutex_lock(&fake.lock);
		if (fake.closes > closes)
			i = 1000;
		pthread_mutex_unlock(&fake.lock);
		usleep(100);
	}
	assert_true(fake.closes > closes);
	req_register(&q);
	expect(&q, 200, FIVE_LINES);
	assert_int_equal(fake.connections, 2);
	assert_int_equal(fake.registers, 2);
}

static void bad_hellos_are_503(void **state)
{
	enum fake_mode modes[] = {FAKE_HELLO_VERSION, FAKE_HELLO_NO_FD, FAKE_HELLO_TWO_FDS,
				  FAKE_HELLO_UNSEALED, FAKE_HELLO_BIG};
	struct req q;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fake_set_mode(modes[i]);
		req_register(&q);
		expect(&q, 503, "helper unavailable\n");
		assert_int_equal(h.fd, -1);
	}
	assert_int_equal(fake.registers, 0);
}

/* ---- peers.json ---- */

static void peers_request(struct req *q, const char *method, const char *authz)
{
	memset(q, 0, sizeof(*q));
	req_add(q, "REQUEST_URI=/v1/peers.json");
	req_add(q, method);
	if (authz)
		req_add(q, authz);
}

static void peers_disabled_is_404(void **state)
{
	struct req q;

	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==");
	expect(&q, 404, NULL);
}

static void peers_credentials(void **state)
{
	struct response res;
	const char *why;
	char hdr[512];
	struct req q;

	assert_true(auth_init(&auth, "user:pw", &why));
	peers_request(&q, "REQUEST_METHOD=GET", NULL);
	run(&q, &res);
	assert_int_equal(res.status, 401);
	assert_true(res.www_authenticate);
	assert_true(response_header(&res, hdr, sizeof(hdr)) > 0);
	assert_non_null(strstr(hdr, "\r\nWWW-Authenticate: Basic realm=\"autowg\"\r\n"));
	response_free(&res);
	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Basic dXNlcjpwdx==");
	expect(&q, 401, NULL);
	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=basic dXNlcjpwdw==");
	expect(&q, 401, NULL);
	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw== ");
	expect(&q, 401, NULL);
	peers_request(&q, "REQUEST_METHOD=POST", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==");
	run(&q, &res);
	assert_int_equal(res.status, 405);
	assert_string_equal(res.allow, "GET, HEAD");
	response_free(&res);
	assert_int_equal(fake.refreshes, 0);
}

static void peers_json_lists_the_table(void **state)
{
	struct response res, head;
	const char *why;
	cJSON *root, *p;
	struct req q;

	fake_entry(0, "1234", "fde3:25fb:7f6c:1::1234", 1, 1700000000, 10);
	fake_entry(2, "0042", "fde3:25fb:7f6c:1::42", 2, 1700000100, 1ULL << 60);
	assert_true(auth_init(&auth, "user:pw", &why));
	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==");
	run(&q, &res);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.content_type, "application/json; charset=UTF-8");
	assert_int_equal(fake.refreshes, 1);
	assert_int_equal(res.body[res.body_len - 1], '\n');
	root = cJSON_ParseWithLength(res.body, res.body_len);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(root), 2);
	/* names sorted, fields sorted */
	assert_string_equal(root->child->string, "0042");
	p = cJSON_GetObjectItemCaseSensitive(root, "1234");
	assert_non_null(p);
	assert_string_equal(p->child->string, "created");
	assert_string_equal(cJSON_GetObjectItem(p, "ip")->valuestring, "fde3:25fb:7f6c:1::1234");
	assert_string_equal(cJSON_GetObjectItem(p, "pubkey")->valuestring,
			    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
	assert_int_equal(cJSON_GetObjectItem(p, "created")->valuedouble, 1700000000);
	assert_int_equal(cJSON_GetObjectItem(p, "last_handshake")->valuedouble, 1700000005);
	assert_int_equal(cJSON_GetObjectItem(p, "rx_bytes")->valuedouble, 10);
	assert_string_equal(p->child->next->next->next->next->next->string, "tx_bytes");
	/* 2^60 exactly, not rounded through a double */
	assert_non_null(strstr(res.body, "1152921504606846976"));
	cJSON_Delete(root);
	/* HEAD: the same headers, no body */
	peers_request(&q, "REQUEST_METHOD=HEAD", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==");
	run(&q, &head);
	assert_int_equal(head.status, 200);
	assert_true(head.head);
	assert_int_equal(head.body_len, res.body_len);
	response_free(&head);
	response_free(&res);
}

static void peers_torn_entry_is_503(void **state)
{
	struct table_header *th = fake.table;
	struct table_entry *e;
	const char *why;
	struct req q;

	fake_entry(0, "1234", "fde3:25fb:7f6c:1::1234", 1, 1700000000, 10);
	e = (struct table_entry *)((char *)fake.table + th->header_size);
	__atomic_store_n(&e->seq, e->seq | 1, __ATOMIC_RELEASE); /* a writer that never finishes */
	assert_true(auth_init(&auth, "user:pw", &why));
	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==");
	expect(&q, 503, NULL);
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
	expect(&q, 200, NULL);
}

static void peers_refresh_unavailable_is_503(void **state)
{
	const char *why;
	struct req q;

	fake.refresh_result = REG_UNAVAILABLE;
	assert_true(auth_init(&auth, "user:pw", &why));
	peers_request(&q, "REQUEST_METHOD=GET", "HTTP_AUTHORIZATION=Basic dXNlcjpwdw==");
	expect(&q, 503, "WireGuard interface unavailable\n");
}

/* ---- credentials from the environment ---- */

static void http_auth_only_in_fastcgi_mode(void **state)
{
	const char *why;
	struct auth a;

	unsetenv("AUTOWG_HTTP_AUTH");
	setenv("HTTP_AUTH", "user:pw", 1);
	assert_true(auth_init_env(&a, false, &why));
	assert_false(a.enabled); /* as CGI, HTTP_AUTH may be a client's "Auth:" header */
	assert_true(auth_init_env(&a, true, &why));
	assert_true(a.enabled);
	assert_true(auth_check(&a, "Basic dXNlcjpwdw=="));
	setenv("AUTOWG_HTTP_AUTH", "admin:secret", 1);
	assert_true(auth_init_env(&a, false, &why));
	assert_true(auth_check(&a, "Basic YWRtaW46c2VjcmV0"));
	setenv("AUTOWG_HTTP_AUTH", "nocolon", 1);
	assert_false(auth_init_env(&a, true, &why));
	unsetenv("AUTOWG_HTTP_AUTH");
	unsetenv("HTTP_AUTH");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(register_answers_five_lines),
	    T(register_sends_the_key),
	    T(query_string_is_ignored),
	    T(prefix_from_the_table),
	    T(cgi_path_without_request_uri),
	    T(unknown_path_is_404),
	    T(escaped_or_dotted_path_is_400),
	    T(get_on_register_is_405_with_allow),
	    T(content_length_required),
	    T(big_body_is_413_unread),
	    T(short_body_is_400),
	    T(malformed_keys_are_400),
	    T(helper_conflicts),
	    T(helper_rate_limited_is_429_with_retry_after),
	    T(helper_bad_retry_after_is_503),
	    T(helper_nonsense_is_503),
	    T(interface_down_is_503_from_the_helper),
	    T(helper_absent_is_503_at_once),
	    T(helper_stuck_is_503_within_a_second),
	    T(helper_restart_reconnects_in_the_same_request),
	    T(helper_gone_between_requests_reconnects),
	    T(bad_hellos_are_503),
	    T(peers_disabled_is_404),
	    T(peers_credentials),
	    T(peers_json_lists_the_table),
	    T(peers_torn_entry_is_503),
	    T(peers_refresh_unavailable_is_503),
	    T(http_auth_only_in_fastcgi_mode),
	};

	if (fake_start(64)) {
		perror("fake helper");
		return 1;
	}
	atexit(cleanup);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
