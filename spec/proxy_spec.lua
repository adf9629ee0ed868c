-- sleet.proxy (Drizzle's pg-proxy / mysql-proxy / sqlite-proxy): the
-- statements go to a function, here one that runs them on a real
-- connection of the same dialect and answers with raw cells, on every live
-- dialect. Results through the proxy equal the direct ones.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- fn of a proxy over the connection of db: raw cells in field order, as
-- Drizzle's proxies expect them from an HTTP service.
local function backend(db, log)
  local c = db:_connection()
  return function(sql, params, method)
    log[#log + 1] = { sql = sql, params = params, method = method }
    if method == "run" or method == "execute" then
      local r = c:exec_sql(sql, params, "run")
      return { rowsAffected = r.rowsAffected, lastInsertId = r.lastInsertId }
    end
    local rows, names = c:exec_sql(sql, params, "values")
    return { rows = rows, fields = names }
  end
end

for _, d in ipairs(dialects.live()) do
  describe("sleet.proxy on " .. d.name, function()
    local real, schema, proxied, log
    local users, posts
    before_each(function()
      real, schema = d.open()
      users, posts = schema.users, schema.posts
      log = {}
      local rels = sleet.defineRelations(schema, function(r) return {
        users = { posts = r.many.posts() },
        posts = { author = r.one.users({ from = r.posts.authorId, to = r.users.id }) },
      } end)
      proxied = sleet.proxy(d.name, backend(real, log),
        { schema = schema, relations = rels })
      real:insert(users):values({
        { name = "Ada", email = "ada@x.io", role = "admin", age = 36 },
        { name = "Bob", email = "bob@x.io", age = 41 },
      }):run()
    end)
    after_each(function()
      proxied:close()
      real:close()
    end)

    it("selects the rows the database gives, decoded by the columns' codecs", function()
      local q = function(db) return db:select():from(users):orderBy(users.id) end
      assert.same(q(real):all(), q(proxied):all())
      assert.same(q(real):get(), q(proxied):get())
      assert.same(q(real):values(), q(proxied):values())
      local names = {}
      for row in q(proxied):iter() do names[#names + 1] = row.name end
      assert.same({ "Ada", "Bob" }, names)
      local partial = proxied:select({ n = users.name, a = users.age }):from(users)
        :where(sleet.eq(users.role, "admin")):all()
      assert.same({ { n = "Ada", a = 36 } }, partial)
      local methods = {}
      for _, e in ipairs(log) do
        if e.sql:lower():find("^select") then methods[#methods + 1] = e.method end
      end
      assert.same({ "all", "get", "values" }, { methods[1], methods[2], methods[3] })
    end)

    it("passes values as bound parameters, never in the SQL", function()
      proxied:select():from(users):where(sleet.eq(users.name, "Ro'; drop")):all()
      local last = log[#log]
      assert.is_nil(last.sql:find("Ro'", 1, true))
      assert.equal("Ro'; drop", last.params[1])
      assert.equal(1, last.params.n)
    end)

    it("writes through the proxy: run gives rowsAffected", function()
      local r = proxied:update(users):set({ age = 1 }):where(sleet.gt(users.age, 0)):run()
      assert.equal(2, check.tointeger(r.rowsAffected))
      proxied:insert(users):values({ name = "Cy", email = "cy@x.io" }):run()
      assert.equal(3, #real:select():from(users):all())
      assert.equal("run", log[#log].method)
    end)

    it("loads relations in one statement", function()
      local ada = real:select():from(users):where(sleet.eq(users.name, "Ada")):get()
      real:insert(posts):values({ { authorId = ada.id, title = "p1" },
        { authorId = ada.id, title = "p2" } }):run()
      local n = #log
      local u = proxied.query.users:findFirst({ where = { name = "Ada" },
        with = { posts = { orderBy = { id = "asc" } } } })
      assert.equal(n + 1, #log)
      assert.same({ "p1", "p2" }, { u.posts[1].title, u.posts[2].title })
    end)

    it("runs transaction verbs as statements of the function", function()
      local ok = pcall(proxied.transaction, proxied, function(tx)
        tx:insert(users):values({ name = "Tx", email = "tx@x.io" }):run()
        error("undo")
      end)
      assert.is_false(ok)
      assert.equal(2, #real:select():from(users):all())
      local verbs = {}
      for _, e in ipairs(log) do
        if e.method == "execute" then verbs[#verbs + 1] = e.sql:lower() end
      end
      assert.matches("^begin", verbs[1] == "start transaction" and "begin" or verbs[1])
      assert.equal("rollback", verbs[#verbs])
    end)

    it("a function that may yield", function()
      local fn = backend(real, log)
      local db = sleet.proxy(d.name, function(...)
        coroutine.yield("waiting")
        return fn(...)
      end, { schema = schema })
      local co = coroutine.create(function()
        return #db:select():from(users):all()
      end)
      local ok, v = coroutine.resume(co)
      assert.is_true(ok)
      assert.equal("waiting", v)
      ok, v = coroutine.resume(co)
      assert.is_true(ok)
      assert.equal(2, v)
      db:close()
    end)

    it("an error of the function fails the statement, kind database", function()
      local db = sleet.proxy(d.name, function()
        error({ message = "duplicate key", sqlstate = "23505" })
      end, { schema = schema })
      local ok, err = pcall(function() return db:select():from(users):all() end)
      assert.is_false(ok)
      assert.equal("database", err.kind)
      assert.equal("23505", err.sqlstate)
      assert.matches("duplicate key", err.message)
      assert.is_false(db:isClosed())
      db:close()
    end)

    it("refuses answers no database gives, saying where", function()
      local db = sleet.proxy(d.name, function()
        return { rows = { { 1, {} } } }
      end, { schema = schema })
      local ok, err = pcall(function() return db:select():from(users):all() end)
      assert.is_false(ok)
      assert.matches("row 1, cell 2", err.message)
      db:close()
      db = sleet.proxy(d.name, function() return { rows = { { 1 } } } end,
        { schema = schema })
      ok, err = pcall(function() return db:select():from(users):all() end)
      assert.is_false(ok)
      assert.matches("column", err.message)
      db:close()
    end)
  end)
end

describe("sleet.proxy", function()
  it("checks its arguments", function()
    local ok, err = pcall(sleet.proxy, "oracle", function() end)
    assert.is_false(ok)
    assert.equal("usage", err.kind)
    ok, err = pcall(sleet.proxy, "postgresql", "not a function")
    assert.is_false(ok)
    assert.matches("function", err.message)
  end)
end)
