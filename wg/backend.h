/* SPDX-License-Identifier: MIT */
/* Private to the two backends (kernel.c, and uapi.c with uapi_text.c):
 * shared limits and the device builder that both dump parsers fill. Not for
 * the rest of the helper. */
#ifndef AUTOWG_WG_BACKEND_H
#define AUTOWG_WG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wg.h"

/* A dump larger than this is refused (-E2BIG) rather than eating memory:
 * twice the largest pool the helper accepts, plus room for static peers. */
#define WG_DUMP_PEERS_MAX (2 * AWG_MAX_PEERS_LIMIT)
#define WG_DUMP_IPS_MAX	  (8 * AWG_MAX_PEERS_LIMIT) /* allowed IPs, whole device */

/* <wg_socket_dir()>/<ifname>.sock into out. 0, -EINVAL for a bad name,
 * -ENAMETOOLONG when it does not fit a unix socket address. */
int wg_socket_path(const char *ifname, char out[AWG_SOCKET_PATH_MAX + 1]);

/* A Linux interface name: 1..AWG_IFNAME_MAX bytes, no '/', not "." or "..",
 * no whitespace. Checked before it becomes part of a path or a message. */
bool wg_ifname_ok(const char *ifname);

struct wg_builder {
	struct wg_device *dev;
	size_t peers_cap;
	uint32_t ips_cap; /* of the last peer, the only one still growing */
	size_t n_ips;	  /* whole device, against WG_DUMP_IPS_MAX */
};

/* 0, or -ENOMEM. */
int wg_builder_init(struct wg_builder *b, const char *ifname);
/* Start a peer, or continue the last one when it has the same key (a
 * netlink dump splits a peer's allowed IPs across messages). 0 and *out, or
 * -ENOMEM / -E2BIG. *continued says which. */
int wg_builder_peer(struct wg_builder *b, const uint8_t key[AWG_KEY_LEN], struct wg_peer **out,
		    bool *continued);
/* Append to the last peer. 0, -ENOMEM, -E2BIG, or -EPROTO with no peer yet. */
int wg_builder_ip(struct wg_builder *b, const struct wg_allowedip *ip);
/* Hand the device over (the builder is empty afterwards). */
struct wg_device *wg_builder_finish(struct wg_builder *b);
/* Free whatever was built; safe after finish and on a zeroed builder. */
void wg_builder_discard(struct wg_builder *b);

#endif
