/* SPDX-License-Identifier: MIT */
/* WireGuard keys: strict base64 of exactly 32 bytes. */
#ifndef AUTOWG_KEY_H
#define AUTOWG_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "limits.h"

/* Parse len bytes of text (not NUL-terminated; surrounding ASCII whitespace
 * ignored). Refuses anything but 44 characters of canonical base64 that
 * decode to 32 bytes, and the all-zero key. */
bool key_parse(const char *text, size_t len, uint8_t out[AWG_KEY_LEN], const char **why);
/* Base64 into out[AWG_KEY_B64_LEN + 1]. */
void key_format(const uint8_t key[AWG_KEY_LEN], char *out);
/* Constant-time equality. */
bool key_equal(const uint8_t a[AWG_KEY_LEN], const uint8_t b[AWG_KEY_LEN]);
/* Constant-time all-zero test. */
bool key_is_zero(const uint8_t key[AWG_KEY_LEN]);

#endif
