/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the libFuzzer harnesses (wireguard-tools src/fuzz/ style:
 * one LLVMFuzzerTestOneInput per file, built with clang
 * -fsanitize=fuzzer,address,undefined; see "make fuzz"). An invariant that
 * does not hold aborts with a message, so libFuzzer saves the input.
 */
#ifndef AUTOWG_TESTS_FUZZ_H
#define AUTOWG_TESTS_FUZZ_H

#include <sanitizer/common_interface_defs.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_MSG_MAX 512

/* To the sanitizer's report descriptor: still there when a noisy harness
 * runs with -close_fd_mask=2 (see tests/fuzz/<harness>.options). */
static inline void fuzz_broken(const char *cond, const char *msg)
{
	char line[FUZZ_MSG_MAX];

	snprintf(line, sizeof(line), "invariant broken: %s: %s", cond, msg);
	__sanitizer_report_error_summary(line);
	abort();
}

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			char fuzz_msg_[FUZZ_MSG_MAX];                                              \
			snprintf(fuzz_msg_, sizeof(fuzz_msg_), __VA_ARGS__);                       \
			fuzz_broken(#cond, fuzz_msg_);                                             \
		}                                                                                  \
	} while (0)

/* A reader over the input: fixed-size fields first, the rest as text. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->left) {
		v = *in->p++;
		in->left--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline void fuzz_bytes(struct fuzz_in *in, void *out, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memset(out, 0, n);
	memcpy(out, in->p, k);
	in->p += k;
	in->left -= k;
}

/* The next NUL-separated field as a malloc'd C string of at most max bytes
 * (the whole rest when there is no NUL). Never NULL. */
static inline char *fuzz_str(struct fuzz_in *in, size_t max)
{
	const uint8_t *nul = memchr(in->p, 0, in->left);
	size_t n = nul ? (size_t)(nul - in->p) : in->left;
	char *s;

	s = malloc((n < max ? n : max) + 1);
	if (!s)
		abort();
	memcpy(s, in->p, n < max ? n : max);
	s[n < max ? n : max] = '\0';
	in->p += n + (nul != NULL);
	in->left -= n + (nul != NULL);
	return s;
}

#endif
