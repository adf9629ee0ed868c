-- What the specs that run child processes share: shell quoting, the
-- checkout's root and sleet-kit, and this process's module paths made
-- absolute for a command run in another directory.
local M = {}

-- s single-quoted for the shell.
function M.shq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- The checkout's root (the specs run from it).
M.root = (function()
  local p = io.popen("pwd")
  local d = p:read("*l")
  p:close()
  return d
end)()

-- The sleet-kit command of the checkout.
M.bin = M.root .. "/bin/sleet-kit"

-- A ;-separated module path with relative entries made absolute.
function M.absolute(paths)
  local out = {}
  for entry in paths:gmatch("[^;]+") do
    if entry:sub(1, 1) ~= "/" then entry = M.root .. "/" .. entry end
    out[#out + 1] = entry
  end
  return table.concat(out, ";") .. ";;"
end

-- LUA_PATH=... LUA_CPATH=... of this process, for a child command.
M.env = ("LUA_PATH=%s LUA_CPATH=%s"):format(M.shq(M.absolute(package.path)),
  M.shq(M.absolute(package.cpath)))

-- The contents of path, or nil when it cannot be read.
function M.readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- A new empty directory (its subdirectories sub..., when given, made too).
function M.tmpdir(...)
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. M.shq(dir))
  for _, sub in ipairs({ ... }) do
    os.execute("mkdir -p " .. M.shq(dir .. "/" .. sub))
  end
  return dir
end

-- s percent-encoded for a URL's query.
function M.urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return ("%%%02X"):format(c:byte())
  end))
end

-- Writes text to path.
function M.writefile(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

return M
