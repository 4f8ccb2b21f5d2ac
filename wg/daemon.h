/* SPDX-License-Identifier: MIT */
/* The helper's process state and its life beside the socket: the interface
 * (sync, loss, return), stats, and the periodic passes. main.c fills it,
 * daemon.c runs it, server.c serves requests with it. */
#ifndef AUTOWG_DAEMON_H
#define AUTOWG_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../core/table.h"
#include "registry.h"
#include "route.h"
#include "shm.h"
#include "wg.h"

#define DAEMON_CHECK_MS	   1000	 /* interface identity check period */
#define DAEMON_REFRESH_MS  1000	 /* stats are read from the interface at most this often */
#define DAEMON_SLOW_MS	   500	 /* a failed recovery that took this long was a timeout... */
#define DAEMON_BACKOFF_MS  5000	 /* ...so the same interface is retried only this often */
#define EXPIRE_PASS_MIN_MS 1000	 /* --expire-after: stats passes at most this often... */
#define EXPIRE_PASS_MAX_MS 60000 /* ...and at least this often (expire_after / 4 between) */
/* Static peers and the interface's addresses can change under the helper (an
 * operator's wg set). They are re-read by a dump no more often than
 * RESCAN_MIN_MS, and never spending more than 1/RESCAN_COST_SHARE of the
 * time on it: the period is RESCAN_COST_SHARE times the last dump's cost. */
#define RESCAN_MIN_MS	  1000
#define RESCAN_MAX_MS	  10000
#define RESCAN_COST_SHARE 20
#define ROUTE_REPAIR_MS	  1000 /* --install-routes: missing routes added again this often */
#define ROUTE_EVENTS_MAX  1024 /* route notifications acted on per turn of the loop */

struct daemon {
	const char *ifname;
	const struct wg_ops *ops;
	struct registry *reg;
	struct shm_table shm;
	struct table_settings settings;
	char host[AWG_HOST_MAX + 1]; /* --endpoint */
	struct wg_identity id;
	int64_t next_check_ms;	      /* monotonic */
	char down_why[128];	      /* last reason a recovery failed, logged once */
	struct wg_identity failed_id; /* the interface a slow recovery failed on */
	int64_t retry_ms;	      /* monotonic: when to retry it */
	int64_t refreshed_ms;	      /* monotonic, 0 = never */
	uint32_t refresh_result;
	uint32_t expire_after;	/* --expire-after seconds, 0 = off */
	int64_t next_expire_ms; /* monotonic: the next expiry pass */
	int64_t next_rescan_ms; /* monotonic: the next static-peer rescan */
	struct routes *routes;	/* --install-routes, or NULL */
	int64_t next_repair_ms; /* monotonic: the next pass over missing routes */
};

/* Where daemon_sync failed. */
enum sync_step {
	SYNC_READ,   /* reading the interface */
	SYNC_ROUTES, /* reading the routing table (--install-routes) */
	SYNC_NO_KEY, /* the interface has no private key: -ENOKEY */
	SYNC_ADDRS,  /* reading the interface's addresses */
	SYNC_APPLY,  /* flushing the pool and re-applying the table */
};

/* Read the interface, check it can serve (private key), learn its addresses,
 * flush the pool and re-apply the table, publish the settings, mark it up.
 * 0, or -errno with the step that failed in *failed. */
int daemon_sync(struct daemon *d, enum sync_step *failed);
/* "cannot read the interface" and so on, for a log line. */
const char *daemon_sync_text(enum sync_step step);
/* Once per turn of the server's loop: the interface checked when
 * DAEMON_CHECK_MS passed or an operation failed (its loss noticed, its
 * return acted on), then the passes that are due: --expire-after, the
 * static-peer rescan, --install-routes's repair. */
void daemon_tick(struct daemon *d);
/* ms until daemon_tick has work (a poll timeout). */
int daemon_timeout(const struct daemon *d);
/* MSG_REFRESH: stats from the interface, at most once per DAEMON_REFRESH_MS;
 * REG_OK or REG_UNAVAILABLE. */
uint32_t daemon_refresh(struct daemon *d);
/* --install-routes: the routing table's notifications are waiting (a
 * resync follows when some were lost). */
void daemon_routes_read(struct daemon *d);

#endif
