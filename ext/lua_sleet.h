/*
** lua_sleet.h — private header of the Lua binding (ext/lua_*.c), the only C
** in sleet that includes lua.h. See docs/internals.md for the module's
** Lua-facing functions and the node tree format.
*/
#ifndef LUA_SLEET_H
#define LUA_SLEET_H

#include "lua_compat.h"
#include "sleet.h"

/* Metatable names, defined once. */
#define SL_LUA_ERROR "sleet.Error"
#define SL_LUA_COMPILED "sleet.Compiled"
#define SL_LUA_CONN "sleet.Connection"
#define SL_LUA_CURSOR "sleet.Cursor"

/* {====================================================================
** lua_core.c — module entry, error objects
** ===================================================================== */

/* The address whose lightuserdata is sleet.null. */
extern const char sl_lua_null_key;
#define sl_lua_isnull(L, i) \
  (lua_touserdata((L), (i)) == (void *)&sl_lua_null_key)
#define sl_lua_pushnull(L) lua_pushlightuserdata((L), (void *)&sl_lua_null_key)

/* Pushes a new error object for e (and sql when not NULL). */
void sl_lua_push_error(lua_State *L, const sl_error *e, const char *sql);
/* Raises a new error object for e. The caller frees what it owns first. */
int sl_lua_raise(lua_State *L, const sl_error *e, const char *sql);

/* Raises a usage error object with a printf-formatted message. */
int sl_lua_usage(lua_State *L, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A compiled statement (userdata SL_LUA_COMPILED, made by core.compile). It
** owns the arena holding the tree and the rendered SQL. Its user value is
** the table of interned result keys: [i] = fields[i-1].key for i <= nfields,
** then [nfields + g + 1] = groups[g].key, then the keys of the fields'
** shapes (nested rows; each shape's key_base says where), so building a
** row pushes no strings. arena is NULL once the userdata is closed.
** A statement made by core.rebind shares its template's arena and key
** table, and the key table keeps the template alive. */
typedef struct sl_lua_compiled {
  sl_arena *arena;
  const sl_dialect *dialect;
  sl_sql sql;
  const sl_value *values; /* sql.params' values (placeholder slots NULL) */
  int nph;                /* number of placeholder slots */
  const sl_field *fields; /* result fields of the top statement */
  int nfields;
  const sl_group *groups;
  int ngroups;
  const int *group_size; /* fields per group (table size hints) */
  int ntop;              /* fields outside any group */
  int rebound;       /* made by core.rebind: arena is the template's, not owned;
                     ** params and values live in the userdata itself */
  unsigned sql_hash; /* of the SQL text: the statement cache's key */
  int cacheable;     /* the statement cache may keep its statement */
} sl_lua_compiled;

/* The open compiled statement at idx; raises a usage error otherwise. */
sl_lua_compiled *sl_lua_checkcompiled(lua_State *L, int idx);

/* The metatables the hot paths test are also kept in the registry under
** the addresses of these keys: fetched by address, not by name. */
extern const char sl_lua_key_compiled, sl_lua_key_conn, sl_lua_key_prepared;

/* Registers the metatable name (luaL_newmetatable; also under key when not
** NULL) with __name, the functions meta and an __index table of methods
** (each may be NULL). */
void sl_lua_newmeta(lua_State *L, const char *name, const void *key,
                    const luaL_Reg *meta, const luaL_Reg *methods);
/* The userdata at idx when its metatable is the one kept under key, else
** NULL (luaL_testudata without looking the name up). */
void *sl_lua_toudata(lua_State *L, int idx, const void *key);
/* Sets the metatable kept under key on the value on top of the stack. */
void sl_lua_setmeta(lua_State *L, const void *key);

/* }==================================================================== */

/* {====================================================================
** lua_conn.c — connections and cursors
** ===================================================================== */

/* The statement cache's key of SQL text: sets *hash and returns whether
** the cache keeps statements of that text (queries and writes). */
int sl_lua_sqlkey(const char *sql, size_t len, unsigned *hash);

/* Registers the SL_LUA_CONN and SL_LUA_CURSOR metatables. */
void sl_lua_open_conn(lua_State *L);
/* Pushes core.AGAIN: what a host-I/O call returns while the host must move
** bytes (conn:io, conn:feed, then conn:again). */
void sl_lua_push_again(lua_State *L);
/* Adds core.proxy_request/proxy_answer/proxy_error to the table on top
** (ext/lua_proxy.c). */
void sl_lua_open_proxy(lua_State *L);
/* core.connect(driver, opts) -> Connection; raises error objects. */
int sl_lua_connect(lua_State *L);

/* }==================================================================== */

/* {====================================================================
** lua_tree.c — node trees (Lua tables) to sl_node
** ===================================================================== */

/* Converts the node tree at index idx into *out, allocated in a. Parameter
** values are encoded for dialect d (lua_codec.c). Returns SL_OK, or SL_ERROR
** with err set: kind validation for a bad value (message names the column),
** usage for a malformed tree. May raise only on memory errors; the caller
** keeps a in a userdata so it is freed then. */
int sl_lua_tree(lua_State *L, int idx, const sl_dialect *d, sl_arena *a,
                sl_node **out, sl_error *err);

/* }==================================================================== */

/* {====================================================================
** lua_codec.c — Lua values <-> sl_value, JSON (jansson)
** ===================================================================== */

/* core.customtype(toDriver, fromDriver) -> codec name "custom:n". */
int sl_lua_customtype(lua_State *L);

/* Encodes the Lua value at idx as codec c stores it in dialect d. Bytes are
** copied into a. nil and sleet.null give SL_V_NULL. A value of the wrong
** type is a validation error naming column ("users.email") when given. */
int sl_lua_encode(lua_State *L, int idx, sl_codec c, const sl_dialect *d,
                  sl_arena *a, sl_value *out, const char *column,
                  sl_error *err);

/* Pushes the Lua value of a result cell read with codec c from dialect d.
** SL_V_NULL pushes nil (the caller decides about sleet.null). Returns SL_OK,
** or SL_ERROR when the cell cannot be decoded (e.g. broken JSON), pushing
** nothing. */
int sl_lua_decode(lua_State *L, const sl_value *v, sl_codec c,
                  const sl_dialect *d, sl_error *err);
/* After a failed sl_lua_decode / sl_lua_nested of field f's cell: names
** the field's table and column in err's message and fields. SL_ERROR. */
int sl_lua_decode_failed(sl_error *err, const sl_field *f);

/* Pushes v as its driver type maps to Lua without a codec: integer,
** float, boolean or string; SL_V_NULL pushes nil. Never fails. */
void sl_lua_push_natural(lua_State *L, const sl_value *v);

/* JSON text of the Lua value at idx, appended to b (tables with keys 1..n are
** arrays, other tables objects, sleet.null is null). */
int sl_lua_json_encode(lua_State *L, int idx, sl_buf *b, sl_error *err);
/* Pushes the Lua value of JSON text (arrays as sequences, null as
** sleet.null inside containers, nil at top level). */
int sl_lua_json_decode(lua_State *L, const char *s, size_t n, sl_error *err);
int sl_lua_json_decode_ex(lua_State *L, const char *s, size_t n, int ordered,
                          sl_error *err);

/* }==================================================================== */

/* {====================================================================
** lua_nested.c — nested rows of relational queries
** ===================================================================== */

/* Pushes the Lua value of a cell holding nested rows as JSON text, read
** with shape s (sleet.h): a many relation as a list of row tables (NULL or
** no rows: an empty table), a one relation as a row table or nil. Values
** inside rows are decoded with their codecs exactly as plain cells of
** dialect d are (blobs arrive hex-encoded). Row keys come from the
** interned key table at kidx: keys[i] of a shape is at s->key_base + i.
** Returns SL_OK, or SL_ERROR (validation) pushing nothing when the JSON is
** invalid or does not match the shape. Raises only on memory errors (the
** document is then freed by the collector). */
int sl_lua_nested(lua_State *L, const sl_value *v, const sl_shape *s, int kidx,
                  const sl_dialect *d, sl_error *err);

/* }==================================================================== */

/* {====================================================================
** lua_kit.c — sleet-kit's helpers: core.diff, core.ddl_expr, core.sha256
** ===================================================================== */

/* Adds the kit functions to the module table at the top of the stack (see
** docs/internals.md, "Migrations"). */
void sl_lua_open_kit(lua_State *L);
/* ext/lua_seed.c: adds core.seed_data, seed_table, seed_instant and
** seed_checksum (sleet.seed's generators) to the module table on top. */
void sl_lua_open_seed(lua_State *L);
/* ext/lua_int64.c: keeps LuaJIT's int64 helpers in the registry (nothing
** on Lua 5.3+, whose integers are exact). */
void sl_lua_open_int64(lua_State *L);

/* }==================================================================== */

#endif
