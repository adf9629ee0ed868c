/*
** lua_tree.c — node trees (plain Lua tables, docs/internals.md "Node
** trees") to the sl_node tree of sleet.h, allocated in one arena.
**
** The converter is strict: an unknown `k`, a missing required field or a
** field of the wrong type is a usage error saying which kind and field, so a
** façade bug surfaces here with a clear message instead of as odd SQL. It
** reads tables with raw access only (no metamethods run), bounds the
** nesting depth, and checks the Lua stack at every level.
**
** Errors: SL_ERROR with err set (usage for malformed trees, validation for
** parameter values, from lua_codec.c). Only memory errors raise; the caller
** keeps the arena in a userdata, so nothing leaks then.
*/
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "lua_sleet.h"

/* Deepest nesting of nodes accepted (protects the C stack). */
#define SL_TREE_MAX_DEPTH 200
/* Stack slots one level of conversion may use. */
#define SL_TREE_STACK 12

typedef struct tctx {
  lua_State *L;
  const sl_dialect *d;
  sl_arena *a;
  sl_error *err;
  int depth;
} tctx;

/* Where a node may appear. */
enum {
  C_EXPR = 1 << 0,   /* expressions */
  C_SOURCE = 1 << 1, /* table, subq */
  C_QUERY = 1 << 2,  /* select, setop */
  C_DML = 1 << 3,    /* insert, update, delete */
  C_DDL = 1 << 4,
  C_ANY = C_EXPR | C_SOURCE | C_QUERY | C_DML | C_DDL
};

/* Indexed by sl_kind; keep in the enum's order. */
static const char *const kind_names[SL_N__COUNT] = {
    "col",        "param",  "ph",      "raw",          "ident",
    "sql",        "null",   "default", "excluded",     "bin",
    "and",        "or",     "not",     "isnull",       "in",
    "between",    "exists", "func",    "alias",        "order",
    "scalar",     "table",  "subq",    "select",       "setop",
    "insert",     "update", "delete",  "create_table", "create_index",
    "create_enum"};

static unsigned kind_class(sl_kind k) {
  if (k <= SL_N_SCALAR) return C_EXPR;
  if (k <= SL_N_SUBQ) return C_SOURCE;
  if (k <= SL_N_SETOP) return C_QUERY;
  if (k <= SL_N_DELETE) return C_DML;
  return C_DDL;
}

static const char *class_name(unsigned cls) {
  switch (cls) {
  case C_EXPR:
    return "an expression";
  case C_SOURCE:
    return "a table or subquery";
  case C_QUERY:
    return "a select or set operation";
  case C_QUERY | C_DML:
    return "a select, set operation, insert, update or "
           "delete";
  default:
    return "a node";
  }
}

/* {====================================================================
** Helpers: errors, memory, raw field access
** ===================================================================== */

static int fail(tctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int fail(tctx *c, const char *fmt, ...) {
  char msg[sizeof c->err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sl_error_set(c->err, SL_EK_USAGE, "%s", msg);
}

/* Zeroed arena memory; raises when out of memory. size 0 gives NULL. */
static void *alloc(tctx *c, size_t size) {
  void *p;
  if (size == 0) return NULL;
  p = sl_arena_alloc(c->a, size);
  if (p == NULL) luaL_error(c->L, "not enough memory");
  return p;
}

static char *dup(tctx *c, const char *s, size_t n) {
  char *p = sl_arena_strndup(c->a, s, n);
  if (p == NULL) luaL_error(c->L, "not enough memory");
  return p;
}

static const char *tname(tctx *c, int idx) {
  return lua_typename(c->L, lua_type(c->L, idx));
}

/* Pushes t[name] (raw) and returns its type. */
static int field(tctx *c, int t, const char *name) {
  lua_pushstring(c->L, name);
  lua_rawget(c->L, t);
  return lua_type(c->L, -1);
}

/* The length of the array at idx; fails (-1) for a table that has keys but
** no 1..n part (a map where an array is expected) or one too long. */
static int array_len(tctx *c, int idx, const char *kn, const char *f) {
  size_t n = (size_t)lua_rawlen(c->L, idx);
  if (n > INT_MAX / 16) {
    fail(c, "%s node: '%s' is too long", kn, f);
    return -1;
  }
  if (n == 0) {
    lua_pushnil(c->L);
    if (lua_next(c->L, idx) != 0) {
      lua_pop(c->L, 2);
      fail(c, "%s node: '%s' must be an array", kn, f);
      return -1;
    }
  }
  return (int)n;
}

/* Opens the array field t[f]: pushes it and sets *n, or (absent and not
** required) pushes nil and sets *n = -1. nonempty: n >= 1 required. */
static int open_array(tctx *c, int t, const char *kn, const char *f, int req,
                      int nonempty, int *n) {
  int ty = field(c, t, f);
  *n = -1;
  if (ty == LUA_TNIL && !req) return SL_OK;
  if (ty != LUA_TTABLE) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "%s node: '%s' must be a%s array, got %s", kn, f,
                nonempty ? " non-empty" : "n", got);
  }
  *n = array_len(c, lua_gettop(c->L), kn, f);
  if (*n < 0 || (nonempty && *n == 0)) {
    lua_pop(c->L, 1);
    if (*n == 0)
      return fail(c, "%s node: '%s' must be a non-empty array", kn, f);
    return SL_ERROR;
  }
  return SL_OK;
}

/* A name without NUL bytes, copied into the arena. */
static int get_str(tctx *c, int t, const char *kn, const char *f, int req,
                   const char **out) {
  size_t n;
  const char *s;
  int ty = field(c, t, f);
  *out = NULL;
  if (ty == LUA_TNIL && !req) {
    lua_pop(c->L, 1);
    return SL_OK;
  }
  if (ty != LUA_TSTRING) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "%s node: '%s' must be a string, got %s", kn, f, got);
  }
  s = lua_tolstring(c->L, -1, &n);
  if (memchr(s, '\0', n) != NULL) {
    lua_pop(c->L, 1);
    return fail(c, "%s node: '%s' must not contain NUL bytes", kn, f);
  }
  *out = dup(c, s, n);
  lua_pop(c->L, 1);
  return SL_OK;
}

/* An optional boolean (absent = false). */
static int get_bool(tctx *c, int t, const char *kn, const char *f, int *out) {
  int ty = field(c, t, f);
  *out = 0;
  if (ty == LUA_TBOOLEAN) {
    *out = lua_toboolean(c->L, -1);
  } else if (ty != LUA_TNIL) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "%s node: '%s' must be a boolean, got %s", kn, f, got);
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* A string field that must be one of names[0..n); *out is its index. */
static int get_enum(tctx *c, int t, const char *kn, const char *f, int req,
                    const char *const *names, int n, int dflt, int *out) {
  const char *s;
  int i;
  if (get_str(c, t, kn, f, req, &s) != SL_OK) return SL_ERROR;
  *out = dflt;
  if (s == NULL) return SL_OK;
  for (i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return SL_OK;
    }
  return fail(c, "%s node: unknown %s '%s'", kn, f, s);
}

/* An optional codec name (absent = any). */
static int get_codec(tctx *c, int t, const char *kn, const char *f,
                     sl_codec *out) {
  const char *s;
  int code;
  if (get_str(c, t, kn, f, 0, &s) != SL_OK) return SL_ERROR;
  *out = SL_C_ANY;
  if (s == NULL) return SL_OK;
  code = sl_codec_find(s);
  if (code < 0) return fail(c, "%s node: unknown codec '%s'", kn, s);
  *out = (sl_codec)code;
  return SL_OK;
}

/* An array of names (strings). */
static int get_names(tctx *c, int t, const char *kn, const char *f, int req,
                     int nonempty, const char ***out, int *nout) {
  int n, i, arr;
  *out = NULL;
  *nout = 0;
  if (open_array(c, t, kn, f, req, nonempty, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    const char **v = alloc(c, (size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
      size_t len;
      const char *s;
      lua_rawgeti(c->L, arr, i + 1);
      if (lua_type(c->L, -1) != LUA_TSTRING) {
        const char *got = tname(c, -1);
        lua_pop(c->L, 2);
        return fail(c, "%s node: '%s'[%d] must be a string, got %s", kn, f,
                    i + 1, got);
      }
      s = lua_tolstring(c->L, -1, &len);
      if (memchr(s, '\0', len) != NULL) {
        lua_pop(c->L, 2);
        return fail(c, "%s node: '%s'[%d] must not contain NUL bytes", kn, f,
                    i + 1);
      }
      v[i] = dup(c, s, len);
      lua_pop(c->L, 1);
    }
    *out = v;
    *nout = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Nodes
** ===================================================================== */

static int conv(tctx *c, int idx, unsigned cls, const char *kn, const char *f,
                sl_node **out);

/* The node in t[f]; absent: NULL, or an error when req. */
static int get_node(tctx *c, int t, const char *kn, const char *f, int req,
                    unsigned cls, sl_node **out) {
  int ty = field(c, t, f), rc;
  *out = NULL;
  if (ty == LUA_TNIL && !req) {
    lua_pop(c->L, 1);
    return SL_OK;
  }
  if (ty != LUA_TTABLE) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "%s node: '%s' must be %s node, got %s", kn, f,
                class_name(cls), got);
  }
  rc = conv(c, lua_gettop(c->L), cls, kn, f, out);
  lua_pop(c->L, 1);
  return rc;
}

/* The list of nodes in t[f]; absent: empty (or an error when req). */
static int get_list(tctx *c, int t, const char *kn, const char *f, int req,
                    int nonempty, unsigned cls, sl_list *out) {
  int n, i, arr;
  out->v = NULL;
  out->n = 0;
  if (open_array(c, t, kn, f, req, nonempty, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    out->v = alloc(c, (size_t)n * sizeof *out->v);
    for (i = 0; i < n; i++) {
      lua_rawgeti(c->L, arr, i + 1);
      if (lua_type(c->L, -1) != LUA_TTABLE) {
        const char *got = tname(c, -1);
        lua_pop(c->L, 2);
        return fail(c, "%s node: '%s'[%d] must be %s node, got %s", kn, f,
                    i + 1, class_name(cls), got);
      }
      if (conv(c, lua_gettop(c->L), cls, kn, f, &out->v[i]) != SL_OK) {
        lua_pop(c->L, 2);
        return SL_ERROR;
      }
      lua_pop(c->L, 1);
    }
    out->n = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* Pushes element i (1-based) of the array at arr, which must be a table
** (a record such as a field or a join); fails otherwise. */
static int open_elem(tctx *c, int arr, int i, const char *kn, const char *f) {
  lua_rawgeti(c->L, arr, i);
  if (lua_type(c->L, -1) != LUA_TTABLE) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "%s node: '%s'[%d] must be a table, got %s", kn, f, i, got);
  }
  return SL_OK;
}

/* `with` = { {name=, q=}, ... } */
static int get_ctes(tctx *c, int t, const char *kn, sl_cte **out, int *nout) {
  int n, i, arr;
  *out = NULL;
  *nout = 0;
  if (open_array(c, t, kn, "with", 0, 0, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    sl_cte *v = alloc(c, (size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
      int e;
      if (open_elem(c, arr, i + 1, kn, "with") != SL_OK) break;
      e = lua_gettop(c->L);
      if (get_str(c, e, "with", "name", 1, &v[i].name) != SL_OK ||
          get_node(c, e, "with", "q", 1, C_QUERY | C_DML, &v[i].query) !=
              SL_OK) {
        lua_pop(c->L, 1);
        break;
      }
      lua_pop(c->L, 1);
    }
    if (i < n) {
      lua_pop(c->L, 1);
      return SL_ERROR;
    }
    *out = v;
    *nout = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* `groups` = { {key=, nullable=}, ... } */
static int get_groups(tctx *c, int t, const char *kn, sl_group **out,
                      int *nout) {
  int n, i, j, arr;
  *out = NULL;
  *nout = 0;
  if (open_array(c, t, kn, "groups", 0, 0, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    sl_group *v = alloc(c, (size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
      int e, rc;
      if (open_elem(c, arr, i + 1, kn, "groups") != SL_OK) break;
      e = lua_gettop(c->L);
      rc = get_str(c, e, "group", "key", 1, &v[i].key);
      if (rc == SL_OK) rc = get_bool(c, e, "group", "nullable", &v[i].nullable);
      lua_pop(c->L, 1);
      if (rc != SL_OK) break;
      for (j = 0; j < i; j++)
        if (strcmp(v[j].key, v[i].key) == 0) {
          fail(c, "%s node: group '%s' appears twice in 'groups'", kn,
               v[i].key);
          break;
        }
      if (j < i) break;
    }
    if (i < n) {
      lua_pop(c->L, 1);
      return SL_ERROR;
    }
    *out = v;
    *nout = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* The shape of nested rows (relational queries): { many = bool, fields =
** { {key=, ty=, single=, shape=}, ... } }, a field with a shape being a
** nested relation. Pops nothing; the shape table is at idx. */
static int get_shape(tctx *c, int idx, const char *kn, sl_shape **out) {
  sl_shape *s;
  int n, i, arr;
  *out = NULL;
  if (c->depth >= SL_TREE_MAX_DEPTH)
    return fail(c, "%s node: shape nested more than %d levels deep", kn,
                SL_TREE_MAX_DEPTH);
  if (!lua_checkstack(c->L, SL_TREE_STACK))
    return fail(c, "%s node: shape too deep for the Lua stack", kn);
  s = alloc(c, sizeof *s);
  if (get_bool(c, idx, "shape", "many", &s->many) != SL_OK) return SL_ERROR;
  if (open_array(c, idx, "shape", "fields", 1, 0, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  s->n = n;
  s->keys = alloc(c, (size_t)n * sizeof *s->keys);
  s->codecs = alloc(c, (size_t)n * sizeof *s->codecs);
  s->sub = alloc(c, (size_t)n * sizeof *s->sub);
  c->depth++;
  for (i = 0; i < n; i++) {
    int e, rc, ty;
    if (open_elem(c, arr, i + 1, "shape", "fields") != SL_OK) break;
    e = lua_gettop(c->L);
    rc = get_str(c, e, "shape field", "key", 1, &s->keys[i]);
    if (rc == SL_OK) rc = get_codec(c, e, "shape field", "ty", &s->codecs[i]);
    if (rc == SL_OK) {
      int single;
      rc = get_bool(c, e, "shape field", "single", &single);
      if (rc == SL_OK && single) {
        if (s->single == NULL) s->single = alloc(c, (size_t)n);
        s->single[i] = 1;
      }
    }
    if (rc == SL_OK) {
      ty = field(c, e, "shape");
      if (ty == LUA_TTABLE)
        rc = get_shape(c, lua_gettop(c->L), kn, &s->sub[i]);
      else if (ty != LUA_TNIL)
        rc = fail(c, "shape field '%s': 'shape' must be a table, got %s",
                  s->keys[i], tname(c, -1));
      lua_pop(c->L, 1);
    }
    lua_pop(c->L, 1);
    if (rc != SL_OK) break;
  }
  c->depth--;
  lua_pop(c->L, 1);
  if (i < n) return SL_ERROR;
  *out = s;
  return SL_OK;
}

/* Result fields: { {key=, e=, ty=, group=, shape=}, ... }; group keys are
** looked up in groups. *present: the field was given. */
static int get_fields(tctx *c, int t, const char *kn, const char *f, int req,
                      const sl_group *groups, int ngroups, sl_fields *out,
                      int *present) {
  int n, i, arr;
  out->v = NULL;
  out->n = 0;
  if (open_array(c, t, kn, f, req, 1, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  *present = n >= 0;
  if (n > 0) {
    sl_field *v = alloc(c, (size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
      const char *group;
      int e, rc, g;
      if (open_elem(c, arr, i + 1, kn, f) != SL_OK) break;
      e = lua_gettop(c->L);
      rc = get_str(c, e, "field", "key", 1, &v[i].key);
      if (rc == SL_OK) rc = get_node(c, e, "field", "e", 1, C_EXPR, &v[i].e);
      if (rc == SL_OK) rc = get_codec(c, e, "field", "ty", &v[i].codec);
      if (rc == SL_OK) rc = get_str(c, e, "field", "group", 0, &group);
      if (rc == SL_OK) {
        int ty = field(c, e, "shape");
        if (ty == LUA_TTABLE)
          rc = get_shape(c, lua_gettop(c->L), kn, &v[i].shape);
        else if (ty != LUA_TNIL)
          rc = fail(c, "%s node: field '%s': 'shape' must be a table, got %s",
                    kn, v[i].key, tname(c, -1));
        lua_pop(c->L, 1);
      }
      lua_pop(c->L, 1);
      if (rc != SL_OK) break;
      v[i].group = -1;
      if (group != NULL) {
        for (g = 0; g < ngroups; g++)
          if (strcmp(groups[g].key, group) == 0) break;
        if (g == ngroups) {
          fail(c,
               "%s node: field '%s' names group '%s', which is not in "
               "'groups'",
               kn, v[i].key, group);
          break;
        }
        v[i].group = g;
      }
    }
    if (i < n) {
      lua_pop(c->L, 1);
      return SL_ERROR;
    }
    out->v = v;
    out->n = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* Assignments: { {column=, value=node}, ... } */
static int get_assigns(tctx *c, int t, const char *kn, const char *f, int req,
                       sl_assign **out, int *nout) {
  int n, i, arr;
  *out = NULL;
  *nout = 0;
  if (open_array(c, t, kn, f, req, 1, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    sl_assign *v = alloc(c, (size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
      int e, rc;
      if (open_elem(c, arr, i + 1, kn, f) != SL_OK) break;
      e = lua_gettop(c->L);
      rc = get_str(c, e, "set", "column", 1, &v[i].column);
      if (rc == SL_OK)
        rc = get_node(c, e, "set", "value", 1, C_EXPR, &v[i].value);
      lua_pop(c->L, 1);
      if (rc != SL_OK) break;
    }
    if (i < n) {
      lua_pop(c->L, 1);
      return SL_ERROR;
    }
    *out = v;
    *nout = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

/* `returning` of insert/update/delete (nil = no RETURNING). */
static int get_returning(tctx *c, int t, const char *kn, sl_fields *out,
                         int *has) {
  return get_fields(c, t, kn, "returning", 0, NULL, 0, out, has);
}

/* The `table` of a DML statement: a table node. */
static int get_target(tctx *c, int t, const char *kn, sl_node **out) {
  if (get_node(c, t, kn, "table", 1, C_SOURCE, out) != SL_OK) return SL_ERROR;
  if ((*out)->kind != SL_N_TABLE)
    return fail(c, "%s node: 'table' must be a table node, got %s", kn,
                kind_names[(*out)->kind]);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Node kinds
** ===================================================================== */

static const char *const binop_names[] = {
    "=", "<>", ">", ">=", "<", "<=", "like", "not like", "ilike", "not ilike"};
static const char *const join_names[] = {"inner", "left", "right", "full",
                                         "cross"};
static const char *const setop_names[] = {
    "union", "union all", "intersect", "except", "intersect all", "except all"};
static const char *const lock_names[] = {"", "update", "share", "no key update",
                                         "key share"};
static const char *const lockwait_names[] = {"", "nowait", "skip locked"};
static const char *const dir_names[] = {"asc", "desc"};
static const char *const nulls_names[] = {"", "first", "last"};
static const char *const conflict_names[] = {"nothing", "update"};
static const char *const fk_actions[] = {"cascade", "restrict", "no action",
                                         "set null", "set default"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* `sql`: parts = strings and nodes in order. Adjacent strings are joined so
** that texts and nodes alternate: texts[0] nodes[0] ... texts[n]. */
static int conv_sql(tctx *c, int t, sl_node *nd) {
  lua_State *L = c->L;
  int n, i, arr, nnodes = 0, seg;
  if (open_array(c, t, "sql", "parts", 1, 0, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    int ty;
    lua_rawgeti(L, arr, i);
    ty = lua_type(L, -1);
    if (ty == LUA_TSTRING) {
      size_t len;
      const char *s = lua_tolstring(L, -1, &len);
      if (memchr(s, '\0', len) != NULL) {
        lua_pop(L, 2);
        return fail(c, "sql node: 'parts'[%d] must not contain NUL bytes", i);
      }
    } else if (ty == LUA_TTABLE) {
      nnodes++;
    } else {
      const char *got = tname(c, -1);
      lua_pop(L, 2);
      return fail(c,
                  "sql node: 'parts'[%d] must be a string or a node, got "
                  "%s",
                  i, got);
    }
    lua_pop(L, 1);
  }
  nd->u.sql.n = nnodes;
  nd->u.sql.texts = alloc(c, (size_t)(nnodes + 1) * sizeof(char *));
  nd->u.sql.nodes = alloc(c, (size_t)nnodes * sizeof(sl_node *));
  i = 1;
  for (seg = 0; seg <= nnodes; seg++) {
    size_t total = 0, len;
    int j;
    char *p;
    for (j = i; j <= n; j++) {
      lua_rawgeti(L, arr, j);
      if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        break;
      }
      total += (size_t)lua_rawlen(L, -1);
      lua_pop(L, 1);
    }
    p = alloc(c, total + 1); /* zeroed: NUL-terminated */
    nd->u.sql.texts[seg] = p;
    for (; i < j; i++) {
      const char *s;
      lua_rawgeti(L, arr, i);
      s = lua_tolstring(L, -1, &len);
      memcpy(p, s, len);
      p += len;
      lua_pop(L, 1);
    }
    if (seg < nnodes) { /* parts[j] is a node */
      lua_rawgeti(L, arr, j);
      if (conv(c, lua_gettop(L), C_ANY, "sql", "parts",
               &nd->u.sql.nodes[seg]) != SL_OK) {
        lua_pop(L, 2);
        return SL_ERROR;
      }
      lua_pop(L, 1);
      i = j + 1;
    }
  }
  lua_pop(L, 1);
  return SL_OK;
}

static int conv_param(tctx *c, int t, sl_node *nd) {
  int rc;
  if (get_codec(c, t, "param", "ty", &nd->u.param.codec) != SL_OK ||
      get_str(c, t, "param", "col", 0, &nd->u.param.column) != SL_OK)
    return SL_ERROR;
  /* slot: where core.rebind finds this parameter's value (templates) */
  if (field(c, t, "slot") != LUA_TNIL) {
    lua_Integer slot = sl_lua_isinteger(c->L, -1) ? lua_tointeger(c->L, -1) : 0;
    lua_pop(c->L, 1);
    if (slot < 1 || slot > INT_MAX / 16)
      return fail(c, "param node: 'slot' must be a positive integer");
    nd->u.param.slot = (int)slot;
  } else {
    lua_pop(c->L, 1);
  }
  field(c, t, "v");
  rc = sl_lua_encode(c->L, -1, nd->u.param.codec, c->d, c->a, &nd->u.param.v,
                     nd->u.param.column, c->err);
  lua_pop(c->L, 1);
  return rc;
}

static int conv_select(tctx *c, int t, sl_node *nd) {
  const char *kn = "select";
  int n, i, arr, present;
  int lock, wait;
  if (get_bool(c, t, kn, "distinct", &nd->u.select.distinct) != SL_OK ||
      get_list(c, t, kn, "distinctOn", 0, 0, C_EXPR,
               &nd->u.select.distinct_on) != SL_OK ||
      get_enum(c, t, kn, "lock", 0, lock_names, COUNT(lock_names), 0, &lock) !=
          SL_OK ||
      get_enum(c, t, kn, "lockWait", 0, lockwait_names, COUNT(lockwait_names),
               0, &wait) != SL_OK ||
      get_list(c, t, kn, "lockOf", 0, 0, C_SOURCE, &nd->u.select.lock_of) !=
          SL_OK ||
      get_ctes(c, t, kn, &nd->u.select.ctes, &nd->u.select.nctes) != SL_OK ||
      get_groups(c, t, kn, &nd->u.select.groups, &nd->u.select.ngroups) !=
          SL_OK ||
      get_fields(c, t, kn, "fields", 1, nd->u.select.groups,
                 nd->u.select.ngroups, &nd->u.select.fields,
                 &present) != SL_OK ||
      get_bool(c, t, kn, "alias_fields", &nd->u.select.alias_fields) != SL_OK ||
      get_node(c, t, kn, "from", 0, C_SOURCE, &nd->u.select.from) != SL_OK)
    return SL_ERROR;
  nd->u.select.lock = (sl_lock)lock;
  nd->u.select.lock_wait = (sl_lockwait)wait;
  /* joins */
  if (open_array(c, t, kn, "joins", 0, 0, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    sl_join *v = alloc(c, (size_t)n * sizeof *v);
    for (i = 0; i < n; i++) {
      int e, rc, ty;
      if (open_elem(c, arr, i + 1, kn, "joins") != SL_OK) break;
      e = lua_gettop(c->L);
      rc = get_enum(c, e, "join", "type", 1, join_names, COUNT(join_names), 0,
                    &ty);
      if (rc == SL_OK) {
        v[i].type = (sl_jointype)ty;
        rc = get_node(c, e, "join", "source", 1, C_SOURCE, &v[i].source);
      }
      if (rc == SL_OK)
        rc = get_node(c, e, "join", "on", v[i].type != SL_JOIN_CROSS, C_EXPR,
                      &v[i].on);
      if (rc == SL_OK && v[i].type == SL_JOIN_CROSS && v[i].on != NULL)
        rc = fail(c, "join node: a cross join takes no 'on'");
      if (rc == SL_OK) rc = get_bool(c, e, "join", "lateral", &v[i].lateral);
      lua_pop(c->L, 1);
      if (rc != SL_OK) break;
    }
    if (i < n) {
      lua_pop(c->L, 1);
      return SL_ERROR;
    }
    nd->u.select.joins = v;
    nd->u.select.njoins = n;
  }
  lua_pop(c->L, 1);
  if (get_node(c, t, kn, "where", 0, C_EXPR, &nd->u.select.where) != SL_OK ||
      get_list(c, t, kn, "groupBy", 0, 0, C_EXPR, &nd->u.select.group_by) !=
          SL_OK ||
      get_node(c, t, kn, "having", 0, C_EXPR, &nd->u.select.having) != SL_OK ||
      get_list(c, t, kn, "orderBy", 0, 0, C_EXPR, &nd->u.select.order_by) !=
          SL_OK ||
      get_node(c, t, kn, "limit", 0, C_EXPR, &nd->u.select.limit) != SL_OK ||
      get_node(c, t, kn, "offset", 0, C_EXPR, &nd->u.select.offset) != SL_OK)
    return SL_ERROR;
  return SL_OK;
}

static int conv_setop(tctx *c, int t, sl_node *nd) {
  const char *kn = "setop";
  int op;
  if (get_enum(c, t, kn, "op", 1, setop_names, COUNT(setop_names), 0, &op) !=
      SL_OK)
    return SL_ERROR;
  nd->u.setop.op = (sl_setop)op;
  if (get_node(c, t, kn, "l", 1, C_QUERY, &nd->u.setop.l) != SL_OK ||
      get_node(c, t, kn, "r", 1, C_QUERY, &nd->u.setop.r) != SL_OK ||
      get_list(c, t, kn, "orderBy", 0, 0, C_EXPR, &nd->u.setop.order_by) !=
          SL_OK ||
      get_node(c, t, kn, "limit", 0, C_EXPR, &nd->u.setop.limit) != SL_OK ||
      get_node(c, t, kn, "offset", 0, C_EXPR, &nd->u.setop.offset) != SL_OK)
    return SL_ERROR;
  return SL_OK;
}

/* insert `rows`: arrays of nodes, one per column. */
static int get_rows(tctx *c, int t, int ncols, sl_node ****out, int *nout) {
  const char *kn = "insert";
  int n, i, j, arr;
  *out = NULL;
  *nout = 0;
  if (open_array(c, t, kn, "rows", 0, 1, &n) != SL_OK) return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n > 0) {
    sl_node ***rows = alloc(c, (size_t)n * sizeof *rows);
    for (i = 0; i < n; i++) {
      int row, len;
      if (open_elem(c, arr, i + 1, kn, "rows") != SL_OK) break;
      row = lua_gettop(c->L);
      len = (int)lua_rawlen(c->L, row);
      if (len != ncols) {
        lua_pop(c->L, 1);
        fail(c, "insert node: 'rows'[%d] has %d values for %d columns", i + 1,
             len, ncols);
        break;
      }
      rows[i] = alloc(c, (size_t)ncols * sizeof **rows);
      for (j = 0; j < ncols; j++) {
        lua_rawgeti(c->L, row, j + 1);
        if (lua_type(c->L, -1) != LUA_TTABLE) {
          const char *got = tname(c, -1);
          lua_pop(c->L, 1);
          fail(c,
               "insert node: 'rows'[%d][%d] must be an expression node, "
               "got %s",
               i + 1, j + 1, got);
          break;
        }
        if (conv(c, lua_gettop(c->L), C_EXPR, kn, "rows", &rows[i][j]) !=
            SL_OK) {
          lua_pop(c->L, 1);
          break;
        }
        lua_pop(c->L, 1);
      }
      lua_pop(c->L, 1);
      if (j < ncols) break;
    }
    if (i < n) {
      lua_pop(c->L, 1);
      return SL_ERROR;
    }
    *out = rows;
    *nout = n;
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

static int conv_insert(tctx *c, int t, sl_node *nd) {
  const char *kn = "insert";
  int ty;
  if (get_ctes(c, t, kn, &nd->u.insert.ctes, &nd->u.insert.nctes) != SL_OK ||
      get_target(c, t, kn, &nd->u.insert.table) != SL_OK ||
      get_names(c, t, kn, "columns", 1, 0, &nd->u.insert.columns,
                &nd->u.insert.ncolumns) != SL_OK ||
      get_rows(c, t, nd->u.insert.ncolumns, &nd->u.insert.rows,
               &nd->u.insert.nrows) != SL_OK ||
      get_node(c, t, kn, "select", 0, C_QUERY, &nd->u.insert.select) != SL_OK ||
      get_bool(c, t, kn, "ignore", &nd->u.insert.ignore) != SL_OK ||
      get_bool(c, t, kn, "overriding", &nd->u.insert.overriding) != SL_OK)
    return SL_ERROR;
  if ((nd->u.insert.nrows > 0) == (nd->u.insert.select != NULL))
    return fail(c, "insert node: exactly one of 'rows' and 'select' is "
                   "required");
  /* conflict */
  ty = field(c, t, "conflict");
  if (ty == LUA_TTABLE) {
    int e = lua_gettop(c->L), action, rc;
    const char *ckn = "conflict";
    rc = get_enum(c, e, ckn, "action", 1, conflict_names, COUNT(conflict_names),
                  0, &action);
    if (rc == SL_OK) {
      nd->u.insert.conflict = action + 1;
      rc = get_list(c, e, ckn, "target", 0, 0, C_EXPR,
                    &nd->u.insert.conflict_target);
    }
    if (rc == SL_OK) {
      int i;
      for (i = 0; i < nd->u.insert.conflict_target.n; i++)
        if (nd->u.insert.conflict_target.v[i]->kind != SL_N_COL) {
          rc = fail(c,
                    "conflict node: 'target'[%d] must be a col node, got "
                    "%s",
                    i + 1, kind_names[nd->u.insert.conflict_target.v[i]->kind]);
          break;
        }
    }
    if (rc == SL_OK)
      rc =
          get_node(c, e, ckn, "where", 0, C_EXPR, &nd->u.insert.conflict_where);
    if (rc == SL_OK)
      rc = get_assigns(c, e, ckn, "set", action == 1,
                       &nd->u.insert.conflict_set, &nd->u.insert.nconflict_set);
    if (rc == SL_OK)
      rc = get_node(c, e, ckn, "setWhere", 0, C_EXPR,
                    &nd->u.insert.conflict_set_where);
    if (rc == SL_OK && action == 0 &&
        (nd->u.insert.nconflict_set > 0 ||
         nd->u.insert.conflict_set_where != NULL))
      rc = fail(c, "conflict node: 'set' and 'setWhere' need action "
                   "\"update\"");
    lua_pop(c->L, 1);
    if (rc != SL_OK) return SL_ERROR;
  } else if (ty != LUA_TNIL) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "insert node: 'conflict' must be a table, got %s", got);
  } else {
    lua_pop(c->L, 1);
  }
  /* dup */
  ty = field(c, t, "dup");
  if (ty == LUA_TTABLE) {
    int rc = get_assigns(c, lua_gettop(c->L), "dup", "set", 1,
                         &nd->u.insert.dup_set, &nd->u.insert.ndup_set);
    lua_pop(c->L, 1);
    if (rc != SL_OK) return SL_ERROR;
  } else if (ty != LUA_TNIL) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "insert node: 'dup' must be a table, got %s", got);
  } else {
    lua_pop(c->L, 1);
  }
  return get_returning(c, t, kn, &nd->u.insert.returning,
                       &nd->u.insert.has_returning);
}

static int conv_update(tctx *c, int t, sl_node *nd) {
  const char *kn = "update";
  if (get_ctes(c, t, kn, &nd->u.update.ctes, &nd->u.update.nctes) != SL_OK ||
      get_target(c, t, kn, &nd->u.update.table) != SL_OK ||
      get_assigns(c, t, kn, "set", 1, &nd->u.update.set, &nd->u.update.nset) !=
          SL_OK ||
      get_node(c, t, kn, "from", 0, C_SOURCE, &nd->u.update.from) != SL_OK ||
      get_node(c, t, kn, "where", 0, C_EXPR, &nd->u.update.where) != SL_OK ||
      get_list(c, t, kn, "orderBy", 0, 0, C_EXPR, &nd->u.update.order_by) !=
          SL_OK ||
      get_node(c, t, kn, "limit", 0, C_EXPR, &nd->u.update.limit) != SL_OK)
    return SL_ERROR;
  return get_returning(c, t, kn, &nd->u.update.returning,
                       &nd->u.update.has_returning);
}

static int conv_delete(tctx *c, int t, sl_node *nd) {
  const char *kn = "delete";
  if (get_ctes(c, t, kn, &nd->u.delete_.ctes, &nd->u.delete_.nctes) != SL_OK ||
      get_target(c, t, kn, &nd->u.delete_.table) != SL_OK ||
      get_node(c, t, kn, "where", 0, C_EXPR, &nd->u.delete_.where) != SL_OK ||
      get_list(c, t, kn, "orderBy", 0, 0, C_EXPR, &nd->u.delete_.order_by) !=
          SL_OK ||
      get_node(c, t, kn, "limit", 0, C_EXPR, &nd->u.delete_.limit) != SL_OK)
    return SL_ERROR;
  return get_returning(c, t, kn, &nd->u.delete_.returning,
                       &nd->u.delete_.has_returning);
}

/* A foreign key action: absent, or one of fk_actions (any case). */
static int get_fk_action(tctx *c, int t, const char *f, const char **out) {
  const char *s;
  int i;
  if (get_str(c, t, "foreignKey", f, 0, &s) != SL_OK) return SL_ERROR;
  *out = NULL;
  if (s == NULL) return SL_OK;
  for (i = 0; i < COUNT(fk_actions); i++) {
    size_t k, n = strlen(fk_actions[i]);
    if (strlen(s) != n) continue;
    for (k = 0; k < n; k++) {
      char ch = s[k];
      if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
      if (ch != fk_actions[i][k]) break;
    }
    if (k == n) {
      *out = fk_actions[i];
      return SL_OK;
    }
  }
  return fail(c,
              "foreignKey node: '%s' must be one of \"cascade\", "
              "\"restrict\", \"no action\", \"set null\", \"set default\"; "
              "got '%s'",
              f, s);
}

static int get_coldef(tctx *c, int e, sl_coldef *cd) {
  const char *kn = "column";
  int ty;
  if (get_str(c, e, kn, "name", 1, &cd->name) != SL_OK ||
      get_str(c, e, kn, "type", 1, &cd->type) != SL_OK ||
      get_bool(c, e, kn, "notNull", &cd->not_null) != SL_OK ||
      get_bool(c, e, kn, "primaryKey", &cd->primary_key) != SL_OK ||
      get_bool(c, e, kn, "autoincrement", &cd->autoincrement) != SL_OK ||
      get_node(c, e, kn, "default", 0, C_EXPR, &cd->default_) != SL_OK)
    return SL_ERROR;
  ty = field(c, e, "unique");
  if (ty == LUA_TBOOLEAN) {
    cd->unique = lua_toboolean(c->L, -1) ? "" : NULL;
    lua_pop(c->L, 1);
  } else if (ty == LUA_TSTRING) {
    lua_pop(c->L, 1);
    if (get_str(c, e, kn, "unique", 1, &cd->unique) != SL_OK) return SL_ERROR;
  } else if (ty != LUA_TNIL) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c,
                "column node: 'unique' must be a boolean or a name, got "
                "%s",
                got);
  } else {
    lua_pop(c->L, 1);
  }
  ty = field(c, e, "generated");
  if (ty == LUA_TTABLE) {
    int g = lua_gettop(c->L), rc;
    rc = get_node(c, g, "generated", "e", 1, C_EXPR, &cd->generated);
    if (rc == SL_OK)
      rc = get_bool(c, g, "generated", "stored", &cd->generated_stored);
    lua_pop(c->L, 1);
    return rc;
  }
  if (ty != LUA_TNIL) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "column node: 'generated' must be a table, got %s", got);
  }
  lua_pop(c->L, 1);
  return SL_OK;
}

static int get_fk(tctx *c, int e, sl_fk *fk) {
  const char *kn = "foreignKey";
  if (get_str(c, e, kn, "name", 0, &fk->name) != SL_OK ||
      get_names(c, e, kn, "columns", 1, 1, &fk->columns, &fk->ncolumns) !=
          SL_OK ||
      get_str(c, e, kn, "refSchema", 0, &fk->ref_schema) != SL_OK ||
      get_str(c, e, kn, "refTable", 1, &fk->ref_table) != SL_OK ||
      get_names(c, e, kn, "refColumns", 1, 1, &fk->ref_columns,
                &fk->nref_columns) != SL_OK ||
      get_fk_action(c, e, "onDelete", &fk->on_delete) != SL_OK ||
      get_fk_action(c, e, "onUpdate", &fk->on_update) != SL_OK)
    return SL_ERROR;
  if (fk->ncolumns != fk->nref_columns)
    return fail(c, "foreignKey node: %d 'columns' but %d 'refColumns'",
                fk->ncolumns, fk->nref_columns);
  return SL_OK;
}

static int get_keydef(tctx *c, int e, const char *kn, sl_keydef *k) {
  if (get_str(c, e, kn, "name", 0, &k->name) != SL_OK ||
      get_names(c, e, kn, "columns", 1, 1, &k->columns, &k->ncolumns) !=
          SL_OK ||
      get_bool(c, e, kn, "nullsNotDistinct", &k->nulls_not_distinct) != SL_OK)
    return SL_ERROR;
  return SL_OK;
}

static int get_checkdef(tctx *c, int e, sl_checkdef *k) {
  if (get_str(c, e, "check", "name", 1, &k->name) != SL_OK ||
      get_node(c, e, "check", "e", 1, C_EXPR, &k->expr) != SL_OK)
    return SL_ERROR;
  return SL_OK;
}

/* Element converters of create_table's arrays. */
typedef enum tdef { TD_COLUMN, TD_FK, TD_UNIQUE, TD_CHECK } tdef;

/* Converts the array t[f] of records of kind what into *out (n records of
** size sz each). */
static int get_tdefs(tctx *c, int t, const char *f, int req, tdef what,
                     size_t sz, void **out, int *nout) {
  int n, i, arr;
  char *v;
  *out = NULL;
  *nout = 0;
  if (open_array(c, t, "create_table", f, req, req, &n) != SL_OK)
    return SL_ERROR;
  arr = lua_gettop(c->L);
  if (n <= 0) {
    lua_pop(c->L, 1);
    return SL_OK;
  }
  v = alloc(c, (size_t)n * sz);
  for (i = 0; i < n; i++) {
    void *rec = v + (size_t)i * sz;
    int e, rc;
    if (open_elem(c, arr, i + 1, "create_table", f) != SL_OK) break;
    e = lua_gettop(c->L);
    switch (what) {
    case TD_COLUMN:
      rc = get_coldef(c, e, rec);
      break;
    case TD_FK:
      rc = get_fk(c, e, rec);
      break;
    case TD_UNIQUE:
      rc = get_keydef(c, e, "unique", rec);
      break;
    case TD_CHECK:
    default:
      rc = get_checkdef(c, e, rec);
      break;
    }
    lua_pop(c->L, 1);
    if (rc != SL_OK) break;
  }
  lua_pop(c->L, 1);
  if (i < n) return SL_ERROR;
  *out = v;
  *nout = n;
  return SL_OK;
}

static int conv_create_table(tctx *c, int t, sl_node *nd) {
  const char *kn = "create_table";
  void *p;
  int ty;
  if (get_str(c, t, kn, "schema", 0, &nd->u.create_table.schema) != SL_OK ||
      get_str(c, t, kn, "name", 1, &nd->u.create_table.name) != SL_OK ||
      get_bool(c, t, kn, "ifNotExists", &nd->u.create_table.if_not_exists) !=
          SL_OK)
    return SL_ERROR;
  if (get_tdefs(c, t, "columns", 1, TD_COLUMN, sizeof(sl_coldef), &p,
                &nd->u.create_table.ncolumns) != SL_OK)
    return SL_ERROR;
  nd->u.create_table.columns = p;
  ty = field(c, t, "primaryKey");
  if (ty == LUA_TTABLE) {
    int rc;
    nd->u.create_table.primary_key =
        alloc(c, sizeof *nd->u.create_table.primary_key);
    rc = get_keydef(c, lua_gettop(c->L), "primaryKey",
                    nd->u.create_table.primary_key);
    lua_pop(c->L, 1);
    if (rc != SL_OK) return SL_ERROR;
  } else if (ty != LUA_TNIL) {
    const char *got = tname(c, -1);
    lua_pop(c->L, 1);
    return fail(c, "create_table node: 'primaryKey' must be a table, got %s",
                got);
  } else {
    lua_pop(c->L, 1);
  }
  if (get_tdefs(c, t, "foreignKeys", 0, TD_FK, sizeof(sl_fk), &p,
                &nd->u.create_table.nfks) != SL_OK)
    return SL_ERROR;
  nd->u.create_table.fks = p;
  if (get_tdefs(c, t, "uniques", 0, TD_UNIQUE, sizeof(sl_keydef), &p,
                &nd->u.create_table.nuniques) != SL_OK)
    return SL_ERROR;
  nd->u.create_table.uniques = p;
  if (get_tdefs(c, t, "checks", 0, TD_CHECK, sizeof(sl_checkdef), &p,
                &nd->u.create_table.nchecks) != SL_OK)
    return SL_ERROR;
  nd->u.create_table.checks = p;
  return SL_OK;
}

static int conv_create_index(tctx *c, int t, sl_node *nd) {
  const char *kn = "create_index";
  if (get_str(c, t, kn, "name", 1, &nd->u.create_index.name) != SL_OK ||
      get_str(c, t, kn, "schema", 0, &nd->u.create_index.schema) != SL_OK ||
      get_str(c, t, kn, "table", 1, &nd->u.create_index.table) != SL_OK ||
      get_bool(c, t, kn, "unique", &nd->u.create_index.unique) != SL_OK ||
      get_bool(c, t, kn, "ifNotExists", &nd->u.create_index.if_not_exists) !=
          SL_OK ||
      get_list(c, t, kn, "columns", 1, 1, C_EXPR,
               &nd->u.create_index.columns) != SL_OK ||
      get_node(c, t, kn, "where", 0, C_EXPR, &nd->u.create_index.where) !=
          SL_OK)
    return SL_ERROR;
  return SL_OK;
}

static int conv_create_enum(tctx *c, int t, sl_node *nd) {
  const char *kn = "create_enum";
  if (get_str(c, t, kn, "schema", 0, &nd->u.create_enum.schema) != SL_OK ||
      get_str(c, t, kn, "name", 1, &nd->u.create_enum.name) != SL_OK ||
      get_names(c, t, kn, "values", 1, 1, &nd->u.create_enum.values,
                &nd->u.create_enum.nvalues) != SL_OK)
    return SL_ERROR;
  return SL_OK;
}

/* The expression kinds with simple fields. */
static int conv_expr(tctx *c, int t, sl_node *nd, const char *kn) {
  int v;
  switch (nd->kind) {
  case SL_N_COL:
    if (get_str(c, t, kn, "table", 0, &nd->u.col.table) != SL_OK ||
        get_str(c, t, kn, "name", 1, &nd->u.col.name) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_PARAM:
    return conv_param(c, t, nd);
  case SL_N_PH:
    if (get_str(c, t, kn, "name", 1, &nd->u.ph.name) != SL_OK ||
        get_codec(c, t, kn, "ty", &nd->u.ph.codec) != SL_OK ||
        get_str(c, t, kn, "col", 0, &nd->u.ph.column) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_RAW:
    return get_str(c, t, kn, "sql", 1, &nd->u.raw.text);
  case SL_N_IDENT:
    return get_str(c, t, kn, "name", 1, &nd->u.ident.name);
  case SL_N_SQL:
    return conv_sql(c, t, nd);
  case SL_N_NULL:
  case SL_N_DEFAULT:
    return SL_OK;
  case SL_N_EXCLUDED:
    return get_str(c, t, kn, "name", 1, &nd->u.excluded.column);
  case SL_N_BIN:
    if (get_enum(c, t, kn, "op", 1, binop_names, COUNT(binop_names), 0, &v) !=
        SL_OK)
      return SL_ERROR;
    nd->u.bin.op = (sl_binop)v;
    if (get_node(c, t, kn, "l", 1, C_EXPR, &nd->u.bin.l) != SL_OK ||
        get_node(c, t, kn, "r", 1, C_EXPR, &nd->u.bin.r) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_AND:
  case SL_N_OR:
    return get_list(c, t, kn, "list", 1, 0, C_EXPR, &nd->u.logic.list);
  case SL_N_NOT:
    return get_node(c, t, kn, "e", 1, C_EXPR, &nd->u.not_.e);
  case SL_N_ISNULL:
    if (get_node(c, t, kn, "e", 1, C_EXPR, &nd->u.isnull.e) != SL_OK ||
        get_bool(c, t, kn, "neg", &nd->u.isnull.negate) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_IN: {
    int has_list;
    if (get_node(c, t, kn, "e", 1, C_EXPR, &nd->u.in.e) != SL_OK ||
        get_bool(c, t, kn, "neg", &nd->u.in.negate) != SL_OK ||
        get_node(c, t, kn, "sub", 0, C_QUERY, &nd->u.in.subquery) != SL_OK)
      return SL_ERROR;
    has_list = field(c, t, "list") != LUA_TNIL;
    lua_pop(c->L, 1);
    if (has_list == (nd->u.in.subquery != NULL))
      return fail(c, "in node: exactly one of 'list' and 'sub' is required");
    if (has_list)
      return get_list(c, t, kn, "list", 1, 0, C_EXPR, &nd->u.in.list);
    return SL_OK;
  }
  case SL_N_BETWEEN:
    if (get_node(c, t, kn, "e", 1, C_EXPR, &nd->u.between.e) != SL_OK ||
        get_node(c, t, kn, "lo", 1, C_EXPR, &nd->u.between.lo) != SL_OK ||
        get_node(c, t, kn, "hi", 1, C_EXPR, &nd->u.between.hi) != SL_OK ||
        get_bool(c, t, kn, "neg", &nd->u.between.negate) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_EXISTS:
    if (get_node(c, t, kn, "sub", 1, C_QUERY, &nd->u.exists.subquery) !=
            SL_OK ||
        get_bool(c, t, kn, "neg", &nd->u.exists.negate) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_FUNC:
    if (get_str(c, t, kn, "name", 1, &nd->u.func.name) != SL_OK ||
        get_list(c, t, kn, "args", 0, 0, C_EXPR, &nd->u.func.args) != SL_OK ||
        get_bool(c, t, kn, "distinct", &nd->u.func.distinct) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_ALIAS:
    if (get_node(c, t, kn, "e", 1, C_EXPR, &nd->u.alias.e) != SL_OK ||
        get_str(c, t, kn, "name", 1, &nd->u.alias.name) != SL_OK)
      return SL_ERROR;
    return SL_OK;
  case SL_N_ORDER: {
    int nulls;
    if (get_node(c, t, kn, "e", 1, C_EXPR, &nd->u.order.e) != SL_OK ||
        get_enum(c, t, kn, "dir", 0, dir_names, COUNT(dir_names), 0, &v) !=
            SL_OK ||
        get_enum(c, t, kn, "nulls", 0, nulls_names, COUNT(nulls_names), 0,
                 &nulls) != SL_OK)
      return SL_ERROR;
    nd->u.order.desc = v;
    nd->u.order.nulls = nulls;
    return SL_OK;
  }
  case SL_N_SCALAR:
    return get_node(c, t, kn, "q", 1, C_QUERY, &nd->u.scalar.query);
  default:
    return fail(c, "%s node: not an expression", kn);
  }
}

/* Converts the node table at idx (absolute) into *out. cls: the kinds the
** position allows; pkn/pf: the parent kind and field, for messages. */
static int conv(tctx *c, int idx, unsigned cls, const char *pkn, const char *pf,
                sl_node **out) {
  lua_State *L = c->L;
  const char *k, *kn;
  sl_node *nd;
  size_t klen;
  int kind, rc;
  *out = NULL;
  if (c->depth >= SL_TREE_MAX_DEPTH)
    return fail(c, "node tree nested more than %d levels deep",
                SL_TREE_MAX_DEPTH);
  if (!lua_checkstack(L, SL_TREE_STACK))
    return fail(c, "node tree too deep for the Lua stack");
  if (field(c, idx, "k") != LUA_TSTRING) {
    const char *got = tname(c, -1);
    lua_pop(L, 1);
    if (pkn == NULL)
      return fail(c, "node tree: 'k' must be a string, got %s", got);
    return fail(c,
                "%s node: '%s' is not a node ('k' must be a string, got "
                "%s)",
                pkn, pf, got);
  }
  k = lua_tolstring(L, -1, &klen);
  for (kind = 0; kind < SL_N__COUNT; kind++)
    if (strlen(kind_names[kind]) == klen && strcmp(kind_names[kind], k) == 0)
      break;
  if (kind == SL_N__COUNT) {
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(klen < 40 ? klen : 40), k);
    lua_pop(L, 1);
    if (pkn == NULL) return fail(c, "unknown node kind '%s'", name);
    return fail(c, "%s node: '%s' has unknown node kind '%s'", pkn, pf, name);
  }
  lua_pop(L, 1);
  kn = kind_names[kind];
  if (!(kind_class((sl_kind)kind) & cls))
    return fail(c, "%s node: '%s' must be %s node, got a %s node", pkn, pf,
                class_name(cls), kn);
  nd = alloc(c, sizeof *nd);
  nd->kind = (sl_kind)kind;
  c->depth++;
  switch (nd->kind) {
  case SL_N_TABLE:
    rc = get_str(c, idx, kn, "schema", 0, &nd->u.table.schema);
    if (rc == SL_OK) rc = get_str(c, idx, kn, "name", 1, &nd->u.table.name);
    if (rc == SL_OK) rc = get_str(c, idx, kn, "alias", 0, &nd->u.table.alias);
    break;
  case SL_N_SUBQ:
    rc = get_node(c, idx, kn, "q", 1, C_QUERY, &nd->u.subq.query);
    if (rc == SL_OK) rc = get_str(c, idx, kn, "alias", 1, &nd->u.subq.alias);
    break;
  case SL_N_SELECT:
    rc = conv_select(c, idx, nd);
    break;
  case SL_N_SETOP:
    rc = conv_setop(c, idx, nd);
    break;
  case SL_N_INSERT:
    rc = conv_insert(c, idx, nd);
    break;
  case SL_N_UPDATE:
    rc = conv_update(c, idx, nd);
    break;
  case SL_N_DELETE:
    rc = conv_delete(c, idx, nd);
    break;
  case SL_N_CREATE_TABLE:
    rc = conv_create_table(c, idx, nd);
    break;
  case SL_N_CREATE_INDEX:
    rc = conv_create_index(c, idx, nd);
    break;
  case SL_N_CREATE_ENUM:
    rc = conv_create_enum(c, idx, nd);
    break;
  default:
    rc = conv_expr(c, idx, nd, kn);
    break;
  }
  c->depth--;
  if (rc != SL_OK) return SL_ERROR;
  *out = nd;
  return SL_OK;
}

/* }==================================================================== */

/* Converts the node tree at idx into *out, allocated in a (see
** lua_sleet.h). Any kind of node may be at the top. Returns SL_OK, or
** SL_ERROR with err set: usage for a malformed tree (the message names the
** node kind and field), validation for a parameter value (the message
** names the column). Raises only on memory errors. */
int sl_lua_tree(lua_State *L, int idx, const sl_dialect *d, sl_arena *a,
                sl_node **out, sl_error *err) {
  tctx c;
  *out = NULL;
  idx = lua_absindex(L, idx);
  c.L = L;
  c.d = d;
  c.a = a;
  c.err = err;
  c.depth = 0;
  if (lua_type(L, idx) != LUA_TTABLE)
    return fail(&c, "node tree must be a table, got %s", tname(&c, idx));
  return conv(&c, idx, C_ANY, NULL, NULL, out);
}
