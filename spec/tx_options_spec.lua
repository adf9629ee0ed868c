-- Transactions under pressure, on every live dialect: Drizzle's options per
-- dialect (read back from the server), options of another dialect refused,
-- the outer session used inside a transaction, a transaction used after it
-- ended, savepoints, a serialization failure and a connection dropped in
-- the middle of a transaction.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- A table of its own, made with raw SQL (the same text on every dialect).
local function open(d, opts)
  local m = d.module()
  local items = m.table("txo_items", {
    id = m.integer():primaryKey(),
    name = m.text(),
  })
  local db = d.connect({ items = items }, opts)
  db:execute("drop table if exists txo_items")
  db:execute("create table txo_items (id integer primary key, name text)")
  return db, items
end

for _, d in ipairs(dialects.live()) do
  describe("transaction options and guards on " .. d.name, function()
    local db, items
    before_each(function() db, items = open(d) end)
    after_each(function()
      if not db:isClosed() then db:execute("drop table txo_items") end
      db:close()
    end)

    local function add(s, id, name)
      return s:insert(items):values({ id = id, name = name or "x" }):run()
    end

    local function ids()
      local out = {}
      for _, r in ipairs(db:select({ id = items.id }):from(items)
        :orderBy(items.id):all()) do
        out[#out + 1] = r.id
      end
      return out
    end

    describe("options", function()
      local foreign = {
        sqlite = { isolationLevel = "serializable" },
        postgresql = { behavior = "immediate" },
        mysql = { deferrable = true },
      }

      it("an option of another dialect is a usage error naming it",
        function()
          local err = check.raises_kind("usage", function()
            db:transaction(function(tx) add(tx, 1) end, foreign[d.name])
          end)
          local name = next(foreign[d.name])
          assert.truthy(err.message:find(name, 1, true), err.message)
          assert.same({}, ids())
        end)

      it("an unknown option is a usage error and nothing begins", function()
        local err = check.raises_kind("usage", function()
          db:transaction(function(tx) add(tx, 1) end, { isolation = "x" })
        end)
        assert.truthy(err.message:find("isolation", 1, true))
        assert.same({}, ids())
        -- the connection is usable: no transaction was left open
        db:transaction(function(tx) add(tx, 2) end)
        assert.same({ 2 }, ids())
      end)

      it("options must be a table", function()
        check.raises_kind("usage", function()
          db:transaction(function() end, "serializable")
        end)
      end)

      if d.only("postgresql", "isolation, access mode and deferrable are " ..
        "read back with current_setting") then
        local function setting(tx, name)
          return tx:execute(sleet.sql("select current_setting(?) as v",
            name))[1].v
        end

        it("isolationLevel, accessMode and deferrable apply together",
          function()
            local level, ro, def = db:transaction(function(tx)
              return setting(tx, "transaction_isolation"),
                setting(tx, "transaction_read_only"),
                setting(tx, "transaction_deferrable")
            end, { isolationLevel = "serializable", accessMode = "read only",
              deferrable = true })
            assert.equal("serializable", level)
            assert.equal("on", ro)
            assert.equal("on", def)
          end)

        it("every isolation level is read back as given", function()
          for _, lv in ipairs({ "read uncommitted", "read committed",
            "repeatable read", "serializable" }) do
            assert.equal(lv, db:transaction(function(tx)
              return setting(tx, "transaction_isolation")
            end, { isolationLevel = lv }))
          end
        end)

        it("accessMode = read only refuses writes with SQLSTATE 25006",
          function()
            local err = check.raises_kind("database", function()
              db:transaction(function(tx) add(tx, 1) end,
                { accessMode = "read only" })
            end)
            assert.equal("25006", err.sqlstate)
            assert.same({}, ids())
          end)

        it("deferrable must be a boolean", function()
          check.raises_kind("usage", function()
            db:transaction(function() end, { deferrable = "yes" })
          end)
        end)
      end

      if d.only("mysql", "withConsistentSnapshot is a MySQL option") then
        it("withConsistentSnapshot takes the snapshot at START TRANSACTION",
          function()
            local other = open(d)
            local ok, err = pcall(function()
              local seen = db:transaction(function(tx)
                add(other, 7) -- committed after the snapshot was taken
                return #tx:select():from(items):all()
              end, { withConsistentSnapshot = true,
                isolationLevel = "repeatable read" })
              assert.equal(0, seen)
              -- without it, the snapshot starts at the first read
              local later = db:transaction(function(tx)
                add(other, 8)
                return #tx:select():from(items):all()
              end, { isolationLevel = "repeatable read" })
              assert.equal(2, later)
            end)
            other:close()
            if not ok then error(err, 0) end
          end)

        it("accessMode = read only refuses writes", function()
          local err = check.raises_kind("database", function()
            db:transaction(function(tx) add(tx, 1) end,
              { accessMode = "read only", isolationLevel = "serializable" })
          end)
          assert.equal("25006", err.sqlstate)
          assert.same({}, ids())
        end)
      end

      if d.only("sqlite", "behavior is the SQLite option") then
        it("behavior takes the lock it names", function()
          local v = db:transaction(function(tx)
            add(tx, 1)
            return 1
          end, { behavior = "immediate" })
          assert.equal(1, v)
          assert.same({ 1 }, ids())
        end)
      end
    end)

    describe("guards", function()
      it("the outer db inside the callback is a usage error, and the "
        .. "statement does not run", function()
          local err
          db:transaction(function(tx)
            add(tx, 1)
            local ok, e = pcall(add, db, 2)
            assert.is_false(ok)
            err = e
          end)
          check.sleet_error(err, "usage")
          assert.truthy(err.message:find("transaction", 1, true))
          assert.same({ 1 }, ids())
        end)

      it("db:batch, db:execute and a nested db:transaction are refused "
        .. "too", function()
          db:transaction(function(tx)
            check.raises_kind("usage", function() db:execute("select 1") end)
            check.raises_kind("usage", function()
              db:batch({ db:select():from(items) })
            end)
            check.raises_kind("usage", function()
              db:transaction(function() end)
            end)
            add(tx, 1)
          end)
          assert.same({ 1 }, ids())
        end)

      it("the outer tx while a nested one is open is a usage error",
        function()
          db:transaction(function(tx)
            tx:transaction(function(sp)
              check.raises_kind("usage", function() add(tx, 1) end)
              add(sp, 2)
            end)
            add(tx, 3)
          end)
          assert.same({ 2, 3 }, ids())
        end)

      it("a tx used after its transaction ended is a usage error",
        function()
          local saved, builder
          db:transaction(function(tx)
            saved = tx
            builder = tx:select():from(items)
          end)
          local err = check.raises_kind("usage", function() add(saved, 1) end)
          assert.truthy(err.message:find("finished", 1, true))
          check.raises_kind("usage", function() builder:all() end)
          check.raises_kind("usage", function()
            saved:transaction(function() end)
          end)
          assert.same({}, ids())
        end)

      it("a query prepared on a tx cannot run after the tx", function()
        local p
        db:transaction(function(tx)
          p = tx:insert(items):values({ id = sleet.placeholder("id"),
            name = "p" }):prepare()
          p:run({ id = 1 })
        end)
        check.raises_kind("usage", function() p:run({ id = 2 }) end)
        assert.same({ 1 }, ids())
      end)
    end)

    describe("savepoints", function()
      it("an inner savepoint fails while the outer transaction commits",
        function()
          db:transaction(function(tx)
            add(tx, 1)
            local ok, err = pcall(tx.transaction, tx, function(sp)
              add(sp, 2)
              add(sp, 1) -- duplicate key: the savepoint fails
            end)
            assert.is_false(ok)
            check.sleet_error(err, "database")
            -- the transaction goes on after ROLLBACK TO (PostgreSQL too)
            add(tx, 3)
          end)
          assert.same({ 1, 3 }, ids())
        end)

      it("sibling and nested savepoints keep apart (unique names)",
        function()
          db:transaction(function(tx)
            tx:transaction(function(a)
              add(a, 1)
              pcall(a.transaction, a, function(b)
                add(b, 2)
                error("inner")
              end)
              a:transaction(function(c) add(c, 3) end)
            end)
            pcall(tx.transaction, tx, function(e)
              add(e, 4)
              e:transaction(function(f) add(f, 5) end)
              e:rollback()
            end)
            tx:transaction(function(g) add(g, 6) end)
          end)
          assert.same({ 1, 3, 6 }, ids())
        end)

      it("tx:rollback() makes db:transaction raise kind rollback and "
        .. "keeps nothing", function()
          check.raises_kind("rollback", function()
            db:transaction(function(tx)
              add(tx, 1)
              tx:transaction(function(sp) add(sp, 2) end)
              tx:rollback()
            end)
          end)
          assert.same({}, ids())
        end)
    end)

    if d.only("postgresql", "serializable conflicts are PostgreSQL's "
      .. "SSI (SQLSTATE 40001)") then
      it("two serializable transactions in conflict: one fails with "
        .. "SQLSTATE 40001 and a retry succeeds", function()
          add(db, 1, "a")
          add(db, 2, "b")
          local other = open(d) -- drops and re-creates the table
          add(other, 1, "a")
          add(other, 2, "b")
          local opts = { isolationLevel = "serializable" }
          local function swap(s, from, to)
            -- reads one row, writes the other: a write skew
            local v = s:select():from(items):where(sleet.eq(items.id, from))
              :get().name
            s:update(items):set({ name = v }):where(sleet.eq(items.id, to))
              :run()
          end
          local inner
          local ok, outer = pcall(db.transaction, db, function(tx)
            swap(tx, 1, 2)
            local ok2, e2 = pcall(other.transaction, other, function(t2)
              swap(t2, 2, 1)
            end, opts)
            if not ok2 then inner = e2 end
          end, opts)
          other:close()
          -- exactly one of the two fails, as a serialization failure
          local failed = inner or (not ok and outer) or nil
          assert.is_table(failed, "one transaction must fail")
          assert.is_true(inner == nil or ok, "only one fails")
          check.sleet_error(failed, "database")
          assert.equal("40001", failed.sqlstate)
          -- and running it again succeeds
          db:transaction(function(tx) swap(tx, 1, 2) end, opts)
        end)

      it("the serialization error object carries SQLSTATE 40001",
        function()
          add(db, 1, "a")
          local other = d.connect({ items = items })
          local opts = { isolationLevel = "serializable" }
          local ok, err = pcall(db.transaction, db, function(tx)
            tx:select():from(items):all()
            other:update(items):set({ name = "o" })
              :where(sleet.eq(items.id, 1)):run()
            tx:update(items):set({ name = "t" }):where(sleet.eq(items.id, 1))
              :run()
          end, opts)
          other:close()
          assert.is_false(ok)
          check.sleet_error(err, "database")
          assert.equal("40001", err.sqlstate)
          assert.equal("o", db:select():from(items):get().name)
        end)
    end

    if d.only("postgresql", "mysql", "a server connection can be killed "
      .. "from another one") then
      it("a connection dropped inside a transaction: connection error, "
        .. "nothing committed", function()
          local pid
          if d.name == "postgresql" then
            pid = db:execute("select pg_backend_pid() as p")[1].p
          else
            pid = db:execute("select connection_id() as p")[1].p
          end
          local killer = d.connect({ items = items })
          local err = check.raises_kind("connection", function()
            db:transaction(function(tx)
              add(tx, 1)
              add(tx, 2)
              if d.name == "postgresql" then
                killer:execute(sleet.sql("select pg_terminate_backend(?)",
                  pid))
              else
                killer:execute(sleet.raw("kill " .. check.tointeger(pid)))
              end
              add(tx, 3)
            end)
          end)
          assert.is_string(err.message)
          assert.is_true(db:isClosed())
          -- nothing was committed
          assert.same({}, killer:select():from(items):all())
          -- the dropped connection keeps failing as a connection error
          check.raises_kind("connection", function()
            db:select():from(items):all()
          end)
          killer:execute("drop table txo_items")
          killer:close()
          db:close()
        end)
    end
  end)
end
