-- Views (API.md, "Names of the second round"): pg.view,
-- pg.materializedView, mysql.view, sqlite.view. The same body runs on every
-- dialect: a view defined by a query builder or by sql is selectable like a
-- table (filters, joins, relational queries, its columns' codecs), push
-- creates it after its tables and finds nothing left, a change of a
-- column under it goes through (the view is dropped and created around
-- it), an existing() view is never touched; materialized views refresh
-- (PostgreSQL). Options of another dialect are usage errors. Migrations of
-- views (generate, migrate, rollback) are in kit_objects_spec.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local kit = require "sleet.kit"
local sleet = require "sleet"

local eq, gt, asc = sleet.eq, sleet.gt, sleet.asc

local function usage(f, text)
  local e = check.raises_kind("usage", f)
  assert.truthy(e.message:find(text, 1, true), e.message)
end

local function build(m, wide)
  local s = {}
  s.users = m.table("vw_users", {
    id = m.integer():primaryKey(),
    name = m.text():notNull(),
    active = (m.boolean and m.boolean() or
      m.integer({ mode = "boolean" })):notNull(),
    score = wide and (m.bigint and m.bigint() or m.real()) or m.integer(),
  })
  s.posts = m.table("vw_posts", {
    id = m.integer():primaryKey(),
    authorId = m.integer("author_id"):notNull(),
    title = m.text(),
  })
  local users = s.users
  s.active = m.view("vw_active"):as(function(qb)
    return qb:select({ id = users.id, name = users.name,
      active = users.active, score = users.score })
      :from(users):where(eq(users.active, true))
  end)
  -- a view over a view, by sql, with its columns declared
  s.best = m.view("vw_best", { id = m.integer(), name = m.text() })
    :as(sleet.sql("select id, name from vw_active where score > 10"))
  return s
end

for _, d in ipairs(dialects.live()) do
  describe("views on " .. d.name, function()
    local db, s

    before_each(function()
      db, s = d.open(build)
      db:insert(s.users):values({
        { id = 1, name = "ann", active = true, score = 20 },
        { id = 2, name = "bob", active = false, score = 30 },
        { id = 3, name = "cy", active = true, score = 5 },
      }):run()
      db:insert(s.posts):values({ { id = 1, authorId = 1, title = "a" },
        { id = 2, authorId = 3, title = "b" } }):run()
    end)

    after_each(function()
      d.reset(db, s)
      db:close()
    end)

    it("select, filter and join like tables, with their columns' codecs",
      function()
        local rows = db:select():from(s.active):orderBy(asc(s.active.id)):all()
        assert.same({ { id = 1, name = "ann", active = true, score = 20 },
          { id = 3, name = "cy", active = true, score = 5 } }, rows)
        local r = db:select({ title = s.posts.title }):from(s.active)
          :innerJoin(s.posts, eq(s.posts.authorId, s.active.id))
          :where(gt(s.active.score, 10)):all()
        assert.same({ { title = "a" } }, r)
        assert.same({ { id = 1, name = "ann" } }, db:select():from(s.best):all())
        assert.equal(2, db:count(s.active))
        local sql = db:select():from(s.active):toSQL().sql
        assert.truthy(sql:find("vw_active", 1, true), sql)
      end)

    it("load in relational queries", function()
      local rels = sleet.defineRelations(s, function(r) return {
        active = { posts = r.many.posts({ from = r.active.id,
          to = r.posts.authorId }) },
      } end)
      local rdb = d.open(function() return s end, { relations = rels })
      rdb:insert(s.users):values({ id = 1, name = "ann", active = true,
        score = 20 }):run()
      rdb:insert(s.posts):values({ id = 1, authorId = 1, title = "a" }):run()
      local got = rdb.query.active:findMany({ with = { posts = true } })
      assert.equal(1, #got)
      assert.equal("a", got[1].posts[1].title)
      assert.is_true(got[1].active)
      rdb:close()
    end)

    it("push creates them after their tables and then finds nothing",
      function()
        assert.same({}, kit.plan(db, s).statements or {})
        local ddl = kit.export(s, d.name)
        local last = ddl[#ddl]
        assert.truthy(last:find("^CREATE .*VIEW"), last)
        assert.truthy(last:find("vw_best", 1, true), last)
        assert.truthy(ddl[#ddl - 1]:find("vw_active", 1, true))
      end)

    it("go around a change of a column under them", function()
      local wide = build(d.module(), true)
      local plan = kit.plan(db, wide).statements
      assert.truthy(plan[1]:find("DROP VIEW", 1, true), plan[1])
      assert.truthy(plan[1]:find("vw_best", 1, true), plan[1])
      assert.truthy(plan[2]:find("vw_active", 1, true), plan[2])
      assert.truthy(plan[#plan]:find("vw_best", 1, true), plan[#plan])
      kit.push(db, wide, { force = true })
      assert.same({}, kit.plan(db, wide).statements or {})
      assert.equal(2, db:count(wide.active))
      assert.same({ { id = 1, name = "ann" } }, db:select():from(wide.best)
        :all())
    end)

    it("leave an existing() view alone", function()
      db:execute("create view vw_legacy as select id from vw_users")
      local m = d.module()
      local legacy = m.view("vw_legacy", { id = m.integer() }):existing()
      local with = { users = s.users, posts = s.posts, active = s.active,
        best = s.best, legacy = legacy }
      assert.same({}, kit.plan(db, with).statements or {})
      assert.equal(3, db:count(legacy))
      -- a view the schema does not name is left alone too, unless pruned
      assert.same({}, kit.plan(db, s).statements or {})
      local pruned = kit.plan(db, s, { prune = true }).statements
      assert.truthy(table.concat(pruned, "\n"):find("DROP VIEW", 1, true))
      db:execute("drop view vw_legacy")
    end)

    it("check their definitions", function()
      local m = d.module()
      local t = s.users
      usage(function()
        m.view("vw_x"):as(sleet.sql("select 1"))
      end, "declares its columns")
      usage(function()
        m.view("vw_x"):as(function(qb)
          return qb:select():from(t):innerJoin(s.posts,
            eq(s.posts.authorId, t.id))
        end)
      end, "select named fields")
      usage(function() m.view("vw_x"):as(42) end, "as expects a select query")
      if d.name ~= "postgresql" then
        usage(function() m.view("vw_x"):with({ securityBarrier = true }) end,
          "with is not an option")
        assert.is_nil(m.materializedView)
        usage(function() db:refreshMaterializedView(s.active) end,
          "expected a materialized view")
      end
      if d.name ~= "mysql" then
        usage(function() m.view("vw_x"):algorithm("merge") end,
          "algorithm is not an option")
      end
    end)
  end)
end

for _, d in ipairs(dialects.live()) do
  if d.name == "postgresql" then
    describe("materialized views on postgresql", function()
      local db, s

      local function build2(m)
        local users = m.table("vw_musers", { id = m.integer():primaryKey(),
          score = m.integer() })
        return {
          users = users,
          top = m.materializedView("vw_top"):withNoData():as(function(qb)
            return qb:select({ id = users.id, score = users.score }):from(users)
              :where(gt(users.score, 10))
          end),
        }
      end

      before_each(function() db, s = d.open(build2) end)
      after_each(function()
        d.reset(db, s)
        db:close()
      end)

      it("refresh, concurrently too", function()
        db:insert(s.users):values({ { id = 1, score = 20 },
          { id = 2, score = 1 } }):run()
        -- created with no data: PostgreSQL refuses to read it until refreshed
        check.raises_kind("database", function()
          db:select():from(s.top):all()
        end)
        db:refreshMaterializedView(s.top):run()
        assert.same({ { id = 1, score = 20 } }, db:select():from(s.top):all())
        db:insert(s.users):values({ id = 3, score = 30 }):run()
        db:execute('create unique index vw_top_id on "vw_top" (id)')
        local q = db:refreshMaterializedView(s.top):concurrently()
        assert.equal('refresh materialized view concurrently "public"."vw_top"',
          q:toSQL())
        q:run()
        assert.equal(2, db:count(s.top))
        usage(function()
          db:refreshMaterializedView(s.top):concurrently():withNoData():run()
        end, "cannot go together")
        usage(function() db:refreshMaterializedView(s.users) end,
          "expected a materialized view")
        assert.same({}, kit.plan(db, s).statements or {})
      end)
    end)
  end
end
