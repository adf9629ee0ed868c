-- Migrations over a corpus of successive schema versions, on every live
-- dialect. For each version: generate writes a migration (and generating
-- again writes nothing), migrate applies it, and push then finds no
-- difference between the database and the schema, nor between the database
-- and the schema sleet-kit pull reads from it. At the end every
-- migration is rolled back, newest first, and after each rollback the
-- introspected database equals what it was before that change was applied.
local dialects = require "spec.support.dialects"
local introspect = require "sleet.introspect"
local kit = require "sleet.kit"
local migrator = require "sleet.migrator"
local sleet = require "sleet"
local snapshot = require "sleet.snapshot"

local TABLE = "__kit_corpus_migrations"
local TABLES = { "kit_users", "kit_posts", "kit_articles", "kit_tags",
  "kit_article_tags", "kit_sessions" }

-- {====================================================================
-- Schema versions as data, built with each dialect's module
-- =====================================================================

local function copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy(x) end
  return c
end

local function col(key, kind, o)
  local c = { key = key, kind = kind }
  for k, v in pairs(o or {}) do c[k] = v end
  return c
end

local function findcol(t, key)
  for i, c in ipairs(t.cols) do
    if c.key == key then return c, i end
  end
  error("no column " .. key)
end

local function dropextra(t, name)
  for i, x in ipairs(t.extras) do
    if x.name == name then
      table.remove(t.extras, i)
      return
    end
  end
  error("no extra " .. name)
end

-- The builder of one column description.
local function builder(m, dn, c, ref, enums)
  local b
  local k = c.kind
  if k == "pk" then
    b = dn == "sqlite" and m.integer(c.key) or m.serial(c.key)
    b = b:primaryKey()
  elseif k == "int" then
    b = dn == "mysql" and m.int(c.key) or m.integer(c.key)
  elseif k == "big" then
    b = dn == "sqlite" and m.real(c.key) or m.bigint(c.key)
  elseif k == "fk" then
    -- a column referencing a serial: MySQL's serial is bigint unsigned
    b = dn == "mysql" and m.bigint(c.key, { unsigned = true }) or
      m.integer(c.key)
  elseif k == "str" then
    b = dn == "mysql" and m.varchar(c.key, { length = 255 }) or m.text(c.key)
  elseif k == "varchar" then
    b = dn == "sqlite" and m.text(c.key, { length = c.length }) or
      m.varchar(c.key, { length = c.length })
  elseif k == "bool" then
    b = dn == "sqlite" and m.integer(c.key, { mode = "boolean" }) or
      m.boolean(c.key)
  elseif k == "ts" then
    b = dn == "sqlite" and m.integer(c.key, { mode = "timestamp" }) or
      m.timestamp(c.key)
  elseif k == "enum" then
    if dn == "postgresql" then
      b = enums[c.enum](c.key)
    elseif dn == "mysql" then
      b = m.enum(c.key, c.values)
    else
      b = m.text(c.key, { enum = c.values })
    end
  end
  if c.notNull then b = b:notNull() end
  if c.default ~= nil then b = b:default(c.default) end
  if c.defaultNow then b = b:defaultNow() end
  if c.unique then b = b:unique(c.unique ~= true and c.unique or nil) end
  if c.ref then
    b = b:references(function() return ref(c.ref[1], c.ref[2]) end,
      { onDelete = c.ref[3] })
  end
  if c.generated then
    b = b:generatedAlwaysAs(c.generated(sleet, ref), { mode = "stored" })
  end
  return b
end

-- The schema table of version v for dialect dn.
local function build(dn, v)
  local m = require(({ sqlite = "sleet.sqlite", postgresql = "sleet.pg",
    mysql = "sleet.mysql" })[dn])
  local schema, tables, enums = {}, {}, {}
  for name, values in pairs(v.enums or {}) do
    if dn == "postgresql" then
      enums[name] = m.enum(name, values)
      schema["enum_" .. name] = enums[name]
    end
  end
  local function ref(t, c) return tables[t][c] end
  local names = {}
  for name in pairs(v.tables) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local td = v.tables[name]
    local cols = {}
    for _, c in ipairs(td.cols) do
      local cc = copy(c)
      if cc.kind == "enum" then cc.values = v.enums[cc.enum] end
      cols[c.key] = builder(m, dn, cc, ref, enums)
    end
    local extras = function(t)
      local out = {}
      for _, x in ipairs(td.extras) do
        if x.type == "index" or x.type == "uniqueIndex" then
          local ix = m[x.type](x.name)
          local on = {}
          for i, ck in ipairs(x.cols) do on[i] = t[ck] end
          ix = ix:on(table.unpack(on))
          if x.where and dn ~= "mysql" then ix = ix:where(x.where(sleet, t)) end
          out[#out + 1] = ix
        elseif x.type == "check" then
          out[#out + 1] = m.check(x.name, x.sql(sleet, t))
        elseif x.type == "pk" then
          local on = {}
          for i, ck in ipairs(x.cols) do on[i] = t[ck] end
          out[#out + 1] = m.primaryKey({ columns = on })
        elseif x.type == "unique" then
          local on = {}
          for i, ck in ipairs(x.cols) do on[i] = t[ck] end
          out[#out + 1] = m.unique(x.name):on(table.unpack(on))
        end
      end
      return out
    end
    if td.schema and dn == "postgresql" then
      tables[name] = m.schema(td.schema).table(name, cols, extras)
    else
      tables[name] = m.table(name, cols, extras)
    end
    schema[name] = tables[name]
  end
  return schema
end

-- }====================================================================

-- {====================================================================
-- The corpus: one change per step
-- =====================================================================

local U, P, A = "kit_users", "kit_posts", "kit_articles"

local steps = {
  { "create a table", function(v)
    v.tables[U] = { cols = { col("id", "pk"), col("name", "str",
      { notNull = true }) }, extras = {} }
  end },
  { "add a nullable column", function(v)
    table.insert(v.tables[U].cols, col("email", "str"))
  end },
  { "add a unique constraint on a column", function(v)
    findcol(v.tables[U], "email").unique = true
  end },
  { "create a table with a foreign key", function(v)
    v.tables[P] = { cols = { col("id", "pk"), col("author_id", "fk",
      { notNull = true, ref = { U, "id", "cascade" } }),
      col("title", "str", { notNull = true }) }, extras = {} }
  end },
  { "create an index", function(v)
    table.insert(v.tables[P].extras, { type = "index",
      name = "kit_posts_author_idx", cols = { "title" } })
  end },
  { "add a column with a default", function(v)
    table.insert(v.tables[U].cols, col("role", "str", { notNull = true,
      default = "member" }))
  end },
  { "change a default", function(v)
    findcol(v.tables[U], "role").default = "guest"
  end },
  { "drop a default", function(v)
    findcol(v.tables[U], "role").default = nil
  end },
  { "add an integer column", function(v)
    table.insert(v.tables[U].cols, col("age", "int"))
  end },
  { "set not null", function(v)
    findcol(v.tables[U], "age").notNull = true
  end },
  { "drop not null", function(v)
    findcol(v.tables[U], "age").notNull = nil
  end },
  { "add a check constraint", function(v)
    table.insert(v.tables[U].extras, { type = "check", name = "kit_age_check",
      sql = function(s, t) return s.sql("? >= 0", t.age) end })
  end },
  { "drop a check constraint", function(v)
    dropextra(v.tables[U], "kit_age_check")
  end },
  { "rename a column", function(v)
    findcol(v.tables[U], "name").key = "full_name"
  end, renames = { columns = { ["kit_users.name"] = "full_name" } } },
  { "rename a table", function(v)
    v.tables[A] = v.tables[P]
    v.tables[P] = nil
  end, renames = { tables = { kit_posts = "kit_articles" } } },
  { "create a unique index", function(v)
    table.insert(v.tables[A].extras, { type = "uniqueIndex",
      name = "kit_articles_title_uq", cols = { "title" } })
  end },
  { "drop an index", function(v)
    dropextra(v.tables[A], "kit_posts_author_idx")
  end },
  { "create a table with a composite primary key", function(v)
    v.tables.kit_tags = { cols = { col("id", "pk"), col("label", "str",
      { notNull = true }) }, extras = {} }
    v.tables.kit_article_tags = { cols = { col("article_id", "fk",
      { notNull = true }), col("tag_id", "fk", { notNull = true }) },
      extras = { { type = "pk", cols = { "article_id", "tag_id" } } } }
  end },
  { "create a partial index", function(v)
    table.insert(v.tables[U].extras, { type = "index", name = "kit_age_idx",
      cols = { "age" },
      where = function(s, t) return s.sql("? is not null", t.age) end })
  end },
  { "change a foreign key's action", function(v)
    findcol(v.tables[A], "author_id").ref[3] = "restrict"
  end },
  { "drop a foreign key", function(v)
    findcol(v.tables[A], "author_id").ref = nil
  end },
  { "add a foreign key to an existing table", function(v)
    findcol(v.tables.kit_article_tags, "tag_id").ref = { "kit_tags", "id",
      "cascade" }
  end },
  { "change a column's type", function(v)
    findcol(v.tables[U], "age").kind = "big"
  end },
  { "add a varchar column", function(v)
    table.insert(v.tables[U].cols, col("code", "varchar", { length = 10 }))
  end },
  { "widen a varchar", function(v)
    findcol(v.tables[U], "code").length = 20
  end, only = { postgresql = true, mysql = true } },
  { "add an enum column", function(v)
    v.enums = { kit_mood = { "sad", "ok" } }
    table.insert(v.tables[U].cols, col("mood", "enum", { enum = "kit_mood" }))
  end },
  { "add an enum value", function(v)
    v.enums.kit_mood = { "sad", "ok", "happy" }
  end, only = { postgresql = true, mysql = true } },
  { "add a multi-column unique constraint", function(v)
    table.insert(v.tables[U].extras, { type = "unique",
      name = "kit_users_name_email_unique", cols = { "full_name", "email" } })
  end },
  { "drop a unique constraint", function(v)
    dropextra(v.tables[U], "kit_users_name_email_unique")
  end },
  { "add a column defaulting to now", function(v)
    table.insert(v.tables[U].cols, col("created_at", "ts",
      { defaultNow = true }))
  end },
  { "add a boolean with a default", function(v)
    table.insert(v.tables[U].cols, col("active", "bool", { notNull = true,
      default = true }))
  end },
  { "drop a column", function(v)
    local _, i = findcol(v.tables[U], "code")
    table.remove(v.tables[U].cols, i)
  end },
  { "drop the unique constraint of a column", function(v)
    findcol(v.tables[U], "email").unique = nil
  end },
  { "drop a table", function(v)
    v.tables.kit_article_tags = nil
  end },
  { "create a table in another schema", function(v)
    v.tables.kit_sessions = { schema = "kit_auth", cols = { col("id", "pk"),
      col("user_id", "fk", { notNull = true, ref = { U, "id", "cascade" } }) },
      extras = {} }
  end },
}

-- }====================================================================

-- The introspected database, restricted to the corpus, without column
-- positions (a column dropped and added back comes last).
local function fingerprint(db)
  local live = introspect.snapshot(db, { schemas = { "kit_auth" } })
  local keep = {}
  for _, t in ipairs(TABLES) do keep[t] = true end
  for key, t in pairs(live.tables) do
    if not keep[t.name] then
      live.tables[key] = nil
    else
      for _, c in pairs(t.columns) do c.order = nil end
      if live.dialect == "sqlite" then
        -- SQLite keeps a constraint's name in the table's text: a renamed
        -- table keeps the old names until it is rebuilt
        local fks = {}
        for _, fk in pairs(t.foreignKeys) do
          fk.name = fk.tableTo .. "(" .. table.concat(fk.columnsFrom, ",") ..
            ")"
          fks[fk.name] = fk
        end
        t.foreignKeys = fks
      end
    end
  end
  for key, e in pairs(live.enums) do
    if e.name ~= "kit_mood" then live.enums[key] = nil end
  end
  return snapshot.fingerprint(live)
end

local function clean(db, d)
  local c = db:_connection()
  if d.name == "mysql" then c:exec_sql("set foreign_key_checks = 0") end
  for _, t in ipairs(TABLES) do
    local cascade = d.name == "postgresql" and " cascade" or ""
    local qt = d.name == "mysql" and ("`" .. t .. "`") or ('"' .. t .. '"')
    c:exec_sql("drop table if exists " .. qt .. cascade)
  end
  c:exec_sql("drop table if exists " .. (d.name == "mysql" and
    ("`" .. TABLE .. "`") or ('"' .. TABLE .. '"')))
  if d.name == "mysql" then c:exec_sql("set foreign_key_checks = 1") end
  if d.name == "postgresql" then
    c:exec_sql('drop schema if exists "kit_auth" cascade')
    c:exec_sql('drop type if exists "kit_mood" cascade')
  end
end

for _, d in ipairs(dialects.live()) do
  describe("migration corpus on " .. d.name, function()
    local db, dir, config, mo
    local prints, wrote = {}, {}
    local v = { tables = {} }

    setup(function()
      db = d.connect()
      clean(db, d)
      dir = os.tmpname()
      os.remove(dir)
      config = { dialect = d.name, out = dir, migrations = { table = TABLE } }
      mo = kit.migratorOptions(config)
      prints[0] = fingerprint(db)
    end)

    teardown(function()
      clean(db, d)
      db:close()
      os.execute("rm -rf '" .. dir .. "'")
    end)

    it("has at least 30 changes", function()
      assert.is_true(#steps >= 30)
    end)

    for i, step in ipairs(steps) do
      local name, change = step[1], step[2]
      it(("%02d %s: generate, migrate, push finds nothing"):format(i, name),
        function()
          change(v)
          local schema = build(d.name, v)
          local r = kit.generate(config, { schema = schema,
            renames = step.renames, name = ("step_%02d"):format(i),
            now = 1700000000000 + i })
          local applies = step.only == nil or step.only[d.name]
          if applies then
            assert.is_true(r.written, "no migration for: " .. name)
          end
          wrote[i] = r.written
          -- nothing changed since: nothing is written
          local again = kit.generate(config, { schema = schema })
          assert.is_false(again.written)
          migrator.migrate(db, mo)
          local plan = kit.plan(db, schema, { migrationsTable = TABLE })
          assert.same({}, plan.statements or {})
          prints[i] = fingerprint(db)
          -- pull reads the database back as a schema push agrees with
          local pulled = kit.pull({ dialect = d.name, tablesFilter = "kit_*",
            schemaFilter = { "public", "kit_auth" },
            migrations = { table = TABLE } }, { db = db, write = false })
          assert.same({}, pulled.notes)
          local ps = assert(load(pulled.schema, "=schema.lua"))()
          local want = snapshot.build(schema, d.name)
          local got = snapshot.build(ps, d.name)
          local wk, gk = {}, {}
          for k in pairs(want.tables) do wk[#wk + 1] = k end
          for k in pairs(got.tables) do gk[#gk + 1] = k end
          table.sort(wk)
          table.sort(gk)
          assert.same(wk, gk)
          assert.same({}, kit.plan(db, ps, { migrationsTable = TABLE })
            .statements or {}, pulled.schema)
          assert(load(pulled.relations, "=relations.lua"))()(ps)
        end)
    end

    it("rolls every change back to the state before it", function()
      for i = #steps, 1, -1 do
        if wrote[i] then
          local done = migrator.rollback(db, { migrationsFolder = dir,
            migrationsTable = TABLE, steps = 1 })
          assert.equal(1, #done)
          local j = i - 1
          while j > 0 and prints[j] == nil do j = j - 1 end
          assert.equal(prints[j], fingerprint(db),
            ("after rolling back %02d %s"):format(i, steps[i][1]))
        end
      end
      assert.equal(0, #migrator.applied(db, mo))
    end)
  end)
end
