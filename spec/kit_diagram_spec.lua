-- sleet-kit diagram: the schema as Graphviz dot (tables with their
-- columns, types and keys, an arrow per foreign key), exact for a small
-- schema; the blog example on every dialect; SVG and PNG rendered by dot
-- where Graphviz is installed, and the dot text with a note where not.
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"
local shell = require "spec.support.shell"
local diagram = require "sleet.diagram"
local kit = require "sleet.kit"

local shq, writefile = shell.shq, shell.writefile

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local SMALL = [[
local s = require "sleet.sqlite"
local users = s.table("users", {
  id = s.integer():primaryKey(),
  email = s.text():notNull():unique(),
})
local posts = s.table("posts", {
  id = s.integer():primaryKey(),
  authorId = s.integer("author_id")
    :references(function() return users.id end, { onDelete = "cascade" }),
  title = s.text(),
})
return { users = users, posts = posts }
]]

-- luacheck: push no max line length
local SMALL_DOT = [[
digraph schema {
  graph [rankdir=LR, fontname="Helvetica", nodesep=0.4, ranksep=1.0];
  node [shape=plain, fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=9, color="#4a6785"];
  "posts" [label=<
    <table border="0" cellborder="1" cellspacing="0" cellpadding="4">
      <tr><td colspan="3" bgcolor="#dde6f0"><b>posts</b></td></tr>
      <tr><td port="c1" align="left">id</td><td align="left">integer</td><td port="k1" align="left">PK</td></tr>
      <tr><td port="c2" align="left">author_id</td><td align="left">integer</td><td port="k2" align="left">FK</td></tr>
      <tr><td port="c3" align="left">title</td><td align="left">text</td><td port="k3" align="left"></td></tr>
    </table>>];
  "users" [label=<
    <table border="0" cellborder="1" cellspacing="0" cellpadding="4">
      <tr><td colspan="3" bgcolor="#dde6f0"><b>users</b></td></tr>
      <tr><td port="c1" align="left">id</td><td align="left">integer</td><td port="k1" align="left">PK</td></tr>
      <tr><td port="c2" align="left">email</td><td align="left">text</td><td port="k2" align="left">UQ NN</td></tr>
    </table>>];
  "posts":k2:e -> "users":c1:w [tooltip="posts_author_id_users_id_fk", label="on delete cascade"];
}
]]
-- luacheck: pop

local function hasdot() return diagram.hasdot() end

describe("diagram", function()
  it("draws a small schema exactly", function()
    local schema = assert((loadstring or load)(SMALL))() -- luacheck: ignore 113
    assert.equal(SMALL_DOT, diagram.dot(schema, "sqlite"))
  end)

  it("draws composite keys, a self reference, a pg schema and an enum",
    function()
      local pg = require "sleet.pg"
      local sch = pg.schema("kit_diagram")
      local mood = sch.enum("mood", { "sad", "<ok>" })
      local nodes = sch.table("nodes", {
        id = pg.integer(),
        part = pg.integer(),
        parentId = pg.integer("parent_id"),
        parentPart = pg.integer("parent_part"),
        mood = mood(),
      }, function(t) return {
        pg.primaryKey({ columns = { t.id, t.part } }),
        pg.foreignKey({ columns = { t.parentId, t.parentPart },
          foreignColumns = { t.id, t.part } }):onUpdate("cascade"),
      } end)
      local dot = diagram.dot({ nodes = nodes, mood = mood }, "postgresql")
      assert.truthy(dot:find('<b>kit_diagram.nodes</b>', 1, true), dot)
      assert.truthy(dot:find('<td port="c1" align="left">id</td><td ' ..
        'align="left">integer</td><td port="k1" align="left">PK</td>', 1,
        true), dot)
      assert.truthy(dot:find('<td port="c2" align="left">part</td><td ' ..
        'align="left">integer</td><td port="k2" align="left">PK</td>', 1,
        true), dot)
      -- one arrow per column of the foreign key, back into the table
      assert.truthy(dot:find('"kit_diagram.nodes":k3:e -> ' ..
        '"kit_diagram.nodes":c1:w [tooltip="', 1, true), dot)
      assert.truthy(dot:find('label="on update cascade"', 1, true), dot)
      assert.truthy(dot:find('"kit_diagram.nodes":k4:e -> ' ..
        '"kit_diagram.nodes":c2:w', 1, true), dot)
      -- the enum: its values (escaped for the label) and a dashed line
      assert.truthy(dot:find("<b>kit_diagram.mood</b> <i>enum</i>", 1, true),
        dot)
      assert.truthy(dot:find("&lt;ok&gt;", 1, true), dot)
      assert.truthy(dot:find('"kit_diagram.nodes":k5:e -> ' ..
        '"enum kit_diagram.mood":w [style=dashed', 1, true), dot)
      if hasdot() then
        local out = os.tmpname()
        diagram.render(dot, "svg", out)
        assert.truthy(readfile(out):find("<svg", 1, true))
        os.remove(out)
      end
    end)

  for _, name in ipairs(dialects.all) do
    it("draws the blog example on " .. name, function()
      local schema = dofile("examples/blog/schema.lua")(name)
      local dot = kit.diagram({ dialect = name, schema = schema })
      assert.equal(dot, diagram.dot(schema, name))
      for _, t in ipairs({ "blog_users", "blog_posts", "blog_comments" }) do
        assert.truthy(dot:find("<b>" .. t .. "</b>", 1, true), t)
      end
      local _, arrows = dot:gsub("k%d:e %-> [^\n]*:c1:w", "")
      assert.equal(3, arrows, dot)
      if not hasdot() then
        pending("Graphviz's dot is not installed: rendering skipped")
        return
      end
      local out = os.tmpname()
      diagram.render(dot, "svg", out)
      local svg = readfile(out)
      os.remove(out)
      assert.truthy(svg:find("<svg", 1, true))
      assert.truthy(svg:find("blog_comments", 1, true))
    end)
  end
end)

describe("sleet-kit diagram", function()
  local dir

  local function run(args, path)
    local cmd = ("cd %s && %s %s SLEET_KIT_NONINTERACTIVE=1 %s %s %s 2>&1; " ..
      "echo \"EXIT:$?\""):format(shq(dir), path and ("PATH=" .. shq(path))
      or "", shell.env, check.lua(), shq(shell.bin), args)
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    return tonumber(out:match("EXIT:(%d+)%s*$")), out:gsub("EXIT:%d+%s*$", "")
  end

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. shq(dir))
    writefile(dir .. "/schema.lua", SMALL)
    writefile(dir .. "/sleet.config.lua",
      'return { dialect = "sqlite", schema = "schema.lua" }\n')
  end)

  after_each(function()
    os.execute("rm -rf " .. shq(dir))
  end)

  it("prints the dot text, or writes it to a .dot file", function()
    local code, out = run("diagram")
    assert.equal(0, code, out)
    assert.equal(SMALL_DOT, out)
    code, out = run("diagram --out schema.dot")
    assert.equal(0, code, out)
    assert.equal(SMALL_DOT, readfile(dir .. "/schema.dot"))
    code, out = run("diagram --out schema.txt")
    assert.equal(2, code, out)
    assert.truthy(out:find(".svg, .png, .pdf, .dot or .gv", 1, true), out)
    code, out = run("help diagram")
    assert.equal(0, code)
    assert.truthy(out:find("Usage: sleet-kit diagram", 1, true), out)
  end)

  it("renders SVG and PNG with dot", function()
    if not hasdot() then
      pending("Graphviz's dot is not installed: rendering skipped")
      return
    end
    local code, out = run("diagram --out schema.svg")
    assert.equal(0, code, out)
    assert.truthy(out:find("schema.svg", 1, true), out)
    local svg = readfile(dir .. "/schema.svg")
    assert.truthy(svg:find("<svg", 1, true))
    assert.truthy(svg:find(">author_id<", 1, true), svg)
    code, out = run("diagram --out schema.png")
    assert.equal(0, code, out)
    assert.equal("\137PNG", readfile(dir .. "/schema.png"):sub(1, 4))
  end)

  it("writes the dot text with a note where dot is missing", function()
    -- a PATH holding the Lua interpreter only
    local bin = dir .. "/bin"
    os.execute(("mkdir -p %s && ln -s \"$(command -v %s)\" %s/"):format(
      shq(bin), check.lua(), shq(bin)))
    local code, out = run("diagram --out schema.svg", bin)
    assert.equal(0, code, out)
    assert.truthy(out:find("dot command is not installed", 1, true), out)
    assert.truthy(out:find("schema.dot", 1, true), out)
    assert.equal(SMALL_DOT, readfile(dir .. "/schema.dot"))
    assert.is_nil(readfile(dir .. "/schema.svg"))
  end)
end)
