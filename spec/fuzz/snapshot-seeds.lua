-- Writes the seed corpus of the snapshot fuzz target
-- (spec/fuzz/corpus/snapshot/): for each dialect, sleet's snapshot of the
-- blog example (what `sleet-kit generate` writes), and a pair of it with a
-- changed copy (renamed table and column, changed type, default, index,
-- check and unique), plus drizzle-kit's own snapshots from
-- spec/fixtures/drizzle. Each file is one control byte (see
-- snapshot_fuzz.c), a document, and optionally NUL and a second document.
--
--   LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' \
--     lua5.4 spec/fuzz/snapshot-seeds.lua
local core = require "sleet.core"
local snapshot = require "sleet.snapshot"

local OUT = "spec/fuzz/corpus/snapshot/"
local blog = dofile("examples/blog/schema.lua")

local function readfile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function writeseed(name, control, first, second)
  local f = assert(io.open(OUT .. name, "wb"))
  f:write(string.char(control), first)
  if second then f:write("\0", second) end
  f:close()
end

local function sortedkeys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- The changed copy: every change the diff has a statement for, once.
local function changed(snap, dialect)
  local s = snapshot.copy(snap)
  local tables = s.tables
  for _, key in ipairs(sortedkeys(tables)) do
    local t = tables[key]
    if t.name == "blog_comments" then
      -- a table renamed (the diff asks)
      tables[key] = nil
      t.name = "blog_replies"
      tables[key:gsub("blog_comments", "blog_replies")] = t
    elseif t.name == "blog_posts" then
      -- a column renamed, a type changed, a default dropped, one added
      local title = t.columns.title
      t.columns.title = nil
      title.name = "headline"
      t.columns.headline = title
      t.columns.body.default = nil
      t.columns.published.notNull = false
      t.columns.views = { name = "views", type = "integer", notNull = true,
        primaryKey = false, autoincrement = false, default = "0",
        order = 7 }
      t.checkConstraints.views_positive = { name = "views_positive",
        value = "\"views\" >= 0" }
      t.uniqueConstraints.posts_title_author = { name = "posts_title_author",
        columns = { "headline", "author_id" } }
      for _, ik in ipairs(sortedkeys(t.indexes)) do t.indexes[ik] = nil end
      t.indexes.posts_lower_title = { name = "posts_lower_title",
        columns = { { expression = "lower(\"headline\")",
          isExpression = true, asc = true } },
        isUnique = false, method = dialect == "postgresql" and "btree" or nil,
        where = dialect ~= "mysql" and "\"published\"" or nil }
    end
  end
  if s.enums then
    for _, e in pairs(s.enums) do e.values[#e.values + 1] = "editor" end
  end
  return s
end

for i, dialect in ipairs({ "sqlite", "postgresql", "mysql" }) do
  local snap = snapshot.build(blog(dialect), dialect)
  local v1 = core.json_encode(snap)
  local v2 = core.json_encode(changed(snap, dialect))
  writeseed("sleet-" .. dialect, 0, v1)
  writeseed("sleet-" .. dialect .. "-pair", 4 * i, v1, v2)
  -- the same documents read as another dialect's
  writeseed("sleet-" .. dialect .. "-as-other", i % 3 + 1, v1, v2)
end

for _, dialect in ipairs({ "sqlite", "postgresql" }) do
  local dir = "spec/fixtures/drizzle/" .. dialect .. "/meta/"
  local s0 = readfile(dir .. "0000_snapshot.json")
  local s1 = readfile(dir .. "0001_snapshot.json")
  writeseed("drizzle-" .. dialect, 0, s0)
  writeseed("drizzle-" .. dialect .. "-pair", 8, s0, s1)
end
