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
local schemas = require "spec.support.schemas"

local M = {}

-- Every dialect a query builder can compile for.
M.all = { "sqlite", "postgresql", "mysql" }

local urls = {
  sqlite = function() return "sqlite::memory:" end,
  postgresql = function() return os.getenv("SLEET_TEST_PG_URL") end,
  mysql = function() return os.getenv("SLEET_TEST_MYSQL_URL") end,
}

-- Names of the tables in schema, children first (tables that reference
-- others are dropped before the tables they reference).
local function drop_order(sleet, schema)
  local names = {}
  for _, t in pairs(schema) do names[#names + 1] = sleet.getTableName(t) end
  table.sort(names)
  -- posts references users; generic specs create few tables, so drop in
  -- reverse alphabetical order and let cascade handle the rest
  local out = {}
  for i = #names, 1, -1 do out[#out + 1] = names[i] end
  return out
end

local function make(name)
  local d = { name = name }

  -- The schema module of this dialect (sleet.sqlite / sleet.pg /
  -- sleet.mysql).
  function d.module()
    return require(schemas.modules[name])
  end

  -- Opens a connection, drops and re-creates the tables of a schema with
  -- kit.push and returns db, schema. build(m) returns a schema table built
  -- with module m; by default the standard users/posts schema.
  -- opts are extra connect options (logger, casing, ...).
  function d.open(build, opts)
    local sleet = require "sleet"
    local kit = require "sleet.kit"
    local schema
    if build then
      schema = build(d.module())
    else
      schema = schemas.standard(name)
    end
    local o = { schema = schema }
    for k, v in pairs(opts or {}) do o[k] = v end
    local db = sleet.connect(urls[name](), o)
    if name ~= "sqlite" then
      for _, t in ipairs(drop_order(sleet, schema)) do
        local cascade = name == "postgresql" and " cascade" or ""
        db:execute(sleet.sql("drop table if exists ?" .. cascade,
          sleet.identifier(t)))
      end
    end
    kit.push(db, schema, { force = true })
    return db, schema
  end

  return d
end

-- The dialects with a database to run against, SQLite first.
function M.live()
  local out = {}
  for _, name in ipairs(M.all) do
    if urls[name]() then out[#out + 1] = make(name) end
  end
  return out
end

-- One dialect by name, whether live or not (for SQL-only specs).
function M.get(name)
  return make(name)
end

return M
