#!/usr/bin/env bash
# Builds the three rocks with luarocks, offline, into one throw-away tree:
#
#   rockspec/sleet-scm-1.rockspec        sleet: the Lua modules, sleet.core
#                                        (with SQLite) and sleet-kit
#   rockspec/sleet-pg-scm-1.rockspec     sleet-pg: sleet.driver.postgresql
#   rockspec/sleet-mysql-scm-1.rockspec  sleet-mysql: sleet.driver.mysql
#
# and checks that `require "sleet"`, `require "sleet.core"` and both driver
# modules load from that tree alone under lua5.4. The driver rocks depend on
# sleet, which is installed first, so luarocks never looks online.
#
# luarocks' builtin backend compiles objects next to their sources, so the
# build runs on a copy of the sources, never in the working tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
core=rockspec/sleet-scm-1.rockspec
pg=rockspec/sleet-pg-scm-1.rockspec
mysql=rockspec/sleet-mysql-scm-1.rockspec
lua=${LUA_BIN:-lua5.4}

# Every C source and Lua module of the tree must be in a rockspec, and
# everything a rockspec names must exist. The core rock holds the core and
# the SQLite driver; the module entry of external drivers (ext/lua_driver.c)
# and each drivers/<name>.c besides sqlite.c belong to that driver's rock
# (sleet.driver.<name>) only.
(cd "$root" && "$lua" - "$core" "$pg" "$mysql" -- \
  ext/*.c drivers/*.c lua/sleet/*.lua) <<'EOF'
local specs, present, problems = {}, {}, {}
local sep
for i = 1, #arg do
  if arg[i] == "--" then
    sep = i
  elseif sep then
    present[arg[i]] = true
  else
    local spec = {}
    assert(loadfile(arg[i], "t", spec))()
    specs[#specs + 1] = { file = arg[i], spec = spec }
  end
end

local function problem(...)
  problems[#problems + 1] = table.concat({ ... })
end

-- file -> the rockspecs listing it; module -> its sources, per rockspec
local listed, modules = {}, {}
for _, s in ipairs(specs) do
  local function list(file)
    listed[file] = listed[file] or {}
    listed[file][s.file] = true
  end
  modules[s.file] = {}
  for name, m in pairs(s.spec.build.modules) do
    local sources = type(m) == "table" and (m.sources or m) or { m }
    modules[s.file][name] = sources
    for _, file in ipairs(sources) do list(file) end
  end
  local install = s.spec.build.install
  for _, file in pairs(install and install.bin or {}) do list(file) end
end

for file in pairs(present) do
  if not listed[file] then
    problem(file, " is in no rockspec")
  end
end
for file, where in pairs(listed) do
  local f = not present[file] and io.open(file)
  if f then
    f:close()
  elseif not present[file] then
    for spec in pairs(where) do
      problem(spec, " names ", file, ", which does not exist")
    end
  end
end

-- What belongs to whom.
local core = arg[1]
-- drivers built into the core: SQLite, the proxies, the wire-protocol engines
local builtin = { sqlite = true, proxy = true, mywire = true, pgwire = true }
for file, where in pairs(listed) do
  local driver = file:match("^drivers/(.+)%.c$")
  if (file == "ext/lua_driver.c" or (driver and not builtin[driver]))
      and where[core] then
    problem(core, " must not list ", file, " (it belongs to a driver rock)")
  end
end
for i = 2, #specs do
  local s = specs[i]
  for name, sources in pairs(modules[s.file]) do
    local driver = name:match("^sleet%.driver%.(.+)$")
    if not driver then
      problem(s.file, " builds ", name,
        "; a driver rock builds sleet.driver.<name> only")
    else
      local has = {}
      for _, file in ipairs(sources) do has[file] = true end
      local needs = { "drivers/" .. driver .. ".c", "ext/lua_driver.c" }
      for _, need in ipairs(needs) do
        if not has[need] then problem(s.file, ": ", name, " lacks ", need) end
      end
    end
  end
end

if #problems > 0 then
  table.sort(problems)
  io.stderr:write("rock-check: ",
    table.concat(problems, "\nrock-check: "), "\n")
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
for rockspec in "$core" "$pg" "$mysql"; do
  luarocks --lua-version=5.4 make --tree="$work/tree" "$rockspec"
done

share="$work/tree/share/lua/5.4"
lib="$work/tree/lib/lua/5.4"
for so in sleet/core.so sleet/driver/postgresql.so sleet/driver/mysql.so; do
  if [[ ! -f "$lib/$so" ]]; then
    echo "rock-check: $lib/$so was not installed" >&2
    exit 1
  fi
done
if [[ ! -x "$work/tree/bin/sleet-kit" ]]; then
  echo "rock-check: sleet-kit was not installed" >&2
  exit 1
fi

# The tree comes first; the working directory holds no other copy. A driver
# module's value is a light userdata; the core must accept it (same driver
# ABI), which a connection refused on port 1 shows without any server: the
# error is then a "connection" error, not a "usage" one.
cd "$work"
"$lua" -e "
  package.path = '$share/?.lua;$share/?/init.lua;' .. package.path
  package.cpath = '$lib/?.so;' .. package.cpath
  local sleet = require('sleet')
  assert(type(sleet) == 'table', 'require(\"sleet\") did not return a table')
  local core = require('sleet.core')
  assert(package.searchpath('sleet.core', package.cpath):find('$lib', 1, true))
  assert(type(core.compile) == 'function', 'sleet.core.compile missing')
  for _, name in ipairs({ 'postgresql', 'mysql' }) do
    local mod = 'sleet.driver.' .. name
    local drv = require(mod)
    assert(package.searchpath(mod, package.cpath):find('$lib', 1, true))
    assert(type(drv) == 'userdata', mod .. ' is not a light userdata')
  end
  for _, url in ipairs({ 'postgres://sleet@127.0.0.1:1/sleet',
                         'mysql://sleet@127.0.0.1:1/sleet' }) do
    local ok, err = pcall(sleet.connect, url)
    assert(not ok and sleet.isError(err, 'connection'),
      url .. ': expected a connection error, got ' .. tostring(err))
  end
  -- the studio's page is installed beside its module
  local studio = package.searchpath('sleet.studio', package.path)
  assert(studio and studio:find('$share', 1, true), 'sleet.studio missing')
  for _, f in ipairs({ 'index.html', 'studio.js', 'studio.css' }) do
    local h = io.open(studio:gsub('%.lua$', '') .. '/' .. f)
    assert(h, 'the studio page file ' .. f .. ' was not installed')
    h:close()
  end
  print('rock-check: sleet and its drivers load from ' .. '$work/tree')
"
