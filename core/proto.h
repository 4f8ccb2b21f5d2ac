/* SPDX-License-Identifier: MIT */
/*
 * The helper wire protocol: the whole vocabulary between autowg-fcgi
 * (unprivileged responders) and autowg-helper (privileged), in one place.
 *
 * Transport: a SOCK_SEQPACKET unix socket. Every message is one packet of
 * exactly sizeof(struct msg_X) bytes; the first uint32_t is its type. On
 * accept the helper sends MSG_HELLO with the shared table's file descriptor
 * (SCM_RIGHTS); after that the responder sends requests and reads one reply
 * for each, in order. A packet of the wrong length or type, a reserved field
 * that is not zero, or a string that is not NUL-terminated and zero-padded
 * ends the connection. Every message's size is asserted below: a change of
 * one is a change of PROTO_VERSION.
 */
#ifndef AUTOWG_PROTO_H
#define AUTOWG_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "limits.h"

#define PROTO_VERSION	      3
#define HELPER_SOCKET_DEFAULT "/run/autowg/helper.sock"
#define AWG_REASON_MAX	      127
/* The buffer a request or a responder's reply is read into: larger than
 * each, so that a packet that does not fit shows as too long. */
#define PROTO_FRAME_MAX 512
/* The one larger message, MSG_CTL_LIST_REPLY (autowg-ctl reads it alone),
 * fits in this; far below a unix socket's send buffer. */
#define PROTO_LIST_FRAME_MAX 16384

/*
 * Registration outcomes: X(id, HTTP status, short name for logs and metrics, one-line reason). The
 * helper sends the id and may send a more specific reason; responders map id -> status.
 */
#define REG_RESULTS(X)                                                                             \
	X(REG_OK, 200, "ok", "registered")                                                         \
	X(REG_SAME, 200, "same", "already registered with this key")                               \
	X(REG_REPLACED, 200, "replaced", "registered; the new key replaced the old one")           \
	X(REG_BAD_KEY, 400, "bad_key", "malformed public key")                                     \
	X(REG_BAD_CN, 403, "bad_cn", "certificate CN does not match the CN pattern")               \
	X(REG_KEY_TAKEN, 409, "key_taken", "public key is registered to another device")           \
	X(REG_KEY_STATIC, 409, "key_static", "public key belongs to a static peer")                \
	X(REG_KEY_IFACE, 409, "key_iface", "public key is the interface's own")                    \
	X(REG_ADDR_TAKEN, 409, "addr_taken", "address is registered to another device")            \
	X(REG_ADDR_STATIC, 409, "addr_static", "address belongs to a static peer")                 \
	X(REG_ADDR_IFACE, 409, "addr_iface", "address is configured on the interface")             \
	X(REG_BAD_NAME, 422, "bad_name", "name cannot be mapped to an address")                    \
	X(REG_FULL, 503, "full", "registration table is full")                                     \
	X(REG_UNAVAILABLE, 503, "unavailable", "WireGuard interface unavailable")                  \
	X(REG_RATE_LIMITED, 429, "rate_limited", "key changed too recently")

enum reg_result {
#define X(id, status, name, reason) id,
	REG_RESULTS(X)
#undef X
	/* not a result: how many there are */
	REG_RESULT_COUNT
};

/* HTTP status and default reason for a result; 0/NULL when out of range. */
int reg_result_status(uint32_t result);
const char *reg_result_reason(uint32_t result);
/* Short name ("key_taken") for logs and metrics; NULL when out of range. */
const char *reg_result_name(uint32_t result);

enum msg_type {
	MSG_HELLO = 1,	    /* helper -> responder, carries the table fd */
	MSG_REGISTER,	    /* responder -> helper */
	MSG_REGISTER_REPLY, /* helper -> responder */
	MSG_REFRESH,	    /* responder -> helper: refresh stats (at most ~1/s) */
	MSG_REFRESH_REPLY,  /* helper -> responder */
	MSG_CTL_LIST,	    /* autowg-ctl -> helper: one page of the registered devices */
	MSG_CTL_LIST_REPLY, /* helper -> autowg-ctl */
	MSG_CTL_SHOW,	    /* autowg-ctl -> helper: one device, by name */
	MSG_CTL_REMOVE,	    /* autowg-ctl -> helper: remove one device's peer, by name */
	MSG_CTL_PEER_REPLY, /* helper -> autowg-ctl: answers MSG_CTL_SHOW and MSG_CTL_REMOVE */
};

struct msg_hello {
	uint32_t type;	     /* MSG_HELLO */
	uint32_t version;    /* PROTO_VERSION */
	uint64_t table_size; /* bytes to map read-only from the attached fd */
};
_Static_assert(sizeof(struct msg_hello) == 16, "msg_hello: 16 bytes");

struct msg_register {
	uint32_t type;		 /* MSG_REGISTER */
	uint32_t reserved;	 /* 0 */
	char cn[AWG_CN_MAX + 1]; /* the certificate's CN, NUL-terminated, zero-padded */
	uint8_t key[AWG_KEY_LEN];
};
_Static_assert(sizeof(struct msg_register) == 296, "msg_register: 296 bytes");

/* msg_register_reply.flags */
#define REPLY_HAS_OLD_KEY 1u /* old_key holds the key this registration replaced */

struct msg_register_reply {
	uint32_t type;	      /* MSG_REGISTER_REPLY */
	uint32_t result;      /* enum reg_result */
	uint32_t retry_after; /* REG_RATE_LIMITED: seconds until a new key is taken, else 0 */
	uint8_t addr[16];     /* the device's address when the status is 200 */
	char name[AWG_NAME_MAX + 1];	 /* the name the CN mapped to, or "" */
	char reason[AWG_REASON_MAX + 1]; /* one line, NUL-terminated */
	uint32_t flags;			 /* REPLY_HAS_*; other bits 0 */
	uint8_t old_key[AWG_KEY_LEN];	 /* with REPLY_HAS_OLD_KEY, else zeros (the audit line) */
};
_Static_assert(sizeof(struct msg_register_reply) == 256, "msg_register_reply: 256 bytes");

struct msg_refresh {
	uint32_t type;	   /* MSG_REFRESH */
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct msg_refresh) == 8, "msg_refresh: 8 bytes");

struct msg_refresh_reply {
	uint32_t type;	 /* MSG_REFRESH_REPLY */
	uint32_t result; /* REG_OK or REG_UNAVAILABLE */
};
_Static_assert(sizeof(struct msg_refresh_reply) == 8, "msg_refresh_reply: 8 bytes");

/* autowg-ctl outcomes: X(id, short name for logs, one-line reason). */
#define CTL_RESULTS(X)                                                                             \
	X(CTL_OK, "ok", "done")                                                                    \
	X(CTL_NOT_FOUND, "not_found", "no device is registered under that name")                   \
	X(CTL_DENIED, "denied", "only root may list, show or remove devices")                      \
	X(CTL_UNAVAILABLE, "unavailable", "WireGuard interface unavailable; nothing was changed")

enum ctl_result {
#define X(id, name, reason) id,
	CTL_RESULTS(X)
#undef X
	/* not a result: how many there are */
	CTL_RESULT_COUNT
};

/* Short name and default reason of a ctl result; NULL when out of range. */
const char *ctl_result_name(uint32_t result);
const char *ctl_result_reason(uint32_t result);

#define CTL_LIST_PAGE 64 /* devices per MSG_CTL_LIST_REPLY */

/* One registered device, as the table holds it. */
struct ctl_peer {
	char name[AWG_NAME_MAX + 1]; /* NUL-terminated, zero-padded */
	uint8_t addr[16];
	uint8_t key[AWG_KEY_LEN];
	int64_t created;	/* Unix seconds */
	int64_t last_handshake; /* Unix seconds, 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t key_changes; /* times this name's key was replaced */
};
_Static_assert(sizeof(struct ctl_peer) == 152, "ctl_peer: 152 bytes");

struct msg_ctl_list {
	uint32_t type;	 /* MSG_CTL_LIST */
	uint32_t cursor; /* 0 for the first page, then the last reply's next */
};
_Static_assert(sizeof(struct msg_ctl_list) == 8, "msg_ctl_list: 8 bytes");

struct msg_ctl_list_reply {
	uint32_t type;	 /* MSG_CTL_LIST_REPLY */
	uint32_t result; /* CTL_OK or CTL_DENIED */
	uint32_t count;	 /* peer[0..count) are devices; the rest is zero */
	uint32_t next;	 /* cursor of the next page; 0 when this was the last */
	struct ctl_peer peer[CTL_LIST_PAGE];
};
_Static_assert(sizeof(struct msg_ctl_list_reply) == 16 + CTL_LIST_PAGE * 152,
	       "msg_ctl_list_reply: 9744 bytes");

/* MSG_CTL_SHOW and MSG_CTL_REMOVE. */
struct msg_ctl_name {
	uint32_t type;		     /* MSG_CTL_SHOW or MSG_CTL_REMOVE */
	uint32_t reserved;	     /* 0 */
	char name[AWG_NAME_MAX + 1]; /* the device name, NUL-terminated, zero-padded */
};
_Static_assert(sizeof(struct msg_ctl_name) == 72, "msg_ctl_name: 72 bytes");

struct msg_ctl_peer_reply {
	uint32_t type;			 /* MSG_CTL_PEER_REPLY */
	uint32_t result;		 /* enum ctl_result */
	struct ctl_peer peer;		 /* CTL_OK: the device (for a remove, as it was) */
	char reason[AWG_REASON_MAX + 1]; /* one line, NUL-terminated */
};
_Static_assert(sizeof(struct msg_ctl_peer_reply) == 288, "msg_ctl_peer_reply: 288 bytes");

/* What the frame buffers hold: every message but one in PROTO_FRAME_MAX,
 * with room to tell a longer packet; the list reply in PROTO_LIST_FRAME_MAX. */
_Static_assert(sizeof(struct msg_hello) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_register) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_register_reply) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_refresh) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_refresh_reply) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_ctl_list) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_ctl_name) < PROTO_FRAME_MAX &&
		   sizeof(struct msg_ctl_peer_reply) < PROTO_FRAME_MAX,
	       "every message but the list reply fits a PROTO_FRAME_MAX buffer");
_Static_assert(sizeof(struct msg_ctl_list_reply) < PROTO_LIST_FRAME_MAX,
	       "the list reply fits a PROTO_LIST_FRAME_MAX buffer");

/* A fixed string field is valid when it holds a NUL and only zeros after it. */
bool proto_string_ok(const char *field, size_t size);

/* Descriptors a reader makes room for in its control data: any beyond the
 * one a hello carries are seen, closed and refused, never left open. */
#define PROTO_FDS_MAX 8
struct msghdr;
/* After recvmsg() returned n > 0 bytes into msg (control data room for
 * PROTO_FDS_MAX descriptors): the descriptors that came into fds, *nfds of
 * them; 0 when the packet is exactly len bytes, nothing was cut, and
 * exactly want_fds descriptors and nothing else came with it, else -EPROTO.
 * The caller closes what it does not keep. Reads msg only. */
int proto_frame_check(struct msghdr *msg, size_t n, size_t len, size_t want_fds,
		      int fds[PROTO_FDS_MAX], size_t *nfds);

#endif
