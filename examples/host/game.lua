-- The Lua side of examples/host/host.c: the game's schema and the queries
-- a frame needs, prepared once. The C host calls these functions.
local sleet = require "sleet"
local sqlite = require "sleet.sqlite"
local kit = require "sleet.kit"

local players = sqlite.table("players", {
  id = sqlite.integer():primaryKey(),
  name = sqlite.text():notNull(),
  score = sqlite.integer():notNull():default(0),
})
local schema = { players = players }

local M = {}
local db, scoreOf

-- Connects, creates the table and seeds n players (player<i>, score 10*i).
function M.start(n)
  db = sleet.connect("sqlite::memory:", { schema = schema })
  kit.push(db, schema, { force = true })
  db:transaction(function(tx)
    local rows = {}
    for i = 1, n do rows[i] = { id = i, name = "player" .. i, score = 10 * i } end
    tx:insert(players):values(rows):run()
  end)
  scoreOf = db:select({ score = players.score }):from(players)
    :where(sleet.eq(players.id, sleet.placeholder("id"))):prepare("score_of")
end

-- Hands every player to the C callback fn(id, name, score).
function M.each_player(fn)
  for row in db:select():from(players):orderBy(players.id):iter() do
    fn(row.id, row.name, row.score)
  end
end

-- One frame's query.
function M.score_of(id)
  local row = scoreOf:get({ id = id })
  return row and row.score
end

-- A query that fails: the error reaches the host.
function M.bad_query()
  return db:execute(sleet.sql("select no_such_column from players"))
end

function M.stop()
  scoreOf:close()
  db:close()
end

return M
