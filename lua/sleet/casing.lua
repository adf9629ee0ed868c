-- Key casing: how a column key becomes its SQL name when the column has no
-- explicit name. Words are split the way Drizzle splits them
-- (/[\da-z]+|[A-Z]+(?![a-z])|[A-Z][\da-z]+/), so `createdAt` → `created_at`,
-- `userID` → `user_id`, `HTTPServer` → `http_server`.
local M = {}

local function lower(c) return c:match("^[%da-z]$") ~= nil end
local function upper(c) return c:match("^[A-Z]$") ~= nil end

-- The words of s.
function M.words(s)
  s = s:gsub("['\226\128\153]", "") -- quotes are dropped, like Drizzle
  local words, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if lower(c) then
      local j = i
      while j < n and lower(s:sub(j + 1, j + 1)) do j = j + 1 end
      words[#words + 1] = s:sub(i, j)
      i = j + 1
    elseif upper(c) then
      local j = i
      while j < n and upper(s:sub(j + 1, j + 1)) do j = j + 1 end
      -- [A-Z]+(?![a-z]): give back the last capital when a lower-case
      -- letter follows the run
      local nextc = s:sub(j + 1, j + 1)
      if nextc:match("^[a-z]$") then j = j - 1 end
      if j >= i then
        words[#words + 1] = s:sub(i, j)
        i = j + 1
      else
        -- [A-Z][\da-z]+
        local k = i + 1
        while k < n and lower(s:sub(k + 1, k + 1)) do k = k + 1 end
        words[#words + 1] = s:sub(i, k)
        i = k + 1
      end
    else
      i = i + 1
    end
  end
  return words
end

-- `createdAt` → `created_at`.
function M.snake(s)
  local w = M.words(s)
  for i = 1, #w do w[i] = w[i]:lower() end
  return table.concat(w, "_")
end

-- `created_at` → `createdAt`.
function M.camel(s)
  local w = M.words(s)
  for i = 1, #w do
    if i == 1 then
      w[i] = w[i]:lower()
    else
      w[i] = w[i]:sub(1, 1):upper() .. w[i]:sub(2)
    end
  end
  return table.concat(w)
end

local cache = setmetatable({}, { __mode = "k" })

-- The key→name function for a casing option ("snake_case", "camelCase"),
-- nil for none; other values raise through fail(message).
function M.resolve(option, fail)
  if option == nil or option == false then return nil end
  local f
  if option == "snake_case" then
    f = M.snake
  elseif option == "camelCase" then
    f = M.camel
  else
    fail(("casing must be \"snake_case\" or \"camelCase\", got %s")
      :format(tostring(option)))
  end
  -- memoized per option: names are resolved on every compile
  local memo = cache[f]
  if not memo then
    memo = {}
    cache[f] = memo
  end
  return function(key)
    local v = memo[key]
    if not v then
      v = f(key)
      memo[key] = v
    end
    return v
  end
end

return M
