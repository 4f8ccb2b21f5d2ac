/* SPDX-License-Identifier: MIT */
#include "unit.h"

#include <string.h>

#include "../../core/proto.h"

static void statuses(void **state)
{
	assert_int_equal(reg_result_status(REG_OK), 200);
	assert_int_equal(reg_result_status(REG_SAME), 200);
	assert_int_equal(reg_result_status(REG_REPLACED), 200);
	assert_int_equal(reg_result_status(REG_BAD_KEY), 400);
	assert_int_equal(reg_result_status(REG_BAD_CN), 403);
	assert_int_equal(reg_result_status(REG_KEY_TAKEN), 409);
	assert_int_equal(reg_result_status(REG_KEY_STATIC), 409);
	assert_int_equal(reg_result_status(REG_KEY_IFACE), 409);
	assert_int_equal(reg_result_status(REG_ADDR_TAKEN), 409);
	assert_int_equal(reg_result_status(REG_ADDR_STATIC), 409);
	assert_int_equal(reg_result_status(REG_ADDR_IFACE), 409);
	assert_int_equal(reg_result_status(REG_BAD_NAME), 422);
	assert_int_equal(reg_result_status(REG_FULL), 503);
	assert_int_equal(reg_result_status(REG_UNAVAILABLE), 503);
}

static void names_and_reasons(void **state)
{
	uint32_t i;

	assert_string_equal(reg_result_name(REG_KEY_TAKEN), "key_taken");
	assert_string_equal(reg_result_reason(REG_OK), "registered");
	for (i = 0; i < REG_RESULT_COUNT; i++) {
		const char *r = reg_result_reason(i), *n = reg_result_name(i);

		assert_non_null(r);
		assert_non_null(n);
		assert_true(r[0] && n[0]);
		assert_true(strlen(r) <= AWG_REASON_MAX);
		assert_null(strchr(r, '\n')); /* one line */
		assert_true(reg_result_status(i) >= 200 && reg_result_status(i) < 600);
	}
}

static void out_of_range(void **state)
{
	assert_int_equal(reg_result_status(REG_RESULT_COUNT), 0);
	assert_null(reg_result_reason(REG_RESULT_COUNT));
	assert_null(reg_result_name(REG_RESULT_COUNT));
	assert_int_equal(reg_result_status(UINT32_MAX), 0);
	assert_null(reg_result_reason(UINT32_MAX));
	assert_null(reg_result_name(UINT32_MAX));
}

static void names_unique(void **state)
{
	uint32_t i, j;

	for (i = 0; i < REG_RESULT_COUNT; i++)
		for (j = i + 1; j < REG_RESULT_COUNT; j++)
			assert_string_not_equal(reg_result_name(i), reg_result_name(j));
}

static void string_ok(void **state)
{
	char f[8];

	memset(f, 0, sizeof(f));
	assert_true(proto_string_ok(f, sizeof(f)));
	memcpy(f, "abc", 3);
	assert_true(proto_string_ok(f, sizeof(f)));
	memcpy(f, "abcdefg", 8);
	assert_true(proto_string_ok(f, sizeof(f))); /* NUL in the last byte */
}

static void string_unterminated(void **state)
{
	char f[8];

	memset(f, 'x', sizeof(f));
	assert_false(proto_string_ok(f, sizeof(f)));
}

static void string_garbage_after_nul(void **state)
{
	char f[8];

	memset(f, 0, sizeof(f));
	memcpy(f, "ab", 2);
	f[7] = 'x';
	assert_false(proto_string_ok(f, sizeof(f)));
	f[7] = 0;
	f[3] = 1;
	assert_false(proto_string_ok(f, sizeof(f)));
}

static void message_sizes(void **state)
{
	/* Fixed-size packets: the first field is the type everywhere. */
	assert_int_equal(offsetof(struct msg_hello, type), 0);
	assert_int_equal(offsetof(struct msg_register, type), 0);
	assert_int_equal(offsetof(struct msg_register_reply, type), 0);
	assert_int_equal(offsetof(struct msg_refresh, type), 0);
	assert_int_equal(offsetof(struct msg_refresh_reply, type), 0);
	/* no padding the helper would have to zero by hand */
	assert_int_equal(sizeof(struct msg_register_reply),
			 4 + 4 + 16 + AWG_NAME_MAX + 1 + AWG_REASON_MAX + 1 + 4 + AWG_KEY_LEN);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("proto: each result maps to its HTTP status", statuses),
	    T("proto: every result has a short name and a one-line reason", names_and_reasons),
	    T("proto: out-of-range results give 0 and NULL", out_of_range),
	    T("proto: result names are unique", names_unique),
	    T("proto: NUL-terminated, zero-padded strings are accepted", string_ok),
	    T("proto: a string without NUL is refused", string_unterminated),
	    T("proto: bytes after the NUL must be zero", string_garbage_after_nul),
	    T("proto: every message starts with its type", message_sizes),
	};

	return RUN(tests);
}
