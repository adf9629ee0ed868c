-- Parity across dialects: one table shape, built with each dialect's own
-- schema module, receives the same rows on every live dialect, and the Lua
-- values read back must be equal across dialects: each dialect's rows are
-- compared with SQLite's, deep-equal and with the same number subtypes.
--
-- Where the databases cannot agree, the row says so in `read` (the value
-- a dialect gives back instead of the written one; `all` for every
-- dialect) or `refused` (the error kind a dialect raises instead of
-- storing the row); these are the
-- differences README.md lists under "Differences between dialects":
--   * numeric(20, 6) / decimal(20, 6): PostgreSQL and MySQL pad to the
--     scale ("1.500000"); SQLite keeps no scale ("1.5");
--   * real: SQLite's is a double; PostgreSQL's real and MySQL's float are
--     single precision (0.123456789 reads back 0.12345679);
--   * timestamps: SQLite's integer mode "timestamp" and MySQL's datetime
--     without fsp keep whole seconds; PostgreSQL keeps microseconds;
--   * text: PostgreSQL cannot store a NUL byte (refused before SQL is
--     sent; bytea keeps it);
--   * comparisons: like is case-insensitive for ASCII on SQLite and under
--     MySQL's default collation, case-sensitive on PostgreSQL; = on text is
--     case-insensitive under MySQL's default collation only.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- {====================================================================
-- The shape
-- =====================================================================

-- The same table in each dialect: the closest column type of each.
local shapes = {
  sqlite = function(m)
    return m.table("parity", {
      id = m.integer():primaryKey(),
      big = m.integer({ mode = "bigint" }),
      flag = m.integer({ mode = "boolean" }),
      ratio = m.real(),
      single = m.real(),
      amount = m.numeric(),
      body = m.text(),
      label = m.text(),
      doc = m.text({ mode = "json" }),
      bytes = m.blob(),
      at = m.integer({ mode = "timestamp" }),
      day = m.text(),
      note = m.text(),
    })
  end,
  postgresql = function(m)
    return m.table("parity", {
      id = m.serial():primaryKey(),
      big = m.bigint({ mode = "bigint" }),
      flag = m.boolean(),
      ratio = m.doublePrecision(),
      single = m.real(),
      amount = m.numeric({ precision = 20, scale = 6 }),
      body = m.text(),
      label = m.varchar({ length = 100 }),
      doc = m.jsonb(),
      bytes = m.bytea(),
      at = m.timestamp({ withTimezone = true }),
      day = m.date(),
      note = m.text(),
    })
  end,
  mysql = function(m)
    return m.table("parity", {
      id = m.serial():primaryKey(),
      big = m.bigint({ mode = "bigint" }),
      flag = m.boolean(),
      ratio = m.double(),
      single = m.float(),
      amount = m.decimal({ precision = 20, scale = 6 }),
      body = m.text(),
      label = m.varchar({ length = 100 }),
      doc = m.json(),
      bytes = m.blob(),
      -- datetime: MySQL's timestamp holds only 1970 to 2038
      at = m.datetime(),
      day = m.date(),
      note = m.text(),
    })
  end,
}

local ALL_BYTES
do
  local b = {}
  for i = 0, 255 do b[#b + 1] = string.char(i) end
  ALL_BYTES = table.concat(b)
end

-- The rows, written with explicit ids so that they line up everywhere.
local ROWS = {
  { name = "typical values",
    write = { big = 42, flag = true, ratio = 0.1, single = 1.5,
      amount = "1234.500000", body = "plain", label = "Ada",
      doc = { name = "Ada", tags = { "x", "y" } }, bytes = "abc",
      at = "2024-01-02T03:04:05Z", day = "2024-02-29", note = "n" },
    read = { sqlite = { amount = "1234.5" } } },
  { name = "NULL in every nullable column", write = {} },
  { name = "explicit sleet.null",
    write = { big = sleet.null, flag = sleet.null, body = sleet.null,
      doc = sleet.null, bytes = sleet.null, at = sleet.null } },
  { name = "64-bit maximum and false",
    write = { big = check.MAXINT, flag = false, ratio = 1e308,
      single = 0.5, amount = "12345.678901",
      at = "1969-12-31T23:59:59Z", day = "1970-01-01" } },
  { name = "64-bit minimum and tiny floats",
    write = { big = check.MININT, ratio = 5e-324, single = -0.25,
      amount = "-0.000001", body = "" },
    read = { sqlite = { amount = "-1e-06" } } },
  { name = "unicode",
    write = { body = "héllo wörld ✓ 中文 😀 \u{10FFFF}",
      label = "ünïcödé 😀", doc = { s = "😀", ["ключ"] = "значение" } } },
  { name = "nested JSON with sleet.null in arrays",
    write = { doc = { a = { b = { 1, sleet.null, { c = "d" } } },
      holes = { sleet.null, 1, sleet.null }, nothing = sleet.null,
      big = check.MAXINT, small = check.MININT, x = 1.5, t = true,
      f = false, list = { { id = 1 }, { id = 2 } } } } },
  { name = "a JSON array at the top",
    write = { doc = { 10, 20, 30 }, note = "array" } },
  { name = "bytes 0 to 255", write = { bytes = ALL_BYTES } },
  { name = "NUL bytes",
    write = { body = "a\0b", bytes = "\0\0x\0" },
    refused = { postgresql = "validation" } },
  { name = "single precision",
    write = { single = 0.123456789, ratio = 0.123456789 },
    read = { postgresql = { single = 0.12345679 },
      mysql = { single = 0.12345679 } } },
  { name = "fractions of a second",
    write = { at = "2024-01-02T03:04:05.678Z" },
    read = { sqlite = { at = "2024-01-02T03:04:05Z" },
      mysql = { at = "2024-01-02T03:04:05Z" } } },
  { name = "an integer into a float column",
    write = { ratio = 2, big = 0, amount = "7" },
    read = { all = { ratio = 2.0 }, postgresql = { amount = "7.000000" },
      mysql = { amount = "7.000000" } } },
  -- SQLite has no exact decimal: beyond 15 significant digits it refuses
  -- the value rather than round it
  { name = "20 significant digits",
    write = { amount = "99999999999999.999999" },
    refused = { sqlite = "validation" } },
}

-- }====================================================================

-- {====================================================================
-- Comparison
-- =====================================================================

-- Deep equality that also tells integers from floats and sleet.null from
-- everything else. Returns true, or false and where they differ.
local function same_typed(a, b, path)
  path = path or "value"
  if check.LUAJIT and (type(a) == "cdata" or type(b) == "cdata") then
    -- LuaJIT: int64 cdata (mode = "bigint") against a written number
    if a == b then return true end
    return false, ("%s: %s vs %s"):format(path, tostring(a), tostring(b))
  end
  if type(a) ~= type(b) then
    return false, ("%s: %s vs %s"):format(path, type(a), type(b))
  end
  if type(a) == "number" then
    if check.numtype(a) ~= check.numtype(b) then
      return false, ("%s: %s %s vs %s %s"):format(path, check.numtype(a),
        tostring(a), check.numtype(b), tostring(b))
    end
    if a ~= b then
      return false, ("%s: %.17g vs %.17g"):format(path, a, b)
    end
    return true
  end
  if type(a) ~= "table" then
    if a == b then return true end
    return false, ("%s: %q vs %q"):format(path, tostring(a), tostring(b))
  end
  for k, v in pairs(a) do
    local ok, why = same_typed(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, why end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false, ("%s.%s: missing vs present"):format(path, tostring(k))
    end
  end
  return true
end

local function assert_same_typed(expected, actual, what)
  local ok, why = same_typed(expected, actual)
  assert(ok, what .. ": " .. tostring(why))
end

-- The row a dialect should give back for ROWS[i]: the written values,
-- sleet.null as absent, with the documented differences applied.
local function expected_row(i, dname)
  local r = ROWS[i]
  local out = { id = i }
  for k, v in pairs(r.write) do
    if v ~= sleet.null then out[k] = v end
  end
  for _, which in ipairs({ "all", dname }) do
    for k, v in pairs((r.read or {})[which] or {}) do out[k] = v end
  end
  return out
end

-- Whether ROWS[i].key reads back differently on dialect a than on b.
local function differs(i, key, a, b)
  local read = ROWS[i].read or {}
  return (read[a] or {})[key] ~= nil or (read[b] or {})[key] ~= nil
end

-- }====================================================================

-- Opens every live dialect, writes ROWS and reads them back once.
local results = {}
local live = dialects.live()

describe("parity across dialects (" .. #live .. " live)", function()
  setup(function()
    for _, d in ipairs(live) do
      local db = d.open(function(m) return { parity = shapes[d.name](m) } end)
      local t = db.schema.parity
      local res = { errors = {}, d = d }
      for i, r in ipairs(ROWS) do
        local row = { id = i }
        for k, v in pairs(r.write) do row[k] = v end
        local ok, err = pcall(function()
          return db:insert(t):values(row):run()
        end)
        if not ok then res.errors[i] = err end
      end
      res.rows = {}
      for _, row in ipairs(db:select():from(t):orderBy(t.id):all()) do
        res.rows[row.id] = row
      end
      res.values = db:select():from(t):orderBy(t.id):values()
      res.db, res.t = db, t
      results[d.name] = res
    end
  end)
  teardown(function()
    for _, res in pairs(results) do res.db:close() end
  end)

  for _, d in ipairs(live) do
    describe("on " .. d.name, function()
      for i, r in ipairs(ROWS) do
        local refused = (r.refused or {})[d.name]
        if refused then
          it(r.name .. " is refused with a " .. refused .. " error",
            function()
              local res = results[d.name]
              local err = res.errors[i]
              assert.is_not_nil(err, "the row was stored")
              check.sleet_error(err, refused)
              assert.is_nil(res.rows[i])
            end)
        else
          it(r.name .. " reads back as written", function()
            local res = results[d.name]
            assert.is_nil(res.errors[i], tostring(res.errors[i]))
            assert_same_typed(expected_row(i, d.name), res.rows[i],
              d.name .. " row " .. i)
          end)

          if d.name ~= "sqlite" and not (r.refused or {}).sqlite then
            it(r.name .. " reads back equal to SQLite's", function()
              local mine = results[d.name].rows[i]
              local ref = results.sqlite.rows[i]
              assert.is_table(mine)
              assert.is_table(ref)
              local keys = {}
              for k in pairs(mine) do keys[k] = true end
              for k in pairs(ref) do keys[k] = true end
              for k in pairs(keys) do
                if not differs(i, k, "sqlite", d.name) then
                  assert_same_typed(ref[k], mine[k],
                    ("row %d column %s, sqlite vs %s"):format(i, k, d.name))
                end
              end
            end)
          end
        end
      end

      if d.name ~= "sqlite" then
        it("values() keeps the same positions and NULL holes as SQLite's",
          function()
            local mine, ref = results[d.name].values, results.sqlite.values
            -- rows refused by one of the two dialects are left out
            local function by_id(list)
              local out = {}
              for _, v in ipairs(list) do out[v[1]] = v end
              return out
            end
            local a, b = by_id(ref), by_id(mine)
            local compared = 0
            for i = 1, #ROWS do
              if a[i] and b[i] then
                assert.equal(#a[i], #b[i])
                for c = 1, #a[i] do
                  local ra, rb = a[i][c], b[i][c]
                  if (ra == sleet.null) ~= (rb == sleet.null) then
                    error(("row %d position %d: NULL on one side only")
                      :format(i, c))
                  end
                end
                compared = compared + 1
              end
            end
            assert.is_true(compared >= #ROWS - 2)
          end)
      end

      describe("filters select the same rows", function()
        local function ids(where)
          local res = results[d.name]
          local out = {}
          for _, row in ipairs(res.db:select({ id = res.t.id }):from(res.t)
            :where(where):orderBy(res.t.id):all()) do
            out[#out + 1] = row.id
          end
          return out
        end
        -- the ids a filter must select: written rows, less refused ones
        local function stored(list)
          local out = {}
          for _, i in ipairs(list) do
            if not (ROWS[i].refused or {})[d.name] then out[#out + 1] = i end
          end
          return out
        end

        it("on booleans, NULLs and 64-bit integers", function()
          local t = results[d.name].t
          assert.same({ 1 }, ids(sleet.eq(t.flag, true)))
          assert.same({ 4 }, ids(sleet.eq(t.flag, false)))
          assert.same({ 1, 4, 5, 13 }, ids(sleet.isNotNull(t.big)))
          assert.same({ 4 }, ids(sleet.eq(t.big, check.MAXINT)))
          assert.same({ 5 }, ids(sleet.lt(t.big, 0)))
          assert.same(stored({ 1, 5, 6, 10 }), ids(sleet.isNotNull(t.body)))
        end)

        it("on exact decimals and timestamps", function()
          local t = results[d.name].t
          assert.same(stored({ 1, 4, 13, 14 }), ids(sleet.gt(t.amount, "1")))
          assert.same({ 4 }, ids(sleet.lt(t.at, "1970-01-01T00:00:00Z")))
          assert.same({ 1, 12 },
            ids(sleet.gte(t.at, "2024-01-02T03:04:05Z")))
        end)

        it("like and = on text, by each dialect's collation", function()
          local t = results[d.name].t
          -- row 1's label is "Ada"
          local like = ids(sleet.like(t.label, "ada"))
          local eq = ids(sleet.eq(t.label, "ADA"))
          if d.name == "postgresql" then
            assert.same({}, like)
          else
            assert.same({ 1 }, like)
          end
          if d.name == "mysql" then
            assert.same({ 1 }, eq)
          else
            assert.same({}, eq)
          end
          -- ilike is case-insensitive everywhere
          assert.same({ 1 }, ids(sleet.ilike(t.label, "ada")))
        end)
      end)
    end)
  end
end)
