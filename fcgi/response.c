/* SPDX-License-Identifier: MIT */
/* Answers: a status, a content type, a few headers and an owned body. */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	int status;
	const char *text;
} statuses[] = {
    {200, "OK"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {503, "Service Unavailable"},
};

const char *status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return statuses[i].text;
	return NULL;
}

bool response_set_body(struct response *out, int status, const char *type, char *body, size_t len)
{
	free(out->body);
	out->status = status;
	out->content_type = type;
	out->body = body;
	out->body_len = len;
	return body != NULL;
}

/* A one-line text/plain answer. The reason is a constant or checked text;
 * anything but printable bytes is cut, so the answer stays one line. */
void response_text(struct response *out, int status, const char *reason)
{
	size_t len = 0;
	char *body;

	while (reason[len] && len < FCGI_REASON_MAX &&
	       ((unsigned char)reason[len] >= 0x20 && reason[len] != 0x7f))
		len++;
	memcpy(out->reason, reason, len);
	out->reason[len] = '\0';
	body = malloc(len + 2);
	if (!body) {
		/* still a complete answer: a status with an empty body */
		response_set_body(out, status, "text/plain; charset=UTF-8", NULL, 0);
		return;
	}
	memcpy(body, reason, len);
	body[len] = '\n';
	body[len + 1] = '\0';
	response_set_body(out, status, "text/plain; charset=UTF-8", body, len + 1);
}

int response_header(const struct response *r, char *buf, size_t size)
{
	const char *text = status_text(r->status);
	char retry[sizeof("Retry-After: 4294967295\r\n")] = "";
	int n;

	if (!text || !r->content_type)
		return -1;
	if (r->retry_after)
		snprintf(retry, sizeof(retry), "Retry-After: %u\r\n", r->retry_after);
	n = snprintf(
	    buf, size, "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s%s%s%s\r\n",
	    r->status, text, r->content_type, r->body_len, r->allow ? "Allow: " : "",
	    r->allow ? r->allow : "", r->allow ? "\r\n" : "",
	    r->www_authenticate ? "WWW-Authenticate: Basic realm=\"autowg\"\r\n" : "", retry);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

void response_free(struct response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}
