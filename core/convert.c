/* SPDX-License-Identifier: MIT */
#include "convert.h"

#include <sodium.h>
#include <string.h>

#define METANS_DIGEST_LEN 16 /* BLAKE2b-128, as hash.metans.net */
#define BCD_DIGITS_MAX	  4  /* 16 bits of nibbles */

static const char *const kind_names[] = {
    [CONVERTER_DIRECT_BCD] = "direct-bcd",
    [CONVERTER_METANS] = "metans",
};

bool converter_kind_parse(const char *text, enum converter_kind *out)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(text, kind_names[i])) {
			*out = (enum converter_kind)i;
			return true;
		}
	}
	return false;
}

const char *converter_kind_name(enum converter_kind kind)
{
	if ((unsigned int)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return NULL;
	return kind_names[kind];
}

/* Exactly one '%' in the template, and it starts "%s". */
static bool template_ok(const char *t, const char **why)
{
	const char *pct = strchr(t, '%');

	if (strnlen(t, AWG_TEMPLATE_MAX + 1) > AWG_TEMPLATE_MAX) {
		*why = "metans template too long";
		return false;
	}
	if (!pct) {
		*why = "metans template has no %s";
		return false;
	}
	if (pct[1] != 's' || strchr(pct + 1, '%')) {
		*why = "metans template must hold exactly one %s and no other %";
		return false;
	}
	return true;
}

/* One DNS label: LDH, 1 to AWG_LABEL_MAX bytes, no hyphen at either end. */
static bool label_ok(const char *l, size_t n, const char **why)
{
	size_t i;

	if (n == 0) {
		*why = "empty DNS label";
		return false;
	}
	if (n > AWG_LABEL_MAX) {
		*why = "DNS label longer than 63 bytes";
		return false;
	}
	for (i = 0; i < n; i++) {
		char ch = l[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
			*why = "DNS label has a character other than a letter, digit or hyphen";
			return false;
		}
	}
	if (l[0] == '-' || l[n - 1] == '-') {
		*why = "DNS label starts or ends with a hyphen";
		return false;
	}
	return true;
}

/* Expand the template with name and lowercase it: the DNS name metans hashes. */
static bool metans_name(const char *template, const char *name, char out[AWG_DNS_NAME_MAX + 1],
			const char **why)
{
	const char *pct = strchr(template, '%');
	size_t pre = (size_t)(pct - template), nlen = strlen(name), post = strlen(pct + 2);
	size_t i, total = pre + nlen + post;

	if (nlen == 0) {
		*why = "empty name";
		return false;
	}
	if (nlen > AWG_DNS_NAME_MAX || total > AWG_DNS_NAME_MAX) {
		*why = "DNS name longer than 253 bytes";
		return false;
	}
	memcpy(out, template, pre);
	memcpy(out + pre, name, nlen);
	memcpy(out + pre + nlen, pct + 2, post + 1);
	for (i = 0; i < total; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return true;
}

/* The labels of dns in reverse order joined by NUL bytes, into msg (as long
 * as dns). Checks every label. */
static bool metans_message(const char *dns, uint8_t *msg, size_t *msg_len, const char **why)
{
	size_t n = strlen(dns), end = n, pos = 0, start;

	for (;;) {
		start = end;
		while (start > 0 && dns[start - 1] != '.')
			start--;
		if (!label_ok(dns + start, end - start, why))
			return false;
		if (pos)
			msg[pos++] = 0;
		memcpy(msg + pos, dns + start, end - start);
		pos += end - start;
		if (start == 0)
			break;
		end = start - 1;
	}
	*msg_len = pos;
	return true;
}

static bool host_bits_zero(const struct prefix6 *p)
{
	unsigned int i;

	for (i = p->len; i < 128; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool converter_init(struct converter *c, enum converter_kind kind, const struct prefix6 *pool,
		    const char *template, const char **why)
{
	char probe[AWG_DNS_NAME_MAX + 1];
	uint8_t msg[AWG_DNS_NAME_MAX + 1];
	size_t msg_len;

	memset(c, 0, sizeof(*c));
	if (pool->len > 128 || !host_bits_zero(pool)) {
		*why = "pool is not a valid prefix";
		return false;
	}
	switch (kind) {
	case CONVERTER_DIRECT_BCD:
		if (pool->len > AWG_BCD_POOL_MAXLEN) {
			*why = "pool too small for direct-bcd (needs /112 or shorter)";
			return false;
		}
		break;
	case CONVERTER_METANS:
		if (pool->len > AWG_METANS_POOL_MAXLEN) {
			*why = "pool too small for metans (needs /120 or shorter)";
			return false;
		}
		if (!template)
			template = "%s";
		if (!template_ok(template, why))
			return false;
		/* "a" is the mildest name there is: if the template breaks DNS
		 * rules around it, it breaks them around every name. */
		if (!metans_name(template, "a", probe, why) ||
		    !metans_message(probe, msg, &msg_len, why)) {
			*why = "metans template does not give a valid DNS name";
			return false;
		}
		strcpy(c->template, template);
		break;
	default:
		*why = "unknown converter";
		return false;
	}
	c->kind = kind;
	c->pool = *pool;
	return true;
}

static bool map_bcd(const struct converter *c, const char *name, uint8_t out[16], const char **why)
{
	size_t i, n = strnlen(name, BCD_DIGITS_MAX + 1);
	unsigned int v = 0;

	if (n == 0) {
		*why = "empty name";
		return false;
	}
	if (n > BCD_DIGITS_MAX) {
		*why = "direct-bcd name longer than 4 digits";
		return false;
	}
	for (i = 0; i < n; i++) {
		if (name[i] < '0' || name[i] > '9') {
			*why = "direct-bcd name has a character other than 0-9";
			return false;
		}
		v = v << 4 | (unsigned int)(name[i] - '0');
	}
	memcpy(out, c->pool.addr, 16);
	out[14] |= (uint8_t)(v >> 8);
	out[15] |= (uint8_t)v;
	return true;
}

/* The digest is read as a 128-bit big-endian number; its low 128 - len bits
 * become the host bits, so byte i of the digest lands in byte i of the
 * address (checked against hash.metans.net's answers in tests/vectors). */
static bool map_metans(const struct converter *c, const char *name, uint8_t out[16],
		       const char **why)
{
	char dns[AWG_DNS_NAME_MAX + 1];
	uint8_t msg[AWG_DNS_NAME_MAX + 1], digest[METANS_DIGEST_LEN];
	size_t msg_len;
	unsigned int i;

	if (!strstr(c->template, "%s")) {
		*why = "converter not initialised";
		return false;
	}
	if (!metans_name(c->template, name, dns, why) || !metans_message(dns, msg, &msg_len, why))
		return false;
	crypto_generichash(digest, sizeof(digest), msg, msg_len, NULL, 0);
	memcpy(out, c->pool.addr, 16);
	for (i = 0; i < 16; i++) {
		unsigned int first = i * 8; /* first bit of this byte */
		uint8_t host;

		if (first + 8 <= c->pool.len)
			continue;
		host = first >= c->pool.len ? 0xff : (uint8_t)(0xff >> (c->pool.len - first));
		out[i] = (uint8_t)((out[i] & ~host) | (digest[i] & host));
	}
	return true;
}

bool converter_map(const struct converter *c, const char *name, uint8_t out[16], const char **why)
{
	switch (c->kind) {
	case CONVERTER_DIRECT_BCD:
		return map_bcd(c, name, out, why);
	case CONVERTER_METANS:
		return map_metans(c, name, out, why);
	}
	*why = "unknown converter";
	return false;
}
