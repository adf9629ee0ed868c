/*
** clock.c — the benchmark's clock for Lua: require "benchclock".
**
** Lua has no sub-second wall clock (os.clock is process CPU time, which
** leaves out the time spent waiting for a server). benchclock.now() reads
** CLOCK_MONOTONIC, the clock bench/raw.c uses, so both sides of a ratio
** are measured alike.
**
** toggle_collect() switches callgrind's event collection on or off, so that
** a profile (bench/profile.sh, valgrind --collect-atstart=no) counts only
** the loop being profiled; outside valgrind it does nothing.
**
** floor_prepare(n) and floor_rows(keys) measure the floor of a scan
** (bench/floor.lua): the rows 1..n of bench/common.lua's table built as Lua
** tables through the Lua C API from values already in C memory, the way a
** binding builds them, with no database at all.
*/
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include <lauxlib.h>
#include <lua.h>

int luaopen_benchclock(lua_State *L);

/* now() -> integer nanoseconds since an arbitrary fixed point. */
static int clock_now(lua_State *L) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return luaL_error(L, "clock_gettime(CLOCK_MONOTONIC) failed");
  lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 +
                         (lua_Integer)ts.tv_nsec);
  return 1;
}

/* toggle_collect(): starts or stops callgrind's collection of events. */
static int clock_toggle_collect(lua_State *L) {
  (void)L;
  CALLGRIND_TOGGLE_COLLECT;
  return 0;
}

/* The text cells of row i (bench/common.lua's name(i) and email(i)). */
typedef struct FloorRow {
  char name[32];
  char email[48];
  size_t name_len, email_len;
} FloorRow;

static FloorRow *floor_data;
static lua_Integer floor_n;

/* floor_prepare(n): formats the text of rows 1..n once, untimed. */
static int clock_floor_prepare(lua_State *L) {
  lua_Integer i, n = luaL_checkinteger(L, 1);
  FloorRow *d;
  luaL_argcheck(L, n > 0 && n < 100000000, 1, "row count out of range");
  d = calloc((size_t)n, sizeof *d);
  if (d == NULL) return luaL_error(L, "not enough memory");
  for (i = 0; i < n; i++) {
    int a = snprintf(d[i].name, sizeof d[i].name, "user%lld", (long long)i + 1);
    int b = snprintf(d[i].email, sizeof d[i].email, "user%lld@example.org",
                     (long long)i + 1);
    d[i].name_len = (size_t)a;
    d[i].email_len = (size_t)b;
  }
  free(floor_data);
  floor_data = d;
  floor_n = n;
  return 0;
}

/* floor_rows(keys) -> the list of rows 1..n, each { id, name, email, age,
** score } keyed by keys[1..5]: one table per row sized for its keys, the
** keys pushed from keys (interned once), the two strings made anew. */
static int clock_floor_rows(lua_State *L) {
  lua_Integer i;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_newtable(L);
  for (i = 0; i < floor_n; i++) {
    const FloorRow *d = &floor_data[i];
    lua_Integer id = i + 1;
    lua_createtable(L, 0, 5);
    lua_rawgeti(L, 1, 1);
    lua_pushinteger(L, id);
    lua_rawset(L, -3);
    lua_rawgeti(L, 1, 2);
    lua_pushlstring(L, d->name, d->name_len);
    lua_rawset(L, -3);
    lua_rawgeti(L, 1, 3);
    lua_pushlstring(L, d->email, d->email_len);
    lua_rawset(L, -3);
    lua_rawgeti(L, 1, 4);
    lua_pushinteger(L, id % 90 + 10);
    lua_rawset(L, -3);
    lua_rawgeti(L, 1, 5);
    lua_pushnumber(L, (lua_Number)id * 0.25);
    lua_rawset(L, -3);
    lua_rawseti(L, 2, (int)id); /* int: Lua 5.1 (LuaJIT) takes one */
  }
  return 1;
}

/* The module table: { now, toggle_collect, floor_prepare, floor_rows }. */
int luaopen_benchclock(lua_State *L) {
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, clock_floor_prepare);
  lua_setfield(L, -2, "floor_prepare");
  lua_pushcfunction(L, clock_floor_rows);
  lua_setfield(L, -2, "floor_rows");
  lua_pushcfunction(L, clock_now);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, clock_toggle_collect);
  lua_setfield(L, -2, "toggle_collect");
  return 1;
}
