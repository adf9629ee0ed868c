-- Values and names at the edges: what a database gives back can be written
-- back, or the error says which column could not be read or written; a
-- misspelt column is an error, never a value.
local sleet = require "sleet"
local dialects = require "spec.support.dialects"

-- Calls f expecting a sleet.Error of kind; returns its message.
local function fails(kind, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(sleet.isError(err, kind),
    "expected a " .. kind .. " error, got " .. tostring(err))
  return tostring(err)
end

describe("SQLite double-quoted names", function()
  local db
  before_each(function() db = sleet.connect("sqlite::memory:") end)
  after_each(function() db:close() end)

  it("are identifiers: a missing column is an error, not its name", function()
    local msg = fails("database", db.execute, db, sleet.sql('select "nosuchcol"'))
    assert.matches("no such column: nosuchcol", msg, 1, true)
  end)

  it("are identifiers in DDL too", function()
    local msg = fails("database", db.execute, db,
      sleet.sql('create index i on t("nosuchcol")'))
    assert.matches("no such table", msg, 1, true)
    db:execute(sleet.sql("create table t (a integer)"))
    msg = fails("database", db.execute, db,
      sleet.sql('create index i on t("nosuchcol")'))
    assert.matches("no such column: nosuchcol", msg, 1, true)
  end)

  it("a schema column missing from the table is an error", function()
    local m = require "sleet.sqlite"
    local t = m.table("t", { a = m.integer(), gone = m.text() })
    db:execute(sleet.sql("create table t (a integer)"))
    db:execute(sleet.sql("insert into t (a) values (1)"))
    local msg = fails("database", function()
      return db:select({ gone = t.gone }):from(t):all()
    end)
    assert.matches("no such column", msg, 1, true)
  end)
end)

describe("parameter limits", function()
  for _, d in ipairs(dialects.live()) do
    describe(d.name, function()
      local db, s
      before_each(function() db, s = d.open() end)
      after_each(function() db:close() end)

      local function select_ids(n)
        local ids = {}
        for i = 1, n do ids[i] = i end
        return db:select():from(s.users):where(sleet.inArray(s.users.id, ids)):all()
      end

      it("too many parameters is a usage error naming count and limit", function()
        -- SQLite's limit is a build option (32766 by default, Debian's is
        -- larger); the servers' is 65535
        local n = d.name == "sqlite" and 300000 or 70000
        local msg = fails("usage", select_ids, n)
        local limit = msg:match("at most (%d+) parameters per statement, " .. n ..
          " given")
        assert.is_not_nil(limit, msg)
        if d.name ~= "sqlite" then assert.equal("65535", limit) end
        -- as many as the limit run
        assert.same({}, select_ids(tonumber(limit)))
      end)
    end)
  end
end)

-- A module's json column type: text({ mode = "json" }) on SQLite.
local function json_column(d, m)
  if d.name == "sqlite" then return m.text({ mode = "json" }) end
  return m.json()
end

describe("JSON the decoder refuses", function()
  for _, d in ipairs(dialects.live()) do
    describe(d.name, function()
      local db, t
      before_each(function()
        local s
        db, s = d.open(function(m)
          return { edge_json = m.table("edge_json", {
            id = m.integer():primaryKey(), j = json_column(d, m) }) }
        end)
        t = s.edge_json
      end)
      after_each(function() db:close() end)

      local docs = {
        ["a number out of range"] = '{"a": 1e400}',
        ["a 30-digit integer"] = '{"a": 123456789012345678901234567890}',
        ["nesting deeper than 2048"] = ("["):rep(2100) .. ("]"):rep(2100),
      }
      for what, doc in pairs(docs) do
        it("fails naming the column: " .. what, function()
          if what:match("^nesting") and d.name == "mysql" then
            return -- MariaDB's own JSON check refuses it on insert
          end
          db:execute(sleet.sql("insert into edge_json (id, j) values (?, ?)", 1, doc))
          local ok, err = pcall(function() return db:select():from(t):all() end)
          assert.is_false(ok)
          assert.is_true(sleet.isError(err), tostring(err))
          assert.matches("edge_json.j: ", tostring(err), 1, true)
          assert.equal("edge_json", err.table)
          assert.equal("j", err.column)
        end)
      end
    end)
  end
end)

describe("values at the edges", function()
  for _, d in ipairs(dialects.live()) do
    describe(d.name, function()
      local db, t
      before_each(function()
        local s
        db, s = d.open(function(m)
          local cols = { id = m.integer():primaryKey() }
          if d.name == "sqlite" then
            cols.ts = m.integer({ mode = "timestamp" })
            cols.f = m.real()
            cols.n = m.numeric({ mode = "number" })
          elseif d.name == "postgresql" then
            cols.ts = m.timestamp({ mode = "epoch" })
            cols.tss = m.timestamp()
            cols.tz = m.time({ withTimezone = true })
            cols.f = m.doublePrecision()
            cols.n = m.numeric({ mode = "number" })
          else
            cols.ts = m.datetime()
            cols.f = m.double()
            cols.n = m.decimal({ precision = 20, scale = 6, mode = "number" })
          end
          return { edge_vals = m.table("edge_vals", cols) }
        end)
        t = s.edge_vals
      end)
      after_each(function() db:close() end)

      it("NaN is kept where the database stores it, else refused naming the column",
        function()
          local nan = 0 / 0
          if d.name == "postgresql" then
            db:insert(t):values({ id = 1, f = nan, n = nan }):run()
            local row = db:select():from(t):get()
            assert.is_true(row.f ~= row.f and row.n ~= row.n)
          else
            local msg = fails("validation", function()
              return db:insert(t):values({ id = 1, f = nan }):run()
            end)
            assert.matches("edge_vals.f: .* cannot store NaN", msg)
            assert.same({}, db:select():from(t):all())
          end
        end)

      it("timestamps outside years 0000-9999 are refused on write", function()
        local msg = fails("validation", function()
          -- 10000-01-01T00:00:00Z
          return db:insert(t):values({ id = 1, ts = 253402300800 }):run()
        end)
        assert.matches("edge_vals.ts: timestamp out of range", msg, 1, true)
        msg = fails("validation", function()
          return db:insert(t):values({ id = 1, ts = -62167219201 }):run()
        end)
        assert.matches("edge_vals.ts: timestamp out of range", msg, 1, true)
      end)

      if d.name == "postgresql" then
        it("numeric NaN and infinities read as numbers that write back", function()
          for i, v in ipairs({ "NaN", "Infinity", "-Infinity" }) do
            db:execute(sleet.sql("insert into edge_vals (id, n) values (?, cast(? as numeric))",
              i, v))
          end
          local rows = db:select():from(t):orderBy(t.id):all()
          assert.is_true(rows[1].n ~= rows[1].n)
          assert.equal(math.huge, rows[2].n)
          assert.equal(-math.huge, rows[3].n)
          db:delete(t):run()
          db:insert(t):values({ { id = 1, n = rows[1].n }, { id = 2, n = rows[2].n },
            { id = 3, n = rows[3].n } }):run()
          local again = db:select():from(t):orderBy(t.id):all()
          assert.equal(math.huge, again[2].n)
        end)

        it("time with time zone reads with its offset and writes back", function()
          db:insert(t):values({ { id = 1, tz = "10:11:12" },
            { id = 2, tz = "10:11:12.5+05:30" }, { id = 3, tz = "23:59:59-08" } }):run()
          local rows = db:select({ id = t.id, tz = t.tz }):from(t):orderBy(t.id):all()
          assert.same({ "10:11:12+00", "10:11:12.5+05:30", "23:59:59-08" },
            { rows[1].tz, rows[2].tz, rows[3].tz })
          for _, r in ipairs(rows) do
            db:update(t):set({ tz = r.tz }):where(sleet.eq(t.id, r.id)):run()
          end
          db:insert(t):values({ id = 4, tz = rows[2].tz }):run()
          assert.equal("10:11:12.5+05:30",
            db:select({ tz = t.tz }):from(t):where(sleet.eq(t.id, 4)):get().tz)
          local msg = fails("validation", function()
            return db:insert(t):values({ id = 5, tz = "10:11:12+5" }):run()
          end)
          assert.matches("edge_vals.tz: invalid time", msg, 1, true)
        end)

        for _, v in ipairs({ "infinity", "-infinity", "0044-03-15 00:00:00 BC",
          "12345-01-01 00:00:00" }) do
          it("timestamp '" .. v .. "' is an error naming the column", function()
            db:execute(sleet.sql("insert into edge_vals (id, ts, tss) values " ..
              "(1, cast(? as timestamp), cast(? as timestamp))", v, v))
            local msg = fails("validation", function()
              return db:select({ ts = t.ts }):from(t):all()
            end)
            assert.matches("edge_vals.ts: cannot read '", msg, 1, true)
            msg = fails("validation", function()
              return db:select({ tss = t.tss }):from(t):all()
            end)
            assert.matches("edge_vals.tss: cannot read '", msg, 1, true)
          end)
        end
      end
    end)
  end
end)

describe("MySQL bigint unsigned above 2^63-1", function()
  local d = dialects.find("mysql")
  if not d then return end
  local db, t
  before_each(function()
    local s
    db, s = d.open(function(m)
      return { edge_u64 = m.table("edge_u64", {
        id = m.int():primaryKey(), u = m.bigint({ unsigned = true }) }) }
    end)
    t = s.edge_u64
  end)
  after_each(function() db:close() end)

  it("reads as its digits, which write back exactly", function()
    db:execute(sleet.sql("insert into edge_u64 (id, u) values (1, 18446744073709551615)"))
    local row = db:select():from(t):get()
    assert.equal("18446744073709551615", row.u)
    db:insert(t):values({ id = 2, u = row.u }):run()
    db:insert(t):values({ id = 3, u = "9223372036854775808" }):run()
    local rows = db:select():from(t):orderBy(t.id):all()
    assert.equal("18446744073709551615", rows[2].u)
    assert.equal("9223372036854775808", rows[3].u)
  end)

  it("other strings are still refused", function()
    for _, v in ipairs({ "18446744073709551616", "12", "-1", "1e3" }) do
      local msg = fails("validation", function()
        return db:insert(t):values({ id = 4, u = v }):run()
      end)
      assert.matches("edge_u64.u: expected an integer", msg, 1, true)
    end
  end)
end)
