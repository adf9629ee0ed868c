-- Migrations of the schema objects of the second round, on the dialects
-- that have them: identity columns, sequences, NULLS NOT DISTINCT, index
-- direction, NULLS order and access method, array columns, views and
-- materialized views (PostgreSQL), onUpdateNow, descending indexes and
-- views (MySQL), descending indexes and views (SQLite), a view over a
-- column whose type changes among them. For each version: generate writes a
-- migration, migrate applies it, push finds nothing and generate again
-- writes nothing; then every migration rolls back and the database is as
-- it was before it.
local dialects = require "spec.support.dialects"
local introspect = require "sleet.introspect"
local kit = require "sleet.kit"
local migrator = require "sleet.migrator"
local snapshot = require "sleet.snapshot"

local TABLE = "__kit_objects_migrations"

local VERSIONS = {}

local sql = require("sleet").sql

local gt = require("sleet").gt

VERSIONS.postgresql = {
  function(m)
    local reader = m.role("obj_reader")
    local things
    things = m.table("obj_things", {
        id = m.integer():primaryKey():generatedByDefaultAsIdentity(),
        code = m.text(),
        score = m.integer(),
        data = m.jsonb(),
        tags = m.text():array():default({ "a", 'say "hi"' }),
        grid = m.integer():array():array(),
      }, function(t) return {
        m.unique("obj_things_code"):on(t.code):nullsNotDistinct(),
        m.index("obj_things_score"):on(t.score:desc():nullsLast()),
        m.uniqueIndex("obj_things_sc"):on(t.score, t.code):nullsNotDistinct(),
        m.policy("obj_read", { for_ = "select", to = reader,
          using = sql("? > 0", t.score) }),
      } end)
    return {
      reader = reader,
      counter = m.sequence("obj_counter"),
      things = things,
      scores = m.view("obj_scores"):as(function(qb)
        return qb:select({ id = things.id, score = things.score })
          :from(things):where(gt(things.score, 0))
      end),
    }
  end,
  function(m)
    local reader = m.role("obj_reader", { createDb = true })
    local things, scores
    things = m.table("obj_things", {
        id = m.integer():primaryKey():generatedAlwaysAsIdentity({
          increment = 3 }),
        code = m.text(),
        -- a new type under the view: it is dropped and created around it
        score = m.bigint(),
        data = m.jsonb(),
        tags = m.text():array():notNull():default({}),
        grid = m.integer():array():array(),
        flags = m.boolean():array(4):default({ true, false }),
      }, function(t) return {
        m.unique("obj_things_code"):on(t.code),
        m.index("obj_things_score"):on(t.score:desc()),
        m.index("obj_things_data"):using("gin", t.data),
        m.index("obj_things_tags"):using("gin", t.tags),
        m.uniqueIndex("obj_things_sc"):on(t.score, t.code),
        -- built outside the migration's transaction
        m.index("obj_things_code_idx"):on(t.code):concurrently(),
        m.policy("obj_read", { for_ = "select", to = { reader, "public" },
          using = sql("? > 10", t.score) }),
        m.policy("obj_write", { as = "restrictive", ["for"] = "insert",
          withCheck = sql("true") }),
      } end)
    scores = m.view("obj_scores"):with({ securityBarrier = true })
      :as(function(qb)
        return qb:select({ id = things.id, score = things.score,
          code = things.code }):from(things):where(gt(things.score, 10))
      end)
    return {
      reader = reader,
      counter = m.sequence("obj_counter", { startWith = 10, increment = 2,
        cycle = true }),
      other = m.sequence("obj_other"),
      things = things,
      scores = scores,
      top = m.materializedView("obj_top"):withNoData():as(function(qb)
        return qb:select({ id = scores.id }):from(scores)
      end),
    }
  end,
  function(m)
    return {
      things = m.table("obj_things", {
        id = m.integer():primaryKey(),
        code = m.text(),
        score = m.integer(),
        data = m.jsonb(),
      }),
    }
  end,
}

VERSIONS.mysql = {
  function(m)
    local things = m.table("obj_things", {
      id = m.int():primaryKey(),
      score = m.int(),
      touched = m.timestamp({ fsp = 3 }),
    }, function(t) return {
      m.index("obj_things_score"):on(t.score:desc()),
    } end)
    return { things = things,
      scores = m.view("obj_scores"):algorithm("merge"):as(function(qb)
        return qb:select({ id = things.id, score = things.score })
          :from(things):where(gt(things.score, 0))
      end) }
  end,
  function(m)
    local things = m.table("obj_things", {
      id = m.int():primaryKey(),
      score = m.bigint(),
      touched = m.timestamp({ fsp = 3 }):notNull():defaultNow():onUpdateNow(),
    }, function(t) return {
      m.index("obj_things_score"):on(t.score),
    } end)
    return { things = things,
      scores = m.view("obj_scores"):sqlSecurity("invoker"):withCheckOption()
        :as(function(qb)
          return qb:select({ id = things.id, score = things.score })
            :from(things):where(gt(things.score, 5))
        end) }
  end,
}

VERSIONS.sqlite = {
  function(m)
    local things = m.table("obj_things", {
      id = m.integer():primaryKey(), score = m.integer(), name = m.text(),
    }, function(t) return {
      m.index("obj_things_score"):on(t.score:desc(), t.name),
    } end)
    return { things = things,
      scores = m.view("obj_scores"):as(function(qb)
        return qb:select({ id = things.id, name = things.name })
          :from(things):where(gt(things.score, 0))
      end) }
  end,
  function(m)
    return { things = m.table("obj_things", {
      id = m.integer():primaryKey(), score = m.integer(), name = m.text(),
    }, function(t) return {
      m.index("obj_things_score"):on(t.score, t.name:desc()),
    } end) }
  end,
}

local function fingerprint(db)
  local live = introspect.snapshot(db)
  for key, t in pairs(live.tables) do
    if t.name ~= "obj_things" then
      live.tables[key] = nil
    else
      for _, c in pairs(t.columns) do c.order = nil end
    end
  end
  for key, q in pairs(live.sequences or {}) do
    if not q.name:match("^obj_") then live.sequences[key] = nil end
  end
  for key, v in pairs(live.views or {}) do
    if not v.name:match("^obj_") then live.views[key] = nil end
  end
  live.enums = {}
  return snapshot.fingerprint(live)
end

for _, d in ipairs(dialects.live()) do
  local versions = VERSIONS[d.name]
  if versions then
    describe("migrations of second-round objects on " .. d.name, function()
      local db, dir, config

      local function clean()
        for _, v in ipairs({ "obj_top", "obj_scores" }) do
          db:run(("drop %sview if exists %s"):format(v == "obj_top" and
            d.name == "postgresql" and "materialized " or "", v))
        end
        d.drop(db, "obj_things", TABLE)
        if d.name == "postgresql" then
          db:run('drop table if exists "obj_rls"')
          db:run('drop sequence if exists "obj_counter"')
          db:run('drop sequence if exists "obj_other"')
          db:run('drop role if exists "obj_reader"')
        end
      end

      setup(function()
        db = d.connect()
        clean()
        dir = os.tmpname()
        os.remove(dir)
        config = { dialect = d.name, out = dir, migrations = { table = TABLE } }
      end)

      teardown(function()
        clean()
        db:close()
        os.execute("rm -rf '" .. dir .. "'")
      end)

      if d.name == "postgresql" then
        it("row-level security: a role sees only what its policy lets it",
          function()
            local m = d.module()
            local reader = m.role("obj_reader")
            local s = { reader = reader, t = m.table("obj_rls", {
              id = m.integer():primaryKey(), owner = m.text(),
            }, function(t) return {
              m.policy("obj_rls_own", { for_ = "select", to = reader,
                using = sql("? = 'ann'", t.owner) }),
            } end) }
            kit.push(db, s)
            db:insert(s.t):values({ { id = 1, owner = "ann" },
              { id = 2, owner = "bob" } }):run()
            db:run('grant select on "obj_rls" to "obj_reader"')
            local function visible()
              local ids = {}
              db:transaction(function(tx)
                tx:execute(sql('set local role "obj_reader"'))
                for _, r in ipairs(tx:select():from(s.t):orderBy(s.t.id):all())
                do ids[#ids + 1] = r.id end
              end)
              return ids
            end
            assert.same({ 1 }, visible())
            assert.same({}, kit.plan(db, s).statements or {})
            -- the schema without the policy: RLS goes, every row is seen
            local open = { reader = reader, t = m.table("obj_rls", {
              id = m.integer():primaryKey(), owner = m.text() }) }
            kit.push(db, open)
            assert.same({ 1, 2 }, visible())
            d.drop(db, "obj_rls")
            db:run('drop role "obj_reader"')
          end)

        it("a renamed table's identity keeps counting; a dropped identity " ..
          "goes before the new default", function()
            local m = d.module()
            local a = { t = m.table("obj_things", {
              id = m.integer():primaryKey():generatedAlwaysAsIdentity(),
              x = m.integer():generatedByDefaultAsIdentity({
                increment = -1 }),
              n = m.text(),
            }) }
            kit.push(db, a)
            db:insert(a.t):values({ { n = "a" }, { n = "b" } }):run()
            local b = { t = m.table("obj_items", {
              id = m.integer():primaryKey():generatedAlwaysAsIdentity(),
              x = m.integer():default(0),
              n = m.text(),
            }) }
            kit.push(db, b, { renames = { tables = {
              obj_things = "obj_items" } }, force = true })
            db:insert(b.t):values({ n = "c" }):run()
            local rows = db:select():from(b.t):orderBy(b.t.id):all()
            assert.same({ { id = 1, x = -1, n = "a" }, { id = 2, x = -2, n = "b" },
              { id = 3, x = 0, n = "c" } }, rows)
            assert.same({}, kit.plan(db, b).statements or {})
            d.drop(db, "obj_items")
          end)
      end

      it("generate, migrate, and roll every step back", function()
        local prints = { [0] = fingerprint(db) }
        for i, v in ipairs(versions) do
          local schema = v(d.module())
          local r = kit.generate(config, { schema = schema,
            name = ("v%d"):format(i), now = 1700000000000 + i })
          assert.is_true(r.written, "version " .. i)
          assert.is_false(kit.generate(config, { schema = schema }).written,
            "version " .. i .. " again")
          migrator.migrate(db, kit.migratorOptions(config))
          assert.same({}, kit.plan(db, schema,
            { migrationsTable = TABLE }).statements or {}, "version " .. i)
          prints[i] = fingerprint(db)
        end
        for i = #versions, 1, -1 do
          local done = migrator.rollback(db, { migrationsFolder = dir,
            migrationsTable = TABLE, steps = 1 })
          assert.equal(1, #done)
          assert.equal(prints[i - 1], fingerprint(db),
            "after rolling back version " .. i)
        end
      end)
    end)
  end
end
