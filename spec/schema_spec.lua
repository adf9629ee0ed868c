-- The schema DSL: column order and SQL names, table readers, DDL text from
-- kit.export, runtime defaults and the logger option; and modifiers and
-- table extras as kit.push creates them on every live dialect, read back
-- from each database's catalog (SQLite's pragma functions, PostgreSQL's
-- pg_catalog, MySQL's information_schema).
local sleet = require "sleet"
local kit = require "sleet.kit"
local m = require "sleet.sqlite"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local function open(schema, opts)
  local o = { schema = schema }
  for k, v in pairs(opts or {}) do o[k] = v end
  local db = sleet.connect("sqlite::memory:", o)
  kit.push(db, schema, { force = true })
  return db
end

local function q(db, text, ...)
  return db:execute(sleet.sql(text, ...))
end

-- {====================================================================
-- Catalogs: what kit.push created, as each database describes it
-- =====================================================================

-- Per dialect:
--   columns(db, t)  → array in table order of { name, type (lower case),
--                     nn (boolean), dflt (text or nil) }
--   primary(db, t)  → the primary key's column names, in key order
--   indexes(db, t)  → name → { unique, partial, columns = {...} }
--   fks(db, t)      → array ordered by the first local column of
--                     { t, f, too (comma-separated column lists), d, u
--                     (actions in upper case: "CASCADE", "SET NULL") }
local catalog = {}

catalog.sqlite = {
  columns = function(db, name)
    local out = {}
    for i, r in ipairs(q(db, 'select name, lower(type) as type, "notnull" '
      .. "as nn, dflt_value as dflt from pragma_table_info(?) order by cid",
      name)) do
      out[i] = { name = r.name, type = r.type, nn = r.nn == 1, dflt = r.dflt }
    end
    return out
  end,
  primary = function(db, name)
    local out = {}
    for _, r in ipairs(q(db, "select name from pragma_table_info(?) where "
      .. "pk > 0 order by pk", name)) do
      out[#out + 1] = r.name
    end
    return out
  end,
  indexes = function(db, name)
    local out = {}
    for _, ix in ipairs(q(db, 'select name, "unique" as u, partial from '
      .. "pragma_index_list(?)", name)) do
      local cols = {}
      for _, c in ipairs(q(db, "select name from pragma_index_info(?) "
        .. "order by seqno", ix.name)) do
        cols[#cols + 1] = c.name
      end
      out[ix.name] = { unique = ix.u == 1, partial = ix.partial == 1,
        columns = cols }
    end
    return out
  end,
  fks = function(db, name)
    local byid, out = {}, {}
    for _, r in ipairs(q(db, 'select id, "table" as t, "from" as f, '
      .. '"to" as too, on_delete as d, on_update as u from '
      .. "pragma_foreign_key_list(?) order by id, seq", name)) do
      local fk = byid[r.id]
      if fk then
        fk.f = fk.f .. "," .. r.f
        fk.too = fk.too .. "," .. r.too
      else
        fk = { t = r.t, f = r.f, too = r.too, d = r.d, u = r.u }
        byid[r.id] = fk
        out[#out + 1] = fk
      end
    end
    table.sort(out, function(a, b) return a.f < b.f end)
    return out
  end,
}

local pg_actions = { a = "NO ACTION", r = "RESTRICT", c = "CASCADE",
  n = "SET NULL", d = "SET DEFAULT" }

-- The column names of attribute numbers array expression arr of relation
-- rel, comma-separated in array order (PostgreSQL).
local function pg_attnames(arr, rel)
  return "(select string_agg(a.attname, ',' order by k.o) from unnest("
    .. arr .. ") with ordinality k(n, o) join pg_attribute a on a.attrelid "
    .. "= " .. rel .. " and a.attnum = k.n)"
end

catalog.postgresql = {
  columns = function(db, name)
    local out = {}
    for i, r in ipairs(q(db, "select a.attname as name, "
      .. "format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as nn, "
      .. "pg_get_expr(d.adbin, d.adrelid) as dflt from pg_attribute a "
      .. "left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = "
      .. "a.attnum where a.attrelid = quote_ident(?)::regclass and "
      .. "a.attnum > 0 and not a.attisdropped order by a.attnum", name)) do
      out[i] = { name = r.name, type = r.type, nn = r.nn, dflt = r.dflt }
    end
    return out
  end,
  primary = function(db, name)
    local r = q(db, "select " .. pg_attnames("ix.indkey", "ix.indrelid")
      .. " as cols from pg_index ix where ix.indisprimary and ix.indrelid = "
      .. "quote_ident(?)::regclass", name)[1]
    local out = {}
    for c in ((r and r.cols) or ""):gmatch("[^,]+") do out[#out + 1] = c end
    return out
  end,
  indexes = function(db, name)
    local out = {}
    for _, r in ipairs(q(db, "select i.relname as name, ix.indisunique as u, "
      .. "ix.indpred is not null as partial, "
      .. pg_attnames("ix.indkey", "ix.indrelid") .. " as cols from pg_index "
      .. "ix join pg_class i on i.oid = ix.indexrelid where ix.indrelid = "
      .. "quote_ident(?)::regclass", name)) do
      local cols = {}
      for c in (r.cols or ""):gmatch("[^,]+") do cols[#cols + 1] = c end
      out[r.name] = { unique = r.u, partial = r.partial, columns = cols }
    end
    return out
  end,
  fks = function(db, name)
    local out = {}
    for _, r in ipairs(q(db, "select c.confrelid::regclass::text as t, "
      .. pg_attnames("c.conkey", "c.conrelid") .. " as f, "
      .. pg_attnames("c.confkey", "c.confrelid") .. " as too, "
      .. "c.confdeltype::text as d, c.confupdtype::text as u "
      .. "from pg_constraint c where c.contype = 'f' and c.conrelid = "
      .. "quote_ident(?)::regclass order by 2", name)) do
      out[#out + 1] = { t = r.t, f = r.f, too = r.too, d = pg_actions[r.d],
        u = pg_actions[r.u] }
    end
    return out
  end,
}

catalog.mysql = {
  columns = function(db, name)
    local out = {}
    for i, r in ipairs(q(db, "select column_name as name, column_type as "
      .. "type, is_nullable as nullable, column_default as dflt from "
      .. "information_schema.columns where table_schema = database() and "
      .. "table_name = ? order by ordinal_position", name)) do
      out[i] = { name = r.name, type = r.type:lower(),
        nn = r.nullable == "NO", dflt = r.dflt }
    end
    return out
  end,
  primary = function(db, name)
    local out = {}
    for _, r in ipairs(q(db, "select column_name as c from "
      .. "information_schema.statistics where table_schema = database() and "
      .. "table_name = ? and index_name = 'PRIMARY' order by seq_in_index",
      name)) do
      out[#out + 1] = r.c
    end
    return out
  end,
  indexes = function(db, name)
    local out = {}
    for _, r in ipairs(q(db, "select index_name as name, non_unique as nu, "
      .. "column_name as c from information_schema.statistics where "
      .. "table_schema = database() and table_name = ? order by index_name, "
      .. "seq_in_index", name)) do
      local ix = out[r.name]
      if not ix then
        -- MySQL has no partial indexes
        ix = { unique = r.nu == 0, partial = false, columns = {} }
        out[r.name] = ix
      end
      ix.columns[#ix.columns + 1] = r.c
    end
    return out
  end,
  fks = function(db, name)
    local out = {}
    for _, r in ipairs(q(db, "select k.referenced_table_name as t, "
      .. "group_concat(k.column_name order by k.ordinal_position) as f, "
      .. "group_concat(k.referenced_column_name order by k.ordinal_position) "
      .. "as too, r.delete_rule as d, r.update_rule as u from "
      .. "information_schema.key_column_usage k join "
      .. "information_schema.referential_constraints r on "
      .. "r.constraint_schema = k.constraint_schema and r.constraint_name = "
      .. "k.constraint_name and r.table_name = k.table_name where "
      .. "k.table_schema = database() and k.table_name = ? and "
      .. "k.referenced_table_name is not null group by k.constraint_name, "
      .. "k.referenced_table_name, r.delete_rule, r.update_rule order by 2",
      name)) do
      out[#out + 1] = { t = r.t, f = r.f, too = r.too, d = r.d, u = r.u }
    end
    return out
  end,
}

local function column_names(db, name)
  local out = {}
  for i, c in ipairs(catalog.sqlite.columns(db, name)) do out[i] = c.name end
  return out
end

local function by_name(rows)
  local out = {}
  for _, r in ipairs(rows) do out[r.name] = r end
  return out
end

-- Whether some unique index of the table covers exactly cols.
local function has_unique(cat, db, name, cols)
  for _, ix in pairs(cat.indexes(db, name)) do
    if ix.unique and table.concat(ix.columns, ",") == table.concat(cols, ",")
    then
      return true
    end
  end
  return false
end

-- }====================================================================

describe("schema DSL", function()
  describe("columns", function()
    it("keep their source order, not the order of their keys", function()
      local t = m.table("ordered", {
        zeta = m.text(),
        alpha = m.integer(),
        mid = m.real(),
        beta = m.blob(),
      })
      local r = sleet.queryBuilder("sqlite"):select():from(t):toSQL()
      assert.equal('select "zeta", "alpha", "mid", "beta" from "ordered"',
        r.sql)
      local db = open({ ordered = t })
      finally(function() db:close() end)
      assert.same({ "zeta", "alpha", "mid", "beta" },
        column_names(db, "ordered"))
    end)

    it("take their SQL name from the first string argument, else the key",
      function()
        local t = m.table("named", {
          userId = m.integer("user_id"),
          plainKey = m.text(),
          Mixed = m.text("MiXeD name"),
        })
        local db = open({ named = t })
        finally(function() db:close() end)
        assert.same({ "user_id", "plainKey", "MiXeD name" },
          column_names(db, "named"))
      end)

    it("use the key in snake_case with casing = snake_case", function()
      local t = m.table("cased", {
        firstName = m.text(),
        homeTownId = m.integer(),
        explicitName = m.text("KeepMe"),
        plain = m.text(),
      })
      local db = open({ cased = t }, { casing = "snake_case" })
      finally(function() db:close() end)
      assert.same({ "first_name", "home_town_id", "KeepMe", "plain" },
        column_names(db, "cased"))
      db:insert(t):values({ firstName = "Ada", homeTownId = 3 }):run()
      assert.same({ firstName = "Ada", homeTownId = 3 },
        db:select():from(t):get())
      assert.equal('select "first_name", "home_town_id", "KeepMe", "plain" '
        .. 'from "cased"', db:select():from(t):toSQL().sql)
    end)
  end)

  describe("readers", function()
    local users, posts
    before_each(function()
      users = m.table("users", {
        id = m.integer():primaryKey(),
        fullName = m.text("full_name"):notNull(),
      })
      posts = m.table("blog_posts", {
        id = m.integer():primaryKey(),
      })
    end)

    it("getTableName gives the SQL name", function()
      assert.equal("users", sleet.getTableName(users))
      assert.equal("blog_posts", sleet.getTableName(posts))
    end)

    it("getColumns gives the column objects by key", function()
      local cols = sleet.getColumns(users)
      local keys = {}
      for k in pairs(cols) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.same({ "fullName", "id" }, keys)
      assert.is_true(rawequal(users.id, cols.id))
      assert.is_true(rawequal(users.fullName, cols.fullName))
    end)

    it("a table's columns are usable in queries", function()
      local r = sleet.queryBuilder("sqlite"):select({ n = users.fullName })
        :from(users):where(sleet.eq(users.id, 1)):toSQL()
      assert.equal('select "full_name" from "users" where "users"."id" = ?',
        r.sql)
    end)
  end)

  describe("kit.export DDL", function()
    local function schema_for(mod)
      local users = mod.table("users", {
        id = (mod.serial or mod.integer)():primaryKey(),
        name = mod.text():notNull(),
        role = mod.text():notNull():default("member"),
      })
      local posts = mod.table("posts", {
        id = (mod.serial or mod.integer)():primaryKey(),
        authorId = mod.integer and mod.integer("author_id"):notNull()
          :references(function() return users.id end, { onDelete = "cascade" })
          or mod.int("author_id"):notNull()
          :references(function() return users.id end, { onDelete = "cascade" }),
      }, function(t)
        return { mod.index("posts_author_idx"):on(t.authorId) }
      end)
      return { users = users, posts = posts }
    end

    local function export(schema, dialect)
      if type(kit.export) ~= "function" then
        pending("kit.export is not provided")
        return nil
      end
      local ddl = kit.export(schema, dialect)
      if type(ddl) == "table" then ddl = table.concat(ddl, "\n") end
      assert.is_string(ddl)
      return ddl:lower():gsub("%s+", " ")
    end

    it("sqlite", function()
      local ddl = export(schema_for(m), "sqlite")
      if not ddl then return end
      assert.truthy(ddl:find('create table "users" (', 1, true))
      assert.truthy(ddl:find('"id" integer primary key', 1, true))
      assert.truthy(ddl:find('"name" text not null', 1, true))
      -- modifier order within a column is free: check the column's text
      local role = ddl:match('"role" text[^,)]*')
      assert.is_string(role)
      assert.truthy(role:find("not null", 1, true))
      assert.truthy(role:find("default 'member'", 1, true))
      -- drizzle-kit spells every action: "on update no action on delete …"
      assert.truthy(ddl:find('references "users"("id") on update no action '
        .. 'on delete cascade', 1, true))
      assert.truthy(ddl:find('create index "posts_author_idx" on "posts" '
        .. '("author_id")', 1, true))
      -- users is created before posts, which references it
      assert.is_true(ddl:find('create table "users"', 1, true)
        < ddl:find('create table "posts"', 1, true))
    end)

    it("postgresql", function()
      local pg = require "sleet.pg"
      local mood = pg.enum("mood", { "sad", "ok" })
      local s = schema_for(pg)
      s.feelings = pg.table("feelings", { id = pg.serial():primaryKey(),
        mood = mood("mood") })
      s.mood = mood
      local ddl = export(s, "postgresql")
      if not ddl then return end
      assert.truthy(ddl:find('create table "users"', 1, true)
        or ddl:find('create table "public"."users"', 1, true))
      assert.truthy(ddl:find('"id" serial primary key', 1, true))
      assert.truthy(ddl:find("as enum ('sad', 'ok')", 1, true)
        or ddl:find("as enum('sad', 'ok')", 1, true))
      assert.truthy(ddl:find('"mood" "mood"', 1, true)
        or ddl:find('"mood" "public"."mood"', 1, true))
    end)

    it("mysql", function()
      local my = require "sleet.mysql"
      local ddl = export(schema_for(my), "mysql")
      if not ddl then return end
      assert.truthy(ddl:find("create table `users`", 1, true))
      assert.truthy(ddl:find("`name` text not null", 1, true))
      assert.truthy(ddl:find("create index `posts_author_idx` on `posts` "
        .. "(`author_id`)", 1, true))
    end)
  end)

  describe("runtime defaults", function()
    local db, t, n
    before_each(function()
      n = 0
      t = m.table("stamped", {
        id = m.integer():primaryKey(),
        code = m.text():notNull():defaultFn(function()
          n = n + 1
          return "gen" .. n
        end),
        touched = m.integer():onUpdateFn(function() return 99 end),
        name = m.text(),
      })
      db = open({ stamped = t })
    end)
    after_each(function() db:close() end)

    it("defaultFn fills a missing value, once per row", function()
      db:insert(t):values({ { name = "a" }, { name = "b" } }):run()
      db:insert(t):values({ name = "c" }):run()
      local rows = db:select({ code = t.code }):from(t):orderBy(t.id):all()
      assert.same({ { code = "gen1" }, { code = "gen2" }, { code = "gen3" } },
        rows)
    end)

    it("defaultFn is not called when a value is given", function()
      db:insert(t):values({ code = "mine", name = "a" }):run()
      assert.equal(0, n)
      assert.equal("mine", db:select():from(t):get().code)
    end)

    it("defaultFn values are bound parameters", function()
      local r = db:insert(t):values({ name = "a" }):toSQL()
      assert.truthy(r.sql:find('"code"', 1, true))
      assert.is_nil(r.sql:find("gen", 1, true))
      local found = false
      for _, p in ipairs(r.params) do found = found or p == "gen" .. n end
      assert.is_true(found)
    end)

    it("onUpdateFn sets its column on update", function()
      db:insert(t):values({ code = "x", touched = 1 }):run()
      db:update(t):set({ name = "renamed" }):where(sleet.eq(t.code, "x")):run()
      local row = db:select():from(t):get()
      assert.equal(99, row.touched)
      assert.equal("renamed", row.name)
    end)

    it("an explicit value wins over onUpdateFn", function()
      db:insert(t):values({ code = "x", touched = 1 }):run()
      db:update(t):set({ touched = 5 }):run()
      assert.equal(5, db:select():from(t):get().touched)
    end)

    -- Assumption: as in Drizzle, onUpdateFn also fills an insert that lacks
    -- the value when the column has no other default.
    it("onUpdateFn fills inserts without a value", function()
      db:insert(t):values({ code = "x" }):run()
      assert.equal(99, db:select():from(t):get().touched)
    end)
  end)

  describe("logger option", function()
    it("a function receives the SQL and its params", function()
      local t = m.table("logged", { id = m.integer():primaryKey(),
        v = m.text() })
      local seen = {}
      local db = open({ logged = t }, {
        logger = function(sql, params)
          seen[#seen + 1] = { sql = sql, params = params }
        end,
      })
      finally(function() db:close() end)
      seen = {}
      db:select():from(t):where(sleet.eq(t.v, "needle")):all()
      assert.equal(1, #seen)
      assert.equal('select "id", "v" from "logged" where "logged"."v" = ?',
        seen[1].sql)
      assert.same({ "needle" }, seen[1].params)
    end)

    it("true writes the SQL to stderr", function()
      local script = os.tmpname()
      local errfile = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write([[
package.path = ]] .. ("%q"):format(package.path) .. [[
package.cpath = ]] .. ("%q"):format(package.cpath) .. [[
local sleet = require "sleet"
local kit = require "sleet.kit"
local m = require "sleet.sqlite"
local t = m.table("logged", { id = m.integer():primaryKey() })
local db = sleet.connect("sqlite::memory:", { schema = { logged = t },
  logger = true })
kit.push(db, { logged = t }, { force = true })
db:select():from(t):where(sleet.eq(t.id, 424242)):all()
db:close()
io.stdout:write("ok")
]])
      f:close()
      local p = assert(io.popen(check.lua() .. " " .. script .. " 2>" .. errfile))
      local out = p:read("a")
      p:close()
      local ef = assert(io.open(errfile))
      local err = ef:read("a")
      ef:close()
      os.remove(script)
      os.remove(errfile)
      assert.equal("ok", out)
      assert.truthy(err:find('select "id" from "logged" where '
        .. '"logged"."id" = ?', 1, true), "stderr was: " .. err)
      -- the params are shown too
      assert.truthy(err:find("424242", 1, true))
    end)
  end)
end)

-- {====================================================================
-- kit.push on every live dialect
-- =====================================================================

-- The column types each dialect's builders create, as its catalog prints
-- them (MariaDB adds display widths: int(11)).
local types = {
  sqlite = { id = "integer", name = "text", ratio = "real" },
  postgresql = { id = "integer", name = "text", ratio = "real" },
  mysql = { id = "bigint(20) unsigned", name = "text", ratio = "double" },
}

-- What the failures of the extras report per dialect.
local states = {
  sqlite = { unique = "23505", check = "23514", foreign = "23503" },
  postgresql = { unique = "23505", check = "23514", foreign = "23503" },
  mysql = { unique = "23000", check = "23000", foreign = "23000" },
}

for _, d in ipairs(dialects.live()) do
  local cat = catalog[d.name]
  local my = d.name == "mysql"

  describe("kit.push on " .. d.name, function()
    describe("columns", function()
      it("keep their source order and SQL names", function()
        local db = d.open(function(mod)
          return { t = mod.table("ordered", {
            zeta = mod.text(),
            userId = (mod.integer or mod.int)("user_id"),
            mid = (mod.doublePrecision or mod.real)(),
            Mixed = mod.text("MiXeD name"),
          }) }
        end)
        finally(function() db:close() end)
        local names = {}
        for i, c in ipairs(cat.columns(db, "ordered")) do names[i] = c.name end
        assert.same({ "zeta", "user_id", "mid", "MiXeD name" }, names)
      end)
    end)

    describe("modifiers", function()
      local db, users, posts
      local function build(mod)
        local int = mod.integer or mod.int
        local u = mod.table("users", {
          id = (mod.serial or mod.integer)():primaryKey(),
          name = mod.text():notNull(),
          email = (my and mod.varchar({ length = 255 }) or mod.text())
            :unique(),
          role = (my and mod.varchar({ length = 16 }) or mod.text())
            :notNull():default("member"),
          lucky = int():default(sleet.sql("(abs(-7))")),
          ratio = (my and mod.double or mod.real)():default(0.5),
          active = (mod.boolean and mod.boolean()
            or mod.integer({ mode = "boolean" })):default(true),
        })
        local ref = my and function(n)
          return mod.bigint(n, { unsigned = true })
        end or function(n) return int(n) end
        local p = mod.table("posts", {
          id = (mod.serial or mod.integer)():primaryKey(),
          authorId = ref("author_id"):notNull()
            :references(function() return u.id end,
              { onDelete = "cascade", onUpdate = "restrict" }),
          editorId = ref("editor_id")
            :references(function() return u.id end,
              { onDelete = "set null" }),
        })
        return { users = u, posts = p }
      end
      before_each(function()
        local s
        db, s = d.open(build)
        users, posts = s.users, s.posts
      end)
      after_each(function() db:close() end)

      it("notNull, primaryKey and types", function()
        local info = by_name(cat.columns(db, "users"))
        assert.same({ "id" }, cat.primary(db, "users"))
        assert.equal(types[d.name].id, info.id.type)
        assert.is_true(info.id.nn)
        assert.is_true(info.name.nn)
        assert.equal(types[d.name].name, info.name.type)
        assert.is_false(info.email.nn)
        assert.is_true(info.role.nn)
        assert.equal(types[d.name].ratio, info.ratio.type)
      end)

      it("defaults: values become literals, sql stays SQL", function()
        local info = by_name(cat.columns(db, "users"))
        assert.truthy(info.role.dflt:find("'member'", 1, true))
        assert.truthy(info.lucky.dflt:find("abs(", 1, true))
        db:insert(users):values({ name = "x" }):run()
        local row = db:select():from(users):get()
        assert.same({ id = 1, name = "x", role = "member", lucky = 7,
          ratio = 0.5, active = true }, row)
      end)

      it("unique creates a unique index", function()
        assert.is_true(has_unique(cat, db, "users", { "email" }))
      end)

      it("references creates a foreign key with its actions", function()
        local fks = cat.fks(db, "posts")
        assert.equal(2, #fks)
        assert.same({ t = "users", f = "author_id", too = "id", d = "CASCADE",
          u = "RESTRICT" }, fks[1])
        assert.equal("editor_id", fks[2].f)
        assert.equal("SET NULL", fks[2].d)
      end)

      it("pushing the same schema again changes nothing", function()
        db:insert(users):values({ name = "kept" }):run()
        -- no statement runs
        local ran = kit.push(db, { users = users, posts = posts },
          { force = true })
        assert.equal(0, type(ran) == "table" and #ran or 0)
        assert.equal("kept", db:select():from(users):get().name)
        local names = {}
        for i, c in ipairs(cat.columns(db, "users")) do names[i] = c.name end
        assert.same({ "id", "name", "email", "role", "lucky", "ratio",
          "active" }, names)
      end)

      it("push adds a new nullable column and keeps the rows", function()
        db:insert(users):values({ name = "kept" }):run()
        -- a fresh definition with one more column
        local mod = d.module()
        local int = mod.integer or mod.int
        local users2 = mod.table("users", {
          id = (mod.serial or mod.integer)():primaryKey(),
          name = mod.text():notNull(),
          email = (my and mod.varchar({ length = 255 }) or mod.text())
            :unique(),
          role = (my and mod.varchar({ length = 16 }) or mod.text())
            :notNull():default("member"),
          lucky = int():default(sleet.sql("(abs(-7))")),
          ratio = (my and mod.double or mod.real)():default(0.5),
          active = (mod.boolean and mod.boolean()
            or mod.integer({ mode = "boolean" })):default(true),
          nickname = mod.text(),
        })
        kit.push(db, { users = users2, posts = posts }, { force = true })
        local info = by_name(cat.columns(db, "users"))
        assert.is_not_nil(info.nickname)
        assert.is_false(info.nickname.nn)
        local row = db:select():from(users2):get()
        assert.equal("kept", row.name)
        assert.is_nil(row.nickname)
      end)
    end)

    describe("table extras", function()
      local db, parent, child
      before_each(function()
        local s
        db, s = d.open(function(mod)
          local int = mod.integer or mod.int
          -- MySQL keys need varchar, not text
          local function str(name)
            if my then
              if name then return mod.varchar(name, { length = 50 }) end
              return mod.varchar({ length = 50 })
            end
            if name then return mod.text(name) end
            return mod.text()
          end
          local p = mod.table("parent", {
            a = int():notNull(),
            b = str():notNull(),
            c = str(),
            dd = str("d"),
            n = int(),
          }, function(t)
            local x = {
              mod.primaryKey({ columns = { t.a, t.b } }),
              mod.unique("parent_c_d_unique"):on(t.c, t.dd),
              mod.check("parent_n_small", sleet.sql("? < 100", t.n)),
              mod.index("parent_n_idx"):on(t.n),
              mod.uniqueIndex("parent_d_uidx"):on(t.dd),
            }
            -- MySQL has no partial indexes (see the test below)
            if not my then
              x[#x + 1] = mod.index("parent_partial_idx"):on(t.c)
                :where(sleet.sql("? is not null", t.c))
            end
            return x
          end)
          local c = mod.table("child", {
            id = (mod.serial or mod.integer)():primaryKey(),
            pa = int():notNull(),
            pb = str():notNull(),
          }, function(t)
            return {
              mod.foreignKey({ columns = { t.pa, t.pb },
                foreignColumns = { p.a, p.b }, name = "child_parent_fk" }),
            }
          end)
          return { parent = p, child = c }
        end)
        parent, child = s.parent, s.child
      end)
      after_each(function() db:close() end)

      it("a composite primary key", function()
        assert.same({ "a", "b" }, cat.primary(db, "parent"))
        db:insert(parent):values({ a = 1, b = "x" }):run()
        db:insert(parent):values({ a = 1, b = "y" }):run()
        local err = check.raises_kind("database", function()
          return db:insert(parent):values({ a = 1, b = "x" }):run()
        end)
        assert.equal(states[d.name].unique, err.sqlstate)
      end)

      it("a composite unique constraint", function()
        assert.is_true(has_unique(cat, db, "parent", { "c", "d" }))
      end)

      it("a check constraint", function()
        db:insert(parent):values({ a = 1, b = "x", n = 99 }):run()
        local err = check.raises_kind("database", function()
          return db:insert(parent):values({ a = 2, b = "x", n = 100 }):run()
        end)
        assert.equal(states[d.name].check, err.sqlstate)
        assert.equal("parent_n_small", err.constraint)
      end)

      it("index and uniqueIndex", function()
        local ix = cat.indexes(db, "parent")
        assert.is_not_nil(ix.parent_n_idx)
        assert.is_false(ix.parent_n_idx.unique)
        assert.same({ "n" }, ix.parent_n_idx.columns)
        assert.is_not_nil(ix.parent_d_uidx)
        assert.is_true(ix.parent_d_uidx.unique)
        assert.same({ "d" }, ix.parent_d_uidx.columns)
      end)

      it("a partial index", function()
        if my then
          -- refused before anything is sent: MySQL cannot roll DDL back,
          -- so a table created first would stay without its index
          d.drop(db, "partial")
          local err = check.raises_kind("usage", function()
            local mod = d.module()
            local t = mod.table("partial", { c = mod.int() }, function(tt)
              return { mod.index("partial_idx"):on(tt.c)
                :where(sleet.sql("? is not null", tt.c)) }
            end)
            kit.push(db, { t = t }, { force = true })
          end)
          local left = cat.columns(db, "partial")
          d.drop(db, "partial")
          assert.truthy(err.message:find("partial", 1, true))
          assert.same({}, left, "kit.push created a table before failing")
          return
        end
        local ix = cat.indexes(db, "parent").parent_partial_idx
        assert.is_not_nil(ix)
        assert.is_true(ix.partial)
        assert.same({ "c" }, ix.columns)
      end)

      it("a composite foreign key", function()
        local fks = cat.fks(db, "child")
        assert.equal(1, #fks)
        assert.equal("parent", fks[1].t)
        assert.equal("pa,pb", fks[1].f)
        assert.equal("a,b", fks[1].too)
        local err = check.raises_kind("database", function()
          return db:insert(child):values({ pa = 9, pb = "none" }):run()
        end)
        assert.equal(states[d.name].foreign, err.sqlstate)
      end)
    end)
  end)
end

-- }====================================================================
