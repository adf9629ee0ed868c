-- PostgreSQL schema builders (drizzle-orm/pg-core): column types, tables,
-- enums, schemas and table extras.
local column = require "sleet.column"
local util = require "sleet.util"

local M = {}
local D = "postgresql"

local function new(fname, a, b, sqltype, codec, extra)
  local name, opts = column.args(fname, a, b)
  local spec = { dialect = D, name = name, codec = codec, columnType = fname }
  if type(sqltype) == "function" then
    spec.sqlType = sqltype(opts)
  else
    spec.sqlType = sqltype
  end
  if extra then
    for k, v in pairs(extra) do spec[k] = v end
  end
  if opts.enum ~= nil then
    if type(opts.enum) ~= "table" or #opts.enum == 0 then
      util.usage(fname .. ": enum must be a non-empty list of strings")
    end
    spec.enumValues = opts.enum
  end
  return column.builder(spec), opts
end

local function intmode(opts)
  return opts.mode == "number" or opts.mode == "bigint" or opts.mode == nil
end

function M.integer(a, b) return (new("integer", a, b, "integer", "int")) end
M.int = M.integer
function M.smallint(a, b) return (new("smallint", a, b, "smallint", "int")) end

-- The codec of a 64-bit integer column: mode = "bigint" reads int64 cdata
-- on LuaJIT (Lua integers on 5.4, as mode = "number"); "number" refuses a
-- value LuaJIT cannot hold exactly (beyond 2^53).
local function int64codec(fname, a, b)
  local _, opts = column.args(fname, a, b)
  if not intmode(opts) then
    util.usage(fname .. ": mode must be \"number\" or \"bigint\"")
  end
  return opts.mode == "bigint" and "bigint" or "int"
end

function M.bigint(a, b)
  return (new("bigint", a, b, "bigint", int64codec("bigint", a, b)))
end

-- Serial types are NOT NULL with a database default (a sequence).
local serialspec = { notNull = true, hasDefault = true, auto = true }
function M.serial(a, b)
  return (new("serial", a, b, "serial", "int", serialspec))
end
function M.smallserial(a, b)
  return (new("smallserial", a, b, "smallserial", "int", serialspec))
end
function M.bigserial(a, b)
  return (new("bigserial", a, b, "bigserial", int64codec("bigserial", a, b),
    serialspec))
end

function M.boolean(a, b) return (new("boolean", a, b, "boolean", "bool")) end
function M.text(a, b) return (new("text", a, b, "text", "text")) end

local function lengthtype(base)
  return function(opts)
    if opts.length ~= nil then
      if not util.isinteger(opts.length) or opts.length < 1 then
        util.usage(base .. ": length must be a positive integer")
      end
      return ("%s(%d)"):format(base, opts.length)
    end
    return base
  end
end

function M.varchar(a, b)
  return (new("varchar", a, b, lengthtype("varchar"), "text"))
end
function M.char(a, b) return (new("char", a, b, lengthtype("char"), "text")) end

local function numerictype(opts)
  local p, s = opts.precision, opts.scale
  if p ~= nil and s ~= nil then return ("numeric(%d, %d)"):format(p, s) end
  if p ~= nil then return ("numeric(%d)"):format(p) end
  return "numeric"
end

local function numericcodec(fname, opts)
  if opts.mode == "number" then return "number" end
  if opts.mode == nil or opts.mode == "string" then return "numeric" end
  util.usage(fname .. ": mode must be \"string\" or \"number\"")
end

function M.numeric(a, b)
  local name, opts = column.args("numeric", a, b)
  return column.builder({
    dialect = D, name = name, sqlType = numerictype(opts),
    codec = numericcodec("numeric", opts), columnType = "numeric",
  })
end
M.decimal = M.numeric

function M.real(a, b) return (new("real", a, b, "real", "float")) end
function M.doublePrecision(a, b)
  return (new("doublePrecision", a, b, "double precision", "float"))
end

function M.json(a, b) return (new("json", a, b, "json", "json")) end
function M.jsonb(a, b) return (new("jsonb", a, b, "jsonb", "json")) end
function M.uuid(a, b)
  return (new("uuid", a, b, "uuid", "text",
    { randomSQL = "gen_random_uuid()" }))
end
function M.bytea(a, b) return (new("bytea", a, b, "bytea", "blob")) end

-- Network addresses, read and written as text ("192.168.0.1/24",
-- "08:00:2b:01:02:03"); PostgreSQL checks and normalizes them.
function M.inet(a, b) return (new("inet", a, b, "inet", "text")) end
function M.cidr(a, b) return (new("cidr", a, b, "cidr", "text")) end
function M.macaddr(a, b) return (new("macaddr", a, b, "macaddr", "text")) end
function M.macaddr8(a, b)
  return (new("macaddr8", a, b, "macaddr8", "text"))
end

-- Geometric types, through custom codecs: a point is { x, y } (mode
-- "tuple", the default) or { x = x, y = y } (mode "xy"); a line
-- { a, b, c } or { a = a, b = b, c = c } (mode "abc"), Ax + By + C = 0.
-- Either shape is accepted on writes. Numbers are written with 17
-- significant digits whatever the C locale's decimal point.
local core = require "sleet.core"

local function numtext(x)
  if math.type and math.type(x) == "integer" then return ("%d"):format(x) end
  local s = ("%.17g"):format(x)
  local dot = ("%.1f"):format(0.5):sub(2, 2)
  if dot ~= "." then s = s:gsub("%" .. dot, ".") end
  return s
end

local function numbers(text, n, what)
  local out = {}
  for w in text:gmatch("[^(){}%[%],%s]+") do out[#out + 1] = tonumber(w) end
  if #out ~= n then
    error(("cannot read %q as a %s"):format(text, what), 0)
  end
  return out
end

local function geo(what, keys, open, close)
  local function todriver(v)
    if type(v) ~= "table" then
      error(("a %s is a table { %s } or { %s = ... }, got %s"):format(what,
        table.concat(keys, ", "), table.concat(keys, " = ..., "), type(v)), 0)
    end
    local parts = {}
    for i, k in ipairs(keys) do
      local x = v[i]
      if x == nil then x = v[k] end
      if type(x) ~= "number" or x ~= x then
        error(("the %s's %s must be a number"):format(what, k), 0)
      end
      parts[i] = numtext(x)
    end
    return open .. table.concat(parts, ",") .. close
  end
  local tuple = core.customtype(todriver, function(text)
    return numbers(text, #keys, what)
  end)
  local named = core.customtype(todriver, function(text)
    local n, out = numbers(text, #keys, what), {}
    for i, k in ipairs(keys) do out[k] = n[i] end
    return out
  end)
  return tuple, named
end

local POINT_TUPLE, POINT_XY = geo("point", { "x", "y" }, "(", ")")
local LINE_TUPLE, LINE_ABC = geo("line", { "a", "b", "c" }, "{", "}")

-- A geometric column: mode names the codec of its values (the first mode
-- is the default).
local function geocolumn(fname, a, b, modes)
  local name, opts = column.args(fname, a, b)
  local codec = modes[opts.mode or modes[1][1]]
  if not codec then
    util.usage(('%s: mode must be "%s" or "%s"'):format(fname, modes[1][1],
      modes[2][1]))
  end
  return column.builder({ dialect = D, name = name, sqlType = fname,
    columnType = fname, codec = codec })
end

local POINT_MODES = { { "tuple" }, { "xy" }, tuple = POINT_TUPLE,
  xy = POINT_XY }
local LINE_MODES = { { "tuple" }, { "abc" }, tuple = LINE_TUPLE,
  abc = LINE_ABC }

function M.point(a, b) return geocolumn("point", a, b, POINT_MODES) end
function M.line(a, b) return geocolumn("line", a, b, LINE_MODES) end

local function datecodec(fname, opts)
  if opts.mode == nil or opts.mode == "string" or opts.mode == "date" then
    return nil
  end
  if opts.mode == "epoch" then return "epoch" end
  if opts.mode == "epoch_ms" then return "epoch_ms" end
  util.usage(fname .. ": mode must be \"string\", \"epoch\" or \"epoch_ms\"")
end

function M.date(a, b)
  local name, opts = column.args("date", a, b)
  return column.builder({
    dialect = D, name = name, sqlType = "date", columnType = "date",
    codec = datecodec("date", opts) or "date", nowSQL = "now()",
  })
end

function M.time(a, b)
  local name, opts = column.args("time", a, b)
  local p = opts.precision and ("(%d)"):format(opts.precision) or ""
  return column.builder({
    dialect = D, name = name, columnType = "time",
    sqlType = "time" .. p .. (opts.withTimezone and " with time zone" or ""),
    codec = "time", nowSQL = "now()",
  })
end

function M.timestamp(a, b)
  local name, opts = column.args("timestamp", a, b)
  local p = opts.precision and (" (%d)"):format(opts.precision) or ""
  return column.builder({
    dialect = D, name = name, columnType = "timestamp",
    sqlType = "timestamp" .. p
      .. (opts.withTimezone and " with time zone" or ""),
    codec = datecodec("timestamp", opts) or "timestamp", nowSQL = "now()",
  })
end

function M.interval(a, b)
  local name, opts = column.args("interval", a, b)
  local t = "interval"
  if opts.fields then t = t .. " " .. opts.fields end
  if opts.precision then t = t .. ("(%d)"):format(opts.precision) end
  return column.builder({
    dialect = D, name = name, sqlType = t, codec = "text",
    columnType = "interval",
  })
end

-- {====================================================================
-- Enums and schemas
-- =====================================================================

local Enum = { __kind = "enum", __name = "sleet.Enum" }
Enum.__index = Enum

local function quote(name) return '"' .. name:gsub('"', '""') .. '"' end

-- Calling an enum makes a column of it: mood() / mood("col_name").
function Enum.__call(e, a, b)
  local name = column.args(e.enumName, a, b)
  return column.builder({
    dialect = D, name = name, codec = "text", columnType = "enum",
    sqlType = e.schema and (quote(e.schema) .. "." .. quote(e.enumName))
      or e.enumName,
    ddlType = e.schema and (quote(e.schema) .. "." .. quote(e.enumName))
      or quote(e.enumName),
    enumValues = e.enumValues, enum = e,
  })
end

local function makeenum(schema, name, values)
  column.checkname("enum", name)
  if type(values) ~= "table" or #values == 0 then
    util.usage(("enum %s: values must be a non-empty list"):format(name))
  end
  local copy = {}
  for i, v in ipairs(values) do
    if type(v) ~= "string" then
      util.usage(("enum %s: value %d is not a string"):format(name, i))
    end
    copy[i] = v
  end
  return setmetatable({ enumName = name, enumValues = copy, schema = schema },
    Enum)
end

-- pg.enum("mood", { "sad", "ok", "happy" }).
function M.enum(name, values) return makeenum(nil, name, values) end
M.pgEnum = M.enum

-- Sequences: pg.sequence("counter", { startWith, increment, minValue,
-- maxValue, cache, cycle }), a schema object of its own (CREATE SEQUENCE).
local Sequence = { __kind = "sequence", __name = "sleet.Sequence" }
Sequence.__index = Sequence

local SEQOPTS = { startWith = true, increment = true, minValue = true,
  maxValue = true, cache = true, cycle = true }

local function makesequence(schema, name, opts)
  column.checkname("sequence", name)
  if opts ~= nil and (type(opts) ~= "table" or util.kind(opts) ~= nil) then
    util.usage(("sequence %s: options must be a table"):format(name))
  end
  local o = {}
  for k, v in pairs(opts or {}) do
    if not SEQOPTS[k] then
      util.usage(("sequence %s: unknown option %s (startWith, increment, " ..
        "minValue, maxValue, cache, cycle)"):format(name, tostring(k)))
    end
    if k == "cycle" then
      if type(v) ~= "boolean" then
        util.usage(("sequence %s: cycle must be a boolean"):format(name))
      end
    elseif not util.isinteger(v) then
      util.usage(("sequence %s: %s must be an integer"):format(name, k))
    end
    o[k] = v
  end
  if o.increment == 0 then
    util.usage(("sequence %s: increment must not be 0"):format(name))
  end
  return setmetatable({ seqName = name, schema = schema, opts = o }, Sequence)
end

function M.sequence(name, opts) return makesequence(nil, name, opts) end
M.pgSequence = M.sequence

-- {====================================================================
-- Row-level security
-- =====================================================================

-- pg.role("reader", { createDb, createRole, inherit }): a role the schema
-- manages (CREATE ROLE); policies name roles by their names.
local Role = { __kind = "role", __name = "sleet.Role" }
Role.__index = Role

function M.role(name, opts)
  column.checkname("role", name)
  if opts ~= nil and (type(opts) ~= "table" or util.kind(opts) ~= nil) then
    util.usage(("role %s: options must be a table"):format(name))
  end
  local o = { createDb = false, createRole = false, inherit = true }
  for k, v in pairs(opts or {}) do
    if o[k] == nil then
      util.usage(("role %s: unknown option %s (createDb, createRole, " ..
        "inherit)"):format(name, tostring(k)))
    end
    if type(v) ~= "boolean" then
      util.usage(("role %s: %s must be a boolean"):format(name, k))
    end
    o[k] = v
  end
  return setmetatable({ roleName = name, opts = o }, Role)
end
M.pgRole = M.role

local POLICY_AS = { permissive = true, restrictive = true }
local POLICY_FOR = { all = true, select = true, insert = true, update = true,
  delete = true }

-- pg.policy("name", { as, for_ (or ["for"]), to, using, withCheck }): a
-- table extra; a table with a policy has row-level security enabled.
function M.policy(name, opts)
  column.checkname("policy", name)
  if opts ~= nil and (type(opts) ~= "table" or util.kind(opts) ~= nil) then
    util.usage(("policy %s: options must be a table"):format(name))
  end
  opts = opts or {}
  local p = { type = "policy", name = name, as = "permissive", cmd = "all",
    to = {} }
  for k, v in pairs(opts) do
    if k == "as" then
      if not POLICY_AS[v] then
        util.usage(("policy %s: as must be \"permissive\" or " ..
          "\"restrictive\""):format(name))
      end
      p.as = v
    elseif k == "for_" or k == "for" then
      if not POLICY_FOR[v] then
        util.usage(("policy %s: for must be all, select, insert, update " ..
          "or delete"):format(name))
      end
      p.cmd = v
    elseif k == "to" then
      local list = (type(v) == "table" and util.kind(v) == nil) and v or { v }
      for i, r in ipairs(list) do
        if util.kind(r) == "role" then r = r.roleName end
        if type(r) ~= "string" or r == "" then
          util.usage(("policy %s: to must name roles (strings or " ..
            "pg.role)"):format(name))
        end
        p.to[i] = r
      end
    elseif k == "using" or k == "withCheck" then
      if util.kind(v) ~= "expr" then
        util.usage(("policy %s: %s must be a sql expression"):format(name, k))
      end
      -- (fields of their own: an extra's methods include using)
      p[k == "using" and "usingExpr" or "checkExpr"] = v
    else
      util.usage(("policy %s: unknown option %s (as, for_, to, using, " ..
        "withCheck)"):format(name, tostring(k)))
    end
  end
  return setmetatable(p, column.Extra)
end
M.pgPolicy = M.policy

-- pg.enableRLS(): a table extra switching row-level security on.
function M.enableRLS() return setmetatable({ type = "rls" }, column.Extra) end

-- }====================================================================

-- pgTable(name, columns, extras).
function M.customType(config) return column.customType(D, config) end

-- pg.view(name [, columns]) / pg.materializedView(name [, columns]):
-- builders whose :as(query | function(qb) | sql) gives the view
-- (lua/sleet/views.lua).
function M.view(name, columns)
  return require("sleet.views").builder(D, name, columns)
end
function M.materializedView(name, columns)
  return require("sleet.views").builder(D, name, columns,
    { materialized = true })
end
M.pgView, M.pgMaterializedView = M.view, M.materializedView

function M.table(name, columns, extras)
  return column.table(D, name, columns, extras, nil)
end
M.pgTable = M.table

-- pg.schema("s"): tables and enums in a SQL schema.
function M.schema(sname)
  column.checkname("schema", sname)
  return {
    schemaName = sname,
    table = function(name, columns, extras)
      return column.table(D, name, columns, extras, sname)
    end,
    enum = function(name, values) return makeenum(sname, name, values) end,
    sequence = function(name, opts) return makesequence(sname, name, opts) end,
    view = function(name, columns)
      return require("sleet.views").builder(D, name, columns,
        { schema = sname })
    end,
    materializedView = function(name, columns)
      return require("sleet.views").builder(D, name, columns,
        { schema = sname, materialized = true })
    end,
  }
end
M.pgSchema = M.schema

-- }====================================================================

return column.addExtras(M)
