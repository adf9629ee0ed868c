-- The host side of the wire drivers (sleet.connect(url, { socket = ... })):
-- PostgreSQL and MySQL are spoken by protocol engines in the C core that
-- never touch a socket (drivers/pgwire.c, drivers/mywire.c); this module
-- only moves their bytes over the host's socket, so a query waits the way
-- the host waits (an nginx cosocket or a cqueues socket yields the
-- coroutine, LuaSocket blocks).
--
-- A connection here is a wrapper with the methods of the core's connection
-- (exec, exec_sql, prepare, batch, begin, commit, ...). A core call that
-- must wait returns core.AGAIN; the wrapper then pumps: send what
-- conn:io() gives, read exactly what it asks, conn:feed() it, until io()
-- asks for nothing; then conn:again() makes the call again. Everything
-- else (statements, codecs, cache, transactions, errors) is the core's.
local core = require "sleet.core"
local util = require "sleet.util"

local AGAIN = core.AGAIN
local pack, unpack = util.pack, util.unpack

local M = {}

-- {====================================================================
-- Transports: objects with connect, send, receive(n), close, settimeout
-- (milliseconds here), and setkeepalive / sslhandshake where the host has
-- them.
-- =====================================================================

local function connection_error(message)
  core.error({ kind = "connection", message = message })
end

-- nginx cosockets (ngx.socket.tcp): settimeout takes milliseconds; the
-- worker's keepalive pool is named by the server and the session's user
-- and database, so a reused socket only ever serves the same session.
local function nginx_socket(ep)
  local ngx = rawget(_G, "ngx")
  if not (ngx and ngx.socket and ngx.socket.tcp) then
    util.usage("connect: socket = \"nginx\" needs OpenResty's ngx.socket.tcp "
      .. "(inside a request handler or a timer)")
  end
  local sock = ngx.socket.tcp()
  return {
    connect = function(_, host, port)
      local opts = { pool = ep.poolname }
      if ep.path then return sock:connect("unix:" .. ep.path, opts) end
      return sock:connect(host, port, opts)
    end,
    send = function(_, data) return sock:send(data) end,
    receive = function(_, n) return sock:receive(n) end,
    close = function() return sock:close() end,
    settimeout = function(_, ms) sock:settimeout(ms) end,
    setkeepalive = function(_, ms, size) return sock:setkeepalive(ms, size) end,
    sslhandshake = function(_, server, verify)
      return sock:sslhandshake(false, server, verify)
    end,
    reused = function() return (sock:getreusedtimes() or 0) > 0 end,
  }
end

-- LuaSocket (blocking): settimeout takes seconds; TLS through LuaSec when
-- it is installed.
local function luasocket_socket(ep)
  local ok, socket = pcall(require, "socket")
  if not ok then
    util.usage("connect: socket = \"luasocket\" needs LuaSocket (module "
      .. "socket): " .. tostring(socket))
  end
  local sock
  if ep.path then
    local uok, unix = pcall(require, "socket.unix")
    if not uok then
      util.usage("connect: a Unix socket path needs socket.unix: "
        .. tostring(unix))
    end
    sock = (type(unix) == "table" and unix.stream or unix)()
  else
    sock = socket.tcp()
  end
  local t = {}
  function t.connect(_, host, port)
    if ep.path then return sock:connect(ep.path) end
    return sock:connect(host, port)
  end
  function t.send(_, data) return sock:send(data) end
  function t.receive(_, n) return sock:receive(n) end
  function t.close() return sock:close() end
  function t.settimeout(_, ms)
    sock:settimeout(ms and ms / 1000 or nil)
  end
  function t.sslhandshake(_, server, verify)
    local sok, ssl = pcall(require, "ssl")
    if not sok then return nil, "TLS needs LuaSec (module ssl)" end
    local wrapped, err = ssl.wrap(sock, { mode = "client",
      protocol = "any", verify = verify and "peer" or "none",
      options = { "all", "no_sslv2", "no_sslv3" } })
    if not wrapped then return nil, err end
    if server and wrapped.sni then wrapped:sni(server) end
    local hok, herr = wrapped:dohandshake()
    if not hok then return nil, herr end
    sock = wrapped
    return true
  end
  return t
end

-- cqueues (inside a cqueues controller's coroutine a socket operation
-- yields to the controller; outside one it blocks).
local function cqueues_socket(ep)
  local ok, csocket = pcall(require, "cqueues.socket")
  if not ok then
    util.usage("connect: socket = \"cqueues\" needs cqueues (module "
      .. "cqueues.socket): " .. tostring(csocket))
  end
  local sock, timeout
  local t = {}
  function t.connect(_, host, port)
    local cok, s = pcall(csocket.connect, ep.path and { path = ep.path }
      or { host = host, port = port })
    if not cok then return nil, tostring(s) end
    sock = s
    sock:setmode("b", "b")
    sock:settimeout(timeout)
    -- errors as return values, not raised
    sock:onerror(function(_, _, code) return code end)
    local c, err = sock:connect(timeout)
    if not c then return nil, err and tostring(err) or "timeout" end
    return true
  end
  function t.send(_, data)
    local sok, err = sock:write(data)
    if sok then sok, err = sock:flush() end
    if not sok then return nil, err and tostring(err) or "timeout" end
    return #data
  end
  function t.receive(_, n)
    local data, err = sock:read(n)
    if data == nil or #data < n then
      return nil, err and tostring(err) or "closed"
    end
    return data
  end
  function t.close() if sock then sock:close() end return true end
  function t.settimeout(_, ms)
    timeout = ms and ms / 1000 or nil
    if sock then sock:settimeout(timeout) end
  end
  function t.sslhandshake()
    local sok, err = sock:starttls()
    if not sok then return nil, err and tostring(err) or "TLS failed" end
    return true
  end
  return t
end

local transports = { nginx = nginx_socket, luasocket = luasocket_socket,
  cqueues = cqueues_socket }

-- A transport for connect option `socket`: a name above, or a function
-- returning an object with connect/send/receive/close/settimeout (its
-- settimeout gets milliseconds).
local function transport(socket, ep)
  if type(socket) == "function" then
    local sock = socket(ep)
    for _, m in ipairs({ "connect", "send", "receive", "close" }) do
      if type(sock) ~= "table" and type(sock) ~= "userdata" or
        sock[m] == nil then
        util.usage("connect: the socket function must return an object " ..
          "with connect, send, receive, close and settimeout")
      end
    end
    return sock
  end
  local make = transports[socket]
  if make == nil then
    util.usage(("connect: unknown socket %s (socket = \"nginx\", " ..
      "\"luasocket\", \"cqueues\" or a function)"):format(tostring(socket)))
  end
  return make(ep)
end

-- }====================================================================

-- {====================================================================
-- The pump
-- =====================================================================

local Conn = {}
Conn.__index = Conn

-- The socket failed: the pending call then fails with kind connection.
local function fail(w, what, err)
  local why = ("%s %s:%s failed: %s"):format(what, w._ep.host or w._ep.path,
    tostring(w._ep.port or ""), tostring(err))
  w._c:lost(why)
  w:_dropsock()
end

-- Moves the bytes the pending call waits for.
local function pump(w)
  local c, sock = w._c, w._sock
  while true do
    local out, want, tls = c:io()
    if sock == nil then -- closed already: the pending call fails
      if out or want > 0 then c:lost("the socket is closed") end
      return
    end
    if out then
      local ok, err = sock:send(out)
      if not ok then return fail(w, "sending to", err) end
    end
    if tls then
      if not sock.sslhandshake then
        return fail(w, "TLS with", "this socket cannot start TLS")
      end
      local ok, err = sock:sslhandshake(w._ep.host, w._ep.verify)
      if not ok then return fail(w, "TLS handshake with", err) end
    end
    if want == 0 then return end
    local data, err = sock:receive(want)
    if not data then return fail(w, "reading from", err) end
    local ok, perr = c:feed(data)
    if not ok then
      w:_dropsock()
      return fail(w, "the protocol of", perr)
    end
  end
end

-- Settles the results of a core call: while it says AGAIN, pump and make
-- it again. An error that closed the connection closes the socket too.
local function settle(w, ...)
  if (...) ~= AGAIN then return ... end
  local r
  repeat
    pump(w)
    r = pack(pcall(w._c.again, w._c))
    if not r[1] then
      if w._c:isclosed() then w:_dropsock() end
      error(r[2], 0)
    end
  until r[2] ~= AGAIN
  return unpack(r, 2, r.n)
end

function Conn:_dropsock()
  local sock = self._sock
  if sock then
    self._sock = nil
    pcall(sock.close, sock)
  end
end

-- The methods that may wait.
for _, name in ipairs({ "begin", "commit", "rollback", "savepoint",
  "release", "rollback_to" }) do
  Conn[name] = function(self, ...)
    self._ep.mode = "execute"
    return settle(self, self._c[name](self._c, ...))
  end
end

-- An iterator (iter mode) waits inside its own calls.
local function iterwrap(w, f, s, c, cur)
  return function(...)
    local row = f(...)
    while row == AGAIN do
      pump(w)
      row = f(...)
    end
    return row
  end, s, c, cur
end

-- The proxy's method of a mode (Drizzle's names).
local methods = { all = "all", iter = "all", get = "get", values = "values",
  run = "run" }

function Conn:exec(compiled, mode, ph)
  self._ep.mode = methods[mode] or mode
  if mode == "iter" then
    return iterwrap(self, self._c:exec(compiled, mode, ph))
  end
  return settle(self, self._c:exec(compiled, mode, ph))
end

function Conn:exec_sql(sql, params, mode)
  self._ep.mode = methods[mode or "all"] or mode
  if mode == "iter" then
    return iterwrap(self, self._c:exec_sql(sql, params, mode))
  end
  return settle(self, self._c:exec_sql(sql, params, mode))
end

-- Prepared statements: their runs wait the same way; no fast runner
-- (it could not wait).
local Prepared = {}
Prepared.__index = Prepared

function Prepared:exec(mode, ph)
  self._w._ep.mode = methods[mode] or mode
  if mode == "iter" then
    return iterwrap(self._w, self._h:exec(mode, ph))
  end
  return settle(self._w, self._h:exec(mode, ph))
end
function Prepared.runner(_, _, fallback) return fallback end
function Prepared:close() return self._h:close() end
function Prepared:isclosed() return self._h:isclosed() end
Prepared.__close = Prepared.close

function Conn:prepare(...)
  return setmetatable({ _w = self, _h = self._c:prepare(...) }, Prepared)
end

-- A batch: the driver's own (pipelined) when it has one, else one
-- statement after another inside a transaction, or a savepoint when one is
-- open, as the core does for drivers doing their own I/O.
function Conn:batch(items)
  local _, hasbatch = self._c:hostio()
  if hasbatch then return settle(self, self._c:batch(items)) end
  local c = self._c
  c:checkopen()
  local intx = self:intransaction()
  if intx then self:savepoint("sleet_batch") else self:begin() end
  local results = {}
  for i, item in ipairs(items) do
    local ok, r = pcall(self.exec, self, item[1], item[2], item[3])
    if not ok then
      if not c:isclosed() then
        pcall(function()
          if intx then
            self:rollback_to("sleet_batch")
            self:release("sleet_batch")
          else
            self:rollback()
          end
        end)
      end
      if type(r) == "table" then
        r.index = i
        r.message = ("batch statement %d failed: %s"):format(i,
          tostring(r.message))
      end
      error(r, 0)
    end
    results[i] = r
  end
  if intx then self:release("sleet_batch") else self:commit() end
  return results
end

function Conn:intransaction() return self._c:intransaction() end

-- No fast runner: a run may wait.
function Conn.runner() return nil end

for _, name in ipairs({ "stats", "isclosed", "checkopen", "dialect",
  "setsession", "hostio" }) do
  Conn[name] = function(self, ...) return self._c[name](self._c, ...) end
end

-- Closes the connection: the protocol's goodbye, then the socket.
function Conn:close()
  local c = self._c
  if not c:isclosed() and self._sock then
    pcall(function()
      c:quit(false)
      local out = c:io()
      if out then self._sock:send(out) end
    end)
  end
  self:_dropsock()
  c:close()
end
Conn.__close = Conn.close

-- Puts the socket back in the host's keepalive pool (nginx): the session
-- is reset first (an open transaction rolled back, server-side statements
-- dropped), so the next connection taking it starts clean. Without a pool
-- (LuaSocket, cqueues) the connection is closed.
function Conn:keepalive(timeout, size)
  local c, sock = self._c, self._sock
  c:checkopen()
  if not (sock and sock.setkeepalive) then
    self:close()
    return true
  end
  settle(self, c:quit(true))
  self._sock = nil
  c:close()
  local ok, err = sock:setkeepalive(timeout, size)
  if not ok then
    pcall(sock.close, sock)
    connection_error("keepalive failed: " .. tostring(err))
  end
  return true
end

-- }====================================================================

-- wire.connect(driver, copts, socket, opts): the wrapper connection of a
-- wire driver ("pgwire", "mywire") over a transport. copts are the core's
-- connection options; opts.connectTimeout (ms, default 10000) bounds the
-- connect and the handshake; opts.timeout (ms) each later read and write
-- (default: the host's own).
-- One attempt: a socket from the transport (a pooled one when the host
-- has a pool), logged in, or checked with a round trip when it came from
-- the pool. Returns the wrapper, or nil when a pooled session turned out
-- dead (the server ended it while it idled: the caller tries again).
local function attempt(driver, copts, socket, opts, ep, params)
  local sock = transport(socket, ep)
  local ctimeout = opts.connectTimeout or 10000
  if sock.settimeout then sock:settimeout(ctimeout) end
  local ok, err = sock:connect(ep.host, ep.port)
  if not ok then
    pcall(sock.close, sock)
    connection_error(("could not connect to %s:%s: %s"):format(
      ep.path or ep.host, tostring(ep.port), tostring(err)))
  end
  local reused = sock.reused and sock:reused()
  local o = copts
  if reused then
    o = util.copy(copts)
    o.params = util.copy(params)
    o.params.sleet_reused = "1"
  end
  local cok, c = pcall(core.connect, driver, o)
  if not cok then
    pcall(sock.close, sock)
    error(c, 0)
  end
  local w = setmetatable({ _c = c, _sock = sock, _ep = ep }, Conn)
  if reused then
    -- a pooled session may have been ended by the server (a restart,
    -- pg_terminate_backend) while it idled: one round trip finds out
    local live = pcall(w.exec_sql, w, "select 1", nil, "run")
    if not live then
      w:_dropsock()
      c:close()
      return nil
    end
  else
    settle(w, c:ready())
  end
  if sock.settimeout then sock:settimeout(opts.timeout) end
  return w
end

function M.connect(driver, copts, socket, opts)
  local ep = { host = copts.host or "127.0.0.1", port = copts.port,
    path = copts.socket, user = copts.user, database = copts.database }
  if ep.path == nil and ep.host:sub(1, 1) == "/" then
    -- libpq's convention: a host that is a directory names the socket's
    ep.path = ("%s/.s.PGSQL.%d"):format(ep.host, ep.port or 5432)
  end
  ep.port = ep.port or (driver == "pgwire" and 5432 or 3306)
  ep.poolname = ("sleet:%s:%s:%s:%s:%s"):format(driver, ep.path or ep.host,
    ep.port, ep.user or "", ep.database or "")
  local params = copts.params or {}
  ep.verify = params.sslmode == "verify-full" or params.sslmode == "verify-ca"
  -- dead pooled sessions are dropped one by one; the pool is finite, so a
  -- fresh socket (a full login) comes at last
  for _ = 1, 1000 do
    local w = attempt(driver, copts, socket, opts, ep, params)
    if w then return w end
  end
  connection_error(("could not connect to %s:%s: every pooled session " ..
    "was dead"):format(ep.path or ep.host, tostring(ep.port)))
end

-- {====================================================================
-- Proxies (Drizzle's pg-proxy, mysql-proxy, sqlite-proxy)
-- =====================================================================

local proxydrivers = { postgresql = "pgproxy", mysql = "myproxy",
  sqlite = "sqliteproxy" }

-- The "socket" of a proxy: sending a request calls fn(sql, params, method)
-- (it may yield); reading gives its answer. An error fn raises fails the
-- statement (kind database, with the error's message and sqlstate).
local function proxysocket(fn, ep)
  local answer, pos = "", 1
  local t = {}
  function t.connect() return true end
  function t.send(_, request)
    local sql, params = core.proxy_request(request)
    local ok, r = pcall(fn, sql, params, ep.mode or "execute")
    if ok then
      ok, answer = pcall(core.proxy_answer, r)
      if not ok then answer = core.proxy_error(answer) end
    else
      if type(r) == "table" and r.message == nil then
        r = { message = r.error or tostring(r) }
      end
      answer = core.proxy_error(r)
    end
    pos = 1
    return #request
  end
  function t.receive(_, n)
    local s = answer:sub(pos, pos + n - 1)
    pos = pos + n
    if #s < n then return nil, "the proxy answered nothing" end
    return s
  end
  function t.close() return true end
  return t
end

-- wire.proxy(dialect, fn): the wrapper connection of a proxy driver.
function M.proxy(dialect, fn)
  local driver = proxydrivers[dialect]
  if driver == nil then
    util.usage(("proxy: unknown dialect %s (postgresql, mysql or sqlite)")
      :format(tostring(dialect)))
  end
  if type(fn) ~= "function" then
    util.usage("proxy: expected a function(sql, params, method), got " ..
      type(fn))
  end
  local ep = { host = "proxy", port = dialect }
  local c = core.connect(driver, {})
  return setmetatable({ _c = c, _sock = proxysocket(fn, ep), _ep = ep },
    Conn)
end

-- }====================================================================

-- The core connection of a wrapper (for code that needs the raw one).
function M.core(w) return getmetatable(w) == Conn and w._c or w end

M.transports = transports

return M
