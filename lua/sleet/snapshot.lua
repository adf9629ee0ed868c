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

-- sleet.views (loaded when first needed: it needs the query module).
local function views_mod() return require "sleet.views" end

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
  local sequences, roles, views = {}, {}, {}
  for _, v in pairs(schema) do
    local k = kind(v)
    if k == "role" and not seen[v] then
      seen[v] = true
      roles[#roles + 1] = v
    elseif k == "sequence" and not seen[v] then
      seen[v] = true
      sequences[#sequences + 1] = v
    elseif k == "table" and not seen[v] and def(v).view then
      seen[v] = true
      views[#views + 1] = v
    elseif k == "table" and not seen[v] then
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
  table.sort(sequences, function(a, b)
    return (a.schema or "") .. "." .. a.seqName <
      (b.schema or "") .. "." .. b.seqName
  end)
  table.sort(roles, function(a, b) return a.roleName < b.roleName end)
  table.sort(views, function(a, b)
    return qualified(def(a)) < qualified(def(b))
  end)
  return order, enums, sequences, roles, views
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
    tables = {}, enums = {}, schemas = {}, sequences = {}, views = {},
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

-- The same with its columns qualified (a policy's expressions, as
-- drizzle-kit writes them).
local function qddl(dialect, node)
  return core.ddl_expr(dialect, node, "qualified")
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

-- The largest and smallest value of each identity column type.
local IDENTITY_MAX = { smallint = "32767", integer = "2147483647",
  bigint = "9223372036854775807" }
local IDENTITY_MIN = { smallint = "-32768", integer = "-2147483648",
  bigint = "-9223372036854775808" }

-- The options of a sequence as snapshots keep them (integers as text),
-- drizzle-kit's defaults filled in: counting up from 1 to top, or down from
-- -1 to bottom.
local function seqoptions(o, top, bottom)
  local inc = o.increment or 1
  local minv, maxv
  if inc > 0 then
    minv = o.minValue and ("%d"):format(o.minValue) or "1"
    maxv = o.maxValue and ("%d"):format(o.maxValue) or top
  else
    minv = o.minValue and ("%d"):format(o.minValue) or bottom
    maxv = o.maxValue and ("%d"):format(o.maxValue) or "-1"
  end
  return {
    increment = ("%d"):format(inc),
    startWith = o.startWith and ("%d"):format(o.startWith) or
      (inc > 0 and minv or maxv),
    minValue = minv, maxValue = maxv,
    cache = o.cache and ("%d"):format(o.cache) or "1",
    cycle = o.cycle or false,
  }
end

-- The snapshot "identity" of a column (drizzle-kit's shape and defaults:
-- a sequence named <table>_<column>_seq up to the type's largest value).
function M.identity(id, ctype, d, colname)
  local o = id.opts or {}
  local e = seqoptions(o, IDENTITY_MAX[ctype] or IDENTITY_MAX.integer,
    IDENTITY_MIN[ctype] or IDENTITY_MIN.integer)
  e.type = id.type
  e.name = o.name or (d.name .. "_" .. colname .. "_seq")
  e.schema = (d.schema and d.schema ~= "") and d.schema or "public"
  return e
end

-- The snapshot entry of a pg.sequence.
function M.sequence(q)
  local e = seqoptions(q.opts or {}, IDENTITY_MAX.bigint,
    IDENTITY_MIN.bigint)
  e.name = q.seqName
  e.schema = q.schema or "public"
  return e
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
    if c.onUpdateNow then ce.onUpdate = true end
    if c.identity then
      ce.identity = M.identity(c.identity, c.columnType, d, name)
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
      if x.nnd and dialect ~= "postgresql" then
        util.usage(("%s: unique %s: nullsNotDistinct is PostgreSQL's")
          :format(d.name, un))
      end
      add("unique constraints", entry.uniqueConstraints, un,
        { name = un, columns = cols,
          nullsNotDistinct = x.nnd or nil })
    elseif x.type == "check" then
      add("checks", entry.checkConstraints, x.name,
        { name = x.name, value = ddl(dialect, x.e.build(uctx)) })
    elseif x.type == "policy" or x.type == "rls" then
      if dialect ~= "postgresql" then
        util.usage(("%s: row-level security (%s) is PostgreSQL's"):format(
          d.name, x.type == "rls" and "enableRLS" or ("policy " .. x.name)))
      end
      -- a policy switches RLS on; files say isRLSEnabled only for
      -- enableRLS(), as drizzle-kit does (see tofile / fromfile)
      entry.isRLSEnabled = true
      if x.type == "rls" then entry.rlsExplicit = true end
      if x.type == "policy" then
        -- PostgreSQL keeps public alone when it is among the roles (it
        -- means everyone)
        local to = {}
        for i, r in ipairs(x.to) do
          to[i] = r
          if r == "public" then to = { "public" } break end
        end
        table.sort(to)
        if #to == 0 then to[1] = "public" end
        entry.policies = entry.policies or {}
        add("policies", entry.policies, x.name, { name = x.name,
          as = x.as:upper(), ["for"] = x.cmd:upper(), to = to,
          using = x.usingExpr and qddl(dialect, x.usingExpr.build(ctx)) or
            nil,
          withCheck = x.checkExpr and qddl(dialect,
            x.checkExpr.build(ctx)) or nil })
      end
    elseif x.type == "index" then
      if not x.columns then
        util.usage(("%s: index %s needs :on(columns)"):format(d.name, x.name))
      end
      local cols = {}
      for j, c in ipairs(x.columns) do
        if kind(c) == "column" then
          cols[j] = { expression = column.sqlname(c, f), isExpression = false,
            asc = true }
        elseif kind(c) == "indexcol" then
          -- NULLS in the direction's default order says nothing
          local nulls = c.nullsOrder
          if nulls ~= nil and (nulls == "last") == c.ascending then
            nulls = nil
          end
          if nulls ~= nil and dialect ~= "postgresql" then
            util.usage(("%s: index %s: nullsFirst / nullsLast are " ..
              "PostgreSQL's"):format(d.name, x.name))
          end
          cols[j] = { expression = column.sqlname(c.column, f),
            isExpression = false, asc = c.ascending, nulls = nulls }
        else
          cols[j] = { expression = ddl(dialect, expr.tonode(c, uctx)),
            isExpression = true, asc = true }
        end
      end
      local ix = { name = x.name, columns = cols, isUnique = x.unique or false }
      if x.whereExpr then
        ix.where = ddl(dialect, expr.tonode(x.whereExpr, uctx))
      end
      if x.conc and dialect ~= "postgresql" then
        util.usage(("%s: index %s: concurrently is PostgreSQL's"):format(
          d.name, x.name))
      end
      ix.concurrently = x.conc or nil
      if x.nnd and dialect ~= "postgresql" then
        util.usage(("%s: index %s: nullsNotDistinct is PostgreSQL's")
          :format(d.name, x.name))
      end
      ix.nullsNotDistinct = x.nnd or nil
      if dialect == "postgresql" then
        ix.method = x.method or "btree"
      elseif x.method ~= nil then
        util.usage(("%s: index %s: using(%q) is PostgreSQL's"):format(d.name,
          x.name, x.method))
      end
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
  local tables, enums, sequences, roles, views = M.entities(schema)
  if #roles > 0 and dialect ~= "postgresql" then
    util.usage(("role %s: roles are PostgreSQL's"):format(roles[1].roleName))
  end
  for _, r in ipairs(roles) do
    snap.roles = snap.roles or {}
    snap.roles[r.roleName] = { name = r.roleName, createDb = r.opts.createDb,
      createRole = r.opts.createRole, inherit = r.opts.inherit }
  end
  if #sequences > 0 and dialect ~= "postgresql" then
    util.usage(("sequence %s: sequences are PostgreSQL's"):format(
      sequences[1].seqName))
  end
  for _, q in ipairs(sequences) do
    local e = M.sequence(q)
    local key = e.schema .. "." .. e.name
    if snap.sequences[key] then
      util.usage(("two sequences named %s"):format(key))
    end
    snap.sequences[key] = e
    if e.schema ~= "public" then snap.schemas[e.schema] = e.schema end
  end
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
  local vctx = { dialect = dialect, casing = f }
  for _, v in ipairs(views) do
    local d = def(v)
    if d.dialect ~= dialect then
      util.usage(("view %s is a %s view, the schema is %s"):format(d.name,
        d.dialect, dialect))
    end
    local key, entry = views_mod().entry(v, dialect, vctx)
    if snap.views[key] or snap.tables[key] then
      util.usage(("two tables or views named %s"):format(key))
    end
    snap.views[key] = entry
    if dialect == "postgresql" and d.schema and d.schema ~= "public" then
      snap.schemas[d.schema] = d.schema
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
-- the way drizzle-kit writes its meta files. A table whose metatable has
-- __keys (a list of keys) has those written first, in that order.
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
    -- a map may say its order (decode's ordered maps, tofile's columns):
    -- its listed keys come first, any others after them, sorted
    local keys = util.sortedkeys(x)
    local mt = getmetatable(x)
    local listed = type(mt) == "table" and rawget(mt, "__keys")
    if listed then
      local seen, first = {}, {}
      for _, k in ipairs(listed) do
        if x[k] ~= nil and not seen[k] then
          seen[k] = true
          first[#first + 1] = k
        end
      end
      for _, k in ipairs(keys) do
        if not seen[k] then first[#first + 1] = k end
      end
      keys = first
    end
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
-- naming where when it is not JSON. ordered: each object's metatable
-- lists its keys in the order of the text (__keys).
function M.decode(text, where, ordered)
  local ok, v = pcall(core.json_decode, text, ordered or false)
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

-- {====================================================================
-- Snapshot files: drizzle-kit's shapes
-- =====================================================================

-- drizzle-kit checks a snapshot file against a strict shape per dialect
-- (an unknown key anywhere and it stops: "data is malformed"), and
-- compares what it reads with what it builds from a TypeScript schema.
-- tofile writes sleet's snapshot in that shape, as drizzle-kit would
-- write the same schema; fromfile reads either tool's files back into
-- sleet's shape. Where they differ:
--
--   columns        sleet keeps an `order`; a file has the columns in order
--                  and no `order` (nor, on PostgreSQL, `autoincrement`)
--   pg enums       sleet's type is the quoted name ("mood", "s"."mood");
--                  a file's is the bare name and a typeSchema
--   defaults       integers, exact decimals and booleans are JSON values
--   pg indexes     nulls per column, concurrently and with, as drizzle-kit
--                  writes them; unique constraints: nullsNotDistinct
--   checks         drizzle-kit qualifies its table's columns ("users"."n")
--   MySQL, SQLite  index columns are strings (expressions and descending
--                  columns marked in internal.indexes), no schema key on
--                  tables or
--                  foreign keys; MySQL's checks are checkConstraint and
--                  a column's primary key is a one-column composite key
--                  named <table>_<column>; SQLite's boolean defaults are
--                  false and true, and a column's unique constraint is a
--                  unique index (M.align reads either as the other)

local function quoted(name) return '"' .. name:gsub('"', '""') .. '"' end

-- The columns of a snapshot table in their order (then by name).
function M.columns(t)
  local list = {}
  for _, c in pairs(t.columns) do list[#list + 1] = c end
  table.sort(list, function(a, b)
    if (a.order or 0) ~= (b.order or 0) then
      return (a.order or 0) < (b.order or 0)
    end
    return a.name < b.name
  end)
  return list
end

local function ordered(map, keys) return setmetatable(map, { __keys = keys }) end

-- A default's text as the JSON value drizzle-kit writes for it, where
-- reading it back gives the same text.
local function jsondefault(d)
  if d == "true" then return true end
  if d == "false" then return false end
  if d:match("^%-?%d+$") and #d <= 15 then return tonumber(d) end
  if d:match("^%-?%d+%.%d+$") and ("%.17g"):format(tonumber(d)) == d then
    return tonumber(d)
  end
  return d
end

-- The identifier quote of a dialect.
local QUOTE = { postgresql = '"', sqlite = '"', mysql = "`" }

-- SQL text as tokens: quoted identifiers { id = name, text }, string
-- literals whole and every other character alone ({ text }).
local function sqltokens(text, q)
  local toks, i, n = {}, 1, #text
  while i <= n do
    local c = text:sub(i, i)
    if c == "'" or c == q then
      local j, buf = i + 1, {}
      while j <= n do
        local d = text:sub(j, j)
        if d == c and text:sub(j + 1, j + 1) == c then
          buf[#buf + 1] = c
          j = j + 2
        elseif d == c then
          break
        elseif d == "\\" and q == "`" and c == "'" then
          buf[#buf + 1] = text:sub(j, j + 1)
          j = j + 2
        else
          buf[#buf + 1] = d
          j = j + 1
        end
      end
      toks[#toks + 1] = { text = text:sub(i, j),
        id = c == q and table.concat(buf) or nil }
      i = j + 1
    else
      toks[#toks + 1] = { text = c }
      i = i + 1
    end
  end
  return toks
end

local function quoteid(q, name) return q .. name:gsub(q, q .. q) .. q end

local function isdot(tok) return tok ~= nil and tok.text == "." end

local function jointokens(toks)
  local out = {}
  for i, tok in ipairs(toks) do out[i] = tok.text end
  return table.concat(out)
end

-- A check as drizzle-kit spells it: the columns of its table qualified by
-- the table ("users"."score" > 0).
local function qualifycheck(dialect, t, value)
  local q = QUOTE[dialect]
  local toks = sqltokens(value, q)
  for i, tok in ipairs(toks) do
    if tok.id and t.columns[tok.id] and not isdot(toks[i - 1]) and
      not isdot(toks[i + 1]) then
      tok.text = quoteid(q, t.name) .. "." .. tok.text
    end
  end
  return jointokens(toks)
end

-- A check as sleet spells it: "users"."score" is "score" in table users.
local function unqualifycheck(dialect, t, value)
  local q = QUOTE[dialect]
  local toks = sqltokens(value, q)
  for i, tok in ipairs(toks) do
    if tok.id == t.name and isdot(toks[i + 1]) and toks[i + 2] and
      toks[i + 2].id and not isdot(toks[i - 1]) then
      tok.text, toks[i + 1].text = "", ""
    end
  end
  return jointokens(toks)
end

-- The SQLite columns of a schema that hold booleans ("table.column"):
-- their defaults are 0 and 1 to sleet and false and true to drizzle-kit.
local function sqlitebooleans(schema, f)
  local set = {}
  if schema == nil then return set end
  local tables = M.entities(schema)
  for _, t in ipairs(tables) do
    local d = def(t)
    for _, c in ipairs(d.columns) do
      if c.codec == "bool" then
        set[d.name .. "." .. column.sqlname(c, f)] = true
      end
    end
  end
  return set
end

-- snapshot.tofile(snap, { schema, casing }) → the snapshot in drizzle-kit's
-- file shape; the schema it was built from says which SQLite integer
-- columns hold booleans.
function M.tofile(snap, opts)
  local out = M.copy(snap)
  local dialect = out.dialect
  local bools = {}
  if dialect == "sqlite" and opts and opts.schema then
    local f = opts.casing
    if type(f) ~= "function" then f = casing.resolve(f, util.usage) end
    bools = sqlitebooleans(opts.schema, f)
  end
  local pg = dialect == "postgresql"
  local enumtypes = {}
  for _, e in pairs(out.enums or {}) do
    local q = quoted(e.name)
    enumtypes[e.schema == "public" and q or (quoted(e.schema) .. "." .. q)] = e
  end
  local internal = { tables = {}, indexes = {} }
  local nnd -- PostgreSQL unique indexes NULLS NOT DISTINCT, by table key
  for tkey, t in pairs(out.tables or {}) do
    local list = M.columns(t)
    local keys = {}
    for i, c in ipairs(list) do
      keys[i] = c.name
      c.order = nil
      if (dialect == "mysql" and c.type == "boolean" or
        bools[t.name .. "." .. c.name]) and
        (c.default == "0" or c.default == "1") then
        c.default = c.default == "1"
      elseif c.default ~= nil then
        c.default = jsondefault(c.default)
      end
      if pg then
        c.autoincrement = nil
        -- an enum (or an array of one): its bare name and a typeSchema
        local base, dims = c.type:match("^(.-)(%[[%d%[%]]*%])$")
        local e = enumtypes[c.type] or (base and enumtypes[base])
        if e then
          c.type, c.typeSchema = e.name .. (enumtypes[c.type] and "" or dims),
            e.schema
        end
      end
    end
    ordered(t.columns, keys)
    for _, ck in pairs(t.checkConstraints or {}) do
      ck.value = qualifycheck(dialect, t, ck.value)
    end
    if dialect == "sqlite" then
      -- a column's unique(): a unique index of drizzle-kit's name
      for name, u in pairs(t.uniqueConstraints or {}) do
        if #u.columns == 1 and name == t.name .. "_" .. u.columns[1] ..
          "_unique" and not (t.indexes or {})[name] then
          t.uniqueConstraints[name] = nil
          t.indexes[name] = { name = name, isUnique = true,
            columns = { { expression = u.columns[1], isExpression = false,
              asc = true } } }
        end
      end
    end
    for _, fk in pairs(t.foreignKeys or {}) do
      if not pg or fk.schemaTo == "" then fk.schemaTo = nil end
    end
    if pg then
      for name, ix in pairs(t.indexes or {}) do
        -- drizzle-kit's index has no such key (it refuses one): kept in
        -- internal, which it passes over
        if ix.nullsNotDistinct then
          nnd = nnd or {}
          nnd[tkey] = nnd[tkey] or {}
          nnd[tkey][name] = true
        end
        ix.nullsNotDistinct = nil
        ix.concurrently = ix.concurrently or false
        ix.with = {}
        ix.method = ix.method or "btree"
        for _, c in ipairs(ix.columns) do
          c.nulls = c.nulls or (c.asc == false and "first" or "last")
        end
      end
      for _, u in pairs(t.uniqueConstraints or {}) do
        u.nullsNotDistinct = u.nullsNotDistinct or false
      end
      t.policies = t.policies or {}
      t.isRLSEnabled = t.rlsExplicit or false
      t.rlsExplicit = nil
    else
      t.schema = nil
      for name, ix in pairs(t.indexes or {}) do
        local cols, marks = {}, nil
        for i, c in ipairs(ix.columns) do
          cols[i] = c.expression
          -- drizzle-kit keeps expressions here; sleet also the direction
          if c.isExpression or c.asc == false then
            marks = marks or {}
            marks[c.expression] = { isExpression = c.isExpression or nil,
              desc = c.asc == false or nil }
          end
        end
        ix.columns = cols
        ix.method = nil
        if dialect == "mysql" then ix.where = nil end
        if marks then internal.indexes[name] = { columns = marks } end
      end
      if dialect == "mysql" then
        t.checkConstraint = t.checkConstraints or {}
        t.checkConstraints = nil
        for _, c in ipairs(list) do
          if c.primaryKey then
            local pk = t.name .. "_" .. c.name
            c.primaryKey = false
            t.compositePrimaryKeys[pk] = { name = pk, columns = { c.name } }
          end
        end
      end
    end
  end
  local meta = out._meta or {}
  if pg then
    out.sequences = out.sequences or {}
    out.roles = out.roles or {}
    out.policies, out.views = {}, out.views or {}
    if nnd then out.internal = { tables = {}, nullsNotDistinct = nnd } end
  else
    out.schemas = nil
    out.sequences = nil
    out.views = out.views or {}
    out._meta = { tables = meta.tables or {}, columns = meta.columns or {} }
    if dialect == "mysql" then
      out.enums = nil
      out.internal = internal
    else
      out.enums = {}
      out.internal = { indexes = internal.indexes }
    end
  end
  return out
end

-- The snapshot a file holds (decoded with ordered = true, so that columns
-- without an order take the file's), in sleet's shape: M.tofile undone,
-- and drizzle-kit's own files read the same way.
function M.fromfile(v)
  if type(v) ~= "table" or type(v.tables) ~= "table" then return v end
  local dialect = v.dialect
  local marks = type(v.internal) == "table" and
    type(v.internal.indexes) == "table" and v.internal.indexes or {}
  local nnd = type(v.internal) == "table" and
    type(v.internal.nullsNotDistinct) == "table" and
    v.internal.nullsNotDistinct or {}
  for _, t in pairs(v.tables) do
    if type(t) == "table" then
      if type(t.policies) == "table" and next(t.policies) == nil then
        t.policies = nil
      end
      -- policies switch RLS on; isRLSEnabled says enableRLS()
      t.rlsExplicit = t.isRLSEnabled == true or nil
      if t.policies then t.isRLSEnabled = true end
      if t.isRLSEnabled == false then t.isRLSEnabled = nil end
    end
  end
  for tkey, t in pairs(v.tables) do
    if type(t) == "table" and type(nnd[tkey]) == "table" and
      type(t.indexes) == "table" then
      for name in pairs(nnd[tkey]) do
        if type(t.indexes[name]) == "table" then
          t.indexes[name].nullsNotDistinct = true
        end
      end
    end
    if type(t) == "table" and type(t.columns) == "table" then
      local mt = getmetatable(t.columns)
      for i, k in ipairs(mt and mt.__keys or {}) do
        local c = t.columns[k]
        if type(c) == "table" and c.order == nil then c.order = i end
      end
      for _, c in pairs(t.columns) do
        if type(c) == "table" and type(c.typeSchema) == "string" and
          type(c.type) == "string" then
          local name, dims = c.type:match("^(.-)(%[[%d%[%]]*%])$")
          local q = quoted(name or c.type)
          c.type = (c.typeSchema == "public" and q or
            (quoted(c.typeSchema) .. "." .. q)) .. (dims or "")
          c.typeSchema = nil
        end
        -- MySQL and SQLite spell a boolean default 1 or 0
        if type(c) == "table" and type(c.default) == "boolean" and
          dialect ~= "postgresql" then
          c.default = c.default and "1" or "0"
        end
      end
      if type(t.name) == "string" and QUOTE[dialect] then
        for _, key in ipairs({ "checkConstraints", "checkConstraint" }) do
          for _, ck in pairs(type(t[key]) == "table" and t[key] or {}) do
            if type(ck) == "table" and type(ck.value) == "string" then
              ck.value = unqualifycheck(dialect, t, ck.value)
            end
          end
        end
      end
      for _, u in pairs(type(t.uniqueConstraints) == "table" and
        t.uniqueConstraints or {}) do
        if type(u) == "table" and u.nullsNotDistinct == false then
          u.nullsNotDistinct = nil
        end
      end
      if dialect == "mysql" then
        if t.checkConstraints == nil then
          t.checkConstraints = t.checkConstraint
        end
        t.checkConstraint = nil
        for name, pk in pairs(t.compositePrimaryKeys or {}) do
          local cols = type(pk) == "table" and pk.columns
          local c = type(cols) == "table" and #cols == 1 and
            t.columns[cols[1]]
          if type(c) == "table" and name == t.name .. "_" .. cols[1] then
            c.primaryKey = true
            t.compositePrimaryKeys[name] = nil
          end
        end
      end
      for name, ix in pairs(type(t.indexes) == "table" and t.indexes or {}) do
        for i, c in ipairs(type(ix) == "table" and
          type(ix.columns) == "table" and ix.columns or {}) do
          if type(c) == "string" then
            local m = type(marks[name]) == "table" and
              type(marks[name].columns) == "table" and marks[name].columns[c]
            ix.columns[i] = { expression = c,
              asc = not (type(m) == "table" and m.desc == true),
              isExpression = type(m) == "table" and m.isExpression == true }
          end
        end
        for _, c in ipairs(type(ix) == "table" and
          type(ix.columns) == "table" and ix.columns or {}) do
          -- drizzle-kit writes NULLS even in the direction's default order
          if type(c) == "table" and c.nulls ~= nil and
            (c.nulls == "last") == (c.asc ~= false) then
            c.nulls = nil
          end
        end
        if type(ix) == "table" and ix.concurrently == false then
          ix.concurrently = nil
        end
        if type(ix) == "table" and ix.nullsNotDistinct == false then
          ix.nullsNotDistinct = nil
        end
        -- SQLite: drizzle-kit's index for a column's unique() is sleet's
        -- unique constraint (M.align makes it an index again where the
        -- schema has one)
        local c = dialect == "sqlite" and type(ix) == "table" and
          ix.isUnique == true and ix.where == nil and
          type(ix.columns) == "table" and #ix.columns == 1 and ix.columns[1]
        if type(c) == "table" and not c.isExpression and
          name == t.name .. "_" .. tostring(c.expression) .. "_unique" then
          t.uniqueConstraints = type(t.uniqueConstraints) == "table" and
            t.uniqueConstraints or {}
          if t.uniqueConstraints[name] == nil then
            t.indexes[name] = nil
            t.uniqueConstraints[name] = { name = name,
              columns = { c.expression } }
          end
        end
      end
    end
  end
  return v
end

-- snapshot.align(prev, want): on SQLite a one-column unique constraint
-- and a unique index of the same name and column are one thing (a unique
-- index; drizzle-kit writes a column's unique() as the index, sleet as the
-- constraint): where prev holds one and want the other, prev is rewritten
-- (in place) to want's, so that a diff sees no change. Returns prev.
function M.align(prev, want)
  if prev.dialect ~= "sqlite" then return prev end
  local function plain(ix)
    if not ix.isUnique or ix.where or #ix.columns ~= 1 or
      ix.columns[1].isExpression then
      return nil
    end
    return ix.columns[1].expression
  end
  for key, wt in pairs(want.tables or {}) do
    local pt = (prev.tables or {})[key]
    if pt then
      pt.indexes = pt.indexes or {}
      pt.uniqueConstraints = pt.uniqueConstraints or {}
      for name, u in pairs(wt.uniqueConstraints or {}) do
        local ix = pt.indexes[name]
        if ix and not pt.uniqueConstraints[name] and #u.columns == 1 and
          plain(ix) == u.columns[1] then
          pt.indexes[name] = nil
          pt.uniqueConstraints[name] = { name = name, columns = { u.columns[1] } }
        end
      end
      for name, ix in pairs(wt.indexes or {}) do
        local u = pt.uniqueConstraints[name]
        if u and not pt.indexes[name] and #u.columns == 1 and
          plain(ix) == u.columns[1] then
          pt.uniqueConstraints[name] = nil
          pt.indexes[name] = M.copy(ix)
        end
      end
    end
  end
  return prev
end

-- The text of a snapshot file (drizzle-kit's shape, M.tofile(snap, opts)).
function M.filetext(snap, opts)
  return M.encode(M.tofile(snap, opts)) .. "\n"
end

-- The snapshot of a file's text (M.fromfile); where names the file.
function M.readfile(text, where)
  return M.fromfile(M.decode(text, where, true))
end

-- }====================================================================

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
    enums = snap.enums or {}, schemas = snap.schemas or {},
    sequences = snap.sequences or {}, views = snap.views or {} })
end

-- }====================================================================

return M
