/*
** lua_driver.c — the Lua module of a driver that lives outside the core
** (`sleet.driver.postgresql`, `sleet.driver.mysql`). Compiled once per
** driver with
**   -DSL_DRIVER_SYMBOL=sl_driver_<name>
*-DSL_DRIVER_OPEN=luaopen_sleet_driver_<name>
** Its value is a light userdata pointing at the driver's const vtable; the
** core checks the ABI number before using it (ext/lua_conn.c).
*/
#include "lua_compat.h"
#include "../drivers/sl_driver.h"

#if !defined(SL_DRIVER_SYMBOL) || !defined(SL_DRIVER_OPEN)
#error "define SL_DRIVER_SYMBOL and SL_DRIVER_OPEN"
#endif

extern const sl_driver SL_DRIVER_SYMBOL;

SL_EXPORT int SL_DRIVER_OPEN(lua_State *L);

SL_EXPORT int SL_DRIVER_OPEN(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&SL_DRIVER_SYMBOL);
  return 1;
}
