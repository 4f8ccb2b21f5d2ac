/* SPDX-License-Identifier: MIT */
/*
 * --install-routes: what the helper knows of the routes for pool /128s that
 * it did not make (BIRD's, from another concentrator): per address, the
 * freshness of each (wg/fresh.h). Learned from a dump of the routing table
 * and kept current by its notifications, so a registration never asks the
 * kernel. Pure: no I/O.
 */
#ifndef AUTOWG_FOREIGN_H
#define AUTOWG_FOREIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindex.h"

/* Addresses remembered: twice the largest table a helper can have, so a
 * cluster of several full concentrators fits. Beyond, new ones are not. */
#define FOREIGN_ADDRS_MAX 2000000
/* Routes remembered per address (BIRD installs one); beyond, the stalest go. */
#define FOREIGN_PER_ADDR 4

struct foreign;

/* An empty memory. 0 or -ENOMEM. */
int foreign_new(struct foreign **out);
void foreign_free(struct foreign *f);
/* A route for addr with freshness fresh exists (again). 0, or -ENOSPC past
 * FOREIGN_ADDRS_MAX addresses, or -ENOMEM; nothing changed then. */
int foreign_add(struct foreign *f, const uint8_t addr[16], uint32_t fresh);
/* That route is gone (unknown ones are ignored). */
void foreign_del(struct foreign *f, const uint8_t addr[16], uint32_t fresh);
/* The freshest route known for addr, or FRESH_NONE. */
uint32_t foreign_best(const struct foreign *f, const uint8_t addr[16]);
/* A route for addr with exactly this freshness is known. */
bool foreign_has(const struct foreign *f, const uint8_t addr[16], uint32_t fresh);
/* Addresses with at least one route known. */
size_t foreign_count(const struct foreign *f);

#endif
