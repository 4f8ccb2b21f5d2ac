/* SPDX-License-Identifier: MIT */
/* autowg-addr: which address does a device with this CN get? The same core
 * code as the helper: CN check, --cn-pattern, then the converter. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/addr.h"
#include "../core/convert.h"
#include "../core/map.h"
#include "../core/pattern.h"
#include "../core/text.h"

#define PROG	       "autowg-addr"
#define EXIT_CN_FAILED 1
#define EXIT_USAGE     2

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --pool PREFIX [OPTION]... [--] CN...\n"
		"Print the IPv6 address autowg gives the device with each certificate CN,\n"
		"one line per CN, in order. Same rules as autowg-helper: the CN must be\n"
		"valid UTF-8 without control characters, then --cn-pattern gives the name,\n"
		"then the converter gives the address.\n"
		"\n"
		"  -p, --pool PREFIX          the address pool, e.g. fde3:25fb:7f6c:1::/64\n"
		"                             (required; IPv6, host bits must be zero)\n"
		"  -c, --converter NAME       direct-bcd (default) or metans:\n"
		"                             direct-bcd: the name is 1 to 4 ASCII digits,\n"
		"                               written as hex nibbles into the last 16 bits\n"
		"                               (CN 1234 -> <pool>::1234); pool /112 or shorter\n"
		"                             metans: the name is lowercased and put into the\n"
		"                               template; each dot-separated label must be 1 to\n"
		"                               63 letters, digits or inner hyphens; BLAKE2b-128\n"
		"                               over the labels in reverse order joined by NUL\n"
		"                               fills the pool's host bits (as hash.metans.net);\n"
		"                               pool /120 or shorter\n"
		"  -t, --metans-template T    the DNS name for metans, with exactly one %%s for\n"
		"                             the name and no other %% (default %%s),\n"
		"                             e.g. %%s.devices.example.com\n"
		"  -r, --cn-pattern RE        PCRE2 (UTF) regex that must match the whole CN;\n"
		"                             the name is group 1 if it has a group, else the\n"
		"                             whole match (default " CN_PATTERN_DEFAULT ")\n"
		"  -h, --help                 show this help and exit\n"
		"  -V, --version              show the version and exit\n"
		"  --                         end of options, for a CN that starts with '-'\n"
		"\n"
		"A CN that cannot be mapped prints nothing on stdout and\n"
		"\"" PROG ": CN: reason\" on stderr (control bytes, backslashes and quotes\n"
		"shown as \\xHH).\n"
		"Exit status: 0 all CNs mapped, 1 some CN failed, 2 bad options.\n");
}

/* The CN as the user typed it, so that stderr stays one line: control
 * bytes, backslashes and quotes as \xHH (UTF-8 shows as it is). */
static int fail_cn(const char *cn, const char *why)
{
	size_t len = strlen(cn);
	char *shown = malloc(4 * len + 1);

	if (shown)
		text_escape(cn, len, shown, 4 * len + 1, TEXT_KEEP_8BIT);
	fprintf(stderr, PROG ": %s: %s\n", shown ? shown : "(CN)", why);
	free(shown);
	return EXIT_CN_FAILED;
}

static int map_one(const struct converter *conv, const struct cn_pattern *pat, const char *cn)
{
	char name[AWG_NAME_MAX + 1], text[AWG_ADDR_TEXT_MAX + 1];
	uint8_t addr[16];
	const char *why;

	if (map_cn(pat, conv, cn, name, addr, &why) != MAP_OK)
		return fail_cn(cn, why);
	addr6_format(addr, text);
	printf("%s\n", text);
	return 0;
}

static int bad_usage(const char *what, const char *arg, const char *why)
{
	if (arg)
		fprintf(stderr, PROG ": %s '%s': %s\n", what, arg, why);
	else
		fprintf(stderr, PROG ": %s\n", what);
	fprintf(stderr, "Try '" PROG " --help'.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pool", required_argument, NULL, 'p'},
	    {"converter", required_argument, NULL, 'c'},
	    {"metans-template", required_argument, NULL, 't'},
	    {"cn-pattern", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *pool_text = NULL, *kind_text = "direct-bcd", *template = "%s";
	const char *re = CN_PATTERN_DEFAULT, *why;
	char err[256];
	struct prefix6 pool;
	enum converter_kind kind;
	struct converter conv;
	struct cn_pattern *pat;
	int c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "p:c:t:r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pool_text = optarg;
			break;
		case 'c':
			kind_text = optarg;
			break;
		case 't':
			template = optarg;
			break;
		case 'r':
			re = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " " AUTOWG_VERSION "\n");
			return 0;
		default:
			return bad_usage("bad option", NULL, NULL);
		}
	}
	if (!pool_text)
		return bad_usage("--pool is required", NULL, NULL);
	if (!prefix6_parse(pool_text, &pool, &why))
		return bad_usage("bad --pool", pool_text, why);
	if (!converter_kind_parse(kind_text, &kind))
		return bad_usage("bad --converter", kind_text, "not direct-bcd or metans");
	if (!converter_init(&conv, kind, &pool, template, &why))
		return bad_usage("bad configuration", pool_text, why);
	if (optind >= argc)
		return bad_usage("no CN given", NULL, NULL);
	pat = cn_pattern_compile(re, err, sizeof(err));
	if (!pat)
		return bad_usage("bad --cn-pattern", re, err);
	for (i = optind; i < argc; i++)
		rc |= map_one(&conv, pat, argv[i]);
	cn_pattern_free(pat);
	if (fflush(stdout) != 0)
		rc = EXIT_CN_FAILED;
	return rc;
}
