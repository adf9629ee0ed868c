-- The migrator (sleet.migrator) on every live dialect: applying a folder in
-- journal order, the tracking table, rollback, atomic failures, the lock
-- between two concurrent migrators, and drizzle-kit folders applied with
-- drizzle's tracking table.
local core = require "sleet.core"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local migrator = require "sleet.migrator"
local sleet = require "sleet"

local function sh(cmd)
  local ok = os.execute(cmd)
  assert(ok, "command failed: " .. cmd)
end

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  sh("mkdir -p '" .. p .. "/meta'")
  return p
end

local function writefile(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function readfile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- A migrations folder: list = { { tag, up = {stmts}, down = {stmts} } }.
local function folder(dialect, list, dir)
  dir = dir or tmpdir()
  local entries = {}
  for i, m in ipairs(list) do
    writefile(dir .. "/" .. m.tag .. ".sql", migrator.join(m.up))
    if m.down then
      writefile(dir .. "/" .. m.tag .. ".down.sql", migrator.join(m.down))
    end
    entries[i] = { idx = i - 1, version = "7", when = 1700000000000 + i,
      tag = m.tag, breakpoints = true }
  end
  writefile(dir .. "/meta/_journal.json", core.json_encode({ version = "7",
    dialect = dialect, entries = entries }))
  return dir
end

local function q(d, name)
  return d.name == "mysql" and ("`" .. name .. "`") or ('"' .. name .. '"')
end

local function hastable(db, d, name)
  local sql
  if d.name == "sqlite" then
    sql = "select name from sqlite_master where type = 'table' and name = ?"
  elseif d.name == "postgresql" then
    sql = "select table_name as name from information_schema.tables " ..
      "where table_schema = 'public' and table_name = $1"
  else
    sql = "select TABLE_NAME as name from information_schema.TABLES " ..
      "where TABLE_SCHEMA = database() and TABLE_NAME = ?"
  end
  return #db:_connection():exec_sql(sql, { name }, "all") > 0
end

local function droptables(db, d, ...)
  for _, t in ipairs({ ... }) do
    local cascade = d.name == "postgresql" and " cascade" or ""
    db:run("drop table if exists " .. q(d, t) .. cascade)
  end
end

-- The shell command running lua5.4 with this process's module paths.
local function luacmd(script)
  return ("LUA_PATH=%q LUA_CPATH=%q " .. check.lua() .. " %q"):format(package.path,
    package.cpath, script)
end

for _, d in ipairs(dialects.live()) do
  describe("migrator on " .. d.name, function()
    local db, dir
    local TABLE = "__kit_spec_migrations"
    local opts

    before_each(function()
      db = d.connect()
      droptables(db, d, "kit_m_b", "kit_m_a", TABLE)
      if d.name == "postgresql" then
        db:run('drop table if exists "drizzle"."__drizzle_migrations"')
      elseif d.name == "mysql" then
        droptables(db, d, "__drizzle_migrations")
      end
      opts = nil
    end)

    after_each(function()
      droptables(db, d, "kit_m_b", "kit_m_a", TABLE)
      db:close()
      if dir then os.execute("rm -rf '" .. dir .. "'") end
      dir = nil
    end)

    local function two()
      dir = folder(d.name, {
        { tag = "0000_first",
          up = { "create table " .. q(d, "kit_m_a") ..
            " (id integer primary key, name text)" },
          down = { "drop table " .. q(d, "kit_m_a") } },
        { tag = "0001_second",
          up = { "create table " .. q(d, "kit_m_b") ..
            " (id integer primary key)", "insert into " .. q(d, "kit_m_a") ..
            " (id, name) values (1, 'x')" },
          down = { "drop table " .. q(d, "kit_m_b"), "delete from " ..
            q(d, "kit_m_a") } },
      })
      opts = { migrationsFolder = dir, migrationsTable = TABLE }
      return opts
    end

    it("applies pending migrations in order and records them", function()
      local seen = {}
      local o = two()
      o.progress = function(i, n, e) seen[#seen + 1] = i .. "/" .. n .. " " ..
        e.tag end
      local done = migrator.migrate(db, o)
      assert.equal(2, #done)
      assert.same({ "1/2 0000_first", "2/2 0001_second" }, seen)
      assert.is_true(hastable(db, d, "kit_m_a"))
      assert.is_true(hastable(db, d, "kit_m_b"))
      local rows = migrator.applied(db, o)
      assert.equal(2, #rows)
      assert.equal("0000_first", rows[1].name)
      assert.equal(core.sha256(readfile(dir .. "/0000_first.sql")),
        rows[1].hash)
      -- a second run has nothing to do
      assert.equal(0, #migrator.migrate(db, o))
      assert.equal(2, #migrator.applied(db, o))
    end)

    it("warns about an applied migration edited afterwards", function()
      local o = two()
      migrator.migrate(db, o)
      local f = dir .. "/0000_first.sql"
      writefile(f, readfile(f) .. "\n-- edited\n")
      local warned = {}
      o.warn = function(msg) warned[#warned + 1] = msg end
      assert.equal(0, #migrator.migrate(db, o))
      assert.same({ f .. " was changed after it was applied (its hash " ..
        "differs from the one recorded)" }, warned)
    end)

    it("rolls back with the down files, newest first", function()
      local o = two()
      migrator.migrate(db, o)
      o.steps = 1
      local done = migrator.rollback(db, o)
      assert.equal("0001_second", done[1].tag)
      assert.is_false(hastable(db, d, "kit_m_b"))
      assert.is_true(hastable(db, d, "kit_m_a"))
      assert.equal(1, #migrator.applied(db, o))
      -- and forward again
      assert.equal(1, #migrator.migrate(db, o))
      assert.is_true(hastable(db, d, "kit_m_b"))
      o.steps = 2
      assert.equal(2, #migrator.rollback(db, o))
      assert.is_false(hastable(db, d, "kit_m_a"))
      assert.equal(0, #migrator.applied(db, o))
    end)

    it("refuses a rollback whose down file is missing, before any change",
      function()
        local o = two()
        migrator.migrate(db, o)
        os.remove(dir .. "/0000_first.down.sql")
        o.steps = 2
        local ok, e = pcall(migrator.rollback, db, o)
        assert.is_false(ok)
        assert.equal("migration", e.kind)
        assert.truthy(e.message:find("0000_first.down.sql", 1, true))
        assert.is_true(hastable(db, d, "kit_m_b"))
        assert.equal(2, #migrator.applied(db, o))
      end)

    it("reports the file and the failing statement", function()
      dir = folder(d.name, {
        { tag = "0000_ok", up = { "create table " .. q(d, "kit_m_a") ..
          " (id integer primary key)" } },
        { tag = "0001_bad", up = { "create table " .. q(d, "kit_m_b") ..
          " (id integer primary key)", "insert into " .. q(d, "kit_m_a") ..
          " (id) values (1)", "select no_such_column from " ..
          q(d, "kit_m_a") } },
      })
      local o = { migrationsFolder = dir, migrationsTable = TABLE }
      local ok, e = pcall(migrator.migrate, db, o)
      assert.is_false(ok)
      assert.equal("migration", e.kind)
      assert.truthy(e.message:find("0001_bad.sql", 1, true))
      assert.truthy(e.message:find("no_such_column", 1, true))
      assert.truthy(e.sql:find("no_such_column", 1, true))
      local rows = migrator.applied(db, o)
      assert.equal(1, #rows)
      assert.equal("0000_ok", rows[1].name)
      if d.name == "mysql" then
        -- MySQL commits DDL as it goes: what was applied is reported
        assert.equal(2, #e.applied)
        assert.truthy(e.message:find("already applied", 1, true))
      else
        -- a failing migration leaves no trace
        assert.is_false(hastable(db, d, "kit_m_b"))
        local n = db:_connection():exec_sql("select count(*) as n from " ..
          q(d, "kit_m_a"), {}, "all")[1].n
        assert.equal(0, n)
      end
    end)

    it("serialises two concurrent migrators with its lock", function()
      local url = d.url()
      local dbfile
      if d.name == "sqlite" then
        -- two connections to one database need a file
        dbfile = os.tmpname()
        url = "sqlite:" .. dbfile
      end
      local slow = ({
        sqlite = "with recursive c(x) as (select 1 union all select x + 1 " ..
          "from c where x < 300000) select count(*) from c",
        postgresql = "select pg_sleep(0.4)",
        mysql = "select sleep(0.4)",
      })[d.name]
      dir = folder(d.name, {
        { tag = "0000_slow", up = { "create table " .. q(d, "kit_m_a") ..
          " (id integer primary key, n integer)", slow,
          "insert into " .. q(d, "kit_m_a") .. " (id, n) values (1, 1)" } },
        { tag = "0001_next", up = { "create table " .. q(d, "kit_m_b") ..
          " (id integer primary key)", slow } },
      })
      local script = dir .. "/run.lua"
      writefile(script, ([[
local sleet = require "sleet"
local migrator = require "sleet.migrator"
local db = sleet.connect(%q)
local said = {}
local ok, r = pcall(migrator.migrate, db, { migrationsFolder = %q,
  migrationsTable = %q, progress = function(i, n, e)
    said[#said + 1] = ("[%%d/%%d] %%s"):format(i, n, e.tag)
  end })
db:close()
if not ok then
  print("error " .. tostring(type(r) == "table" and r.message or r))
  os.exit(1)
end
local tags = {}
for i, e in ipairs(r) do tags[i] = e.tag end
print("ok " .. #r)
print("applied: " .. table.concat(tags, " "))
print("progress: " .. table.concat(said, " "))
]]):format(url, dir, TABLE))
      local p1 = assert(io.popen(luacmd(script) .. " 2>&1"))
      local p2 = assert(io.popen(luacmd(script) .. " 2>&1"))
      local out1, out2 = p1:read("a"), p2:read("a")
      p1:close()
      p2:close()
      -- both succeed; between them each migration ran exactly once
      local n1 = tonumber(out1:match("^ok (%d+)"))
      local n2 = tonumber(out2:match("^ok (%d+)"))
      assert(n1 and n2, out1 .. out2)
      assert.equal(2, n1 + n2)
      -- each reported applying only what it applied, numbered from 1
      for _, out in ipairs({ out1, out2 }) do
        local applied = out:match("\napplied: ([^\n]*)")
        local said = out:match("\nprogress: ([^\n]*)")
        local expect = {}
        local k = 0
        for tag in applied:gmatch("%S+") do
          k = k + 1
          expect[k] = ("[%d/%d] %s"):format(k, select(2, applied:gsub("%S+",
            "")), tag)
        end
        assert.equal(table.concat(expect, " "), said, out1 .. out2)
      end
      local other = d.name == "sqlite" and sleet.connect(url) or db
      local rows = migrator.applied(other, { migrationsTable = TABLE })
      assert.equal(2, #rows)
      local n = other:_connection():exec_sql("select count(*) as n from " ..
        q(d, "kit_m_a"), {}, "all")[1].n
      assert.equal(1, n)
      if dbfile then
        other:close()
        os.remove(dbfile)
      end
    end)

    it("applies a drizzle-kit folder with drizzle's tracking table", function()
      if not d.only("sqlite", "postgresql",
        "fixtures are drizzle-kit folders for SQLite and PostgreSQL") then
        return
      end
      local fixture = "spec/fixtures/drizzle/" .. d.name
      droptables(db, d, "posts", "users")
      local o = { migrationsFolder = fixture,
        migrationsTable = "__drizzle_migrations" }
      local done = migrator.migrate(db, o)
      assert.equal(2, #done)
      assert.is_true(hastable(db, d, "users"))
      assert.is_true(hastable(db, d, "posts"))
      local rows = migrator.applied(db, o)
      assert.equal(2, #rows)
      assert.equal(core.sha256(readfile(fixture .. "/0000_" ..
        (d.name == "sqlite" and "tidy_lynx" or "calm_heron") .. ".sql")),
        rows[1].hash)
      assert.equal(1718000000000, tonumber(rows[1].created_at))
      if d.name == "postgresql" then
        -- in drizzle's own schema
        local r = db:_connection():exec_sql("select count(*) as n from " ..
          '"drizzle"."__drizzle_migrations"', {}, "all")
        assert.equal(2, r[1].n)
      end
      assert.equal(0, #migrator.migrate(db, o))
      droptables(db, d, "posts", "users")
      if d.name == "sqlite" then droptables(db, d, "__drizzle_migrations") end
    end)

    it("continues a tracking table written by drizzle's migrator", function()
      if not d.only("sqlite", "postgresql",
        "fixtures are drizzle-kit folders for SQLite and PostgreSQL") then
        return
      end
      local fixture = "spec/fixtures/drizzle/" .. d.name
      droptables(db, d, "posts", "users")
      -- what drizzle-orm's migrator leaves after the first migration
      local c = db:_connection()
      local first = readfile(fixture .. "/0000_" ..
        (d.name == "sqlite" and "tidy_lynx" or "calm_heron") .. ".sql")
      for _, s in ipairs(migrator.statements(first)) do c:exec_sql(s) end
      local t
      if d.name == "postgresql" then
        c:exec_sql('create schema if not exists "drizzle"')
        t = '"drizzle"."__drizzle_migrations"'
        c:exec_sql("create table " .. t .. " (id serial primary key, " ..
          "hash text not null, created_at bigint)")
        c:exec_sql("insert into " .. t .. " (hash, created_at) values " ..
          "($1, $2)", { core.sha256(first), 1718000000000 })
      else
        t = '"__drizzle_migrations"'
        c:exec_sql("create table " .. t .. " (id SERIAL PRIMARY KEY, " ..
          "hash text NOT NULL, created_at numeric)")
        c:exec_sql("insert into " .. t .. " (hash, created_at) values (?, ?)",
          { core.sha256(first), 1718000000000 })
      end
      local done = migrator.migrate(db, { migrationsFolder = fixture,
        migrationsTable = "__drizzle_migrations" })
      assert.equal(1, #done)
      assert.equal("0001_" .. (d.name == "sqlite" and "brave_falcon" or
        "keen_osprey"), done[1].tag)
      assert.is_true(hastable(db, d, "posts"))
      droptables(db, d, "posts", "users")
      if d.name == "sqlite" then droptables(db, d, "__drizzle_migrations") end
    end)
  end)
end

describe("a drizzle-kit folder", function()
  local kit = require "sleet.kit"

  local schemas = {
    sqlite = function()
      local s = require "sleet.sqlite"
      local users = s.table("users", {
        id = s.integer():primaryKey({ autoIncrement = true }),
        name = s.text():notNull(),
        email = s.text():notNull(),
        age = s.integer(),
      }, function(t) return { s.uniqueIndex("users_email_unique"):on(t.email) }
      end)
      local posts = s.table("posts", {
        id = s.integer():primaryKey({ autoIncrement = true }),
        authorId = s.integer("author_id"):notNull()
          :references(function() return users.id end, { onDelete = "cascade" }),
        title = s.text():notNull(),
      })
      return { users = users, posts = posts }
    end,
    postgresql = function()
      local pg = require "sleet.pg"
      local users = pg.table("users", {
        id = pg.serial():primaryKey(),
        name = pg.text():notNull(),
        email = pg.varchar({ length = 255 }):notNull():unique(),
        age = pg.integer(),
      })
      local posts = pg.table("posts", {
        id = pg.serial():primaryKey(),
        authorId = pg.integer("author_id"):notNull()
          :references(function() return users.id end, { onDelete = "cascade" }),
        title = pg.text():notNull(),
      })
      return { users = users, posts = posts }
    end,
  }

  for _, name in ipairs({ "sqlite", "postgresql" }) do
    it("is continued by generate from its last snapshot (" .. name .. ")",
      function()
        local dir = tmpdir()
        sh("cp -r spec/fixtures/drizzle/" .. name .. "/. '" .. dir .. "'")
        local config = { dialect = name, out = dir }
        local r = kit.generate(config, { schema = schemas[name]() })
        assert.is_false(r.written)
        -- a change follows drizzle-kit's last snapshot
        local s = schemas[name]()
        local m = require(name == "sqlite" and "sleet.sqlite" or "sleet.pg")
        s.tags = m.table("tags", { label = m.text():notNull() })
        r = kit.generate(config, { schema = s, name = "tags" })
        assert.is_true(r.written)
        assert.equal(1, #r.statements)
        local last = core.json_decode(readfile(dir ..
          "/meta/0001_snapshot.json"))
        local snap = core.json_decode(readfile(r.snapshotFile))
        assert.equal(last.id, snap.prevId)
        assert.equal("0002_tags", r.tag)
        os.execute("rm -rf '" .. dir .. "'")
      end)
  end
end)
