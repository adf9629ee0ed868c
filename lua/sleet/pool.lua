-- sleet.pool(target, opts): a bounded set of connections for long-lived
-- hosts (game servers, workers). pool:with(fn) lends one to fn(db) and takes
-- it back whatever fn does:
--   - a connection that was lost (kind connection: db:isClosed() is true)
--     is replaced at its next borrow;
--   - one idle for longer than opts.validateIdle seconds (default 1) is
--     checked with a round trip before it is lent, and replaced when the
--     server dropped it meanwhile (a restart): fn never gets a dead one;
--   - a transaction fn left open (a coroutine abandoned inside it) is rolled
--     back before the connection is lent again.
-- opts: the options of sleet.connect (schema, relations, logger, casing,
-- statementCache) plus size (most connections open at once, default 10),
-- validateIdle, and wait: a function called while every connection is lent
-- (a coroutine host passes one that yields to its scheduler, e.g.
-- function() ngx.sleep(0.001) end); without it an exhausted pool is a
-- usage error.
local util = require "sleet.util"

local M = {}

local Pool = { __name = "sleet.Pool" }
Pool.__index = Pool

local own = { size = true, validateIdle = true, wait = true }

function M.new(target, opts)
  opts = opts or {}
  if type(opts) ~= "table" then util.usage("pool: options must be a table") end
  local size = opts.size or 10
  if not util.isinteger(size) or size < 1 then
    util.usage("pool: size must be a positive whole number of connections")
  end
  local validate = opts.validateIdle or 1
  if type(validate) ~= "number" or validate < 0 then
    util.usage("pool: validateIdle must be a number of seconds")
  end
  if opts.wait ~= nil and type(opts.wait) ~= "function" then
    util.usage("pool: wait must be a function")
  end
  local connopts = {}
  for k, v in pairs(opts) do
    if not own[k] then connopts[k] = v end
  end
  -- a mistake in the target or the options is seen now, not at a borrow
  local first = require("sleet.db").connect(target, connopts)
  return setmetatable({
    _target = target, _opts = connopts, _size = size, _validate = validate,
    _wait = opts.wait, _idle = { { db = first, since = os.time() } },
    _open = 1, _closed = false,
  }, Pool)
end

local function check(self, what)
  if getmetatable(self) ~= Pool then
    util.usage(("call %s with a colon: pool:%s(...)"):format(what, what))
  end
  if self._closed then util.usage("pool: it was closed") end
end

-- A connection still good to lend: open, not inside a transaction, and
-- answering when it has been idle for a while.
local function usable(self, e)
  local db = e.db
  if db:isClosed() then return false end
  if db._st.depth > 0 then
    -- fn left a transaction open: a check rolls an abandoned one back;
    -- one still open is not lent (closing it rolls it back)
    pcall(db._checkopen, db)
    if db._st.depth > 0 then return false end
  end
  if os.difftime(os.time(), e.since) >= self._validate then
    local ok = pcall(db.execute, db, "select 1")
    if not ok then return false end
  end
  return true
end

local function borrow(self)
  while true do
    local e = table.remove(self._idle)
    if e == nil then break end
    if usable(self, e) then return e.db end
    pcall(e.db.close, e.db)
    self._open = self._open - 1
  end
  if self._open < self._size then
    self._open = self._open + 1
    local ok, db = pcall(require("sleet.db").connect, self._target, self._opts)
    if ok then return db end
    self._open = self._open - 1
    error(db, 0)
  end
  return nil
end

-- pool:with(fn, ...) -> fn(db, ...)'s results; fn's error is raised again
-- once the connection is back.
function Pool:with(fn, ...)
  check(self, "with")
  if type(fn) ~= "function" then util.usage("pool:with expects a function") end
  local db = borrow(self)
  while db == nil do
    if not self._wait then
      util.usage(("pool: all %d connections are in use (give wait = " ..
        "function to wait for one)"):format(self._size))
    end
    self._wait()
    if self._closed then util.usage("pool: it was closed") end
    db = borrow(self)
  end
  local r = util.pack(pcall(fn, db, ...))
  if self._closed or db:isClosed() then
    -- lost (replaced at the next borrow) or the pool closed meanwhile
    pcall(db.close, db)
    self._open = self._open - 1
  else
    self._idle[#self._idle + 1] = { db = db, since = os.time() }
  end
  if not r[1] then error(r[2], 0) end
  return util.unpack(r, 2, r.n)
end

-- pool:stats() -> { open, idle, size }.
function Pool:stats()
  check(self, "stats")
  return { open = self._open, idle = #self._idle, size = self._size }
end

-- Closes the idle connections now; lent ones are closed when they come
-- back. Later borrows are usage errors.
function Pool:close()
  if getmetatable(self) ~= Pool or self._closed then return end
  self._closed = true
  for _, e in ipairs(self._idle) do pcall(e.db.close, e.db) end
  self._open = self._open - #self._idle
  self._idle = {}
end
Pool.__close = Pool.close

-- require("sleet.pool")(target, opts) is M.new(target, opts).
return setmetatable(M, { __call = function(_, ...) return M.new(...) end })
