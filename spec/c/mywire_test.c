/*
** mywire_test.c — the MySQL/MariaDB wire engine (ext/sl_mywire.c) and its
** driver (drivers/mywire.c).
**
**   (a) canned conversations: a fake server's bytes, fed to the driver
**       through its vtable and its host-I/O hooks, split at every byte
**       boundary, then truncated at every byte and with every byte
**       changed (an error, never a crash); the auth scrambles against
**       known values, caching_sha2_password's RSA exchange, an Auth
**       Switch Request; the ERR mapping of drivers/mysql.c;
**   (b) with --live, or when SLEET_TEST_MYSQL_URL is set, the driver over
**       a real blocking TCP socket to that server: connect, select,
**       insert with parameters, errors with SQLSTATE, a transaction, a
**       persistent statement run again, a statement streamed while
**       another runs, 100k rows streamed, the auth matrix.
**
** Built and run by `make check-c` (the canned part; the live part runs
** when the servers do: `make check-c-live`). The last line is
** "N passed, N failed[, N skipped]".
*/
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>

#include "sl_driver.h"
#include "sl_mywire.h"

static const sl_driver *const D = &sl_driver_mywire;
static int passed, failed, skipped;

static void check_(int ok, int line, const char *what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL line %d: %s\n", line, what);
  }
}
#define CHECK(cond) check_((cond) != 0, __LINE__, #cond)

/* The cell v is text (or a blob) of the bytes of want. */
static void check_text_(const sl_value *v, const char *want, int line) {
  int text = v->type == SL_V_TEXT || v->type == SL_V_BLOB;
  int ok =
      text && strlen(want) == v->u.s.n && memcmp(v->u.s.p, want, v->u.s.n) == 0;
  if (!ok && text)
    printf("     got '%.*s', want '%s'\n", (int)v->u.s.n, v->u.s.p, want);
  else if (!ok)
    printf("     got a value of type %d, want '%s'\n", (int)v->type, want);
  check_(ok, line, want);
}
#define CHECK_TEXT(v, want) check_text_((v), (want), __LINE__)

/* {====================================================================
** A fake server's packets
** ===================================================================== */

static void put(sl_buf *b, uint64_t v, int n) {
  int i;
  for (i = 0; i < n; i++)
    sl_buf_addc(b, (char)(i < 8 ? (v >> (8 * i)) & 0xff : 0));
}

static void lenenc(sl_buf *b, uint64_t v) {
  if (v < 251) {
    put(b, v, 1);
  } else if (v < 65536) {
    sl_buf_addc(b, (char)0xfc);
    put(b, v, 2);
  } else if (v < 16777216) {
    sl_buf_addc(b, (char)0xfd);
    put(b, v, 3);
  } else {
    sl_buf_addc(b, (char)0xfe);
    put(b, v, 8);
  }
}

static void lstr(sl_buf *b, const char *s) {
  lenenc(b, strlen(s));
  sl_buf_adds(b, s);
}

/* Frames payload p as one packet of sequence seq onto the stream. */
static void frame(sl_buf *st, int seq, const sl_buf *p) {
  put(st, p->n, 3);
  put(st, (uint64_t)seq, 1);
  sl_buf_add(st, p->p, p->n);
}

typedef struct server {
  sl_buf st; /* everything the server sends, in order */
  int deprecate_eof;
} server;

static sl_buf P; /* payload under construction */

static void begin(void) {
  sl_buf_reset(&P);
}

static void send_p(server *sv, int seq) {
  frame(&sv->st, seq, &P);
}

#define CAPS_BASE \
  (SL_MW_CLIENT_LONG_PASSWORD | SL_MW_CLIENT_FOUND_ROWS | \
   SL_MW_CLIENT_LONG_FLAG | SL_MW_CLIENT_CONNECT_WITH_DB | \
   SL_MW_CLIENT_PROTOCOL_41 | SL_MW_CLIENT_TRANSACTIONS | \
   SL_MW_CLIENT_SECURE_CONNECTION | SL_MW_CLIENT_MULTI_RESULTS | \
   SL_MW_CLIENT_PS_MULTI_RESULTS | SL_MW_CLIENT_PLUGIN_AUTH | \
   SL_MW_CLIENT_PLUGIN_AUTH_LENENC)

static const unsigned char SCRAMBLE[20] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

static void s_handshake(server *sv, const char *plugin, uint32_t caps) {
  begin();
  put(&P, 10, 1);
  sl_buf_add(&P, "10.11.99-MariaDB", 17);
  put(&P, 42, 4);
  sl_buf_add(&P, (const char *)SCRAMBLE, 8);
  put(&P, 0, 1);
  put(&P, caps & 0xffff, 2);
  put(&P, 45, 1);
  put(&P, 2, 2);
  put(&P, caps >> 16, 2);
  put(&P, 21, 1);
  put(&P, 0, 10);
  sl_buf_add(&P, (const char *)SCRAMBLE + 8, 12);
  put(&P, 0, 1);
  sl_buf_add(&P, plugin, strlen(plugin) + 1);
  send_p(sv, 0);
}

static void s_ok(server *sv, int seq, uint64_t affected, uint64_t id,
                 unsigned status) {
  begin();
  put(&P, 0, 1);
  lenenc(&P, affected);
  lenenc(&P, id);
  put(&P, status, 2);
  put(&P, 0, 2);
  send_p(sv, seq);
}

/* The end of a result: EOF, or an OK headed 0xfe. */
static void s_eof(server *sv, int seq, unsigned status) {
  begin();
  put(&P, 0xfe, 1);
  if (sv->deprecate_eof) {
    lenenc(&P, 0);
    lenenc(&P, 0);
  } else {
    put(&P, 0, 2);
  }
  put(&P, status, 2);
  if (sv->deprecate_eof) put(&P, 0, 2);
  send_p(sv, seq);
}

static void s_err(server *sv, int seq, unsigned code, const char *state,
                  const char *msg) {
  begin();
  put(&P, 0xff, 1);
  put(&P, code, 2);
  sl_buf_addc(&P, '#');
  sl_buf_adds(&P, state);
  sl_buf_adds(&P, msg);
  send_p(sv, seq);
}

static void s_column(server *sv, int seq, const char *name, unsigned type,
                     unsigned flags, unsigned charset) {
  begin();
  lstr(&P, "def");
  lstr(&P, "d");
  lstr(&P, "t");
  lstr(&P, "t");
  lstr(&P, name);
  lstr(&P, name);
  lenenc(&P, 12);
  put(&P, charset, 2);
  put(&P, 255, 4);
  put(&P, type, 1);
  put(&P, flags, 2);
  put(&P, 0, 1);
  put(&P, 0, 2);
  send_p(sv, seq);
}

static void s_count(server *sv, int seq, uint64_t n) {
  begin();
  lenenc(&P, n);
  send_p(sv, seq);
}

/* }==================================================================== */

/* {====================================================================
** The host: moves the fake server's bytes to the driver
** ===================================================================== */

typedef struct host {
  sl_conn *c;
  const unsigned char *in;
  size_t n, pos;
  size_t split; /* a chunk boundary falls here */
  int onebyte;  /* feed one byte at a time */
  sl_buf sent;  /* everything the driver sent */
  int tls;      /* output asked for TLS this many times */
  int starved;  /* wanted bytes the server never sent */
} host;

enum {
  K_READY,
  K_STEP,
  K_EXEC,
  K_BEGIN,
  K_COMMIT,
  K_ROLLBACK,
  K_SAVEPOINT,
  K_ROLLBACK_TO,
  K_QUIT_RESET
};

typedef struct call {
  int kind;
  sl_stmt *s;
  const char *sql;
} call;

static int invoke(host *h, const call *k, sl_error *err) {
  switch (k->kind) {
  case K_READY:
    return D->ready(h->c, err);
  case K_STEP:
    return D->step(k->s, err);
  case K_EXEC:
    return D->exec(h->c, k->sql, err);
  case K_BEGIN: {
    sl_txopts o;
    o.mode = k->sql;
    return D->begin(h->c, &o, err);
  }
  case K_COMMIT:
    return D->commit(h->c, err);
  case K_ROLLBACK:
    return D->rollback(h->c, err);
  case K_SAVEPOINT:
    return D->savepoint(h->c, k->sql, err);
  case K_ROLLBACK_TO:
    return D->rollback_to(h->c, k->sql, err);
  default:
    return D->quit(h->c, 1, err);
  }
}

/* Runs the call until it stops asking for I/O. */
static int run(host *h, const call *k, sl_error *err) {
  int rc;
  sl_error_clear(err);
  while ((rc = invoke(h, k, err)) == SL_AGAIN) {
    for (;;) {
      sl_io io;
      size_t want;
      D->io(h->c, &io);
      if (io.outlen > 0) sl_buf_add(&h->sent, io.out, io.outlen);
      if (io.tls) h->tls++;
      if (io.want == 0) {
        if (io.outlen == 0 && !io.tls) break;
        continue;
      }
      want = io.want;
      if (h->pos >= h->n) {
        h->starved = 1;
        return sl_error_set(err, SL_EK_CONNECTION, "starved");
      }
      if (want > h->n - h->pos) want = h->n - h->pos;
      if (h->onebyte) want = 1;
      if (h->split > h->pos && h->split < h->pos + want)
        want = h->split - h->pos;
      if (D->feed(h->c, (const char *)h->in + h->pos, want, err) != SL_OK)
        return SL_ERROR;
      h->pos += want;
    }
  }
  return rc;
}

static int run_kind(host *h, int kind, sl_stmt *s, const char *sql,
                    sl_error *err) {
  call k;
  k.kind = kind;
  k.s = s;
  k.sql = sql;
  return run(h, &k, err);
}

static int connect_to(host *h, const char *user, const char *pw, const char *db,
                      const char *k1, const char *v1, sl_error *err) {
  sl_connopts o;
  const char *keys[1], *vals[1];
  memset(&o, 0, sizeof o);
  o.user = user;
  o.password = pw;
  o.database = db;
  if (k1 != NULL) {
    keys[0] = k1;
    vals[0] = v1;
    o.extra_keys = keys;
    o.extra_values = vals;
    o.nextra = 1;
  }
  sl_error_clear(err);
  if (D->connect(&o, &h->c, err) != SL_OK) return SL_ERROR;
  return run_kind(h, K_READY, NULL, NULL, err);
}

static void host_init(host *h, const server *sv) {
  memset(h, 0, sizeof *h);
  h->in = (const unsigned char *)sv->st.p;
  h->n = sv->st.n;
  sl_buf_init(&h->sent);
}

static void host_free(host *h) {
  if (h->c != NULL) D->close(h->c);
  h->c = NULL;
  sl_buf_free(&h->sent);
}

/* Whether the bytes (p, n) were sent. */
static int sent_has(const host *h, const void *p, size_t n) {
  size_t i;
  if (h->sent.n < n) return 0;
  for (i = 0; i + n <= h->sent.n; i++)
    if (memcmp(h->sent.p + i, p, n) == 0) return 1;
  return 0;
}

/* }==================================================================== */

/* {====================================================================
** (a) Canned conversations
** ===================================================================== */

/* The server's side of the main conversation. */
static void script_main(server *sv, int deprecate) {
  uint32_t caps = CAPS_BASE | (deprecate ? SL_MW_CLIENT_DEPRECATE_EOF : 0);
  int q;
  sl_buf_init(&sv->st);
  sv->deprecate_eof = deprecate;
  s_handshake(sv, "mysql_native_password", caps);
  s_ok(sv, 2, 0, 0, 2); /* authenticated */
  s_ok(sv, 1, 0, 0, 2); /* SET time_zone, NAMES */
  /* COM_STMT_PREPARE: id 5, 3 columns, 1 parameter */
  begin();
  put(&P, 0, 1);
  put(&P, 5, 4);
  put(&P, 3, 2);
  put(&P, 1, 2);
  put(&P, 0, 1);
  put(&P, 0, 2);
  send_p(sv, 1);
  q = 2;
  s_column(sv, q++, "?", SL_MW_T_LONGLONG, 0, 63);
  if (!deprecate) s_eof(sv, q++, 2);
  s_column(sv, q++, "a", SL_MW_T_LONG, 0, 63);
  s_column(sv, q++, "b", SL_MW_T_VAR_STRING, 0, 45);
  s_column(sv, q++, "c", SL_MW_T_DATETIME, 0, 63);
  if (!deprecate) s_eof(sv, q++, 2);
  /* COM_STMT_EXECUTE: two rows */
  s_count(sv, 1, 3);
  q = 2;
  s_column(sv, q++, "a", SL_MW_T_LONG, 0, 63);
  s_column(sv, q++, "b", SL_MW_T_VAR_STRING, 0, 45);
  s_column(sv, q++, "c", SL_MW_T_DATETIME, 0, 63);
  if (!deprecate) s_eof(sv, q++, 2);
  begin();
  put(&P, 0, 1);
  put(&P, 0, 1); /* NULL bitmap: none */
  put(&P, (uint32_t)-5, 4);
  lstr(&P, "h\xc3\xa9llo");
  put(&P, 11, 1);
  put(&P, 2024, 2);
  put(&P, 2, 1);
  put(&P, 29, 1);
  put(&P, 13, 1);
  put(&P, 4, 1);
  put(&P, 5, 1);
  put(&P, 120000, 4);
  send_p(sv, q++);
  begin();
  put(&P, 0, 1);
  put(&P, 1 << 3 | 1 << 4, 1); /* b and c NULL (bits 3 and 4) */
  put(&P, 7, 4);
  send_p(sv, q++);
  s_eof(sv, q++, 2);
  /* BEGIN */
  s_ok(sv, 1, 0, 0, 3);
  /* the statement again: COM_STMT_EXECUTE only, an empty result */
  s_count(sv, 1, 3);
  q = 2;
  s_column(sv, q++, "a", SL_MW_T_LONG, 0, 63);
  s_column(sv, q++, "b", SL_MW_T_VAR_STRING, 0, 45);
  s_column(sv, q++, "c", SL_MW_T_DATETIME, 0, 63);
  if (!deprecate) s_eof(sv, q++, 2);
  s_eof(sv, q++, 3);
  /* an INSERT that fails */
  s_err(sv, 1, 1062, "23000", "Duplicate entry '1' for key 'PRIMARY'");
  /* COMMIT (after the COM_STMT_CLOSE of the finalized statement) */
  s_ok(sv, 1, 0, 0, 2);
}

static int conversation(const server *sv, size_t split, int onebyte,
                        int verbose) {
  host h;
  sl_error err;
  sl_stmt *s = NULL;
  sl_value params[1], v;
  int ok = 1, rc;
  static const unsigned char want_scramble[] = {
      0xb3, 0x2b, 0xb3, 0xa5, 0x83, 0xe1, 0x34, 0x0c, 0x0a, 0x11,
      0x08, 0xd5, 0x8b, 0x1b, 0xe4, 0x97, 0x81, 0xad, 0x8c, 0x2f};
  static const unsigned char close5[] = {5, 0, 0, 0, 0x19, 5, 0, 0, 0};
#define EXPECT(cond) \
  do { \
    if (!(cond)) { \
      if (verbose) \
        printf("  split %zu: %s (line %d)\n", split, #cond, __LINE__); \
      ok = 0; \
      goto done; \
    } \
  } while (0)
  host_init(&h, sv);
  h.split = split;
  h.onebyte = onebyte;
  rc = connect_to(&h, "u", "secret", "d", NULL, NULL, &err);
  EXPECT(rc == SL_OK);
  EXPECT(sent_has(&h, want_scramble, sizeof want_scramble));
  EXPECT(sent_has(&h, "u\0\x14", 3));
  EXPECT(sent_has(&h, "d\0mysql_native_password", 24));
  EXPECT(sent_has(&h, "SET time_zone = '+00:00', NAMES utf8mb4", 39));
  EXPECT(D->prepare(h.c, "SELECT a, b, c FROM t WHERE id = ?", 34, 1, &s,
                    &err) == SL_OK);
  params[0].type = SL_V_INT;
  params[0].u.i = 7;
  EXPECT(D->bind(s, params, 1, &err) == SL_OK);
  rc = run_kind(&h, K_STEP, s, NULL, &err);
  EXPECT(rc == SL_ROW);
  EXPECT(D->ncolumns(s) == 3);
  EXPECT(strcmp(D->column_name(s, 1), "b") == 0);
  D->column(s, 0, &v);
  EXPECT(v.type == SL_V_INT && v.u.i == -5);
  D->column(s, 1, &v);
  EXPECT(v.type == SL_V_TEXT && v.u.s.n == 6 &&
         memcmp(v.u.s.p, "h\xc3\xa9llo", 6) == 0);
  D->column(s, 2, &v);
  EXPECT(v.type == SL_V_TEXT && v.u.s.n == 22 &&
         memcmp(v.u.s.p, "2024-02-29 13:04:05.12", 22) == 0);
  rc = run_kind(&h, K_STEP, s, NULL, &err);
  EXPECT(rc == SL_ROW);
  D->column(s, 0, &v);
  EXPECT(v.type == SL_V_INT && v.u.i == 7);
  D->column(s, 1, &v);
  EXPECT(v.type == SL_V_NULL);
  D->column(s, 2, &v);
  EXPECT(v.type == SL_V_NULL);
  EXPECT(run_kind(&h, K_STEP, s, NULL, &err) == SL_DONE);
  EXPECT(D->rows_affected(h.c, s) == 0);
  EXPECT(D->in_transaction(h.c) == 0);
  EXPECT(run_kind(&h, K_BEGIN, NULL, NULL, &err) == SL_OK);
  EXPECT(sent_has(&h, "START TRANSACTION", 17));
  EXPECT(D->in_transaction(h.c) == 1);
  /* again: executed without a new prepare */
  EXPECT(D->reset(s, &err) == SL_OK);
  params[0].u.i = 8;
  EXPECT(D->bind(s, params, 1, &err) == SL_OK);
  sl_buf_reset(&h.sent);
  EXPECT(run_kind(&h, K_STEP, s, NULL, &err) == SL_DONE);
  EXPECT(h.sent.n > 4 && (unsigned char)h.sent.p[4] == SL_MW_COM_STMT_EXECUTE);
  EXPECT(run_kind(&h, K_EXEC, NULL, "INSERT INTO t VALUES (1)", &err) ==
         SL_ERROR);
  EXPECT(err.kind == SL_EK_DATABASE && err.code == 1062);
  EXPECT(strcmp(err.sqlstate, "23000") == 0);
  EXPECT(strcmp(err.constraint_name, "PRIMARY") == 0);
  EXPECT(strcmp(err.message, "Duplicate entry '1' for key 'PRIMARY'") == 0);
  D->finalize(s);
  s = NULL;
  sl_buf_reset(&h.sent);
  EXPECT(run_kind(&h, K_COMMIT, NULL, NULL, &err) == SL_OK);
  EXPECT(h.sent.n >= sizeof close5 &&
         memcmp(h.sent.p, close5, sizeof close5) == 0);
  EXPECT(sent_has(&h, "COMMIT", 6));
  EXPECT(D->in_transaction(h.c) == 0);
  EXPECT(h.pos == h.n); /* every byte of the server was read */
  sl_buf_reset(&h.sent);
  EXPECT(D->quit(h.c, 0, &err) == SL_OK);
  {
    sl_io io;
    D->io(h.c, &io);
    EXPECT(io.outlen == 5 && memcmp(io.out, "\x01\0\0\0\x01", 5) == 0);
  }
done:
  if (!ok && verbose && err.message[0]) printf("    error: %s\n", err.message);
  if (s != NULL) D->finalize(s);
  host_free(&h);
  return ok;
#undef EXPECT
}

static void test_conversations(void) {
  int deprecate;
  /* the client never asks for CLIENT_DEPRECATE_EOF */
  for (deprecate = 0; deprecate <= 0; deprecate++) {
    server sv;
    size_t split, bad = 0;
    script_main(&sv, deprecate);
    CHECK(conversation(&sv, 0, 0, 1));
    CHECK(conversation(&sv, 0, 1, 1));
    for (split = 1; split < sv.st.n; split++)
      if (!conversation(&sv, split, 0, bad == 0)) bad++;
    CHECK(bad == 0);
    sl_buf_free(&sv.st);
  }
}

/* Every prefix of the conversation, and every byte changed: an error or a
** starved read, never a crash (the sanitizers watch). */
static void test_broken_streams(void) {
  server sv;
  size_t cut, i;
  int errors = 0;
  script_main(&sv, 0);
  for (cut = 0; cut < sv.st.n; cut++) {
    server t = sv;
    t.st.n = cut;
    if (!conversation(&t, 0, 0, 0)) errors++;
  }
  CHECK(errors == (int)sv.st.n);
  for (i = 0; i < sv.st.n; i++) {
    static const unsigned char flips[] = {0x00, 0xff, 0xfe, 0xfb, 0x01, 0x80};
    size_t f;
    for (f = 0; f < sizeof flips; f++) {
      unsigned char old = (unsigned char)sv.st.p[i];
      sv.st.p[i] = (char)(old ^ (flips[f] ? flips[f] : 0x55));
      conversation(&sv, 0, 0, 0);
      sv.st.p[i] = (char)old;
    }
  }
  CHECK(1);
  sl_buf_free(&sv.st);
}

static void test_scrambles(void) {
  unsigned char out[32];
  static const unsigned char native[20] = {
      0xb3, 0x2b, 0xb3, 0xa5, 0x83, 0xe1, 0x34, 0x0c, 0x0a, 0x11,
      0x08, 0xd5, 0x8b, 0x1b, 0xe4, 0x97, 0x81, 0xad, 0x8c, 0x2f};
  static const unsigned char sha2[32] = {
      0x74, 0x6e, 0xbe, 0x20, 0x5d, 0x56, 0xa0, 0x70, 0x7a, 0xcb, 0x3e,
      0x79, 0x6e, 0x83, 0x4e, 0x0d, 0xd7, 0xb1, 0xd6, 0x17, 0x43, 0xb2,
      0x6b, 0xd5, 0x20, 0x2c, 0x7a, 0x62, 0x32, 0x30, 0xc7, 0xc9};
  sl_mywire_native_scramble("secret", 6, SCRAMBLE, out);
  CHECK(memcmp(out, native, 20) == 0);
  sl_mywire_sha2_scramble("secret", 6, SCRAMBLE, 20, out);
  CHECK(memcmp(out, sha2, 32) == 0);
}

/* caching_sha2_password: the fast path, then the full one with the
** server's RSA key; and an Auth Switch Request to the native plugin. */
static void test_sha2_and_switch(void) {
  server sv;
  host h;
  sl_error err;
  uint32_t caps = CAPS_BASE | SL_MW_CLIENT_DEPRECATE_EOF;
  EVP_PKEY *key;
  BIO *bio;
  char *pem;
  long pemlen;
  unsigned char sha2[32];
  /* fast path */
  sl_buf_init(&sv.st);
  sv.deprecate_eof = 1;
  s_handshake(&sv, "caching_sha2_password", caps);
  begin();
  sl_buf_add(&P, "\x01\x03", 2);
  send_p(&sv, 2);
  s_ok(&sv, 3, 0, 0, 2);
  s_ok(&sv, 1, 0, 0, 2);
  host_init(&h, &sv);
  CHECK(connect_to(&h, "u", "secret", NULL, NULL, NULL, &err) == SL_OK);
  sl_mywire_sha2_scramble("secret", 6, SCRAMBLE, 20, sha2);
  CHECK(sent_has(&h, sha2, 32));
  CHECK(sent_has(&h, "caching_sha2_password", 21));
  CHECK(h.pos == h.n);
  host_free(&h);
  sl_buf_free(&sv.st);

  /* full auth: the public key is asked for, the password sent encrypted */
  key = EVP_RSA_gen(2048);
  CHECK(key != NULL);
  if (key == NULL) return;
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  pemlen = BIO_get_mem_data(bio, &pem);
  sl_buf_init(&sv.st);
  s_handshake(&sv, "caching_sha2_password", caps);
  begin();
  sl_buf_add(&P, "\x01\x04", 2);
  send_p(&sv, 2);
  begin();
  sl_buf_addc(&P, 0x01);
  sl_buf_add(&P, pem, (size_t)pemlen);
  send_p(&sv, 4);
  s_ok(&sv, 6, 0, 0, 2);
  s_ok(&sv, 1, 0, 0, 2);
  host_init(&h, &sv);
  CHECK(connect_to(&h, "u", "secret", NULL, NULL, NULL, &err) == SL_OK);
  CHECK(h.pos == h.n);
  CHECK(sent_has(&h, "\x01\x00\x00\x03\x02", 5)); /* the key request */
  {
    /* the last packet the client sent: 256 bytes of ciphertext */
    const unsigned char *p = (const unsigned char *)h.sent.p;
    size_t at = 0, last = 0, len = 0;
    while (at + 4 <= h.sent.n) {
      size_t n =
          (size_t)p[at] | (size_t)p[at + 1] << 8 | (size_t)p[at + 2] << 16;
      if (p[at + 3] == 5) {
        last = at + 4;
        len = n;
      }
      at += 4 + n;
    }
    CHECK(len == 256);
    if (len == 256) {
      EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
      unsigned char plain[256];
      size_t plen = sizeof plain;
      int i, good;
      CHECK(ctx != NULL && EVP_PKEY_decrypt_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
            EVP_PKEY_decrypt(ctx, plain, &plen, p + last, len) == 1);
      good = plen == 7;
      for (i = 0; good && i < 7; i++)
        good = (plain[i] ^ SCRAMBLE[i % 20]) == (unsigned char)"secret"[i];
      CHECK(good);
      EVP_PKEY_CTX_free(ctx);
    }
  }
  host_free(&h);
  sl_buf_free(&sv.st);
  BIO_free(bio);
  EVP_PKEY_free(key);

  /* Auth Switch Request from caching_sha2_password to the native plugin */
  sl_buf_init(&sv.st);
  s_handshake(&sv, "caching_sha2_password", caps);
  begin();
  {
    unsigned char s2[21];
    int i;
    for (i = 0; i < 20; i++)
      s2[i] = (unsigned char)(100 + i);
    s2[20] = 0;
    sl_buf_addc(&P, (char)0xfe);
    sl_buf_add(&P, "mysql_native_password", 22);
    sl_buf_add(&P, (const char *)s2, 21);
    send_p(&sv, 2);
    s_ok(&sv, 4, 0, 0, 2);
    s_ok(&sv, 1, 0, 0, 2);
    host_init(&h, &sv);
    CHECK(connect_to(&h, "u", "secret", NULL, NULL, NULL, &err) == SL_OK);
    {
      unsigned char nat[20];
      sl_mywire_native_scramble("secret", 6, s2, nat);
      CHECK(sent_has(&h, "\x14\x00\x00\x03", 4));
      CHECK(sent_has(&h, nat, 20));
    }
    host_free(&h);
  }
  sl_buf_free(&sv.st);

  /* access denied: kind connection, the server's message */
  sl_buf_init(&sv.st);
  s_handshake(&sv, "mysql_native_password", caps);
  s_err(&sv, 2, 1045, "28000",
        "Access denied for user 'u'@'localhost' (using password: YES)");
  host_init(&h, &sv);
  CHECK(connect_to(&h, "u", "nope", NULL, NULL, NULL, &err) == SL_ERROR);
  CHECK(err.kind == SL_EK_CONNECTION && err.code == 1045);
  CHECK(strcmp(err.sqlstate, "28000") == 0);
  CHECK(strncmp(err.message, "Access denied for user 'u'", 26) == 0);
  /* every later call says so */
  CHECK(D->exec(h.c, "SELECT 1", &err) == SL_ERROR &&
        err.kind == SL_EK_CONNECTION);
  host_free(&h);
  sl_buf_free(&sv.st);

  /* TLS required, not offered */
  sl_buf_init(&sv.st);
  s_handshake(&sv, "mysql_native_password", caps);
  host_init(&h, &sv);
  CHECK(connect_to(&h, "u", "x", NULL, "sslmode", "require", &err) == SL_ERROR);
  CHECK(err.kind == SL_EK_CONNECTION && strstr(err.message, "TLS") != NULL);
  host_free(&h);
  /* TLS offered: SSLRequest, then the host's handshake, then the answer */
  sl_buf_reset(&sv.st);
  s_handshake(&sv, "mysql_native_password", caps | SL_MW_CLIENT_SSL);
  s_ok(&sv, 3, 0, 0, 2);
  s_ok(&sv, 1, 0, 0, 2);
  host_init(&h, &sv);
  CHECK(connect_to(&h, "u", "secret", NULL, "ssl", "true", &err) == SL_OK);
  CHECK(h.tls == 1);
  CHECK(h.sent.n > 36 && h.sent.p[0] == 32 && h.sent.p[3] == 1);
  CHECK(sent_has(&h, "\x00\x02", 2)); /* the response, sequence 2 */
  host_free(&h);
  sl_buf_free(&sv.st);
}

/* Rows that stream while another statement needs the connection, and a
** statement finalized in the middle of its rows. */
static void test_spool_and_zombie(void) {
  server sv;
  host h;
  sl_error err;
  sl_stmt *a, *b;
  sl_value v;
  int i;
  uint32_t caps = CAPS_BASE | SL_MW_CLIENT_DEPRECATE_EOF;
  sl_buf_init(&sv.st);
  sv.deprecate_eof = 0;
  s_handshake(&sv, "mysql_native_password", caps);
  s_ok(&sv, 2, 0, 0, 2);
  s_ok(&sv, 1, 0, 0, 2);
  for (i = 0; i < 2; i++) {
    int q;
    int r;
    /* prepare: id 1 + i, one column */
    begin();
    put(&P, 0, 1);
    put(&P, 1 + (unsigned)i, 4);
    put(&P, 1, 2);
    put(&P, 0, 2);
    put(&P, 0, 3);
    send_p(&sv, 1);
    s_column(&sv, 2, "n", SL_MW_T_LONGLONG, 0, 63);
    s_eof(&sv, 3, 2);
    /* three rows */
    s_count(&sv, 1, 1);
    s_column(&sv, 2, "n", SL_MW_T_LONGLONG, 0, 63);
    s_eof(&sv, 3, 2);
    q = 4;
    for (r = 0; r < 3; r++) {
      begin();
      put(&P, 0, 1);
      put(&P, 0, 1);
      put(&P, (uint64_t)(10 * i + r), 8);
      send_p(&sv, q++);
    }
    s_eof(&sv, q, 2);
  }
  s_ok(&sv, 1, 0, 0, 2); /* the exec after a's finalize */
  host_init(&h, &sv);
  CHECK(connect_to(&h, "u", "", NULL, NULL, NULL, &err) == SL_OK);
  CHECK(D->prepare(h.c, "SELECT n", 8, 0, &a, &err) == SL_OK);
  CHECK(D->prepare(h.c, "SELECT m", 8, 0, &b, &err) == SL_OK);
  CHECK(run_kind(&h, K_STEP, a, NULL, &err) == SL_ROW);
  D->column(a, 0, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 0);
  /* b needs the connection: a's other rows go to its spool */
  CHECK(run_kind(&h, K_STEP, b, NULL, &err) == SL_ROW);
  D->column(b, 0, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 10);
  CHECK(run_kind(&h, K_STEP, a, NULL, &err) == SL_ROW);
  D->column(a, 0, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 1);
  CHECK(run_kind(&h, K_STEP, b, NULL, &err) == SL_ROW);
  D->column(b, 0, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 11);
  CHECK(run_kind(&h, K_STEP, a, NULL, &err) == SL_ROW);
  CHECK(run_kind(&h, K_STEP, a, NULL, &err) == SL_DONE);
  D->finalize(a);
  /* b is finalized in its rows: they are read and dropped */
  D->finalize(b);
  CHECK(run_kind(&h, K_EXEC, NULL, "DO 1", &err) == SL_OK);
  CHECK(h.pos == h.n);
  /* both statements closed on the server */
  CHECK(sent_has(&h, "\x05\0\0\0\x19\x01\0\0\0", 9));
  CHECK(sent_has(&h, "\x05\0\0\0\x19\x02\0\0\0", 9));
  /* a lost transport: every call fails with kind connection */
  D->lost(h.c, "timeout");
  CHECK(D->exec(h.c, "DO 1", &err) == SL_ERROR &&
        err.kind == SL_EK_CONNECTION && strstr(err.message, "timeout"));
  host_free(&h);
  sl_buf_free(&sv.st);
}

/* The values of the binary protocol, as drivers/mysql.c gives them. */
static void test_values(void) {
  sl_mywire_column col;
  sl_mywire_cell cell;
  char txt[64];
  sl_value v;
  unsigned char b[16];
  memset(&col, 0, sizeof col);
  cell.is_null = 0;
  cell.p = b;
#define VAL(t, fl, cs, bytes, len) \
  (col.type = (t), col.flags = (fl), col.charset = (cs), \
   memcpy(b, bytes, len), cell.n = len, sl_mywire_value(&col, &cell, txt, &v))
  VAL(SL_MW_T_TINY, 0, 63, "\xff", 1);
  CHECK(v.type == SL_V_INT && v.u.i == -1);
  VAL(SL_MW_T_TINY, SL_MW_FLAG_UNSIGNED, 63, "\xff", 1);
  CHECK(v.type == SL_V_INT && v.u.i == 255);
  VAL(SL_MW_T_SHORT, 0, 63, "\x00\x80", 2);
  CHECK(v.type == SL_V_INT && v.u.i == -32768);
  VAL(SL_MW_T_YEAR, SL_MW_FLAG_UNSIGNED, 63, "\xe8\x07", 2);
  CHECK(v.type == SL_V_INT && v.u.i == 2024);
  VAL(SL_MW_T_LONGLONG, SL_MW_FLAG_UNSIGNED, 63,
      "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  CHECK_TEXT(&v, "18446744073709551615");
  VAL(SL_MW_T_LONGLONG, 0, 63, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  CHECK(v.type == SL_V_INT && v.u.i == -1);
  VAL(SL_MW_T_FLOAT, 0, 63, "\xcd\xcc\x8c\x3f", 4); /* 1.1f */
  CHECK(v.type == SL_V_FLOAT && v.u.f == 1.1);
  VAL(SL_MW_T_BIT, SL_MW_FLAG_UNSIGNED, 63, "\x01\x02", 2);
  CHECK(v.type == SL_V_INT && v.u.i == 258);
  VAL(SL_MW_T_NEWDECIMAL, 0, 63, "12.50", 5);
  CHECK(v.type == SL_V_TEXT);
  CHECK_TEXT(&v, "12.50");
  VAL(SL_MW_T_DATE, 0, 63, "\xe8\x07\x01\x02", 4);
  CHECK_TEXT(&v, "2024-01-02");
  VAL(SL_MW_T_DATE, 0, 63, "", 0);
  CHECK_TEXT(&v, "0000-00-00");
  VAL(SL_MW_T_TIMESTAMP, 0, 63, "\xe8\x07\x01\x02", 4);
  CHECK_TEXT(&v, "2024-01-02 00:00:00");
  VAL(SL_MW_T_TIME, 0, 63, "\x01\x01\x00\x00\x00\x02\x03\x04", 8);
  CHECK_TEXT(&v, "-26:03:04");
  VAL(SL_MW_T_TIME, 0, 63, "\x00\x00\x00\x00\x00\x02\x03\x04\x10\x27\x00\x00",
      12);
  CHECK_TEXT(&v, "02:03:04.01");
  VAL(SL_MW_T_BLOB, 0, 63, "\x00\x01", 2);
  CHECK(v.type == SL_V_BLOB && v.u.s.n == 2);
  VAL(SL_MW_T_BLOB, 0, 45, "{}", 2);
  CHECK(v.type == SL_V_TEXT && v.u.s.n == 2);
  VAL(SL_MW_T_GEOMETRY, 0, 45, "xy", 2);
  CHECK(v.type == SL_V_BLOB);
  VAL(SL_MW_T_NULL, 0, 63, "", 0);
  CHECK(v.type == SL_V_NULL);
#undef VAL
}

/* drivers/mysql.c's error mapping. */
static void test_errors(void) {
  sl_error e;
  sl_mywire_report(1062, "23000",
                   "Duplicate entry 'a for key 'x'' for key 'users.email'", &e);
  CHECK(e.kind == SL_EK_DATABASE && e.code == 1062);
  CHECK(strcmp(e.table, "users") == 0);
  CHECK(strcmp(e.constraint_name, "email") == 0);
  sl_mywire_report(1452, "23000",
                   "Cannot add or update a child row: a foreign key "
                   "constraint fails (`db`.`posts`, CONSTRAINT `fk_a` FOREIGN "
                   "KEY (`author_id`) REFERENCES `users` (`id`))",
                   &e);
  CHECK(strcmp(e.table, "posts") == 0);
  CHECK(strcmp(e.constraint_name, "fk_a") == 0);
  CHECK(strcmp(e.column, "author_id") == 0);
  sl_mywire_report(1048, "23000", "Column 'name' cannot be null", &e);
  CHECK(strcmp(e.column, "name") == 0);
  sl_mywire_report(4025, "23000", "CONSTRAINT `age_ok` failed for `db`.`t`",
                   &e);
  CHECK(strcmp(e.constraint_name, "age_ok") == 0);
  CHECK(strcmp(e.table, "t") == 0);
  sl_mywire_report(1927, "70100", "Connection was killed", &e);
  CHECK(e.kind == SL_EK_CONNECTION);
  sl_mywire_report(0, NULL, NULL, &e);
  CHECK(e.code == 2000 && strcmp(e.message, "unknown MySQL client error") == 0);
  /* an ERR packet without SQLSTATE (before the protocol is agreed) */
  {
    const unsigned char pkt[] = "\xff\x10\x04Too many connections";
    CHECK(sl_mywire_parse_err(pkt, sizeof pkt - 1, &e) == SL_ERROR);
    CHECK(e.code == 1040 && e.sqlstate[0] == '\0');
    CHECK(strcmp(e.message, "Too many connections") == 0);
  }
}

/* Framing: continued payloads, sequence checks, absurd input. */
static void test_framing(void) {
  sl_mywire *w = sl_mywire_new();
  sl_error e;
  const unsigned char *p;
  size_t n, total = 0xffffff + 10;
  char *big = malloc(total);
  char hdr[4];
  CHECK(w != NULL && big != NULL);
  if (w == NULL || big == NULL) return;
  memset(big, 'x', total);
  /* a command of more than 2^24-1 bytes goes out as two packets */
  CHECK(sl_mywire_command(w, SL_MW_COM_QUERY, big, total - 1, &e) == SL_OK);
  {
    const char *o;
    size_t on;
    int tls;
    sl_mywire_output(w, &o, &on, &tls);
    CHECK(on == total + 8);
    CHECK((unsigned char)o[0] == 0xff && (unsigned char)o[1] == 0xff &&
          (unsigned char)o[2] == 0xff && o[3] == 0);
    CHECK(o[4 + 0xffffff] == 10 && o[4 + 0xffffff + 3] == 1);
  }
  /* a reply continued over two packets is one payload */
  CHECK(sl_mywire_want(w) == 4);
  hdr[0] = hdr[1] = hdr[2] = (char)0xff;
  hdr[3] = 2; /* the command took sequence ids 0 and 1 */
  CHECK(sl_mywire_feed(w, hdr, 4, &e) == SL_OK);
  CHECK(sl_mywire_want(w) == 0xffffff);
  CHECK(sl_mywire_feed(w, big, 0xffffff, &e) == SL_OK);
  CHECK(sl_mywire_want(w) == 4);
  CHECK(!sl_mywire_packet(w, &p, &n));
  memcpy(hdr, "\x03\0\0\x03", 4);
  CHECK(sl_mywire_feed(w, hdr, 4, &e) == SL_OK);
  CHECK(sl_mywire_feed(w, "abc", 3, &e) == SL_OK);
  CHECK(sl_mywire_packet(w, &p, &n) && n == 0xffffff + 3 &&
        memcmp(p + 0xffffff, "abc", 3) == 0);
  CHECK(sl_mywire_want(w) == 0);
  sl_mywire_next(w);
  /* a wrong sequence id */
  memcpy(hdr, "\x01\0\0\x07", 4);
  CHECK(sl_mywire_feed(w, hdr, 4, &e) == SL_ERROR &&
        e.kind == SL_EK_CONNECTION);
  /* more bytes than asked */
  CHECK(sl_mywire_feed(w, big, 100, &e) == SL_ERROR);
  sl_mywire_free(w);
  free(big);
  /* rows: values past the end, bad temporal lengths, trailing bytes */
  {
    unsigned types[2] = {SL_MW_T_VAR_STRING, SL_MW_T_DATE};
    sl_mywire_cell cells[2];
    CHECK(sl_mywire_split_row((const unsigned char *)"\x00\x00\x05"
                                                     "ab\x00",
                              6, types, 2, cells, &e) == SL_ERROR);
    CHECK(sl_mywire_split_row((const unsigned char *)"\x00\x00\x02"
                                                     "ab\x05",
                              6, types, 2, cells, &e) == SL_ERROR);
    CHECK(sl_mywire_split_row((const unsigned char *)"\x00\x00\x02"
                                                     "ab\x00z",
                              7, types, 2, cells, &e) == SL_ERROR);
    CHECK(sl_mywire_split_row((const unsigned char *)"\x00\x00\x02"
                                                     "ab\x00",
                              6, types, 2, cells, &e) == SL_OK);
    CHECK(sl_mywire_split_row(
              (const unsigned char *)"\x00\x00\xfe\xff\xff\xff\xff\xff\xff"
                                     "\xff\x7f",
              11, types, 2, cells, &e) == SL_ERROR);
  }
}

/* }==================================================================== */

/* {====================================================================
** (b) A live server over a blocking TCP socket
** ===================================================================== */

typedef struct live {
  int fd;
  sl_conn *c;
} live;

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, 0);
    if (k <= 0) {
      if (k < 0 && errno == EINTR) continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static char rbuf[1 << 16];

/* The blocking pump: a host loop over a real socket. */
static int lpump(live *l, const call *k, sl_error *err) {
  int rc;
  host dummy;
  memset(&dummy, 0, sizeof dummy);
  dummy.c = l->c;
  sl_error_clear(err);
  while ((rc = invoke(&dummy, k, err)) == SL_AGAIN) {
    for (;;) {
      sl_io io;
      size_t want;
      D->io(l->c, &io);
      if (io.outlen > 0 && send_all(l->fd, io.out, io.outlen) != 0) {
        D->lost(l->c, "send failed");
        break;
      }
      if (io.want == 0) break;
      want = io.want < sizeof rbuf ? io.want : sizeof rbuf;
      {
        ssize_t got = recv(l->fd, rbuf, want, 0);
        if (got <= 0) {
          if (got < 0 && errno == EINTR) continue;
          D->lost(l->c, "the server closed the connection");
          break;
        }
        if (D->feed(l->c, rbuf, (size_t)got, err) != SL_OK) return SL_ERROR;
      }
    }
  }
  return rc;
}

static int lrun(live *l, int kind, sl_stmt *s, const char *sql, sl_error *err) {
  call k;
  k.kind = kind;
  k.s = s;
  k.sql = sql;
  return lpump(l, &k, err);
}

typedef struct url {
  char user[64], pw[64], host[128], port[16], db[64];
} url;

static int parse_url(const char *u, url *o) {
  const char *p, *at, *colon, *slash;
  memset(o, 0, sizeof *o);
  if (strncmp(u, "mysql://", 8) != 0) return -1;
  p = u + 8;
  at = strchr(p, '@');
  if (at == NULL) return -1;
  colon = memchr(p, ':', (size_t)(at - p));
  if (colon != NULL) {
    snprintf(o->user, sizeof o->user, "%.*s", (int)(colon - p), p);
    snprintf(o->pw, sizeof o->pw, "%.*s", (int)(at - colon - 1), colon + 1);
  } else {
    snprintf(o->user, sizeof o->user, "%.*s", (int)(at - p), p);
  }
  p = at + 1;
  slash = strchr(p, '/');
  colon = strchr(p, ':');
  if (slash == NULL || colon == NULL || colon > slash) return -1;
  snprintf(o->host, sizeof o->host, "%.*s", (int)(colon - p), p);
  snprintf(o->port, sizeof o->port, "%.*s", (int)(slash - colon - 1),
           colon + 1);
  snprintf(o->db, sizeof o->db, "%s", slash + 1);
  return 0;
}

static int tcp(const url *u) {
  struct addrinfo hints, *res;
  int fd;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(u->host, u->port, &hints, &res) != 0) return -1;
  fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

static int lconnect(live *l, const url *u, const char *user, const char *pw,
                    const char *k1, const char *v1, sl_error *err) {
  sl_connopts o;
  const char *keys[1], *vals[1];
  memset(&o, 0, sizeof o);
  l->c = NULL;
  l->fd = tcp(u);
  if (l->fd < 0) return sl_error_set(err, SL_EK_CONNECTION, "tcp failed");
  o.user = user;
  o.password = pw;
  o.database = u->db;
  if (k1 != NULL) {
    keys[0] = k1;
    vals[0] = v1;
    o.extra_keys = keys;
    o.extra_values = vals;
    o.nextra = 1;
  }
  if (D->connect(&o, &l->c, err) != SL_OK) return SL_ERROR;
  return lrun(l, K_READY, NULL, NULL, err);
}

static void lclose(live *l) {
  sl_error e;
  if (l->c != NULL) {
    if (D->quit(l->c, 0, &e) == SL_OK) {
      sl_io io;
      D->io(l->c, &io);
      if (io.outlen > 0) send_all(l->fd, io.out, io.outlen);
    }
    D->close(l->c);
  }
  if (l->fd >= 0) close(l->fd);
  l->c = NULL;
  l->fd = -1;
}

static int lexec(live *l, const char *sql) {
  sl_error e;
  int rc = lrun(l, K_EXEC, NULL, sql, &e);
  if (rc != SL_OK) printf("     exec '%s': %s\n", sql, e.message);
  return rc;
}

/* Runs sql with params to the end; returns the row count (or -1). */
static long run_stmt(live *l, sl_stmt *s, const sl_value *params, int n,
                     sl_error *err) {
  long rows = 0;
  int rc;
  if (D->bind(s, params, n, err) != SL_OK) return -1;
  while ((rc = lrun(l, K_STEP, s, NULL, err)) == SL_ROW)
    rows++;
  return rc == SL_DONE ? rows : -1;
}

/* prepare and prepare_persistent of a C string */
#define PREP(c, sql, np, out, err) \
  D->prepare((c), (sql), strlen(sql), (np), (out), (err))
#define PREPK(c, sql, np, out, err) \
  D->prepare_persistent((c), (sql), strlen(sql), (np), (out), (err))

static long rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void test_live(const char *urltext) {
  url u;
  live l, l2;
  sl_error err;
  sl_stmt *s, *s2;
  sl_value pv[4], v;
  long rows;
  int rc;
  if (parse_url(urltext, &u) != 0) {
    printf("SLEET_TEST_MYSQL_URL not understood: %s\n", urltext);
    failed++;
    return;
  }
  CHECK(lconnect(&l, &u, u.user, u.pw, NULL, NULL, &err) == SL_OK);
  if (l.c == NULL || err.kind != SL_EK_NONE) {
    printf("     connect: %s\n", err.message);
    lclose(&l);
    return;
  }
  /* the session is set up as drivers/mysql.c sets it */
  CHECK(PREP(l.c, "SELECT @@time_zone, @@character_set_client, 1 + ?", 1, &s,
             &err) == SL_OK);
  pv[0].type = SL_V_INT;
  pv[0].u.i = 41;
  CHECK(D->bind(s, pv, 1, &err) == SL_OK);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_ROW);
  D->column(s, 0, &v);
  CHECK_TEXT(&v, "+00:00");
  D->column(s, 1, &v);
  CHECK_TEXT(&v, "utf8mb4");
  D->column(s, 2, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 42);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_DONE);
  D->finalize(s);

  CHECK(lexec(&l, "DROP TABLE IF EXISTS mywire_t") == SL_OK);
  CHECK(lexec(&l, "CREATE TABLE mywire_t (id INT AUTO_INCREMENT PRIMARY KEY, "
                  "name VARCHAR(50) NOT NULL UNIQUE, score DOUBLE, "
                  "data BLOB, price DECIMAL(10,2), at DATETIME(3), "
                  "big BIGINT UNSIGNED, flag BOOLEAN)") == SL_OK);
  CHECK(PREP(l.c,
             "INSERT INTO mywire_t (name, score, data, flag) "
             "VALUES (?, ?, ?, ?)",
             4, &s, &err) == SL_OK);
  pv[0].type = SL_V_TEXT;
  pv[0].u.s.p = "ada";
  pv[0].u.s.n = 3;
  pv[1].type = SL_V_FLOAT;
  pv[1].u.f = 2.5;
  pv[2].type = SL_V_BLOB;
  pv[2].u.s.p = "\0\1\2";
  pv[2].u.s.n = 3;
  pv[3].type = SL_V_BOOL;
  pv[3].u.b = 1;
  CHECK(run_stmt(&l, s, pv, 4, &err) == 0);
  {
    int has = 0;
    long long id = D->last_insert_id(l.c, s, &has);
    CHECK(has && id == 1);
    CHECK(D->rows_affected(l.c, s) == 1);
  }
  /* the same statement again (kept): a duplicate name */
  CHECK(D->reset(s, &err) == SL_OK);
  CHECK(run_stmt(&l, s, pv, 4, &err) == -1);
  CHECK(err.kind == SL_EK_DATABASE && err.code == 1062);
  CHECK(strcmp(err.sqlstate, "23000") == 0);
  CHECK(strcmp(err.constraint_name, "name") == 0);
  CHECK(D->reset(s, &err) == SL_OK);
  pv[0].u.s.p = "bob";
  pv[1].type = SL_V_NULL;
  CHECK(run_stmt(&l, s, pv, 4, &err) == 0);
  D->finalize(s);
  /* a wrong parameter count */
  CHECK(PREP(l.c, "SELECT ?", 2, &s, &err) == SL_OK);
  pv[1].type = SL_V_INT;
  pv[1].u.i = 1;
  CHECK(run_stmt(&l, s, pv, 2, &err) == -1 && err.kind == SL_EK_USAGE);
  D->finalize(s);
  /* a syntax error */
  CHECK(PREP(l.c, "SELEC 1", 0, &s, &err) == SL_OK);
  CHECK(run_stmt(&l, s, NULL, 0, &err) == -1 && err.code == 1064 &&
        strcmp(err.sqlstate, "42000") == 0);
  D->finalize(s);
  /* values read back */
  CHECK(lexec(&l, "UPDATE mywire_t SET price = 12.5, at = "
                  "'2024-02-29 13:04:05.120', big = 18446744073709551615 "
                  "WHERE name = 'ada'") == SL_OK);
  CHECK(PREP(l.c,
             "SELECT id, name, score, data, price, at, big, flag "
             "FROM mywire_t ORDER BY id",
             0, &s, &err) == SL_OK);
  CHECK(D->bind(s, NULL, 0, &err) == SL_OK);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_ROW);
  D->column(s, 1, &v);
  CHECK_TEXT(&v, "ada");
  D->column(s, 2, &v);
  CHECK(v.type == SL_V_FLOAT && v.u.f == 2.5);
  D->column(s, 3, &v);
  CHECK(v.type == SL_V_BLOB && v.u.s.n == 3 &&
        memcmp(v.u.s.p, "\0\1\2", 3) == 0);
  D->column(s, 4, &v);
  CHECK_TEXT(&v, "12.50");
  D->column(s, 5, &v);
  CHECK_TEXT(&v, "2024-02-29 13:04:05.12");
  D->column(s, 6, &v);
  CHECK_TEXT(&v, "18446744073709551615");
  D->column(s, 7, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 1);
  /* another command while rows remain: they are spooled */
  CHECK(lexec(&l, "DO 1") == SL_OK);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_ROW);
  D->column(s, 1, &v);
  CHECK_TEXT(&v, "bob");
  D->column(s, 2, &v);
  CHECK(v.type == SL_V_NULL);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_DONE);
  D->finalize(s);
  /* UPDATE counts matched rows (CLIENT_FOUND_ROWS) */
  CHECK(PREP(l.c, "UPDATE mywire_t SET flag = 1", 0, &s, &err) == SL_OK);
  CHECK(run_stmt(&l, s, NULL, 0, &err) == 0);
  CHECK(D->rows_affected(l.c, s) == 2);
  D->finalize(s);

  /* a transaction */
  CHECK(lrun(&l, K_BEGIN, NULL, "isolation level serializable", &err) == SL_OK);
  CHECK(D->in_transaction(l.c) == 1);
  CHECK(lrun(&l, K_SAVEPOINT, NULL, "sp`1", &err) == SL_OK);
  CHECK(lexec(&l, "DELETE FROM mywire_t") == SL_OK);
  CHECK(lrun(&l, K_ROLLBACK_TO, NULL, "sp`1", &err) == SL_OK);
  CHECK(lexec(&l, "DELETE FROM mywire_t WHERE name = 'bob'") == SL_OK);
  CHECK(lrun(&l, K_ROLLBACK, NULL, NULL, &err) == SL_OK);
  CHECK(D->in_transaction(l.c) == 0);
  CHECK(PREP(l.c, "SELECT COUNT(*) FROM mywire_t", 0, &s, &err) == SL_OK);
  CHECK(D->bind(s, NULL, 0, &err) == SL_OK);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_ROW);
  D->column(s, 0, &v);
  CHECK(v.type == SL_V_INT && v.u.i == 2);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_DONE);
  D->finalize(s);

  /* a persistent statement run many times */
  CHECK(PREPK(l.c, "SELECT ? * 2", 1, &s, &err) == SL_OK);
  {
    int i, good = 1;
    for (i = 0; i < 50; i++) {
      pv[0].type = SL_V_INT;
      pv[0].u.i = i;
      if (D->reset(s, &err) != SL_OK || D->bind(s, pv, 1, &err) != SL_OK ||
          lrun(&l, K_STEP, s, NULL, &err) != SL_ROW) {
        good = 0;
        break;
      }
      D->column(s, 0, &v);
      if (v.type != SL_V_INT || v.u.i != 2 * i) good = 0;
      if (lrun(&l, K_STEP, s, NULL, &err) != SL_DONE) good = 0;
    }
    CHECK(good);
  }
  D->finalize(s);

  /* 100k rows streamed: memory stays flat */
  CHECK(PREP(l.c, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_100000", 0, &s,
             &err) == SL_OK);
  {
    long before = rss_kib(), after;
    long long sum = 0;
    CHECK(D->bind(s, NULL, 0, &err) == SL_OK);
    rows = 0;
    while ((rc = lrun(&l, K_STEP, s, NULL, &err)) == SL_ROW) {
      D->column(s, 0, &v);
      sum += v.u.i;
      rows++;
    }
    after = rss_kib();
    CHECK(rc == SL_DONE && rows == 100000 && sum == 5000050000LL);
    CHECK(after - before < 8 * 1024);
  }
  /* finalized in the middle of its rows: the rest is dropped */
  CHECK(D->reset(s, &err) == SL_OK);
  CHECK(D->bind(s, NULL, 0, &err) == SL_OK);
  CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_ROW);
  D->finalize(s);
  CHECK(lexec(&l, "DO 1") == SL_OK);

  /* COM_RESET_CONNECTION: the session is reusable, set up again */
  CHECK(lexec(&l, "BEGIN") == SL_OK);
  CHECK(PREPK(l.c, "SELECT 1", 0, &s2, &err) == SL_OK);
  CHECK(run_stmt(&l, s2, NULL, 0, &err) == 1);
  CHECK(lrun(&l, K_QUIT_RESET, NULL, NULL, &err) == SL_OK);
  D->finalize(s2);
  D->close(l.c);
  l.c = NULL;
  {
    /* the same socket, as a keepalive pool would hand it out */
    sl_connopts o;
    const char *keys[1] = {"sleet_reused"}, *vals[1] = {"1"};
    memset(&o, 0, sizeof o);
    o.extra_keys = keys;
    o.extra_values = vals;
    o.nextra = 1;
    CHECK(D->connect(&o, &l.c, &err) == SL_OK);
    CHECK(lrun(&l, K_READY, NULL, NULL, &err) == SL_OK);
    CHECK(D->in_transaction(l.c) == 0);
    CHECK(PREP(l.c, "SELECT @@time_zone, @@in_transaction", 0, &s, &err) ==
          SL_OK);
    CHECK(D->bind(s, NULL, 0, &err) == SL_OK);
    CHECK(lrun(&l, K_STEP, s, NULL, &err) == SL_ROW);
    D->column(s, 0, &v);
    CHECK_TEXT(&v, "+00:00");
    D->column(s, 1, &v);
    CHECK(v.type == SL_V_INT && v.u.i == 0);
    D->finalize(s);
  }
  CHECK(lexec(&l, "DROP TABLE mywire_t") == SL_OK);

  /* auth matrix: a mysql_native_password user, a wrong password */
  CHECK(lexec(&l,
              "CREATE USER IF NOT EXISTS 'mywire_pw'@'%' IDENTIFIED "
              "VIA mysql_native_password USING PASSWORD('s3cret')") == SL_OK);
  CHECK(lexec(&l, "GRANT ALL ON *.* TO 'mywire_pw'@'%'") == SL_OK);
  CHECK(lconnect(&l2, &u, "mywire_pw", "s3cret", NULL, NULL, &err) == SL_OK);
  lclose(&l2);
  CHECK(lconnect(&l2, &u, "mywire_pw", "wrong", NULL, NULL, &err) == SL_ERROR);
  CHECK(err.kind == SL_EK_CONNECTION && err.code == 1045 &&
        strncmp(err.message, "Access denied for user 'mywire_pw'", 34) == 0);
  lclose(&l2);
  CHECK(lconnect(&l2, &u, "mywire_pw", "s3cret", "sslmode", "require", &err) ==
        SL_ERROR);
  lclose(&l2);
  {
    /* caching_sha2_password where the server has it (MySQL 8, not
    ** MariaDB): otherwise skipped */
    sl_stmt *q;
    CHECK(PREP(l.c,
               "SELECT COUNT(*) FROM information_schema.plugins WHERE "
               "plugin_name = 'caching_sha2_password'",
               0, &q, &err) == SL_OK);
    CHECK(D->bind(q, NULL, 0, &err) == SL_OK);
    CHECK(lrun(&l, K_STEP, q, NULL, &err) == SL_ROW);
    D->column(q, 0, &v);
    if (v.type == SL_V_INT && v.u.i == 0) {
      printf("skipped: the server has no caching_sha2_password plugin\n");
      skipped++;
    }
    D->finalize(q);
  }
  CHECK(lexec(&l, "DROP USER 'mywire_pw'@'%'") == SL_OK);
  {
    /* the password user scripts/servers.sh makes */
    const char *pw = getenv("SLEET_TEST_MYSQL_PW_URL");
    url pu;
    if (pw != NULL && parse_url(pw, &pu) == 0) {
      CHECK(lconnect(&l2, &pu, pu.user, pu.pw, NULL, NULL, &err) == SL_OK);
      lclose(&l2);
      CHECK(lconnect(&l2, &pu, pu.user, "not-it", NULL, NULL, &err) ==
            SL_ERROR);
      CHECK(err.kind == SL_EK_CONNECTION && err.code == 1045);
      lclose(&l2);
    } else {
      printf("skipped: SLEET_TEST_MYSQL_PW_URL is not set\n");
      skipped++;
    }
  }
  lclose(&l);
}

/* }==================================================================== */

/* {====================================================================
** (c) Parity: the same statements through drivers/mysql.c (libmariadb)
**     and through the wire driver give the same results and errors
** ===================================================================== */

extern const sl_driver sl_driver_mysql;

/* A call on driver d, its I/O moved over l's socket when it asks. */
static int xcall(const sl_driver *d, live *l, int kind, sl_stmt *s,
                 const char *sql, sl_error *err) {
  int rc;
  sl_error_clear(err);
  for (;;) {
    switch (kind) {
    case K_STEP:
      rc = d->step(s, err);
      break;
    default:
      rc = d->exec(l->c, sql, err);
      break;
    }
    if (rc != SL_AGAIN) return rc;
    for (;;) {
      sl_io io;
      ssize_t got;
      d->io(l->c, &io);
      if (io.outlen > 0 && send_all(l->fd, io.out, io.outlen) != 0) return -1;
      if (io.want == 0) break;
      got = recv(l->fd, rbuf, io.want < sizeof rbuf ? io.want : sizeof rbuf, 0);
      if (got <= 0) return -1;
      if (d->feed(l->c, rbuf, (size_t)got, err) != SL_OK) return SL_ERROR;
    }
  }
}

static void dump_bytes(sl_buf *b, const char *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (ch >= 32 && ch < 127 && ch != '\\')
      sl_buf_addc(b, (char)ch);
    else
      sl_buf_addf(b, "\\x%02x", ch);
  }
}

static void dump_error(sl_buf *b, const sl_error *e) {
  sl_buf_addf(b, " ERROR kind=%d code=%lld state=%s msg=", (int)e->kind,
              e->has_code ? e->code : -1, e->sqlstate);
  dump_bytes(b, e->message, strlen(e->message));
  sl_buf_addf(b, " constraint=%s table=%s column=%s", e->constraint_name,
              e->table, e->column);
}

/* Runs sql (with params) on d and writes all it returns into b. */
static void dump_run(const sl_driver *d, live *l, const char *sql,
                     const sl_value *params, int n, sl_buf *b) {
  sl_error err;
  sl_stmt *s = NULL;
  int rc, i;
  sl_error_clear(&err);
  if (d->prepare(l->c, sql, strlen(sql), n, &s, &err) != SL_OK ||
      d->bind(s, params, n, &err) != SL_OK) {
    dump_error(b, &err);
    if (s != NULL) d->finalize(s);
    return;
  }
  while ((rc = xcall(d, l, K_STEP, s, NULL, &err)) == SL_ROW) {
    int nc = d->ncolumns(s);
    sl_buf_adds(b, " [");
    for (i = 0; i < nc; i++) {
      sl_value v;
      d->column(s, i, &v);
      sl_buf_addf(b, "%s%s=", i ? ", " : "", d->column_name(s, i));
      switch (v.type) {
      case SL_V_NULL:
        sl_buf_adds(b, "NULL");
        break;
      case SL_V_INT:
        sl_buf_addf(b, "I%lld", (long long)v.u.i);
        break;
      case SL_V_FLOAT:
        sl_buf_addf(b, "F%.17g", v.u.f);
        break;
      case SL_V_BOOL:
        sl_buf_addf(b, "B%d", v.u.b);
        break;
      case SL_V_TEXT:
        sl_buf_adds(b, "T'");
        dump_bytes(b, v.u.s.p, v.u.s.n);
        sl_buf_addc(b, '\'');
        break;
      default:
        sl_buf_adds(b, "X'");
        dump_bytes(b, v.u.s.p, v.u.s.n);
        sl_buf_addc(b, '\'');
        break;
      }
    }
    sl_buf_addc(b, ']');
  }
  if (rc == SL_DONE) {
    int has = 0;
    long long id = d->last_insert_id(l->c, s, &has);
    sl_buf_addf(b, " done affected=%lld id=%lld/%d", d->rows_affected(l->c, s),
                id, has);
  } else {
    dump_error(b, &err);
  }
  d->finalize(s);
}

/* Replaces every @T in sql by name. */
static void subst(const char *sql, const char *name, sl_buf *out) {
  const char *p;
  sl_buf_reset(out);
  for (p = sql; *p; p++) {
    if (p[0] == '@' && p[1] == 'T') {
      sl_buf_adds(out, name);
      p++;
    } else {
      sl_buf_addc(out, *p);
    }
  }
}

/* Replaces every name in b by @T. */
static void unsubst(sl_buf *b, const char *name) {
  sl_buf t;
  size_t i, k = strlen(name);
  sl_buf_init(&t);
  for (i = 0; i < b->n; i++) {
    if (i + k <= b->n && memcmp(b->p + i, name, k) == 0) {
      sl_buf_adds(&t, "@T");
      i += k - 1;
    } else {
      sl_buf_addc(&t, b->p[i]);
    }
  }
  sl_buf_free(b);
  *b = t;
}

static const char *const parity_setup[] = {
    "DROP TABLE IF EXISTS @T_c", "DROP TABLE IF EXISTS @T",
    "CREATE TABLE @T (id INT AUTO_INCREMENT PRIMARY KEY, ti TINYINT, "
    "tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, mu MEDIUMINT UNSIGNED, "
    "i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, "
    "d DOUBLE, de DECIMAL(20,6), dt DATE, dtm DATETIME(6), "
    "ts TIMESTAMP(3) NULL, tm TIME(2), y YEAR, c CHAR(3), "
    "vc VARCHAR(20) UNIQUE, tx TEXT, bl BLOB, vb VARBINARY(10), "
    "bn BINARY(4), b1 BIT(1), b64 BIT(64), e ENUM('a','b'), "
    "st SET('x','y'), j JSON, g POINT, bo BOOLEAN, "
    "nn VARCHAR(5) NOT NULL DEFAULT 'z', CONSTRAINT chk_@T CHECK (ti <> 99))",
    "CREATE TABLE @T_c (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_@T "
    "FOREIGN KEY (pid) REFERENCES @T (id))",
    NULL};

typedef struct pstmt {
  const char *sql;
  const char *types; /* one letter per parameter: i f t b x n */
} pstmt;

static const pstmt parity_stmts[] = {
    {"INSERT INTO @T (ti,tu,si,mi,mu,i,iu,bi,bu,f,d,de,dt,dtm,ts,tm,y,c,vc,"
     "tx,bl,vb,bn,b1,b64,e,st,j,g,bo) VALUES (-128,255,-32768,-8388608,"
     "16777215,-2147483648,4294967295,-9223372036854775808,"
     "18446744073709551615,1.1,2.5e-300,'-12345678901234.123456',"
     "'1000-01-01','9999-12-31 23:59:59.999999','2038-01-19 03:14:07.5',"
     "'-838:59:59.99',2155,'ab','v1','text \xc3\xa9',x'00ff','vb',x'01',"
     "b'1',b'1111111111111111111111111111111111111111111111111111111111111111',"
     "'b','x,y','{\"a\": [1, 2]}',POINT(1,2),TRUE)",
     ""},
    {"INSERT INTO @T (vc, f, d, de) VALUES (?, ?, ?, ?)", "tfnt"},
    {"INSERT INTO @T (vc, f, d) VALUES (?, ?, ?)", "tfn"},
    {"INSERT INTO @T (vc, bl, bo, i, tm) VALUES (?, ?, ?, ?, '25:00:01')",
     "txbi"},
    {"SELECT * FROM @T ORDER BY id", ""},
    {"SELECT id, vc FROM @T WHERE id > ? ORDER BY id", "i"},
    {"UPDATE @T SET i = 42 WHERE vc IN ('v1', 'v3')", ""},
    {"INSERT INTO @T (vc) VALUES ('v1')", ""},
    {"INSERT INTO @T_c VALUES (1, 999)", ""},
    {"INSERT INTO @T (vc, nn) VALUES ('v9', NULL)", ""},
    {"INSERT INTO @T (vc) VALUES ('this is way too long for it')", ""},
    {"INSERT INTO @T (vc, ti) VALUES ('v10', 99)", ""},
    {"INSERT INTO @T (vc, tu) VALUES ('v11', 300)", ""},
    {"SELEC 1", ""},
    {"SELECT * FROM mywire_nope", ""},
    {"INSERT INTO @T (vc) VALUES ('r1'), ('r2') RETURNING id, vc", ""},
    {"DELETE FROM @T WHERE vc LIKE 'r%' RETURNING id", ""},
    {"SELECT 1, -1, 1.5, 'x', NULL, 18446744073709551615, 1e308, "
     "CAST('2020-01-01' AS DATE), CAST('10:00:00' AS TIME), 1 = 1, "
     "x'ff', CAST(12.5 AS DECIMAL(5,2))",
     ""},
    {"SELECT ?, ?, ?, ?, ?, ?", "iftbxn"},
    {"SELECT ? + 1, CONCAT(?, 'x'), ? * 2", "itf"},
    {"SELECT COUNT(*), SUM(i), AVG(i), MAX(dtm), GROUP_CONCAT(vc ORDER BY vc) "
     "FROM @T",
     ""},
    {"DELETE FROM @T WHERE vc = 'nomatch'", ""},
    {"WITH x AS (SELECT 1 AS a UNION ALL SELECT 2) SELECT a FROM x", ""},
    {"SELECT ST_AsText(g), JSON_EXTRACT(j, '$.a'), b64 + 0, b1 FROM @T", ""},
    {"REPLACE INTO @T (id, vc) VALUES (1, 'v1r')", ""},
    {"INSERT INTO @T (vc) VALUES (?)", "i"},
    {"SELECT ?", "tt"},
    {NULL, NULL}};

static void params_of(const char *types, sl_value *pv) {
  int i;
  for (i = 0; types[i]; i++) {
    switch (types[i]) {
    case 'i':
      pv[i].type = SL_V_INT;
      /* beyond 2^53 where the column is a plain parameter */
      pv[i].u.i = strcmp(types, "iftbxn") == 0 ? 9000000000000000001LL : 42;
      break;
    case 'f':
      pv[i].type = SL_V_FLOAT;
      pv[i].u.f = 3.25;
      break;
    case 't':
      pv[i].type = SL_V_TEXT;
      pv[i].u.s.p = i == 0 ? (types[1] == 'f' ? "v2" : "v3") : "t\xc3\xa9xt";
      pv[i].u.s.n = strlen(pv[i].u.s.p);
      break;
    case 'b':
      pv[i].type = SL_V_BOOL;
      pv[i].u.b = 1;
      break;
    case 'x':
      pv[i].type = SL_V_BLOB;
      pv[i].u.s.p = "\0\1\2";
      pv[i].u.s.n = 3;
      break;
    default:
      pv[i].type = SL_V_NULL;
      break;
    }
  }
}

static void test_parity(const url *u) {
  live lm, lw;
  sl_connopts o;
  sl_error err;
  sl_buf bm, bw, sql;
  int i, same = 0, total = 0;
  char port[16];
  memset(&o, 0, sizeof o);
  snprintf(port, sizeof port, "%s", u->port);
  o.host = u->host;
  o.port = atoi(u->port);
  o.user = u->user;
  o.password = u->pw;
  o.database = u->db;
  lm.fd = -1;
  if (sl_driver_mysql.connect(&o, &lm.c, &err) != SL_OK) {
    printf("     mysql driver: %s\n", err.message);
    failed++;
    return;
  }
  CHECK(lconnect(&lw, u, u->user, u->pw, NULL, NULL, &err) == SL_OK);
  sl_buf_init(&bm);
  sl_buf_init(&bw);
  sl_buf_init(&sql);
  for (i = 0; parity_setup[i] != NULL; i++) {
    subst(parity_setup[i], "mw_pm", &sql);
    CHECK(xcall(&sl_driver_mysql, &lm, K_EXEC, NULL, sql.p, &err) == SL_OK);
    subst(parity_setup[i], "mw_pw", &sql);
    CHECK(xcall(D, &lw, K_EXEC, NULL, sql.p, &err) == SL_OK);
  }
  for (i = 0; parity_stmts[i].sql != NULL; i++) {
    sl_value pv[8];
    int n = (int)strlen(parity_stmts[i].types);
    params_of(parity_stmts[i].types, pv);
    if (strcmp(parity_stmts[i].sql, "SELECT ?") == 0) n = 2; /* wrong */
    sl_buf_reset(&bm);
    sl_buf_reset(&bw);
    subst(parity_stmts[i].sql, "mw_pm", &sql);
    dump_run(&sl_driver_mysql, &lm, sql.p, pv, n, &bm);
    subst(parity_stmts[i].sql, "mw_pw", &sql);
    dump_run(D, &lw, sql.p, pv, n, &bw);
    unsubst(&bm, "mw_pm");
    unsubst(&bw, "mw_pw");
    total++;
    if (bm.n == bw.n && memcmp(bm.p, bw.p, bm.n) == 0) {
      same++;
    } else {
      printf("     differs: %s\n       mysql: %s\n      mywire: %s\n",
             parity_stmts[i].sql, bm.p, bw.p);
    }
    if (getenv("MYWIRE_TEST_VERBOSE")) printf("  %s\n    %s\n", sql.p, bw.p);
  }
  CHECK(same == total);
  /* exec, transaction verbs and in_transaction */
  CHECK(sl_driver_mysql.begin(lm.c, NULL, &err) == SL_OK);
  CHECK(sl_driver_mysql.in_transaction(lm.c) == 1);
  CHECK(sl_driver_mysql.rollback(lm.c, &err) == SL_OK);
  for (i = 0; parity_setup[i] != NULL && i < 2; i++) {
    subst(parity_setup[i], "mw_pm", &sql);
    xcall(&sl_driver_mysql, &lm, K_EXEC, NULL, sql.p, &err);
    subst(parity_setup[i], "mw_pw", &sql);
    xcall(D, &lw, K_EXEC, NULL, sql.p, &err);
  }
  sl_buf_free(&bm);
  sl_buf_free(&bw);
  sl_buf_free(&sql);
  sl_driver_mysql.close(lm.c);
  lclose(&lw);
}

/* }==================================================================== */

int main(int argc, char **argv) {
  const char *u = getenv("SLEET_TEST_MYSQL_URL");
  int live_only = (argc > 1 && strcmp(argv[1], "--live") == 0) ||
                  getenv("MYWIRE_TEST_LIVE") != NULL;
  sl_buf_init(&P);
  if (!live_only) {
    test_scrambles();
    test_errors();
    test_values();
    test_framing();
    test_conversations();
    test_broken_streams();
    test_sha2_and_switch();
    test_spool_and_zombie();
  }
  if (u != NULL && *u != '\0') {
    url pu;
    test_live(u);
    if (parse_url(u, &pu) == 0) test_parity(&pu);
  } else if (live_only) {
    printf("--live: SLEET_TEST_MYSQL_URL is not set\n");
    failed++;
  } else {
    printf("skipped: the live tests (SLEET_TEST_MYSQL_URL is not set)\n");
    skipped++;
  }
  sl_buf_free(&P);
  if (skipped > 0)
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  else
    printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
