/* SPDX-License-Identifier: MIT */
/*
 * The registration table: a fixed-size shared mapping written only by the
 * helper and mapped read-only by responders. Offsets, never pointers. Every
 * entry and the settings block carry a sequence counter that is odd while
 * the helper writes them (a seqlock): readers copy, re-check the counter and
 * retry, and treat everything they read as untrusted.
 *
 * Layout: struct table_header at offset 0, then `capacity` struct
 * table_entry at offset header_size, entry_size bytes apart.
 */
#ifndef AUTOWG_TABLE_H
#define AUTOWG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "limits.h"

#define TABLE_MAGIC	   0x31626174677761ULL /* "awgtab1" little-endian */
#define TABLE_VERSION	   3  /* 2: counters, key_changes, metrics, expiry; 3: routes, moved */
#define TABLE_READ_RETRIES 64 /* seqlock retries before a reader gives up */

struct table_settings {
	char interface[AWG_IFNAME_MAX + 1];
	char pool[AWG_PREFIX_TEXT_MAX + 1];
	char route[AWG_PREFIX_TEXT_MAX + 1];
	char endpoint[AWG_ENDPOINT_MAX + 1]; /* host:port, port read from the interface */
	char pubkey[AWG_KEY_B64_LEN + 1];    /* the interface's public key */
	char http_prefix[AWG_HTTP_PREFIX_MAX + 1];
	char cn_pattern[AWG_CN_PATTERN_MAX + 1];
	uint32_t keepalive;
	uint32_t converter; /* enum converter_kind */
	uint32_t up;	    /* 1 while the interface is usable */
	uint32_t reserved;
	int64_t started;	   /* helper start, Unix seconds */
	int64_t stats_refreshed;   /* last stats refresh, Unix seconds */
	uint32_t metrics_per_peer; /* 1: v1/metrics lists every peer (--metrics-per-peer) */
	uint32_t expire_after;	   /* --expire-after seconds, 0 = never */
	uint32_t keep_peers;	   /* 1: --keep-peers */
	uint32_t reserved2;
};

#define TABLE_ENTRY_USED 1u

struct table_entry {
	uint32_t seq;	/* odd while being written */
	uint32_t flags; /* TABLE_ENTRY_USED */
	char name[AWG_NAME_MAX + 1];
	uint8_t addr[16];
	uint8_t key[AWG_KEY_LEN];
	int64_t created;	/* Unix seconds */
	int64_t last_handshake; /* Unix seconds, 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t key_changes; /* times this name's key was replaced */
};

/*
 * Counters: each a single 64-bit word, written by the helper alone with one
 * relaxed atomic store (no seqlock needed: a reader sees either value) and
 * read with one atomic load. TABLE_REG_COUNTERS >= REG_RESULT_COUNT
 * (core/proto.h), checked where both are known.
 */
#define TABLE_REG_COUNTERS 32
struct table_counters {
	uint64_t registrations[TABLE_REG_COUNTERS]; /* by enum reg_result */
	uint64_t expired;			    /* peers removed by --expire-after */
	uint64_t adopted;			    /* peers kept by --keep-peers */
	uint64_t routes; /* a gauge: kernel routes the helper holds (--install-routes) */
	uint64_t moved;	 /* peers removed: their device registered elsewhere later */
};

struct table_header {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint32_t entry_size;
	uint32_t capacity;
	uint64_t size;	       /* whole mapping, bytes */
	uint32_t settings_seq; /* odd while settings are written */
	uint32_t high_water;   /* entries [0, high_water) may be in use */
	uint32_t count;	       /* entries in use (informational) */
	uint32_t reserved;
	uint64_t generation; /* bumped on every change */
	struct table_settings settings;
	struct table_counters counters;
};

/* Bytes needed for a table of `capacity` entries. */
size_t table_size(uint32_t capacity);

/* Reader side: all take the mapping as untrusted bytes. */
/* Header sane for a mapping of `size` bytes. */
bool table_check(const void *base, size_t size, const char **why);
/* Consistent copy of the settings, strings checked for termination. */
bool table_read_settings(const void *base, size_t size, struct table_settings *out);
enum table_read { TABLE_READ_EMPTY, TABLE_READ_OK, TABLE_READ_TORN };
/* Consistent copy of entry i (i < capacity); TORN when the writer kept it
 * busy for TABLE_READ_RETRIES tries or the copy is not well-formed. */
enum table_read table_read_entry(const void *base, size_t size, uint32_t i,
				 struct table_entry *out);
/* high_water, clamped to capacity. */
uint32_t table_high_water(const void *base, size_t size);
/* The capacity field (0 when the header is not sane). */
uint32_t table_capacity(const void *base, size_t size);
/* Every counter, each one atomic word (the set is not one snapshot). */
bool table_read_counters(const void *base, size_t size, struct table_counters *out);

/* Writer side (the helper only). */
void table_init(void *base, size_t size, uint32_t capacity);
/* The same on memory known to be all zero (a new memfd): only the header is
 * written, so pages no entry reaches are never touched. */
void table_init_zeroed(void *base, size_t size, uint32_t capacity);
void table_write_settings(void *base, const struct table_settings *s);
/* The writer's own view of its entries, an array of capacity: it is the only
 * writer, so it reads them directly; they change only through
 * table_write_entry. */
const struct table_entry *table_entries(const void *base);
/* Write entry i (flags 0 clears it) under its seqlock; maintains count and high_water. */
void table_write_entry(void *base, uint32_t i, const struct table_entry *e);
/* Add one to a counter: registrations[result] (ignored when out of range),
 * expired, adopted, moved. */
void table_count_registration(void *base, uint32_t result);
void table_count_expired(void *base, uint32_t n);
void table_count_adopted(void *base, uint32_t n);
void table_count_moved(void *base, uint32_t n);
/* The routes gauge. */
void table_set_routes(void *base, uint64_t n);

#endif
