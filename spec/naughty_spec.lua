-- Naughty strings: quotes, placeholders look-alikes, comment markers, NUL
-- bytes, huge and multi-byte strings round-trip exactly as values and as
-- identifiers, and never change the SQL text.
local sleet = require "sleet"
local kit = require "sleet.kit"
local m = require "sleet.sqlite"
local schemas = require "spec.support.schemas"
local dialects = require "spec.support.dialects"

local corpus = {
  "'", '"', "`", "''", '""', "\\", "\\'", "\\\\'", "%", "%%", "_", "%_%",
  "?", "??", "???", "?1", "$1", "$1$2", "$$", ":name", "@p", "#", "--",
  "-- comment", "/*", "*/", "/* x */", ";", "'; drop table naughty; --",
  "' or '1'='1", "\") or 1=1 --", "\0", "a\0b", "\0\0\0", "\r\n", "\t",
  "\27[31m", "", " ", "  leading", "trailing  ",
  "1", "-1", "1.0", "1e10", "0x10", "00123", " 1", "NaN", "inf", "-0",
  "9223372036854775808", "true", "false", "null", "NULL", "nil",
  "é", "ñ", "日本語", "😀", "👨‍👩‍👧‍👦", "\u{FEFF}bom", "\u{202E}rtl",
  "\u{10FFFF}", "Z̤̺̦a̶̢l̷g̴o",
  ("x"):rep(70000), ("é"):rep(35000), ("'?"):rep(35000),
}

local invalid_utf8 = {
  "\xff", "\xfe\xff", "\xc3\x28", "\xa0\xa1", "\xed\xa0\x80",
  "\xf8\x88\x80\x80\x80", "\xc0\x80", "\x80", "ok\xffok\0end",
}

local function label(v)
  if #v > 40 then return ("%d bytes starting %q"):format(#v, v:sub(1, 8)) end
  return ("%q"):format(v)
end

describe("naughty strings as values", function()
  local db, t
  before_each(function()
    t = m.table("naughty", {
      id = m.integer():primaryKey(),
      v = m.text(),
      b = m.blob(),
      j = m.text({ mode = "json" }),
    })
    local schema = { naughty = t }
    db = sleet.connect("sqlite::memory:", { schema = schema })
    kit.push(db, schema, { force = true })
  end)
  after_each(function() db:close() end)

  for _, v in ipairs(corpus) do
    it("round-trips " .. label(v) .. " through text, blob and lookups",
      function()
        local id = db:insert(t):values({ v = v, b = v }):run().lastInsertId
        local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
        assert.equal(#v, #row.v)
        assert.equal(v, row.v)
        assert.equal(v, row.b)
        -- the value finds its own row when compared in SQL
        local found = db:select({ id = t.id }):from(t)
          :where(sleet.eq(t.v, v)):all()
        assert.same({ { id = id } }, found)
        -- as a raw parameter too
        local raw = db:execute(sleet.sql("select ? as x", v))
        assert.equal(v, raw[1].x)
      end)
  end

  for _, v in ipairs(corpus) do
    if not v:find("\0", 1, true) then
      it("round-trips " .. label(v) .. " inside JSON", function()
        local doc = { s = v, list = { v, v } }
        local id = db:insert(t):values({ j = doc }):run().lastInsertId
        local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
        assert.same(doc, row.j)
      end)
    end
  end

  for _, v in ipairs(invalid_utf8) do
    it("round-trips invalid UTF-8 " .. label(v) .. " in a blob", function()
      local id = db:insert(t):values({ b = v }):run().lastInsertId
      local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
      assert.equal(v, row.b)
      local again = db:select({ id = t.id }):from(t)
        :where(sleet.eq(t.b, v)):get()
      assert.equal(id, again.id)
    end)
  end

  it("like patterns are values too", function()
    db:insert(t):values({ { v = "100%" }, { v = "100 percent" },
      { v = "a_b" }, { v = "axb" } }):run()
    local rows = db:select({ v = t.v }):from(t)
      :where(sleet.like(t.v, "100%")):orderBy(t.id):all()
    assert.same({ { v = "100%" }, { v = "100 percent" } }, rows)
    local one = db:select({ v = t.v }):from(t)
      :where(sleet.eq(t.v, "a_b")):all()
    assert.same({ { v = "a_b" } }, one)
  end)
end)

for _, d in ipairs(dialects.all) do
  describe("naughty values never change the SQL text (" .. d .. ")",
    function()
      local qb, s
      before_each(function()
        qb = sleet.queryBuilder(d)
        s = schemas.standard(d)
      end)

      local shapes = {
        insert = function(v)
          return qb:insert(s.users):values({ name = v, email = v })
        end,
        where = function(v)
          return qb:select({ id = s.users.id }):from(s.users)
            :where(sleet.or_(sleet.eq(s.users.name, v),
              sleet.like(s.users.email, v)))
        end,
        update = function(v)
          return qb:update(s.users):set({ name = v })
            :where(sleet.inArray(s.users.email, { v, v }))
        end,
        raw = function(v)
          return qb:select({ id = s.users.id }):from(s.users)
            :where(sleet.sql("? = ?", s.users.name, v))
        end,
      }

      for shape, build in pairs(shapes) do
        it("in " .. shape, function()
          local neutral = build("plain"):toSQL()
          for _, v in ipairs(corpus) do
            local r = build(v):toSQL()
            assert.equal(neutral.sql, r.sql, "value " .. label(v)
              .. " changed the SQL")
            local seen = 0
            for _, p in ipairs(r.params) do
              if p == v then seen = seen + 1 end
            end
            assert.equal(#neutral.params, #r.params)
            assert.is_true(seen >= 1, "value " .. label(v)
              .. " is not among the params")
          end
        end)
      end
    end)
end

describe("naughty identifiers on SQLite", function()
  local names = {
    'we"ird', "it's", "back`tick", "spa ce", "q?mark", "$1", "--dash",
    "semi;colon", "/*c*/", "ünï", "😀", "select", "x\"); drop table y; --",
  }

  for _, name in ipairs(names) do
    it("a table and column named " .. label(name) .. " work end to end",
      function()
        local t = m.table(name, {
          id = m.integer(name .. "_id"):primaryKey(),
          v = m.text(name),
        }, function(tt)
          return { m.index(name .. "_idx"):on(tt.v) }
        end)
        local schema = { t = t }
        local db <close> = sleet.connect("sqlite::memory:", { schema = schema })
        kit.push(db, schema, { force = true })
        local master = db:execute(sleet.sql(
          "select name, type from sqlite_master where tbl_name = ? "
          .. "order by type desc", name))
        assert.equal(name, master[1].name)
        assert.equal("table", master[1].type)
        local has_index = false
        for _, r in ipairs(master) do
          has_index = has_index or r.name == name .. "_idx"
        end
        assert.is_true(has_index)
        db:insert(t):values({ v = name }):run()
        db:insert(t):values({ { v = "a" }, { v = name .. "'" } }):run()
        local rows = db:select():from(t):where(sleet.like(t.v, name .. "%"))
          :orderBy(t.id):all()
        assert.same({ { id = 1, v = name }, { id = 3, v = name .. "'" } }, rows)
        db:update(t):set({ v = "u" }):where(sleet.eq(t.id, 2)):run()
        db:delete(t):where(sleet.eq(t.v, name)):run()
        assert.same({ { 2, "u" }, { 3, name .. "'" } },
          db:select():from(t):orderBy(t.id):values())
      end)
  end
end)
