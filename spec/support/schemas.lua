-- The standard test schema (users, posts), built with each dialect's own
-- schema module so that the same specs can compare SQL and run queries in
-- every dialect. Column order is fixed by the order the builders are
-- created in, which the specs rely on:
--   users(id, name, email, role, age)
--   posts(id, author_id, title, score)
local M = {}

M.modules = {
  sqlite = "sleet.sqlite",
  postgresql = "sleet.pg",
  mysql = "sleet.mysql",
}

local builders = {}

function builders.sqlite(m)
  local users = m.table("users", {
    id = m.integer():primaryKey(),
    name = m.text():notNull(),
    email = m.text():unique(),
    role = m.text({ enum = { "admin", "member" } }):notNull()
      :default("member"),
    age = m.integer(),
  })
  local posts = m.table("posts", {
    id = m.integer():primaryKey(),
    authorId = m.integer("author_id"):notNull()
      :references(function() return users.id end, { onDelete = "cascade" }),
    title = m.text():notNull(),
    score = m.real(),
  })
  return { users = users, posts = posts }
end

function builders.postgresql(m)
  local users = m.table("users", {
    id = m.serial():primaryKey(),
    name = m.text():notNull(),
    email = m.text():unique(),
    role = m.text({ enum = { "admin", "member" } }):notNull()
      :default("member"),
    age = m.integer(),
  })
  local posts = m.table("posts", {
    id = m.serial():primaryKey(),
    authorId = m.integer("author_id"):notNull()
      :references(function() return users.id end, { onDelete = "cascade" }),
    title = m.text():notNull(),
    score = m.real(),
  })
  return { users = users, posts = posts }
end

function builders.mysql(m)
  local users = m.table("users", {
    id = m.serial():primaryKey(),
    name = m.text():notNull(),
    -- MySQL cannot index a text column without a length
    email = m.varchar({ length = 255 }):unique(),
    role = m.varchar({ length = 16, enum = { "admin", "member" } }):notNull()
      :default("member"),
    age = m.int(),
  })
  local posts = m.table("posts", {
    id = m.serial():primaryKey(),
    authorId = m.bigint("author_id", { unsigned = true }):notNull()
      :references(function() return users.id end, { onDelete = "cascade" }),
    title = m.text():notNull(),
    score = m.double(),
  })
  return { users = users, posts = posts }
end

-- Returns the schema module and a fresh standard schema for a dialect
-- ("sqlite", "postgresql", "mysql").
function M.standard(dialect)
  local m = require(M.modules[dialect])
  return builders[dialect](m), m
end

return M
