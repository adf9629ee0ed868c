/*
** sl_render.c — the one default renderer: sl_node trees to SQL text plus a
** separate parameter list. Dialects change only small things (quote char,
** placeholder style, capability flags, an optional per-node hook); the
** spelling is Drizzle's: lower-case keywords, one space between clauses,
** ", " between list items.
**
** Parameters are numbered in the order they appear in the final text,
** which is the order this renderer visits them: it writes strictly left to
** right and never reorders clauses after the fact.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_int.h"

/* {====================================================================
** Errors and small helpers
** ===================================================================== */

/* Records the first error of a render (later ones would only be noise) and
** returns SL_ERROR. */
int sl_render_fail(sl_render *r, sl_errkind kind, const char *msg) {
  if (!r->failed) {
    r->failed = 1;
    if (r->err) sl_error_set(r->err, kind, "%s", msg);
  }
  return SL_ERROR;
}

/* Printf-style sl_render_fail. */
int sl_render_failf(sl_render *r, sl_errkind kind, const char *fmt, ...) {
  char msg[sizeof((sl_error *)0)->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sl_render_fail(r, kind, msg);
}

/* A usage error for a tree the binding built wrongly. */
int sl_render_malformed(sl_render *r, const char *what) {
  return sl_render_failf(r, SL_EK_USAGE, "malformed statement tree: %s", what);
}

/* The buffer receiving SQL text (for dialect hooks). */
sl_buf *sl_render_buf(sl_render *r) {
  return &r->buf;
}

/* The dialect being rendered (for dialect hooks). */
const sl_dialect *sl_render_dialect(sl_render *r) {
  return r->d;
}

/* Appends name quoted with q, doubling every q inside it. */
void sl_quote_ident(sl_buf *b, char q, const char *name) {
  const char *s = name, *hit;
  sl_buf_addc(b, q);
  while ((hit = strchr(s, q)) != NULL) {
    sl_buf_add(b, s, (size_t)(hit - s) + 1);
    sl_buf_addc(b, q);
    s = hit + 1;
  }
  sl_buf_adds(b, s);
  sl_buf_addc(b, q);
}

/* Appends name quoted by the dialect; a NULL name fails the render. */
void sl_render_ident(sl_render *r, const char *name) {
  if (name == NULL) {
    sl_render_malformed(r, "missing identifier");
    return;
  }
  sl_quote_ident(&r->buf, r->d->quote, name);
}

/* Appends "schema"."name". */
int sl_render_qualified(sl_render *r, const char *schema, const char *name) {
  if (schema != NULL) {
    sl_render_ident(r, schema);
    sl_buf_addc(&r->buf, '.');
  }
  sl_render_ident(r, name);
  return r->failed ? SL_ERROR : SL_OK;
}

/* Appends quoted names separated by sep. */
int sl_render_names(sl_render *r, const char *const *names, int n,
                    const char *sep) {
  int i;
  if (n > 0 && names == NULL) return sl_render_malformed(r, "missing names");
  for (i = 0; i < n; i++) {
    if (i > 0) sl_buf_adds(&r->buf, sep);
    sl_render_ident(r, names[i]);
  }
  return r->failed ? SL_ERROR : SL_OK;
}

/* Renders the items of l separated by sep. */
int sl_render_list(sl_render *r, const sl_list *l, const char *sep) {
  int i;
  if (l->n > 0 && l->v == NULL) return sl_render_malformed(r, "missing list");
  for (i = 0; i < l->n; i++) {
    if (i > 0) sl_buf_adds(&r->buf, sep);
    if (sl_render_expr(r, l->v[i]) != SL_OK) return SL_ERROR;
  }
  return SL_OK;
}

/* Records one parameter slot and appends its placeholder. */
static int add_param(sl_render *r, const sl_value *v, const char *ph,
                     sl_codec codec, const char *column, int slot) {
  sl_param *p;
  if (r->nparams == r->capparams) {
    int cap = r->capparams ? r->capparams * 2 : 16;
    sl_param *np;
    np = r->capparams > (1 << 26)
             ? NULL
             : realloc(r->params, (size_t)cap * sizeof *np);
    if (np == NULL) {
      r->oom = 1;
      return sl_render_fail(r, SL_EK_USAGE, "out of memory");
    }
    r->params = np;
    r->capparams = cap;
  }
  p = &r->params[r->nparams++];
  memset(p, 0, sizeof *p);
  if (v != NULL)
    p->v = *v;
  else
    p->v.type = SL_V_NULL;
  p->placeholder = ph;
  p->codec = codec;
  p->column = column;
  p->slot = slot;
  r->d->placeholder(&r->buf, r->nparams);
  return SL_OK;
}

/* Saved column-qualification context: every subquery starts afresh. */
typedef struct render_ctx {
  int unqualify;
  const char *field_table;
} render_ctx;

static void ctx_save(sl_render *r, render_ctx *c) {
  c->unqualify = r->unqualify;
  c->field_table = r->field_table;
  r->unqualify = 0;
  r->field_table = NULL;
}

static void ctx_restore(sl_render *r, const render_ctx *c) {
  r->unqualify = c->unqualify;
  r->field_table = c->field_table;
}

/* }==================================================================== */

/* {====================================================================
** Expressions
** ===================================================================== */

static int render_query(sl_render *r, const sl_node *q, int force_alias);

static void render_col(sl_render *r, const sl_node *n) {
  const char *t = n->u.col.table;
  if (n->u.col.name == NULL) {
    sl_render_malformed(r, "column without a name");
    return;
  }
  if (t != NULL && !r->unqualify &&
      !(r->field_table != NULL && strcmp(t, r->field_table) == 0)) {
    sl_render_ident(r, t);
    sl_buf_addc(&r->buf, '.');
  }
  sl_render_ident(r, n->u.col.name);
}

static int render_param(sl_render *r, const sl_node *n) {
  if (r->inline_params) {
    const sl_value *v = &n->u.param.v;
    /* DDL cannot take bound parameters. SQLite and PostgreSQL end a quoted
    ** literal at a NUL byte (MySQL escapes it as \0). */
    if (v->type == SL_V_TEXT && strcmp(r->d->name, "mysql") != 0 &&
        memchr(v->u.s.p, '\0', v->u.s.n) != NULL)
      return sl_render_fail(r, SL_EK_VALIDATION,
                            "a text literal in DDL (a default, check or "
                            "index condition) cannot contain a NUL byte");
    r->d->literal(&r->buf, v);
    return SL_OK;
  }
  return add_param(r, &n->u.param.v, NULL, n->u.param.codec, n->u.param.column,
                   n->u.param.slot);
}

static int render_ph(sl_render *r, const sl_node *n) {
  if (n->u.ph.name == NULL)
    return sl_render_malformed(r, "placeholder without a name");
  if (r->inline_params)
    return sl_render_failf(r, SL_EK_USAGE,
                           "placeholder \"%s\" cannot be used in DDL",
                           n->u.ph.name);
  return add_param(r, NULL, n->u.ph.name, n->u.ph.codec, n->u.ph.column, 0);
}

static int render_sql(sl_render *r, const sl_node *n) {
  int i;
  if (n->u.sql.n < 0 || (n->u.sql.n > 0 && n->u.sql.nodes == NULL))
    return sl_render_malformed(r, "sql node without its parts");
  for (i = 0; i <= n->u.sql.n; i++) {
    const char *t = n->u.sql.texts ? n->u.sql.texts[i] : NULL;
    if (t != NULL) sl_buf_adds(&r->buf, t);
    if (i < n->u.sql.n && sl_render_expr(r, n->u.sql.nodes[i]) != SL_OK)
      return SL_ERROR;
  }
  return SL_OK;
}

static int render_bin(sl_render *r, const sl_node *n) {
  static const char *const ops[] = {
      " = ",  " <> ",   " > ",        " >= ",    " < ",
      " <= ", " like ", " not like ", " ilike ", " not ilike "};
  sl_binop op = n->u.bin.op;
  if ((int)op < 0 || (int)op > (int)SL_OP_NOT_ILIKE)
    return sl_render_malformed(r, "unknown binary operator");
  if ((op == SL_OP_ILIKE || op == SL_OP_NOT_ILIKE) &&
      !(r->d->caps & SL_CAP_ILIKE)) {
    /* portable case-insensitive match */
    sl_buf_adds(&r->buf, "lower(");
    if (sl_render_expr(r, n->u.bin.l) != SL_OK) return SL_ERROR;
    sl_buf_adds(&r->buf,
                op == SL_OP_ILIKE ? ") like lower(" : ") not like lower(");
    if (sl_render_expr(r, n->u.bin.r) != SL_OK) return SL_ERROR;
    sl_buf_addc(&r->buf, ')');
    return SL_OK;
  }
  if (sl_render_expr(r, n->u.bin.l) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, ops[op]);
  return sl_render_expr(r, n->u.bin.r);
}

static int render_logic(sl_render *r, const sl_node *n) {
  const sl_list *l = &n->u.logic.list;
  const char *sep = n->kind == SL_N_AND ? " and " : " or ";
  if (l->n == 0) {
    /* the identity of the operator */
    sl_buf_adds(&r->buf, n->kind == SL_N_AND ? "true" : "false");
    return SL_OK;
  }
  if (l->n == 1) {
    if (l->v == NULL) return sl_render_malformed(r, "missing list");
    return sl_render_expr(r, l->v[0]);
  }
  sl_buf_addc(&r->buf, '(');
  if (sl_render_list(r, l, sep) != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

/* Whether e renders as one self-delimited term (no parentheses needed
** after NOT). */
static int is_atom(const sl_node *e) {
  switch (e->kind) {
  case SL_N_COL:
  case SL_N_PARAM:
  case SL_N_PH:
  case SL_N_IDENT:
  case SL_N_NULL:
  case SL_N_FUNC:
  case SL_N_EXISTS:
  case SL_N_SCALAR:
    return 1;
  case SL_N_AND:
  case SL_N_OR:
    /* several items are parenthesised already; none is a keyword */
    if (e->u.logic.list.n == 1 && e->u.logic.list.v != NULL &&
        e->u.logic.list.v[0] != NULL)
      return is_atom(e->u.logic.list.v[0]);
    return 1;
  default:
    return 0;
  }
}

static int render_not(sl_render *r, const sl_node *n) {
  const sl_node *e = n->u.not_.e;
  if (e == NULL) return sl_render_malformed(r, "not without an operand");
  if (is_atom(e)) {
    sl_buf_adds(&r->buf, "not ");
    return sl_render_expr(r, e);
  }
  sl_buf_adds(&r->buf, "not (");
  if (sl_render_expr(r, e) != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

static int render_in(sl_render *r, const sl_node *n) {
  int neg = n->u.in.negate;
  if (n->u.in.subquery == NULL && n->u.in.list.n == 0) {
    /* "x in ()" is not SQL; nothing is in the empty set */
    sl_buf_adds(&r->buf, neg ? "true" : "false");
    return SL_OK;
  }
  if (sl_render_expr(r, n->u.in.e) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, neg ? " not in (" : " in (");
  if (n->u.in.subquery != NULL) {
    if (render_query(r, n->u.in.subquery, 0) != SL_OK) return SL_ERROR;
  } else if (sl_render_list(r, &n->u.in.list, ", ") != SL_OK) {
    return SL_ERROR;
  }
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

static int render_between(sl_render *r, const sl_node *n) {
  if (sl_render_expr(r, n->u.between.e) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, n->u.between.negate ? " not between " : " between ");
  if (sl_render_expr(r, n->u.between.lo) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, " and ");
  return sl_render_expr(r, n->u.between.hi);
}

static int render_func(sl_render *r, const sl_node *n) {
  if (n->u.func.name == NULL)
    return sl_render_malformed(r, "function without a name");
  sl_buf_adds(&r->buf, n->u.func.name);
  sl_buf_addc(&r->buf, '(');
  if (n->u.func.distinct) sl_buf_adds(&r->buf, "distinct ");
  if (n->u.func.args.n == 0)
    sl_buf_addc(&r->buf, '*');
  else if (sl_render_list(r, &n->u.func.args, ", ") != SL_OK)
    return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

/* "(select ...)" for subqueries used as values, IN/EXISTS operands. */
static int render_paren_query(sl_render *r, const sl_node *q) {
  sl_buf_addc(&r->buf, '(');
  if (render_query(r, q, 0) != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Sources
** ===================================================================== */

static int render_source(sl_render *r, const sl_node *n) {
  if (n == NULL) return sl_render_malformed(r, "missing source");
  if (n->kind == SL_N_TABLE) {
    if (sl_render_qualified(r, n->u.table.schema, n->u.table.name) != SL_OK)
      return SL_ERROR;
    if (n->u.table.alias != NULL) {
      sl_buf_addc(&r->buf, ' ');
      sl_render_ident(r, n->u.table.alias);
    }
    return r->failed ? SL_ERROR : SL_OK;
  }
  if (n->kind == SL_N_SUBQ) {
    if (n->u.subq.alias == NULL)
      return sl_render_malformed(r, "subquery without an alias");
    sl_buf_addc(&r->buf, '(');
    if (render_query(r, n->u.subq.query, 0) != SL_OK) return SL_ERROR;
    sl_buf_adds(&r->buf, ") ");
    sl_render_ident(r, n->u.subq.alias);
    return r->failed ? SL_ERROR : SL_OK;
  }
  /* anything else (raw text, a table function) renders as an expression */
  return sl_render_expr(r, n);
}

/* The name a source's columns are qualified with. */
static const char *source_name(const sl_node *n) {
  if (n == NULL) return NULL;
  if (n->kind == SL_N_TABLE)
    return n->u.table.alias ? n->u.table.alias : n->u.table.name;
  if (n->kind == SL_N_SUBQ) return n->u.subq.alias;
  return NULL;
}

/* The target of insert/update/delete: [schema.]name, no alias. */
static int render_target(sl_render *r, const sl_node *t) {
  if (t == NULL || t->kind != SL_N_TABLE)
    return sl_render_malformed(r, "statement target is not a table");
  return sl_render_qualified(r, t->u.table.schema, t->u.table.name);
}

/* }==================================================================== */

/* {====================================================================
** Statements
** ===================================================================== */

static int render_ctes(sl_render *r, const sl_cte *ctes, int n) {
  int i;
  if (n == 0) return SL_OK;
  if (ctes == NULL) return sl_render_malformed(r, "missing CTE list");
  sl_buf_adds(&r->buf, "with ");
  for (i = 0; i < n; i++) {
    if (i > 0) sl_buf_adds(&r->buf, ", ");
    sl_render_ident(r, ctes[i].name);
    sl_buf_adds(&r->buf, " as (");
    /* the outer query reads a CTE's columns by their keys */
    if (render_query(r, ctes[i].query, 1) != SL_OK) return SL_ERROR;
    sl_buf_addc(&r->buf, ')');
  }
  sl_buf_addc(&r->buf, ' ');
  return r->failed ? SL_ERROR : SL_OK;
}

/* A select list or RETURNING list. alias: every field not already named by
** its key gets AS "key". */
static int render_fields(sl_render *r, const sl_fields *f, int alias) {
  int i;
  if (f->n <= 0 || f->v == NULL)
    return sl_render_malformed(r, "empty field list");
  for (i = 0; i < f->n; i++) {
    const sl_field *fd = &f->v[i];
    const sl_node *e = fd->e;
    if (i > 0) sl_buf_adds(&r->buf, ", ");
    if (e == NULL) return sl_render_malformed(r, "field without expression");
    if (!alias) {
      if (sl_render_expr(r, e) != SL_OK) return SL_ERROR;
      continue;
    }
    if (fd->key == NULL) return sl_render_malformed(r, "field without a key");
    if (e->kind == SL_N_ALIAS) e = e->u.alias.e; /* the key wins */
    if (e == NULL) return sl_render_malformed(r, "alias without expression");
    if (sl_render_expr(r, e) != SL_OK) return SL_ERROR;
    if (!(e->kind == SL_N_COL && e->u.col.name != NULL &&
          strcmp(e->u.col.name, fd->key) == 0)) {
      sl_buf_adds(&r->buf, " as ");
      sl_render_ident(r, fd->key);
    }
  }
  return r->failed ? SL_ERROR : SL_OK;
}

/* " limit ? offset ?"; databases that cannot spell OFFSET alone get the
** largest limit they accept. */
static int render_limit(sl_render *r, const sl_node *limit,
                        const sl_node *offset) {
  if (limit != NULL) {
    sl_buf_adds(&r->buf, " limit ");
    if (sl_render_expr(r, limit) != SL_OK) return SL_ERROR;
  } else if (offset != NULL) {
    if (r->fam == SL_FAM_SQLITE)
      sl_buf_adds(&r->buf, " limit -1");
    else if (r->fam == SL_FAM_MYSQL)
      sl_buf_adds(&r->buf, " limit 18446744073709551615");
  }
  if (offset != NULL) {
    sl_buf_adds(&r->buf, " offset ");
    if (sl_render_expr(r, offset) != SL_OK) return SL_ERROR;
  }
  return SL_OK;
}

static int check_join(sl_render *r, sl_jointype t) {
  if (t == SL_JOIN_FULL && !(r->d->caps & SL_CAP_FULL_JOIN))
    return sl_render_failf(r, SL_EK_USAGE, "full join is not supported by %s",
                           r->d->name);
  if (t == SL_JOIN_RIGHT && !(r->d->caps & SL_CAP_RIGHT_JOIN))
    return sl_render_failf(r, SL_EK_USAGE, "right join is not supported by %s",
                           r->d->name);
  return SL_OK;
}

static int render_joins(sl_render *r, const sl_join *joins, int n) {
  static const char *const kw[] = {" inner join ", " left join ",
                                   " right join ", " full join ",
                                   " cross join "};
  int i;
  if (n > 0 && joins == NULL) return sl_render_malformed(r, "missing joins");
  for (i = 0; i < n; i++) {
    const sl_join *j = &joins[i];
    if ((int)j->type < 0 || (int)j->type > (int)SL_JOIN_CROSS)
      return sl_render_malformed(r, "unknown join type");
    if (check_join(r, j->type) != SL_OK) return SL_ERROR;
    sl_buf_adds(&r->buf, kw[j->type]);
    if (j->lateral) {
      if (!(r->d->caps & SL_CAP_LATERAL))
        return sl_render_failf(r, SL_EK_USAGE,
                               "lateral joins are not supported by %s",
                               r->d->name);
      if (j->source == NULL || j->source->kind != SL_N_SUBQ)
        return sl_render_malformed(r, "a lateral join needs a subquery");
      sl_buf_adds(&r->buf, "lateral ");
    }
    if (render_source(r, j->source) != SL_OK) return SL_ERROR;
    if (j->type == SL_JOIN_CROSS) continue;
    if (j->on == NULL) return sl_render_malformed(r, "join without on");
    sl_buf_adds(&r->buf, " on ");
    if (sl_render_expr(r, j->on) != SL_OK) return SL_ERROR;
  }
  return SL_OK;
}

/* The row lock of a select: PostgreSQL's four strengths with OF tables;
** MySQL and MariaDB's FOR UPDATE and LOCK IN SHARE MODE (which both
** servers take); NOWAIT or SKIP LOCKED after either. */
static int render_lock(sl_render *r, const sl_node *n) {
  static const char *const pgkw[] = {"", " for update", " for share",
                                     " for no key update", " for key share"};
  static const char *const waitkw[] = {"", " nowait", " skip locked"};
  sl_lock lock = n->u.select.lock;
  sl_lockwait wait = n->u.select.lock_wait;
  int i;
  if (lock == SL_LOCK_NONE) {
    if (wait != SL_LOCK_WAIT || n->u.select.lock_of.n > 0)
      return sl_render_malformed(r, "lock options without a lock");
    return SL_OK;
  }
  if ((int)lock < 0 || (int)lock > (int)SL_LOCK_KEY_SHARE || (int)wait < 0 ||
      (int)wait > (int)SL_LOCK_SKIP_LOCKED)
    return sl_render_malformed(r, "unknown row lock");
  if (!(r->d->caps & SL_CAP_ROW_LOCKS))
    return sl_render_failf(r, SL_EK_USAGE,
                           "row locks (for%s) are not supported by %s",
                           pgkw[lock] + 4, r->d->name);
  if (r->fam == SL_FAM_MYSQL) {
    if (lock != SL_LOCK_UPDATE && lock != SL_LOCK_SHARE)
      return sl_render_failf(r, SL_EK_USAGE,
                             "for%s is not supported by %s (update or share)",
                             pgkw[lock] + 4, r->d->name);
    if (n->u.select.lock_of.n > 0)
      return sl_render_failf(r, SL_EK_USAGE,
                             "a row lock of some tables (of) is not supported "
                             "by %s",
                             r->d->name);
    sl_buf_adds(&r->buf,
                lock == SL_LOCK_UPDATE ? " for update" : " lock in share mode");
  } else {
    sl_buf_adds(&r->buf, pgkw[lock]);
    for (i = 0; i < n->u.select.lock_of.n; i++) {
      const sl_node *t = n->u.select.lock_of.v[i];
      if (t == NULL || t->kind != SL_N_TABLE)
        return sl_render_malformed(r, "a row lock's of is not a table");
      sl_buf_adds(&r->buf, i == 0 ? " of " : ", ");
      sl_quote_ident(&r->buf, r->d->quote,
                     t->u.table.alias ? t->u.table.alias : t->u.table.name);
    }
  }
  sl_buf_adds(&r->buf, waitkw[wait]);
  return SL_OK;
}

static int render_select(sl_render *r, const sl_node *n, int force_alias) {
  render_ctx saved;
  int need_where = r->need_where;
  int rc = SL_ERROR;
  r->need_where = 0;
  ctx_save(r, &saved);
  if (render_ctes(r, n->u.select.ctes, n->u.select.nctes) != SL_OK) goto done;
  if (n->u.select.distinct_on.n > 0) {
    if (r->fam != SL_FAM_POSTGRESQL) {
      sl_render_failf(r, SL_EK_USAGE, "distinct on is not supported by %s",
                      r->d->name);
      goto done;
    }
    sl_buf_adds(&r->buf, "select distinct on (");
    if (sl_render_list(r, &n->u.select.distinct_on, ", ") != SL_OK) goto done;
    sl_buf_adds(&r->buf, ") ");
  } else {
    sl_buf_adds(&r->buf, n->u.select.distinct ? "select distinct " : "select ");
  }
  /* a single-table select names its own columns without the table, as
  ** Drizzle does */
  if (n->u.select.njoins == 0) r->field_table = source_name(n->u.select.from);
  if (render_fields(r, &n->u.select.fields,
                    force_alias || n->u.select.alias_fields) != SL_OK)
    goto done;
  r->field_table = NULL;
  if (n->u.select.from != NULL) {
    sl_buf_adds(&r->buf, " from ");
    if (render_source(r, n->u.select.from) != SL_OK) goto done;
  } else if (n->u.select.njoins > 0) {
    sl_render_malformed(r, "joins without from");
    goto done;
  }
  if (render_joins(r, n->u.select.joins, n->u.select.njoins) != SL_OK)
    goto done;
  if (n->u.select.where != NULL) {
    sl_buf_adds(&r->buf, " where ");
    if (sl_render_expr(r, n->u.select.where) != SL_OK) goto done;
  } else if (need_where) {
    sl_buf_adds(&r->buf, " where true");
  }
  if (n->u.select.group_by.n > 0) {
    sl_buf_adds(&r->buf, " group by ");
    if (sl_render_list(r, &n->u.select.group_by, ", ") != SL_OK) goto done;
  }
  if (n->u.select.having != NULL) {
    sl_buf_adds(&r->buf, " having ");
    if (sl_render_expr(r, n->u.select.having) != SL_OK) goto done;
  }
  if (n->u.select.order_by.n > 0) {
    sl_buf_adds(&r->buf, " order by ");
    if (sl_render_list(r, &n->u.select.order_by, ", ") != SL_OK) goto done;
  }
  rc = render_limit(r, n->u.select.limit, n->u.select.offset);
  if (rc == SL_OK) rc = render_lock(r, n);
done:
  ctx_restore(r, &saved);
  return r->failed ? SL_ERROR : rc;
}

static int render_setop(sl_render *r, const sl_node *n, int force_alias);

/* Whether a select or set operation carries clauses that a SQLite compound
** member cannot have. */
static int has_tail(const sl_node *q) {
  if (q->kind == SL_N_SELECT)
    return q->u.select.order_by.n > 0 || q->u.select.limit != NULL ||
           q->u.select.offset != NULL || q->u.select.nctes > 0;
  return q->u.setop.order_by.n > 0 || q->u.setop.limit != NULL ||
         q->u.setop.offset != NULL;
}

static int render_operand(sl_render *r, const sl_node *q, int right,
                          int force_alias) {
  if (q == NULL || (q->kind != SL_N_SELECT && q->kind != SL_N_SETOP))
    return sl_render_malformed(r, "set operation operand is not a query");
  if (r->d->caps & SL_CAP_PAREN_SETOP) {
    sl_buf_addc(&r->buf, '(');
    if (render_query(r, q, force_alias) != SL_OK) return SL_ERROR;
    sl_buf_addc(&r->buf, ')');
    return SL_OK;
  }
  /* SQLite: members are bare selects, evaluated left to right; anything
  ** else becomes a derived table */
  if (!has_tail(q) && (q->kind == SL_N_SELECT || !right))
    return render_query(r, q, force_alias);
  sl_buf_adds(&r->buf, "select * from (");
  if (render_query(r, q, force_alias) != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

static int render_setop(sl_render *r, const sl_node *n, int force_alias) {
  static const char *const kw[] = {" union ",         " union all ",
                                   " intersect ",     " except ",
                                   " intersect all ", " except all "};
  sl_setop op = n->u.setop.op;
  render_ctx saved;
  int rc = SL_ERROR;
  if ((int)op < 0 || (int)op > (int)SL_SET_EXCEPT_ALL)
    return sl_render_malformed(r, "unknown set operation");
  if (op != SL_SET_UNION && op != SL_SET_UNION_ALL &&
      !(r->d->caps & SL_CAP_INTERSECT_EXCEPT))
    return sl_render_failf(r, SL_EK_USAGE, "%s is not supported by %s",
                           kw[op] + 1, r->d->name);
  if ((op == SL_SET_INTERSECT_ALL || op == SL_SET_EXCEPT_ALL) &&
      !(r->d->caps & SL_CAP_SETOP_ALL))
    return sl_render_failf(r, SL_EK_USAGE,
                           "%sis not supported by %s (only without all)",
                           kw[op] + 1, r->d->name);
  if (render_operand(r, n->u.setop.l, 0, force_alias) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, kw[op]);
  if (render_operand(r, n->u.setop.r, 1, force_alias) != SL_OK) return SL_ERROR;
  /* the result's columns belong to no table */
  ctx_save(r, &saved);
  r->unqualify = 1;
  if (n->u.setop.order_by.n > 0) {
    sl_buf_adds(&r->buf, " order by ");
    if (sl_render_list(r, &n->u.setop.order_by, ", ") != SL_OK) goto done;
  }
  rc = render_limit(r, n->u.setop.limit, n->u.setop.offset);
done:
  ctx_restore(r, &saved);
  return r->failed ? SL_ERROR : rc;
}

/* A select or set operation (subqueries, CTEs, INSERT ... SELECT). */
static int render_query(sl_render *r, const sl_node *q, int force_alias) {
  int rc;
  if (q == NULL) return sl_render_malformed(r, "missing subquery");
  if (q->kind != SL_N_SELECT && q->kind != SL_N_SETOP)
    return sl_render_malformed(r, "subquery is not a select");
  if (r->depth >= SL_MAX_DEPTH)
    return sl_render_fail(r, SL_EK_USAGE, "statement nested too deeply");
  r->depth++;
  rc = q->kind == SL_N_SELECT ? render_select(r, q, force_alias)
                              : render_setop(r, q, force_alias);
  r->depth--;
  return rc;
}

static int render_assigns(sl_render *r, const sl_assign *a, int n) {
  int i;
  if (n <= 0 || a == NULL) return sl_render_malformed(r, "empty set list");
  for (i = 0; i < n; i++) {
    if (i > 0) sl_buf_adds(&r->buf, ", ");
    sl_render_ident(r, a[i].column);
    sl_buf_adds(&r->buf, " = ");
    if (sl_render_expr(r, a[i].value) != SL_OK) return SL_ERROR;
  }
  return SL_OK;
}

/* " returning ..." with unqualified columns. allowed: the dialect can. */
static int render_returning(sl_render *r, const sl_fields *f, int has,
                            int allowed, const char *verb) {
  render_ctx saved;
  int rc;
  if (!has && f->n == 0) return SL_OK;
  if (!allowed)
    return sl_render_failf(r, SL_EK_USAGE,
                           "returning on %s is not supported by %s", verb,
                           r->d->name);
  sl_buf_adds(&r->buf, " returning ");
  ctx_save(r, &saved);
  r->unqualify = 1;
  rc = render_fields(r, f, 0);
  ctx_restore(r, &saved);
  return rc;
}

static int render_values(sl_render *r, const sl_node *n) {
  int i, j, nc = n->u.insert.ncolumns;
  if (n->u.insert.nrows <= 0 || n->u.insert.rows == NULL)
    return sl_render_malformed(r, "insert without rows");
  if (nc == 0) {
    if (r->fam == SL_FAM_MYSQL) {
      sl_buf_adds(&r->buf, " () values ");
      for (i = 0; i < n->u.insert.nrows; i++)
        sl_buf_adds(&r->buf, i > 0 ? ", ()" : "()");
      return SL_OK;
    }
    if (n->u.insert.nrows > 1)
      return sl_render_failf(r, SL_EK_USAGE,
                             "inserting several rows of only default values "
                             "is not supported by %s",
                             r->d->name);
    sl_buf_adds(&r->buf, " default values");
    return SL_OK;
  }
  sl_buf_adds(&r->buf, " values ");
  for (i = 0; i < n->u.insert.nrows; i++) {
    sl_node **row = n->u.insert.rows[i];
    if (row == NULL) return sl_render_malformed(r, "missing insert row");
    sl_buf_adds(&r->buf, i > 0 ? ", (" : "(");
    for (j = 0; j < nc; j++) {
      if (j > 0) sl_buf_adds(&r->buf, ", ");
      if (sl_render_expr(r, row[j]) != SL_OK) return SL_ERROR;
    }
    sl_buf_addc(&r->buf, ')');
  }
  return SL_OK;
}

static int render_conflict(sl_render *r, const sl_node *n) {
  render_ctx saved;
  int action = n->u.insert.conflict;
  if (action == 0 && n->u.insert.ignore && (r->d->caps & SL_CAP_ON_CONFLICT)) {
    sl_buf_adds(&r->buf, " on conflict do nothing");
    return SL_OK;
  }
  if (action == 0) return SL_OK;
  if (!(r->d->caps & SL_CAP_ON_CONFLICT))
    return sl_render_failf(r, SL_EK_USAGE,
                           "on conflict is not supported by %s; use on "
                           "duplicate key update",
                           r->d->name);
  if (action != 1 && action != 2)
    return sl_render_malformed(r, "unknown conflict action");
  sl_buf_adds(&r->buf, " on conflict");
  ctx_save(r, &saved);
  /* the conflict target names an index of the target table */
  r->unqualify = 1;
  if (n->u.insert.conflict_target.n > 0) {
    sl_buf_adds(&r->buf, " (");
    if (sl_render_list(r, &n->u.insert.conflict_target, ", ") != SL_OK)
      goto fail;
    sl_buf_addc(&r->buf, ')');
    if (n->u.insert.conflict_where != NULL) {
      sl_buf_adds(&r->buf, " where ");
      if (sl_render_expr(r, n->u.insert.conflict_where) != SL_OK) goto fail;
    }
  } else if (n->u.insert.conflict_where != NULL) {
    ctx_restore(r, &saved);
    return sl_render_malformed(r, "conflict where without a target");
  }
  ctx_restore(r, &saved);
  if (action == 1) {
    sl_buf_adds(&r->buf, " do nothing");
    return SL_OK;
  }
  sl_buf_adds(&r->buf, " do update set ");
  if (render_assigns(r, n->u.insert.conflict_set, n->u.insert.nconflict_set) !=
      SL_OK)
    return SL_ERROR;
  if (n->u.insert.conflict_set_where != NULL) {
    sl_buf_adds(&r->buf, " where ");
    if (sl_render_expr(r, n->u.insert.conflict_set_where) != SL_OK)
      return SL_ERROR;
  }
  return SL_OK;
fail:
  ctx_restore(r, &saved);
  return SL_ERROR;
}

static int render_insert(sl_render *r, const sl_node *n) {
  unsigned caps = r->d->caps;
  int ignore_kw = n->u.insert.ignore && !(caps & SL_CAP_ON_CONFLICT);
  render_ctx saved;
  int rc = SL_ERROR;
  ctx_save(r, &saved);
  if (render_ctes(r, n->u.insert.ctes, n->u.insert.nctes) != SL_OK) goto done;
  if (ignore_kw && !(caps & SL_CAP_ON_DUPLICATE)) {
    sl_render_failf(r, SL_EK_USAGE, "insert ignore is not supported by %s",
                    r->d->name);
    goto done;
  }
  sl_buf_adds(&r->buf, ignore_kw ? "insert ignore into " : "insert into ");
  if (render_target(r, n->u.insert.table) != SL_OK) goto done;
  if (n->u.insert.ncolumns > 0) {
    sl_buf_adds(&r->buf, " (");
    if (sl_render_names(r, n->u.insert.columns, n->u.insert.ncolumns, ", ") !=
        SL_OK)
      goto done;
    sl_buf_addc(&r->buf, ')');
  }
  if (n->u.insert.overriding) {
    if (r->fam != SL_FAM_POSTGRESQL) {
      sl_render_failf(r, SL_EK_USAGE,
                      "overriding system value is not supported by %s",
                      r->d->name);
      goto done;
    }
    sl_buf_adds(&r->buf, " overriding system value");
  }
  if (n->u.insert.select != NULL) {
    sl_buf_addc(&r->buf, ' ');
    /* SQLite parses "select ... from t on conflict" as a join constraint
    ** unless the select has a WHERE */
    if (r->fam == SL_FAM_SQLITE && n->u.insert.select->kind == SL_N_SELECT &&
        (n->u.insert.conflict != 0 || n->u.insert.ignore))
      r->need_where = 1;
    if (render_query(r, n->u.insert.select, 0) != SL_OK) goto done;
  } else if (render_values(r, n) != SL_OK) {
    goto done;
  }
  if (render_conflict(r, n) != SL_OK) goto done;
  if (n->u.insert.ndup_set > 0) {
    if (!(caps & SL_CAP_ON_DUPLICATE)) {
      sl_render_failf(r, SL_EK_USAGE,
                      "on duplicate key update is not supported by %s; use "
                      "on conflict do update",
                      r->d->name);
      goto done;
    }
    sl_buf_adds(&r->buf, " on duplicate key update ");
    if (render_assigns(r, n->u.insert.dup_set, n->u.insert.ndup_set) != SL_OK)
      goto done;
  }
  rc = render_returning(
      r, &n->u.insert.returning, n->u.insert.has_returning,
      (caps & (SL_CAP_RETURNING | SL_CAP_INSERT_RETURNING)) != 0, "insert");
done:
  ctx_restore(r, &saved);
  return r->failed ? SL_ERROR : rc;
}

/* ORDER BY and LIMIT of an update or delete (MySQL, SQLite). */
static int render_dml_limit(sl_render *r, const sl_list *order_by,
                            const sl_node *limit, const char *what) {
  if (order_by->n == 0 && limit == NULL) return SL_OK;
  if (!(r->d->caps & SL_CAP_DML_LIMIT))
    return sl_render_failf(r, SL_EK_USAGE, "%s on %s is not supported by %s",
                           order_by->n > 0 ? "orderBy" : "limit", what,
                           r->d->name);
  if (order_by->n > 0) {
    sl_buf_adds(&r->buf, " order by ");
    if (sl_render_list(r, order_by, ", ") != SL_OK) return SL_ERROR;
  }
  if (limit != NULL) {
    sl_buf_adds(&r->buf, " limit ");
    if (sl_render_expr(r, limit) != SL_OK) return SL_ERROR;
  }
  return SL_OK;
}

/* The tail of an update or delete: SQLite writes RETURNING before ORDER
** BY and LIMIT, MariaDB after them. */
static int render_dml_tail(sl_render *r, const sl_list *order_by,
                           const sl_node *limit, const sl_fields *returning,
                           int has_returning, int can_return,
                           const char *what) {
  if (r->fam == SL_FAM_SQLITE) {
    if (render_returning(r, returning, has_returning, can_return, what) !=
        SL_OK)
      return SL_ERROR;
    return render_dml_limit(r, order_by, limit, what);
  }
  if (render_dml_limit(r, order_by, limit, what) != SL_OK) return SL_ERROR;
  return render_returning(r, returning, has_returning, can_return, what);
}

static int render_update(sl_render *r, const sl_node *n) {
  render_ctx saved;
  int rc = SL_ERROR;
  ctx_save(r, &saved);
  if (render_ctes(r, n->u.update.ctes, n->u.update.nctes) != SL_OK) goto done;
  sl_buf_adds(&r->buf, "update ");
  if (render_target(r, n->u.update.table) != SL_OK) goto done;
  sl_buf_adds(&r->buf, " set ");
  if (render_assigns(r, n->u.update.set, n->u.update.nset) != SL_OK) goto done;
  if (n->u.update.from != NULL) {
    if (!(r->d->caps & SL_CAP_UPDATE_FROM)) {
      sl_render_failf(r, SL_EK_USAGE,
                      "update ... from is not supported by %s (join the "
                      "tables in a where subquery)",
                      r->d->name);
      goto done;
    }
    sl_buf_adds(&r->buf, " from ");
    if (render_source(r, n->u.update.from) != SL_OK) goto done;
  }
  if (n->u.update.where != NULL) {
    sl_buf_adds(&r->buf, " where ");
    if (sl_render_expr(r, n->u.update.where) != SL_OK) goto done;
  }
  rc = render_dml_tail(r, &n->u.update.order_by, n->u.update.limit,
                       &n->u.update.returning, n->u.update.has_returning,
                       (r->d->caps & SL_CAP_RETURNING) != 0, "update");
done:
  ctx_restore(r, &saved);
  return r->failed ? SL_ERROR : rc;
}

static int render_delete(sl_render *r, const sl_node *n) {
  render_ctx saved;
  int rc = SL_ERROR;
  ctx_save(r, &saved);
  if (render_ctes(r, n->u.delete_.ctes, n->u.delete_.nctes) != SL_OK) goto done;
  sl_buf_adds(&r->buf, "delete from ");
  if (render_target(r, n->u.delete_.table) != SL_OK) goto done;
  if (n->u.delete_.where != NULL) {
    sl_buf_adds(&r->buf, " where ");
    if (sl_render_expr(r, n->u.delete_.where) != SL_OK) goto done;
  }
  rc = render_dml_tail(
      r, &n->u.delete_.order_by, n->u.delete_.limit, &n->u.delete_.returning,
      n->u.delete_.has_returning,
      (r->d->caps & (SL_CAP_RETURNING | SL_CAP_INSERT_RETURNING)) != 0,
      "delete");
done:
  ctx_restore(r, &saved);
  return r->failed ? SL_ERROR : rc;
}

/* }==================================================================== */

/* {====================================================================
** Dispatch and entry point
** ===================================================================== */

static int render_node(sl_render *r, const sl_node *n) {
  sl_buf *b = &r->buf;
  switch (n->kind) {
  case SL_N_COL:
    render_col(r, n);
    break;
  case SL_N_PARAM:
    return render_param(r, n);
  case SL_N_PH:
    return render_ph(r, n);
  case SL_N_RAW:
    if (n->u.raw.text == NULL) return sl_render_malformed(r, "raw text");
    sl_buf_adds(b, n->u.raw.text);
    break;
  case SL_N_IDENT:
    sl_render_ident(r, n->u.ident.name);
    break;
  case SL_N_SQL:
    return render_sql(r, n);
  case SL_N_NULL:
    sl_buf_adds(b, "null");
    break;
  case SL_N_DEFAULT:
    if (!(r->d->caps & SL_CAP_DEFAULT_VALUES))
      return sl_render_failf(r, SL_EK_USAGE,
                             "the default keyword is not supported by %s",
                             r->d->name);
    sl_buf_adds(b, "default");
    break;
  case SL_N_EXCLUDED:
    sl_buf_adds(b, "excluded.");
    sl_render_ident(r, n->u.excluded.column);
    break;
  case SL_N_BIN:
    return render_bin(r, n);
  case SL_N_AND:
  case SL_N_OR:
    return render_logic(r, n);
  case SL_N_NOT:
    return render_not(r, n);
  case SL_N_ISNULL:
    if (sl_render_expr(r, n->u.isnull.e) != SL_OK) return SL_ERROR;
    sl_buf_adds(b, n->u.isnull.negate ? " is not null" : " is null");
    break;
  case SL_N_IN:
    return render_in(r, n);
  case SL_N_BETWEEN:
    return render_between(r, n);
  case SL_N_EXISTS:
    sl_buf_adds(b, n->u.exists.negate ? "not exists " : "exists ");
    return render_paren_query(r, n->u.exists.subquery);
  case SL_N_FUNC:
    return render_func(r, n);
  case SL_N_ALIAS:
    if (sl_render_expr(r, n->u.alias.e) != SL_OK) return SL_ERROR;
    sl_buf_adds(b, " as ");
    sl_render_ident(r, n->u.alias.name);
    break;
  case SL_N_ORDER:
    if (sl_render_expr(r, n->u.order.e) != SL_OK) return SL_ERROR;
    sl_buf_adds(b, n->u.order.desc ? " desc" : " asc");
    if (n->u.order.nulls != 0) {
      if (r->fam == SL_FAM_MYSQL)
        return sl_render_failf(r, SL_EK_USAGE,
                               "nulls first / last is not supported by %s",
                               r->d->name);
      sl_buf_adds(b, n->u.order.nulls == 1 ? " nulls first" : " nulls last");
    }
    break;
  case SL_N_SCALAR:
    return render_paren_query(r, n->u.scalar.query);
  case SL_N_TABLE:
  case SL_N_SUBQ:
    return render_source(r, n);
  case SL_N_SELECT:
    return render_select(r, n, 0);
  case SL_N_SETOP:
    return render_setop(r, n, 0);
  case SL_N_INSERT:
    return render_insert(r, n);
  case SL_N_UPDATE:
    return render_update(r, n);
  case SL_N_DELETE:
    return render_delete(r, n);
  case SL_N_CREATE_TABLE:
    return sl_ddl_create_table(r, n);
  case SL_N_CREATE_INDEX:
    return sl_ddl_create_index(r, n);
  case SL_N_CREATE_ENUM:
    return sl_ddl_create_enum(r, n);
  default:
    return sl_render_malformed(r, "unknown node kind");
  }
  return r->failed ? SL_ERROR : SL_OK;
}

/* Renders n (any node) at the current position: the dialect's hook first,
** then the default renderer. SL_OK or SL_ERROR (reason in the context). */
int sl_render_expr(sl_render *r, const sl_node *n) {
  int rc;
  if (r->failed) return SL_ERROR;
  if (n == NULL) return sl_render_malformed(r, "missing node");
  if (r->depth >= SL_MAX_DEPTH)
    return sl_render_fail(r, SL_EK_USAGE, "statement nested too deeply");
  r->depth++;
  if (r->d->render_node != NULL && r->d->render_node(r, n))
    rc = SL_OK;
  else
    rc = render_node(r, n);
  r->depth--;
  return r->failed ? SL_ERROR : rc;
}

/* Renders one statement or expression n for dialect d into out, whose
** text and parameters are allocated in a. On SL_ERROR err says why. */
int sl_render_stmt(const sl_dialect *d, const sl_node *n, sl_arena *a,
                   sl_sql *out, sl_error *err) {
  sl_render r;
  sl_error scratch;
  int rc;
  if (err == NULL) err = &scratch;
  if (d == NULL || n == NULL || a == NULL || out == NULL)
    return sl_error_set(err, SL_EK_USAGE,
                        "sl_render_stmt: missing dialect, tree or output");
  memset(&r, 0, sizeof r);
  r.d = d;
  r.fam = sl_dialect_family(d);
  r.err = err;
  sl_buf_init(&r.buf);
  rc = sl_render_expr(&r, n);
  if (rc == SL_OK && (r.buf.oom || r.oom))
    rc = sl_error_set(err, SL_EK_USAGE, "out of memory");
  if (rc == SL_OK) {
    out->len = r.buf.n;
    out->sql = sl_arena_strndup(a, r.buf.p ? r.buf.p : "", r.buf.n);
    out->nparams = r.nparams;
    out->params = NULL;
    if (r.nparams > 0) {
      size_t size = (size_t)r.nparams * sizeof *r.params;
      out->params = sl_arena_alloc(a, size);
      if (out->params != NULL) memcpy(out->params, r.params, size);
    }
    if (out->sql == NULL || (r.nparams > 0 && out->params == NULL))
      rc = sl_error_set(err, SL_EK_USAGE, "out of memory");
  }
  sl_buf_free(&r.buf);
  free(r.params);
  return rc;
}

/* }==================================================================== */
