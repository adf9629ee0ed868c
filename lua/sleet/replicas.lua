-- Read replicas (Drizzle's withReplicas): sleet.withReplicas(primary,
-- replicas, { getReplica }) is a database whose reads go to a replica and
-- everything else to the primary.
--
--   to a replica   select, selectDistinct, selectDistinctOn, count, the
--                  selects of with(...), db.query (relational queries),
--                  and what they prepare
--   to the primary insert, update, delete, execute, transaction, batch,
--                  every other method; db:primary() is the primary itself
--
-- Each read starts on getReplica(replicas) (a random one by default). When
-- that replica's connection is lost (an error of kind "connection"), the
-- read runs again on the next replica, then on the primary; it raises a
-- connection error only when none of them answers. Any other error is the
-- read's own and is raised at once. A prepared read stays on the replica
-- it was prepared on.
local query = require "sleet.query"
local relations = require "sleet.relations"
local util = require "sleet.util"
local core = require "sleet.core"

local M = {}

local kind = util.kind

-- Whether v is a database or transaction of sleet.connect.
local function isdb(v)
  return type(v) == "table" and type(v._run) == "function" and
    type(v.ctx) == "table"
end

local function randomreplica(list) return list[math.random(#list)] end

-- The router: the owner of the builders of reads. It runs each statement on
-- a replica, falling back as the header says.
local Router = { __name = "sleet.ReplicaRouter" }
Router.__index = Router

local function order(self)
  local first = self._get(self._replicas)
  if not isdb(first) then
    util.usage("withReplicas: getReplica must return one of the replicas")
  end
  local list = { first }
  for _, r in ipairs(self._replicas) do
    if r ~= first then list[#list + 1] = r end
  end
  list[#list + 1] = self._primary
  return list
end

function Router:_run(c, mode, params, info, handle)
  if handle ~= nil then
    -- a prepared read runs on its own connection
    local owner = self._handles[handle]
    return owner:_run(c, mode, params, info, handle)
  end
  local last
  for _, db in ipairs(order(self)) do
    if not db:isClosed() then
      local ok, r = pcall(db._run, db, c, mode, params, info)
      if ok then return r end
      if type(r) ~= "table" or r.kind ~= "connection" then error(r, 0) end
      last = r
    end
  end
  core.error({ kind = "connection", message = "withReplicas: no replica " ..
    "and not the primary answered" .. (last and (": " ..
    tostring(last.message)) or "") })
end

function Router:_prepare(c, info)
  for _, db in ipairs(order(self)) do
    if not db:isClosed() then
      local handle = db:_prepare(c, info)
      self._handles[handle] = db
      return handle
    end
  end
  core.error({ kind = "connection", message = "withReplicas: no replica " ..
    "and not the primary is open" })
end

function Router:isClosed() return self._primary:isClosed() end

query.mixin(Router)

-- sleet.withReplicas(primary, replicas, opts) → a database (see above).
function M.withReplicas(primary, replicas, opts)
  if not isdb(primary) then
    util.usage("withReplicas: the primary must be a database from " ..
      "sleet.connect")
  end
  if type(replicas) ~= "table" or kind(replicas) ~= nil or #replicas == 0 then
    util.usage("withReplicas: replicas must be a non-empty list of databases")
  end
  for i, r in ipairs(replicas) do
    if not isdb(r) then
      util.usage(("withReplicas: replica %d is not a database from " ..
        "sleet.connect"):format(i))
    end
    if r.dialect ~= primary.dialect then
      util.usage(("withReplicas: replica %d is %s, the primary %s"):format(i,
        tostring(r.dialect), tostring(primary.dialect)))
    end
  end
  if opts ~= nil and (type(opts) ~= "table" or kind(opts) ~= nil) then
    util.usage("withReplicas: options must be a table { getReplica }")
  end
  opts = opts or {}
  local get = opts.getReplica or randomreplica
  if type(get) ~= "function" then
    util.usage("withReplicas: getReplica must be a function(replicas)")
  end
  local list = {}
  for i, r in ipairs(replicas) do list[i] = r end
  local router = setmetatable({
    _primary = primary, _replicas = list, _get = get,
    _handles = setmetatable({}, { __mode = "k" }),
    ctx = primary.ctx, dialect = primary.dialect,
  }, Router)
  local rdb = { dialect = primary.dialect, ctx = primary.ctx,
    replicas = list }
  if primary.relations then
    rdb.relations = primary.relations
    rdb.query = relations.api(router, primary.relations)
  end
  function rdb.primary(self)
    if self ~= rdb then
      util.usage("call primary with a colon: db:primary()")
    end
    return primary
  end
  rdb["$primary"] = primary
  -- with(...): its selects read on a replica, its writes on the primary
  function rdb.with(self, ...)
    if self ~= rdb then util.usage("call with with a colon: db:with(...)") end
    local reads, writes = router:with(...), primary:with(...)
    return { select = function(_, f) return reads:select(f) end,
      selectDistinct = function(_, f) return reads:selectDistinct(f) end,
      insert = function(_, t) return writes:insert(t) end,
      update = function(_, t) return writes:update(t) end,
      delete = function(_, t) return writes:delete(t) end }
  end
  for _, name in ipairs({ "select", "selectDistinct", "selectDistinctOn",
    "count" }) do
    rdb[name] = function(self, ...)
      if self ~= rdb then
        util.usage(("call %s with a colon: db:%s(...)"):format(name, name))
      end
      return router[name](router, ...)
    end
  end
  -- everything else is the primary's
  return setmetatable(rdb, {
    __name = "sleet.ReplicatedDatabase",
    __index = function(_, key)
      local v = primary[key]
      if type(v) ~= "function" then return v end
      return function(self, ...)
        if self == rdb then self = primary end
        return v(self, ...)
      end
    end,
  })
end

return M
