-- Schema tooling from Lua: push a schema to a database, export it as DDL.
--
-- This version creates what is missing (schemas, enums, tables in foreign
-- key order, their indexes) and leaves existing tables alone; altering
-- existing tables to match a changed schema is done by diffing, which
-- generate/migrate provide.
local casing = require "sleet.casing"
local column = require "sleet.column"
local core = require "sleet.core"
local expr = require "sleet.expr"
local query = require "sleet.query"
local util = require "sleet.util"

local M = {}

local kind = util.kind
local def = column.def

-- {====================================================================
-- Schema contents
-- =====================================================================

local function qualified(d)
  return (d.schema and (d.schema .. ".") or "") .. d.name
end

-- The tables (in foreign key order: referenced tables first) and enums of
-- a schema table (a module's exports: name → table / enum / other).
function M.entities(schema)
  if type(schema) ~= "table" then
    util.usage("kit: the schema must be a table of tables")
  end
  local tables, enums, seen = {}, {}, {}
  for _, v in pairs(schema) do
    local k = kind(v)
    if k == "table" and not seen[v] then
      local d = def(v)
      if d.kind == "table" and not d.alias then
        seen[v] = true
        tables[#tables + 1] = v
      end
    elseif k == "enum" and not seen[v] then
      seen[v] = true
      enums[#enums + 1] = v
    end
  end
  table.sort(tables, function(a, b)
    return qualified(def(a)) < qualified(def(b))
  end)
  table.sort(enums, function(a, b)
    return (a.schema or "") .. "." .. a.enumName < (b.schema or "") .. "." ..
      b.enumName
  end)
  -- enums used by columns but not exported are created too
  local eseen = {}
  for _, e in ipairs(enums) do eseen[e] = true end
  for _, t in ipairs(tables) do
    for _, c in ipairs(def(t).columns) do
      local e = c.enumValues and c.columnType == "enum" and c.dialect ==
        "postgresql" and c.enum
      if e and not eseen[e] then
        eseen[e] = true
        enums[#enums + 1] = e
      end
    end
  end
  -- depth-first: a table comes after the tables it references
  local order, state = {}, {}
  local function deps(t)
    local out = {}
    for _, c in ipairs(def(t).columns) do
      for _, r in ipairs(c.refs or {}) do
        local rc = r.fn()
        if kind(rc) ~= "column" then
          util.usage(("%s.%s: references() must return a column"):format(
            def(t).name, c.key))
        end
        out[#out + 1] = rc.table
      end
    end
    for _, x in ipairs(column.extras(t)) do
      if x.type == "foreignKey" then
        out[#out + 1] = x.foreignColumns[1].table
      end
    end
    return out
  end
  local function visit(t)
    local d = def(t)
    if d.original then t = d.original end
    if state[t] then return end
    state[t] = "visiting"
    for _, dep in ipairs(deps(t)) do
      local dd = def(dep)
      if dd.original then dep = dd.original end
      if dep ~= t and seen[dep] and state[dep] == nil then visit(dep) end
    end
    state[t] = "done"
    order[#order + 1] = t
  end
  for _, t in ipairs(tables) do visit(t) end
  return order, enums
end

-- }====================================================================

-- {====================================================================
-- DDL nodes
-- =====================================================================

local function joinnames(list) return table.concat(list, "_") end

local function colnames(cols, ctx)
  local out = {}
  for i, c in ipairs(cols) do out[i] = column.sqlname(c, ctx.casing) end
  return out
end

local function realdef(c)
  local d = def(c.table)
  if d.original then d = def(d.original) end
  return d
end

-- The create_table node and create_index nodes of table t.
function M.tablenodes(t, ctx)
  local d = def(t)
  local uctx = query.unqualified(ctx)
  local extras = column.extras(t)
  local composite
  for _, x in ipairs(extras) do
    if x.type == "primaryKey" then composite = x end
  end
  local node = { k = "create_table", schema = d.schema, name = d.name,
    columns = {} }
  local fks, uniques, checks, indexes = {}, {}, {}, {}
  for i, c in ipairs(d.columns) do
    local name = column.sqlname(c, ctx.casing)
    local cd = {
      name = name, type = c.ddlType or c.sqlType,
      notNull = c.notNull or nil,
      primaryKey = (c.primary and not composite) or nil,
      autoincrement = c.autoIncrement or nil,
    }
    if c.default ~= nil then
      if kind(c.default) == "expr" then
        cd.default = c.default.build(uctx)
      else
        cd.default = { k = "param", v = c.default, ty = c.codec,
          col = d.name .. "." .. name }
      end
    end
    if c.isUnique then
      cd.unique = c.uniqueName or (d.name .. "_" .. name .. "_unique")
    end
    if c.generated then
      cd.generated = { e = c.generated.e.build(uctx),
        stored = c.generated.stored or false }
    end
    node.columns[i] = cd
    for _, r in ipairs(c.refs or {}) do
      local rc = r.fn()
      if kind(rc) ~= "column" then
        util.usage(("%s.%s: references() must return a column"):format(d.name,
          c.key))
      end
      local rd = realdef(rc)
      local rname = column.sqlname(rc, ctx.casing)
      fks[#fks + 1] = {
        name = r.name or joinnames({ d.name, name, rd.name, rname, "fk" }),
        columns = { name }, refSchema = rd.schema, refTable = rd.name,
        refColumns = { rname }, onDelete = r.onDelete, onUpdate = r.onUpdate,
      }
    end
  end
  for _, x in ipairs(extras) do
    if x.type == "primaryKey" then
      local cols = colnames(x.columns, ctx)
      node.primaryKey = { name = x.name or (d.name .. "_" .. joinnames(cols) ..
        "_pk"), columns = cols }
    elseif x.type == "foreignKey" then
      local cols = colnames(x.columns, ctx)
      local rd = realdef(x.foreignColumns[1])
      local rcols = colnames(x.foreignColumns, ctx)
      fks[#fks + 1] = {
        name = x.name or (d.name .. "_" .. joinnames(cols) .. "_" .. rd.name ..
          "_" .. joinnames(rcols) .. "_fk"),
        columns = cols, refSchema = rd.schema, refTable = rd.name,
        refColumns = rcols, onDelete = x.onDeleteAction,
        onUpdate = x.onUpdateAction,
      }
    elseif x.type == "unique" then
      if not x.columns then
        util.usage(("%s: unique(%s) needs :on(columns)"):format(d.name,
          tostring(x.name)))
      end
      local cols = colnames(x.columns, ctx)
      uniques[#uniques + 1] = { name = x.name or (d.name .. "_" ..
        joinnames(cols) .. "_unique"), columns = cols }
    elseif x.type == "check" then
      checks[#checks + 1] = { name = x.name, e = x.e.build(uctx) }
    elseif x.type == "index" then
      if not x.columns then
        util.usage(("%s: index %s needs :on(columns)"):format(d.name, x.name))
      end
      local cols = {}
      for j, c in ipairs(x.columns) do cols[j] = expr.tonode(c, uctx) end
      indexes[#indexes + 1] = {
        k = "create_index", name = x.name, schema = d.schema, table = d.name,
        unique = x.unique or nil, columns = cols,
        where = x.whereExpr and expr.tonode(x.whereExpr, uctx) or nil,
      }
    end
  end
  if #fks > 0 then node.foreignKeys = fks end
  if #uniques > 0 then node.uniques = uniques end
  if #checks > 0 then node.checks = checks end
  return node, indexes
end

local function enumnode(e)
  return { k = "create_enum", schema = e.schema, name = e.enumName,
    values = e.enumValues }
end

local function quote(name) return '"' .. name:gsub('"', '""') .. '"' end

-- The SQL schemas (pg) a schema's tables and enums live in, sorted.
local function sqlschemas(tables, enums)
  local set, out = {}, {}
  for _, t in ipairs(tables) do
    local s = def(t).schema
    if s and s ~= "public" then set[s] = true end
  end
  for _, e in ipairs(enums) do
    if e.schema and e.schema ~= "public" then set[e.schema] = true end
  end
  for s in pairs(set) do out[#out + 1] = s end
  table.sort(out)
  return out
end

-- }====================================================================

-- {====================================================================
-- export and push
-- =====================================================================

-- kit.export(schema, dialect, { casing }) → array of DDL statements that
-- create the whole schema on an empty database.
function M.export(schema, dialect, opts)
  opts = opts or {}
  local ctx = { dialect = query.dialect(dialect),
    casing = casing.resolve(opts.casing, util.usage) }
  local tables, enums = M.entities(schema)
  local out = {}
  local function add(node)
    out[#out + 1] = core.compile(ctx.dialect, node):sql()
  end
  if ctx.dialect == "postgresql" then
    for _, s in ipairs(sqlschemas(tables, enums)) do
      out[#out + 1] = "create schema " .. quote(s)
    end
    for _, e in ipairs(enums) do add(enumnode(e)) end
  end
  local allindexes = {}
  for _, t in ipairs(tables) do
    local node, indexes = M.tablenodes(t, ctx)
    add(node)
    for _, ix in ipairs(indexes) do allindexes[#allindexes + 1] = ix end
  end
  for _, ix in ipairs(allindexes) do add(ix) end
  return out
end

local function exists(db, dialect, what, schema, name)
  local sql = expr.sql
  local q
  if what == "enum" then
    q = sql("select 1 as x from pg_type t join pg_namespace n on n.oid = " ..
      "t.typnamespace where t.typname = ? and n.nspname = ?", name,
      schema or "public")
  elseif dialect == "sqlite" then
    q = sql("select 1 as x from sqlite_master where type = 'table' and " ..
      "name = ?", name)
  elseif dialect == "postgresql" then
    q = sql("select 1 as x from information_schema.tables where " ..
      "table_schema = ? and table_name = ?", schema or "public", name)
  else
    if schema then
      q = sql("select 1 as x from information_schema.tables where " ..
        "table_schema = ? and table_name = ?", schema, name)
    else
      q = sql("select 1 as x from information_schema.tables where " ..
        "table_schema = database() and table_name = ?", name)
    end
  end
  return #db:all(q) > 0
end

-- The column names of an existing table.
local function existingcolumns(db, dialect, schema, name)
  local sql = expr.sql
  local q
  if dialect == "sqlite" then
    q = sql("select name from pragma_table_info(?)", name)
  elseif dialect == "postgresql" then
    q = sql("select column_name as name from information_schema.columns " ..
      "where table_schema = ? and table_name = ?", schema or "public", name)
  elseif schema then
    q = sql("select column_name as name from information_schema.columns " ..
      "where table_schema = ? and table_name = ?", schema, name)
  else
    q = sql("select column_name as name from information_schema.columns " ..
      "where table_schema = database() and table_name = ?", name)
  end
  local set = {}
  for _, row in ipairs(db:all(q)) do
    local n = row.name or row.NAME or row.column_name or row.COLUMN_NAME
    if n then set[n] = true end
  end
  return set
end

-- ALTER TABLE ... ADD COLUMN for column definition cd of table d. The
-- column definition is spelled by the dialect's CREATE TABLE renderer
-- (a one-column table named "t"), so types and default literals are
-- written exactly as a fresh table would have them.
local function addcolumn(db, d, cd)
  local one = util.copy(cd)
  one.unique, one.primaryKey = nil, nil
  local c = db:_compile({ k = "create_table", name = "t", columns = { one } })
  local text = c:sql()
  local inner = text:match("^[^(]*%((.*)%)[^)]*$")
  if not inner then
    util.usage(("kit.push: cannot add column %s to %s"):format(cd.name, d.name))
  end
  inner = inner:gsub("^%s+", ""):gsub("%s+$", "")
  local q = db.dialect == "mysql" and "`" or '"'
  local function qi(n) return q .. n:gsub(q, q .. q) .. q end
  local target = (d.schema and (qi(d.schema) .. ".") or "") .. qi(d.name)
  return ("alter table %s add column %s"):format(target, inner)
end

-- kit.push(db, schema, { force = true }): creates the schemas, enums,
-- tables and indexes of schema that the database lacks and adds missing
-- columns to existing tables (with a unique index when the column is
-- unique). Nothing is dropped or altered. Returns the statements it ran.
function M.push(db, schema, opts)
  if opts ~= nil and type(opts) ~= "table" then
    util.usage("kit.push: options must be a table")
  end
  if type(db) ~= "table" or type(db._compile) ~= "function" then
    util.usage("kit.push: expected a database from sleet.connect")
  end
  local ctx = db.ctx
  local dialect = ctx.dialect
  local tables, enums = M.entities(schema)
  -- Every statement is compiled before the first one runs, so a schema the
  -- dialect cannot express fails before anything changes (MySQL cannot roll
  -- DDL back).
  local plan = {}
  local function add(node) plan[#plan + 1] = db:_compile(node) end
  local function addtext(text) plan[#plan + 1] = text end
  if dialect == "postgresql" then
    for _, s in ipairs(sqlschemas(tables, enums)) do
      addtext("create schema if not exists " .. quote(s))
    end
    for _, e in ipairs(enums) do
      if not exists(db, dialect, "enum", e.schema, e.enumName) then
        add(enumnode(e))
      end
    end
  end
  for _, t in ipairs(tables) do
    local d = def(t)
    local node, indexes = M.tablenodes(t, ctx)
    if not exists(db, dialect, "table", d.schema, d.name) then
      add(node)
      for _, ix in ipairs(indexes) do add(ix) end
    else
      local have = existingcolumns(db, dialect, d.schema, d.name)
      for _, cd in ipairs(node.columns) do
        if not have[cd.name] then
          addtext(addcolumn(db, d, cd))
          if cd.unique then
            add({ k = "create_index", name = cd.unique, schema = d.schema,
              table = d.name, unique = true,
              columns = { { k = "col", name = cd.name } } })
          end
        end
      end
    end
  end
  local ran = {}
  local function work()
    for _, st in ipairs(plan) do
      if type(st) == "string" then
        db:run(st)
        ran[#ran + 1] = st
      else
        db:_run(st, "run", nil, nil)
        ran[#ran + 1] = st:sql()
      end
    end
  end
  if dialect == "mysql" then
    work() -- MySQL commits DDL implicitly
  else
    db:transaction(work)
  end
  return ran
end

-- }====================================================================

return M
