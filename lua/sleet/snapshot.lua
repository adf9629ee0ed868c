-- Snapshots: a schema table described as data, in drizzle-kit's snapshot
-- shape (docs/internals.md, "Migrations"). Two snapshots are what the diff
-- engine (core.diff) compares; generate writes them to meta/NNNN_snapshot.json.
--
-- The same schema always gives the same snapshot: SQL text (defaults,
-- checks, generated columns, partial-index predicates, index expressions)
-- is spelled by the C core (core.ddl_expr) with literals inlined, exactly
-- as CREATE TABLE writes it, and files are written with sorted keys.
local casing = require "sleet.casing"
local column = require "sleet.column"
local core = require "sleet.core"
local expr = require "sleet.expr"
local query = require "sleet.query"
local util = require "sleet.util"

local M = {}

local kind = util.kind
local def = column.def

-- Snapshot format versions, as drizzle-kit numbers them per dialect.
M.versions = { postgresql = "7", mysql = "5", sqlite = "6" }

-- The prevId of the first snapshot of a folder.
M.ZERO = "00000000-0000-0000-0000-000000000000"

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
  -- enums used by columns but not exported belong to the schema too
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
-- Building a snapshot
-- =====================================================================

-- The key of a table in a snapshot: "schema.name" on PostgreSQL (schema
-- "public" when none), the name elsewhere.
function M.tablekey(dialect, schema, name)
  if dialect == "postgresql" then
    return ((schema == nil or schema == "") and "public" or schema) .. "." ..
      name
  end
  return name
end

-- An empty snapshot of a dialect (what a folder starts from).
function M.empty(dialect)
  dialect = query.dialect(dialect)
  return {
    version = M.versions[dialect], dialect = dialect,
    id = M.ZERO, prevId = M.ZERO,
    tables = {}, enums = {}, schemas = {},
    _meta = { schemas = {}, tables = {}, columns = {} },
  }
end

local function joinnames(list) return table.concat(list, "_") end

local function colnames(cols, f)
  local out = {}
  for i, c in ipairs(cols) do out[i] = column.sqlname(c, f) end
  return out
end

local function realdef(c)
  local d = def(c.table)
  if d.original then d = def(d.original) end
  return d
end

-- The SQL text of an expression node as DDL writes it.
local function ddl(dialect, node)
  return core.ddl_expr(dialect, node)
end

-- The text after DEFAULT, as CREATE TABLE writes it: literals as they
-- are, expressions in parentheses on SQLite and MySQL (which require them
-- there).
local function defaulttext(dialect, c, d, name, uctx)
  local v = c.default
  local node
  if kind(v) == "expr" then
    node = v.build(uctx)
  else
    node = { k = "param", v = v, ty = c.codec, col = d.name .. "." .. name }
  end
  return core.ddl_expr(dialect, node, "default")
end

local function schemato(dialect, s)
  if dialect ~= "postgresql" or s == nil or s == "public" then return "" end
  return s
end

-- The snapshot entry of table t and its key.
local function tableentry(t, dialect, f)
  local d = def(t)
  local ctx = { dialect = dialect, casing = f }
  local uctx = query.unqualified(ctx)
  local extras = column.extras(t)
  local composite
  for _, x in ipairs(extras) do
    if x.type == "primaryKey" then composite = x end
  end
  local entry = {
    name = d.name,
    schema = dialect == "postgresql" and d.schema ~= "public" and d.schema
      or "",
    columns = {}, indexes = {}, foreignKeys = {}, compositePrimaryKeys = {},
    uniqueConstraints = {}, checkConstraints = {},
  }
  local function add(kindname, map, name, value)
    if map[name] ~= nil then
      util.usage(("table %s: two %s named %s"):format(d.name, kindname, name))
    end
    map[name] = value
  end
  for i, c in ipairs(d.columns) do
    local name = column.sqlname(c, f)
    if entry.columns[name] then
      util.usage(("table %s: two columns named %s"):format(d.name, name))
    end
    local ce = {
      name = name, type = c.ddlType or c.sqlType, order = i,
      primaryKey = (c.primary and not composite) or false,
      notNull = c.notNull or false,
      autoincrement = c.autoIncrement or false,
    }
    if c.default ~= nil then
      ce.default = defaulttext(dialect, c, d, name, uctx)
    end
    if c.generated then
      ce.generated = {
        as = ddl(dialect, c.generated.e.build(uctx)),
        type = (c.generated.stored or dialect == "postgresql") and "stored"
          or "virtual",
      }
    end
    entry.columns[name] = ce
    if c.isUnique then
      local un = c.uniqueName or (d.name .. "_" .. name .. "_unique")
      add("unique constraints", entry.uniqueConstraints, un,
        { name = un, columns = { name } })
    end
    for _, r in ipairs(c.refs or {}) do
      local rc = r.fn()
      if kind(rc) ~= "column" then
        util.usage(("%s.%s: references() must return a column"):format(d.name,
          c.key))
      end
      local rd = realdef(rc)
      local rname = column.sqlname(rc, f)
      local fname = r.name or joinnames({ d.name, name, rd.name, rname, "fk" })
      add("foreign keys", entry.foreignKeys, fname, {
        name = fname, tableFrom = d.name, columnsFrom = { name },
        tableTo = rd.name, schemaTo = schemato(dialect, rd.schema),
        columnsTo = { rname },
        onDelete = r.onDelete or "no action",
        onUpdate = r.onUpdate or "no action",
      })
    end
  end
  for _, x in ipairs(extras) do
    if x.type == "primaryKey" then
      local cols = colnames(x.columns, f)
      local pn = x.name or (d.name .. "_" .. joinnames(cols) .. "_pk")
      entry.compositePrimaryKeys[pn] = { name = pn, columns = cols }
    elseif x.type == "foreignKey" then
      local cols = colnames(x.columns, f)
      local rd = realdef(x.foreignColumns[1])
      local rcols = colnames(x.foreignColumns, f)
      local fname = x.name or (d.name .. "_" .. joinnames(cols) .. "_" ..
        rd.name .. "_" .. joinnames(rcols) .. "_fk")
      add("foreign keys", entry.foreignKeys, fname, {
        name = fname, tableFrom = d.name, columnsFrom = cols,
        tableTo = rd.name, schemaTo = schemato(dialect, rd.schema),
        columnsTo = rcols,
        onDelete = x.onDeleteAction or "no action",
        onUpdate = x.onUpdateAction or "no action",
      })
    elseif x.type == "unique" then
      if not x.columns then
        util.usage(("%s: unique(%s) needs :on(columns)"):format(d.name,
          tostring(x.name)))
      end
      local cols = colnames(x.columns, f)
      local un = x.name or (d.name .. "_" .. joinnames(cols) .. "_unique")
      add("unique constraints", entry.uniqueConstraints, un,
        { name = un, columns = cols })
    elseif x.type == "check" then
      add("checks", entry.checkConstraints, x.name,
        { name = x.name, value = ddl(dialect, x.e.build(uctx)) })
    elseif x.type == "index" then
      if not x.columns then
        util.usage(("%s: index %s needs :on(columns)"):format(d.name, x.name))
      end
      local cols = {}
      for j, c in ipairs(x.columns) do
        if kind(c) == "column" then
          cols[j] = { expression = column.sqlname(c, f), isExpression = false,
            asc = true }
        else
          cols[j] = { expression = ddl(dialect, expr.tonode(c, uctx)),
            isExpression = true, asc = true }
        end
      end
      local ix = { name = x.name, columns = cols, isUnique = x.unique or false }
      if x.whereExpr then
        ix.where = ddl(dialect, expr.tonode(x.whereExpr, uctx))
      end
      if dialect == "postgresql" then ix.method = "btree" end
      add("indexes", entry.indexes, x.name, ix)
    end
  end
  return M.tablekey(dialect, d.schema, d.name), entry
end

-- snapshot.build(schema, dialect, { casing }) → the snapshot table of a
-- schema (tables keyed as M.tablekey, enums and schemas on PostgreSQL),
-- with id and prevId set to ZERO (generate sets them). Raises a usage error
-- for a malformed schema (two constraints of one name, a table of another
-- dialect, ...).
-- The names of what a snapshot entry's maps hold, for messages.
local PARTS = { columns = "column", indexes = "index",
  foreignKeys = "foreign key", compositePrimaryKeys = "primary key",
  uniqueConstraints = "unique constraint",
  checkConstraints = "check constraint" }

-- A name quoted for a message, its control bytes escaped (%q writes a
-- newline as a backslash and a newline: made \n).
local function shown(name)
  return (("%q"):format(name):gsub("\n", "n"))
end

-- Snapshot files are JSON, whose writer refuses a NUL byte in an object
-- key (and no database takes one in a name): a name holding one is
-- refused here, naming its table, rather than by the writer, which
-- cannot say whose name it was.
local function checknames(key, entry)
  local tname = entry.name
  if entry.schema and entry.schema ~= "" then
    tname = entry.schema .. "." .. tname
  end
  if key:find("\0", 1, true) then
    util.validation(("table %s: its name contains a NUL byte"):format(
      shown(tname)), { table = tname })
  end
  local fields = {}
  for field in pairs(entry) do fields[#fields + 1] = field end
  table.sort(fields)
  for _, field in ipairs(fields) do
    local map = entry[field]
    if type(map) == "table" then
      for name in pairs(map) do
        if type(name) == "string" and name:find("\0", 1, true) then
          util.validation(("table %s: %s %s: its name contains a NUL byte")
            :format(shown(tname), PARTS[field] or field, shown(name)),
            { table = tname })
        end
      end
    end
  end
end

function M.build(schema, dialect, opts)
  opts = opts or {}
  dialect = query.dialect(dialect)
  local f = opts.casing
  if type(f) ~= "function" then f = casing.resolve(f, util.usage) end
  local snap = M.empty(dialect)
  local tables, enums = M.entities(schema)
  for _, t in ipairs(tables) do
    local d = def(t)
    if d.dialect ~= dialect then
      util.usage(("table %s is a %s table, the schema is %s"):format(d.name,
        d.dialect, dialect))
    end
    local key, entry = tableentry(t, dialect, f)
    checknames(key, entry)
    if snap.tables[key] then
      util.usage(("two tables named %s"):format(key))
    end
    snap.tables[key] = entry
    if dialect == "postgresql" and d.schema and d.schema ~= "public" then
      snap.schemas[d.schema] = d.schema
    end
  end
  if dialect == "postgresql" then
    for _, e in ipairs(enums) do
      local s = e.schema or "public"
      if (s .. e.enumName):find("\0", 1, true) then
        util.validation(("enum %s: its name contains a NUL byte"):format(
          shown(s .. "." .. e.enumName)))
      end
      local values = {}
      for i, v in ipairs(e.enumValues) do values[i] = v end
      snap.enums[s .. "." .. e.enumName] = { name = e.enumName, schema = s,
        values = values }
      if s ~= "public" then snap.schemas[s] = s end
    end
  end
  return snap
end

-- }====================================================================

-- {====================================================================
-- JSON files and ids
-- =====================================================================

local function jstring(s)
  return (core.json_encode(s))
end

local function isarray(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- Pretty JSON (two-space indent, sorted keys, "{}" for an empty table),
-- the way drizzle-kit writes its meta files.
function M.encode(v)
  local out = {}
  local function emit(x, indent)
    local tx = type(x)
    if tx ~= "table" then
      out[#out + 1] = core.json_encode(x)
      return
    end
    local inner = indent .. "  "
    if isarray(x) then
      out[#out + 1] = "[\n"
      for i, item in ipairs(x) do
        out[#out + 1] = inner
        emit(item, inner)
        out[#out + 1] = i < #x and ",\n" or "\n"
      end
      out[#out + 1] = indent .. "]"
      return
    end
    local keys = util.sortedkeys(x)
    if #keys == 0 then
      out[#out + 1] = "{}"
      return
    end
    out[#out + 1] = "{\n"
    for i, k in ipairs(keys) do
      out[#out + 1] = inner .. jstring(tostring(k)) .. ": "
      emit(x[k], inner)
      out[#out + 1] = i < #keys and ",\n" or "\n"
    end
    out[#out + 1] = indent .. "}"
  end
  emit(v, "")
  return table.concat(out)
end

-- The snapshot (or any JSON document) of a text; raises a usage error
-- naming where when it is not JSON.
function M.decode(text, where)
  local ok, v = pcall(core.json_decode, text)
  if not ok or type(v) ~= "table" then
    util.usage(("%s is not valid JSON: %s"):format(where or "snapshot",
      ok and "not an object" or tostring(v and v.message or v)))
  end
  return v
end

local seeded = false

-- A random (version 4) UUID, from /dev/urandom where there is one.
function M.uuid()
  local bytes
  local f = io.open("/dev/urandom", "rb")
  if f then
    bytes = f:read(16)
    f:close()
  end
  if not bytes or #bytes ~= 16 then
    if not seeded then
      math.randomseed(os.time(), math.floor(os.clock() * 1e6))
      seeded = true
    end
    local t = {}
    for i = 1, 16 do t[i] = string.char(math.random(0, 255)) end
    bytes = table.concat(t)
  end
  local b = { bytes:byte(1, 16) }
  -- version 4, variant 10 (arithmetic: LuaJIT has no bit operators)
  b[7] = b[7] % 16 + 64
  b[9] = b[9] % 64 + 128
  local hex = {}
  for i = 1, 16 do hex[i] = ("%02x"):format(b[i]) end
  local h = table.concat(hex)
  return ("%s-%s-%s-%s-%s"):format(h:sub(1, 8), h:sub(9, 12), h:sub(13, 16),
    h:sub(17, 20), h:sub(21, 32))
end

-- A deep copy of a snapshot (or any tree of plain tables).
function M.copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = M.copy(x) end
  return c
end

-- The parts of a snapshot that describe the database (tables, enums,
-- schemas), as compact JSON with sorted keys: two snapshots describe the
-- same database when their fingerprints are equal.
function M.fingerprint(snap)
  return core.json_encode({ dialect = snap.dialect, tables = snap.tables,
    enums = snap.enums or {}, schemas = snap.schemas or {} })
end

-- }====================================================================

return M
