/* SPDX-License-Identifier: MIT */
#include "../unit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/proto.h"

static void statuses(void **state)
{
	assert_int_equal(reg_result_status(REG_OK), 200);
	assert_int_equal(reg_result_status(REG_SAME), 200);
	assert_int_equal(reg_result_status(REG_REPLACED), 200);
	assert_int_equal(reg_result_status(REG_BAD_KEY), 400);
	assert_int_equal(reg_result_status(REG_BAD_CN), 403);
	assert_int_equal(reg_result_status(REG_KEY_TAKEN), 409);
	assert_int_equal(reg_result_status(REG_KEY_STATIC), 409);
	assert_int_equal(reg_result_status(REG_KEY_IFACE), 409);
	assert_int_equal(reg_result_status(REG_ADDR_TAKEN), 409);
	assert_int_equal(reg_result_status(REG_ADDR_STATIC), 409);
	assert_int_equal(reg_result_status(REG_ADDR_IFACE), 409);
	assert_int_equal(reg_result_status(REG_BAD_NAME), 422);
	assert_int_equal(reg_result_status(REG_FULL), 503);
	assert_int_equal(reg_result_status(REG_UNAVAILABLE), 503);
}

static void names_and_reasons(void **state)
{
	uint32_t i;

	assert_string_equal(reg_result_name(REG_KEY_TAKEN), "key_taken");
	assert_string_equal(reg_result_reason(REG_OK), "registered");
	for (i = 0; i < REG_RESULT_COUNT; i++) {
		const char *r = reg_result_reason(i), *n = reg_result_name(i);

		assert_non_null(r);
		assert_non_null(n);
		assert_true(r[0] && n[0]);
		assert_true(strlen(r) <= AWG_REASON_MAX);
		assert_null(strchr(r, '\n')); /* one line */
		assert_true(reg_result_status(i) >= 200 && reg_result_status(i) < 600);
	}
}

static void out_of_range(void **state)
{
	assert_int_equal(reg_result_status(REG_RESULT_COUNT), 0);
	assert_null(reg_result_reason(REG_RESULT_COUNT));
	assert_null(reg_result_name(REG_RESULT_COUNT));
	assert_int_equal(reg_result_status(UINT32_MAX), 0);
	assert_null(reg_result_reason(UINT32_MAX));
	assert_null(reg_result_name(UINT32_MAX));
}

static void names_unique(void **state)
{
	uint32_t i, j;

	for (i = 0; i < REG_RESULT_COUNT; i++)
		for (j = i + 1; j < REG_RESULT_COUNT; j++)
			assert_string_not_equal(reg_result_name(i), reg_result_name(j));
}

static void string_ok(void **state)
{
	char f[8];

	memset(f, 0, sizeof(f));
	assert_true(proto_string_ok(f, sizeof(f)));
	memcpy(f, "abc", 3);
	assert_true(proto_string_ok(f, sizeof(f)));
	memcpy(f, "abcdefg", 8);
	assert_true(proto_string_ok(f, sizeof(f))); /* NUL in the last byte */
}

static void string_unterminated(void **state)
{
	char f[8];

	memset(f, 'x', sizeof(f));
	assert_false(proto_string_ok(f, sizeof(f)));
}

static void string_garbage_after_nul(void **state)
{
	char f[8];

	memset(f, 0, sizeof(f));
	memcpy(f, "ab", 2);
	f[7] = 'x';
	assert_false(proto_string_ok(f, sizeof(f)));
	f[7] = 0;
	f[3] = 1;
	assert_false(proto_string_ok(f, sizeof(f)));
}

static void message_sizes(void **state)
{
	/* Fixed-size packets: the first field is the type everywhere. */
	assert_int_equal(offsetof(struct msg_hello, type), 0);
	assert_int_equal(offsetof(struct msg_register, type), 0);
	assert_int_equal(offsetof(struct msg_register_reply, type), 0);
	assert_int_equal(offsetof(struct msg_refresh, type), 0);
	assert_int_equal(offsetof(struct msg_refresh_reply, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_list, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_list_reply, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_name, type), 0);
	assert_int_equal(offsetof(struct msg_ctl_peer_reply, type), 0);
	/* no padding the helper would have to zero by hand */
	assert_int_equal(sizeof(struct msg_register_reply),
			 4 + 4 + 4 + 16 + AWG_NAME_MAX + 1 + AWG_REASON_MAX + 1 + 4 + AWG_KEY_LEN);
}

/* Each ctl request has a length no other request has: the helper tells
 * them apart by type and checks the exact length. */
static void ctl_messages(void **state)
{
	uint32_t i, j;

	assert_int_equal(sizeof(struct msg_ctl_list), 8);
	assert_int_equal(sizeof(struct msg_ctl_name), 8 + AWG_NAME_MAX + 1);
	/* no padding anywhere: every byte sent is a field the sender set */
	assert_int_equal(sizeof(struct ctl_peer), AWG_NAME_MAX + 1 + 16 + AWG_KEY_LEN + 5 * 8);
	assert_int_equal(sizeof(struct msg_ctl_list_reply),
			 16 + CTL_LIST_PAGE * sizeof(struct ctl_peer));
	assert_int_equal(sizeof(struct msg_ctl_peer_reply),
			 8 + sizeof(struct ctl_peer) + AWG_REASON_MAX + 1);
	for (i = 0; i < CTL_RESULT_COUNT; i++) {
		assert_non_null(ctl_result_name(i));
		assert_non_null(ctl_result_reason(i));
		assert_true(strlen(ctl_result_reason(i)) <= AWG_REASON_MAX);
		assert_null(strchr(ctl_result_reason(i), '\n'));
		for (j = i + 1; j < CTL_RESULT_COUNT; j++)
			assert_string_not_equal(ctl_result_name(i), ctl_result_name(j));
	}
	assert_null(ctl_result_name(CTL_RESULT_COUNT));
	assert_null(ctl_result_reason(UINT32_MAX));
	assert_string_equal(ctl_result_name(CTL_DENIED), "denied");
}

/* A packet of len bytes with nfds copies of /dev/null's descriptor sent
 * over a SOCK_SEQPACKET pair, received into room bytes as the readers do;
 * proto_frame_check asked for want bytes and want_fds descriptors. */
static int frame(size_t len, size_t nfds, size_t room, size_t want, size_t want_fds,
		 size_t *got_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
		struct cmsghdr align;
	} out, in;
	unsigned char pkt[PROTO_FRAME_MAX] = {0}, raw[PROTO_FRAME_MAX];
	struct iovec iov = {.iov_base = pkt, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int sv[2], fds[PROTO_FDS_MAX], null = open("/dev/null", O_RDONLY | O_CLOEXEC), ret;
	struct cmsghdr *cm;
	size_t i;
	ssize_t n;

	assert_true(null >= 0 && len <= sizeof(pkt) && room <= sizeof(raw));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	if (nfds) {
		memset(&out, 0, sizeof(out));
		msg.msg_control = out.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &null, sizeof(int));
	}
	assert_int_equal(sendmsg(sv[0], &msg, 0), (ssize_t)len);
	iov = (struct iovec){.iov_base = raw, .iov_len = room};
	msg = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
	msg.msg_control = in.buf;
	msg.msg_controllen = sizeof(in.buf);
	n = recvmsg(sv[1], &msg, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	assert_true(n > 0);
	ret = proto_frame_check(&msg, (size_t)n, want, want_fds, fds, got_fds);
	for (i = 0; i < *got_fds; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
	close(null);
	return ret;
}

static void frame_exact(void **state)
{
	size_t nfds;

	assert_int_equal(frame(16, 1, 512, 16, 1, &nfds), 0);
	assert_int_equal(nfds, 1);
	assert_int_equal(frame(256, 0, 512, 256, 0, &nfds), 0);
	assert_int_equal(nfds, 0);
}

static void frame_wrong_length(void **state)
{
	size_t nfds;

	assert_int_equal(frame(255, 0, 512, 256, 0, &nfds), -EPROTO);
	assert_int_equal(frame(257, 0, 512, 256, 0, &nfds), -EPROTO);
	/* longer than the buffer: cut (MSG_TRUNC), even though n says len */
	assert_int_equal(frame(300, 0, 256, 300, 0, &nfds), -EPROTO);
}

static void frame_wrong_descriptors(void **state)
{
	size_t nfds;

	assert_int_equal(frame(16, 0, 512, 16, 1, &nfds), -EPROTO);
	assert_int_equal(frame(16, 2, 512, 16, 1, &nfds), -EPROTO);
	assert_int_equal(nfds, 2); /* both seen, so the caller closes both */
	assert_int_equal(frame(256, 1, 512, 256, 0, &nfds), -EPROTO);
	assert_int_equal(nfds, 1);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    T("proto: each result maps to its HTTP status", statuses),
	    T("proto: every result has a short name and a one-line reason", names_and_reasons),
	    T("proto: out-of-range results give 0 and NULL", out_of_range),
	    T("proto: result names are unique", names_unique),
	    T("proto: NUL-terminated, zero-padded strings are accepted", string_ok),
	    T("proto: a string without NUL is refused", string_unterminated),
	    T("proto: bytes after the NUL must be zero", string_garbage_after_nul),
	    T("proto: every message starts with its type", message_sizes),
	    T("proto: ctl messages have fixed, padding-free sizes and named results", ctl_messages),
	    T("proto: a frame of exactly the length with exactly the descriptors is taken",
	      frame_exact),
	    T("proto: a frame shorter, longer or cut is refused", frame_wrong_length),
	    T("proto: a frame with a descriptor too few or too many is refused, each one seen",
	      frame_wrong_descriptors),
	};

	return RUN(tests);
}
