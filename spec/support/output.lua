-- Busted output handler for sleet's specs.
--
-- Prints busted's plain terminal report, then one summary line, alone and
-- last, that scripts/test.sh reads and sums across test phases:
--
--   N passed, N failed[, N skipped]
--
-- Errors (a failing before_each, a spec file that does not load) count as
-- failed; pending tests are reported as skipped.
--
-- SLEET_GC_STRESS makes the collector far more eager, so that a userdata
-- freed too early, a missing anchor or a __gc running at an awkward moment
-- shows up as a failure instead of a rare crash:
--   SLEET_GC_STRESS=1             incremental mode, a new cycle as soon as one
--                                 ends, in small steps
--   SLEET_GC_STRESS=generational  generational mode with frequent minor cycles
-- In both modes a full collection also runs before and after every test.

local gc_stress = os.getenv("SLEET_GC_STRESS")
if gc_stress == "" or gc_stress == "0" then
  gc_stress = nil
end

local function configure_gc(mode)
  if mode == "generational" then
    -- a minor collection after every 1% of growth, a major one at 10%
    collectgarbage("generational", 1, 10)
  elseif _VERSION == "Lua 5.4" then
    -- pause 0: the next cycle starts at once; stepsize 2^4 bytes: the
    -- collector interleaves with the program at a very fine grain
    collectgarbage("incremental", 0, 100, 4)
  else
    collectgarbage("setpause", 0)
    collectgarbage("setstepmul", 100)
  end
end

return function(options)
  local busted = require("busted")
  local handler = require("busted.outputHandlers.plainTerminal")(options)

  if gc_stress then
    configure_gc(gc_stress)
    local function full_collect()
      collectgarbage("collect")
      return nil, true
    end
    busted.subscribe({ "test", "start" }, full_collect)
    busted.subscribe({ "test", "end" }, full_collect)
  end

  -- Subscribed after plainTerminal's own suite end, so it prints last.
  busted.subscribe({ "suite", "end" }, function()
    local failed = handler.failuresCount + handler.errorsCount
    local line = string.format("%d passed, %d failed", handler.successesCount, failed)
    if handler.pendingsCount > 0 then
      line = line .. string.format(", %d skipped", handler.pendingsCount)
    end
    if gc_stress then
      io.write("\nGC stress mode: ", gc_stress)
    end
    io.write("\n", line, "\n")
    io.flush()
    return nil, true
  end)

  return handler
end
