#!/usr/bin/env bash
# Builds rockspec/sleet-scm-1.rockspec with luarocks, offline, into a
# throw-away tree and checks that `require "sleet"` and `require
# "sleet.core"` load from that tree alone under lua5.4.
#
# luarocks' builtin backend compiles objects next to their sources, so the
# build runs on a copy of the sources, never in the working tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rockspec=rockspec/sleet-scm-1.rockspec
lua=${LUA_BIN:-lua5.4}

# Every C source and Lua module of the tree must be in the rockspec, and
# everything the rockspec names must exist.
(cd "$root" && "$lua" - "$rockspec" ext/*.c drivers/*.c lua/sleet/*.lua) <<'EOF'
local spec = {}
assert(loadfile(arg[1], "t", spec))()
local listed, problems = {}, {}
for _, m in pairs(spec.build.modules) do
  for _, file in ipairs(type(m) == "table" and m.sources or { m }) do
    listed[file] = true
  end
end
for _, file in pairs(spec.build.install and spec.build.install.bin or {}) do
  listed[file] = true
end
local present = {}
for i = 2, #arg do
  present[arg[i]] = true
  if not listed[arg[i]] then
    problems[#problems + 1] = arg[i] .. " is not in " .. arg[1]
  end
end
for file in pairs(listed) do
  local f = not present[file] and io.open(file)
  if f then
    f:close()
  elseif not present[file] then
    problems[#problems + 1] = arg[1] .. " names " .. file .. ", which does not exist"
  end
end
if #problems > 0 then
  table.sort(problems)
  io.stderr:write("rock-check: ", table.concat(problems, "\nrock-check: "), "\n")
  os.exit(1)
end
EOF

work=$(mktemp -d "${TMPDIR:-/tmp}/sleet-rock.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src"
tar -C "$root" \
  --exclude=./.git --exclude='./build*' --exclude=./rocktree \
  -cf - . | tar -C "$work/src" -xf -

cd "$work/src"
luarocks --lua-version=5.4 make --tree="$work/tree" "$rockspec"

share="$work/tree/share/lua/5.4"
lib="$work/tree/lib/lua/5.4"
if [[ ! -f "$lib/sleet/core.so" ]]; then
  echo "rock-check: $lib/sleet/core.so was not installed" >&2
  exit 1
fi
if [[ ! -x "$work/tree/bin/sleet-kit" ]]; then
  echo "rock-check: sleet-kit was not installed" >&2
  exit 1
fi

# The tree comes first; the working directory holds no other copy.
cd "$work"
"$lua" -e "
  package.path = '$share/?.lua;$share/?/init.lua;' .. package.path
  package.cpath = '$lib/?.so;' .. package.cpath
  local sleet = require('sleet')
  assert(type(sleet) == 'table', 'require(\"sleet\") did not return a table')
  local core = require('sleet.core')
  assert(package.searchpath('sleet.core', package.cpath):find('$lib', 1, true))
  assert(type(core.compile) == 'function', 'sleet.core.compile missing')
  print('rock-check: sleet loads from ' .. '$work/tree')
"
