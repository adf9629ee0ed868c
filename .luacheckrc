-- luacheck configuration: `make lint` checks lua/ spec/ examples/ and bin/*.
std = "lua54"
max_line_length = 100
codes = true

-- busted's globals (describe, it, assert, spy, ...) exist only in specs.
files["spec/"] = {
  std = "+busted",
}

-- The handlers of the nginx request specs run inside nginx's Lua module.
files["spec/nginx/"] = {
  std = "luajit",
  globals = { "ngx" },
}
