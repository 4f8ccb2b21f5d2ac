/* SPDX-License-Identifier: MIT */
/* What the two harnesses of the helper's dump parsers (fuzz_netlink.c,
 * fuzz_uapi.c) check of the device they built: include after fuzz.h and
 * the parser (wg/wg.h). */
#ifndef AUTOWG_TESTS_FUZZ_DEVICE_H
#define AUTOWG_TESTS_FUZZ_DEVICE_H

#include <sys/socket.h>

/* A parsed device: a peer's allowed IPs merged under one key, each of a
 * known family and a prefix length that fits it. */
static void fuzz_check_device(const struct wg_device *d)
{
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct wg_peer *p = &d->peers[i];

		FUZZ_CHECK(!i || memcmp(p->key, d->peers[i - 1].key, AWG_KEY_LEN),
			   "peers %zu and %zu have one key: not merged", i - 1, i);
		FUZZ_CHECK(p->n_ips == 0 || p->ips, "peer %zu: %u allowed IPs, no array", i,
			   p->n_ips);
		for (uint32_t j = 0; j < p->n_ips; j++)
			FUZZ_CHECK((p->ips[j].family == AF_INET && p->ips[j].cidr <= 32) ||
				       (p->ips[j].family == AF_INET6 && p->ips[j].cidr <= 128),
				   "peer %zu allowed IP %u: family %u /%u", i, j, p->ips[j].family,
				   p->ips[j].cidr);
	}
}

/* b, the device a was written back as and parsed again: the same peers,
 * counters and allowed IPs, in the same order. */
static void fuzz_check_same_peers(const struct wg_device *a, const struct wg_device *b)
{
	FUZZ_CHECK(a->n_peers == b->n_peers, "%zu peers, %zu after a round trip", a->n_peers,
		   b->n_peers);
	for (size_t i = 0; i < a->n_peers; i++) {
		const struct wg_peer *p = &a->peers[i], *q = &b->peers[i];

		FUZZ_CHECK(!memcmp(p->key, q->key, AWG_KEY_LEN), "peer %zu: key changed", i);
		FUZZ_CHECK(p->last_handshake == q->last_handshake && p->rx_bytes == q->rx_bytes &&
			       p->tx_bytes == q->tx_bytes,
			   "peer %zu: counters changed", i);
		FUZZ_CHECK(p->n_ips == q->n_ips, "peer %zu: %u allowed IPs, %u after", i, p->n_ips,
			   q->n_ips);
		/* an IPv4 address is parsed into a zeroed 16 bytes: all 16 compare */
		for (uint32_t j = 0; j < p->n_ips; j++)
			FUZZ_CHECK(p->ips[j].family == q->ips[j].family &&
				       p->ips[j].cidr == q->ips[j].cidr &&
				       !memcmp(p->ips[j].addr, q->ips[j].addr, 16),
				   "peer %zu allowed IP %u changed by a round trip", i, j);
	}
}

#endif
