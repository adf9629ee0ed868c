-- sleet.pool: lends connections with pool:with(fn), bounded, replacing
-- lost ones and rolling back transactions left open, on every live
-- dialect; a PostgreSQL restart is survived (spec/pg_restart_spec.lua's
-- server control).
local sleet = require "sleet"
local kit = require "sleet.kit"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- sleet.pool with the test run's transport (SLEET_TEST_TRANSPORT).
local function newpool(d, url, opts)
  local t = dialects.transport()
  if t and t ~= "proxy" and d.name ~= "sqlite" then opts.socket = t end
  return sleet.pool(url, opts)
end

for _, d in ipairs(dialects.live()) do
  describe("sleet.pool on " .. d.name, function()
    local m, t, schema, url, pool
    before_each(function()
      m = d.module()
      t = m.table("pool_items", {
        id = (m.int or m.integer)():primaryKey(),
        name = (m.varchar and m.varchar({ length = 50 }) or m.text()),
      })
      schema = { pool_items = t }
      -- SQLite in memory is one database per connection: a file here
      url = d.name == "sqlite" and ("sqlite:" .. os.tmpname()) or d.url()
      local db = sleet.connect(url, { schema = schema })
      d.drop(db, "pool_items")
      kit.push(db, schema, { force = true })
      db:close()
    end)
    after_each(function()
      if pool then pool:close() end
      pool = nil
      if d.name == "sqlite" then os.remove(url:sub(8)) end
    end)

    local function count(db)
      return check.tointeger(db:select({ n = sleet.count() }):from(t):get().n)
    end

    it("lends a connection, returns fn's values and takes it back",
      function()
        pool = newpool(d, url, { schema = schema, size = 2 })
        local a, b = pool:with(function(db, x)
          db:insert(t):values({ id = 1, name = "a" }):run()
          return count(db), x
        end, "extra")
        assert.equal(1, a)
        assert.equal("extra", b)
        assert.same({ open = 1, idle = 1, size = 2 }, pool:stats())
        -- the same connection again: nothing new is opened
        pool:with(function(db) assert.equal(1, count(db)) end)
        assert.same({ open = 1, idle = 1, size = 2 }, pool:stats())
      end)

    it("raises fn's error once the connection is back", function()
      pool = newpool(d, url, { schema = schema, size = 1 })
      local err = check.raises_kind("validation", pool.with, pool,
        function(db) return db:insert(t):values({ nope = 1 }):run() end)
      assert.matches("nope", err.message)
      assert.equal(1, pool:stats().idle)
      assert.equal(0, pool:with(count))
    end)

    it("is bounded: a borrow beyond size waits through opts.wait, or is " ..
      "a usage error", function()
      pool = newpool(d, url, { schema = schema, size = 1 })
      pool:with(function()
        local err = check.raises_kind("usage", pool.with, pool, count)
        assert.matches("all 1 connections are in use", err.message, 1, true)
      end)
      -- a coroutine host: the second borrower waits until the first is done
      local waits = 0
      local p2 = newpool(d, url, { schema = schema, size = 1,
        wait = function() waits = waits + 1; coroutine.yield("waiting") end })
      local first = coroutine.create(function()
        return p2:with(function(db)
          coroutine.yield("holding")
          return count(db)
        end)
      end)
      local second = coroutine.create(function() return p2:with(count) end)
      assert.same({ true, "holding" }, { coroutine.resume(first) })
      assert.same({ true, "waiting" }, { coroutine.resume(second) })
      assert.same({ true, 0 }, { coroutine.resume(first) })
      assert.same({ true, 0 }, { coroutine.resume(second) })
      assert.equal(1, waits)
      assert.same({ open = 1, idle = 1, size = 1 }, p2:stats())
      p2:close()
    end)

    it("rolls back a transaction left open by an abandoned coroutine",
      function()
        pool = newpool(d, url, { schema = schema, size = 1 })
        local co
        pool:with(function(db)
          co = coroutine.create(function()
            db:transaction(function(tx)
              tx:insert(t):values({ id = 7, name = "lost" }):run()
              coroutine.yield()
            end)
          end)
          assert(coroutine.resume(co))
        end)
        co = nil -- luacheck: ignore 311
        collectgarbage()
        collectgarbage()
        assert.equal(0, pool:with(count))
        pool:with(function(db) db:insert(t):values({ id = 8 }):run() end)
        assert.equal(1, pool:with(count))
      end)

    if d.only("postgresql", "mysql", "a server connection can be killed " ..
      "from another one") then
      it("replaces a lost connection", function()
        pool = newpool(d, url, { schema = schema, size = 1 })
        local pid = pool:with(function(db)
          local q = d.name == "postgresql" and "select pg_backend_pid() as p"
            or "select connection_id() as p"
          return db:execute(q)[1].p
        end)
        local killer = d.connect(schema)
        if d.name == "postgresql" then
          killer:execute(sleet.sql("select pg_terminate_backend(?)", pid))
        else
          killer:execute(sleet.raw("kill " .. check.tointeger(pid)))
        end
        killer:close()
        -- fn may meet the dead connection once (kind connection) ...
        local ok, err = pcall(pool.with, pool, count)
        if not ok then check.sleet_error(err, "connection") end
        -- ... and the next borrow gets a new one
        assert.equal(0, pool:with(count))
      end)
    end

    local ctl = os.getenv("SLEET_TEST_PG_CTL")
    if d.only("postgresql", "the test run can restart PostgreSQL") and ctl then
      it("checks a connection idle past validateIdle, and survives a server " ..
        "restart", function()
        pool = newpool(d, url, { schema = schema, size = 2, validateIdle = 0 })
        assert.equal(0, pool:with(count))
        assert.is_true(check.execute(ctl .. " stop"))
        assert.is_true(check.execute(ctl .. " start"))
        -- the idle connection died with the server: fn gets a new one
        assert.equal(0, pool:with(count))
      end)
    end

    it("refuses bad options and borrows after close", function()
      check.raises_kind("usage", sleet.pool, url, { size = 0 })
      check.raises_kind("usage", sleet.pool, url, { wait = 5 })
      check.raises_kind("usage", sleet.pool, url, { nosuch = 1 })
      local p = newpool(d, url, { schema = schema })
      p:close()
      check.raises_kind("usage", p.with, p, count)
    end)
  end)
end
