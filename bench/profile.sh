#!/usr/bin/env bash
# Profiles sleet's two SQLite point selects with callgrind: the prepared
# one (:prepare once, :get({ id = i }) per call) and the one built with the
# query builder on every call. callgrind collects only around the loop
# (bench/sleet.lua's profile modes toggle it), and the Lua program runs
# under bench/luahost, which links the shared liblua5.4 so that the Lua C
# API calls the binding makes are named.
#
#   make && bash bench/profile.sh [OUT.md]
#
# Prints (or writes to OUT.md) the top 10 functions by inclusive and by
# self cost of each, as markdown, with instructions per call; then the
# façade's (lua/sleet/) functions that take most of the Lua VM's work in
# the same loops, sampled with a count hook.
# SLEET_BENCH_PROFILE_POINT / SLEET_BENCH_PROFILE_BUILDER set the number
# of calls (20,000 / 5,000).
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
POINT=${SLEET_BENCH_PROFILE_POINT:-20000}
BUILDER=${SLEET_BENCH_PROFILE_BUILDER:-5000}

if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate \
  >/dev/null; then
  echo "profile: valgrind (callgrind) is not installed" >&2
  exit 1
fi
bash bench/build.sh
export SLEET_CPATH="$BUILD/?.so;$BUILD/bench/?.so"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sleet-profile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

out=$tmp/profile.md
{
  echo "## Profile: where sleet's time goes (SQLite in memory)"
  echo
  echo "\`bash bench/profile.sh\`: callgrind (valgrind $(valgrind --version |
    sed 's/^valgrind-//')) over the point-select loops of"
  echo "\`bench/sleet.lua\`, Lua run by \`bench/luahost\` on the shared"
  echo "liblua5.4 (its internal functions have no symbols: their self cost"
  echo "is summed into one line, and they are left out of the inclusive list)."
  echo "Instruction counts (Ir) do not vary from run to run, unlike times."
  echo
} >"$out"

profile() { # kind calls title
  echo "profile: callgrind, $3, $2 calls" >&2
  if ! valgrind --tool=callgrind --collect-atstart=no \
    --callgrind-out-file="$tmp/$1.out" "$BUILD/bench/luahost" \
    bench/sleet.lua sqlite sqlite::memory: "profile-$1" "$2" \
    >"$tmp/$1.log" 2>&1; then
    echo "profile: $3 failed:" >&2
    tail -n 20 "$tmp/$1.log" >&2
    exit 1
  fi
  lua5.4 bench/report.lua callgrind "$tmp/$1.out" "$2" "$3" >>"$out"
}

profile point "$POINT" "sleet, prepared point select (\`byId:get({ id = i })\`)"
profile builder "$BUILDER" "sleet, point select built on every call \
(\`db:select():from(t):where(eq(t.id, i)):get()\`)"

# The Lua side of the same loops, by sampling the Lua VM (no valgrind).
lua_profile() { # kind calls
  echo "profile: Lua VM samples, $1, $2 calls" >&2
  lua5.4 bench/sleet.lua sqlite sqlite::memory: "profile-lua-$1" "$2" >>"$out"
}
{
  echo "The façade's share: the Lua VM sampled every 50 to 150"
  echo "instructions (\`bench/sleet.lua\` profile-lua-* modes); the"
  echo "percentages are of the loop's Lua VM instructions, the benchmark's own"
  echo "checks included, and leave out time inside C functions."
  echo
} >>"$out"
lua_profile point "$POINT"
lua_profile builder "$BUILDER"

if [[ $# -gt 0 ]]; then
  cp "$out" "$1"
else
  cat "$out"
fi
