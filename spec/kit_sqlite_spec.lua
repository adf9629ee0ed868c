-- SQLite table rebuilds (the changes ALTER TABLE cannot make): the rows of
-- the rebuilt table and of the tables referencing it survive, foreign keys
-- with ON DELETE CASCADE included, whether the rebuild comes from a
-- generated migration or from push; a failing rebuild leaves everything as
-- it was.
local kit = require "sleet.kit"
local migrator = require "sleet.migrator"
local sleet = require "sleet"
local s = require "sleet.sqlite"

local function parent(v)
  local users = s.table("kr_users", {
    id = s.integer():primaryKey(),
    name = s.text():notNull(),
    age = v == 2 and s.real() or s.integer(),
  })
  local posts = s.table("kr_posts", {
    id = s.integer():primaryKey(),
    authorId = s.integer("author_id"):notNull()
      :references(function() return users.id end, { onDelete = "cascade" }),
    title = s.text():notNull(),
  })
  local comments = s.table("kr_comments", {
    id = s.integer():primaryKey(),
    postId = s.integer("post_id"):notNull()
      :references(function() return posts.id end, { onDelete = "cascade" }),
  })
  return { users = users, posts = posts, comments = comments }
end

local function count(db, t)
  return db:_connection():exec_sql("select count(*) as n from " .. t, {},
    "all")[1].n
end

local function fill(db)
  local c = db:_connection()
  c:exec_sql("insert into kr_users (id, name, age) values (1, 'ada', 36), " ..
    "(2, 'bob', 40)")
  c:exec_sql("insert into kr_posts (id, author_id, title) values (1, 1, " ..
    "'a'), (2, 1, 'b'), (3, 2, 'c')")
  c:exec_sql("insert into kr_comments (id, post_id) values (1, 1), (2, 3)")
end

describe("SQLite rebuilds", function()
  local db, dir, file

  before_each(function()
    file = os.tmpname()
    db = sleet.connect("sqlite:" .. file)
    dir = os.tmpname()
    os.remove(dir)
  end)

  after_each(function()
    db:close()
    os.remove(file)
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("keep the rows of child tables (migration)", function()
    local config = { dialect = "sqlite", out = dir }
    kit.generate(config, { schema = parent(1), name = "init" })
    migrator.migrate(db, { migrationsFolder = dir })
    fill(db)
    local r = kit.generate(config, { schema = parent(2), name = "age_real" })
    assert.is_true(r.written)
    local text = table.concat(r.statements, "\n")
    assert.truthy(text:find("PRAGMA foreign_keys=OFF", 1, true), text)
    migrator.migrate(db, { migrationsFolder = dir })
    assert.equal(2, count(db, "kr_users"))
    assert.equal(3, count(db, "kr_posts"))
    assert.equal(2, count(db, "kr_comments"))
    local t = db:_connection():exec_sql("select type from " ..
      "pragma_table_info('kr_users') where name = 'age'", {}, "all")[1].type
    assert.equal("real", t:lower())
    -- foreign keys are enforced again afterwards
    assert.equal(1, db:_connection():exec_sql("pragma foreign_keys", {},
      "all")[1].foreign_keys)
    -- and the cascade still works
    db:_connection():exec_sql("delete from kr_users where id = 1")
    assert.equal(1, count(db, "kr_posts"))
    -- the rollback is a rebuild too
    migrator.rollback(db, { migrationsFolder = dir, steps = 1 })
    assert.equal(1, count(db, "kr_users"))
    assert.equal(1, count(db, "kr_posts"))
    assert.equal(1, count(db, "kr_comments"))
  end)

  it("keep the rows of child tables (push)", function()
    kit.push(db, parent(1))
    fill(db)
    local stmts = kit.push(db, parent(2), { force = true })
    assert.is_true(#stmts > 0)
    assert.equal(2, count(db, "kr_users"))
    assert.equal(3, count(db, "kr_posts"))
    assert.equal(2, count(db, "kr_comments"))
    assert.same({}, kit.plan(db, parent(2)).statements)
  end)

  it("leave everything as it was when they fail", function()
    local config = { dialect = "sqlite", out = dir }
    kit.generate(config, { schema = parent(1), name = "init" })
    migrator.migrate(db, { migrationsFolder = dir })
    fill(db)
    -- a NOT NULL column without a default cannot take the existing rows
    local users = s.table("kr_users", {
      id = s.integer():primaryKey(),
      name = s.text():notNull(),
      age = s.integer(),
      code = s.text():notNull(),
    })
    local schema = parent(1)
    schema.users = users
    local r = kit.generate(config, { schema = schema, name = "code" })
    assert.is_true(r.written)
    local ok, e = pcall(migrator.migrate, db, { migrationsFolder = dir })
    assert.is_false(ok)
    assert.equal("migration", e.kind)
    assert.equal(2, count(db, "kr_users"))
    assert.equal(3, count(db, "kr_posts"))
    assert.equal(2, count(db, "kr_comments"))
    local cols = db:_connection():exec_sql("select name from " ..
      "pragma_table_info('kr_users')", {}, "all")
    assert.equal(3, #cols)
    assert.equal(1, #migrator.applied(db, { migrationsFolder = dir }))
    assert.equal(1, db:_connection():exec_sql("pragma foreign_keys", {},
      "all")[1].foreign_keys)
  end)
end)
