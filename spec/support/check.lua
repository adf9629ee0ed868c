-- Assertion helpers shared by the specs.
local assert = require "luassert"
local M = {}

-- All orderings of the items of list.
local function permutations(list)
  if #list <= 1 then return { list } end
  local out = {}
  for i = 1, #list do
    local rest = {}
    for j = 1, #list do
      if j ~= i then rest[#rest + 1] = list[j] end
    end
    for _, p in ipairs(permutations(rest)) do
      local full = { list[i] }
      for _, x in ipairs(p) do full[#full + 1] = x end
      out[#out + 1] = full
    end
  end
  return out
end

-- Expands an expected SQL text into every text it stands for. A segment
-- written «a, b, c» is a list whose order is free: the select list of a
-- partial select, because the fields come from the keys of a Lua table,
-- which have no order of their own. Items are separated by ", " and must
-- not themselves contain ", " outside parentheses.
function M.expand(expected)
  local s, e, inner = expected:find("«(.-)»")
  if not s then return { expected } end
  local items, depth, cur = {}, 0, {}
  local i = 1
  while i <= #inner do
    local c = inner:sub(i, i)
    if c == "(" then
      depth = depth + 1
    elseif c == ")" then
      depth = depth - 1
    end
    if depth == 0 and inner:sub(i, i + 1) == ", " then
      items[#items + 1] = table.concat(cur)
      cur = {}
      i = i + 2
    else
      cur[#cur + 1] = c
      i = i + 1
    end
  end
  items[#items + 1] = table.concat(cur)
  local head, tail = expected:sub(1, s - 1), expected:sub(e + 1)
  local out = {}
  for _, p in ipairs(permutations(items)) do
    for _, rest in ipairs(M.expand(tail)) do
      out[#out + 1] = head .. table.concat(p, ", ") .. rest
    end
  end
  return out
end

-- Asserts that actual is one of the texts expected stands for.
function M.sql_matches(actual, expected)
  for _, alt in ipairs(M.expand(expected)) do
    if actual == alt then return true end
  end
  error(("SQL mismatch\nexpected: %s\n  actual: %s"):format(expected,
    tostring(actual)), 2)
end

local function show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

-- Asserts two parameter lists are equal element by element (tables are
-- compared deeply, sleet.null by identity).
function M.params_equal(actual, expected)
  assert.is_table(actual, "params must be a table")
  local msg = {}
  for i = 1, math.max(#actual, #expected) do
    local a, x = actual[i], expected[i]
    local same
    if type(a) == "table" and type(x) == "table" then
      same = pcall(assert.same, x, a)
    else
      same = rawequal(a, x) or (a == x and math.type(a) == math.type(x))
    end
    if not same then
      msg[#msg + 1] = ("param %d: expected %s (%s), got %s (%s)"):format(i,
        show(x), math.type(x) or type(x), show(a), math.type(a) or type(a))
    end
  end
  if #msg > 0 then error(table.concat(msg, "\n"), 2) end
  return true
end

-- Compiles builder q with :toSQL() and checks text and parameters. sql is
-- an expected text, or a list of acceptable texts where the contract allows
-- more than one spelling.
function M.expect(q, sql, params)
  local r = q:toSQL()
  assert.is_table(r, "toSQL() must return a table")
  local alts = type(sql) == "table" and sql or { sql }
  local ok, err
  for _, alt in ipairs(alts) do
    ok, err = pcall(M.sql_matches, r.sql, alt)
    if ok then break end
  end
  if not ok then error(err, 2) end
  ok, err = pcall(M.params_equal, r.params, params or {})
  if not ok then error(("%s\nSQL: %s"):format(err, r.sql), 2) end
  -- compiling is deterministic: the same builder gives the same text
  local again = q:toSQL()
  assert.equal(r.sql, again.sql)
  return r
end

-- Runs fn and returns the error it raised; fails when it did not raise.
function M.raises(fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error, but the call succeeded", 2) end
  return err
end

-- Asserts err is a sleet error object of the given kind (or one of the
-- kinds, when kind is a table) and returns it.
function M.sleet_error(err, kind)
  local sleet = require "sleet"
  if getmetatable(err) ~= sleet.Error then
    error("expected a sleet.Error object, got " .. type(err) .. ": "
      .. tostring(err), 2)
  end
  if type(kind) == "table" then
    local found = false
    for _, k in ipairs(kind) do found = found or err.kind == k end
    if not found then
      error(("expected kind %s, got %s: %s"):format(table.concat(kind, "|"),
        tostring(err.kind), tostring(err.message)), 2)
    end
  elseif kind and err.kind ~= kind then
    error(("expected kind %s, got %s: %s"):format(kind, tostring(err.kind),
      tostring(err.message)), 2)
  end
  assert.is_string(err.message)
  return err
end

-- Runs fn, asserts it raised a sleet error of kind, returns that error.
function M.raises_kind(kind, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected a " .. tostring(kind) .. " error, got none", 2) end
  local ok2, msg = pcall(M.sleet_error, err, kind)
  if not ok2 then error(msg, 2) end
  return err
end

-- {====================================================================
-- Numbers on every Lua: Lua 5.4 tells integers from floats; LuaJIT has one
-- number type (and int64 cdata for exact 64-bit integers).
-- =====================================================================

-- "integer" or "float" (Lua 5.4); on LuaJIT "number" for a Lua number and
-- "integer" for int64/uint64 cdata.
function M.numtype(x)
  if math.type then return math.type(x) end
  if type(x) == "cdata" then return "integer" end
  if type(x) == "number" then return "number" end
  return nil
end

-- Asserts x is an integer: a Lua integer on Lua 5.4; on LuaJIT a number
-- with an integral value, or int64 cdata.
function M.is_integer(x, msg)
  if math.type then
    assert.equal("integer", math.type(x), msg)
  elseif type(x) ~= "cdata" then
    assert.equal("number", type(x), msg)
    assert.equal(math.floor(x), x, msg)
  end
end

-- Asserts x is a float: a Lua float on Lua 5.4, a number on LuaJIT.
function M.is_float(x, msg)
  if math.type then
    assert.equal("float", math.type(x), msg)
  else
    assert.equal("number", type(x), msg)
  end
end

-- x as an integer of the running Lua (math.tointeger where it exists).
function M.tointeger(x)
  if math.tointeger then return math.tointeger(x) end
  if type(x) == "number" and x == math.floor(x) then return x end
  return nil
end

-- The extreme 64-bit integers and 2^53 (the largest magnitude up to which
-- LuaJIT numbers hold every integer): Lua integers on 5.4, int64 cdata
-- on LuaJIT (2^53 stays a number there: it is exact).
M.LUAJIT = rawget(_G, "jit") ~= nil
if math.maxinteger then
  M.MAXINT, M.MININT = math.maxinteger, math.mininteger
  M.EXACT = math.tointeger(2 ^ 53)
  M.BEYOND53 = M.EXACT + 1
else
  M.MAXINT = assert(load("return 9223372036854775807LL"))()
  M.MININT = assert(load("return -9223372036854775807LL - 1"))()
  M.EXACT = 2 ^ 53
  M.BEYOND53 = assert(load("return 9007199254740993LL"))()
end

-- The decimal digits of an integer (a Lua integer, a number, or int64 /
-- uint64 cdata, whose tostring has an LL / ULL suffix).
function M.digits(x)
  if math.type and math.type(x) == "integer" then return ("%d"):format(x) end
  if type(x) == "number" then return ("%.0f"):format(x) end
  return (tostring(x):gsub("U?LL$", ""))
end

-- os.execute(cmd) succeeded, on every Lua (LuaJIT returns the status).
function M.execute(cmd)
  return require("sleet.util").execute(cmd)
end

-- The command of the Lua interpreter running the specs (child processes
-- run on the same Lua as the suite).
function M.lua()
  if rawget(_G, "jit") then return "luajit" end
  return "lua5.4"
end

-- }====================================================================

-- True under valgrind, a sanitizer runtime or GC stress: the process is
-- many times slower and its memory theirs to count.
-- True under valgrind (its preload is mapped; unknowable: true).
function M.valgrind()
  local f = io.open("/proc/self/maps")
  if not f then return true end
  local maps = f:read("*a")
  f:close()
  return maps:find("vgpreload", 1, true) ~= nil
end

function M.instrumented()
  local pre = os.getenv("LD_PRELOAD") or ""
  if pre:find("asan", 1, true) or os.getenv("SLEET_GC_STRESS") then
    return true
  end
  return M.valgrind()
end

return M
