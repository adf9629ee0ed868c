/*
** sqlite.c — the SQLite driver (sl_driver_sqlite) on the sqlite3 C API.
**
** Connections open with extended result codes, a 5 s busy timeout,
** foreign key enforcement on (what Drizzle users expect from SQLite) and
** double-quoted string literals off (a misspelt column is an error), in
** multi-thread mode (no mutex around each call: a connection is used by
** one thread at a time).
** Parameter bytes are bound SQLITE_STATIC: the driver contract says they
** stay valid until the statement is done.
*/
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sl_driver.h"

struct sl_conn {
  sqlite3 *db;
};

struct sl_stmt {
  sl_conn *conn;
  sqlite3_stmt *st; /* NULL for text holding only comments/whitespace */
  int writes;       /* INSERT/UPDATE/DELETE/REPLACE (or WITH ... of those) */
  int inserts;      /* INSERT/REPLACE: last_insert_id is meaningful */
};

/* {====================================================================
** Errors
** ===================================================================== */

/* Copies "TABLE.COLUMN" (the first of a list) into err. */
static void set_table_column(sl_error *err, const char *s) {
  const char *dot = strchr(s, '.');
  size_t n;
  char buf[128];
  if (dot == NULL) return;
  n = (size_t)(dot - s);
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  sl_error_field(err->table, sizeof err->table, buf);
  /* A composite key lists "t.a, t.b": keep the column only when single. */
  if (strchr(dot + 1, ',') == NULL)
    sl_error_field(err->column, sizeof err->column, dot + 1);
}

static int is_identifier(const char *s) {
  if (*s == '\0' || (*s >= '0' && *s <= '9')) return 0;
  for (; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_' || *s == '$' ||
          (unsigned char)*s >= 0x80))
      return 0;
  return 1;
}

/* SQLite names no SQLSTATE; constraint violations get the standard class 23
** codes so that callers can test err.sqlstate the same way in every
** dialect. Table, column and constraint come from the message text, the only
** place SQLite reports them. */
static void constraint_info(int xcode, const char *msg, sl_error *err) {
  const char *code = NULL;
  const char *rest;
  switch (xcode) {
  case SQLITE_CONSTRAINT_UNIQUE:
  case SQLITE_CONSTRAINT_PRIMARYKEY:
    code = "23505";
    break;
  case SQLITE_CONSTRAINT_NOTNULL:
    code = "23502";
    break;
  case SQLITE_CONSTRAINT_FOREIGNKEY:
    code = "23503";
    break;
  case SQLITE_CONSTRAINT_CHECK:
    code = "23514";
    break;
  default:
    code = "23000";
    break;
  }
  sl_error_field(err->sqlstate, sizeof err->sqlstate, code);
  rest = strstr(msg, "constraint failed: ");
  if (rest == NULL) return;
  rest += strlen("constraint failed: ");
  switch (xcode) {
  case SQLITE_CONSTRAINT_UNIQUE:
  case SQLITE_CONSTRAINT_PRIMARYKEY:
    /* A unique expression index is reported as "index 'name'". */
    if (strncmp(rest, "index '", 7) == 0) {
      char buf[128];
      const char *end = strchr(rest + 7, '\'');
      size_t n = end ? (size_t)(end - rest - 7) : strlen(rest + 7);
      if (n >= sizeof buf) n = sizeof buf - 1;
      memcpy(buf, rest + 7, n);
      buf[n] = '\0';
      sl_error_field(err->constraint_name, sizeof err->constraint_name, buf);
    } else {
      set_table_column(err, rest);
    }
    break;
  case SQLITE_CONSTRAINT_NOTNULL:
    set_table_column(err, rest);
    break;
  case SQLITE_CONSTRAINT_CHECK:
    /* A named check reports its name, an unnamed one its expression. */
    if (is_identifier(rest))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, rest);
    break;
  default:
    break;
  }
}

/* Fills err from the connection's last error (rc is the failing call's
** result) and returns SL_ERROR. */
static int db_fail(sqlite3 *db, int rc, sl_error *err) {
  int xcode = db ? sqlite3_extended_errcode(db) : rc;
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  sl_errkind kind;
  /* The connection's code may be stale when the failing call reported its
  ** own (e.g. SQLITE_MISUSE): trust rc's primary code. */
  if ((xcode & 0xff) != (rc & 0xff)) {
    xcode = rc;
    msg = sqlite3_errstr(rc);
  }
  switch (xcode & 0xff) {
  case SQLITE_CANTOPEN:
  case SQLITE_NOTADB:
  case SQLITE_IOERR:
    kind = SL_EK_CONNECTION;
    break;
  case SQLITE_RANGE:
  case SQLITE_MISUSE:
    kind = SL_EK_USAGE;
    break;
  default:
    kind = SL_EK_DATABASE;
    break;
  }
  sl_error_clear(err);
  sl_error_set(err, kind, "%s", msg);
  err->code = xcode;
  err->has_code = 1;
  if ((xcode & 0xff) == SQLITE_CONSTRAINT) constraint_info(xcode, msg, err);
  return SL_ERROR;
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

static int apply_option(sqlite3 *db, const char *key, const char *value,
                        sl_error *err) {
  char sql[96];
  if (strcmp(key, "busy_timeout") == 0) {
    char *end;
    long ms = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || ms < 0 || ms > INT_MAX)
      return sl_error_set(err, SL_EK_USAGE,
                          "sqlite option busy_timeout must be a number of "
                          "milliseconds, got '%s'",
                          value);
    sqlite3_busy_timeout(db, (int)ms);
    return SL_OK;
  }
  if (strcmp(key, "foreign_keys") == 0) {
    int on = strcmp(value, "on") == 0 || strcmp(value, "true") == 0 ||
             strcmp(value, "1") == 0;
    int off = strcmp(value, "off") == 0 || strcmp(value, "false") == 0 ||
              strcmp(value, "0") == 0;
    if (!on && !off)
      return sl_error_set(err, SL_EK_USAGE,
                          "sqlite option foreign_keys must be on or off, "
                          "got '%s'",
                          value);
    strcpy(sql, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
  } else if (strcmp(key, "journal_mode") == 0) {
    static const char *const modes[] = {
        "delete", "truncate", "persist", "memory", "wal", "off", NULL};
    int i;
    for (i = 0; modes[i] != NULL; i++)
      if (sqlite3_stricmp(value, modes[i]) == 0) break;
    if (modes[i] == NULL)
      return sl_error_set(err, SL_EK_USAGE, "unknown sqlite journal_mode '%s'",
                          value);
    sqlite3_snprintf((int)sizeof sql, sql, "PRAGMA journal_mode = %s",
                     modes[i]);
  } else {
    return sl_error_set(err, SL_EK_USAGE, "unknown sqlite option '%s'", key);
  }
  {
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return db_fail(db, rc, err);
  }
  return SL_OK;
}

static int sq_connect(const sl_connopts *opts, sl_conn **out, sl_error *err) {
  const char *path = opts->path ? opts->path : opts->database;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3 *db = NULL;
  sl_conn *c;
  int rc, i;
  *out = NULL;
  sl_error_clear(err);
  if (path == NULL || *path == '\0') path = ":memory:";
  /* Every key is checked before the file is opened: a typo must not
  ** create a database file. */
  for (i = 0; i < opts->nextra; i++) {
    const char *k = opts->extra_keys[i], *v = opts->extra_values[i];
    if (strcmp(k, "mode") != 0) {
      if (strcmp(k, "busy_timeout") != 0 && strcmp(k, "foreign_keys") != 0 &&
          strcmp(k, "journal_mode") != 0)
        return sl_error_set(err, SL_EK_USAGE,
                            "unknown sqlite option '%s' (mode, busy_timeout, "
                            "foreign_keys or journal_mode)",
                            k);
      continue;
    }
    if (strcmp(v, "ro") == 0)
      flags = SQLITE_OPEN_READONLY;
    else if (strcmp(v, "rw") == 0)
      flags = SQLITE_OPEN_READWRITE;
    else if (strcmp(v, "rwc") == 0)
      flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    else if (strcmp(v, "memory") == 0)
      flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;
    else
      return sl_error_set(err, SL_EK_USAGE,
                          "sqlite option mode must be ro, rw, rwc or memory, "
                          "got '%s'",
                          v);
  }
  /* A connection belongs to one Lua state, which never runs it from two
  ** threads at once: SQLite's per-call connection mutex only costs. */
  rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    if (db == NULL)
      return sl_error_set(err, SL_EK_CONNECTION, "%s", sqlite3_errstr(rc));
    db_fail(db, rc, err);
    err->kind = SL_EK_CONNECTION;
    sqlite3_close_v2(db);
    return SL_ERROR;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
#ifdef SQLITE_DBCONFIG_DQS_DML
  /* "name" is an identifier, never a string: a missing column must be an
  ** error, not a string holding its own name. */
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
#endif
  rc = sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    db_fail(db, rc, err);
    err->kind = SL_EK_CONNECTION;
    sqlite3_close_v2(db);
    return SL_ERROR;
  }
  for (i = 0; i < opts->nextra; i++) {
    if (strcmp(opts->extra_keys[i], "mode") == 0) continue;
    if (apply_option(db, opts->extra_keys[i], opts->extra_values[i], err) !=
        SL_OK) {
      sqlite3_close_v2(db);
      return SL_ERROR;
    }
  }
  c = malloc(sizeof *c);
  if (c == NULL) {
    sqlite3_close_v2(db);
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  }
  c->db = db;
  *out = c;
  return SL_OK;
}

static void sq_close(sl_conn *c) {
  if (c == NULL) return;
  sqlite3_close_v2(c->db);
  free(c);
}

/* }==================================================================== */

/* {====================================================================
** Statements
** ===================================================================== */

/* Skips whitespace, comments, ';' and '(' (a parenthesised query). */
static const char *skip_space(const char *p, const char *end) {
  while (p < end) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
        *p == '\v' || *p == ';' || *p == '(') {
      p++;
    } else if (*p == '-' && p + 1 < end && p[1] == '-') {
      while (p < end && *p != '\n')
        p++;
    } else if (*p == '/' && p + 1 < end && p[1] == '*') {
      p += 2;
      while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
        p++;
      p = p + 1 < end ? p + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

static int keyword_is(const char *p, const char *end, const char *kw) {
  size_t n = strlen(kw);
  if ((size_t)(end - p) < n || sqlite3_strnicmp(p, kw, (int)n) != 0) return 0;
  p += n;
  return p == end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       (*p >= '0' && *p <= '9') || *p == '_');
}

/* Prepares the first statement of [p, end), skipping empty ones (text of
** only comments and ';'). *st is NULL when there is none; *tail is where
** the text after it starts. */
static int prepare_first(sqlite3 *db, const char *p, const char *end,
                         unsigned flags, sqlite3_stmt **st, const char **tail) {
  int rc = SQLITE_OK;
  *st = NULL;
  *tail = end;
  while (p < end) {
    const char *next = NULL;
    rc = sqlite3_prepare_v3(db, p, (int)(end - p), flags, st, &next);
    if (rc != SQLITE_OK || *st != NULL) {
      *tail = next ? next : end;
      break;
    }
    if (next == NULL || next <= p) break;
    p = next;
  }
  return rc;
}

/* Prepares sql; flags are sqlite3_prepare_v3's. */
static int prepare_stmt(sl_conn *c, const char *sql, size_t len, unsigned flags,
                        sl_stmt **out, sl_error *err) {
  const char *end = sql + len, *tail, *kw, *kwend;
  sqlite3_stmt *st = NULL;
  sl_stmt *s;
  int rc;
  *out = NULL;
  if (len > (size_t)INT_MAX - 1)
    return sl_error_set(err, SL_EK_USAGE, "SQL text too long");
  rc = prepare_first(c->db, sql, end, flags, &st, &tail);
  if (rc != SQLITE_OK) return db_fail(c->db, rc, err);
  /* Text after the first statement would silently not run: refuse it
  ** unless it is only comments and separators. */
  if (st != NULL && tail < end) {
    sqlite3_stmt *next = NULL;
    const char *rest;
    rc = prepare_first(c->db, tail, end, 0, &next, &rest);
    sqlite3_finalize(next);
    if (rc != SQLITE_OK || next != NULL) {
      sqlite3_finalize(st);
      return sl_error_set(err, SL_EK_USAGE,
                          "SQL text holds more than one statement");
    }
  }
  s = malloc(sizeof *s);
  if (s == NULL) {
    sqlite3_finalize(st);
    return sl_error_set(err, SL_EK_DATABASE, "out of memory");
  }
  s->conn = c;
  s->st = st;
  s->writes = 0;
  s->inserts = 0;
  if (st != NULL && !sqlite3_stmt_readonly(st)) {
    kw = sqlite3_sql(st);
    kwend = kw + strlen(kw);
    kw = skip_space(kw, kwend);
    if (keyword_is(kw, kwend, "insert") || keyword_is(kw, kwend, "replace"))
      s->writes = s->inserts = 1;
    else if (keyword_is(kw, kwend, "update") ||
             keyword_is(kw, kwend, "delete") || keyword_is(kw, kwend, "with"))
      s->writes = 1;
  }
  *out = s;
  return SL_OK;
}

/* SQLite's own error for too many parameters ("too many SQL variables")
** names neither the limit nor the count: say both before compiling. */
static int check_nparams(sl_conn *c, int nparams, sl_error *err) {
  int limit = sqlite3_limit(c->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  if (nparams > limit)
    return sl_error_set(err, SL_EK_USAGE,
                        "SQLite takes at most %d parameters per statement, "
                        "%d given",
                        limit, nparams);
  return SL_OK;
}

static int sq_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                      sl_stmt **out, sl_error *err) {
  /* the count is checked against the statement in bind */
  *out = NULL;
  if (check_nparams(c, nparams, err) != SL_OK) return SL_ERROR;
  return prepare_stmt(c, sql, len, 0, out, err);
}

/* A kept statement: SQLite is told it lives long, so that its memory does
** not come from the lookaside pool meant for short-lived ones. */
static int sq_prepare_persistent(sl_conn *c, const char *sql, size_t len,
                                 int nparams, sl_stmt **out, sl_error *err) {
  *out = NULL;
  if (check_nparams(c, nparams, err) != SL_OK) return SL_ERROR;
  return prepare_stmt(c, sql, len, SQLITE_PREPARE_PERSISTENT, out, err);
}

static int sq_bind(sl_stmt *s, const sl_value *params, int nparams,
                   sl_error *err) {
  static const char empty[1] = "";
  int i, rc = SQLITE_OK, want;
  if (s->st == NULL)
    want = 0;
  else
    want = sqlite3_bind_parameter_count(s->st);
  if (want != nparams)
    return sl_error_set(err, SL_EK_USAGE,
                        "statement takes %d parameter%s, %d given", want,
                        want == 1 ? "" : "s", nparams);
  for (i = 0; i < nparams && rc == SQLITE_OK; i++) {
    const sl_value *v = &params[i];
    int col = i + 1;
    switch (v->type) {
    case SL_V_NULL:
      rc = sqlite3_bind_null(s->st, col);
      break;
    case SL_V_INT:
      rc = sqlite3_bind_int64(s->st, col, (sqlite3_int64)v->u.i);
      break;
    case SL_V_FLOAT:
      rc = sqlite3_bind_double(s->st, col, v->u.f);
      break;
    case SL_V_BOOL:
      rc = sqlite3_bind_int(s->st, col, v->u.b != 0);
      break;
    case SL_V_TEXT:
      /* A NULL pointer would bind SQL NULL: "" keeps an empty string. */
      rc = sqlite3_bind_text64(s->st, col, v->u.s.p ? v->u.s.p : empty,
                               (sqlite3_uint64)v->u.s.n, SQLITE_STATIC,
                               SQLITE_UTF8);
      break;
    case SL_V_BLOB:
      rc = sqlite3_bind_blob64(s->st, col, v->u.s.p ? v->u.s.p : empty,
                               (sqlite3_uint64)v->u.s.n, SQLITE_STATIC);
      break;
    default:
      return sl_error_set(err, SL_EK_USAGE, "bad value type for parameter %d",
                          col);
    }
  }
  if (rc != SQLITE_OK) return db_fail(s->conn->db, rc, err);
  return SL_OK;
}

static int sq_step(sl_stmt *s, sl_error *err) {
  int rc;
  if (s->st == NULL) return SL_DONE;
  rc = sqlite3_step(s->st);
  if (rc == SQLITE_ROW) return SL_ROW;
  if (rc == SQLITE_DONE) return SL_DONE;
  return db_fail(s->conn->db, rc, err);
}

static int sq_ncolumns(sl_stmt *s) {
  return s->st ? sqlite3_column_count(s->st) : 0;
}

static const char *sq_column_name(sl_stmt *s, int i) {
  const char *name = s->st ? sqlite3_column_name(s->st, i) : NULL;
  return name ? name : "?";
}

static void sq_column(sl_stmt *s, int i, sl_value *out) {
  switch (sqlite3_column_type(s->st, i)) {
  case SQLITE_INTEGER:
    out->type = SL_V_INT;
    out->u.i = (int64_t)sqlite3_column_int64(s->st, i);
    break;
  case SQLITE_FLOAT:
    out->type = SL_V_FLOAT;
    out->u.f = sqlite3_column_double(s->st, i);
    break;
  case SQLITE_TEXT:
    /* text before bytes, as the sqlite3 documentation prescribes */
    out->type = SL_V_TEXT;
    out->u.s.p = (const char *)sqlite3_column_text(s->st, i);
    out->u.s.n = (size_t)sqlite3_column_bytes(s->st, i);
    if (out->u.s.p == NULL) /* out of memory converting */
      out->type = SL_V_NULL;
    break;
  case SQLITE_BLOB:
    out->type = SL_V_BLOB;
    out->u.s.p = (const char *)sqlite3_column_blob(s->st, i);
    out->u.s.n = (size_t)sqlite3_column_bytes(s->st, i);
    if (out->u.s.p == NULL) out->u.s.n = 0;
    break;
  default:
    out->type = SL_V_NULL;
    break;
  }
}

/* sqlite3_reset only repeats the last step's error, already reported.
** Parameters are bound SQLITE_STATIC: their bytes may be freed after the
** reset, so the bindings go too. */
static int sq_reset(sl_stmt *s, sl_error *err) {
  (void)err;
  if (s->st != NULL) {
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
  }
  return SL_OK;
}

static void sq_finalize(sl_stmt *s) {
  if (s == NULL) return;
  sqlite3_finalize(s->st);
  free(s);
}

/* sqlite3_changes64 keeps the count of the last write, so statements that
** write nothing report 0 instead of a stale count. */
static long long sq_rows_affected(sl_conn *c, sl_stmt *s) {
  if (s == NULL || !s->writes) return 0;
  return (long long)sqlite3_changes64(c->db);
}

static long long sq_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  *has_id = 0;
  if (s == NULL || !s->inserts || sqlite3_changes64(c->db) == 0) return 0;
  *has_id = 1;
  return (long long)sqlite3_last_insert_rowid(c->db);
}

static int sq_exec(sl_conn *c, const char *sql, sl_error *err) {
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) return db_fail(c->db, rc, err);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Transactions
** ===================================================================== */

/* Runs verb followed by name as a quoted identifier (when not NULL). */
static int exec_verb(sl_conn *c, const char *verb, const char *name,
                     sl_error *err) {
  sl_buf b;
  int status;
  sl_buf_init(&b);
  sl_buf_adds(&b, verb);
  if (name != NULL) {
    sl_buf_addc(&b, ' ');
    sl_quote_ident(&b, '"', name);
  }
  if (b.oom) {
    sl_buf_free(&b);
    return sl_error_set(err, SL_EK_DATABASE, "out of memory");
  }
  status = sq_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

static int sq_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  sl_buf b;
  int status;
  if (opts == NULL || opts->mode == NULL || *opts->mode == '\0')
    return sq_exec(c, "begin", err);
  sl_buf_init(&b);
  sl_buf_adds(&b, "begin ");
  sl_buf_adds(&b, opts->mode);
  if (b.oom) {
    sl_buf_free(&b);
    return sl_error_set(err, SL_EK_DATABASE, "out of memory");
  }
  status = sq_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

static int sq_commit(sl_conn *c, sl_error *err) {
  return sq_exec(c, "commit", err);
}

static int sq_rollback(sl_conn *c, sl_error *err) {
  return sq_exec(c, "rollback", err);
}

static int sq_savepoint(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "savepoint", name, err);
}

static int sq_release(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "release savepoint", name, err);
}

static int sq_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "rollback to savepoint", name, err);
}

static int sq_in_transaction(sl_conn *c) {
  return !sqlite3_get_autocommit(c->db);
}

static int sq_holds_changes(sl_stmt *s) {
  return s->st != NULL && !sqlite3_stmt_readonly(s->st);
}

/* }==================================================================== */

/* The SQLite driver: "sqlite" connections speaking sl_dialect_sqlite. */
const sl_driver sl_driver_sqlite = {
    .abi = SL_DRIVER_ABI,
    .name = "sqlite",
    .dialect = "sqlite",
    .connect = sq_connect,
    .close = sq_close,
    .prepare = sq_prepare,
    .bind = sq_bind,
    .step = sq_step,
    .ncolumns = sq_ncolumns,
    .column_name = sq_column_name,
    .column = sq_column,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .rows_affected = sq_rows_affected,
    .last_insert_id = sq_last_insert_id,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .prepare_persistent = sq_prepare_persistent,
    .in_transaction = sq_in_transaction,
    .batch = NULL,
    .holds_changes = sq_holds_changes,
};
