-- Turns the benchmark's output into tables (bench/run.sh runs it).
--
--   lua5.4 bench/report.lua table RESULTS-FILE [MARKDOWN-OUT [PROFILE-MD]]
--     reads the RESULT, MEMORY and INFO lines of every contender's runs,
--     checks that every contender read the same data (equal checksums per
--     dialect, workload and op count), keeps each contender's best run,
--     prints the tables and, given MARKDOWN-OUT, writes them with the
--     machine and the versions (bench/RESULTS.md); PROFILE-MD is appended.
--   lua5.4 bench/report.lua callgrind CALLGRIND-OUT CALLS TITLE
--     prints, as markdown, the 10 functions of most inclusive and of most
--     self cost in a callgrind profile of CALLS calls (bench/profile.sh).

local function read_lines(path)
  local f = assert(io.open(path))
  local lines = {}
  for line in f:lines() do lines[#lines + 1] = line end
  f:close()
  return lines
end

local function words(line)
  local w = {}
  for x in line:gmatch("%S+") do w[#w + 1] = x end
  return w
end

-- {==================================================================
-- The results table
-- ===================================================================

local DIALECTS = { "sqlite", "postgresql", "mysql" }
local DIALECT_LABEL = {
  sqlite = "SQLite (in memory)",
  postgresql = "PostgreSQL (127.0.0.1 TCP)",
  mysql = "MariaDB (127.0.0.1 TCP)",
}

-- The rows of a dialect's table: the workload label, then which
-- measurement of each contender it compares, and the target ratio of
-- sleet to raw C (issue 7), if any.
local ROWS = {
  { label = "insert, prepared, 1 transaction (ns/row)", raw = "insert",
    sleet = "insert", luasql = "insert",
    target = { sqlite = 1.5 } },
  { label = "point select by id, prepared (ns/op)", raw = "point",
    sleet = "point", luasql = "point",
    target = { sqlite = 1.5, postgresql = 1.05 } },
  { label = "point select, builder on every call (ns/op)", raw = "point",
    sleet = "builder", luasql = "point",
    target = { sqlite = 3 } },
  { label = "point select, partial select built on every call (ns/op)",
    raw = "point", sleet = "partial", luasql = "point" },
  { label = "insert, builder on every call, 1 transaction (ns/row)",
    raw = "insert", sleet = "insertb", luasql = "insert" },
  { label = "scan into Lua tables (ns/row)", raw = "scan",
    sleet = "scan", luasql = "scan",
    target = { sqlite = 2 } },
}

local function fmt_ns(ns)
  if not ns then return "–" end
  if ns >= 1e6 then return ("%.2f ms"):format(ns / 1e6) end
  return ("%.0f"):format(ns)
end

local function fmt_ratio(a, b)
  if not a or not b then return "–" end
  return ("%.2f×"):format(a / b)
end

local function collect(path)
  local best, checks, info, memory, ops = {}, {}, {}, {}, {}
  local nginx = {} -- label -> best requests per second
  local infokeys = {}
  for _, line in ipairs(read_lines(path)) do
    local w = words(line)
    if w[1] == "RESULT" then
      local dialect, contender, workload = w[2], w[3], w[4]
      local ns, count, sum = tonumber(w[5]), w[6], w[7]
      local key = dialect .. " " .. contender .. " " .. workload
      if not best[key] or ns < best[key] then best[key] = ns end
      ops[dialect .. " " .. workload] = tonumber(count)
      local ck = dialect .. " " .. workload .. " " .. count
      checks[ck] = checks[ck] or {}
      table.insert(checks[ck], { contender = contender, sum = sum })
    elseif w[1] == "MEMORY" then
      memory[w[2]] = { queries = tonumber(w[4]), rss0 = tonumber(w[5]),
        rss_end = tonumber(w[6]), rss1 = tonumber(w[7]),
        heap0 = tonumber(w[8]), heap1 = tonumber(w[9]), ns = tonumber(w[10]) }
    elseif w[1] == "NGINX" then
      -- NGINX label rps failed
      local rps = tonumber(w[3])
      if rps and (not nginx[w[2]] or rps > nginx[w[2]].rps) then
        nginx[w[2]] = { rps = rps, failed = tonumber(w[4]) }
      end
    elseif w[1] == "NGINXLAT" then
      -- NGINXLAT label rps failed p50 p90 p99 (ms)
      local rps = tonumber(w[3])
      if rps and (not nginx[w[2]] or rps > nginx[w[2]].rps) then
        nginx[w[2]] = { rps = rps, failed = tonumber(w[4]),
          p50 = tonumber(w[5]), p90 = tonumber(w[6]), p99 = tonumber(w[7]) }
      end
    elseif w[1] == "INFO" then
      if not info[w[2]] then infokeys[#infokeys + 1] = w[2] end
      info[w[2]] = line:match("^INFO%s+%S+%s+(.*)$") or ""
    end
  end
  -- every contender, every run: the same checksum for the same work
  local mismatches = {}
  for ck, list in pairs(checks) do
    for _, c in ipairs(list) do
      if c.sum ~= list[1].sum then
        mismatches[#mismatches + 1] = ("%s: %s read %s, %s read %s"):format(
          ck, list[1].contender, list[1].sum, c.contender, c.sum)
      end
    end
  end
  return best, mismatches, info, infokeys, memory, ops, nginx
end

-- A markdown table; the first `left` columns (default 1) align left, the
-- others (numbers) right.
local function markdown_table(header, rows, left)
  local out = { "| " .. table.concat(header, " | ") .. " |" }
  local sep = {}
  for i = 1, #header do sep[i] = i <= (left or 1) and "---" or "---:" end
  out[#out + 1] = "| " .. table.concat(sep, " | ") .. " |"
  for _, r in ipairs(rows) do
    out[#out + 1] = "| " .. table.concat(r, " | ") .. " |"
  end
  return table.concat(out, "\n")
end

-- 20000 -> "20,000"
local function thousands(n)
  local s = ("%d"):format(n)
  return (s:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", ""))
end

-- What each contender did on dialect d, from the ops of its RESULT lines.
local function counts_line(ops, d)
  local parts = {}
  local function add(workload, text)
    local n = ops[d .. " " .. workload]
    if n then parts[#parts + 1] = text:format(thousands(n)) end
  end
  add("insert", "%s rows inserted")
  add("point", "%s prepared point selects")
  add("builder", "%s built point selects")
  local scan, rows = ops[d .. " scan"], ops[d .. " insert"]
  if scan and rows then
    parts[#parts + 1] = ("%d scans of every row"):format(scan // rows)
  end
  return table.concat(parts, ", ") .. " per run."
end

-- The floor of the scan (bench/floor.lua): its rows built as Lua tables
-- through the Lua C API with no database; raw C plus that is the least a
-- binding returning Lua tables can take.
local function floor_note(best, d)
  local floor = best[d .. " floor scan"]
  local raw, sl = best[d .. " raw scan"], best[d .. " sleet scan"]
  if not (floor and raw and sl) then return "" end
  return ("\n\nThe floor of a scan into Lua tables: the same rows built as "
    .. "Lua tables through the Lua C API, with no database at all "
    .. "(`bench/floor.lua`), take %s ns/row, %s raw C's whole scan. raw C "
    .. "plus that floor is %s ns/row, %s raw C: about what any binding that "
    .. "returns rows as Lua tables takes here, whatever else it does. "
    .. "sleet's scan is %s that sum."):format(fmt_ns(floor), fmt_ratio(floor, raw),
    fmt_ns(raw + floor), fmt_ratio(raw + floor, raw),
    fmt_ratio(sl, raw + floor))
end

local function main_tables(best, ops)
  local sections = {}
  for _, d in ipairs(DIALECTS) do
    local rows = {}
    for _, row in ipairs(ROWS) do
      local raw = best[d .. " raw " .. row.raw]
      local sl = best[d .. " sleet " .. row.sleet]
      local jit = best[d .. " sleet-jit " .. row.sleet]
      local lq = best[d .. " luasql " .. row.luasql]
      if raw or sl or lq then
        local target = row.target and row.target[d]
        local verdict = "–"
        if target and raw and sl then
          verdict = ("≤ %.2f× %s"):format(target,
            sl / raw <= target and "met" or "**not met**")
        end
        rows[#rows + 1] = { row.label, fmt_ns(raw), fmt_ns(sl), fmt_ns(jit),
          fmt_ns(lq), fmt_ratio(sl, raw), fmt_ratio(jit, raw),
          fmt_ratio(sl, lq), verdict }
      end
    end
    if #rows > 0 then
      sections[#sections + 1] = "### " .. DIALECT_LABEL[d] .. "\n\n"
        .. counts_line(ops, d) .. "\n\n" .. markdown_table({ "workload",
          "raw C", "sleet (Lua 5.4)", "sleet (LuaJIT)", "LuaSQL",
          "sleet/raw", "LuaJIT/raw", "sleet/LuaSQL", "target (sleet/raw)" },
          rows)
        .. floor_note(best, d)
    end
  end
  return table.concat(sections, "\n\n")
end

local function relations_table(best)
  local rows = {}
  local ways = {
    { "rel-findmany", "findMany, 3 levels (1 statement)" },
    { "rel-n1-builder", "N+1 loop, query builder" },
    { "rel-n1-prepared", "N+1 loop, prepared" },
  }
  for _, d in ipairs(DIALECTS) do
    local base = best[d .. " sleet rel-findmany"]
    if base then
      for _, w in ipairs(ways) do
        local ns = best[d .. " sleet " .. w[1]]
        rows[#rows + 1] = { DIALECT_LABEL[d], w[2], fmt_ns(ns),
          fmt_ratio(ns, base) }
      end
    end
  end
  if #rows == 0 then return nil end
  return markdown_table({ "database", "way", "per load", "vs findMany" },
    rows, 2)
end

local function memory_table(memory)
  local rows = {}
  for _, d in ipairs(DIALECTS) do
    local m = memory[d]
    if m then
      local growth = m.rss1 - m.rss0
      rows[#rows + 1] = { DIALECT_LABEL[d], thousands(m.queries),
        ("%d → %d kB"):format(m.rss0, m.rss1), ("%+d kB"):format(growth),
        ("%+.0f kB"):format(m.heap1 - m.heap0), fmt_ns(m.ns),
        growth < 1024 and "< 1 MB met" or "< 1 MB **not met**" }
    end
  end
  if #rows == 0 then return nil end
  return markdown_table({ "database", "prepared point selects",
    "RSS (VmRSS)", "RSS growth", "Lua heap growth", "ns/op", "target" },
    rows)
end

-- Requests per second of nginx handlers (bench/nginx.sh), beside the
-- handler that touches no database; nil when there are none.
local NGINX_ROWS = {
  { "none", "no database (JSON of the worker's pid)" },
  { "sqlite", "prepared point select, SQLite (a file)" },
  { "postgresql", "prepared point select, PostgreSQL" },
  { "mysql", "prepared point select, MariaDB" },
}

local function nginx_table(nginx)
  local rows = {}
  local base = nginx.none and nginx.none.rps
  for _, r in ipairs(NGINX_ROWS) do
    local n = nginx[r[1]]
    if n then
      rows[#rows + 1] = { r[2], ("%.0f"):format(n.rps),
        base and ("%.2f×"):format(n.rps / base) or "–",
        ("%d"):format(n.failed or 0) }
    end
  end
  if #rows == 0 then return nil end
  return markdown_table({ "handler", "requests/s", "of no database",
    "failed" }, rows)
end

local function pg_version(n)
  n = tonumber(n)
  if not n then return nil end
  return ("%d.%d"):format(n // 10000, n % 10000)
end

-- The wire drivers against the C client libraries, per server: sleet
-- over LuaSocket (Lua 5.4, LuaJIT) beside sleet over libpq/libmariadb and
-- raw C; nil without socket runs.
local function wire_table(best)
  local rows = {}
  for _, d in ipairs({ "postgresql", "mysql" }) do
    for _, row in ipairs(ROWS) do
      local raw = best[d .. " raw " .. row.raw]
      local lib = best[d .. " sleet " .. row.sleet]
      local sock = best[d .. " sleet-socket " .. row.sleet]
      local jit = best[d .. " sleet-jit-socket " .. row.sleet]
      if sock or jit then
        local verdict = "–"
        if row.sleet == "point" and sock and lib then
          verdict = ("≤ 1.30× %s"):format(sock / lib <= 1.3 and "met"
            or "**not met**")
        end
        rows[#rows + 1] = { DIALECT_LABEL[d], row.label, fmt_ns(raw),
          fmt_ns(lib), fmt_ns(sock), fmt_ns(jit), fmt_ratio(sock, lib),
          fmt_ratio(jit, lib), verdict }
      end
    end
  end
  if #rows == 0 then return nil end
  return markdown_table({ "database", "workload", "raw C", "sleet (C library)",
    "sleet (socket, Lua 5.4)", "sleet (socket, LuaJIT)", "socket/C library",
    "LuaJIT socket/C library", "target (socket/C library)" }, rows, 2)
end

-- nginx at concurrency 50: the blocking driver against cosockets, alone
-- and with 5% of requests sleeping 100 ms on the server.
local NGINX_LAT_ROWS = {
  { "pg-libpq", "PostgreSQL point select, libpq (worker's connection)" },
  { "pg-wire", "PostgreSQL point select, cosockets (per-request + keepalive 40)" },
  { "pg-libpq-mixed", "the same, 5% of requests 100 ms slow, libpq" },
  { "pg-wire-mixed", "the same, 5% of requests 100 ms slow, cosockets" },
}

local function nginx_lat_table(nginx)
  local rows = {}
  for _, r in ipairs(NGINX_LAT_ROWS) do
    local n = nginx[r[1]]
    if n and n.p50 then
      rows[#rows + 1] = { r[2], ("%.0f"):format(n.rps),
        ("%d ms"):format(n.p50), ("%d ms"):format(n.p90),
        ("%d ms"):format(n.p99), ("%d"):format(n.failed or 0) }
    end
  end
  if #rows == 0 then return nil end
  return markdown_table({ "handler (ab -k -c 50)", "requests/s", "p50", "p90",
    "p99", "failed" }, rows)
end

local function run_table(path, out, profile)
  local best, mismatches, info, _, memory, ops, nginx = collect(path)
  local tables = main_tables(best, ops)
  local rel = relations_table(best)
  local mem = memory_table(memory)
  local ngx = nginx_table(nginx)
  local wire = wire_table(best)
  local ngxlat = nginx_lat_table(nginx)
  print()
  print(tables)
  if rel then print("\n" .. rel) end
  if mem then print("\n" .. mem) end
  if ngx then print("\n" .. ngx) end
  if wire then print("\n" .. wire) end
  if ngxlat then print("\n" .. ngxlat) end
  if #mismatches > 0 then
    table.sort(mismatches)
    io.stderr:write("report: contenders read different data:\n  "
      .. table.concat(mismatches, "\n  ") .. "\n")
    os.exit(1)
  end
  print("\nreport: every contender and run read the same data "
    .. "(checksums agree)")
  if not out then return end

  local md = {}
  local function add(s) md[#md + 1] = s end
  add("# Benchmark results")
  add("")
  add("Written by `" .. (info.command or "make bench") .. "` on "
    .. (info.date or "?") .. "; see [README.md](README.md) for what each "
    .. "workload does and how it is measured. Times are wall time "
    .. "(CLOCK_MONOTONIC), the best of " .. (info.runs or "2")
    .. " runs of each contender; lower is better, and a ratio below 1 "
    .. "means sleet is the faster. Every contender's "
    .. "result was checked against the rows written (equal checksums "
    .. "across contenders and runs).")
  add("")
  add("## Machine and versions")
  add("")
  local mrows = {
    { "sleet", info.commit },
    { "CPU", (info.cpu or "?") .. ", " .. (info.nproc or "?") .. " cores" },
    { "kernel", info.kernel },
    { "load average", info.load },
    { "Lua", info.lua },
    { "LuaJIT", info.luajit },
    { "nginx", info.nginx_version },
    { "SQLite (library)", info.sqlite_library },
    { "PostgreSQL server", pg_version(info.postgresql_server) },
    { "libpq", pg_version(info.libpq) },
    { "MariaDB server", info.mariadb_server },
    { "MariaDB Connector/C", info.mariadb_client },
    { "LuaSQL", info.luasql },
    { "gcc", info.gcc },
    { "build flags", info.cflags },
  }
  local kept = {}
  for _, r in ipairs(mrows) do
    if r[2] then kept[#kept + 1] = r end
  end
  add("| | |\n|---|---|")
  for _, r in ipairs(kept) do add("| " .. r[1] .. " | " .. r[2] .. " |") end
  add("")
  add("## sleet against raw C and LuaSQL")
  add("")
  add("raw C is `bench/raw.c` on the same client library (prepared "
    .. "statements, bind, step, every column read): the limit. LuaSQL has "
    .. "no prepared statements: its insert formats each row into the SQL "
    .. "text with `conn:escape()`, its point select formats the id into "
    .. "the SQL text, and its column is the same in both point-select rows. "
    .. "The builder row compares sleet building the query on every call "
    .. "with raw C's prepared statement, as the target does.")
  add("")
  add(tables)
  if rel then
    add("")
    add("## Relational queries (sleet only)")
    add("")
    add("`bench/relations.lua`: " .. (info.relations or "")
      .. "; one op loads every user with posts and comments.")
    add("")
    add(rel)
  end
  if wire then
    add("")
    add("## The wire drivers (socket transport)")
    add("")
    add("The same workloads with `sleet.connect(url, { socket = "
      .. "\"luasocket\" })`: sleet's PostgreSQL and MySQL protocol engines "
      .. "over LuaSocket, beside sleet over libpq / the MariaDB client and "
      .. "raw C on them; the target is the prepared point select within "
      .. "1.3× of the C client library's.")
    add("")
    add(wire)
  end
  if ngx then
    add("")
    add("## In nginx (LuaJIT)")
    add("")
    add("nginx with the Lua module, 2 workers, sleet's LuaJIT build, the "
      .. "handlers of `spec/nginx/app.lua`; `ab -k -c 20` (" .. (info.nginx
      or "") .. "). The drivers block their worker while a query runs.")
    add("")
    add(ngx)
    if ngxlat then
      add("")
      add("At concurrency 50, PostgreSQL over the worker's blocking libpq "
        .. "connection against a per-request connection over cosockets "
        .. "(`socket = \"nginx\"`, back to the keepalive pool after each "
        .. "request); then the same with 5% of the requests running a "
        .. "100 ms server-side sleep (`/mixed`): a blocking driver holds "
        .. "its worker through each sleep, cosockets do not.")
      add("")
      add(ngxlat)
    end
  end
  if mem then
    add("")
    add("## Memory")
    add("")
    add("RSS (VmRSS of /proc/self/status) of the sleet process before and "
      .. "after the prepared point selects, each reading after a full "
      .. "garbage collection, after a warm-up of 20,000 selects. "
      .. (info.memory or ""))
    add("")
    add(mem)
  end
  if profile then
    local f = io.open(profile)
    if f then
      add("")
      add(f:read("a"))
      f:close()
    end
  end
  local f = assert(io.open(out, "w"))
  f:write(table.concat(md, "\n"), "\n")
  f:close()
  print("report: wrote " .. out)
end

-- }==================================================================

-- {==================================================================
-- Callgrind's top functions
-- ===================================================================

-- Frames that enclose everything (process start, the interpreter's entry)
-- and say nothing about where the time goes.
local ENCLOSING = {
  ["main"] = true, ["(below main)"] = true, ["__libc_start_main"] = true,
  ["__libc_start_call_main"] = true, ["lua_pcallk"] = true,
  ["lua_callk"] = true, ["luaL_loadfilex"] = true,
}

-- Parses callgrind_annotate's lines "IR (PCT) file:function [object]".
local function annotate(file, inclusive)
  local cmd = ("callgrind_annotate %s --threshold=100 %s 2>/dev/null")
    :format(inclusive and "--inclusive=yes" or "--inclusive=no", file)
  local p = assert(io.popen(cmd))
  local entries, total = {}, nil
  for line in p:lines() do
    local ir, rest = line:match("^%s*([%d,]+)%s+%(%s*[%d.]+%%%)%s+(.*)$")
    if ir then
      ir = tonumber((ir:gsub(",", "")))
      local where, object = rest:match("^(.-)%s+%[(.*)%]$")
      where = where or rest
      local fn = where:match("^.*:([^:]+)$") or where
      fn = fn:gsub("@.*$", ""):gsub("'%d+$", "")
      if rest == "PROGRAM TOTALS" then
        total = ir
      else
        entries[#entries + 1] = { ir = ir, fn = fn,
          object = object and object:match("([^/]+)$") }
      end
    end
  end
  p:close()
  return entries, assert(total, "no PROGRAM TOTALS in " .. file)
end

local function run_callgrind(file, calls, title)
  calls = assert(tonumber(calls), "calls: a number")
  local function top(inclusive)
    local entries, total = annotate(file, inclusive)
    -- one entry per function: callgrind_annotate may list a function
    -- under its file and again as ???; anonymous interpreter frames are
    -- summed into one entry per object (self cost) or left out (inclusive)
    local byname, order = {}, {}
    for _, e in ipairs(entries) do
      local anon = e.fn:match("^0x%x+$")
      local name = e.fn
      if anon then
        name = "(" .. (e.object or "?") .. " internals, no symbols)"
      end
      if not ENCLOSING[e.fn] and not (anon and inclusive) then
        local cur = byname[name]
        if not cur then
          cur = { name = name, ir = 0, object = e.object }
          byname[name] = cur
          order[#order + 1] = cur
        end
        if anon then
          cur.ir = cur.ir + e.ir
        else
          cur.ir = math.max(cur.ir, e.ir)
          cur.object = cur.object or e.object
        end
      end
    end
    table.sort(order, function(a, b) return a.ir > b.ir end)
    local rows = {}
    for i = 1, math.min(10, #order) do
      local e = order[i]
      rows[i] = { "`" .. e.name .. "`", e.object or "?",
        ("%.1f%%"):format(e.ir / total * 100), ("%.0f"):format(e.ir / calls) }
    end
    return markdown_table({ "function", "object",
      inclusive and "inclusive" or "self", "Ir per call" }, rows, 2), total
  end
  local inc, total = top(true)
  local self = top(false)
  print(("### %s\n\n%s calls, %.0f instructions per call (Ir, callgrind; "
    .. "collected only around the loop).\n\nTop 10 by inclusive cost "
    .. "(the interpreter's unnamed frames left out):\n\n%s\n\n"
    .. "Top 10 by self cost:\n\n%s\n"):format(title, thousands(calls),
    total / calls,
    inc, self))
end

-- }==================================================================

local cmd = arg[1]
if cmd == "table" and arg[2] then
  run_table(arg[2], arg[3], arg[4])
elseif cmd == "callgrind" and arg[4] then
  run_callgrind(arg[2], arg[3], arg[4])
else
  io.stderr:write("usage: lua5.4 bench/report.lua table RESULTS [OUT.md "
    .. "[PROFILE.md]]\n       lua5.4 bench/report.lua callgrind FILE "
    .. "CALLS TITLE\n")
  os.exit(2)
end
