/* SPDX-License-Identifier: MIT */
/*
 * The text of the cross-platform UAPI (https://www.wireguard.com/xplatform/):
 * the lines of a get=1 reply read into a device, and the changes of a set=1
 * request written out. No sockets here: uapi.c owns the connection.
 */
#include "uapi_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Longest text of one change: a SET. */
#define WG_UAPI_CHANGE_MAX                                                                         \
	(sizeof("public_key=\n") - 1 + 2 * AWG_KEY_LEN + sizeof("replace_allowed_ips=true\n") -    \
	 1 + sizeof("allowed_ip=/128\n") - 1 + AWG_ADDR_TEXT_MAX)

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool parse_key(const char *hex, uint8_t key[AWG_KEY_LEN])
{
	size_t bin_len;
	const char *end;

	if (strlen(hex) != 2 * AWG_KEY_LEN)
		return false;
	if (sodium_hex2bin(key, AWG_KEY_LEN, hex, 2 * AWG_KEY_LEN, NULL, &bin_len, &end) != 0)
		return false;
	return bin_len == AWG_KEY_LEN && end == hex + 2 * AWG_KEY_LEN;
}

/* "addr/cidr", IPv4 or IPv6. */
static bool parse_allowedip(const char *s, struct wg_allowedip *ip)
{
	char addr[AWG_ADDR_TEXT_MAX + 1];
	const char *slash = strchr(s, '/');
	uint64_t cidr;
	size_t len;

	if (!slash)
		return false;
	len = (size_t)(slash - s);
	if (len == 0 || len > AWG_ADDR_TEXT_MAX)
		return false;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(ip, 0, sizeof(*ip));
	ip->family = memchr(addr, ':', len) ? AF_INET6 : AF_INET;
	if (inet_pton(ip->family, addr, ip->addr) != 1)
		return false;
	if (!parse_u64(slash + 1, ip->family == AF_INET6 ? 128 : 32, &cidr))
		return false;
	ip->cidr = (uint8_t)cidr;
	return true;
}

/* "errno=N": 0, or -N (wireguard-go sends negative values, others positive). */
bool uapi_parse_errno(const char *s, int *out)
{
	uint64_t v;

	if (*s == '-')
		s++;
	if (!parse_u64(s, WG_UAPI_ERRNO_MAX, &v))
		return false;
	*out = -(int)v;
	return true;
}

/* We never keep the private key: derive the public key and wipe both copies. */
static int parse_private_key(char *hex, struct wg_device *dev)
{
	uint8_t priv[AWG_KEY_LEN];
	int ret = 0;

	if (!parse_key(hex, priv)) {
		ret = -EPROTO;
		goto out;
	}
	if (sodium_is_zero(priv, sizeof(priv)))
		goto out;
	if (crypto_scalarmult_base(dev->public_key, priv) != 0) {
		ret = -EPROTO;
		goto out;
	}
	dev->flags |= WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_PUBLIC_KEY;
out:
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(hex, strlen(hex));
	return ret;
}

/* One key=value line of the get=1 reply; peer is the current peer or NULL
 * while still in the device section. Unknown keys are skipped, as wg(8) does:
 * newer daemons add them. */
int uapi_parse_line(struct wg_builder *b, struct wg_peer **peer, char *key, char *value)
{
	struct wg_device *dev = b->dev;
	struct wg_allowedip ip;
	uint8_t pk[AWG_KEY_LEN];
	uint64_t v;
	bool continued;

	if (!strcmp(key, "private_key") && !*peer)
		return parse_private_key(value, dev);
	if (!strcmp(key, "listen_port") && !*peer) {
		if (!parse_u64(value, UINT16_MAX, &v))
			return -EPROTO;
		dev->listen_port = (uint16_t)v;
		dev->flags |= WG_DEVICE_HAS_LISTEN_PORT;
		return 0;
	}
	if (!strcmp(key, "public_key")) {
		if (!parse_key(value, pk))
			return -EPROTO;
		return wg_builder_peer(b, pk, peer, &continued);
	}
	if (!*peer)
		return 0;
	if (!strcmp(key, "allowed_ip")) {
		if (!parse_allowedip(value, &ip))
			return -EPROTO;
		return wg_builder_ip(b, &ip);
	}
	if (!strcmp(key, "last_handshake_time_sec")) {
		if (!parse_u64(value, INT64_MAX, &v))
			return -EPROTO;
		(*peer)->last_handshake = (int64_t)v;
	} else if (!strcmp(key, "rx_bytes")) {
		if (!parse_u64(value, UINT64_MAX, &(*peer)->rx_bytes))
			return -EPROTO;
	} else if (!strcmp(key, "tx_bytes")) {
		if (!parse_u64(value, UINT64_MAX, &(*peer)->tx_bytes))
			return -EPROTO;
	}
	return 0;
}

/* Longest text of one allowed IP line of a SET_IPS. */
#define WG_UAPI_IP_MAX (sizeof("allowed_ip=/128\n") - 1 + AWG_ADDR_TEXT_MAX)
/* What a SET_IPS writes before its IP lines, at most. */
#define WG_UAPI_SET_IPS_HEAD                                                                       \
	(sizeof("public_key=\n") - 1 + 2 * AWG_KEY_LEN + sizeof("update_only=true\n") - 1 +        \
	 sizeof("replace_allowed_ips=true\n") - 1)

/* Room format_change needs for ch, at most. */
size_t uapi_change_max(const struct wg_change *ch)
{
	if (ch->op != WG_CHANGE_SET_IPS)
		return WG_UAPI_CHANGE_MAX;
	return WG_UAPI_SET_IPS_HEAD + (size_t)ch->n_ips * WG_UAPI_IP_MAX;
}

/* "allowed_ip=a/n\n" into p (room for WG_UAPI_IP_MAX + 1); its length or 0. */
static size_t format_ip(const struct wg_allowedip *ip, char *p)
{
	char addr[AWG_ADDR_TEXT_MAX + 1];
	int n;

	if (!inet_ntop(ip->family, ip->addr, addr, sizeof(addr)))
		return 0;
	n = snprintf(p, WG_UAPI_IP_MAX + 1, "allowed_ip=%s/%u\n", addr, ip->cidr);
	return n < 0 || n > (int)WG_UAPI_IP_MAX ? 0 : (size_t)n;
}

/* Text of one change into p (room for change_max(ch) + 1 bytes); its length,
 * 0 when it cannot be written. A SET_IPS is update_only: it never creates. */
size_t uapi_format_change(const struct wg_change *ch, char *p)
{
	char hex[2 * AWG_KEY_LEN + 1], addr[AWG_ADDR_TEXT_MAX + 1];
	size_t len, k;
	int n;

	sodium_bin2hex(hex, sizeof(hex), ch->key, AWG_KEY_LEN);
	if (ch->op == WG_CHANGE_REMOVE)
		n = snprintf(p, WG_UAPI_CHANGE_MAX + 1, "public_key=%s\nremove=true\n", hex);
	else if (ch->op == WG_CHANGE_SET_IPS)
		n = snprintf(p, WG_UAPI_SET_IPS_HEAD + 1,
			     "public_key=%s\nupdate_only=true\nreplace_allowed_ips=true\n", hex);
	else if (inet_ntop(AF_INET6, ch->addr, addr, sizeof(addr)))
		n = snprintf(p, WG_UAPI_CHANGE_MAX + 1,
			     "public_key=%s\nreplace_allowed_ips=true\nallowed_ip=%s/128\n", hex,
			     addr);
	else
		n = -1;
	if (n < 0 || (size_t)n > uapi_change_max(ch))
		return 0;
	len = (size_t)n;
	for (uint32_t i = 0; ch->op == WG_CHANGE_SET_IPS && i < ch->n_ips; i++) {
		k = format_ip(&ch->ips[i], p + len);
		if (!k)
			return 0;
		len += k;
	}
	return len;
}
