/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink through libnl-route-3: libnl builds the requests (route
 * objects); the answers and notifications are read here into our own
 * buffer, so that sequence numbers, NLM_F_DUMP_INTR, the kernel's errno and
 * a dropped notification (ENOBUFS) are seen exactly.
 *
 * Two sockets: requests (add, delete, dump) and their answers on one, the
 * RTNLGRP_IPV6_ROUTE notifications on the other, non-blocking, for the
 * helper's poll loop. Only IPv6 unicast routes of the main table count.
 */
#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/route.h>

#include "foreign.h"
#include "fresh.h"
#include "nlmsg.h"

struct routes {
	struct nl_sock *req;
	struct nl_sock *mon;
	uint8_t *rbuf;
	struct prefix6 pool;
	unsigned ifindex;
	struct foreign *known;
};

/* One route message, as far as it matters here. */
struct route_msg {
	bool del;
	uint8_t proto;
	struct prefix6 dst;
	uint32_t metric;
	uint32_t oif;
};

enum route_kind { KIND_OTHER, KIND_OWN, KIND_FOREIGN };

static int nl_errno(int nlerr)
{
	return nlerr == -NLE_NOMEM ? -ENOMEM : -EIO;
}

void routes_close(struct routes *rt)
{
	if (!rt)
		return;
	if (rt->req)
		nl_socket_free(rt->req);
	if (rt->mon)
		nl_socket_free(rt->mon);
	free(rt->rbuf);
	foreign_free(rt->known);
	free(rt);
}

static int mon_open(struct routes *rt)
{
	int fd, size = ROUTE_MON_RCVBUF, ret;

	rt->mon = nl_socket_alloc();
	if (!rt->mon)
		return -ENOMEM;
	nl_socket_disable_seq_check(rt->mon);
	ret = nl_connect(rt->mon, NETLINK_ROUTE);
	if (ret >= 0)
		ret = nl_socket_add_membership(rt->mon, RTNLGRP_IPV6_ROUTE);
	if (ret >= 0)
		ret = nl_socket_set_nonblocking(rt->mon);
	if (ret < 0)
		return nl_errno(ret);
	fd = nl_socket_get_fd(rt->mon);
	/* past rmem_max with CAP_NET_ADMIN; the plain one as a fallback */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		return -errno;
	return 0;
}

int routes_open(const struct prefix6 *pool, struct routes **out)
{
	const struct timeval tv = {
	    .tv_sec = ROUTE_TIMEOUT_MS / 1000,
	    .tv_usec = (ROUTE_TIMEOUT_MS % 1000) * 1000,
	};
	struct routes *rt = calloc(1, sizeof(*rt));
	int ret = -ENOMEM;

	*out = NULL;
	if (!rt)
		return -ENOMEM;
	rt->pool = *pool;
	rt->rbuf = malloc(ROUTE_RECV_MAX);
	rt->req = nl_socket_alloc();
	if (!rt->rbuf || !rt->req || foreign_new(&rt->known))
		goto fail;
	ret = nl_connect(rt->req, NETLINK_ROUTE);
	if (ret < 0) {
		ret = nl_errno(ret);
		goto fail;
	}
	if (setsockopt(nl_socket_get_fd(rt->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = mon_open(rt);
	if (ret)
		goto fail;
	*out = rt;
	return 0;
fail:
	routes_close(rt);
	return ret;
}

int routes_fd(const struct routes *rt)
{
	return nl_socket_get_fd(rt->mon);
}

void routes_set_ifindex(struct routes *rt, unsigned ifindex)
{
	rt->ifindex = ifindex;
}

size_t routes_known_count(const struct routes *rt)
{
	return foreign_count(rt->known);
}

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != sizeof(*v))
		return false;
	*v = nla_get_u32(a);
	return true;
}

/* An IPv6 unicast route of the main table, not a cached clone: true and *m. */
static bool parse_route(struct nlmsghdr *nlh, struct route_msg *m)
{
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	uint32_t table;

	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return false;
	rtm = nlmsg_data(nlh);
	table = rtm->rtm_table;
	attr_u32(tb[RTA_TABLE], &table);
	if (rtm->rtm_family != AF_INET6 || table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST ||
	    (rtm->rtm_flags & RTM_F_CLONED) || rtm->rtm_dst_len > 128)
		return false;
	memset(m, 0, sizeof(*m));
	m->del = nlh->nlmsg_type == RTM_DELROUTE;
	m->proto = rtm->rtm_protocol;
	m->dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST]) {
		if (nla_len(tb[RTA_DST]) != 16)
			return false;
		memcpy(m->dst.addr, nla_data(tb[RTA_DST]), 16);
	}
	attr_u32(tb[RTA_PRIORITY], &m->metric);
	attr_u32(tb[RTA_OIF], &m->oif);
	return true;
}

/* Ours: our protocol on our interface, whatever the prefix (a stale one
 * is ours to remove). Foreign: another protocol's /128 inside the pool. */
static enum route_kind classify(const struct routes *rt, const struct route_msg *m)
{
	if (m->proto == ROUTE_PROTO)
		return rt->ifindex && m->oif == rt->ifindex ? KIND_OWN : KIND_OTHER;
	if (m->dst.len == 128 && prefix6_contains(&rt->pool, m->dst.addr))
		return KIND_FOREIGN;
	return KIND_OTHER;
}

/* Called for every route message of a dump's answer. */
typedef int (*msg_fn)(struct routes *rt, struct nlmsghdr *nlh, void *arg);

/* One control message or route message of our answer: 1 = more to come,
 * 0 = done, or -errno. */
static int answer_one(struct routes *rt, struct nlmsghdr *nlh, bool dump, msg_fn fn, void *arg)
{
	int e = nlmsg_control(nlh, dump);

	if (e != NLMSG_NOT_CONTROL)
		return e;
	if (!dump || !fn)
		return -EPROTO;
	e = fn(rt, nlh, arg);
	return e < 0 ? e : 1;
}

/* Send msg and read its whole answer; *intr when a part of a dump carried
 * NLM_F_DUMP_INTR (the answer is still read to its end). 0 or -errno. */
static int transact(struct routes *rt, struct nl_msg *msg, msg_fn fn, void *arg, bool *intr)
{
	int fd = nl_socket_get_fd(rt->req), ret, rem;
	/* not the NLM_F_DUMP bits: a create's NLM_F_EXCL is one of them */
	bool dump = nlmsg_hdr(msg)->nlmsg_type == RTM_GETROUTE;
	uint32_t seq, port;

	ret = nl_send_auto(rt->req, msg);
	if (ret < 0)
		return nl_errno(ret);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	port = nl_socket_get_local_port(rt->req);
	for (;;) {
		ssize_t n = nlmsg_recv(fd, rt->rbuf, ROUTE_RECV_MAX);
		struct nlmsghdr *nlh = (struct nlmsghdr *)rt->rbuf;

		if (n < 0)
			return (int)n;
		for (rem = (int)n; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
			/* left over from an earlier request on this socket: not ours */
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != port)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			ret = answer_one(rt, nlh, dump, fn, arg);
			if (ret <= 0)
				return ret;
		}
		if (rem)
			return -EPROTO;
	}
}

/* Our route dst with that metric, as libnl builds it. NULL: no memory. */
static struct rtnl_route *route_obj(const struct routes *rt, const struct prefix6 *dst,
				    uint32_t metric)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *a = nl_addr_build(AF_INET6, dst->addr, 16);

	if (!r || !nh || !a) {
		rtnl_route_put(r);
		rtnl_route_nh_free(nh);
		nl_addr_put(a);
		return NULL;
	}
	nl_addr_set_prefixlen(a, dst->len);
	rtnl_route_set_family(r, AF_INET6);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, ROUTE_PROTO);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_set_priority(r, metric);
	rtnl_route_set_dst(r, a); /* takes its own reference */
	nl_addr_put(a);
	rtnl_route_nh_set_ifindex(nh, (int)rt->ifindex);
	rtnl_route_add_nexthop(r, nh); /* the route owns it now */
	return r;
}

/* RTM_NEWROUTE (create, never replace) or RTM_DELROUTE. 0 or -errno. */
static int request(struct routes *rt, bool add, const struct prefix6 *dst, uint32_t metric)
{
	struct rtnl_route *r = route_obj(rt, dst, metric);
	struct nl_msg *msg = NULL;
	bool intr = false;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = add ? rtnl_route_build_add_request(r, NLM_F_CREATE | NLM_F_EXCL, &msg)
		  : rtnl_route_build_del_request(r, 0, &msg);
	rtnl_route_put(r);
	if (ret < 0)
		return nl_errno(ret);
	ret = transact(rt, msg, NULL, NULL, &intr);
	nlmsg_free(msg);
	return ret;
}

static int rtnl_add(void *ctx, const uint8_t addr[16], uint32_t f)
{
	struct routes *rt = ctx;
	struct prefix6 dst = {.len = 128};
	int ret;

	memcpy(dst.addr, addr, 16);
	ret = request(rt, true, &dst, fresh_metric(f));
	/* that very route exists: ours from before, unless another
	 * protocol's has the metric */
	if (ret == -EEXIST && !foreign_has(rt->known, addr, f))
		return 0;
	return ret;
}

static int rtnl_del(void *ctx, const struct prefix6 *dst, uint32_t metric)
{
	int ret = request(ctx, false, dst, metric);

	return ret == -ESRCH ? 0 : ret;
}

static uint32_t rtnl_known(void *ctx, const uint8_t addr[16])
{
	return foreign_best(((struct routes *)ctx)->known, addr);
}

const struct route_ops route_rtnl_ops = {rtnl_add, rtnl_del, rtnl_known};

/* What one dump collects. */
struct dump_state {
	struct foreign *known;
	struct own_route *own;
	size_t n_own, cap;
};

static int dump_msg(struct routes *rt, struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *d = arg;
	struct route_msg m;
	struct own_route *grown;

	if (!parse_route(nlh, &m))
		return 0;
	switch (classify(rt, &m)) {
	case KIND_FOREIGN:
		/* past FOREIGN_ADDRS_MAX an address is not remembered: the
		 * notification of a fresher route still finds the device */
		return foreign_add(d->known, m.dst.addr, fresh_of_metric(m.metric)) == -ENOMEM
			   ? -ENOMEM
			   : 0;
	case KIND_OWN:
		if (d->n_own == ROUTE_OWN_MAX)
			return -E2BIG;
		if (d->n_own == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 64;
			grown = reallocarray(d->own, d->cap, sizeof(*d->own));
			if (!grown)
				return -ENOMEM;
			d->own = grown;
		}
		d->own[d->n_own++] = (struct own_route){.dst = m.dst, .metric = m.metric};
		return 0;
	case KIND_OTHER:
		break;
	}
	return 0;
}

static int dump_once(struct routes *rt, struct dump_state *d, bool *intr)
{
	struct rtmsg rtm = {.rtm_family = AF_INET6};
	struct nl_msg *msg;
	int ret;

	*intr = false;
	msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	ret = nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO);
	ret = ret < 0 ? nl_errno(ret) : transact(rt, msg, dump_msg, d, intr);
	nlmsg_free(msg);
	return ret;
}

static void dump_discard(struct dump_state *d)
{
	foreign_free(d->known);
	free(d->own);
	memset(d, 0, sizeof(*d));
}

int routes_dump(struct routes *rt, struct own_route **own, size_t *n_own)
{
	struct dump_state d;
	bool intr = false;
	int ret = -EAGAIN, i;

	*own = NULL;
	*n_own = 0;
	for (i = 0; i < ROUTE_DUMP_RETRIES; i++) {
		memset(&d, 0, sizeof(d));
		ret = foreign_new(&d.known);
		if (ret == 0)
			ret = dump_once(rt, &d, &intr);
		if (ret == 0 && !intr)
			break;
		/* changed while we read it: never act on a mixed picture */
		dump_discard(&d);
		if (ret)
			return ret;
		ret = -EAGAIN;
	}
	if (ret)
		return ret;
	foreign_free(rt->known);
	rt->known = d.known;
	*own = d.own;
	*n_own = d.n_own;
	return 0;
}

/* Everything waiting is stale once notifications were lost: a dump
 * follows, and events queued before it must not be applied after it. */
static void mon_drain(struct routes *rt)
{
	int fd = nl_socket_get_fd(rt->mon);
	size_t i;
	ssize_t n;

	/* bounded: a queue refilled as fast as it drains is left to the next turn */
	for (i = 0; i < ROUTE_MON_RCVBUF / NLMSG_HDRLEN; i++) {
		n = recv(fd, rt->rbuf, ROUTE_RECV_MAX, MSG_DONTWAIT);
		if (n < 0 && errno != EINTR && errno != ENOBUFS)
			return;
	}
}

/* One notification: what is known changes; an event when it matters. */
static void notice(struct routes *rt, struct nlmsghdr *nlh, struct route_event *ev, size_t max,
		   size_t *n, bool *lost)
{
	struct route_msg m;
	enum route_kind kind;
	uint32_t f;

	if (!parse_route(nlh, &m))
		return;
	kind = classify(rt, &m);
	f = fresh_of_metric(m.metric);
	if (kind == KIND_FOREIGN && m.del) {
		foreign_del(rt->known, m.dst.addr, f);
		return;
	}
	if (kind == KIND_FOREIGN && foreign_add(rt->known, m.dst.addr, f) == -ENOMEM)
		*lost = true;
	if (kind == KIND_OTHER || (kind == KIND_OWN && (!m.del || m.dst.len != 128)))
		return;
	if (*n == max) {
		*lost = true;
		return;
	}
	ev[*n].kind = kind == KIND_FOREIGN ? ROUTE_EV_FOREIGN : ROUTE_EV_OWN_GONE;
	memcpy(ev[*n].addr, m.dst.addr, 16);
	ev[(*n)++].metric = m.metric;
}

int routes_read(struct routes *rt, struct route_event *ev, size_t max, size_t *n, bool *lost)
{
	int fd = nl_socket_get_fd(rt->mon), i, rem;

	*n = 0;
	*lost = false;
	for (i = 0; i < ROUTE_READ_BURST; i++) {
		ssize_t got = recv(fd, rt->rbuf, ROUTE_RECV_MAX, MSG_DONTWAIT | MSG_TRUNC);
		struct nlmsghdr *nlh = (struct nlmsghdr *)rt->rbuf;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == ENOBUFS) {
			mon_drain(rt);
			*lost = true;
			return 0;
		}
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (got > ROUTE_RECV_MAX) {
			*lost = true; /* cut short: some of it never arrived */
			continue;
		}
		for (rem = (int)got; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem))
			notice(rt, nlh, ev, max, n, lost);
	}
	return 0;
}
