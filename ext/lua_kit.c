/*
** lua_kit.c — what sleet-kit needs from C: the schema diff (core.diff),
** expressions rendered as DDL text for snapshots (core.ddl_expr) and
** SHA-256 of migration files (core.sha256, OpenSSL's libcrypto).
**
** Memory: every call keeps its arena in a userdata whose __gc frees it,
** so an error raised anywhere (bad options, out of memory while pushing
** results) leaves nothing behind.
*/
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lua_sleet.h"

#define SL_LUA_ARENA "sleet.Arena"

/* {====================================================================
** Arena boxes
** ===================================================================== */

typedef struct arena_box {
  sl_arena *a;
} arena_box;

static int box_gc(lua_State *L) {
  arena_box *b = luaL_testudata(L, 1, SL_LUA_ARENA);
  if (b != NULL && b->a != NULL) {
    sl_arena_free(b->a);
    b->a = NULL;
  }
  return 0;
}

/* Pushes a box owning a new arena and returns the arena. */
static sl_arena *push_arena(lua_State *L) {
  arena_box *b = sl_lua_newudata(L, sizeof *b);
  b->a = NULL;
  luaL_setmetatable(L, SL_LUA_ARENA);
  b->a = sl_arena_new();
  if (b->a == NULL) luaL_error(L, "not enough memory");
  return b->a;
}

static const sl_dialect *check_dialect(lua_State *L, int idx, const char *fn) {
  const sl_dialect *d;
  if (lua_type(L, idx) != LUA_TSTRING)
    sl_lua_usage(L, "%s: dialect name expected, got %s", fn,
                 luaL_typename(L, idx));
  d = sl_dialect_find(lua_tostring(L, idx));
  if (d == NULL) sl_lua_usage(L, "unknown dialect '%s'", lua_tostring(L, idx));
  return d;
}

/* }==================================================================== */

/* {====================================================================
** core.diff
** ===================================================================== */

/* Reads opts.renames[which] ({ [from] = to | false }) into a list in
** the arena, sorted by from so that results do not depend on table
** iteration order. The strings stay anchored by opts. */
static int cmp_rename(const void *x, const void *y) {
  return strcmp(((const sl_rename *)x)->from, ((const sl_rename *)y)->from);
}

static void read_renames(lua_State *L, int renames, const char *which,
                         sl_arena *a, const sl_rename **out, int *n) {
  sl_rename *v;
  int count = 0, cap = 0;
  *out = NULL;
  *n = 0;
  lua_getfield(L, renames, which);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  if (!lua_istable(L, -1))
    sl_lua_usage(L, "core.diff: opts.renames.%s must be a table, got %s", which,
                 luaL_typename(L, -1));
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    cap++;
    lua_pop(L, 1);
  }
  v = cap > 0 ? sl_arena_alloc(a, (size_t)cap * sizeof *v) : NULL;
  if (cap > 0 && v == NULL) luaL_error(L, "not enough memory");
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    int tv = lua_type(L, -1);
    if (lua_type(L, -2) != LUA_TSTRING)
      sl_lua_usage(L, "core.diff: opts.renames.%s keys must be strings", which);
    if (tv != LUA_TSTRING && !(tv == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
      sl_lua_usage(L,
                   "core.diff: opts.renames.%s[\"%s\"] must be a new name "
                   "or false, got %s",
                   which, lua_tostring(L, -2), luaL_typename(L, -1));
    v[count].from = lua_tostring(L, -2);
    v[count].to = tv == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    count++;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  if (count > 1) qsort(v, (size_t)count, sizeof *v, cmp_rename);
  *out = v;
  *n = count;
}

/* The snapshot at idx: JSON text, or nil/false for an empty schema. */
static sl_snapshot *read_snapshot(lua_State *L, int idx, const char *label,
                                  const sl_dialect *d, sl_arena *a) {
  sl_snapshot *s = NULL;
  sl_error err;
  size_t len;
  const char *json;
  if (lua_isnoneornil(L, idx) ||
      (lua_type(L, idx) == LUA_TBOOLEAN && !lua_toboolean(L, idx))) {
    s = sl_snapshot_empty(d, a);
    if (s == NULL) luaL_error(L, "not enough memory");
    return s;
  }
  if (lua_type(L, idx) != LUA_TSTRING)
    sl_lua_usage(L, "core.diff: %s must be JSON text or nil, got %s", label,
                 luaL_typename(L, idx));
  json = lua_tolstring(L, idx, &len);
  sl_error_clear(&err);
  if (sl_snapshot_parse(json, len, label, a, &s, &err) != SL_OK)
    sl_lua_raise(L, &err, NULL);
  return s;
}

static void set_string(lua_State *L, const char *key, const char *v) {
  if (v == NULL) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

static void push_names(lua_State *L, const char **names, int n) {
  int i;
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

static void push_result(lua_State *L, const sl_diff *r) {
  int i;
  if (r->nunresolved > 0) {
    lua_createtable(L, 0, 1);
    lua_createtable(L, r->nunresolved, 0);
    for (i = 0; i < r->nunresolved; i++) {
      const sl_unresolved *u = &r->unresolved[i];
      lua_createtable(L, 0, 4);
      set_string(L, "kind", u->columns ? "column" : "table");
      set_string(L, "table", u->table);
      push_names(L, u->created, u->ncreated);
      lua_setfield(L, -2, "created");
      push_names(L, u->deleted, u->ndeleted);
      lua_setfield(L, -2, "deleted");
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "unresolved");
    return;
  }
  lua_createtable(L, 0, 2);
  push_names(L, r->statements, r->nstatements);
  lua_setfield(L, -2, "statements");
  lua_createtable(L, r->nchanges, 0);
  for (i = 0; i < r->nchanges; i++) {
    const sl_change *ch = &r->changes[i];
    lua_createtable(L, 0, 6);
    set_string(L, "kind", ch->kind);
    set_string(L, "table", ch->table);
    set_string(L, "column", ch->column);
    set_string(L, "name", ch->name);
    set_string(L, "description", ch->description);
    if (ch->destructive) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "destructive");
    }
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "changes");
}

/* core.diff(dialect, prev_json, next_json [, opts]) -> result; see
** docs/internals.md, "Migrations". */
static int kit_diff(lua_State *L) {
  const sl_dialect *d = check_dialect(L, 1, "core.diff");
  sl_snapshot *prev, *next;
  sl_diff_opts opts;
  sl_diff result;
  sl_error err;
  sl_arena *a;
  lua_settop(L, 4);
  if (!lua_isnil(L, 4) && !lua_istable(L, 4))
    return sl_lua_usage(L, "core.diff: opts must be a table, got %s",
                        luaL_typename(L, 4));
  a = push_arena(L); /* index 5 */
  memset(&opts, 0, sizeof opts);
  if (lua_istable(L, 4)) {
    lua_getfield(L, 4, "renames"); /* index 6 */
    if (lua_istable(L, 6)) {
      read_renames(L, 6, "tables", a, &opts.tables, &opts.ntables);
      read_renames(L, 6, "columns", a, &opts.columns, &opts.ncolumns);
    } else if (!lua_isnil(L, 6)) {
      return sl_lua_usage(L, "core.diff: opts.renames must be a table, got %s",
                          luaL_typename(L, 6));
    }
  }
  prev = read_snapshot(L, 2, "previous snapshot", d, a);
  next = read_snapshot(L, 3, "next snapshot", d, a);
  sl_error_clear(&err);
  if (sl_diff_snapshots(d, prev, next, &opts, a, &result, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  push_result(L, &result);
  return 1;
}

/* }==================================================================== */

/* {====================================================================
** core.ddl_expr, core.sha256
** ===================================================================== */

/* core.ddl_expr(dialect, node [, "default" | "qualified"]) -> DDL text of
** an expression node tree, literals inlined, columns unqualified;
** "default" gives the text CREATE TABLE writes after DEFAULT, "qualified"
** keeps columns qualified as a statement has them (a view's query, a
** policy's expressions). */
static int kit_ddl_expr(lua_State *L) {
  const sl_dialect *d = check_dialect(L, 1, "core.ddl_expr");
  const char *as = luaL_optstring(L, 3, NULL);
  sl_node *root = NULL;
  sl_error err;
  sl_sql out;
  sl_arena *a;
  if (lua_type(L, 2) != LUA_TTABLE)
    return sl_lua_usage(L, "core.ddl_expr: node table expected, got %s",
                        luaL_typename(L, 2));
  if (as != NULL && strcmp(as, "default") != 0 && strcmp(as, "qualified") != 0)
    return sl_lua_usage(L,
                        "core.ddl_expr: unknown mode '%s' (expected "
                        "\"default\" or \"qualified\")",
                        as);
  lua_settop(L, 3);
  a = push_arena(L);
  sl_error_clear(&err);
  if (sl_lua_tree(L, 2, d, a, &root, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  if ((as != NULL && strcmp(as, "qualified") == 0
           ? sl_render_ddl_query(d, root, a, &out, &err)
           : sl_render_ddl_expr(d, root, as != NULL, a, &out, &err)) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  lua_pushlstring(L, out.sql, out.len);
  return 1;
}

/* core.sha256(s) -> lower-case hex digest (drizzle's migration hash) */
static int kit_sha256(lua_State *L) {
  static const char digits[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  char hex[2 * EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0, i;
  size_t len;
  const char *s;
  if (lua_type(L, 1) != LUA_TSTRING)
    return sl_lua_usage(L, "core.sha256: string expected, got %s",
                        luaL_typename(L, 1));
  s = lua_tolstring(L, 1, &len);
  if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1)
    return luaL_error(L, "core.sha256: digest failed");
  for (i = 0; i < mdlen; i++) {
    hex[2 * i] = digits[md[i] >> 4];
    hex[2 * i + 1] = digits[md[i] & 15];
  }
  lua_pushlstring(L, hex, 2 * (size_t)mdlen);
  return 1;
}

/* }==================================================================== */

/* Adds diff, ddl_expr and sha256 to the module table at the top of the
** stack. */
void sl_lua_open_kit(lua_State *L) {
  static const luaL_Reg funcs[] = {{"diff", kit_diff},
                                   {"ddl_expr", kit_ddl_expr},
                                   {"sha256", kit_sha256},
                                   {NULL, NULL}};
  luaL_newmetatable(L, SL_LUA_ARENA);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushstring(L, SL_LUA_ARENA);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  luaL_setfuncs(L, funcs, 0);
}
