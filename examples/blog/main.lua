-- A small blog: create the schema, write users, posts and comments, list
-- them (nested with one relational query, joined, counted per author),
-- edit, delete, and group writes in transactions.
--
-- It runs on an in-memory SQLite database, or on the database a URL names:
--
--   make example
--   make example BLOG_URL=postgres://user:secret@127.0.0.1:5432/app
-- or, from the repository root after `make`:
--   LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' \
--     lua5.4 examples/blog/main.lua [mysql://user:secret@127.0.0.1:3306/app]
--
-- On a server it touches only its own tables, blog_users, blog_posts and
-- blog_comments: it drops any left from an earlier run, creates them, and
-- drops them again at the end. Set BLOG_SQL=1 to see every statement.

local sleet = require "sleet"
local kit = require "sleet.kit"

local url = arg[1] or os.getenv("BLOG_URL")
if url == nil or url == "" then url = "sqlite::memory:" end
local schemes = {
  postgres = "postgresql", postgresql = "postgresql",
  mysql = "mysql", mariadb = "mysql",
}
local dialect = schemes[url:match("^(%a+)://") or ""] or "sqlite"

local here = arg[0]:match("^(.*)[/\\]") or "."
local schema = dofile(here .. "/schema.lua")(dialect)
local users, posts, comments = schema.users, schema.posts, schema.comments

-- How the tables relate, for db.query. A relation given without columns
-- is the reverse of the one that names them (users.posts of posts.author).
local relations = sleet.defineRelations(schema, function(r) return {
  users = { posts = r.many.posts() },
  posts = {
    author = r.one.users({ from = r.posts.authorId, to = r.users.id }),
    comments = r.many.comments(),
  },
  comments = {
    post = r.one.posts({ from = r.comments.postId, to = r.posts.id }),
    author = r.one.users({ from = r.comments.authorId, to = r.users.id }),
  },
} end)

local eq, asc, desc, count = sleet.eq, sleet.asc, sleet.desc, sleet.count

local db <close> = sleet.connect(url, {
  schema = schema,
  relations = relations,
  logger = os.getenv("BLOG_SQL") ~= nil,
})

-- Drops the example's tables, children first, and PostgreSQL's enum type.
local function drop()
  for _, t in ipairs({ comments, posts, users }) do
    db:execute(sleet.sql("drop table if exists ?", t))
  end
  if schema.role then
    db:execute(sleet.sql("drop type if exists ?",
      sleet.identifier(schema.role.enumName)))
  end
end

print(("A blog on %s"):format(db.dialect))
drop()
-- Create the tables, foreign keys, indexes and enum the schema describes.
-- Without { force = true }, push would stop rather than drop anything.
kit.push(db, schema)

-- {====================================================================
-- Writing
-- =====================================================================

-- One row, read back with its generated id and defaults.
local ada = db:insert(users):values({
  name = "Ada Lovelace",
  email = "ada@example.org",
  role = "admin",
  profile = { bio = "Writes about engines.", languages = { "en", "fr" } },
}):returning():get()

-- Several rows at once; returning only what is needed.
local others = db:insert(users):values({
  { name = "Grace Hopper", email = "grace@example.org", role = "author",
    profile = { bio = "Compilers, mostly." } },
  { name = "Edsger Dijkstra", email = "edsger@example.org" },
}):returning({ id = users.id, name = users.name }):all()
local grace, edsger = others[1], others[2]

-- A post and its first comments are written together or not at all.
local engine = db:transaction(function(tx)
  local post = tx:insert(posts):values({
    authorId = ada.id,
    title = "Notes on the Analytical Engine",
    body = "The engine weaves algebraic patterns.",
    published = true,
  }):returning():get()
  tx:insert(comments):values({
    { postId = post.id, authorId = grace.id, body = "Lovely notes." },
    { postId = post.id, authorId = edsger.id, body = "Prove it terminates." },
  }):run()
  return post
end)

local drafts = db:insert(posts):values({
  { authorId = grace.id, title = "Nanoseconds", body = "About 30 cm of wire." },
  { authorId = grace.id, title = "The first bug", body = "A moth in a relay." },
  { authorId = edsger.id, title = "Goto, considered", body = "Harmful." },
}):returning({ id = posts.id, title = posts.title }):all()

-- }====================================================================

-- {====================================================================
-- Reading
-- =====================================================================

-- Users, their posts and each post's comments with the commenter's name,
-- nested: one statement, whatever the depth.
local function list_blog()
  print("Users, their posts and the comments")
  local all = db.query.users:findMany({
    columns = { name = true, email = true, role = true, profile = true },
    orderBy = { id = "asc" },
    with = {
      posts = {
        columns = { title = true, published = true },
        orderBy = { id = "asc" },
        with = {
          comments = {
            columns = { body = true },
            orderBy = { id = "asc" },
            with = { author = { columns = { name = true } } },
          },
        },
      },
    },
  })
  for _, u in ipairs(all) do
    local bio = u.profile and u.profile.bio or "(no profile)"
    print(("  %-16s %-20s %-7s %s"):format(u.name, u.email, u.role, bio))
    for _, p in ipairs(u.posts) do
      print(("    %-32s %s"):format(p.title,
        p.published and "published" or "draft"))
      for _, c in ipairs(p.comments) do
        print(("      %s: %s"):format(c.author.name, c.body))
      end
    end
  end
end

-- A join with a partial select: each post with its author's name.
local function list_posts()
  print("Posts")
  local rows = db:select({
    id = posts.id,
    title = posts.title,
    createdAt = posts.createdAt,
    author = users.name,
  }):from(posts)
    :innerJoin(users, eq(posts.authorId, users.id))
    :orderBy(asc(posts.id))
    :all()
  for _, r in ipairs(rows) do
    print(("  %-32s by %-16s on %s")
      :format(r.title, r.author, r.createdAt:sub(1, 10)))
  end
end

-- An aggregate over a left join: authors without posts count 0.
local function posts_per_author()
  print("Posts per author")
  local rows = db:select({ author = users.name, n = count(posts.id) })
    :from(users)
    :leftJoin(posts, eq(posts.authorId, users.id))
    :groupBy(users.id, users.name)
    :orderBy(asc(users.name))
    :all()
  for _, r in ipairs(rows) do
    print(("  %-16s %d"):format(r.author, r.n))
  end
end

-- }====================================================================

print()
list_blog()
print()
list_posts()
print()
posts_per_author()

-- {====================================================================
-- Editing
-- =====================================================================

print()
local published = db:update(posts)
  :set({ published = true })
  :where(eq(posts.authorId, grace.id))
  :run()
print(("Published %d post(s) by %s"):format(published.rowsAffected, grace.name))

local gone = db:delete(posts):where(eq(posts.id, drafts[3].id)):run()
print(("Deleted %d post(s)"):format(gone.rowsAffected))

-- Rolling back (or any error) inside a transaction undoes all it wrote.
local ok, err = pcall(db.transaction, db, function(tx)
  tx:insert(comments):values({
    postId = engine.id, authorId = ada.id, body = "Thank you all!",
  }):run()
  tx:update(posts):set({ title = "Renamed" })
    :where(eq(posts.id, engine.id)):run()
  tx:rollback()
end)
assert(not ok, "the transaction should have been rolled back")
local n = db:select({ n = count() }):from(comments):get().n
local title = db:select({ title = posts.title }):from(posts)
  :where(eq(posts.id, engine.id)):get().title
print(("Rolled back (%s error): still %d comments, title still %q")
  :format(err.kind, n, title))

print()
list_blog()
print()
posts_per_author()

local latest = db:select({ title = posts.title }):from(posts)
  :orderBy(desc(posts.createdAt), desc(posts.id)):limit(1):get()
print()
print(("Latest post: %q"):format(latest.title))

-- }====================================================================

drop()
