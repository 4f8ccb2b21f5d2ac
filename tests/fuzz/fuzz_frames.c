/* SPDX-License-Identifier: MIT */
/*
 * The helper's frame decoder (wg/server.c serve_one) fed packets from a
 * hostile responder over a real SOCK_SEQPACKET socketpair, in-process, with
 * a real registry and table behind it and a fake WireGuard (wg_ops).
 * server.c is included, wireguard-tools style, to reach its static decoder.
 *
 * Input: a flags byte, then packets, each a kind byte and its fields:
 *   0 raw: u16 length, then that many bytes (zeros past the input's end)
 *   1 register: a NUL-terminated CN, a key selector byte, 32 key bytes
 *   2 refresh
 *   3 register as in 1 with one byte patched: u16 offset, u8 value
 *   4 ctl list: u32 cursor
 *   5 ctl show, 6 ctl remove: a NUL-terminated name
 * Invariants: a well-formed request gets exactly one well-formed reply and
 * keeps the connection; anything else gets no reply and loses it; a ctl
 * request from a caller that is not root gets CTL_DENIED, loses the
 * connection and changes nothing; a list shows exactly the table's entries;
 * a name removed is gone; the table never holds two entries with the same
 * name, key or address, nor an address outside the pool.
 */
#include "fuzz.h"
#include "../../wg/server.c"

#include "../../core/addr.h"
#include "../../core/dn.h"
#include "../../core/key.h"
#include "../../core/table.h"
#include "../../wg/registry.h"

#define CAPACITY    8  /* small: a full table and conflicts are reachable */
#define PACKETS_MAX 64 /* per input */
#define RAW_MAX	    (PROTO_FRAME_MAX + 64)
#define POOL	    "fde3:25fb:7f6c:1::/64"

/* Flags byte. */
#define F_METANS     1u	 /* else direct-bcd */
#define F_APPLY_FAIL 2u	 /* every apply fails (-EIO) */
#define F_DOWN	     4u	 /* the interface is down: 503 */
#define F_PATTERN    8u	 /* "smart-toilet-(\d+)" instead of the default */
#define F_NOT_ROOT   16u /* the connection's uid is not 0: ctl requests are refused */

static struct server srv;
static int apply_fail;

static int fake_get(const char *ifname, struct wg_device **out)
{
	struct wg_device *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	d->flags = WG_DEVICE_HAS_PUBLIC_KEY | WG_DEVICE_HAS_PRIVATE_KEY | WG_DEVICE_HAS_LISTEN_PORT;
	memset(d->public_key, 0x99, sizeof(d->public_key));
	d->listen_port = 53092;
	*out = d;
	return 0;
}

static int fake_apply(const char *ifname, const struct wg_change *ch, size_t n)
{
	(void)ifname;
	(void)ch;
	(void)n;
	return apply_fail;
}

static const struct wg_ops fake_ops = {.name = "fake", .get_device = fake_get, .apply = fake_apply};

/* A request the helper must accept (it may still refuse the registration). */
static bool well_formed(const unsigned char *p, size_t n)
{
	struct msg_register m;
	uint32_t type;

	if (n < sizeof(type))
		return false;
	memcpy(&type, p, sizeof(type));
	if (type == MSG_REFRESH && n == sizeof(struct msg_refresh))
		return !((const struct msg_refresh *)(const void *)p)->reserved;
	if (type == MSG_CTL_LIST)
		return n == sizeof(struct msg_ctl_list);
	if (type == MSG_CTL_SHOW || type == MSG_CTL_REMOVE) {
		struct msg_ctl_name c;

		if (n != sizeof(c))
			return false;
		memcpy(&c, p, sizeof(c));
		return !c.reserved && proto_string_ok(c.name, sizeof(c.name));
	}
	if (type != MSG_REGISTER || n != sizeof(m))
		return false;
	memcpy(&m, p, sizeof(m));
	return !m.reserved && proto_string_ok(m.cn, sizeof(m.cn));
}

/* What the registry was configured with: the oracle for a 200. */
struct oracle {
	const struct converter *conv;
	const struct cn_pattern *pat;
};

/* A 200 only for a CN that is a valid identity and matches the pattern
 * whole, with the name and address the pattern and converter give. */
static void check_ok(const struct oracle *o, const unsigned char *req,
		     const struct msg_register_reply *r)
{
	struct msg_register m;
	char name[AWG_NAME_MAX + 1];
	uint8_t addr[16];
	const char *why = NULL;

	memcpy(&m, req, sizeof(m));
	FUZZ_CHECK(cn_check(m.cn, strlen(m.cn), &why), "200 for a CN cn_check refuses: %s", why);
	FUZZ_CHECK(cn_pattern_name(o->pat, m.cn, name, &why),
		   "200 for a CN the pattern refuses: %s", why);
	FUZZ_CHECK(!strcmp(name, r->name), "200 names %s, the pattern gives %s", r->name, name);
	FUZZ_CHECK(converter_map(o->conv, name, addr, &why) && !memcmp(addr, r->addr, 16),
		   "200 with an address the converter does not give");
	FUZZ_CHECK(!key_is_zero(m.key), "200 for the zero key");
}

static bool is_ctl(uint32_t type)
{
	return type == MSG_CTL_LIST || type == MSG_CTL_SHOW || type == MSG_CTL_REMOVE;
}

static bool ctl_peer_ok(const struct ctl_peer *p, const struct prefix6 *pool)
{
	return proto_string_ok(p->name, sizeof(p->name)) && p->name[0] &&
	       prefix6_contains(pool, p->addr);
}

/* The entry named name in the table, into *e: false when none. */
static bool table_has(const void *table, size_t size, const char *name, struct table_entry *e)
{
	uint32_t i;

	for (i = 0; i < CAPACITY; i++)
		if (table_read_entry(table, size, i, e) == TABLE_READ_OK && !strcmp(e->name, name))
			return true;
	return false;
}

/* A ctl reply: denied to anyone but root; a list page names only entries
 * the table holds, as it holds them; a show or remove names the device
 * asked for, and a removed device is gone from the table. */
static void check_ctl_reply(const unsigned char *req, const void *reply, ssize_t n, bool root,
			    const void *table, size_t tsize, const struct prefix6 *pool)
{
	const struct msg_ctl_list_reply *l = reply;
	const struct msg_ctl_peer_reply *p = reply;
	struct msg_ctl_name m;
	struct table_entry e;
	uint32_t type, i;

	memcpy(&type, req, sizeof(type));
	if (type == MSG_CTL_LIST) {
		FUZZ_CHECK(n == sizeof(*l) && l->type == MSG_CTL_LIST_REPLY,
			   "list reply of %zd bytes", n);
		FUZZ_CHECK(l->result == (root ? CTL_OK : CTL_DENIED), "list result %u", l->result);
		FUZZ_CHECK(l->count <= CTL_LIST_PAGE && (root || !l->count), "list of %u devices",
			   l->count);
		for (i = 0; i < l->count; i++) {
			FUZZ_CHECK(ctl_peer_ok(&l->peer[i], pool), "list entry %u malformed", i);
			FUZZ_CHECK(table_has(table, tsize, l->peer[i].name, &e) &&
				       key_equal(e.key, l->peer[i].key) &&
				       !memcmp(e.addr, l->peer[i].addr, 16),
				   "list shows %s, which the table does not hold", l->peer[i].name);
		}
		return;
	}
	memcpy(&m, req, sizeof(m));
	FUZZ_CHECK(n == sizeof(*p) && p->type == MSG_CTL_PEER_REPLY, "ctl reply of %zd bytes", n);
	FUZZ_CHECK(root || p->result == CTL_DENIED, "ctl request from a non-root caller: result %u",
		   p->result);
	FUZZ_CHECK(p->result < CTL_RESULT_COUNT && proto_string_ok(p->reason, sizeof(p->reason)) &&
		       !strchr(p->reason, '\n'),
		   "ctl reply malformed (result %u)", p->result);
	if (p->result == CTL_OK) {
		FUZZ_CHECK(ctl_peer_ok(&p->peer, pool) && !strcmp(p->peer.name, m.name),
			   "ctl reply for %s names %s", m.name, p->peer.name);
		FUZZ_CHECK(type == MSG_CTL_REMOVE || table_has(table, tsize, m.name, &e),
			   "show of %s, which the table does not hold", m.name);
	}
	if (type == MSG_CTL_REMOVE && p->result == CTL_UNAVAILABLE)
		FUZZ_CHECK(table_has(table, tsize, m.name, &e), "a failed remove of %s removed it",
			   m.name);
	if (type == MSG_CTL_REMOVE && p->result == CTL_OK)
		FUZZ_CHECK(!table_has(table, tsize, m.name, &e), "removed %s is still there",
			   m.name);
	if (p->result == CTL_NOT_FOUND)
		FUZZ_CHECK(!table_has(table, tsize, m.name, &e), "%s not found but in the table",
			   m.name);
}

static void check_reply(int peer, const unsigned char *req, const struct prefix6 *pool,
			const struct oracle *o)
{
	union {
		struct msg_register_reply reg;
		struct msg_refresh_reply refresh;
		unsigned char b[1024];
	} u;
	uint32_t type;
	ssize_t n;

	memcpy(&type, req, sizeof(type));
	n = recv(peer, &u, sizeof(u), MSG_DONTWAIT | MSG_TRUNC);
	if (type == MSG_REFRESH) {
		FUZZ_CHECK(n == sizeof(u.refresh), "refresh reply of %zd bytes", n);
		FUZZ_CHECK(u.refresh.type == MSG_REFRESH_REPLY &&
			       (u.refresh.result == REG_OK || u.refresh.result == REG_UNAVAILABLE),
			   "bad refresh reply (type %u result %u)", u.refresh.type,
			   u.refresh.result);
		return;
	}
	FUZZ_CHECK(n == sizeof(u.reg), "register reply of %zd bytes", n);
	FUZZ_CHECK(u.reg.type == MSG_REGISTER_REPLY && u.reg.result < REG_RESULT_COUNT,
		   "bad register reply (type %u result %u)", u.reg.type, u.reg.result);
	FUZZ_CHECK(proto_string_ok(u.reg.name, sizeof(u.reg.name)) &&
		       proto_string_ok(u.reg.reason, sizeof(u.reg.reason)),
		   "reply strings not NUL-terminated and zero-padded");
	FUZZ_CHECK(!strchr(u.reg.reason, '\n'), "reason is not one line");
	if (reg_result_status(u.reg.result) == 200) {
		FUZZ_CHECK(prefix6_contains(pool, u.reg.addr),
			   "200 with an address outside the pool");
		FUZZ_CHECK(u.reg.name[0], "200 without a name");
		check_ok(o, req, &u.reg);
	}
}

/* Every used entry: distinct name, key and address, inside the pool. */
static void check_table(const void *table, size_t size, const struct prefix6 *pool)
{
	struct table_entry e[CAPACITY];
	uint32_t i, j, n = 0;

	for (i = 0; i < CAPACITY; i++) {
		enum table_read r = table_read_entry(table, size, i, &e[n]);

		FUZZ_CHECK(r != TABLE_READ_TORN, "entry %u torn with no writer", i);
		if (r == TABLE_READ_OK)
			n++;
	}
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(prefix6_contains(pool, e[i].addr), "entry %s outside the pool",
			   e[i].name);
		FUZZ_CHECK(!key_is_zero(e[i].key), "entry %s with the zero key", e[i].name);
		for (j = 0; j < i; j++) {
			FUZZ_CHECK(strcmp(e[i].name, e[j].name), "name %s twice", e[i].name);
			FUZZ_CHECK(!key_equal(e[i].key, e[j].key), "key of %s also held by %s",
				   e[i].name, e[j].name);
			FUZZ_CHECK(memcmp(e[i].addr, e[j].addr, 16),
				   "address of %s also held by %s", e[i].name, e[j].name);
		}
	}
}

/* One packet from the input into p; its length. */
static size_t next_packet(struct fuzz_in *in, unsigned char *p)
{
	struct msg_register m;
	uint8_t kind = fuzz_u8(in) % 7, sel;
	size_t n;
	char *cn;

	memset(p, 0, RAW_MAX);
	if (kind == 4) {
		struct msg_ctl_list l = {.type = MSG_CTL_LIST};

		l.cursor = fuzz_u8(in) < 0xc0 ? 0 : fuzz_u16(in);
		memcpy(p, &l, sizeof(l));
		return sizeof(l);
	}
	if (kind == 5 || kind == 6) {
		struct msg_ctl_name c;

		memset(&c, 0, sizeof(c));
		c.type = kind == 5 ? MSG_CTL_SHOW : MSG_CTL_REMOVE;
		cn = fuzz_str(in, AWG_NAME_MAX);
		memcpy(c.name, cn, strlen(cn));
		free(cn);
		memcpy(p, &c, sizeof(c));
		return sizeof(c);
	}
	if (kind == 0) {
		n = fuzz_u16(in) % (RAW_MAX + 1);
		fuzz_bytes(in, p, n);
		return n;
	}
	if (kind == 2) {
		struct msg_refresh r = {.type = MSG_REFRESH};

		memcpy(p, &r, sizeof(r));
		return sizeof(r);
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_REGISTER;
	cn = fuzz_str(in, AWG_CN_MAX);
	memcpy(m.cn, cn, strlen(cn));
	free(cn);
	/* a few keys shared between names, so key conflicts happen */
	sel = fuzz_u8(in);
	fuzz_bytes(in, m.key, sizeof(m.key));
	if (sel < 0xc0)
		memset(m.key, (sel & 3) + 1, sizeof(m.key));
	memcpy(p, &m, sizeof(m));
	n = sizeof(m);
	if (kind == 3) {
		size_t off = fuzz_u16(in) % n;

		p[off] = fuzz_u8(in);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_u8(&in);
	static unsigned char pkt[RAW_MAX];
	static unsigned char ctl_reply[sizeof(struct msg_ctl_list_reply) + 64];
	unsigned char *before;
	bool root = !(flags & F_NOT_ROOT);
	uint32_t type;
	ssize_t got;
	struct daemon d;
	struct converter conv;
	struct cn_pattern *pat;
	struct registry_config rc;
	struct wg_device *dev;
	struct prefix6 pool;
	const char *why;
	char err[128];
	void *table;
	size_t tsize = table_size(CAPACITY), n;
	int sv[2], i, open_fd;

	if (!prefix6_parse(POOL, &pool, &why) ||
	    !converter_init(&conv, flags & F_METANS ? CONVERTER_METANS : CONVERTER_DIRECT_BCD,
			    &pool, NULL, &why))
		abort();
	pat = cn_pattern_compile(flags & F_PATTERN ? "smart-toilet-(\\d+)" : CN_PATTERN_DEFAULT,
				 err, sizeof(err));
	table = aligned_alloc(64, (tsize + 63) / 64 * 64);
	before = malloc(tsize);
	if (!pat || !table || !before)
		abort();
	table_init(table, tsize, CAPACITY);
	memset(&d, 0, sizeof(d));
	d.ifname = "fuzz0";
	d.ops = &fake_ops;
	d.shm.base = table;
	d.shm.size = tsize;
	d.shm.fd = d.shm.ro_fd = -1;
	snprintf(d.host, sizeof(d.host), "vpn.example.com");
	rc = (struct registry_config){.ifname = "fuzz0",
				      .ops = &fake_ops,
				      .conv = &conv,
				      .pattern = pat,
				      .capacity = CAPACITY,
				      .table = table};
	if (registry_new(&rc, &d.reg))
		abort();
	apply_fail = 0;
	if (fake_get("fuzz0", &dev) || registry_sync(d.reg, dev))
		abort();
	wg_device_free(dev);
	registry_set_up(d.reg, !(flags & F_DOWN));
	d.refreshed_ms = clock_ms(); /* no refresh from the interface: no getifaddrs */
	d.refresh_result = flags & F_DOWN ? REG_UNAVAILABLE : REG_OK;
	apply_fail = flags & F_APPLY_FAIL ? -EIO : 0;

	memset(&srv, 0, sizeof(srv));
	srv.fd = -1;
	for (i = 0; i < SERVER_CONN_MAX; i++)
		srv.conn[i].fd = -1;
	srv.conn_max = SERVER_CONN_MAX;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	srv.conn[0].fd = sv[0];
	srv.conn[0].uid = root ? 0 : 65534;
	for (i = 0; i < PACKETS_MAX && in.left; i++) {
		n = next_packet(&in, pkt);
		if (send(sv[1], pkt, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n)
			abort();
		open_fd = srv.conn[0].fd;
		memcpy(before, table, tsize);
		serve_one(&srv, &srv.conn[0], &d);
		batch_run(&srv, &d); /* the end of the loop's turn */
		if (!well_formed(pkt, n)) {
			FUZZ_CHECK(srv.conn[0].fd < 0,
				   "malformed packet of %zu bytes kept the connection", n);
			FUZZ_CHECK(recv(sv[1], pkt, RAW_MAX, MSG_DONTWAIT) <= 0,
				   "malformed packet got a reply");
			break;
		}
		memcpy(&type, pkt, sizeof(type));
		if (is_ctl(type)) {
			got = recv(sv[1], ctl_reply, sizeof(ctl_reply), MSG_DONTWAIT | MSG_TRUNC);
			check_ctl_reply(pkt, ctl_reply, got, root, table, tsize, &pool);
			FUZZ_CHECK(root || !memcmp(before, table, tsize),
				   "a refused ctl request changed the table");
			FUZZ_CHECK((srv.conn[0].fd == open_fd) == root,
				   "ctl request: connection %s", root ? "lost" : "kept");
			check_table(table, tsize, &pool);
			if (!root)
				break;
			continue;
		}
		FUZZ_CHECK(srv.conn[0].fd == open_fd, "well-formed packet lost the connection");
		check_reply(sv[1], pkt, &pool, &(struct oracle){&conv, pat});
		check_table(table, tsize, &pool);
	}
	check_table(table, tsize, &pool);
	if (srv.conn[0].fd >= 0)
		close(srv.conn[0].fd);
	close(sv[1]);
	registry_free(d.reg);
	cn_pattern_free(pat);
	free(table);
	free(before);
	return 0;
}
