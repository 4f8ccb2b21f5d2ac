/* SPDX-License-Identifier: MIT */
/* What the two netlink users of the helper (kernel.c: WireGuard's generic
 * netlink family; route.c: rtnetlink) read the same way: the control
 * messages that end, fail or pad an answer. */
#ifndef AUTOWG_WG_NLMSG_H
#define AUTOWG_WG_NLMSG_H

#include <stdbool.h>
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

#endif
