/*
** sl_proxy.h — the requests and answers of the proxy drivers
** (drivers/proxy.c), shared with their binding (ext/lua_proxy.c).
**
** Integers are little-endian; a "bytes" is a u32 length, the bytes and a
** NUL (not counted), so names can be read in place as C strings.
**
**   request: 'Q' bytes(sql) u32(nparams) value*
**   answer:  u32(length of the rest), then
**            'R' u32(ncols) u32(nrows) i64(rowsAffected) u8(hasId)
**                i64(lastInsertId) bytes(name)*ncols value*(ncols*nrows)
**          | 'E' bytes(message) bytes(sqlstate) bytes(kind) bytes(code)
**                bytes(constraint) bytes(table) bytes(column) bytes(detail)
**                (any of them empty when unknown; kind a name of API.md's
**                error kinds, database when empty)
**   value:   'n' | 'i' i64 | 'f' u64 (IEEE bits) | 'b' u8 | 't' bytes
**          | 'x' bytes (blob)
**
** A reader never reads past its end: a short or malformed input sets bad.
*/
#ifndef SL_PROXY_H
#define SL_PROXY_H

#include <stdint.h>
#include <string.h>

#include "../ext/sleet.h"

#define SL_PROXY_QUERY 'Q'
#define SL_PROXY_ROWS 'R'
#define SL_PROXY_ERROR 'E'
/* the largest answer accepted (1 GiB) */
#define SL_PROXY_MAX ((size_t)1 << 30)

static inline void sl_proxy_write_u32(sl_buf *b, uint32_t v) {
  char p[4];
  int i;
  for (i = 0; i < 4; i++)
    p[i] = (char)((v >> (8 * i)) & 0xff);
  sl_buf_add(b, p, 4);
}

static inline void sl_proxy_write_u64(sl_buf *b, uint64_t v) {
  char p[8];
  int i;
  for (i = 0; i < 8; i++)
    p[i] = (char)((v >> (8 * i)) & 0xff);
  sl_buf_add(b, p, 8);
}

static inline void sl_proxy_write_bytes(sl_buf *b, const char *s, size_t n) {
  if (n > UINT32_MAX) {
    b->oom = 1;
    return;
  }
  sl_proxy_write_u32(b, (uint32_t)n);
  sl_buf_add(b, s, n);
  sl_buf_addc(b, '\0');
}

static inline void sl_proxy_write_value(sl_buf *b, const sl_value *v) {
  uint64_t bits;
  switch (v->type) {
  case SL_V_INT:
    sl_buf_addc(b, 'i');
    sl_proxy_write_u64(b, (uint64_t)v->u.i);
    break;
  case SL_V_FLOAT:
    sl_buf_addc(b, 'f');
    memcpy(&bits, &v->u.f, sizeof bits);
    sl_proxy_write_u64(b, bits);
    break;
  case SL_V_BOOL:
    sl_buf_addc(b, 'b');
    sl_buf_addc(b, (char)(v->u.b != 0));
    break;
  case SL_V_TEXT:
    sl_buf_addc(b, 't');
    sl_proxy_write_bytes(b, v->u.s.p, v->u.s.n);
    break;
  case SL_V_BLOB:
    sl_buf_addc(b, 'x');
    sl_proxy_write_bytes(b, v->u.s.p, v->u.s.n);
    break;
  default:
    sl_buf_addc(b, 'n');
    break;
  }
}

typedef struct sl_proxy_reader {
  const char *p;
  size_t n, pos;
  int bad;
} sl_proxy_reader;

static inline void sl_proxy_reader_init(sl_proxy_reader *r, const char *p,
                                        size_t n) {
  r->p = p;
  r->n = n;
  r->pos = 0;
  r->bad = 0;
}

static inline int sl_proxy_has(sl_proxy_reader *r, size_t k) {
  if (r->bad || r->n - r->pos < k) {
    r->bad = 1;
    return 0;
  }
  return 1;
}

static inline unsigned sl_proxy_read_u8(sl_proxy_reader *r) {
  if (!sl_proxy_has(r, 1)) return 0;
  return (unsigned char)r->p[r->pos++];
}

static inline uint32_t sl_proxy_read_u32(sl_proxy_reader *r) {
  uint32_t v = 0;
  int i;
  if (!sl_proxy_has(r, 4)) return 0;
  for (i = 0; i < 4; i++)
    v |= (uint32_t)(unsigned char)r->p[r->pos + (size_t)i] << (8 * i);
  r->pos += 4;
  return v;
}

static inline uint64_t sl_proxy_read_u64(sl_proxy_reader *r) {
  uint64_t v = 0;
  int i;
  if (!sl_proxy_has(r, 8)) return 0;
  for (i = 0; i < 8; i++)
    v |= (uint64_t)(unsigned char)r->p[r->pos + (size_t)i] << (8 * i);
  r->pos += 8;
  return v;
}

static inline long long sl_proxy_read_i64(sl_proxy_reader *r) {
  return (long long)sl_proxy_read_u64(r);
}

/* The bytes in place (NUL-terminated), or "" when malformed. */
static inline const char *sl_proxy_read_bytes(sl_proxy_reader *r, size_t *len) {
  uint32_t n = sl_proxy_read_u32(r);
  const char *s;
  *len = 0;
  if (!sl_proxy_has(r, (size_t)n + 1) || r->p[r->pos + n] != '\0') {
    r->bad = 1;
    return "";
  }
  s = r->p + r->pos;
  r->pos += (size_t)n + 1;
  *len = n;
  return s;
}

static inline void sl_proxy_read_value(sl_proxy_reader *r, sl_value *v) {
  uint64_t bits;
  size_t n;
  switch (sl_proxy_read_u8(r)) {
  case 'n':
    v->type = SL_V_NULL;
    break;
  case 'i':
    v->type = SL_V_INT;
    v->u.i = (int64_t)sl_proxy_read_u64(r);
    break;
  case 'f':
    v->type = SL_V_FLOAT;
    bits = sl_proxy_read_u64(r);
    memcpy(&v->u.f, &bits, sizeof bits);
    break;
  case 'b':
    v->type = SL_V_BOOL;
    v->u.b = sl_proxy_read_u8(r) != 0;
    break;
  case 't':
  case 'x':
    v->type = r->p[r->pos - 1] == 't' ? SL_V_TEXT : SL_V_BLOB;
    v->u.s.p = sl_proxy_read_bytes(r, &n);
    v->u.s.n = n;
    break;
  default:
    r->bad = 1;
    v->type = SL_V_NULL;
    break;
  }
}

#endif
