/* SPDX-License-Identifier: MIT */
#include "../unit.h"

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
	assert_int_equal(offsetof(struct msg_ctl_list, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_list_reply, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_name, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_peer_reply, type), 0);
	/* no padding the helper would have to zero by hand */
	assert_int_equal(sizeof(struct msg_register_reply),
			 4 + 4 + 4 + 16 + AWG_NAME_MAX + 1 + AWG_REASON_MAX + 1 + 4 + AWG_KEY_LEN);
}

/* Each ctl request has a length no other request has: the helper tells
 * them apart by type and checks the exact length. */
static void ctl_messages(void **state)
{
	uint32_t i, j;

	assert_int_equal(sizeof(struct msg_ctl_list), 8);
	assert_int_equal(sizeof(struct msg_ctl_name), 8 + AWG_NAME_MAX + 1);
	/* no padding anywhere: every byte sent is a field the sender set */
	assert_int_equal(sizeof(struct ctl_peer), AWG_NAME_MAX + 1 + 16 + AWG_KEY_LEN + 5 * 8);
	assert_int_equal(sizeof(struct msg_ctl_list_reply),
			 16 + CTL_LIST_PAGE * sizeof(struct ctl_peer));
	assert_int_equal(sizeof(struct msg_ctl_peer_reply),
			 8 + sizeof(struct ctl_peer) + AWG_REASON_MAX + 1);
	for (i = 0; i < CTL_RESULT_COUNT; i++) {
		assert_non_null(ctl_result_name(i));
		assert_non_null(ctl_result_reason(i));
		assert_true(strlen(ctl_result_reason(i)) <= AWG_REASON_MAX);
		assert_null(strchr(ctl_result_reason(i), '\n'));
		for (j = i + 1; j < CTL_RESULT_COUNT; j++)
			assert_string_not_equal(ctl_result_name(i), ctl_result_name(j));
	}
	assert_null(ctl_result_name(CTL_RESULT_COUNT));
	assert_null(ctl_result_reason(UINT32_MAX));
	assert_string_equal(ctl_result_name(CTL_DENIED), "denied");
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
	    T("proto: ctl messages have fixed, padding-free sizes and named results", ctl_messages),
	};

	return RUN(tests);
}
