/* SPDX-License-Identifier: MIT */
#include "text.h"

#include <stdbool.h>

const char *text_escape(const char *in, size_t len, char *out, size_t size, unsigned flags)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		bool plain = (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' && c != '"') ||
			     (c >= 0x80 && (flags & TEXT_KEEP_8BIT));

		if (o + (plain ? 1 : 4) >= size)
			break;
		if (plain) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return out;
}

int text_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}
