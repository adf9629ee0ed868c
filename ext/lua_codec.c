/*
** lua_codec.c — Lua values <-> sl_value (API.md "Values crossing the
** boundary") and the JSON codec (jansson).
**
** Encoding is strict: a value of the wrong Lua type is a validation error
** that names the column, so bad input is caught before SQL is sent.
** Decoding is tolerant of each driver's natural cell types: a cell that does
** not fit its codec (SQLite's dynamic typing allows anything anywhere) is
** returned as its natural Lua value rather than failing the whole read.
**
** Times are computed here with a days-from-civil algorithm, never with
** timegm/mktime, so the results do not depend on the C library, the locale
** or the process time zone.
**
** Memory: jansson values are freed on every path. Building Lua values from
** a decoded document can raise only on memory errors; the document is then
** held by a small userdata whose __gc frees it.
*/
/* newlocale and uselocale (sl_num.h) are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "lua_sleet.h"
#include "sl_num.h"

/* Nesting limit of JSON documents, both ways. */
#define SL_JSON_MAX_DEPTH 1000
/* Real numbers are printed with the precision the document needs (see
** jenc.prec), so 0.1 is written "0.1" and every value still reads back
** exactly. */
#define SL_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS)
#define SL_JSON_LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)
/* Metatable of the userdata that owns a decoded document while it is
** converted (private to this file). */
#define SL_LUA_JSONBOX "sleet.JsonBox"

/* {====================================================================
** Errors and small helpers
** ===================================================================== */

typedef enum fam { FAM_SQLITE, FAM_POSTGRESQL, FAM_MYSQL } fam;

/* The database family of d; a missing dialect behaves like SQLite (plain
** integers and 0/1 booleans). */
static fam family(const sl_dialect *d) {
  if (d == NULL || d->name == NULL) return FAM_SQLITE;
  if (strcmp(d->name, "postgresql") == 0) return FAM_POSTGRESQL;
  if (strcmp(d->name, "mysql") == 0) return FAM_MYSQL;
  return FAM_SQLITE;
}

/* Sets a validation error "column: message" and fills err->table and
** err->column from "table.column" (the last dot separates them). */
static int bad_value(sl_error *err, const char *column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int bad_value(sl_error *err, const char *column, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (column == NULL || column[0] == '\0')
    return sl_error_set(err, SL_EK_VALIDATION, "%s", msg);
  sl_error_set(err, SL_EK_VALIDATION, "%s: %s", column, msg);
  {
    const char *dot = strrchr(column, '.');
    if (dot != NULL) {
      size_t n = (size_t)(dot - column);
      if (n >= sizeof err->table) n = sizeof err->table - 1;
      memcpy(err->table, column, n);
      err->table[n] = '\0';
      sl_error_field(err->column, sizeof err->column, dot + 1);
    } else {
      sl_error_field(err->column, sizeof err->column, column);
    }
  }
  return SL_ERROR;
}

/* Raises Lua's out-of-memory message; for arena failures (the caller keeps
** its arena in a userdata, so nothing leaks). */
static int oom(lua_State *L) {
  return luaL_error(L, "not enough memory");
}

static int is_finite(double x) {
  return x == x && x - x == 0.0;
}

/* The fewest significant digits (15..17) with which "%.*g" reads back as
** exactly x; %g drops trailing zeros, so 15 also covers shorter numbers. */
static int real_precision(double x) {
  char buf[40];
  int prec;
  for (prec = 15; prec < 17; prec++) {
    sl_numfmt(buf, sizeof buf, "%.*g", prec, x);
    if (sl_strtod(buf, NULL) == x) return prec;
  }
  return 17;
}

/* Shortest round-trip text of x ("0.1", not "0.10000000000000001"). */
static void fmt_double(char *buf, size_t size, double x) {
  sl_numfmt(buf, size, "%.*g", real_precision(x), x);
}

/* A short description of the Lua value at idx for messages:
** "float 1.5", "string \"abc\"", "table". */
static void describe(lua_State *L, int idx, char *buf, size_t size) {
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER:
    if (sl_lua_isinteger(L, idx)) {
      snprintf(buf, size, "integer %lld", (long long)sl_lua_toint64(L, idx));
    } else {
      char num[40];
      fmt_double(num, sizeof num, (double)lua_tonumber(L, idx));
      snprintf(buf, size, "float %s", num);
    }
    break;
  case LUA_TSTRING: {
    size_t n, i;
    const char *s = lua_tolstring(L, idx, &n);
    int shown = n <= 40;
    for (i = 0; shown && i < n; i++)
      if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) shown = 0;
    if (shown)
      snprintf(buf, size, "string \"%.*s\"", (int)n, s);
    else
      snprintf(buf, size, "string");
    break;
  }
  case LUA_TBOOLEAN:
    snprintf(buf, size, "boolean %s", lua_toboolean(L, idx) ? "true" : "false");
    break;
  default:
    snprintf(buf, size, "%s", lua_typename(L, lua_type(L, idx)));
    break;
  }
}

/* "expected <what>, got <description of the value>". */
static int wrong_type(lua_State *L, int idx, const char *what,
                      const char *column, sl_error *err) {
  char got[80];
  describe(L, idx, got, sizeof got);
  return bad_value(err, column, "expected %s, got %s", what, got);
}

/* The integer value of the number at idx: a Lua integer, or a float with an
** exact integral value in int64's range. Returns 0 when there is none. */
static int to_int64(lua_State *L, int idx, int64_t *out) {
  double f;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  if (sl_lua_isinteger(L, idx)) {
    *out = sl_lua_toint64(L, idx);
    return 1;
  }
  f = (double)lua_tonumber(L, idx);
  /* 2^63 is exact as a double; NaN fails both comparisons. */
  if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) return 0;
  if ((double)(int64_t)f != f) return 0;
  *out = (int64_t)f;
  return 1;
}

/* Copies n bytes into the arena as a TEXT or BLOB value. */
static void set_bytes(lua_State *L, sl_arena *a, sl_value *out, sl_vtype t,
                      const char *s, size_t n) {
  char *p = sl_arena_strndup(a, s, n);
  if (p == NULL) oom(L);
  out->type = t;
  out->u.s.p = p;
  out->u.s.n = n;
}

static void set_text(lua_State *L, sl_arena *a, sl_value *out, const char *s) {
  set_bytes(L, a, out, SL_V_TEXT, s, strlen(s));
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t floor_mod(int64_t a, int64_t b) {
  return a - floor_div(a, b) * b;
}

/* }==================================================================== */

/* {====================================================================
** Calendar: proleptic Gregorian, days since 1970-01-01
** (H. Hinnant's days_from_civil / civil_from_days)
** ===================================================================== */

static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  int64_t era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dim[m - 1];
}

/* Reads exactly count decimal digits at s[*pos]. */
static int digits(const char *s, size_t n, size_t *pos, int count, int *out) {
  int v = 0, i;
  if (*pos + (size_t)count > n) return 0;
  for (i = 0; i < count; i++) {
    char ch = s[*pos + (size_t)i];
    if (ch < '0' || ch > '9') return 0;
    v = v * 10 + (ch - '0');
  }
  *pos += (size_t)count;
  *out = v;
  return 1;
}

static int expect(const char *s, size_t n, size_t *pos, char ch) {
  if (*pos >= n || s[*pos] != ch) return 0;
  (*pos)++;
  return 1;
}

/* "YYYY-MM-DD" → days since the epoch. */
static int parse_date_at(const char *s, size_t n, size_t *pos, int64_t *days) {
  int y, m, d;
  if (!digits(s, n, pos, 4, &y) || !expect(s, n, pos, '-') ||
      !digits(s, n, pos, 2, &m) || !expect(s, n, pos, '-') ||
      !digits(s, n, pos, 2, &d))
    return 0;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return 0;
  *days = days_from_civil(y, m, d);
  return 1;
}

/* "HH:MM:SS[.fffffffff]" → seconds of the day and microseconds (extra
** fraction digits are validated and truncated). allow24: "24:00:00". */
static int parse_time_at(const char *s, size_t n, size_t *pos, int allow24,
                         int64_t *sod, int *us) {
  int h, mi, se, frac = 0, nd = 0;
  if (!digits(s, n, pos, 2, &h) || !expect(s, n, pos, ':') ||
      !digits(s, n, pos, 2, &mi) || !expect(s, n, pos, ':') ||
      !digits(s, n, pos, 2, &se))
    return 0;
  if (*pos < n && s[*pos] == '.') {
    (*pos)++;
    while (*pos < n && s[*pos] >= '0' && s[*pos] <= '9') {
      if (nd < 6) frac = frac * 10 + (s[*pos] - '0');
      nd++;
      (*pos)++;
    }
    if (nd == 0 || nd > 9) return 0;
    for (; nd < 6; nd++)
      frac *= 10;
  }
  if (mi > 59 || se > 59) return 0;
  if (h > 23 && !(allow24 && h == 24 && mi == 0 && se == 0 && frac == 0))
    return 0;
  *sod = (int64_t)h * 3600 + mi * 60 + se;
  *us = frac;
  return 1;
}

/* An optional UTC offset at *pos: 'Z' or "+HH", "+HH:MM", "+HHMM",
** "+HH:MM:SS" (PostgreSQL prints the last for historical zones). *off is
** in seconds, 0 when there is none. Returns 0 on a malformed offset. */
static int parse_offset_at(const char *s, size_t n, size_t *pos, int64_t *off) {
  int sign, oh, om = 0, os = 0;
  *off = 0;
  if (*pos < n && (s[*pos] == 'Z' || s[*pos] == 'z')) {
    (*pos)++;
    return 1;
  }
  if (*pos >= n || (s[*pos] != '+' && s[*pos] != '-')) return 1;
  sign = s[*pos] == '-' ? -1 : 1;
  (*pos)++;
  if (!digits(s, n, pos, 2, &oh)) return 0;
  if (*pos < n && s[*pos] == ':') {
    (*pos)++;
    if (!digits(s, n, pos, 2, &om)) return 0;
    if (*pos < n && s[*pos] == ':') {
      (*pos)++;
      if (!digits(s, n, pos, 2, &os)) return 0;
    }
  } else if (*pos < n) {
    if (!digits(s, n, pos, 2, &om)) return 0;
  }
  if (oh > 23 || om > 59 || os > 59) return 0;
  *off = sign * ((int64_t)oh * 3600 + om * 60 + os);
  return 1;
}

/* An ISO-8601 / SQL timestamp: "YYYY-MM-DD", optionally followed by 'T' or
** ' ' and a time, optionally followed by 'Z' or an offset "+HH", "+HH:MM",
** "+HHMM", "+HH:MM:SS" (PostgreSQL prints the last for historical zones).
** No offset means UTC. Out: seconds since the epoch (UTC) and
** microseconds (0..999999). */
static int parse_timestamp(const char *s, size_t n, int64_t *secs, int *us) {
  size_t pos = 0;
  int64_t days, sod = 0, off = 0;
  int frac = 0;
  if (!parse_date_at(s, n, &pos, &days)) return 0;
  if (pos < n) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return 0;
    pos++;
    if (!parse_time_at(s, n, &pos, 0, &sod, &frac)) return 0;
    if (!parse_offset_at(s, n, &pos, &off)) return 0;
  }
  if (pos != n) return 0;
  *secs = days * 86400 + sod - off;
  *us = frac;
  return 1;
}

typedef enum ts_style {
  TS_SQL,   /* "YYYY-MM-DD HH:MM:SS[.ffffff]" (for the database) */
  TS_ISO,   /* "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z" (fraction when set) */
  TS_ISO_MS /* "YYYY-MM-DDTHH:MM:SS.fffZ" */
} ts_style;

/* Formats a UTC instant. Returns 0 when the year is outside 0..9999 (which
** neither ISO-8601's basic form nor the databases accept). */
static int fmt_timestamp(char *buf, size_t size, int64_t secs, int us,
                         ts_style style) {
  int64_t days = floor_div(secs, 86400), y;
  int64_t sod = floor_mod(secs, 86400);
  int m, d, h = (int)(sod / 3600), mi = (int)(sod / 60 % 60),
            se = (int)(sod % 60);
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999) return 0;
  if (style == TS_SQL) {
    if (us != 0)
      snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%06d", (int)y, m, d, h,
               mi, se, us);
    else
      snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", (int)y, m, d, h, mi,
               se);
  } else if (style == TS_ISO_MS) {
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d, h,
             mi, se, us / 1000);
  } else if (us == 0) {
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, h, mi,
             se);
  } else if (us % 1000 == 0) {
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d, h,
             mi, se, us / 1000);
  } else {
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", (int)y, m, d, h,
             mi, se, us);
  }
  return 1;
}

/* A decimal number as text: [+-] digits [. digits] [(e|E) [+-] digits],
** with at least one mantissa digit ("5.", ".5" are fine; NaN is not). */
static int is_decimal(const char *s, size_t n) {
  size_t i = 0, nd = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++, nd++;
  if (i < n && s[i] == '.') {
    i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, nd++;
  }
  if (nd == 0) return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    size_t ne = 0;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++, ne++;
    if (ne == 0) return 0;
  }
  return i == n;
}

/* Whether SQLite keeps the decimal s (already is_decimal) exactly in a
** NUMERIC column: integers that fit 64 bits are stored as INTEGER, anything
** else becomes a REAL, which holds 15 significant digits for certain. */
static int sqlite_keeps_decimal(const char *s, size_t n) {
  size_t i = 0, first = 0, last = 0, sig = 0, nint = 0;
  int frac = 0, seen = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
    if (s[i] == '.') {
      frac = 1;
      continue;
    }
    if (!frac) nint++;
    if (s[i] != '0') {
      if (!seen) first = sig;
      seen = 1;
      last = sig;
    }
    sig++;
  }
  if (!seen) return 1;                 /* zero */
  if (i == n && !frac && nint <= 19) { /* fits an INTEGER? */
    char tmp[32];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    (void)strtoll(tmp, NULL, 10);
    if (errno == 0) return 1;
  }
  return last - first + 1 <= 15;
}

/* }==================================================================== */

/* {====================================================================
** JSON encoding: Lua value → json_t
**
** Nothing here raises: the walk uses only raw, non-allocating Lua calls and
** lua_checkstack, so the partial document is always released by the code
** that built it.
** ===================================================================== */

typedef struct jenc {
  lua_State *L;
  sl_error *err;
  const char *column;
  int depth;
  int prec; /* digits every real of the document needs to round-trip */
  const void *path[SL_JSON_MAX_DEPTH]; /* tables being encoded (cycles) */
} jenc;

static json_t *jenc_value(jenc *c, int idx);

static json_t *jenc_fail_oom(jenc *c) {
  bad_value(c->err, c->column, "not enough memory to encode JSON");
  return NULL;
}

/* Appends t[1..n] to the array j; 0 on error (err set). */
static int jenc_fill_array(jenc *c, int idx, json_t *j, size_t n) {
  lua_State *L = c->L;
  size_t k;
  for (k = 1; k <= n; k++) {
    json_t *v;
    lua_rawgeti(L, idx, (int)k);
    v = jenc_value(c, lua_gettop(L));
    lua_pop(L, 1);
    if (v == NULL) return 0;
    if (json_array_append_new(j, v) != 0) { /* v is released */
      jenc_fail_oom(c);
      return 0;
    }
  }
  return 1;
}

/* Sets every (string key, value) of the table at idx in the object j; 0 on
** error (err set). */
static int jenc_fill_object(jenc *c, int idx, json_t *j) {
  lua_State *L = c->L;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    size_t kl;
    const char *key = lua_tolstring(L, -2, &kl); /* a string: no change */
    json_t *v;
    if (memchr(key, '\0', kl) != NULL) {
      /* jansson writes such keys but cannot read them back */
      lua_pop(L, 2);
      bad_value(c->err, c->column, "JSON object key contains a NUL byte");
      return 0;
    }
    v = jenc_value(c, lua_gettop(L));
    lua_pop(L, 1);
    if (v == NULL) {
      lua_pop(L, 1);
      return 0;
    }
    /* Fails (releasing v) on invalid UTF-8, or when out of memory. */
    if (json_object_setn_new(j, key, kl, v) != 0) {
      lua_pop(L, 1);
      bad_value(c->err, c->column, "JSON object key is not valid UTF-8");
      return 0;
    }
  }
  return 1;
}

/* A table: an array when its keys are exactly 1..n (n >= 1), else an object
** with string keys; {} for an empty table. */
static json_t *jenc_table(jenc *c, int idx) {
  lua_State *L = c->L;
  const void *p = lua_topointer(L, idx);
  size_t count = 0, nstr = 0, nseq = 0, nnum = 0;
  int64_t maxkey = 0;
  int badtype = LUA_TNONE, i, ok;
  json_t *j;
  if (c->depth >= SL_JSON_MAX_DEPTH) {
    bad_value(c->err, c->column, "JSON nested more than %d levels",
              SL_JSON_MAX_DEPTH);
    return NULL;
  }
  for (i = 0; i < c->depth; i++)
    if (c->path[i] == p) {
      bad_value(c->err, c->column,
                "cannot encode a table that contains "
                "itself as JSON");
      return NULL;
    }
  if (!lua_checkstack(L, 4)) {
    bad_value(c->err, c->column, "JSON nested too deeply (Lua stack)");
    return NULL;
  }
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    int64_t k;
    lua_pop(L, 1);
    count++;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING:
      nstr++;
      break;
    case LUA_TNUMBER:
      if (to_int64(L, -1, &k) && k >= 1) {
        nseq++;
        if (k > maxkey) maxkey = k;
      } else {
        nnum++;
      }
      break;
    default:
      if (badtype == LUA_TNONE) badtype = lua_type(L, -1);
      break;
    }
  }
  if (badtype != LUA_TNONE) {
    bad_value(c->err, c->column,
              "cannot encode a table with a %s key as "
              "JSON",
              lua_typename(L, badtype));
    return NULL;
  }
  if (nstr > 0 && nstr < count) {
    bad_value(c->err, c->column,
              "cannot encode a table with both string "
              "and number keys as JSON");
    return NULL;
  }
  if (nstr == 0 && count > 0 &&
      (nnum > 0 || (uint64_t)maxkey != (uint64_t)nseq)) {
    bad_value(c->err, c->column,
              "cannot encode a table with number keys "
              "other than 1..n as JSON (a sparse array?)");
    return NULL;
  }
  j = nseq > 0 ? json_array() : json_object();
  if (j == NULL) return jenc_fail_oom(c);
  c->path[c->depth++] = p;
  ok =
      nseq > 0 ? jenc_fill_array(c, idx, j, nseq) : jenc_fill_object(c, idx, j);
  c->depth--;
  if (!ok) {
    json_decref(j);
    return NULL;
  }
  return j;
}

static json_t *jenc_value(jenc *c, int idx) {
  lua_State *L = c->L;
  json_t *j = NULL;
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    j = json_null();
    break;
  case LUA_TBOOLEAN:
    j = json_boolean(lua_toboolean(L, idx));
    break;
  case LUA_TNUMBER: {
    int64_t i;
    if (sl_lua_isinteger(L, idx) && to_int64(L, idx, &i)) {
      j = json_integer((json_int_t)i);
    } else {
      double f = (double)lua_tonumber(L, idx);
      if (!is_finite(f)) {
        bad_value(c->err, c->column, "cannot encode %s as JSON",
                  f != f ? "NaN" : "an infinite number");
        return NULL;
      }
      if (c->prec < 17) {
        int p = real_precision(f);
        if (p > c->prec) c->prec = p;
      }
      j = json_real(f);
    }
    break;
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    j = json_stringn(s, n);
    if (j == NULL) {
      bad_value(c->err, c->column,
                "string is not valid UTF-8 (JSON text "
                "must be UTF-8)");
      return NULL;
    }
    break;
  }
  case LUA_TTABLE:
    return jenc_table(c, idx);
#if !SL_LUA_INT64
  case SL_LUA_TCDATA: { /* LuaJIT's int64 / uint64 (up to 2^63-1) */
    uint64_t bits;
    int kind = sl_lua_tocdata64(L, idx, &bits);
    if (kind == 1 || (kind == 2 && bits <= (uint64_t)INT64_MAX)) {
      j = json_integer((json_int_t)(int64_t)bits);
      break;
    }
    bad_value(c->err, c->column,
              "cannot encode this cdata as JSON (int64 cdata, or uint64 up "
              "to 2^63-1, are integers)");
    return NULL;
  }
#endif
  case LUA_TLIGHTUSERDATA:
    if (sl_lua_isnull(L, idx)) {
      j = json_null();
      break;
    }
    /* fall through */
  default:
    bad_value(c->err, c->column, "cannot encode a %s as JSON",
              lua_typename(L, lua_type(L, idx)));
    return NULL;
  }
  if (j == NULL) return jenc_fail_oom(c);
  return j;
}

/* The document of the Lua value at idx (a new reference), or NULL with err
** set; *flags receives the flags to dump it with. The context is large (the
** cycle path), so it lives on the heap. */
static json_t *json_of(lua_State *L, int idx, const char *column, sl_error *err,
                       size_t *flags) {
  jenc *c = malloc(sizeof *c);
  json_t *j;
  if (c == NULL) {
    bad_value(err, column, "not enough memory to encode JSON");
    return NULL;
  }
  c->L = L;
  c->err = err;
  c->column = column;
  c->depth = 0;
  c->prec = 15;
  j = jenc_value(c, lua_absindex(L, idx));
  *flags = (size_t)SL_JSON_DUMP_FLAGS | JSON_REAL_PRECISION((size_t)c->prec);
  free(c);
  return j;
}

static int dump_to_buf(const char *buffer, size_t size, void *data) {
  sl_buf *b = data;
  sl_buf_add(b, buffer, size);
  return b->oom ? -1 : 0;
}

/* JSON text of the Lua value at idx appended to b: compact, object keys
** sorted (deterministic output), integers exact, floats as reals (NaN and
** infinities are errors), sleet.null as null. A table is an array when its
** keys are exactly 1..n, an object when all keys are strings, {} when
** empty; mixed or sparse tables, cycles, nesting beyond 1000 levels and
** strings that are not UTF-8 are validation errors. Never raises; out of
** memory (b->oom) is reported as an error too. */
int sl_lua_json_encode(lua_State *L, int idx, sl_buf *b, sl_error *err) {
  size_t flags;
  json_t *j = json_of(L, idx, NULL, err, &flags);
  int rc;
  if (j == NULL) return SL_ERROR;
  rc = json_dump_callback(j, dump_to_buf, b, flags);
  json_decref(j);
  if (rc != 0 || b->oom)
    return bad_value(err, NULL, "not enough memory to encode JSON");
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** JSON decoding: json_t → Lua value
** ===================================================================== */

static int jbox_gc(lua_State *L) {
  json_t **box = lua_touserdata(L, 1);
  if (box != NULL && *box != NULL) {
    json_decref(*box);
    *box = NULL;
  }
  return 0;
}

/* Pushes the Lua value of j. top: a null here is nil (else sleet.null, to
** keep array positions). May raise only on memory errors. */
/* ordered: each object also gets a metatable whose __keys is the list of
** its keys in document order (a Lua table forgets the order). */
static int jdec_value(lua_State *L, json_t *j, int depth, int ordered,
                      sl_error *err) {
  if (depth > SL_JSON_MAX_DEPTH)
    return bad_value(err, NULL, "JSON nested more than %d levels",
                     SL_JSON_MAX_DEPTH);
  if (!lua_checkstack(L, 4))
    return bad_value(err, NULL, "JSON nested too deeply (Lua stack)");
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    void *it;
    size_t size = json_object_size(j);
    lua_createtable(L, 0, size > INT_MAX ? INT_MAX : (int)size);
    for (it = json_object_iter(j); it != NULL;
         it = json_object_iter_next(j, it)) {
      lua_pushlstring(L, json_object_iter_key(it),
                      json_object_iter_key_len(it));
      if (jdec_value(L, json_object_iter_value(it), depth + 1, ordered, err) !=
          SL_OK) {
        lua_pop(L, 2);
        return SL_ERROR;
      }
      lua_rawset(L, -3);
    }
    if (ordered) {
      int i = 0;
      lua_createtable(L, 0, 1);
      lua_createtable(L, size > INT_MAX ? INT_MAX : (int)size, 0);
      for (it = json_object_iter(j); it != NULL;
           it = json_object_iter_next(j, it)) {
        lua_pushlstring(L, json_object_iter_key(it),
                        json_object_iter_key_len(it));
        lua_rawseti(L, -2, ++i);
      }
      lua_setfield(L, -2, "__keys");
      lua_setmetatable(L, -2);
    }
    break;
  }
  case JSON_ARRAY: {
    size_t i, size = json_array_size(j);
    if (size >= INT_MAX) return bad_value(err, NULL, "JSON array too long");
    lua_createtable(L, (int)size, 0);
    for (i = 0; i < size; i++) {
      if (jdec_value(L, json_array_get(j, i), depth + 1, ordered, err) !=
          SL_OK) {
        lua_pop(L, 1);
        return SL_ERROR;
      }
      lua_rawseti(L, -2, (int)i + 1);
    }
    break;
  }
  case JSON_STRING:
    lua_pushlstring(L, json_string_value(j), json_string_length(j));
    break;
  case JSON_INTEGER:
    sl_lua_pushint64(L, (int64_t)json_integer_value(j));
    break;
  case JSON_REAL:
    lua_pushnumber(L, (lua_Number)json_real_value(j));
    break;
  case JSON_TRUE:
    lua_pushboolean(L, 1);
    break;
  case JSON_FALSE:
    lua_pushboolean(L, 0);
    break;
  case JSON_NULL:
  default:
    if (depth == 0)
      lua_pushnil(L);
    else
      sl_lua_pushnull(L);
    break;
  }
  return SL_OK;
}

/* Pushes the Lua value of the JSON text s[0..n): objects become tables,
** arrays sequences, integers Lua integers (exact), null inside containers
** sleet.null (positions are kept) and nil at the top. Returns SL_OK, or
** SL_ERROR (validation) for invalid JSON, pushing nothing. May raise only
** on memory errors; the document is then freed by the collector. */
int sl_lua_json_decode(lua_State *L, const char *s, size_t n, sl_error *err) {
  return sl_lua_json_decode_ex(L, s, n, 0, err);
}

/* As sl_lua_json_decode; ordered: objects keep their key order in a
** metatable (__keys), for documents whose order means something. */
int sl_lua_json_decode_ex(lua_State *L, const char *s, size_t n, int ordered,
                          sl_error *err) {
  json_t **box;
  json_t *root;
  json_error_t jerr;
  int rc;
  if (!lua_checkstack(L, 4))
    return bad_value(err, NULL, "JSON nested too deeply (Lua stack)");
  box = lua_newuserdata(L, sizeof *box);
  *box = NULL;
  if (luaL_newmetatable(L, SL_LUA_JSONBOX)) {
    lua_pushcfunction(L, jbox_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  root = json_loadb(s, n, SL_JSON_LOAD_FLAGS, &jerr);
  if (root == NULL) {
    lua_pop(L, 1);
    return bad_value(err, NULL, "invalid JSON: %s (line %d, column %d)",
                     jerr.text, jerr.line, jerr.column);
  }
  *box = root;
  rc = jdec_value(L, root, 0, ordered, err);
  *box = NULL;
  json_decref(root);
  if (rc != SL_OK) {
    lua_pop(L, 1);
    return SL_ERROR;
  }
  lua_remove(L, -2);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Encoding: Lua value → sl_value
** ===================================================================== */

/* The JSON text of the value at idx, in the arena. */
static int encode_json(lua_State *L, int idx, sl_arena *a, sl_value *out,
                       const char *column, sl_error *err) {
  size_t n, flags;
  json_t *j = json_of(L, idx, column, err, &flags);
  char *p;
  if (j == NULL) return SL_ERROR;
  n = json_dumpb(j, NULL, 0, flags);
  if (n == 0) {
    json_decref(j);
    return bad_value(err, column, "not enough memory to encode JSON");
  }
  p = sl_arena_alloc(a, n + 1);
  if (p == NULL) {
    json_decref(j);
    return oom(L);
  }
  json_dumpb(j, p, n, flags);
  json_decref(j);
  p[n] = '\0';
  out->type = SL_V_TEXT;
  out->u.s.p = p;
  out->u.s.n = n;
  return SL_OK;
}

/* An instant (seconds + microseconds, UTC) as the dialect stores it: SQLite
** an integer (seconds, or ms when ms), others "YYYY-MM-DD HH:MM:SS[.f]".
** PostgreSQL gets an explicit "+00:00" so that a timestamptz column stores
** the right instant whatever the session's time zone (a timestamp without
** time zone ignores the offset). */
static int store_instant(lua_State *L, int64_t secs, int us, int ms,
                         const sl_dialect *d, sl_arena *a, sl_value *out,
                         const char *column, sl_error *err) {
  char buf[64];
  if (family(d) == FAM_SQLITE) {
    out->type = SL_V_INT;
    out->u.i = ms ? secs * 1000 + us / 1000 : secs;
    return SL_OK;
  }
  if (!fmt_timestamp(buf, sizeof buf, secs, us, TS_SQL))
    return bad_value(err, column,
                     "timestamp out of range (years 0000 to "
                     "9999)");
  if (family(d) == FAM_POSTGRESQL) {
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof buf - n, "+00:00");
  }
  set_text(L, a, out, buf);
  return SL_OK;
}

/* Years 0..9999 keep seconds well inside int64 when scaled to ms. */
#define SL_MAX_EPOCH_S INT64_C(253402300799)
#define SL_MIN_EPOCH_S INT64_C(-62167219200)

/* An epoch number (seconds, or ms when ms) for a timestamp column. */
static int encode_epoch(lua_State *L, int64_t v, int ms, const sl_dialect *d,
                        sl_arena *a, sl_value *out, const char *column,
                        sl_error *err) {
  int64_t secs = ms ? floor_div(v, 1000) : v;
  int us = ms ? (int)floor_mod(v, 1000) * 1000 : 0;
  /* SQLite would store any integer; the range is the one every dialect
  ** reads back as a timestamp. */
  if (secs < SL_MIN_EPOCH_S || secs > SL_MAX_EPOCH_S)
    return bad_value(err, column,
                     "timestamp out of range (years 0000 to "
                     "9999)");
  if (family(d) == FAM_SQLITE) {
    out->type = SL_V_INT;
    out->u.i = v;
    return SL_OK;
  }
  return store_instant(L, secs, us, ms, d, a, out, column, err);
}

static int encode_timestamp(lua_State *L, int idx, int ms, const sl_dialect *d,
                            sl_arena *a, sl_value *out, const char *column,
                            sl_error *err) {
  int64_t v;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    int64_t secs;
    int us;
    if (!parse_timestamp(s, n, &secs, &us)) {
      char got[80];
      describe(L, idx, got, sizeof got);
      return bad_value(err, column,
                       "invalid timestamp %s (expected "
                       "ISO-8601 like \"2024-01-02T03:04:05Z\")",
                       got);
    }
    if (secs < SL_MIN_EPOCH_S || secs > SL_MAX_EPOCH_S)
      return bad_value(err, column,
                       "timestamp out of range (years 0000 to "
                       "9999)");
    return store_instant(L, secs, us, ms, d, a, out, column, err);
  }
  if (to_int64(L, idx, &v))
    return encode_epoch(L, v, ms, d, a, out, column, err);
  return wrong_type(L, idx,
                    ms ? "an ISO-8601 string or integer epoch "
                         "milliseconds"
                       : "an ISO-8601 string or integer epoch "
                         "seconds",
                    column, err);
}

/* Decimal digits of an integer in 2^63 .. 2^64-1, without sign or
** leading zeros. */
static int is_uint64_above_int64(const char *s, size_t n) {
  static const char max[] = "18446744073709551615",
                    min[] = "9223372036854775808";
  size_t i;
  if (n < sizeof min - 1 || n > sizeof max - 1 || s[0] == '0') return 0;
  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  if (n == sizeof max - 1 && memcmp(s, max, n) > 0) return 0;
  if (n == sizeof min - 1 && memcmp(s, min, n) < 0) return 0;
  return 1;
}

#if !SL_LUA_INT64
/* LuaJIT's integers for the integer codecs: int64 / uint64 cdata exactly;
** a number beyond 2^53 refused, since LuaJIT may already have rounded it
** (9007199254740993 reads as ...992). Returns 1 with *rc set when it
** decided, 0 to go on with the ordinary rules. */
static int encode_luajit_int(lua_State *L, int idx, const sl_dialect *d,
                             sl_arena *a, sl_value *out, const char *column,
                             sl_error *err, int *rc) {
  uint64_t bits;
  int kind = sl_lua_tocdata64(L, idx, &bits);
  if (kind == 1 || (kind == 2 && bits <= (uint64_t)INT64_MAX)) {
    out->type = SL_V_INT;
    out->u.i = (int64_t)bits;
    *rc = SL_OK;
    return 1;
  }
  if (kind == 2) {
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)bits);
    if (family(d) == FAM_MYSQL && n > 0) {
      /* as MySQL's BIGINT UNSIGNED reads back (see above) */
      set_bytes(L, a, out, SL_V_TEXT, buf, (size_t)n);
      *rc = SL_OK;
    } else
      *rc = bad_value(err, column, "%sULL is beyond a signed 64-bit integer",
                      buf);
    return 1;
  }
  if (lua_type(L, idx) == LUA_TNUMBER) {
    double x = (double)lua_tonumber(L, idx);
    if (is_finite(x) &&
        (x > (double)SL_LUA_EXACT || x < -(double)SL_LUA_EXACT)) {
      *rc = bad_value(err, column,
                      "%.17g is beyond 2^53, where a LuaJIT number may "
                      "already be rounded: pass int64 cdata "
                      "(9007199254740993LL)",
                      x);
      return 1;
    }
  }
  return 0;
}
#endif

/* {====================================================================
** PostgreSQL arrays: a Lua sequence, nested for more dimensions, written
** as the array's text ('{1,NULL,"a \"b\""}') that the server parses with
** the column's type; each element goes through the element codec.
** ===================================================================== */

#define ARRAY_MAX_DEPTH 6 /* PostgreSQL's MAXDIM */

/* A growing text in the arena (outgrown blocks stay there until the
** query's arena is released: nothing to free on a raise). */
typedef struct abuf {
  lua_State *L;
  sl_arena *a;
  char *p;
  size_t n, cap;
} abuf;

static void ab_add(abuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    char *p;
    while (cap < b->n + n + 1)
      cap *= 2;
    p = sl_arena_alloc(b->a, cap);
    if (p == NULL) oom(b->L);
    if (b->n > 0) memcpy(p, b->p, b->n);
    b->p = p;
    b->cap = cap;
  }
  if (n > 0) memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void ab_adds(abuf *b, const char *s) {
  ab_add(b, s, strlen(s));
}

/* One encoded element in the array's text: quoted unless a number or a
** boolean, with '"' and '\' escaped. */
static int ab_element(abuf *b, const sl_value *v, const char *column,
                      sl_error *err) {
  static const char hex[] = "0123456789abcdef";
  char buf[48];
  size_t i, start;
  switch (v->type) {
  case SL_V_NULL:
    ab_adds(b, "NULL");
    return SL_OK;
  case SL_V_INT:
    snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
    ab_adds(b, buf);
    return SL_OK;
  case SL_V_FLOAT:
    if (v->u.f != v->u.f)
      ab_adds(b, "NaN");
    else if (!is_finite(v->u.f))
      ab_adds(b, v->u.f > 0 ? "Infinity" : "-Infinity");
    else {
      fmt_double(buf, sizeof buf, v->u.f);
      ab_adds(b, buf);
    }
    return SL_OK;
  case SL_V_BOOL:
    ab_adds(b, v->u.b ? "true" : "false");
    return SL_OK;
  case SL_V_TEXT:
    if (memchr(v->u.s.p, '\0', v->u.s.n) != NULL)
      return bad_value(err, column,
                       "an array element holds a NUL byte, which PostgreSQL "
                       "text cannot store");
    ab_adds(b, "\"");
    for (i = start = 0; i < v->u.s.n; i++)
      if (v->u.s.p[i] == '"' || v->u.s.p[i] == '\\') {
        ab_add(b, v->u.s.p + start, i - start);
        ab_adds(b, "\\");
        start = i;
      }
    ab_add(b, v->u.s.p + start, v->u.s.n - start);
    ab_adds(b, "\"");
    return SL_OK;
  case SL_V_BLOB:
    ab_adds(b, "\"\\\\x"); /* bytea's hex form, its '\' escaped */
    for (i = 0; i < v->u.s.n; i++) {
      unsigned char ch = (unsigned char)v->u.s.p[i];
      buf[0] = hex[ch >> 4];
      buf[1] = hex[ch & 15];
      ab_add(b, buf, 2);
    }
    ab_adds(b, "\"");
    return SL_OK;
  }
  return bad_value(err, column, "cannot write an array element");
}

/* True when the element on top of the stack opens a deeper level: a
** table, unless the elements are JSON values, or values of a custom type
** (a point is { x, y }) and its first element is no table. */
static int nested_level(lua_State *L, sl_codec ec) {
  int nested;
  if (lua_type(L, -1) != LUA_TTABLE || ec == SL_C_JSON) return 0;
  if (!((int)ec & SL_C_CUSTOM)) return 1;
  lua_rawgeti(L, -1, 1);
  nested = lua_type(L, -1) == LUA_TTABLE;
  lua_pop(L, 1);
  return nested;
}

/* Writes the sequence at idx (a table with the keys 1..n and no other) as
** one level of an array; see nested_level for the elements that open a
** deeper one. */
static int ab_array(lua_State *L, int idx, sl_codec ec, const sl_dialect *d,
                    abuf *b, const char *column, sl_error *err, int depth) {
  size_t n = lua_rawlen(L, idx), count = 0, i;
  if (depth > ARRAY_MAX_DEPTH)
    return bad_value(err, column,
                     "an array nested deeper than %d levels (PostgreSQL's "
                     "limit)",
                     ARRAY_MAX_DEPTH);
  luaL_checkstack(L, 4, NULL);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    count++;
  }
  if (n > INT_MAX) return bad_value(err, column, "an array too long");
  if (count != n)
    return bad_value(err, column,
                     "expected a sequence for an array (keys 1..n; write a "
                     "NULL element as sleet.null), got a table with other "
                     "keys");
  ab_adds(b, "{");
  for (i = 1; i <= n; i++) {
    sl_value v;
    int rc;
    if (i > 1) ab_adds(b, ",");
    lua_rawgeti(L, idx, (int)i);
    if (nested_level(L, ec))
      rc = ab_array(L, lua_absindex(L, -1), ec, d, b, column, err, depth + 1);
    else {
      rc = sl_lua_encode(L, -1, ec, d, b->a, &v, column, err);
      if (rc == SL_OK) rc = ab_element(b, &v, column, err);
    }
    lua_pop(L, 1);
    if (rc != SL_OK) return rc;
  }
  ab_adds(b, "}");
  return SL_OK;
}

static int encode_array(lua_State *L, int idx, sl_codec ec, const sl_dialect *d,
                        sl_arena *a, sl_value *out, const char *column,
                        sl_error *err) {
  abuf b;
  int rc;
  if (family(d) != FAM_POSTGRESQL)
    return bad_value(err, column, "only PostgreSQL has array columns");
  if (lua_type(L, idx) != LUA_TTABLE)
    return wrong_type(L, idx, "a sequence (Lua table) for an array", column,
                      err);
  b.L = L;
  b.a = a;
  b.p = NULL;
  b.n = b.cap = 0;
  rc = ab_array(L, idx, ec, d, &b, column, err, 1);
  if (rc != SL_OK) return rc;
  out->type = SL_V_TEXT;
  out->u.s.p = b.p;
  out->u.s.n = b.n;
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Custom types (customType): the value goes through the type's toDriver
** before its codec encodes it, and a cell through fromDriver after its
** codec decodes it. The functions live in a registry table, at the
** type's number.
** ===================================================================== */

static const char custom_key = 0;

/* core.customtype(toDriver, fromDriver) -> "custom:n": registers a type's
** functions (either may be nil) and returns its codec name. */
int sl_lua_customtype(lua_State *L) {
  lua_Integer n;
  char name[40];
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
  sl_lua_getregp(L, &custom_key);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    sl_lua_setregp(L, &custom_key);
  }
  n = (lua_Integer)lua_rawlen(L, -1) + 1;
  if (n > (INT_MAX >> SL_C_CUSTOM_SHIFT))
    return luaL_error(L, "customType: too many custom types");
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "toDriver");
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "fromDriver");
  lua_rawseti(L, -2, (int)n);
  snprintf(name, sizeof name, "custom:%lld", (long long)n);
  lua_pushstring(L, name);
  return 1;
}

/* Pushes the function `which` of custom codec c, or nil. */
static void custom_fn(lua_State *L, sl_codec c, const char *which) {
  luaL_checkstack(L, 4, NULL);
  sl_lua_getregp(L, &custom_key);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  lua_rawgeti(L, -1, SL_C_CUSTOM_ID(c));
  if (lua_istable(L, -1))
    lua_getfield(L, -1, which);
  else
    lua_pushnil(L);
  lua_replace(L, -3);
  lua_pop(L, 1);
}

/* A failed toDriver / fromDriver: its message as a validation error. */
static int custom_failed(lua_State *L, sl_error *err, const char *column,
                         const char *which) {
  const char *msg = lua_tostring(L, -1);
  int rc = bad_value(err, column, "%s failed: %s", which,
                     msg != NULL ? msg : "(an error object)");
  lua_pop(L, 1);
  return rc;
}

static int encode_custom(lua_State *L, int idx, sl_codec c, const sl_dialect *d,
                         sl_arena *a, sl_value *out, const char *column,
                         sl_error *err) {
  int rc;
  custom_fn(L, c, "toDriver");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return sl_lua_encode(L, idx, SL_C_BASE(c), d, a, out, column, err);
  }
  lua_pushvalue(L, idx);
  if (lua_pcall(L, 1, 1, 0) != 0)
    return custom_failed(L, err, column, "toDriver");
  rc = sl_lua_encode(L, -1, SL_C_BASE(c), d, a, out, column, err);
  lua_pop(L, 1);
  return rc;
}

/* }==================================================================== */

/* Encodes the Lua value at idx as codec c stores it in dialect d (see
** lua_sleet.h and API.md's value table). nil and sleet.null give
** SL_V_NULL for every codec. Bytes are copied into a. Returns SL_OK, or
** SL_ERROR with a validation error naming column (also filling err->table
** and err->column). Raises only on memory errors (arena exhausted). */
int sl_lua_encode(lua_State *L, int idx, sl_codec c, const sl_dialect *d,
                  sl_arena *a, sl_value *out, const char *column,
                  sl_error *err) {
  int t;
#if !SL_LUA_INT64
  int rc;
#endif
  idx = lua_absindex(L, idx);
  t = lua_type(L, idx);
  memset(out, 0, sizeof *out);
  out->type = SL_V_NULL;
  if (t == LUA_TNIL || (t == LUA_TLIGHTUSERDATA && sl_lua_isnull(L, idx)))
    return SL_OK;
  if ((int)c & SL_C_ARRAY)
    return encode_array(L, idx, SL_C_ELEMENT(c), d, a, out, column, err);
  if ((int)c & SL_C_CUSTOM)
    return encode_custom(L, idx, c, d, a, out, column, err);
  switch (c) {
  case SL_C_ANY:
#if !SL_LUA_INT64
    if (t == SL_LUA_TCDATA &&
        encode_luajit_int(L, idx, d, a, out, column, err, &rc))
      return rc;
#endif
    switch (t) {
    case LUA_TBOOLEAN:
      out->type = SL_V_BOOL;
      out->u.b = lua_toboolean(L, idx);
      return SL_OK;
    case LUA_TNUMBER:
      if (sl_lua_isinteger(L, idx)) {
        out->type = SL_V_INT;
        out->u.i = sl_lua_toint64(L, idx);
      } else {
        out->type = SL_V_FLOAT;
        out->u.f = (double)lua_tonumber(L, idx);
      }
      return SL_OK;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      set_bytes(L, a, out, SL_V_TEXT, s, n);
      return SL_OK;
    }
    default:
      return bad_value(err, column, "cannot bind a %s", lua_typename(L, t));
    }

  case SL_C_INT:
  case SL_C_BIGINT:
    /* MySQL's BIGINT UNSIGNED above 2^63-1 reads as its digits: they
    ** write back exactly, as text the server converts. */
    if (t == LUA_TSTRING && family(d) == FAM_MYSQL) {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      if (is_uint64_above_int64(s, n)) {
        set_bytes(L, a, out, SL_V_TEXT, s, n);
        return SL_OK;
      }
    }
#if !SL_LUA_INT64
    if (encode_luajit_int(L, idx, d, a, out, column, err, &rc)) return rc;
#endif
    if (!to_int64(L, idx, &out->u.i))
      return wrong_type(L, idx, "an integer", column, err);
    out->type = SL_V_INT;
    return SL_OK;

  case SL_C_FLOAT:
  case SL_C_NUMBER:
    if (t != LUA_TNUMBER) return wrong_type(L, idx, "a number", column, err);
    out->type = SL_V_FLOAT;
    out->u.f = (double)lua_tonumber(L, idx);
    /* SQLite turns NaN into NULL and MySQL refuses it and the infinities:
    ** say so rather than lose the value (PostgreSQL stores all three). */
    if (out->u.f != out->u.f && family(d) != FAM_POSTGRESQL)
      return bad_value(err, column, "%s cannot store NaN",
                       family(d) == FAM_SQLITE ? "SQLite" : "MySQL");
    if (!is_finite(out->u.f) && family(d) == FAM_MYSQL)
      return bad_value(err, column, "MySQL cannot store an infinite number");
    return SL_OK;

  case SL_C_NUMERIC:
    if (t == LUA_TSTRING) {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      if (!is_decimal(s, n)) {
        char got[80];
        describe(L, idx, got, sizeof got);
        return bad_value(err, column, "expected a decimal number, got %s", got);
      }
      if (strcmp(d->name, "sqlite") == 0 && !sqlite_keeps_decimal(s, n))
        return bad_value(err, column,
                         "SQLite stores a numeric with at most 15 significant "
                         "digits; \"%.*s\" would lose digits (use a text "
                         "column to keep it exactly)",
                         n > 60 ? 60 : (int)n, s);
      set_bytes(L, a, out, SL_V_TEXT, s, n);
      return SL_OK;
    }
    if (t != LUA_TNUMBER)
      return wrong_type(L, idx, "a decimal string or a number", column, err);
    /* A Lua number stays a number (as Drizzle passes it): SQLite compares
    ** a TEXT parameter with an expression of no affinity (sum(), avg()) as
    ** greater than every number, so text would break such comparisons. */
    if (sl_lua_isinteger(L, idx)) {
      out->type = SL_V_INT;
      out->u.i = sl_lua_toint64(L, idx);
    } else {
      double f = (double)lua_tonumber(L, idx);
      if (!is_finite(f))
        return bad_value(err, column, "expected a finite number, got %s",
                         f != f ? "NaN" : "an infinite number");
      out->type = SL_V_FLOAT;
      out->u.f = f;
    }
    return SL_OK;

  case SL_C_BOOL:
    if (t != LUA_TBOOLEAN) return wrong_type(L, idx, "a boolean", column, err);
    if (family(d) == FAM_POSTGRESQL) {
      out->type = SL_V_BOOL;
      out->u.b = lua_toboolean(L, idx);
    } else {
      out->type = SL_V_INT;
      out->u.i = lua_toboolean(L, idx) ? 1 : 0;
    }
    return SL_OK;

  case SL_C_TEXT:
  case SL_C_BLOB: {
    size_t n;
    const char *s;
    if (t != LUA_TSTRING) return wrong_type(L, idx, "a string", column, err);
    s = lua_tolstring(L, idx, &n);
    set_bytes(L, a, out, c == SL_C_TEXT ? SL_V_TEXT : SL_V_BLOB, s, n);
    return SL_OK;
  }

  case SL_C_JSON:
    return encode_json(L, idx, a, out, column, err);

  case SL_C_TIMESTAMP:
  case SL_C_TIMESTAMP_MS:
    return encode_timestamp(L, idx, c == SL_C_TIMESTAMP_MS, d, a, out, column,
                            err);

  case SL_C_EPOCH:
  case SL_C_EPOCH_MS: {
    int64_t v;
    if (!to_int64(L, idx, &v))
      return wrong_type(L, idx,
                        c == SL_C_EPOCH ? "integer epoch seconds"
                                        : "integer epoch milliseconds",
                        column, err);
    return encode_epoch(L, v, c == SL_C_EPOCH_MS, d, a, out, column, err);
  }

  case SL_C_DATE:
  case SL_C_TIME: {
    size_t n, pos = 0;
    const char *s;
    int ok, us;
    int64_t x;
    if (t != LUA_TSTRING)
      return wrong_type(L, idx,
                        c == SL_C_DATE ? "a date string" : "a time string",
                        column, err);
    s = lua_tolstring(L, idx, &n);
    if (c == SL_C_DATE)
      ok = parse_date_at(s, n, &pos, &x) && pos == n;
    else {
      /* PostgreSQL's time with time zone reads back with its offset
      ** ("10:11:12+00"), which must write back */
      int64_t off;
      int pg = strcmp(d->name, "postgresql") == 0;
      ok = parse_time_at(s, n, &pos, 1, &x, &us) &&
           (!pg || parse_offset_at(s, n, &pos, &off)) && pos == n;
    }
    if (!ok) {
      char got[80];
      describe(L, idx, got, sizeof got);
      return bad_value(err, column, "invalid %s %s (expected \"%s\")",
                       c == SL_C_DATE ? "date" : "time", got,
                       c == SL_C_DATE ? "YYYY-MM-DD"
                       : strcmp(d->name, "postgresql") == 0
                           ? "HH:MM:SS[.fff][+HH[:MM]]"
                           : "HH:MM:SS[.fff]");
    }
    set_bytes(L, a, out, SL_V_TEXT, s, n);
    return SL_OK;
  }

  default:
    return sl_error_set(err, SL_EK_USAGE, "unknown codec %d", (int)c);
  }
}

/* }==================================================================== */

/* {====================================================================
** Decoding: sl_value → Lua value
** ===================================================================== */

/* Pushes a cell as the driver gave it (lua_sleet.h). */
void sl_lua_push_natural(lua_State *L, const sl_value *v) {
  switch (v->type) {
  case SL_V_INT:
    sl_lua_pushint64(L, v->u.i);
    break;
  case SL_V_FLOAT:
    lua_pushnumber(L, (lua_Number)v->u.f);
    break;
  case SL_V_BOOL:
    lua_pushboolean(L, v->u.b);
    break;
  case SL_V_TEXT:
  case SL_V_BLOB:
    lua_pushlstring(L, v->u.s.p, v->u.s.n);
    break;
  case SL_V_NULL:
  default:
    lua_pushnil(L);
    break;
  }
}

/* Copies short text into buf as a C string; 0 when it does not fit. */
static int cstr(const sl_value *v, char *buf, size_t size) {
  if (v->u.s.n >= size || memchr(v->u.s.p, '\0', v->u.s.n) != NULL) return 0;
  memcpy(buf, v->u.s.p, v->u.s.n);
  buf[v->u.s.n] = '\0';
  return 1;
}

/* Text holding exactly an int64 ("-12", "+7"). */
static int text_int64(const sl_value *v, int64_t *out) {
  char buf[32], *end;
  long long x;
  if (!cstr(v, buf, sizeof buf) || buf[0] == '\0' ||
      !(buf[0] == '-' || buf[0] == '+' || (buf[0] >= '0' && buf[0] <= '9')))
    return 0;
  errno = 0;
  x = strtoll(buf, &end, 10);
  if (errno != 0 || *end != '\0') return 0;
  *out = (int64_t)x;
  return 1;
}

/* Text holding exactly a number (decimal syntax only, no "inf"/"nan"). */
static int text_double(const sl_value *v, double *out) {
  char buf[400], *end;
  if (!is_decimal(v->u.s.p, v->u.s.n) || !cstr(v, buf, sizeof buf)) return 0;
  *out = sl_strtod(buf, &end);
  return *end == '\0';
}

/* PostgreSQL's numeric NaN and infinities as text: NaN, ±math.huge. */
static int text_special(const sl_value *v, double *out) {
  char buf[16];
  if (!cstr(v, buf, sizeof buf)) return 0;
  if (strcmp(buf, "NaN") == 0)
    *out = NAN;
  else if (strcmp(buf, "Infinity") == 0)
    *out = HUGE_VAL;
  else if (strcmp(buf, "-Infinity") == 0)
    *out = -HUGE_VAL;
  else
    return 0;
  return 1;
}

/* A timestamp cell no ISO-8601 string or epoch number can hold
** (PostgreSQL's infinity, BC dates, years after 9999): an error, never the
** server's text, which could not be written back. */
static int bad_instant(const sl_value *v, sl_error *err) {
  if (v->type == SL_V_TEXT || v->type == SL_V_BLOB)
    return bad_value(err, NULL,
                     "cannot read '%.*s' as a timestamp (years 0000 to 9999 "
                     "only)",
                     v->u.s.n > 60 ? 60 : (int)v->u.s.n, v->u.s.p);
  if (v->type == SL_V_INT)
    return bad_value(err, NULL,
                     "cannot read %lld as a timestamp (years 0000 to 9999 "
                     "only)",
                     (long long)v->u.i);
  return bad_value(err, NULL, "cannot read the cell as a timestamp");
}

/* An instant from a cell: INT epoch (seconds, or ms when ms), FLOAT epoch
** (sub-units dropped), TEXT timestamp. */
static int cell_instant(const sl_value *v, int ms, int64_t *secs, int *us) {
  switch (v->type) {
  case SL_V_INT:
    *secs = ms ? floor_div(v->u.i, 1000) : v->u.i;
    *us = ms ? (int)floor_mod(v->u.i, 1000) * 1000 : 0;
    return 1;
  case SL_V_FLOAT: {
    double f = v->u.f;
    int64_t i;
    if (!(f >= -9.2e18 && f <= 9.2e18)) return 0;
    i = (int64_t)f;
    if ((double)i > f) i--; /* floor */
    *secs = ms ? floor_div(i, 1000) : i;
    *us = ms ? (int)floor_mod(i, 1000) * 1000 : 0;
    return 1;
  }
  case SL_V_TEXT:
  case SL_V_BLOB:
    return parse_timestamp(v->u.s.p, v->u.s.n, secs, us);
  default:
    return 0;
  }
}

/* Names the column whose cell failed to decode (sl_lua_decode or
** sl_lua_nested filled err): the message becomes "table.column: ..." (the
** key when the field is no column) and err->table / err->column are set,
** unless a nested decoder named one already. Returns SL_ERROR. */
int sl_lua_decode_failed(sl_error *err, const sl_field *f) {
  char where[300], msg[sizeof err->message];
  const char *table = NULL, *col = f->key;
  sl_errkind kind = err->kind;
  if (err->column[0] != '\0') return SL_ERROR;
  if (f->e != NULL && f->e->kind == SL_N_COL) {
    table = f->e->u.col.table;
    col = f->e->u.col.name;
  }
  if (col == NULL) return SL_ERROR;
  if (table != NULL)
    snprintf(where, sizeof where, "%s.%s", table, col);
  else
    snprintf(where, sizeof where, "%s", col);
  memcpy(msg, err->message, sizeof msg);
  bad_value(err, where, "%s", msg);
  err->kind = kind;
  return SL_ERROR;
}

/* {====================================================================
** Reading a PostgreSQL array's text ('{1,NULL,"a b"}', '{{1,2},{3,4}}',
** '[0:1]={7,8}') into nested sequences; NULL elements are sleet.null.
** ===================================================================== */

typedef struct aparse {
  lua_State *L;
  const char *s;
  size_t n, pos;
  char *scratch; /* as long as the text: no element is longer */
  sl_codec ec;
  const sl_dialect *d;
  sl_error *err;
} aparse;

static int ap_bad(aparse *p, const char *what) {
  return bad_value(p->err, NULL, "malformed array text (%s at byte %lu): %.*s",
                   what, (unsigned long)p->pos + 1, p->n > 60 ? 60 : (int)p->n,
                   p->s);
}

static void ap_space(aparse *p) {
  while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                           p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Pushes the element of k bytes in the scratch, decoded by the element
** codec (bytea arrives in its text form). */
static int ap_element(aparse *p, size_t k) {
  sl_value v;
  v.type = SL_V_TEXT;
  v.u.s.p = p->scratch;
  v.u.s.n = k;
  if (p->ec == SL_C_BLOB) {
    size_t i, j = 0;
    if (k < 2 || p->scratch[0] != '\\' || p->scratch[1] != 'x' || k % 2 != 0)
      return ap_bad(p, "a bytea element not in hex form");
    for (i = 2; i < k; i += 2) {
      int hi = hex_digit(p->scratch[i]), lo = hex_digit(p->scratch[i + 1]);
      if (hi < 0 || lo < 0) return ap_bad(p, "invalid hex in a bytea element");
      p->scratch[j++] = (char)(hi * 16 + lo);
    }
    lua_pushlstring(p->L, p->scratch, j);
    return SL_OK;
  }
  return sl_lua_decode(p->L, &v, p->ec, p->d, p->err);
}

/* Pushes the level that starts at the '{' under p->pos. */
static int ap_level(aparse *p, int depth) {
  lua_State *L = p->L;
  int top = lua_gettop(L);
  int i = 0;
  if (depth > ARRAY_MAX_DEPTH || !lua_checkstack(L, 4))
    return ap_bad(p, "nested too deeply");
  p->pos++; /* '{' */
  lua_newtable(L);
  ap_space(p);
  if (p->pos < p->n && p->s[p->pos] == '}') {
    p->pos++;
    return SL_OK;
  }
  for (;;) {
    size_t k = 0;
    int rc;
    ap_space(p);
    if (p->pos >= p->n) goto bad;
    if (p->s[p->pos] == '{')
      rc = ap_level(p, depth + 1);
    else if (p->s[p->pos] == '"') {
      p->pos++;
      while (p->pos < p->n && p->s[p->pos] != '"') {
        if (p->s[p->pos] == '\\' && ++p->pos >= p->n) break;
        p->scratch[k++] = p->s[p->pos++];
      }
      if (p->pos >= p->n) goto bad;
      p->pos++; /* closing '"' */
      rc = ap_element(p, k);
    } else {
      size_t start = p->pos, end;
      while (p->pos < p->n && p->s[p->pos] != ',' && p->s[p->pos] != '}') {
        if (p->s[p->pos] == '"' || p->s[p->pos] == '{') goto bad;
        if (p->s[p->pos] == '\\' && ++p->pos >= p->n) goto bad;
        p->scratch[k++] = p->s[p->pos++];
      }
      end = p->pos;
      while (k > 0 && end > start &&
             (p->scratch[k - 1] == ' ' || p->scratch[k - 1] == '\t' ||
              p->scratch[k - 1] == '\n' || p->scratch[k - 1] == '\r') &&
             !(end - start >= 2 && p->s[end - 2] == '\\')) {
        k--;
        end--;
      }
      if (k == 0) goto bad;
      if (k == 4 && p->s[start] != '\\' && (p->scratch[0] | 32) == 'n' &&
          (p->scratch[1] | 32) == 'u' && (p->scratch[2] | 32) == 'l' &&
          (p->scratch[3] | 32) == 'l') {
        sl_lua_pushnull(L);
        rc = SL_OK;
      } else
        rc = ap_element(p, k);
    }
    if (rc != SL_OK) {
      lua_settop(L, top);
      return SL_ERROR;
    }
    if (i == INT_MAX) {
      lua_settop(L, top);
      return ap_bad(p, "too many elements");
    }
    lua_rawseti(L, -2, ++i);
    ap_space(p);
    if (p->pos >= p->n) goto bad;
    if (p->s[p->pos] == '}') {
      p->pos++;
      return SL_OK;
    }
    if (p->s[p->pos] != ',') goto bad;
    p->pos++;
  }
bad:
  lua_settop(L, top);
  return ap_bad(p, p->pos >= p->n ? "unexpected end" : "unexpected character");
}

static int decode_array(lua_State *L, const sl_value *v, sl_codec ec,
                        const sl_dialect *d, sl_error *err) {
  aparse p;
  int top = lua_gettop(L);
  p.L = L;
  p.s = v->u.s.p;
  p.n = v->u.s.n;
  p.pos = 0;
  p.ec = ec;
  p.d = d;
  p.err = err;
  if (p.n > 0 && p.s[0] == '[') { /* bounds other than 1: "[0:1]={...}" */
    const char *eq = memchr(p.s, '=', p.n);
    if (eq == NULL) return ap_bad(&p, "bounds without '='");
    p.pos = (size_t)(eq - p.s) + 1;
  }
  ap_space(&p);
  if (p.pos >= p.n || p.s[p.pos] != '{') return ap_bad(&p, "no '{'");
  p.scratch = lua_newuserdata(L, p.n + 1);
  if (ap_level(&p, 1) != SL_OK) {
    lua_settop(L, top);
    return SL_ERROR;
  }
  ap_space(&p);
  if (p.pos != p.n) {
    lua_settop(L, top);
    return ap_bad(&p, "text after the array");
  }
  lua_remove(L, -2); /* the scratch */
  return SL_OK;
}

/* }==================================================================== */

/* Pushes the Lua value of a result cell read with codec c from dialect d
** (the inverse of sl_lua_encode; see lua_sleet.h). SL_V_NULL pushes nil.
** Cells of a type the codec does not expect are pushed as their natural
** Lua value, except timestamps it cannot read (PostgreSQL's 'infinity', BC
** dates, years after 9999), which could not be written back. Returns
** SL_ERROR (validation), pushing nothing, for those and for invalid JSON;
** sl_lua_decode_failed names the column. Raises only on memory errors. */
int sl_lua_decode(lua_State *L, const sl_value *v, sl_codec c,
                  const sl_dialect *d, sl_error *err) {
  int64_t i;
  double f;
  (void)d; /* every driver's cells are recognised by their type */
  if (v->type == SL_V_NULL) {
    lua_pushnil(L);
    return SL_OK;
  }
  if (((int)c & SL_C_ARRAY) && v->type == SL_V_TEXT)
    return decode_array(L, v, SL_C_ELEMENT(c), d, err);
  if (((int)c & SL_C_CUSTOM) && !((int)c & SL_C_ARRAY)) {
    int rc = sl_lua_decode(L, v, SL_C_BASE(c), d, err);
    if (rc != SL_OK) return rc;
    custom_fn(L, c, "fromDriver");
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      return SL_OK;
    }
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != 0)
      return custom_failed(L, err, NULL, "fromDriver");
    return SL_OK;
  }
  switch (c) {
  case SL_C_INT:
  case SL_C_BIGINT:
    if (v->type == SL_V_INT)
      i = v->u.i;
    else if (v->type == SL_V_FLOAT && v->u.f >= -9223372036854775808.0 &&
             v->u.f < 9223372036854775808.0 &&
             (double)(int64_t)v->u.f == v->u.f)
      i = (int64_t)v->u.f;
    else if (v->type == SL_V_TEXT && text_int64(v, &i))
      ;
    else if (v->type == SL_V_BOOL)
      i = v->u.b ? 1 : 0;
    else {
#if !SL_LUA_INT64
      /* MySQL's BIGINT UNSIGNED above 2^63-1: uint64 cdata in bigint mode */
      if (c == SL_C_BIGINT && v->type == SL_V_TEXT &&
          is_uint64_above_int64(v->u.s.p, v->u.s.n)) {
        uint64_t u = 0;
        size_t k;
        for (k = 0; k < v->u.s.n; k++) /* digits only, within uint64 */
          u = u * 10u + (uint64_t)(v->u.s.p[k] - '0');
        sl_lua_pushcdata64(L, u, 1);
        return SL_OK;
      }
#endif
      break;
    }
#if !SL_LUA_INT64
    if (c == SL_C_BIGINT) {
      sl_lua_pushcdata64(L, (uint64_t)i, 0);
      return SL_OK;
    }
    if (i > SL_LUA_EXACT || i < -SL_LUA_EXACT)
      return sl_error_set(err, SL_EK_VALIDATION,
                          "%lld is beyond 2^53, which a LuaJIT number cannot "
                          "hold exactly: declare the column with { mode = "
                          "\"bigint\" } to read int64 cdata",
                          (long long)i);
#endif
    sl_lua_pushint64(L, i);
    return SL_OK;

  case SL_C_FLOAT:
  case SL_C_NUMBER:
    if (v->type == SL_V_INT) {
      lua_pushnumber(L, (lua_Number)v->u.i);
      return SL_OK;
    }
    if (v->type == SL_V_TEXT && text_double(v, &f)) {
      lua_pushnumber(L, (lua_Number)f);
      return SL_OK;
    }
    if (v->type == SL_V_TEXT && text_special(v, &f)) {
      lua_pushnumber(L, (lua_Number)f);
      return SL_OK;
    }
    break;

  case SL_C_NUMERIC: {
    char buf[40];
    if (v->type == SL_V_INT) {
      snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
      lua_pushstring(L, buf);
      return SL_OK;
    }
    if (v->type == SL_V_FLOAT) {
      fmt_double(buf, sizeof buf, v->u.f);
      lua_pushstring(L, buf);
      return SL_OK;
    }
    break;
  }

  case SL_C_BOOL:
    switch (v->type) {
    case SL_V_INT:
      lua_pushboolean(L, v->u.i != 0);
      return SL_OK;
    case SL_V_FLOAT:
      lua_pushboolean(L, v->u.f != 0.0);
      return SL_OK;
    case SL_V_TEXT: {
      char buf[8];
      if (cstr(v, buf, sizeof buf)) {
        if (!strcmp(buf, "t") || !strcmp(buf, "1") || !strcmp(buf, "true")) {
          lua_pushboolean(L, 1);
          return SL_OK;
        }
        if (!strcmp(buf, "f") || !strcmp(buf, "0") || !strcmp(buf, "false")) {
          lua_pushboolean(L, 0);
          return SL_OK;
        }
      }
      break;
    }
    default:
      break;
    }
    break;

  case SL_C_JSON:
    if (v->type == SL_V_TEXT || v->type == SL_V_BLOB)
      return sl_lua_json_decode(L, v->u.s.p, v->u.s.n, err);
    break;

  case SL_C_TIMESTAMP:
  case SL_C_TIMESTAMP_MS: {
    int64_t secs;
    int us;
    char buf[64];
    if (cell_instant(v, c == SL_C_TIMESTAMP_MS, &secs, &us) &&
        fmt_timestamp(buf, sizeof buf, secs, us,
                      c == SL_C_TIMESTAMP_MS ? TS_ISO_MS : TS_ISO)) {
      lua_pushstring(L, buf);
      return SL_OK;
    }
    if (v->type == SL_V_FLOAT) break;
    return bad_instant(v, err);
  }

  case SL_C_EPOCH:
  case SL_C_EPOCH_MS: {
    int64_t secs;
    int us;
    if (v->type == SL_V_INT) break; /* stored as is (SQLite) */
    if (cell_instant(v, c == SL_C_EPOCH_MS, &secs, &us) &&
        secs >= SL_MIN_EPOCH_S && secs <= SL_MAX_EPOCH_S) {
      sl_lua_pushint64(L, c == SL_C_EPOCH_MS ? secs * 1000 + us / 1000 : secs);
      return SL_OK;
    }
    if (v->type == SL_V_FLOAT) break;
    return bad_instant(v, err);
  }

  case SL_C_ANY:
  case SL_C_TEXT:
  case SL_C_BLOB:
  case SL_C_DATE:
  case SL_C_TIME:
  default:
    break;
  }
  sl_lua_push_natural(L, v);
  return SL_OK;
}

/* }==================================================================== */
