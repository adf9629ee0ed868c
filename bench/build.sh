#!/usr/bin/env bash
# Builds the benchmark's own programs into $BUILD/bench/ (default
# build/bench/), with the project's warning flags as errors:
#
#   raw            bench/raw.c, the workloads on SQLite, libpq and
#                  MariaDB Connector/C directly
#   benchclock.so  bench/clock.c, the CLOCK_MONOTONIC clock for Lua (and
#                  for LuaJIT in build-luajit/bench/)
#   luahost        bench/luahost.c, lua5.4 on the shared liblua5.4, for
#                  profiles with named Lua C API frames
#
# Run by bench/run.sh and bench/profile.sh; sleet itself is built by make.
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
OUT=${BUILD:-build}/bench
CC=${CC:-cc}
WARN=(-std=c99 -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes
  -Wmissing-prototypes -Wundef -Wwrite-strings -Wpedantic -Werror)
OPT=(-O2 -g)
mkdir -p "$OUT"

# Rebuilds $1 when it is missing or older than any of the sources after it.
stale() {
  local target=$1 src
  shift
  [[ -e "$target" ]] || return 0
  for src in "$@"; do
    [[ "$src" -nt "$target" ]] && return 0
  done
  return 1
}

# Prints and runs a command.
run() {
  echo "$*"
  "$@"
}

read -ra DB_CFLAGS <<<"$(pkg-config --cflags sqlite3 libpq libmariadb)"
read -ra DB_LIBS <<<"$(pkg-config --libs sqlite3 libpq libmariadb)"
read -ra LUA_CFLAGS <<<"$(pkg-config --cflags lua5.4)"
read -ra LUA_LIBS <<<"$(pkg-config --libs lua5.4)"

if stale "$OUT/raw" bench/raw.c; then
  run "$CC" "${WARN[@]}" "${OPT[@]}" "${DB_CFLAGS[@]}" -o "$OUT/raw" \
    bench/raw.c "${DB_LIBS[@]}"
fi
if stale "$OUT/benchclock.so" bench/clock.c; then
  run "$CC" "${WARN[@]}" "${OPT[@]}" -fPIC -shared "${LUA_CFLAGS[@]}" \
    -o "$OUT/benchclock.so" bench/clock.c
fi
# The clock for the LuaJIT contender, beside sleet's LuaJIT build.
JIT_OUT=${BUILD_LUAJIT:-build-luajit}/bench
if pkg-config --exists luajit && stale "$JIT_OUT/benchclock.so" bench/clock.c
then
  read -ra JIT_CFLAGS <<<"$(pkg-config --cflags luajit)"
  mkdir -p "$JIT_OUT"
  run "$CC" "${WARN[@]}" "${OPT[@]}" -fPIC -shared "${JIT_CFLAGS[@]}" \
    -o "$JIT_OUT/benchclock.so" bench/clock.c
fi
if stale "$OUT/luahost" bench/luahost.c; then
  run "$CC" "${WARN[@]}" "${OPT[@]}" "${LUA_CFLAGS[@]}" -o "$OUT/luahost" \
    bench/luahost.c "${LUA_LIBS[@]}"
fi
