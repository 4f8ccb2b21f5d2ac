/* SPDX-License-Identifier: MIT */
/* DN text as nginx ($ssl_client_s_dn) and Caddy ({http.request.tls.client.subject})
 * print it, and the CN rules. */
#include "../unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/dn.h"

static void expect_cn_n(const char *dn, size_t len, const char *want)
{
	char cn[AWG_CN_MAX + 1];
	const char *why = NULL;

	if (!dn_extract_cn(dn, len, cn, &why))
		fail_msg("DN \"%.*s\" refused: %s", (int)len, dn, why);
	assert_string_equal(cn, want);
}

static void expect_cn(const char *dn, const char *want)
{
	expect_cn_n(dn, strlen(dn), want);
}

static void expect_refused_n(const char *dn, size_t len, const char *want_why)
{
	char cn[AWG_CN_MAX + 1];
	const char *why = NULL;

	if (dn_extract_cn(dn, len, cn, &why))
		fail_msg("DN \"%.*s\" accepted with CN \"%s\", want \"%s\"", (int)len, dn, cn,
			 want_why);
	if (strcmp(why, want_why))
		fail_msg("DN \"%.*s\": refused with \"%s\", want \"%s\"", (int)len, dn, why,
			 want_why);
}

static void expect_refused(const char *dn, const char *want_why)
{
	expect_refused_n(dn, strlen(dn), want_why);
}

static void nginx_form(void **state)
{
	expect_cn("CN=1234,O=Fleet,C=DE", "1234");
	expect_cn("C=DE,O=Fleet,CN=1234", "1234");
	expect_cn("CN=smart-toilet-1234", "smart-toilet-1234");
	expect_cn("emailAddress=a@example.com,CN=1234,OU=Ops,O=Fleet GmbH,L=Berlin,C=DE", "1234");
}

static void caddy_form(void **state)
{
	expect_cn("CN=dev\\,ice+UID=7,O=X", "dev,ice");
	expect_cn("SERIALNUMBER=42,CN=1234,OU=Devices,O=Fleet,POSTALCODE=10115,C=DE", "1234");
}

static void unknown_oid_hex_skipped(void **state)
{
	/* Go prints attribute types it does not know as OID=#BER-hex. */
	expect_cn("1.2.840.113549.1.9.1=#160f646576406578616d706c652e636f6d,CN=1234,O=Fleet",
		  "1234");
	expect_cn("CN=1234+0.9.2342.19200300.100.1.1=#0c0137", "1234");
}

static void type_names(void **state)
{
	expect_cn("CN=a", "a");
	expect_cn("cn=a", "a");
	expect_cn("Cn=a", "a");
	expect_cn("commonName=a", "a");
	expect_cn("COMMONNAME=a", "a");
	expect_cn("2.5.4.3=a", "a");
	expect_cn("O=x,commonname=a", "a");
}

static void other_types(void **state)
{
	expect_cn("x-custom-1=v,CN=a", "a");
	expect_cn("1.3.6.1.4.1.99999.1=v,CN=a", "a");
	expect_cn("0.9.2342.19200300.100.1.25=com,CN=a", "a");
}

static void multi_valued(void **state)
{
	expect_cn("O=x+CN=a+OU=y,C=DE", "a");
	expect_cn("CN=a+UID=7", "a");
	expect_cn("UID=7+CN=a", "a");
}

static void escapes(void **state)
{
	expect_cn("CN=a\\,b\\+c\\\"d\\\\e\\#f\\;g\\<h\\>i\\=j\\ k", "a,b+c\"d\\e#f;g<h>i=j k");
}

static void escaped_spaces(void **state)
{
	expect_cn("CN=\\ lead", " lead");
	expect_cn("CN=trail\\ ", "trail ");
	expect_cn("CN=\\#1", "#1");
	expect_cn("CN=in side", "in side");
}

static void hex_escapes(void **state)
{
	expect_cn("CN=caf\\C3\\A9", "caf\xc3\xa9");
	expect_cn("CN=caf\\c3\\a9", "caf\xc3\xa9");
	expect_cn("CN=\\31\\32\\33\\34", "1234");
	expect_cn("CN=\\2C", ",");
}

static void raw_utf8(void **state)
{
	expect_cn("CN=caf\xc3\xa9,O=x", "caf\xc3\xa9");
	expect_cn("CN=\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
	expect_cn("CN=\xf0\x9f\x9a\xbd", "\xf0\x9f\x9a\xbd");
}

static void unescaped_equals_and_hash(void **state)
{
	expect_cn("CN=a=b", "a=b");
	expect_cn("CN=a#b", "a#b");
}

static void empty_other_value(void **state)
{
	expect_cn("O=,CN=a", "a");
}

static void controls_outside_cn(void **state)
{
	/* Only the CN is an identity; Go prints other values raw. */
	expect_cn("O=a\tb,CN=a", "a");
}

static void refuse_empty(void **state)
{
	expect_refused("", "empty DN");
}

static void refuse_placeholder(void **state)
{
	expect_refused("{http.request.tls.client.subject}",
		       "web server placeholder, not a DN (no client certificate?)");
}

static void refuse_oneline(void **state)
{
	expect_refused("/O=x/CN=y", "OpenSSL one-line form (/O=../CN=..) is not accepted");
	expect_refused("/CN=1234", "OpenSSL one-line form (/O=../CN=..) is not accepted");
}

static void refuse_type_without_equals(void **state)
{
	expect_refused("CN", "attribute type without '='");
	expect_refused("O=x,CN", "attribute type without '='");
	expect_refused("CN=a,O,C=DE", "attribute type without '='");
	expect_refused("CN=a+O", "attribute type without '='");
	expect_refused("hello", "attribute type without '='");
}

static void refuse_bad_type(void **state)
{
	static const char *const bad[] = {
	    "=a",	 "1CN=a",      "C_N=a",		"-cn=a", "2.5.04.3=a", "2.=a",
	    ".2.5=a",	 "2=a",	       "2..5=a",	"CN =a", " CN=a",      "CN=a, O=b",
	    "CN=a,O =b", "\xc3\xa9=a", "OID.2.5.4.3=a", "C N=a", "{x}=a",      "CN=a;O=b=c",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!strcmp(bad[i], "CN=a;O=b=c"))
			expect_refused(bad[i], "unescaped special character in value");
		else
			expect_refused(bad[i], "bad attribute type");
	}
}

static void refuse_hex_cn(void **state)
{
	expect_refused("CN=#0C0431323334", "CN given as #hex (BER) is not accepted");
	expect_refused("O=x,2.5.4.3=#0C0131", "CN given as #hex (BER) is not accepted");
}

static void refuse_bad_hexstring(void **state)
{
	expect_refused("O=#,CN=a", "bad #hex value");
	expect_refused("O=#abc,CN=a", "bad #hex value");
	expect_refused("O=#zz,CN=a", "bad #hex value");
	expect_refused("O=#0c01 ,CN=a", "bad #hex value");
}

static void refuse_no_cn(void **state)
{
	expect_refused("O=Fleet,C=DE", "no CN in DN");
	expect_refused("UID=1234", "no CN in DN");
}

static void refuse_several_cns(void **state)
{
	expect_refused("CN=a,CN=b", "several CNs in DN");
	expect_refused("CN=a+CN=b", "several CNs in DN");
	expect_refused("CN=a,commonName=b", "several CNs in DN");
	expect_refused("CN=a,O=x,2.5.4.3=b", "several CNs in DN");
	expect_refused("CN=a,CN=a", "several CNs in DN");
	expect_refused("CN=,CN=a", "several CNs in DN");
}

static void refuse_empty_cn(void **state)
{
	expect_refused("CN=,O=x", "empty CN");
	expect_refused("CN=", "empty CN");
	expect_refused("O=x+CN=", "empty CN");
}

static void refuse_unescaped_specials(void **state)
{
	const char *w = "unescaped special character in value";

	expect_refused("CN=a\"b", w);
	expect_refused("CN=\"quoted\"", w);
	expect_refused("CN=a;b", w);
	expect_refused("CN=a<b", w);
	expect_refused("CN=a>b", w);
	expect_refused("O=a<b,CN=x", w);
	expect_refused_n("CN=a\0b", 6, w);
}

static void refuse_trailing_backslash(void **state)
{
	expect_refused("CN=abc\\", "trailing backslash");
}

static void refuse_bad_hex_escape(void **state)
{
	expect_refused("CN=a\\4", "bad hex escape");
	expect_refused("CN=a\\4g", "bad hex escape");
	expect_refused("CN=a\\4,O=x", "bad hex escape");
}

static void refuse_bad_escape(void **state)
{
	expect_refused("CN=a\\q", "bad escape");
	expect_refused("CN=a\\n", "bad escape");
	expect_refused("CN=a\\/b", "bad escape");
	expect_refused_n("CN=a\\\0", 6, "bad escape");
}

static void refuse_unescaped_spaces(void **state)
{
	expect_refused("CN= a", "unescaped leading space in value");
	expect_refused("CN=a ", "unescaped trailing space in value");
	expect_refused("CN=a ,O=x", "unescaped trailing space in value");
	expect_refused("O=x ,CN=a", "unescaped trailing space in value");
}

static void refuse_empty_rdn(void **state)
{
	const char *w = "empty RDN or attribute";

	expect_refused("CN=a,,O=b", w);
	expect_refused(",CN=a", w);
	expect_refused("CN=a,", w);
	expect_refused("CN=a+", w);
	expect_refused("+CN=a", w);
	expect_refused("CN=a+,O=b", w);
}

static void refuse_too_long_dn(void **state)
{
	static char dn[AWG_DN_MAX + 2];

	memset(dn, 'a', sizeof(dn) - 1);
	memcpy(dn, "CN=1,O=", 7);
	dn[AWG_DN_MAX + 1] = '\0';
	expect_refused(dn, "DN longer than 4096 bytes");
	dn[AWG_DN_MAX] = '\0';
	expect_cn(dn, "1");
}

static void cn_max_len(void **state)
{
	char dn[3 * (AWG_CN_MAX + 1) + 8], want[AWG_CN_MAX + 2];
	size_t i;

	memset(want, 'x', sizeof(want));
	want[AWG_CN_MAX] = '\0';
	snprintf(dn, sizeof(dn), "CN=%s", want);
	expect_cn(dn, want); /* 255 bytes */
	want[AWG_CN_MAX] = 'x';
	want[AWG_CN_MAX + 1] = '\0';
	snprintf(dn, sizeof(dn), "CN=%s", want);
	expect_refused(dn, "CN longer than 255 bytes");
	/* escapes count as the bytes they stand for */
	strcpy(dn, "CN=");
	for (i = 0; i < AWG_CN_MAX + 1; i++)
		strcat(dn, "\\41");
	expect_refused(dn, "CN longer than 255 bytes");
}

static void refuse_bad_utf8(void **state)
{
	const char *w = "CN is not valid UTF-8";

	expect_refused("CN=\\C3", w);		  /* truncated */
	expect_refused("CN=a\\C3b", w);		  /* bad continuation */
	expect_refused("CN=\\C0\\AF", w);	  /* overlong '/' */
	expect_refused("CN=\\E0\\80\\AF", w);	  /* overlong, 3 bytes */
	expect_refused("CN=\\F0\\80\\80\\AF", w); /* overlong, 4 bytes */
	expect_refused("CN=\\ED\\A0\\80", w);	  /* surrogate U+D800 */
	expect_refused("CN=\\ED\\BF\\BF", w);	  /* surrogate U+DFFF */
	expect_refused("CN=\\F4\\90\\80\\80", w); /* U+110000 */
	expect_refused("CN=\\FF", w);
	expect_refused("CN=\\80", w);		      /* lone continuation */
	expect_refused("CN=\xc3(", w);		      /* raw, not escaped */
	expect_refused("CN=\xf8\x88\x80\x80\x80", w); /* 5-byte form */
}

static void refuse_controls(void **state)
{
	const char *w = "CN has a control character";

	expect_refused("CN=a\\0Ab", w);	    /* LF */
	expect_refused("CN=a\\00b", w);	    /* NUL */
	expect_refused("CN=a\\1Fb", w);	    /* C0 */
	expect_refused("CN=a\\7Fb", w);	    /* DEL */
	expect_refused("CN=a\\C2\\85b", w); /* NEL, C1 */
	expect_refused("CN=a\\C2\\9Fb", w); /* last C1 */
	expect_refused("CN=a\tb", w);	    /* raw tab */
	expect_refused("CN=a\x1b[31mb", w); /* raw ESC */
}

static void expect_cn_check(const char *s, size_t len, const char *want_why)
{
	const char *why = NULL;
	bool ok = cn_check(s, len, &why);

	if (!want_why && !ok)
		fail_msg("cn_check refused \"%.*s\": %s", (int)len, s, why);
	if (want_why && ok)
		fail_msg("cn_check accepted \"%.*s\", want \"%s\"", (int)len, s, want_why);
	if (want_why)
		assert_string_equal(why, want_why);
}

static void cn_check_accepts(void **state)
{
	expect_cn_check("1234", 4, NULL);
	expect_cn_check("\xc2\xa0", 2, NULL);	      /* U+00A0, just after C1 */
	expect_cn_check("\xef\xbf\xbd", 3, NULL);     /* U+FFFD */
	expect_cn_check("\xf4\x8f\xbf\xbf", 4, NULL); /* U+10FFFF */
	expect_cn_check("\xed\x9f\xbf", 3, NULL);     /* U+D7FF */
	expect_cn_check("\xee\x80\x80", 3, NULL);     /* U+E000 */
	expect_cn_check("~", 1, NULL);
	expect_cn_check(" ", 1, NULL);
}

static void cn_check_refuses(void **state)
{
	char big[AWG_CN_MAX + 1];

	memset(big, 'a', sizeof(big));
	expect_cn_check(big, AWG_CN_MAX, NULL);
	expect_cn_check(big, AWG_CN_MAX + 1, "CN longer than 255 bytes");
	expect_cn_check("", 0, "empty CN");
	expect_cn_check("a\0b", 3, "CN has a control character");
	expect_cn_check("\x7f", 1, "CN has a control character");
	expect_cn_check("\xc2\x80", 2, "CN has a control character");
	expect_cn_check("\xc1\xbf", 2, "CN is not valid UTF-8");
	expect_cn_check("\xe0\x9f\xbf", 3, "CN is not valid UTF-8");
	expect_cn_check("\xf0\x8f\xbf\xbf", 4, "CN is not valid UTF-8");
	expect_cn_check("\xf4\x8f\xbf", 3, "CN is not valid UTF-8"); /* cut by len */
	expect_cn_check("\xf5\x80\x80\x80", 4, "CN is not valid UTF-8");
}

static void len_bounds_text(void **state)
{
	/* text need not be NUL-terminated: len alone bounds it. */
	const char buf[] = {'C', 'N', '=', '1', '2', ',', 'O'};

	expect_cn_n(buf, 5, "12");
	expect_cn_n("CN=12,O=x", 5, "12");
}

/* A random CN of valid UTF-8 without control characters, 1..max bytes. */
static size_t random_cn(unsigned int *seed, char *out, size_t max)
{
	static const char *const pieces[] = {
	    "a",
	    "Z",
	    "0",
	    " ",
	    ",",
	    "+",
	    "\"",
	    "\\",
	    "#",
	    ";",
	    "<",
	    ">",
	    "=",
	    "-",
	    ".",
	    "/",
	    "\xc3\xa9",
	    "\xe6\x97\xa5",
	    "\xf0\x9f\x9a\xbd",
	    "\xc2\xa0",
	};
	size_t n = 0, want = 1 + (size_t)rand_r(seed) % max;

	while (n < want) {
		const char *p = pieces[rand_r(seed) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t l = strlen(p);

		if (n + l > want)
			break;
		memcpy(out + n, p, l);
		n += l;
	}
	if (!n)
		out[n++] = 'x';
	out[n] = '\0';
	return n;
}

/* As Go's pkix.Name.String escapes a value (Caddy). */
static void escape_go(const char *v, char *out)
{
	size_t i, n = strlen(v);
	char *o = out;

	for (i = 0; i < n; i++) {
		char ch = v[i];
		bool esc = strchr(",+\"\\<>;", ch) != NULL ||
			   (ch == ' ' && (i == 0 || i == n - 1)) || (ch == '#' && i == 0);

		if (esc)
			*o++ = '\\';
		*o++ = ch;
	}
	*o = '\0';
}

/* As OpenSSL's RFC 2253 flags escape a value (nginx): specials with a
 * backslash, bytes >= 0x80 as \HH. */
static void escape_openssl(const char *v, char *out)
{
	size_t i, n = strlen(v);
	char *o = out;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch >= 0x80) {
			o += sprintf(o, "\\%02X", ch);
			continue;
		}
		if (strchr(",+\"\\<>;", ch) || (ch == ' ' && (i == 0 || i == n - 1)) ||
		    (ch == '#' && i == 0))
			*o++ = '\\';
		*o++ = (char)ch;
	}
	*o = '\0';
}

static void round_trip(void **state)
{
	unsigned int seed = 4514;
	char cn[AWG_CN_MAX + 1], esc[4 * AWG_CN_MAX + 1], dn[4 * AWG_CN_MAX + 64];
	int i;

	for (i = 0; i < 20000; i++) {
		random_cn(&seed, cn, 60);
		if (i % 2)
			escape_go(cn, esc);
		else
			escape_openssl(cn, esc);
		snprintf(dn, sizeof(dn), i % 3 ? "CN=%s,OU=x\\,y,O=Fleet,C=DE" : "C=DE+O=a,CN=%s",
			 esc);
		expect_cn(dn, cn);
	}
}

static void random_text_safe(void **state)
{
	static const char alphabet[] = "CNO=,+\\#\"; <>0aF9.\x00\xc3\xa9\x80\xff\n";
	unsigned int seed = 1;
	char text[80], cn[AWG_CN_MAX + 1];
	int i, accepted = 0;

	for (i = 0; i < 300000; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(text), k;
		const char *why = NULL;

		for (k = 0; k < len; k++)
			text[k] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		if (len >= 3 && rand_r(&seed) % 2)
			memcpy(text, "CN=", 3);
		if (dn_extract_cn(text, len, cn, &why)) {
			accepted++;
			assert_true(cn_check(cn, strlen(cn), &why));
		} else {
			assert_non_null(why);
		}
	}
	print_message("# %d of 300000 random texts accepted\n", accepted);
	assert_true(accepted > 100);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("dn: nginx $ssl_client_s_dn form, CN first or last", nginx_form),
	    T("dn: Caddy form with a multi-valued RDN", caddy_form),
	    T("dn: other attributes as OID=#hex are checked and skipped", unknown_oid_hex_skipped),
	    T("dn: CN, commonName and 2.5.4.3 in any case name the CN", type_names),
	    T("dn: other descr and numeric OID types are accepted", other_types),
	    T("dn: multi-valued RDNs split on unescaped +", multi_valued),
	    T("dn: escapes \\, \\+ \\\" \\\\ \\# \\; \\< \\> \\= and \\<space> unescape", escapes),
	    T("dn: escaped leading/trailing space and leading # are kept", escaped_spaces),
	    T("dn: \\HH hex escapes give bytes (either case)", hex_escapes),
	    T("dn: raw UTF-8 in the CN is kept", raw_utf8),
	    T("dn: unescaped = and inner # in a value are fine", unescaped_equals_and_hash),
	    T("dn: an empty value of another attribute is fine", empty_other_value),
	    T("dn: control bytes outside the CN do not matter", controls_outside_cn),
	    T("dn: empty text is refused", refuse_empty),
	    T("dn: Caddy's literal placeholder is refused", refuse_placeholder),
	    T("dn: OpenSSL one-line form /O=x/CN=y is refused", refuse_oneline),
	    T("dn: a type without = is refused", refuse_type_without_equals),
	    T("dn: a type that is not descr or numeric OID is refused (spaces too)",
	      refuse_bad_type),
	    T("dn: a CN given as #hex is refused", refuse_hex_cn),
	    T("dn: a malformed #hex value is refused", refuse_bad_hexstring),
	    T("dn: no CN is refused", refuse_no_cn),
	    T("dn: several CNs are refused", refuse_several_cns),
	    T("dn: an empty CN is refused", refuse_empty_cn),
	    T("dn: unescaped \" ; < > or NUL in a value is refused", refuse_unescaped_specials),
	    T("dn: a trailing backslash is refused", refuse_trailing_backslash),
	    T("dn: a bad hex escape is refused", refuse_bad_hex_escape),
	    T("dn: a backslash before anything else is refused", refuse_bad_escape),
	    T("dn: unescaped leading or trailing space is refused", refuse_unescaped_spaces),
	    T("dn: empty RDNs and attributes are refused", refuse_empty_rdn),
	    T("dn: text longer than 4096 bytes is refused", refuse_too_long_dn),
	    T("dn: a CN of 255 bytes is accepted, 256 refused", cn_max_len),
	    T("dn: a CN that is not valid UTF-8 is refused", refuse_bad_utf8),
	    T("dn: a CN with a control character is refused", refuse_controls),
	    T("dn: len bounds the text", len_bounds_text),
	    T("dn: any CN escaped as Go (Caddy) or OpenSSL (nginx) does comes back intact",
	      round_trip),
	    T("dn: random text never crashes; what is accepted passes cn_check", random_text_safe),
	    T("cn_check: valid UTF-8 edges are accepted", cn_check_accepts),
	    T("cn_check: empty, too long, controls, overlongs, out of range refused",
	      cn_check_refuses),
	};

	return RUN(tests);
}
