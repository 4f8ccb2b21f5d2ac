/* SPDX-License-Identifier: MIT */
/* What the two netlink users of the helper (kernel.c: WireGuard's generic
 * netlink family; route.c: rtnetlink) read the same way: the datagrams of
 * an answer, and the control messages that end, fail or pad it. */
#ifndef AUTOWG_WG_NLMSG_H
#define AUTOWG_WG_NLMSG_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/netlink.h>

/* An error beyond -this in an answer is no errno: the answer is malformed. */
#define NLMSG_ERRNO_MAX 4095

/* nlmsg_control's answer for a message that is not a control message: the
 * family's own, for the caller to parse. */
#define NLMSG_NOT_CONTROL 2

/* One message of the answer to a request (dump: a dump request, which ends
 * with NLMSG_DONE; otherwise an ack ends it). 1 = more to come, 0 = the
 * answer ended well, -errno (the kernel's, or -EPROTO for one out of place
 * or malformed, -ENOBUFS for an overrun), or NLMSG_NOT_CONTROL. */
int nlmsg_control(const struct nlmsghdr *nlh, bool dump);

/* One datagram of an answer into buf[0..max), through EINTR, keeping
 * MSG_TRUNC's true length: its length, -EMSGSIZE when it did not fit,
 * -ETIMEDOUT when the socket's receive timeout passed, or -errno. */
ssize_t nlmsg_recv(int fd, void *buf, size_t max);

#endif
