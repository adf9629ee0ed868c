-- sleet.config.lua checked before anything runs: each mistake is a usage
-- error naming the config file and the field (kit.loadConfig), and
-- sleet-kit exits 2 with that message.
local check = require "spec.support.check"
local kit = require "sleet.kit"

local shell = require "spec.support.shell"

local BIN, shq, writefile = shell.bin, shell.shq, shell.writefile

local ENV = shell.env

-- Runs sleet-kit in dir; returns exit code, stdout, stderr.
local function run(dir, args)
  local errfile = os.tmpname()
  local p = io.popen(("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 " .. check.lua() .. " %s %s " ..
    "2>%s; echo \"EXIT:$?\""):format(shq(dir), ENV, shq(BIN), args,
    shq(errfile)))
  local out = p:read("a")
  p:close()
  local f = assert(io.open(errfile, "rb"))
  local err = f:read("a")
  f:close()
  os.remove(errfile)
  return tonumber(out:match("EXIT:(%d+)%s*$")), out:gsub("EXIT:%d+%s*$", ""),
    err
end

local SCHEMA = [[
local s = require "sleet.sqlite"
return { users = s.table("kit_cfg_users", { id = s.integer():primaryKey() }) }
]]

describe("sleet.config.lua", function()
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. shq(dir)))
    writefile(dir .. "/schema.lua", SCHEMA)
  end)

  after_each(function()
    os.execute("rm -rf " .. shq(dir))
  end)

  -- The usage error kit.loadConfig raises for a config body.
  local function loaderror(body)
    local path = dir .. "/sleet.config.lua"
    writefile(path, body)
    local ok, e = pcall(kit.loadConfig, path)
    assert.is_false(ok, "accepted: " .. body)
    assert.equal("table", type(e))
    assert.equal("usage", e.kind)
    return e.message, path
  end

  describe("a dialect its URL disagrees with", function()
    local cases = {
      { "postgresql", "sqlite:x.db", "sqlite", "sqlite:" },
      { "postgresql", "mysql://u@h/db", "mysql", "mysql:" },
      { "mysql", "postgres://u@h/db", "postgresql", "postgres:" },
      { "mysql", "file:x.db", "sqlite", "file:" },
      { "sqlite", "postgresql://u:secret@h/db", "postgresql", "postgresql:" },
      { "sqlite", "mariadb://u@h/db", "mysql", "mariadb:" },
    }
    for _, c in ipairs(cases) do
      local dialect, url, named, scheme = c[1], c[2], c[3], c[4]
      it(("is refused: %s with %s"):format(dialect, url), function()
        local msg, path = loaderror(("return { dialect = %q, schema = " ..
          "'schema.lua', dbCredentials = { url = %q } }"):format(dialect, url))
        assert.equal(("%s: dialect is %s but dbCredentials.url is a %s " ..
          "URL (%s)"):format(path, dialect, named, scheme), msg)
        assert.falsy(msg:find("secret", 1, true), "no password in messages")
      end)
    end

    it("is refused for a server dialect given a file name", function()
      local msg, path = loaderror("return { dialect = 'postgresql', " ..
        "schema = 'schema.lua', dbCredentials = { url = 'x.db' } }")
      assert.equal(path .. ": dbCredentials.url must be a postgresql URL " ..
        "(postgres://user:password@host:port/database), for dialect " ..
        "postgresql", msg)
    end)

    it("accepts drizzle-kit's SQLite file names and matching schemes",
      function()
        for _, c in ipairs({ { "sqlite", "x.db" }, { "sqlite", "./x.db" },
          { "sqlite", "file:x.db" }, { "sqlite", "sqlite:x.db" },
          { "postgresql", "postgres://u@h/db" },
          { "postgresql", "postgresql://u@h/db" },
          { "mysql", "mysql://u@h/db" }, { "mysql", "mariadb://u@h/db" } }) do
          local path = dir .. "/sleet.config.lua"
          writefile(path, ("return { dialect = %q, schema = 'schema.lua', " ..
            "dbCredentials = { url = %q } }"):format(c[1], c[2]))
          assert.equal(c[1], kit.loadConfig(path).dialect)
        end
      end)

    it("is refused by the command with exit code 2, before connecting",
      function()
        writefile(dir .. "/sleet.config.lua", "return { dialect = " ..
          "'postgresql', schema = 'schema.lua', dbCredentials = { url = " ..
          "'sqlite:x.db' } }")
        local code, out, err = run(dir, "migrate")
        assert.equal(2, code, out .. err)
        assert.equal("sleet-kit: sleet.config.lua: dialect is postgresql " ..
          "but dbCredentials.url is a sqlite URL (sqlite:)\n", err)
        assert.is_nil(io.open(dir .. "/x.db", "rb"))
      end)
  end)

  describe("mistakes in its fields", function()
    it("a dbCredentials.url that is not a string", function()
      local msg, path = loaderror("return { dialect = 'sqlite', schema = " ..
        "'schema.lua', dbCredentials = { url = 5 } }")
      assert.equal(path .. ": dbCredentials.url must be a string, got a " ..
        "number", msg)
    end)

    it("dbCredentials given as a string", function()
      local msg, path = loaderror("return { dialect = 'sqlite', schema = " ..
        "'schema.lua', dbCredentials = 'sqlite:x.db' }")
      assert.equal(path .. ': dbCredentials must be a table such as { url ' ..
        '= "..." }, got a string', msg)
    end)

    it("a config file raising a value that is not a message", function()
      local msg, path = loaderror("error({ x = 1 })")
      assert.equal("error in " .. path .. ": it raised a table value, not " ..
        "an error message", msg)
      msg = loaderror("error(nil)")
      assert.equal("error in " .. path .. ": it raised a nil value, not an " ..
        "error message", msg)
    end)

    it("the command says the same with exit code 2", function()
      writefile(dir .. "/sleet.config.lua", "error({ x = 1 })")
      local code, _, err = run(dir, "export")
      assert.equal(2, code, err)
      assert.equal("sleet-kit: error in sleet.config.lua: it raised a table " ..
        "value, not an error message\n", err)
      writefile(dir .. "/sleet.config.lua", "return { dialect = 'sqlite', " ..
        "schema = 'schema.lua', dbCredentials = { url = 5 } }")
      code, _, err = run(dir, "migrate")
      assert.equal(2, code, err)
      assert.equal("sleet-kit: sleet.config.lua: dbCredentials.url must be " ..
        "a string, got a number\n", err)
    end)
  end)

  describe("schema files", function()
    -- The error kit.loadSchema raises for schema.lua and more.lua.
    local function schemaerror()
      local ok, e = pcall(kit.loadSchema, { dialect = "sqlite",
        schema = { dir .. "/schema.lua", dir .. "/more.lua" } })
      assert.is_false(ok)
      assert.equal("table", type(e))
      return e
    end

    before_each(function() writefile(dir .. "/more.lua", "return {}") end)

    it("holding no table is an error naming them", function()
      writefile(dir .. "/schema.lua", "return { x = 1 }")
      local e = schemaerror()
      assert.equal("usage", e.kind)
      assert.equal(("schema %s/schema.lua: x is not a table, an enum, a " ..
        "sequence or relations (got a number)"):format(dir), e.message)
      writefile(dir .. "/schema.lua", "return {}")
      e = schemaerror()
      assert.equal(("schema %s/schema.lua, %s/more.lua has no tables")
        :format(dir, dir), e.message)
    end)

    it("an entry that is not a table object is named", function()
      writefile(dir .. "/more.lua", [[
local s = require "sleet.sqlite"
return { id = s.integer() }
]])
      local e = schemaerror()
      assert.equal(("schema %s/more.lua: id is not a table, an enum, a " ..
        "sequence or relations (got a builder)"):format(dir), e.message)
    end)

    it("returning something else than a table of tables", function()
      for body, got in pairs({ ["return 5"] = "a number",
        ["local s = require 'sleet.sqlite'\nreturn s.table('t', " ..
        "{ id = s.integer() })"] = "a table" }) do
        writefile(dir .. "/schema.lua", body)
        local ok, e = pcall(kit.loadSchema, { dialect = "sqlite",
          schema = dir .. "/schema.lua" })
        assert.is_false(ok)
        assert.equal(("schema %s/schema.lua must return a table of tables " ..
          "({ users = users, ... }), got %s"):format(dir, got), e.message)
      end
    end)

    it("raising an error value is named", function()
      writefile(dir .. "/schema.lua", "error({ x = 1 })")
      local ok, e = pcall(kit.loadSchema, { dialect = "sqlite",
        schema = dir .. "/schema.lua" })
      assert.is_false(ok)
      assert.equal("usage", e.kind)
      assert.equal(("error in schema %s/schema.lua: it raised a table " ..
        "value, not an error message"):format(dir), e.message)
    end)

    it("export with a schema of no tables fails with exit code 2", function()
      writefile(dir .. "/sleet.config.lua", "return { dialect = 'sqlite', " ..
        "schema = 'schema.lua' }")
      writefile(dir .. "/schema.lua", "return { x = 1 }")
      local code, out, err = run(dir, "export")
      assert.equal(2, code, out .. err)
      assert.equal("", out)
      assert.equal("sleet-kit: schema schema.lua: x is not a table, an enum, " ..
        "a sequence or relations (got a number)\n", err)
    end)
  end)
end)
