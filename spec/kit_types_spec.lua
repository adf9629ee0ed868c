-- sleet-kit types: the LuaLS annotations of a schema. The generated file
-- loads as Lua (a definition file, ---@meta), every table has its Row and
-- Insert class with a field per column of the right Lua type (nullable
-- columns `?`, insert fields optional where the database or Lua fills a
-- value in, generated columns absent), relations give a WithRelations
-- class; on a schema of every column type of each dialect, on the blog
-- example, through the command, and through lua-language-server --check
-- where one is installed.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"
local sleet = require "sleet"
local kit = require "sleet.kit"
local types = require "sleet.types"

local shq, writefile = shell.shq, shell.writefile

-- The classes of a generated file: name → { parent, fields = { name →
-- { type, optional } }, order = { field names } }.
local function classes(text)
  local out, cur = {}, nil
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    local name, parent = l:match("^%-%-%-@class ([%w_]+)%s*:?%s*([%w_]*)")
    if name then
      cur = { parent = parent ~= "" and parent or nil, fields = {},
        order = {} }
      assert.is_nil(out[name], "class " .. name .. " twice")
      out[name] = cur
    elseif l:match("^%-%-%-@field ") then
      assert.truthy(cur, "a field outside a class: " .. l)
      local fname, opt, ftype = l:match("^%-%-%-@field ([%w_]+)(%??) (%S+)")
      assert.truthy(fname, l)
      cur.fields[fname] = { type = ftype, optional = opt == "?" }
      cur.order[#cur.order + 1] = fname
    elseif l == "" then
      cur = nil
    end
  end
  return out
end

local function aliases(text)
  local out = {}
  for name, t in text:gmatch("\n%-%-%-@alias ([%w_]+) ([^\n]+)") do
    out[name] = t
  end
  return out
end

-- Each dialect's table of every column type: { key, builder, row type,
-- insert: "required" | "optional" | "absent" }.
local function alltypes(name)
  local sql = sleet.sql
  local fill = function() return "x" end
  if name == "sqlite" then
    local s = require "sleet.sqlite"
    return s, {
      { "id", s.integer():primaryKey(), "integer", "optional" },
      { "count", s.integer():notNull(), "integer", "required" },
      { "big", s.integer({ mode = "bigint" }), "integer?", "optional" },
      { "flag", s.integer({ mode = "boolean" }), "boolean?", "optional" },
      { "createdAt", s.integer("created_at", { mode = "timestamp" })
        :notNull():defaultNow(), "string", "optional" },
      { "stampMs", s.integer({ mode = "timestamp_ms" }), "string?",
        "optional" },
      { "ratio", s.real(), "number?", "optional" },
      { "name", s.text():notNull(), "string", "required" },
      { "meta", s.text({ mode = "json" }), "any?", "optional" },
      { "data", s.blob(), "string?", "optional" },
      { "price", s.numeric(), "string?", "optional" },
      { "amount", s.numeric({ mode = "number" }), "number?", "optional" },
      { "status", s.text({ enum = { "draft", "done" } }):notNull()
        :default("draft"), '("draft"|"done")', "optional" },
      { "label", s.text():notNull():defaultFn(fill), "string", "optional" },
      { "upper", s.text():generatedAlwaysAs(sql("upper(name)")), "string?",
        "absent" },
    }
  elseif name == "postgresql" then
    local pg = require "sleet.pg"
    local mood = pg.enum("kit_types_mood", { "sad", "ok" })
    return pg, {
      { "id", pg.serial():primaryKey(), "integer", "optional" },
      { "small", pg.smallint():notNull(), "integer", "required" },
      { "big", pg.bigint({ mode = "bigint" }), "integer?", "optional" },
      { "seq", pg.bigserial(), "integer", "optional" },
      { "flag", pg.boolean():notNull():default(false), "boolean",
        "optional" },
      { "name", pg.text():notNull(), "string", "required" },
      { "email", pg.varchar({ length = 255 }), "string?", "optional" },
      { "code", pg.char({ length = 2 }), "string?", "optional" },
      { "price", pg.numeric({ precision = 10, scale = 2 }), "string?",
        "optional" },
      { "amount", pg.numeric({ mode = "number" }), "number?", "optional" },
      { "ratio", pg.real(), "number?", "optional" },
      { "precise", pg.doublePrecision(), "number?", "optional" },
      { "doc", pg.json(), "any?", "optional" },
      { "docb", pg.jsonb():notNull(), "any", "required" },
      { "uid", pg.uuid():notNull():defaultRandom(), "string", "optional" },
      { "bytes", pg.bytea(), "string?", "optional" },
      { "day", pg.date(), "string?", "optional" },
      { "at", pg.time(), "string?", "optional" },
      { "createdAt", pg.timestamp("created_at", { withTimezone = true })
        :notNull():defaultNow(), "string", "optional" },
      { "epoch", pg.timestamp({ mode = "epoch" }), "integer?", "optional" },
      { "span", pg.interval(), "string?", "optional" },
      { "mood", mood():notNull(), "KitTypesMood", "required" },
      { "role", pg.text({ enum = { "admin", "member" } }), '("admin"|"member")?',
        "optional" },
      { "upper", pg.text():generatedAlwaysAs(sql("upper(name)")), "string?",
        "absent" },
    }, { kitTypesMood = mood }
  end
  local my = require "sleet.mysql"
  return my, {
    { "id", my.serial():primaryKey(), "integer", "optional" },
    { "count", my.int():notNull(), "integer", "required" },
    { "tiny", my.tinyint(), "integer?", "optional" },
    { "big", my.bigint({ unsigned = true }), "integer?", "optional" },
    { "auto", my.int():autoincrement(), "integer?", "optional" },
    { "flag", my.boolean():notNull(), "boolean", "required" },
    { "ratio", my.float(), "number?", "optional" },
    { "precise", my.double(), "number?", "optional" },
    { "price", my.decimal({ precision = 10, scale = 2 }), "string?",
      "optional" },
    { "code", my.char({ length = 2 }), "string?", "optional" },
    { "name", my.varchar({ length = 100 }):notNull(), "string", "required" },
    { "body", my.text(), "string?", "optional" },
    { "doc", my.json(), "any?", "optional" },
    { "bytes", my.binary({ length = 4 }), "string?", "optional" },
    { "data", my.blob(), "string?", "optional" },
    { "day", my.date(), "string?", "optional" },
    { "seen", my.datetime(), "string?", "optional" },
    { "createdAt", my.timestamp("created_at"):notNull():defaultNow(),
      "string", "optional" },
    { "epoch", my.timestamp({ mode = "epoch" }), "integer?", "optional" },
    { "at", my.time(), "string?", "optional" },
    { "year", my.year(), "integer?", "optional" },
    { "size", my.enum({ "s", "m", "l" }):notNull(), '("s"|"m"|"l")',
      "required" },
    { "upper", my.varchar({ length = 100 })
      :generatedAlwaysAs(sql("upper(name)")), "string?", "absent" },
  }
end

local function loads(text)
  local chunk, err = (loadstring or load)(text, "=types.lua") -- luacheck: ignore 113
  assert.truthy(chunk, err)
  assert.is_true((pcall(chunk)))
end

for _, name in ipairs(dialects.all) do
  describe("types on " .. name, function()
    it("gives every column its field, type and optionality", function()
      local m, cols, extra = alltypes(name)
      local spec = {}
      for _, c in ipairs(cols) do spec[c[1]] = c[2] end
      local t = m.table("kit_types_all", spec)
      local schema = { kitTypesAll = t }
      for k, v in pairs(extra or {}) do schema[k] = v end
      local text = types.generate(schema)
      loads(text)
      assert.equal("---@meta\n", text:sub(1, 9))
      local cl = classes(text)
      local row, ins = cl.KitTypesAllRow, cl.KitTypesAllInsert
      assert.truthy(row, text)
      assert.truthy(ins, text)
      for i, c in ipairs(cols) do
        local key, rtype, insert = c[1], c[3], c[4]
        -- fields in the schema's order
        assert.equal(key, row.order[i], text)
        assert.same({ type = rtype, optional = false }, row.fields[key],
          key)
        if insert == "absent" then
          assert.is_nil(ins.fields[key], key)
        else
          assert.truthy(ins.fields[key], key)
          assert.equal(rtype:gsub("%?$", ""), ins.fields[key].type, key)
          assert.equal(insert == "optional", ins.fields[key].optional, key)
        end
      end
      if name == "postgresql" then
        assert.equal('"sad"|"ok"', aliases(text).KitTypesMood)
      end
      -- the same schema gives the same bytes
      assert.equal(text, types.generate(schema))
    end)

    it("types the blog example with its relations", function()
      local schema = dofile("examples/blog/schema.lua")(name)
      local relations = sleet.defineRelations(schema, function(r) return {
        users = { posts = r.many.posts() },
        posts = {
          author = r.one.users({ from = r.posts.authorId, to = r.users.id }),
          comments = r.many.comments(),
        },
        comments = {
          post = r.one.posts({ from = r.comments.postId, to = r.posts.id }),
          author = r.one.users({ from = r.comments.authorId,
            to = r.users.id }),
        },
      } end)
      local text = types.generate(schema, { relations = relations })
      loads(text)
      -- what kit.types gives for a config holding the schema itself
      assert.equal(text, kit.types({ dialect = name, schema = schema },
        { relations = relations }))
      local cl = classes(text)
      for key, t in pairs({ users = schema.users, posts = schema.posts,
        comments = schema.comments }) do
        local cname = key:sub(1, 1):upper() .. key:sub(2)
        local row = cl[cname .. "Row"]
        assert.truthy(row, cname)
        local n = 0
        for ckey in pairs(t) do
          if type(ckey) == "string" then
            assert.truthy(row.fields[ckey], cname .. "." .. ckey)
            n = n + 1
          end
        end
        assert.equal(n, #row.order)
        assert.equal(cname .. "Row", cl[cname .. "WithRelations"].parent)
      end
      local users = cl.UsersRow.fields
      assert.same({ type = "integer", optional = false }, users.id)
      assert.same({ type = "string", optional = false }, users.createdAt)
      assert.equal("any?", users.profile.type)
      assert.is_nil(users.createdat)
      if name == "postgresql" then
        assert.equal("Role", users.role.type)
      else
        assert.equal('("admin"|"author"|"reader")', users.role.type)
      end
      assert.equal("boolean", cl.PostsRow.fields.published.type)
      assert.is_true(cl.PostsInsert.fields.published.optional)
      assert.is_false(cl.PostsInsert.fields.title.optional)
      assert.same({ type = "PostsWithRelations[]", optional = true },
        cl.UsersWithRelations.fields.posts)
      assert.same({ type = "UsersWithRelations", optional = true },
        cl.PostsWithRelations.fields.author)
      assert.same({ type = "CommentsWithRelations[]", optional = true },
        cl.PostsWithRelations.fields.comments)
      assert.same({ type = "PostsWithRelations", optional = true },
        cl.CommentsWithRelations.fields.post)
    end)
  end)
end

describe("types", function()
  it("quotes keys that are no Lua names and keeps class names apart",
    function()
      local s = require "sleet.sqlite"
      local a = s.table("a", { ["first name"] = s.text(),
        ["end"] = s.integer() })
      local b = s.table("b", { id = s.integer() })
      local text = types.generate({ user_s = a, userS = b })
      loads(text)
      assert.truthy(text:find('\n---@field ["first name"] string? ', 1, true),
        text)
      assert.truthy(text:find('\n---@field ["end"] integer? ', 1, true), text)
      assert.truthy(text:find("\n---@class UserSRow\n", 1, true), text)
      assert.truthy(text:find("\n---@class UserS2Row\n", 1, true), text)
    end)

  it("refuses a schema without tables", function()
    check.raises_kind("usage", types.generate, {})
  end)
end)

describe("sleet-kit types", function()
  local dir

  after_each(function()
    if dir then os.execute("rm -rf " .. shq(dir)) end
    dir = nil
  end)

  local function run(args)
    local cmd = ("cd %s && %s SLEET_KIT_NONINTERACTIVE=1 %s %s %s 2>&1; " ..
      "echo \"EXIT:$?\""):format(shq(dir), shell.env, check.lua(),
      shq(shell.bin), args)
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    return tonumber(out:match("EXIT:(%d+)%s*$")), out:gsub("EXIT:%d+%s*$", "")
  end

  local function readfile(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return s
  end

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. shq(dir))
    writefile(dir .. "/schema.lua", [[
local s = require "sleet.sqlite"
local users = s.table("users", {
  id = s.integer():primaryKey(),
  name = s.text():notNull(),
  createdAt = s.integer({ mode = "timestamp" }):notNull():defaultNow(),
})
local posts = s.table("posts", {
  id = s.integer():primaryKey(),
  authorId = s.integer():notNull():references(function() return users.id end),
  title = s.text(),
})
return { users = users, posts = posts }
]])
    writefile(dir .. "/relations.lua", [[
local sleet = require "sleet"
return function(schema)
  return sleet.defineRelations(schema, function(r) return {
    users = { posts = r.many.posts() },
    posts = { author = r.one.users() },
  } end)
end
]])
    writefile(dir .. "/sleet.config.lua", [[
return { dialect = "sqlite", schema = "schema.lua",
  relations = "relations.lua", casing = "snake_case" }
]])
  end)

  it("writes the annotations with the config's relations", function()
    local code, out = run("types --out types.lua")
    assert.equal(0, code, out)
    assert.truthy(out:find("types.lua", 1, true), out)
    local text = readfile(dir .. "/types.lua")
    loads(text)
    local cl = classes(text)
    assert.same({ "id", "name", "createdAt" }, cl.UsersRow.order)
    assert.same({ type = "PostsWithRelations[]", optional = true },
      cl.UsersWithRelations.fields.posts)
    assert.same({ type = "UsersWithRelations", optional = true },
      cl.PostsWithRelations.fields.author)
    -- the SQL name under the config's casing
    assert.truthy(text:find("@field createdAt string created_at integer", 1,
      true), text)
    -- printed without --out: the same text
    local code2, printed = run("types")
    assert.equal(0, code2)
    assert.equal(text, printed)
    code, out = run("help types")
    assert.equal(0, code)
    assert.truthy(out:find("Usage: sleet-kit types", 1, true), out)
    code, out = run("--help")
    assert.equal(0, code)
    assert.truthy(out:find("\n  types ", 1, true), out)
  end)

  it("names a relations file that returns something else", function()
    writefile(dir .. "/relations.lua", "return 42\n")
    local code, out = run("types")
    assert.equal(2, code, out)
    assert.truthy(out:find("relations relations.lua must return", 1, true),
      out)
  end)

  it("passes lua-language-server --check where it is installed", function()
    if not check.execute("command -v lua-language-server >/dev/null 2>&1")
    then
      pending("lua-language-server is not installed: --check skipped")
      return
    end
    assert.equal(0, (run("types --out types.lua")))
    writefile(dir .. "/use.lua", [[
---@type UsersRow
local row = ...
print(row.createdAt, row.name)
---@type UsersInsert
local new = { name = "Ada" }
print(new)
]])
    local p = io.popen(("cd %s && lua-language-server --check . " ..
      "--checklevel=Warning 2>&1"):format(shq(dir)))
    local out = p:read("*a")
    p:close()
    assert.truthy(out:find("no problems", 1, true) or
      out:find("0 problem", 1, true), out)
  end)
end)
