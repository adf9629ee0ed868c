/*
** luahost.c — a minimal stand-in for lua5.4, linked against the shared
** liblua5.4, for profiling (bench/profile.sh).
**
** Debian's lua5.4 binary carries the interpreter statically and without
** symbols, so a profile shows its frames as bare addresses. Through the
** shared library every Lua C API call (lua_pushlstring, lua_createtable,
** lua_setfield, ...) is named, which shows what the binding asks of Lua.
**
**   luahost SCRIPT [ARGS...]    runs SCRIPT with arg set as lua5.4 does
*/
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* Message handler: the error with a traceback. */
static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L;
  int i, status;
  if (argc < 2) {
    fprintf(stderr, "usage: luahost SCRIPT [ARGS...]\n");
    return 2;
  }
  L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "luahost: out of memory\n");
    return 1;
  }
  luaL_openlibs(L);
  /* arg[0] is the script, arg[1..] its arguments, as lua5.4 sets them */
  lua_createtable(L, argc - 2, 1);
  for (i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, traceback);
  status = luaL_loadfile(L, argv[1]);
  if (status == LUA_OK) {
    for (i = 2; i < argc; i++)
      lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - 2, 0, 1);
  }
  if (status != LUA_OK) {
    fprintf(stderr, "luahost: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  lua_close(L);
  return 0;
}
