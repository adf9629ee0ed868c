/*
** render_test.c — exact SQL and parameters of the core renderer, for every
** node kind in all three dialects, plus the small core utilities (buffer,
** arena, codecs, errors).
**
** Build and run (from the repository root):
**   gcc -std=c99 -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
**     -Wmissing-prototypes -Wundef -Wwrite-strings -Werror \
**     -D_POSIX_C_SOURCE=200809L -Iext spec/c/render_test.c ext/sl_error.c \
**     ext/sl_buf.c ext/sl_arena.c ext/sl_codec.c ext/sl_render.c \
**     ext/sl_dialect.c ext/sl_ddl.c -lm -o /tmp/render_test
**   /tmp/render_test
** The last line is "N passed, N failed"; the exit status is non-zero when
** anything failed.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleet.h"

static sl_arena *A;
static int passed, failed;

static const sl_dialect *const SQ = &sl_dialect_sqlite;
static const sl_dialect *const PG = &sl_dialect_postgresql;
static const sl_dialect *const MY = &sl_dialect_mysql;

/* {====================================================================
** Tree constructors (everything in the global arena)
** ===================================================================== */

static void *mem(size_t n) {
  void *p = sl_arena_alloc(A, n);
  if (p == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

static sl_node *node(sl_kind k) {
  sl_node *n = mem(sizeof *n);
  n->kind = k;
  return n;
}

static sl_node *col(const char *t, const char *c) {
  sl_node *n = node(SL_N_COL);
  n->u.col.table = t;
  n->u.col.name = c;
  return n;
}

static sl_node *pint(long long i) {
  sl_node *n = node(SL_N_PARAM);
  n->u.param.v.type = SL_V_INT;
  n->u.param.v.u.i = i;
  n->u.param.codec = SL_C_INT;
  return n;
}

static sl_node *ptext(const char *s) {
  sl_node *n = node(SL_N_PARAM);
  n->u.param.v.type = SL_V_TEXT;
  n->u.param.v.u.s.p = s;
  n->u.param.v.u.s.n = strlen(s);
  n->u.param.codec = SL_C_TEXT;
  return n;
}

static sl_node *pbool(int b) {
  sl_node *n = node(SL_N_PARAM);
  n->u.param.v.type = SL_V_BOOL;
  n->u.param.v.u.b = b;
  n->u.param.codec = SL_C_BOOL;
  return n;
}

static sl_node *pfloat(double f) {
  sl_node *n = node(SL_N_PARAM);
  n->u.param.v.type = SL_V_FLOAT;
  n->u.param.v.u.f = f;
  n->u.param.codec = SL_C_FLOAT;
  return n;
}

static sl_node *pblob(const char *s, size_t len) {
  sl_node *n = node(SL_N_PARAM);
  n->u.param.v.type = SL_V_BLOB;
  n->u.param.v.u.s.p = s;
  n->u.param.v.u.s.n = len;
  n->u.param.codec = SL_C_BLOB;
  return n;
}

static sl_node *pnull(void) {
  sl_node *n = node(SL_N_PARAM);
  n->u.param.v.type = SL_V_NULL;
  return n;
}

static sl_node *ph(const char *name) {
  sl_node *n = node(SL_N_PH);
  n->u.ph.name = name;
  n->u.ph.codec = SL_C_INT;
  return n;
}

static sl_node *raw(const char *s) {
  sl_node *n = node(SL_N_RAW);
  n->u.raw.text = s;
  return n;
}

static sl_node *ident(const char *s) {
  sl_node *n = node(SL_N_IDENT);
  n->u.ident.name = s;
  return n;
}

/* sqln(k, text0, node0, text1, ..., node(k-1), text_k) */
static sl_node *sqln(int k, ...) {
  sl_node *n = node(SL_N_SQL);
  va_list ap;
  int i;
  n->u.sql.n = k;
  n->u.sql.texts = mem((size_t)(k + 1) * sizeof(char *));
  n->u.sql.nodes = mem((size_t)(k > 0 ? k : 1) * sizeof(sl_node *));
  va_start(ap, k);
  for (i = 0; i <= k; i++) {
    n->u.sql.texts[i] = va_arg(ap, const char *);
    if (i < k) n->u.sql.nodes[i] = va_arg(ap, sl_node *);
  }
  va_end(ap);
  return n;
}

static sl_list vlist(int k, va_list ap) {
  sl_list l;
  int i;
  l.n = k;
  l.v = mem((size_t)(k > 0 ? k : 1) * sizeof(sl_node *));
  for (i = 0; i < k; i++)
    l.v[i] = va_arg(ap, sl_node *);
  return l;
}

static sl_list list(int k, ...) {
  va_list ap;
  sl_list l;
  va_start(ap, k);
  l = vlist(k, ap);
  va_end(ap);
  return l;
}

static sl_node *bin(sl_binop op, sl_node *l, sl_node *r) {
  sl_node *n = node(SL_N_BIN);
  n->u.bin.op = op;
  n->u.bin.l = l;
  n->u.bin.r = r;
  return n;
}

static sl_node *eq(sl_node *l, sl_node *r) {
  return bin(SL_OP_EQ, l, r);
}

static sl_node *logic(sl_kind k, int cnt, ...) {
  sl_node *n = node(k);
  va_list ap;
  va_start(ap, cnt);
  n->u.logic.list = vlist(cnt, ap);
  va_end(ap);
  return n;
}

static sl_node *not_(sl_node *e) {
  sl_node *n = node(SL_N_NOT);
  n->u.not_.e = e;
  return n;
}

static sl_node *isnull(sl_node *e, int neg) {
  sl_node *n = node(SL_N_ISNULL);
  n->u.isnull.e = e;
  n->u.isnull.negate = neg;
  return n;
}

static sl_node *in_list(sl_node *e, int neg, int cnt, ...) {
  sl_node *n = node(SL_N_IN);
  va_list ap;
  n->u.in.e = e;
  n->u.in.negate = neg;
  va_start(ap, cnt);
  n->u.in.list = vlist(cnt, ap);
  va_end(ap);
  return n;
}

static sl_node *in_sub(sl_node *e, int neg, sl_node *q) {
  sl_node *n = node(SL_N_IN);
  n->u.in.e = e;
  n->u.in.negate = neg;
  n->u.in.subquery = q;
  return n;
}

static sl_node *between(sl_node *e, sl_node *lo, sl_node *hi, int neg) {
  sl_node *n = node(SL_N_BETWEEN);
  n->u.between.e = e;
  n->u.between.lo = lo;
  n->u.between.hi = hi;
  n->u.between.negate = neg;
  return n;
}

static sl_node *exists(sl_node *q, int neg) {
  sl_node *n = node(SL_N_EXISTS);
  n->u.exists.subquery = q;
  n->u.exists.negate = neg;
  return n;
}

static sl_node *func(const char *name, int distinct, int cnt, ...) {
  sl_node *n = node(SL_N_FUNC);
  va_list ap;
  n->u.func.name = name;
  n->u.func.distinct = distinct;
  va_start(ap, cnt);
  n->u.func.args = vlist(cnt, ap);
  va_end(ap);
  return n;
}

static sl_node *alias(sl_node *e, const char *name) {
  sl_node *n = node(SL_N_ALIAS);
  n->u.alias.e = e;
  n->u.alias.name = name;
  return n;
}

static sl_node *order(sl_node *e, int desc) {
  sl_node *n = node(SL_N_ORDER);
  n->u.order.e = e;
  n->u.order.desc = desc;
  return n;
}

static sl_node *scalar(sl_node *q) {
  sl_node *n = node(SL_N_SCALAR);
  n->u.scalar.query = q;
  return n;
}

static sl_node *excluded(const char *c) {
  sl_node *n = node(SL_N_EXCLUDED);
  n->u.excluded.column = c;
  return n;
}

static sl_node *table(const char *schema, const char *name,
                      const char *alias_) {
  sl_node *n = node(SL_N_TABLE);
  n->u.table.schema = schema;
  n->u.table.name = name;
  n->u.table.alias = alias_;
  return n;
}

static sl_node *subq(sl_node *q, const char *alias_) {
  sl_node *n = node(SL_N_SUBQ);
  n->u.subq.query = q;
  n->u.subq.alias = alias_;
  return n;
}

/* fields(k, key0, expr0, key1, expr1, ...) */
static sl_fields vfields(int k, va_list ap) {
  sl_fields f;
  int i;
  f.n = k;
  f.v = mem((size_t)(k > 0 ? k : 1) * sizeof(sl_field));
  for (i = 0; i < k; i++) {
    f.v[i].key = va_arg(ap, const char *);
    f.v[i].e = va_arg(ap, sl_node *);
    f.v[i].codec = SL_C_ANY;
    f.v[i].group = -1;
  }
  return f;
}

static sl_fields fields(int k, ...) {
  va_list ap;
  sl_fields f;
  va_start(ap, k);
  f = vfields(k, ap);
  va_end(ap);
  return f;
}

static sl_node *sel(sl_node *from, int k, ...) {
  sl_node *n = node(SL_N_SELECT);
  va_list ap;
  n->u.select.from = from;
  va_start(ap, k);
  n->u.select.fields = vfields(k, ap);
  va_end(ap);
  return n;
}

static void add_join(sl_node *s, sl_jointype t, sl_node *src, sl_node *on) {
  int k = s->u.select.njoins;
  sl_join *j = mem((size_t)(k + 1) * sizeof *j);
  if (k > 0) memcpy(j, s->u.select.joins, (size_t)k * sizeof *j);
  j[k].type = t;
  j[k].source = src;
  j[k].on = on;
  s->u.select.joins = j;
  s->u.select.njoins = k + 1;
}

static sl_cte *ctes1(const char *name, sl_node *q) {
  sl_cte *c = mem(sizeof *c);
  c->name = name;
  c->query = q;
  return c;
}

static sl_node *setop(sl_setop op, sl_node *l, sl_node *r) {
  sl_node *n = node(SL_N_SETOP);
  n->u.setop.op = op;
  n->u.setop.l = l;
  n->u.setop.r = r;
  return n;
}

/* assigns(k, col0, value0, ...) */
static sl_assign *assigns(int k, ...) {
  sl_assign *a = mem((size_t)k * sizeof *a);
  va_list ap;
  int i;
  va_start(ap, k);
  for (i = 0; i < k; i++) {
    a[i].column = va_arg(ap, const char *);
    a[i].value = va_arg(ap, sl_node *);
  }
  va_end(ap);
  return a;
}

static const char **names(int k, ...) {
  const char **v = mem((size_t)(k > 0 ? k : 1) * sizeof(char *));
  va_list ap;
  int i;
  va_start(ap, k);
  for (i = 0; i < k; i++)
    v[i] = va_arg(ap, const char *);
  va_end(ap);
  return v;
}

static sl_node **row(int k, ...) {
  sl_node **v = mem((size_t)k * sizeof(sl_node *));
  va_list ap;
  int i;
  va_start(ap, k);
  for (i = 0; i < k; i++)
    v[i] = va_arg(ap, sl_node *);
  va_end(ap);
  return v;
}

/* insert into table (cols) values rows... */
static sl_node *ins(const char *t, const char **cols, int ncols, int nrows,
                    ...) {
  sl_node *n = node(SL_N_INSERT);
  va_list ap;
  int i;
  n->u.insert.table = table(NULL, t, NULL);
  n->u.insert.columns = cols;
  n->u.insert.ncolumns = ncols;
  n->u.insert.nrows = nrows;
  n->u.insert.rows = mem((size_t)(nrows > 0 ? nrows : 1) * sizeof(void *));
  va_start(ap, nrows);
  for (i = 0; i < nrows; i++)
    n->u.insert.rows[i] = va_arg(ap, sl_node **);
  va_end(ap);
  return n;
}

/* }==================================================================== */

/* {====================================================================
** Assertions
** ===================================================================== */

static void describe_params(const sl_sql *out, char *dst, size_t size) {
  sl_buf b;
  int i;
  sl_buf_init(&b);
  for (i = 0; i < out->nparams; i++) {
    const sl_param *p = &out->params[i];
    if (i > 0) sl_buf_adds(&b, ", ");
    if (p->placeholder) {
      sl_buf_addf(&b, ":%s", p->placeholder);
      continue;
    }
    switch (p->v.type) {
    case SL_V_NULL:
      sl_buf_adds(&b, "null");
      break;
    case SL_V_INT:
      sl_buf_addf(&b, "%lld", (long long)p->v.u.i);
      break;
    case SL_V_FLOAT:
      sl_buf_addf(&b, "%g", p->v.u.f);
      break;
    case SL_V_BOOL:
      sl_buf_adds(&b, p->v.u.b ? "true" : "false");
      break;
    case SL_V_TEXT:
      sl_buf_addc(&b, '\'');
      sl_buf_add(&b, p->v.u.s.p, p->v.u.s.n);
      sl_buf_addc(&b, '\'');
      break;
    case SL_V_BLOB:
      sl_buf_addf(&b, "blob(%zu)", p->v.u.s.n);
      break;
    }
  }
  snprintf(dst, size, "%s", b.p ? b.p : "");
  sl_buf_free(&b);
}

static void check(int ok, const char *name) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s\n", name);
  }
}

/* Renders n for d and compares text and parameters exactly. */
static void expect(const char *name, const sl_dialect *d, const sl_node *n,
                   const char *sql, const char *params) {
  sl_sql out;
  sl_error err;
  char got[2048];
  sl_error_clear(&err);
  memset(&out, 0, sizeof out);
  if (sl_render_stmt(d, n, A, &out, &err) != SL_OK) {
    failed++;
    printf("FAIL %s [%s]: error %s: %s\n", name, d->name,
           sl_errkind_name(err.kind), err.message);
    return;
  }
  describe_params(&out, got, sizeof got);
  if (strcmp(out.sql, sql) != 0 || strlen(out.sql) != out.len ||
      strcmp(got, params) != 0) {
    failed++;
    printf("FAIL %s [%s]\n  want: %s\n   got: %s\n  want params: %s\n"
           "   got params: %s\n",
           name, d->name, sql, out.sql, params, got);
    return;
  }
  passed++;
}

/* The same tree in all three dialects. */
static void expect3(const char *name, const sl_node *n, const char *sq,
                    const char *pg, const char *my, const char *params) {
  expect(name, SQ, n, sq, params);
  expect(name, PG, n, pg, params);
  expect(name, MY, n, my, params);
}

/* Renders n for d and expects an error of kind whose message contains
** substr. */
static void expect_err(const char *name, const sl_dialect *d, const sl_node *n,
                       sl_errkind kind, const char *substr) {
  sl_sql out;
  sl_error err;
  sl_error_clear(&err);
  if (sl_render_stmt(d, n, A, &out, &err) == SL_OK) {
    failed++;
    printf("FAIL %s [%s]: expected an error, got: %s\n", name, d->name,
           out.sql);
    return;
  }
  if (err.kind != kind || strstr(err.message, substr) == NULL) {
    failed++;
    printf("FAIL %s [%s]: want %s error with \"%s\", got %s: %s\n", name,
           d->name, sl_errkind_name(kind), substr, sl_errkind_name(err.kind),
           err.message);
    return;
  }
  passed++;
}

/* }==================================================================== */

/* {====================================================================
** Utilities
** ===================================================================== */

static void test_utilities(void) {
  sl_buf b;
  sl_error e;
  sl_arena *a;
  char *big, *s;
  int i, ok;

  sl_buf_init(&b);
  for (i = 0; i < 1000; i++)
    sl_buf_addf(&b, "%d,", i);
  check(b.n > 2000 && strncmp(b.p, "0,1,2,", 6) == 0 && !b.oom &&
            b.p[b.n] == '\0',
        "buf grows with addf");
  sl_buf_reset(&b);
  check(b.n == 0 && b.p[0] == '\0', "buf reset");
  sl_buf_add(&b, "a\0b", 3);
  check(b.n == 3 && b.p[1] == '\0' && b.p[2] == 'b', "buf keeps NUL bytes");
  sl_buf_free(&b);
  sl_buf_add(&b, "", 0);
  check(b.p != NULL && b.p[0] == '\0', "empty buf is NUL-terminated");
  sl_buf_free(&b);

  sl_quote_ident(&b, '"', "a\"b\"");
  check(strcmp(b.p, "\"a\"\"b\"\"\"") == 0, "quote_ident doubles quotes");
  sl_buf_reset(&b);
  sl_quote_ident(&b, '`', "x`y");
  check(strcmp(b.p, "`x``y`") == 0, "quote_ident backtick");
  sl_buf_free(&b);

  a = sl_arena_new();
  check(a != NULL, "arena new");
  big = sl_arena_alloc(a, 100000);
  ok = big != NULL;
  for (i = 0; ok && i < 100000; i++)
    if (big[i] != 0) ok = 0;
  check(ok, "arena big allocation zeroed");
  ok = 1;
  for (i = 0; i < 5000; i++) {
    long long *p = sl_arena_alloc(a, sizeof *p);
    if (p == NULL || ((size_t)p % sizeof(long long)) != 0 || *p != 0)
      ok = 0;
    else
      *p = -1;
  }
  check(ok, "arena many small aligned zeroed");
  s = sl_arena_strndup(a, "hello world", 5);
  check(s && strcmp(s, "hello") == 0, "arena strndup");
  sl_arena_free(a);
  sl_arena_free(NULL);

  ok = 1;
  for (i = 0; i < SL_C__COUNT; i++)
    if (sl_codec_find(sl_codec_name((sl_codec)i)) != i) ok = 0;
  check(ok, "codec names round-trip");
  check(strcmp(sl_codec_name(SL_C_TIMESTAMP_MS), "timestamp_ms") == 0 &&
            strcmp(sl_codec_name(SL_C_ANY), "any") == 0 &&
            strcmp(sl_codec_name(SL_C_EPOCH_MS), "epoch_ms") == 0,
        "codec names");
  check(sl_codec_find("nope") == -1 && sl_codec_find(NULL) == -1 &&
            sl_codec_name(SL_C__COUNT) == NULL,
        "unknown codecs");

  sl_error_clear(&e);
  check(sl_error_set(&e, SL_EK_USAGE, "bad %s %d", "x", 3) == SL_ERROR &&
            e.kind == SL_EK_USAGE && strcmp(e.message, "bad x 3") == 0,
        "error set");
  sl_error_field(e.sqlstate, sizeof e.sqlstate, "23505XYZ");
  check(strcmp(e.sqlstate, "23505") == 0, "error field truncates");
  sl_error_field(e.table, sizeof e.table, NULL);
  check(e.table[0] == '\0', "error field NULL");
  check(strcmp(sl_errkind_name(SL_EK_VALIDATION), "validation") == 0 &&
            strcmp(sl_errkind_name(SL_EK_DATABASE), "database") == 0 &&
            strcmp(sl_errkind_name(SL_EK_CONNECTION), "connection") == 0 &&
            strcmp(sl_errkind_name(SL_EK_ROLLBACK), "rollback") == 0 &&
            strcmp(sl_errkind_name(SL_EK_MIGRATION), "migration") == 0 &&
            strcmp(sl_errkind_name(SL_EK_USAGE), "usage") == 0,
        "errkind names");

  check(sl_dialect_find("sqlite") == SQ && sl_dialect_find("pg") == PG &&
            sl_dialect_find("postgres") == PG &&
            sl_dialect_find("postgresql") == PG &&
            sl_dialect_find("mysql") == MY &&
            sl_dialect_find("mariadb") == MY &&
            sl_dialect_find("oracle") == NULL && sl_dialect_find(NULL) == NULL,
        "dialect find");
  check(SQ->quote == '"' && PG->quote == '"' && MY->quote == '`',
        "dialect quotes");
  check((MY->caps & SL_CAP_INSERT_RETURNING) &&
            !(MY->caps & SL_CAP_RETURNING) && (PG->caps & SL_CAP_ILIKE) &&
            !(SQ->caps & SL_CAP_ILIKE) && !(SQ->caps & SL_CAP_PAREN_SETOP) &&
            (MY->caps & SL_CAP_ON_DUPLICATE) && !(MY->caps & SL_CAP_FULL_JOIN),
        "dialect caps");
}

/* }==================================================================== */

/* {====================================================================
** Expressions
** ===================================================================== */

static void test_expressions(void) {
  sl_node *uid = col("users", "id"), *uname = col("users", "name");
  sl_node *q, *n;
  sl_sql out;
  sl_error err;

  expect3("col", uid, "\"users\".\"id\"", "\"users\".\"id\"", "`users`.`id`",
          "");
  expect3("col without table", col(NULL, "id"), "\"id\"", "\"id\"", "`id`", "");
  expect3("col quoting", col("we\"ird", "a`b"), "\"we\"\"ird\".\"a`b\"",
          "\"we\"\"ird\".\"a`b\"", "`we\"ird`.`a``b`", "");
  expect3("param", pint(7), "?", "$1", "?", "7");
  expect3("param text", ptext("it's"), "?", "$1", "?", "'it's'");
  expect3("param null bool float",
          logic(SL_N_AND, 3, eq(uid, pnull()), eq(uid, pbool(1)),
                eq(uid, pfloat(1.5))),
          "(\"users\".\"id\" = ? and \"users\".\"id\" = ? and "
          "\"users\".\"id\" = ?)",
          "(\"users\".\"id\" = $1 and \"users\".\"id\" = $2 and "
          "\"users\".\"id\" = $3)",
          "(`users`.`id` = ? and `users`.`id` = ? and `users`.`id` = ?)",
          "null, true, 1.5");
  expect3("placeholder", eq(uid, ph("id")), "\"users\".\"id\" = ?",
          "\"users\".\"id\" = $1", "`users`.`id` = ?", ":id");

  /* parameter slots keep codec and column; values are borrowed */
  n = ptext("ada");
  n->u.param.column = "users.name";
  q = ph("lim");
  q->u.ph.codec = SL_C_INT;
  q->u.ph.column = "users.id";
  sl_error_clear(&err);
  check(sl_render_stmt(PG, logic(SL_N_AND, 2, eq(uname, n), eq(uid, q)), A,
                       &out, &err) == SL_OK &&
            out.nparams == 2 && out.params[0].codec == SL_C_TEXT &&
            strcmp(out.params[0].column, "users.name") == 0 &&
            out.params[0].placeholder == NULL &&
            out.params[0].v.u.s.p == n->u.param.v.u.s.p &&
            out.params[1].codec == SL_C_INT &&
            strcmp(out.params[1].placeholder, "lim") == 0 &&
            strcmp(out.params[1].column, "users.id") == 0 &&
            out.params[1].v.type == SL_V_NULL,
        "param slots carry codec, column, placeholder");

  expect3("raw", raw("now()"), "now()", "now()", "now()", "");
  expect3("ident", ident("my \"x\""), "\"my \"\"x\"\"\"", "\"my \"\"x\"\"\"",
          "`my \"x\"`", "");
  expect3("sql node", sqln(2, "lower(", uname, ") = ", ptext("ada"), ""),
          "lower(\"users\".\"name\") = ?", "lower(\"users\".\"name\") = $1",
          "lower(`users`.`name`) = ?", "'ada'");
  expect3("sql node without nodes", sqln(0, "1 + 1"), "1 + 1", "1 + 1", "1 + 1",
          "");
  expect3("null", node(SL_N_NULL), "null", "null", "null", "");
  expect("default pg", PG, node(SL_N_DEFAULT), "default", "");
  expect("default mysql", MY, node(SL_N_DEFAULT), "default", "");
  expect_err("default sqlite", SQ, node(SL_N_DEFAULT), SL_EK_USAGE,
             "default keyword is not supported by sqlite");
  expect3("excluded", excluded("name"), "excluded.\"name\"",
          "excluded.\"name\"", "values(`name`)", "");

  expect3("ne", bin(SL_OP_NE, uid, pint(1)), "\"users\".\"id\" <> ?",
          "\"users\".\"id\" <> $1", "`users`.`id` <> ?", "1");
  expect3("gt gte lt lte",
          logic(SL_N_AND, 4, bin(SL_OP_GT, uid, pint(1)),
                bin(SL_OP_GTE, uid, pint(2)), bin(SL_OP_LT, uid, pint(3)),
                bin(SL_OP_LTE, uid, pint(4))),
          "(\"users\".\"id\" > ? and \"users\".\"id\" >= ? and "
          "\"users\".\"id\" < ? and \"users\".\"id\" <= ?)",
          "(\"users\".\"id\" > $1 and \"users\".\"id\" >= $2 and "
          "\"users\".\"id\" < $3 and \"users\".\"id\" <= $4)",
          "(`users`.`id` > ? and `users`.`id` >= ? and `users`.`id` < ? and "
          "`users`.`id` <= ?)",
          "1, 2, 3, 4");
  expect3("like", bin(SL_OP_LIKE, uname, ptext("a%")),
          "\"users\".\"name\" like ?", "\"users\".\"name\" like $1",
          "`users`.`name` like ?", "'a%'");
  expect3("not like", bin(SL_OP_NOT_LIKE, uname, ptext("a%")),
          "\"users\".\"name\" not like ?", "\"users\".\"name\" not like $1",
          "`users`.`name` not like ?", "'a%'");
  expect3("ilike", bin(SL_OP_ILIKE, uname, ptext("a%")),
          "lower(\"users\".\"name\") like lower(?)",
          "\"users\".\"name\" ilike $1", "lower(`users`.`name`) like lower(?)",
          "'a%'");
  expect3("not ilike", bin(SL_OP_NOT_ILIKE, uname, ptext("a%")),
          "lower(\"users\".\"name\") not like lower(?)",
          "\"users\".\"name\" not ilike $1",
          "lower(`users`.`name`) not like lower(?)", "'a%'");

  expect3("and empty", logic(SL_N_AND, 0), "true", "true", "true", "");
  expect3("or empty", logic(SL_N_OR, 0), "false", "false", "false", "");
  expect3("and one", logic(SL_N_AND, 1, eq(uid, pint(1))),
          "\"users\".\"id\" = ?", "\"users\".\"id\" = $1", "`users`.`id` = ?",
          "1");
  expect3(
      "and/or nested",
      logic(SL_N_AND, 2, eq(uid, pint(1)),
            logic(SL_N_OR, 2, eq(uname, ptext("a")), eq(uname, ptext("b")))),
      "(\"users\".\"id\" = ? and (\"users\".\"name\" = ? or "
      "\"users\".\"name\" = ?))",
      "(\"users\".\"id\" = $1 and (\"users\".\"name\" = $2 or "
      "\"users\".\"name\" = $3))",
      "(`users`.`id` = ? and (`users`.`name` = ? or `users`.`name` = "
      "?))",
      "1, 'a', 'b'");

  expect3("not compound", not_(eq(uid, pint(1))), "not (\"users\".\"id\" = ?)",
          "not (\"users\".\"id\" = $1)", "not (`users`.`id` = ?)", "1");
  expect3("not and",
          not_(logic(SL_N_AND, 2, eq(uid, pint(1)), isnull(uname, 0))),
          "not (\"users\".\"id\" = ? and \"users\".\"name\" is null)",
          "not (\"users\".\"id\" = $1 and \"users\".\"name\" is null)",
          "not (`users`.`id` = ? and `users`.`name` is null)", "1");
  expect3("not atom", not_(col("users", "active")), "not \"users\".\"active\"",
          "not \"users\".\"active\"", "not `users`.`active`", "");
  expect3("is null", isnull(uname, 0), "\"users\".\"name\" is null",
          "\"users\".\"name\" is null", "`users`.`name` is null", "");
  expect3("is not null", isnull(uname, 1), "\"users\".\"name\" is not null",
          "\"users\".\"name\" is not null", "`users`.`name` is not null", "");

  expect3("in list", in_list(uid, 0, 3, pint(1), pint(2), pint(3)),
          "\"users\".\"id\" in (?, ?, ?)", "\"users\".\"id\" in ($1, $2, $3)",
          "`users`.`id` in (?, ?, ?)", "1, 2, 3");
  expect3("not in list", in_list(uid, 1, 1, pint(1)),
          "\"users\".\"id\" not in (?)", "\"users\".\"id\" not in ($1)",
          "`users`.`id` not in (?)", "1");
  expect3("in empty", in_list(uid, 0, 0), "false", "false", "false", "");
  expect3("not in empty", in_list(uid, 1, 0), "true", "true", "true", "");
  q = sel(table(NULL, "posts", NULL), 1, "authorId", col("posts", "author_id"));
  q->u.select.where = bin(SL_OP_GT, col("posts", "likes"), pint(10));
  expect3("in subquery", in_sub(uid, 0, q),
          "\"users\".\"id\" in (select \"author_id\" from \"posts\" where "
          "\"posts\".\"likes\" > ?)",
          "\"users\".\"id\" in (select \"author_id\" from \"posts\" where "
          "\"posts\".\"likes\" > $1)",
          "`users`.`id` in (select `author_id` from `posts` where "
          "`posts`.`likes` > ?)",
          "10");
  expect3("not in subquery", in_sub(uid, 1, q),
          "\"users\".\"id\" not in (select \"author_id\" from \"posts\" "
          "where \"posts\".\"likes\" > ?)",
          "\"users\".\"id\" not in (select \"author_id\" from \"posts\" "
          "where \"posts\".\"likes\" > $1)",
          "`users`.`id` not in (select `author_id` from `posts` where "
          "`posts`.`likes` > ?)",
          "10");
  expect3("between", between(uid, pint(1), pint(9), 0),
          "\"users\".\"id\" between ? and ?",
          "\"users\".\"id\" between $1 and $2", "`users`.`id` between ? and ?",
          "1, 9");
  expect3("not between", between(uid, pint(1), pint(9), 1),
          "\"users\".\"id\" not between ? and ?",
          "\"users\".\"id\" not between $1 and $2",
          "`users`.`id` not between ? and ?", "1, 9");

  q = sel(table(NULL, "posts", NULL), 1, "one", raw("1"));
  q->u.select.where = eq(col("posts", "author_id"), uid);
  expect3("exists", exists(q, 0),
          "exists (select 1 from \"posts\" where \"posts\".\"author_id\" = "
          "\"users\".\"id\")",
          "exists (select 1 from \"posts\" where \"posts\".\"author_id\" = "
          "\"users\".\"id\")",
          "exists (select 1 from `posts` where `posts`.`author_id` = "
          "`users`.`id`)",
          "");
  expect3("not exists", not_(exists(q, 0)),
          "not exists (select 1 from \"posts\" where \"posts\".\"author_id\""
          " = \"users\".\"id\")",
          "not exists (select 1 from \"posts\" where \"posts\".\"author_id\""
          " = \"users\".\"id\")",
          "not exists (select 1 from `posts` where `posts`.`author_id` = "
          "`users`.`id`)",
          "");
  expect("exists negated", PG, exists(q, 1),
         "not exists (select 1 from \"posts\" where \"posts\".\"author_id\" "
         "= \"users\".\"id\")",
         "");

  expect3("count(*)", func("count", 0, 0), "count(*)", "count(*)", "count(*)",
          "");
  expect3("count distinct", func("count", 1, 1, uid),
          "count(distinct \"users\".\"id\")",
          "count(distinct \"users\".\"id\")", "count(distinct `users`.`id`)",
          "");
  expect3("coalesce", func("coalesce", 0, 2, uname, ptext("x")),
          "coalesce(\"users\".\"name\", ?)", "coalesce(\"users\".\"name\", $1)",
          "coalesce(`users`.`name`, ?)", "'x'");
  expect3("alias", alias(func("max", 0, 1, uid), "top"),
          "max(\"users\".\"id\") as \"top\"",
          "max(\"users\".\"id\") as \"top\"", "max(`users`.`id`) as `top`", "");
  expect3("order asc", order(uid, 0), "\"users\".\"id\" asc",
          "\"users\".\"id\" asc", "`users`.`id` asc", "");
  expect3("order desc", order(uid, 1), "\"users\".\"id\" desc",
          "\"users\".\"id\" desc", "`users`.`id` desc", "");
  q = sel(table(NULL, "posts", NULL), 1, "n", func("count", 0, 0));
  q->u.select.where = eq(col("posts", "author_id"), uid);
  expect3("scalar", bin(SL_OP_GT, scalar(q), pint(2)),
          "(select count(*) from \"posts\" where \"posts\".\"author_id\" = "
          "\"users\".\"id\") > ?",
          "(select count(*) from \"posts\" where \"posts\".\"author_id\" = "
          "\"users\".\"id\") > $1",
          "(select count(*) from `posts` where `posts`.`author_id` = "
          "`users`.`id`) > ?",
          "2");
  expect3("table source", table("app", "users", "u"), "\"app\".\"users\" \"u\"",
          "\"app\".\"users\" \"u\"", "`app`.`users` `u`", "");
}

/* }==================================================================== */

/* {====================================================================
** Select
** ===================================================================== */

static void test_select(void) {
  sl_node *users = table(NULL, "users", NULL);
  sl_node *posts = table(NULL, "posts", NULL);
  sl_node *uid = col("users", "id");
  sl_node *s, *inner, *big;

  s = sel(users, 2, "id", uid, "name", col("users", "name"));
  s->u.select.where = eq(uid, pint(1));
  expect3("select basic", s,
          "select \"id\", \"name\" from \"users\" where \"users\".\"id\" = ?",
          "select \"id\", \"name\" from \"users\" where \"users\".\"id\" = $1",
          "select `id`, `name` from `users` where `users`.`id` = ?", "1");

  s = sel(users, 2, "id", uid, "pid", col("posts", "id"));
  add_join(s, SL_JOIN_LEFT, posts, eq(uid, col("posts", "author_id")));
  expect3("select left join", s,
          "select \"users\".\"id\", \"posts\".\"id\" from \"users\" left join"
          " \"posts\" on \"users\".\"id\" = \"posts\".\"author_id\"",
          "select \"users\".\"id\", \"posts\".\"id\" from \"users\" left join"
          " \"posts\" on \"users\".\"id\" = \"posts\".\"author_id\"",
          "select `users`.`id`, `posts`.`id` from `users` left join `posts` "
          "on `users`.`id` = `posts`.`author_id`",
          "");

  s = sel(users, 1, "id", uid);
  add_join(s, SL_JOIN_INNER, posts, eq(uid, col("posts", "author_id")));
  add_join(s, SL_JOIN_RIGHT, table(NULL, "c", NULL),
           eq(col("c", "pid"), col("posts", "id")));
  add_join(s, SL_JOIN_CROSS, table(NULL, "t", NULL), NULL);
  expect3("select inner right cross joins", s,
          "select \"users\".\"id\" from \"users\" inner join \"posts\" on "
          "\"users\".\"id\" = \"posts\".\"author_id\" right join \"c\" on "
          "\"c\".\"pid\" = \"posts\".\"id\" cross join \"t\"",
          "select \"users\".\"id\" from \"users\" inner join \"posts\" on "
          "\"users\".\"id\" = \"posts\".\"author_id\" right join \"c\" on "
          "\"c\".\"pid\" = \"posts\".\"id\" cross join \"t\"",
          "select `users`.`id` from `users` inner join `posts` on "
          "`users`.`id` = `posts`.`author_id` right join `c` on `c`.`pid` = "
          "`posts`.`id` cross join `t`",
          "");

  s = sel(users, 1, "id", uid);
  add_join(s, SL_JOIN_FULL, posts, eq(uid, col("posts", "author_id")));
  expect("full join sqlite", SQ, s,
         "select \"users\".\"id\" from \"users\" full join \"posts\" on "
         "\"users\".\"id\" = \"posts\".\"author_id\"",
         "");
  expect("full join pg", PG, s,
         "select \"users\".\"id\" from \"users\" full join \"posts\" on "
         "\"users\".\"id\" = \"posts\".\"author_id\"",
         "");
  expect_err("full join mysql", MY, s, SL_EK_USAGE,
             "full join is not supported by mysql");

  s = sel(users, 2, "role", col("users", "role"), "n", func("count", 0, 0));
  s->u.select.distinct = 1;
  s->u.select.where = bin(SL_OP_GT, uid, pint(10));
  s->u.select.group_by = list(1, col("users", "role"));
  s->u.select.having = bin(SL_OP_GT, func("count", 0, 0), pint(1));
  s->u.select.order_by =
      list(2, order(col("users", "role"), 1), func("count", 0, 0));
  s->u.select.limit = pint(10);
  s->u.select.offset = pint(20);
  expect3("select all clauses", s,
          "select distinct \"role\", count(*) from \"users\" where "
          "\"users\".\"id\" > ? group by \"users\".\"role\" having count(*) > "
          "? order by \"users\".\"role\" desc, count(*) limit ? "
          "offset ?",
          "select distinct \"role\", count(*) from \"users\" where "
          "\"users\".\"id\" > $1 group by \"users\".\"role\" having count(*) "
          "> $2 order by \"users\".\"role\" desc, count(*) limit $3 "
          "offset $4",
          "select distinct `role`, count(*) from `users` where `users`.`id` "
          "> ? group by `users`.`role` having count(*) > ? order by "
          "`users`.`role` desc, count(*) limit ? offset ?",
          "10, 1, 10, 20");

  s = sel(users, 1, "id", uid);
  s->u.select.offset = ph("skip");
  expect3("offset without limit", s,
          "select \"id\" from \"users\" limit -1 offset ?",
          "select \"id\" from \"users\" offset $1",
          "select `id` from `users` limit 18446744073709551615 offset ?",
          ":skip");

  s = sel(table("app", "users", "u"), 2, "id", col("u", "id"), "x",
          col("u", "name"));
  s->u.select.where = eq(col("u", "id"), pint(3));
  expect3("select aliased table", s,
          "select \"id\", \"name\" from \"app\".\"users\" \"u\" where "
          "\"u\".\"id\" = ?",
          "select \"id\", \"name\" from \"app\".\"users\" \"u\" where "
          "\"u\".\"id\" = $1",
          "select `id`, `name` from `app`.`users` `u` where `u`.`id` = ?", "3");

  /* select list expressions of a single-table select name columns bare */
  s = sel(users, 1, "lname", sqln(1, "lower(", col("users", "name"), ")"));
  expect("select expression single table", PG, s,
         "select lower(\"name\") from \"users\"", "");

  s = sel(NULL, 1, "one", raw("1"));
  expect3("select without from", s, "select 1", "select 1", "select 1", "");

  inner = sel(posts, 2, "authorId", col("posts", "author_id"), "n",
              func("count", 0, 0));
  inner->u.select.alias_fields = 1;
  inner->u.select.where = bin(SL_OP_GT, col("posts", "likes"), pint(5));
  inner->u.select.group_by = list(1, col("posts", "author_id"));
  s = sel(subq(inner, "sq"), 2, "authorId", col("sq", "authorId"), "n",
          col("sq", "n"));
  s->u.select.where = bin(SL_OP_GT, col("sq", "n"), pint(1));
  expect3("select from subquery", s,
          "select \"authorId\", \"n\" from (select \"author_id\" as "
          "\"authorId\", count(*) as \"n\" from \"posts\" where "
          "\"posts\".\"likes\" > ? group by \"posts\".\"author_id\") \"sq\" "
          "where \"sq\".\"n\" > ?",
          "select \"authorId\", \"n\" from (select \"author_id\" as "
          "\"authorId\", count(*) as \"n\" from \"posts\" where "
          "\"posts\".\"likes\" > $1 group by \"posts\".\"author_id\") \"sq\" "
          "where \"sq\".\"n\" > $2",
          "select `authorId`, `n` from (select `author_id` as `authorId`, "
          "count(*) as `n` from `posts` where `posts`.`likes` > ? group by "
          "`posts`.`author_id`) `sq` where `sq`.`n` > ?",
          "5, 1");

  /* a join in a subquery qualifies its fields; the alias names them */
  inner = sel(users, 2, "id", uid, "title", col("posts", "title"));
  inner->u.select.alias_fields = 1;
  add_join(inner, SL_JOIN_INNER, posts, eq(uid, col("posts", "author_id")));
  s = sel(users, 2, "id", uid, "title", col("sq", "title"));
  add_join(s, SL_JOIN_LEFT, subq(inner, "sq"), eq(col("sq", "id"), uid));
  expect("join subquery", PG, s,
         "select \"users\".\"id\", \"sq\".\"title\" from \"users\" left join "
         "(select \"users\".\"id\", \"posts\".\"title\" from \"users\" inner "
         "join \"posts\" on \"users\".\"id\" = \"posts\".\"author_id\") \"sq\""
         " on \"sq\".\"id\" = \"users\".\"id\"",
         "");

  /* alias node inside an aliased select: the key wins */
  inner = sel(users, 1, "total", alias(func("count", 0, 0), "ignored"));
  inner->u.select.alias_fields = 1;
  expect("alias node in aliased select", PG, inner,
         "select count(*) as \"total\" from \"users\"", "");
  expect("alias node in plain select", PG,
         sel(users, 1, "c", alias(func("count", 0, 0), "c")),
         "select count(*) as \"c\" from \"users\"", "");

  /* CTE: parameters numbered across the CTE, where and limit */
  inner = sel(users, 2, "id", uid, "userName", col("users", "name"));
  inner->u.select.where = eq(col("users", "role"), ptext("admin"));
  s = sel(table(NULL, "sq", NULL), 2, "id", col("sq", "id"), "userName",
          col("sq", "userName"));
  s->u.select.ctes = ctes1("sq", inner);
  s->u.select.nctes = 1;
  s->u.select.where = bin(SL_OP_GT, col("sq", "id"), pint(5));
  s->u.select.limit = pint(10);
  expect3("cte", s,
          "with \"sq\" as (select \"id\", \"name\" as \"userName\" from "
          "\"users\" where \"users\".\"role\" = ?) select \"id\", \"userName\""
          " from \"sq\" where \"sq\".\"id\" > ? limit ?",
          "with \"sq\" as (select \"id\", \"name\" as \"userName\" from "
          "\"users\" where \"users\".\"role\" = $1) select \"id\", "
          "\"userName\" from \"sq\" where \"sq\".\"id\" > $2 limit $3",
          "with `sq` as (select `id`, `name` as `userName` from `users` where "
          "`users`.`role` = ?) select `id`, `userName` from `sq` where "
          "`sq`.`id` > ? limit ?",
          "'admin', 5, 10");

  {
    sl_cte *two = mem(2 * sizeof *two);
    sl_node *a = sel(users, 1, "id", uid),
            *b = sel(posts, 1, "id", col("posts", "id"));
    a->u.select.where = eq(uid, pint(1));
    b->u.select.where = eq(col("posts", "id"), pint(2));
    two[0].name = "a";
    two[0].query = a;
    two[1].name = "b";
    two[1].query = b;
    s = sel(table(NULL, "a", NULL), 1, "id", col("a", "id"));
    s->u.select.ctes = two;
    s->u.select.nctes = 2;
    add_join(s, SL_JOIN_INNER, table(NULL, "b", NULL),
             eq(col("a", "id"), col("b", "id")));
    expect("two ctes", PG, s,
           "with \"a\" as (select \"id\" from \"users\" where \"users\".\"id\" "
           "= $1), \"b\" as (select \"id\" from \"posts\" where "
           "\"posts\".\"id\" = $2) select \"a\".\"id\" from \"a\" inner join "
           "\"b\" on \"a\".\"id\" = \"b\".\"id\"",
           "1, 2");
  }

  /* deep nesting is refused, not a stack overflow */
  {
    int i;
    big = eq(uid, pint(1));
    for (i = 0; i < 5000; i++)
      big = not_(big);
    expect_err("nested too deeply", PG, big, SL_EK_USAGE, "nested too deeply");
  }

  expect_err("malformed bin", PG, eq(NULL, pint(1)), SL_EK_USAGE,
             "malformed statement tree");
  s = sel(users, 0);
  expect_err("select without fields", PG, s, SL_EK_USAGE, "empty field list");
}

/* }==================================================================== */

/* {====================================================================
** Set operations
** ===================================================================== */

static void test_setops(void) {
  sl_node *a = sel(table(NULL, "users", NULL), 1, "id", col("users", "id"));
  sl_node *b = sel(table(NULL, "admins", NULL), 1, "id", col("admins", "id"));
  sl_node *c = sel(table(NULL, "guests", NULL), 1, "id", col("guests", "id"));
  sl_node *u, *lim;
  a->u.select.where = bin(SL_OP_GT, col("users", "id"), pint(1));
  b->u.select.where = bin(SL_OP_GT, col("admins", "id"), pint(2));

  u = setop(SL_SET_UNION, a, b);
  expect3("union", u,
          "select \"id\" from \"users\" where \"users\".\"id\" > ? union "
          "select \"id\" from \"admins\" where \"admins\".\"id\" > ?",
          "(select \"id\" from \"users\" where \"users\".\"id\" > $1) union "
          "(select \"id\" from \"admins\" where \"admins\".\"id\" > $2)",
          "(select `id` from `users` where `users`.`id` > ?) union (select "
          "`id` from `admins` where `admins`.`id` > ?)",
          "1, 2");
  u = setop(SL_SET_UNION_ALL, a, b);
  u->u.setop.order_by = list(1, order(col("users", "id"), 1));
  u->u.setop.limit = pint(5);
  u->u.setop.offset = pint(6);
  expect3("union all order limit", u,
          "select \"id\" from \"users\" where \"users\".\"id\" > ? union all "
          "select \"id\" from \"admins\" where \"admins\".\"id\" > ? order by"
          " \"id\" desc limit ? offset ?",
          "(select \"id\" from \"users\" where \"users\".\"id\" > $1) union "
          "all (select \"id\" from \"admins\" where \"admins\".\"id\" > $2) "
          "order by \"id\" desc limit $3 offset $4",
          "(select `id` from `users` where `users`.`id` > ?) union all "
          "(select `id` from `admins` where `admins`.`id` > ?) order by `id`"
          " desc limit ? offset ?",
          "1, 2, 5, 6");
  expect3("intersect", setop(SL_SET_INTERSECT, b, c),
          "select \"id\" from \"admins\" where \"admins\".\"id\" > ? "
          "intersect select \"id\" from \"guests\"",
          "(select \"id\" from \"admins\" where \"admins\".\"id\" > $1) "
          "intersect (select \"id\" from \"guests\")",
          "(select `id` from `admins` where `admins`.`id` > ?) intersect "
          "(select `id` from `guests`)",
          "2");
  expect3("except", setop(SL_SET_EXCEPT, c, b),
          "select \"id\" from \"guests\" except select \"id\" from \"admins\""
          " where \"admins\".\"id\" > ?",
          "(select \"id\" from \"guests\") except (select \"id\" from "
          "\"admins\" where \"admins\".\"id\" > $1)",
          "(select `id` from `guests`) except (select `id` from `admins` "
          "where `admins`.`id` > ?)",
          "2");
  /* left-nested chains stay flat on SQLite; a right-nested one becomes a
  ** derived table so evaluation order is kept */
  expect3("nested left", setop(SL_SET_UNION, setop(SL_SET_UNION, a, b), c),
          "select \"id\" from \"users\" where \"users\".\"id\" > ? union "
          "select \"id\" from \"admins\" where \"admins\".\"id\" > ? union "
          "select \"id\" from \"guests\"",
          "((select \"id\" from \"users\" where \"users\".\"id\" > $1) union "
          "(select \"id\" from \"admins\" where \"admins\".\"id\" > $2)) "
          "union (select \"id\" from \"guests\")",
          "((select `id` from `users` where `users`.`id` > ?) union (select "
          "`id` from `admins` where `admins`.`id` > ?)) union (select `id` "
          "from `guests`)",
          "1, 2");
  expect("nested right sqlite", SQ,
         setop(SL_SET_EXCEPT, c, setop(SL_SET_UNION, a, b)),
         "select \"id\" from \"guests\" except select * from (select \"id\" "
         "from \"users\" where \"users\".\"id\" > ? union select \"id\" from "
         "\"admins\" where \"admins\".\"id\" > ?)",
         "1, 2");
  lim = sel(table(NULL, "admins", NULL), 1, "id", col("admins", "id"));
  lim->u.select.order_by = list(1, col("admins", "id"));
  lim->u.select.limit = pint(3);
  expect3("operand with limit", setop(SL_SET_UNION, c, lim),
          "select \"id\" from \"guests\" union select * from (select \"id\" "
          "from \"admins\" order by \"admins\".\"id\" limit ?)",
          "(select \"id\" from \"guests\") union (select \"id\" from "
          "\"admins\" order by \"admins\".\"id\" limit $1)",
          "(select `id` from `guests`) union (select `id` from `admins` order"
          " by `admins`.`id` limit ?)",
          "3");
}

/* }==================================================================== */

/* {====================================================================
** Insert, update, delete
** ===================================================================== */

static void test_insert(void) {
  const char **nc = names(2, "name", "email");
  sl_node *n, *q;

  n = ins("users", nc, 2, 2, row(2, ptext("Ada"), ptext("a@x.io")),
          row(2, ptext("Bob"), ptext("b@x.io")));
  n->u.insert.returning =
      fields(2, "id", col("users", "id"), "name", col("users", "name"));
  n->u.insert.has_returning = 1;
  expect3("insert rows returning", n,
          "insert into \"users\" (\"name\", \"email\") values (?, ?), (?, ?) "
          "returning \"id\", \"name\"",
          "insert into \"users\" (\"name\", \"email\") values ($1, $2), ($3, "
          "$4) returning \"id\", \"name\"",
          "insert into `users` (`name`, `email`) values (?, ?), (?, ?) "
          "returning `id`, `name`",
          "'Ada', 'a@x.io', 'Bob', 'b@x.io'");

  n = ins("users", nc, 2, 2, row(2, ptext("Ada"), ptext("a@x.io")),
          row(2, ptext("Bob"), node(SL_N_DEFAULT)));
  expect("insert default pg", PG, n,
         "insert into \"users\" (\"name\", \"email\") values ($1, $2), ($3, "
         "default)",
         "'Ada', 'a@x.io', 'Bob'");
  expect("insert default mysql", MY, n,
         "insert into `users` (`name`, `email`) values (?, ?), (?, default)",
         "'Ada', 'a@x.io', 'Bob'");
  expect_err("insert default sqlite", SQ, n, SL_EK_USAGE,
             "not supported by sqlite");

  n = ins("users", names(1, "name"), 1, 1, row(1, ptext("Ada")));
  n->u.insert.conflict = 1;
  n->u.insert.conflict_target = list(1, col("users", "email"));
  expect("on conflict do nothing sqlite", SQ, n,
         "insert into \"users\" (\"name\") values (?) on conflict (\"email\") "
         "do nothing",
         "'Ada'");
  expect("on conflict do nothing pg", PG, n,
         "insert into \"users\" (\"name\") values ($1) on conflict "
         "(\"email\") do nothing",
         "'Ada'");
  expect_err("on conflict mysql", MY, n, SL_EK_USAGE,
             "on conflict is not supported by mysql");

  n = ins("users", names(1, "name"), 1, 1, row(1, ptext("Ada")));
  n->u.insert.conflict = 1;
  expect("on conflict no target", PG, n,
         "insert into \"users\" (\"name\") values ($1) on conflict do nothing",
         "'Ada'");

  n = ins("users", nc, 2, 1, row(2, ptext("Ada"), ptext("a@x.io")));
  n->u.insert.conflict = 2;
  n->u.insert.conflict_target = list(1, col("users", "email"));
  n->u.insert.conflict_where = isnull(col("users", "deleted_at"), 0);
  n->u.insert.conflict_set =
      assigns(2, "name", excluded("name"), "visits",
              sqln(1, "", col("users", "visits"), " + 1"));
  n->u.insert.nconflict_set = 2;
  n->u.insert.conflict_set_where =
      bin(SL_OP_NE, col("users", "name"), ptext("root"));
  n->u.insert.returning = fields(1, "id", col("users", "id"));
  expect("on conflict do update pg", PG, n,
         "insert into \"users\" (\"name\", \"email\") values ($1, $2) on "
         "conflict (\"email\") where \"deleted_at\" is null do update set "
         "\"name\" = excluded.\"name\", \"visits\" = \"users\".\"visits\" + 1"
         " where \"users\".\"name\" <> $3 returning \"id\"",
         "'Ada', 'a@x.io', 'root'");
  expect("on conflict do update sqlite", SQ, n,
         "insert into \"users\" (\"name\", \"email\") values (?, ?) on "
         "conflict (\"email\") where \"deleted_at\" is null do update set "
         "\"name\" = excluded.\"name\", \"visits\" = \"users\".\"visits\" + 1"
         " where \"users\".\"name\" <> ? returning \"id\"",
         "'Ada', 'a@x.io', 'root'");

  n = ins("users", nc, 2, 1, row(2, ptext("Ada"), ptext("a@x.io")));
  n->u.insert.dup_set =
      assigns(2, "name", ptext("A"), "email", excluded("email"));
  n->u.insert.ndup_set = 2;
  expect("on duplicate key mysql", MY, n,
         "insert into `users` (`name`, `email`) values (?, ?) on duplicate "
         "key update `name` = ?, `email` = values(`email`)",
         "'Ada', 'a@x.io', 'A'");
  expect_err("on duplicate key pg", PG, n, SL_EK_USAGE,
             "on duplicate key update is not supported by postgresql");
  expect_err("on duplicate key sqlite", SQ, n, SL_EK_USAGE,
             "not supported by sqlite");

  n = ins("users", names(1, "name"), 1, 1, row(1, ptext("Ada")));
  n->u.insert.ignore = 1;
  expect3("insert ignore", n,
          "insert into \"users\" (\"name\") values (?) on conflict do nothing",
          "insert into \"users\" (\"name\") values ($1) on conflict do "
          "nothing",
          "insert ignore into `users` (`name`) values (?)", "'Ada'");

  n = ins("users", NULL, 0, 1, row(1, NULL));
  expect3("insert default values", n, "insert into \"users\" default values",
          "insert into \"users\" default values",
          "insert into `users` () values ()", "");
  n = ins("users", NULL, 0, 2, row(1, NULL), row(1, NULL));
  expect("insert two default rows mysql", MY, n,
         "insert into `users` () values (), ()", "");
  expect_err("insert two default rows pg", PG, n, SL_EK_USAGE,
             "only default values");

  q = sel(table(NULL, "staff", NULL), 2, "name", col("staff", "name"), "email",
          col("staff", "email"));
  n = ins("users", nc, 2, 0);
  n->u.insert.select = q;
  expect3("insert select", n,
          "insert into \"users\" (\"name\", \"email\") select \"name\", "
          "\"email\" from \"staff\"",
          "insert into \"users\" (\"name\", \"email\") select \"name\", "
          "\"email\" from \"staff\"",
          "insert into `users` (`name`, `email`) select `name`, `email` from "
          "`staff`",
          "");
  n->u.insert.conflict = 1;
  expect("insert select on conflict sqlite", SQ, n,
         "insert into \"users\" (\"name\", \"email\") select \"name\", "
         "\"email\" from \"staff\" where true on conflict do nothing",
         "");
  expect("insert select on conflict pg", PG, n,
         "insert into \"users\" (\"name\", \"email\") select \"name\", "
         "\"email\" from \"staff\" on conflict do nothing",
         "");

  n = ins("users", names(1, "name"), 1, 1, row(1, ptext("Ada")));
  n->u.insert.ctes = ctes1("x", sel(NULL, 1, "one", pint(1)));
  n->u.insert.nctes = 1;
  expect("insert with cte", PG, n,
         "with \"x\" as (select $1 as \"one\") insert into \"users\" "
         "(\"name\") values ($2)",
         "1, 'Ada'");

  n = ins("users", names(1, "na\"me"), 1, 1, row(1, ptext("x")));
  n->u.insert.table = table("my`db", "us\"ers", NULL);
  expect3("insert quoting", n,
          "insert into \"my`db\".\"us\"\"ers\" (\"na\"\"me\") values (?)",
          "insert into \"my`db\".\"us\"\"ers\" (\"na\"\"me\") values ($1)",
          "insert into `my``db`.`us\"ers` (`na\"me`) values (?)", "'x'");

  n = ins("users", names(1, "name"), 1, 1, row(1, ptext("x")));
  n->u.insert.has_returning = 1;
  expect_err("returning without fields", PG, n, SL_EK_USAGE,
             "empty field list");
  n = ins("users", names(1, "name"), 0, 0);
  expect_err("insert without rows", PG, n, SL_EK_USAGE, "without rows");
}

static void test_update_delete(void) {
  sl_node *n;
  n = node(SL_N_UPDATE);
  n->u.update.table = table(NULL, "users", NULL);
  n->u.update.set = assigns(2, "name", ptext("B"), "visits",
                            sqln(1, "", col("users", "visits"), " + 1"));
  n->u.update.nset = 2;
  n->u.update.where = eq(col("users", "id"), pint(1));
  expect3("update", n,
          "update \"users\" set \"name\" = ?, \"visits\" = "
          "\"users\".\"visits\" + 1 where \"users\".\"id\" = ?",
          "update \"users\" set \"name\" = $1, \"visits\" = "
          "\"users\".\"visits\" + 1 where \"users\".\"id\" = $2",
          "update `users` set `name` = ?, `visits` = `users`.`visits` + 1 "
          "where `users`.`id` = ?",
          "'B', 1");
  n->u.update.returning = fields(2, "id", col("users", "id"), "upper",
                                 func("upper", 0, 1, col("users", "name")));
  n->u.update.has_returning = 1;
  expect("update returning pg", PG, n,
         "update \"users\" set \"name\" = $1, \"visits\" = "
         "\"users\".\"visits\" + 1 where \"users\".\"id\" = $2 returning "
         "\"id\", upper(\"name\")",
         "'B', 1");
  expect("update returning sqlite", SQ, n,
         "update \"users\" set \"name\" = ?, \"visits\" = "
         "\"users\".\"visits\" + 1 where \"users\".\"id\" = ? returning "
         "\"id\", upper(\"name\")",
         "'B', 1");
  expect_err("update returning mysql", MY, n, SL_EK_USAGE,
             "returning on update is not supported by mysql");

  n = node(SL_N_UPDATE);
  n->u.update.table = table(NULL, "users", NULL);
  expect_err("update without set", PG, n, SL_EK_USAGE, "empty set list");

  n = node(SL_N_DELETE);
  n->u.delete_.table = table(NULL, "users", NULL);
  n->u.delete_.where = eq(col("users", "id"), pint(1));
  expect3("delete", n, "delete from \"users\" where \"users\".\"id\" = ?",
          "delete from \"users\" where \"users\".\"id\" = $1",
          "delete from `users` where `users`.`id` = ?", "1");
  n->u.delete_.returning = fields(1, "id", col("users", "id"));
  n->u.delete_.has_returning = 1;
  expect3("delete returning", n,
          "delete from \"users\" where \"users\".\"id\" = ? returning \"id\"",
          "delete from \"users\" where \"users\".\"id\" = $1 returning "
          "\"id\"",
          "delete from `users` where `users`.`id` = ? returning `id`", "1");
  n = node(SL_N_DELETE);
  n->u.delete_.table = table(NULL, "users", NULL);
  n->u.delete_.ctes = ctes1(
      "old", sel(table(NULL, "users", NULL), 1, "id", col("users", "id")));
  n->u.delete_.ctes->query->u.select.where =
      bin(SL_OP_LT, col("users", "seen"), pint(100));
  n->u.delete_.nctes = 1;
  n->u.delete_.where =
      in_sub(col("users", "id"), 0,
             sel(table(NULL, "old", NULL), 1, "id", col("old", "id")));
  expect("delete with cte", PG, n,
         "with \"old\" as (select \"id\" from \"users\" where "
         "\"users\".\"seen\" < $1) delete from \"users\" where "
         "\"users\".\"id\" in (select \"id\" from \"old\")",
         "100");
}

/* }==================================================================== */

/* {====================================================================
** DDL
** ===================================================================== */

static sl_node *users_table(void) {
  sl_node *n = node(SL_N_CREATE_TABLE);
  sl_coldef *c = mem(5 * sizeof *c);
  c[0].name = "id";
  c[0].type = "serial";
  c[0].primary_key = 1;
  c[0].not_null = 1;
  c[1].name = "name";
  c[1].type = "text";
  c[1].not_null = 1;
  c[2].name = "email";
  c[2].type = "varchar(255)";
  c[2].not_null = 1;
  c[2].unique = "";
  c[3].name = "role";
  c[3].type = "text";
  c[3].not_null = 1;
  c[3].default_ = ptext("it's");
  c[4].name = "created_at";
  c[4].type = "timestamp";
  c[4].default_ = raw("now()");
  n->u.create_table.name = "users";
  n->u.create_table.columns = c;
  n->u.create_table.ncolumns = 5;
  return n;
}

static void test_ddl(void) {
  sl_node *n, *idx;
  sl_coldef *c;
  sl_fk *fk;
  sl_checkdef *ck;
  sl_keydef *pk, *uq;

  n = users_table();
  expect("create table pg", PG, n,
         "CREATE TABLE \"users\" (\n"
         "\t\"id\" serial PRIMARY KEY NOT NULL,\n"
         "\t\"name\" text NOT NULL,\n"
         "\t\"email\" varchar(255) NOT NULL,\n"
         "\t\"role\" text DEFAULT 'it''s' NOT NULL,\n"
         "\t\"created_at\" timestamp DEFAULT now(),\n"
         "\tCONSTRAINT \"users_email_unique\" UNIQUE(\"email\")\n"
         ");",
         "");
  n->u.create_table.columns[0].type = "serial";
  n->u.create_table.columns[0].autoincrement = 1;
  expect("create table mysql", MY, n,
         "CREATE TABLE `users` (\n"
         "\t`id` serial PRIMARY KEY NOT NULL,\n"
         "\t`name` text NOT NULL,\n"
         "\t`email` varchar(255) NOT NULL,\n"
         "\t`role` text NOT NULL DEFAULT 'it''s',\n"
         "\t`created_at` timestamp DEFAULT (now()),\n"
         "\tCONSTRAINT `users_email_unique` UNIQUE(`email`)\n"
         ");",
         "");
  n->u.create_table.columns[0].type = "int";
  n->u.create_table.columns[4].default_ = NULL;
  expect("create table mysql auto_increment", MY, n,
         "CREATE TABLE `users` (\n"
         "\t`id` int AUTO_INCREMENT PRIMARY KEY NOT NULL,\n"
         "\t`name` text NOT NULL,\n"
         "\t`email` varchar(255) NOT NULL,\n"
         "\t`role` text NOT NULL DEFAULT 'it''s',\n"
         "\t`created_at` timestamp,\n"
         "\tCONSTRAINT `users_email_unique` UNIQUE(`email`)\n"
         ");",
         "");
  n->u.create_table.columns[0].type = "integer";
  n->u.create_table.columns[4].default_ = raw("unixepoch()");
  n->u.create_table.if_not_exists = 1;
  expect("create table sqlite", SQ, n,
         "CREATE TABLE IF NOT EXISTS \"users\" (\n"
         "\t\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
         "\t\"name\" text NOT NULL,\n"
         "\t\"email\" varchar(255) NOT NULL,\n"
         "\t\"role\" text DEFAULT 'it''s' NOT NULL,\n"
         "\t\"created_at\" timestamp DEFAULT (unixepoch()),\n"
         "\tCONSTRAINT \"users_email_unique\" UNIQUE(\"email\")\n"
         ");",
         "");

  /* foreign keys inline, generated default names */
  n = node(SL_N_CREATE_TABLE);
  c = mem(3 * sizeof *c);
  c[0].name = "id";
  c[0].type = "integer";
  c[0].primary_key = 1;
  c[0].not_null = 1;
  c[1].name = "author_id";
  c[1].type = "integer";
  c[1].not_null = 1;
  c[2].name = "title";
  c[2].type = "text";
  c[2].unique = "posts_title_key";
  fk = mem(sizeof *fk);
  fk->columns = names(1, "author_id");
  fk->ncolumns = 1;
  fk->ref_table = "users";
  fk->ref_columns = names(1, "id");
  fk->nref_columns = 1;
  fk->on_delete = "cascade";
  fk->on_update = "no action";
  n->u.create_table.name = "posts";
  n->u.create_table.columns = c;
  n->u.create_table.ncolumns = 3;
  n->u.create_table.fks = fk;
  n->u.create_table.nfks = 1;
  expect("fk sqlite", SQ, n,
         "CREATE TABLE \"posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tFOREIGN KEY (\"author_id\") REFERENCES \"users\"(\"id\") ON UPDATE"
         " no action ON DELETE cascade,\n"
         "\tCONSTRAINT \"posts_title_key\" UNIQUE(\"title\")\n"
         ");",
         "");
  expect("fk pg", PG, n,
         "CREATE TABLE \"posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"posts_author_id_users_id_fk\" FOREIGN KEY "
         "(\"author_id\") REFERENCES \"users\"(\"id\") ON DELETE cascade ON "
         "UPDATE no action,\n"
         "\tCONSTRAINT \"posts_title_key\" UNIQUE(\"title\")\n"
         ");",
         "");
  expect("fk mysql", MY, n,
         "CREATE TABLE `posts` (\n"
         "\t`id` integer PRIMARY KEY NOT NULL,\n"
         "\t`author_id` integer NOT NULL,\n"
         "\t`title` text,\n"
         "\tCONSTRAINT `posts_author_id_users_id_fk` FOREIGN KEY "
         "(`author_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE "
         "no action,\n"
         "\tCONSTRAINT `posts_title_key` UNIQUE(`title`)\n"
         ");",
         "");
  fk->on_delete = "SET NULL";
  fk->on_update = NULL;
  fk->name = "fk_author";
  fk->ref_schema = "auth";
  expect("fk named, schema, upper-case action", SQ, n,
         "CREATE TABLE \"posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"fk_author\" FOREIGN KEY (\"author_id\") REFERENCES "
         "\"users\"(\"id\") ON DELETE set null,\n"
         "\tCONSTRAINT \"posts_title_key\" UNIQUE(\"title\")\n"
         ");",
         "");
  expect("fk named, schema, upper-case action pg", PG, n,
         "CREATE TABLE \"posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"fk_author\" FOREIGN KEY (\"author_id\") REFERENCES "
         "\"auth\".\"users\"(\"id\") ON DELETE set null,\n"
         "\tCONSTRAINT \"posts_title_key\" UNIQUE(\"title\")\n"
         ");",
         "");
  fk->on_delete = "cascade; drop table users";
  expect_err("fk bad action", PG, n, SL_EK_USAGE, "unknown foreign key action");

  /* composite key, table unique, check with an inlined parameter,
  ** generated columns */
  n = node(SL_N_CREATE_TABLE);
  c = mem(4 * sizeof *c);
  c[0].name = "user_id";
  c[0].type = "integer";
  c[0].not_null = 1;
  c[1].name = "group_id";
  c[1].type = "integer";
  c[1].not_null = 1;
  c[2].name = "score";
  c[2].type = "integer";
  c[2].default_ = pint(0);
  c[3].name = "double_score";
  c[3].type = "integer";
  c[3].generated = sqln(1, "", col("m", "score"), " * 2");
  pk = mem(sizeof *pk);
  pk->columns = names(2, "user_id", "group_id");
  pk->ncolumns = 2;
  uq = mem(sizeof *uq);
  uq->columns = names(2, "group_id", "score");
  uq->ncolumns = 2;
  ck = mem(sizeof *ck);
  ck->name = "score_check";
  ck->expr = bin(SL_OP_GTE, col("m", "score"), pint(-5));
  n->u.create_table.schema = "app";
  n->u.create_table.name = "m";
  n->u.create_table.columns = c;
  n->u.create_table.ncolumns = 4;
  n->u.create_table.primary_key = pk;
  n->u.create_table.uniques = uq;
  n->u.create_table.nuniques = 1;
  n->u.create_table.checks = ck;
  n->u.create_table.nchecks = 1;
  expect("composite pg", PG, n,
         "CREATE TABLE \"app\".\"m\" (\n"
         "\t\"user_id\" integer NOT NULL,\n"
         "\t\"group_id\" integer NOT NULL,\n"
         "\t\"score\" integer DEFAULT 0,\n"
         "\t\"double_score\" integer GENERATED ALWAYS AS (\"score\" * 2) "
         "STORED,\n"
         "\tCONSTRAINT \"m_user_id_group_id_pk\" PRIMARY "
         "KEY(\"user_id\",\"group_id\"),\n"
         "\tCONSTRAINT \"m_group_id_score_unique\" "
         "UNIQUE(\"group_id\",\"score\"),\n"
         "\tCONSTRAINT \"score_check\" CHECK (\"score\" >= -5)\n"
         ");",
         "");
  expect("composite sqlite", SQ, n,
         "CREATE TABLE \"app\".\"m\" (\n"
         "\t\"user_id\" integer NOT NULL,\n"
         "\t\"group_id\" integer NOT NULL,\n"
         "\t\"score\" integer DEFAULT 0,\n"
         "\t\"double_score\" integer GENERATED ALWAYS AS (\"score\" * 2) "
         "VIRTUAL,\n"
         "\tPRIMARY KEY(\"user_id\",\"group_id\"),\n"
         "\tCONSTRAINT \"m_group_id_score_unique\" "
         "UNIQUE(\"group_id\",\"score\"),\n"
         "\tCONSTRAINT \"score_check\" CHECK (\"score\" >= -5)\n"
         ");",
         "");
  c[3].generated_stored = 1;
  expect("composite mysql", MY, n,
         "CREATE TABLE `app`.`m` (\n"
         "\t`user_id` integer NOT NULL,\n"
         "\t`group_id` integer NOT NULL,\n"
         "\t`score` integer DEFAULT 0,\n"
         "\t`double_score` integer GENERATED ALWAYS AS (`score` * 2) "
         "STORED,\n"
         "\tCONSTRAINT `m_user_id_group_id_pk` PRIMARY "
         "KEY(`user_id`,`group_id`),\n"
         "\tCONSTRAINT `m_group_id_score_unique` UNIQUE(`group_id`,`score`),\n"
         "\tCONSTRAINT `score_check` CHECK (`score` >= -5)\n"
         ");",
         "");

  /* literal spelling per dialect */
  n = node(SL_N_CREATE_TABLE);
  c = mem(5 * sizeof *c);
  c[0].name = "a";
  c[0].type = "text";
  c[0].default_ = ptext("back\\slash 'q'");
  c[1].name = "b";
  c[1].type = "boolean";
  c[1].default_ = pbool(1);
  c[2].name = "c";
  c[2].type = "real";
  c[2].default_ = pfloat(2.0);
  c[3].name = "d";
  c[3].type = "blob";
  c[3].default_ = pblob("\x01\xab", 2);
  c[4].name = "e";
  c[4].type = "text";
  c[4].default_ = pnull();
  n->u.create_table.name = "lit";
  n->u.create_table.columns = c;
  n->u.create_table.ncolumns = 5;
  expect("literals sqlite", SQ, n,
         "CREATE TABLE \"lit\" (\n"
         "\t\"a\" text DEFAULT 'back\\slash ''q''',\n"
         "\t\"b\" boolean DEFAULT 1,\n"
         "\t\"c\" real DEFAULT 2.0,\n"
         "\t\"d\" blob DEFAULT X'01ab',\n"
         "\t\"e\" text DEFAULT null\n"
         ");",
         "");
  c[3].type = "bytea";
  expect("literals pg", PG, n,
         "CREATE TABLE \"lit\" (\n"
         "\t\"a\" text DEFAULT 'back\\slash ''q''',\n"
         "\t\"b\" boolean DEFAULT true,\n"
         "\t\"c\" real DEFAULT 2.0,\n"
         "\t\"d\" bytea DEFAULT '\\x01ab',\n"
         "\t\"e\" text DEFAULT null\n"
         ");",
         "");
  c[3].type = "blob";
  expect("literals mysql", MY, n,
         "CREATE TABLE `lit` (\n"
         "\t`a` text DEFAULT 'back\\\\slash ''q''',\n"
         "\t`b` boolean DEFAULT true,\n"
         "\t`c` real DEFAULT 2.0,\n"
         "\t`d` blob DEFAULT X'01ab',\n"
         "\t`e` text DEFAULT null\n"
         ");",
         "");
  c[0].default_ = ph("x");
  expect_err("placeholder in ddl", PG, n, SL_EK_USAGE, "cannot be used in DDL");

  /* floats: shortest text that reads back exactly */
  n = node(SL_N_CREATE_TABLE);
  c = mem(3 * sizeof *c);
  c[0].name = "a";
  c[0].type = "real";
  c[0].default_ = pfloat(0.1);
  c[1].name = "b";
  c[1].type = "real";
  c[1].default_ = pfloat(-2.5e-7);
  c[2].name = "c";
  c[2].type = "double";
  c[2].default_ = pfloat(1.0 / 3.0);
  n->u.create_table.name = "f";
  n->u.create_table.columns = c;
  n->u.create_table.ncolumns = 3;
  expect3("float literals", n,
          "CREATE TABLE \"f\" (\n\t\"a\" real DEFAULT 0.1,\n\t\"b\" real "
          "DEFAULT -2.5e-07,\n\t\"c\" double DEFAULT 0.3333333333333333\n);",
          "CREATE TABLE \"f\" (\n\t\"a\" real DEFAULT 0.1,\n\t\"b\" real "
          "DEFAULT -2.5e-07,\n\t\"c\" double DEFAULT 0.3333333333333333\n);",
          "CREATE TABLE `f` (\n\t`a` real DEFAULT 0.1,\n\t`b` real "
          "DEFAULT -2.5e-07,\n\t`c` double DEFAULT 0.3333333333333333\n);",
          "");

  /* indexes */
  idx = node(SL_N_CREATE_INDEX);
  idx->u.create_index.name = "posts_author_idx";
  idx->u.create_index.table = "posts";
  idx->u.create_index.columns = list(1, col("posts", "author_id"));
  expect3("create index", idx,
          "CREATE INDEX \"posts_author_idx\" ON \"posts\" (\"author_id\");",
          "CREATE INDEX \"posts_author_idx\" ON \"posts\" USING btree "
          "(\"author_id\");",
          "CREATE INDEX `posts_author_idx` ON `posts` (`author_id`);", "");
  idx->u.create_index.unique = 1;
  idx->u.create_index.if_not_exists = 1;
  idx->u.create_index.columns =
      list(2, col("posts", "author_id"), order(col("posts", "created"), 1));
  expect3("create unique index", idx,
          "CREATE UNIQUE INDEX IF NOT EXISTS \"posts_author_idx\" ON "
          "\"posts\" (\"author_id\",\"created\" desc);",
          "CREATE UNIQUE INDEX IF NOT EXISTS \"posts_author_idx\" ON "
          "\"posts\" USING btree (\"author_id\",\"created\" desc);",
          "CREATE UNIQUE INDEX IF NOT EXISTS `posts_author_idx` ON `posts` "
          "(`author_id`,`created` desc);",
          "");
  idx->u.create_index.unique = 0;
  idx->u.create_index.if_not_exists = 0;
  idx->u.create_index.schema = "app";
  idx->u.create_index.columns =
      list(1, sqln(1, "lower(", col("posts", "t"), ")"));
  idx->u.create_index.where =
      logic(SL_N_AND, 2, eq(col("posts", "kind"), ptext("a'b")),
            isnull(col("posts", "deleted"), 0));
  expect("partial index sqlite", SQ, idx,
         "CREATE INDEX \"app\".\"posts_author_idx\" ON \"posts\" "
         "(lower(\"t\")) WHERE (\"kind\" = 'a''b' and \"deleted\" is null);",
         "");
  expect("partial index pg", PG, idx,
         "CREATE INDEX \"posts_author_idx\" ON \"app\".\"posts\" USING btree"
         " (lower(\"t\")) WHERE (\"kind\" = 'a''b' and \"deleted\" is "
         "null);",
         "");
  expect_err("partial index mysql", MY, idx, SL_EK_USAGE,
             "partial indexes (index where) are not supported by mysql");

  /* enums */
  n = node(SL_N_CREATE_ENUM);
  n->u.create_enum.name = "mood";
  n->u.create_enum.values = names(3, "sad", "ok", "it's");
  n->u.create_enum.nvalues = 3;
  expect("create enum pg", PG, n,
         "CREATE TYPE \"public\".\"mood\" AS ENUM('sad', 'ok', 'it''s');", "");
  n->u.create_enum.schema = "app";
  expect("create enum pg schema", PG, n,
         "CREATE TYPE \"app\".\"mood\" AS ENUM('sad', 'ok', 'it''s');", "");
  expect_err("create enum sqlite", SQ, n, SL_EK_USAGE,
             "not supported by sqlite");
  expect_err("create enum mysql", MY, n, SL_EK_USAGE, "not supported by mysql");
}

/* }==================================================================== */

int main(void) {
  A = sl_arena_new();
  if (A == NULL) return 2;
  test_utilities();
  test_expressions();
  test_select();
  test_setops();
  test_insert();
  test_update_delete();
  test_ddl();
  sl_arena_free(A);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
