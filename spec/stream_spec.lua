-- iter() reads rows as the server sends them (SQLite steps in place,
-- libpq runs in single-row mode, the MariaDB client fetches unbuffered, the
-- wire drivers read message by message): memory stays flat however large
-- the result, and statements run inside the loop still see every row of it
-- (the rest of the result is buffered first). On every live dialect.
local sleet = require "sleet"
local kit = require "sleet.kit"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local function rss_kb()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

-- Under valgrind or a sanitizer runtime memory is theirs to count.
local instrumented = check.instrumented

-- SQL giving rows 1..n with a name, on each dialect.
local series = {
  sqlite = "with recursive s(n) as (select 1 union all select n + 1 from s " ..
    "where n < %d) select n, 'row ' || n as name from s",
  postgresql = "select n, 'row ' || n as name from generate_series(1, %d) n",
  mysql = "select seq as n, concat('row ', seq) as name from seq_1_to_%d",
}

for _, d in ipairs(dialects.live()) do
  describe("iter() streaming on " .. d.name, function()
    local db, t
    before_each(function()
      local m = d.module()
      t = m.table("stream_items", {
        id = (m.int or m.integer)():primaryKey(),
        name = (m.varchar and m.varchar({ length = 50 }) or m.text()),
      })
      db = d.connect({ stream_items = t })
      d.drop(db, "stream_items")
      kit.push(db, { stream_items = t }, { force = true })
      local rows = {}
      for i = 1, 300 do rows[i] = { id = i, name = "n" .. i } end
      db:insert(t):values(rows):run()
    end)
    after_each(function() db:close() end)

    it("statements inside the loop: the iterator still gives every row", function()
      local seen, sum = 0, 0
      -- (SQLite reads its table in place: rows written meanwhile may be
      -- read too, so the loop reads the first 300 ids only)
      for row in db:select():from(t):where(sleet.lte(t.id, 300)):orderBy(t.id)
        :iter() do
        seen = seen + 1
        sum = sum + check.tointeger(row.id)
        if row.id % 50 == 0 then
          -- a read, a write and a transaction while the result is open
          local n = db:select({ n = sleet.count() }):from(t):get().n
          assert.is_true(check.tointeger(n) >= 300)
          db:insert(t):values({ id = 1000 + row.id, name = "x" }):run()
          db:transaction(function(tx)
            tx:update(t):set({ name = "y" }):where(sleet.eq(t.id, row.id)):run()
          end)
        end
      end
      assert.equal(300, seen)
      assert.equal(300 * 301 / 2, sum)
      assert.equal(306, check.tointeger(db:select({ n = sleet.count() }):from(t):get().n))
    end)

    it("two iterators open at once on one connection", function()
      local pairs_seen = 0
      local outer = db:select():from(t):orderBy(t.id):limit(20):iter()
      for a in outer do
        for b in db:select():from(t):where(sleet.lte(t.id, 3)):orderBy(t.id):iter() do
          if b.id == a.id then pairs_seen = pairs_seen + 1 end
        end
      end
      assert.equal(3, pairs_seen)
    end)

    it("a loop left early leaves the connection ready", function()
      for row in db:select():from(t):orderBy(t.id):iter() do
        if row.id == 5 then break end
      end
      collectgarbage()
      assert.equal(300, check.tointeger(db:select({ n = sleet.count() }):from(t):get().n))
    end)

    if d.name ~= "sqlite" then
      it("the server ends the session mid-iteration inside a transaction: " ..
        "kind connection, the database closed, nothing committed", function()
        local who = d.name == "postgresql" and "select pg_backend_pid() as p"
          or "select connection_id() as p"
        local pid = db:execute(who)[1].p
        local killer = d.connect({})
        local seen = 0
        local ok, err = pcall(db.transaction, db, function(tx)
          tx:insert(t):values({ id = 5000, name = "lost" }):run()
          local c = tx:_connection()
          for _ in c:exec_sql(series[d.name]:format(1000000), nil, "iter") do
            seen = seen + 1
            if seen == 10 then
              if d.name == "postgresql" then
                killer:execute(sleet.sql("select pg_terminate_backend(?)", pid))
              else
                killer:execute(sleet.sql("kill connection " .. tostring(pid)))
              end
            end
          end
        end)
        assert.is_false(ok)
        assert.equal("connection", err.kind, tostring(err))
        assert.is_true(seen >= 10 and seen < 1000000, "rows seen: " .. seen)
        assert.is_true(db:isClosed())
        local left = killer:execute(sleet.sql("select count(*) as n from " ..
          "stream_items where id = ?", 5000))[1].n
        assert.equal(0, check.tointeger(left))
        killer:close()
        db = d.connect({ stream_items = t }) -- for after_each
      end)
    end

    it("1,000,000 rows: memory stays flat", function()
      if instrumented() then
        pending("memory is measured without valgrind and sanitizers")
        return
      end
      local c = db:_connection()
      collectgarbage()
      collectgarbage()
      local before, peak, n = rss_kb(), 0, 0
      for _ in c:exec_sql(series[d.name]:format(1000000), nil, "iter") do
        n = n + 1
        -- the rows' own garbage goes every 10,000 rows: how much of it the
        -- collector lets pile up depends on the heap the other specs left
        -- (LuaJIT's pause), not on the driver
        if n % 10000 == 0 then collectgarbage() end
        if n % 100000 == 0 then peak = math.max(peak, rss_kb() - before) end
      end
      assert.equal(1000000, n)
      assert.is_true(peak < 20 * 1024, ("RSS grew by %d kB"):format(peak))
    end)
  end)
end
