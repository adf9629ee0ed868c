/*
** lua_seed.c — the binding of the seed core (sl_seed.c) behind sleet.seed:
**
**   core.seed_data(words)            -> SeedData (the word lists, copied)
**   core.seed_table(data, spec)      -> SeedTable, or nil, message, column
**   tbl:fill(list, from, n [, cols]) -> writes n rows from row `from`
**                                       (0-based) into list[1 ..], row
**                                       after row, the columns cols (1-based
**                                       indices; all generated ones by
**                                       default); returns the values written
**   tbl:value(col, row)              -> one value (nil for NULL)
**   tbl:count()                      -> rows
**   core.seed_instant(text)          -> seconds since 1970, or nil
**   core.seed_checksum(text [, prev]) -> 16 hex digits (FNV-1a 64)
**   core.seed_clock()                -> seconds of a monotonic clock (float)
**
** A SeedTable owns an arena holding its columns, generators and their
** values; its user value keeps the SeedData and parent tables alive. Spec
** (built by sleet/seed.lua):
**   { name, seed, count, ngroups, columns = { { key, group?, gen? }, ... } }
** gen = { kind, out, unique, min, max, decimals, maxlen, sentences,
**         nullable, values = { ... }, subs = { gen, ... }, weights = { ... },
**         parent = SeedTable, pcol, fkmode, prefix = { ... } }
** NULL values are sleet.null in a fill list (a template slot needs a value).
*/
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua_sleet.h"
#include "sl_seed.h"

#define SL_LUA_SEEDDATA "sleet.SeedData"
#define SL_LUA_SEEDTABLE "sleet.SeedTable"

typedef struct seeddata {
  sl_seed_data d;
  sl_arena *arena;
} seeddata;

typedef struct seedtable {
  sl_seed_table t;
  sl_arena *arena;
  sl_buf buf;
} seedtable;

static const char *const list_names[SL_L__COUNT] = {
    "first",   "last",         "domain",      "country",       "city",
    "street",  "streetSuffix", "companyWord", "companySuffix", "jobLevel",
    "jobArea", "jobRole",      "state",       "lorem"};

static const char *const kind_names[SL_G__COUNT] = {"default",
                                                    "valuesFromArray",
                                                    "intPrimaryKey",
                                                    "int",
                                                    "number",
                                                    "boolean",
                                                    "date",
                                                    "time",
                                                    "timestamp",
                                                    "year",
                                                    "json",
                                                    "interval",
                                                    "string",
                                                    "uuid",
                                                    "firstName",
                                                    "lastName",
                                                    "fullName",
                                                    "email",
                                                    "phoneNumber",
                                                    "country",
                                                    "city",
                                                    "streetAddress",
                                                    "jobTitle",
                                                    "postcode",
                                                    "state",
                                                    "companyName",
                                                    "loremIpsum",
                                                    "point",
                                                    "line",
                                                    "weightedRandom",
                                                    "fk",
                                                    "null"};

static const char *const out_names[] = {
    "natural", "int",     "float", "text", "bool", "boolint",
    "epoch",   "epochms", "date",  "json", NULL};

static const char *const fk_names[] = {"random", "self", "with", NULL};

static int data_gc(lua_State *L) {
  seeddata *sd = luaL_checkudata(L, 1, SL_LUA_SEEDDATA);
  sl_arena_free(sd->arena);
  sd->arena = NULL;
  return 0;
}

static int table_gc(lua_State *L) {
  seedtable *st = luaL_checkudata(L, 1, SL_LUA_SEEDTABLE);
  sl_arena_free(st->arena);
  st->arena = NULL;
  sl_buf_free(&st->buf);
  return 0;
}

static void *alloc(lua_State *L, sl_arena *a, size_t n) {
  void *p = sl_arena_alloc(a, n ? n : 1);
  if (p == NULL) luaL_error(L, "not enough memory");
  memset(p, 0, n ? n : 1);
  return p;
}

/* core.seed_data(words) */
static int seed_data(lua_State *L) {
  seeddata *sd;
  int i;
  luaL_checktype(L, 1, LUA_TTABLE);
  sd = sl_lua_newudata(L, sizeof *sd);
  memset(sd, 0, sizeof *sd);
  luaL_setmetatable(L, SL_LUA_SEEDDATA);
  sd->arena = sl_arena_new();
  if (sd->arena == NULL) return luaL_error(L, "not enough memory");
  for (i = 0; i < SL_L__COUNT; i++) {
    size_t n, j;
    const char **items;
    size_t *lens;
    lua_getfield(L, 1, list_names[i]);
    if (!lua_istable(L, -1))
      return sl_lua_usage(L, "seed data: list %s is missing", list_names[i]);
    n = lua_rawlen(L, -1);
    items = alloc(L, sd->arena, n * sizeof *items);
    lens = alloc(L, sd->arena, n * sizeof *lens);
    for (j = 0; j < n; j++) {
      size_t len;
      const char *s;
      lua_rawgeti(L, -1, (int)j + 1);
      s = lua_tolstring(L, -1, &len);
      if (s == NULL)
        return sl_lua_usage(L, "seed data: %s[%d] is not a string",
                            list_names[i], (int)j + 1);
      items[j] = sl_arena_strndup(sd->arena, s, len);
      if (items[j] == NULL) return luaL_error(L, "not enough memory");
      lens[j] = len;
      lua_pop(L, 1);
    }
    sd->d.lists[i].items = items;
    sd->d.lists[i].lens = lens;
    sd->d.lists[i].n = n;
    lua_pop(L, 1);
  }
  return 1;
}

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer d) {
  lua_Integer v = d;
  lua_getfield(L, t, k);
  if (!lua_isnil(L, -1)) {
    if (!sl_lua_isinteger(L, -1))
      return sl_lua_usage(L, "seed: %s must be an integer", k);
    v = (lua_Integer)sl_lua_toint64(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static int opt_bool(lua_State *L, int t, const char *k) {
  int v;
  lua_getfield(L, t, k);
  v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

static int opt_enum(lua_State *L, int t, const char *k,
                    const char *const *names, int n, int d) {
  int i, v = d;
  lua_getfield(L, t, k);
  if (!lua_isnil(L, -1)) {
    const char *s = lua_tostring(L, -1);
    v = -1;
    for (i = 0; s != NULL && i < n && names[i] != NULL; i++)
      if (strcmp(names[i], s) == 0) v = i;
    if (v < 0) return sl_lua_usage(L, "seed: unknown %s %s", k, s ? s : "?");
  }
  lua_pop(L, 1);
  return v;
}

/* A plain value of a values list into *v (text copied into a). */
static void to_val(lua_State *L, int idx, sl_arena *a, sl_seed_val *v) {
  int t = lua_type(L, idx);
  memset(v, 0, sizeof *v);
  if (t == LUA_TBOOLEAN) {
    v->type = SL_SV_BOOL;
    v->i = lua_toboolean(L, idx);
  } else if (t == LUA_TNUMBER && sl_lua_isinteger(L, idx)) {
    v->type = SL_SV_INT;
    v->i = sl_lua_toint64(L, idx);
  } else if (t == LUA_TNUMBER) {
    v->type = SL_SV_FLOAT;
    v->f = (double)lua_tonumber(L, idx);
  } else if (t == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    v->type = SL_SV_TEXT;
    v->s = sl_arena_strndup(a, s, n);
    if (v->s == NULL) luaL_error(L, "not enough memory");
    v->n = n;
  } else if (t == LUA_TNIL || sl_lua_isnull(L, idx)) {
    v->type = SL_SV_NULL;
  } else
    sl_lua_usage(L,
                 "seed: values must be strings, numbers or booleans, "
                 "got a %s",
                 luaL_typename(L, idx));
}

/* Reads the generator spec at idx (absolute); keep is the user value table
** (parents are kept alive there). */
static sl_seed_gen *read_gen(lua_State *L, int idx, seedtable *st, int keep) {
  sl_seed_gen *g = alloc(L, st->arena, sizeof *g);
  size_t i, n;
  luaL_checkstack(L, 8, "seed spec too deep");
  g->kind = (sl_seed_kind)opt_enum(L, idx, "kind", kind_names, SL_G__COUNT, -1);
  if ((int)g->kind < 0) sl_lua_usage(L, "seed: generator kind missing");
  g->out = (sl_seed_out)opt_enum(L, idx, "out", out_names, 10, 0);
  g->unique = opt_bool(L, idx, "unique");
  g->min = (int64_t)opt_int(L, idx, "min", 0);
  g->max = (int64_t)opt_int(L, idx, "max", 0);
  g->decimals = (int)opt_int(L, idx, "decimals", 0);
  if (g->decimals < 0 || g->decimals > 15)
    sl_lua_usage(L, "seed: decimals must be in 0..15");
  g->maxlen = (size_t)opt_int(L, idx, "maxlen", 0);
  g->sentences = (int)opt_int(L, idx, "sentences", 1);
  g->nullable = opt_bool(L, idx, "nullable");
  g->pcol = (int)opt_int(L, idx, "pcol", 1) - 1;
  g->fkmode = (sl_seed_fkmode)opt_enum(L, idx, "fkmode", fk_names, 3, 0);
  lua_getfield(L, idx, "values");
  if (lua_istable(L, -1)) {
    sl_seed_val *vals;
    n = lua_rawlen(L, -1);
    vals = alloc(L, st->arena, n * sizeof *vals);
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, -1, (int)i + 1);
      to_val(L, lua_gettop(L), st->arena, &vals[i]);
      lua_pop(L, 1);
    }
    g->values = vals;
    g->nvalues = n;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "subs");
  if (lua_istable(L, -1)) {
    sl_seed_gen **subs;
    uint64_t *cumw, total = 0;
    int subs_idx = lua_gettop(L);
    n = lua_rawlen(L, subs_idx);
    if (n == 0) sl_lua_usage(L, "seed: weightedRandom needs choices");
    subs = alloc(L, st->arena, n * sizeof *subs);
    cumw = alloc(L, st->arena, n * sizeof *cumw);
    lua_getfield(L, idx, "weights");
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, subs_idx, (int)i + 1);
      subs[i] = read_gen(L, lua_gettop(L), st, keep);
      lua_pop(L, 1);
      lua_rawgeti(L, subs_idx + 1, (int)i + 1);
      total += (uint64_t)lua_tointeger(L, -1);
      cumw[i] = total;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (total == 0) sl_lua_usage(L, "seed: weights must not all be 0");
    g->subs = subs;
    g->cumw = cumw;
    g->nsubs = n;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "parent");
  if (!lua_isnil(L, -1)) {
    seedtable *p = luaL_checkudata(L, -1, SL_LUA_SEEDTABLE);
    g->parent = &p->t;
    if (g->pcol < 0 || g->pcol >= p->t.ncols)
      sl_lua_usage(L, "seed: parent column out of range");
    lua_pushvalue(L, -1);
    lua_rawseti(L, keep, (int)lua_rawlen(L, keep) + 1);
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "prefix");
  if (lua_istable(L, -1)) {
    uint64_t *prefix;
    n = lua_rawlen(L, -1);
    if (n < 1) sl_lua_usage(L, "seed: prefix must not be empty");
    prefix = alloc(L, st->arena, n * sizeof *prefix);
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, -1, (int)i + 1);
      prefix[i] = (uint64_t)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    g->prefix = prefix;
    g->nprefix = n - 1;
  }
  lua_pop(L, 1);
  if (g->kind == SL_G_FK && g->parent == NULL && g->fkmode == SL_FK_SELF)
    g->parent = &st->t; /* a self reference: this table's own rows */
  if (g->kind == SL_G_FK && g->parent == NULL)
    sl_lua_usage(L, "seed: a foreign key generator needs its parent");
  if (g->kind == SL_G_FK && g->fkmode == SL_FK_WITH && g->prefix == NULL)
    sl_lua_usage(L, "seed: a `with` foreign key needs its prefix");
  return g;
}

/* core.seed_table(data, spec) */
static int seed_table(lua_State *L) {
  seeddata *sd = luaL_checkudata(L, 1, SL_LUA_SEEDDATA);
  seedtable *st;
  const char *name;
  lua_Integer seed, count;
  int i, ncols, keep, bad = -1;
  sl_error err;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  st = sl_lua_newudata(L, sizeof *st); /* 3 */
  memset(st, 0, sizeof *st);
  sl_buf_init(&st->buf);
  luaL_setmetatable(L, SL_LUA_SEEDTABLE);
  lua_createtable(L, 4, 0); /* 4: keeps data and parents */
  lua_pushvalue(L, 1);
  lua_rawseti(L, 4, 1);
  lua_pushvalue(L, 4);
  sl_lua_setuv(L, 3);
  keep = 4;
  st->arena = sl_arena_new();
  if (st->arena == NULL) return luaL_error(L, "not enough memory");
  lua_getfield(L, 2, "name");
  name = lua_tostring(L, -1);
  if (name == NULL) return sl_lua_usage(L, "seed: table name missing");
  lua_pop(L, 1);
  seed = opt_int(L, 2, "seed", 0);
  count = opt_int(L, 2, "count", 0);
  if (count < 0) return sl_lua_usage(L, "seed: count must not be negative");
  st->t.count = (uint64_t)count;
  st->t.data = &sd->d;
  st->t.ngroups = (int)opt_int(L, 2, "ngroups", 0);
  if (st->t.ngroups < 0 || st->t.ngroups > 64)
    return sl_lua_usage(L, "seed: ngroups out of range");
  st->t.groups =
      alloc(L, st->arena, (size_t)st->t.ngroups * sizeof *st->t.groups);
  for (i = 0; i < st->t.ngroups; i++) {
    char gname[32];
    snprintf(gname, sizeof gname, "\001group%d", i);
    st->t.groups[i].key = sl_seed_key((int64_t)seed, name, gname);
  }
  lua_getfield(L, 2, "columns"); /* 5 */
  luaL_checktype(L, 5, LUA_TTABLE);
  ncols = (int)lua_rawlen(L, 5);
  st->t.cols = alloc(L, st->arena, (size_t)ncols * sizeof *st->t.cols);
  for (i = 0; i < ncols; i++) {
    sl_seed_col *c = &st->t.cols[i];
    const char *key;
    lua_rawgeti(L, 5, i + 1); /* 6 */
    luaL_checktype(L, 6, LUA_TTABLE);
    lua_getfield(L, 6, "key");
    key = lua_tostring(L, -1);
    if (key == NULL) return sl_lua_usage(L, "seed: column key missing");
    c->key = sl_seed_key((int64_t)seed, name, key);
    lua_pop(L, 1);
    c->group = (int)opt_int(L, 6, "group", 0) - 1;
    if (c->group >= st->t.ngroups)
      return sl_lua_usage(L, "seed: column group out of range");
    lua_getfield(L, 6, "gen");
    if (lua_istable(L, -1)) c->gen = read_gen(L, lua_gettop(L), st, keep);
    lua_pop(L, 2);
    st->t.ncols = i + 1;
  }
  lua_pop(L, 1);
  sl_error_clear(&err);
  if (sl_seed_prepare(&st->t, &bad, &err) != SL_OK) {
    lua_pushnil(L);
    lua_pushstring(L, err.message);
    lua_pushinteger(L, bad + 1);
    return 3;
  }
  lua_settop(L, 3);
  return 1;
}

/* Pushes v. */
static int push_val(lua_State *L, const sl_seed_val *v, const sl_seed_table *t,
                    int nullvalue) {
  sl_error err;
  switch (v->type) {
  case SL_SV_INT:
    sl_lua_pushint64(L, v->i);
    break;
  case SL_SV_FLOAT:
    lua_pushnumber(L, (lua_Number)v->f);
    break;
  case SL_SV_BOOL:
    lua_pushboolean(L, v->i != 0);
    break;
  case SL_SV_TEXT:
    lua_pushlstring(L, v->s, v->n);
    break;
  case SL_SV_JSON:
    sl_error_clear(&err);
    if (sl_lua_json_decode(L, v->s, v->n, &err) != SL_OK) {
      lua_pushlstring(L, v->s, v->n);
    }
    break;
  default:
    if (nullvalue)
      sl_lua_pushnull(L);
    else
      lua_pushnil(L);
  }
  (void)t;
  return 1;
}

static seedtable *check_table(lua_State *L) {
  seedtable *st = luaL_checkudata(L, 1, SL_LUA_SEEDTABLE);
  if (st->arena == NULL) sl_lua_usage(L, "seed: the table plan is closed");
  return st;
}

/* tbl:fill(list, from, n [, cols]) */
static int table_fill(lua_State *L) {
  seedtable *st = check_table(L);
  lua_Integer from = luaL_checkinteger(L, 3), n = luaL_checkinteger(L, 4);
  lua_Integer r, out = 1;
  int ncols = 0, i, *cols, stackcols[64];
  luaL_checktype(L, 2, LUA_TTABLE);
  if (from < 0 || n < 0 || (uint64_t)(from + n) > st->t.count)
    return sl_lua_usage(L, "seed: rows %lld..%lld out of range",
                        (long long)from, (long long)(from + n));
  cols = stackcols;
  if (lua_istable(L, 5)) {
    ncols = (int)lua_rawlen(L, 5);
    if (ncols > 64) return sl_lua_usage(L, "seed: at most 64 columns");
    for (i = 0; i < ncols; i++) {
      lua_rawgeti(L, 5, i + 1);
      cols[i] = (int)lua_tointeger(L, -1) - 1;
      lua_pop(L, 1);
      if (cols[i] < 0 || cols[i] >= st->t.ncols)
        return sl_lua_usage(L, "seed: column %d out of range", cols[i] + 1);
    }
  } else {
    for (i = 0; i < st->t.ncols && ncols < 64; i++)
      if (st->t.cols[i].gen != NULL) cols[ncols++] = i;
  }
  for (r = from; r < from + n; r++) {
    for (i = 0; i < ncols; i++) {
      sl_seed_val v;
      sl_buf_reset(&st->buf);
      sl_seed_value(&st->t, cols[i], (uint64_t)r, &st->buf, &v);
      if (st->buf.oom) return luaL_error(L, "not enough memory");
      push_val(L, &v, &st->t, 1);
      lua_rawseti(L, 2, (int)out++);
    }
  }
  lua_pushinteger(L, out - 1);
  return 1;
}

/* tbl:value(col, row) */
static int table_value(lua_State *L) {
  seedtable *st = check_table(L);
  lua_Integer col = luaL_checkinteger(L, 2), row = luaL_checkinteger(L, 3);
  sl_seed_val v;
  if (col < 1 || col > st->t.ncols || row < 0 || (uint64_t)row >= st->t.count)
    return sl_lua_usage(L, "seed: value out of range");
  sl_buf_reset(&st->buf);
  sl_seed_value(&st->t, (int)col - 1, (uint64_t)row, &st->buf, &v);
  if (st->buf.oom) return luaL_error(L, "not enough memory");
  return push_val(L, &v, &st->t, 0);
}

static int table_count(lua_State *L) {
  seedtable *st = check_table(L);
  lua_pushinteger(L, (lua_Integer)st->t.count);
  return 1;
}

/* core.seed_instant(text) */
static int seed_instant(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int64_t secs;
  if (!sl_seed_parse_instant(s, n, &secs)) return 0;
  sl_lua_pushint64(L, secs);
  return 1;
}

/* core.seed_checksum(text [, prev]) */
static int seed_checksum(lua_State *L) {
  size_t n, pn;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *prev = luaL_optlstring(L, 2, NULL, &pn);
  uint64_t h = 0xcbf29ce484222325ULL;
  char hex[17];
  int i;
  if (prev != NULL) {
    h = 0;
    for (i = 0; i < 16 && (size_t)i < pn; i++) {
      char c = prev[i];
      h = h * 16 + (uint64_t)(c >= 'a' ? c - 'a' + 10 : c - '0');
    }
  }
  h = sl_seed_fnv(h, s, n);
  for (i = 15; i >= 0; i--) {
    hex[i] = "0123456789abcdef"[h & 15];
    h >>= 4;
  }
  hex[16] = '\0';
  lua_pushstring(L, hex);
  return 1;
}

/* core.seed_clock(): wall time for progress and summaries (os.clock
** counts this process's CPU time only, not the server's). */
static int seed_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

void sl_lua_open_seed(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"seed_data", seed_data},       {"seed_table", seed_table},
      {"seed_instant", seed_instant}, {"seed_checksum", seed_checksum},
      {"seed_clock", seed_clock},     {NULL, NULL}};
  static const luaL_Reg data_meta[] = {{"__gc", data_gc}, {NULL, NULL}};
  static const luaL_Reg table_meta[] = {{"__gc", table_gc}, {NULL, NULL}};
  static const luaL_Reg table_methods[] = {{"fill", table_fill},
                                           {"value", table_value},
                                           {"count", table_count},
                                           {NULL, NULL}};
  sl_lua_newmeta(L, SL_LUA_SEEDDATA, NULL, data_meta, NULL);
  sl_lua_newmeta(L, SL_LUA_SEEDTABLE, NULL, table_meta, table_methods);
  luaL_setfuncs(L, funcs, 0);
}
