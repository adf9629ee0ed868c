-- PostgreSQL arrays (API.md, "Names of the second round"): `:array()` on a
-- column type, nested; values as Lua sequences with sleet.null for NULL
-- elements; arrayContains / arrayContained / arrayOverlaps in the builder
-- and in relational where tables; arrays inside relational rows; bad
-- values refused before anything is written; seeding fills arrays with
-- arraySize values of the element's generator. MySQL and SQLite have no
-- array columns: the builder says so with a usage error.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local sleet = require "sleet"

local null = sleet.null
local eq, asc = sleet.eq, sleet.asc
local arrayContains = sleet.arrayContains
local arrayContained = sleet.arrayContained
local arrayOverlaps = sleet.arrayOverlaps

-- 2^53 + 1, which only an integer holds (int64 cdata on LuaJIT)
local BIG = rawget(_G, "jit") and assert(load("return 9007199254740993LL"))()
  or math.tointeger(9007199254740993)

local function usage(f, text)
  local err = check.raises_kind("usage", f)
  assert.truthy(err.message:find(text, 1, true), err.message)
end

local function build(m)
  local mood = m.enum("arr_mood", { "sad", "ok", "happy" })
  local owners = m.table("arr_owners", {
    id = m.serial():primaryKey(),
    name = m.text():notNull(),
  })
  local things = m.table("arr_things", {
    id = m.serial():primaryKey(),
    ownerId = m.integer():references(function() return owners.id end),
    tags = m.text():array(),
    grid = m.integer():array():array(),
    big = m.bigint({ mode = "bigint" }):array(),
    reals = m.doublePrecision():array(),
    cash = m.numeric({ precision = 10, scale = 2 }):array(),
    flags = m.boolean():array(),
    blobs = m.bytea():array(),
    docs = m.jsonb():array(),
    days = m.date():array(),
    at = m.timestamp({ withTimezone = true }):array(),
    moods = mood():array(),
    fixed = m.integer():array(3):notNull():default({ 1, 2, 3 }),
  }, function(t) return {
    m.index("arr_things_tags"):using("gin", t.tags),
  } end)
  return { mood = mood, owners = owners, things = things }
end

for _, d in ipairs(dialects.live()) do
  if d.name ~= "postgresql" then
    describe("array columns on " .. d.name, function()
      it("are a usage error, as are the array operators", function()
        local m = d.module()
        usage(function() return m.integer():array() end,
          "arrays are PostgreSQL's")
        local t = m.table("arr_plain", { id = m.integer():primaryKey(),
          name = m.text() })
        local db = d.connect()
        usage(function()
          return db:select():from(t):where(arrayContains(t.name, { "a" }))
            :toSQL()
        end, "arrayContains: arrays are PostgreSQL's")
        usage(function()
          return db:select():from(t):where(arrayOverlaps(t.name, { "a" }))
            :toSQL()
        end, "arrayOverlaps: arrays are PostgreSQL's")
        db:close()
      end)
    end)
  else
    describe("array columns on postgresql", function()
      local db, s, things

      before_each(function()
        db, s = d.open(build)
        things = s.things
      end)

      after_each(function()
        d.reset(db, s)
        db:close()
      end)

      it("write and read every element type, NULLs and quoting", function()
        local row = {
          tags = { "a", 'say "hi"', "back\\slash", "", "NULL", null,
            "x,y {z}", " padded ", "ünï" },
          grid = { { 1, 2 }, { 3, null } },
          big = { BIG },
          reals = { 1.5, 0.1, -0.0, math.huge, -math.huge },
          cash = { "12.50", "0.01" },
          flags = { true, false, null },
          blobs = { "\0\1\255", "" },
          docs = { { a = 1 }, { 1, "two" } },
          days = { "2024-02-29" },
          at = { "2020-01-02T03:04:05Z" },
          moods = { "ok", "happy" },
        }
        db:insert(things):values(row):run()
        local got = db:select():from(things):get()
        assert.same(row.tags, got.tags)
        assert.same(row.grid, got.grid)
        assert.equal("9007199254740993", (tostring(got.big[1]):gsub("LL$", "")))
        assert.same(row.reals, got.reals)
        assert.same(row.cash, got.cash)
        assert.same(row.flags, got.flags)
        assert.same(row.blobs, got.blobs)
        assert.same(row.docs, got.docs)
        assert.same(row.days, got.days)
        assert.same(row.at, got.at)
        assert.same(row.moods, got.moods)
        assert.same({ 1, 2, 3 }, got.fixed) -- the default
        -- the server sees the same values: the text is its own
        local n = db:select({ n = sleet.sql(
          "array_length(?, 1) + array_length(?, 1)", things.tags,
          things.grid) }):from(things):get().n
        assert.equal(11, tonumber(n))
        assert.equal("ünï", db:select({ v = sleet.sql("?[9]", things.tags) })
          :from(things):get().v)
      end)

      it("keep empty arrays, NaN, and read bounds other than 1", function()
        db:insert(things):values({ tags = {}, grid = {}, reals = { 0 / 0 } })
          :run()
        local got = db:select():from(things):get()
        assert.same({}, got.tags)
        assert.same({}, got.grid)
        assert.is_true(got.reals[1] ~= got.reals[1])
        local v = db:select({ v = sleet.sql("'[0:1]={7,8}'::int[]")
          :mapWith("int[]") }):from(things):get().v
        assert.same({ 7, 8 }, v)
        local e = check.raises_kind("validation", function()
          return db:select({ v = sleet.sql("'{1,2'::text"):mapWith("int[]") })
            :from(things):get()
        end)
        assert.truthy(e.message:find("malformed array text", 1, true),
          e.message)
      end)

      it("filter with arrayContains, arrayContained and arrayOverlaps",
        function()
          db:insert(things):values({
            { tags = { "lua", "sql" } }, { tags = { "lua" } },
            { tags = { "c", "sql" } },
          }):run()
          local function ids(cond)
            local out = {}
            for i, r in ipairs(db:select({ id = things.id }):from(things)
              :where(cond):orderBy(asc(things.id)):all()) do
              out[i] = r.id
            end
            return out
          end
          assert.same({ 1, 2 }, ids(arrayContains(things.tags, { "lua" })))
          assert.same({ 1 }, ids(arrayContains(things.tags, { "sql", "lua" })))
          assert.same({ 2 }, ids(arrayContained(things.tags, { "lua", "c" })))
          assert.same({ 1, 3 }, ids(arrayOverlaps(things.tags, { "sql", "x" })))
          assert.same({}, ids(arrayOverlaps(things.tags, { 'q"' })))
          local q = db:select():from(things)
            :where(arrayContains(things.tags, { "lua" })):toSQL()
          assert.truthy(q.sql:find('"tags" @> $1', 1, true), q.sql)
          assert.same({ '{"lua"}' }, q.params)
          -- a placeholder takes the column's array codec
          local p = db:select({ id = things.id }):from(things)
            :where(arrayOverlaps(things.tags, sleet.placeholder("t")))
            :orderBy(asc(things.id)):prepare("arr_overlap")
          assert.equal(3, #p:all({ t = { "c", "lua" } }))
          assert.equal(1, #p:all({ t = { "c" } }))
          -- update sets a whole array
          db:update(things):set({ tags = { "new", null } })
            :where(eq(things.id, 2)):run()
          assert.same({ "new", null }, db:select():from(things)
            :where(eq(things.id, 2)):get().tags)
        end)

      it("load inside relational rows and filter relational where tables",
        function()
          local rels = sleet.defineRelations(s, function(r) return {
            owners = { things = r.many.things({ from = r.owners.id,
              to = r.things.ownerId }) },
          } end)
          local rdb = d.connect(s, { relations = rels })
          db:insert(s.owners):values({ name = "ada" }):run()
          db:insert(things):values({
            { ownerId = 1, tags = { "a b", null }, grid = { { 1 }, { 2 } },
              blobs = { "\255" }, at = { "2021-05-06T07:08:09Z" } },
            { ownerId = 1, tags = { "z" } },
          }):run()
          local o = rdb.query.owners:findFirst({ with = { things = {
            orderBy = function(t) return asc(t.id) end } } })
          assert.same({ "a b", null }, o.things[1].tags)
          assert.same({ { 1 }, { 2 } }, o.things[1].grid)
          assert.same({ "\255" }, o.things[1].blobs)
          assert.same({ "2021-05-06T07:08:09Z" }, o.things[1].at)
          assert.same({ 1, 2, 3 }, o.things[2].fixed)
          local rows = rdb.query.things:findMany({
            where = { tags = { arrayContains = { "z" } } } })
          assert.equal(1, #rows)
          assert.equal(2, rows[1].id)
          rows = rdb.query.things:findMany({
            where = { tags = { arrayOverlaps = { "z", "a b" } } } })
          assert.equal(2, #rows)
          rdb:close()
        end)

      it("are seeded with arraySize values of the element's generator",
        function()
          local seed = require "sleet.seed"
          seed.seed(db, s, { count = 4, refine = function(f) return {
            things = { columns = {
              tags = f.valuesFromArray({ values = { "a", "b c" },
                arraySize = 5 }),
              reals = f.number({ minValue = 1, maxValue = 2, arraySize = 2 }),
            } },
          } end })
          local rows = db:select():from(things):orderBy(asc(things.id)):all()
          assert.equal(4, #rows)
          for _, r in ipairs(rows) do
            assert.equal(5, #r.tags)
            for _, t in ipairs(r.tags) do
              assert.truthy(t == "a" or t == "b c", t)
            end
            assert.equal(2, #r.reals)
            assert.is_true(r.reals[1] >= 1 and r.reals[1] <= 2)
            assert.equal(3, #r.fixed) -- the declared size
            assert.equal(1, #r.moods) -- one element when none is declared
            assert.truthy(({ sad = 1, ok = 1, happy = 1 })[r.moods[1]])
            assert.equal("number", type(r.grid[1]))
            assert.equal(1, #r.blobs)
          end
          -- the same seed gives the same arrays
          local again = seed.generate(s, { count = 4, refine = function(f)
            return { things = { columns = {
              tags = f.valuesFromArray({ values = { "a", "b c" },
                arraySize = 5 }),
              reals = f.number({ minValue = 1, maxValue = 2, arraySize = 2 }),
            } } } end })
          assert.same(rows[2].tags, again.things[2].tags)
          assert.same(rows[3].fixed, again.things[3].fixed)
          local e = check.raises_kind("validation", function()
            seed.seed(db, s, { count = 1, refine = function(f) return {
              owners = { columns = { name = f.string({ arraySize = 2 }) } },
            } end })
          end)
          assert.truthy(e.message:find("arraySize needs an array column", 1,
            true), e.message)
          e = check.raises_kind("validation", function()
            seed.seed(db, s, { count = 1, refine = function(f) return {
              things = { columns = { tags = f.string({ isUnique = true }) } },
            } end })
          end)
          assert.truthy(e.message:find("cannot be unique", 1, true),
            e.message)
        end)

      it("refuse bad values with a validation error and write nothing",
        function()
          local cases = {
            { { tags = { "a", x = 1 } }, "expected a sequence" },
            { { tags = { 1 } }, "expected a string" },
            { { grid = { { "a" } } }, "expected an integer" },
            { { tags = "a" }, "expected a sequence (Lua table)" },
            { { tags = { "a\0b" } }, "NUL byte" },
            { { moods = { "ok", "bad" } }, '"bad" is not one of' },
            { { grid = { { { { { { { 1 } } } } } } } },
              "nested deeper than 6" },
          }
          for _, c in ipairs(cases) do
            local e = check.raises_kind("validation", function()
              db:insert(things):values(c[1]):run()
            end)
            assert.truthy(e.message:find(c[2], 1, true), e.message)
          end
          assert.equal(0, db:count(things))
        end)
    end)
  end
end
