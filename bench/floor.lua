-- The floor of a scan into Lua tables: the rows of bench/common.lua's
-- table (every row, N.scans times, as the scan workload) built through the
-- Lua C API from values already in C memory, the way a binding builds
-- them (one table per row sized for its five keys, interned keys, the two
-- strings made anew), with no database and no driver at all
-- (benchclock.floor_rows). A binding that returns rows as Lua tables pays
-- this on top of the driver's own work; bench/report.lua sets it beside
-- raw C's scan under the SQLite table.
--
--   lua5.4 bench/floor.lua
package.path = "lua/?.lua;lua/?/init.lua;bench/?.lua;" .. package.path
package.cpath = (os.getenv("SLEET_CPATH") or "build/?.so;build/bench/?.so")
  .. ";" .. package.cpath

local clock = require "benchclock"
local common = require "common"

local N = common.counts("sqlite")
local KEYS = { "id", "name", "email", "age", "score" }

clock.floor_prepare(N.rows)
local best, rows
for _ = 1, 2 do
  collectgarbage()
  collectgarbage()
  local t0 = common.now()
  for _ = 1, N.scans do rows = clock.floor_rows(KEYS) end
  local ns = common.now() - t0
  best = math.min(best or ns, ns)
end
assert(#rows == N.rows, "floor: wrong row count")
local sum = 0
for i, r in ipairs(rows) do
  common.check_row(i, r.id, r.name, r.email, r.age, r.score)
  sum = sum + common.row_sum(r.id, r.name, r.email, r.age, r.score)
end
assert(sum == common.table_sum(N.rows), "floor: wrong checksum")
common.result("sqlite", "floor", "scan", best, N.scans * N.rows, sum)
