#!/usr/bin/env bash
# Seeding, side by side (bench/run.sh runs it with its servers up):
# sleet.seed (bench/seed.lua) on SQLite in memory under Lua 5.4 and LuaJIT,
# and on PostgreSQL and MariaDB when SLEET_TEST_PG_URL /
# SLEET_TEST_MYSQL_URL are set; drizzle-seed 0.3.1 on better-sqlite3 in
# memory (bench/seed-drizzle.mjs) when node and npm are present. The npm
# packages go to $BUILD/bench/node, outside the sources (better-sqlite3 is
# compiled against the system's node headers: nodedir=/usr).
#
#   bash bench/seed.sh OUT.md     prints the SEED lines and writes the table
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
OUT=${1:-$BUILD/bench/seed.md}
LINES=$BUILD/bench/seed.txt
mkdir -p "$BUILD/bench"
: >"$LINES"

run() { "$@" | tee -a "$LINES"; }

SLEET_CPATH="$BUILD/?.so" run lua5.4 bench/seed.lua sqlite sqlite::memory:
if [[ -d build-luajit ]]; then
  SLEET_CPATH="build-luajit/?.so" run luajit bench/seed.lua sqlite \
    sqlite::memory:
fi
[[ -n ${SLEET_TEST_PG_URL:-} ]] &&
  SLEET_CPATH="$BUILD/?.so" run lua5.4 bench/seed.lua postgresql \
    "$SLEET_TEST_PG_URL"
[[ -n ${SLEET_TEST_MYSQL_URL:-} ]] &&
  SLEET_CPATH="$BUILD/?.so" run lua5.4 bench/seed.lua mysql \
    "$SLEET_TEST_MYSQL_URL"

if command -v node >/dev/null && command -v npm >/dev/null; then
  NODE_DIR=$BUILD/bench/node
  mkdir -p "$NODE_DIR"
  if [[ ! -d $NODE_DIR/node_modules/drizzle-seed ]]; then
    (cd "$NODE_DIR" &&
      { [[ -f package.json ]] ||
        echo '{"name":"sleet-bench-seed","private":true}' >package.json; } &&
      npm install --no-audit --no-fund --nodedir=/usr drizzle-seed@0.3.1 \
        drizzle-orm better-sqlite3 >/dev/null 2>&1 &&
      { npm install-scripts approve better-sqlite3 >/dev/null 2>&1 || true; } &&
      npm rebuild better-sqlite3 --nodedir=/usr >/dev/null 2>&1) ||
      echo "seed: could not install drizzle-seed; it is left out"
  fi
  if [[ -d $NODE_DIR/node_modules/drizzle-seed ]]; then
    cp bench/seed-drizzle.mjs "$NODE_DIR/"
    (cd "$NODE_DIR" && node seed-drizzle.mjs) | tee -a "$LINES"
  fi
fi

# SEED <contender> <dialect> <rows> <seconds> → a markdown table
awk -v out="$OUT" '
  $1 == "SEED" { n++; who[n] = $2; db[n] = $3; rows[n] = $4; secs[n] = $5
    if ($2 == "drizzle-seed") base = $4 / $5 }
  END {
    print "\n## Seeding (sleet.seed against drizzle-seed)\n" > out
    print "10,000 users × 10 posts (full names, emails, ints, cities, lorem " \
      "ipsum titles and bodies): 110,000 rows in one transaction, the best " \
      "of 3 runs, wall time (`bench/seed.sh`). drizzle-seed 0.3.1 runs on " \
      "better-sqlite3 in memory (node). Goal: at least 500,000 rows/s on " \
      "SQLite in memory, 100,000 rows/s on the servers.\n" > out
    print "| contender | database | rows | seconds | rows/s | × drizzle-seed |" > out
    print "| --- | --- | ---: | ---: | ---: | ---: |" > out
    for (i = 1; i <= n; i++) {
      r = rows[i] / secs[i]
      printf "| %s | %s | %d | %.3f | %.0f | %s |\n", who[i], db[i], rows[i],
        secs[i], r, base ? sprintf("%.1f×", r / base) : "–" > out
    }
  }' "$LINES"
cat "$OUT"
