-- Seeding throughput of sleet.seed: 10,000 users × 10 posts (names,
-- emails, ints, cities, lorem ipsum), the workload bench/seed-drizzle.mjs
-- runs with drizzle-seed. Creates the two tables, seeds them in one
-- transaction, checks the counts and prints
--   SEED sleet <dialect> <rows> <seconds>
-- (the best of SLEET_BENCH_SEED_RUNS runs, 3 by default; each run starts
-- from empty tables).
--
--   lua5.4 bench/seed.lua sqlite sqlite::memory:
--   lua5.4 bench/seed.lua postgresql postgres://...
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("SLEET_CPATH") or "build/?.so") .. ";" ..
  package.cpath

local sleet = require "sleet"
local core = require "sleet.core"
local seed = require "sleet.seed"

local dialect, url = arg[1], arg[2]
local USERS = tonumber(os.getenv("SLEET_BENCH_SEED_USERS") or "10000")
local PER = 10
local RUNS = tonumber(os.getenv("SLEET_BENCH_SEED_RUNS") or "3")

local m = require(({ sqlite = "sleet.sqlite", postgresql = "sleet.pg",
  mysql = "sleet.mysql" })[dialect])
local text = dialect == "mysql" and function() return m.varchar({ length = 255 }) end
  or function() return m.text() end
local users = m.table("seedbench_users", {
  id = m.integer():primaryKey(),
  name = text():notNull(),
  email = text():notNull():unique(),
  age = m.integer(),
  city = text(),
})
local posts = m.table("seedbench_posts", {
  id = m.integer():primaryKey(),
  authorId = m.integer("author_id"):notNull()
    :references(function() return users.id end),
  title = m.text():notNull(),
  body = m.text(),
  score = m.integer(),
})
local schema = { users = users, posts = posts }

local db = sleet.connect(url, { schema = schema })
for _, t in ipairs({ "seedbench_posts", "seedbench_users" }) do
  db:execute("drop table if exists " .. t)
end
require("sleet.kit").push(db, schema, { force = true })

local function refine(f)
  return {
    users = { count = USERS, with = { posts = PER }, columns = {
      name = f.fullName(), email = f.email(),
      age = f.int({ minValue = 18, maxValue = 90 }), city = f.city() } },
    posts = { columns = { title = f.loremIpsum({ sentencesCount = 1 }),
      body = f.loremIpsum({ sentencesCount = 3 }),
      score = f.int({ minValue = 0, maxValue = 100 }) } },
  }
end

local best, rows
for _ = 1, RUNS do
  seed.reset(db, schema)
  collectgarbage()
  local t0 = core.seed_clock()
  local r = seed.seed(db, schema, { seed = 1, refine = refine })
  local dt = core.seed_clock() - t0
  rows = r.rows
  if not best or dt < best then best = dt end
end
local n = tonumber(db:select({ n = sleet.count() }):from(posts):get().n)
assert(n == USERS * PER, "posts written: " .. tostring(n))
seed.reset(db, schema)
for _, t in ipairs({ "seedbench_posts", "seedbench_users" }) do
  db:execute("drop table if exists " .. t)
end
db:close()
print(("SEED sleet%s %s %d %.6f"):format(rawget(_G, "jit") and "-jit" or "",
  dialect, rows, best))
