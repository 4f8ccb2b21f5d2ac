/* SPDX-License-Identifier: MIT */
/* The interface's life: start-up sync, loss, return, and stats refresh. */
#include <errno.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "../core/clock.h"
#include "../core/key.h"
#include "helper.h"
#include "log.h"

static void iface_identity(const struct helper *h, struct iface_id *id)
{
	char path[AWG_SOCKET_PATH_MAX + 1];
	struct stat st;

	memset(id, 0, sizeof(*id));
	id->ifindex = if_nametoindex(h->ifname);
	id->exists = id->ifindex != 0;
	if (strcmp(h->ops->name, "userspace"))
		return;
	snprintf(path, sizeof(path), "%s/%s.sock", wg_socket_dir(), h->ifname);
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		id->sock_dev = st.st_dev;
		id->sock_ino = st.st_ino;
	} else {
		id->exists = false;
	}
}

static bool same_identity(const struct iface_id *a, const struct iface_id *b)
{
	return a->exists == b->exists && a->ifindex == b->ifindex && a->sock_dev == b->sock_dev &&
	       a->sock_ino == b->sock_ino;
}

/* The interface's own IPv6 addresses: a device must never get one. */
static int learn_iface_addrs(struct helper *h)
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
		    strcmp(i->ifa_name, h->ifname))
			continue;
		memcpy(addrs[n++], &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
	}
	freeifaddrs(ifa);
	ret = registry_set_iface_addrs(h->reg, (const uint8_t(*)[16])addrs, n);
	free(addrs);
	return ret;
}

static void settings_publish(struct helper *h)
{
	table_write_settings(h->shm.base, &h->settings);
}

/* Port and key as the interface has them now. */
static void settings_from_device(struct helper *h, const struct wg_device *dev)
{
	struct table_settings *s = &h->settings;
	bool v6 = strchr(h->host, ':') != NULL;

	snprintf(s->endpoint, sizeof(s->endpoint), "%s%s%s:%u", v6 ? "[" : "", h->host,
		 v6 ? "]" : "", dev->flags & WG_DEVICE_HAS_LISTEN_PORT ? dev->listen_port : 0);
	if (dev->flags & WG_DEVICE_HAS_PUBLIC_KEY)
		key_format(dev->public_key, s->pubkey);
	else
		s->pubkey[0] = '\0';
}

/* --install-routes: our routes on the interface as the routing table has
 * them, read before the interface is touched. 0 or -errno. */
static int routes_before(struct helper *h, const struct iface_id *id, struct own_route **own,
			 size_t *n_own)
{
	*own = NULL;
	*n_own = 0;
	if (!h->routes)
		return 0;
	routes_set_ifindex(h->routes, id->ifindex);
	return routes_dump(h->routes, own, n_own);
}

int helper_sync(struct helper *h, const char **why)
{
	struct wg_device *dev = NULL;
	struct own_route *own = NULL;
	struct iface_id id;
	size_t n_own = 0;
	int ret;

	iface_identity(h, &id);
	ret = h->ops->get_device(h->ifname, &dev);
	if (ret) {
		*why = "cannot read the interface";
		return ret;
	}
	ret = routes_before(h, &id, &own, &n_own);
	if (ret) {
		*why = "cannot read the routing table";
		goto out;
	}
	if (!(dev->flags & WG_DEVICE_HAS_PRIVATE_KEY) || !(dev->flags & WG_DEVICE_HAS_PUBLIC_KEY)) {
		*why = "the interface has no private key";
		ret = -ENOKEY;
		goto out;
	}
	ret = learn_iface_addrs(h);
	if (ret) {
		*why = "cannot read the interface's addresses";
		goto out;
	}
	ret = registry_sync(h->reg, dev);
	if (ret) {
		*why = "cannot flush the pool and re-apply the table";
		goto out;
	}
	registry_routes_sync(h->reg, own, n_own);
	h->next_repair_ms = clock_ms() + ROUTE_REPAIR_MS;
	settings_from_device(h, dev);
	h->settings.up = 1;
	settings_publish(h);
	registry_set_up(h->reg, true);
	h->up = true;
	h->id = id;
	h->down_why[0] = '\0';
out:
	free(own);
	wg_device_free(dev);
	return ret;
}

static void go_down(struct helper *h, const char *why)
{
	log_warn("%s: interface lost (%s): registrations answer 503 until it is back", h->ifname,
		 why);
	h->up = false;
	registry_set_up(h->reg, false);
	h->settings.up = 0;
	settings_publish(h);
}

/* The same interface is tried again after a backoff when it timed out. */
static void failed_on(struct helper *h, const struct iface_id *id, bool slow)
{
	h->failed_id = *id;
	h->retry_ms = clock_ms() + (slow ? HELPER_BACKOFF_MS : HELPER_CHECK_MS);
}

/* A hung daemon makes every attempt cost a backend timeout: while the very
 * same interface keeps timing out, retry it seldom, so clients are served. */
static void try_up(struct helper *h, const struct iface_id *id)
{
	const char *why = NULL;
	char msg[sizeof(h->down_why)];
	int64_t t0 = clock_ms();
	int ret = helper_sync(h, &why);

	if (ret) {
		if (clock_ms() - t0 >= HELPER_SLOW_MS)
			failed_on(h, id, true);
		snprintf(msg, sizeof(msg), "%s: %s", why, strerror(-ret));
		if (strcmp(msg, h->down_why))
			log_info("%s: interface present but not usable yet: %s", h->ifname, msg);
		snprintf(h->down_why, sizeof(h->down_why), "%s", msg);
		return;
	}
	log_info("%s: interface regained: endpoint %s, key %s, %u peer%s re-applied, %zu static",
		 h->ifname, h->settings.endpoint, h->settings.pubkey, registry_count(h->reg),
		 registry_count(h->reg) == 1 ? "" : "s", registry_static_count(h->reg));
}

void monitor_tick(struct helper *h, int err)
{
	struct iface_id id;

	h->next_check_ms = clock_ms() + HELPER_CHECK_MS;
	iface_identity(h, &id);
	if (h->up) {
		if (!id.exists) {
			go_down(h, "it is gone");
		} else if (!same_identity(&id, &h->id)) {
			go_down(h, "it was replaced");
		} else if (err == -ETIMEDOUT) {
			/* a hung daemon: asking again would cost another timeout */
			go_down(h, "it does not answer");
			failed_on(h, &id, true);
		} else if (err) {
			struct wg_device *dev = NULL;
			int64_t t0 = clock_ms();
			int ret = h->ops->get_device(h->ifname, &dev);

			wg_device_free(dev);
			if (ret) {
				go_down(h, strerror(-ret));
				failed_on(h, &id, clock_ms() - t0 >= HELPER_SLOW_MS);
			}
		}
	}
	if (!h->up && id.exists &&
	    (!same_identity(&id, &h->failed_id) || clock_ms() >= h->retry_ms))
		try_up(h, &id);
}

int monitor_timeout(const struct helper *h)
{
	int64_t left = h->next_check_ms - clock_ms();

	return left < 0 ? 0 : left > HELPER_CHECK_MS ? HELPER_CHECK_MS : (int)left;
}

/* One dump: stats into the table, static peers, the interface's addresses,
 * port and key re-learnt. REG_OK or REG_UNAVAILABLE. */
static uint32_t reread(struct helper *h)
{
	struct wg_device *dev = NULL;
	uint32_t result = REG_UNAVAILABLE;
	int ret;

	ret = h->ops->get_device(h->ifname, &dev);
	if (ret) {
		log_warn("%s: reading the interface failed: %s", h->ifname, strerror(-ret));
		monitor_tick(h, ret);
		return result;
	}
	if (registry_update(h->reg, dev) == 0 && learn_iface_addrs(h) == 0) {
		settings_from_device(h, dev);
		h->settings.stats_refreshed = time(NULL);
		settings_publish(h);
		result = REG_OK;
	}
	wg_device_free(dev);
	/* a dump of a big interface is many small blocks, all freed now: give
	 * them back, or the helper keeps the largest dump's size for good */
	malloc_trim(0);
	return result;
}

uint32_t helper_refresh(struct helper *h)
{
	int64_t now = clock_ms();

	/* a lost interface is news at once, whatever the last refresh said */
	if (!h->up)
		return REG_UNAVAILABLE;
	if (h->refreshed_ms && now - h->refreshed_ms < HELPER_REFRESH_MS)
		return h->refresh_result;
	h->refreshed_ms = now;
	h->refresh_result = reread(h);
	return h->refresh_result;
}

void helper_rescan_tick(struct helper *h)
{
	int64_t t0 = clock_ms(), period;

	if (!h->up || t0 < h->next_rescan_ms)
		return;
	reread(h); /* on its own schedule: a MSG_REFRESH right after still reads afresh */
	period = (clock_ms() - t0) * RESCAN_COST_SHARE;
	if (period < RESCAN_MIN_MS)
		period = RESCAN_MIN_MS;
	h->next_rescan_ms = clock_ms() + (period > RESCAN_MAX_MS ? RESCAN_MAX_MS : period);
}

static int64_t expire_period_ms(uint32_t after)
{
	int64_t p = (int64_t)after * 1000 / 4;

	if (p < EXPIRE_PASS_MIN_MS)
		return EXPIRE_PASS_MIN_MS;
	return p > EXPIRE_PASS_MAX_MS ? EXPIRE_PASS_MAX_MS : p;
}

void helper_expire_tick(struct helper *h)
{
	struct wg_device *dev = NULL;
	int64_t now = clock_ms();
	int ret;

	if (!h->expire_after || !h->up || now < h->next_expire_ms)
		return;
	h->next_expire_ms = now + expire_period_ms(h->expire_after);
	ret = h->ops->get_device(h->ifname, &dev);
	if (ret) {
		log_warn("%s: expiry pass: cannot read the interface: %s", h->ifname,
			 strerror(-ret));
		monitor_tick(h, ret);
		return;
	}
	/* a partial or failed update must not expire anyone: stats first */
	if (registry_update(h->reg, dev) == 0) {
		h->settings.stats_refreshed = time(NULL);
		settings_publish(h);
		registry_expire(h->reg, time(NULL), h->expire_after);
	}
	wg_device_free(dev);
	malloc_trim(0); /* as in reread() */
}

/* Notifications were lost: only a new dump says what is true. */
static void routes_resync(struct helper *h)
{
	struct own_route *own = NULL;
	size_t n_own = 0;
	int ret = routes_dump(h->routes, &own, &n_own);

	if (ret) {
		/* what is known stays as it was; the next loss or sync tries again */
		log_warn("%s: route notifications were lost and the routing table cannot be read: "
			 "%s",
			 h->ifname, strerror(-ret));
		return;
	}
	log_info("%s: route notifications were lost: the routing table read again", h->ifname);
	registry_routes_sync(h->reg, own, n_own);
	free(own);
}

void helper_routes_read(struct helper *h)
{
	static struct route_event ev[ROUTE_EVENTS_MAX];
	size_t n = 0;
	bool lost = false;
	int ret;

	ret = routes_read(h->routes, ev, ROUTE_EVENTS_MAX, &n, &lost);
	if (ret)
		log_warn("%s: reading route notifications: %s", h->ifname, strerror(-ret));
	/* while the interface is away its sync reads the table anyway */
	if (!h->up)
		return;
	registry_route_events(h->reg, ev, n);
	if (lost)
		routes_resync(h);
}

void helper_routes_tick(struct helper *h)
{
	int64_t now = clock_ms();

	if (!h->routes || !h->up || now < h->next_repair_ms)
		return;
	h->next_repair_ms = now + ROUTE_REPAIR_MS;
	registry_routes_repair(h->reg);
}
