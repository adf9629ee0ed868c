/*
** lua_core.c — the `sleet.core` module: its entry point, error objects,
** compiled statements (core.compile) and the JSON wrappers.
**
** Error objects are plain tables whose metatable is core.Error; they are
** raised with lua_error so that pcall hands the table back unchanged.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lua_sleet.h"

/* The module entry: require "sleet.core". */
SL_EXPORT int luaopen_sleet_core(lua_State *L);

/* Its address is the identity of sleet.null; the value is never read. */
const char sl_lua_null_key = 0;

/* {====================================================================
** Error objects
** ===================================================================== */

static void set_str(lua_State *L, const char *key, const char *value) {
  if (value == NULL || *value == '\0') return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

/* Pushes a new error object for e (and sql when not NULL). */
void sl_lua_push_error(lua_State *L, const sl_error *e, const char *sql) {
  sl_errkind kind = e->kind == SL_EK_NONE ? SL_EK_USAGE : e->kind;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, sl_errkind_name(kind));
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, e->message[0] ? e->message : "unknown error");
  lua_setfield(L, -2, "message");
  if (e->has_code) {
    sl_lua_pushint64(L, e->code);
    lua_setfield(L, -2, "code");
  }
  set_str(L, "sqlstate", e->sqlstate);
  set_str(L, "constraint", e->constraint_name);
  set_str(L, "table", e->table);
  set_str(L, "column", e->column);
  set_str(L, "detail", e->detail);
  set_str(L, "sql", sql);
  luaL_getmetatable(L, SL_LUA_ERROR);
  lua_setmetatable(L, -2);
}

/* Raises a new error object for e. The caller frees what it owns first. */
int sl_lua_raise(lua_State *L, const sl_error *e, const char *sql) {
  sl_lua_push_error(L, e, sql);
  return lua_error(L);
}

/* Raises a usage error object with a printf-formatted message. */
int sl_lua_usage(lua_State *L, const char *fmt, ...) {
  sl_error e;
  va_list ap;
  sl_error_clear(&e);
  e.kind = SL_EK_USAGE;
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  return sl_lua_raise(L, &e, NULL);
}

/* Pushes t[key] when it is a non-empty string; returns it or NULL (pushing
** nothing). */
static const char *raw_string(lua_State *L, int t, const char *key) {
  const char *s;
  lua_pushstring(L, key);
  lua_rawget(L, t);
  s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  if (s == NULL || *s == '\0') {
    lua_pop(L, 1);
    return NULL;
  }
  return s;
}

/* "kind: message (sqlstate 23505, constraint users_email_key)" */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  const char *kind, *message, *sqlstate, *constraint;
  int extra = 0;
  if (lua_type(L, 1) != LUA_TTABLE) {
    luaL_tolstring(L, 1, NULL);
    return 1;
  }
  /* Fetch everything first: luaL_Buffer owns the stack top once started. */
  kind = raw_string(L, 1, "kind");
  message = raw_string(L, 1, "message");
  sqlstate = raw_string(L, 1, "sqlstate");
  constraint = raw_string(L, 1, "constraint");
  luaL_buffinit(L, &b);
  luaL_addstring(&b, kind ? kind : "error");
  luaL_addstring(&b, ": ");
  luaL_addstring(&b, message ? message : "unknown error");
  if (sqlstate != NULL) {
    luaL_addstring(&b, " (sqlstate ");
    luaL_addstring(&b, sqlstate);
    extra = 1;
  }
  if (constraint != NULL) {
    luaL_addstring(&b, extra ? ", constraint " : " (constraint ");
    luaL_addstring(&b, constraint);
    extra = 1;
  }
  if (extra) luaL_addchar(&b, ')');
  luaL_pushresult(&b);
  return 1;
}

static int kind_known(const char *kind) {
  int k;
  for (k = SL_EK_VALIDATION; k <= SL_EK_USAGE; k++)
    if (strcmp(kind, sl_errkind_name((sl_errkind)k)) == 0) return 1;
  return 0;
}

/* core.error(fields): raises a new error object holding a shallow copy of
** fields; kind defaults to "usage" and must be one of API.md's kinds. */
static int core_error(lua_State *L) {
  const char *kind;
  if (lua_type(L, 1) == LUA_TSTRING) {
    /* core.error("message") is a usage error */
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "usage");
    lua_setfield(L, -2, "kind");
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "message");
    lua_replace(L, 1);
  }
  if (lua_type(L, 1) != LUA_TTABLE)
    return sl_lua_usage(L, "core.error expects a table, got %s",
                        luaL_typename(L, 1));
  lua_settop(L, 1);
  lua_createtable(L, 0, 8);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, 2);
  }
  lua_getfield(L, 2, "kind");
  kind = lua_tostring(L, -1);
  if (lua_isnil(L, -1)) {
    lua_pushliteral(L, "usage");
    lua_setfield(L, 2, "kind");
  } else if (lua_type(L, -1) != LUA_TSTRING || !kind_known(kind)) {
    return sl_lua_usage(L, "unknown error kind '%s'",
                        kind ? kind : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  lua_getfield(L, 2, "message");
  if (lua_isnil(L, -1)) {
    lua_pushliteral(L, "unknown error");
    lua_setfield(L, 2, "message");
  }
  lua_pop(L, 1);
  luaL_getmetatable(L, SL_LUA_ERROR);
  lua_setmetatable(L, 2);
  return lua_error(L);
}

/* }==================================================================== */

/* {====================================================================
** Compiled statements
** ===================================================================== */

static int memory_error(lua_State *L) {
  return luaL_error(L, "not enough memory");
}

const char sl_lua_key_compiled = 'c', sl_lua_key_conn = 'n',
           sl_lua_key_prepared = 'p';

void *sl_lua_toudata(lua_State *L, int idx, const void *key) {
  void *p = lua_touserdata(L, idx);
  if (p == NULL || !lua_getmetatable(L, idx)) return NULL;
  sl_lua_getregp(L, key);
  if (!lua_rawequal(L, -1, -2)) p = NULL;
  lua_pop(L, 2);
  return p;
}

void sl_lua_setmeta(lua_State *L, const void *key) {
  sl_lua_getregp(L, key);
  lua_setmetatable(L, -2);
}

/* The open compiled statement at idx; raises a usage error otherwise. */
sl_lua_compiled *sl_lua_checkcompiled(lua_State *L, int idx) {
  sl_lua_compiled *cq = sl_lua_toudata(L, idx, &sl_lua_key_compiled);
  if (cq == NULL)
    sl_lua_usage(L, "expected a compiled statement, got %s",
                 luaL_typename(L, idx));
  else if (cq->arena == NULL)
    sl_lua_usage(L, "the compiled statement is closed");
  return cq;
}

/* Where row building finds its shape: the result fields of the statement
** whose rows come back. */
static void result_shape(sl_lua_compiled *cq, const sl_node *n) {
  const sl_fields *f = NULL;
  while (n != NULL && n->kind == SL_N_SETOP)
    n = n->u.setop.l;
  if (n == NULL) return;
  switch (n->kind) {
  case SL_N_SELECT:
    f = &n->u.select.fields;
    cq->groups = n->u.select.groups;
    cq->ngroups = n->u.select.ngroups;
    break;
  case SL_N_INSERT:
    if (n->u.insert.has_returning) f = &n->u.insert.returning;
    break;
  case SL_N_UPDATE:
    if (n->u.update.has_returning) f = &n->u.update.returning;
    break;
  case SL_N_DELETE:
    if (n->u.delete_.has_returning) f = &n->u.delete_.returning;
    break;
  default:
    break;
  }
  if (f != NULL) {
    cq->fields = f->v;
    cq->nfields = f->n;
  }
  if (cq->groups == NULL) cq->ngroups = 0;
}

/* Precomputes what execution and row building need; SL_ERROR when out of
** memory or when a field names a group that does not exist. */
static int prepare_compiled(sl_lua_compiled *cq, sl_error *err) {
  int i;
  sl_value *values = NULL;
  int *sizes = NULL;
  if (cq->sql.nparams > 0) {
    values =
        sl_arena_alloc(cq->arena, (size_t)cq->sql.nparams * sizeof *values);
    if (values == NULL) return sl_error_set(err, SL_EK_USAGE, "out of memory");
    for (i = 0; i < cq->sql.nparams; i++) {
      const sl_param *p = &cq->sql.params[i];
      if (p->placeholder != NULL) {
        values[i].type = SL_V_NULL;
        cq->nph++;
      } else {
        values[i] = p->v;
      }
    }
  }
  cq->values = values;
  if (cq->ngroups > 0) {
    sizes = sl_arena_alloc(cq->arena, (size_t)cq->ngroups * sizeof *sizes);
    if (sizes == NULL) return sl_error_set(err, SL_EK_USAGE, "out of memory");
  }
  for (i = 0; i < cq->nfields; i++) {
    int g = cq->fields[i].group;
    if (g < 0) {
      cq->ntop++;
    } else if (g >= cq->ngroups) {
      return sl_error_set(err, SL_EK_USAGE, "field '%s' names group %d of %d",
                          cq->fields[i].key ? cq->fields[i].key : "?", g,
                          cq->ngroups);
    } else {
      sizes[g]++;
    }
  }
  cq->group_size = sizes;
  return SL_OK;
}

/* Interns the keys of shape s (and its nested shapes) into the key table
** at the top of the stack from slot *next on, recording where they start. */
static void intern_shape(lua_State *L, sl_shape *s, int *next) {
  int i;
  luaL_checkstack(L, 4, "result shape too deep");
  s->key_base = *next;
  for (i = 0; i < s->n; i++) {
    lua_pushstring(L, s->keys[i] ? s->keys[i] : "");
    lua_rawseti(L, -2, (*next)++);
  }
  for (i = 0; i < s->n; i++)
    if (s->sub[i] != NULL) intern_shape(L, s->sub[i], next);
}

/* core.compile(dialect, node) -> Compiled. Raises validation/usage error
** objects; the arena belongs to the userdata from the start, so any raise
** leaves it to the collector. */
static int core_compile(lua_State *L) {
  const char *dname = lua_tostring(L, 1);
  const sl_dialect *d;
  sl_lua_compiled *cq;
  sl_node *root = NULL;
  sl_error err;
  int ud, i;
  if (lua_type(L, 1) != LUA_TSTRING)
    return sl_lua_usage(L, "core.compile: dialect name expected, got %s",
                        luaL_typename(L, 1));
  d = sl_dialect_find(dname);
  if (d == NULL) return sl_lua_usage(L, "unknown dialect '%s'", dname);
  if (lua_type(L, 2) != LUA_TTABLE)
    return sl_lua_usage(L, "core.compile: node table expected, got %s",
                        luaL_typename(L, 2));
  lua_settop(L, 2);
  cq = sl_lua_newudata(L, sizeof *cq);
  memset(cq, 0, sizeof *cq);
  sl_lua_setmeta(L, &sl_lua_key_compiled);
  ud = lua_gettop(L);
  cq->arena = sl_arena_new();
  if (cq->arena == NULL) return memory_error(L);
  cq->dialect = d;
  sl_error_clear(&err);
  if (sl_lua_tree(L, 2, d, cq->arena, &root, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  if (sl_render_stmt(d, root, cq->arena, &cq->sql, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  result_shape(cq, root);
  cq->cacheable = sl_lua_sqlkey(cq->sql.sql, cq->sql.len, &cq->sql_hash);
  if (prepare_compiled(cq, &err) != SL_OK)
    return sl_lua_raise(L, &err, cq->sql.sql);
  /* Intern the result keys once. */
  lua_createtable(L, cq->nfields + cq->ngroups, 0);
  for (i = 0; i < cq->nfields; i++) {
    const char *key = cq->fields[i].key;
    lua_pushstring(L, key ? key : "");
    lua_rawseti(L, -2, i + 1);
  }
  for (i = 0; i < cq->ngroups; i++) {
    const char *key = cq->groups[i].key;
    lua_pushstring(L, key ? key : "");
    lua_rawseti(L, -2, cq->nfields + i + 1);
  }
  /* then the keys of nested rows (relational queries) */
  {
    int next = cq->nfields + cq->ngroups + 1;
    for (i = 0; i < cq->nfields; i++)
      if (cq->fields[i].shape != NULL)
        intern_shape(L, cq->fields[i].shape, &next);
  }
  sl_lua_setuv(L, ud);
  lua_settop(L, ud);
  return 1;
}

/* The key under which a template's key table keeps the template alive for
** the statements rebound from it (their user value is that same table). */
static const char template_key = 0;

/* The bytes of a TEXT or BLOB value (NULL for other types). */
static size_t value_bytes(const sl_value *v) {
  if ((v->type == SL_V_TEXT || v->type == SL_V_BLOB) && v->u.s.p != NULL)
    return v->u.s.n + 1;
  return 0;
}

/* core.rebind(template, values) -> Compiled: the compiled statement
** template with the parameters that carry a slot (param nodes' `slot`)
** encoded again from values[slot], each with its parameter's codec and
** column label; the SQL text, result fields and placeholders are the
** template's, shared, not copied. The template stays alive as long as any
** statement rebound from it. Raises a validation error object (as
** core.compile does) for a value its codec rejects, a usage error for a
** missing value. Values are encoded into a scratch arena (upvalue 1,
** reset on every call), then copied with the parameter arrays into the
** new userdata: one allocation per statement. */
static int core_rebind(lua_State *L) {
  sl_lua_compiled *t = sl_lua_checkcompiled(L, 1);
  sl_arena **scratch = lua_touserdata(L, lua_upvalueindex(1));
  sl_lua_compiled *cq;
  sl_param *params;
  sl_value *values;
  sl_value *enc = NULL;
  sl_error err;
  size_t head, bytes = 0;
  char *text;
  int i, n = t->sql.nparams;
  if (t->rebound) return sl_lua_usage(L, "core.rebind: not a template");
  if (lua_type(L, 2) != LUA_TTABLE)
    return sl_lua_usage(L, "core.rebind: value table expected, got %s",
                        luaL_typename(L, 2));
  lua_settop(L, 2);
  if (*scratch == NULL && (*scratch = sl_arena_new()) == NULL)
    return memory_error(L);
  sl_arena_reset(*scratch);
  sl_error_clear(&err);
  if (n > 0) {
    enc = sl_arena_alloc(*scratch, (size_t)n * sizeof *enc);
    if (enc == NULL) return memory_error(L);
  }
  for (i = 0; i < n; i++) {
    const sl_param *p = &t->sql.params[i];
    if (p->slot <= 0) continue;
    lua_rawgeti(L, 2, p->slot);
    if (lua_isnil(L, -1))
      return sl_lua_usage(L, "core.rebind: no value for slot %d", p->slot);
    if (sl_lua_encode(L, -1, p->codec, t->dialect, *scratch, &enc[i], p->column,
                      &err) != SL_OK)
      return sl_lua_raise(L, &err, NULL);
    lua_pop(L, 1);
    bytes += value_bytes(&enc[i]);
  }
  head =
      (sizeof *cq + sizeof(sl_value) - 1) / sizeof(sl_value) * sizeof(sl_value);
  cq = sl_lua_newudata(L, head + (size_t)n * (sizeof *params + sizeof *values) +
                              bytes);
  *cq = *t;
  cq->arena = NULL; /* closed until complete */
  sl_lua_setmeta(L, &sl_lua_key_compiled);
  values = (sl_value *)(void *)((char *)cq + head);
  params = (sl_param *)(void *)(values + n);
  text = (char *)(params + n);
  if (n > 0) memcpy(params, t->sql.params, (size_t)n * sizeof *params);
  for (i = 0; i < n; i++) {
    sl_param *p = &params[i];
    if (p->slot > 0) {
      size_t len = value_bytes(&enc[i]);
      p->v = enc[i];
      if (len > 0) {
        memcpy(text, enc[i].u.s.p, len);
        p->v.u.s.p = text;
        text += len;
      }
    }
    if (p->placeholder != NULL) {
      memset(&values[i], 0, sizeof values[i]);
      values[i].type = SL_V_NULL;
    } else {
      values[i] = p->v;
    }
  }
  sl_arena_reset(*scratch);
  cq->sql.params = n > 0 ? params : NULL;
  cq->values = n > 0 ? values : NULL;
  cq->rebound = 1;
  /* the template's key table, which also keeps the template alive */
  sl_lua_getuv(L, 1);
  lua_pushlightuserdata(L, (void *)&template_key);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pushlightuserdata(L, (void *)&template_key);
    lua_pushvalue(L, 1);
    lua_rawset(L, -4);
  }
  lua_pop(L, 1);
  sl_lua_setuv(L, 3);
  cq->arena = t->arena;
  lua_settop(L, 3);
  return 1;
}

/* __gc of the scratch arena of core.rebind. */
static int scratch_gc(lua_State *L) {
  sl_arena **scratch = lua_touserdata(L, 1);
  if (scratch != NULL && *scratch != NULL) {
    sl_arena_free(*scratch);
    *scratch = NULL;
  }
  return 0;
}

/* Pushes a value as the driver receives it (NULL as sleet.null). */
static void push_param_value(lua_State *L, const sl_value *v) {
  if (v->type == SL_V_NULL)
    sl_lua_pushnull(L);
  else
    sl_lua_push_natural(L, v);
}

/* compiled:sql() -> SQL text */
static int compiled_sql(lua_State *L) {
  sl_lua_compiled *cq = sl_lua_checkcompiled(L, 1);
  lua_pushlstring(L, cq->sql.sql, cq->sql.len);
  return 1;
}

/* compiled:params() -> array of bound values; a placeholder slot is
** { placeholder = name }. */
static int compiled_params(lua_State *L) {
  sl_lua_compiled *cq = sl_lua_checkcompiled(L, 1);
  int i;
  lua_createtable(L, cq->sql.nparams, 0);
  for (i = 0; i < cq->sql.nparams; i++) {
    const sl_param *p = &cq->sql.params[i];
    if (p->placeholder != NULL) {
      lua_createtable(L, 0, 1);
      lua_pushstring(L, p->placeholder);
      lua_setfield(L, -2, "placeholder");
    } else {
      push_param_value(L, &p->v);
    }
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* compiled:dialect() -> dialect name */
static int compiled_dialect(lua_State *L) {
  sl_lua_compiled *cq = sl_lua_checkcompiled(L, 1);
  lua_pushstring(L, cq->dialect->name);
  return 1;
}

/* __gc and __close: frees the arena once (a rebound statement's belongs to
** its template). */
static int compiled_close(lua_State *L) {
  sl_lua_compiled *cq = luaL_testudata(L, 1, SL_LUA_COMPILED);
  if (cq != NULL && cq->arena != NULL) {
    if (!cq->rebound) sl_arena_free(cq->arena);
    cq->arena = NULL;
  }
  return 0;
}

static int compiled_tostring(lua_State *L) {
  sl_lua_compiled *cq = luaL_testudata(L, 1, SL_LUA_COMPILED);
  if (cq == NULL || cq->arena == NULL)
    lua_pushliteral(L, SL_LUA_COMPILED " (closed)");
  else
    lua_pushfstring(L, SL_LUA_COMPILED " (%s): %s", cq->dialect->name,
                    cq->sql.sql);
  return 1;
}

static const luaL_Reg compiled_methods[] = {{"sql", compiled_sql},
                                            {"params", compiled_params},
                                            {"dialect", compiled_dialect},
                                            {NULL, NULL}};

static const luaL_Reg compiled_meta[] = {{"__gc", compiled_close},
                                         {"__close", compiled_close},
                                         {"__tostring", compiled_tostring},
                                         {NULL, NULL}};

/* }==================================================================== */

/* {====================================================================
** JSON
** ===================================================================== */

/* The encode buffer lives in an upvalue userdata (no C globals) and is
** reused across calls; encoding never calls back into Lua code. */
static int jsonbuf_gc(lua_State *L) {
  sl_buf *b = lua_touserdata(L, 1);
  if (b != NULL) sl_buf_free(b);
  return 0;
}

/* core.json_encode(v) -> JSON text */
static int core_json_encode(lua_State *L) {
  sl_buf *b = lua_touserdata(L, lua_upvalueindex(1));
  sl_error err;
  sl_error_clear(&err);
  lua_settop(L, 1);
  sl_buf_reset(b);
  if (sl_lua_json_encode(L, 1, b, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  if (b->oom) {
    sl_buf_free(b);
    return memory_error(L);
  }
  lua_pushlstring(L, b->p ? b->p : "", b->n);
  /* Do not keep a huge document's memory around. */
  if (b->cap > 65536) sl_buf_free(b);
  return 1;
}

/* core.json_decode(s [, ordered]) -> Lua value (top-level null gives nil);
** ordered: every object's metatable lists its keys in order (__keys) */
static int core_json_decode(lua_State *L) {
  size_t n;
  const char *s = lua_tolstring(L, 1, &n);
  int ordered = lua_toboolean(L, 2);
  sl_error err;
  if (lua_type(L, 1) != LUA_TSTRING)
    return sl_lua_usage(L, "json_decode expects a string, got %s",
                        luaL_typename(L, 1));
  sl_error_clear(&err);
  lua_settop(L, 1);
  if (sl_lua_json_decode_ex(L, s, n, ordered, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  return 1;
}

/* }==================================================================== */

/* {====================================================================
** Builders
** ===================================================================== */

/* core.with1(builder, key, value) -> a new builder of builder's metatable
** whose state (the table builder._s) is a copy of builder's with key set
** to value (removed when value is nil). The query builders are immutable
** and take this step for every method call: one C call makes the copy at
** its final size, where a Lua loop would grow it key by key. The new
** builder also records how many keys its state has at most (_n), so that
** the next step need not count them. Upvalues: the strings "_s", "_n". */
static int core_with1(lua_State *L) {
  lua_Integer n = 0;
  luaL_checkany(L, 2);
  lua_settop(L, 3);
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_rawget(L, 1); /* 4: the state */
  } else
    lua_pushnil(L);
  if (lua_type(L, 4) != LUA_TTABLE) {
    /* q.where(c) instead of q:where(c): the builder is missing */
    const char *key = lua_tostring(L, 2);
    if (key != NULL && strcmp(key, "joins") == 0) key = "leftJoin";
    return sl_lua_usage(L,
                        "call query builder methods with a colon: "
                        "q:%s(...), not q.%s(...) (got %s for the builder)",
                        key ? key : "method", key ? key : "method",
                        luaL_typename(L, 1));
  }
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_rawget(L, 1);
  if (lua_type(L, -1) == LUA_TNUMBER) n = lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (n <= 0 || n > 64) {
    n = 0;
    lua_pushnil(L);
    while (lua_next(L, 4)) {
      n++;
      lua_pop(L, 1);
    }
  }
  n++;                           /* key may be new */
  lua_createtable(L, 0, (int)n); /* 5: the copy */
  lua_pushnil(L);
  while (lua_next(L, 4)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, 5);
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, 5);
  lua_createtable(L, 0, 2); /* 6: the new builder */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 5);
  lua_rawset(L, 6);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushinteger(L, n);
  lua_rawset(L, 6);
  if (lua_getmetatable(L, 1)) lua_setmetatable(L, 6);
  return 1;
}

/* }==================================================================== */

static const luaL_Reg core_funcs[] = {{"error", core_error},
                                      {"with1", core_with1},
                                      {"compile", core_compile},
                                      {"json_decode", core_json_decode},
                                      {"connect", sl_lua_connect},
                                      {"customtype", sl_lua_customtype},
                                      {NULL, NULL}};

void sl_lua_newmeta(lua_State *L, const char *name, const void *key,
                    const luaL_Reg *meta, const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  lua_pushstring(L, name); /* Lua 5.1 does not set __name */
  lua_setfield(L, -2, "__name");
  if (meta != NULL) luaL_setfuncs(L, meta, 0);
  if (methods != NULL) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  if (key != NULL) {
    lua_pushvalue(L, -1);
    sl_lua_setregp(L, key);
  }
  lua_pop(L, 1);
}

/* Opens sleet.core: returns the module table (see docs/internals.md). */
SL_EXPORT int luaopen_sleet_core(lua_State *L) {
  static const luaL_Reg error_meta[] = {{"__tostring", error_tostring},
                                        {NULL, NULL}};
  sl_buf *b;
  sl_arena **scratch;
  int i;
  sl_lua_newmeta(L, SL_LUA_ERROR, NULL, error_meta, NULL);
  sl_lua_newmeta(L, SL_LUA_COMPILED, &sl_lua_key_compiled, compiled_meta,
                 compiled_methods);
  sl_lua_open_conn(L);
  sl_lua_open_int64(L);

  luaL_newlib(L, core_funcs);
  sl_lua_open_proxy(L);
  sl_lua_pushnull(L);
  lua_setfield(L, -2, "null");
  sl_lua_push_again(L);
  lua_setfield(L, -2, "AGAIN");
  lua_pushliteral(L, "_s");
  lua_pushliteral(L, "_n");
  lua_pushcclosure(L, core_with1, 2);
  lua_setfield(L, -2, "with1");
  luaL_getmetatable(L, SL_LUA_ERROR);
  lua_setfield(L, -2, "Error");
  /* codecs: the set of codec names (mapWith checks its argument) */
  lua_createtable(L, 0, 2 * SL_C__COUNT);
  for (i = 0; i < SL_C__COUNT; i++) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, sl_codec_name((sl_codec)i));
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, sl_codec_name((sl_codec)(i | SL_C_ARRAY)));
  }
  lua_setfield(L, -2, "codecs");

  b = sl_lua_newudata(L, sizeof *b);
  sl_buf_init(b);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, jsonbuf_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushcclosure(L, core_json_encode, 1);
  lua_setfield(L, -2, "json_encode");

  scratch = sl_lua_newudata(L, sizeof *scratch);
  *scratch = NULL;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, scratch_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushcclosure(L, core_rebind, 1);
  lua_setfield(L, -2, "rebind");
  sl_lua_open_kit(L);
  sl_lua_open_seed(L);
  return 1;
}
