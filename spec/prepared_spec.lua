-- Prepared queries and the statement cache, on every live dialect: the SQL
-- is compiled once and the native statement is created once per connection
-- and reused. Reuse is proven by db:stats() everywhere, and from the
-- server's side on PostgreSQL (pg_prepared_statements) and MySQL (the
-- session's Com_stmt_prepare counter).
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local ph, eq, gt = sleet.placeholder, sleet.eq, sleet.gt

-- A table of its own, made with raw SQL (the same text on every dialect).
local function open(d, opts)
  local m = d.module()
  local items = m.table("prep_items", {
    id = m.integer():primaryKey(),
    name = m.text(),
    n = m.integer(),
  })
  local db = d.connect({ items = items }, opts)
  db:execute("drop table if exists prep_items")
  db:execute("create table prep_items (id integer primary key, name text, "
    .. "n integer)")
  for i = 1, 5 do
    db:insert(items):values({ id = i, name = "item" .. i, n = i * 10 }):run()
  end
  return db, items
end

for _, d in ipairs(dialects.live()) do
  describe("prepared queries on " .. d.name, function()
    local db, items
    before_each(function() db, items = open(d) end)
    after_each(function()
      if not db:isClosed() then db:execute("drop table prep_items") end
      db:close()
    end)

    -- Named statements this session holds on the server (PostgreSQL).
    local function server_statements(s)
      return s:execute("select name, statement from pg_prepared_statements "
        .. "where name like 'sleet%' order by name")
    end

    -- Statements the server prepared for this session so far (MySQL).
    local function com_prepare(s)
      local row = s:execute("show session status like 'Com_stmt_prepare'")[1]
      return tonumber(row.Value or row.VALUE or row.value)
    end

    describe("executors with placeholders", function()
      it("select: where, limit and offset; all, get, values, iter",
        function()
          local q = db:select({ id = items.id, name = items.name })
            :from(items):where(gt(items.id, ph("min")))
            :orderBy(items.id):limit(ph("lim")):offset(ph("off"))
            :prepare("page")
          local rows = q:all({ min = 1, lim = 2, off = 1 })
          assert.same({ { id = 3, name = "item3" }, { id = 4, name = "item4" } },
            rows)
          assert.same({ id = 2, name = "item2" },
            q:get({ min = 1, lim = 1, off = 0 }))
          assert.is_nil(q:get({ min = 5, lim = 1, off = 0 }))
          local vals = q:values({ min = 3, lim = 5, off = 0 })
          assert.equal(2, #vals)
          local seen = {}
          for row in q:iter({ min = 0, lim = 3, off = 2 }) do
            seen[#seen + 1] = row.id
          end
          assert.same({ 3, 4, 5 }, seen)
        end)

      it("insert with placeholders inside values; run", function()
        local ins = db:insert(items):values({ id = ph("id"), name = ph("name"),
          n = 7 }):prepare("add")
        for i = 10, 12 do
          local r = ins:run({ id = i, name = "new" .. i })
          assert.equal(1, r.rowsAffected)
        end
        local rows = db:select():from(items):where(gt(items.id, 9))
          :orderBy(items.id):all()
        assert.equal(3, #rows)
        assert.same({ id = 12, name = "new12", n = 7 }, rows[3])
      end)

      it("update with placeholders in set and where; delete", function()
        local upd = db:update(items):set({ name = ph("name") })
          :where(eq(items.id, ph("id"))):prepare()
        assert.equal(1, upd:run({ id = 2, name = "two" }).rowsAffected)
        assert.equal(0, upd:run({ id = 99, name = "none" }).rowsAffected)
        local del = db:delete(items):where(eq(items.id, ph("id"))):prepare()
        assert.equal(1, del:run({ id = 3 }).rowsAffected)
        local rows = db:select({ id = items.id, name = items.name })
          :from(items):where(sleet.lte(items.id, 3)):orderBy(items.id):all()
        assert.same({ { id = 1, name = "item1" }, { id = 2, name = "two" } },
          rows)
      end)

      it("an open iterator and another run of the same statement",
        function()
          local q = db:select({ id = items.id }):from(items)
            :where(gt(items.id, ph("min"))):orderBy(items.id):prepare()
          local outer = {}
          for row in q:iter({ min = 2 }) do
            -- the native statement is busy: this run gets its own
            outer[#outer + 1] = row.id .. ":" .. #q:all({ min = row.id })
          end
          assert.same({ "3:2", "4:1", "5:0" }, outer)
          assert.equal(5, #q:all({ min = 0 }))
        end)
    end)

    describe("placeholder errors", function()
      local q
      before_each(function()
        q = db:select():from(items):where(eq(items.id, ph("id")))
          :limit(ph("lim")):prepare()
      end)

      it("a missing value names the placeholder", function()
        local err = check.raises_kind("validation", function()
          q:get({ id = 1 })
        end)
        assert.truthy(err.message:find("'lim'", 1, true), err.message)
        err = check.raises_kind("validation", function() q:all() end)
        assert.truthy(err.message:find("placeholder", 1, true))
      end)

      it("an extra value names it", function()
        local err = check.raises_kind("validation", function()
          q:get({ id = 1, lim = 1, ids = 2 })
        end)
        assert.truthy(err.message:find("'ids'", 1, true), err.message)
      end)

      it("values must be a table keyed by name", function()
        check.raises_kind("usage", function() q:get(5) end)
        check.raises_kind("validation", function()
          q:get({ id = 1, lim = 1, [1] = 2 })
        end)
      end)

      it("a value of the wrong type is a validation error", function()
        check.raises_kind("validation", function()
          q:get({ id = "one", lim = 1 })
        end)
      end)

      it("the statement works after errors", function()
        pcall(q.get, q, {})
        assert.equal("item1", q:get({ id = 1, lim = 1 }).name)
      end)
    end)

    describe("reuse of the native statement", function()
      it("one native statement for every run (db:stats)", function()
        local q = db:select():from(items):where(eq(items.id, ph("id")))
          :prepare()
        local before = db:stats()
        for i = 1, 5 do assert.equal(i, q:get({ id = i }).id) end
        local after = db:stats()
        assert.equal(1, after.prepared - before.prepared)
        assert.equal(4, after.reused - before.reused)
      end)

      if d.only("postgresql", "named statements are listed in "
        .. "pg_prepared_statements") then
        it("PostgreSQL: one named statement, prepared once", function()
          local q = db:select({ name = items.name }):from(items)
            :where(eq(items.id, ph("id"))):prepare()
          for i = 1, 3 do q:get({ id = i }) end
          local mine = {}
          for _, r in ipairs(server_statements(db)) do
            if r.statement == q:toSQL().sql then mine[#mine + 1] = r end
          end
          assert.equal(1, #mine)
          q:close()
          check.raises_kind("usage", function() q:get({ id = 1 }) end)
        end)

        it("PostgreSQL: a statement the server dropped is prepared again",
          function()
            local q = db:select({ name = items.name }):from(items)
              :where(eq(items.id, ph("id"))):prepare()
            assert.equal("item1", q:get({ id = 1 }).name)
            db:execute("deallocate all")
            assert.equal("item2", q:get({ id = 2 }).name)
          end)

        it("PostgreSQL: a changed result type is prepared again", function()
          local q = db:select({ name = items.name }):from(items)
            :where(eq(items.id, ph("id"))):prepare()
          assert.equal("item1", q:get({ id = 1 }).name)
          db:execute("alter table prep_items alter column name type "
            .. "varchar(40)")
          assert.equal("item2", q:get({ id = 2 }).name)
        end)
      end

      if d.only("mysql", "the server counts prepares per session") then
        it("MySQL: the server prepares the statement once", function()
          local q = db:select():from(items):where(eq(items.id, ph("id")))
            :prepare()
          local before = com_prepare(db)
          for i = 1, 5 do q:get({ id = i }) end
          -- one for q, one for the second SHOW STATUS itself
          assert.equal(2, com_prepare(db) - before)
        end)
      end
    end)

    describe("closing", function()
      it("closing the connection releases the statements; later runs "
        .. "are usage errors", function()
          local q = db:select():from(items):where(eq(items.id, ph("id")))
            :prepare()
          q:get({ id = 1 })
          local it = q:iter({ id = 1 })
          db:execute("drop table prep_items")
          db:close()
          check.raises_kind("usage", function() q:get({ id = 1 }) end)
          check.raises_kind("usage", function() it() end)
          q:close()
          q:close()
        end)

      it("close() of the prepared query, then its collection", function()
        local q = db:select():from(items):prepare()
        assert.equal(5, #q:all())
        q:close()
        check.raises_kind("usage", function() q:all() end)
        q = nil
        collectgarbage()
        collectgarbage()
        assert.equal(5, #db:select():from(items):all())
      end)
    end)
  end)

  describe("statement cache on " .. d.name, function()
    local db, items

    -- The row of items with id v, built on session s on every call.
    local function byid(s, v)
      return s:select():from(items):where(eq(items.id, v)):get()
    end
    after_each(function()
      if db and not db:isClosed() then
        db:execute("drop table prep_items")
        db:close()
      end
    end)

    it("a builder query built again and again reuses one statement",
      function()
        db, items = open(d)
        local before = db:stats()
        for i = 1, 10 do
          assert.equal(i % 5 + 1, db:select():from(items)
            :where(eq(items.id, i % 5 + 1)):get().id)
        end
        local after = db:stats()
        assert.equal(1, after.prepared - before.prepared)
        assert.equal(9, after.cacheHits - before.cacheHits)
        assert.equal(64, after.cacheSize)
      end)

    it("a cached statement that failed runs again", function()
      db, items = open(d)
      local function add(id)
        return db:insert(items):values({ id = id, name = "r" })
          :returning({ id = items.id }):get()
      end
      check.raises_kind("database", function() add(1) end) -- duplicate
      check.raises_kind("database", function() add(2) end)
      assert.equal(6, add(6).id)
      local before = db:stats()
      assert.equal(7, add(7).id)
      assert.equal(1, db:stats().cacheHits - before.cacheHits)
    end)

    it("statementCache = 0 disables it", function()
      db, items = open(d, { statementCache = 0 })
      local before = db:stats()
      for _ = 1, 4 do db:select():from(items):where(eq(items.id, 1)):get() end
      local after = db:stats()
      assert.equal(4, after.prepared - before.prepared)
      assert.equal(0, after.cacheHits)
      assert.equal(0, after.cached)
    end)

    it("the cache is bounded (least recently used goes first)", function()
      db, items = open(d, { statementCache = 2 })
      local function q(k)
        return db:select({ id = items.id }):from(items)
          :where(sleet.isNotNull(k)):get()
      end
      q(items.id)
      q(items.n)
      q(items.id) -- id is now the most recent
      q(items.name)   -- evicts n
      local s = db:stats()
      assert.equal(2, s.cached)
      local p = s.prepared
      q(items.id)
      assert.equal(p, db:stats().prepared, "id stayed in the cache")
      q(items.n)
      assert.equal(p + 1, db:stats().prepared, "n was evicted")
      if d.name == "postgresql" then
        -- the server holds no more named statements than the cache
        local n = #db:execute("select name from pg_prepared_statements")
        assert.is_true(n <= 2, "server statements: " .. n)
      end
    end)

    it("schema statements are not cached", function()
      db, items = open(d)
      local before = db:stats().cached
      db:execute("create table prep_tmp (a integer)")
      db:execute("drop table prep_tmp")
      assert.equal(before, db:stats().cached)
    end)

    it("statementCache must be a count", function()
      check.raises_kind("usage", function()
        d.connect({}, { statementCache = -1 })
      end)
      check.raises_kind("usage", function()
        d.connect({}, { statementCache = "lots" })
      end)
    end)

    if d.only("postgresql", "named statements are listed in "
      .. "pg_prepared_statements") then
      it("PostgreSQL: the cached statement is a named server statement",
        function()
          db, items = open(d)
          for i = 1, 3 do db:select():from(items):where(eq(items.id, i)):get() end
          local sql = db:select():from(items):where(eq(items.id, 1))
            :toSQL().sql
          local found = 0
          for _, r in ipairs(db:execute("select statement from "
            .. "pg_prepared_statements")) do
            if r.statement == sql then found = found + 1 end
          end
          assert.equal(1, found)
        end)
    end

    it("a query built again and again runs with each call's values",
      function()
        db, items = open(d)
        for i = 1, 5 do
          local r = byid(db, i)
          assert.equal(i, r.id)
          assert.equal("item" .. i, r.name)
          assert.equal(i * 10, r.n)
        end
        assert.is_nil(byid(db, 99))
        -- a value the column cannot take: nothing runs, the next query does
        local err = check.raises_kind("validation",
          function() byid(db, "two") end)
        assert.is_nil(err.sql) -- as for every query not yet sent
        assert.equal("prep_items", err.table)
        assert.equal("item2", byid(db, 2).name)
        db:transaction(function(tx)
          assert.equal("item3", byid(tx, 3).name)
          check.raises_kind("usage", function() byid(db, 3) end)
          tx:transaction(function(sp)
            check.raises_kind("usage", function() byid(tx, 3) end)
            assert.equal("item4", byid(sp, 4).name)
          end)
          assert.same({ { id = 5 } }, tx:select({ id = items.id }):from(items)
            :where(eq(items.id, 5)):all())
        end)
        assert.equal("item1", byid(db, 1).name)
        assert.equal(5, #db:select():from(items):where(gt(items.id, 0)):all())
      end)

    it("a logger may yield (coroutine-based servers)", function()
      db, items = open(d, { logger = function(sql)
        if coroutine.isyieldable() then coroutine.yield(sql) end
      end })
      local q = db:select({ id = items.id }):from(items)
        :where(eq(items.id, ph("id"))):prepare()
      local co = coroutine.wrap(function()
        return q:get({ id = 2 }), db:select({ id = items.id }):from(items)
          :where(eq(items.id, 3)):get()
      end)
      assert.is_string(co())
      assert.is_string(co())
      local a, b = co()
      assert.same({ id = 2 }, a)
      assert.same({ id = 3 }, b)
    end)

    it("a transaction that ends before one it opened in a coroutine",
      function()
        db, items = open(d)
        local co
        db:transaction(function(tx)
          co = coroutine.create(function()
            tx:transaction(function() coroutine.yield() end)
          end)
          assert.is_true(coroutine.resume(co))
        end)
        -- the savepoint's transaction is still open: db is not innermost
        check.raises_kind("usage", function() byid(db, 1) end)
        coroutine.resume(co)
        assert.equal("item1", byid(db, 1).name)
        db:transaction(function(tx) assert.equal(2, byid(tx, 2).id) end)
        assert.equal("item3", byid(db, 3).name)
      end)

    it("a prepared query runs only in the session it was prepared on",
      function()
        db, items = open(d)
        local q = db:select({ id = items.id }):from(items)
          :where(eq(items.id, ph("id"))):prepare()
        local inner
        db:transaction(function(tx)
          -- db's statement inside db's transaction: a usage error
          check.raises_kind("usage", function() q:get({ id = 1 }) end)
          inner = tx:select({ id = items.id }):from(items)
            :where(eq(items.id, ph("id"))):prepare()
          assert.same({ id = 2 }, inner:get({ id = 2 }))
          tx:transaction(function(sp)
            -- the outer transaction's while a savepoint is open
            check.raises_kind("usage", function() inner:get({ id = 2 }) end)
            assert.same({ id = 3 }, sp:select({ id = items.id }):from(items)
              :where(eq(items.id, ph("id"))):prepare():get({ id = 3 }))
          end)
          assert.same({ id = 4 }, inner:get({ id = 4 }))
        end)
        -- the transaction ended: its statement is done, db's runs again
        check.raises_kind("usage", function() inner:get({ id = 2 }) end)
        assert.same({ id = 1 }, q:get({ id = 1 }))
        -- another transaction at the same depth is not the ended one
        db:transaction(function()
          check.raises_kind("usage", function() inner:get({ id = 2 }) end)
        end)
        assert.same({ { id = 5 } }, q:all({ id = 5 }))
        assert.same({ { 5 } }, q:values({ id = 5 }))
        assert.same({ { id = 5 } }, q:execute({ id = 5 }))
      end)

    it("a prepared query applies mapWith decoders and checks its values",
      function()
        db, items = open(d)
        local q = db:select({ id = items.id,
          twice = sleet.sql("? * 2", items.n):mapWith(function(v)
            return ("x%d"):format(tonumber(v))
          end) }):from(items):where(eq(items.id, ph("id"))):prepare()
        assert.same({ id = 2, twice = "x40" }, q:get({ id = 2 }))
        assert.same({ { id = 3, twice = "x60" } }, q:all({ id = 3 }))
        check.raises_kind("usage", function() q:get(42) end)
        check.raises_kind("usage", function() q:get("id") end)
        assert.is_nil(q:get({ id = 99 }))
        q:close()
        check.raises_kind("usage", function() q:get({ id = 2 }) end)
      end)

    it("the logger sees prepared, cached and transaction statements",
      function()
        local log = {}
        db, items = open(d, { logger = function(sql, params)
          log[#log + 1] = { sql = sql, params = params }
        end })
        local q = db:select({ id = items.id }):from(items)
          :where(eq(items.id, ph("id"))):prepare()
        log = {}
        q:get({ id = 3 })
        db:select({ id = items.id }):from(items):where(eq(items.id, 4)):get()
        db:transaction(function(tx)
          tx:select({ id = items.id }):from(items):where(eq(items.id, 5))
            :get()
        end)
        assert.equal(3, #log)
        assert.same({ 3 }, log[1].params)
        assert.same({ 4 }, log[2].params)
        assert.same({ 5 }, log[3].params)
        assert.equal(log[1].sql, log[2].sql)
      end)
  end)
end
