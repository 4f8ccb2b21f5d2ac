/* SPDX-License-Identifier: MIT */
/* Backend choice and the device structure both backends build. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "wg.h"
#include "backend.h"

const char *wg_socket_dir(void)
{
	/* secure_getenv: a set-id helper must not take the path from its caller. */
	const char *dir = secure_getenv("WG_SOCKET_DIR");

	return dir && *dir ? dir : WG_SOCKET_DIR_DEFAULT;
}

bool wg_ifname_ok(const char *ifname)
{
	size_t len = strnlen(ifname, AWG_IFNAME_MAX + 1);

	if (len == 0 || len > AWG_IFNAME_MAX)
		return false;
	if (!strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)ifname[i];

		/* The kernel's dev_valid_name(): no '/', ':' or whitespace. */
		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

int wg_socket_path(const char *ifname, char out[AWG_SOCKET_PATH_MAX + 1])
{
	int n;

	if (!wg_ifname_ok(ifname))
		return -EINVAL;
	n = snprintf(out, AWG_SOCKET_PATH_MAX + 1, "%s/%s.sock", wg_socket_dir(), ifname);
	if (n < 0 || n > AWG_SOCKET_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* As wg(8) does: a UAPI socket for the name means a userspace implementation
 * owns it, whatever the kernel has. */
static bool userspace_socket_exists(const char *ifname)
{
	char path[AWG_SOCKET_PATH_MAX + 1];
	struct stat st;

	if (wg_socket_path(ifname, path) < 0)
		return false;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

const struct wg_ops *wg_ops_pick(const char *ifname, const char *backend)
{
	if (!strcmp(backend, "kernel"))
		return &wg_kernel_ops;
	if (!strcmp(backend, "userspace"))
		return &wg_userspace_ops;
	if (!strcmp(backend, "auto"))
		return userspace_socket_exists(ifname) ? &wg_userspace_ops : &wg_kernel_ops;
	return NULL;
}

/* A change list either backend can apply: known ops, and every SET_IPS
 * with IPv4 or IPv6 allowed IPs of a valid length. */
static bool changes_ok(const struct wg_change *changes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct wg_change *ch = &changes[i];

		if (ch->op == WG_CHANGE_SET || ch->op == WG_CHANGE_REMOVE)
			continue;
		if (ch->op != WG_CHANGE_SET_IPS || !ch->n_ips || !ch->ips)
			return false;
		for (uint32_t j = 0; j < ch->n_ips; j++)
			if (!(ch->ips[j].family == AF_INET && ch->ips[j].cidr <= 32) &&
			    !(ch->ips[j].family == AF_INET6 && ch->ips[j].cidr <= 128))
				return false;
	}
	return true;
}

int wg_apply(const struct wg_ops *ops, const char *ifname, const struct wg_change *changes,
	     size_t n)
{
	if (!changes_ok(changes, n))
		return -EINVAL;
	return n ? ops->apply(ifname, changes, n) : 0;
}

void wg_device_free(struct wg_device *dev)
{
	if (!dev)
		return;
	/* Nothing secret inside: backends never store the private key. */
	for (size_t i = 0; i < dev->n_peers; i++)
		free(dev->peers[i].ips);
	free(dev->peers);
	free(dev);
}

int wg_builder_init(struct wg_builder *b, const char *ifname)
{
	memset(b, 0, sizeof(*b));
	b->dev = calloc(1, sizeof(*b->dev));
	if (!b->dev)
		return -ENOMEM;
	snprintf(b->dev->ifname, sizeof(b->dev->ifname), "%s", ifname);
	return 0;
}

int wg_builder_peer(struct wg_builder *b, const uint8_t key[AWG_KEY_LEN], struct wg_peer **out,
		    bool *continued)
{
	struct wg_device *dev = b->dev;
	struct wg_peer *last = dev->n_peers ? &dev->peers[dev->n_peers - 1] : NULL;

	/* Public keys are not secret: memcmp is fine here. */
	if (last && !memcmp(last->key, key, AWG_KEY_LEN)) {
		*out = last;
		*continued = true;
		return 0;
	}
	if (dev->n_peers >= WG_DUMP_PEERS_MAX)
		return -E2BIG;
	if (dev->n_peers == b->peers_cap) {
		size_t cap = b->peers_cap ? 2 * b->peers_cap : 64;
		struct wg_peer *p = reallocarray(dev->peers, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		dev->peers = p;
		b->peers_cap = cap;
	}
	last = &dev->peers[dev->n_peers++];
	memset(last, 0, sizeof(*last));
	memcpy(last->key, key, AWG_KEY_LEN);
	b->ips_cap = 0;
	*out = last;
	*continued = false;
	return 0;
}

int wg_builder_ip(struct wg_builder *b, const struct wg_allowedip *ip)
{
	struct wg_device *dev = b->dev;
	struct wg_peer *peer;

	if (!dev->n_peers)
		return -EPROTO;
	if (b->n_ips >= WG_DUMP_IPS_MAX)
		return -E2BIG;
	peer = &dev->peers[dev->n_peers - 1];
	if (peer->n_ips == b->ips_cap) {
		uint32_t cap = b->ips_cap ? 2 * b->ips_cap : 1;
		struct wg_allowedip *p = reallocarray(peer->ips, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		peer->ips = p;
		b->ips_cap = cap;
	}
	peer->ips[peer->n_ips++] = *ip;
	b->n_ips++;
	return 0;
}

struct wg_device *wg_builder_finish(struct wg_builder *b)
{
	struct wg_device *dev = b->dev;

	memset(b, 0, sizeof(*b));
	return dev;
}

void wg_builder_discard(struct wg_builder *b)
{
	wg_device_free(b->dev);
	memset(b, 0, sizeof(*b));
}
