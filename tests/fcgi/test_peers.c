/* SPDX-License-Identifier: MIT */
/* peers.json straight from a table: shape, order, limits and speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/table.h"
#include "../../fcgi/peers.h"

#define MANY 100000
/* the brief: 100,000 peers under 300 ms; sanitizers slow everything ~5x */
#if defined(__SANITIZE_ADDRESS__)
#define MANY_MS 3000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MANY_MS 3000
#endif
#endif
#ifndef MANY_MS
#define MANY_MS 300
#endif

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

static void many_peers_sorted_and_fast(void **state)
{
	struct timespec a, b;
	const char *why;
	cJSON *root, *p, *prev = NULL;
	char name[16];
	size_t len;
	char *out;
	uint32_t i;
	long ms;

	table_init(table, size, MANY + 10);
	/* inserted in reverse order, with a hole */
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "dev%06u", MANY - i);
		put(i + (i > 10), name, MANY - i);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_true(peers_json(table, size, &out, &len, &why));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	printf("# peers.json with %d peers: %ld ms, %zu bytes\n", MANY, ms, len);
	if (ms >= MANY_MS)
		fail_msg("peers.json with %d peers took %ld ms (limit %d)", MANY, ms, MANY_MS);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(empty_table_is_empty_object),
	    cmocka_unit_test(duplicate_name_is_refused),
	    cmocka_unit_test(control_bytes_in_a_name_are_refused),
	    cmocka_unit_test(many_peers_sorted_and_fast),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
