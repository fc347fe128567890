# slurm-vcluster — plain GNU make. `make`, `make check`, `make demo`,
# `make SANITIZE=1 …` (ASan+UBSan, built into build-san/), `make install`,
# `make uninstall`, `make dist`. A distribution's build passes RELEASE=1:
# its own CFLAGS (dpkg-buildflags) decide the FORTIFY level, and a compiler
# newer than ours may warn without failing the build; `make` and `make
# check` keep -Werror.

VERSION := $(shell cat VERSION)
PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
LIBDIR  ?= $(PREFIX)/lib
# The hooks proper live in SBINDIR/../libexec/vcluster (the launchers find
# them there, relative to themselves).
HOOKDIR  = $(SBINDIR)/../libexec/vcluster
# Where Slurm looks for SPANK plugins (Debian: /usr/lib/MULTIARCH/slurm-wlm).
SPANKDIR ?= $(LIBDIR)/slurm
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR  ?= $(PREFIX)/share/doc/slurm-vcluster
CC      ?= cc
PKG_CONFIG ?= pkg-config
# No built-in rules: make must never try to "remake" an included .d file by
# chaining its own implicit rules (%: %.o) into ours.
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

PKGS := jansson sqlite3 munge nettle libvirt libnl-route-3.0 libcrypto cmocka
# Everything below that asks an installed tool is evaluated on first use
# (in a recipe, after the pkgcheck guard), never when make reads this file:
# `make clean` or `make deps` must work on a machine without the packages,
# and a build must never run with flags read before they were installed.
# lazy VAR,CMD: VAR expands to CMD's output, CMD run at most once.
lazy = $(eval $(1) = $$(eval $(1) := $$$$(shell $(2)))$$(value $(1)))
$(call lazy,PKG_CFLAGS,$(PKG_CONFIG) --cflags $(PKGS))
$(call lazy,PKG_LIBS,$(PKG_CONFIG) --libs $(filter-out cmocka,$(PKGS)))
# Debian's libslurm-dev ships no .pc file; fall back to plain -lslurm.
$(call lazy,SLURM_CFLAGS,$(PKG_CONFIG) --cflags slurm 2>/dev/null)
$(call lazy,SLURM_LIBS,$(PKG_CONFIG) --libs slurm 2>/dev/null || echo -lslurm)
$(call lazy,CMOCKA_LIBS,$(PKG_CONFIG) --libs cmocka)

WARN := -std=c11 -Wall -Wextra $(if $(RELEASE),,-Werror) -Wshadow -Wformat=2 -Wno-unused-parameter \
        -Wmissing-prototypes -Wstrict-prototypes
# FORTIFY at our level unless the caller's flags chose one (dpkg-buildflags).
FORTIFY := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN := $(FORTIFY) -fstack-protector-strong -fPIE
ifeq ($(SANITIZE),1)
BUILD ?= build-san
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SANLD := -fsanitize=address,undefined
else
BUILD ?= build
OPT := -O2 -g
SANLD :=
endif

override CPPFLAGS += -D_GNU_SOURCE -DVC_VERSION='"$(VERSION)"'
override CFLAGS   += $(WARN) $(HARDEN) $(OPT) $(PKG_CFLAGS) $(SLURM_CFLAGS) -pthread
override LDFLAGS  += -pie -Wl,-z,relro,-z,now -Wl,--as-needed -pthread $(SANLD)
# net-snmp ships no .pc on Debian either; its own config tool gives the libs.
$(call lazy,SNMP_LIBS,net-snmp-config --netsnmp-libs 2>/dev/null || echo -lnetsnmp)
LIBS     := $(PKG_LIBS) $(SLURM_LIBS) $(SNMP_LIBS)

# The layers, as include paths: a file sees only the folders its layer may
# use, so an upward include does not compile. Lower layers first: lib/ sees
# only itself; the CLIs are pure clients of lib/; the tests see everything.
INC_lib       := lib
INC_switchcfg := lib switchcfg
INC_node      := lib node
INC_gateway   := lib gateway
INC_storage   := lib storage
INC_vlanalloc := lib switchcfg storage vlanalloc
INC_prolog    := lib node gateway
INC_epilog    := lib node gateway
INC_cli       := lib
INC_access    := lib
INC_spank_plugin := lib
INC_vlanalloc/vlanalloc.c := lib
INC_tests/fixtures := lib
INC_ALL       := lib switchcfg storage node gateway vlanalloc
# inc SRC: the -I flags of source file SRC: its own entry, else its
# folder's, else its top folder's, else all (tests, bench).
inc = $(addprefix -I,$(or $(INC_$(1)),$(INC_$(patsubst %/,%,$(dir $(1)))),$(INC_$(firstword $(subst /, ,$(1)))),$(INC_ALL)))

LIB_SRC  := $(wildcard lib/*.c)
SW_SRC   := $(wildcard switchcfg/*.c)
NODE_SRC := $(wildcard node/*.c)
GW_SRC   := $(wildcard gateway/*.c)
STOR_SRC := $(filter-out storage/storaged.c,$(wildcard storage/*.c))
VA_CORE  := $(filter-out vlanalloc/vlanallocd.c vlanalloc/vlanalloc.c,$(wildcard vlanalloc/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
FIX_SRC  := $(wildcard tests/fixtures/*.c)
BENCH_SRC := $(wildcard bench/*.c)
# The hooks proper: a dispatcher (main.c) and a file per Slurm context; the
# launcher (prolog/launch.c) is built on its own, libc only.
PROLOG_SRC := $(filter-out prolog/launch.c,$(wildcard prolog/*.c))
EPILOG_SRC := $(wildcard epilog/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBVC   := $(BUILD)/libvc.a
LIBSW   := $(BUILD)/libswitchcfg.a
LIBVA   := $(BUILD)/libvlanalloc.a
LIBNODE := $(BUILD)/libnode.a
LIBGW   := $(BUILD)/libgateway.a
LIBSTOR := $(BUILD)/libstorage.a
DAEMON  := $(BUILD)/bin/vlanallocd
CLI     := $(BUILD)/bin/vlanalloc
UNITS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOLS   := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
FIXTURES := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%,$(FIX_SRC))
BENCHES := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
# The Slurm side: the user's command, the hooks, the SPANK plugin.
UCLI    := $(BUILD)/bin/vcluster
# The hooks: a libc-only launcher in bin/ (what Slurm runs for every job),
# the hook proper in libexec/vcluster/ (run only for --vcluster jobs).
HOOKS   := $(BUILD)/bin/vcluster-prolog $(BUILD)/bin/vcluster-epilog
HOOKS_FULL := $(BUILD)/libexec/vcluster/vcluster-prolog $(BUILD)/libexec/vcluster/vcluster-epilog \
              $(BUILD)/libexec/vcluster/vcluster-forward
SPANK   := $(BUILD)/lib/spank_vcluster.so
PROGS   := $(DAEMON) $(CLI) $(UCLI) $(HOOKS) $(HOOKS_FULL) $(SPANK) $(BUILD)/bin/vcluster-storaged

.PHONY: all programs deb deb-check deps pkgcheck check unit integration bench demo install uninstall dist clean guest image fuzz fuzz-check
all: $(PROGS) $(TOOLS) $(FIXTURES)
# programs: only what is installed (a package build needs no test tools).
programs: $(PROGS)

# pkgcheck: before the first compiler runs, every library the build needs is
# installed, or the build stops saying which are missing and how to get them.
pkgcheck:
	@missing=$$(for p in $(PKGS); do $(PKG_CONFIG) --exists $$p 2>/dev/null || printf ' %s' $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: missing build dependencies (pkg-config knows none of:$$missing)." >&2; \
		echo "make: install them with ./bootstrap or scripts/deps, as root." >&2; \
		exit 1; \
	fi

$(BUILD)/obj/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call inc,$<) $(CFLAGS) -MMD -MP -c $< -o $@

# The archives, one a layer; made new each time, so a file moved away does
# not linger in the old one.
ARCHIVES := $(LIBVC) $(LIBSW) $(LIBVA) $(LIBNODE) $(LIBGW) $(LIBSTOR)
$(LIBVC): $(call obj,$(LIB_SRC))
$(LIBSW): $(call obj,$(SW_SRC))
$(LIBVA): $(call obj,$(VA_CORE))
$(LIBNODE): $(call obj,$(NODE_SRC))
$(LIBGW): $(call obj,$(GW_SRC))
$(LIBSTOR): $(call obj,$(STOR_SRC))
$(ARCHIVES):
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

ALL_LIBS := $(LIBVA) $(LIBNODE) $(LIBGW) $(LIBSTOR) $(LIBSW) $(LIBVC)

# What each program links: its object, then the archives of the layers it
# uses, upper first. One rule links them all (below the tests' list).
$(DAEMON): $(call obj,vlanalloc/vlanallocd.c) $(LIBVA) $(LIBSTOR) $(LIBSW) $(LIBVC)
$(BUILD)/bin/vcluster-storaged: $(call obj,storage/storaged.c) $(LIBSTOR) $(LIBVC)
$(CLI): $(call obj,vlanalloc/vlanalloc.c) $(LIBVC)
$(UCLI): $(call obj,$(wildcard cli/*.c)) $(LIBVC)
# the access path's forwarder (lib/access.h), started by the node prolog beside itself
$(BUILD)/libexec/vcluster/vcluster-forward: $(call obj,access/forward.c) $(LIBVC)
$(BUILD)/libexec/vcluster/vcluster-prolog: $(call obj,$(PROLOG_SRC)) $(LIBNODE) $(LIBGW) $(LIBVC)
$(BUILD)/libexec/vcluster/vcluster-epilog: $(call obj,$(EPILOG_SRC)) $(LIBNODE) $(LIBGW) $(LIBVC)
# The launchers: one source, the hook's name compiled in, libc only. Static
# pattern rules: they apply to these two targets and nothing else.
LAUNCH_OBJS := $(BUILD)/obj/prolog/launch-prolog.o $(BUILD)/obj/prolog/launch-epilog.o
$(LAUNCH_OBJS): $(BUILD)/obj/prolog/launch-%.o: prolog/launch.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call inc,$<) $(WARN) $(HARDEN) $(OPT) -DVC_HOOK_NAME='"vcluster-$*"' -MMD -MP -c $< -o $@
$(HOOKS): $(BUILD)/bin/vcluster-%: $(BUILD)/obj/prolog/launch-%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# spank_vcluster.so is loaded into sbatch, salloc, srun and slurmstepd, none
# of which is built with sanitizers, so its objects are always plain PIC
# (never -fsanitize), in $(BUILD)/pic/, whatever SANITIZE says. It does not
# link libslurm: the SPANK and hostlist symbols come from the Slurm program
# that loads it. Only the lib/ members it uses are pulled from the archive.
SPANK_SRC := $(wildcard spank_plugin/*.c)
pic = $(patsubst %.c,$(BUILD)/pic/%.o,$(1))
PIC_CFLAGS = $(WARN) $(FORTIFY) -fstack-protector-strong -fPIC -O2 -g $(PKG_CFLAGS) $(SLURM_CFLAGS) -pthread
$(BUILD)/pic/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call inc,$<) $(PIC_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/pic/libvc.a: $(call pic,$(LIB_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(SPANK): $(call pic,$(SPANK_SRC)) $(BUILD)/pic/libvc.a spank_plugin/spank_vcluster.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,--version-script=spank_plugin/spank_vcluster.map \
		-o $@ $(call pic,$(SPANK_SRC)) $(BUILD)/pic/libvc.a $(PKG_LIBS) -pthread

$(UNITS): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALL_LIBS)
$(UNITS): LINK_LIBS = $(CMOCKA_LIBS)
$(TOOLS): $(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(ALL_LIBS)
$(BENCHES): $(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(ALL_LIBS)
# Test fixtures stand in for real equipment (tests/fixtures/NAME.c →
# $(BUILD)/fixtures/NAME), e.g. an SNMP switch built on net-snmp's agent
# library; they use lib/ only, never the code they help to test. Only
# net-snmp's NETSNMP_* defines are taken from its cflags: the rest (-O2,
# -I/usr/local/include, perl's CORE) would override ours.
NETSNMP_CONFIG ?= net-snmp-config
$(call lazy,NETSNMP_BASE_CFLAGS,$(NETSNMP_CONFIG) --base-cflags 2>/dev/null)
NETSNMP_CFLAGS = $(filter -DNETSNMP_%,$(NETSNMP_BASE_CFLAGS))
$(call lazy,NETSNMP_AGENT_LIBS,$(NETSNMP_CONFIG) --agent-libs 2>/dev/null)
$(call obj,$(FIX_SRC) switchcfg/drv_snmp.c): override CFLAGS += $(NETSNMP_CFLAGS)
$(FIXTURES): $(BUILD)/fixtures/%: $(BUILD)/obj/tests/fixtures/%.o $(LIBVC)
$(FIXTURES): LINK_LIBS = $(NETSNMP_AGENT_LIBS)

# The one link rule: every program, test, tool, benchmark and fixture above,
# from its objects and archives in the order given, then the system
# libraries (and the target's own LINK_LIBS).
LINKED := $(DAEMON) $(BUILD)/bin/vcluster-storaged $(CLI) $(UCLI) $(HOOKS_FULL) $(UNITS) $(TOOLS) $(BENCHES) $(FIXTURES)
$(LINKED):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS) $(LINK_LIBS)

# Fuzzers (tests/fuzz/fuzz_NAME.c → build-fuzz/fuzz_NAME): libFuzzer targets
# built with clang, ASan and UBSan, over the code that parses what users,
# peers and daemons send. Their objects are compiled apart from the normal
# build (clang, -fsanitize=fuzzer-no-link) into build-fuzz/.
FUZZ_CC    ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIBSRC := $(LIB_SRC) $(SW_SRC) $(STOR_SRC) gateway/aptindex.c
fobj = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))
$(FUZZ_BUILD)/obj/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(call inc,$<) -Itests/fuzz $(WARN) -Wno-unused-command-line-argument -Wno-unused-variable -g -O1 \
		-fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PKG_CFLAGS) $(SLURM_CFLAGS) \
		$(if $(findstring drv_snmp,$<),$(NETSNMP_CFLAGS)) -pthread -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libfuzzvc.a: $(call fobj,$(FUZZ_LIBSRC))
	rm -f $@ && $(AR) rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libfuzzvc.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread -o $@ $^ $(LIBS)

# fuzz: each fuzzer for FUZZ_TIME seconds from its corpus (tests/fuzz/corpus/
# NAME/, kept in the tree; new inputs go to a scratch dir, not the tree).
.PRECIOUS: $(FUZZ_BUILD)/obj/%.o
fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$$(basename $$f); d=$$(mktemp -d); \
		echo "== $$n ($(FUZZ_TIME) s)"; \
		$$f -max_total_time=$(FUZZ_TIME) -artifact_prefix=$(FUZZ_BUILD)/ -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			$$d tests/fuzz/corpus/$$n; rm -rf $$d; done
# fuzz-check (part of check): every corpus input once, then 5 s of fuzzing
# each from a fixed seed (the same inputs in every run, as far as the time
# allows), so a regression that crashes on a known input fails the suite.
fuzz-check: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$$(basename $$f); d=$$(mktemp -d); \
		echo "== $$n"; \
		for a in "-runs=0" "-seed=1 -max_total_time=5 $$d"; do \
			$$f $$a -artifact_prefix=$(FUZZ_BUILD)/ -timeout=10 -rss_limit_mb=2048 tests/fuzz/corpus/$$n >$$d.log 2>&1 || \
				{ tail -n 40 $$d.log; echo "FAIL $$n ($$a): see above" >&2; rm -rf $$d $$d.log; exit 1; }; \
			tail -n 1 $$d.log; done; \
		rm -rf $$d $$d.log; done

# deps: install every Debian package the build, tests and demo need (idempotent).
deps:
	scripts/deps

# unit: cmocka tests; each prints its own summary ("[  PASSED  ] N test(s).").
unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; $$t; done

# guest: the tiny test/demo guest (Debian's kernel + a busybox initramfs)
# in $(BUILD)/guest/: vmlinuz, initrd.img. Downloads the kernel package once.
guest:
	scripts/guest-image $(BUILD)/guest

# image: a real Debian 12 guest that configures itself with cloud-init,
# built from Debian packages by mmdebstrap (scripts/debian-image, as root),
# kept in IMAGE_CACHE outside the tree under a key of its recipe, so a
# second run (and CI) reuses it. Prints the image's directory; its
# image.conf is the ImageName= line to use.
IMAGE_CACHE ?= /var/cache/vcluster-images
image:
	@scripts/debian-image $(IMAGE_CACHE)

# integration: real munged + real vlanallocd, driven through the real CLIs.
integration: all guest
	tests/integration/run $(BUILD)

# check: the whole suite — the fresh-machine build test, the Debian packages,
# the fuzzers over their corpora, hardened build, unit
# tests plain and under ASan+UBSan, integration against the sanitized daemon
# and then the hardened one. It installs nothing: ./bootstrap check does.
check:
	tests/build/test_fresh_machine.sh
	$(MAKE) deb-check
	$(MAKE) fuzz-check
	$(MAKE) unit
	$(MAKE) SANITIZE=1 unit
	$(MAKE) SANITIZE=1 integration
	$(MAKE) integration

bench: all $(BENCHES)
	bench/run $(BUILD)

demo: all guest
	scripts/demo $(BUILD)

# install: the programs, the plugin, the man pages (their paths made the
# prefix's), the examples and the plugstack.conf.d drop-in naming the plugin
# where it was installed.
MAN_PAGES := man/vcluster.1 man/vcluster.conf.5 man/vlanalloc.8 man/vlanallocd.8 man/vcluster-storaged.8 \
             man/vcluster-prolog.8 man/spank_vcluster.8
SYSTEMD_UNITS := etc/systemd/vlanallocd.service etc/systemd/vcluster-storaged@.service
EXAMPLES := etc/vcluster.conf.example etc/plugstack.conf.example etc/slurm.conf.vcluster.example
install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(SPANKDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/slurm/plugstack.conf.d $(DESTDIR)$(UNITDIR)
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/vlanallocd
	install -m 0755 $(CLI) $(DESTDIR)$(SBINDIR)/vlanalloc
	install -m 0755 $(BUILD)/bin/vcluster-storaged $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(HOOKS) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(HOOKS_FULL) $(DESTDIR)$(HOOKDIR)/
	install -m 0755 $(UCLI) $(DESTDIR)$(BINDIR)/vcluster
	install -m 0644 $(SPANK) $(DESTDIR)$(SPANKDIR)/spank_vcluster.so
	for m in $(MAN_PAGES); do \
		sed -e 's|/usr/local/sbin|$(SBINDIR)|g; s|/usr/local/lib/slurm|$(SPANKDIR)|g' $$m \
			>$(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m) || exit 1; done
	for e in $(EXAMPLES); do \
		sed -e 's|/usr/local/sbin|$(SBINDIR)|g; s|/usr/local/lib/slurm|$(SPANKDIR)|g' $$e \
			>$(DESTDIR)$(DOCDIR)/examples/$$(basename $$e) || exit 1; done
	for u in $(SYSTEMD_UNITS); do sed -e 's|/usr/sbin|$(SBINDIR)|g' $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; done
	printf '# slurm-vcluster: --vcluster for sbatch, salloc and srun (see spank_vcluster(8))\nrequired %s conf=%s\n' \
		'$(SPANKDIR)/spank_vcluster.so' '$(SYSCONFDIR)/vcluster/vcluster.conf' \
		>$(DESTDIR)$(SYSCONFDIR)/slurm/plugstack.conf.d/vcluster.conf

# uninstall: exactly what install put there (never the admin's vcluster.conf).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vlanallocd $(DESTDIR)$(SBINDIR)/vlanalloc $(DESTDIR)$(SBINDIR)/vcluster-storaged \
		$(DESTDIR)$(SBINDIR)/vcluster-prolog $(DESTDIR)$(SBINDIR)/vcluster-epilog \
		$(DESTDIR)$(HOOKDIR)/vcluster-prolog $(DESTDIR)$(HOOKDIR)/vcluster-epilog \
		$(DESTDIR)$(BINDIR)/vcluster $(DESTDIR)$(SPANKDIR)/spank_vcluster.so \
		$(DESTDIR)$(SYSCONFDIR)/slurm/plugstack.conf.d/vcluster.conf
	for m in $(MAN_PAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); done
	for e in $(EXAMPLES); do rm -f $(DESTDIR)$(DOCDIR)/examples/$$(basename $$e); done
	for u in $(SYSTEMD_UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) $(DESTDIR)$(HOOKDIR) 2>/dev/null

# deb: Debian packages (dpkg-buildpackage -b) of the tree's files (what git
# tracks or would, not ignored build output), built in a scratch copy; the
# .debs land in build/deb/.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -x -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	rm -rf build/deb/src
	@ls build/deb/*.deb
# deb-check (part of check): build the packages and check what they hold.
deb-check: deb
	tests/build/test_packages.sh build/deb

# dist: slurm-vcluster-VERSION.tar.gz of what git tracks at HEAD.
dist:
	git archive --format=tar.gz --prefix=slurm-vcluster-$(VERSION)/ -o slurm-vcluster-$(VERSION).tar.gz HEAD
	@echo slurm-vcluster-$(VERSION).tar.gz

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
# The fuzzers' objects too: without their .d files a changed header (a struct
# grown) left them stale, and fuzz-check crashed in code that had not changed.
-include $(shell find $(FUZZ_BUILD) -name '*.d' -type f 2>/dev/null)
