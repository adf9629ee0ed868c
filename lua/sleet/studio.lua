-- sleet-kit studio: the database of a config in a web page served from
-- this machine.
--
-- M.app(db, schema, opts) is the whole server without its transport: a
-- handle(request) → status, headers, body function that checks every
-- request (token, Host, Origin) and answers the page's files and its JSON
-- API. M.serve(config, opts) puts it behind lua-http's server (cqueues).
--
-- The API (JSON in and out; every value travels as a bound parameter):
--   GET  /api/schema              tables, columns, keys, references
--   GET  /api/count?table=K       the number of rows of table K
--   GET  /api/rows?table=K&sort=C&dir=asc|desc&filters=[...]&after=[...]
--                                 a page: keyset pagination on (C, primary
--                                 key), filters { col, op, value }
--   POST /api/apply {changes, dryRun}
--                                 staged inserts, updates and deletes, run
--                                 in one transaction (dryRun: their SQL)
--   POST /api/sql {sql}           the SQL console (not when read-only)
--   GET  /api/diagram             the schema's ER diagram (SVG, or dot text
--                                 where Graphviz is missing)
-- Security: a random token in the printed URL (a cookie after the first
-- request) on every request, Host must name this server (no DNS
-- rebinding), a write must come from the page's own origin with a JSON
-- body (no CSRF), --read-only refuses every write here on the server.
local column = require "sleet.column"
local core = require "sleet.core"
local expr = require "sleet.expr"
local util = require "sleet.util"

local M = {}

local def, kind, unpack = column.def, util.kind, util.unpack

M.PAGE = 50       -- rows per page
M.MAXPAGE = 500   -- the largest page a request may ask for
M.MAXROWS = 1000  -- rows the console returns at most

-- {====================================================================
-- Values: Lua values ⇄ what travels as JSON
-- =====================================================================

local function validutf8(s)
  if utf8 and utf8.len then return utf8.len(s) ~= nil end
  -- LuaJIT: a byte-level check
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len = c < 0x80 and 1 or c >= 0xF0 and c < 0xF5 and 4 or
      c >= 0xE0 and 3 or c >= 0xC2 and c < 0xE0 and 2 or nil
    if not len or i + len - 1 > n then return false end
    for j = i + 1, i + len - 1 do
      local b = s:byte(j)
      if b < 0x80 or b > 0xBF then return false end
    end
    i = i + len
  end
  return true
end

local function hex(s, max)
  local part = s:sub(1, max)
  return (part:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- A cell as JSON carries it: bytes as { ["$bytes"] = size, hex = the first
-- 64 bytes }, 64-bit cdata as text, NULL as JSON null.
local function cell(v, codec)
  if v == nil or v == core.null then return core.null end
  local t = type(v)
  if t == "string" then
    if codec == "blob" or not validutf8(v) then
      return { ["$bytes"] = #v, hex = hex(v, 64) }
    end
    return v
  end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return tostring(v) end
    return v
  end
  if t == "boolean" then return v end
  if t == "table" then
    local out = {}
    for k, x in pairs(v) do out[k] = cell(x) end
    return setmetatable(out, getmetatable(v))
  end
  return tostring(v) -- int64 cdata
end

-- The Lua value of text typed into the page, for a column of codec c.
local function fromtext(v, c, what)
  if v == core.null then return core.null end
  if type(v) ~= "string" then
    if type(v) == "table" and getmetatable(v) == nil and v["$bytes"] then
      util.validation(("%s: bytes cannot be written from the page"):format(
        what))
    end
    return v
  end
  local codec = c and c.codec or "any"
  if codec == "int" or codec == "bigint" then
    local n = math.tointeger and math.tointeger(tonumber(v)) or tonumber(v)
    if n == nil or (not math.tointeger and n ~= math.floor(n)) then
      util.validation(("%s: %q is not an integer"):format(what, v))
    end
    return n
  end
  if codec == "float" or codec == "number" then
    local n = tonumber(v)
    if n == nil then util.validation(("%s: %q is not a number"):format(what,
      v)) end
    return n
  end
  if codec == "bool" then
    local l = v:lower()
    if l == "true" or l == "t" or l == "1" then return true end
    if l == "false" or l == "f" or l == "0" then return false end
    util.validation(("%s: %q is not a boolean (true or false)"):format(what,
      v))
  end
  if codec == "json" then
    local ok, x = pcall(core.json_decode, v)
    if not ok then
      util.validation(("%s: not JSON: %s"):format(what, v))
    end
    return x
  end
  if codec == "blob" then
    util.validation(("%s: bytes cannot be written from the page"):format(what))
  end
  if codec:sub(-2) == "[]" then
    local ok, x = pcall(core.json_decode, v)
    if not ok or type(x) ~= "table" then
      util.validation(("%s: write an array as JSON, e.g. [1, 2]"):format(what))
    end
    return x
  end
  return v
end
M.fromtext = fromtext

-- }====================================================================

-- {====================================================================
-- The schema as the page sees it
-- =====================================================================

local function describe(schema, casing)
  local tables, keyof = {}, {}
  for k, t in pairs(schema) do
    local d = def(t)
    if kind(t) == "table" and d and d.kind == "table" and not d.alias then
      tables[#tables + 1] = { key = k, t = t, d = d }
      keyof[t] = keyof[t] or k
    end
  end
  table.sort(tables, function(a, b) return a.key < b.key end)
  local info, bykey = {}, {}
  for _, e in ipairs(tables) do
    local d = e.d
    local cols, pk = {}, {}
    local fks = {}
    for _, c in ipairs(d.columns) do
      if c.primary then pk[#pk + 1] = c.key end
      for _, r in ipairs(c.refs or {}) do
        local ok, rc = pcall(r.fn)
        if ok and kind(rc) == "column" and keyof[rc.table] then
          fks[c.key] = { table = keyof[rc.table], column = rc.key }
        end
      end
    end
    local ok, extras = pcall(column.extras, e.t)
    for _, x in ipairs(ok and extras or {}) do
      if x.type == "primaryKey" then
        pk = {}
        for i, c in ipairs(x.columns) do pk[i] = c.key end
      elseif x.type == "foreignKey" and #x.columns == 1 and
        keyof[x.foreignColumns[1].table] then
        fks[x.columns[1].key] = { table = keyof[x.foreignColumns[1].table],
          column = x.foreignColumns[1].key }
      end
    end
    for i, c in ipairs(d.columns) do
      local dflt = nil
      if c.default ~= nil and kind(c.default) == nil then
        dflt = tostring(c.default)
      elseif c.default ~= nil or c.hasDefault then
        dflt = "(default)"
      end
      cols[i] = { key = c.key, name = column.sqlname(c, casing),
        type = c.sqlType ~= "" and c.sqlType or c.codec or "any",
        codec = c.codec or "any", notNull = c.notNull or false,
        primary = c.primary or false, default = dflt, ref = fks[c.key],
        enum = c.enumValues, auto = c.auto or c.identity ~= nil or nil }
    end
    local entry = { key = e.key, name = d.name, schema = d.schema,
      view = d.view ~= nil, columns = cols, primaryKey = pk, children = {},
      t = e.t }
    info[#info + 1] = entry
    bykey[e.key] = entry
  end
  for _, entry in ipairs(info) do
    for _, c in ipairs(entry.columns) do
      if c.ref and bykey[c.ref.table] then
        local p = bykey[c.ref.table].children
        p[#p + 1] = { table = entry.key, column = c.key, to = c.ref.column }
      end
    end
  end
  return info, bykey
end

-- }====================================================================

-- {====================================================================
-- Requests
-- =====================================================================

local function urldecode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function parsequery(q)
  local out = {}
  for pair in (q or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=(.*)$")
    if k then out[urldecode(k)] = urldecode(v) else out[urldecode(pair)] = "" end
  end
  return out
end
M.parsequery = parsequery

local function cookies(header)
  local out = {}
  for k, v in (header or ""):gmatch("([^=;%s]+)=([^;]*)") do out[k] = v end
  return out
end

-- Compares two strings in time that does not depend on where they differ.
local function sameconst(a, b)
  if type(a) ~= "string" or type(b) ~= "string" or #a ~= #b then
    return false
  end
  local diff = 0
  for i = 1, #a do
    if a:byte(i) ~= b:byte(i) then diff = diff + 1 end
  end
  return diff == 0
end

-- A new random token: 32 hex digits from the system's random source.
function M.token()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(16)
  if f then f:close() end
  if not bytes or #bytes ~= 16 then
    util.usage("studio: cannot read /dev/urandom for the access token")
  end
  return hex(bytes, 16)
end

local function json(status, v, extra)
  local h = { ["content-type"] = "application/json; charset=utf-8" }
  for k, x in pairs(extra or {}) do h[k] = x end
  return status, h, core.json_encode(v)
end

local function problem(status, message, fields)
  local v = { error = message }
  for k, x in pairs(fields or {}) do v[k] = x end
  return json(status, v)
end

-- The error object of a failed statement, as the page shows it.
local function errorinfo(e)
  if type(e) ~= "table" then return { message = tostring(e) } end
  return { message = e.message or tostring(e), kind = e.kind,
    constraint = e.constraint, sqlstate = e.sqlstate, code = e.code,
    column = e.column, table = e.table }
end

-- }====================================================================

-- {====================================================================
-- The app
-- =====================================================================

local App = {}
App.__index = App

local ASSETS = {
  ["/"] = { "index.html", "text/html; charset=utf-8" },
  ["/studio.js"] = { "studio.js", "text/javascript; charset=utf-8" },
  ["/studio.css"] = { "studio.css", "text/css; charset=utf-8" },
}

-- The folder of the page's files: sleet/studio/ beside this module.
local function assetdir()
  local path = package.searchpath and package.searchpath("sleet.studio",
    package.path)
  if not path then
    for p in package.path:gmatch("[^;]+") do
      local f = p:gsub("%?", "sleet/studio")
      local h = io.open(f, "r")
      if h then
        h:close()
        path = f
        break
      end
    end
  end
  if not path then util.usage("studio: cannot find the page's files") end
  return path:gsub("%.lua$", "") .. "/"
end

-- opts: token, readOnly, port (the hosts allowed are 127.0.0.1, localhost,
-- [::1] and opts.host at that port), casing, diagram (function → SVG text
-- or nil, dot text).
function M.app(db, schema, opts)
  opts = opts or {}
  local info, bykey = describe(schema, db.ctx and db.ctx.casing)
  local self = setmetatable({ db = db, schema = schema, info = info,
    bykey = bykey, token = opts.token or M.token(),
    readOnly = opts.readOnly or false, port = opts.port, host = opts.host,
    diagram = opts.diagram, dir = opts.assets or assetdir(),
    files = {} }, App)
  self.cookie = "sleet_studio_" .. tostring(opts.port or 0)
  return self
end

-- True when the Host header names this server.
function App:hostok(host)
  if type(host) ~= "string" then return false end
  local port = self.port and (":" .. self.port) or ""
  for _, h in ipairs({ "127.0.0.1", "localhost", "[::1]", self.host }) do
    if h and (host == h .. port or (port == ":80" and host == h)) then
      return true
    end
  end
  return false
end

function App:file(name)
  local text = self.files[name]
  if not text then
    local f = io.open(self.dir .. name, "rb")
    if not f then return nil end
    text = f:read("a")
    f:close()
    self.files[name] = text
  end
  return text
end

local SECURITY = {
  ["x-content-type-options"] = "nosniff",
  ["x-frame-options"] = "DENY",
  ["referrer-policy"] = "no-referrer",
  ["cache-control"] = "no-store",
  ["content-security-policy"] = "default-src 'self'; img-src 'self' data:; " ..
    "style-src 'self'; script-src 'self'; connect-src 'self'; " ..
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}

-- handle({ method, path, host, origin, cookie, contentType, body,
-- fetchSite }) → status, headers, body.
function App:handle(req)
  local status, headers, body = self:route(req)
  headers = headers or {}
  for k, v in pairs(SECURITY) do
    if headers[k] == nil then headers[k] = v end
  end
  return status, headers, body or ""
end

function App:route(req)
  local method = req.method or "GET"
  local path, q = (req.path or "/"):match("^([^?]*)%??(.*)$")
  local query = parsequery(q)
  if not self:hostok(req.host) then
    return problem(403, "this server answers only to its own address " ..
      "(Host " .. tostring(req.host) .. " refused)")
  end
  -- the token: in the URL once (then a cookie), or a header
  local jar = cookies(req.cookie)
  local given = query.token or req.tokenHeader or jar[self.cookie]
  if not sameconst(given, self.token) then
    return problem(401, "a valid access token is required: open the URL " ..
      "sleet-kit studio printed")
  end
  if query.token and method == "GET" and not path:find("^/api/") then
    -- the token leaves the address bar for a cookie
    return 303, { location = "/", ["set-cookie"] = ("%s=%s; Path=/; " ..
      "HttpOnly; SameSite=Strict"):format(self.cookie, self.token) }, ""
  end
  if method ~= "GET" and method ~= "HEAD" then
    local origin = req.origin
    local want = "http://" .. tostring(req.host)
    if origin ~= want or (req.fetchSite and req.fetchSite ~= "same-origin") then
      return problem(403, "a write must come from the studio's own page " ..
        "(Origin " .. tostring(origin) .. " refused)")
    end
    if not (req.contentType or ""):find("^application/json") then
      return problem(415, "the body must be JSON (application/json)")
    end
  end
  if path == "/favicon.ico" then return 204, {}, "" end
  local asset = ASSETS[path]
  if asset and (method == "GET" or method == "HEAD") then
    local text = self:file(asset[1])
    if not text then return problem(404, "no such file: " .. asset[1]) end
    return 200, { ["content-type"] = asset[2] }, text
  end
  local handler = path:match("^/api/(%w+)$")
  local fn = handler and App["api_" .. handler]
  if not fn then return problem(404, "no such page: " .. path) end
  local body
  if method == "POST" then
    local ok, v = pcall(core.json_decode, req.body or "")
    if not ok or type(v) ~= "table" then
      return problem(400, "the body is not a JSON object")
    end
    body = v
  elseif method ~= "GET" and method ~= "HEAD" then
    return problem(405, "method " .. method .. " not allowed")
  end
  local ok, s, h, b = pcall(fn, self, query, body, method)
  if not ok then
    local e = s
    local status = 500
    if type(e) == "table" and (e.kind == "validation" or e.kind == "usage")
    then
      status = 400
    end
    return json(status, { error = type(e) == "table" and e.message or
      tostring(e), detail = errorinfo(e) })
  end
  return s, h, b
end

function App:table(key)
  local e = self.bykey[key or ""]
  if not e then util.validation(("no table %q in the schema"):format(
    tostring(key))) end
  return e
end

function App:api_schema()
  local tables = {}
  for i, e in ipairs(self.info) do
    local t = {}
    for k, v in pairs(e) do if k ~= "t" then t[k] = v end end
    tables[i] = t
  end
  return json(200, { dialect = self.db.dialect, readOnly = self.readOnly,
    console = not self.readOnly, tables = tables, page = M.PAGE })
end

function App:api_count(query)
  local e = self:table(query.table)
  return json(200, { table = e.key, count = tonumber(self.db:count(e.t)) })
end

local OPS = {
  eq = expr.eq, ne = expr.ne, gt = expr.gt, gte = expr.gte, lt = expr.lt,
  lte = expr.lte, like = expr.like, notLike = expr.notLike,
  ilike = expr.ilike, notIlike = expr.notIlike,
}

-- The condition of the page's filters (a list of { col, op, value }).
local function filterconds(e, list)
  local conds = {}
  for i, f in ipairs(list or {}) do
    if type(f) ~= "table" then util.validation("filter " .. i .. ": not an object") end
    local c = e.t[f.col]
    if kind(c) ~= "column" then
      util.validation(("filter %d: no column %q in %s"):format(i,
        tostring(f.col), e.key))
    end
    local what = e.key .. "." .. f.col
    local op = f.op
    if op == "isNull" then
      conds[#conds + 1] = expr.isNull(c)
    elseif op == "isNotNull" then
      conds[#conds + 1] = expr.isNotNull(c)
    elseif op == "inArray" or op == "notInArray" then
      local values = f.value
      if type(values) == "string" then
        local list2 = {}
        for part in values:gmatch("[^,]+") do
          list2[#list2 + 1] = fromtext(part:match("^%s*(.-)%s*$"), c, what)
        end
        values = list2
      elseif type(values) ~= "table" then
        util.validation(("filter %d: %s needs a list"):format(i, op))
      else
        local list2 = {}
        for j, v in ipairs(values) do list2[j] = fromtext(v, c, what) end
        values = list2
      end
      if #values == 0 then
        util.validation(("filter %d: %s needs at least one value"):format(i,
          op))
      end
      conds[#conds + 1] = expr[op](c, values)
    elseif OPS[op] then
      if f.value == nil or f.value == core.null then
        util.validation(("filter %d: %s needs a value (isNull for NULL)")
          :format(i, op))
      end
      local v = f.value
      if op:find("[lL]ike$") then v = tostring(v) else v = fromtext(v, c, what) end
      conds[#conds + 1] = OPS[op](c, v)
    else
      util.validation(("filter %d: unknown operator %q (eq ne gt gte lt lte " ..
        "like notLike ilike notIlike isNull isNotNull inArray notInArray)")
        :format(i, tostring(op)))
    end
  end
  return conds
end

-- The condition of the rows after cursor c.
local function aftercond(c, sortcol, pk, desc, nullable)
  if type(c.key) ~= "table" or #c.key ~= #pk then
    util.validation("after must be the cursor a page gave")
  end
  local keyv = {}
  for i, col in ipairs(pk) do keyv[i] = fromtext(c.key[i], col, "after") end
  -- (k1, k2, ...) after keyv, lexicographic, in the key's direction
  local function keyafter(from)
    from = from or 1
    local col, v = pk[from], keyv[from]
    local later = (desc and not sortcol) and expr.lt(col, v) or expr.gt(col, v)
    if from == #pk then return later end
    return expr.or_(later, expr.and_(expr.eq(col, v), keyafter(from + 1)))
  end
  if not sortcol then return keyafter() end
  if c.null then
    -- among the NULLs, which come last: only the key decides
    return expr.and_(expr.isNull(sortcol), keyafter())
  end
  local sv = fromtext(c.sort, sortcol, "after")
  local beyond = desc and expr.lt(sortcol, sv) or expr.gt(sortcol, sv)
  local cond = expr.or_(beyond, expr.and_(expr.eq(sortcol, sv), keyafter()))
  if nullable then cond = expr.or_(expr.isNull(sortcol), cond) end
  return cond
end

local SORTABLE = { json = false, blob = false }

-- A page of rows: keyset pagination on (sort column, primary key), NULLs
-- of the sort column last in both directions.
function App:api_rows(query)
  local e = self:table(query.table)
  local t = e.t
  local limit = tonumber(query.limit) or M.PAGE
  if limit ~= math.floor(limit) or limit < 1 or limit > M.MAXPAGE then
    util.validation(("limit must be a whole number from 1 to %d"):format(
      M.MAXPAGE))
  end
  local filters = {}
  if query.filters and query.filters ~= "" then
    local ok, v = pcall(core.json_decode, query.filters)
    if not ok or type(v) ~= "table" then
      util.validation("filters must be a JSON list")
    end
    filters = v
  end
  local conds = filterconds(e, filters)
  local pk = {}
  for i, k in ipairs(e.primaryKey) do pk[i] = t[k] end
  local sortkey = query.sort ~= "" and query.sort or nil
  local sortcol = sortkey and t[sortkey]
  if sortkey and kind(sortcol) ~= "column" then
    util.validation(("no column %q in %s"):format(sortkey, e.key))
  end
  if sortcol and SORTABLE[sortcol.codec] == false then
    util.validation(("%s cannot be sorted (a %s column)"):format(sortkey,
      sortcol.codec))
  end
  if sortcol and #pk == 1 and sortcol == pk[1] then sortcol = nil end
  local desc = query.dir == "desc"
  local order, keyed = {}, #pk > 0
  local nullable = sortcol and not sortcol.notNull
  if sortcol then
    if nullable then
      order[#order + 1] = expr.sql("(? is null)", sortcol)
    end
    order[#order + 1] = desc and expr.desc(sortcol) or expr.asc(sortcol)
  end
  for _, c in ipairs(pk) do
    -- without a sort column the key itself goes either way
    order[#order + 1] = (desc and not sortcol) and expr.desc(c) or expr.asc(c)
  end
  local offset = 0
  if query.after and query.after ~= "" then
    local ok, after = pcall(core.json_decode, query.after)
    if not ok or type(after) ~= "table" then
      util.validation("after must be the cursor a page gave")
    end
    if not keyed then
      offset = tonumber(after.offset) or 0
    else
      conds[#conds + 1] = aftercond(after, sortcol, pk, desc, nullable)
    end
  end
  local q = self.db:select():from(t)
  if #conds > 0 then q = q:where(expr.and_(unpack(conds))) end
  if #order > 0 then q = q:orderBy(unpack(order)) end
  q = q:limit(limit + 1)
  if offset > 0 then q = q:offset(offset) end
  local rows = q:all()
  local more = #rows > limit
  if more then rows[#rows] = nil end
  local out = {}
  for i, r in ipairs(rows) do
    local row = {}
    for j, c in ipairs(e.columns) do row[j] = cell(r[c.key], c.codec) end
    out[i] = row
  end
  local nextc = core.null
  if more then
    local last = rows[#rows]
    if keyed then
      local keyv = {}
      for i, c in ipairs(pk) do keyv[i] = cell(last[c.key]) end
      nextc = { key = keyv }
      if sortcol then
        local v = last[sortcol.key]
        nextc.sort = cell(v)
        nextc.null = v == nil
      end
    else
      nextc = { offset = offset + limit }
    end
  end
  return json(200, { table = e.key, rows = out, next = nextc,
    keyed = keyed })
end

-- The statement of one staged change.
function App:statement(db, ch, i)
  if type(ch) ~= "table" then util.validation(("change %d: not an object")
    :format(i)) end
  local e = self:table(ch.table)
  if e.view then
    util.validation(("change %d: %s is a view"):format(i, e.key))
  end
  local t = e.t
  local function values(map, what)
    if type(map) ~= "table" then
      util.validation(("change %d: %s must be an object"):format(i, what))
    end
    local out = {}
    for k, v in pairs(map) do
      local c = t[k]
      if kind(c) ~= "column" then
        util.validation(("change %d: no column %q in %s"):format(i,
          tostring(k), e.key))
      end
      out[k] = fromtext(v, c, e.key .. "." .. k)
    end
    return out
  end
  local function where(key)
    if #e.primaryKey == 0 then
      util.validation(("change %d: %s has no primary key: its rows " ..
        "cannot be told apart"):format(i, e.key))
    end
    if type(key) ~= "table" then
      util.validation(("change %d: key must be an object"):format(i))
    end
    local conds = {}
    for _, k in ipairs(e.primaryKey) do
      if key[k] == nil or key[k] == core.null then
        util.validation(("change %d: the key lacks %s"):format(i, k))
      end
      conds[#conds + 1] = expr.eq(t[k], fromtext(key[k], t[k],
        e.key .. "." .. k))
    end
    return expr.and_(unpack(conds))
  end
  if ch.op == "insert" then
    local v = values(ch.values or {}, "values")
    return db:insert(t):values(v)
  elseif ch.op == "update" then
    local v = values(ch.set, "set")
    if next(v) == nil then
      util.validation(("change %d: nothing to set"):format(i))
    end
    return db:update(t):set(v):where(where(ch.key))
  elseif ch.op == "delete" then
    return db:delete(t):where(where(ch.key))
  end
  util.validation(("change %d: op must be insert, update or delete")
    :format(i))
end

local function sqltext(q)
  local s = q:toSQL()
  local params = {}
  for i, p in ipairs(s.params or {}) do params[i] = cell(p) end
  return { sql = s.sql, params = params }
end

function App:api_apply(_, body)
  local changes = body.changes
  if type(changes) ~= "table" or #changes == 0 then
    util.validation("changes must be a non-empty list")
  end
  if self.readOnly and not body.dryRun then
    return problem(403, "studio is read-only: nothing is written")
  end
  -- every change is checked before anything runs
  local out = {}
  for i, ch in ipairs(changes) do
    out[i] = sqltext(self:statement(self.db, ch, i))
  end
  if body.dryRun then return json(200, { statements = out }) end
  local failed, failure
  local ok, err = pcall(self.db.transaction, self.db, function(tx)
    for i, ch in ipairs(changes) do
      local q = self:statement(tx, ch, i)
      local ok2, e2 = pcall(q.run, q)
      if not ok2 then
        failed, failure = i, e2
        error(e2, 0)
      end
    end
  end)
  if ok then return json(200, { applied = #changes }) end
  local e = failure or err
  return json(409, { error = type(e) == "table" and e.message or tostring(e),
    index = failed or core.null, detail = errorinfo(e) })
end

function App:api_sql(_, body)
  if self.readOnly then
    return problem(403, "studio is read-only: the SQL console is off")
  end
  if type(body.sql) ~= "string" or not body.sql:find("%S") then
    util.validation("sql must be SQL text")
  end
  local conn = self.db:_connection()
  local ok, rows, names = pcall(conn.exec_sql, conn, body.sql, {}, "values")
  if not ok then
    local e = rows
    return json(400, { error = type(e) == "table" and e.message or
      tostring(e), detail = errorinfo(e) })
  end
  local out = {}
  for i, r in ipairs(rows or {}) do
    if i > M.MAXROWS then break end
    local row = {}
    for j = 1, #(names or {}) do row[j] = cell(r[j]) end
    out[i] = row
  end
  return json(200, { columns = names or {}, rows = out,
    total = #(rows or {}), truncated = #(rows or {}) > M.MAXROWS })
end

function App:api_diagram()
  if not self.diagram then return problem(404, "no diagram") end
  local svg, dot = self.diagram()
  if svg then return 200, { ["content-type"] = "image/svg+xml" }, svg end
  return json(200, { dot = dot })
end

-- }====================================================================

-- {====================================================================
-- The server (lua-http on cqueues)
-- =====================================================================

-- lua-http, and the pure-Lua modules it needs. Debian packages them for
-- Lua 5.1 to 5.3 only; under 5.4 (with cqueues and luaossl, which Debian
-- does build for 5.4) their 5.3 and 5.2 copies load as they are.
local function loadhttp()
  local ok, server = pcall(require, "http.server")
  if not ok and _VERSION == "Lua 5.4" then
    local extra = {}
    for _, v in ipairs({ "5.3", "5.2" }) do
      extra[#extra + 1] = "/usr/share/lua/" .. v .. "/?.lua;/usr/share/lua/" ..
        v .. "/?/init.lua"
    end
    package.path = package.path .. ";" .. table.concat(extra, ";")
    ok, server = pcall(require, "http.server")
  end
  if not ok then
    util.usage("sleet-kit studio needs lua-http (Debian: apt-get install " ..
      "lua-http; LuaRocks: luarocks install http): " .. tostring(server))
  end
  return server, require "http.headers"
end

-- Serves app over HTTP until the process ends. opts: host, port (0: any
-- free port), onlisten(url, port) called once listening.
function M.listen(app, opts)
  local server, headers = loadhttp()
  local srv, lerr
  srv, lerr = server.listen({
    host = opts.host or "127.0.0.1",
    port = opts.port or 4983,
    reuseaddr = true,
    onstream = function(_, stream)
      local h = stream:get_headers()
      if not h then return end
      local method = h:get(":method")
      local body = ""
      if method ~= "GET" and method ~= "HEAD" then
        body = stream:get_body_as_string(30) or ""
      end
      local status, out, text = app:handle({
        method = method, path = h:get(":path"),
        host = h:get(":authority") or h:get("host"),
        origin = h:get("origin"), cookie = h:get("cookie"),
        contentType = h:get("content-type"), fetchSite = h:get("sec-fetch-site"),
        tokenHeader = h:get("x-sleet-token"), body = body,
      })
      local rh = headers.new()
      rh:append(":status", tostring(status))
      for k, v in pairs(out) do rh:append(k, v) end
      rh:append("content-length", tostring(#text))
      stream:write_headers(rh, method == "HEAD")
      if method ~= "HEAD" then stream:write_chunk(text, true) end
    end,
    onerror = function(_, ctx, op, err)
      if opts.onerror then opts.onerror(ctx, op, err) end
    end,
  })
  if not srv then util.usage("studio: " .. tostring(lerr)) end
  local ok, err = srv:listen()
  if not ok then
    util.usage(("studio: cannot listen on %s:%s: %s"):format(
      opts.host or "127.0.0.1", tostring(opts.port), tostring(err)))
  end
  local _, _, port = srv:localname()
  return srv, port
end

-- sleet-kit studio: connects to the config's database, prints the URL and
-- serves until the process ends. opts: host, port, readOnly, out (where
-- the URL is printed; default io.stdout).
function M.serve(config, opts)
  opts = opts or {}
  local kit = require "sleet.kit"
  local schema = kit.loadSchema(config)
  local rels = config.relations and kit.loadRelations(config, schema) or nil
  local db = require("sleet").connect(kit.target(config), {
    casing = config.casing, relations = rels })
  local host = opts.host or "127.0.0.1"
  local token = M.token()
  local app
  local srv, port = M.listen({ handle = function(_, req)
    return app:handle(req)
  end }, { host = host, port = opts.port or 4983, onerror = opts.onerror })
  app = M.app(db, schema, { token = token, readOnly = opts.readOnly,
    port = port, host = host, diagram = function()
      local diagram = require "sleet.diagram"
      local dot = kit.diagram(config)
      if diagram.hasdot() then
        local tmp = os.tmpname()
        local ok = pcall(diagram.render, dot, "svg", tmp)
        local f = ok and io.open(tmp, "rb")
        local svg = f and f:read("a")
        if f then f:close() end
        os.remove(tmp)
        if svg then return svg end
      end
      return nil, dot
    end })
  local shown = host:find(":", 1, true) and ("[" .. host .. "]") or host
  local url = ("http://%s:%d/?token=%s"):format(shown, port, token)
  local out = opts.out or io.stdout
  out:write(("sleet studio%s: %s\n"):format(opts.readOnly and
    " (read-only)" or "", url))
  out:flush()
  assert(srv:loop())
end

-- }====================================================================

return M
