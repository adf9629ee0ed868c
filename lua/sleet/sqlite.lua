-- SQLite schema builders (drizzle-orm/sqlite-core): integer (modes number,
-- boolean, timestamp, timestamp_ms), real, text (mode json), blob, numeric,
-- tables and table extras.
local column = require "sleet.column"
local util = require "sleet.util"

local M = {}
local D = "sqlite"

local function enumvalues(fname, opts, spec)
  if opts.enum ~= nil then
    if type(opts.enum) ~= "table" or #opts.enum == 0 then
      util.usage(fname .. ": enum must be a non-empty list of strings")
    end
    spec.enumValues = opts.enum
  end
  return spec
end

local intmodes = {
  number = { codec = "int" },
  -- LuaJIT: int64 cdata (integers on Lua 5.4, as number)
  bigint = { codec = "bigint" },
  boolean = { codec = "bool" },
  timestamp = { codec = "timestamp", nowSQL = "unixepoch()" },
  -- julianday() keeps milliseconds on every SQLite version
  timestamp_ms = {
    codec = "timestamp_ms",
    nowSQL = "cast((julianday('now') - 2440587.5) * 86400000 as integer)",
  },
}

-- integer(name?, { mode = "number" | "bigint" | "boolean" | "timestamp" |
-- "timestamp_ms" }).
function M.integer(a, b)
  local name, opts = column.args("integer", a, b)
  local m = intmodes[opts.mode or "number"]
  if not m then
    util.usage("integer: mode must be number, bigint, boolean, timestamp " ..
      "or timestamp_ms")
  end
  return column.builder({
    dialect = D, name = name, sqlType = "integer", codec = m.codec,
    nowSQL = m.nowSQL, columnType = "integer",
  })
end
M.int = M.integer

function M.real(a, b)
  local name = column.args("real", a, b)
  return column.builder({
    dialect = D, name = name, sqlType = "real", codec = "float",
    columnType = "real",
  })
end

-- text(name?, { mode = "text" | "json", enum = {...}, length = n }).
function M.text(a, b)
  local name, opts = column.args("text", a, b)
  local codec
  if opts.mode == nil or opts.mode == "text" then
    codec = "text"
  elseif opts.mode == "json" then
    codec = "json"
  else
    util.usage("text: mode must be \"text\" or \"json\"")
  end
  local t = opts.length and ("text(%d)"):format(opts.length) or "text"
  return column.builder(enumvalues("text", opts, {
    dialect = D, name = name, sqlType = t, codec = codec,
    columnType = "text", nowSQL = codec == "text" and "CURRENT_TIMESTAMP"
      or nil,
  }))
end

-- blob(name?, { mode = "buffer" | "json" | "bigint" }).
function M.blob(a, b)
  local name, opts = column.args("blob", a, b)
  local codecs = { buffer = "blob", json = "json", bigint = "bigint" }
  local codec = codecs[opts.mode or "buffer"]
  if not codec then
    util.usage("blob: mode must be \"buffer\", \"json\" or \"bigint\"")
  end
  return column.builder({
    dialect = D, name = name, sqlType = "blob", codec = codec,
    columnType = "blob",
  })
end

-- numeric(name?, { mode = "string" | "number" }).
function M.numeric(a, b)
  local name, opts = column.args("numeric", a, b)
  local codec
  if opts.mode == nil or opts.mode == "string" then
    codec = "numeric"
  elseif opts.mode == "number" then
    codec = "number"
  else
    util.usage("numeric: mode must be \"string\" or \"number\"")
  end
  return column.builder({
    dialect = D, name = name, sqlType = "numeric", codec = codec,
    columnType = "numeric",
  })
end

-- sqliteTable(name, columns, extras).
function M.customType(config) return column.customType(D, config) end

-- sqlite.view(name [, columns]): a builder whose :as(query | function(qb) |
-- sql) gives the view (lua/sleet/views.lua).
function M.view(name, columns)
  return require("sleet.views").builder(D, name, columns)
end
M.sqliteView = M.view

function M.table(name, columns, extras)
  return column.table(D, name, columns, extras, nil)
end
M.sqliteTable = M.table

return column.addExtras(M)
