#!/usr/bin/env bash
# The whole benchmark (`make bench`), in one run on one machine:
#
#   deps       install missing Debian packages, with LuaSQL for Lua 5.4
#              (scripts/deps.sh lua-sql-sqlite3 lua-sql-postgres
#              lua-sql-mysql)
#   build      sleet's modules (make WERROR=1), then bench/build.sh: raw
#              C, the clock module, the profiling host
#   servers    a throwaway PostgreSQL and MariaDB on 127.0.0.1
#              (scripts/servers.sh, as make test starts them)
#   contenders per database (SQLite in memory, PostgreSQL, MariaDB), each
#              of raw C (bench/raw.c), sleet (bench/sleet.lua) on Lua 5.4
#              and on LuaJIT (sleet-jit, build-luajit/) and LuaSQL
#              (bench/luasql.lua), and on the servers sleet over the
#              wire drivers and LuaSocket (sleet-socket, sleet-jit-socket),
#              one process at a time, all of them
#              SLEET_BENCH_RUNS times (2) in turn; the best run counts
#   relations  bench/relations.lua on the three databases
#   seed       bench/seed.sh: sleet.seed on the three databases against
#              drizzle-seed on better-sqlite3 (node, when present)
#   studio     bench/studio.lua: sleet-kit studio's pages of a 1,000,000-row
#              table on SQLite and PostgreSQL (handler and HTTP times, RSS)
#   nginx      bench/nginx.sh: requests per second of nginx handlers (a
#              prepared point select on each database, and none)
#   memory     RSS growth over 1,000,000 prepared point selects on SQLite;
#              on each server as many as fit in SLEET_BENCH_MEMORY_SECONDS
#              (20 s)
#   profile    bench/profile.sh: callgrind over sleet's SQLite point
#              selects (SLEET_BENCH_PROFILE=0 leaves it out)
#   report     bench/report.lua prints the tables, checks that every
#              contender read the same data and writes bench/RESULTS.md
#              (the raw lines stay in build/bench/results.txt)
#
# The servers are stopped and their directories removed on exit, also
# after a failure or Ctrl-C. Any contender that fails or reads wrong data
# fails the run (exit status 1). SLEET_BENCH_DIALECTS chooses the
# databases (default "sqlite postgresql mysql"); the iteration counts are
# described in bench/README.md.
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
export LC_ALL=C.UTF-8
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
BUILD=${BUILD:-build}
RUNS=${SLEET_BENCH_RUNS:-2}
DIALECTS=${SLEET_BENCH_DIALECTS:-sqlite postgresql mysql}
DIALECTS=${DIALECTS//,/ }
MEMORY_SECONDS=${SLEET_BENCH_MEMORY_SECONDS:-20}
RESULTS_MD=${SLEET_BENCH_RESULTS_MD:-bench/RESULTS.md}

wants() {
  [[ " $DIALECTS " == *" $1 "* ]]
}

banner() {
  printf '\n======== %s ========\n' "$1"
}

# Every contender's lines, kept after the run: `lua5.4 bench/report.lua
# table build/bench/results.txt` prints the tables again.
mkdir -p "$BUILD/bench"
RESULTS=$BUILD/bench/results.txt
: >"$RESULTS"

# shellcheck source=scripts/servers.sh
source "$ROOT/scripts/servers.sh"
unset SLEET_TEST_PG_URL SLEET_TEST_PG_CTL SLEET_TEST_MYSQL_URL
cleanup() {
  stop_servers
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

start=$SECONDS
# Other work on the machine moves the numbers; RESULTS.md shows how busy it was.
LOAD_START=$(cut -d ' ' -f 1-3 /proc/loadavg)

banner deps
bash scripts/deps.sh lua-sql-sqlite3 lua-sql-postgres lua-sql-mysql

banner build
make --no-print-directory -j"$JOBS" WERROR=1 BUILD="$BUILD" all
make --no-print-directory -j"$JOBS" WERROR=1 luajit
BUILD=$BUILD bash bench/build.sh
export SLEET_CPATH="$BUILD/?.so;$BUILD/bench/?.so"

banner servers
declare -A URL=([sqlite]="")
if wants postgresql; then
  start_postgresql
  URL[postgresql]=$SLEET_TEST_PG_URL
fi
if wants mysql; then
  start_mysql
  URL[mysql]=$SLEET_TEST_MYSQL_URL
fi

# Runs one contender on one database and keeps its lines.
contender() { # name dialect
  local name=$1 dialect=$2 target=${URL[$2]}
  case $name in
    raw)
      [[ $dialect == sqlite ]] && target=:memory:
      "$BUILD/bench/raw" "$dialect" "$target" ;;
    sleet)
      [[ $dialect == sqlite ]] && target=sqlite::memory:
      lua5.4 bench/sleet.lua "$dialect" "$target" ;;
    sleet-jit)
      [[ $dialect == sqlite ]] && target=sqlite::memory:
      SLEET_CPATH="build-luajit/?.so;build-luajit/bench/?.so" \
        luajit bench/sleet.lua "$dialect" "$target" ;;
    sleet-socket)
      SLEET_BENCH_SOCKET=luasocket lua5.4 bench/sleet.lua "$dialect" \
        "$target" ;;
    sleet-jit-socket)
      SLEET_BENCH_SOCKET=luasocket \
        SLEET_CPATH="build-luajit/?.so;build-luajit/bench/?.so" \
        luajit bench/sleet.lua "$dialect" "$target" ;;
    luasql)
      [[ $dialect == sqlite ]] && target=:memory:
      lua5.4 bench/luasql.lua "$dialect" "$target" ;;
    floor)
      lua5.4 bench/floor.lua ;;
  esac | tee -a "$RESULTS"
}

for dialect in sqlite postgresql mysql; do
  wants "$dialect" || continue
  for ((run = 1; run <= RUNS; run++)); do
    for name in raw sleet sleet-jit sleet-socket sleet-jit-socket luasql \
      floor; do
      [[ $name == floor && $dialect != sqlite ]] && continue
      [[ $name == *-socket && $dialect == sqlite ]] && continue
      banner "$dialect: $name, run $run of $RUNS"
      contender "$name" "$dialect"
    done
  done
done

banner "relations: findMany against the N+1 loop"
REL_ARGS=(100 10 10)
(
  if wants postgresql; then export SLEET_BENCH_PG_URL=${URL[postgresql]}; fi
  if wants mysql; then export SLEET_BENCH_MYSQL_URL=${URL[mysql]}; fi
  lua5.4 bench/relations.lua "${REL_ARGS[@]}"
) | tee -a "$RESULTS"

banner "nginx: requests per second (bench/nginx.sh)"
bash bench/nginx.sh | tee -a "$RESULTS"

banner "seed: sleet.seed against drizzle-seed (bench/seed.sh)"
SEED_MD=$BUILD/bench/seed.md
(
  if wants postgresql; then export SLEET_TEST_PG_URL=${URL[postgresql]}; fi
  if wants mysql; then export SLEET_TEST_MYSQL_URL=${URL[mysql]}; fi
  BUILD=$BUILD bash bench/seed.sh "$SEED_MD"
)

banner "studio: pages of a 1,000,000-row table (bench/studio.lua)"
STUDIO_MD=$BUILD/bench/studio.md
STUDIO_DB=$(mktemp -u "${TMPDIR:-/tmp}/sleet-studio.XXXXXX.db")
STUDIO_ARGS=(sqlite "sqlite:$STUDIO_DB")
if wants postgresql; then STUDIO_ARGS+=(postgresql "${URL[postgresql]}"); fi
lua5.4 bench/studio.lua "$STUDIO_MD" "${STUDIO_ARGS[@]}" | tee -a "$RESULTS"
rm -f "$STUDIO_DB"

for dialect in sqlite postgresql mysql; do
  wants "$dialect" || continue
  banner "$dialect: memory"
  target=${URL[$dialect]}
  if [[ $dialect == sqlite ]]; then
    lua5.4 bench/sleet.lua sqlite sqlite::memory: memory
  else
    SLEET_BENCH_MEMORY_SECONDS=$MEMORY_SECONDS \
      lua5.4 bench/sleet.lua "$dialect" "$target" memory
  fi | tee -a "$RESULTS"
done

stop_servers

PROFILE_MD=
if [[ ${SLEET_BENCH_PROFILE:-1} != 0 ]]; then
  banner profile
  PROFILE_MD=$BUILD/bench/profile.md
  BUILD=$BUILD bash bench/profile.sh "$PROFILE_MD"
fi

# What the machine and the tools are, for RESULTS.md.
{
  echo "INFO command ${SLEET_BENCH_COMMAND:-make bench}"
  echo "INFO date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "INFO runs $RUNS"
  if rev=$(git rev-parse --short HEAD 2>/dev/null); then
    git diff --quiet HEAD 2>/dev/null || rev+=" with uncommitted changes"
    echo "INFO commit $rev"
  fi
  echo "INFO nproc $(nproc)"
  echo "INFO cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
    head -n 1)"
  echo "INFO kernel $(uname -sr)"
  echo "INFO load $LOAD_START at the start, $(cut -d ' ' -f 1-3 \
    /proc/loadavg) at the end (1, 5, 15 min)"
  echo "INFO lua $(lua5.4 -v 2>&1 | awk '{print $1, $2}')"
  echo "INFO luajit $(luajit -v 2>&1 | awk '{print $1, $2}')" \
    "($(dpkg-query -W -f='${Package} ${Version}' luajit2 2>/dev/null))"
  echo "INFO gcc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
  echo "INFO cflags sleet -O2 -g (make), raw C -O2 -g"
  echo "INFO luasql $(dpkg-query -W -f='${Version}' lua-sql-sqlite3)" \
    "(Debian lua-sql-*)"
  echo "INFO relations ${REL_ARGS[0]} users × ${REL_ARGS[1]} posts ×" \
    "2 comments, best of 2 × ${REL_ARGS[2]} rounds"
  echo "INFO memory SQLite: 1,000,000 selects; each server: as many as" \
    "fit in ${MEMORY_SECONDS} s (the count is in the table)."
} >>"$RESULTS"

banner report
lua5.4 bench/report.lua table "$RESULTS" "$RESULTS_MD" \
  ${PROFILE_MD:+"$PROFILE_MD"}
# the seeding table (its own lines, bench/seed.sh)
if [[ -f $SEED_MD ]]; then cat "$SEED_MD" >>"$RESULTS_MD"; fi
# and the studio's (bench/studio.lua)
if [[ -f $STUDIO_MD ]]; then cat "$STUDIO_MD" >>"$RESULTS_MD"; fi
echo "bench: $((SECONDS - start)) s"
