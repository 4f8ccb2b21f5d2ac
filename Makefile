# autowg: GNU make, pkg-config for every library.
#   make            build every program into build/
#   make check      build and run every test; last line "N passed, N failed"
#   make deps       install the Debian packages the build and tests need
#   make demo       autowg working in network namespaces, narrated, then removed
#   make CC=clang   the same with clang;  make check SANITIZE=1  with ASan/UBSan
.SUFFIXES:
# Keep objects of pattern-rule chains (test programs): make would delete them as intermediates.
.SECONDARY:

B	?= build
PKG_CONFIG ?= pkg-config
CFLAGS	?= -O2 -g
# The one version string: every program takes it from here (AUTOWG_VERSION
# for the C programs, @VERSION@ filled into autowg-client and the man pages).
VERSION	= 0.1
WARN	= -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 -Wno-format-nonliteral
XCFLAGS	= -std=gnu11 -D_GNU_SOURCE -DAUTOWG_VERSION='"$(VERSION)"' -fstack-protector-strong -fPIE $(WARN)
XLDFLAGS = -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
XCFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
XLDFLAGS += -fsanitize=address,undefined
endif

# Directories are trust boundaries; the link lines below prove it:
# only wg/ links libnl, only fcgi/ links libfcgi and libcrypto. cJSON is
# the tests' own JSON reader, never linked into a program.
CORE_PKGS = libsodium libpcre2-8
WG_PKGS	  = libnl-3.0 libnl-genl-3.0 libnl-route-3.0
FCGI_PKGS = fcgi libcrypto
TEST_PKGS = cmocka libcjson
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs	  = $(shell $(PKG_CONFIG) --libs $(1))
CORE_LIBS = $(call pc_libs,$(CORE_PKGS))
WG_LIBS	  = $(call pc_libs,$(WG_PKGS))
FCGI_LIBS = $(call pc_libs,$(FCGI_PKGS))

CORE_SRC  = $(wildcard core/*.c)
WG_SRC	  = $(filter-out wg/main.c,$(wildcard wg/*.c))
FCGI_SRC  = $(filter-out fcgi/main.c,$(wildcard fcgi/*.c))
CORET_SRC = $(wildcard tests/core/*.c)
WGT_SRC	  = $(wildcard tests/wg/*.c)
FCGIT_SRC = $(wildcard tests/fcgi/*.c)
CLIENT_SRC = $(wildcard tests/clients/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGS	= $(B)/autowg-addr $(B)/autowg-ctl $(B)/autowg-helper $(B)/autowg-fcgi $(B)/autowg-client
# Not "TESTS": that is tests/run's selector, and "make check TESTS=..." would override it.
TEST_PROGS = $(patsubst tests/%.c,$(B)/tests/%,$(CORET_SRC) $(WGT_SRC) $(FCGIT_SRC))
CLIENTS	= $(patsubst tests/clients/%.c,$(B)/tests/clients/%,$(CLIENT_SRC))

all: $(PROGS)

$(B)/obj/core/%.o: core/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(call pc_cflags,$(CORE_PKGS)) -MMD -MP -c -o $@ $<
$(B)/obj/wg/%.o: wg/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(call pc_cflags,$(CORE_PKGS) $(WG_PKGS)) -MMD -MP -c -o $@ $<
$(B)/obj/fcgi/%.o: fcgi/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(call pc_cflags,$(CORE_PKGS) $(FCGI_PKGS)) -MMD -MP -c -o $@ $<
$(B)/obj/contrib/%.o: contrib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(call pc_cflags,$(CORE_PKGS)) -MMD -MP -c -o $@ $<
$(B)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) -Wno-unused-parameter $(call pc_cflags,$(TEST_PKGS) $(CORE_PKGS) $(WG_PKGS) $(FCGI_PKGS)) -MMD -MP -c -o $@ $<

$(B)/libcore.a: $(call obj,$(CORE_SRC))
	rm -f $@; ar rcs $@ $^
$(B)/libwg.a: $(call obj,$(WG_SRC))
	rm -f $@; ar rcs $@ $^
$(B)/libfcgi.a: $(call obj,$(FCGI_SRC))
	rm -f $@; ar rcs $@ $^

$(B)/autowg-addr: $(B)/obj/contrib/autowg-addr.o $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)
# autowg-ctl, root's tool for the helper's socket: core only, like the responders' side.
$(B)/autowg-ctl: $(B)/obj/contrib/autowg-ctl.o $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)
$(B)/autowg-helper: $(B)/obj/wg/main.o $(B)/libwg.a $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(WG_LIBS) $(CORE_LIBS)
$(B)/autowg-fcgi: $(B)/obj/fcgi/main.o $(B)/libfcgi.a $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(FCGI_LIBS) $(CORE_LIBS)
# The device client is sh: the version filled in, nothing compiled.
$(B)/autowg-client: contrib/autowg-client Makefile
	@mkdir -p $(@D)
	sed 's|@VERSION@|$(VERSION)|g' contrib/autowg-client >$@.tmp && chmod 0755 $@.tmp && mv $@.tmp $@

# Unit tests: tests/core links core only, tests/wg adds wg/, tests/fcgi adds fcgi/.
$(B)/tests/core/%: $(B)/obj/tests/core/%.o $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,cmocka) $(CORE_LIBS)
$(B)/tests/wg/%: $(B)/obj/tests/wg/%.o $(B)/libwg.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,cmocka) $(WG_LIBS) $(CORE_LIBS)
$(B)/tests/fcgi/%: $(B)/obj/tests/fcgi/%.o $(B)/libfcgi.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(TEST_PKGS)) $(FCGI_LIBS) $(CORE_LIBS)
# Test clients of the helper and the responders (load, raw frames): core only.
$(B)/tests/clients/%: $(B)/obj/tests/clients/%.o $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

tests: $(PROGS) $(TEST_PROGS) $(CLIENTS)

check: tests
	B=$(B) tests/run

deps:
	@tools/deps

# The whole thing on one machine, narrated, then removed again (root).
# Installs what is missing of the demo's packages first (only those: not
# the test tool chain), so a fresh machine needs only this.
demo:
	@tools/deps demo
	$(MAKE) B=$(B) all
	B=$(B) tools/demo

# Fuzzing: libFuzzer harnesses in tests/fuzz/, built with clang and
# -fsanitize=fuzzer,address,undefined into their own tree $(FUZZ_B) (every
# object there, core/ included, carries the fuzz flags; $(B) never does).
#   make fuzz                 build, then run each harness FUZZ_SECONDS (60)
#   make fuzz-build           build only, into $(FUZZ_B)
FUZZ_B	?= $(B)-fuzz
FUZZ_CC	?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
# Each harness links only what its part links: the trust boundaries hold here too.
FUZZ_CORE = $(patsubst %,$(B)/fuzz/fuzz_%,dn key table convert pattern)
FUZZ_FCGI = $(patsubst %,$(B)/fuzz/fuzz_%,cert request)
FUZZ_WG	  = $(patsubst %,$(B)/fuzz/fuzz_%,frames routes uapi netlink)

$(FUZZ_CORE): $(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(CORE_LIBS)
$(FUZZ_FCGI): $(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/libfcgi.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(call pc_libs,libcjson) $(FCGI_LIBS) $(CORE_LIBS) -lpthread
$(FUZZ_WG): $(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/libwg.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(WG_LIBS) $(CORE_LIBS)

# Run inside the fuzz tree only (B=$(FUZZ_B), the fuzz CC and CFLAGS).
fuzzers: $(FUZZ_CORE) $(FUZZ_FCGI) $(FUZZ_WG)

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" fuzzers

fuzz: fuzz-build
	FUZZ_B=$(FUZZ_B) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

.PHONY: fuzz fuzz-build fuzzers

# Install and uninstall, with PREFIX and DESTDIR as usual:
#   make install [PREFIX=/usr] [DESTDIR=/tmp/root]
#   make uninstall [PREFIX=...] [DESTDIR=...]    removes exactly what install put there
# Man pages get @VERSION@ and @PREFIX@ filled in; the systemd units' ExecStart
# and Documentation lines name /usr/local and are rewritten to $(PREFIX).
# VERSION is set at the top (tests/smoke/install.sh checks that every
# installed program and man page says it).
PREFIX	?= /usr/local
INSTALL	?= install
BINDIR	= $(PREFIX)/bin
SBINDIR	= $(PREFIX)/sbin
MANDIR	= $(PREFIX)/share/man
DOCDIR	= $(PREFIX)/share/doc/autowg
UNITDIR	= $(PREFIX)/lib/systemd/system
MAN1	= $(notdir $(wildcard man/*.1))
MAN8	= $(notdir $(wildcard man/*.8))
EXAMPLES = $(notdir $(filter-out conf/rt_protos.d,$(wildcard conf/*)))
# --install-routes: the name of routing protocol 213, so that
# "ip -6 route show proto autowg" works (iproute2 reads only /etc).
SYSCONFDIR ?= /etc
RT_PROTOS = $(SYSCONFDIR)/iproute2/rt_protos.d
UNITS	= $(notdir $(wildcard conf/*.service))
MAN_SED	= -e 's|@VERSION@|$(VERSION)|g' -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
UNIT_SED = -e '/^ExecStart=/s|/usr/local/|$(PREFIX)/|g' -e '/^Documentation=/s|/usr/local/|$(PREFIX)/|g'

install: $(PROGS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(RT_PROTOS)
	$(INSTALL) -m 0755 $(B)/autowg-helper $(B)/autowg-ctl $(B)/autowg-client $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 $(B)/autowg-fcgi $(B)/autowg-addr $(DESTDIR)$(BINDIR)/
	for f in $(MAN1); do sed $(MAN_SED) man/$$f >$(DESTDIR)$(MANDIR)/man1/$$f || exit 1; \
		chmod 0644 $(DESTDIR)$(MANDIR)/man1/$$f; done
	for f in $(MAN8); do sed $(MAN_SED) man/$$f >$(DESTDIR)$(MANDIR)/man8/$$f || exit 1; \
		chmod 0644 $(DESTDIR)$(MANDIR)/man8/$$f; done
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	for f in $(EXAMPLES); do sed $(UNIT_SED) conf/$$f >$(DESTDIR)$(DOCDIR)/examples/$$f || exit 1; \
		chmod 0644 $(DESTDIR)$(DOCDIR)/examples/$$f; done
	for f in $(UNITS); do sed $(UNIT_SED) conf/$$f >$(DESTDIR)$(UNITDIR)/$$f || exit 1; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$f; done
	$(INSTALL) -m 0644 conf/rt_protos.d/autowg.conf $(DESTDIR)$(RT_PROTOS)/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/autowg-helper $(DESTDIR)$(SBINDIR)/autowg-ctl \
		$(DESTDIR)$(SBINDIR)/autowg-client \
		$(DESTDIR)$(BINDIR)/autowg-fcgi $(DESTDIR)$(BINDIR)/autowg-addr \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(MAN1)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(MAN8)) \
		$(DESTDIR)$(DOCDIR)/README.md $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(EXAMPLES)) \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) $(DESTDIR)$(RT_PROTOS)/autowg.conf
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

.PHONY: install uninstall

# Benchmark: the whole lab under wrk, figures to stdout and bench/results.txt,
# PASS/MISS per goal (bench/README.md says which and why). Root, about 8 minutes.
# BENCH_ONLY=cluster make bench: only the cluster figure (bench/cluster.sh).
# bench/noop-fcgi is the ceiling: a do-nothing responder linking only libfcgi.
$(B)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(call pc_cflags,fcgi $(CORE_PKGS)) -MMD -MP -c -o $@ $<
$(B)/bench/noop-fcgi: $(B)/obj/bench/noop-fcgi.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,fcgi)
# bench/peers-render: peers.json from a 100,000-entry table, past wireguard-go's cap.
$(B)/bench/peers-render: $(B)/obj/bench/peers-render.o $(B)/libfcgi.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(FCGI_LIBS) $(CORE_LIBS)
# bench/cert-cost: the responder's cost of one client certificate, step by step.
$(B)/bench/cert-cost: $(B)/obj/bench/cert-cost.o $(B)/libfcgi.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(FCGI_LIBS) $(CORE_LIBS)

bench: $(PROGS) $(B)/tests/clients/awg-call $(B)/bench/noop-fcgi $(B)/bench/peers-render $(B)/bench/cert-cost
	B=$(B) bench/run.sh

# What --install-routes costs the helper: CPU per registration
# with and without it, per move. Root, a minute or two.
bench-routes: $(PROGS) $(B)/tests/clients/awg-call
	B=$(B) bench/routes.sh

.PHONY: bench bench-routes

clean:
	rm -rf $(B)

.PHONY: all tests check deps clean demo
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
