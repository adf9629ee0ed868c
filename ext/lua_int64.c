/*
** lua_int64.c — exact 64-bit integers on LuaJIT.
**
** LuaJIT has one number type, a double, exact up to 2^53. Its FFI has
** int64_t and uint64_t cdata (9007199254740993LL), which the C API cannot
** make or read by itself: a small Lua chunk using the ffi module does it,
** kept in the registry at the module's opening. The rules (API.md):
**   - a count or id the binding pushes (sl_lua_pushint64) is a number
**     within +-2^53 and int64 cdata beyond, never a rounded number;
**   - the integer codec ("int", mode = "number") refuses a cell beyond
**     +-2^53 naming its column, and a number beyond 2^53 given to it;
**   - the "bigint" codec (mode = "bigint") reads every cell as int64 (or
**     uint64 above 2^63-1) cdata and takes cdata and numbers.
** On Lua 5.3+ integers are exact and this file compiles to nothing.
*/
#include "lua_sleet.h"

#if !SL_LUA_INT64

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The registry key of the table { make = fn, parts = fn }. */
static const char int64_key = 0;

/* make(hi, lo, unsigned): the cdata of the 64 bits hi * 2^32 + lo (hi
** signed unless unsigned). parts(v): "i" or "u" and the digits of an
** int64 / uint64 cdata, nil for anything else. */
static const char int64_chunk[] =
    "local ok, ffi = pcall(require, 'ffi')\n"
    "if not ok then return { make = function()\n"
    "  error('an integer beyond 2^53 needs LuaJIT (int64 cdata) or Lua 5.3+', "
    "0)\n"
    "end, parts = function() end } end\n"
    "local int64, uint64 = ffi.typeof('int64_t'), ffi.typeof('uint64_t')\n"
    "local istype, tostring = ffi.istype, tostring\n"
    "local function make(hi, lo, u)\n"
    "  return (u and uint64 or int64)(hi) * 4294967296 + lo\n"
    "end\n"
    "local function parts(v)\n"
    "  if istype(int64, v) then return 'i', (tostring(v):gsub('LL$', '')) end\n"
    "  if istype(uint64, v) then return 'u', (tostring(v):gsub('ULL$', '')) "
    "end\n"
    "end\n"
    "return { make = make, parts = parts }\n";

void sl_lua_open_int64(lua_State *L) {
  if (luaL_loadbuffer(L, int64_chunk, sizeof int64_chunk - 1, "=sleet.int64") !=
      0)
    lua_error(L);
  lua_call(L, 0, 1);
  sl_lua_setregp(L, &int64_key);
}

static void push_helper(lua_State *L, const char *name) {
  sl_lua_getregp(L, &int64_key);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
}

void sl_lua_pushcdata64(lua_State *L, uint64_t bits, int is_unsigned) {
  uint32_t hi = (uint32_t)(bits >> 32), lo = (uint32_t)bits;
  push_helper(L, "make");
  lua_pushnumber(L, is_unsigned ? (lua_Number)hi : (lua_Number)(int32_t)hi);
  lua_pushnumber(L, (lua_Number)lo);
  lua_pushboolean(L, is_unsigned);
  lua_call(L, 3, 1);
}

void sl_lua_pushint64(lua_State *L, int64_t v) {
  if (v >= -SL_LUA_EXACT && v <= SL_LUA_EXACT)
    lua_pushnumber(L, (lua_Number)v);
  else
    sl_lua_pushcdata64(L, (uint64_t)v, 0);
}

int sl_lua_tocdata64(lua_State *L, int idx, uint64_t *out) {
  const char *kind, *digits;
  char *end;
  int r = 0;
  if (lua_type(L, idx) != SL_LUA_TCDATA) return 0;
  idx = lua_absindex(L, idx);
  push_helper(L, "parts");
  lua_pushvalue(L, idx);
  lua_call(L, 1, 2);
  kind = lua_tostring(L, -2);
  digits = lua_tostring(L, -1);
  if (kind != NULL && digits != NULL) {
    errno = 0;
    if (kind[0] == 'u') {
      *out = (uint64_t)strtoull(digits, &end, 10);
      r = 2;
    } else {
      *out = (uint64_t)strtoll(digits, &end, 10);
      r = 1;
    }
    if (errno != 0 || *end != '\0') r = 0;
  }
  lua_pop(L, 2);
  return r;
}

int sl_lua_isinteger(lua_State *L, int i) {
  uint64_t bits;
  lua_Number n;
  int kind;
  if (lua_type(L, i) == LUA_TNUMBER) {
    n = lua_tonumber(L, i);
    /* NaN fails the comparisons */
    return n >= -(lua_Number)SL_LUA_EXACT && n <= (lua_Number)SL_LUA_EXACT &&
           (lua_Number)(int64_t)n == n;
  }
  kind = sl_lua_tocdata64(L, i, &bits);
  return kind == 1 || (kind == 2 && bits <= (uint64_t)INT64_MAX);
}

int64_t sl_lua_toint64(lua_State *L, int i) {
  uint64_t bits;
  if (lua_type(L, i) == LUA_TNUMBER) return (int64_t)lua_tonumber(L, i);
  if (sl_lua_tocdata64(L, i, &bits)) return (int64_t)bits;
  return 0;
}

#else

void sl_lua_open_int64(lua_State *L) {
  (void)L;
}

#endif
