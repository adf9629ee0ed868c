-- A coroutine loop like a game server's (cqueues): with socket =
-- "cqueues", a query waits by yielding to the loop, so one coroutine
-- waiting on a 1 s server-side sleep does not hold up another one's 50
-- point selects, on PostgreSQL and MariaDB.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local ok_cq, cqueues = pcall(require, "cqueues")

for _, d in ipairs(dialects.live()) do
  if d.name ~= "sqlite" then
    describe("cqueues loop on " .. d.name, function()
      if not ok_cq then
        pending("no cqueues (Debian lua-cqueues): " .. tostring(cqueues))
        return
      end
      if not dialects.has_wire(d.name) then
        pending("no wire driver for " .. d.name)
        return
      end

      local function connect()
        return sleet.connect(d.url(), { socket = "cqueues" })
      end

      it("a 1 s server-side sleep does not delay another coroutine's 50 " ..
        "point selects", function()
        local loop = cqueues.new()
        local t0 = cqueues.monotime()
        local slow_done, fast_done, selected
        -- under valgrind, GC stress or a sanitizer a connection and 50
        -- selects take seconds: the sleep is longer there, so that it
        -- still outlasts them
        local secs = check.instrumented() and 10 or 1
        local sleep = d.name == "postgresql" and
          ("select pg_sleep(%d) as s"):format(secs) or
          ("select sleep(%d) as s"):format(secs)
        loop:wrap(function()
          local db = connect()
          db:execute(sleep)
          slow_done = cqueues.monotime() - t0
          db:close()
        end)
        loop:wrap(function()
          local db = connect()
          selected = 0
          for i = 1, 50 do
            local row = db:execute(sleet.sql("select ? as n", i))[1]
            if tonumber(row.n) == i then selected = selected + 1 end
          end
          fast_done = cqueues.monotime() - t0
          db:close()
        end)
        local ok, err = loop:loop()
        assert.is_true(ok, tostring(err))
        assert.equal(50, selected)
        assert.is_true(slow_done >= secs - 0.01, "the sleep took " ..
          slow_done)
        -- ended before the sleep did: a blocked loop would have run them
        -- after it (an order, not a time: a loaded machine is slow, not
        -- out of order)
        assert.is_true(fast_done < slow_done, ("the 50 selects ended at " ..
          "%.3f s, the sleep at %.3f s"):format(fast_done, slow_done))
      end)

      it("errors and transactions inside the loop", function()
        local loop = cqueues.new()
        local kind, committed
        loop:wrap(function()
          local db = connect()
          local ok, err = pcall(db.execute, db, "select no_such_column")
          kind = not ok and err.kind
          db:transaction(function(tx)
            committed = tx:execute("select 1 as one")[1].one
          end)
          db:close()
        end)
        assert.is_true((loop:loop()))
        assert.equal("database", kind)
        assert.equal(1, tonumber(committed))
      end)
    end)
  end
end
