-- sleet.config.lua checked before anything runs: each mistake is a usage
-- error naming the config file and the field (kit.loadConfig), and
-- sleet-kit exits 2 with that message.
local kit = require "sleet.kit"

local root = (function()
  local p = io.popen("pwd")
  local d = p:read("l")
  p:close()
  return d
end)()
local BIN = root .. "/bin/sleet-kit"

local function shq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function writefile(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function absolute(paths)
  local out = {}
  for entry in paths:gmatch("[^;]+") do
    if entry:sub(1, 1) ~= "/" then entry = root .. "/" .. entry end
    out[#out + 1] = entry
  end
  return table.concat(out, ";") .. ";;"
end

local ENV = ("LUA_PATH=%s LUA_CPATH=%s"):format(shq(absolute(package.path)),
  shq(absolute(package.cpath)))

-- Runs sleet-kit in dir; returns exit code, stdout, stderr.
local function run(dir, args)
  local errfile = os.tmpname()
  local p = io.popen(("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 lua5.4 %s %s " ..
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
end)
