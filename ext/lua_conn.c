/*
** lua_conn.c — connections ("sleet.Connection") and cursors
** ("sleet.Cursor"): running compiled statements and raw SQL, building result
** rows natively.
**
** Every execution goes through a cursor userdata, taken before any
** statement exists: it owns the driver statement and the arena of encoded
** parameters, so a Lua error anywhere (even out of memory while building a
** row) leaves them to the collector instead of leaking. Cursors are linked
** into their connection's list; close() finalizes them all before closing
** the connection, and a cursor whose connection was closed fails cleanly.
** A cursor's user value holds its connection (keeping it alive) and the
** compiled statement or SQL string it runs.
**
** A run that returns its whole result (every mode but iter) hands its
** cursor back to the connection when it ends normally, arena included, and
** the next such run takes it again: a point select allocates no cursor and
** no arena. A cursor is taken out of the connection while it runs, so a run
** nested inside another (Lua code called while encoding) makes a cursor of
** its own, and one abandoned by a Lua error is left to the collector.
**
** Lua API calls that can raise are never made while a driver call is on
** the C stack; driver errors are copied into an sl_error, the statement is
** finalized, and only then is the error object raised.
**
** Native statements are reused. A connection keeps a bounded LRU cache of
** statements keyed by SQL text (select/insert/update/delete/with only, so
** DDL is never kept), and prepared statements ("sleet.PreparedStatement",
** made by conn:prepare) each keep their own. A kept statement is lent to
** one cursor at a time (busy) and reset when that cursor is done; a run
** that finds its statement busy (an iterator still open) prepares a
** statement of its own. close() finalizes every statement of the
** connection, kept ones included.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_sleet.h"
#include "../drivers/sl_driver.h"

#define SL_LUA_PREPARED "sleet.PreparedStatement"

/* Statements a connection's cache holds by default. */
#define DEFAULT_CACHE_SIZE 64

typedef struct lconn lconn;
typedef struct lcursor lcursor;
typedef struct lstmt lstmt;

enum { LS_CACHED, LS_PREPARED };

/* A native statement kept for reuse: an entry of the connection's cache
** (malloc'd, owned by the connection) or the body of a prepared statement
** userdata (linked into the connection's kept list while both are open). */
struct lstmt {
  lstmt *prev, *next;
  lconn *conn;   /* NULL once unlinked */
  sl_stmt *stmt; /* NULL until its first run */
  char *sql;     /* cache key (cache entries) */
  size_t len;
  unsigned hash;
  int owner;  /* LS_CACHED or LS_PREPARED */
  int busy;   /* lent to a cursor */
  int dead;   /* released while busy: finalized when the cursor is done */
  int closed; /* prepared statement closed by its owner */
  int fast;   /* prepared: its runners may skip the Lua façade */
  lua_Integer session; /* prepared: the session it belongs to */
};

struct lconn {
  const sl_driver *drv;
  const sl_dialect *dialect; /* the core's dialect named by drv->dialect */
  sl_conn *c;                /* NULL when closed */
  lcursor *cursors;          /* live cursors, finalized by close */
  lstmt *cache, *cache_tail; /* most recently used first */
  int ncached, cache_cap;    /* cache_cap 0: no cache */
  lstmt *kept;               /* statements of prepared statements */
  lua_Integer session;       /* the innermost open session (setsession) */
  int lost;                  /* closed because the driver lost it */
  /* host-I/O drivers: the call waiting for the host to move bytes (P_*),
  ** made again by conn:again(); its object (a cursor, a batch's state) is
  ** in the user value's [2] */
  int pending;
  lcursor *pending_cur; /* P_ITER: the iterating cursor */
  int pending_verb;     /* P_VERB: which one (V_*) */
  char *pending_arg;    /* P_VERB: savepoint name; P_BEGIN: mode (malloc'd) */
  /* counters of conn:stats() */
  lua_Integer nprepared; /* native statements created */
  lua_Integer nreused;   /* runs that reused a kept statement */
  lua_Integer nhits;     /* of those, statements found in the cache */
};

enum { CUR_NEW, CUR_OPEN, CUR_DONE, CUR_ABORTED };
enum { P_NONE, P_READY, P_CURSOR, P_ITER, P_BATCH, P_VERB, P_BEGIN, P_QUIT };
enum { M_ALL, M_GET, M_VALUES, M_RUN, M_ITER };

struct lcursor {
  lconn *conn; /* non-NULL while linked into conn->cursors */
  const sl_driver *drv;
  sl_stmt *stmt;   /* non-NULL only while linked */
  lstmt *ls;       /* the kept statement stmt belongs to, or NULL */
  sl_arena *arena; /* encoded parameters */
  const sl_dialect *dialect;
  lcursor *prev, *next;
  const sl_lua_compiled *cq; /* NULL for raw SQL */
  const char *sql;           /* in cq's arena or a Lua string kept alive */
  size_t len;
  unsigned hash; /* sl_lua_sqlkey of sql */
  int cacheable;
  int mode;
  int state;
  int checked; /* column count checked against the fields */
  int ncols;   /* raw rows: columns keyed */
  int recycle; /* handed back to the connection when done (arena kept) */
  const sl_value *pending; /* batch: encoded values not bound yet */
  int nrows;               /* all/values waiting on host I/O: rows so far */
};

/* The value host-I/O calls return while the host must move bytes
** (core.AGAIN). */
static const char again_key = 'a';
#define push_again(L) lua_pushlightuserdata(L, (void *)&again_key)

void sl_lua_push_again(lua_State *L) {
  push_again(L);
}

/* The drivers core.connect knows, by name. */
static const sl_driver *const drivers[] = {&sl_driver_sqlite,
                                           &sl_driver_pgproxy,
                                           &sl_driver_myproxy,
                                           &sl_driver_sqliteproxy,
                                           &sl_driver_pgwire,
                                           &sl_driver_mywire,
                                           NULL};

/* {====================================================================
** Cursors
** ===================================================================== */

static void cursor_unlink(lcursor *cur) {
  lconn *lc = cur->conn;
  if (lc == NULL) return;
  if (cur->prev != NULL)
    cur->prev->next = cur->next;
  else
    lc->cursors = cur->next;
  if (cur->next != NULL) cur->next->prev = cur->prev;
  cur->prev = cur->next = NULL;
  cur->conn = NULL;
}

static void lstmt_drop(lstmt *ls, const sl_driver *drv);

/* Finalizes the statement (or gives a kept one back, reset), frees the
** parameters and unlinks; idempotent. */
static void cursor_release(lcursor *cur) {
  if (cur->conn != NULL && cur->conn->pending_cur == cur) {
    /* an iterator given up while it waited: the driver drops the rest */
    cur->conn->pending = P_NONE;
    cur->conn->pending_cur = NULL;
  }
  if (cur->stmt != NULL && cur->ls != NULL) {
    lstmt *ls = cur->ls;
    sl_error ignored;
    int ok = cur->drv->reset(cur->stmt, &ignored) == SL_OK;
    ls->busy = 0;
    /* a statement that cannot be reset, or whose owner let it go, ends */
    if (!ok || ls->dead) lstmt_drop(ls, cur->drv);
    cur->ls = NULL;
    cur->stmt = NULL;
  } else if (cur->stmt != NULL) {
    cur->drv->finalize(cur->stmt);
    cur->stmt = NULL;
  }
  if (cur->arena != NULL) {
    /* the statement no longer points into the arena */
    if (cur->recycle) {
      sl_arena_reset(cur->arena);
    } else {
      sl_arena_free(cur->arena);
      cur->arena = NULL;
    }
  }
  cursor_unlink(cur);
  if (cur->state == CUR_NEW || cur->state == CUR_OPEN) cur->state = CUR_DONE;
}

/* The statement text for error objects; NULL once its owner is gone. */
static const char *cursor_sql(const lcursor *cur) {
  if (cur->cq != NULL && cur->cq->arena == NULL) return NULL;
  return cur->sql;
}

/* Releases the cursor, then raises err with the statement text. */
static void release_kept(lconn *lc);

/* Closes the connection lc: its open cursors fail cleanly from now on, its
** kept statements are released; idempotent. */
static void conn_shut(lconn *lc) {
  if (lc->c == NULL) return;
  while (lc->cursors != NULL) {
    lcursor *cur = lc->cursors;
    int open = cur->state == CUR_OPEN;
    cursor_release(cur);
    if (open) cur->state = CUR_ABORTED;
  }
  release_kept(lc);
  lc->drv->close(lc->c);
  lc->c = NULL;
  lc->pending = P_NONE;
  lc->pending_cur = NULL;
  free(lc->pending_arg);
  lc->pending_arg = NULL;
}

/* After err: a connection the driver reports lost (kind connection) is
** closed, so that isclosed() says so and a host knows to connect again
** (API.md: a lost connection raises kind connection; db:isClosed() is then
** true). */
static void conn_lost(lconn *lc, const sl_error *err) {
  if (lc != NULL && lc->c != NULL && err->kind == SL_EK_CONNECTION) {
    conn_shut(lc);
    lc->lost = 1;
  }
}

/* Raises the error of a call on the closed connection lc: kind connection
** while it is closed because it was lost (every later call says so, as the
** first one did), else a usage error. */
static int closed_error(lua_State *L, const lconn *lc) {
  sl_error e;
  if (lc == NULL || !lc->lost)
    return sl_lua_usage(L, "the connection is closed");
  sl_error_clear(&e);
  sl_error_set(&e, SL_EK_CONNECTION,
               "the connection to the server was lost; connect again");
  return sl_lua_raise(L, &e, NULL);
}

static int cursor_fail(lua_State *L, lcursor *cur, const sl_error *err) {
  lconn *lc = cur->conn;
  cursor_release(cur);
  conn_lost(lc, err);
  return sl_lua_raise(L, err, cursor_sql(cur));
}

/* __gc, __close and cursor:close() */
static int cursor_close(lua_State *L) {
  lcursor *cur = luaL_testudata(L, 1, SL_LUA_CURSOR);
  if (cur != NULL) {
    cursor_release(cur);
    sl_arena_free(cur->arena); /* kept by a recycled cursor */
    cur->arena = NULL;
    cur->recycle = 0;
  }
  return 0;
}

static int cursor_tostring(lua_State *L) {
  lcursor *cur = luaL_testudata(L, 1, SL_LUA_CURSOR);
  lua_pushfstring(L, SL_LUA_CURSOR " (%s)",
                  cur != NULL && cur->stmt != NULL ? "open" : "closed");
  return 1;
}

/* Links cur, fresh or released, into the connection lc. */
static void cursor_link(lcursor *cur, lconn *lc) {
  cur->state = CUR_NEW;
  cur->drv = lc->drv;
  cur->dialect = lc->dialect;
  cur->conn = lc;
  cur->prev = NULL;
  cur->next = lc->cursors;
  if (lc->cursors != NULL) lc->cursors->prev = cur;
  lc->cursors = cur;
}

/* Pushes a new cursor linked into the connection at conn_idx; its user
** value keeps the connection and the value at keep_idx alive. */
static lcursor *cursor_new(lua_State *L, int conn_idx, int keep_idx) {
  lconn *lc = lua_touserdata(L, conn_idx);
  lcursor *cur = sl_lua_newudata(L, sizeof *cur);
  memset(cur, 0, sizeof *cur);
  cur->state = CUR_NEW;
  luaL_setmetatable(L, SL_LUA_CURSOR);
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, conn_idx);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, keep_idx);
  lua_rawseti(L, -2, 2);
  sl_lua_setuv(L, -2);
  cursor_link(cur, lc);
  return cur;
}

/* Pushes a cursor for a run in mode on the connection at conn_idx, keeping
** the value at keep_idx alive: the connection's spare cursor when it has
** one and the run returns its whole result, else a new one. The spare is
** taken out of the connection (its user value's [1]) until cursor_done
** gives it back. */
static lcursor *cursor_take(lua_State *L, int conn_idx, int keep_idx,
                            int mode) {
  lcursor *cur;
  if (mode != M_ITER) {
    sl_lua_getuv(L, conn_idx);
    lua_rawgeti(L, -1, 1);
    cur = lua_touserdata(L, -1);
    if (cur != NULL) {
      sl_arena *arena = cur->arena;
      lua_pushnil(L);
      lua_rawseti(L, -3, 1);
      lua_replace(L, -2); /* the cursor in the user value's slot */
      sl_lua_getuv(L, -1);
      lua_pushvalue(L, keep_idx);
      lua_rawseti(L, -2, 2);
      lua_pop(L, 1);
      memset(cur, 0, sizeof *cur);
      cur->arena = arena;
      cur->recycle = 1;
      cursor_link(cur, lua_touserdata(L, conn_idx));
      cur->mode = mode;
      return cur;
    }
    lua_pop(L, 2);
  }
  cur = cursor_new(L, conn_idx, keep_idx);
  cur->recycle = mode != M_ITER;
  cur->mode = mode;
  return cur;
}

/* Gives the released cursor at cur_idx back to the connection at
** conn_idx for its next run; it no longer keeps the statement it ran
** alive. */
static void cursor_done(lua_State *L, int conn_idx, int cur_idx) {
  sl_lua_getuv(L, cur_idx);
  lua_pushnil(L);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 1);
  sl_lua_getuv(L, conn_idx);
  lua_pushvalue(L, cur_idx);
  lua_rawseti(L, -2, 1);
  lua_pop(L, 1);
}

/* Makes cur run the compiled statement cq. */
static void cursor_use(lcursor *cur, const sl_lua_compiled *cq) {
  cur->cq = cq;
  cur->sql = cq->sql.sql;
  cur->len = cq->sql.len;
  cur->hash = cq->sql_hash;
  cur->cacheable = cq->cacheable;
}

/* Advances the cursor: SL_ROW, SL_DONE or SL_ERROR. */
static int cursor_step(lcursor *cur, sl_error *err) {
  if (cur->conn == NULL || cur->stmt == NULL)
    return sl_error_set(err, SL_EK_USAGE, "the connection is closed");
  /* Bound parameters live in the compiled statement's arena. */
  if (cur->cq != NULL && cur->cq->arena == NULL)
    return sl_error_set(err, SL_EK_USAGE, "the compiled statement was closed");
  return cur->drv->step(cur->stmt, err);
}

/* }==================================================================== */

/* {====================================================================
** Kept statements: the statement cache and prepared statements
** ===================================================================== */

static void cache_unlink(lconn *lc, lstmt *e) {
  if (e->prev != NULL)
    e->prev->next = e->next;
  else
    lc->cache = e->next;
  if (e->next != NULL)
    e->next->prev = e->prev;
  else
    lc->cache_tail = e->prev;
  e->prev = e->next = NULL;
  e->conn = NULL;
  lc->ncached--;
}

static void cache_push(lconn *lc, lstmt *e) {
  e->prev = NULL;
  e->next = lc->cache;
  if (lc->cache != NULL)
    lc->cache->prev = e;
  else
    lc->cache_tail = e;
  lc->cache = e;
  e->conn = lc;
  lc->ncached++;
}

static void kept_link(lconn *lc, lstmt *ls) {
  ls->prev = NULL;
  ls->next = lc->kept;
  if (lc->kept != NULL) lc->kept->prev = ls;
  lc->kept = ls;
  ls->conn = lc;
}

static void kept_unlink(lstmt *ls) {
  lconn *lc = ls->conn;
  if (lc == NULL) return;
  if (ls->prev != NULL)
    ls->prev->next = ls->next;
  else
    lc->kept = ls->next;
  if (ls->next != NULL) ls->next->prev = ls->prev;
  ls->prev = ls->next = NULL;
  ls->conn = NULL;
}

/* Finalizes the native statement of ls. A cache entry is unlinked and
** freed; a prepared statement keeps its body (its next run prepares
** again, unless it was closed). */
static void lstmt_drop(lstmt *ls, const sl_driver *drv) {
  if (ls->stmt != NULL) {
    drv->finalize(ls->stmt);
    ls->stmt = NULL;
  }
  ls->busy = 0;
  ls->dead = 0;
  if (ls->owner == LS_CACHED) {
    if (ls->conn != NULL) cache_unlink(ls->conn, ls);
    free(ls->sql);
    free(ls);
  }
}

/* Finalizes every kept statement of the connection (before it closes). */
static void release_kept(lconn *lc) {
  while (lc->cache != NULL)
    lstmt_drop(lc->cache, lc->drv);
  while (lc->kept != NULL) {
    lstmt *ls = lc->kept;
    kept_unlink(ls);
    lstmt_drop(ls, lc->drv);
  }
}

/* FNV-1a: cheap next to the statement it saves preparing. */
static unsigned sql_hash(const char *s, size_t n) {
  unsigned h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int lower_ascii(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Statements the cache keeps: queries and writes. Schema changes and
** session commands run once and would only push queries out. */
static int cacheable(const char *sql, size_t len) {
  static const char *const kws[] = {"select", "insert", "update",
                                    "delete", "with",   NULL};
  size_t i = 0, k, n;
  while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' ||
                     sql[i] == '\r' || sql[i] == '('))
    i++;
  for (k = 0; kws[k] != NULL; k++) {
    n = strlen(kws[k]);
    if (len - i > n) {
      size_t j;
      for (j = 0; j < n; j++)
        if (lower_ascii((unsigned char)sql[i + j]) != kws[k][j]) break;
      if (j == n && (sql[i + n] == ' ' || sql[i + n] == '\n' ||
                     sql[i + n] == '\t' || sql[i + n] == '('))
        return 1;
    }
  }
  return 0;
}

int sl_lua_sqlkey(const char *sql, size_t len, unsigned *hash) {
  *hash = sql_hash(sql, len);
  return cacheable(sql, len);
}

/* Drops least recently used idle entries until one more fits. */
static void cache_make_room(lconn *lc) {
  lstmt *e = lc->cache_tail;
  while (lc->ncached >= lc->cache_cap && e != NULL) {
    lstmt *prev = e->prev;
    if (!e->busy) lstmt_drop(e, lc->drv);
    e = prev;
  }
}

static int prepare_kept(lconn *lc, lcursor *cur, int nvalues, sl_stmt **out,
                        sl_error *err) {
  int rc;
  if (lc->drv->prepare_persistent != NULL)
    rc = lc->drv->prepare_persistent(lc->c, cur->sql, cur->len, nvalues, out,
                                     err);
  else
    rc = lc->drv->prepare(lc->c, cur->sql, cur->len, nvalues, out, err);
  if (rc == SL_OK) lc->nprepared++;
  return rc;
}

/* Lends ls's statement to cur (preparing it on its first run). */
static int lend(lconn *lc, lcursor *cur, lstmt *ls, int nvalues,
                sl_error *err) {
  if (ls->stmt == NULL) {
    if (prepare_kept(lc, cur, nvalues, &ls->stmt, err) != SL_OK)
      return SL_ERROR;
  } else {
    lc->nreused++;
  }
  ls->busy = 1;
  cur->ls = ls;
  cur->stmt = ls->stmt;
  return SL_OK;
}

/* Gives cur a native statement for its SQL: the prepared statement's own
** (pin), else one from the cache, else a new one (kept in the cache when
** it fits). */
static int acquire(lconn *lc, lcursor *cur, lstmt *pin, int nvalues,
                   sl_error *err) {
  if (pin != NULL) {
    if (!pin->busy) return lend(lc, cur, pin, nvalues, err);
  } else if (lc->cache_cap > 0 && cur->cacheable) {
    unsigned h = cur->hash;
    lstmt *e;
    for (e = lc->cache; e != NULL; e = e->next)
      if (e->hash == h && e->len == cur->len &&
          memcmp(e->sql, cur->sql, cur->len) == 0)
        break;
    if (e != NULL && !e->busy) {
      cache_unlink(lc, e);
      cache_push(lc, e);
      lc->nhits++;
      return lend(lc, cur, e, nvalues, err);
    }
    if (e == NULL) {
      cache_make_room(lc);
      if (lc->ncached < lc->cache_cap && (e = calloc(1, sizeof *e)) != NULL) {
        e->owner = LS_CACHED;
        e->sql = malloc(cur->len > 0 ? cur->len : 1);
        if (e->sql == NULL) {
          free(e);
        } else {
          memcpy(e->sql, cur->sql, cur->len);
          e->len = cur->len;
          e->hash = h;
          if (prepare_kept(lc, cur, nvalues, &e->stmt, err) != SL_OK) {
            free(e->sql);
            free(e);
            return SL_ERROR;
          }
          cache_push(lc, e);
          e->busy = 1;
          cur->ls = e;
          cur->stmt = e->stmt;
          return SL_OK;
        }
      }
    }
  }
  /* busy elsewhere (an open iterator), not cacheable, or no room */
  if (lc->drv->prepare(lc->c, cur->sql, cur->len, nvalues, &cur->stmt, err) !=
      SL_OK)
    return SL_ERROR;
  lc->nprepared++;
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Rows
** ===================================================================== */

/* Pushes the table of column names of a raw statement (after a row). */
static void push_raw_keys(lua_State *L, lcursor *cur) {
  int i, n = cur->drv->ncolumns(cur->stmt);
  cur->ncols = n;
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, cur->drv->column_name(cur->stmt, i));
    lua_rawseti(L, -2, i + 1);
  }
}

/* Pushes the current row of a raw statement keyed by the names at kidx
** (codec any), or as an array in values mode. */
static int push_raw_row(lua_State *L, lcursor *cur, int kidx, sl_error *err) {
  const sl_dialect *d = cur->dialect;
  int values = cur->mode == M_VALUES;
  int i, row;
  sl_value v;
  if (values)
    lua_createtable(L, cur->ncols, 0);
  else
    lua_createtable(L, 0, cur->ncols);
  row = lua_gettop(L);
  for (i = 0; i < cur->ncols; i++) {
    cur->drv->column(cur->stmt, i, &v);
    if (values) {
      if (v.type == SL_V_NULL)
        sl_lua_pushnull(L);
      else if (sl_lua_decode(L, &v, SL_C_ANY, d, err) != SL_OK)
        goto fail;
      lua_rawseti(L, row, i + 1);
    } else if (v.type != SL_V_NULL) {
      lua_rawgeti(L, kidx, i + 1);
      if (sl_lua_decode(L, &v, SL_C_ANY, d, err) != SL_OK) goto fail;
      lua_rawset(L, row);
    }
  }
  return SL_OK;
fail:
  lua_settop(L, row - 1);
  return SL_ERROR;
}

/* Pushes the current row shaped by the compiled statement's fields: keys
** from the interned table at kidx, groups as nested tables (a nullable
** group whose cells are all NULL stays nil), NULL cells absent; or an
** array with sleet.null for NULL in values mode. */
static int push_field_row(lua_State *L, lcursor *cur, int kidx, sl_error *err) {
  const sl_lua_compiled *cq = cur->cq;
  const sl_dialect *d = cur->dialect;
  int nf = cq->nfields, ng = cq->ngroups;
  int i, g, row;
  sl_value v;
  if (!cur->checked) {
    int n = cur->drv->ncolumns(cur->stmt);
    if (n < nf)
      return sl_error_set(err, SL_EK_USAGE,
                          "the statement returned %d columns for %d fields", n,
                          nf);
    cur->checked = 1;
  }
  if (cur->mode == M_VALUES) {
    lua_createtable(L, nf, 0);
    row = lua_gettop(L);
    for (i = 0; i < nf; i++) {
      const sl_field *f = &cq->fields[i];
      cur->drv->column(cur->stmt, i, &v);
      if (f->shape != NULL) {
        if (sl_lua_nested(L, &v, f->shape, kidx, d, err) != SL_OK) {
          sl_lua_decode_failed(err, f);
          goto fail;
        }
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          sl_lua_pushnull(L);
        }
      } else if (v.type == SL_V_NULL) {
        sl_lua_pushnull(L);
      } else if (sl_lua_decode(L, &v, f->codec, d, err) != SL_OK) {
        sl_lua_decode_failed(err, f);
        goto fail;
      }
      lua_rawseti(L, row, i + 1);
    }
    return SL_OK;
  }
  lua_createtable(L, 0, cq->ntop + ng);
  row = lua_gettop(L);
  if (ng > 0) {
    /* one stack slot per group, nil until the group has a cell */
    luaL_checkstack(L, ng + 4, "too many result groups");
    for (g = 0; g < ng; g++)
      lua_pushnil(L);
  }
  for (i = 0; i < nf; i++) {
    const sl_field *f = &cq->fields[i];
    int t = row;
    cur->drv->column(cur->stmt, i, &v);
    /* a many relation without rows is an empty list, never absent */
    if (v.type == SL_V_NULL && (f->shape == NULL || !f->shape->many)) continue;
    if (f->group >= 0) {
      t = row + 1 + f->group;
      if (lua_isnil(L, t)) {
        lua_createtable(L, 0, cq->group_size[f->group]);
        lua_replace(L, t);
      }
    }
    lua_rawgeti(L, kidx, i + 1);
    if (f->shape != NULL) {
      if (sl_lua_nested(L, &v, f->shape, kidx, d, err) != SL_OK) {
        sl_lua_decode_failed(err, f);
        goto fail;
      }
    } else if (sl_lua_decode(L, &v, f->codec, d, err) != SL_OK) {
      sl_lua_decode_failed(err, f);
      goto fail;
    }
    lua_rawset(L, t);
  }
  for (g = 0; g < ng; g++) {
    int t = row + 1 + g;
    if (lua_isnil(L, t)) {
      if (cq->groups[g].nullable) continue;
      lua_createtable(L, 0, 0);
      lua_replace(L, t);
    }
    lua_rawgeti(L, kidx, nf + g + 1);
    lua_pushvalue(L, t);
    lua_rawset(L, row);
  }
  lua_settop(L, row);
  return SL_OK;
fail:
  lua_settop(L, row - 1);
  return SL_ERROR;
}

/* Pushes the cursor's current row. kidx holds the key table (the
** compiled statement's interned keys, or column names built on the first
** row of a raw statement: the slot is replaced then). */
static int push_row(lua_State *L, lcursor *cur, int kidx, sl_error *err) {
  if (cur->cq != NULL && cur->cq->nfields > 0)
    return push_field_row(L, cur, kidx, err);
  if (lua_isnil(L, kidx)) {
    push_raw_keys(L, cur);
    lua_replace(L, kidx);
  }
  return push_raw_row(L, cur, kidx, err);
}

/* }==================================================================== */

/* {====================================================================
** Execution
** ===================================================================== */

static void check_idle(lua_State *L, lconn *lc);

/* The iterator of iter mode. Upvalues: the cursor, the key table. */
static int cursor_next(lua_State *L) {
  lcursor *cur = lua_touserdata(L, lua_upvalueindex(1));
  sl_error err;
  int rc;
  if (cur->state == CUR_ABORTED)
    return sl_lua_usage(L, "the connection was closed during iteration");
  if (cur->state != CUR_OPEN) {
    lua_pushnil(L);
    return 1;
  }
  if (cur->conn != NULL && cur->conn->pending != P_NONE &&
      !(cur->conn->pending == P_ITER && cur->conn->pending_cur == cur)) {
    lconn *lc = cur->conn;
    cursor_release(cur);
    check_idle(L, lc);
  }
  sl_error_clear(&err);
  rc = cursor_step(cur, &err);
  if (cur->conn != NULL) {
    /* host I/O: the iterator is called again once the bytes moved */
    cur->conn->pending = rc == SL_AGAIN ? P_ITER : P_NONE;
    cur->conn->pending_cur = rc == SL_AGAIN ? cur : NULL;
  }
  if (rc == SL_AGAIN) {
    push_again(L);
    return 1;
  }
  if (rc == SL_ROW) {
    lua_settop(L, 0);
    lua_pushvalue(L, lua_upvalueindex(2));
    if (push_row(L, cur, 1, &err) != SL_OK) return cursor_fail(L, cur, &err);
    if (lua_isnil(L, lua_upvalueindex(2))) {
      lua_pushvalue(L, 1); /* keep the raw keys for the next rows */
      lua_replace(L, lua_upvalueindex(2));
    }
    return 1;
  }
  if (rc == SL_DONE) {
    cursor_release(cur);
    lua_pushnil(L);
    return 1;
  }
  return cursor_fail(L, cur, &err);
}

/* The iterator of iter mode over a result read at once. Upvalues: the
** rows, the index of the last row given. */
static int buffered_next(lua_State *L) {
  int i = (int)lua_tointeger(L, lua_upvalueindex(2)) + 1;
  lua_rawgeti(L, lua_upvalueindex(1), i);
  if (lua_isnil(L, -1)) return 1;
  lua_pushnil(L);
  lua_rawseti(L, lua_upvalueindex(1), i); /* given rows are the caller's */
  lua_pushinteger(L, i);
  lua_replace(L, lua_upvalueindex(2));
  return 1;
}

/* Gives the cursor its statement (pin: a prepared statement's) and binds
** the parameters. */
static int start(lcursor *cur, lstmt *pin, const sl_value *values, int nvalues,
                 sl_error *err) {
  lconn *lc = cur->conn;
  /* Encoding parameters may have run Lua code that closed the connection. */
  if (lc == NULL || lc->c == NULL)
    return sl_error_set(err, SL_EK_USAGE, "the connection is closed");
  if (acquire(lc, cur, pin, nvalues, err) != SL_OK) return SL_ERROR;
  if (lc->drv->bind(cur->stmt, values, nvalues, err) != SL_OK) return SL_ERROR;
  cur->state = CUR_OPEN;
  return SL_OK;
}

/* Steps a started cursor to its end in its mode (all, get, values, run)
** and pushes the result, releasing the cursor; kidx holds the key table,
** curidx the cursor. On failure pushes nothing and leaves the cursor to the
** caller. SL_AGAIN (host-I/O drivers): pushes nothing; the rows read so far
** wait in the cursor's user value ([3]) and the keys too ([4]), and the
** next collect goes on from there. */
static int collect(lua_State *L, lcursor *cur, int curidx, int kidx,
                   sl_error *err) {
  int rc, n, top = lua_gettop(L);
  switch (cur->mode) {
  case M_RUN: {
    long long changed, id;
    int has_id = 0;
    while ((rc = cursor_step(cur, err)) == SL_ROW)
      ;
    if (rc != SL_DONE) return rc;
    changed = cur->drv->rows_affected(cur->conn->c, cur->stmt);
    id = cur->drv->last_insert_id(cur->conn->c, cur->stmt, &has_id);
    cursor_release(cur);
    lua_createtable(L, 0, 2);
    sl_lua_pushint64(L, changed);
    lua_setfield(L, -2, "rowsAffected");
    if (has_id) {
      sl_lua_pushint64(L, id);
      lua_setfield(L, -2, "lastInsertId");
    }
    return SL_OK;
  }
  case M_GET:
    rc = cursor_step(cur, err);
    if (rc == SL_ERROR || rc == SL_AGAIN) return rc;
    if (rc == SL_DONE) {
      cursor_release(cur);
      lua_pushnil(L);
      return SL_OK;
    }
    if (push_row(L, cur, kidx, err) != SL_OK) return SL_ERROR;
    cursor_release(cur);
    return SL_OK;
  default: /* all, values */
    if (cur->nrows > 0) {
      sl_lua_getuv(L, curidx);
      lua_rawgeti(L, -1, 3);
      lua_remove(L, -2);
      n = cur->nrows;
    } else {
      lua_newtable(L);
      n = 0;
    }
    while ((rc = cursor_step(cur, err)) == SL_ROW) {
      if (push_row(L, cur, kidx, err) != SL_OK) {
        lua_settop(L, top);
        return SL_ERROR;
      }
      lua_rawseti(L, -2, ++n);
    }
    if (rc == SL_AGAIN && n > 0) {
      sl_lua_getuv(L, curidx);
      lua_pushvalue(L, -2);
      lua_rawseti(L, -2, 3);
      lua_pop(L, 1);
      cur->nrows = n;
    }
    if (rc != SL_DONE) {
      lua_settop(L, top);
      return rc;
    }
    if (cur->nrows > 0) {
      sl_lua_getuv(L, curidx);
      lua_pushnil(L);
      lua_rawseti(L, -2, 3);
      lua_pop(L, 1);
      cur->nrows = 0;
    }
    cursor_release(cur);
    return SL_OK;
  }
}

/* After collect gave SL_AGAIN on the connection lc: the cursor at curidx
** waits, with its key table at kidx, for conn:again(). Pushes core.AGAIN. */
static int cursor_wait(lua_State *L, lconn *lc, int connidx, int curidx,
                       int kidx) {
  sl_lua_getuv(L, curidx);
  lua_pushvalue(L, kidx);
  lua_rawseti(L, -2, 4);
  lua_pop(L, 1);
  sl_lua_getuv(L, connidx);
  lua_pushvalue(L, curidx);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 1);
  lc->pending = P_CURSOR;
  push_again(L);
  return 1;
}

/* Prepares (or reuses), binds and runs the cursor at curidx (taken from
** the connection at connidx) in its mode; kidx holds the key table (nil
** for raw statements). Returns the results pushed. */
static int execute(lua_State *L, int connidx, lcursor *cur, int curidx,
                   int kidx, lstmt *pin, const sl_value *values, int nvalues) {
  sl_error err;
  sl_error_clear(&err);
  if (start(cur, pin, values, nvalues, &err) != SL_OK)
    return cursor_fail(L, cur, &err);
  if (cur->mode == M_ITER && cur->drv->holds_changes != NULL &&
      cur->drv->holds_changes(cur->stmt)) {
    /* a write completes now: its rows are read into a table first */
    cur->mode = M_ALL;
    if (collect(L, cur, curidx, kidx, &err) != SL_OK)
      return cursor_fail(L, cur, &err);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, buffered_next, 2);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, curidx);
    return 4;
  }
  if (cur->mode == M_ITER) {
    if (cur->drv->stream != NULL) cur->drv->stream(cur->stmt);
    lua_pushvalue(L, curidx);
    lua_pushvalue(L, kidx);
    lua_pushcclosure(L, cursor_next, 2);
    /* for-loop triple plus the cursor as Lua 5.4's closing value, so a
    ** break out of the loop finalizes the statement at once */
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, curidx);
    return 4;
  }
  switch (collect(L, cur, curidx, kidx, &err)) {
  case SL_OK:
    break;
  case SL_AGAIN:
    return cursor_wait(L, cur->conn, connidx, curidx, kidx);
  default:
    return cursor_fail(L, cur, &err);
  }
  if (cur->recycle) cursor_done(L, connidx, curidx);
  return 1;
}

static int check_mode(lua_State *L, int idx) {
  static const char *const names[] = {"all", "get",  "values",
                                      "run", "iter", NULL};
  const char *s;
  int i;
  if (lua_isnoneornil(L, idx)) return M_ALL;
  s = lua_tostring(L, idx);
  if (lua_type(L, idx) == LUA_TSTRING)
    for (i = 0; names[i] != NULL; i++)
      if (strcmp(s, names[i]) == 0) return i;
  return sl_lua_usage(L,
                      "unknown execution mode '%s' (all, get, values, "
                      "run or iter)",
                      s ? s : luaL_typename(L, idx));
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

static lconn *check_conn(lua_State *L, int idx) {
  lconn *lc = sl_lua_toudata(L, idx, &sl_lua_key_conn);
  if (lc == NULL)
    sl_lua_usage(L, "expected a connection, got %s", luaL_typename(L, idx));
  return lc;
}

/* Raises unless lc is free for a new call. A host-I/O call still pending
** here was given up (the coroutine that waited for it died): what the
** server has yet to send is unknown, so the connection ends as lost. */
static void check_idle(lua_State *L, lconn *lc) {
  sl_error e;
  if (lc->pending == P_NONE) return;
  conn_shut(lc);
  lc->lost = 1;
  sl_error_clear(&e);
  sl_error_set(&e, SL_EK_CONNECTION,
               "a call on this connection was abandoned while it waited for "
               "the server; connect again");
  sl_lua_raise(L, &e, NULL);
}

static lconn *check_open(lua_State *L, int idx) {
  lconn *lc = check_conn(L, idx);
  if (lc->c == NULL) closed_error(L, lc);
  check_idle(L, lc);
  return lc;
}

/* Raises a usage error unless the statement compiled for cq may run on
** lc. */
static void check_dialect(lua_State *L, lconn *lc, const sl_lua_compiled *cq) {
  if (cq->dialect != lc->dialect &&
      strcmp(cq->dialect->name, lc->dialect->name) != 0)
    sl_lua_usage(L,
                 "a statement compiled for %s cannot run on a %s "
                 "connection",
                 cq->dialect->name, lc->dialect->name);
}

/* Puts the placeholder values at phidx on the stack: one slot per
** parameter of cq above base (nil where none was given), read in one pass
** over the table, which also checks that every key names a placeholder of
** cq (a value for a name the statement lacks is a mistake, e.g. a typo).
** Looking the names up instead would make a Lua string of each. */
static int gather_values(lua_State *L, const sl_lua_compiled *cq, int phidx,
                         int base, sl_error *err) {
  int i, found, n = cq->sql.nparams;
  lua_pushnil(L);
  while (lua_next(L, phidx)) {
    const char *key;
    if (lua_type(L, -2) != LUA_TSTRING) {
      sl_error_set(err, SL_EK_VALIDATION,
                   "placeholder values must be keyed by name, got a %s key",
                   luaL_typename(L, -2));
      lua_settop(L, base + n);
      return SL_ERROR;
    }
    key = lua_tostring(L, -2);
    found = 0;
    for (i = 0; i < n; i++) {
      const char *name = cq->sql.params[i].placeholder;
      if (name != NULL && strcmp(name, key) == 0) {
        lua_pushvalue(L, -1);
        lua_replace(L, base + 1 + i);
        found = 1;
      }
    }
    if (!found) {
      sl_error_set(err, SL_EK_VALIDATION,
                   "unknown placeholder '%s': the statement has no "
                   "placeholder of that name",
                   key);
      lua_settop(L, base + n);
      return SL_ERROR;
    }
    lua_pop(L, 1);
  }
  return SL_OK;
}

/* A parameter giving a row count: the query builder labels the values of
** limit and offset so. */
static int is_count(const sl_param *p) {
  return p->column != NULL &&
         (strcmp(p->column, "limit") == 0 || strcmp(p->column, "offset") == 0);
}

/* Encodes the parameters of cq into the cursor's arena, placeholder slots
** from the table at phidx (nil: none given), and, when slotidx is not 0,
** the value slots of a statement template from the list at slotidx (as
** core.rebind would). *out is cq's own values when nothing is encoded. */
static int encode_params(lua_State *L, lcursor *cur, const sl_lua_compiled *cq,
                         int phidx, int slotidx, const sl_value **out,
                         int *slot_failed, sl_error *err) {
  sl_value *own;
  int i, n = cq->sql.nparams, base = lua_gettop(L), rc = SL_OK;
  *out = cq->values;
  if (cq->nph == 0 && !lua_istable(L, phidx) && slotidx == 0) return SL_OK;
  luaL_checkstack(L, n + 4, "too many parameters");
  lua_settop(L, base + n);
  if (lua_istable(L, phidx) &&
      gather_values(L, cq, phidx, base, err) != SL_OK) {
    lua_settop(L, base);
    return SL_ERROR;
  }
  if (cq->nph == 0 && slotidx == 0) {
    lua_settop(L, base);
    return SL_OK;
  }
  if (cur->arena == NULL) cur->arena = sl_arena_new();
  own = cur->arena == NULL
            ? NULL
            : sl_arena_alloc(cur->arena, (size_t)n * sizeof *own);
  if (own == NULL) {
    cursor_release(cur);
    luaL_error(L, "not enough memory");
    return SL_ERROR;
  }
  for (i = 0; i < n && rc == SL_OK; i++) {
    const sl_param *p = &cq->sql.params[i];
    if (slotidx != 0 && p->slot > 0) {
      lua_rawgeti(L, slotidx, p->slot);
      if (lua_isnil(L, -1))
        rc = sl_error_set(err, SL_EK_USAGE, "no value for template slot %d",
                          p->slot);
      else
        rc = sl_lua_encode(L, -1, p->codec, cq->dialect, cur->arena, &own[i],
                           p->column, err);
      if (rc != SL_OK) *slot_failed = 1;
      lua_pop(L, 1);
    } else if (p->placeholder == NULL)
      own[i] = p->v;
    else if (lua_isnil(L, base + 1 + i))
      rc = sl_error_set(err, SL_EK_VALIDATION,
                        "missing value for placeholder '%s'", p->placeholder);
    else {
      rc = sl_lua_encode(L, base + 1 + i, p->codec, cq->dialect, cur->arena,
                         &own[i], p->column, err);
      if (rc == SL_OK && is_count(p) && own[i].type == SL_V_INT &&
          own[i].u.i < 0)
        /* SQLite and MySQL read a negative limit as "no limit" */
        rc = sl_error_set(err, SL_EK_VALIDATION,
                          "%s: placeholder '%s' must be a non-negative "
                          "integer, got %lld",
                          p->column, p->placeholder, (long long)own[i].u.i);
    }
  }
  lua_settop(L, base);
  if (rc == SL_OK) *out = own;
  return rc;
}

/* Runs the compiled statement at cqidx on the connection at connidx in
** mode, placeholders from phidx, a template's slot values from slotidx (0:
** none; see encode_params); pin is a prepared statement's kept
** statement. The cursor keeps the value at keepidx alive (the compiled
** statement, or the prepared statement holding it). Returns the results
** pushed. */
static int run_compiled(lua_State *L, int connidx, int cqidx, int keepidx,
                        int mode, int phidx, int slotidx, lstmt *pin) {
  sl_lua_compiled *cq = lua_touserdata(L, cqidx);
  const sl_value *values;
  lcursor *cur;
  int curidx, slot_failed = 0;
  sl_error err;
  if (cq->nph > 0 && !lua_isnoneornil(L, phidx) &&
      lua_type(L, phidx) != LUA_TTABLE)
    return sl_lua_usage(L, "placeholder values must be a table, got %s",
                        luaL_typename(L, phidx));
  cur = cursor_take(L, connidx, keepidx, mode);
  curidx = lua_gettop(L);
  cursor_use(cur, cq);
  sl_error_clear(&err);
  if (encode_params(L, cur, cq, phidx, slotidx, &values, &slot_failed, &err) !=
      SL_OK) {
    if (!slot_failed) return cursor_fail(L, cur, &err);
    /* a value of the query itself: raised as core.rebind raises it */
    cursor_release(cur);
    return sl_lua_raise(L, &err, NULL);
  }
  if (cq->nfields > 0)
    sl_lua_getuv(L, cqidx); /* interned keys */
  else
    lua_pushnil(L); /* no fields: column names after the first row */
  return execute(L, connidx, cur, curidx, lua_gettop(L), pin, values,
                 cq->sql.nparams);
}

/* conn:exec(compiled, mode [, phvalues]) */
static int conn_exec(lua_State *L) {
  lconn *lc = check_open(L, 1);
  sl_lua_compiled *cq = sl_lua_checkcompiled(L, 2);
  int mode = check_mode(L, 3);
  check_dialect(L, lc, cq);
  lua_settop(L, 4);
  return run_compiled(L, 1, 2, 2, mode, 4, 0, NULL);
}

/* conn:exec_sql(sql [, params [, mode]]): raw text, plain parameters
** (codec any; sleet.null or a hole counted by params.n is NULL), rows keyed
** by the driver's column names; in values mode arrays of cells, and the
** column names in order as a second result (nil without rows). */
static int conn_exec_sql(lua_State *L) {
  lconn *lc = check_open(L, 1);
  size_t len;
  const char *sql = lua_tolstring(L, 2, &len);
  int mode, n = 0, curidx, i, kidx, nret;
  lcursor *cur;
  sl_value *values = NULL;
  if (lua_type(L, 2) != LUA_TSTRING)
    return sl_lua_usage(L, "exec_sql expects SQL text, got %s",
                        luaL_typename(L, 2));
  if (!lua_isnoneornil(L, 3) && lua_type(L, 3) != LUA_TTABLE)
    return sl_lua_usage(L, "exec_sql parameters must be a table, got %s",
                        luaL_typename(L, 3));
  mode = check_mode(L, 4);
  lua_settop(L, 4);
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "n");
    if (lua_type(L, -1) == LUA_TNUMBER)
      n = (int)lua_tointeger(L, -1);
    else
      n = (int)lua_rawlen(L, 3);
    lua_pop(L, 1);
    if (n < 0) n = 0;
  }
  cur = cursor_take(L, 1, 2, mode);
  curidx = lua_gettop(L);
  cur->sql = sql;
  cur->len = len;
  cur->cacheable = sl_lua_sqlkey(sql, len, &cur->hash);
  if (n > 0) {
    sl_error err;
    sl_error_clear(&err);
    if (cur->arena == NULL) cur->arena = sl_arena_new();
    values = cur->arena == NULL
                 ? NULL
                 : sl_arena_alloc(cur->arena, (size_t)n * sizeof *values);
    if (values == NULL) {
      cursor_release(cur);
      return luaL_error(L, "not enough memory");
    }
    for (i = 0; i < n; i++) {
      lua_rawgeti(L, 3, i + 1);
      if (sl_lua_encode(L, -1, SL_C_ANY, lc->dialect, cur->arena, &values[i],
                        NULL, &err) != SL_OK)
        return cursor_fail(L, cur, &err);
      lua_pop(L, 1);
    }
  }
  lua_pushnil(L); /* key slot: column names after the first row */
  kidx = lua_gettop(L);
  nret = execute(L, 1, cur, curidx, kidx, NULL, values, n);
  if (mode == M_VALUES && nret == 1 && lua_touserdata(L, -1) != &again_key) {
    lua_pushvalue(L, kidx); /* the column names, nil without rows */
    return 2;
  }
  return nret;
}

/* {====================================================================
** Prepared statements
** ===================================================================== */

/* conn:prepare(compiled [, session [, fast]]) -> PreparedStatement: the
** compiled statement with a native statement of its own, made at its first
** run and reused by every later one. Its user value holds the connection
** and the compiled statement. session is the number of the session
** (conn:setsession) it belongs to; fast lets its runners skip the Lua
** façade while that session is the connection's innermost one. */
static int conn_prepare(lua_State *L) {
  lconn *lc = check_open(L, 1);
  sl_lua_compiled *cq = sl_lua_checkcompiled(L, 2);
  lua_Integer session = luaL_optinteger(L, 3, 0);
  int fast = lua_toboolean(L, 4);
  lstmt *ls;
  check_dialect(L, lc, cq);
  lua_settop(L, 2);
  ls = sl_lua_newudata(L, sizeof *ls);
  memset(ls, 0, sizeof *ls);
  ls->owner = LS_PREPARED;
  ls->closed = 1; /* until linked */
  ls->session = session;
  ls->fast = fast;
  luaL_setmetatable(L, SL_LUA_PREPARED);
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, 2);
  sl_lua_setuv(L, -2);
  kept_link(lc, ls);
  ls->closed = 0;
  return 1;
}

/* The runner of a connection (conn:runner): runner(compiled, mode,
** session [, slots]) runs the compiled statement without placeholder
** values when session is the connection's innermost open one
** (conn:setsession) and the connection is open; returns false without
** running it otherwise, for the caller's checks to say why. With slots,
** compiled is a statement template (core.compile of a tree with slotted
** params) and slots the list of values core.rebind would take: they are
** encoded straight into the run's parameters, with no rebound statement
** made. Upvalue: the connection. */
static int conn_fast(lua_State *L) {
  lconn *lc = lua_touserdata(L, lua_upvalueindex(1));
  sl_lua_compiled *cq;
  int mode, slotidx = 0;
  if (lc->c == NULL || lua_type(L, 3) != LUA_TNUMBER ||
      lua_tointeger(L, 3) != lc->session || lc->drv->io != NULL) {
    lua_pushboolean(L, 0);
    return 1;
  }
  cq = sl_lua_checkcompiled(L, 1);
  mode = check_mode(L, 2);
  if (mode == M_ITER)
    return sl_lua_usage(L, "a connection runner does not iterate");
  check_dialect(L, lc, cq);
  lua_settop(L, 4);
  if (!lua_isnil(L, 4)) {
    if (lua_type(L, 4) != LUA_TTABLE || cq->rebound)
      return sl_lua_usage(L, "a connection runner takes slot values with a "
                             "statement template only");
    slotidx = 4;
  }
  lua_pushnil(L);                        /* 5: no placeholder values */
  lua_pushvalue(L, lua_upvalueindex(1)); /* 6: the connection */
  return run_compiled(L, 6, 1, 1, mode, 5, slotidx, NULL);
}

/* conn:runner() -> function(compiled, mode, session) (conn_fast). */
static int conn_runner(lua_State *L) {
  check_conn(L, 1);
  lua_settop(L, 1);
  lua_pushcclosure(L, conn_fast, 1);
  return 1;
}

/* conn:setsession(n): the number of the innermost open session (0: the
** database itself, a transaction's own number while it is open). Prepared
** statements run without the Lua façade only in their own session. */
static int conn_setsession(lua_State *L) {
  lconn *lc = check_conn(L, 1);
  lc->session = luaL_checkinteger(L, 2);
  return 0;
}

static lstmt *check_prepared(lua_State *L, int idx) {
  lstmt *ls = sl_lua_toudata(L, idx, &sl_lua_key_prepared);
  if (ls == NULL)
    sl_lua_usage(L, "expected a prepared statement, got %s",
                 luaL_typename(L, idx));
  return ls;
}

/* prepared:exec(mode [, phvalues]): runs on its native statement (a
** statement of its own while that one is busy with an open iterator). */
static int prepared_exec(lua_State *L) {
  lstmt *ls = check_prepared(L, 1);
  int mode = check_mode(L, 2);
  lconn *lc;
  if (ls->closed) return sl_lua_usage(L, "the prepared statement is closed");
  lua_settop(L, 3);
  sl_lua_getuv(L, 1);
  lua_rawgeti(L, 4, 1); /* 5: the connection */
  lua_rawgeti(L, 4, 2); /* 6: the compiled statement */
  lc = lua_touserdata(L, 5);
  if (lc == NULL || lc->c == NULL || ls->conn == NULL)
    return closed_error(L, lc);
  check_idle(L, lc);
  sl_lua_checkcompiled(L, 6);
  return run_compiled(L, 5, 6, 1, mode, 3, 0, ls);
}

/* A runner of a prepared statement (prepared:runner): called as
** runner(self, params). Upvalues: the prepared statement, its connection,
** its compiled statement, the Lua function to fall back on, the mode, the
** object it belongs to. It runs the statement directly when nothing needs
** the façade's checks: called on its object, open (its compiled statement
** too), in its own session, no logger or decoders, a params table or nil.
** Otherwise the fallback runs (self, params) and raises any error; it may
** yield (a logger in a coroutine-based server). */
static int prepared_fast(lua_State *L) {
  lstmt *ls = lua_touserdata(L, lua_upvalueindex(1));
  lconn *lc = lua_touserdata(L, lua_upvalueindex(2));
  const sl_lua_compiled *cq = lua_touserdata(L, lua_upvalueindex(3));
  int t;
  lua_settop(L, 2);
  t = lua_type(L, 2);
  if (!ls->fast || ls->closed || ls->conn == NULL || lc->c == NULL ||
      lc->drv->io != NULL || cq->arena == NULL || lc->session != ls->session ||
      (t != LUA_TTABLE && t != LUA_TNIL) ||
      !lua_rawequal(L, 1, lua_upvalueindex(6))) {
    lua_pushvalue(L, lua_upvalueindex(4));
    lua_insert(L, 1);
    return sl_lua_call_all(L, 2);
  }
  lua_pushvalue(L, lua_upvalueindex(2)); /* 3: the connection */
  lua_pushvalue(L, lua_upvalueindex(3)); /* 4: the compiled statement */
  lua_pushvalue(L, lua_upvalueindex(1)); /* 5: kept alive by the cursor */
  return run_compiled(L, 3, 4, 5, (int)lua_tointeger(L, lua_upvalueindex(5)), 2,
                      0, ls);
}

/* prepared:runner(mode, fallback, object) -> function(self, params)
** running the statement in mode when called on object (see
** prepared_fast). */
static int prepared_runner(lua_State *L) {
  lstmt *ls = check_prepared(L, 1);
  int mode = check_mode(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luaL_checkany(L, 4);
  if (ls->closed) return sl_lua_usage(L, "the prepared statement is closed");
  lua_settop(L, 4);
  lua_pushvalue(L, 1);
  sl_lua_getuv(L, 1);
  lua_rawgeti(L, -1, 1); /* the connection */
  lua_rawgeti(L, -2, 2); /* the compiled statement */
  lua_remove(L, -3);
  sl_lua_checkcompiled(L, -1);
  lua_pushvalue(L, 3);
  lua_pushinteger(L, mode);
  lua_pushvalue(L, 4);
  lua_pushcclosure(L, prepared_fast, 6);
  return 1;
}

/* prepared:close(), __gc and __close: finalizes the native statement now,
** or when the iterator using it ends; idempotent. */
static int prepared_close(lua_State *L) {
  lstmt *ls = luaL_testudata(L, 1, SL_LUA_PREPARED);
  if (ls == NULL || ls->closed) return 0;
  ls->closed = 1;
  if (ls->conn != NULL) {
    const sl_driver *drv = ls->conn->drv;
    kept_unlink(ls);
    if (ls->busy)
      ls->dead = 1;
    else
      lstmt_drop(ls, drv);
  }
  return 0;
}

static int prepared_isclosed(lua_State *L) {
  lstmt *ls = check_prepared(L, 1);
  lua_pushboolean(L, ls->closed || ls->conn == NULL);
  return 1;
}

static int prepared_tostring(lua_State *L) {
  lstmt *ls = luaL_testudata(L, 1, SL_LUA_PREPARED);
  if (ls == NULL) return 0;
  lua_pushfstring(L, SL_LUA_PREPARED " (%s): %p",
                  ls->closed || ls->conn == NULL ? "closed" : "open",
                  (void *)ls);
  return 1;
}

/* }==================================================================== */

/* {====================================================================
** Batches
** ===================================================================== */

/* Releases the cursors of a batch (table at curs, n entries). */
static void batch_release(lua_State *L, int curs, int n) {
  int i;
  for (i = 1; i <= n; i++) {
    lcursor *cur;
    lua_rawgeti(L, curs, i);
    cur = lua_touserdata(L, -1);
    if (cur != NULL) cursor_release(cur);
    lua_pop(L, 1);
  }
}

/* Releases the batch's cursors and raises err; failed (0-based, -1 for
** none) names the statement in the message, in `index` (1-based) and in
** `sql`. */
static int batch_fail(lua_State *L, int curs, int n, sl_error *err,
                      int failed) {
  const char *sql = NULL;
  if (failed >= 0 && failed < n) {
    lcursor *cur;
    lua_rawgeti(L, curs, failed + 1);
    cur = lua_touserdata(L, -1);
    lua_pop(L, 1); /* still referenced by the cursor table */
    if (cur != NULL) sql = cursor_sql(cur);
  }
  batch_release(L, curs, n);
  conn_lost(luaL_testudata(L, 1, SL_LUA_CONN), err); /* conn_batch's conn */
  sl_lua_push_error(L, err, sql);
  if (failed >= 0) {
    lua_pushinteger(L, failed + 1);
    lua_setfield(L, -2, "index");
    lua_pushfstring(L, "batch statement %d failed: %s", failed + 1,
                    err->message);
    lua_setfield(L, -2, "message");
  }
  return lua_error(L);
}

/* Checks the batch items at idx (a list of { compiled, mode [, phvalues]
** }) before anything runs; returns their number. */
static int batch_check(lua_State *L, lconn *lc, int idx) {
  int n, i;
  if (!lua_istable(L, idx))
    sl_lua_usage(L, "batch expects a list of statements, got %s",
                 luaL_typename(L, idx));
  n = (int)lua_rawlen(L, idx);
  for (i = 1; i <= n; i++) {
    int top = lua_gettop(L), mode;
    lua_rawgeti(L, idx, i);
    if (!lua_istable(L, -1))
      sl_lua_usage(L, "batch item %d must be { compiled, mode [, values] }", i);
    lua_rawgeti(L, top + 1, 1);
    check_dialect(L, lc, sl_lua_checkcompiled(L, top + 2));
    lua_rawgeti(L, top + 1, 2);
    mode = check_mode(L, top + 3);
    if (mode == M_ITER)
      sl_lua_usage(L, "batch item %d: iter is not a batch mode", i);
    lua_rawgeti(L, top + 1, 3);
    if (!lua_isnil(L, -1) && !lua_istable(L, -1))
      sl_lua_usage(L, "batch item %d: placeholder values must be a table", i);
    lua_settop(L, top);
  }
  return n;
}

static int batch_run(lua_State *L, lconn *lc, int n);
static int batch_collect(lua_State *L, lconn *lc, int n, int intx);

/* conn:batch(items) -> results: runs the compiled statements of items (each
** { compiled, mode [, phvalues] }, mode all, get, values or run) in order,
** all or nothing: through the driver's batch (one round trip) when it has
** one, else one after another inside a transaction, or a savepoint when
** one is open. Returns the results in order; a failure raises an error
** object naming the statement (`index`, `sql`) and none of the
** statements' effects remain. */
static int conn_batch(lua_State *L) {
  lconn *lc = check_open(L, 1);
  const sl_driver *drv = lc->drv;
  int n, i, intx = 0, slot_failed = 0;
  sl_error err;
  if (drv->io != NULL && drv->batch == NULL)
    return sl_lua_usage(L,
                        "batch: driver '%s' has no batch of its own; "
                        "the Lua layer runs its batches",
                        drv->name);
  n = batch_check(L, lc, 2);
  lua_settop(L, 2);
  lua_createtable(L, n, 0); /* 3: cursors */
  lua_createtable(L, n, 0); /* 4: key tables */
  lua_createtable(L, n, 0); /* 5: results */
  sl_error_clear(&err);
  for (i = 1; i <= n; i++) {
    const sl_value *values;
    sl_lua_compiled *cq;
    lcursor *cur;
    lua_rawgeti(L, 2, i); /* 6: item */
    lua_rawgeti(L, 6, 1); /* 7: compiled */
    lua_rawgeti(L, 6, 2); /* 8: mode */
    lua_rawgeti(L, 6, 3); /* 9: placeholder values */
    cq = lua_touserdata(L, 7);
    cur = cursor_new(L, 1, 7); /* 10 */
    lua_pushvalue(L, -1);
    lua_rawseti(L, 3, i);
    cursor_use(cur, cq);
    cur->mode = check_mode(L, 8);
    if (cq->nfields > 0) {
      sl_lua_getuv(L, 7);
      lua_rawseti(L, 4, i);
    }
    /* Every value is checked before anything runs. Without the driver's
    ** batch, each statement is prepared just before it runs, so that one
    ** may use what an earlier one created (SQLite prepares against the
    ** schema as it is). */
    if (encode_params(L, cur, cq, 9, 0, &values, &slot_failed, &err) != SL_OK)
      return batch_fail(L, 3, i, &err, i - 1);
    if (drv->batch == NULL)
      cur->pending = values;
    else if (start(cur, NULL, values, cq->sql.nparams, &err) != SL_OK)
      return batch_fail(L, 3, i, &err, i - 1);
    lua_settop(L, 5);
  }
  if (drv->batch != NULL && n > 0) {
    sl_stmt **stmts = sl_lua_newudata(L, (size_t)n * sizeof *stmts); /* 6 */
    for (i = 1; i <= n; i++) {
      lcursor *cur;
      lua_rawgeti(L, 3, i);
      cur = lua_touserdata(L, -1);
      stmts[i - 1] = cur->stmt;
      lua_pop(L, 1);
    }
    return batch_run(L, lc, n);
  } else if (n > 0) {
    intx = drv->in_transaction(lc->c);
    if ((intx ? drv->savepoint(lc->c, "sleet_batch", &err)
              : drv->begin(lc->c, NULL, &err)) != SL_OK)
      return batch_fail(L, 3, n, &err, -1);
  }
  return batch_collect(L, lc, n, intx);
}

/* conn_batch with the driver's batch, from its call on: the stack holds
** the connection, the items, the cursors, the key tables, the results and
** the statements (1-6). Host I/O: leaves the batch waiting in the
** connection's user value [2] for conn:again(), pushing core.AGAIN. */
static int batch_run(lua_State *L, lconn *lc, int n) {
  sl_stmt **stmts = lua_touserdata(L, 6);
  int failed = -1, rc;
  sl_error err;
  sl_error_clear(&err);
  rc = lc->drv->batch(lc->c, stmts, n, &failed, &err);
  if (rc == SL_AGAIN) {
    int i;
    sl_lua_getuv(L, 1);
    lua_createtable(L, 6, 0);
    for (i = 2; i <= 6; i++) {
      lua_pushvalue(L, i);
      lua_rawseti(L, -2, i - 1);
    }
    lua_pushinteger(L, n);
    lua_rawseti(L, -2, 6);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 1);
    lc->pending = P_BATCH;
    push_again(L);
    return 1;
  }
  if (rc != SL_OK) return batch_fail(L, 3, n, &err, failed);
  lua_settop(L, 5);
  return batch_collect(L, lc, n, 0);
}

/* conn_batch's reading of the results, with the driver's batch done or
** the statements to run one by one (inside a savepoint when intx). */
static int batch_collect(lua_State *L, lconn *lc, int n, int intx) {
  const sl_driver *drv = lc->drv;
  int i, failed = -1;
  sl_error err;
  sl_error_clear(&err);
  for (i = 1; i <= n && failed < 0; i++) {
    lcursor *cur;
    lua_rawgeti(L, 3, i); /* 6 */
    lua_rawgeti(L, 4, i); /* 7: keys (nil for raw statements) */
    cur = lua_touserdata(L, 6);
    if ((drv->batch == NULL &&
         start(cur, NULL, cur->pending, cur->cq->sql.nparams, &err) != SL_OK) ||
        collect(L, cur, 6, 7, &err) != SL_OK) {
      failed = i - 1;
      break;
    }
    lua_rawseti(L, 5, i);
    lua_settop(L, 5);
  }
  if (drv->batch == NULL && n > 0) {
    sl_error ignored;
    if (failed < 0) {
      if ((intx ? drv->release(lc->c, "sleet_batch", &err)
                : drv->commit(lc->c, &err)) == SL_OK)
        return 1;
      if (!intx) drv->rollback(lc->c, &ignored);
      return batch_fail(L, 3, n, &err, -1);
    }
    if (intx) {
      drv->rollback_to(lc->c, "sleet_batch", &ignored);
      drv->release(lc->c, "sleet_batch", &ignored);
    } else {
      drv->rollback(lc->c, &ignored);
    }
  }
  if (failed >= 0) {
    lua_settop(L, 5);
    return batch_fail(L, 3, n, &err, failed);
  }
  lua_settop(L, 5);
  return 1;
}

/* }==================================================================== */

enum { V_COMMIT, V_ROLLBACK, V_SAVEPOINT, V_RELEASE, V_ROLLBACK_TO };

/* Leaves a verb waiting for host I/O (conn:again makes it again; arg is
** its savepoint name or BEGIN mode); pushes core.AGAIN. */
static int verb_wait(lua_State *L, lconn *lc, int pending, int verb,
                     const char *arg) {
  char *copy = NULL;
  if (arg != NULL) {
    size_t n = strlen(arg) + 1;
    copy = malloc(n);
    if (copy == NULL) return luaL_error(L, "not enough memory");
    memcpy(copy, arg, n);
  }
  free(lc->pending_arg);
  lc->pending_arg = copy;
  lc->pending = pending;
  lc->pending_verb = verb;
  push_again(L);
  return 1;
}

/* Calls the driver's transaction verb; savepoint verbs take name. */
static int verb_call(lconn *lc, int verb, const char *name, sl_error *err) {
  switch (verb) {
  case V_COMMIT:
    return lc->drv->commit(lc->c, err);
  case V_ROLLBACK:
    return lc->drv->rollback(lc->c, err);
  case V_SAVEPOINT:
    return lc->drv->savepoint(lc->c, name, err);
  case V_RELEASE:
    return lc->drv->release(lc->c, name, err);
  default:
    return lc->drv->rollback_to(lc->c, name, err);
  }
}

/* Raises err of a verb unless rc is SL_OK or SL_AGAIN (then pushes
** core.AGAIN, the verb waiting as pending/verb/arg). */
static int verb_result(lua_State *L, lconn *lc, int rc, sl_error *err,
                       int pending, int verb, const char *arg) {
  if (rc == SL_AGAIN) return verb_wait(L, lc, pending, verb, arg);
  if (rc != SL_OK) {
    conn_lost(lc, err);
    return sl_lua_raise(L, err, NULL);
  }
  return 0;
}

/* Runs a transaction verb; savepoint verbs take the name at index 2. */
static int run_verb(lua_State *L, int verb) {
  lconn *lc = check_open(L, 1);
  const char *name = NULL;
  sl_error err;
  if (verb >= V_SAVEPOINT) {
    name = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING || *name == '\0')
      return sl_lua_usage(L, "savepoint name expected, got %s",
                          luaL_typename(L, 2));
  }
  sl_error_clear(&err);
  return verb_result(L, lc, verb_call(lc, verb, name, &err), &err, P_VERB, verb,
                     name);
}

/* conn:begin([mode]): mode is the text after BEGIN */
static int conn_begin(lua_State *L) {
  lconn *lc = check_open(L, 1);
  sl_txopts opts;
  sl_error err;
  if (!lua_isnoneornil(L, 2) && lua_type(L, 2) != LUA_TSTRING)
    return sl_lua_usage(L, "transaction mode must be a string, got %s",
                        luaL_typename(L, 2));
  opts.mode = lua_tostring(L, 2);
  sl_error_clear(&err);
  return verb_result(L, lc, lc->drv->begin(lc->c, &opts, &err), &err, P_BEGIN,
                     0, opts.mode);
}

static int conn_commit(lua_State *L) {
  return run_verb(L, V_COMMIT);
}

static int conn_rollback(lua_State *L) {
  return run_verb(L, V_ROLLBACK);
}

static int conn_savepoint(lua_State *L) {
  return run_verb(L, V_SAVEPOINT);
}

static int conn_release(lua_State *L) {
  return run_verb(L, V_RELEASE);
}

static int conn_rollback_to(lua_State *L) {
  return run_verb(L, V_ROLLBACK_TO);
}

/* {====================================================================
** Host I/O (drivers whose bytes travel over the host's socket)
** ===================================================================== */

static lconn *check_hosted(lua_State *L, int idx) {
  lconn *lc = check_conn(L, idx);
  if (lc->drv->io == NULL)
    sl_lua_usage(L, "driver '%s' does its own I/O", lc->drv->name);
  return lc;
}

/* conn:hostio() -> io, batch: whether the host moves the bytes, and
** whether the driver has a batch of its own. */
static int conn_hostio(lua_State *L) {
  lconn *lc = check_conn(L, 1);
  lua_pushboolean(L, lc->drv->io != NULL);
  lua_pushboolean(L, lc->drv->batch != NULL);
  return 2;
}

/* conn:io() -> out, want, tls: bytes to send now (nil when none), how
** many bytes to read next (0: make the pending call again), and whether
** the socket must start TLS after sending. */
static int conn_io(lua_State *L) {
  lconn *lc = check_hosted(L, 1);
  sl_io io;
  memset(&io, 0, sizeof io);
  if (lc->c != NULL) lc->drv->io(lc->c, &io);
  if (io.out != NULL && io.outlen > 0)
    lua_pushlstring(L, io.out, io.outlen);
  else
    lua_pushnil(L);
  lua_pushinteger(L, (lua_Integer)io.want);
  lua_pushboolean(L, io.tls);
  return 3;
}

/* conn:feed(bytes) -> true, or false, message when they break the
** protocol (the driver then fails the pending call, kind connection). */
static int conn_feed(lua_State *L) {
  lconn *lc = check_hosted(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  sl_error err;
  sl_error_clear(&err);
  if (lc->c == NULL) return closed_error(L, lc);
  if (lc->drv->feed(lc->c, data, len, &err) != SL_OK) {
    lc->drv->lost(lc->c, err.message);
    lua_pushboolean(L, 0);
    lua_pushstring(L, err.message);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* conn:lost(why): the socket failed; the pending call then fails with kind
** connection naming why. */
static int conn_lost_io(lua_State *L) {
  lconn *lc = check_hosted(L, 1);
  const char *why = luaL_optstring(L, 2, "the connection was closed");
  if (lc->c != NULL) lc->drv->lost(lc->c, why);
  return 0;
}

/* conn:ready() -> nothing once the server accepted the session, or
** core.AGAIN; raises kind connection when it refused. */
static int conn_ready(lua_State *L) {
  lconn *lc = check_open(L, 1);
  sl_error err;
  sl_error_clear(&err);
  if (lc->drv->ready == NULL) return 0;
  return verb_result(L, lc, lc->drv->ready(lc->c, &err), &err, P_READY, 0,
                     NULL);
}

/* conn:quit(reset): queues the protocol's goodbye (reset false) for io(),
** or makes the session reusable by a later connection (reset true: may
** give core.AGAIN). */
static int conn_quit(lua_State *L) {
  lconn *lc = check_open(L, 1);
  int reset = lua_toboolean(L, 2);
  sl_error err;
  sl_error_clear(&err);
  if (lc->drv->quit == NULL) return 0;
  return verb_result(L, lc, lc->drv->quit(lc->c, reset, &err), &err, P_QUIT,
                     reset, NULL);
}

/* conn:again(): makes the pending call again once the host moved the bytes
** io() asked for; returns what that call returns (core.AGAIN while it still
** waits). */
static int conn_again(lua_State *L) {
  lconn *lc = check_conn(L, 1);
  int pending = lc->pending, rc, curidx;
  lcursor *cur;
  sl_error err;
  if (lc->c == NULL) return closed_error(L, lc);
  lua_settop(L, 1);
  sl_error_clear(&err);
  if (pending == P_NONE || pending == P_ITER)
    return sl_lua_usage(L, "no call is waiting on this connection");
  lc->pending = P_NONE;
  switch (pending) {
  case P_READY:
    rc = lc->drv->ready(lc->c, &err);
    break;
  case P_QUIT:
    rc = lc->drv->quit(lc->c, lc->pending_verb, &err);
    break;
  case P_BEGIN: {
    sl_txopts opts;
    opts.mode = lc->pending_arg;
    rc = lc->drv->begin(lc->c, &opts, &err);
    break;
  }
  case P_VERB:
    rc = verb_call(lc, lc->pending_verb, lc->pending_arg, &err);
    break;
  case P_BATCH: {
    int i, n;
    sl_lua_getuv(L, 1);
    lua_rawgeti(L, 2, 2);
    lua_pushnil(L);
    lua_rawseti(L, 2, 2);
    lua_replace(L, 2);
    lua_rawgeti(L, 2, 6);
    n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    for (i = 2; i <= 5; i++)
      lua_rawgeti(L, 2, i);
    lua_rawgeti(L, 2, 1);
    lua_replace(L, 2); /* 1 conn, 2 items, 3-5 tables, 6 statements */
    return batch_run(L, lc, n);
  }
  default: /* P_CURSOR */
    sl_lua_getuv(L, 1);
    lua_rawgeti(L, 2, 2);
    lua_pushnil(L);
    lua_rawseti(L, 2, 2);
    curidx = lua_gettop(L);
    cur = lua_touserdata(L, curidx);
    sl_lua_getuv(L, curidx);
    lua_rawgeti(L, -1, 4); /* the key table */
    lua_pushnil(L);
    lua_rawseti(L, -3, 4);
    lua_remove(L, -2);
    switch (collect(L, cur, curidx, curidx + 1, &err)) {
    case SL_OK:
      if (cur->recycle) cursor_done(L, 1, curidx);
      if (cur->mode == M_VALUES && cur->cq == NULL) {
        lua_pushvalue(L, curidx + 1); /* exec_sql's column names */
        return 2;
      }
      return 1;
    case SL_AGAIN:
      return cursor_wait(L, lc, 1, curidx, curidx + 1);
    default:
      return cursor_fail(L, cur, &err);
    }
  }
  if (rc == SL_AGAIN) { /* still waiting, with the same arguments */
    lc->pending = pending;
    push_again(L);
    return 1;
  }
  free(lc->pending_arg);
  lc->pending_arg = NULL;
  return verb_result(L, lc, rc, &err, pending, 0, NULL);
}

/* }==================================================================== */

/* conn:close(), __gc and __close: finalizes live cursors (they then fail
** cleanly), then closes the driver connection; idempotent. */
static int conn_close(lua_State *L) {
  lconn *lc = luaL_testudata(L, 1, SL_LUA_CONN);
  if (lc != NULL) {
    conn_shut(lc);
    lc->lost = 0; /* closed by its owner now */
  }
  return 0;
}

/* conn:checkopen(): nothing while open; else the error of a call on it
** (kind connection when it was lost, usage when it was closed). */
static int conn_checkopen(lua_State *L) {
  check_open(L, 1);
  return 0;
}

/* conn:stats() -> { prepared, reused, cacheHits, cached, cacheSize }:
** native statements created on this connection, runs that reused one
** (prepared statements and cache), of those the cache's, statements the
** cache holds now, and its capacity. */
static int conn_stats(lua_State *L) {
  lconn *lc = check_conn(L, 1);
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, lc->nprepared);
  lua_setfield(L, -2, "prepared");
  lua_pushinteger(L, lc->nreused);
  lua_setfield(L, -2, "reused");
  lua_pushinteger(L, lc->nhits);
  lua_setfield(L, -2, "cacheHits");
  lua_pushinteger(L, lc->ncached);
  lua_setfield(L, -2, "cached");
  lua_pushinteger(L, lc->cache_cap);
  lua_setfield(L, -2, "cacheSize");
  return 1;
}

/* conn:intransaction(): whether a transaction is open on the connection
** (as the driver knows it). */
static int conn_intransaction(lua_State *L) {
  lconn *lc = check_open(L, 1);
  lua_pushboolean(L, lc->drv->in_transaction(lc->c));
  return 1;
}

static int conn_isclosed(lua_State *L) {
  lua_pushboolean(L, check_conn(L, 1)->c == NULL);
  return 1;
}

static int conn_dialect(lua_State *L) {
  lua_pushstring(L, check_conn(L, 1)->dialect->name);
  return 1;
}

static int conn_tostring(lua_State *L) {
  lconn *lc = luaL_testudata(L, 1, SL_LUA_CONN);
  if (lc == NULL) return 0;
  lua_pushfstring(L, SL_LUA_CONN " (%s, %s): %p", lc->drv->name,
                  lc->c ? "open" : "closed", (void *)lc);
  return 1;
}

/* Reads opts[key] as a string (numbers converted) or NULL. The string stays
** referenced by opts, which the caller keeps on the stack. */
static const char *opt_string(lua_State *L, int opts, const char *key) {
  const char *s = NULL;
  if (!lua_istable(L, opts)) return NULL;
  lua_getfield(L, opts, key);
  if (lua_type(L, -1) == LUA_TSTRING)
    s = lua_tostring(L, -1);
  else if (!lua_isnil(L, -1))
    sl_lua_usage(L, "connection option '%s' must be a string, got %s", key,
                 luaL_typename(L, -1));
  lua_pop(L, 1);
  return s;
}

/* core.connect(driver, opts) -> Connection; raises error objects. */
/* A driver outside the core: `require "sleet.driver.<name>"` gives a light
** userdata pointing at its sl_driver. Raises a usage error naming the rock
** to install when the module is missing, or when it was built for another
** driver ABI. */
static const sl_driver *load_driver(lua_State *L, const char *name) {
  const sl_driver *drv;
  int top = lua_gettop(L);
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
      sl_lua_usage(L, "unknown driver '%s'", name);
  lua_getglobal(L, "require");
  lua_pushfstring(L, "sleet.driver.%s", name);
  if (lua_pcall(L, 1, 1, 0) != 0)
    sl_lua_usage(L,
                 "no driver for '%s': module sleet.driver.%s could not be "
                 "loaded (is its rock installed?): %s",
                 name, name, lua_tostring(L, -1));
  drv = (const sl_driver *)lua_touserdata(L, -1);
  if (drv == NULL || lua_type(L, -1) != LUA_TLIGHTUSERDATA)
    sl_lua_usage(L, "module sleet.driver.%s is not a sleet driver", name);
  if (drv->abi != SL_DRIVER_ABI)
    sl_lua_usage(L,
                 "module sleet.driver.%s was built for driver ABI %d, this "
                 "core speaks %d: rebuild the driver",
                 name, drv->abi, SL_DRIVER_ABI);
  lua_settop(L, top);
  return drv;
}

int sl_lua_connect(lua_State *L) {
  const char *name = lua_tostring(L, 1);
  const sl_driver *drv = NULL;
  const sl_dialect *dialect;
  sl_connopts o;
  sl_error err;
  lconn *lc;
  int i, cache_cap = DEFAULT_CACHE_SIZE;
  if (lua_type(L, 1) != LUA_TSTRING)
    return sl_lua_usage(L, "connect: driver name expected, got %s",
                        luaL_typename(L, 1));
  for (i = 0; drivers[i] != NULL; i++)
    if (strcmp(drivers[i]->name, name) == 0) drv = drivers[i];
  if (drv == NULL) drv = load_driver(L, name);
  dialect = sl_dialect_find(drv->dialect);
  if (dialect == NULL)
    return sl_lua_usage(L, "driver '%s' names an unknown dialect '%s'", name,
                        drv->dialect);
  if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
    return sl_lua_usage(L, "connect: options must be a table, got %s",
                        luaL_typename(L, 2));
  lua_settop(L, 2);
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "statementCache");
    if (!lua_isnil(L, -1)) {
      int isnum = 0;
      lua_Integer n = lua_tointegerx(L, -1, &isnum);
      if (!isnum || n < 0 || n > 100000)
        return sl_lua_usage(L, "connection option 'statementCache' must be "
                               "a number of statements (0 disables the "
                               "cache)");
      cache_cap = (int)n;
    }
    lua_pop(L, 1);
  }
  memset(&o, 0, sizeof o);
  o.path = opt_string(L, 2, "path");
  o.host = opt_string(L, 2, "host");
  o.user = opt_string(L, 2, "user");
  o.password = opt_string(L, 2, "password");
  o.database = opt_string(L, 2, "database");
  o.socket = opt_string(L, 2, "socket");
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "port");
    if (lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING) {
      lua_Number port = lua_tonumber(L, -1);
      if (port < 0 || port > 65535 || port != (lua_Number)(int)port)
        return sl_lua_usage(L, "connection option 'port' is not a port: %s",
                            lua_tostring(L, -1));
      o.port = (int)port;
    } else if (!lua_isnil(L, -1)) {
      return sl_lua_usage(L,
                          "connection option 'port' must be a number, "
                          "got %s",
                          luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "params");
    if (lua_istable(L, -1)) {
      int params = lua_gettop(L), n = 0, anchor;
      lua_pushnil(L);
      while (lua_next(L, params)) {
        n++;
        lua_pop(L, 1);
      }
      /* pointer arrays in collectable memory, strings anchored in a table */
      o.extra_keys = sl_lua_newudata(L, sizeof(char *) * (size_t)(2 * n + 1));
      o.extra_values = o.extra_keys + n;
      lua_createtable(L, 2 * n, 0);
      anchor = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, params)) {
        int vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING ||
            (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN))
          return sl_lua_usage(L, "connection params must map names to "
                                 "strings, numbers or booleans");
        if (vt == LUA_TBOOLEAN) {
          lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
          lua_replace(L, -2);
        } else {
          lua_pushstring(L, lua_tostring(L, -1)); /* copy: keeps the key */
          lua_replace(L, -2);
        }
        o.extra_values[o.nextra] = lua_tostring(L, -1);
        lua_rawseti(L, anchor, 2 * o.nextra + 2);
        o.extra_keys[o.nextra] = lua_tostring(L, -1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, anchor, 2 * o.nextra + 1);
        o.nextra++;
      }
    } else if (!lua_isnil(L, -1)) {
      return sl_lua_usage(L, "connection option 'params' must be a table");
    }
  }
  lc = sl_lua_newudata(L, sizeof *lc);
  memset(lc, 0, sizeof *lc);
  lc->drv = drv;
  lc->dialect = dialect;
  lc->cache_cap = cache_cap;
  luaL_setmetatable(L, SL_LUA_CONN);
  lua_createtable(L, 1, 0); /* [1]: the spare cursor (cursor_take) */
  sl_lua_setuv(L, -2);
  sl_error_clear(&err);
  if (drv->connect(&o, &lc->c, &err) != SL_OK)
    return sl_lua_raise(L, &err, NULL);
  return 1;
}

static const luaL_Reg conn_methods[] = {{"exec", conn_exec},
                                        {"exec_sql", conn_exec_sql},
                                        {"prepare", conn_prepare},
                                        {"batch", conn_batch},
                                        {"stats", conn_stats},
                                        {"begin", conn_begin},
                                        {"commit", conn_commit},
                                        {"rollback", conn_rollback},
                                        {"savepoint", conn_savepoint},
                                        {"release", conn_release},
                                        {"rollback_to", conn_rollback_to},
                                        {"close", conn_close},
                                        {"isclosed", conn_isclosed},
                                        {"checkopen", conn_checkopen},
                                        {"dialect", conn_dialect},
                                        {"setsession", conn_setsession},
                                        {"runner", conn_runner},
                                        {"hostio", conn_hostio},
                                        {"intransaction", conn_intransaction},
                                        {"io", conn_io},
                                        {"feed", conn_feed},
                                        {"lost", conn_lost_io},
                                        {"ready", conn_ready},
                                        {"quit", conn_quit},
                                        {"again", conn_again},
                                        {NULL, NULL}};

static const luaL_Reg conn_meta[] = {{"__gc", conn_close},
                                     {"__close", conn_close},
                                     {"__tostring", conn_tostring},
                                     {NULL, NULL}};

static const luaL_Reg cursor_methods[] = {{"close", cursor_close},
                                          {NULL, NULL}};

static const luaL_Reg prepared_methods[] = {{"exec", prepared_exec},
                                            {"runner", prepared_runner},
                                            {"close", prepared_close},
                                            {"isclosed", prepared_isclosed},
                                            {NULL, NULL}};

static const luaL_Reg prepared_meta[] = {{"__gc", prepared_close},
                                         {"__close", prepared_close},
                                         {"__tostring", prepared_tostring},
                                         {NULL, NULL}};

static const luaL_Reg cursor_meta[] = {{"__gc", cursor_close},
                                       {"__close", cursor_close},
                                       {"__tostring", cursor_tostring},
                                       {NULL, NULL}};

/* Registers the SL_LUA_CONN and SL_LUA_CURSOR metatables. */
void sl_lua_open_conn(lua_State *L) {
  sl_lua_newmeta(L, SL_LUA_CONN, &sl_lua_key_conn, conn_meta, conn_methods);
  sl_lua_newmeta(L, SL_LUA_CURSOR, NULL, cursor_meta, cursor_methods);
  sl_lua_newmeta(L, SL_LUA_PREPARED, &sl_lua_key_prepared, prepared_meta,
                 prepared_methods);
}

/* }==================================================================== */
