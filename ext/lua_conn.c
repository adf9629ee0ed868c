/*
** lua_conn.c — connections ("sleet.Connection") and cursors
** ("sleet.Cursor"): running compiled statements and raw SQL, building result
** rows natively.
**
** Every execution goes through a cursor userdata, created before any
** statement exists: it owns the driver statement and the arena of encoded
** parameters, so a Lua error anywhere (even out of memory while building a
** row) leaves them to the collector instead of leaking. Cursors are linked
** into their connection's list; close() finalizes them all before closing
** the connection, and a cursor whose connection was closed fails cleanly.
** A cursor's user value holds its connection (keeping it alive) and the
** compiled statement or SQL string it runs.
**
** Lua API calls that can raise are never made while a driver call is on
** the C stack; driver errors are copied into an sl_error, the statement is
** finalized, and only then is the error object raised.
*/
#include <string.h>

#include "lua_sleet.h"
#include "../drivers/sl_driver.h"

typedef struct lconn lconn;
typedef struct lcursor lcursor;

struct lconn {
  const sl_driver *drv;
  const sl_dialect *dialect; /* the core's dialect named by drv->dialect */
  sl_conn *c;                /* NULL when closed */
  lcursor *cursors;          /* live cursors, finalized by close */
};

enum { CUR_NEW, CUR_OPEN, CUR_DONE, CUR_ABORTED };
enum { M_ALL, M_GET, M_VALUES, M_RUN, M_ITER };

struct lcursor {
  lconn *conn; /* non-NULL while linked into conn->cursors */
  const sl_driver *drv;
  sl_stmt *stmt;   /* non-NULL only while linked */
  sl_arena *arena; /* encoded parameters */
  const sl_dialect *dialect;
  lcursor *prev, *next;
  const sl_lua_compiled *cq; /* NULL for raw SQL */
  const char *sql;           /* in cq's arena or a Lua string kept alive */
  size_t len;
  int mode;
  int state;
  int checked; /* column count checked against the fields */
  int ncols;   /* raw rows: columns keyed */
};

/* The drivers core.connect knows, by name. */
static const sl_driver *const drivers[] = {&sl_driver_sqlite, NULL};

/* {====================================================================
** Cursors
** ===================================================================== */

static void cursor_unlink(lcursor *cur) {
  lconn *lc = cur->conn;
  if (lc == NULL) return;
  if (cur->prev != NULL)
    cur->prev->next = cur->next;
  else
    lc->cursors = cur->next;
  if (cur->next != NULL) cur->next->prev = cur->prev;
  cur->prev = cur->next = NULL;
  cur->conn = NULL;
}

/* Finalizes the statement, frees the parameters and unlinks; idempotent. */
static void cursor_release(lcursor *cur) {
  if (cur->stmt != NULL) {
    cur->drv->finalize(cur->stmt);
    cur->stmt = NULL;
  }
  if (cur->arena != NULL) {
    sl_arena_free(cur->arena);
    cur->arena = NULL;
  }
  cursor_unlink(cur);
  if (cur->state == CUR_NEW || cur->state == CUR_OPEN) cur->state = CUR_DONE;
}

/* The statement text for error objects; NULL once its owner is gone. */
static const char *cursor_sql(const lcursor *cur) {
  if (cur->cq != NULL && cur->cq->arena == NULL) return NULL;
  return cur->sql;
}

/* Releases the cursor, then raises err with the statement text. */
static int cursor_fail(lua_State *L, lcursor *cur, const sl_error *err) {
  cursor_release(cur);
  return sl_lua_raise(L, err, cursor_sql(cur));
}

/* __gc, __close and cursor:close() */
static int cursor_close(lua_State *L) {
  lcursor *cur = luaL_testudata(L, 1, SL_LUA_CURSOR);
  if (cur != NULL) cursor_release(cur);
  return 0;
}

static int cursor_tostring(lua_State *L) {
  lcursor *cur = luaL_testudata(L, 1, SL_LUA_CURSOR);
  lua_pushfstring(L, SL_LUA_CURSOR " (%s)",
                  cur != NULL && cur->stmt != NULL ? "open" : "closed");
  return 1;
}

/* Pushes a new cursor linked into the connection at conn_idx; its user
** value keeps the connection and the value at keep_idx alive. */
static lcursor *cursor_new(lua_State *L, int conn_idx, int keep_idx) {
  lconn *lc = lua_touserdata(L, conn_idx);
  lcursor *cur = sl_lua_newudata(L, sizeof *cur);
  memset(cur, 0, sizeof *cur);
  cur->state = CUR_NEW;
  luaL_setmetatable(L, SL_LUA_CURSOR);
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, conn_idx);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, keep_idx);
  lua_rawseti(L, -2, 2);
  sl_lua_setuv(L, -2);
  cur->drv = lc->drv;
  cur->dialect = lc->dialect;
  cur->conn = lc;
  cur->next = lc->cursors;
  if (lc->cursors != NULL) lc->cursors->prev = cur;
  lc->cursors = cur;
  return cur;
}

/* Advances the cursor: SL_ROW, SL_DONE or SL_ERROR. */
static int cursor_step(lcursor *cur, sl_error *err) {
  if (cur->conn == NULL || cur->stmt == NULL)
    return sl_error_set(err, SL_EK_USAGE, "the connection is closed");
  /* Bound parameters live in the compiled statement's arena. */
  if (cur->cq != NULL && cur->cq->arena == NULL)
    return sl_error_set(err, SL_EK_USAGE, "the compiled statement was closed");
  return cur->drv->step(cur->stmt, err);
}

/* }==================================================================== */

/* {====================================================================
** Rows
** ===================================================================== */

/* Pushes the table of column names of a raw statement (after a row). */
static void push_raw_keys(lua_State *L, lcursor *cur) {
  int i, n = cur->drv->ncolumns(cur->stmt);
  cur->ncols = n;
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, cur->drv->column_name(cur->stmt, i));
    lua_rawseti(L, -2, i + 1);
  }
}

/* Pushes the current row of a raw statement keyed by the names at kidx
** (codec any), or as an array in values mode. */
static int push_raw_row(lua_State *L, lcursor *cur, int kidx, sl_error *err) {
  const sl_dialect *d = cur->dialect;
  int values = cur->mode == M_VALUES;
  int i, row;
  sl_value v;
  if (values)
    lua_createtable(L, cur->ncols, 0);
  else
    lua_createtable(L, 0, cur->ncols);
  row = lua_gettop(L);
  for (i = 0; i < cur->ncols; i++) {
    cur->drv->column(cur->stmt, i, &v);
    if (values) {
      if (v.type == SL_V_NULL)
        sl_lua_pushnull(L);
      else if (sl_lua_decode(L, &v, SL_C_ANY, d, err) != SL_OK)
        goto fail;
      lua_rawseti(L, row, i + 1);
    } else if (v.type != SL_V_NULL) {
      lua_rawgeti(L, kidx, i + 1);
      if (sl_lua_decode(L, &v, SL_C_ANY, d, err) != SL_OK) goto fail;
      lua_rawset(L, row);
    }
  }
  return SL_OK;
fail:
  lua_settop(L, row - 1);
  return SL_ERROR;
}

/* Pushes the current row shaped by the compiled statement's fields: keys
** from the interned table at kidx, groups as nested tables (a nullable
** group whose cells are all NULL stays nil), NULL cells absent; or an
** array with sleet.null for NULL in values mode. */
static int push_field_row(lua_State *L, lcursor *cur, int kidx, sl_error *err) {
  const sl_lua_compiled *cq = cur->cq;
  const sl_dialect *d = cur->dialect;
  int nf = cq->nfields, ng = cq->ngroups;
  int i, g, row;
  sl_value v;
  if (!cur->checked) {
    int n = cur->drv->ncolumns(cur->stmt);
    if (n < nf)
      return sl_error_set(err, SL_EK_USAGE,
                          "the statement returned %d columns for %d fields", n,
                          nf);
    cur->checked = 1;
  }
  if (cur->mode == M_VALUES) {
    lua_createtable(L, nf, 0);
    row = lua_gettop(L);
    for (i = 0; i < nf; i++) {
      const sl_field *f = &cq->fields[i];
      cur->drv->column(cur->stmt, i, &v);
      if (f->shape != NULL) {
        if (sl_lua_nested(L, &v, f->shape, kidx, d, err) != SL_OK) goto fail;
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          sl_lua_pushnull(L);
        }
      } else if (v.type == SL_V_NULL) {
        sl_lua_pushnull(L);
      } else if (sl_lua_decode(L, &v, f->codec, d, err) != SL_OK) {
        goto fail;
      }
      lua_rawseti(L, row, i + 1);
    }
    return SL_OK;
  }
  lua_createtable(L, 0, cq->ntop + ng);
  row = lua_gettop(L);
  if (ng > 0) {
    /* one stack slot per group, nil until the group has a cell */
    luaL_checkstack(L, ng + 4, "too many result groups");
    for (g = 0; g < ng; g++)
      lua_pushnil(L);
  }
  for (i = 0; i < nf; i++) {
    const sl_field *f = &cq->fields[i];
    int t = row;
    cur->drv->column(cur->stmt, i, &v);
    /* a many relation without rows is an empty list, never absent */
    if (v.type == SL_V_NULL && (f->shape == NULL || !f->shape->many)) continue;
    if (f->group >= 0) {
      t = row + 1 + f->group;
      if (lua_isnil(L, t)) {
        lua_createtable(L, 0, cq->group_size[f->group]);
        lua_replace(L, t);
      }
    }
    lua_rawgeti(L, kidx, i + 1);
    if (f->shape != NULL) {
      if (sl_lua_nested(L, &v, f->shape, kidx, d, err) != SL_OK) goto fail;
    } else if (sl_lua_decode(L, &v, f->codec, d, err) != SL_OK) {
      goto fail;
    }
    lua_rawset(L, t);
  }
  for (g = 0; g < ng; g++) {
    int t = row + 1 + g;
    if (lua_isnil(L, t)) {
      if (cq->groups[g].nullable) continue;
      lua_createtable(L, 0, 0);
      lua_replace(L, t);
    }
    lua_rawgeti(L, kidx, nf + g + 1);
    lua_pushvalue(L, t);
    lua_rawset(L, row);
  }
  lua_settop(L, row);
  return SL_OK;
fail:
  lua_settop(L, row - 1);
  return SL_ERROR;
}

/* Pushes the cursor's current row. kidx holds the key table (the
** compiled statement's interned keys, or column names built on the first
** row of a raw statement: the slot is replaced then). */
static int push_row(lua_State *L, lcursor *cur, int kidx, sl_error *err) {
  if (cur->cq != NULL && cur->cq->nfields > 0)
    return push_field_row(L, cur, kidx, err);
  if (lua_isnil(L, kidx)) {
    push_raw_keys(L, cur);
    lua_replace(L, kidx);
  }
  return push_raw_row(L, cur, kidx, err);
}

/* }==================================================================== */

/* {====================================================================
** Execution
** ===================================================================== */

/* The iterator of iter mode. Upvalues: the cursor, the key table. */
static int cursor_next(lua_State *L) {
  lcursor *cur = lua_touserdata(L, lua_upvalueindex(1));
  sl_error err;
  int rc;
  if (cur->state == CUR_ABORTED)
    return sl_lua_usage(L, "the connection was closed during iteration");
  if (cur->state != CUR_OPEN) {
    lua_pushnil(L);
    return 1;
  }
  sl_error_clear(&err);
  rc = cursor_step(cur, &err);
  if (rc == SL_ROW) {
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(2));
    if (push_row(L, cur, 1, &err) != SL_OK) return cursor_fail(L, cur, &err);
    if (lua_isnil(L, lua_upvalueindex(2))) {
      lua_pushvalue(L, 1); /* keep the raw keys for the next rows */
      lua_replace(L, lua_upvalueindex(2));
    }
    return 1;
  }
  if (rc == SL_DONE) {
    cursor_release(cur);
    lua_pushnil(L);
    return 1;
  }
  return cursor_fail(L, cur, &err);
}

/* Prepares, binds and runs the cursor at curidx in its mode; kidx holds
** the key table (nil for raw statements). Returns the results pushed. */
static int execute(lua_State *L, lcursor *cur, int curidx, int kidx,
                   const sl_value *values, int nvalues) {
  lconn *lc = cur->conn;
  sl_error err;
  int rc, n;
  sl_error_clear(&err);
  /* Encoding parameters may have run Lua code that closed the connection. */
  if (lc == NULL || lc->c == NULL) {
    sl_error_set(&err, SL_EK_USAGE, "the connection is closed");
    return cursor_fail(L, cur, &err);
  }
  if (lc->drv->prepare(lc->c, cur->sql, cur->len, nvalues, &cur->stmt, &err) !=
      SL_OK)
    return cursor_fail(L, cur, &err);
  if (lc->drv->bind(cur->stmt, values, nvalues, &err) != SL_OK)
    return cursor_fail(L, cur, &err);
  cur->state = CUR_OPEN;
  switch (cur->mode) {
  case M_ITER:
    lua_pushvalue(L, curidx);
    lua_pushvalue(L, kidx);
    lua_pushcclosure(L, cursor_next, 2);
    /* for-loop triple plus the cursor as Lua 5.4's closing value, so a
    ** break out of the loop finalizes the statement at once */
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, curidx);
    return 4;
  case M_RUN: {
    long long changed, id;
    int has_id = 0;
    while ((rc = cursor_step(cur, &err)) == SL_ROW)
      ;
    if (rc != SL_DONE) return cursor_fail(L, cur, &err);
    changed = lc->drv->rows_affected(lc->c, cur->stmt);
    id = lc->drv->last_insert_id(lc->c, cur->stmt, &has_id);
    cursor_release(cur);
    lua_createtable(L, 0, 2);
    sl_lua_pushint64(L, changed);
    lua_setfield(L, -2, "rowsAffected");
    if (has_id) {
      sl_lua_pushint64(L, id);
      lua_setfield(L, -2, "lastInsertId");
    }
    return 1;
  }
  case M_GET:
    rc = cursor_step(cur, &err);
    if (rc == SL_ERROR) return cursor_fail(L, cur, &err);
    if (rc == SL_DONE) {
      cursor_release(cur);
      lua_pushnil(L);
      return 1;
    }
    if (push_row(L, cur, kidx, &err) != SL_OK) return cursor_fail(L, cur, &err);
    cursor_release(cur);
    return 1;
  default: /* all, values */
    lua_newtable(L);
    n = 0;
    while ((rc = cursor_step(cur, &err)) == SL_ROW) {
      if (push_row(L, cur, kidx, &err) != SL_OK)
        return cursor_fail(L, cur, &err);
      lua_rawseti(L, -2, ++n);
    }
    if (rc != SL_DONE) return cursor_fail(L, cur, &err);
    cursor_release(cur);
    return 1;
  }
}

static int check_mode(lua_State *L, int idx) {
  static const char *const names[] = {"all", "get",  "values",
                                      "run", "iter", NULL};
  const char *s;
  int i;
  if (lua_isnoneornil(L, idx)) return M_ALL;
  s = lua_tostring(L, idx);
  if (lua_type(L, idx) == LUA_TSTRING)
    for (i = 0; names[i] != NULL; i++)
      if (strcmp(s, names[i]) == 0) return i;
  return sl_lua_usage(L,
                      "unknown execution mode '%s' (all, get, values, "
                      "run or iter)",
                      s ? s : luaL_typename(L, idx));
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

static lconn *check_conn(lua_State *L, int idx) {
  lconn *lc = luaL_testudata(L, idx, SL_LUA_CONN);
  if (lc == NULL)
    sl_lua_usage(L, "expected a connection, got %s", luaL_typename(L, idx));
  return lc;
}

static lconn *check_open(lua_State *L, int idx) {
  lconn *lc = check_conn(L, idx);
  if (lc->c == NULL) sl_lua_usage(L, "the connection is closed");
  return lc;
}

/* conn:exec(compiled, mode [, phvalues]) */
static int conn_exec(lua_State *L) {
  lconn *lc = check_open(L, 1);
  sl_lua_compiled *cq = sl_lua_checkcompiled(L, 2);
  int mode = check_mode(L, 3);
  const sl_value *values = cq->values;
  lcursor *cur;
  int curidx, i;
  if (cq->dialect != lc->dialect &&
      strcmp(cq->dialect->name, lc->dialect->name) != 0)
    return sl_lua_usage(L,
                        "a statement compiled for %s cannot run on a %s "
                        "connection",
                        cq->dialect->name, lc->dialect->name);
  if (cq->nph > 0 && !lua_isnoneornil(L, 4) && lua_type(L, 4) != LUA_TTABLE)
    return sl_lua_usage(L, "placeholder values must be a table, got %s",
                        luaL_typename(L, 4));
  lua_settop(L, 4);
  cur = cursor_new(L, 1, 2);
  curidx = lua_gettop(L);
  cur->cq = cq;
  cur->sql = cq->sql.sql;
  cur->len = cq->sql.len;
  cur->mode = mode;
  if (cq->nph > 0) {
    sl_value *own;
    sl_error err;
    sl_error_clear(&err);
    cur->arena = sl_arena_new();
    own =
        cur->arena == NULL
            ? NULL
            : sl_arena_alloc(cur->arena, (size_t)cq->sql.nparams * sizeof *own);
    if (own == NULL) {
      cursor_release(cur);
      return luaL_error(L, "not enough memory");
    }
    for (i = 0; i < cq->sql.nparams; i++) {
      const sl_param *p = &cq->sql.params[i];
      if (p->placeholder == NULL) {
        own[i] = p->v;
        continue;
      }
      if (lua_istable(L, 4)) {
        lua_pushstring(L, p->placeholder);
        lua_rawget(L, 4);
      } else {
        lua_pushnil(L);
      }
      if (lua_isnil(L, -1)) {
        sl_error_set(&err, SL_EK_VALIDATION,
                     "missing value for placeholder '%s'", p->placeholder);
        return cursor_fail(L, cur, &err);
      }
      if (sl_lua_encode(L, -1, p->codec, cq->dialect, cur->arena, &own[i],
                        p->column, &err) != SL_OK)
        return cursor_fail(L, cur, &err);
      lua_pop(L, 1);
    }
    values = own;
  }
  if (cq->nfields > 0)
    sl_lua_getuv(L, 2); /* interned keys */
  else
    lua_pushnil(L); /* no fields: column names after the first row */
  return execute(L, cur, curidx, lua_gettop(L), values, cq->sql.nparams);
}

/* conn:exec_sql(sql [, params [, mode]]): raw text, plain parameters
** (codec any; sleet.null or a hole counted by params.n is NULL), rows keyed
** by the driver's column names. */
static int conn_exec_sql(lua_State *L) {
  lconn *lc = check_open(L, 1);
  size_t len;
  const char *sql = lua_tolstring(L, 2, &len);
  int mode, n = 0, curidx, i;
  lcursor *cur;
  sl_value *values = NULL;
  if (lua_type(L, 2) != LUA_TSTRING)
    return sl_lua_usage(L, "exec_sql expects SQL text, got %s",
                        luaL_typename(L, 2));
  if (!lua_isnoneornil(L, 3) && lua_type(L, 3) != LUA_TTABLE)
    return sl_lua_usage(L, "exec_sql parameters must be a table, got %s",
                        luaL_typename(L, 3));
  mode = check_mode(L, 4);
  lua_settop(L, 4);
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "n");
    if (lua_type(L, -1) == LUA_TNUMBER)
      n = (int)lua_tointeger(L, -1);
    else
      n = (int)lua_rawlen(L, 3);
    lua_pop(L, 1);
    if (n < 0) n = 0;
  }
  cur = cursor_new(L, 1, 2);
  curidx = lua_gettop(L);
  cur->sql = sql;
  cur->len = len;
  cur->mode = mode;
  if (n > 0) {
    sl_error err;
    sl_error_clear(&err);
    cur->arena = sl_arena_new();
    values = cur->arena == NULL
                 ? NULL
                 : sl_arena_alloc(cur->arena, (size_t)n * sizeof *values);
    if (values == NULL) {
      cursor_release(cur);
      return luaL_error(L, "not enough memory");
    }
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, 3, i + 1);
      if (sl_lua_encode(L, -1, SL_C_ANY, lc->dialect, cur->arena, &values[i],
                        NULL, &err) != SL_OK)
        return cursor_fail(L, cur, &err);
      lua_pop(L, 1);
    }
  }
  lua_pushnil(L); /* key slot: column names after the first row */
  return execute(L, cur, curidx, lua_gettop(L), values, n);
}

enum { V_COMMIT, V_ROLLBACK, V_SAVEPOINT, V_RELEASE, V_ROLLBACK_TO };

/* Runs a transaction verb; savepoint verbs take the name at index 2. */
static int run_verb(lua_State *L, int verb) {
  lconn *lc = check_open(L, 1);
  const char *name = NULL;
  sl_error err;
  int rc;
  if (verb >= V_SAVEPOINT) {
    name = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING || *name == '\0')
      return sl_lua_usage(L, "savepoint name expected, got %s",
                          luaL_typename(L, 2));
  }
  sl_error_clear(&err);
  switch (verb) {
  case V_COMMIT:
    rc = lc->drv->commit(lc->c, &err);
    break;
  case V_ROLLBACK:
    rc = lc->drv->rollback(lc->c, &err);
    break;
  case V_SAVEPOINT:
    rc = lc->drv->savepoint(lc->c, name, &err);
    break;
  case V_RELEASE:
    rc = lc->drv->release(lc->c, name, &err);
    break;
  default:
    rc = lc->drv->rollback_to(lc->c, name, &err);
    break;
  }
  if (rc != SL_OK) return sl_lua_raise(L, &err, NULL);
  return 0;
}

/* conn:begin([mode]): mode is the text after BEGIN */
static int conn_begin(lua_State *L) {
  lconn *lc = check_open(L, 1);
  sl_txopts opts;
  sl_error err;
  if (!lua_isnoneornil(L, 2) && lua_type(L, 2) != LUA_TSTRING)
    return sl_lua_usage(L, "transaction mode must be a string, got %s",
                        luaL_typename(L, 2));
  opts.mode = lua_tostring(L, 2);
  sl_error_clear(&err);
  if (lc->drv->begin(lc->c, &opts, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  return 0;
}

static int conn_commit(lua_State *L) {
  return run_verb(L, V_COMMIT);
}

static int conn_rollback(lua_State *L) {
  return run_verb(L, V_ROLLBACK);
}

static int conn_savepoint(lua_State *L) {
  return run_verb(L, V_SAVEPOINT);
}

static int conn_release(lua_State *L) {
  return run_verb(L, V_RELEASE);
}

static int conn_rollback_to(lua_State *L) {
  return run_verb(L, V_ROLLBACK_TO);
}

/* conn:close(), __gc and __close: finalizes live cursors (they then fail
** cleanly), then closes the driver connection; idempotent. */
static int conn_close(lua_State *L) {
  lconn *lc = luaL_testudata(L, 1, SL_LUA_CONN);
  if (lc == NULL || lc->c == NULL) return 0;
  while (lc->cursors != NULL) {
    lcursor *cur = lc->cursors;
    int open = cur->state == CUR_OPEN;
    cursor_release(cur);
    if (open) cur->state = CUR_ABORTED;
  }
  lc->drv->close(lc->c);
  lc->c = NULL;
  return 0;
}

static int conn_isclosed(lua_State *L) {
  lua_pushboolean(L, check_conn(L, 1)->c == NULL);
  return 1;
}

static int conn_dialect(lua_State *L) {
  lua_pushstring(L, check_conn(L, 1)->dialect->name);
  return 1;
}

static int conn_tostring(lua_State *L) {
  lconn *lc = luaL_testudata(L, 1, SL_LUA_CONN);
  if (lc == NULL) return 0;
  lua_pushfstring(L, SL_LUA_CONN " (%s, %s): %p", lc->drv->name,
                  lc->c ? "open" : "closed", (void *)lc);
  return 1;
}

/* Reads opts[key] as a string (numbers converted) or NULL. The string stays
** referenced by opts, which the caller keeps on the stack. */
static const char *opt_string(lua_State *L, int opts, const char *key) {
  const char *s = NULL;
  if (!lua_istable(L, opts)) return NULL;
  lua_getfield(L, opts, key);
  if (lua_type(L, -1) == LUA_TSTRING)
    s = lua_tostring(L, -1);
  else if (!lua_isnil(L, -1))
    sl_lua_usage(L, "connection option '%s' must be a string, got %s", key,
                 luaL_typename(L, -1));
  lua_pop(L, 1);
  return s;
}

/* core.connect(driver, opts) -> Connection; raises error objects. */
/* A driver outside the core: `require "sleet.driver.<name>"` gives a light
** userdata pointing at its sl_driver. Raises a usage error naming the rock
** to install when the module is missing, or when it was built for another
** driver ABI. */
static const sl_driver *load_driver(lua_State *L, const char *name) {
  const sl_driver *drv;
  int top = lua_gettop(L);
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
      sl_lua_usage(L, "unknown driver '%s'", name);
  lua_getglobal(L, "require");
  lua_pushfstring(L, "sleet.driver.%s", name);
  if (lua_pcall(L, 1, 1, 0) != 0)
    sl_lua_usage(L,
                 "no driver for '%s': module sleet.driver.%s could not be "
                 "loaded (is its rock installed?): %s",
                 name, name, lua_tostring(L, -1));
  drv = (const sl_driver *)lua_touserdata(L, -1);
  if (drv == NULL || lua_type(L, -1) != LUA_TLIGHTUSERDATA)
    sl_lua_usage(L, "module sleet.driver.%s is not a sleet driver", name);
  if (drv->abi != SL_DRIVER_ABI)
    sl_lua_usage(L,
                 "module sleet.driver.%s was built for driver ABI %d, this "
                 "core speaks %d: rebuild the driver",
                 name, drv->abi, SL_DRIVER_ABI);
  lua_settop(L, top);
  return drv;
}

int sl_lua_connect(lua_State *L) {
  const char *name = lua_tostring(L, 1);
  const sl_driver *drv = NULL;
  const sl_dialect *dialect;
  sl_connopts o;
  sl_error err;
  lconn *lc;
  int i;
  if (lua_type(L, 1) != LUA_TSTRING)
    return sl_lua_usage(L, "connect: driver name expected, got %s",
                        luaL_typename(L, 1));
  for (i = 0; drivers[i] != NULL; i++)
    if (strcmp(drivers[i]->name, name) == 0) drv = drivers[i];
  if (drv == NULL) drv = load_driver(L, name);
  dialect = sl_dialect_find(drv->dialect);
  if (dialect == NULL)
    return sl_lua_usage(L, "driver '%s' names an unknown dialect '%s'", name,
                        drv->dialect);
  if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
    return sl_lua_usage(L, "connect: options must be a table, got %s",
                        luaL_typename(L, 2));
  lua_settop(L, 2);
  memset(&o, 0, sizeof o);
  o.path = opt_string(L, 2, "path");
  o.host = opt_string(L, 2, "host");
  o.user = opt_string(L, 2, "user");
  o.password = opt_string(L, 2, "password");
  o.database = opt_string(L, 2, "database");
  o.socket = opt_string(L, 2, "socket");
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "port");
    if (lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING) {
      lua_Number port = lua_tonumber(L, -1);
      if (port < 0 || port > 65535 || port != (lua_Number)(int)port)
        return sl_lua_usage(L, "connection option 'port' is not a port: %s",
                            lua_tostring(L, -1));
      o.port = (int)port;
    } else if (!lua_isnil(L, -1)) {
      return sl_lua_usage(L,
                          "connection option 'port' must be a number, "
                          "got %s",
                          luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "params");
    if (lua_istable(L, -1)) {
      int params = lua_gettop(L), n = 0, anchor;
      lua_pushnil(L);
      while (lua_next(L, params)) {
        n++;
        lua_pop(L, 1);
      }
      /* pointer arrays in collectable memory, strings anchored in a table */
      o.extra_keys = sl_lua_newudata(L, sizeof(char *) * (size_t)(2 * n + 1));
      o.extra_values = o.extra_keys + n;
      lua_createtable(L, 2 * n, 0);
      anchor = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, params)) {
        int vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING ||
            (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
          return sl_lua_usage(L, "connection params must map names to "
                                 "strings, numbers or booleans");
        if (vt == LUA_TBOOLEAN) {
          lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
          lua_replace(L, -2);
        } else {
          lua_pushstring(L, lua_tostring(L, -1)); /* copy: keeps the key */
          lua_replace(L, -2);
        }
        o.extra_values[o.nextra] = lua_tostring(L, -1);
        lua_rawseti(L, anchor, 2 * o.nextra + 2);
        o.extra_keys[o.nextra] = lua_tostring(L, -1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, anchor, 2 * o.nextra + 1);
        o.nextra++;
      }
    } else if (!lua_isnil(L, -1)) {
      return sl_lua_usage(L, "connection option 'params' must be a table");
    }
  }
  lc = sl_lua_newudata(L, sizeof *lc);
  lc->drv = drv;
  lc->dialect = dialect;
  lc->c = NULL;
  lc->cursors = NULL;
  luaL_setmetatable(L, SL_LUA_CONN);
  sl_error_clear(&err);
  if (drv->connect(&o, &lc->c, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  return 1;
}

static const luaL_Reg conn_methods[] = {
    {"exec", conn_exec},         {"exec_sql", conn_exec_sql},
    {"begin", conn_begin},       {"commit", conn_commit},
    {"rollback", conn_rollback}, {"savepoint", conn_savepoint},
    {"release", conn_release},   {"rollback_to", conn_rollback_to},
    {"close", conn_close},       {"isclosed", conn_isclosed},
    {"dialect", conn_dialect},   {NULL, NULL}};

static const luaL_Reg conn_meta[] = {{"__gc", conn_close},
                                     {"__close", conn_close},
                                     {"__tostring", conn_tostring},
                                     {NULL, NULL}};

static const luaL_Reg cursor_methods[] = {{"close", cursor_close},
                                          {NULL, NULL}};

static const luaL_Reg cursor_meta[] = {{"__gc", cursor_close},
                                       {"__close", cursor_close},
                                       {"__tostring", cursor_tostring},
                                       {NULL, NULL}};

static void register_meta(lua_State *L, const char *name, const luaL_Reg *meta,
                          const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  lua_pushstring(L, name); /* Lua 5.1 does not set __name */
  lua_setfield(L, -2, "__name");
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

/* Registers the SL_LUA_CONN and SL_LUA_CURSOR metatables. */
void sl_lua_open_conn(lua_State *L) {
  register_meta(L, SL_LUA_CONN, conn_meta, conn_methods);
  register_meta(L, SL_LUA_CURSOR, cursor_meta, cursor_methods);
}

/* }==================================================================== */
