-- The LuaSQL contender of the benchmark (bench/run.sh runs it; see
-- bench/README.md): what a Lua user has today, through Debian's
-- lua-sql-sqlite3, lua-sql-postgres and lua-sql-mysql. The same rows and
-- checksums as bench/raw.c and bench/sleet.lua:
--
--   insert  20,000 rows in one transaction (setautocommit(false), commit).
--           LuaSQL has no prepared statements: its idiomatic equivalent is
--           one insert per row, the values escaped with conn:escape() and
--           formatted into the SQL text.
--   point   point select by primary key: the id formatted into the SQL
--           text (no prepare in LuaSQL), conn:execute, cur:fetch({}, "a"),
--           cur:close()
--   scan    every row into a new Lua table per row (cur:fetch({}, "a")),
--           ordered by id; ns per row
--
--   lua5.4 bench/luasql.lua DIALECT URL
--   DIALECT: sqlite (URL: a file name or :memory:) | postgresql (a libpq
--   URL) | mysql (mysql://user:password@host:port/database)
package.path = "bench/?.lua;" .. package.path
package.cpath = (os.getenv("SLEET_CPATH") or "build/?.so;build/bench/?.so")
  .. ";" .. package.cpath

local common = require "common"

local DIALECT, URL = arg[1], arg[2]
assert(common.DDL[DIALECT] and URL,
  "usage: lua5.4 bench/luasql.lua sqlite|postgresql|mysql URL")
local N = common.counts(DIALECT)
local row_sum, check_row = common.row_sum, common.check_row

local function connect()
  if DIALECT == "sqlite" then
    local env = require("luasql.sqlite3").sqlite3()
    return env, assert(env:connect(URL))
  elseif DIALECT == "postgresql" then
    -- libpq takes a URL where LuaSQL passes the database name
    local env = require("luasql.postgres").postgres()
    return env, assert(env:connect(URL))
  end
  local env = require("luasql.mysql").mysql()
  local u = common.parse_mysql_url(URL)
  local conn = assert(env:connect(u.database, u.user, u.password, u.host,
    u.port))
  assert(conn:execute("set names utf8mb4"))
  return env, conn
end

local env, conn = connect()

local function exec(sql)
  local r, err = conn:execute(sql)
  if not r then error(err .. ": " .. sql, 2) end
  return r
end

local function reset_table()
  exec(common.DROP)
  exec(common.DDL[DIALECT])
end

local INSERT = "insert into bench_items (id, name, email, age, score) "
  .. "values (%d, '%s', '%s', %d, %.17g)"

local function insert_rows(n)
  local t0 = common.now()
  assert(conn:setautocommit(false))
  for i = 1, n do
    exec(INSERT:format(i, conn:escape(common.name(i)),
      conn:escape(common.email(i)), common.age(i), common.score(i)))
  end
  assert(conn:commit())
  assert(conn:setautocommit(true))
  return common.now() - t0
end

local function table_stats()
  local cur = exec("select count(*), sum(age) from bench_items")
  local n, s = cur:fetch()
  cur:close()
  return ("%d/%d"):format(math.tointeger(tonumber(n)),
    math.tointeger(tonumber(s)))
end

local POINT = "select id, name, email, age, score from bench_items "
  .. "where id = %d"

local function point(rows)
  return function(k)
    local i = common.point_id(k, rows)
    local cur = exec(POINT:format(i))
    local r = cur:fetch({}, "a")
    cur:close()
    if tonumber(r.id) ~= i then error("point select: wrong row") end
    if k % 1000 == 0 then
      check_row(i, r.id, r.name, r.email, r.age, r.score)
    end
    return row_sum(r.id, r.name, r.email, r.age, r.score)
  end
end

local best
for _ = 1, 2 do
  reset_table()
  collectgarbage()
  local ns = insert_rows(N.rows)
  best = math.min(best or ns, ns)
end
local stats = table_stats()
local want_age = 0
for i = 1, N.rows do want_age = want_age + common.age(i) end
assert(stats == ("%d/%d"):format(N.rows, want_age),
  "insert: the table holds other rows: " .. stats)
common.result(DIALECT, "luasql", "insert", best, N.rows, stats)

local ns, sum = common.time_loop(N.point, point(N.rows))
local want = common.point_sum(N.point, N.rows)
assert(sum == want, ("point: checksum %d, want %d"):format(sum, want))
common.result(DIALECT, "luasql", "point", ns, N.point, sum)

local SCAN = "select id, name, email, age, score from bench_items order by id"
local rows
collectgarbage()
collectgarbage()
local t0 = common.now()
for _ = 1, N.scans do
  rows = {}
  local cur = exec(SCAN)
  local n = 0
  local r = cur:fetch({}, "a")
  while r do
    n = n + 1
    rows[n] = r
    r = cur:fetch({}, "a")
  end
  cur:close()
end
ns = common.now() - t0
assert(#rows == N.rows, "scan: wrong row count " .. #rows)
sum = 0
for i, r in ipairs(rows) do
  check_row(i, r.id, r.name, r.email, r.age, r.score)
  sum = sum + row_sum(r.id, r.name, r.email, r.age, r.score)
end
assert(sum == common.table_sum(N.rows), "scan: wrong checksum")
common.result(DIALECT, "luasql", "scan", ns, N.scans * N.rows, sum)

if DIALECT ~= "sqlite" then exec(common.DROP) end
conn:close()
env:close()
