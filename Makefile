# SPDX-License-Identifier: MIT
# maptrace build.  Objects go out of tree into .output/, binaries into bin/.
#   make            build the library, mapload, the BPF objects and maptrace
#   make test       install missing packages, build, run every test tier
#   make -s list-tests   the tests tests/run.sh runs, one "name|timeout|command" a line
#   make demo       install missing packages, build, run maptrace on a mapload growth storm
#   make bench      library benchmarks (ratios measured side by side in one run)
#   make bench-overhead  what tracing costs, against bpftrace, perf and bcc (bench/README.md)
#   make bench-sites     what one uprobe hit costs, by the kind of instruction probed
#   make bench-real      what tracing costs Redis, GLib, libcmap and C++ workloads, against bpftrace
#   make fuzz       fuzz the trace-file reader (FUZZ_TIME=600 seconds)
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel's BTF
#   make install PREFIX=/usr/local
#   V=1             show full commands

OUTPUT ?= .output
PREFIX ?= /usr/local
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN := -Wall -Wextra
CFLAGS ?= -O2 -g -fno-omit-frame-pointer
ALL_CFLAGS := $(CFLAGS) $(WARN) -pthread -MMD -MP $(EXTRA_CFLAGS)
INCLUDES := -Iinclude -Ilib -I$(OUTPUT) -Iuser
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	-Ivmlinux/$(ARCH) -Iinclude -I/usr/include/$(MULTIARCH) -MMD -MP

LIB_SRCS := lib/cmap.c lib/ccmap.c
LIB_OBJS := $(LIB_SRCS:%.c=$(OUTPUT)/%.o)
LIB_NOPROBE_OBJS := $(LIB_SRCS:%.c=$(OUTPUT)/noprobes/%.o)
LIBCMAP_A := $(OUTPUT)/libcmap.a
LIBCMAP_SO := $(OUTPUT)/libcmap.so

MAPLOAD_SRCS := $(wildcard mapload/*.c)
MAPLOAD_OBJS := $(MAPLOAD_SRCS:%.c=$(OUTPUT)/%.o)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:%.bpf.c=$(OUTPUT)/%.bpf.o)
SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(OUTPUT)/%.skel.h)

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(USER_SRCS:%.c=$(OUTPUT)/%.o)
USER_LIBS := -lbpf -ldw -lelf -lz -lm -lmicrohttpd -lcapstone -lstdc++

TEST_BPF_SRCS := $(wildcard tests/bpf/*.bpf.c)
TEST_SKELS := $(TEST_BPF_SRCS:tests/bpf/%.bpf.c=$(OUTPUT)/tests/bpf/%.skel.h)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(wildcard tests/unit/test_*.c))
TEST_PROGS := $(patsubst tests/progs/%.c,$(OUTPUT)/tests/progs/%,$(filter-out tests/progs/lockchain.c tests/progs/ghash.c,$(wildcard tests/progs/*.c))) \
	      $(OUTPUT)/tests/progs/ghash $(OUTPUT)/tests/progs/cxxmaps
LIBMAPTRACE_A := $(OUTPUT)/libmaptrace.a

LIB_TESTS := $(patsubst tests/lib/%.c,$(OUTPUT)/tests/lib/%,$(filter-out tests/lib/test_stress.c,$(wildcard tests/lib/test_*.c)))
STRESS_TESTS := $(OUTPUT)/tests/lib/test_stress_tsan $(OUTPUT)/tests/lib/test_stress_asan
UNIT_ASAN_TESTS := $(OUTPUT)/tests/unit/test_trace_file_asan
BPF_TESTS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))

# Every test, in the order tests/run.sh runs them: the tiers that need no root first (the map
# library, mapload, unit tests), then those that load BPF.  Programs are named after what builds
# them above, scripts are found by name: a new tests/unit/test_foo.c or tests/maptrace/test_foo.sh
# is built and run without another edit.
TESTS := $(sort $(LIB_TESTS) $(STRESS_TESTS)) $(wildcard tests/lib/test_*.sh) \
	 $(wildcard tests/mapload/test_*.sh) $(sort $(UNIT_TESTS) $(UNIT_ASAN_TESTS)) \
	 $(wildcard tests/unit/test_*.sh) \
	 $(BPF_TESTS) $(wildcard tests/maptrace/test_*.sh)
TEST_TIMEOUT ?= 120

BINS := bin/mapload $(if $(USER_SRCS),bin/maptrace)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all lib test test-build list-tests demo bench bench-overhead bench-sites bench-real fuzz deps \
	readme-png vmlinux install clean

all: lib $(BINS)

lib: $(LIBCMAP_A) $(LIBCMAP_SO)

deps:
	$(Q)scripts/deps.sh

# --- the reference map library -------------------------------------------------------------
$(OUTPUT)/lib/%.o: lib/%.c | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC $(INCLUDES) -c $< -o $@

$(OUTPUT)/noprobes/lib/%.o: lib/%.c | $(OUTPUT)/noprobes/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -DCMAP_NO_PROBES $(INCLUDES) -c $< -o $@

$(LIBCMAP_A): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/libcmap-noprobes.a: $(LIB_NOPROBE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBCMAP_SO): $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -pthread -Wl,-soname,libcmap.so.1 $^ -o $@
	$(Q)ln -sf libcmap.so $@.1

# --- mapload: the workload -----------------------------------------------------------------
$(OUTPUT)/mapload/%.o: mapload/%.c | $(OUTPUT)/mapload
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) -c $< -o $@

bin/mapload: $(MAPLOAD_OBJS) $(LIBCMAP_A) | bin
	$(call msg,LD,$@)
	$(Q)$(CC) -pthread $(MAPLOAD_OBJS) $(LIBCMAP_A) -lm -o $@

# The same workload linked against libcmap.so: probes then live in a shared library.
bin/mapload-shared: $(MAPLOAD_OBJS) $(LIBCMAP_SO) | bin
	$(call msg,LD,$@)
	$(Q)$(CC) -pthread $(MAPLOAD_OBJS) -L$(OUTPUT) -l:libcmap.so -lm \
		-Wl,-rpath,$(abspath $(OUTPUT)) -o $@

# --- BPF programs and skeletons ------------------------------------------------------------
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c | $(OUTPUT)/tests/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/tests/bpf/%.skel.h: $(OUTPUT)/tests/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- maptrace ------------------------------------------------------------------------------
$(OUTPUT)/user/%.o: user/%.c $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) -c $< -o $@

bin/maptrace: $(USER_OBJS) | bin
	$(call msg,LD,$@)
	$(Q)$(CC) -pthread $^ $(USER_LIBS) -o $@

# Everything but main(), for unit tests.
$(LIBMAPTRACE_A): $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# --- tests ---------------------------------------------------------------------------------
$(OUTPUT)/tests/lib/test_%: tests/lib/test_%.c $(LIBCMAP_A) | $(OUTPUT)/tests/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBCMAP_A) -o $@

# The stress test is compiled together with the library sources so the sanitizers see inside.
$(OUTPUT)/tests/lib/test_stress_tsan: tests/lib/test_stress.c $(LIB_SRCS) | $(OUTPUT)/tests/lib
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) -pthread -fsanitize=thread $(INCLUDES) $^ -o $@

$(OUTPUT)/tests/lib/test_stress_asan: tests/lib/test_stress.c $(LIB_SRCS) | $(OUTPUT)/tests/lib
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) -pthread -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined $(INCLUDES) $^ -o $@

$(OUTPUT)/tests/bpf/test_%: tests/bpf/test_%.c $(TEST_SKELS) | $(OUTPUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) -I$(OUTPUT)/tests/bpf $< -lbpf -lelf -lz -o $@

$(OUTPUT)/tests/unit/test_%: tests/unit/test_%.c $(LIBMAPTRACE_A) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBMAPTRACE_A) $(USER_LIBS) -o $@

$(OUTPUT)/tests/progs/%: tests/progs/%.c $(LIBCMAP_A) | $(OUTPUT)/tests/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBCMAP_A) -o $@

# gonm: a Go binary's functions from maptrace's pclntab reader (the Go tests' bpftrace oracle)
$(OUTPUT)/tests/progs/gonm: tests/progs/gonm.c $(LIBMAPTRACE_A) | $(OUTPUT)/tests/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBMAPTRACE_A) $(USER_LIBS) -o $@

# mapload as a non-PIE executable: probes at fixed addresses.
$(OUTPUT)/tests/progs/mapload-nopie: $(MAPLOAD_SRCS) $(LIB_SRCS) | $(OUTPUT)/tests/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -pthread -fno-pie -no-pie $(INCLUDES) $^ -lm -o $@

# A GLib GHashTable workload, for the built-in glib profile's tests.
$(OUTPUT)/tests/progs/ghash: tests/progs/ghash.c | $(OUTPUT)/tests/progs
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) $< $$(pkg-config --cflags --libs glib-2.0) -o $@

# Standard C++ unordered containers, for the built-in libstdc++ profile's tests (g++ -O2: the
# rehash code is inlined into main, as in production builds).
CXX ?= g++
$(OUTPUT)/tests/progs/cxxmaps: tests/progs/cxxmaps.cpp | $(OUTPUT)/tests/progs
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -Wall -Wextra $< -o $@

# The same waiting stack with and without frame pointers, for the unwinding tests.
$(OUTPUT)/tests/progs/lockchain-nofp: tests/progs/lockchain.c | $(OUTPUT)/tests/progs
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer $(WARN) -pthread $< -o $@

$(OUTPUT)/tests/progs/lockchain-fp: tests/progs/lockchain.c | $(OUTPUT)/tests/progs
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer $(WARN) -pthread $< -o $@

# Go test programs (tests/progs/go/NAME.go, Debian's Go), each built with symbols and stripped
# (-ldflags=-s: only .gopclntab is left); GOCACHE and GOPATH under .output, nothing in $HOME.
GO ?= go
GO_ENV := GO111MODULE=off GOFLAGS= GOCACHE=$(abspath $(OUTPUT))/go/cache \
	GOPATH=$(abspath $(OUTPUT))/go/path
GO_PROGS := $(foreach p,$(patsubst tests/progs/go/%.go,%,$(wildcard tests/progs/go/*.go)), \
	$(OUTPUT)/tests/progs/go/$(p) $(OUTPUT)/tests/progs/go/$(p)-stripped)
# gomap also as a PIE, whose pclntab lives in .data.rel.ro and moves with the load address
GO_PROGS += $(OUTPUT)/tests/progs/go/gomap-pie $(OUTPUT)/tests/progs/go/gomap-pie-stripped
$(OUTPUT)/tests/progs/go/%-pie-stripped: tests/progs/go/%.go | $(OUTPUT)/tests/progs/go
	$(call msg,GO,$@)
	$(Q)$(GO_ENV) $(GO) build -buildmode=pie -ldflags=-s -o $@ $<
$(OUTPUT)/tests/progs/go/%-pie: tests/progs/go/%.go | $(OUTPUT)/tests/progs/go
	$(call msg,GO,$@)
	$(Q)$(GO_ENV) $(GO) build -buildmode=pie -o $@ $<
$(OUTPUT)/tests/progs/go/%-stripped: tests/progs/go/%.go | $(OUTPUT)/tests/progs/go
	$(call msg,GO,$@)
	$(Q)$(GO_ENV) $(GO) build -ldflags=-s -o $@ $<
$(OUTPUT)/tests/progs/go/%: tests/progs/go/%.go | $(OUTPUT)/tests/progs/go
	$(call msg,GO,$@)
	$(Q)$(GO_ENV) $(GO) build -o $@ $<
# Go 1.24 builds of the lock and map programs (Swiss maps, internal/sync.Mutex, Go 1.24's
# RWMutex semaphores), with symbols and stripped, by Debian trixie's golang-1.24 that
# scripts/go124.sh unpacks into .output/go124 (make deps runs it; never installed in the
# system).  Built only when that toolchain is there: without it maptrace-go124 says how to get it.
GO124_ROOT := $(abspath $(OUTPUT))/go124/root/usr/lib/go-1.24
GO124_ENV := GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local GOPROXY=off GOROOT=$(GO124_ROOT) \
	GOCACHE=$(abspath $(OUTPUT))/go124/cache GOPATH=$(abspath $(OUTPUT))/go/path
GO124_PROGS := $(foreach p,gogrow golock gorw goswiss, \
	$(OUTPUT)/tests/progs/go124/$(p) $(OUTPUT)/tests/progs/go124/$(p)-stripped)
# tests/progs/go124/NAME.go: programs that read Go 1.24+ runtime structures (Go 1.24 only)
$(OUTPUT)/tests/progs/go124/%-stripped: tests/progs/go124/%.go | $(OUTPUT)/tests/progs/go124
	$(call msg,GO124,$@)
	$(Q)$(GO124_ENV) $(GO124_ROOT)/bin/go build -ldflags=-s -o $@ $<
$(OUTPUT)/tests/progs/go124/%: tests/progs/go124/%.go | $(OUTPUT)/tests/progs/go124
	$(call msg,GO124,$@)
	$(Q)$(GO124_ENV) $(GO124_ROOT)/bin/go build -o $@ $<
$(OUTPUT)/tests/progs/go124/%-stripped: tests/progs/go/%.go | $(OUTPUT)/tests/progs/go124
	$(call msg,GO124,$@)
	$(Q)$(GO124_ENV) $(GO124_ROOT)/bin/go build -ldflags=-s -o $@ $<
$(OUTPUT)/tests/progs/go124/%: tests/progs/go/%.go | $(OUTPUT)/tests/progs/go124
	$(call msg,GO124,$@)
	$(Q)$(GO124_ENV) $(GO124_ROOT)/bin/go build -o $@ $<
test-build: all $(GO_PROGS) $(if $(wildcard $(GO124_ROOT)/bin/go),$(GO124_PROGS)) $(OUTPUT)/tests/progs/mapload-nopie $(OUTPUT)/tests/progs/lockchain-nofp \
	$(OUTPUT)/tests/progs/lockchain-fp bin/mapload-shared $(OUTPUT)/libcmap-noprobes.a \
	$(filter $(OUTPUT)/%,$(TESTS)) $(TEST_PROGS)

# One "name|timeout|command" line per test, for tests/run.sh.  The name is the directory and the
# file name less "test_", dashed: tests/unit/test_trace_file.c is unit-trace-file, its ASan build
# unit-trace-file-asan, tests/mapload/test_mapload.sh just mapload.  The timeout is TEST_TIMEOUT
# seconds unless the test's source has a line "/* timeout: N */" or "# timeout: N" (a sanitizer
# build reads the source it is built from).  Scripts run as they are: they must be executable.
list-tests:
	@for t in $(TESTS); do \
		case $$t in \
		$(OUTPUT)/*) src=$${t#$(OUTPUT)/}.c; \
			[ -e "$$src" ] || src=$${src%_[at]san.c}.c ;; \
		*) src=$$t ;; \
		esac; \
		dir=$${src#tests/}; dir=$${dir%%/*}; \
		base=$${t##*/}; base=$${base#test_}; base=$${base%.sh}; \
		name=$$dir-$$base; [ "$$base" != "$$dir" ] || name=$$dir; \
		secs=$$(sed -n -E 's@^(#|/\*) timeout: ([0-9]+).*@\2@p' "$$src" | head -n 1); \
		echo "$$(echo "$$name" | tr _ -)|$${secs:-$(TEST_TIMEOUT)}|$$t"; \
	done

test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# docs/report.png, the README's picture of -f html (root, chromium)
readme-png: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/readme-png.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/bench/bench_lib $(OUTPUT)/bench/bench_lib_noprobes
	$(Q)bench/run.sh

# make bench-overhead: maptrace against bpftrace, perf and bcc, and its own costs (bench/README.md)
BENCH_OVERHEAD_BINS := $(OUTPUT)/bench/floor $(OUTPUT)/bench/futexcall $(OUTPUT)/bench/inserts \
	$(OUTPUT)/bench/bench_lib $(OUTPUT)/bench/bench_lib_noprobes

bench-overhead: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_OVERHEAD_BINS)
	$(Q)bench/overhead.sh

# make bench-real: real programs (Redis, GLib, libcmap, tsgo) untraced, under maptrace, maptrace
# --detail and bpftrace, side by side (bench/README.md)
bench-real: deps
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/tests/progs/ghash $(OUTPUT)/bench/churn \
		$(OUTPUT)/tests/progs/cxxmaps \
		$(OUTPUT)/tests/progs/gonm
	$(Q)bench/real.sh

# make bench-sites: the cost of one probe hit by site kind, next to bpftrace (bench/README.md)
bench-sites: deps
	$(Q)$(MAKE) --no-print-directory test-build $(BENCH_OVERHEAD_BINS)
	$(Q)bash bench/sites.sh

# The floor: empty BPF programs, built and skeleton'ed like bpf/*.bpf.c.
$(OUTPUT)/bench/%.bpf.o: bench/%.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/%.skel.h: $(OUTPUT)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Attaches through maptrace's own uprobe_multi code (user/usdt.c), so only the program differs.
FLOOR_OBJS := $(OUTPUT)/user/usdt.o $(OUTPUT)/user/elfload.o
$(OUTPUT)/bench/floor: bench/floor.c $(OUTPUT)/bench/floor.skel.h $(FLOOR_OBJS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) -I$(OUTPUT)/bench $< $(FLOOR_OBJS) -lbpf -lelf -lz -o $@

$(OUTPUT)/bench/futexcall: bench/futexcall.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

$(OUTPUT)/bench/inserts: bench/inserts.c $(LIBCMAP_A) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBCMAP_A) -o $@

$(OUTPUT)/bench/churn: bench/churn.c $(LIBCMAP_A) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBCMAP_A) -o $@

$(OUTPUT)/bench/bench_lib: bench/bench_lib.c $(LIBCMAP_A) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(LIBCMAP_A) -o $@

$(OUTPUT)/bench/bench_lib_noprobes: bench/bench_lib.c $(OUTPUT)/libcmap-noprobes.a | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(INCLUDES) $< $(OUTPUT)/libcmap-noprobes.a -o $@

# The fuzz target for the trace-file reader: the user/ sources that need neither libbpf nor
# elfutils.  Built without CRC checks so mutated inputs reach the parsers.
REPORT_SRCS := user/model.c user/model_intern.c user/model_fold.c user/model_snapshot.c user/stackmerge.c user/sink.c user/lockkind.c user/hist.c user/advice.c user/advice_lock.c user/json_writer.c user/pprof_proto.c user/textfit.c user/cxxname.c \
	user/u64map.c user/readfile.c user/trace_writer.c user/trace_reader.c $(wildcard user/report*.c)
FUZZ_TIME ?= 600
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

$(OUTPUT)/fuzz/fuzz_trace_reader: fuzz/fuzz_trace_reader.c $(REPORT_SRCS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(INCLUDES) $^ -lz -lm -o $@

# make fuzz [FUZZ_TIME=seconds]: seeds from fuzz/corpus/, what it learns in .output/fuzz/corpus
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/fuzz/fuzz_trace_reader
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus
	$(Q)$(OUTPUT)/fuzz/fuzz_trace_reader -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz/ $(OUTPUT)/fuzz/corpus fuzz/corpus

# gopclntab on damaged Go binaries, under the sanitizers: the reader alone, compiled in.
$(OUTPUT)/tests/unit/test_gopclntab_corrupt: tests/unit/test_gopclntab_corrupt.c user/gopclntab.c | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined $(INCLUDES) $^ -lelf -o $@
$(OUTPUT)/tests/unit/test_trace_file_asan: tests/unit/test_trace_file.c $(REPORT_SRCS) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined $(INCLUDES) $^ -lz -lm -o $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIBCMAP_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBCMAP_SO) $(DESTDIR)$(PREFIX)/lib/libcmap.so.1
	ln -sf libcmap.so.1 $(DESTDIR)$(PREFIX)/lib/libcmap.so
	install -m 644 lib/cmap.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

$(OUTPUT)/lib $(OUTPUT)/noprobes/lib $(OUTPUT)/mapload $(OUTPUT)/bpf $(OUTPUT)/user \
$(OUTPUT)/tests/lib $(OUTPUT)/tests/bpf $(OUTPUT)/tests/unit $(OUTPUT)/tests/progs \
$(OUTPUT)/tests/progs/go $(OUTPUT)/tests/progs/go124 \
$(OUTPUT)/bench $(OUTPUT)/fuzz bin:
	$(Q)mkdir -p $@

clean:
	rm -rf $(OUTPUT) bin

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
