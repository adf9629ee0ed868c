-- customType (API.md, "Names of the second round"): a column type defined
-- by dataType / toDriver / fromDriver, on every dialect. The same body runs
-- everywhere: values go through toDriver wherever they are written or
-- compared (inserts, updates, filters, placeholders, batches, defaults in
-- DDL) and cells through fromDriver wherever they are read (selects,
-- returning, relational rows); a failing function is a validation error
-- that writes nothing; migrations see the type dataType gives.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local core = require "sleet.core"
local kit = require "sleet.kit"
local sleet = require "sleet"

local eq, asc, inArray, between = sleet.eq, sleet.asc, sleet.inArray,
  sleet.between

-- Money as a Lua number of units, stored as integer cents.
local function cents(m)
  return m.customType({
    dataType = function() return "integer" end,
    toDriver = function(v)
      if type(v) ~= "number" then error("money must be a number", 0) end
      return math.floor(v * 100 + 0.5)
    end,
    fromDriver = function(v) return tonumber(v) / 100 end,
  })
end

-- A list of words, stored as comma-separated text.
local function words(m)
  return m.customType({
    dataType = function(opts)
      if opts.length then return ("varchar(%d)"):format(opts.length) end
      return "text"
    end,
    toDriver = function(list) return table.concat(list, ",") end,
    fromDriver = function(s)
      if s == "boom" then error("not a word list", 0) end
      local out = {}
      for w in s:gmatch("[^,]+") do out[#out + 1] = w end
      return out
    end,
  })
end

local function build(m)
  local money, list = cents(m), words(m)
  local shops = m.table("ct_shops", {
    id = m.integer():primaryKey(),
    name = m.text():notNull(),
  })
  local items = m.table("ct_items", {
    id = m.integer():primaryKey(),
    shopId = m.integer("shop_id"):references(function() return shops.id end),
    price = money():notNull():default(1.5),
    tags = list({ length = 40 }),
  })
  return { shops = shops, items = items }
end

for _, d in ipairs(dialects.live()) do
  describe("customType on " .. d.name, function()
    local db, s, items

    local function fill(on)
      on:insert(s.shops):values({ id = 1, name = "corner" }):run()
      on:insert(items):values({
        { id = 1, shopId = 1, price = 12.34, tags = { "red", "big" } },
        { id = 2, shopId = 1, price = 0.5, tags = { "blue" } },
        { id = 3, shopId = 1 },
      }):run()
    end

    before_each(function()
      db, s = d.open(build)
      items = s.items
      fill(db)
    end)

    after_each(function()
      d.reset(db, s)
      db:close()
    end)

    it("writes through toDriver and reads through fromDriver", function()
      local rows = db:select():from(items):orderBy(asc(items.id)):all()
      assert.equal(12.34, rows[1].price)
      assert.same({ "red", "big" }, rows[1].tags)
      assert.equal(0.5, rows[2].price)
      assert.equal(1.5, rows[3].price) -- the default, through toDriver
      assert.is_nil(rows[3].tags) -- NULL never reaches fromDriver
      -- what the database holds is the driver's value
      local raw = db:select({ c = sleet.sql("?", items.price):mapWith("int") })
        :from(items):where(eq(items.id, 1)):get()
      assert.equal(1234, raw.c)
      local t = db:select({ t = sleet.sql("?", items.tags):mapWith("text") })
        :from(items):where(eq(items.id, 1)):get()
      assert.equal("red,big", t.t)
    end)

    it("compares through toDriver in filters and placeholders", function()
      local function ids(cond)
        local out = {}
        for i, r in ipairs(db:select({ id = items.id }):from(items)
          :where(cond):orderBy(asc(items.id)):all()) do
          out[i] = tonumber(r.id)
        end
        return out
      end
      assert.same({ 1 }, ids(eq(items.price, 12.34)))
      assert.same({ 2, 3 }, ids(inArray(items.price, { 0.5, 1.5 })))
      assert.same({ 2, 3 }, ids(between(items.price, 0.25, 2)))
      assert.same({ 2 }, ids(eq(items.tags, { "blue" })))
      -- built again with other values: the compiled shape is reused and
      -- the new value still goes through toDriver
      local real, compiled = core.compile, 0
      core.compile = function(...)
        compiled = compiled + 1
        return real(...)
      end
      local ok, err = pcall(function()
        for _, p in ipairs({ 12.34, 0.5, 1.5 }) do
          assert.equal(1, #ids(eq(items.price, p)))
        end
      end)
      core.compile = real
      if not ok then error(err, 0) end
      assert.is_true(compiled <= 1, compiled .. " compiles")
      local q = db:select({ id = items.id }):from(items)
        :where(eq(items.price, sleet.placeholder("p"))):prepare("ct_price")
      assert.equal(2, tonumber(q:get({ p = 0.5 }).id))
      assert.is_nil(q:get({ p = 0.51 }))
    end)

    it("updates, returns and batches through the type", function()
      db:update(items):set({ price = 2.25, tags = { "x", "y" } })
        :where(eq(items.id, 2)):run()
      local r = db:select():from(items):where(eq(items.id, 2)):get()
      assert.equal(2.25, r.price)
      assert.same({ "x", "y" }, r.tags)
      if d.name ~= "mysql" then
        local out = db:insert(items):values({ id = 4, price = 3, tags = { "z" } })
          :returning():all()
        assert.equal(3, out[1].price)
        assert.same({ "z" }, out[1].tags)
      end
      local res = db:batch({
        db:insert(items):values({ id = 5, price = 9.99 }),
        db:select():from(items):where(eq(items.price, 9.99)),
      })
      assert.equal(9.99, res[2][1].price)
    end)

    it("reads inside relational rows", function()
      local rels = sleet.defineRelations(s, function(r) return {
        shops = { items = r.many.items({ from = r.shops.id,
          to = r.items.shopId }) },
      } end)
      -- a connection of its own (on SQLite in memory, a database of its own)
      local rdb = d.open(function() return s end, { relations = rels })
      fill(rdb)
      local shop = rdb.query.shops:findFirst({ with = { items = {
        orderBy = function(t) return asc(t.id) end } } })
      assert.equal(12.34, shop.items[1].price)
      assert.same({ "red", "big" }, shop.items[1].tags)
      assert.is_nil(shop.items[3].tags)
      local found = rdb.query.items:findMany({ where = { price = 0.5 } })
      assert.equal(1, #found)
      assert.equal(2, tonumber(found[1].id))
      rdb:close()
    end)

    it("turns a failing toDriver or fromDriver into a validation error",
      function()
        local e = check.raises_kind("validation", function()
          db:insert(items):values({ id = 9, price = "lots" }):run()
        end)
        assert.truthy(e.message:find("toDriver failed: money must be a number",
          1, true), e.message)
        assert.truthy(e.message:find("price", 1, true), e.message)
        assert.equal(3, db:count(items))
        db:update(items):set({ tags = { "boom" } }):where(eq(items.id, 3))
          :run()
        e = check.raises_kind("validation", function()
          db:select():from(items):where(eq(items.id, 3)):get()
        end)
        assert.truthy(e.message:find("fromDriver failed: not a word list", 1,
          true), e.message)
        -- the connection goes on
        assert.equal(3, db:count(items))
      end)

    it("migrates with the type dataType gives", function()
      assert.same({}, kit.plan(db, s).statements or {})
      local m = d.module()
      local wider = build(m)
      wider.items = m.table("ct_items", {
        id = m.integer():primaryKey(),
        shopId = m.integer("shop_id"):references(function()
          return wider.shops.id end),
        price = cents(m)():notNull():default(1.5),
        tags = words(m)({ length = 80 }),
      })
      local plan = kit.plan(db, wider).statements or {}
      if d.name == "sqlite" then
        -- varchar(40) and varchar(80) are the same type (text affinity)
        assert.same({}, plan)
      else
        assert.equal(1, #plan, table.concat(plan, "\n"))
        assert.truthy(plan[1]:find("80", 1, true), plan[1])
      end
    end)

    it("checks its definition", function()
      local m = d.module()
      local function usage(f, text)
        local e = check.raises_kind("usage", f)
        assert.truthy(e.message:find(text, 1, true), e.message)
      end
      usage(function() m.customType({}) end, "dataType is required")
      usage(function()
        m.customType({ dataType = function() return "text" end, to = 1 })
      end, "unknown field to")
      usage(function()
        m.customType({ dataType = function() return 1 end })()
      end, "must return the SQL type")
    end)
  end)
end

-- PostgreSQL's point and line, built on the same codecs.
for _, d in ipairs(dialects.live()) do
  if d.name == "postgresql" then
    describe("pg.point and pg.line", function()
      local db, s

      local function build2(m)
        local places = m.table("ct_places", {
          id = m.integer():primaryKey(),
          at = m.point(),
          xy = m.point({ mode = "xy" }),
          edge = m.line(),
          abc = m.line({ mode = "abc" }),
          route = m.point():array(),
        })
        return { places = places }
      end

      before_each(function() db, s = d.open(build2) end)
      after_each(function()
        d.reset(db, s)
        db:close()
      end)

      it("read and write tuples and named fields", function()
        local p = s.places
        db:insert(p):values({ id = 1, at = { 1.5, -2 }, xy = { x = 0.1, y = 3 },
          edge = { 1, -1, 0 }, abc = { a = 2, b = 0.5, c = -4 },
          route = { { 0, 0 }, { x = 1, y = 2.25 } } }):run()
        local r = db:select():from(p):get()
        assert.same({ 1.5, -2 }, r.at)
        assert.same({ x = 0.1, y = 3 }, r.xy)
        assert.same({ 1, -1, 0 }, r.edge)
        assert.same({ a = 2, b = 0.5, c = -4 }, r.abc)
        assert.same({ { 0, 0 }, { 1, 2.25 } }, r.route)
        -- the server's own operators see the same point
        local dist = db:select({ v = sleet.sql("? <-> point(1.5, 2)", p.at)
          :mapWith("float") }):from(p):get().v
        assert.equal(4, dist)
        assert.equal(1, #db:select():from(p):where(sleet.sql("? ~= ?", p.at,
          sleet.sql("point(1.5, -2)"))):all())
        local rels = sleet.defineRelations(s, function() return {} end)
        local rdb = d.connect(s, { relations = rels })
        local found = rdb.query.places:findFirst()
        assert.same({ x = 0.1, y = 3 }, found.xy)
        assert.same({ { 0, 0 }, { 1, 2.25 } }, found.route)
        rdb:close()
        local e = check.raises_kind("validation", function()
          db:insert(p):values({ id = 2, at = { "a", 1 } }):run()
        end)
        assert.truthy(e.message:find("the point's x must be a number", 1,
          true), e.message)
        assert.equal(1, db:count(p))
        assert.same({}, kit.plan(db, s).statements or {})
        local m = d.module()
        local u = check.raises_kind("usage", m.point, { mode = "zz" })
        assert.truthy(u.message:find('mode must be "tuple" or "xy"', 1, true))
        u = check.raises_kind("usage", m.line, { mode = "xy" })
        assert.truthy(u.message:find('mode must be "tuple" or "abc"', 1, true))
      end)

      it("are seeded with drizzle-seed's point and line generators",
        function()
          require("sleet.seed").seed(db, s, { count = 5 })
          for _, r in ipairs(db:select():from(s.places):all()) do
            assert.equal(2, #r.at)
            assert.is_number(r.xy.x)
            assert.equal(3, #r.edge)
            assert.equal(1, #r.route) -- an array of one point
            assert.equal(2, #r.route[1])
          end
        end)
    end)
  end
end
