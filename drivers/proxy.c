/*
** proxy.c — the proxy drivers (Drizzle's pg-proxy, mysql-proxy and
** sqlite-proxy): the statements go to a function of the host, which runs
** them wherever it likes (an HTTP service, another process, a pool of its
** own) and answers with raw cells in the statement's field order; sleet
** decodes them with the columns' codecs as it decodes any driver's cells.
**
** The driver never calls the host: it is a host-I/O driver (sl_driver.h)
** whose "bytes" are requests and answers in the small format of
** sl_proxy.h. The binding (ext/lua_proxy.c) turns a request into the
** function's arguments and its return value into an answer, so the function
** may yield like any socket. Every statement is one request; transaction
** verbs are requests of their SQL text ("begin", "savepoint sp1", ...).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "my_txmode.h"
#include "sl_driver.h"
#include "sl_proxy.h"

struct sl_conn {
  const char *dialect;
  sl_buf out;   /* the request being sent */
  size_t sent;  /* of out: handed to io() */
  char *in;     /* the answer being read */
  size_t inlen; /* bytes of it read */
  size_t incap; /* its whole length (known after its 4-byte prefix) */
  int waiting;  /* a request went out; its answer is being read */
  int answered; /* the answer is complete: the pending call may use it */
  int intx;     /* a transaction is open (as the verbs left it) */
  int lost;
  int step;      /* MySQL begin with characteristics: its first request ran */
  char why[200]; /* lost: why */
};

/* A statement's answer: ncols names, nrows rows of ncols cells, then the
** counters, all decoded from the answer bytes it keeps. */
struct sl_stmt {
  sl_conn *c;
  char *sql;
  size_t len;
  const sl_value *params; /* borrowed until reset */
  int nparams;
  char *answer; /* owned */
  size_t answerlen;
  int ncols, nrows, row; /* row: the current one, -1 before the first */
  const char **names;    /* into answer copies (NUL-terminated) */
  sl_value *cells;       /* nrows * ncols */
  long long changed, id;
  int has_id, ran;
};

/* {====================================================================
** Answers
** ===================================================================== */

static int lost_error(sl_conn *c, sl_error *err) {
  return sl_error_set(err, SL_EK_CONNECTION, "the proxy failed: %s", c->why);
}

/* Sends the request in c->out and waits for its answer (SL_AGAIN), or
** SL_OK once the answer is complete (it is then in c->in). */
static int roundtrip(sl_conn *c, sl_error *err) {
  if (c->lost) return lost_error(c, err);
  if (c->answered) {
    c->answered = 0;
    return SL_OK;
  }
  if (!c->waiting) {
    if (c->out.oom) return sl_error_set(err, SL_EK_DATABASE, "out of memory");
    c->waiting = 1;
    c->sent = 0;
    c->inlen = 0;
    c->incap = 0;
  }
  return SL_AGAIN;
}

/* The kind named by the answer (database when empty or unknown; a proxy
** may not claim kind connection, which would close the connection). */
static sl_errkind answer_kind(const char *s) {
  static const struct {
    const char *name;
    sl_errkind kind;
  } kinds[] = {{"validation", SL_EK_VALIDATION},
               {"rollback", SL_EK_ROLLBACK},
               {"migration", SL_EK_MIGRATION},
               {"usage", SL_EK_USAGE}};
  size_t i;
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(s, kinds[i].name) == 0) return kinds[i].kind;
  return SL_EK_DATABASE;
}

/* Reads an error answer into err. */
static int answer_error(const char *p, size_t n, sl_error *err) {
  sl_proxy_reader r;
  const char *msg, *state, *kind, *code, *cons, *table, *column, *detail;
  size_t mlen, slen, len;
  sl_proxy_reader_init(&r, p, n);
  r.pos = 1;
  msg = sl_proxy_read_bytes(&r, &mlen);
  state = sl_proxy_read_bytes(&r, &slen);
  kind = sl_proxy_read_bytes(&r, &len);
  code = sl_proxy_read_bytes(&r, &len);
  cons = sl_proxy_read_bytes(&r, &len);
  table = sl_proxy_read_bytes(&r, &len);
  column = sl_proxy_read_bytes(&r, &len);
  detail = sl_proxy_read_bytes(&r, &len);
  if (r.bad) return sl_error_set(err, SL_EK_CONNECTION, "malformed answer");
  sl_error_set(err, answer_kind(kind), "%.*s", (int)(mlen > 500 ? 500 : mlen),
               msg);
  if (slen == 5) sl_error_field(err->sqlstate, sizeof err->sqlstate, state);
  if (*code != '\0') {
    char *end;
    long long v = strtoll(code, &end, 10);
    if (*end == '\0') {
      err->code = v;
      err->has_code = 1;
    }
  }
  sl_error_field(err->constraint_name, sizeof err->constraint_name, cons);
  sl_error_field(err->table, sizeof err->table, table);
  sl_error_field(err->column, sizeof err->column, column);
  sl_error_field(err->detail, sizeof err->detail, detail);
  return SL_ERROR;
}

/* Decodes c's complete answer into s (s may be NULL for a verb). */
static int take_answer(sl_conn *c, sl_stmt *s, sl_error *err) {
  sl_proxy_reader r;
  char *p = c->in;
  size_t n = c->inlen, i, ncells;
  c->in = NULL;
  c->inlen = c->incap = 0;
  if (n == 0 || p == NULL) {
    free(p);
    return sl_error_set(err, SL_EK_CONNECTION, "the proxy gave no answer");
  }
  if (p[0] == SL_PROXY_ERROR) {
    int rc = answer_error(p, n, err);
    free(p);
    return rc;
  }
  if (s == NULL) {
    free(p);
    return SL_OK;
  }
  sl_proxy_reader_init(&r, p, n);
  r.pos = 1;
  s->answer = p;
  s->answerlen = n;
  s->ncols = (int)sl_proxy_read_u32(&r);
  s->nrows = (int)sl_proxy_read_u32(&r);
  s->changed = sl_proxy_read_i64(&r);
  s->has_id = sl_proxy_read_u8(&r) != 0;
  s->id = sl_proxy_read_i64(&r);
  if (r.bad || s->ncols < 0 || s->nrows < 0 || s->ncols > 65535 ||
      (size_t)s->nrows > n)
    return sl_error_set(err, SL_EK_CONNECTION, "malformed answer");
  s->names = calloc((size_t)s->ncols + 1, sizeof *s->names);
  ncells = (size_t)s->ncols * (size_t)s->nrows;
  s->cells = calloc(ncells + 1, sizeof *s->cells);
  if (s->names == NULL || s->cells == NULL)
    return sl_error_set(err, SL_EK_DATABASE, "out of memory");
  for (i = 0; i < (size_t)s->ncols; i++) {
    size_t len;
    const char *name = sl_proxy_read_bytes(&r, &len);
    /* names were written with a NUL after them */
    s->names[i] = r.bad ? "" : name;
  }
  for (i = 0; i < ncells && !r.bad; i++)
    sl_proxy_read_value(&r, &s->cells[i]);
  if (r.bad) return sl_error_set(err, SL_EK_CONNECTION, "malformed answer");
  return SL_OK;
}

static void stmt_clear(sl_stmt *s) {
  free(s->answer);
  free((void *)s->names);
  free(s->cells);
  s->answer = NULL;
  s->names = NULL;
  s->cells = NULL;
  s->ncols = s->nrows = 0;
  s->row = -1;
  s->ran = 0;
  s->changed = s->id = 0;
  s->has_id = 0;
}

/* }==================================================================== */

static int px_connect(const sl_connopts *opts, sl_conn **out, sl_error *err,
                      const char *dialect) {
  sl_conn *c = calloc(1, sizeof *c);
  (void)opts;
  *out = NULL;
  if (c == NULL) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  c->dialect = dialect;
  sl_buf_init(&c->out);
  *out = c;
  return SL_OK;
}

static int px_connect_pg(const sl_connopts *o, sl_conn **out, sl_error *e) {
  return px_connect(o, out, e, "postgresql");
}
static int px_connect_my(const sl_connopts *o, sl_conn **out, sl_error *e) {
  return px_connect(o, out, e, "mysql");
}
static int px_connect_sq(const sl_connopts *o, sl_conn **out, sl_error *e) {
  return px_connect(o, out, e, "sqlite");
}

static void px_close(sl_conn *c) {
  if (c == NULL) return;
  sl_buf_free(&c->out);
  free(c->in);
  free(c);
}

static int px_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                      sl_stmt **out, sl_error *err) {
  sl_stmt *s;
  (void)nparams;
  *out = NULL;
  if (c->lost) return lost_error(c, err);
  s = calloc(1, sizeof *s);
  if (s != NULL) s->sql = malloc(len + 1);
  if (s == NULL || s->sql == NULL) {
    free(s);
    return sl_error_set(err, SL_EK_DATABASE, "out of memory");
  }
  memcpy(s->sql, sql, len);
  s->sql[len] = '\0';
  s->len = len;
  s->c = c;
  s->row = -1;
  *out = s;
  return SL_OK;
}

static int px_bind(sl_stmt *s, const sl_value *params, int nparams,
                   sl_error *err) {
  (void)err;
  s->params = params;
  s->nparams = nparams;
  return SL_OK;
}

/* Queues the request of a statement or verb: its SQL and parameters. */
static void request(sl_conn *c, const char *sql, size_t len,
                    const sl_value *params, int nparams) {
  int i;
  c->out.n = 0;
  sl_buf_addc(&c->out, SL_PROXY_QUERY);
  sl_proxy_write_bytes(&c->out, sql, len);
  sl_proxy_write_u32(&c->out, (uint32_t)nparams);
  for (i = 0; i < nparams; i++)
    sl_proxy_write_value(&c->out, &params[i]);
}

static int px_step(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->c;
  if (!s->ran) {
    int rc;
    if (!c->waiting && !c->answered)
      request(c, s->sql, s->len, s->params, s->nparams);
    rc = roundtrip(c, err);
    if (rc != SL_OK) return rc;
    s->ran = 1;
    if (take_answer(c, s, err) != SL_OK) {
      stmt_clear(s);
      return SL_ERROR;
    }
  }
  if (s->row + 1 >= s->nrows) {
    s->row = s->nrows;
    return SL_DONE;
  }
  s->row++;
  return SL_ROW;
}

static int px_ncolumns(sl_stmt *s) {
  return s->ncols;
}

static const char *px_column_name(sl_stmt *s, int i) {
  return i >= 0 && i < s->ncols ? s->names[i] : "";
}

static void px_column(sl_stmt *s, int i, sl_value *out) {
  if (s->row < 0 || s->row >= s->nrows || i < 0 || i >= s->ncols) {
    out->type = SL_V_NULL;
    return;
  }
  *out = s->cells[(size_t)s->row * (size_t)s->ncols + (size_t)i];
}

static int px_reset(sl_stmt *s, sl_error *err) {
  (void)err;
  stmt_clear(s);
  s->params = NULL;
  s->nparams = 0;
  return SL_OK;
}

static void px_finalize(sl_stmt *s) {
  if (s == NULL) return;
  stmt_clear(s);
  free(s->sql);
  free(s);
}

static long long px_rows_affected(sl_conn *c, sl_stmt *s) {
  (void)c;
  return s->changed;
}

static long long px_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  (void)c;
  *has_id = s->has_id;
  return s->id;
}

/* A verb: one request of SQL text, no parameters. */
static int verb(sl_conn *c, const char *sql, sl_error *err) {
  int rc;
  if (!c->waiting && !c->answered) request(c, sql, strlen(sql), NULL, 0);
  rc = roundtrip(c, err);
  if (rc != SL_OK) return rc;
  return take_answer(c, NULL, err);
}

static int verb2(sl_conn *c, const char *what, const char *name,
                 sl_error *err) {
  char sql[300];
  size_t n = strlen(name);
  if (n > 200) return sl_error_set(err, SL_EK_USAGE, "savepoint name too long");
  memcpy(sql, what, strlen(what) + 1);
  memcpy(sql + strlen(what), name, n + 1);
  return verb(c, sql, err);
}

static int px_exec(sl_conn *c, const char *sql, sl_error *err) {
  return verb(c, sql, err);
}

static int px_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  const char *mode = opts != NULL && opts->mode != NULL ? opts->mode : "";
  char sql[300];
  int rc;
  if (strlen(mode) > 250)
    return sl_error_set(err, SL_EK_USAGE, "transaction mode too long");
  if (strcmp(c->dialect, "mysql") == 0) {
    /* MySQL: the isolation level goes before START TRANSACTION (SET
    ** TRANSACTION), the other characteristics after it (my_txmode.h) */
    char level[96], start[128];
    if (my_txmode(mode, level, start, err) != SL_OK) return SL_ERROR;
    if (*level != '\0' && c->step == 0) {
      rc = verb(c, level, err);
      if (rc != SL_OK) return rc;
      c->step = 1;
    }
    rc = verb(c, start, err);
  } else {
    snprintf(sql, sizeof sql, "begin%s%s", *mode ? " " : "", mode);
    rc = verb(c, sql, err);
  }
  if (rc == SL_AGAIN) return rc;
  c->step = 0;
  if (rc == SL_OK) c->intx = 1;
  return rc;
}

static int px_end(sl_conn *c, const char *sql, sl_error *err) {
  int rc = verb(c, sql, err);
  if (rc != SL_AGAIN) c->intx = 0;
  return rc;
}

static int px_commit(sl_conn *c, sl_error *err) {
  return px_end(c, "commit", err);
}

static int px_rollback(sl_conn *c, sl_error *err) {
  return px_end(c, "rollback", err);
}

static int px_savepoint(sl_conn *c, const char *name, sl_error *err) {
  return verb2(c, "savepoint ", name, err);
}

static int px_release(sl_conn *c, const char *name, sl_error *err) {
  return verb2(c, "release savepoint ", name, err);
}

static int px_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  return verb2(c, "rollback to savepoint ", name, err);
}

static int px_in_transaction(sl_conn *c) {
  return c->intx;
}

static void px_io(sl_conn *c, sl_io *io) {
  memset(io, 0, sizeof *io);
  if (!c->waiting || c->lost) return;
  if (c->sent == 0) {
    io->out = c->out.p;
    io->outlen = c->out.n;
    c->sent = 1;
  }
  io->want = c->incap == 0 ? 4 - c->inlen : c->incap - c->inlen;
}

static int px_feed(sl_conn *c, const char *data, size_t len, sl_error *err) {
  if (!c->waiting)
    return sl_error_set(err, SL_EK_CONNECTION, "an answer nobody asked for");
  if (c->incap == 0) {
    /* the 4-byte length prefix */
    unsigned char hdr[4];
    size_t need = 4 - c->inlen;
    if (len > need) len = need;
    if (c->in == NULL) c->in = malloc(4);
    if (c->in == NULL)
      return sl_error_set(err, SL_EK_DATABASE, "out of memory");
    memcpy(c->in + c->inlen, data, len);
    c->inlen += len;
    if (c->inlen < 4) return SL_OK;
    memcpy(hdr, c->in, 4);
    c->incap = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
               (size_t)hdr[3] << 24;
    if (c->incap == 0 || c->incap > SL_PROXY_MAX)
      return sl_error_set(err, SL_EK_CONNECTION, "answer of %zu bytes",
                          c->incap);
    free(c->in);
    c->in = malloc(c->incap);
    c->inlen = 0;
    if (c->in == NULL)
      return sl_error_set(err, SL_EK_DATABASE, "out of memory");
    return SL_OK;
  }
  if (len > c->incap - c->inlen)
    return sl_error_set(err, SL_EK_CONNECTION, "answer longer than it said");
  memcpy(c->in + c->inlen, data, len);
  c->inlen += len;
  if (c->inlen == c->incap) {
    c->waiting = 0;
    c->answered = 1;
  }
  return SL_OK;
}

static int px_ready(sl_conn *c, sl_error *err) {
  return c->lost ? lost_error(c, err) : SL_OK;
}

static void px_lost(sl_conn *c, const char *why) {
  size_t n = strlen(why);
  if (n >= sizeof c->why) n = sizeof c->why - 1;
  memcpy(c->why, why, n);
  c->why[n] = '\0';
  c->lost = 1;
  c->waiting = 0;
  c->answered = 0;
}

#define PROXY_DRIVER(sym, nm, dia, conn) \
  const sl_driver sym = {.abi = SL_DRIVER_ABI, \
                         .name = nm, \
                         .dialect = dia, \
                         .connect = conn, \
                         .close = px_close, \
                         .prepare = px_prepare, \
                         .bind = px_bind, \
                         .step = px_step, \
                         .ncolumns = px_ncolumns, \
                         .column_name = px_column_name, \
                         .column = px_column, \
                         .reset = px_reset, \
                         .finalize = px_finalize, \
                         .rows_affected = px_rows_affected, \
                         .last_insert_id = px_last_insert_id, \
                         .exec = px_exec, \
                         .begin = px_begin, \
                         .commit = px_commit, \
                         .rollback = px_rollback, \
                         .savepoint = px_savepoint, \
                         .release = px_release, \
                         .rollback_to = px_rollback_to, \
                         .prepare_persistent = px_prepare, \
                         .in_transaction = px_in_transaction, \
                         .io = px_io, \
                         .feed = px_feed, \
                         .ready = px_ready, \
                         .lost = px_lost}

PROXY_DRIVER(sl_driver_pgproxy, "pgproxy", "postgresql", px_connect_pg);
PROXY_DRIVER(sl_driver_myproxy, "myproxy", "mysql", px_connect_my);
PROXY_DRIVER(sl_driver_sqliteproxy, "sqliteproxy", "sqlite", px_connect_sq);
