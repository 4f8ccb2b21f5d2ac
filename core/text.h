/* SPDX-License-Identifier: MIT */
/* Untrusted text shown on one line (a log line, a message to a terminal),
 * and hex digits. Pure. */
#ifndef AUTOWG_TEXT_H
#define AUTOWG_TEXT_H

#include <stddef.h>

/* text_escape flags */
#define TEXT_KEEP_8BIT 1u /* bytes 0x80 and up stay: a terminal shows UTF-8 */

/* Bytes of in, up to a NUL or len, into out[size] (size >= 1): printable
 * ASCII stays, except the backslash and both quotes; every other byte
 * becomes \xHH. Cut to fit, never inside an escape. Returns out. */
const char *text_escape(const char *in, size_t len, char *out, size_t size, unsigned flags);
/* The value of hex digit ch (either case), or -1. */
int text_hexval(char ch);

#endif
