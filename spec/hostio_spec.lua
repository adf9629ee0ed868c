-- The host-I/O paths of the binding (a driver whose bytes travel over the
-- host's socket, lua/sleet/wire.lua), through the test driver `hostio`:
-- SQLite that waits like a wire driver before each call and before every
-- second row (spec/support/hostio_driver.c). Its "socket" here is a Lua
-- object whose receive may yield, as an nginx or cqueues socket does.
local sleet = require "sleet"
local sq = require "sleet.sqlite"
local check = require "spec.support.check"

require("sleet.db")._wiredrivers.sqlite = "hostio"

local users = sq.table("users", {
  id = sq.integer():primaryKey(),
  name = sq.text():notNull():unique(),
  age = sq.integer(),
})
local posts = sq.table("posts", {
  id = sq.integer():primaryKey(),
  authorId = sq.integer("author_id"):references(function() return users.id end),
  title = sq.text(),
})
local schema = { users = users, posts = posts }
local relations = sleet.defineRelations(schema, function(r) return {
  users = { posts = r.many.posts() },
  posts = { author = r.one.users({ from = r.posts.authorId, to = r.users.id }) },
} end)

-- A fake socket: counts bytes, replies "!" to every read, yields before
-- each reply when yielding is on, fails or breaks the protocol on demand.
local function newsocket()
  local s = { sent = 0, reads = 0, closed = false, yield = false }
  function s.connect() return true end
  function s.send(_, data) s.sent = s.sent + #data return #data end
  function s.receive(_, n)
    s.reads = s.reads + 1
    if s.yield then coroutine.yield("wait") end
    if s.fail then return nil, s.fail end
    if s.garbage then return ("x"):rep(n) end
    return ("!"):rep(n)
  end
  function s.close() s.closed = true return true end
  function s.settimeout() end
  return s
end

local function open(sock)
  local db = sleet.connect("sqlite::memory:", { socket = function() return sock end,
    schema = schema, relations = relations })
  db:execute("create table users (id integer primary key, " ..
    "name text not null unique, age integer)")
  db:execute("create table posts (id integer primary key, " ..
    "author_id integer references users(id), title text)")
  return db
end

local function seed(db)
  for i = 1, 5 do
    db:insert(users):values({ name = "u" .. i, age = 20 + i }):run()
  end
  db:insert(posts):values({ { authorId = 1, title = "a" }, { authorId = 1, title = "b" },
    { authorId = 2, title = "c" } }):run()
end

describe("host I/O (wire driver binding)", function()
  local sock, db
  before_each(function()
    sock = newsocket()
    db = open(sock)
    seed(db)
  end)
  after_each(function() db:close() end)

  it("runs every executor across waits, with the same rows as the plain driver", function()
    local plain = sleet.connect("sqlite::memory:", { schema = schema })
    plain:execute("create table users (id integer primary key, " ..
      "name text not null unique, age integer)")
    plain:execute("create table posts (id integer primary key, " ..
      "author_id integer, title text)")
    seed(plain)
    local q = function(d) return d:select():from(users):orderBy(users.id) end
    assert.same(q(plain):all(), q(db):all())
    assert.same(q(plain):values(), q(db):values())
    assert.same(q(plain):get(), q(db):get())
    local seen = {}
    for row in q(db):iter() do seen[#seen + 1] = row.name end
    assert.same({ "u1", "u2", "u3", "u4", "u5" }, seen)
    local r = db:update(users):set({ age = 1 }):where(sleet.gt(users.id, 3)):run()
    assert.equal(2, check.tointeger(r.rowsAffected))
    assert.same(plain:execute("select 1 as one"), db:execute("select 1 as one"))
    assert.is_true(sock.sent > 0 and sock.reads > 10)
    plain:close()
  end)

  it("keeps iterating while other statements run meanwhile", function()
    local names = {}
    for row in db:select():from(users):orderBy(users.id):iter() do
      names[#names + 1] = row.name
      assert.equal(5, #db:select():from(users):all())
    end
    assert.equal(5, #names)
  end)

  it("runs transactions, savepoints and rollbacks", function()
    db:transaction(function(tx)
      tx:insert(users):values({ name = "t1" }):run()
      tx:transaction(function(sp) sp:insert(users):values({ name = "t2" }):run() end)
      local ok = pcall(tx.transaction, tx, function(sp)
        sp:insert(users):values({ name = "t3" }):run()
        error("inner")
      end)
      assert.is_false(ok)
    end)
    assert.equal(7, #db:select():from(users):all())
    local ok = pcall(db.transaction, db, function(tx)
      tx:insert(users):values({ name = "t4" }):run()
      error("outer")
    end)
    assert.is_false(ok)
    assert.equal(7, #db:select():from(users):all())
  end)

  it("runs batches all or nothing, naming the failing statement", function()
    local r = db:batch({ db:insert(users):values({ name = "b1" }), db:select():from(users) })
    assert.equal(6, #r[2])
    local ok, err = pcall(db.batch, db, { db:insert(users):values({ name = "b2" }),
      db:insert(users):values({ name = "b1" }) })
    assert.is_false(ok)
    assert.equal("database", err.kind)
    assert.equal(2, err.index)
    assert.matches("batch statement 2 failed", err.message)
    assert.equal(0, #db:select():from(users):where(sleet.eq(users.name, "b2")):all())
  end)

  it("reuses prepared statements and loads relations", function()
    local p = db:select():from(users)
      :where(sleet.eq(users.id, sleet.placeholder("id"))):prepare("byid")
    assert.equal("u2", p:get({ id = 2 }).name)
    assert.equal("u3", p:get({ id = 3 }).name)
    local n = 0
    for _ in p:iter({ id = 4 }) do n = n + 1 end
    assert.equal(1, n)
    local u = db.query.users:findFirst({ where = { id = 1 }, with = { posts = true } })
    assert.equal(2, #u.posts)
  end)

  it("yields inside the host's socket: two connections interleave", function()
    local sock2 = newsocket()
    local db2 = open(sock2)
    seed(db2)
    sock.yield, sock2.yield = true, true
    local order = {}
    local function job(d, tag)
      return coroutine.create(function()
        d:transaction(function(tx)
          tx:insert(users):values({ name = tag }):run()
          order[#order + 1] = tag
        end)
        return #d:select():from(users):all()
      end)
    end
    local a, b = job(db, "A"), job(db2, "B")
    local ra, rb
    while coroutine.status(a) ~= "dead" or coroutine.status(b) ~= "dead" do
      for _, co in ipairs({ a, b }) do
        if coroutine.status(co) ~= "dead" then
          local ok, v = coroutine.resume(co)
          assert.is_true(ok, tostring(v))
          if coroutine.status(co) == "dead" then
            if co == a then ra = v else rb = v end
          end
        end
      end
    end
    assert.equal(6, ra)
    assert.equal(6, rb)
    assert.same({ "A", "B" }, order)
    db2:close()
  end)

  it("a socket that fails: kind connection, the connection and socket closed", function()
    sock.fail = "timeout"
    local ok, err = pcall(function() return db:select():from(users):all() end)
    assert.is_false(ok)
    assert.equal("connection", err.kind)
    assert.matches("timeout", err.message)
    assert.is_true(db:isClosed())
    assert.is_true(sock.closed)
    ok, err = pcall(function() return db:select():from(users):all() end)
    assert.is_false(ok)
    assert.equal("connection", err.kind)
  end)

  it("a socket that fails inside a transaction: nothing of it remains", function()
    local ok, err = pcall(db.transaction, db, function(tx)
      tx:insert(users):values({ name = "lost" }):run()
      sock.fail = "closed"
      tx:insert(users):values({ name = "lost2" }):run()
    end)
    assert.is_false(ok)
    assert.equal("connection", err.kind)
    assert.is_true(db:isClosed())
  end)

  it("bytes that break the protocol: kind connection", function()
    sock.garbage = true
    local ok, err = pcall(function() return db:select():from(users):all() end)
    assert.is_false(ok)
    assert.equal("connection", err.kind)
    assert.matches("protocol", err.message)
    assert.is_true(db:isClosed())
  end)

  it("a call abandoned while it waited ends the connection, clearly", function()
    sock.yield = true
    local co = coroutine.create(function() return db:select():from(users):all() end)
    assert.is_true(coroutine.resume(co))
    assert.equal("suspended", coroutine.status(co))
    sock.yield = false
    local ok, err = pcall(function() return db:select():from(users):all() end)
    assert.is_false(ok)
    assert.equal("connection", err.kind)
    assert.matches("abandoned", err.message)
    assert.is_true(db:isClosed())
  end)

  it("an iterator given up while it waited leaves the connection usable", function()
    sock.yield = true
    local co = coroutine.create(function()
      for _ in db:select():from(users):iter() do end
    end)
    assert.is_true(coroutine.resume(co))
    co = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    sock.yield = false
    assert.equal(5, #db:select():from(users):all())
  end)

  it("keepalive without a pool closes", function()
    assert.is_true(db:keepalive(1000, 10))
    assert.is_true(db:isClosed())
    assert.is_true(sock.closed)
  end)
end)

describe("connect option socket", function()
  it("refuses unknown transports and SQLite files", function()
    local ok, err = pcall(sleet.connect, "postgresql://u@127.0.0.1:1/x",
      { socket = "carrier-pigeon" })
    assert.is_false(ok)
    assert.equal("usage", err.kind)
    assert.matches("unknown socket", err.message)
    local db = require "sleet.db"
    db._wiredrivers.sqlite = nil
    ok, err = pcall(sleet.connect, "sqlite::memory:", { socket = "luasocket" })
    db._wiredrivers.sqlite = "hostio"
    assert.is_false(ok)
    assert.matches("PostgreSQL and MySQL", err.message)
  end)

  it("names the server when the socket cannot connect", function()
    local ok, err = pcall(sleet.connect, "postgresql://u@127.0.0.1:1/x", { socket = "luasocket" })
    assert.is_false(ok)
    assert.equal("connection", err.kind)
    assert.matches("127.0.0.1:1", err.message)
  end)
end)
