/* SPDX-License-Identifier: MIT */
/*
 * The userspace backend's reply parser (wg/uapi.c: read_reply, conn_line,
 * parse_get_line) on what a broken or hostile daemon could send. uapi.c is
 * included, wireguard-tools style, to reach its static parser; its recv()
 * is this harness's, which hands the reply over in pieces of the sizes the
 * input chooses, so lines cut at every place are read as the daemon's
 * socket could cut them.
 *
 * Input: a flags byte (bit 0: the reply to get=1, else to set=1), a seed
 * byte for the piece sizes, then the reply.
 * Invariants: a reply is accepted only when it ends with errno= and a blank
 * line; errno is within -WG_UAPI_ERRNO_MAX..0; a reply to set=1 holds
 * nothing but errno=; an accepted get=1 gives a device whose allowed IPs
 * all have a family and a prefix length that fit, and no two consecutive
 * peers with one key; that device, written back as UAPI text by this
 * harness (without the private key) and parsed again, is the same device;
 * the receive buffer holds nothing past the high-water mark that
 * uapi_request wipes.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include "fuzz.h"

static ssize_t fuzz_recv(int fd, void *buf, size_t len, int flags);
#define recv fuzz_recv
#include "../../wg/uapi.c"
#include "fuzz_device.h"
#undef recv

#define TEXT_MAX (1u << 20) /* the device written back */

/* What fuzz_recv serves: the bytes left and the next piece sizes. */
static struct {
	const uint8_t *p;
	size_t left;
	uint32_t rng;
} feed;

static ssize_t fuzz_recv(int fd, void *buf, size_t len, int flags)
{
	size_t n;

	(void)fd;
	(void)flags;
	if (!feed.left)
		return 0; /* the daemon closed the connection */
	/* xorshift32: piece sizes 1..64, or all that fits one time in eight */
	feed.rng ^= feed.rng << 13;
	feed.rng ^= feed.rng >> 17;
	feed.rng ^= feed.rng << 5;
	n = feed.rng % 8 ? feed.rng % 64 + 1 : len;
	n = n < len ? n : len;
	n = n < feed.left ? n : feed.left;
	memcpy(buf, feed.p, n);
	feed.p += n;
	feed.left -= n;
	return (ssize_t)n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

/* The reply text into c's stream and read_reply on it: 0 with *dev (get)
 * or the daemon's errno, or the parser's -errno. *used: the bytes of text
 * the reply was (what follows is the next reply's, on a kept connection). */
static int parse(const uint8_t *text, size_t len, uint32_t seed, bool get, struct wg_device **dev,
		 int *remote, size_t *used)
{
	static const char zero[WG_UAPI_RBUF];
	static struct uapi_conn conn;
	struct uapi_conn *c = &conn;
	struct wg_builder b = {0};
	int ret;

	if (wg_builder_init(&b, "fuzz0"))
		abort();
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	feed.p = text;
	feed.left = len;
	feed.rng = seed | 1;
	*remote = 1;
	ret = read_reply(c, get ? &b : NULL, remote);
	FUZZ_CHECK(c->end <= sizeof(c->buf) && c->start <= c->end && c->used <= sizeof(c->buf),
		   "buffer positions start %zu end %zu used %zu", c->start, c->end, c->used);
	FUZZ_CHECK(!memcmp(c->buf + c->used, zero, sizeof(c->buf) - c->used),
		   "bytes of the receive buffer past the high-water mark %zu", c->used);
	*used = len - feed.left - (c->end - c->start);
	*dev = ret == 0 && get ? wg_builder_finish(&b) : NULL;
	wg_builder_discard(&b);
	return ret;
}

/* d as the daemon would write it, without the private key; its length. */
static size_t write_back(const struct wg_device *d, char *t)
{
	char hex[2 * AWG_KEY_LEN + 1], a[INET6_ADDRSTRLEN];
	size_t n = 0;

#define PUT(...) (n += (size_t)snprintf(t + n, TEXT_MAX - n, __VA_ARGS__))
	if (d->flags & WG_DEVICE_HAS_LISTEN_PORT)
		PUT("listen_port=%u\n", d->listen_port);
	for (size_t i = 0; i < d->n_peers && n < TEXT_MAX / 2; i++) {
		const struct wg_peer *p = &d->peers[i];

		sodium_bin2hex(hex, sizeof(hex), p->key, AWG_KEY_LEN);
		PUT("public_key=%s\nlast_handshake_time_sec=%" PRId64 "\nrx_bytes=%" PRIu64
		    "\ntx_bytes=%" PRIu64 "\n",
		    hex, p->last_handshake, p->rx_bytes, p->tx_bytes);
		for (uint32_t j = 0; j < p->n_ips; j++) {
			if (!inet_ntop(p->ips[j].family, p->ips[j].addr, a, sizeof(a)))
				abort();
			PUT("allowed_ip=%s/%u\n", a, p->ips[j].cidr);
		}
	}
	PUT("errno=0\n\n");
#undef PUT
	FUZZ_CHECK(n < TEXT_MAX, "device of %zu peers does not fit the harness's buffer",
		   d->n_peers);
	return n;
}

static void check_same(const struct wg_device *a, const struct wg_device *b)
{
	FUZZ_CHECK((a->flags & WG_DEVICE_HAS_LISTEN_PORT) ==
			   (b->flags & WG_DEVICE_HAS_LISTEN_PORT) &&
		       a->listen_port == b->listen_port,
		   "listen port changed by a round trip");
	fuzz_check_same_peers(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	bool get = fuzz_u8(&in) & 1;
	uint32_t seed = fuzz_u8(&in);
	struct wg_device *dev = NULL, *again = NULL;
	static char text[TEXT_MAX];
	const uint8_t *last;
	size_t used;
	int ret, remote, remote2;

	ret = parse(in.p, in.left, seed, get, &dev, &remote, &used);
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -E2BIG, "read_reply: %d", ret);
	if (ret) {
		FUZZ_CHECK(!dev, "a device from a refused reply");
		return 0;
	}
	FUZZ_CHECK(remote <= 0 && remote >= -WG_UAPI_ERRNO_MAX, "errno %d from the daemon", remote);
	FUZZ_CHECK(used >= sizeof("errno=0\n\n") - 1 && used <= in.left &&
		       !memcmp(in.p + used - 2, "\n\n", 2),
		   "a reply accepted that does not end with a blank line");
	/* its last line is errno= */
	for (last = in.p + used - 2; last > in.p && last[-1] != '\n'; last--)
		;
	FUZZ_CHECK(!memcmp(last, "errno=", 6), "a reply accepted that does not end with errno=");
	if (!get) {
		FUZZ_CHECK(last == in.p, "a reply to set=1 with more than errno=");
		return 0;
	}
	fuzz_check_device(dev);
	ret = parse((const uint8_t *)text, write_back(dev, text), seed + 1, true, &again, &remote2,
		    &used);
	FUZZ_CHECK(ret == 0 && remote2 == 0, "the device written back is refused: %d", ret);
	check_same(dev, again);
	wg_device_free(dev);
	wg_device_free(again);
	return 0;
}
