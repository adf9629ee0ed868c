-- Names a snapshot cannot hold (a NUL byte: refused by the JSON writer and
-- by every database) are refused by kit.push, kit.generate and kit.export
-- with a validation error naming the table (and the column), before any
-- SQL runs or any file is written, on every dialect.
local dialects = require "spec.support.dialects"
local kit = require "sleet.kit"

local function listdir(dir)
  local out = {}
  local p = io.popen("ls -1A '" .. dir .. "' 2>/dev/null")
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

-- Schemas with a NUL byte in a table's name and in a column's, built with
-- module m. The definition refuses such names (spec/hardening_spec.lua),
-- so they are put into definitions made with good names: names can reach
-- the tooling by other ways than the schema DSL, and it must name them.
local function bad(m)
  local column = require "sleet.column"
  local int = m.integer or m.int
  assert.is_false(pcall(m.table, "kit_nul\0a", { id = int():primaryKey() }))
  local t1 = m.table("kit_nul_a", { id = int():primaryKey() })
  column.def(t1).name = "kit_nul\0a"
  local t2 = m.table("kit_nul_b", { id = int():primaryKey(), name = m.text() })
  for _, c in ipairs(column.def(t2).columns) do
    if c.key == "name" then
      c.name, c.explicitName = "na\0me", "na\0me"
    end
  end
  return { table = { t = t1 }, column = { t = t2 } }
end

local TABLE = 'table "kit_nul\\0a": its name contains a NUL byte'
local COLUMN = 'table "kit_nul_b": column "na\\0me": its name contains a ' ..
  'NUL byte'

local function refused(expected, fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok)
  assert.equal("table", type(e))
  assert.equal("validation", e.kind)
  assert.equal(expected, e.message)
end

for _, name in ipairs(dialects.all) do
  local d = dialects.get(name)
  describe("a NUL byte in a name on " .. name, function()
    local schemas = bad(d.module())

    it("is refused by kit.export naming the table", function()
      if schemas.table then refused(TABLE, kit.export, schemas.table, name) end
      if schemas.column then
        refused(COLUMN, kit.export, schemas.column, name)
      end
    end)

    it("is refused by kit.generate naming the table, writing nothing",
      function()
        local dir = os.tmpname()
        os.remove(dir)
        for which, expected in pairs({ table = TABLE, column = COLUMN }) do
          if schemas[which] then
            refused(expected, kit.generate, { dialect = name, out = dir,
              schema = schemas[which] }, { name = "nul" })
            assert.same({}, listdir(dir))
          end
        end
        os.execute("rm -rf '" .. dir .. "'")
      end)
  end)
end

for _, d in ipairs(dialects.live()) do
  describe("kit.push of a NUL byte in a name on " .. d.name, function()
    it("is refused naming the table, before any statement runs", function()
      local log = {}
      local db = d.connect(nil, { logger = function(sql)
        log[#log + 1] = sql
      end })
      local schemas = bad(d.module())
      if schemas.table then refused(TABLE, kit.push, db, schemas.table) end
      if schemas.column then refused(COLUMN, kit.push, db, schemas.column) end
      for _, sql in ipairs(log) do
        assert.falsy(sql:lower():find("create table", 1, true), sql)
      end
      db:close()
    end)
  end)
end

describe("a NUL byte in a PostgreSQL enum's name", function()
  it("is refused by kit.export naming the enum", function()
    local pg = require "sleet.pg"
    local ok, e = pcall(pg.enum, "kit_nul\0mood", { "a", "b" })
    if not ok then return end -- refused where it is defined
    refused('enum "public.kit_nul\\0mood": its name contains a NUL byte',
      kit.export, { mood = e, t = pg.table("kit_nul_e", {
        id = pg.integer():primaryKey(), mood = e() }) }, "postgresql")
  end)
end)
