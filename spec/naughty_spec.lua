-- Naughty strings: quotes, placeholders look-alikes, comment markers, NUL
-- bytes, huge and multi-byte strings round-trip exactly as values and as
-- identifiers, and never change the SQL text. The bodies run on every live
-- dialect; where one cannot hold a value (NUL in PostgreSQL text, emoji in
-- MySQL identifiers) the test says so and asserts what happens instead.
local sleet = require "sleet"
local schemas = require "spec.support.schemas"
local dialects = require "spec.support.dialects"
local check = require "spec.support.check"

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

-- MySQL's TEXT and BLOB hold 64 KiB: the long corpus strings need the
-- long variants there.
local function naughty_table(mod, dname)
  if dname == "mysql" then
    return mod.table("naughty", {
      id = mod.serial():primaryKey(),
      v = mod.longtext(),
      b = mod.longblob(),
      j = mod.json(),
    })
  elseif dname == "postgresql" then
    return mod.table("naughty", {
      id = mod.serial():primaryKey(),
      v = mod.text(),
      b = mod.bytea(),
      j = mod.json(),
    })
  end
  return mod.table("naughty", {
    id = mod.integer():primaryKey(),
    v = mod.text(),
    b = mod.blob(),
    j = mod.text({ mode = "json" }),
  })
end

for _, d in ipairs(dialects.live()) do
  describe("naughty strings as values on " .. d.name, function()
    local db, t
    setup(function()
      db = d.open(function(mod)
        return { naughty = naughty_table(mod, d.name) }
      end)
      t = db.schema.naughty
    end)
    teardown(function() db:close() end)
    -- one row at a time: MySQL's default collation would also match
    -- "NULL" with "null" and "e" with "é" in the lookups below
    before_each(function() db:delete(t):run() end)

    local function insert(row)
      return db:insert(t):values(row):returning({ id = t.id }):get().id
    end

    for _, v in ipairs(corpus) do
      if d.name == "postgresql" and v:find("\0", 1, true) then
        -- PostgreSQL text cannot hold NUL: refused before SQL is sent;
        -- bytea keeps it
        it("refuses " .. label(v) .. " in text and keeps it in bytea",
          function()
            local err = check.raises_kind("validation", function()
              insert({ v = v })
            end)
            assert.truthy(err.message:find("NUL", 1, true))
            check.raises_kind("validation", function()
              db:execute(sleet.sql("select ? as x", v))
            end)
            local id = insert({ b = v })
            local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
            assert.equal(v, row.b)
            assert.same({ { id = id } }, db:select({ id = t.id }):from(t)
              :where(sleet.eq(t.b, v)):all())
          end)
      else
        it("round-trips " .. label(v) .. " through text, blob and lookups",
          function()
            local id = insert({ v = v, b = v })
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
    end

    for _, v in ipairs(corpus) do
      if not v:find("\0", 1, true) then
        it("round-trips " .. label(v) .. " inside JSON", function()
          local doc = { s = v, list = { v, v } }
          local id = insert({ j = doc })
          local row = db:select():from(t):where(sleet.eq(t.id, id)):get()
          assert.same(doc, row.j)
        end)
      end
    end

    for _, v in ipairs(invalid_utf8) do
      it("round-trips invalid UTF-8 " .. label(v) .. " in a blob", function()
        local id = insert({ b = v })
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
end

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

-- Identifiers the catalog of each dialect lists for a table: the table's
-- own name and the names of its indexes.
local catalog = {
  sqlite = function(db, name)
    local out = {}
    for _, r in ipairs(db:execute(sleet.sql("select name, type from "
      .. "sqlite_master where tbl_name = ?", name))) do
      out[#out + 1] = r.type .. ":" .. r.name
    end
    return out
  end,
  postgresql = function(db, name)
    local out = {}
    for _, r in ipairs(db:execute(sleet.sql("select table_name as n from "
      .. "information_schema.tables where table_schema = 'public' and "
      .. "table_name = ?", name))) do
      out[#out + 1] = "table:" .. r.n
    end
    for _, r in ipairs(db:execute(sleet.sql("select indexname as n from "
      .. "pg_indexes where schemaname = 'public' and tablename = ?", name))) do
      out[#out + 1] = "index:" .. r.n
    end
    return out
  end,
  mysql = function(db, name)
    local out = {}
    for _, r in ipairs(db:execute(sleet.sql("select table_name as n from "
      .. "information_schema.tables where table_schema = database() and "
      .. "table_name = ?", name))) do
      out[#out + 1] = "table:" .. r.n
    end
    for _, r in ipairs(db:execute(sleet.sql("select distinct index_name as n "
      .. "from information_schema.statistics where table_schema = database() "
      .. "and table_name = ?", name))) do
      out[#out + 1] = "index:" .. r.n
    end
    return out
  end,
}

local function contains(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end

for _, d in ipairs(dialects.live()) do
  describe("naughty identifiers on " .. d.name, function()
    local names = {
      'we"ird', "it's", "back`tick", "spa ce", "q?mark", "$1", "--dash",
      "semi;colon", "/*c*/", "ünï", "select", "x\"); drop table y; --",
    }
    -- MySQL identifiers hold only characters of the Basic Multilingual
    -- Plane, so no emoji there
    if d.name ~= "mysql" then names[#names + 1] = "😀" end

    for _, name in ipairs(names) do
      it("a table and column named " .. label(name) .. " work end to end",
        function()
          local db = d.open(function(mod)
            return { t = mod.table(name, {
              id = (mod.serial or mod.integer)(name .. "_id"):primaryKey(),
              v = mod.varchar and mod.varchar(name, { length = 100 })
                or mod.text(name),
            }, function(tt)
              return { mod.index(name .. "_idx"):on(tt.v) }
            end) }
          end)
          finally(function() db:close() end)
          local t = db.schema.t
          local seen = catalog[d.name](db, name)
          assert.is_true(contains(seen, "table:" .. name), table.concat(seen,
            ", "))
          assert.is_true(contains(seen, "index:" .. name .. "_idx"),
            table.concat(seen, ", "))
          db:insert(t):values({ v = name }):run()
          db:insert(t):values({ { v = "a" }, { v = name .. "'" } }):run()
          local rows = db:select():from(t):where(sleet.like(t.v, name .. "%"))
            :orderBy(t.id):all()
          assert.same({ { id = 1, v = name }, { id = 3, v = name .. "'" } },
            rows)
          db:update(t):set({ v = "u" }):where(sleet.eq(t.id, 2)):run()
          db:delete(t):where(sleet.eq(t.v, name)):run()
          assert.same({ { 2, "u" }, { 3, name .. "'" } },
            db:select():from(t):orderBy(t.id):values())
          d.drop(db, name)
        end)
    end
  end)
end
