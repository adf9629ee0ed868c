-- Executing queries: results, row shapes, upserts, aggregates, subqueries,
-- CTEs, raw SQL, streaming and connection lifetime. The body runs once per
-- live dialect (SQLite always; see spec/support/dialects.lua). Where a
-- dialect lacks a feature (MySQL: update ... returning, full join, on
-- conflict), the same test asserts the usage error it gets instead.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local o = sleet
local eq, gt, desc = sleet.eq, sleet.gt, sleet.desc

-- Inserts the fixture rows:
--   users 1 Ada (admin, 36, ada@x.io), 2 Bob (member, 25, no email),
--         3 Cy (member, no age, cy@x.io)
--   posts 1 (Ada, "Hello", 4.5), 2 (Ada, "Again", 3.0), 3 (Bob, "Bob's")
local function seed(db, s)
  db:insert(s.users):values({
    { name = "Ada", email = "ada@x.io", role = "admin", age = 36 },
    { name = "Bob", age = 25 },
    { name = "Cy", email = "cy@x.io" },
  }):run()
  db:insert(s.posts):values({
    { authorId = 1, title = "Hello", score = 4.5 },
    { authorId = 1, title = "Again", score = 3.0 },
    { authorId = 2, title = "Bob's" },
  }):run()
end

local ADA = { id = 1, name = "Ada", email = "ada@x.io", role = "admin",
  age = 36 }
local BOB = { id = 2, name = "Bob", role = "member", age = 25 }
local CY = { id = 3, name = "Cy", email = "cy@x.io", role = "member" }

local function ids(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[key or "id"] end
  return out
end

for _, d in ipairs(dialects.live()) do
  describe("executing on " .. d.name, function()
    local db, s
    before_each(function()
      db, s = d.open()
    end)
    after_each(function()
      db:close()
    end)

    describe("executors", function()
      -- MySQL: MariaDB's INSERT ... RETURNING
      it("insert ... returning():get() gives the stored row with defaults",
        function()
          local row = db:insert(s.users):values({ name = "Ada", age = 36 })
            :returning():get()
          assert.same({ id = 1, name = "Ada", role = "member", age = 36 }, row)
          check.is_integer(row.id)
          local row2 = db:insert(s.users):values({ name = "Bob" })
            :returning({ id = s.users.id }):get()
          assert.same({ id = 2 }, row2)
        end)

      it("all() returns every row as a table keyed by column key", function()
        seed(db, s)
        local rows = db:select():from(s.users):orderBy(s.users.id):all()
        assert.same({ ADA, BOB, CY }, rows)
        -- NULL cells are absent, not sleet.null
        assert.is_nil(rows[2].email)
        assert.is_nil(rows[3].age)
      end)

      it("all() on no rows is an empty table", function()
        local rows = db:select():from(s.users):all()
        assert.same({}, rows)
      end)

      it("get() returns the first row, or nil", function()
        seed(db, s)
        assert.same(BOB, db:select():from(s.users):where(eq(s.users.id, 2))
          :get())
        assert.same(ADA, db:select():from(s.users):orderBy(s.users.id):get())
        assert.is_nil(db:select():from(s.users):where(eq(s.users.id, 99))
          :get())
      end)

      it("values() returns arrays in select order with sleet.null holes",
        function()
          seed(db, s)
          local v = db:select():from(s.users):orderBy(s.users.id):values()
          assert.same({
            { 1, "Ada", "ada@x.io", "admin", 36 },
            { 2, "Bob", sleet.null, "member", 25 },
            { 3, "Cy", "cy@x.io", "member", sleet.null },
          }, v)
          assert.equal(5, #v[2])
          assert.equal(sleet.null, v[3][5])
        end)

      it("run() reports rowsAffected and lastInsertId", function()
        seed(db, s)
        local r = db:insert(s.users):values({ name = "Dee" }):run()
        assert.equal(1, r.rowsAffected)
        if d.name == "postgresql" then
          -- PostgreSQL has no implicit last id: use returning()
          assert.is_nil(r.lastInsertId)
          assert.same({ id = 5 }, db:insert(s.users):values({ name = "Eve",
            role = "admin" })
            :returning({ id = s.users.id }):get())
        else
          assert.equal(4, r.lastInsertId)
          check.is_integer(r.lastInsertId)
        end
        local u = db:update(s.users):set({ age = 1 })
          :where(eq(s.users.role, "member")):run()
        assert.equal(3, u.rowsAffected)
        local del = db:delete(s.users):where(eq(s.users.id, 99)):run()
        assert.equal(0, del.rowsAffected)
      end)

      it("iter() streams the same rows as all()", function()
        seed(db, s)
        local q = db:select():from(s.users):orderBy(s.users.id)
        local got = {}
        for row in q:iter() do got[#got + 1] = row end
        assert.same(q:all(), got)
      end)

      it("iter() can be left early; the connection stays usable", function()
        seed(db, s)
        for _ = 1, 50 do
          local nextrow = db:select():from(s.users):orderBy(s.users.id):iter()
          assert.equal(1, nextrow().id)
        end
        collectgarbage()
        db:insert(s.users):values({ name = "Late" }):run()
        assert.equal(4, db:select({ n = o.count() }):from(s.users):get().n)
      end)

      it("partial select rows hold only the selected keys", function()
        seed(db, s)
        local rows = db:select({ id = s.users.id, who = s.users.name })
          :from(s.users):orderBy(desc(s.users.id)):all()
        assert.same({ { id = 3, who = "Cy" }, { id = 2, who = "Bob" },
          { id = 1, who = "Ada" } }, rows)
      end)

      it("distinct removes duplicates", function()
        seed(db, s)
        local rows = db:select({ role = s.users.role }):from(s.users)
          :distinct():orderBy(s.users.role):all()
        assert.same({ { role = "admin" }, { role = "member" } }, rows)
      end)

      it("limit and offset page through rows", function()
        seed(db, s)
        local rows = db:select({ id = s.users.id }):from(s.users)
          :orderBy(s.users.id):limit(1):offset(1):all()
        assert.same({ { id = 2 } }, rows)
      end)
    end)

    describe("joins", function()
      it("joined rows are nested per table", function()
        seed(db, s)
        local rows = db:select():from(s.posts)
          :leftJoin(s.users, eq(s.posts.authorId, s.users.id))
          :orderBy(s.posts.id):all()
        assert.equal(3, #rows)
        assert.same({
          posts = { id = 1, authorId = 1, title = "Hello", score = 4.5 },
          users = ADA,
        }, rows[1])
        assert.same({
          posts = { id = 3, authorId = 2, title = "Bob's" },
          users = BOB,
        }, rows[3])
      end)

      it("a left-joined side with no match is nil", function()
        seed(db, s)
        local rows = db:select():from(s.users)
          :leftJoin(s.posts, eq(s.posts.authorId, s.users.id))
          :orderBy(s.users.id, s.posts.id):all()
        assert.equal(4, #rows)
        assert.same(CY, rows[4].users)
        assert.is_nil(rows[4].posts)
        assert.same({ id = 1, authorId = 1, title = "Hello", score = 4.5 },
          rows[1].posts)
        assert.same({ id = 2, authorId = 1, title = "Again", score = 3.0 },
          rows[2].posts)
      end)

      it("a matched side whose nullable cells are NULL is kept", function()
        seed(db, s)
        local row = db:select():from(s.users)
          :leftJoin(s.posts, eq(s.posts.authorId, s.users.id))
          :where(eq(s.users.id, 2)):get()
        -- score is NULL but the post exists: the group is a table
        assert.same({ id = 3, authorId = 2, title = "Bob's" }, row.posts)
      end)

      it("inner join with a partial select gives flat rows", function()
        seed(db, s)
        local rows = db:select({ title = s.posts.title, author = s.users.name })
          :from(s.posts):innerJoin(s.users, eq(s.posts.authorId, s.users.id))
          :orderBy(desc(s.posts.id)):all()
        assert.same({ { title = "Bob's", author = "Bob" },
          { title = "Again", author = "Ada" },
          { title = "Hello", author = "Ada" } }, rows)
      end)

      it("cross join gives every pair", function()
        seed(db, s)
        local n = db:select({ n = o.count() }):from(s.posts)
          :crossJoin(s.users):get().n
        assert.equal(9, n)
      end)

      it("full join keeps unmatched rows of both sides", function()
        seed(db, s)
        local q = db:select():from(s.users)
          :fullJoin(s.posts, eq(s.posts.authorId, s.users.id))
        if d.name == "mysql" then
          -- MySQL has no full join: refused before anything is sent
          local err = check.raises_kind("usage", function() return q:all() end)
          assert.truthy(err.message:find("full join", 1, true))
          return
        end
        assert.equal(4, #q:all())
      end)
    end)

    describe("filters and aggregates", function()
      before_each(function() seed(db, s) end)

      local function names(where)
        return ids(db:select({ name = s.users.name }):from(s.users)
          :where(where):orderBy(s.users.id):all(), "name")
      end

      it("each operator selects the expected rows", function()
        local u = s.users
        assert.same({ "Bob" }, names(eq(u.id, 2)))
        assert.same({ "Ada", "Cy" }, names(o.ne(u.id, 2)))
        assert.same({ "Ada" }, names(gt(u.age, 30)))
        assert.same({ "Ada", "Bob" }, names(o.gte(u.age, 25)))
        assert.same({ "Bob" }, names(o.lt(u.age, 30)))
        assert.same({ "Bob" }, names(o.lte(u.age, 25)))
        assert.same({ "Cy" }, names(o.isNull(u.age)))
        assert.same({ "Ada", "Cy" }, names(o.isNotNull(u.email)))
        assert.same({ "Ada", "Cy" }, names(o.inArray(u.id, { 1, 3, 7 })))
        assert.same({}, names(o.inArray(u.id, {})))
        assert.same({ "Bob" }, names(o.notInArray(u.id, { 1, 3 })))
        assert.same({ "Ada", "Bob", "Cy" }, names(o.notInArray(u.id, {})))
        assert.same({ "Ada", "Bob" }, names(o.between(u.age, 20, 40)))
        -- NULL age is neither between nor not between
        assert.same({}, names(o.notBetween(u.age, 20, 40)))
        assert.same({ "Ada" }, names(o.like(u.name, "A%")))
        assert.same({ "Bob", "Cy" }, names(o.notLike(u.name, "A%")))
        assert.same({ "Ada" }, names(o.ilike(u.name, "a%")))
        assert.same({ "Bob", "Cy" }, names(o.notIlike(u.name, "a%")))
        assert.same({ "Ada", "Bob" },
          names(o.or_(eq(u.id, 1), eq(u.name, "Bob"))))
        assert.same({ "Bob" }, names(o.and_(o.isNull(u.email), gt(u.age, 1))))
        assert.same({ "Bob", "Cy" }, names(o.not_(eq(u.role, "admin"))))
      end)

      it("subqueries filter with inArray / exists", function()
        local u, p = s.users, s.posts
        assert.same({ "Ada", "Bob" }, names(o.inArray(u.id,
          db:select({ id = p.authorId }):from(p))))
        assert.same({ "Cy" }, names(o.notInArray(u.id,
          db:select({ id = p.authorId }):from(p))))
        assert.same({ "Ada" }, names(o.exists(db:select({ id = p.id }):from(p)
          :where(o.and_(eq(p.authorId, u.id), gt(p.score, 4))))))
        assert.same({ "Cy" }, names(o.notExists(db:select({ id = p.id })
          :from(p):where(eq(p.authorId, u.id)))))
      end)

      it("count is an integer; group by and having", function()
        local u = s.users
        local n = db:select({ n = o.count() }):from(u):get().n
        assert.equal(3, n)
        check.is_integer(n)
        local rows = db:select({ role = u.role, n = o.count() }):from(u)
          :groupBy(u.role):having(gt(o.count(), 1)):all()
        assert.same({ { role = "member", n = 2 } }, rows)
        assert.equal(2, db:select({ n = o.countDistinct(u.role) }):from(u)
          :get().n)
        assert.equal(2, db:select({ n = o.count(u.email) }):from(u):get().n)
      end)

      it("having compares aggregates with numbers", function()
        local u = s.users
        local rows = db:select({ role = u.role }):from(u):groupBy(u.role)
          :having(gt(o.sum(u.age), 30)):all()
        assert.same({ { role = "admin" } }, rows)
        rows = db:select({ role = u.role }):from(u):groupBy(u.role)
          :having(o.lt(o.avg(u.age), 30.5)):all()
        assert.same({ { role = "member" } }, rows)
      end)

      it("sum, avg, min, max", function()
        local u = s.users
        local r = db:select({ s = o.sum(u.age), a = o.avg(u.age),
          lo = o.min(u.age), hi = o.max(u.age) }):from(u):get()
        -- Assumption: sum and avg may come back as numbers or, as in
        -- Drizzle, as exact strings; their numeric value is what matters.
        assert.equal(61, tonumber(r.s))
        assert.equal(30.5, tonumber(r.a))
        -- min/max decode as the column they aggregate
        assert.equal(25, r.lo)
        assert.equal(36, r.hi)
        check.is_integer(r.hi)
        local none = db:select({ s = o.sum(u.age), hi = o.max(u.age) })
          :from(u):where(eq(u.id, 99)):get()
        assert.is_nil(none.s)
        assert.is_nil(none.hi)
      end)

      it("sleet.sql in where, with :as and :mapWith in the select list",
        function()
          local u = s.users
          local rows = db:select({
            id = u.id,
            lname = o.sql("lower(?)", u.name):as("lname"),
            twice = o.sql("? * 2", u.age):mapWith(function(v)
              return "x" .. tostring(v)
            end),
          }):from(u):where(o.sql("lower(?) = ?", u.name, "ada")):all()
          assert.same({ { id = 1, lname = "ada", twice = "x72" } }, rows)
        end)
    end)

    describe("subqueries, CTEs and set operations", function()
      before_each(function() seed(db, s) end)

      it("selects from a subquery", function()
        local u = s.users
        local sq = db:select({ uid = u.id, name = u.name }):from(u)
          :where(o.isNotNull(u.age)):as("sq")
        local rows = db:select():from(sq):orderBy(desc(sq.uid)):all()
        assert.same({ { uid = 2, name = "Bob" }, { uid = 1, name = "Ada" } },
          rows)
      end)

      it("joins a grouped subquery", function()
        local u, p = s.users, s.posts
        local pc = db:select({ authorId = p.authorId, n = o.count() }):from(p)
          :groupBy(p.authorId):as("pc")
        local rows = db:select({ name = u.name, n = pc.n }):from(u)
          :leftJoin(pc, eq(u.id, pc.authorId)):orderBy(u.id):all()
        assert.same({ { name = "Ada", n = 2 }, { name = "Bob", n = 1 },
          { name = "Cy" } }, rows)
      end)

      it("runs a CTE", function()
        local u = s.users
        local adults = o.cte("adults", db:select({ id = u.id, name = u.name })
          :from(u):where(o.gte(u.age, 18)))
        local rows = db:with(adults):select():from(adults)
          :where(o.like(adults.name, "B%")):all()
        assert.same({ { id = 2, name = "Bob" } }, rows)
      end)

      it("union, unionAll, intersect, except", function()
        local u, p = s.users, s.posts
        local a = db:select({ id = u.id }):from(u)
        local b = db:select({ id = p.authorId }):from(p)
        local function sorted(rows)
          local out = ids(rows)
          table.sort(out)
          return out
        end
        assert.same({ 1, 2, 3 }, sorted(a:union(b):all()))
        assert.same({ 1, 1, 1, 2, 2, 3 }, sorted(a:unionAll(b):all()))
        -- MySQL: MariaDB has intersect and except since 10.3
        assert.same({ 1, 2 }, sorted(a:intersect(b):all()))
        assert.same({ 3 }, sorted(a:except(b):all()))
      end)
    end)

    describe("writes", function()
      before_each(function() seed(db, s) end)

      -- MySQL spells upserts "on duplicate key update": the on conflict
      -- builders are refused there with a usage error naming it, and no
      -- statement reaches the server.
      local function no_conflict_clause(q)
        local err = check.raises_kind("usage", function() return q:run() end)
        assert.truthy(err.message:find("on duplicate key update", 1, true))
        assert.equal(3, db:select({ n = o.count() }):from(s.users):get().n)
      end

      it("onConflictDoNothing with a target leaves the row alone", function()
        local q = db:insert(s.users):values({ name = "Other",
          email = "ada@x.io" }):onConflictDoNothing({ target = s.users.email })
        if d.name == "mysql" then return no_conflict_clause(q) end
        local r = q:run()
        assert.equal(0, r.rowsAffected)
        assert.equal("Ada", db:select():from(s.users)
          :where(eq(s.users.id, 1)):get().name)
      end)

      it("onConflictDoNothing without a target", function()
        local q = db:insert(s.users):values({
          { name = "New", email = "new@x.io" },
          { name = "Dup", email = "cy@x.io" },
        }):onConflictDoNothing()
        if d.name == "mysql" then return no_conflict_clause(q) end
        local r = q:run()
        assert.equal(1, r.rowsAffected)
        assert.equal(4, db:select({ n = o.count() }):from(s.users):get().n)
      end)

      it("onConflictDoUpdate updates the existing row", function()
        local q = db:insert(s.users):values({ name = "Ada2",
          email = "ada@x.io" })
          :onConflictDoUpdate({ target = s.users.email,
            set = { name = "Ada Lovelace" } })
        if d.name == "mysql" then return no_conflict_clause(q) end
        local row = q:returning():get()
        assert.same({ id = 1, name = "Ada Lovelace", email = "ada@x.io",
          role = "admin", age = 36 }, row)
        assert.equal(3, db:select({ n = o.count() }):from(s.users):get().n)
      end)

      if d.name == "mysql" then
        it("onDuplicateKeyUpdate updates the existing row", function()
          db:insert(s.users):values({ name = "Ada2", email = "ada@x.io" })
            :onDuplicateKeyUpdate({ set = { name = "Ada Lovelace" } }):run()
          assert.equal("Ada Lovelace", db:select():from(s.users)
            :where(eq(s.users.id, 1)):get().name)
        end)
      end

      it("update ... returning gives the new values", function()
        local q = db:update(s.users):set({ age = 40 })
          :where(eq(s.users.role, "member"))
          :returning({ id = s.users.id, age = s.users.age })
        if d.name == "mysql" then
          -- MySQL and MariaDB have no UPDATE ... RETURNING
          local err = check.raises_kind("usage", function() return q:all() end)
          assert.truthy(err.message:find("returning", 1, true))
          assert.equal(25, db:select():from(s.users):where(eq(s.users.id, 2))
            :get().age)
          return
        end
        local rows = q:all()
        table.sort(rows, function(a, b) return a.id < b.id end)
        assert.same({ { id = 2, age = 40 }, { id = 3, age = 40 } }, rows)
      end)

      it("delete removes rows and cascades to referencing rows", function()
        local r = db:delete(s.users):where(eq(s.users.id, 1)):run()
        assert.equal(1, r.rowsAffected)
        -- posts.author_id references users.id on delete cascade
        assert.same({ { id = 3 } }, db:select({ id = s.posts.id })
          :from(s.posts):all())
      end)

      -- MySQL: MariaDB's DELETE ... RETURNING
      it("delete ... returning", function()
        local rows = db:delete(s.posts):where(eq(s.posts.authorId, 1))
          :returning({ title = s.posts.title }):all()
        table.sort(rows, function(a, b) return a.title < b.title end)
        assert.same({ { title = "Again" }, { title = "Hello" } }, rows)
      end)
    end)

    describe("raw SQL, prepared statements and batches", function()
      it("db:execute(sleet.sql(...)) returns rows keyed by column name",
        function()
          local rows = db:execute(o.sql("select ? as x, ? as y", 42, "s"))
          assert.equal(1, #rows)
          assert.equal("s", rows[1].y)
          assert.equal(42, tonumber(rows[1].x))
          if d.name == "postgresql" then
            -- a raw parameter has no type on PostgreSQL: the server takes
            -- it as text, and text comes back
            assert.equal("42", rows[1].x)
          else
            assert.equal(42, rows[1].x)
            check.is_integer(rows[1].x)
          end
        end)

      it("a cast in raw SQL gives a typed value on every dialect",
        function()
          local int = d.name == "mysql" and "signed" or "integer"
          local rows = db:execute(o.sql("select cast(? as " .. int
            .. ") as x", 42))
          assert.same({ { x = 42 } }, rows)
          check.is_integer(rows[1].x)
        end)

      it("db:execute runs statements that change data", function()
        seed(db, s)
        db:execute(o.sql("update ? set ? = ? where ? = ?", s.users,
          o.identifier("age"), 50, s.users.id, 2))
        assert.equal(50, db:select():from(s.users):where(eq(s.users.id, 2))
          :get().age)
      end)

      it("prepared statements take placeholder values", function()
        seed(db, s)
        local byId = db:select():from(s.users)
          :where(eq(s.users.id, o.placeholder("id"))):prepare("user_by_id")
        assert.same(ADA, byId:get({ id = 1 }))
        assert.same(CY, byId:get({ id = 3 }))
        assert.is_nil(byId:get({ id = 42 }))
        assert.same({ BOB }, byId:all({ id = 2 }))
        local page = db:select({ id = s.users.id }):from(s.users)
          :orderBy(s.users.id):limit(o.placeholder("n")):prepare("page")
        assert.same({ { id = 1 }, { id = 2 } }, page:all({ n = 2 }))
        assert.same({ { 1 } }, page:values({ n = 1 }))
      end)

      it("a missing placeholder value is an error, not a NULL", function()
        local byId = db:select():from(s.users)
          :where(eq(s.users.id, o.placeholder("id"))):prepare("p")
        check.raises_kind({ "validation", "usage" }, function()
          return byId:get({})
        end)
      end)

      it("batch runs queries in order and returns their results", function()
        local results = db:batch({
          db:insert(s.users):values({ name = "A" }),
          db:insert(s.users):values({ name = "B" }),
          db:select({ n = o.count() }):from(s.users),
        })
        assert.equal(3, #results)
        assert.same({ { n = 2 } }, results[3])
      end)
    end)

    describe("lifetime", function()
      it("close() is idempotent and later use raises, never crashes",
        function()
          local db2 = d.open()
          db2:close()
          db2:close()
          check.raises_kind({ "connection", "usage" }, function()
            return db2:select():from(s.users):all()
          end)
          check.raises_kind({ "connection", "usage" }, function()
            return db2:execute(o.sql("select 1"))
          end)
        end)

      -- Lua 5.4 syntax: compiled from text so that the file loads on LuaJIT
      local closing = _VERSION == "Lua 5.4" and assert(load([[
        local d, s = ...
        local db2 <close> = d.open()
        assert(#db2:select():from(s.users):all() == 0)
        return db2
      ]]))
      if closing then
        it("<close> closes the connection at the end of the block (Lua 5.4)",
          function()
          local outer = closing(d, s)
          check.raises_kind({ "connection", "usage" }, function()
            return outer:select():from(s.users):all()
          end)
        end)
      end

      it("a collected connection is closed without trouble", function()
        -- the server-side sessions of the connections made below: each is
        -- known by its id, so sessions other specs are still closing do not
        -- count
        local function session_id(c)
          if d.name == "postgresql" then
            return c:execute(o.sql("select pg_backend_pid() as id"))[1].id
          elseif d.name == "mysql" then
            return c:execute(o.sql("select connection_id() as id"))[1].id
          end
        end
        local function alive(sids)
          if #sids == 0 then return 0 end
          local list = table.concat(sids, ", ")
          if d.name == "postgresql" then
            return db:execute(o.sql("select count(*) as n from "
              .. "pg_stat_activity where pid in (" .. list .. ")"))[1].n
          end
          return db:execute(o.sql("select count(*) as n from "
            .. "information_schema.processlist where id in (" .. list
            .. ")"))[1].n
        end
        local sids = {}
        for i = 1, 20 do
          -- d.connect: a connection that leaves the tables alone (on SQLite
          -- in memory, a database of its own)
          local db2 = d.connect(s)
          assert.same({ { one = i } }, db2:execute(o.sql("select "
            .. i .. " as one")))
          sids[#sids + 1] = session_id(db2)
        end
        collectgarbage()
        collectgarbage()
        -- the servers see the sessions end (asynchronously: wait a little)
        local deadline = os.time() + 5
        local now = alive(sids)
        while now ~= 0 and os.time() < deadline do
          os.execute("sleep 0.05")
          now = alive(sids)
        end
        assert.equal(0, now)
        db:insert(s.users):values({ name = "still usable" }):run()
        assert.equal(1, db:select({ n = o.count() }):from(s.users):get().n)
      end)

      it("an open iterator keeps its connection alive", function()
        local db2, s2 = d.open()
        db2:insert(s2.users):values({ { name = "a" }, { name = "b" },
          { name = "c" } }):run()
        local nextrow = db2:select():from(s2.users):orderBy(s2.users.id)
          :iter()
        db2 = nil -- luacheck: ignore
        collectgarbage()
        collectgarbage()
        local got = {}
        for row in nextrow do got[#got + 1] = row.name end
        assert.same({ "a", "b", "c" }, got)
      end)

      it("closing while an iterator is open fails the iterator cleanly",
        function()
          local db2, s2 = d.open()
          db2:insert(s2.users):values({ { name = "a" }, { name = "b" } }):run()
          local nextrow = db2:select():from(s2.users):iter()
          assert.is_table(nextrow())
          -- close finalizes the open cursor (docs/internals.md): the next
          -- step raises a usage error instead of reading freed memory
          assert.is_true((pcall(db2.close, db2)))
          local ok2, err = pcall(nextrow)
          assert.is_false(ok2)
          check.sleet_error(err, "usage")
          pcall(db2.close, db2)
        end)
    end)
  end)
end
