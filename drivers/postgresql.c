/*
** postgresql.c — the PostgreSQL driver (sl_driver_postgresql) on libpq.
**
** Statements travel through the extended protocol: prepare() keeps the SQL
** text, bind() lays the parameters out for libpq, and the first step() runs
** the unnamed statement with PQexecParams (parse, bind and execute in one
** round trip). Parameters go apart from the SQL text: numbers, booleans and
** text in text format with type OID 0 so that the server infers each type
** from its context; byte strings in binary format as bytea.
**
** Results are requested in text format and fetched whole at the first
** step, so a statement never keeps the connection busy: other statements
** may run while a cursor is being iterated (the Lua layer allows that).
** A run the binding reads row by row (stream(): iter) uses libpq's
** single-row mode instead, so that memory stays flat however large the
** result; any other command while such a result is still arriving first
** reads the rest of it into the statement's queue (settle()), so its
** iterator keeps every row.
** Cells are decoded by type OID: integers and floats natively, booleans as
** booleans, bytea from its hex (or escape) form into a buffer the statement
** owns, and everything else (numeric, dates and times, json, uuid, enums)
** as text that the codecs read.
**
** Sessions read and write timestamps in UTC: unless the caller passes its
** own `options`, the connection starts with TimeZone=UTC (plus ISO dates
** and exact float output), so a timestamp without time zone means the same
** instant as the UTC strings sleet returns.
**
** Connecting gives up after connect_timeout seconds (a param, libpq's
** meaning; 10 when unset) with a connection error naming host, port and
** the timeout.
**
** A lost connection (server stopped, network cut, backend terminated) is
** reported as a connection error; the connection is then marked broken and
** every later call fails the same way without touching the socket. Only
** close() is useful then; a new connect works once the server is back.
**
** Kept statements (prepare_persistent) become named server-side statements
** "sleet_<n>" at their first step (PQprepare, with the parameter types of
** that first run) and run with PQexecPrepared afterwards: the server parses
** and plans them once per connection. A run whose byte-string parameters
** differ from the prepared types goes through PQexecParams instead. A
** statement the server no longer knows (DISCARD ALL, DEALLOCATE ALL) or
** whose result type changed under it (ALTER TABLE) is prepared again, and
** the run retried when no transaction block was open. finalize()
** deallocates the server's statement; inside a transaction that is
** deferred until the session is idle, so that a failing DEALLOCATE never
** aborts the caller's transaction.
**
** batch() sends its statements through libpq's pipeline mode: one round
** trip, run by the server as one implicit transaction (or, inside an open
** transaction, between a savepoint and its release).
*/
/* clock_gettime, newlocale and uselocale are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "sl_driver.h"
#include "pg_values.h"

/* Seconds libpq waits for a server when the caller sets no
** connect_timeout (the MySQL driver's default too): a server that accepts
** and never answers must not hang the caller. */
#define PG_DEFAULT_CONNECT_TIMEOUT "10"

struct sl_conn {
  PGconn *pg;
  int broken;       /* the server connection was lost: only close() helps */
  unsigned next_id; /* of the next named statement */
  /* named statements finalized inside a transaction, deallocated once the
  ** session is idle */
  unsigned *pending;
  int npending, pending_cap;
  /* the statement whose result is arriving row by row (stream mode) */
  sl_stmt *streaming;
};

/* Where a decoded bytea cell of the current row lives in bytes. */
typedef struct cellspan {
  size_t off, n;
  int ok; /* decoded (else the cell is passed as text) */
} cellspan;

struct sl_stmt {
  sl_conn *conn;
  char *sql; /* NUL-terminated copy of the statement text */
  /* kept statements: "sleet_<id>" on the server once on_server is set,
  ** prepared with the parameter types ptypes (nslots) */
  int persistent;
  int on_server;
  unsigned id;
  Oid *ptypes;
  int nslots;  /* parameters the statement was prepared for */
  int nparams; /* parameters bound (nslots after a bind) */
  /* parameters as libpq takes them; text lives in ptext */
  const char **values;
  int *lengths;
  int *formats;
  Oid *types;
  char *ptext;
  size_t ptext_cap;
  /* the result, fetched whole at the first step */
  PGresult *res;
  int executed;
  int nrows, ncols, row;
  /* decoded bytea cells of the current row (spans_cap kept across runs:
  ** decode_row_bytes sets every span of a row before it is read) */
  cellspan *spans;
  int spans_cap;
  char *bytes;
  size_t bytes_cap;
  /* stream mode: rows read ahead by settle() (single-row results), the
  ** final result (its command tag), an error that came after the first
  ** row, and whether the end was reached */
  int stream;
  PGresult **queue;
  int qhead, nqueue, qcap;
  PGresult *final;
  sl_error *serr;
  int sdone;
};

/* {====================================================================
** Errors
** ===================================================================== */

/* Copies the first line of src (without trailing blanks) into dst. */
static void first_line(char *dst, size_t size, const char *src) {
  size_t n = 0;
  if (size == 0) return;
  if (src != NULL)
    while (src[n] != '\0' && src[n] != '\n' && src[n] != '\r')
      n++;
  while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\t'))
    n--;
  if (n >= size) n = size - 1;
  if (n > 0) memcpy(dst, src, n);
  dst[n] = '\0';
}

static int oom_error(sl_error *err) {
  return sl_error_set(err, SL_EK_DATABASE, "out of memory");
}

/* The error of a call on a connection already known to be lost. */
static int broken_error(sl_error *err) {
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost; close it and "
                      "connect again");
}

/* Fills err from a failed result (res may be NULL: no memory, or the
** connection is gone) and returns SL_ERROR. A lost connection, or a class
** 08 SQLSTATE, is kind connection and marks c broken; everything else,
** serialization failures (40001) included, is kind database with the
** server's diagnostic fields so that callers can react to them. 08P01
** (protocol violation) on a connection that is still fine is a statement
** error: the server answers so to a wrong parameter count. */
static int result_fail(sl_conn *c, const PGresult *res, sl_error *err) {
  const char *state = NULL, *primary = NULL;
  char line[sizeof err->message];
  int lost = PQstatus(c->pg) == CONNECTION_BAD;
  sl_error_clear(err);
  if (res != NULL) {
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (primary == NULL) primary = PQresultErrorMessage(res);
  }
  if (primary == NULL || *primary == '\0') primary = PQerrorMessage(c->pg);
  first_line(line, sizeof line, primary);
  if (line[0] == '\0')
    snprintf(line, sizeof line, "%s",
             res == NULL ? "out of memory" : "unknown server error");
  if (state != NULL && strncmp(state, "08", 2) == 0 &&
      strcmp(state, "08P01") != 0)
    lost = 1;
  /* the backend was terminated (pg_terminate_backend, shutdown): the
  ** socket is about to close */
  if (state != NULL &&
      (strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
       strcmp(state, "57P03") == 0))
    lost = 1;
  if (lost) {
    c->broken = 1;
    sl_error_set(err, SL_EK_CONNECTION, "connection to the server was lost: %s",
                 line);
  } else {
    sl_error_set(err, SL_EK_DATABASE, "%s", line);
  }
  if (state != NULL) sl_error_field(err->sqlstate, sizeof err->sqlstate, state);
  if (res != NULL) {
    sl_error_field(err->constraint_name, sizeof err->constraint_name,
                   PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME));
    sl_error_field(err->table, sizeof err->table,
                   PQresultErrorField(res, PG_DIAG_TABLE_NAME));
    sl_error_field(err->column, sizeof err->column,
                   PQresultErrorField(res, PG_DIAG_COLUMN_NAME));
    sl_error_field(err->detail, sizeof err->detail,
                   PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
  }
  return SL_ERROR;
}

/* Ends a COPY the server started (sleet has no COPY API) so that the
** connection is ready for the next command; returns the final result. */
static PGresult *abandon_copy(PGconn *pg, PGresult *res) {
  ExecStatusType st = PQresultStatus(res);
  PGresult *last = NULL, *next;
  PQclear(res);
  if (st == PGRES_COPY_IN || st == PGRES_COPY_BOTH)
    PQputCopyEnd(pg, "COPY is not supported by sleet");
  if (st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
    char *buf = NULL;
    while (PQgetCopyData(pg, &buf, 0) > 0) {
      PQfreemem(buf);
      buf = NULL;
    }
  }
  while ((next = PQgetResult(pg)) != NULL) {
    PQclear(last);
    last = next;
  }
  return last;
}

static int is_copy(const PGresult *res) {
  ExecStatusType st = PQresultStatus(res);
  return st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH;
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

/* Notices (e.g. "table does not exist, skipping") are not errors; libpq
** would print them on stderr. */
static void ignore_notice(void *arg, const PGresult *res) {
  (void)arg;
  (void)res;
}

/* A socket given as the socket file itself ("/run/pg/.s.PGSQL.5432"):
** libpq wants its directory and the port of its name. Writes the directory
** into dir and the port into *port when unset. */
static const char *socket_dir(const char *socket, char *dir, size_t size,
                              int *port) {
  const char *slash = strrchr(socket, '/');
  const char *name = slash ? slash + 1 : socket;
  char *end;
  long p;
  size_t n;
  if (strncmp(name, ".s.PGSQL.", 9) != 0 || slash == NULL) return socket;
  errno = 0;
  p = strtol(name + 9, &end, 10);
  if (errno != 0 || *end != '\0' || p <= 0 || p > 65535) return socket;
  n = (size_t)(slash - socket);
  if (n == 0) n = 1; /* "/.s.PGSQL.5432": the root directory */
  if (n >= size) return socket;
  memcpy(dir, socket, n);
  dir[n] = '\0';
  if (*port == 0) *port = (int)p;
  return dir;
}

static double now_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The failure of a connect that took `elapsed` seconds: when that reached
** the timeout, the message says so and names where it tried to connect
** (libpq's own text may be translated, so time decides, not the text).
** libpq 15 sets its deadline with time(), in whole seconds: a timeout of
** n s may end after anything above n - 1 s. */
static int connect_failed(const char *host, const char *port,
                          const char *timeout, double elapsed, const char *line,
                          sl_error *err) {
  char *end;
  long limit = strtol(timeout, &end, 10);
  if (*end != '\0' || limit <= 0) limit = 0;
  if (limit > 0 && limit < 2) limit = 2; /* libpq's minimum */
  if (limit > 0 && elapsed >= (double)limit - 1.05)
    return sl_error_set(err, SL_EK_CONNECTION,
                        "could not connect to %s%s%s within %s s "
                        "(connect_timeout): %s",
                        host ? host : "the local socket", port ? ":" : "",
                        port ? port : "", timeout,
                        line[0] ? line : "timeout expired");
  return sl_error_set(err, SL_EK_CONNECTION, "%s",
                      line[0] ? line : "could not connect to the server");
}

static int pg_connect(const sl_connopts *opts, sl_conn **out, sl_error *err) {
  /* fixed keys (host, port, user, password, dbname, options,
  ** connect_timeout, client_encoding), the caller's params, the
  ** terminator */
  size_t cap = 10 + (size_t)(opts->nextra > 0 ? opts->nextra : 0);
  const char **keys = NULL, **vals = NULL;
  char portbuf[16], dirbuf[1024];
  const char *host = opts->host, *timeout = PG_DEFAULT_CONNECT_TIMEOUT;
  int port = opts->port, nk = 0, i, has_options = 0, has_timeout = 0;
  double started;
  PGconn *pg;
  sl_conn *c;
  *out = NULL;
  sl_error_clear(err);
  keys = malloc(cap * sizeof *keys);
  vals = malloc(cap * sizeof *vals);
  if (keys == NULL || vals == NULL) {
    free(keys);
    free(vals);
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  }
  if (opts->socket != NULL && *opts->socket != '\0')
    host = socket_dir(opts->socket, dirbuf, sizeof dirbuf, &port);
  if (host != NULL && *host != '\0') {
    keys[nk] = "host";
    vals[nk++] = host;
  }
  if (port > 0) {
    snprintf(portbuf, sizeof portbuf, "%d", port);
    keys[nk] = "port";
    vals[nk++] = portbuf;
  }
  if (opts->user != NULL) {
    keys[nk] = "user";
    vals[nk++] = opts->user;
  }
  if (opts->password != NULL) {
    keys[nk] = "password";
    vals[nk++] = opts->password;
  }
  if (opts->database != NULL) {
    keys[nk] = "dbname";
    vals[nk++] = opts->database;
  }
  /* Every other key goes to libpq as is (sslmode, application_name,
  ** connect_timeout, ...); libpq rejects unknown ones. Later keys win. */
  for (i = 0; i < opts->nextra; i++) {
    if (strcmp(opts->extra_keys[i], "options") == 0) has_options = 1;
    if (strcmp(opts->extra_keys[i], "connect_timeout") == 0) {
      has_timeout = 1;
      timeout = opts->extra_values[i];
    }
    keys[nk] = opts->extra_keys[i];
    vals[nk++] = opts->extra_values[i];
  }
  /* sleet reads and writes timestamps in UTC, parses ISO dates and wants
  ** floats printed exactly: the session starts so unless the caller chose
  ** its own startup options (offsets in timestamptz text are still
  ** honoured then). */
  if (!has_options) {
    keys[nk] = "options";
    vals[nk++] = "-c TimeZone=UTC -c DateStyle=ISO,MDY "
                 "-c extra_float_digits=3";
  }
  if (!has_timeout) {
    keys[nk] = "connect_timeout";
    vals[nk++] = PG_DEFAULT_CONNECT_TIMEOUT;
  }
  /* Cells are decoded as UTF-8: not negotiable. */
  keys[nk] = "client_encoding";
  vals[nk++] = "UTF8";
  keys[nk] = NULL;
  vals[nk] = NULL;
  /* expand_dbname = 0: a database name is never read as a conninfo. */
  started = now_seconds();
  pg = PQconnectdbParams(keys, vals, 0);
  free(keys);
  free(vals);
  if (pg == NULL) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  if (PQstatus(pg) != CONNECTION_OK) {
    char line[sizeof err->message];
    first_line(line, sizeof line, PQerrorMessage(pg));
    PQfinish(pg);
    return connect_failed(host && *host ? host : NULL,
                          port > 0 ? portbuf : NULL, timeout,
                          now_seconds() - started, line, err);
  }
  PQsetNoticeReceiver(pg, ignore_notice, NULL);
  c = calloc(1, sizeof *c);
  if (c == NULL) {
    PQfinish(pg);
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  }
  c->pg = pg;
  c->broken = 0;
  c->next_id = 0;
  c->pending = NULL;
  c->npending = c->pending_cap = 0;
  *out = c;
  return SL_OK;
}

/* Closing the session drops its named statements on the server. */
static void pg_close(sl_conn *c) {
  if (c == NULL) return;
  PQfinish(c->pg);
  free(c->pending);
  free(c);
}

/* }==================================================================== */

/* {====================================================================
** Statements
** ===================================================================== */

/* Drops the result and its decoded cells; the statement can run again. */
static void stream_clear(sl_stmt *s);
static void settle(sl_conn *c, const sl_stmt *except);

static void stmt_clear(sl_stmt *s) {
  stream_clear(s);
  PQclear(s->res);
  s->res = NULL;
  s->executed = 0;
  s->nrows = s->ncols = 0;
  s->row = -1;
}

static int pg_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                      sl_stmt **out, sl_error *err) {
  sl_stmt *s;
  *out = NULL;
  if (c->broken) return broken_error(err);
  if (nparams < 0 || nparams > PG_MAX_PARAMS)
    return sl_error_set(err, SL_EK_USAGE,
                        "PostgreSQL takes at most %d parameters per "
                        "statement, %d given",
                        PG_MAX_PARAMS, nparams);
  if (memchr(sql, '\0', len) != NULL)
    return sl_error_set(err, SL_EK_USAGE, "SQL text contains a NUL byte");
  s = calloc(1, sizeof *s);
  if (s == NULL) return oom_error(err);
  s->conn = c;
  s->row = -1;
  s->nslots = nparams;
  s->sql = malloc(len + 1);
  if (s->sql == NULL) {
    free(s);
    return oom_error(err);
  }
  memcpy(s->sql, sql, len);
  s->sql[len] = '\0';
  if (nparams > 0) {
    size_t n = (size_t)nparams;
    s->values = malloc(n * sizeof *s->values);
    s->lengths = malloc(n * sizeof *s->lengths);
    s->formats = malloc(n * sizeof *s->formats);
    s->types = malloc(n * sizeof *s->types);
    s->ptypes = malloc(n * sizeof *s->ptypes);
    if (!s->values || !s->lengths || !s->formats || !s->types || !s->ptypes) {
      free(s->values);
      free(s->lengths);
      free(s->formats);
      free(s->types);
      free(s->ptypes);
      free(s->sql);
      free(s);
      return oom_error(err);
    }
  }
  *out = s;
  return SL_OK;
}

static int pg_prepare_persistent(sl_conn *c, const char *sql, size_t len,
                                 int nparams, sl_stmt **out, sl_error *err) {
  if (pg_prepare(c, sql, len, nparams, out, err) != SL_OK) return SL_ERROR;
  (*out)->persistent = 1;
  return SL_OK;
}

static int pg_bind(sl_stmt *s, const sl_value *params, int nparams,
                   sl_error *err) {
  static const char empty[1] = "";
  size_t need = 0, off = 0;
  int i;
  if (nparams != s->nslots)
    return sl_error_set(err, SL_EK_USAGE,
                        "statement takes %d parameter%s, %d given", s->nslots,
                        s->nslots == 1 ? "" : "s", nparams);
  /* Text parameters are copied NUL-terminated, as libpq reads them. */
  for (i = 0; i < nparams; i++) {
    const sl_value *v = &params[i];
    switch (v->type) {
    case SL_V_INT:
    case SL_V_FLOAT:
    case SL_V_BOOL:
      need += PG_NUM_TEXT_SIZE;
      break;
    case SL_V_TEXT:
      if (v->u.s.n > 0 && memchr(v->u.s.p, '\0', v->u.s.n) != NULL)
        return sl_error_set(err, SL_EK_VALIDATION,
                            "PostgreSQL text cannot contain NUL bytes "
                            "(parameter $%d)",
                            i + 1);
      need += v->u.s.n + 1;
      break;
    case SL_V_NULL:
    case SL_V_BLOB:
      break;
    default:
      return sl_error_set(err, SL_EK_USAGE, "bad value type for parameter %d",
                          i + 1);
    }
  }
  if (need > s->ptext_cap) {
    char *p = realloc(s->ptext, need);
    if (p == NULL) return oom_error(err);
    s->ptext = p;
    s->ptext_cap = need;
  }
  for (i = 0; i < nparams; i++) {
    const sl_value *v = &params[i];
    char *t = s->ptext + off;
    s->formats[i] = 0;
    s->types[i] = 0; /* inferred by the server from the context */
    s->lengths[i] = 0;
    switch (v->type) {
    case SL_V_NULL:
      s->values[i] = NULL;
      break;
    case SL_V_INT:
    case SL_V_FLOAT:
    case SL_V_BOOL:
      pgv_param_text(t, v);
      s->values[i] = t;
      off += PG_NUM_TEXT_SIZE;
      break;
    case SL_V_TEXT:
      if (v->u.s.n > 0) memcpy(t, v->u.s.p, v->u.s.n);
      t[v->u.s.n] = '\0';
      s->values[i] = t;
      off += v->u.s.n + 1;
      break;
    default: /* SL_V_BLOB: binary bytea, borrowed */
      if (v->u.s.n > INT_MAX)
        return sl_error_set(err, SL_EK_VALIDATION,
                            "parameter $%d: byte string too long", i + 1);
      s->values[i] = v->u.s.n > 0 ? v->u.s.p : empty;
      s->lengths[i] = (int)v->u.s.n;
      s->formats[i] = 1;
      s->types[i] = PG_OID_BYTEA;
      break;
    }
  }
  s->nparams = nparams;
  return SL_OK;
}

/* Decodes the bytea cells of the current row into s->bytes. */
static int decode_row_bytes(sl_stmt *s, sl_error *err) {
  size_t need = 0, off = 0;
  int i;
  for (i = 0; i < s->ncols; i++) {
    s->spans[i].ok = 0;
    if (PQftype(s->res, i) == PG_OID_BYTEA && !PQgetisnull(s->res, s->row, i))
      need += (size_t)PQgetlength(s->res, s->row, i);
  }
  if (need == 0) return SL_OK; /* no bytea cell, or all empty or NULL */
  if (need > s->bytes_cap) {
    char *p = realloc(s->bytes, need);
    if (p == NULL) return oom_error(err);
    s->bytes = p;
    s->bytes_cap = need;
  }
  for (i = 0; i < s->ncols; i++) {
    const char *src;
    long long n;
    if (PQftype(s->res, i) != PG_OID_BYTEA || PQgetisnull(s->res, s->row, i))
      continue;
    src = PQgetvalue(s->res, s->row, i);
    n = pgv_unbytea(src, (size_t)PQgetlength(s->res, s->row, i),
                    s->bytes + off);
    if (n < 0) continue; /* passed on as text */
    s->spans[i].off = off;
    s->spans[i].n = (size_t)n;
    s->spans[i].ok = 1;
    off += (size_t)n;
  }
  return SL_OK;
}

/* {====================================================================
** Named statements
** ===================================================================== */

static void stmt_name(char *buf, size_t size, unsigned id) {
  snprintf(buf, size, "sleet_%u", id);
}

/* Deallocates the named statements given up so far, in one round trip;
** only when the session is idle, where a failure harms nothing. */
static void flush_pending(sl_conn *c) {
  sl_buf b;
  char sql[48];
  int i;
  if (c->broken || c->npending == 0 ||
      PQtransactionStatus(c->pg) != PQTRANS_IDLE)
    return;
  sl_buf_init(&b);
  for (i = 0; i < c->npending; i++) {
    snprintf(sql, sizeof sql, "deallocate \"sleet_%u\";", c->pending[i]);
    sl_buf_adds(&b, sql);
  }
  if (!b.oom) {
    PGresult *res = PQexec(c->pg, b.p);
    PQclear(res);
    if (PQstatus(c->pg) == CONNECTION_BAD) c->broken = 1;
  }
  sl_buf_free(&b);
  c->npending = 0;
}

/* Forgets the server's statement of s. The DEALLOCATE waits for the next
** statement this connection prepares (eviction from the binding's cache
** makes room for one): finalizing costs no round trip, closing the session
** drops them all anyway, and a DEALLOCATE failing inside a transaction
** would abort it. */
static void stmt_unprepare(sl_stmt *s) {
  sl_conn *c = s->conn;
  if (!s->on_server) return;
  s->on_server = 0;
  if (c->broken) return;
  if (c->npending == c->pending_cap) {
    int cap = c->pending_cap ? 2 * c->pending_cap : 8;
    unsigned *p = realloc(c->pending, (size_t)cap * sizeof *p);
    if (p == NULL) return; /* the server frees it with the session */
    c->pending = p;
    c->pending_cap = cap;
  }
  c->pending[c->npending++] = s->id;
}

/* The bound parameter types equal those the statement was prepared with. */
static int types_match(const sl_stmt *s) {
  int i;
  for (i = 0; i < s->nparams; i++)
    if (s->types[i] != s->ptypes[i]) return 0;
  return 1;
}

/* True when a failed run of a named statement should prepare it again:
** the server lost it, or its result type changed. */
static int needs_reprepare(const PGresult *res) {
  const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  if (state == NULL) return 0;
  return strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0;
}

/* Makes the named statement of s with the bound types. */
static int stmt_prepare_named(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->conn;
  char name[32];
  PGresult *res;
  settle(c, s);
  flush_pending(c);
  if (c->broken) return broken_error(err);
  s->id = ++c->next_id;
  stmt_name(name, sizeof name, s->id);
  res = PQprepare(c->pg, name, s->sql, s->nparams, s->types);
  if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
    result_fail(c, res, err);
    PQclear(res);
    return SL_ERROR;
  }
  PQclear(res);
  if (s->nparams > 0)
    memcpy(s->ptypes, s->types, (size_t)s->nparams * sizeof *s->ptypes);
  s->on_server = 1;
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Stream mode (libpq's single-row mode)
** ===================================================================== */

/* Reads every result still arriving for s and drops it. */
static void stream_drain(sl_stmt *s) {
  sl_conn *c = s->conn;
  PGresult *res;
  if (c->streaming != s) return;
  c->streaming = NULL;
  while ((res = PQgetResult(c->pg)) != NULL)
    PQclear(res);
  if (PQstatus(c->pg) == CONNECTION_BAD) c->broken = 1;
}

/* Forgets what stream mode kept of s's run. */
static void stream_clear(sl_stmt *s) {
  stream_drain(s);
  while (s->qhead < s->nqueue)
    PQclear(s->queue[s->qhead++]);
  s->qhead = s->nqueue = 0;
  PQclear(s->final);
  s->final = NULL;
  free(s->serr);
  s->serr = NULL;
  s->sdone = 0;
}

/* Keeps an error of s's stream for its iterator (the first one). */
static void stream_error(sl_stmt *s, const PGresult *res) {
  if (s->serr != NULL) return;
  s->serr = malloc(sizeof *s->serr);
  if (s->serr == NULL) return;
  sl_error_clear(s->serr);
  if (res == NULL) {
    sl_error_set(s->serr, SL_EK_DATABASE, "out of memory");
    return;
  }
  result_fail(s->conn, res, s->serr);
}

/* Before any other command on c: the rest of the result arriving for the
** streaming statement (except: the caller itself) moves into its queue. */
static void settle(sl_conn *c, const sl_stmt *except) {
  sl_stmt *s = c->streaming;
  PGresult *res;
  if (s == NULL || s == except) return;
  c->streaming = NULL;
  while ((res = PQgetResult(c->pg)) != NULL) {
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_SINGLE_TUPLE && s->serr == NULL) {
      if (s->nqueue == s->qcap) {
        int cap = s->qcap ? 2 * s->qcap : 64;
        PGresult **q = realloc(s->queue, (size_t)cap * sizeof *q);
        if (q == NULL) {
          stream_error(s, NULL);
          PQclear(res);
          continue;
        }
        s->queue = q;
        s->qcap = cap;
      }
      s->queue[s->nqueue++] = res;
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      PQclear(s->final);
      s->final = res;
    } else {
      if (st != PGRES_SINGLE_TUPLE) stream_error(s, res);
      PQclear(res);
    }
  }
  if (PQstatus(c->pg) == CONNECTION_BAD) c->broken = 1;
}

/* Keeps res (a successful result) as the statement's result. */
static int stmt_take(sl_stmt *s, PGresult *res, sl_error *err) {
  ExecStatusType st = PQresultStatus(res);
  s->res = res;
  s->executed = 1;
  s->row = -1;
  s->nrows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
  s->ncols = PQnfields(res);
  if (s->ncols > s->spans_cap) {
    cellspan *p = realloc(s->spans, (size_t)s->ncols * sizeof *p);
    if (p == NULL) {
      stmt_clear(s);
      return oom_error(err);
    }
    s->spans = p;
    s->spans_cap = s->ncols;
  }
  return SL_OK;
}

static int result_ok(const PGresult *res) {
  ExecStatusType st = PQresultStatus(res);
  return res != NULL && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ||
                         st == PGRES_EMPTY_QUERY);
}

/* One run: the named statement when s is kept and its types match,
** else the unnamed one. */
static PGresult *run_once(sl_stmt *s, int *named) {
  sl_conn *c = s->conn;
  *named = s->persistent && s->on_server && types_match(s);
  if (*named) {
    char name[32];
    stmt_name(name, sizeof name, s->id);
    return PQexecPrepared(c->pg, name, s->nparams, s->values, s->lengths,
                          s->formats, 0);
  }
  return PQexecParams(c->pg, s->sql, s->nparams, s->types, s->values,
                      s->lengths, s->formats, 0);
}

/* Stream mode: sends the run and reads its first result (kept in the
** queue for the first step), preparing a stale named statement again as
** stmt_execute does. */
static int stream_start(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->conn;
  PGresult *res;
  int named, ok, retried = 0;
  for (;;) {
    char name[32];
    named = s->persistent && s->on_server && types_match(s);
    stmt_name(name, sizeof name, s->id);
    ok = named ? PQsendQueryPrepared(c->pg, name, s->nparams, s->values,
                                     s->lengths, s->formats, 0)
               : PQsendQueryParams(c->pg, s->sql, s->nparams, s->types,
                                   s->values, s->lengths, s->formats, 0);
    if (!ok) return result_fail(c, NULL, err);
    PQsetSingleRowMode(c->pg);
    c->streaming = s;
    s->executed = 1;
    res = PQgetResult(c->pg);
    if (res != NULL && is_copy(res)) {
      c->streaming = NULL;
      res = abandon_copy(c->pg, res);
      PQclear(res);
      if (PQstatus(c->pg) == CONNECTION_BAD) return result_fail(c, NULL, err);
      return sl_error_set(err, SL_EK_USAGE,
                          "COPY statements are not supported");
    }
    if (result_ok(res) || PQresultStatus(res) == PGRES_SINGLE_TUPLE) break;
    stream_drain(s);
    if (named && res != NULL && needs_reprepare(res) &&
        PQstatus(c->pg) == CONNECTION_OK) {
      stmt_unprepare(s);
      if (!retried && PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
        retried = 1;
        PQclear(res);
        if (stmt_prepare_named(s, err) != SL_OK) return SL_ERROR;
        continue;
      }
    }
    result_fail(c, res, err);
    PQclear(res);
    return SL_ERROR;
  }
  if (s->qcap == 0) {
    s->queue = malloc(64 * sizeof *s->queue);
    if (s->queue == NULL) {
      PQclear(res);
      stream_drain(s);
      return oom_error(err);
    }
    s->qcap = 64;
  }
  s->queue[0] = res;
  s->qhead = 0;
  s->nqueue = 1;
  s->row = -1;
  s->nrows = 0;
  return SL_OK;
}

/* Stream mode: the next row, from the current result, the queue or the
** server. */
static int stream_step(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->conn;
  for (;;) {
    PGresult *res;
    ExecStatusType st;
    if (s->sdone) return SL_DONE;
    if (s->res != NULL && s->row + 1 < s->nrows) {
      s->row++;
      if (decode_row_bytes(s, err) != SL_OK) return SL_ERROR;
      return SL_ROW;
    }
    if (s->qhead < s->nqueue) {
      res = s->queue[s->qhead++];
      if (s->qhead == s->nqueue) s->qhead = s->nqueue = 0;
    } else if (c->streaming == s) {
      res = PQgetResult(c->pg);
      if (res == NULL) {
        c->streaming = NULL;
        if (PQstatus(c->pg) == CONNECTION_BAD) c->broken = 1;
      }
    } else {
      res = NULL;
    }
    if (res == NULL) { /* the end: the final result holds the command tag */
      s->sdone = 1;
      if (s->serr != NULL) {
        *err = *s->serr;
        return SL_ERROR;
      }
      if (s->final != NULL) {
        PQclear(s->res);
        s->res = s->final;
        s->final = NULL;
        s->nrows = 0;
        s->row = -1;
        s->ncols = PQnfields(s->res);
      }
      return SL_DONE;
    }
    st = PQresultStatus(res);
    if (st == PGRES_SINGLE_TUPLE) {
      PQclear(s->res);
      s->res = NULL;
      if (stmt_take(s, res, err) != SL_OK) {
        PQclear(res);
        return SL_ERROR;
      }
      s->nrows = PQntuples(res);
      continue;
    }
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ||
        st == PGRES_EMPTY_QUERY) {
      PQclear(s->final);
      s->final = res;
      continue;
    }
    result_fail(c, res, err);
    PQclear(res);
    stream_drain(s);
    s->sdone = 1;
    return SL_ERROR;
  }
}

/* Runs the statement and keeps its whole result. */
static int stmt_execute(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->conn;
  PGresult *res;
  int named, retried = 0;
  settle(c, s);
  if (c->broken) return broken_error(err);
  if (s->stream) {
    if (s->persistent && !s->on_server && stmt_prepare_named(s, err) != SL_OK)
      return SL_ERROR;
    return stream_start(s, err);
  }
  if (s->persistent && !s->on_server && stmt_prepare_named(s, err) != SL_OK)
    return SL_ERROR;
  for (;;) {
    res = run_once(s, &named);
    if (res != NULL && is_copy(res)) {
      res = abandon_copy(c->pg, res);
      PQclear(res);
      if (PQstatus(c->pg) == CONNECTION_BAD) return result_fail(c, NULL, err);
      return sl_error_set(err, SL_EK_USAGE,
                          "COPY statements are not supported");
    }
    if (result_ok(res)) break;
    /* a named statement gone stale: prepare it again, and run it again
    ** when that cannot disturb a transaction */
    if (named && res != NULL && needs_reprepare(res) &&
        PQstatus(c->pg) == CONNECTION_OK) {
      stmt_unprepare(s);
      if (!retried && PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
        retried = 1;
        PQclear(res);
        if (stmt_prepare_named(s, err) != SL_OK) return SL_ERROR;
        continue;
      }
    }
    result_fail(c, res, err);
    PQclear(res);
    return SL_ERROR;
  }
  return stmt_take(s, res, err);
}

static int pg_step(sl_stmt *s, sl_error *err) {
  if (!s->executed && stmt_execute(s, err) != SL_OK) return SL_ERROR;
  if (s->stream) return stream_step(s, err);
  if (s->row >= s->nrows) return SL_DONE;
  if (++s->row >= s->nrows) return SL_DONE;
  if (decode_row_bytes(s, err) != SL_OK) return SL_ERROR;
  return SL_ROW;
}

static int pg_ncolumns(sl_stmt *s) {
  return s->res ? s->ncols : 0;
}

static const char *pg_column_name(sl_stmt *s, int i) {
  const char *name = s->res ? PQfname(s->res, i) : NULL;
  return name ? name : "?";
}

static void pg_column(sl_stmt *s, int i, sl_value *out) {
  const char *p;
  if (s->res == NULL || s->row < 0 || s->row >= s->nrows || i < 0 ||
      i >= s->ncols || PQgetisnull(s->res, s->row, i)) {
    out->type = SL_V_NULL;
    return;
  }
  p = PQgetvalue(s->res, s->row, i);
  if (PQftype(s->res, i) == PG_OID_BYTEA && s->spans[i].ok) {
    out->type = SL_V_BLOB;
    out->u.s.p = s->bytes + s->spans[i].off;
    out->u.s.n = s->spans[i].n;
    if (out->u.s.n == 0) out->u.s.p = "";
    return;
  }
  /* numbers, booleans; text for the rest (bytea that did not decode) */
  pgv_cell(PQftype(s->res, i), p, (size_t)PQgetlength(s->res, s->row, i), out);
}

static int pg_reset(sl_stmt *s, sl_error *err) {
  (void)err;
  stmt_clear(s);
  s->stream = 0;
  return SL_OK;
}

/* Rows of this run arrive as the server sends them (single-row mode). */
static void pg_stream(sl_stmt *s) {
  s->stream = 1;
}

static void pg_finalize(sl_stmt *s) {
  if (s == NULL) return;
  stmt_clear(s);
  stmt_unprepare(s);
  free(s->values);
  free(s->lengths);
  free(s->formats);
  free(s->types);
  free(s->ptypes);
  free(s->ptext);
  free(s->spans);
  free(s->bytes);
  free(s->queue);
  free(s->sql);
  free(s);
}

/* The count of the command tag ("INSERT 0 3", "UPDATE 2", "SELECT 5"). */
static long long pg_rows_affected(sl_conn *c, sl_stmt *s) {
  const char *n;
  (void)c;
  if (s == NULL || s->res == NULL) return 0;
  n = PQcmdTuples(s->res);
  return n != NULL && *n != '\0' ? strtoll(n, NULL, 10) : 0;
}

/* PostgreSQL has no implicit last id: generated keys come back through
** RETURNING. */
static long long pg_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  (void)c;
  (void)s;
  *has_id = 0;
  return 0;
}

/* Runs SQL text through the simple protocol, which allows several
** statements (migrations, DDL scripts). */
static int pg_exec(sl_conn *c, const char *sql, sl_error *err) {
  PGresult *res;
  ExecStatusType st;
  settle(c, NULL);
  if (c->broken) return broken_error(err);
  res = PQexec(c->pg, sql);
  if (res != NULL && is_copy(res)) {
    res = abandon_copy(c->pg, res);
    PQclear(res);
    if (PQstatus(c->pg) == CONNECTION_BAD) return result_fail(c, NULL, err);
    return sl_error_set(err, SL_EK_USAGE, "COPY statements are not supported");
  }
  st = PQresultStatus(res);
  if (res == NULL || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
                      st != PGRES_EMPTY_QUERY)) {
    result_fail(c, res, err);
    PQclear(res);
    return SL_ERROR;
  }
  PQclear(res);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Transactions
** ===================================================================== */

/* Runs verb followed by name as a quoted identifier. */
static int exec_verb(sl_conn *c, const char *verb, const char *name,
                     sl_error *err) {
  sl_buf b;
  const char *p;
  int status;
  sl_buf_init(&b);
  sl_buf_adds(&b, verb);
  sl_buf_adds(&b, " \"");
  for (p = name; *p != '\0'; p++) {
    if (*p == '"') sl_buf_addc(&b, '"');
    sl_buf_addc(&b, *p);
  }
  sl_buf_addc(&b, '"');
  if (b.oom) {
    sl_buf_free(&b);
    return oom_error(err);
  }
  status = pg_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

static int pg_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  sl_buf b;
  int status;
  if (opts == NULL || opts->mode == NULL || *opts->mode == '\0')
    return pg_exec(c, "begin", err);
  sl_buf_init(&b);
  sl_buf_adds(&b, "begin ");
  sl_buf_adds(&b, opts->mode);
  if (b.oom) {
    sl_buf_free(&b);
    return oom_error(err);
  }
  status = pg_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

static int pg_commit(sl_conn *c, sl_error *err) {
  return pg_exec(c, "commit", err);
}

static int pg_rollback(sl_conn *c, sl_error *err) {
  return pg_exec(c, "rollback", err);
}

static int pg_savepoint(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "savepoint", name, err);
}

static int pg_release(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "release savepoint", name, err);
}

static int pg_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "rollback to savepoint", name, err);
}

static int pg_in_transaction(sl_conn *c) {
  PGTransactionStatusType ts;
  settle(c, NULL);
  ts = PQtransactionStatus(c->pg);
  return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR || ts == PQTRANS_ACTIVE;
}

/* }==================================================================== */

/* {====================================================================
** Batches: libpq pipeline mode
** ===================================================================== */

/* What one queued pipeline command was. */
enum { PC_VERB, PC_PREPARE, PC_EXEC };
typedef struct pipecmd {
  int kind;
  int index; /* the statement's, -1 for savepoint verbs */
} pipecmd;

/* The pipeline can no longer be trusted: the connection is given up. */
static int pipeline_lost(sl_conn *c, sl_error *err) {
  c->broken = 1;
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost during a batch: %s",
                      PQerrorMessage(c->pg));
}

/* Queues the commands of stmts (and the savepoint verbs when sp) into
** cmds; 0 when libpq refused one. */
static int pipeline_send(sl_conn *c, sl_stmt *const *stmts, int n, int sp,
                         pipecmd *cmds, int *ncmd) {
  PGconn *pg = c->pg;
  char name[32];
  int i;
  *ncmd = 0;
  if (sp) {
    if (!PQsendQueryParams(pg, "savepoint sleet_batch", 0, NULL, NULL, NULL,
                           NULL, 0))
      return 0;
    cmds[(*ncmd)++] = (pipecmd){PC_VERB, -1};
  }
  for (i = 0; i < n; i++) {
    sl_stmt *s = stmts[i];
    int ok;
    stmt_clear(s);
    if (s->persistent && !s->on_server) {
      s->id = ++c->next_id;
      stmt_name(name, sizeof name, s->id);
      if (!PQsendPrepare(pg, name, s->sql, s->nparams, s->types)) return 0;
      cmds[(*ncmd)++] = (pipecmd){PC_PREPARE, i};
      ok = PQsendQueryPrepared(pg, name, s->nparams, s->values, s->lengths,
                               s->formats, 0);
    } else if (s->persistent && types_match(s)) {
      stmt_name(name, sizeof name, s->id);
      ok = PQsendQueryPrepared(pg, name, s->nparams, s->values, s->lengths,
                               s->formats, 0);
    } else {
      ok = PQsendQueryParams(pg, s->sql, s->nparams, s->types, s->values,
                             s->lengths, s->formats, 0);
    }
    if (!ok) return 0;
    cmds[(*ncmd)++] = (pipecmd){PC_EXEC, i};
  }
  if (sp) {
    if (!PQsendQueryParams(pg, "release savepoint sleet_batch", 0, NULL, NULL,
                           NULL, NULL, 0))
      return 0;
    cmds[(*ncmd)++] = (pipecmd){PC_VERB, -1};
  }
  return PQpipelineSync(pg);
}

/* Reads the result of every queued command, then the sync. Returns 0 when
** the connection was lost; *bad is set when a command failed (the first
** failure fills err and *failed). */
static int pipeline_read(sl_conn *c, sl_stmt *const *stmts, const pipecmd *cmds,
                         int ncmd, int *failed, int *bad, sl_error *err) {
  PGconn *pg = c->pg;
  PGresult *res;
  int k;
  for (k = 0; k < ncmd; k++) {
    const pipecmd *cmd = &cmds[k];
    sl_stmt *s = cmd->index >= 0 ? stmts[cmd->index] : NULL;
    ExecStatusType st;
    res = PQgetResult(pg);
    if (res == NULL) return 0;
    st = PQresultStatus(res);
    if (PQstatus(pg) == CONNECTION_BAD) {
      if (!*bad) result_fail(c, res, err);
      PQclear(res);
      return 0;
    }
    if (st == PGRES_PIPELINE_ABORTED) {
      PQclear(res);
    } else if (cmd->kind == PC_EXEC && result_ok(res)) {
      sl_error oom;
      if (stmt_take(s, res, &oom) != SL_OK && !*bad) {
        *bad = 1;
        *failed = cmd->index;
        *err = oom;
      }
    } else if (cmd->kind != PC_EXEC && st == PGRES_COMMAND_OK) {
      if (cmd->kind == PC_PREPARE) {
        if (s->nparams > 0)
          memcpy(s->ptypes, s->types, (size_t)s->nparams * sizeof *s->ptypes);
        s->on_server = 1;
      }
      PQclear(res);
    } else {
      int copy = is_copy(res);
      if (!*bad) {
        *bad = 1;
        *failed = cmd->index;
        result_fail(c, res, err);
        if (copy)
          sl_error_set(err, SL_EK_USAGE, "COPY statements are not supported");
      }
      PQclear(res);
      if (copy) return 0; /* the protocol state is unknown */
    }
    /* each command's results end with a NULL */
    while ((res = PQgetResult(pg)) != NULL) {
      if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) { /* out of step */
        PQclear(res);
        return 0;
      }
      PQclear(res);
    }
  }
  res = PQgetResult(pg);
  if (res == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
    PQclear(res);
    return 0;
  }
  PQclear(res);
  return 1;
}

/* One round trip: every statement is queued (named statements not yet on
** the server are prepared in the same pipeline), then a sync. With no
** transaction open the pipeline is one implicit transaction, which the
** server rolls back whole when a statement fails; inside one, the
** statements run between a savepoint and its release, and a failure
** rolls back to the savepoint. */
static int pg_batch(sl_conn *c, sl_stmt *const *stmts, int n, int *failed,
                    sl_error *err) {
  PGconn *pg = c->pg;
  pipecmd *cmds;
  int ncmd = 0, bad = 0, sp;
  *failed = -1;
  settle(c, NULL);
  if (c->broken) return broken_error(err);
  if (n <= 0) return SL_OK;
  flush_pending(c);
  if (c->broken) return broken_error(err);
  sp = PQtransactionStatus(pg) == PQTRANS_INTRANS;
  cmds = malloc((size_t)(2 * n + 2) * sizeof *cmds);
  if (cmds == NULL) return oom_error(err);
  if (!PQenterPipelineMode(pg)) {
    free(cmds);
    return result_fail(c, NULL, err);
  }
  if (!pipeline_send(c, stmts, n, sp, cmds, &ncmd) ||
      !pipeline_read(c, stmts, cmds, ncmd, failed, &bad, err)) {
    free(cmds);
    if (bad && c->broken) return SL_ERROR;
    return pipeline_lost(c, err);
  }
  free(cmds);
  if (!PQexitPipelineMode(pg)) return pipeline_lost(c, err);
  if (bad && sp) {
    sl_error ignored;
    pg_exec(c,
            "rollback to savepoint sleet_batch; release savepoint "
            "sleet_batch",
            &ignored);
  }
  return bad ? SL_ERROR : SL_OK;
}

/* }==================================================================== */

/* The PostgreSQL driver: "postgresql" connections through libpq, speaking
** sl_dialect_postgresql. */
const sl_driver sl_driver_postgresql = {
    .abi = SL_DRIVER_ABI,
    .name = "postgresql",
    .dialect = "postgresql",
    .connect = pg_connect,
    .close = pg_close,
    .prepare = pg_prepare,
    .bind = pg_bind,
    .step = pg_step,
    .ncolumns = pg_ncolumns,
    .column_name = pg_column_name,
    .column = pg_column,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .rows_affected = pg_rows_affected,
    .last_insert_id = pg_last_insert_id,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .prepare_persistent = pg_prepare_persistent,
    .in_transaction = pg_in_transaction,
    .batch = pg_batch,
    .stream = pg_stream,
};
