-- One thread's work in examples/host/threads.c: a table of its own on the
-- database at url, 200 rows written in a transaction and read back one by
-- one through a prepared statement, then dropped. Returns the rows checked.
local sleet = require "sleet"
local kit = require "sleet.kit"

return function(url, n)
  local db = sleet.connect(url)
  local dialect = db.dialect
  db:close()
  local m = require(({ sqlite = "sleet.sqlite", postgresql = "sleet.pg",
    mysql = "sleet.mysql" })[dialect])
  local t = m.table("host_thread_" .. n, {
    id = (m.int or m.integer)():primaryKey(),
    name = (m.varchar and m.varchar({ length = 50 }) or m.text()):notNull(),
  })
  local schema = { t = t }
  db = sleet.connect(url, { schema = schema })
  db:execute(sleet.sql("drop table if exists ?", sleet.identifier(
    "host_thread_" .. n)))
  kit.push(db, schema, { force = true })
  db:transaction(function(tx)
    local rows = {}
    for i = 1, 200 do rows[i] = { id = i, name = ("t%d-%d"):format(n, i) } end
    tx:insert(t):values(rows):run()
  end)
  local byId = db:select({ name = t.name }):from(t)
    :where(sleet.eq(t.id, sleet.placeholder("id"))):prepare()
  local checked = 0
  for round = 1, 5 do
    for i = 1, 200 do
      local row = byId:get({ id = i })
      assert(row and row.name == ("t%d-%d"):format(n, i),
        ("thread %d round %d: row %d"):format(n, round, i))
      checked = checked + 1
    end
  end
  byId:close()
  db:execute(sleet.sql("drop table ?", sleet.identifier("host_thread_" .. n)))
  db:close()
  return checked
end
