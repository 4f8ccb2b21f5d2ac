/* SPDX-License-Identifier: MIT */
/*
 * The responder's whole request path, handle() (fcgi/handle.c): parameters
 * and body in, the answer out, against the fake helper of the responder's
 * unit tests (tests/fcgi/fake_helper.h: a real socket and memfd table,
 * served by a thread in this process) scripted from the input.
 *
 * Input: a flags byte, the helper's reply (result byte, 16 address bytes,
 * NUL-terminated name and reason), the name of table entry 1 (NUL-terminated;
 * empty: no entry; the table is untrusted to responders), then NUL-terminated
 * "NAME=value" parameters up to an empty one, then the body.
 * Invariants: every answer has a known status, a content type and a header
 * block that fits; every refusal is one line of text/plain; a 200 from
 * register only with SSL_CLIENT_VERIFY=SUCCESS, after the helper was asked
 * for exactly the CN the answer names, with five lines and an ip inside the pool;
 * a 200 peers.json parses as a JSON object; a 200 /metrics only with the
 * right credentials, without asking the helper to register anything.
 */
#include "fuzz.h"
#include "../fcgi/fake_helper.h"
#include "../../fcgi/auth.h"
#include "../../fcgi/helper.h"
#include "../../fcgi/metrics.h"
#include "../../fcgi/request.h"

#include <cjson/cJSON.h>
#include <sodium.h>

#define PARAMS_MAX    64   /* per input; more than handle() needs to see */
#define HEADER_MAX    1024 /* the header block a web server gets */
#define REPLY_STR_MAX 200  /* name and reason: longer than the fields, they are cut */

/* Flags byte. */
#define F_AUTH	 1u /* peers.json enabled, user:pw */
#define F_DOWN	 2u /* the helper says the interface is down */
#define F_PREFIX 4u /* prefix "/autowg/" instead of "/" */

static struct helper h;

static void cleanup(void)
{
	helper_close(&h);
	unlink(fake.path);
	rmdir(fake.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || fake_start(4) || !helper_init(&h, fake.path))
		abort();
	fake_set_mode(FAKE_ANSWER);
	fake_entry(0, "1234", "fde3:25fb:7f6c:1::1234", 1, 1764100000, 1000);
	fake_entry(2, "smart-toilet-7", "fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad", 2, 1764100001, 0);
	atexit(cleanup);
	return 0;
}

struct body {
	const uint8_t *p;
	size_t left;
};

static ssize_t body_read_fn(void *ctx, char *buf, size_t len)
{
	struct body *b = ctx;
	size_t n = len < b->left ? len : b->left;

	memcpy(buf, b->p, n);
	b->p += n;
	b->left -= n;
	return (ssize_t)n;
}

static bool has_param(char *const *env, const char *kv)
{
	for (; *env; env++)
		if (!strcmp(*env, kv))
			return true;
	return false;
}

static void check_json(const struct response *res)
{
	cJSON *root;

	if (res->head)
		return;
	root = cJSON_ParseWithLength(res->body, res->body_len);
	FUZZ_CHECK(root && cJSON_IsObject(root), "peers.json is not a JSON object: %.*s",
		   (int)(res->body_len < 200 ? res->body_len : 200), res->body);
	cJSON_Delete(root);
}

/* Entry 1 as the input names it: any bytes, as a broken helper could write. */
static void table_entry_1(const char *name)
{
	struct table_entry e;

	memset(&e, 0, sizeof(e));
	if (name[0]) {
		e.flags = TABLE_ENTRY_USED;
		memcpy(e.name, name, strnlen(name, sizeof(e.name) - 1));
		memset(e.key, 3, sizeof(e.key));
		e.addr[0] = 0xfd;
		e.addr[15] = 1;
	}
	table_write_entry(fake.table, 1, &e);
}

/* "user:pw", the credentials F_AUTH sets, in the header a client sends. */
#define AUTH_PARAM "HTTP_AUTHORIZATION=Basic dXNlcjpwdw=="

static void check_metrics(const struct response *res, char *const *env, int registers_before)
{
	FUZZ_CHECK(has_param(env, AUTH_PARAM), "metrics without the credentials");
	FUZZ_CHECK(fake.registers == registers_before, "metrics asked the helper to register");
	FUZZ_CHECK(res->body_len > 7 && !strncmp(res->body, "# HELP ", 7) &&
		       res->body[res->body_len - 1] == '\n',
		   "metrics do not start with # HELP or end with a newline");
}

static void check_answer(const struct response *res, char *const *env, int registers_before)
{
	char hdr[HEADER_MAX], *nl;
	const char *end;
	struct prefix6 pool;
	uint8_t ip[16];
	const char *why;

	FUZZ_CHECK(status_text(res->status), "unknown status %d", res->status);
	FUZZ_CHECK(res->content_type, "status %d without a content type", res->status);
	FUZZ_CHECK(response_header(res, hdr, sizeof(hdr)) > 0, "header block does not fit");
	FUZZ_CHECK(strstr(hdr, "\r\n\r\n") == hdr + strlen(hdr) - 4, "header block split early");
	FUZZ_CHECK(res->body || !res->body_len, "body length without a body");
	if (res->status != 200) {
		FUZZ_CHECK(!strcmp(res->content_type, "text/plain; charset=UTF-8"), "refusal as %s",
			   res->content_type);
		FUZZ_CHECK(res->body && res->body_len &&
			       memchr(res->body, '\n', res->body_len) ==
				   res->body + res->body_len - 1,
			   "refusal %d is not one line", res->status);
		return;
	}
	if (!strcmp(res->content_type, METRICS_CONTENT_TYPE)) {
		check_metrics(res, env, registers_before);
		return;
	}
	if (strncmp(res->content_type, "text/plain", 10)) {
		check_json(res);
		return;
	}
	FUZZ_CHECK(has_param(env, "SSL_CLIENT_VERIFY=SUCCESS"),
		   "200 without a verified certificate");
	FUZZ_CHECK(fake.registers == registers_before + 1, "200 without asking the helper");
	FUZZ_CHECK(res->audit.cn[0] && !strcmp(res->audit.cn, fake.last_cn),
		   "answer for CN %s, helper asked for %s", res->audit.cn, fake.last_cn);
	FUZZ_CHECK(res->body_len > 0 && res->body[res->body_len - 1] == '\n', "unterminated 200");
	FUZZ_CHECK(!strncmp(res->body, "endpoint=", 9), "200 body does not start with endpoint=");
	end = strstr(res->body, "\nip=");
	FUZZ_CHECK(end, "200 without ip=");
	nl = strchr(end + 4, '\n');
	FUZZ_CHECK(nl, "ip line unterminated");
	*nl = '\0';
	FUZZ_CHECK(addr6_parse(end + 4, ip, &why), "ip= is not an address: %s", why);
	*nl = '\n';
	if (!prefix6_parse("fde3:25fb:7f6c:1::/64", &pool, &why))
		abort();
	FUZZ_CHECK(prefix6_contains(&pool, ip), "ip outside the pool");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_u8(&in), result = fuzz_u8(&in), addr[16];
	char *env[PARAMS_MAX + 1], *name, *reason, text[AWG_ADDR_TEXT_MAX + 1];
	struct auth auth;
	struct body body;
	struct request r;
	struct response res;
	const char *why;
	int n = 0, i, before;

	fuzz_bytes(&in, addr, sizeof(addr));
	name = fuzz_str(&in, REPLY_STR_MAX);
	reason = fuzz_str(&in, REPLY_STR_MAX);
	addr6_format(addr, text);
	fake_reply(result % (REG_RESULT_COUNT + 2), text, name, reason);
	free(name);
	free(reason);
	name = fuzz_str(&in, REPLY_STR_MAX);
	table_entry_1(name);
	free(name);
	fake_settings(flags & F_PREFIX ? "/autowg/" : "/", !(flags & F_DOWN));
	if (!auth_init(&auth, flags & F_AUTH ? "user:pw" : NULL, &why))
		abort();
	while (n < PARAMS_MAX && in.left && *in.p) {
		env[n++] = fuzz_str(&in, FCGI_PARAM_MAX);
	}
	env[n] = NULL;
	if (in.left) /* the empty parameter that ends the list */
		fuzz_u8(&in);
	body = (struct body){in.p, in.left};
	r = (struct request){.env = env, .body = {body_read_fn, &body}};

	before = fake.registers;
	handle(&auth, NULL, &h, &r, &res);
	check_answer(&res, env, before);
	response_free(&res);
	auth_wipe(&auth);
	for (i = 0; i < n; i++)
		free(env[i]);
	return 0;
}
