-- sleet-kit studio on a 1,000,000-row table (bench/run.sh runs it):
-- how long the server takes to answer a page (its handler, in this
-- process, median of RUNS), a whole request over HTTP (the real server,
-- curl's time_total, median), and how the server's memory grows while it
-- pages through the table.
--
--   lua5.4 bench/studio.lua OUT.md sqlite|postgresql URL...
--
-- Each dialect gets the table st_big (id, name, score with an index, note
-- NULL on a third of the rows); prints a line per measurement and writes
-- the markdown table to OUT.md.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("SLEET_CPATH") or "build/?.so") .. ";" ..
  package.cpath

local sleet = require "sleet"
local core = require "sleet.core"
local studio = require "sleet.studio"

local OUT = assert(arg[1], "usage: bench/studio.lua OUT.md DIALECT URL ...")
local ROWS = tonumber(os.getenv("SLEET_BENCH_STUDIO_ROWS")) or 1000000
local RUNS = 21

local clock = core.seed_clock

local function rss()
  local f = io.open("/proc/self/status")
  local text = f and f:read("a") or ""
  if f then f:close() end
  return tonumber(text:match("VmRSS:%s*(%d+)")) or 0
end

local function median(list)
  table.sort(list)
  return list[(#list + 1) // 2]
end

local lines = {}
local function report(dialect, what, value, unit)
  local line = ("STUDIO %s %s %s %s"):format(dialect, what:gsub("%s", "_"),
    value, unit)
  print(line)
  lines[#lines + 1] = { dialect = dialect, what = what, value = value,
    unit = unit }
end

local function schema(m)
  local big = m.table("st_big", {
    id = m.integer():primaryKey(),
    name = m.text():notNull(),
    score = m.integer():notNull(),
    note = m.text(),
  }, function(t) return { m.index("st_big_score"):on(t.score) } end)
  return { big = big }
end

local function fill(db, dialect, s)
  db:execute("drop table if exists st_big")
  require("sleet.kit").push(db, s, { force = true })
  local t0 = clock()
  if dialect == "postgresql" then
    db:execute(("insert into st_big (id, name, score, note) select i, " ..
      "'name ' || i, i %% 1000, case when i %% 3 = 0 then null else 'n' end " ..
      "from generate_series(1, %d) i"):format(ROWS))
    db:execute("analyze st_big")
  else
    db:transaction(function(tx)
      local ins = tx:insert(s.big):values({ id = sleet.placeholder("id"),
        name = sleet.placeholder("name"), score = sleet.placeholder("score"),
        note = sleet.placeholder("note") }):prepare("st_ins")
      for i = 1, ROWS do
        ins:run({ id = i, name = "name " .. i, score = i % 1000,
          note = i % 3 == 0 and sleet.null or "n" })
      end
    end)
  end
  return clock() - t0
end

local function bench(dialect, url)
  local db = sleet.connect(url)
  local m = require(dialect == "postgresql" and "sleet.pg" or "sleet.sqlite")
  local s = schema(m)
  local secs = fill(db, dialect, s)
  report(dialect, "fill", ("%.1f"):format(secs), "s")
  local app = studio.app(db, s, { token = ("a"):rep(32), port = 1 })
  local function get(path)
    local status, _, body = app:handle({ method = "GET", path = path,
      host = "127.0.0.1:1", cookie = "sleet_studio_1=" .. ("a"):rep(32) })
    assert(status == 200, body)
    return body
  end
  local function time(label, path)
    local list = {}
    for i = 1, RUNS do
      local t0 = clock()
      get(path)
      list[i] = (clock() - t0) * 1000
    end
    report(dialect, label, ("%.2f"):format(median(list)), "ms")
  end
  local enc = function(v)
    return (core.json_encode(v):gsub("[^%w]", function(c)
      return ("%%%02X"):format(c:byte())
    end))
  end
  time("first page", "/api/rows?table=big")
  time("page after row 900000", "/api/rows?table=big&after=" ..
    enc({ key = { 900000 } }))
  time("first page, sorted by an indexed column, descending",
    "/api/rows?table=big&sort=score&dir=desc")
  time("first page, filtered (eq on an indexed column)",
    "/api/rows?table=big&filters=" ..
    enc({ { col = "score", op = "eq", value = "7" } }))
  time("first page, sorted by a nullable column without an index",
    "/api/rows?table=big&sort=note")
  time("row count", "/api/count?table=big")
  -- a whole request over HTTP: the real server, curl's time_total
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. dir)
  local sf = assert(io.open(dir .. "/schema.lua", "w"))
  sf:write(([[
local m = require(%q)
local big = m.table("st_big", { id = m.integer():primaryKey(),
  name = m.text():notNull(), score = m.integer():notNull(), note = m.text() })
return { big = big }
]]):format(dialect == "postgresql" and "sleet.pg" or "sleet.sqlite"))
  sf:close()
  local cf = assert(io.open(dir .. "/sleet.config.lua", "w"))
  cf:write(("return { dialect = %q, schema = 'schema.lua', " ..
    "dbCredentials = { url = %q } }\n"):format(dialect, url))
  cf:close()
  local pwd = io.popen("pwd")
  local root = pwd:read("l")
  pwd:close()
  os.execute(("cd %s && (LUA_PATH='%s/lua/?.lua;%s/lua/?/init.lua;;' " ..
    "LUA_CPATH='%s/%s;;' lua5.4 %s/bin/sleet-kit studio --port 0 > out 2>&1 " ..
    "& echo $! > pid)"):format(dir, root, root, root,
    os.getenv("SLEET_CPATH") or "build/?.so", root))
  local link
  for _ = 1, 200 do
    local o = io.open(dir .. "/out")
    link = o and o:read("a"):match("(http://%S+)")
    if o then o:close() end
    if link then break end
    os.execute("sleep 0.05")
  end
  if link then
    local base, tok = link:match("^(http://[^/]+)/%?token=(%x+)$")
    local port = base:match(":(%d+)$")
    local list = {}
    for k = 1, RUNS do
      local c = io.popen(("curl -s -o /dev/null -w '%%{time_total}' -H " ..
        "'Cookie: sleet_studio_%s=%s' '%s/api/rows?table=big'"):format(port,
        tok, base))
      list[k] = tonumber(c:read("a")) * 1000
      c:close()
    end
    report(dialect, "first page over HTTP (curl)", ("%.2f"):format(
      median(list)), "ms")
  end
  os.execute(("kill $(cat %s/pid) 2>/dev/null; rm -rf %s"):format(dir, dir))
  -- memory while paging: 100 pages, then 400 more
  collectgarbage()
  local after
  local function page()
    local body = get("/api/rows?table=big" ..
      (after and ("&after=" .. enc(after)) or ""))
    local v = core.json_decode(body)
    after = v.next
  end
  for _ = 1, 100 do page() end
  collectgarbage()
  local r100 = rss()
  for _ = 1, 400 do page() end
  collectgarbage()
  local r500 = rss()
  report(dialect, "RSS after 100 pages", r100, "kB")
  report(dialect, "RSS growth from page 100 to 500", r500 - r100, "kB")
  db:execute("drop table st_big")
  db:close()
end

local i = 2
while arg[i] do
  bench(arg[i], arg[i + 1])
  i = i + 2
end

local f = assert(io.open(OUT, "w"))
f:write("\n## Studio on a 1,000,000-row table (bench/studio.lua)\n\n")
f:write("The server's handler in-process (median of " .. RUNS .. "), " ..
  "pages of 50 rows by keyset; the goal is a first page under 100 ms.\n\n")
f:write("| dialect | measurement | value |\n|---|---|---|\n")
for _, l in ipairs(lines) do
  f:write(("| %s | %s | %s %s |\n"):format(l.dialect, l.what, l.value,
    l.unit))
end
f:close()
