/* SPDX-License-Identifier: MIT */
/*
 * The kernel backend's reply parser (wg/kernel.c: wgnl_datagram, wgnl_one,
 * parse_dump_msg, parse_peer, parse_allowedip) on datagrams a broken kernel
 * or a forged reply could hold. kernel.c is included, wireguard-tools
 * style, to reach its static parser; no socket is opened.
 *
 * Input: a flags byte (bit 0: the reply to a dump, else to a set), then
 * datagrams, each a big-endian u16 length and that many bytes (zeros past
 * the input's end). Replies must carry sequence WG_FUZZ_SEQ, port
 * WG_FUZZ_PORT and the family WG_FUZZ_FAMILY; the seeds do.
 * Invariants: the parser answers 1 (more to come), 0 (done) or an errno in
 * -WG_FUZZ_ERRNO_MAX..-1; a finished dump gives a device whose allowed IPs
 * all have a family and prefix length that fit and no two consecutive
 * peers with one key; that device, written back by this harness the way
 * the kernel writes it (a peer's allowed IPs split across messages, its key
 * repeated), parsed again, is the same device, and the private key it
 * carried is wiped from the receive buffer.
 */
#include "fuzz.h"
#include "../../wg/kernel.c"
#include "fuzz_device.h"

#define WG_FUZZ_FAMILY	  0x1c
#define WG_FUZZ_SEQ	  1
#define WG_FUZZ_PORT	  4242
#define WG_FUZZ_ERRNO_MAX 4095
#define MSG_SIZE	  16384 /* one message written back */
#define MSG_PEERS	  20	/* peers a message written back holds, at most */
#define MSG_IPS		  100	/* allowed IPs, likewise: a peer with more is continued */

static uint8_t rbuf[WG_NL_RECV_MAX] __attribute__((aligned(8)));

static const struct wgnl_want want_dump = {WG_FUZZ_SEQ, WG_FUZZ_PORT, true};
static const struct wgnl_want want_set = {WG_FUZZ_SEQ, WG_FUZZ_PORT, false};

static void check_ret(int ret)
{
	FUZZ_CHECK(ret == 0 || ret == 1 || (ret < 0 && ret >= -WG_FUZZ_ERRNO_MAX),
		   "parser answered %d, not 0, 1 or an errno", ret);
}

/* Writing a device back: messages gathered into datagrams, each parsed as it
 * fills, into a second builder. */
struct writer {
	struct wgnl_ctx ctx;
	struct wg_builder b;
	uint8_t dgram[WG_NL_RECV_MAX];
	size_t len;
	int ret;       /* the parser's last answer */
	size_t keyoff; /* where the private key is in dgram, or 0 */
};

static void flush(struct writer *w)
{
	bool intr = false;

	if (!w->len || w->ret != 1)
		return;
	memcpy(rbuf, w->dgram, w->len);
	w->ret = wgnl_datagram(&w->ctx, w->len, &want_dump, parse_dump_msg, &w->b, &intr);
	if (w->keyoff) {
		for (size_t i = 0; i < AWG_KEY_LEN; i++)
			FUZZ_CHECK(!rbuf[w->keyoff + i], "private key byte %zu not wiped", i);
		w->keyoff = 0;
	}
	w->len = 0;
}

static void add(struct writer *w, const struct nlmsghdr *h)
{
	size_t n = NLMSG_ALIGN(h->nlmsg_len);

	if (w->len + n > sizeof(w->dgram))
		flush(w);
	memcpy(w->dgram + w->len, h, h->nlmsg_len);
	w->len += n;
}

static struct nl_msg *new_msg(void)
{
	struct nl_msg *m = nlmsg_alloc_size(MSG_SIZE);

	if (!m || !genlmsg_put(m, WG_FUZZ_PORT, WG_FUZZ_SEQ, WG_FUZZ_FAMILY, 0, NLM_F_MULTI,
			       WG_CMD_GET_DEVICE, WG_GENL_VERSION))
		abort();
	return m;
}

#define OK(x)                                                                                      \
	do {                                                                                       \
		if ((x) < 0)                                                                       \
			abort();                                                                   \
	} while (0)

/* The device attributes: the first message only, as the kernel does. */
static void put_device(struct writer *w, struct nl_msg *m, const struct wg_device *d)
{
	static const uint8_t priv[AWG_KEY_LEN] = {[0] = 1, [31] = 0x40};
	struct nlattr *a;

	if (d->flags & WG_DEVICE_HAS_PRIVATE_KEY) {
		OK(nla_put(m, WGDEVICE_A_PRIVATE_KEY, AWG_KEY_LEN, priv));
		a = nlmsg_find_attr(nlmsg_hdr(m), GENL_HDRLEN, WGDEVICE_A_PRIVATE_KEY);
		w->keyoff = w->len + (size_t)((uint8_t *)nla_data(a) - (uint8_t *)nlmsg_hdr(m));
	}
	if (d->flags & WG_DEVICE_HAS_PUBLIC_KEY)
		OK(nla_put(m, WGDEVICE_A_PUBLIC_KEY, AWG_KEY_LEN, d->public_key));
	if (d->flags & WG_DEVICE_HAS_LISTEN_PORT)
		OK(nla_put_u16(m, WGDEVICE_A_LISTEN_PORT, d->listen_port));
}

static void write_back(struct writer *w, const struct wg_device *d)
{
	struct nl_msg *m = new_msg();
	struct nlattr *peers, *peer, *ips, *ip;
	size_t i = 0, in_msg = 0, ips_in_msg = 0;
	uint32_t j = 0;

	put_device(w, m, d);
	peers = nla_nest_start(m, NLA_F_NESTED | WGDEVICE_A_PEERS);
	while (i < d->n_peers) {
		const struct wg_peer *p = &d->peers[i];

		if (in_msg == MSG_PEERS || ips_in_msg == MSG_IPS) {
			/* full: send it, go on in the next (a peer cut in two
			 * repeats only its key) */
			nla_nest_end(m, peers);
			add(w, nlmsg_hdr(m));
			nlmsg_free(m);
			m = new_msg();
			peers = nla_nest_start(m, NLA_F_NESTED | WGDEVICE_A_PEERS);
			in_msg = ips_in_msg = 0;
		}
		peer = nla_nest_start(m, NLA_F_NESTED);
		OK(nla_put(m, WGPEER_A_PUBLIC_KEY, AWG_KEY_LEN, p->key));
		if (!j) {
			struct __kernel_timespec ts = {.tv_sec = p->last_handshake};

			OK(nla_put(m, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts));
			OK(nla_put_u64(m, WGPEER_A_RX_BYTES, p->rx_bytes));
			OK(nla_put_u64(m, WGPEER_A_TX_BYTES, p->tx_bytes));
		}
		ips = nla_nest_start(m, NLA_F_NESTED | WGPEER_A_ALLOWEDIPS);
		for (; j < p->n_ips && ips_in_msg < MSG_IPS; j++, ips_in_msg++) {
			ip = nla_nest_start(m, NLA_F_NESTED);
			OK(nla_put_u16(m, WGALLOWEDIP_A_FAMILY, p->ips[j].family));
			OK(nla_put(m, WGALLOWEDIP_A_IPADDR, p->ips[j].family == AF_INET ? 4 : 16,
				   p->ips[j].addr));
			OK(nla_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, p->ips[j].cidr));
			nla_nest_end(m, ip);
		}
		nla_nest_end(m, ips);
		nla_nest_end(m, peer);
		in_msg++;
		if (j == p->n_ips) {
			i++;
			j = 0;
		}
	}
	nla_nest_end(m, peers);
	add(w, nlmsg_hdr(m));
	nlmsg_free(m);
	{
		struct {
			struct nlmsghdr h;
			int error;
		} done = {
		    {NLMSG_LENGTH(sizeof(int)), NLMSG_DONE, NLM_F_MULTI, WG_FUZZ_SEQ, WG_FUZZ_PORT},
		    0};

		add(w, &done.h);
	}
	flush(w);
}

static void check_same(const struct wg_device *a, const struct wg_device *b)
{
	FUZZ_CHECK(a->flags == b->flags, "flags %x, %x after a round trip", a->flags, b->flags);
	FUZZ_CHECK(!(a->flags & WG_DEVICE_HAS_PUBLIC_KEY) ||
		       !memcmp(a->public_key, b->public_key, AWG_KEY_LEN),
		   "public key changed by a round trip");
	FUZZ_CHECK(a->listen_port == b->listen_port, "listen port changed by a round trip");
	fuzz_check_same_peers(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	bool dump = fuzz_u8(&in) & 1;
	struct wgnl_ctx ctx = {.family = WG_FUZZ_FAMILY, .rbuf = rbuf};
	static struct writer w;
	struct wg_builder b = {0};
	struct wg_device *dev;
	bool intr = false;
	int ret = 1;

	if (wg_builder_init(&b, "fuzz0"))
		abort();
	while (ret == 1 && in.left) {
		size_t n = fuzz_u16(&in) % (WG_NL_RECV_MAX + 1);

		fuzz_bytes(&in, rbuf, n);
		ret = wgnl_datagram(&ctx, n, dump ? &want_dump : &want_set,
				    dump ? parse_dump_msg : NULL, &b, &intr);
		check_ret(ret);
	}
	if (ret || !dump) {
		wg_builder_discard(&b);
		return 0;
	}
	dev = wg_builder_finish(&b);
	fuzz_check_device(dev);
	memset(&w.ctx, 0, sizeof(w.ctx));
	w.ctx.family = WG_FUZZ_FAMILY;
	w.ctx.rbuf = rbuf;
	w.len = w.keyoff = 0;
	w.ret = 1;
	if (wg_builder_init(&w.b, "fuzz0"))
		abort();
	write_back(&w, dev);
	FUZZ_CHECK(w.ret == 0, "the device written back is refused: %d", w.ret);
	if (w.ret == 0) {
		struct wg_device *again = wg_builder_finish(&w.b);

		check_same(dev, again);
		wg_device_free(again);
	}
	wg_builder_discard(&w.b);
	wg_device_free(dev);
	return 0;
}
