/* SPDX-License-Identifier: MIT */
/*
 * --expire-after: managed peers that have gone quiet are removed. Quiet
 * means no handshake and no received byte for `after` seconds (a device
 * that keeps talking re-handshakes only every two minutes, so the handshake
 * alone would expire live peers under a short limit); a device that never
 * shook hands is measured from its registration. Static peers are never
 * the registry's, so never expired.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "../core/key.h"
#include "log.h"
#include "registry_priv.h"

static void log_expired(const struct registry *r, uint32_t s, int64_t now)
{
	const struct table_entry *e = &r->slot[s];
	char addr[AWG_ADDR_TEXT_MAX + 1], hs[64];

	addr6_format(e->addr, addr);
	if (e->last_handshake)
		snprintf(hs, sizeof(hs), "%" PRId64 " s ago", now - e->last_handshake);
	else
		snprintf(hs, sizeof(hs), "never (registered %" PRId64 " s ago)", now - e->created);
	log_info("expired name=%s ip=%s last handshake %s, quiet for %" PRId64 " s", e->name, addr,
		 hs, now - r->seen[s]);
}

int registry_expire(struct registry *r, int64_t now, uint32_t after)
{
	struct wg_change *ch;
	uint32_t s, end, *which, n = 0, i, cap = r->count;
	int ret;

	if (!after || !cap)
		return 0;
	ch = calloc(cap, sizeof(*ch));
	which = calloc(cap, sizeof(*which));
	ret = -ENOMEM;
	if (!ch || !which)
		goto out;
	for (s = 0, end = slot_end(r); s < end && n < cap; s++) {
		if (!(r->slot[s].flags & TABLE_ENTRY_USED) || now - r->seen[s] <= (int64_t)after)
			continue;
		ch[n].op = WG_CHANGE_REMOVE;
		memcpy(ch[n].key, r->slot[s].key, AWG_KEY_LEN);
		which[n++] = s;
	}
	ret = wg_apply(r->cfg.ops, r->cfg.ifname, ch, n);
	if (ret) {
		log_warn("%s: removing %u expired peer%s failed: %s", r->cfg.ifname, n,
			 n == 1 ? "" : "s", strerror(-ret));
		r->check = ret;
		goto out;
	}
	for (i = 0; i < n; i++) {
		log_expired(r, which[i], now);
		slot_drop(r, which[i]);
	}
	if (n)
		table_count_expired(r->cfg.table, n);
	ret = (int)n;
out:
	if (ch)
		sodium_memzero(ch, cap * sizeof(*ch));
	free(ch);
	free(which);
	return ret;
}
