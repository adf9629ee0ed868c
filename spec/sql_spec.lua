-- Exact SQL text and parameters for every builder feature, per dialect.
-- Nothing here touches a database: a standalone builder
-- (sleet.queryBuilder(dialect)) compiles with :toSQL().
--
-- Expected texts are written once in SQLite's spelling ("ident", ?) and
-- converted: MySQL quotes with backticks, PostgreSQL numbers placeholders
-- $1..$n in order of appearance. A case gives a table keyed by dialect
-- where the spelling differs beyond that; those texts are used verbatim.
-- «a, b» marks a select list whose order is free (see spec/support/check).
local sleet = require "sleet"
local check = require "spec.support.check"
local schemas = require "spec.support.schemas"
local dialects = require "spec.support.dialects"

local o = sleet

-- Converts a template in SQLite's spelling to dialect d.
local function spell(d, template)
  if d == "mysql" then return (template:gsub('"', "`")) end
  if d == "postgresql" then
    local n = 0
    return (template:gsub("%?", function()
      n = n + 1
      return "$" .. n
    end))
  end
  return template
end

-- The expected SQL of a case for dialect d: nil to skip, the string "usage"
-- when compiling must fail with a usage error, else a text (or a list of
-- acceptable texts).
local function expected_for(case, d)
  local e = case.sql
  if type(e) == "table" and (e.sqlite ~= nil or e.postgresql ~= nil
      or e.mysql ~= nil or e.default ~= nil) then
    local v = e[d]
    if v == nil then
      if e.default == nil then return nil end
      return spell(d, e.default)
    end
    return v or nil
  end
  if type(e) == "table" then
    local out = {}
    for i, alt in ipairs(e) do out[i] = spell(d, alt) end
    return out
  end
  return spell(d, e)
end

local USERS_ALL = '"id", "name", "email", "role", "age"'
local JOINED_ALL = '"posts"."id", "posts"."author_id", "posts"."title", '
  .. '"posts"."score", "users"."id", "users"."name", "users"."email", '
  .. '"users"."role", "users"."age"'
local SEL_ID = 'select "id" from "users" where '

-- Each case: name, build(qb, s) → builder, sql, params.
local cases = {
  -- selection ----------------------------------------------------------
  { "select all columns in source order",
    function(qb, s) return qb:select():from(s.users) end,
    "select " .. USERS_ALL .. ' from "users"' },
  { "partial select",
    function(qb, s)
      return qb:select({ id = s.users.id, name = s.users.name }):from(s.users)
    end,
    'select «"id", "name"» from "users"' },
  { "partial select under another key (the key names the row field only)",
    function(qb, s) return qb:select({ who = s.users.name }):from(s.users) end,
    'select "name" from "users"' },
  { "distinct",
    function(qb, s)
      return qb:select({ role = s.users.role }):from(s.users):distinct()
    end,
    'select distinct "role" from "users"' },

  -- comparison operators ------------------------------------------------
  { "eq", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.eq(s.users.id, 1))
    end, SEL_ID .. '"users"."id" = ?', { 1 } },
  { "eq with a string", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.eq(s.users.name, "Ada"))
    end, SEL_ID .. '"users"."name" = ?', { "Ada" } },
  { "eq with a float", function(qb, s)
      return qb:select({ id = s.posts.id }):from(s.posts)
        :where(o.eq(s.posts.score, 1.5))
    end, 'select "id" from "posts" where "posts"."score" = ?', { 1.5 } },
  { "eq between two columns", function(qb, s)
      return qb:select({ id = s.posts.id }):from(s.posts)
        :where(o.eq(s.posts.authorId, s.posts.id))
    end, 'select "id" from "posts" where "posts"."author_id" = "posts"."id"' },
  { "ne", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.ne(s.users.id, 1))
    end, SEL_ID .. '"users"."id" <> ?', { 1 } },
  { "gt", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.gt(s.users.age, 30))
    end, SEL_ID .. '"users"."age" > ?', { 30 } },
  { "gte", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.gte(s.users.age, 30))
    end, SEL_ID .. '"users"."age" >= ?', { 30 } },
  { "lt", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.lt(s.users.age, 30))
    end, SEL_ID .. '"users"."age" < ?', { 30 } },
  { "lte", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.lte(s.users.age, 30))
    end, SEL_ID .. '"users"."age" <= ?', { 30 } },

  -- logic -----------------------------------------------------------------
  { "and_", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.and_(o.gt(s.users.id, 1), o.eq(s.users.name, "Ada")))
    end, SEL_ID .. '("users"."id" > ? and "users"."name" = ?)', { 1, "Ada" } },
  { "or_", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.or_(o.eq(s.users.id, 1), o.eq(s.users.id, 2)))
    end, SEL_ID .. '("users"."id" = ? or "users"."id" = ?)', { 1, 2 } },
  { "and_ of one condition renders it alone", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.and_(o.eq(s.users.id, 1)))
    end, SEL_ID .. '"users"."id" = ?', { 1 } },
  -- Assumption (API.md is silent): like Drizzle's and(), nil conditions
  -- are skipped, which is how conditional filters are built.
  { "and_ skips nil conditions", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.and_(nil, o.eq(s.users.id, 1), nil))
    end, SEL_ID .. '"users"."id" = ?', { 1 } },
  { "nested and_/or_", function(qb, s)
      local u = s.users
      return qb:select({ id = u.id }):from(u)
        :where(o.and_(o.eq(u.role, "admin"),
          o.or_(o.eq(u.id, 1), o.eq(u.id, 2))))
    end,
    SEL_ID .. '("users"."role" = ? and ("users"."id" = ? or "users"."id" = ?))',
    { "admin", 1, 2 } },
  { "not_", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.not_(o.eq(s.users.id, 1)))
    end, SEL_ID .. 'not ("users"."id" = ?)', { 1 } },
  { "not_ of and_", function(qb, s)
      local u = s.users
      return qb:select({ id = u.id }):from(u)
        :where(o.not_(o.and_(o.eq(u.id, 1), o.eq(u.age, 2))))
    end, SEL_ID .. 'not ("users"."id" = ? and "users"."age" = ?)', { 1, 2 } },
  { "isNull", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.isNull(s.users.email))
    end, SEL_ID .. '"users"."email" is null' },
  { "isNotNull", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.isNotNull(s.users.email))
    end, SEL_ID .. '"users"."email" is not null' },

  -- sets ------------------------------------------------------------------
  { "inArray with a list", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.inArray(s.users.id, { 1, 2, 3 }))
    end, SEL_ID .. '"users"."id" in (?, ?, ?)', { 1, 2, 3 } },
  { "inArray with an empty list is false", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.inArray(s.users.id, {}))
    end, SEL_ID .. "false" },
  { "notInArray with a list", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notInArray(s.users.name, { "a", "b" }))
    end, SEL_ID .. '"users"."name" not in (?, ?)', { "a", "b" } },
  { "notInArray with an empty list is true", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notInArray(s.users.id, {}))
    end, SEL_ID .. "true" },
  { "inArray with a subquery", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.inArray(s.users.id,
          qb:select({ a = s.posts.authorId }):from(s.posts)
            :where(o.gt(s.posts.score, 2.5))))
    end,
    -- internals.md leaves open whether a subquery under in() gets its
    -- fields aliased to their keys (alias_fields); both are accepted.
    { SEL_ID .. '"users"."id" in (select "author_id" from "posts" '
      .. 'where "posts"."score" > ?)',
      SEL_ID .. '"users"."id" in (select "author_id" as "a" from "posts" '
      .. 'where "posts"."score" > ?)' }, { 2.5 } },
  { "notInArray with a subquery", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notInArray(s.users.id,
          qb:select({ a = s.posts.authorId }):from(s.posts)))
    end, { SEL_ID .. '"users"."id" not in (select "author_id" from "posts")',
      SEL_ID .. '"users"."id" not in (select "author_id" as "a" from '
        .. '"posts")' } },
  { "exists", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.exists(qb:select({ id = s.posts.id }):from(s.posts)
          :where(o.eq(s.posts.authorId, s.users.id))))
    end, SEL_ID .. 'exists (select "id" from "posts" where '
      .. '"posts"."author_id" = "users"."id")' },
  { "notExists", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notExists(qb:select({ id = s.posts.id }):from(s.posts)
          :where(o.eq(s.posts.authorId, s.users.id))))
    end, SEL_ID .. 'not exists (select "id" from "posts" where '
      .. '"posts"."author_id" = "users"."id")' },
  { "between", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.between(s.users.age, 18, 65))
    end, SEL_ID .. '"users"."age" between ? and ?', { 18, 65 } },
  { "notBetween", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notBetween(s.users.age, 18, 65))
    end, SEL_ID .. '"users"."age" not between ? and ?', { 18, 65 } },

  -- pattern matching --------------------------------------------------------
  { "like", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.like(s.users.name, "A%"))
    end, SEL_ID .. '"users"."name" like ?', { "A%" } },
  { "notLike", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notLike(s.users.name, "A%"))
    end, SEL_ID .. '"users"."name" not like ?', { "A%" } },
  { "ilike", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.ilike(s.users.name, "a%"))
    end, {
      postgresql = 'select "id" from "users" where "users"."name" ilike $1',
      sqlite = 'select "id" from "users" where lower("users"."name") like '
        .. 'lower(?)',
      mysql = 'select `id` from `users` where lower(`users`.`name`) like '
        .. 'lower(?)',
    }, { "a%" } },
  { "notIlike", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.notIlike(s.users.name, "a%"))
    end, {
      postgresql = 'select "id" from "users" where "users"."name" not ilike $1',
      sqlite = 'select "id" from "users" where lower("users"."name") '
        .. 'not like lower(?)',
      mysql = 'select `id` from `users` where lower(`users`.`name`) '
        .. 'not like lower(?)',
    }, { "a%" } },

  -- ordering, paging, grouping ------------------------------------------------
  { "orderBy asc/desc and plain", function(qb, s)
      local u = s.users
      return qb:select({ id = u.id }):from(u)
        :orderBy(o.asc(u.name), o.desc(u.id), u.age)
    end, 'select "id" from "users" order by "users"."name" asc, '
      .. '"users"."id" desc, "users"."age"' },
  { "limit and offset", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users):limit(10):offset(20)
    end, 'select "id" from "users" limit ? offset ?', { 10, 20 } },
  { "where, order, limit together keep clause order", function(qb, s)
      local u = s.users
      return qb:select({ id = u.id }):from(u):limit(5):orderBy(o.desc(u.id))
        :where(o.gt(u.age, 1))
    end, 'select "id" from "users" where "users"."age" > ? '
      .. 'order by "users"."id" desc limit ?', { 1, 5 } },
  { "groupBy and having with count(*)", function(qb, s)
      local u = s.users
      return qb:select({ role = u.role, n = o.count() }):from(u)
        :groupBy(u.role):having(o.gt(o.count(), 1))
    end, 'select «"role", count(*)» from "users" group by "users"."role" '
      .. 'having count(*) > ?', { 1 } },
  { "having count(column)", function(qb, s)
      local u = s.users
      return qb:select({ role = u.role }):from(u):groupBy(u.role)
        :having(o.gt(o.count(u.email), 0))
    end, 'select "role" from "users" group by "users"."role" '
      .. 'having count("users"."email") > ?', { 0 } },
  { "having countDistinct", function(qb, s)
      local u = s.users
      return qb:select({ role = u.role }):from(u):groupBy(u.role)
        :having(o.gt(o.countDistinct(u.age), 2))
    end, 'select "role" from "users" group by "users"."role" '
      .. 'having count(distinct "users"."age") > ?', { 2 } },
  { "having sum", function(qb, s)
      local u = s.users
      return qb:select({ role = u.role }):from(u):groupBy(u.role)
        :having(o.gt(o.sum(u.age), 100))
    end, 'select "role" from "users" group by "users"."role" '
      .. 'having sum("users"."age") > ?', { 100 } },
  { "having avg", function(qb, s)
      local u = s.users
      return qb:select({ role = u.role }):from(u):groupBy(u.role)
        :having(o.lt(o.avg(u.age), 40.5))
    end, 'select "role" from "users" group by "users"."role" '
      .. 'having avg("users"."age") < ?', { 40.5 } },
  { "having min and max", function(qb, s)
      local u = s.users
      return qb:select({ role = u.role }):from(u):groupBy(u.role, u.name)
        :having(o.and_(o.gte(o.min(u.age), 1), o.lte(o.max(u.age), 99)))
    end, 'select "role" from "users" group by "users"."role", "users"."name" '
      .. 'having (min("users"."age") >= ? and max("users"."age") <= ?)',
    { 1, 99 } },
  { "count(*) in the select list", function(qb, s)
      return qb:select({ n = o.count() }):from(s.users)
    end, 'select count(*) from "users"' },
  -- In a join every column is qualified, so the aggregate texts are exact.
  { "aggregates in the select list of a join", function(qb, s)
      local p, u = s.posts, s.users
      return qb:select({ a = o.countDistinct(p.authorId), b = o.sum(p.score),
        c = o.avg(p.score), d = o.min(u.age), e = o.max(u.age) }):from(p)
        :innerJoin(u, o.eq(p.authorId, u.id))
    end, 'select «count(distinct "posts"."author_id"), sum("posts"."score"), '
      .. 'avg("posts"."score"), min("users"."age"), max("users"."age")» '
      .. 'from "posts" inner join "users" on '
      .. '"posts"."author_id" = "users"."id"' },
  -- Without joins a column inside an expression of the select list may be
  -- qualified or not (internals.md unqualifies columns "in the field list";
  -- Drizzle does so inside expressions too). Both spellings are accepted.
  { "aggregate over a column in a single-table select list", function(qb, s)
      return qb:select({ n = o.countDistinct(s.users.role) }):from(s.users)
    end, { 'select count(distinct "role") from "users"',
      'select count(distinct "users"."role") from "users"' } },

  -- joins -------------------------------------------------------------------
  { "leftJoin selects every column of both tables, qualified",
    function(qb, s)
      return qb:select():from(s.posts)
        :leftJoin(s.users, o.eq(s.posts.authorId, s.users.id))
    end, "select " .. JOINED_ALL .. ' from "posts" left join "users" on '
      .. '"posts"."author_id" = "users"."id"' },
  { "innerJoin", function(qb, s)
      return qb:select():from(s.posts)
        :innerJoin(s.users, o.eq(s.posts.authorId, s.users.id))
    end, "select " .. JOINED_ALL .. ' from "posts" inner join "users" on '
      .. '"posts"."author_id" = "users"."id"' },
  { "rightJoin", function(qb, s)
      return qb:select():from(s.posts)
        :rightJoin(s.users, o.eq(s.posts.authorId, s.users.id))
    end, "select " .. JOINED_ALL .. ' from "posts" right join "users" on '
      .. '"posts"."author_id" = "users"."id"' },
  { "fullJoin (a usage error on MySQL, which has no full join)",
    function(qb, s)
      return qb:select():from(s.posts)
        :fullJoin(s.users, o.eq(s.posts.authorId, s.users.id))
    end, {
      default = "select " .. JOINED_ALL .. ' from "posts" full join "users" on '
        .. '"posts"."author_id" = "users"."id"',
      mysql = "usage",
    } },
  -- Assumption: crossJoin takes only the table, like Drizzle's.
  { "crossJoin", function(qb, s)
      return qb:select():from(s.posts):crossJoin(s.users)
    end, "select " .. JOINED_ALL .. ' from "posts" cross join "users"' },
  { "partial select over a join with a where", function(qb, s)
      local p, u = s.posts, s.users
      return qb:select({ title = p.title, author = u.name }):from(p)
        :innerJoin(u, o.eq(p.authorId, u.id)):where(o.eq(u.id, 7))
    end, 'select «"posts"."title", "users"."name"» from "posts" inner join '
      .. '"users" on "posts"."author_id" = "users"."id" where "users"."id" = ?',
    { 7 } },
  { "join condition with and_", function(qb, s)
      local p, u = s.posts, s.users
      return qb:select({ t = p.title }):from(p)
        :leftJoin(u, o.and_(o.eq(p.authorId, u.id), o.gt(u.age, 3)))
        :where(o.isNull(u.id))
    end, 'select "posts"."title" from "posts" left join "users" on '
      .. '("posts"."author_id" = "users"."id" and "users"."age" > ?) '
      .. 'where "users"."id" is null', { 3 } },

  -- subqueries and CTEs ----------------------------------------------------
  { "subquery in from", function(qb, s)
      local sq = qb:select({ id = s.users.id, name = s.users.name })
        :from(s.users):where(o.gt(s.users.age, 30)):as("sq")
      return qb:select():from(sq)
    end, 'select «"id", "name"» from (select «"id", "name"» from "users" '
      .. 'where "users"."age" > ?) "sq"', { 30 } },
  { "columns of a subquery are qualified by its alias", function(qb, s)
      local sq = qb:select({ id = s.users.id }):from(s.users):as("sq")
      return qb:select({ id = sq.id }):from(sq):where(o.gt(sq.id, 4))
    end, 'select "id" from (select "id" from "users") "sq" where "sq"."id" > ?',
    { 4 } },
  { "subquery in a join, its fields aliased to their keys", function(qb, s)
      local p, u = s.posts, s.users
      local pc = qb:select({ authorId = p.authorId, n = o.count() }):from(p)
        :groupBy(p.authorId):as("pc")
      return qb:select({ name = u.name, n = pc.n }):from(u)
        :leftJoin(pc, o.eq(u.id, pc.authorId))
    end, 'select «"users"."name", "pc"."n"» from "users" left join '
      .. '(select «"author_id" as "authorId", count(*) as "n"» from "posts" '
      .. 'group by "posts"."author_id") "pc" on '
      .. '"users"."id" = "pc"."authorId"' },
  { "CTE via with(sleet.cte(name, q))", function(qb, s)
      local u = s.users
      local adults = o.cte("adults", qb:select({ id = u.id, name = u.name })
        :from(u):where(o.gte(u.age, 18)))
      return qb:with(adults):select():from(adults)
        :where(o.like(adults.name, "A%")):limit(5)
    end, 'with "adults" as (select «"id", "name"» from "users" where '
      .. '"users"."age" >= ?) select «"id", "name"» from "adults" where '
      .. '"adults"."name" like ? limit ?', { 18, "A%", 5 } },
  { "two CTEs", function(qb, s)
      local a = o.cte("a", qb:select({ id = s.users.id }):from(s.users))
      local b = o.cte("b", qb:select({ id = s.posts.id }):from(s.posts))
      return qb:with(a, b):select({ id = a.id }):from(a)
        :where(o.inArray(a.id, qb:select({ id = b.id }):from(b)))
    end, 'with "a" as (select "id" from "users"), "b" as (select "id" from '
      .. '"posts") select "id" from "a" where "a"."id" in '
      .. '(select "id" from "b")' },
  { "CTE before delete", function(qb, s)
      local u = s.users
      local old = o.cte("old", qb:select({ id = u.id }):from(u)
        :where(o.gt(u.age, 90)))
      return qb:with(old):delete(u)
        :where(o.inArray(u.id, qb:select({ id = old.id }):from(old)))
    end, 'with "old" as (select "id" from "users" where "users"."age" > ?) '
      .. 'delete from "users" where "users"."id" in (select "id" from "old")',
    { 90 } },

  -- set operations ----------------------------------------------------------
  { "union", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.gt(s.users.age, 1))
        :union(qb:select({ id = s.posts.authorId }):from(s.posts)
          :where(o.gt(s.posts.score, 2)))
    end, {
      sqlite = 'select "id" from "users" where "users"."age" > ? union '
        .. 'select "author_id" from "posts" where "posts"."score" > ?',
      postgresql = '(select "id" from "users" where "users"."age" > $1) union '
        .. '(select "author_id" from "posts" where "posts"."score" > $2)',
      mysql = '(select `id` from `users` where `users`.`age` > ?) union '
        .. '(select `author_id` from `posts` where `posts`.`score` > ?)',
    }, { 1, 2 } },
  { "unionAll", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :unionAll(qb:select({ id = s.posts.authorId }):from(s.posts))
    end, {
      sqlite = 'select "id" from "users" union all select "author_id" from '
        .. '"posts"',
      postgresql = '(select "id" from "users") union all (select "author_id" '
        .. 'from "posts")',
      mysql = '(select `id` from `users`) union all (select `author_id` from '
        .. '`posts`)',
    } },
  { "intersect", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :intersect(qb:select({ id = s.posts.authorId }):from(s.posts))
    end, {
      sqlite = 'select "id" from "users" intersect select "author_id" from '
        .. '"posts"',
      postgresql = '(select "id" from "users") intersect (select "author_id" '
        .. 'from "posts")',
    } },
  { "except", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :except(qb:select({ id = s.posts.authorId }):from(s.posts))
    end, {
      sqlite = 'select "id" from "users" except select "author_id" from '
        .. '"posts"',
      postgresql = '(select "id" from "users") except (select "author_id" '
        .. 'from "posts")',
    } },

  -- insert --------------------------------------------------------------------
  { "insert one row: only the given columns, in source order",
    function(qb, s)
      return qb:insert(s.users):values({ email = "ada@x.io", name = "Ada" })
    end, 'insert into "users" ("name", "email") values (?, ?)',
    { "Ada", "ada@x.io" } },
  { "insert many rows: missing columns get default (sqlite: the schema "
    .. "default or null)", function(qb, s)
      return qb:insert(s.users):values({
        { name = "A", email = "a" },
        { name = "B", role = "admin" },
      })
    end, {
      sqlite = 'insert into "users" ("name", "email", "role") values '
        .. '(?, ?, ?), (?, null, ?)',
      postgresql = 'insert into "users" ("name", "email", "role") values '
        .. '($1, $2, default), ($3, default, $4)',
      mysql = 'insert into `users` (`name`, `email`, `role`) values '
        .. '(?, ?, default), (?, default, ?)',
    }, {
      sqlite = { "A", "a", "member", "B", "admin" },
      default = { "A", "a", "B", "admin" },
    } },
  { "insert returning every column", function(qb, s)
      return qb:insert(s.users):values({ name = "Ada" }):returning()
    end, {
      sqlite = 'insert into "users" ("name") values (?) returning '
        .. USERS_ALL,
      postgresql = 'insert into "users" ("name") values ($1) returning '
        .. USERS_ALL,
    }, { "Ada" } },
  { "insert returning some columns", function(qb, s)
      return qb:insert(s.users):values({ name = "Ada" })
        :returning({ id = s.users.id })
    end, {
      sqlite = 'insert into "users" ("name") values (?) returning "id"',
      postgresql = 'insert into "users" ("name") values ($1) returning "id"',
    }, { "Ada" } },
  { "onConflictDoNothing without a target", function(qb, s)
      return qb:insert(s.users):values({ name = "Ada" }):onConflictDoNothing()
    end, {
      sqlite = 'insert into "users" ("name") values (?) on conflict do nothing',
      postgresql = 'insert into "users" ("name") values ($1) on conflict do '
        .. 'nothing',
    }, { "Ada" } },
  { "onConflictDoNothing with a target", function(qb, s)
      return qb:insert(s.users):values({ name = "Ada", email = "a@x" })
        :onConflictDoNothing({ target = s.users.email })
    end, {
      sqlite = 'insert into "users" ("name", "email") values (?, ?) '
        .. 'on conflict ("email") do nothing',
      postgresql = 'insert into "users" ("name", "email") values ($1, $2) '
        .. 'on conflict ("email") do nothing',
    }, { "Ada", "a@x" } },
  { "onConflictDoUpdate", function(qb, s)
      return qb:insert(s.users):values({ name = "Ada", email = "a@x" })
        :onConflictDoUpdate({ target = s.users.email, set = { name = "A" } })
    end, {
      sqlite = 'insert into "users" ("name", "email") values (?, ?) '
        .. 'on conflict ("email") do update set "name" = ?',
      postgresql = 'insert into "users" ("name", "email") values ($1, $2) '
        .. 'on conflict ("email") do update set "name" = $3',
    }, { "Ada", "a@x", "A" } },
  { "onDuplicateKeyUpdate (mysql)", function(qb, s)
      return qb:insert(s.users):values({ name = "Ada", email = "a@x" })
        :onDuplicateKeyUpdate({ set = { name = "A" } })
    end, {
      mysql = 'insert into `users` (`name`, `email`) values (?, ?) '
        .. 'on duplicate key update `name` = ?',
    }, { "Ada", "a@x", "A" } },

  -- update / delete ---------------------------------------------------------
  { "update", function(qb, s)
      return qb:update(s.users):set({ name = "B" }):where(o.eq(s.users.id, 1))
    end, 'update "users" set "name" = ? where "users"."id" = ?', { "B", 1 } },
  -- Assumption: SET lists columns in source order, as Drizzle does.
  { "update several columns in source order", function(qb, s)
      return qb:update(s.users):set({ age = 3, name = "B" })
        :where(o.eq(s.users.id, 1))
    end, 'update "users" set "name" = ?, "age" = ? where "users"."id" = ?',
    { "B", 3, 1 } },
  { "update returning", function(qb, s)
      return qb:update(s.users):set({ name = "B" }):where(o.eq(s.users.id, 1))
        :returning({ id = s.users.id })
    end, {
      sqlite = 'update "users" set "name" = ? where "users"."id" = ? '
        .. 'returning "id"',
      postgresql = 'update "users" set "name" = $1 where "users"."id" = $2 '
        .. 'returning "id"',
    }, { "B", 1 } },
  { "delete", function(qb, s)
      return qb:delete(s.users):where(o.eq(s.users.id, 1))
    end, 'delete from "users" where "users"."id" = ?', { 1 } },
  { "delete returning", function(qb, s)
      return qb:delete(s.users):where(o.eq(s.users.id, 1)):returning()
    end, {
      sqlite = 'delete from "users" where "users"."id" = ? returning '
        .. USERS_ALL,
      postgresql = 'delete from "users" where "users"."id" = $1 returning '
        .. USERS_ALL,
    }, { 1 } },

  -- raw SQL -------------------------------------------------------------------
  { "sleet.sql: columns render, values bind", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.sql("lower(?) = ?", s.users.name, "ada"))
    end, SEL_ID .. 'lower("users"."name") = ?', { "ada" } },
  { "sleet.sql: ?? is a literal ?", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.sql("? ?? ?", s.users.name, "k"))
    end, {
      sqlite = 'select "id" from "users" where "users"."name" ? ?',
      postgresql = 'select "id" from "users" where "users"."name" ? $1',
      mysql = 'select `id` from `users` where `users`.`name` ? ?',
    }, { "k" } },
  { "sleet.sql: a table renders as its name", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.sql("exists (select 1 from ?)", s.posts))
    end, SEL_ID .. 'exists (select 1 from "posts")' },
  { "sleet.sql: nested sql objects, raw and identifier", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.sql("(?) or ?.? = ?", o.sql("? > ?", s.users.age, 1),
          o.identifier("users"), o.identifier("name"), o.raw("'x'")))
    end, SEL_ID .. '("users"."age" > ?) or "users"."name" = \'x\'', { 1 } },
  { "sleet.sql with several values numbers them in order", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.and_(o.eq(s.users.id, 1), o.sql("? between ? and ?",
          s.users.age, 2, 3), o.eq(s.users.name, "n")))
    end, SEL_ID .. '("users"."id" = ? and "users"."age" between ? and ? and '
      .. '"users"."name" = ?)', { 1, 2, 3, "n" } },
  { "expr:as in the select list", function(qb, s)
      return qb:select({ lname = o.sql("lower(?)", s.users.name):as("lname") })
        :from(s.users)
    end, { 'select lower("name") as "lname" from "users"',
      'select lower("users"."name") as "lname" from "users"' } },
  { "placeholders bind later", function(qb, s)
      return qb:select({ id = s.users.id }):from(s.users)
        :where(o.eq(s.users.id, o.placeholder("id")))
        :limit(o.placeholder("n"))
    end, SEL_ID .. '"users"."id" = ? limit ?', nil },

  -- numbering across clauses ------------------------------------------------
  { "placeholders are numbered across CTE, where, having, limit, offset",
    function(qb, s)
      local u = s.users
      local c = o.cte("c", qb:select({ id = u.id, role = u.role }):from(u)
        :where(o.gt(u.age, 10)))
      return qb:with(c):select({ role = c.role }):from(c)
        :where(o.ne(c.role, "x")):groupBy(c.role)
        :having(o.gt(o.count(), 2)):limit(3):offset(4)
    end, 'with "c" as (select «"id", "role"» from "users" where '
      .. '"users"."age" > ?) select "role" from "c" where "c"."role" <> ? '
      .. 'group by "c"."role" having count(*) > ? limit ? offset ?',
    { 10, "x", 2, 3, 4 } },
}

for _, d in ipairs(dialects.all) do
  describe("SQL for " .. d, function()
    local qb, s
    before_each(function()
      qb = sleet.queryBuilder(d)
      s = schemas.standard(d)
    end)

    for _, case in ipairs(cases) do
      local name, build, params = case[1], case[2], case[4]
      if type(params) == "table" and (params.sqlite or params.default) then
        params = params[d] or params.default
      end
      case.sql = case[3]
      local want = expected_for(case, d)
      if want == "usage" then
        it(name, function()
          check.raises_kind("usage", function()
            return build(qb, s):toSQL()
          end)
        end)
      elseif want ~= nil then
        it(name, function()
          local q = build(qb, s)
          if params == nil and name:find("placeholders bind later") then
            local r = q:toSQL()
            check.sql_matches(r.sql, want)
            -- two slots, filled at execution: not plain values
            assert.equal(2, #r.params)
            assert.is_not.equal(1, r.params[1])
          else
            check.expect(q, want, params)
          end
        end)
      end
    end

    it("builders are immutable: a derived builder leaves its base alone",
      function()
        local base = qb:select({ id = s.users.id }):from(s.users)
        local before = base:toSQL().sql
        local filtered = base:where(o.eq(s.users.id, 1))
        local limited = base:limit(3)
        assert.equal(before, base:toSQL().sql)
        assert.is_not.equal(before, filtered:toSQL().sql)
        assert.is_not.equal(filtered:toSQL().sql, limited:toSQL().sql)
        assert.equal(0, #base:toSQL().params)
      end)

    it("identifiers holding quote characters are quoted by doubling", function()
      local m = require(schemas.modules[d])
      local t = m.table('a"b`c', {
        col = m.text('x"y`z'),
      })
      local r = qb:select():from(t):where(o.eq(t.col, 'v"`\'')):toSQL()
      if d == "mysql" then
        assert.equal('select `x"y``z` from `a"b``c` where '
          .. '`a"b``c`.`x"y``z` = ?', r.sql)
      else
        assert.equal('select "x""y`z" from "a""b`c" where "a""b`c"."x""y`z" = '
          .. (d == "postgresql" and "$1" or "?"), r.sql)
      end
      check.params_equal(r.params, { 'v"`\'' })
    end)

    it("sleet.identifier quotes by doubling too", function()
      local r = qb:select({ id = s.users.id }):from(s.users)
        :where(o.sql("? is null", o.identifier('we"ird`one'))):toSQL()
      if d == "mysql" then
        assert.equal('select `id` from `users` where `we"ird``one` is null',
          r.sql)
      else
        assert.equal('select "id" from "users" where "we""ird`one" is null',
          r.sql)
      end
    end)

    it("values are bound, never spliced into the text", function()
      local evil = "x'); drop table users; --"
      local r = qb:insert(s.users):values({ name = evil }):toSQL()
      assert.is_nil(r.sql:find("drop table", 1, true))
      check.params_equal(r.params, { evil })
      local r2 = qb:select({ id = s.users.id }):from(s.users)
        :where(o.like(s.users.name, "%'--")):toSQL()
      assert.is_nil(r2.sql:find("'--", 1, true))
    end)

    it("casing = snake_case names columns from their keys", function()
      -- Assumption: a standalone builder takes the connect options' casing
      -- as its second argument, as Drizzle's QueryBuilder takes { casing }.
      local m = require(schemas.modules[d])
      local people = m.table("people", {
        firstName = m.text(),
        lastName = m.text("LastName"),
        homeTownId = m.text(),
      })
      local cqb = sleet.queryBuilder(d, { casing = "snake_case" })
      local r = cqb:select():from(people)
        :where(o.eq(people.firstName, "x")):toSQL()
      check.sql_matches(r.sql, spell(d, 'select "first_name", "LastName", '
        .. '"home_town_id" from "people" where "people"."first_name" = ?'))
      -- without casing, the key itself is the name
      local plain = qb:select():from(people):toSQL()
      check.sql_matches(plain.sql, spell(d,
        'select "firstName", "LastName", "homeTownId" from "people"'))
    end)
  end)
end
