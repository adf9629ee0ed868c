-- sleet-kit studio's server (lua/sleet/studio.lua) on every dialect: the
-- checks every request passes (token, Host, Origin, JSON body, read-only),
-- the schema the page gets, keyset pages with sorts and filters, how
-- cells travel (NULL apart from "", bytes, JSON), staged changes applied
-- in one transaction (a failure writes nothing and names the change),
-- the SQL console; and the real server (lua-http) answering over HTTP.
-- The page itself is driven in Chromium by studio_browser_spec.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"
local core = require "sleet.core"
local studio = require "sleet.studio"

local PORT = 4983
local HOST = "127.0.0.1:" .. PORT

local function build(m)
  local users = m.table("st_users", {
    id = m.integer():primaryKey(),
    name = m.text():notNull(),
    email = (m.varchar and m.varchar({ length = 100 }) or m.text()):notNull()
      :unique(),
    bio = m.text(),
    data = m.jsonb and m.jsonb() or m.json and m.json() or
      m.text({ mode = "json" }),
    score = m.integer(),
    avatar = m.bytea and m.bytea() or m.blob(),
  })
  local posts = m.table("st_posts", {
    id = m.integer():primaryKey(),
    authorId = m.integer("author_id"):notNull()
      :references(function() return users.id end),
    title = m.text(),
  })
  return { users = users, posts = posts }
end

local function fill(db, s)
  local rows = {}
  for i = 1, 120 do
    rows[i] = { id = i, name = ("user%03d"):format(i), email = "u" .. i .. "@x",
      bio = i % 3 == 1 and require("sleet").null or (i % 3 == 0 and "" or
        "hi"), data = { n = i }, score = i % 7,
      avatar = i == 1 and "\0\1\255" or nil }
  end
  db:insert(s.users):values(rows):run()
  for i = 1, 10 do
    db:insert(s.posts):values({ id = i, authorId = i, title = "p" .. i }):run()
  end
end

for _, d in ipairs(dialects.live()) do
  describe("studio's server on " .. d.name, function()
    local db, s, app, token

    local function req(r)
      r.method = r.method or "GET"
      r.host = r.host or HOST
      if r.cookie == nil then
        r.cookie = "sleet_studio_" .. PORT .. "=" .. token
      end
      if r.method == "POST" then
        r.origin = r.origin or ("http://" .. r.host)
        r.contentType = r.contentType or "application/json"
        if type(r.body) == "table" then r.body = core.json_encode(r.body) end
      end
      local status, headers, body = app:handle(r)
      local v
      if (headers["content-type"] or ""):find("json") then
        v = core.json_decode(body)
      end
      return status, v, headers, body
    end

    local function get(path) return req({ path = path }) end
    local function post(path, body, extra)
      local r = { method = "POST", path = path, body = body }
      for k, v in pairs(extra or {}) do r[k] = v end
      return req(r)
    end

    before_each(function()
      db, s = d.open(build)
      fill(db, s)
      token = studio.token()
      app = studio.app(db, s, { token = token, port = PORT })
    end)

    after_each(function()
      d.reset(db, s)
      db:close()
    end)

    it("asks every request for its token, Host and (for writes) Origin",
      function()
        assert.equal(32, #token)
        assert.is_truthy(token:match("^%x+$"))
        assert.not_equal(token, studio.token())
        local status, v = req({ path = "/api/schema", cookie = "" })
        assert.equal(401, status)
        assert.truthy(v.error:find("token", 1, true))
        status = req({ path = "/api/schema", cookie = "sleet_studio_" .. PORT
          .. "=" .. ("0"):rep(32) })
        assert.equal(401, status)
        -- the token in the address becomes a cookie
        local st, _, h = req({ path = "/?token=" .. token, cookie = "" })
        assert.equal(303, st)
        assert.equal("/", h.location)
        assert.truthy(h["set-cookie"]:find("HttpOnly; SameSite=Strict", 1,
          true))
        assert.equal(200, (get("/api/schema")))
        -- DNS rebinding: another name for this address
        assert.equal(403, (req({ path = "/api/schema",
          host = "evil.example:" .. PORT })))
        assert.equal(200, (req({ path = "/api/schema",
          host = "localhost:" .. PORT })))
        -- CSRF: a write from another origin, or no JSON
        local body = { sql = "select 1" }
        assert.equal(403, (post("/api/sql", body,
          { origin = "http://evil.example" })))
        assert.equal(403, (post("/api/sql", body, { origin = "" })))
        assert.equal(403, (post("/api/sql", body,
          { fetchSite = "cross-site" })))
        assert.equal(415, (post("/api/sql", body,
          { contentType = "text/plain" })))
        assert.equal(200, (post("/api/sql", body)))
        -- what every answer carries
        local _, _, hh = get("/")
        assert.truthy(hh["content-security-policy"]:find("default-src 'self'",
          1, true))
        assert.equal("nosniff", hh["x-content-type-options"])
        assert.equal("DENY", hh["x-frame-options"])
        assert.equal("no-referrer", hh["referrer-policy"])
        assert.equal(404, (get("/nowhere")))
      end)

    it("serves the page's files", function()
      for path, kind in pairs({ ["/"] = "text/html", ["/studio.js"] =
        "text/javascript", ["/studio.css"] = "text/css" }) do
        local status, _, h, text = get(path)
        assert.equal(200, status, path)
        assert.truthy(h["content-type"]:find(kind, 1, true), path)
        assert.truthy(#text > 500, path)
      end
    end)

    it("describes the schema", function()
      local _, v = get("/api/schema")
      assert.equal(d.name, v.dialect)
      assert.is_false(v.readOnly)
      local byKey = {}
      for _, t in ipairs(v.tables) do byKey[t.key] = t end
      local users, posts = byKey.users, byKey.posts
      assert.same({ "id" }, users.primaryKey)
      assert.equal("email", users.columns[3].key)
      assert.is_true(users.columns[3].notNull)
      assert.same({ table = "users", column = "id" }, posts.columns[2].ref)
      assert.equal("author_id", posts.columns[2].name)
      assert.same({ { table = "posts", column = "authorId", to = "id" } },
        users.children)
      local _, c = get("/api/count?table=users")
      assert.equal(120, c.count)
    end)

    local function ids(rows)
      local out = {}
      for i, r in ipairs(rows) do out[i] = tonumber(r[1]) end
      return out
    end

    -- every page of a listing, following the cursors
    local function pages(query)
      local all, after, n = {}, nil, 0
      repeat
        local q = query
        if after then
          q = q .. "&after=" .. shell.urlencode(core.json_encode(after))
        end
        local status, v = get("/api/rows?table=users" .. q)
        assert.equal(200, status, v and v.error)
        for _, r in ipairs(v.rows) do all[#all + 1] = r end
        after = v.next ~= core.null and v.next or nil
        n = n + 1
      until not after or n > 20
      return all, n
    end

    it("pages through rows with keyset cursors, sorted either way", function()
      local status, v = get("/api/rows?table=users")
      assert.equal(200, status)
      assert.equal(50, #v.rows)
      assert.equal(1, v.rows[1][1])
      local all, n = pages("")
      assert.equal(120, #all)
      assert.equal(3, n)
      for i, r in ipairs(all) do assert.equal(i, tonumber(r[1])) end
      all = pages("&dir=desc")
      assert.equal(120, all[1][1])
      assert.equal(1, all[120][1])
      -- a nullable column: NULLs last either way, every row once
      for _, dir in ipairs({ "asc", "desc" }) do
        all = pages("&sort=bio&dir=" .. dir .. "&limit=7")
        assert.equal(120, #all)
        local seen, nulls = {}, 0
        for i, r in ipairs(all) do
          assert.is_nil(seen[r[1]])
          seen[r[1]] = true
          if r[4] == core.null then
            nulls = nulls + 1
          else
            assert.equal(0, nulls, "a value after a NULL at " .. i)
            if i > 1 and all[i - 1][4] ~= r[4] then
              assert.is_true(dir == "asc" and all[i - 1][4] < r[4] or
                dir == "desc" and all[i - 1][4] > r[4])
            end
          end
        end
        assert.equal(40, nulls)
      end
      all = pages("&sort=score&dir=desc&limit=11")
      assert.equal(120, #all)
      for i = 2, #all do assert.is_true(all[i - 1][6] >= all[i][6]) end
      assert.equal(400, (get("/api/rows?table=users&sort=data")))
      assert.equal(400, (get("/api/rows?table=users&limit=100000")))
      assert.equal(400, (get("/api/rows?table=nope")))
    end)

    it("filters with the query builder's operators", function()
      local function filtered(list)
        local status, v = get("/api/rows?table=users&limit=500&filters=" ..
          shell.urlencode(core.json_encode(list)))
        assert.equal(200, status, v and v.error)
        return ids(v.rows)
      end
      assert.same({ 7 }, filtered({ { col = "name", op = "eq",
        value = "user007" } }))
      assert.same({ 3, 4 }, filtered({ { col = "id", op = "inArray",
        value = "3, 4, 999" } }))
      assert.equal(40, #filtered({ { col = "bio", op = "isNull" } }))
      assert.equal(40, #filtered({ { col = "bio", op = "eq", value = "" } }))
      assert.same({ 100, 101 }, filtered({ { col = "id", op = "gte",
        value = "100" }, { col = "id", op = "lt", value = "102" } }))
      assert.same({ 110, 111, 112, 113, 114, 115, 116, 117, 118, 119 },
        filtered({ { col = "name", op = "like", value = "user11%" },
          { col = "score", op = "isNotNull" } }))
      local status, v = get("/api/rows?table=users&filters=" ..
        shell.urlencode('[{"col":"nope","op":"eq","value":"1"}]'))
      assert.equal(400, status)
      assert.truthy(v.error:find("no column \"nope\"", 1, true), v.error)
      status, v = get("/api/rows?table=users&filters=" ..
        shell.urlencode('[{"col":"id","op":"eq","value":"x"}]'))
      assert.equal(400, status)
      assert.truthy(v.error:find("not an integer", 1, true), v.error)
      status = get("/api/rows?table=users&filters=" ..
        shell.urlencode('[{"col":"id","op":"drop"}]'))
      assert.equal(400, status)
    end)

    it("sends NULL apart from the empty string, bytes and JSON", function()
      local _, v = get("/api/rows?table=users&limit=3")
      local r1, r3 = v.rows[1], v.rows[3]
      assert.equal(core.null, r1[4])
      assert.equal("", r3[4])
      assert.same({ n = 1 }, r1[5])
      assert.same({ ["$bytes"] = 3, hex = "0001ff" }, r1[7])
      assert.equal(core.null, r3[7])
    end)

    it("applies staged changes in one transaction, or none of them",
      function()
        local changes = {
          { op = "update", table = "users", key = { id = 2 },
            set = { name = "Renamed", bio = core.null, score = "42",
              data = '{"x": [1, 2]}' } },
          { op = "insert", table = "users", values = { id = "500",
            name = "new", email = "new@x" } },
          { op = "delete", table = "users", key = { id = 50 } },
        }
        local status, v = post("/api/apply", { changes = changes,
          dryRun = true })
        assert.equal(200, status, v and v.error)
        assert.equal(3, #v.statements)
        assert.truthy(v.statements[1].sql:lower():find("^update"))
        assert.equal("Renamed", v.statements[1].params[1])
        assert.equal(120, db:count(s.users)) -- the dry run wrote nothing
        assert.equal("user002", db:select():from(s.users)
          :where(require("sleet").eq(s.users.id, 2)):get().name)
        status, v = post("/api/apply", { changes = changes })
        assert.equal(200, status, v and v.error)
        assert.equal(3, v.applied)
        local u2 = db:select():from(s.users):where(require("sleet").eq(
          s.users.id, 2)):get()
        assert.equal("Renamed", u2.name)
        assert.is_nil(u2.bio)
        assert.equal(42, u2.score)
        assert.same({ x = { 1, 2 } }, u2.data)
        assert.equal(120, db:count(s.users))
        -- the second change breaks a unique constraint: the first is undone
        status, v = post("/api/apply", { changes = {
          { op = "update", table = "users", key = { id = 3 },
            set = { name = "kept?" } },
          { op = "insert", table = "users", values = { id = 600,
            name = "twin", email = "u4@x" } },
        } })
        assert.equal(409, status)
        assert.equal(2, v.index)
        assert.truthy(v.error:lower():find("unique") or
          v.error:lower():find("duplicate"), v.error)
        if d.name ~= "sqlite" then
          assert.truthy(tostring(v.detail.constraint):find("email"),
            tostring(v.detail.constraint))
        end
        local u3 = db:select():from(s.users):where(require("sleet").eq(
          s.users.id, 3)):get()
        assert.equal("user003", u3.name)
        -- bad changes are refused before anything runs
        status, v = post("/api/apply", { changes = { { op = "update",
          table = "users", key = { id = 1 }, set = { nope = 1 } } } })
        assert.equal(400, status)
        assert.truthy(v.error:find("no column \"nope\"", 1, true), v.error)
        status = post("/api/apply", { changes = { { op = "update",
          table = "users", key = {}, set = { name = "x" } } } })
        assert.equal(400, status)
        status = post("/api/apply", { changes = { { op = "update",
          table = "users", key = { id = 1 }, set = { avatar = "x" } } } })
        assert.equal(400, status)
        status = post("/api/apply", { changes = {} })
        assert.equal(400, status)
      end)

    it("runs console SQL, with its columns in order", function()
      local status, v = post("/api/sql", { sql = "select count(*) as n, " ..
        "max(id) as top from st_users" })
      assert.equal(200, status, v and v.error)
      assert.same({ "n", "top" }, v.columns)
      assert.equal(120, tonumber(v.rows[1][1]))
      assert.equal(120, tonumber(v.rows[1][2]))
      status, v = post("/api/sql", { sql = "select nope from nowhere" })
      assert.equal(400, status)
      assert.truthy(#v.error > 0)
    end)

    it("refuses every write when read-only", function()
      local ro = studio.app(db, s, { token = token, port = PORT,
        readOnly = true })
      app = ro
      local _, v = get("/api/schema")
      assert.is_true(v.readOnly)
      assert.is_false(v.console)
      local change = { { op = "delete", table = "users", key = { id = 1 } } }
      local status
      status, v = post("/api/apply", { changes = change })
      assert.equal(403, status)
      assert.truthy(v.error:find("read-only", 1, true))
      assert.equal(403, (post("/api/sql", { sql = "delete from st_users" })))
      -- a dry run writes nothing and stays allowed
      assert.equal(200, (post("/api/apply", { changes = change,
        dryRun = true })))
      assert.equal(120, db:count(s.users))
    end)
  end)
end

describe("sleet-kit studio over HTTP", function()
  local ok = pcall(function()
    package.path = package.path ..
      ";/usr/share/lua/5.3/?.lua;/usr/share/lua/5.3/?/init.lua" ..
      ";/usr/share/lua/5.2/?.lua;/usr/share/lua/5.2/?/init.lua"
    require "http.server"
  end)
  if not ok then
    pending("lua-http is not installed (make test installs it)")
    return
  end

  it("prints its URL, sets the cookie and answers the API", function()
    local dir = shell.tmpdir()
    shell.writefile(dir .. "/schema.lua", [[
local s = require "sleet.sqlite"
return { items = s.table("items", { id = s.integer():primaryKey(),
  name = s.text() }) }
]])
    shell.writefile(dir .. "/sleet.config.lua", ([[
return { dialect = "sqlite", schema = "schema.lua",
  dbCredentials = { url = %q } }
]]):format(dir .. "/app.db"))
    local kit = ("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 %s %s"):format(
      shell.shq(dir), shell.env, check.lua(), shell.shq(shell.bin))
    local p = io.popen(kit .. " push --force 2>&1; echo \"EXIT:$?\"")
    local pushed = p:read("a")
    p:close()
    assert.truthy(pushed:find("EXIT:0", 1, true), pushed)
    local out = dir .. "/out.txt"
    local pidfile = dir .. "/pid"
    os.execute(("(%s studio --port 0 > %s 2>&1 & echo $! > %s)")
      :format(kit, shell.shq(out), shell.shq(pidfile)))
    local url
    for _ = 1, 100 do
      url = (shell.readfile(out) or ""):match("(http://%S+)")
      if url then break end
      os.execute("sleep 0.05")
    end
    local pid = shell.readfile(pidfile):match("%d+")
    local okk, err = pcall(function()
      assert.truthy(url, shell.readfile(out))
      local base, tok = url:match("^(http://[^/]+)/%?token=(%x+)$")
      assert.truthy(tok, url)
      local function curl(args)
        local c = io.popen("env -u LD_PRELOAD curl -s -o /dev/null " ..
          "-w '%{http_code}' " .. args)
        local code = c:read("a")
        c:close()
        return tonumber(code)
      end
      assert.equal(401, curl(shell.shq(base .. "/api/schema")))
      assert.equal(303, curl(shell.shq(url)))
      local port = base:match(":(%d+)$")
      local cookie = "-H " .. shell.shq("Cookie: sleet_studio_" .. port ..
        "=" .. tok)
      assert.equal(200, curl(cookie .. " " .. shell.shq(base .. "/api/schema")))
      assert.equal(200, curl(cookie .. " " .. shell.shq(base ..
        "/api/rows?table=items")))
      assert.equal(403, curl(cookie .. " -H 'Host: evil.example' " ..
        shell.shq(base .. "/api/schema")))
      assert.equal(403, curl(cookie .. " -H 'Content-Type: application/json'"
        .. " -d '{\"sql\":\"select 1\"}' " .. shell.shq(base .. "/api/sql")))
      assert.equal(200, curl(cookie .. " -H 'Content-Type: application/json'"
        .. " -H " .. shell.shq("Origin: " .. base) ..
        " -d '{\"sql\":\"select 1\"}' " .. shell.shq(base .. "/api/sql")))
    end)
    os.execute("kill " .. pid)
    if not okk then error(err, 0) end
  end)
end)

