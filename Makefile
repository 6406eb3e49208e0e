# autofs-restore-hook — build, install, test, demo, benchmarks.
#
#   make            build both hooks
#   make check      install what the tests need, then run unit, sanitizer, package and
#                   integration tests (the integration tests, and the unit tests that need
#                   autofs, in the project's VM where this host's kernel cannot serve them;
#                   VM=1 forces the VM, VM=0 this host)
#   make vm-shell   a root shell in the project's VM (VM_RELEASE, VM_CGROUP)
#   make vm-image   build the VM's guest images (make check does it when needed)
#   make check-vm-full  every integration file in the VM (make check runs a tier there)
#   make check-cgroup2  the core integration files in the VM on pure cgroup2, expected failures named
#   make check-kernels  the core integration files in the VM on kernels 6.1, 6.12 and the newest
#   make check-package  build the Debian package, lintian it, install it into a scratch root
#   make demo       boot a systemd container, break its automounts as a restore does, repair them
#   make bench      benchmarks
#   make fuzz       libFuzzer targets, each for FUZZ_SECONDS (default 60)
#   make mutate     mutation testing of the parsing and decision modules
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
            -Wmissing-include-dirs -Wimplicit-fallthrough -Wnull-dereference -Wswitch-enum \
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
FRONT_SRC := $(sort $(wildcard front/*.c))
OCI_SRC  := $(sort $(wildcard oci/*.c))
LXC_SRC  := $(sort $(wildcard lxc/*.c))
RIG_SRC  := tests/rig/autofs-break.c
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))

obj = $(patsubst %.c,$(BUILDDIR)/%.o,$(1))

HOOK_LIB := $(BUILDDIR)/hook/libautofs-restore.a
FRONT_LIB := $(BUILDDIR)/front/libfront.a
OCI_BIN  := $(BUILDDIR)/oci-autofs-restore
LXC_BIN  := $(BUILDDIR)/lxc-autofs-restore
RIG_BIN  := $(BUILDDIR)/autofs-break
# Plays a hostile container's systemd inside test containers; links libsystemd only.
HOSTILE_BIN := $(BUILDDIR)/hostile-systemd
# Shows what a process blocked on a replaced autofs sees for each possible answer; libc only.
PROBE_BIN := $(BUILDDIR)/autofs-answer-probe
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILDDIR)/tests/%,$(UNIT_SRC))
# Front-end objects without their main(), so unit tests can link the parsers they test.
OCI_LIB  := $(BUILDDIR)/oci/liboci.a
LXC_LIB  := $(BUILDDIR)/lxc/liblxc-front.a

.PHONY: vm-shell vm-image check-kernels check-cgroup2 check-vm-full
.PHONY: all deps check check-unit check-sanitize check-package check-integration demo bench install \
        uninstall clean format lint rig test-bin fuzz fuzz-build check-fuzz mutate
.DEFAULT_GOAL := all

all: $(OCI_BIN) $(LXC_BIN) $(RIG_BIN) $(HOSTILE_BIN) $(PROBE_BIN)
ifneq ($(FAULT_INJECTION),1)
all: test-bin
endif

# The hooks with fault injection, for the tests only: build/test-bin/.
test-bin:
	@$(MAKE) --no-print-directory FAULT_INJECTION=1 build/test-bin/oci-autofs-restore \
	  build/test-bin/lxc-autofs-restore

# Layers call downwards only: the engine (hook/) is compiled without the front-end headers, so an
# engine file that reached up would not build.
$(BUILDDIR)/front/%.o $(BUILDDIR)/oci/%.o $(BUILDDIR)/lxc/%.o $(BUILDDIR)/tests/%.o: \
        override CFLAGS += -Ifront

$(BUILDDIR)/%.o: %.c $(wildcard hook/*.h front/*.h oci/*.h lxc/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(HOOK_LIB): $(call obj,$(HOOK_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(FRONT_LIB): $(call obj,$(FRONT_SRC))
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(OCI_LIB): $(call obj,$(filter-out oci/main.c,$(OCI_SRC)))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(LXC_LIB): $(call obj,$(filter-out lxc/main.c,$(LXC_SRC)))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(OCI_BIN): $(call obj,oci/main.c) $(OCI_LIB) $(FRONT_LIB) $(HOOK_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(LXC_BIN): $(call obj,lxc/main.c) $(LXC_LIB) $(FRONT_LIB) $(HOOK_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(RIG_BIN): $(call obj,$(RIG_SRC)) $(HOOK_LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(PROBE_BIN): $(call obj,tests/rig/autofs-answer-probe.c)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(HOSTILE_BIN): $(call obj,tests/rig/hostile-systemd.c)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)

# Unit tests include the front ends' headers too.
$(BUILDDIR)/tests/unit/%.o: override CFLAGS += -Ioci -Ilxc

$(BUILDDIR)/tests/%: $(call obj,tests/unit/%.c) $(OCI_LIB) $(LXC_LIB) $(FRONT_LIB) $(HOOK_LIB)
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
	$(MAKE) check-fuzz
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

# Every integration file in the VM (make check runs its tier there: hours under emulation).
check-vm-full: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/check --full

# The core integration files on pure cgroup2 in the VM, with the expected failures of CRIU's
# cgroup2 limits named (not part of make check: about half an hour under emulation).
check-cgroup2: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/check --cgroup2-core

# The core integration files on each kernel Debian has (6.1, 6.12, the newest), in the VM.
check-kernels: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/check-kernels

vm-image: deps
	@tests/vm/build-image --release bookworm
	@tests/vm/build-image --release trixie

vm-shell: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/build-image --release "$${VM_RELEASE:-trixie}" >/dev/null
	@tests/vm/run --release "$${VM_RELEASE:-trixie}" --cgroup "$${VM_CGROUP:-unified}" \
	  --timeout "$${VM_TIMEOUT:-14400}" --shell

# Fuzzing: libFuzzer targets built with clang, ASan and UBSan, against the parsers compiled the
# same way. The seed corpora under tests/fuzz/corpus/ are only read; what a run finds goes to
# build-fuzz/corpus/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_DIR     := build-fuzz
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=gnu11 -Wall -Wextra -Wno-unused-parameter $(FUZZ_FLAGS) -D_GNU_SOURCE \
                -DVERSION='"$(VERSION)"' -DSYSCONFDIR='"$(SYSCONFDIR)"' -Ihook -Ifront -Ioci -Ilxc \
                $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_BIN     := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
FUZZ_LIB_SRC := $(HOOK_SRC) $(FRONT_SRC) $(filter-out oci/main.c,$(OCI_SRC)) $(filter-out lxc/main.c,$(LXC_SRC))
FUZZ_LIB     := $(FUZZ_DIR)/libfuzz-parsers.a

$(FUZZ_DIR)/%.o: %.c $(wildcard hook/*.h front/*.h oci/*.h lxc/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_DIR)/%.o,$(FUZZ_LIB_SRC))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/tests/fuzz/fuzz-%.o $(FUZZ_LIB)
	@echo "  LD      $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

.SECONDARY: $(patsubst %.c,$(FUZZ_DIR)/%.o,$(FUZZ_SRC))

fuzz-build: $(FUZZ_BIN)

# Each target for FUZZ_SECONDS, starting from its seeds and what earlier runs found.
fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# A smoke run for make check: every seed, then a few seconds of fuzzing each.
check-fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# Not part of make check: it rebuilds the tree once per mutation (minutes).
mutate:
	@tests/mutate/run

# After deps, a new make reads pkg-config's flags, which may have been missing before.
demo: deps
	@$(MAKE) --no-print-directory all
	@tests/rig/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/start

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
	rm -rf build build-asan build-fuzz

format:
	clang-format -i hook/*.[ch] front/*.[ch] oci/*.[ch] lxc/*.[ch] tests/unit/*.[ch] tests/rig/*.[ch]

# cppcheck does not know __attribute__((cleanup)), which frees what it calls leaks; ASan's
# leak checker in check-sanitize covers those.
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --suppress=memleak --suppress=resourceLeak \
	  --inline-suppr -Ihook -Ifront $(HOOK_SRC) $(FRONT_SRC) $(OCI_SRC) $(LXC_SRC) $(RIG_SRC) tests/rig/hostile-systemd.c tests/rig/autofs-answer-probe.c
