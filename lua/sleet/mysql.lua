-- MySQL / MariaDB schema builders (drizzle-orm/mysql-core): column types,
-- enums, tables and table extras.
local column = require "sleet.column"
local util = require "sleet.util"

local M = {}
local D = "mysql"

local function build(fname, name, opts, spec)
  spec.dialect = D
  spec.name = name
  spec.columnType = fname
  if opts.enum ~= nil then
    if type(opts.enum) ~= "table" or #opts.enum == 0 then
      util.usage(fname .. ": enum must be a non-empty list of strings")
    end
    spec.enumValues = opts.enum
  end
  return column.builder(spec)
end

local function inttype(base)
  return function(a, b)
    local name, opts = column.args(base, a, b)
    if opts.mode ~= nil and opts.mode ~= "number" and opts.mode ~= "bigint" then
      util.usage(base .. ": mode must be \"number\" or \"bigint\"")
    end
    -- mode = "bigint": int64 (uint64) cdata on LuaJIT, integers on 5.4
    return build(base, name, opts, {
      sqlType = base .. (opts.unsigned and " unsigned" or ""),
      codec = opts.mode == "bigint" and "bigint" or "int",
    })
  end
end

M.int = inttype("int")
M.integer = M.int
M.tinyint = inttype("tinyint")
M.smallint = inttype("smallint")
M.mediumint = inttype("mediumint")
M.bigint = inttype("bigint")

-- serial is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE in MySQL.
function M.serial(a, b)
  local name, opts = column.args("serial", a, b)
  return build("serial", name, opts, {
    sqlType = "serial", codec = "int", notNull = true, hasDefault = true,
    autoIncrement = true, auto = true,
  })
end

function M.boolean(a, b)
  local name, opts = column.args("boolean", a, b)
  return build("boolean", name, opts, { sqlType = "boolean", codec = "bool" })
end

local function floattype(base)
  return function(a, b)
    local name, opts = column.args(base, a, b)
    local t = base
    if opts.precision and opts.scale then
      t = ("%s(%d,%d)"):format(base, opts.precision, opts.scale)
    elseif opts.precision then
      t = ("%s(%d)"):format(base, opts.precision)
    end
    if opts.unsigned then t = t .. " unsigned" end
    return build(base, name, opts, { sqlType = t, codec = "float" })
  end
end

M.float = floattype("float")
M.double = floattype("double")
M.real = floattype("real")

-- decimal(name?, { precision, scale, mode = "string" | "number", unsigned }).
function M.decimal(a, b)
  local name, opts = column.args("decimal", a, b)
  local t
  if opts.precision ~= nil and opts.scale ~= nil then
    t = ("decimal(%d,%d)"):format(opts.precision, opts.scale)
  elseif opts.precision ~= nil then
    t = ("decimal(%d)"):format(opts.precision)
  else
    t = "decimal"
  end
  if t == "decimal(10,0)" or t == "decimal(10)" then t = "decimal" end
  if opts.unsigned then t = t .. " unsigned" end
  local codec
  if opts.mode == nil or opts.mode == "string" then
    codec = "numeric"
  elseif opts.mode == "number" then
    codec = "number"
  else
    util.usage("decimal: mode must be \"string\" or \"number\"")
  end
  return build("decimal", name, opts, { sqlType = t, codec = codec })
end
M.numeric = M.decimal

local function lentype(base, required, codec)
  return function(a, b)
    local name, opts = column.args(base, a, b)
    local t = base
    if opts.length ~= nil then
      if not util.isinteger(opts.length) or opts.length < 1 then
        util.usage(base .. ": length must be a positive integer")
      end
      t = ("%s(%d)"):format(base, opts.length)
    elseif required then
      util.usage(base .. ": MySQL needs { length = n }")
    end
    return build(base, name, opts, { sqlType = t, codec = codec })
  end
end

M.char = lentype("char", false, "text")
M.varchar = lentype("varchar", true, "text")
M.binary = lentype("binary", false, "blob")
M.varbinary = lentype("varbinary", true, "blob")

local function plain(base, codec, extra)
  return function(a, b)
    local name, opts = column.args(base, a, b)
    local spec = { sqlType = base, codec = codec }
    for k, v in pairs(extra or {}) do spec[k] = v end
    return build(base, name, opts, spec)
  end
end

M.text = plain("text", "text")
M.tinytext = plain("tinytext", "text")
M.mediumtext = plain("mediumtext", "text")
M.longtext = plain("longtext", "text")
M.json = plain("json", "json")
M.blob = plain("blob", "blob")
M.tinyblob = plain("tinyblob", "blob")
M.mediumblob = plain("mediumblob", "blob")
M.longblob = plain("longblob", "blob")
M.year = plain("year", "int")

local function datecodec(fname, opts, default)
  if opts.mode == nil or opts.mode == "string" or opts.mode == "date" then
    return default
  end
  if opts.mode == "epoch" then return "epoch" end
  if opts.mode == "epoch_ms" then return "epoch_ms" end
  util.usage(fname .. ": mode must be \"string\", \"epoch\" or \"epoch_ms\"")
end

function M.date(a, b)
  local name, opts = column.args("date", a, b)
  return build("date", name, opts, {
    sqlType = "date", codec = datecodec("date", opts, "date"),
    nowSQL = "curdate()",
  })
end

local function fsptype(base, codec)
  return function(a, b)
    local name, opts = column.args(base, a, b)
    local t = opts.fsp and ("%s(%d)"):format(base, opts.fsp) or base
    local c = codec == "time" and "time" or datecodec(base, opts, codec)
    local now = codec == "time" and "curtime()"
      or (opts.fsp and ("now(%d)"):format(opts.fsp) or "now()")
    return build(base, name, opts, { sqlType = t, codec = c, nowSQL = now })
  end
end

M.datetime = fsptype("datetime", "timestamp")
M.timestamp = fsptype("timestamp", "timestamp")
M.time = fsptype("time", "time")

local function literal(v) return "'" .. v:gsub("'", "''") .. "'" end

-- mysql.enum(values) / mysql.enum("col_name", values): an inline ENUM type.
function M.enum(a, b)
  local name, values
  if type(a) == "string" then
    name, values = a, b
  else
    values = a
  end
  if type(values) ~= "table" or #values == 0 then
    util.usage("enum: values must be a non-empty list of strings")
  end
  local lits = {}
  for i, v in ipairs(values) do
    if type(v) ~= "string" then
      util.usage(("enum: value %d is not a string"):format(i))
    end
    lits[i] = literal(v)
  end
  return build("enum", name, { enum = values }, {
    sqlType = "enum(" .. table.concat(lits, ",") .. ")", codec = "text",
  })
end
M.mysqlEnum = M.enum

-- mysqlTable(name, columns, extras).
function M.customType(config) return column.customType(D, config) end

-- mysql.view(name [, columns]): a builder whose :as(query | function(qb) |
-- sql) gives the view (lua/sleet/views.lua).
function M.view(name, columns)
  return require("sleet.views").builder(D, name, columns)
end
M.mysqlView = M.view

function M.table(name, columns, extras)
  return column.table(D, name, columns, extras, nil)
end
M.mysqlTable = M.table

-- mysql.schema("db"): tables in another database.
function M.schema(sname)
  column.checkname("schema", sname)
  return {
    schemaName = sname,
    table = function(name, columns, extras)
      return column.table(D, name, columns, extras, sname)
    end,
  }
end

return column.addExtras(M)
