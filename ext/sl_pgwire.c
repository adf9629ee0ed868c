/*
** sl_pgwire.c — the PostgreSQL protocol 3.0 engine (see sl_pgwire.h): framing,
** the startup and authentication handshake, encoders and decoders. No
** sockets and no Lua: bytes come in through sl_pgw_feed() and leave through
** sl_pgw_out().
**
** The input is one buffer holding the unconsumed bytes: a message is
** returned in place (its body borrowed until the next feed or next), and
** the buffer is compacted at the next feed, so it holds about one message
** at a time; a buffer grown by a large message is given back afterwards.
*/
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sl_pgwire.h"

/* Protocol 3.0, and the SSLRequest code. */
#define PROTOCOL_3_0 196608
#define SSL_REQUEST_CODE 80877103
/* ParameterStatus values kept (servers send about fifteen). */
#define MAX_KEPT_PARAMS 64
/* A buffer grown past this is shrunk once it is mostly empty again. */
#define IN_KEEP ((size_t)64 * 1024)
/* PBKDF2 rounds a server may ask for: PostgreSQL's default is 4096; a
** hostile server must not make the client spin for minutes. */
#define SCRAM_MAX_ITERATIONS 10000000L

enum {
  PH_NEW,   /* nothing queued */
  PH_SSL,   /* SSLRequest sent, awaiting 'S' or 'N' */
  PH_TLS,   /* 'S' received: the host starts TLS, then the startup */
  PH_AUTH,  /* StartupMessage sent, until ReadyForQuery */
  PH_READY, /* the session is open */
  PH_FAILED /* unusable */
};

struct sl_pgw {
  sl_buf out;
  int out_handed; /* out was given to the host: cleared at the next queue */
  int out_toolong;
  char *in;
  size_t inlen, incap, inpos;
  int lookahead;
  int phase;
  int tls_now; /* sl_pgw_tls() answers 1 once */
  char txstatus;
  /* the handshake */
  sl_buf startup; /* the StartupMessage, kept while TLS is negotiated */
  char *user, *password, *where;
  sl_pgw_ssl ssl;
  int sasl; /* 1: SCRAM started, 2: server verified */
  sl_pgw_scram scram;
  /* ParameterStatus, BackendKeyData */
  char *pnames[MAX_KEPT_PARAMS], *pvalues[MAX_KEPT_PARAMS];
  int nkept;
  uint32_t pid, secret;
  int haskey;
};

/* {====================================================================
** Helpers
** ===================================================================== */

static uint32_t get32(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 |
         (uint32_t)u[3];
}

static int get16(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (int)(int16_t)(uint16_t)((unsigned)u[0] << 8 | (unsigned)u[1]);
}

static void put32(sl_buf *b, uint32_t x) {
  char c[4];
  c[0] = (char)(x >> 24 & 0xff);
  c[1] = (char)(x >> 16 & 0xff);
  c[2] = (char)(x >> 8 & 0xff);
  c[3] = (char)(x & 0xff);
  sl_buf_add(b, c, 4);
}

static void put16(sl_buf *b, int x) {
  char c[2];
  unsigned u = (unsigned)(uint16_t)(int16_t)x;
  c[0] = (char)(u >> 8 & 0xff);
  c[1] = (char)(u & 0xff);
  sl_buf_add(b, c, 2);
}

/* A NUL-terminated string with its NUL. */
static void putstr(sl_buf *b, const char *s) {
  sl_buf_add(b, s, strlen(s) + 1);
}

static char *dupstr(const char *s) {
  size_t n;
  char *d;
  if (s == NULL) return NULL;
  n = strlen(s) + 1;
  d = malloc(n);
  if (d != NULL) memcpy(d, s, n);
  return d;
}

/* Zeroes then frees a secret. */
static void free_secret(char *s) {
  if (s == NULL) return;
  OPENSSL_cleanse(s, strlen(s));
  free(s);
}

/* Copies the first line of src (no trailing blanks) into dst. */
static void first_line(char *dst, size_t size, const char *src) {
  size_t n = 0;
  if (size == 0) return;
  while (src[n] != '\0' && src[n] != '\n' && src[n] != '\r')
    n++;
  while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\t'))
    n--;
  if (n >= size) n = size - 1;
  if (n > 0) memcpy(dst, src, n);
  dst[n] = '\0';
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(sl_buf *b, const unsigned char *src, size_t n) {
  size_t i;
  for (i = 0; i + 2 < n; i += 3) {
    uint32_t v =
        (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
    sl_buf_addc(b, b64chars[v >> 18 & 63]);
    sl_buf_addc(b, b64chars[v >> 12 & 63]);
    sl_buf_addc(b, b64chars[v >> 6 & 63]);
    sl_buf_addc(b, b64chars[v & 63]);
  }
  if (i < n) {
    uint32_t v = (uint32_t)src[i] << 16;
    if (i + 1 < n) v |= (uint32_t)src[i + 1] << 8;
    sl_buf_addc(b, b64chars[v >> 18 & 63]);
    sl_buf_addc(b, b64chars[v >> 12 & 63]);
    sl_buf_addc(b, i + 1 < n ? b64chars[v >> 6 & 63] : '=');
    sl_buf_addc(b, '=');
  }
}

static int b64_value(char c) {
  const char *p;
  if (c == '\0') return -1;
  p = strchr(b64chars, c);
  return p ? (int)(p - b64chars) : -1;
}

/* Decodes n characters of padded base64 into dst (room for cap bytes).
** Returns the length, or -1 when malformed or too long. */
static long b64_decode(const char *src, size_t n, unsigned char *dst,
                       size_t cap) {
  size_t i, o = 0;
  if (n % 4 != 0) return -1;
  for (i = 0; i < n; i += 4) {
    int v[4], pad = 0;
    size_t k;
    for (k = 0; k < 4; k++) {
      if (src[i + k] == '=' && i + 4 == n && k >= 2) {
        v[k] = 0;
        pad++;
      } else {
        if (pad) return -1; /* data after padding */
        v[k] = b64_value(src[i + k]);
        if (v[k] < 0) return -1;
      }
    }
    if (o + 3 - (size_t)pad > cap) return -1;
    dst[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
    if (pad < 2) dst[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
    if (pad < 1) dst[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
  }
  return (long)o;
}

/* }==================================================================== */

/* {====================================================================
** Sessions
** ===================================================================== */

sl_pgw *sl_pgw_new(void) {
  sl_pgw *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  sl_buf_init(&p->out);
  sl_buf_init(&p->startup);
  p->txstatus = SL_PGW_IDLE;
  p->phase = PH_NEW;
  return p;
}

void sl_pgw_free(sl_pgw *p) {
  int i;
  if (p == NULL) return;
  sl_buf_free(&p->out);
  if (p->startup.p != NULL) OPENSSL_cleanse(p->startup.p, p->startup.n);
  sl_buf_free(&p->startup);
  free(p->in);
  free(p->user);
  free_secret(p->password);
  free(p->where);
  for (i = 0; i < p->nkept; i++) {
    free(p->pnames[i]);
    free(p->pvalues[i]);
  }
  OPENSSL_cleanse(&p->scram, sizeof p->scram);
  free(p);
}

/* Marks the session failed; returns SL_ERROR with kind connection and the
** message "<where><fmt ...>". The arguments must not point into err. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(sl_pgw *p, sl_error *err, const char *fmt, ...) {
  va_list ap;
  size_t n;
  p->phase = PH_FAILED;
  sl_error_clear(err);
  err->kind = SL_EK_CONNECTION;
  snprintf(err->message, sizeof err->message, "%s", p->where ? p->where : "");
  n = strlen(err->message);
  va_start(ap, fmt);
  vsnprintf(err->message + n, sizeof err->message - n, fmt, ap);
  va_end(ap);
  return SL_ERROR;
}

/* A protocol violation after the handshake (no "where" prefix). */
static int broken(sl_pgw *p, sl_error *err, const char *what) {
  p->phase = PH_FAILED;
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost: protocol "
                      "violation: %s",
                      what);
}

static int closed(sl_error *err) {
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost; close it and "
                      "connect again");
}

int sl_pgw_ready(const sl_pgw *p) {
  return p->phase == PH_READY;
}

int sl_pgw_failed(const sl_pgw *p) {
  return p->phase == PH_FAILED;
}

void sl_pgw_fail(sl_pgw *p) {
  p->phase = PH_FAILED;
}

char sl_pgw_txstatus(const sl_pgw *p) {
  return p->txstatus;
}

void sl_pgw_set_txstatus(sl_pgw *p, char status) {
  p->txstatus = status;
}

void sl_pgw_resume(sl_pgw *p) {
  p->phase = PH_READY;
  p->txstatus = SL_PGW_IDLE;
}

const char *sl_pgw_parameter(const sl_pgw *p, const char *name) {
  int i;
  for (i = 0; i < p->nkept; i++)
    if (strcmp(p->pnames[i], name) == 0) return p->pvalues[i];
  return NULL;
}

int sl_pgw_backend_key(const sl_pgw *p, uint32_t *pid, uint32_t *secret) {
  *pid = p->pid;
  *secret = p->secret;
  return p->haskey;
}

/* Starts a message of type (0: none, the startup packets) in out and
** returns where its length goes. */
static size_t msg_begin(sl_pgw *p, char type) {
  size_t at;
  if (p->out_handed) {
    int oom = p->out.oom;
    sl_buf_reset(&p->out);
    p->out.oom = oom;
    p->out_handed = 0;
  }
  if (type != 0) sl_buf_addc(&p->out, type);
  at = p->out.n;
  put32(&p->out, 0);
  return at;
}

static void msg_end(sl_pgw *p, size_t at) {
  size_t len;
  if (p->out.oom) return;
  len = p->out.n - at;
  if (len > SL_PGW_MAX_MESSAGE) {
    p->out_toolong = 1;
    return;
  }
  p->out.p[at] = (char)(len >> 24 & 0xff);
  p->out.p[at + 1] = (char)(len >> 16 & 0xff);
  p->out.p[at + 2] = (char)(len >> 8 & 0xff);
  p->out.p[at + 3] = (char)(len & 0xff);
}

/* Queues the StartupMessage kept in p->startup (it has no type byte). */
static void queue_startup(sl_pgw *p) {
  msg_begin(p, 0);
  p->out.n -= 4; /* the length is part of the kept message */
  sl_buf_add(&p->out, p->startup.p, p->startup.n);
  p->phase = PH_AUTH;
}

int sl_pgw_start(sl_pgw *p, const sl_pgw_startopts *o, sl_error *err) {
  sl_buf *b = &p->startup;
  int i;
  if (o->user == NULL || *o->user == '\0')
    return sl_error_set(err, SL_EK_USAGE,
                        "PostgreSQL needs a user name to connect");
  free(p->user);
  free_secret(p->password);
  free(p->where);
  p->user = dupstr(o->user);
  p->password = dupstr(o->password);
  p->where = dupstr(o->where ? o->where : "");
  p->ssl = o->ssl;
  sl_buf_reset(b);
  put32(b, 0);
  put32(b, PROTOCOL_3_0);
  putstr(b, "user");
  putstr(b, o->user);
  if (o->database != NULL && *o->database != '\0') {
    putstr(b, "database");
    putstr(b, o->database);
  }
  for (i = 0; i < o->nparams; i++) {
    if (o->keys[i] == NULL || *o->keys[i] == '\0')
      return sl_error_set(err, SL_EK_USAGE, "startup parameter %d has no name",
                          i + 1);
    if (o->values[i] == NULL) continue;
    putstr(b, o->keys[i]);
    putstr(b, o->values[i]);
  }
  sl_buf_addc(b, '\0');
  if (b->oom || p->user == NULL || p->where == NULL ||
      (o->password != NULL && p->password == NULL))
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  if (b->n > 10000)
    return sl_error_set(err, SL_EK_USAGE,
                        "PostgreSQL startup parameters are too long");
  b->p[0] = (char)(b->n >> 24 & 0xff);
  b->p[1] = (char)(b->n >> 16 & 0xff);
  b->p[2] = (char)(b->n >> 8 & 0xff);
  b->p[3] = (char)(b->n & 0xff);
  if (o->ssl != SL_PGW_SSL_DISABLE) {
    size_t at = msg_begin(p, 0);
    put32(&p->out, SSL_REQUEST_CODE);
    msg_end(p, at);
    p->phase = PH_SSL;
  } else {
    queue_startup(p);
  }
  return sl_pgw_queued(p, err);
}

int sl_pgw_tls(sl_pgw *p) {
  if (!p->tls_now) return 0;
  p->tls_now = 0;
  queue_startup(p);
  return 1;
}

/* }==================================================================== */

/* {====================================================================
** Input
** ===================================================================== */

const char *sl_pgw_out(sl_pgw *p, size_t *len) {
  if (p->out_handed || p->out.n == 0 || p->out.oom) {
    *len = 0;
    return NULL;
  }
  p->out_handed = 1;
  *len = p->out.n;
  return p->out.p;
}

void sl_pgw_lookahead(sl_pgw *p, int on) {
  p->lookahead = on;
}

/* Types after which the server always sends another message while a Sync
** or Query is outstanding. */
static int followed(char type) {
  return strchr("DT123ntCIs", type) != NULL && type != '\0';
}

size_t sl_pgw_want(const sl_pgw *p) {
  size_t u = p->inlen - p->inpos, total;
  uint32_t len;
  if (p->phase == PH_FAILED || p->phase == PH_NEW || p->phase == PH_TLS ||
      p->tls_now)
    return 0;
  if (p->phase == PH_SSL) return u >= 1 ? 0 : 1;
  if (u < 5) return 5 - u;
  len = get32(p->in + p->inpos + 1);
  if (len < 4 || (size_t)len - 4 > SL_PGW_MAX_MESSAGE) return 0;
  total = 1 + (size_t)len;
  if (u >= total) return 0;
  return total - u + (p->lookahead && followed(p->in[p->inpos]) ? 5 : 0);
}

/* Checks the header at the start of the unconsumed input, if complete. */
static int check_header(sl_pgw *p, sl_error *err) {
  uint32_t len;
  char what[80];
  if (p->phase == PH_SSL || p->inlen - p->inpos < 5) return SL_OK;
  len = get32(p->in + p->inpos + 1);
  if (len < 4 || (size_t)len - 4 > SL_PGW_MAX_MESSAGE) {
    snprintf(what, sizeof what, "message '%c' of length %lu",
             p->in[p->inpos] >= 32 && p->in[p->inpos] < 127 ? p->in[p->inpos]
                                                            : '?',
             (unsigned long)len);
    return broken(p, err, what);
  }
  return SL_OK;
}

int sl_pgw_feed(sl_pgw *p, const char *data, size_t len, sl_error *err) {
  size_t keep;
  if (p->phase == PH_FAILED) return closed(err);
  if (len == 0) return SL_OK;
  keep = p->inlen - p->inpos;
  if (p->inpos > 0) {
    if (keep > 0) memmove(p->in, p->in + p->inpos, keep);
    p->inlen = keep;
    p->inpos = 0;
  }
  if (len > SIZE_MAX - keep) return broken(p, err, "input too long");
  if (keep + len > p->incap ||
      (p->incap > IN_KEEP && keep + len < p->incap / 4)) {
    size_t need = keep + len, cap = need;
    char *q;
    /* grow geometrically (a body fed in pieces stays linear); shrink
    ** once a large message is gone */
    if (need > p->incap && p->incap / 2 < SIZE_MAX - p->incap &&
        need < p->incap + p->incap / 2)
      cap = p->incap + p->incap / 2;
    if (cap < 256) cap = 256;
    q = realloc(p->in, cap);
    if (q == NULL) {
      sl_error_clear(err);
      p->phase = PH_FAILED;
      return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
    }
    p->in = q;
    p->incap = cap;
  }
  memcpy(p->in + p->inlen, data, len);
  p->inlen += len;
  return check_header(p, err);
}

static void keep_parameter(sl_pgw *p, const char *name, const char *value) {
  int i;
  char *v;
  for (i = 0; i < p->nkept; i++)
    if (strcmp(p->pnames[i], name) == 0) break;
  if (i == MAX_KEPT_PARAMS) return;
  v = dupstr(value);
  if (v == NULL) return;
  if (i < p->nkept) {
    free(p->pvalues[i]);
    p->pvalues[i] = v;
    return;
  }
  p->pnames[i] = dupstr(name);
  if (p->pnames[i] == NULL) {
    free(v);
    return;
  }
  p->pvalues[i] = v;
  p->nkept++;
}

int sl_pgw_next(sl_pgw *p, sl_pgw_msg *m, sl_error *err) {
  for (;;) {
    size_t u = p->inlen - p->inpos;
    uint32_t len;
    const char *body;
    if (p->phase == PH_FAILED) return closed(err);
    if (u < 5) return SL_AGAIN;
    if (check_header(p, err) != SL_OK) return SL_ERROR;
    len = get32(p->in + p->inpos + 1);
    if (u < 1 + (size_t)len) return SL_AGAIN;
    m->type = p->in[p->inpos];
    m->body = body = p->in + p->inpos + 5;
    m->len = (size_t)len - 4;
    p->inpos += 1 + (size_t)len;
    switch (m->type) {
    case 'S': { /* ParameterStatus: name, value */
      const char *end = body + m->len, *v;
      const char *z = memchr(body, '\0', m->len);
      if (z == NULL || (v = z + 1) >= end ||
          memchr(v, '\0', (size_t)(end - v)) == NULL)
        return broken(p, err, "malformed ParameterStatus");
      keep_parameter(p, body, v);
      continue;
    }
    case 'K': /* BackendKeyData */
      if (m->len != 8) return broken(p, err, "malformed BackendKeyData");
      p->pid = get32(body);
      p->secret = get32(body + 4);
      p->haskey = 1;
      continue;
    case 'N': /* NoticeResponse: not errors (libpq's receiver drops them) */
    case 'A': /* NotificationResponse: sleet has no LISTEN API */
      continue;
    case 'Z':
      if (m->len != 1 || (body[0] != 'I' && body[0] != 'T' && body[0] != 'E'))
        return broken(p, err, "malformed ReadyForQuery");
      p->txstatus = body[0];
      return SL_OK;
    default:
      return SL_OK;
    }
  }
}

/* }==================================================================== */

/* {====================================================================
** Handshake
** ===================================================================== */

/* The PasswordMessage family ('p'): data as is. */
static void queue_password(sl_pgw *p, const char *data, size_t n) {
  size_t at = msg_begin(p, 'p');
  sl_buf_add(&p->out, data, n);
  msg_end(p, at);
}

static int auth_request(sl_pgw *p, const sl_pgw_msg *m, sl_error *err) {
  uint32_t code;
  if (m->len < 4) return fail(p, err, "%s", "malformed authentication request");
  code = get32(m->body);
  switch (code) {
  case 0: /* AuthenticationOk */
    if (p->sasl == 1)
      return fail(p, err, "%s",
                  "server accepted the session before proving it knew the "
                  "password (SCRAM)");
    return SL_OK;
  case 3: /* cleartext */
    if (p->password == NULL)
      return fail(p, err, "%s", "fe_sendauth: no password supplied");
    queue_password(p, p->password, strlen(p->password) + 1);
    return sl_pgw_queued(p, err);
  case 5: { /* md5 */
    char hash[36];
    if (m->len != 8) return fail(p, err, "%s", "malformed MD5 request");
    if (p->password == NULL)
      return fail(p, err, "%s", "fe_sendauth: no password supplied");
    sl_pgw_md5_password(p->user, p->password,
                        (const unsigned char *)m->body + 4, hash);
    if (hash[0] == '\0') return fail(p, err, "%s", "MD5 is not available");
    queue_password(p, hash, sizeof hash);
    return sl_pgw_queued(p, err);
  }
  case 10: { /* SASL: mechanism names, then "" */
    const char *q = m->body + 4, *end = m->body + m->len;
    int found = 0;
    sl_buf first;
    size_t at;
    while (q < end && *q != '\0') {
      const char *z = memchr(q, '\0', (size_t)(end - q));
      if (z == NULL) return fail(p, err, "%s", "malformed SASL request");
      if (strcmp(q, "SCRAM-SHA-256") == 0) found = 1;
      q = z + 1;
    }
    if (!found)
      return fail(p, err, "%s",
                  "none of the server's SASL authentication mechanisms are "
                  "supported");
    if (p->password == NULL)
      return fail(p, err, "%s", "fe_sendauth: no password supplied");
    if (p->sasl != 0) return fail(p, err, "%s", "SASL requested twice");
    sl_buf_init(&first);
    if (sl_pgw_scram_first(&p->scram, "", NULL, &first, err) != SL_OK) {
      sl_buf_free(&first);
      p->phase = PH_FAILED;
      return SL_ERROR;
    }
    p->sasl = 1;
    at = msg_begin(p, 'p');
    putstr(&p->out, "SCRAM-SHA-256");
    put32(&p->out, (uint32_t)first.n);
    sl_buf_add(&p->out, first.p, first.n);
    msg_end(p, at);
    sl_buf_free(&first);
    return sl_pgw_queued(p, err);
  }
  case 11: { /* SASLContinue */
    sl_buf final;
    int rc;
    if (p->sasl != 1 || p->scram.state != 1)
      return fail(p, err, "%s", "unexpected SASLContinue");
    sl_buf_init(&final);
    rc = sl_pgw_scram_final(&p->scram, p->password, m->body + 4, m->len - 4,
                            &final, err);
    if (rc == SL_OK) {
      queue_password(p, final.p, final.n);
      rc = sl_pgw_queued(p, err);
    }
    if (final.p != NULL) OPENSSL_cleanse(final.p, final.n);
    sl_buf_free(&final);
    if (rc != SL_OK) {
      char msg[sizeof err->message];
      snprintf(msg, sizeof msg, "%s", err->message);
      return fail(p, err, "%s", msg);
    }
    return SL_OK;
  }
  case 12: /* SASLFinal */
    if (p->sasl != 1 ||
        sl_pgw_scram_verify(&p->scram, m->body + 4, m->len - 4, err) != SL_OK) {
      char msg[sizeof err->message];
      snprintf(msg, sizeof msg, "%s",
               p->sasl == 1 ? err->message : "unexpected SASLFinal");
      return fail(p, err, "%s", msg);
    }
    p->sasl = 2;
    return SL_OK;
  default: {
    return fail(p, err, "authentication method %lu not supported",
                (unsigned long)code);
  }
  }
}

int sl_pgw_handshake(sl_pgw *p, sl_error *err) {
  sl_pgw_msg m;
  int rc;
  switch (p->phase) {
  case PH_READY:
    return SL_OK;
  case PH_FAILED:
    return closed(err);
  case PH_NEW:
    return sl_error_set(err, SL_EK_USAGE, "the session was not started");
  case PH_TLS:
    return SL_AGAIN;
  case PH_SSL: {
    char c;
    if (p->inlen == p->inpos) return SL_AGAIN;
    c = p->in[p->inpos++];
    if (c == 'S') {
      p->phase = PH_TLS;
      p->tls_now = 1;
      return SL_AGAIN;
    }
    if (c == 'N' && p->ssl != SL_PGW_SSL_REQUIRE) {
      queue_startup(p);
      if (sl_pgw_queued(p, err) != SL_OK) return SL_ERROR;
      return SL_AGAIN;
    }
    if (c == 'N')
      return fail(p, err, "%s",
                  "server does not support SSL, but SSL was required");
    return fail(p, err, "%s", "received invalid response to SSL negotiation");
  }
  default:
    break;
  }
  for (;;) {
    rc = sl_pgw_next(p, &m, err);
    if (rc == SL_AGAIN) return SL_AGAIN;
    if (rc != SL_OK) {
      char msg[sizeof err->message];
      snprintf(msg, sizeof msg, "%s", err->message);
      return fail(p, err, "%s", msg);
    }
    switch (m.type) {
    case 'R':
      if (auth_request(p, &m, err) != SL_OK) return SL_ERROR;
      break;
    case 'E': {
      sl_pgw_notice n;
      char line[400], sqlstate[6];
      if (sl_pgw_notice_fields(&m, &n, err) != SL_OK)
        return fail(p, err, "%s", "malformed error from the server");
      first_line(line, sizeof line, n.message[0] ? n.message : "unknown error");
      snprintf(sqlstate, sizeof sqlstate, "%s", n.sqlstate);
      fail(p, err, "%s:  %s", n.severity[0] ? n.severity : "FATAL", line);
      if (sqlstate[0] != '\0')
        sl_error_field(err->sqlstate, sizeof err->sqlstate, sqlstate);
      return SL_ERROR;
    }
    case 'Z':
      if (p->sasl == 1)
        return fail(p, err, "%s",
                    "server did not complete SCRAM authentication");
      p->phase = PH_READY;
      if (p->startup.p != NULL) OPENSSL_cleanse(p->startup.p, p->startup.n);
      sl_buf_free(&p->startup);
      return SL_OK;
    case 'v': /* NegotiateProtocolVersion: 3.0 and no options asked */
      break;
    default: {
      return fail(p, err, "unexpected message '%c' during authentication",
                  m.type >= 32 && m.type < 127 ? m.type : '?');
    }
    }
  }
}

/* }==================================================================== */

/* {====================================================================
** Encoders
** ===================================================================== */

void sl_pgw_parse(sl_pgw *p, const char *name, const char *sql, size_t sqllen,
                  int nparams, const uint32_t *types) {
  size_t at = msg_begin(p, 'P');
  int i;
  putstr(&p->out, name);
  sl_buf_add(&p->out, sql, sqllen);
  sl_buf_addc(&p->out, '\0');
  put16(&p->out, nparams);
  for (i = 0; i < nparams; i++)
    put32(&p->out, types ? types[i] : 0);
  msg_end(p, at);
}

void sl_pgw_bind(sl_pgw *p, const char *portal, const char *stmt,
                 const char *params, size_t len) {
  size_t at = msg_begin(p, 'B');
  putstr(&p->out, portal);
  putstr(&p->out, stmt);
  if (len > 0) {
    sl_buf_add(&p->out, params, len);
  } else {
    put16(&p->out, 0); /* no format codes */
    put16(&p->out, 0); /* no values */
  }
  put16(&p->out, 0); /* every result column in text */
  msg_end(p, at);
}

void sl_pgw_describe(sl_pgw *p, char kind, const char *name) {
  size_t at = msg_begin(p, 'D');
  sl_buf_addc(&p->out, kind);
  putstr(&p->out, name);
  msg_end(p, at);
}

void sl_pgw_execute(sl_pgw *p, const char *portal, uint32_t maxrows) {
  size_t at = msg_begin(p, 'E');
  putstr(&p->out, portal);
  put32(&p->out, maxrows);
  msg_end(p, at);
}

void sl_pgw_sync(sl_pgw *p) {
  msg_end(p, msg_begin(p, 'S'));
}

void sl_pgw_flush(sl_pgw *p) {
  msg_end(p, msg_begin(p, 'H'));
}

void sl_pgw_close(sl_pgw *p, char kind, const char *name) {
  size_t at = msg_begin(p, 'C');
  sl_buf_addc(&p->out, kind);
  putstr(&p->out, name);
  msg_end(p, at);
}

void sl_pgw_query(sl_pgw *p, const char *sql) {
  size_t at = msg_begin(p, 'Q');
  putstr(&p->out, sql);
  msg_end(p, at);
}

void sl_pgw_copyfail(sl_pgw *p, const char *why) {
  size_t at = msg_begin(p, 'f');
  putstr(&p->out, why);
  msg_end(p, at);
}

void sl_pgw_terminate(sl_pgw *p) {
  msg_end(p, msg_begin(p, 'X'));
}

int sl_pgw_queued(sl_pgw *p, sl_error *err) {
  if (!p->out.oom && !p->out_toolong) return SL_OK;
  sl_buf_reset(&p->out);
  p->out_handed = 0;
  if (p->out_toolong) {
    p->out_toolong = 0;
    return sl_error_set(err, SL_EK_USAGE,
                        "a PostgreSQL message may not exceed 1 GiB");
  }
  return sl_error_set(err, SL_EK_DATABASE, "out of memory");
}

void sl_pgw_param_formats(sl_buf *b, int n, const int16_t *formats) {
  int i;
  put16(b, n);
  for (i = 0; i < n; i++)
    put16(b, formats[i]);
}

void sl_pgw_param_count(sl_buf *b, int n) {
  put16(b, n);
}

void sl_pgw_param_value(sl_buf *b, const char *v, size_t len) {
  if (v == NULL) {
    put32(b, 0xffffffffu);
    return;
  }
  if (len > (size_t)INT32_MAX) {
    b->oom = 1; /* cannot travel; the caller checks lengths first */
    return;
  }
  put32(b, (uint32_t)len);
  sl_buf_add(b, v, len);
}

/* }==================================================================== */

/* {====================================================================
** Decoders
** ===================================================================== */

int sl_pgw_rowdesc(const sl_pgw_msg *m, int *n, sl_pgw_field *fields, int cap,
                   sl_error *err) {
  const char *q = m->body, *end = m->body + m->len;
  int count, i;
  *n = 0;
  if (m->len < 2) goto bad;
  count = get16(q);
  if (count < 0) goto bad;
  q += 2;
  for (i = 0; i < count; i++) {
    const char *z = memchr(q, '\0', (size_t)(end - q));
    if (z == NULL || (size_t)(end - (z + 1)) < 18) goto bad;
    if (fields != NULL && i < cap) {
      sl_pgw_field *f = &fields[i];
      f->name = q;
      f->table_oid = get32(z + 1);
      f->column = get16(z + 5);
      f->type_oid = get32(z + 7);
      f->size = get16(z + 11);
      f->modifier = (int32_t)get32(z + 13);
      f->format = get16(z + 17);
    }
    q = z + 19;
  }
  if (q != end) goto bad;
  *n = count;
  return SL_OK;
bad:
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost: protocol "
                      "violation: malformed RowDescription");
}

int sl_pgw_datarow(char *body, size_t len, int ncols, sl_pgw_cell *cells,
                   int terminate, sl_error *err) {
  size_t pos = 2;
  int i;
  if (len < 2 || get16(body) != ncols) goto bad;
  for (i = 0; i < ncols; i++) {
    uint32_t n;
    if (len - pos < 4) goto bad;
    n = get32(body + pos);
    pos += 4;
    if (n == 0xffffffffu) {
      cells[i].p = NULL;
      cells[i].len = -1;
      continue;
    }
    if (n > (uint32_t)INT32_MAX || (size_t)n > len - pos) goto bad;
    cells[i].p = body + pos;
    cells[i].len = (int32_t)n;
    pos += n;
  }
  if (pos != len) goto bad;
  if (terminate)
    for (i = 0; i < ncols; i++)
      if (cells[i].len >= 0) body[cells[i].p - body + cells[i].len] = '\0';
  return SL_OK;
bad:
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost: protocol "
                      "violation: malformed DataRow");
}

long long sl_pgw_command_rows(const char *tag, size_t len) {
  static const char *const counted[] = {"DELETE ", "UPDATE ", "SELECT ",
                                        "MOVE ",   "FETCH ",  "COPY ",
                                        "MERGE ",  NULL};
  const char *q = NULL, *end = tag + len;
  long long n = 0;
  int i;
  if (len >= 7 && memcmp(tag, "INSERT ", 7) == 0) {
    q = tag + 7;
    while (q < end && *q >= '0' && *q <= '9')
      q++; /* the oid */
    if (q >= end || *q != ' ') return 0;
    q++;
  } else {
    for (i = 0; counted[i] != NULL; i++) {
      size_t k = strlen(counted[i]);
      if (len >= k && memcmp(tag, counted[i], k) == 0) {
        q = tag + k;
        break;
      }
    }
  }
  if (q == NULL) return 0;
  while (q < end && *q >= '0' && *q <= '9') {
    if (n > (LLONG_MAX - 9) / 10) return 0;
    n = n * 10 + (*q++ - '0');
  }
  return n;
}

int sl_pgw_notice_fields(const sl_pgw_msg *m, sl_pgw_notice *out,
                         sl_error *err) {
  const char *q = m->body, *end = m->body + m->len;
  const char *localized = NULL, *plain = NULL;
  out->severity = out->sqlstate = out->message = out->detail = out->hint = "";
  out->schema = out->table = out->column = out->datatype = out->constraint = "";
  for (;;) {
    const char *z;
    char code;
    if (q >= end) goto bad;
    code = *q++;
    if (code == '\0') break;
    z = memchr(q, '\0', (size_t)(end - q));
    if (z == NULL) goto bad;
    switch (code) {
    case 'S':
      localized = q;
      break;
    case 'V':
      plain = q;
      break;
    case 'C':
      out->sqlstate = q;
      break;
    case 'M':
      out->message = q;
      break;
    case 'D':
      out->detail = q;
      break;
    case 'H':
      out->hint = q;
      break;
    case 's':
      out->schema = q;
      break;
    case 't':
      out->table = q;
      break;
    case 'c':
      out->column = q;
      break;
    case 'd':
      out->datatype = q;
      break;
    case 'n':
      out->constraint = q;
      break;
    default:
      break;
    }
    q = z + 1;
  }
  if (localized != NULL)
    out->severity = localized;
  else if (plain != NULL)
    out->severity = plain;
  return SL_OK;
bad:
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION,
                      "connection to the server was lost: protocol "
                      "violation: malformed error fields");
}

int sl_pgw_error(const sl_pgw_msg *m, sl_error *err) {
  sl_pgw_notice n;
  char line[sizeof err->message];
  const char *state;
  int lost = 0;
  if (sl_pgw_notice_fields(m, &n, err) != SL_OK) return 1;
  sl_error_clear(err);
  state = n.sqlstate;
  first_line(line, sizeof line, n.message);
  if (line[0] == '\0') snprintf(line, sizeof line, "unknown server error");
  if (strncmp(state, "08", 2) == 0 && strcmp(state, "08P01") != 0) lost = 1;
  /* the backend was terminated (pg_terminate_backend, shutdown) */
  if (strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
      strcmp(state, "57P03") == 0)
    lost = 1;
  if (lost)
    sl_error_set(err, SL_EK_CONNECTION, "connection to the server was lost: %s",
                 line);
  else
    sl_error_set(err, SL_EK_DATABASE, "%s", line);
  if (state[0] != '\0')
    sl_error_field(err->sqlstate, sizeof err->sqlstate, state);
  sl_error_field(err->constraint_name, sizeof err->constraint_name,
                 n.constraint);
  sl_error_field(err->table, sizeof err->table, n.table);
  sl_error_field(err->column, sizeof err->column, n.column);
  sl_error_field(err->detail, sizeof err->detail, n.detail);
  return lost;
}

/* }==================================================================== */

/* {====================================================================
** Authentication maths
** ===================================================================== */

static const char hexdigits[] = "0123456789abcdef";

static int md5_hex(const unsigned char *data, size_t n, char out[33]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0, i;
  if (!EVP_Digest(data, n, md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
    return 0;
  for (i = 0; i < 16; i++) {
    out[2 * i] = hexdigits[md[i] >> 4];
    out[2 * i + 1] = hexdigits[md[i] & 15];
  }
  out[32] = '\0';
  return 1;
}

void sl_pgw_md5_password(const char *user, const char *password,
                         const unsigned char salt[4], char out[36]) {
  size_t np = strlen(password), nu = strlen(user);
  unsigned char *buf = malloc(np + nu + 1);
  unsigned char second[36];
  char inner[33];
  out[0] = '\0';
  if (buf == NULL) return;
  memcpy(buf, password, np);
  memcpy(buf + np, user, nu);
  if (!md5_hex(buf, np + nu, inner)) {
    OPENSSL_cleanse(buf, np + nu);
    free(buf);
    return;
  }
  OPENSSL_cleanse(buf, np + nu);
  free(buf);
  memcpy(second, inner, 32);
  memcpy(second + 32, salt, 4);
  memcpy(out, "md5", 3);
  if (!md5_hex(second, 36, out + 3)) out[0] = '\0';
  OPENSSL_cleanse(second, sizeof second);
  OPENSSL_cleanse(inner, sizeof inner);
}

static int scram_fail(sl_error *err, const char *why) {
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION, "SCRAM authentication: %s", why);
}

int sl_pgw_scram_first(sl_pgw_scram *s, const char *user, const char *nonce,
                       sl_buf *out, sl_error *err) {
  sl_buf b;
  const char *u;
  memset(s, 0, sizeof *s);
  sl_buf_init(&b);
  if (nonce == NULL) {
    unsigned char raw[18];
    if (RAND_bytes(raw, sizeof raw) != 1)
      return scram_fail(err, "no random bytes for the nonce");
    b64_encode(&b, raw, sizeof raw);
    nonce = b.p;
  }
  if (nonce == NULL || strlen(nonce) >= sizeof s->nonce) {
    sl_buf_free(&b);
    return scram_fail(err, "bad nonce");
  }
  snprintf(s->nonce, sizeof s->nonce, "%s", nonce);
  sl_buf_reset(&b);
  /* saslname: ',' and '=' are escaped */
  sl_buf_adds(&b, "n=");
  for (u = user; *u != '\0'; u++) {
    if (*u == ',')
      sl_buf_adds(&b, "=2C");
    else if (*u == '=')
      sl_buf_adds(&b, "=3D");
    else
      sl_buf_addc(&b, *u);
  }
  sl_buf_adds(&b, ",r=");
  sl_buf_adds(&b, s->nonce);
  if (b.oom || b.n >= sizeof s->first_bare) {
    sl_buf_free(&b);
    return scram_fail(err, "user name too long");
  }
  memcpy(s->first_bare, b.p, b.n + 1);
  sl_buf_free(&b);
  sl_buf_adds(out, "n,,");
  sl_buf_adds(out, s->first_bare);
  if (out->oom) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  s->state = 1;
  return SL_OK;
}

static int hmac256(const unsigned char *key, size_t keylen, const void *data,
                   size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) != NULL &&
         len == 32;
}

static int sha256(const unsigned char *data, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  return EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) && len == 32;
}

/* The AuthMessage: client-first-bare "," server-first "," final-bare. */
static int auth_message(const sl_pgw_scram *s, sl_buf *b) {
  sl_buf_adds(b, s->first_bare);
  sl_buf_addc(b, ',');
  sl_buf_adds(b, s->server_first);
  sl_buf_addc(b, ',');
  sl_buf_adds(b, s->final_bare);
  return !b->oom;
}

int sl_pgw_scram_final(sl_pgw_scram *s, const char *password,
                       const char *server_first, size_t len, sl_buf *out,
                       sl_error *err) {
  const char *r, *salt, *iter, *q, *end;
  size_t rn, saltn;
  unsigned char saltbin[128], client_key[32], stored_key[32], sig[32];
  long iterations = 0, saltlen;
  sl_buf am;
  int i, ok;
  if (s->state != 1) return scram_fail(err, "out of order");
  if (len >= sizeof s->server_first || memchr(server_first, '\0', len))
    return scram_fail(err, "malformed server-first-message");
  memcpy(s->server_first, server_first, len);
  s->server_first[len] = '\0';
  /* r=<nonce>,s=<salt>,i=<count>[,extensions] */
  q = s->server_first;
  end = q + len;
  if (strncmp(q, "r=", 2) != 0) return scram_fail(err, "no server nonce");
  r = q + 2;
  q = memchr(r, ',', (size_t)(end - r));
  if (q == NULL) return scram_fail(err, "malformed server-first-message");
  rn = (size_t)(q - r);
  if (rn <= strlen(s->nonce) || strncmp(r, s->nonce, strlen(s->nonce)) != 0)
    return scram_fail(err, "the server's nonce does not extend ours");
  for (i = 0; i < (int)rn; i++)
    if (r[i] < 0x21 || r[i] > 0x7e || r[i] == ',')
      return scram_fail(err, "malformed server nonce");
  q++;
  if (strncmp(q, "s=", 2) != 0) return scram_fail(err, "no salt");
  salt = q + 2;
  q = memchr(salt, ',', (size_t)(end - salt));
  if (q == NULL) return scram_fail(err, "malformed server-first-message");
  saltn = (size_t)(q - salt);
  saltlen = b64_decode(salt, saltn, saltbin, sizeof saltbin);
  if (saltlen <= 0) return scram_fail(err, "malformed salt");
  q++;
  if (strncmp(q, "i=", 2) != 0) return scram_fail(err, "no iteration count");
  iter = q + 2;
  for (q = iter; q < end && *q >= '0' && *q <= '9'; q++) {
    iterations = iterations * 10 + (*q - '0');
    if (iterations > SCRAM_MAX_ITERATIONS)
      return scram_fail(err, "iteration count too large");
  }
  if (q == iter || iterations < 1 || (q < end && *q != ','))
    return scram_fail(err, "malformed iteration count");
  /* client-final-message-without-proof: channel binding "n,," (biws) */
  if (snprintf(s->final_bare, sizeof s->final_bare, "c=biws,r=%.*s", (int)rn,
               r) >= (int)sizeof s->final_bare)
    return scram_fail(err, "server nonce too long");
  if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password), saltbin, (int)saltlen,
                         (int)iterations, EVP_sha256(), 32, s->salted))
    return scram_fail(err, "PBKDF2 failed");
  sl_buf_init(&am);
  ok = auth_message(s, &am) &&
       hmac256(s->salted, 32, "Client Key", 10, client_key) &&
       sha256(client_key, 32, stored_key) &&
       hmac256(stored_key, 32, am.p, am.n, sig) &&
       hmac256(s->salted, 32, "Server Key", 10, s->server_key);
  sl_buf_free(&am);
  if (!ok) {
    OPENSSL_cleanse(client_key, sizeof client_key);
    return scram_fail(err, "HMAC failed");
  }
  for (i = 0; i < 32; i++)
    client_key[i] ^= sig[i]; /* the proof */
  sl_buf_adds(out, s->final_bare);
  sl_buf_adds(out, ",p=");
  b64_encode(out, client_key, 32);
  OPENSSL_cleanse(client_key, sizeof client_key);
  OPENSSL_cleanse(stored_key, sizeof stored_key);
  if (out->oom) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  s->state = 2;
  return SL_OK;
}

int sl_pgw_scram_verify(sl_pgw_scram *s, const char *server_final, size_t len,
                        sl_error *err) {
  unsigned char got[64], want[32];
  long n;
  size_t vn = 0;
  sl_buf am;
  int ok;
  if (s->state != 2) return scram_fail(err, "out of order");
  if (len >= 2 && strncmp(server_final, "e=", 2) == 0) {
    char why[128];
    size_t k = len - 2 < sizeof why - 1 ? len - 2 : sizeof why - 1;
    memcpy(why, server_final + 2, k);
    why[k] = '\0';
    return scram_fail(err, why);
  }
  if (len < 2 || strncmp(server_final, "v=", 2) != 0)
    return scram_fail(err, "malformed server-final-message");
  while (2 + vn < len && server_final[2 + vn] != ',')
    vn++;
  n = b64_decode(server_final + 2, vn, got, sizeof got);
  if (n != 32) return scram_fail(err, "malformed server signature");
  sl_buf_init(&am);
  ok = auth_message(s, &am) && hmac256(s->server_key, 32, am.p, am.n, want);
  sl_buf_free(&am);
  if (!ok) return scram_fail(err, "HMAC failed");
  if (CRYPTO_memcmp(got, want, 32) != 0)
    return scram_fail(err, "incorrect server signature");
  s->state = 3;
  OPENSSL_cleanse(s->salted, sizeof s->salted);
  return SL_OK;
}

/* }==================================================================== */
