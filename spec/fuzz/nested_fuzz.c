/*
** nested_fuzz.c — libFuzzer target of the nested-row JSON decoder
** (sl_lua_nested, ext/lua_nested.c, and the cell codecs of lua_codec.c it
** decodes values with), in a plain Lua 5.4 state.
**
** Input: a header of HEADER bytes, then the cell's bytes (JSON text).
** The header describes the result shape and the cell, the way the binding
** builds them from a relational query:
**   byte 0     the dialect (% 3: sqlite, postgresql, mysql)
**   byte 1     the cell's type (% 8: 0 NULL, 1 an integer, 2 a blob,
**              otherwise text); bit 3: every field's codec is an array
**              of its codec (PostgreSQL arrays, their text in a JSON
**              string)
**   bytes 2..  the shape, depth first: a byte for the relation (bit 0:
**              many; bits 1-2: the number of fields, 0-3), then for each
**              field a byte (bit 7, above the top level and up to depth
**              3: a nested relation, described next; else bits 0-3: the
**              codec, bit 4: single precision; bits 5-6: one of four
**              keys, so that keys repeat)
** Bytes the header lacks read as zero.
**
** A decode must push exactly one value (SL_OK: a table for a many relation,
** a table or nil for a one relation) or nothing with a validation message
** (SL_ERROR); anything else stops the fuzzer.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "fuzz.h"
#include "lua_sleet.h"

#define HEADER 24
#define MAX_SHAPE_DEPTH 3

typedef struct shapes {
  fz_reader z;
  int next_key; /* the key table's next free slot */
  lua_State *L;
  int ktable;
  int arrays; /* SL_C_ARRAY or 0, or'ed into every codec */
} shapes;

static void *alloc0(size_t n) {
  void *p = calloc(1, n == 0 ? 1 : n);
  if (p == NULL) abort();
  return p;
}

static void free_shape(sl_shape *s) {
  int i;
  if (s == NULL) return;
  for (i = 0; i < s->n; i++)
    free_shape(s->sub[i]);
  free(s->keys);
  free(s->codecs);
  free(s->sub);
  free(s->single);
  free(s);
}

/* A shape read from the header; its keys are interned into the key
** table as the binding does (core.compile's intern_shape). */
static sl_shape *shape(shapes *sh, int depth) {
  static const char *const keys[] = {"id", "name", "posts", "id"};
  sl_shape *s = alloc0(sizeof *s);
  unsigned rel = fz_byte(&sh->z);
  int i;
  s->many = (int)(rel & 1u);
  s->n = (int)((rel >> 1) & 3u);
  s->keys = alloc0((size_t)s->n * sizeof *s->keys);
  s->codecs = alloc0((size_t)s->n * sizeof *s->codecs);
  s->sub = alloc0((size_t)s->n * sizeof *s->sub);
  s->single = alloc0((size_t)s->n);
  s->key_base = sh->next_key;
  for (i = 0; i < s->n; i++) {
    unsigned f = fz_byte(&sh->z);
    s->keys[i] = keys[(f >> 5) & 3u];
    lua_pushstring(sh->L, s->keys[i]);
    lua_rawseti(sh->L, sh->ktable, sh->next_key++);
    if ((f & 0x80u) && depth < MAX_SHAPE_DEPTH) {
      s->sub[i] = shape(sh, depth + 1);
    } else {
      s->codecs[i] =
          (sl_codec)((int)((f & 15u) % (unsigned)SL_C__COUNT) | sh->arrays);
      s->single[i] = (unsigned char)((f >> 4) & 1u);
    }
  }
  return s;
}

typedef struct call {
  const sl_value *v;
  const sl_shape *s;
  const sl_dialect *d;
  sl_error *err;
  int rc;
} call;

/* Runs the decode in protected mode (it raises on memory errors only):
** decode(call, keytable). */
static int decode(lua_State *L) {
  call *c = lua_touserdata(L, 1);
  int top = lua_gettop(L);
  c->rc = sl_lua_nested(L, c->v, c->s, 2, c->d, c->err);
  if (c->rc == SL_OK) {
    int t;
    if (lua_gettop(L) != top + 1) {
      fprintf(stderr, "sl_lua_nested: %d values pushed\n", lua_gettop(L) - top);
      abort();
    }
    t = lua_type(L, -1);
    if (!(t == LUA_TTABLE || (t == LUA_TNIL && !c->s->many))) {
      fprintf(stderr, "sl_lua_nested: pushed a %s\n", lua_typename(L, t));
      abort();
    }
  } else if (c->rc != SL_ERROR || lua_gettop(L) != top ||
             c->err->kind != SL_EK_VALIDATION || c->err->message[0] == 0) {
    fprintf(stderr,
            "sl_lua_nested: failure (rc %d) without a message or "
            "with values left on the stack\n",
            c->rc);
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const sl_dialect *const dialects[] = {
      &sl_dialect_sqlite, &sl_dialect_postgresql, &sl_dialect_mysql};
  lua_State *L;
  shapes sh;
  sl_shape *s;
  sl_value v;
  sl_error err;
  call c;
  size_t hsize = size < HEADER ? size : HEADER;
  unsigned type;
  L = luaL_newstate();
  if (L == NULL) return 0;
  lua_newtable(L);
  memset(&sh, 0, sizeof sh);
  fz_init(&sh.z, data, hsize);
  sh.L = L;
  sh.ktable = lua_gettop(L);
  sh.next_key = 1;
  c.d = dialects[fz_pick(&sh.z, 3)];
  type = fz_byte(&sh.z);
  sh.arrays = (type & 8u) ? SL_C_ARRAY : 0;
  type %= 8u;
  s = shape(&sh, 0);
  memset(&v, 0, sizeof v);
  if (type == 0) {
    v.type = SL_V_NULL;
  } else if (type == 1) {
    v.type = SL_V_INT;
    v.u.i = 42;
  } else {
    v.type = type == 2 ? SL_V_BLOB : SL_V_TEXT;
    v.u.s.p = (const char *)data + hsize;
    v.u.s.n = size - hsize;
  }
  sl_error_clear(&err);
  c.v = &v;
  c.s = s;
  c.err = &err;
  c.rc = -1;
  lua_pushcfunction(L, decode);
  lua_pushlightuserdata(L, &c);
  lua_pushvalue(L, sh.ktable);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    /* only a memory error may raise */
    fprintf(stderr, "sl_lua_nested raised: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_close(L);
  free_shape(s);
  return 0;
}
