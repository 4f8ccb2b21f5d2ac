/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink route parser of --install-routes (wg/route.c, included to
 * reach its static functions) fed hostile route messages, as the kernel's
 * notifications or as a dump's answer, in an exact-size heap buffer (a read
 * past it is an ASan report).
 *
 * Input: a mode byte (bit 0: a dump's answer, else notifications), then
 * netlink messages back to back.
 * Invariants: an event names an address inside the pool, at most max of
 * them; a route of another protocol the parser saw is known with its
 * freshness right after (or fresher ones fill its address's places); what
 * is known stays within its bounds.
 */
#include "fuzz.h"
#include "../../wg/route.c"

#define FUZZ_EVENTS_MAX 8 /* small: the "more events than room" path is reachable */
#define FUZZ_IFINDEX	7
#define POOL		"fde3:25fb:7f6c:1::/64"

/* Freshness f (a route just seen for addr) is known, or FOREIGN_PER_ADDR
 * fresher routes took the places. */
static bool known(const struct foreign *f, const uint8_t addr[16], uint32_t fresh)
{
	return fresh == FRESH_NONE || foreign_has(f, addr, fresh) || foreign_best(f, addr) > fresh;
}

static void check_events(const struct routes *rt, const struct route_event *ev, size_t from,
			 size_t n)
{
	size_t i;

	FUZZ_CHECK(n <= FUZZ_EVENTS_MAX, "%zu events for room for %d", n, FUZZ_EVENTS_MAX);
	for (i = from; i < n; i++) {
		uint32_t f = fresh_of_metric(ev[i].metric);

		FUZZ_CHECK(ev[i].kind == ROUTE_EV_FOREIGN || ev[i].kind == ROUTE_EV_OWN_GONE,
			   "event kind %d", (int)ev[i].kind);
		FUZZ_CHECK(ev[i].kind == ROUTE_EV_OWN_GONE ||
			       prefix6_contains(&rt->pool, ev[i].addr),
			   "a route elsewhere outside the pool");
		FUZZ_CHECK(ev[i].kind != ROUTE_EV_FOREIGN || known(rt->known, ev[i].addr, f),
			   "a route elsewhere not known after its notification");
	}
}

static void notifications(struct routes *rt, uint8_t *buf, int len)
{
	struct route_event ev[FUZZ_EVENTS_MAX];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t n = 0, before;
	bool lost = false;
	int rem = len;

	for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		before = n;
		notice(rt, nlh, ev, FUZZ_EVENTS_MAX, &n, &lost);
		check_events(rt, ev, before, n);
	}
}

static void dump(struct routes *rt, uint8_t *buf, int len)
{
	struct dump_state d;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct route_msg m;
	size_t i;
	int rem = len;

	memset(&d, 0, sizeof(d));
	if (foreign_new(&d.known))
		abort();
	for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		if (dump_msg(rt, nlh, &d) < 0)
			break;
		if (parse_route(nlh, &m) && classify(rt, &m) == KIND_FOREIGN)
			FUZZ_CHECK(known(d.known, m.dst.addr, fresh_of_metric(m.metric)),
				   "a route elsewhere in the dump not known");
	}
	for (i = 0; i < d.n_own; i++)
		FUZZ_CHECK(d.own[i].dst.len <= 128, "own route /%u", d.own[i].dst.len);
	FUZZ_CHECK(foreign_count(d.known) <= FOREIGN_ADDRS_MAX, "too many known");
	dump_discard(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t mode = fuzz_u8(&in), *buf;
	struct routes rt;
	const char *why;

	memset(&rt, 0, sizeof(rt));
	if (!prefix6_parse(POOL, &rt.pool, &why) || foreign_new(&rt.known))
		abort();
	rt.ifindex = FUZZ_IFINDEX;
	buf = malloc(in.left ? in.left : 1);
	if (!buf)
		abort();
	memcpy(buf, in.p, in.left);
	if (mode & 1)
		dump(&rt, buf, (int)in.left);
	else
		notifications(&rt, buf, (int)in.left);
	free(buf);
	foreign_free(rt.known);
	return 0;
}
