-- The dialects the specs know, and how to get a live database for each.
--
-- Spec bodies that execute queries loop over live():
--
--   for _, d in ipairs(dialects.live()) do
--     describe(d.name, function()
--       local db, s
--       before_each(function() db, s = d.open() end)
--       after_each(function() db:close() end)
--       ...
--     end)
--   end
--
-- SQLite (in memory) is always live. PostgreSQL and MySQL are live when
-- SLEET_TEST_PG_URL / SLEET_TEST_MYSQL_URL name a throwaway database: the
-- tables a spec pushes are dropped first, so use nothing that matters.
--
-- A spec that applies to one dialect only says so where it skips:
--   d.only("sqlite", "behavior is a SQLite option")  -- true on SQLite
-- and a body that differs per dialect branches on d.name.
local schemas = require "spec.support.schemas"

local M = {}

-- Every dialect a query builder can compile for.
M.all = { "sqlite", "postgresql", "mysql" }

-- An environment variable's value; unset and empty are the same.
local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

local urls = {
  sqlite = function() return "sqlite::memory:" end,
  postgresql = function() return env("SLEET_TEST_PG_URL") end,
  mysql = function() return env("SLEET_TEST_MYSQL_URL") end,
}

-- The names to drop for schema: its tables, children first (the reverse
-- of kit.push's creation order, which puts referenced tables first), and
-- its PostgreSQL enums.
local function drop_list(schema)
  local kit = require "sleet.kit"
  local sleet = require "sleet"
  local tables, enums, _, _, views = kit.entities(schema)
  local out = {}
  for i = #tables, 1, -1 do out[#out + 1] = sleet.getTableName(tables[i]) end
  local enames = {}
  for _, e in ipairs(enums) do enames[#enames + 1] = e.enumName end
  local vlist = {}
  for i = #(views or {}), 1, -1 do
    local d = require("sleet.column").def(views[i])
    if not d.view.existing then
      vlist[#vlist + 1] = { name = d.name, materialized = d.view.materialized }
    end
  end
  return out, enames, vlist
end

-- Drops tables (names, children first) and PostgreSQL enum types from a
-- server database. Tables left by other specs may reference these ones:
-- PostgreSQL's cascade drops their foreign keys, and MySQL, which has no
-- cascade for DROP TABLE, has its foreign key checks off for the drops.
local function drop(db, dialect, names, enums, views)
  local sleet = require "sleet"
  for _, v in ipairs(views or {}) do
    db:execute(sleet.sql("drop " .. (v.materialized and "materialized " or "")
      .. "view if exists ?" .. (dialect == "postgresql" and " cascade" or ""),
      sleet.identifier(v.name)))
  end
  if dialect == "sqlite" then return end
  if dialect == "mysql" then db:run("set foreign_key_checks = 0") end
  local ok, err = pcall(function()
    for _, t in ipairs(names) do
      local cascade = dialect == "postgresql" and " cascade" or ""
      db:execute(sleet.sql("drop table if exists ?" .. cascade,
        sleet.identifier(t)))
    end
    for _, e in ipairs(enums or {}) do
      db:execute(sleet.sql("drop type if exists ? cascade",
        sleet.identifier(e)))
    end
  end)
  if dialect == "mysql" then db:run("set foreign_key_checks = 1") end
  if not ok then error(err, 0) end
end

local function make(name)
  local d = { name = name }

  -- The schema module of this dialect (sleet.sqlite / sleet.pg /
  -- sleet.mysql).
  function d.module()
    return require(schemas.modules[name])
  end

  -- The URL of this dialect's test database.
  function d.url()
    return urls[name]()
  end

  -- True when this dialect is one of the names given. why says why a body
  -- is limited to them; it is required so that every skip explains itself.
  function d.only(...)
    local n = select("#", ...)
    local why = select(n, ...)
    assert(type(why) == "string" and n >= 2, "d.only(names..., why)")
    for i = 1, n - 1 do
      if select(i, ...) == name then return true end
    end
    return false
  end

  -- Connects without touching any table (a second connection to the same
  -- database; on SQLite in memory, a database of its own).
  function d.connect(schema, opts)
    local sleet = require "sleet"
    local o = { schema = schema }
    for k, v in pairs(opts or {}) do o[k] = v end
    local transport = M.transport()
    if transport == "proxy" then return M.proxied(name, urls[name](), o) end
    if transport and name ~= "sqlite" and o.socket == nil then
      o.socket = transport
    end
    return sleet.connect(urls[name](), o)
  end

  -- Drops the tables (and pg enums) of schema on db: its rows are gone and
  -- the next push re-creates them.
  function d.reset(db, schema)
    local names, enums, views = drop_list(schema)
    drop(db, name, names, enums, views)
  end

  -- Drops tables by SQL name (children first), for specs that create
  -- tables with raw SQL.
  function d.drop(db, ...)
    drop(db, name, { ... })
  end

  -- Opens a connection, drops and re-creates the tables of a schema with
  -- kit.push and returns db, schema. build(m) returns a schema table built
  -- with module m; by default the standard users/posts schema.
  -- opts are extra connect options (logger, casing, ...).
  function d.open(build, opts)
    local kit = require "sleet.kit"
    local schema
    if build then
      schema = build(d.module())
    else
      schema = schemas.standard(name)
    end
    local db = d.connect(schema, opts)
    local ok, err = pcall(function()
      d.reset(db, schema)
      kit.push(db, schema, { force = true })
    end)
    if not ok then
      db:close()
      error(err, 0)
    end
    return db, schema
  end

  return d
end

-- How the specs reach PostgreSQL and MySQL: SLEET_TEST_TRANSPORT names a
-- socket of sleet.connect's (`luasocket`, `cqueues`: the wire drivers
-- instead of libpq and the MariaDB client), or `proxy` (every dialect
-- through sleet.proxy, whose function runs the statements on a connection
-- of its own); unset, the client libraries.
function M.transport()
  return env("SLEET_TEST_TRANSPORT")
end

-- A database whose statements go through sleet.proxy to a connection of
-- its own to url, closed with it.
function M.proxied(name, url, opts)
  local sleet = require "sleet"
  local real = sleet.connect(url)
  local c = real:_connection()
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  local db = sleet.proxy(name, function(sql, params, method)
    if method == "run" or method == "execute" then
      local r = c:exec_sql(sql, params, "run")
      return { rowsAffected = r.rowsAffected, lastInsertId = r.lastInsertId }
    end
    local rows, names = c:exec_sql(sql, params, "values")
    return { rows = rows, fields = names }
  end, o)
  local close = db.close
  rawset(db, "close", function(self)
    close(self)
    real:close()
  end)
  return db
end

-- True when the core has the wire driver of dialect name (the driver of
-- connect's socket option).
function M.has_wire(name)
  local driver = ({ postgresql = "pgwire", mysql = "mywire" })[name]
  if driver == nil then return false end
  local ok, c = pcall(require("sleet.core").connect, driver, {})
  if ok then c:close() end
  return ok
end

-- The dialects with a database to run against, SQLite first.
function M.live()
  local out = {}
  for _, name in ipairs(M.all) do
    if urls[name]() then out[#out + 1] = make(name) end
  end
  return out
end

-- The live dialect of that name, or nil.
function M.find(name)
  for _, d in ipairs(M.live()) do
    if d.name == name then return d end
  end
  return nil
end

-- One dialect by name, whether live or not (for SQL-only specs).
function M.get(name)
  return make(name)
end

return M
