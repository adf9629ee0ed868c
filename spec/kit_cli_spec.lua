-- The sleet-kit command, run as a child process in a project directory
-- (sleet.config.lua and a schema file): help, exit codes, generate and its
-- rename questions (on a pseudo-terminal through script(1), and as flags
-- in a run without one), warnings for destructive changes, push's guard,
-- migrate / rollback, check and export.
local core = require "sleet.core"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local shell = require "spec.support.shell"

local BIN, shq, writefile = shell.bin, shell.shq, shell.writefile

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
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

-- This process's module paths, made absolute (the command runs elsewhere).
local ENV = shell.env

-- Runs sleet-kit in dir without a terminal; returns exit code, output.
local function kit(dir, args, input)
  local cmd = ("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 " .. check.lua() .. " %s %s 2>&1")
    :format(shq(dir), ENV, shq(BIN), args)
  if input then cmd = "printf %s " .. shq(input) .. " | (" .. cmd .. ")" end
  local p = io.popen(cmd .. "; echo \"EXIT:$?\"")
  local out = p:read("a")
  p:close()
  local code = tonumber(out:match("EXIT:(%d+)%s*$"))
  return code, out:gsub("EXIT:%d+%s*$", "")
end

-- Runs sleet-kit in dir without a terminal; returns exit code, stdout,
-- stderr.
local function kitsplit(dir, args)
  local errfile = os.tmpname()
  local cmd = ("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 " .. check.lua() ..
    " %s %s 2>%s")
    :format(shq(dir), ENV, shq(BIN), args, shq(errfile))
  local p = io.popen(cmd .. "; echo \"EXIT:$?\"")
  local out = p:read("a")
  p:close()
  local err = readfile(errfile)
  os.remove(errfile)
  local code = tonumber(out:match("EXIT:(%d+)%s*$"))
  return code, out:gsub("EXIT:%d+%s*$", ""), err
end

-- Runs sleet-kit on a pseudo-terminal (script -qec), answers on its stdin.
-- Under the sanitizer run (LD_PRELOAD of libasan) script(1) itself is not
-- ours to check for leaks: it runs with leak detection off, and sleet-kit
-- inside it with the caller's ASAN_OPTIONS again.
local function kittty(dir, args, input)
  local asan = os.getenv("ASAN_OPTIONS")
  local inner = ("cd %s && %s %s " .. check.lua() .. " %s %s"):format(shq(dir),
    asan and ("ASAN_OPTIONS=" .. shq(asan)) or "", ENV, shq(BIN), args)
  local cmd = ("printf %s | %s script -qec %s /dev/null 2>&1; "
    .. "echo \"EXIT:$?\""):format(shq(input),
    asan and "ASAN_OPTIONS=detect_leaks=0" or "", shq(inner))
  local p = io.popen(cmd)
  local out = p:read("a")
  p:close()
  local code = tonumber(out:match("EXIT:(%d+)%s*$"))
  return code, out:gsub("EXIT:%d+%s*$", "")
end

local function project(dialect, url, extra)
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. shq(dir))
  writefile(dir .. "/sleet.config.lua", ([[
return {
  dialect = %q,
  schema = "schema.lua",
  out = "migrations",
  dbCredentials = { url = %q },
  migrations = { table = "__kit_cli_migrations" },
  tablesFilter = "kit_cli_*",
  %s
}
]]):format(dialect, url, extra or ""))
  return dir
end

local SCHEMAS = {
  sqlite = {
    v1 = [[
local s = require "sleet.sqlite"
local users = s.table("kit_cli_users", {
  id = s.integer():primaryKey(),
  name = s.text():notNull(),
  age = s.integer(),
})
return { users = users }
]],
    renamed = [[
local s = require "sleet.sqlite"
local users = s.table("kit_cli_users", {
  id = s.integer():primaryKey(),
  full_name = s.text():notNull(),
  age = s.integer(),
})
return { users = users }
]],
    dropped = [[
local s = require "sleet.sqlite"
local users = s.table("kit_cli_users", {
  id = s.integer():primaryKey(),
  full_name = s.text():notNull(),
})
return { users = users }
]],
  },
}

describe("sleet-kit", function()
  local dir

  after_each(function()
    if dir then os.execute("rm -rf " .. shq(dir)) end
    dir = nil
  end)

  it("prints help with exit code 0, for each command too", function()
    dir = project("sqlite", "sqlite::memory:")
    local code, out = kit(dir, "--help")
    assert.equal(0, code)
    assert.truthy(out:find("generate", 1, true))
    for _, c in ipairs({ "generate", "migrate", "rollback", "push", "check",
      "export" }) do
      code, out = kit(dir, c .. " --help")
      assert.equal(0, code, c)
      assert.truthy(out:find("Usage: sleet%-kit " .. c), c)
      code, out = kit(dir, "help " .. c)
      assert.equal(0, code, c)
      assert.truthy(out:find("Usage: sleet%-kit " .. c), c)
    end
  end)

  it("exits 2 on usage errors", function()
    dir = project("sqlite", "sqlite::memory:")
    assert.equal(2, (kit(dir, "")))
    assert.equal(2, (kit(dir, "frobnicate")))
    assert.equal(2, (kit(dir, "generate --bogus")))
    assert.equal(2, (kit(dir, "rollback --steps zero")))
    assert.equal(2, (kit(dir, "generate --config nowhere.lua")))
  end)

  describe("generate", function()
    before_each(function()
      dir = project("sqlite", "sqlite::memory:")
      writefile(dir .. "/schema.lua", SCHEMAS.sqlite.v1)
    end)

    it("writes drizzle-kit's layout, and nothing when nothing changed",
      function()
        local code, out = kit(dir, "generate --name init")
        assert.equal(0, code, out)
        local files = listdir(dir .. "/migrations")
        assert.same({ "0000_init.down.sql", "0000_init.sql", "meta" }, files)
        assert.same({ "0000_snapshot.json", "_journal.json" },
          listdir(dir .. "/migrations/meta"))
        local journal = core.json_decode(readfile(dir ..
          "/migrations/meta/_journal.json"))
        assert.equal("7", journal.version)
        assert.equal("sqlite", journal.dialect)
        assert.equal("0000_init", journal.entries[1].tag)
        assert.equal(0, journal.entries[1].idx)
        assert.is_true(journal.entries[1].breakpoints)
        local snap = core.json_decode(readfile(dir ..
          "/migrations/meta/0000_snapshot.json"))
        assert.equal("00000000-0000-0000-0000-000000000000", snap.prevId)
        assert.truthy(snap.tables.kit_cli_users)
        assert.truthy(readfile(dir .. "/migrations/0000_init.sql")
          :find("CREATE TABLE", 1, true))
        assert.truthy(readfile(dir .. "/migrations/0000_init.down.sql")
          :find("DROP TABLE", 1, true))
        code, out = kit(dir, "generate")
        assert.equal(0, code)
        assert.truthy(out:find("nothing to migrate", 1, true))
        assert.equal(3, #listdir(dir .. "/migrations"))
      end)

    it("stops with exit code 2 and the choices on an unanswered rename",
      function()
        assert.equal(0, (kit(dir, "generate --name init")))
        writefile(dir .. "/schema.lua", SCHEMAS.sqlite.renamed)
        local code, out = kit(dir, "generate --name rename")
        assert.equal(2, code, out)
        assert.truthy(out:find("Is column kit_cli_users.full_name created " ..
          "or renamed from name?", 1, true), out)
        assert.truthy(out:find("--rename kit_cli_users.name=full_name", 1,
          true), out)
        assert.truthy(out:find("--create-column kit_cli_users.full_name", 1,
          true), out)
        assert.equal(3, #listdir(dir .. "/migrations"))
        -- answered with a flag
        code, out = kit(dir, "generate --name rename " ..
          "--rename kit_cli_users.name=full_name")
        assert.equal(0, code, out)
        local sql = readfile(dir .. "/migrations/0001_rename.sql")
        assert.truthy(sql:upper():find("RENAME COLUMN", 1, true), sql)
        assert.falsy(sql:upper():find("DROP COLUMN", 1, true), sql)
        local down = readfile(dir .. "/migrations/0001_rename.down.sql")
        assert.truthy(down:upper():find("RENAME COLUMN", 1, true), down)
      end)

    it("asks about renames on a terminal", function()
      assert.equal(0, (kit(dir, "generate --name init")))
      writefile(dir .. "/schema.lua", SCHEMAS.sqlite.renamed)
      -- choice 2: renamed from name
      local code, out = kittty(dir, "generate --name rename", "2\n")
      assert.equal(0, code, out)
      assert.truthy(out:find("Is column kit_cli_users.full_name created or " ..
        "renamed from name?", 1, true), out)
      local sql = readfile(dir .. "/migrations/0001_rename.sql")
      assert.truthy(sql:upper():find("RENAME COLUMN", 1, true), sql)
    end)

    it("creates when the terminal answers create", function()
      assert.equal(0, (kit(dir, "generate --name init")))
      writefile(dir .. "/schema.lua", SCHEMAS.sqlite.renamed)
      local code, out = kittty(dir, "generate --name recreate", "1\n")
      assert.equal(0, code, out)
      local sql = readfile(dir .. "/migrations/0001_recreate.sql")
      assert.falsy(sql:upper():find("RENAME COLUMN", 1, true), sql)
      -- dropping name loses data: the file says so
      assert.truthy(sql:find("-- WARNING:", 1, true), sql)
    end)

    it("writes a warning line for a destructive change", function()
      assert.equal(0, (kit(dir, "generate --name init")))
      writefile(dir .. "/schema.lua", SCHEMAS.sqlite.dropped)
      local code, out = kit(dir, "generate --name drop " ..
        "--rename kit_cli_users.name=full_name")
      assert.equal(0, code, out)
      local sql = readfile(dir .. "/migrations/0001_drop.sql")
      assert.truthy(sql:match("^%-%- WARNING: [^\n]*age"), sql)
      assert.truthy(out:find("age", 1, true), out)
    end)

    it("writes an empty custom migration", function()
      assert.equal(0, (kit(dir, "generate --name init")))
      local code = kit(dir, "generate --custom --name seed")
      assert.equal(0, code)
      assert.truthy(readfile(dir .. "/migrations/0001_seed.sql"))
      assert.truthy(readfile(dir .. "/migrations/meta/0001_snapshot.json"))
    end)
  end)

  describe("check", function()
    before_each(function()
      dir = project("sqlite", "sqlite:" .. os.tmpname())
      writefile(dir .. "/schema.lua", SCHEMAS.sqlite.v1)
    end)

    it("finds edited migrations, branches and stray files", function()
      assert.equal(0, (kit(dir, "generate --name init")))
      assert.equal(0, (kit(dir, "migrate")))
      local code, out = kit(dir, "check")
      assert.equal(0, code, out)
      -- an applied migration edited afterwards
      local f = dir .. "/migrations/0000_init.sql"
      writefile(f, readfile(f) .. "\n-- edited\n")
      code, out = kit(dir, "check")
      assert.equal(1, code)
      assert.truthy(out:find("edited", 1, true), out)
      -- two snapshots after the same one
      local s = readfile(dir .. "/migrations/meta/0000_snapshot.json")
      local snap = core.json_decode(s)
      writefile(dir .. "/migrations/meta/0005_snapshot.json",
        core.json_encode({ id = "x", prevId = snap.prevId, tables = {} }))
      writefile(dir .. "/migrations/0005_other.sql", "select 1;")
      code, out = kit(dir, "check")
      assert.equal(1, code)
      assert.truthy(out:find("conflict", 1, true), out)
      assert.truthy(out:find("0005_other.sql is not in the journal", 1, true),
        out)
    end)
  end)

  it("exports the schema as SQL", function()
    dir = project("sqlite", "sqlite::memory:")
    writefile(dir .. "/schema.lua", SCHEMAS.sqlite.v1)
    local code, out = kit(dir, "export")
    assert.equal(0, code)
    assert.truthy(out:find('CREATE TABLE "kit_cli_users"', 1, true), out)
  end)

  for _, d in ipairs(dialects.live()) do
    describe("on " .. d.name, function()
      local url
      before_each(function()
        url = d.url()
        if d.name == "sqlite" then url = "sqlite:" .. os.tmpname() end
        dir = project(d.name, url)
        local db = d.connect()
        d.drop(db, "kit_cli_users", "__kit_cli_migrations")
        db:close()
        local m = ({ sqlite = "sleet.sqlite", postgresql = "sleet.pg",
          mysql = "sleet.mysql" })[d.name]
        local text = SCHEMAS.sqlite.v1:gsub("sleet%.sqlite", m)
        if d.name == "mysql" then text = text:gsub("s%.integer", "s.int") end
        writefile(dir .. "/schema.lua", text)
      end)

      after_each(function()
        local db = d.connect()
        d.drop(db, "kit_cli_users", "__kit_cli_migrations")
        db:close()
      end)

      it("migrates with progress lines and rolls back", function()
        assert.equal(0, (kit(dir, "generate --name init")))
        local text = readfile(dir .. "/schema.lua"):gsub("age = ",
          "score = s.integer(),\n  age = ")
        writefile(dir .. "/schema.lua", text)
        assert.equal(0, (kit(dir, "generate --name score")))
        local code, out = kit(dir, "migrate")
        assert.equal(0, code, out)
        assert.truthy(out:find("[1/2] applying 0000_init", 1, true), out)
        assert.truthy(out:find("[2/2] applying 0001_score", 1, true), out)
        code, out = kit(dir, "migrate")
        assert.equal(0, code)
        assert.truthy(out:find("No pending migrations", 1, true), out)
        code, out = kit(dir, "push")
        assert.equal(0, code, out)
        assert.truthy(out:find("No changes detected", 1, true), out)
        code, out = kit(dir, "rollback --steps 2")
        assert.equal(0, code, out)
        assert.truthy(out:find("[1/2] reverting 0001_score", 1, true), out)
      end)

      it("migrate warns about an applied migration edited afterwards",
        function()
          assert.equal(0, (kit(dir, "generate --name init")))
          assert.equal(0, (kit(dir, "migrate")))
          local f = dir .. "/migrations/0000_init.sql"
          writefile(f, readfile(f) .. "\n-- edited\n")
          local code, out, err = kitsplit(dir, "migrate")
          assert.equal(0, code, err)
          assert.equal("[!] warning: migrations/0000_init.sql was changed " ..
            "after it was applied (its hash differs from the one " ..
            "recorded); run sleet-kit check\n", err)
          assert.equal("[i] No pending migrations\n", out)
          code, out = kit(dir, "check")
          assert.equal(1, code, out)
          assert.truthy(out:find("[x] edited: migrations/0000_init.sql was " ..
            "changed after it was applied", 1, true), out)
        end)

      it("push refuses destructive changes without --force", function()
        assert.equal(0, (kit(dir, "push")))
        local text = readfile(dir .. "/schema.lua"):gsub("\n  age = [^\n]*",
          "")
        writefile(dir .. "/schema.lua", text)
        local code, out = kit(dir, "push")
        assert.equal(2, code, out)
        assert.truthy(out:find("age", 1, true), out)
        assert.truthy(out:find("--force", 1, true), out)
        code, out = kit(dir, "push --force")
        assert.equal(0, code, out)
        code, out = kit(dir, "push")
        assert.equal(0, code, out)
        assert.truthy(out:find("No changes detected", 1, true), out)
      end)
    end)
  end
end)
