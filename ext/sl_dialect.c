/*
** sl_dialect.c — the three dialects: how SQL is spelled for SQLite,
** PostgreSQL and MySQL/MariaDB. Each is a const table of small hooks over
** the one default renderer (sl_render.c); only MySQL overrides a node.
*/
/* newlocale and uselocale (sl_num.h) are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_int.h"
#include "sl_num.h"

/* {====================================================================
** Placeholders
** ===================================================================== */

static void placeholder_question(sl_buf *b, int n) {
  (void)n;
  sl_buf_addc(b, '?');
}

static void placeholder_dollar(sl_buf *b, int n) {
  sl_buf_addf(b, "$%d", n);
}

/* }==================================================================== */

/* {====================================================================
** Literals (DDL only: queries always bind their values)
** ===================================================================== */

/* A double that reads back as the same double and as a real number: the
** fewest significant digits that round-trip (0.1, not 0.1000...01, so
** schema snapshots stay readable), '.' whatever the locale, ".0" when it
** would look like an integer. */
static void add_double(sl_buf *b, double f) {
  char tmp[64];
  size_t i;
  int prec, real = 0;
  for (prec = 15; prec <= 17; prec++) {
    sl_numfmt(tmp, sizeof tmp, "%.*g", prec, f);
    if (sl_strtod(tmp, NULL) == f) break;
  }
  for (i = 0; tmp[i] != '\0'; i++) {
    if (tmp[i] == ',') tmp[i] = '.';
    if (tmp[i] == '.' || tmp[i] == 'e') real = 1;
  }
  sl_buf_adds(b, tmp);
  if (!real) sl_buf_adds(b, ".0");
}

static void add_hex(sl_buf *b, const char *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    sl_buf_addc(b, digits[c >> 4]);
    sl_buf_addc(b, digits[c & 15]);
  }
}

/* 'text' with quotes doubled; backslashes doubled and NUL escaped too when
** mysql is set (MySQL reads backslash escapes inside strings). */
static void add_string(sl_buf *b, const char *p, size_t n, int mysql) {
  size_t i, start = 0;
  sl_buf_addc(b, '\'');
  for (i = 0; i < n; i++) {
    char c = p[i];
    const char *esc = NULL;
    if (c == '\'')
      esc = "''";
    else if (mysql && c == '\\')
      esc = "\\\\";
    else if (mysql && c == '\0')
      esc = "\\0";
    if (esc == NULL) continue;
    sl_buf_add(b, p + start, i - start);
    sl_buf_adds(b, esc);
    start = i + 1;
  }
  sl_buf_add(b, p + start, n - start);
  sl_buf_addc(b, '\'');
}

static void literal_sqlite(sl_buf *b, const sl_value *v) {
  switch (v->type) {
  case SL_V_NULL:
    sl_buf_adds(b, "null");
    break;
  case SL_V_INT:
    sl_buf_addf(b, "%lld", (long long)v->u.i);
    break;
  case SL_V_FLOAT:
    /* SQLite reads 9e999 as +Inf; it has no NaN */
    if (isnan(v->u.f))
      sl_buf_adds(b, "null");
    else if (isinf(v->u.f))
      sl_buf_adds(b, v->u.f > 0 ? "9e999" : "-9e999");
    else
      add_double(b, v->u.f);
    break;
  case SL_V_BOOL:
    sl_buf_adds(b, v->u.b ? "1" : "0");
    break;
  case SL_V_TEXT:
    add_string(b, v->u.s.p, v->u.s.n, 0);
    break;
  case SL_V_BLOB:
    sl_buf_adds(b, "X'");
    add_hex(b, v->u.s.p, v->u.s.n);
    sl_buf_addc(b, '\'');
    break;
  }
}

static void literal_postgresql(sl_buf *b, const sl_value *v) {
  switch (v->type) {
  case SL_V_NULL:
    sl_buf_adds(b, "null");
    break;
  case SL_V_INT:
    sl_buf_addf(b, "%lld", (long long)v->u.i);
    break;
  case SL_V_FLOAT:
    if (isnan(v->u.f))
      sl_buf_adds(b, "'NaN'");
    else if (isinf(v->u.f))
      sl_buf_adds(b, v->u.f > 0 ? "'Infinity'" : "'-Infinity'");
    else
      add_double(b, v->u.f);
    break;
  case SL_V_BOOL:
    sl_buf_adds(b, v->u.b ? "true" : "false");
    break;
  case SL_V_TEXT:
    add_string(b, v->u.s.p, v->u.s.n, 0);
    break;
  case SL_V_BLOB:
    /* bytea hex input (standard_conforming_strings is on since 9.1) */
    sl_buf_adds(b, "'\\x");
    add_hex(b, v->u.s.p, v->u.s.n);
    sl_buf_addc(b, '\'');
    break;
  }
}

static void literal_mysql(sl_buf *b, const sl_value *v) {
  switch (v->type) {
  case SL_V_NULL:
    sl_buf_adds(b, "null");
    break;
  case SL_V_INT:
    sl_buf_addf(b, "%lld", (long long)v->u.i);
    break;
  case SL_V_FLOAT:
    /* no infinities or NaN in MySQL columns */
    if (isnan(v->u.f) || isinf(v->u.f))
      sl_buf_adds(b, "null");
    else
      add_double(b, v->u.f);
    break;
  case SL_V_BOOL:
    sl_buf_adds(b, v->u.b ? "true" : "false");
    break;
  case SL_V_TEXT:
    add_string(b, v->u.s.p, v->u.s.n, 1);
    break;
  case SL_V_BLOB:
    sl_buf_adds(b, "X'");
    add_hex(b, v->u.s.p, v->u.s.n);
    sl_buf_addc(b, '\'');
    break;
  }
}

/* }==================================================================== */

/* {====================================================================
** Node hooks
** ===================================================================== */

/* MySQL names the proposed row of an upsert with VALUES(`c`). */
static int render_node_mysql(sl_render *r, const sl_node *n) {
  if (n->kind != SL_N_EXCLUDED) return 0;
  sl_buf_adds(sl_render_buf(r), "values(");
  sl_render_ident(r, n->u.excluded.column);
  sl_buf_addc(sl_render_buf(r), ')');
  return 1;
}

/* }==================================================================== */

/* SQLite >= 3.39 (Debian 12 ships 3.40): RETURNING, UPSERT, RIGHT and FULL
** joins, UPDATE ... FROM, ORDER BY and LIMIT on UPDATE and DELETE (built
** with SQLITE_ENABLE_UPDATE_DELETE_LIMIT, as Debian's is); no ILIKE (LIKE is
*already case-insensitive for ASCII), no
** DEFAULT inside VALUES, no parenthesised compound members. */
const sl_dialect sl_dialect_sqlite = {
    "sqlite",
    SL_CAP_RETURNING | SL_CAP_INSERT_RETURNING | SL_CAP_FULL_JOIN |
        SL_CAP_RIGHT_JOIN | SL_CAP_ON_CONFLICT | SL_CAP_TRANSACTIONAL_DDL |
        SL_CAP_INTERSECT_EXCEPT | SL_CAP_UPDATE_FROM | SL_CAP_DML_LIMIT,
    '"',
    placeholder_question,
    literal_sqlite,
    NULL};

const sl_dialect sl_dialect_postgresql = {
    "postgresql",
    SL_CAP_RETURNING | SL_CAP_INSERT_RETURNING | SL_CAP_ILIKE |
        SL_CAP_FULL_JOIN | SL_CAP_RIGHT_JOIN | SL_CAP_ON_CONFLICT |
        SL_CAP_DEFAULT_VALUES | SL_CAP_PAREN_SETOP | SL_CAP_ENUM_TYPES |
        SL_CAP_TRANSACTIONAL_DDL | SL_CAP_INTERSECT_EXCEPT | SL_CAP_SETOP_ALL |
        SL_CAP_ROW_LOCKS | SL_CAP_LATERAL | SL_CAP_UPDATE_FROM,
    '"',
    placeholder_dollar,
    literal_postgresql,
    NULL};

/* MariaDB 10.11: RETURNING on INSERT and DELETE only, INTERSECT/EXCEPT
** (with ALL), FOR UPDATE and LOCK IN SHARE MODE, no FULL JOIN, no ON
** CONFLICT (ON DUPLICATE KEY UPDATE instead). LATERAL is MySQL 8's (the
** server says so on MariaDB). */
const sl_dialect sl_dialect_mysql = {
    "mysql",
    SL_CAP_INSERT_RETURNING | SL_CAP_RIGHT_JOIN | SL_CAP_ON_DUPLICATE |
        SL_CAP_DEFAULT_VALUES | SL_CAP_PAREN_SETOP | SL_CAP_INTERSECT_EXCEPT |
        SL_CAP_SETOP_ALL | SL_CAP_ROW_LOCKS | SL_CAP_LATERAL | SL_CAP_DML_LIMIT,
    '`',
    placeholder_question,
    literal_mysql,
    render_node_mysql};

/* The dialect called name: "sqlite", "postgresql" ("postgres", "pg"),
** "mysql" ("mariadb"); NULL when unknown. */
const sl_dialect *sl_dialect_find(const char *name) {
  if (name == NULL) return NULL;
  if (strcmp(name, "sqlite") == 0) return &sl_dialect_sqlite;
  if (strcmp(name, "postgresql") == 0 || strcmp(name, "postgres") == 0 ||
      strcmp(name, "pg") == 0)
    return &sl_dialect_postgresql;
  if (strcmp(name, "mysql") == 0 || strcmp(name, "mariadb") == 0)
    return &sl_dialect_mysql;
  return NULL;
}

/* The family of d, for spellings no capability flag covers. */
sl_family sl_dialect_family(const sl_dialect *d) {
  if (d == &sl_dialect_sqlite || strcmp(d->name, "sqlite") == 0)
    return SL_FAM_SQLITE;
  if (d == &sl_dialect_mysql || strcmp(d->name, "mysql") == 0)
    return SL_FAM_MYSQL;
  return SL_FAM_POSTGRESQL;
}
