/*
** pg_values.h — what both PostgreSQL drivers (postgresql.c on libpq,
** pgwire.c on the wire engine) share so that their rows and parameters are
** identical: type OIDs, parameter text for numbers, bytea decoding and the
** text-format cell → sl_value conversion.
**
** Header-only (static functions) like sl_num.h: the libpq driver is a
** module of its own that links no core object but sl_error and sl_buf. A
** file including it defines _POSIX_C_SOURCE 200809L before any #include
** (sl_num.h needs it).
*/
#ifndef PG_VALUES_H
#define PG_VALUES_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../ext/sleet.h"
#include "../ext/sl_num.h"

/* Type OIDs of pg_type.h (stable across server versions). */
#define PG_OID_BOOL 16
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_OID 26
#define PG_OID_FLOAT4 700
#define PG_OID_FLOAT8 701

/* The protocol counts parameters in 16 bits. */
#define PG_MAX_PARAMS 65535
/* Room for the text of one number parameter. */
#define PG_NUM_TEXT_SIZE 40

/* Shortest text that reads back as exactly x; PostgreSQL's spellings of
** the special values. */
static inline void pgv_fmt_double(char *buf, size_t size, double x) {
  int prec;
  if (x != x) {
    snprintf(buf, size, "NaN");
    return;
  }
  if (x - x != 0.0) {
    snprintf(buf, size, "%s", x < 0 ? "-Infinity" : "Infinity");
    return;
  }
  for (prec = 15; prec < 17; prec++) {
    sl_numfmt(buf, size, "%.*g", prec, x);
    if (sl_strtod(buf, NULL) == x) return;
  }
  sl_numfmt(buf, size, "%.17g", x);
}

/* The text a number or boolean parameter travels as (buf holds
** PG_NUM_TEXT_SIZE bytes); v is SL_V_INT, SL_V_FLOAT or SL_V_BOOL. */
static inline void pgv_param_text(char *buf, const sl_value *v) {
  switch (v->type) {
  case SL_V_INT:
    snprintf(buf, PG_NUM_TEXT_SIZE, "%lld", (long long)v->u.i);
    break;
  case SL_V_FLOAT:
    pgv_fmt_double(buf, PG_NUM_TEXT_SIZE, v->u.f);
    break;
  default:
    snprintf(buf, PG_NUM_TEXT_SIZE, "%s", v->u.b ? "true" : "false");
    break;
  }
}

static inline int pgv_hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Decodes bytea text (hex "\x0a0b" or the old escape form) into dst, which
** holds at least n bytes. Returns the length, or -1 for malformed text. */
static inline long long pgv_unbytea(const char *src, size_t n, char *dst) {
  size_t i, o = 0;
  if (n >= 2 && src[0] == '\\' && src[1] == 'x') {
    for (i = 2; i < n; i += 2) {
      int hi = pgv_hexval(src[i]), lo;
      if (hi < 0 || i + 1 >= n || (lo = pgv_hexval(src[i + 1])) < 0) return -1;
      dst[o++] = (char)(hi << 4 | lo);
    }
    return (long long)o;
  }
  for (i = 0; i < n; o++) {
    if (src[i] != '\\') {
      dst[o] = src[i++];
    } else if (i + 1 < n && src[i + 1] == '\\') {
      dst[o] = '\\';
      i += 2;
    } else if (i + 3 < n && src[i + 1] >= '0' && src[i + 1] <= '3' &&
               src[i + 2] >= '0' && src[i + 2] <= '7' && src[i + 3] >= '0' &&
               src[i + 3] <= '7') {
      dst[o] = (char)((src[i + 1] - '0') << 6 | (src[i + 2] - '0') << 3 |
                      (src[i + 3] - '0'));
      i += 4;
    } else {
      return -1;
    }
  }
  return (long long)o;
}

/* A text-format cell of type oid: p (NUL-terminated, n bytes) into out.
** Integers and floats natively (text when they do not parse), booleans as
** booleans, everything else as text — numeric (exact), dates and times,
** json, uuid, enums. bytea is the caller's (its bytes need a buffer): here
** it stays text. */
static inline void pgv_cell(unsigned oid, const char *p, size_t n,
                            sl_value *out) {
  char *end;
  switch (oid) {
  case PG_OID_INT2:
  case PG_OID_INT4:
  case PG_OID_INT8:
  case PG_OID_OID: {
    long long x;
    errno = 0;
    x = strtoll(p, &end, 10);
    if (errno == 0 && end != p && *end == '\0') {
      out->type = SL_V_INT;
      out->u.i = (int64_t)x;
      return;
    }
    break;
  }
  case PG_OID_FLOAT4:
  case PG_OID_FLOAT8: {
    /* strtod reads "NaN", "Infinity" and "-Infinity" too */
    double x = sl_strtod(p, &end);
    if (end != p && *end == '\0') {
      out->type = SL_V_FLOAT;
      out->u.f = x;
      return;
    }
    break;
  }
  case PG_OID_BOOL:
    out->type = SL_V_BOOL;
    out->u.b = p[0] == 't';
    return;
  default:
    break;
  }
  out->type = SL_V_TEXT;
  out->u.s.p = p;
  out->u.s.n = n;
}

#endif
