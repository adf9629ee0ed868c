/*
** sl_mywire.c — the MySQL/MariaDB client/server protocol, sans I/O (see
** sl_mywire.h). Framing, login, command encoding and reply decoding.
*/
/* newlocale and uselocale (sl_num.h) are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "sl_mywire.h"
#include "sl_num.h"

/* The longest payload of one physical packet; a payload of exactly this
** length is continued by the next packet. */
#define MW_PART 0xffffffu

/* Error codes the engine reports itself, as the client library does. */
#define MW_CR_UNKNOWN_ERROR 2000
#define MW_CR_SERVER_LOST 2013
#define MW_CR_COMMANDS_OUT_OF_SYNC 2014
#define MW_CR_MALFORMED_PACKET 2027

enum { IN_HEADER, IN_PAYLOAD, IN_READY };
enum { L_NONE, L_HELLO, L_TLS, L_AUTH, L_SHA2_KEY, L_DONE };

struct sl_mywire {
  /* output: bytes queued, handed to the host by sl_mywire_output */
  sl_buf out;
  int out_handed; /* out was handed: the next packet starts it afresh */
  int out_tls;    /* the host starts TLS after sending out */
  sl_buf scratch; /* payload being built */
  /* input framing */
  int in_state;
  unsigned char hdr[4];
  size_t hdr_n;
  size_t part_left; /* bytes of the current physical payload still due */
  int more;         /* the current physical packet is continued */
  sl_buf in;        /* the logical payload */
  int expect;
  unsigned seq; /* next sequence id, in or out */
  /* session */
  uint32_t caps; /* agreed */
  unsigned status;
  char version[64];
  /* login */
  int lstate;
  char *user, *password, *database;
  int tls_mode, tls_on;
  unsigned char scramble[32];
  size_t scramble_len;
  char plugin[32];
};

/* {====================================================================
** Little-endian helpers
** ===================================================================== */

static unsigned get2(const unsigned char *p) {
  return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get3(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static uint32_t get4(const unsigned char *p) {
  return get3(p) | (uint32_t)p[3] << 24;
}

static uint64_t get8(const unsigned char *p) {
  return (uint64_t)get4(p) | (uint64_t)get4(p + 4) << 32;
}

static void put_n(sl_buf *b, uint64_t v, int n) {
  char c[8];
  int i;
  for (i = 0; i < n; i++)
    c[i] = (char)((v >> (8 * i)) & 0xffu);
  sl_buf_add(b, c, (size_t)n);
}

static void put_lenenc(sl_buf *b, uint64_t v) {
  if (v < 251) {
    put_n(b, v, 1);
  } else if (v < 0x10000u) {
    sl_buf_addc(b, (char)0xfc);
    put_n(b, v, 2);
  } else if (v < 0x1000000u) {
    sl_buf_addc(b, (char)0xfd);
    put_n(b, v, 3);
  } else {
    sl_buf_addc(b, (char)0xfe);
    put_n(b, v, 8);
  }
}

int sl_mywire_lenenc(const unsigned char **pp, const unsigned char *end,
                     uint64_t *v) {
  const unsigned char *p = *pp;
  size_t need;
  if (p >= end) return SL_ERROR;
  switch (*p) {
  case 0xfb:
  case 0xff:
    return SL_ERROR;
  case 0xfc:
    need = 2;
    break;
  case 0xfd:
    need = 3;
    break;
  case 0xfe:
    need = 8;
    break;
  default:
    *v = *p;
    *pp = p + 1;
    return SL_OK;
  }
  if ((size_t)(end - p - 1) < need) return SL_ERROR;
  *v = need == 2 ? get2(p + 1) : need == 3 ? get3(p + 1) : get8(p + 1);
  *pp = p + 1 + need;
  return SL_OK;
}

/* A length-encoded string at *pp: its bytes (within end) and length. */
static int lenenc_str(const unsigned char **pp, const unsigned char *end,
                      const unsigned char **s, size_t *n) {
  uint64_t len;
  if (sl_mywire_lenenc(pp, end, &len) != SL_OK) return SL_ERROR;
  if (len > (uint64_t)(end - *pp)) return SL_ERROR;
  *s = *pp;
  *n = (size_t)len;
  *pp += (size_t)len;
  return SL_OK;
}

static int malformed(sl_error *err, const char *what) {
  sl_error_clear(err);
  sl_error_set(err, SL_EK_CONNECTION, "malformed packet from the server (%s)",
               what);
  err->code = MW_CR_MALFORMED_PACKET;
  err->has_code = 1;
  return SL_ERROR;
}

static int oom(sl_error *err) {
  return sl_error_set(err, SL_EK_DATABASE, "out of memory");
}

/* }==================================================================== */

/* {====================================================================
** Engine and framing
** ===================================================================== */

sl_mywire *sl_mywire_new(void) {
  sl_mywire *w = calloc(1, sizeof *w);
  if (w == NULL) return NULL;
  sl_buf_init(&w->out);
  sl_buf_init(&w->scratch);
  sl_buf_init(&w->in);
  w->in_state = IN_HEADER;
  return w;
}

/* Overwrites and frees a secret. */
static void free_secret(char *s) {
  if (s == NULL) return;
  {
    volatile char *v = s;
    while (*v != '\0')
      *v++ = '\0';
  }
  free(s);
}

void sl_mywire_free(sl_mywire *w) {
  if (w == NULL) return;
  sl_buf_free(&w->out);
  sl_buf_free(&w->scratch);
  sl_buf_free(&w->in);
  free(w->user);
  free_secret(w->password);
  free(w->database);
  free(w);
}

void sl_mywire_output(sl_mywire *w, const char **p, size_t *n, int *tls) {
  *tls = w->out_tls;
  w->out_tls = 0;
  if (w->out_handed || w->out.n == 0) {
    *p = NULL;
    *n = 0;
    return;
  }
  *p = w->out.p;
  *n = w->out.n;
  w->out_handed = 1;
}

size_t sl_mywire_want(const sl_mywire *w) {
  if (!w->expect) return 0;
  switch (w->in_state) {
  case IN_HEADER:
    return 4 - w->hdr_n;
  case IN_PAYLOAD:
    return w->part_left;
  default:
    return 0;
  }
}

void sl_mywire_expect(sl_mywire *w, int on) {
  w->expect = on != 0;
}

int sl_mywire_feed(sl_mywire *w, const char *data, size_t len, sl_error *err) {
  const unsigned char *p = (const unsigned char *)data;
  if (len > sl_mywire_want(w)) {
    sl_error_clear(err);
    return sl_error_set(err, SL_EK_CONNECTION,
                        "%zu bytes given where the protocol expects %zu", len,
                        sl_mywire_want(w));
  }
  while (len > 0) {
    if (w->in_state == IN_HEADER) {
      size_t k = 4 - w->hdr_n;
      uint32_t plen;
      if (k > len) k = len;
      memcpy(w->hdr + w->hdr_n, p, k);
      w->hdr_n += k;
      p += k;
      len -= k;
      if (w->hdr_n < 4) break;
      w->hdr_n = 0;
      plen = get3(w->hdr);
      if (w->hdr[3] != (w->seq & 0xffu)) {
        sl_error_clear(err);
        sl_error_set(err, SL_EK_CONNECTION,
                     "packets out of order from the server (sequence %u, "
                     "expected %u)",
                     (unsigned)w->hdr[3], w->seq & 0xffu);
        err->code = MW_CR_MALFORMED_PACKET;
        err->has_code = 1;
        return SL_ERROR;
      }
      w->seq = (w->seq + 1) & 0xffu;
      if ((size_t)plen > SL_MW_MAX_PACKET - w->in.n)
        return malformed(err, "packet larger than 1 GiB");
      w->part_left = plen;
      w->more = plen == MW_PART;
      w->in_state = IN_PAYLOAD;
    } else {
      size_t k = w->part_left < len ? w->part_left : len;
      sl_buf_add(&w->in, (const char *)p, k);
      if (w->in.oom) return oom(err);
      p += k;
      len -= k;
      w->part_left -= k;
    }
    if (w->in_state == IN_PAYLOAD && w->part_left == 0)
      w->in_state = w->more ? IN_HEADER : IN_READY;
  }
  /* a packet of length 0 ends with its header */
  if (w->in_state == IN_PAYLOAD && w->part_left == 0)
    w->in_state = w->more ? IN_HEADER : IN_READY;
  return SL_OK;
}

int sl_mywire_packet(sl_mywire *w, const unsigned char **p, size_t *n) {
  if (w->in_state != IN_READY) return 0;
  *p = (const unsigned char *)(w->in.p != NULL ? w->in.p : "");
  *n = w->in.n;
  return 1;
}

void sl_mywire_next(sl_mywire *w) {
  sl_buf_reset(&w->in);
  w->in_state = IN_HEADER;
  w->hdr_n = 0;
}

void sl_mywire_take(sl_mywire *w, sl_buf *dst) {
  sl_buf t = *dst;
  *dst = w->in;
  w->in = t;
  sl_mywire_next(w);
}

uint32_t sl_mywire_caps(const sl_mywire *w) {
  return w->caps;
}

unsigned sl_mywire_status(const sl_mywire *w) {
  return w->status;
}

const char *sl_mywire_server_version(const sl_mywire *w) {
  return w->version;
}

/* Starts the payload of a packet in w->scratch. */
static sl_buf *begin_packet(sl_mywire *w) {
  sl_buf_reset(&w->scratch);
  return &w->scratch;
}

/* Frames w->scratch into the output with the next sequence ids. */
static int end_packet(sl_mywire *w, sl_error *err) {
  const char *p = w->scratch.p;
  size_t n = w->scratch.n;
  if (w->scratch.oom) return oom(err);
  if (w->out_handed) {
    sl_buf_reset(&w->out);
    w->out_handed = 0;
  }
  for (;;) {
    size_t k = n < MW_PART ? n : MW_PART;
    put_n(&w->out, k, 3);
    put_n(&w->out, w->seq & 0xffu, 1);
    w->seq = (w->seq + 1) & 0xffu;
    if (k > 0) sl_buf_add(&w->out, p, k);
    p += k;
    n -= k;
    /* a part of exactly MW_PART bytes is followed by another, maybe empty */
    if (k < MW_PART) break;
  }
  if (w->out.oom) return oom(err);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Errors
** ===================================================================== */

/* The server's error codes the mapping reads (mysqld_error.h). */
#define MW_ER_BAD_NULL_ERROR 1048
#define MW_ER_DUP_ENTRY 1062
#define MW_ER_WARN_DATA_OUT_OF_RANGE 1264
#define MW_ER_NO_DEFAULT_FOR_FIELD 1364
#define MW_ER_DATA_TOO_LONG 1406
#define MW_ER_ROW_IS_REFERENCED_2 1451
#define MW_ER_NO_REFERENCED_ROW_2 1452
#define MW_ER_DUP_ENTRY_WITH_KEY_NAME 1586
#define MW_ER_CONNECTION_KILLED 1927
#define MW_ER_CHECK_MARIADB 4025
#define MW_ER_CHECK_MYSQL 3819
/* and the client's (errmsg.h) that mean a lost connection */
#define MW_CR_CONNECTION_ERROR 2002
#define MW_CR_CONN_HOST_ERROR 2003
#define MW_CR_UNKNOWN_HOST 2005
#define MW_CR_SERVER_GONE_ERROR 2006
#define MW_CR_SERVER_LOST_EXTENDED 2055

static void set_field_n(char *dst, size_t size, const char *p, size_t n) {
  if (size == 0) return;
  if (n >= size) n = size - 1;
  memcpy(dst, p, n);
  dst[n] = '\0';
}

/* A name quoted by q at *pp (a doubled q is one q), copied into dst. */
static int quoted_name(const char **pp, char q, char *dst, size_t size) {
  const char *p = *pp;
  size_t n = 0;
  if (*p != q) return 0;
  for (p++; *p != '\0'; p++) {
    if (*p == q) {
      if (p[1] != q) break;
      p++;
    }
    if (n + 1 < size) dst[n++] = *p;
  }
  if (*p != q) return 0;
  if (size > 0) dst[n] = '\0';
  *pp = p + 1;
  return 1;
}

static int name_after(const char *msg, const char *after, char q, char *dst,
                      size_t size) {
  const char *p = strstr(msg, after);
  if (p == NULL) return 0;
  p += strlen(after);
  return quoted_name(&p, q, dst, size);
}

/* "`db`.`t`" or "`t`": the last part. */
static int qualified_table(const char **pp, char *dst, size_t size) {
  if (!quoted_name(pp, '`', dst, size)) return 0;
  if (**pp == '.') {
    (*pp)++;
    if (!quoted_name(pp, '`', dst, size)) return 0;
  }
  return 1;
}

/* The names the server writes into the messages applications react to. */
static void parse_names(unsigned code, const char *msg, sl_error *err) {
  char name[128];
  const char *p;
  switch (code) {
  case MW_ER_DUP_ENTRY:
  case MW_ER_DUP_ENTRY_WITH_KEY_NAME: {
    /* the entry may hold the phrase: the last one names the key, which
    ** MySQL 8 writes as 'table.key' */
    const char *last = NULL;
    for (p = msg; (p = strstr(p, " for key '")) != NULL; p++)
      last = p;
    if (last == NULL) break;
    p = last + strlen(" for key ");
    if (!quoted_name(&p, '\'', name, sizeof name)) break;
    {
      char *dot = strrchr(name, '.');
      if (dot != NULL) {
        set_field_n(err->table, sizeof err->table, name, (size_t)(dot - name));
        sl_error_field(err->constraint_name, sizeof err->constraint_name,
                       dot + 1);
      } else {
        sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
      }
    }
    break;
  }
  case MW_ER_ROW_IS_REFERENCED_2:
  case MW_ER_NO_REFERENCED_ROW_2:
    p = strstr(msg, "fails (");
    if (p != NULL) {
      p += strlen("fails (");
      if (qualified_table(&p, name, sizeof name))
        sl_error_field(err->table, sizeof err->table, name);
    }
    if (name_after(msg, "CONSTRAINT ", '`', name, sizeof name))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
    p = strstr(msg, "FOREIGN KEY (");
    if (p != NULL) {
      p += strlen("FOREIGN KEY (");
      if (quoted_name(&p, '`', name, sizeof name) && *p == ')')
        sl_error_field(err->column, sizeof err->column, name);
    }
    break;
  case MW_ER_BAD_NULL_ERROR:
  case MW_ER_NO_DEFAULT_FOR_FIELD:
  case MW_ER_DATA_TOO_LONG:
  case MW_ER_WARN_DATA_OUT_OF_RANGE:
    if (name_after(msg, "olumn ", '\'', name, sizeof name) ||
        name_after(msg, "Field ", '\'', name, sizeof name))
      sl_error_field(err->column, sizeof err->column, name);
    break;
  case MW_ER_CHECK_MARIADB:
    if (name_after(msg, "CONSTRAINT ", '`', name, sizeof name))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
    p = strstr(msg, " failed for ");
    if (p != NULL) {
      p += strlen(" failed for ");
      if (qualified_table(&p, name, sizeof name))
        sl_error_field(err->table, sizeof err->table, name);
    }
    break;
  case MW_ER_CHECK_MYSQL:
    if (name_after(msg, "onstraint ", '\'', name, sizeof name))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
    break;
  default:
    break;
  }
}

static int is_connection_error(unsigned code) {
  switch (code) {
  case MW_CR_SERVER_GONE_ERROR:
  case MW_CR_SERVER_LOST:
  case MW_CR_SERVER_LOST_EXTENDED:
  case MW_CR_CONNECTION_ERROR:
  case MW_CR_CONN_HOST_ERROR:
  case MW_CR_UNKNOWN_HOST:
  case MW_ER_CONNECTION_KILLED:
    return 1;
  default:
    return 0;
  }
}

int sl_mywire_report(unsigned code, const char *state, const char *msg,
                     sl_error *err) {
  sl_errkind kind = SL_EK_DATABASE;
  sl_error_clear(err);
  if (code == 0) code = MW_CR_UNKNOWN_ERROR;
  /* an error always says something, also when a server sent no text */
  if (msg == NULL || *msg == '\0') msg = "unknown MySQL client error";
  if (is_connection_error(code))
    kind = SL_EK_CONNECTION;
  else if (code == MW_CR_COMMANDS_OUT_OF_SYNC)
    kind = SL_EK_USAGE;
  sl_error_set(err, kind, "%s", msg ? msg : "");
  err->code = (long long)code;
  err->has_code = 1;
  if (state != NULL && strcmp(state, "00000") != 0)
    sl_error_field(err->sqlstate, sizeof err->sqlstate, state);
  if (msg != NULL) parse_names(code, msg, err);
  return SL_ERROR;
}

int sl_mywire_parse_err(const unsigned char *p, size_t n, sl_error *err) {
  char state[6] = "";
  char msg[512];
  unsigned code;
  size_t k;
  if (n < 3 || p[0] != SL_MW_ERR) return malformed(err, "ERR packet");
  code = get2(p + 1);
  p += 3;
  n -= 3;
  /* before the protocol is agreed (e.g. too many connections) there is no
  ** SQLSTATE */
  if (n >= 6 && p[0] == '#') {
    memcpy(state, p + 1, 5);
    state[5] = '\0';
    p += 6;
    n -= 6;
  }
  k = n < sizeof msg - 1 ? n : sizeof msg - 1;
  memcpy(msg, p, k);
  msg[k] = '\0';
  /* a NUL inside the message ends it, as a C string would */
  return sl_mywire_report(code, state[0] ? state : NULL, msg, err);
}

/* }==================================================================== */

/* {====================================================================
** Replies
** ===================================================================== */

int sl_mywire_is_eof(const unsigned char *p, size_t n) {
  return n > 0 && n < MW_PART && p[0] == SL_MW_EOF;
}

int sl_mywire_parse_ok(sl_mywire *w, const unsigned char *p, size_t n,
                       sl_mywire_ok *ok, sl_error *err) {
  const unsigned char *end = p + n;
  memset(ok, 0, sizeof *ok);
  if (n < 1 || (p[0] != SL_MW_OK && p[0] != SL_MW_EOF))
    return malformed(err, "OK packet");
  p++;
  if (sl_mywire_lenenc(&p, end, &ok->affected) != SL_OK ||
      sl_mywire_lenenc(&p, end, &ok->insert_id) != SL_OK)
    return malformed(err, "OK packet");
  if (end - p >= 2) {
    ok->status = get2(p);
    p += 2;
    if (end - p >= 2) ok->warnings = get2(p);
  }
  w->status = ok->status;
  return SL_OK;
}

int sl_mywire_parse_eof(sl_mywire *w, const unsigned char *p, size_t n,
                        sl_mywire_ok *ok, sl_error *err) {
  if (!sl_mywire_is_eof(p, n)) return malformed(err, "EOF packet");
  /* an EOF packet is 5 bytes; a longer one is an OK headed 0xfe */
  if (n < 9) {
    memset(ok, 0, sizeof *ok);
    if (n >= 5) {
      ok->warnings = get2(p + 1);
      ok->status = get2(p + 3);
    }
    w->status = ok->status;
    return SL_OK;
  }
  return sl_mywire_parse_ok(w, p, n, ok, err);
}

int sl_mywire_parse_column(const unsigned char *p, size_t n,
                           sl_mywire_column *col, sl_error *err) {
  const unsigned char *end = p + n, *s;
  size_t len;
  uint64_t fixed;
  int i;
  memset(col, 0, sizeof *col);
  /* catalog, schema, table, org_table, name, org_name */
  for (i = 0; i < 6; i++) {
    if (lenenc_str(&p, end, &s, &len) != SL_OK)
      return malformed(err, "column definition");
    if (i == 4) {
      col->name = (const char *)s;
      col->namelen = len;
    }
  }
  if (sl_mywire_lenenc(&p, end, &fixed) != SL_OK || end - p < 10)
    return malformed(err, "column definition");
  col->charset = get2(p);
  col->length = get4(p + 2);
  col->type = p[6];
  col->flags = get2(p + 7);
  col->decimals = p[9];
  return SL_OK;
}

int sl_mywire_parse_prepare_ok(const unsigned char *p, size_t n, uint32_t *id,
                               unsigned *ncols, unsigned *nparams,
                               sl_error *err) {
  if (n < 9 || p[0] != SL_MW_OK) return malformed(err, "COM_STMT_PREPARE_OK");
  *id = get4(p + 1);
  *ncols = get2(p + 5);
  *nparams = get2(p + 7);
  return SL_OK;
}

/* The fixed size of a binary value of type t; 0 for a length-prefixed one
** (lenenc string: 1, one length byte: 2 in *kind), -1 unknown. */
static int value_size(unsigned t, int *kind) {
  *kind = 0;
  switch (t) {
  case SL_MW_T_NULL:
    return 0;
  case SL_MW_T_TINY:
    return 1;
  case SL_MW_T_SHORT:
  case SL_MW_T_YEAR:
    return 2;
  case SL_MW_T_LONG:
  case SL_MW_T_INT24:
  case SL_MW_T_FLOAT:
    return 4;
  case SL_MW_T_LONGLONG:
  case SL_MW_T_DOUBLE:
    return 8;
  case SL_MW_T_DATE:
  case SL_MW_T_NEWDATE:
  case SL_MW_T_DATETIME:
  case SL_MW_T_TIMESTAMP:
  case SL_MW_T_DATETIME2:
  case SL_MW_T_TIMESTAMP2:
  case SL_MW_T_TIME:
  case SL_MW_T_TIME2:
    *kind = 2;
    return 0;
  case SL_MW_T_DECIMAL:
  case SL_MW_T_NEWDECIMAL:
  case SL_MW_T_VARCHAR:
  case SL_MW_T_BIT:
  case SL_MW_T_JSON:
  case SL_MW_T_ENUM:
  case SL_MW_T_SET:
  case SL_MW_T_TINY_BLOB:
  case SL_MW_T_MEDIUM_BLOB:
  case SL_MW_T_LONG_BLOB:
  case SL_MW_T_BLOB:
  case SL_MW_T_VAR_STRING:
  case SL_MW_T_STRING:
  case SL_MW_T_GEOMETRY:
    *kind = 1;
    return 0;
  default:
    return -1;
  }
}

static int is_time_type(unsigned t) {
  return t == SL_MW_T_TIME || t == SL_MW_T_TIME2;
}

int sl_mywire_split_row(const unsigned char *p, size_t n, const unsigned *types,
                        unsigned ncols, sl_mywire_cell *cells, sl_error *err) {
  const unsigned char *end = p + n, *bitmap;
  size_t nbitmap = ((size_t)ncols + 9) / 8;
  unsigned i;
  if (n < 1 || p[0] != 0x00) return malformed(err, "binary row header");
  if (n - 1 < nbitmap) return malformed(err, "binary row NULL bitmap");
  bitmap = p + 1;
  p += 1 + nbitmap;
  for (i = 0; i < ncols; i++) {
    size_t bit = (size_t)i + 2;
    int kind, size;
    sl_mywire_cell *c = &cells[i];
    c->p = NULL;
    c->n = 0;
    c->is_null = (bitmap[bit / 8] >> (bit % 8)) & 1;
    if (c->is_null) continue;
    size = value_size(types[i], &kind);
    if (size < 0) {
      sl_error_clear(err);
      return sl_error_set(err, SL_EK_CONNECTION,
                          "unknown column type %u from the server", types[i]);
    }
    if (kind == 1) {
      if (lenenc_str(&p, end, &c->p, &c->n) != SL_OK)
        return malformed(err, "value runs past its row");
    } else if (kind == 2) {
      size_t len;
      if (p >= end) return malformed(err, "value runs past its row");
      len = *p++;
      if (is_time_type(types[i])
              ? (len != 0 && len != 8 && len != 12)
              : (len != 0 && len != 4 && len != 7 && len != 11))
        return malformed(err, "temporal value of a bad length");
      if ((size_t)(end - p) < len)
        return malformed(err, "value runs past its row");
      c->p = p;
      c->n = len;
      p += len;
    } else {
      if ((size_t)(end - p) < (size_t)size)
        return malformed(err, "value runs past its row");
      c->p = p;
      c->n = (size_t)size;
      p += size;
    }
  }
  if (p != end) return malformed(err, "bytes after the last value of a row");
  return SL_OK;
}

/* The shortest decimal text that reads back as f (drivers/mysql.c). */
static double float_value(float f) {
  char buf[32];
  int prec;
  if (f != f || f - f != 0.0f) return (double)f;
  for (prec = 1; prec < 9; prec++) {
    sl_numfmt(buf, sizeof buf, "%.*g", prec, (double)f);
    if (sl_strtof(buf, NULL) == f) break;
  }
  sl_numfmt(buf, sizeof buf, "%.*g", prec, (double)f);
  return sl_strtod(buf, NULL);
}

static void set_text(sl_value *out, const char *p, size_t n) {
  out->type = SL_V_TEXT;
  out->u.s.p = p;
  out->u.s.n = n;
}

static void set_unsigned(uint64_t u, char txt[64], sl_value *out) {
  if (u > (uint64_t)INT64_MAX) {
    snprintf(txt, 64, "%llu", (unsigned long long)u);
    set_text(out, txt, strlen(txt));
  } else {
    out->type = SL_V_INT;
    out->u.i = (int64_t)u;
  }
}

static void add_fraction(char *buf, size_t size, unsigned long us) {
  size_t n = strlen(buf);
  char frac[8];
  int k;
  if (us == 0 || us > 999999) return;
  snprintf(frac, sizeof frac, "%06lu", us);
  for (k = 5; k > 0 && frac[k] == '0'; k--)
    frac[k] = '\0';
  snprintf(buf + n, size - n, ".%s", frac);
}

void sl_mywire_value(const sl_mywire_column *col, const sl_mywire_cell *cell,
                     char txt[64], sl_value *out) {
  const unsigned char *p = cell->p;
  size_t n = cell->n;
  int is_unsigned = (col->flags & SL_MW_FLAG_UNSIGNED) != 0;
  if (cell->is_null || col->type == SL_MW_T_NULL) {
    out->type = SL_V_NULL;
    return;
  }
  switch (col->type) {
  case SL_MW_T_TINY:
    if (is_unsigned)
      set_unsigned(p[0], txt, out);
    else {
      out->type = SL_V_INT;
      out->u.i = (int64_t)(signed char)p[0];
    }
    return;
  case SL_MW_T_SHORT:
  case SL_MW_T_YEAR:
    if (is_unsigned)
      set_unsigned(get2(p), txt, out);
    else {
      out->type = SL_V_INT;
      out->u.i = (int64_t)(int16_t)(uint16_t)get2(p);
    }
    return;
  case SL_MW_T_LONG:
  case SL_MW_T_INT24:
    if (is_unsigned)
      set_unsigned(get4(p), txt, out);
    else {
      out->type = SL_V_INT;
      out->u.i = (int64_t)(int32_t)get4(p);
    }
    return;
  case SL_MW_T_LONGLONG:
    if (is_unsigned)
      set_unsigned(get8(p), txt, out);
    else {
      uint64_t u = get8(p);
      int64_t i;
      memcpy(&i, &u, sizeof i);
      out->type = SL_V_INT;
      out->u.i = i;
    }
    return;
  case SL_MW_T_FLOAT: {
    uint32_t u = get4(p);
    float f;
    memcpy(&f, &u, sizeof f);
    out->type = SL_V_FLOAT;
    out->u.f = float_value(f);
    return;
  }
  case SL_MW_T_DOUBLE: {
    uint64_t u = get8(p);
    double d;
    memcpy(&d, &u, sizeof d);
    out->type = SL_V_FLOAT;
    out->u.f = d;
    return;
  }
  case SL_MW_T_BIT: {
    uint64_t v = 0;
    size_t k;
    for (k = 0; k < n; k++)
      v = (v << 8) | p[k];
    set_unsigned(v, txt, out);
    return;
  }
  case SL_MW_T_DATE:
  case SL_MW_T_NEWDATE:
  case SL_MW_T_DATETIME:
  case SL_MW_T_TIMESTAMP:
  case SL_MW_T_DATETIME2:
  case SL_MW_T_TIMESTAMP2: {
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    unsigned long us = 0;
    if (n >= 4) {
      y = get2(p);
      mo = p[2];
      d = p[3];
    }
    if (n >= 7) {
      h = p[4];
      mi = p[5];
      s = p[6];
    }
    if (n >= 11) us = (unsigned long)get4(p + 7);
    if (col->type == SL_MW_T_DATE || col->type == SL_MW_T_NEWDATE) {
      snprintf(txt, 64, "%04u-%02u-%02u", y % 10000u, mo % 100u, d % 100u);
    } else {
      snprintf(txt, 64, "%04u-%02u-%02u %02u:%02u:%02u", y % 10000u, mo % 100u,
               d % 100u, h % 100u, mi % 100u, s % 100u);
      add_fraction(txt, 64, us);
    }
    set_text(out, txt, strlen(txt));
    return;
  }
  case SL_MW_T_TIME:
  case SL_MW_T_TIME2: {
    unsigned neg = 0, h = 0, mi = 0, s = 0;
    uint32_t days = 0;
    unsigned long us = 0;
    if (n >= 8) {
      neg = p[0];
      days = get4(p + 1);
      h = p[5];
      mi = p[6];
      s = p[7];
    }
    if (n >= 12) us = (unsigned long)get4(p + 8);
    snprintf(txt, 64, "%s%02u:%02u:%02u", neg ? "-" : "",
             (unsigned)((days * 24u + h) % 100000u), mi % 100u, s % 100u);
    add_fraction(txt, 64, us);
    set_text(out, txt, strlen(txt));
    return;
  }
  case SL_MW_T_DECIMAL:
  case SL_MW_T_NEWDECIMAL:
  case SL_MW_T_JSON:
  case SL_MW_T_ENUM:
  case SL_MW_T_SET:
    set_text(out, (const char *)(p != NULL ? p : (const unsigned char *)""), n);
    return;
  case SL_MW_T_GEOMETRY:
    out->type = SL_V_BLOB;
    break;
  default:
    out->type = col->charset == SL_MW_BINARY_CHARSET ? SL_V_BLOB : SL_V_TEXT;
    break;
  }
  out->u.s.p = (const char *)(p != NULL ? p : (const unsigned char *)"");
  out->u.s.n = n;
}

/* }==================================================================== */

/* {====================================================================
** Commands
** ===================================================================== */

int sl_mywire_command(sl_mywire *w, int cmd, const char *arg, size_t len,
                      sl_error *err) {
  sl_buf *b = begin_packet(w);
  sl_buf_addc(b, (char)cmd);
  if (len > 0) sl_buf_add(b, arg, len);
  w->seq = 0;
  if (end_packet(w, err) != SL_OK) return SL_ERROR;
  if (cmd != SL_MW_COM_QUIT) w->expect = 1;
  return SL_OK;
}

int sl_mywire_stmt_command(sl_mywire *w, int cmd, uint32_t id, sl_error *err) {
  sl_buf *b = begin_packet(w);
  sl_buf_addc(b, (char)cmd);
  put_n(b, id, 4);
  w->seq = 0;
  if (end_packet(w, err) != SL_OK) return SL_ERROR;
  if (cmd != SL_MW_COM_STMT_CLOSE) w->expect = 1;
  return SL_OK;
}

int sl_mywire_execute(sl_mywire *w, uint32_t id, const sl_value *params, int n,
                      sl_error *err) {
  sl_buf *b = begin_packet(w);
  int i;
  sl_buf_addc(b, (char)SL_MW_COM_STMT_EXECUTE);
  put_n(b, id, 4);
  sl_buf_addc(b, 0); /* no cursor */
  put_n(b, 1, 4);    /* one iteration */
  if (n > 0) {
    size_t nb = ((size_t)n + 7) / 8, at = b->n;
    for (i = 0; i < (int)nb; i++)
      sl_buf_addc(b, 0);
    sl_buf_addc(b, 1); /* the types follow */
    for (i = 0; i < n; i++) {
      unsigned t;
      switch (params[i].type) {
      case SL_V_NULL:
        t = SL_MW_T_NULL;
        if (!b->oom) b->p[at + (size_t)i / 8] |= (char)(1u << (i % 8));
        break;
      case SL_V_INT:
        t = SL_MW_T_LONGLONG;
        break;
      case SL_V_FLOAT:
        t = SL_MW_T_DOUBLE;
        break;
      case SL_V_BOOL:
        t = SL_MW_T_TINY;
        break;
      case SL_V_TEXT:
        t = SL_MW_T_STRING;
        break;
      case SL_V_BLOB:
        t = SL_MW_T_BLOB;
        break;
      default:
        return sl_error_set(err, SL_EK_USAGE, "bad value type for parameter %d",
                            i + 1);
      }
      put_n(b, t, 2);
    }
    for (i = 0; i < n; i++) {
      const sl_value *v = &params[i];
      switch (v->type) {
      case SL_V_INT:
        put_n(b, (uint64_t)v->u.i, 8);
        break;
      case SL_V_FLOAT: {
        uint64_t u;
        memcpy(&u, &v->u.f, sizeof u);
        put_n(b, u, 8);
        break;
      }
      case SL_V_BOOL:
        sl_buf_addc(b, (char)(v->u.b != 0));
        break;
      case SL_V_TEXT:
      case SL_V_BLOB:
        put_lenenc(b, (uint64_t)v->u.s.n);
        if (v->u.s.n > 0) sl_buf_add(b, v->u.s.p, v->u.s.n);
        break;
      default:
        break;
      }
    }
  }
  w->seq = 0;
  if (end_packet(w, err) != SL_OK) return SL_ERROR;
  w->expect = 1;
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Login
** ===================================================================== */

static char *dup_or_null(const char *s) {
  char *d;
  size_t n;
  if (s == NULL) return NULL;
  n = strlen(s);
  d = malloc(n + 1);
  if (d != NULL) memcpy(d, s, n + 1);
  return d;
}

int sl_mywire_start_login(sl_mywire *w, const sl_mywire_login *login,
                          sl_error *err) {
  w->user = dup_or_null(login->user ? login->user : "");
  w->password = dup_or_null(login->password ? login->password : "");
  w->database =
      login->database && *login->database ? dup_or_null(login->database) : NULL;
  if (w->user == NULL || w->password == NULL ||
      (login->database && *login->database && w->database == NULL))
    return oom(err);
  w->tls_mode = login->tls;
  w->lstate = L_HELLO;
  w->seq = 0;
  w->expect = 1;
  return SL_OK;
}

void sl_mywire_native_scramble(const char *password, size_t len,
                               const unsigned char scramble[20],
                               unsigned char out[20]) {
  unsigned char h1[20], h2[20], h3[20];
  EVP_MD_CTX *ctx;
  int i;
  SHA1((const unsigned char *)password, len, h1);
  SHA1(h1, 20, h2);
  ctx = EVP_MD_CTX_new();
  if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
      EVP_DigestUpdate(ctx, scramble, 20) != 1 ||
      EVP_DigestUpdate(ctx, h2, 20) != 1 ||
      EVP_DigestFinal_ex(ctx, h3, NULL) != 1)
    memset(h3, 0, sizeof h3);
  EVP_MD_CTX_free(ctx);
  for (i = 0; i < 20; i++)
    out[i] = h1[i] ^ h3[i];
}

void sl_mywire_sha2_scramble(const char *password, size_t len,
                             const unsigned char *scramble, size_t slen,
                             unsigned char out[32]) {
  unsigned char h1[32], h2[32], h3[32];
  EVP_MD_CTX *ctx;
  int i;
  SHA256((const unsigned char *)password, len, h1);
  SHA256(h1, 32, h2);
  ctx = EVP_MD_CTX_new();
  if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
      EVP_DigestUpdate(ctx, h2, 32) != 1 ||
      EVP_DigestUpdate(ctx, scramble, slen) != 1 ||
      EVP_DigestFinal_ex(ctx, h3, NULL) != 1)
    memset(h3, 0, sizeof h3);
  EVP_MD_CTX_free(ctx);
  for (i = 0; i < 32; i++)
    out[i] = h1[i] ^ h3[i];
}

int sl_mywire_rsa_password(const char *pem, size_t pemlen, const char *password,
                           size_t len, const unsigned char *scramble,
                           size_t slen, sl_buf *out, sl_error *err) {
  BIO *bio = NULL;
  EVP_PKEY *key = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  unsigned char *plain = NULL, *cipher = NULL;
  size_t i, clen = 0;
  int status = SL_ERROR;
  if (pemlen > (size_t)INT32_MAX || slen == 0) goto bad;
  bio = BIO_new_mem_buf(pem, (int)pemlen);
  if (bio == NULL) goto bad;
  key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
  if (key == NULL) goto bad;
  plain = malloc(len + 1);
  if (plain == NULL) goto bad;
  memcpy(plain, password, len);
  plain[len] = 0;
  for (i = 0; i <= len; i++)
    plain[i] ^= scramble[i % slen];
  ctx = EVP_PKEY_CTX_new(key, NULL);
  if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_encrypt(ctx, NULL, &clen, plain, len + 1) != 1)
    goto bad;
  cipher = malloc(clen);
  if (cipher == NULL ||
      EVP_PKEY_encrypt(ctx, cipher, &clen, plain, len + 1) != 1)
    goto bad;
  sl_buf_add(out, (const char *)cipher, clen);
  status = SL_OK;
bad:
  if (status != SL_OK) {
    sl_error_clear(err);
    sl_error_set(err, SL_EK_CONNECTION,
                 "could not encrypt the password with the server's RSA "
                 "public key (caching_sha2_password)");
  }
  if (plain != NULL) {
    memset(plain, 0, len + 1);
    free(plain);
  }
  free(cipher);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  BIO_free(bio);
  return status;
}

static int login_fail(sl_error *err, const char *fmt, const char *arg) {
  sl_error_clear(err);
  return sl_error_set(err, SL_EK_CONNECTION, fmt, arg);
}

/* The answer of plugin to the current scramble, appended to b. */
static int auth_answer(sl_mywire *w, const char *plugin, sl_buf *b,
                       sl_error *err) {
  size_t len = strlen(w->password);
  if (strcmp(plugin, "mysql_native_password") == 0) {
    unsigned char out[20], s[20];
    if (len == 0) return SL_OK;
    memset(s, 0, sizeof s);
    memcpy(s, w->scramble, w->scramble_len < 20 ? w->scramble_len : 20);
    sl_mywire_native_scramble(w->password, len, s, out);
    sl_buf_add(b, (const char *)out, sizeof out);
    return SL_OK;
  }
  if (strcmp(plugin, "caching_sha2_password") == 0) {
    unsigned char out[32];
    if (len == 0) return SL_OK;
    sl_mywire_sha2_scramble(w->password, len, w->scramble,
                            w->scramble_len < 20 ? w->scramble_len : 20, out);
    sl_buf_add(b, (const char *)out, sizeof out);
    return SL_OK;
  }
  if (strcmp(plugin, "mysql_clear_password") == 0) {
    /* the password itself: only over TLS */
    if (!w->tls_on)
      return login_fail(err,
                        "the server asks for the password in clear text "
                        "(%s) over a connection without TLS",
                        plugin);
    sl_buf_add(b, w->password, len + 1);
    return SL_OK;
  }
  return login_fail(err,
                    "authentication plugin '%s' is not supported "
                    "(mysql_native_password, caching_sha2_password)",
                    plugin);
}

/* Queues the HandshakeResponse41 (or the SSLRequest: its first part). */
static int queue_response(sl_mywire *w, int ssl_request, sl_error *err) {
  sl_buf *b = begin_packet(w);
  put_n(b, w->caps, 4);
  put_n(b, 0x01000000u, 4); /* max packet size */
  sl_buf_addc(b, (char)SL_MW_UTF8MB4);
  {
    char zero[23];
    memset(zero, 0, sizeof zero);
    sl_buf_add(b, zero, sizeof zero);
  }
  if (!ssl_request) {
    sl_buf answer;
    sl_buf_init(&answer);
    sl_buf_add(b, w->user, strlen(w->user) + 1);
    if (auth_answer(w, w->plugin, &answer, err) != SL_OK) {
      sl_buf_free(&answer);
      return SL_ERROR;
    }
    if (w->caps & SL_MW_CLIENT_PLUGIN_AUTH_LENENC) {
      put_lenenc(b, answer.n);
    } else {
      if (answer.n > 255) answer.n = 255;
      sl_buf_addc(b, (char)answer.n);
    }
    if (answer.n > 0) sl_buf_add(b, answer.p, answer.n);
    sl_buf_free(&answer);
    if (w->caps & SL_MW_CLIENT_CONNECT_WITH_DB)
      sl_buf_add(b, w->database, strlen(w->database) + 1);
    if (w->caps & SL_MW_CLIENT_PLUGIN_AUTH)
      sl_buf_add(b, w->plugin, strlen(w->plugin) + 1);
  }
  return end_packet(w, err);
}

/* Reads the Initial Handshake v10 and answers it. */
static int on_hello(sl_mywire *w, const unsigned char *p, size_t n,
                    sl_error *err) {
  const unsigned char *end = p + n, *z;
  uint32_t server_caps, want;
  size_t k;
  if (n > 0 && p[0] == SL_MW_ERR) {
    sl_mywire_parse_err(p, n, err);
    err->kind = SL_EK_CONNECTION;
    return SL_ERROR;
  }
  if (n < 1 || p[0] != 10) {
    sl_error_clear(err);
    return sl_error_set(err, SL_EK_CONNECTION,
                        "the server speaks protocol version %u, not 10",
                        n > 0 ? (unsigned)p[0] : 0u);
  }
  p++;
  z = memchr(p, 0, (size_t)(end - p));
  if (z == NULL) return malformed(err, "handshake");
  k = (size_t)(z - p) < sizeof w->version ? (size_t)(z - p)
                                          : sizeof w->version - 1;
  memcpy(w->version, p, k);
  w->version[k] = '\0';
  p = z + 1;
  /* thread id, 8 bytes of scramble, filler, capabilities (low) */
  if (end - p < 4 + 8 + 1 + 2) return malformed(err, "handshake");
  memcpy(w->scramble, p + 4, 8);
  w->scramble_len = 8;
  server_caps = get2(p + 13);
  p += 15;
  w->plugin[0] = '\0';
  if (end - p >= 16) {
    size_t alen;
    /* charset, status, capabilities (high), auth data length, reserved */
    server_caps |= (uint32_t)get2(p + 3) << 16;
    alen = p[5];
    p += 16;
    if (server_caps & SL_MW_CLIENT_SECURE_CONNECTION) {
      size_t part = alen > 8 ? alen - 8 : 0, take;
      if (part < 13) part = 13;
      if ((size_t)(end - p) < part) part = (size_t)(end - p);
      take = part;
      /* the second part ends in a NUL that is not scramble */
      if (take > 0 && p[take - 1] == 0) take--;
      if (take > 12) take = 12;
      memcpy(w->scramble + 8, p, take);
      w->scramble_len = 8 + take;
      p += part;
    }
    if ((server_caps & SL_MW_CLIENT_PLUGIN_AUTH) && p < end) {
      z = memchr(p, 0, (size_t)(end - p));
      k = (size_t)((z ? z : end) - p);
      if (k >= sizeof w->plugin) k = sizeof w->plugin - 1;
      memcpy(w->plugin, p, k);
      w->plugin[k] = '\0';
    }
  }
  if (!(server_caps & SL_MW_CLIENT_PROTOCOL_41) ||
      !(server_caps & SL_MW_CLIENT_SECURE_CONNECTION))
    return login_fail(err, "the server (%s) is too old: it lacks protocol 4.1",
                      w->version);
  /* the plugins spoken here; another default gets the native answer, and
  ** the server switches if it insists */
  if (strcmp(w->plugin, "caching_sha2_password") != 0)
    snprintf(w->plugin, sizeof w->plugin, "%s", "mysql_native_password");
  want = SL_MW_CLIENT_LONG_PASSWORD | SL_MW_CLIENT_FOUND_ROWS |
         SL_MW_CLIENT_LONG_FLAG | SL_MW_CLIENT_PROTOCOL_41 |
         SL_MW_CLIENT_TRANSACTIONS | SL_MW_CLIENT_SECURE_CONNECTION |
         SL_MW_CLIENT_MULTI_RESULTS | SL_MW_CLIENT_PS_MULTI_RESULTS |
         SL_MW_CLIENT_PLUGIN_AUTH | SL_MW_CLIENT_PLUGIN_AUTH_LENENC;
  /* Not CLIENT_DEPRECATE_EOF: where a prepare reply ends depends on it,
  ** and a session taken from a keepalive pool (sleet_reused) must be read
  ** without knowing what its login agreed. */
  if (w->database != NULL) want |= SL_MW_CLIENT_CONNECT_WITH_DB;
  if (w->tls_mode != SL_MW_TLS_OFF) want |= SL_MW_CLIENT_SSL;
  w->caps = want & server_caps;
  if (w->tls_mode == SL_MW_TLS_REQUIRE && !(w->caps & SL_MW_CLIENT_SSL))
    return login_fail(err,
                      "the server (%s) does not support TLS, which the "
                      "connection requires",
                      w->version);
  if (w->database != NULL && !(w->caps & SL_MW_CLIENT_CONNECT_WITH_DB))
    return login_fail(err, "the server (%s) cannot select a database at login",
                      w->version);
  if (w->caps & SL_MW_CLIENT_SSL) {
    if (queue_response(w, 1, err) != SL_OK) return SL_ERROR;
    w->out_tls = 1;
    w->expect = 0;
    w->lstate = L_TLS;
    return SL_AGAIN;
  }
  if (queue_response(w, 0, err) != SL_OK) return SL_ERROR;
  w->lstate = L_AUTH;
  return SL_AGAIN;
}

/* Queues the bytes of an auth exchange packet (same sequence). */
static int queue_auth_data(sl_mywire *w, const char *p, size_t n,
                           sl_error *err) {
  sl_buf *b = begin_packet(w);
  if (n > 0) sl_buf_add(b, p, n);
  return end_packet(w, err);
}

/* A packet of the server while authenticating. */
static int on_auth(sl_mywire *w, const unsigned char *p, size_t n,
                   sl_error *err) {
  if (n == 0) return malformed(err, "empty packet during login");
  if (w->lstate == L_SHA2_KEY) {
    /* 0x01 + the PEM public key */
    sl_buf b;
    int rc;
    if (p[0] != 0x01) return malformed(err, "public key packet");
    sl_buf_init(&b);
    rc = sl_mywire_rsa_password(
        (const char *)p + 1, n - 1, w->password, strlen(w->password),
        w->scramble, w->scramble_len < 20 ? w->scramble_len : 20, &b, err);
    if (rc == SL_OK && b.oom) rc = oom(err);
    if (rc == SL_OK) rc = queue_auth_data(w, b.p, b.n, err);
    sl_buf_free(&b);
    if (rc != SL_OK) return SL_ERROR;
    w->lstate = L_AUTH;
    return SL_AGAIN;
  }
  switch (p[0]) {
  case SL_MW_OK: {
    sl_mywire_ok ok;
    if (sl_mywire_parse_ok(w, p, n, &ok, err) != SL_OK) return SL_ERROR;
    w->lstate = L_DONE;
    w->expect = 0;
    return SL_OK;
  }
  case SL_MW_ERR:
    sl_mywire_parse_err(p, n, err);
    err->kind = SL_EK_CONNECTION;
    return SL_ERROR;
  case SL_MW_EOF: {
    /* Auth Switch Request: plugin name, NUL, new scramble */
    const unsigned char *z, *end = p + n;
    size_t k;
    sl_buf b;
    int rc;
    if (n == 1)
      return login_fail(err, "the server asks for the %s authentication",
                        "pre-4.1 (old_password)");
    z = memchr(p + 1, 0, n - 1);
    k = (size_t)((z ? z : end) - (p + 1));
    if (k >= sizeof w->plugin) k = sizeof w->plugin - 1;
    memcpy(w->plugin, p + 1, k);
    w->plugin[k] = '\0';
    if (z != NULL) {
      size_t slen = (size_t)(end - (z + 1));
      if (slen > 0 && z[slen] == 0) slen--; /* trailing NUL */
      if (slen > sizeof w->scramble) slen = sizeof w->scramble;
      memcpy(w->scramble, z + 1, slen);
      w->scramble_len = slen;
    }
    sl_buf_init(&b);
    rc = auth_answer(w, w->plugin, &b, err);
    if (rc == SL_OK && b.oom) rc = oom(err);
    if (rc == SL_OK) rc = queue_auth_data(w, b.p, b.n, err);
    sl_buf_free(&b);
    return rc == SL_OK ? SL_AGAIN : SL_ERROR;
  }
  case 0x01:
    /* AuthMoreData of caching_sha2_password */
    if (strcmp(w->plugin, "caching_sha2_password") != 0 || n < 2)
      return malformed(err, "unexpected auth data");
    if (p[1] == 0x03) return SL_AGAIN; /* fast auth done: the OK follows */
    if (p[1] == 0x04) {
      if (w->tls_on) {
        /* full auth over TLS: the password itself */
        if (queue_auth_data(w, w->password, strlen(w->password) + 1, err) !=
            SL_OK)
          return SL_ERROR;
        return SL_AGAIN;
      }
      if (queue_auth_data(w, "\x02", 1, err) != SL_OK) return SL_ERROR;
      w->lstate = L_SHA2_KEY;
      return SL_AGAIN;
    }
    return malformed(err, "unexpected caching_sha2_password state");
  default:
    return malformed(err, "unexpected packet during login");
  }
}

int sl_mywire_login_step(sl_mywire *w, sl_error *err) {
  for (;;) {
    const unsigned char *p;
    size_t n;
    int rc;
    switch (w->lstate) {
    case L_DONE:
      return SL_OK;
    case L_TLS:
      /* the host has run the TLS handshake: the response goes over it */
      w->tls_on = 1;
      if (queue_response(w, 0, err) != SL_OK) return SL_ERROR;
      w->expect = 1;
      w->lstate = L_AUTH;
      return SL_AGAIN;
    case L_HELLO:
    case L_AUTH:
    case L_SHA2_KEY:
      if (!sl_mywire_packet(w, &p, &n)) return SL_AGAIN;
      rc =
          w->lstate == L_HELLO ? on_hello(w, p, n, err) : on_auth(w, p, n, err);
      sl_mywire_next(w);
      if (rc == SL_ERROR) {
        w->expect = 0;
        return SL_ERROR;
      }
      if (rc == SL_OK) return SL_OK;
      /* SL_AGAIN: answered, or waits for the next packet */
      if (w->lstate == L_TLS) return SL_AGAIN;
      continue;
    default:
      return login_fail(err, "%s", "no login in progress");
    }
  }
}

/* }==================================================================== */
