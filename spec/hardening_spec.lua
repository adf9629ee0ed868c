-- Hardening: what a careless or hostile caller can do must never lose
-- data, hang, or give a silently wrong value. Each body runs on every live
-- dialect where the behaviour exists.
local sleet = require "sleet"
local kit = require "sleet.kit"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

for _, d in ipairs(dialects.live()) do
  describe("hardening on " .. d.name, function()
    local db, s
    before_each(function() db, s = d.open() end)
    after_each(function() db:close() end)

    local function names()
      local out = {}
      for _, r in ipairs(db:select({ name = s.users.name }):from(s.users)
        :orderBy(s.users.id):all()) do
        out[#out + 1] = r.name
      end
      return out
    end

    local function add(q, name)
      return q:insert(s.users):values({ name = name }):run()
    end

    describe("a write whose rows are read with iter()", function()
      it("is complete when it starts: a failing transaction, a batch and " ..
        "dropping the iterator keep its rows", function()
        local it = db:insert(s.users):values({ { name = "a" }, { name = "b" } })
          :returning():iter()
        local first = it()
        assert.equal("a", first.name)
        local ok = pcall(db.transaction, db, function(tx)
          add(tx, "x")
          error("boom")
        end)
        assert.is_false(ok)
        db:batch({ db:insert(s.users):values({ name = "c" }) })
        it = nil -- luacheck: ignore 311
        collectgarbage()
        collectgarbage()
        assert.same({ "a", "b", "c" }, names())
      end)

      it("an un-drained delete ... returning():iter() holds no lock",
        function()
          add(db, "a")
          add(db, "b")
          local it = db:delete(s.users):returning({ name = s.users.name })
            :iter()
          assert.is_table(it())
          db:transaction(function(tx) add(tx, "c") end)
          assert.same({ "c" }, names())
          local second = it()
          assert.is_table(second)
          assert.is_nil(it())
        end)
    end)

    describe("names in a schema", function()
      it("refuses names with surrounding white space or NUL bytes, where " ..
        "they are defined", function()
        local m = d.module()
        local function tbl(name, colname)
          return m.table(name, { id = m.integer(colname or "id") })
        end
        for _, bad in ipairs({ "t ", " t", "t\n", "a\0b", "" }) do
          local err = check.raises_kind("usage", tbl, bad)
          assert.matches("^table: ", err.message)
          check.raises_kind("usage", tbl, "t", bad)
        end
        local err = check.raises_kind("usage", m.table, "t",
          { [" id"] = m.integer() })
        assert.matches("table t: column", err.message, 1, true)
        check.raises_kind("usage", m.index, "i ")
        check.raises_kind("usage", m.uniqueIndex, "a\0b")
        check.raises_kind("usage", m.check, " c", sleet.sql("1 = 1"))
        check.raises_kind("usage", m.unique, "u\0")
        check.raises_kind("usage", function() return m.integer():unique(" u") end)
        if m.enum and d.name == "postgresql" then
          check.raises_kind("usage", m.enum, "mood ", { "a" })
        end
      end)

      it("keeps inner white space byte-exact from DDL to queries", function()
        local m = d.module()
        local t = m.table("odd  name", { id = m.integer("the id"):primaryKey(),
          label = m.text("a  label") })
        local schema = { t = t }
        d.reset(db, schema)
        kit.push(db, schema, { force = true })
        db:insert(t):values({ id = 1, label = "x" }):run()
        assert.same({ { id = 1, label = "x" } }, db:select():from(t):all())
        d.reset(db, schema)
      end)
    end)

    describe("bad input is refused where it is given", function()
      it("a join condition that is not a condition", function()
        for _, on in ipairs({ true, "users.id = posts.author_id", 5 }) do
          local err = check.raises_kind("usage", function()
            return db:select():from(s.users):leftJoin(s.posts, on)
          end)
          assert.matches("leftJoin: expected a condition", err.message, 1, true)
          check.raises_kind("usage", function()
            return db:select():from(s.users):innerJoin(s.posts, on)
          end)
        end
      end)

      it("a negative limit or offset given to a placeholder", function()
        for i = 1, 3 do add(db, "u" .. i) end
        local p = db:select():from(s.users):orderBy(s.users.id)
          :limit(sleet.placeholder("n")):offset(sleet.placeholder("o"))
          :prepare()
        assert.equal(2, #p:all({ n = 2, o = 0 }))
        local err = check.raises_kind("validation", p.all, p, { n = -1, o = 0 })
        assert.matches("limit: placeholder 'n' must be a non-negative " ..
          "integer, got -1", err.message, 1, true)
        err = check.raises_kind("validation", p.all, p, { n = 1, o = -2 })
        assert.matches("offset: placeholder 'o'", err.message, 1, true)
        -- the statement still runs afterwards
        assert.equal(1, #p:all({ n = 1, o = 2 }))
        p:close()
      end)

      it("mapWith with an unknown codec, or on a whole statement", function()
        local err = check.raises_kind("usage", function()
          return sleet.sql("1"):mapWith("bogus")
        end)
        assert.matches('unknown codec "bogus"', err.message, 1, true)
        assert.is_table(sleet.sql("1"):mapWith("int"))
        err = check.raises_kind("usage", db.all, db,
          sleet.sql("select 1 as n"):mapWith(tostring))
        assert.matches("mapWith applies to a selected field", err.message, 1,
          true)
      end)

      it("onConflictDoNothing options that are not options", function()
        for _, bad in ipairs({ "str", true, 5, { targt = s.users.email } }) do
          check.raises_kind("usage", function()
            return db:insert(s.users):values({ name = "a" })
              :onConflictDoNothing(bad)
          end)
        end
        if d.only("sqlite", "postgresql", "MySQL has no on conflict") then
          db:insert(s.users):values({ name = "a", email = "a@x" }):run()
          db:insert(s.users):values({ name = "b", email = "a@x" })
            :onConflictDoNothing({ target = s.users.email }):run()
          assert.same({ "a" }, names())
        end
      end)

      it("a schema with entries that are not tables", function()
        local err = check.raises_kind("usage", d.connect,
          { users = s.users, posts = "posts" })
        assert.matches("schema entry posts is a string", err.message, 1, true)
        check.raises_kind("usage", d.connect, { users = s.users, n = 5 })
        -- functions and relations beside the tables are fine
        local other = d.connect({ users = s.users, helper = function() end })
        other:close()
      end)

      it("methods called with a dot instead of a colon", function()
        local q = db:select():from(s.users)
        local cases = {
          { function() return db.select() end, "call select with a colon" },
          { function() return db.insert(s.users) end, "call insert with a colon" },
          { function() return db.close() end, "call close with a colon" },
          { function() return db.transaction(function() end) end,
            "call transaction with a colon" },
          { function() return q.all() end, "call all with a colon" },
          { function() return q.toSQL() end, "call toSQL with a colon" },
          { function() return q.where(sleet.eq(s.users.id, 1)) end,
            "q:where(...), not q.where(...)" },
          { function() return q.limit(3) end, "q:limit(...)" },
        }
        for _, c in ipairs(cases) do
          local err = check.raises_kind("usage", c[1])
          assert.matches(c[2], err.message, 1, true)
        end
        assert.is_false(db:isClosed())
      end)
    end)

    describe("deep and cyclic conditions", function()
      it("and_ folded in a loop stays flat and runs", function()
        for i = 1, 3 do add(db, "u" .. i) end
        local c
        for i = 1, 150 do c = sleet.and_(c, sleet.ne(s.users.id, 1000 + i)) end
        local one = sleet.and_(sleet.and_(sleet.eq(s.users.id, 1),
          sleet.eq(s.users.id, 1)), sleet.eq(s.users.id, 1))
        local sql = db:select({ id = s.users.id }):from(s.users):where(one)
          :toSQL().sql
        assert.not_matches("%(%(", sql)
        assert.equal(3, #db:select():from(s.users):where(c):all())
        local o
        for i = 1, 150 do o = sleet.or_(o, sleet.eq(s.users.id, i)) end
        assert.equal(3, #db:select():from(s.users):where(o):all())
      end)

      it("sql nested 100000 levels deep is a usage error", function()
        local err = check.raises_kind("usage", function()
          local e = sleet.eq(s.users.id, 1)
          for _ = 1, 100000 do e = sleet.sql("(?)", e) end
          return db:select():from(s.users):where(e):all()
        end)
        assert.matches("nested more than 200 levels", err.message, 1, true)
        check.raises_kind("usage", function()
          local e = sleet.eq(s.users.id, 1)
          for i = 1, 100000 do
            e = sleet.or_(sleet.and_(e, sleet.eq(s.users.id, i)),
              sleet.eq(s.users.name, "x"))
          end
          return e
        end)
        check.raises_kind("usage", function()
          local e = sleet.eq(s.users.id, 1)
          for _ = 1, 100000 do e = sleet.not_(e) end
          return e
        end)
      end)
    end)

    describe("a relational where that contains itself", function()
      it("is a usage error, not a stack overflow", function()
        local rels = sleet.defineRelations(s, function(r) return {
          users = { posts = r.many.posts({ from = r.users.id,
            to = r.posts.authorId }) },
        } end)
        local rdb = d.connect(s, { relations = rels })
        local ok, err = pcall(function()
          kit.push(rdb, s, { force = true })
          local w = { name = "a" }
          w.OR = { w }
          local e = check.raises_kind("usage", rdb.query.users.findMany,
            rdb.query.users, { where = w })
          assert.matches("contains itself", e.message, 1, true)
          local v = {}
          v.AND = { v }
          check.raises_kind("usage", rdb.query.users.findMany, rdb.query.users,
            { where = { name = v } })
          local w2 = { id = 1 }
          w2.posts = w2
          check.raises_kind("usage", rdb.query.users.findMany, rdb.query.users,
            { where = w2 })
          -- one table used twice, not inside itself, is fine
          local same = { name = "a" }
          assert.same({}, rdb.query.users:findMany({ where = { OR = { same,
            same } } }))
        end)
        rdb:close()
        assert(ok, err)
      end)
    end)

    describe("batch", function()
      it("a statement may use what an earlier one created", function()
        d.drop(db, "hardening_b")
        local r = db:batch({
          sleet.sql("create table hardening_b (id integer)"),
          sleet.sql("insert into hardening_b (id) values (?)", 7),
          sleet.sql("select id from hardening_b"),
        })
        assert.equal(7, r[3][1].id)
        d.drop(db, "hardening_b")
      end)
    end)

    describe("returning", function()
      it("refuses a column of another table", function()
        local err = check.raises_kind("usage", function()
          return db:insert(s.users):values({ name = "a" })
            :returning({ x = s.posts.title })
        end)
        assert.matches('field "x" is a column of table posts, not of users',
          err.message, 1, true)
        check.raises_kind("usage", function()
          return db:delete(s.users):returning({ g = { t = s.posts.title } })
        end)
        check.raises_kind("usage", function()
          return db:update(s.users):set({ name = "b" })
            :returning({ p = s.posts })
        end)
        -- the written table's own columns are fine
        local q = db:delete(s.users):returning({ n = s.users.name })
        assert.is_string(q:toSQL().sql)
      end)
    end)

    -- A coroutine suspended inside db:transaction, then never resumed.
    local function suspended_in_transaction(session)
      local co = coroutine.create(function()
        session:transaction(function(tx)
          add(tx, "lost")
          coroutine.yield("inside")
          add(tx, "never")
        end)
      end)
      local ok, where = coroutine.resume(co)
      assert.is_true(ok, where)
      assert.equal("inside", where)
      return co
    end

    describe("a coroutine abandoned inside db:transaction", function()
      it("is rolled back once collected; the next call on db works",
        function()
          local co = suspended_in_transaction(db)
          assert.equal("suspended", coroutine.status(co))
          co = nil -- luacheck: ignore 311
          collectgarbage()
          collectgarbage()
          assert.same({}, names())
          add(db, "next")
          assert.same({ "next" }, names())
          -- and a new transaction opens and commits
          db:transaction(function(tx) add(tx, "tx") end)
          assert.same({ "next", "tx" }, names())
        end)

      if coroutine.close then
        it("is rolled back when the coroutine is closed (Lua 5.4)", function()
          local co = suspended_in_transaction(db)
          assert.is_true(coroutine.close(co))
          -- rolled back at once: another connection sees no lock or row
          local other = d.connect(s)
          local ok, err = pcall(function()
            if d.name ~= "sqlite" then
              assert.equal(0, #other:select():from(s.users):all())
            end
          end)
          other:close()
          assert(ok, err)
          assert.same({}, names())
          add(db, "next")
          assert.same({ "next" }, names())
        end)

        it("closing a coroutine inside a savepoint keeps the outer " ..
          "transaction", function()
          db:transaction(function(tx)
            add(tx, "outer")
            local co = suspended_in_transaction(tx)
            assert.is_true(coroutine.close(co))
            add(tx, "after")
          end)
          assert.same({ "outer", "after" }, names())
        end)
      end

      it("a savepoint of a collected coroutine is rolled back; the outer " ..
        "transaction goes on", function()
        db:transaction(function(tx)
          add(tx, "outer")
          suspended_in_transaction(tx) -- the coroutine is dropped at once
          collectgarbage()
          collectgarbage()
          add(tx, "after")
        end)
        assert.same({ "outer", "after" }, names())
      end)

      it("a live suspended coroutine still holds its transaction", function()
        local co = suspended_in_transaction(db)
        local err = check.raises_kind("usage", add, db, "x")
        assert.matches("inside db:transaction", err.message)
        local ok = coroutine.resume(co)
        assert.is_true(ok)
        assert.same({ "lost", "never" }, names())
      end)

      it("a transaction inside an abandoned one cannot commit", function()
        local inner
        local co = coroutine.create(function()
          db:transaction(function(tx)
            add(tx, "outer")
            inner = coroutine.create(function()
              tx:transaction(function(sp)
                add(sp, "inner")
                coroutine.yield()
                return "done"
              end)
            end)
            assert(coroutine.resume(inner))
            coroutine.yield()
          end)
        end)
        assert(coroutine.resume(co))
        co = nil -- luacheck: ignore 311
        collectgarbage()
        collectgarbage()
        assert.same({}, names())
        local ok, err = coroutine.resume(inner)
        assert.is_false(ok)
        check.sleet_error(err, "rollback")
        assert.same({}, names())
      end)
    end)
  end)
end

describe("sleet.guard", function()
  it("returns fn's values and raises a sleet error again as its text",
    function()
      local a, b = sleet.guard(function(x, y) return x + 1, y end, 1, "y")
      assert.equal(2, a)
      assert.equal("y", b)
      local db = sleet.connect("sqlite::memory:")
      local ok, err = pcall(sleet.guard, function()
        return db:execute(sleet.sql("select no_such_column"))
      end)
      db:close()
      assert.is_false(ok)
      assert.equal("string", type(err))
      assert.matches("^database: no such column: no_such_column", err)
      -- other error values pass unchanged
      local mine = {}
      ok, err = pcall(sleet.guard, function() error(mine) end)
      assert.is_false(ok)
      assert.equal(mine, err)
    end)
end)
