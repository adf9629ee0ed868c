/*
** lua_compat.h — the one place where Lua 5.1 (LuaJIT 2.x), 5.2, 5.3 and 5.4
** C API differences are bridged. Binding files include this (through
** lua_sleet.h) instead of lua.h and write 5.4-style code plus the sl_lua_*
** helpers below.
**
** User values: every sleet userdata has exactly one user value, and it is
** always a table (Lua 5.1 stores it as the userdata's environment, which must
** be a table). Create with sl_lua_newudata, then sl_lua_setuv / sl_lua_getuv.
**
** 64-bit integers: Lua 5.3+ has a 64-bit lua_Integer subtype. LuaJIT only
** has lua_Number (a double, exact up to 2^53) and its FFI's int64 cdata:
** ext/lua_int64.c gives the rules there (never a silently rounded
** integer).
*/
#ifndef LUA_COMPAT_H
#define LUA_COMPAT_H

#include <stdint.h>

#include <lua.h>
#include <lauxlib.h>

#ifndef LUA_OK
#define LUA_OK 0
#endif

/* The modules' entry points: the only symbols a module exports (the build
** hides every other one, -fvisibility=hidden). */
#if defined(__GNUC__)
#define SL_EXPORT __attribute__((visibility("default")))
#else
#define SL_EXPORT
#endif

/* {====================================================================
** Lua 5.1 / LuaJIT
** ===================================================================== */
#if LUA_VERSION_NUM < 502

#define lua_rawlen(L, i) lua_objlen((L), (i))

#ifndef lua_absindex
#define lua_absindex(L, i) \
  ((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#endif

/* LuaJIT 2.1 ships luaL_setfuncs, luaL_testudata, luaL_setmetatable and the
** luaL_newlib macros; plain Lua 5.1 and LuaJIT 2.0 do not. */
#ifndef luaL_newlibtable
static inline void sl_compat_setfuncs(lua_State *L, const luaL_Reg *l,
                                      int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++)
      lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#define luaL_setfuncs(L, l, n) sl_compat_setfuncs((L), (l), (n))

static inline void *sl_compat_testudata(lua_State *L, int i,
                                        const char *tname) {
  void *p = lua_touserdata(L, i);
  if (p == NULL || !lua_getmetatable(L, i)) return NULL;
  luaL_getmetatable(L, tname);
  if (!lua_rawequal(L, -1, -2)) p = NULL;
  lua_pop(L, 2);
  return p;
}
#define luaL_testudata(L, i, t) sl_compat_testudata((L), (i), (t))

#define luaL_setmetatable(L, t) \
  (luaL_getmetatable((L), (t)), lua_setmetatable((L), -2))
#define luaL_newlibtable(L, l) \
  lua_createtable((L), 0, (int)(sizeof(l) / sizeof((l)[0]) - 1))
#define luaL_newlib(L, l) \
  (luaL_newlibtable((L), (l)), luaL_setfuncs((L), (l), 0))
#endif /* luaL_newlibtable */

/* lua_tointegerx (5.2+; LuaJIT 2.1 has it, plain Lua 5.1 does not). */
static inline lua_Integer sl_compat_tointegerx(lua_State *L, int i,
                                               int *isnum) {
  int ok = lua_type(L, i) == LUA_TNUMBER;
  if (isnum != NULL) *isnum = ok;
  return ok ? lua_tointeger(L, i) : 0;
}
#define lua_tointegerx(L, i, n) sl_compat_tointegerx((L), (i), (n))

/* luaL_tolstring (5.2+): honours __tostring, pushes the string. */
static inline const char *sl_compat_tolstring(lua_State *L, int i,
                                              size_t *len) {
  i = lua_absindex(L, i);
  if (luaL_callmeta(L, i, "__tostring")) {
    if (!lua_isstring(L, -1))
      luaL_error(L, "'__tostring' must return a string");
  } else {
    switch (lua_type(L, i)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      lua_pushvalue(L, i);
      break;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, i) ? "true" : "false");
      break;
    case LUA_TNIL:
      lua_pushliteral(L, "nil");
      break;
    default:
      lua_pushfstring(L, "%s: %p", luaL_typename(L, i), lua_topointer(L, i));
      break;
    }
  }
  return lua_tolstring(L, -1, len);
}
#define luaL_tolstring(L, i, n) sl_compat_tolstring((L), (i), (n))

#define sl_lua_newudata(L, size) lua_newuserdata((L), (size))
/* Pops a table and makes it the user value of the userdata at idx. */
#define sl_lua_setuv(L, idx) ((void)lua_setfenv((L), (idx)))
/* Pushes the user value of the userdata at idx. */
#define sl_lua_getuv(L, idx) lua_getfenv((L), (idx))

/* }==================================================================== */

/* {====================================================================
** Lua 5.2 / 5.3
** ===================================================================== */
#elif LUA_VERSION_NUM < 504

#define sl_lua_newudata(L, size) lua_newuserdata((L), (size))
#define sl_lua_setuv(L, idx) lua_setuservalue((L), (idx))
#define sl_lua_getuv(L, idx) ((void)lua_getuservalue((L), (idx)))

/* }==================================================================== */

/* {====================================================================
** Lua 5.4
** ===================================================================== */
#else

#define sl_lua_newudata(L, size) lua_newuserdatauv((L), (size), 1)
#define sl_lua_setuv(L, idx) ((void)lua_setiuservalue((L), (idx), 1))
#define sl_lua_getuv(L, idx) ((void)lua_getiuservalue((L), (idx), 1))

#endif

/* Calls the function below its n arguments with every result kept and
** returns the stack top: from a C function whose results are those, a
** function that may yield (a coroutine-based server's logger), since Lua
** 5.3 continues with those results after a yield. */
#if LUA_VERSION_NUM >= 503
static inline int sl_compat_all_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  return lua_gettop(L);
}
#define sl_lua_call_all(L, n) \
  (lua_callk((L), (n), LUA_MULTRET, 0, sl_compat_all_k), lua_gettop(L))
#else
#define sl_lua_call_all(L, n) (lua_call((L), (n), LUA_MULTRET), lua_gettop(L))
#endif

/* registry[p] for a light userdata key p: pushes it / pops the value on
** top into it. */
#if LUA_VERSION_NUM < 502
#define sl_lua_getregp(L, p) \
  (lua_pushlightuserdata((L), (void *)(p)), lua_rawget((L), LUA_REGISTRYINDEX))
#define sl_lua_setregp(L, p) \
  (lua_pushlightuserdata((L), (void *)(p)), lua_insert((L), -2), \
   lua_rawset((L), LUA_REGISTRYINDEX))
#else
#define sl_lua_getregp(L, p) ((void)lua_rawgetp((L), LUA_REGISTRYINDEX, (p)))
#define sl_lua_setregp(L, p) lua_rawsetp((L), LUA_REGISTRYINDEX, (p))
#endif
/* }==================================================================== */

/* {====================================================================
** 64-bit integers
** ===================================================================== */
#if LUA_VERSION_NUM >= 503

#define SL_LUA_INT64 1 /* integers round-trip exactly */
#define sl_lua_isinteger(L, i) lua_isinteger((L), (i))
#define sl_lua_pushint64(L, v) lua_pushinteger((L), (lua_Integer)(v))
#define sl_lua_toint64(L, i) ((int64_t)lua_tointeger((L), (i)))

#else

#define SL_LUA_INT64 0 /* numbers are doubles: exact up to 2^53 */
/* 2^53: the largest magnitude up to which every integer is a double */
#define SL_LUA_EXACT 9007199254740992LL
/* lua_type of a cdata (LuaJIT's FFI objects) */
#define SL_LUA_TCDATA 10

/* ext/lua_int64.c: int64/uint64 cdata through LuaJIT's ffi module. */
/* Pushes v: a number within +-2^53, else int64 cdata (never rounded). */
void sl_lua_pushint64(lua_State *L, int64_t v);
/* Pushes 64 bits as int64 cdata, or uint64 when is_unsigned. */
void sl_lua_pushcdata64(lua_State *L, uint64_t bits, int is_unsigned);
/* 1 for an int64 cdata at idx, 2 for a uint64 one, with its bits in *out;
** 0 for any other value. */
int sl_lua_tocdata64(lua_State *L, int idx, uint64_t *out);
/* A number with an integral value within +-2^53 (beyond, the number may
** already be rounded), or an int64 cdata, or a uint64 one up to 2^63-1. */
int sl_lua_isinteger(lua_State *L, int i);
/* The value of what sl_lua_isinteger accepts. */
int64_t sl_lua_toint64(lua_State *L, int i);

#endif
/* }==================================================================== */

#endif
