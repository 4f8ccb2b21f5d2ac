/* SPDX-License-Identifier: MIT */
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/table.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define SHM_NAME	"autowg-table"
#define SHM_PROC_FD_MAX 32 /* "/proc/self/fd/" and an int */

static int fail(const char **why, const char *step)
{
	int err = errno ? errno : EIO;

	*why = step;
	return -err;
}

int shm_table_create(struct shm_table *t, uint32_t capacity, const char **why)
{
	char path[SHM_PROC_FD_MAX];
	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = t->ro_fd = -1;
	t->base = MAP_FAILED;
	t->size = table_size(capacity);
	t->fd = memfd_create(SHM_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (t->fd < 0)
		return fail(why, "memfd_create");
	if (ftruncate(t->fd, (off_t)t->size) < 0) {
		ret = fail(why, "ftruncate");
		goto err;
	}
	t->base = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->base == MAP_FAILED) {
		ret = fail(why, "mmap");
		goto err;
	}
	table_init_zeroed(t->base, t->size, capacity); /* a new memfd reads as zeros */
	if (fcntl(t->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		ret = fail(why, "sealing the table's size");
		goto err;
	}
	/* Our mapping stays writable; nobody can make a new writable one, even
	 * by re-opening /proc/<pid>/fd/N read-write. Older kernels lack it. */
	if (fcntl(t->fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0 && errno != EINVAL) {
		ret = fail(why, "sealing the table against writers");
		goto err;
	}
	if (fcntl(t->fd, F_ADD_SEALS, F_SEAL_SEAL) < 0) {
		ret = fail(why, "sealing the seals");
		goto err;
	}
	/* Owner read-only as well: a re-open for writing needs root. */
	if (fchmod(t->fd, 0444) < 0) {
		ret = fail(why, "fchmod");
		goto err;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", t->fd);
	t->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->ro_fd < 0) {
		ret = fail(why, "re-opening the table read-only");
		goto err;
	}
	return 0;
err:
	shm_table_close(t);
	return ret;
}

void shm_table_close(struct shm_table *t)
{
	if (t->base && t->base != MAP_FAILED)
		munmap(t->base, t->size);
	if (t->fd >= 0)
		close(t->fd);
	if (t->ro_fd >= 0)
		close(t->ro_fd);
	t->base = NULL;
	t->fd = t->ro_fd = -1;
}
