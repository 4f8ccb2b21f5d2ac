/* SPDX-License-Identifier: MIT */
/* peers.json straight from a table: shape, order, limits, exact bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <sodium.h>

#include "../../core/table.h"
#include "../../fcgi/peers.h"

#define MANY 100000

static void *table;
static size_t size;

static void put(uint32_t i, const char *name, uint32_t n)
{
	struct table_entry e;

	memset(&e, 0, sizeof(e));
	e.flags = TABLE_ENTRY_USED;
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.addr[0] = 0xfd;
	e.addr[12] = (uint8_t)(n >> 24);
	e.addr[13] = (uint8_t)(n >> 16);
	e.addr[14] = (uint8_t)(n >> 8);
	e.addr[15] = (uint8_t)n;
	memcpy(e.key, &n, sizeof(n));
	e.key[31] = 1;
	e.created = 1700000000 + n;
	e.rx_bytes = n;
	table_write_entry(table, i, &e);
}

static int setup(void **state)
{
	size = table_size(MANY + 10);
	table = calloc(1, size);
	table_init(table, size, MANY + 10);
	return table ? 0 : -1;
}

static int teardown(void **state)
{
	free(table);
	return 0;
}

static void empty_table_is_empty_object(void **state)
{
	const char *why;
	size_t len;
	char *out;

	table_init(table, size, MANY + 10);
	assert_true(peers_json(table, size, &out, &len, &why));
	assert_int_equal(out[len - 1], '\n');
	cJSON *root = cJSON_Parse(out);
	assert_non_null(root);
	assert_true(cJSON_IsObject(root));
	assert_int_equal(cJSON_GetArraySize(root), 0);
	cJSON_Delete(root);
	free(out);
}

static void duplicate_name_is_refused(void **state)
{
	const char *why = NULL;
	size_t len;
	char *out;

	table_init(table, size, MANY + 10);
	put(0, "1234", 1);
	put(5, "1234", 2);
	assert_false(peers_json(table, size, &out, &len, &why));
	assert_string_equal(why, "registration table has a name twice");
}

static void control_bytes_in_a_name_are_refused(void **state)
{
	const char *why = NULL;
	size_t len;
	char *out;

	table_init(table, size, MANY + 10);
	put(0, "12\n34", 1);
	assert_false(peers_json(table, size, &out, &len, &why));
}

/* Order and content at 100,000 peers; the time it takes is a figure for
 * make bench (bench/peers-render.c), not something a test can judge. */
static void many_peers_sorted(void **state)
{
	const char *why;
	cJSON *root, *p, *prev = NULL;
	char name[16];
	size_t len;
	char *out;
	uint32_t i;

	table_init(table, size, MANY + 10);
	/* inserted in reverse order, with a hole */
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "dev%06u", MANY - i);
		put(i + (i > 10), name, MANY - i);
	}
	assert_true(peers_json(table, size, &out, &len, &why));
	assert_int_equal(strlen(out), len);
	root = cJSON_ParseWithLength(out, len);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(root), MANY);
	cJSON_ArrayForEach(p, root)
	{
		if (prev)
			assert_true(strcmp(prev->string, p->string) < 0);
		prev = p;
	}
	p = cJSON_GetObjectItemCaseSensitive(root, "dev000258");
	assert_non_null(p);
	assert_string_equal(cJSON_GetObjectItem(p, "ip")->valuestring, "fd00::102");
	assert_int_equal(cJSON_GetObjectItem(p, "created")->valuedouble, 1700000258);
	cJSON_Delete(root);
	free(out);
}

/* The hand-written output is byte for byte what cJSON prints for the same
 * peers: escapes, UTF-8, the longest name, extreme numbers. */
static const struct {
	const char *name, *ip;
	int64_t created, handshake;
	uint64_t rx, tx;
} odd[] = {
    {"a\"quote", "fd00::1", 0, 0, 0, 0},
    {"back\\slash", "fd00::2", -1, INT64_MIN, UINT64_MAX, 9007199254740993ull},
    {"Z\xc3\xbcrich \xe2\x82\xac", "fd00:1:2:3:4:5:6:7", INT64_MAX, 1, 1, 10},
    {"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""
     "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
     "::", 1700000000, 1700000001, 99, 100},
};

static void same_bytes_as_cjson(void **state)
{
	cJSON *root = cJSON_CreateObject(), *o;
	char text[32], *want, *out;
	const char *why;
	size_t i, len;
	struct table_entry e;

	table_init(table, size, MANY + 10);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.flags = TABLE_ENTRY_USED;
		assert_true(strlen(odd[i].name) < sizeof(e.name));
		strcpy(e.name, odd[i].name);
		assert_int_equal(inet_pton(AF_INET6, odd[i].ip, e.addr), 1);
		e.key[0] = (uint8_t)(i + 1);
		e.created = odd[i].created;
		e.last_handshake = odd[i].handshake;
		e.rx_bytes = odd[i].rx;
		e.tx_bytes = odd[i].tx;
		table_write_entry(table, (uint32_t)(7 - i), &e);
	}
	/* cJSON keeps insertion order: insert sorted, as strcmp sorts */
	static const size_t order[] = {3, 2, 0, 1};
	for (i = 0; i < 4; i++) {
		size_t k = order[i];
		char key[45];
		uint8_t raw[32] = {(uint8_t)(k + 1)};

		assert_non_null(sodium_bin2base64(key, sizeof(key), raw, sizeof(raw),
						  sodium_base64_VARIANT_ORIGINAL));
		o = cJSON_AddObjectToObject(root, odd[k].name);
		snprintf(text, sizeof(text), "%" PRId64, odd[k].created);
		cJSON_AddRawToObject(o, "created", text);
		cJSON_AddStringToObject(o, "ip", odd[k].ip);
		snprintf(text, sizeof(text), "%" PRId64, odd[k].handshake);
		cJSON_AddRawToObject(o, "last_handshake", text);
		cJSON_AddStringToObject(o, "pubkey", key);
		snprintf(text, sizeof(text), "%" PRIu64, odd[k].rx);
		cJSON_AddRawToObject(o, "rx_bytes", text);
		snprintf(text, sizeof(text), "%" PRIu64, odd[k].tx);
		cJSON_AddRawToObject(o, "tx_bytes", text);
	}
	want = cJSON_PrintUnformatted(root);
	assert_non_null(want);
	assert_true(peers_json(table, size, &out, &len, &why));
	assert_int_equal(len, strlen(want) + 1);
	assert_memory_equal(out, want, strlen(want));
	assert_int_equal(out[len - 1], '\n');
	free(want);
	free(out);
	cJSON_Delete(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(empty_table_is_empty_object),
	    cmocka_unit_test(duplicate_name_is_refused),
	    cmocka_unit_test(control_bytes_in_a_name_are_refused),
	    cmocka_unit_test(many_peers_sorted),
	    cmocka_unit_test(same_bytes_as_cjson),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
