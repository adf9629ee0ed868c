-- Immutable query builders: select (joins, set operations, subqueries,
-- CTEs), insert, update and delete, their executors and prepared
-- statements.
--
-- A builder holds its state in self._s; every method returns a new builder
-- with a copied state. Nothing is compiled until an executor runs: node
-- trees are made for the compile context of the builder's owner (a database,
-- a transaction, or a standalone query builder that can only :toSQL()).
local core = require "sleet.core"

-- See util.lua: the kind tests of the builders without the __metatable
-- lookup.
local getmetatable = debug and debug.getmetatable or getmetatable
local column = require "sleet.column"
local expr = require "sleet.expr"
local util = require "sleet.util"

local M = {}

local kind = util.kind
local def = column.def
local tonode, valnode = expr.tonode, expr.valnode

-- {====================================================================
-- Helpers
-- =====================================================================

local function derive(self, changes)
  local s = util.copy(self._s)
  for k, v in pairs(changes) do s[k] = v end
  return setmetatable({ _s = s }, getmetatable(self))
end

-- derive for one key whose new value may be nil (in C: the copy is made
-- at its final size in one call).
local with1 = core.with1

local function append(list, v)
  local out = {}
  for i, x in ipairs(list or {}) do out[i] = x end
  out[#out + 1] = v
  return out
end

local TABLE, TableMT, Expr = column.TABLE, column.TableMT, expr.Expr

local function issource(x)
  if getmetatable(x) == TableMT then return rawget(x, TABLE) ~= nil end
  local k = kind(x)
  return (k == "table" or k == "source") and def(x) ~= nil
end

local function sourcename(src)
  local d = def(src)
  return d.alias or d.name
end

local function realtable(what, t)
  if kind(t) ~= "table" or not def(t) then
    util.usage(what .. ": expected a table")
  end
  return def(t)
end

-- The node of a FROM / JOIN source.
local function sourcenode(src, ctx)
  local d = def(src)
  if d.kind == "table" then
    return { k = "table", name = d.name, schema = d.schema, alias = d.alias }
  end
  if d.kind == "subquery" then
    return { k = "subq", q = d.query:_subnode(ctx), alias = d.name }
  end
  return { k = "table", name = d.name } -- a CTE, by name
end

local function tablenode(d)
  return { k = "table", name = d.name, schema = d.schema, alias = d.alias }
end

local function ctesnode(list, ctx)
  if not list or #list == 0 then return nil end
  local out = {}
  for i, c in ipairs(list) do
    local d = def(c)
    out[i] = { name = d.name, q = d.query:_subnode(ctx) }
  end
  return out
end

-- A condition (where, having): a sleet expression (eq(...), sql`...`) or a
-- boolean column; nil means none. Anything else (a string, a number, true)
-- would be bound as a parameter and match every row or none, silently.
local function checkcond(what, c)
  if c == nil then return nil end
  local mt = getmetatable(c)
  if mt == Expr or mt == column.Column then return c end
  local k = kind(c)
  if k ~= "expr" and k ~= "column" then
    util.usage(("%s: expected a condition (sleet.eq(...), sleet.sql(...) or "
      .. "a boolean column), got %s"):format(what, k or type(c)))
  end
  return c
end

-- The items of orderBy / groupBy: columns or expressions (asc/desc, sql).
local function checkitems(what, list)
  for i, x in ipairs(list) do
    local k = kind(x)
    if k ~= "expr" and k ~= "column" then
      util.usage(("%s: item %d must be a column or an expression (asc, desc, "
        .. "sleet.sql), got %s"):format(what, i, k or type(x)))
    end
  end
  return list
end

local function condnode(c, ctx)
  if c == nil then return nil end
  return tonode(c, ctx)
end

local function listnodes(list, ctx)
  if not list or #list == 0 then return nil end
  local out = {}
  for i, x in ipairs(list) do out[i] = tonode(x, ctx) end
  return out
end

-- what: "limit" or "offset", the label the C binding checks placeholder
-- values by (a negative count is refused, not read as "no limit").
local function countnode(v, ctx, what)
  if v == nil then return nil end
  return valnode(v, "int", what, ctx)
end

local function checkcount(what, v)
  if v == nil or kind(v) == "placeholder" or kind(v) == "expr" then return v end
  if not util.isinteger(v) or v < 0 then
    util.usage(what .. ": expected a non-negative integer or a placeholder")
  end
  return v
end

-- A context in which columns render unqualified (set operation ORDER BY,
-- DDL expressions).
local function unqualified(ctx)
  return setmetatable({ unqualified = true }, { __index = ctx })
end
M.unqualified = unqualified

local function checkenum(c, v)
  if c.dims and c.enumValues and type(v) == "table" and util.kind(v) == nil
  then
    for _, e in ipairs(v) do checkenum(c, e) end
  elseif c.enumValues and type(v) == "string" then
    for _, e in ipairs(c.enumValues) do
      if e == v then return end
    end
    local d = def(c.table)
    util.validation(("%s.%s: %q is not one of %s"):format(d.name, c.key, v,
      table.concat(c.enumValues, ", ")), { table = d.name, column = c.name })
  end
end

-- }====================================================================

-- {====================================================================
-- Result fields
-- =====================================================================

-- Field entries are { key, group, x (column/expression/query), ty,
-- decoder }; groups are { key, nullable }. Both are independent of the
-- compile context.

local function entryof(key, x, group)
  local k = kind(x)
  if k == "column" or k == "expr" then
    return { key = key, x = x, ty = x.codec or "any", decoder = x.decoder,
      group = group }
  end
  if k == "query" then
    return { key = key, x = x, ty = x:_valuecodec(), group = group }
  end
  util.usage(("select: field %q is not a column or sql expression")
    :format(tostring(key)))
end

local function tableentries(src, group, out)
  for _, c in ipairs(def(src).columns) do
    out[#out + 1] = { key = c.key, x = c, ty = c.codec, decoder = c.decoder,
      group = group }
  end
  return out
end

-- Sort items of a partial selection: columns in creation order, then the
-- rest by key (Lua tables have no order of their own).
local function rankof(v)
  local k = kind(v)
  if k == "column" then return 0, v.seq end
  if k == "table" or k == "source" then
    local first = def(v).columns[1]
    return 0, first and first.seq or 0
  end
  if k == nil and type(v) == "table" then
    local best
    for _, x in pairs(v) do
      if kind(x) == "column" and (not best or x.seq < best) then
        best = x.seq
      end
    end
    if best then return 0, best end
  end
  return 1, 0
end

local function sortedfields(fields)
  local items = {}
  for key, v in pairs(fields) do
    if type(key) ~= "string" then
      util.usage("select: field keys must be strings")
    end
    local r, s = rankof(v)
    items[#items + 1] = { key = key, v = v, r = r, s = s }
  end
  table.sort(items, function(a, b)
    if a.r ~= b.r then return a.r < b.r end
    if a.s ~= b.s then return a.s < b.s end
    return a.key < b.key
  end)
  return items
end

-- Expands a partial selection. nullable maps source objects to whether an
-- outer join may leave them all NULL.
local function expand(fields, nullable)
  local entries, groups = {}, {}
  for _, it in ipairs(sortedfields(fields)) do
    local key, v = it.key, it.v
    local k = kind(v)
    if k == "table" or k == "source" then
      groups[#groups + 1] = { key = key, nullable = nullable[v] or false }
      tableentries(v, key, entries)
    elseif k == nil and type(v) == "table" then
      local src, same = nil, true
      local n0 = #entries
      for _, sub in ipairs(sortedfields(v)) do
        local sk = kind(sub.v)
        if sk == nil or sk == "table" or sk == "source" then
          util.usage(("select: field %q nests too deeply; one level of " ..
            "nesting is allowed"):format(key .. "." .. sub.key))
        end
        entries[#entries + 1] = entryof(sub.key, sub.v, key)
        if sk == "column" then
          src = src or sub.v.table
          if sub.v.table ~= src then same = false end
        else
          same = false
        end
      end
      if #entries == n0 then
        util.usage(("select: field %q is an empty group"):format(key))
      end
      groups[#groups + 1] = { key = key,
        nullable = (same and src and nullable[src]) or false }
    else
      entries[#entries + 1] = entryof(key, v, nil)
    end
  end
  if #entries == 0 then util.usage("select: no fields selected") end
  return entries, groups
end

-- The field nodes of entries. sub is nil for a statement of its own,
-- "value" for a subquery used as a value (in, exists, scalar, insert
-- select) and true for a subquery or CTE whose fields are referenced by key:
-- there groups are flattened and aliases are left to the renderer (each
-- field becomes `as "key"`).
local function fieldnodes(entries, ctx, sub)
  local out, seen = {}, {}
  for i, e in ipairs(entries) do
    local node = tonode(e.x, ctx, true)
    local k = kind(e.x)
    if k == "expr" and e.x.alias and sub ~= true then
      node = { k = "alias", e = node, name = e.x.alias }
    end
    if sub == "value" then
      out[i] = { key = e.key, e = node, ty = e.ty }
    elseif sub then
      if seen[e.key] then
        util.usage(("subquery: two fields are named %q; select them under " ..
          "distinct keys"):format(e.key))
      end
      seen[e.key] = true
      out[i] = { key = e.key, e = node, ty = e.ty }
    else
      out[i] = { key = e.key, e = node, ty = e.ty, group = e.group }
    end
  end
  return out
end

local function decodersof(entries)
  local list
  for i, e in ipairs(entries) do
    if e.decoder then
      list = list or {}
      list[#list + 1] = { key = e.key, group = e.group, index = i,
        fn = e.decoder }
    end
  end
  return list
end

-- }====================================================================

-- {====================================================================
-- Shared methods: executors, toSQL, prepare
-- =====================================================================

local Shared = {}

-- Compiled templates by shape (expr.lua, "Shapes"): a trie per compile
-- context, each leaf holding [TEMPLATE] = { compiled, info }.
local shaperoots = setmetatable({}, { __mode = "k" })
local rebind, spare = core.rebind, nil
local TEMPLATE = setmetatable({}, { __name = "TEMPLATE" })

-- Hands a list of shape values back for the next compile to reuse.
local function release(vals)
  for i = #vals, 1, -1 do vals[i] = nil end
  spare = vals
end

-- Compiles the query for its owner's context with the template of its
-- shape when there is one: the same SQL text, fields and decoders, only
-- the values encoded again. The first query of a shape is compiled from a
-- node tree whose params carry value slots; it becomes the template when
-- the slots hold exactly the values the shape walk found, in order.
--
-- With keep, a query whose shape has a template returns the template, its
-- info and the list of its values instead (the caller hands the list back
-- with release): the connection's runner encodes them without a rebound
-- statement.
local function compile(self, keep)
  local ctx = self._s.owner.ctx
  local sigf = self._sig
  if sigf then
    local root = shaperoots[ctx]
    if root == nil then
      root = setmetatable({}, { __mode = "k" })
      shaperoots[ctx] = root
    end
    -- the values list is reused while no compile is nested in this one
    local vals = spare or {}
    spare = nil
    local leaf = sigf(self, root, vals)
    if leaf then
      local t = leaf[TEMPLATE]
      if t then
        if keep then return t[1], t[2], vals end
        local c = rebind(t[1], vals)
        release(vals)
        return c, t[2]
      end
      local slots = { n = 0 }
      local node, info = self:_node(setmetatable({ slots = slots },
        { __index = ctx }))
      local c = core.compile(ctx.dialect, node)
      local same = slots.n == #vals
      for i = 1, slots.n do
        if not same then break end
        same = rawequal(slots[i], vals[i])
      end
      if same then leaf[TEMPLATE] = { c, info } end
      return c, info
    end
  end
  local node, info = self:_node(ctx)
  return core.compile(ctx.dialect, node), info
end
M.compile = compile

-- q.all() instead of q:all(): self is missing (nil or another value).
local function checkbuilder(self, what)
  if type(self) ~= "table" or type(rawget(self, "_s")) ~= "table" then
    util.usage(("call %s with a colon: q:%s(...), not q.%s(...) (got %s " ..
      "for the query)"):format(what, what, what, kind(self) or type(self)))
  end
end

local function runner(self, what)
  checkbuilder(self, what)
  local owner = self._s.owner
  if not owner._run then
    util.usage(what .. ": this query was built without a database; only " ..
      "toSQL() is available")
  end
  return owner
end

-- A session's _fastrun runs the statement at once when it is the
-- connection's innermost open session (what _checkopen checks) and
-- returns false otherwise; sessions with a logger have none.
local function exec(self, mode, what)
  local owner = runner(self, what)
  local fast = owner._fastrun
  if mode == "iter" then fast = nil end
  local c, info, vals = compile(self, fast ~= nil)
  if fast and not (info and info.decoders) then
    local r = fast(c, mode, owner._sid, vals)
    if r ~= false then
      if vals then release(vals) end
      return r
    end
  end
  if vals then
    c = rebind(c, vals)
    release(vals)
  end
  return owner:_run(c, mode, nil, info)
end

-- { sql = "...", params = {...} } without touching the database.
function Shared:toSQL()
  checkbuilder(self, "toSQL")
  local c = compile(self)
  return { sql = c:sql(), params = c:params() }
end

function Shared:all() return exec(self, "all", "all") end
function Shared:get() return exec(self, "get", "get") end
function Shared:values() return exec(self, "values", "values") end
function Shared:run() return exec(self, "run", "run") end
function Shared:iter() return exec(self, "iter", "iter") end

-- Rows for queries that return rows, else the run result (like Drizzle's
-- execute()).
function Shared:execute()
  return exec(self, self:_returnsrows() and "all" or "run", "execute")
end

local Prepared = { __name = "sleet.Prepared" }
Prepared.__index = Prepared

local function prun(self, mode, params)
  if params ~= nil and type(params) ~= "table" then
    util.usage("prepared query: placeholder values must be a table")
  end
  if self._handle:isclosed() then
    util.usage("prepared query: it was closed (or its connection was)")
  end
  return self._owner:_run(self._compiled, mode, params or {}, self._info,
    self._handle)
end

-- Each prepared query carries its own runners (C closures over the native
-- statement) as the fields all, get, values, run, iter and execute; they
-- run the statement without passing through prun when none of its checks
-- or its logging is needed, and call prun otherwise.
local MODES = { "all", "get", "values", "run", "iter" }

local function runners(p, handle, logged)
  for _, mode in ipairs(MODES) do
    local function checked(self, params) return prun(self, mode, params) end
    -- a logger always runs (and may yield, which LuaJIT cannot do from
    -- inside a C runner): the checked path in Lua then
    p[mode] = logged and checked or handle:runner(mode, checked, p)
  end
  p.execute = p._rows and p.all or p.run
  return p
end
function Prepared:toSQL()
  return { sql = self._compiled:sql(), params = self._compiled:params() }
end

-- Releases the native statement now (also done by the collector and when
-- the connection closes); later runs are usage errors.
function Prepared:close() self._handle:close() end
Prepared.__close = Prepared.close

-- prepare(name): compiles once; the returned object runs the statement with
-- placeholder values (:all/:get/:values/:run/:iter(params)) on one native
-- statement of the connection, created at the first run and reused by every
-- later one (PostgreSQL: a named server-side statement; MySQL: one
-- mysql_stmt; SQLite: one sqlite3_stmt, reset between runs). name is a
-- label for the caller; the server-side name is generated.
function Shared:prepare(name)
  if name ~= nil and type(name) ~= "string" then
    util.usage("prepare: the name must be a string")
  end
  local owner = runner(self, "prepare")
  local c, info = compile(self)
  local handle = owner:_prepare(c, info)
  return runners(setmetatable({ _owner = owner, _compiled = c, _info = info,
    _handle = handle, _rows = self:_returnsrows(), name = name }, Prepared),
    handle, owner._logger ~= nil)
end

local function class(name, methods)
  local mt = { __kind = "query", __name = name }
  local index = {}
  for k, v in pairs(Shared) do index[k] = v end
  for k, v in pairs(methods) do index[k] = v end
  mt.__index = index
  return mt, index
end

-- }====================================================================

-- {====================================================================
-- select
-- =====================================================================

local Select, SelectM = class("sleet.Select", {})
local Setop, SetopM = class("sleet.SetOperation", {})
local Source = { __kind = "source", __name = "sleet.Subquery" }
function Source.__tostring(x) return "subquery " .. def(x).name end

-- The joins of a select without any (never modified: joins are appended
-- to a copy).
local NOJOINS = {}

-- A select builder. fields: nil (all columns) or a partial selection.
function M.select(owner, fields, opts)
  if fields ~= nil and (type(fields) ~= "table" or kind(fields) ~= nil) then
    util.usage("select: fields must be a table of columns and expressions")
  end
  if opts == nil then
    -- _n: the most keys the state holds (core.with1 sizes its copies)
    return setmetatable({ _s = { owner = owner, fields = fields,
      joins = NOJOINS }, _n = 3 }, Select)
  end
  return setmetatable({ _s = {
    owner = owner, fields = fields, distinct = opts.distinct or nil,
    distinctOn = opts.distinctOn, with = opts.with, joins = NOJOINS,
  } }, Select)
end

function SelectM:from(src)
  if not issource(src) then
    util.usage("from: expected a table, a subquery or a CTE")
  end
  return with1(self, "from", src)
end

function SelectM:where(c)
  return with1(self, "where", checkcond("where", c))
end
function SelectM:having(c)
  return with1(self, "having", checkcond("having", c))
end
function SelectM:groupBy(...)
  return with1(self, "groupBy", checkitems("groupBy", util.varlist(...)))
end
function SelectM:orderBy(...)
  return with1(self, "orderBy", checkitems("orderBy", util.varlist(...)))
end
function SelectM:limit(n)
  return with1(self, "limit", checkcount("limit", n))
end
function SelectM:offset(n)
  return with1(self, "offset", checkcount("offset", n))
end
function SelectM:distinct() return with1(self, "distinct", true) end

local LOCKS = { update = true, share = true, ["no key update"] = true,
  ["key share"] = true }
local LOCKOPTS = { skipLocked = true, noWait = true, of = true }

-- q:for_(strength, { skipLocked, noWait, of }): a row lock (Drizzle's
-- .for(); for is a Lua keyword). strength "update" or "share" everywhere
-- locks rows can be (MySQL: FOR UPDATE, LOCK IN SHARE MODE), "no key
-- update" and "key share" on PostgreSQL; of: a table or a list (PostgreSQL).
function SelectM:for_(strength, opts)
  if not LOCKS[strength] then
    util.usage(("for_: the lock must be \"update\", \"share\", \"no key " ..
      "update\" or \"key share\", got %s"):format(tostring(strength)))
  end
  if opts ~= nil and (type(opts) ~= "table" or kind(opts) ~= nil) then
    util.usage("for_: options must be a table { skipLocked, noWait, of }")
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not LOCKOPTS[k] then
      util.usage(("for_: unknown option %s (skipLocked, noWait, of)")
        :format(tostring(k)))
    end
  end
  if opts.skipLocked and opts.noWait then
    util.usage("for_: skipLocked and noWait exclude each other")
  end
  local of = opts.of
  if of ~= nil then
    if kind(of) == "table" then of = { of } end
    if type(of) ~= "table" or kind(of) ~= nil or #of == 0 then
      util.usage("for_: of must be a table or a list of tables")
    end
    for i, t in ipairs(of) do
      if kind(t) ~= "table" then
        util.usage(("for_: of item %d is not a table"):format(i))
      end
    end
  end
  return with1(self, "lock", { strength = strength,
    wait = opts.skipLocked and "skip locked" or opts.noWait and "nowait" or
      nil, of = of })
end

local function joiner(jtype, lateral)
  local what = jtype .. (lateral and "JoinLateral" or "Join")
  return function(self, src, on)
    if lateral then
      local sd = issource(src) and def(src)
      if not (sd and sd.kind == "subquery") then
        util.usage(what .. ": expected a subquery (q:as(name))")
      end
    elseif not issource(src) then
      util.usage(what .. ": expected a table, a subquery or a CTE")
    end
    if jtype ~= "cross" then
      if on == nil then
        util.usage(what .. ": a join condition is required")
      end
      checkcond(what, on)
    elseif on ~= nil then
      util.usage(what .. ": a cross join takes no condition")
    end
    return with1(self, "joins", append(self._s.joins,
      { type = jtype, source = src, on = on, lateral = lateral or nil }))
  end
end

SelectM.leftJoin = joiner("left")
SelectM.innerJoin = joiner("inner")
SelectM.rightJoin = joiner("right")
SelectM.fullJoin = joiner("full")
SelectM.crossJoin = joiner("cross")
-- Lateral joins: the subquery sees the tables joined before it
-- (PostgreSQL, MySQL 8).
SelectM.leftJoinLateral = joiner("left", true)
SelectM.innerJoinLateral = joiner("inner", true)
SelectM.crossJoinLateral = joiner("cross", true)

-- The sources of a select in order, and which may be all NULL (Drizzle's
-- rules: left → the joined side; right → every earlier side; full → all).
local function sources(s)
  local list, nullable = {}, {}
  if s.from then
    list[1] = s.from
    nullable[s.from] = false
  end
  for _, j in ipairs(s.joins) do
    if j.type == "left" then
      nullable[j.source] = true
    elseif j.type == "right" then
      for src in pairs(nullable) do nullable[src] = true end
      nullable[j.source] = false
    elseif j.type == "full" then
      for src in pairs(nullable) do nullable[src] = true end
      nullable[j.source] = true
    else
      nullable[j.source] = false
    end
    list[#list + 1] = j.source
  end
  return list, nullable
end

-- The field entries of `select():from(t)` (every column of one table, no
-- joins) and their nodes per compile context: the same for every query of
-- that shape, which request handlers build over and over, so they are made
-- once. Entries and nodes are never modified after they are built.
local plain = setmetatable({}, { __mode = "k" })

local function plainshape(src)
  local c = plain[src]
  if c == nil then
    c = { entries = tableentries(src, nil, {}),
      nodes = setmetatable({}, { __mode = "k" }) }
    plain[src] = c
  end
  return c
end

function SelectM:_fieldspec()
  local cached = rawget(self, "_fs")
  if cached then return cached[1], cached[2] end
  local s = self._s
  local entries, groups = {}, {}
  local list, nullable = sources(s)
  if s.fields then
    entries, groups = expand(s.fields, nullable)
  elseif not s.from then
    util.usage("select: call from() or select fields")
  elseif #s.joins == 0 then
    entries = plainshape(s.from).entries
  else
    local seen = {}
    for _, src in ipairs(list) do
      local key = sourcename(src)
      if seen[key] then
        util.usage(("select: %s is joined twice; use alias() for one of " ..
          "them"):format(key))
      end
      seen[key] = true
      groups[#groups + 1] = { key = key, nullable = nullable[src] }
      tableentries(src, key, entries)
    end
  end
  rawset(self, "_fs", { entries, groups })
  return entries, groups
end

function SelectM:_valuecodec()
  local entries = self:_fieldspec()
  return entries[1].ty
end

function SelectM._returnsrows() return true end

-- The select node; sub: as a subquery / CTE / set operand inside another
-- statement.
function SelectM:_build(ctx, sub)
  local s = self._s
  local entries, groups = self:_fieldspec()
  local joins
  for i, j in ipairs(s.joins) do
    joins = joins or {}
    joins[i] = { type = j.type, source = sourcenode(j.source, ctx),
      on = condnode(j.on, ctx), lateral = j.lateral }
  end
  local fields
  if sub == false and not s.fields and #s.joins == 0 then
    local shape = plainshape(s.from)
    fields = shape.nodes[ctx]
    if fields == nil then
      fields = fieldnodes(entries, ctx, sub)
      shape.nodes[ctx] = fields
    end
  else
    fields = fieldnodes(entries, ctx, sub)
  end
  local lock, lockOf = s.lock, nil
  if lock and lock.of then
    lockOf = {}
    for i, t in ipairs(lock.of) do lockOf[i] = sourcenode(t, ctx) end
  end
  local node = {
    k = "select",
    distinct = s.distinct,
    distinctOn = listnodes(s.distinctOn, ctx),
    lock = lock and lock.strength, lockWait = lock and lock.wait,
    lockOf = lockOf,
    with = ctesnode(s.with, ctx),
    fields = fields,
    groups = (not sub and #groups > 0) and groups or nil,
    alias_fields = sub == true or nil,
    from = s.from and sourcenode(s.from, ctx) or nil,
    joins = joins,
    where = condnode(s.where, ctx),
    groupBy = listnodes(s.groupBy, ctx),
    having = condnode(s.having, ctx),
    orderBy = listnodes(s.orderBy, ctx),
    limit = countnode(s.limit, ctx, "limit"),
    offset = countnode(s.offset, ctx, "offset"),
  }
  return node, entries
end

-- The shape of a statement of its own (expr.lua, "Shapes"): its source,
-- which clauses it has, then those clauses in the order _build makes param
-- nodes: joins, where, groupBy, having, orderBy, limit, offset (the
-- fields and sources of a shape take no values). nil for what has no
-- shape here: partial selections, CTEs, subqueries.
local step, sig, valsig = expr.step, expr.sig, expr.valsig

local function listsig(list, cur, vals)
  local n = #list
  cur = cur[n] or step(cur, n)
  for i = 1, n do
    if cur == nil then return nil end
    cur = sig(list[i], cur, vals)
  end
  return cur
end

local ColumnMT = column.Column
local FIELDS = setmetatable({}, { __name = "FIELDS" })

-- The shape of a partial selection of columns and expressions without
-- values, aliases or mapWith (whose decoders a template could not tell
-- apart); nil for anything else (nested objects, subqueries). Keys come
-- in the table's own order: the same fields in another order only make
-- a second path to an equal template.
local function fieldsig(fields, cur, vals)
  local n = 0
  for _ in pairs(fields) do n = n + 1 end
  cur = cur[FIELDS] or step(cur, FIELDS)
  cur = cur and (cur[n] or step(cur, n))
  for key, v in pairs(fields) do
    if cur == nil or type(key) ~= "string" then return nil end
    cur = cur[key] or step(cur, key)
    if cur == nil then return nil end
    local mt = getmetatable(v)
    if mt == ColumnMT then
      cur = cur[v] or step(cur, v)
    elseif mt == Expr and rawget(v, "alias") == nil and
      rawget(v, "mapped") == nil and rawget(v, "_op") ~= nil then
      local before = #vals
      cur = sig(v, cur, vals)
      if #vals ~= before then return nil end
    else
      return nil
    end
  end
  return cur
end

function SelectM:_sig(root, vals)
  local s = self._s
  local from = s.from
  if s.with ~= nil or getmetatable(from) ~= TableMT or
    s.lock ~= nil or s.distinctOn ~= nil then
    return nil
  end
  local joins, where, groupBy, having = s.joins, s.where, s.groupBy, s.having
  local orderBy, limit, offset = s.orderBy, s.limit, s.offset
  if groupBy ~= nil and #groupBy == 0 then groupBy = nil end
  if orderBy ~= nil and #orderBy == 0 then orderBy = nil end
  local mask = #joins * 128 + (s.distinct and 1 or 0)
    + (where ~= nil and 2 or 0) + (groupBy ~= nil and 4 or 0)
    + (having ~= nil and 8 or 0) + (orderBy ~= nil and 16 or 0)
    + (limit ~= nil and 32 or 0) + (offset ~= nil and 64 or 0)
  local cur = root[from] or step(root, from)
  cur = cur and (cur[mask] or step(cur, mask))
  if cur and s.fields ~= nil then cur = fieldsig(s.fields, cur, vals) end
  for i = 1, #joins do
    local j = joins[i]
    if cur == nil or getmetatable(j.source) ~= TableMT then return nil end
    cur = step(cur, j.type)
    cur = cur and step(cur, j.source)
    if cur and j.on ~= nil then
      cur = step(cur, true)
      cur = cur and sig(j.on, cur, vals)
    end
  end
  if cur and where ~= nil then cur = sig(where, cur, vals) end
  if cur and groupBy ~= nil then cur = listsig(groupBy, cur, vals) end
  if cur and having ~= nil then cur = sig(having, cur, vals) end
  if cur and orderBy ~= nil then cur = listsig(orderBy, cur, vals) end
  if cur and limit ~= nil then cur = valsig(limit, cur, vals) end
  if cur and offset ~= nil then cur = valsig(offset, cur, vals) end
  return cur
end

function SelectM:_subnode(ctx) return (self:_build(ctx, true)) end
function SelectM:_valuenode(ctx) return (self:_build(ctx, "value")) end

function SelectM:_node(ctx)
  local node, entries = self:_build(ctx, false)
  return node, { decoders = decodersof(entries) }
end

local function makesource(skind, name, q, what)
  if type(name) ~= "string" or name == "" then
    util.usage(what .. ": the name must be a non-empty string")
  end
  if kind(q) ~= "query" or not q._fieldspec then
    util.usage(what .. ": expected a select query")
  end
  local entries = q:_fieldspec()
  local obj = {}
  local d = { kind = skind, name = name, query = q, columns = {}, byKey = {} }
  for i, e in ipairs(entries) do
    if d.byKey[e.key] then
      util.usage(("%s %s: two fields are named %q"):format(what, name, e.key))
    end
    local c = setmetatable({
      table = obj, key = e.key, name = e.key, fixedName = true,
      codec = e.ty, decoder = e.decoder, seq = column.nextseq(),
      notNull = false, primary = false, hasDefault = false,
    }, column.Column)
    d.columns[i] = c
    d.byKey[e.key] = c
    obj[e.key] = c
  end
  obj[column.TABLE] = d
  return setmetatable(obj, Source)
end

-- q:as("sq"): a subquery usable in from/joins; its fields are sq.key.
function SelectM:as(alias) return makesource("subquery", alias, self, "as") end

-- sleet.cte("name", q): a common table expression for db:with().
function M.cte(name, q) return makesource("cte", name, q, "cte") end

-- Set operations.
local function setop(op)
  return function(self, other)
    if kind(other) ~= "query" or not other._fieldspec then
      util.usage(op .. ": expected a select query")
    end
    return setmetatable({ _s = { owner = self._s.owner, op = op, l = self,
      r = other } }, Setop)
  end
end

for name, op in pairs({ union = "union", unionAll = "union all",
  intersect = "intersect", except = "except",
  intersectAll = "intersect all", exceptAll = "except all" }) do
  SelectM[name] = setop(op)
  SetopM[name] = setop(op)
end

function SetopM:orderBy(...)
  return with1(self, "orderBy", checkitems("orderBy", util.varlist(...)))
end
function SetopM:limit(n) return with1(self, "limit", checkcount("limit", n)) end
function SetopM:offset(n)
  return with1(self, "offset", checkcount("offset", n))
end
function SetopM:_fieldspec() return self._s.l:_fieldspec() end
function SetopM:_valuecodec() return self._s.l:_valuecodec() end
function SetopM._returnsrows() return true end

function SetopM:_build(ctx, sub)
  local s = self._s
  local l, entries = s.l:_build(ctx, sub)
  local octx = unqualified(ctx)
  local node = {
    k = "setop", op = s.op, l = l, r = (s.r:_build(ctx, sub)),
    orderBy = listnodes(s.orderBy, octx),
    limit = countnode(s.limit, ctx, "limit"),
    offset = countnode(s.offset, ctx, "offset"),
  }
  return node, entries
end

SetopM._subnode = SelectM._subnode
SetopM._valuenode = SelectM._valuenode
SetopM._node = SelectM._node
SetopM.as = SelectM.as

-- sleet.union(q1, q2, ...) and friends.
for name in pairs({ union = 1, unionAll = 1, intersect = 1, except = 1,
  intersectAll = 1, exceptAll = 1 }) do
  M[name] = function(first, ...)
    if kind(first) ~= "query" or not first[name] then
      util.usage(name .. ": expected select queries")
    end
    local q = first
    for i = 1, select("#", ...) do q = q[name](q, (select(i, ...))) end
    return q
  end
end

-- }====================================================================

-- {====================================================================
-- insert / update / delete
-- =====================================================================

local Insert, InsertM = class("sleet.Insert", {})
local Update, UpdateM = class("sleet.Update", {})
local Delete, DeleteM = class("sleet.Delete", {})

-- returning reads the row written, so only the statement's own table: a
-- column of another table would render unqualified and read the column of
-- that name in the written table (or fail), never the other table's.
local function checkreturning(fields, own, where)
  for key, v in pairs(fields) do
    local k = kind(v)
    local src = (k == "column" and v.table) or
      ((k == "table" or k == "source") and v) or nil
    if src ~= nil and src ~= own then
      local sd, od = def(src), def(own)
      util.usage(("returning: field %q%s is %s of table %s, not of %s " ..
        "(returning gives only the written table's columns)"):format(
        tostring(key), where, k == "column" and "a column" or "the columns",
        sd and (sd.alias or sd.name) or "?", od and od.name or "?"))
    elseif k == nil and type(v) == "table" then
      checkreturning(v, own, (" in group %q"):format(tostring(key)))
    end
  end
end

local function returningspec(self, fields)
  if fields ~= nil and (type(fields) ~= "table" or kind(fields) ~= nil) then
    util.usage("returning: fields must be a table of columns")
  end
  if fields ~= nil and self._s.table ~= nil then
    checkreturning(fields, self._s.table, "")
  end
  return with1(self, "returning", fields or true)
end

local function returningnode(s, ctx)
  if not s.returning then return nil, nil end
  local entries
  if s.returning == true then
    entries = tableentries(s.table, nil, {})
  else
    entries = expand(s.returning, {})
  end
  return fieldnodes(entries, ctx, false), entries
end

local function unknownkey(d, key, what)
  util.validation(("%s: unknown column %q in table %s"):format(what,
    tostring(key), d.name), { table = d.name, column = tostring(key) })
end

-- Checks the keys and values of a set / row; returns nothing.
local function checkvalues(d, row, what)
  for key, v in pairs(row) do
    local c = type(key) == "string" and d.byKey[key] or nil
    if not c then unknownkey(d, key, what) end
    if c.generated then
      util.validation(("%s: %s.%s is a generated column"):format(what, d.name,
        key), { table = d.name, column = c.name })
    end
    if c.identity and c.identity.type == "always" then
      util.validation(("%s: %s.%s is generated always as identity: the " ..
        "database assigns it"):format(what, d.name, key),
        { table = d.name, column = c.name })
    end
    if v == core.null and c.notNull then
      util.validation(("%s: %s.%s is NOT NULL and cannot be set to "
        .. "sleet.null"):format(what, d.name, key),
        { table = d.name, column = c.name })
    end
    checkenum(c, v)
  end
end

function M.insert(owner, t, opts)
  realtable("insert", t)
  return setmetatable({ _s = { owner = owner, table = t,
    with = opts and opts.with } }, Insert)
end

-- values(row) / values({ row, row, ... }).
function InsertM:values(rows)
  local d = def(self._s.table)
  if type(rows) ~= "table" or kind(rows) ~= nil then
    util.usage("values: expected a row table or a list of rows")
  end
  local list
  if util.islist(rows) then
    list = {}
    for i = 1, #rows do list[i] = rows[i] end
  else
    list = { rows }
  end
  for i, row in ipairs(list) do
    if type(row) ~= "table" or kind(row) ~= nil then
      util.usage(("values: row %d is not a table"):format(i))
    end
    checkvalues(d, row, "insert")
    for _, c in ipairs(d.columns) do
      if row[c.key] == nil and c.notNull and not c.hasDefault and not c.auto
        and not c.generated then
        util.validation(("insert: %s.%s is NOT NULL and has no value and no " ..
          "default"):format(d.name, c.key), { table = d.name, column = c.name })
      end
    end
  end
  return derive(self, { rows = list, select = false })
end

-- select(q): INSERT ... SELECT; q's field keys name the table's columns.
function InsertM:select(q)
  if kind(q) ~= "query" or not q._fieldspec then
    util.usage("insert select: expected a select query")
  end
  local d = def(self._s.table)
  for _, e in ipairs((q:_fieldspec())) do
    if not d.byKey[e.key] then unknownkey(d, e.key, "insert select") end
  end
  return derive(self, { select = q, rows = false })
end

function InsertM:ignore() return with1(self, "ignore", true) end

local function targetlist(what, t)
  if t == nil then return nil end
  if kind(t) == "column" then return { t } end
  if type(t) == "table" and kind(t) == nil and #t > 0 then
    for i, c in ipairs(t) do
      if kind(c) ~= "column" then
        util.usage(("%s: target %d is not a column"):format(what, i))
      end
    end
    return t
  end
  util.usage(what .. ": target must be a column or a list of columns")
end

local function checkset(d, set, what)
  if type(set) ~= "table" or kind(set) ~= nil then
    util.usage(what .. ": set must be a table of column values")
  end
  checkvalues(d, set, what)
  return set
end

function InsertM:onConflictDoNothing(opts)
  opts = opts or {}
  if type(opts) ~= "table" or kind(opts) ~= nil then
    util.usage(("onConflictDoNothing: expected nothing or { target, where }, " ..
      "got %s"):format(kind(opts) or type(opts)))
  end
  for k in pairs(opts) do
    if k ~= "target" and k ~= "where" then
      util.usage(("onConflictDoNothing: unknown option %s (options: target, " ..
        "where)"):format(tostring(k)))
    end
  end
  return with1(self, "conflict", { action = "nothing",
    target = targetlist("onConflictDoNothing", opts.target),
    where = opts.where })
end

function InsertM:onConflictDoUpdate(opts)
  if type(opts) ~= "table" then
    util.usage("onConflictDoUpdate: expected { target, set }")
  end
  local d = def(self._s.table)
  local target = targetlist("onConflictDoUpdate", opts.target)
  if not target then util.usage("onConflictDoUpdate: target is required") end
  return with1(self, "conflict", { action = "update", target = target,
    where = opts.targetWhere or opts.where,
    set = checkset(d, opts.set, "onConflictDoUpdate"),
    setWhere = opts.setWhere })
end

function InsertM:onDuplicateKeyUpdate(opts)
  if type(opts) ~= "table" then
    util.usage("onDuplicateKeyUpdate: expected { set }")
  end
  local d = def(self._s.table)
  return with1(self, "dup", { set = checkset(d, opts.set,
    "onDuplicateKeyUpdate") })
end

InsertM.returning = returningspec
function InsertM:_returnsrows() return self._s.returning ~= nil end

-- The SET list of an update or upsert, in column order; onUpdateFn fills
-- columns the set does not name.
local function setnodes(d, set, ctx)
  local out = {}
  for _, c in ipairs(d.columns) do
    local v = set[c.key]
    if v == nil and c.onUpdateFn then v = c.onUpdateFn() end
    if v ~= nil then
      out[#out + 1] = { column = column.sqlname(c, ctx.casing),
        value = valnode(v, c.codec, expr.label(c, ctx), ctx) }
    end
  end
  return out
end

-- The value of a column a row lacks.
local function missingnode(c, ctx)
  if ctx.dialect ~= "sqlite" then return { k = "default" } end
  -- SQLite has no DEFAULT inside VALUES: use the schema default
  local dv = c.default
  if dv == nil then return { k = "null" } end
  if kind(dv) == "expr" then return tonode(dv, ctx) end
  return { k = "param", v = dv, ty = c.codec, col = expr.label(c, ctx) }
end

-- Whether inserts into table definition d can share compiled shapes: no
-- column computes a value in Lua (defaultFn, onUpdateFn run per insert).
local function plaininsert(d)
  local ok = d.plainInsert
  if ok == nil then
    ok = true
    for _, c in ipairs(d.columns) do
      if c.defaultFn or c.onUpdateFn then ok = false end
    end
    d.plainInsert = ok
  end
  return ok
end

local INSERT = setmetatable({}, { __name = "INSERT" })

-- The shape of an insert of rows that all give the same columns, with
-- returning of nothing or of every column: the table, the row count and
-- the columns given, then each value (expr.lua, "Shapes"). nil for the
-- rest (insert ... select, upserts, ignore, with, partial returning).
function InsertM:_sig(root, vals)
  local s = self._s
  local rows = s.rows
  if rows == nil or s.select or s.with or s.conflict or s.dup or s.ignore or
    (s.returning ~= nil and s.returning ~= true) then
    return nil
  end
  local t = s.table
  local d = def(t)
  if not plaininsert(d) then return nil end
  local first = rows[1]
  local cur = root[INSERT] or step(root, INSERT)
  cur = cur and (cur[t] or step(cur, t))
  cur = cur and step(cur, #rows)
  cur = cur and step(cur, s.returning == true)
  local cols = d.columns
  for i = 1, #cols do
    if cur == nil then return nil end
    local c = cols[i]
    if first[c.key] ~= nil then cur = cur[c] or step(cur, c) end
  end
  if cur == nil then return nil end
  cur = cur[INSERT] or step(cur, INSERT)
  for r = 1, #rows do
    local row = rows[r]
    for i = 1, #cols do
      local c = cols[i]
      local v = row[c.key]
      if (v == nil) ~= (first[c.key] == nil) then return nil end
      if v ~= nil then
        cur = valsig(v, cur, vals)
        if cur == nil then return nil end
      end
    end
  end
  return cur
end

function InsertM:_build(ctx)
  local s = self._s
  local d = def(s.table)
  local node = { k = "insert", with = ctesnode(s.with, ctx),
    table = tablenode(d), ignore = s.ignore }
  if s.select then
    local cols = {}
    for i, e in ipairs((s.select:_fieldspec())) do
      cols[i] = column.sqlname(d.byKey[e.key], ctx.casing)
    end
    node.columns = cols
    node.select = s.select:_valuenode(ctx)
  elseif s.rows then
    local present = {}
    for _, row in ipairs(s.rows) do
      for key in pairs(row) do present[key] = true end
    end
    local cols = {}
    for _, c in ipairs(d.columns) do
      if not c.generated
        and (present[c.key] or c.defaultFn or c.onUpdateFn) then
        cols[#cols + 1] = c
      end
    end
    if #cols == 0 then
      -- nothing given: one column takes its default (DEFAULT VALUES)
      for _, c in ipairs(d.columns) do
        if c.auto and not c.generated then
          cols[1] = c
          break
        end
      end
      if #cols == 0 then
        for _, c in ipairs(d.columns) do
          if not c.generated then
            cols[1] = c
            break
          end
        end
      end
      if #cols == 0 then
        util.usage(("insert: table %s has no insertable column"):format(d.name))
      end
    end
    local names, rows = {}, {}
    for i, c in ipairs(cols) do names[i] = column.sqlname(c, ctx.casing) end
    for r, row in ipairs(s.rows) do
      local vals = {}
      for i, c in ipairs(cols) do
        local v = row[c.key]
        if v == nil then
          if c.defaultFn then
            v = c.defaultFn()
          elseif c.default == nil and c.onUpdateFn then
            v = c.onUpdateFn()
          end
        end
        if v == nil then
          vals[i] = missingnode(c, ctx)
        else
          vals[i] = valnode(v, c.codec, expr.label(c, ctx), ctx)
        end
      end
      rows[r] = vals
    end
    node.columns = names
    node.rows = rows
  else
    util.usage(("insert into %s: call values() or select()"):format(d.name))
  end
  if s.conflict then
    local cf = s.conflict
    local targets
    if cf.target then
      targets = {}
      for i, c in ipairs(cf.target) do targets[i] = expr.colnode(c, ctx) end
    end
    node.conflict = {
      action = cf.action, target = targets,
      where = condnode(cf.where, unqualified(ctx)),
      set = cf.set and setnodes(d, cf.set, ctx) or nil,
      setWhere = condnode(cf.setWhere, ctx),
    }
  end
  if s.dup then node.dup = { set = setnodes(d, s.dup.set, ctx) } end
  local ret, entries = returningnode(s, ctx)
  node.returning = ret
  return node, entries
end

function InsertM:_node(ctx)
  local node, entries = self:_build(ctx)
  return node, { decoders = entries and decodersof(entries) }
end

function M.update(owner, t, opts)
  realtable("update", t)
  return setmetatable({ _s = { owner = owner, table = t,
    with = opts and opts.with } }, Update)
end

function UpdateM:set(values)
  return with1(self, "set", checkset(def(self._s.table), values, "update"))
end

function UpdateM:where(c)
  return with1(self, "where", checkcond("where", c))
end

-- update(t):set(v):from(other): other's rows in the where (PostgreSQL,
-- SQLite).
function UpdateM:from(src)
  if not issource(src) then
    util.usage("update from: expected a table, a subquery or a CTE")
  end
  return with1(self, "from", src)
end

-- orderBy and limit on an update or delete (MySQL, SQLite).
local function dmlorder(self, ...)
  return with1(self, "orderBy", checkitems("orderBy", util.varlist(...)))
end
local function dmllimit(self, n)
  return with1(self, "limit", checkcount("limit", n))
end
UpdateM.orderBy, UpdateM.limit = dmlorder, dmllimit
UpdateM.returning = returningspec
function UpdateM:_returnsrows() return self._s.returning ~= nil end

local UPDATE = setmetatable({}, { __name = "UPDATE" })
local DELETE = setmetatable({}, { __name = "DELETE" })

-- The shape of an update or delete of one table with a where (or none)
-- and no from, orderBy, limit, with or partial returning: the set columns
-- and their values, then the where. nil for the rest.
local function dmlsig(self, root, vals, token)
  local s = self._s
  if s.with or s.from or s.orderBy or s.limit or
    (s.returning ~= nil and s.returning ~= true) then
    return nil
  end
  local t = s.table
  local d = def(t)
  if not plaininsert(d) then return nil end
  local cur = root[token] or step(root, token)
  cur = cur and (cur[t] or step(cur, t))
  cur = cur and step(cur, s.returning == true)
  local set = s.set
  if set ~= nil then
    local cols = d.columns
    for i = 1, #cols do
      if cur == nil then return nil end
      local c = cols[i]
      local v = set[c.key]
      if v ~= nil then
        cur = cur[c] or step(cur, c)
        cur = cur and valsig(v, cur, vals)
      end
    end
  end
  if cur == nil then return nil end
  cur = cur[token] or step(cur, token)
  if cur and s.where ~= nil then cur = sig(s.where, cur, vals) end
  return cur
end

function UpdateM:_sig(root, vals)
  if self._s.set == nil then return nil end
  return dmlsig(self, root, vals, UPDATE)
end
function DeleteM:_sig(root, vals) return dmlsig(self, root, vals, DELETE) end

function UpdateM:_build(ctx)
  local s = self._s
  local d = def(s.table)
  if not s.set then
    util.usage(("update %s: set() is required"):format(d.name))
  end
  local set = setnodes(d, s.set, ctx)
  if #set == 0 then
    util.usage(("update %s: no values to set"):format(d.name))
  end
  local node = { k = "update", with = ctesnode(s.with, ctx),
    table = tablenode(d), set = set,
    from = s.from and sourcenode(s.from, ctx) or nil,
    where = condnode(s.where, ctx), orderBy = listnodes(s.orderBy, ctx),
    limit = countnode(s.limit, ctx, "limit") }
  local ret, entries = returningnode(s, ctx)
  node.returning = ret
  return node, entries
end

UpdateM._node = InsertM._node

function M.delete(owner, t, opts)
  realtable("delete", t)
  return setmetatable({ _s = { owner = owner, table = t,
    with = opts and opts.with } }, Delete)
end

function DeleteM:where(c)
  return with1(self, "where", checkcond("where", c))
end
DeleteM.orderBy, DeleteM.limit = dmlorder, dmllimit
DeleteM.returning = returningspec
function DeleteM:_returnsrows() return self._s.returning ~= nil end

function DeleteM:_build(ctx)
  local s = self._s
  local d = def(s.table)
  local node = { k = "delete", with = ctesnode(s.with, ctx),
    table = tablenode(d), where = condnode(s.where, ctx),
    orderBy = listnodes(s.orderBy, ctx),
    limit = countnode(s.limit, ctx, "limit") }
  local ret, entries = returningnode(s, ctx)
  node.returning = ret
  return node, entries
end

DeleteM._node = InsertM._node

-- }====================================================================

-- {====================================================================
-- Entry points shared by databases, transactions and standalone builders
-- =====================================================================

local function checkctes(list)
  for i, c in ipairs(list) do
    local d = def(c)
    if not d or d.kind ~= "cte" then
      util.usage(("with: argument %d is not a CTE (use sleet.cte(name, q))")
        :format(i))
    end
  end
  return list
end

-- Adds select/selectDistinct/insert/update/delete/with to class table C,
-- whose instances have a ctx (and _run when they can execute).
function M.mixin(C)
  function C:select(fields) return M.select(self, fields) end
  function C:selectDistinct(fields)
    return M.select(self, fields, { distinct = true })
  end
  -- db:selectDistinctOn(on, fields): PostgreSQL's DISTINCT ON, on a
  -- column, an expression or a list of them.
  function C:selectDistinctOn(on, fields)
    if kind(on) ~= nil then on = { on } end
    if type(on) ~= "table" or #on == 0 then
      util.usage("selectDistinctOn: expected a column or a list of columns")
    end
    return M.select(self, fields, {
      distinctOn = checkitems("selectDistinctOn", on) })
  end
  -- db:count(t, where?): the rows of table (or subquery) t that match
  -- where, as a number (Drizzle's $count).
  function C:count(t, where)
    if not issource(t) then
      util.usage("count: expected a table, a subquery or a CTE")
    end
    local q = M.select(self, { n = expr.count() }):from(t)
    if where ~= nil then q = q:where(where) end
    return q:get().n
  end
  function C:insert(t) return M.insert(self, t) end
  function C:update(t) return M.update(self, t) end
  function C:delete(t) return M.delete(self, t) end
  function C:with(...)
    local ctes = checkctes(util.varlist(...))
    local owner = self
    return {
      select = function(_, fields)
        return M.select(owner, fields, { with = ctes })
      end,
      selectDistinct = function(_, fields)
        return M.select(owner, fields, { with = ctes, distinct = true })
      end,
      insert = function(_, t) return M.insert(owner, t, { with = ctes }) end,
      update = function(_, t) return M.update(owner, t, { with = ctes }) end,
      delete = function(_, t) return M.delete(owner, t, { with = ctes }) end,
    }
  end
end

local Standalone = { __name = "sleet.QueryBuilder" }
Standalone.__index = Standalone
M.mixin(Standalone)

local dialects = {
  sqlite = "sqlite", sqlite3 = "sqlite",
  postgresql = "postgresql", postgres = "postgresql", pg = "postgresql",
  mysql = "mysql", mariadb = "mysql",
}

-- The canonical dialect name ("sqlite", "postgresql", "mysql").
function M.dialect(name)
  local d = type(name) == "string" and dialects[name:lower()] or nil
  if not d then
    util.usage(("unknown dialect %s (expected sqlite, postgresql or mysql)")
      :format(tostring(name)))
  end
  return d
end

-- sleet.queryBuilder(dialect, { casing }): builders that only compile.
function M.builder(dialect, opts)
  opts = opts or {}
  local casing = require "sleet.casing"
  return setmetatable({ ctx = { dialect = M.dialect(dialect),
    casing = casing.resolve(opts.casing, util.usage) } }, Standalone)
end

-- True when x is a query builder.
function M.isquery(x) return kind(x) == "query" end

-- }====================================================================

return M
