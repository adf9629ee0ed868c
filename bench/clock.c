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
*/
#define _POSIX_C_SOURCE 200809L

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

/* The module table: { now = function, toggle_collect = function }. */
int luaopen_benchclock(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, clock_now);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, clock_toggle_collect);
  lua_setfield(L, -2, "toggle_collect");
  return 1;
}
