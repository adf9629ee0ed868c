-- sleet-kit and the real drizzle-kit on one migrations folder, in turn, on
-- every dialect (no server needed: generate reads files only). For the
-- same schema written in Lua and in TypeScript (tables, enums, sequences,
-- identity columns, index options, arrays, row-level security, views):
--
--   - drizzle-kit check accepts sleet's snapshots, and drizzle-kit
--     generate after sleet-kit generate finds no change;
--   - sleet-kit generate after drizzle-kit generate finds no change;
--   - a folder both tools extend in turn applies with sleet's migrator
--     (SQLite) and leaves a database push finds nothing to change in.
--
-- drizzle-kit comes from npm (scripts/drizzle-kit.sh, run by make test into
-- build/node-kit); SLEET_TEST_DRIZZLE_KIT names that folder. Without it the
-- spec is pending, saying why.
local check = require "spec.support.check"
local shell = require "spec.support.shell"
local kit = require "sleet.kit"
local migrator = require "sleet.migrator"
local sleet = require "sleet"

local readfile, shq, writefile = shell.readfile, shell.shq,
  shell.writefile

local KITDIR = os.getenv("SLEET_TEST_DRIZZLE_KIT")
if KITDIR == "" then KITDIR = nil end
if KITDIR and KITDIR:sub(1, 1) ~= "/" then KITDIR = shell.root .. "/" .. KITDIR end

-- {====================================================================
-- One schema per dialect, in Lua and in TypeScript, in three versions:
-- v2 adds a column, v3 an index.
-- =====================================================================

local SCHEMAS = {}

SCHEMAS.postgresql = {
  lua = [[
local pg = require "sleet.pg"
local sleet = require "sleet"
local mood = pg.enum("dk_mood", { "sad", "ok", "happy" })
local users = pg.table("dk_users", {
  id = pg.serial():primaryKey(),
  fullName = pg.text("full_name"):notNull(),
  email = pg.varchar({ length = 255 }):notNull():unique(),
  mood = mood():default("ok"),
  score = pg.integer():default(0),
  active = pg.boolean():notNull():default(true),
  createdAt = pg.timestamp("created_at", { withTimezone = true }):notNull()
    :defaultNow(),
  --V2 nickname = pg.varchar({ length = 40 }),
}, function(t) return {
  pg.check("dk_users_score_check", sleet.sql("? >= 0", t.score)),
  --V3 pg.index("dk_users_nickname_idx"):on(t.nickname),
} end)
local posts = pg.table("dk_posts", {
  id = pg.serial():primaryKey(),
  authorId = pg.integer("author_id"):notNull()
    :references(function() return users.id end, { onDelete = "cascade" }),
  title = pg.text():notNull(),
}, function(t) return {
  pg.index("dk_posts_author_idx"):on(t.authorId),
  pg.uniqueIndex("dk_posts_title_idx"):on(t.title),
} end)
local tags = pg.table("dk_post_tags", {
  postId = pg.integer("post_id"):notNull(),
  tag = pg.text():notNull(),
}, function(t) return { pg.primaryKey({ columns = { t.postId, t.tag } }) } end)
local seq = pg.sequence("dk_seq", { startWith = 10, increment = 2 })
local events = pg.table("dk_events", {
  id = pg.integer():primaryKey():generatedAlwaysAsIdentity(),
  at = pg.integer(),
  data = pg.jsonb(),
}, function(t) return {
  pg.index("dk_events_at"):on(t.at:desc():nullsLast()),
  pg.index("dk_events_data"):using("gin", t.data),
  pg.unique("dk_events_at_u"):on(t.at):nullsNotDistinct(),
} end)
local reader = pg.role("dk_reader")
local notes = pg.table("dk_notes", {
  id = pg.integer():primaryKey(),
  labels = pg.text():array():notNull():default({ "a", "b c" }),
  grid = pg.integer():array():array(),
  owner = pg.text(),
}, function(t) return {
  pg.policy("dk_notes_read", { for_ = "select", to = reader,
    using = sleet.sql("? = current_user", t.owner) }),
} end)
local active = pg.view("dk_active"):as(function(qb)
  return qb:select({ id = users.id, fullName = users.fullName })
    :from(users):where(sleet.eq(users.active, true))
end)
return { mood = mood, users = users, posts = posts, tags = tags, seq = seq,
  events = events, reader = reader, notes = notes, active = active }
]],
  ts = [[
import { pgTable, pgEnum, pgSequence, serial, text, varchar, integer,
  boolean, timestamp, jsonb, index, uniqueIndex, unique, primaryKey, check,
  pgRole, pgPolicy, pgView } from "drizzle-orm/pg-core";
import { sql, eq } from "drizzle-orm";
export const mood = pgEnum("dk_mood", ["sad", "ok", "happy"]);
export const users = pgTable("dk_users", {
  id: serial().primaryKey(),
  fullName: text("full_name").notNull(),
  email: varchar({ length: 255 }).notNull().unique(),
  mood: mood().default("ok"),
  score: integer().default(0),
  active: boolean().notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull()
    .defaultNow(),
  //V2 nickname: varchar({ length: 40 }),
}, (t) => [
  check("dk_users_score_check", sql`${t.score} >= 0`),
  //V3 index("dk_users_nickname_idx").on(t.nickname),
]);
export const posts = pgTable("dk_posts", {
  id: serial().primaryKey(),
  authorId: integer("author_id").notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  title: text().notNull(),
}, (t) => [
  index("dk_posts_author_idx").on(t.authorId),
  uniqueIndex("dk_posts_title_idx").on(t.title),
]);
export const tags = pgTable("dk_post_tags", {
  postId: integer("post_id").notNull(),
  tag: text().notNull(),
}, (t) => [primaryKey({ columns: [t.postId, t.tag] })]);
export const seq = pgSequence("dk_seq", { startWith: 10, increment: 2 });
export const events = pgTable("dk_events", {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  at: integer(),
  data: jsonb(),
}, (t) => [
  index("dk_events_at").on(t.at.desc().nullsLast()),
  index("dk_events_data").using("gin", t.data),
  unique("dk_events_at_u").on(t.at).nullsNotDistinct(),
]);
export const reader = pgRole("dk_reader");
export const notes = pgTable("dk_notes", {
  id: integer().primaryKey(),
  labels: text().array().notNull().default(["a", "b c"]),
  grid: integer().array().array(),
  owner: text(),
}, (t) => [
  pgPolicy("dk_notes_read", { for: "select", to: reader,
    using: sql`${t.owner} = current_user` }),
]);
export const active = pgView("dk_active").as((qb) =>
  qb.select({ id: users.id, fullName: users.fullName }).from(users)
    .where(eq(users.active, true)));
]],
}

SCHEMAS.mysql = {
  lua = [[
local m = require "sleet.mysql"
local sleet = require "sleet"
local users = m.table("dk_users", {
  id = m.serial():primaryKey(),
  fullName = m.varchar("full_name", { length = 100 }):notNull(),
  email = m.varchar({ length = 255 }):notNull():unique(),
  mood = m.enum({ "sad", "ok", "happy" }):default("ok"),
  score = m.int():default(0),
  active = m.boolean():notNull():default(true),
  createdAt = m.timestamp("created_at"):notNull():defaultNow(),
  --V2 nickname = m.varchar({ length = 40 }),
}, function(t) return {
  m.check("dk_users_score_check", sleet.sql("? >= 0", t.score)),
  --V3 m.index("dk_users_nickname_idx"):on(t.nickname),
} end)
local posts = m.table("dk_posts", {
  id = m.serial():primaryKey(),
  authorId = m.bigint("author_id", { unsigned = true }):notNull()
    :references(function() return users.id end, { onDelete = "cascade" }),
  title = m.varchar({ length = 200 }):notNull(),
}, function(t) return {
  m.index("dk_posts_author_idx"):on(t.authorId),
  m.uniqueIndex("dk_posts_title_idx"):on(t.title),
} end)
local tags = m.table("dk_post_tags", {
  postId = m.int("post_id"):notNull(),
  tag = m.varchar({ length = 40 }):notNull(),
}, function(t) return { m.primaryKey({ columns = { t.postId, t.tag } }) } end)
local active = m.view("dk_active"):algorithm("merge"):as(function(qb)
  return qb:select({ id = users.id, fullName = users.fullName })
    :from(users):where(sleet.gt(users.score, 10))
end)
return { users = users, posts = posts, tags = tags, active = active }
]],
  ts = [[
import { mysqlTable, mysqlEnum, serial, varchar, int, bigint, boolean,
  timestamp, index, uniqueIndex, primaryKey, check } from "drizzle-orm/mysql-core";
import { sql, gt } from "drizzle-orm";
import { mysqlView } from "drizzle-orm/mysql-core";
export const users = mysqlTable("dk_users", {
  id: serial().primaryKey(),
  fullName: varchar("full_name", { length: 100 }).notNull(),
  email: varchar({ length: 255 }).notNull().unique(),
  mood: mysqlEnum(["sad", "ok", "happy"]).default("ok"),
  score: int().default(0),
  active: boolean().notNull().default(true),
  createdAt: timestamp("created_at").notNull().defaultNow(),
  //V2 nickname: varchar({ length: 40 }),
}, (t) => [
  check("dk_users_score_check", sql`${t.score} >= 0`),
  //V3 index("dk_users_nickname_idx").on(t.nickname),
]);
export const posts = mysqlTable("dk_posts", {
  id: serial().primaryKey(),
  authorId: bigint("author_id", { mode: "number", unsigned: true }).notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  title: varchar({ length: 200 }).notNull(),
}, (t) => [
  index("dk_posts_author_idx").on(t.authorId),
  uniqueIndex("dk_posts_title_idx").on(t.title),
]);
export const tags = mysqlTable("dk_post_tags", {
  postId: int("post_id").notNull(),
  tag: varchar({ length: 40 }).notNull(),
}, (t) => [primaryKey({ columns: [t.postId, t.tag] })]);
export const active = mysqlView("dk_active").algorithm("merge").as((qb) =>
  qb.select({ id: users.id, fullName: users.fullName }).from(users)
    .where(gt(users.score, 10)));
]],
}

SCHEMAS.sqlite = {
  lua = [[
local s = require "sleet.sqlite"
local sleet = require "sleet"
local users = s.table("dk_users", {
  id = s.integer():primaryKey({ autoIncrement = true }),
  fullName = s.text("full_name"):notNull(),
  email = s.text():notNull():unique(),
  mood = s.text({ enum = { "sad", "ok", "happy" } }):default("ok"),
  score = s.integer():default(0),
  active = s.integer({ mode = "boolean" }):notNull():default(true),
  createdAt = s.integer("created_at", { mode = "timestamp" }):notNull()
    :default(sleet.sql("unixepoch()")),
  --V2 nickname = s.text(),
}, function(t) return {
  s.check("dk_users_score_check", sleet.sql("? >= 0", t.score)),
  --V3 s.index("dk_users_nickname_idx"):on(t.nickname),
} end)
local posts = s.table("dk_posts", {
  id = s.integer():primaryKey(),
  authorId = s.integer("author_id"):notNull()
    :references(function() return users.id end, { onDelete = "cascade" }),
  title = s.text():notNull(),
}, function(t) return {
  s.index("dk_posts_author_idx"):on(t.authorId),
  s.uniqueIndex("dk_posts_title_idx"):on(t.title),
} end)
local tags = s.table("dk_post_tags", {
  postId = s.integer("post_id"):notNull(),
  tag = s.text():notNull(),
}, function(t) return { s.primaryKey({ columns = { t.postId, t.tag } }) } end)
local active = s.view("dk_active"):as(function(qb)
  return qb:select({ id = users.id, fullName = users.fullName })
    :from(users):where(sleet.gt(users.score, 10))
end)
return { users = users, posts = posts, tags = tags, active = active }
]],
  ts = [[
import { sqliteTable, integer, text, index, uniqueIndex, primaryKey, check }
  from "drizzle-orm/sqlite-core";
import { sql, gt } from "drizzle-orm";
import { sqliteView } from "drizzle-orm/sqlite-core";
export const users = sqliteTable("dk_users", {
  id: integer().primaryKey({ autoIncrement: true }),
  fullName: text("full_name").notNull(),
  email: text().notNull().unique(),
  mood: text({ enum: ["sad", "ok", "happy"] }).default("ok"),
  score: integer().default(0),
  active: integer({ mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at", { mode: "timestamp" }).notNull()
    .default(sql`(unixepoch())`),
  //V2 nickname: text(),
}, (t) => [
  check("dk_users_score_check", sql`${t.score} >= 0`),
  //V3 index("dk_users_nickname_idx").on(t.nickname),
]);
export const posts = sqliteTable("dk_posts", {
  id: integer().primaryKey(),
  authorId: integer("author_id").notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  title: text().notNull(),
}, (t) => [
  index("dk_posts_author_idx").on(t.authorId),
  uniqueIndex("dk_posts_title_idx").on(t.title),
]);
export const tags = sqliteTable("dk_post_tags", {
  postId: integer("post_id").notNull(),
  tag: text().notNull(),
}, (t) => [primaryKey({ columns: [t.postId, t.tag] })]);
export const active = sqliteView("dk_active").as((qb) =>
  qb.select({ id: users.id, fullName: users.fullName }).from(users)
    .where(gt(users.score, 10)));
]],
}

-- The text of version v: the lines marked for v and below uncommented.
local function version(text, v, mark)
  for i = 2, v do
    text = text:gsub(mark .. "V" .. i .. " ", "")
  end
  return text
end

-- }====================================================================

-- A project folder for both tools: sleet.config.lua, drizzle.config.ts
-- (no imports: it needs nothing but node) and the schemas of version v.
local function project(dialect)
  local dir = shell.tmpdir()
  os.execute(("ln -s %s %s"):format(shq(KITDIR .. "/node_modules"),
    shq(dir .. "/node_modules")))
  writefile(dir .. "/sleet.config.lua", ([[
return { dialect = %q, schema = "schema.lua", out = "drizzle" }
]]):format(dialect))
  writefile(dir .. "/drizzle.config.ts", ([[
export default { dialect: %q, schema: "./schema.ts", out: "./drizzle" };
]]):format(dialect))
  return dir
end

local function setversion(dir, dialect, v)
  writefile(dir .. "/schema.lua", version(SCHEMAS[dialect].lua, v, "%-%-"))
  writefile(dir .. "/schema.ts", version(SCHEMAS[dialect].ts, v, "//"))
end

local function run(dir, cmd)
  local p = io.popen(("cd %s && %s 2>&1; echo \"EXIT:$?\""):format(shq(dir),
    cmd))
  local out = p:read("*a")
  p:close()
  return tonumber(out:match("EXIT:(%d+)%s*$")), out
end

-- drizzle-kit COMMAND in dir (under no sanitizer a test run preloads).
local function drizzle(dir, args)
  return run(dir, "env -u LD_PRELOAD " .. shq(KITDIR ..
    "/node_modules/.bin/drizzle-kit") .. " " .. args)
end

local function sleetkit(dir, args)
  return run(dir, ("%s SLEET_KIT_NONINTERACTIVE=1 %s %s %s"):format(
    shell.env, check.lua(), shq(shell.bin), args))
end

local function journal(dir)
  local j = require("sleet.core").json_decode(
    readfile(dir .. "/drizzle/meta/_journal.json"))
  local tags = {}
  for i, e in ipairs(j.entries) do tags[i] = e.tag end
  return tags
end

local NOCHANGE_DK = "No schema changes, nothing to migrate"
local NOCHANGE_SK = "No schema changes, nothing to migrate"

describe("sleet-kit and drizzle-kit on one folder", function()
  if not KITDIR then
    pending("drizzle-kit is not installed here (SLEET_TEST_DRIZZLE_KIT " ..
      "unset; make test installs it with scripts/drizzle-kit.sh where npm " ..
      "can)")
    return
  end

  for _, dialect in ipairs({ "postgresql", "mysql", "sqlite" }) do
    describe("on " .. dialect, function()
      local dir

      after_each(function()
        if dir then os.execute("rm -rf " .. shq(dir)) end
        dir = nil
      end)

      it("drizzle-kit reads sleet-kit's folder and finds no change",
        function()
          dir = project(dialect)
          setversion(dir, dialect, 1)
          local code, out = sleetkit(dir, "generate --name init")
          assert.equal(0, code, out)
          code, out = drizzle(dir, "check")
          assert.equal(0, code, out)
          assert.truthy(out:find("Everything's fine", 1, true), out)
          code, out = drizzle(dir, "generate")
          assert.equal(0, code, out)
          assert.truthy(out:find(NOCHANGE_DK, 1, true), out)
          assert.same({ "0000_init" }, journal(dir))
        end)

      it("sleet-kit reads drizzle-kit's folder and finds no change",
        function()
          dir = project(dialect)
          setversion(dir, dialect, 1)
          local code, out = drizzle(dir, "generate --name init")
          assert.equal(0, code, out)
          code, out = sleetkit(dir, "generate")
          assert.equal(0, code, out)
          assert.truthy(out:find(NOCHANGE_SK, 1, true), out)
          assert.same({ "0000_init" }, journal(dir))
        end)

      it("both extend one folder in turn, each seeing the other's step",
        function()
          dir = project(dialect)
          setversion(dir, dialect, 1)
          local code, out = sleetkit(dir, "generate --name init")
          assert.equal(0, code, out)
          -- drizzle-kit takes the next step ...
          setversion(dir, dialect, 2)
          code, out = drizzle(dir, "generate --name nickname")
          assert.equal(0, code, out)
          code, out = sleetkit(dir, "generate")
          assert.equal(0, code, out)
          assert.truthy(out:find(NOCHANGE_SK, 1, true), out)
          -- ... and sleet-kit the one after
          setversion(dir, dialect, 3)
          code, out = sleetkit(dir, "generate --name nickname_idx")
          assert.equal(0, code, out)
          code, out = drizzle(dir, "generate")
          assert.equal(0, code, out)
          assert.truthy(out:find(NOCHANGE_DK, 1, true), out)
          assert.same({ "0000_init", "0001_nickname", "0002_nickname_idx" },
            journal(dir))
          code, out = drizzle(dir, "check")
          assert.equal(0, code, out)
          assert.truthy(out:find("Everything's fine", 1, true), out)
          if dialect == "sqlite" then
            -- the mixed folder applies, and push then has nothing to do
            local db = sleet.connect("sqlite::memory:")
            local done = migrator.migrate(db,
              { migrationsFolder = dir .. "/drizzle" })
            assert.equal(3, #done)
            local schema = dofile(dir .. "/schema.lua")
            assert.same({}, kit.plan(db, schema).statements or {})
            db:close()
          end
        end)
    end)
  end
end)
