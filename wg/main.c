/* SPDX-License-Identifier: MIT */
/* autowg-helper: the privileged half. Flags, start-up, then the server loop. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/addr.h"
#include "../core/clock.h"
#include "../core/convert.h"
#include "../core/key.h"
#include "../core/pattern.h"
#include "../core/proto.h"
#include "fresh.h"
#include "daemon.h"
#include "log.h"
#include "server.h"

#define KEEPALIVE_DEFAULT 25
#define KEEPALIVE_MAX	  65535 /* WireGuard's persistent-keepalive range */
#define EXIT_USAGE	  2
#define PATTERN_ERR_MAX	  256
#define EXPIRE_AFTER_MIN  1	   /* --expire-after, seconds: tests use a few */
#define EXPIRE_AFTER_MAX  31536000 /* a year */
/* --min-rekey-interval: a device makes a new key when it boots or its tunnel
 * went stale, about once a minute at most; a name changing keys faster is a
 * loop (a cloned image, a script) costing WireGuard a peer change each time. */
#define MIN_REKEY_DEFAULT 5

struct options {
	const char *pool, *route, *endpoint, *http_prefix, *cn_pattern, *converter, *template;
	const char *socket, *socket_group, *backend, *ifname;
	uint32_t keepalive, max_peers, expire_after, node_id, min_rekey;
	int64_t fresh_offset;
	bool has_node_id;
	bool keep_peers, metrics_per_peer, install_routes;
};

static const char usage_text[] =
    "Usage: autowg-helper --pool P --route R --endpoint HOST [options] INTERFACE\n"
    "\n"
    "The privileged half of autowg: owns the WireGuard INTERFACE, assigns each\n"
    "device its address and serves the unprivileged FastCGI responders.\n"
    "\n"
    "  --pool P               IPv6 prefix the device addresses come from; at start\n"
    "                         every peer whose allowed IPs all lie inside it is\n"
    "                         removed (unless --keep-peers), and a static peer\n"
    "                         with some inside loses those, nothing else\n"
    "  --route R              IPv6 prefix devices route through the tunnel; holds P\n"
    "  --endpoint HOST        host name or address devices connect to; the port is\n"
    "                         read from the interface\n"
    "  --http-prefix PATH     URL prefix of the API, as the responders serve it\n"
    "                         (default /)\n"
    "  --cn-pattern RE        regex the whole certificate CN must match; group 1 (or\n"
    "                         the whole match) is the device name\n"
    "                         (default " CN_PATTERN_DEFAULT ")\n"
    "  --converter KIND       direct-bcd (names 0..9999 as the last 16 bits) or\n"
    "                         metans (BLAKE2b of the DNS name) (default direct-bcd)\n"
    "  --metans-template T    DNS name for metans, exactly one %%s (default %%s)\n"
    "  --keepalive SECONDS    persistent keepalive told to devices, 0..65535\n"
    "                         (default 25)\n"
    "  --socket PATH          responders' socket (default " HELPER_SOCKET_DEFAULT ");\n"
    "                         its directory must exist\n"
    "  --socket-group GROUP   group that may connect (socket mode 0660)\n"
    "  --max-peers N          registration table size, 1..%u (default %u)\n"
    "  --backend KIND         auto, kernel or userspace (default auto: userspace\n"
    "                         when a UAPI socket exists for INTERFACE)\n"
    "  --keep-peers           at start-up and when the interface comes back, keep\n"
    "                         the pool's peers (one /128 each) as registered\n"
    "                         instead of removing them\n"
    "  --expire-after SECONDS remove a registered peer quiet (no handshake, no\n"
    "                         bytes received) for that long, %u..%u (default off)\n"
    "  --min-rekey-interval SECONDS\n"
    "                         a device name takes a new key at most once in that\n"
    "                         time, 0..%u; sooner is refused with 429 and the\n"
    "                         seconds to wait (default %u; 0: no limit); the same\n"
    "                         key again is always accepted\n"
    "  --metrics-per-peer=yes|no  v1/metrics lists every peer (default yes); no\n"
    "                         keeps the totals only\n"
    "  --install-routes       keep a kernel route per device peer, for BIRD to\n"
    "                         announce: proto %u (autowg), ADDRESS/128 dev\n"
    "                         INTERFACE metric 2^31-F, F the freshness of its\n"
    "                         registration (default off); needs --node-id\n"
    "  --node-id N            this concentrator's number among those announcing\n"
    "                         the same pool, 0..%u, unique: the low bits of every\n"
    "                         freshness, so that two never tie\n"
    "  --freshness-offset SECONDS  a test aid: shift the clock freshness is read\n"
    "                         from by SECONDS, -%lld..%lld, as if this\n"
    "                         concentrator's clock were skewed (default 0)\n"
    "  --help                 this text\n"
    "  --version              print the version\n"
    "\n"
    "Environment:\n"
    "  WG_SOCKET_DIR          directory of userspace WireGuard's UAPI sockets\n"
    "                         (default " WG_SOCKET_DIR_DEFAULT "); ignored when set-id\n";

static void usage(FILE *f)
{
	fprintf(f, usage_text, AWG_MAX_PEERS_LIMIT, AWG_MAX_PEERS_DEFAULT, EXPIRE_AFTER_MIN,
		EXPIRE_AFTER_MAX, AWG_REKEY_INTERVAL_MAX, MIN_REKEY_DEFAULT, ROUTE_PROTO,
		AWG_NODE_ID_MAX, FRESH_OFFSET_MAX, FRESH_OFFSET_MAX);
}

static noreturn void bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, LOG_PREFIX);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'autowg-helper --help'.\n");
	exit(EXIT_USAGE);
}

static uint32_t parse_u32(const char *flag, const char *text, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (!*text || *end || errno || text[0] == '-' || v < min || v > max) {
		fprintf(stderr, LOG_PREFIX "%s: '%s' is not a number from %u to %u\n", flag, text,
			min, max);
		exit(EXIT_USAGE);
	}
	return (uint32_t)v;
}

static int64_t parse_i64(const char *flag, const char *text, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (!*text || *end || errno || v < min || v > max) {
		fprintf(stderr, LOG_PREFIX "%s: '%s' is not a number from %lld to %lld\n", flag,
			text, (long long)min, (long long)max);
		exit(EXIT_USAGE);
	}
	return v;
}

enum {
	OPT_POOL = 256,
	OPT_ROUTE,
	OPT_ENDPOINT,
	OPT_PREFIX,
	OPT_PATTERN,
	OPT_CONVERTER,
	OPT_TEMPLATE,
	OPT_KEEPALIVE,
	OPT_SOCKET,
	OPT_GROUP,
	OPT_MAX_PEERS,
	OPT_BACKEND,
	OPT_HELP,
	OPT_VERSION,
	OPT_HTTP_HOST,
	OPT_HTTP_PORT,
	OPT_KEEP_PEERS,
	OPT_EXPIRE_AFTER,
	OPT_METRICS_PER_PEER,
	OPT_INSTALL_ROUTES,
	OPT_FRESH_OFFSET,
	OPT_NODE_ID,
	OPT_MIN_REKEY
};

static const struct option long_opts[] = {
    {"pool", required_argument, NULL, OPT_POOL},
    {"route", required_argument, NULL, OPT_ROUTE},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"http-prefix", required_argument, NULL, OPT_PREFIX},
    {"cn-pattern", required_argument, NULL, OPT_PATTERN},
    {"converter", required_argument, NULL, OPT_CONVERTER},
    {"metans-template", required_argument, NULL, OPT_TEMPLATE},
    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"socket-group", required_argument, NULL, OPT_GROUP},
    {"max-peers", required_argument, NULL, OPT_MAX_PEERS},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"http-host", required_argument, NULL, OPT_HTTP_HOST},
    {"http-port", required_argument, NULL, OPT_HTTP_PORT},
    {"keep-peers", no_argument, NULL, OPT_KEEP_PEERS},
    {"expire-after", required_argument, NULL, OPT_EXPIRE_AFTER},
    {"metrics-per-peer", required_argument, NULL, OPT_METRICS_PER_PEER},
    {"install-routes", no_argument, NULL, OPT_INSTALL_ROUTES},
    {"freshness-offset", required_argument, NULL, OPT_FRESH_OFFSET},
    {"node-id", required_argument, NULL, OPT_NODE_ID},
    {"min-rekey-interval", required_argument, NULL, OPT_MIN_REKEY},
    {NULL, 0, NULL, 0},
};

static void parse_args(int argc, char **argv, struct options *o)
{
	char why[160];
	int c;

	*o = (struct options){.http_prefix = "/",
			      .cn_pattern = CN_PATTERN_DEFAULT,
			      .converter = "direct-bcd",
			      .template = NULL,
			      .socket = HELPER_SOCKET_DEFAULT,
			      .backend = "auto",
			      .keepalive = KEEPALIVE_DEFAULT,
			      .max_peers = AWG_MAX_PEERS_DEFAULT,
			      .min_rekey = MIN_REKEY_DEFAULT,
			      .metrics_per_peer = true};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_POOL:
			o->pool = optarg;
			break;
		case OPT_ROUTE:
			o->route = optarg;
			break;
		case OPT_ENDPOINT:
			o->endpoint = optarg;
			break;
		case OPT_PREFIX:
			o->http_prefix = optarg;
			break;
		case OPT_PATTERN:
			o->cn_pattern = optarg;
			break;
		case OPT_CONVERTER:
			o->converter = optarg;
			break;
		case OPT_TEMPLATE:
			o->template = optarg;
			break;
		case OPT_KEEPALIVE:
			o->keepalive = parse_u32("--keepalive", optarg, 0, KEEPALIVE_MAX);
			break;
		case OPT_SOCKET:
			o->socket = optarg;
			break;
		case OPT_GROUP:
			o->socket_group = optarg;
			break;
		case OPT_MAX_PEERS:
			o->max_peers = parse_u32("--max-peers", optarg, 1, AWG_MAX_PEERS_LIMIT);
			break;
		case OPT_BACKEND:
			o->backend = optarg;
			break;
		case OPT_KEEP_PEERS:
			o->keep_peers = true;
			break;
		case OPT_EXPIRE_AFTER:
			o->expire_after =
			    parse_u32("--expire-after", optarg, EXPIRE_AFTER_MIN, EXPIRE_AFTER_MAX);
			break;
		case OPT_MIN_REKEY:
			o->min_rekey =
			    parse_u32("--min-rekey-interval", optarg, 0, AWG_REKEY_INTERVAL_MAX);
			break;
		case OPT_METRICS_PER_PEER:
			if (strcmp(optarg, "yes") && strcmp(optarg, "no"))
				bad_usage("--metrics-per-peer '%s': use yes or no", optarg);
			o->metrics_per_peer = !strcmp(optarg, "yes");
			break;
		case OPT_INSTALL_ROUTES:
			o->install_routes = true;
			break;
		case OPT_NODE_ID:
			o->node_id = parse_u32("--node-id", optarg, 0, AWG_NODE_ID_MAX);
			o->has_node_id = true;
			break;
		case OPT_FRESH_OFFSET:
			o->fresh_offset = parse_i64("--freshness-offset", optarg, -FRESH_OFFSET_MAX,
						    FRESH_OFFSET_MAX);
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("autowg-helper " AUTOWG_VERSION "\n");
			exit(0);
		case OPT_HTTP_HOST:
		case OPT_HTTP_PORT:
			bad_usage("%s: the web server listens now; set the address in its "
				  "configuration",
				  c == OPT_HTTP_HOST ? "--http-host" : "--http-port");
		case ':':
			bad_usage("%s needs a value", argv[optind - 1]);
		default:
			bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!o->pool || !o->route || !o->endpoint)
		bad_usage("%s", "--pool, --route and --endpoint are required");
	if (o->install_routes && !o->has_node_id) {
		snprintf(why, sizeof(why),
			 "--install-routes needs --node-id N: this concentrator's own number, 0 to "
			 "%u, unique among those announcing the pool",
			 AWG_NODE_ID_MAX);
		bad_usage("%s", why);
	}
	if (optind != argc - 1)
		bad_usage("%s", optind >= argc ? "INTERFACE is missing"
					       : "exactly one INTERFACE, please");
	o->ifname = argv[optind];
}

/* --endpoint: a host name or an address, never a port (that comes from the
 * interface). An IPv6 literal may come with or without brackets. */
static bool host_ok(const char *in, char out[AWG_HOST_MAX + 1], const char **why)
{
	size_t len = strlen(in), i;
	uint8_t a[16];

	if (len == 0 || len > AWG_HOST_MAX) {
		*why = "empty or too long";
		return false;
	}
	if (in[0] == '[' && in[len - 1] == ']' && len > 2) {
		snprintf(out, AWG_HOST_MAX + 1, "%.*s", (int)(len - 2), in + 1);
		if (addr6_parse(out, a, why))
			return true;
		*why = "not an IPv6 address in brackets";
		return false;
	}
	snprintf(out, AWG_HOST_MAX + 1, "%s", in);
	if (strchr(in, ':')) {
		if (addr6_parse(in, a, why))
			return true;
		*why = "not an IPv6 address; give the host only, the port is read from the "
		       "interface";
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!(in[i] >= 'a' && in[i] <= 'z') && !(in[i] >= 'A' && in[i] <= 'Z') &&
		    !(in[i] >= '0' && in[i] <= '9') && in[i] != '.' && in[i] != '-' &&
		    in[i] != '_') {
			*why = "a host name has only letters, digits, '.', '-' and '_'";
			return false;
		}
	}
	return true;
}

static bool http_prefix_ok(const char *p, const char **why)
{
	size_t i, len = strlen(p);

	if (len == 0 || len > AWG_HTTP_PREFIX_MAX || p[0] != '/') {
		*why = "must start with '/' and be at most 127 bytes";
		return false;
	}
	for (i = 0; i < len; i++) {
		if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '?' || p[i] == '#' || p[i] == '%') {
			*why = "only printable ASCII, no spaces, '?', '#' or '%'";
			return false;
		}
	}
	return true;
}

static bool group_lookup(const char *name, gid_t *gid)
{
	struct group *g = getgrnam(name);
	char *end;
	unsigned long v;

	if (g) {
		*gid = g->gr_gid;
		return true;
	}
	errno = 0;
	v = strtoul(name, &end, 10);
	if (!*name || *end || errno || v >= (gid_t)-1)
		return false;
	*gid = (gid_t)v;
	return true;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

struct config {
	struct prefix6 pool, route;
	struct converter conv;
	struct cn_pattern *pattern;
	bool has_gid;
	gid_t gid;
};

static void check_config(const struct options *o, struct daemon *d, struct config *cf)
{
	char err[PATTERN_ERR_MAX];
	enum converter_kind kind;
	const char *why = NULL;

	if (!prefix6_parse(o->pool, &cf->pool, &why))
		bad_usage("--pool: %s", why);
	if (!prefix6_parse(o->route, &cf->route, &why))
		bad_usage("--route: %s", why);
	if (!converter_kind_parse(o->converter, &kind))
		bad_usage("--converter '%s': use direct-bcd or metans", o->converter);
	if (strlen(o->cn_pattern) > AWG_CN_PATTERN_MAX)
		bad_usage("--cn-pattern: longer than %s bytes", "255");
	if (!host_ok(o->endpoint, d->host, &why))
		bad_usage("--endpoint: %s", why);
	if (!http_prefix_ok(o->http_prefix, &why))
		bad_usage("--http-prefix: %s", why);
	if (strlen(o->ifname) > AWG_IFNAME_MAX || !o->ifname[0])
		bad_usage("INTERFACE '%s': not an interface name", o->ifname);
	d->ops = wg_ops_pick(o->ifname, o->backend);
	if (!d->ops)
		bad_usage("--backend '%s': use auto, kernel or userspace", o->backend);
	if (o->socket_group && !(cf->has_gid = group_lookup(o->socket_group, &cf->gid)))
		bad_usage("--socket-group '%s': no such group", o->socket_group);
	if (o->expire_after && o->keepalive && o->expire_after <= o->keepalive)
		log_warn("--expire-after %u is not longer than --keepalive %u: a device that only "
			 "sends keepalives may be expired",
			 o->expire_after, o->keepalive);
	if (o->template && kind != CONVERTER_METANS)
		log_warn("--metans-template is only used by --converter metans");
	if (o->fresh_offset && !o->install_routes)
		log_warn("--freshness-offset is only used by --install-routes");
	if (o->has_node_id && !o->install_routes)
		log_warn("--node-id is only used by --install-routes");
	if (!pool_route_check(&cf->pool, &cf->route, &why))
		fatal("--pool %s, --route %s: %s", o->pool, o->route, why);
	if (!converter_init(&cf->conv, kind, &cf->pool, o->template, &why))
		fatal("--converter %s, --pool %s%s%s: %s", o->converter, o->pool,
		      o->template ? ", --metans-template " : "", o->template ? o->template : "",
		      why);
	cf->pattern = cn_pattern_compile(o->cn_pattern, err, sizeof(err));
	if (!cf->pattern)
		fatal("--cn-pattern '%s': %s", o->cn_pattern, err);
}

static void settings_init(const struct options *o, const struct config *cf, struct daemon *d)
{
	struct table_settings *s = &d->settings;

	memset(s, 0, sizeof(*s));
	snprintf(s->interface, sizeof(s->interface), "%s", o->ifname);
	prefix6_format(&cf->pool, s->pool);
	prefix6_format(&cf->route, s->route);
	snprintf(s->http_prefix, sizeof(s->http_prefix), "%s", o->http_prefix);
	snprintf(s->cn_pattern, sizeof(s->cn_pattern), "%s", o->cn_pattern);
	s->keepalive = o->keepalive;
	s->converter = cf->conv.kind;
	s->started = time(NULL);
	s->metrics_per_peer = o->metrics_per_peer;
	s->expire_after = o->expire_after;
	s->keep_peers = o->keep_peers;
	d->expire_after = o->expire_after;
}

/* The socket comes before the interface is touched: a second helper started
 * by mistake must fail on the socket, not flush the first one's peers.
 * Connections wait in the backlog until the flush is done. */
static void start(const struct options *o, struct config *cf, struct daemon *d, struct server *srv)
{
	struct registry_config rc = {.ifname = o->ifname,
				     .ops = d->ops,
				     .conv = &cf->conv,
				     .pattern = cf->pattern,
				     .capacity = o->max_peers};
	enum sync_step failed = SYNC_READ;
	const char *why = NULL;
	int ret;

	if (!if_nametoindex(o->ifname))
		fatal("%s: no such interface", o->ifname);
	/* subscribed to route changes before the first dump: none is missed */
	if (o->install_routes && (ret = routes_open(&cf->pool, &d->routes)))
		fatal("--install-routes: cannot open rtnetlink: %s", strerror(-ret));
	if (d->routes) {
		rc.routes = &route_rtnl_ops;
		rc.routes_ctx = d->routes;
		rc.fresh_offset = o->fresh_offset;
		rc.node_id = o->node_id;
	}
	ret = shm_table_create(&d->shm, o->max_peers, &why);
	if (ret)
		fatal("shared table of %u entries: %s: %s", o->max_peers, why, strerror(-ret));
	rc.table = d->shm.base;
	ret = registry_new(&rc, &d->reg);
	if (ret)
		fatal("registry of %u entries: %s", o->max_peers, strerror(-ret));
	registry_set_keep_peers(d->reg, o->keep_peers);
	registry_set_min_rekey(d->reg, o->min_rekey);
	settings_init(o, cf, d);
	ret = server_listen(srv, o->socket, cf->has_gid, cf->gid, &why);
	if (ret)
		fatal("socket %s: %s: %s", o->socket, why, strerror(-ret));
	ret = daemon_sync(d, &failed);
	if (ret)
		server_close(srv);
	if (ret == -ENODEV)
		fatal("%s: no such WireGuard interface (%s backend)", o->ifname, d->ops->name);
	if (ret && failed == SYNC_NO_KEY)
		fatal("%s: the interface has no private key (wg set %s private-key FILE)",
		      o->ifname, o->ifname);
	if (ret == -EPROTONOSUPPORT || (ret && failed == SYNC_READ))
		fatal("%s: not a WireGuard interface, or unreadable with the %s backend: %s",
		      o->ifname, d->ops->name, strerror(-ret));
	if (ret)
		fatal("%s: %s: %s", o->ifname, daemon_sync_text(failed), strerror(-ret));
	d->next_check_ms = clock_ms() + DAEMON_CHECK_MS;
}

/* ", installing routes (...)" for the start-up line, or "". */
static const char *routes_text(const struct options *o)
{
	static char text[128];
	char offset[48] = "";

	if (!o->install_routes)
		return "";
	if (o->fresh_offset)
		snprintf(offset, sizeof(offset), ", clock offset %+" PRId64 " s", o->fresh_offset);
	snprintf(text, sizeof(text),
		 ", installing routes (protocol %u, node %" PRIu32 ", freshness now %" PRIu32 "%s)",
		 ROUTE_PROTO, o->node_id, fresh_clock(time(NULL), o->fresh_offset, o->node_id),
		 offset);
	return text;
}

int main(int argc, char **argv)
{
	static struct server srv;
	char rekey[sizeof("key changes at most every 4294967295 s")] = "key changes not limited";
	struct options o;
	struct config cf;
	struct daemon d;

	memset(&d, 0, sizeof(d));
	memset(&cf, 0, sizeof(cf));
	parse_args(argc, argv, &o);
	d.ifname = o.ifname;
	check_config(&o, &d, &cf);
	signals();
	start(&o, &cf, &d, &srv);
	if (o.min_rekey)
		snprintf(rekey, sizeof(rekey), "key changes at most every %u s", o.min_rekey);
	log_info("started on %s (%s backend): endpoint %s, key %s, pool %s, route %s, "
		 "converter %s, %zu static peer%s, table of %u, socket %s%s%s%s, %s",
		 o.ifname, d.ops->name, d.settings.endpoint, d.settings.pubkey, d.settings.pool,
		 d.settings.route, converter_kind_name(cf.conv.kind), registry_static_count(d.reg),
		 registry_static_count(d.reg) == 1 ? "" : "s", o.max_peers, o.socket,
		 o.keep_peers ? ", keeping the pool's peers" : "",
		 o.expire_after ? ", expiring quiet peers" : "", routes_text(&o), rekey);
	server_run(&srv, &d, &stop);
	log_info("stopping: %u peer%s registered", registry_count(d.reg),
		 registry_count(d.reg) == 1 ? "" : "s");
	server_close(&srv);
	registry_free(d.reg);
	routes_close(d.routes);
	shm_table_close(&d.shm);
	cn_pattern_free(cf.pattern);
	return 0;
}
