-- Relational queries: sleet.defineRelations (Drizzle's relations v2) and
-- db.query.<table>:findMany / :findFirst.
--
-- A relational query is compiled into ONE select statement in every
-- dialect. The root table's columns are plain result fields. Each relation
-- named in `with` is one more field: a correlated subquery in which the
-- database aggregates the related rows into JSON. That field carries a
-- `shape` (docs/internals.md) from which the C core decodes the JSON
-- straight into Lua tables with each column's codec, so nested values are
-- the ones the flat query builder returns.
--
-- Rows travel as JSON arrays in the order of their shape (no keys to send
-- or parse). How each dialect spells the JSON is decided here:
--   postgresql  json_build_array(...), json_agg(... order by ...); with a
--               limit/offset the rows are taken in a derived table and
--               numbered (row_number) so the aggregate keeps their order.
--   sqlite      json_array(...), json_group_array(...); an ordered or
--               limited relation aggregates an ordered derived table
--               (SQLite feeds an aggregate in the subquery's order).
--   mysql       json_array(...), json_arrayagg(... order by ... limit ...)
--               (MariaDB 10.5+: ordering and limit inside the aggregate, no
--               LATERAL and no outer references in derived tables needed).
-- Values JSON cannot carry exactly are sent as text (numerics, timestamps,
-- dates and times; SQLite reals with 17 digits) or as hex (blobs).
local core = require "sleet.core"
local column = require "sleet.column"
local expr = require "sleet.expr"
local util = require "sleet.util"

local M = {}

local kind, def = util.kind, column.def
local sortedkeys = util.sortedkeys

-- {====================================================================
-- defineRelations
-- =====================================================================

local Relations = { __kind = "relations", __name = "sleet.Relations" }
Relations.__index = Relations

-- A column reference of the relation builder (r.users.id), which can be
-- routed through a junction table (r.users.id:through(r.usersToGroups.userId)).
local ColRef = { __kind = "colref", __name = "sleet.RelationColumn" }
ColRef.__index = ColRef

function ColRef:through(other)
  local k = kind(other)
  if k ~= "colref" and k ~= "column" then
    util.usage("through: expected a column of the junction table")
  end
  if self.via then util.usage("through: the column is already routed") end
  local via = k == "column" and other or other.column
  return setmetatable({ column = self.column, via = via }, ColRef)
end

function ColRef.__tostring(c) return "relation " .. tostring(c.column) end

local Spec = { __kind = "relationspec", __name = "sleet.RelationSpec" }
Spec.__index = Spec

local specopts = {
  from = true, to = true, alias = true, optional = true, where = true,
  relationName = true,
}

-- The maker of r.one.<key>(opts) / r.many.<key>(opts).
local function specmaker(tables, rkind)
  return setmetatable({}, {
    __index = function(_, key)
      if tables[key] == nil then
        util.usage(("defineRelations: r.%s.%s: no table %q in the schema")
          :format(rkind, tostring(key), tostring(key)))
      end
      return function(opts)
        if opts ~= nil and (type(opts) ~= "table" or kind(opts) ~= nil) then
          util.usage(("defineRelations: r.%s.%s: options must be a table")
            :format(rkind, key))
        end
        opts = opts or {}
        for k in pairs(opts) do
          if not specopts[k] then
            util.usage(("defineRelations: r.%s.%s: unknown option %s")
              :format(rkind, key, tostring(k)))
          end
        end
        return setmetatable({ kind = rkind, target = key, opts = opts }, Spec)
      end
    end,
  })
end

-- A list of column references: one reference or a list of them.
local function refs(what, x, keyOf)
  if x == nil then return nil end
  local list = (kind(x) == "colref" or kind(x) == "column") and { x } or x
  if type(list) ~= "table" or kind(list) ~= nil or #list == 0 then
    util.usage(what .. ": expected a column or a list of columns")
  end
  local out = {}
  for i, c in ipairs(list) do
    if kind(c) == "column" then c = { column = c } end
    if type(c) ~= "table" or kind(c.column) ~= "column" then
      util.usage(("%s: item %d is not a column"):format(what, i))
    end
    local t = c.column.table
    if keyOf[t] == nil then
      util.usage(("%s: %s is not a column of a table in the schema")
        :format(what, tostring(c.column)))
    end
    out[i] = { column = c.column, via = c.via, tkey = keyOf[t] }
  end
  return out
end

-- Checks and stores the columns of an explicit relation.
local function explicit(rel, spec, keyOf, where)
  local from = refs(where .. ": from", spec.opts.from, keyOf)
  local to = refs(where .. ": to", spec.opts.to, keyOf)
  if (from == nil) ~= (to == nil) then
    util.usage(where .. ": give both from and to, or neither")
  end
  if from == nil then return false end
  if #from ~= #to then
    util.usage(where .. ": from and to must have as many columns")
  end
  local through = from[1].via ~= nil
  for i = 1, #from do
    if (from[i].via ~= nil) ~= through or (to[i].via ~= nil) ~= through then
      util.usage(where .. ": either every from/to column goes through a " ..
        "junction table or none does")
    end
    if from[i].tkey ~= rel.source then
      util.usage(("%s: from column %s is not a column of %s")
        :format(where, tostring(from[i].column), rel.source))
    end
    if to[i].tkey ~= rel.target then
      util.usage(("%s: to column %s is not a column of %s")
        :format(where, tostring(to[i].column), rel.target))
    end
  end
  rel.from, rel.to = {}, {}
  for i = 1, #from do
    rel.from[i], rel.to[i] = from[i].column, to[i].column
  end
  if through then
    rel.junction = from[1].via.table
    rel.viaFrom, rel.viaTo = {}, {}
    for i = 1, #from do
      rel.viaFrom[i], rel.viaTo[i] = from[i].via, to[i].via
      if from[i].via.table ~= rel.junction or to[i].via.table ~= rel.junction
      then
        util.usage(where .. ": every through column must belong to the " ..
          "same junction table")
      end
    end
    if keyOf[rel.junction] == nil then
      util.usage(where .. ": the junction table is not in the schema")
    end
  end
  return true
end

-- The foreign keys of table t that reference table target: a list of
-- { cols = {column, ...}, refs = {column, ...} } (column references and
-- foreignKey extras alike).
local function foreignkeys(t, target)
  local out = {}
  for _, c in ipairs(def(t).columns) do
    for _, r in ipairs(c.refs or {}) do
      local rc = r.fn()
      if kind(rc) == "column" and rc.table == target then
        out[#out + 1] = { cols = { c }, refs = { rc } }
      end
    end
  end
  for _, x in ipairs(column.extras(t)) do
    if x.type == "foreignKey" and x.foreignColumns[1].table == target then
      out[#out + 1] = { cols = x.columns, refs = x.foreignColumns }
    end
  end
  return out
end

-- Without a reverse relation, the one foreign key between the two tables
-- says how they join: for many, the target's key referencing the source;
-- for one, the source's key referencing the target. Returns false when
-- there is not exactly one such key.
local function inferfk(rel, tables)
  local src, dst = tables[rel.source], tables[rel.target]
  local fks
  if rel.kind == "many" then
    fks = foreignkeys(dst, src)
    if #fks ~= 1 then return false end
    rel.from, rel.to = fks[1].refs, fks[1].cols
  else
    fks = foreignkeys(src, dst)
    if #fks ~= 1 then return false end
    rel.from, rel.to = fks[1].cols, fks[1].refs
  end
  return true
end

-- Fills from/to of a relation given without them from the reverse
-- relation of the target table, else from the one foreign key between
-- the two tables.
local function infer(rel, config, tables, where)
  local exact, any = {}, {}
  for _, other in pairs(config[rel.target] or {}) do
    if other ~= rel and other.explicit and other.target == rel.source then
      any[#any + 1] = other
      if other.alias == rel.alias then exact[#exact + 1] = other end
    end
  end
  -- the reverse relation carries the same alias; an unaliased relation
  -- may also pair with the only relation there is
  local cands = exact
  if #cands == 0 and rel.alias == nil and #any == 1 then cands = any end
  if #cands == 0 then
    if rel.alias == nil and inferfk(rel, tables) then return end
    util.usage(("%s: cannot infer the columns: give from and to, define " ..
      "the reverse relation on %s with from and to, or declare one foreign " ..
      "key between the tables"):format(where, rel.target))
  end
  if #cands > 1 then
    util.usage(("%s: several relations between %s and %s; tell them apart " ..
      "with alias"):format(where, rel.source, rel.target))
  end
  local o = cands[1]
  rel.from, rel.to = o.to, o.from
  if o.junction then
    rel.junction, rel.viaFrom, rel.viaTo = o.junction, o.viaTo, o.viaFrom
  end
end

-- sleet.defineRelations(schema, function(r) return { users = { posts =
-- r.many.posts() }, ... } end): the relations of a schema's tables, for
-- sleet.connect(url, { relations = ... }). r.<table>.<column> are column
-- references, r.one.<table>(opts) / r.many.<table>(opts) relations with
-- opts from, to (a column or a list), alias, optional, where.
function M.defineRelations(schema, fn)
  if type(schema) ~= "table" or kind(schema) ~= nil then
    util.usage("defineRelations: expected a schema table { name = table }")
  end
  if fn ~= nil and type(fn) ~= "function" then
    util.usage("defineRelations: expected a function(r)")
  end
  local tables, keyOf = {}, {}
  for k, v in pairs(schema) do
    local d = def(v)
    if type(k) == "string" and kind(v) == "table" and d and d.kind == "table"
    then
      tables[k] = v
      keyOf[v] = k
    end
  end
  local r = {}
  for k, t in pairs(tables) do
    r[k] = setmetatable({}, {
      __index = function(_, ck)
        local c = def(t).byKey[ck]
        if not c then
          util.usage(("defineRelations: r.%s.%s: no such column")
            :format(k, tostring(ck)))
        end
        return setmetatable({ column = c }, ColRef)
      end,
    })
  end
  r.one = specmaker(tables, "one")
  r.many = specmaker(tables, "many")
  local given = fn and fn(r) or {}
  if type(given) ~= "table" then
    util.usage("defineRelations: the function must return a table")
  end
  local config = {}
  local pending = {}
  for _, tkey in ipairs(sortedkeys(given)) do
    local rels = given[tkey]
    if tables[tkey] == nil then
      util.usage(("defineRelations: no table %q in the schema")
        :format(tostring(tkey)))
    end
    if type(rels) ~= "table" then
      util.usage(("defineRelations: %s: expected a table of relations")
        :format(tkey))
    end
    config[tkey] = {}
    for _, name in ipairs(sortedkeys(rels)) do
      local spec = rels[name]
      local where = ("defineRelations: %s.%s"):format(tkey, tostring(name))
      if kind(spec) ~= "relationspec" then
        util.usage(where .. ": expected r.one.<table>(...) or " ..
          "r.many.<table>(...)")
      end
      if type(name) ~= "string" then
        util.usage(where .. ": relation names must be strings")
      end
      if def(tables[tkey]).byKey[name] then
        util.usage(where .. ": a column has the same name")
      end
      local rel = {
        name = name, kind = spec.kind, source = tkey, target = spec.target,
        alias = spec.opts.alias or spec.opts.relationName,
        optional = spec.opts.optional ~= false, where = spec.opts.where,
      }
      rel.explicit = explicit(rel, spec, keyOf, where)
      config[tkey][name] = rel
      if not rel.explicit then pending[#pending + 1] = { rel, where } end
    end
  end
  for _, p in ipairs(pending) do infer(p[1], config, tables, p[2]) end
  for k in pairs(tables) do config[k] = config[k] or {} end
  return setmetatable({ schema = schema, tables = tables, keyOf = keyOf,
    config = config }, Relations)
end

-- True when x is the result of defineRelations.
function M.isrelations(x) return kind(x) == "relations" end

-- }====================================================================

-- {====================================================================
-- Compiler state: aliases and retargeting of user expressions
-- =====================================================================

-- How each dialect spells a JSON row and a JSON aggregate.
local spell = {
  sqlite = { row = "json_array(", agg = "json_group_array(" },
  postgresql = { row = "json_build_array(", agg = "json_agg(" },
  mysql = { row = "json_array(", agg = "json_arrayagg(" },
}

-- Codecs whose values a dialect sends as text inside JSON, because JSON
-- numbers or the database's JSON formatting would change them.
local astext = {
  postgresql = {
    numeric = true, number = true, timestamp = true, timestamp_ms = true,
    epoch = true, epoch_ms = true, date = true, time = true,
  },
  mysql = {
    numeric = true, number = true, float = true, timestamp = true,
    timestamp_ms = true, epoch = true, epoch_ms = true, date = true,
    time = true,
  },
  sqlite = {},
}
local sqlitereal = { float = true, number = true, numeric = true }

local function sqlnode(...) return { k = "sql", parts = { ... } } end

-- The node of a value inside a JSON row.
local function jsonvalue(st, c, n)
  local codec, dialect = c.codec, st.dialect
  if codec == "blob" then
    if dialect == "postgresql" then return sqlnode("encode(", n, ", 'hex')") end
    if dialect == "sqlite" then
      -- SQLite's hex(NULL) is '', the hex of an empty blob
      return sqlnode("case when ", n, " is null then null else hex(", n,
        ") end")
    end
    return sqlnode("hex(", n, ")")
  end
  if dialect == "postgresql" and codec and codec:sub(-2) == "[]" then
    -- an array travels as its text, read by the same decoder as a cell
    if n.k == "col" then return sqlnode(n, "::text") end
    return sqlnode("(", n, ")::text")
  end
  if dialect == "sqlite" then
    if sqlitereal[codec] then
      -- SQLite writes reals into JSON with 15 significant digits; 17 keep
      -- every double (infinities travel as text, JSON has none)
      return sqlnode("case typeof(", n, ") when 'real' then case when abs(",
        n, ") <= 1.7976931348623157e308 then json(printf('%!.17g', ", n,
        ")) else printf('%!.17g', ", n, ") end else ", n, " end")
    end
    if codec == "json" then return sqlnode("json(", n, ")") end
  elseif dialect == "mysql" and codec == "float" and c.sqlType
    and c.sqlType:find("^float") then
    -- MariaDB prints a FLOAT with 6 digits; the double it widens to keeps
    -- the value, which the decoder narrows back (single)
    return sqlnode("cast(cast(", n, " as double) as char)"), true
  elseif astext[dialect][codec] then
    if dialect == "postgresql" then
      if n.k == "col" then return sqlnode(n, "::text") end
      return sqlnode("(", n, ")::text")
    end
    return sqlnode("cast(", n, " as char)")
  elseif dialect == "mysql" and (codec == "int" or codec == "bigint")
    and c.sqlType
    and (c.sqlType == "serial" or c.sqlType:find("bigint unsigned", 1, true))
  then
    -- above 2^63 an unsigned bigint is no JSON integer a decoder keeps
    return sqlnode("cast(", n, " as char)")
  end
  return n
end

-- A fresh alias that no table of the schema is called.
local function newalias(st, prefix)
  repeat
    st.n = st.n + 1
  until not st.names[prefix .. st.n]
  return prefix .. st.n
end

-- A level of the query: one table (under an alias below the root).
local function newlevel(st, tkey, prefix)
  local t = st.rels.tables[tkey]
  local alias = newalias(st, prefix or "d")
  return { key = tkey, base = t, t = column.alias(t, alias), alias = alias,
    real = def(t).name }
end

local function rootlevel(st, tkey)
  local t = st.rels.tables[tkey]
  local d = def(t)
  return { key = tkey, base = t, t = t, real = d.name }
end

local function tablenode(level)
  local d = def(level.base)
  return { k = "table", name = d.name, schema = d.schema, alias = level.alias }
end

-- Points the columns of level's table in a user's node at the level's
-- alias (a sql object written with posts.title means the related row).
local function retarget(node, level)
  if level.alias == nil or type(node) ~= "table" then return node end
  if node.k == "param" then return node end
  if node.k == "col" and node.table == level.real then
    node.table = level.alias
  end
  for _, v in pairs(node) do
    if type(v) == "table" then retarget(v, level) end
  end
  return node
end

-- The operator helpers handed to function forms (Drizzle's second
-- argument of where/orderBy/extras callbacks).
local ops = {}
for _, name in ipairs({
  "eq", "ne", "gt", "gte", "lt", "lte", "and_", "or_", "not_", "isNull",
  "isNotNull", "inArray", "notInArray", "exists", "notExists", "between",
  "notBetween", "like", "notLike", "ilike", "notIlike", "asc", "desc",
  "count", "countDistinct", "sum", "avg", "min", "max", "arrayContains",
  "arrayContained", "arrayOverlaps",
}) do
  ops[name] = expr[name]
end
ops["and"], ops["or"], ops["not"] = expr.and_, expr.or_, expr.not_
ops.sql = expr.sql

-- The node of a user expression (sql object, column, or function(t, ops)
-- returning one) at a level.
local function usernode(st, level, x, what)
  if type(x) == "function" then x = x(level.t, ops) end
  local k = kind(x)
  if k ~= "expr" and k ~= "column" then
    util.usage(("%s: expected a sql expression or a function(table, ops) " ..
      "returning one"):format(what))
  end
  return retarget(expr.tonode(x, st.ctx, true), level), x
end

-- }====================================================================

-- {====================================================================
-- where (as a table)
-- =====================================================================

local fieldops = {
  eq = expr.eq, ne = expr.ne, gt = expr.gt, gte = expr.gte, lt = expr.lt,
  lte = expr.lte, like = expr.like, ilike = expr.ilike, notLike = expr.notLike,
  notIlike = expr.notIlike, ["in"] = expr.inArray, notIn = expr.notInArray,
  arrayContains = expr.arrayContains, arrayContained = expr.arrayContained,
  arrayOverlaps = expr.arrayOverlaps,
}

local function andnode(list)
  if #list == 0 then return nil end
  if #list == 1 then return list[1] end
  return { k = "and", list = list }
end

local function ornode(list)
  if #list == 0 then return nil end
  if #list == 1 then return list[1] end
  return { k = "or", list = list }
end

local function colnode(st, level, c)
  return expr.colnode(level.t[c.key], st.ctx)
end

local whereof

-- Where tables being converted, outermost first: a table found inside
-- itself (w.OR = { w }) is a cycle, refused instead of recursing forever.
local function enterwhere(st, w, what)
  local open = st.openwhere
  if open == nil then
    open = {}
    st.openwhere = open
  end
  if open[w] then
    util.usage(("%s: where: a condition table contains itself (a cycle " ..
      "through AND, OR, NOT or a relation)"):format(what))
  end
  open[w] = true
end

local function leavewhere(st, w) st.openwhere[w] = nil end

local function isvalue(v)
  local k = kind(v)
  return type(v) ~= "table" or k == "expr" or k == "column"
    or k == "placeholder" or k == "query"
end

-- The condition on one column: a value (equality) or { op = value, ... }.
local function fieldcond(st, level, c, v, what)
  local col = level.t[c.key]
  if v == core.null then
    return expr.isNull(col).build(st.ctx)
  end
  if isvalue(v) then return retarget(expr.eq(col, v).build(st.ctx), level) end
  if util.islist(v) then
    util.validation(("%s: %s: a list is not a condition (use { in = {...} })")
      :format(what, c.key))
  end
  enterwhere(st, v, what)
  local list = {}
  for _, op in ipairs(sortedkeys(v)) do
    local x = v[op]
    local f = fieldops[op]
    if f then
      list[#list + 1] = retarget(f(col, x).build(st.ctx), level)
    elseif op == "isNull" or op == "isNotNull" then
      if type(x) ~= "boolean" then
        util.validation(("%s: %s.%s must be true or false"):format(what,
          c.key, op))
      end
      local null = (op == "isNull") == x
      list[#list + 1] = (null and expr.isNull(col) or expr.isNotNull(col))
        .build(st.ctx)
    elseif op == "AND" or op == "OR" then
      if not util.islist(x) then
        util.usage(("%s: %s.%s must be a list of conditions"):format(what,
          c.key, op))
      end
      local sub = {}
      for i, y in ipairs(x) do
        sub[i] = fieldcond(st, level, c, y, what) or { k = "raw", sql = "true" }
      end
      list[#list + 1] = (op == "AND" and andnode or ornode)(sub)
    elseif op == "NOT" then
      local e = fieldcond(st, level, c, x, what)
      if e then list[#list + 1] = { k = "not", e = e } end
    else
      util.validation(("%s: unknown operator %q on %s (eq ne gt gte lt " ..
        "lte in notIn like ilike notLike notIlike isNull isNotNull " ..
        "arrayContains arrayContained arrayOverlaps AND OR NOT)"):format(
        what, tostring(op), c.key), { column = c.name })
    end
  end
  leavewhere(st, v)
  return andnode(list)
end

-- The from/where parts linking a related level to its parent level:
-- returns the source node, the joins (a junction table) and the list of
-- correlation conditions.
local function linkparts(st, rel, parent, child)
  local conds = {}
  local joins
  local function cn(level, c) return colnode(st, level, c) end
  if rel.junction then
    local jl = newlevel(st, st.rels.keyOf[rel.junction], "tr")
    local on = {}
    for i = 1, #rel.to do
      on[i] = { k = "bin", op = "=", l = cn(jl, rel.viaTo[i]),
        r = cn(child, rel.to[i]) }
      conds[i] = { k = "bin", op = "=", l = cn(jl, rel.viaFrom[i]),
        r = cn(parent, rel.from[i]) }
    end
    joins = { { type = "inner", source = tablenode(jl), on = andnode(on) } }
  else
    for i = 1, #rel.to do
      conds[i] = { k = "bin", op = "=", l = cn(child, rel.to[i]),
        r = cn(parent, rel.from[i]) }
    end
  end
  return tablenode(child), joins, conds
end

-- A correlated select over a relation's rows with the given fields and
-- extra conditions (where-table of the related rows, or nil).
local function relselect(st, rel, parent, fields, w, what)
  local child = newlevel(st, rel.target)
  local from, joins, conds = linkparts(st, rel, parent, child)
  if rel.where ~= nil then
    conds[#conds + 1] = whereof(st, child, rel.where, what)
  end
  if w ~= nil and w ~= true then
    conds[#conds + 1] = whereof(st, child, w, what)
  end
  return { k = "select", fields = fields(child), from = from, joins = joins,
    where = andnode(conds) }, child
end

local function relation(st, level, name, what)
  local rel = st.rels.config[level.key][name]
  if not rel then
    util.validation(("%s: %s has no relation %q"):format(what, level.key,
      tostring(name)))
  end
  return rel
end

-- The condition of a where-table at a level.
function whereof(st, level, w, what)
  if w == nil then return nil end
  local k = kind(w)
  if type(w) == "function" or k == "expr" or k == "column" then
    return (usernode(st, level, w, what .. ": where"))
  end
  if type(w) ~= "table" or k ~= nil then
    util.usage(what .. ": where must be a table of conditions")
  end
  local d = def(level.base)
  enterwhere(st, w, what)
  local list = {}
  for _, key in ipairs(sortedkeys(w)) do
    local v = w[key]
    if key == "AND" or key == "OR" then
      if type(v) ~= "table" or kind(v) ~= nil then
        util.usage(("%s: where.%s must be a list of where tables")
          :format(what, key))
      end
      local sub = {}
      for _, x in ipairs(v) do
        sub[#sub + 1] = whereof(st, level, x, what) or
          { k = "raw", sql = "true" }
      end
      local n = (key == "AND" and andnode or ornode)(sub)
      if n then list[#list + 1] = n end
    elseif key == "NOT" then
      local n = whereof(st, level, v, what)
      if n then list[#list + 1] = { k = "not", e = n } end
    elseif key == "RAW" then
      list[#list + 1] = (usernode(st, level, v, what .. ": where.RAW"))
    elseif type(key) == "string" and d.byKey[key] then
      list[#list + 1] = fieldcond(st, level, d.byKey[key], v, what)
    elseif type(key) == "string" and st.rels.config[level.key][key] then
      -- a related row matching the condition exists
      local rel = st.rels.config[level.key][key]
      if v ~= true and (type(v) ~= "table" or kind(v) ~= nil) then
        util.usage(("%s: where.%s must be true or a where table of %s")
          :format(what, key, rel.target))
      end
      local sub = relselect(st, rel, level, function()
        return { { key = "x", e = { k = "raw", sql = "1" }, ty = "any" } }
      end, v, what)
      list[#list + 1] = { k = "exists", sub = sub }
    else
      util.validation(("%s: where: %s has no column or relation %q")
        :format(what, level.key, tostring(key)), { table = d.name,
        column = tostring(key) })
    end
  end
  leavewhere(st, w)
  return andnode(list)
end

-- }====================================================================

-- {====================================================================
-- columns, extras, orderBy
-- =====================================================================

-- The columns a `columns` option selects, in column order.
local function chosen(level, cols, what)
  local d = def(level.base)
  if cols == nil then return d.columns end
  if type(cols) ~= "table" or kind(cols) ~= nil then
    util.usage(what .. ": columns must be a table { key = true|false }")
  end
  local anytrue = false
  for key, v in pairs(cols) do
    if type(key) ~= "string" or not d.byKey[key] then
      util.validation(("%s: columns: %s has no column %q"):format(what,
        level.key, tostring(key)), { table = d.name, column = tostring(key) })
    end
    if type(v) ~= "boolean" then
      util.usage(("%s: columns.%s must be true or false"):format(what, key))
    end
    if v then anytrue = true end
  end
  local out = {}
  for _, c in ipairs(d.columns) do
    local v = cols[c.key]
    if (anytrue and v == true) or (not anytrue and v ~= false) then
      out[#out + 1] = c
    end
  end
  return out
end

-- The order nodes of an orderBy option: { key = "asc"|"desc" } (keys in
-- column order), a list of columns / asc() / desc() / sql, or a
-- function(t, ops) returning one of those.
local function orderof(st, level, ob, what)
  if ob == nil then return nil end
  if type(ob) == "function" then ob = ob(level.t, ops) end
  local k = kind(ob)
  if k == "expr" or k == "column" then ob = { ob } end
  if type(ob) ~= "table" or kind(ob) ~= nil then
    util.usage(what .. ": orderBy must be a table { key = \"asc\"|\"desc\" } " ..
      "or a list of columns and asc()/desc()")
  end
  local out = {}
  if util.islist(ob) then
    for i, x in ipairs(ob) do
      out[i] = (usernode(st, level, x, what .. ": orderBy"))
    end
    return out
  end
  local d = def(level.base)
  local cols = {}
  for key, dir in pairs(ob) do
    local c = type(key) == "string" and d.byKey[key]
    if not c then
      util.validation(("%s: orderBy: %s has no column %q"):format(what,
        level.key, tostring(key)), { table = d.name, column = tostring(key) })
    end
    if dir ~= "asc" and dir ~= "desc" then
      util.usage(("%s: orderBy.%s must be \"asc\" or \"desc\"")
        :format(what, key))
    end
    cols[#cols + 1] = c
  end
  column.sortcolumns(cols)
  for i, c in ipairs(cols) do
    out[i] = { k = "order", e = colnode(st, level, c), dir = ob[c.key] }
  end
  return out
end

local function checkcount(what, v)
  if v == nil or kind(v) == "placeholder" then return v end
  if not util.isinteger(v) or v < 0 then
    util.usage(what .. ": expected a non-negative integer or a placeholder")
  end
  return v
end

local function countnode(v)
  if v == nil then return nil end
  if kind(v) == "placeholder" then return { k = "ph", name = v.name, ty = "int" } end
  return { k = "param", v = v, ty = "int" }
end

-- }====================================================================

-- {====================================================================
-- Rows and relations
-- =====================================================================

local queryopts = {
  columns = true, with = true, where = true, orderBy = true, limit = true,
  offset = true, extras = true,
}

local relationof

-- The items of a row at a level: columns, extras, then relations, each
-- { key, node, ty, shape, decoder }. injson: the values go into a JSON row.
local function rowitems(st, level, opts, injson, what)
  for key in pairs(opts) do
    if not queryopts[key] then
      util.usage(("%s: unknown option %s (columns, with, where, orderBy, " ..
        "limit, offset, extras)"):format(what, tostring(key)))
    end
  end
  local items, seen = {}, {}
  for _, c in ipairs(chosen(level, opts.columns, what)) do
    local n, single = colnode(st, level, c), nil
    if injson then n, single = jsonvalue(st, c, n) end
    items[#items + 1] = { key = c.key, node = n, ty = c.codec,
      decoder = c.decoder, single = single }
    seen[c.key] = true
  end
  local extras = opts.extras
  if extras ~= nil then
    if type(extras) ~= "table" or kind(extras) ~= nil then
      util.usage(what .. ": extras must be a table { key = sql | " ..
        "function(t, ops) | { count = relation } }")
    end
    for _, key in ipairs(sortedkeys(extras)) do
      local x = extras[key]
      if type(key) ~= "string" or seen[key] then
        util.usage(("%s: extras: %q names a selected column"):format(what,
          tostring(key)))
      end
      local n, ty, dec
      if type(x) == "table" and kind(x) == nil then
        -- a relation count: { count = "posts", where = {...} }
        if type(x.count) ~= "string" then
          util.usage(("%s: extras.%s: expected a sql expression, a " ..
            "function or { count = relation, where = ... }"):format(what, key))
        end
        for k2 in pairs(x) do
          if k2 ~= "count" and k2 ~= "where" then
            util.usage(("%s: extras.%s: unknown option %s"):format(what, key,
              tostring(k2)))
          end
        end
        local rel = relation(st, level, x.count, what .. ": extras." .. key)
        local sub = relselect(st, rel, level, function()
          return { { key = "n", e = { k = "func", name = "count", args = {} },
            ty = "int" } }
        end, x.where, what)
        n, ty = { k = "scalar", q = sub }, "int"
      else
        local e
        n, e = usernode(st, level, x, what .. ": extras." .. key)
        ty, dec = e.codec or "any", e.decoder
        if injson then n = jsonvalue(st, { codec = ty }, n) end
      end
      items[#items + 1] = { key = key, node = n, ty = ty, decoder = dec }
      seen[key] = true
    end
  end
  local with = opts.with
  if with ~= nil then
    if type(with) ~= "table" or kind(with) ~= nil then
      util.usage(what .. ": with must be a table { relation = true | {...} }")
    end
    for _, name in ipairs(sortedkeys(with)) do
      local sub = with[name]
      local rel = relation(st, level, name, what .. ": with")
      if seen[name] then
        util.usage(("%s: with.%s: an extra has the same key"):format(what,
          name))
      end
      if sub ~= false then
        if sub ~= true and (type(sub) ~= "table" or kind(sub) ~= nil) then
          util.usage(("%s: with.%s must be true or a table of options")
            :format(what, name))
        end
        local n, shape = relationof(st, rel, level, sub == true and {} or sub,
          what .. "." .. name)
        items[#items + 1] = { key = name, node = n, ty = "any", shape = shape }
      end
    end
  end
  return items
end

-- The shape (docs/internals.md) of rows made of items.
local function shapeof(items, many)
  local fields = {}
  for i, it in ipairs(items) do
    fields[i] = { key = it.key, ty = it.ty, shape = it.shape,
      single = it.single }
  end
  return { many = many, fields = fields }
end

-- Items per JSON function call: PostgreSQL functions take at most 100
-- arguments, SQLite's at most 127 (json_insert takes two per value).
local CHUNK, MORE = 90, 45

-- The JSON row of items; wide rows are built in chunks (PostgreSQL
-- concatenates jsonb arrays, SQLite appends with json_insert).
local function rownode(st, items)
  local dialect = st.dialect
  local parts = { spell[dialect].row }
  local n = #items
  local first = (dialect == "mysql" or n <= CHUNK) and n or CHUNK
  for i = 1, first do
    if i > 1 then parts[#parts + 1] = ", " end
    parts[#parts + 1] = items[i].node
  end
  parts[#parts + 1] = ")"
  local node = { k = "sql", parts = parts }
  for base = first, n - 1, MORE do
    local last = math.min(n, base + MORE)
    if dialect == "postgresql" then
      local more = { "(", node, ")::jsonb || jsonb_build_array(" }
      for i = base + 1, last do
        if i > base + 1 then more[#more + 1] = ", " end
        more[#more + 1] = items[i].node
      end
      more[#more + 1] = ")"
      node = { k = "sql", parts = more }
    else
      local more = { "json_insert(", node }
      for i = base + 1, last do
        more[#more + 1] = ", '$[#]', "
        more[#more + 1] = items[i].node
      end
      more[#more + 1] = ")"
      node = { k = "sql", parts = more }
    end
  end
  if dialect == "postgresql" and n > first then
    node = { k = "sql", parts = { "(", node, ")::json" } }
  end
  return node
end

local function joinparts(parts, list, sep)
  for i, x in ipairs(list) do
    if i > 1 then parts[#parts + 1] = sep end
    parts[#parts + 1] = x
  end
end

-- The node of a relation's value (a scalar subquery) and its shape.
function relationof(st, rel, parent, opts, what)
  local many = rel.kind == "many"
  if not many and (opts.limit ~= nil or opts.offset ~= nil) then
    util.usage(what .. ": limit and offset apply to many relations only")
  end
  local limit = checkcount(what .. ": limit", opts.limit)
  local offset = checkcount(what .. ": offset", opts.offset)
  local items, order
  local sel, child = relselect(st, rel, parent, function(child)
    items = rowitems(st, child, opts, true, what)
    return { { key = "r", e = rownode(st, items), ty = "any" } }
  end, opts.where, what)
  order = orderof(st, child, opts.orderBy, what)
  local shape = shapeof(items, many)
  local dialect = st.dialect
  local agg = spell[dialect].agg
  if not many then
    sel.orderBy = order
    sel.limit = { k = "raw", sql = "1" }
    return { k = "scalar", q = sel }, shape
  end
  local row = sel.fields[1].e
  local paged = limit ~= nil or offset ~= nil
  if dialect == "mysql" then
    -- MariaDB orders and limits inside the aggregate
    local parts = { agg, row }
    if order then
      parts[#parts + 1] = " order by "
      joinparts(parts, order, ", ")
    end
    if paged then
      parts[#parts + 1] = " limit "
      if offset ~= nil then
        parts[#parts + 1] = countnode(offset)
        parts[#parts + 1] = ", "
      end
      parts[#parts + 1] = limit ~= nil and countnode(limit)
        or { k = "raw", sql = "18446744073709551615" }
    end
    parts[#parts + 1] = ")"
    sel.fields = { { key = "r", e = { k = "sql", parts = parts }, ty = "any" } }
    return { k = "scalar", q = sel }, shape
  end
  if dialect == "postgresql" and not paged then
    local parts = { agg, row }
    if order then
      parts[#parts + 1] = " order by "
      joinparts(parts, order, ", ")
    end
    parts[#parts + 1] = ")"
    sel.fields = { { key = "r", e = { k = "sql", parts = parts }, ty = "any" } }
    return { k = "scalar", q = sel }, shape
  end
  if dialect == "sqlite" and not paged and not order then
    sel.fields = { { key = "r", e = sqlnode(agg, row, ")"), ty = "any" } }
    return { k = "scalar", q = sel }, shape
  end
  -- the rows are chosen (ordered, limited) in a derived table, then
  -- aggregated in that order
  local t = newalias(st, "t")
  local rcol = { k = "col", table = t, name = "r" }
  sel.alias_fields = true
  sel.orderBy = order
  sel.limit = countnode(limit)
  sel.offset = countnode(offset)
  local outer
  if dialect == "postgresql" then
    local over = { "row_number() over (" }
    if order then
      over[#over + 1] = "order by "
      joinparts(over, order, ", ")
    end
    over[#over + 1] = ")"
    sel.fields[2] = { key = "n", e = { k = "sql", parts = over }, ty = "any" }
    outer = sqlnode(agg, rcol, " order by ", { k = "col", table = t,
      name = "n" }, ")")
  else
    -- a column of a derived table is plain text to SQLite's JSON functions
    outer = sqlnode(agg, "json(", rcol, "))")
  end
  return { k = "scalar", q = {
    k = "select", fields = { { key = "r", e = outer, ty = "any" } },
    from = { k = "subq", q = sel, alias = t },
  } }, shape
end

-- }====================================================================

-- {====================================================================
-- db.query
-- =====================================================================

-- Compiles findMany (first = false) or findFirst options for table tkey
-- of rels in session's context. Returns the compiled statement and the
-- run info (mapWith decoders of the top-level fields).
local function compile(session, rels, tkey, opts, first)
  local what = ("db.query.%s:%s"):format(tkey, first and "findFirst" or
    "findMany")
  if opts == nil then opts = {} end
  if type(opts) ~= "table" or kind(opts) ~= nil then
    util.usage(what .. ": options must be a table")
  end
  local names = {}
  for _, t in pairs(rels.tables) do names[def(t).name] = true end
  local st = { ctx = session.ctx, dialect = session.ctx.dialect, rels = rels,
    n = 0, names = names }
  local level = rootlevel(st, tkey)
  local items = rowitems(st, level, opts, false, what)
  if #items == 0 then
    util.usage(what .. ": nothing selected (no columns, extras or relations)")
  end
  local fields, decoders = {}, nil
  for i, it in ipairs(items) do
    local n = it.node
    if n.k ~= "col" then n = { k = "alias", e = n, name = it.key } end
    fields[i] = { key = it.key, e = n, ty = it.ty, shape = it.shape }
    if it.decoder then
      decoders = decoders or {}
      decoders[#decoders + 1] = { key = it.key, index = i, fn = it.decoder }
    end
  end
  local limit = checkcount(what .. ": limit", opts.limit)
  local offset = checkcount(what .. ": offset", opts.offset)
  if first then limit = 1 end
  local d = def(level.base)
  local node = {
    k = "select", fields = fields,
    from = { k = "table", name = d.name, schema = d.schema },
    where = whereof(st, level, opts.where, what),
    orderBy = orderof(st, level, opts.orderBy, what),
    limit = countnode(limit), offset = countnode(offset),
  }
  return core.compile(st.dialect, node), { decoders = decoders }
end

local QueryTable = { __name = "sleet.RelationalQuery" }
QueryTable.__index = QueryTable

local function checkself(self, method)
  if getmetatable(self) ~= QueryTable then
    util.usage(("db.query: call %s with a colon (db.query.users:%s{...})")
      :format(method, method))
  end
end

-- db.query.<table>:findMany(opts): a list of rows with their relations.
function QueryTable:findMany(opts)
  checkself(self, "findMany")
  local c, info = compile(self._session, self._rels, self._key, opts, false)
  return self._session:_run(c, "all", nil, info)
end

-- db.query.<table>:findFirst(opts): the first row, or nil.
function QueryTable:findFirst(opts)
  checkself(self, "findFirst")
  local c, info = compile(self._session, self._rels, self._key, opts, true)
  return self._session:_run(c, "get", nil, info)
end

-- db.query.<table>:toSQL(opts [, "findFirst"]): { sql, params } of the
-- statement findMany (or findFirst) runs, without running it.
function QueryTable:toSQL(opts, method)
  if method ~= nil and method ~= "findMany" and method ~= "findFirst" then
    util.usage("toSQL: method must be \"findMany\" or \"findFirst\"")
  end
  local c = compile(self._session, self._rels, self._key, opts,
    method == "findFirst")
  return { sql = c:sql(), params = c:params() }
end

local Prepared = { __name = "sleet.PreparedRelationalQuery" }
Prepared.__index = Prepared

-- prepared:execute(placeholderValues): rows (findMany) or a row or nil.
function Prepared:execute(params)
  if params ~= nil and type(params) ~= "table" then
    util.usage("prepared query: placeholder values must be a table")
  end
  return self._session:_run(self._compiled, self._first and "get" or "all",
    params or {}, self._info)
end

-- db.query.<table>:prepare("findMany" | "findFirst", opts [, name]):
-- compiled once; where values, limit and offset may be placeholders.
function QueryTable:prepare(method, opts, name)
  if method ~= "findMany" and method ~= "findFirst" then
    util.usage("prepare: method must be \"findMany\" or \"findFirst\"")
  end
  local first = method == "findFirst"
  local c, info = compile(self._session, self._rels, self._key, opts, first)
  return setmetatable({ _session = self._session, _compiled = c,
    _info = info, _first = first, name = name }, Prepared)
end

function QueryTable.__tostring(q) return "db.query." .. q._key end

-- The db.query table of a session (database or transaction) for
-- relations rels: db.query.<table key> are lazily made query objects.
function M.api(session, rels)
  if not M.isrelations(rels) then
    util.usage("connect: relations must come from sleet.defineRelations")
  end
  if session.dialect == "mysql" and not session._intx and session._conn then
    -- MariaDB cuts JSON_ARRAYAGG at group_concat_max_len (1 MiB by
    -- default), which would truncate large relations; once per connection
    session._conn:exec_sql("set session group_concat_max_len = 4294967295",
      nil, "run")
  end
  return setmetatable({}, {
    __index = function(q, key)
      if type(key) ~= "string" or rels.tables[key] == nil then
        util.usage(("db.query: no table %q in the schema"):format(
          tostring(key)))
      end
      local qt = setmetatable({ _session = session, _rels = rels, _key = key },
        QueryTable)
      rawset(q, key, qt)
      return qt
    end,
  })
end

-- }====================================================================

return M
