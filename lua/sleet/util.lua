-- Small helpers shared by the façade modules: error objects, object kinds,
-- copies. Every failure is raised as an error object through core.error.
local core = require "sleet.core"

-- The metatable without the __metatable check of the global getmetatable,
-- which looks that field up on every call: these kind tests run on every
-- query built. sleet's objects never set __metatable. (The global one
-- where a sandbox leaves no debug library.)
local getmetatable = debug and debug.getmetatable or getmetatable

local M = {}

M.pack = table.pack or function(...)
  return { n = select("#", ...), ... }
end
M.unpack = table.unpack or unpack -- luacheck: ignore 113

local function raise(kind, message, extra)
  local fields = { kind = kind, message = message }
  if extra then
    for k, v in pairs(extra) do fields[k] = v end
  end
  core.error(fields)
end

-- Raises a usage error (the API was called the wrong way).
function M.usage(message, extra) raise("usage", message, extra) end

-- Raises a validation error (bad input caught before any SQL is sent).
function M.validation(message, extra) raise("validation", message, extra) end

-- True when v is an integer number (on Lua 5.1/LuaJIT: a number without a
-- fractional part).
-- os.execute(cmd) succeeded (exit status 0), on every Lua: Lua 5.2+ return
-- true/nil, "exit", code; Lua 5.1 and LuaJIT the status as a number.
function M.execute(cmd)
  local r, _, code = os.execute(cmd)
  if type(r) == "number" then return r == 0 end
  return r == true and (code == nil or code == 0)
end

function M.isinteger(v)
  if math.type then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v) and v > -2 ^ 63
    and v < 2 ^ 63
end

-- The sleet kind of a value ("column", "expr", "placeholder", "query",
-- "table", "enum", ...) read from its metatable, or nil for plain values.
function M.kind(x)
  if type(x) ~= "table" then return nil end
  local mt = getmetatable(x)
  if type(mt) ~= "table" then return nil end
  return rawget(mt, "__kind")
end

-- A shallow copy of t.
function M.copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- True when t is a plain table used as a list (t[1] present).
function M.islist(t)
  return type(t) == "table" and M.kind(t) == nil and rawget(t, 1) ~= nil
end

-- Lua's reserved words, and whether s can be written bare as a name
-- (a local, a field after a dot).
M.KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  M.KEYWORDS[w] = true
end

function M.isident(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil and
    not M.KEYWORDS[s]
end

-- The keys of t in sorted order (strings before other types).
function M.sortedkeys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    return a < b
  end)
  return keys
end

-- Collects varargs into a list, or takes a single plain list argument as
-- the list itself (orderBy(a, b) and orderBy({a, b}) are the same).
function M.varlist(...)
  local n = select("#", ...)
  local first = ...
  if n == 1 and M.islist(first) then return first end
  local out = {}
  for i = 1, n do
    local v = select(i, ...)
    if v ~= nil then out[#out + 1] = v end
  end
  return out
end

return M
