-- LuaLS (lua-language-server) annotations of a schema, for editors: what
-- `sleet-kit types` writes. For each table of the schema (named by its
-- key, `users` → Users):
--
--   ---@class UsersRow                 a row as selects return it: every
--                                      column by its Lua key, nullable
--                                      columns with a `?` type
--   ---@class UsersInsert              what insert():values() takes:
--                                      optional where the database or Lua
--                                      fills a value in (default, serial,
--                                      autoincrement, NULL allowed);
--                                      generated columns are absent
--   ---@class UsersWithRelations : UsersRow
--                                      a row of db.query.users with the
--                                      relations loaded by `with` (only
--                                      when relations are given)
--
-- PostgreSQL enums exported by the schema become an ---@alias of their
-- values; every other enum column is typed by its values inline. The text
-- depends on the schema only (sorted, no dates), so regenerating it after
-- no change rewrites the same bytes.
local casing = require "sleet.casing"
local column = require "sleet.column"
local util = require "sleet.util"

local M = {}

local kind, def = util.kind, column.def

-- The Lua type of each codec's values (API.md, "Values crossing the
-- boundary"). bigint is an integer on Lua 5.4 and int64 cdata on LuaJIT;
-- a JSON value is whatever the document holds.
local CODECTYPES = {
  int = "integer", bigint = "integer", float = "number", number = "number",
  numeric = "string", bool = "boolean", text = "string", blob = "string",
  json = "any", timestamp = "string", timestamp_ms = "string",
  date = "string", time = "string", epoch = "integer", epoch_ms = "integer",
  any = "any",
}
M.codecTypes = CODECTYPES


-- A name as a LuaLS field: bare when it is an identifier, else ["..."].
local function fieldname(key)
  if util.isident(key) then return key end
  return "[" .. ("%q"):format(key):gsub("\\\n", "\\n") .. "]"
end

-- Text for a description on one line.
local function oneline(s)
  return (s:gsub("[%c]", " "))
end

-- A class name made of the words of key: `usersToGroups`, `users_to_groups`
-- → UsersToGroups. taken: the names given already (a clash gets a number).
local function classname(key, taken)
  local words = casing.words(key)
  for i, w in ipairs(words) do
    words[i] = w:sub(1, 1):upper() .. w:sub(2)
  end
  local base = table.concat(words)
  if base == "" then base = "Table" end
  if base:match("^%d") then base = "T" .. base end
  local name, n = base, 1
  while taken[name] do
    n = n + 1
    name = base .. n
  end
  taken[name] = true
  return name
end

-- A string literal type ("admin") for an enum value.
local function literal(v)
  return (("%q"):format(v):gsub("\\\n", "\\n"))
end

local function union(values)
  local out = {}
  for i, v in ipairs(values) do out[i] = literal(v) end
  return table.concat(out, "|")
end

-- The Lua type of column c's values (never nil: nullability is added by
-- the caller). aliases: enum object → alias name.
local function luatype(c, aliases)
  if c.enum and aliases[c.enum] then return aliases[c.enum] end
  if c.enumValues and (c.codec == "text" or c.codec == nil) then
    local u = union(c.enumValues)
    return #c.enumValues > 1 and "(" .. u .. ")" or u
  end
  return CODECTYPES[c.codec or "any"] or "any"
end

-- A column's type with `?` when it may be nil (parenthesised unions first).
local function maybe(t, nullable)
  if not nullable then return t end
  return t .. "?"
end

-- The description of a column: its SQL name and type, and what sets it.
local function describe(c, f)
  local parts = { column.sqlname(c, f) .. " " .. (c.sqlType or "?") }
  if c.primary then parts[#parts + 1] = "primary key" end
  if c.notNull and not c.primary then parts[#parts + 1] = "not null" end
  if c.generated then
    parts[#parts + 1] = "generated"
  elseif c.identity then
    parts[#parts + 1] = "identity (" .. (c.identity.type == "always" and
      "always" or "by default") .. ")"
  elseif c.auto or c.autoIncrement then
    parts[#parts + 1] = "set by the database"
  elseif c.default ~= nil then
    parts[#parts + 1] = "has a default"
  elseif c.defaultFn or c.onUpdateFn then
    parts[#parts + 1] = "set in Lua when absent"
  end
  return oneline(table.concat(parts, ", "))
end

-- True when an insert may leave column c out.
local function optional(c)
  return not c.notNull or c.hasDefault or c.auto or c.autoIncrement or
    c.default ~= nil or c.defaultFn ~= nil or c.onUpdateFn ~= nil
end

-- The relations objects among the values given (a relations object, a
-- list of them, or nil).
local function relationlist(r)
  if r == nil then return {} end
  if kind(r) == "relations" then return { r } end
  if type(r) == "table" and kind(r) == nil then
    local out = {}
    for _, x in ipairs(r) do
      if kind(x) ~= "relations" then
        util.usage("types: relations must come from sleet.defineRelations")
      end
      out[#out + 1] = x
    end
    return out
  end
  util.usage("types: relations must come from sleet.defineRelations")
end

-- types.generate(schema, { casing, relations, source }) → the text of a
-- LuaLS definition file (---@meta) for schema (a table of tables, enums
-- and relations, as a schema file returns). casing: the config's casing
-- (for the SQL names in descriptions); relations: a defineRelations
-- result or a list of them (relations objects found in schema are used
-- too); source: what the header names as the schema's origin.
function M.generate(schema, opts)
  opts = opts or {}
  if type(schema) ~= "table" or kind(schema) ~= nil then
    util.usage("types: expected a schema table { name = table }")
  end
  local f = opts.casing
  if type(f) ~= "function" then f = casing.resolve(f, util.usage) end
  local rels = relationlist(opts.relations)
  local tables, enums = {}, {}
  local seen = {}
  for _, key in ipairs(util.sortedkeys(schema)) do
    local v = schema[key]
    local k = kind(v)
    if type(key) == "string" and k == "table" and not seen[v] then
      local d = def(v)
      if d.kind == "table" and not d.alias then
        seen[v] = true
        tables[#tables + 1] = { key = key, t = v }
      end
    elseif type(key) == "string" and k == "enum" and not seen[v] then
      seen[v] = true
      enums[#enums + 1] = { key = key, e = v }
    elseif k == "relations" then
      rels[#rels + 1] = v
    end
  end
  if #tables == 0 then util.usage("types: the schema has no tables") end

  local taken, aliases, classes = {}, {}, {}
  for _, e in ipairs(enums) do
    aliases[e.e] = classname(e.key, taken)
  end
  for _, t in ipairs(tables) do
    classes[t.t] = classname(t.key, taken)
    -- the suffixed names are taken too: no table's Row may be another's
    taken[classes[t.t] .. "Row"] = true
  end

  -- relations by table object: name → { kind, target table }
  local byTable = {}
  for _, r in ipairs(rels) do
    for tkey, list in pairs(r.config) do
      local src = r.tables[tkey]
      if src and classes[src] then
        byTable[src] = byTable[src] or {}
        for name, rel in pairs(list) do
          byTable[src][name] = { kind = rel.kind, target = r.tables[rel.target],
            targetKey = rel.target, optional = rel.optional }
        end
      end
    end
  end

  local out = {
    "---@meta",
    "-- LuaLS annotations of the schema" ..
      (opts.source and (" in " .. oneline(opts.source)) or "") ..
      ", written by sleet-kit types.",
    "-- Regenerate after a schema change; edits here are overwritten.",
    "",
  }
  local function line(s) out[#out + 1] = s end

  for _, e in ipairs(enums) do
    line(("---@alias %s %s"):format(aliases[e.e], union(e.e.enumValues)))
    line("")
  end

  for _, t in ipairs(tables) do
    local d, name = def(t.t), classes[t.t]
    local sqlname = (d.schema and (d.schema .. ".") or "") .. d.name
    line(("---A row of %s (table %s) as selects return it."):format(t.key,
      oneline(sqlname)))
    line(("---@class %sRow"):format(name))
    for _, c in ipairs(d.columns) do
      line(("---@field %s %s %s"):format(fieldname(c.key),
        maybe(luatype(c, aliases), not c.notNull), describe(c, f)))
    end
    line("")
    line(("---The values of a row to insert into %s."):format(t.key))
    line(("---@class %sInsert"):format(name))
    for _, c in ipairs(d.columns) do
      -- what the database always computes cannot be written
      if not c.generated and not (c.identity and c.identity.type == "always")
      then
        local opt = optional(c)
        line(("---@field %s%s %s %s"):format(fieldname(c.key),
          opt and "?" or "", luatype(c, aliases), describe(c, f)))
      end
    end
    line("")
    local list = byTable[t.t]
    if list then
      line(("---A row of db.query.%s with the relations named in `with`.")
        :format(oneline(t.key)))
      line(("---@class %sWithRelations : %sRow"):format(name, name))
      for _, rname in ipairs(util.sortedkeys(list)) do
        local rel = list[rname]
        local target = classes[rel.target]
        local typ = target and (target .. "WithRelations") or "table"
        local tkey = oneline(rel.targetKey or "?")
        if rel.kind == "many" then
          line(("---@field %s? %s[] the rows of %s (many)"):format(
            fieldname(rname), typ, tkey))
        else
          line(("---@field %s? %s the row of %s (one%s)"):format(
            fieldname(rname), typ, tkey, rel.optional and ", nil when none"
            or ""))
        end
      end
      line("")
    end
  end
  -- a table without relations still has the class db.query returns
  for _, t in ipairs(tables) do
    if #rels > 0 and not byTable[t.t] then
      local name = classes[t.t]
      line(("---@class %sWithRelations : %sRow"):format(name, name))
      line("")
    end
  end
  while out[#out] == "" do out[#out] = nil end
  return table.concat(out, "\n") .. "\n"
end

return M
