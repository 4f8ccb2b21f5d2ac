/* SPDX-License-Identifier: MIT */
/* Every size limit autowg enforces, in one place. Sizes exclude the NUL. */
#ifndef AUTOWG_LIMITS_H
#define AUTOWG_LIMITS_H

#define AWG_KEY_LEN		32   /* WireGuard key, bytes */
#define AWG_KEY_B64_LEN		44   /* its base64 text */
#define AWG_CN_MAX		255  /* certificate CN, UTF-8 bytes */
#define AWG_DN_MAX		4096 /* subject DN text as the web server prints it */
#define AWG_NAME_MAX		63   /* device name (the CN pattern's result), bytes */
#define AWG_TEMPLATE_MAX	253  /* --metans-template */
#define AWG_DNS_NAME_MAX	253  /* expanded metans name */
#define AWG_LABEL_MAX		63   /* one DNS label */
#define AWG_CN_PATTERN_MAX	255  /* --cn-pattern */
#define AWG_HTTP_PREFIX_MAX	127  /* --http-prefix */
#define AWG_HOST_MAX		253  /* --endpoint host */
#define AWG_ENDPOINT_MAX	(AWG_HOST_MAX + 8) /* "[host]:65535" */
#define AWG_ADDR_TEXT_MAX	45		   /* INET6_ADDRSTRLEN - 1 */
#define AWG_PREFIX_TEXT_MAX	(AWG_ADDR_TEXT_MAX + 4)
#define AWG_IFNAME_MAX		15	/* IFNAMSIZ - 1 */
#define AWG_SOCKET_PATH_MAX	107	/* sizeof(sockaddr_un.sun_path) - 1 (core/proto.c) */
#define AWG_BODY_MAX		1024	/* POST body accepted by the responder */
#define AWG_MAX_PEERS_LIMIT	1000000 /* upper bound for --max-peers */
#define AWG_MAX_PEERS_DEFAULT	100000
#define AWG_BCD_POOL_MAXLEN	112	/* direct-bcd writes the last 16 bits */
#define AWG_METANS_POOL_MAXLEN	120	/* metans: at least 8 host bits */
#define AWG_PATTERN_MATCH_LIMIT 1000000 /* PCRE2 match limit: bounds backtracking */
#define AWG_NODE_ID_MAX		15	/* --node-id: at most 16 concentrators in a cluster */
#define AWG_REKEY_INTERVAL_MAX	86400	/* --min-rekey-interval, seconds (so Retry-After too) */

#endif
