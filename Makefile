# vunify: top-level Makefile.
#
# Non-recursive: every directory adds its programs, libraries and tests in its
# own module.mk, so a change to one part never needs to touch the others.
#
#   make            build everything into build/bin/
#   make check      build, then run every test (unit and integration, as root)
#   make demo       install dependencies, build, and show the main job end to end
#   make deps       install the Debian 12 build and test dependencies (apt-get)
#   make install    install binaries, man pages, vunify.service, the init
#                   script and bash completion (PREFIX, DESTDIR; dist/module.mk)
#   make deb        build/vunify_VERSION_ARCH.deb (dpkg-deb; dist/module.mk)
#   make deb-check  build it, lintian it, install it, mount through it, remove it
#   make bench      run the benchmarks in bench/ (not part of check)
#   make fuzz       run every libFuzzer target for FUZZ_TIME seconds (default
#                   60) with clang, ASan and UBSan; check replays their corpus
#                   (tests/fuzz/module.mk)
#
# SANITIZE=address,undefined (any -fsanitize= list) builds everything, tests
# included, with those sanitizers; `make check SANITIZE=address,undefined`
# then fails a test on any sanitizer report (tests/run).  The flags a build
# used are recorded in build/flags; a change of them rebuilds every object,
# so plain and sanitized objects are never mixed in build/.

PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= gcc
CFLAGS  ?= -O2 -g
WERROR  ?= 1
PKG_CONFIG ?= pkg-config
comma := ,

BUILD := build
BIN   := $(BUILD)/bin
OBJ   := $(BUILD)/obj

VU_WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
           -Wstrict-prototypes -Wno-unused-parameter -Wvla
ifeq ($(WERROR),1)
VU_WARN += -Werror
endif
VU_CFLAGS := -std=gnu11 $(VU_WARN) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
             -fno-strict-aliasing -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
             -Iinclude -MMD -MP
VU_LDFLAGS := -Wl,-z,relro,-z,now

# Sanitizers.  One build directory: build/bin stays what the tests run, and
# build/flags (rewritten only when the compiler, flags or SANITIZE change)
# is a prerequisite of every object, so switching between a plain and a
# sanitized build rebuilds everything and never links the two kinds
# together.  The flags go into CFLAGS because every compile and link line
# (programs, unit tests, test helpers) uses CFLAGS.  UBSan findings abort
# (-fno-sanitize-recover) so that they fail a test instead of scrolling by.
# _FORTIFY_SOURCE is dropped under ASan: the fortified __*_chk functions are
# not intercepted by ASan, so they would hide the accesses it should check.
SANITIZE ?=
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
                   -fno-sanitize-recover=undefined
ifneq ($(filter address,$(subst $(comma), ,$(SANITIZE))),)
VU_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=%,$(VU_CFLAGS))
endif
endif
VU_FLAGS := $(BUILD)/flags
VU_FLAGS_NOW = $(CC) $(VU_CFLAGS) $(CFLAGS) $(VU_LDFLAGS)
.PHONY: vu_force
$(VU_FLAGS): vu_force
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = '$(VU_FLAGS_NOW)' ] || echo '$(VU_FLAGS_NOW)' > $@

# pkg-config is evaluated lazily (=), so that `make deps` works on a machine
# that does not have the -dev packages yet.
FUSE_CFLAGS = $(shell $(PKG_CONFIG) --cflags fuse3 2>/dev/null)
FUSE_LIBS   = $(shell $(PKG_CONFIG) --libs fuse3 2>/dev/null || echo -lfuse3)

PROGRAMS :=
MANPAGES :=
TEST_PROGRAMS :=
DEPFILES :=

.PHONY: all check demo deps install uninstall bench clean
all:

# $(call vu_program,NAME,OBJECTS,LIBRARIES,LDLIBS): link build/bin/NAME.
define vu_program
PROGRAMS += $$(BIN)/$(1)
DEPFILES += $$(patsubst %.o,%.d,$(2))
$$(BIN)/$(1): $(2) $(3)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(VU_LDFLAGS) -o $$@ $(2) $(3) $(4)
endef

include unify/module.mk
include fs/module.mk
include daemon/module.mk
include tools/module.mk
include tests/module.mk
include tests/fuzz/module.mk
include tests/mutate/module.mk
include dist/module.mk

all: $(PROGRAMS)

$(OBJ)/%.o: %.c $(VU_FLAGS)
	@mkdir -p $(@D)
	$(CC) $(VU_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS_$(<D)) -c -o $@ $<

-include $(DEPFILES)

# The test runner; TESTS=pattern picks a subset (shell glob on the test path).
check: all $(TEST_PROGRAMS)
	tests/run $(if $(TESTS),--only '$(TESTS)')

demo:
	$(MAKE) deps
	$(MAKE) all
	tools/demo.sh

# Debian 12 packages needed to build, test and benchmark.  `deps` asks dpkg
# first and calls apt-get only for what is missing, so it is cheap to repeat.
# libasan8 and libubsan1 (SANITIZE=) come with gcc-12; named for clarity.
DEB_BUILD := gcc make pkg-config libc6-dev libfuse3-dev fuse3 libattr1-dev \
             libsqlite3-dev libxxhash-dev libinih-dev libseccomp-dev libcap-dev \
             libasan8 libubsan1
# vunifyfs speaks FUSE over io_uring itself (fs/uring.c).
DEB_BUILD += liburing-dev
DEB_TEST  := libcmocka-dev attr acl sqlite3 util-linux procps psmisc kmod \
             iproute2 e2fsprogs xfsprogs busybox-static debootstrap \
             ca-certificates fio jq lxcfs
# [network] nat = yes runs nft(8) (tests/vserver/network-modes.t).
DEB_TEST  += nftables
# vserver migrate runs ssh; tests/vserver/migrate*.t start a private sshd.
DEB_TEST  += openssh-client openssh-server
# make fuzz: clang and its libFuzzer/sanitizer runtimes.
DEB_FUZZ  := clang libclang-rt-14-dev
# make deb, make deb-check: dpkg-shlibdeps and lintian.
DEB_PKG   := dpkg-dev lintian
deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST) $(DEB_FUZZ) $(DEB_PKG); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	echo "deps: installing" $$missing; \
	if [ "$$(id -u)" != 0 ]; then echo "deps: must run as root to install packages" >&2; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANPAGES)))

# BENCH_ARGS: options for bench/run, e.g. make bench BENCH_ARGS=--quick.
# bench/run installs the packages the benchmarks need (its BENCH_PKGS).
bench: all
	bench/run $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
