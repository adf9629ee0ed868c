-- Values crossing the boundary, for every column type of API.md in each
-- dialect: what is written reads back as an equal Lua value, and is stored
-- the way the column type says (checked with raw SQL against the
-- database's own catalog: typeof() on SQLite, pg_typeof() on PostgreSQL,
-- information_schema on MySQL). The column types differ per dialect, so
-- each has its own section; the PostgreSQL and MySQL sections run when
-- their server is live (spec/support/dialects.lua). spec/parity_spec.lua
-- compares the three on one shared table shape.
local sleet = require "sleet"
local kit = require "sleet.kit"
local m = require "sleet.sqlite"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local function open()
  local t = m.table("vals", {
    id = m.integer():primaryKey(),
    i = m.integer(),
    ib = m.integer({ mode = "bigint" }),
    b = m.integer({ mode = "boolean" }),
    ts = m.integer({ mode = "timestamp" }),
    tms = m.integer({ mode = "timestamp_ms" }),
    r = m.real(),
    tx = m.text(),
    j = m.text({ mode = "json" }),
    bl = m.blob(),
    n = m.numeric(),
  })
  local schema = { vals = t }
  local db = sleet.connect("sqlite::memory:", { schema = schema })
  kit.push(db, schema, { force = true })
  return db, t
end

describe("values on SQLite", function()
  local db, t
  before_each(function() db, t = open() end)
  after_each(function() db:close() end)

  -- Writes {[key] = v}, returns the Lua value read back and the stored
  -- value with its SQLite type as raw SQL sees it.
  local function roundtrip(key, v)
    local r = db:insert(t):values({ [key] = v }):run()
    local id = r.lastInsertId
    assert.is_number(id)
    local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
    local raw = db:execute(sleet.sql("select ? as v, typeof(?) as ty from "
      .. "vals where id = ?", sleet.identifier(key), sleet.identifier(key), id))
    return row[key], raw[1].v, raw[1].ty
  end

  describe("integer", function()
    for _, v in ipairs({ 0, 1, -1, 42, check.EXACT, check.MAXINT,
      check.MININT }) do
      it("round-trips " .. check.digits(v) .. " exactly", function()
        for _, key in ipairs({ "i", "ib" }) do
          local beyond = check.LUAJIT and type(v) == "cdata"
          if beyond and key == "i" then
            -- LuaJIT: mode = "number" refuses what a number cannot hold
            db:insert(t):values({ i = v }):run()
            local err = check.raises_kind("validation", function()
              return db:select({ i = t.i }):from(t):where(sleet.eq(t.i, v))
                :get()
            end)
            assert.matches("vals.i: " .. check.digits(v) .. " is beyond 2^53",
              err.message, 1, true)
          else
            local back, stored, ty = roundtrip(key, v)
            check.is_integer(back)
            assert.equal(v, back)
            assert.equal(v, stored)
            assert.equal("integer", ty)
          end
        end
      end)
    end

    if check.LUAJIT then
      it("a number beyond 2^53 is refused on LuaJIT (it may be rounded)",
        function()
          local err = check.raises_kind("validation", function()
            return db:insert(t):values({ i = 2 ^ 53 + 2 }):run()
          end)
          assert.matches("vals.i: .* is beyond 2%^53", err.message)
          check.raises_kind("validation", function()
            return db:insert(t):values({ ib = -2 ^ 60 }):run()
          end)
          -- bigint mode reads int64 cdata even for small values
          local back = roundtrip("ib", 5)
          assert.equal("cdata", type(back))
        end)
    end
  end)

  describe("integer mode boolean", function()
    it("reads true and false, stored as 1 and 0", function()
      local back, stored, ty = roundtrip("b", true)
      assert.is_true(back)
      assert.equal(1, stored)
      assert.equal("integer", ty)
      back, stored = roundtrip("b", false)
      assert.is_false(back)
      assert.equal(0, stored)
    end)

    it("reads NULL as nil, not false", function()
      local back, _, ty = roundtrip("b", sleet.null)
      assert.is_nil(back)
      assert.equal("null", ty)
    end)
  end)

  describe("integer mode timestamp", function()
    local cases = {
      { "2024-01-02T03:04:05Z", 1704164645 },
      { "1970-01-01T00:00:00Z", 0 },
      { "1969-12-31T23:59:59Z", -1 },
      { "2000-02-29T12:00:00Z", 951825600 },
    }
    for _, c in ipairs(cases) do
      it(c[1] .. " is stored as epoch seconds and reads back equal",
        function()
          local back, stored, ty = roundtrip("ts", c[1])
          assert.equal(c[1], back)
          assert.equal(c[2], stored)
          assert.equal("integer", ty)
        end)
    end
  end)

  describe("integer mode timestamp_ms", function()
    local cases = {
      { "2024-01-02T03:04:05.678Z", 1704164645678 },
      { "1970-01-01T00:00:00.001Z", 1 },
      { "1969-12-31T23:59:59.999Z", -1 },
    }
    for _, c in ipairs(cases) do
      it(c[1] .. " is stored as epoch milliseconds and reads back equal",
        function()
          local back, stored, ty = roundtrip("tms", c[1])
          assert.equal(c[1], back)
          assert.equal(c[2], stored)
          assert.equal("integer", ty)
        end)
    end
  end)

  describe("real", function()
    for _, v in ipairs({ 1.5, -0.25, 0.1, math.pi, 1e308, 5e-324,
      -123456.789 }) do
      it("round-trips " .. ("%.17g"):format(v) .. " bit for bit", function()
        local back, _, ty = roundtrip("r", v)
        check.is_float(back)
        assert.equal(("%a"):format(v), ("%a"):format(back))
        assert.equal("real", ty)
      end)
    end

    it("reads an integer written to a real column as a float", function()
      local back = roundtrip("r", 2)
      check.is_float(back)
      assert.equal(2.0, back)
    end)
  end)

  describe("text", function()
    for _, v in ipairs({ "", "plain", "héllo wörld", "中文字符", "😀🎉",
      "line\nbreak\ttab", "trailing space " }) do
      it(("round-trips %q"):format(v), function()
        local back, stored, ty = roundtrip("tx", v)
        assert.equal(v, back)
        assert.equal(v, stored)
        assert.equal("text", ty)
      end)
    end
  end)

  describe("text mode json", function()
    it("round-trips nested tables", function()
      local v = { a = { b = { 1, 2, { c = "d" } } }, t = true, f = false,
        s = "x", x = 1.5, neg = -7, big = check.MAXINT }
      local back, _, ty = roundtrip("j", v)
      assert.same(v, back)
      assert.equal("text", ty)
      check.is_integer(back.neg)
      check.is_integer(back.big)
      check.is_float(back.x)
    end)

    it("stores JSON text", function()
      local _, stored = roundtrip("j", { k = { 1, 2 } })
      assert.equal('{"k":[1,2]}', (stored:gsub("%s", "")))
    end)

    it("decodes arrays as sequences", function()
      local back = roundtrip("j", { 10, 20, 30 })
      assert.same({ 10, 20, 30 }, back)
      assert.equal(3, #back)
    end)

    it("keeps positions with sleet.null inside arrays", function()
      local v = { 1, sleet.null, 3, sleet.null }
      local back = roundtrip("j", v)
      assert.equal(4, #back)
      assert.equal(1, back[1])
      assert.equal(sleet.null, back[2])
      assert.equal(3, back[3])
      assert.equal(sleet.null, back[4])
      local lead = roundtrip("j", { sleet.null, "x" })
      assert.equal(sleet.null, lead[1])
      assert.equal("x", lead[2])
    end)

    it("keeps null members of objects as sleet.null", function()
      local back = roundtrip("j", { a = sleet.null, b = 1 })
      assert.equal(sleet.null, back.a)
      assert.equal(1, back.b)
    end)

    it("round-trips unicode and escapes", function()
      local v = { s = "héllo ✓ 😀 中文", e = "q\"b\\s/n\nt\t", list = {
        "ü", "\u{10FFFF}" } }
      assert.same(v, (roundtrip("j", v)))
    end)

    it("round-trips arrays of objects", function()
      local v = { { id = 1, tags = { "a" } }, { id = 2, tags = { "b", "c" } } }
      assert.same(v, (roundtrip("j", v)))
    end)

    it("writes sleet.null as SQL NULL", function()
      local back, _, ty = roundtrip("j", sleet.null)
      assert.is_nil(back)
      assert.equal("null", ty)
    end)
  end)

  describe("blob", function()
    it("round-trips all 256 byte values", function()
      local bytes = {}
      for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
      local v = table.concat(bytes)
      local back, stored, ty = roundtrip("bl", v)
      assert.equal(256, #back)
      assert.equal(v, back)
      assert.equal(v, stored)
      assert.equal("blob", ty)
    end)

    it("round-trips NUL bytes and invalid UTF-8", function()
      for _, v in ipairs({ "\0", "\0\0abc\0", "\xff\xfe\xc0\x80\xed\xa0\x80",
        "" }) do
        local back, _, ty = roundtrip("bl", v)
        assert.equal(#v, #back)
        assert.equal(v, back)
        assert.equal("blob", ty)
      end
    end)

    it("round-trips a 1 MiB blob", function()
      local v = ("\0\1\2\255"):rep(262144)
      assert.equal(v, (roundtrip("bl", v)))
    end)
  end)

  describe("numeric", function()
    -- SQLite has no exact decimal type: a NUMERIC column keeps integers that
    -- fit 64 bits and 15 significant digits of anything else. Within that
    -- the value reads back exactly (as a canonical string: "1.50" is 1.5);
    -- beyond it the write is refused instead of silently losing digits.
    for _, c in ipairs({ { "0", "0" }, { "42", "42" }, { "1.50", "1.5" },
      { "-12.25", "-12.25" }, { "9223372036854775807", "9223372036854775807" },
      { "123456789012.345", "123456789012.345" },
      { "-0.000000000000000000001", "-1e-21" } }) do
      it("keeps " .. c[1] .. " as the string " .. c[2], function()
        local back = roundtrip("n", c[1])
        assert.equal("string", type(back))
        assert.equal(c[2], back)
        assert.equal(tonumber(c[1]), tonumber(back))
      end)
    end
    for _, v in ipairs({ "12345678901234567890.123456789",
      "99999999999999999999999999999999", "0.1234567890123456" }) do
      it("refuses " .. v .. " rather than losing digits", function()
        local ok, err = pcall(function()
          db:insert(t):values({ n = v }):run()
        end)
        assert.is_false(ok)
        assert.equal("validation", err.kind)
        assert.matches("15 significant digits", err.message, 1, true)
        assert.same({}, db:select():from(t):all())
      end)
    end
  end)

  describe("NULL", function()
    it("is nil in rows and sleet.null in values()", function()
      local r = db:insert(t):values({ tx = "only text" }):run()
      local row = db:select():from(t):where(sleet.eq(t.id, r.lastInsertId))
        :get()
      assert.same({ id = r.lastInsertId, tx = "only text" }, row)
      local vals = db:select({ id = t.id }):from(t):values()
      assert.same({ { r.lastInsertId } }, vals)
      local v = db:select():from(t):values()[1]
      -- id i ib b ts tms r tx j bl n
      assert.equal(11, #v)
      for idx, x in ipairs(v) do
        if idx ~= 1 and idx ~= 8 then assert.equal(sleet.null, x) end
      end
      assert.equal("only text", v[8])
    end)

    it("can be written explicitly with sleet.null", function()
      local r = db:insert(t):values({ i = sleet.null, tx = sleet.null,
        bl = sleet.null, n = sleet.null, r = 1.0 }):run()
      local id = r.lastInsertId
      local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
      assert.same({ id = id, r = 1.0 }, row)
      db:update(t):set({ r = sleet.null, i = 5 }):where(sleet.eq(t.id, id))
        :run()
      row = db:select():from(t):where(sleet.eq(t.id, id)):get()
      assert.same({ id = id, i = 5 }, row)
    end)

    it("sleet.null is a unique sentinel, distinct from false and nil",
      function()
        assert.is_not_nil(sleet.null)
        assert.is_not.equal(false, sleet.null)
        assert.equal(sleet.null, require("sleet").null)
      end)
  end)
end)

-- {====================================================================
-- Shared helpers of the server sections
-- =====================================================================

local ALL_BYTES
do
  local bytes = {}
  for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
  ALL_BYTES = table.concat(bytes)
end

-- Floats that a double column keeps bit for bit.
local DOUBLES = { 1.5, -0.25, 0.1, math.pi, 1e308, 5e-324, -123456.789 }

local function hexfloat(v) return ("%a"):format(v) end

-- A JSON document with nesting, NULL positions and 64-bit integers.
local function nested_doc()
  return { a = { b = { 1, 2, { c = "d" } } }, t = true, f = false, s = "x",
    x = 1.5, neg = -7, big = check.MAXINT, small = check.MININT,
    holes = { sleet.null, 1, sleet.null }, nothing = sleet.null,
    u = "héllo ✓ 😀 中文", e = "q\"b\\s/n\nt\t", empty = "" }
end

-- Opens db on dialect d with the table build(m) returns (key "vals") and
-- returns db, the table and roundtrip(key, v) → the Lua value read back
-- and the row's id. Rows are never deleted: each write has its own id.
local function server_suite(d, build)
  local db = d.open(function(mod) return build(mod) end)
  local t = db.schema.vals
  local function roundtrip(key, v)
    local id = db:insert(t):values({ [key] = v }):returning({ id = t.id })
      :get().id
    local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
    return row[key], id
  end
  return db, t, roundtrip
end

-- Runs fn and asserts it raised a database error with sqlstate state.
local function database_error(state, fn)
  local err = check.raises_kind("database", fn)
  assert.equal(state, err.sqlstate, tostring(err))
  return err
end

-- }====================================================================

-- {====================================================================
-- PostgreSQL
-- =====================================================================

local pgd = dialects.find("postgresql")
if pgd then
  describe("values on PostgreSQL", function()
    local db, t, roundtrip
    setup(function()
      db, t, roundtrip = server_suite(pgd, function(pg)
        local mood = pg.enum("vals_mood", { "sad", "ok", "happy" })
        return {
          mood = mood,
          vals = pg.table("vals", {
            id = pg.serial():primaryKey(),
            i = pg.integer(),
            si = pg.smallint(),
            bi = pg.bigint({ mode = "bigint" }),
            b = pg.boolean(),
            tx = pg.text(),
            vc = pg.varchar({ length = 10 }),
            ch = pg.char({ length = 3 }),
            n = pg.numeric(),
            n6 = pg.numeric({ precision = 20, scale = 6 }),
            nn = pg.numeric({ mode = "number" }),
            r = pg.real(),
            dp = pg.doublePrecision(),
            j = pg.json(),
            jb = pg.jsonb(),
            u = pg.uuid(),
            ur = pg.uuid("ur"):defaultRandom(),
            by = pg.bytea(),
            dt = pg.date(),
            tm = pg.time(),
            ts = pg.timestamp(),
            tz = pg.timestamp({ withTimezone = true }),
            te = pg.timestamp({ mode = "epoch" }),
            tms = pg.timestamp({ mode = "epoch_ms", withTimezone = true }),
            e = mood("e"),
          }),
        }
      end)
    end)
    teardown(function() db:close() end)

    -- The stored cell as PostgreSQL prints it (::text) and its type.
    local function stored(key, id)
      local r = db:execute(sleet.sql("select ?::text as v, "
        .. "pg_typeof(?)::text as ty from vals where id = ?",
        sleet.identifier(key), sleet.identifier(key), id))[1]
      return r.v, r.ty
    end

    describe("integer kinds", function()
      for _, c in ipairs({
        { "i", "integer", { 0, 1, -1, 2147483647, -2147483648 } },
        { "si", "smallint", { 0, 32767, -32768 } },
        { "bi", "bigint", { 0, check.EXACT, check.MAXINT, check.MININT } },
      }) do
        for _, v in ipairs(c[3]) do
          it(c[2] .. " round-trips " .. check.digits(v) .. " exactly", function()
            local back, id = roundtrip(c[1], v)
            check.is_integer(back)
            assert.equal(v, back)
            local text, ty = stored(c[1], id)
            assert.equal(check.digits(v), text)
            assert.equal(c[2], ty)
          end)
        end
      end

      it("a value outside the column's range is a database error 22003",
        function()
          database_error("22003", function() roundtrip("i", 2147483648) end)
          database_error("22003", function() roundtrip("si", 32768) end)
        end)

      it("serial ids are integers from a sequence", function()
        local _, a = roundtrip("i", 1)
        local _, b = roundtrip("i", 2)
        check.is_integer(a)
        assert.equal(a + 1, b)
      end)
    end)

    describe("boolean", function()
      it("is a native boolean", function()
        local back, id = roundtrip("b", true)
        assert.is_true(back)
        assert.same({ "true", "boolean" }, { stored("b", id) })
        back, id = roundtrip("b", false)
        assert.is_false(back)
        assert.equal("false", (stored("b", id)))
        assert.is_nil((roundtrip("b", sleet.null)))
      end)
    end)

    describe("text, varchar, char", function()
      for _, v in ipairs({ "", "plain", "héllo wörld", "中文字符", "😀🎉",
        "line\nbreak\ttab", "trailing space ", "'\"\\%_?$1" }) do
        it(("text round-trips %q"):format(v), function()
          local back, id = roundtrip("tx", v)
          assert.equal(v, back)
          assert.same({ v, "text" }, { stored("tx", id) })
        end)
      end

      it("a NUL byte in text is refused before SQL is sent", function()
        local err = check.raises_kind("validation", function()
          roundtrip("tx", "a\0b")
        end)
        assert.truthy(err.message:find("NUL", 1, true))
      end)

      it("varchar(n) keeps n characters and refuses more (22001)",
        function()
          assert.equal("ääääääääää", (roundtrip("vc", "ääääääääää")))
          database_error("22001", function() roundtrip("vc", "12345678901") end)
        end)

      it("char(n) pads with spaces", function()
        assert.equal("a  ", (roundtrip("ch", "a")))
      end)
    end)

    describe("numeric", function()
      -- numeric keeps the digits and the scale it was given
      for _, c in ipairs({ { "0", "0" }, { "42", "42" }, { "1.50", "1.50" },
        { "-12.25", "-12.25" }, { "1e5", "100000" },
        { "12345678901234567890.123456789", "12345678901234567890.123456789" },
        { "-0.000000000000000000001", "-0.000000000000000000001" },
        { "99999999999999999999999999999999",
          "99999999999999999999999999999999" } }) do
        it("keeps " .. c[1] .. " as the string " .. c[2], function()
          local back, id = roundtrip("n", c[1])
          assert.equal(c[2], back)
          assert.same({ c[2], "numeric" }, { stored("n", id) })
        end)
      end

      it("numeric(20, 6) pads and rounds to its scale", function()
        assert.equal("1.500000", (roundtrip("n6", "1.5")))
        assert.equal("1.123457", (roundtrip("n6", "1.1234567")))
        assert.equal("-99999999999999.999999",
          (roundtrip("n6", "-99999999999999.999999")))
        database_error("22003", function()
          roundtrip("n6", "123456789012345")
        end)
      end)

      it("a Lua number is accepted and reads back as a string", function()
        assert.equal("2.5", (roundtrip("n", 2.5)))
        assert.equal("7", (roundtrip("n", 7)))
      end)

      it("mode number reads floats", function()
        local back = roundtrip("nn", 1.5)
        check.is_float(back)
        assert.equal(1.5, back)
        assert.equal(0.1, (roundtrip("nn", 0.1)))
      end)
    end)

    describe("real and double precision", function()
      it("real is single precision", function()
        assert.equal(1.5, (roundtrip("r", 1.5)))
        assert.equal(-0.25, (roundtrip("r", -0.25)))
        local back, id = roundtrip("r", 0.123456789)
        check.is_float(back)
        assert.equal(0.12345679, back)
        assert.equal("real", select(2, stored("r", id)))
        database_error("22003", function() roundtrip("r", 1e39) end)
      end)

      for _, v in ipairs(DOUBLES) do
        it("double precision round-trips " .. ("%.17g"):format(v)
          .. " bit for bit", function()
          local back, id = roundtrip("dp", v)
          check.is_float(back)
          assert.equal(hexfloat(v), hexfloat(back))
          assert.equal("double precision", select(2, stored("dp", id)))
        end)
      end

      it("an integer written to a float column reads as a float", function()
        local back = roundtrip("dp", 2)
        check.is_float(back)
        assert.equal(2.0, back)
      end)
    end)

    describe("json and jsonb", function()
      for _, key in ipairs({ "j", "jb" }) do
        it(key .. " round-trips nested tables with NULL positions",
          function()
            local v = nested_doc()
            local back = roundtrip(key, v)
            assert.same(v, back)
            check.is_integer(back.big)
            check.is_integer(back.small)
            check.is_float(back.x)
            assert.equal(3, #back.holes)
            assert.equal(sleet.null, back.holes[1])
            assert.equal(sleet.null, back.nothing)
          end)

        it(key .. " round-trips arrays, scalars and empty documents",
          function()
            assert.same({ 10, 20, 30 }, (roundtrip(key, { 10, 20, 30 })))
            assert.same({ { id = 1, tags = { "a" } } },
              (roundtrip(key, { { id = 1, tags = { "a" } } })))
            assert.equal("str", (roundtrip(key, "str")))
            assert.equal(42, (roundtrip(key, 42)))
            assert.is_true((roundtrip(key, true)))
            assert.same({}, (roundtrip(key, {})))
            assert.is_nil((roundtrip(key, sleet.null)))
          end)
      end

      it("json keeps a NUL inside a string; jsonb refuses it (22P05)",
        function()
          assert.same({ s = "a\0b" }, (roundtrip("j", { s = "a\0b" })))
          database_error("22P05", function()
            roundtrip("jb", { s = "a\0b" })
          end)
        end)

      it("are stored as json and jsonb", function()
        local _, id = roundtrip("j", { k = { 1, 2 } })
        assert.same({ '{"k":[1,2]}', "json" }, { stored("j", id) })
        _, id = roundtrip("jb", { k = { 1, 2 } })
        assert.same({ '{"k": [1, 2]}', "jsonb" }, { stored("jb", id) })
      end)
    end)

    describe("uuid", function()
      it("round-trips, in lower case", function()
        local v = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        assert.equal(v, (roundtrip("u", v)))
        assert.equal(v, (roundtrip("u", v:upper())))
        database_error("22P02", function() roundtrip("u", "nope") end)
      end)

      it("defaultRandom gives a version 4 uuid", function()
        local _, id = roundtrip("u", sleet.null)
        local row = db:select({ ur = t.ur }):from(t):where(sleet.eq(t.id, id))
          :get()
        assert.matches("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-"
          .. "%x%x%x%x%x%x%x%x%x%x%x%x$", row.ur)
      end)
    end)

    describe("bytea", function()
      it("round-trips all 256 byte values", function()
        local back, id = roundtrip("by", ALL_BYTES)
        assert.equal(ALL_BYTES, back)
        assert.equal("bytea", select(2, stored("by", id)))
        assert.equal(256, db:execute(sleet.sql("select length(by) as n "
          .. "from vals where id = ?", id))[1].n)
      end)

      it("round-trips NUL bytes, invalid UTF-8 and the empty string",
        function()
          for _, v in ipairs({ "\0", "\0\0abc\0", "\xff\xfe\xc0\x80", "" }) do
            assert.equal(v, (roundtrip("by", v)))
          end
        end)

      it("round-trips 1 MiB", function()
        local v = ("\0\1\2\255"):rep(262144)
        assert.equal(v, (roundtrip("by", v)))
      end)
    end)

    describe("date and time", function()
      it("date round-trips as YYYY-MM-DD", function()
        for _, v in ipairs({ "2024-02-29", "1970-01-01", "0001-01-01",
          "9999-12-31" }) do
          local back, id = roundtrip("dt", v)
          assert.equal(v, back)
          assert.same({ v, "date" }, { stored("dt", id) })
        end
        check.raises_kind("validation", function()
          roundtrip("dt", "2024-02-30")
        end)
      end)

      it("time round-trips with its fraction", function()
        for _, v in ipairs({ "03:04:05", "23:59:59.123456", "00:00:00" }) do
          assert.equal(v, (roundtrip("tm", v)))
        end
      end)
    end)

    describe("timestamp", function()
      local cases = {
        { "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z",
          "2024-01-02 03:04:05" },
        { "2024-01-02T05:04:05+02:00", "2024-01-02T03:04:05Z",
          "2024-01-02 03:04:05" },
        { "2024-01-02T03:04:05.678Z", "2024-01-02T03:04:05.678Z",
          "2024-01-02 03:04:05.678" },
        { "2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05.123456Z",
          "2024-01-02 03:04:05.123456" },
        { "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z",
          "1969-12-31 23:59:59" },
        { "2024-01-02", "2024-01-02T00:00:00Z", "2024-01-02 00:00:00" },
      }
      for _, c in ipairs(cases) do
        it(c[1] .. " reads back as " .. c[2], function()
          local back, id = roundtrip("ts", c[1])
          assert.equal(c[2], back)
          assert.same({ c[3], "timestamp without time zone" },
            { stored("ts", id) })
          back, id = roundtrip("tz", c[1])
          assert.equal(c[2], back)
          assert.same({ c[3] .. "+00", "timestamp with time zone" },
            { stored("tz", id) })
        end)
      end

      it("an epoch number is accepted by a string-mode column", function()
        assert.equal("2024-01-02T03:04:05Z", (roundtrip("ts", 1704164645)))
      end)

      it("mode epoch and epoch_ms read back the numbers written", function()
        for _, v in ipairs({ 1704164645, 0, -1 }) do
          local back, id = roundtrip("te", v)
          assert.equal(v, back)
          check.is_integer(back)
          assert.equal(v, db:execute(sleet.sql("select extract(epoch from te)"
            .. "::bigint as e from vals where id = ?", id))[1].e)
        end
        for _, v in ipairs({ 1704164645678, 1, -1 }) do
          assert.equal(v, (roundtrip("tms", v)))
        end
      end)

      it("timestamptz stores the instant whatever the session time zone",
        function()
          local db2 = pgd.connect(db.schema)
          db2:execute(sleet.sql("set time zone 'Asia/Tokyo'"))
          local id = db2:insert(t):values({ tz = "2024-01-02T03:04:05Z",
            ts = "2024-01-02T03:04:05Z" }):returning({ id = t.id }):get().id
          local row = db2:select():from(t):where(sleet.eq(t.id, id)):get()
          assert.equal("2024-01-02T03:04:05Z", row.tz)
          assert.equal("2024-01-02T03:04:05Z", row.ts)
          db2:close()
          assert.equal(1704164645, db:execute(sleet.sql("select "
            .. "extract(epoch from tz)::bigint as e from vals where id = ?",
            id))[1].e)
        end)
    end)

    describe("pg.enum", function()
      it("round-trips a member and refuses others before SQL", function()
        local back, id = roundtrip("e", "happy")
        assert.equal("happy", back)
        assert.same({ "happy", "vals_mood" }, { stored("e", id) })
        local err = check.raises_kind("validation", function()
          roundtrip("e", "angry")
        end)
        assert.truthy(err.message:find("angry", 1, true))
      end)
    end)

    describe("NULL", function()
      it("is nil in rows and sleet.null in values()", function()
        local _, id = roundtrip("tx", "only text")
        local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
        local keys = {}
        for k in pairs(row) do keys[#keys + 1] = k end
        table.sort(keys)
        -- ur has a database default
        assert.same({ "id", "tx", "ur" }, keys)
        local v = db:select({ id = t.id, i = t.i, j = t.j, by = t.by })
          :from(t):where(sleet.eq(t.id, id)):values()
        assert.same({ { id, sleet.null, sleet.null, sleet.null } }, v)
      end)
    end)
  end)
end

-- }====================================================================

-- {====================================================================
-- MySQL / MariaDB
-- =====================================================================

local myd = dialects.find("mysql")
if myd then
  describe("values on MySQL", function()
    local db, t, roundtrip
    setup(function()
      db, t, roundtrip = server_suite(myd, function(my)
        return {
          vals = my.table("vals", {
            id = my.serial():primaryKey(),
            i = my.int(),
            iu = my.int({ unsigned = true }),
            bi = my.bigint({ mode = "bigint" }),
            bu = my.bigint({ unsigned = true, mode = "bigint" }),
            ti = my.tinyint(),
            b = my.boolean(),
            f = my.float(),
            dbl = my.double(),
            dec = my.decimal({ precision = 20, scale = 6 }),
            decn = my.decimal({ precision = 20, scale = 6, mode = "number" }),
            vc = my.varchar({ length = 10 }),
            ch = my.char({ length = 3 }),
            tx = my.text(),
            j = my.json(),
            bin = my.binary({ length = 4 }),
            vb = my.varbinary({ length = 300 }),
            bl = my.blob(),
            lb = my.longblob(),
            dt = my.date(),
            dtm = my.datetime(),
            dt3 = my.datetime({ fsp = 3 }),
            dt6 = my.datetime({ fsp = 6 }),
            ts = my.timestamp(),
            te = my.datetime({ mode = "epoch" }),
            tms = my.datetime({ mode = "epoch_ms", fsp = 3 }),
            tm = my.time(),
            e = my.enum({ "sad", "ok", "happy" }),
          }),
        }
      end)
    end)
    teardown(function() db:close() end)

    -- The stored cell as text, and the column's declared type.
    local function stored(key, id)
      local v = db:execute(sleet.sql("select cast(? as char) as v from vals "
        .. "where id = ?", sleet.identifier(key), id))[1].v
      local ty = db:execute(sleet.sql("select column_type as ty from "
        .. "information_schema.columns where table_schema = database() and "
        .. "table_name = 'vals' and column_name = ?", key))[1].ty
      return v, ty
    end

    describe("integer kinds", function()
      for _, c in ipairs({
        { "i", "int", { 0, 1, -1, 2147483647, -2147483648 } },
        { "iu", "int unsigned", { 0, 4294967295 } },
        { "ti", "tinyint", { 127, -128 } },
        { "bi", "bigint", { 0, check.EXACT, check.MAXINT, check.MININT } },
        { "bu", "bigint unsigned", { 0, check.MAXINT } },
      }) do
        for _, v in ipairs(c[3]) do
          it(c[2] .. " round-trips " .. check.digits(v) .. " exactly", function()
            local back, id = roundtrip(c[1], v)
            check.is_integer(back)
            assert.equal(v, back)
            local text, ty = stored(c[1], id)
            assert.equal(check.digits(v), text)
            -- MariaDB prints display widths (int(11)); MySQL 8 does not
            assert.equal(c[2], (ty:gsub("%(%d+%)", "")))
          end)
        end
      end

      it("a value outside the column's range is a database error 22003",
        function()
          database_error("22003", function() roundtrip("i", 2147483648) end)
          database_error("22003", function() roundtrip("iu", -1) end)
          database_error("22003", function() roundtrip("ti", 128) end)
          database_error("22003", function() roundtrip("bu", -1) end)
        end)

      it("bigint unsigned above 2^63-1 reads as its exact digits",
        function()
          local _, id = roundtrip("i", 0)
          db:execute(sleet.sql("update vals set bu = 18446744073709551615 "
            .. "where id = ?", id))
          local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
          assert.equal("18446744073709551615", check.digits(row.bu))
          -- a string on Lua 5.4, uint64 cdata on LuaJIT (mode = "bigint")
          assert.equal(check.LUAJIT and "cdata" or "string", type(row.bu))
        end)

      it("serial ids are integers and lastInsertId names them", function()
        local r = db:insert(t):values({ i = 1 }):run()
        check.is_integer(r.lastInsertId)
        local back = db:select({ i = t.i }):from(t)
          :where(sleet.eq(t.id, r.lastInsertId)):get()
        assert.same({ i = 1 }, back)
      end)
    end)

    describe("boolean", function()
      it("is stored as tinyint(1) 1/0 and reads as true/false", function()
        local back, id = roundtrip("b", true)
        assert.is_true(back)
        local text, ty = stored("b", id)
        assert.equal("1", text)
        assert.equal("tinyint(1)", ty)
        back, id = roundtrip("b", false)
        assert.is_false(back)
        assert.equal("0", (stored("b", id)))
        assert.is_nil((roundtrip("b", sleet.null)))
      end)
    end)

    describe("float, double, decimal", function()
      it("float is single precision", function()
        assert.equal(1.5, (roundtrip("f", 1.5)))
        local back = roundtrip("f", 0.123456789)
        check.is_float(back)
        assert.equal(0.12345679, back)
        assert.equal(16777216.0, (roundtrip("f", 16777217.0)))
      end)

      for _, v in ipairs(DOUBLES) do
        it("double round-trips " .. ("%.17g"):format(v) .. " bit for bit",
          function()
            local back = roundtrip("dbl", v)
            check.is_float(back)
            assert.equal(hexfloat(v), hexfloat(back))
          end)
      end

      it("an integer written to a double reads as a float", function()
        local back = roundtrip("dbl", 2)
        check.is_float(back)
        assert.equal(2.0, back)
      end)

      it("decimal(20, 6) is exact, padded and rounded to its scale",
        function()
          local back, id = roundtrip("dec", "1.5")
          assert.equal("1.500000", back)
          assert.same({ "1.500000", "decimal(20,6)" }, { stored("dec", id) })
          assert.equal("1.123457", (roundtrip("dec", "1.1234567")))
          assert.equal("-99999999999999.999999",
            (roundtrip("dec", "-99999999999999.999999")))
          assert.equal("2.500000", (roundtrip("dec", 2.5)))
          database_error("22003", function()
            roundtrip("dec", "123456789012345")
          end)
        end)

      it("decimal mode number reads floats", function()
        local back = roundtrip("decn", 1.5)
        check.is_float(back)
        assert.equal(1.5, back)
        assert.equal(0.1, (roundtrip("decn", 0.1)))
      end)
    end)

    describe("varchar, char, text", function()
      for _, v in ipairs({ "", "plain", "héllo wörld", "中文字符", "😀🎉",
        "line\nbreak\ttab", "trailing space ", "'\"\\%_?$1", "a\0b" }) do
        it(("text round-trips %q"):format(v), function()
          local back, id = roundtrip("tx", v)
          assert.equal(v, back)
          assert.same({ v, "text" }, { stored("tx", id) })
        end)
      end

      it("invalid UTF-8 in text is a database error (22007)", function()
        database_error("22007", function() roundtrip("tx", "\xff") end)
      end)

      it("varchar(n) keeps n characters and refuses more (22001)",
        function()
          assert.equal("😀😀😀😀😀😀😀😀😀😀",
            (roundtrip("vc", "😀😀😀😀😀😀😀😀😀😀")))
          database_error("22001", function() roundtrip("vc", "12345678901") end)
        end)

      it("char(n) drops trailing spaces", function()
        assert.equal("a", (roundtrip("ch", "a  ")))
      end)
    end)

    describe("json", function()
      it("round-trips nested tables with NULL positions", function()
        local v = nested_doc()
        local back = roundtrip("j", v)
        assert.same(v, back)
        check.is_integer(back.big)
        check.is_float(back.x)
        assert.equal(sleet.null, back.holes[3])
      end)

      it("round-trips arrays, scalars, NUL in strings and empty documents",
        function()
          assert.same({ 10, 20, 30 }, (roundtrip("j", { 10, 20, 30 })))
          assert.equal("str", (roundtrip("j", "str")))
          assert.same({}, (roundtrip("j", {})))
          assert.same({ s = "a\0b" }, (roundtrip("j", { s = "a\0b" })))
          assert.is_nil((roundtrip("j", sleet.null)))
        end)
    end)

    describe("binary, varbinary, blob", function()
      it("varbinary, blob and longblob round-trip all 256 byte values",
        function()
          for _, key in ipairs({ "vb", "bl", "lb" }) do
            local back = roundtrip(key, ALL_BYTES)
            assert.equal(ALL_BYTES, back)
          end
          for _, v in ipairs({ "\0", "\0\0abc\0", "\xff\xfe\xc0\x80", "" }) do
            assert.equal(v, (roundtrip("bl", v)))
          end
        end)

      it("binary(n) pads with NUL bytes", function()
        assert.equal("ab\0\0", (roundtrip("bin", "ab")))
        assert.equal("\0\255\1\254", (roundtrip("bin", "\0\255\1\254")))
      end)

      it("longblob round-trips 1 MiB", function()
        local v = ("\0\1\2\255"):rep(262144)
        assert.equal(v, (roundtrip("lb", v)))
      end)
    end)

    describe("date, datetime, timestamp, time", function()
      it("date round-trips as YYYY-MM-DD", function()
        for _, v in ipairs({ "2024-02-29", "1970-01-01", "1000-01-01",
          "9999-12-31" }) do
          assert.equal(v, (roundtrip("dt", v)))
        end
        check.raises_kind("validation", function()
          roundtrip("dt", "2024-02-30")
        end)
      end)

      it("datetime keeps the fraction its fsp allows", function()
        local v = "2024-01-02T03:04:05.123456Z"
        assert.equal("2024-01-02T03:04:05Z", (roundtrip("dtm", v)))
        assert.equal("2024-01-02T03:04:05.123Z", (roundtrip("dt3", v)))
        assert.equal(v, (roundtrip("dt6", v)))
        assert.equal("2024-01-02T03:04:05Z",
          (roundtrip("dtm", "2024-01-02T05:04:05+02:00")))
        assert.equal("1969-12-31T23:59:59Z",
          (roundtrip("dtm", "1969-12-31T23:59:59Z")))
        local back, id = roundtrip("dtm", "2024-01-02T03:04:05Z")
        assert.equal("2024-01-02T03:04:05Z", back)
        assert.same({ "2024-01-02 03:04:05", "datetime" },
          { stored("dtm", id) })
      end)

      it("timestamp is stored as the UTC instant", function()
        local back, id = roundtrip("ts", "2024-01-02T03:04:05Z")
        assert.equal("2024-01-02T03:04:05Z", back)
        assert.equal(1704164645, db:execute(sleet.sql("select "
          .. "unix_timestamp(ts) as e from vals where id = ?", id))[1].e)
      end)

      it("timestamp holds 1970 to 2038 only (22007 outside)", function()
        database_error("22007", function()
          roundtrip("ts", "1969-01-01T00:00:00Z")
        end)
        database_error("22007", function()
          roundtrip("ts", "2040-01-01T00:00:00Z")
        end)
      end)

      it("mode epoch and epoch_ms read back the numbers written", function()
        for _, v in ipairs({ 1704164645, 0, -1 }) do
          local back = roundtrip("te", v)
          assert.equal(v, back)
          check.is_integer(back)
        end
        for _, v in ipairs({ 1704164645678, 1, -1 }) do
          assert.equal(v, (roundtrip("tms", v)))
        end
      end)

      it("time round-trips in whole seconds (no fsp)", function()
        assert.equal("03:04:05", (roundtrip("tm", "03:04:05")))
      end)
    end)

    describe("mysql.enum", function()
      it("round-trips a member and refuses others before SQL", function()
        local back, id = roundtrip("e", "happy")
        assert.equal("happy", back)
        assert.same({ "happy", "enum('sad','ok','happy')" },
          { stored("e", id) })
        check.raises_kind("validation", function() roundtrip("e", "angry") end)
      end)
    end)

    describe("NULL", function()
      it("is nil in rows and sleet.null in values()", function()
        local _, id = roundtrip("tx", "only text")
        local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
        assert.same({ id = id, tx = "only text" }, row)
        local v = db:select({ id = t.id, i = t.i, j = t.j, bl = t.bl })
          :from(t):where(sleet.eq(t.id, id)):values()
        assert.same({ { id, sleet.null, sleet.null, sleet.null } }, v)
      end)
    end)
  end)
end

-- }====================================================================
