/*
** host.c — a C program embedding Lua 5.4 and sleet, as a game server does.
**
** The server owns the Lua state. Lua code (game.lua, beside this file)
** defines the schema, connects to SQLite, seeds a table and prepares the
** queries a frame needs; the C side calls into it every frame and gets
** rows back through a C callback, then reports the latency of a prepared
** point select per call (p50, p99, max).
**
**   host LUA_DIR CPATH_DIR [FRAMES]
**
** LUA_DIR holds the sleet Lua modules (lua/ of the checkout), CPATH_DIR
** the C module sleet/core.so (build/ after `make`); game.lua is found in
** examples/host/ (run from the checkout). Exits 1 on any failure, printing
** the error (a sleet error prints through __tostring). Built with
** -DSLEET_STATIC and linked with libsleet.a, it loads sleet's C modules
** from package.preload instead (`make host-static`).
*/
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifdef SLEET_STATIC
/* Linked with libsleet.a (`make host-static`): sleet's C modules are in
** the program, so require finds them in package.preload, not on disk. */
int luaopen_sleet_core(lua_State *L);
int luaopen_sleet_driver_postgresql(lua_State *L);
int luaopen_sleet_driver_mysql(lua_State *L);

static void preload_sleet(lua_State *L) {
  static const luaL_Reg modules[] = {
      {"sleet.core", luaopen_sleet_core},
      {"sleet.driver.postgresql", luaopen_sleet_driver_postgresql},
      {"sleet.driver.mysql", luaopen_sleet_driver_mysql},
      {NULL, NULL}};
  const luaL_Reg *m;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (m = modules; m->name != NULL; m++) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 1);
}
#endif

/* What the C side learns from the rows handed to it. */
typedef struct world {
  long rows;     /* rows seen by on_player */
  long score;    /* sum of their scores */
  int bad_names; /* rows whose name is not "player<id>" */
} world;

/* on_player(id, name, score): called by game.lua for each row. */
static int on_player(lua_State *L) {
  world *w = lua_touserdata(L, lua_upvalueindex(1));
  lua_Integer id = luaL_checkinteger(L, 1);
  const char *name = luaL_checkstring(L, 2);
  lua_Integer score = luaL_checkinteger(L, 3);
  char want[32];
  snprintf(want, sizeof want, "player%lld", (long long)id);
  if (strcmp(name, want) != 0) w->bad_names++;
  w->rows++;
  w->score += (long)score;
  return 0;
}

/* Prints the error on top of the stack (any value: luaL_tolstring calls a
** sleet error's __tostring) and pops it. */
static void report(lua_State *L, const char *what) {
  fprintf(stderr, "host: %s: %s\n", what, luaL_tolstring(L, -1, NULL));
  lua_pop(L, 2);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Calls game[name](args...) with nargs arguments already pushed after the
** function; nres results. Returns 0 on success. */
static int call(lua_State *L, int game, const char *name, int nargs, int nres) {
  lua_getfield(L, game, name);
  lua_insert(L, -(nargs + 1));
  if (lua_pcall(L, nargs, nres, 0) != LUA_OK) {
    report(L, name);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *luadir = argc > 1 ? argv[1] : "lua";
  const char *cdir = argc > 2 ? argv[2] : "build";
  long frames = argc > 3 ? strtol(argv[3], NULL, 10) : 20000;
  lua_State *L;
  world w = {0, 0, 0};
  double *lat;
  long i, players = 1000;
  int game, rc = 1;

  if (frames <= 0) frames = 20000;
  lat = malloc((size_t)frames * sizeof *lat);
  L = luaL_newstate();
  if (lat == NULL || L == NULL) {
    fprintf(stderr, "host: out of memory\n");
    return 1;
  }
  luaL_openlibs(L);
#ifdef SLEET_STATIC
  preload_sleet(L);
#endif

  /* package.path / cpath: sleet's Lua modules and its C module */
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;examples/host/?.lua", luadir,
                  luadir);
  lua_setfield(L, -2, "path");
  lua_pushfstring(L, "%s/?.so", cdir);
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);

  lua_getglobal(L, "require");
  lua_pushliteral(L, "game");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    report(L, "require game");
    goto done;
  }
  game = lua_gettop(L);

  /* start: schema, connection, seed rows, prepared statements */
  lua_pushinteger(L, players);
  if (call(L, game, "start", 1, 0)) goto done;

  /* rows handed to C: every player through on_player */
  lua_pushlightuserdata(L, &w);
  lua_pushcclosure(L, on_player, 1);
  if (call(L, game, "each_player", 1, 0)) goto done;
  if (w.rows != players || w.bad_names != 0) {
    fprintf(stderr, "host: %ld rows handed to C, %d with a wrong name\n",
            w.rows, w.bad_names);
    goto done;
  }

  /* the frame loop: one prepared point select per frame */
  for (i = 0; i < frames; i++) {
    double t0;
    lua_Integer id = (lua_Integer)(i % players) + 1, got;
    lua_pushinteger(L, id);
    t0 = now_us();
    if (call(L, game, "score_of", 1, 1)) goto done;
    lat[i] = now_us() - t0;
    got = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (got != id * 10) {
      fprintf(stderr, "host: score_of(%lld) = %lld, want %lld\n", (long long)id,
              (long long)got, (long long)id * 10);
      goto done;
    }
  }

  /* a failing query: the error reaches C with its message */
  lua_getfield(L, game, "bad_query");
  if (lua_pcall(L, 0, 0, 0) == LUA_OK) {
    fprintf(stderr, "host: bad_query did not fail\n");
    goto done;
  }
  printf("host: a failing query's error reached C: %s\n",
         luaL_tolstring(L, -1, NULL));
  lua_pop(L, 2);

  qsort(lat, (size_t)frames, sizeof *lat, cmp_double);
  printf("host: %ld players, %ld rows handed to C (score sum %ld)\n", players,
         w.rows, w.score);
  printf("host: %ld frames of a prepared point select: p50 %.1f us, "
         "p99 %.1f us, max %.1f us\n",
         frames, lat[frames / 2], lat[frames * 99 / 100], lat[frames - 1]);
  if (call(L, game, "stop", 0, 0)) goto done;
  rc = 0;

done:
  lua_close(L);
  free(lat);
  return rc;
}
