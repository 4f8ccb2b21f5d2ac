/* SPDX-License-Identifier: MIT */
/*
 * cn_pattern_name with a fixed set of patterns (the default, the documented
 * example, alternations, a catastrophic-backtracking one, \K) on arbitrary
 * CNs. Invariants: an accepted name is 1..AWG_NAME_MAX bytes and a piece of
 * the CN; every call returns within FUZZ_PATTERN_MS (the match limit).
 */
#include "fuzz.h"
#include "../../core/clock.h"
#include "../../core/pattern.h"

#include <time.h>

#define FUZZ_PATTERN_MS 1000 /* one match; AWG_PATTERN_MATCH_LIMIT keeps it far below */
#define FUZZ_CN_MAX	1024 /* longer than AWG_CN_MAX: the responder never sends more */

static const char *const patterns[] = {
    CN_PATTERN_DEFAULT,
    "smart-toilet-(\\d+)",
    "(?:dev|test)-([a-z0-9-]{1,20})",
    "a|b",
    "(a+)+b",
    "((?:a|aa)*)+c",
    "[^.]+\\.(\\w+)\\.example\\.com",
    "device-\\K([0-9]+)",
    "(?i)(?<name>[a-z]+)-\\d*",
    "(x)?y",
    "\\p{L}+",
    "(.*)",
};
#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

static struct cn_pattern *compiled[N_PATTERNS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < N_PATTERNS; i++) {
		compiled[i] = cn_pattern_compile(patterns[i], err, sizeof(err));
		if (!compiled[i]) {
			fprintf(stderr, "pattern %s: %s\n", patterns[i], err);
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	size_t which = fuzz_u8(&in) % N_PATTERNS, len;
	char *cn = fuzz_str(&in, FUZZ_CN_MAX);
	char *name = malloc(AWG_NAME_MAX + 1); /* exact size: ASan sees an overrun */
	const char *why = NULL;
	int64_t t0;
	bool ok;

	if (!name)
		abort();
	t0 = clock_ms();
	ok = cn_pattern_name(compiled[which], cn, name, &why);
	FUZZ_CHECK(clock_ms() - t0 < FUZZ_PATTERN_MS, "pattern %s took %lld ms", patterns[which],
		   (long long)(clock_ms() - t0));
	if (ok) {
		len = strnlen(name, AWG_NAME_MAX + 1);
		FUZZ_CHECK(len >= 1 && len <= AWG_NAME_MAX, "name of %zu bytes", len);
		FUZZ_CHECK(strstr(cn, name) != NULL, "name is not a piece of the CN");
	} else {
		FUZZ_CHECK(why && *why, "refused without a reason");
	}
	free(name);
	free(cn);
	return 0;
}
