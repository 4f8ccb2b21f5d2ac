/* SPDX-License-Identifier: MIT */
#include "proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == AWG_SOCKET_PATH_MAX + 1,
	       "AWG_SOCKET_PATH_MAX is what a unix socket address holds");

static const struct {
	int status;
	const char *name;
	const char *reason;
} results[REG_RESULT_COUNT] = {
#define X(id, st, nm, why) [id] = {st, nm, why},
    REG_RESULTS(X)
#undef X
};

int reg_result_status(uint32_t result)
{
	return result < REG_RESULT_COUNT ? results[result].status : 0;
}

const char *reg_result_reason(uint32_t result)
{
	return result < REG_RESULT_COUNT ? results[result].reason : NULL;
}

const char *reg_result_name(uint32_t result)
{
	return result < REG_RESULT_COUNT ? results[result].name : NULL;
}

bool proto_string_ok(const char *field, size_t size)
{
	const char *nul = memchr(field, '\0', size);
	size_t i;

	if (!nul)
		return false;
	for (i = (size_t)(nul - field); i < size; i++)
		if (field[i])
			return false;
	return true;
}

static const struct {
	const char *name;
	const char *reason;
} ctl_results[CTL_RESULT_COUNT] = {
#define X(id, nm, why) [id] = {nm, why},
    CTL_RESULTS(X)
#undef X
};

const char *ctl_result_name(uint32_t result)
{
	return result < CTL_RESULT_COUNT ? ctl_results[result].name : NULL;
}

const char *ctl_result_reason(uint32_t result)
{
	return result < CTL_RESULT_COUNT ? ctl_results[result].reason : NULL;
}

int proto_frame_check(struct msghdr *msg, size_t n, size_t len, size_t want_fds,
		      int fds[PROTO_FDS_MAX], size_t *nfds)
{
	struct cmsghdr *c;
	bool other = false;
	size_t k, m;

	*nfds = 0;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			other = true;
			continue;
		}
		m = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < m && *nfds < PROTO_FDS_MAX; k++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
	}
	if (n != len || (msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || other || *nfds != want_fds)
		return -EPROTO;
	return 0;
}
