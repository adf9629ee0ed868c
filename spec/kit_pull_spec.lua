-- sleet-kit pull on databases made by hand with raw DDL (not by sleet), on
-- every live dialect: the schema.lua it writes loads, describes the
-- database so that push finds nothing to do except what the schema
-- modules cannot express (each of which pull names), its relations.lua
-- loads a nested query through a junction table, and pulling twice writes
-- the same bytes. The corpus (kit_corpus_spec) and every column type
-- (kit_introspect_spec) round-trip through pull as well.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"
local kit = require "sleet.kit"
local sleet = require "sleet"

local readfile, shq, writefile = shell.readfile, shell.shq,
  shell.writefile

local TABLES = { "pull_post_tags", "pull_posts", "pull_tags",
  "pull_auth_sessions", "pull_users", "pull_kinds", "pull_other" }

local DDL = {}

DDL.sqlite = [[
create table pull_users (id integer primary key autoincrement,
  full_name text not null, email varchar(255) unique, age INT default 3,
  active integer default 1, created_at text default CURRENT_TIMESTAMP,
  score real check (score > 0), amount numeric, bits blob,
  nick text(20) default 'it''s');
create table pull_posts (id integer primary key,
  author_id integer not null references pull_users(id) on delete cascade,
  editor_id integer references pull_users(id),
  parent_id integer references pull_posts(id),
  title text not null default 'untitled',
  title_len integer generated always as (length(title)) virtual);
create index pull_posts_title_idx on pull_posts (title) where title <> '';
create unique index pull_users_lower_email on pull_users (lower(email));
create table pull_tags (id integer primary key, name text not null,
  constraint pull_tags_name_key unique (name));
create table pull_post_tags (
  post_id integer not null references pull_posts(id),
  tag_id integer not null references pull_tags(id),
  primary key (post_id, tag_id));
create table pull_kinds (a integer, b integer, ts datetime,
  constraint pull_kinds_ab unique (a, b),
  constraint pull_kinds_fk foreign key (a, b) references pull_kinds (a, b));
create table pull_other (id integer primary key);
]]

DDL.postgresql = [[
create schema pull_auth;
create type pull_mood as enum ('sad', 'ok', 'it''s');
create type pull_auth.level as enum ('low', 'high');
create table pull_users (id serial primary key, full_name text not null,
  email varchar(255) not null unique, mood pull_mood default 'ok',
  lvl pull_auth.level, created_at timestamptz not null default now(),
  updated timestamp(3), score numeric(10,2) default 1.50,
  ratio double precision, flag boolean default false,
  uid uuid default gen_random_uuid(), meta jsonb default '{"a": 1}',
  bits bytea, birthday date, t time, t2 time(2) with time zone,
  iv interval, iv2 interval day to second(3), small smallint default -1,
  big bigint, c char(3), r real, js json, vc varchar,
  constraint pull_users_score_check check (score > 0));
create table pull_auth.pull_auth_sessions (id bigserial primary key,
  user_id integer not null references pull_users(id) on delete cascade,
  token text not null);
create table pull_posts (id serial primary key,
  author_id integer not null references pull_users(id)
    on delete cascade on update cascade,
  editor_id integer references pull_users(id),
  parent_id integer references pull_posts(id),
  title varchar(200) not null default 'untitled',
  full_title text generated always as (title || '!') stored);
create index pull_posts_title_idx on pull_posts (title) where title <> '';
create index pull_posts_lower_idx on pull_posts (lower(title));
create index pull_posts_desc_idx on pull_posts (id desc);
create index pull_posts_nulls_idx on pull_posts (editor_id desc nulls last,
  parent_id nulls first);
create index pull_posts_hash_idx on pull_posts using hash (title);
create table pull_tags (id serial primary key, name text not null,
  constraint pull_tags_name_key unique (name));
create table pull_post_tags (
  post_id integer not null references pull_posts(id),
  tag_id integer not null references pull_tags(id),
  primary key (post_id, tag_id));
create table pull_kinds (a integer, b integer, arr integer[], ip inet,
  net cidr, mac macaddr, mac8 macaddr8,
  constraint pull_kinds_ab unique (a, b),
  constraint pull_kinds_fk foreign key (a, b) references pull_kinds (a, b));
create table pull_other (id serial primary key);
]]

DDL.mysql = [[
create table pull_users (id serial primary key,
  full_name varchar(100) not null, email varchar(255) not null unique,
  mood enum('sad','ok','it''s') default 'ok',
  created_at timestamp(3) not null default current_timestamp(3),
  updated datetime, score decimal(10,2) default 1.50, ratio double,
  f float, flag boolean default false, meta json, bits blob,
  birthday date default (curdate()), t time(2), small smallint default -1,
  tiny tinyint unsigned, med mediumint, big bigint, c char(3),
  bin binary(4), vb varbinary(10), txt text, lt longtext, y year,
  d2 decimal(12,0), constraint pull_users_score_check check (score > 0));
create table pull_posts (id bigint unsigned auto_increment primary key,
  author_id bigint unsigned not null, editor_id bigint unsigned,
  parent_id bigint unsigned,
  title varchar(200) not null default 'untitled',
  full_title varchar(210) generated always as (concat(title, '!')) virtual,
  constraint pull_posts_author_fk foreign key (author_id)
    references pull_users(id) on delete cascade on update cascade,
  constraint pull_posts_editor_fk foreign key (editor_id)
    references pull_users(id),
  constraint pull_posts_parent_fk foreign key (parent_id)
    references pull_posts(id));
create index pull_posts_title_idx on pull_posts (title);
create table pull_tags (id serial primary key, name varchar(50) not null,
  constraint pull_tags_name_key unique (name));
create table pull_post_tags (post_id bigint unsigned not null,
  tag_id bigint unsigned not null, primary key (post_id, tag_id),
  constraint pull_pt_post foreign key (post_id) references pull_posts(id),
  constraint pull_pt_tag foreign key (tag_id) references pull_tags(id));
create table pull_kinds (a int, b int, s set('x','y'), bits bit(3),
  constraint pull_kinds_ab unique (a, b));
create table pull_other (id serial primary key);
]]

-- What push would still do after pull (what the modules cannot say), and
-- the notes pull gives for it.
local LEFT = {
  sqlite = {},
  postgresql = {
    'ALTER TABLE "pull_kinds" DROP COLUMN "arr";',
  },
  mysql = {
    "ALTER TABLE `pull_kinds` DROP COLUMN `bits`;",
    "ALTER TABLE `pull_kinds` DROP COLUMN `s`;",
  },
}
local NOTES = {
  sqlite = { "declared type varchar(255) written as text",
    "declared type int written as integer",
    "declared type datetime written as numeric" },
  postgresql = { "column arr: type integer[] is not in sleet.pg" },
  mysql = { "column s: type set('x','y') is not in sleet.mysql",
    "column bits: type bit(3) is not in sleet.mysql" },
}

local function statements(ddl)
  local out = {}
  for stmt in ddl:gmatch("[^;]+;") do
    if stmt:find("%S") then out[#out + 1] = stmt end
  end
  return out
end

local function sorted(list)
  local out = {}
  for i, v in ipairs(list or {}) do out[i] = v end
  table.sort(out)
  return out
end

for _, d in ipairs(dialects.live()) do
  describe("sleet-kit pull on " .. d.name, function()
    local db, url, file

    local function clean()
      d.drop(db, table.unpack(TABLES))
      if d.name == "postgresql" then
        db:run('drop schema if exists "pull_auth" cascade')
        db:run('drop type if exists "pull_mood" cascade')
      end
    end

    before_each(function()
      if d.name == "sqlite" then
        file = os.tmpname()
        url = "sqlite:" .. file
        db = sleet.connect(url)
      else
        url = d.url()
        db = d.connect()
      end
      clean()
      for _, stmt in ipairs(statements(DDL[d.name])) do
        db:_connection():exec_sql(stmt)
      end
    end)

    after_each(function()
      clean()
      db:close()
      if file then os.remove(file) end
      file = nil
    end)

    local config = { dialect = d.name, tablesFilter = "pull_*",
      schemaFilter = { "public", "pull_auth" } }

    it("writes a schema push finds nothing to change in, but what it names",
      function()
        local r = kit.pull(config, { db = db, write = false })
        local pulled = assert(load(r.schema, "=schema.lua"))()
        local plan = kit.plan(db, pulled)
        assert.same(LEFT[d.name], sorted(plan.statements))
        assert.equal(#NOTES[d.name], #r.notes, table.concat(r.notes, "\n"))
        for _, n in ipairs(NOTES[d.name]) do
          local found = false
          for _, got in ipairs(r.notes) do
            found = found or got:find(n, 1, true) ~= nil
          end
          assert.is_true(found, n .. " in:\n" .. table.concat(r.notes, "\n"))
        end
        -- every table is there, under its camelCase key
        for _, key in ipairs({ "pullUsers", "pullPosts", "pullTags",
          "pullPostTags", "pullKinds", "pullOther" }) do
          assert.truthy(pulled[key], key)
        end
        assert.equal("full_name", pulled.pullUsers.fullName.name)
        if d.name == "postgresql" then
          assert.truthy(pulled.pullAuthSessions)
          assert.same({ "sad", "ok", "it's" }, pulled.pullMood.enumValues)
        end
        -- the same database pulled again: the same bytes
        local again = kit.pull(config, { db = db, write = false })
        assert.equal(r.schema, again.schema)
        assert.equal(r.relations, again.relations)
      end)

    it("infers relations that load nested rows, many-to-many included",
      function()
        local c = db:_connection()
        local q = d.name == "mysql" and "`" or '"'
        local function ins(t, cols, vals)
          c:exec_sql(("insert into %s%s%s (%s) values %s"):format(q, t, q,
            cols, vals))
        end
        ins("pull_users", "id, full_name, email", "(1, 'Ann', 'a@x')")
        ins("pull_posts", "id, author_id, title", "(1, 1, 'one'), " ..
          "(2, 1, 'two')")
        ins("pull_tags", "id, name", "(1, 'lua'), (2, 'sql')")
        ins("pull_post_tags", "post_id, tag_id", "(1, 1), (1, 2), (2, 2)")
        local r = kit.pull(config, { db = db, write = false })
        local schema = assert(load(r.schema, "=schema.lua"))()
        local rel = assert(load(r.relations, "=relations.lua"))()(schema)
        local db2
        if d.name == "sqlite" then
          db2 = sleet.connect(url, { schema = schema, relations = rel })
        else
          db2 = d.connect(schema, { relations = rel })
        end
        local posts = db2.query.pullPosts:findMany({
          columns = { id = true, title = true },
          orderBy = { id = "asc" },
          with = { author = { columns = { fullName = true } },
            pullTags = { columns = { name = true },
              orderBy = { name = "asc" } } },
        })
        db2:close()
        assert.same({
          { id = 1, title = "one", author = { fullName = "Ann" },
            pullTags = { { name = "lua" }, { name = "sql" } } },
          { id = 2, title = "two", author = { fullName = "Ann" },
            pullTags = { { name = "sql" } } },
        }, posts)
        -- two keys to one table: the many side says which
        assert.truthy(r.relations:find("pullPostsViaAuthor = r.many.pullPosts",
          1, true), r.relations)
        assert.truthy(r.relations:find("pullPostsViaEditor = r.many.pullPosts",
          1, true), r.relations)
      end)

    it("leaves out tables outside tablesFilter and the migrations table",
      function()
        local r = kit.pull({ dialect = d.name,
          tablesFilter = { "pull_users", "pull_po*" },
          migrations = { table = "pull_other" } }, { db = db, write = false })
        local schema = assert(load(r.schema, "=schema.lua"))()
        assert.truthy(schema.pullUsers)
        assert.truthy(schema.pullPosts)
        assert.truthy(schema.pullPostTags)
        assert.is_nil(schema.pullTags)
        assert.is_nil(schema.pullOther)
        assert.is_nil(schema.pullKinds)
        -- a key to a table left out is a comment and a note
        local found = false
        for _, n in ipairs(r.notes) do
          found = found or n:find("references pull_tags, which was not " ..
            "pulled", 1, true) ~= nil
        end
        assert.is_true(found, table.concat(r.notes, "\n"))
        if d.name == "postgresql" then
          -- schemaFilter unset: public only (and its enums in use)
          assert.is_nil(schema.pullAuthSessions)
          assert.is_nil(schema.level)
          assert.truthy(schema.pullMood)
        end
      end)

    it("omits SQL names the config's casing gives back", function()
      local r = kit.pull({ dialect = d.name, tablesFilter = "pull_users",
        schemaFilter = { "public", "pull_auth" }, casing = "snake_case" },
        { db = db, write = false })
      -- no SQL name: full_name is what fullName gives under snake_case
      assert.truthy(r.schema:find('\n  fullName = [%w.]+%([^"]'), r.schema)
      assert.truthy(r.schema:find('\n  createdAt = [%w.]+%([^"]'), r.schema)
      local schema = assert(load(r.schema, "=schema.lua"))()
      local db2 = d.name == "sqlite" and
        sleet.connect(url, { casing = "snake_case" }) or
        d.connect(nil, { casing = "snake_case" })
      local plan = kit.plan(db2, schema, { casing = "snake_case" })
      db2:close()
      local left = {}
      for _, s in ipairs(plan.statements or {}) do
        if not s:find("pull_kinds", 1, true) then left[#left + 1] = s end
      end
      assert.same({}, left)
    end)

    it("runs from sleet-kit and writes <out>/schema.lua and relations.lua",
      function()
        local dir = shell.tmpdir()
        writefile(dir .. "/sleet.config.lua", ([[
return {
  dialect = %q,
  dbCredentials = { url = %q },
  out = "db",
  tablesFilter = "pull_*",
  schemaFilter = { "public", "pull_auth" },
}
]]):format(d.name, url))
        local p = io.popen(("cd %s && %s %s %s pull 2>&1; echo \"EXIT:$?\"")
          :format(shq(dir), shell.env, check.lua(), shq(shell.bin)))
        local out = p:read("*a")
        p:close()
        assert.truthy(out:find("EXIT:0", 1, true), out)
        assert.truthy(out:find("Wrote db/schema.lua and db/relations.lua", 1,
          true), out)
        for _, n in ipairs(NOTES[d.name]) do
          assert.truthy(out:find(n, 1, true), out)
        end
        local text = readfile(dir .. "/db/schema.lua")
        local r = kit.pull(config, { db = db, write = false })
        assert.equal(r.schema, text)
        assert.equal(r.relations, readfile(dir .. "/db/relations.lua"))
        os.execute("rm -rf " .. shq(dir))
      end)
  end)
end

describe("sleet-kit pull", function()
  it("needs dbCredentials, not a schema", function()
    local dir = shell.tmpdir()
    writefile(dir .. "/sleet.config.lua", 'return { dialect = "sqlite" }\n')
    local p = io.popen(("cd %s && %s %s %s pull 2>&1; echo \"EXIT:$?\"")
      :format(shq(dir), shell.env, check.lua(), shq(shell.bin)))
    local out = p:read("*a")
    p:close()
    os.execute("rm -rf " .. shq(dir))
    assert.truthy(out:find("EXIT:2", 1, true), out)
    assert.truthy(out:find("dbCredentials is required", 1, true), out)
  end)
end)
