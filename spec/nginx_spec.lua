-- Request specs in a real nginx (OpenResty's Lua module, LuaJIT): sleet
-- built for LuaJIT, connections opened per worker in init_worker_by_lua,
-- queries on SQLite, PostgreSQL and MariaDB from handlers, transactions,
-- prepared statements, errors answered as JSON or logged with their
-- message, and a burst of requests. scripts/test.sh starts the nginx
-- (scripts/nginx.sh) and names it in SLEET_TEST_NGINX_URL; without it the
-- specs are pending.
local core = require "sleet.core"
local dialects = require "spec.support.dialects"

local URL = os.getenv("SLEET_TEST_NGINX_URL")
local PREFIX = os.getenv("SLEET_TEST_NGINX_PREFIX")

local shq = require("spec.support.shell").shq

-- curl and ab run without the sanitizer runtime the asan phase preloads
-- into this process (curl deadlocks in setlocale under it).
local CLEAN = "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS "

-- method path → status, decoded JSON body (nil when not JSON), raw body.
-- A worker whose connection was lost (spec/pg_restart_spec.lua restarts
-- the server) answers 503 having done nothing, and reconnects at its next
-- request: the client tries again, as a client of such a server would.
local function request(method, path, once)
  local status, body, out
  for _ = 1, once and 1 or 6 do
    local p = assert(io.popen((CLEAN .. "curl -sS --max-time 30 -X %s " ..
      "-w '\\n%%{http_code}' %s 2>&1")
      :format(method, shq(URL .. path))))
    out = p:read("*a")
    p:close()
    body, status = out:match("^(.*)\n(%d+)$")
    assert(status, "curl: " .. out)
    if status ~= "503" then break end
  end
  local ok, json = pcall(core.json_decode, body)
  return tonumber(status), ok and json or nil, body
end

local function errorlog()
  local f = assert(io.open(PREFIX .. "/logs/error.log"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The nginx workers' resident memory in kB, by pid.
local function workers_rss()
  local f = assert(io.open(PREFIX .. "/nginx.pid"))
  local master = f:read("*l")
  f:close()
  local p = assert(io.popen("grep -l '^PPid:[[:space:]]*" .. master ..
    "$' /proc/[0-9]*/status 2>/dev/null"))
  local out = {}
  for file in p:lines() do
    local s = io.open(file)
    if s then
      local text = s:read("*a")
      s:close()
      local pid = file:match("/proc/(%d+)/")
      out[pid] = tonumber(text:match("VmRSS:%s*(%d+)"))
    end
  end
  p:close()
  return out
end

if not URL then
  describe("nginx", function()
    pending("no nginx: SLEET_TEST_NGINX_URL is unset (make test starts one)")
  end)
  return
end

describe("nginx with sleet", function()
  it("connects once per worker, in init_worker_by_lua", function()
    local status, body = request("GET", "/health")
    assert.equal(200, status)
    assert.is_true(body.ok)
    -- every database the run has is connected in the worker
    local want = {}
    for _, d in ipairs(dialects.live()) do want[#want + 1] = d.name end
    table.sort(want)
    assert.same(want, body.dialects)
  end)

  for _, d in ipairs(dialects.live()) do
    describe("on " .. d.name, function()
      local q = "?db=" .. d.name
      before_each(function()
        local status, _, raw = request("POST", "/setup" .. q)
        assert.equal(200, status, raw)
      end)

      it("inserts, selects and runs a prepared statement", function()
        local status, body = request("POST", "/items" .. q .. "&name=a&n=7")
        assert.equal(201, status)
        local id = body.id
        assert.equal(1, id)
        status, body = request("GET", "/items" .. q)
        assert.equal(200, status)
        assert.same({ { id = 1, name = "a", n = 7 } }, body)
        -- the prepared statement serves both workers, many times
        for _ = 1, 10 do
          status, body = request("GET", "/item" .. q .. "&id=" .. id)
          assert.equal(200, status)
          assert.same({ id = 1, name = "a", n = 7 }, body)
        end
        assert.equal(404, (request("GET", "/item" .. q .. "&id=99")))
      end)

      it("commits a transaction, and rolls back one that fails", function()
        assert.equal(200, (request("POST", "/tx" .. q)))
        local status, body = request("POST", "/tx" .. q .. "&fail=1")
        assert.equal(500, status)
        assert.equal("the handler changed its mind", body.error.message)
        status, body = request("GET", "/count" .. q)
        assert.equal(200, status)
        assert.equal(2, body.n)
      end)

      it("a transaction that yields holds a pooled connection of its own: " ..
        "the worker's other requests go on", function()
        -- the slow transaction in the background, then requests meanwhile
        local slow = assert(io.popen((CLEAN .. "curl -sS --max-time 30 " ..
          "-X POST %s"):format(shq(URL .. "/slowtx" .. q .. "&ms=400"))))
        os.execute("sleep 0.1")
        -- requests on the worker's shared connection and on the pool
        local p = assert(io.popen((CLEAN .. "sh -c 'for u in %s %s %s %s " ..
          "%s %s %s %s; do curl -sS --max-time 30 -o /dev/null " ..
          "-w \"%%{http_code} \" $u & done; wait'"):format(
          URL .. "/count" .. q, URL .. "/poolcount" .. q,
          URL .. "/count" .. q, URL .. "/poolcount" .. q,
          URL .. "/count" .. q, URL .. "/poolcount" .. q,
          URL .. "/count" .. q, URL .. "/poolcount" .. q)))
        local codes = p:read("*a")
        p:close()
        local out = slow:read("*a")
        slow:close()
        assert.equal("200 200 200 200 200 200 200 200 ", codes)
        assert.equal('{"ok":true}', out:match("^%s*(.-)%s*$"))
        local status, body = request("GET", "/count" .. q)
        assert.equal(200, status)
        assert.equal(2, body.n)
      end)

      it("answers database and validation errors as JSON", function()
        local status, body = request("GET", "/bad" .. q)
        assert.equal(500, status)
        assert.equal("database", body.error.kind)
        assert.matches("no_such_column", body.error.message)
        status, body = request("GET", "/invalid" .. q)
        assert.equal(400, status)
        assert.equal("validation", body.error.kind)
        assert.matches('unknown column "nope"', body.error.message, 1, true)
      end)

      it("an uncaught error run through sleet.guard is logged with its " ..
        "message", function()
        local before = #errorlog()
        assert.equal(500, (request("GET", "/boom" .. q)))
        local log = errorlog():sub(before + 1)
        assert.matches("runtime error: database: [^\n]*boom_column", log)
        assert.not_matches("unknown reason", log)
      end)
    end)
  end

  -- The wire drivers (socket = "nginx"): a query waits on a cosocket,
  -- so the worker serves other requests meanwhile.
  for _, d in ipairs(dialects.live()) do
    if d.name ~= "sqlite" and not dialects.has_wire(d.name) then
      pending("no wire driver for " .. d.name)
    elseif d.name ~= "sqlite" then
      describe("over cosockets on " .. d.name, function()
        local q = "?db=" .. d.name
        before_each(function()
          assert.equal(200, (request("POST", "/setup" .. q)))
        end)

        it("a 1 s server-side sleep does not hold up 50 fast requests, on " ..
          "the same worker too", function()
          local slow = assert(io.popen((CLEAN .. "curl -sS --max-time 30 %s")
            :format(shq(URL .. "/wire_sleep" .. q .. "&s=1"))))
          os.execute("sleep 0.1")
          local p = assert(io.popen((CLEAN .. "sh -c 'for i in $(seq 50); " ..
            "do curl -sS --max-time 30 -w \" %%{time_total}\\n\" %s; " ..
            "done'"):format(shq(URL .. "/wire_point" .. q))))
          local out = p:read("*a")
          p:close()
          local slowbody = slow:read("*a")
          slow:close()
          local slowpid = slowbody:match('"pid":(%d+)')
          assert.is_string(slowpid, slowbody)
          local n, same, worst = 0, 0, 0
          for body, t in out:gmatch("(%b{})%s+([%d.]+)\n") do
            n = n + 1
            worst = math.max(worst, tonumber(t))
            if body:match('"pid":(%d+)') == slowpid then same = same + 1 end
          end
          assert.equal(50, n, out)
          -- a request held by the sleeping worker would wait for the rest
          -- of the sleep (0.9 s); half of that leaves room for a loaded
          -- machine
          assert.is_true(worst < 0.45, ("a fast request took %.3f s")
            :format(worst))
          assert.is_true(same > 0, "no fast request reached the sleeping worker")
        end)

        it("a transaction that yields does not disturb other requests", function()
          -- the transaction stays open 3 s; requests answered within 2.5 s
          -- of its start must not see its rows (a slow spec run, under
          -- valgrind, makes fewer of them)
          local clock = require("socket").gettime
          local t0 = clock()
          local slow = assert(io.popen((CLEAN .. "curl -sS --max-time 30 -X POST %s")
            :format(shq(URL .. "/wire_tx" .. q .. "&ms=3000"))))
          os.execute("sleep 0.1")
          local inside = 0
          for _ = 1, 10 do
            local status, body = request("GET", "/wire_point" .. q)
            assert.equal(200, status)
            if clock() - t0 < 2.5 then
              inside = inside + 1
              assert.equal(0, body.n) -- the open transaction is not visible
            end
          end
          assert.is_true(inside >= 3, "requests during the transaction: " .. inside)
          assert.matches('"ok":true', slow:read("*a"))
          slow:close()
          local _, body = request("GET", "/wire_point" .. q)
          assert.equal(2, body.n)
        end)

        if d.name == "postgresql" then
          it("reuses pooled connections: 2000 requests keep the backends " ..
            "at the pools' size", function()
            local p = assert(io.popen((CLEAN .. "ab -q -k -n 2000 -c 20 %s 2>&1")
              :format(shq(URL .. "/wire_point" .. q))))
            local out = p:read("*a")
            p:close()
            assert.matches("Complete requests:%s+2000", out)
            assert.matches("Failed requests:%s+0\n", out)
            assert.not_matches("Non%-2xx responses", out)
            local _, body = request("GET", "/wire_backends" .. q)
            -- two workers, a pool of 8 each
            assert.is_true(body.n >= 1 and body.n <= 16, "backends: " .. body.n)
          end)

          it("pooled sessions the server ended: the next requests succeed", function()
            for _ = 1, 4 do assert.equal(200, (request("GET", "/wire_point" .. q))) end
            local _, body = request("POST", "/wire_kill" .. q)
            assert.is_true(body.n >= 1)
            for _ = 1, 20 do
              local status, b, raw = request("GET", "/wire_point" .. q, true)
              assert.equal(200, status, raw)
              assert.equal(0, b.n)
            end
          end)
        end
      end)
    end
  end

  it("serves a burst of 2000 requests at concurrency 20: no failure, no " ..
    "error-log line, flat worker memory", function()
    assert.equal(200, (request("POST", "/setup?db=sqlite")))
    assert.equal(201, (request("POST", "/items?db=sqlite&name=b&n=1")))
    local url = URL .. "/item?db=sqlite&id=1"
    local function burst(n)
      local p = assert(io.popen((CLEAN .. "ab -q -k -n %d -c 20 %s 2>&1")
        :format(n, shq(url))))
      local out = p:read("*a")
      p:close()
      return out
    end
    burst(1000) -- warm up: JIT traces, statement caches, allocator pools
    local rss0 = workers_rss()
    local logsize = #errorlog()
    local out = burst(2000)
    assert.matches("Complete requests:%s+2000", out)
    assert.matches("Failed requests:%s+0\n", out)
    assert.not_matches("Non%-2xx responses", out)
    assert.equal("", errorlog():sub(logsize + 1))
    local rss1 = workers_rss()
    for pid, kb in pairs(rss0) do
      assert.is_number(rss1[pid], "worker " .. pid .. " went away")
      assert.is_true(rss1[pid] - kb < 2048, ("worker %s grew from %d to %d " ..
        "kB"):format(pid, kb, rss1[pid]))
    end
  end)
end)
