/* SPDX-License-Identifier: MIT */
/*
 * --keep-peers: which of the pool's peers a starting helper adopts instead
 * of removing, and under which name. A peer is kept only when it looks
 * exactly like one the helper itself would have set: one allowed IP, an
 * IPv6 /128 inside the pool, an address nobody else holds.
 *
 * Names: direct-bcd reads the number back from the address, written without
 * leading zeros (::42 is "42", ::0 is "0"); metans cannot invert its hash,
 * so the peer is kept as "[address]", which no metans name can be (a DNS
 * name has no brackets). Either way the entry only stands in for the device:
 * the first registration that maps to its address takes it over, whatever
 * the spelling of its name ("0042" as well as "42").
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../core/key.h"
#include "log.h"
#include "registry_priv.h"

#define BCD_NIBBLES 4 /* direct-bcd writes the last 16 bits */

/* The direct-bcd name of addr, or NULL when its last 16 bits are not four
 * decimal digits. */
static const char *bcd_name(const uint8_t addr[16], char *name)
{
	unsigned v = (unsigned)addr[14] << 8 | addr[15], d, i, value = 0;

	for (i = 0; i < BCD_NIBBLES; i++) {
		d = v >> (4 * (BCD_NIBBLES - 1 - i)) & 0xf;
		if (d > 9)
			return NULL;
		value = value * 10 + d;
	}
	snprintf(name, AWG_NAME_MAX + 1, "%u", value);
	return name;
}

const char *keep_check(const struct registry *r, const struct statics *st, const struct wg_peer *p,
		       char *name)
{
	const struct converter *conv = r->cfg.conv;
	const struct wg_allowedip *ip = p->ips;
	char text[AWG_ADDR_TEXT_MAX + 1];
	const char *why = NULL;
	uint8_t want[16];

	if (p->n_ips != 1)
		return "it has more than one allowed IP";
	if (ip->family != AF_INET6 || ip->cidr != 128)
		return "its allowed IP is not one IPv6 address (/128)";
	if (!prefix6_contains(&conv->pool, ip->addr))
		return "its address is outside the pool";
	if (bset_has(&r->iface_addrs, ip->addr))
		return "its address is configured on the interface";
	if (statics_cover(st, ip->addr))
		return "its address belongs to a static peer";
	if (sindex_find(&r->by_addr, ip->addr) != HINDEX_NONE)
		return "its address is registered to another device";
	if (conv->kind == CONVERTER_METANS) {
		addr6_format(ip->addr, text);
		snprintf(name, AWG_NAME_MAX + 1, "[%s]", text);
		return NULL;
	}
	if (!bcd_name(ip->addr, name))
		return "its last 16 bits are not a direct-bcd number";
	/* the bits between the pool and the number must be the pool's */
	if (!converter_map(conv, name, want, &why) || memcmp(want, ip->addr, 16))
		return "its address is not one direct-bcd gives";
	return NULL;
}

void peer_ips_text(const struct wg_peer *p, char *ips, size_t size)
{
	uint32_t i;
	size_t o = 0;

	ips[0] = '\0';
	for (i = 0; i < p->n_ips && i < LOG_IPS_MAX && o < size; i++) {
		struct prefix6 ip = {.len = p->ips[i].cidr};
		char t[AWG_PREFIX_TEXT_MAX + 1];

		if (p->ips[i].family != AF_INET6 || ip.len > 128)
			snprintf(t, sizeof(t), "(IPv4)");
		else {
			memcpy(ip.addr, p->ips[i].addr, 16);
			prefix6_format(&ip, t);
		}
		o += (size_t)snprintf(ips + o, size - o, "%s%s", i ? "," : "", t);
	}
	if (p->n_ips > LOG_IPS_MAX && o < size)
		snprintf(ips + o, size - o, ",...");
}

/* "flushed peer KEY (IPS)", and ": not kept: WHY" when why. */
static void log_flushed(const struct wg_peer *p, const char *why)
{
	char k[AWG_KEY_B64_LEN + 1], ips[LOG_IPS_MAX * (AWG_PREFIX_TEXT_MAX + 1) + 8];

	key_format(p->key, k);
	peer_ips_text(p, ips, sizeof(ips));
	if (why)
		log_info("flushed peer %s (%s): not kept: %s", k, ips, why);
	else
		log_info("flushed peer %s (%s)", k, ips);
}

/* A pool peer: one a sync keeps or flushes (not ours, its allowed IPs all in
 * the pool). */
static bool pool_peer(const struct registry *r, const struct wg_peer *p)
{
	return !registry_is_ours(r, p->key) && peer_pool_only(p, &r->cfg.conv->pool);
}

/* --keep-peers: which pool peers stay (why[i] NULL, name in names[i]) and
 * why the others go. Two peers with one address: the second goes. */
int keep_plan(struct registry *r, const struct wg_device *dev, const struct statics *st,
	      const char **why, char (*names)[AWG_NAME_MAX + 1], size_t *n_keep)
{
	struct bset addrs;
	uint32_t budget = r->n_free;
	size_t i;
	int ret;

	*n_keep = 0;
	ret = bset_init(&addrs, 16, dev->n_peers, r->hkey);
	for (i = 0; !ret && i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		why[i] = "--keep-peers is off";
		if (!pool_peer(r, p))
			continue;
		if (!r->keep_peers)
			continue;
		why[i] = keep_check(r, st, p, names[i]);
		if (!why[i] && bset_has(&addrs, p->ips[0].addr))
			why[i] = "another pool peer has the same address";
		if (!why[i] && !budget)
			why[i] = "the table is full";
		if (why[i])
			continue;
		ret = bset_add(&addrs, p->ips[0].addr);
		budget--;
		(*n_keep)++;
	}
	bset_free(&addrs);
	return ret;
}

void keep_log(const struct registry *r, const struct wg_device *dev, const char **why,
	      char (*names)[AWG_NAME_MAX + 1])
{
	char k[AWG_KEY_B64_LEN + 1], a[AWG_ADDR_TEXT_MAX + 1];
	size_t i;

	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		if (!pool_peer(r, p))
			continue;
		if (why[i]) {
			log_flushed(p, r->keep_peers ? why[i] : NULL);
			continue;
		}
		key_format(p->key, k);
		addr6_format(p->ips[0].addr, a);
		log_info("kept peer %s %s key %s", names[i], a, k);
	}
}

void keep_take(struct registry *r, const struct wg_device *dev, const char **why,
	       char (*names)[AWG_NAME_MAX + 1], int64_t now)
{
	size_t i;
	uint32_t s, kept = 0;

	for (i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		if (!pool_peer(r, p) || why[i])
			continue;
		s = slot_take(r, names[i], p->ips[0].addr, p->key, now);
		r->adopted[s] = true;
		slot_stats(r, s, p);
		if (p->last_handshake > r->seen[s])
			r->seen[s] = p->last_handshake;
		kept++;
	}
	if (kept)
		table_count_adopted(r->cfg.table, kept);
}
