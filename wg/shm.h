/* SPDX-License-Identifier: MIT */
/* The shared registration table: a sealed memfd the helper maps writable and
 * responders receive read-only. */
#ifndef AUTOWG_SHM_H
#define AUTOWG_SHM_H

#include <stddef.h>
#include <stdint.h>

struct shm_table {
	void *base; /* writable mapping, the helper's only */
	size_t size;
	int fd;	   /* the memfd (read-write, sealed) */
	int ro_fd; /* the same file opened O_RDONLY: the one sent to responders */
};

/* Create, size once, map, table_init for capacity, seal against resizing and
 * (where the kernel has it) against any future writable mapping, then open
 * the read-only descriptor. 0 or -errno; *why names the step that failed. */
int shm_table_create(struct shm_table *t, uint32_t capacity, const char **why);
void shm_table_close(struct shm_table *t);

#endif
