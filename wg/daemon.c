/* SPDX-License-Identifier: MIT */
/* The helper beside its socket: the interface's life (start-up sync, loss,
 * return), stats refresh, and the periodic passes. */
#include <errno.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../core/clock.h"
#include "../core/key.h"
#include "daemon.h"
#include "log.h"

static bool same_identity(const struct wg_identity *a, const struct wg_identity *b)
{
	return a->exists == b->exists && a->ifindex == b->ifindex && a->sock_dev == b->sock_dev &&
	       a->sock_ino == b->sock_ino;
}

/* The interface's own IPv6 addresses: a device must never get one. */
static int learn_iface_addrs(struct daemon *d)
{
	uint8_t(*addrs)[16] = NULL;
	struct ifaddrs *ifa = NULL, *i;
	size_t n = 0;
	int ret;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	addrs = calloc(REG_IFACE_ADDRS_MAX, sizeof(*addrs));
	if (!addrs) {
		freeifaddrs(ifa);
		return -ENOMEM;
	}
	for (i = ifa; i && n < REG_IFACE_ADDRS_MAX; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 ||
		    strcmp(i->ifa_name, d->ifname))
			continue;
		memcpy(addrs[n++], &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
	}
	freeifaddrs(ifa);
	ret = registry_set_iface_addrs(d->reg, (const uint8_t(*)[16])addrs, n);
	free(addrs);
	return ret;
}

/* The settings into the shared table; their up is the registry's, the one
 * flag that says whether the interface is usable. */
static void settings_publish(struct daemon *d)
{
	d->settings.up = registry_up(d->reg);
	table_write_settings(d->shm.base, &d->settings);
}

/* Port and key as the interface has them now. */
static void settings_from_device(struct daemon *d, const struct wg_device *dev)
{
	struct table_settings *s = &d->settings;
	bool v6 = strchr(d->host, ':') != NULL;

	snprintf(s->endpoint, sizeof(s->endpoint), "%s%s%s:%u", v6 ? "[" : "", d->host,
		 v6 ? "]" : "", dev->flags & WG_DEVICE_HAS_LISTEN_PORT ? dev->listen_port : 0);
	if (dev->flags & WG_DEVICE_HAS_PUBLIC_KEY)
		key_format(dev->public_key, s->pubkey);
	else
		s->pubkey[0] = '\0';
}

/* --install-routes: our routes on the interface as the routing table has
 * them, read before the interface is touched. 0 or -errno. */
static int routes_before(struct daemon *d, const struct wg_identity *id, struct own_route **own,
			 size_t *n_own)
{
	*own = NULL;
	*n_own = 0;
	if (!d->routes)
		return 0;
	routes_set_ifindex(d->routes, id->ifindex);
	return routes_dump(d->routes, own, n_own);
}

static const char *const sync_texts[] = {
    [SYNC_READ] = "cannot read the interface",
    [SYNC_ROUTES] = "cannot read the routing table",
    [SYNC_NO_KEY] = "the interface has no private key",
    [SYNC_ADDRS] = "cannot read the interface's addresses",
    [SYNC_APPLY] = "cannot flush the pool and re-apply the table",
};

const char *daemon_sync_text(enum sync_step step)
{
	return (unsigned)step < sizeof(sync_texts) / sizeof(sync_texts[0]) ? sync_texts[step]
									   : "sync failed";
}

int daemon_sync(struct daemon *d, enum sync_step *failed)
{
	struct wg_device *dev = NULL;
	struct own_route *own = NULL;
	struct wg_identity id;
	size_t n_own = 0;
	int ret;

	d->ops->identity(d->ifname, &id);
	ret = d->ops->get_device(d->ifname, &dev);
	if (ret) {
		*failed = SYNC_READ;
		return ret;
	}
	ret = routes_before(d, &id, &own, &n_own);
	if (ret) {
		*failed = SYNC_ROUTES;
		goto out;
	}
	if (!(dev->flags & WG_DEVICE_HAS_PRIVATE_KEY) || !(dev->flags & WG_DEVICE_HAS_PUBLIC_KEY)) {
		*failed = SYNC_NO_KEY;
		ret = -ENOKEY;
		goto out;
	}
	ret = learn_iface_addrs(d);
	if (ret) {
		*failed = SYNC_ADDRS;
		goto out;
	}
	ret = registry_sync(d->reg, dev);
	if (ret) {
		*failed = SYNC_APPLY;
		goto out;
	}
	registry_routes_sync(d->reg, own, n_own);
	d->next_repair_ms = clock_ms() + ROUTE_REPAIR_MS;
	settings_from_device(d, dev);
	registry_set_up(d->reg, true);
	settings_publish(d);
	d->id = id;
	d->down_why[0] = '\0';
out:
	free(own);
	wg_device_free(dev);
	return ret;
}

static void go_down(struct daemon *d, const char *why)
{
	log_warn("%s: interface lost (%s): registrations answer 503 until it is back", d->ifname,
		 why);
	registry_set_up(d->reg, false);
	settings_publish(d);
}

/* The same interface is tried again after a backoff when it timed out. */
static void failed_on(struct daemon *d, const struct wg_identity *id, bool slow)
{
	d->failed_id = *id;
	d->retry_ms = clock_ms() + (slow ? DAEMON_BACKOFF_MS : DAEMON_CHECK_MS);
}

/* A hung daemon makes every attempt cost a backend timeout: while the very
 * same interface keeps timing out, retry it seldom, so clients are served. */
static void try_up(struct daemon *d, const struct wg_identity *id)
{
	enum sync_step failed = SYNC_READ;
	char msg[sizeof(d->down_why)];
	int64_t t0 = clock_ms();
	int ret = daemon_sync(d, &failed);

	if (ret) {
		if (clock_ms() - t0 >= DAEMON_SLOW_MS)
			failed_on(d, id, true);
		snprintf(msg, sizeof(msg), "%s: %s", daemon_sync_text(failed), strerror(-ret));
		if (strcmp(msg, d->down_why))
			log_info("%s: interface present but not usable yet: %s", d->ifname, msg);
		snprintf(d->down_why, sizeof(d->down_why), "%s", msg);
		return;
	}
	log_info("%s: interface regained: endpoint %s, key %s, %u peer%s re-applied, %zu static",
		 d->ifname, d->settings.endpoint, d->settings.pubkey, registry_count(d->reg),
		 registry_count(d->reg) == 1 ? "" : "s", registry_static_count(d->reg));
}

/* About once a second, and at once when an operation failed with -errno err:
 * notice the interface going away or coming back, and act on it. */
static void check(struct daemon *d, int err)
{
	struct wg_identity id;

	d->next_check_ms = clock_ms() + DAEMON_CHECK_MS;
	d->ops->identity(d->ifname, &id);
	if (registry_up(d->reg)) {
		if (!id.exists) {
			go_down(d, "it is gone");
		} else if (!same_identity(&id, &d->id)) {
			go_down(d, "it was replaced");
		} else if (err == -ETIMEDOUT) {
			/* a hung daemon: asking again would cost another timeout */
			go_down(d, "it does not answer");
			failed_on(d, &id, true);
		} else if (err) {
			struct wg_device *dev = NULL;
			int64_t t0 = clock_ms();
			int ret = d->ops->get_device(d->ifname, &dev);

			wg_device_free(dev);
			if (ret) {
				go_down(d, strerror(-ret));
				failed_on(d, &id, clock_ms() - t0 >= DAEMON_SLOW_MS);
			}
		}
	}
	if (!registry_up(d->reg) && id.exists &&
	    (!same_identity(&id, &d->failed_id) || clock_ms() >= d->retry_ms))
		try_up(d, &id);
}

int daemon_timeout(const struct daemon *d)
{
	int64_t left = d->next_check_ms - clock_ms();

	return left < 0 ? 0 : left > DAEMON_CHECK_MS ? DAEMON_CHECK_MS : (int)left;
}

/* One dump: stats into the table, static peers, the interface's addresses,
 * port and key re-learnt. REG_OK or REG_UNAVAILABLE. */
static uint32_t reread(struct daemon *d)
{
	struct wg_device *dev = NULL;
	uint32_t result = REG_UNAVAILABLE;
	int ret;

	ret = d->ops->get_device(d->ifname, &dev);
	if (ret) {
		log_warn("%s: reading the interface failed: %s", d->ifname, strerror(-ret));
		check(d, ret);
		return result;
	}
	if (registry_update(d->reg, dev) == 0 && learn_iface_addrs(d) == 0) {
		settings_from_device(d, dev);
		d->settings.stats_refreshed = time(NULL);
		settings_publish(d);
		result = REG_OK;
	}
	wg_device_free(dev);
	/* a dump of a big interface is many small blocks, all freed now: give
	 * them back, or the helper keeps the largest dump's size for good */
	malloc_trim(0);
	return result;
}

uint32_t daemon_refresh(struct daemon *d)
{
	int64_t now = clock_ms();

	/* a lost interface is news at once, whatever the last refresh said */
	if (!registry_up(d->reg))
		return REG_UNAVAILABLE;
	if (d->refreshed_ms && now - d->refreshed_ms < DAEMON_REFRESH_MS)
		return d->refresh_result;
	d->refreshed_ms = now;
	d->refresh_result = reread(d);
	return d->refresh_result;
}

/* When due, re-learn static peers and interface addresses (one refresh), so
 * a static peer added while the helper runs is never overwritten. */
static void rescan_tick(struct daemon *d)
{
	int64_t t0 = clock_ms(), period;

	if (!registry_up(d->reg) || t0 < d->next_rescan_ms)
		return;
	reread(d); /* on its own schedule: a MSG_REFRESH right after still reads afresh */
	period = (clock_ms() - t0) * RESCAN_COST_SHARE;
	if (period < RESCAN_MIN_MS)
		period = RESCAN_MIN_MS;
	d->next_rescan_ms = clock_ms() + (period > RESCAN_MAX_MS ? RESCAN_MAX_MS : period);
}

static int64_t expire_period_ms(uint32_t after)
{
	int64_t p = (int64_t)after * 1000 / 4;

	if (p < EXPIRE_PASS_MIN_MS)
		return EXPIRE_PASS_MIN_MS;
	return p > EXPIRE_PASS_MAX_MS ? EXPIRE_PASS_MAX_MS : p;
}

/* --expire-after: when a pass is due, read the interface once (stats into
 * the table) and remove the peers that went quiet. Never without the flag,
 * so registrations stay dump-free. */
static void expire_tick(struct daemon *d)
{
	struct wg_device *dev = NULL;
	int64_t now = clock_ms();
	int ret;

	if (!d->expire_after || !registry_up(d->reg) || now < d->next_expire_ms)
		return;
	d->next_expire_ms = now + expire_period_ms(d->expire_after);
	ret = d->ops->get_device(d->ifname, &dev);
	if (ret) {
		log_warn("%s: expiry pass: cannot read the interface: %s", d->ifname,
			 strerror(-ret));
		check(d, ret);
		return;
	}
	/* a partial or failed update must not expire anyone: stats first */
	if (registry_update(d->reg, dev) == 0) {
		d->settings.stats_refreshed = time(NULL);
		settings_publish(d);
		registry_expire(d->reg, time(NULL), d->expire_after);
	}
	wg_device_free(dev);
	malloc_trim(0); /* as in reread() */
}

/* Notifications were lost: only a new dump says what is true. */
static void routes_resync(struct daemon *d)
{
	struct own_route *own = NULL;
	size_t n_own = 0;
	int ret = routes_dump(d->routes, &own, &n_own);

	if (ret) {
		/* what is known stays as it was; the next loss or sync tries again */
		log_warn("%s: route notifications were lost and the routing table cannot be read: "
			 "%s",
			 d->ifname, strerror(-ret));
		return;
	}
	log_info("%s: route notifications were lost: the routing table read again", d->ifname);
	registry_routes_sync(d->reg, own, n_own);
	free(own);
}

void daemon_routes_read(struct daemon *d)
{
	static struct route_event ev[ROUTE_EVENTS_MAX];
	size_t n = 0;
	bool lost = false;
	int ret;

	ret = routes_read(d->routes, ev, ROUTE_EVENTS_MAX, &n, &lost);
	if (ret)
		log_warn("%s: reading route notifications: %s", d->ifname, strerror(-ret));
	/* while the interface is away its sync reads the table anyway */
	if (!registry_up(d->reg))
		return;
	registry_route_events(d->reg, ev, n);
	if (lost)
		routes_resync(d);
}

/* --install-routes: when due, add the routes that are missing. */
static void routes_tick(struct daemon *d)
{
	int64_t now = clock_ms();

	if (!d->routes || !registry_up(d->reg) || now < d->next_repair_ms)
		return;
	d->next_repair_ms = now + ROUTE_REPAIR_MS;
	registry_routes_repair(d->reg);
}

void daemon_tick(struct daemon *d)
{
	int err = registry_take_check(d->reg);

	if (err || daemon_timeout(d) == 0)
		check(d, err);
	expire_tick(d);
	rescan_tick(d);
	routes_tick(d);
}
