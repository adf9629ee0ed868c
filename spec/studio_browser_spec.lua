-- The studio page in a real browser: Debian's headless Chromium, driven by
-- playwright-core (spec/studio/drive.mjs), against `sleet-kit studio` on
-- each dialect. The tour lists the tables, sorts, filters, pages, edits a
-- cell, inserts and deletes rows, shows a constraint error next to its
-- row, follows foreign keys both ways, runs a console query, moves with
-- the keyboard, fits a narrow window and draws the diagram; then the
-- database holds exactly what the page applied. A --read-only server
-- refuses every write, and a request without the token gets 401.
--
-- playwright-core comes from npm (scripts/studio-browser.sh, run by make
-- test into build/node-studio); SLEET_TEST_STUDIO_BROWSER names that
-- folder. Without it the spec is pending, saying why. Screenshots go to
-- SLEET_TEST_STUDIO_SHOTS/<dialect> when it is set.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"
local core = require "sleet.core"
local kit = require "sleet.kit"
local sleet = require "sleet"

local NODE = os.getenv("SLEET_TEST_STUDIO_BROWSER")
if NODE == "" then NODE = nil end
if NODE and NODE:sub(1, 1) ~= "/" then NODE = shell.root .. "/" .. NODE end
local SHOTS = os.getenv("SLEET_TEST_STUDIO_SHOTS")

local SCHEMA = [[
local m = require(%q)
local users = m.table("sb_users", {
  id = m.integer():primaryKey(),
  name = m.text():notNull(),
  email = (m.varchar and m.varchar({ length = 100 }) or m.text()):notNull()
    :unique(),
  bio = m.text(),
  data = m.jsonb and m.jsonb() or m.json and m.json() or
    m.text({ mode = "json" }),
  score = m.integer(),
})
local posts = m.table("sb_posts", {
  id = m.integer():primaryKey(),
  authorId = m.integer("author_id"):notNull()
    :references(function() return users.id end),
  title = m.text(),
})
return { users = users, posts = posts }
]]

local MODULES = { sqlite = "sleet.sqlite", postgresql = "sleet.pg",
  mysql = "sleet.mysql" }

-- Starts sleet-kit studio in dir; returns its URL and pid.
local function start(dir, flags)
  local out, pidfile = dir .. "/studio.out", dir .. "/studio.pid"
  os.execute(("cd %s && (%s SLEET_KIT_NONINTERACTIVE=1 %s %s studio --port 0"
    .. " %s > %s 2>&1 & echo $! > %s)"):format(shell.shq(dir), shell.env,
    check.lua(), shell.shq(shell.bin), flags or "", shell.shq(out),
    shell.shq(pidfile)))
  local url
  for _ = 1, 200 do
    url = (shell.readfile(out) or ""):match("(http://%S+)")
    if url then break end
    os.execute("sleep 0.05")
  end
  local pid = (shell.readfile(pidfile) or ""):match("%d+")
  assert(url, "studio did not start: " .. tostring(shell.readfile(out)))
  return url, pid
end

-- Runs the browser tour; returns its checks.
local function drive(url, mode, shots)
  local cmd = ("env -u LD_PRELOAD STUDIO_NODE=%s STUDIO_USERS_SQL=sb_users " ..
    "node %s %s %s %s 2>&1"):format(shell.shq(NODE),
    shell.shq(shell.root .. "/spec/studio/drive.mjs"), shell.shq(url), mode,
    shell.shq(shots or "-"))
  local p = io.popen(cmd)
  local out = p:read("a")
  p:close()
  local ok, checks = pcall(core.json_decode, out)
  assert(ok and type(checks) == "table", "the browser tour failed: " .. out)
  return checks
end

local function assertchecks(checks, want)
  local seen = {}
  for _, c in ipairs(checks) do
    seen[c.name] = true
    assert.is_true(c.ok, c.name .. ": " .. c.detail)
  end
  for _, name in ipairs(want) do
    assert.is_true(seen[name] == true, "the tour did not check " .. name)
  end
end

local EDIT = { "tables-listed", "grid-first-page", "grid-types-shown",
  "null-distinct", "empty-distinct", "json-pretty", "sort-desc", "page-2",
  "page-3", "page-back", "filter-eq", "filter-isnull", "filter-in",
  "edit-staged", "edit-review-sql", "edit-applied", "edit-shown",
  "edit-null", "insert-applied", "delete-staged", "delete-applied",
  "constraint-error-shown", "constraint-error-by-row", "fk-follow",
  "fk-children", "keyboard-move", "keyboard-edit", "keyboard-escape",
  "console-query", "console-error", "diagram-shown", "narrow-layout",
  "no-page-errors", "no-token-401", "wrong-token-401" }
local READONLY = { "readonly-badge", "readonly-no-add",
  "readonly-no-console", "readonly-no-delete", "readonly-refuses-writes",
  "no-token-401", "wrong-token-401" }

for _, d in ipairs(dialects.live()) do
  describe("the studio page in Chromium on " .. d.name, function()
    if not NODE then
      pending("SLEET_TEST_STUDIO_BROWSER is unset: make test installs " ..
        "playwright-core (scripts/studio-browser.sh) and Chromium")
      return
    end

    it("edits the database the way the page shows, and a read-only " ..
      "server refuses", function()
        local dir = shell.tmpdir()
        local url = d.name == "sqlite" and ("sqlite:" .. dir .. "/app.db") or
          d.url()
        shell.writefile(dir .. "/schema.lua", SCHEMA:format(MODULES[d.name]))
        shell.writefile(dir .. "/sleet.config.lua", ([[
return { dialect = %q, schema = "schema.lua", dbCredentials = { url = %q } }
]]):format(d.name, url))
        local s = dofile(dir .. "/schema.lua")
        local db = sleet.connect(url)
        d.reset(db, s)
        kit.push(db, s, { force = true })
        local rows = {}
        for i = 1, 120 do
          rows[i] = { id = i, name = ("user%03d"):format(i),
            email = "u" .. i .. "@x", bio = i % 3 == 1 and sleet.null or
              (i % 3 == 0 and "" or "hi"), data = { n = i }, score = i % 7 }
        end
        db:insert(s.users):values(rows):run()
        for i = 1, 10 do
          db:insert(s.posts):values({ id = i, authorId = i,
            title = "post " .. i }):run()
        end
        local shots
        if SHOTS and SHOTS ~= "" then
          shots = SHOTS .. "/" .. d.name
          os.execute("mkdir -p " .. shell.shq(shots))
        end
        local pid
        local ok, err = pcall(function()
          local u
          u, pid = start(dir)
          assertchecks(drive(u, "edit", shots), EDIT)
          os.execute("kill " .. pid)
          pid = nil
          -- what the page applied, and nothing else
          local eq = sleet.eq
          local u2 = db:select():from(s.users):where(eq(s.users.id, 2)):get()
          assert.equal("Renamed", u2.name)
          assert.is_nil(u2.bio)
          local u500 = db:select():from(s.users):where(eq(s.users.id, 500))
            :get()
          assert.equal("newcomer", u500.name)
          assert.equal(3, u500.score)
          assert.is_nil(db:select():from(s.users):where(eq(s.users.id, 50))
            :get())
          assert.is_nil(db:select():from(s.users):where(eq(s.users.id, 501))
            :get())
          assert.equal(120, db:count(s.users))
          u, pid = start(dir, "--read-only")
          assertchecks(drive(u, "readonly"), READONLY)
          assert.equal(120, db:count(s.users))
          assert.equal("Renamed", db:select():from(s.users)
            :where(eq(s.users.id, 2)):get().name)
        end)
        if pid then os.execute("kill " .. pid) end
        d.reset(db, s)
        db:close()
        os.execute("rm -rf " .. shell.shq(dir))
        if not ok then error(err, 0) end
      end)
  end)
end
