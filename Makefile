# sleet — build, check and test.
#
#   make                 build/sleet/core.so and the driver modules
#                        build/sleet/driver/{postgresql,mysql}.so, Lua 5.4
#   make core            build/sleet/core.so alone
#   make drivers         the driver modules alone
#   make LUA=luajit      the same in build-luajit/, against LuaJIT 2.1
#   make asan            the same in build-asan/, with ASan + UBSan
#   make check-c         build and run the C unit tests (spec/c/*_test.c)
#   make check-c-live    the C tests that need the servers (SLEET_TEST_*)
#   make fuzz            build the libFuzzer targets (clang) and run each
#                        for FUZZ_SECONDS (60) from its seed corpus
#                        spec/fuzz/corpus/<target>/ (scripts/fuzz.sh):
#                          render    random statement trees rendered for
#                                    the three dialects (SQL, DDL)
#                          snapshot  mutated drizzle-kit and sleet
#                                    snapshots parsed and diffed in pairs
#                          nested    the nested-row JSON decoder
#                          mywire    server bytes read by the MySQL
#                                    wire driver
#                          pgwire    server bytes into the PostgreSQL
#                                    wire engine and driver
#                        (FUZZ_WORK=DIR: where new and crashing inputs
#                        go, build/fuzz/ by default)
#   make fuzz-build      build them alone, into build/fuzz/
#   make example         run examples/blog/main.lua
#   make host            build and run examples/host (C embedding Lua 5.4)
#   make static          build/libsleet.a: the core and the drivers, for
#                        hosts that link sleet in (package.preload)
#   make host-static     examples/host linked with libsleet.a
#   make host-threads    examples/host/threads.c: a Lua state per thread,
#                        two threads per database, under ASan + UBSan
#   make test            everything, from a bare Debian 12 machine
#   make lint            luacheck
#   make format          clang-format the C sources in place
#   make format-check    fail if the C sources are not formatted
#   make rock            build and install the three rocks into ./rocktree
#   make bench           benchmarks: raw C, sleet and LuaSQL on SQLite,
#                        PostgreSQL and MariaDB; writes bench/RESULTS.md
#   make clean
#
# WERROR=1 turns warnings into errors (make test sets it).

LUA ?= lua5.4
WERROR ?= 0
SANITIZE ?= 0

PKG_CONFIG ?= pkg-config
LUA_BIN ?= $(LUA)
CLANG_FORMAT ?= clang-format
LUACHECK ?= luacheck
LUAROCKS ?= luarocks

ifeq ($(LUA),luajit)
  LUA_PC := luajit
  DEFAULT_BUILD := build-luajit
else
  LUA_PC := $(LUA)
  DEFAULT_BUILD := build
endif
ifeq ($(SANITIZE),1)
  DEFAULT_BUILD := build-asan
endif
BUILD ?= $(DEFAULT_BUILD)

# The module never links the Lua library: the interpreter that loads it
# provides the symbols.
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LUA_PC) sqlite3 jansson \
  libcrypto)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs sqlite3 jansson libcrypto)
# The C tests link the core alone; the diff tests apply DDL on SQLite, the
# wire engines need libcrypto.
CORE_LIBS := $(shell $(PKG_CONFIG) --libs jansson sqlite3 libcrypto)

WARN := -std=c99 -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
  -Wmissing-prototypes -Wundef -Wwrite-strings -Wpedantic
ifeq ($(WERROR),1)
  WARN += -Werror
endif

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
  OPT := -O1 -g $(SAN_FLAGS)
  SAN_LDFLAGS := $(SAN_FLAGS)
else
  OPT := -O2 -g
  SAN_LDFLAGS :=
endif

# -fvisibility=hidden: a module exports its luaopen_* entry only (SL_EXPORT).
ALL_CFLAGS := $(WARN) $(OPT) -fPIC -fvisibility=hidden -Iext -Idrivers \
  $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := -shared $(SAN_LDFLAGS) $(LDFLAGS)

# Sources of the module. Each driver is listed explicitly because each one
# brings its own client library.
CORE_SRC := $(sort $(wildcard ext/sl_*.c))
BIND_SRC := $(filter-out ext/lua_driver.c,$(sort $(wildcard ext/lua_*.c)))
DRIVER_SRC := drivers/sqlite.c drivers/proxy.c drivers/pgwire.c \
  drivers/mywire.c
SRC := $(CORE_SRC) $(BIND_SRC) $(DRIVER_SRC)
OBJ := $(SRC:%.c=$(BUILD)/obj/%.o)
MODULE := $(BUILD)/sleet/core.so

# C unit tests: the core alone, no Lua, built with the sanitizers so that
# memory errors in the renderer fail the test at once.
CTEST_DIR := build/c
CTEST_SRC := $(sort $(wildcard spec/c/*_test.c))
CTEST_BIN := $(CTEST_SRC:spec/c/%.c=$(CTEST_DIR)/%)
CTEST_CORE_OBJ := $(CORE_SRC:%.c=$(CTEST_DIR)/obj/%.o) $(CTEST_DIR)/obj/drivers/pgwire.o
CTEST_CFLAGS := $(WARN) -O1 -g $(SAN_FLAGS) -Iext -Idrivers \
  $(shell $(PKG_CONFIG) --cflags jansson) $(CFLAGS)

FORMAT_FILES = $(wildcard ext/*.c ext/*.h drivers/*.c drivers/*.h \
  spec/c/*.c spec/c/*.h spec/fuzz/*.c spec/fuzz/*.h examples/host/*.c)
# luacheck finds *.lua under directories; the command has no suffix.
LINT_PATHS = $(wildcard lua spec examples) $(wildcard bin/*)

# Drivers outside the core, one module (and one rock) per driver family:
# build/sleet/driver/<name>.so = drivers/<name>.c + the module entry
# ext/lua_driver.c + the core functions a driver calls, with its client
# library.
DRIVER_COMMON := ext/sl_error.c ext/sl_buf.c
PG_PC := libpq
MYSQL_PC := libmariadb
PG_MODULE := $(BUILD)/sleet/driver/postgresql.so
MYSQL_MODULE := $(BUILD)/sleet/driver/mysql.so
PG_OBJ := $(BUILD)/obj/drivers/postgresql.o \
  $(BUILD)/obj/driver-postgresql/lua_driver.o \
  $(DRIVER_COMMON:%.c=$(BUILD)/obj/%.o)
MYSQL_OBJ := $(BUILD)/obj/drivers/mysql.o \
  $(BUILD)/obj/driver-mysql/lua_driver.o \
  $(DRIVER_COMMON:%.c=$(BUILD)/obj/%.o)
DRIVER_MODULES := $(PG_MODULE) $(MYSQL_MODULE)
# A driver for the specs only (never installed): SQLite with the waits of a
# wire driver, for the host-I/O paths of the binding.
HOSTIO_MODULE := $(BUILD)/sleet/driver/hostio.so
HOSTIO_OBJ := $(BUILD)/obj/spec/support/hostio_driver.o \
  $(BUILD)/obj/driver-hostio/lua_driver.o $(BUILD)/obj/drivers/sqlite.o \
  $(CORE_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all core drivers asan luajit check-c check-c-live fuzz fuzz-build example host \
  host-threads host-static static test \
  lint format format-check rock bench clean FORCE

all: $(MODULE) $(DRIVER_MODULES) $(HOSTIO_MODULE)
core: $(MODULE)
drivers: $(DRIVER_MODULES)

$(BUILD)/obj/drivers/postgresql.o: EXTRA_CFLAGS = \
  $(shell $(PKG_CONFIG) --cflags $(PG_PC))
$(BUILD)/obj/drivers/mysql.o: EXTRA_CFLAGS = \
  $(shell $(PKG_CONFIG) --cflags $(MYSQL_PC))

$(BUILD)/obj/driver-%/lua_driver.o: ext/lua_driver.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DSL_DRIVER_SYMBOL=sl_driver_$* \
	  -DSL_DRIVER_OPEN=luaopen_sleet_driver_$* -MMD -MP -c -o $@ $<

# -z nodelete: the module, and with it libpq, stays loaded once a Lua state
# has required it. libpq keeps per-thread and one-time state that is lost
# when it is unloaded (a host closing one Lua state per thread would leak
# it at each close).
$(PG_MODULE): $(PG_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(PG_OBJ) $(ALL_LDFLAGS) -Wl,-z,nodelete \
	  $(shell $(PKG_CONFIG) --libs $(PG_PC))

$(MYSQL_MODULE): $(MYSQL_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(MYSQL_OBJ) $(ALL_LDFLAGS) \
	  $(shell $(PKG_CONFIG) --libs $(MYSQL_PC))

$(HOSTIO_MODULE): $(HOSTIO_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(HOSTIO_OBJ) $(ALL_LDFLAGS) $(PKG_LIBS)

$(MODULE): $(OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(ALL_LDFLAGS) $(PKG_LIBS)

# Objects depend on the flags they were compiled with, so that switching
# WERROR, LUA or CFLAGS rebuilds (and re-reports warnings).
$(BUILD)/obj/%.o: %.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/cflags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(ALL_CFLAGS)' > $@

asan:
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=build-asan all

luajit:
	@$(MAKE) --no-print-directory LUA=luajit BUILD=build-luajit all

check-c: $(CTEST_BIN)
	@bash scripts/run-c-tests.sh $(CTEST_BIN)

$(CTEST_DIR)/%_test: spec/c/%_test.c $(CTEST_CORE_OBJ) $(CTEST_DIR)/cflags
	@mkdir -p $(@D)
	$(CC) $(CTEST_CFLAGS) -MMD -MP -o $@ $< $(CTEST_CORE_OBJ) $(CORE_LIBS)

# The MySQL wire driver's test drives drivers/mywire.c through its vtable,
# beside drivers/mysql.c (libmariadb) whose results it must equal.
MYWIRE_TEST_OBJ := $(CTEST_DIR)/obj/drivers/mywire.o \
  $(CTEST_DIR)/obj/drivers/mysql.o
$(CTEST_DIR)/obj/drivers/mysql.o: CTEST_EXTRA = \
  $(shell $(PKG_CONFIG) --cflags $(MYSQL_PC))

$(CTEST_DIR)/mywire_test: spec/c/mywire_test.c $(CTEST_CORE_OBJ) \
  $(MYWIRE_TEST_OBJ) $(CTEST_DIR)/cflags
	@mkdir -p $(@D)
	$(CC) $(CTEST_CFLAGS) -Idrivers -MMD -MP -o $@ $< $(MYWIRE_TEST_OBJ) \
	  $(CTEST_CORE_OBJ) $(CORE_LIBS) $(shell $(PKG_CONFIG) --libs $(MYSQL_PC))

# The live part of the C tests, once the servers run (scripts/test.sh).
check-c-live: $(CTEST_DIR)/mywire_test
	@MYWIRE_TEST_LIVE=1 bash scripts/run-c-tests.sh $(CTEST_DIR)/mywire_test

# Kept between runs: make would otherwise delete them as intermediates.
.SECONDARY: $(CTEST_CORE_OBJ) $(MYWIRE_TEST_OBJ)

$(CTEST_DIR)/obj/%.o: %.c $(CTEST_DIR)/cflags
	@mkdir -p $(@D)
	$(CC) $(CTEST_CFLAGS) $(CTEST_EXTRA) -MMD -MP -c -o $@ $<

$(CTEST_DIR)/cflags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CTEST_CFLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(CTEST_CFLAGS)' > $@

# libFuzzer targets (spec/fuzz/*_fuzz.c), built with clang: the core and
# its Lua binding instrumented for coverage, ASan and UBSan. render and
# snapshot link the core alone; nested links the binding too, with the Lua
# library (a fuzz target is a program, not a module).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
# Where new corpus inputs and crashing inputs go.
FUZZ_WORK ?= $(FUZZ_DIR)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer
# clang warns about a few string literals split over lines in arrays that
# gcc accepts; they are meant that way.
FUZZ_CFLAGS := $(WARN) -Wno-string-concatenation -O1 -g $(FUZZ_SAN) \
  -Iext -Idrivers $(shell $(PKG_CONFIG) --cflags lua5.4 sqlite3 jansson \
  libcrypto) $(CFLAGS)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIND_OBJ := $(BIND_SRC:%.c=$(FUZZ_DIR)/obj/%.o) \
  $(DRIVER_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BIN := $(FUZZ_DIR)/render_fuzz $(FUZZ_DIR)/snapshot_fuzz \
  $(FUZZ_DIR)/nested_fuzz $(FUZZ_DIR)/pgwire_fuzz $(FUZZ_DIR)/mywire_fuzz

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@bash scripts/fuzz.sh -s $(FUZZ_SECONDS) -w $(FUZZ_WORK)

$(FUZZ_DIR)/render_fuzz $(FUZZ_DIR)/snapshot_fuzz: \
  $(FUZZ_DIR)/%_fuzz: spec/fuzz/%_fuzz.c $(FUZZ_CORE_OBJ) $(FUZZ_DIR)/cflags
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
	  $(FUZZ_CORE_OBJ) $(CORE_LIBS) -lm

# pgwire: server bytes into the wire engine and driver (core + the driver).
$(FUZZ_DIR)/pgwire_fuzz: spec/fuzz/pgwire_fuzz.c $(FUZZ_CORE_OBJ) \
  $(FUZZ_DIR)/obj/drivers/pgwire.o $(FUZZ_DIR)/cflags
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
	  $(FUZZ_CORE_OBJ) $(FUZZ_DIR)/obj/drivers/pgwire.o $(CORE_LIBS) -lm

$(FUZZ_DIR)/nested_fuzz: spec/fuzz/nested_fuzz.c $(FUZZ_CORE_OBJ) \
  $(FUZZ_BIND_OBJ) $(FUZZ_DIR)/cflags
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
	  $(FUZZ_CORE_OBJ) $(FUZZ_BIND_OBJ) $(shell $(PKG_CONFIG) --libs \
	  lua5.4 sqlite3 jansson libcrypto) -lm

# mywire: server bytes read by the MySQL wire driver (core and driver).
$(FUZZ_DIR)/mywire_fuzz: spec/fuzz/mywire_fuzz.c $(FUZZ_CORE_OBJ) \
  $(FUZZ_DIR)/obj/drivers/mywire.o $(FUZZ_DIR)/cflags
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
	  $(FUZZ_DIR)/obj/drivers/mywire.o $(FUZZ_CORE_OBJ) $(CORE_LIBS) -lm

.SECONDARY: $(FUZZ_CORE_OBJ) $(FUZZ_BIND_OBJ) $(FUZZ_DIR)/obj/drivers/pgwire.o

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_DIR)/cflags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/cflags: FORCE
	@mkdir -p $(@D)
	@echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' | cmp -s - $@ || \
	  echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' > $@

# On a bare machine the build packages are installed first; the build runs
# in a sub-make so that pkg-config is asked only once they are there.
example:
	@bash scripts/deps.sh --build
	@$(MAKE) --no-print-directory all
	LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='$(BUILD)/?.so;;' \
	  $(LUA_BIN) examples/blog/main.lua

# examples/host: a C program embedding Lua 5.4 that loads sleet (the
# module finds the Lua API in the host's liblua; a host linking a static
# liblua links with -Wl,-E so that modules see its symbols).
HOST := $(BUILD)/examples/host
HOST_CFLAGS := $(WARN) -O2 -g $(shell $(PKG_CONFIG) --cflags lua5.4) $(CFLAGS)

$(HOST): examples/host/host.c $(BUILD)/cflags
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs lua5.4) $(LDFLAGS)

host: all $(HOST)
	$(HOST) lua $(BUILD) $(HOST_FRAMES)

# libsleet.a: the core and the three drivers in one archive, for hosts that
# link sleet into the program and register its luaopen_* functions in
# package.preload (examples/host/host.c with -DSLEET_STATIC). The program
# links the client libraries: sqlite3, jansson, libcrypto, libpq, libmariadb.
STATIC_LIB := $(BUILD)/libsleet.a
STATIC_OBJ := $(sort $(OBJ) $(PG_OBJ) $(MYSQL_OBJ))
STATIC_LIBS := $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs $(PG_PC) $(MYSQL_PC))

$(STATIC_LIB): $(STATIC_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(STATIC_OBJ)

static: $(STATIC_LIB)

HOST_STATIC := $(BUILD)/examples/host-static

$(HOST_STATIC): examples/host/host.c $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -DSLEET_STATIC -o $@ $< $(STATIC_LIB) \
	  $(STATIC_LIBS) $(shell $(PKG_CONFIG) --libs lua5.4) $(LDFLAGS)

# the program alone: no cpath, so nothing is loaded from build/
host-static: $(HOST_STATIC)
	$(HOST_STATIC) lua /nonexistent $(HOST_FRAMES)

# examples/host/threads.c: one Lua state per thread, two threads per
# database at once, against the AddressSanitizer + UBSan build.
THREADS := build-asan/examples/threads

$(THREADS): examples/host/threads.c build-asan/cflags
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) -pthread -o $@ $< \
	  $(shell $(PKG_CONFIG) --libs lua5.4) $(LDFLAGS)

host-threads:
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory $(THREADS)
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(THREADS) lua build-asan

# The summary line must stay the last line of output. GNU make appends
# "*** [test] Error N" to any failed recipe, so on failure make is ended by
# SIGPIPE instead, which it does not catch and shells do not report; the
# exit status is then 141.
test:
	@bash scripts/test.sh || kill -PIPE $$PPID

# Not part of `make test`: installs LuaSQL, builds, starts throwaway
# servers, runs every contender and stops the servers (bench/run.sh).
bench:
	@BUILD='$(BUILD)' bash bench/run.sh

lint:
	$(LUACHECK) $(if $(CI),--no-color) $(LINT_PATHS)

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES)

# luarocks' builtin backend compiles next to the sources; its objects and
# modules are removed once the rocks are installed. The driver rocks depend
# on sleet, so it is installed first.
ROCKSPECS := rockspec/sleet-scm-1.rockspec rockspec/sleet-pg-scm-1.rockspec \
  rockspec/sleet-mysql-scm-1.rockspec
ROCK_LEFTOVERS := $(SRC:.c=.o) ext/lua_driver.o drivers/postgresql.o \
  drivers/mysql.o sleet/core.so sleet/driver/postgresql.so \
  sleet/driver/mysql.so

rock:
	@set -e; for spec in $(ROCKSPECS); do \
	  echo "$(LUAROCKS) --lua-version=5.4 make --tree=rocktree $$spec"; \
	  $(LUAROCKS) --lua-version=5.4 make --tree=rocktree $$spec; \
	done
	rm -f $(ROCK_LEFTOVERS)
	[ ! -d sleet/driver ] || rmdir sleet/driver
	[ ! -d sleet ] || rmdir sleet

clean:
	rm -rf build build-asan build-luajit rocktree
	rm -f $(ROCK_LEFTOVERS)
	[ ! -d sleet/driver ] || rmdir sleet/driver
	[ ! -d sleet ] || rmdir sleet

-include $(OBJ:.o=.d) $(PG_OBJ:.o=.d) $(MYSQL_OBJ:.o=.d) $(HOSTIO_OBJ:.o=.d) \
  $(CTEST_CORE_OBJ:.o=.d) $(CTEST_BIN:=.d) $(FUZZ_CORE_OBJ:.o=.d) \
  $(FUZZ_BIND_OBJ:.o=.d) $(FUZZ_BIN:=.d)
