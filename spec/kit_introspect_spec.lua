-- Introspection (sleet.introspect) on every live dialect: a database made
-- from a schema reads back as a snapshot that diffs empty against the
-- schema's own snapshot (so push right after push does nothing), for a
-- schema using every column type, default kind and constraint the dialect
-- offers.
local dialects = require "spec.support.dialects"
local introspect = require "sleet.introspect"
local kit = require "sleet.kit"
local sleet = require "sleet"
local snapshot = require "sleet.snapshot"

local sql, ident = sleet.sql, sleet.identifier

local build = {}

function build.sqlite(m)
  local users = m.table("ki_users", {
    id = m.integer():primaryKey({ autoIncrement = true }),
    name = m.text():notNull(),
    email = m.text():notNull():unique(),
    role = m.text({ enum = { "admin", "member" } }):notNull()
      :default("member"),
    quote = m.text():default("it's"),
    score = m.integer():default(-1),
    ratio = m.real():default(1.5),
    active = m.integer({ mode = "boolean" }):notNull():default(true),
    created = m.integer({ mode = "timestamp" }):notNull():defaultNow(),
    stamp = m.text():defaultNow(),
    data = m.text({ mode = "json" }),
    bits = m.blob(),
    amount = m.numeric(),
    nameLen = m.integer("name_len"):generatedAlwaysAs(sql("length(?)",
      ident("name"))),
  }, function(t)
    return {
      m.index("ki_users_name_idx"):on(t.name),
      m.uniqueIndex("ki_users_lower_email"):on(sql("lower(?)", t.email)),
      m.index("ki_users_score_idx"):on(t.score):where(sql("? > 0", t.score)),
      m.index("ki_users_score_desc"):on(t.score:desc(), t.name),
      m.check("ki_users_score_check", sql("? > -10", t.score)),
    }
  end)
  local posts = m.table("ki_posts", {
    id = m.integer():primaryKey(),
    authorId = m.integer("author_id"):notNull()
      :references(function() return users.id end, { onDelete = "cascade",
        onUpdate = "restrict" }),
    slug = m.text():notNull(),
    title = m.text(),
  }, function(t)
    return { m.unique("ki_posts_author_slug"):on(t.authorId, t.slug) }
  end)
  local tags = m.table("ki_post_tags", {
    postId = m.integer("post_id"):notNull(),
    tag = m.text():notNull(),
  }, function(t)
    return {
      m.primaryKey({ columns = { t.postId, t.tag } }),
      m.foreignKey({ columns = { t.postId }, foreignColumns = { posts.id } })
        :onDelete("set null"),
    }
  end)
  return { users = users, posts = posts, tags = tags }
end

function build.postgresql(m)
  local mood = m.enum("ki_mood", { "sad", "ok", "happy" })
  local auth = m.schema("ki_auth")
  local users = m.table("ki_users", {
    id = m.serial():primaryKey(),
    name = m.text():notNull(),
    email = m.varchar({ length = 255 }):notNull():unique(),
    role = m.text():notNull():default("member"),
    quote = m.text():default("it's"),
    score = m.integer():default(-1),
    ratio = m.doublePrecision():default(1.5),
    price = m.numeric({ precision = 10, scale = 2 }),
    amount = m.numeric({ precision = 8 }),
    plain = m.numeric(),
    active = m.boolean():notNull():default(true),
    data = m.jsonb():default({ a = 1 }),
    doc = m.json(),
    uid = m.uuid():defaultRandom(),
    created = m.timestamp({ withTimezone = true }):notNull():defaultNow(),
    t3 = m.timestamp({ precision = 3 }),
    day = m.date(),
    at = m.time(),
    atz = m.time({ withTimezone = true }),
    big = m.bigint(),
    small = m.smallint(),
    bigid = m.bigserial(),
    bits = m.bytea(),
    code = m.char({ length = 2 }),
    short = m.varchar({ length = 20 }),
    span = m.interval(),
    real = m.real(),
    mood = mood(),
    ip = m.inet(),
    seqno = m.bigint():generatedByDefaultAsIdentity({ startWith = 10,
      increment = 2, cycle = true }),
    net = m.cidr(),
    mac = m.macaddr(),
    mac8 = m.macaddr8(),
    nameLen = m.integer("name_len"):generatedAlwaysAs(sql("length(?)",
      ident("name"))),
  }, function(t)
    return {
      m.index("ki_users_name_idx"):on(t.name),
      m.uniqueIndex("ki_users_lower_email"):on(sql("lower(?)", t.email)),
      m.index("ki_users_active_idx"):on(t.score):where(sql("? = true",
        t.active)),
      m.index("ki_users_score_desc"):on(t.score:desc():nullsLast(),
        t.name:nullsFirst()),
      m.index("ki_users_data_gin"):using("gin", t.data),
      m.uniqueIndex("ki_users_short_nnd"):on(t.short):nullsNotDistinct(),
      m.check("ki_users_score_check", sql("? > -10", t.score)),
    }
  end)
  local posts = m.table("ki_posts", {
    id = m.serial():primaryKey(),
    authorId = m.integer("author_id"):notNull()
      :references(function() return users.id end, { onDelete = "cascade",
        onUpdate = "restrict" }),
    slug = m.text():notNull(),
    rank = m.integer():generatedAlwaysAsIdentity(),
  }, function(t)
    return {
      m.unique("ki_posts_author_slug"):on(t.authorId, t.slug),
      m.unique("ki_posts_slug_nnd"):on(t.slug):nullsNotDistinct(),
      m.policy("ki_posts_read", { for_ = "select",
        using = sql("? <> ''", t.slug) }),
      m.policy("ki_posts_add", { as = "restrictive", for_ = "insert",
        to = { "public" }, withCheck = sql("? > 0", t.authorId) }),
    }
  end)
  local tags = m.table("ki_post_tags", {
    postId = m.integer("post_id"):notNull(),
    tag = m.text():notNull(),
  }, function(t)
    return {
      m.primaryKey({ columns = { t.postId, t.tag } }),
      m.foreignKey({ columns = { t.postId }, foreignColumns = { posts.id } })
        :onDelete("set null"),
    }
  end)
  local sessions = auth.table("ki_sessions", {
    id = m.uuid():primaryKey():defaultRandom(),
    userId = m.integer("user_id"):notNull()
      :references(function() return users.id end),
  })
  return { counter = m.sequence("ki_counter", { startWith = 100,
      increment = 5, cycle = true }),
    authSeq = auth.sequence("ki_auth_seq"),
    users = users, posts = posts, tags = tags, sessions = sessions,
    mood = mood }
end

function build.mysql(m)
  local users = m.table("ki_users", {
    id = m.serial():primaryKey(),
    name = m.varchar({ length = 100 }):notNull(),
    email = m.varchar({ length = 255 }):notNull():unique(),
    role = m.varchar({ length = 16 }):notNull():default("member"),
    quote = m.varchar({ length = 16 }):default("it's"),
    score = m.int():default(-1),
    tiny = m.tinyint(),
    small = m.smallint({ unsigned = true }),
    big = m.bigint({ unsigned = true }),
    ratio = m.double():default(1.5),
    f = m.float(),
    price = m.decimal({ precision = 10, scale = 2 }),
    plain = m.decimal(),
    active = m.boolean():notNull():default(true),
    data = m.json(),
    body = m.text(),
    code = m.char({ length = 2 }),
    bin = m.binary({ length = 4 }),
    vbin = m.varbinary({ length = 16 }),
    blob = m.blob(),
    day = m.date(),
    dt = m.datetime({ fsp = 3 }),
    created = m.timestamp():notNull():defaultNow(),
    touched = m.timestamp({ fsp = 3 }):notNull():defaultNow():onUpdateNow(),
    at = m.time(),
    mood = m.enum({ "sad", "ok" }):default("ok"),
    nameLen = m.int("name_len"):generatedAlwaysAs(sql("char_length(?)",
      ident("name")), { mode = "stored" }),
  }, function(t)
    return {
      m.index("ki_users_name_idx"):on(t.name),
      m.index("ki_users_score_desc"):on(t.score:desc(), t.name),
      m.uniqueIndex("ki_users_role_email"):on(t.role, t.email),
      m.check("ki_users_score_check", sql("? > -10", t.score)),
    }
  end)
  local posts = m.table("ki_posts", {
    id = m.serial():primaryKey(),
    authorId = m.bigint("author_id", { unsigned = true }):notNull()
      :references(function() return users.id end, { onDelete = "cascade" }),
    slug = m.varchar({ length = 64 }):notNull(),
  }, function(t)
    return { m.unique("ki_posts_author_slug"):on(t.authorId, t.slug) }
  end)
  local tags = m.table("ki_post_tags", {
    postId = m.bigint("post_id", { unsigned = true }),
    tag = m.varchar({ length = 32 }):notNull(),
  }, function(t)
    return {
      m.primaryKey({ columns = { t.tag, t.postId } }),
    }
  end)
  return { users = users, posts = posts, tags = tags }
end

local NAMES = { "ki_post_tags", "ki_posts", "ki_users" }

local function util_keys(t)
  local out = {}
  for k in pairs(t or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

for _, d in ipairs(dialects.live()) do
  describe("introspection on " .. d.name, function()
    local db, schema

    before_each(function()
      db = d.connect()
      d.drop(db, table.unpack(NAMES))
      if d.name == "postgresql" then
        db:run('drop schema if exists "ki_auth" cascade')
        db:run('drop type if exists "ki_mood" cascade')
        db:run('drop sequence if exists "ki_counter"')
      end
      schema = build[d.name](d.module())
    end)

    after_each(function()
      d.drop(db, table.unpack(NAMES))
      if d.name == "postgresql" then
        db:run('drop schema if exists "ki_auth" cascade')
        db:run('drop type if exists "ki_mood" cascade')
        db:run('drop sequence if exists "ki_counter"')
      end
      db:close()
    end)

    it("reads back a pushed schema with no difference", function()
      local stmts = kit.push(db, schema)
      assert.is_true(#stmts > 0)
      local r, live = kit.plan(db, schema)
      assert.same({}, r.statements, snapshot.encode(live))
      -- push again: nothing to do
      assert.same({}, (kit.push(db, schema)))
    end)

    it("pull writes a schema that reads back with no difference",
      function()
        kit.push(db, schema)
        local config = { dialect = d.name, tablesFilter = "ki_*",
          schemaFilter = { "public", "ki_auth" } }
        local r = kit.pull(config, { db = db, write = false })
        assert.same({}, r.notes)
        local pulled = assert(load(r.schema, "=schema.lua"))()
        -- every table of the schema, and nothing else
        local want = snapshot.build(schema, d.name)
        local got = snapshot.build(pulled, d.name)
        assert.same(util_keys(want.tables), util_keys(got.tables))
        assert.same(util_keys(want.enums), util_keys(got.enums))
        assert.same({}, kit.plan(db, pulled).statements)
        -- the relations load against the pulled schema
        local rel = assert(load(r.relations, "=relations.lua"))()(pulled)
        assert.equal("relations", getmetatable(rel).__kind)
        -- pulling again gives the same bytes
        local again = kit.pull(config, { db = db, write = false })
        assert.equal(r.schema, again.schema)
        assert.equal(r.relations, again.relations)
      end)

    it("index columns keep their direction; NULLS order and using are " ..
      "PostgreSQL's", function()
      kit.push(db, schema)
      local live = introspect.snapshot(db)
      local ix = live.tables[snapshot.tablekey(d.name, nil, "ki_users")]
        .indexes.ki_users_score_desc
      assert.is_false(ix.columns[1].asc)
      assert.is_true(ix.columns[2].asc)
      local m = d.module()
      local function table_with(extra)
        return { t = m.table("ki_extra", { a = m.integer(), b = m.text() },
          function(t) return { extra(t) } end) }
      end
      if d.name == "postgresql" then
        assert.equal("last", ix.columns[1].nulls)
        assert.equal("first", ix.columns[2].nulls)
        local gin = live.tables["public.ki_users"].indexes.ki_users_data_gin
        assert.equal("gin", gin.method)
        assert.is_true(live.tables["public.ki_users"].indexes
          .ki_users_short_nnd.nullsNotDistinct)
        assert.is_nil(gin.nullsNotDistinct)
        local ddl = table.concat(kit.export(table_with(function(t)
          return m.index("ki_extra_idx"):on(t.a:desc():nullsLast(),
            t.b:nullsFirst())
        end), d.name), "\n")
        assert.truthy(ddl:find('("a" desc nulls last,"b" asc nulls first)',
          1, true), ddl)
        local posts = live.tables["public.ki_posts"]
        assert.is_true(posts.uniqueConstraints.ki_posts_slug_nnd
          .nullsNotDistinct)
        assert.is_nil(posts.uniqueConstraints.ki_posts_author_slug
          .nullsNotDistinct)
      else
        for _, extra in ipairs({
          function(t) return m.index("ki_extra_idx"):on(t.a:nullsFirst()) end,
          function(t) return m.index("ki_extra_idx"):using("hash", t.a) end,
          function(t) return m.unique("ki_extra_u"):on(t.a):nullsNotDistinct()
          end,
          function(t) return m.index("ki_extra_idx"):on(t.a):concurrently()
          end,
        }) do
          local ok, err = pcall(kit.export, table_with(extra), d.name)
          assert.is_false(ok)
          assert.equal("usage", err.kind)
          assert.truthy(err.message:find("PostgreSQL's", 1, true),
            err.message)
        end
      end
      local ok, err = pcall(function()
        return m.unique("ki_u"):on(m.table("ki_x", { a = m.integer() }).a
          :desc())
      end)
      assert.is_false(ok)
      assert.truthy(err.message:find("unique: item 1 is not a column", 1,
        true), err.message)
    end)

    it("reads back the DDL of export with no difference", function()
      for _, stmt in ipairs(kit.export(schema, d.name)) do
        db:_connection():exec_sql(stmt)
      end
      assert.same({}, kit.plan(db, schema).statements)
    end)

    it("reads names, keys and actions as the schema gives them", function()
      kit.push(db, schema)
      local live = introspect.snapshot(db, { schemas = { "ki_auth" } })
      local key = snapshot.tablekey(d.name, nil, "ki_users")
      local users = live.tables[key]
      assert.truthy(users)
      assert.is_true(users.columns.id.primaryKey)
      assert.is_true(users.columns.name.notNull)
      assert.equal("'member'", users.columns.role.default)
      assert.truthy(users.uniqueConstraints.ki_users_email_unique)
      assert.truthy(users.indexes.ki_users_name_idx)
      assert.truthy(users.checkConstraints.ki_users_score_check)
      local posts = live.tables[snapshot.tablekey(d.name, nil, "ki_posts")]
      local fk = posts.foreignKeys.ki_posts_author_id_ki_users_id_fk
      assert.truthy(fk)
      assert.equal("cascade", fk.onDelete)
      assert.same({ "author_id" }, fk.columnsFrom)
      assert.same({ "id" }, fk.columnsTo)
      assert.same({ "author_id", "slug" },
        posts.uniqueConstraints.ki_posts_author_slug.columns)
      if d.name == "postgresql" then
        assert.same({ type = "byDefault", name = "ki_users_seqno_seq",
          schema = "public", increment = "2", startWith = "10",
          minValue = "1", maxValue = "9223372036854775807", cache = "1",
          cycle = true }, users.columns.seqno.identity)
        assert.equal("always", posts.columns.rank.identity.type)
        assert.same({ name = "ki_counter", schema = "public",
          increment = "5", startWith = "100", minValue = "1",
          maxValue = "9223372036854775807", cache = "1", cycle = true },
          live.sequences["public.ki_counter"])
        assert.truthy(live.sequences["ki_auth.ki_auth_seq"])
        assert.equal("serial", users.columns.id.type)
        assert.equal("varchar(255)", users.columns.email.type)
        assert.same({ "sad", "ok", "happy" },
          live.enums["public.ki_mood"].values)
        assert.truthy(live.tables["ki_auth.ki_sessions"])
      elseif d.name == "mysql" then
        assert.is_true(users.columns.touched.onUpdate)
        assert.is_nil(users.columns.created.onUpdate)
        assert.equal("serial", users.columns.id.type)
        assert.equal("json", users.columns.data.type)
        assert.equal("boolean", users.columns.active.type)
        assert.equal("true", users.columns.active.default)
      end
    end)
  end)
end
