-- The shared column builder and table construction behind sleet.sqlite,
-- sleet.pg and sleet.mysql.
--
-- A builder (pg.text():notNull()) records a column's definition; pg.table()
-- turns each builder into a column object bound to its table and key. Every
-- builder takes a number from one global counter when it is created, so a
-- table's columns keep their source order although Lua tables have none.
--
-- A table object exposes its columns by key (users.id); its definition is
-- stored under the private key TABLE so that no column key can collide with
-- it.
local util = require "sleet.util"

local M = {}

-- The private key of a table's (or subquery's) definition.
local TABLE = setmetatable({}, { __tostring = function() return "TABLE" end })
M.TABLE = TABLE

local counter = 0

-- The next number of the global creation counter.
function M.nextseq()
  counter = counter + 1
  return counter
end

-- {====================================================================
-- Builders
-- =====================================================================

local Builder = { __kind = "builder", __name = "sleet.ColumnBuilder" }
Builder.__index = Builder
M.Builder = Builder

-- Checks an SQL name given in a schema (table, column, constraint, index,
-- schema, enum): a non-empty string without NUL bytes or surrounding white
-- space. Such a name could not travel byte-exact through every layer
-- (snapshots trim their texts; C strings end at NUL), so DDL and queries
-- would name different things. what: "table", "column users.name", ...
function M.checkname(what, name)
  if type(name) ~= "string" or name == "" then
    util.usage(("%s: the name must be a non-empty string, got %s"):format(
      what, type(name) == "string" and '""' or type(name)))
  end
  if name:find("\0", 1, true) then
    util.usage(("%s: the name %q contains a NUL byte"):format(what, name))
  end
  if name:find("^%s") or name:find("%s$") then
    util.usage(("%s: the name %q begins or ends with white space"):format(
      what, name))
  end
  return name
end
local checkname = M.checkname

-- Splits a type constructor's arguments: (name?, opts?) → name, opts.
function M.args(fname, a, b)
  if type(a) == "string" then
    checkname(fname, a)
    if b ~= nil and type(b) ~= "table" then
      util.usage(("%s: options must be a table"):format(fname))
    end
    return a, b or {}
  end
  if a == nil or (type(a) == "table" and util.kind(a) == nil) then
    return nil, a or {}
  end
  util.usage(("%s: expected a column name or an options table"):format(fname))
end

-- A new builder. spec: dialect, sqlType (as Drizzle's getSQLType), codec,
-- name (explicit SQL name or nil) and optional extras (ddlType, nowSQL,
-- randomSQL, enumValues, auto, notNull, hasDefault, autoIncrement...). The
-- definition lives in b.c so that no field can hide a modifier method.
function M.builder(spec)
  local c = {}
  for k, v in pairs(spec) do c[k] = v end
  c.seq = M.nextseq()
  c.refs = {}
  return setmetatable({ c = c }, Builder)
end

function Builder:notNull()
  self.c.notNull = true
  return self
end

-- A SQL default: a value (inlined as a literal in DDL) or a sql object.
function Builder:default(v)
  if v == nil then util.usage("default: value is nil") end
  self.c.hasDefault = true
  self.c.defaultValue = v
  return self
end

function Builder:defaultNow()
  if not self.c.nowSQL then
    util.usage(("defaultNow is not available for a %s column")
      :format(self.c.sqlType))
  end
  return self:default(require("sleet.expr").raw(self.c.nowSQL))
end

function Builder:defaultRandom()
  if not self.c.randomSQL then
    util.usage(("defaultRandom is not available for a %s column")
      :format(self.c.sqlType))
  end
  return self:default(require("sleet.expr").raw(self.c.randomSQL))
end

-- A value computed in Lua for each inserted row that lacks one.
function Builder:defaultFn(fn)
  if type(fn) ~= "function" then
    util.usage("defaultFn: expected a function")
  end
  self.c.defaultFn = fn
  self.c.hasDefault = true
  return self
end
Builder["$defaultFn"] = Builder.defaultFn

-- A value computed in Lua for each update that does not set the column (and
-- for inserts without a value or default, like Drizzle's $onUpdate).
function Builder:onUpdateFn(fn)
  if type(fn) ~= "function" then
    util.usage("onUpdateFn: expected a function")
  end
  self.c.onUpdateFn = fn
  self.c.hasDefault = true
  return self
end
Builder["$onUpdate"] = Builder.onUpdateFn
Builder["$onUpdateFn"] = Builder.onUpdateFn

-- array(size?): a PostgreSQL array of the column's type (array() again for
-- another dimension); values are Lua sequences, NULL elements sleet.null.
function Builder:array(size)
  local c = self.c
  if c.dialect ~= "postgresql" then
    util.usage(("array: arrays are PostgreSQL's; %s has no array columns")
      :format(c.dialect == "mysql" and "MySQL" or "SQLite"))
  end
  if size ~= nil and (not util.isinteger(size) or size < 1) then
    util.usage("array: size must be a positive integer")
  end
  if c.generated or c.identity or c.auto then
    util.usage("array: a generated, identity or serial column cannot be an "
      .. "array")
  end
  local dims = size and ("[%d]"):format(size) or "[]"
  c.sqlType = c.sqlType .. dims
  if c.ddlType then c.ddlType = c.ddlType .. dims end
  local codec = c.codec or "any"
  if codec:sub(-2) ~= "[]" then c.codec = codec .. "[]" end
  c.dims = (c.dims or 0) + 1
  c.nowSQL, c.randomSQL = nil, nil
  return self
end

-- primaryKey({ autoIncrement = true }) (sqlite) / primaryKey().
function Builder:primaryKey(opts)
  local c = self.c
  c.primary = true
  c.notNull = true
  if type(opts) == "table" and opts.autoIncrement then
    c.autoIncrement = true
  end
  -- SQLite's INTEGER PRIMARY KEY is the rowid: the database assigns it
  if c.dialect == "sqlite" and c.sqlType == "integer" then c.auto = true end
  return self
end

function Builder:unique(name)
  if name ~= nil then checkname("unique", name) end
  self.c.isUnique = true
  self.c.uniqueName = name
  return self
end

local actions = {
  cascade = true, restrict = true, ["no action"] = true,
  ["set null"] = true, ["set default"] = true,
}

local function checkaction(what, a)
  if a ~= nil and not actions[a] then
    util.usage(("%s must be one of cascade, restrict, no action, set null, " ..
      "set default; got %s"):format(what, tostring(a)))
  end
  return a
end
M.checkaction = checkaction

-- references(function() return users.id end, { onDelete, onUpdate }).
function Builder:references(fn, opts)
  if type(fn) ~= "function" then
    util.usage("references: expected a function returning a column")
  end
  opts = opts or {}
  local refs = self.c.refs
  refs[#refs + 1] = {
    fn = fn,
    name = opts.name,
    onDelete = checkaction("onDelete", opts.onDelete),
    onUpdate = checkaction("onUpdate", opts.onUpdate),
  }
  return self
end

-- generatedAlwaysAs(sql, { mode = "stored" | "virtual" }).
function Builder:generatedAlwaysAs(e, opts)
  if util.kind(e) ~= "expr" then
    util.usage("generatedAlwaysAs: expected a sql expression")
  end
  local mode = type(opts) == "table" and opts.mode or nil
  if mode ~= nil and mode ~= "stored" and mode ~= "virtual" then
    util.usage("generatedAlwaysAs: mode must be \"stored\" or \"virtual\"")
  end
  local stored = self.c.dialect == "postgresql" or mode == "stored"
  self.c.generated = { e = e, stored = stored }
  return self
end

-- PostgreSQL identity columns: generatedAlwaysAsIdentity(opts) (the
-- database always assigns the value; writing one is a validation error) and
-- generatedByDefaultAsIdentity(opts) (assigned when none is given). opts:
-- name (of the sequence), startWith, increment, minValue, maxValue, cache,
-- cycle.
local IDENTITY_OPTS = { name = "string", startWith = "number",
  increment = "number", minValue = "number", maxValue = "number",
  cache = "number", cycle = "boolean" }
local IDENTITY_TYPES = { integer = true, smallint = true, bigint = true }

local function identity(self, kind, what, opts)
  local c = self.c
  if c.dialect ~= "postgresql" or not IDENTITY_TYPES[c.columnType] then
    util.usage(("%s is PostgreSQL's, for integer, smallint and bigint " ..
      "columns (not %s %s)"):format(what, c.dialect, c.sqlType))
  end
  if opts ~= nil and (type(opts) ~= "table" or util.kind(opts) ~= nil) then
    util.usage(what .. ": options must be a table")
  end
  local o = {}
  for k, v in pairs(opts or {}) do
    local want = IDENTITY_OPTS[k]
    if not want then
      util.usage(("%s: unknown option %s (name, startWith, increment, " ..
        "minValue, maxValue, cache, cycle)"):format(what, tostring(k)))
    end
    if type(v) ~= want or (want == "number" and not util.isinteger(v)) then
      util.usage(("%s: %s must be %s"):format(what, k,
        want == "number" and "an integer" or ("a " .. want)))
    end
    o[k] = v
  end
  if o.increment == 0 then util.usage(what .. ": increment must not be 0") end
  c.identity = { type = kind, opts = o }
  c.notNull = true
  c.hasDefault = true
  c.auto = true
  return self
end

function Builder:generatedAlwaysAsIdentity(opts)
  return identity(self, "always", "generatedAlwaysAsIdentity", opts)
end
function Builder:generatedByDefaultAsIdentity(opts)
  return identity(self, "byDefault", "generatedByDefaultAsIdentity", opts)
end

-- MySQL's ON UPDATE CURRENT_TIMESTAMP on a timestamp or datetime column:
-- the database sets it to now whenever the row changes.
function Builder:onUpdateNow()
  local c = self.c
  if c.dialect ~= "mysql" or (c.columnType ~= "timestamp" and
    c.columnType ~= "datetime") then
    util.usage(("onUpdateNow is MySQL's, for timestamp and datetime " ..
      "columns (not %s %s)"):format(c.dialect, c.sqlType))
  end
  c.onUpdateNow = true
  return self
end

-- MySQL AUTO_INCREMENT.
function Builder:autoincrement()
  self.c.autoIncrement = true
  self.c.auto = true
  return self
end

-- The column type as Drizzle's getSQLType reports it.
function Builder:getSQLType() return self.c.sqlType end

-- }====================================================================

-- {====================================================================
-- Columns
-- =====================================================================

local Column = { __kind = "column", __name = "sleet.Column" }
Column.__index = Column
M.Column = Column

function Column:getSQLType() return self.sqlType end

-- Index columns in a direction and a NULLS order: t.col:desc(),
-- t.col:nullsFirst(), t.col:desc():nullsLast() (for index():on() and
-- using(); queries order with sleet.asc / sleet.desc).
local IndexCol = { __kind = "indexcol", __name = "sleet.IndexColumn" }
IndexCol.__index = IndexCol
M.IndexCol = IndexCol

-- (fields: column, ascending, nullsOrder; the methods have the short names)
local function indexcol(c, asc, nulls)
  return setmetatable({ column = c, ascending = asc, nullsOrder = nulls },
    IndexCol)
end

function Column:asc() return indexcol(self, true, nil) end
function Column:desc() return indexcol(self, false, nil) end
function Column:nullsFirst() return indexcol(self, true, "first") end
function Column:nullsLast() return indexcol(self, true, "last") end
function IndexCol:asc() return indexcol(self.column, true, self.nullsOrder) end
function IndexCol:desc()
  return indexcol(self.column, false, self.nullsOrder)
end
function IndexCol:nullsFirst()
  return indexcol(self.column, self.ascending, "first")
end
function IndexCol:nullsLast()
  return indexcol(self.column, self.ascending, "last")
end

function Column.__tostring(c)
  local src = c.table and c.table[TABLE]
  return ("column %s.%s"):format(src and (src.alias or src.name) or "?", c.key)
end

-- The fields of a builder a column copies.
local copied = {
  "dialect", "sqlType", "ddlType", "codec", "notNull", "primary",
  "autoIncrement", "auto", "isUnique", "uniqueName", "hasDefault",
  "defaultValue", "defaultFn", "onUpdateFn", "refs", "generated",
  "enumValues", "seq", "decoder", "enum", "onUpdateNow", "identity", "dims",
  "viewOf",
}

local function newcolumn(b, t, key)
  local bc = b.c
  local c = setmetatable({}, Column)
  for _, f in ipairs(copied) do c[f] = bc[f] end
  c.table = t
  c.key = key
  c.explicitName = bc.name
  c.name = bc.name or key
  c.default = bc.defaultValue
  c.columnType = bc.columnType
  c.notNull = c.notNull or false
  c.primary = c.primary or false
  c.hasDefault = c.hasDefault or false
  return c
end
M.newcolumn = newcolumn

-- A column's SQL name under casing function f (nil: the key as is).
function M.sqlname(c, f)
  if c.explicitName then return c.explicitName end
  -- a view's column is named as the column its query selects
  if c.viewOf then return M.sqlname(c.viewOf, f) end
  if f and not c.fixedName then return f(c.key) end
  return c.key
end

-- }====================================================================

-- {====================================================================
-- Tables
-- =====================================================================

local Table = { __kind = "table", __name = "sleet.Table" }
M.TableMT = Table

function Table.__tostring(t)
  local d = rawget(t, TABLE)
  return ("table %s"):format(d.alias or d.name)
end

local function sortcolumns(list)
  table.sort(list, function(x, y)
    if x.seq ~= y.seq then return x.seq < y.seq end
    return x.key < y.key
  end)
end
M.sortcolumns = sortcolumns

-- A table object. dialect: "sqlite" | "postgresql" | "mysql"; columns: key →
-- builder; extras: optional function(t) returning table extras; schema: SQL
-- schema name or nil.
function M.table(dialect, name, columns, extras, schema)
  checkname("table", name)
  if schema ~= nil then checkname(("table %s: schema"):format(name), schema) end
  if type(columns) ~= "table" then
    util.usage(("table %s: columns must be a table"):format(name))
  end
  if extras ~= nil and type(extras) ~= "function" then
    util.usage(("table %s: extras must be a function(t)"):format(name))
  end
  local list = {}
  for key, b in pairs(columns) do
    if type(key) ~= "string" then
      util.usage(("table %s: column keys must be strings"):format(name))
    end
    checkname(("table %s: column"):format(name), key)
    if util.kind(b) ~= "builder" then
      util.usage(("table %s: column %s is not a column builder")
        :format(name, key))
    end
    list[#list + 1] = { key = key, seq = b.c.seq, b = b }
  end
  sortcolumns(list)
  local t = {}
  local def = {
    kind = "table", name = name, schema = schema, dialect = dialect,
    columns = {}, byKey = {}, extrasFn = extras,
  }
  for i, e in ipairs(list) do
    local c = newcolumn(e.b, t, e.key)
    def.columns[i] = c
    def.byKey[e.key] = c
    t[e.key] = c
  end
  t[TABLE] = def
  return setmetatable(t, Table)
end

-- The definition of a table or subquery object, or nil.
function M.def(x)
  if type(x) ~= "table" then return nil end
  return rawget(x, TABLE)
end

-- A copy of table t referenced under another name (self-joins).
function M.alias(t, alias)
  local d = M.def(t)
  if not d or d.kind ~= "table" then util.usage("alias: expected a table") end
  if type(alias) ~= "string" or alias == "" then
    util.usage("alias: the alias must be a non-empty string")
  end
  local a = {}
  local def = util.copy(d)
  def.alias = alias
  def.original = d.original or t
  def.columns, def.byKey = {}, {}
  for i, c in ipairs(d.columns) do
    local nc = setmetatable(util.copy(c), Column)
    nc.table = a
    def.columns[i] = nc
    def.byKey[c.key] = nc
    a[c.key] = nc
  end
  a[TABLE] = def
  return setmetatable(a, Table)
end

-- The extras of a table (evaluated once, when first needed: they may name
-- tables defined after this one).
function M.extras(t)
  local d = M.def(t)
  if d.original then return M.extras(d.original) end
  if d.extrasList then return d.extrasList end
  local list = {}
  if d.extrasFn then
    local r = d.extrasFn(t)
    if type(r) == "table" then
      -- an array, or Drizzle's older object form { name = index(...) }
      if rawget(r, 1) ~= nil or next(r) == nil then
        for _, x in ipairs(r) do list[#list + 1] = x end
      else
        for _, k in ipairs(util.sortedkeys(r)) do list[#list + 1] = r[k] end
      end
    elseif r ~= nil then
      util.usage(("table %s: extras must return a list"):format(d.name))
    end
  end
  for _, x in ipairs(list) do
    if util.kind(x) ~= "extra" then
      util.usage(("table %s: extras must be primaryKey, foreignKey, unique, " ..
        "check, index, uniqueIndex, policy or enableRLS"):format(d.name))
    end
  end
  d.extrasList = list
  return list
end

-- }====================================================================

-- {====================================================================
-- Table extras: primaryKey, foreignKey, unique, check, index, uniqueIndex
-- =====================================================================

local Extra = { __kind = "extra", __name = "sleet.TableExtra" }
Extra.__index = Extra
M.Extra = Extra

local function columnlist(what, list)
  if type(list) ~= "table" then util.usage(what .. ": expected columns") end
  if util.kind(list) == "column" then return { list } end
  local out = {}
  for i, c in ipairs(list) do
    if util.kind(c) ~= "column" then
      util.usage(("%s: item %d is not a column"):format(what, i))
    end
    out[i] = c
  end
  if #out == 0 then util.usage(what .. ": no columns") end
  return out
end

-- primaryKey{ columns = {...}, name = ... } or primaryKey(col, col, ...).
function M.primaryKey(first, ...)
  local cols, name
  if util.kind(first) == "column" then
    cols = columnlist("primaryKey", { first, ... })
  elseif type(first) == "table" then
    cols = columnlist("primaryKey", first.columns)
    name = first.name
  else
    util.usage("primaryKey: expected { columns = {...} }")
  end
  return setmetatable({ type = "primaryKey", columns = cols, name = name },
    Extra)
end

-- foreignKey{ columns = {...}, foreignColumns = {...}, name = ... }
-- with :onDelete(action) / :onUpdate(action).
function M.foreignKey(opts)
  if type(opts) ~= "table" then
    util.usage("foreignKey: expected { columns, foreignColumns }")
  end
  local cols = columnlist("foreignKey columns", opts.columns)
  local fcols = columnlist("foreignKey foreignColumns", opts.foreignColumns)
  if #cols ~= #fcols then
    util.usage("foreignKey: columns and foreignColumns differ in length")
  end
  return setmetatable({
    type = "foreignKey", columns = cols, foreignColumns = fcols,
    name = opts.name,
    onDeleteAction = checkaction("onDelete", opts.onDelete),
    onUpdateAction = checkaction("onUpdate", opts.onUpdate),
  }, Extra)
end

function Extra:onDelete(a)
  self.onDeleteAction = checkaction("onDelete", a)
  return self
end

function Extra:onUpdate(a)
  self.onUpdateAction = checkaction("onUpdate", a)
  return self
end

-- unique(name?):on(col, ...).
function M.unique(name)
  if name ~= nil then checkname("unique", name) end
  return setmetatable({ type = "unique", name = name }, Extra)
end

-- check(name, sql).
function M.check(name, e)
  checkname("check", name)
  if util.kind(e) ~= "expr" then
    util.usage("check: expected a sql expression")
  end
  return setmetatable({ type = "check", name = name, e = e }, Extra)
end

-- index(name):on(col | sql, ...):where(sql).
function M.index(name)
  checkname("index", name)
  return setmetatable({ type = "index", name = name }, Extra)
end

function M.uniqueIndex(name)
  local x = M.index(name)
  x.unique = true
  return x
end

function Extra:on(...)
  local n = select("#", ...)
  local cols = {}
  for i = 1, n do
    local c = select(i, ...)
    local k = util.kind(c)
    if k ~= "column" and not (k == "expr" and self.type ~= "unique") and
      not (k == "indexcol" and self.type == "index") then
      util.usage(("%s: item %d is not a column"):format(self.type, i))
    end
    cols[#cols + 1] = c
  end
  if #cols == 0 then util.usage(self.type .. ": on() needs columns") end
  self.columns = cols
  return self
end

-- index(name):on(...):concurrently(): PostgreSQL builds it without locking
-- out writes (CREATE INDEX CONCURRENTLY; the migration holding it runs
-- outside a transaction, as PostgreSQL requires).
function Extra:concurrently()
  if self.type ~= "index" then
    util.usage("concurrently: only indexes are built concurrently")
  end
  self.conc = true
  return self
end

-- unique(name):on(...):nullsNotDistinct(): rows whose columns are NULL
-- count as equal (PostgreSQL 15).
function Extra:nullsNotDistinct()
  if self.type ~= "unique" and not (self.type == "index" and self.unique) then
    util.usage("nullsNotDistinct: only unique constraints and unique " ..
      "indexes have it")
  end
  self.nnd = true
  return self
end

-- index(name):using("gin", col, ...): an index of another access method
-- (PostgreSQL's gin, gist, hash, brin, ...).
function Extra:using(method, ...)
  if self.type ~= "index" then
    util.usage("using: only indexes have an access method")
  end
  if type(method) ~= "string" or not method:match("^[%a_][%w_]*$") then
    util.usage("using: the method must be a name like \"gin\"")
  end
  self.method = method
  if select("#", ...) > 0 then return self:on(...) end
  return self
end

function Extra:where(e)
  if self.type ~= "index" then util.usage("where: only indexes are partial") end
  self.whereExpr = e
  return self
end

-- }====================================================================

-- The table extras every dialect module offers (pg.index, mysql.check, ...).
-- customType({ dataType = function(opts) -> sql type, toDriver = fn,
-- fromDriver = fn }) of a dialect: a column factory, called like the
-- built-in ones (name and options optional; dataType gets the options).
-- toDriver maps each value written or compared (not nil / sleet.null) to
-- what the driver binds, fromDriver each non-NULL cell read; both run in
-- the C core's codec, so every path (filters, placeholders, batches,
-- relational rows, arrays of the type, defaults in DDL) takes them.
function M.customType(dialect, config)
  if type(config) ~= "table" then
    util.usage("customType: expected { dataType = fn, toDriver = fn, " ..
      "fromDriver = fn }")
  end
  for k, v in pairs(config) do
    if k ~= "dataType" and k ~= "toDriver" and k ~= "fromDriver" then
      util.usage(("customType: unknown field %s (dataType, toDriver, " ..
        "fromDriver)"):format(tostring(k)))
    end
    if type(v) ~= "function" then
      util.usage(("customType: %s must be a function"):format(k))
    end
  end
  if config.dataType == nil then
    util.usage("customType: dataType is required (a function returning " ..
      "the SQL type)")
  end
  local codec = require("sleet.core").customtype(config.toDriver,
    config.fromDriver)
  return function(a, b)
    local name, opts = M.args("customType", a, b)
    local sqltype = config.dataType(opts)
    if type(sqltype) ~= "string" or sqltype == "" then
      util.usage("customType: dataType must return the SQL type as a " ..
        "non-empty string")
    end
    return M.builder({ dialect = dialect, name = name, sqlType = sqltype,
      codec = codec, columnType = "custom" })
  end
end

function M.addExtras(mod)
  for _, name in ipairs({ "primaryKey", "foreignKey", "unique", "check",
    "index", "uniqueIndex", "alias" }) do
    mod[name] = M[name]
  end
  return mod
end

return M
