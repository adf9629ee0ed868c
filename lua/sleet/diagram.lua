-- The schema as an entity-relationship diagram: what `sleet-kit diagram`
-- draws. The diagram is Graphviz dot text, built from the schema's
-- snapshot (sleet.snapshot), so it shows the database as DDL makes it:
-- SQL names and types. Each table is a box listing its columns (name,
-- type, keys: PK primary key, FK foreign key, UQ unique, NN not null);
-- each foreign key is an arrow from the referencing column to the
-- referenced one (labelled with its ON DELETE / ON UPDATE actions when
-- they are not "no action"); a PostgreSQL enum is a box of its values,
-- with a dashed line from each column of its type.
--
-- The same schema always gives the same text (sorted, no dates). dot
-- renders it (SVG, PNG, PDF) where Graphviz is installed.
local snapshot = require "sleet.snapshot"
local util = require "sleet.util"

local M = {}

-- The formats render() asks dot for.
M.formats = { svg = true, png = true, pdf = true }

-- A string as a dot quoted ID.
local function id(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", "\\n") .. '"'
end

-- Text for an HTML-like label.
local function html(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
    :gsub('"', "&quot;"):gsub("[%c]", " "))
end

-- A type as the diagram shows it: without the quotes of an enum's name.
local function showtype(t)
  return (t:gsub('"', ""))
end

-- The title of a snapshot table: schema.name outside PostgreSQL's public.
local function title(t)
  if t.schema and t.schema ~= "" and t.schema ~= "public" then
    return t.schema .. "." .. t.name
  end
  return t.name
end

local columns = snapshot.columns

local function sortedvalues(map)
  local out = {}
  for _, k in ipairs(util.sortedkeys(map or {})) do out[#out + 1] = map[k] end
  return out
end

-- diagram.dot(schema, dialect, { casing }) → the dot text of schema.
function M.dot(schema, dialect, opts)
  local snap = snapshot.build(schema, dialect,
    { casing = opts and opts.casing })
  local out = {
    "digraph schema {",
    '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.4, ranksep=1.0];',
    '  node [shape=plain, fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9, color="#4a6785"];',
  }
  local function line(s) out[#out + 1] = s end

  -- the node and port of each table column, by table key and column name
  local keys = util.sortedkeys(snap.tables)
  local port = {}
  local byname = {}
  for _, key in ipairs(keys) do
    local t = snap.tables[key]
    byname[snapshot.tablekey(dialect, t.schema ~= "" and t.schema or nil,
      t.name)] = key
    port[key] = {}
    for i, c in ipairs(columns(t)) do port[key][c.name] = "c" .. i end
  end

  -- the enums, by the type a column of theirs has
  local enumkeys = util.sortedkeys(snap.enums or {})
  local enumof = {}
  for _, k in ipairs(enumkeys) do
    local e = snap.enums[k]
    enumof[e.name] = k
    enumof['"' .. e.name .. '"'] = k
    enumof['"' .. e.schema .. '"."' .. e.name .. '"'] = k
  end

  local enumedges = {}
  for _, key in ipairs(keys) do
    local t = snap.tables[key]
    local flags = {}
    local function flag(col, f)
      flags[col] = flags[col] or {}
      for _, x in ipairs(flags[col]) do if x == f then return end end
      flags[col][#flags[col] + 1] = f
    end
    for _, c in pairs(t.columns) do
      if c.primaryKey then flag(c.name, "PK") end
    end
    for _, pk in ipairs(sortedvalues(t.compositePrimaryKeys)) do
      for _, c in ipairs(pk.columns) do flag(c, "PK") end
    end
    for _, fk in ipairs(sortedvalues(t.foreignKeys)) do
      for _, c in ipairs(fk.columnsFrom) do flag(c, "FK") end
    end
    for _, u in ipairs(sortedvalues(t.uniqueConstraints)) do
      if #u.columns == 1 then flag(u.columns[1], "UQ") end
    end
    line(("  %s [label=<"):format(id(key)))
    line('    <table border="0" cellborder="1" cellspacing="0" ' ..
      'cellpadding="4">')
    line(('      <tr><td colspan="3" bgcolor="#dde6f0"><b>%s</b></td></tr>')
      :format(html(title(t))))
    for i, c in ipairs(columns(t)) do
      local f = flags[c.name] or {}
      local pk = false
      for _, x in ipairs(f) do pk = pk or x == "PK" end
      if c.notNull and not pk then f[#f + 1] = "NN" end
      -- arrows leave a row on its right (port k) and enter on its left (c)
      line(('      <tr><td port="c%d" align="left">%s</td>' ..
        '<td align="left">%s</td><td port="k%d" align="left">%s</td></tr>')
        :format(i, html(c.name), html(showtype(c.type)), i,
          table.concat(f, " ")))
      local ek = enumof[c.type]
      if ek then
        enumedges[#enumedges + 1] = ("  %s:k%d:e -> %s:w [style=dashed, " ..
          "arrowhead=none];"):format(id(key), i, id("enum " .. ek))
      end
    end
    line("    </table>>];")
  end

  for _, k in ipairs(enumkeys) do
    local e = snap.enums[k]
    local name = e.schema ~= "public" and (e.schema .. "." .. e.name) or e.name
    line(("  %s [label=<"):format(id("enum " .. k)))
    line('    <table border="0" cellborder="1" cellspacing="0" ' ..
      'cellpadding="4">')
    line(('      <tr><td bgcolor="#f0e6d2"><b>%s</b> <i>enum</i></td></tr>')
      :format(html(name)))
    for _, v in ipairs(e.values) do
      line(('      <tr><td align="left">%s</td></tr>'):format(html(v)))
    end
    line("    </table>>];")
  end

  for _, key in ipairs(keys) do
    local t = snap.tables[key]
    for _, fk in ipairs(sortedvalues(t.foreignKeys)) do
      local to = byname[snapshot.tablekey(dialect,
        fk.schemaTo ~= "" and fk.schemaTo or nil, fk.tableTo)]
      local actions = {}
      if fk.onDelete and fk.onDelete ~= "no action" then
        actions[#actions + 1] = "on delete " .. fk.onDelete
      end
      if fk.onUpdate and fk.onUpdate ~= "no action" then
        actions[#actions + 1] = "on update " .. fk.onUpdate
      end
      local label = #actions > 0 and
        (", label=" .. id(table.concat(actions, ", "))) or ""
      for i, c in ipairs(fk.columnsFrom) do
        local from = id(key) .. ":" .. port[key][c]:gsub("^c", "k") .. ":e"
        local target
        if to then
          target = id(to) .. ":" .. (port[to][fk.columnsTo[i]] or "c1") ..
            ":w"
        else
          target = id(fk.tableTo)  -- a table outside the schema
        end
        line(("  %s -> %s [tooltip=%s%s];"):format(from, target, id(fk.name),
          i == 1 and label or ""))
      end
    end
  end
  for _, e in ipairs(enumedges) do line(e) end
  line("}")
  return table.concat(out, "\n") .. "\n"
end

local function shq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- True when Graphviz's dot command can be run.
function M.hasdot()
  return util.execute("command -v dot >/dev/null 2>&1")
end

-- diagram.render(dot, format, path) writes the diagram to path in format
-- ("svg", "png", "pdf") with Graphviz's dot; raises a usage error when
-- dot fails.
function M.render(text, format, path)
  if not M.formats[format] then
    util.usage(("diagram: cannot render %s (svg, png or pdf)"):format(
      tostring(format)))
  end
  local src = os.tmpname()
  local f = assert(io.open(src, "wb"))
  f:write(text)
  f:close()
  local errf = os.tmpname()
  -- dot is a program of its own: a sanitizer runtime preloaded into this
  -- process (an ASan build's test run) must not follow it there
  local ok = util.execute(("env -u LD_PRELOAD dot -T%s -o %s %s 2>%s")
    :format(format, shq(path), shq(src), shq(errf)))
  os.remove(src)
  local ef = io.open(errf, "rb")
  local err = ef and ef:read("*a") or ""
  if ef then ef:close() end
  os.remove(errf)
  if not ok then
    util.usage(("dot could not render %s: %s"):format(path,
      err ~= "" and err or "it failed"))
  end
end

return M
