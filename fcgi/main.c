/* SPDX-License-Identifier: MIT */
/*
 * autowg-fcgi: the unprivileged responder. Under spawn-fcgi it serves
 * FastCGI requests on fd 0 with an explicit FCGX_Request loop; started any
 * other way it answers the one CGI request in its environment and exits.
 */
#include "auth.h"
#include "helper.h"
#include "log.h"
#include "request.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTOWG_VERSION "0.1"
#define HEADER_MAX     1024 /* the header block of one answer */

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: autowg-fcgi [--socket PATH] [--log WHERE] [--help] [--version]\n"
		"\n"
		"The autowg FastCGI responder. Run it under spawn-fcgi (several processes\n"
		"with -F) behind nginx, lighttpd or Caddy; started outside FastCGI it answers\n"
		"one plain CGI request and exits.\n"
		"\n"
		"  --socket PATH  the helper's socket (else $AUTOWG_SOCKET, else %s)\n"
		"  --log WHERE    auto (default): syslog (ident autowg-fcgi, facility daemon)\n"
		"                 when stderr is /dev/null or closed, as spawn-fcgi leaves it\n"
		"                 for forked children, else stderr; or stderr; or syslog\n"
		"\n"
		"Environment:\n"
		"  AUTOWG_HTTP_AUTH  user:password enabling GET <prefix>v1/peers.json and\n"
		"                    GET <prefix>v1/metrics\n"
		"  HTTP_AUTH         the same, honoured only in FastCGI mode: as plain CGI\n"
		"                    the web server puts a client's \"Auth:\" header into\n"
		"                    HTTP_AUTH, so there only AUTOWG_HTTP_AUTH counts.\n"
		"  AUTOWG_SOCKET     the helper's socket when --socket is not given\n"
		"\n"
		"Identity comes only from SSL_CLIENT_VERIFY (must be SUCCESS), then\n"
		"SSL_CLIENT_CERT (PEM, URL-escaped or plain) when set, else SSL_CLIENT_S_DN.\n",
		HELPER_SOCKET_DEFAULT);
}

static ssize_t fcgx_read(void *ctx, char *buf, size_t len)
{
	FCGX_Stream *in = ctx;
	int n = FCGX_GetStr(buf, len > AWG_BODY_MAX ? AWG_BODY_MAX : (int)len, in);

	return n > 0 ? n : FCGX_GetError(in) ? -1 : 0;
}

static ssize_t fd_read(void *ctx, char *buf, size_t len)
{
	return read(*(int *)ctx, buf, len);
}

static bool write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* A whole answer or, when even the header does not fit, a bare 503. */
static int header_of(struct response *res, char *hdr)
{
	int n = response_header(res, hdr, HEADER_MAX);

	if (n < 0) {
		response_text(res, 503, "internal error");
		n = response_header(res, hdr, HEADER_MAX);
	}
	return n;
}

static int serve_cgi(const struct auth *auth, struct helper *h)
{
	int in = 0, n;
	struct request r = {.env = environ, .body = {fd_read, &in}};
	struct response res;
	char hdr[HEADER_MAX];
	bool ok;

	handle(auth, h, &r, &res);
	n = header_of(&res, hdr);
	ok = n > 0 && write_all(1, hdr, (size_t)n) &&
	     (res.head || write_all(1, res.body ? res.body : "", res.body_len));
	response_free(&res);
	return ok ? 0 : 1;
}

static void serve_fcgi(const struct auth *auth, struct helper *h, FCGX_Request *req)
{
	struct request r = {.env = req->envp, .body = {fcgx_read, req->in}};
	struct response res;
	char hdr[HEADER_MAX], sink[AWG_BODY_MAX];
	size_t drained = 0;
	int n;

	handle(auth, h, &r, &res);
	n = header_of(&res, hdr);
	if (n > 0) {
		FCGX_PutStr(hdr, n, req->out);
		if (!res.head && res.body_len)
			FCGX_PutStr(res.body, (int)res.body_len, req->out);
	}
	response_free(&res);
	/* An early answer (413, 403) leaves the body unread; swallow a bounded
	 * amount so the web server is not cut off while still sending it. */
	while (drained < FCGI_DRAIN_MAX && (n = FCGX_GetStr(sink, sizeof(sink), req->in)) > 0)
		drained += (size_t)n;
}

static int serve_fastcgi(const struct auth *auth, struct helper *h)
{
	FCGX_Request req;

	if (FCGX_Init() || FCGX_InitRequest(&req, 0, 0)) {
		fcgi_log(LOG_ERR, "cannot initialise libfcgi");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		serve_fcgi(auth, h, &req);
		FCGX_Finish_r(&req);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *why = "";
	enum fcgi_log_mode log_mode = FCGI_LOG_AUTO;
	struct helper h;
	struct auth auth;
	bool fastcgi;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("autowg-fcgi %s\n", AUTOWG_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			sock = argv[i] + 9;
		} else if ((!strcmp(argv[i], "--log") && i + 1 < argc) ||
			   !strncmp(argv[i], "--log=", 6)) {
			const char *v = argv[i][5] == '=' ? argv[i] + 6 : argv[++i];

			if (!fcgi_log_mode_parse(v, &log_mode)) {
				fprintf(stderr,
					"autowg-fcgi: --log '%s': use auto, stderr or syslog\n", v);
				return 2;
			}
		} else {
			fprintf(stderr, "autowg-fcgi: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	fcgi_log_init(log_mode);
	signal(SIGPIPE, SIG_IGN);
	fastcgi = !FCGX_IsCGI();
	if (!helper_init(&h, helper_socket_path(sock))) {
		fcgi_log(LOG_ERR, "helper socket path too long or empty");
		return 2;
	}
	if (!auth_init_env(&auth, fastcgi, &why)) {
		fcgi_log(LOG_ERR, "%s", why);
		if (fastcgi)
			return 2;
		/* as CGI, still give the web server a complete answer */
		fputs("Status: 503 Service Unavailable\r\nContent-Type: text/plain; "
		      "charset=UTF-8\r\n\r\nresponder misconfigured\n",
		      stdout);
		return 1;
	}
	rc = fastcgi ? serve_fastcgi(&auth, &h) : serve_cgi(&auth, &h);
	helper_close(&h);
	auth_wipe(&auth);
	return rc;
}
