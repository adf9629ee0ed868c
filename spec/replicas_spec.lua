-- sleet.withReplicas: reads on a replica, writes and transactions on the
-- primary. On every dialect the routing is checked with two connections
-- and their loggers; on PostgreSQL against the real streaming replica that
-- make test starts (scripts/servers.sh, start_pg_replica): where each
-- statement ran (pg_is_in_recovery()), that writes never reach the
-- replica, and what a lost replica connection does (the read moves to the
-- next replica, then to the primary; a connection error only when none is
-- left).
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local sleet = require "sleet"

local sql, eq = sleet.sql, sleet.eq

local function build(m)
  local items = m.table("rep_items", {
    id = (m.serial or m.integer)():primaryKey(),
    name = m.varchar and m.varchar({ length = 40 }):notNull() or
      m.text():notNull(),
  })
  local tags = m.table("rep_tags", {
    id = (m.serial or m.integer)():primaryKey(),
    itemId = m.integer("item_id"):notNull(),
    label = m.varchar and m.varchar({ length = 40 }):notNull() or
      m.text():notNull(),
  })
  return { items = items, tags = tags }
end

local function rels(schema)
  return sleet.defineRelations(schema, function(r) return {
    items = { tags = r.many.tags({ from = r.items.id, to = r.tags.itemId }) },
  } end)
end

local function usage(f, text)
  local err = check.raises_kind("usage", f)
  assert.truthy(err.message:find(text, 1, true), err.message)
end

for _, d in ipairs(dialects.live()) do
  describe("withReplicas on " .. d.name, function()
    local primary, replica, s, ran

    before_each(function()
      ran = {}
      local function logger(tag)
        return function(text) ran[#ran + 1] = tag .. " " .. text end
      end
      local db
      db, s = d.open(build)
      db:close()
      primary = d.connect(s, { logger = logger("P"), relations = rels(s) })
      replica = d.connect(s, { logger = logger("R"), relations = rels(s) })
      if d.name == "sqlite" then
        -- in memory every connection is a database of its own
        require("sleet.kit").push(primary, s)
        require("sleet.kit").push(replica, s)
      end
      ran = {}
    end)

    after_each(function()
      replica:close()
      d.reset(primary, s)
      primary:close()
    end)

    local function where(f)
      ran = {}
      f()
      local tags = {}
      for i, line in ipairs(ran) do tags[i] = line:sub(1, 1) end
      return table.concat(tags)
    end

    it("routes reads to the replica and everything else to the primary",
      function()
        local db = sleet.withReplicas(primary, { replica })
        local items = s.items
        assert.equal("R", where(function() db:select():from(items):all() end))
        assert.equal("R", where(function()
          db:selectDistinct({ n = items.name }):from(items):all()
        end))
        assert.equal("R", where(function() db:count(items) end))
        assert.equal("R", where(function()
          db.query.items:findMany({ with = { tags = true } })
        end))
        assert.equal("R", where(function()
          local p = db:select():from(items):where(eq(items.id,
            sleet.placeholder("id"))):prepare()
          p:all({ id = 1 })
        end))
        assert.equal("P", where(function()
          db:insert(items):values({ name = "a" }):run()
        end))
        assert.equal("P", where(function()
          db:update(items):set({ name = "b" }):run()
        end))
        assert.equal("P", where(function()
          db:execute(sql("select 1 as one"))
        end))
        local tx = where(function()
          db:transaction(function(t) t:select():from(items):all() end)
        end)
        assert.falsy(tx:find("R", 1, true), tx)
        assert.equal("P", where(function()
          db:primary():select():from(items):all()
        end))
        assert.equal("P", where(function() db:delete(items):run() end))
        assert.equal(primary, db["$primary"])
      end)

    it("asks getReplica which replica reads", function()
      local calls = 0
      local db = sleet.withReplicas(primary, { replica, primary }, {
        getReplica = function(list)
          calls = calls + 1
          return list[2]
        end })
      assert.equal("P", where(function() db:select():from(s.items):all() end))
      assert.equal(1, calls)
      local bad = sleet.withReplicas(primary, { replica },
        { getReplica = function() return "replica" end })
      usage(function() bad:select():from(s.items):all() end,
        "getReplica must return one of the replicas")
    end)

    it("refuses what is not a database", function()
      usage(function() sleet.withReplicas(nil, { replica }) end,
        "the primary must be a database")
      usage(function() sleet.withReplicas(primary, {}) end,
        "replicas must be a non-empty list")
      usage(function() sleet.withReplicas(primary, { "r" }) end,
        "replica 1 is not a database")
      usage(function() sleet.withReplicas(primary, { replica },
        { getReplica = 1 }) end, "getReplica must be a function")
      local db = sleet.withReplicas(primary, { replica })
      usage(function() db.select() end, "call select with a colon")
    end)
  end)
end

-- The real thing: a streaming replica of the PostgreSQL server.
local pgd = dialects.find and dialects.find("postgresql")
describe("withReplicas with a PostgreSQL streaming replica", function()
  local url = os.getenv("SLEET_TEST_REPLICA_URL_OVERRIDE") or
    os.getenv("SLEET_TEST_PG_REPLICA_URL")
  if not (pgd and os.getenv("SLEET_TEST_PG_URL")) then
    pending("no PostgreSQL server here")
    return
  end

  local opts = { socket = dialects.transport() }
  if dialects.transport() == "proxy" then opts.socket = nil end
  local function connect_replica()
    assert(url, "SLEET_TEST_PG_REPLICA_URL is unset: make test starts a " ..
      "replica beside the PostgreSQL server (the pg-replica phase)")
    return sleet.connect(url, opts)
  end

  local primary, s
  before_each(function()
    primary, s = pgd.open(build)
  end)
  after_each(function()
    pgd.reset(primary, s)
    primary:close()
  end)

  local RECOVERY = { r = sql("pg_is_in_recovery()") }
  local function pid(db)
    return db:execute(sql("select pg_backend_pid() as p"))[1].p
  end

  it("reads on the standby, writes and transactions on the primary",
    function()
      local replica = connect_replica()
      local db = sleet.withReplicas(primary, { replica })
      assert.is_true(db:select(RECOVERY):get().r)
      assert.is_false(db:primary():select(RECOVERY):get().r)
      assert.is_false(db:execute(sql("select pg_is_in_recovery() as r"))[1].r)
      db:transaction(function(tx)
        assert.is_false(tx:select(RECOVERY):get().r)
      end)
      -- a write runs on the primary (the standby would refuse it: 25006)
      db:insert(s.items):values({ { name = "a" }, { name = "b" } }):run()
      -- and reaches the replica by streaming, shortly
      local deadline = os.time() + 10
      local n
      repeat
        -- the table itself may not have arrived yet
        local ok, c = pcall(db.count, db, s.items)
        n = ok and c or 0
        if n < 2 then os.execute("sleep 0.05") end
      until n == 2 or os.time() > deadline
      assert.equal(2, n)
      local ok, err = pcall(function()
        replica:insert(s.items):values({ name = "direct" }):run()
      end)
      assert.is_false(ok)
      assert.equal("25006", err.sqlstate)
      replica:close()
    end)

  it("moves a read to the next replica, then to the primary, when a " ..
    "connection is lost", function()
      local r1, r2, killer = connect_replica(), connect_replica(),
        connect_replica()
      -- a primary connection of this test alone (direct: a proxy's function
      -- reports its own errors)
      local own = sleet.connect(os.getenv("SLEET_TEST_PG_URL"), opts)
      local db = sleet.withReplicas(own, { r1, r2 },
        { getReplica = function(list) return list[1] end })
      assert.is_true(db:select(RECOVERY):get().r)
      killer:execute(sql("select pg_terminate_backend(?)", pid(r1)))
      -- r1 is gone: r2 answers
      assert.is_true(db:select(RECOVERY):get().r)
      assert.is_true(r1:isClosed())
      killer:execute(sql("select pg_terminate_backend(?)", pid(r2)))
      -- no replica left: the primary answers
      assert.is_false(db:select(RECOVERY):get().r)
      primary:execute(sql("select pg_terminate_backend(?)", pid(own)))
      -- nothing left: a connection error
      local ok, err = pcall(function() return db:select(RECOVERY):get() end)
      assert.is_false(ok)
      assert.equal("connection", err.kind)
      assert.truthy(err.message:find("no replica and not the primary", 1,
        true), err.message)
      -- an error of the read itself is not retried elsewhere (the primary
      -- has the table, the replica not yet: no fallback finds it there)
      local db2 = sleet.withReplicas(primary, { killer })
      local pg = require "sleet.pg"
      local fresh = pg.table("rep_fresh", { id = pg.integer() })
      primary:execute(sql('drop table if exists "rep_fresh"'))
      primary:execute(sql('create table "rep_fresh" (id integer)'))
      ok, err = pcall(function()
        -- the replica may already have it: then it reads (no error)
        return db2:select():from(fresh):where(sql("1 / 0 = 1")):all()
      end)
      assert.is_false(ok)
      assert.equal("database", err.kind)
      primary:execute(sql('drop table "rep_fresh"'))
      ok, err = pcall(function()
        return db2:select({ x = sql("1 / 0") }):get()
      end)
      assert.is_false(ok)
      assert.equal("database", err.kind)
      assert.is_true(db2:select(RECOVERY):get().r)
      for _, c in ipairs({ r1, r2, killer, own }) do c:close() end
    end)
end)
