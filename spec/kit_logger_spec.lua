-- The connection's logger sees the statements of the schema tooling too:
-- kit.push (its catalog reads and its DDL), introspection and the migrator
-- (its tracking table, lock and migration statements), on every live
-- dialect, with the parameters as sent.
local core = require "sleet.core"
local dialects = require "spec.support.dialects"
local introspect = require "sleet.introspect"
local kit = require "sleet.kit"
local migrator = require "sleet.migrator"

local function writefile(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "/meta'"))
  return p
end

-- The first logged entry whose SQL matches pattern (case-insensitive).
local function find(log, pattern)
  for _, e in ipairs(log) do
    if e.sql:lower():find(pattern) then return e end
  end
  return nil
end

local function dump(log)
  local out = {}
  for i, e in ipairs(log) do out[i] = e.sql end
  return table.concat(out, "\n")
end

for _, d in ipairs(dialects.live()) do
  describe("the logger on " .. d.name, function()
    local db, log, dir
    local TABLE = "__kit_log_migrations"

    before_each(function()
      log = {}
      db = d.connect(nil, { logger = function(sql, params)
        log[#log + 1] = { sql = sql, params = params }
      end })
      d.drop(db, "kit_log_users", "kit_log_m", TABLE)
      log = {}
    end)

    after_each(function()
      d.drop(db, "kit_log_users", "kit_log_m", TABLE)
      db:close()
      if dir then os.execute("rm -rf '" .. dir .. "'") end
      dir = nil
    end)

    it("sees kit.push's catalog reads and DDL", function()
      local m = d.module()
      local users = m.table("kit_log_users", {
        id = (m.integer or m.int)():primaryKey(),
        name = m.text(),
      })
      kit.push(db, { users = users })
      assert.truthy(find(log, "^create table[^\n]*kit_log_users"), dump(log))
      -- introspection ran before: a catalog query came first
      assert.falsy(log[1].sql:lower():find("^create table"), dump(log))
      local n = #log
      kit.push(db, { users = users })
      assert.is_true(#log > n, "the second push read the catalogs")
    end)

    it("sees introspection's catalog queries", function()
      introspect.snapshot(db)
      assert.is_true(#log > 0)
      for _, e in ipairs(log) do assert.equal("table", type(e.params)) end
    end)

    it("sees the migrator's statements and parameters", function()
      dir = tmpdir()
      local q = d.name == "mysql" and "`kit_log_m`" or '"kit_log_m"'
      local up = "create table " .. q .. " (id integer primary key)"
      writefile(dir .. "/0000_one.sql", up)
      writefile(dir .. "/0000_one.down.sql", "drop table " .. q)
      writefile(dir .. "/meta/_journal.json", core.json_encode({
        version = "7", dialect = d.name, entries = { { idx = 0,
        version = "7", when = 1700000000001, tag = "0000_one",
        breakpoints = true } } }))
      local o = { migrationsFolder = dir, migrationsTable = TABLE }
      migrator.migrate(db, o)
      assert.truthy(find(log, "create table[^\n]*" .. TABLE), dump(log))
      assert.truthy(find(log, "^create table " .. q:lower():gsub("%p", "%%%0")),
        dump(log))
      local ins = find(log, "^insert into[^\n]*" .. TABLE)
      assert.truthy(ins, dump(log))
      assert.same({ core.sha256(up), 1700000000001, "0000_one" },
        { ins.params[1], ins.params[2], ins.params[3] })
      log = {}
      migrator.rollback(db, o)
      assert.truthy(find(log, "^drop table " .. q:lower():gsub("%p", "%%%0")),
        dump(log))
      assert.truthy(find(log, "^delete from[^\n]*" .. TABLE), dump(log))
    end)
  end)
end
