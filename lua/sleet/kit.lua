-- Schema tooling from Lua (what `sleet-kit` runs): push a schema to a live
-- database, export it as DDL, generate migrations into a drizzle-kit
-- folder, apply and check them.
--
-- Everything goes through snapshots (sleet.snapshot) and the C diff engine
-- (core.diff): a schema's snapshot is compared with the previous one
-- (generate) or with the live database read back by sleet.introspect
-- (push). Renames cannot be told from a drop and a create, so the diff
-- reports them as unresolved and the caller answers: opts.renames, or a
-- resolve(question) function (the command's prompt). Nothing is ever
-- dropped and re-created in place of an unanswered rename.
local casing = require "sleet.casing"
local core = require "sleet.core"
local introspect = require "sleet.introspect"
local migrator = require "sleet.migrator"
local query = require "sleet.query"
local snapshot = require "sleet.snapshot"
local views = require "sleet.views"
local util = require "sleet.util"

local M = {}

M.entities = snapshot.entities

-- Errors whose answer is missing (an unresolved rename, a destructive
-- change without force) carry needsAnswer = true: the command exits 2.
local function needanswer(kind, message, extra)
  local fields = { kind = kind, message = message, needsAnswer = true }
  for k, v in pairs(extra or {}) do fields[k] = v end
  core.error(fields)
end

-- {====================================================================
-- Diffing with rename answers
-- =====================================================================

local function copyrenames(r)
  local out = { tables = {}, columns = {} }
  if r == nil then return out end
  if type(r) ~= "table" then
    util.usage("renames must be { tables = {...}, columns = {...} }")
  end
  for k, v in pairs(r.tables or {}) do out.tables[k] = v end
  for k, v in pairs(r.columns or {}) do out.columns[k] = v end
  return out
end

-- The renames the other way round (for the down migration): tables
-- {new=old}; columns {"<new table>.<new>" = old}.
local function invert(r)
  local out = { tables = {}, columns = {} }
  local newname = {}
  for from, to in pairs(r.tables) do
    if to then
      out.tables[to] = from
      newname[from] = to
    else
      out.tables[from] = false
    end
  end
  for from, to in pairs(r.columns) do
    local t, c = from:match("^(.*)%.([^%.]+)$")
    if t then
      local nt = newname[t] or t
      if to then
        out.columns[nt .. "." .. to] = c
      else
        out.columns[nt .. "." .. c] = false
      end
    end
  end
  return out
end
M.invertRenames = invert

-- One question per created name of an unresolved diff item:
-- { kind = "table" | "column", table, name, candidates = {...}, key }.
local function iscolumn(u) return u.kind == "column" end

local function questions(u)
  local out = {}
  for _, name in ipairs(u.created or {}) do
    out[#out + 1] = {
      kind = iscolumn(u) and "column" or "table", table = u.table,
      name = name, candidates = u.deleted or {},
      key = iscolumn(u) and (u.table .. "." .. name) or name,
    }
  end
  return out
end

-- The text of the flags that answer question q (for the error of a
-- non-interactive run).
local function answerflags(q)
  local lines = {}
  local function line(mark, label, flag)
    -- pad by characters, not bytes (the arrow is three bytes)
    local width = #label - select(2, label:gsub("[\128-\191]", ""))
    lines[#lines + 1] = "    " .. mark .. " " .. label ..
      (" "):rep(math.max(1, 28 - width)) .. " " .. flag
  end
  if q.kind == "table" then
    line("+", q.name, "--create-table " .. q.name)
    for _, old in ipairs(q.candidates) do
      line("~", old .. " › " .. q.name, ("--rename-table %s=%s"):format(old,
        q.name))
    end
  else
    line("+", q.name, ("--create-column %s.%s"):format(q.table, q.name))
    for _, old in ipairs(q.candidates) do
      line("~", old .. " › " .. q.name, ("--rename %s.%s=%s"):format(
        q.table, old, q.name))
    end
  end
  return table.concat(lines, "\n")
end

-- The question as the prompt asks it.
function M.questionText(q)
  local what = q.kind == "table" and ("table " .. q.name) or
    ("column " .. q.table .. "." .. q.name)
  local from = #q.candidates == 1 and q.candidates[1] or
    ("one of " .. table.concat(q.candidates, ", "))
  return ("Is %s created or renamed from %s?"):format(what, from)
end

local function encode(snap)
  return core.json_encode(snap)
end

-- kit.diff(dialect, prev, next, opts) → the diff result ({ statements,
-- changes }) of two snapshot tables, with renames answered from
-- opts.renames ({ tables = { old = new | false }, columns = {
-- ["table.old"] = new | false } }, false meaning "not a rename") and then
-- opts.resolve(question) → "create" | old name, asked once per created
-- name while the diff reports unresolved ones. Without an answer it raises
-- a usage error (needsAnswer) listing the questions and the flags that
-- answer them. Also returns the renames used.
function M.diff(dialect, prev, next, opts)
  opts = opts or {}
  local renames = copyrenames(opts.renames)
  local pj, nj = encode(prev), encode(next)
  for _ = 1, 1000 do
    local r = core.diff(dialect, pj, nj, { renames = renames })
    local pending = r.unresolved
    if not pending or #pending == 0 then
      -- views go around the tables' statements (lua/sleet/views.lua)
      return views.wrap(dialect, prev, next, r), renames
    end
    local qs = {}
    for _, u in ipairs(pending) do
      for _, q in ipairs(questions(u)) do qs[#qs + 1] = q end
    end
    if not opts.resolve then
      local parts = {}
      for _, q in ipairs(qs) do
        parts[#parts + 1] = M.questionText(q) .. "\n" .. answerflags(q)
      end
      needanswer("usage", "the schema diff needs to know which changes " ..
        "are renames; answer with one flag per question:\n  " ..
        table.concat(parts, "\n  "), { unresolved = pending })
    end
    -- ask; a candidate taken by one answer is not offered again
    local taken = {}
    for _, u in ipairs(pending) do
      local left = {}
      for _, d in ipairs(u.deleted or {}) do left[#left + 1] = d end
      for _, q in ipairs(questions(u)) do
        local cands = {}
        for _, d in ipairs(left) do
          if not taken[q.kind .. ":" .. (q.table or "") .. ":" .. d] then
            cands[#cands + 1] = d
          end
        end
        q.candidates = cands
        local answer = #cands == 0 and "create" or opts.resolve(q)
        if answer == nil or answer == "create" or answer == false then
          if q.kind == "table" then
            renames.tables[q.name] = false
          else
            renames.columns[q.key] = false
          end
        else
          local ok = false
          for _, d in ipairs(cands) do ok = ok or d == answer end
          if not ok then
            util.usage(("%s: %s is not one of the choices"):format(
              M.questionText(q), tostring(answer)))
          end
          taken[q.kind .. ":" .. (q.table or "") .. ":" .. answer] = true
          if q.kind == "table" then
            renames.tables[answer] = q.name
          else
            renames.columns[q.table .. "." .. answer] = q.name
          end
        end
      end
      -- what is left of the deleted ones is dropped
      for _, d in ipairs(left) do
        local k = iscolumn(u) and (u.table .. "." .. d) or d
        if not taken[(iscolumn(u) and "column" or "table") .. ":" ..
          (u.table or "") .. ":" .. d] then
          if iscolumn(u) then
            if renames.columns[k] == nil then renames.columns[k] = false end
          elseif renames.tables[k] == nil then
            renames.tables[k] = false
          end
        end
      end
    end
  end
  util.usage("the schema diff kept asking about renames")
end

-- The destructive changes of a diff result.
function M.destructive(r)
  local out = {}
  for _, c in ipairs(r.changes or {}) do
    if c.destructive then out[#out + 1] = c end
  end
  return out
end

-- }====================================================================

-- {====================================================================
-- export and push
-- =====================================================================

local function resolvecasing(option)
  if type(option) == "function" then return option end
  return casing.resolve(option, util.usage)
end

-- kit.export(schema, dialect, { casing }) → array of DDL statements that
-- create the whole schema on an empty database (the diff from nothing).
function M.export(schema, dialect, opts)
  opts = opts or {}
  dialect = query.dialect(dialect)
  local want = snapshot.build(schema, dialect,
    { casing = resolvecasing(opts.casing) })
  local r = M.diff(dialect, snapshot.empty(dialect), want)
  return r.statements or {}
end

-- The PostgreSQL schemas a snapshot uses besides public.
local function pgschemas(snap)
  local out = {}
  for s in pairs(snap.schemas or {}) do out[#out + 1] = s end
  for _, t in pairs(snap.tables) do
    if t.schema ~= "" and t.schema ~= "public" then out[#out + 1] = t.schema end
  end
  table.sort(out)
  return out
end

-- A predicate of names matching tablesFilter: a glob ("app_*", "log?")
-- or a list of them.
local function globs(pats)
  if type(pats) == "string" then pats = { pats } end
  if type(pats) ~= "table" then
    util.usage("tablesFilter must be a glob or a list of globs")
  end
  local lua = {}
  for i, g in ipairs(pats) do
    if type(g) ~= "string" then
      util.usage("tablesFilter must be a glob or a list of globs")
    end
    lua[i] = "^" .. g:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0")
      :gsub("%*", ".*"):gsub("%?", ".") .. "$"
  end
  return function(name)
    for _, p in ipairs(lua) do
      if name:match(p) then return true end
    end
    return false
  end
end

-- kit.plan(db, schema, opts) → diff result, live snapshot, wanted snapshot:
-- what push would do, without doing it. Options as kit.push.
function M.plan(db, schema, opts)
  opts = opts or {}
  if type(db) ~= "table" or type(db._connection) ~= "function" then
    util.usage("kit.push: expected a database from sleet.connect")
  end
  local dialect = db.dialect
  local f = opts.casing ~= nil and resolvecasing(opts.casing) or db.ctx.casing
  local want = snapshot.build(schema, dialect, { casing = f })
  local exclude = {}
  if opts.migrationsTable then exclude[opts.migrationsTable] = true end
  local live = introspect.snapshot(db, { schemas = pgschemas(want),
    exclude = exclude })
  if opts.tablesFilter then
    -- tables outside the filter are not the schema's business
    local match = globs(opts.tablesFilter)
    for key, t in pairs(live.tables) do
      if not (want.tables[key] ~= nil or match(t.name)) then
        live.tables[key] = nil
      end
    end
    for key, v in pairs(live.views or {}) do
      if not ((want.views or {})[key] ~= nil or match(v.name)) then
        live.views[key] = nil
      end
    end
    -- and so are the enums only other tables use
    local used = {}
    for _, t in pairs(live.tables) do
      for _, c in pairs(t.columns) do used[c.type] = true end
    end
    for key, e in pairs(live.enums or {}) do
      local typ = e.schema == "public" and e.name or
        ('"' .. e.schema .. '"."' .. e.name .. '"')
      if not want.enums[key] and not used[typ] then live.enums[key] = nil end
    end
  end
  if not opts.prune then
    -- only the schema's own tables (and renamed ones) are managed
    local keep = {}
    for old in pairs((opts.renames or {}).tables or {}) do
      keep[snapshot.tablekey(dialect, nil, old)] = true
      keep[old] = true
    end
    introspect.restrict(live, want, keep)
  end
  -- roles are the schema's business only where it names them (never the
  -- cluster's other roles, prune or not)
  for name in pairs(live.roles or {}) do
    if not (want.roles or {})[name] then live.roles[name] = nil end
  end
  introspect.reconcile(live, want)
  local r = M.diff(dialect, live, want, opts)
  return r, live, want
end

-- kit.push(db, schema, { force, prune, tablesFilter, renames, resolve,
-- confirm, review, casing }) makes the database match the schema: diffs the live
-- database against the schema's snapshot and applies the statements (one
-- transaction on PostgreSQL and SQLite). Tables the schema does not have
-- are left alone unless prune is set (then they are dropped, except those
-- outside tablesFilter: a glob or a list of globs like "app_*").
-- Destructive changes need force = true or confirm(changes) returning
-- true, else nothing runs and a usage error (needsAnswer) names them.
-- review(statements, changes), when given, is asked last and returns the
-- statements to run (a subset, in order; none: nothing runs).
-- Returns the statements run and the changes.
function M.push(db, schema, opts)
  if opts ~= nil and type(opts) ~= "table" then
    util.usage("kit.push: options must be a table")
  end
  opts = opts or {}
  local r = M.plan(db, schema, opts)
  local stmts = r.statements or {}
  if #stmts == 0 then return {}, r.changes or {} end
  local bad = M.destructive(r)
  if #bad > 0 and not opts.force and
    not (opts.confirm and opts.confirm(bad)) then
    local lines = {}
    for _, c in ipairs(bad) do lines[#lines + 1] = "  - " .. c.description end
    needanswer("usage", "push would lose data; nothing was changed:\n" ..
      table.concat(lines, "\n") .. "\nrun with --force (kit.push: " ..
      "{ force = true }) to apply", { changes = bad })
  end
  if opts.review then
    stmts = opts.review(stmts, r.changes or {})
    if type(stmts) ~= "table" then
      util.usage("kit.push: review must return a list of statements")
    end
    if #stmts == 0 then return {}, r.changes or {} end
  end
  migrator.apply(db, stmts, { label = "push" })
  return stmts, r.changes or {}
end

-- }====================================================================

-- {====================================================================
-- Configuration
-- =====================================================================

-- The dialect a URL's scheme names (nil: no scheme sleet knows, which
-- for SQLite is drizzle-kit's plain file name).
local SCHEMES = {
  sqlite = "sqlite", sqlite3 = "sqlite", file = "sqlite",
  postgres = "postgresql", postgresql = "postgresql", pg = "postgresql",
  mysql = "mysql", mariadb = "mysql",
}

-- Checks a config's dbCredentials against its dialect; where names the
-- config (its file). URLs are not repeated in messages: they may hold a
-- password.
local function checkcredentials(config, where)
  local cred = config.dbCredentials
  if cred == nil then return end
  if type(cred) ~= "table" then
    util.usage(("%s: dbCredentials must be a table such as { url = " ..
      "\"...\" }, got a %s"):format(where, type(cred)))
  end
  local url = cred.url
  if url == nil then return end
  if type(url) ~= "string" then
    util.usage(("%s: dbCredentials.url must be a string, got a %s")
      :format(where, type(url)))
  end
  local dialect = config.dialect
  local scheme = url:match("^([%a][%w+.-]*):")
  local named = scheme and SCHEMES[scheme:lower()]
  if named and named ~= dialect then
    util.usage(("%s: dialect is %s but dbCredentials.url is a %s URL " ..
      "(%s:)"):format(where, dialect, named, scheme))
  end
  if not named and dialect ~= "sqlite" then
    util.usage(("%s: dbCredentials.url must be a %s URL (%s), for " ..
      "dialect %s"):format(where, dialect, dialect == "postgresql" and
      "postgres://user:password@host:port/database" or
      "mysql://user:password@host:port/database", dialect))
  end
end

-- The text of an error value a config or schema file raised.
local function raised(e)
  if type(e) == "string" then return e end
  if type(e) == "table" and type(e.message) == "string" then
    return e.message
  end
  return ("it raised a %s value, not an error message"):format(type(e))
end

-- kit.loadConfig(path, { schema = false }) → the table sleet.config.lua
-- returns, checked (schema = false: a config without a schema is fine, as
-- for pull).
function M.loadConfig(path, opts)
  path = path or "sleet.config.lua"
  local chunk, err = loadfile(path)
  if not chunk then util.usage(("cannot read %s: %s"):format(path, err)) end
  local ok, config = pcall(chunk)
  if not ok then
    util.usage(("error in %s: %s"):format(path, raised(config)))
  end
  if type(config) ~= "table" then util.usage(path .. " must return a table") end
  if not config.dialect then util.usage(path .. ": dialect is required") end
  config.dialect = query.dialect(config.dialect == "turso" and "sqlite" or
    config.dialect)
  if config.schema == nil and not (opts and opts.schema == false) then
    util.usage(path .. ": schema is required")
  end
  checkcredentials(config, path)
  config.out = config.out or "drizzle"
  config.casing = config.casing
  resolvecasing(config.casing)
  return config
end

-- What a schema file may hold: tables, enums and relations (what
-- drizzle-kit reads; relations matter to queries only).
local SCHEMAKINDS = { table = true, enum = true, relations = true,
  sequence = true, role = true }

-- The schema table of a config: its schema field is a file name, a list of
-- them (each returning a table of tables, merged) or the table itself. A
-- file holding anything else, or no table at all, is a usage error naming
-- it.
function M.loadSchema(config)
  local files = config.schema
  if type(files) == "table" and util.kind(files) == nil and
    type(files[1]) ~= "string" then
    return files
  end
  if type(files) == "string" then files = { files } end
  local schema = {}
  for _, file in ipairs(files) do
    local chunk, err = loadfile(file)
    if not chunk then
      util.usage(("cannot read schema %s: %s"):format(file, err))
    end
    local ok, t = pcall(chunk)
    if not ok then
      if type(t) == "string" then error(t, 0) end
      -- an error object keeps its kind, its message names the file
      local fields = { kind = "usage" }
      if type(t) == "table" and type(t.kind) == "string" then
        for k, v in pairs(t) do fields[k] = v end
      end
      fields.message = ("error in schema %s: %s"):format(file, raised(t))
      core.error(fields)
    end
    if type(t) ~= "table" or util.kind(t) ~= nil then
      util.usage(("schema %s must return a table of tables " ..
        "({ users = users, ... }), got %s"):format(file,
        util.kind(t) and ("a " .. util.kind(t)) or ("a " .. type(t))))
    end
    for k, v in pairs(t) do
      if not SCHEMAKINDS[util.kind(v)] then
        util.usage(("schema %s: %s is not a table, an enum, a sequence or " ..
          "relations (got a %s)"):format(file, tostring(k),
          util.kind(v) or type(v)))
      end
      schema[k] = v
    end
  end
  for _, v in pairs(schema) do
    if util.kind(v) == "table" then return schema end
  end
  util.usage(("schema %s has no tables"):format(table.concat(files, ", ")))
end

-- The connection target of a config's dbCredentials.
function M.target(config)
  local cred = config.dbCredentials
  if type(cred) ~= "table" then
    util.usage("dbCredentials is required for this command")
  end
  checkcredentials(config, "config")
  local dialect = config.dialect
  if cred.url then
    local url = cred.url
    -- drizzle-kit's SQLite url is a plain file name
    if dialect == "sqlite" and not url:match("^sqlite3?:") then
      url = url:gsub("^file:", "")
      return { dialect = "sqlite", path = url }
    end
    return url
  end
  local t = { dialect = dialect }
  for k, v in pairs(cred) do t[k] = v end
  return t
end

-- Connects to the config's database.
function M.connect(config, opts)
  local sleet = require "sleet"
  return sleet.connect(M.target(config), { casing = config.casing,
    logger = opts and opts.logger or nil })
end

-- The migrator options of a config.
function M.migratorOptions(config)
  local m = config.migrations or {}
  return { migrationsFolder = config.out, migrationsTable = m.table,
    migrationsSchema = m.schema }
end

-- }====================================================================

-- {====================================================================
-- The migrations folder
-- =====================================================================

local function shellquote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function writefile(path, text)
  local f, err = io.open(path, "wb")
  if not f then util.usage(("cannot write %s: %s"):format(path, err)) end
  f:write(text)
  f:close()
end

local function mkdirs(dir)
  if not util.execute("mkdir -p " .. shellquote(dir)) then
    util.usage(("cannot create directory %s"):format(dir))
  end
end

-- The file names in a directory (sorted); {} when it does not exist.
local function listdir(dir)
  local out = {}
  local p = io.popen("ls -1A " .. shellquote(dir) .. " 2>/dev/null")
  if not p then return out end
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  table.sort(out)
  return out
end

-- The journal of a folder ({ version = "7", dialect, entries = {} } when
-- there is none yet).
function M.readJournal(out, dialect)
  local path = out .. "/meta/_journal.json"
  local text = migrator.readfile(path)
  if not text then
    return { version = "7", dialect = dialect, entries = {} }, false
  end
  local j = snapshot.decode(text, path)
  j.entries = j.entries or {}
  return j, true
end

local function snapfile(out, idx)
  return ("%s/meta/%04d_snapshot.json"):format(out, idx)
end

-- The snapshot of the folder's last migration (an empty one when there is
-- none).
function M.lastSnapshot(out, dialect)
  local j = M.readJournal(out, dialect)
  local last = j.entries[#j.entries]
  if not last then return snapshot.empty(dialect) end
  local idx = last.idx or (#j.entries - 1)
  local path = snapfile(out, idx)
  local text = migrator.readfile(path)
  if not text then
    util.usage(("%s is missing (journal entry %s)"):format(path, last.tag))
  end
  return snapshot.readfile(text, path)
end

local ADJECTIVES = { "amber", "brave", "calm", "dapper", "eager", "fancy",
  "gentle", "happy", "icy", "jolly", "keen", "lively", "mellow", "nimble",
  "odd", "proud", "quiet", "rapid", "silent", "tidy", "urban", "vivid",
  "wise", "young", "zesty" }
local NOUNS = { "otter", "falcon", "badger", "heron", "lynx", "marten",
  "osprey", "puffin", "raven", "salmon", "tern", "viper", "walrus", "yak",
  "zebra", "gecko", "ibis", "jackal", "koala", "lemur", "mole", "newt",
  "owl", "panda", "quail" }

local function randomname()
  local h = snapshot.uuid():gsub("-", "")
  local a = tonumber(h:sub(1, 4), 16) % #ADJECTIVES + 1
  local n = tonumber(h:sub(5, 8), 16) % #NOUNS + 1
  return ADJECTIVES[a] .. "_" .. NOUNS[n]
end

local function sanitize(name)
  local s = name:gsub("[^%w_%-]+", "_")
  return s
end

-- The _meta of a snapshot: the renames that produced it, named like
-- drizzle-kit ("public"."old" → "public"."new").
local function meta(dialect, renames)
  local m = { schemas = {}, tables = {}, columns = {} }
  local function q(s) return '"' .. s .. '"' end
  local function tkey(name)
    if dialect == "postgresql" then
      local s, t = name:match("^([^%.]+)%.(.+)$")
      if not s then s, t = "public", name end
      return q(s) .. "." .. q(t)
    end
    return q(name)
  end
  local newname = {}
  for old, new in pairs(renames.tables) do
    if new then
      m.tables[tkey(old)] = tkey(new)
      newname[old] = new
    end
  end
  for from, to in pairs(renames.columns) do
    local t, c = from:match("^(.*)%.([^%.]+)$")
    if t and to then
      local nt = newname[t] or t
      m.columns[tkey(nt) .. "." .. q(c)] = tkey(nt) .. "." .. q(to)
    end
  end
  return m
end

-- The text of a migration file: a warning line per destructive change,
-- then the statements joined by breakpoints.
local function migrationtext(statements, changes)
  local lines = {}
  for _, c in ipairs(changes or {}) do
    if c.destructive then
      lines[#lines + 1] = "-- WARNING: " .. c.description
    end
  end
  local body = migrator.join(statements)
  if #lines > 0 then
    return table.concat(lines, "\n") .. "\n" .. body .. "\n"
  end
  return body .. "\n"
end

local CUSTOM = "-- Custom SQL migration file, put your code below! --\n"

-- kit.generate(config, { name, custom, renames, resolve, now }) writes the
-- next migration of config.out: NNNN_name.sql, NNNN_name.down.sql,
-- meta/NNNN_snapshot.json and the journal entry. Returns { written =
-- false } when the schema has not changed since the last snapshot (and
-- custom is not set), else { written = true, tag, file, downFile,
-- snapshotFile, statements, down, changes }.
function M.generate(config, opts)
  opts = opts or {}
  local dialect = config.dialect
  local out = config.out or "drizzle"
  local schema = opts.schema or M.loadSchema(config)
  local journal = M.readJournal(out, dialect)
  if journal.dialect and journal.dialect ~= dialect then
    util.usage(("%s holds %s migrations; the config says %s"):format(out,
      journal.dialect, dialect))
  end
  local prev = M.lastSnapshot(out, dialect)
  local want = snapshot.build(schema, dialect,
    { casing = resolvecasing(config.casing) })
  local r, renames, down
  if opts.custom then
    -- a hand-written migration: the schema is unchanged by it
    want = snapshot.copy(prev)
    r = { statements = {}, changes = {} }
    renames = copyrenames(nil)
    down = { statements = {} }
  else
    snapshot.align(prev, want)
    r, renames = M.diff(dialect, prev, want, opts)
    if #(r.statements or {}) == 0 then
      return { written = false, changes = r.changes or {} }
    end
    down = M.diff(dialect, want, prev, { renames = invert(renames) })
  end
  local idx = #journal.entries
  local last = journal.entries[#journal.entries]
  if last and last.idx then idx = last.idx + 1 end
  local tag = ("%04d_%s"):format(idx, sanitize(opts.name or randomname()))
  want.id = snapshot.uuid()
  want.prevId = prev.id or snapshot.ZERO
  want._meta = meta(dialect, renames)
  want.version = snapshot.versions[dialect]
  want.dialect = dialect
  mkdirs(out .. "/meta")
  local file = out .. "/" .. tag .. ".sql"
  local downfile = out .. "/" .. tag .. ".down.sql"
  local sfile = snapfile(out, idx)
  for _, p in ipairs({ file, downfile, sfile }) do
    if exists(p) then
      util.usage(("%s already exists; is the journal out of date?"):format(p))
    end
  end
  if opts.custom then
    writefile(file, CUSTOM)
    writefile(downfile, CUSTOM)
  else
    writefile(file, migrationtext(r.statements, r.changes))
    writefile(downfile, migrationtext(down.statements, down.changes))
  end
  writefile(sfile, snapshot.filetext(want, { schema = schema,
    casing = resolvecasing(config.casing) }))
  local now = opts.now or math.floor(os.time() * 1000)
  if last and last.when and now <= last.when then now = last.when + 1 end
  journal.version = journal.version or "7"
  journal.dialect = dialect
  journal.entries[#journal.entries + 1] = {
    idx = idx, version = snapshot.versions[dialect], when = now, tag = tag,
    breakpoints = true,
  }
  writefile(out .. "/meta/_journal.json", snapshot.encode(journal) .. "\n")
  return {
    written = true, tag = tag, file = file, downFile = downfile,
    snapshotFile = sfile, statements = r.statements, down = down.statements,
    changes = r.changes or {},
  }
end

-- kit.migrate(config, opts) connects to the config's database and applies
-- the pending migrations (sleet.migrator.migrate). opts.progress,
-- opts.warn and opts.review as there.
function M.migrate(config, opts)
  opts = opts or {}
  local db = M.connect(config)
  local mo = M.migratorOptions(config)
  mo.progress, mo.warn, mo.review = opts.progress, opts.warn, opts.review
  local ok, res = pcall(migrator.migrate, db, mo)
  db:close()
  if not ok then error(res, 0) end
  return res
end

-- kit.rollback(config, { steps, progress }) reverts the last applied
-- migrations with their down files.
function M.rollback(config, opts)
  opts = opts or {}
  local db = M.connect(config)
  local mo = M.migratorOptions(config)
  mo.steps, mo.progress = opts.steps or 1, opts.progress
  local ok, res = pcall(migrator.rollback, db, mo)
  db:close()
  if not ok then error(res, 0) end
  return res
end

-- kit.drop(config, { db }) removes the folder's last migration when the
-- database has not applied it: NNNN_name.sql, NNNN_name.down.sql,
-- meta/NNNN_snapshot.json and its journal entry. The database is the one
-- given, else the config's (db = false, or a config without dbCredentials,
-- checks nothing). An applied migration is refused with a migration error
-- naming it (roll it back first); an empty folder is a usage error.
-- Returns { tag, removed = { paths }, checked = true | false }.
function M.drop(config, opts)
  opts = opts or {}
  local out = config.out or "drizzle"
  local journal, found = M.readJournal(out, config.dialect)
  local last = journal.entries[#journal.entries]
  if not found or not last then
    util.usage(("%s has no migration to drop"):format(out))
  end
  if type(last.tag) ~= "string" then
    util.usage(("%s/meta/_journal.json: its last entry has no tag")
      :format(out))
  end
  local idx = last.idx or (#journal.entries - 1)
  local file = out .. "/" .. last.tag .. ".sql"
  local db, own = opts.db, false
  if db == nil and config.dbCredentials then
    db, own = M.connect(config), true
  end
  local checked = false
  if db then
    local text = migrator.readfile(file)
    local entry = { tag = last.tag, when = last.when,
      hash = text and core.sha256(text) or nil }
    local ok, rows = pcall(migrator.applied, db, M.migratorOptions(config))
    if own then db:close() end
    if not ok then error(rows, 0) end
    if migrator.isapplied(entry, rows) then
      core.error({ kind = "migration", migration = last.tag, message =
        ("%s is applied to the database: roll it back first (sleet-kit " ..
        "rollback), then drop it"):format(last.tag) })
    end
    checked = true
  end
  local removed = {}
  for _, p in ipairs({ file, out .. "/" .. last.tag .. ".down.sql",
    snapfile(out, idx) }) do
    if exists(p) then
      local ok, err = os.remove(p)
      if not ok then util.usage(("cannot remove %s: %s"):format(p, err)) end
      removed[#removed + 1] = p
    end
  end
  journal.entries[#journal.entries] = nil
  writefile(out .. "/meta/_journal.json", snapshot.encode(journal) .. "\n")
  return { tag = last.tag, removed = removed, checked = checked }
end

-- The PostgreSQL schemas of a config's schemaFilter (a name or a list;
-- "public" when none is set).
local function schemafilter(config)
  local f = config.schemaFilter
  if f == nil then return { "public" } end
  if type(f) == "string" then f = { f } end
  if type(f) ~= "table" or #f == 0 then
    util.usage("schemaFilter must be a schema name or a list of them")
  end
  for _, s in ipairs(f) do
    if type(s) ~= "string" or s == "" then
      util.usage("schemaFilter must be a schema name or a list of them")
    end
  end
  return f
end

-- kit.pull(config, { db, write }) reads the database of the config (or db)
-- and writes <out>/schema.lua and <out>/relations.lua (sleet.pull):
-- the tables matching tablesFilter, in the PostgreSQL schemas of
-- schemaFilter, without the migrations' tracking table. write = false
-- writes nothing. Returns { schema = text, relations = text, notes = { ...
-- }, files = { paths } }; notes name what the schema modules cannot say.
function M.pull(config, opts)
  opts = opts or {}
  local db, own = opts.db, false
  if db == nil then db, own = M.connect(config), true end
  local schemas = schemafilter(config)
  local mo = M.migratorOptions(config)
  local exclude = {}
  if mo.migrationsTable then exclude[mo.migrationsTable] = true end
  local ok, live = pcall(introspect.snapshot, db,
    { schemas = schemas, exclude = exclude })
  if own then db:close() end
  if not ok then error(live, 0) end
  if live.dialect == "postgresql" then
    local keep = {}
    for _, s in ipairs(schemas) do keep[s] = true end
    for key, t in pairs(live.tables) do
      if not keep[t.schema == "" and "public" or t.schema] then
        live.tables[key] = nil
      end
    end
    for key, e in pairs(live.enums) do
      if not keep[e.schema] then live.enums[key] = nil end
    end
    for key, q in pairs(live.sequences or {}) do
      if not keep[q.schema] then live.sequences[key] = nil end
    end
    for s in pairs(live.schemas) do
      if not keep[s] then live.schemas[s] = nil end
    end
  end
  if config.tablesFilter then
    local match = globs(config.tablesFilter)
    for key, t in pairs(live.tables) do
      if not match(t.name) then live.tables[key] = nil end
    end
    for key, v in pairs(live.views or {}) do
      if not match(v.name) then live.views[key] = nil end
    end
    -- and the enums only tables left out use
    local used = {}
    for _, t in pairs(live.tables) do
      for _, c in pairs(t.columns) do used[c.type] = true end
    end
    for key, e in pairs(live.enums or {}) do
      local q = '"' .. e.name:gsub('"', '""') .. '"'
      local typ = e.schema == "public" and q or
        ('"' .. e.schema:gsub('"', '""') .. '".' .. q)
      if not used[typ] then live.enums[key] = nil end
    end
  end
  local r = require("sleet.pull").render(live, { casing = config.casing,
    source = opts.source or ("the " .. live.dialect .. " database of " ..
      "the config") })
  r.files = {}
  if opts.write ~= false then
    local out = config.out or "drizzle"
    mkdirs(out)
    for _, name in ipairs({ "schema", "relations" }) do
      local path = out .. "/" .. name .. ".lua"
      writefile(path, r[name])
      r.files[#r.files + 1] = path
    end
  end
  return r
end

-- The oldest snapshot version of each dialect kit.up upgrades (older
-- drizzle-kit folders go through drizzle-kit up first).
local OLDEST = { postgresql = 5, mysql = 4, sqlite = 5 }

-- A snapshot (decoded, ordered) of an older version in the current one's
-- shape; path names it in messages.
local function upgrade(v, dialect, path)
  local version = tonumber(v.version)
  local current = tonumber(snapshot.versions[dialect])
  -- drizzle-kit's PostgreSQL snapshots said "pg" before version 6
  if dialect == "postgresql" and v.dialect == "pg" and
    (tonumber(v.version) or 7) < 6 then
    v.dialect = "postgresql"
  end
  if v.dialect ~= nil and v.dialect ~= dialect then
    util.usage(("%s is a %s snapshot; the config says %s"):format(path,
      tostring(v.dialect), dialect))
  end
  if version == nil or version > current then
    util.usage(("%s has snapshot version %s, newer than this sleet-kit " ..
      "reads (%d)"):format(path, tostring(v.version), current))
  end
  if version < OLDEST[dialect] then
    util.usage(("%s has snapshot version %d: upgrade it with drizzle-kit " ..
      "up first (sleet-kit up starts at %d)"):format(path, version,
      OLDEST[dialect]))
  end
  if type(v.tables) ~= "table" then
    util.usage(("%s has no tables"):format(path))
  end
  if dialect == "postgresql" and version < 6 then
    -- tables and enums were keyed by name alone
    local tables, enums = {}, {}
    for _, t in pairs(v.tables) do
      local s = (t.schema == nil or t.schema == "") and "public" or t.schema
      tables[s .. "." .. t.name] = t
    end
    for key, e in pairs(v.enums or {}) do
      e.name = e.name or key
      e.schema = e.schema or "public"
      if type(e.values) == "table" and e.values[1] == nil then
        -- a map of value → value, in the file's order
        local list = {}
        local mt = getmetatable(e.values)
        for _, k in ipairs(mt and mt.__keys or {}) do
          list[#list + 1] = e.values[k]
        end
        e.values = list
      end
      enums[e.schema .. "." .. e.name] = e
    end
    v.tables, v.enums = tables, enums
  end
  for _, t in pairs(v.tables) do
    t.compositePrimaryKeys = t.compositePrimaryKeys or {}
    t.uniqueConstraints = t.uniqueConstraints or {}
    t.foreignKeys = t.foreignKeys or {}
    t.indexes = t.indexes or {}
  end
  v.version = snapshot.versions[dialect]
  v.dialect = dialect
  v._meta = v._meta or { schemas = {}, tables = {}, columns = {} }
  return v
end

-- kit.up(config) rewrites every snapshot of <out> in the shape this
-- version writes (snapshot.tofile): snapshots of older sleet versions,
-- and drizzle-kit's of older versions (PostgreSQL 5 and 6, MySQL 4,
-- SQLite 5). Ids, prevIds and renames (_meta) are kept; nothing else in
-- the folder changes except the journal entries' version. Returns
-- { upgraded = { paths }, current = { paths } }.
function M.up(config)
  local out = config.out or "drizzle"
  local dialect = config.dialect
  local journal, found = M.readJournal(out, dialect)
  if not found then util.usage(("%s has no migrations"):format(out)) end
  local r = { upgraded = {}, current = {} }
  local texts = {}
  for i, e in ipairs(journal.entries) do
    local path = snapfile(out, e.idx or (i - 1))
    local text = migrator.readfile(path)
    if not text then
      util.usage(("%s is missing (journal entry %s)"):format(path,
        tostring(e.tag)))
    end
    local v = upgrade(snapshot.decode(text, path, true), dialect, path)
    local new = snapshot.filetext(snapshot.fromfile(v))
    texts[#texts + 1] = { path = path, text = text, new = new }
    e.version = snapshot.versions[dialect]
  end
  -- every file is read and checked before one is written
  for _, f in ipairs(texts) do
    if f.new ~= f.text then
      writefile(f.path, f.new)
      r.upgraded[#r.upgraded + 1] = f.path
    else
      r.current[#r.current + 1] = f.path
    end
  end
  if #r.upgraded > 0 then
    writefile(out .. "/meta/_journal.json", snapshot.encode(journal) .. "\n")
  end
  return r
end

-- kit.check(config, { db }) → a list of problems { kind, message } with
-- the migrations folder: journal entries without their file or snapshot,
-- files the journal does not name, two snapshots with the same prevId (two
-- branches generated from one state), and, when a database is given or
-- the config has credentials (db = false skips it), applied migrations
-- whose file has changed since.
function M.check(config, opts)
  opts = opts or {}
  local out = config.out or "drizzle"
  local problems = {}
  local function add(kind, msg)
    problems[#problems + 1] = { kind = kind, message = msg }
  end
  local journal, found = M.readJournal(out, config.dialect)
  if not found then
    add("journal", ("%s/meta/_journal.json is missing"):format(out))
    return problems
  end
  local named, snaps = {}, {}
  for i, e in ipairs(journal.entries) do
    local idx = e.idx or (i - 1)
    if e.idx ~= nil and e.idx ~= i - 1 then
      add("journal", ("journal entry %d (%s) has idx %s"):format(i,
        tostring(e.tag), tostring(e.idx)))
    end
    if type(e.tag) ~= "string" then
      add("journal", ("journal entry %d has no tag"):format(i))
    else
      named[e.tag .. ".sql"] = true
      named[e.tag .. ".down.sql"] = true
      if not exists(out .. "/" .. e.tag .. ".sql") then
        add("missing", ("%s/%s.sql is in the journal but missing"):format(out,
          e.tag))
      end
    end
    snaps[("%04d_snapshot.json"):format(idx)] = true
    local sp = snapfile(out, idx)
    if not exists(sp) then
      add("missing", ("%s is missing (journal entry %s)"):format(sp,
        tostring(e.tag)))
    end
  end
  for _, f in ipairs(listdir(out)) do
    if f:match("%.sql$") and not named[f] then
      add("untracked", ("%s/%s is not in the journal"):format(out, f))
    end
  end
  local byprev = {}
  for _, f in ipairs(listdir(out .. "/meta")) do
    if f:match("^%d+_snapshot%.json$") then
      if not snaps[f] then
        add("untracked", ("%s/meta/%s is not in the journal"):format(out, f))
      end
      local text = migrator.readfile(out .. "/meta/" .. f)
      local ok, s = pcall(core.json_decode, text or "")
      if not ok or type(s) ~= "table" then
        add("snapshot", ("%s/meta/%s is not valid JSON"):format(out, f))
      elseif s.prevId then
        local other = byprev[s.prevId]
        if other then
          add("conflict", ("%s and %s both follow snapshot %s: two " ..
            "migrations were generated from the same state (merge the " ..
            "branches and generate again)"):format(other, f, s.prevId))
        else
          byprev[s.prevId] = f
        end
      end
    end
  end
  local db, own = opts.db, false
  if db == nil and config.dbCredentials then
    local ok, d = pcall(M.connect, config)
    if ok then
      db, own = d, true
    else
      add("database", "cannot connect to check applied migrations: " ..
        tostring(type(d) == "table" and d.message or d))
    end
  end
  if db then
    local mo = M.migratorOptions(config)
    local entries = {}
    for _, e in ipairs(journal.entries) do
      local file = type(e.tag) == "string" and out .. "/" .. e.tag .. ".sql"
      local text = file and migrator.readfile(file)
      if text then
        entries[#entries + 1] = { tag = e.tag, file = file,
          hash = core.sha256(text) }
      end
    end
    for _, msg in ipairs(migrator.edited(entries, migrator.applied(db, mo)))
    do
      add("edited", msg)
    end
    if own then db:close() end
  end
  return problems
end

-- }====================================================================

-- {====================================================================
-- Seeding
-- =====================================================================

-- The seed files to run: file (a path, or a name in the seeds folder, with
-- or without .lua), else every *.lua of the folder in name order (none:
-- an empty list).
local function seedfiles(config, file)
  local dir = config.seeds or "seeds"
  if file then
    for _, p in ipairs({ file, dir .. "/" .. file, dir .. "/" .. file .. ".lua" })
    do
      if exists(p) then return { p } end
    end
    util.usage(("seed file %s not found (looked in . and %s/)"):format(file,
      dir))
  end
  local list = {}
  for _, name in ipairs(listdir(dir)) do
    if name:match("%.lua$") then list[#list + 1] = dir .. "/" .. name end
  end
  table.sort(list)
  return list
end

-- kit.seed(config, { file, reset, seed, progress }) runs seed files (each
-- returns function(db, seed)) on the config's database, or, when there is
-- none, seeds every table of the schema with the defaults. The seed handed
-- to a file is sleet.seed whose seed() defaults to opts.seed and reports
-- progress. Returns { files, tables = { { name, rows, seconds } },
-- rows, seconds }.
function M.seed(config, opts)
  opts = opts or {}
  local seedmod = require "sleet.seed"
  local schema = M.loadSchema(config)
  local files = seedfiles(config, opts.file)
  local chunks = {}
  for i, f in ipairs(files) do
    local chunk, err = loadfile(f)
    if not chunk then util.usage(("cannot read seed %s: %s"):format(f, err)) end
    local ok, fn = pcall(chunk)
    if not ok then
      util.usage(("error in seed %s: %s"):format(f, raised(fn)))
    end
    if type(fn) ~= "function" then
      util.usage(("seed %s must return function(db, seed), got a %s")
        :format(f, type(fn)))
    end
    chunks[i] = fn
  end
  local summary = { files = files, tables = {}, rows = 0 }
  local api = setmetatable({
    schema = schema,
    seed = function(db, sch, o)
      local oo = {}
      for k, v in pairs(o or {}) do oo[k] = v end
      if oo.seed == nil then oo.seed = opts.seed end
      if oo.progress == nil then oo.progress = opts.progress end
      local r = seedmod.seed(db, sch or schema, oo)
      for _, t in ipairs(r.tables) do summary.tables[#summary.tables + 1] = t end
      summary.rows = summary.rows + r.rows
      return r
    end,
  }, { __index = seedmod })
  local db = M.connect(config)
  local t0 = core.seed_clock()
  local ok, err = pcall(function()
    if opts.reset then seedmod.reset(db, schema) end
    if #chunks == 0 then
      api.seed(db, schema, {})
    else
      for _, fn in ipairs(chunks) do fn(db, api) end
    end
  end)
  db:close()
  if not ok then error(err, 0) end
  summary.seconds = core.seed_clock() - t0
  return summary
end

-- }====================================================================

-- {====================================================================
-- Seeing the schema: types and diagram
-- =====================================================================

-- The relations of a config: config.relations is a file returning a
-- defineRelations result (or a function(schema) returning one), or that
-- result itself; nil when the config has none.
function M.loadRelations(config, schema)
  local r = config.relations
  if r == nil then return nil end
  if type(r) == "string" then
    local chunk, err = loadfile(r)
    if not chunk then
      util.usage(("cannot read relations %s: %s"):format(r, err))
    end
    local ok, v = pcall(chunk)
    if not ok then
      util.usage(("error in relations %s: %s"):format(r, raised(v)))
    end
    if type(v) == "function" then
      ok, v = pcall(v, schema)
      if not ok then
        util.usage(("error in relations %s: %s"):format(r, raised(v)))
      end
    end
    if util.kind(v) ~= "relations" then
      util.usage(("relations %s must return sleet.defineRelations(...) " ..
        "or a function(schema) returning it, got a %s"):format(r,
        util.kind(v) or type(v)))
    end
    return v
  end
  if util.kind(r) ~= "relations" then
    util.usage("config: relations must be a file name or the result of " ..
      "sleet.defineRelations")
  end
  return r
end

local function sourcename(config)
  local s = config.schema
  if type(s) == "string" then return s end
  if type(s) == "table" and type(s[1]) == "string" then
    return table.concat(s, ", ")
  end
  return nil
end

-- kit.types(config, { schema, relations }) → the text of the LuaLS
-- annotations of the config's schema (sleet.types.generate), with the
-- config's relations.
function M.types(config, opts)
  opts = opts or {}
  local schema = opts.schema or M.loadSchema(config)
  local rels = opts.relations
  if rels == nil then rels = M.loadRelations(config, schema) end
  return require("sleet.types").generate(schema, { casing = config.casing,
    relations = rels, source = sourcename(config) })
end

-- kit.diagram(config, { schema }) → the Graphviz dot text of the config's
-- schema (sleet.diagram.dot).
function M.diagram(config, opts)
  opts = opts or {}
  local schema = opts.schema or M.loadSchema(config)
  return require("sleet.diagram").dot(schema, config.dialect,
    { casing = config.casing })
end

-- }====================================================================

return M
