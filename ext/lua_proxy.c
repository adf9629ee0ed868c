/*
** lua_proxy.c — the Lua side of the proxy drivers (drivers/proxy.c):
** a request becomes the arguments of the host's function, its return value
** becomes an answer (drivers/sl_proxy.h has the format). lua/sleet/wire.lua
** moves them between the driver and the function.
*/
#include <stdio.h>
#include <string.h>

#include "lua_sleet.h"
#include "../drivers/sl_proxy.h"

/* core.proxy_request(bytes) -> sql, params: params a list of the bound
** values (sleet.null for NULL; params.n their number). */
static int proxy_request(lua_State *L) {
  size_t n, len;
  const char *p = luaL_checklstring(L, 1, &n), *sql;
  sl_proxy_reader r;
  uint32_t i, np;
  sl_proxy_reader_init(&r, p, n);
  if (sl_proxy_read_u8(&r) != SL_PROXY_QUERY)
    return sl_lua_usage(L, "not a proxy request");
  sql = sl_proxy_read_bytes(&r, &len);
  np = sl_proxy_read_u32(&r);
  if (r.bad || np > n) return sl_lua_usage(L, "malformed proxy request");
  lua_pushlstring(L, sql, len);
  lua_createtable(L, (int)np, 1);
  for (i = 0; i < np; i++) {
    sl_value v;
    sl_proxy_read_value(&r, &v);
    if (r.bad) return sl_lua_usage(L, "malformed proxy request");
    switch (v.type) {
    case SL_V_INT:
      sl_lua_pushint64(L, v.u.i);
      break;
    case SL_V_FLOAT:
      lua_pushnumber(L, v.u.f);
      break;
    case SL_V_BOOL:
      lua_pushboolean(L, v.u.b);
      break;
    case SL_V_TEXT:
    case SL_V_BLOB:
      lua_pushlstring(L, v.u.s.p, v.u.s.n);
      break;
    default:
      sl_lua_pushnull(L);
      break;
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)np);
  lua_setfield(L, -2, "n");
  return 2;
}

/* Writes the cell at idx (a row's value) to b; raises naming row and
** column for a value no database gives. */
static void write_cell(lua_State *L, sl_buf *b, int idx, int row, int col) {
  sl_value v;
  memset(&v, 0, sizeof v);
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    v.type = SL_V_NULL;
    break;
  case LUA_TBOOLEAN:
    v.type = SL_V_BOOL;
    v.u.b = lua_toboolean(L, idx);
    break;
  case LUA_TNUMBER:
    if (sl_lua_isinteger(L, idx)) {
      v.type = SL_V_INT;
      v.u.i = sl_lua_toint64(L, idx);
    } else {
      v.type = SL_V_FLOAT;
      v.u.f = (double)lua_tonumber(L, idx);
    }
    break;
  case LUA_TSTRING:
    v.type = SL_V_TEXT;
    v.u.s.p = lua_tolstring(L, idx, &v.u.s.n);
    break;
  default:
    if (sl_lua_isnull(L, idx)) {
      v.type = SL_V_NULL;
      break;
    }
#if !SL_LUA_INT64
    if (sl_lua_isinteger(L, idx)) { /* int64 cdata */
      v.type = SL_V_INT;
      v.u.i = sl_lua_toint64(L, idx);
      break;
    }
#endif
    sl_buf_free(b);
    sl_lua_usage(L,
                 "proxy: row %d, cell %d is a %s (cells are strings, "
                 "numbers, booleans or sleet.null)",
                 row, col, luaL_typename(L, idx));
  }
  sl_proxy_write_value(b, &v);
}

static int64_t opt_count(lua_State *L, int t, const char *key, int *has) {
  int64_t v = 0;
  lua_getfield(L, t, key);
  *has = !lua_isnil(L, -1);
  if (*has) {
    if (!sl_lua_isinteger(L, -1))
      sl_lua_usage(L, "proxy: %s must be an integer, got %s", key,
                   luaL_typename(L, -1));
    v = sl_lua_toint64(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* Pushes the answer in b (its 4-byte length first) and frees b. */
static int push_answer(lua_State *L, sl_buf *b) {
  sl_buf framed;
  if (b->oom || b->n > SL_PROXY_MAX) {
    sl_buf_free(b);
    return luaL_error(L, "not enough memory");
  }
  sl_buf_init(&framed);
  sl_proxy_write_u32(&framed, (uint32_t)b->n);
  sl_buf_add(&framed, b->p, b->n);
  sl_buf_free(b);
  if (framed.oom) {
    sl_buf_free(&framed);
    return luaL_error(L, "not enough memory");
  }
  lua_pushlstring(L, framed.p, framed.n);
  sl_buf_free(&framed);
  return 1;
}

/* core.proxy_answer(result) -> bytes: result { rows = { {cell, ...}, ... },
** fields = { name, ... }, rowsAffected = n, lastInsertId = n }, every field
** optional. A row has as many cells as fields (or as the longest row when
** there are no fields); a missing cell is NULL. */
static int proxy_answer(lua_State *L) {
  sl_buf b;
  int nrows = 0, ncols = 0, i, j, has_changed, has_id;
  int64_t changed, id;
  if (lua_isnoneornil(L, 1)) lua_newtable(L), lua_replace(L, 1);
  if (!lua_istable(L, 1))
    return sl_lua_usage(L,
                        "proxy: the function must return a table "
                        "{ rows = ..., rowsAffected = ... }, got %s",
                        luaL_typename(L, 1));
  lua_settop(L, 1);
  lua_getfield(L, 1, "rows");   /* 2 */
  lua_getfield(L, 1, "fields"); /* 3 */
  if (!lua_isnil(L, 2) && !lua_istable(L, 2))
    return sl_lua_usage(L, "proxy: rows must be a list of rows, got %s",
                        luaL_typename(L, 2));
  if (!lua_isnil(L, 3) && !lua_istable(L, 3))
    return sl_lua_usage(L, "proxy: fields must be a list of names, got %s",
                        luaL_typename(L, 3));
  if (lua_istable(L, 2)) nrows = (int)lua_rawlen(L, 2);
  if (lua_istable(L, 3)) {
    ncols = (int)lua_rawlen(L, 3);
  } else {
    for (i = 1; i <= nrows; i++) {
      int n;
      lua_rawgeti(L, 2, i);
      if (!lua_istable(L, -1))
        return sl_lua_usage(L,
                            "proxy: row %d must be a list of cells, got "
                            "%s",
                            i, luaL_typename(L, -1));
      n = (int)lua_rawlen(L, -1);
      if (n > ncols) ncols = n;
      lua_pop(L, 1);
    }
  }
  changed = opt_count(L, 1, "rowsAffected", &has_changed);
  id = opt_count(L, 1, "lastInsertId", &has_id);
  sl_buf_init(&b);
  sl_buf_addc(&b, SL_PROXY_ROWS);
  sl_proxy_write_u32(&b, (uint32_t)ncols);
  sl_proxy_write_u32(&b, (uint32_t)nrows);
  sl_proxy_write_u64(&b, (uint64_t)(has_changed ? changed : 0));
  sl_buf_addc(&b, (char)(has_id != 0));
  sl_proxy_write_u64(&b, (uint64_t)id);
  for (j = 1; j <= ncols; j++) {
    size_t len = 0;
    const char *name = "";
    char num[16];
    if (lua_istable(L, 3)) {
      lua_rawgeti(L, 3, j);
      if (lua_type(L, -1) != LUA_TSTRING) {
        sl_buf_free(&b);
        return sl_lua_usage(L, "proxy: field %d must be a name", j);
      }
      name = lua_tolstring(L, -1, &len);
      lua_pop(L, 1); /* still referenced by the fields table */
    } else {
      snprintf(num, sizeof num, "%d", j);
      name = num;
      len = strlen(num);
    }
    sl_proxy_write_bytes(&b, name, len);
  }
  for (i = 1; i <= nrows; i++) {
    lua_rawgeti(L, 2, i);
    if (!lua_istable(L, -1)) {
      sl_buf_free(&b);
      return sl_lua_usage(L, "proxy: row %d must be a list of cells, got %s", i,
                          luaL_typename(L, -1));
    }
    for (j = 1; j <= ncols; j++) {
      lua_rawgeti(L, -1, j);
      write_cell(L, &b, lua_gettop(L), i, j);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return push_answer(L, &b);
}

/* Writes err[key] (a string or number) as bytes, "" when absent. */
static void write_field(lua_State *L, sl_buf *b, int t, const char *key) {
  size_t n = 0;
  const char *s = "";
  if (lua_istable(L, t)) {
    lua_getfield(L, t, key);
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
      s = lua_tolstring(L, -1, &n);
  }
  sl_proxy_write_bytes(b, s, n);
  if (lua_istable(L, t)) lua_pop(L, 1);
}

/* core.proxy_error(err) -> bytes: an answer that fails the statement. err
** is a message, or a table with message and any of kind (default
** database), sqlstate, code, constraint, table, column, detail (an error
** object of sleet's keeps its fields). */
static int proxy_error(lua_State *L) {
  sl_buf b;
  sl_buf_init(&b);
  sl_buf_addc(&b, SL_PROXY_ERROR);
  if (lua_istable(L, 1)) {
    write_field(L, &b, 1, "message");
  } else {
    size_t n;
    const char *msg = luaL_tolstring(L, 1, &n);
    sl_proxy_write_bytes(&b, msg, n);
  }
  write_field(L, &b, 1, "sqlstate");
  write_field(L, &b, 1, "kind");
  write_field(L, &b, 1, "code");
  write_field(L, &b, 1, "constraint");
  write_field(L, &b, 1, "table");
  write_field(L, &b, 1, "column");
  write_field(L, &b, 1, "detail");
  return push_answer(L, &b);
}

void sl_lua_open_proxy(lua_State *L) {
  static const luaL_Reg funcs[] = {{"proxy_request", proxy_request},
                                   {"proxy_answer", proxy_answer},
                                   {"proxy_error", proxy_error},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
