-- sleet: Drizzle ORM for Lua. This module gathers the public API: connect,
-- operators, raw SQL, placeholders, the NULL sentinel, table helpers and
-- errors. Schema builders live in sleet.sqlite / sleet.pg / sleet.mysql.
local core = require "sleet.core"
local column = require "sleet.column"
local db = require "sleet.db"
local expr = require "sleet.expr"
local query = require "sleet.query"
local relations = require "sleet.relations"
local util = require "sleet.util"

local M = {}

M.null = core.null
M.Error = core.Error

-- sleet.connect(url | options, { schema, logger, casing, relations }).
M.connect = db.connect
-- sleet.proxy(dialect, fn, opts): statements run by fn (lua/sleet/db.lua).
M.proxy = db.proxy

-- sleet.pool(url | options, { size, validateIdle, wait, ...connect's }):
-- lends connections with pool:with(fn) (lua/sleet/pool.lua).
function M.pool(target, opts) return require("sleet.pool").new(target, opts) end

-- Operators.
for _, name in ipairs({
  "eq", "ne", "gt", "gte", "lt", "lte", "and_", "or_", "not_", "isNull",
  "isNotNull", "inArray", "notInArray", "exists", "notExists", "between",
  "notBetween", "like", "notLike", "ilike", "notIlike", "asc", "desc",
  "count", "countDistinct", "sum", "sumDistinct", "avg", "avgDistinct",
  "min", "max", "excluded", "arrayContains", "arrayContained",
  "arrayOverlaps",
}) do
  M[name] = expr[name]
end
-- Drizzle's names where Lua keywords do not stand in the way.
M["and"] = expr.and_
M["or"] = expr.or_
M["not"] = expr.not_

-- Raw SQL.
M.sql = expr.sql
M.raw = expr.raw
M.identifier = expr.identifier
M.placeholder = expr.placeholder

-- Subqueries, CTEs and set operations.
M.cte = query.cte
M.union = query.union
M.unionAll = query.unionAll
M.intersect = query.intersect
M.except = query.except
M.intersectAll = query.intersectAll
M.exceptAll = query.exceptAll

-- sleet.queryBuilder("postgresql" | "mysql" | "sqlite", { casing }):
-- builders that compile (toSQL) without a database.
M.queryBuilder = query.builder

-- sleet.withReplicas(primary, replicas, { getReplica }): reads on a
-- replica, writes and transactions on the primary (sleet.replicas).
function M.withReplicas(primary, replicas, opts)
  return require("sleet.replicas").withReplicas(primary, replicas, opts)
end

-- Relational queries: sleet.defineRelations(schema, function(r) ... end),
-- then sleet.connect(url, { relations = ... }) gives db.query.
M.defineRelations = relations.defineRelations

-- Tables.
M.alias = column.alias

-- The SQL name of a table object.
function M.getTableName(t)
  local d = column.def(t)
  if not d then util.usage("getTableName: expected a table") end
  return d.name
end

-- The columns of a table object, keyed by column key.
function M.getColumns(t)
  local d = column.def(t)
  if not d then util.usage("getColumns: expected a table") end
  local out = {}
  for _, c in ipairs(d.columns) do out[c.key] = c end
  return out
end
M.getTableColumns = M.getColumns

-- True when err is a sleet error object (of the given kind, if any).
function M.isError(err, kind)
  if getmetatable(err) ~= core.Error then return false end
  return kind == nil or err.kind == kind
end

-- sleet.guard(fn, ...): fn(...)'s results; a sleet error fn raises is
-- raised again as its text ("database: no such column: x (sql: ...)").
-- Hosts that print only string errors (nginx's Lua module logs a table as
-- "unknown reason"; a C host's lua_tostring gives NULL) run handlers
-- through it; code that catches errors keeps the objects by not using it.
function M.guard(fn, ...)
  local r = util.pack(pcall(fn, ...))
  if r[1] then return util.unpack(r, 2, r.n) end
  if getmetatable(r[2]) == core.Error then error(tostring(r[2]), 0) end
  error(r[2], 0)
end

return M
