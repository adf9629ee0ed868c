-- A small blog on an in-memory SQLite database: create the schema, write
-- users, posts and comments, list them with a join and an aggregate, edit,
-- delete, and group writes in transactions.
--
--   make example
-- or, from the repository root after `make`:
--   LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' \
--     lua5.4 examples/blog/main.lua
-- Set BLOG_SQL=1 to see every statement sleet sends.

local sleet = require "sleet"
local kit = require "sleet.kit"

local here = arg and arg[0] and arg[0]:match("^(.*)[/\\]") or "."
local schema = dofile(here .. "/schema.lua")
local users, posts, comments = schema.users, schema.posts, schema.comments

local eq, asc, desc, count = sleet.eq, sleet.asc, sleet.desc, sleet.count

local db <close> = sleet.connect("sqlite::memory:", {
  schema = schema,
  logger = os.getenv("BLOG_SQL") ~= nil,
})

-- Create the tables, foreign keys and indexes the schema describes.
kit.push(db, schema, { force = true })

-- {====================================================================
-- Writing
-- =====================================================================

-- One row, read back with its generated id and defaults.
local ada = db:insert(users):values({
  name = "Ada Lovelace",
  email = "ada@example.org",
  isAdmin = true,
  profile = { bio = "Writes about engines.", languages = { "en", "fr" } },
}):returning():get()

-- Several rows at once; returning only what is needed.
local others = db:insert(users):values({
  { name = "Grace Hopper", email = "grace@example.org",
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
  { authorId = grace.id, title = "The first bug", body = "A moth, in a relay." },
  { authorId = edsger.id, title = "Goto, considered", body = "Harmful." },
}):returning({ id = posts.id, title = posts.title }):all()

-- }====================================================================

-- {====================================================================
-- Reading
-- =====================================================================

local function yesno(b)
  return b and "yes" or "no"
end

local function list_users()
  print("Users")
  for _, u in ipairs(db:select():from(users):orderBy(asc(users.id)):all()) do
    local bio = u.profile and u.profile.bio or "(no profile)"
    print(("  #%d %-16s %-20s admin: %-3s  since %s  %s")
      :format(u.id, u.name, u.email, yesno(u.isAdmin), u.createdAt, bio))
  end
end

local function list_posts()
  print("Posts")
  local rows = db:select({
    id = posts.id,
    title = posts.title,
    published = posts.published,
    author = users.name,
  }):from(posts)
    :innerJoin(users, eq(posts.authorId, users.id))
    :orderBy(asc(posts.id))
    :all()
  for _, r in ipairs(rows) do
    print(("  #%d %-32s by %-16s published: %s")
      :format(r.id, r.title, r.author, yesno(r.published)))
  end
end

local function list_comments()
  print("Comments")
  local rows = db:select()
    :from(comments)
    :innerJoin(posts, eq(comments.postId, posts.id))
    :innerJoin(users, eq(comments.authorId, users.id))
    :orderBy(asc(comments.id))
    :all()
  for _, r in ipairs(rows) do
    print(("  on %q, %s: %s"):format(r.posts.title, r.users.name, r.comments.body))
  end
end

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

list_users()
print()
list_posts()
print()
list_comments()
print()
posts_per_author()

-- {====================================================================
-- Editing
-- =====================================================================

print()
local published = db:update(posts)
  :set({ published = true })
  :where(eq(posts.authorId, grace.id))
  :returning({ title = posts.title })
  :all()
for _, p in ipairs(published) do
  print(("Published %q"):format(p.title))
end

local gone = db:delete(posts):where(eq(posts.id, drafts[3].id)):run()
print(("Deleted %d post(s)"):format(gone.rowsAffected))

-- Rolling back (or any error) inside a transaction undoes all it wrote.
local ok, err = pcall(db.transaction, db, function(tx)
  tx:insert(comments):values({
    postId = engine.id, authorId = ada.id, body = "Thank you all!",
  }):run()
  tx:update(posts):set({ title = "Renamed" }):where(eq(posts.id, engine.id)):run()
  tx:rollback()
end)
assert(not ok, "the transaction should have been rolled back")
local n = db:select({ n = count() }):from(comments):get().n
local title = db:select({ title = posts.title }):from(posts)
  :where(eq(posts.id, engine.id)):get().title
print(("Rolled back (%s error): still %d comments, title still %q")
  :format(err.kind, n, title))

print()
list_posts()
print()
posts_per_author()

local latest = db:select({ title = posts.title }):from(posts)
  :orderBy(desc(posts.createdAt), desc(posts.id)):limit(1):get()
print()
print(("Latest post: %q"):format(latest.title))
