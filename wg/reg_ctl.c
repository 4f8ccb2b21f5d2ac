/* SPDX-License-Identifier: MIT */
/*
 * What autowg-ctl asks of the registry: read one entry or a page of them,
 * and remove one device now. A removal goes to the interface first and
 * leaves the table only when the interface said yes, so the peer and its
 * address are gone together or not at all.
 */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "registry_priv.h"

bool registry_find(const struct registry *r, const char *name, struct table_entry *out)
{
	uint32_t s = sindex_find(&r->by_name, name);

	if (s == HINDEX_NONE)
		return false;
	*out = r->slot[s];
	return true;
}

size_t registry_list(const struct registry *r, uint32_t *cursor, struct table_entry *out,
		     size_t max)
{
	uint32_t s, end = slot_end(r);
	size_t n = 0;

	for (s = *cursor; s < end && n < max; s++)
		if (r->slot[s].flags & TABLE_ENTRY_USED)
			out[n++] = r->slot[s];
	while (s < end && !(r->slot[s].flags & TABLE_ENTRY_USED))
		s++;
	*cursor = s < end ? s : 0;
	return n;
}

int registry_remove(struct registry *r, const char *name, struct table_entry *out)
{
	struct wg_change ch;
	uint32_t s = sindex_find(&r->by_name, name);
	int ret;

	if (s == HINDEX_NONE)
		return -ENOENT;
	*out = r->slot[s];
	/* a sync when the interface is back would bring the peer back with
	 * --keep-peers: refuse now rather than half remove it */
	if (!r->up)
		return -ENETDOWN;
	memset(&ch, 0, sizeof(ch));
	ch.op = WG_CHANGE_REMOVE;
	memcpy(ch.key, r->slot[s].key, AWG_KEY_LEN);
	ret = wg_apply(r->cfg.ops, r->cfg.ifname, &ch, 1);
	sodium_memzero(&ch, sizeof(ch));
	if (ret) {
		r->check = ret;
		return ret;
	}
	slot_drop(r, s);
	return 0;
}
