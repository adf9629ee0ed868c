/*
** hostio_driver.c — a driver for the specs of the host-I/O binding
** (`sleet.driver.hostio`, built by `make spec-drivers`, never installed).
**
** It is SQLite with the waits of a wire driver: every call that may wait
** first returns SL_AGAIN and asks the host, through io(), to send one
** request byte and to read one reply byte; only then does it run. step()
** waits before every second row, so results are read across waits as a
** streaming wire driver reads them. The reply byte '!' means go on, 'x'
** breaks the protocol (feed fails), and lost() makes every later call fail
** with kind connection, as a wire driver does when its socket fails.
*/
#include <stdlib.h>
#include <string.h>

#include "../../drivers/sl_driver.h"

extern const sl_driver sl_driver_hostio;

struct sl_conn {
  sl_conn *inner; /* the SQLite connection */
  int waiting;    /* a call returned SL_AGAIN and awaits its reply byte */
  int replied;    /* the reply byte came: the call may run */
  int sent;       /* the request byte went out */
  int lost;
  int ready;
  char why[200];
};

struct sl_stmt {
  sl_stmt *inner;
  sl_conn *conn;
  int rows; /* rows stepped since the last wait */
};

/* The wait protocol: SL_AGAIN until the reply came, then SL_OK once. */
static int wait_turn(sl_conn *c, sl_error *err) {
  if (c->lost)
    return sl_error_set(err, SL_EK_CONNECTION, "connection lost: %s", c->why);
  if (c->replied) {
    c->replied = 0;
    return SL_OK;
  }
  c->waiting = 1;
  c->sent = 0;
  return SL_AGAIN;
}

static int hio_connect(const sl_connopts *opts, sl_conn **out,
                       sl_error *err) {
  sl_conn *c = calloc(1, sizeof *c);
  *out = NULL;
  if (c == NULL) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  if (sl_driver_sqlite.connect(opts, &c->inner, err) != SL_OK) {
    free(c);
    return SL_ERROR;
  }
  *out = c;
  return SL_OK;
}

static void hio_close(sl_conn *c) {
  if (c == NULL) return;
  sl_driver_sqlite.close(c->inner);
  free(c);
}

static int hio_wrap(sl_conn *c, int rc, sl_stmt *inner, sl_stmt **out,
                    sl_error *err) {
  sl_stmt *s;
  *out = NULL;
  if (rc != SL_OK) return rc;
  s = calloc(1, sizeof *s);
  if (s == NULL) {
    sl_driver_sqlite.finalize(inner);
    return sl_error_set(err, SL_EK_DATABASE, "out of memory");
  }
  s->inner = inner;
  s->conn = c;
  *out = s;
  return SL_OK;
}

static int hio_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                       sl_stmt **out, sl_error *err) {
  sl_stmt *inner = NULL;
  int rc;
  if (c->lost)
    return sl_error_set(err, SL_EK_CONNECTION, "connection lost: %s", c->why);
  rc = sl_driver_sqlite.prepare(c->inner, sql, len, nparams, &inner, err);
  return hio_wrap(c, rc, inner, out, err);
}

static int hio_prepare_persistent(sl_conn *c, const char *sql, size_t len,
                                  int nparams, sl_stmt **out, sl_error *err) {
  sl_stmt *inner = NULL;
  int rc;
  if (c->lost)
    return sl_error_set(err, SL_EK_CONNECTION, "connection lost: %s", c->why);
  rc = sl_driver_sqlite.prepare_persistent(c->inner, sql, len, nparams,
                                               &inner, err);
  return hio_wrap(c, rc, inner, out, err);
}

static int hio_bind(sl_stmt *s, const sl_value *params, int nparams,
                    sl_error *err) {
  return sl_driver_sqlite.bind(s->inner, params, nparams, err);
}

static int hio_step(sl_stmt *s, sl_error *err) {
  if (s->rows % 2 == 0) {
    int rc = wait_turn(s->conn, err);
    if (rc != SL_OK) return rc;
  }
  s->rows++;
  return sl_driver_sqlite.step(s->inner, err);
}

static int hio_ncolumns(sl_stmt *s) {
  return sl_driver_sqlite.ncolumns(s->inner);
}

static const char *hio_column_name(sl_stmt *s, int i) {
  return sl_driver_sqlite.column_name(s->inner, i);
}

static void hio_column(sl_stmt *s, int i, sl_value *out) {
  sl_driver_sqlite.column(s->inner, i, out);
}

static int hio_reset(sl_stmt *s, sl_error *err) {
  s->rows = 0;
  return sl_driver_sqlite.reset(s->inner, err);
}

static void hio_finalize(sl_stmt *s) {
  if (s == NULL) return;
  sl_driver_sqlite.finalize(s->inner);
  free(s);
}

static long long hio_rows_affected(sl_conn *c, sl_stmt *s) {
  return sl_driver_sqlite.rows_affected(c->inner, s->inner);
}

static long long hio_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  return sl_driver_sqlite.last_insert_id(c->inner, s->inner, has_id);
}

static int hio_exec(sl_conn *c, const char *sql, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc : sl_driver_sqlite.exec(c->inner, sql, err);
}

static int hio_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc : sl_driver_sqlite.begin(c->inner, opts, err);
}

static int hio_commit(sl_conn *c, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc : sl_driver_sqlite.commit(c->inner, err);
}

static int hio_rollback(sl_conn *c, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc : sl_driver_sqlite.rollback(c->inner, err);
}

static int hio_savepoint(sl_conn *c, const char *name, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc : sl_driver_sqlite.savepoint(c->inner, name, err);
}

static int hio_release(sl_conn *c, const char *name, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc : sl_driver_sqlite.release(c->inner, name, err);
}

static int hio_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  int rc = wait_turn(c, err);
  return rc != SL_OK ? rc
                     : sl_driver_sqlite.rollback_to(c->inner, name, err);
}

static int hio_in_transaction(sl_conn *c) {
  return sl_driver_sqlite.in_transaction(c->inner);
}

static void hio_io(sl_conn *c, sl_io *io) {
  memset(io, 0, sizeof *io);
  if (!c->waiting || c->lost) return;
  if (!c->sent) {
    io->out = "?";
    io->outlen = 1;
    c->sent = 1;
  }
  io->want = 1;
}

static int hio_feed(sl_conn *c, const char *data, size_t len, sl_error *err) {
  if (len != 1 || !c->waiting || data[0] != '!')
    return sl_error_set(err, SL_EK_CONNECTION,
                        "protocol violation: unexpected reply");
  c->waiting = 0;
  c->replied = 1;
  return SL_OK;
}

static int hio_ready(sl_conn *c, sl_error *err) {
  int rc;
  if (c->ready) return SL_OK;
  rc = wait_turn(c, err);
  if (rc == SL_OK) c->ready = 1;
  return rc;
}

static void hio_lost(sl_conn *c, const char *why) {
  size_t n = strlen(why);
  if (n >= sizeof c->why) n = sizeof c->why - 1;
  memcpy(c->why, why, n);
  c->why[n] = '\0';
  c->lost = 1;
  c->waiting = 0;
}

static int hio_quit(sl_conn *c, int reset, sl_error *err) {
  if (!reset) return SL_OK;
  return wait_turn(c, err);
}

const sl_driver sl_driver_hostio = {
    .abi = SL_DRIVER_ABI,
    .name = "hostio",
    .dialect = "sqlite",
    .connect = hio_connect,
    .close = hio_close,
    .prepare = hio_prepare,
    .bind = hio_bind,
    .step = hio_step,
    .ncolumns = hio_ncolumns,
    .column_name = hio_column_name,
    .column = hio_column,
    .reset = hio_reset,
    .finalize = hio_finalize,
    .rows_affected = hio_rows_affected,
    .last_insert_id = hio_last_insert_id,
    .exec = hio_exec,
    .begin = hio_begin,
    .commit = hio_commit,
    .rollback = hio_rollback,
    .savepoint = hio_savepoint,
    .release = hio_release,
    .rollback_to = hio_rollback_to,
    .prepare_persistent = hio_prepare_persistent,
    .in_transaction = hio_in_transaction,
    .batch = NULL,
    .holds_changes = NULL,
    .io = hio_io,
    .feed = hio_feed,
    .ready = hio_ready,
    .lost = hio_lost,
    .quit = hio_quit,
};
