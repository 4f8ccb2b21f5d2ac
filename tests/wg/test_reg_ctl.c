/* SPDX-License-Identifier: MIT */
/* What autowg-ctl asks of the registry (wg/reg_ctl.c): remove a name,
 * list the entries page by page. Against the fake WireGuard of fake_wg.h;
 * real WireGuard and the real tool: tests/wg/helper-ctl.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "../../core/addr.h"
#include "../../core/key.h"
#include "../../core/table.h"
#include "../../wg/registry.h"

#define CAPACITY 4
#include "registry_fix.h"

/* autowg-ctl remove: the peer goes in one apply, then the entry; its key,
 * address and name are free at once. */
static void remove_takes_peer_and_entry(void **state)
{
	struct fix *f = *state;
	uint8_t k1[AWG_KEY_LEN], want[16];
	struct table_entry e;

	key_of(1, k1);
	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "1235", 2, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(registry_remove(f->r, "1234", &e), 0);
	assert_string_equal(e.name, "1234");
	addr_of("fde3:25fb:7f6c:1::1234", want);
	assert_memory_equal(e.addr, want, 16);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.ch[0].op, WG_CHANGE_REMOVE);
	assert_memory_equal(fake.ch[0].key, k1, AWG_KEY_LEN);
	assert_int_equal(fake.n_peers, 1);
	assert_int_equal(registry_count(f->r), 1);
	assert_false(registry_find(f->r, "1234", &e));
	assert_true(registry_find(f->r, "1235", &e));
	/* the key is free for another name, the name for a new registration */
	assert_int_equal(reg(f, "1236", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "1234", 3, NULL), REG_OK);
}

static void remove_unknown_name_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.calls = 0;
	assert_int_equal(registry_remove(f->r, "1233", &e), -ENOENT);
	assert_int_equal(registry_remove(f->r, "", &e), -ENOENT);
	assert_int_equal(fake.calls, 0);
	assert_int_equal(registry_count(f->r), 1);
}

static void remove_while_down_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	registry_set_up(f->r, false);
	fake.calls = 0;
	assert_int_equal(registry_remove(f->r, "1234", &e), -ENETDOWN);
	assert_int_equal(fake.calls, 0);
	assert_true(registry_find(f->r, "1234", &e));
}

static void remove_apply_failure_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct table_entry e;

	assert_int_equal(reg(f, "1234", 1, NULL), REG_OK);
	fake.fail = -EIO;
	assert_int_equal(registry_remove(f->r, "1234", &e), -EIO);
	fake.fail = 0;
	assert_int_equal(registry_take_check(f->r), -EIO);
	assert_true(registry_find(f->r, "1234", &e));
	assert_int_equal(registry_count(f->r), 1);
	assert_int_equal(fake.n_peers, 1);
	assert_int_equal(reg(f, "1234", 1, NULL), REG_SAME);
}

/* Pages of used entries in slot order; the cursor skips the holes and is 0
 * after the last one. */
static void list_pages_over_holes(void **state)
{
	struct fix *f = *state;
	struct table_entry e[CAPACITY];
	uint32_t cursor = 0;

	assert_int_equal(reg(f, "1", 1, NULL), REG_OK);
	assert_int_equal(reg(f, "2", 2, NULL), REG_OK);
	assert_int_equal(reg(f, "3", 3, NULL), REG_OK);
	assert_int_equal(reg(f, "4", 4, NULL), REG_OK);
	assert_int_equal(registry_remove(f->r, "2", &e[0]), 0);
	assert_int_equal(registry_list(f->r, &cursor, e, 2), 2);
	assert_string_equal(e[0].name, "1");
	assert_string_equal(e[1].name, "3");
	assert_int_not_equal(cursor, 0);
	assert_int_equal(registry_list(f->r, &cursor, e, 2), 1);
	assert_string_equal(e[0].name, "4");
	assert_int_equal(cursor, 0);
	cursor = CAPACITY + 7;
	assert_int_equal(registry_list(f->r, &cursor, e, 2), 0);
	assert_int_equal(cursor, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(remove_takes_peer_and_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_unknown_name_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_while_down_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_apply_failure_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(list_pages_over_holes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
