/*
** pgwire_test.c — the PostgreSQL wire engine (ext/sl_pgwire.c) and the
** pgwire driver (drivers/pgwire.c).
**
** Without a server: canned server bytes fed in every split (one byte at a
** time, and in two pieces cut at every offset), the handshake for trust,
** cleartext, md5 and SCRAM-SHA-256 against a scripted server, the RFC 7677
** SCRAM test vector, a known md5 answer, ErrorResponse mapping, rows and
** errors through the driver's vtable, and garbage (truncated, absurd or
** negative lengths, malformed bodies) refused without a crash.
**
** With SLEET_TEST_PG_URL (scripts/servers.sh): the driver through its
** vtable over a blocking TCP socket — connect, select, insert with
** parameters, errors with sqlstate and constraint, transactions, batches,
** a persistent statement reused, 100k rows streamed, an iterator
** interleaved with other statements, a session reset and reused, a
** terminated backend — and the authentication matrix
** (SLEET_TEST_PG_{MD5,SCRAM,PASSWORD}_URL, a wrong password).
**
** Built with ASan + UBSan by `make check-c`; the last line is
** "N passed, N failed[, N skipped]". spec/pgwire_spec.lua runs it again
** once the test servers run.
*/
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sl_pgwire.h"
#include "sl_driver.h"

static int passed, failed, skipped;

static void check(int ok, const char *label, const char *detail) {
  if (ok) {
    passed++;
    return;
  }
  failed++;
  printf("FAIL %s\n%s\n", label, detail ? detail : "");
}

#define CHECK(cond, label) check((cond), (label), #cond)

static const sl_driver *const D = &sl_driver_pgwire;

/* 1 when the m bytes of needle occur in the n bytes of hay. */
static int contains(const char *hay, size_t n, const char *needle, size_t m) {
  size_t i;
  for (i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return 1;
  return 0;
}

/* {====================================================================
** Building server bytes
** ===================================================================== */

typedef struct bytes {
  char p[65536];
  size_t n;
} bytes;

static void b_raw(bytes *b, const void *p, size_t n) {
  if (b->n + n > sizeof b->p) abort();
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void b_32(bytes *b, uint32_t x) {
  unsigned char c[4] = {(unsigned char)(x >> 24), (unsigned char)(x >> 16),
                        (unsigned char)(x >> 8), (unsigned char)x};
  b_raw(b, c, 4);
}

static void b_16(bytes *b, int x) {
  unsigned char c[2] = {(unsigned char)((unsigned)x >> 8 & 0xff),
                        (unsigned char)(x & 0xff)};
  b_raw(b, c, 2);
}

static void b_str(bytes *b, const char *s) {
  b_raw(b, s, strlen(s) + 1);
}

/* A message: type, then its body built by the caller between msg_open and
** msg_shut. */
static size_t msg_open(bytes *b, char type) {
  size_t at;
  b_raw(b, &type, 1);
  at = b->n;
  b_32(b, 0);
  return at;
}

static void msg_shut(bytes *b, size_t at) {
  uint32_t len = (uint32_t)(b->n - at);
  b->p[at] = (char)(len >> 24);
  b->p[at + 1] = (char)(len >> 16);
  b->p[at + 2] = (char)(len >> 8);
  b->p[at + 3] = (char)len;
}

static void m_auth(bytes *b, uint32_t code, const void *extra, size_t n) {
  size_t at = msg_open(b, 'R');
  b_32(b, code);
  if (n > 0) b_raw(b, extra, n);
  msg_shut(b, at);
}

static void m_param(bytes *b, const char *k, const char *v) {
  size_t at = msg_open(b, 'S');
  b_str(b, k);
  b_str(b, v);
  msg_shut(b, at);
}

static void m_ready(bytes *b, char status) {
  size_t at = msg_open(b, 'Z');
  b_raw(b, &status, 1);
  msg_shut(b, at);
}

static void m_empty(bytes *b, char type) {
  msg_shut(b, msg_open(b, type));
}

static void m_complete(bytes *b, const char *tag) {
  size_t at = msg_open(b, 'C');
  b_str(b, tag);
  msg_shut(b, at);
}

/* RowDescription of n columns named names[i] with type oids[i]. */
static void m_rowdesc(bytes *b, int n, const char *const *names,
                      const uint32_t *oids) {
  size_t at = msg_open(b, 'T');
  int i;
  b_16(b, n);
  for (i = 0; i < n; i++) {
    b_str(b, names[i]);
    b_32(b, 0);
    b_16(b, 0);
    b_32(b, oids[i]);
    b_16(b, -1);
    b_32(b, 0xffffffffu);
    b_16(b, 0);
  }
  msg_shut(b, at);
}

/* DataRow of n cells (NULL: SQL NULL). */
static void m_datarow(bytes *b, int n, const char *const *cells) {
  size_t at = msg_open(b, 'D');
  int i;
  b_16(b, n);
  for (i = 0; i < n; i++) {
    if (cells[i] == NULL) {
      b_32(b, 0xffffffffu);
    } else {
      b_32(b, (uint32_t)strlen(cells[i]));
      b_raw(b, cells[i], strlen(cells[i]));
    }
  }
  msg_shut(b, at);
}

/* ErrorResponse: pairs of code and text in fields ("C", "23505", ...). */
static void m_error(bytes *b, char type, const char *const *fields) {
  size_t at = msg_open(b, type);
  int i;
  for (i = 0; fields[i] != NULL; i += 2) {
    b_raw(b, fields[i], 1);
    b_str(b, fields[i + 1]);
  }
  b_raw(b, "", 1);
  msg_shut(b, at);
}

/* }==================================================================== */

/* {====================================================================
** Authentication maths
** ===================================================================== */

static void test_md5(void) {
  char out[36];
  const unsigned char salt[4] = {1, 2, 3, 4};
  sl_pgw_md5_password("postgres", "secret", salt, out);
  check(strcmp(out, "md5bb41a296aab6baccb36ff243a562abff") == 0,
        "md5 password answer", out);
}

/* RFC 7677, section 3. */
static void test_scram_vector(void) {
  sl_pgw_scram s;
  sl_error err;
  sl_buf b;
  const char *server_first =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$"
      "k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const char *final = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNl"
                      "F$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
  const char *server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
  sl_error_clear(&err);
  sl_buf_init(&b);
  CHECK(sl_pgw_scram_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", &b, &err) ==
            SL_OK,
        "scram: first message");
  check(b.p && strcmp(b.p, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO") == 0,
        "scram: client-first-message", b.p);
  sl_buf_reset(&b);
  CHECK(sl_pgw_scram_final(&s, "pencil", server_first, strlen(server_first), &b,
                           &err) == SL_OK,
        "scram: final message");
  check(b.p && strcmp(b.p, final) == 0, "scram: client proof (RFC 7677)", b.p);
  check(sl_pgw_scram_verify(&s, server_final, strlen(server_final), &err) ==
            SL_OK,
        "scram: server signature verified", err.message);
  /* a forged signature */
  sl_buf_reset(&b);
  sl_pgw_scram_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", &b, &err);
  sl_buf_reset(&b);
  sl_pgw_scram_final(&s, "pencil", server_first, strlen(server_first), &b,
                     &err);
  {
    const char *forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjRm4QQ=";
    int rc = sl_pgw_scram_verify(&s, forged, strlen(forged), &err);
    check(rc == SL_ERROR && strstr(err.message, "incorrect server signature"),
          "scram: forged server signature refused", err.message);
  }
  /* a server nonce that does not extend ours */
  sl_buf_reset(&b);
  sl_pgw_scram_first(&s, "user", "abc", &b, &err);
  sl_buf_reset(&b);
  CHECK(sl_pgw_scram_final(&s, "pencil", "r=xyz123,s=QSXCR+Q6sek8bf92,i=4096",
                           34, &b, &err) == SL_ERROR,
        "scram: foreign nonce refused");
  sl_buf_reset(&b);
  sl_pgw_scram_first(&s, "user", "abc", &b, &err);
  CHECK(sl_pgw_scram_final(&s, "pencil", "r=abcdef,s=!!!!,i=4096", 22, &b,
                           &err) == SL_ERROR,
        "scram: malformed salt refused");
  sl_buf_reset(&b);
  sl_pgw_scram_first(&s, "user", "abc", &b, &err);
  CHECK(sl_pgw_scram_final(&s, "pencil", "r=abcdef,s=QSXCR+Q6sek8bf92,i=0x", 32,
                           &b, &err) == SL_ERROR,
        "scram: malformed iteration count refused");
  sl_buf_free(&b);
}

/* }==================================================================== */

/* {====================================================================
** Handshakes against scripted servers
** ===================================================================== */

/* Feeds server bytes in pieces of `chunk` (0: two pieces cut at `cut`)
** and runs the handshake after each; returns its last status. */
static int feed_handshake(sl_pgw *p, const bytes *srv, size_t chunk, size_t cut,
                          sl_error *err) {
  size_t off = 0;
  int rc = sl_pgw_handshake(p, err);
  while (off < srv->n && rc == SL_AGAIN) {
    size_t n = chunk ? chunk : (off < cut ? cut - off : srv->n - off);
    if (n > srv->n - off) n = srv->n - off;
    if (sl_pgw_feed(p, srv->p + off, n, err) != SL_OK) return SL_ERROR;
    off += n;
    rc = sl_pgw_handshake(p, err);
  }
  return rc;
}

static sl_pgw *started(const char *password, sl_pgw_ssl ssl) {
  sl_pgw *p = sl_pgw_new();
  sl_pgw_startopts o;
  sl_error err;
  const char *keys[] = {"TimeZone"}, *vals[] = {"UTC"};
  memset(&o, 0, sizeof o);
  o.user = "alice";
  o.password = password;
  o.database = "db";
  o.keys = keys;
  o.values = vals;
  o.nparams = 1;
  o.ssl = ssl;
  o.where = "connection to server at \"h\", port 1 failed: ";
  if (p == NULL || sl_pgw_start(p, &o, &err) != SL_OK) abort();
  return p;
}

static void test_trust(void) {
  bytes srv;
  size_t cut;
  uint32_t pid, secret;
  memset(&srv, 0, sizeof srv);
  m_auth(&srv, 0, NULL, 0);
  m_param(&srv, "server_version", "15.4");
  m_param(&srv, "client_encoding", "UTF8");
  {
    size_t at = msg_open(&srv, 'K');
    b_32(&srv, 1234);
    b_32(&srv, 99);
    msg_shut(&srv, at);
  }
  {
    const char *notice[] = {"S", "NOTICE", "M", "hello", NULL};
    m_error(&srv, 'N', notice);
  }
  m_ready(&srv, 'I');
  for (cut = 0; cut <= srv.n + 1; cut++) {
    sl_pgw *p = started(NULL, SL_PGW_SSL_DISABLE);
    sl_error err;
    size_t n;
    const char *out = sl_pgw_out(p, &n);
    int rc;
    /* the StartupMessage: length, 3.0, user, database, TimeZone */
    if (cut == 0) {
      CHECK(out != NULL && n > 8 && (unsigned char)out[4] == 0 && out[5] == 3,
            "startup: protocol 3.0");
      CHECK(n > 8 && contains(out, n,
                              "user\0alice\0database\0db\0TimeZone\0UTC\0", 37),
            "startup: parameters");
    }
    rc = cut <= srv.n ? feed_handshake(p, &srv, 0, cut, &err)
                      : feed_handshake(p, &srv, 1, 0, &err);
    if (rc != SL_OK) {
      check(0, "trust handshake in every split", err.message);
      sl_pgw_free(p);
      break;
    }
    if (cut == 3) {
      const char *v = sl_pgw_parameter(p, "server_version");
      check(v && strcmp(v, "15.4") == 0, "ParameterStatus kept", v);
      CHECK(sl_pgw_backend_key(p, &pid, &secret) && pid == 1234 && secret == 99,
            "BackendKeyData kept");
      CHECK(sl_pgw_txstatus(p) == 'I' && sl_pgw_ready(p), "ready, idle");
    }
    sl_pgw_free(p);
  }
  passed++;
}

static void test_md5_handshake(void) {
  bytes srv;
  sl_pgw *p = started("secret", SL_PGW_SSL_DISABLE);
  sl_error err;
  size_t n;
  const char *out;
  unsigned char salt[4] = {1, 2, 3, 4};
  char want[36];
  int rc;
  memset(&srv, 0, sizeof srv);
  m_auth(&srv, 5, salt, 4);
  sl_pgw_out(p, &n);
  rc = feed_handshake(p, &srv, 1, 0, &err);
  CHECK(rc == SL_AGAIN, "md5: waits for the server after answering");
  out = sl_pgw_out(p, &n);
  sl_pgw_md5_password("alice", "secret", salt, want);
  CHECK(out && n == 5 + 36 && out[0] == 'p' && memcmp(out + 5, want, 36) == 0,
        "md5: PasswordMessage");
  memset(&srv, 0, sizeof srv);
  {
    const char *e[] = {
        "S", "FATAL", "V", "FATAL",
        "C", "28P01", "M", "password authentication failed for user \"alice\"",
        NULL};
    m_error(&srv, 'E', e);
  }
  rc = feed_handshake(p, &srv, 0, 3, &err);
  check(rc == SL_ERROR && err.kind == SL_EK_CONNECTION &&
            strcmp(err.message,
                   "connection to server at \"h\", port 1 failed: FATAL:  "
                   "password authentication failed for user \"alice\"") == 0 &&
            strcmp(err.sqlstate, "28P01") == 0,
        "md5: refusal worded as libpq words it", err.message);
  CHECK(sl_pgw_failed(p) && sl_pgw_want(p) == 0, "refused session is failed");
  sl_pgw_free(p);

  /* no password */
  p = started(NULL, SL_PGW_SSL_DISABLE);
  memset(&srv, 0, sizeof srv);
  m_auth(&srv, 3, NULL, 0);
  rc = feed_handshake(p, &srv, 0, 2, &err);
  check(rc == SL_ERROR && strstr(err.message, "no password supplied"),
        "cleartext without a password", err.message);
  sl_pgw_free(p);
  /* cleartext */
  p = started("pw", SL_PGW_SSL_DISABLE);
  sl_pgw_out(p, &n);
  rc = feed_handshake(p, &srv, 0, 2, &err);
  out = sl_pgw_out(p, &n);
  CHECK(rc == SL_AGAIN && n == 8 && memcmp(out, "p\0\0\0\7pw\0", 8) == 0,
        "cleartext PasswordMessage");
  sl_pgw_free(p);
  /* unknown method */
  p = started("pw", SL_PGW_SSL_DISABLE);
  memset(&srv, 0, sizeof srv);
  m_auth(&srv, 7, NULL, 0);
  rc = feed_handshake(p, &srv, 0, 2, &err);
  check(rc == SL_ERROR && strstr(err.message, "method 7 not supported"),
        "GSS refused", err.message);
  sl_pgw_free(p);
}

/* A scripted SCRAM-SHA-256 server (password "pencil", salt, 4096
** rounds): checks the client's proof and signs, in every split of its
** replies. */
static void hmac(const unsigned char *k, size_t kn, const void *d, size_t n,
                 unsigned char out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), k, (int)kn, d, n, out, &len);
}

static void test_scram_handshake(void) {
  int split;
  for (split = 0; split < 3; split++) {
    sl_pgw *p = started("pencil", SL_PGW_SSL_DISABLE);
    sl_error err;
    bytes srv;
    size_t n;
    const char *out;
    char client_first_bare[200], server_first[300], final_bare[400];
    char proof_b64[64], sig_b64[64];
    const char *nonce;
    unsigned char salt[16] = "0123456789abcdef", salted[32], ck[32], sk[32],
                  stored[32], csig[32], ssig[32], proof[32];
    unsigned int len;
    char am[1200];
    int rc, i;
    memset(&srv, 0, sizeof srv);
    {
      const char mech[] = "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0";
      m_auth(&srv, 10, mech, sizeof mech);
    }
    sl_pgw_out(p, &n);
    rc = feed_handshake(p, &srv, split == 0 ? 1 : 0, 5, &err);
    out = sl_pgw_out(p, &n);
    /* 'p' len "SCRAM-SHA-256\0" int32 "n,,n=,r=<nonce>" */
    if (rc != SL_AGAIN || out == NULL || n < 5 + 14 + 4 + 8 ||
        memcmp(out + 5, "SCRAM-SHA-256\0", 14) != 0 ||
        memcmp(out + 23, "n,,n=,r=", 8) != 0) {
      check(0, "scram: SASLInitialResponse", err.message);
      sl_pgw_free(p);
      return;
    }
    snprintf(client_first_bare, sizeof client_first_bare, "%.*s", (int)(n - 26),
             out + 26);
    nonce = client_first_bare + 5;
    {
      char salt64[40];
      EVP_EncodeBlock((unsigned char *)salt64, salt, 16);
      snprintf(server_first, sizeof server_first, "r=%sSRVNONCE,s=%s,i=4096",
               nonce, salt64);
    }
    memset(&srv, 0, sizeof srv);
    m_auth(&srv, 11, server_first, strlen(server_first));
    rc = feed_handshake(p, &srv, split == 1 ? 1 : 0, 7, &err);
    out = sl_pgw_out(p, &n);
    snprintf(final_bare, sizeof final_bare, "c=biws,r=%sSRVNONCE", nonce);
    PKCS5_PBKDF2_HMAC("pencil", 6, salt, 16, 4096, EVP_sha256(), 32, salted);
    hmac(salted, 32, "Client Key", 10, ck);
    EVP_Digest(ck, 32, stored, &len, EVP_sha256(), NULL);
    snprintf(am, sizeof am, "%s,%s,%s", client_first_bare, server_first,
             final_bare);
    hmac(stored, 32, am, strlen(am), csig);
    for (i = 0; i < 32; i++)
      proof[i] = ck[i] ^ csig[i];
    EVP_EncodeBlock((unsigned char *)proof_b64, proof, 32);
    {
      char want[600];
      snprintf(want, sizeof want, "%s,p=%s", final_bare, proof_b64);
      check(rc == SL_AGAIN && out != NULL && n == 5 + strlen(want) &&
                memcmp(out + 5, want, strlen(want)) == 0,
            "scram: client proof accepted by the server", err.message);
    }
    hmac(salted, 32, "Server Key", 10, sk);
    hmac(sk, 32, am, strlen(am), ssig);
    EVP_EncodeBlock((unsigned char *)sig_b64, ssig, 32);
    memset(&srv, 0, sizeof srv);
    {
      char v[80];
      snprintf(v, sizeof v, "v=%s", sig_b64);
      m_auth(&srv, 12, v, strlen(v));
    }
    m_auth(&srv, 0, NULL, 0);
    m_ready(&srv, 'I');
    rc = feed_handshake(p, &srv, split == 2 ? 1 : 0, 9, &err);
    check(rc == SL_OK, "scram: session open after the server's signature",
          err.message);
    sl_pgw_free(p);
  }
  /* a server skipping SASLFinal */
  {
    sl_pgw *p = started("pencil", SL_PGW_SSL_DISABLE);
    sl_error err;
    bytes srv;
    int rc;
    memset(&srv, 0, sizeof srv);
    m_auth(&srv, 10, "SCRAM-SHA-256\0", 15);
    m_auth(&srv, 0, NULL, 0);
    rc = feed_handshake(p, &srv, 0, 3, &err);
    check(rc == SL_ERROR && err.kind == SL_EK_CONNECTION,
          "scram: AuthenticationOk without proof refused", err.message);
    sl_pgw_free(p);
  }
}

static void test_ssl(void) {
  sl_pgw *p = started(NULL, SL_PGW_SSL_PREFER);
  sl_error err;
  size_t n;
  const char *out = sl_pgw_out(p, &n);
  int rc;
  CHECK(n == 8 && memcmp(out, "\0\0\0\x08\x04\xd2\x16\x2f", 8) == 0,
        "SSLRequest");
  CHECK(sl_pgw_want(p) == 1, "SSLRequest: one byte answer");
  sl_pgw_feed(p, "N", 1, &err);
  rc = sl_pgw_handshake(p, &err);
  out = sl_pgw_out(p, &n);
  CHECK(rc == SL_AGAIN && n > 8 && out[5] == 3 && sl_pgw_want(p) == 5,
        "prefer + 'N': startup in clear");
  sl_pgw_free(p);

  p = started(NULL, SL_PGW_SSL_REQUIRE);
  sl_pgw_out(p, &n);
  sl_pgw_feed(p, "N", 1, &err);
  rc = sl_pgw_handshake(p, &err);
  check(rc == SL_ERROR && strstr(err.message, "SSL was required"),
        "require + 'N' fails", err.message);
  sl_pgw_free(p);

  p = started(NULL, SL_PGW_SSL_REQUIRE);
  sl_pgw_out(p, &n);
  sl_pgw_feed(p, "S", 1, &err);
  rc = sl_pgw_handshake(p, &err);
  CHECK(rc == SL_AGAIN && sl_pgw_want(p) == 0 && sl_pgw_out(p, &n) == NULL,
        "'S': nothing to send before TLS");
  CHECK(sl_pgw_tls(p) == 1 && sl_pgw_tls(p) == 0, "'S': TLS asked once");
  out = sl_pgw_out(p, &n);
  CHECK(out != NULL && n > 8 && out[5] == 3 && sl_pgw_want(p) == 5,
        "after TLS: the startup");
  sl_pgw_free(p);
}

/* }==================================================================== */

/* {====================================================================
** Decoders and garbage
** ===================================================================== */

static void test_errors(void) {
  bytes b;
  sl_pgw_msg m;
  sl_error err;
  int lost;
  const char *f1[] = {"S",
                      "ERROR",
                      "V",
                      "ERROR",
                      "C",
                      "23505",
                      "M",
                      "duplicate key value violates unique constraint "
                      "\"users_email_key\"\nsecond line",
                      "D",
                      "Key (email)=(a@x.io) already exists.",
                      "s",
                      "public",
                      "t",
                      "users",
                      "n",
                      "users_email_key",
                      NULL};
  const char *f2[] = {
      "S",     "FATAL", "C",
      "57P01", "M",     "terminating connection due to administrator command",
      NULL};
  const char *f3[] = {"C", "08P01", "M", "bind message supplies 1", NULL};
  const char *f4[] = {"C",    "23502", "M",     "null value", "c",
                      "name", "t",     "users", NULL};
  memset(&b, 0, sizeof b);
  m_error(&b, 'E', f1);
  m.type = 'E';
  m.body = b.p + 5;
  m.len = b.n - 5;
  lost = sl_pgw_error(&m, &err);
  check(!lost && err.kind == SL_EK_DATABASE &&
            strcmp(err.message, "duplicate key value violates unique "
                                "constraint \"users_email_key\"") == 0 &&
            strcmp(err.sqlstate, "23505") == 0 &&
            strcmp(err.constraint_name, "users_email_key") == 0 &&
            strcmp(err.table, "users") == 0 &&
            strcmp(err.detail, "Key (email)=(a@x.io) already exists.") == 0,
        "ErrorResponse → database error with its fields", err.message);
  memset(&b, 0, sizeof b);
  m_error(&b, 'E', f2);
  m.body = b.p + 5;
  m.len = b.n - 5;
  lost = sl_pgw_error(&m, &err);
  check(lost && err.kind == SL_EK_CONNECTION &&
            strcmp(err.message, "connection to the server was lost: "
                                "terminating connection due to administrator "
                                "command") == 0,
        "57P01 → connection lost", err.message);
  memset(&b, 0, sizeof b);
  m_error(&b, 'E', f3);
  m.body = b.p + 5;
  m.len = b.n - 5;
  lost = sl_pgw_error(&m, &err);
  CHECK(!lost && err.kind == SL_EK_DATABASE, "08P01 is a statement error");
  memset(&b, 0, sizeof b);
  m_error(&b, 'E', f4);
  m.body = b.p + 5;
  m.len = b.n - 5;
  sl_pgw_error(&m, &err);
  CHECK(strcmp(err.column, "name") == 0 && err.constraint_name[0] == '\0',
        "column field");
  /* unterminated fields */
  m.body = "CXX";
  m.len = 3;
  CHECK(sl_pgw_error(&m, &err) == 1 && err.kind == SL_EK_CONNECTION,
        "unterminated error fields");
}

static void test_decoders(void) {
  char row[64];
  sl_pgw_cell cells[3];
  sl_error err;
  sl_pgw_msg m;
  int n;
  bytes b;
  const char *names[] = {"id", "name"};
  const uint32_t oids[] = {23, 25};
  sl_pgw_field f[2];
  /* 3 cells: "42", NULL, "" */
  memcpy(row, "\0\3\0\0\0\00242\377\377\377\377\0\0\0\0", 17);
  CHECK(sl_pgw_datarow(row, 16, 3, cells, 1, &err) == SL_OK &&
            cells[0].len == 2 && strcmp(cells[0].p, "42") == 0 &&
            cells[1].len == -1 && cells[2].len == 0 && cells[2].p[0] == '\0',
        "DataRow cells, NUL-terminated");
  memcpy(row, "\0\3\0\0\0\00242\377\377\377\377\0\0\0\0", 17);
  CHECK(sl_pgw_datarow(row, 16, 2, cells, 0, &err) == SL_ERROR,
        "DataRow: count differs");
  memcpy(row,
         "\0\1\0\0\0\x09"
         "42",
         8);
  CHECK(sl_pgw_datarow(row, 8, 1, cells, 0, &err) == SL_ERROR,
        "DataRow: cell longer than the body");
  memcpy(row,
         "\0\1\x80\0\0\0"
         "42",
         8);
  CHECK(sl_pgw_datarow(row, 8, 1, cells, 0, &err) == SL_ERROR,
        "DataRow: negative cell length");
  memcpy(row,
         "\0\1\0\0\0\1"
         "42",
         8);
  CHECK(sl_pgw_datarow(row, 8, 1, cells, 0, &err) == SL_ERROR,
        "DataRow: trailing bytes");
  memset(&b, 0, sizeof b);
  m_rowdesc(&b, 2, names, oids);
  m.type = 'T';
  m.body = b.p + 5;
  m.len = b.n - 5;
  CHECK(sl_pgw_rowdesc(&m, &n, f, 2, &err) == SL_OK && n == 2 &&
            strcmp(f[1].name, "name") == 0 && f[0].type_oid == 23 &&
            f[1].type_oid == 25,
        "RowDescription");
  m.len -= 3;
  CHECK(sl_pgw_rowdesc(&m, &n, f, 2, &err) == SL_ERROR,
        "RowDescription: truncated");
  CHECK(sl_pgw_command_rows("INSERT 0 3", 11) == 3 &&
            sl_pgw_command_rows("UPDATE 12", 10) == 12 &&
            sl_pgw_command_rows("SELECT 5", 9) == 5 &&
            sl_pgw_command_rows("DELETE 0", 9) == 0 &&
            sl_pgw_command_rows("CREATE TABLE", 13) == 0 &&
            sl_pgw_command_rows("MERGE 4", 8) == 4 &&
            sl_pgw_command_rows("INSERT 0", 9) == 0,
        "CommandComplete row counts");
}

/* Garbage after the handshake: each refused with kind connection. */
static void test_garbage(void) {
  static const struct {
    const char *bytes;
    size_t n;
    const char *label;
  } cases[] = {
      {"D\0\0\0\3", 5, "length below 4"},
      {"D\xff\xff\xff\xf0", 5, "negative length"},
      {"D\x7f\xff\xff\xff", 5, "length over 1 GiB"},
      {"Z\0\0\0\5Q", 6, "bad ReadyForQuery status"},
      {"Z\0\0\0\6II", 7, "long ReadyForQuery"},
      {"S\0\0\0\6ab", 7, "ParameterStatus without terminators"},
      {"K\0\0\0\5x", 6, "short BackendKeyData"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sl_pgw *p = started(NULL, SL_PGW_SSL_DISABLE);
    bytes srv;
    sl_error err;
    sl_pgw_msg m;
    int rc;
    memset(&srv, 0, sizeof srv);
    m_auth(&srv, 0, NULL, 0);
    m_ready(&srv, 'I');
    feed_handshake(p, &srv, 0, srv.n, &err);
    rc = sl_pgw_feed(p, cases[i].bytes, cases[i].n, &err);
    if (rc == SL_OK) rc = sl_pgw_next(p, &m, &err);
    check(rc == SL_ERROR && err.kind == SL_EK_CONNECTION && sl_pgw_failed(p),
          cases[i].label, err.message);
    CHECK(sl_pgw_feed(p, "x", 1, &err) == SL_ERROR &&
              sl_pgw_next(p, &m, &err) == SL_ERROR && sl_pgw_want(p) == 0,
          "failed session stays failed");
    sl_pgw_free(p);
  }
  /* garbage during the handshake */
  {
    sl_pgw *p = started(NULL, SL_PGW_SSL_DISABLE);
    sl_error err;
    bytes srv;
    memset(&srv, 0, sizeof srv);
    m_empty(&srv, 'D');
    CHECK(feed_handshake(p, &srv, 0, 2, &err) == SL_ERROR,
          "unexpected message during authentication");
    sl_pgw_free(p);
  }
  /* the want: a header, then exactly the body */
  {
    sl_pgw *p = started(NULL, SL_PGW_SSL_DISABLE);
    sl_error err;
    size_t n;
    sl_pgw_out(p, &n);
    CHECK(sl_pgw_want(p) == 5, "want: a header");
    sl_pgw_feed(p, "R\0\0\0\x0c", 5, &err);
    CHECK(sl_pgw_want(p) == 8, "want: its body");
    sl_pgw_feed(p, "\0\0\0", 3, &err);
    CHECK(sl_pgw_want(p) == 5, "want: the rest of the body");
    sl_pgw_free(p);
  }
}

/* }==================================================================== */

/* {====================================================================
** The driver on canned bytes
** ===================================================================== */

/* Opens a driver connection on a pooled (already open) session. */
static sl_conn *canned_conn(void) {
  sl_connopts o;
  const char *k[] = {"sleet_reused"}, *v[] = {"1"};
  sl_conn *c = NULL;
  sl_error err;
  memset(&o, 0, sizeof o);
  o.user = "alice";
  o.extra_keys = k;
  o.extra_values = v;
  o.nextra = 1;
  if (D->connect(&o, &c, &err) != SL_OK || D->ready(c, &err) != SL_OK) abort();
  return c;
}

/* Steps s, feeding srv in pieces of chunk bytes whenever it waits; rows'
** first cells are appended to got (as text or int). Returns the final
** status (SL_DONE or SL_ERROR). */
static int canned_run(sl_conn *c, sl_stmt *s, const bytes *srv, size_t chunk,
                      char *got, size_t gotsize, sl_error *err) {
  size_t off = 0;
  got[0] = '\0';
  for (;;) {
    int rc = D->step(s, err);
    if (rc == SL_AGAIN) {
      sl_io io;
      size_t n;
      D->io(c, &io);
      if (io.want == 0) return -1;
      n = chunk < io.want ? chunk : io.want;
      if (n > srv->n - off) n = srv->n - off; /* a lookahead past the end */
      if (n == 0) return -2;
      if (D->feed(c, srv->p + off, n, err) != SL_OK) return SL_ERROR;
      off += n;
      continue;
    }
    if (rc == SL_ROW) {
      sl_value v;
      size_t k = strlen(got);
      D->column(s, 0, &v);
      if (v.type == SL_V_INT)
        snprintf(got + k, gotsize - k, "%lld,", (long long)v.u.i);
      else if (v.type == SL_V_TEXT || v.type == SL_V_BLOB)
        snprintf(got + k, gotsize - k, "%.*s,", (int)v.u.s.n, v.u.s.p);
      else if (v.type == SL_V_NULL)
        snprintf(got + k, gotsize - k, "null,");
      continue;
    }
    return rc;
  }
}

static void test_driver_canned(void) {
  bytes srv;
  const char *names[] = {"n", "b"};
  const uint32_t oids[] = {23, 17};
  const char *r1[] = {"1", "\\x6869"}, *r2[] = {"2", NULL},
             *r3[] = {"3", "\\x"};
  const char *e[] = {"S", "ERROR", "C", "22012", "M", "division by zero", NULL};
  size_t chunk;
  memset(&srv, 0, sizeof srv);
  m_empty(&srv, '1');
  m_empty(&srv, '2');
  m_rowdesc(&srv, 2, names, oids);
  m_datarow(&srv, 2, r1);
  m_datarow(&srv, 2, r2);
  m_datarow(&srv, 2, r3);
  m_complete(&srv, "SELECT 3");
  m_ready(&srv, 'I');
  for (chunk = 1; chunk <= 64; chunk = chunk < 8 ? chunk + 1 : chunk * 2) {
    sl_conn *c = canned_conn();
    sl_stmt *s;
    sl_error err;
    char got[256];
    int rc;
    sl_value v;
    D->prepare(c, "select n, b from t", strlen("select n, b from t"), 0, &s,
               &err);
    rc = canned_run(c, s, &srv, chunk, got, sizeof got, &err);
    check(rc == SL_DONE && strcmp(got, "1,2,3,") == 0,
          "driver: rows in every split", got);
    CHECK(D->ncolumns(s) == 2 && strcmp(D->column_name(s, 1), "b") == 0,
          "driver: columns");
    CHECK(D->rows_affected(c, s) == 3, "driver: SELECT 3");
    D->column(s, 0, &v);
    CHECK(v.type == SL_V_NULL, "driver: no row after the end");
    D->finalize(s);
    D->close(c);
  }
  /* bytea cells */
  {
    sl_conn *c = canned_conn();
    sl_stmt *s;
    sl_error err;
    sl_value v;
    sl_io io;
    D->prepare(c, "select n, b from t", strlen("select n, b from t"), 0, &s,
               &err);
    CHECK(D->step(s, &err) == SL_AGAIN, "driver: first step waits");
    D->io(c, &io);
    CHECK(io.outlen > 0 && io.out[0] == 'P' && io.want == 5,
          "driver: Parse first, then a header");
    D->feed(c, srv.p, srv.n, &err);
    CHECK(D->step(s, &err) == SL_ROW, "driver: row");
    D->column(s, 1, &v);
    CHECK(v.type == SL_V_BLOB && v.u.s.n == 2 && memcmp(v.u.s.p, "hi", 2) == 0,
          "driver: bytea hex decoded");
    D->step(s, &err);
    D->column(s, 1, &v);
    CHECK(v.type == SL_V_NULL, "driver: NULL bytea");
    D->step(s, &err);
    D->column(s, 1, &v);
    CHECK(v.type == SL_V_BLOB && v.u.s.n == 0, "driver: empty bytea");
    CHECK(D->step(s, &err) == SL_DONE, "driver: done");
    D->finalize(s);
    D->close(c);
  }
  /* an error after a row */
  memset(&srv, 0, sizeof srv);
  m_empty(&srv, '1');
  m_empty(&srv, '2');
  m_rowdesc(&srv, 1, names, oids);
  m_datarow(&srv, 1, r1);
  m_error(&srv, 'E', e);
  m_ready(&srv, 'I');
  for (chunk = 1; chunk <= 16; chunk *= 2) {
    sl_conn *c = canned_conn();
    sl_stmt *s;
    sl_error err;
    char got[64];
    int rc;
    D->prepare(c, "select 1/0", strlen("select 1/0"), 0, &s, &err);
    rc = canned_run(c, s, &srv, chunk, got, sizeof got, &err);
    check(rc == SL_ERROR && strcmp(got, "1,") == 0 &&
              err.kind == SL_EK_DATABASE &&
              strcmp(err.sqlstate, "22012") == 0 &&
              strcmp(err.message, "division by zero") == 0,
          "driver: error after a row", err.message);
    D->finalize(s);
    D->close(c);
  }
  /* a protocol violation breaks the connection */
  {
    sl_conn *c = canned_conn();
    sl_stmt *s;
    sl_error err;
    char got[64];
    bytes bad;
    memset(&bad, 0, sizeof bad);
    m_empty(&bad, '1');
    m_datarow(&bad, 1, r1); /* no RowDescription */
    int rc;
    D->prepare(c, "select 1", strlen("select 1"), 0, &s, &err);
    rc = canned_run(c, s, &bad, 100, got, sizeof got, &err);
    snprintf(got, sizeof got, "rc %d: %.40s", rc, err.message);
    check(rc == SL_ERROR && err.kind == SL_EK_CONNECTION,
          "driver: DataRow before RowDescription", got);
    CHECK(D->step(s, &err) == SL_ERROR && err.kind == SL_EK_CONNECTION,
          "driver: broken connection stays broken");
    D->finalize(s);
    D->lost(c, "closed");
    CHECK(D->exec(c, "select 1", &err) == SL_ERROR &&
              strstr(err.message, "lost") != NULL,
          "driver: lost");
    D->close(c);
  }
}

/* }==================================================================== */

/* {====================================================================
** A live server over a blocking socket
** ===================================================================== */

typedef struct url {
  char user[64], password[64], host[128], db[64];
  int port;
} url;

/* postgres://user[:password]@host:port/db */
static int parse_url(const char *s, url *u) {
  const char *p = strstr(s, "://"), *at, *colon, *slash;
  memset(u, 0, sizeof *u);
  if (p == NULL) return 0;
  p += 3;
  at = strchr(p, '@');
  if (at == NULL) return 0;
  colon = memchr(p, ':', (size_t)(at - p));
  if (colon != NULL) {
    snprintf(u->user, sizeof u->user, "%.*s", (int)(colon - p), p);
    snprintf(u->password, sizeof u->password, "%.*s", (int)(at - colon - 1),
             colon + 1);
  } else {
    snprintf(u->user, sizeof u->user, "%.*s", (int)(at - p), p);
  }
  p = at + 1;
  colon = strchr(p, ':');
  slash = strchr(p, '/');
  if (colon == NULL || slash == NULL || slash < colon) return 0;
  snprintf(u->host, sizeof u->host, "%.*s", (int)(colon - p), p);
  u->port = atoi(colon + 1);
  snprintf(u->db, sizeof u->db, "%s", slash + 1);
  return 1;
}

typedef struct live {
  int fd;
  sl_conn *c;
  url u;
} live;

static int tcp_connect(const url *u) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  if (fd < 0) return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)u->port);
  if (inet_pton(AF_INET, u->host, &a.sin_addr) != 1 ||
      connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* The host's loop: moves bytes until io() asks for nothing. */
static int pump(live *l) {
  char buf[65536];
  for (;;) {
    sl_io io;
    size_t off = 0;
    sl_error err;
    D->io(l->c, &io);
    if (io.tls) return 0;
    while (off < io.outlen) {
      ssize_t k = send(l->fd, io.out + off, io.outlen - off, 0);
      if (k <= 0) {
        D->lost(l->c, "send failed");
        return 0;
      }
      off += (size_t)k;
    }
    if (io.want == 0) return 1;
    while (io.want > 0) {
      size_t want = io.want < sizeof buf ? io.want : sizeof buf;
      ssize_t k = recv(l->fd, buf, want, 0);
      if (k <= 0) {
        D->lost(l->c, k == 0 ? "closed by the server" : "recv failed");
        return 0;
      }
      if (D->feed(l->c, buf, (size_t)k, &err) != SL_OK) return 0;
      io.want -= (size_t)k;
    }
  }
}

/* Runs expr until it stops asking for I/O. */
#define RUN(l, rc, expr) \
  do { \
    (rc) = (expr); \
    while ((rc) == SL_AGAIN) { \
      pump(l); \
      (rc) = (expr); \
    } \
  } while (0)

static int live_open_as(live *l, const char *urltext, const char *reused,
                        int fd, sl_error *err) {
  sl_connopts o;
  const char *k[] = {"sleet_reused", "application_name"};
  const char *v[] = {"1", "pgwire_test"};
  int rc;
  memset(l, 0, sizeof *l);
  if (!parse_url(urltext, &l->u)) {
    sl_error_set(err, SL_EK_USAGE, "bad URL %s", urltext);
    return SL_ERROR;
  }
  memset(&o, 0, sizeof o);
  o.host = l->u.host;
  o.port = l->u.port;
  o.user = l->u.user;
  o.password = l->u.password[0] ? l->u.password : NULL;
  o.database = l->u.db;
  o.extra_keys = reused ? k : k + 1;
  o.extra_values = reused ? v : v + 1;
  o.nextra = reused ? 2 : 1;
  l->fd = fd >= 0 ? fd : tcp_connect(&l->u);
  if (l->fd < 0) {
    sl_error_set(err, SL_EK_CONNECTION, "cannot reach %s", urltext);
    return SL_ERROR;
  }
  if (D->connect(&o, &l->c, err) != SL_OK) {
    close(l->fd);
    return SL_ERROR;
  }
  RUN(l, rc, D->ready(l->c, err));
  if (rc != SL_OK) {
    D->close(l->c);
    close(l->fd);
    l->c = NULL;
  }
  return rc;
}

static void live_close(live *l) {
  int rc;
  sl_error err;
  if (l->c == NULL) return;
  RUN(l, rc, D->quit(l->c, 0, &err));
  pump(l);
  D->close(l->c);
  close(l->fd);
  l->c = NULL;
}

static int lexec(live *l, const char *sql, sl_error *err) {
  int rc;
  RUN(l, rc, D->exec(l->c, sql, err));
  return rc;
}

/* Runs sql with params; the first column of the first row into *first
** (when not NULL); returns SL_DONE or SL_ERROR; *rows the row count. */
static int lquery(live *l, const char *sql, const sl_value *params, int n,
                  int persistent, sl_stmt **keep, sl_value *first, int *rows,
                  sl_error *err) {
  sl_stmt *s = keep ? *keep : NULL;
  int rc, count = 0;
  if (s == NULL) {
    rc = persistent ? D->prepare_persistent(l->c, sql, strlen(sql), n, &s, err)
                    : D->prepare(l->c, sql, strlen(sql), n, &s, err);
    if (rc != SL_OK) return rc;
  }
  if (D->bind(s, params, n, err) != SL_OK) {
    if (!keep) D->finalize(s);
    return SL_ERROR;
  }
  for (;;) {
    RUN(l, rc, D->step(s, err));
    if (rc != SL_ROW) break;
    if (count++ == 0 && first) {
      D->column(s, 0, first);
      if (first->type == SL_V_TEXT)
        first->u.s.p = strndup(first->u.s.p, first->u.s.n);
    }
  }
  if (rows) *rows = count;
  if (keep) {
    *keep = s;
    D->reset(s, err);
  } else {
    D->finalize(s);
  }
  return rc;
}

static long long lcount(live *l, const char *sql) {
  sl_value v;
  sl_error err;
  v.type = SL_V_NULL;
  if (lquery(l, sql, NULL, 0, 0, NULL, &v, NULL, &err) != SL_DONE ||
      v.type != SL_V_INT)
    return -1;
  return v.u.i;
}

static sl_value vint(long long x) {
  sl_value v;
  v.type = SL_V_INT;
  v.u.i = x;
  return v;
}

static sl_value vtext(const char *s) {
  sl_value v;
  v.type = SL_V_TEXT;
  v.u.s.p = s;
  v.u.s.n = strlen(s);
  return v;
}

static void test_live_basics(live *l) {
  sl_error err;
  sl_stmt *s;
  sl_value params[5], v;
  int rc, rows;
  rc = lexec(l,
             "create temp table pw_t (id serial primary key, name text "
             "unique not null, b bytea, f float8, ok bool, n numeric)",
             &err);
  check(rc == SL_OK, "live: create table", err.message);
  params[0] = vtext("ada");
  params[1].type = SL_V_BLOB;
  params[1].u.s.p = "\0\1\2";
  params[1].u.s.n = 3;
  params[2].type = SL_V_FLOAT;
  params[2].u.f = 0.1;
  params[3].type = SL_V_BOOL;
  params[3].u.b = 1;
  params[4] = vtext("12345678901234567890.5");
  D->prepare(
      l->c, "insert into pw_t (name, b, f, ok, n) values ($1, $2, $3, $4, $5)",
      strlen(
          "insert into pw_t (name, b, f, ok, n) values ($1, $2, $3, $4, $5)"),
      5, &s, &err);
  D->bind(s, params, 5, &err);
  RUN(l, rc, D->step(s, &err));
  check(rc == SL_DONE && D->rows_affected(l->c, s) == 1,
        "live: insert with params", err.message);
  D->finalize(s);
  D->prepare(l->c, "select id, name, b, f, ok, n, null::int from pw_t",
             strlen("select id, name, b, f, ok, n, null::int from pw_t"), 0, &s,
             &err);
  RUN(l, rc, D->step(s, &err));
  check(rc == SL_ROW, "live: select", err.message);
  if (rc == SL_ROW) {
    D->column(s, 0, &v);
    CHECK(v.type == SL_V_INT && v.u.i == 1, "live: serial as int");
    D->column(s, 1, &v);
    CHECK(v.type == SL_V_TEXT && v.u.s.n == 3 && memcmp(v.u.s.p, "ada", 3) == 0,
          "live: text");
    D->column(s, 2, &v);
    CHECK(v.type == SL_V_BLOB && v.u.s.n == 3 &&
              memcmp(v.u.s.p, "\0\1\2", 3) == 0,
          "live: bytea round trip");
    D->column(s, 3, &v);
    CHECK(v.type == SL_V_FLOAT && v.u.f == 0.1, "live: float8 exact");
    D->column(s, 4, &v);
    CHECK(v.type == SL_V_BOOL && v.u.b == 1, "live: bool");
    D->column(s, 5, &v);
    CHECK(v.type == SL_V_TEXT && v.u.s.n == strlen("12345678901234567890.5"),
          "live: numeric as text");
    D->column(s, 6, &v);
    CHECK(v.type == SL_V_NULL, "live: NULL");
    CHECK(strcmp(D->column_name(s, 1), "name") == 0, "live: column name");
  }
  RUN(l, rc, D->step(s, &err));
  CHECK(rc == SL_DONE, "live: one row");
  D->finalize(s);
  /* unique violation */
  params[0] = vtext("ada");
  rc = lquery(l, "insert into pw_t (name) values ($1)", params, 1, 0, NULL,
              NULL, NULL, &err);
  check(rc == SL_ERROR && err.kind == SL_EK_DATABASE &&
            strcmp(err.sqlstate, "23505") == 0 &&
            strcmp(err.constraint_name, "pw_t_name_key") == 0 &&
            strcmp(err.table, "pw_t") == 0 &&
            strstr(err.detail, "already exists") != NULL,
        "live: unique violation with its fields", err.message);
  rc = lquery(l, "insert into pw_t (name) values (null)", NULL, 0, 0, NULL,
              NULL, NULL, &err);
  check(rc == SL_ERROR && strcmp(err.sqlstate, "23502") == 0 &&
            strcmp(err.column, "name") == 0,
        "live: not null violation", err.message);
  rc = lexec(l, "selec 1", &err);
  check(rc == SL_ERROR && strcmp(err.sqlstate, "42601") == 0,
        "live: syntax error in exec", err.message);
  CHECK(lcount(l, "select 41 + 1") == 42, "live: usable after errors");
  /* a wrong parameter count is the server's 08P01, a statement error */
  rc = lquery(l, "select $1::int", NULL, 0, 0, NULL, NULL, NULL, &err);
  check(rc == SL_ERROR && err.kind == SL_EK_DATABASE, "live: 08P01",
        err.message);
  /* exec runs several statements; empty query */
  CHECK(lexec(l, "select 1; select 2;", &err) == SL_OK, "live: multi exec");
  CHECK(lexec(l, "", &err) == SL_OK, "live: empty exec");
  rc = lquery(l, "", NULL, 0, 0, NULL, NULL, &rows, &err);
  CHECK(rc == SL_DONE && rows == 0, "live: empty statement");
  rc = lexec(l, "copy pw_t from stdin", &err);
  check(rc == SL_ERROR && err.kind == SL_EK_USAGE, "live: COPY refused (exec)",
        err.message);
  rc = lquery(l, "copy pw_t to stdout", NULL, 0, 0, NULL, NULL, NULL, &err);
  check(rc == SL_ERROR && err.kind == SL_EK_USAGE, "live: COPY refused",
        err.message);
  rc = lquery(l, "copy pw_t from stdin", NULL, 0, 0, NULL, NULL, NULL, &err);
  check(rc == SL_ERROR && err.kind == SL_EK_USAGE,
        "live: COPY FROM STDIN refused", err.message);
  CHECK(lcount(l, "select count(*) from pw_t") == 1, "live: usable after COPY");
  /* session defaults */
  v.type = SL_V_NULL;
  lquery(l, "select current_setting('TimeZone')", NULL, 0, 0, NULL, &v, NULL,
         &err);
  CHECK(v.type == SL_V_TEXT && strcmp(v.u.s.p, "UTC") == 0,
        "live: session in UTC");
  if (v.type == SL_V_TEXT) free((void *)v.u.s.p);
}

static void test_live_transactions(live *l) {
  sl_error err;
  sl_stmt *st[3];
  sl_value p;
  int rc, bfailed, i;
  const char *names[3] = {"b1", "b2", "b3"};
  CHECK(!D->in_transaction(l->c), "live: idle");
  RUN(l, rc, D->begin(l->c, NULL, &err));
  CHECK(rc == SL_OK && D->in_transaction(l->c), "live: begin");
  lexec(l, "insert into pw_t (name) values ('tx')", &err);
  RUN(l, rc, D->savepoint(l->c, "sp 1", &err));
  lexec(l, "insert into pw_t (name) values ('tx2')", &err);
  RUN(l, rc, D->rollback_to(l->c, "sp 1", &err));
  RUN(l, rc, D->release(l->c, "sp 1", &err));
  CHECK(lcount(l, "select count(*) from pw_t") == 2, "live: savepoint");
  RUN(l, rc, D->rollback(l->c, &err));
  CHECK(rc == SL_OK && !D->in_transaction(l->c) &&
            lcount(l, "select count(*) from pw_t") == 1,
        "live: rollback");
  RUN(l, rc, D->begin(l->c, NULL, &err));
  lexec(l, "select 1/0", &err);
  CHECK(D->in_transaction(l->c), "live: failed transaction is open");
  RUN(l, rc, D->commit(l->c, &err));
  CHECK(!D->in_transaction(l->c), "live: commit of a failed transaction");
  /* batch: all or nothing, outside and inside a transaction */
  for (i = 0; i < 2; i++) {
    int j;
    if (i == 1) RUN(l, rc, D->begin(l->c, NULL, &err));
    for (j = 0; j < 3; j++) {
      D->prepare_persistent(l->c, "insert into pw_t (name) values ($1)",
                            strlen("insert into pw_t (name) values ($1)"), 1,
                            &st[j], &err);
      p = vtext(names[j]);
      D->bind(st[j], &p, 1, &err);
    }
    RUN(l, rc, D->batch(l->c, st, 3, &bfailed, &err));
    check(rc == SL_OK && bfailed == -1, "live: batch", err.message);
    for (j = 0; j < 3; j++) {
      RUN(l, rc, D->step(st[j], &err));
      CHECK(rc == SL_DONE && D->rows_affected(l->c, st[j]) == 1,
            "live: batch results");
      D->reset(st[j], &err);
    }
    CHECK(lcount(l, "select count(*) from pw_t where name like 'b_'") == 3,
          "live: batch rows");
    lexec(l, "delete from pw_t where name like 'b_'", &err);
    /* the second one fails: none remain */
    for (j = 0; j < 3; j++) {
      p = vtext(j == 1 ? "ada" : names[j]);
      D->bind(st[j], &p, 1, &err);
    }
    RUN(l, rc, D->batch(l->c, st, 3, &bfailed, &err));
    check(rc == SL_ERROR && bfailed == 1 && strcmp(err.sqlstate, "23505") == 0,
          "live: failing batch", err.message);
    CHECK(lcount(l, "select count(*) from pw_t where name like 'b_'") == 0,
          "live: failing batch left nothing");
    if (i == 1) {
      CHECK(D->in_transaction(l->c) &&
                lcount(l, "select count(*) from pw_t") == 1,
            "live: transaction usable after a failing batch");
      RUN(l, rc, D->commit(l->c, &err));
      CHECK(rc == SL_OK, "live: commit after batch");
    }
    for (j = 0; j < 3; j++)
      D->finalize(st[j]);
  }
}

static void test_live_statements(live *l) {
  sl_error err;
  sl_stmt *s = NULL, *s2;
  sl_value p, v;
  int rc, i, rows;
  /* a persistent statement, reused */
  for (i = 0; i < 3; i++) {
    p = vint(i);
    v.type = SL_V_NULL;
    rc = lquery(l, "select $1::int + 1", &p, 1, 1, &s, &v, NULL, &err);
    CHECK(rc == SL_DONE && v.type == SL_V_INT && v.u.i == i + 1,
          "live: persistent statement runs");
  }
  CHECK(lcount(l, "select count(*) from pg_prepared_statements") == 1,
        "live: one server-side statement for three runs");
  /* the server lost it (DEALLOCATE ALL): parsed again */
  lexec(l, "deallocate all", &err);
  p = vint(5);
  rc = lquery(l, "select $1::int + 1", &p, 1, 1, &s, &v, NULL, &err);
  check(rc == SL_DONE && v.u.i == 6, "live: statement prepared again",
        err.message);
  D->finalize(s);
  CHECK(lcount(l, "select count(*) from pg_prepared_statements") == 0,
        "live: finalize closes it");
  /* streaming 100k rows */
  D->prepare(
      l->c, "select g, repeat('x', 100) from generate_series(1, 100000) g",
      strlen("select g, repeat('x', 100) from generate_series(1, 100000) g"), 0,
      &s, &err);
  {
    long long sum = 0;
    rows = 0;
    for (;;) {
      RUN(l, rc, D->step(s, &err));
      if (rc != SL_ROW) break;
      D->column(s, 0, &v);
      sum += v.u.i;
      rows++;
    }
    check(rc == SL_DONE && rows == 100000 && sum == 5000050000LL,
          "live: 100k rows streamed", err.message);
  }
  D->finalize(s);
  /* an iterator interleaved with other statements keeps its rows */
  D->prepare(l->c, "select g from generate_series(1, 1000) g",
             strlen("select g from generate_series(1, 1000) g"), 0, &s, &err);
  for (i = 0; i < 10; i++)
    RUN(l, rc, D->step(s, &err));
  CHECK(lcount(l, "select 7") == 7, "live: statement while iterating");
  D->prepare(l->c, "select g from generate_series(1, 5) g",
             strlen("select g from generate_series(1, 5) g"), 0, &s2, &err);
  RUN(l, rc, D->step(s2, &err));
  CHECK(lcount(l, "select 8") == 8, "live: third statement meanwhile");
  rows = 10;
  for (;;) {
    RUN(l, rc, D->step(s, &err));
    if (rc != SL_ROW) break;
    D->column(s, 0, &v);
    if (v.u.i != ++rows) break;
  }
  check(rc == SL_DONE && rows == 1000, "live: iterator resumed in order",
        err.message);
  rows = 1;
  for (;;) {
    RUN(l, rc, D->step(s2, &err));
    if (rc != SL_ROW) break;
    rows++;
  }
  CHECK(rc == SL_DONE && rows == 5, "live: second iterator resumed");
  D->finalize(s2);
  /* a result abandoned halfway */
  D->reset(s, &err);
  for (i = 0; i < 3; i++)
    RUN(l, rc, D->step(s, &err));
  D->reset(s, &err);
  CHECK(lcount(l, "select 9") == 9, "live: after an abandoned result");
  D->finalize(s);
  D->prepare_persistent(l->c, "select g from generate_series(1, 100) g",
                        strlen("select g from generate_series(1, 100) g"), 0,
                        &s, &err);
  RUN(l, rc, D->step(s, &err));
  D->finalize(s);
  CHECK(lcount(l, "select count(*) from pg_prepared_statements") == 0,
        "live: finalized mid-result, closed");
}

static void test_live_reuse(const char *urltext) {
  live l, l2;
  sl_error err;
  sl_stmt *s = NULL;
  sl_value v;
  int rc, fd;
  if (live_open_as(&l, urltext, NULL, -1, &err) != SL_OK) {
    check(0, "live: open for reuse", err.message);
    return;
  }
  lquery(&l, "select 1", NULL, 0, 1, &s, NULL, NULL, &err);
  RUN(&l, rc, D->begin(l.c, NULL, &err));
  lexec(&l, "set application_name = 'changed'", &err);
  RUN(&l, rc, D->quit(l.c, 1, &err));
  check(rc == SL_OK && !D->in_transaction(l.c), "live: session reset",
        err.message);
  D->finalize(s);
  fd = l.fd;
  D->close(l.c);
  if (live_open_as(&l2, urltext, "1", fd, &err) != SL_OK) {
    check(0, "live: reused session", err.message);
    return;
  }
  CHECK(lcount(&l2, "select count(*) from pg_prepared_statements") == 0,
        "live: no statement survives the reset");
  v.type = SL_V_NULL;
  lquery(&l2, "select current_setting('application_name')", NULL, 0, 0, NULL,
         &v, NULL, &err);
  CHECK(v.type == SL_V_TEXT && strcmp(v.u.s.p, "pgwire_test") == 0,
        "live: settings back to the session's defaults");
  if (v.type == SL_V_TEXT) free((void *)v.u.s.p);
  live_close(&l2);
}

static void test_live_terminated(const char *urltext) {
  live l, killer;
  sl_error err;
  sl_value v;
  int rc;
  char sql[128];
  if (live_open_as(&l, urltext, NULL, -1, &err) != SL_OK ||
      live_open_as(&killer, urltext, NULL, -1, &err) != SL_OK) {
    check(0, "live: open two", err.message);
    return;
  }
  v.type = SL_V_NULL;
  lquery(&l, "select pg_backend_pid()", NULL, 0, 0, NULL, &v, NULL, &err);
  snprintf(sql, sizeof sql, "select pg_terminate_backend(%lld)",
           (long long)v.u.i);
  lexec(&killer, sql, &err);
  {
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);
  }
  rc = lexec(&l, "select 1", &err);
  check(rc == SL_ERROR && err.kind == SL_EK_CONNECTION,
        "live: terminated backend → connection error", err.message);
  rc = lexec(&l, "select 1", &err);
  CHECK(rc == SL_ERROR && err.kind == SL_EK_CONNECTION, "live: and stays lost");
  D->close(l.c);
  close(l.fd);
  live_close(&killer);
}

static void test_live_auth(void) {
  static const char *const vars[] = {"SLEET_TEST_PG_MD5_URL",
                                     "SLEET_TEST_PG_SCRAM_URL",
                                     "SLEET_TEST_PG_PASSWORD_URL", NULL};
  int i;
  for (i = 0; vars[i] != NULL; i++) {
    const char *u = getenv(vars[i]);
    live l;
    sl_error err;
    char bad[256], *pw;
    if (u == NULL || *u == '\0') {
      skipped++;
      continue;
    }
    if (live_open_as(&l, u, NULL, -1, &err) != SL_OK) {
      check(0, vars[i], err.message);
      continue;
    }
    check(lcount(&l, "select 5") == 5, vars[i], "query after auth");
    live_close(&l);
    /* a wrong password */
    snprintf(bad, sizeof bad, "%s", u);
    pw = strstr(bad, ":sleet-pw@");
    if (pw != NULL) {
      memcpy(pw + 1, "wrong-pw", 8);
      if (live_open_as(&l, bad, NULL, -1, &err) == SL_OK) {
        check(0, "live: wrong password accepted", vars[i]);
        live_close(&l);
      } else {
        check(err.kind == SL_EK_CONNECTION &&
                  strstr(err.message, "password authentication failed for "
                                      "user") != NULL,
              "live: wrong password refused", err.message);
      }
    }
  }
}

static void test_live(void) {
  const char *urltext = getenv("SLEET_TEST_PG_URL");
  live l;
  sl_error err;
  if (urltext == NULL || *urltext == '\0') {
    skipped++;
    printf("live tests skipped (SLEET_TEST_PG_URL unset)\n");
    return;
  }
  if (live_open_as(&l, urltext, NULL, -1, &err) != SL_OK) {
    check(0, "live: connect", err.message);
    return;
  }
  test_live_basics(&l);
  test_live_transactions(&l);
  test_live_statements(&l);
  live_close(&l);
  test_live_reuse(urltext);
  test_live_terminated(urltext);
  test_live_auth();
}

/* }==================================================================== */

int main(void) {
  test_md5();
  test_scram_vector();
  test_trust();
  test_md5_handshake();
  test_scram_handshake();
  test_ssl();
  test_errors();
  test_decoders();
  test_garbage();
  test_driver_canned();
  test_live();
  if (skipped > 0)
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  else
    printf("%d passed, %d failed\n", passed, failed);
  return failed > 0;
}
