#!/usr/bin/env bash
# The whole test run (`make test`), from a bare Debian 12 machine:
#
#   deps      install missing Debian packages (scripts/deps.sh)
#   build     build/sleet/core.so with -Werror
#   lint      luacheck lua/ spec/ bin/ examples/
#   format    clang-format --dry-run -Werror on ext/ drivers/ spec/c/
#   luajit    the module compiled against LuaJIT 2.1 headers, -Werror
#   check-c   C unit tests of the core (ASan + UBSan)
#   fuzz      the libFuzzer targets of spec/fuzz/ (clang), each run over its
#             seed corpus and then for 5 s (`make fuzz FUZZ_SECONDS=5`):
#             render (statement trees, three dialects), snapshot (snapshot
#             reader and diff), nested (nested-row JSON decoder); a crash,
#             leak or sanitizer report fails the phase
#   rock      luarocks builds the three rockspecs offline into one tree;
#             sleet and both drivers load from it
#   pg-server a throwaway PostgreSQL on 127.0.0.1 (scripts/servers.sh)
#   pg-replica  a streaming replica of it (pg_basebackup, hot standby)
#   my-server a throwaway MariaDB on 127.0.0.1
#   check-c-live  the C tests that need a server: the MySQL wire driver
#             over a real socket, and its parity with the libmariadb driver
#   nginx     a throwaway nginx with the Lua module on 127.0.0.1, serving
#             sleet's LuaJIT build to spec/nginx_spec.lua (scripts/nginx.sh)
#   example   examples/blog/main.lua runs on in-memory SQLite
#   example-pg  the same on the PostgreSQL server, when it started
#   example-my  the same on the MariaDB server, when it started
#   specs     busted under lua5.4, against SQLite and both servers
#   specs-socket  the same with the servers reached by the wire drivers
#             over LuaSocket (SLEET_TEST_TRANSPORT=luasocket)
#   studio-browser  spec/studio_browser_spec.lua: the studio page in
#             Debian's headless Chromium, driven by playwright-core, which
#             scripts/studio-browser.sh installs from npm into build/node-studio
#   drizzle-kit  spec/kit_drizzle_spec.lua with the real drizzle-kit, which
#             scripts/drizzle-kit.sh installs from npm into build/node-kit
#             (skipped, saying why, where npm cannot)
#   host      examples/host: a C program embedding Lua 5.4 and sleet, a
#             frame loop of prepared point selects (p50/p99 per call)
#   host-static the same program linked with build/libsleet.a
#   specs-jit the same specs under LuaJIT (luajit2), build-luajit/
#   specs-jit-socket  the same over the wire drivers
#   threads   examples/host/threads.c under ASan + UBSan: a Lua state per
#             thread, two threads per database at once
#   asan      build-asan/ (ASan + UBSan), then the specs against it
#   asan-socket  the same over the wire drivers
#   valgrind  the specs under valgrind (definite leaks are errors)
#   gc-stress the specs with SLEET_GC_STRESS=1
#
# The servers run from before the example until the end, and are stopped and
# their data directories removed on exit, also after a failure or Ctrl-C.
#
# A check counts as one test; a spec run contributes its own counts, read
# from the `N passed, N failed` line that spec/support/output.lua prints. The
# last line of output is the total, `N passed, N failed`; the exit status is
# non-zero when anything failed.
#
# Environment: SLEET_TEST_SKIP="valgrind gc-stress" skips phases by name
# (each skipped phase is listed, not counted); SLEET_TEST_DIALECTS names the
# dialects to test, of sqlite postgresql mysql (all three by default;
# SQLite always runs, the others need their server: `SLEET_TEST_DIALECTS=
# sqlite` starts none); JOBS sets make's -j.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
export LC_ALL=C.UTF-8
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LUA_BIN=lua5.4
BUSTED=(lua5.4 /usr/bin/busted --ignore-lua)
SUMMARY_RE='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'

LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sleet-test.XXXXXX")

total_passed=0
total_failed=0
total_skipped=0
report=()

# {====================================================================
# Database servers on loopback (scripts/servers.sh), started before the
# example and stopped on exit, whatever ends the run: a failure, an error
# or Ctrl-C. SQLite runs inside the test process and needs none.
# =====================================================================
# shellcheck source=scripts/servers.sh
source "$ROOT/scripts/servers.sh"
# shellcheck source=scripts/nginx.sh
source "$ROOT/scripts/nginx.sh"

# The dialects whose servers this run starts; the others' variables are
# cleared so that a server named in the environment is never used.
DIALECTS=${SLEET_TEST_DIALECTS:-sqlite postgresql mysql}
DIALECTS=${DIALECTS//,/ }
unset SLEET_TEST_PG_URL SLEET_TEST_PG_CTL SLEET_TEST_MYSQL_URL

wants_dialect() {
  [[ " $DIALECTS " == *" $1 "* ]]
}

cleanup() {
  stop_nginx
  stop_servers
  rm -rf "$LOG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# }====================================================================

banner() {
  printf '\n======== %s ========\n' "$1"
}

skipped_by_env() {
  [[ " ${SLEET_TEST_SKIP:-} " == *" $1 "* ]]
}

record() { # name passed failed skipped seconds
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  total_skipped=$((total_skipped + $4))
  local line
  line=$(printf '%-10s %4d passed %4d failed' "$1" "$2" "$3")
  if (($4 > 0)); then
    line+=$(printf ' %4d skipped' "$4")
  fi
  report+=("$line  (${5}s)")
}

# check NAME CMD...: one test, passed when CMD exits 0.
check() {
  local name=$1
  shift
  if skipped_by_env "$name"; then
    report+=("$(printf '%-10s skipped (SLEET_TEST_SKIP)' "$name")")
    return 0
  fi
  banner "$name: $*"
  local start=$SECONDS
  "$@"
  local rc=$?
  if ((rc == 0)); then
    record "$name" 1 0 0 $((SECONDS - start))
  else
    echo "$name: FAILED (exit status $rc)"
    record "$name" 0 1 0 $((SECONDS - start))
  fi
  return "$rc"
}

# suite NAME CMD...: a program that prints a summary line. A missing line (a
# crash, a sanitizer stopping the process), a non-zero exit with no failure
# counted, or valgrind's error summary reporting errors each add a failure.
suite() {
  local name=$1
  shift
  if skipped_by_env "$name"; then
    report+=("$(printf '%-10s skipped (SLEET_TEST_SKIP)' "$name")")
    return 0
  fi
  banner "$name: $*"
  local start=$SECONDS log="$LOG_DIR/$name.log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p=0 f=0 s=0 line
  line=$(grep -E "$SUMMARY_RE" "$log" | tail -n 1)
  if [[ "$line" =~ $SUMMARY_RE ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
  else
    echo "$name: no summary line (exit status $rc)"
    f=1
  fi
  # valgrind's findings count on top of any failing specs
  if grep -qE '^==[0-9]+== ERROR SUMMARY: [1-9]' "$log"; then
    echo "$name: valgrind reported errors"
    f=$((f + 1))
  elif ((rc != 0 && f == 0)); then
    echo "$name: exit status $rc after all tests passed"
    f=1
  fi
  record "$name" "$p" "$f" "$s" $((SECONDS - start))
  return "$rc"
}

# A phase that cannot run because what it needs failed to build.
blocked() { # name reason
  if skipped_by_env "$1"; then
    report+=("$(printf '%-10s skipped (SLEET_TEST_SKIP)' "$1")")
    return 0
  fi
  echo "$1: not run ($2)"
  record "$1" 0 1 0 0
}

# Starts the server of each wanted dialect as a phase of its own: a server
# that does not start is a failure (its specs would otherwise be left out
# without a word).
start_servers() {
  local name
  for name in $DIALECTS; do
    case $name in
      sqlite | postgresql | mysql) ;;
      *)
        echo "SLEET_TEST_DIALECTS: unknown dialect '$name'" \
          "(known: sqlite postgresql mysql)"
        record dialects 0 1 0 0
        ;;
    esac
  done
  if wants_dialect postgresql; then
    if check pg-server start_postgresql; then
      # a streaming replica for the read-replica specs
      check pg-replica start_pg_replica ||
        echo "pg-replica: the replica did not start; its specs fail"
    else
      echo "pg-server: PostgreSQL did not start; its specs cannot run"
    fi
  else
    report+=("$(printf '%-10s skipped (SLEET_TEST_DIALECTS)' pg-server)")
  fi
  if wants_dialect mysql; then
    check my-server start_mysql ||
      echo "my-server: MariaDB did not start; its specs cannot run"
  else
    report+=("$(printf '%-10s skipped (SLEET_TEST_DIALECTS)' my-server)")
  fi
}

# {====================================================================
# The phases
# =====================================================================

check deps bash scripts/deps.sh

check build make --no-print-directory -j"$JOBS" WERROR=1
build_ok=$?

check lint make --no-print-directory lint

check format make --no-print-directory format-check

check luajit make --no-print-directory -j"$JOBS" WERROR=1 luajit
luajit_ok=$?

suite check-c make --no-print-directory -j"$JOBS" WERROR=1 check-c

# New inputs of this short run are thrown away with the log directory.
suite fuzz make --no-print-directory -j"$JOBS" WERROR=1 fuzz FUZZ_SECONDS=5 \
  FUZZ_WORK="$LOG_DIR/fuzz"

if [[ -d lua/sleet ]]; then
  check rock bash scripts/rock-check.sh
else
  report+=("$(printf '%-10s skipped (no lua/sleet)' rock)")
fi

start_servers

if [[ -n ${SLEET_TEST_MYSQL_URL:-} ]]; then
  suite check-c-live make --no-print-directory -j"$JOBS" WERROR=1 check-c-live
fi

# nginx with the Lua module, serving sleet built for its LuaJIT to the
# request specs (spec/nginx_spec.lua), once the databases run.
if ((luajit_ok != 0)); then
  blocked nginx "luajit build failed"
else
  check nginx start_nginx ||
    echo "nginx: nginx did not start; its request specs cannot run"
fi

# The blog example runs once per database, each run one check: SQLite in
# memory, then each server that started, named by BLOG_URL (the example
# touches only its own blog_* tables and drops them at the end).
example_phases=(example)
if [[ -n ${SLEET_TEST_PG_URL:-} ]]; then
  example_phases+=(example-pg)
fi
if [[ -n ${SLEET_TEST_MYSQL_URL:-} ]]; then
  example_phases+=(example-my)
fi

run_example() { # phase
  local env=(-u BLOG_URL)
  case $1 in
    example-pg) env=(BLOG_URL="$SLEET_TEST_PG_URL") ;;
    example-my) env=(BLOG_URL="$SLEET_TEST_MYSQL_URL") ;;
  esac
  check "$1" env "${env[@]}" make --no-print-directory WERROR=1 example
}

if ((build_ok != 0)); then
  for name in "${example_phases[@]}" specs; do
    blocked "$name" "build failed"
  done
else
  for name in "${example_phases[@]}"; do
    run_example "$name"
  done
  suite specs "${BUSTED[@]}" --run=default
  # the same specs with PostgreSQL and MySQL spoken by the wire drivers
  # (drivers/pgwire.c, drivers/mywire.c) over LuaSocket
  suite specs-socket env SLEET_TEST_TRANSPORT=luasocket \
    "${BUSTED[@]}" --run=default
  # sleet-kit and drizzle-kit working one migrations folder in turn
  if skipped_by_env drizzle-kit; then
    report+=("$(printf '%-10s skipped (SLEET_TEST_SKIP)' drizzle-kit)")
  elif bash scripts/drizzle-kit.sh build/node-kit; then
    suite drizzle-kit env SLEET_TEST_DRIZZLE_KIT=build/node-kit \
      "${BUSTED[@]}" --run=default spec/kit_drizzle_spec.lua
  else
    report+=("$(printf '%-10s skipped (drizzle-kit could not be installed)' \
      drizzle-kit)")
  fi
  # the studio page in Debian's headless Chromium, driven by playwright-core
  if skipped_by_env studio-browser; then
    report+=("$(printf '%-10s skipped (SLEET_TEST_SKIP)' studio-browser)")
  elif bash scripts/studio-browser.sh build/node-studio; then
    suite studio-browser env SLEET_TEST_STUDIO_BROWSER=build/node-studio \
      SLEET_TEST_STUDIO_SHOTS="$LOG_DIR/studio-shots" \
      "${BUSTED[@]}" --run=default spec/studio_browser_spec.lua
  else
    report+=("$(printf '%-10s skipped (playwright-core could not be installed)' \
      studio-browser)")
  fi
  # a C program embedding Lua 5.4 and sleet (examples/host)
  check host make --no-print-directory WERROR=1 host
  # the same program with sleet linked in (libsleet.a, package.preload)
  check host-static make --no-print-directory WERROR=1 host-static
fi

# The same specs on LuaJIT (OpenResty's branch, luajit2), against the
# module built for it.
if ((luajit_ok != 0)); then
  blocked specs-jit "luajit build failed"
else
  suite specs-jit luajit /usr/bin/busted --ignore-lua --run=luajit
  suite specs-jit-socket env SLEET_TEST_TRANSPORT=luasocket \
    luajit /usr/bin/busted --ignore-lua --run=luajit
fi

if ! skipped_by_env asan; then
  if check asan-build make --no-print-directory -j"$JOBS" WERROR=1 asan; then
    # Lua itself is not instrumented, so the sanitizer runtimes are preloaded
    # into it. lua5.4 frees its whole state at exit, so LeakSanitizer reports
    # only real leaks; their stacks end in "<unknown module>" because Lua has
    # unloaded sleet.core by then (the valgrind phase names the functions).
    suite asan env \
      LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
      ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "${BUSTED[@]}" --run=asan
    # the wire drivers under the sanitizers too
    suite asan-socket env SLEET_TEST_TRANSPORT=luasocket \
      LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
      ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "${BUSTED[@]}" --run=asan
    # one Lua state per thread, two threads per database at once
    check threads make --no-print-directory WERROR=1 host-threads
  else
    blocked asan "asan build failed"
  fi
else
  report+=("$(printf '%-10s skipped (SLEET_TEST_SKIP)' asan)")
fi

if ((build_ok != 0)); then
  for name in valgrind gc-stress; do
    blocked "$name" "build failed"
  done
else
  suite valgrind valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --keep-debuginfo=yes \
    "${BUSTED[@]}" --run=default
  suite gc-stress env SLEET_GC_STRESS=1 "${BUSTED[@]}" --run=default
fi

stop_nginx
stop_servers

# }====================================================================

banner summary
for line in "${report[@]}"; do
  echo "$line"
done
if ((total_skipped > 0)); then
  echo "($total_skipped skipped)"
fi
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
