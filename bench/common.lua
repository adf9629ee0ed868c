-- What the Lua contenders of the benchmark share with each other and with
-- bench/raw.c: the table and its rows, the statements' shapes, the
-- checksums every contender must agree on, the clock, and the RESULT lines
-- bench/report.lua reads. Changing a row or a checksum here means changing
-- bench/raw.c the same way.
local clock = require "benchclock"

local M = {}

-- A whole number of a string or number, or nil: what Lua 5.4's
-- math.tointeger(tonumber(v)) gives, on LuaJIT too (one number type).
function M.toint(v)
  local n = tonumber(v)
  if n and n == math.floor(n) then return n end
  return nil
end
local toint = M.toint

M.now = clock.now -- integer ns, CLOCK_MONOTONIC (wall time)
M.toggle_collect = clock.toggle_collect -- callgrind on/off (profile.sh)

M.TABLE = "bench_items"

-- One CREATE TABLE per dialect, run verbatim by every contender, so that
-- the three work on the same schema.
M.DDL = {
  sqlite = "create table bench_items (id integer primary key, "
    .. "name text not null, email text not null, age integer not null, "
    .. "score real not null)",
  postgresql = "create table bench_items (id integer primary key, "
    .. "name text not null, email text not null, age integer not null, "
    .. "score double precision not null)",
  mysql = "create table bench_items (id int primary key, "
    .. "name varchar(255) not null, email varchar(255) not null, "
    .. "age int not null, score double not null)",
}

M.DROP = "drop table if exists bench_items"

-- Row i of the table (1-based).
function M.name(i) return "user" .. i end
function M.email(i) return "user" .. i .. "@example.org" end
function M.age(i) return i % 90 + 10 end
function M.score(i) return i * 0.25 end

-- The id the k-th point select asks for: every row once per n selects, in
-- an order that jumps around the table (7919 is prime, n is not a multiple).
function M.point_id(k, n)
  return (k * 7919) % n + 1
end

-- The checksum term of one row, as the integer bench/raw.c computes: it
-- reads every column, so a contender that returns a wrong value in any
-- column disagrees with the others.
function M.row_sum(id, name, email, age, score)
  return id + age + #name + #email + math.floor(score * 4 + 0.5)
end

-- The checksum of the rows 1..n: what a scan must return.
function M.table_sum(n)
  local s = 0
  for i = 1, n do
    s = s + M.row_sum(i, M.name(i), M.email(i), M.age(i), M.score(i))
  end
  return s
end

-- The checksum of the point selects k = 1..count over a table of n rows.
function M.point_sum(count, n)
  local s = 0
  for k = 1, count do
    local i = M.point_id(k, n)
    s = s + M.row_sum(i, M.name(i), M.email(i), M.age(i), M.score(i))
  end
  return s
end

-- Raises unless the row read for id i holds exactly row i's values.
-- Values may arrive as strings (LuaSQL on PostgreSQL): they are compared
-- as numbers.
function M.check_row(i, id, name, email, age, score)
  if toint(id) ~= i or name ~= M.name(i)
    or email ~= M.email(i) or toint(age) ~= M.age(i)
    or tonumber(score) ~= M.score(i) then
    error(("row %d read wrong: %s %s %s %s %s"):format(i, tostring(id),
      tostring(name), tostring(email), tostring(age), tostring(score)), 2)
  end
end

-- Iteration counts, the same for every contender of a dialect (run.sh
-- passes them in the environment; the defaults keep `make bench` under
-- ten minutes on two cores).
function M.counts(dialect)
  local server = dialect ~= "sqlite"
  local function env(name, default)
    return toint(os.getenv(name)) or default
  end
  return {
    rows = env("SLEET_BENCH_ROWS", 20000),
    point = env(server and "SLEET_BENCH_POINT_SERVER"
      or "SLEET_BENCH_POINT", server and 20000 or 200000),
    builder = env(server and "SLEET_BENCH_POINT_SERVER"
      or "SLEET_BENCH_BUILDER", server and 20000 or 100000),
    scans = env("SLEET_BENCH_SCANS", server and 3 or 5),
  }
end

-- Writes one measurement: ns per op, the number of ops timed and the
-- checksum every contender of the same dialect and workload must share.
function M.result(dialect, contender, workload, ns, ops, checksum)
  io.write(("RESULT %s %s %s %.1f %d %s\n"):format(dialect, contender,
    workload, ns / ops, ops, tostring(checksum)))
  io.flush()
end

-- Times fn(k) for k = 1..n after a warm-up of its first calls; returns the
-- elapsed ns of the timed calls and the sum of what they returned (the
-- checksum).
function M.time_loop(n, fn)
  for k = 1, math.min(1000, math.floor(n / 10)) do fn(k) end
  collectgarbage()
  collectgarbage()
  local sum = 0
  local t0 = M.now()
  for k = 1, n do sum = sum + fn(k) end
  return M.now() - t0, sum
end

-- Parses mysql://user:password@host:port/database (percent-encoding
-- decoded) into its parts.
function M.parse_mysql_url(url)
  local rest = url:match("^mysql://(.*)$") or url:match("^mariadb://(.*)$")
  assert(rest, "not a mysql:// URL: " .. url)
  local function dec(s)
    return s and (s:gsub("%%(%x%x)", function(h)
      return string.char(tonumber(h, 16))
    end))
  end
  local auth, hostport, db = rest:match("^([^@]*)@([^/]*)/?(.*)$")
  if not auth then
    hostport, db = rest:match("^([^/]*)/?(.*)$")
  end
  local user, password
  if auth then
    user, password = auth:match("^([^:]*):(.*)$")
    user = user or auth
  end
  local host, port = hostport:match("^(.*):(%d+)$")
  host = host or hostport
  return { user = dec(user), password = dec(password), host = host,
    port = toint(port), database = dec(db) }
end

return M
