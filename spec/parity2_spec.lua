-- Drizzle parity, second round (API.md, "Names of the second round"): row
-- locks (for_), lateral joins, intersectAll / exceptAll, db:count,
-- selectDistinctOn, update ... from, orderBy and limit on update and delete,
-- on every live dialect: the same body runs everywhere, and where a
-- dialect has no such thing the builder says so with a usage error before
-- anything runs.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local sleet = require "sleet"

local eq, lte, asc = sleet.eq, sleet.lte, sleet.asc

local function build(m)
  local jobs = m.table("p2_jobs", {
    id = (m.serial or m.integer)():primaryKey(),
    state = m.varchar and m.varchar({ length = 20 }):notNull() or
      m.text():notNull(),
    n = m.integer():notNull(),
  })
  return { jobs = jobs }
end

local function ids(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = tonumber(r[key or "id"]) end
  table.sort(out)
  return out
end

local function usage(f, text)
  local err = check.raises_kind("usage", f)
  assert.truthy(err.message:find(text, 1, true), err.message)
end

for _, d in ipairs(dialects.live()) do
  describe("second-round parity on " .. d.name, function()
    local db, s, jobs
    local locks = d.name ~= "sqlite"

    before_each(function()
      db, s = d.open(build)
      jobs = s.jobs
      db:insert(jobs):values({
        { state = "new", n = 1 }, { state = "new", n = 1 },
        { state = "done", n = 2 }, { state = "new", n = 3 },
      }):run()
    end)

    after_each(function()
      d.reset(db, s)
      db:close()
    end)

    local function next_job(tx, opts)
      return tx:select():from(jobs):where(eq(jobs.state, "new"))
        :orderBy(asc(jobs.id)):limit(1):for_("update", opts):all()
    end

    it("two workers taking jobs with skipLocked never get the same row",
      function()
        if not locks then
          usage(function() next_job(db, { skipLocked = true }) end,
            "row locks (for update) are not supported by sqlite")
          return
        end
        local db2 = d.connect(s)
        local taken = {}
        db:transaction(function(tx)
          local a = next_job(tx, { skipLocked = true })
          assert.equal(1, #a)
          taken[#taken + 1] = a[1].id
          db2:transaction(function(tx2)
            local b = next_job(tx2, { skipLocked = true })
            assert.equal(1, #b)
            taken[#taken + 1] = b[1].id
          end)
          -- without skipLocked and with noWait, the locked row refuses
          -- (each in a transaction of its own: a failed statement ends it)
          local ok, err = pcall(db2.transaction, db2, function(tx2)
            return next_job(tx2, { noWait = true })
          end)
          assert.is_false(ok)
          assert.equal("database", err.kind, tostring(err.message))
          -- an unlocked row (by key: MySQL locks every row a scan
          -- reads) is taken with noWait at once
          local free = db2:transaction(function(tx2)
            return tx2:select():from(jobs):where(eq(jobs.id, 4))
              :for_("update", { noWait = true }):all()
          end)
          assert.equal(1, #free)
        end)
        db2:close()
        assert.are_not.equal(taken[1], taken[2])
        assert.same({ 1, 2 }, { taken[1] < taken[2] and 1 or 2,
          taken[1] < taken[2] and 2 or 1 })
      end)

    it("shared locks share, and keep an update lock out", function()
      local function share(tx, opts)
        return tx:select():from(jobs):where(eq(jobs.n, 2))
          :for_("share", opts):all()
      end
      if not locks then
        usage(function() share(db) end,
          "row locks (for share) are not supported by sqlite")
        return
      end
      local db2 = d.connect(s)
      db:transaction(function(tx)
        assert.equal(1, #share(tx))
        db2:transaction(function(tx2)
          assert.equal(1, #share(tx2, { noWait = true }))
        end)
        db2:transaction(function(tx2)
          local ok = pcall(function()
            return tx2:select():from(jobs):where(eq(jobs.n, 2))
              :for_("update", { noWait = true }):all()
          end)
          assert.is_false(ok)
        end)
      end)
      db2:close()
    end)

    it("PostgreSQL's own lock strengths and of; refused elsewhere",
      function()
        local q = db:select():from(jobs):where(eq(jobs.n, 3))
        if d.name == "postgresql" then
          db:transaction(function(tx)
            assert.equal(1, #tx:select():from(jobs):where(eq(jobs.n, 3))
              :for_("no key update", { of = jobs }):all())
            assert.equal(1, #tx:select():from(jobs):where(eq(jobs.n, 3))
              :for_("key share", { of = { jobs }, skipLocked = true }):all())
          end)
          assert.truthy(q:for_("key share", { of = jobs, noWait = true })
            :toSQL().sql:find('for key share of "p2_jobs" nowait$'))
        elseif d.name == "mysql" then
          usage(function() q:for_("no key update"):all() end,
            "for no key update is not supported by mysql")
          usage(function() q:for_("update", { of = jobs }):all() end,
            "(of) is not supported by mysql")
          assert.truthy(q:for_("share"):toSQL().sql
            :find("lock in share mode$"))
        else
          usage(function() q:for_("key share"):all() end,
            "row locks (for key share) are not supported by sqlite")
        end
      end)

    it("for_ refuses bad options before anything runs", function()
      local q = db:select():from(jobs)
      usage(function() q:for_("exclusive") end, "the lock must be")
      usage(function() q:for_("update", { skipLocked = true, noWait = true })
      end, "exclude each other")
      usage(function() q:for_("update", { wait = 5 }) end,
        "unknown option wait")
      usage(function() q:for_("update", { of = "p2_jobs" }) end,
        "of must be a table")
      usage(function() q:for_("update", "nowait") end,
        "options must be a table")
    end)

    it("intersectAll and exceptAll keep duplicates", function()
      local all = db:select({ n = jobs.n }):from(jobs)
      local low = db:select({ n = jobs.n }):from(jobs):where(lte(jobs.n, 2))
      local one = db:select({ n = jobs.n }):from(jobs):where(eq(jobs.n, 1))
        :limit(1)
      if d.name == "sqlite" then
        usage(function() all:intersectAll(low):all() end,
          "intersect all is not supported by sqlite (only without all)")
        usage(function() sleet.exceptAll(all, low):all() end,
          "except all is not supported by sqlite")
        return
      end
      -- {1, 1, 2, 3} and {1, 1, 2}
      assert.same({ 1, 1, 2 }, ids(all:intersectAll(low):all(), "n"))
      -- {1, 1, 2, 3} without one 1
      assert.same({ 1, 2, 3 }, ids(sleet.exceptAll(all, one):all(), "n"))
      -- the plain forms still remove duplicates
      assert.same({ 1, 2 }, ids(all:intersect(low):all(), "n"))
    end)

    it("lateral joins see the tables joined before them", function()
      -- each job with the n of the job after it
      local j2 = d.module().alias(jobs, "j2")
      local nxt = db:select({ n = j2.n }):from(j2)
        :where(sleet.gt(j2.id, jobs.id)):orderBy(asc(j2.id)):limit(1)
        :as("nxt")
      local q = db:select({ id = jobs.id, next = nxt.n }):from(jobs)
        :leftJoinLateral(nxt, sleet.sql("true")):orderBy(asc(jobs.id))
      if d.name == "sqlite" then
        usage(function() q:all() end,
          "lateral joins are not supported by sqlite")
        return
      end
      local sqltext = q:toSQL().sql
      assert.truthy(sqltext:find("left join lateral (", 1, true), sqltext)
      local ok, rows = pcall(q.all, q)
      if d.name == "mysql" and not ok then
        -- LATERAL is MySQL 8's: MariaDB refuses it
        assert.equal("database", rows.kind, tostring(rows.message))
        return
      end
      assert.is_true(ok, tostring(rows and rows.message))
      local got = {}
      for i, r in ipairs(rows) do got[i] = r.next and tonumber(r.next) or "-" end
      assert.same({ 1, 2, 3, "-" }, got)
      local inner = db:select({ id = jobs.id, next = nxt.n }):from(jobs)
        :innerJoinLateral(nxt, sleet.sql("true")):all()
      assert.equal(3, #inner)
      usage(function() q:leftJoinLateral(jobs, sleet.sql("true")) end,
        "leftJoinLateral: expected a subquery")
      usage(function() q:crossJoinLateral(nxt, sleet.sql("true")) end,
        "a cross join takes no condition")
    end)

    it("update ... from joins another table's rows into the update",
      function()
        -- the job before a job with n = 3
        local j2 = d.module().alias(jobs, "j2")
        local q = db:update(jobs):set({ state = "seen" }):from(j2)
          :where(sleet.and_(eq(j2.id, sleet.sql("? + 1", jobs.id)),
            eq(j2.n, 3)))
        if d.name == "mysql" then
          usage(function() q:run() end,
            "update ... from is not supported by mysql")
          return
        end
        assert.equal(1, q:run().rowsAffected)
        local seen = db:select({ id = jobs.id }):from(jobs)
          :where(eq(jobs.state, "seen")):all()
        assert.same({ 3 }, ids(seen))
      end)

    it("orderBy and limit on update and delete", function()
      local up = db:update(jobs):set({ n = 9 }):orderBy(asc(jobs.id)):limit(2)
      local del = db:delete(jobs):where(eq(jobs.state, "new"))
        :orderBy(sleet.desc(jobs.id)):limit(1)
      if d.name == "postgresql" then
        usage(function() up:run() end,
          "orderBy on update is not supported by postgresql")
        usage(function() del:run() end,
          "orderBy on delete is not supported by postgresql")
        return
      end
      assert.equal(2, up:run().rowsAffected)
      assert.same({ 1, 2 }, ids(db:select({ id = jobs.id }):from(jobs)
        :where(eq(jobs.n, 9)):all()))
      assert.equal(1, del:run().rowsAffected)
      assert.same({ 1, 2, 3 }, ids(db:select({ id = jobs.id }):from(jobs)
        :all()))
      usage(function() db:delete(jobs):limit(-1) end, "limit")
    end)

    it("PostgreSQL's network address types read and write as text",
      function()
        local m = d.module()
        if not m.inet then
          assert.is_nil(m.cidr)
          return
        end
        local db2, s2 = d.open(function(pg)
          return { hosts = pg.table("p2_hosts", {
            id = pg.serial():primaryKey(),
            ip = pg.inet():notNull(), net = pg.cidr(), mac = pg.macaddr(),
            mac8 = pg.macaddr8(),
          }) }
        end)
        local h = s2.hosts
        db2:insert(h):values({ ip = "192.168.0.1/24", net = "10.0.0.0/8",
          mac = "08-00-2B-01-02-03", mac8 = "08:00:2b:01:02:03:04:05" }):run()
        local row = db2:select():from(h):where(eq(h.ip, "192.168.0.1/24"))
          :get()
        assert.same({ id = row.id, ip = "192.168.0.1/24", net = "10.0.0.0/8",
          mac = "08:00:2b:01:02:03", mac8 = "08:00:2b:01:02:03:04:05" }, row)
        local ok, err = pcall(function()
          db2:insert(h):values({ ip = "10.0.0.1", net = "10.1.2.3/8" }):run()
        end)
        assert.is_false(ok)
        assert.equal("database", err.kind)
        assert.equal("22P02", err.sqlstate)
        -- seeding asks for the addresses to write
        local seed = require "sleet.seed"
        ok, err = pcall(seed.seed, db2, s2, { count = 2 })
        assert.is_false(ok)
        assert.equal("validation", err.kind)
        assert.truthy(err.message:find("no generator for", 1, true),
          err.message)
        seed.reset(db2, s2)
        seed.seed(db2, s2, { count = 2, refine = function(f) return {
          hosts = { columns = {
            ip = f.valuesFromArray({ values = { "10.0.0.1", "10.0.0.2" } }),
            net = f.valuesFromArray({ values = { "10.0.0.0/8" } }),
            mac = f.valuesFromArray({ values = { "08:00:2b:01:02:03" } }),
            mac8 = f.valuesFromArray({ values = { "08:00:2b:01:02:03:04:05" } }),
          } },
        } end })
        assert.equal(2, db2:count(h))
        d.reset(db2, s2)
        db2:close()
      end)

    it("identity columns: the database numbers the rows; always refuses " ..
      "a value", function()
        local m = d.module()
        if d.name ~= "postgresql" then
          usage(function() m.integer():generatedAlwaysAsIdentity() end,
            "generatedAlwaysAsIdentity is PostgreSQL's")
          return
        end
        usage(function() m.text():generatedAlwaysAsIdentity() end,
          "for integer, smallint and bigint columns")
        usage(function() m.integer():generatedAlwaysAsIdentity({ step = 2 })
        end, "unknown option step")
        usage(function()
          m.integer():generatedByDefaultAsIdentity({ increment = 0 })
        end, "increment must not be 0")
        local db2, s2 = d.open(function(pg)
          return { t = pg.table("p2_ids", {
            id = pg.integer():primaryKey():generatedAlwaysAsIdentity(),
            code = pg.bigint():notNull():generatedByDefaultAsIdentity({
              startWith = 100, increment = 10 }),
            note = pg.text(),
          }) }
        end)
        local t = s2.t
        db2:insert(t):values({ { note = "a" }, { note = "b" } }):run()
        db2:insert(t):values({ note = "c", code = 7 }):run()
        local rows = db2:select():from(t):orderBy(asc(t.id)):all()
        assert.same({ 1, 2, 3 }, ids(rows))
        assert.same({ 100, 110, 7 }, { tonumber(rows[1].code),
          tonumber(rows[2].code), tonumber(rows[3].code) })
        local ok, err = pcall(function()
          db2:insert(t):values({ id = 9, note = "d" }):run()
        end)
        assert.is_false(ok)
        assert.equal("validation", err.kind)
        assert.truthy(err.message:find("generated always as identity", 1,
          true), err.message)
        ok = pcall(function() db2:update(t):set({ id = 5 }):run() end)
        assert.is_false(ok)
        assert.equal(3, db2:count(t))
        -- push after push changes nothing
        local kit = require "sleet.kit"
        assert.same({}, kit.plan(db2, s2).statements)
        -- seeding writes the keys (overriding the identity) and the
        -- sequences go on after them
        local seed = require "sleet.seed"
        seed.reset(db2, s2)
        seed.seed(db2, s2, { count = 3 })
        db2:insert(t):values({ note = "after" }):run()
        local last = db2:select():from(t):orderBy(sleet.desc(t.id)):get()
        assert.equal(4, tonumber(last.id))
        assert.equal(4, tonumber(last.code))
        d.reset(db2, s2)
        db2:close()
      end)

    it("onUpdateNow: MySQL sets the column whenever the row changes",
      function()
        local m = d.module()
        if d.name ~= "mysql" then
          usage(function() (m.timestamp or m.integer)():onUpdateNow() end,
            "onUpdateNow is MySQL's")
          return
        end
        usage(function() m.int():onUpdateNow() end, "onUpdateNow is MySQL's")
        local db2, s2 = d.open(function(my)
          return { notes = my.table("p2_notes", {
            id = my.serial():primaryKey(),
            body = my.text():notNull(),
            updated = my.timestamp({ fsp = 3 }):notNull():defaultNow()
              :onUpdateNow(),
          }) }
        end)
        local n = s2.notes
        db2:insert(n):values({ body = "a",
          updated = "2001-02-03 04:05:06.000" }):run()
        local before = db2:select():from(n):get().updated
        assert.equal("2001-02-03T04:05:06", before:sub(1, 19))
        db2:update(n):set({ body = "b" }):run()
        local after = db2:select():from(n):get().updated
        assert.truthy(after > "2020", after)
        d.reset(db2, s2)
        db2:close()
      end)

    it("db:count counts rows, with a filter, in a transaction too",
      function()
        assert.equal(4, db:count(jobs))
        assert.equal(3, db:count(jobs, eq(jobs.state, "new")))
        assert.equal(0, db:count(jobs, eq(jobs.n, 42)))
        local ok, err = pcall(db.transaction, db, function(tx)
          tx:delete(jobs):where(eq(jobs.n, 1)):run()
          assert.equal(2, tx:count(jobs))
          tx:rollback()
        end)
        assert.is_false(ok)
        assert.equal("rollback", err.kind)
        assert.equal(4, db:count(jobs))
        usage(function() db:count("p2_jobs") end, "count: expected a table")
        usage(function() db:count(jobs, "n = 1") end, "where")
      end)

    it("selectDistinctOn on PostgreSQL; refused elsewhere", function()
      local q = db:selectDistinctOn(jobs.state, { state = jobs.state,
        id = jobs.id }):from(jobs):orderBy(jobs.state, jobs.id)
      if d.name ~= "postgresql" then
        usage(function() q:all() end, "distinct on is not supported by " ..
          d.name)
        return
      end
      local rows = q:all()
      assert.equal(2, #rows)
      assert.equal("done", rows[1].state)
      assert.equal("new", rows[2].state)
      -- the first new job by id
      local first = db:select({ id = sleet.min(jobs.id) }):from(jobs)
        :where(eq(jobs.state, "new")):get().id
      assert.equal(tonumber(first), tonumber(rows[2].id))
      usage(function() db:selectDistinctOn({}, nil) end,
        "selectDistinctOn: expected a column")
      usage(function() db:selectDistinctOn({ "state" }, nil) end,
        "item 1 must be a column")
    end)
  end)
end
