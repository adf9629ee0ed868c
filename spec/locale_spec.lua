-- Numbers do not depend on the host's locale. A program that calls
-- setlocale(LC_ALL, "de_DE.UTF-8") (whose decimal point is ",") must still
-- write and read floats on every dialect: sleet formats and parses every
-- number in the "C" locale.
--
-- The locale is switched in a child process (a fresh lua5.4 with the same
-- module paths), so that this process keeps its own. The de_DE.UTF-8
-- locale must exist (scripts/deps.sh generates it); a missing locale fails
-- the spec rather than skipping it.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- The child: connects to the URL in SLEET_LOCALE_URL and round-trips
-- floats through real, double and numeric (number mode) columns and a JSON
-- column, printing "ok" or what went wrong.
local child = [==[
assert(os.setlocale("de_DE.UTF-8"), "locale de_DE.UTF-8 is missing")
assert(os.setlocale(nil, "numeric") == "de_DE.UTF-8")
local sleet = require "sleet"
local kit = require "sleet.kit"
local dialect, url = os.getenv("SLEET_LOCALE_DIALECT"), os.getenv("SLEET_LOCALE_URL")
local m = require(({ sqlite = "sleet.sqlite", postgresql = "sleet.pg",
  mysql = "sleet.mysql" })[dialect])
local cols = { id = m.integer():primaryKey() }
if dialect == "sqlite" then
  cols.single, cols.double = m.real(), m.real()
  cols.num = m.numeric({ mode = "number" })
  cols.j = m.text({ mode = "json" })
elseif dialect == "postgresql" then
  cols.single, cols.double = m.real(), m.doublePrecision()
  cols.num = m.numeric({ mode = "number" })
  cols.j = m.json()
else
  cols.single, cols.double = m.float(), m.double()
  cols.num = m.decimal({ precision = 20, scale = 6, mode = "number" })
  cols.j = m.json()
end
local t = m.table("locale_nums", cols)
local schema = { locale_nums = t }
-- the default logger writes every statement with its parameters to stderr
local db = sleet.connect(url, { schema = schema, logger = true })
if dialect ~= "sqlite" then
  db:execute(sleet.sql("drop table if exists locale_nums"))
end
kit.push(db, schema, { force = true })
local rows = {
  { id = 1, single = 0.5, double = 0.1, num = 0.5, j = { x = 0.5 } },
  { id = 2, single = -1.25, double = -123456.789, num = -1.25, j = { x = -1.25 } },
  { id = 3, single = 1024.75, double = 1e-7, num = 3.75, j = { x = 1e-7 } },
}
db:insert(t):values(rows):run()
local back = db:select():from(t):orderBy(t.id):all()
local bad = {}
for i, want in ipairs(rows) do
  local got = back[i]
  for _, k in ipairs({ "single", "double", "num" }) do
    if type(got[k]) ~= "number" or (math.type and math.type(got[k]) ~= "float")
      or got[k] ~= want[k] then
      bad[#bad + 1] = ("row %d %s: %s %s"):format(i, k, type(got[k]),
        tostring(got[k]))
    end
  end
  if type(got.j) ~= "table" or got.j.x ~= want.j.x then
    bad[#bad + 1] = ("row %d j: %s"):format(i, tostring(got.j and got.j.x))
  end
end
-- a float in a where clause and as a bare parameter
local n = #db:select():from(t):where(sleet.gt(t.double, -0.5)):all()
if n ~= 2 then bad[#bad + 1] = "where double > -0.5 found " .. n end
if dialect ~= "sqlite" then
  db:execute(sleet.sql("drop table locale_nums"))
end
db:close()
print(#bad == 0 and "ok" or table.concat(bad, "; "))
]==]

-- Single-quotes s for the shell.
local shq = require("spec.support.shell").shq

describe("numbers under a de_DE.UTF-8 locale", function()
  local script
  setup(function()
    script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(child)
    f:close()
  end)
  teardown(function() os.remove(script) end)

  for _, d in ipairs(dialects.live()) do
    it("round-trip floats on " .. d.name, function()
      local log = os.tmpname()
      local cmd = ("LUA_PATH=%s LUA_CPATH=%s SLEET_LOCALE_DIALECT=%s " ..
        "SLEET_LOCALE_URL=%s " .. check.lua() .. " %s 2>%s"):format(shq(package.path),
        shq(package.cpath), d.name, shq(d.url()), script, shq(log))
      local p = assert(io.popen(cmd, "r"))
      local out = p:read("a")
      p:close()
      local f = assert(io.open(log))
      local logged = f:read("a")
      f:close()
      os.remove(log)
      assert.equal("ok\n", out, logged)
      -- the logged parameters too: 0.5, never 0,5
      assert.matches("-1.25", logged, 1, true)
      assert.not_matches("-1,25", logged, 1, true)
    end)
  end
end)
