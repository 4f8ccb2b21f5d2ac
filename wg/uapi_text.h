/* SPDX-License-Identifier: MIT */
/* The UAPI's text, read and written (uapi_text.c). Private to uapi.c. */
#ifndef AUTOWG_WG_UAPI_TEXT_H
#define AUTOWG_WG_UAPI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "wg.h"

#define WG_UAPI_ERRNO_MAX 4095 /* larger errno= values are not errnos */

/* "N" or "-N" of an "errno=" line (N <= WG_UAPI_ERRNO_MAX) into *out as 0 or -N (wireguard-go sends
 * negative values, others positive). False for anything else. */
bool uapi_parse_errno(const char *s, int *out);
/* One key=value line of a get=1 reply into b (key and value are the line's
 * two halves, modified in place: a private key is wiped). *peer is the
 * current peer, NULL while still in the device section. 0, or -EPROTO,
 * -ENOMEM, -E2BIG. */
int uapi_parse_line(struct wg_builder *b, struct wg_peer **peer, char *key, char *value);
/* Room uapi_format_change needs for ch, at most, without the NUL. */
size_t uapi_change_max(const struct wg_change *ch);
/* Text of one change into p (room for uapi_change_max(ch) + 1 bytes); its
 * length, 0 when it cannot be written. A SET_IPS is update_only: it never
 * creates a peer. */
size_t uapi_format_change(const struct wg_change *ch, char *p);

#endif
