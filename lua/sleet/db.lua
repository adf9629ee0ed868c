-- The Database object: connecting, executing builders, raw SQL,
-- transactions (nested through savepoints), batches and the query logger.
local core = require "sleet.core"
local casing = require "sleet.casing"
local column = require "sleet.column"
local expr = require "sleet.expr"
local query = require "sleet.query"
local relations = require "sleet.relations"
local util = require "sleet.util"

local M = {}

local kind = util.kind

-- {====================================================================
-- Connection targets
-- =====================================================================

local function pdecode(s)
  if s == nil then return nil end
  return (s:gsub("%%(%x%x)", function(h)
    return string.char(tonumber(h, 16))
  end))
end

local schemes = {
  sqlite = "sqlite", sqlite3 = "sqlite", file = "sqlite",
  postgres = "postgresql", postgresql = "postgresql", pg = "postgresql",
  mysql = "mysql", mariadb = "mysql",
}

local function parsequery(q, out)
  for pair in q:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=(.*)$")
    if not k then k, v = pair, "" end
    out[pdecode(k)] = pdecode(v)
  end
  return out
end

-- Parses a server URL (postgres://user:pw@host:5432/db?k=v) into driver
-- options { host, port, user, password, database, socket, params }.
local function parseserver(url, rest)
  local authority, path, q = rest:match("^//([^/?#]*)([^?#]*)%??([^#]*)")
  if not authority then
    util.usage(("connect: malformed URL %q"):format(url))
  end
  local opts = { params = {} }
  local userinfo, hostport = authority:match("^(.*)@(.-)$")
  if not userinfo then hostport = authority end
  if userinfo then
    local user, pw = userinfo:match("^([^:]*):(.*)$")
    if user then
      opts.user, opts.password = pdecode(user), pdecode(pw)
    else
      opts.user = pdecode(userinfo)
    end
  end
  local host, port = hostport:match("^%[(.-)%]:?(%d*)$") -- [ipv6]:port
  if not host then host, port = hostport:match("^([^:]*):?(%d*)$") end
  if not host then
    util.usage(("connect: malformed host in URL %q"):format(url))
  end
  if host ~= "" then opts.host = pdecode(host) end
  if port and port ~= "" then opts.port = tonumber(port) end
  local db = path:gsub("^/", "")
  if db ~= "" then opts.database = pdecode(db) end
  parsequery(q or "", opts.params)
  -- a socket directory or path given as a query parameter
  local p = opts.params
  if p.host and p.host:sub(1, 1) == "/" then
    opts.socket = p.host
    p.host = nil
  end
  if p.socket then
    opts.socket = p.socket
    p.socket = nil
  end
  for _, k in ipairs({ "user", "password", "database", "port" }) do
    if opts[k] == nil and p[k] ~= nil then
      opts[k] = k == "port" and tonumber(p[k]) or p[k]
      p[k] = nil
    end
  end
  if next(p) == nil then opts.params = nil end
  return opts
end

local function parseurl(url)
  if url == ":memory:" then return "sqlite", { path = ":memory:" } end
  local scheme, rest = url:match("^([%a][%w+.-]*):(.*)$")
  local driver = scheme and schemes[scheme:lower()]
  if not driver then
    util.usage(("connect: unknown URL scheme in %q (expected sqlite:, " ..
      "postgres:// or mysql://)"):format(url))
  end
  if driver == "sqlite" then
    local path, q = rest:match("^([^?]*)%??(.*)$")
    if path:sub(1, 2) == "//" then path = path:sub(3) end
    if path == "" then path = ":memory:" end
    return "sqlite", { path = path, params = q ~= "" and parsequery(q, {}) or nil }
  end
  return driver, parseserver(url, rest)
end

-- The driver name and options of a connection target: a URL string or a
-- table { dialect = ..., path | host, port, user, password, database,
-- socket, params } (or { url = ... }).
function M.parse(target)
  if type(target) == "string" then return parseurl(target) end
  if type(target) ~= "table" then
    util.usage("connect: expected a URL string or an options table")
  end
  local driver, opts
  if target.url then
    driver, opts = parseurl(target.url)
  else
    driver = query.dialect(target.dialect or target.driver)
    opts = {}
  end
  for _, k in ipairs({ "path", "host", "port", "user", "password",
    "database", "socket" }) do
    if target[k] ~= nil then opts[k] = target[k] end
  end
  if target.params ~= nil then
    opts.params = opts.params or {}
    for k, v in pairs(target.params) do opts.params[k] = tostring(v) end
  end
  if opts.port ~= nil then
    local n = tonumber(opts.port)
    if not util.isinteger(n) then
      util.usage("connect: port must be an integer")
    end
    opts.port = n
  end
  if driver == "sqlite" and opts.path == nil then
    opts.path = target.filename or ":memory:"
  end
  return driver, opts
end

-- }====================================================================

-- {====================================================================
-- Logging
-- =====================================================================

local function jsonstring(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    if c == "\n" then return "\\n" end
    if c == "\t" then return "\\t" end
    if c == "\r" then return "\\r" end
    return ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function jsonvalue(v)
  if v == nil or v == core.null then return "null" end
  local t = type(v)
  if t == "string" then return jsonstring(v) end
  if t == "boolean" then return tostring(v) end
  if util.isinteger(v) then return ("%d"):format(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    -- the C core's number format, not string.format's: the same whatever
    -- the host's locale
    return core.json_encode(v)
  end
  local ok, s = pcall(core.json_encode, v)
  if ok and type(s) == "string" then return s end
  return jsonstring(tostring(v))
end

-- Parameter values as sent, with placeholder slots filled from phvalues.
local function loggedparams(c, phvalues)
  local params = c:params()
  for i, p in ipairs(params) do
    if type(p) == "table" and p.placeholder ~= nil and phvalues then
      local v = phvalues[p.placeholder]
      params[i] = v == nil and core.null or v
    end
  end
  return params
end

local function defaultlogger(sql, params)
  local parts = {}
  for i, p in ipairs(params) do parts[i] = jsonvalue(p) end
  local suffix = #parts > 0 and (" -- params: [" .. table.concat(parts, ",")
    .. "]") or ""
  io.stderr:write("Query: ", sql, suffix, "\n")
end

-- The logger function of a connect option: true, a function(sql, params)
-- or an object with :logQuery(sql, params) (Drizzle's Logger).
local function makelogger(opt)
  if opt == nil or opt == false then return nil end
  if opt == true then return defaultlogger end
  if type(opt) == "function" then return opt end
  if type(opt) == "table" and type(opt.logQuery) == "function" then
    return function(sql, params) return opt:logQuery(sql, params) end
  end
  util.usage("connect: logger must be true, a function or { logQuery = fn }")
end

-- }====================================================================

-- {====================================================================
-- Sessions: the database and its transactions
-- =====================================================================

local Session = {}
query.mixin(Session)

local Database = { __name = "sleet.Database", __index = Session }
local Transaction = { __name = "sleet.Transaction", __index = Session }

-- {====================================================================
-- Abandoned transactions: a coroutine suspended inside db:transaction
-- that is closed (coroutine.close) or collected never returns to finish
-- its transaction. Each open transaction keeps a frame in st.frames (by
-- level) with its coroutine held weakly; the transaction is rolled back
-- when the coroutine is closed (a to-be-closed guard, Lua 5.4) or, on any
-- Lua, when the next statement finds the coroutine dead or collected.
-- =====================================================================

-- Rolls back the transaction of frame f and every transaction nested in
-- it; their objects are finished and the session below f is the innermost
-- again.
local function abandon(conn, st, f)
  for l = st.depth, f.level, -1 do
    local g = st.frames[l]
    if g then
      g.tx._finished = true
      g.tx._abandoned = true
      st.frames[l] = nil
    end
  end
  if f.sp then
    pcall(conn.rollback_to, conn, f.sp)
    pcall(conn.release, conn, f.sp)
  else
    pcall(conn.rollback, conn)
  end
  st.depth = f.level - 1
  local below = st.frames[st.depth]
  pcall(conn.setsession, conn, below and below.tx._sid or 0)
end

-- A frame whose coroutine can never resume: dead, or collected.
local function isabandoned(f)
  if not f.incoroutine then return false end
  local co = f.co[1]
  return co == nil or coroutine.status(co) == "dead"
end

-- Rolls back the outermost abandoned transaction, with every transaction
-- nested in it (those can no longer commit).
local function recover(conn, st)
  for l = 1, st.depth do
    local f = st.frames[l]
    if f and isabandoned(f) then return abandon(conn, st, f) end
  end
end

local weakvalues = { __mode = "v" }

-- The coroutine running the caller, or nil on the main thread.
local function currentcoroutine()
  local co, ismain = coroutine.running()
  if co == nil or ismain then return nil end
  return co
end

-- runs(guard, fn, tx) -> table.pack(pcall(fn, tx)). On Lua 5.4 guard is a
-- to-be-closed variable of the call, so closing a coroutine suspended in
-- fn closes it without guard.returned set; elsewhere a plain pcall (the
-- next statement recovers, see recover).
local runs
if _VERSION == "Lua 5.4" then
  runs = assert(load([[
    local guard, fn, tx = ...
    local g <close> = guard
    local r = table.pack(pcall(fn, tx))
    guard.returned = true
    return r
  ]], "=sleet.transaction"))
else
  runs = function(_, fn, tx) return util.pack(pcall(fn, tx)) end
end

local Guard = {}
Guard.__index = Guard
function Guard.__close(g)
  if g.returned then return end
  local st = g.st
  if st.frames[g.frame.level] == g.frame then abandon(g.conn, st, g.frame) end
end

-- }====================================================================

-- Every statement runs on the innermost open session of its connection:
-- the database when no transaction is open, else the newest transaction.
-- Anything else would look like it runs outside the transaction while it
-- runs inside it, on the same connection. Abandoned transactions are
-- rolled back first (recover).
function Session:_checkopen()
  if self._finished then
    util.usage("this transaction has already finished; statements of a " ..
      "transaction run inside its function only")
  end
  if self._conn:isclosed() then
    -- kind connection when the driver lost it, usage when closed
    self._conn:checkopen()
  end
  local depth = self._st.depth
  if self._level ~= depth and depth > self._level then
    recover(self._conn, self._st)
    depth = self._st.depth
  end
  if self._level ~= depth then
    if self._level == 0 then
      util.usage("the database is inside db:transaction(): run statements " ..
        "on the transaction object passed to the function, not on db")
    end
    util.usage("a nested transaction is open: run statements on the " ..
      "nested transaction object until it ends")
  end
end

local function applydecoders(r, mode, decoders)
  local function row1(row)
    for _, d in ipairs(decoders) do
      local target = row
      if d.group then target = row[d.group] end
      if target ~= nil and target[d.key] ~= nil then
        target[d.key] = d.fn(target[d.key])
      end
    end
    return row
  end
  if mode == "all" then
    for _, row in ipairs(r) do row1(row) end
  elseif mode == "get" then
    if r ~= nil then row1(r) end
  elseif mode == "values" then
    for _, row in ipairs(r) do
      for _, d in ipairs(decoders) do
        local v = row[d.index]
        if v ~= nil and v ~= core.null then row[d.index] = d.fn(v) end
      end
    end
  elseif mode == "iter" then
    local nextrow = r
    return function()
      local row = nextrow()
      if row ~= nil then row1(row) end
      return row
    end
  end
  return r
end

-- Runs compiled statement c in mode ("all", "get", "values", "run",
-- "iter") with placeholder values phvalues; info.decoders are the mapWith
-- functions of its fields. handle is the native prepared statement of a
-- prepared query (nil: the connection's statement cache serves).
function Session:_run(c, mode, phvalues, info, handle)
  self:_checkopen()
  if self._logger then
    self._logger(c:sql(), loggedparams(c, phvalues))
  end
  local decoders = info and info.decoders
  if mode ~= "iter" then
    -- one result: no packing
    local r
    if handle then
      r = handle:exec(mode, phvalues)
    else
      r = self._conn:exec(c, mode, phvalues)
    end
    if decoders and mode ~= "run" then
      return applydecoders(r, mode, decoders)
    end
    return r
  end
  local r
  if handle then
    r = util.pack(handle:exec(mode, phvalues))
  else
    r = util.pack(self._conn:exec(c, mode, phvalues))
  end
  if decoders then
    -- iter also returns nil, nil, cursor (the generic for's closing value)
    r[1] = applydecoders(r[1], mode, decoders)
  end
  return util.unpack(r, 1, r.n)
end

-- The native statement of a prepared query, made on this session's
-- connection (see query.lua's prepare). Without a logger or decoders its
-- runners skip _run while this session is the innermost open one (the
-- connection knows it by number: setsession), which is what _checkopen
-- checks.
function Session:_prepare(c, info)
  self:_checkopen()
  local fast = not self._logger and not (info and info.decoders)
  return self._conn:prepare(c, self._sid, fast)
end

local function tosql(q, ...)
  if type(q) == "string" then
    if select("#", ...) > 0 then return expr.sql(q, ...) end
    return expr.raw(q)
  end
  if kind(q) ~= "expr" then
    util.usage("execute: expected a sql object, a SQL string or a query")
  end
  return q
end

local function rawrun(self, mode, q, ...)
  if query.isquery(q) then
    if mode == "execute" then return q:execute() end
    return q[mode](q)
  end
  local e = tosql(q, ...)
  if e.mapped then
    -- a whole statement has no one field the mapping could apply to
    util.usage(("%s: mapWith applies to a selected field, not to a whole " ..
      "statement: select it as a field (db:select({ x = sql(...):" ..
      "mapWith(fn) })) or map the rows"):format(mode))
  end
  local c = core.compile(self.ctx.dialect, e.build(self.ctx))
  return self:_run(c, mode == "execute" and "all" or mode, nil, nil)
end

-- db:execute(sql | "text" [, args...] | query): runs raw SQL; rows are keyed
-- by the database's column names.
function Session:execute(q, ...) return rawrun(self, "execute", q, ...) end

-- db:refreshMaterializedView(v)[:concurrently() | :withNoData()]:run()
function Session:refreshMaterializedView(v)
  return require("sleet.views").refresh(self, v)
end
function Session:all(q, ...) return rawrun(self, "all", q, ...) end
function Session:get(q, ...) return rawrun(self, "get", q, ...) end
function Session:values(q, ...) return rawrun(self, "values", q, ...) end
function Session:run(q, ...) return rawrun(self, "run", q, ...) end

local levels = {
  ["read uncommitted"] = true, ["read committed"] = true,
  ["repeatable read"] = true, serializable = true,
}
local accessmodes = { ["read only"] = true, ["read write"] = true }
local behaviors = { deferred = true, immediate = true, exclusive = true }
local txkeys = {
  sqlite = { behavior = true },
  postgresql = { isolationLevel = true, accessMode = true, deferrable = true },
  mysql = { isolationLevel = true, accessMode = true,
    withConsistentSnapshot = true },
}

local function txoption(dialect, k)
  local names = {}
  for name in pairs(txkeys[dialect]) do names[#names + 1] = name end
  table.sort(names)
  local others = {}
  for d, keys in pairs(txkeys) do
    if d ~= dialect and keys[k] then others[#others + 1] = d end
  end
  table.sort(others)
  if #others > 0 then
    util.usage(("transaction: %s is an option of %s, not %s (%s takes %s)")
      :format(tostring(k), table.concat(others, " and "), dialect, dialect,
        table.concat(names, ", ")))
  end
  util.usage(("transaction: unknown option %s (%s takes %s)"):format(
    tostring(k), dialect, table.concat(names, ", ")))
end

-- The text after BEGIN for validated transaction options (nil: default).
-- Options are Drizzle's for the connection's dialect; any other name, that
-- of another dialect included, is a mistake.
local function txmode(dialect, opts)
  if opts == nil then return nil end
  if type(opts) ~= "table" then
    util.usage("transaction: options must be a table")
  end
  for k in pairs(opts) do
    if not txkeys[dialect][k] then txoption(dialect, k) end
  end
  if dialect == "sqlite" then
    if opts.behavior == nil then return nil end
    if not behaviors[opts.behavior] then
      util.usage("transaction: behavior must be deferred, immediate or " ..
        "exclusive")
    end
    return opts.behavior
  end
  local parts = {}
  if opts.isolationLevel ~= nil then
    if not levels[opts.isolationLevel] then
      util.usage("transaction: isolationLevel must be read uncommitted, " ..
        "read committed, repeatable read or serializable")
    end
    parts[#parts + 1] = "isolation level " .. opts.isolationLevel
  end
  if opts.accessMode ~= nil then
    if not accessmodes[opts.accessMode] then
      util.usage("transaction: accessMode must be read only or read write")
    end
    parts[#parts + 1] = opts.accessMode
  end
  if opts.deferrable ~= nil then
    if type(opts.deferrable) ~= "boolean" then
      util.usage("transaction: deferrable must be a boolean")
    end
    parts[#parts + 1] = opts.deferrable and "deferrable" or "not deferrable"
  end
  if opts.withConsistentSnapshot ~= nil then
    if type(opts.withConsistentSnapshot) ~= "boolean" then
      util.usage("transaction: withConsistentSnapshot must be a boolean")
    end
    if opts.withConsistentSnapshot then
      parts[#parts + 1] = "with consistent snapshot"
    end
  end
  if #parts == 0 then return nil end
  return table.concat(parts, ", ")
end

-- db:transaction(fn, opts): runs fn(tx) in a transaction (a savepoint when
-- one is already open) and returns fn's values; an error rolls back and is
-- raised again unchanged.
function Session:transaction(fn, opts)
  if type(fn) ~= "function" then
    util.usage("transaction: expected a function(tx)")
  end
  self:_checkopen()
  local conn, st = self._conn, self._st
  -- the transaction object first: nothing below can fail once the
  -- transaction is open on the server but the statements of fn
  local tx = setmetatable({
    _conn = conn, _st = st, ctx = self.ctx, _logger = self._logger,
    _fastrun = self._fastrun,
    dialect = self.dialect, schema = self.schema, relations = self.relations,
    _intx = true, _level = st.depth + 1, _sid = st.sessions + 1,
  }, Transaction)
  if self.query then tx.query = relations.api(tx, self.relations) end
  local sp
  if st.depth == 0 then
    conn:begin(txmode(self.dialect, opts))
  else
    if opts ~= nil then txmode(self.dialect, opts) end
    -- unique per connection, so that no two savepoints ever share a name
    st.savepoints = st.savepoints + 1
    sp = "sleet_sp" .. st.savepoints
    conn:savepoint(sp)
  end
  st.depth, st.sessions = tx._level, tx._sid
  conn:setsession(tx._sid)
  local co = currentcoroutine()
  local frame = { tx = tx, level = tx._level, sp = sp,
    incoroutine = co ~= nil, co = setmetatable({ co }, weakvalues) }
  st.frames[frame.level] = frame
  local r = runs(setmetatable({ conn = conn, st = st, frame = frame }, Guard),
    fn, tx)
  if tx._abandoned then
    -- rolled back meanwhile: an enclosing transaction's coroutine was
    -- abandoned while this one was open
    if r[1] then
      core.error({ kind = "rollback", message = "this transaction was " ..
        "rolled back: the coroutine of an enclosing transaction was " ..
        "closed or collected while it was open" })
    end
    error(r[2], 0)
  end
  st.frames[frame.level] = nil
  tx._finished = true
  st.depth = st.depth - 1
  -- this session is the innermost again, unless the nesting was broken (a
  -- transaction that ended in a coroutine while one it opened was still
  -- open): then no session runs without _checkopen until the next
  -- transaction of this connection ends in order
  conn:setsession(st.depth == self._level and self._sid or -1)
  if r[1] then
    local ok, err
    if sp then
      ok, err = pcall(conn.release, conn, sp)
      if not ok then pcall(conn.rollback_to, conn, sp) end
    else
      ok, err = pcall(conn.commit, conn)
      if not ok then pcall(conn.rollback, conn) end
    end
    if not ok then error(err, 0) end
    return util.unpack(r, 2, r.n)
  end
  if sp then
    pcall(conn.rollback_to, conn, sp)
    pcall(conn.release, conn, sp)
  else
    pcall(conn.rollback, conn)
  end
  error(r[2], 0)
end

-- tx:rollback(): aborts the transaction; the enclosing db:transaction
-- raises a rollback error.
function Session:rollback()
  if not self._intx then
    util.usage("rollback: only a transaction can be rolled back")
  end
  if self._finished then
    util.usage("rollback: this transaction has already finished")
  end
  core.error({ kind = "rollback", message = "Rollback" })
end

-- db:batch({ q1, q2, ... }): runs the queries in order, all or nothing
-- (PostgreSQL: one round trip through libpq's pipeline mode; SQLite and
-- MySQL: one transaction, or a savepoint inside tx:batch). Returns their
-- results in order: rows for queries returning rows (raw SQL included),
-- the run result ({ rowsAffected, lastInsertId }) for other writes. A
-- failure raises the failing statement's error, its message prefixed with
-- "batch statement <i> failed: ", with `index` = i and `sql` set.
function Session:batch(list)
  if type(list) ~= "table" or kind(list) ~= nil then
    util.usage("batch: expected a list of queries")
  end
  local items, infos = {}, {}
  for i = 1, #list do
    local q = list[i]
    local k = kind(q)
    if k == "query" then
      local c, info = query.compile(q)
      items[i] = { c, q:_returnsrows() and "all" or "run" }
      infos[i] = info
    elseif k == "expr" then
      items[i] = { core.compile(self.ctx.dialect, q.build(self.ctx)), "all" }
    else
      util.usage(("batch: item %d is not a query"):format(i))
    end
  end
  self:_checkopen()
  if self._logger then
    for _, it in ipairs(items) do
      self._logger(it[1]:sql(), loggedparams(it[1], nil))
    end
  end
  local results = self._conn:batch(items)
  for i, info in pairs(infos) do
    if info.decoders and items[i][2] ~= "run" then
      results[i] = applydecoders(results[i], items[i][2], info.decoders)
    end
  end
  return results
end

-- db:stats() -> { prepared, reused, cacheHits, cached, cacheSize }: native
-- statements created on the connection, runs that reused one (prepared
-- queries and the statement cache), of those the cache's, the statements
-- the cache holds and its capacity (connect option statementCache).
function Session:stats()
  return self._conn:stats()
end

-- Compiles a node tree for this database (used by sleet.kit).
function Session:_compile(node)
  return core.compile(self.ctx.dialect, node)
end

-- The underlying sleet.core connection.
function Session:_connection() return self._conn end

function Session:close()
  if self._intx then
    util.usage("close: close the database, not a transaction")
  end
  self._conn:close()
end

function Session:isClosed() return self._conn:isclosed() end

-- db:keepalive(timeout, size): with socket = "nginx", resets the session
-- (rolls back, drops server-side statements) and puts the socket back in
-- the worker's pool (setkeepalive) for a later sleet.connect to the same
-- server, user and database; the database is then closed. Other transports
-- and drivers just close.
function Session:keepalive(timeout, size)
  if self._intx then
    util.usage("keepalive: call it on the database, not a transaction")
  end
  if self._st.depth > 0 then
    util.usage("keepalive: a transaction is still open")
  end
  local conn = self._conn
  if conn.keepalive then return conn:keepalive(timeout, size) end
  conn:close()
  return true
end

-- __close only: a collected database leaves its connection to the
-- connection's own __gc, which waits for open cursors to be collected too.
function Database.__close(db)
  local conn = rawget(db, "_conn")
  if conn then conn:close() end
end

function Database.__tostring(db)
  return ("sleet.Database (%s)"):format(db.dialect)
end

-- sleet.connect(target, { schema, logger, casing, relations,
-- statementCache }). statementCache: how many native statements of
-- unprepared queries the connection keeps for reuse, by SQL text (default
-- 64, 0 disables).
local connectoptions = { schema = true, relations = true, logger = true,
  casing = true, statementCache = true, socket = true, connectTimeout = true,
  timeout = true }

-- The wire driver speaking a server dialect over a host socket.
local wiredrivers = { postgresql = "pgwire", mysql = "mywire" }
M._wiredrivers = wiredrivers -- the specs add a test driver

-- The dialect of every table of a schema table must be the database's:
-- a PostgreSQL schema pushed to SQLite would create types SQLite reads
-- differently (serial) and fail later, far from the cause.
local function checkschema(schema, dialect)
  if schema == nil then return end
  if type(schema) ~= "table" then
    util.usage("connect: schema must be a table { name = table, ... }")
  end
  for key, t in pairs(schema) do
    -- a module's exports: tables and enums count, functions, pg schemas
    -- and relations are passed over; anything else is a mistake
    local k = kind(t)
    if k == nil and type(t) ~= "function" and not (type(t) == "table" and
      (t.schemaName ~= nil or relations.isrelations(t))) then
      util.usage(("connect: schema entry %s is a %s, not a table (schema = " ..
        "{ name = table, ... })"):format(tostring(key), type(t)))
    end
    local d = k == "table" and column.def(t)
    if d and d.dialect and d.dialect ~= dialect then
      util.usage(("connect: schema table %s is a %s table, the database is "
        .. "%s (build it with sleet.%s)"):format(tostring(key), d.dialect,
        dialect, ({ postgresql = "pg", mysql = "mysql", sqlite = "sqlite" })
        [dialect]))
    end
  end
end

-- db.select() instead of db:select(): every public method of a database
-- or transaction first checks that it was given one.
do
  local function colon(name, self)
    util.usage(("call %s with a colon: db:%s(...), not db.%s(...) (got %s " ..
      "for the database)"):format(name, name, name, kind(self) or type(self)))
  end
  for name, f in pairs(Session) do
    if type(f) == "function" and name:sub(1, 1) ~= "_" then
      Session[name] = function(self, ...)
        local mt = getmetatable(self)
        if mt ~= Database and mt ~= Transaction then colon(name, self) end
        return f(self, ...)
      end
    end
  end
end

function M.connect(target, opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    util.usage("connect: options must be a table")
  end
  for k in pairs(opts) do
    if not connectoptions[k] and k ~= "_proxy" then
      util.usage(("connect: unknown option %s (options: casing, " ..
        "connectTimeout, logger, relations, schema, socket, statementCache, "
        .. "timeout)"):format(tostring(k)))
    end
  end
  local cas = casing.resolve(opts.casing, util.usage)
  local logger = makelogger(opts.logger)
  local driver, copts
  if opts._proxy then
    driver, copts = opts._proxy[1], {}
  else
    driver, copts = M.parse(target)
  end
  local rels = opts.relations
  if rels ~= nil and not relations.isrelations(rels) then
    util.usage("connect: relations must come from sleet.defineRelations")
  end
  local sc = opts.statementCache
  if sc ~= nil then
    if not util.isinteger(sc) or sc < 0 then
      util.usage("connect: statementCache must be a number of statements " ..
        "(0 disables the cache)")
    end
    copts.statementCache = sc
  end
  local dialect = ({ sqlite = "sqlite", postgresql = "postgresql",
    mysql = "mysql" })[driver]
  checkschema(opts.schema or (rels and rels.schema), dialect)
  for _, k in ipairs({ "connectTimeout", "timeout" }) do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or v < 0) then
      util.usage(("connect: %s must be a number of milliseconds"):format(k))
    end
  end
  local conn
  if opts._proxy ~= nil then
    conn = require("sleet.wire").proxy(opts._proxy[1], opts._proxy[2])
  elseif opts.socket ~= nil then
    if wiredrivers[driver] == nil then
      util.usage(("connect: socket is for PostgreSQL and MySQL servers, " ..
        "not %s"):format(driver))
    end
    conn = require("sleet.wire").connect(wiredrivers[driver], copts,
      opts.socket, opts)
  else
    conn = core.connect(driver, copts)
  end
  dialect = conn:dialect()
  local db = setmetatable({
    _conn = conn, _st = { depth = 0, savepoints = 0, sessions = 0, frames = {} },
    _level = 0, _sid = 0,
    ctx = { dialect = dialect, casing = cas },
    _logger = logger,
    -- runs built queries without _run's checks while this session is the
    -- innermost one (query.lua's exec); none with a logger
    _fastrun = not logger and conn:runner() or nil,
    dialect = dialect, schema = opts.schema or (rels and rels.schema),
    relations = rels,
  }, Database)
  -- db.query.<table>:findMany / :findFirst (relational queries)
  if rels ~= nil then db.query = relations.api(db, rels) end
  return db
end

-- sleet.proxy(dialect, fn, opts): a database whose statements fn runs
-- (Drizzle's pg-proxy / mysql-proxy / sqlite-proxy). fn(sql, params,
-- method) gets the SQL text, the bound values (sleet.null for NULL) and
-- "all" | "get" | "values" | "run" | "execute" (transaction verbs), and
-- returns { rows = { { cell, ... }, ... }, rowsAffected = n, lastInsertId =
-- n, fields = { name, ... } }: cells in the statement's field order, as the
-- database's driver gives them; sleet decodes them with the columns'
-- codecs. fn may yield; an error it raises fails the statement (kind
-- database). opts: those of sleet.connect but socket.
function M.proxy(dialect, fn, opts)
  if opts ~= nil and type(opts) ~= "table" then
    util.usage("proxy: options must be a table")
  end
  local o = util.copy(opts or {})
  if o.socket ~= nil then util.usage("proxy: a proxy has no socket") end
  o._proxy = { query.dialect(dialect), fn }
  return M.connect(nil, o)
end

-- }====================================================================

return M
