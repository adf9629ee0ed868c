rockspec_format = "3.0"
package = "sleet-pg"
version = "scm-1"

source = {
  url = "git+https://github.com/sleet-lua/sleet.git",
}

description = {
  summary = "PostgreSQL driver for sleet (Drizzle ORM for Lua), over libpq",
  detailed = [[
The C module sleet.driver.postgresql, which lets sleet.connect open
postgres:// URLs. It links libpq; the sleet rock provides everything else.
]],
  homepage = "https://github.com/sleet-lua/sleet",
  labels = { "database", "orm", "sql", "postgresql" },
}

dependencies = {
  "lua >= 5.1",
  "sleet = scm-1",
}

external_dependencies = {
  PQ = {
    header = "postgresql/libpq-fe.h",
    library = "pq",
  },
}

build = {
  type = "builtin",
  modules = {
    ["sleet.driver.postgresql"] = {
      sources = {
        "drivers/postgresql.c",
        "ext/lua_driver.c",
        "ext/sl_error.c",
        "ext/sl_buf.c",
      },
      defines = {
        "SL_DRIVER_SYMBOL=sl_driver_postgresql",
        "SL_DRIVER_OPEN=luaopen_sleet_driver_postgresql",
      },
      incdirs = { "$(PQ_INCDIR)/postgresql", "ext", "drivers" },
      libdirs = { "$(PQ_LIBDIR)" },
      libraries = { "pq" },
    },
  },
}
