/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pattern.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cn_pattern {
	pcre2_code *code;
	pcre2_match_context *mctx;
	uint32_t groups;
};

void cn_pattern_free(struct cn_pattern *p)
{
	if (!p)
		return;
	pcre2_match_context_free(p->mctx);
	pcre2_code_free(p->code);
	free(p);
}

struct cn_pattern *cn_pattern_compile(const char *re, char *err, size_t errlen)
{
	struct cn_pattern *p;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	if (strnlen(re, AWG_CN_PATTERN_MAX + 1) > AWG_CN_PATTERN_MAX) {
		snprintf(err, errlen, "CN pattern longer than %d bytes", AWG_CN_PATTERN_MAX);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* \C could split a UTF-8 character; nothing a CN pattern needs. */
	p->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
				PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &code, &off, NULL);
	if (!p->code) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "bad CN pattern at offset %zu: %s", (size_t)off, (char *)msg);
		goto fail;
	}
	p->mctx = pcre2_match_context_create(NULL);
	if (!p->mctx) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* A pattern like (a+)+b must not hang a responder on a long CN. */
	pcre2_set_match_limit(p->mctx, AWG_PATTERN_MATCH_LIMIT);
	pcre2_pattern_info(p->code, PCRE2_INFO_CAPTURECOUNT, &p->groups);
	return p;
fail:
	cn_pattern_free(p);
	return NULL;
}

bool cn_pattern_name(const struct cn_pattern *p, const char *cn, char *name, const char **why)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	size_t start, len;
	int rc;
	bool ok = false;

	md = pcre2_match_data_create_from_pattern(p->code, NULL);
	if (!md) {
		*why = "out of memory";
		return false;
	}
	/* The whole CN, by match options: "^...$" glued around the pattern
	 * would let "$" match before a final newline and "a|b" escape. */
	rc = pcre2_match(p->code, (PCRE2_SPTR)cn, strlen(cn), 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED,
			 md, p->mctx);
	if (rc == PCRE2_ERROR_NOMATCH) {
		*why = "CN does not match the CN pattern";
		goto out;
	}
	if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
		*why = "CN is not valid UTF-8";
		goto out;
	}
	if (rc == PCRE2_ERROR_MATCHLIMIT) {
		*why = "CN pattern match limit reached";
		goto out;
	}
	if (rc < 0) {
		*why = "CN pattern match failed";
		goto out;
	}
	ov = pcre2_get_ovector_pointer(md);
	if (p->groups >= 1 && (rc < 2 || ov[2] == PCRE2_UNSET)) {
		*why = "empty name";
		goto out;
	}
	start = p->groups >= 1 ? ov[2] : ov[0];
	len = p->groups >= 1 ? ov[3] : ov[1];
	len = len > start ? len - start : 0; /* \K can leave end before start */
	if (len == 0) {
		*why = "empty name";
		goto out;
	}
	if (len > AWG_NAME_MAX) {
		*why = "name longer than 63 bytes";
		goto out;
	}
	memcpy(name, cn + start, len);
	name[len] = '\0';
	ok = true;
out:
	pcre2_match_data_free(md);
	return ok;
}
