-- Compiled shapes of queries built on every call (query.lua, expr.lua
-- "Shapes"): partial selects, inserts, updates and deletes of one shape
-- compile once and then only bind their new values, on every live
-- dialect; queries of other shapes (other columns under the same keys,
-- other key sets, NULL, placeholders, mapWith) never take each other's
-- compiled statement.
local core = require "sleet.core"
local dialects = require "spec.support.dialects"
local sleet = require "sleet"

local eq, asc = sleet.eq, sleet.asc

local function build(m)
  return { items = m.table("shape_items", {
    id = m.integer():primaryKey(),
    name = m.varchar and m.varchar({ length = 40 }) or m.text(),
    n = m.integer(),
  }) }
end

-- Runs f and returns how many statements core.compile compiled meanwhile.
local function compiles(f)
  local real, count = core.compile, 0
  core.compile = function(...)
    count = count + 1
    return real(...)
  end
  local ok, err = pcall(f)
  core.compile = real
  if not ok then error(err, 0) end
  return count
end

for _, d in ipairs(dialects.live()) do
  describe("compiled shapes on " .. d.name, function()
    local db, s, t

    before_each(function()
      db, s = d.open(build)
      t = s.items
    end)

    after_each(function()
      d.reset(db, s)
      db:close()
    end)

    it("inserts of one shape compile once, and bind each row's values",
      function()
        local n = compiles(function()
          for i = 1, 30 do
            db:insert(t):values({ id = i, name = "item" .. i, n = i * 2 })
              :run()
          end
        end)
        assert.is_true(n <= 1, n .. " compiles")
        assert.equal(30, db:count(t))
        local r = db:select():from(t):where(eq(t.id, 17)):get()
        assert.same({ id = 17, name = "item17", n = 34 }, r)
        -- other key sets, two rows, NULL and SQL values are shapes of
        -- their own
        db:insert(t):values({ id = 31 }):run()
        db:insert(t):values({ { id = 32, n = 1 }, { id = 33, n = 2 } }):run()
        db:insert(t):values({ id = 34, name = sleet.null, n = 3 }):run()
        db:insert(t):values({ id = 35, name = "x", n = sleet.sql("2 + 3") })
          :run()
        local rows = db:select():from(t):where(sleet.gt(t.id, 30))
          :orderBy(asc(t.id)):all()
        assert.same({
          { id = 31 }, { id = 32, n = 1 }, { id = 33, n = 2 },
          { id = 34, n = 3 }, { id = 35, name = "x", n = 5 },
        }, rows)
      end)

    it("partial selects of one shape compile once; other columns under " ..
      "the same keys do not mix", function()
        for i = 1, 5 do
          db:insert(t):values({ id = i, name = "item" .. i, n = i * 10 }):run()
        end
        local got
        local n = compiles(function()
          for i = 1, 5 do
            got = db:select({ a = t.id, b = t.name }):from(t)
              :where(eq(t.id, i)):get()
            assert.same({ a = i, b = "item" .. i }, got)
          end
        end)
        assert.is_true(n <= 1, n .. " compiles")
        -- the same keys over other columns
        got = db:select({ a = t.name, b = t.id }):from(t):where(eq(t.id, 2))
          :get()
        assert.same({ a = "item2", b = 2 }, got)
        got = db:select({ a = t.n }):from(t):where(eq(t.id, 2)):get()
        assert.same({ a = 20 }, got)
        -- expressions; mapWith decoders stay with their own query
        local total = db:select({ total = sleet.sum(t.n) }):from(t):get()
        assert.equal(150, tonumber(total.total))
        for _, tag in ipairs({ "x", "y", "x" }) do
          local r = db:select({ c = sleet.count():mapWith(function(v)
            return tag .. v
          end) }):from(t):get()
          assert.equal(tag .. "5", r.c)
        end
      end)

    it("updates and deletes of one shape compile once", function()
      for i = 1, 10 do
        db:insert(t):values({ id = i, name = "item" .. i, n = i }):run()
      end
      local n = compiles(function()
        for i = 1, 10 do
          db:update(t):set({ n = i * 100 }):where(eq(t.id, i)):run()
        end
      end)
      assert.is_true(n <= 1, n .. " compiles")
      assert.equal(700, db:select():from(t):where(eq(t.id, 7)):get().n)
      -- another column set, NULL, no where
      db:update(t):set({ name = "seven" }):where(eq(t.id, 7)):run()
      db:update(t):set({ name = sleet.null }):where(eq(t.id, 8)):run()
      assert.same({ id = 7, name = "seven", n = 700 },
        db:select():from(t):where(eq(t.id, 7)):get())
      assert.same({ id = 8, n = 800 },
        db:select():from(t):where(eq(t.id, 8)):get())
      n = compiles(function()
        for i = 1, 5 do db:delete(t):where(eq(t.id, i)):run() end
      end)
      assert.is_true(n <= 1, n .. " compiles")
      assert.equal(5, db:count(t))
      db:update(t):set({ n = 0 }):run()
      assert.equal(5, db:count(t, eq(t.n, 0)))
      db:delete(t):run()
      assert.equal(0, db:count(t))
    end)
  end)
end
