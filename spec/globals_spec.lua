-- Requiring and using sleet's modules must not create global variables.

-- Every Lua module under lua/sleet/ plus the C core.
local function module_names()
  local names = { "sleet", "sleet.core" }
  local p = io.popen("find lua/sleet -name '*.lua' 2>/dev/null | sort")
  if p then
    for file in p:lines() do
      local mod = file:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", "")
        :gsub("/", ".")
      if mod ~= "sleet" then names[#names + 1] = mod end
    end
    p:close()
  end
  return names
end

local function globals()
  local keys = {}
  for k in pairs(_G) do keys[k] = true end
  return keys
end

local function new_globals(before)
  local added = {}
  for k in pairs(_G) do
    if not before[k] then added[#added + 1] = tostring(k) end
  end
  table.sort(added)
  return added
end

describe("globals", function()
  it("finds the modules to check", function()
    local names = module_names()
    -- at least sleet, sleet.core and the schema modules
    assert.is_true(#names >= 5, "found only: " .. table.concat(names, ", "))
  end)

  it("requiring every module leaks no globals", function()
    for name in pairs(package.loaded) do
      if name == "sleet" or name:find("^sleet%.") then
        package.loaded[name] = nil
      end
    end
    local before = globals()
    for _, name in ipairs(module_names()) do
      local ok, err = pcall(require, name)
      assert.is_true(ok, "require " .. name .. ": " .. tostring(err))
    end
    assert.same({}, new_globals(before))
  end)

  it("using the library leaks no globals", function()
    local before = globals()
    local sleet = require "sleet"
    local kit = require "sleet.kit"
    local m = require "sleet.sqlite"
    local t = m.table("g", { id = m.integer():primaryKey(), v = m.text() })
    local db = sleet.connect("sqlite::memory:", { schema = { g = t } })
    kit.push(db, { g = t }, { force = true })
    db:insert(t):values({ v = "x" }):run()
    db:transaction(function(tx)
      tx:update(t):set({ v = "y" }):run()
      pcall(tx.transaction, tx, function() error("no") end)
    end)
    for _ in db:select():from(t):iter() do end
    pcall(function() return db:insert(t):values({ nope = 1 }):run() end)
    pcall(function() return db:execute(sleet.sql("selec")) end)
    sleet.queryBuilder("postgresql"):select():from(t):toSQL()
    db:close()
    collectgarbage()
    assert.same({}, new_globals(before))
  end)
end)
