rockspec_format = "3.0"
package = "sleet-mysql"
version = "scm-1"

source = {
  url = "git+https://github.com/sleet-lua/sleet.git",
}

description = {
  summary = "MySQL and MariaDB driver for sleet (Drizzle ORM for Lua)",
  detailed = [[
The C module sleet.driver.mysql, which lets sleet.connect open mysql://
URLs. It links the MariaDB client library (libmariadb), which speaks to
MySQL and MariaDB servers; the sleet rock provides everything else.
]],
  homepage = "https://github.com/sleet-lua/sleet",
  labels = { "database", "orm", "sql", "mysql", "mariadb" },
}

dependencies = {
  "lua >= 5.1",
  "sleet = scm-1",
}

external_dependencies = {
  MARIADB = {
    header = "mariadb/mysql.h",
    library = "mariadb",
  },
}

build = {
  type = "builtin",
  modules = {
    ["sleet.driver.mysql"] = {
      sources = {
        "drivers/mysql.c",
        "ext/lua_driver.c",
        "ext/sl_error.c",
        "ext/sl_buf.c",
      },
      defines = {
        "SL_DRIVER_SYMBOL=sl_driver_mysql",
        "SL_DRIVER_OPEN=luaopen_sleet_driver_mysql",
      },
      incdirs = { "$(MARIADB_INCDIR)/mariadb", "ext", "drivers" },
      libdirs = { "$(MARIADB_LIBDIR)" },
      libraries = { "mariadb" },
    },
  },
}
