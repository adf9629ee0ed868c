-- `sleet-kit seed` as a child process in a project directory, on every
-- live dialect: the whole schema with the defaults when there is no seed
-- file, a seed file from seeds/ with --reset and --seed (the same seed
-- gives the same rows), the summary it prints, and bad input (a missing
-- file, a seed whose refinement names an unknown column: exit codes, the
-- message, nothing written).
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local schemas = require "spec.support.schemas"
local shell = require "spec.support.shell"

local shq, writefile = shell.shq, shell.writefile

local function kit(dir, args)
  local cmd = ("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 " .. check.lua() ..
    " %s %s 2>&1"):format(shq(dir), shell.env, shq(shell.bin), args)
  local p = io.popen(cmd .. "; echo \"EXIT:$?\"")
  local out = p:read("*a")
  p:close()
  local code = tonumber(out:match("EXIT:(%d+)%s*$"))
  return code, (out:gsub("EXIT:%d+%s*$", ""))
end

local SCHEMA = [[
local m = require %q
local users = m.table("kseed_users", {
  id = m.integer():primaryKey(),
  name = m.text():notNull(),
  email = (m.varchar or m.text)({ length = 255 }):notNull():unique(),
})
local posts = m.table("kseed_posts", {
  id = m.integer():primaryKey(),
  authorId = m.integer("author_id"):notNull()
    :references(function() return users.id end),
  title = m.text(),
})
return { users = users, posts = posts }
]]

local SEEDFILE = [[
return function(db, seed)
  seed.seed(db, seed.schema, { count = 4, refine = function(f) return {
    users = { with = { posts = 2 }, columns = { name = f.firstName() } },
  } end })
end
]]

local BADSEED = [[
return function(db, seed)
  seed.seed(db, seed.schema, { refine = function(f) return {
    users = { columns = { nickname = f.firstName() } },
  } end })
end
]]

for _, d in ipairs(dialects.live()) do
  describe("sleet-kit seed on " .. d.name, function()
    local dir, db, s
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert.truthy(check.execute("mkdir -p " .. shq(dir .. "/seeds")))
      local mod = schemas.modules[d.name]
      writefile(dir .. "/schema.lua", SCHEMA:format(mod))
      local url = d.name == "sqlite" and ("sqlite:" .. dir .. "/app.db")
        or d.url()
      -- tablesFilter: the test database holds other specs' tables too
      writefile(dir .. "/sleet.config.lua", ("return { dialect = %q, " ..
        "schema = \"schema.lua\", out = \"migrations\", tablesFilter = " ..
        "\"kseed_*\", dbCredentials = { url = %q } }\n"):format(d.name, url))
      s = dofile(dir .. "/schema.lua")
      db = sleet.connect(url, { schema = s })
      d.reset(db, s)
      local code, out = kit(dir, "push --force")
      assert.equal(0, code, out)
    end)
    after_each(function()
      d.reset(db, s)
      db:close()
      check.execute("rm -rf " .. shq(dir))
    end)

    local function rows(t)
      local out = {}
      for _, r in ipairs(db:select():from(t):orderBy(t.id):all()) do
        out[#out + 1] = r
      end
      return out
    end

    it("seeds the whole schema when there is no seed file", function()
      local code, out = kit(dir, "seed --seed 5")
      assert.equal(0, code, out)
      assert.matches("Seeded 20 rows in 2 tables", out)
      assert.matches("users%s+10 rows", out)
      assert.equal(10, #rows(s.users))
      assert.equal(10, #rows(s.posts))
    end)

    it("runs a seed file with --reset and --seed", function()
      writefile(dir .. "/seeds/demo.lua", SEEDFILE)
      local code, out = kit(dir, "seed demo --seed 3")
      assert.equal(0, code, out)
      assert.matches("Seeded 12 rows", out)
      assert.matches("seeds/demo.lua", out)
      local first = rows(s.users)
      assert.equal(4, #first)
      assert.equal(8, #rows(s.posts))
      -- again from scratch: the same rows
      code, out = kit(dir, "seed --reset --seed 3")
      assert.equal(0, code, out)
      assert.same(first, rows(s.users))
      -- another seed: other rows
      code, out = kit(dir, "seed --reset --seed 4")
      assert.equal(0, code, out)
      assert.are_not.same(first, rows(s.users))
    end)

    it("says what is wrong and writes nothing on bad input", function()
      local code, out = kit(dir, "seed nope")
      assert.equal(2, code, out)
      assert.matches("seed file nope not found", out)
      writefile(dir .. "/seeds/bad.lua", BADSEED)
      code, out = kit(dir, "seed bad")
      assert.equal(1, code, out)
      assert.matches("nickname", out)
      assert.equal(0, #rows(s.users))
      code, out = kit(dir, "seed --seed x")
      assert.equal(2, code, out)
      code, out = kit(dir, "help seed")
      assert.equal(0, code, out)
      assert.matches("Usage: sleet%-kit seed", out)
    end)
  end)
end
