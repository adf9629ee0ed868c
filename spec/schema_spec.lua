-- The schema DSL: column order and SQL names, table readers, modifiers and
-- table extras as kit.push creates them on SQLite (read back through
-- SQLite's pragma functions), DDL text from kit.export, runtime defaults
-- and the logger option.
local sleet = require "sleet"
local kit = require "sleet.kit"
local m = require "sleet.sqlite"
local check = require "spec.support.check"

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

local function table_info(db, name)
  return q(db, 'select name, lower(type) as type, "notnull" as nn, '
    .. 'dflt_value as dflt, pk from pragma_table_info(?) order by cid', name)
end

local function column_names(db, name)
  local out = {}
  for i, c in ipairs(table_info(db, name)) do out[i] = c.name end
  return out
end

local function by_name(rows)
  local out = {}
  for _, r in ipairs(rows) do out[r.name] = r end
  return out
end

-- Indexes of a table: name → { unique, partial, columns = {...} }.
local function indexes(db, name)
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
end

-- Whether some unique index of the table covers exactly cols.
local function has_unique(db, name, cols)
  for _, ix in pairs(indexes(db, name)) do
    if ix.unique and table.concat(ix.columns, ",") == table.concat(cols, ",")
    then
      return true
    end
  end
  return false
end

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
      local db <close> = open({ ordered = t })
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
        local db <close> = open({ named = t })
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
      local db <close> = open({ cased = t }, { casing = "snake_case" })
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

  describe("modifiers, as kit.push creates them", function()
    local db, users, posts
    before_each(function()
      users = m.table("users", {
        id = m.integer():primaryKey(),
        name = m.text():notNull(),
        email = m.text():unique(),
        role = m.text({ enum = { "admin", "member" } }):notNull()
          :default("member"),
        lucky = m.integer():default(sleet.sql("(abs(-7))")),
        ratio = m.real():default(0.5),
        active = m.integer({ mode = "boolean" }):default(true),
      })
      posts = m.table("posts", {
        id = m.integer():primaryKey(),
        authorId = m.integer("author_id"):notNull()
          :references(function() return users.id end,
            { onDelete = "cascade", onUpdate = "restrict" }),
        editorId = m.integer("editor_id")
          :references(function() return users.id end,
            { onDelete = "set null" }),
      })
      db = open({ users = users, posts = posts })
    end)
    after_each(function() db:close() end)

    it("notNull, primaryKey and types", function()
      local info = by_name(table_info(db, "users"))
      assert.equal(1, info.id.pk)
      assert.equal("integer", info.id.type)
      assert.equal(1, info.name.nn)
      assert.equal("text", info.name.type)
      assert.equal(0, info.email.nn)
      assert.equal(1, info.role.nn)
      assert.equal("real", info.ratio.type)
    end)

    it("defaults: values become literals, sql stays SQL", function()
      local info = by_name(table_info(db, "users"))
      assert.equal("'member'", info.role.dflt)
      assert.is_not_nil(info.lucky.dflt)
      assert.truthy(info.lucky.dflt:find("abs(-7)", 1, true))
      db:insert(users):values({ name = "x" }):run()
      assert.same({ id = 1, name = "x", role = "member", lucky = 7,
        ratio = 0.5, active = true }, db:select():from(users):get())
    end)

    it("unique creates a unique index", function()
      assert.is_true(has_unique(db, "users", { "email" }))
    end)

    it("references creates a foreign key with its actions", function()
      local fks = q(db, 'select "table" as t, "from" as f, "to" as too, '
        .. "on_delete as d, on_update as u from pragma_foreign_key_list(?) "
        .. 'order by "from"', "posts")
      assert.equal(2, #fks)
      assert.same({ t = "users", f = "author_id", too = "id", d = "CASCADE",
        u = "RESTRICT" }, fks[1])
      assert.equal("editor_id", fks[2].f)
      assert.equal("SET NULL", fks[2].d)
    end)

    it("pushing the same schema again changes nothing", function()
      db:insert(users):values({ name = "kept" }):run()
      kit.push(db, { users = users, posts = posts }, { force = true })
      assert.equal("kept", db:select():from(users):get().name)
      assert.same({ "id", "name", "email", "role", "lucky", "ratio", "active" },
        column_names(db, "users"))
    end)

    it("push adds a new nullable column and keeps the rows", function()
      db:insert(users):values({ name = "kept" }):run()
      local users2 = m.table("users", {
        id = m.integer():primaryKey(),
        name = m.text():notNull(),
        email = m.text():unique(),
        role = m.text():notNull():default("member"),
        lucky = m.integer():default(sleet.sql("(abs(-7))")),
        ratio = m.real():default(0.5),
        active = m.integer({ mode = "boolean" }):default(true),
        nickname = m.text(),
      })
      kit.push(db, { users = users2, posts = posts }, { force = true })
      local info = by_name(table_info(db, "users"))
      assert.is_not_nil(info.nickname)
      local row = db:select():from(users2):get()
      assert.equal("kept", row.name)
      assert.is_nil(row.nickname)
    end)
  end)

  describe("table extras", function()
    local db, parent, child
    before_each(function()
      parent = m.table("parent", {
        a = m.integer():notNull(),
        b = m.text():notNull(),
        c = m.text(),
        d = m.text(),
        n = m.integer(),
      }, function(t)
        return {
          m.primaryKey({ columns = { t.a, t.b } }),
          m.unique("parent_c_d_unique"):on(t.c, t.d),
          m.check("parent_n_small", sleet.sql("? < 100", t.n)),
          m.index("parent_n_idx"):on(t.n),
          m.uniqueIndex("parent_d_uidx"):on(t.d),
          m.index("parent_partial_idx"):on(t.c)
            :where(sleet.sql("? is not null", t.c)),
        }
      end)
      child = m.table("child", {
        id = m.integer():primaryKey(),
        pa = m.integer():notNull(),
        pb = m.text():notNull(),
      }, function(t)
        return {
          m.foreignKey({ columns = { t.pa, t.pb },
            foreignColumns = { parent.a, parent.b },
            name = "child_parent_fk" }),
        }
      end)
      db = open({ parent = parent, child = child })
    end)
    after_each(function() db:close() end)

    it("a composite primary key", function()
      local info = by_name(table_info(db, "parent"))
      assert.equal(1, info.a.pk)
      assert.equal(2, info.b.pk)
      assert.equal(0, info.c.pk)
      db:insert(parent):values({ a = 1, b = "x" }):run()
      db:insert(parent):values({ a = 1, b = "y" }):run()
      local err = check.raises_kind("database", function()
        return db:insert(parent):values({ a = 1, b = "x" }):run()
      end)
      assert.equal(1555, err.code)
    end)

    it("a composite unique constraint", function()
      assert.is_true(has_unique(db, "parent", { "c", "d" }))
    end)

    it("a check constraint", function()
      db:insert(parent):values({ a = 1, b = "x", n = 99 }):run()
      local err = check.raises_kind("database", function()
        return db:insert(parent):values({ a = 2, b = "x", n = 100 }):run()
      end)
      assert.equal(275, err.code)
      assert.equal("parent_n_small", err.constraint)
    end)

    it("index, uniqueIndex and a partial index", function()
      local ix = indexes(db, "parent")
      assert.is_not_nil(ix.parent_n_idx)
      assert.is_false(ix.parent_n_idx.unique)
      assert.same({ "n" }, ix.parent_n_idx.columns)
      assert.is_not_nil(ix.parent_d_uidx)
      assert.is_true(ix.parent_d_uidx.unique)
      assert.same({ "d" }, ix.parent_d_uidx.columns)
      assert.is_not_nil(ix.parent_partial_idx)
      assert.is_true(ix.parent_partial_idx.partial)
      local sqltext = q(db, "select sql from sqlite_master where name = ?",
        "parent_partial_idx")[1].sql
      assert.truthy(sqltext:lower():find("where", 1, true))
    end)

    it("a composite foreign key", function()
      local fks = q(db, 'select "table" as t, "from" as f, "to" as too '
        .. 'from pragma_foreign_key_list(?) order by seq', "child")
      assert.same({ { t = "parent", f = "pa", too = "a" },
        { t = "parent", f = "pb", too = "b" } }, fks)
      local err = check.raises_kind("database", function()
        return db:insert(child):values({ pa = 9, pb = "none" }):run()
      end)
      assert.equal(787, err.code)
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
      assert.truthy(ddl:find('references "users"("id") on delete cascade', 1,
        true) or ddl:find('references "users" ("id") on delete cascade', 1,
        true))
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
      local db <close> = open({ logged = t }, {
        logger = function(sql, params)
          seen[#seen + 1] = { sql = sql, params = params }
        end,
      })
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
      local p = assert(io.popen("lua5.4 " .. script .. " 2>" .. errfile))
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
