-- sleet-kit up: every snapshot of the folder is rewritten in the shape
-- this version writes (the one drizzle-kit reads): snapshots of older sleet
-- versions (sorted keys, columns with `order`) and drizzle-kit's older
-- PostgreSQL versions (5: tables keyed by name; 6: index columns as
-- strings). Afterwards generate goes on from the last snapshot with no
-- change; too old or too new a version is refused, naming the file, with
-- nothing written.
local check = require "spec.support.check"
local shell = require "spec.support.shell"
local core = require "sleet.core"
local kit = require "sleet.kit"
local snapshot = require "sleet.snapshot"

local readfile, shq, writefile = shell.readfile, shell.shq,
  shell.writefile

local function schema()
  local pg = require "sleet.pg"
  local mood = pg.enum("mood", { "zeta", "alpha" })
  local users = pg.table("users", {
    id = pg.serial():primaryKey(),
    name = pg.text():notNull(),
    email = pg.varchar({ length = 255 }):notNull(),
  }, function(t)
    return { pg.index("users_email_idx"):on(t.email, t.name) }
  end)
  return { users = users, mood = mood }
end

local function tmpdir() return shell.tmpdir("meta") end

-- A drizzle-kit journal of one entry.
local function journal(dir, version)
  writefile(dir .. "/meta/_journal.json", core.json_encode({
    version = "7", dialect = "postgresql",
    entries = { { idx = 0, version = version, when = 1700000000000,
      tag = "0000_init", breakpoints = true } } }))
  writefile(dir .. "/0000_init.sql", "select 1;\n")
end

-- The users table as drizzle-kit 0.2x wrote it: columns in order, index
-- columns as names.
local USERS = [[
{ "name": "users", "schema": "",
  "columns": {
    "id": { "name": "id", "type": "serial", "primaryKey": true, "notNull": true },
    "name": { "name": "name", "type": "text", "primaryKey": false, "notNull": true },
    "email": { "name": "email", "type": "varchar(255)", "primaryKey": false, "notNull": true }
  },
  "indexes": { "users_email_idx": { "name": "users_email_idx",
    "columns": [ "email", "name" ], "isUnique": false } },
  "foreignKeys": {}, "compositePrimaryKeys": {}, "uniqueConstraints": {} }]]

-- drizzle-kit's PostgreSQL snapshots said "pg" before version 6, and kept
-- enum values as a map (in order).
local function drizzlesnap(version, key)
  local old = tonumber(version) < 6
  return ([[{ "id": "11111111-1111-4111-8111-111111111111",
  "prevId": "00000000-0000-0000-0000-000000000000",
  "version": "%s", "dialect": "%s",
  "tables": { "%s": %s }, "enums": { %s }, "schemas": {},
  "_meta": { "schemas": {}, "tables": {}, "columns": {} } }]]):format(
    version, old and "pg" or "postgresql", key, USERS, old and
    [["mood": { "name": "mood", "values": { "zeta": "zeta", "alpha": "alpha" } }]]
    or [["public.mood": { "name": "mood", "schema": "public", "values": [ "zeta", "alpha" ] }]])
end

describe("sleet-kit up", function()
  local dir

  after_each(function()
    if dir then os.execute("rm -rf " .. shq(dir)) end
    dir = nil
  end)

  it("rewrites an older sleet snapshot, keeping its id", function()
    dir = tmpdir()
    local config = { dialect = "postgresql", out = dir }
    assert.is_true(kit.generate(config, { schema = schema(),
      name = "init" }).written)
    local path = dir .. "/meta/0000_snapshot.json"
    local current = readfile(path)
    -- the shape of earlier versions: sorted keys, columns with order
    local old = snapshot.encode(snapshot.readfile(current, path)) .. "\n"
    assert.truthy(old:find('"order": 1', 1, true))
    writefile(path, old)
    local r = kit.up(config)
    assert.same({ path }, r.upgraded)
    assert.equal(current, readfile(path))
    assert.is_false(kit.generate(config, { schema = schema() }).written)
    -- a second up has nothing to do
    assert.same({}, kit.up(config).upgraded)
  end)

  for _, case in ipairs({ { "6", "public.users" }, { "5", "users" } }) do
    it("upgrades drizzle-kit's PostgreSQL version " .. case[1], function()
      dir = tmpdir()
      local config = { dialect = "postgresql", out = dir }
      journal(dir, case[1])
      local path = dir .. "/meta/0000_snapshot.json"
      writefile(path, drizzlesnap(case[1], case[2]))
      assert.same({ path }, kit.up(config).upgraded)
      local v = core.json_decode(readfile(path))
      assert.equal("7", v.version)
      assert.equal("11111111-1111-4111-8111-111111111111", v.id)
      local ix = v.tables["public.users"].indexes.users_email_idx
      assert.same({ expression = "email", isExpression = false, asc = true,
        nulls = "last" }, ix.columns[1])
      assert.is_nil(v.tables["public.users"].columns.id.order)
      local j = core.json_decode(readfile(dir .. "/meta/_journal.json"))
      assert.equal("7", j.entries[1].version)
      assert.equal("postgresql", v.dialect)
      assert.same({ "zeta", "alpha" }, v.enums["public.mood"].values)
      -- generate goes on from it with no change
      assert.is_false(kit.generate(config, { schema = schema() }).written)
    end)
  end

  it("refuses a version too old or too new, writing nothing", function()
    dir = tmpdir()
    local config = { dialect = "postgresql", out = dir }
    journal(dir, "4")
    local path = dir .. "/meta/0000_snapshot.json"
    for _, case in ipairs({ { "4", "drizzle-kit up first" },
      { "8", "newer than this sleet-kit reads" } }) do
      local text = drizzlesnap(case[1], "users")
      writefile(path, text)
      local ok, err = pcall(kit.up, config)
      assert.is_false(ok)
      assert.equal("usage", err.kind)
      assert.truthy(err.message:find(path, 1, true), err.message)
      assert.truthy(err.message:find(case[2], 1, true), err.message)
      assert.equal(text, readfile(path))
    end
  end)

  it("runs from the command line", function()
    dir = tmpdir()
    journal(dir, "6")
    writefile(dir .. "/meta/0000_snapshot.json", drizzlesnap("6",
      "public.users"))
    local proj = shell.tmpdir()
    writefile(proj .. "/sleet.config.lua", ([[
return { dialect = "postgresql", out = %q }
]]):format(dir))
    local p = io.popen(("cd %s && %s %s %s up 2>&1; echo \"EXIT:$?\"")
      :format(shq(proj), shell.env, check.lua(), shq(shell.bin)))
    local out = p:read("*a")
    p:close()
    os.execute("rm -rf " .. shq(proj))
    assert.truthy(out:find("EXIT:0", 1, true), out)
    assert.truthy(out:find("1 snapshot upgraded, 0 already current", 1,
      true), out)
  end)
end)
