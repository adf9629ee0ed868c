-- sleet.seed: deterministic test and demo data (like drizzle-seed).
--
--   seed.seed(db, schema, { count = 10, seed = 1, refine = function(f) ... end })
--   seed.reset(db, schema)
--
-- The values come from the C core (ext/sl_seed.c): each one is a pure
-- function of (seed, table, column, row), so the same seed gives the same
-- rows on every run, on Lua 5.4 and LuaJIT, in every dialect, and a
-- refinement of one column leaves the others as they were. This module
-- plans: it reads the schema (foreign keys, unique columns and groups,
-- enums, lengths, precision), picks a generator per column, orders the
-- tables so that parents come first, checks everything, and only then
-- writes, in one transaction, in batches of multi-row INSERTs whose
-- compiled statement is reused (only the values are encoded again).
local column = require "sleet.column"
local core = require "sleet.core"
local expr = require "sleet.expr"
local util = require "sleet.util"

local M = {}

local kind, def = util.kind, column.def
local validation = util.validation

-- {====================================================================
-- Generators (drizzle-seed's functions)
-- =====================================================================

local Gen = { __kind = "seedgen", __name = "sleet.SeedGenerator" }
Gen.__index = Gen

-- The options each generator takes (anything else is a validation error).
local OPTIONS = {
  default = { defaultValue = true, arraySize = true },
  valuesFromArray = { values = true, isUnique = true, arraySize = true },
  intPrimaryKey = {},
  number = { minValue = true, maxValue = true, precision = true,
    isUnique = true, arraySize = true },
  int = { minValue = true, maxValue = true, isUnique = true, arraySize = true },
  boolean = { arraySize = true },
  date = { minDate = true, maxDate = true, arraySize = true },
  time = { arraySize = true },
  timestamp = { arraySize = true },
  datetime = { arraySize = true },
  year = { arraySize = true },
  json = { arraySize = true },
  interval = { fields = true, isUnique = true, arraySize = true },
  string = { isUnique = true, arraySize = true },
  uuid = { arraySize = true },
  firstName = { isUnique = true, arraySize = true },
  lastName = { isUnique = true, arraySize = true },
  fullName = { isUnique = true, arraySize = true },
  email = { arraySize = true },
  phoneNumber = { template = true, arraySize = true },
  country = { isUnique = true, arraySize = true },
  city = { isUnique = true, arraySize = true },
  streetAddress = { isUnique = true, arraySize = true },
  jobTitle = { arraySize = true },
  postcode = { isUnique = true, arraySize = true },
  state = { arraySize = true },
  companyName = { isUnique = true, arraySize = true },
  loremIpsum = { sentencesCount = true, arraySize = true },
  point = { isUnique = true, minXValue = true, maxXValue = true,
    minYValue = true, maxYValue = true, arraySize = true },
  line = { isUnique = true, arraySize = true },
  weightedRandom = {},
}

-- What a generator yields, for the column type checks.
local CATEGORY = {
  intPrimaryKey = "int", int = "int", year = "int", number = "number",
  boolean = "bool", date = "instant", timestamp = "instant",
  datetime = "instant", time = "time", json = "json", point = "geo",
  line = "geo",
}

local function makegen(name, opts)
  if opts ~= nil and (type(opts) ~= "table" or kind(opts) ~= nil) then
    validation(("seed: %s expects an options table"):format(name))
  end
  opts = opts or {}
  if name ~= "weightedRandom" then
    for k in pairs(opts) do
      if not OPTIONS[name][k] then
        validation(("seed: %s has no option %s"):format(name, tostring(k)))
      end
    end
    if opts.arraySize ~= nil and (not util.isinteger(opts.arraySize) or
      opts.arraySize < 1 or opts.arraySize > 10000) then
      validation(("seed: %s: arraySize must be an integer from 1 to 10000")
        :format(name))
    end
  end
  return setmetatable({ name = name, opts = opts }, Gen)
end

-- f.<generator>(opts): the functions handed to refine.
local F = {}
for name in pairs(OPTIONS) do
  F[name] = function(opts) return makegen(name, opts) end
end

-- weightedRandom({ { weight = 0.3, value = f.int() }, ... }).
function F.weightedRandom(list)
  if type(list) ~= "table" or #list == 0 then
    validation("seed: weightedRandom expects a list of { weight, value }")
  end
  for i, e in ipairs(list) do
    if type(e) ~= "table" or type(e.weight) ~= "number" or e.weight < 0
      or kind(e.value) ~= "seedgen" then
      validation(("seed: weightedRandom item %d must be { weight = n >= 0, " ..
        "value = f.<generator>() }"):format(i))
    end
  end
  return setmetatable({ name = "weightedRandom", opts = {}, list = list }, Gen)
end
M.functions = F

-- }====================================================================

-- {====================================================================
-- The word lists (loaded once)
-- =====================================================================

local seeddata
local function data()
  if not seeddata then
    seeddata = core.seed_data(require("sleet.seed.words"))
  end
  return seeddata
end

-- }====================================================================

-- {====================================================================
-- Columns: type ranges, output forms and default generators
-- =====================================================================

local INT_RANGES = {
  tinyint = { -128, 127, 255 }, smallint = { -32768, 32767, 65535 },
  mediumint = { -8388608, 8388607, 16777215 },
  int = { -2147483648, 2147483647, 4294967295 },
  integer = { -2147483648, 2147483647, 4294967295 },
  -- within 2^53, so that LuaJIT holds every value exactly
  bigint = { -9007199254740991, 9007199254740991, 9007199254740991 },
}

local function basetype(c)
  local t = (c.sqlType or ""):lower():match("^[%a ]+") or ""
  return (t:gsub("%s+$", ""))
end

-- The [min, max] of an integer column.
local function intrange(c)
  local t = basetype(c)
  local unsigned = (c.sqlType or ""):find("unsigned") ~= nil
  if t == "serial" or t == "bigserial" then t = "bigint" end
  if t == "smallserial" then t = "smallint" end
  local r = INT_RANGES[t] or INT_RANGES.integer
  if unsigned then return 0, r[3] end
  return r[1], r[2]
end

-- varchar(n) / char(n) / text(n): the length, or nil.
local function maxlen(c)
  local n = (c.sqlType or ""):match("^%a+%((%d+)%)")
  if n and (c.sqlType:find("^varchar") or c.sqlType:find("^char")
    or c.sqlType:find("^text") or c.sqlType:find("^varbinary")
    or c.sqlType:find("^binary")) then
    return tonumber(n)
  end
  return nil
end

-- numeric(p, s) → p, s.
local function precision(c)
  local p, s = (c.sqlType or ""):match("^%a+%((%d+),%s*(%d+)%)")
  if p then return tonumber(p), tonumber(s) end
  p = (c.sqlType or ""):match("^%a+%((%d+)%)")
  if p then return tonumber(p), 0 end
  return nil
end

-- The output form of a generator category for a codec, or nil when the
-- category does not fit the column.
local OUT = {
  int = { int = "int", bigint = "int", float = "float", number = "float",
    numeric = "text", text = "text", blob = "text", json = "natural",
    any = "natural", timestamp = "epoch", epoch = "epoch",
    timestamp_ms = "epochms", epoch_ms = "epochms" },
  number = { float = "float", number = "float", numeric = "text",
    text = "text", blob = "text", json = "float", any = "float" },
  bool = { bool = "bool", int = "boolint", bigint = "boolint", text = "text",
    json = "natural", any = "natural" },
  instant = { timestamp = "epoch", epoch = "epoch", timestamp_ms = "epochms",
    epoch_ms = "epochms", date = "date", text = "text", blob = "text",
    int = "epoch", bigint = "epoch", json = "text", any = "text" },
  time = { time = "natural", text = "natural", blob = "natural",
    json = "natural", any = "natural" },
  json = { json = "json", text = "text", blob = "text", any = "text" },
  geo = { text = "text", blob = "text", json = "json", any = "text" },
  text = { text = "natural", blob = "natural", json = "natural",
    any = "natural" },
}

-- The codec whose values a generator makes for column c (the column's
-- own codec writes them).
local function codecof(c)
  -- geometric values are generated as JSON arrays ({ x, y }), which their
  -- codec writes; other custom types take any value their toDriver does
  if c.columnType == "point" or c.columnType == "line" then return "json" end
  if c.codec and c.codec:find("^custom:") then return "any" end
  return c.codec or "any"
end

-- Name rules for text columns without a refinement (drizzle-seed picks by
-- name too): the key, lower case, without _ and -.
local NAMED = {
  email = "email", emailaddress = "email", mail = "email",
  firstname = "firstName", givenname = "firstName",
  lastname = "lastName", surname = "lastName", familyname = "lastName",
  name = "fullName", fullname = "fullName", username = "fullName",
  displayname = "fullName", author = "fullName",
  phone = "phoneNumber", phonenumber = "phoneNumber", mobile = "phoneNumber",
  telephone = "phoneNumber", tel = "phoneNumber",
  country = "country", countryname = "country",
  city = "city", town = "city",
  address = "streetAddress", street = "streetAddress",
  streetaddress = "streetAddress", addressline = "streetAddress",
  jobtitle = "jobTitle", job = "jobTitle", position = "jobTitle",
  occupation = "jobTitle",
  postcode = "postcode", zip = "postcode", zipcode = "postcode",
  postalcode = "postcode",
  state = "state", province = "state", region = "state",
  company = "companyName", companyname = "companyName",
  organization = "companyName", organisation = "companyName",
  employer = "companyName",
  title = "loremIpsum", description = "loremIpsum", bio = "loremIpsum",
  content = "loremIpsum", body = "loremIpsum", text = "loremIpsum",
  comment = "loremIpsum", summary = "loremIpsum", about = "loremIpsum",
  note = "loremIpsum", notes = "loremIpsum", message = "loremIpsum",
  uuid = "uuid", guid = "uuid",
}

-- The default generator of a (non key, non reference) column.
local function defaultgen(c)
  if c.enumValues then
    return makegen("valuesFromArray", { values = c.enumValues })
  end
  local codec, t = codecof(c), basetype(c)
  if t == "uuid" then return makegen("uuid") end
  if c.columnType == "point" then return makegen("point") end
  if c.columnType == "line" then return makegen("line") end
  -- a custom type: only a refinement knows what its toDriver takes
  if c.columnType == "custom" then return nil end
  -- network addresses have no generator: a refinement says what to write
  if t == "inet" or t == "cidr" or t == "macaddr" or t == "macaddr8" then
    return nil
  end
  if t:find("^interval") then return makegen("interval") end
  if t == "year" then return makegen("year") end
  if codec == "int" or codec == "bigint" then return makegen("int") end
  if codec == "bool" then return makegen("boolean") end
  if codec == "float" or codec == "number" or codec == "numeric" then
    return makegen("number")
  end
  if codec == "json" then return makegen("json") end
  if codec == "date" then return makegen("date") end
  if codec == "time" then return makegen("time") end
  if codec == "timestamp" or codec == "timestamp_ms" or codec == "epoch"
    or codec == "epoch_ms" then
    return makegen("timestamp")
  end
  local named = NAMED[c.key:lower():gsub("[_%-]", "")]
  if named and (codec == "text" or codec == "any") then
    return makegen(named)
  end
  if codec == "text" or codec == "blob" or codec == "any" then
    return makegen("string")
  end
  return nil
end

-- }====================================================================

-- {====================================================================
-- Generator specs for the C core
-- =====================================================================

local function instant(what, v)
  if type(v) == "number" and util.isinteger(v) then return v end
  if type(v) == "string" then
    local s = core.seed_instant(v)
    if s then return s end
  end
  validation(("%s must be a date \"YYYY-MM-DD[ HH:MM:SS]\" or epoch " ..
    "seconds, got %s"):format(what, tostring(v)))
end

local DAY = 86400
local DEFAULT_FROM = 1577836800 -- 2020-01-01
local DEFAULT_TO = 1767225599   -- 2025-12-31 23:59:59

local function isvalue(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean" or v == core.null
end

-- Whether a plain value fits codec (valuesFromArray, default).
local function valuefits(v, codec)
  if v == core.null or codec == "any" or codec == "json" then return true end
  local t = type(v)
  if codec == "int" or codec == "bigint" then return util.isinteger(v) end
  if codec == "float" or codec == "number" then return t == "number" end
  if codec == "numeric" then return t == "number" or t == "string" end
  if codec == "bool" then return t == "boolean" end
  if codec == "timestamp" or codec == "timestamp_ms" then
    return t == "string" or util.isinteger(v)
  end
  if codec == "epoch" or codec == "epoch_ms" then return util.isinteger(v) end
  return t == "string"
end

-- Compiles generator g for column c into the spec the C core reads. where
-- names the column in messages ("users.email"); unique: the column must be
-- unique (schema or option).
local genspec

-- The generator of an array column: the element generator's values,
-- arraySize of them per row (the column's declared size, else 1), drawn
-- from a plan of their own (see plan); nil for other columns.
local function arrayspec(g, c, where, unique)
  local n = g.opts and g.opts.arraySize
  if not c.dims then
    if n ~= nil and not c.isElement then
      validation(("seed: %s: arraySize needs an array column"):format(where),
        { table = def(c.table).name, column = c.name })
    end
    return nil
  end
  if unique or (g.opts and g.opts.isUnique) then
    validation(("seed: %s: an array column cannot be unique"):format(where),
      { table = def(c.table).name, column = c.name })
  end
  n = n or tonumber((c.sqlType or ""):match("%[(%d+)%]$")) or 1
  -- the column as one of its elements
  local ec = setmetatable({ codec = c.codec:gsub("%[%]$", ""),
    sqlType = c.sqlType:gsub("[%[%]%d]+$", ""), dims = false,
    isElement = true }, { __index = c })
  local spec = genspec(g, ec, where, false)
  return { kind = "array", arraySize = n, element = spec }
end

function genspec(g, c, where, unique)
  local arr = arrayspec(g, c, where, unique)
  if arr then return arr end
  local o, name = g.opts, g.name
  local codec = codecof(c)
  local function bad(msg)
    validation(("seed: %s: %s"):format(where, msg),
      { table = def(c.table).name, column = c.name })
  end
  local function wrong()
    bad(("%s cannot fill a %s column"):format(name, c.sqlType or codec))
  end
  if o.isUnique then unique = true end
  if name == "weightedRandom" then
    if unique then bad("weightedRandom cannot make unique values") end
    local subs, weights = {}, {}
    for i, e in ipairs(g.list) do
      subs[i] = genspec(e.value, c, where, false)
      weights[i] = math.floor(e.weight * 1000000 + 0.5)
    end
    return { kind = "weightedRandom", subs = subs, weights = weights }
  end
  if name == "valuesFromArray" or name == "default" then
    local values
    if name == "default" then
      if o.defaultValue == nil then bad("default needs { defaultValue = v }") end
      values = { o.defaultValue }
    else
      values = o.values
      if type(values) ~= "table" or #values == 0 then
        bad("valuesFromArray needs { values = { ... } }")
      end
      -- weighted form: { { weight = w, values = { ... } }, ... }
      if type(values[1]) == "table" and values[1] ~= core.null then
        if unique then bad("weighted values cannot be unique") end
        local subs, weights = {}, {}
        for i, e in ipairs(values) do
          if type(e) ~= "table" or type(e.weight) ~= "number" or
            type(e.values) ~= "table" then
            bad(("valuesFromArray item %d must be { weight, values }")
              :format(i))
          end
          subs[i] = genspec(makegen("valuesFromArray", { values = e.values }),
            c, where, false)
          weights[i] = math.floor(e.weight * 1000000 + 0.5)
        end
        return { kind = "weightedRandom", subs = subs, weights = weights }
      end
    end
    for i, v in ipairs(values) do
      if not isvalue(v) then
        bad(("value %d is a %s (values are strings, numbers or booleans)")
          :format(i, type(v)))
      end
      if not valuefits(v, codec) then
        bad(("value %d (%s) does not fit a %s column"):format(i,
          tostring(v), c.sqlType or codec))
      end
      if v == core.null and c.notNull then
        bad(("value %d is sleet.null but the column is NOT NULL"):format(i))
      end
    end
    if unique and name == "valuesFromArray" then
      local seen = {}
      for _, v in ipairs(values) do
        if seen[v] then
          bad(("isUnique: the value %s appears twice"):format(tostring(v)))
        end
        seen[v] = true
      end
    end
    if name == "default" and unique then
      return { kind = "default", values = values, unique = true }
    end
    return { kind = name, values = values, unique = unique }
  end
  local cat = CATEGORY[name] or "text"
  local out = OUT[cat][codec]
  if out == nil then wrong() end
  local s = { kind = name, out = out, unique = unique }
  if cat == "text" or cat == "geo" or cat == "json" or cat == "time" then
    s.maxlen = maxlen(c)
  end
  if name == "datetime" then s.kind = "timestamp" end
  if name == "intPrimaryKey" then
    s.min, s.unique = 1, true
  elseif name == "int" then
    local lo, hi = intrange(c)
    if codec ~= "int" and codec ~= "bigint" then lo, hi = -1000, 1000 end
    local p, sc = precision(c)
    if p then
      local lim = 10 ^ (p - sc) - 1
      if lim < hi then hi = lim end
      if -lim > lo then lo = -lim end
    end
    lo, hi = o.minValue or lo, o.maxValue or hi
    if not util.isinteger(lo) or not util.isinteger(hi) or lo > hi then
      bad("int needs integer minValue <= maxValue")
    end
    if lo < -9007199254740991 or hi > 9007199254740991 then
      bad("int: minValue and maxValue must be within 2^53")
    end
    s.min, s.max = lo, hi
  elseif name == "number" then
    local prec = o.precision or 100
    local dec = 0
    while 10 ^ dec < prec do dec = dec + 1 end
    if 10 ^ dec ~= prec then bad("number: precision must be a power of 10") end
    local lo, hi = o.minValue, o.maxValue
    local p, sc = precision(c)
    if p and o.precision == nil then dec = math.min(sc, 6) end
    if lo == nil then lo = 0 end
    if hi == nil then
      hi = 1000
      if p then hi = math.min(1000000, 10 ^ (p - sc) - 10 ^ -sc) end
    end
    if type(lo) ~= "number" or type(hi) ~= "number" or lo > hi then
      bad("number needs minValue <= maxValue")
    end
    if out == "int" then dec = 0 end
    s.decimals = dec
    s.min = math.ceil(lo * 10 ^ dec - 1e-9)
    s.max = math.floor(hi * 10 ^ dec + 1e-9)
    if s.min > s.max then bad("number: no value between minValue and maxValue") end
  elseif name == "boolean" then
    s.min, s.max = 0, 1
  elseif name == "date" then
    local lo = o.minDate and instant("date minDate", o.minDate) or DEFAULT_FROM
    local hi = o.maxDate and instant("date maxDate", o.maxDate) or DEFAULT_TO
    if lo > hi then bad("date needs minDate <= maxDate") end
    s.min, s.max = math.floor(lo / DAY), math.floor(hi / DAY)
  elseif name == "timestamp" or name == "datetime" then
    s.min, s.max = DEFAULT_FROM, DEFAULT_TO
  elseif name == "time" then
    s.min, s.max = 0, DAY - 1
  elseif name == "year" then
    s.min, s.max = 1970, 2030
    s.out = OUT.int[codec] or "text"
  elseif name == "loremIpsum" then
    local n = o.sentencesCount or 1
    if not util.isinteger(n) or n < 1 or n > 100 then
      bad("loremIpsum: sentencesCount must be 1..100")
    end
    s.sentences = n
  elseif name == "phoneNumber" and o.template ~= nil then
    if type(o.template) ~= "string" or not o.template:find("#") then
      bad("phoneNumber: template must be a string with # for digits")
    end
    s.values = { o.template }
  elseif name == "email" then
    s.unique = true -- emails are distinct, as drizzle-seed makes them
  end
  if unique and (name == "loremIpsum" or name == "json" or name == "line") then
    bad(name .. " cannot make unique values")
  end
  return s
end

-- }====================================================================

-- {====================================================================
-- Planning
-- =====================================================================

-- The foreign keys of table definition d: { cols, pcols, parent (def),
-- nullable }.
local function foreignkeys(t, d)
  local fks = {}
  for _, c in ipairs(d.columns) do
    for _, r in ipairs(c.refs or {}) do
      local pc = r.fn()
      if kind(pc) ~= "column" then
        validation(("seed: %s.%s references something that is not a column")
          :format(d.name, c.key))
      end
      fks[#fks + 1] = { cols = { c }, pcols = { pc }, parent = def(pc.table),
        nullable = not c.notNull }
    end
  end
  for _, x in ipairs(column.extras(t)) do
    if x.type == "foreignKey" then
      local nullable = true
      for _, c in ipairs(x.columns) do
        if c.notNull then nullable = false end
      end
      fks[#fks + 1] = { cols = x.columns, pcols = x.foreignColumns,
        parent = def(x.foreignColumns[1].table), nullable = nullable }
    end
  end
  return fks
end

-- Unique columns and groups of columns unique together.
local function uniques(t, d)
  local single, groups = {}, {}
  local pkcols = {}
  for _, c in ipairs(d.columns) do
    if c.isUnique then single[c.key] = true end
    if c.primary then pkcols[#pkcols + 1] = c end
  end
  local function add(cols)
    if #cols == 1 then
      single[cols[1].key] = true
    elseif #cols > 1 then
      groups[#groups + 1] = cols
    end
  end
  add(pkcols)
  for _, x in ipairs(column.extras(t)) do
    if x.type == "primaryKey" then add(x.columns) end
    if (x.type == "unique" or (x.type == "index" and x.unique and
      not x.whereExpr)) and x.columns then
      local cols = {}
      for _, c in ipairs(x.columns) do
        if kind(c) == "column" then cols[#cols + 1] = c else cols = {} break end
      end
      add(cols)
    end
  end
  return single, groups
end

local TABLE_KEYS = { count = true, columns = true, with = true }

-- The tables of a schema: a list of { t, d, key } sorted by key, and the
-- lookup by schema key and by SQL name.
local function schematables(schema)
  if type(schema) ~= "table" or kind(schema) ~= nil then
    util.usage("seed: expected a schema table { name = table, ... }")
  end
  local list, bykey, byname = {}, {}, {}
  for key, v in pairs(schema) do
    if kind(v) == "table" then
      local d = def(v)
      if d.kind == "table" and not d.alias and not d.view and not byname[d]
      then
        local e = { t = v, d = d, key = tostring(key) }
        list[#list + 1] = e
        byname[d] = e
      end
    end
  end
  table.sort(list, function(a, b) return a.key < b.key end)
  for _, e in ipairs(list) do bykey[e.key] = e end
  return list, bykey, byname
end

-- Parents first (Kahn's algorithm, ties by key). Edges of nullable foreign
-- keys are dropped only when a cycle needs it; their columns are then
-- filled after the parents exist (e.deferred).
local function order(list, byname)
  local function sort(usable)
    local indeg, children, out = {}, {}, {}
    for _, e in ipairs(list) do
      indeg[e] = 0
      children[e] = {}
    end
    for _, e in ipairs(list) do
      for _, fk in ipairs(e.fks) do
        local p = byname[fk.parent]
        if p and p ~= e and usable(fk) then
          indeg[e] = indeg[e] + 1
          local ch = children[p]
          ch[#ch + 1] = e
        end
      end
    end
    local ready = {}
    for _, e in ipairs(list) do
      if indeg[e] == 0 then ready[#ready + 1] = e end
    end
    while #ready > 0 do
      table.sort(ready, function(a, b) return a.key > b.key end)
      local e = table.remove(ready)
      out[#out + 1] = e
      for _, ch in ipairs(children[e]) do
        indeg[ch] = indeg[ch] - 1
        if indeg[ch] == 0 then ready[#ready + 1] = ch end
      end
    end
    if #out < #list then return nil, indeg end
    return out
  end
  local out = sort(function() return true end)
  if out then return out end
  out = sort(function(fk) return not fk.nullable end)
  if not out then
    local names = {}
    for _, e in ipairs(list) do names[#names + 1] = e.d.name end
    validation("seed: the foreign keys of these tables form a cycle of NOT " ..
      "NULL columns, which no insert order can satisfy: " ..
      table.concat(names, ", "))
  end
  -- nullable keys pointing at a table inserted later are filled afterwards
  local pos = {}
  for i, e in ipairs(out) do pos[e] = i end
  for _, e in ipairs(list) do
    for _, fk in ipairs(e.fks) do
      local p = byname[fk.parent]
      if p and p ~= e and pos[p] > pos[e] then fk.deferred = true end
    end
  end
  return out
end

local function checkcount(what, n)
  if not util.isinteger(n) or n < 0 then
    validation(("seed: %s must be a non-negative integer, got %s")
      :format(what, tostring(n)))
  end
  return n
end

-- Per-parent child counts of a `with` entry: an integer, or a weighted
-- list { { weight = w, count = n | { n, ... } }, ... }.
local function withcounts(spec, what, parentcount, seedval, pname, cname)
  if util.isinteger(spec) then
    checkcount(what, spec)
    local prefix = { 0 }
    for j = 1, parentcount do prefix[j + 1] = j * spec end
    return prefix
  end
  if type(spec) ~= "table" or #spec == 0 then
    validation(("seed: %s must be a count or a list of { weight, count }")
      :format(what))
  end
  local subs, weights = {}, {}
  for i, e in ipairs(spec) do
    if type(e) ~= "table" or type(e.weight) ~= "number" or e.weight < 0 then
      validation(("seed: %s item %d must be { weight = w, count = n | " ..
        "{ n, ... } }"):format(what, i))
    end
    local counts = type(e.count) == "table" and e.count or { e.count }
    if #counts == 0 then
      validation(("seed: %s item %d has no count"):format(what, i))
    end
    for _, n in ipairs(counts) do checkcount(what .. " count", n) end
    subs[i] = { kind = "valuesFromArray", values = counts }
    weights[i] = math.floor(e.weight * 1000000 + 0.5)
  end
  local plan = core.seed_table(data(), {
    name = pname .. "\1with\1" .. cname, seed = seedval, count = parentcount,
    columns = { { key = "count", gen = { kind = "weightedRandom", subs = subs,
      weights = weights } } },
  })
  local prefix, buf = { 0 }, {}
  local step = 4096
  for from = 0, parentcount - 1, step do
    local n = math.min(step, parentcount - from)
    plan:fill(buf, from, n)
    for i = 1, n do prefix[from + i + 1] = prefix[from + i] + buf[i] end
  end
  return prefix
end

-- Reads refine's result against the schema: every table and column name
-- must exist, every value be a generator (or false to leave a column out).
local function readrefine(refine, bykey, byname)
  if refine == nil then return {} end
  if type(refine) ~= "function" then
    validation("seed: refine must be a function(f) returning a table")
  end
  local r = refine(F)
  if type(r) ~= "table" then
    validation("seed: refine must return a table { tableName = { ... } }")
  end
  local out = {}
  for key, spec in pairs(r) do
    local e = bykey[key]
    if not e then
      for d, x in pairs(byname) do
        if d.name == key then e = x end
      end
    end
    if not e then
      validation(("seed: refine names table %s, which the schema does not " ..
        "have"):format(tostring(key)), { table = tostring(key) })
    end
    if type(spec) ~= "table" then
      validation(("seed: refine.%s must be a table { count, columns, with }")
        :format(key))
    end
    for k in pairs(spec) do
      if not TABLE_KEYS[k] then
        validation(("seed: refine.%s has no option %s (options: count, " ..
          "columns, with)"):format(key, tostring(k)))
      end
    end
    if spec.count ~= nil then checkcount(("refine.%s.count"):format(key),
      spec.count) end
    if spec.columns ~= nil then
      if type(spec.columns) ~= "table" then
        validation(("seed: refine.%s.columns must be a table"):format(key))
      end
      for ck, g in pairs(spec.columns) do
        local c = type(ck) == "string" and e.d.byKey[ck] or nil
        if not c then
          validation(("seed: refine.%s.columns names column %s, which " ..
            "table %s does not have"):format(key, tostring(ck), e.d.name),
            { table = e.d.name, column = tostring(ck) })
        end
        if g ~= false and kind(g) ~= "seedgen" then
          validation(("seed: refine.%s.columns.%s must be a generator " ..
            "(f.<name>(...)) or false"):format(key, ck),
            { table = e.d.name, column = c.name })
        end
      end
    end
    if spec.with ~= nil then
      if type(spec.with) ~= "table" then
        validation(("seed: refine.%s.with must be a table"):format(key))
      end
      for ck in pairs(spec.with) do
        local child = bykey[ck]
        if not child then
          validation(("seed: refine.%s.with names table %s, which the " ..
            "schema does not have"):format(key, tostring(ck)),
            { table = tostring(ck) })
        end
      end
    end
    out[e] = spec
  end
  return out
end

-- The plan of every table: generators, counts, order; raises validation
-- errors before anything is written.
local function plan(schema, opts)
  opts = opts or {}
  if type(opts) ~= "table" then util.usage("seed: options must be a table") end
  for k in pairs(opts) do
    if k ~= "count" and k ~= "seed" and k ~= "refine" and k ~= "progress"
      and k ~= "batchSize" then
      validation(("seed: unknown option %s (options: count, seed, refine, " ..
        "progress, batchSize)"):format(tostring(k)))
    end
  end
  local count = checkcount("count", opts.count == nil and 10 or opts.count)
  local seedval = opts.seed == nil and 0 or opts.seed
  if not util.isinteger(seedval) then
    validation("seed: seed must be an integer")
  end
  local list, bykey, byname = schematables(schema)
  if #list == 0 then validation("seed: the schema has no tables") end
  local refined = readrefine(opts.refine, bykey, byname)
  for _, e in ipairs(list) do
    e.fks = foreignkeys(e.t, e.d)
    for _, fk in ipairs(e.fks) do
      if not byname[fk.parent] then
        validation(("seed: %s references table %s, which is not in the " ..
          "schema given"):format(e.d.name, fk.parent.name))
      end
    end
    e.refine = refined[e] or {}
    e.count = e.refine.count or count
  end
  local ordered = order(list, byname)
  -- `with`: the child's count follows its parents
  for _, e in ipairs(ordered) do
    for ck, spec in pairs(e.refine.with or {}) do
      local child = bykey[ck]
      local fk
      for _, x in ipairs(child.fks) do
        if byname[x.parent] == e and not fk and child ~= e then fk = x end
      end
      if not fk then
        validation(("seed: refine.%s.with.%s: table %s has no foreign key " ..
          "to %s"):format(e.key, ck, child.d.name, e.d.name))
      end
      local prefix = withcounts(spec, ("refine.%s.with.%s"):format(e.key, ck),
        e.count, seedval, e.d.name, child.d.name)
      fk.with = prefix
      child.count = prefix[#prefix]
    end
  end
  for _, e in ipairs(ordered) do
    local d = e.d
    local single, groups = uniques(e.t, d)
    local colgroup = {}
    local fkof = {}
    for _, fk in ipairs(e.fks) do
      for i, c in ipairs(fk.cols) do fkof[c] = { fk = fk, i = i } end
    end
    -- groups: skipped when one member is unique alone (the group then is)
    local ngroups = 0
    for _, cols in ipairs(groups) do
      local covered = false
      for _, c in ipairs(cols) do
        if single[c.key] then covered = true end
      end
      if not covered then
        ngroups = ngroups + 1
        for _, c in ipairs(cols) do colgroup[c] = colgroup[c] or ngroups end
      end
    end
    local columns = e.refine.columns or {}
    e.cols, e.gencols = {}, {}
    for i, c in ipairs(d.columns) do
      local where = d.name .. "." .. c.key
      local g = columns[c.key]
      local spec
      local unique = single[c.key] or false
      local ref = fkof[c]
      if c.generated then
        if g then
          validation(("seed: %s is a generated column and cannot be " ..
            "refined"):format(where), { table = d.name, column = c.name })
        end
      elseif g == false then
        if c.notNull and not c.hasDefault and not c.auto then
          validation(("seed: %s is NOT NULL without a default: it cannot " ..
            "be left out"):format(where), { table = d.name, column = c.name })
        end
      elseif g then
        if ref then
          validation(("seed: %s is a foreign key: its values come from %s " ..
            "and cannot be refined"):format(where, ref.fk.parent.name),
            { table = d.name, column = c.name })
        end
        spec = genspec(g, c, where, unique and not colgroup[c])
      elseif ref then
        local fk = ref.fk
        local p = byname[fk.parent]
        if fk.deferred then
          spec = { kind = "null" } -- filled once the parent exists
          e.deferred = e.deferred or {}
          e.deferred[#e.deferred + 1] = { c = c, fk = fk, i = ref.i, col = i }
        else
          local pcol
          for j, pc in ipairs(p.d.columns) do
            if pc.key == fk.pcols[ref.i].key then pcol = j end
          end
          if p == e then
            spec = { kind = "fk", fkmode = "self", nullable = fk.nullable }
          elseif fk.with then
            spec = { kind = "fk", fkmode = "with", prefix = fk.with }
          else
            spec = { kind = "fk", fkmode = "random", unique = unique }
          end
          spec.parent, spec.pcol, spec.ptable = true, pcol, p
          if p.count == 0 and (not fk.nullable or p ~= e) and e.count > 0 then
            validation(("seed: %s references %s, which gets no rows"):format(
              where, p.d.name), { table = d.name, column = c.name })
          end
          -- one draw of a parent row for all columns of a composite key
          fk.stream = fk.stream or c.key
          spec.stream = fk.stream
        end
      else
        local dg
        local bt = basetype(c)
        -- a key, or a column a sequence numbers (serial, identity): 1..n
        local numbered = c.primary or c.identity ~= nil or bt == "serial" or
          bt == "bigserial" or bt == "smallserial"
        if numbered and (codecof(c) == "int" or codecof(c) == "bigint")
          and not colgroup[c] then
          dg = makegen("intPrimaryKey")
        else
          dg = defaultgen(c)
        end
        if c.dims and not dg then
          dg = defaultgen(setmetatable({ codec = c.codec:gsub("%[%]$", ""),
            sqlType = c.sqlType:gsub("[%[%]%d]+$", "") }, { __index = c }))
        end
        if not dg then
          validation(("seed: no generator for %s (%s): refine it"):format(
            where, c.sqlType or "?"), { table = d.name, column = c.name })
        else
          spec = genspec(dg, c, where, unique and not colgroup[c])
        end
      end
      local entry = { key = spec and spec.stream or c.key, gen = spec,
        group = spec and colgroup[c] or nil }
      e.cols[i] = entry
      if spec then e.gencols[#e.gencols + 1] = i end
    end
    e.ngroups = ngroups
  end
  -- the C plans, parents first
  for _, e in ipairs(ordered) do
    local cols = {}
    for i, entry in ipairs(e.cols) do
      local g = entry.gen
      if g and g.kind == "fk" then
        -- a self reference reads the table's own plan (nil here)
        g.parent = g.ptable ~= e and g.ptable.plan or nil
        g.ptable = nil
      end
      if g and g.kind == "array" then
        -- n values per row: row r's are rows r*n .. r*n+n-1 of this plan
        local ap, amsg = core.seed_table(data(), { name = e.d.name,
          seed = seedval, count = e.count * g.arraySize,
          columns = { { key = entry.key, gen = g.element } } })
        if not ap then
          validation(("seed: %s.%s: %s"):format(e.d.name,
            e.d.columns[i].key, amsg))
        end
        e.arrays = e.arrays or {}
        e.arrays[#e.arrays + 1] = { col = i, plan = ap, n = g.arraySize }
        g = nil
      end
      cols[i] = { key = entry.key, gen = g, group = entry.group }
    end
    local p, msg, bad = core.seed_table(data(), { name = e.d.name,
      seed = seedval, count = e.count, columns = cols, ngroups = e.ngroups })
    if not p then
      local c = e.d.columns[bad]
      validation(("seed: %s.%s: %s"):format(e.d.name, c and c.key or "?", msg),
        { table = e.d.name, column = c and c.name })
    end
    e.plan = p
  end
  -- deferred keys: a plan of the row's key and the referencing columns
  for _, e in ipairs(ordered) do
    if e.deferred then
      local pk
      for i, c in ipairs(e.d.columns) do
        if c.primary and e.cols[i].gen then pk = i end
      end
      if not pk then
        validation(("seed: %s closes a cycle of foreign keys and needs a " ..
          "single-column primary key to be filled afterwards"):format(e.d.name))
      end
      local cols = { util.copy(e.cols[pk]) }
      local fcols = {}
      for _, x in ipairs(e.deferred) do
        local p = byname[x.fk.parent]
        local pcol
        for j, pc in ipairs(p.d.columns) do
          if pc.key == x.fk.pcols[x.i].key then pcol = j end
        end
        x.fk.stream = x.fk.stream or x.c.key
        cols[#cols + 1] = { key = x.fk.stream, gen = { kind = "fk",
          fkmode = "random", parent = p.plan, pcol = pcol } }
        fcols[#fcols + 1] = x.c
      end
      e.later = { plan = core.seed_table(data(), { name = e.d.name,
        seed = seedval, count = e.count, columns = cols,
        ngroups = e.ngroups }), pk = e.d.columns[pk], cols = fcols }
    end
  end
  return ordered
end

-- }====================================================================

-- {====================================================================
-- Writing
-- =====================================================================

-- Most values bound in one statement (SQLite allows 32766, PostgreSQL and
-- MySQL 65535).
local MAXPARAMS = 30000
local MAXROWS = 1000

-- The compiled INSERT of n rows of e's generated columns, values taken
-- from vals (slots 1 .. n * ncols, row after row).
local function insertstmt(session, e, n, vals)
  local d, ctx = e.d, session.ctx
  local names, cols = {}, {}
  for i, ci in ipairs(e.gencols) do
    local c = d.columns[ci]
    cols[i] = c
    names[i] = column.sqlname(c, ctx.casing)
  end
  local rows, slot = {}, 0
  for r = 1, n do
    local row = {}
    for i, c in ipairs(cols) do
      slot = slot + 1
      row[i] = { k = "param", v = vals[slot], ty = c.codec or "any",
        col = expr.label(c, ctx), slot = slot }
    end
    rows[r] = row
  end
  -- identity columns generated always take the seeded keys only when told
  local overriding
  for _, c in ipairs(cols) do
    if c.identity and c.identity.type == "always" then overriding = true end
  end
  local node = { k = "insert", table = { k = "table", name = d.name,
    schema = d.schema }, columns = names, rows = rows,
    overriding = overriding }
  return core.compile(ctx.dialect, node)
end

-- Runs compiled template c with vals on session (the connection's runner
-- when it may, else through the checked path, e.g. with a logger).
local function runvals(session, c, vals)
  local fast = session._fastrun
  if fast then
    local r = fast(c, "run", session._sid, vals)
    if r ~= false then return r end
  end
  return session:_run(core.rebind(c, vals), "run")
end

local clock = core.seed_clock

-- Puts the arrays of rows done .. done+k-1 into their slots of vals.
local function fillarrays(e, vals, done, k, ncols)
  for _, a in ipairs(e.arrays) do
    local pos
    for j, ci in ipairs(e.gencols) do
      if ci == a.col then pos = j end
    end
    local ap, n = a.plan, a.n
    for r = 0, k - 1 do
      local arr, base = {}, (done + r) * n
      for t = 1, n do
        local v = ap:value(1, base + t - 1)
        if v == nil then v = core.null end
        arr[t] = v
      end
      vals[r * ncols + pos] = arr
    end
  end
end

local function inserttable(tx, e, batchsize, progress)
  local n = e.count
  if n == 0 or #e.gencols == 0 then
    if progress then progress(e.key, 0, 0) end
    return
  end
  local ncols = #e.gencols
  local per = math.max(1, math.min(batchsize or MAXROWS,
    math.floor(MAXPARAMS / ncols)))
  local vals = {}
  local templates = {}
  local done = 0
  while done < n do
    local k = math.min(per, n - done)
    local written = e.plan:fill(vals, done, k, e.gencols)
    for i = written + 1, #vals do vals[i] = nil end
    if e.arrays then fillarrays(e, vals, done, k, ncols) end
    local c = templates[k]
    if not c then
      c = insertstmt(tx, e, k, vals)
      templates[k] = c
    end
    runvals(tx, c, vals)
    done = done + k
    if progress then progress(e.key, done, n) end
  end
end

-- Fills the keys of a cycle once their parents exist: one UPDATE per row.
local function fillafter(tx, e)
  local later = e.later
  local vals = {}
  local pk = later.pk
  local set = {}
  for r = 0, e.count - 1 do
    later.plan:fill(vals, r, 1)
    for i, c in ipairs(later.cols) do set[c.key] = vals[i + 1] end
    tx:update(e.t):set(set):where(expr.eq(pk, vals[1])):run()
  end
end

-- PostgreSQL: serial and identity sequences continue after the seeded
-- keys.
local function fixsequences(tx, e)
  for i, c in ipairs(e.d.columns) do
    local t = basetype(c)
    if e.cols[i].gen and (t == "serial" or t == "bigserial" or
      t == "smallserial" or c.identity) then
      local qt = (e.d.schema and ('"' .. e.d.schema:gsub('"', '""') .. '".')
        or "") .. '"' .. e.d.name:gsub('"', '""') .. '"'
      -- within the sequence's bounds (an identity may count down)
      tx:execute(expr.sql("select setval(s.seqrelid, least(greatest(" ..
        "coalesce((select max(?) from ?), 0) + 1, s.seqmin), s.seqmax), " ..
        "false) from pg_sequence s where s.seqrelid = " ..
        "pg_get_serial_sequence(?, ?)::regclass", expr.identifier(c.name),
        expr.raw(qt), qt, c.name))
    end
  end
end

local function checkdb(db, what)
  if type(db) ~= "table" or type(db._conn) ~= "table" and
    type(db._conn) ~= "userdata" then
    util.usage(what .. ": expected a database (sleet.connect) or a " ..
      "transaction")
  end
end

-- seed.seed(db, schema, opts) → { tables = { { name, rows }, ... },
-- rows = total }. opts: count (rows per table, 10), seed (integer, 0),
-- refine (function(f) → { table = { count, columns, with } }), progress
-- (function(table, done, total)), batchSize (rows per INSERT).
function M.seed(db, schema, opts)
  checkdb(db, "seed")
  local ordered = plan(schema, opts)
  opts = opts or {}
  local batchsize = opts.batchSize
  if batchsize ~= nil and (not util.isinteger(batchsize) or batchsize < 1) then
    validation("seed: batchSize must be a positive integer")
  end
  local progress = opts.progress
  local result = { tables = {}, rows = 0 }
  db:transaction(function(tx)
    for _, e in ipairs(ordered) do
      local t0 = clock()
      inserttable(tx, e, batchsize, progress)
      result.tables[#result.tables + 1] = { name = e.key, table = e.d.name,
        rows = e.count, seconds = clock() - t0 }
      result.rows = result.rows + e.count
    end
    for _, e in ipairs(ordered) do
      if e.later then fillafter(tx, e) end
    end
    if tx.dialect == "postgresql" then
      for _, e in ipairs(ordered) do fixsequences(tx, e) end
    end
  end)
  return result
end

-- The rows seed.seed would write, without a database: { [key] = { rows
-- as lists of values in column order } } (for checks and previews).
function M.generate(schema, opts)
  local ordered = plan(schema, opts)
  local out = {}
  for _, e in ipairs(ordered) do
    local rows, vals = {}, {}
    local ncols = #e.gencols
    for r = 0, e.count - 1 do
      e.plan:fill(vals, r, 1, e.gencols)
      if e.arrays then fillarrays(e, vals, r, 1, ncols) end
      local row = {}
      for i = 1, ncols do
        local v = vals[i]
        if v == core.null then v = nil end
        row[e.d.columns[e.gencols[i]].key] = v
      end
      rows[r + 1] = row
    end
    out[e.key] = rows
  end
  return out
end

-- seed.reset(db, schema): deletes every row of the schema's tables in one
-- transaction (PostgreSQL: TRUNCATE ... RESTART IDENTITY CASCADE; MySQL
-- and SQLite: DELETE, children first, foreign key checks deferred).
function M.reset(db, schema)
  checkdb(db, "reset")
  local list, _, byname = schematables(schema)
  if #list == 0 then return end
  for _, e in ipairs(list) do e.fks = foreignkeys(e.t, e.d) end
  -- children first; a cycle falls back to the sorted list (checks are
  -- deferred or off meanwhile)
  local ok, ordered = pcall(order, list, byname)
  if not ok then ordered = list end
  local function qualified(d)
    local parts = {}
    if d.schema then parts[#parts + 1] = expr.identifier(d.schema) end
    parts[#parts + 1] = expr.identifier(d.name)
    return parts
  end
  db:transaction(function(tx)
    if tx.dialect == "postgresql" then
      local parts, args = {}, {}
      for _, e in ipairs(ordered) do
        local q = qualified(e.d)
        parts[#parts + 1] = #q == 2 and "?.?" or "?"
        for _, x in ipairs(q) do args[#args + 1] = x end
      end
      tx:execute(expr.sql("truncate table " .. table.concat(parts, ", ") ..
        " restart identity cascade", util.unpack(args)))
      return
    end
    if tx.dialect == "mysql" then
      tx:execute("set foreign_key_checks = 0")
    else
      tx:execute("pragma defer_foreign_keys = on")
    end
    local okd, err = pcall(function()
      for i = #ordered, 1, -1 do
        local q = qualified(ordered[i].d)
        tx:execute(expr.sql("delete from " .. (#q == 2 and "?.?" or "?"),
          util.unpack(q)))
      end
    end)
    if tx.dialect == "mysql" then tx:execute("set foreign_key_checks = 1") end
    if not okd then error(err, 0) end
  end)
end

-- }====================================================================

return M
