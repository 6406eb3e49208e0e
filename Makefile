# autofs-restore-hook — build, install, test, demo, benchmarks.
#
#   make            build both hooks
#   make check      install what the tests need, then run unit, sanitizer, package and
#                   integration tests
#   make check-package  build the Debian package, lintian it, install it into a scratch root
#   make demo       boot a systemd container, break its automounts as a restore does, repair them
#   make bench      benchmarks
#   make install    PREFIX=/usr/local DESTDIR=

VERSION     := 0.1.0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DATADIR     ?= $(PREFIX)/share
SYSCONFDIR  ?= /etc
BUILDDIR    ?= build

CC          ?= cc
PKG_CONFIG  ?= pkg-config
PKGS        := yajl mount libsystemd

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
            -Wformat=2 -Wformat-nonliteral -Wswitch-default -Wpointer-arith -Wundef \
            -Wmissing-include-dirs -Wimplicit-fallthrough -Wnull-dereference \
            -Wno-unused-parameter
HARDENING := -fstack-protector-strong -fstack-clash-protection -fPIE -D_FORTIFY_SOURCE=2
ifeq ($(FAULT_INJECTION),1)
  # The test build: stop points for the tests that kill a run half-way. Never installed.
  BUILDDIR  := build/test-bin
  FAULT_CFLAGS := -DAUTOFS_RESTORE_HOOK_FAULT_INJECTION
endif
ifeq ($(SANITIZE),1)
  BUILDDIR  := build-asan
  OPTFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  HARDENING := -fstack-protector-strong -fPIE
  SAN_LDFLAGS := -fsanitize=address,undefined
else
  OPTFLAGS  := -O2 -g
endif

CFLAGS   ?= $(OPTFLAGS)
override CFLAGS += -std=gnu11 $(WARNINGS) $(HARDENING) $(FAULT_CFLAGS) -DVERSION='"$(VERSION)"' \
                   -DSYSCONFDIR='"$(SYSCONFDIR)"' -D_GNU_SOURCE -Ihook \
                   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
override LDFLAGS += -pie -Wl,-z,relro -Wl,-z,now -Wl,--as-needed $(SAN_LDFLAGS)
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

HOOK_SRC := $(sort $(wildcard hook/*.c))
OCI_SRC  := $(sort $(wildcard oci/*.c))
LXC_SRC  := $(sort $(wildcard lxc/*.c))
RIG_SRC  := tests/rig/autofs-break.c
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))

obj = $(patsubst %.c,$(BUILDDIR)/%.o,$(1))

HOOK_LIB := $(BUILDDIR)/hook/libautofs-restore.a
OCI_BIN  := $(BUILDDIR)/oci-autofs-restore
LXC_BIN  := $(BUILDDIR)/lxc-autofs-restore
RIG_BIN  := $(BUILDDIR)/autofs-break
# Plays a hostile container's systemd inside test containers; links libsystemd only.
HOSTILE_BIN := $(BUILDDIR)/hostile-systemd
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILDDIR)/tests/%,$(UNIT_SRC))
# Front-end objects without their main(), so unit tests can link the parsers they test.
OCI_LIB  := $(BUILDDIR)/oci/liboci.a
LXC_LIB  := $(BUILDDIR)/lxc/liblxc-front.a

.PHONY: all deps check check-unit check-sanitize check-package check-integration demo bench install \
        uninstall clean format lint rig test-bin
.DEFAULT_GOAL := all

all: $(OCI_BIN) $(LXC_BIN) $(RIG_BIN) $(HOSTILE_BIN)
ifneq ($(FAULT_INJECTION),1)
all: test-bin
endif

# The hooks with fault injection, for the tests only: build/test-bin/.
test-bin:
	@$(MAKE) --no-print-directory FAULT_INJECTION=1 build/test-bin/oci-autofs-restore \
	  build/test-bin/lxc-autofs-restore

$(BUILDDIR)/%.o: %.c $(wildcard hook/*.h oci/*.h lxc/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(HOOK_LIB): $(call obj,$(HOOK_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(OCI_LIB): $(call obj,$(filter-out oci/main.c,$(OCI_SRC)))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(LXC_LIB): $(call obj,$(filter-out lxc/main.c,$(LXC_SRC)))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(OCI_BIN): $(call obj,oci/main.c) $(OCI_LIB) $(HOOK_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(LXC_BIN): $(call obj,lxc/main.c) $(LXC_LIB) $(HOOK_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(RIG_BIN): $(call obj,$(RIG_SRC)) $(HOOK_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(HOSTILE_BIN): $(call obj,tests/rig/hostile-systemd.c)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)

# Unit tests include the front ends' headers too.
$(BUILDDIR)/tests/unit/%.o: override CFLAGS += -Ioci -Ilxc

$(BUILDDIR)/tests/%: $(call obj,tests/unit/%.c) $(OCI_LIB) $(LXC_LIB) $(HOOK_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Installs missing Debian packages; a no-op when everything is there.
deps:
	@tests/rig/install-deps

check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) check-unit
	$(MAKE) check-sanitize
	$(MAKE) check-package
	$(MAKE) check-integration

check-unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

check-sanitize:
	$(MAKE) SANITIZE=1 check-unit

# Builds the .deb from a copy of the tree, so nothing lands next to the source.
check-package:
	@tests/package/check-package

check-integration: all
	@tests/run-integration

# After deps, a new make reads pkg-config's flags, which may have been missing before.
demo: deps
	@$(MAKE) --no-print-directory all
	@tests/rig/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run

install: all
	install -Dm755 $(OCI_BIN) $(DESTDIR)$(BINDIR)/oci-autofs-restore
	install -Dm755 $(LXC_BIN) $(DESTDIR)$(BINDIR)/lxc-autofs-restore
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(DATADIR)/containers/oci/hooks.d $(DESTDIR)$(DATADIR)/lxc/config
	sed 's|@BINDIR@|$(BINDIR)|g' docs/hooks.d/oci-autofs-restore.json.in \
	  > $(DESTDIR)$(DATADIR)/containers/oci/hooks.d/oci-autofs-restore.json
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' docs/lxc/autofs-restore.conf.in \
	  > $(DESTDIR)$(DATADIR)/lxc/config/autofs-restore.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/oci-autofs-restore $(DESTDIR)$(BINDIR)/lxc-autofs-restore
	rm -f $(DESTDIR)$(DATADIR)/containers/oci/hooks.d/oci-autofs-restore.json
	rm -f $(DESTDIR)$(DATADIR)/lxc/config/autofs-restore.conf
	rm -f $(DESTDIR)$(MANDIR)/man8/oci-autofs-restore.8 $(DESTDIR)$(MANDIR)/man8/lxc-autofs-restore.8
	rm -f $(DESTDIR)$(MANDIR)/man5/autofs-restore-hook.conf.5

clean:
	rm -rf build build-asan

format:
	clang-format -i hook/*.[ch] oci/*.[ch] lxc/*.[ch] tests/unit/*.[ch] tests/rig/*.[ch]

# cppcheck does not know __attribute__((cleanup)), which frees what it calls leaks; ASan's
# leak checker in check-sanitize covers those.
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --suppress=memleak --suppress=resourceLeak \
	  --inline-suppr -Ihook $(HOOK_SRC) $(OCI_SRC) $(LXC_SRC) $(RIG_SRC) tests/rig/hostile-systemd.c
