-- Values crossing the boundary, for every SQLite column type of API.md:
-- what is written reads back as an equal Lua value, and is stored the way
-- the column type says (checked with raw SQL).
local sleet = require "sleet"
local kit = require "sleet.kit"
local m = require "sleet.sqlite"

local function open()
  local t = m.table("vals", {
    id = m.integer():primaryKey(),
    i = m.integer(),
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
    for _, v in ipairs({ 0, 1, -1, 42, 1 << 53, math.maxinteger,
      math.mininteger }) do
      it("round-trips " .. tostring(v) .. " exactly", function()
        local back, stored, ty = roundtrip("i", v)
        assert.equal("integer", math.type(back))
        assert.equal(v, back)
        assert.equal(v, stored)
        assert.equal("integer", ty)
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
        assert.equal("float", math.type(back))
        assert.equal(("%a"):format(v), ("%a"):format(back))
        assert.equal("real", ty)
      end)
    end

    it("reads an integer written to a real column as a float", function()
      local back = roundtrip("r", 2)
      assert.equal("float", math.type(back))
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
        s = "x", x = 1.5, neg = -7, big = math.maxinteger }
      local back, _, ty = roundtrip("j", v)
      assert.same(v, back)
      assert.equal("text", ty)
      assert.equal("integer", math.type(back.neg))
      assert.equal("integer", math.type(back.big))
      assert.equal("float", math.type(back.x))
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
      -- id i b ts tms r tx j bl n
      assert.equal(10, #v)
      for idx, x in ipairs(v) do
        if idx ~= 1 and idx ~= 7 then assert.equal(sleet.null, x) end
      end
      assert.equal("only text", v[7])
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
