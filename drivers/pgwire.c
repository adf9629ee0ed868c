/*
** pgwire.c — the PostgreSQL driver over the wire engine (sl_driver_pgwire):
** no libpq and no socket. The engine (ext/sl_pgwire.h) encodes requests
** and decodes replies; the host moves the bytes (sl_driver.h, "Host I/O")
** and calls a pending function again after each SL_AGAIN.
**
** Rows, parameters and errors are those of the libpq driver
** (postgresql.c): parameters in text format with type OID 0 (byte strings
** in binary as bytea), results in text format decoded by type OID through
** pg_values.h, ErrorResponse fields mapped by sl_pgw_error exactly as
** postgresql.c maps libpq's. Sessions start in UTC with ISO dates and
** exact floats (startup parameters TimeZone, DateStyle and
** extra_float_digits) unless the caller passes its own `options`.
**
** One request is on the wire at a time: a request is a group of messages
** ended by Sync (or a simple Query), answered by one ReadyForQuery. Its
** replies go to a sink:
**   - a statement (step): DataRow by DataRow, each handed out as soon as it
**     is complete, so that memory holds one row however large the result;
**   - the statement's own buffer, when another call needs the connection
**     while that statement's result is still arriving (an open iterator):
**     the rest is read into it, and its later step()s are served from
**     there;
**   - nothing (a result abandoned by reset() or finalize(), read and
**     dropped at the start of the next call that sends);
**   - exec() and the transaction verbs (simple protocol: the first error
**     counts);
**   - a batch (pipelined statements, one Sync).
** A write read with an iterator (INSERT ... RETURNING) is thus complete
** before any other request of the connection goes out: the server
** commits its implicit transaction once it has sent the whole result,
** which the next call reads first. holds_changes is not needed.
**
** Statements: prepare() uses the unnamed statement (Parse, Bind, Describe,
** Execute, Sync in one round trip); prepare_persistent() makes a named
** statement "sleet_<n>" at its first step with that run's parameter types
** and reuses it (Bind only) while the types match. A named statement the
** server lost (26000) or whose result type changed (0A000) is parsed again
** under a new name, and the run retried when no transaction was open, as
** postgresql.c does. finalize() queues a Close for the next request: it
** never waits, and Close is harmless even in a failed transaction.
**
** Connection options: host, port, user, password, database; extra keys
** sslmode (disable by default: the host's socket may have no TLS;
** prefer, require, verify-ca, verify-full send an SSLRequest),
** application_name, options (replaces the UTC/ISO defaults, as with
** libpq), sleet_reused = "1" (the socket comes from a keepalive pool, its
** session already authenticated and reset: ready() succeeds at once).
** connect_timeout and libpq's other keywords belong to the host and are
** ignored; an unknown key is refused as libpq refuses it.
*/
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_driver.h"
#include "pg_values.h"
#include "../ext/sl_pgwire.h"

/* Where the replies of the request on the wire go. */
enum { SK_NONE, SK_DISCARD, SK_STMT, SK_EXEC, SK_BATCH };
/* The pending call (the one that returned SL_AGAIN). */
enum { OP_NONE, OP_STEP, OP_EXEC, OP_BATCH, OP_QUIT };
/* A statement's run. */
enum { ST_IDLE, ST_RUNNING, ST_DONE };

struct sl_conn {
  sl_pgw *w;
  int broken;    /* lost or failed: every call fails */
  char why[200]; /* why it was lost (lost(), a protocol error) */
  int reused;    /* sleet_reused: the handshake is behind us */
  int ready;
  unsigned next_id; /* of the next named statement */
  /* named statements given up, closed with the next request */
  unsigned *closing;
  int nclosing, closing_cap;
  /* the request on the wire */
  int inflight; /* ReadyForQuery messages still to come */
  int sink;
  sl_stmt *sinkstmt;
  /* SK_EXEC */
  int ex_failed, ex_copy;
  sl_error ex_err;
  /* the pending call */
  int op;
  const void *opkey;
  char *opsql;
  int phase;
  /* SK_BATCH */
  sl_stmt **bst;
  int bn, bcap, bsp, bcmd, bbad, bfailed, bcopy, blost;
  sl_error berr;
};

struct sl_stmt {
  sl_conn *conn;
  char *sql;
  size_t sqllen;
  int nslots; /* placeholders of the SQL */
  /* kept statements: "sleet_<id>" on the server with types ptypes */
  int persistent, on_server, preparing;
  unsigned id;
  uint32_t *ptypes;
  /* the bound run: parameter types and the Bind message's parameter part */
  int nparams;
  uint32_t *types;
  sl_buf params;
  /* the run */
  int state;
  int used_named, retried, reprepare, failed, copy, complete;
  sl_error err;
  long long affected;
  /* columns: names in colnames at nameoff[i], type OIDs */
  int ncols, colcap, have_desc;
  size_t *nameoff;
  uint32_t *oids;
  sl_buf colnames;
  /* the current row: cells point into row (streamed) or rest (buffered) */
  int has_row;
  char *row;
  size_t rowcap;
  sl_pgw_cell *cells;
  /* decoded bytea cells of the current row */
  char *bytes;
  size_t bytes_cap;
  size_t *boff, *blen;
  char *bok;
  /* rows read ahead: [uint32 length][body][spare byte] each */
  sl_buf rest;
  size_t restpos;
};

/* {====================================================================
** Errors
** ===================================================================== */

static int oom_error(sl_error *err) {
  return sl_error_set(err, SL_EK_DATABASE, "out of memory");
}

static int broken_error(const sl_conn *c, sl_error *err) {
  sl_error_clear(err);
  if (c->why[0] != '\0')
    return sl_error_set(err, SL_EK_CONNECTION,
                        "connection to the server was lost: %s", c->why);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost; close it and "
                      "connect again");
}

/* The connection can no longer be trusted; err (kind connection) says
** why. Returns SL_ERROR. */
static int conn_break(sl_conn *c, sl_error *err) {
  const char *m = err->message;
  const char *prefix = "connection to the server was lost: ";
  c->broken = 1;
  sl_pgw_fail(c->w);
  if (c->why[0] == '\0') {
    if (strncmp(m, prefix, strlen(prefix)) == 0) m += strlen(prefix);
    sl_error_field(c->why, sizeof c->why, m);
  }
  if (err->kind != SL_EK_CONNECTION) {
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    sl_error_set(err, SL_EK_CONNECTION, "connection to the server was lost: %s",
                 msg);
  }
  return SL_ERROR;
}

static int protocol_error(sl_conn *c, char type, sl_error *err) {
  sl_error_clear(err);
  sl_error_set(err, SL_EK_CONNECTION,
               "connection to the server was lost: protocol violation: "
               "unexpected message '%c'",
               type >= 32 && type < 127 ? type : '?');
  return conn_break(c, err);
}

static int copy_error(sl_error *err) {
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_USAGE, "COPY statements are not supported");
}

/* The sqlstates after which a named statement is parsed again. */
static int needs_reprepare(const sl_error *e) {
  return strcmp(e->sqlstate, "26000") == 0 || strcmp(e->sqlstate, "0A000") == 0;
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

/* libpq's keywords that concern the host (its socket, TLS files, timeouts)
** or that this driver has no use for: accepted and ignored. */
static const char *const host_keys[] = {"connect_timeout",
                                        "sslcert",
                                        "sslkey",
                                        "sslrootcert",
                                        "sslcrl",
                                        "sslcrldir",
                                        "sslpassword",
                                        "sslcompression",
                                        "sslsni",
                                        "ssl_min_protocol_version",
                                        "ssl_max_protocol_version",
                                        "requirepeer",
                                        "keepalives",
                                        "keepalives_idle",
                                        "keepalives_interval",
                                        "keepalives_count",
                                        "tcp_user_timeout",
                                        "target_session_attrs",
                                        "gssencmode",
                                        "krbsrvname",
                                        "gsslib",
                                        "channel_binding",
                                        "passfile",
                                        "service",
                                        "hostaddr",
                                        "fallback_application_name",
                                        "client_encoding",
                                        "replication",
                                        "load_balance_hosts",
                                        "require_auth",
                                        NULL};

static int is_host_key(const char *k) {
  int i;
  for (i = 0; host_keys[i] != NULL; i++)
    if (strcmp(host_keys[i], k) == 0) return 1;
  return 0;
}

static void conn_free(sl_conn *c) {
  if (c == NULL) return;
  sl_pgw_free(c->w);
  free(c->closing);
  free(c->opsql);
  free(c->bst);
  free(c);
}

static int pw_connect(const sl_connopts *opts, sl_conn **out, sl_error *err) {
  const char *keys[16], *vals[16];
  const char *user = opts->user, *password = opts->password;
  const char *database = opts->database, *options = NULL, *appname = NULL;
  char where[300];
  sl_pgw_startopts so;
  sl_conn *c;
  int i, n = 0, reused = 0;
  sl_pgw_ssl ssl = SL_PGW_SSL_DISABLE;
  *out = NULL;
  sl_error_clear(err);
  for (i = 0; i < opts->nextra; i++) {
    const char *k = opts->extra_keys[i], *v = opts->extra_values[i];
    if (strcmp(k, "sslmode") == 0) {
      if (strcmp(v, "disable") == 0 || strcmp(v, "allow") == 0)
        ssl = SL_PGW_SSL_DISABLE;
      else if (strcmp(v, "prefer") == 0)
        ssl = SL_PGW_SSL_PREFER;
      else if (strcmp(v, "require") == 0 || strcmp(v, "verify-ca") == 0 ||
               strcmp(v, "verify-full") == 0)
        ssl = SL_PGW_SSL_REQUIRE;
      else
        return sl_error_set(err, SL_EK_CONNECTION,
                            "invalid sslmode value: \"%s\"", v);
    } else if (strcmp(k, "application_name") == 0) {
      appname = v;
    } else if (strcmp(k, "options") == 0) {
      options = v;
    } else if (strcmp(k, "sleet_reused") == 0) {
      reused = strcmp(v, "1") == 0;
    } else if (strcmp(k, "user") == 0) {
      user = v;
    } else if (strcmp(k, "password") == 0) {
      password = v;
    } else if (strcmp(k, "dbname") == 0) {
      database = v;
    } else if (strcmp(k, "host") == 0 || strcmp(k, "port") == 0 ||
               is_host_key(k)) {
      continue;
    } else {
      return sl_error_set(err, SL_EK_CONNECTION,
                          "invalid connection option \"%s\"", k);
    }
  }
  /* libpq's default: the PGUSER, else the login name */
  if (user == NULL || *user == '\0') user = getenv("PGUSER");
  if (user == NULL || *user == '\0') user = getenv("USER");
  if (user == NULL || *user == '\0') user = "postgres";
  if (opts->socket != NULL && *opts->socket != '\0')
    snprintf(where, sizeof where,
             "connection to server on socket \"%s\" failed: ", opts->socket);
  else
    snprintf(where, sizeof where,
             "connection to server at \"%s\", port %d failed: ",
             opts->host && *opts->host ? opts->host : "localhost",
             opts->port > 0 ? opts->port : 5432);
  /* sleet reads and writes timestamps in UTC, parses ISO dates and wants
  ** floats printed exactly, unless the caller chose its own options */
  if (options == NULL) {
    keys[n] = "TimeZone";
    vals[n++] = "UTC";
    keys[n] = "DateStyle";
    vals[n++] = "ISO, MDY";
    keys[n] = "extra_float_digits";
    vals[n++] = "3";
  } else {
    keys[n] = "options";
    vals[n++] = options;
  }
  keys[n] = "client_encoding"; /* cells are decoded as UTF-8 */
  vals[n++] = "UTF8";
  if (appname != NULL) {
    keys[n] = "application_name";
    vals[n++] = appname;
  }
  c = calloc(1, sizeof *c);
  if (c == NULL || (c->w = sl_pgw_new()) == NULL) {
    free(c);
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  }
  c->reused = reused;
  if (reused) {
    /* the pool's session: authenticated, reset, idle */
    sl_pgw_resume(c->w);
    c->ready = 1;
    *out = c;
    return SL_OK;
  }
  memset(&so, 0, sizeof so);
  so.user = user;
  so.password = password;
  so.database = database;
  so.keys = keys;
  so.values = vals;
  so.nparams = n;
  so.ssl = ssl;
  so.where = where;
  if (sl_pgw_start(c->w, &so, err) != SL_OK) {
    conn_free(c);
    if (err->kind != SL_EK_CONNECTION) err->kind = SL_EK_CONNECTION;
    return SL_ERROR;
  }
  *out = c;
  return SL_OK;
}

static void pw_close(sl_conn *c) {
  conn_free(c);
}

static int pw_ready(sl_conn *c, sl_error *err) {
  int rc;
  if (c->ready) return SL_OK;
  if (c->broken) return broken_error(c, err);
  rc = sl_pgw_handshake(c->w, err);
  if (rc == SL_OK) c->ready = 1;
  if (rc == SL_ERROR) {
    c->broken = 1;
    sl_error_field(c->why, sizeof c->why, err->message);
  }
  return rc;
}

static void pw_io(sl_conn *c, sl_io *io) {
  memset(io, 0, sizeof *io);
  if (c->broken) return;
  if (sl_pgw_tls(c->w)) {
    io->tls = 1;
    return;
  }
  io->out = sl_pgw_out(c->w, &io->outlen);
  if ((!c->ready && !c->reused) || c->inflight > 0)
    io->want = sl_pgw_want(c->w);
}

static int pw_feed(sl_conn *c, const char *data, size_t len, sl_error *err) {
  if (c->broken) return broken_error(c, err);
  if (sl_pgw_feed(c->w, data, len, err) != SL_OK) return conn_break(c, err);
  return SL_OK;
}

static void pw_lost(sl_conn *c, const char *why) {
  c->broken = 1;
  sl_pgw_fail(c->w);
  snprintf(c->why, sizeof c->why, "%s",
           why && *why ? why : "the transport failed");
}

static int pw_in_transaction(sl_conn *c) {
  char st = sl_pgw_txstatus(c->w);
  return st == SL_PGW_INTRANS || st == SL_PGW_FAILED;
}

/* Remembers a named statement to Close with the next request. */
static void close_later(sl_conn *c, unsigned id) {
  if (c->broken) return;
  if (c->nclosing == c->closing_cap) {
    int cap = c->closing_cap ? 2 * c->closing_cap : 8;
    unsigned *p = realloc(c->closing, (size_t)cap * sizeof *p);
    if (p == NULL) return; /* the server drops it with the session */
    c->closing = p;
    c->closing_cap = cap;
  }
  c->closing[c->nclosing++] = id;
}

static void stmt_name(char *buf, size_t size, unsigned id) {
  snprintf(buf, size, "sleet_%u", id);
}

/* Queues the pending Closes (their CloseComplete replies are skipped by
** every sink); returns how many. */
static int queue_closes(sl_conn *c) {
  char name[32];
  int i, n = c->nclosing;
  for (i = 0; i < n; i++) {
    stmt_name(name, sizeof name, c->closing[i]);
    sl_pgw_close(c->w, 'S', name);
  }
  c->nclosing = 0;
  return n;
}

/* Starts the request's wait: n ReadyForQuery to come into sink. */
static void expect(sl_conn *c, int n, int sink, sl_stmt *s) {
  c->inflight = n;
  c->sink = sink;
  c->sinkstmt = s;
  sl_pgw_lookahead(c->w, 1);
}

static void request_done(sl_conn *c) {
  c->sink = SK_NONE;
  c->sinkstmt = NULL;
  sl_pgw_lookahead(c->w, 0);
}

/* Enters the pending call kind/key: 1 when it continues the call that
** returned SL_AGAIN, 0 for a new call (a call left unfinished by its
** caller is abandoned: its replies are dropped). */
static int op_enter(sl_conn *c, int kind, const void *key, const char *sql) {
  if (c->op == kind && c->opkey == key &&
      (sql == NULL || (c->opsql != NULL && strcmp(c->opsql, sql) == 0)) &&
      (c->phase == 0 || c->inflight > 0))
    return 1;
  free(c->opsql);
  c->opsql = NULL;
  c->op = kind;
  c->opkey = key;
  c->phase = 0;
  if (sql != NULL) {
    size_t n = strlen(sql) + 1;
    c->opsql = malloc(n);
    if (c->opsql != NULL) memcpy(c->opsql, sql, n);
  }
  return 0;
}

static int op_end(sl_conn *c, int rc) {
  if (rc != SL_AGAIN) {
    c->op = OP_NONE;
    c->opkey = NULL;
    free(c->opsql);
    c->opsql = NULL;
    c->phase = 0;
  }
  return rc;
}

/* }==================================================================== */

/* {====================================================================
** Statements: results
** ===================================================================== */

static void stmt_clear(sl_stmt *s) {
  s->state = ST_IDLE;
  s->used_named = s->retried = s->reprepare = s->failed = s->copy = 0;
  s->complete = 0;
  s->affected = 0;
  s->ncols = 0;
  s->have_desc = 0;
  s->has_row = 0;
  sl_buf_reset(&s->rest);
  s->restpos = 0;
}

/* Makes room for n columns. */
static int stmt_columns(sl_stmt *s, int n, sl_error *err) {
  if (n > s->colcap) {
    size_t k = (size_t)n;
    size_t *no = realloc(s->nameoff, k * sizeof *no);
    uint32_t *oi;
    sl_pgw_cell *ce;
    size_t *bo, *bl;
    char *bk;
    if (no != NULL) s->nameoff = no;
    oi = no ? realloc(s->oids, k * sizeof *oi) : NULL;
    if (oi != NULL) s->oids = oi;
    ce = oi ? realloc(s->cells, k * sizeof *ce) : NULL;
    if (ce != NULL) s->cells = ce;
    bo = ce ? realloc(s->boff, k * sizeof *bo) : NULL;
    if (bo != NULL) s->boff = bo;
    bl = bo ? realloc(s->blen, k * sizeof *bl) : NULL;
    if (bl != NULL) s->blen = bl;
    bk = bl ? realloc(s->bok, k) : NULL;
    if (bk == NULL) return oom_error(err);
    s->bok = bk;
    s->colcap = n;
  }
  return SL_OK;
}

static int take_rowdesc(sl_stmt *s, const sl_pgw_msg *m, sl_error *err) {
  sl_pgw_field *f;
  int n, i;
  if (sl_pgw_rowdesc(m, &n, NULL, 0, err) != SL_OK) return SL_ERROR;
  if (stmt_columns(s, n, err) != SL_OK) return SL_ERROR;
  f = n > 0 ? malloc((size_t)n * sizeof *f) : NULL;
  if (n > 0 && f == NULL) return oom_error(err);
  sl_pgw_rowdesc(m, &n, f, n, err);
  sl_buf_reset(&s->colnames);
  for (i = 0; i < n; i++) {
    s->nameoff[i] = s->colnames.n;
    sl_buf_add(&s->colnames, f[i].name, strlen(f[i].name) + 1);
    s->oids[i] = f[i].type_oid;
  }
  free(f);
  if (s->colnames.oom) return oom_error(err);
  s->ncols = n;
  s->have_desc = 1;
  return SL_OK;
}

/* Decodes the bytea cells of the current row into s->bytes. */
static int decode_row_bytes(sl_stmt *s, sl_error *err) {
  size_t need = 0, off = 0;
  int i;
  for (i = 0; i < s->ncols; i++) {
    s->bok[i] = 0;
    if (s->oids[i] == PG_OID_BYTEA && s->cells[i].len > 0)
      need += (size_t)s->cells[i].len;
  }
  if (need == 0) { /* empty cells decode as text: "" */
    for (i = 0; i < s->ncols; i++)
      if (s->oids[i] == PG_OID_BYTEA && s->cells[i].len == 0) {
        s->bok[i] = 1;
        s->boff[i] = s->blen[i] = 0;
      }
    return SL_OK;
  }
  if (need > s->bytes_cap) {
    char *p = realloc(s->bytes, need);
    if (p == NULL) return oom_error(err);
    s->bytes = p;
    s->bytes_cap = need;
  }
  for (i = 0; i < s->ncols; i++) {
    long long n;
    if (s->oids[i] != PG_OID_BYTEA || s->cells[i].len < 0) continue;
    n = pgv_unbytea(s->cells[i].p, (size_t)s->cells[i].len, s->bytes + off);
    if (n < 0) continue; /* passed on as text */
    s->boff[i] = off;
    s->blen[i] = (size_t)n;
    s->bok[i] = 1;
    off += (size_t)n;
  }
  return SL_OK;
}

/* Makes body (len bytes, a spare byte after it, writable) the current
** row. */
static int set_row(sl_stmt *s, char *body, size_t len, sl_error *err) {
  if (sl_pgw_datarow(body, len, s->ncols, s->cells, 1, err) != SL_OK)
    return SL_ERROR;
  if (decode_row_bytes(s, err) != SL_OK) return SL_ERROR;
  s->has_row = 1;
  return SL_OK;
}

/* A streamed DataRow: copied, so that the engine's buffer may move on. */
static int row_from_msg(sl_stmt *s, const sl_pgw_msg *m, sl_error *err) {
  if (m->len + 1 > s->rowcap) {
    size_t cap = m->len + 1 < 256 ? 256 : m->len + 1;
    char *p = realloc(s->row, cap);
    if (p == NULL) return oom_error(err);
    s->row = p;
    s->rowcap = cap;
  }
  memcpy(s->row, m->body, m->len);
  return set_row(s, s->row, m->len, err);
}

/* A DataRow kept for later (the statement's result is being read ahead). */
static int row_keep(sl_stmt *s, const sl_pgw_msg *m, sl_error *err) {
  char len[4];
  len[0] = (char)(m->len >> 24 & 0xff);
  len[1] = (char)(m->len >> 16 & 0xff);
  len[2] = (char)(m->len >> 8 & 0xff);
  len[3] = (char)(m->len & 0xff);
  sl_buf_add(&s->rest, len, 4);
  sl_buf_add(&s->rest, m->body, m->len);
  sl_buf_addc(&s->rest, '\0'); /* the spare byte */
  if (s->rest.oom) return oom_error(err);
  return SL_OK;
}

/* The next kept row, if any, becomes the current row: SL_ROW, SL_DONE
** (none left) or SL_ERROR. */
static int row_next_kept(sl_stmt *s, sl_error *err) {
  const unsigned char *u;
  size_t len;
  if (s->restpos >= s->rest.n) {
    s->has_row = 0;
    return SL_DONE;
  }
  u = (const unsigned char *)s->rest.p + s->restpos;
  len = (size_t)u[0] << 24 | (size_t)u[1] << 16 | (size_t)u[2] << 8 | u[3];
  s->restpos += 4;
  if (set_row(s, s->rest.p + s->restpos, len, err) != SL_OK) return SL_ERROR;
  s->restpos += len + 1;
  return SL_ROW;
}

/* }==================================================================== */

/* {====================================================================
** Statements: requests
** ===================================================================== */

static int types_match(const sl_stmt *s) {
  int i;
  for (i = 0; i < s->nparams; i++)
    if (s->types[i] != s->ptypes[i]) return 0;
  return 1;
}

/* Gives up the server's statement of s (Closed with the next request). */
static void stmt_unprepare(sl_stmt *s) {
  if (s->on_server || s->preparing) close_later(s->conn, s->id);
  s->on_server = s->preparing = 0;
}

/* Queues Parse (when needed), Bind, Describe and Execute of s's run. */
static void queue_run(sl_stmt *s) {
  sl_conn *c = s->conn;
  char name[32];
  const char *params = s->params.n > 0 ? s->params.p : NULL;
  s->used_named = 0;
  if (s->persistent && !s->on_server) {
    s->id = ++c->next_id;
    stmt_name(name, sizeof name, s->id);
    sl_pgw_parse(c->w, name, s->sql, s->sqllen, s->nparams, s->types);
    s->preparing = 1;
    s->used_named = 1;
  } else if (s->persistent && types_match(s)) {
    stmt_name(name, sizeof name, s->id);
    s->used_named = 1;
  } else {
    name[0] = '\0';
    sl_pgw_parse(c->w, "", s->sql, s->sqllen, s->nparams, s->types);
  }
  sl_pgw_bind(c->w, "", name, params, s->params.n);
  sl_pgw_describe(c->w, 'P', "");
  sl_pgw_execute(c->w, "", 0);
}

/* Sends s's run as a request of its own. */
static int stmt_send(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->conn;
  int retried = s->retried;
  stmt_clear(s);
  s->retried = retried;
  queue_closes(c);
  queue_run(s);
  sl_pgw_sync(c->w);
  if (sl_pgw_queued(c->w, err) != SL_OK) {
    s->preparing = 0;
    return SL_ERROR;
  }
  s->state = ST_RUNNING;
  expect(c, 1, SK_STMT, s);
  return SL_OK;
}

/* The end of s's run, as step() reports it. */
static int stmt_finish(sl_stmt *s, sl_error *err) {
  if (s->copy) {
    stmt_clear(s);
    return copy_error(err);
  }
  if (s->failed) {
    *err = s->err;
    stmt_clear(s);
    return SL_ERROR;
  }
  s->has_row = 0;
  return SL_DONE;
}

/* Reads s's replies. direct: DataRows become the current row one at a
** time (SL_ROW); else they are kept in s->rest and SL_OK means the
** request ended. SL_DONE (direct) at the end of the run, SL_AGAIN when
** bytes must travel, SL_ERROR for a lost connection (direct: also the
** statement's own error). */
static int stmt_pump(sl_stmt *s, int direct, sl_error *err) {
  sl_conn *c = s->conn;
  sl_pgw_msg m;
  for (;;) {
    int rc = sl_pgw_next(c->w, &m, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc != SL_OK) return conn_break(c, err);
    switch (m.type) {
    case '1': /* ParseComplete */
      if (s->preparing) {
        s->preparing = 0;
        s->on_server = 1;
        if (s->nparams > 0)
          memcpy(s->ptypes, s->types, (size_t)s->nparams * sizeof *s->ptypes);
      }
      break;
    case '2': /* BindComplete */
    case '3': /* CloseComplete */
    case 't': /* ParameterDescription */
    case 'd': /* CopyData */
    case 'c': /* CopyDone */
      break;
    case 'T':
      if (take_rowdesc(s, &m, err) != SL_OK) return conn_break(c, err);
      break;
    case 'n': /* NoData */
      s->ncols = 0;
      s->have_desc = 1;
      break;
    case 'D':
      if (!s->have_desc) return protocol_error(c, m.type, err);
      if (direct) {
        if (row_from_msg(s, &m, err) != SL_OK) {
          if (err->kind == SL_EK_CONNECTION) return conn_break(c, err);
          return SL_ERROR;
        }
        return SL_ROW;
      }
      if (row_keep(s, &m, err) != SL_OK) return conn_break(c, err);
      break;
    case 'C': /* CommandComplete */
      s->affected = sl_pgw_command_rows(m.body, m.len);
      s->complete = 1;
      break;
    case 'I': /* EmptyQueryResponse */
    case 's': /* PortalSuspended */
      s->complete = 1;
      break;
    case 'E':
      if (sl_pgw_error(&m, err)) return conn_break(c, err);
      if (!s->failed) {
        s->failed = 1;
        s->err = *err;
        if (s->used_named && needs_reprepare(err)) s->reprepare = 1;
      }
      s->preparing = 0; /* a Parse that failed, or was skipped */
      break;
    case 'G': /* CopyInResponse: refused; the Sync sent is ignored in COPY */
    case 'W':
      s->copy = 1;
      sl_pgw_copyfail(c->w, "COPY is not supported by sleet");
      sl_pgw_sync(c->w);
      if (sl_pgw_queued(c->w, err) != SL_OK) return conn_break(c, err);
      break;
    case 'H': /* CopyOutResponse: its data is skipped */
      s->copy = 1;
      break;
    case 'Z':
      if (--c->inflight > 0) break;
      request_done(c);
      if (s->failed && s->reprepare) {
        stmt_unprepare(s);
        if (!s->retried && sl_pgw_txstatus(c->w) == SL_PGW_IDLE) {
          s->retried = 1;
          if (stmt_send(s, err) != SL_OK) return SL_ERROR;
          break;
        }
      }
      s->state = ST_DONE;
      if (!direct) return SL_OK;
      return stmt_finish(s, err);
    default:
      return protocol_error(c, m.type, err);
    }
  }
}

/* Reads and drops the replies of an abandoned request. */
static int discard_pump(sl_conn *c, sl_error *err) {
  sl_pgw_msg m;
  for (;;) {
    int rc = sl_pgw_next(c->w, &m, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc != SL_OK) return conn_break(c, err);
    switch (m.type) {
    case 'E': {
      sl_error e;
      if (sl_pgw_error(&m, &e)) {
        *err = e;
        return conn_break(c, err);
      }
      break;
    }
    case 'G':
    case 'W':
      sl_pgw_copyfail(c->w, "COPY is not supported by sleet");
      if (c->sink != SK_EXEC) sl_pgw_sync(c->w);
      if (sl_pgw_queued(c->w, err) != SL_OK) return conn_break(c, err);
      break;
    case 'Z':
      if (--c->inflight > 0) break;
      request_done(c);
      return SL_OK;
    default:
      break;
    }
  }
}

/* Makes the connection free for a new request: a statement whose result
** is arriving has the rest read into its own buffer, abandoned replies
** are dropped. SL_OK, SL_AGAIN or SL_ERROR (connection lost). */
static int conn_settle(sl_conn *c, sl_error *err) {
  while (c->inflight > 0) {
    int rc;
    if (c->sink == SK_STMT && c->sinkstmt != NULL) {
      rc = stmt_pump(c->sinkstmt, 0, err);
    } else {
      /* an abandoned call's replies (discard_pump reads c->sink: a simple
      ** Query needs no Sync after a CopyFail, the extended protocol does) */
      if (c->sink != SK_EXEC) c->sink = SK_DISCARD;
      c->sinkstmt = NULL;
      rc = discard_pump(c, err);
    }
    if (rc != SL_OK) return rc;
  }
  request_done(c);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Statements: the vtable
** ===================================================================== */

static int pw_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                      sl_stmt **out, sl_error *err) {
  sl_stmt *s;
  *out = NULL;
  if (c->broken) return broken_error(c, err);
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
  s->nslots = nparams;
  sl_buf_init(&s->params);
  sl_buf_init(&s->colnames);
  sl_buf_init(&s->rest);
  s->sql = malloc(len + 1);
  if (nparams > 0) {
    s->types = malloc((size_t)nparams * sizeof *s->types);
    s->ptypes = malloc((size_t)nparams * sizeof *s->ptypes);
  }
  if (s->sql == NULL || (nparams > 0 && (!s->types || !s->ptypes))) {
    free(s->sql);
    free(s->types);
    free(s->ptypes);
    free(s);
    return oom_error(err);
  }
  memcpy(s->sql, sql, len);
  s->sql[len] = '\0';
  s->sqllen = len;
  *out = s;
  return SL_OK;
}

static int pw_prepare_persistent(sl_conn *c, const char *sql, size_t len,
                                 int nparams, sl_stmt **out, sl_error *err) {
  if (pw_prepare(c, sql, len, nparams, out, err) != SL_OK) return SL_ERROR;
  (*out)->persistent = 1;
  return SL_OK;
}

/* Lays the parameters out as the Bind message carries them: text for
** numbers, booleans and strings (OID 0: the server infers the type),
** binary bytea for byte strings — as postgresql.c hands them to libpq. */
static int pw_bind(sl_stmt *s, const sl_value *params, int nparams,
                   sl_error *err) {
  int16_t fmt_small[16], *formats = fmt_small;
  int i;
  if (nparams != s->nslots)
    return sl_error_set(err, SL_EK_USAGE,
                        "statement takes %d parameter%s, %d given", s->nslots,
                        s->nslots == 1 ? "" : "s", nparams);
  for (i = 0; i < nparams; i++) {
    const sl_value *v = &params[i];
    switch (v->type) {
    case SL_V_TEXT:
      if (v->u.s.n > 0 && memchr(v->u.s.p, '\0', v->u.s.n) != NULL)
        return sl_error_set(err, SL_EK_VALIDATION,
                            "PostgreSQL text cannot contain NUL bytes "
                            "(parameter $%d)",
                            i + 1);
      if (v->u.s.n > (size_t)INT32_MAX)
        return sl_error_set(err, SL_EK_VALIDATION,
                            "parameter $%d: text too long", i + 1);
      break;
    case SL_V_BLOB:
      if (v->u.s.n > (size_t)INT32_MAX)
        return sl_error_set(err, SL_EK_VALIDATION,
                            "parameter $%d: byte string too long", i + 1);
      break;
    case SL_V_NULL:
    case SL_V_INT:
    case SL_V_FLOAT:
    case SL_V_BOOL:
      break;
    default:
      return sl_error_set(err, SL_EK_USAGE, "bad value type for parameter %d",
                          i + 1);
    }
  }
  if (nparams > 16) {
    formats = malloc((size_t)nparams * sizeof *formats);
    if (formats == NULL) return oom_error(err);
  }
  for (i = 0; i < nparams; i++) {
    formats[i] = params[i].type == SL_V_BLOB ? 1 : 0;
    s->types[i] = params[i].type == SL_V_BLOB ? PG_OID_BYTEA : 0;
  }
  sl_buf_reset(&s->params);
  sl_pgw_param_formats(&s->params, nparams, formats);
  if (formats != fmt_small) free(formats);
  sl_pgw_param_count(&s->params, nparams);
  for (i = 0; i < nparams; i++) {
    const sl_value *v = &params[i];
    char t[PG_NUM_TEXT_SIZE];
    switch (v->type) {
    case SL_V_NULL:
      sl_pgw_param_value(&s->params, NULL, 0);
      break;
    case SL_V_INT:
    case SL_V_FLOAT:
    case SL_V_BOOL:
      pgv_param_text(t, v);
      sl_pgw_param_value(&s->params, t, strlen(t));
      break;
    default: /* text, bytes */
      sl_pgw_param_value(&s->params, v->u.s.n > 0 ? v->u.s.p : "", v->u.s.n);
      break;
    }
  }
  if (s->params.oom) {
    sl_buf_free(&s->params);
    return oom_error(err);
  }
  s->nparams = nparams;
  return SL_OK;
}

static int pw_step(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->conn;
  int rc;
  if (c->broken) return broken_error(c, err);
  op_enter(c, OP_STEP, s, NULL);
  switch (s->state) {
  case ST_IDLE:
    rc = conn_settle(c, err);
    if (rc != SL_OK) return op_end(c, rc);
    if (stmt_send(s, err) != SL_OK) return op_end(c, SL_ERROR);
    /* fall through */
  case ST_RUNNING:
    if (s->restpos < s->rest.n) return op_end(c, row_next_kept(s, err));
    if (c->sinkstmt != s)
      return op_end(c, sl_error_set(err, SL_EK_USAGE,
                                    "statement is part of a pending batch"));
    sl_buf_reset(&s->rest);
    s->restpos = 0;
    return op_end(c, stmt_pump(s, 1, err));
  default: /* ST_DONE: kept rows, then the end */
    rc = row_next_kept(s, err);
    if (rc != SL_DONE) return op_end(c, rc);
    return op_end(c, stmt_finish(s, err));
  }
}

static int pw_ncolumns(sl_stmt *s) {
  return s->have_desc ? s->ncols : 0;
}

static const char *pw_column_name(sl_stmt *s, int i) {
  if (!s->have_desc || i < 0 || i >= s->ncols) return "?";
  return s->colnames.p + s->nameoff[i];
}

static void pw_column(sl_stmt *s, int i, sl_value *out) {
  const sl_pgw_cell *cell;
  if (!s->has_row || i < 0 || i >= s->ncols || s->cells[i].len < 0) {
    out->type = SL_V_NULL;
    return;
  }
  cell = &s->cells[i];
  if (s->oids[i] == PG_OID_BYTEA && s->bok[i]) {
    out->type = SL_V_BLOB;
    out->u.s.p = s->blen[i] > 0 ? s->bytes + s->boff[i] : "";
    out->u.s.n = s->blen[i];
    return;
  }
  pgv_cell(s->oids[i], cell->p, (size_t)cell->len, out);
}

/* Lets go of the run of s: replies still to come are dropped by the next
** call that sends. */
static void stmt_detach(sl_stmt *s) {
  sl_conn *c = s->conn;
  int i;
  if (c->sinkstmt == s) {
    c->sink = SK_DISCARD;
    c->sinkstmt = NULL;
    /* a Parse whose answer will be dropped: maybe on the server */
    if (s->preparing) stmt_unprepare(s);
  }
  for (i = 0; i < c->bn; i++)
    if (c->bst != NULL && c->bst[i] == s) c->bst[i] = NULL;
  if (c->op == OP_STEP && c->opkey == s) op_end(c, SL_OK);
}

static int pw_reset(sl_stmt *s, sl_error *err) {
  (void)err;
  stmt_detach(s);
  stmt_clear(s);
  sl_buf_reset(&s->params);
  return SL_OK;
}

static void pw_finalize(sl_stmt *s) {
  if (s == NULL) return;
  stmt_detach(s);
  stmt_unprepare(s);
  sl_buf_free(&s->params);
  sl_buf_free(&s->colnames);
  sl_buf_free(&s->rest);
  free(s->sql);
  free(s->types);
  free(s->ptypes);
  free(s->nameoff);
  free(s->oids);
  free(s->cells);
  free(s->boff);
  free(s->blen);
  free(s->bok);
  free(s->row);
  free(s->bytes);
  free(s);
}

/* Rows always arrive one message at a time (and the rest of an open result
** is read into its statement before another request): nothing to switch
** on. */
static void pw_stream(sl_stmt *s) {
  (void)s;
}

static long long pw_rows_affected(sl_conn *c, sl_stmt *s) {
  (void)c;
  return s != NULL ? s->affected : 0;
}

/* PostgreSQL has no implicit last id: generated keys come back through
** RETURNING. */
static long long pw_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  (void)c;
  (void)s;
  *has_id = 0;
  return 0;
}

/* }==================================================================== */

/* {====================================================================
** exec and the transaction verbs (simple protocol)
** ===================================================================== */

static int exec_pump(sl_conn *c, sl_error *err) {
  sl_pgw_msg m;
  for (;;) {
    int rc = sl_pgw_next(c->w, &m, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc != SL_OK) return conn_break(c, err);
    switch (m.type) {
    case 'E': {
      sl_error e;
      if (sl_pgw_error(&m, &e)) {
        *err = e;
        return conn_break(c, err);
      }
      if (!c->ex_failed) {
        c->ex_failed = 1;
        c->ex_err = e;
      }
      break;
    }
    case 'G':
    case 'W':
      c->ex_copy = 1;
      sl_pgw_copyfail(c->w, "COPY is not supported by sleet");
      if (sl_pgw_queued(c->w, err) != SL_OK) return conn_break(c, err);
      break;
    case 'H':
      c->ex_copy = 1;
      break;
    case 'Z':
      if (--c->inflight > 0) break;
      request_done(c);
      if (c->ex_copy) return copy_error(err);
      if (c->ex_failed) {
        *err = c->ex_err;
        return SL_ERROR;
      }
      return SL_OK;
    case 'T':
    case 'D':
    case 'C':
    case 'I':
    case 'd':
    case 'c':
    case '3':
    case 'n':
      break;
    default:
      return protocol_error(c, m.type, err);
    }
  }
}

/* Sends sql as a simple Query (after the pending Closes). */
static int exec_send(sl_conn *c, const char *const *sql, int n, sl_error *err) {
  int i, syncs = 0;
  /* extended-protocol Closes end with a Sync of their own before a Query */
  if (queue_closes(c) > 0) {
    sl_pgw_sync(c->w);
    syncs = 1;
  }
  for (i = 0; i < n; i++)
    sl_pgw_query(c->w, sql[i]);
  if (sl_pgw_queued(c->w, err) != SL_OK) return SL_ERROR;
  c->ex_failed = c->ex_copy = 0;
  sl_error_clear(&c->ex_err);
  expect(c, n + syncs, SK_EXEC, NULL);
  return SL_OK;
}

static int pw_exec(sl_conn *c, const char *sql, sl_error *err) {
  int rc;
  if (c->broken) return broken_error(c, err);
  op_enter(c, OP_EXEC, NULL, sql);
  if (c->opsql == NULL) return op_end(c, oom_error(err));
  if (c->phase == 0) {
    rc = conn_settle(c, err);
    if (rc != SL_OK) return op_end(c, rc);
    if (exec_send(c, &sql, 1, err) != SL_OK) return op_end(c, SL_ERROR);
    c->phase = 1;
  }
  return op_end(c, exec_pump(c, err));
}

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
  status = pw_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

static int pw_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  sl_buf b;
  int status;
  if (opts == NULL || opts->mode == NULL || *opts->mode == '\0')
    return pw_exec(c, "begin", err);
  sl_buf_init(&b);
  sl_buf_adds(&b, "begin ");
  sl_buf_adds(&b, opts->mode);
  if (b.oom) {
    sl_buf_free(&b);
    return oom_error(err);
  }
  status = pw_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

static int pw_commit(sl_conn *c, sl_error *err) {
  return pw_exec(c, "commit", err);
}

static int pw_rollback(sl_conn *c, sl_error *err) {
  return pw_exec(c, "rollback", err);
}

static int pw_savepoint(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "savepoint", name, err);
}

static int pw_release(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "release savepoint", name, err);
}

static int pw_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "rollback to savepoint", name, err);
}

/* quit(0) queues Terminate; quit(1) rolls back an open transaction and
** runs DISCARD ALL, after which no statement or setting of this
** connection remains in the session (the next user starts afresh). */
static int pw_quit(sl_conn *c, int reset, sl_error *err) {
  static const char *const rb_discard[] = {"rollback", "discard all"};
  int rc;
  if (!reset) {
    if (!c->broken) {
      sl_pgw_terminate(c->w);
      if (sl_pgw_queued(c->w, err) != SL_OK) return SL_ERROR;
    }
    return SL_OK;
  }
  if (c->broken) return broken_error(c, err);
  if (!c->ready)
    return sl_error_set(err, SL_EK_USAGE,
                        "the session is not open yet: nothing to reset");
  op_enter(c, OP_QUIT, NULL, NULL);
  if (c->phase == 0) {
    int tx;
    rc = conn_settle(c, err);
    if (rc != SL_OK) return op_end(c, rc);
    c->nclosing = 0; /* DISCARD ALL drops them */
    tx = sl_pgw_txstatus(c->w) != SL_PGW_IDLE;
    if (exec_send(c, tx ? rb_discard : rb_discard + 1, tx ? 2 : 1, err) !=
        SL_OK)
      return op_end(c, SL_ERROR);
    c->phase = 1;
  }
  return op_end(c, exec_pump(c, err));
}

/* }==================================================================== */

/* {====================================================================
** Batches: pipelined statements, one Sync
** ===================================================================== */

/* Queues a parameterless statement of the unnamed kind (savepoint verbs). */
static void queue_verb(sl_conn *c, const char *sql) {
  sl_pgw_parse(c->w, "", sql, strlen(sql), 0, NULL);
  sl_pgw_bind(c->w, "", "", NULL, 0);
  sl_pgw_execute(c->w, "", 0);
}

static int batch_send(sl_conn *c, sl_stmt *const *stmts, int n, sl_error *err) {
  int i;
  if (n > c->bcap) {
    sl_stmt **p = realloc(c->bst, (size_t)n * sizeof *p);
    if (p == NULL) return oom_error(err);
    c->bst = p;
    c->bcap = n;
  }
  c->bn = n;
  memcpy(c->bst, stmts, (size_t)n * sizeof *stmts);
  c->bsp = sl_pgw_txstatus(c->w) == SL_PGW_INTRANS;
  c->bcmd = 0;
  c->bbad = c->bcopy = c->blost = 0;
  c->bfailed = -1;
  sl_error_clear(&c->berr);
  queue_closes(c);
  if (c->bsp) queue_verb(c, "savepoint sleet_batch");
  for (i = 0; i < n; i++) {
    stmt_clear(stmts[i]);
    queue_run(stmts[i]);
    stmts[i]->state = ST_RUNNING;
  }
  if (c->bsp) queue_verb(c, "release savepoint sleet_batch");
  sl_pgw_sync(c->w);
  if (sl_pgw_queued(c->w, err) != SL_OK) {
    for (i = 0; i < n; i++) {
      stmts[i]->preparing = 0;
      stmt_clear(stmts[i]);
    }
    return SL_ERROR;
  }
  expect(c, 1, SK_BATCH, NULL);
  return SL_OK;
}

/* The statement whose replies come now, NULL for a verb (or a statement
** finalized meanwhile); *index its position (-1 for verbs). */
static sl_stmt *batch_current(sl_conn *c, int *index) {
  int k = c->bcmd - c->bsp;
  *index = -1;
  if (k < 0 || k >= c->bn) return NULL;
  *index = k;
  return c->bst[k];
}

static int batch_pump(sl_conn *c, sl_error *err) {
  sl_pgw_msg m;
  for (;;) {
    int index, rc = sl_pgw_next(c->w, &m, err);
    sl_stmt *s;
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc != SL_OK) return conn_break(c, err);
    s = batch_current(c, &index);
    switch (m.type) {
    case '1':
      if (s != NULL && s->preparing) {
        s->preparing = 0;
        s->on_server = 1;
        if (s->nparams > 0)
          memcpy(s->ptypes, s->types, (size_t)s->nparams * sizeof *s->ptypes);
      }
      break;
    case '2':
    case '3':
    case 't':
    case 'd':
    case 'c':
      break;
    case 'T':
      if (s != NULL && take_rowdesc(s, &m, err) != SL_OK)
        return conn_break(c, err);
      break;
    case 'n':
      if (s != NULL) {
        s->ncols = 0;
        s->have_desc = 1;
      }
      break;
    case 'D':
      if (s != NULL) {
        if (!s->have_desc) return protocol_error(c, m.type, err);
        if (row_keep(s, &m, err) != SL_OK) return conn_break(c, err);
      }
      break;
    case 'C':
    case 'I':
    case 's':
      if (s != NULL) {
        if (m.type == 'C') s->affected = sl_pgw_command_rows(m.body, m.len);
        s->complete = 1;
      }
      c->bcmd++;
      break;
    case 'E': {
      sl_error e;
      if (sl_pgw_error(&m, &e)) {
        *err = e;
        return conn_break(c, err);
      }
      if (!c->bbad) {
        c->bbad = 1;
        c->bfailed = index;
        c->berr = e;
      }
      /* the server skips to the Sync: later Parses never happened */
      {
        int i;
        for (i = 0; i < c->bn; i++)
          if (c->bst[i] != NULL) c->bst[i]->preparing = 0;
      }
      break;
    }
    case 'G':
    case 'W':
      c->bcopy = 1;
      sl_pgw_copyfail(c->w, "COPY is not supported by sleet");
      sl_pgw_sync(c->w);
      if (sl_pgw_queued(c->w, err) != SL_OK) return conn_break(c, err);
      break;
    case 'H':
      c->bcopy = 1;
      break;
    case 'Z':
      request_done(c);
      c->inflight = 0;
      return SL_OK;
    default:
      return protocol_error(c, m.type, err);
    }
  }
}

/* The batch's outcome once its replies (and the rollback to the savepoint
** after a failure) are read. */
static int batch_finish(sl_conn *c, int *failed, sl_error *err) {
  int i;
  for (i = 0; i < c->bn; i++) {
    sl_stmt *s = c->bst[i];
    if (s == NULL) continue;
    if (c->bbad || c->bcopy)
      stmt_clear(s);
    else
      s->state = ST_DONE;
  }
  c->bn = 0;
  if (c->bcopy) {
    *failed = c->bfailed;
    return copy_error(err);
  }
  if (c->bbad) {
    *failed = c->bfailed;
    *err = c->berr;
    return SL_ERROR;
  }
  return SL_OK;
}

static int pw_batch(sl_conn *c, sl_stmt *const *stmts, int n, int *failed,
                    sl_error *err) {
  static const char *const undo =
      "rollback to savepoint sleet_batch; release savepoint sleet_batch";
  int rc;
  *failed = -1;
  if (c->broken) return broken_error(c, err);
  if (n <= 0) return SL_OK;
  if (!op_enter(c, OP_BATCH, stmts[0], NULL) || c->phase == 0) {
    rc = conn_settle(c, err);
    if (rc != SL_OK) return op_end(c, rc);
    if (batch_send(c, stmts, n, err) != SL_OK) return op_end(c, SL_ERROR);
    c->phase = 1;
  }
  if (c->phase == 1) {
    rc = batch_pump(c, err);
    if (rc == SL_AGAIN) return rc;
    if (rc != SL_OK) {
      c->bn = 0;
      return op_end(c, SL_ERROR);
    }
    if (!((c->bbad || c->bcopy) && c->bsp))
      return op_end(c, batch_finish(c, failed, err));
    /* a failure inside a transaction: back to the savepoint */
    if (exec_send(c, &undo, 1, err) != SL_OK) {
      c->bn = 0;
      return op_end(c, conn_break(c, err));
    }
    c->phase = 2;
  }
  rc = exec_pump(c, err);
  if (rc == SL_AGAIN) return rc;
  if (c->broken) {
    c->bn = 0;
    return op_end(c, SL_ERROR);
  }
  return op_end(c, batch_finish(c, failed, err));
}

/* }==================================================================== */

/* The PostgreSQL driver over the wire engine: "pgwire" connections whose
** bytes the host moves, speaking sl_dialect_postgresql. */
const sl_driver sl_driver_pgwire = {
    .abi = SL_DRIVER_ABI,
    .name = "pgwire",
    .dialect = "postgresql",
    .connect = pw_connect,
    .close = pw_close,
    .prepare = pw_prepare,
    .bind = pw_bind,
    .step = pw_step,
    .ncolumns = pw_ncolumns,
    .column_name = pw_column_name,
    .column = pw_column,
    .reset = pw_reset,
    .finalize = pw_finalize,
    .rows_affected = pw_rows_affected,
    .last_insert_id = pw_last_insert_id,
    .exec = pw_exec,
    .begin = pw_begin,
    .commit = pw_commit,
    .rollback = pw_rollback,
    .savepoint = pw_savepoint,
    .release = pw_release,
    .rollback_to = pw_rollback_to,
    .prepare_persistent = pw_prepare_persistent,
    .in_transaction = pw_in_transaction,
    .batch = pw_batch,
    .stream = pw_stream,
    .io = pw_io,
    .feed = pw_feed,
    .ready = pw_ready,
    .lost = pw_lost,
    .quit = pw_quit,
};
