-- sleet-kit migrate / push with --verbose (the statements printed before
-- they run) and --strict (each statement shown and asked about before
-- anything runs: on a pseudo-terminal through script(1); without a
-- terminal a usage error listing them, unless --yes approves them all),
-- on every live dialect.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"

local shq, writefile = shell.shq, shell.writefile

local MODULES = { sqlite = "sleet.sqlite", postgresql = "sleet.pg",
  mysql = "sleet.mysql" }

-- A table and an index (two statements to ask about); extra: one more
-- column.
local function schematext(dialect, extra)
  local int = dialect == "mysql" and "s.int" or "s.integer"
  local name = dialect == "sqlite" and "s.text()" or
    "s.varchar({ length = 50 })"
  return ([[
local s = require %q
local t = s.table("kit_strict_items", {
  id = %s():primaryKey(),
  name = %s,%s
}, function(t) return { s.index("kit_strict_items_name_idx"):on(t.name) } end)
return { t = t }
]]):format(MODULES[dialect], int, name,
    extra and ("\n  " .. extra) or "")
end

local function kitcmd(dir, args)
  local p = io.popen(("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 %s %s %s " ..
    "2>&1; echo \"EXIT:$?\""):format(shq(dir), shell.env, check.lua(),
    shq(shell.bin), args))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("EXIT:(%d+)%s*$")), out:gsub("EXIT:%d+%s*$", "")
end

-- On a pseudo-terminal (script -qec), answering input on its stdin.
local function kittty(dir, args, input)
  local asan = os.getenv("ASAN_OPTIONS")
  local inner = ("cd %s && %s %s %s %s %s"):format(shq(dir),
    asan and ("ASAN_OPTIONS=" .. shq(asan)) or "", shell.env, check.lua(),
    shq(shell.bin), args)
  local p = io.popen(("printf %s | %s script -qec %s /dev/null 2>&1; " ..
    "echo \"EXIT:$?\""):format(shq(input),
    asan and "ASAN_OPTIONS=detect_leaks=0" or "", shq(inner)))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("EXIT:(%d+)%s*$")), out:gsub("EXIT:%d+%s*$", "")
end

local function count(s, pat)
  local _, n = s:gsub(pat, "")
  return n
end

for _, d in ipairs(dialects.live()) do
  describe("sleet-kit --verbose and --strict on " .. d.name, function()
    local dir, url

    -- True when the project's table exists (SQLite: in the project's file).
    local function exists()
      local db = d.name == "sqlite" and require("sleet").connect(url) or
        d.connect()
      local ok = pcall(function()
        db:execute(require("sleet").sql("select count(*) from ?",
          require("sleet").identifier("kit_strict_items")))
      end)
      db:close()
      return ok
    end

    local function cleanup()
      local db = d.connect()
      d.drop(db, "kit_strict_items", "__kit_strict_migrations")
      db:close()
    end

    before_each(function()
      url = d.url()
      if d.name == "sqlite" then url = "sqlite:" .. os.tmpname() end
      dir = os.tmpname()
      os.remove(dir)
      os.execute("mkdir -p " .. shq(dir))
      writefile(dir .. "/sleet.config.lua", ([[
return {
  dialect = %q, schema = "schema.lua", out = "migrations",
  dbCredentials = { url = %q },
  migrations = { table = "__kit_strict_migrations" },
  tablesFilter = "kit_strict_*",
}
]]):format(d.name, url))
      writefile(dir .. "/schema.lua", schematext(d.name))
      cleanup()
    end)

    after_each(function()
      cleanup()
      os.execute("rm -rf " .. shq(dir))
      if d.name == "sqlite" then os.remove((url:gsub("^sqlite:", ""))) end
    end)

    it("push --verbose prints the statements before they run", function()
      local code, out = kitcmd(dir, "push --verbose")
      assert.equal(0, code, out)
      local create = out:find("CREATE TABLE", 1, true)
      local index = out:find("CREATE INDEX", 1, true)
      assert.truthy(create, out)
      assert.truthy(index, out)
      assert.truthy(create < out:find("[✓] Changes applied", 1, true), out)
      assert.is_true(exists())
    end)

    it("push --strict without a terminal lists the statements, runs none",
      function()
        local code, out = kitcmd(dir, "push --strict")
        assert.equal(2, code, out)
        assert.truthy(out:find("--strict asks before each statement", 1,
          true), out)
        assert.truthy(out:find("CREATE TABLE", 1, true), out)
        assert.truthy(out:find("--yes", 1, true), out)
        assert.is_false(exists())
        code, out = kitcmd(dir, "push --strict --yes")
        assert.equal(0, code, out)
        assert.truthy(out:find("CREATE INDEX", 1, true), out)
        assert.is_true(exists())
      end)

    it("push --strict asks on a terminal: q applies nothing, y each one",
      function()
        local code, out = kittty(dir, "push --strict", "q\n")
        assert.equal(0, code, out)
        assert.truthy(out:find("[1/", 1, true), out)
        assert.truthy(out:find("Apply it?", 1, true), out)
        assert.truthy(out:find("Nothing was applied", 1, true), out)
        assert.is_false(exists())
        code, out = kittty(dir, "push --strict", "y\ny\ny\ny\ny\ny\n")
        assert.equal(0, code, out)
        assert.truthy(out:find("Changes applied", 1, true), out)
        assert.is_true(exists())
        code, out = kitcmd(dir, "push")
        assert.equal(0, code, out)
        assert.truthy(out:find("No changes detected", 1, true), out)
      end)

    it("migrate --verbose prints each migration's statements", function()
      assert.equal(0, (kitcmd(dir, "generate --name init")))
      local code, out = kitcmd(dir, "migrate --verbose")
      assert.equal(0, code, out)
      local line = out:find("[1/1] applying 0000_init", 1, true)
      assert.truthy(line, out)
      assert.truthy(out:find("\n  CREATE TABLE", line, true), out)
      assert.truthy(out:find("\n  CREATE INDEX", line, true), out)
      assert.is_true(exists())
    end)

    it("migrate --strict without a terminal needs --yes", function()
      assert.equal(0, (kitcmd(dir, "generate --name init")))
      local code, out = kitcmd(dir, "migrate --strict")
      assert.equal(2, code, out)
      assert.truthy(out:find("0000_init: CREATE TABLE", 1, true), out)
      assert.is_false(exists())
      code, out = kitcmd(dir, "migrate --strict --yes")
      assert.equal(0, code, out)
      assert.truthy(out:find("Applied 1 migration", 1, true), out)
      assert.is_true(exists())
    end)

    it("migrate --strict on a terminal stops where the answer is no",
      function()
        assert.equal(0, (kitcmd(dir, "generate --name init")))
        writefile(dir .. "/schema.lua", schematext(d.name,
          "note = s.text(),"))
        assert.equal(0, (kitcmd(dir, "generate --name note")))
        -- yes to every statement of 0000_init, no to 0001_note's first
        local code, out = kittty(dir, "migrate --strict", "a\n")
        assert.equal(0, code, out)
        assert.truthy(out:find("Applied 2 migrations", 1, true), out)
        assert.equal(0, (kitcmd(dir, "rollback --steps 2")))
        local init = out:match("0000_init %[1/(%d+)%]")
        assert.truthy(init, out)
        local answers = ("y\n"):rep(tonumber(init)) .. "n\n"
        code, out = kittty(dir, "migrate --strict", answers)
        assert.equal(0, code, out)
        assert.equal(tonumber(init), count(out, "0000_init %[%d+/%d+%]"))
        assert.truthy(out:find("0001_note [1/", 1, true), out)
        assert.truthy(out:find("Applied 1 migration", 1, true), out)
        assert.falsy(out:find("applying 0001_note", 1, true), out)
        code, out = kitcmd(dir, "migrate")
        assert.equal(0, code, out)
        assert.truthy(out:find("[1/1] applying 0001_note", 1, true), out)
      end)
  end)
end
