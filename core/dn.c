/* SPDX-License-Identifier: MIT */
/*
 * RFC 4514 DN text as nginx ($ssl_client_s_dn: OpenSSL's RFC 2253 flags, so
 * non-ASCII and control bytes come as \HH) and Caddy (Go's pkix.Name.String:
 * raw UTF-8, unknown attribute types as OID=#BER-hex) print it. Strict: no
 * spaces around separators, no quoted values, no OpenSSL one-line form.
 */
#include "dn.h"

#include <string.h>

#include "text.h"

struct dn_parser {
	const char *p, *end;
	char *cn;
	size_t cn_len;
	unsigned int cn_count;
	const char *why;
};

static bool refuse(const char **why, const char *reason)
{
	*why = reason;
	return false;
}

static bool fail(struct dn_parser *d, const char *why)
{
	d->why = why;
	return false;
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* descr: a letter, then letters, digits and hyphens (RFC 4512 keystring). */
static bool is_descr(const char *t, size_t n)
{
	size_t i;

	if (!is_alpha(t[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alpha(t[i]) && !is_digit(t[i]) && t[i] != '-')
			return false;
	return true;
}

/* numericoid: numbers without leading zeros, at least two, dot-separated. */
static bool is_numericoid(const char *t, size_t n)
{
	size_t i, start = 0, dots = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && is_digit(t[i]))
			continue;
		if (i < n && t[i] != '.')
			return false;
		if (i == start || (t[start] == '0' && i - start > 1))
			return false;
		dots += i < n;
		start = i + 1;
	}
	return dots >= 1;
}

static bool type_is_cn(const char *t, size_t n)
{
	return (n == 2 && !strncasecmp(t, "cn", 2)) ||
	       (n == 10 && !strncasecmp(t, "commonName", 10)) ||
	       (n == 7 && !memcmp(t, "2.5.4.3", 7));
}

static bool at_separator(const struct dn_parser *d)
{
	return d->p == d->end || *d->p == ',' || *d->p == '+';
}

/* attributeType "=" ; sets *is_cn. */
static bool parse_type(struct dn_parser *d, bool *is_cn)
{
	const char *t = d->p;
	size_t n;

	if (at_separator(d))
		return fail(d, "empty RDN or attribute");
	while (d->p < d->end &&
	       (is_alpha(*d->p) || is_digit(*d->p) || *d->p == '-' || *d->p == '.'))
		d->p++;
	n = (size_t)(d->p - t);
	if (d->p == d->end || *d->p == ',' || *d->p == '+')
		return fail(d, "attribute type without '='");
	if (*d->p != '=' || n == 0)
		return fail(d, "bad attribute type");
	if (!is_descr(t, n) && !is_numericoid(t, n))
		return fail(d, "bad attribute type");
	*is_cn = type_is_cn(t, n);
	d->p++;
	return true;
}

/* "#" 1*hexpair: BER of a value the printer did not decode. Checked, skipped. */
static bool parse_hexstring(struct dn_parser *d, bool is_cn)
{
	size_t pairs = 0;

	if (is_cn)
		return fail(d, "CN given as #hex (BER) is not accepted");
	d->p++;
	while (!at_separator(d)) {
		if (d->end - d->p < 2 || text_hexval(d->p[0]) < 0 || text_hexval(d->p[1]) < 0)
			return fail(d, "bad #hex value");
		d->p += 2;
		pairs++;
	}
	return pairs ? true : fail(d, "bad #hex value");
}

static bool put(struct dn_parser *d, bool is_cn, char ch)
{
	if (!is_cn)
		return true;
	if (d->cn_len >= AWG_CN_MAX)
		return fail(d, "CN longer than 255 bytes");
	d->cn[d->cn_len++] = ch;
	return true;
}

/* One escape after '\': a special character or two hex digits. */
static bool parse_escape(struct dn_parser *d, bool is_cn)
{
	int hi, lo;

	d->p++;
	if (d->p == d->end)
		return fail(d, "trailing backslash");
	if (*d->p && strchr(",+\"\\#;<>= ", *d->p))
		return put(d, is_cn, *d->p++);
	hi = text_hexval(*d->p);
	if (hi < 0)
		return fail(d, "bad escape");
	if (d->p + 1 == d->end || (lo = text_hexval(d->p[1])) < 0)
		return fail(d, "bad hex escape");
	d->p += 2;
	return put(d, is_cn, (char)(hi << 4 | lo));
}

static bool parse_string(struct dn_parser *d, bool is_cn)
{
	bool last_space = false;

	if (d->p < d->end && *d->p == ' ')
		return fail(d, "unescaped leading space in value");
	while (!at_separator(d)) {
		char ch = *d->p;

		last_space = false;
		if (ch == '\\') {
			if (!parse_escape(d, is_cn))
				return false;
			continue;
		}
		if (ch == '"' || ch == ';' || ch == '<' || ch == '>' || ch == '\0')
			return fail(d, "unescaped special character in value");
		last_space = ch == ' ';
		if (!put(d, is_cn, ch))
			return false;
		d->p++;
	}
	return last_space ? fail(d, "unescaped trailing space in value") : true;
}

static bool parse_attribute(struct dn_parser *d)
{
	bool is_cn = false;

	if (!parse_type(d, &is_cn))
		return false;
	if (is_cn && ++d->cn_count > 1)
		return fail(d, "several CNs in DN");
	if (d->p < d->end && *d->p == '#')
		return parse_hexstring(d, is_cn);
	return parse_string(d, is_cn);
}

bool dn_extract_cn(const char *text, size_t len, char *cn, const char **why)
{
	struct dn_parser d = {.p = text, .end = text + len, .cn = cn};

	if (len == 0)
		return refuse(why, "empty DN");
	if (len > AWG_DN_MAX)
		return refuse(why, "DN longer than 4096 bytes");
	if (text[0] == '{' && text[len - 1] == '}')
		return refuse(why, "web server placeholder, not a DN (no client certificate?)");
	if (text[0] == '/')
		return refuse(why, "OpenSSL one-line form (/O=../CN=..) is not accepted");
	for (;;) {
		if (!parse_attribute(&d))
			return refuse(why, d.why);
		if (d.p == d.end)
			break;
		d.p++; /* ',' or '+' */
		if (d.p == d.end)
			return refuse(why, "empty RDN or attribute");
	}
	if (!d.cn_count)
		return refuse(why, "no CN in DN");
	cn[d.cn_len] = '\0';
	return cn_check(cn, d.cn_len, why);
}

/* One UTF-8 sequence at s[0..n): its length, or 0 when malformed (overlong,
 * surrogate, above U+10FFFF, truncated). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, min = 0x80, *cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, min = 0x800, *cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, min = 0x10000, *cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

bool cn_check(const char *cn, size_t len, const char **why)
{
	const unsigned char *s = (const unsigned char *)cn;
	size_t i = 0, n;
	unsigned long cp;

	if (len == 0)
		return refuse(why, "empty CN");
	if (len > AWG_CN_MAX)
		return refuse(why, "CN longer than 255 bytes");
	while (i < len) {
		n = utf8_seq(s + i, len - i, &cp);
		if (!n)
			return refuse(why, "CN is not valid UTF-8");
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return refuse(why, "CN has a control character");
		i += n;
	}
	return true;
}
