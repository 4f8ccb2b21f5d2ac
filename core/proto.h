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
 * ends the connection.
 */
#ifndef AUTOWG_PROTO_H
#define AUTOWG_PROTO_H

#include <stdint.h>
#include "limits.h"

#define PROTO_VERSION	       2
#define HELPER_SOCKET_DEFAULT  "/run/autowg/helper.sock"
#define AWG_REASON_MAX	       127

/*
 * Registration outcomes: X(id, HTTP status, short name for logs and metrics, one-line reason). The helper sends
 * the id and may send a more specific reason; responders map id -> status.
 */
#define REG_RESULTS(X)                                                                             \
	X(REG_OK, 200, "ok", "registered")                                                               \
	X(REG_SAME, 200, "same", "already registered with this key")                                       \
	X(REG_REPLACED, 200, "replaced", "registered; the new key replaced the old one")                       \
	X(REG_BAD_KEY, 400, "bad_key", "malformed public key")                                                \
	X(REG_BAD_CN, 403, "bad_cn", "certificate CN does not match the CN pattern")                         \
	X(REG_KEY_TAKEN, 409, "key_taken", "public key is registered to another device")                        \
	X(REG_KEY_STATIC, 409, "key_static", "public key belongs to a static peer")                              \
	X(REG_KEY_IFACE, 409, "key_iface", "public key is the interface's own")                                 \
	X(REG_ADDR_TAKEN, 409, "addr_taken", "address is registered to another device")                          \
	X(REG_ADDR_STATIC, 409, "addr_static", "address belongs to a static peer")                                \
	X(REG_ADDR_IFACE, 409, "addr_iface", "address is configured on the interface")                           \
	X(REG_BAD_NAME, 422, "bad_name", "name cannot be mapped to an address")                                \
	X(REG_FULL, 503, "full", "registration table is full")                                             \
	X(REG_UNAVAILABLE, 503, "unavailable", "WireGuard interface unavailable")                   \
	X(REG_RATE_LIMITED, 429, "rate_limited", "key changed too recently")

enum reg_result {
#define X(id, status, name, reason) id,
	REG_RESULTS(X)
#undef X
	REG_RESULT_COUNT
};

/* HTTP status and default reason for a result; 0/NULL when out of range. */
int reg_result_status(uint32_t result);
const char *reg_result_reason(uint32_t result);
/* Short name ("key_taken") for logs and metrics; NULL when out of range. */
const char *reg_result_name(uint32_t result);

enum msg_type {
	MSG_HELLO = 1,	      /* helper -> responder, carries the table fd */
	MSG_REGISTER,	      /* responder -> helper */
	MSG_REGISTER_REPLY,   /* helper -> responder */
	MSG_REFRESH,	      /* responder -> helper: refresh stats (at most ~1/s) */
	MSG_REFRESH_REPLY,    /* helper -> responder */
};

struct msg_hello {
	uint32_t type;	      /* MSG_HELLO */
	uint32_t version;     /* PROTO_VERSION */
	uint64_t table_size;  /* bytes to map read-only from the attached fd */
};

struct msg_register {
	uint32_t type;	      /* MSG_REGISTER */
	uint32_t reserved;    /* 0 */
	char cn[AWG_CN_MAX + 1]; /* the certificate's CN, NUL-terminated, zero-padded */
	uint8_t key[AWG_KEY_LEN];
};

struct msg_register_reply {
	uint32_t type;	      /* MSG_REGISTER_REPLY */
	uint32_t result;      /* enum reg_result */
	uint32_t retry_after; /* REG_RATE_LIMITED: seconds until a new key is taken, else 0 */
	uint8_t addr[16];     /* the device's address when the status is 200 */
	char name[AWG_NAME_MAX + 1]; /* the name the CN mapped to, or "" */
	char reason[AWG_REASON_MAX + 1]; /* one line, NUL-terminated */
};

struct msg_refresh {
	uint32_t type;	      /* MSG_REFRESH */
	uint32_t reserved;    /* 0 */
};

struct msg_refresh_reply {
	uint32_t type;	      /* MSG_REFRESH_REPLY */
	uint32_t result;      /* REG_OK or REG_UNAVAILABLE */
};

/* A fixed string field is valid when it holds a NUL and only zeros after it. */
#include <stdbool.h>
#include <stddef.h>
bool proto_string_ok(const char *field, size_t size);

#endif
