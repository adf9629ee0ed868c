/*
** pgwire_fuzz.c — libFuzzer target of the PostgreSQL wire engine
** (ext/sl_pgwire.c) and driver (drivers/pgwire.c): the fuzz bytes are what
** a server (or anything posing as one) sends.
**
** Input: a header of HEADER bytes, then the server's bytes.
**   byte 0   the scenario (% 3): 0 the handshake (password set, sslmode
**            from byte 2), 1 the driver on an open session: a kept
**            statement stepped to its end with every cell read, an
**            exec, a batch of two, a session reset, 2 the same with an
**            iterator left half-read while other statements run
**   byte 1   how many bytes each read hands over at most (1 + b % 64),
**            so that messages arrive split anywhere
**   byte 2   sslmode for the handshake (% 3: disable, prefer, require)
** The server's bytes are fed as the engine asks for them until they run
** out; the run then ends as a host would end it (the transport lost).
** Any crash, sanitizer report or leak stops the fuzzer; errors are fine.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sl_driver.h"
#include "sl_pgwire.h"

#define HEADER 3

typedef struct feeder {
  const uint8_t *p;
  size_t n, pos, chunk;
} feeder;

/* Hands over what the engine wants, in pieces; 0 once the bytes ran out
** (or nothing is wanted: the call would wait forever). */
static int feed_driver(sl_conn *c, feeder *f) {
  sl_io io;
  sl_error err;
  size_t n;
  do /* a TLS request (never honoured here) comes alone */
    sl_driver_pgwire.io(c, &io);
  while (io.tls);
  if (io.want == 0) return 0;
  n = io.want < f->chunk ? io.want : f->chunk;
  if (n > f->n - f->pos) n = f->n - f->pos;
  if (n == 0) {
    sl_driver_pgwire.lost(c, "end of input");
    return 0;
  }
  if (sl_driver_pgwire.feed(c, (const char *)f->p + f->pos, n, &err) != SL_OK)
    return 0;
  f->pos += n;
  return 1;
}

/* Calls expr until it stops waiting or the input ends. */
#define DRIVE(rc, expr) \
  do { \
    (rc) = (expr); \
    while ((rc) == SL_AGAIN && feed_driver(c, f)) \
      (rc) = (expr); \
  } while (0)

/* Reads every cell; the first and last byte of each string are touched
** so that ASan checks its span. */
static volatile unsigned sink;

static void read_row(sl_stmt *s) {
  const sl_driver *d = &sl_driver_pgwire;
  int i, n = d->ncolumns(s);
  for (i = 0; i < n; i++) {
    sl_value v;
    sink += (unsigned)strlen(d->column_name(s, i));
    d->column(s, i, &v);
    if ((v.type == SL_V_TEXT || v.type == SL_V_BLOB) && v.u.s.n > 0)
      sink += (unsigned char)v.u.s.p[0] + (unsigned char)v.u.s.p[v.u.s.n - 1];
  }
}

static int step_all(sl_conn *c, sl_stmt *s, feeder *f, int max) {
  int rc, rows = 0;
  sl_error err;
  if (s == NULL) return SL_ERROR; /* its prepare failed: connection lost */
  for (;;) {
    DRIVE(rc, sl_driver_pgwire.step(s, &err));
    if (rc != SL_ROW) return rc;
    read_row(s);
    if (++rows == max) return SL_ROW;
  }
}

static void driver_scenario(feeder *f, int interleave) {
  const sl_driver *d = &sl_driver_pgwire;
  const char *k[] = {"sleet_reused"}, *v[] = {"1"};
  sl_connopts o;
  sl_conn *c = NULL;
  sl_stmt *s = NULL, *t = NULL, *b[2] = {NULL, NULL};
  sl_value params[2];
  sl_error err;
  int rc, failed;
  memset(&o, 0, sizeof o);
  o.user = "fuzz";
  o.extra_keys = k;
  o.extra_values = v;
  o.nextra = 1;
  if (d->connect(&o, &c, &err) != SL_OK) abort();
  params[0].type = SL_V_TEXT;
  params[0].u.s.p = "x";
  params[0].u.s.n = 1;
  params[1].type = SL_V_BLOB;
  params[1].u.s.p = "\0\1";
  params[1].u.s.n = 2;
  if (d->prepare_persistent(c, "select $1, $2", 13, 2, &s, &err) != SL_OK ||
      d->bind(s, params, 2, &err) != SL_OK)
    abort();
  if (interleave) {
    step_all(c, s, f, 2); /* left half-read */
    d->prepare(c, "select 1", 8, 0, &t, &err);
    step_all(c, t, f, 1);
    DRIVE(rc, d->exec(c, "select 2", &err));
    step_all(c, s, f, -1);
    d->finalize(t);
  } else {
    step_all(c, s, f, -1);
  }
  d->reset(s, &err);
  d->rows_affected(c, s);
  d->bind(s, params, 2, &err);
  step_all(c, s, f, -1);
  DRIVE(rc, d->exec(c, "insert into t values (1)", &err));
  DRIVE(rc, d->begin(c, NULL, &err));
  d->prepare(c, "insert into t values ($1)", 25, 1, &b[0], &err);
  d->prepare_persistent(c, "insert into t values ($1)", 25, 1, &b[1], &err);
  if (b[0] && b[1] && d->bind(b[0], params, 1, &err) == SL_OK &&
      d->bind(b[1], params, 1, &err) == SL_OK) {
    DRIVE(rc, d->batch(c, b, 2, &failed, &err));
    if (rc == SL_OK) {
      step_all(c, b[0], f, -1);
      step_all(c, b[1], f, -1);
    }
  }
  d->in_transaction(c);
  DRIVE(rc, d->quit(c, 1, &err));
  d->finalize(b[0]);
  d->finalize(b[1]);
  d->finalize(s);
  d->quit(c, 0, &err);
  d->close(c);
}

static void handshake_scenario(feeder *f, int ssl) {
  sl_pgw *p = sl_pgw_new();
  sl_pgw_startopts o;
  sl_error err;
  const char *keys[] = {"TimeZone"}, *vals[] = {"UTC"};
  int rc;
  if (p == NULL) abort();
  memset(&o, 0, sizeof o);
  o.user = "fuzz";
  o.password = "pw";
  o.keys = keys;
  o.values = vals;
  o.nparams = 1;
  o.ssl = ssl == 0   ? SL_PGW_SSL_DISABLE
          : ssl == 1 ? SL_PGW_SSL_PREFER
                     : SL_PGW_SSL_REQUIRE;
  o.where = "fuzz: ";
  if (sl_pgw_start(p, &o, &err) != SL_OK) abort();
  for (;;) {
    size_t outlen, want, n;
    rc = sl_pgw_handshake(p, &err);
    if (rc != SL_AGAIN) break;
    sl_pgw_out(p, &outlen);
    sl_pgw_tls(p);
    want = sl_pgw_want(p);
    if (want == 0) {
      if (sl_pgw_failed(p)) break;
      continue; /* TLS taken: the startup goes out next */
    }
    n = want < f->chunk ? want : f->chunk;
    if (n > f->n - f->pos) n = f->n - f->pos;
    if (n == 0) break;
    if (sl_pgw_feed(p, (const char *)f->p + f->pos, n, &err) != SL_OK) break;
    f->pos += n;
  }
  if (rc == SL_OK) {
    sl_pgw_msg m;
    uint32_t pid, secret;
    sl_pgw_parameter(p, "server_version");
    sl_pgw_backend_key(p, &pid, &secret);
    /* whatever follows, read as messages */
    if (f->pos < f->n && sl_pgw_feed(p, (const char *)f->p + f->pos,
                                     f->n - f->pos, &err) == SL_OK)
      while (sl_pgw_next(p, &m, &err) == SL_OK) {
        sl_pgw_notice nf;
        if (m.type == 'E' || m.type == 'N') {
          sl_pgw_notice_fields(&m, &nf, &err);
          sl_pgw_error(&m, &err);
        } else if (m.type == 'C') {
          sl_pgw_command_rows(m.body, m.len);
        } else if (m.type == 'T') {
          int nf2;
          sl_pgw_rowdesc(&m, &nf2, NULL, 0, &err);
        }
      }
  }
  sl_pgw_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_reader z;
  feeder f;
  int scenario, ssl;
  fz_init(&z, data, size);
  scenario = fz_pick(&z, 3);
  f.chunk = 1 + (size_t)fz_pick(&z, 64);
  ssl = fz_pick(&z, 3);
  f.p = data;
  f.n = size;
  f.pos = size < HEADER ? size : HEADER;
  if (scenario == 0)
    handshake_scenario(&f, ssl);
  else
    driver_scenario(&f, scenario == 2);
  return 0;
}
