-- Views: pg.view, pg.materializedView, mysql.view, sqlite.view.
--
-- A view is defined by a query built with a query builder
-- (`:as(function(qb) return qb:select(...):from(t) end)`) or by sql (then
-- its columns are declared: `pg.view("v", { id = pg.integer() }):as(sql)`).
-- The view object is a table object of its own (selectable, joinable, its
-- columns v.key) whose definition rides in def.view; its columns are the
-- query's fields (v.key for the field key), named in SQL as Drizzle names
-- them: a column by its own name, an expression by its alias.
--
-- Migrations: a snapshot keeps each view's definition (the query's SQL,
-- values inlined) in drizzle-kit's "views" map; M.diff wraps the tables'
-- statements with the views': a view dropped, changed, or over a table (or
-- view) the tables' statements touch is dropped before them, and created
-- (again) after them, in dependency order. A view marked existing() is
-- the database's: never created nor dropped.
local column = require "sleet.column"
local core = require "sleet.core"
local util = require "sleet.util"

local M = {}

local kind, def = util.kind, column.def

-- {====================================================================
-- Builders
-- =====================================================================

local Builder = { __name = "sleet.ViewBuilder" }
Builder.__index = Builder

local DIALECT = { postgresql = "pg", mysql = "mysql", sqlite = "sqlite" }

-- A view builder of dialect d. opts: { materialized, schema }.
function M.builder(dialect, name, columns, opts)
  opts = opts or {}
  local what = opts.materialized and "materializedView" or "view"
  column.checkname(what, name)
  if columns ~= nil and type(columns) ~= "table" then
    util.usage(("%s %s: columns must be a table of column builders")
      :format(what, name))
  end
  return setmetatable({ v = { dialect = dialect, name = name,
    columns = columns, schema = opts.schema,
    materialized = opts.materialized or false, what = what } }, Builder)
end

local function only(b, method, dialects, materialized)
  local v = b.v
  if not dialects[v.dialect] or (materialized ~= nil and
    materialized ~= v.materialized) then
    util.usage(("%s %s: %s is not an option of a %s.%s"):format(v.what,
      v.name, method, DIALECT[v.dialect], v.what))
  end
end

-- with(options): PostgreSQL's WITH (...) of a view (checkOption,
-- securityBarrier, securityInvoker) or of a materialized view (its storage
-- parameters: fillfactor, autovacuumEnabled, ...), in camelCase.
function Builder:with(opts)
  only(self, "with", { postgresql = true })
  if type(opts) ~= "table" then
    util.usage(("%s %s: with expects a table of options"):format(self.v.what,
      self.v.name))
  end
  local allowed = { checkOption = true, securityBarrier = true,
    securityInvoker = true }
  for k, val in pairs(opts) do
    if type(k) ~= "string" or not k:match("^%a[%w]*$") then
      util.usage(("%s %s: with: bad option name %s"):format(self.v.what,
        self.v.name, tostring(k)))
    end
    if not self.v.materialized and not allowed[k] then
      util.usage(("%s %s: with: unknown option %s (checkOption, " ..
        "securityBarrier, securityInvoker)"):format(self.v.what, self.v.name,
        k))
    end
    local t = type(val)
    if t ~= "boolean" and t ~= "number" and
      not (t == "string" and val:match("^[%w_]+$")) then
      util.usage(("%s %s: with: %s must be a boolean, a number or a word")
        :format(self.v.what, self.v.name, k))
    end
    if k == "checkOption" and val ~= "local" and val ~= "cascaded" then
      util.usage(('%s %s: with: checkOption must be "local" or "cascaded"')
        :format(self.v.what, self.v.name))
    end
  end
  self.v.with = opts
  return self
end

local function word(b, method, v)
  if type(v) ~= "string" or not v:match("^[%w_]+$") then
    util.usage(("%s %s: %s expects a name"):format(b.v.what, b.v.name,
      method))
  end
  return v
end

-- Materialized views: using(method), tablespace(name), withNoData().
function Builder:using(method)
  only(self, "using", { postgresql = true }, true)
  self.v.using = word(self, "using", method)
  return self
end

function Builder:tablespace(name)
  only(self, "tablespace", { postgresql = true }, true)
  self.v.tablespace = word(self, "tablespace", name)
  return self
end

function Builder:withNoData()
  only(self, "withNoData", { postgresql = true }, true)
  self.v.withNoData = true
  return self
end

local function oneof(b, method, v, list)
  for _, x in ipairs(list) do
    if v == x then return v end
  end
  util.usage(("%s %s: %s must be one of %s"):format(b.v.what, b.v.name,
    method, table.concat(list, ", ")))
end

-- MySQL: algorithm("undefined" | "merge" | "temptable"),
-- sqlSecurity("definer" | "invoker"), withCheckOption("cascaded" | "local").
function Builder:algorithm(a)
  only(self, "algorithm", { mysql = true })
  self.v.algorithm = oneof(self, "algorithm", a,
    { "undefined", "merge", "temptable" })
  return self
end

function Builder:sqlSecurity(s)
  only(self, "sqlSecurity", { mysql = true })
  self.v.sqlSecurity = oneof(self, "sqlSecurity", s, { "definer", "invoker" })
  return self
end

function Builder:withCheckOption(o)
  only(self, "withCheckOption", { mysql = true })
  self.v.withCheckOption = oneof(self, "withCheckOption", o or "cascaded",
    { "cascaded", "local" })
  return self
end

-- The column builder of a field of the view's query: a column keeps its
-- type and codec, an expression its codec.
-- The view's SQL names its columns as Drizzle's does: a column by its own
-- name (under the database's casing), an expression by its alias (its key
-- when it has none).
local function fieldbuilder(v, e)
  local x = e.x
  local spec = { dialect = v.dialect, codec = e.ty, decoder = e.decoder,
    sqlType = "", columnType = "view" }
  if kind(x) == "column" then
    spec.sqlType, spec.ddlType = x.sqlType or "", x.ddlType
    spec.columnType, spec.enumValues, spec.enum = x.columnType,
      x.enumValues, x.enum
    spec.dims, spec.viewOf = x.dims, x
  else
    spec.name = rawget(x, "alias") or e.key
  end
  return column.builder(spec)
end

local function makeview(b, query, sqlx, existing)
  local v = b.v
  local builders = v.columns
  if builders == nil then
    if query == nil then
      util.usage(("%s %s: a view defined by sql (or existing) declares " ..
        "its columns: %s.%s(name, { col = ... })"):format(v.what, v.name,
        DIALECT[v.dialect], v.what))
    end
    local entries, groups = query:_fieldspec()
    if groups and #groups > 0 then
      util.usage(("%s %s: the query selects whole joined tables; select " ..
        "named fields (qb:select({ ... })) so that every column of the " ..
        "view has a name"):format(v.what, v.name))
    end
    builders = {}
    for _, e in ipairs(entries) do
      if builders[e.key] then
        util.usage(("%s %s: two fields are named %q"):format(v.what, v.name,
          e.key))
      end
      builders[e.key] = fieldbuilder(v, e)
    end
  end
  local t = column.table(v.dialect, v.name, builders, nil, v.schema)
  def(t).view = { query = query, sql = sqlx, existing = existing or false,
    materialized = v.materialized, with = v.with, using = v.using,
    tablespace = v.tablespace, withNoData = v.withNoData,
    algorithm = v.algorithm, sqlSecurity = v.sqlSecurity,
    withCheckOption = v.withCheckOption }
  return t
end

-- as(function(qb) return query end | query | sql): the view object.
function Builder:as(x)
  local v = self.v
  if type(x) == "function" then
    x = x(require("sleet.query").builder(v.dialect))
  end
  local k = kind(x)
  if k == "query" and x._fieldspec then return makeview(self, x, nil, false) end
  if k == "expr" then return makeview(self, nil, x, false) end
  util.usage(("%s %s: as expects a select query, a function(qb) returning " ..
    "one, or sql"):format(v.what, v.name))
end

-- existing(): a view the database has already, selectable but never
-- created or dropped by migrations.
function Builder:existing() return makeview(self, nil, nil, true) end

-- }====================================================================

-- {====================================================================
-- Snapshots
-- =====================================================================

-- True when x is a view object.
function M.isview(x)
  local d = def(x)
  return d ~= nil and d.view ~= nil
end

-- The SQL text of view t's query for ctx ({ dialect, casing }).
local function definition(t, dialect, ctx)
  local vd = def(t).view
  if not vd.query then
    return core.ddl_expr(dialect, vd.sql.build(ctx), "qualified")
  end
  local node = vd.query:_build(ctx, false)
  if node.k ~= "select" then -- a set operation: its fields as aliased
    return core.ddl_expr(dialect, vd.query:_subnode(ctx), "qualified")
  end
  -- a copy: the fields of a plain select are shared by its compiles
  local fields = {}
  for i, f in ipairs(node.fields) do
    local c = {}
    for k, val in pairs(f) do c[k] = val end
    if c.e.k ~= "col" and c.e.k ~= "alias" then
      c.e = { k = "alias", e = c.e, name = c.key }
    end
    fields[i] = c
  end
  local copy = {}
  for k, val in pairs(node) do copy[k] = val end
  copy.fields, copy.groups = fields, nil
  return core.ddl_expr(dialect, copy, "qualified")
end

local function snake(k)
  return (k:gsub("(%u)", function(c) return "_" .. c:lower() end))
end

-- The snapshot key and entry of view t (drizzle-kit's shape).
function M.entry(t, dialect, ctx)
  local d = def(t)
  local vd = d.view
  local e = { name = d.name, columns = {}, isExisting = vd.existing }
  if not vd.existing then e.definition = definition(t, dialect, ctx) end
  if dialect == "postgresql" then
    e.schema = d.schema or "public"
    e.materialized = vd.materialized
    if vd.with then
      e.with = {}
      for k, val in pairs(vd.with) do e.with[k] = val end
    end
    e.using, e.tablespace = vd.using, vd.tablespace
    e.withNoData = vd.withNoData
    return e.schema .. "." .. d.name, e
  end
  if dialect == "mysql" then
    -- MySQL's defaults, written as drizzle-kit writes them
    e.algorithm = vd.algorithm or "undefined"
    e.sqlSecurity = vd.sqlSecurity or "definer"
    e.withCheckOption = vd.withCheckOption
  end
  return d.name, e
end

-- }====================================================================

-- {====================================================================
-- DDL and the diff
-- =====================================================================

local function quote(dialect, name)
  if dialect == "mysql" then return "`" .. name:gsub("`", "``") .. "`" end
  if dialect == "sqlite" then return "`" .. name:gsub("`", "``") .. "`" end
  return '"' .. name:gsub('"', '""') .. '"'
end

local function qname(dialect, e)
  if dialect == "postgresql" then
    return quote(dialect, e.schema or "public") .. "." .. quote(dialect, e.name)
  end
  return quote(dialect, e.name)
end

local function withlist(w)
  local keys = {}
  for k in pairs(w) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = ("%s = %s"):format(snake(k), tostring(w[k]))
  end
  return table.concat(parts, ", ")
end

function M.createsql(dialect, e)
  local name = qname(dialect, e)
  if dialect == "postgresql" then
    local s = "CREATE " .. (e.materialized and "MATERIALIZED " or "") ..
      "VIEW " .. name
    if e.using then s = s .. " USING " .. e.using end
    if e.with and next(e.with) then
      s = s .. " WITH (" .. withlist(e.with) .. ")"
    end
    if e.tablespace then s = s .. " TABLESPACE " .. e.tablespace end
    s = s .. " AS (" .. e.definition .. ")"
    if e.withNoData then s = s .. " WITH NO DATA" end
    return s .. ";"
  end
  if dialect == "mysql" then
    local s = "CREATE "
    if e.algorithm then s = s .. "ALGORITHM = " .. e.algorithm .. " " end
    if e.sqlSecurity then
      s = s .. "SQL SECURITY " .. e.sqlSecurity .. " "
    end
    s = s .. "VIEW " .. name .. " AS (" .. e.definition .. ")"
    if e.withCheckOption then
      s = s .. " WITH " .. e.withCheckOption .. " CHECK OPTION"
    end
    return s .. ";"
  end
  return "CREATE VIEW " .. name .. " AS " .. e.definition .. ";"
end

function M.dropsql(dialect, e)
  return "DROP " .. (e.materialized and "MATERIALIZED " or "") .. "VIEW " ..
    qname(dialect, e) .. ";"
end

-- The names a definition holds ("users", `posts`, users): what it may
-- depend on (a word that names nothing costs nothing).
local function idents(text)
  local out = {}
  text = text or ""
  for name in text:gmatch('"([^"]*)"') do out[name] = true end
  for name in text:gmatch("`([^`]*)`") do out[name] = true end
  -- and the bare words of a definition written by hand
  for name in text:gmatch("[%a_][%w_$]*") do out[name] = true end
  return out
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local FIELDS = { "definition", "materialized", "with", "using", "tablespace",
  "withNoData", "algorithm", "sqlSecurity", "withCheckOption" }

local function changed(a, b)
  for _, f in ipairs(FIELDS) do
    if not same(a[f], b[f]) then return true end
  end
  return false
end

-- The views of set (key → entry) in dependency order: a view after the
-- views its definition names.
local function ordered(set, all)
  local keys = {}
  for k in pairs(set) do keys[#keys + 1] = k end
  table.sort(keys)
  local byname = {}
  for k, e in pairs(all) do byname[e.name] = k end
  local out, state = {}, {}
  local function visit(k)
    if state[k] == "done" then return end
    if state[k] == "busy" then return end -- a cycle: the database says so
    state[k] = "busy"
    local deps = {}
    for n in pairs(idents(all[k].definition)) do
      local dk = byname[n]
      if dk and dk ~= k and set[dk] then deps[#deps + 1] = dk end
    end
    table.sort(deps)
    for _, dk in ipairs(deps) do visit(dk) end
    state[k] = "done"
    out[#out + 1] = k
  end
  for _, k in ipairs(keys) do visit(k) end
  return out
end

local function managed(views)
  local out = {}
  for k, e in pairs(views or {}) do
    if type(e) == "table" and not e.isExisting then out[k] = e end
  end
  return out
end

-- Wraps diff result r (the tables' statements and changes, prev → next)
-- with the views' statements: drops first, creates last.
function M.wrap(dialect, prev, want, r)
  local pv, nv = managed(prev.views), managed(want.views)
  if next(pv) == nil and next(nv) == nil then return r end
  -- the names the tables' changes touch
  local touched = {}
  for _, c in ipairs(r.changes or {}) do
    for _, f in ipairs({ "table", "from", "to", "name" }) do
      local n = c[f]
      if type(n) == "string" then
        touched[n] = true
        touched[n:match("[^.]*$")] = true
      end
    end
  end
  local drop, create = {}, {}
  for k, e in pairs(pv) do
    local n = nv[k]
    if not n or changed(e, n) then
      drop[k] = e
      if n then create[k] = n end
    end
  end
  for k, e in pairs(nv) do
    if not pv[k] then create[k] = e end
  end
  -- views over what changes go around the change, transitively
  local grew = true
  while grew do
    grew = false
    for k, e in pairs(pv) do
      if nv[k] and not drop[k] then
        for n in pairs(idents(e.definition)) do
          local dropped = touched[n]
          if not dropped then
            for dk, de in pairs(drop) do
              if de.name == n and dk ~= k then dropped = true end
            end
          end
          if dropped then
            drop[k], create[k] = e, nv[k]
            grew = true
            break
          end
        end
      end
    end
  end
  local pre, post, changes = {}, {}, {}
  local dorder = ordered(drop, pv)
  for i = #dorder, 1, -1 do
    local e = drop[dorder[i]]
    pre[#pre + 1] = M.dropsql(dialect, e)
    if not create[dorder[i]] then
      changes[#changes + 1] = { kind = "drop_view", view = e.name,
        description = ("drop %sview %s"):format(
          e.materialized and "materialized " or "", e.name) }
    end
  end
  for _, k in ipairs(ordered(create, nv)) do
    local e = create[k]
    post[#post + 1] = M.createsql(dialect, e)
    local what = e.materialized and "materialized view " or "view "
    changes[#changes + 1] = { kind = drop[k] and "recreate_view" or
      "create_view", view = e.name, description = (drop[k] and
        "recreate " or "create ") .. what .. e.name }
  end
  local statements = {}
  for _, s in ipairs(pre) do statements[#statements + 1] = s end
  for _, s in ipairs(r.statements or {}) do statements[#statements + 1] = s end
  for _, s in ipairs(post) do statements[#statements + 1] = s end
  r.statements = statements
  local all = {}
  for _, c in ipairs(r.changes or {}) do all[#all + 1] = c end
  for _, c in ipairs(changes) do all[#all + 1] = c end
  r.changes = all
  return r
end

-- }====================================================================

-- {====================================================================
-- db:refreshMaterializedView(v)
-- =====================================================================

local Refresh = { __name = "sleet.Refresh" }
Refresh.__index = Refresh

function M.refresh(db, v)
  local d = def(v)
  if not (d and d.view and d.view.materialized) then
    util.usage("refreshMaterializedView: expected a materialized view " ..
      "(pg.materializedView)")
  end
  if db.dialect ~= "postgresql" then
    util.usage("refreshMaterializedView: materialized views are PostgreSQL's")
  end
  return setmetatable({ db = db, d = d }, Refresh)
end

function Refresh:concurrently()
  self.conc = true
  return self
end

function Refresh:withNoData()
  self.nodata = true
  return self
end

function Refresh:toSQL()
  if self.conc and self.nodata then
    util.usage("refreshMaterializedView: concurrently and withNoData " ..
      "cannot go together (PostgreSQL refuses it)")
  end
  local d = self.d
  return ("refresh materialized view%s %s%s"):format(
    self.conc and " concurrently" or "",
    qname("postgresql", { schema = d.schema, name = d.name }),
    self.nodata and " with no data" or "")
end

function Refresh:run()
  return self.db:execute(self:toSQL())
end
Refresh.execute = Refresh.run

-- }====================================================================

return M
