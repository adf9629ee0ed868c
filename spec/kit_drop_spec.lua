-- sleet-kit drop: removes the last migration of the folder (its files,
-- snapshot and journal entry) when the database has not applied it, and
-- refuses, naming it, when it has; on every live dialect. Without
-- dbCredentials nothing is checked; an empty folder is a usage error.
local core = require "sleet.core"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"
local kit = require "sleet.kit"

local shq, writefile = shell.shq, shell.writefile

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function listdir(dir)
  local out = {}
  local p = io.popen("ls -1 " .. shq(dir) .. " 2>/dev/null")
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

local MODULES = { sqlite = "sleet.sqlite", postgresql = "sleet.pg",
  mysql = "sleet.mysql" }

local function schematext(dialect, extra)
  local int = dialect == "mysql" and "s.int" or "s.integer"
  return ([[
local s = require %q
return { t = s.table("kit_drop_items", {
  id = %s():primaryKey(),
  name = s.text(),%s
}) }
]]):format(MODULES[dialect], int, extra and ("\n  " .. extra) or "")
end

local function project(dialect, url)
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. shq(dir))
  writefile(dir .. "/sleet.config.lua", ([[
return {
  dialect = %q,
  schema = "schema.lua",
  out = "migrations",
  %s
  migrations = { table = "__kit_drop_migrations" },
}
]]):format(dialect, url and ("dbCredentials = { url = %q },"):format(url)
    or ""))
  writefile(dir .. "/schema.lua", schematext(dialect))
  return dir
end

local function kitcmd(dir, args)
  local p = io.popen(("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 %s %s %s " ..
    "2>&1; echo \"EXIT:$?\""):format(shq(dir), shell.env, check.lua(),
    shq(shell.bin), args))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("EXIT:(%d+)%s*$")), out:gsub("EXIT:%d+%s*$", "")
end

local function journaltags(dir)
  local j = core.json_decode(readfile(dir .. "/migrations/meta/_journal.json"))
  local out = {}
  for i, e in ipairs(j.entries) do out[i] = e.tag end
  return out
end

describe("sleet-kit drop", function()
  local dir

  after_each(function()
    if dir then os.execute("rm -rf " .. shq(dir)) end
    dir = nil
  end)

  it("drops unchecked without dbCredentials, and refuses an empty folder",
    function()
      dir = project("sqlite")
      local code, out = kitcmd(dir, "drop")
      assert.equal(2, code, out)
      assert.truthy(out:find("migrations has no migration to drop", 1, true),
        out)
      assert.equal(0, (kitcmd(dir, "generate --name one")))
      code, out = kitcmd(dir, "drop")
      assert.equal(0, code, out)
      assert.truthy(out:find("not checked against a database", 1, true), out)
      assert.truthy(out:find("Dropped 0000_one", 1, true), out)
      assert.same({ "meta" }, listdir(dir .. "/migrations"))
      assert.same({ "_journal.json" }, listdir(dir .. "/migrations/meta"))
      assert.same({}, journaltags(dir))
      -- the next generate starts the folder again
      assert.equal(0, (kitcmd(dir, "generate --name again")))
      assert.same({ "0000_again" }, journaltags(dir))
      code, out = kitcmd(dir, "help drop")
      assert.equal(0, code)
      assert.truthy(out:find("Usage: sleet-kit drop", 1, true), out)
    end)

  for _, d in ipairs(dialects.live()) do
    describe("on " .. d.name, function()
      local url

      local function cleanup()
        local db = d.connect()
        d.drop(db, "kit_drop_items", "__kit_drop_migrations")
        db:close()
      end

      before_each(function()
        url = d.url()
        if d.name == "sqlite" then url = "sqlite:" .. os.tmpname() end
        dir = project(d.name, url)
        cleanup()
      end)

      after_each(function()
        cleanup()
        if d.name == "sqlite" then os.remove((url:gsub("^sqlite:", ""))) end
      end)

      it("removes the last migration that is not applied", function()
        assert.equal(0, (kitcmd(dir, "generate --name init")))
        assert.equal(0, (kitcmd(dir, "migrate")))
        writefile(dir .. "/schema.lua", schematext(d.name,
          "note = s.text(),"))
        assert.equal(0, (kitcmd(dir, "generate --name note")))
        local code, out = kitcmd(dir, "drop")
        assert.equal(0, code, out)
        assert.truthy(out:find("Dropped 0001_note", 1, true), out)
        assert.falsy(out:find("not checked", 1, true), out)
        assert.same({ "0000_init.down.sql", "0000_init.sql", "meta" },
          listdir(dir .. "/migrations"))
        assert.same({ "0000_snapshot.json", "_journal.json" },
          listdir(dir .. "/migrations/meta"))
        assert.same({ "0000_init" }, journaltags(dir))
        code, out = kitcmd(dir, "check")
        assert.equal(0, code, out)
        -- generated again, it applies
        assert.equal(0, (kitcmd(dir, "generate --name note")))
        code, out = kitcmd(dir, "migrate")
        assert.equal(0, code, out)
        assert.truthy(out:find("applying 0001_note", 1, true), out)
      end)

      it("refuses an applied migration, naming it, and keeps it", function()
        assert.equal(0, (kitcmd(dir, "generate --name init")))
        assert.equal(0, (kitcmd(dir, "migrate")))
        local journal = readfile(dir .. "/migrations/meta/_journal.json")
        local code, out = kitcmd(dir, "drop")
        assert.equal(1, code, out)
        assert.truthy(out:find("0000_init is applied to the database: roll " ..
          "it back first", 1, true), out)
        assert.equal(journal,
          readfile(dir .. "/migrations/meta/_journal.json"))
        assert.same({ "0000_init.down.sql", "0000_init.sql", "meta" },
          listdir(dir .. "/migrations"))
        -- the same from Lua: a migration error
        local config = kit.loadConfig(dir .. "/sleet.config.lua")
        config.out = dir .. "/migrations"
        local ok, e = pcall(kit.drop, config)
        assert.is_false(ok)
        assert.equal("migration", e.kind)
        -- rolled back, it may go
        assert.equal(0, (kitcmd(dir, "rollback")))
        code, out = kitcmd(dir, "drop")
        assert.equal(0, code, out)
        assert.same({}, journaltags(dir))
      end)
    end)
  end
end)
