-- The handlers of the nginx request specs (spec/nginx_spec.lua): each
-- worker opens its own connections in init_worker_by_lua (SQLite in a file
-- of the worker's user, PostgreSQL and MariaDB when the test run has them)
-- and answers JSON. Every route takes ?db=sqlite|postgresql|mysql.
local sleet = require "sleet"
local kit = require "sleet.kit"
local cjson = require "cjson.safe"

local M = {}

local modules = { sqlite = "sleet.sqlite", postgresql = "sleet.pg",
  mysql = "sleet.mysql" }
local urls, conns, items, byid = {}, {}, {}, {}
-- per worker, per database: a pool for handlers that yield inside a
-- transaction (ngx.sleep, cosockets), each borrowing a connection of its own
local pools = {}

local function schema(dialect)
  local m = require(modules[dialect])
  local id = dialect == "sqlite" and m.integer():primaryKey()
    or m.serial():primaryKey()
  local t = m.table("ngx_items", {
    id = id,
    name = (m.varchar and m.varchar({ length = 100 }) or m.text()):notNull(),
    n = m.integer(),
  })
  return { ngx_items = t }
end

-- (Re)connects this worker to the database of dialect name.
local function connect(name)
  local s = schema(name)
  conns[name] = sleet.connect(urls[name], { schema = s })
  items[name] = s.ngx_items
  byid[name] = nil -- prepared on the old connection
end

-- Connects this worker to every database of the run. busy_timeout: the
-- other worker may hold SQLite's write lock for a moment.
function M.init_worker(sqlite_path)
  local all = {
    sqlite = "sqlite:" .. sqlite_path .. "?busy_timeout=5000",
    postgresql = os.getenv("SLEET_TEST_PG_URL"),
    mysql = os.getenv("SLEET_TEST_MYSQL_URL"),
  }
  for name, url in pairs(all) do
    if url and url ~= "" then
      urls[name] = url
      connect(name)
      pools[name] = sleet.pool(url, { schema = schema(name), size = 4,
        wait = function() ngx.sleep(0.001) end })
    end
  end
end

local function reply(status, body)
  ngx.status = status
  ngx.say(cjson.encode(body))
  return ngx.exit(status)
end

-- A sleet error as JSON: what a client may be shown of it.
local function errorbody(e)
  if sleet.isError(e) then
    return { error = { kind = e.kind, message = e.message,
      sqlstate = e.sqlstate, constraint = e.constraint } }
  end
  return { error = { message = tostring(e) } }
end

-- The answer of a route that caught e: a lost connection goes on to
-- handle() (503, reconnect), anything else is answered as JSON.
local function caught(status, e)
  if sleet.isError(e, "connection") then error(e, 0) end
  return status, errorbody(e)
end

local routes = {}

function routes.health()
  local names = {}
  for name in pairs(conns) do names[#names + 1] = name end
  table.sort(names)
  return 200, { ok = true, pid = ngx.worker.pid(), dialects = names }
end

-- Re-creates the table (one worker does it; the other sees the change).
function routes.setup(db, t)
  db:execute(sleet.sql("drop table if exists ?", sleet.identifier("ngx_items")))
  kit.push(db, { ngx_items = t }, { force = true })
  return 200, { ok = true }
end

local function insert(q, t, name, n)
  if q.dialect == "mysql" then
    return q:insert(t):values({ name = name, n = n }):run().lastInsertId
  end
  return q:insert(t):values({ name = name, n = n })
    :returning({ id = t.id }):get().id
end

function routes.items(db, t, args)
  if ngx.req.get_method() == "POST" then
    return 201, { id = insert(db, t, args.name, tonumber(args.n)) }
  end
  return 200, db:select():from(t):orderBy(t.id):all()
end

-- A point select through a statement prepared once per worker.
function routes.item(db, t, args, dialect)
  local p = byid[dialect]
  if p == nil then
    p = db:select():from(t):where(sleet.eq(t.id, sleet.placeholder("id")))
      :prepare("item_by_id")
    byid[dialect] = p
  end
  local row = p:get({ id = tonumber(args.id) })
  if row == nil then return 404, { error = { message = "no such item" } } end
  return 200, row
end

-- Two inserts in a transaction; ?fail=1 raises inside it: nothing stays.
function routes.tx(db, t, args)
  local ok, err = pcall(db.transaction, db, function(tx)
    insert(tx, t, "tx-a", 1)
    insert(tx, t, "tx-b", 2)
    if args.fail then error("the handler changed its mind", 0) end
  end)
  if not ok then return caught(500, err) end
  return 200, { ok = true }
end

-- A transaction that yields (ngx.sleep) for ?ms milliseconds between its
-- two inserts, on a connection borrowed from the worker's pool: the
-- worker serves other requests meanwhile, on other connections.
function routes.slowtx(_, t, args, dialect)
  return 200, pools[dialect]:with(function(db)
    db:transaction(function(tx)
      insert(tx, t, "slow-a", 1)
      ngx.sleep((tonumber(args.ms) or 200) / 1000)
      insert(tx, t, "slow-b", 2)
    end)
    return { ok = true }
  end)
end

-- The row count through the pool.
function routes.poolcount(_, t, _, dialect)
  return 200, pools[dialect]:with(function(db)
    return { n = db:select({ n = sleet.count() }):from(t):get().n }
  end)
end

function routes.count(db, t)
  return 200, { n = db:select({ n = sleet.count() }):from(t):get().n }
end

-- {====================================================================
-- The wire drivers over cosockets (socket = "nginx"): a connection per
-- request, put back in the worker's keepalive pool at its end. The
-- PostgreSQL sessions name themselves (application_name) so that the specs
-- can count and end them in pg_stat_activity.

local WIRE_APP = "sleet_ngx_wire"

-- Runs fn(db, t) on a per-request connection with socket = "nginx" and
-- puts the connection back in the pool after it (closes it on error);
-- ?pool=N sizes the worker's keepalive pool (8).
local function wire(dialect, fn)
  local url = urls[dialect]
  if dialect == "postgresql" then
    url = url .. (url:find("?", 1, true) and "&" or "?") ..
      "application_name=" .. WIRE_APP
  end
  local s = schema(dialect)
  local db = sleet.connect(url, { schema = s, socket = "nginx" })
  local r = { pcall(fn, db, s.ngx_items) }
  if not r[1] then
    pcall(db.close, db)
    error(r[2], 0)
  end
  db:keepalive(60000, tonumber(ngx.var.arg_pool) or 8)
  return r[2], r[3]
end

-- A point select.
function routes.wire_point(_, _, _, dialect)
  return wire(dialect, function(db, t)
    return 200, { n = db:select({ n = sleet.count() }):from(t):get().n,
      pid = ngx.worker.pid() }
  end)
end

-- A server-side sleep of ?s seconds: the worker serves others meanwhile.
function routes.wire_sleep(_, _, args, dialect)
  local s = tonumber(args.s) or 1
  return wire(dialect, function(db)
    local sql = dialect == "postgresql" and "select pg_sleep(?) as slept"
      or "select sleep(?) as slept"
    db:execute(sleet.sql(sql, s))
    return 200, { ok = true, pid = ngx.worker.pid() }
  end)
end

-- A point select by id on a per-request connection (bench/nginx.sh).
function routes.wire_item(_, _, args, dialect)
  return wire(dialect, function(db, t)
    local row = db:select():from(t):where(sleet.eq(t.id, tonumber(args.id)))
      :get()
    if row == nil then return 404, { error = { message = "no such item" } } end
    return 200, row
  end)
end

-- A point select, or in 5% of requests a 100 ms server-side sleep, over
-- the worker's libpq connection (?via=libpq) or a per-request wire
-- connection (?via=wire): bench/nginx.sh's latency under slow requests.
function routes.mixed(db, t, args, dialect)
  local slow = math.random() < 0.05
  local function run(d, tt)
    -- both answers have the same length (ab counts others as failures)
    if slow then
      d:execute(dialect == "postgresql" and "select pg_sleep(0.1)"
        or "select sleep(0.1)")
      return 200, { ok = "slow" }
    end
    d:select():from(tt):where(sleet.eq(tt.id, 1)):get()
    return 200, { ok = "fast" }
  end
  if args.via == "wire" then return wire(dialect, run) end
  return run(db, t)
end

-- A transaction that yields (ngx.sleep) between its inserts.
function routes.wire_tx(_, _, args, dialect)
  return wire(dialect, function(db, t)
    db:transaction(function(tx)
      insert(tx, t, "wire-a", 1)
      ngx.sleep((tonumber(args.ms) or 200) / 1000)
      insert(tx, t, "wire-b", 2)
    end)
    return 200, { ok = true }
  end)
end

-- PostgreSQL: the sessions of the wire routes, on the worker's own
-- (libpq) connection.
function routes.wire_backends(db)
  local rows = db:execute(sleet.sql("select count(*) as n from " ..
    "pg_stat_activity where application_name = ?", WIRE_APP))
  return 200, { n = tonumber(rows[1].n) }
end

-- PostgreSQL: ends every session of the wire routes (those idle in the
-- workers' pools too).
function routes.wire_kill(db)
  local rows = db:execute(sleet.sql("select count(pg_terminate_backend(pid)) " ..
    "as n from pg_stat_activity where application_name = ?", WIRE_APP))
  return 200, { n = tonumber(rows[1].n) }
end

-- }====================================================================

-- A database error, caught and answered as JSON.
function routes.bad(db)
  local ok, err = pcall(db.execute, db,
    sleet.sql("select no_such_column from ngx_items"))
  if ok then return 200, { ok = true } end
  return caught(500, err)
end

-- A validation error, caught before any SQL is sent.
function routes.invalid(db, t)
  local ok, err = pcall(function()
    return db:insert(t):values({ name = "x", nope = 1 }):run()
  end)
  if ok then return 200, { ok = true } end
  return caught(400, err)
end

function M.handle()
  local route = routes[ngx.var.uri:match("^/([%w_]+)$") or ""]
  if route == nil then return reply(404, { error = { message = "no route" } }) end
  local args = ngx.req.get_uri_args()
  if route == routes.health then return reply(route()) end
  local dialect = args.db or "sqlite"
  if conns[dialect] == nil then
    return reply(400, { error = { message = "no database " .. dialect } })
  end
  -- a connection lost earlier (the server restarted) is closed: reconnect
  if conns[dialect]:isClosed() then
    local ok, err = pcall(connect, dialect)
    if not ok then return reply(503, errorbody(err)) end
  end
  local db = conns[dialect]
  -- an error a route does not answer itself: 500 with the error as JSON;
  -- a lost connection is 503 (the next request reconnects)
  local r = { pcall(route, db, items[dialect], args, dialect) }
  if not r[1] then
    if sleet.isError(r[2], "connection") then
      return reply(503, errorbody(r[2]))
    end
    ngx.log(ngx.ERR, "route ", ngx.var.uri, ": ", tostring(r[2]))
    return reply(500, errorbody(r[2]))
  end
  return reply(r[2], r[3])
end

-- /boom: an error nobody catches (location /boom runs it through
-- sleet.guard, so that error.log shows its message).
function M.boom()
  local args = ngx.req.get_uri_args()
  conns[args.db or "sqlite"]:execute(
    sleet.sql("select boom_column from ngx_items"))
end

return M
