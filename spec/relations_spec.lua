-- Relational queries: defineRelations, db.query.<table>:findMany /
-- :findFirst. The SQL shape is checked per dialect without a database; the
-- behaviour runs on every live dialect (spec/support/dialects.lua): nesting,
-- many-to-many, per-relation order and limit, filters on related rows,
-- counts, empty relations, column selection, one statement per call, values
-- equal to the flat builder's for every column type, and a large case.
local sleet = require "sleet"
local relations = require "sleet.relations"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

-- {====================================================================
-- Schemas
-- =====================================================================

-- The blog schema of these specs, built with schema module m of dialect
-- name. Tables are prefixed so that they never meet other specs' tables.
local function blog(m, name)
  local function pk()
    if name == "sqlite" then return m.integer():primaryKey() end
    return m.serial():primaryKey()
  end
  local function ref(col)
    -- the type of a reference to a serial key
    if name == "mysql" then return m.bigint(col, { unsigned = true }) end
    return m.integer(col)
  end
  local users = m.table("rq_users", {
    id = pk(),
    name = m.text():notNull(),
    invitedBy = ref("invited_by"),
  })
  local posts = m.table("rq_posts", {
    id = pk(),
    authorId = ref("author_id"):notNull(),
    editorId = ref("editor_id"),
    title = m.text():notNull(),
  })
  local comments = m.table("rq_comments", {
    id = pk(),
    postId = ref("post_id"):notNull(),
    authorId = ref("author_id"):notNull(),
    body = m.text():notNull(),
  })
  local groups = m.table("rq_groups", {
    id = pk(),
    name = m.text():notNull(),
  })
  local usersToGroups = m.table("rq_users_to_groups", {
    userId = ref("user_id"):notNull(),
    groupId = ref("group_id"):notNull(),
  }, function(t)
    return { m.primaryKey({ columns = { t.userId, t.groupId } }) }
  end)
  local orders = m.table("rq_orders", {
    tenant = m.integer():notNull(),
    num = m.integer():notNull(),
    label = m.text(),
  }, function(t)
    return { m.primaryKey({ columns = { t.tenant, t.num } }) }
  end)
  local lines = m.table("rq_lines", {
    id = pk(),
    tenant = m.integer():notNull(),
    orderNum = m.integer("order_num"):notNull(),
    qty = m.integer():notNull(),
  })
  return {
    users = users, posts = posts, comments = comments, groups = groups,
    usersToGroups = usersToGroups, orders = orders, lines = lines,
  }
end

local function blogRelations(schema)
  return sleet.defineRelations(schema, function(r)
    return {
      users = {
        posts = r.many.posts({ from = r.users.id, to = r.posts.authorId,
          alias = "author" }),
        edited = r.many.posts({ alias = "editor" }),
        comments = r.many.comments(),
        groups = r.many.groups({
          from = r.users.id:through(r.usersToGroups.userId),
          to = r.groups.id:through(r.usersToGroups.groupId),
        }),
        inviter = r.one.users({ from = r.users.invitedBy, to = r.users.id,
          alias = "invite" }),
        invitees = r.many.users({ alias = "invite" }),
      },
      posts = {
        author = r.one.users({ from = r.posts.authorId, to = r.users.id,
          alias = "author", optional = false }),
        editor = r.one.users({ from = r.posts.editorId, to = r.users.id,
          alias = "editor" }),
        comments = r.many.comments({ from = r.posts.id,
          to = r.comments.postId }),
      },
      comments = {
        post = r.one.posts({ from = r.comments.postId, to = r.posts.id }),
        author = r.one.users({ from = r.comments.authorId, to = r.users.id }),
      },
      groups = { members = r.many.users() },
      orders = {
        lines = r.many.lines({ from = { r.orders.tenant, r.orders.num },
          to = { r.lines.tenant, r.lines.orderNum } }),
      },
      lines = { order = r.one.orders() },
    }
  end)
end

local function seed(db, s)
  db:insert(s.users):values({
    { name = "ada" }, { name = "bob", invitedBy = 1 },
    { name = "cy", invitedBy = 1 }, { name = "dee" },
  }):run()
  db:insert(s.posts):values({
    { authorId = 1, title = "Alpha", editorId = 2 },
    { authorId = 1, title = "Beta" },
    { authorId = 1, title = "Gamma", editorId = 2 },
    { authorId = 2, title = "Delta" },
  }):run()
  db:insert(s.comments):values({
    { postId = 1, authorId = 2, body = "nice" },
    { postId = 1, authorId = 3, body = "meh" },
    { postId = 4, authorId = 1, body = "ok" },
  }):run()
  db:insert(s.groups):values({ { name = "admins" }, { name = "writers" },
    { name = "empty" } }):run()
  db:insert(s.usersToGroups):values({ { userId = 1, groupId = 1 },
    { userId = 1, groupId = 2 }, { userId = 2, groupId = 2 } }):run()
  db:insert(s.orders):values({ { tenant = 1, num = 1, label = "a" },
    { tenant = 1, num = 2, label = "b" }, { tenant = 2, num = 1 } }):run()
  db:insert(s.lines):values({
    { tenant = 1, orderNum = 1, qty = 5 }, { tenant = 1, orderNum = 1, qty = 6 },
    { tenant = 2, orderNum = 1, qty = 7 }, { tenant = 1, orderNum = 2, qty = 8 },
  }):run()
end

-- Deep equality that also tells integers from floats and sleet.null from
-- nil; returns true or false and the path of the first difference.
local function same(a, b, path)
  path = path or "value"
  if check.LUAJIT and (type(a) == "cdata" or type(b) == "cdata") then
    -- LuaJIT: int64 cdata (mode = "bigint") against a written number
    if a == b then return true end
    return false, ("%s: %s vs %s"):format(path, tostring(a), tostring(b))
  end
  if type(a) ~= type(b) then
    return false, ("%s: %s vs %s"):format(path, tostring(a), tostring(b))
  end
  if type(a) == "number" then
    if check.numtype(a) ~= check.numtype(b) then
      return false, ("%s: %s %s vs %s %s"):format(path, check.numtype(a),
        tostring(a), check.numtype(b), tostring(b))
    end
    if a ~= b and not (a ~= a and b ~= b) then
      return false, ("%s: %.17g vs %.17g"):format(path, a, b)
    end
    return true
  end
  if type(a) ~= "table" then
    if a ~= b then
      return false, ("%s: %q vs %q"):format(path, tostring(a), tostring(b))
    end
    return true
  end
  for k, v in pairs(a) do
    local ok, where = same(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, where end
  end
  for k, v in pairs(b) do
    if a[k] == nil then
      return false, ("%s.%s: missing, expected %s"):format(path, tostring(k),
        tostring(v))
    end
  end
  return true
end

local function assert_same(expected, actual)
  local ok, where = same(expected, actual)
  assert(ok, where)
end

local function names(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[key or "name"] end
  return out
end

-- }====================================================================

-- {====================================================================
-- defineRelations and errors without a database
-- =====================================================================

describe("defineRelations", function()
  local m = require "sleet.sqlite"

  it("infers a many from the reverse one, and many-to-many both ways",
    function()
      local s = blog(m, "sqlite")
      local rels = blogRelations(s)
      local c = rels.config
      assert.equal("many", c.users.comments.kind)
      assert.equal(s.comments.authorId, c.users.comments.to[1])
      assert.equal(s.users.id, c.users.comments.from[1])
      assert.equal(s.posts.editorId, c.users.edited.to[1])
      assert.equal(s.usersToGroups, c.groups.members.junction)
      assert.equal(s.usersToGroups.groupId, c.groups.members.viaFrom[1])
      assert.equal(s.usersToGroups.userId, c.groups.members.viaTo[1])
      assert.same({ s.lines.tenant, s.lines.orderNum }, c.lines.order.from)
      assert.is_false(c.posts.author.optional)
    end)

  it("asks for from/to when nothing can be inferred", function()
    local s = blog(m, "sqlite")
    local err = check.raises_kind("usage", sleet.defineRelations, s,
      function(r) return { users = { posts = r.many.posts() } } end)
    assert.matches("users.posts", err.message, 1, true)
    assert.matches("cannot infer", err.message, 1, true)
  end)

  it("infers a relation from the one foreign key between two tables",
    function()
      local users = m.table("fk_users", { id = m.integer():primaryKey() })
      local posts = m.table("fk_posts", {
        id = m.integer():primaryKey(),
        authorId = m.integer("author_id")
          :references(function() return users.id end),
      })
      local notes = m.table("fk_notes", {
        id = m.integer():primaryKey(),
        a = m.integer():references(function() return users.id end),
        b = m.integer():references(function() return users.id end),
      })
      local s = { users = users, posts = posts, notes = notes }
      local c = sleet.defineRelations(s, function(r)
        return { users = { posts = r.many.posts() },
          posts = { author = r.one.users() } }
      end).config
      assert.same({ users.id }, c.users.posts.from)
      assert.same({ posts.authorId }, c.users.posts.to)
      assert.same({ posts.authorId }, c.posts.author.from)
      assert.same({ users.id }, c.posts.author.to)
      -- two foreign keys to choose from: no guess
      local err = check.raises_kind("usage", sleet.defineRelations, s,
        function(r) return { users = { notes = r.many.notes() } } end)
      assert.matches("cannot infer", err.message, 1, true)
    end)

  it("asks for an alias when two relations could be the reverse", function()
    local s = blog(m, "sqlite")
    local err = check.raises_kind("usage", sleet.defineRelations, s,
      function(r)
        return {
          posts = {
            author = r.one.users({ from = r.posts.authorId, to = r.users.id }),
            editor = r.one.users({ from = r.posts.editorId, to = r.users.id }),
          },
          users = { posts = r.many.posts() },
        }
      end)
    assert.matches("alias", err.message, 1, true)
  end)

  it("names unknown tables, columns and options", function()
    local s = blog(m, "sqlite")
    local err = check.raises_kind("usage", sleet.defineRelations, s,
      function(r) return { users = { x = r.many.nope() } } end)
    assert.matches("nope", err.message, 1, true)
    err = check.raises_kind("usage", sleet.defineRelations, s,
      function(r)
        return { users = { p = r.many.posts({ from = r.users.idd }) } }
      end)
    assert.matches("idd", err.message, 1, true)
    err = check.raises_kind("usage", sleet.defineRelations, s,
      function(r) return { users = { p = r.many.posts({ form = 1 }) } } end)
    assert.matches("form", err.message, 1, true)
    err = check.raises_kind("usage", sleet.defineRelations, s,
      function(r)
        return { users = { p = r.many.posts({ from = r.posts.id,
          to = r.users.id }) } }
      end)
    assert.matches("not a column of users", err.message, 1, true)
  end)

  it("refuses relations that are not from defineRelations", function()
    local err = check.raises_kind("usage", sleet.connect, "sqlite::memory:",
      { relations = {} })
    assert.matches("defineRelations", err.message, 1, true)
  end)

  it("gives no db.query without relations", function()
    local db = sleet.connect("sqlite::memory:")
    assert.is_nil(db.query)
    db:close()
  end)
end)

-- The SQL a findMany compiles to, for a dialect, without a database.
local function sqlof(dialect, opts, method)
  local s = blog(require(({ sqlite = "sleet.sqlite", postgresql = "sleet.pg",
    mysql = "sleet.mysql" })[dialect]), dialect)
  local q = relations.api(sleet.queryBuilder(dialect), blogRelations(s))
  return q.users:toSQL(opts, method), s
end

describe("relational SQL", function()
  local opts = {
    columns = { id = true, name = true },
    where = { id = { gt = 0 } },
    with = {
      posts = {
        columns = { title = true },
        orderBy = { id = "desc" }, limit = 2,
        with = { comments = { columns = { body = true } } },
      },
      inviter = { columns = { name = true } },
    },
  }

  it("is one correlated statement on PostgreSQL", function()
    local r = sqlof("postgresql", opts)
    assert.equal('select "id", "name", (select json_build_array("name") ' ..
      'from "rq_users" "d1" where "d1"."id" = "rq_users"."invited_by" ' ..
      'limit 1) as "inviter", (select json_agg("r" order by "n") from ' ..
      '(select json_build_array("title", (select json_agg(' ..
      'json_build_array("body")) from "rq_comments" "d3" where ' ..
      '"d3"."post_id" = "d2"."id")) as "r", row_number() over (order by ' ..
      '"id" desc) as "n" from "rq_posts" "d2" where "d2"."author_id" = ' ..
      '"rq_users"."id" order by "d2"."id" desc limit $1) "t4") as "posts" ' ..
      'from "rq_users" where "rq_users"."id" > $2', r.sql)
    assert.same({ 2, 0 }, r.params)
  end)

  it("uses correlated subqueries with json functions on SQLite", function()
    local r = sqlof("sqlite", opts)
    assert.equal('select "id", "name", (select json_array("name") from ' ..
      '"rq_users" "d1" where "d1"."id" = "rq_users"."invited_by" limit 1) ' ..
      'as "inviter", (select json_group_array(json("r")) from (select ' ..
      'json_array("title", (select json_group_array(json_array("body")) ' ..
      'from "rq_comments" "d3" where "d3"."post_id" = "d2"."id")) as "r" ' ..
      'from "rq_posts" "d2" where "d2"."author_id" = "rq_users"."id" order ' ..
      'by "d2"."id" desc limit ?) "t4") as "posts" from "rq_users" where ' ..
      '"rq_users"."id" > ?', r.sql)
    assert.same({ 2, 0 }, r.params)
  end)

  it("orders and limits inside JSON_ARRAYAGG on MySQL/MariaDB", function()
    local r = sqlof("mysql", opts)
    assert.equal('select `id`, `name`, (select json_array(`name`) from ' ..
      '`rq_users` `d1` where `d1`.`id` = `rq_users`.`invited_by` limit 1) ' ..
      'as `inviter`, (select json_arrayagg(json_array(`title`, (select ' ..
      'json_arrayagg(json_array(`body`)) from `rq_comments` `d3` where ' ..
      '`d3`.`post_id` = `d2`.`id`)) order by `id` desc limit ?) from ' ..
      '`rq_posts` `d2` where `d2`.`author_id` = `rq_users`.`id`) as ' ..
      '`posts` from `rq_users` where `rq_users`.`id` > ?', r.sql)
    assert.same({ 2, 0 }, r.params)
  end)

  it("joins the junction table of a many-to-many relation", function()
    local r = sqlof("postgresql", { columns = { id = true },
      with = { groups = { columns = { name = true } } } })
    assert.equal('select "id", (select json_agg(json_build_array(' ..
      '"d1"."name")) from "rq_groups" "d1" inner join ' ..
      '"rq_users_to_groups" "tr2" on "tr2"."group_id" = "d1"."id" where ' ..
      '"tr2"."user_id" = "rq_users"."id") as "groups" from "rq_users"', r.sql)
  end)

  it("filters on related rows with exists", function()
    local r = sqlof("sqlite", { columns = { id = true },
      where = { posts = { title = { like = "A%" } }, NOT = { comments = true } } })
    assert.equal('select "id" from "rq_users" where (not exists (select 1 ' ..
      'from "rq_comments" "d1" where "d1"."author_id" = "rq_users"."id") ' ..
      'and exists (select 1 from "rq_posts" "d2" where ("d2"."author_id" = ' ..
      '"rq_users"."id" and "d2"."title" like ?)))', r.sql)
    assert.same({ "A%" }, r.params)
  end)

  it("counts related rows as an extra", function()
    local r = sqlof("mysql", { columns = { id = true },
      extras = { postCount = { count = "posts" } } })
    assert.equal('select `id`, (select count(*) from `rq_posts` `d1` where ' ..
      '`d1`.`author_id` = `rq_users`.`id`) as `postCount` from `rq_users`',
      r.sql)
  end)

  it("limits findFirst to one row", function()
    local r = sqlof("postgresql", { columns = { id = true } }, "findFirst")
    assert.equal('select "id" from "rq_users" limit $1', r.sql)
    assert.same({ 1 }, r.params)
  end)

  it("sends exact values as text or hex inside JSON", function()
    local pg = require "sleet.pg"
    local t = pg.table("vals", { id = pg.serial():primaryKey(),
      n = pg.numeric(), ts = pg.timestamp(), b = pg.bytea() })
    local rels = sleet.defineRelations({ vals = t }, function(r)
      return { vals = { self = r.one.vals({ from = r.vals.id,
        to = r.vals.id }) } }
    end)
    local q = relations.api(sleet.queryBuilder("pg"), rels)
    assert.equal('select "id", "n", "ts", "b", (select json_build_array(' ..
      '"id", "n"::text, "ts"::text, encode("b", \'hex\')) from "vals" "d1" ' ..
      'where "d1"."id" = "vals"."id" limit 1) as "self" from "vals"',
      q.vals:toSQL({ with = { self = true } }).sql)
  end)

  describe("usage errors name what is misspelled", function()
    local cases = {
      { "with", { with = { postz = true } }, "postz" },
      { "nested with", { with = { posts = { with = { comentz = true } } } },
        "comentz" },
      { "columns", { columns = { nmae = true } }, "nmae" },
      { "where column", { where = { nmae = "x" } }, "nmae" },
      { "where in a relation", { where = { posts = { titel = "x" } } },
        "titel" },
      { "orderBy", { orderBy = { nmae = "asc" } }, "nmae" },
      { "operator", { where = { id = { greater = 1 } } }, "greater" },
      { "count", { extras = { n = { count = "postz" } } }, "postz" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local err = check.raises_kind("validation", sqlof, "sqlite", c[2])
        assert.matches(c[3], err.message, 1, true)
      end)
    end

    it("unknown options and tables", function()
      local err = check.raises_kind("usage", sqlof, "sqlite", { limt = 1 })
      assert.matches("limt", err.message, 1, true)
      local s = blog(require "sleet.sqlite", "sqlite")
      local q = relations.api(sleet.queryBuilder("sqlite"), blogRelations(s))
      err = check.raises_kind("usage", function() return q.userz end)
      assert.matches("userz", err.message, 1, true)
      err = check.raises_kind("usage", q.users.findMany, {})
      assert.matches("colon", err.message, 1, true)
    end)
  end)
end)

-- }====================================================================

-- {====================================================================
-- Live databases
-- =====================================================================

for _, d in ipairs(dialects.live()) do
  describe("relational queries on " .. d.name, function()
    local db, s, count
    before_each(function()
      local opts = { logger = function() count = count + 1 end }
      count = 0
      db, s = d.open(function(m)
        local schema = blog(m, d.name)
        opts.relations = blogRelations(schema)
        return schema
      end, opts)
      seed(db, s)
      count = 0
    end)
    after_each(function() db:close() end)

    it("nests three levels in one statement", function()
      local rows = db.query.users:findMany({
        columns = { id = true, name = true },
        orderBy = { id = "asc" },
        with = {
          posts = {
            columns = { id = true, title = true },
            orderBy = { id = "asc" },
            with = {
              comments = {
                columns = { body = true }, orderBy = { id = "asc" },
                with = { author = { columns = { name = true } } },
              },
            },
          },
        },
      })
      assert.equal(1, count)
      assert_same({
        { id = 1, name = "ada", posts = {
          { id = 1, title = "Alpha", comments = {
            { body = "nice", author = { name = "bob" } },
            { body = "meh", author = { name = "cy" } },
          } },
          { id = 2, title = "Beta", comments = {} },
          { id = 3, title = "Gamma", comments = {} },
        } },
        { id = 2, name = "bob", posts = {
          { id = 4, title = "Delta", comments = {
            { body = "ok", author = { name = "ada" } },
          } },
        } },
        { id = 3, name = "cy", posts = {} },
        { id = 4, name = "dee", posts = {} },
      }, rows)
    end)

    it("loads many-to-many relations both ways", function()
      local u = db.query.users:findMany({
        columns = { name = true }, orderBy = { id = "asc" },
        with = { groups = { columns = { name = true },
          orderBy = { name = "asc" } } },
      })
      assert_same({
        { name = "ada", groups = { { name = "admins" }, { name = "writers" } } },
        { name = "bob", groups = { { name = "writers" } } },
        { name = "cy", groups = {} }, { name = "dee", groups = {} },
      }, u)
      local g = db.query.groups:findMany({
        columns = { name = true }, orderBy = { id = "asc" },
        with = { members = { columns = { name = true },
          orderBy = { id = "desc" } } },
      })
      assert_same({
        { name = "admins", members = { { name = "ada" } } },
        { name = "writers", members = { { name = "bob" }, { name = "ada" } } },
        { name = "empty", members = {} },
      }, g)
      assert.equal(2, count)
    end)

    it("orders, limits and offsets each relation", function()
      local function titles(opts)
        local ada = db.query.users:findFirst({ where = { id = 1 },
          with = { posts = opts } })
        return names(ada.posts, "title")
      end
      assert.same({ "Gamma", "Beta", "Alpha" },
        titles({ orderBy = { id = "desc" } }))
      assert.same({ "Gamma", "Beta" },
        titles({ orderBy = { id = "desc" }, limit = 2 }))
      assert.same({ "Beta" },
        titles({ orderBy = { id = "desc" }, limit = 1, offset = 1 }))
      assert.same({ "Beta", "Alpha" },
        titles({ orderBy = { id = "desc" }, offset = 1 }))
      assert.same({ "Alpha", "Beta" },
        titles({ orderBy = { sleet.asc(s.posts.title) }, limit = 2 }))
      assert.same({ "Gamma", "Beta" }, titles({
        orderBy = function(p, ops) return { ops.desc(p.title) } end,
        limit = 2 }))
      assert.same({}, titles({ orderBy = { id = "desc" }, offset = 5 }))
      assert.equal(7, count)
    end)

    it("filters on related rows", function()
      local function who(where)
        return names(db.query.users:findMany({ columns = { name = true },
          where = where, orderBy = { id = "asc" } }))
      end
      assert.same({ "ada" }, who({ posts = { title = { like = "G%" } } }))
      assert.same({ "ada", "bob" }, who({ posts = true }))
      assert.same({ "cy", "dee" }, who({ NOT = { posts = true } }))
      assert.same({ "bob" },
        who({ posts = { comments = { body = "ok" } } }))
      assert.same({ "ada" }, who({ groups = { name = "admins" } }))
      assert.same({ "bob", "cy" }, who({ inviter = { name = "ada" } }))
      assert.same({ "ada", "bob", "cy" }, who({ comments = true }))
      -- a filter inside a relation keeps the parent rows
      local ada = db.query.users:findFirst({ where = { name = "ada" },
        with = { posts = { where = { title = { ne = "Beta" } },
          orderBy = { id = "asc" } } } })
      assert.same({ "Alpha", "Gamma" }, names(ada.posts, "title"))
    end)

    it("supports the field operators, AND/OR/NOT and RAW", function()
      local function who(where)
        return names(db.query.users:findMany({ columns = { name = true },
          where = where, orderBy = { id = "asc" } }))
      end
      assert.same({ "bob", "cy" }, who({ id = { ["in"] = { 2, 3 } } }))
      assert.same({ "ada", "dee" }, who({ id = { notIn = { 2, 3 } } }))
      assert.same({ "cy", "dee" }, who({ id = { gte = 3 } }))
      assert.same({ "ada", "bob" }, who({ id = { lt = 3, gt = 0 } }))
      assert.same({ "ada", "dee" }, who({ invitedBy = { isNull = true } }))
      assert.same({ "bob", "cy" }, who({ invitedBy = { isNotNull = true } }))
      assert.same({ "ada", "dee" }, who({ invitedBy = sleet.null }))
      assert.same({ "ada" }, who({ name = { ilike = "AD%" } }))
      assert.same({ "bob", "cy", "dee" }, who({ name = { notLike = "a%" } }))
      assert.same({ "ada", "dee" },
        who({ OR = { { name = "ada" }, { name = "dee" } } }))
      assert.same({ "bob" },
        who({ AND = { { id = { gt = 1 } }, { id = { lt = 3 } } } }))
      assert.same({ "cy", "dee" }, who({ NOT = { id = { lt = 3 } } }))
      assert.same({ "ada", "cy" },
        who({ id = { OR = { { eq = 1 }, { eq = 3 } } } }))
      assert.same({ "bob" },
        who({ RAW = sleet.sql("? = ?", s.users.name, "bob") }))
      assert.same({ "cy" }, who({ RAW = function(t, ops)
        return ops.eq(t.name, "cy")
      end }))
      -- RAW in a relation refers to the related row
      assert.same({ "ada" }, who({ posts = {
        RAW = sleet.sql("? = ?", s.posts.title, "Beta") } }))
    end)

    it("counts related rows", function()
      local rows = db.query.users:findMany({
        columns = { name = true }, orderBy = { id = "asc" },
        extras = {
          postCount = { count = "posts" },
          aPosts = { count = "posts", where = { title = { like = "A%" } } },
        },
        with = { groups = { columns = { name = true }, orderBy = { id = "asc" },
          extras = { memberCount = { count = "members" } } } },
      })
      assert.equal(1, count)
      assert_same({
        { name = "ada", postCount = 3, aPosts = 1, groups = {
          { name = "admins", memberCount = 1 },
          { name = "writers", memberCount = 2 } } },
        { name = "bob", postCount = 1, aPosts = 0,
          groups = { { name = "writers", memberCount = 2 } } },
        { name = "cy", postCount = 0, aPosts = 0, groups = {} },
        { name = "dee", postCount = 0, aPosts = 0, groups = {} },
      }, rows)
    end)

    it("computes extras at every level", function()
      local rows = db.query.users:findMany({
        columns = { id = true }, orderBy = { id = "asc" }, limit = 1,
        extras = { shout = sleet.sql("upper(?)", s.users.name) },
        with = { posts = { orderBy = { id = "asc" },
          columns = { id = false, authorId = false, editorId = false,
            title = false },
          extras = { t = sleet.sql("lower(?)", s.posts.title),
            u = function(p) return sleet.sql("upper(?)", p.title) end } } },
      })
      assert_same({ { id = 1, shout = "ADA", posts = {
        { t = "alpha", u = "ALPHA" }, { t = "beta", u = "BETA" },
        { t = "gamma", u = "GAMMA" } } } }, rows)
    end)

    it("reads empty many as {}, a missing one as nil", function()
      local dee = db.query.users:findFirst({ where = { name = "dee" },
        with = { posts = true, inviter = true, groups = true,
          invitees = true } })
      assert.same({}, dee.posts)
      assert.same({}, dee.groups)
      assert.same({}, dee.invitees)
      assert.is_nil(dee.inviter)
      local bob = db.query.users:findFirst({ where = { name = "bob" },
        with = { inviter = { columns = { name = true } },
          invitees = true } })
      assert.same({ name = "ada" }, bob.inviter)
      assert.same({}, bob.invitees)
      assert.is_nil(db.query.users:findFirst({ where = { name = "zed" } }))
      assert.same({}, db.query.users:findMany({ where = { id = { gt = 99 } } }))
    end)

    it("includes or excludes columns", function()
      local only = db.query.users:findFirst({ columns = { name = true },
        where = { id = 2 } })
      assert_same({ name = "bob" }, only)
      local without = db.query.users:findFirst({ columns = { name = false },
        where = { id = 2 } })
      assert_same({ id = 2, invitedBy = 1 }, without)
      local p = db.query.posts:findFirst({ where = { id = 1 },
        columns = { title = true },
        with = { editor = { columns = { id = false, invitedBy = false } },
          author = { columns = { name = true } } } })
      assert_same({ title = "Alpha", editor = { name = "bob" },
        author = { name = "ada" } }, p)
    end)

    it("follows composite keys", function()
      local orders = db.query.orders:findMany({
        orderBy = { tenant = "asc", num = "asc" },
        with = { lines = { columns = { qty = true },
          orderBy = { qty = "asc" } } },
      })
      assert_same({
        { tenant = 1, num = 1, label = "a", lines = { { qty = 5 }, { qty = 6 } } },
        { tenant = 1, num = 2, label = "b", lines = { { qty = 8 } } },
        { tenant = 2, num = 1, lines = { { qty = 7 } } },
      }, orders)
      local line = db.query.lines:findFirst({ where = { qty = 7 },
        columns = { qty = true }, with = { order = { columns = { label =
        true, tenant = true } } } })
      assert_same({ qty = 7, order = { tenant = 2 } }, line)
    end)

    it("runs exactly one statement per call", function()
      count = 0
      db.query.users:findMany({ with = { posts = { with = { comments = {
        with = { author = true, post = true } } } }, groups = {
        with = { members = true } }, invitees = true, inviter = true },
        extras = { n = { count = "comments" } } })
      assert.equal(1, count)
      db.query.users:findFirst({ with = { posts = true } })
      assert.equal(2, count)
      db.query.groups:findMany()
      assert.equal(3, count)
    end)

    it("works inside transactions and as a prepared query", function()
      db:transaction(function(tx)
        tx:insert(s.users):values({ name = "eve" }):run()
        local eve = tx.query.users:findFirst({ where = { name = "eve" },
          with = { posts = true } })
        assert.same({}, eve.posts)
      end)
      local byName = db.query.users:prepare("findFirst", {
        columns = { name = true },
        where = { name = sleet.placeholder("name") },
        with = { posts = { columns = { title = true },
          orderBy = { id = "asc" }, limit = sleet.placeholder("n") } },
      })
      assert_same({ name = "ada", posts = { { title = "Alpha" } } },
        byName:execute({ name = "ada", n = 1 }))
      assert_same({ name = "bob", posts = { { title = "Delta" } } },
        byName:execute({ name = "bob", n = 5 }))
      assert.is_nil(byName:execute({ name = "nobody", n = 1 }))
    end)

    it("is correct for 1,000 parents x 10 children", function()
      db:execute(sleet.sql("delete from ?", s.comments))
      db:execute(sleet.sql("delete from ?", s.posts))
      db:execute(sleet.sql("delete from ?", s.users))
      local N, K = 1000, 10
      for base = 0, N - 1, 250 do
        local rows = {}
        for i = base + 1, base + 250 do
          rows[#rows + 1] = { name = ("user%04d"):format(i) }
        end
        db:insert(s.users):values(rows):run()
      end
      local ids = {}
      for _, u in ipairs(db:select({ id = s.users.id, name = s.users.name })
        :from(s.users):all()) do
        ids[u.name] = u.id
      end
      for base = 0, N - 1, 100 do
        local rows = {}
        for i = base + 1, base + 100 do
          for j = 1, K do
            rows[#rows + 1] = { authorId = ids[("user%04d"):format(i)],
              title = ("t%04d-%02d"):format(i, j) }
          end
        end
        db:insert(s.posts):values(rows):run()
      end
      count = 0
      local users = db.query.users:findMany({
        columns = { id = true, name = true }, orderBy = { name = "asc" },
        with = { posts = { columns = { title = true, authorId = true },
          orderBy = { title = "desc" } } },
      })
      assert.equal(1, count)
      assert.equal(N, #users)
      for i, u in ipairs(users) do
        assert.equal(("user%04d"):format(i), u.name)
        assert.equal(K, #u.posts)
        for j, p in ipairs(u.posts) do
          assert.equal(("t%04d-%02d"):format(i, K + 1 - j), p.title)
          assert.equal(u.id, p.authorId)
        end
      end
      local limited = db.query.users:findMany({ columns = { name = true },
        with = { posts = { limit = 3, orderBy = { title = "asc" },
          columns = { title = true } } }, orderBy = { name = "desc" } })
      assert.equal(N, #limited)
      assert.same({ "t1000-01", "t1000-02", "t1000-03" },
        names(limited[1].posts, "title"))
    end)
  end)
end

-- }====================================================================

-- {====================================================================
-- Values: nested rows equal the flat builder's rows, every column type
-- =====================================================================

local typebuilders = {}

function typebuilders.sqlite(m)
  return m.table("rq_types", {
    id = m.integer():primaryKey(),
    grp = m.integer():notNull(),
    i = m.integer({ mode = "bigint" }),
    r = m.real(),
    t = m.text(),
    b = m.integer({ mode = "boolean" }),
    ts = m.integer({ mode = "timestamp" }),
    tsm = m.integer({ mode = "timestamp_ms" }),
    j = m.text({ mode = "json" }),
    bl = m.blob(),
    n = m.numeric(),
    nn = m.numeric({ mode = "number" }),
  })
end

function typebuilders.postgresql(m)
  return m.table("rq_types", {
    id = m.serial():primaryKey(),
    grp = m.integer():notNull(),
    i = m.integer(),
    bi = m.bigint({ mode = "bigint" }),
    si = m.smallint(),
    b = m.boolean(),
    t = m.text(),
    vc = m.varchar({ length = 20 }),
    n = m.numeric({ precision = 30, scale = 9 }),
    nn = m.numeric({ mode = "number" }),
    r = m.real(),
    d = m.doublePrecision(),
    j = m.json(),
    jb = m.jsonb(),
    u = m.uuid(),
    by = m.bytea(),
    dt = m.date(),
    tm = m.time(),
    ts = m.timestamp(),
    tsz = m.timestamp({ withTimezone = true }),
    tse = m.timestamp({ mode = "epoch" }),
    iv = m.interval(),
  })
end

function typebuilders.mysql(m)
  return m.table("rq_types", {
    id = m.serial():primaryKey(),
    grp = m.int():notNull(),
    i = m.int(),
    bi = m.bigint({ mode = "bigint" }),
    bu = m.bigint({ unsigned = true, mode = "bigint" }),
    ti = m.tinyint(),
    b = m.boolean(),
    f = m.float(),
    d = m.double(),
    n = m.decimal({ precision = 30, scale = 9 }),
    nn = m.decimal({ precision = 10, scale = 2, mode = "number" }),
    vc = m.varchar({ length = 20 }),
    t = m.text(),
    j = m.json(),
    bl = m.blob(),
    vb = m.varbinary({ length = 16 }),
    dt = m.date(),
    dtm = m.datetime(),
    dtm3 = m.datetime({ fsp = 3 }),
    ts = m.timestamp(),
    tm = m.time(),
    tm3 = m.time({ fsp = 3 }),
  })
end

local typevalues = {
  sqlite = {
    { grp = 1, i = check.BEYOND53, r = 0.1 + 0.2, t = "héllo\n\"q\"",
      b = true, ts = "2024-02-29T13:14:15Z",
      tsm = "2024-02-29T13:14:15.123Z", j = { a = { 1, 2, 3 }, b = "x" },
      bl = "\0\1\255binary", n = "12.5", nn = 1.25 },
    { grp = 1 },
    { grp = 1, i = check.MININT, r = 1e300, t = "", b = false,
      ts = "1969-12-31T23:59:59Z", tsm = "1970-01-01T00:00:00.001Z",
      j = { 1, "two", { three = 3 } }, bl = "", n = "0.1", nn = -0.5 },
  },
  postgresql = {
    { grp = 1, i = 2147483647, bi = check.BEYOND53, si = -32768, b = true,
      t = "héllo\n\"q\"", vc = "v", n = "12345678901234567890.123456789",
      nn = 1.5, r = 1.1, d = 0.1 + 0.2, j = { a = { 1, 2, 3 } },
      jb = { b = "x", c = { true, false } },
      u = "123e4567-e89b-12d3-a456-426614174000", by = "\0\1\255bytes",
      dt = "2024-02-29", tm = "13:14:15.12", ts = "2024-02-29T13:14:15.5Z",
      tsz = "2024-02-29T13:14:15Z", tse = 1709212455, iv = "1 day 02:00:00" },
    { grp = 1 },
    { grp = 1, i = -1, bi = check.MININT, si = 0, b = false, t = "",
      vc = "", n = "0.000000001", nn = -0.25, r = 3.4e38, d = 1e300,
      j = { 1, "two" }, jb = {}, u = "00000000-0000-0000-0000-000000000000",
      by = "", dt = "1970-01-01", tm = "00:00:00",
      ts = "1970-01-01T00:00:00Z", tsz = "1999-12-31T23:59:59.999Z",
      tse = 0, iv = "00:00:01" },
  },
  mysql = {
    { grp = 1, i = 2147483647, bi = check.BEYOND53,
      bu = check.MAXINT, ti = -128, b = true, f = 1.2345678,
      d = 0.1 + 0.2, n = "12345678901234567890.123456789", nn = 1.5,
      vc = "v", t = "héllo\n\"q\"", j = { a = { 1, 2, 3 } },
      bl = "\0\1\255blob", vb = "\255\0", dt = "2024-02-29",
      dtm = "2024-02-29T13:14:15Z", dtm3 = "2024-02-29T13:14:15.120Z",
      ts = "2024-02-29T13:14:15Z", tm = "13:14:10", tm3 = "13:14:15.120" },
    { grp = 1 },
    { grp = 1, i = -1, bi = check.MININT, bu = 0, ti = 0, b = false,
      f = 3.4e38, d = 1e300, n = "0.000000001", nn = -0.25, vc = "", t = "",
      j = { 1, "two" }, bl = "", vb = "", dt = "1970-01-01",
      dtm = "1970-01-01T00:00:00Z", dtm3 = "1999-12-31T23:59:59.999Z",
      ts = "2000-01-01T00:00:00Z", tm = "23:59:59", tm3 = "00:00:00.5" },
  },
}

for _, d in ipairs(dialects.live()) do
  describe("nested values on " .. d.name, function()
    local db, t
    before_each(function()
      local opts = {}
      db = d.open(function(m)
        t = typebuilders[d.name](m)
        local schema = { types = t }
        opts.relations = sleet.defineRelations(schema, function(r)
          return { types = {
            self = r.one.types({ from = r.types.id, to = r.types.id }),
            all = r.many.types({ from = r.types.grp, to = r.types.grp }),
          } }
        end)
        return schema
      end, opts)
      for _, row in ipairs(typevalues[d.name]) do
        db:insert(t):values(row):run()
      end
    end)
    after_each(function() db:close() end)

    it("equal the flat builder's for every column type", function()
      local flat = db:select():from(t):orderBy(t.id):all()
      assert.equal(#typevalues[d.name], #flat)
      local rows = db.query.types:findMany({ orderBy = { id = "asc" },
        with = { self = true, all = { orderBy = { id = "asc" } } } })
      assert.equal(#flat, #rows)
      for i, row in ipairs(rows) do
        local self, all = row.self, row.all
        row.self, row.all = nil, nil
        assert_same(flat[i], row)
        assert_same(flat[i], self)
        assert.equal(#flat, #all)
        for k, nested in ipairs(all) do assert_same(flat[k], nested) end
      end
    end)
  end)
end

for _, d in ipairs(dialects.live()) do
  describe("wide rows on " .. d.name, function()
    it("build JSON rows of more items than a function takes", function()
      local opts, t = {}, nil
      local db = d.open(function(m)
        local cols = { id = m.integer():primaryKey() }
        for i = 1, 230 do cols[("c%03d"):format(i)] = m.integer() end
        t = m.table("rq_wide", cols)
        opts.relations = sleet.defineRelations({ wide = t }, function(r)
          return { wide = {
            self = r.one.wide({ from = r.wide.id, to = r.wide.id }),
            all = r.many.wide({ from = r.wide.id, to = r.wide.id }),
          } }
        end)
        return { wide = t }
      end, opts)
      local row = { id = 1 }
      for i = 1, 230 do row[("c%03d"):format(i)] = i * 3 end
      db:insert(t):values(row):run()
      local r = db.query.wide:findFirst({ with = { self = true, all = {
        orderBy = { id = "asc" } } } })
      local flat = db:select():from(t):get()
      local self, all = r.self, r.all
      r.self, r.all = nil, nil
      assert_same(flat, r)
      assert_same(flat, self)
      assert_same({ flat }, all)
      db:close()
    end)
  end)
end

-- }====================================================================
