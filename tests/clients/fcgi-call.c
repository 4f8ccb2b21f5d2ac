/* SPDX-License-Identifier: MIT */
/*
 * fcgi-call: a FastCGI client for autowg-fcgi's unix socket, speaking the
 * protocol directly (one connection per request, no FCGI_KEEP_CONN: a
 * responder process serves one connection at a time).
 *
 *   fcgi-call SOCK req [NAME=VALUE...]
 *       one request; the body is stdin; prints the responder's stdout as is.
 *       NAME=VALUE may hold \\, \n, \t and \xHH escapes, so a parameter can
 *       carry bytes no environment can (NUL, newline). Exit 0 when the
 *       request ended with FCGI_END_REQUEST, 1 otherwise, 2 on usage.
 *       FCGI_CALL_SLOW_STDIN_MS=N: the body goes one byte a record, one
 *       record every N ms, like a web server streaming a slow client's
 *       body; it stops sending once the responder answers.
 *
 *   fcgi-call SOCK load CLIENTS COUNT NAMES BASE IPPREFIX [OPTION...]
 *       CLIENTS threads make COUNT registrations of names BASE..BASE+NAMES-1
 *       (CN = name, a verified DN) with random keys. OPTIONs:
 *         fresh=PCT     per cent of requests with a fresh key (default 30),
 *                       else the last key this run saw accepted for the name
 *         owned         client c uses only names with (name - BASE) % CLIENTS == c
 *         duration=MS   stop after MS milliseconds instead of COUNT requests
 *         peers=N       every Nth request of a client is GET peers.json
 *         auth=USER:PW  credentials for peers.json
 *         log=FILE      per registration "realtime_ms name key status"
 *         json=FILE     every peers.json answer's body, one per line
 *         swap=PCT      per cent of requests with the key last accepted for
 *                       another name: a 409 "registered to another device"
 *                       is then a right answer too (for any request: keys move)
 *         ok503         a 503 answer is expected (the helper or interface is
 *                       taken away meanwhile): counted, not a failure
 *       Checks every answer: a register 200 must carry ip=IPPREFIX<name>; a
 *       peers.json answer must be 200 application/json "{...}\n". Prints
 *       counts; exit 0 when every answer passed, 1 otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../core/clock.h"
#include "../../core/key.h"
#include "../../core/limits.h"
#include "../../core/text.h"

#define FCGI_VERSION_1	   1
#define FCGI_BEGIN_REQUEST 1
#define FCGI_END_REQUEST   3
#define FCGI_PARAMS	   4
#define FCGI_STDIN	   5
#define FCGI_STDOUT	   6
#define FCGI_STDERR	   7
#define FCGI_RESPONDER	   1
#define FCGI_HEADER_LEN	   8
#define FCGI_RECORD_MAX	   65535      /* content bytes in one record */
#define PARAMS_MAX	   4096	      /* parameters in one request */
#define PARAM_MAX	   (1 << 20)  /* bytes in one decoded NAME=VALUE */
#define BODY_IN_MAX	   (16 << 20) /* request body read from stdin */
#define REPLY_MAX	   (64 << 20) /* responder output kept */
#define REPLY_TIMEOUT_MS   10000      /* one request, end to end */
#define CLIENTS_MAX	   1024
#define NAMES_MAX	   100000
#define COUNT_MAX	   10000000
#define BAD_SHOWN	   5 /* failed answers printed in full */

static long slow_stdin_ms; /* req: FCGI_CALL_SLOW_STDIN_MS */

struct param {
	const char *name, *value;
	size_t name_len, value_len;
};

struct reply {
	char *out; /* FCGI_STDOUT bytes, NUL-terminated */
	size_t len, cap;
	size_t err_len; /* FCGI_STDERR bytes seen */
	bool ended;
};

/* Wall-clock milliseconds: the load log is read beside other programs' logs. */
static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool put_record(char **buf, size_t *len, size_t *cap, int type, const void *data, size_t n)
{
	unsigned char h[FCGI_HEADER_LEN] = {FCGI_VERSION_1,	     (unsigned char)type, 0, 1,
					    (unsigned char)(n >> 8), (unsigned char)n,	  0, 0};

	if (*len + sizeof(h) + n > *cap) {
		size_t c = (*cap + sizeof(h) + n) * 2;
		char *p = realloc(*buf, c);

		if (!p)
			return false;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf + *len, h, sizeof(h));
	if (n)
		memcpy(*buf + *len + sizeof(h), data, n);
	*len += sizeof(h) + n;
	return true;
}

/* A stream (PARAMS or STDIN) as records of at most FCGI_RECORD_MAX, then the empty one. */
static bool put_stream(char **buf, size_t *len, size_t *cap, int type, const char *data, size_t n)
{
	size_t off, k;

	for (off = 0; off < n; off += k) {
		k = n - off > FCGI_RECORD_MAX ? FCGI_RECORD_MAX : n - off;
		if (!put_record(buf, len, cap, type, data + off, k))
			return false;
	}
	return put_record(buf, len, cap, type, NULL, 0);
}

static size_t put_len(unsigned char *p, size_t n)
{
	if (n < 128) {
		p[0] = (unsigned char)n;
		return 1;
	}
	p[0] = (unsigned char)(0x80 | n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	return 4;
}

static char *encode_params(const struct param *pv, size_t np, size_t *out_len)
{
	size_t i, len = 0, cap = 0;
	char *buf;

	for (i = 0; i < np; i++)
		cap += 8 + pv[i].name_len + pv[i].value_len;
	buf = malloc(cap + 1);
	if (!buf)
		return NULL;
	for (i = 0; i < np; i++) {
		len += put_len((unsigned char *)buf + len, pv[i].name_len);
		len += put_len((unsigned char *)buf + len, pv[i].value_len);
		memcpy(buf + len, pv[i].name, pv[i].name_len);
		len += pv[i].name_len;
		memcpy(buf + len, pv[i].value, pv[i].value_len);
		len += pv[i].value_len;
	}
	*out_len = len;
	return buf;
}

static int read_full(int fd, void *buf, size_t n, int64_t deadline)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - clock_ms();

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -ETIMEDOUT;
		k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ECONNRESET;
		got += (size_t)k;
	}
	return 0;
}

static bool reply_add(struct reply *r, const char *p, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		size_t c = (r->len + n + 1) * 2;
		char *q;

		if (c > REPLY_MAX)
			return false;
		q = realloc(r->out, c);
		if (!q)
			return false;
		r->out = q;
		r->cap = c;
	}
	memcpy(r->out + r->len, p, n);
	r->len += n;
	r->out[r->len] = '\0';
	return true;
}

/* The body one byte a record, every slow_stdin_ms, until the responder
 * answers or stops reading; then the empty record. When it stopped. */
static int64_t slow_stdin(int fd, const char *body, size_t len)
{
	unsigned char rec[FCGI_HEADER_LEN + 1] = {FCGI_VERSION_1, FCGI_STDIN, 0, 1, 0, 1, 0, 0};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t i;

	for (i = 0; i < len; i++) {
		if (poll(&p, 1, (int)slow_stdin_ms) != 0)
			break; /* an answer (or an error) came first */
		rec[FCGI_HEADER_LEN] = (unsigned char)body[i];
		if (send(fd, rec, sizeof(rec), MSG_NOSIGNAL) != (ssize_t)sizeof(rec))
			break;
	}
	if (i == len) {
		rec[5] = 0; /* content length 0: the end of the stream */
		send(fd, rec, FCGI_HEADER_LEN, MSG_NOSIGNAL);
	}
	return clock_ms();
}

/* One request, one connection; 0 when the responder ended it, or -errno. */
static int fcgi_request(const char *path, const struct param *pv, size_t np, const char *body,
			size_t body_len, struct reply *r)
{
	static const unsigned char begin[8] = {0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = clock_ms() + REPLY_TIMEOUT_MS;
	size_t len = 0, cap = 0, plen = 0, off;
	char *buf = NULL, *params = NULL, content[FCGI_RECORD_MAX + 256];
	unsigned char h[FCGI_HEADER_LEN];
	int fd = -1, ret;
	ssize_t k;

	memset(r, 0, sizeof(*r));
	params = encode_params(pv, np, &plen);
	if (!params || !put_record(&buf, &len, &cap, FCGI_BEGIN_REQUEST, begin, sizeof(begin)) ||
	    !put_stream(&buf, &len, &cap, FCGI_PARAMS, params, plen) ||
	    (!slow_stdin_ms && !put_stream(&buf, &len, &cap, FCGI_STDIN, body, body_len))) {
		ret = -ENOMEM;
		goto out;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	/* A responder that answers early may stop reading: a failed write is
	 * not the end, its answer may still be there. */
	for (off = 0; off < len; off += (size_t)k) {
		k = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR) {
			k = 0;
			continue;
		}
		if (k <= 0)
			break;
	}
	if (slow_stdin_ms)
		deadline = slow_stdin(fd, body, body_len) + REPLY_TIMEOUT_MS;
	for (;;) {
		size_t n;

		if ((ret = read_full(fd, h, sizeof(h), deadline)))
			goto out;
		n = (size_t)h[4] << 8 | h[5];
		if ((ret = read_full(fd, content, n + h[6], deadline)))
			goto out;
		if (h[1] == FCGI_STDOUT && !reply_add(r, content, n)) {
			ret = -E2BIG;
			goto out;
		}
		if (h[1] == FCGI_STDERR)
			r->err_len += n;
		if (h[1] == FCGI_END_REQUEST) {
			r->ended = true;
			ret = 0;
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(params);
	if (!r->out)
		reply_add(r, "", 0);
	return ret;
}

/* \\ \n \t \xHH decoded in place; the decoded length. */
static size_t unescape(char *s)
{
	size_t i = 0, o = 0;
	int hi, lo;

	while (s[i]) {
		if (s[i] != '\\' || !s[i + 1]) {
			s[o++] = s[i++];
			continue;
		}
		if (s[i + 1] == 'n') {
			s[o++] = '\n', i += 2;
		} else if (s[i + 1] == 't') {
			s[o++] = '\t', i += 2;
		} else if (s[i + 1] == 'x' && s[i + 2] && s[i + 3] &&
			   (hi = text_hexval(s[i + 2])) >= 0 && (lo = text_hexval(s[i + 3])) >= 0) {
			s[o++] = (char)(hi << 4 | lo), i += 4;
		} else {
			s[o++] = s[i + 1], i += 2; /* \\, or not an escape */
		}
	}
	return o;
}

static int cmd_req(const char *path, int argc, char **argv)
{
	static struct param pv[PARAMS_MAX];
	char *body = malloc(BODY_IN_MAX);
	size_t body_len = 0, np = 0;
	struct reply r;
	int64_t t0;
	ssize_t k;
	int i, ret;

	if (!body)
		return 1;
	while (body_len < BODY_IN_MAX && (k = read(0, body + body_len, BODY_IN_MAX - body_len)) > 0)
		body_len += (size_t)k;
	for (i = 0; i < argc && np < PARAMS_MAX; i++) {
		char *eq = strchr(argv[i], '=');
		size_t n;

		if (!eq) {
			fprintf(stderr, "fcgi-call: parameter without '=': %s\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		pv[np].name = argv[i];
		pv[np].name_len = unescape(argv[i]);
		n = unescape(eq + 1);
		pv[np].value = eq + 1;
		pv[np++].value_len = n;
	}
	if (getenv("FCGI_CALL_SLOW_STDIN_MS"))
		slow_stdin_ms = atol(getenv("FCGI_CALL_SLOW_STDIN_MS"));
	t0 = clock_ms();
	ret = fcgi_request(path, pv, np, body, body_len, &r);
	/* the request alone, from connect to its end: tests time the
	 * responder with it, not this program's start-up */
	if (getenv("FCGI_CALL_TIMING"))
		fprintf(stderr, "fcgi-call: took %lld ms\n", (long long)(clock_ms() - t0));
	fwrite(r.out, 1, r.len, stdout);
	if (ret)
		fprintf(stderr, "fcgi-call: %s\n", strerror(-ret));
	free(r.out);
	free(body);
	return ret ? 1 : 0;
}

/* --- load ----------------------------------------------------------------- */

struct load {
	const char *path, *ipprefix, *auth;
	long clients, count, names, base, fresh, swap, peers_every, duration_ms;
	bool owned, ok503;
	FILE *log, *json;
	int64_t start_ms;
	pthread_mutex_t lock; /* everything below, and the two files */
	long next, reg, reg_bad, reg_taken, peers, peers_bad;
	long status[600];
	long shown;
	uint8_t (*cur)[AWG_KEY_LEN]; /* last key accepted per name */
	bool *has_cur;
};

static void show_bad(struct load *L, const char *what, const struct reply *r, int ret)
{
	if (L->shown++ >= BAD_SHOWN)
		return;
	printf("# %s: %s\n", what, ret ? strerror(-ret) : "unexpected answer");
	printf("#   %.300s\n", r->out);
}

static int reply_status(const struct reply *r)
{
	int s = 0;

	return sscanf(r->out, "Status: %3d", &s) == 1 && s >= 100 && s < 600 ? s : 0;
}

static const char *reply_body(const struct reply *r)
{
	const char *b = strstr(r->out, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* The next request number, or -1 when the run is over. */
static long take(struct load *L)
{
	long n = -1;

	pthread_mutex_lock(&L->lock);
	if (L->duration_ms ? clock_ms() - L->start_ms < L->duration_ms : L->next < L->count)
		n = L->next++;
	pthread_mutex_unlock(&L->lock);
	return n;
}

static void do_peers(struct load *L, const struct param *base, size_t nb)
{
	struct param pv[8];
	char authz[256 + 16], b64[256];
	struct reply r;
	const char *body;
	size_t np = nb, blen;
	int ret, st;
	bool good;

	memcpy(pv, base, nb * sizeof(*pv));
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)L->auth, strlen(L->auth),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(authz, sizeof(authz), "Basic %s", b64);
	pv[np++] = (struct param){"REQUEST_METHOD", "GET", 14, 3};
	pv[np++] = (struct param){"REQUEST_URI", "/v1/peers.json", 11, 14};
	pv[np++] = (struct param){"HTTP_AUTHORIZATION", authz, 18, strlen(authz)};
	ret = fcgi_request(L->path, pv, np, "", 0, &r);
	st = reply_status(&r);
	body = reply_body(&r);
	blen = strlen(body);
	good = !ret && st == 200 && strstr(r.out, "Content-Type: application/json") && blen >= 3 &&
	       body[0] == '{' && body[blen - 2] == '}' && body[blen - 1] == '\n' &&
	       !memchr(body, '\n', blen - 1);
	pthread_mutex_lock(&L->lock);
	L->peers++;
	L->status[st]++;
	if (!good && !(L->ok503 && !ret && st == 503)) {
		L->peers_bad++;
		show_bad(L, "peers.json", &r, ret);
	}
	if (L->json && st == 200)
		fwrite(body, 1, blen, L->json);
	pthread_mutex_unlock(&L->lock);
	free(r.out);
}

static void do_register(struct load *L, const struct param *base, size_t nb, long name)
{
	struct param pv[8];
	char cn[32], dn[64], key[AWG_KEY_B64_LEN + 1], want[128], clen[8];
	uint8_t k[AWG_KEY_LEN];
	long idx = name - L->base;
	struct reply r;
	size_t np = nb;
	int ret, st;
	bool good;

	long other = (long)randombytes_uniform((uint32_t)L->names);
	bool taken;

	pthread_mutex_lock(&L->lock);
	if ((long)randombytes_uniform(100) < L->swap && L->has_cur[other])
		memcpy(k, L->cur[other], sizeof(k));
	else if (L->has_cur[idx] && (long)randombytes_uniform(100) >= L->fresh)
		memcpy(k, L->cur[idx], sizeof(k));
	else
		randombytes_buf(k, sizeof(k));
	pthread_mutex_unlock(&L->lock);
	key_format(k, key);
	snprintf(cn, sizeof(cn), "%ld", name);
	snprintf(dn, sizeof(dn), "CN=%s,O=autowg load", cn);
	memcpy(pv, base, nb * sizeof(*pv));
	pv[np++] = (struct param){"REQUEST_METHOD", "POST", 14, 4};
	pv[np++] = (struct param){"REQUEST_URI", "/v1/register", 11, 12};
	pv[np++] = (struct param){"SSL_CLIENT_VERIFY", "SUCCESS", 17, 7};
	pv[np++] = (struct param){"SSL_CLIENT_S_DN", dn, 15, strlen(dn)};
	snprintf(clen, sizeof(clen), "%d", AWG_KEY_B64_LEN);
	pv[np++] = (struct param){"CONTENT_LENGTH", clen, 14, strlen(clen)};
	ret = fcgi_request(L->path, pv, np, key, AWG_KEY_B64_LEN, &r);
	st = reply_status(&r);
	snprintf(want, sizeof(want), "\nip=%s%s\n", L->ipprefix, cn);
	good = !ret && st == 200 && !strncmp(reply_body(&r), "endpoint=", 9) && strstr(r.out, want);
	taken = L->swap && !ret && st == 409 &&
		!strcmp(reply_body(&r), "public key is registered to another device\n");
	pthread_mutex_lock(&L->lock);
	L->reg++;
	L->status[st]++;
	if (good) {
		memcpy(L->cur[idx], k, sizeof(k));
		L->has_cur[idx] = true;
	} else if (taken) {
		L->reg_taken++;
	} else if (!(L->ok503 && !ret && st == 503)) {
		L->reg_bad++;
		show_bad(L, cn, &r, ret);
	}
	if (L->log)
		fprintf(L->log, "%lld %s %s %d\n", wall_ms(), cn, key, st);
	pthread_mutex_unlock(&L->lock);
	free(r.out);
}

struct client {
	struct load *L;
	long id;
	pthread_t t;
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	struct load *L = c->L;
	static const struct param base[] = {
	    {"GATEWAY_INTERFACE", "CGI/1.1", 17, 7},
	    {"SERVER_PROTOCOL", "HTTP/1.1", 15, 8},
	    {"REMOTE_ADDR", "192.0.2.7", 11, 9},
	};
	long mine = 0, name, span;

	while (take(L) >= 0) {
		mine++;
		if (L->peers_every && L->auth && mine % L->peers_every == 0) {
			do_peers(L, base, 3);
			continue;
		}
		if (L->owned) {
			span = (L->names - c->id + L->clients - 1) / L->clients;
			if (span <= 0)
				break;
			name = L->base + c->id +
			       (long)randombytes_uniform((uint32_t)span) * L->clients;
		} else {
			name = L->base + (long)randombytes_uniform((uint32_t)L->names);
		}
		do_register(L, base, 3, name);
	}
	return NULL;
}

static long num(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > max) {
		fprintf(stderr, "fcgi-call: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int cmd_load(const char *path, int argc, char **argv)
{
	static struct load L;
	struct client *c;
	long i, ms;
	int s;

	if (argc < 5)
		return 2;
	L.path = path;
	L.clients = num(argv[0], CLIENTS_MAX);
	L.count = num(argv[1], COUNT_MAX);
	L.names = num(argv[2], NAMES_MAX);
	L.base = num(argv[3], COUNT_MAX);
	L.ipprefix = argv[4];
	L.fresh = 30;
	for (i = 5; i < argc; i++) {
		if (!strncmp(argv[i], "fresh=", 6))
			L.fresh = num(argv[i] + 6, 100);
		else if (!strncmp(argv[i], "swap=", 5))
			L.swap = num(argv[i] + 5, 100);
		else if (!strcmp(argv[i], "owned"))
			L.owned = true;
		else if (!strcmp(argv[i], "ok503"))
			L.ok503 = true;
		else if (!strncmp(argv[i], "duration=", 9))
			L.duration_ms = num(argv[i] + 9, COUNT_MAX);
		else if (!strncmp(argv[i], "peers=", 6))
			L.peers_every = num(argv[i] + 6, COUNT_MAX);
		else if (!strncmp(argv[i], "auth=", 5) && strlen(argv[i] + 5) < 180)
			L.auth = argv[i] + 5;
		else if (!strncmp(argv[i], "log=", 4) && (L.log = fopen(argv[i] + 4, "w")))
			;
		else if (!strncmp(argv[i], "json=", 5) && (L.json = fopen(argv[i] + 5, "w")))
			;
		else
			return 2;
	}
	if (!L.clients || !L.names || sodium_init() < 0)
		return 2;
	pthread_mutex_init(&L.lock, NULL);
	L.cur = calloc((size_t)L.names, sizeof(*L.cur));
	L.has_cur = calloc((size_t)L.names, sizeof(*L.has_cur));
	c = calloc((size_t)L.clients, sizeof(*c));
	if (!L.cur || !L.has_cur || !c)
		return 1;
	L.start_ms = clock_ms();
	for (i = 0; i < L.clients; i++) {
		c[i].L = &L;
		c[i].id = i;
		if (pthread_create(&c[i].t, NULL, client_run, &c[i])) {
			fprintf(stderr, "fcgi-call: cannot start client %ld\n", i);
			return 1;
		}
	}
	for (i = 0; i < L.clients; i++)
		pthread_join(c[i].t, NULL);
	ms = (long)(clock_ms() - L.start_ms);
	printf("load: %ld registrations (%ld failed, %ld key taken), %ld peers.json (%ld failed) "
	       "in %ld ms, "
	       "%.0f/s; statuses:",
	       L.reg, L.reg_bad, L.reg_taken, L.peers, L.peers_bad, ms,
	       (L.reg + L.peers) * 1000.0 / (ms ? ms : 1));
	for (s = 0; s < 600; s++)
		if (L.status[s])
			printf(" %d=%ld", s, L.status[s]);
	printf("\n");
	if (L.log)
		fclose(L.log);
	if (L.json)
		fclose(L.json);
	free(L.cur);
	free(L.has_cur);
	free(c);
	return L.reg_bad || L.peers_bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc >= 3 && !strcmp(argv[2], "req"))
		return cmd_req(argv[1], argc - 3, argv + 3);
	if (argc >= 3 && !strcmp(argv[2], "load"))
		rc = cmd_load(argv[1], argc - 3, argv + 3);
	if (rc == 2)
		fprintf(stderr, "usage: fcgi-call SOCK req [NAME=VALUE...] < BODY\n"
				"       fcgi-call SOCK load CLIENTS COUNT NAMES BASE IPPREFIX "
				"[fresh=PCT] [swap=PCT] [owned] [duration=MS] [peers=N] [auth=U:P] "
				"[log=FILE] [json=FILE]\n");
	return rc;
}
