rockspec_format = "3.0"
package = "sleet"
version = "scm-1"

source = {
  url = "git+https://github.com/sleet-lua/sleet.git",
}

description = {
  summary = "Drizzle ORM for Lua, with a native C core",
  detailed = [[
Schemas and queries are Lua tables; SQL is compiled and executed natively in
C. Query builder, transactions, prepared statements and schema push, with
Drizzle's names and SQL. SQLite is built in; the PostgreSQL and MySQL drivers
are the rocks sleet-pg and sleet-mysql.
]],
  homepage = "https://github.com/sleet-lua/sleet",
  labels = { "database", "orm", "sql", "sqlite", "postgresql", "mysql" },
}

dependencies = {
  "lua >= 5.1",
}

external_dependencies = {
  SQLITE = {
    header = "sqlite3.h",
    library = "sqlite3",
  },
  JANSSON = {
    header = "jansson.h",
    library = "jansson",
  },
  CRYPTO = {
    header = "openssl/evp.h",
    library = "crypto",
  },
}

build = {
  type = "builtin",
  modules = {
    ["sleet.core"] = {
      sources = {
        "ext/sl_error.c",
        "ext/sl_buf.c",
        "ext/sl_arena.c",
        "ext/sl_codec.c",
        "ext/sl_render.c",
        "ext/sl_dialect.c",
        "ext/sl_ddl.c",
        "ext/sl_snapshot.c",
        "ext/sl_diff.c",
        "ext/sl_seed.c",
        "ext/sl_mywire.c",
        "ext/sl_pgwire.c",
        "ext/lua_core.c",
        "ext/lua_conn.c",
        "ext/lua_tree.c",
        "ext/lua_codec.c",
        "ext/lua_nested.c",
        "ext/lua_kit.c",
        "ext/lua_int64.c",
        "ext/lua_proxy.c",
        "ext/lua_seed.c",
        "drivers/sqlite.c",
        "drivers/proxy.c",
        "drivers/mywire.c",
        "drivers/pgwire.c",
      },
      incdirs = { "ext", "drivers", "$(SQLITE_INCDIR)", "$(JANSSON_INCDIR)",
                  "$(CRYPTO_INCDIR)" },
      libdirs = { "$(SQLITE_LIBDIR)", "$(JANSSON_LIBDIR)", "$(CRYPTO_LIBDIR)" },
      libraries = { "sqlite3", "jansson", "crypto" },
    },
    ["sleet"] = "lua/sleet/init.lua",
    ["sleet.casing"] = "lua/sleet/casing.lua",
    ["sleet.column"] = "lua/sleet/column.lua",
    ["sleet.diagram"] = "lua/sleet/diagram.lua",
    ["sleet.db"] = "lua/sleet/db.lua",
    ["sleet.pool"] = "lua/sleet/pool.lua",
    ["sleet.wire"] = "lua/sleet/wire.lua",
    ["sleet.expr"] = "lua/sleet/expr.lua",
    ["sleet.introspect"] = "lua/sleet/introspect.lua",
    ["sleet.kit"] = "lua/sleet/kit.lua",
    ["sleet.migrator"] = "lua/sleet/migrator.lua",
    ["sleet.mysql"] = "lua/sleet/mysql.lua",
    ["sleet.pg"] = "lua/sleet/pg.lua",
    ["sleet.pull"] = "lua/sleet/pull.lua",
    ["sleet.query"] = "lua/sleet/query.lua",
    ["sleet.replicas"] = "lua/sleet/replicas.lua",
    ["sleet.views"] = "lua/sleet/views.lua",
    ["sleet.studio"] = "lua/sleet/studio.lua",
    ["sleet.relations"] = "lua/sleet/relations.lua",
    ["sleet.seed"] = "lua/sleet/seed.lua",
    ["sleet.seed.words"] = "lua/sleet/seed/words.lua",
    ["sleet.snapshot"] = "lua/sleet/snapshot.lua",
    ["sleet.sqlite"] = "lua/sleet/sqlite.lua",
    ["sleet.types"] = "lua/sleet/types.lua",
    ["sleet.util"] = "lua/sleet/util.lua",
  },
  install = {
    bin = {
      ["sleet-kit"] = "bin/sleet-kit",
    },
  },
}
