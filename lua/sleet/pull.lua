-- The Lua source of a schema read from a live database: what `sleet-kit
-- pull` writes. pull.render(snap, opts) turns a snapshot of the database
-- (sleet.introspect) into two files:
--
--   schema.lua     the tables (and PostgreSQL enums and schemas) built with
--                  the dialect's module, returned as { key = table, ... }
--   relations.lua  a function(schema) returning sleet.defineRelations(...):
--                  one/many pairs for every foreign key, and many-to-many
--                  relations through junction tables
--
-- Lua keys are the SQL names in camelCase; a column's SQL name is written
-- only where the key (under the config's casing) would not give it back.
-- Tables come in foreign key order and columns in the database's order;
-- nothing in the text depends on the time or on hash order, so pulling an
-- unchanged database writes the same bytes.
--
-- What the schema modules cannot express (a column type they do not have,
-- an ordered index expression, a foreign key to a table left out) is
-- written as a comment where it would be, and listed in the notes pull
-- returns, so that nothing is dropped without a word.
local casing = require "sleet.casing"
local introspect = require "sleet.introspect"
local snapshot = require "sleet.snapshot"
local util = require "sleet.util"

local M = {}

local KEYWORDS, isident = util.KEYWORDS, util.isident

-- A Lua string literal of s, on one line.
local function str(s)
  return (("%q"):format(s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

-- A Lua literal of an integer's text: the smallest 64-bit integer has
-- none (its digits overflow before the minus applies).
local function intlit(v)
  v = tostring(v)
  if v == "-9223372036854775808" then return "math.mininteger" end
  return v
end

-- The options of a sequence (or an identity) q that differ from dflt, as
-- Lua table fields appended to out.
local function seqopts(q, dflt, out)
  for _, opt in ipairs({ "increment", "startWith", "minValue", "maxValue",
    "cache" }) do
    if tostring(q[opt]) ~= dflt[opt] then
      out[#out + 1] = opt .. " = " .. intlit(q[opt])
    end
  end
  if q.cycle then out[#out + 1] = "cycle = true" end
  return out
end

-- A key in a table constructor, and a field access.
local function ckey(k) return isident(k) and k or ("[" .. str(k) .. "]") end
local function dot(k) return isident(k) and ("." .. k) or ("[" .. str(k) .. "]") end

-- A SQL name in camelCase, an identifier when it can be one.
local function camel(name)
  local k = casing.camel(name)
  if k == "" then k = name end
  return k
end

-- A fresh name from base among taken (base2, base3, ... on a clash).
local function fresh(base, taken)
  local name, n = base, 1
  while taken[name] do
    n = n + 1
    name = base .. n
  end
  taken[name] = true
  return name
end

-- A local variable name for base (an identifier: other characters go).
local function localname(base, taken)
  local s = base:gsub("[^%w_]", "_")
  if s == "" or s:match("^%d") or KEYWORDS[s] then s = "t_" .. s end
  return fresh(s, taken)
end

-- {====================================================================
-- Column types
-- =====================================================================

-- A type: the module function, its options as Lua text (or nil), and the
-- kind of values its literals default to: "int", "bool", "text" or nil.
local function ty(fn, opts, lit) return { fn = fn, opts = opts, lit = lit } end

local PG = {
  integer = ty("integer", nil, "int"), smallint = ty("smallint", nil, "int"),
  bigint = ty("bigint", nil, "int"), serial = ty("serial", nil, "int"),
  smallserial = ty("smallserial", nil, "int"),
  bigserial = ty("bigserial", nil, "int"),
  boolean = ty("boolean", nil, "bool"), text = ty("text", nil, "text"),
  real = ty("real"), ["double precision"] = ty("doublePrecision"),
  json = ty("json"), jsonb = ty("jsonb"), uuid = ty("uuid"),
  bytea = ty("bytea"), date = ty("date"), numeric = ty("numeric"),
  inet = ty("inet", nil, "text"), cidr = ty("cidr", nil, "text"),
  macaddr = ty("macaddr", nil, "text"),
  macaddr8 = ty("macaddr8", nil, "text"),
  point = ty("point"), line = ty("line"),
  varchar = ty("varchar", nil, "text"), char = ty("char", nil, "text"),
  interval = ty("interval"), time = ty("time"), timestamp = ty("timestamp"),
}

local function optlist(list)
  if #list == 0 then return nil end
  return "{ " .. table.concat(list, ", ") .. " }"
end

-- A PostgreSQL type (as sleet.introspect spells it) → type, or nil.
local function pgscalar(t, enums)
  if PG[t] then return PG[t] end
  local n = t:match("^varchar%((%d+)%)$")
  if n then return ty("varchar", optlist({ "length = " .. n }), "text") end
  n = t:match("^char%((%d+)%)$")
  if n then return ty("char", optlist({ "length = " .. n }), "text") end
  local p, s = t:match("^numeric%((%d+), (%d+)%)$")
  if p then
    return ty("numeric", optlist({ "precision = " .. p, "scale = " .. s }))
  end
  p = t:match("^numeric%((%d+)%)$")
  if p then return ty("numeric", optlist({ "precision = " .. p })) end
  local base, tz = t, false
  if t:sub(-15) == " with time zone" then
    base, tz = t:sub(1, -16), true
  end
  local tzopt = tz and "withTimezone = true" or nil
  if base == "time" or base == "timestamp" then
    return ty(base, optlist({ tzopt }))
  end
  p = base:match("^time%((%d+)%)$")
  if p then return ty("time", optlist({ "precision = " .. p, tzopt })) end
  p = base:match("^timestamp %((%d+)%)$")
  if p then return ty("timestamp", optlist({ "precision = " .. p, tzopt })) end
  local rest = t:match("^interval (.+)$")
  if rest then
    local fields, prec = rest:match("^(.-)%((%d+)%)$")
    if not fields then fields = rest end
    local o = {}
    if fields ~= "" then o[#o + 1] = "fields = " .. str(fields) end
    if prec then o[#o + 1] = "precision = " .. prec end
    return ty("interval", optlist(o))
  end
  -- an enum: "name" in public, "schema"."name" elsewhere
  local key
  local q = t:match('^"(.*)"$')
  if q then
    local sch, nm = q:match('^(.-)"%."(.*)$')
    if sch then
      key = sch:gsub('""', '"') .. "." .. nm:gsub('""', '"')
    else
      key = "public." .. q:gsub('""', '"')
    end
  end
  local e = key and enums[key]
  if e then return { enum = e, lit = "text" } end
  return nil
end

-- The same, arrays too (the type of their elements, arrays = dimensions).
local function pgtype(t, enums)
  local base, dims = t, 0
  while base:find("%[%d*%]$") do
    base, dims = base:gsub("%[%d*%]$", ""), dims + 1
  end
  if dims == 0 then return pgscalar(t, enums) end
  local et = pgscalar(base, enums)
  if not et then return nil end
  local at = {}
  for k, v in pairs(et) do at[k] = v end
  at.lit = nil
  at.arrays = dims
  return at
end

local MYPLAIN = {
  serial = ty("serial", nil, "int"), boolean = ty("boolean", nil, "bool"),
  text = ty("text", nil, "text"), tinytext = ty("tinytext", nil, "text"),
  mediumtext = ty("mediumtext", nil, "text"),
  longtext = ty("longtext", nil, "text"), json = ty("json"),
  blob = ty("blob"), tinyblob = ty("tinyblob"),
  mediumblob = ty("mediumblob"), longblob = ty("longblob"),
  year = ty("year", nil, "int"), date = ty("date"),
}
local MYINTS = { int = true, tinyint = true, smallint = true,
  mediumint = true, bigint = true }

-- The values of a MySQL enum('a','b''c') type.
local function myenumvalues(list)
  local values, i = {}, 1
  while i <= #list do
    if list:sub(i, i) ~= "'" then return nil end
    local j, buf = i + 1, {}
    while true do
      local c = list:sub(j, j)
      if c == "" then return nil end
      if c == "'" then
        if list:sub(j + 1, j + 1) == "'" then
          buf[#buf + 1] = "'"
          j = j + 2
        else
          break
        end
      elseif c == "\\" then
        buf[#buf + 1] = list:sub(j + 1, j + 1)
        j = j + 2
      else
        buf[#buf + 1] = c
        j = j + 1
      end
    end
    values[#values + 1] = table.concat(buf)
    i = j + 1
    if list:sub(i, i) == "," then i = i + 1 end
  end
  return values
end

-- A MySQL type (as sleet.introspect spells it) → type, or nil.
local function mytype(t)
  if MYPLAIN[t] then return MYPLAIN[t] end
  local list = t:match("^enum%((.*)%)$")
  if list then
    local values = myenumvalues(list)
    if not values or #values == 0 then return nil end
    local lits = {}
    for i, v in ipairs(values) do lits[i] = str(v) end
    return { myenum = "{ " .. table.concat(lits, ", ") .. " }", lit = "text" }
  end
  local base, unsigned = t, false
  if t:sub(-9) == " unsigned" then base, unsigned = t:sub(1, -10), true end
  local u = unsigned and "unsigned = true" or nil
  if MYINTS[base] then return ty(base, optlist({ u }), "int") end
  local name, args = base:match("^(%a+)(%b())$")
  if not name then name = base end
  local p, s
  if args then
    p, s = args:match("^%((%d+),(%d+)%)$")
    if not p then p = args:match("^%((%d+)%)$") end
    if not p then return nil end
  end
  if name == "float" or name == "double" or name == "real" or
    name == "decimal" then
    if name == "real" then name = "double" end
    local o = {}
    if p then o[#o + 1] = "precision = " .. p end
    if s then o[#o + 1] = "scale = " .. s end
    o[#o + 1] = u
    return ty(name, optlist(o))
  end
  if unsigned or s then return nil end
  if name == "char" or name == "varchar" or name == "binary" or
    name == "varbinary" then
    local lit = (name == "char" or name == "varchar") and "text" or nil
    return ty(name, optlist({ p and ("length = " .. p) or nil }), lit)
  end
  if name == "datetime" or name == "timestamp" or name == "time" then
    return ty(name, optlist({ p and ("fsp = " .. p) or nil }))
  end
  return nil
end

local affinity = introspect.affinity

-- A SQLite type → type; a declared type the module does not spell is read
-- by its affinity (the second result says so).
local function sqlitetype(t)
  if t == "integer" then return ty("integer", nil, "int") end
  if t == "text" then return ty("text", nil, "text") end
  if t == "real" or t == "blob" or t == "numeric" then return ty(t) end
  local n = t:match("^text%((%d+)%)$")
  if n then return ty("text", optlist({ "length = " .. n }), "text") end
  local a = affinity(t)
  return sqlitetype(a), a
end

-- }====================================================================

-- {====================================================================
-- Defaults
-- =====================================================================

-- The value of a quoted SQL literal ('it''s'; MySQL also escapes with \),
-- or nil when text is not one literal.
local function literal(text, dialect)
  if text:sub(1, 1) ~= "'" or text:sub(-1) ~= "'" or #text < 2 then
    return nil
  end
  local buf, i, last = {}, 2, #text - 1
  while i <= last do
    local c = text:sub(i, i)
    if c == "'" then
      if text:sub(i + 1, i + 1) ~= "'" or i + 1 > last then return nil end
      buf[#buf + 1] = "'"
      i = i + 2
    elseif c == "\\" and dialect == "mysql" then
      local e = text:sub(i + 1, i + 1)
      if i + 1 > last then return nil end
      buf[#buf + 1] = ({ n = "\n", t = "\t", r = "\r", ["0"] = "\0" })[e] or e
      i = i + 2
    else
      buf[#buf + 1] = c
      i = i + 1
    end
  end
  return table.concat(buf)
end

-- The SQL of now() for a column of a module type, as defaultNow writes it.
local function nowsql(dialect, t)
  if dialect == "postgresql" then
    if t.fn == "date" or t.fn == "time" or t.fn == "timestamp" then
      return "now()"
    end
  elseif dialect == "mysql" then
    if t.fn == "date" then return "curdate()" end
    if t.fn == "time" then return "curtime()" end
    if t.fn == "datetime" or t.fn == "timestamp" then
      local fsp = t.opts and t.opts:match("fsp = (%d+)")
      return fsp and ("now(" .. fsp .. ")") or "now()"
    end
  elseif t.fn == "text" then
    return "CURRENT_TIMESTAMP"
  end
  return nil
end

local MAXINT = 2 ^ 53

-- The modifier that gives a column its default text d (as the catalog
-- spells it).
local function defaultmod(dialect, t, d)
  local canon = introspect.canon
  local now = nowsql(dialect, t)
  if now and canon(d) == canon(now) then return ":defaultNow()" end
  if dialect == "postgresql" and t.fn == "uuid" and
    canon(d) == "gen_random_uuid" then
    return ":defaultRandom()"
  end
  if t.lit == "bool" then
    local b = d:lower()
    if b == "true" or b == "1" then return ":default(true)" end
    if b == "false" or b == "0" then return ":default(false)" end
  elseif t.lit == "int" then
    local n = d:match("^%(?(%-?%d+)%)?$")
    if n and math.abs(tonumber(n)) < MAXINT then
      return ":default(" .. n .. ")"
    end
  elseif t.lit == "text" then
    local v = literal(d, dialect)
    if v then return ":default(" .. str(v) .. ")" end
  end
  return ":default(sql.raw(" .. str(d) .. "))"
end

-- }====================================================================

-- {====================================================================
-- Rendering
-- =====================================================================

local ACTIONS = { cascade = true, restrict = true, ["set null"] = true,
  ["set default"] = true }

-- An action worth writing: not the default (MySQL reports its default as
-- restrict, which means no action there).
local function action(dialect, a)
  if dialect == "mysql" and a == "restrict" then return false end
  return ACTIONS[a] or false
end

local function sortedvalues(map, cmp)
  local out = {}
  for _, v in pairs(map or {}) do out[#out + 1] = v end
  table.sort(out, cmp or function(a, b) return a.name < b.name end)
  return out
end

local function joinnames(list) return table.concat(list, "_") end

-- The order tables are written in: referenced tables first (by key within
-- a level), so that a reader meets a table before the tables that use it.
local function tableorder(snap)
  local keys = util.sortedkeys(snap.tables)
  local bykey, state, order = {}, {}, {}
  for _, k in ipairs(keys) do
    local t = snap.tables[k]
    bykey[(t.schema ~= "" and t.schema or "public") .. "." .. t.name] = k
    bykey[t.name] = bykey[t.name] or k
  end
  local function target(fk)
    if snap.dialect == "postgresql" then
      return bykey[(fk.schemaTo ~= "" and fk.schemaTo or "public") .. "." ..
        fk.tableTo]
    end
    return bykey[fk.tableTo]
  end
  local function visit(k)
    if state[k] then return end
    state[k] = true
    for _, fk in ipairs(sortedvalues(snap.tables[k].foreignKeys)) do
      local to = target(fk)
      if to and to ~= k then visit(to) end
    end
    order[#order + 1] = k
  end
  for _, k in ipairs(keys) do visit(k) end
  return order, target
end

-- pull.render(snap, { casing, source }) → { schema = text, relations =
-- text, notes = { text, ... } }. snap: a snapshot from
-- sleet.introspect.snapshot; casing: the config's ("snake_case",
-- "camelCase" or nil); source: what the header names as the origin.
function M.render(snap, opts)
  opts = opts or {}
  local dialect = snap.dialect
  local f = casing.resolve(opts.casing, util.usage) or function(k) return k end
  local mod = ({ postgresql = "pg", mysql = "mysql", sqlite = "sqlite" })[
    dialect]
  if not mod then util.usage("pull: unknown dialect " .. tostring(dialect)) end
  local notes = {}
  local function note(where, text)
    notes[#notes + 1] = where .. ": " .. text
    return text
  end

  -- names: module locals first, then schemas, enums and tables
  local taken = { sleet = true, sql = true, [mod] = true, schema = true,
    r = true, t = true }
  local order, target = tableorder(snap)
  local tkey = {}     -- snapshot table key → Lua key (and local name)
  local tkeys = {}    -- Lua keys taken by tables
  for _, k in ipairs(order) do
    local t = snap.tables[k]
    local base = camel(t.name)
    if tkeys[base] or taken[base] then
      base = camel((t.schema ~= "" and t.schema .. "_" or "") .. t.name)
    end
    local name = localname(base, taken)
    tkeys[name] = true
    tkey[k] = name
  end
  local schemalocal = {}
  local schemanames = {}
  if dialect == "postgresql" then
    local seen = {}
    for s in pairs(snap.schemas or {}) do seen[s] = true end
    for _, t in pairs(snap.tables) do
      if t.schema ~= "" then seen[t.schema] = true end
    end
    for _, e in pairs(snap.enums or {}) do
      if e.schema ~= "public" then seen[e.schema] = true end
    end
    for _, q in pairs(snap.sequences or {}) do
      if q.schema ~= "public" then seen[q.schema] = true end
    end
    for s in pairs(seen) do schemanames[#schemanames + 1] = s end
    table.sort(schemanames)
    for _, s in ipairs(schemanames) do
      schemalocal[s] = localname(camel(s) .. "Schema", taken)
    end
  end
  local seqlist = {}
  for _, key in ipairs(util.sortedkeys(snap.sequences or {})) do
    local q = snap.sequences[key]
    seqlist[#seqlist + 1] = { name = localname(camel(q.name) ..
      (taken[camel(q.name)] and "Seq" or ""), taken), q = q }
  end
  local enums, enumlist = {}, {}
  for _, key in ipairs(util.sortedkeys(snap.enums or {})) do
    local e = snap.enums[key]
    local base = camel(e.name)
    if taken[base] then base = base .. "Enum" end
    local name = localname(base, taken)
    enums[key] = { name = name, e = e }
    enumlist[#enumlist + 1] = enums[key]
  end

  -- column keys per table
  local colkey = {}
  for _, k in ipairs(order) do
    local t = snap.tables[k]
    local keys, used = {}, {}
    for _, c in ipairs(snapshot.columns(t)) do
      keys[c.name] = fresh(camel(c.name), used)
    end
    colkey[k] = keys
  end
  local function colref(k, name, via)
    return (via or tkey[k]) .. dot(colkey[k][name])
  end

  local out = {}
  local function w(s) out[#out + 1] = s end
  w("-- The schema of " .. (opts.source or "the database") ..
    ", as sleet-kit pull read it.")
  w("-- Pulling again rewrites this file; relations are in relations.lua.")
  w("local sleet = require \"sleet\"")
  w(("local %s = require \"sleet.%s\""):format(mod, mod))
  w("")
  w("local sql = sleet.sql -- luacheck: ignore")
  for _, s in ipairs(schemanames) do
    if s ~= "public" then
      w(("local %s = %s.schema(%s)"):format(schemalocal[s], mod, str(s)))
    end
  end
  if #enumlist > 0 then w("") end
  for _, en in ipairs(enumlist) do
    local e = en.e
    local vals = {}
    for i, v in ipairs(e.values) do vals[i] = str(v) end
    local maker = e.schema == "public" and (mod .. ".enum") or
      (schemalocal[e.schema] .. ".enum")
    w(("local %s = %s(%s, { %s })"):format(en.name, maker, str(e.name),
      table.concat(vals, ", ")))
  end
  if #seqlist > 0 then w("") end
  for _, sq in ipairs(seqlist) do
    local q = sq.q
    local o = seqopts(q, snapshot.sequence({ seqName = q.name, opts = {} }),
      {})
    local maker = q.schema == "public" and (mod .. ".sequence") or
      (schemalocal[q.schema] .. ".sequence")
    w(("local %s = %s(%s%s)"):format(sq.name, maker, str(q.name),
      #o > 0 and (", " .. optlist(o)) or ""))
  end
  if #order > 0 then
    w("")
    local names = {}
    for i, k in ipairs(order) do names[i] = tkey[k] end
    w("local " .. table.concat(names, ", "))
  end

  for _, k in ipairs(order) do
    local t = snap.tables[k]
    local where = (t.schema ~= "" and (t.schema .. ".") or "") .. t.name
    local keys = colkey[k]
    local maker = (dialect == "postgresql" and t.schema ~= "") and
      (schemalocal[t.schema] .. ".table") or (mod .. ".table")
    w("")
    w(("%s = %s(%s, {"):format(tkey[k], maker, str(t.name)))
    -- single-column unique constraints and foreign keys go on the column
    local uniq, refs, extras = {}, {}, {}
    for _, u in ipairs(sortedvalues(t.uniqueConstraints)) do
      if #u.columns == 1 and not uniq[u.columns[1]] and
        not u.nullsNotDistinct then
        uniq[u.columns[1]] = u
      else
        extras[#extras + 1] = { "unique", u }
      end
    end
    for _, fk in ipairs(sortedvalues(t.foreignKeys)) do
      local to = target(fk)
      if not to then
        extras[#extras + 1] = { "comment", note(where, ("foreign key %s " ..
          "references %s, which was not pulled"):format(fk.name,
          fk.tableTo)) }
      elseif #fk.columnsFrom == 1 and #fk.columnsTo == 1 then
        local l = refs[fk.columnsFrom[1]] or {}
        refs[fk.columnsFrom[1]] = l
        l[#l + 1] = fk
      else
        extras[#extras + 1] = { "fk", fk }
      end
    end
    for _, pk in ipairs(sortedvalues(t.compositePrimaryKeys)) do
      extras[#extras + 1] = { "pk", pk }
    end
    for _, ck in ipairs(sortedvalues(t.checkConstraints)) do
      extras[#extras + 1] = { "check", ck }
    end
    for _, ix in ipairs(sortedvalues(t.indexes)) do
      extras[#extras + 1] = { "index", ix }
    end
    for _, p in ipairs(sortedvalues(t.policies)) do
      extras[#extras + 1] = { "policy", p }
    end
    if t.isRLSEnabled and next(t.policies or {}) == nil then
      extras[#extras + 1] = { "rls" }
    end

    for _, c in ipairs(snapshot.columns(t)) do
      local key = keys[c.name]
      local typ, aff
      if dialect == "postgresql" then
        typ = pgtype(c.type, enums)
      elseif dialect == "mysql" then
        typ = mytype(c.type)
      else
        typ, aff = sqlitetype(c.type)
      end
      local nameArg = f(key) ~= c.name and str(c.name) or nil
      if not typ then
        local why = ("type %s is not in sleet.%s"):format(c.type, mod)
        if dialect == "postgresql" and c.type:sub(1, 1) == '"' then
          why = ("enum type %s was not read (its schema is outside " ..
            "schemaFilter)"):format(c.type)
        end
        note(where, ("column %s: %s; written as a comment (generate and " ..
          "push would drop the column until it is added)"):format(c.name,
          why))
        w(("  -- %s: type %s is not in sleet.%s"):format(ckey(key), c.type,
          mod))
      else
        if aff then
          w(("  -- declared as %s (the same %s affinity)"):format(c.type, aff))
          note(where, ("column %s: declared type %s written as %s"):format(
            c.name, c.type, aff))
        end
        local call
        if typ.enum then
          call = typ.enum.name .. "(" .. (nameArg or "") .. ")"
        elseif typ.myenum then
          call = mod .. ".enum(" .. (nameArg and (nameArg .. ", ") or "") ..
            typ.myenum .. ")"
        else
          local args = {}
          if nameArg then args[#args + 1] = nameArg end
          if typ.opts then args[#args + 1] = typ.opts end
          call = ("%s.%s(%s)"):format(mod, typ.fn, table.concat(args, ", "))
        end
        if typ.arrays then call = call .. (":array()"):rep(typ.arrays) end
        local serial = typ.fn == "serial" or typ.fn == "smallserial" or
          typ.fn == "bigserial"
        if c.primaryKey then
          if dialect == "sqlite" and c.autoincrement then
            call = call .. ":primaryKey({ autoIncrement = true })"
          else
            call = call .. ":primaryKey()"
          end
        end
        if c.autoincrement and dialect == "mysql" and not serial then
          call = call .. ":autoincrement()"
        end
        if c.onUpdate then call = call .. ":onUpdateNow()" end
        if c.identity then
          local id = c.identity
          local dflt = snapshot.identity({ type = id.type, opts = {} },
            c.type, { name = t.name, schema = t.schema }, c.name)
          local o = {}
          if id.name ~= dflt.name then o[#o + 1] = "name = " .. str(id.name) end
          seqopts(id, dflt, o)
          call = call .. (":generated%sAsIdentity(%s)"):format(
            id.type == "always" and "Always" or "ByDefault",
            optlist(o) or "")
        end
        if c.notNull and not c.primaryKey and not serial then
          call = call .. ":notNull()"
        end
        if c.generated then
          local gopts = ""
          if dialect ~= "postgresql" and c.generated.type == "stored" then
            gopts = ", { mode = \"stored\" }"
          end
          call = call .. (":generatedAlwaysAs(sql.raw(%s)%s)"):format(
            str(c.generated.as), gopts)
        elseif c.default ~= nil and not serial then
          call = call .. defaultmod(dialect, typ, c.default)
        end
        local u = uniq[c.name]
        if u then
          if u.name == t.name .. "_" .. c.name .. "_unique" then
            call = call .. ":unique()"
          else
            call = call .. (":unique(%s)"):format(str(u.name))
          end
        end
        for _, fk in ipairs(refs[c.name] or {}) do
          local to = target(fk)
          local rt = snap.tables[to]
          local o = {}
          if fk.name ~= joinnames({ t.name, c.name, rt.name,
            fk.columnsTo[1], "fk" }) then
            o[#o + 1] = "name = " .. str(fk.name)
          end
          if action(dialect, fk.onDelete) then
            o[#o + 1] = "onDelete = " .. str(fk.onDelete)
          end
          if action(dialect, fk.onUpdate) then
            o[#o + 1] = "onUpdate = " .. str(fk.onUpdate)
          end
          call = call .. (":references(function() return %s end%s)"):format(
            colref(to, fk.columnsTo[1]), #o > 0 and (", " .. optlist(o)) or "")
        end
        w(("  %s = %s,"):format(ckey(key), call))
      end
    end

    local lines = {}
    local function cols(list)
      local r = {}
      for i, name in ipairs(list) do
        r[i] = keys[name] and ("t" .. dot(keys[name])) or
          ("sql.raw(" .. str(name) .. ")")
      end
      return table.concat(r, ", ")
    end
    for _, x in ipairs(extras) do
      local kindname, v = x[1], x[2]
      if kindname == "comment" then
        lines[#lines + 1] = "    -- " .. v
      elseif kindname == "unique" then
        lines[#lines + 1] = ("    %s.unique(%s):on(%s)%s,"):format(mod,
          str(v.name), cols(v.columns),
          v.nullsNotDistinct and ":nullsNotDistinct()" or "")
      elseif kindname == "pk" then
        lines[#lines + 1] = ("    %s.primaryKey({ name = %s, columns = { %s } }),")
          :format(mod, str(v.name), cols(v.columns))
      elseif kindname == "fk" then
        local to = target(v)
        local fcols = {}
        for i, name in ipairs(v.columnsTo) do
          fcols[i] = to == k and ("t" .. dot(colkey[to][name])) or
            colref(to, name)
        end
        local o = { "name = " .. str(v.name),
          "columns = { " .. cols(v.columnsFrom) .. " }",
          "foreignColumns = { " .. table.concat(fcols, ", ") .. " }" }
        if action(dialect, v.onDelete) then o[#o + 1] = "onDelete = " .. str(v.onDelete) end
        if action(dialect, v.onUpdate) then o[#o + 1] = "onUpdate = " .. str(v.onUpdate) end
        lines[#lines + 1] = ("    %s.foreignKey(%s),"):format(mod, optlist(o))
      elseif kindname == "policy" then
        local o = {}
        if v.as and v.as:lower() ~= "permissive" then
          o[#o + 1] = "as = " .. str(v.as:lower())
        end
        if v["for"] and v["for"]:lower() ~= "all" then
          o[#o + 1] = "for_ = " .. str(v["for"]:lower())
        end
        local to = v.to or {}
        if not (#to == 1 and to[1] == "public") and #to > 0 then
          local names = {}
          for i, r in ipairs(to) do names[i] = str(r) end
          o[#o + 1] = "to = { " .. table.concat(names, ", ") .. " }"
        end
        if v.using then o[#o + 1] = "using = sql.raw(" .. str(v.using) .. ")" end
        if v.withCheck then
          o[#o + 1] = "withCheck = sql.raw(" .. str(v.withCheck) .. ")"
        end
        lines[#lines + 1] = ("    %s.policy(%s%s),"):format(mod, str(v.name),
          #o > 0 and (", " .. optlist(o)) or "")
      elseif kindname == "rls" then
        lines[#lines + 1] = ("    %s.enableRLS(),"):format(mod)
      elseif kindname == "check" then
        lines[#lines + 1] = ("    %s.check(%s, sql.raw(%s)),"):format(mod,
          str(v.name), str(v.value))
      else
        local items = {}
        for i, ic in ipairs(v.columns) do
          local plain = not ic.isExpression and keys[ic.expression]
          if plain then
            items[i] = "t" .. dot(keys[ic.expression])
            if ic.asc == false then items[i] = items[i] .. ":desc()" end
            if ic.nulls == "first" then
              items[i] = items[i] .. ":nullsFirst()"
            elseif ic.nulls == "last" then
              items[i] = items[i] .. ":nullsLast()"
            end
          else
            items[i] = "sql.raw(" .. str(ic.expression) .. ")"
            if ic.asc == false or ic.nulls then
              lines[#lines + 1] = "    -- " .. note(where, ("index %s: " ..
                "expression %d is ordered %s; sleet.%s orders only columns " ..
                "in an index"):format(v.name, i, (ic.asc == false and "desc"
                or "asc") .. (ic.nulls and (" nulls " .. ic.nulls) or ""),
                mod))
            end
          end
        end
        local on = ":on(" .. table.concat(items, ", ") .. ")"
        if v.method and v.method ~= "btree" then
          on = (":using(%s, %s)"):format(str(v.method),
            table.concat(items, ", "))
        end
        local line = ("    %s.%s(%s)%s"):format(mod,
          v.isUnique and "uniqueIndex" or "index", str(v.name), on)
        if v.nullsNotDistinct then line = line .. ":nullsNotDistinct()" end
        if v.where then
          line = line .. (":where(sql.raw(%s))"):format(str(v.where))
        end
        lines[#lines + 1] = line .. ","
      end
    end
    if #lines > 0 then
      w("}, function(t) return {")
      for _, l in ipairs(lines) do w(l) end
      w("} end)")
    else
      w("})")
    end
  end

  -- views: their columns as the database reports them, their query as
  -- its text
  local viewlist = {}
  for _, key in ipairs(util.sortedkeys(snap.views or {})) do
    local v = snap.views[key]
    if not v.isExisting then
      local base = camel(v.name)
      if taken[base] then base = base .. "View" end
      viewlist[#viewlist + 1] = { name = localname(base, taken), v = v }
    end
  end
  for _, e in ipairs(viewlist) do
    local v = e.v
    local where = "view " .. v.name
    local cols = {}
    for _, c in pairs(v.columns or {}) do cols[#cols + 1] = c end
    table.sort(cols, function(a, b)
      return (a.order or 0) < (b.order or 0)
    end)
    local maker = v.materialized and "materializedView" or "view"
    local owner = mod
    if dialect == "postgresql" and v.schema and v.schema ~= "public" then
      owner = schemalocal[v.schema] or mod
    end
    w("")
    w(("local %s = %s.%s(%s, {"):format(e.name, owner, maker, str(v.name)))
    local vkeys = {}
    for _, c in ipairs(cols) do
      local key = camel(c.name)
      if key == "" or vkeys[key] then key = c.name end
      vkeys[key] = true
      local typ
      if dialect == "postgresql" then
        typ = pgtype(c.type, enums)
      elseif dialect == "mysql" then
        typ = mytype(c.type)
      else
        typ = sqlitetype(c.type ~= "" and c.type or "blob")
      end
      local nameArg = f(key) ~= c.name and str(c.name) or nil
      if not typ or typ.enum or typ.myenum then
        note(where, ("column %s: type %s read as text"):format(c.name,
          tostring(c.type)))
        typ = ty("text")
      end
      local args = {}
      if nameArg then args[#args + 1] = nameArg end
      if typ.opts then args[#args + 1] = typ.opts end
      local call = ("%s.%s(%s)"):format(mod, typ.fn, table.concat(args, ", "))
      if typ.arrays then call = call .. (":array()"):rep(typ.arrays) end
      w(("  %s = %s,"):format(ckey(key), call))
    end
    w(("}):as(sql.raw(%s))"):format(str(v.definition or "")))
  end

  w("")
  w("return {")
  local exports = {}
  for _, e in ipairs(viewlist) do exports[#exports + 1] = e.name end
  for _, en in ipairs(enumlist) do exports[#exports + 1] = en.name end
  for _, sq in ipairs(seqlist) do exports[#exports + 1] = sq.name end
  for _, k in ipairs(order) do exports[#exports + 1] = tkey[k] end
  table.sort(exports)
  for _, name in ipairs(exports) do
    w(("  %s = %s,"):format(name, name))
  end
  w("}")

  return { schema = table.concat(out, "\n") .. "\n",
    relations = M.relations(snap, { order = order, target = target,
      tkey = tkey, colkey = colkey, source = opts.source }),
    notes = notes }
end

-- {====================================================================
-- Relations
-- =====================================================================

local function capital(s) return s:sub(1, 1):upper() .. s:sub(2) end

-- The relations.lua text of the tables render named (a table per foreign
-- key: one on the referencing table, many on the referenced one; and
-- many-to-many through each junction table: a table whose every column
-- belongs to one of its two foreign keys to two other tables).
function M.relations(snap, r)
  local order, target, tkey, colkey = r.order, r.target, r.tkey, r.colkey
  local rels = {}
  local taken = {}
  for _, k in ipairs(order) do
    rels[k] = {}
    taken[k] = {}
    for _, name in pairs(colkey[k]) do taken[k][name] = true end
  end
  local function add(k, base, text)
    local name = fresh(base, taken[k])
    rels[k][#rels[k] + 1] = { name = name, text = text }
    return name
  end
  local function refs(k, list)
    local out = {}
    for i, name in ipairs(list) do
      out[i] = "r." .. tkey[k] .. dot(colkey[k][name])
    end
    if #out == 1 then return out[1] end
    return "{ " .. table.concat(out, ", ") .. " }"
  end
  -- how many foreign keys go from one table to another
  local pairs_ = {}
  for _, k in ipairs(order) do
    for _, fk in ipairs(sortedvalues(snap.tables[k].foreignKeys)) do
      local to = target(fk)
      if to then
        local p = k .. "\0" .. to
        pairs_[p] = (pairs_[p] or 0) + 1
      end
    end
  end
  for _, k in ipairs(order) do
    local t = snap.tables[k]
    for _, fk in ipairs(sortedvalues(t.foreignKeys)) do
      local to = target(fk)
      if to then
        local one = tkey[to]
        if #fk.columnsFrom == 1 then
          local ck = colkey[k][fk.columnsFrom[1]]
          local stem = ck:match("^(.+)Id$") or ck:match("^(.+)ID$") or
            ck:match("^(.+)_id$")
          if stem and stem ~= ck then one = stem end
        end
        local required = true
        for _, name in ipairs(fk.columnsFrom) do
          if not t.columns[name].notNull then required = false end
        end
        local onename = add(k, one, ("r.one.%s({ from = %s, to = %s%s })")
          :format(tkey[to], refs(k, fk.columnsFrom),
            refs(to, fk.columnsTo),
            required and ", optional = false" or ""))
        local many = tkey[k]
        if to == k or pairs_[k .. "\0" .. to] > 1 then
          many = tkey[k] .. "Via" .. capital(onename)
        end
        add(to, many, ("r.many.%s({ from = %s, to = %s })"):format(tkey[k],
          refs(to, fk.columnsTo), refs(k, fk.columnsFrom)))
      end
    end
  end
  -- many-to-many through junction tables
  for _, k in ipairs(order) do
    local t = snap.tables[k]
    local fks = sortedvalues(t.foreignKeys)
    if #fks == 2 then
      local a, b = target(fks[1]), target(fks[2])
      local covered, all = {}, true
      for _, fk in ipairs(fks) do
        for _, name in ipairs(fk.columnsFrom) do covered[name] = true end
      end
      for name in pairs(t.columns) do
        if not covered[name] then all = false end
      end
      if a and b and a ~= b and a ~= k and b ~= k and all and
        #fks[1].columnsFrom == 1 and #fks[2].columnsFrom == 1 then
        local function through(x, fx, y, fy)
          add(x, tkey[y], ("r.many.%s({ from = %s:through(%s), to = " ..
            "%s:through(%s) })"):format(tkey[y], refs(x, fx.columnsTo),
            refs(k, fx.columnsFrom), refs(y, fy.columnsTo),
            refs(k, fy.columnsFrom)))
        end
        through(a, fks[1], b, fks[2])
        through(b, fks[2], a, fks[1])
      end
    end
  end

  local out = {}
  local function w(s) out[#out + 1] = s end
  w("-- The relations of " .. (r.source or "the database") ..
    ", inferred by sleet-kit pull from its")
  w("-- foreign keys. In sleet.config.lua: relations = \"<this file>\".")
  w("local sleet = require \"sleet\"")
  w("")
  w("return function(schema)")
  w("  return sleet.defineRelations(schema, function(r) return {")
  for _, k in ipairs(order) do
    if #rels[k] > 0 then
      w(("    %s = {"):format(ckey(tkey[k])))
      for _, rel in ipairs(rels[k]) do
        w(("      %s = %s,"):format(ckey(rel.name), rel.text))
      end
      w("    },")
    end
  end
  w("  } end)")
  w("end")
  return table.concat(out, "\n") .. "\n"
end

-- }====================================================================

return M
