/*
** mywire.c — the MySQL/MariaDB driver over the host's socket
** (sl_driver_mywire): the sans-I/O engine of ext/sl_mywire.c strung into the
** sl_driver vtable with the host-I/O hooks (sl_driver.h, "Host I/O").
**
** It answers exactly as drivers/mysql.c does: the same session (utf8mb4,
** time zone UTC, CLIENT_FOUND_ROWS), the same values (sl_mywire_value), the
** same errors (sl_mywire_report), the same transaction verbs. What differs
** is how bytes move: every call that needs the server returns SL_AGAIN
** until the host has moved them.
**
** Results stream: step() returns a row as soon as its packet is complete,
** so memory holds one row however long the result. The connection carries
** one reply at a time. When another command needs it while a statement's
** rows are still coming (a query inside `for row in q:iter()`), the rest
** of those rows is read into that statement's spool first and served from
** there, so both go on as with the client library's buffered results.
** A statement finalized or reset before its reply ended has the rest of
** that reply read and dropped before the next command; COM_STMT_CLOSE of
** finalized statements goes out with the next command (it has no reply).
**
** Statements are server-side prepared statements, made at their first
** step (COM_STMT_PREPARE) and executed with the binary protocol; a kept one
** (prepare_persistent, or any reset one) is executed again without a new
** prepare.
**
** Connection params: those of drivers/mysql.c (connect_timeout,
** read_timeout, write_timeout: checked, applied by the host's socket),
** ssl (true/1: require TLS) and sslmode / ssl_mode (disable, prefer,
** require, verify-ca, verify-full; the host verifies the certificate),
** and sleet_reused = "1": the socket comes from a keepalive pool with a
** session already authenticated and reset, so ready() is SL_OK at once.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_driver.h"
#include "my_txmode.h"
#include "../ext/sl_mywire.h"

/* The most placeholders a prepared statement may have. */
#define MW_MAX_PARAMS 65535
/* The client library's code for a lost server. */
#define MW_CR_SERVER_LOST 2013

/* What every new session (and a reset one) runs first: drivers/mysql.c's
** SET time_zone and SET NAMES in one statement. */
static const char session_setup[] = "SET time_zone = '+00:00', NAMES utf8mb4";

enum { C_LOGIN, C_SETUP, C_READY, C_RESET, C_CLOSED, C_DEAD };

/* Reading a text-protocol reply (COM_QUERY, COM_RESET_CONNECTION). */
enum { Q_NONE, Q_HEAD, Q_COLS, Q_COLS_EOF, Q_ROWS };

struct sl_conn {
  sl_mywire *w;
  int phase;
  sl_error dead;  /* why every call fails (C_DEAD) */
  sl_stmt *owner; /* the statement whose reply is being read, or NULL */
  sl_stmt *stmts; /* live statements */
  /* a text command being read (Q_NONE when none) */
  int q_state;
  uint64_t q_left;
  int q_index; /* which text of the pending call is out */
  /* statement ids to close before the next command */
  uint32_t *closing;
  int nclosing, capclosing;
  int reset_sent; /* C_RESET: COM_RESET_CONNECTION answered */
};

/* Statement phases. */
enum {
  S_IDLE,    /* bound (or not), nothing sent */
  S_RUNNING, /* its reply is being read (conn->owner) */
  S_SPOOLED, /* the reply was read into the spool: rows served from it */
  S_DONE     /* the result has been read to its end */
};

/* Where in its reply a running statement is. */
enum {
  R_PREP_HEAD,
  R_PREP_DEFS, /* parameter then column definitions */
  R_PREP_EOF,  /* an EOF after a list (no CLIENT_DEPRECATE_EOF) */
  R_EXEC_HEAD,
  R_EXEC_COLS,
  R_EXEC_COLS_EOF,
  R_ROWS,
  R_MORE_HEAD, /* further results of a CALL, read and dropped */
  R_MORE_COLS,
  R_MORE_COLS_EOF,
  R_MORE_ROWS
};

/* How a reply is read: rows to the caller one by one, into the spool, or
** dropped. */
enum { M_STEP, M_SPOOL, M_DISCARD };

struct sl_stmt {
  sl_conn *c; /* NULL once the connection is closed */
  sl_stmt *prev, *next;
  char *sql;
  size_t len;
  int nparams;
  const sl_value *params; /* borrowed from bind() to reset() */
  int bound;
  uint32_t id;
  int prepared;
  unsigned srv_params, srv_cols;
  int phase;
  int rstate;
  int zombie;     /* finalized while its reply was on the wire */
  int abandoned;  /* reset while its reply was on the wire */
  int then_exec;  /* after the prepare reply, send the execute */
  int preparing;  /* the prepare reply is being read */
  uint64_t left;  /* definitions still due */
  int prep_stage; /* R_PREP_DEFS: 0 parameters, 1 columns */
  /* the result */
  sl_arena *meta; /* column definitions, cells, texts */
  unsigned ncols;
  sl_mywire_column *cols;
  unsigned *types;
  sl_mywire_cell *cells;
  char (*txt)[64];
  sl_buf row; /* the current row's packet */
  int has_row;
  sl_buf spool; /* rows read ahead: (size_t length, bytes) records */
  size_t spool_pos;
  int spool_failed; /* the spooled reply ended in spool_err */
  sl_error spool_err;
  long long affected;
  uint64_t insert_id;
  long long nrows;
  int writes, inserts;
};

/* {====================================================================
** Connection state
** ===================================================================== */

static int conn_error(const sl_conn *c, sl_error *err) {
  if (c->phase == C_DEAD) {
    *err = c->dead;
    return SL_ERROR;
  }
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_USAGE, "the connection is closed");
}

/* The connection can no longer be used: every later call fails with
** err (kind connection). */
static void conn_die(sl_conn *c, const sl_error *err) {
  if (c->phase == C_DEAD) return;
  c->dead = *err;
  c->dead.kind = SL_EK_CONNECTION;
  c->phase = C_DEAD;
  sl_mywire_expect(c->w, 0);
  /* c->owner stays: a finalized one is freed by whoever reads or closes */
  c->q_state = Q_NONE;
}

/* Fails with err; a connection-kind error kills the connection. */
static int fail(sl_conn *c, sl_error *err) {
  if (err->kind == SL_EK_CONNECTION) conn_die(c, err);
  return SL_ERROR;
}

static int oom(sl_error *err) {
  return sl_error_set(err, SL_EK_DATABASE, "out of memory");
}

/* Queues the COM_STMT_CLOSE of finalized statements. */
static int flush_closing(sl_conn *c, sl_error *err) {
  int i;
  for (i = 0; i < c->nclosing; i++)
    if (sl_mywire_stmt_command(c->w, SL_MW_COM_STMT_CLOSE, c->closing[i],
                               err) != SL_OK)
      return SL_ERROR;
  c->nclosing = 0;
  return SL_OK;
}

static void close_later(sl_conn *c, uint32_t id) {
  if (c->nclosing == c->capclosing) {
    int cap = c->capclosing ? 2 * c->capclosing : 8;
    uint32_t *p = realloc(c->closing, (size_t)cap * sizeof *p);
    if (p == NULL) return; /* the server frees it with the session */
    c->closing = p;
    c->capclosing = cap;
  }
  c->closing[c->nclosing++] = id;
}

/* }==================================================================== */

/* {====================================================================
** Text commands (COM_QUERY): exec, transaction verbs, session set-up
** ===================================================================== */

/* Reads the reply of a text command as far as the packets allow: SL_OK
** when it ended well, SL_ERROR with the server's error, SL_AGAIN for more
** bytes. Result sets (of a CALL or a SELECT run by exec) are dropped. */
static int query_pump(sl_conn *c, sl_error *err) {
  const unsigned char *p;
  size_t n;
  uint32_t caps = sl_mywire_caps(c->w);
  while (sl_mywire_packet(c->w, &p, &n)) {
    sl_mywire_ok ok;
    int rc = SL_AGAIN;
    if (n == 0) {
      sl_error_clear(err);
      sl_error_set(err, SL_EK_CONNECTION,
                   "malformed packet from the server (empty reply)");
      return fail(c, err);
    }
    switch (c->q_state) {
    case Q_HEAD:
      if (p[0] == SL_MW_ERR) {
        sl_mywire_parse_err(p, n, err);
        rc = SL_ERROR;
      } else if (p[0] == SL_MW_OK) {
        if (sl_mywire_parse_ok(c->w, p, n, &ok, err) != SL_OK) {
          sl_mywire_next(c->w);
          return fail(c, err);
        }
        if (!(ok.status & SL_MW_STATUS_MORE_RESULTS)) rc = SL_OK;
      } else {
        const unsigned char *q = p;
        if (p[0] == 0xfb || sl_mywire_lenenc(&q, p + n, &c->q_left) != SL_OK ||
            c->q_left == 0) {
          sl_mywire_next(c->w);
          sl_error_clear(err);
          sl_error_set(err, SL_EK_CONNECTION,
                       "malformed packet from the server (result header)");
          return fail(c, err);
        }
        c->q_state = Q_COLS;
      }
      break;
    case Q_COLS:
      if (--c->q_left == 0)
        c->q_state = (caps & SL_MW_CLIENT_DEPRECATE_EOF) ? Q_ROWS : Q_COLS_EOF;
      break;
    case Q_COLS_EOF:
      if (!sl_mywire_is_eof(p, n)) {
        sl_mywire_next(c->w);
        sl_error_clear(err);
        sl_error_set(err, SL_EK_CONNECTION,
                     "malformed packet from the server (EOF expected)");
        return fail(c, err);
      }
      c->q_state = Q_ROWS;
      break;
    default: /* Q_ROWS */
      if (p[0] == SL_MW_ERR) {
        sl_mywire_parse_err(p, n, err);
        rc = SL_ERROR;
      } else if (sl_mywire_is_eof(p, n)) {
        if (sl_mywire_parse_eof(c->w, p, n, &ok, err) != SL_OK) {
          sl_mywire_next(c->w);
          return fail(c, err);
        }
        if (ok.status & SL_MW_STATUS_MORE_RESULTS)
          c->q_state = Q_HEAD;
        else
          rc = SL_OK;
      }
      break;
    }
    sl_mywire_next(c->w);
    if (rc != SL_AGAIN) {
      c->q_state = Q_NONE;
      sl_mywire_expect(c->w, 0);
      if (rc == SL_ERROR) return fail(c, err);
      return SL_OK;
    }
  }
  return SL_AGAIN;
}

static int wire_free(sl_conn *c, sl_error *err);

/* Runs the n texts one after the other (the pending call goes on from
** where it stopped); stops at the first error. */
static int run_texts(sl_conn *c, const char *const *texts, int n,
                     sl_error *err) {
  for (;;) {
    int rc;
    if (c->q_state == Q_NONE) {
      if (c->q_index >= n) {
        c->q_index = 0;
        return SL_OK;
      }
      rc = wire_free(c, err);
      if (rc != SL_OK) {
        if (rc == SL_ERROR) c->q_index = 0;
        return rc;
      }
      if (flush_closing(c, err) != SL_OK ||
          sl_mywire_command(c->w, SL_MW_COM_QUERY, texts[c->q_index],
                            strlen(texts[c->q_index]), err) != SL_OK) {
        c->q_index = 0;
        return SL_ERROR;
      }
      c->q_state = Q_HEAD;
      return SL_AGAIN;
    }
    rc = query_pump(c, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc == SL_ERROR) {
      c->q_index = 0;
      return SL_ERROR;
    }
    c->q_index++;
  }
}

static int run_text(sl_conn *c, const char *sql, sl_error *err) {
  return run_texts(c, &sql, 1, err);
}

/* }==================================================================== */

/* {====================================================================
** Statement replies
** ===================================================================== */

static int malformed(sl_conn *c, const char *what, sl_error *err) {
  sl_error_clear(err);
  sl_error_set(err, SL_EK_CONNECTION, "malformed packet from the server (%s)",
               what);
  return fail(c, err);
}

/* Makes room for the result's n columns. */
static int alloc_columns(sl_stmt *s, uint64_t n, sl_error *err) {
  if (n > 4096 * 16)
    return sl_error_set(err, SL_EK_CONNECTION,
                        "malformed packet from the server "
                        "(too many columns)");
  if (s->meta == NULL) {
    s->meta = sl_arena_new();
    if (s->meta == NULL) return oom(err);
  } else {
    sl_arena_reset(s->meta);
  }
  s->ncols = (unsigned)n;
  s->cols = sl_arena_alloc(s->meta, (size_t)n * sizeof *s->cols + 1);
  s->types = sl_arena_alloc(s->meta, (size_t)n * sizeof *s->types + 1);
  s->cells = sl_arena_alloc(s->meta, (size_t)n * sizeof *s->cells + 1);
  s->txt = sl_arena_alloc(s->meta, (size_t)n * sizeof *s->txt + 1);
  if (s->cols == NULL || s->types == NULL || s->cells == NULL ||
      s->txt == NULL) {
    s->ncols = 0;
    return oom(err);
  }
  return SL_OK;
}

/* The reply of s ended (well or not): the connection is free. */
static void reply_done(sl_stmt *s) {
  sl_conn *c = s->c;
  if (c != NULL && c->owner == s) {
    c->owner = NULL;
    sl_mywire_expect(c->w, 0);
  }
}

/* Appends the current packet to the spool. */
static int spool_row(sl_stmt *s, const unsigned char *p, size_t n,
                     sl_error *err) {
  sl_buf_add(&s->spool, (const char *)&n, sizeof n);
  sl_buf_add(&s->spool, (const char *)p, n);
  if (s->spool.oom) return oom(err);
  return SL_OK;
}

/* A row packet into s->row and its cells. */
static int take_row(sl_stmt *s, sl_error *err) {
  if (sl_mywire_split_row((const unsigned char *)s->row.p, s->row.n, s->types,
                          s->ncols, s->cells, err) != SL_OK)
    return SL_ERROR;
  s->has_row = 1;
  return SL_OK;
}

/* Ends the reply of s with an error: kept in the spool in M_SPOOL (the
** statement reports it when its reader gets there), else returned. */
static int reply_error(sl_stmt *s, int mode, sl_error *err) {
  sl_conn *c = s->c;
  reply_done(s);
  if (err->kind == SL_EK_CONNECTION) {
    fail(c, err);
    if (mode == M_SPOOL) {
      s->spool_err = *err;
      s->spool_failed = 1;
      s->phase = S_SPOOLED;
    } else {
      s->phase = S_DONE;
    }
    return SL_ERROR;
  }
  if (mode == M_SPOOL) {
    s->spool_err = *err;
    s->spool_failed = 1;
    s->phase = S_SPOOLED;
    return SL_DONE;
  }
  s->phase = S_DONE;
  return mode == M_DISCARD ? SL_DONE : SL_ERROR;
}

static int send_execute(sl_stmt *s, sl_error *err);

/* Reads the reply of the running statement s as far as the packets allow,
** in mode. Returns SL_ROW (M_STEP: a row is ready), SL_DONE (the reply
** ended; in M_SPOOL also when it ended in an error, kept for the
** reader), SL_AGAIN (more bytes) or SL_ERROR. */
static int stmt_pump(sl_stmt *s, int mode, sl_error *err) {
  sl_conn *c = s->c;
  sl_mywire *w = c->w;
  uint32_t caps = sl_mywire_caps(w);
  const unsigned char *p;
  size_t n;
  while (sl_mywire_packet(w, &p, &n)) {
    sl_mywire_ok ok;
    if (n == 0) {
      sl_mywire_next(w);
      return reply_error(s, mode, (malformed(c, "empty packet", err), err));
    }
    if (p[0] == SL_MW_ERR && s->rstate != R_PREP_DEFS &&
        s->rstate != R_EXEC_COLS && s->rstate != R_MORE_COLS) {
      sl_mywire_parse_err(p, n, err);
      sl_mywire_next(w);
      if (s->rstate == R_MORE_HEAD || s->rstate == R_MORE_ROWS)
        /* after the result the caller read: the statement did run */
        mode = mode == M_STEP ? M_DISCARD : mode;
      return reply_error(s, mode, err);
    }
    switch (s->rstate) {
    case R_PREP_HEAD: {
      uint32_t id;
      unsigned ncols, np;
      if (sl_mywire_parse_prepare_ok(p, n, &id, &ncols, &np, err) != SL_OK) {
        sl_mywire_next(w);
        return reply_error(s, mode, (fail(c, err), err));
      }
      s->id = id;
      s->prepared = 1;
      s->srv_params = np;
      s->srv_cols = ncols;
      s->prep_stage = np > 0 ? 0 : 1;
      s->left = np > 0 ? np : ncols;
      s->rstate = s->left > 0 ? R_PREP_DEFS : R_EXEC_HEAD;
      break;
    }
    case R_PREP_DEFS:
      if (--s->left == 0) {
        if (!(caps & SL_MW_CLIENT_DEPRECATE_EOF))
          s->rstate = R_PREP_EOF;
        else if (s->prep_stage == 0 && s->srv_cols > 0) {
          s->prep_stage = 1;
          s->left = s->srv_cols;
        } else
          s->rstate = R_EXEC_HEAD;
      }
      break;
    case R_PREP_EOF:
      if (!sl_mywire_is_eof(p, n)) {
        sl_mywire_next(w);
        return reply_error(s, mode, (malformed(c, "EOF expected", err), err));
      }
      if (s->prep_stage == 0 && s->srv_cols > 0) {
        s->prep_stage = 1;
        s->left = s->srv_cols;
        s->rstate = R_PREP_DEFS;
      } else {
        s->rstate = R_EXEC_HEAD;
      }
      break;
    case R_EXEC_HEAD:
      if (p[0] == SL_MW_OK) {
        if (sl_mywire_parse_ok(w, p, n, &ok, err) != SL_OK) {
          sl_mywire_next(w);
          return reply_error(s, mode, (fail(c, err), err));
        }
        s->affected = (long long)ok.affected;
        s->insert_id = ok.insert_id;
        s->ncols = 0;
        if (ok.status & SL_MW_STATUS_MORE_RESULTS) {
          s->rstate = R_MORE_HEAD;
          break;
        }
        sl_mywire_next(w);
        reply_done(s);
        s->phase = S_DONE;
        return SL_DONE;
      } else {
        const unsigned char *q = p;
        uint64_t k;
        if (sl_mywire_lenenc(&q, p + n, &k) != SL_OK || k == 0) {
          sl_mywire_next(w);
          return reply_error(s, mode,
                             (malformed(c, "result header", err), err));
        }
        if (alloc_columns(s, k, err) != SL_OK) {
          sl_mywire_next(w);
          err->kind = SL_EK_CONNECTION;
          return reply_error(s, mode, (fail(c, err), err));
        }
        s->left = k;
        s->nrows = 0;
        s->rstate = R_EXEC_COLS;
      }
      break;
    case R_EXEC_COLS: {
      sl_mywire_column *col = &s->cols[s->ncols - s->left];
      char *name;
      if (sl_mywire_parse_column(p, n, col, err) != SL_OK) {
        sl_mywire_next(w);
        return reply_error(s, mode, (fail(c, err), err));
      }
      name = sl_arena_strndup(s->meta, col->name, col->namelen);
      if (name == NULL) {
        sl_mywire_next(w);
        return reply_error(s, mode, (oom(err), fail(c, err), err));
      }
      col->name = name;
      s->types[s->ncols - s->left] = col->type;
      if (--s->left == 0)
        s->rstate =
            (caps & SL_MW_CLIENT_DEPRECATE_EOF) ? R_ROWS : R_EXEC_COLS_EOF;
      break;
    }
    case R_EXEC_COLS_EOF:
    case R_MORE_COLS_EOF:
      if (!sl_mywire_is_eof(p, n)) {
        sl_mywire_next(w);
        return reply_error(s, mode, (malformed(c, "EOF expected", err), err));
      }
      s->rstate = s->rstate == R_EXEC_COLS_EOF ? R_ROWS : R_MORE_ROWS;
      break;
    case R_ROWS:
      if (sl_mywire_is_eof(p, n)) {
        if (sl_mywire_parse_eof(w, p, n, &ok, err) != SL_OK) {
          sl_mywire_next(w);
          return reply_error(s, mode, (fail(c, err), err));
        }
        s->affected = s->writes ? s->nrows : 0;
        s->insert_id = ok.insert_id;
        if (ok.status & SL_MW_STATUS_MORE_RESULTS) {
          s->rstate = R_MORE_HEAD;
          break;
        }
        sl_mywire_next(w);
        reply_done(s);
        if (mode == M_SPOOL) {
          s->phase = S_SPOOLED;
        } else if (mode == M_STEP) {
          s->phase = S_DONE;
        } else {
          s->phase = S_DONE;
        }
        return SL_DONE;
      }
      s->nrows++;
      if (mode == M_STEP) {
        sl_mywire_take(w, &s->row);
        if (take_row(s, err) != SL_OK)
          return reply_error(s, mode, (fail(c, err), err));
        return SL_ROW;
      }
      if (mode == M_SPOOL) {
        /* checked now: a broken row fails the connection at once */
        if (sl_mywire_split_row(p, n, s->types, s->ncols, s->cells, err) !=
                SL_OK ||
            spool_row(s, p, n, err) != SL_OK) {
          sl_mywire_next(w);
          return reply_error(s, mode, (fail(c, err), err));
        }
      }
      break;
    case R_MORE_HEAD:
      if (p[0] == SL_MW_OK) {
        if (sl_mywire_parse_ok(w, p, n, &ok, err) != SL_OK) {
          sl_mywire_next(w);
          return reply_error(s, mode, (fail(c, err), err));
        }
        if (ok.status & SL_MW_STATUS_MORE_RESULTS) break;
        sl_mywire_next(w);
        reply_done(s);
        s->phase = mode == M_SPOOL ? S_SPOOLED : S_DONE;
        return SL_DONE;
      } else {
        const unsigned char *q = p;
        if (sl_mywire_lenenc(&q, p + n, &s->left) != SL_OK || s->left == 0) {
          sl_mywire_next(w);
          return reply_error(s, mode,
                             (malformed(c, "result header", err), err));
        }
        s->rstate = R_MORE_COLS;
      }
      break;
    case R_MORE_COLS:
      if (--s->left == 0)
        s->rstate =
            (caps & SL_MW_CLIENT_DEPRECATE_EOF) ? R_MORE_ROWS : R_MORE_COLS_EOF;
      break;
    default: /* R_MORE_ROWS */
      if (sl_mywire_is_eof(p, n)) {
        if (sl_mywire_parse_eof(w, p, n, &ok, err) != SL_OK) {
          sl_mywire_next(w);
          return reply_error(s, mode, (fail(c, err), err));
        }
        if (ok.status & SL_MW_STATUS_MORE_RESULTS) {
          s->rstate = R_MORE_HEAD;
          break;
        }
        sl_mywire_next(w);
        reply_done(s);
        s->phase = mode == M_SPOOL ? S_SPOOLED : S_DONE;
        return SL_DONE;
      }
      break;
    }
    sl_mywire_next(w);
    if (s->preparing && s->rstate == R_EXEC_HEAD) {
      /* the prepare reply ended */
      s->preparing = 0;
      if (s->then_exec && mode == M_STEP && !s->zombie && !s->abandoned) {
        /* the execute goes out now */
        s->then_exec = 0;
        reply_done(s);
        if (send_execute(s, err) != SL_OK) {
          s->phase = S_DONE;
          return SL_ERROR;
        }
        return SL_AGAIN;
      }
      /* prepared for a reader that is not stepping now (another command
      ** needs the connection, or it was reset or finalized): nothing ran */
      s->then_exec = 0;
      reply_done(s);
      s->phase = S_IDLE;
      return SL_DONE;
    }
  }
  return SL_AGAIN;
}

/* Frees a statement finalized while its reply was read. */
static void free_zombie(sl_stmt *s) {
  sl_conn *c = s->c;
  if (c != NULL && s->prepared && c->phase == C_READY) close_later(c, s->id);
  sl_buf_free(&s->row);
  sl_buf_free(&s->spool);
  sl_arena_free(s->meta);
  free(s->sql);
  free(s);
}

/* Makes the connection free for a new command: reads the rest of the
** reply on the wire, into its statement's spool or dropped. */
static int wire_free(sl_conn *c, sl_error *err) {
  while (c->owner != NULL) {
    sl_stmt *o = c->owner;
    int mode = o->zombie || o->abandoned ? M_DISCARD : M_SPOOL;
    sl_error e;
    int rc;
    sl_error_clear(&e);
    rc = stmt_pump(o, mode, &e);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (c->owner == o) c->owner = NULL; /* defensive: it ended */
    if (o->abandoned) {
      o->abandoned = 0;
      o->phase = S_IDLE; /* it was reset meanwhile */
    }
    if (o->zombie) free_zombie(o);
    if (c->phase == C_DEAD) return conn_error(c, err);
  }
  if (c->q_state != Q_NONE) {
    /* a text reply whose call was given up: dropped */
    sl_error e;
    int rc = query_pump(c, &e);
    if (rc == SL_AGAIN) return SL_AGAIN;
    c->q_index = 0;
    if (c->phase == C_DEAD) return conn_error(c, err);
  }
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    int x = *a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a;
    int y = *b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b;
    if (x == '_') x = '-';
    if (y == '_') y = '-';
    if (x != y) return 0;
  }
  return *a == *b;
}

static int parse_seconds(const char *key, const char *value, sl_error *err) {
  char *end;
  long v = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || v < 1 || v > 86400)
    return sl_error_set(err, SL_EK_USAGE,
                        "mysql option %s must be a number of seconds, "
                        "got '%s'",
                        key, value);
  return SL_OK;
}

static int parse_tls(const char *key, const char *v, int *tls, sl_error *err) {
  if (strcmp(key, "ssl") == 0) {
    if (ieq(v, "true") || ieq(v, "1") || ieq(v, "on") || ieq(v, "yes"))
      *tls = SL_MW_TLS_REQUIRE;
    else if (ieq(v, "false") || ieq(v, "0") || ieq(v, "off") || ieq(v, "no"))
      *tls = SL_MW_TLS_OFF;
    else
      return sl_error_set(err, SL_EK_USAGE,
                          "mysql option ssl must be true or false, got '%s'",
                          v);
    return SL_OK;
  }
  if (ieq(v, "disable") || ieq(v, "disabled"))
    *tls = SL_MW_TLS_OFF;
  else if (ieq(v, "prefer") || ieq(v, "preferred") || ieq(v, "allow"))
    *tls = SL_MW_TLS_PREFER;
  else if (ieq(v, "require") || ieq(v, "required") || ieq(v, "verify-ca") ||
           ieq(v, "verify-full") || ieq(v, "verify-identity"))
    *tls = SL_MW_TLS_REQUIRE;
  else
    return sl_error_set(err, SL_EK_USAGE,
                        "mysql option %s must be disable, prefer, require, "
                        "verify-ca or verify-full, got '%s'",
                        key, v);
  return SL_OK;
}

static int mw_connect(const sl_connopts *opts, sl_conn **out, sl_error *err) {
  sl_mywire_login login;
  int i, reused = 0;
  sl_conn *c;
  *out = NULL;
  sl_error_clear(err);
  memset(&login, 0, sizeof login);
  for (i = 0; i < opts->nextra; i++) {
    const char *k = opts->extra_keys[i], *v = opts->extra_values[i];
    if (strcmp(k, "connect_timeout") == 0 || strcmp(k, "connectTimeout") == 0 ||
        strcmp(k, "read_timeout") == 0 || strcmp(k, "readTimeout") == 0 ||
        strcmp(k, "write_timeout") == 0 || strcmp(k, "writeTimeout") == 0) {
      if (parse_seconds(k, v, err) != SL_OK) return SL_ERROR;
    } else if (strcmp(k, "ssl") == 0 || strcmp(k, "sslmode") == 0 ||
               strcmp(k, "ssl_mode") == 0 || strcmp(k, "sslMode") == 0) {
      if (parse_tls(k, v, &login.tls, err) != SL_OK) return SL_ERROR;
    } else if (strcmp(k, "sleet_reused") == 0) {
      reused = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
    } else if (strncmp(k, "sleet_", 6) != 0) {
      return sl_error_set(err, SL_EK_USAGE,
                          "unknown mysql option '%s' (connect_timeout, "
                          "read_timeout, write_timeout, ssl or sslmode)",
                          k);
    }
  }
  c = calloc(1, sizeof *c);
  if (c == NULL) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  c->w = sl_mywire_new();
  if (c->w == NULL) {
    free(c);
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  }
  if (reused) {
    c->phase = C_READY;
  } else {
    login.user = opts->user;
    login.password = opts->password;
    login.database = opts->database;
    if (sl_mywire_start_login(c->w, &login, err) != SL_OK) {
      sl_mywire_free(c->w);
      free(c);
      err->kind = SL_EK_CONNECTION;
      return SL_ERROR;
    }
    c->phase = C_LOGIN;
  }
  *out = c;
  return SL_OK;
}

static int mw_ready(sl_conn *c, sl_error *err) {
  int rc;
  switch (c->phase) {
  case C_LOGIN:
    rc = sl_mywire_login_step(c->w, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc == SL_ERROR) {
      err->kind = SL_EK_CONNECTION;
      return fail(c, err);
    }
    c->phase = C_SETUP;
    /* fall through */
  case C_SETUP:
    rc = run_text(c, session_setup, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc == SL_ERROR) {
      err->kind = SL_EK_CONNECTION;
      return fail(c, err);
    }
    c->phase = C_READY;
    return SL_OK;
  case C_READY:
    return SL_OK;
  default:
    return conn_error(c, err);
  }
}

static void mw_close(sl_conn *c) {
  sl_stmt *s;
  if (c == NULL) return;
  if (c->owner != NULL && c->owner->zombie) free_zombie(c->owner);
  c->owner = NULL;
  for (s = c->stmts; s != NULL; s = s->next)
    s->c = NULL;
  free(c->closing);
  sl_mywire_free(c->w);
  free(c);
}

static void mw_io(sl_conn *c, sl_io *io) {
  memset(io, 0, sizeof *io);
  if (c->phase == C_DEAD) return;
  sl_mywire_output(c->w, &io->out, &io->outlen, &io->tls);
  io->want = sl_mywire_want(c->w);
}

static int mw_feed(sl_conn *c, const char *data, size_t len, sl_error *err) {
  if (c->phase == C_DEAD) return conn_error(c, err);
  if (sl_mywire_feed(c->w, data, len, err) != SL_OK) return fail(c, err);
  return SL_OK;
}

static void mw_lost(sl_conn *c, const char *why) {
  sl_error e;
  sl_error_clear(&e);
  sl_error_set(&e, SL_EK_CONNECTION, "lost connection to the server (%s)",
               why != NULL && *why ? why : "the transport failed");
  e.code = MW_CR_SERVER_LOST;
  e.has_code = 1;
  conn_die(c, &e);
}

static int mw_quit(sl_conn *c, int reset, sl_error *err) {
  int rc;
  sl_stmt *s;
  if (c->phase == C_DEAD) return conn_error(c, err);
  if (!reset) {
    if (c->phase != C_CLOSED &&
        sl_mywire_command(c->w, SL_MW_COM_QUIT, NULL, 0, err) != SL_OK)
      return SL_ERROR;
    sl_mywire_expect(c->w, 0);
    if (c->owner != NULL && c->owner->zombie) free_zombie(c->owner);
    c->owner = NULL;
    c->phase = C_CLOSED;
    return SL_OK;
  }
  if (c->phase != C_READY && c->phase != C_RESET) return conn_error(c, err);
  if (c->phase == C_READY) {
    /* every reply on the wire is dropped: the session forgets it all */
    for (s = c->stmts; s != NULL; s = s->next)
      if (c->owner == s) s->abandoned = 1;
    rc = wire_free(c, err);
    if (rc != SL_OK) return rc;
    c->nclosing = 0; /* the reset deallocates every statement */
    if (sl_mywire_command(c->w, SL_MW_COM_RESET_CONNECTION, NULL, 0, err) !=
        SL_OK)
      return SL_ERROR;
    c->q_state = Q_HEAD;
    c->reset_sent = 0;
    c->phase = C_RESET;
    return SL_AGAIN;
  }
  if (!c->reset_sent) {
    rc = query_pump(c, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc == SL_ERROR) return fail(c, err);
    c->reset_sent = 1;
  }
  rc = run_text(c, session_setup, err);
  if (rc == SL_AGAIN) return SL_AGAIN;
  if (rc == SL_ERROR) return fail(c, err);
  for (s = c->stmts; s != NULL; s = s->next) {
    s->prepared = 0;
    s->phase = S_IDLE;
  }
  c->phase = C_CLOSED;
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Statements
** ===================================================================== */

static int lower_ascii(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Skips whitespace, comments, ';' and '(' (drivers/mysql.c). */
static const char *skip_space(const char *p, const char *end) {
  while (p < end) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
        *p == '\v' || *p == ';' || *p == '(') {
      p++;
    } else if ((*p == '-' && p + 1 < end && p[1] == '-') || *p == '#') {
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
  size_t i, n = strlen(kw);
  if ((size_t)(end - p) < n) return 0;
  for (i = 0; i < n; i++)
    if (lower_ascii((unsigned char)p[i]) != kw[i]) return 0;
  p += n;
  return p == end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       (*p >= '0' && *p <= '9') || *p == '_');
}

static int mw_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                      sl_stmt **out, sl_error *err) {
  const char *end = sql + len, *kw;
  sl_stmt *s;
  *out = NULL;
  if (c->phase != C_READY) return conn_error(c, err);
  if (nparams > MW_MAX_PARAMS)
    return sl_error_set(err, SL_EK_USAGE,
                        "MySQL takes at most %d parameters per statement, "
                        "%d given",
                        MW_MAX_PARAMS, nparams);
  if (len >= SL_MW_MAX_PACKET)
    return sl_error_set(err, SL_EK_USAGE, "SQL text too long");
  s = calloc(1, sizeof *s);
  if (s == NULL) return oom(err);
  s->sql = malloc(len + 1);
  if (s->sql == NULL) {
    free(s);
    return oom(err);
  }
  memcpy(s->sql, sql, len);
  s->sql[len] = '\0';
  s->len = len;
  s->nparams = nparams < 0 ? 0 : nparams;
  s->c = c;
  s->phase = S_IDLE;
  sl_buf_init(&s->row);
  sl_buf_init(&s->spool);
  kw = skip_space(sql, end);
  if (keyword_is(kw, end, "insert") || keyword_is(kw, end, "replace"))
    s->writes = s->inserts = 1;
  else if (keyword_is(kw, end, "update") || keyword_is(kw, end, "delete") ||
           keyword_is(kw, end, "with"))
    s->writes = 1;
  s->next = c->stmts;
  if (c->stmts != NULL) c->stmts->prev = s;
  c->stmts = s;
  *out = s;
  return SL_OK;
}

static int mw_bind(sl_stmt *s, const sl_value *params, int nparams,
                   sl_error *err) {
  int want = s->prepared ? (int)s->srv_params : s->nparams;
  int i;
  if (nparams < 0 || nparams != want)
    return sl_error_set(err, SL_EK_USAGE,
                        "statement takes %d parameter%s, %d given", want,
                        want == 1 ? "" : "s", nparams);
  for (i = 0; i < nparams; i++)
    if (params[i].type < SL_V_NULL || params[i].type > SL_V_BLOB)
      return sl_error_set(err, SL_EK_USAGE, "bad value type for parameter %d",
                          i + 1);
  s->params = params;
  s->bound = nparams;
  return SL_OK;
}

static int send_execute(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->c;
  if ((int)s->srv_params != s->bound)
    return sl_error_set(err, SL_EK_USAGE,
                        "statement takes %u parameter%s, %d given",
                        s->srv_params, s->srv_params == 1 ? "" : "s", s->bound);
  if (sl_mywire_execute(c->w, s->id, s->params, s->bound, err) != SL_OK)
    return SL_ERROR;
  s->rstate = R_EXEC_HEAD;
  s->phase = S_RUNNING;
  c->owner = s;
  return SL_OK;
}

/* The next row of the spool into s->row. */
static int spool_next(sl_stmt *s, sl_error *err) {
  size_t n;
  if (s->spool_pos >= s->spool.n) {
    sl_buf_free(&s->spool);
    sl_buf_init(&s->spool);
    s->spool_pos = 0;
    s->phase = S_DONE;
    if (s->spool_failed) {
      s->spool_failed = 0;
      *err = s->spool_err;
      return SL_ERROR;
    }
    return SL_DONE;
  }
  memcpy(&n, s->spool.p + s->spool_pos, sizeof n);
  s->spool_pos += sizeof n;
  sl_buf_reset(&s->row);
  sl_buf_add(&s->row, s->spool.p + s->spool_pos, n);
  s->spool_pos += n;
  if (s->row.oom) return oom(err);
  if (take_row(s, err) != SL_OK) return SL_ERROR;
  return SL_ROW;
}

static int mw_step(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->c;
  int rc;
  s->has_row = 0;
  if (c == NULL || (c->phase != C_READY))
    return c == NULL
               ? sl_error_set(err, SL_EK_USAGE, "the connection is closed")
               : conn_error(c, err);
  switch (s->phase) {
  case S_DONE:
    return SL_DONE;
  case S_SPOOLED:
    return spool_next(s, err);
  case S_IDLE:
    if (s->bound != (s->prepared ? (int)s->srv_params : s->nparams))
      return sl_error_set(err, SL_EK_USAGE,
                          "no values bound for the statement's parameters");
    rc = wire_free(c, err);
    if (rc != SL_OK) return rc;
    if (s->phase != S_IDLE) return mw_step(s, err); /* spooled meanwhile */
    if (flush_closing(c, err) != SL_OK) return SL_ERROR;
    s->nrows = 0;
    s->affected = 0;
    s->insert_id = 0;
    if (!s->prepared) {
      if (sl_mywire_command(c->w, SL_MW_COM_STMT_PREPARE, s->sql, s->len,
                            err) != SL_OK)
        return SL_ERROR;
      s->rstate = R_PREP_HEAD;
      s->then_exec = 1;
      s->preparing = 1;
      s->phase = S_RUNNING;
      c->owner = s;
      return SL_AGAIN;
    }
    if (send_execute(s, err) != SL_OK) return SL_ERROR;
    return SL_AGAIN;
  default: /* S_RUNNING */
    if (c->owner != s)
      return sl_error_set(err, SL_EK_USAGE,
                          "statement out of step with its "
                          "connection");
    rc = stmt_pump(s, M_STEP, err);
    if (rc == SL_ERROR && err->kind == SL_EK_CONNECTION) fail(c, err);
    return rc;
  }
}

static int mw_ncolumns(sl_stmt *s) {
  return (int)s->ncols;
}

static const char *mw_column_name(sl_stmt *s, int i) {
  if (s->cols == NULL || i < 0 || (unsigned)i >= s->ncols) return "?";
  return s->cols[i].name ? s->cols[i].name : "?";
}

static void mw_column(sl_stmt *s, int i, sl_value *out) {
  if (!s->has_row || i < 0 || (unsigned)i >= s->ncols) {
    out->type = SL_V_NULL;
    return;
  }
  sl_mywire_value(&s->cols[i], &s->cells[i], s->txt[i], out);
}

static int mw_reset(sl_stmt *s, sl_error *err) {
  sl_conn *c = s->c;
  (void)err;
  s->params = NULL;
  s->bound = 0;
  s->has_row = 0;
  s->then_exec = 0;
  sl_buf_free(&s->spool);
  sl_buf_init(&s->spool);
  s->spool_pos = 0;
  s->spool_failed = 0;
  s->affected = 0;
  s->insert_id = 0;
  s->nrows = 0;
  if (c != NULL && c->owner == s) {
    if (c->phase == C_READY || c->phase == C_RESET)
      s->abandoned = 1; /* the rest of its reply is dropped */
    else
      c->owner = NULL;
  }
  s->phase = S_IDLE;
  return SL_OK;
}

static void mw_finalize(sl_stmt *s) {
  sl_conn *c;
  if (s == NULL) return;
  c = s->c;
  if (c != NULL) {
    if (s->prev != NULL)
      s->prev->next = s->next;
    else
      c->stmts = s->next;
    if (s->next != NULL) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    if (c->owner == s) {
      if (c->phase == C_READY || c->phase == C_RESET) {
        /* its reply is still on the wire: read and dropped, then freed */
        s->zombie = 1;
        s->params = NULL;
        return;
      }
      c->owner = NULL;
    }
    if (s->prepared && c->phase == C_READY) close_later(c, s->id);
  }
  sl_buf_free(&s->row);
  sl_buf_free(&s->spool);
  sl_arena_free(s->meta);
  free(s->sql);
  free(s);
}

static long long mw_rows_affected(sl_conn *c, sl_stmt *s) {
  (void)c;
  if (s == NULL || s->affected < 0) return 0;
  return s->affected;
}

static long long mw_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  (void)c;
  *has_id = 0;
  if (s == NULL || !s->inserts || s->insert_id == 0 ||
      s->insert_id > (uint64_t)LLONG_MAX)
    return 0;
  *has_id = 1;
  return (long long)s->insert_id;
}

static int mw_exec(sl_conn *c, const char *sql, sl_error *err) {
  if (c->phase != C_READY) return conn_error(c, err);
  return run_text(c, sql, err);
}

/* }==================================================================== */

/* {====================================================================
** Transactions (spelled as drivers/mysql.c spells them)
** ===================================================================== */

/* verb followed by name as a quoted identifier, into buf. */
static int verb_text(const char *verb, const char *name, sl_buf *b,
                     sl_error *err) {
  const char *p;
  sl_buf_adds(b, verb);
  sl_buf_adds(b, " `");
  for (p = name; *p != '\0'; p++) {
    if (*p == '`') sl_buf_addc(b, '`');
    sl_buf_addc(b, *p);
  }
  sl_buf_addc(b, '`');
  if (b->oom) return oom(err);
  return SL_OK;
}

static int exec_verb(sl_conn *c, const char *verb, const char *name,
                     sl_error *err) {
  sl_buf b;
  int rc;
  if (c->phase != C_READY) return conn_error(c, err);
  sl_buf_init(&b);
  rc = verb_text(verb, name, &b, err);
  if (rc == SL_OK) rc = run_text(c, b.p, err);
  sl_buf_free(&b);
  return rc;
}

/* The characteristics drivers/mysql.c's begin accepts (my_txmode.h):
** SET TRANSACTION for the isolation level, then START TRANSACTION. */
static int mw_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  char level[96], start[128];
  const char *texts[2];
  int n = 0;
  if (c->phase != C_READY) return conn_error(c, err);
  if (my_txmode(opts != NULL ? opts->mode : NULL, level, start, err) != SL_OK)
    return SL_ERROR;
  if (level[0] != '\0') texts[n++] = level;
  texts[n++] = start;
  return run_texts(c, texts, n, err);
}

static int mw_commit(sl_conn *c, sl_error *err) {
  return mw_exec(c, "COMMIT", err);
}

static int mw_rollback(sl_conn *c, sl_error *err) {
  return mw_exec(c, "ROLLBACK", err);
}

static int mw_savepoint(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "SAVEPOINT", name, err);
}

static int mw_release(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "RELEASE SAVEPOINT", name, err);
}

static int mw_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "ROLLBACK TO SAVEPOINT", name, err);
}

static int mw_in_transaction(sl_conn *c) {
  if (c->phase == C_DEAD) return 0;
  return (sl_mywire_status(c->w) & SL_MW_STATUS_IN_TRANS) != 0;
}

/* }==================================================================== */

/* The MySQL/MariaDB protocol spoken by sleet itself, over the host's
** socket: "mywire" connections speaking sl_dialect_mysql. */
const sl_driver sl_driver_mywire = {
    .abi = SL_DRIVER_ABI,
    .name = "mywire",
    .dialect = "mysql",
    .connect = mw_connect,
    .close = mw_close,
    .prepare = mw_prepare,
    .bind = mw_bind,
    .step = mw_step,
    .ncolumns = mw_ncolumns,
    .column_name = mw_column_name,
    .column = mw_column,
    .reset = mw_reset,
    .finalize = mw_finalize,
    .rows_affected = mw_rows_affected,
    .last_insert_id = mw_last_insert_id,
    .exec = mw_exec,
    .begin = mw_begin,
    .commit = mw_commit,
    .rollback = mw_rollback,
    .savepoint = mw_savepoint,
    .release = mw_release,
    .rollback_to = mw_rollback_to,
    .prepare_persistent = mw_prepare,
    .in_transaction = mw_in_transaction,
    .batch = NULL,
    .holds_changes = NULL,
    .io = mw_io,
    .feed = mw_feed,
    .ready = mw_ready,
    .lost = mw_lost,
    .quit = mw_quit,
};
