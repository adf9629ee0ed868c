-- The blog's schema: users write posts and comment on them.
--
--   local schema = dofile("examples/blog/schema.lua")("postgresql")
--
-- returns the tables (and PostgreSQL's enum type) for a dialect, "sqlite",
-- "postgresql" or "mysql", built with that dialect's module. The tables are
-- the same in all three; only the column types the databases spell
-- differently are chosen per dialect, below. Every name in the database
-- starts with blog_, so the example never touches anything else.

local ROLES = { "admin", "author", "reader" }

-- Per dialect: its module, and the column types that differ.
local dialects = {}

function dialects.sqlite()
  local sqlite = require "sleet.sqlite"
  return sqlite, {
    id = function() return sqlite.integer():primaryKey() end,
    ref = sqlite.integer,
    varchar = function(name, n) return sqlite.text(name, { length = n }) end,
    bool = function(name) return sqlite.integer(name, { mode = "boolean" }) end,
    json = function(name) return sqlite.text(name, { mode = "json" }) end,
    time = function(name)
      return sqlite.integer(name, { mode = "timestamp" })
    end,
    role = function(name) return sqlite.text(name, { enum = ROLES }) end,
  }
end

function dialects.postgresql()
  local pg = require "sleet.pg"
  local role = pg.enum("blog_role", ROLES)  -- a type of its own: CREATE TYPE
  return pg, {
    id = function() return pg.serial():primaryKey() end,
    ref = pg.integer,
    varchar = function(name, n) return pg.varchar(name, { length = n }) end,
    bool = pg.boolean,
    json = pg.jsonb,
    time = function(name)
      return pg.timestamp(name, { withTimezone = true })
    end,
    role = role,
  }, role
end

function dialects.mysql()
  local mysql = require "sleet.mysql"
  return mysql, {
    id = function() return mysql.serial():primaryKey() end,
    -- serial is bigint unsigned, and a foreign key has its referent's type
    ref = function(name) return mysql.bigint(name, { unsigned = true }) end,
    varchar = function(name, n) return mysql.varchar(name, { length = n }) end,
    bool = mysql.boolean,
    json = mysql.json,
    time = mysql.timestamp,
    role = function(name) return mysql.enum(name, ROLES) end,
  }
end

return function(dialect)
  local make = dialects[dialect]
  if not make then
    error(("blog schema: unknown dialect %q"):format(tostring(dialect)), 2)
  end
  local m, t, role = make()

  local users = m.table("blog_users", {
    id        = t.id(),
    name      = m.text():notNull(),
    email     = t.varchar("email", 255):notNull():unique(),
    role      = t.role("role"):notNull():default("reader"),
    profile   = t.json("profile"),
    createdAt = t.time("created_at"):notNull():defaultNow(),
  })

  local posts = m.table("blog_posts", {
    id        = t.id(),
    authorId  = t.ref("author_id"):notNull()
                  :references(function() return users.id end,
                              { onDelete = "cascade" }),
    title     = m.text():notNull(),
    body      = m.text():notNull():default(""),
    published = t.bool("published"):notNull():default(false),
    createdAt = t.time("created_at"):notNull():defaultNow(),
  }, function(p) return {
    m.index("blog_posts_author_idx"):on(p.authorId),
  } end)

  local comments = m.table("blog_comments", {
    id        = t.id(),
    postId    = t.ref("post_id"):notNull()
                  :references(function() return posts.id end,
                              { onDelete = "cascade" }),
    authorId  = t.ref("author_id"):notNull()
                  :references(function() return users.id end),
    body      = m.text():notNull(),
    createdAt = t.time("created_at"):notNull():defaultNow(),
  }, function(c) return {
    m.index("blog_comments_post_idx"):on(c.postId),
  } end)

  return { users = users, posts = posts, comments = comments, role = role }
end
