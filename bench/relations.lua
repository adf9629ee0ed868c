-- Benchmark: loading users with their posts and the posts' comments through
-- db.query.users:findMany (one statement) against the N+1 loops a user
-- would otherwise write (one query per user and per post), on SQLite in
-- memory and, when SLEET_BENCH_PG_URL / SLEET_BENCH_MYSQL_URL name
-- throwaway databases, on PostgreSQL and MariaDB. Prints wall-clock ns per
-- load (one op = every user with posts and comments), the best of two
-- batches of rounds, and the ratio to findMany, then a RESULT line per way
-- for bench/report.lua; it is a benchmark, not a test, and asserts only
-- that every way loads the same data.
--
--   make && lua5.4 bench/relations.lua [users] [posts-per-user] [rounds]
--   SLEET_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/bench lua5.4 ...
--   SLEET_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/bench lua5.4 ...
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("SLEET_CPATH") or "build/?.so;build/bench/?.so")
  .. ";" .. package.cpath

local sleet = require "sleet"
local kit = require "sleet.kit"

local NUSERS = tonumber(arg[1]) or 100
local NPOSTS = tonumber(arg[2]) or 10
local NCOMMENTS = 2
local ROUNDS = tonumber(arg[3]) or 20

local function schema(m, dialect)
  local pk = dialect == "sqlite" and function() return m.integer():primaryKey() end
    or function() return m.serial():primaryKey() end
  local users = m.table("bench_users", {
    id = pk(), name = m.text():notNull(), email = m.text(),
  })
  local posts = m.table("bench_posts", {
    id = pk(), authorId = m.integer("author_id"):notNull(),
    title = m.text():notNull(), body = m.text(),
  }, function(t) return { m.index("bench_posts_author_idx"):on(t.authorId) } end)
  local comments = m.table("bench_comments", {
    id = pk(), postId = m.integer("post_id"):notNull(),
    body = m.text():notNull(),
  }, function(t) return { m.index("bench_comments_post_idx"):on(t.postId) } end)
  local s = { users = users, posts = posts, comments = comments }
  local rels = sleet.defineRelations(s, function(r)
    return {
      users = { posts = r.many.posts({ from = r.users.id,
        to = r.posts.authorId }) },
      posts = { comments = r.many.comments({ from = r.posts.id,
        to = r.comments.postId }) },
    }
  end)
  return s, rels
end

local function fill(db, s)
  local users, posts, comments = {}, {}, {}
  for i = 1, NUSERS do
    users[i] = { name = "user" .. i, email = ("u%d@example.org"):format(i) }
  end
  db:insert(s.users):values(users):run()
  local pid = 0
  for u = 1, NUSERS do
    for j = 1, NPOSTS do
      pid = pid + 1
      posts[#posts + 1] = { authorId = u, title = ("post %d.%d"):format(u, j),
        body = ("body of post %d"):format(pid) }
      for k = 1, NCOMMENTS do
        comments[#comments + 1] = { postId = pid,
          body = ("comment %d on %d"):format(k, pid) }
      end
    end
    if #posts >= 500 or u == NUSERS then
      db:insert(s.posts):values(posts):run()
      posts = {}
    end
    if #comments >= 500 or u == NUSERS then
      db:insert(s.comments):values(comments):run()
      comments = {}
    end
  end
end

-- The three ways to load every user with posts and comments, each
-- returning the same nested tables.
local function loaders(db, s)
  local eq, asc = sleet.eq, sleet.asc
  local byAuthor = db:select():from(s.posts)
    :where(eq(s.posts.authorId, sleet.placeholder("id")))
    :orderBy(asc(s.posts.id)):prepare("posts_by_author")
  local byPost = db:select():from(s.comments)
    :where(eq(s.comments.postId, sleet.placeholder("id")))
    :orderBy(asc(s.comments.id)):prepare("comments_by_post")
  return {
    { name = "findMany (1 statement)", fn = function()
      return db.query.users:findMany({
        orderBy = { id = "asc" },
        with = { posts = { orderBy = { id = "asc" },
          with = { comments = { orderBy = { id = "asc" } } } } },
      })
    end },
    { name = "N+1 loop, builder", fn = function()
      local users = db:select():from(s.users):orderBy(asc(s.users.id)):all()
      for _, u in ipairs(users) do
        u.posts = db:select():from(s.posts):where(eq(s.posts.authorId, u.id))
          :orderBy(asc(s.posts.id)):all()
        for _, p in ipairs(u.posts) do
          p.comments = db:select():from(s.comments)
            :where(eq(s.comments.postId, p.id)):orderBy(asc(s.comments.id))
            :all()
        end
      end
      return users
    end },
    { name = "N+1 loop, prepared", fn = function()
      local users = db:select():from(s.users):orderBy(asc(s.users.id)):all()
      for _, u in ipairs(users) do
        u.posts = byAuthor:all({ id = u.id })
        for _, p in ipairs(u.posts) do
          p.comments = byPost:all({ id = p.id })
        end
      end
      return users
    end },
  }
end

-- Wall-clock nanoseconds: CLOCK_MONOTONIC through bench/clock.c when it is
-- built (bench/run.sh builds it), else `date +%s%N` (two calls per
-- measurement cost far less than what is measured).
local now
do
  local ok, clock = pcall(require, "benchclock")
  if ok then
    now = clock.now
  else
    now = function()
      local f = assert(io.popen("date +%s%N"))
      local t = f:read("l")
      f:close()
      return assert(tonumber(t), "date +%s%N gave no number")
    end
  end
end

local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

-- "users/posts/comments": what a load returned.
local function counts(users)
  local np, nc = 0, 0
  for _, u in ipairs(users) do
    np = np + #u.posts
    for _, p in ipairs(u.posts) do nc = nc + #p.comments end
  end
  return ("%d/%d/%d"):format(#users, np, nc)
end

local RESULT_NAMES = { "rel-findmany", "rel-n1-builder", "rel-n1-prepared" }

local function run(label, url, m, dialect)
  local s, rels = schema(m, dialect)
  local db = sleet.connect(url, { schema = s, relations = rels })
  if dialect ~= "sqlite" then
    for _, t in ipairs({ "bench_comments", "bench_posts", "bench_users" }) do
      db:execute(sleet.sql("drop table if exists ?", sleet.identifier(t)))
    end
  end
  kit.push(db, s, { force = true })
  fill(db, s)
  local ways = loaders(db, s)
  local reference = ways[1].fn()
  local loaded = counts(reference)
  assert(loaded == ("%d/%d/%d"):format(NUSERS, NUSERS * NPOSTS,
    NUSERS * NPOSTS * NCOMMENTS), "findMany loaded " .. loaded)
  print(("%s: %d users x %d posts x %d comments, best of 2 x %d rounds")
    :format(label, NUSERS, NPOSTS, NCOMMENTS, ROUNDS))
  local base
  for i, w in ipairs(ways) do
    assert(same(reference, w.fn()), w.name .. " loads different data")
    local ns, cpu
    for _ = 1, 2 do
      collectgarbage()
      local c0, t0 = os.clock(), now()
      for _ = 1, ROUNDS do w.fn() end
      local batch = (now() - t0) / ROUNDS
      if not ns or batch < ns then
        ns, cpu = batch, (os.clock() - c0) / ROUNDS * 1e9
      end
    end
    base = base or ns
    print(("  %-24s %14.0f ns/op  %7.2fx   (Lua process CPU %.0f ns/op)")
      :format(w.name, ns, ns / base, cpu))
    print(("RESULT %s sleet %s %.1f %d %s"):format(dialect, RESULT_NAMES[i],
      ns, ROUNDS, loaded))
  end
  if dialect ~= "sqlite" then
    for _, t in ipairs({ "bench_comments", "bench_posts", "bench_users" }) do
      db:execute(sleet.sql("drop table if exists ?", sleet.identifier(t)))
    end
  end
  db:close()
end

run("sqlite (memory)", "sqlite::memory:", require "sleet.sqlite", "sqlite")
local pg = os.getenv("SLEET_BENCH_PG_URL")
if pg then
  run("postgresql", pg, require "sleet.pg", "postgresql")
else
  print("postgresql: skipped (set SLEET_BENCH_PG_URL)")
end
local my = os.getenv("SLEET_BENCH_MYSQL_URL")
if my then
  run("mysql", my, require "sleet.mysql", "mysql")
else
  print("mysql: skipped (set SLEET_BENCH_MYSQL_URL)")
end
