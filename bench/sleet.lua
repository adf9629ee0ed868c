-- The sleet contender of the benchmark (bench/run.sh runs it; see
-- bench/README.md). On one database it times, with the same rows and
-- statements as bench/raw.c and bench/luasql.lua:
--
--   insert   20,000 rows, one prepared insert (:prepare, :run(params)) in
--            one transaction; ns per row
--   point    point select by primary key, prepared once,
--            :get({ id = i }) per call
--   builder  the same select built with the query builder on every call
--   partial  the same, selecting the five columns by name (a partial
--            select built on every call)
--   insertb  20,000 rows, each insert built with the query builder, in
--            one transaction; ns per row
--   scan     every row into Lua tables (:all()), ordered by id; ns per row
--
-- and prints RESULT lines (bench/common.lua). Two more modes:
--
--   memory   RSS growth over up to 1,000,000 prepared point selects
--            (SLEET_BENCH_MEMORY_QUERIES), stopped after
--            SLEET_BENCH_MEMORY_SECONDS when set; prints a MEMORY line
--   profile-point N / profile-builder N / profile-scan N
--            N point selects of one kind (or N scans of every row), with
--            callgrind collecting only around them (bench/profile.sh)
--   profile-lua-point N / profile-lua-builder N
--            the same, sampling the Lua VM: prints the façade's functions
--            with the most samples
--
--   lua5.4 bench/sleet.lua DIALECT URL [MODE [N]]
--   DIALECT: sqlite | postgresql | mysql
package.path = "lua/?.lua;lua/?/init.lua;bench/?.lua;" .. package.path
package.cpath = (os.getenv("SLEET_CPATH") or "build/?.so;build/bench/?.so")
  .. ";" .. package.cpath

local sleet = require "sleet"
local common = require "common"

local DIALECT, URL, MODE = arg[1], arg[2], arg[3] or "all"
-- the same workloads on LuaJIT are a contender of their own
local CONTENDER = rawget(_G, "jit") and "sleet-jit" or "sleet"
-- SLEET_BENCH_SOCKET=luasocket: the wire drivers over that transport
local SOCKET = os.getenv("SLEET_BENCH_SOCKET")
if SOCKET == "" then SOCKET = nil end
if SOCKET then CONTENDER = CONTENDER .. "-socket" end
assert(common.DDL[DIALECT] and URL,
  "usage: lua5.4 bench/sleet.lua sqlite|postgresql|mysql URL [MODE [N]]")
local N = common.counts(DIALECT)

-- The table of common.DDL, described to sleet with each dialect's builders.
local function items_table()
  if DIALECT == "sqlite" then
    local m = require "sleet.sqlite"
    return m.table(common.TABLE, {
      id = m.integer():primaryKey(), name = m.text():notNull(),
      email = m.text():notNull(), age = m.integer():notNull(),
      score = m.real():notNull(),
    })
  elseif DIALECT == "postgresql" then
    local m = require "sleet.pg"
    return m.table(common.TABLE, {
      id = m.integer():primaryKey(), name = m.text():notNull(),
      email = m.text():notNull(), age = m.integer():notNull(),
      score = m.doublePrecision():notNull(),
    })
  end
  local m = require "sleet.mysql"
  return m.table(common.TABLE, {
    id = m.int():primaryKey(), name = m.varchar({ length = 255 }):notNull(),
    email = m.varchar({ length = 255 }):notNull(), age = m.int():notNull(),
    score = m.double():notNull(),
  })
end

local t = items_table()
local db = sleet.connect(URL, { schema = { items = t }, socket = SOCKET })
local eq, asc, ph = sleet.eq, sleet.asc, sleet.placeholder
local row_sum, check_row = common.row_sum, common.check_row

local function reset_table()
  db:execute(sleet.raw(common.DROP))
  db:execute(sleet.raw(common.DDL[DIALECT]))
end

-- Inserts rows 1..n with one prepared insert in one transaction and
-- returns the elapsed ns.
local function insert_rows(n)
  local t0 = common.now()
  db:transaction(function(tx)
    local ins = tx:insert(t):values({ id = ph("id"), name = ph("name"),
      email = ph("email"), age = ph("age"), score = ph("score") })
      :prepare("bench_insert")
    for i = 1, n do
      ins:run({ id = i, name = common.name(i), email = common.email(i),
        age = common.age(i), score = common.score(i) })
    end
  end)
  return common.now() - t0
end

-- "count/sum(age)" of the table, the insert's checksum.
local function table_stats()
  local r = db:execute(sleet.raw(
    "select count(*) as n, sum(age) as s from bench_items"))[1]
  return ("%d/%d"):format(common.toint(r.n),
    common.toint(r.s))
end

local by_id = db:select():from(t):where(eq(t.id, ph("id")))

-- One point select per call through prepared query q, checked: returns
-- the row's checksum term.
local function point_prepared(q, rows)
  return function(k)
    local i = common.point_id(k, rows)
    local r = q:get({ id = i })
    if tonumber(r.id) ~= i then error("point select: wrong row") end
    if k % 1000 == 0 then
      check_row(i, r.id, r.name, r.email, r.age, r.score)
    end
    return row_sum(r.id, r.name, r.email, r.age, r.score)
  end
end

-- The same with the row of id i fetched by get(i) on every call.
local function point_with(rows, get)
  return function(k)
    local i = common.point_id(k, rows)
    local r = get(i)
    if tonumber(r.id) ~= i then error("point select: wrong row") end
    if k % 1000 == 0 then
      check_row(i, r.id, r.name, r.email, r.age, r.score)
    end
    return row_sum(r.id, r.name, r.email, r.age, r.score)
  end
end

-- The select built by the query builder on every call.
local function point_builder(rows)
  return point_with(rows, function(i)
    return db:select():from(t):where(eq(t.id, i)):get()
  end)
end

-- A partial select of every column, built on every call.
local function point_partial(rows)
  return point_with(rows, function(i)
    return db:select({ id = t.id, name = t.name, email = t.email,
      age = t.age, score = t.score }):from(t):where(eq(t.id, i)):get()
  end)
end

-- Inserts rows 1..n, each built with the query builder, in one
-- transaction; returns the elapsed ns.
local function insert_built(n)
  local t0 = common.now()
  db:transaction(function(tx)
    for i = 1, n do
      tx:insert(t):values({ id = i, name = common.name(i),
        email = common.email(i), age = common.age(i),
        score = common.score(i) }):run()
    end
  end)
  return common.now() - t0
end

local function run_all()
  -- insert: twice on a fresh table (the first run warms the connection and
  -- the statement cache up), the faster counts
  local best
  for _ = 1, 2 do
    reset_table()
    collectgarbage()
    local ns = insert_rows(N.rows)
    best = math.min(best or ns, ns)
  end
  local stats, want_age = table_stats(), 0
  for i = 1, N.rows do want_age = want_age + common.age(i) end
  assert(stats == ("%d/%d"):format(N.rows, want_age),
    "insert: the table holds other rows: " .. stats)
  common.result(DIALECT, CONTENDER, "insert", best, N.rows, stats)

  local q = by_id:prepare("bench_by_id")
  for _, w in ipairs({
    { name = "point", count = N.point, fn = point_prepared(q, N.rows) },
    { name = "builder", count = N.builder, fn = point_builder(N.rows) },
    { name = "partial", count = N.builder, fn = point_partial(N.rows) },
  }) do
    local ns, sum = common.time_loop(w.count, w.fn)
    local want = common.point_sum(w.count, N.rows)
    assert(sum == want, ("%s: checksum %d, want %d"):format(w.name, sum, want))
    common.result(DIALECT, CONTENDER, w.name, ns, w.count, sum)
  end

  local rows
  collectgarbage()
  collectgarbage()
  local t0 = common.now()
  for _ = 1, N.scans do
    rows = db:select():from(t):orderBy(asc(t.id)):all()
  end
  local ns = common.now() - t0
  assert(#rows == N.rows, "scan: wrong row count " .. #rows)
  local sum = 0
  for i, r in ipairs(rows) do
    check_row(i, r.id, r.name, r.email, r.age, r.score)
    sum = sum + row_sum(r.id, r.name, r.email, r.age, r.score)
  end
  assert(sum == common.table_sum(N.rows), "scan: wrong checksum")
  common.result(DIALECT, CONTENDER, "scan", ns, N.scans * N.rows, sum)

  -- inserts built on every call, on a fresh table (twice, the faster
  -- counts), with the same checksum as the prepared insert
  local bestb
  for _ = 1, 2 do
    reset_table()
    collectgarbage()
    local nsb = insert_built(N.rows)
    bestb = math.min(bestb or nsb, nsb)
  end
  local statsb = table_stats()
  assert(statsb == stats, "insertb: the table holds other rows: " .. statsb)
  common.result(DIALECT, CONTENDER, "insertb", bestb, N.rows, statsb)
end

-- VmRSS of this process, in kB.
local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return assert(common.toint(s:match("VmRSS:%s*(%d+)")),
    "no VmRSS in /proc/self/status")
end

local function run_memory()
  reset_table()
  insert_rows(N.rows)
  local limit = common.toint(os.getenv("SLEET_BENCH_MEMORY_QUERIES"))
    or 1000000
  local seconds = tonumber(os.getenv("SLEET_BENCH_MEMORY_SECONDS") or "")
  local q = by_id:prepare("bench_by_id")
  local fn = point_prepared(q, N.rows)
  -- warm-up: the statement, the row shapes and the collector's pace settle
  for k = 1, math.min(20000, limit) do fn(k) end
  collectgarbage()
  collectgarbage()
  local rss0, heap0 = rss_kb(), collectgarbage("count")
  local deadline = seconds and common.now() + math.floor(seconds * 1e9)
  local t0 = common.now()
  local done = 0
  while done < limit do
    local stop = math.min(limit, done + 1024)
    for k = done + 1, stop do fn(k) end
    done = stop
    if deadline and common.now() > deadline then break end
  end
  local ns = common.now() - t0
  local rss_end = rss_kb()
  collectgarbage()
  collectgarbage()
  local rss1, heap1 = rss_kb(), collectgarbage("count")
  io.write(("MEMORY %s sleet %d %d %d %d %.0f %.0f %.1f\n"):format(DIALECT,
    done, rss0, rss_end, rss1, heap0, heap1, ns / done))
end

-- Samples the Lua VM every 50 to 150 instructions (a random period, so that
-- the samples do not fall in step with a loop) while fn runs count times and
-- prints, as markdown, the 10 functions of the façade (lua/sleet/) with the
-- most samples on the stack (inclusive) and their samples at the top
-- (self). Time spent inside C functions is not sampled: this shows where
-- the Lua side of a call goes, callgrind the C side.
local function lua_profile(fn, count, title)
  local getinfo = debug.getinfo
  local incl, self, names, total = {}, {}, {}, 0
  local hook
  hook = function()
    total = total + 1
    debug.sethook(hook, "", math.random(50, 150))
    local seen = {}
    local level = 2
    while true do
      local info = getinfo(level, "S")
      if not info then break end
      if info.short_src:find("sleet/", 1, true) and info.what == "Lua" then
        local key = info.short_src .. ":" .. info.linedefined
        if not names[key] then
          local n = getinfo(level, "n")
          names[key] = n and n.name
        end
        if not seen[key] then
          seen[key] = true
          incl[key] = (incl[key] or 0) + 1
        end
        if level == 2 then self[key] = (self[key] or 0) + 1 end
      end
      level = level + 1
    end
  end
  debug.sethook(hook, "", 100)
  for k = 1, count do fn(k) end
  debug.sethook()
  -- the exact count, one hook call per VM instruction, over fewer calls
  local exact, calls = 0, math.min(count, 1000)
  debug.sethook(function() exact = exact + 1 end, "", 1)
  for k = 1, calls do fn(k) end
  debug.sethook()
  local keys = {}
  for key in pairs(incl) do keys[#keys + 1] = key end
  table.sort(keys, function(a, b) return incl[a] > incl[b] end)
  print(("### %s: the Lua side\n\n%d calls, %d samples, one per 50 to 150 "
    .. "Lua VM instructions; %.0f VM instructions per call (counted one by "
    .. "one over %d more calls).\n")
    :format(title, count, total, exact / calls, calls))
  print("| function (lua/sleet/) | inclusive | self |")
  print("| --- | ---: | ---: |")
  for i = 1, math.min(10, #keys) do
    local key = keys[i]
    print(("| `%s` %s | %.1f%% | %.1f%% |"):format(
      key:gsub("^.*(sleet/)", "%1"), names[key] and "(" .. names[key] .. ")"
      or "", incl[key] / total * 100, (self[key] or 0) / total * 100))
  end
  print()
end

local function run_profile(kind, count, lua)
  reset_table()
  insert_rows(N.rows)
  local fn
  if kind == "point" then
    fn = point_prepared(by_id:prepare("bench_by_id"), N.rows)
  elseif kind == "builder" then
    fn = point_builder(N.rows)
  else -- scan: N calls, each every row
    fn = function()
      return #db:select():from(t):orderBy(asc(t.id)):all()
    end
  end
  for k = 1, kind == "scan" and 1 or 1000 do fn(k) end
  collectgarbage()
  if lua then
    lua_profile(fn, count, ({ point = "prepared point select",
      builder = "point select built on every call",
      scan = "scan of every row" })[kind])
    return
  end
  common.toggle_collect()
  for k = 1, count do fn(k) end
  common.toggle_collect()
end

if MODE == "all" then
  run_all()
elseif MODE == "memory" then
  run_memory()
elseif MODE:match("^profile%-") then
  local lua, kind = MODE:match("^profile%-(l?u?a?%-?)(%a+)$")
  assert(kind == "point" or kind == "builder" or kind == "scan",
    "unknown mode " .. MODE)
  run_profile(kind, common.toint(arg[4]) or 20000,
    lua == "lua-")
else
  error("unknown mode " .. MODE)
end
if DIALECT ~= "sqlite" then db:execute(sleet.raw(common.DROP)) end
db:close()
