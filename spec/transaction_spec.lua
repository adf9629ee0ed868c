-- Transactions: commit returns the function's values, errors roll back and
-- re-raise the same object, nesting uses savepoints, tx:rollback() aborts,
-- and per-dialect options take effect (SQLite's behavior; PostgreSQL's and
-- MySQL's isolationLevel and accessMode). Every body but the options runs
-- on every live dialect.
local sleet = require "sleet"
local kit = require "sleet.kit"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

for _, d in ipairs(dialects.live()) do
  describe("transactions on " .. d.name, function()
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

    it("commits and returns the function's values", function()
      local a, b, c = db:transaction(function(tx)
        add(tx, "A")
        add(tx, "B")
        return 1, "two", false
      end)
      assert.equal(1, a)
      assert.equal("two", b)
      assert.is_false(c)
      assert.same({ "A", "B" }, names())
    end)

    it("the transaction object runs every kind of query", function()
      local n = db:transaction(function(tx)
        add(tx, "A")
        tx:update(s.users):set({ age = 3 }):where(sleet.eq(s.users.name, "A"))
          :run()
        local row = tx:select():from(s.users):get()
        assert.equal(3, row.age)
        tx:execute(sleet.sql("delete from ? where ? = ?", s.users,
          sleet.identifier("name"), "nobody"))
        return tx:select({ n = sleet.count() }):from(s.users):get().n
      end)
      assert.equal(1, n)
    end)

    it("an error rolls back and re-raises the same object", function()
      local mine = setmetatable({ tag = "mine" }, {})
      local ok, err = pcall(db.transaction, db, function(tx)
        add(tx, "A")
        error(mine)
      end)
      assert.is_false(ok)
      assert.is_true(rawequal(mine, err))
      assert.same({}, names())
    end)

    it("a string error is re-raised unchanged", function()
      local ok, err = pcall(db.transaction, db, function(tx)
        add(tx, "A")
        error("boom", 0)
      end)
      assert.is_false(ok)
      assert.equal("boom", err)
      assert.same({}, names())
    end)

    it("a database error inside rolls back and surfaces as itself",
      function()
        add(db, "outside")
        local inner
        local ok, err = pcall(db.transaction, db, function(tx)
          add(tx, "A")
          local ok2, e = pcall(function()
            return tx:execute(sleet.sql("insert into nosuchtable values (1)"))
          end)
          assert.is_false(ok2)
          inner = e
          error(e)
        end)
        assert.is_false(ok)
        assert.is_true(rawequal(inner, err))
        check.sleet_error(err, "database")
        assert.same({ "outside" }, names())
      end)

    it("tx:rollback() aborts with a rollback error", function()
      local after = false
      local err = check.raises_kind("rollback", function()
        db:transaction(function(tx)
          add(tx, "A")
          tx:rollback()
          after = true
        end)
      end)
      assert.equal(sleet.Error, getmetatable(err))
      assert.is_false(after, "tx:rollback() must not return")
      assert.same({}, names())
    end)

    it("no transaction stays open after a failure", function()
      pcall(db.transaction, db, function(tx)
        add(tx, "A")
        error("x")
      end)
      -- written outside any transaction: a later rollback must not undo it
      add(db, "kept")
      pcall(db.transaction, db, function(tx)
        add(tx, "B")
        error("y")
      end)
      assert.same({ "kept" }, names())
      -- and a new transaction can begin
      db:transaction(function(tx) add(tx, "C") end)
      assert.same({ "kept", "C" }, names())
    end)

    describe("nesting", function()
      it("a nested transaction is a savepoint: inner failure rolls back "
        .. "only the inner writes", function()
        db:transaction(function(tx)
          add(tx, "outer1")
          local ok = pcall(tx.transaction, tx, function(sp)
            add(sp, "inner")
            error("inner fails")
          end)
          assert.is_false(ok)
          add(tx, "outer2")
        end)
        assert.same({ "outer1", "outer2" }, names())
      end)

      it("a nested transaction returns its values and keeps its writes",
        function()
          local v = db:transaction(function(tx)
            add(tx, "outer")
            local x, y = tx:transaction(function(sp)
              add(sp, "inner")
              return 5, "five"
            end)
            assert.equal("five", y)
            return x
          end)
          assert.equal(5, v)
          assert.same({ "outer", "inner" }, names())
        end)

      it("an outer failure also undoes a completed inner one", function()
        pcall(db.transaction, db, function(tx)
          add(tx, "outer")
          tx:transaction(function(sp) add(sp, "inner") end)
          error("outer fails")
        end)
        assert.same({}, names())
      end)

      it("sp:rollback() undoes only the savepoint", function()
        db:transaction(function(tx)
          add(tx, "outer")
          local err = check.raises_kind("rollback", function()
            tx:transaction(function(sp)
              add(sp, "inner")
              sp:rollback()
            end)
          end)
          assert.is_table(err)
          add(tx, "outer2")
        end)
        assert.same({ "outer", "outer2" }, names())
      end)

      it("three levels: the middle one fails, the others commit", function()
        db:transaction(function(t1)
          add(t1, "L1")
          pcall(t1.transaction, t1, function(t2)
            add(t2, "L2")
            t2:transaction(function(t3) add(t3, "L3") end)
            error("L2 fails")
          end)
          t1:transaction(function(t2b) add(t2b, "L2b") end)
        end)
        assert.same({ "L1", "L2b" }, names())
      end)
    end)

    describe("options of another dialect", function()
      it("are refused with the options this dialect takes, before BEGIN",
        function()
          local other = d.name == "sqlite" and { isolationLevel =
            "serializable" } or { behavior = "immediate" }
          local err = check.raises_kind("usage", function()
            db:transaction(function(tx) add(tx, "A") end, other)
          end)
          assert.matches(next(other), err.message, 1, true)
          assert.same({}, names())
        end)

      it("an unknown option name is refused and nothing begins", function()
        check.raises_kind("usage", function()
          db:transaction(function(tx) add(tx, "x") end, { lazy = true })
        end)
        assert.same({}, names())
      end)
    end)

    if d.only("postgresql", "mysql",
      "isolationLevel and accessMode are server options") then
      describe("isolationLevel and accessMode", function()
        -- The isolation level the current transaction runs at, lower case
        -- with spaces ("serializable", "read committed").
        local function level(tx)
          if d.name == "postgresql" then
            return tx:execute(sleet.sql("show transaction_isolation"))[1]
              .transaction_isolation
          end
          -- InnoDB registers the transaction at its first read, and serves
          -- innodb_trx from a cache refreshed at most every 0.1 s
          tx:select():from(s.users):all()
          os.execute("sleep 0.15")
          local v = tx:execute(sleet.sql("select trx_isolation_level as l "
            .. "from information_schema.innodb_trx where "
            .. "trx_mysql_thread_id = connection_id()"))[1].l
          return (v:lower():gsub("-", " "))
        end

        for _, lv in ipairs({ "serializable", "repeatable read",
          "read committed", "read uncommitted" }) do
          it("isolationLevel = " .. lv .. " applies to the transaction",
            function()
              local seen = db:transaction(function(tx)
                add(tx, "A")
                return level(tx)
              end, { isolationLevel = lv })
              assert.equal(lv, seen)
              assert.same({ "A" }, names())
            end)
        end

        it("the level applies to one transaction only", function()
          db:transaction(function() end, { isolationLevel = "serializable" })
          local seen = db:transaction(function(tx) return level(tx) end)
          assert.is_not.equal("serializable", seen)
        end)

        it("accessMode = read only refuses writes", function()
          add(db, "before")
          local err = check.raises_kind("database", function()
            db:transaction(function(tx) add(tx, "A") end,
              { accessMode = "read only" })
          end)
          assert.is_string(err.sqlstate)
          assert.same({ "before" }, names())
          -- reads are fine
          local n = db:transaction(function(tx)
            return #tx:select():from(s.users):all()
          end, { accessMode = "read only", isolationLevel = "serializable" })
          assert.equal(1, n)
        end)

        it("an invalid level is refused and nothing begins", function()
          check.raises_kind("usage", function()
            db:transaction(function(tx) add(tx, "x") end,
              { isolationLevel = "chaos" })
          end)
          assert.same({}, names())
          db:transaction(function(tx) add(tx, "y") end)
          assert.same({ "y" }, names())
        end)
      end)
    end

    if d.only("sqlite", "behavior is a SQLite option (file locks)") then
      describe("behavior option", function()
        local path, other
        before_each(function()
          path = os.tmpname()
          os.remove(path)
          local schema = s
          db:close()
          db = sleet.connect("sqlite:" .. path, { schema = schema })
          kit.push(db, schema, { force = true })
          other = sleet.connect("sqlite:" .. path, { schema = schema })
        end)
        after_each(function()
          other:close()
          db:close()
          os.remove(path)
          os.remove(path .. "-journal")
          os.remove(path .. "-wal")
          os.remove(path .. "-shm")
        end)

        local function other_writes()
          return pcall(add, other, "other")
        end

        local function other_reads()
          return pcall(function()
            return other:select():from(s.users):all()
          end)
        end

        it("deferred takes no lock until the first statement", function()
          db:transaction(function(tx)
            assert.is_true((other_writes()))
            add(tx, "mine")
          end, { behavior = "deferred" })
          assert.same({ "other", "mine" }, names())
        end)

        it("immediate takes the write lock at begin", function()
          db:transaction(function(tx)
            local ok, err = other_writes()
            assert.is_false(ok)
            check.sleet_error(err, "database")
            assert.is_true((other_reads()))
            add(tx, "mine")
          end, { behavior = "immediate" })
          assert.same({ "mine" }, names())
        end)

        it("exclusive keeps readers out too", function()
          db:transaction(function(tx)
            add(tx, "mine")
            local ok, err = other_reads()
            assert.is_false(ok)
            check.sleet_error(err, "database")
          end, { behavior = "exclusive" })
          assert.same({ "mine" }, names())
        end)

        it("an unknown behavior is refused and nothing begins", function()
          check.raises_kind({ "usage", "validation" }, function()
            db:transaction(function(tx) add(tx, "x") end,
              { behavior = "sometimes" })
          end)
          assert.same({}, names())
          db:transaction(function(tx) add(tx, "y") end)
          assert.same({ "y" }, names())
        end)
      end)
    end
  end)
end
