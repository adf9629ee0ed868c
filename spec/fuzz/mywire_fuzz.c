/*
** mywire_fuzz.c — libFuzzer target of the MySQL/MariaDB wire driver
** (drivers/mywire.c over ext/sl_mywire.c): the input is what a server
** sends, read by the driver through its vtable as a host would move it.
**
** Input: byte 0 chooses the session (bit 0: a password, bit 1: TLS
** preferred, bit 2: a database, bits 3-5: how many bytes each feed gives
** at most, 0 meaning all that is asked), the rest is the server's byte
** stream. The driver logs in, then runs a fixed script: a statement with
** parameters stepped to its end, an exec, a second statement stepped once
** while a transaction begins (its rows spooled), a commit, and the reset of
** the session for a keepalive pool. When the stream runs dry the transport
** is reported lost. Every call must end in SL_OK, SL_ROW, SL_DONE or
** SL_ERROR with a message, never loop, crash or leak.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sl_driver.h"

static const sl_driver *const D = &sl_driver_mywire;

typedef struct feeder {
  sl_conn *c;
  const uint8_t *p;
  size_t n, pos;
  size_t chunk;
} feeder;

/* Moves bytes until the pending call can be made again: 0, or -1 when the
** stream ran dry (the transport is then reported lost). */
static int move(feeder *f) {
  int rounds;
  for (rounds = 0; rounds < 1000000; rounds++) {
    sl_io io;
    sl_error err;
    size_t k;
    D->io(f->c, &io);
    if (io.want == 0) return 0;
    if (f->pos >= f->n) {
      D->lost(f->c, "end of input");
      return -1;
    }
    k = io.want;
    if (k > f->n - f->pos) k = f->n - f->pos;
    if (f->chunk > 0 && k > f->chunk) k = f->chunk;
    if (D->feed(f->c, (const char *)f->p + f->pos, k, &err) != SL_OK) {
      if (err.message[0] == '\0') abort();
      return 0; /* the call says why */
    }
    f->pos += k;
  }
  abort(); /* the driver asked for I/O forever */
}

enum { F_READY, F_STEP, F_EXEC, F_BEGIN, F_COMMIT, F_RESET };

static int call(feeder *f, int kind, sl_stmt *s, const char *sql) {
  int rc, rounds;
  for (rounds = 0; rounds < 100000; rounds++) {
    sl_error err;
    sl_error_clear(&err);
    switch (kind) {
    case F_READY:
      rc = D->ready(f->c, &err);
      break;
    case F_STEP:
      rc = D->step(s, &err);
      break;
    case F_EXEC:
      rc = D->exec(f->c, sql, &err);
      break;
    case F_BEGIN:
      rc = D->begin(f->c, NULL, &err);
      break;
    case F_COMMIT:
      rc = D->commit(f->c, &err);
      break;
    default:
      rc = D->quit(f->c, 1, &err);
      break;
    }
    if (rc == SL_ERROR && err.message[0] == '\0') {
      fprintf(stderr, "empty error: kind %d call %d\n", (int)err.kind, kind);
      abort();
    }
    if (rc != SL_AGAIN) return rc;
    move(f);
  }
  abort();
}

/* Steps s to its end (a bounded number of rows), reading every cell. */
static int drain(feeder *f, sl_stmt *s, int max) {
  int rc, i, rows = 0;
  while ((rc = call(f, F_STEP, s, NULL)) == SL_ROW && rows++ < max) {
    int n = D->ncolumns(s);
    for (i = 0; i < n; i++) {
      sl_value v;
      (void)D->column_name(s, i);
      D->column(s, i, &v);
      if ((v.type == SL_V_TEXT || v.type == SL_V_BLOB) && v.u.s.n > 0 &&
          v.u.s.p[v.u.s.n - 1] == 0x7f)
        rows += 0; /* touch the last byte */
    }
  }
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  feeder f;
  sl_connopts o;
  sl_error err;
  sl_stmt *a = NULL, *b = NULL;
  sl_value params[3];
  const char *keys[1] = {"sslmode"}, *vals[1] = {"prefer"};
  unsigned opt = size > 0 ? data[0] : 0;
  long long has;
  int id;
  memset(&f, 0, sizeof f);
  memset(&o, 0, sizeof o);
  f.p = data + (size > 0);
  f.n = size > 0 ? size - 1 : 0;
  f.chunk = (opt >> 3) & 7;
  o.user = "fuzz";
  o.password = (opt & 1) ? "secret" : "";
  o.database = (opt & 4) ? "db" : NULL;
  if (opt & 2) {
    o.extra_keys = keys;
    o.extra_values = vals;
    o.nextra = 1;
  }
  if (D->connect(&o, &f.c, &err) != SL_OK) abort();
  if (call(&f, F_READY, NULL, NULL) != SL_OK) goto done;
  params[0].type = SL_V_INT;
  params[0].u.i = -7;
  params[1].type = SL_V_TEXT;
  params[1].u.s.p = "text";
  params[1].u.s.n = 4;
  params[2].type = SL_V_NULL;
  if (D->prepare_persistent(f.c, "SELECT ?, ?, ?", 14, 3, &a, &err) != SL_OK)
    goto done;
  if (D->bind(a, params, 3, &err) == SL_OK) drain(&f, a, 1000);
  (void)D->rows_affected(f.c, a);
  (void)D->last_insert_id(f.c, a, &id);
  (void)has;
  call(&f, F_EXEC, NULL, "DO 1");
  D->reset(a, &err);
  if (D->bind(a, params, 3, &err) == SL_OK &&
      call(&f, F_STEP, a, NULL) == SL_ROW) {
    /* a's other rows are spooled while the transaction begins */
    if (D->prepare(f.c, "INSERT INTO t VALUES (1)", 24, 0, &b, &err) == SL_OK) {
      if (D->bind(b, NULL, 0, &err) == SL_OK) drain(&f, b, 10);
      D->finalize(b);
    }
    call(&f, F_BEGIN, NULL, NULL);
    drain(&f, a, 1000);
  }
  (void)D->in_transaction(f.c);
  call(&f, F_COMMIT, NULL, NULL);
  call(&f, F_RESET, NULL, NULL);
done:
  if (a != NULL) D->finalize(a);
  D->close(f.c);
  return 0;
}
