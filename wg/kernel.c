/* SPDX-License-Identifier: MIT */
/*
 * Kernel WireGuard: generic netlink family "wireguard" (linux/wireguard.h)
 * through libnl-3/libnl-genl-3. libnl builds the requests and resolves the
 * family; the replies are read here into our own buffer, so that sequence
 * numbers, NLM_F_DUMP_INTR and the kernel's errno are seen exactly and the
 * private key the kernel sends with every dump can be wiped.
 *
 * Errors beyond wg.h's contract:
 *   -ENODEV          no such interface in this network namespace (also when
 *                    the "wireguard" family is missing and no interface of
 *                    that name exists);
 *   -EPROTONOSUPPORT the interface exists but is not kernel WireGuard: the
 *                    kernel said EOPNOTSUPP, or the "wireguard" genl family
 *                    is missing altogether (module not loaded or not built),
 *                    which can only mean the interface is something else;
 *   -EAGAIN          WG_DUMP_RETRIES dumps in a row were interrupted.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <sodium.h>
#include "wg.h"
#include "backend.h"
#include "nlmsg.h"

#define WG_NL_MSG_MAX                                                                              \
	16384		       /* one set request: well under libnl's 32 KiB sndbuf and            \
				  the 64 KiB an attribute nest can describe */
#define WG_NL_RECV_MAX	 65536 /* receive buffer; kernel dump skbs are at most 32 KiB */
#define WG_NL_TIMEOUT_MS 5000  /* each receive; the kernel always answers, this is a seatbelt */
#define WG_DUMP_RETRIES	 8     /* interrupted dumps before giving up with -EAGAIN */
#define WG_PROBE_CHUNK	 128   /* keys per probe message: ~60 bytes each */

struct wgnl_ctx {
	struct nl_sock *sk;
	int family;
	uint8_t *rbuf;
};

/* Called for every message of the reply that is not a netlink control message. */
typedef int (*msg_fn)(struct nlmsghdr *nlh, void *arg);

static int wgnl_errno(int nlerr)
{
	return nlerr == -NLE_NOMEM ? -ENOMEM : -EIO;
}

static void wgnl_close(struct wgnl_ctx *ctx)
{
	if (ctx->sk)
		nl_socket_free(ctx->sk);
	if (ctx->rbuf) {
		sodium_memzero(ctx->rbuf, WG_NL_RECV_MAX);
		free(ctx->rbuf);
	}
	memset(ctx, 0, sizeof(*ctx));
}

/* No "wireguard" family: with no interface of that name it is -ENODEV as
 * always; with one it cannot be kernel WireGuard. */
static int no_family(const char *ifname)
{
	return if_nametoindex(ifname) ? -EPROTONOSUPPORT : -ENODEV;
}

static int wgnl_open(const char *ifname, struct wgnl_ctx *ctx)
{
	const struct timeval tv = {
	    .tv_sec = WG_NL_TIMEOUT_MS / 1000,
	    .tv_usec = (WG_NL_TIMEOUT_MS % 1000) * 1000,
	};
	int ret;

	memset(ctx, 0, sizeof(*ctx));
	if (!wg_ifname_ok(ifname))
		return -ENODEV;
	ret = -ENOMEM;
	ctx->rbuf = malloc(WG_NL_RECV_MAX);
	ctx->sk = nl_socket_alloc();
	if (!ctx->rbuf || !ctx->sk)
		goto fail;
	ret = genl_connect(ctx->sk);
	if (ret < 0) {
		ret = wgnl_errno(ret);
		goto fail;
	}
	ret = genl_ctrl_resolve(ctx->sk, WG_GENL_NAME);
	if (ret < 0) {
		ret = ret == -NLE_OBJ_NOTFOUND ? no_family(ifname) : wgnl_errno(ret);
		goto fail;
	}
	ctx->family = ret;
	if (setsockopt(nl_socket_get_fd(ctx->sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	wgnl_close(ctx);
	return ret;
}

/* One control or family message of our reply. 1 = more to come, 0 = done,
 * or -errno. */
static int wgnl_one(struct wgnl_ctx *ctx, struct nlmsghdr *nlh, bool dump, msg_fn fn, void *arg)
{
	int ret = nlmsg_control(nlh, dump);

	if (ret != NLMSG_NOT_CONTROL)
		return ret;
	if (nlh->nlmsg_type != ctx->family || !fn)
		return -EPROTO;
	ret = fn(nlh, arg);
	return ret < 0 ? ret : 1;
}

/* What a reply must match: our request's sequence number and port, and
 * whether it was a dump (which ends with NLMSG_DONE, not an ack). */
struct wgnl_want {
	uint32_t seq, port;
	bool dump;
};

/* One datagram of the reply, n bytes in ctx->rbuf: its messages that are
 * ours go to wgnl_one. 1 = more to come, 0 = done, or -errno. */
static int wgnl_datagram(struct wgnl_ctx *ctx, size_t n, const struct wgnl_want *w, msg_fn fn,
			 void *arg, bool *intr)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)ctx->rbuf;
	int rem, ret;

	for (rem = (int)n; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		/* Left over from an earlier request on this socket: not ours. */
		if (nlh->nlmsg_seq != w->seq || nlh->nlmsg_pid != w->port)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			*intr = true;
		ret = wgnl_one(ctx, nlh, w->dump, fn, arg);
		if (ret <= 0)
			return ret;
	}
	return rem ? -EPROTO : 1;
}

/* Send msg and read its whole reply, handing each family message to fn.
 * *intr is set when any message carried NLM_F_DUMP_INTR; the reply is still
 * read to its end so the socket stays usable. 0 or -errno. */
static int wgnl_transact(struct wgnl_ctx *ctx, struct nl_msg *msg, msg_fn fn, void *arg, bool *intr)
{
	int fd = nl_socket_get_fd(ctx->sk);
	struct wgnl_want w;
	int ret;

	ret = nl_send_auto(ctx->sk, msg);
	if (ret < 0)
		return wgnl_errno(ret);
	w.seq = nlmsg_hdr(msg)->nlmsg_seq;
	w.port = nl_socket_get_local_port(ctx->sk);
	w.dump = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP;
	for (;;) {
		ssize_t n = nlmsg_recv(fd, ctx->rbuf, WG_NL_RECV_MAX);

		if (n < 0)
			return (int)n;
		ret = wgnl_datagram(ctx, (size_t)n, &w, fn, arg, intr);
		if (ret <= 0)
			return ret;
	}
}

static bool nla_len_is(const struct nlattr *a, int len)
{
	return a && nla_len(a) == len;
}

static int parse_allowedip(struct wg_builder *b, struct nlattr *attr)
{
	struct nlattr *tb[WGALLOWEDIP_A_MAX + 1];
	struct wg_allowedip ip = {0};
	int addr_len;

	if (nla_parse_nested(tb, WGALLOWEDIP_A_MAX, attr, NULL) < 0)
		return -EPROTO;
	if (!nla_len_is(tb[WGALLOWEDIP_A_FAMILY], 2) || !nla_len_is(tb[WGALLOWEDIP_A_CIDR_MASK], 1))
		return -EPROTO;
	ip.family = nla_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	ip.cidr = nla_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	if (ip.family == AF_INET && ip.cidr <= 32)
		addr_len = 4;
	else if (ip.family == AF_INET6 && ip.cidr <= 128)
		addr_len = 16;
	else
		return -EPROTO;
	if (!nla_len_is(tb[WGALLOWEDIP_A_IPADDR], addr_len))
		return -EPROTO;
	memcpy(ip.addr, nla_data(tb[WGALLOWEDIP_A_IPADDR]), (size_t)addr_len);
	return wg_builder_ip(b, &ip);
}

/* One peer nest. The kernel continues a peer whose allowed IPs do not fit in
 * the next message, repeating only its key: the builder merges it. */
static int parse_peer(struct wg_builder *b, struct nlattr *attr)
{
	struct nlattr *tb[WGPEER_A_MAX + 1], *a;
	struct __kernel_timespec ts;
	struct wg_peer *peer;
	bool continued;
	int ret, rem;

	if (nla_parse_nested(tb, WGPEER_A_MAX, attr, NULL) < 0)
		return -EPROTO;
	if (!nla_len_is(tb[WGPEER_A_PUBLIC_KEY], AWG_KEY_LEN))
		return -EPROTO;
	ret = wg_builder_peer(b, nla_data(tb[WGPEER_A_PUBLIC_KEY]), &peer, &continued);
	if (ret < 0)
		return ret;
	if (nla_len_is(tb[WGPEER_A_LAST_HANDSHAKE_TIME], sizeof(ts))) {
		memcpy(&ts, nla_data(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		peer->last_handshake = ts.tv_sec;
	}
	if (nla_len_is(tb[WGPEER_A_RX_BYTES], 8))
		peer->rx_bytes = nla_get_u64(tb[WGPEER_A_RX_BYTES]);
	if (nla_len_is(tb[WGPEER_A_TX_BYTES], 8))
		peer->tx_bytes = nla_get_u64(tb[WGPEER_A_TX_BYTES]);
	if (!tb[WGPEER_A_ALLOWEDIPS])
		return 0;
	nla_for_each_nested(a, tb[WGPEER_A_ALLOWEDIPS], rem)
	{
		ret = parse_allowedip(b, a);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* One message of a WG_CMD_GET_DEVICE dump. Device attributes come in the
 * first message only; peers in any. */
static int parse_dump_msg(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[WGDEVICE_A_MAX + 1], *a;
	struct wg_builder *b = arg;
	struct wg_device *dev = b->dev;
	int ret, rem;

	if (genlmsg_parse(nlh, 0, tb, WGDEVICE_A_MAX, NULL) < 0)
		return -EPROTO;
	if ((a = tb[WGDEVICE_A_PRIVATE_KEY])) {
		/* Only its presence matters; wipe it where it arrived. */
		if (nla_len(a) == AWG_KEY_LEN && !sodium_is_zero(nla_data(a), AWG_KEY_LEN))
			dev->flags |= WG_DEVICE_HAS_PRIVATE_KEY;
		sodium_memzero(nla_data(a), (size_t)nla_len(a));
	}
	if (nla_len_is(tb[WGDEVICE_A_PUBLIC_KEY], AWG_KEY_LEN)) {
		memcpy(dev->public_key, nla_data(tb[WGDEVICE_A_PUBLIC_KEY]), AWG_KEY_LEN);
		dev->flags |= WG_DEVICE_HAS_PUBLIC_KEY;
	}
	if (nla_len_is(tb[WGDEVICE_A_LISTEN_PORT], 2)) {
		dev->listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
		dev->flags |= WG_DEVICE_HAS_LISTEN_PORT;
	}
	if (!tb[WGDEVICE_A_PEERS])
		return 0;
	nla_for_each_nested(a, tb[WGDEVICE_A_PEERS], rem)
	{
		ret = parse_peer(b, a);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static struct nl_msg *wg_msg(struct wgnl_ctx *ctx, size_t size, int flags, uint8_t cmd,
			     const char *ifname)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctx->family, 0, flags, cmd,
			 WG_GENL_VERSION) ||
	    nla_put_string(msg, WGDEVICE_A_IFNAME, ifname) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* One complete dump: 0 and *out, with *intr telling whether it is coherent. */
static int dump_once(struct wgnl_ctx *ctx, const char *ifname, struct wg_device **out, bool *intr)
{
	struct wg_builder b = {0};
	struct nl_msg *msg;
	int ret;

	*intr = false;
	msg = wg_msg(ctx, WG_NL_MSG_MAX, NLM_F_DUMP, WG_CMD_GET_DEVICE, ifname);
	if (!msg)
		return -ENOMEM;
	ret = wg_builder_init(&b, ifname);
	if (ret == 0)
		ret = wgnl_transact(ctx, msg, parse_dump_msg, &b, intr);
	if (ret == 0)
		*out = wg_builder_finish(&b);
	wg_builder_discard(&b);
	nlmsg_free(msg);
	return ret;
}

static int kernel_get_device(const char *ifname, struct wg_device **out)
{
	struct wgnl_ctx ctx;
	struct wg_device *dev = NULL;
	bool intr = false;
	int ret;

	*out = NULL;
	ret = wgnl_open(ifname, &ctx);
	if (ret < 0)
		return ret;
	for (int i = 0; i < WG_DUMP_RETRIES; i++) {
		ret = dump_once(&ctx, ifname, &dev, &intr);
		if (ret < 0 || !intr)
			break;
		/* Changed while we read it: never hand out a mixed list. */
		wg_device_free(dev);
		dev = NULL;
		ret = -EAGAIN;
	}
	wgnl_close(&ctx);
	if (ret == 0)
		*out = dev;
	return ret == -EOPNOTSUPP ? -EPROTONOSUPPORT : ret;
}

/* One allowed IP into msg; on -EMSGSIZE nothing of it stays. */
static int put_ip(struct nl_msg *msg, const struct wg_allowedip *a)
{
	struct nlattr *ip = nla_nest_start(msg, NLA_F_NESTED);
	int len = a->family == AF_INET ? 4 : 16;

	if (!ip)
		return -EMSGSIZE;
	if (nla_put_u16(msg, WGALLOWEDIP_A_FAMILY, a->family) < 0 ||
	    nla_put(msg, WGALLOWEDIP_A_IPADDR, len, a->addr) < 0 ||
	    nla_put_u8(msg, WGALLOWEDIP_A_CIDR_MASK, a->cidr) < 0) {
		nla_nest_cancel(msg, ip);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, ip);
	return 0;
}

/* One peer entry of change ch, its allowed IPs from *next on. 0: all of it
 * is in msg; 1: msg is full after some of its IPs (*next says where the next
 * message goes on, without replacing the ones sent); -EMSGSIZE: nothing of
 * it fits, nothing stays. A SET_IPS is never a SET: UPDATE_ONLY. */
static int put_change(struct nl_msg *msg, const struct wg_change *ch, uint32_t *next)
{
	struct wg_allowedip set = {.family = AF_INET6, .cidr = 128};
	const struct wg_allowedip *ips = ch->ips;
	uint32_t n = ch->n_ips, flags = WGPEER_F_UPDATE_ONLY, first = *next;
	struct nlattr *peer, *nest;

	if (ch->op == WG_CHANGE_SET) {
		memcpy(set.addr, ch->addr, 16);
		ips = &set;
		n = 1;
		flags = 0;
	} else if (ch->op == WG_CHANGE_REMOVE) {
		n = 0;
		flags = WGPEER_F_REMOVE_ME;
	}
	if (n && !first)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	/* The kernel parses each entry with nla_parse_nested(): NLA_F_NESTED is required. */
	peer = nla_nest_start(msg, NLA_F_NESTED);
	if (!peer)
		return -EMSGSIZE;
	if (nla_put(msg, WGPEER_A_PUBLIC_KEY, AWG_KEY_LEN, ch->key) < 0 ||
	    nla_put_u32(msg, WGPEER_A_FLAGS, flags) < 0)
		goto full;
	if (n) {
		nest = nla_nest_start(msg, NLA_F_NESTED | WGPEER_A_ALLOWEDIPS);
		if (!nest)
			goto full;
		while (*next < n && put_ip(msg, &ips[*next]) == 0)
			(*next)++;
		if (*next == first)
			goto full;
		nla_nest_end(msg, nest);
	}
	nla_nest_end(msg, peer);
	return *next < n ? 1 : 0;
full:
	*next = first;
	nla_nest_cancel(msg, peer);
	return -EMSGSIZE;
}

/* One WG_CMD_SET_DEVICE with as many changes from *i (its IPs from *ip) on
 * as fit. */
static int apply_some(struct wgnl_ctx *ctx, const char *ifname, const struct wg_change *changes,
		      size_t n, size_t *i, uint32_t *ip)
{
	struct nl_msg *msg;
	struct nlattr *peers;
	size_t first = *i;
	uint32_t first_ip = *ip;
	bool intr = false;
	int ret = -ENOMEM;

	msg = wg_msg(ctx, WG_NL_MSG_MAX, 0, WG_CMD_SET_DEVICE, ifname);
	if (!msg)
		return -ENOMEM;
	peers = nla_nest_start(msg, NLA_F_NESTED | WGDEVICE_A_PEERS);
	if (!peers)
		goto out;
	while (*i < n && (ret = put_change(msg, &changes[*i], ip)) == 0) {
		(*i)++;
		*ip = 0;
	}
	ret = -EMSGSIZE; /* cannot happen: one change or one allowed IP is ~100 bytes */
	if (*i == first && *ip == first_ip)
		goto out;
	nla_nest_end(msg, peers);
	ret = wgnl_transact(ctx, msg, NULL, NULL, &intr);
out:
	nlmsg_free(msg);
	return ret;
}

static int kernel_apply(const char *ifname, const struct wg_change *changes, size_t n)
{
	struct wgnl_ctx ctx;
	size_t i = 0;
	uint32_t ip = 0;
	int ret;

	ret = wgnl_open(ifname, &ctx);
	if (ret < 0)
		return ret;
	while (ret == 0 && i < n)
		ret = apply_some(&ctx, ifname, changes, n, &i, &ip);
	wgnl_close(&ctx);
	return ret == -EOPNOTSUPP ? -EPROTONOSUPPORT : ret;
}

/*
 * The kernel has no per-peer get (WG_CMD_GET_DEVICE dumps the whole device),
 * but its set_peer() looks the key up first, and with WGPEER_F_UPDATE_ONLY
 * skips an absent peer at once, successfully. For a present one it goes on
 * to the allowed IPs; one without WGALLOWEDIP_A_IPADDR fails it with
 * -EINVAL before anything was changed (no REPLACE_ALLOWEDIPS, no key, no
 * endpoint asked for). So a SET_DEVICE of such entries answers 0 when none
 * of the keys is a peer, -EINVAL when one is, and changes nothing either way
 * (it only restarts concurrent dumps). A kernel that refused the probe for
 * another reason would answer -EINVAL too: "may be", which the caller
 * settles with a dump, so the probe can cost a dump but never hide a peer.
 */
static int probe_some(struct wgnl_ctx *ctx, const char *ifname, const uint8_t (*keys)[AWG_KEY_LEN],
		      size_t n)
{
	struct nlattr *peers, *peer, *ips, *ip;
	struct nl_msg *msg;
	bool intr = false;
	int ret = -EMSGSIZE;

	msg = wg_msg(ctx, WG_NL_MSG_MAX, 0, WG_CMD_SET_DEVICE, ifname);
	if (!msg)
		return -ENOMEM;
	peers = nla_nest_start(msg, NLA_F_NESTED | WGDEVICE_A_PEERS);
	if (!peers)
		goto out;
	for (size_t i = 0; i < n; i++) {
		peer = nla_nest_start(msg, NLA_F_NESTED);
		if (!peer || nla_put(msg, WGPEER_A_PUBLIC_KEY, AWG_KEY_LEN, keys[i]) < 0 ||
		    nla_put_u32(msg, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY) < 0 ||
		    !(ips = nla_nest_start(msg, NLA_F_NESTED | WGPEER_A_ALLOWEDIPS)) ||
		    !(ip = nla_nest_start(msg, NLA_F_NESTED)) ||
		    nla_put_u16(msg, WGALLOWEDIP_A_FAMILY, AF_INET6) < 0 ||
		    nla_put_u8(msg, WGALLOWEDIP_A_CIDR_MASK, 128) < 0)
			goto out;
		nla_nest_end(msg, ip);
		nla_nest_end(msg, ips);
		nla_nest_end(msg, peer);
	}
	nla_nest_end(msg, peers);
	ret = wgnl_transact(ctx, msg, NULL, NULL, &intr);
	if (ret == -EINVAL)
		ret = 1;
out:
	nlmsg_free(msg);
	return ret;
}

static int kernel_probe_peers(const char *ifname, const uint8_t (*keys)[AWG_KEY_LEN], size_t n)
{
	struct wgnl_ctx ctx;
	int ret;

	if (n == 0)
		return 0;
	ret = wgnl_open(ifname, &ctx);
	if (ret < 0)
		return ret;
	for (size_t i = 0; ret == 0 && i < n; i += WG_PROBE_CHUNK)
		ret = probe_some(&ctx, ifname, keys + i,
				 n - i < WG_PROBE_CHUNK ? n - i : WG_PROBE_CHUNK);
	wgnl_close(&ctx);
	return ret == -EOPNOTSUPP ? -EPROTONOSUPPORT : ret;
}

static void kernel_identity(const char *ifname, struct wg_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->ifindex = if_nametoindex(ifname);
	id->exists = id->ifindex != 0;
}

const struct wg_ops wg_kernel_ops = {
    .name = "kernel",
    .get_device = kernel_get_device,
    .apply = kernel_apply,
    .probe_peers = kernel_probe_peers,
    .identity = kernel_identity,
};
