-- The blog's schema: users write posts, users comment on posts.
local sqlite = require "sleet.sqlite"

local users = sqlite.table("users", {
  id        = sqlite.integer():primaryKey(),
  name      = sqlite.text():notNull(),
  email     = sqlite.text():notNull():unique(),
  isAdmin   = sqlite.integer("is_admin", { mode = "boolean" }):notNull():default(false),
  profile   = sqlite.text({ mode = "json" }),
  createdAt = sqlite.integer("created_at", { mode = "timestamp" }):notNull():defaultNow(),
})

local posts = sqlite.table("posts", {
  id        = sqlite.integer():primaryKey(),
  authorId  = sqlite.integer("author_id"):notNull()
                :references(function() return users.id end, { onDelete = "cascade" }),
  title     = sqlite.text():notNull(),
  body      = sqlite.text():notNull():default(""),
  published = sqlite.integer({ mode = "boolean" }):notNull():default(false),
  createdAt = sqlite.integer("created_at", { mode = "timestamp" }):notNull():defaultNow(),
}, function(t) return {
  sqlite.index("posts_author_idx"):on(t.authorId),
} end)

local comments = sqlite.table("comments", {
  id        = sqlite.integer():primaryKey(),
  postId    = sqlite.integer("post_id"):notNull()
                :references(function() return posts.id end, { onDelete = "cascade" }),
  authorId  = sqlite.integer("author_id"):notNull()
                :references(function() return users.id end),
  body      = sqlite.text():notNull(),
  createdAt = sqlite.integer("created_at", { mode = "timestamp" }):notNull():defaultNow(),
}, function(t) return {
  sqlite.index("comments_post_idx"):on(t.postId),
} end)

return { users = users, posts = posts, comments = comments }
