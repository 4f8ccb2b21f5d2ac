/* SPDX-License-Identifier: MIT */
#include "nlmsg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int nlmsg_control(const struct nlmsghdr *nlh, bool dump)
{
	struct nlmsgerr err;
	int e;

	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
		return 1;
	case NLMSG_ERROR:
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
			return -EPROTO;
		memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
		/* an ack (0) ends a request; a dump ends only with NLMSG_DONE */
		if (err.error > 0 || err.error < -NLMSG_ERRNO_MAX || (dump && !err.error))
			return -EPROTO;
		return err.error;
	case NLMSG_DONE:
		if (!dump)
			return -EPROTO;
		/* a dump that failed midway says so in NLMSG_DONE's payload */
		if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(e))) {
			memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
			if (e < 0)
				return e < -NLMSG_ERRNO_MAX ? -EPROTO : e;
		}
		return 0;
	case NLMSG_OVERRUN:
		return -ENOBUFS;
	}
	return NLMSG_NOT_CONTROL;
}

ssize_t nlmsg_recv(int fd, void *buf, size_t max)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, max, MSG_TRUNC);
		if (n >= 0)
			return (size_t)n > max ? -EMSGSIZE : n;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}
