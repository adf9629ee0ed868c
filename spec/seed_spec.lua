-- sleet.seed on every live dialect: foreign key order (self references, a
-- cycle through a nullable key, a junction table with a composite key),
-- `with` counts, unique columns and groups, enums, varchar lengths,
-- numeric precision, every generator, determinism (a checksum of the rows
-- fixed here: the same on every dialect, Lua 5.4 and LuaJIT), reset, and
-- bad input raising validation errors before anything is written.
local sleet = require "sleet"
local core = require "sleet.core"
local seed = require "sleet.seed"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- The checksum of every row of the main schema, seed 7 (below). A change
-- of a generator, a word list or the planner changes it: then the seeded
-- data of every user changes too, which needs a note in the changelog.
local CHECKSUM = "ea3e27cae94c553d"

local function build(name)
  return function(m)
    local int = m.integer or m.int
    local function varchar(n, col)
      local f = name == "sqlite" and m.text or m.varchar
      if col then return f(col, { length = n }) end
      return f({ length = n })
    end
    local function bool()
      if name == "sqlite" then return m.integer({ mode = "boolean" }) end
      return m.boolean()
    end
    local function stamp(col)
      if name == "sqlite" then return m.integer(col, { mode = "timestamp" }) end
      if name == "mysql" then return m.datetime(col) end
      return m.timestamp(col)
    end
    local role
    if name == "postgresql" then
      role = m.enum("seed_role", { "admin", "member", "guest" })()
    elseif name == "mysql" then
      role = m.enum({ "admin", "member", "guest" })
    else
      role = m.text({ enum = { "admin", "member", "guest" } })
    end
    local users = m.table("seed_users", {
      id = int():primaryKey(),
      name = m.text():notNull(),
      email = varchar(255):notNull():unique(),
      age = int(),
      city = m.text(),
      role = role:notNull(),
      active = bool(),
      createdAt = stamp("created_at"),
    })
    local posts = m.table("seed_posts", {
      id = int():primaryKey(),
      authorId = int("author_id"):notNull()
        :references(function() return users.id end),
      title = varchar(24, "title"):notNull(),
      body = m.text(),
      score = int(),
    })
    local groups = m.table("seed_groups", {
      id = int():primaryKey(),
      name = varchar(64):notNull():unique(),
    })
    local members = m.table("seed_members", {
      userId = int("user_id"):notNull():references(function() return users.id end),
      groupId = int("group_id"):notNull()
        :references(function() return groups.id end),
    }, function(t) return { m.primaryKey({ columns = { t.userId, t.groupId } }) } end)
    local staff
    staff = m.table("seed_staff", {
      id = int():primaryKey(),
      managerId = int("manager_id"):references(function() return staff.id end),
      name = m.text():notNull(),
    })
    -- a cycle: teams.captain_id (nullable) → players, players.team_id → teams
    local players
    local teams = m.table("seed_teams", {
      id = int():primaryKey(),
      captainId = int("captain_id"):references(function() return players.id end),
    })
    players = m.table("seed_players", {
      id = int():primaryKey(),
      teamId = int("team_id"):notNull():references(function() return teams.id end),
    })
    return { users = users, posts = posts, groups = groups, members = members,
      staff = staff, teams = teams, players = players }
  end
end

-- Rows of a table ordered by its first column(s), as text.
local function dump(db, t, cols)
  local q = db:select():from(t)
  local order = {}
  for _, c in ipairs(cols) do order[#order + 1] = t[c] end
  local out = {}
  local unpack = table.unpack or unpack -- luacheck: ignore 113
  for _, row in ipairs(q:orderBy(unpack(order)):all()) do
    local parts = {}
    for _, k in ipairs(cols) do
      local v = row[k]
      if v == nil then
        parts[#parts + 1] = "~"
      elseif type(v) == "boolean" then
        parts[#parts + 1] = v and "t" or "f"
      elseif type(v) == "number" then
        parts[#parts + 1] = v == math.floor(v) and ("%d"):format(v) or
          ("%.6f"):format(v)
      else
        parts[#parts + 1] = tostring(v)
      end
    end
    out[#out + 1] = table.concat(parts, "|")
  end
  return out
end

local COLUMNS = {
  users = { "id", "name", "email", "age", "city", "role", "active",
    "createdAt" },
  posts = { "id", "authorId", "title", "body", "score" },
  groups = { "id", "name" },
  members = { "userId", "groupId" },
  staff = { "id", "managerId", "name" },
  teams = { "id", "captainId" },
  players = { "id", "teamId" },
}
local ORDER = { "users", "posts", "groups", "members", "staff", "teams",
  "players" }

local function checksum(db, s)
  local h
  for _, k in ipairs(ORDER) do
    for _, line in ipairs(dump(db, s[k], COLUMNS[k])) do
      h = core.seed_checksum(k .. ":" .. line .. "\n", h)
    end
  end
  return h
end

local function count(db, t)
  return check.tointeger(tonumber(db:select({ n = sleet.count() }):from(t)
    :get().n))
end

local function counts(db, s)
  local out = {}
  for _, k in ipairs(ORDER) do out[k] = count(db, s[k]) end
  return out
end

local MAIN = function(f)
  return {
    users = { count = 20, with = { posts = 3 } },
    groups = { count = 5 },
    members = { count = 30 },
    staff = { count = 12 },
    teams = { count = 4 },
    players = { count = 9 },
    posts = { columns = { score = f.int({ minValue = 0, maxValue = 10 }) } },
  }
end

for _, d in ipairs(dialects.live()) do
  describe("sleet.seed on " .. d.name, function()
    local db, s
    before_each(function() db, s = d.open(build(d.name)) end)
    after_each(function()
      if db then
        d.reset(db, s)
        db:close()
      end
    end)

    it("fills every table in foreign key order", function()
      local r = seed.seed(db, s, { seed = 7, refine = MAIN })
      local n = counts(db, s)
      assert.same({ users = 20, posts = 60, groups = 5, members = 30,
        staff = 12, teams = 4, players = 9 }, n)
      assert.equal(140, r.rows)
      -- every reference holds
      local ids = {}
      for _, u in ipairs(db:select():from(s.users):all()) do ids[u.id] = 0 end
      for _, p in ipairs(db:select():from(s.posts):all()) do
        assert.truthy(ids[p.authorId])
        ids[p.authorId] = ids[p.authorId] + 1
      end
      -- with = { posts = 3 }: three posts per user
      for _, c in pairs(ids) do assert.equal(3, c) end
      -- the junction table: distinct pairs of existing rows
      local pairs_ = {}
      for _, m in ipairs(db:select():from(s.members):all()) do
        local key = m.userId .. "/" .. m.groupId
        assert.is_nil(pairs_[key])
        pairs_[key] = true
        assert.truthy(m.groupId >= 1 and m.groupId <= 5)
      end
      -- self reference: an earlier row or NULL for the first
      for _, e in ipairs(db:select():from(s.staff):all()) do
        if e.id == 1 then
          assert.is_nil(e.managerId)
        else
          assert.truthy(e.managerId < e.id)
        end
      end
      -- the cycle: captains filled once the players exist
      for _, t in ipairs(db:select():from(s.teams):all()) do
        assert.truthy(t.captainId >= 1 and t.captainId <= 9)
      end
    end)

    it("respects unique columns, enums, lengths and types", function()
      seed.seed(db, s, { seed = 3, count = 50 })
      local emails, names = {}, {}
      for _, u in ipairs(db:select():from(s.users):all()) do
        assert.is_nil(emails[u.email])
        emails[u.email] = true
        assert.truthy(u.email:match("^[%w%.%-]+@[%w%.%-]+$"))
        assert.truthy(({ admin = true, member = true, guest = true })[u.role])
        check.is_integer(u.age)
        assert.is_boolean(u.active)
        assert.is_string(u.createdAt)
        assert.truthy(u.createdAt:match("^20%d%d%-%d%d%-%d%d"))
      end
      for _, g in ipairs(db:select():from(s.groups):all()) do
        assert.is_nil(names[g.name])
        names[g.name] = true
      end
      for _, p in ipairs(db:select():from(s.posts):all()) do
        assert.truthy(#p.title <= 24)
      end
    end)

    it("gives the same rows for the same seed, on every dialect", function()
      seed.seed(db, s, { seed = 7, refine = MAIN })
      local h = checksum(db, s)
      assert.equal(CHECKSUM, h)
      seed.reset(db, s)
      seed.seed(db, s, { seed = 7, refine = MAIN })
      assert.equal(h, checksum(db, s))
      -- another seed, other rows
      seed.reset(db, s)
      seed.seed(db, s, { seed = 8, refine = MAIN })
      assert.not_equal(h, checksum(db, s))
    end)

    it("keeps the other columns when one column is refined", function()
      seed.seed(db, s, { seed = 7, count = 5 })
      local before = db:select():from(s.users):orderBy(s.users.id):all()
      seed.reset(db, s)
      seed.seed(db, s, { seed = 7, count = 5, refine = function(f) return {
        users = { columns = { city = f.valuesFromArray({ values = { "Oslo" } }) } },
      } end })
      local after = db:select():from(s.users):orderBy(s.users.id):all()
      for i, u in ipairs(after) do
        assert.equal("Oslo", u.city)
        assert.equal(before[i].email, u.email)
        assert.equal(before[i].name, u.name)
        assert.equal(before[i].age, u.age)
      end
    end)

    it("spreads weighted `with` counts", function()
      seed.seed(db, s, { seed = 1, refine = function() return {
        users = { count = 40, with = { posts = {
          { weight = 0.5, count = { 1, 2 } }, { weight = 0.5, count = 5 } } } },
      } end })
      local per = {}
      for _, p in ipairs(db:select():from(s.posts):all()) do
        per[p.authorId] = (per[p.authorId] or 0) + 1
      end
      local seen = {}
      for _, n in pairs(per) do
        assert.truthy(n == 1 or n == 2 or n == 5)
        seen[n] = true
      end
      assert.truthy(seen[5] and (seen[1] or seen[2]))
    end)

    it("reset empties every table in one transaction", function()
      seed.seed(db, s, { seed = 2, count = 6 })
      seed.reset(db, s)
      for k, n in pairs(counts(db, s)) do assert.equal(0, n, k) end
      seed.seed(db, s, { seed = 2, count = 6 })
      assert.equal(6, count(db, s.users))
    end)

    describe("bad input", function()
      local function nothing_written()
        for k, n in pairs(counts(db, s)) do assert.equal(0, n, k) end
      end

      it("names an unknown table", function()
        local e = check.raises_kind("validation", seed.seed, db, s, {
          refine = function() return { nope = { count = 1 } } end })
        assert.matches("nope", e.message)
        nothing_written()
      end)

      it("names an unknown column", function()
        local e = check.raises_kind("validation", seed.seed, db, s, {
          refine = function(f) return { users = { columns = {
            nickname = f.firstName() } } } end })
        assert.matches("nickname", e.message)
        nothing_written()
      end)

      it("refuses a unique generator that cannot cover the rows", function()
        local e = check.raises_kind("validation", seed.seed, db, s, {
          refine = function(f) return { groups = { count = 10, columns = {
            name = f.valuesFromArray({ values = { "a", "b", "c" },
              isUnique = true }) } } } end })
        assert.matches("seed_groups.name", e.message)
        assert.matches("3 unique values for 10 rows", e.message)
        nothing_written()
      end)

      it("refuses a generator of the wrong type for the column", function()
        local e = check.raises_kind("validation", seed.seed, db, s, {
          refine = function(f) return { users = { columns = {
            age = f.email() } } } end })
        assert.matches("seed_users.age", e.message)
        assert.matches("email cannot fill", e.message)
        e = check.raises_kind("validation", seed.seed, db, s, {
          refine = function(f) return { users = { columns = {
            age = f.valuesFromArray({ values = { "x" } }) } } } end })
        assert.matches("does not fit", e.message)
        nothing_written()
      end)

      it("refuses bad counts, options and generators", function()
        check.raises_kind("validation", seed.seed, db, s, { count = -1 })
        check.raises_kind("validation", seed.seed, db, s, { colour = 1 })
        check.raises_kind("validation", seed.seed, db, s, {
          refine = function(f) return { users = { columns = {
            age = f.int({ minValue = 5, maxValue = 1 }) } } } end })
        check.raises_kind("validation", seed.seed, db, s, {
          refine = function(f) return { users = { columns = {
            age = f.int({ colour = 1 }) } } } end })
        check.raises_kind("validation", seed.seed, db, s, {
          refine = function() return { users = { columns = { age = 3 } } } end })
        nothing_written()
      end)

      it("leaves nothing written when an insert fails mid-way", function()
        -- a row already there: the seeded groups collide with it, after
        -- the users and posts were inserted
        db:insert(s.groups):values({ id = 1, name = "taken" }):run()
        local e = check.raises(seed.seed, db, s, { seed = 1, count = 5 })
        check.sleet_error(e, "database")
        assert.equal(0, count(db, s.users))
        assert.equal(0, count(db, s.posts))
        assert.equal(1, count(db, s.groups))
      end)
    end)
  end)
end

-- Every generator, each in a column of a type it fits.
local function gentable(name)
  return function(m)
    local int = m.integer or m.int
    local num
    if name == "postgresql" then
      num = m.numeric({ precision = 8, scale = 2 })
    elseif name == "mysql" then
      num = m.decimal({ precision = 8, scale = 2 })
    else
      num = m.real()
    end
    local jsoncol = name == "sqlite" and m.text({ mode = "json" }) or m.json()
    local bool = name == "sqlite" and m.integer({ mode = "boolean" })
      or m.boolean()
    local date = name == "sqlite" and m.text() or m.date()
    local time = name == "sqlite" and m.text() or m.time()
    local stamp = name == "sqlite" and m.integer({ mode = "timestamp" })
      or name == "mysql" and m.datetime() or m.timestamp()
    local uuid = name == "postgresql" and m.uuid() or m.text()
    local t = m.table("seed_gens", {
      id = int():primaryKey(),
      fixed = m.text(), picked = m.text(), pk2 = int(), number = num,
      int = int(), bool = bool, date = date, time = time, stamp = stamp,
      datetime = m.text(), year = int(), json = jsoncol, interval = m.text(),
      string = m.text(), uuid = uuid, first = m.text(), last = m.text(),
      full = m.text(), email = m.text(), phone = m.text(),
      phone2 = m.text(), country = m.text(), city = m.text(),
      street = m.text(), job = m.text(), postcode = m.text(),
      state = m.text(), company = m.text(), lorem = m.text(),
      point = m.text(), line = m.text(), weighted = int(),
    })
    return { gens = t }
  end
end

local GENS = function(f)
  return { gens = { count = 40, columns = {
    fixed = f.default({ defaultValue = "same" }),
    picked = f.valuesFromArray({ values = { "a", "b", "c" } }),
    pk2 = f.intPrimaryKey(),
    number = f.number({ minValue = 1, maxValue = 2, precision = 100 }),
    int = f.int({ minValue = -5, maxValue = 5 }),
    bool = f.boolean(),
    date = f.date({ minDate = "2024-01-01", maxDate = "2024-01-31" }),
    time = f.time(),
    stamp = f.timestamp(),
    datetime = f.datetime(),
    year = f.year(),
    json = f.json(),
    interval = f.interval(),
    string = f.string({ isUnique = true }),
    uuid = f.uuid(),
    first = f.firstName(), last = f.lastName(), full = f.fullName(),
    email = f.email(), phone = f.phoneNumber(),
    phone2 = f.phoneNumber({ template = "+44 #### ######" }),
    country = f.country(), city = f.city(), street = f.streetAddress(),
    job = f.jobTitle(), postcode = f.postcode(), state = f.state(),
    company = f.companyName({ isUnique = true }),
    lorem = f.loremIpsum({ sentencesCount = 2 }),
    point = f.point(), line = f.line(),
    weighted = f.weightedRandom({
      { weight = 0.9, value = f.int({ minValue = 100, maxValue = 199 }) },
      { weight = 0.1, value = f.default({ defaultValue = 7 }) },
    }),
  } } }
end

local SHAPES = {
  fixed = "^same$", picked = "^[abc]$", date = "^2024%-01%-%d%d$",
  time = "^%d%d:%d%d:%d%d", stamp = "^20%d%d%-%d%d%-%d%d",
  datetime = "^20%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.000Z$",
  interval = "^%d+ years %d+ months %d+ days %d+ hours %d+ minutes %d+ " ..
    "seconds$",
  string = "^%w+$",
  uuid = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x+$",
  first = "^%a+$", last = "^%a+$", full = "^%a+ %a+$",
  email = "^[%a%-]+%.[%a%-]+%d*@[%w%.]+$", phone = "^%(%d%d%d%) %d%d%d%-%d%d%d%d$",
  phone2 = "^%+44 %d%d%d%d %d%d%d%d%d%d$", country = "^[%a ]+$",
  city = "^[%a ]+$", street = "^%d+ %a+ %a+$", job = "^%a+ %a+ %a+$",
  postcode = "^%d%d%d%d%d$", state = "^[%a ]+$", company = "^%a+ %a+ %a+$",
  lorem = "^%u[%a ]+%. %u[%a ]+%.$", point = "^%(%-?%d+%.%d%d,%-?%d+%.%d%d%)$",
  line = "^{%-?%d+%.%d%d,%-?%d+%.%d%d,%-?%d+%.%d%d}$",
}

for _, d in ipairs(dialects.live()) do
  describe("seed generators on " .. d.name, function()
    local db, s
    before_each(function() db, s = d.open(gentable(d.name)) end)
    after_each(function()
      if db then
        d.reset(db, s)
        db:close()
      end
    end)

    it("fill columns with values of their kind", function()
      seed.seed(db, s, { seed = 11, refine = GENS })
      local rows = db:select():from(s.gens):orderBy(s.gens.id):all()
      assert.equal(40, #rows)
      local strings, companies, weighted7 = {}, {}, 0
      for i, r in ipairs(rows) do
        for k, pat in pairs(SHAPES) do
          assert.is_string(r[k], k)
          assert.truthy(r[k]:match(pat), ("%s = %q"):format(k, r[k]))
        end
        assert.equal(i, r.pk2)
        local n = tonumber(r.number)
        assert.truthy(n >= 1 and n <= 2, tostring(r.number))
        assert.truthy(r.int >= -5 and r.int <= 5)
        assert.is_boolean(r.bool)
        assert.truthy(r.year >= 1970 and r.year <= 2030)
        assert.is_table(r.json)
        assert.is_string(r.json.name)
        check.is_integer(r.json.age)
        assert.is_nil(strings[r.string])
        strings[r.string] = true
        assert.is_nil(companies[r.company])
        companies[r.company] = true
        if r.weighted == 7 then
          weighted7 = weighted7 + 1
        else
          assert.truthy(r.weighted >= 100 and r.weighted <= 199)
        end
      end
      assert.truthy(weighted7 < 20)
    end)

    it("previews the same rows without a database", function()
      seed.seed(db, s, { seed = 11, refine = GENS })
      local rows = db:select():from(s.gens):orderBy(s.gens.id):all()
      local preview = seed.generate(s, { seed = 11, refine = GENS }).gens
      for i, r in ipairs(rows) do
        for _, k in ipairs({ "email", "full", "uuid", "lorem", "phone2",
          "interval", "company", "picked" }) do
          assert.equal(preview[i][k], r[k])
        end
      end
    end)
  end)
end
