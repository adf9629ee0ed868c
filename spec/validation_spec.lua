-- Errors: bad input is refused before any SQL is sent (a logger proves no
-- statement reached the database), error objects carry their fields, and
-- database errors carry the database's own code and SQLSTATE. The bodies
-- run on every live dialect; the error codes each database reports are
-- listed per dialect in `errors` below.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local function build(m, dname)
  local my = dname == "mysql"
  local users = m.table("users", {
    id = (m.serial or m.integer)():primaryKey(),
    name = m.text():notNull(),
    -- MySQL indexes (unique) and defaults need a varchar
    email = (my and m.varchar({ length = 255 }) or m.text()):unique(),
    role = (my and m.varchar({ length = 16 }) or m.text()):notNull()
      :default("member"),
    age = (m.integer or m.int)(),
    score = (m.doublePrecision or m.real)(),
    flag = m.boolean and m.boolean() or m.integer({ mode = "boolean" }),
    data = m.json and m.json() or m.text({ mode = "json" }),
    bin = (m.bytea or m.blob)(),
  }, function(t)
    return { m.check("age_positive", sleet.sql("? >= 0", t.age)) }
  end)
  local posts = m.table("posts", {
    id = (m.serial or m.integer)():primaryKey(),
    -- MySQL's serial is bigint unsigned; a foreign key must match it
    authorId = (my and m.bigint("author_id", { unsigned = true })
      or m.integer("author_id")):notNull()
      :references(function() return users.id end),
    title = m.text():notNull(),
  })
  return { users = users, posts = posts }
end

-- What each database reports for each failure: the fields listed must be
-- present with these values (sleet fills what the database makes known).
local errors = {
  sqlite = {
    unique = { code = 2067, sqlstate = "23505", table = "users",
      column = "email" },
    primary = { code = 1555, sqlstate = "23505", table = "users",
      column = "id" },
    foreign = { code = 787, sqlstate = "23503" },
    check = { code = 275, sqlstate = "23514", constraint = "age_positive" },
    notnull = { code = 1299, sqlstate = "23502", table = "users",
      column = "name" },
    syntax = { code = 1 },
  },
  postgresql = {
    unique = { sqlstate = "23505", table = "users",
      constraint = "users_email_unique" },
    primary = { sqlstate = "23505", table = "users",
      constraint = "users_pkey" },
    foreign = { sqlstate = "23503", table = "posts",
      constraint = "posts_author_id_users_id_fk" },
    check = { sqlstate = "23514", table = "users",
      constraint = "age_positive" },
    notnull = { sqlstate = "23502", table = "users", column = "name" },
    syntax = { sqlstate = "42601" },
  },
  mysql = {
    unique = { code = 1062, sqlstate = "23000",
      constraint = "users_email_unique" },
    primary = { code = 1062, sqlstate = "23000", constraint = "PRIMARY" },
    foreign = { code = 1452, sqlstate = "23000", table = "posts",
      column = "author_id", constraint = "posts_author_id_users_id_fk" },
    check = { code = 4025, sqlstate = "23000", table = "users",
      constraint = "age_positive" },
    notnull = { code = 1048, sqlstate = "23000", column = "name" },
    syntax = { code = 1064, sqlstate = "42000" },
  },
}

-- A URL of each dialect where nothing listens.
local unreachable = {
  sqlite = "sqlite:/nonexistent-dir/sub/x.db",
  postgresql = "postgres://postgres@127.0.0.1:1/none",
  mysql = "mysql://root@127.0.0.1:1/none",
}

-- The insert the logger spec sends, as each dialect spells it.
local logged_insert = {
  sqlite = 'insert into "users" ("name") values (?)',
  postgresql = 'insert into "users" ("name") values ($1)',
  mysql = "insert into `users` (`name`) values (?)",
}

for _, d in ipairs(dialects.live()) do
  describe("validation and errors on " .. d.name, function()
    local db, s, log
    before_each(function()
      log = {}
      db, s = d.open(function(m) return build(m, d.name) end, {
        logger = function(sql, params)
          log[#log + 1] = { sql = sql, params = params }
        end,
      })
      log = {}
    end)
    after_each(function() db:close() end)

    -- Asserts err has the fields the database reports for failure what.
    local function reports(err, what)
      for k, v in pairs(errors[d.name][what]) do
        assert.equal(v, err[k], ("%s: field %s of %s"):format(what, k,
          tostring(err)))
      end
    end

    -- Counts rows, then drops its own statement from the log so that the
    -- log shows only what the code under test sent.
    local function count(t)
      local before = #log
      local n = db:select({ n = sleet.count() }):from(t or s.users):get().n
      for i = #log, before + 1, -1 do log[i] = nil end
      return n
    end

    -- Runs fn, expects a validation error raised before any SQL was logged.
    local function refused(fn)
      local err = check.raises_kind("validation", fn)
      assert.same({}, log, "no SQL may be sent for invalid input")
      return err
    end

    it("the logger sees the SQL and params of valid statements", function()
      db:insert(s.users):values({ name = "Ada" }):run()
      assert.equal(1, #log)
      assert.equal(logged_insert[d.name], log[1].sql)
      assert.same({ "Ada" }, log[1].params)
    end)

    describe("unknown column keys", function()
      it("in insert", function()
        local err = refused(function()
          return db:insert(s.users):values({ name = "x", nope = 1 }):run()
        end)
        assert.truthy(err.message:find("nope", 1, true))
        assert.equal("users", err.table)
        assert.equal(0, count())
      end)

      it("in one row of a multi-row insert", function()
        local err = refused(function()
          return db:insert(s.users):values({ { name = "a" },
            { name = "b", bogus = true } }):run()
        end)
        assert.truthy(err.message:find("bogus", 1, true))
        assert.equal(0, count())
      end)

      it("in update", function()
        db:insert(s.users):values({ name = "a" }):run()
        log = {}
        local err = refused(function()
          return db:update(s.users):set({ name = "b", nope = 1 })
            :where(sleet.eq(s.users.id, 1)):run()
        end)
        assert.truthy(err.message:find("nope", 1, true))
        assert.equal("a", db:select():from(s.users):get().name)
      end)

      it("in onConflictDoUpdate set", function()
        refused(function()
          return db:insert(s.users):values({ name = "a" })
            :onConflictDoUpdate({ target = s.users.email, set = { zzz = 1 } })
            :run()
        end)
      end)
    end)

    describe("values of the wrong type", function()
      local bad = {
        { "string into integer", "age", "12" },
        { "float 1.5 into integer", "age", 1.5 },
        { "table into integer", "age", {} },
        { "boolean into integer", "age", true },
        { "number into text", "name", 5 },
        { "table into text", "name", { "x" } },
        { "string into real", "score", "1.5" },
        { "string into boolean", "flag", "yes" },
        { "function into json", "data", print },
        { "number into blob", "bin", 7 },
      }
      for _, c in ipairs(bad) do
        it(c[1] .. " is refused naming table and column", function()
          local row = { name = "ok", [c[2]] = c[3] }
          local err = refused(function()
            return db:insert(s.users):values(row):run()
          end)
          assert.equal("users", err.table)
          assert.equal(c[2], err.column)
          assert.truthy(err.message:find(c[2], 1, true))
          assert.equal(0, count())
        end)
      end

      it("in update set", function()
        refused(function()
          return db:update(s.users):set({ age = "old" }):run()
        end)
      end)

      it("in a where comparison with a column", function()
        refused(function()
          return db:select():from(s.users):where(sleet.eq(s.users.age, "abc"))
            :all()
        end)
      end)
    end)

    describe("missing NOT NULL values", function()
      it("a NOT NULL column without default is required", function()
        local err = refused(function()
          return db:insert(s.users):values({ email = "a@x" }):run()
        end)
        assert.truthy(err.message:find("name", 1, true))
        assert.equal("users", err.table)
        assert.equal("name", err.column)
      end)

      it("in any row of a multi-row insert", function()
        refused(function()
          return db:insert(s.users):values({ { name = "a" }, { age = 3 } })
            :run()
        end)
        assert.equal(0, count())
      end)

      it("a NOT NULL column with a default may be left out", function()
        db:insert(s.users):values({ name = "a" }):run()
        assert.equal("member", db:select():from(s.users):get().role)
      end)
    end)

    describe("operators on nil", function()
      local ops = { "eq", "ne", "gt", "gte", "lt", "lte", "like", "notLike",
        "ilike", "notIlike" }
      for _, op in ipairs(ops) do
        it(op .. "(col, nil) is an error (use isNull)", function()
          check.raises_kind("validation", function()
            return db:select():from(s.users):where(sleet[op](s.users.name, nil))
              :all()
          end)
          assert.same({}, log)
        end)
      end

      for _, op in ipairs(ops) do
        it(op .. "(col, sleet.null) is an error too (NULL never compares)",
          function()
            local ok, err = pcall(function()
              return db:select():from(s.users)
                :where(sleet[op](s.users.name, sleet.null)):all()
            end)
            assert.is_false(ok)
            assert.equal("validation", err.kind)
            assert.matches("sleet.null", err.message, 1, true)
            assert.same({}, log)
          end)
      end

      it("inArray with sleet.null in the list is an error", function()
        check.raises_kind("validation", function()
          return db:select():from(s.users)
            :where(sleet.inArray(s.users.id, { 1, sleet.null })):all()
        end)
        assert.same({}, log)
      end)

      it("inArray(col, nil) and between(col, nil, x) are errors", function()
        check.raises_kind({ "validation", "usage" }, function()
          return db:select():from(s.users):where(sleet.inArray(s.users.id, nil))
            :all()
        end)
        check.raises_kind("validation", function()
          return db:select():from(s.users)
            :where(sleet.between(s.users.id, nil, 3)):all()
        end)
        assert.same({}, log)
      end)
    end)

    describe("misuse", function()
      it("update without set and insert without values are usage errors",
        function()
          check.raises_kind({ "usage", "validation" }, function()
            return db:update(s.users):where(sleet.eq(s.users.id, 1)):run()
          end)
          check.raises_kind({ "usage", "validation" }, function()
            return db:insert(s.users):values({}):run()
          end)
          assert.same({}, log)
        end)

      it("an unreachable database is a connection error", function()
        check.raises_kind("connection", function()
          return sleet.connect(unreachable[d.name])
        end)
      end)
    end)

    describe("error objects", function()
      -- the SQL of a failed statement, as this dialect spells it
      local function spelled(sqlite_text)
        local text = sqlite_text
        if d.name == "mysql" then
          text = text:gsub('"', "`")
        elseif d.name == "postgresql" then
          local n = 0
          text = text:gsub("%?", function()
            n = n + 1
            return "$" .. n
          end)
        end
        return text
      end

      it("are sleet.Error tables with a readable tostring", function()
        local err = refused(function()
          return db:insert(s.users):values({ name = 5 }):run()
        end)
        assert.equal(sleet.Error, getmetatable(err))
        assert.is_table(err)
        assert.equal("validation", err.kind)
        assert.is_string(err.message)
        local text = tostring(err)
        assert.is_string(text)
        assert.truthy(text:find(err.message, 1, true),
          "tostring(err) should include the message")
        assert.is_nil(text:find("^table: 0x"))
      end)

      it("database errors carry code, sql, table and column", function()
        db:insert(s.users):values({ name = "a", email = "dup@x" }):run()
        local err = check.raises_kind("database", function()
          return db:insert(s.users):values({ name = "b", email = "dup@x" })
            :run()
        end)
        assert.equal(sleet.Error, getmetatable(err))
        reports(err, "unique")
        assert.equal(spelled('insert into "users" ("name", "email") values '
          .. "(?, ?)"), err.sql)
        assert.truthy(tostring(err):find(err.message, 1, true))
      end)

      it("a primary key clash", function()
        db:insert(s.users):values({ id = 7, name = "a" }):run()
        local err = check.raises_kind("database", function()
          return db:insert(s.users):values({ id = 7, name = "b" }):run()
        end)
        reports(err, "primary")
      end)

      -- Like better-sqlite3 (Drizzle's usual driver), sleet turns on
      -- SQLite's foreign key enforcement for every connection.
      it("a foreign key violation", function()
        local err = check.raises_kind("database", function()
          return db:insert(s.posts):values({ authorId = 999, title = "t" })
            :run()
        end)
        reports(err, "foreign")
        assert.equal(0, count(s.posts))
      end)

      it("a CHECK failure names the constraint", function()
        local err = check.raises_kind("database", function()
          return db:insert(s.users):values({ name = "a", age = -1 }):run()
        end)
        reports(err, "check")
      end)

      it("a NOT NULL failure inside the database names the column",
        function()
          local err = check.raises_kind("database", function()
            return db:execute(sleet.sql("insert into ? (?) values (null)",
              s.users, sleet.identifier("name")))
          end)
          reports(err, "notnull")
        end)

      it("a syntax error is a database error with the SQL", function()
        local err = check.raises_kind("database", function()
          return db:execute(sleet.sql("selec 1"))
        end)
        reports(err, "syntax")
        assert.equal("selec 1", err.sql)
      end)

      it("a failed statement leaves the connection usable", function()
        pcall(function()
          return db:execute(sleet.sql("selec 1"))
        end)
        db:insert(s.users):values({ name = "fine" }):run()
        assert.equal(1, count())
      end)
    end)

    describe("nothing half-written", function()
      it("a multi-row insert failing on its last row writes no row",
        function()
          db:insert(s.users):values({ name = "x", email = "taken@x" }):run()
          check.raises_kind("database", function()
            return db:insert(s.users):values({
              { name = "a", email = "a@x" },
              { name = "b", email = "b@x" },
              { name = "c", email = "taken@x" },
            }):run()
          end)
          assert.equal(1, count())
        end)

      it("an error inside a transaction undoes its earlier statements",
        function()
          check.raises_kind("database", function()
            db:transaction(function(tx)
              tx:insert(s.users):values({ name = "a", email = "same@x" }):run()
              tx:insert(s.users):values({ name = "b" }):run()
              tx:insert(s.users):values({ name = "c", email = "same@x" }):run()
            end)
          end)
          assert.equal(0, count())
        end)

      it("a validation error inside a transaction rolls back too", function()
        check.raises_kind("validation", function()
          db:transaction(function(tx)
            tx:insert(s.users):values({ name = "a" }):run()
            tx:insert(s.users):values({ name = {} }):run()
          end)
        end)
        assert.equal(0, count())
      end)
    end)
  end)
end

describe("DDL literals", function()
  local kit = require "sleet.kit"
  -- SQLite and PostgreSQL would end the quoted default at the NUL byte; the
  -- schema is refused with a clear error before any SQL exists.
  for _, case in ipairs({ { "sqlite", "sleet.sqlite" }, { "postgresql",
    "sleet.pg" } }) do
    it("refuses a NUL byte in a text default on " .. case[1], function()
      local m = require(case[2])
      local t = m.table("nul_default", { s = m.text():default("a\0b") })
      local ok, err = pcall(kit.export, { t = t }, case[1])
      assert.is_false(ok)
      assert.equal("validation", err.kind)
      assert.matches("NUL byte", err.message, 1, true)
    end)
  end

  it("keeps a NUL byte in a MySQL text default (escaped as \\0)", function()
    local m = require "sleet.mysql"
    local t = m.table("nul_default", { s = m.varchar({ length = 5 })
      :default("a\0b") })
    local sql = table.concat(kit.export({ t = t }, "mysql"), "\n")
    assert.truthy(sql:find("'a\\0b'", 1, true))
  end)
end)

describe("misuse caught before SQL exists", function()
  local m = require "sleet.sqlite"
  local kit = require "sleet.kit"
  local users = m.table("misuse_users", {
    id = m.integer():primaryKey(),
    name = m.text():notNull(),
  })
  local db, log
  before_each(function()
    log = {}
    db = sleet.connect("sqlite::memory:", { schema = { users = users },
      logger = function(sql) log[#log + 1] = sql end })
    kit.push(db, { users = users }, { force = true })
    db:insert(users):values({ name = "kept" }):run()
    log = {}
  end)
  after_each(function() db:close() end)

  -- a string, number or boolean in where() would be bound as a parameter
  -- and match every row (or none)
  for _, bad in ipairs({ "1 = 1", 1, true }) do
    it("where(" .. tostring(bad) .. ") is a usage error, nothing deleted",
      function()
        check.raises_kind("usage", function()
          return db:delete(users):where(bad):run()
        end)
        check.raises_kind("usage", function()
          return db:select():from(users):where(bad):all()
        end)
        assert.same({}, log)
        assert.equal(1, #db:select():from(users):all())
      end)
  end

  it("orderBy / groupBy take columns and expressions only", function()
    check.raises_kind("usage", function()
      return db:select():from(users):orderBy("name"):all()
    end)
    check.raises_kind("usage", function()
      return db:select():from(users):groupBy(1):all()
    end)
    assert.same({}, log)
  end)

  it("sleet.null for a NOT NULL column is a validation error", function()
    local err = check.raises_kind("validation", function()
      return db:insert(users):values({ name = sleet.null }):run()
    end)
    assert.equal("name", err.column)
    check.raises_kind("validation", function()
      return db:update(users):set({ name = sleet.null }):run()
    end)
    assert.same({}, log)
  end)

  it("tx:rollback() after the transaction ended is a usage error", function()
    local saved
    db:transaction(function(tx) saved = tx end)
    check.raises_kind("usage", function() saved:rollback() end)
  end)

  it("connect refuses unknown options and another dialect's schema",
    function()
      check.raises_kind("usage", sleet.connect, "sqlite::memory:",
        { bogus = 1 })
      local pg = require "sleet.pg"
      local t = pg.table("pgt", { id = pg.serial():primaryKey() })
      local err = check.raises_kind("usage", sleet.connect, "sqlite::memory:",
        { schema = { t = t } })
      assert.matches("postgresql", err.message, 1, true)
    end)
end)
