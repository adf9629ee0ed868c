/*
** lua_nested.c — nested rows of relational queries: a cell whose value is
** JSON text (a relation aggregated by the database) is decoded with a shape
** (sleet.h) straight into Lua tables.
**
** Rows travel as JSON arrays, so no key is parsed: position i of a row is
** keys[i] of its shape, read with codecs[i] by the same decoder as a plain
** cell (sl_lua_decode), which makes nested values identical to those of the
** flat query builder. The SQL side sends what JSON cannot carry exactly as
** text (numerics, timestamps) or hex (blobs); this file undoes the hex.
**
** The parsed document is owned by a userdata box on the Lua stack while
** tables are built, so a memory error raised by Lua frees it through the
** collector instead of leaking it.
*/
/* newlocale and uselocale (sl_num.h) are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lua_sleet.h"
#include "sl_num.h"

#define SL_NEST_BOX "sleet.NestedJSON"
/* Deepest JSON value inside a json column of a nested row. */
#define SL_NEST_MAX_DEPTH 1000
/* Stack slots one level of row building uses. */
#define SL_NEST_STACK 8
#define SL_NEST_LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

typedef struct nbox {
  json_t *root;
} nbox;

typedef struct nctx {
  lua_State *L;
  int kidx; /* interned keys */
  nbox *box;
  const sl_dialect *d;
  sl_error *err;
} nctx;

static int bad(nctx *c, const char *what) {
  return sl_error_set(c->err, SL_EK_VALIDATION,
                      "relational query: %s in the nested rows returned by "
                      "the database",
                      what);
}

static int box_gc(lua_State *L) {
  nbox *b = lua_touserdata(L, 1);
  if (b != NULL && b->root != NULL) {
    json_decref(b->root);
    b->root = NULL;
  }
  return 0;
}

/* Parses JSON text; NULL with err set when it is not JSON. */
static json_t *parse(nctx *c, const char *s, size_t n) {
  json_error_t jerr;
  json_t *j = json_loadb(s, n, SL_NEST_LOAD_FLAGS, &jerr);
  if (j == NULL)
    sl_error_set(c->err, SL_EK_VALIDATION,
                 "relational query: invalid JSON from the database: %s "
                 "(line %d, column %d)",
                 jerr.text, jerr.line, jerr.column);
  return j;
}

/* A row or relation sent as JSON text inside the document (databases that
** quote the result of a subquery): parses it and stores it in the parent
** array in place of the string, so the document keeps owning it. parent
** NULL: j is the root. Returns the parsed value or NULL (err set). */
static json_t *unquote(nctx *c, json_t *parent, size_t idx, json_t *j) {
  json_t *p = parse(c, json_string_value(j), json_string_length(j));
  if (p == NULL) return NULL;
  if (parent == NULL) {
    json_decref(c->box->root);
    c->box->root = p;
  } else if (json_array_set_new(parent, idx, p) != 0) {
    sl_error_set(c->err, SL_EK_VALIDATION, "relational query: out of memory");
    return NULL;
  }
  return p;
}

/* {====================================================================
** Values
** ===================================================================== */

/* Pushes any JSON value as sleet's JSON codec does: objects as tables,
** arrays as sequences, null as sleet.null inside containers (nil at the
** top). */
static int push_json(nctx *c, json_t *j, int depth) {
  lua_State *L = c->L;
  if (depth > SL_NEST_MAX_DEPTH) return bad(c, "JSON nested too deeply");
  if (!lua_checkstack(L, 4)) return bad(c, "JSON nested too deeply");
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    void *it;
    size_t size = json_object_size(j);
    lua_createtable(L, 0, size > INT_MAX ? INT_MAX : (int)size);
    for (it = json_object_iter(j); it != NULL;
         it = json_object_iter_next(j, it)) {
      lua_pushlstring(L, json_object_iter_key(it),
                      json_object_iter_key_len(it));
      if (push_json(c, json_object_iter_value(it), depth + 1) != SL_OK) {
        lua_pop(L, 2);
        return SL_ERROR;
      }
      lua_rawset(L, -3);
    }
    return SL_OK;
  }
  case JSON_ARRAY: {
    size_t i, size = json_array_size(j);
    if (size >= INT_MAX) return bad(c, "JSON array too long");
    lua_createtable(L, (int)size, 0);
    for (i = 0; i < size; i++) {
      if (push_json(c, json_array_get(j, i), depth + 1) != SL_OK) {
        lua_pop(L, 1);
        return SL_ERROR;
      }
      lua_rawseti(L, -2, (int)i + 1);
    }
    return SL_OK;
  }
  case JSON_STRING:
    lua_pushlstring(L, json_string_value(j), json_string_length(j));
    return SL_OK;
  case JSON_INTEGER:
    sl_lua_pushint64(L, (int64_t)json_integer_value(j));
    return SL_OK;
  case JSON_REAL:
    lua_pushnumber(L, (lua_Number)json_real_value(j));
    return SL_OK;
  case JSON_TRUE:
    lua_pushboolean(L, 1);
    return SL_OK;
  case JSON_FALSE:
    lua_pushboolean(L, 0);
    return SL_OK;
  default:
    if (depth == 0)
      lua_pushnil(L);
    else
      sl_lua_pushnull(L);
    return SL_OK;
  }
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Pushes the bytes of hex text (either case; PostgreSQL's "\x" prefix is
** accepted). The scratch buffer is a userdata, so a raise cannot leak. */
static int push_hex(nctx *c, const char *s, size_t n) {
  lua_State *L = c->L;
  unsigned char *out;
  size_t i;
  if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
    s += 2;
    n -= 2;
  }
  if (n % 2 != 0) return bad(c, "odd-length hex text for a blob");
  out = lua_newuserdata(L, n / 2 + 1);
  for (i = 0; i < n; i += 2) {
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) {
      lua_pop(L, 1);
      return bad(c, "invalid hex text for a blob");
    }
    out[i / 2] = (unsigned char)(hi * 16 + lo);
  }
  lua_pushlstring(L, (const char *)out, n / 2);
  lua_remove(L, -2);
  return SL_OK;
}

/* The shortest decimal that reads back as the float f, as a double: what
** drivers return for a single-precision cell (1.1, not 1.100000023841858). */
static double single_value(double d) {
  char buf[32];
  float f = (float)d;
  int prec;
  if (f != f || f - f != 0.0f) return (double)f; /* NaN, infinities */
  for (prec = 1; prec < 9; prec++) {
    sl_numfmt(buf, sizeof buf, "%.*g", prec, (double)f);
    if (sl_strtof(buf, NULL) == f) break;
  }
  sl_numfmt(buf, sizeof buf, "%.*g", prec, (double)f);
  return sl_strtod(buf, NULL);
}

/* The length of a time of day without the trailing zeros of its fraction
** ("13:14:15.120" -> "13:14:15.12", "13:14:10.000" -> "13:14:10"), as
** drivers print time cells; databases pad it to the column's precision
** when they cast a time to text. */
static size_t time_len(const char *s, size_t n) {
  if (memchr(s, '.', n) == NULL) return n;
  while (n > 0 && s[n - 1] == '0')
    n--;
  if (n > 0 && s[n - 1] == '.') n--;
  return n;
}

/* Pushes the Lua value of a non-null JSON scalar read with codec cd, the
** way a plain cell holding the same value is decoded. single: a float of
** single precision. */
static int push_value(nctx *c, json_t *j, sl_codec cd, int single) {
  sl_value v;
  if (cd == SL_C_JSON) return push_json(c, j, 0);
  switch (json_typeof(j)) {
  case JSON_STRING:
    if (cd == SL_C_BLOB)
      return push_hex(c, json_string_value(j), json_string_length(j));
    v.type = SL_V_TEXT;
    v.u.s.p = json_string_value(j);
    v.u.s.n = json_string_length(j);
    if (cd == SL_C_TIME) v.u.s.n = time_len(v.u.s.p, v.u.s.n);
    if (single && (cd == SL_C_FLOAT || cd == SL_C_NUMBER)) {
      char buf[64], *end;
      double d;
      if (v.u.s.n == 0 || v.u.s.n >= sizeof buf) break;
      memcpy(buf, v.u.s.p, v.u.s.n);
      buf[v.u.s.n] = '\0';
      d = sl_strtod(buf, &end);
      if (*end != '\0') break;
      lua_pushnumber(c->L, (lua_Number)single_value(d));
      return SL_OK;
    }
    break;
  case JSON_INTEGER:
    v.type = SL_V_INT;
    v.u.i = (int64_t)json_integer_value(j);
    break;
  case JSON_REAL:
    v.type = SL_V_FLOAT;
    v.u.f = json_real_value(j);
    if (single) v.u.f = single_value(v.u.f);
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    v.type = SL_V_BOOL;
    v.u.b = json_is_true(j);
    break;
  case JSON_NULL:
    lua_pushnil(c->L);
    return SL_OK;
  default: /* an array or object computed by an extra */
    return push_json(c, j, 0);
  }
  return sl_lua_decode(c->L, &v, cd, c->d, c->err);
}

/* }==================================================================== */

/* {====================================================================
** Rows and relations
** ===================================================================== */

static int push_rel(nctx *c, json_t *parent, size_t idx, json_t *j,
                    const sl_shape *s);

/* Pushes one row (a JSON array of s->n elements) as a table. */
static int push_row(nctx *c, json_t *parent, size_t idx, json_t *j,
                    const sl_shape *s) {
  lua_State *L = c->L;
  int i, row;
  if (json_is_string(j) && (j = unquote(c, parent, idx, j)) == NULL)
    return SL_ERROR;
  if (!json_is_array(j) || json_array_size(j) != (size_t)s->n)
    return bad(c, "a row of the wrong shape");
  if (!lua_checkstack(L, SL_NEST_STACK))
    return bad(c, "rows nested too deeply");
  lua_createtable(L, 0, s->n);
  row = lua_gettop(L);
  for (i = 0; i < s->n; i++) {
    json_t *e = json_array_get(j, (size_t)i);
    int rc;
    if (s->sub[i] == NULL && json_is_null(e)) continue; /* NULL: absent */
    lua_rawgeti(L, c->kidx, s->key_base + i);
    if (s->sub[i] != NULL)
      rc = push_rel(c, j, (size_t)i, e, s->sub[i]);
    else
      rc = push_value(c, e, s->codecs[i],
                      s->single != NULL && s->single[i] != 0);
    if (rc != SL_OK) {
      lua_settop(L, row - 1);
      return SL_ERROR;
    }
    lua_rawset(L, row); /* a nil value (missing one relation) sets nothing */
  }
  return SL_OK;
}

/* Pushes a relation: a list of rows (many) or a row or nil (one). */
static int push_rel(nctx *c, json_t *parent, size_t idx, json_t *j,
                    const sl_shape *s) {
  lua_State *L = c->L;
  size_t i, n;
  int list;
  if (j == NULL || json_is_null(j)) {
    if (s->many)
      lua_createtable(L, 0, 0);
    else
      lua_pushnil(L);
    return SL_OK;
  }
  if (json_is_string(j) && (j = unquote(c, parent, idx, j)) == NULL)
    return SL_ERROR;
  if (!s->many) return push_row(c, parent, idx, j, s);
  if (!json_is_array(j)) return bad(c, "a list of rows that is not an array");
  n = json_array_size(j);
  if (n >= INT_MAX) return bad(c, "too many nested rows");
  if (!lua_checkstack(L, SL_NEST_STACK))
    return bad(c, "rows nested too deeply");
  lua_createtable(L, (int)n, 0);
  list = lua_gettop(L);
  for (i = 0; i < n; i++) {
    if (push_row(c, j, i, json_array_get(j, i), s) != SL_OK) {
      lua_settop(L, list - 1);
      return SL_ERROR;
    }
    lua_rawseti(L, list, (int)i + 1);
  }
  return SL_OK;
}

/* }==================================================================== */

/* Pushes the nested rows of a cell (see lua_sleet.h). */
int sl_lua_nested(lua_State *L, const sl_value *v, const sl_shape *s, int kidx,
                  const sl_dialect *d, sl_error *err) {
  nctx c;
  int boxidx, rc;
  if (v->type == SL_V_NULL) {
    if (s->many)
      lua_createtable(L, 0, 0);
    else
      lua_pushnil(L);
    return SL_OK;
  }
  if (v->type != SL_V_TEXT && v->type != SL_V_BLOB)
    return sl_error_set(err, SL_EK_VALIDATION,
                        "relational query: nested rows must arrive as JSON "
                        "text");
  c.L = L;
  c.kidx = lua_absindex(L, kidx);
  c.d = d;
  c.err = err;
  luaL_checkstack(L, SL_NEST_STACK, "nested rows");
  c.box = lua_newuserdata(L, sizeof *c.box);
  c.box->root = NULL;
  boxidx = lua_gettop(L);
  if (luaL_newmetatable(L, SL_NEST_BOX)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, boxidx);
  c.box->root = parse(&c, v->u.s.p, v->u.s.n);
  if (c.box->root == NULL) {
    lua_settop(L, boxidx - 1);
    return SL_ERROR;
  }
  rc = push_rel(&c, NULL, 0, c.box->root, s);
  json_decref(c.box->root);
  c.box->root = NULL;
  if (rc != SL_OK) {
    lua_settop(L, boxidx - 1);
    return SL_ERROR;
  }
  lua_remove(L, boxidx);
  return SL_OK;
}
