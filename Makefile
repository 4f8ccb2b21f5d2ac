# autowg: plain make, pkg-config for every library.
#   make            build every program into build/
#   make check      build and run every test; last line "N passed, N failed"
#   make deps       install the Debian packages the build and tests need
#   make CC=clang   the same with clang;  make check SANITIZE=1  with ASan/UBSan
.POSIX:
.SUFFIXES:

CC	?= cc
B	?= build
PKG_CONFIG ?= pkg-config
CFLAGS	?= -O2 -g
# .POSIX makes GNU make's built-in defaults c99 and -O1, which "?=" keeps.
ifeq ($(origin CC),default)
CC	= cc
endif
ifeq ($(origin CFLAGS),default)
CFLAGS	= -O2 -g
endif
WARN	= -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 -Wno-format-nonliteral
XCFLAGS	= -std=gnu11 -D_GNU_SOURCE -fstack-protector-strong -fPIE $(WARN)
XLDFLAGS = -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
XCFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
XLDFLAGS += -fsanitize=address,undefined
endif

# Directories are trust boundaries; the link lines below prove it:
# only wg/ links libnl, only fcgi/ links libfcgi, cJSON and libcrypto.
CORE_PKGS = libsodium libpcre2-8
WG_PKGS	  = libnl-3.0 libnl-genl-3.0
FCGI_PKGS = fcgi libcjson libcrypto
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs	  = $(shell $(PKG_CONFIG) --libs $(1))
CORE_LIBS = $(call pc_libs,$(CORE_PKGS))
WG_LIBS	  = $(call pc_libs,$(WG_PKGS))
FCGI_LIBS = $(call pc_libs,$(FCGI_PKGS))

CORE_SRC  = $(wildcard core/*.c)
WG_SRC	  = $(filter-out wg/main.c,$(wildcard wg/*.c))
FCGI_SRC  = $(filter-out fcgi/main.c,$(wildcard fcgi/*.c))
UNIT_SRC  = $(wildcard tests/unit/*.c)
WGT_SRC	  = $(wildcard tests/wg/*.c)
FCGIT_SRC = $(wildcard tests/fcgi/*.c)
TOOL_SRC  = $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGS	= $(B)/autowg-addr $(B)/autowg-helper $(B)/autowg-fcgi
# Not "TESTS": that is tests/run's selector, and "make check TESTS=..." would override it.
TEST_PROGS = $(patsubst tests/%.c,$(B)/tests/%,$(UNIT_SRC) $(WGT_SRC) $(FCGIT_SRC))
TOOLS	= $(patsubst tests/tools/%.c,$(B)/tests/tools/%,$(TOOL_SRC))

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
	$(CC) $(CFLAGS) $(XCFLAGS) -Wno-unused-parameter $(call pc_cflags,cmocka $(CORE_PKGS) $(WG_PKGS) $(FCGI_PKGS)) -MMD -MP -c -o $@ $<

$(B)/libcore.a: $(call obj,$(CORE_SRC))
	rm -f $@; ar rcs $@ $^
$(B)/libwg.a: $(call obj,$(WG_SRC))
	rm -f $@; ar rcs $@ $^
$(B)/libfcgi.a: $(call obj,$(FCGI_SRC))
	rm -f $@; ar rcs $@ $^

$(B)/autowg-addr: $(B)/obj/contrib/autowg-addr.o $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)
$(B)/autowg-helper: $(B)/obj/wg/main.o $(B)/libwg.a $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(WG_LIBS) $(CORE_LIBS)
$(B)/autowg-fcgi: $(B)/obj/fcgi/main.o $(B)/libfcgi.a $(B)/libcore.a
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(FCGI_LIBS) $(CORE_LIBS)

# Unit tests: tests/unit links core only, tests/wg adds wg/, tests/fcgi adds fcgi/.
$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,cmocka) $(CORE_LIBS)
$(B)/tests/wg/%: $(B)/obj/tests/wg/%.o $(B)/libwg.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,cmocka) $(WG_LIBS) $(CORE_LIBS)
$(B)/tests/fcgi/%: $(B)/obj/tests/fcgi/%.o $(B)/libfcgi.a $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,cmocka) $(FCGI_LIBS) $(CORE_LIBS)
# Test tools (load clients, raw-frame senders): core only.
$(B)/tests/tools/%: $(B)/obj/tests/tools/%.o $(B)/libcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

tests: $(PROGS) $(TEST_PROGS) $(TOOLS)

check: tests
	B=$(B) tests/run

deps:
	@tools/deps

# The whole thing on one machine, narrated, then removed again (root).
# Installs what is missing first, so a fresh machine needs only this.
demo:
	@tools/deps
	$(MAKE) B=$(B) all
	B=$(B) tools/demo

clean:
	rm -rf $(B)

.PHONY: all tests check deps clean demo
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
