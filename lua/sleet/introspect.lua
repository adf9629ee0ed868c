-- Introspection: a live database read back as a snapshot (the shape of
-- sleet.snapshot), so that `push` can diff the database against a schema.
--
-- What the catalogs report is normalised to the text a schema's snapshot
-- holds for the same thing: PostgreSQL's `'member'::text` default is
-- `'member'`, a `nextval(...)` default on an integer column is the type
-- serial, MySQL's `int(11)` is `int` and its `tinyint(1)` is `boolean`,
-- MariaDB's json (a longtext with a json_valid check) is json, SQLite's
-- constraint names are read from the CREATE TABLE text it keeps. What no
-- catalog can give back exactly (PostgreSQL re-prints check and index
-- expressions; MySQL names every primary key PRIMARY) is settled by
-- reconcile(), which takes the wanted snapshot's spelling wherever the two
-- mean the same.
local core = require "sleet.core"
local migrator = require "sleet.migrator"
local snapshot = require "sleet.snapshot"
local util = require "sleet.util"

local M = {}

-- Tracking tables of migrators: never part of a schema.
M.TRACKING = { __sleet_migrations = true, __drizzle_migrations = true }

-- Rows of a catalog query, logged by db's logger. sql uses ? placeholders
-- (numbered for PostgreSQL by migrator.sql; no catalog query has a ?
-- inside a literal).
local function rows(db, sql, params)
  return migrator.sql(db, sql, params, "all")
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function lower(s) return s and s:lower() or s end

local function decodelist(text)
  if text == nil or text == core.null then return {} end
  local v = core.json_decode(text)
  return type(v) == "table" and v or {}
end

local function newtable(name, schema)
  return {
    name = name, schema = schema or "", columns = {}, indexes = {},
    foreignKeys = {}, compositePrimaryKeys = {}, uniqueConstraints = {},
    checkConstraints = {},
  }
end

local function pkname(t, cols)
  return t .. "_" .. table.concat(cols, "_") .. "_pk"
end

local function fkname(t, cols, rt, rcols)
  return t .. "_" .. table.concat(cols, "_") .. "_" .. rt .. "_" ..
    table.concat(rcols, "_") .. "_fk"
end

local function uniquename(t, cols)
  return t .. "_" .. table.concat(cols, "_") .. "_unique"
end

local function sameitems(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- {====================================================================
-- SQLite: the pragma functions, and the CREATE statements SQLite keeps
-- =====================================================================

-- Tokens of SQL text: { t = "ident" | "string" | "word" | "punct", v, s, e }
-- with s..e the token's span in the text and v an identifier unquoted.
local function tokenize(sql)
  local toks, i, n = {}, 1, #sql
  while i <= n do
    local c = sql:sub(i, i)
    local nx = sql:sub(i + 1, i + 1)
    if c:match("%s") then
      i = i + 1
    elseif c == "-" and nx == "-" then
      i = (sql:find("\n", i, true) or n) + 1
    elseif c == "/" and nx == "*" then
      local _, e = sql:find("*/", i + 2, true)
      i = (e or n) + 1
    elseif c == '"' or c == "`" or c == "[" or c == "'" then
      local close = c == "[" and "]" or c
      local j, buf = i + 1, {}
      while j <= n do
        local ch = sql:sub(j, j)
        if ch == close then
          if close ~= "]" and sql:sub(j + 1, j + 1) == close then
            buf[#buf + 1] = close
            j = j + 2
          else
            break
          end
        else
          buf[#buf + 1] = ch
          j = j + 1
        end
      end
      toks[#toks + 1] = { t = c == "'" and "string" or "ident",
        v = table.concat(buf), s = i, e = j }
      i = j + 1
    elseif c:match("[%w_$]") then
      local s, e = sql:find("^[%w_$]+", i)
      toks[#toks + 1] = { t = "word", v = sql:sub(s, e), s = s, e = e }
      i = e + 1
    else
      toks[#toks + 1] = { t = "punct", v = c, s = i, e = i }
      i = i + 1
    end
  end
  return toks
end

local function isword(tok, w)
  return tok ~= nil and tok.t == "word" and tok.v:upper() == w
end

local function ispunct(tok, p)
  return tok ~= nil and tok.t == "punct" and tok.v == p
end

-- The index of the ")" closing the "(" at toks[i].
local function closing(toks, i)
  local depth = 0
  for j = i, #toks do
    if ispunct(toks[j], "(") then
      depth = depth + 1
    elseif ispunct(toks[j], ")") then
      depth = depth - 1
      if depth == 0 then return j end
    end
  end
  return #toks
end

-- The items of the parenthesised list opening at toks[i], as token ranges
-- { from, to }, and the index of its ")".
local function items(toks, i)
  local close = closing(toks, i)
  local out, from, depth = {}, i + 1, 0
  for j = i + 1, close - 1 do
    if ispunct(toks[j], "(") then
      depth = depth + 1
    elseif ispunct(toks[j], ")") then
      depth = depth - 1
    elseif depth == 0 and ispunct(toks[j], ",") then
      out[#out + 1] = { from, j - 1 }
      from = j + 1
    end
  end
  if from <= close - 1 then out[#out + 1] = { from, close - 1 } end
  return out, close
end

-- The source text inside the parentheses opening at toks[i].
local function inner(sql, toks, i)
  local close = closing(toks, i)
  return trim(sql:sub(toks[i].e + 1, toks[close].s - 1)), close
end

-- The names of a parenthesised name list.
local function namelist(toks, i)
  local list, close = items(toks, i)
  local out = {}
  for _, r in ipairs(list) do out[#out + 1] = toks[r[1]].v end
  return out, close
end

-- Reads "REFERENCES t (cols) [ON DELETE a] [ON UPDATE a]" at toks[i].
local function references(toks, i, last)
  local fk = { table = toks[i + 1] and toks[i + 1].v, columns = {},
    onDelete = "no action", onUpdate = "no action" }
  local j = i + 2
  if ispunct(toks[j], "(") then fk.columns, j = namelist(toks, j) end
  while j <= last do
    if isword(toks[j], "ON") and toks[j + 1] then
      local event = toks[j + 1].v:upper()
      local a, k = toks[j + 2] and toks[j + 2].v:lower() or "", j + 3
      if (a == "set" or a == "no") and toks[k] then
        a = a .. " " .. toks[k].v:lower()
        k = k + 1
      end
      if event == "DELETE" then fk.onDelete = a else fk.onUpdate = a end
      j = k
    else
      j = j + 1
    end
  end
  return fk
end

-- What a CREATE TABLE text declares beyond the pragmas: constraint names,
-- check expressions, generated expressions, AUTOINCREMENT.
local function parsecreate(sql)
  local info = { columns = {}, pks = {}, uniques = {}, checks = {}, fks = {} }
  if type(sql) ~= "string" then return info end
  local toks = tokenize(sql)
  local open
  for i, tok in ipairs(toks) do
    if ispunct(tok, "(") then
      open = i
      break
    end
  end
  if not open then return info end
  for _, r in ipairs((items(toks, open))) do
    local i, last = r[1], r[2]
    local head = toks[i]
    local name
    if isword(head, "CONSTRAINT") then
      name = toks[i + 1] and toks[i + 1].v
      i = i + 2
      head = toks[i]
    end
    if isword(head, "PRIMARY") or isword(head, "UNIQUE") then
      local j = i + 1
      while j <= last and not ispunct(toks[j], "(") do j = j + 1 end
      if j <= last then
        local cols = namelist(toks, j)
        local list = isword(head, "PRIMARY") and info.pks or info.uniques
        list[#list + 1] = { name = name, columns = cols }
      end
    elseif isword(head, "CHECK") and ispunct(toks[i + 1], "(") then
      info.checks[#info.checks + 1] = { name = name,
        value = (inner(sql, toks, i + 1)) }
    elseif isword(head, "FOREIGN") then
      local j = i + 1
      while j <= last and not ispunct(toks[j], "(") do j = j + 1 end
      local cols, close = namelist(toks, j)
      local k = close + 1
      while k <= last and not isword(toks[k], "REFERENCES") do k = k + 1 end
      local fk = references(toks, k, last)
      fk.name, fk.from = name, cols
      info.fks[#info.fks + 1] = fk
    elseif head then
      -- a column definition
      local col = { name = head.v }
      local j, cname = i + 1, nil
      while j <= last do
        local tok = toks[j]
        if isword(tok, "CONSTRAINT") then
          cname = toks[j + 1] and toks[j + 1].v
          j = j + 2
        elseif isword(tok, "AUTOINCREMENT") then
          col.autoincrement = true
          j = j + 1
        elseif isword(tok, "AS") and ispunct(toks[j + 1], "(") then
          local text, close = inner(sql, toks, j + 1)
          col.generated = { as = text, type = "virtual" }
          if isword(toks[close + 1], "STORED") then
            col.generated.type = "stored"
          end
          j = close + 1
        elseif isword(tok, "CHECK") and ispunct(toks[j + 1], "(") then
          local text, close = inner(sql, toks, j + 1)
          info.checks[#info.checks + 1] = { name = cname, value = text,
            column = col.name }
          cname = nil
          j = close + 1
        elseif isword(tok, "UNIQUE") then
          info.uniques[#info.uniques + 1] = { name = cname,
            columns = { col.name } }
          cname = nil
          j = j + 1
        elseif isword(tok, "REFERENCES") then
          local fk = references(toks, j, last)
          fk.name, fk.from = cname, { col.name }
          if #fk.columns == 0 then fk.columns = nil end
          info.fks[#info.fks + 1] = fk
          cname = nil
          j = last + 1
        elseif ispunct(tok, "(") then
          j = closing(toks, j) + 1
        else
          j = j + 1
        end
      end
      info.columns[col.name] = col
    end
  end
  return info
end

-- The key expressions and WHERE text of a CREATE INDEX text.
local function parseindex(sql)
  local out = { items = {} }
  if type(sql) ~= "string" then return out end
  local toks = tokenize(sql)
  local on
  for i, tok in ipairs(toks) do
    if isword(tok, "ON") then
      on = i
      break
    end
  end
  if not on then return out end
  local open = on + 1
  while open <= #toks and not ispunct(toks[open], "(") do open = open + 1 end
  if open > #toks then return out end
  local list, close = items(toks, open)
  for _, r in ipairs(list) do
    local from, to = r[1], r[2]
    local desc = false
    if isword(toks[to], "DESC") or isword(toks[to], "ASC") then
      desc = isword(toks[to], "DESC")
      to = to - 1
    end
    out.items[#out.items + 1] = {
      text = trim(sql:sub(toks[from].s, toks[to].e)), desc = desc,
      column = from == to and (toks[from].t == "ident" or
        toks[from].t == "word") and toks[from].v or nil,
    }
  end
  if isword(toks[close + 1], "WHERE") then
    out.where = trim(sql:sub(toks[close + 1].e + 1):gsub(";%s*$", ""))
  end
  return out
end

local function sqlite_snapshot(db, opts)
  local snap = snapshot.empty("sqlite")
  local list = rows(db, "select name, sql from sqlite_master where type = " ..
    "'table' and name not like 'sqlite\\_%' escape '\\' order by name")
  for _, tr in ipairs(list) do
    local tname = tr.name
    if not opts.exclude[tname] then
      local t = newtable(tname, "")
      local info = parsecreate(tr.sql)
      local pkcols = {}
      local cols = rows(db, "select * from pragma_table_xinfo(?) order by cid",
        { tname })
      local order = 0
      for _, cr in ipairs(cols) do
        if cr.hidden ~= 1 then
          order = order + 1
          local pc = info.columns[cr.name] or {}
          local ce = {
            name = cr.name, type = lower(cr.type or ""), order = order,
            primaryKey = false, notNull = cr.notnull == 1,
            autoincrement = pc.autoincrement or false,
          }
          if cr.dflt_value ~= nil and cr.dflt_value ~= core.null then
            ce.default = cr.dflt_value
          end
          if cr.hidden == 2 or cr.hidden == 3 then
            ce.generated = { as = pc.generated and pc.generated.as or "",
              type = cr.hidden == 3 and "stored" or "virtual" }
          end
          if cr.pk and cr.pk > 0 then
            pkcols[#pkcols + 1] = { cr.pk, cr.name }
          end
          t.columns[cr.name] = ce
        end
      end
      table.sort(pkcols, function(a, b) return a[1] < b[1] end)
      if #pkcols == 1 then
        t.columns[pkcols[1][2]].primaryKey = true
      elseif #pkcols > 1 then
        local names = {}
        for i, p in ipairs(pkcols) do names[i] = p[2] end
        local name
        for _, p in ipairs(info.pks) do
          if sameitems(p.columns, names) then name = p.name end
        end
        name = name or pkname(tname, names)
        t.compositePrimaryKeys[name] = { name = name, columns = names }
      end
      -- foreign keys: one pragma row per column, grouped by id
      local fks, fkorder = {}, {}
      local fklist = rows(db, "select * from pragma_foreign_key_list(?) " ..
        "order by id, seq", { tname })
      for _, fr in ipairs(fklist) do
        local fk = fks[fr.id]
        if not fk then
          fk = { tableTo = fr.table, columnsFrom = {}, columnsTo = {},
            onDelete = fr.on_delete:lower(), onUpdate = fr.on_update:lower() }
          fks[fr.id] = fk
          fkorder[#fkorder + 1] = fr.id
        end
        fk.columnsFrom[#fk.columnsFrom + 1] = fr.from
        fk.columnsTo[#fk.columnsTo + 1] = fr.to ~= core.null and fr.to or nil
      end
      for _, id in ipairs(fkorder) do
        local fk = fks[id]
        local name
        for _, p in ipairs(info.fks) do
          if p.table == fk.tableTo and sameitems(p.from, fk.columnsFrom) then
            name = p.name
          end
        end
        name = name or fkname(tname, fk.columnsFrom, fk.tableTo, fk.columnsTo)
        t.foreignKeys[name] = {
          name = name, tableFrom = tname, columnsFrom = fk.columnsFrom,
          tableTo = fk.tableTo, schemaTo = "", columnsTo = fk.columnsTo,
          onDelete = fk.onDelete, onUpdate = fk.onUpdate,
        }
      end
      for _, ck in ipairs(info.checks) do
        local name = ck.name or (tname .. "_" .. (ck.column or "table") ..
          "_check")
        t.checkConstraints[name] = { name = name, value = ck.value }
      end
      -- indexes: constraint ones ('u') are unique constraints, 'c' indexes
      for _, ir in ipairs(rows(db, "select il.name as name, il.origin as " ..
        "origin, il.\"unique\" as isunique, m.sql as sql from " ..
        "pragma_index_list(?) il left join sqlite_master m on m.type = " ..
        "'index' and m.name = il.name order by il.name", { tname })) do
        local keys = {}
        for _, k in ipairs(rows(db, "select * from pragma_index_xinfo(?) " ..
          "where key = 1 order by seqno", { ir.name })) do
          keys[#keys + 1] = k
        end
        if ir.origin == "u" then
          local names = {}
          for i, k in ipairs(keys) do names[i] = k.name end
          local name
          for _, u in ipairs(info.uniques) do
            if sameitems(u.columns, names) and not t.uniqueConstraints[
              u.name or ""] then
              name = u.name
            end
          end
          name = name or uniquename(tname, names)
          t.uniqueConstraints[name] = { name = name, columns = names }
        elseif ir.origin == "c" then
          local parsed = parseindex(ir.sql)
          local icols = {}
          for i, k in ipairs(keys) do
            local p = parsed.items[i] or {}
            if k.cid ~= nil and k.cid >= 0 then
              icols[i] = { expression = k.name, isExpression = false,
                asc = k.desc == 0 }
            else
              icols[i] = { expression = p.text or "", isExpression = true,
                asc = k.desc == 0 }
            end
          end
          t.indexes[ir.name] = { name = ir.name, columns = icols,
            isUnique = ir.isunique == 1, where = parsed.where }
        end
      end
      snap.tables[tname] = t
    end
  end
  return snap
end

-- }====================================================================

-- {====================================================================
-- PostgreSQL: pg_catalog
-- =====================================================================

local function placeholders(n)
  local p = {}
  for i = 1, n do p[i] = "?" end
  return table.concat(p, ", ")
end

-- The spelling of a format_type() text in the schema modules (sleet.pg).
local function pgtype(t)
  local s = t
  s = s:gsub("^character varying", "varchar")
  s = s:gsub("^character%f[%W]", "char")
  s = s:gsub("^bpchar", "char")
  local p, rest = s:match("^timestamp(%(%d+%)) (.*)$")
  if p then
    s = "timestamp " .. p .. (rest == "with time zone" and " with time zone"
      or "")
  else
    s = s:gsub("^timestamp without time zone$", "timestamp")
  end
  local tp, trest = s:match("^time(%(%d+%)) (.*)$")
  if tp then
    s = "time" .. tp .. (trest == "with time zone" and " with time zone" or "")
  else
    s = s:gsub("^time without time zone$", "time")
  end
  s = s:gsub("^numeric%((%d+),(%d+)%)$", "numeric(%1, %2)")
  return s
end

-- Strips a literal's trailing cast ('member'::text → 'member'); a number
-- PostgreSQL quoted for a cast ('-1'::integer) loses its quotes.
local function pgdefault(d, ctype)
  if d == nil or d == core.null then return nil end
  local lit, cast = d:match("^('.*')::([%w_ \"%.%[%]%(%),]+)$")
  if lit and not lit:sub(2, -2):gsub("''", ""):find("'", 1, true) then
    local num = lit:match("^'(%-?%d+%.?%d*)'$")
    if num and (ctype:match("int") or ctype:match("numeric") or
      ctype:match("real") or ctype:match("double") or ctype:match("serial"))
      and not cast:match("^text") then
      return num
    end
    return lit
  end
  local neg = d:match("^%((%-[%d%.]+)%)$")
  if neg then return neg end
  return d
end

local pgactions = { a = "no action", r = "restrict", c = "cascade",
  n = "set null", d = "set default" }

local function pg_snapshot(db, opts)
  local snap = snapshot.empty("postgresql")
  -- NULLS NOT DISTINCT is PostgreSQL 15's
  local v15 = tonumber(rows(db, "select current_setting(" ..
    "'server_version_num') as v")[1].v) >= 150000
  local scope = { "public" }
  local seen = { public = true }
  for _, s in ipairs(opts.schemas or {}) do
    if not seen[s] then
      seen[s] = true
      scope[#scope + 1] = s
    end
  end
  local inlist = "(" .. placeholders(#scope) .. ")"
  for _, r in ipairs(rows(db, "select nspname from pg_namespace where " ..
    "nspname in " .. inlist, scope)) do
    if r.nspname ~= "public" then snap.schemas[r.nspname] = r.nspname end
  end
  local tables = {}
  local function tableof(schema, name)
    if opts.exclude[name] then return nil end
    local key = schema .. "." .. name
    local t = tables[key]
    if not t then
      t = newtable(name, schema == "public" and "" or schema)
      tables[key] = t
      snap.tables[key] = t
    end
    return t
  end
  for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as table_name from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname in ]] .. inlist, scope)) do
    tableof(r.schema_name, r.table_name)
  end
  local counts = {}
  for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as table_name, a.attname as name,
  format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as notnull,
  pg_get_expr(d.adbin, d.adrelid) as def, a.attgenerated as generated,
  a.attidentity as identity, t.typtype as typtype, t.typname as typname,
  tn.nspname as typschema
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
join pg_namespace tn on tn.oid = t.typnamespace
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
  and n.nspname in ]] .. inlist .. [[
order by n.nspname, c.relname, a.attnum]], scope)) do
    local t = tableof(r.schema_name, r.table_name)
    if t then
      local key = r.schema_name .. "." .. r.table_name
      counts[key] = (counts[key] or 0) + 1
      local ctype
      if r.typtype == "e" then
        -- spelled as the schema module spells an enum column's type
        local q = '"' .. r.typname:gsub('"', '""') .. '"'
        ctype = r.typschema == "public" and q or
          ('"' .. r.typschema:gsub('"', '""') .. '".' .. q)
      else
        ctype = pgtype(r.type)
      end
      local ce = { name = r.name, type = ctype, order = counts[key],
        primaryKey = false, notNull = r.notnull == true,
        autoincrement = false }
      local d = r.def ~= core.null and r.def or nil
      if r.generated == "s" and d then
        ce.generated = { as = d, type = "stored" }
      elseif d and d:match("^nextval%(") and (ctype == "integer" or
        ctype == "bigint" or ctype == "smallint") then
        ce.type = ({ integer = "serial", bigint = "bigserial",
          smallint = "smallserial" })[ctype]
      else
        ce.default = pgdefault(d, ctype)
      end
      if r.identity == "a" or r.identity == "d" then
        ce.identity = { type = r.identity == "a" and "always" or "byDefault" }
      end
      t.columns[r.name] = ce
    end
  end
  -- the sequences of identity columns
  for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as table_name, a.attname as name,
  sc.relname as seqname, sn.nspname as seqschema,
  s.seqstart::text as start, s.seqincrement::text as inc,
  s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache,
  s.seqcycle as cycle
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_depend dep on dep.refobjid = c.oid and dep.refobjsubid = a.attnum
  and dep.classid = 'pg_class'::regclass and dep.deptype = 'i'
join pg_class sc on sc.oid = dep.objid and sc.relkind = 'S'
join pg_namespace sn on sn.oid = sc.relnamespace
join pg_sequence s on s.seqrelid = sc.oid
where a.attidentity in ('a', 'd') and n.nspname in ]] .. inlist, scope)) do
    local t = tables[r.schema_name .. "." .. r.table_name]
    local ce = t and t.columns[r.name]
    if ce and ce.identity then
      local id = ce.identity
      id.name, id.schema = r.seqname, r.seqschema
      id.increment, id.startWith = r.inc, r.start
      id.minValue, id.maxValue, id.cache = r.min, r.max, r.cache
      id.cycle = r.cycle == true
    end
  end
  for _, r in ipairs(rows(db, [[
select con.conname as name, con.contype as type, n.nspname as schema_name,
  cl.relname as table_name, fc.relname as ftable, fn.nspname as fschema,
  con.confdeltype as ondelete, con.confupdtype as onupdate,
  pg_get_constraintdef(con.oid) as def,
  ]] .. (v15 and [[(select i.indnullsnotdistinct from pg_index i
    where i.indexrelid = con.conindid)]] or "false") .. [[ as nnd,
  (select json_agg(a.attname order by k.ord)
     from unnest(con.conkey) with ordinality k(attnum, ord)
     join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
  )::text as cols,
  (select json_agg(a.attname order by k.ord)
     from unnest(con.confkey) with ordinality k(attnum, ord)
     join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum
  )::text as fcols
from pg_constraint con
join pg_class cl on cl.oid = con.conrelid
join pg_namespace n on n.oid = cl.relnamespace
left join pg_class fc on fc.oid = con.confrelid
left join pg_namespace fn on fn.oid = fc.relnamespace
where con.contype in ('p', 'f', 'u', 'c') and n.nspname in ]] .. inlist .. [[
order by n.nspname, cl.relname, con.conname]], scope)) do
    local t = tables[r.schema_name .. "." .. r.table_name]
    if t then
      local cols = decodelist(r.cols)
      if r.type == "p" then
        if #cols == 1 and t.columns[cols[1]] then
          t.columns[cols[1]].primaryKey = true
        else
          t.compositePrimaryKeys[r.name] = { name = r.name, columns = cols }
        end
      elseif r.type == "u" then
        t.uniqueConstraints[r.name] = { name = r.name, columns = cols,
          nullsNotDistinct = r.nnd == true or nil }
      elseif r.type == "c" then
        local v = r.def:match("^CHECK %((.*)%)") or r.def
        v = v:gsub("%s+NOT VALID$", "")
        t.checkConstraints[r.name] = { name = r.name, value = v }
      else
        t.foreignKeys[r.name] = {
          name = r.name, tableFrom = r.table_name, columnsFrom = cols,
          tableTo = r.ftable, schemaTo = r.fschema == "public" and "" or
            r.fschema,
          columnsTo = decodelist(r.fcols),
          onDelete = pgactions[r.ondelete] or "no action",
          onUpdate = pgactions[r.onupdate] or "no action",
        }
      end
    end
  end
  for _, r in ipairs(rows(db, [[
select i.relname as name, t.relname as table_name, n.nspname as schema_name,
  ix.indisunique as isunique, am.amname as method,
  ]] .. (v15 and "ix.indnullsnotdistinct" or "false") .. [[ as nnd,
  pg_get_expr(ix.indpred, ix.indrelid) as pred,
  (select json_agg(json_build_object(
      'attnum', k.attnum,
      'name', (select a.attname from pg_attribute a
               where a.attrelid = ix.indrelid and a.attnum = k.attnum),
      'expr', pg_get_indexdef(ix.indexrelid, k.ord::int, true),
      'desc', (ix.indoption[k.ord - 1] & 1) = 1,
      'nullsfirst', (ix.indoption[k.ord - 1] & 2) = 2) order by k.ord)
     from unnest(ix.indkey::int2[]) with ordinality k(attnum, ord)
     where k.ord <= ix.indnkeyatts)::text as cols
from pg_index ix
join pg_class i on i.oid = ix.indexrelid
join pg_class t on t.oid = ix.indrelid
join pg_namespace n on n.oid = t.relnamespace
join pg_am am on am.oid = i.relam
where n.nspname in ]] .. inlist .. [[
  and not exists (select 1 from pg_constraint c
                  where c.conindid = ix.indexrelid
                    and c.contype in ('p', 'u', 'x'))
order by n.nspname, t.relname, i.relname]], scope)) do
    local t = tables[r.schema_name .. "." .. r.table_name]
    if t then
      local icols = {}
      for i, k in ipairs(decodelist(r.cols)) do
        -- NULLS in the direction's default order is left out
        local nulls
        if k.nullsfirst == (not k.desc) then
          nulls = k.nullsfirst and "first" or "last"
        end
        if k.attnum ~= 0 and type(k.name) == "string" then
          icols[i] = { expression = k.name, isExpression = false,
            asc = not k.desc, nulls = nulls }
        else
          icols[i] = { expression = k.expr, isExpression = true,
            asc = not k.desc, nulls = nulls }
        end
      end
      t.indexes[r.name] = { name = r.name, columns = icols,
        isUnique = r.isunique == true, method = r.method,
        where = r.pred ~= core.null and r.pred or nil,
        nullsNotDistinct = r.nnd == true or nil }
    end
  end
  for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, t.typname as name,
  json_agg(e.enumlabel order by e.enumsortorder)::text as vals
from pg_type t
join pg_enum e on e.enumtypid = t.oid
join pg_namespace n on n.oid = t.typnamespace
where n.nspname in ]] .. inlist .. [[
group by n.nspname, t.typname
order by n.nspname, t.typname]], scope)) do
    snap.enums[r.schema_name .. "." .. r.name] = { name = r.name,
      schema = r.schema_name, values = decodelist(r.vals) }
  end
  -- row-level security: the switch, the policies, the roles
  for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as table_name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and c.relrowsecurity and n.nspname in ]] ..
    inlist, scope)) do
    local t = tables[r.schema_name .. "." .. r.table_name]
    if t then t.isRLSEnabled = true end
  end
  for _, r in ipairs(rows(db, [[
select schemaname as schema_name, tablename as table_name,
  policyname as name, permissive as as_, cmd,
  array_to_json(roles)::text as roles, qual, with_check
from pg_policies where schemaname in ]] .. inlist .. [[
order by 1, 2, 3]], scope)) do
    local t = tables[r.schema_name .. "." .. r.table_name]
    if t then
      local to = decodelist(r.roles)
      table.sort(to)
      t.policies = t.policies or {}
      t.policies[r.name] = { name = r.name, as = r.as_, ["for"] = r.cmd,
        to = to, using = r.qual ~= core.null and r.qual or nil,
        withCheck = r.with_check ~= core.null and r.with_check or nil }
    end
  end
  for _, r in ipairs(rows(db, [[
select rolname as name, rolcreatedb as createdb, rolcreaterole as createrole,
  rolinherit as inherit
from pg_roles where rolname !~ '^pg_' and not rolsuper
order by rolname]])) do
    snap.roles = snap.roles or {}
    snap.roles[r.name] = { name = r.name, createDb = r.createdb == true,
      createRole = r.createrole == true, inherit = r.inherit == true }
  end
  -- sequences of their own (not a serial's or an identity's)
  for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as name,
  s.seqstart::text as start, s.seqincrement::text as inc,
  s.seqmin::text as min, s.seqmax::text as max, s.seqcache::text as cache,
  s.seqcycle as cycle
from pg_sequence s
join pg_class c on c.oid = s.seqrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname in ]] .. inlist .. [[
  and not exists (select 1 from pg_depend d
    where d.classid = 'pg_class'::regclass and d.objid = c.oid
      and d.deptype in ('a', 'i'))
order by n.nspname, c.relname]], scope)) do
    snap.sequences[r.schema_name .. "." .. r.name] = { name = r.name,
      schema = r.schema_name, increment = r.inc, startWith = r.start,
      minValue = r.min, maxValue = r.max, cache = r.cache,
      cycle = r.cycle == true }
  end
  return snap
end

-- }====================================================================

-- {====================================================================
-- MySQL and MariaDB: information_schema
-- =====================================================================

-- The spelling of a COLUMN_TYPE in sleet.mysql.
local function mytype(t)
  local s = t:lower()
  if s == "tinyint(1)" then return "boolean" end
  s = s:gsub("^(%a*int)%(%d+%)", "%1")
  s = s:gsub("^year%(4%)$", "year")
  if s == "decimal(10,0)" then s = "decimal" end
  s = s:gsub("^decimal%(10,0%) ", "decimal ")
  return s
end

local function isnumber(s)
  return s:match("^%-?%d+%.?%d*e?[%-+]?%d*$") ~= nil
end

-- A COLUMN_DEFAULT in the spelling of CREATE TABLE: MariaDB quotes string
-- literals and writes NULL for none; MySQL leaves strings bare and marks
-- expressions DEFAULT_GENERATED. Expressions are parenthesised as sleet
-- writes them; current_timestamp() is now().
local function mydefault(d, ctype, extra, mariadb)
  if d == nil or d == core.null then return nil end
  if mariadb and d == "NULL" then return nil end
  if ctype == "boolean" and (d == "1" or d == "0") then
    return d == "1" and "true" or "false"
  end
  if isnumber(d) then return d end
  if d:sub(1, 1) == "'" and mariadb then return d end
  if not mariadb and not extra:find("DEFAULT_GENERATED", 1, true) then
    return "'" .. d:gsub("\\", "\\\\"):gsub("'", "\\'") .. "'"
  end
  local e = d:lower()
  e = e:gsub("^current_timestamp%(%)$", "now()")
  e = e:gsub("^current_timestamp%((%d+)%)$", "now(%1)")
  e = e:gsub("^current_timestamp$", "now()")
  if e ~= d:lower() then d = e end
  if d:sub(1, 1) == "(" and d:sub(-1) == ")" then return d end
  return "(" .. d .. ")"
end

local function my_snapshot(db, opts)
  local snap = snapshot.empty("mysql")
  local version = rows(db, "select version() as v")[1].v or ""
  local mariadb = version:lower():find("mariadb", 1, true) ~= nil
  local tables = {}
  for _, r in ipairs(rows(db, "select TABLE_NAME as name from " ..
    "information_schema.TABLES where TABLE_SCHEMA = database() and " ..
    "TABLE_TYPE = 'BASE TABLE' order by TABLE_NAME")) do
    if not opts.exclude[r.name] then
      tables[r.name] = newtable(r.name, "")
      snap.tables[r.name] = tables[r.name]
    end
  end
  local autoinc = {}
  for _, r in ipairs(rows(db, [[
select TABLE_NAME as tbl, COLUMN_NAME as name, ORDINAL_POSITION as pos,
  COLUMN_TYPE as ctype, IS_NULLABLE as nullable, COLUMN_DEFAULT as def,
  EXTRA as extra, GENERATION_EXPRESSION as gen
from information_schema.COLUMNS where TABLE_SCHEMA = database()
order by TABLE_NAME, ORDINAL_POSITION]])) do
    local t = tables[r.tbl]
    if t then
      local extra = r.extra ~= core.null and r.extra or ""
      local ctype = mytype(r.ctype)
      local ce = { name = r.name, type = ctype, order = r.pos,
        primaryKey = false, notNull = r.nullable == "NO",
        autoincrement = extra:lower():find("auto_increment", 1, true) ~= nil }
      local up = extra:upper()
      if up:find("GENERATED", 1, true) and not
        up:find("DEFAULT_GENERATED", 1, true) then
        ce.generated = { as = r.gen ~= core.null and r.gen or "",
          type = up:find("STORED", 1, true) and "stored" or "virtual" }
      else
        ce.default = mydefault(r.def, ctype, extra, mariadb)
      end
      if ce.autoincrement then autoinc[r.tbl .. "." .. r.name] = ce end
      if extra:lower():find("on update current_timestamp", 1, true) then
        ce.onUpdate = true
      end
      t.columns[r.name] = ce
    end
  end
  -- constraint columns, in order
  local keycols = {}
  for _, r in ipairs(rows(db, [[
select TABLE_NAME as tbl, CONSTRAINT_NAME as name, COLUMN_NAME as col,
  REFERENCED_TABLE_NAME as rtbl, REFERENCED_COLUMN_NAME as rcol
from information_schema.KEY_COLUMN_USAGE
where CONSTRAINT_SCHEMA = database() and TABLE_SCHEMA = database()
order by TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION]])) do
    local key = r.tbl .. "\0" .. r.name
    local k = keycols[key]
    if not k then
      k = { cols = {}, rcols = {} }
      keycols[key] = k
    end
    k.cols[#k.cols + 1] = r.col
    if r.rcol ~= core.null then k.rcols[#k.rcols + 1] = r.rcol end
  end
  local fkinfo = {}
  for _, r in ipairs(rows(db, [[
select TABLE_NAME as tbl, CONSTRAINT_NAME as name, UPDATE_RULE as onupdate,
  DELETE_RULE as ondelete, REFERENCED_TABLE_NAME as rtbl
from information_schema.REFERENTIAL_CONSTRAINTS
where CONSTRAINT_SCHEMA = database()]])) do
    fkinfo[r.tbl .. "\0" .. r.name] = r
  end
  local fknames = {}
  for _, r in ipairs(rows(db, [[
select TABLE_NAME as tbl, CONSTRAINT_NAME as name, CONSTRAINT_TYPE as type
from information_schema.TABLE_CONSTRAINTS
where CONSTRAINT_SCHEMA = database() and TABLE_SCHEMA = database()
order by TABLE_NAME, CONSTRAINT_NAME]])) do
    local t = tables[r.tbl]
    local k = keycols[r.tbl .. "\0" .. r.name]
    if t and k then
      if r.type == "PRIMARY KEY" then
        if #k.cols == 1 and t.columns[k.cols[1]] then
          t.columns[k.cols[1]].primaryKey = true
        else
          local name = pkname(r.tbl, k.cols)
          t.compositePrimaryKeys[name] = { name = name, columns = k.cols }
        end
      elseif r.type == "UNIQUE" then
        local ai = #k.cols == 1 and autoinc[r.tbl .. "." .. k.cols[1]]
        if ai and r.name == k.cols[1] and ai.type == "bigint unsigned" and
          ai.notNull then
          -- SERIAL: BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE (the
          -- unique key is left out when the column is the primary key)
          ai.serial = true
        else
          t.uniqueConstraints[r.name] = { name = r.name, columns = k.cols }
        end
      elseif r.type == "FOREIGN KEY" then
        local f = fkinfo[r.tbl .. "\0" .. r.name] or {}
        fknames[r.tbl .. "\0" .. r.name] = true
        t.foreignKeys[r.name] = {
          name = r.name, tableFrom = r.tbl, columnsFrom = k.cols,
          tableTo = f.rtbl, schemaTo = "", columnsTo = k.rcols,
          onDelete = (f.ondelete or "no action"):lower(),
          onUpdate = (f.onupdate or "no action"):lower(),
        }
      end
    end
  end
  for _, ce in pairs(autoinc) do
    if ce.type == "bigint unsigned" and ce.notNull and
      (ce.serial or ce.primaryKey) then
      ce.type = "serial"
    end
    ce.serial = nil
  end
  -- checks (MariaDB keeps column-level ones too: json is a json_valid check)
  local checksql
  if mariadb then
    checksql = [[
select TABLE_NAME as tbl, CONSTRAINT_NAME as name, CHECK_CLAUSE as clause,
  LEVEL as level
from information_schema.CHECK_CONSTRAINTS
where CONSTRAINT_SCHEMA = database() order by TABLE_NAME, CONSTRAINT_NAME]]
  else
    checksql = [[
select tc.TABLE_NAME as tbl, cc.CONSTRAINT_NAME as name,
  cc.CHECK_CLAUSE as clause, 'Table' as level
from information_schema.CHECK_CONSTRAINTS cc
join information_schema.TABLE_CONSTRAINTS tc
  on tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA
 and tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME and tc.CONSTRAINT_TYPE = 'CHECK'
where cc.CONSTRAINT_SCHEMA = database()
order by tc.TABLE_NAME, cc.CONSTRAINT_NAME]]
  end
  for _, r in ipairs(rows(db, checksql)) do
    local t = tables[r.tbl]
    if t then
      local col = t.columns[r.name]
      local clause = trim(r.clause)
      if r.level == "Column" and col and col.type == "longtext" and
        clause:lower():gsub("[`%s]", "") == "json_valid(" ..
        r.name:lower() .. ")" then
        col.type = "json"
      elseif r.level ~= "Column" then
        t.checkConstraints[r.name] = { name = r.name, value = clause }
      end
    end
  end
  local idx = {}
  for _, r in ipairs(rows(db, [[
select TABLE_NAME as tbl, INDEX_NAME as name, NON_UNIQUE as nonunique,
  COLUMN_NAME as col, COLLATION as coll
from information_schema.STATISTICS where TABLE_SCHEMA = database()
order by TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX]])) do
    local t = tables[r.tbl]
    local key = r.tbl .. "\0" .. r.name
    if t and r.name ~= "PRIMARY" and not keycols[key] then
      local ix = idx[key]
      if not ix then
        ix = { name = r.name, columns = {},
          isUnique = tonumber(r.nonunique) == 0 }
        idx[key] = ix
        t.indexes[r.name] = ix
      end
      ix.columns[#ix.columns + 1] = {
        expression = r.col ~= core.null and r.col or "",
        isExpression = r.col == core.null, asc = r.coll ~= "D" }
    end
  end
  -- MySQL makes an index for a foreign key (named after it) and keeps it
  -- when the key is dropped: such indexes belong to no schema
  for key, ix in pairs(idx) do
    local tbl = key:match("^(.-)%z")
    if fknames[key] or (not ix.isUnique and ix.name:match("_fk$") and
      ix.name:sub(1, #tbl + 1) == tbl .. "_") then
      tables[tbl].indexes[ix.name] = nil
    end
  end
  return snap
end

-- }====================================================================

-- {====================================================================
-- Entry points
-- =====================================================================

-- introspect.snapshot(db, { schemas, exclude }) → the snapshot of the
-- database db is connected to. schemas: PostgreSQL schemas to read besides
-- public; exclude: a set or list of table names to leave out (tracking
-- tables of migrators always are). id and prevId are ZERO.
-- The views of the database (name, schema, materialized, and the
-- database's own text of the definition, which push does not compare: see
-- reconcile).
local function liveviews(db, dialect, snap, opts)
  local out = {}
  local function add(key, e)
    if opts.exclude[e.name] then return end
    e.columns, e.isExisting = {}, false
    out[key] = e
  end
  -- a view's columns (what pull declares): name, type, order
  local function col(e, name, typ, pos)
    if e then
      e.columns[name] = { name = name, type = typ, order = tonumber(pos),
        primaryKey = false, notNull = false }
    end
  end
  if dialect == "sqlite" then
    for _, r in ipairs(rows(db, "select name, sql from sqlite_master where " ..
      "type = 'view' order by name")) do
      -- the query after CREATE VIEW name AS
      local q = r.sql:match("^%s*[Cc][Rr][Ee][Aa][Tt][Ee]%s.-%s[Aa][Ss]%s+(.*)$")
      add(r.name, { name = r.name, definition = q or r.sql })
      for _, c in ipairs(rows(db, "select name, type, cid from " ..
        "pragma_table_info(?)", { r.name })) do
        col(out[r.name], c.name, (c.type or ""):lower(), c.cid + 1)
      end
    end
  elseif dialect == "postgresql" then
    local scope = { "public" }
    for s in pairs(snap.schemas or {}) do scope[#scope + 1] = s end
    for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as view_name,
  c.relkind = 'm' as materialized, pg_get_viewdef(c.oid) as definition
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and n.nspname in (]] ..
      placeholders(#scope) .. ")", scope)) do
      add(r.schema_name .. "." .. r.view_name, { name = r.view_name,
        schema = r.schema_name, materialized = r.materialized == true or
          r.materialized == "t",
        definition = r.definition:gsub("^%s+", ""):gsub("[%s;]+$", "") })
    end
    for _, r in ipairs(rows(db, [[
select n.nspname as schema_name, c.relname as view_name, a.attname as name,
  format_type(a.atttypid, a.atttypmod) as type, a.attnum as pos
from pg_attribute a join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and a.attnum > 0 and not a.attisdropped
  and n.nspname in (]] .. placeholders(#scope) .. ")", scope)) do
      col(out[r.schema_name .. "." .. r.view_name], r.name, pgtype(r.type),
        r.pos)
    end
  else
    for _, r in ipairs(rows(db, "select TABLE_NAME as name, " ..
      "VIEW_DEFINITION as definition from information_schema.VIEWS where " ..
      "TABLE_SCHEMA = database()")) do
      add(r.name, { name = r.name, definition = r.definition })
    end
    for _, r in ipairs(rows(db, "select c.TABLE_NAME as view_name, " ..
      "c.COLUMN_NAME as name, c.COLUMN_TYPE as ctype, c.ORDINAL_POSITION as " ..
      "pos from information_schema.COLUMNS c join information_schema.VIEWS v " ..
      "on v.TABLE_SCHEMA = c.TABLE_SCHEMA and v.TABLE_NAME = c.TABLE_NAME " ..
      "where c.TABLE_SCHEMA = database()")) do
      col(out[r.view_name], r.name, mytype(r.ctype), r.pos)
    end
  end
  snap.views = out
  return snap
end

function M.snapshot(db, opts)
  opts = opts or {}
  local exclude = {}
  for k in pairs(M.TRACKING) do exclude[k] = true end
  for k, v in pairs(opts.exclude or {}) do
    if type(k) == "number" then exclude[v] = true else exclude[k] = v end
  end
  local o = { schemas = opts.schemas, exclude = exclude }
  if type(db) ~= "table" or type(db._connection) ~= "function" then
    util.usage("introspect: expected a database from sleet.connect")
  end
  local dialect = db:_connection():dialect()
  local snap
  if dialect == "sqlite" then
    snap = sqlite_snapshot(db, o)
  elseif dialect == "postgresql" then
    snap = pg_snapshot(db, o)
  else
    snap = my_snapshot(db, o)
  end
  return liveviews(db, dialect, snap, o)
end

-- An expression reduced to what every catalog agrees on: no identifier
-- quotes, casts, parentheses or white space, lower case.
local function canon(s)
  if s == nil then return nil end
  s = s:lower():gsub("\\'", "''")
  -- casts: '-1'::integer is -1; x::text, x::character varying(9) are x
  s = s:gsub("'(%-?[%d%.]+)'::", "%1::")
  for _, t in ipairs({ "character varying", "double precision",
    "timestamp with time zone", "timestamp without time zone",
    "time with time zone", "time without time zone" }) do
    s = s:gsub("::%s*" .. t:gsub(" ", "%%s+"), "::x")
  end
  s = s:gsub('::%s*"[^"]*"', ""):gsub("::%s*[%a_][%w_]*%s*%b()", "")
    :gsub("::%s*[%a_][%w_]*", ""):gsub("%[%]", "")
  s = s:gsub("[\"`]", ""):gsub("[%s()]", "")
  s = s:gsub("current_timestamp", "now")
  if s == "true" then s = "1" elseif s == "false" then s = "0" end
  -- booleans in an array literal: '{true,false}' is kept as '{t,f}'
  for _ = 1, 2 do
    s = s:gsub("([{,])true([,}])", "%1t%2"):gsub("([{,])false([,}])", "%1f%2")
  end
  return s
end
M.canon = canon

-- SQLite's type affinity of a declared type (its rules, in its order):
-- what the type means to SQLite, which keeps the declared text only.
function M.affinity(t)
  t = t:lower()
  if t:find("int", 1, true) then return "integer" end
  if t:find("char", 1, true) or t:find("clob", 1, true) or
    t:find("text", 1, true) then
    return "text"
  end
  if t == "" or t:find("blob", 1, true) then return "blob" end
  if t:find("real", 1, true) or t:find("floa", 1, true) or
    t:find("doub", 1, true) then
    return "real"
  end
  return "numeric"
end

-- Type spellings that mean the same column type, per dialect (on SQLite,
-- declared types of one affinity: varchar(255) is text there).
local function typecanon(dialect, t)
  if t == nil then return nil end
  if dialect == "sqlite" then return M.affinity(t) end
  local s = t:lower():gsub("%s+", " "):gsub("%s*%(%s*", "("):gsub(
    "%s*,%s*", ","):gsub("%s*%)", ")")
  s = s:gsub("^(numeric)%((%d+),0%)", "%1(%2)")
  s = s:gsub("^(decimal)%((%d+),0%)", "%1(%2)")
  s = s:gsub("^char$", "char(1)"):gsub("^binary$", "binary(1)")
  if dialect == "mysql" then
    s = s:gsub("^serial$", "bigint unsigned")
    s = s:gsub("^real", "double"):gsub("^decimal%(10%)", "decimal")
    s = s:gsub("^numeric", "decimal"):gsub("^integer", "int")
  end
  s = s:gsub('"', "")
  if dialect == "postgresql" then
    -- PostgreSQL keeps neither an array's dimensions nor its sizes
    s = s:gsub("%[%d*%]", "[]"):gsub("%[%]%[[%[%]]*$", "[]")
  end
  return s
end

local function sameaction(dialect, a, b)
  if a == b then return true end
  if dialect == "mysql" then
    local na = a == "restrict" and "no action" or a
    local nb = b == "restrict" and "no action" or b
    return na == nb
  end
  return false
end

local function renamekey(map, from, to)
  local v = map[from]
  map[from] = nil
  v.name = to
  map[to] = v
end

local function reconciletable(dialect, lt, wt)
  for name, wc in pairs(wt.columns) do
    local lc = lt.columns[name]
    if lc then
      lc.order = wc.order
      if lc.type ~= wc.type and
        typecanon(dialect, lc.type) == typecanon(dialect, wc.type) then
        lc.type = wc.type
      end
      if lc.default ~= wc.default and lc.default and wc.default and
        canon(lc.default) == canon(wc.default) then
        lc.default = wc.default
      end
      if lc.generated and wc.generated and
        canon(lc.generated.as) == canon(wc.generated.as) then
        lc.generated.as = wc.generated.as
      end
      -- MySQL's serial: auto_increment is part of the type
      if wc.type == "serial" and lc.type == "serial" and lc.autoincrement then
        lc.autoincrement = wc.autoincrement
      end
    end
  end
  -- SQLite's INTEGER PRIMARY KEY is the rowid: never NULL, whether the
  -- table says NOT NULL or not
  if dialect == "sqlite" then
    for name, wc in pairs(wt.columns) do
      local lc = lt.columns[name]
      if lc and lc.primaryKey and wc.primaryKey and lc.type == "integer" then
        lc.notNull = wc.notNull
      end
    end
  end
  -- primary key columns are NOT NULL whatever the schema says
  for _, pk in pairs(wt.compositePrimaryKeys) do
    for _, name in ipairs(pk.columns) do
      local lc, wc = lt.columns[name], wt.columns[name]
      if lc and wc and lc.notNull and not wc.notNull then lc.notNull = false end
    end
  end
  -- policies: the catalog deparses their expressions its own way
  for name, wp in pairs(wt.policies or {}) do
    local lp = (lt.policies or {})[name]
    if lp then
      -- the catalog leaves the table's own columns unqualified
      local own = canon('"' .. wt.name .. '".')
      for _, k in ipairs({ "using", "withCheck" }) do
        if lp[k] and wp[k] and canon(lp[k]) ==
          canon(wp[k]):gsub(own:gsub("%p", "%%%0"), "") then
          lp[k] = wp[k]
        end
      end
    end
  end
  for name, wck in pairs(wt.checkConstraints) do
    local lck = lt.checkConstraints[name]
    if lck and canon(lck.value) == canon(wck.value) then
      lck.value = wck.value
    end
  end
  -- constraints a catalog cannot name: match by columns
  local function byname(lmap, wmap, same)
    for wname, w in pairs(wmap) do
      if not lmap[wname] then
        for lname, l in pairs(lmap) do
          if not wmap[lname] and same(l, w) then
            renamekey(lmap, lname, wname)
            break
          end
        end
      end
    end
  end
  local function samecols(l, w) return sameitems(l.columns, w.columns) end
  byname(lt.compositePrimaryKeys, wt.compositePrimaryKeys, samecols)
  byname(lt.uniqueConstraints, wt.uniqueConstraints, samecols)
  byname(lt.foreignKeys, wt.foreignKeys, function(l, w)
    return l.tableTo == w.tableTo and sameitems(l.columnsFrom, w.columnsFrom)
      and sameitems(l.columnsTo, w.columnsTo)
  end)
  for name, wf in pairs(wt.foreignKeys) do
    local lf = lt.foreignKeys[name]
    if lf then
      if sameaction(dialect, lf.onDelete, wf.onDelete) then
        lf.onDelete = wf.onDelete
      end
      if sameaction(dialect, lf.onUpdate, wf.onUpdate) then
        lf.onUpdate = wf.onUpdate
      end
    end
  end
  -- a unique index and a unique constraint are one thing to MySQL (and to
  -- SQLite, which may have made either)
  for name, wi in pairs(wt.indexes) do
    local lu = lt.uniqueConstraints[name]
    if wi.isUnique and not wi.where and lu and not lt.indexes[name] then
      local plain = {}
      for i, c in ipairs(wi.columns) do
        plain[i] = not c.isExpression and c.expression or nil
      end
      if sameitems(plain, lu.columns) then
        lt.uniqueConstraints[name] = nil
        lt.indexes[name] = snapshot.copy(wi)
      end
    end
  end
  for name, wu in pairs(wt.uniqueConstraints) do
    local li = lt.indexes[name]
    if li and li.isUnique and not li.where and not lt.uniqueConstraints[name]
    then
      local plain = {}
      for i, c in ipairs(li.columns) do
        plain[i] = not c.isExpression and c.expression or nil
      end
      if sameitems(plain, wu.columns) then
        lt.indexes[name] = nil
        lt.uniqueConstraints[name] = snapshot.copy(wu)
      end
    end
  end
  for name, wi in pairs(wt.indexes) do
    local li = lt.indexes[name]
    if li then
      if li.where and wi.where and canon(li.where) == canon(wi.where) then
        li.where = wi.where
      end
      if #li.columns == #wi.columns then
        for i, wc in ipairs(wi.columns) do
          local lc = li.columns[i]
          if lc.expression ~= wc.expression and
            canon(lc.expression) == canon(wc.expression) then
            lc.expression = wc.expression
            lc.isExpression = wc.isExpression
          end
        end
      end
      if wi.method == nil then li.method = nil end
    end
  end
end

-- introspect.reconcile(live, want): rewrites, in place, the parts of live
-- (a snapshot from introspect.snapshot) that mean the same as in want but
-- are spelled differently by the catalog (types, defaults, expressions,
-- names no catalog keeps, column order), so that a diff of the two shows
-- only real differences. Returns live.
function M.reconcile(live, want)
  local dialect = live.dialect
  for key, wt in pairs(want.tables or {}) do
    local lt = live.tables[key]
    if lt then reconciletable(dialect, lt, wt) end
  end
  -- a view's text is the database's own rewrite of its query: push takes
  -- a view of the same name and kind as the schema's (generate, which
  -- compares snapshots, sees a changed definition)
  for key, wv in pairs(want.views or {}) do
    local lv = (live.views or {})[key]
    if lv and (wv.isExisting or (lv.materialized or false) ==
      (wv.materialized or false)) then
      for k, v in pairs(wv) do
        if k ~= "name" and k ~= "schema" then lv[k] = v end
      end
    end
  end
  return live
end

-- introspect.restrict(live, want, keep): drops from live (in place) the
-- tables and enums want does not have, except those named in keep (a set
-- of table keys): a push that manages only its schema's tables. Returns
-- live.
function M.restrict(live, want, keep)
  keep = keep or {}
  for key in pairs(live.tables) do
    if not want.tables[key] and not keep[key] then live.tables[key] = nil end
  end
  for key in pairs(live.enums or {}) do
    if not (want.enums or {})[key] then live.enums[key] = nil end
  end
  for key in pairs(live.sequences or {}) do
    if not (want.sequences or {})[key] then live.sequences[key] = nil end
  end
  for key in pairs(live.schemas or {}) do
    if not (want.schemas or {})[key] then live.schemas[key] = nil end
  end
  for key in pairs(live.views or {}) do
    if not (want.views or {})[key] then live.views[key] = nil end
  end
  return live
end

-- }====================================================================

return M
