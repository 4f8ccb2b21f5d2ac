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
#include "trust.h"
#include "../core/clock.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER_MAX 1024 /* the header block of one answer */

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: autowg-fcgi [--socket PATH] [--client-ca FILE [--client-crl FILE]]\n"
		"                   [--log WHERE] [--help] [--version]\n"
		"\n"
		"The autowg FastCGI responder. Run it under spawn-fcgi (several processes\n"
		"with -F) behind nginx, lighttpd or Caddy; started outside FastCGI it answers\n"
		"one plain CGI request and exits.\n"
		"\n"
		"  --socket PATH  the helper's socket (else $AUTOWG_SOCKET, else %s)\n"
		"  --client-ca FILE   the fleet's CA certificates (PEM): every client\n"
		"                 certificate is verified against them here too (purpose\n"
		"                 sslclient, dates, at most %d intermediate CAs), and a\n"
		"                 request without SSL_CLIENT_CERT is refused (else\n"
		"                 $AUTOWG_CLIENT_CA; without either, the web server's\n"
		"                 verification alone counts)\n"
		"  --client-crl FILE  CRLs (PEM) of those CAs: revoked certificates are\n"
		"                 refused; the file is looked at every %d ms and reloaded\n"
		"                 when it changed; while it cannot be loaded, or a CRL in\n"
		"                 it has expired, the certificates it covers are refused\n"
		"                 (else $AUTOWG_CLIENT_CRL)\n"
		"  --log WHERE    auto (default): syslog (ident autowg-fcgi, facility daemon)\n"
		"                 when stderr is /dev/null or closed, as spawn-fcgi leaves it\n"
		"                 for forked children, else stderr; or stderr; or syslog\n"
		"  --help         this text\n"
		"  --version      print the version\n"
		"\n"
		"Environment:\n"
		"  AUTOWG_HTTP_AUTH  user:password enabling GET <prefix>v1/peers.json and\n"
		"                    GET <prefix>v1/metrics\n"
		"  HTTP_AUTH         the same, honoured only in FastCGI mode: as plain CGI\n"
		"                    the web server puts a client's \"Auth:\" header into\n"
		"                    HTTP_AUTH, so there only AUTOWG_HTTP_AUTH counts.\n"
		"  AUTOWG_SOCKET     the helper's socket when --socket is not given\n"
		"  AUTOWG_CLIENT_CA  --client-ca when the flag is not given\n"
		"  AUTOWG_CLIENT_CRL  --client-crl when the flag is not given\n"
		"\n"
		"Identity comes only from SSL_CLIENT_VERIFY (must be SUCCESS), then\n"
		"SSL_CLIENT_CERT (PEM, URL-escaped or plain) when set, else, only without\n"
		"--client-ca, SSL_CLIENT_S_DN. A request body must be in within %d s.\n",
		HELPER_SOCKET_DEFAULT, TRUST_CHAIN_DEPTH_MAX, TRUST_RELOAD_CHECK_MS,
		FCGI_BODY_TIMEOUT_S);
}

/* A request's body with a deadline (FCGI_BODY_TIMEOUT_MS). */
struct body_in {
	FCGX_Request *req; /* FastCGI; else fd (CGI) */
	int fd;
	int64_t deadline_ms;
	bool timeout_set; /* SO_RCVTIMEO is set on the connection */
};

/*
 * libfcgi reads the connection with blocking read()s, as many as a record
 * needs, and FCGX_GetStr() loops until it has all it was asked for. So a
 * slow body is read no more than one fill at a time: what the stream holds
 * already (no system call), else one byte, whose fill reads at most one
 * record; and before each fill the connection's SO_RCVTIMEO is set to what
 * is left of the deadline, so no read() waits past it.
 */
static ssize_t fcgx_read(void *ctx, char *buf, size_t len)
{
	struct body_in *b = ctx;
	FCGX_Stream *in = b->req->in;
	size_t have = (size_t)(in->stop - in->rdNext);
	int64_t left = b->deadline_ms - clock_ms();
	struct timeval tv;
	int n, err;

	if (len > AWG_BODY_MAX)
		len = AWG_BODY_MAX;
	if (!have && !in->isClosed) {
		tv = (struct timeval){.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};
		if (left <= 0 ||
		    setsockopt(b->req->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
			errno = ETIMEDOUT;
			return -1;
		}
		b->timeout_set = true;
		len = 1;
	} else if (have && len > have) {
		len = have;
	}
	n = FCGX_GetStr(buf, (int)len, in);
	if (n > 0)
		return n;
	err = FCGX_GetError(in);
	if (!err)
		return 0;
	errno =
	    err == EAGAIN || err == EWOULDBLOCK || clock_ms() >= b->deadline_ms ? ETIMEDOUT : EIO;
	return -1;
}

static ssize_t fd_read(void *ctx, char *buf, size_t len)
{
	struct body_in *b = ctx;
	int err = clock_wait_fd(b->fd, POLLIN, b->deadline_ms);

	if (err) {
		errno = -err;
		return -1;
	}
	return read(b->fd, buf, len);
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

static int serve_cgi(const struct auth *auth, struct trust *trust, struct helper *h)
{
	struct body_in in = {.fd = 0, .deadline_ms = clock_ms() + FCGI_BODY_TIMEOUT_MS};
	struct request r = {.env = environ, .body = {fd_read, &in}};
	struct response res;
	char hdr[HEADER_MAX];
	bool ok;
	int n;

	handle(auth, trust, h, &r, &res);
	n = header_of(&res, hdr);
	ok = n > 0 && write_all(1, hdr, (size_t)n) &&
	     (res.head || write_all(1, res.body ? res.body : "", res.body_len));
	response_free(&res);
	return ok ? 0 : 1;
}

static void serve_fcgi(const struct auth *auth, struct trust *trust, struct helper *h,
		       FCGX_Request *req)
{
	struct body_in in = {.req = req, .deadline_ms = clock_ms() + FCGI_BODY_TIMEOUT_MS};
	struct request r = {.env = req->envp, .body = {fcgx_read, &in}};
	static const struct timeval none;
	struct response res;
	char hdr[HEADER_MAX], sink[AWG_BODY_MAX];
	size_t drained = 0;
	int64_t drain_end;
	bool early;
	ssize_t k;
	int n;

	handle(auth, trust, h, &r, &res);
	early = res.status != 200;
	n = header_of(&res, hdr);
	if (n > 0) {
		FCGX_PutStr(hdr, n, req->out);
		if (!res.head && res.body_len)
			FCGX_PutStr(res.body, (int)res.body_len, req->out);
	}
	response_free(&res);
	/* An early answer (403, 404, 413: every refusal may be one) leaves the
	 * body unread. The answer goes out first; then a bounded amount of the
	 * body is swallowed, for a bounded time, so that the web server is not
	 * cut off while still sending it, and no client holds this responder
	 * for longer. A 200 has read its body: only the end of it is left. */
	if (early)
		FCGX_FFlush(req->out);
	drain_end = clock_ms() + FCGI_DRAIN_TIMEOUT_MS;
	if (drain_end < in.deadline_ms)
		in.deadline_ms = drain_end;
	while (drained < FCGI_DRAIN_MAX && (k = fcgx_read(&in, sink, sizeof(sink))) > 0)
		drained += (size_t)k;
	/* a kept connection waits for its next request without a deadline */
	if (in.timeout_set && req->keepConnection)
		setsockopt(req->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
}

static int serve_fastcgi(const struct auth *auth, struct trust *trust, struct helper *h)
{
	FCGX_Request req;

	if (FCGX_Init() || FCGX_InitRequest(&req, 0, 0)) {
		fcgi_log(LOG_ERR, "cannot initialise libfcgi");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		serve_fcgi(auth, trust, h, &req);
		FCGX_Finish_r(&req);
	}
	return 0;
}

/* --client-ca and --client-crl, else their environment variables. */
static const char *flag_or_env(const char *flag, const char *name)
{
	const char *v = getenv(name);

	return flag ? flag : v && v[0] ? v : NULL;
}

/* The trust store, or NULL without --client-ca; one log line either way.
 * False when the files cannot be used (a configuration error). */
static bool trust_init(const char *ca, const char *crl, struct trust **out)
{
	char why[TRUST_WHY_MAX + 1];

	*out = NULL;
	if (crl && !ca) {
		fcgi_log(LOG_ERR, "--client-crl needs --client-ca");
		return false;
	}
	if (!ca) {
		fcgi_log(LOG_WARNING, "no --client-ca: client certificates are trusted on the web "
				      "server's word alone (SSL_CLIENT_VERIFY)");
		return true;
	}
	if (!(*out = trust_new(ca, crl, why))) {
		fcgi_log(LOG_ERR, "client certificates: %s", why);
		return false;
	}
	fcgi_log(LOG_INFO, "client certificates are verified against --client-ca %s%s%s", ca,
		 crl ? " and --client-crl " : "", crl ? crl : "");
	return true;
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *why = "", *ca = NULL, *crl = NULL;
	enum fcgi_log_mode log_mode = FCGI_LOG_AUTO;
	struct trust *trust = NULL;
	struct helper h;
	struct auth auth;
	bool fastcgi, ok;
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
		} else if (!strcmp(argv[i], "--client-ca") && i + 1 < argc) {
			ca = argv[++i];
		} else if (!strncmp(argv[i], "--client-ca=", 12)) {
			ca = argv[i] + 12;
		} else if (!strcmp(argv[i], "--client-crl") && i + 1 < argc) {
			crl = argv[++i];
		} else if (!strncmp(argv[i], "--client-crl=", 13)) {
			crl = argv[i] + 13;
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
	ok = auth_init_env(&auth, fastcgi, &why);
	if (!ok)
		fcgi_log(LOG_ERR, "%s", why);
	if (!ok || !trust_init(flag_or_env(ca, "AUTOWG_CLIENT_CA"),
			       flag_or_env(crl, "AUTOWG_CLIENT_CRL"), &trust)) {
		auth_wipe(&auth);
		if (fastcgi)
			return 2;
		/* as CGI, still give the web server a complete answer */
		fputs("Status: 503 Service Unavailable\r\nContent-Type: text/plain; "
		      "charset=UTF-8\r\n\r\nresponder misconfigured\n",
		      stdout);
		return 1;
	}
	rc = fastcgi ? serve_fastcgi(&auth, trust, &h) : serve_cgi(&auth, trust, &h);
	helper_close(&h);
	auth_wipe(&auth);
	trust_free(trust);
	return rc;
}
