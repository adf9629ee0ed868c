-- sleet-kit's configuration for the blog example, so that the schema tools
-- run on it from this directory:
--
--   sleet-kit diagram --out ../../docs/schema.svg   (the README's picture)
--   sleet-kit types --out types.lua
--   sleet-kit export
--
-- The schema is PostgreSQL's (BLOG_DIALECT=sqlite or mysql picks another);
-- the relations are main.lua's.
local sleet = require "sleet"

local dialect = os.getenv("BLOG_DIALECT")
if dialect == nil or dialect == "" then dialect = "postgresql" end
local schema = dofile("schema.lua")(dialect)

return {
  dialect = dialect,
  schema = schema,
  relations = sleet.defineRelations(schema, function(r) return {
    users = { posts = r.many.posts() },
    posts = {
      author = r.one.users({ from = r.posts.authorId, to = r.users.id }),
      comments = r.many.comments(),
    },
    comments = {
      post = r.one.posts({ from = r.comments.postId, to = r.posts.id }),
      author = r.one.users({ from = r.comments.authorId, to = r.users.id }),
    },
  } end),
}
