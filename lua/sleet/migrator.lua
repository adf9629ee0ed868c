-- The migrator: applies the migrations of a folder written by
-- `sleet-kit generate` (or by drizzle-kit: the same layout) and records
-- them in a tracking table.
--
--   require("sleet.migrator").migrate(db, { migrationsFolder = "drizzle" })
--   require("sleet.migrator").rollback(db, { migrationsFolder = "drizzle",
--     steps = 1 })
--
-- Each migration runs in its own transaction on PostgreSQL and SQLite, so
-- a failing one leaves the schema as it was; MySQL commits DDL as it goes,
-- so there a failure reports the statement that failed and those of the
-- migration already applied. A lock keeps two migrators from running at
-- once: an advisory lock (PostgreSQL), GET_LOCK (MySQL), an IMMEDIATE
-- transaction around each migration (SQLite), under which what is pending
-- is decided again.
local core = require "sleet.core"
local util = require "sleet.util"

local M = {}

-- The tracking table's default name (drizzle's is __drizzle_migrations).
M.DEFAULT_TABLE = "__sleet_migrations"

local BREAKPOINT = "--> statement-breakpoint"

local function migerror(message, extra)
  local fields = { kind = "migration", message = message }
  for k, v in pairs(extra or {}) do fields[k] = v end
  core.error(fields)
end

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a") -- "*a": Lua 5.1 knows no "a"
  f:close()
  return s
end
M.readfile = readfile

-- True when a chunk of SQL holds nothing but comments and white space.
local function blank(s)
  s = s:gsub("%-%-[^\n]*", ""):gsub("/%*.-%*/", "")
  return s:match("^%s*$") ~= nil
end

-- The statements of a migration file: its chunks between
-- `--> statement-breakpoint` lines, trimmed, without comment-only ones.
function M.statements(text)
  local out = {}
  local pos = 1
  while true do
    local s, e = text:find(BREAKPOINT, pos, true)
    local chunk = text:sub(pos, (s or 0) - 1)
    if s == nil then chunk = text:sub(pos) end
    chunk = chunk:gsub("^%s+", ""):gsub("%s+$", "")
    if not blank(chunk) then out[#out + 1] = chunk end
    if not s then break end
    pos = e + 1
  end
  return out
end

-- The statements joined the way migration files hold them.
function M.join(statements)
  return table.concat(statements, "\n" .. BREAKPOINT .. "\n")
end

-- {====================================================================
-- The folder
-- =====================================================================

-- migrator.readFolder(folder) → { dialect, entries = { { idx, tag, when,
-- breakpoints, file, sql, hash, downFile }, ... } } in journal order.
-- Raises a migration error when the journal or a file it names is missing.
function M.readFolder(folder)
  if type(folder) ~= "string" or folder == "" then
    util.usage("migrate: migrationsFolder is required")
  end
  local jpath = folder .. "/meta/_journal.json"
  local text = readfile(jpath)
  if not text then
    migerror(("cannot find %s: is %s a migrations folder?"):format(jpath,
      folder), { file = jpath })
  end
  local ok, journal = pcall(core.json_decode, text)
  if not ok or type(journal) ~= "table" or type(journal.entries) ~= "table"
  then
    migerror(("%s is not a valid journal"):format(jpath), { file = jpath })
  end
  local out = { dialect = journal.dialect, entries = {}, journal = journal }
  for i, e in ipairs(journal.entries) do
    if type(e.tag) ~= "string" then
      migerror(("%s: entry %d has no tag"):format(jpath, i), { file = jpath })
    end
    local file = folder .. "/" .. e.tag .. ".sql"
    local sql = readfile(file)
    if not sql then
      migerror(("migration %s is in the journal but %s is missing"):format(
        e.tag, file), { file = file, migration = e.tag })
    end
    out.entries[i] = {
      idx = e.idx or (i - 1), tag = e.tag, when = e.when or 0,
      breakpoints = e.breakpoints ~= false, file = file, sql = sql,
      hash = core.sha256(sql), downFile = folder .. "/" .. e.tag ..
        ".down.sql",
    }
  end
  return out
end

-- }====================================================================

-- {====================================================================
-- SQL helpers per dialect
-- =====================================================================

local function quote(dialect, name)
  if dialect == "mysql" then return "`" .. name:gsub("`", "``") .. "`" end
  return '"' .. name:gsub('"', '""') .. '"'
end

-- The logger (connect's logger option) of the database each native
-- connection was taken from: the statements run here are logged like
-- those of built queries.
local loggers = setmetatable({}, { __mode = "k" })

local function link(db, what)
  if type(db) ~= "table" or type(db._connection) ~= "function" then
    util.usage(what .. ": expected a database from sleet.connect")
  end
  local c = db:_connection()
  loggers[c] = db._logger
  return c
end

local function conn(db)
  local c = link(db, "migrate")
  if db._st and db._st.depth and db._st.depth > 0 then
    util.usage("migrate: cannot run inside a transaction")
  end
  return c
end

-- exec_sql with ? placeholders on every dialect, through the logger.
local function exec(c, sql, params, mode)
  params = params or {}
  if c:dialect() == "postgresql" and #params > 0 then
    local n = 0
    sql = sql:gsub("%?", function()
      n = n + 1
      return "$" .. n
    end)
  end
  local log = loggers[c]
  if log then log(sql, params) end
  return c:exec_sql(sql, params, mode or "run")
end

-- migrator.sql(db, sql, params, mode) runs SQL text with ? placeholders
-- (no ? inside its literals) on db's connection, logged by db's logger;
-- mode as exec_sql ("all", "run"; default "run"). What introspection
-- reads the catalogs with.
function M.sql(db, sql, params, mode)
  return exec(link(db, "introspect"), sql, params, mode)
end

-- The tracking table's options: { table, schema, qualified }.
local function tracking(dialect, opts)
  local name = opts.migrationsTable or M.DEFAULT_TABLE
  if type(name) ~= "string" or name == "" then
    util.usage("migrate: migrationsTable must be a non-empty string")
  end
  local schema = opts.migrationsSchema
  if schema ~= nil and type(schema) ~= "string" then
    util.usage("migrate: migrationsSchema must be a string")
  end
  if dialect == "sqlite" then schema = nil end
  if dialect == "postgresql" and schema == nil then
    -- drizzle keeps its table in the "drizzle" schema
    schema = name == "__drizzle_migrations" and "drizzle" or "public"
  end
  local q = quote(dialect, name)
  if schema then q = quote(dialect, schema) .. "." .. q end
  return { table = name, schema = schema, qualified = q }
end

local function columnsof(c, dialect, tr)
  local set = {}
  local list
  if dialect == "sqlite" then
    list = exec(c, "select name from pragma_table_info(?)", { tr.table }, "all")
  elseif dialect == "postgresql" then
    list = exec(c, "select column_name as name from " ..
      "information_schema.columns where table_schema = ? and table_name = ?",
      { tr.schema, tr.table }, "all")
  elseif tr.schema then
    list = exec(c, "select COLUMN_NAME as name from " ..
      "information_schema.COLUMNS where TABLE_SCHEMA = ? and TABLE_NAME = ?",
      { tr.schema, tr.table }, "all")
  else
    list = exec(c, "select COLUMN_NAME as name from " ..
      "information_schema.COLUMNS where TABLE_SCHEMA = database() and " ..
      "TABLE_NAME = ?", { tr.table }, "all")
  end
  for _, r in ipairs(list) do set[r.name] = true end
  return set
end

-- Creates the tracking table when missing, with drizzle's columns (id,
-- hash, created_at) and sleet's (name, applied_at); a table drizzle made
-- gets the last two added.
local function ensuretable(c, dialect, tr)
  local q = tr.qualified
  if dialect == "postgresql" then
    if tr.schema ~= "public" then
      exec(c, "create schema if not exists " .. quote(dialect, tr.schema))
    end
    exec(c, "create table if not exists " .. q .. " (id serial primary key, " ..
      "hash text not null, created_at bigint, name text, " ..
      "applied_at timestamp with time zone default now())")
  elseif dialect == "mysql" then
    exec(c, "create table if not exists " .. q .. " (id serial primary key, " ..
      "hash text not null, created_at bigint, name varchar(255), " ..
      "applied_at timestamp default current_timestamp)")
  else
    exec(c, "create table if not exists " .. q .. " (id integer primary key " ..
      "autoincrement, hash text not null, created_at numeric, name text, " ..
      "applied_at text default (CURRENT_TIMESTAMP))")
  end
  local have = columnsof(c, dialect, tr)
  if not have.name then
    exec(c, "alter table " .. q .. " add column name " ..
      (dialect == "mysql" and "varchar(255)" or "text"))
  end
  if not have.applied_at then
    exec(c, "alter table " .. q .. " add column applied_at " ..
      (dialect == "sqlite" and "text" or "timestamp"))
  end
end

local function appliedrows(c, tr)
  local out = {}
  for _, r in ipairs(exec(c, "select id, hash, created_at, name from " ..
    tr.qualified .. " order by id", {}, "all")) do
    if r.name == core.null then r.name = nil end
    out[#out + 1] = r
  end
  return out
end

-- Whether journal entry e is recorded in rows: by name, or (rows written
-- by drizzle's migrator, which keeps no name) by hash or timestamp.
local function isapplied(e, rows)
  for _, r in ipairs(rows) do
    if r.name == e.tag then return r end
    if r.name == nil and (r.hash == e.hash or
      tonumber(r.created_at) == tonumber(e.when)) then
      return r
    end
  end
  return nil
end
M.isapplied = isapplied

-- migrator.edited(entries, rows) → messages for the entries ({ tag, file,
-- hash }) recorded by name in rows (the tracking table's) whose file's
-- hash differs from the recorded one: a migration changed after it was
-- applied, which migrate will not run again. Rows drizzle's migrator wrote
-- have no name: they cannot tell an edit from another migration.
function M.edited(entries, rows)
  local out = {}
  for _, e in ipairs(entries) do
    for _, r in ipairs(rows) do
      if r.name == e.tag and r.hash ~= e.hash then
        out[#out + 1] = ("%s was changed after it was applied (its hash " ..
          "differs from the one recorded)"):format(e.file)
        break
      end
    end
  end
  return out
end

-- A lock key for pg_advisory_lock: a 53-bit hash of the table's name.
local function lockkey(tr)
  local h = 5381
  local s = "sleet-migrations:" .. (tr.schema or "") .. "." .. tr.table
  for i = 1, #s do h = (h * 33 + s:byte(i)) % 9007199254740881 end
  return math.tointeger and math.tointeger(h) or h
end

-- MySQL's lock name (at most 64 characters).
local function mylockname(tr)
  return ("sleet_migrations:" .. tr.qualified):sub(1, 64)
end

local function lock(c, dialect, tr, opts)
  if dialect == "postgresql" then
    exec(c, "select pg_advisory_lock(?::bigint)", { lockkey(tr) }, "all")
  elseif dialect == "mysql" then
    local timeout = opts.lockTimeout or 300
    local r = exec(c, "select get_lock(?, ?) as l",
      { mylockname(tr), timeout }, "all")[1]
    if not r or r.l ~= 1 then
      migerror(("another migrator holds the lock on %s (waited %d s)")
        :format(tr.qualified, timeout))
    end
  end
end

local function unlock(c, dialect, tr)
  if c:isclosed() then return end
  if dialect == "postgresql" then
    pcall(exec, c, "select pg_advisory_unlock(?::bigint)", { lockkey(tr) },
      "all")
  elseif dialect == "mysql" then
    pcall(exec, c, "select release_lock(?)", { mylockname(tr) }, "all")
  end
end

-- Runs fn while holding the migrators' lock; the lock is released however
-- fn ends.
local function locked(c, dialect, tr, opts, fn)
  lock(c, dialect, tr, opts)
  local ok, err = pcall(fn)
  unlock(c, dialect, tr)
  if not ok then error(err, 0) end
  return err
end

-- }====================================================================

-- {====================================================================
-- Running a unit of statements
-- =====================================================================

-- A whole number as an integer (journal times are milliseconds).
local function toint(v)
  v = tonumber(v) or 0
  if math.tointeger then return math.tointeger(v) or v end
  return v
end

local function errtext(e)
  if type(e) == "table" and e.message then return e.message end
  return tostring(e)
end

-- A statement without its leading comments (a migration file may start
-- with -- WARNING lines), in lower case: what pragmas are recognised by.
local function bare(stmt)
  local s = stmt
  repeat
    local before = s
    s = s:gsub("^%s+", ""):gsub("^%-%-[^\n]*", ""):gsub("^/%*.-%*/", "")
  until s == before
  return s:lower()
end

local function pragmafk(stmt)
  return bare(stmt):match("^pragma%s+foreign_keys%s*=%s*(%w+)%s*;?%s*$")
end

local function isfkcheck(stmt)
  return bare(stmt):match("^pragma%s+foreign_key_check%s*;?%s*$") ~= nil
end

-- Runs statements as one unit. unit: { label (for messages), file,
-- before(c) → true to skip (runs first inside the transaction), start()
-- (runs next, once the unit is sure to run: the progress line), after(c)
-- (runs last inside it: the tracking row) }. PostgreSQL and SQLite: one
-- transaction (SQLite: IMMEDIATE, with its foreign_keys pragmas run
-- around it and a foreign_key_check before commit); MySQL: statement by
-- statement. Returns false when before() said to skip. A failure raises a
-- migration error naming the unit, the file and the failing statement.
function M.rununit(db, statements, unit)
  local c = conn(db)
  local dialect = c:dialect()
  local label = unit.label or "migration"
  local function fail(stmt, e, applied)
    local extra = { sql = stmt, file = unit.file, migration = unit.tag }
    if type(e) == "table" then
      extra.code, extra.sqlstate = e.code, e.sqlstate
      extra.constraint, extra.detail = e.constraint, e.detail
    end
    local msg = ("%s failed%s: %s\n  statement: %s"):format(label,
      unit.file and (" (" .. unit.file .. ")") or "", errtext(e),
      stmt or "?")
    if applied then
      extra.applied = applied
      if #applied > 0 then
        msg = msg .. (dialect == "mysql" and
          "\n  already applied (MySQL commits DDL as it goes):\n    " or
          "\n  already applied (an index built concurrently runs outside " ..
          "a transaction):\n    ") .. table.concat(applied, "\n    ")
      else
        msg = msg .. "\n  no statement of it was applied"
      end
    else
      msg = msg .. "\n  the transaction was rolled back: nothing of it " ..
        "was applied"
    end
    migerror(msg, extra)
  end
  -- PostgreSQL builds an index CONCURRENTLY only outside a transaction:
  -- such a unit runs statement by statement, as on MySQL
  local notx = dialect == "mysql"
  if dialect == "postgresql" then
    for _, stmt in ipairs(statements) do
      -- past leading comments (generate's warnings, a hand-written note)
      local u = bare(stmt)
      if u:match("^create%s+index%s+concurrently%s") or
        u:match("^create%s+unique%s+index%s+concurrently%s") or
        u:match("^drop%s+index%s+concurrently%s") then
        notx = true
      end
    end
  end
  if notx then
    if unit.before and unit.before(c) then return false end
    if unit.start then unit.start() end
    local applied = {}
    for _, stmt in ipairs(statements) do
      local ok, e = pcall(exec, c, stmt)
      if not ok then fail(stmt, e, applied) end
      applied[#applied + 1] = stmt
    end
    if unit.after then
      local ok, e = pcall(unit.after, c)
      if not ok then fail("(recording the migration)", e, applied) end
    end
    return true
  end
  -- SQLite's foreign_keys pragma is a no-op inside a transaction: the
  -- rebuild's OFF/ON pair runs around it
  local body, fkoff = {}, false
  for _, stmt in ipairs(statements) do
    local v = dialect == "sqlite" and pragmafk(stmt)
    if v then
      if v == "off" or v == "0" or v == "false" or v == "no" then
        fkoff = true
      end
    else
      body[#body + 1] = stmt
    end
  end
  local fkwas
  if fkoff then
    fkwas = exec(c, "pragma foreign_keys", {}, "all")[1]
    fkwas = fkwas and fkwas.foreign_keys == 1
    exec(c, "PRAGMA foreign_keys=OFF")
  end
  local function restore()
    if fkoff and fkwas then pcall(exec, c, "PRAGMA foreign_keys=ON") end
  end
  local ok, e = pcall(c.begin, c, dialect == "sqlite" and "IMMEDIATE" or nil)
  if not ok then
    restore()
    fail("BEGIN", e)
  end
  local function abort(stmt, err)
    pcall(c.rollback, c)
    restore()
    fail(stmt, err)
  end
  if unit.before then
    local ok2, skip = pcall(unit.before, c)
    if not ok2 then abort("(reading the tracking table)", skip) end
    if skip then
      pcall(c.rollback, c)
      restore()
      return false
    end
  end
  if unit.start then
    local ok2, err = pcall(unit.start)
    if not ok2 then
      pcall(c.rollback, c)
      restore()
      error(err, 0)
    end
  end
  -- what foreign_keys=OFF let through would be a broken database
  local function fkcheck(stmt)
    local ok2, bad = pcall(exec, c, "pragma foreign_key_check", {}, "all")
    if not ok2 then abort(stmt, bad) end
    if #bad > 0 then
      local r = bad[1]
      abort(stmt, ("%d row(s) violate foreign keys (first: table %s, " ..
        "rowid %s, references %s)"):format(#bad, tostring(r.table),
        tostring(r.rowid), tostring(r.parent)))
    end
  end
  local checked = false
  for _, stmt in ipairs(body) do
    if dialect == "sqlite" and isfkcheck(stmt) then
      fkcheck(stmt)
      checked = true
    else
      local ok2, err = pcall(exec, c, stmt)
      if not ok2 then abort(stmt, err) end
    end
  end
  if fkoff and fkwas and not checked then
    fkcheck("PRAGMA foreign_key_check")
  end
  if unit.after then
    local ok2, err = pcall(unit.after, c)
    if not ok2 then abort("(recording the migration)", err) end
  end
  local ok3, err = pcall(c.commit, c)
  if not ok3 then abort("COMMIT", err) end
  restore()
  return true
end

-- migrator.apply(db, statements, { label }) runs a list of statements as
-- one unit (see rununit): what push uses.
function M.apply(db, statements, opts)
  opts = opts or {}
  return M.rununit(db, statements, { label = opts.label or "push" })
end

-- }====================================================================

-- {====================================================================
-- migrate and rollback
-- =====================================================================

local function checkopts(opts, what)
  if type(opts) ~= "table" then
    util.usage(what .. ": expected an options table with migrationsFolder")
  end
  return opts
end

-- The statements of a folder entry (readFolder's), as migrate runs them.
function M.entryStatements(e)
  if e.breakpoints then return M.statements(e.sql) end
  return blank(e.sql) and {} or { e.sql }
end

-- migrator.migrate(db, { migrationsFolder, migrationsTable,
-- migrationsSchema, progress = function(i, n, entry), warn =
-- function(message), review = function(pending), lockTimeout }) → the list
-- of entries applied (in order). Entries already recorded are skipped; the
-- rest run in journal order, each in its own unit. warn is told of each
-- applied migration whose file was edited since (see migrator.edited),
-- before anything runs. review, when given, sees the pending entries
-- before anything runs and returns how many of them (the first ones) to
-- apply.
function M.migrate(db, opts)
  opts = checkopts(opts, "migrate")
  local c = conn(db)
  local dialect = c:dialect()
  local folder = M.readFolder(opts.migrationsFolder)
  if folder.dialect and folder.dialect ~= dialect and not
    (folder.dialect == "turso" and dialect == "sqlite") then
    migerror(("%s holds %s migrations; the database is %s"):format(
      opts.migrationsFolder, folder.dialect, dialect))
  end
  local tr = tracking(dialect, opts)
  local done = {}
  locked(c, dialect, tr, opts, function()
    ensuretable(c, dialect, tr)
    local rows = appliedrows(c, tr)
    if opts.warn then
      for _, msg in ipairs(M.edited(folder.entries, rows)) do
        opts.warn(msg)
      end
    end
    local pending = {}
    for _, e in ipairs(folder.entries) do
      if not isapplied(e, rows) then pending[#pending + 1] = e end
    end
    if opts.review and #pending > 0 then
      local keep = opts.review(pending)
      if type(keep) ~= "number" then
        util.usage("migrate: review must return how many migrations to apply")
      end
      for j = #pending, math.max(keep, 0) + 1, -1 do pending[j] = nil end
    end
    for i, e in ipairs(pending) do
      local stmts = M.entryStatements(e)
      local n = #pending
      local ran = M.rununit(db, stmts, {
        label = "migration " .. e.tag, file = e.file, tag = e.tag,
        -- SQLite has no session lock: what is pending is decided again
        -- under each migration's write lock (another migrator may have
        -- applied some while this one waited for it), and only then is a
        -- migration reported as being applied
        before = dialect == "sqlite" and function()
          local now = appliedrows(c, tr)
          if isapplied(e, now) then return true end
          n = #done
          for j = i, #pending do
            if not isapplied(pending[j], now) then n = n + 1 end
          end
          return false
        end or nil,
        start = opts.progress and function()
          opts.progress(#done + 1, n, e)
        end or nil,
        after = function(cc)
          exec(cc, "insert into " .. tr.qualified ..
            " (hash, created_at, name) values (?, ?, ?)",
            { e.hash, toint(e.when), e.tag })
        end,
      })
      if ran then done[#done + 1] = e end
    end
  end)
  return done
end

-- migrator.rollback(db, { migrationsFolder, steps = 1, migrationsTable,
-- migrationsSchema, progress }) → the entries reverted, newest first. Each
-- runs its NNNN_name.down.sql in its own unit and removes its tracking
-- row. Every down file is checked before anything runs.
function M.rollback(db, opts)
  opts = checkopts(opts, "rollback")
  local steps = opts.steps or 1
  if not util.isinteger(steps) or steps < 1 then
    util.usage("rollback: steps must be a positive integer")
  end
  local c = conn(db)
  local dialect = c:dialect()
  local folder = M.readFolder(opts.migrationsFolder)
  local tr = tracking(dialect, opts)
  local done = {}
  locked(c, dialect, tr, opts, function()
    ensuretable(c, dialect, tr)
    local rows = appliedrows(c, tr)
    -- newest applied first
    local targets = {}
    for i = #folder.entries, 1, -1 do
      local e = folder.entries[i]
      local r = isapplied(e, rows)
      if r and #targets < steps then
        targets[#targets + 1] = { entry = e, row = r }
      end
    end
    for _, t in ipairs(targets) do
      t.down = readfile(t.entry.downFile)
      if not t.down then
        migerror(("cannot roll back %s: %s is missing"):format(t.entry.tag,
          t.entry.downFile), { file = t.entry.downFile,
          migration = t.entry.tag })
      end
    end
    for i, t in ipairs(targets) do
      local n = #targets
      local ran = M.rununit(db, M.statements(t.down), {
        label = "rollback of " .. t.entry.tag, file = t.entry.downFile,
        tag = t.entry.tag,
        -- decided again under the write lock on SQLite, as in migrate
        before = dialect == "sqlite" and function()
          local now = appliedrows(c, tr)
          if isapplied(t.entry, now) == nil then return true end
          n = #done
          for j = i, #targets do
            if isapplied(targets[j].entry, now) then n = n + 1 end
          end
          return false
        end or nil,
        start = opts.progress and function()
          opts.progress(#done + 1, n, t.entry)
        end or nil,
        after = function(cc)
          exec(cc, "delete from " .. tr.qualified .. " where id = ?",
            { t.row.id })
        end,
      })
      if ran then done[#done + 1] = t.entry end
    end
  end)
  return done
end

-- migrator.applied(db, opts) → the tracking table's rows ({ id, hash,
-- created_at, name }) in order; {} when there is no table yet.
function M.applied(db, opts)
  opts = opts or {}
  local c = conn(db)
  local dialect = c:dialect()
  local tr = tracking(dialect, opts)
  local ok, rows = pcall(appliedrows, c, tr)
  if not ok then return {} end
  return rows
end

-- The tracking table's name and schema for a dialect and options.
function M.tracking(dialect, opts)
  return tracking(dialect, opts or {})
end

-- }====================================================================

return M
