/* SPDX-License-Identifier: MIT */
/*
 * --install-routes: the kernel routes of the devices the helper holds, one
 * "<address>/128 dev <interface> proto 213 metric <2^31 - freshness>" each in
 * the main table, for BIRD to announce; and what it knows of the other
 * routes for the pool's /128s (another concentrator's devices, installed by
 * BIRD), from a dump and the kernel's notifications. rtnetlink through
 * libnl-route-3; the only file that includes it.
 */
#ifndef AUTOWG_ROUTE_H
#define AUTOWG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/addr.h"

#define ROUTE_PROTO	   213	   /* "autowg": conf/rt_protos.d/autowg.conf */
#define ROUTE_RECV_MAX	   65536   /* receive buffer; kernel dump skbs are at most 32 KiB */
#define ROUTE_TIMEOUT_MS   5000	   /* each receive of a request's answer */
#define ROUTE_DUMP_RETRIES 8	   /* interrupted dumps before giving up with -EAGAIN */
#define ROUTE_MON_RCVBUF   8388608 /* notification socket buffer: a burst of BGP churn */
#define ROUTE_READ_BURST   256	   /* notifications read per turn of the helper's loop */
#define ROUTE_OWN_MAX	   (2 * AWG_MAX_PEERS_LIMIT) /* our routes a dump may list */

/* What the registry needs of routes; the real one is route_rtnl_ops with a
 * struct routes as ctx, unit tests give a fake. */
struct route_ops {
	/* Our route for addr/128 with freshness f. 0, or -errno: -EEXIST when
	 * another protocol's route has that very metric. */
	int (*add)(void *ctx, const uint8_t addr[16], uint32_t f);
	/* Remove our route dst (any length) with that metric; absent is not an
	 * error. 0 or -errno. */
	int (*del)(void *ctx, const struct prefix6 *dst, uint32_t metric);
	/* The freshest route of another protocol known for addr, or FRESH_NONE. */
	uint32_t (*known)(void *ctx, const uint8_t addr[16]);
};

extern const struct route_ops route_rtnl_ops;

/* One of our routes (protocol ROUTE_PROTO on the interface) as a dump found it. */
struct own_route {
	struct prefix6 dst;
	uint32_t metric;
};

enum route_event_kind {
	ROUTE_EV_FOREIGN,  /* another protocol's route for a pool /128 appeared */
	ROUTE_EV_OWN_GONE, /* one of our /128 routes was removed */
};

struct route_event {
	enum route_event_kind kind;
	uint8_t addr[16];
	uint32_t metric;
};

struct routes;

/* Subscribed to the kernel's IPv6 route notifications from here on, so a
 * dump after this misses nothing. Routes of the pool's /128s only. 0 or
 * -errno. */
int routes_open(const struct prefix6 *pool, struct routes **out);
void routes_close(struct routes *rt);
/* The notification socket: readable means routes_read has work. */
int routes_fd(const struct routes *rt);
/* The interface our routes go to (its index changes when it is re-created). */
void routes_set_ifindex(struct routes *rt, unsigned ifindex);
/* Read the whole main table: what is known of other protocols' routes is
 * replaced by what it holds, and our own routes on the interface are
 * returned in *own (caller frees). Restarted when interrupted; nothing
 * changes on failure: -EAGAIN after ROUTE_DUMP_RETRIES interrupted dumps,
 * -E2BIG past ROUTE_OWN_MAX of ours, -ETIMEDOUT, -ENOMEM, -EPROTO. */
int routes_dump(struct routes *rt, struct own_route **own, size_t *n_own);
/* Read the notifications waiting (at most ROUTE_READ_BURST datagrams): what
 * is known is kept current, and up to max events go to ev (*n of them).
 * *lost is set when the kernel dropped notifications, or when more events
 * came than ev holds: then only a new dump tells what is true. 0 or -errno. */
int routes_read(struct routes *rt, struct route_event *ev, size_t max, size_t *n, bool *lost);
/* Addresses with a route of another protocol known. */
size_t routes_known_count(const struct routes *rt);

#endif
