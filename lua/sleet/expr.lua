-- Expressions: operators, aggregates, ordering, raw SQL (sql, raw,
-- identifier, placeholder), :as and :mapWith.
--
-- An expression is built lazily: it keeps a function that makes its node
-- tree for a compile context { dialect, casing, unqualified }, because a
-- column's SQL name depends on the database's casing option.
local core = require "sleet.core"

-- See util.lua: the kind tests of the shape walk without the __metatable
-- lookup.
local getmetatable = debug and debug.getmetatable or getmetatable
local column = require "sleet.column"
local util = require "sleet.util"

local M = {}

local kind = util.kind
local TABLE = column.TABLE
local Column = column.Column

-- {====================================================================
-- Expression and placeholder objects
-- =====================================================================

local Expr = { __kind = "expr", __name = "sleet.SQL" }
M.Expr = Expr

-- The common expressions (comparisons, and/or, in, between, ordering,
-- aggregates) keep their operands (fields a, b) and an operator _op = {
-- mk = function(e, ctx) -> node, sig = function(e, cur, vals) -> cur }
-- instead of a closure: sig walks the expression's shape (see M.sig), so
-- that a query built again with other values reuses its compiled template.
-- Their build function, which callers read as e.build, is made on demand.
Expr.__index = function(e, k)
  if k == "build" then
    local op = rawget(e, "_op")
    if op == nil then return nil end
    local mk = op.mk
    local f = function(ctx) return mk(e, ctx) end
    rawset(e, "build", f)
    return f
  end
  return Expr[k]
end

-- A new expression. build(ctx) returns its node; codec is the codec of its
-- value when selected ("any" when unknown).
function M.new(build, codec)
  return setmetatable({ build = build, codec = codec or "any" }, Expr)
end

-- How deeply expressions may nest (sql inside sql, and_ inside or_ ...):
-- the node tree of a statement has a limit of its own in the C core, and
-- a deeper tree would exhaust the Lua stack before reaching it. Each
-- expression that takes expressions records its depth (_depth).
local MAXDEPTH = 200

local function depthof(x)
  if type(x) ~= "table" or getmetatable(x) ~= Expr then return 0 end
  return rawget(x, "_depth") or 1
end

-- Sets e._depth to one more than its deepest operand in list[1..n].
local function nest(e, list, n, what)
  local d = 0
  for i = 1, n do
    local xd = depthof(list[i])
    if xd > d then d = xd end
  end
  if d >= MAXDEPTH then
    util.usage(("%s: expressions nested more than %d levels deep (build " ..
      "the condition flat: and_(a, b, c, ...) takes any number)"):format(
      what, MAXDEPTH))
  end
  e._depth = d + 1
  return e
end

-- A new expression of operator op on operands a, b.
local function opnew(op, codec, a, b)
  return setmetatable({ _op = op, codec = codec or "any", a = a, b = b },
    Expr)
end

-- expr:as("alias"): selected as "alias"; elsewhere it stands for the alias.
function Expr:as(alias)
  if type(alias) ~= "string" or alias == "" then
    util.usage("as: the alias must be a non-empty string")
  end
  local e = util.copy(self)
  e.alias = alias
  return setmetatable(e, Expr)
end

-- expr:mapWith(fn | codec name | column): how the selected value is read.
-- A function runs in Lua on each non-NULL value after the row is built.
function Expr:mapWith(m)
  local e = setmetatable(util.copy(self), Expr)
  e.mapped = true
  if type(m) == "function" then
    e.decoder = m
    e.codec = "any"
  elseif type(m) == "string" then
    if not core.codecs[m] then
      local names = {}
      for name in pairs(core.codecs) do names[#names + 1] = name end
      table.sort(names)
      util.usage(("mapWith: unknown codec %q (codecs: %s)"):format(m,
        table.concat(names, ", ")))
    end
    e.codec = m
    e.decoder = nil
  elseif kind(m) == "column" then
    e.codec = m.codec
    e.decoder = m.decoder
  elseif type(m) == "table" and type(m.mapFromDriverValue) == "function" then
    local f = m.mapFromDriverValue
    e.decoder = function(v) return f(m, v) end
    e.codec = "any"
  else
    util.usage("mapWith: expected a function, a codec name or a column")
  end
  return e
end

function Expr.__tostring(e)
  return "sql expression" .. (e.alias and (" as " .. e.alias) or "")
end

local Placeholder = { __kind = "placeholder", __name = "sleet.Placeholder" }
Placeholder.__index = Placeholder

-- sleet.placeholder("name"): a value given when a prepared query runs.
function M.placeholder(name)
  if type(name) ~= "string" or name == "" then
    util.usage("placeholder: the name must be a non-empty string")
  end
  return setmetatable({ name = name }, Placeholder)
end

-- }====================================================================

-- {====================================================================
-- Nodes
-- =====================================================================

-- The node of a column (qualified by its table unless ctx.unqualified).
function M.colnode(c, ctx)
  local name = column.sqlname(c, ctx.casing)
  if ctx.unqualified then return { k = "col", name = name } end
  local d = column.def(c.table)
  return { k = "col", table = d.alias or d.name, name = name }
end

-- "users.email", for messages.
function M.label(c, ctx)
  local d = column.def(c.table)
  return (d.alias or d.name) .. "." .. column.sqlname(c, ctx and ctx.casing)
end

-- The node of a source's name in SQL text ("schema"."name" or "alias").
local function sourcename(x)
  local d = column.def(x)
  if d.alias then return { k = "ident", name = d.alias } end
  if d.schema then
    return { k = "sql", parts = {
      { k = "ident", name = d.schema }, ".", { k = "ident", name = d.name },
    } }
  end
  return { k = "ident", name = d.name }
end

-- Converts x in an SQL position (a column, expression, query, table or
-- placeholder) to a node; other values become bound parameters of codec
-- "any".
-- The node of a plain value bound as a parameter. In a template compile
-- (ctx.slots set, see M.sig) the parameter takes the next value slot.
local function paramnode(x, ty, label, ctx)
  local slots = ctx and ctx.slots
  if slots == nil then return { k = "param", v = x, ty = ty, col = label } end
  local n = slots.n + 1
  slots.n = n
  slots[n] = x
  return { k = "param", v = x, ty = ty, col = label, slot = n }
end

function M.tonode(x, ctx, asfield)
  local k = kind(x)
  if k == "column" then return M.colnode(x, ctx) end
  if k == "expr" then
    local alias = rawget(x, "alias")
    if alias and not asfield then
      return { k = "ident", name = alias }
    end
    local op = rawget(x, "_op")
    if op then return op.mk(x, ctx) end
    return x.build(ctx)
  end
  if k == "query" then return { k = "scalar", q = x:_valuenode(ctx) } end
  if k == "table" or k == "source" then return sourcename(x) end
  if k == "placeholder" then return { k = "ph", name = x.name, ty = "any" } end
  if x == core.null then return { k = "null" } end
  return paramnode(x, "any", nil, ctx)
end

-- Converts x in a value position: a column, expression or query renders as
-- SQL, a placeholder is filled at execution with codec ty, anything else is
-- bound as a parameter encoded by codec ty. label names the column the
-- value is compared with or written to ("users.email").
function M.valnode(x, ty, label, ctx)
  local k = kind(x)
  if k == "placeholder" then
    return { k = "ph", name = x.name, ty = ty or "any", col = label }
  end
  if k == "column" or k == "expr" or k == "query" or k == "table"
    or k == "source" then
    return M.tonode(x, ctx)
  end
  return paramnode(x, ty or "any", label, ctx)
end

-- {====================================================================
-- Shapes: a query's node tree without its parameter values
-- =====================================================================

-- A shape is a path in a trie of weak-keyed tables: sig functions step
-- through it one token at a time (operators, columns, tables, list
-- lengths, placeholder names, PARAM for a bound value) and append the
-- values bound as parameters to vals, in the order the node builders
-- create their param nodes. Two queries reaching the same trie node have
-- the same node tree but for those values, so they share one compiled
-- template (query.lua) and only the values are encoded again
-- (core.rebind). A sig function returns nil for what it cannot describe
-- (raw SQL, subqueries): such a query is compiled the ordinary way.

local WEAK = { __mode = "k" }
local PARAM = setmetatable({}, { __name = "PARAM" })
local NULL = setmetatable({}, { __name = "NULL" })
local PH = setmetatable({}, { __name = "PH" })
local ALIAS = setmetatable({}, { __name = "ALIAS" })
M.NONE = setmetatable({}, { __name = "NONE" })

-- Trie nodes made so far, and the most kept: past it a new shape is no
-- longer remembered (a program building unbounded shapes, e.g. inArray
-- lists of every length, would otherwise grow it without end).
local made, MAXNODES = 0, 20000

-- The trie node after cur for token tok (made when new); nil when full.
local function step(cur, tok)
  local nx = cur[tok]
  if nx == nil then
    if made >= MAXNODES then return nil end
    made = made + 1
    nx = setmetatable({}, WEAK)
    cur[tok] = nx
  end
  return nx
end
M.step = step

-- The shape of x in an SQL position (as M.tonode converts it). Kinds are
-- told by metatable, as util.kind would (the walk runs on every call).
local function sig(x, cur, vals)
  local mt = getmetatable(x)
  if mt == Column then return cur[x] or step(cur, x) end
  if mt == Expr then
    local alias = rawget(x, "alias")
    if alias then
      cur = cur[ALIAS] or step(cur, ALIAS)
      return cur and (cur[alias] or step(cur, alias))
    end
    local op = rawget(x, "_op")
    if op == nil then return nil end
    return op.sig(x, cur, vals)
  end
  if mt == Placeholder then
    cur = cur[PH] or step(cur, PH)
    return cur and step(cur, x.name)
  end
  if mt ~= nil and kind(x) ~= nil then return nil end
  if x == core.null then return cur[NULL] or step(cur, NULL) end
  vals[#vals + 1] = x
  return cur[PARAM] or step(cur, PARAM)
end
M.sig = sig

-- The shape of x in a value position (as M.valnode converts it).
local function valsig(x, cur, vals)
  local mt = getmetatable(x)
  if mt == nil or (mt ~= Column and mt ~= Expr and kind(x) == nil) then
    vals[#vals + 1] = x
    return cur[PARAM] or step(cur, PARAM)
  end
  return sig(x, cur, vals)
end
M.valsig = valsig

-- The codec a plain value compared with x is bound with: a column's codec
-- (Drizzle encodes with the column's mapper; values compared with other
-- expressions are bound as they are).
local function bindcodec(x)
  if kind(x) == "column" then return x.codec end
  return nil
end

-- The codec of the values of x (nil for plain values).
local function codecof(x)
  local k = kind(x)
  if k == "column" then return x.codec end
  if k == "expr" then return x.codec end
  if k == "query" then return x:_valuecodec() end
  return nil
end
M.codecof = codecof

local function isexprlike(x)
  local k = kind(x)
  return k == "column" or k == "expr" or k == "query"
end

-- The two operand nodes of a comparison: a plain value takes the codec and
-- label of the column (or expression) on the other side.
local function operands(l, r, ctx, ty)
  if isexprlike(l) or not isexprlike(r) then
    local lab = kind(l) == "column" and M.label(l, ctx) or nil
    return M.tonode(l, ctx), M.valnode(r, ty or bindcodec(l), lab, ctx)
  end
  local lab = kind(r) == "column" and M.label(r, ctx) or nil
  return M.valnode(l, ty or bindcodec(r), lab, ctx), M.tonode(r, ctx)
end

-- The shape of operands(l, r): the same branches, the same order.
local function operandsig(l, r, cur, vals)
  if isexprlike(l) or not isexprlike(r) then
    cur = sig(l, cur, vals)
    return cur and valsig(r, cur, vals)
  end
  cur = valsig(l, cur, vals)
  return cur and sig(r, cur, vals)
end

-- The shape of a list of expressions in SQL positions: its length, then
-- each item.
local function listsig(list, n, cur, vals)
  cur = step(cur, n)
  for i = 1, n do
    if cur == nil then return nil end
    cur = sig(list[i], cur, vals)
  end
  return cur
end

-- }====================================================================

-- {====================================================================
-- Conditions
-- =====================================================================

-- nil and sleet.null are not operands: a comparison with NULL is never
-- true, so writing one is a mistake (isNull / isNotNull say what is meant).
local function nullname(x)
  if x == nil then return "nil" end
  if x == core.null then return "sleet.null" end
  return nil
end

-- render(l, r, ctx), when given, makes the node of the two operand nodes
-- (operators the C core has no binary node for).
local function binary(name, op, hint, ty, render)
  local bop = {}
  function bop.mk(e, ctx)
    local a, b = operands(e.a, e.b, ctx, ty)
    if render then return render(a, b, ctx) end
    return { k = "bin", op = op, l = a, r = b }
  end
  function bop.sig(e, cur, vals)
    cur = cur[bop] or step(cur, bop)
    if cur == nil then return nil end
    local l = e.a
    if getmetatable(l) == Column then -- the usual eq(column, value)
      cur = cur[l] or step(cur, l)
      return cur and valsig(e.b, cur, vals)
    end
    return operandsig(l, e.b, cur, vals)
  end
  local null = core.null
  -- built on every query: no vararg, no helper calls on the usual path
  return function(l, r, extra)
    if extra ~= nil then
      util.usage(name .. ": takes two operands")
    end
    if l == nil or l == null then
      util.validation(name .. ": left operand is " .. nullname(l))
    end
    if r == nil or r == null then
      util.validation(name .. ": value is " .. nullname(r)
        .. (hint and ("; use " .. hint) or ""))
    end
    return setmetatable({ _op = bop, codec = "bool", a = l, b = r }, Expr)
  end
end

M.eq = binary("eq", "=", "isNull")
M.ne = binary("ne", "<>", "isNotNull")
M.gt = binary("gt", ">")
M.gte = binary("gte", ">=")
M.lt = binary("lt", "<")
M.lte = binary("lte", "<=")
M.like = binary("like", "like", nil, "text")
M.notLike = binary("notLike", "not like", nil, "text")
M.ilike = binary("ilike", "ilike", nil, "text")
M.notIlike = binary("notIlike", "not ilike", nil, "text")

-- PostgreSQL's array operators; the values take the column's array codec
-- (arrayContains(t.tags, { "a", "b" })).
local function arrayop(name, op)
  return binary(name, op, nil, nil, function(l, r, ctx)
    if ctx.dialect ~= "postgresql" then
      util.usage(("%s: arrays are PostgreSQL's (%s has no array operators)")
        :format(name, ctx.dialect))
    end
    return { k = "sql", parts = { l, " " .. op .. " ", r } }
  end)
end
M.arrayContains = arrayop("arrayContains", "@>")
M.arrayContained = arrayop("arrayContained", "<@")
M.arrayOverlaps = arrayop("arrayOverlaps", "&&")

local function condition(name, x)
  local k = kind(x)
  if k ~= "expr" and k ~= "column" then
    util.usage(name .. ": conditions must be sql expressions")
  end
  return x
end

local function logical(name, nk)
  local lop = {}
  function lop.mk(e, ctx)
    local nodes = {}
    for i, c in ipairs(e.a) do nodes[i] = M.tonode(c, ctx) end
    return { k = nk, list = nodes }
  end
  function lop.sig(e, cur, vals)
    cur = step(cur, lop)
    return cur and listsig(e.a, #e.a, cur, vals)
  end
  return function(...)
    local list = {}
    for i = 1, select("#", ...) do
      local c = select(i, ...)
      if c ~= nil then
        condition(name, c)
        if rawget(c, "_op") == lop and not c.alias and not c.mapped then
          -- and_(and_(a, b), c) is and_(a, b, c): a filter folded in a
          -- loop stays flat, within every parser's nesting limit
          for _, x in ipairs(c.a) do list[#list + 1] = x end
        else
          list[#list + 1] = c
        end
      end
    end
    -- Drizzle: missing conditions are dropped; none at all is no condition
    if #list == 0 then return nil end
    if #list == 1 then return list[1] end
    return nest(opnew(lop, "bool", list), list, #list, name)
  end
end

M.and_ = logical("and_", "and")
M.or_ = logical("or_", "or")

-- An operator of one operand in an SQL position, node mk(e, ctx).
local function unaryop(mk)
  local uop = { mk = mk }
  function uop.sig(e, cur, vals)
    cur = step(cur, uop)
    return cur and sig(e.a, cur, vals)
  end
  return uop
end

local notop = unaryop(function(e, ctx)
  return { k = "not", e = M.tonode(e.a, ctx) }
end)

function M.not_(c)
  if c == nil then util.validation("not_: condition is nil") end
  condition("not_", c)
  return nest(opnew(notop, "bool", c), { c }, 1, "not_")
end

local function nullcheck(name, neg)
  local nop = unaryop(function(e, ctx)
    return { k = "isnull", e = M.tonode(e.a, ctx), neg = neg }
  end)
  return function(x)
    if x == nil then util.validation(name .. ": operand is nil") end
    return opnew(nop, "bool", x)
  end
end

M.isNull = nullcheck("isNull", false)
M.isNotNull = nullcheck("isNotNull", true)

local function inlist(name, neg)
  local iop = {}
  -- the values' params come first, as in the node builder
  function iop.mk(e, ctx)
    local x, values = e.a, e.b
    local ty = bindcodec(x)
    local lab = kind(x) == "column" and M.label(x, ctx) or nil
    local list = {}
    for i = 1, #values do list[i] = M.valnode(values[i], ty, lab, ctx) end
    return { k = "in", e = M.tonode(x, ctx), list = list, neg = neg }
  end
  function iop.sig(e, cur, vals)
    local values = e.b
    local n = #values
    cur = step(cur, iop)
    cur = cur and step(cur, n)
    for i = 1, n do
      if cur == nil then return nil end
      cur = valsig(values[i], cur, vals)
    end
    return cur and sig(e.a, cur, vals)
  end
  return function(x, values)
    if x == nil then util.validation(name .. ": left operand is nil") end
    if values == nil then util.validation(name .. ": values are nil") end
    local k = kind(values)
    if k == "query" then
      return M.new(function(ctx)
        return { k = "in", e = M.tonode(x, ctx), sub = values:_valuenode(ctx),
          neg = neg }
      end, "bool")
    end
    if type(values) ~= "table" or k ~= nil then
      util.usage(name .. ": expected a list of values or a subquery")
    end
    local n = #values
    local copy = {}
    for i = 1, n do
      if nullname(values[i]) then
        util.validation(("%s: value %d is %s; NULL is never in a list "
          .. "(use isNull)"):format(name, i, nullname(values[i])))
      end
      copy[i] = values[i]
    end
    return opnew(iop, "bool", x, copy)
  end
end

M.inArray = inlist("inArray", false)
M.notInArray = inlist("notInArray", true)

local function betweenop(name, neg)
  local bop = {}
  function bop.mk(e, ctx)
    local x = e.a
    local ty = bindcodec(x)
    local lab = kind(x) == "column" and M.label(x, ctx) or nil
    local node = { k = "between", e = M.tonode(x, ctx) }
    node.lo = M.valnode(e.b, ty, lab, ctx)
    node.hi = M.valnode(e.c, ty, lab, ctx)
    node.neg = neg
    return node
  end
  function bop.sig(e, cur, vals)
    cur = step(cur, bop)
    cur = cur and sig(e.a, cur, vals)
    cur = cur and valsig(e.b, cur, vals)
    return cur and valsig(e.c, cur, vals)
  end
  return function(x, lo, hi)
    if nullname(x) then
      util.validation(name .. ": left operand is " .. nullname(x))
    end
    if nullname(lo) or nullname(hi) then
      util.validation(name .. ": bound is " .. (nullname(lo) or nullname(hi)))
    end
    return setmetatable({ _op = bop, codec = "bool", a = x, b = lo, c = hi },
      Expr)
  end
end

M.between = betweenop("between", false)
M.notBetween = betweenop("notBetween", true)

local function existsop(name, neg)
  return function(q)
    if kind(q) ~= "query" then
      util.usage(name .. ": expected a select query")
    end
    return M.new(function(ctx)
      return { k = "exists", sub = q:_valuenode(ctx), neg = neg }
    end, "bool")
  end
end

M.exists = existsop("exists", false)
M.notExists = existsop("notExists", true)

-- }====================================================================

-- {====================================================================
-- Aggregates and ordering
-- =====================================================================

local funcops = {}

-- The operator of aggregate name (distinct or not).
local function funcop(name, distinct)
  local key = distinct and (name .. " distinct") or name
  local fop = funcops[key]
  if fop then return fop end
  fop = {}
  function fop.mk(e, ctx)
    local x = e.a
    return { k = "func", name = name, args = x ~= nil and { M.tonode(x, ctx) }
      or {}, distinct = distinct or nil }
  end
  function fop.sig(e, cur, vals)
    cur = step(cur, fop)
    if cur == nil then return nil end
    if e.a == nil then return step(cur, M.NONE) end
    return sig(e.a, cur, vals)
  end
  funcops[key] = fop
  return fop
end

local function func(name, fname, x, distinct, codec)
  if x ~= nil and not isexprlike(x) then
    util.usage(fname .. ": expected a column or sql expression")
  end
  return opnew(funcop(name, distinct), codec, x)
end

function M.count(x) return func("count", "count", x, false, "int") end

function M.countDistinct(x)
  if x == nil then util.usage("countDistinct: expected a column") end
  return func("count", "countDistinct", x, true, "int")
end

function M.sum(x)
  if x == nil then util.usage("sum: expected a column") end
  return func("sum", "sum", x, false, "numeric")
end

function M.sumDistinct(x)
  if x == nil then util.usage("sumDistinct: expected a column") end
  return func("sum", "sumDistinct", x, true, "numeric")
end

function M.avg(x)
  if x == nil then util.usage("avg: expected a column") end
  return func("avg", "avg", x, false, "numeric")
end

function M.avgDistinct(x)
  if x == nil then util.usage("avgDistinct: expected a column") end
  return func("avg", "avgDistinct", x, true, "numeric")
end

function M.min(x)
  if x == nil then util.usage("min: expected a column") end
  return func("min", "min", x, false, codecof(x))
end

function M.max(x)
  if x == nil then util.usage("max: expected a column") end
  return func("max", "max", x, false, codecof(x))
end

local function order(dir)
  local oop = unaryop(function(e, ctx)
    return { k = "order", e = M.tonode(e.a, ctx), dir = dir }
  end)
  return function(x)
    if x == nil then util.usage(dir .. ": expected a column or expression") end
    return opnew(oop, nil, x)
  end
end

M.asc = order("asc")
M.desc = order("desc")

-- sleet.excluded(users.name): the proposed row's value in an upsert's set.
function M.excluded(c)
  if kind(c) ~= "column" then util.usage("excluded: expected a column") end
  return M.new(function(ctx)
    return { k = "excluded", name = column.sqlname(c, ctx.casing) }
  end, c.codec)
end

-- }====================================================================

-- {====================================================================
-- Raw SQL
-- =====================================================================

-- sql("lower(?) = ?", users.name, "ada"): each ? takes the next argument; ??
-- is a literal ?.
local function sqltemplate(text, ...)
  if type(text) ~= "string" then util.usage("sql: expected a SQL text") end
  local n = select("#", ...)
  local args = util.pack(...)
  -- split once, at construction, so that argument count errors are
  -- reported where the template is written
  local chunks, used, buf, i = {}, 0, {}, 1
  while i <= #text do
    local c = text:sub(i, i)
    if c == "?" then
      if text:sub(i + 1, i + 1) == "?" then
        buf[#buf + 1] = "?"
        i = i + 2
      else
        used = used + 1
        if used > n then
          util.usage(("sql: %d arguments given but the text has more ?")
            :format(n))
        end
        chunks[#chunks + 1] = table.concat(buf)
        chunks[#chunks + 1] = { arg = used }
        buf = {}
        i = i + 1
      end
    else
      local j = text:find("?", i, true) or (#text + 1)
      buf[#buf + 1] = text:sub(i, j - 1)
      i = j
    end
  end
  chunks[#chunks + 1] = table.concat(buf)
  if used < n then
    util.usage(("sql: %d arguments given but the text has %d ?")
      :format(n, used))
  end
  return nest(M.new(function(ctx)
    local parts = {}
    for _, ch in ipairs(chunks) do
      if type(ch) == "string" then
        if ch ~= "" then parts[#parts + 1] = ch end
      else
        local v = args[ch.arg]
        if v == nil then
          parts[#parts + 1] = { k = "param", v = core.null, ty = "any" }
        else
          parts[#parts + 1] = M.tonode(v, ctx)
        end
      end
    end
    return { k = "sql", parts = parts }
  end, "any"), args, n, "sql")
end

-- sql.raw(text): trusted SQL text.
function M.raw(text)
  if type(text) ~= "string" then util.usage("raw: expected a string") end
  return M.new(function() return { k = "raw", sql = text } end, "any")
end

-- sql.identifier(name): a quoted identifier.
function M.identifier(name)
  if type(name) ~= "string" or name == "" then
    util.usage("identifier: expected a non-empty string")
  end
  return M.new(function() return { k = "ident", name = name } end, "any")
end

-- sql.join(list, separator): the items of list separated by separator (a
-- string of raw SQL or a sql object).
function M.join(list, sep)
  if type(list) ~= "table" then util.usage("join: expected a list") end
  local items = {}
  for i = 1, #list do items[i] = list[i] end
  return M.new(function(ctx)
    local parts = {}
    for i, x in ipairs(items) do
      if i > 1 and sep ~= nil then
        if type(sep) == "string" then
          parts[#parts + 1] = sep
        else
          parts[#parts + 1] = M.tonode(sep, ctx)
        end
      end
      parts[#parts + 1] = M.tonode(x, ctx)
    end
    return { k = "sql", parts = parts }
  end, "any")
end

-- sql.empty(): no SQL at all (a start for sql.append).
function M.empty()
  return M.new(function() return { k = "sql", parts = {} } end, "any")
end

-- The sql function, with raw/identifier/placeholder/join/empty attached
-- like Drizzle's sql tag.
M.sql = setmetatable({
  raw = M.raw,
  identifier = M.identifier,
  placeholder = M.placeholder,
  join = M.join,
  empty = M.empty,
}, {
  __call = function(_, text, ...) return sqltemplate(text, ...) end,
})

-- True when x is a table or subquery/CTE object.
function M.issource(x)
  local k = kind(x)
  return (k == "table" or k == "source") and rawget(x, TABLE) ~= nil
end

-- }====================================================================

return M
