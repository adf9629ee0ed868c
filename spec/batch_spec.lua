-- db:batch on every live dialect: results in order, all or nothing (a
-- failing statement leaves none of the batch's effects and the error names
-- it), inside and outside a transaction. PostgreSQL runs the batch in one
-- round trip through libpq's pipeline mode; SQLite and MySQL inside one
-- transaction.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local eq = sleet.eq

local function open(d, opts)
  local m = d.module()
  local items = m.table("batch_items", {
    id = m.integer():primaryKey(),
    name = m.text(),
  })
  local db = d.connect({ items = items }, opts)
  db:execute("drop table if exists batch_items")
  db:execute("create table batch_items (id integer primary key, name text)")
  return db, items
end

for _, d in ipairs(dialects.live()) do
  describe("db:batch on " .. d.name, function()
    local db, items
    local log
    before_each(function()
      log = {}
      db, items = open(d, { logger = function(sql) log[#log + 1] = sql end })
    end)
    after_each(function()
      db:execute("drop table batch_items")
      db:close()
    end)

    local function add(id, name)
      return db:insert(items):values({ id = id, name = name or "x" })
    end

    local function ids(s)
      local out = {}
      for _, r in ipairs((s or db):select({ id = items.id }):from(items)
        :orderBy(items.id):all()) do
        out[#out + 1] = r.id
      end
      return out
    end

    it("returns each result in order, as its executor would", function()
      local r = db:batch({
        add(1, "a"),
        add(2, "b"),
        db:select({ id = items.id, name = items.name }):from(items)
          :orderBy(items.id),
        db:update(items):set({ name = "B" }):where(eq(items.id, 2)),
        sleet.sql("select count(*) as n from batch_items"),
        db:delete(items):where(eq(items.id, 1)),
        db:select({ name = items.name }):from(items),
      })
      assert.equal(7, #r)
      assert.equal(1, r[1].rowsAffected)
      assert.equal(1, r[2].rowsAffected)
      assert.same({ { id = 1, name = "a" }, { id = 2, name = "b" } }, r[3])
      assert.equal(1, r[4].rowsAffected)
      assert.equal(2, check.tointeger(r[5][1].n))
      assert.equal(1, r[6].rowsAffected)
      assert.same({ { name = "B" } }, r[7])
      assert.same({ 2 }, ids())
    end)

    it("a failing third statement leaves the first two undone and the "
      .. "error names it", function()
        add(5):run()
        local err = check.raises_kind("database", function()
          db:batch({ add(1), add(2), add(5), add(3) })
        end)
        assert.equal(3, err.index)
        assert.truthy(err.message:find("batch statement 3", 1, true),
          err.message)
        assert.is_string(err.sql)
        assert.truthy(err.sql:find("insert into", 1, true))
        assert.is_string(err.sqlstate)
        assert.same({ 5 }, ids())
        -- the connection is fine afterwards, outside any transaction
        db:batch({ add(1), add(2) })
        assert.same({ 1, 2, 5 }, ids())
      end)

    it("inside a transaction: a failed batch is undone alone and the "
      .. "transaction goes on", function()
        db:transaction(function(tx)
          tx:insert(items):values({ id = 1, name = "x" }):run()
          local err = check.raises_kind("database", function()
            tx:batch({
              tx:insert(items):values({ id = 2, name = "x" }),
              tx:insert(items):values({ id = 1, name = "dup" }),
            })
          end)
          assert.equal(2, err.index)
          assert.same({ 1 }, ids(tx))
          tx:batch({ tx:insert(items):values({ id = 3, name = "x" }) })
        end)
        assert.same({ 1, 3 }, ids())
      end)

    it("a batch inside a transaction that rolls back leaves nothing",
      function()
        pcall(db.transaction, db, function(tx)
          tx:batch({ tx:insert(items):values({ id = 1, name = "x" }),
            tx:insert(items):values({ id = 2, name = "y" }) })
          error("abort")
        end)
        assert.same({}, ids())
      end)

    it("db:batch inside db:transaction is a usage error", function()
      db:transaction(function()
        check.raises_kind("usage", function() db:batch({ add(1) }) end)
      end)
      assert.same({}, ids())
    end)

    it("logs every statement; an empty batch does nothing", function()
      log = {}
      assert.same({}, db:batch({}))
      db:batch({ add(1), db:select():from(items) })
      assert.equal(2, #log)
      assert.truthy(log[1]:find("insert", 1, true))
      assert.truthy(log[2]:find("select", 1, true))
    end)

    it("refuses items that are not queries before running any", function()
      check.raises_kind("usage", function()
        db:batch({ add(1), "select 1" })
      end)
      check.raises_kind("usage", function() db:batch("nope") end)
      assert.same({}, ids())
    end)

    it("batches reuse cached statements", function()
      local function batch(n)
        return db:batch({ add(n), db:select():from(items)
          :where(eq(items.id, n)) })
      end
      batch(1)
      local before = db:stats()
      local r = batch(2)
      local after = db:stats()
      assert.equal(2, r[2][1].id)
      assert.equal(0, after.prepared - before.prepared)
      assert.equal(2, after.cacheHits - before.cacheHits)
    end)

    it("a raw SQL error in a batch is named too", function()
      local err = check.raises_kind("database", function()
        db:batch({ add(1), sleet.sql("select * from no_such_table") })
      end)
      assert.equal(2, err.index)
      assert.same({}, ids())
    end)
  end)
end
