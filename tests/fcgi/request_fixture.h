/* SPDX-License-Identifier: MIT */
/*
 * A request fixture for the responder's unit tests: requests built from
 * "NAME=value" strings and a body, run through handle() against the fake
 * helper, and checked the way a web server would see the answer.
 */
#ifndef AUTOWG_TESTS_REQUEST_FIXTURE_H
#define AUTOWG_TESTS_REQUEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <time.h>

#include "fake_helper.h"
#include "../../fcgi/auth.h"
#include "../../fcgi/helper.h"
#include "../../fcgi/request.h"

#define KEY_A "mFpmwoh3m5qXQuRg6mQKEGqoJLYtgUwBJ+XxHxrwnE4="
#define KEY_B "GIvfnJsygGN8JoRqRZB1WTnhuH/mUlMtpADGmO/mXmE="
#define FIVE_LINES                                                                                 \
	"endpoint=vpn.example.com:53092\npubkey=BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"    \
	"route=fde3:25fb:7f6c::/48\nip=fde3:25fb:7f6c:1::1234\nkeepalive=25\n"

static struct helper h;
static struct auth auth;
static struct trust *trust; /* --client-ca, or NULL */

/* ---- a request built from "NAME=value" strings and a body ---- */

struct body {
	const char *data;
	size_t len, pos;
};

static ssize_t body_read_fn(void *ctx, char *buf, size_t len)
{
	struct body *b = ctx;
	size_t n = b->len - b->pos < len ? b->len - b->pos : len;

	memcpy(buf, b->data + b->pos, n);
	b->pos += n;
	return (ssize_t)n;
}

#define ENV_MAX 32
struct req {
	char *env[ENV_MAX + 1];
	int n;
	struct body body;
	char cl[64];
};

static void req_add(struct req *q, const char *kv)
{
	assert_true(q->n < ENV_MAX);
	q->env[q->n++] = (char *)kv;
	q->env[q->n] = NULL;
}

/* A verified POST to /v1/register with CN=1234 and body KEY_A. */
static void req_register(struct req *q)
{
	memset(q, 0, sizeof(*q));
	req_add(q, "REQUEST_METHOD=POST");
	req_add(q, "REQUEST_URI=/v1/register");
	req_add(q, "REMOTE_ADDR=192.0.2.7");
	req_add(q, "SSL_CLIENT_VERIFY=SUCCESS");
	req_add(q, "SSL_CLIENT_S_DN=CN=1234,O=autowg test");
	q->body.data = KEY_A;
	q->body.len = strlen(KEY_A);
	snprintf(q->cl, sizeof(q->cl), "CONTENT_LENGTH=%zu", q->body.len);
	req_add(q, q->cl);
}

/* Replace (or add) NAME=... */
static void req_set(struct req *q, const char *kv)
{
	size_t len = strcspn(kv, "=") + 1;
	int i;

	for (i = 0; i < q->n; i++)
		if (!strncmp(q->env[i], kv, len)) {
			q->env[i] = (char *)kv;
			return;
		}
	req_add(q, kv);
}

static void req_del(struct req *q, const char *name)
{
	size_t len = strlen(name);
	int i;

	for (i = 0; i < q->n; i++)
		if (!strncmp(q->env[i], name, len) && q->env[i][len] == '=') {
			memmove(&q->env[i], &q->env[i + 1], (size_t)(q->n - i) * sizeof(char *));
			q->n--;
			return;
		}
}

__attribute__((unused)) static void req_body(struct req *q, const char *body)
{
	q->body.data = body;
	q->body.len = strlen(body);
	q->body.pos = 0;
	snprintf(q->cl, sizeof(q->cl), "CONTENT_LENGTH=%zu", q->body.len);
}

static void run(struct req *q, struct response *res)
{
	struct request r = {.env = q->env, .body = {body_read_fn, &q->body}};

	handle(&auth, trust, &h, &r, res);
}

/* status and, when want_body is not NULL, the exact body */
static void expect(struct req *q, int status, const char *want_body)
{
	struct response res;

	run(q, &res);
	if (res.status != status)
		fail_msg("want %d, got %d: %.*s", status, res.status, (int)res.body_len,
			 res.body ? res.body : "");
	if (want_body) {
		assert_int_equal(res.body_len, strlen(want_body));
		assert_memory_equal(res.body, want_body, res.body_len);
	}
	/* every answer: one content type, and text answers are one line */
	assert_non_null(res.content_type);
	if (status != 200) {
		assert_non_null(res.body);
		assert_string_equal(res.content_type, "text/plain; charset=UTF-8");
		assert_non_null(memchr(res.body, '\n', res.body_len));
		assert_ptr_equal(memchr(res.body, '\n', res.body_len), res.body + res.body_len - 1);
	}
	response_free(&res);
}

static int setup(void **state)
{
	const char *why;

	(void)state;
	fake_set_mode(FAKE_ANSWER);
	table_init(fake.table, fake.size, fake.capacity);
	fake_settings("/", 1);
	fake.registers = fake.refreshes = 0;
	fake_reply(REG_OK, "fde3:25fb:7f6c:1::1234", "1234", "registered");
	fake.refresh_result = REG_OK;
	assert_true(helper_init(&h, fake.path));
	assert_true(auth_init(&auth, NULL, &why));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	helper_close(&h);
	return 0;
}

static void cleanup(void)
{
	unlink(fake.path);
	rmdir(fake.dir);
}

#endif
