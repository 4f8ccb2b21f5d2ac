/* SPDX-License-Identifier: MIT */
/* v1/metrics straight from a table, label escaping, and where the
 * responder logs (the syslog decision). Real parsers: tests/smoke/fcgi-metrics.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../core/key.h"
#include "../../core/proto.h"
#include "../../core/table.h"
#include "../../fcgi/log.h"
#include "../../fcgi/metrics.h"

#define CAP  8
#define MANY 100000

struct tab {
	void *base;
	size_t size;
};

static struct tab tab_new(bool per_peer)
{
	struct tab t = {.size = table_size(CAP)};
	struct table_settings s;

	t.base = aligned_alloc(64, (t.size + 63) / 64 * 64);
	table_init(t.base, t.size, CAP);
	memset(&s, 0, sizeof(s));
	snprintf(s.interface, sizeof(s.interface), "wg0");
	s.up = 1;
	s.started = 1700000000;
	s.metrics_per_peer = per_peer;
	table_write_settings(t.base, &s);
	return t;
}

static void put_peer(struct tab *t, uint32_t i, const char *name, uint8_t last, uint64_t tx)
{
	struct table_entry e;

	memset(&e, 0, sizeof(e));
	e.flags = TABLE_ENTRY_USED;
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.addr[0] = 0xfd;
	e.addr[15] = last;
	memset(e.key, last, sizeof(e.key));
	e.tx_bytes = tx;
	e.rx_bytes = 7;
	e.last_handshake = 1700000100;
	e.key_changes = last;
	table_write_entry(t->base, i, &e);
}

static char *text_of(struct tab *t)
{
	const char *why = NULL;
	size_t len = 0;
	char *out = NULL;

	assert_true(metrics_text(t->base, t->size, &out, &len, &why));
	assert_int_equal(strlen(out), len);
	return out;
}

static void has(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want) && strncmp(text, want + 1, strlen(want + 1)))
		fail_msg("missing line: %s\nin:\n%s", line, text);
}

static void per_peer_series_and_totals(void **state)
{
	struct tab t = tab_new(true);
	uint8_t k[AWG_KEY_LEN];
	char line[256], key[AWG_KEY_B64_LEN + 1];
	char *text;

	(void)state;
	put_peer(&t, 0, "7", 7, 12345678901234ULL);
	put_peer(&t, 3, "1234", 2, 0);
	table_count_registration(t.base, REG_OK);
	table_count_registration(t.base, REG_OK);
	table_count_registration(t.base, REG_KEY_TAKEN);
	table_count_registration(t.base, REG_BAD_KEY); /* a raw client's zero key: not exported */
	table_count_registration(t.base, REG_RESULT_COUNT + 100); /* ignored */
	table_count_expired(t.base, 3);
	table_set_routes(t.base, 5);
	table_set_routes(t.base, 4); /* a gauge: the last value counts */
	table_count_moved(t.base, 2);
	table_count_moved(t.base, 1);
	text = text_of(&t);
	memset(k, 7, sizeof(k));
	key_format(k, key);
	snprintf(line, sizeof(line),
		 "wireguard_sent_bytes_total{interface=\"wg0\",public_key=\"%s\",name=\"7\","
		 "address=\"fd00::7\"} 12345678901234",
		 key);
	has(text, line);
	has(text, "# TYPE wireguard_sent_bytes_total counter");
	has(text, "# TYPE wireguard_latest_handshake_seconds gauge");
	has(text, "autowg_key_changes_total{name=\"7\"} 7");
	has(text, "autowg_key_changes_total{name=\"1234\"} 2");
	has(text, "autowg_registrations_total{outcome=\"ok\"} 2");
	has(text, "autowg_registrations_total{outcome=\"key_taken\"} 1");
	has(text, "autowg_registrations_total{outcome=\"unavailable\"} 0");
	if (strstr(text, "outcome=\"bad_key\""))
		fail_msg("a bad_key series, which nothing a responder sends can count:\n%s", text);
	has(text, "autowg_peers_managed 2");
	has(text, "autowg_table_capacity 8");
	has(text, "autowg_expired_total 3");
	has(text, "# TYPE autowg_routes gauge");
	has(text, "autowg_routes 4");
	has(text, "# TYPE autowg_moved_total counter");
	has(text, "autowg_moved_total 3");
	has(text, "autowg_helper_up{interface=\"wg0\"} 1");
	has(text, "autowg_helper_start_time_seconds 1700000000");
	/* sorted by name: "1234" before "7" */
	assert_true(strstr(text, "name=\"1234\"") < strstr(text, "name=\"7\""));
	free(text);
	free(t.base);
}

static void totals_only(void **state)
{
	struct tab t = tab_new(false);
	char *text;

	(void)state;
	put_peer(&t, 0, "7", 7, 1);
	text = text_of(&t);
	assert_null(strstr(text, "wireguard_"));
	assert_null(strstr(text, "autowg_key_changes_total"));
	assert_null(strstr(text, "name="));
	has(text, "autowg_peers_managed 1");
	free(text);
	free(t.base);
}

static void every_family_has_help_and_type(void **state)
{
	struct tab t = tab_new(true);
	char *text, *p, name[128], want[160];

	(void)state;
	put_peer(&t, 0, "7", 7, 1);
	text = text_of(&t);
	for (p = text; *p; p = strchr(p, '\n') + 1) {
		if (*p != '#' && sscanf(p, "%127[a-z_]", name) == 1) {
			snprintf(want, sizeof(want), "# HELP %s ", name);
			assert_non_null(strstr(text, want));
			snprintf(want, sizeof(want), "# TYPE %s ", name);
			assert_non_null(strstr(text, want));
		}
	}
	free(text);
	free(t.base);
}

static void label_values_are_escaped(void **state)
{
	char out[64];

	(void)state;
	assert_true(metrics_escape("a\"b\\c\nd", out, sizeof(out)));
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	assert_true(metrics_escape("", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(metrics_escape("\"\"\"", out, 6)); /* needs 7 with the NUL */
	assert_true(metrics_escape("\"\"\"", out, 7));
}

/* Every peer listed at 100,000; the time is bench/peers-render's figure. */
static void many_peers_listed(void **state)
{
	struct tab t = {.size = table_size(MANY)};
	struct table_settings st;
	const char *why;
	char name[16], *out;
	size_t len, lines = 0, i;

	(void)state;
	t.base = aligned_alloc(64, (t.size + 63) / 64 * 64);
	table_init(t.base, t.size, MANY);
	memset(&st, 0, sizeof(st));
	snprintf(st.interface, sizeof(st.interface), "wg0");
	st.metrics_per_peer = 1;
	table_write_settings(t.base, &st);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "dev%06zu", MANY - i);
		put_peer(&t, (uint32_t)i, name, (uint8_t)i, i);
	}
	assert_true(metrics_text(t.base, t.size, &out, &len, &why));
	for (i = 0; i < len; i++)
		lines += out[i] == '\n';
	/* 4 per-peer families, each HELP + TYPE + one line a peer */
	assert_true(lines > 4 * (size_t)MANY);
	free(out);
	free(t.base);
}

static void torn_table_is_refused(void **state)
{
	struct tab t = tab_new(true);
	const char *why = NULL;
	size_t len;
	char *out;

	(void)state;
	put_peer(&t, 0, "7", 7, 1);
	((struct table_header *)t.base)->version = TABLE_VERSION + 1;
	assert_false(metrics_text(t.base, t.size, &out, &len, &why));
	assert_non_null(why);
	free(t.base);
}

static void syslog_when_stderr_is_dev_null_or_closed(void **state)
{
	int null = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY), p[2], closed;
	char file[] = "/tmp/autowg-log-XXXXXX";
	int f = mkstemp(file);
	enum fcgi_log_mode m;

	(void)state;
	assert_true(null >= 0 && zero >= 0 && f >= 0 && pipe(p) == 0);
	closed = dup(f);
	close(closed);
	assert_true(fcgi_log_wants_syslog(FCGI_LOG_AUTO, null));
	assert_true(fcgi_log_wants_syslog(FCGI_LOG_AUTO, closed));
	assert_false(fcgi_log_wants_syslog(FCGI_LOG_AUTO, p[1]));
	assert_false(fcgi_log_wants_syslog(FCGI_LOG_AUTO, f));
	assert_false(fcgi_log_wants_syslog(FCGI_LOG_AUTO, zero)); /* a char device, not null */
	assert_false(fcgi_log_wants_syslog(FCGI_LOG_STDERR, null));
	assert_true(fcgi_log_wants_syslog(FCGI_LOG_SYSLOG, f));
	assert_true(fcgi_log_mode_parse("auto", &m) && m == FCGI_LOG_AUTO);
	assert_true(fcgi_log_mode_parse("stderr", &m) && m == FCGI_LOG_STDERR);
	assert_true(fcgi_log_mode_parse("syslog", &m) && m == FCGI_LOG_SYSLOG);
	assert_false(fcgi_log_mode_parse("journal", &m));
	assert_false(fcgi_log_mode_parse("", &m));
	close(null);
	close(zero);
	close(p[0]);
	close(p[1]);
	close(f);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(per_peer_series_and_totals),
	    cmocka_unit_test(totals_only),
	    cmocka_unit_test(every_family_has_help_and_type),
	    cmocka_unit_test(label_values_are_escaped),
	    cmocka_unit_test(torn_table_is_refused),
	    cmocka_unit_test(many_peers_listed),
	    cmocka_unit_test(syslog_when_stderr_is_dev_null_or_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
