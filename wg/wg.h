/* SPDX-License-Identifier: MIT */
/* WireGuard access: one small ops table, one backend per file. */
#ifndef AUTOWG_WG_H
#define AUTOWG_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../core/limits.h"

/* Where userspace WireGuard puts its UAPI sockets, as wg(8) looks for them;
 * $WG_SOCKET_DIR overrides it (autowg-helper --help). */
#define WG_SOCKET_DIR_DEFAULT "/var/run/wireguard"

#define WG_DEVICE_HAS_PUBLIC_KEY  (1u << 0)
#define WG_DEVICE_HAS_PRIVATE_KEY (1u << 1)
#define WG_DEVICE_HAS_LISTEN_PORT (1u << 2)

struct wg_allowedip {
	uint16_t family; /* AF_INET or AF_INET6 */
	uint8_t cidr;
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
};

struct wg_peer {
	uint8_t key[AWG_KEY_LEN];
	struct wg_allowedip *ips;
	uint32_t n_ips;
	int64_t last_handshake; /* Unix seconds, 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

struct wg_device {
	char ifname[AWG_IFNAME_MAX + 1];
	uint32_t flags; /* WG_DEVICE_HAS_* */
	uint8_t public_key[AWG_KEY_LEN];
	uint16_t listen_port;
	struct wg_peer *peers;
	size_t n_peers;
	uint64_t gen; /* which read this was, for ops->unchanged; 0: none */
};

enum wg_change_op {
	WG_CHANGE_SET,	   /* add or update the peer; its allowed IPs become exactly addr/128 */
	WG_CHANGE_REMOVE,  /* remove the peer (absent is not an error) */
	WG_CHANGE_SET_IPS, /* the peer's allowed IPs become exactly ips[]; never creates it
			      (absent is not an error); other settings stay */
};

struct wg_change {
	enum wg_change_op op;
	uint8_t key[AWG_KEY_LEN];
	uint8_t addr[16]; /* WG_CHANGE_SET only */
	/* WG_CHANGE_SET_IPS only: n_ips >= 1 of them, the caller's, read during apply */
	const struct wg_allowedip *ips;
	uint32_t n_ips;
};

/* What the interface is, cheaply (ops->identity): it was replaced when any
 * of this changed. */
struct wg_identity {
	bool exists;
	unsigned ifindex;
	dev_t sock_dev; /* userspace: the UAPI socket file (a restarted daemon binds a new one) */
	ino_t sock_ino;
};

struct wg_ops {
	const char *name; /* "kernel" or "userspace" */
	/* Read the whole device. 0 and *out (caller frees with wg_device_free),
	 * or -ENODEV when there is no such interface, -EPROTONOSUPPORT when it
	 * is not WireGuard, other -errno on failure. A dump interrupted by a
	 * concurrent change is restarted; a partial list is never returned.
	 * Also: -ETIMEDOUT (a userspace daemon did not answer in time), -EPROTO
	 * (a reply that was cut short or malformed), -EAGAIN (the kernel dump was
	 * interrupted WG_DUMP_RETRIES times in a row), -E2BIG (absurdly large). */
	int (*get_device)(const char *ifname, struct wg_device **out);
	/* Apply changes (n >= 1, checked by wg_apply) in order: as one
	 * transaction when they fit in one message, else split into several (a
	 * SET_IPS with many IPs too: the peer then has part of them in
	 * between). 0 or -errno. */
	int (*apply)(const char *ifname, const struct wg_change *changes, size_t n);
	/* Is any of keys[0..n) a peer of the interface? One lookup per key
	 * where the backend has one, never a dump; changes nothing. 0: none is;
	 * 1: one may be (a dump tells which); -errno. NULL when the backend can
	 * only tell from a whole dump (userspace: UAPI has no per-peer get). */
	int (*probe_peers)(const char *ifname, const uint8_t (*keys)[AWG_KEY_LEN], size_t n);
	/* For a backend without probe_peers: 1 when nobody but this process has
	 * talked to the interface since the read that returned the device with
	 * this gen, so it is as that read found it but for this process's own
	 * changes; 0 when it may have changed or the backend cannot tell (then
	 * a dump tells). One stat(), no I/O with the daemon. NULL: always 0. */
	int (*unchanged)(const char *ifname, uint64_t gen);
	/* What the interface is now, without talking to it: its index, and
	 * for userspace the socket file's identity; exists is false when
	 * either is missing. Changes nothing. */
	void (*identity)(const char *ifname, struct wg_identity *out);
};

extern const struct wg_ops wg_kernel_ops;
extern const struct wg_ops wg_userspace_ops;

/* Directory of userspace UAPI sockets; $WG_SOCKET_DIR overrides it for tests. */
const char *wg_socket_dir(void);
/* backend "auto" (userspace when <dir>/<ifname>.sock exists, else kernel),
 * "kernel" or "userspace"; NULL for an unknown name. */
const struct wg_ops *wg_ops_pick(const char *ifname, const char *backend);
/* ops->apply of a checked list: -EINVAL, nothing applied, for an unknown op
 * or a SET_IPS without valid IPs (IPv4 /0../32, IPv6 /0../128); 0 for an
 * empty list; else what apply returns. Every change goes through here. */
int wg_apply(const struct wg_ops *ops, const char *ifname, const struct wg_change *changes,
	     size_t n);
void wg_device_free(struct wg_device *dev);

#endif
