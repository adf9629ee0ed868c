/*
** sl_ddl.c — CREATE TABLE / CREATE INDEX / CREATE TYPE ... AS ENUM, spelled
** the way drizzle-kit writes migrations (upper-case keywords, one column
** per line, constraints after the columns).
**
** Every constraint is written inside CREATE TABLE, foreign keys included:
** SQLite cannot add them later, and one statement per table keeps
** generated migrations the same shape in all three dialects.
**
** DDL cannot take bound parameters, so parameters inside defaults, checks,
** generated columns and partial-index predicates are inlined through the
** dialect's literal hook, and columns are never qualified (a constraint
** belongs to exactly one table).
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sl_int.h"

/* Separator of the constraint clauses inside CREATE TABLE. */
#define IN_TABLE ",\n\t"

/* Appends a generated constraint name: parts joined with '_' (drizzle-kit's
** naming: users_email_unique, posts_author_id_users_id_fk, ...). */
static void generated_name(sl_render *r, const char *table,
                           const char *const *cols, int ncols,
                           const char *ref_table, const char *const *ref_cols,
                           int nref, const char *suffix) {
  sl_buf name;
  int i;
  sl_buf_init(&name);
  sl_buf_adds(&name, table);
  for (i = 0; i < ncols; i++) {
    sl_buf_addc(&name, '_');
    sl_buf_adds(&name, cols[i]);
  }
  if (ref_table != NULL) {
    sl_buf_addc(&name, '_');
    sl_buf_adds(&name, ref_table);
    for (i = 0; i < nref; i++) {
      sl_buf_addc(&name, '_');
      sl_buf_adds(&name, ref_cols[i]);
    }
  }
  sl_buf_addc(&name, '_');
  sl_buf_adds(&name, suffix);
  if (name.oom) {
    r->oom = 1;
    sl_render_fail(r, SL_EK_USAGE, "out of memory");
  } else {
    sl_render_ident(r, name.p);
  }
  sl_buf_free(&name);
}

/* Whether every name of a list is present. */
static int names_ok(const char *const *names, int n) {
  int i;
  if (n <= 0 || names == NULL) return 0;
  for (i = 0; i < n; i++)
    if (names[i] == NULL) return 0;
  return 1;
}

/* "(" names ")" as drizzle-kit joins them: no space after the comma. */
static int render_name_list(sl_render *r, const char *const *names, int n) {
  sl_buf_addc(&r->buf, '(');
  if (sl_render_names(r, names, n, ",") != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

/* Appends " ON <event> <action>" after checking action against the five
** SQL actions, since it is spliced into the text. */
static int render_fk_action(sl_render *r, const char *event,
                            const char *action) {
  static const char *const known[] = {"cascade", "restrict", "no action",
                                      "set null", "set default"};
  size_t i, j, n;
  if (action == NULL) return SL_OK;
  n = strlen(action);
  for (i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (strlen(known[i]) != n) continue;
    for (j = 0; j < n; j++)
      if (tolower((unsigned char)action[j]) != known[i][j]) break;
    if (j == n) {
      sl_buf_adds(&r->buf, " ON ");
      sl_buf_adds(&r->buf, event);
      sl_buf_addc(&r->buf, ' ');
      sl_buf_adds(&r->buf, known[i]);
      return SL_OK;
    }
  }
  return sl_render_failf(r, SL_EK_USAGE,
                         "unknown foreign key action \"%s\" (expected "
                         "cascade, restrict, no action, set null or set "
                         "default)",
                         action);
}

/* Whether the n bytes at s are one SQL string literal ('a''b', X'00'). */
static int is_string_literal(const char *s, size_t n) {
  size_t i = 1;
  if (n >= 2 && (s[0] == 'x' || s[0] == 'X')) s++, n--;
  if (n < 2 || s[0] != '\'') return 0;
  while (i < n) {
    if (s[i] == '\'' && i + 1 < n && s[i + 1] == '\'')
      i += 2;
    else if (s[i] == '\'')
      break;
    else
      i++;
  }
  return i == n - 1;
}

/* Whether the n bytes at s are a signed decimal number (1, -2.5, 1e3). */
static int is_number(const char *s, size_t n) {
  size_t i = 0, digits = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) i++;
  while (i < n && isdigit((unsigned char)s[i]))
    i++, digits++;
  if (i < n && s[i] == '.')
    for (i++; i < n && isdigit((unsigned char)s[i]); i++)
      digits++;
  if (digits == 0) return 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    size_t exp = 0;
    i++;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    while (i < n && isdigit((unsigned char)s[i]))
      i++, exp++;
    if (exp == 0) return 0;
  }
  return i == n;
}

/* Whether the n bytes at s are one parenthesised expression: the '(' at
** the start closes at the very end (quotes skipped). */
static int is_parenthesised(const char *s, size_t n) {
  size_t i;
  int depth = 0;
  char quote = 0;
  if (n < 2 || s[0] != '(') return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (quote != 0) {
      if (c == quote) quote = 0; /* a doubled quote reopens at once */
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '(') {
      depth++;
    } else if (c == ')' && --depth == 0) {
      return i == n - 1;
    }
  }
  return 0;
}

/* Whether raw SQL text already stands alone after DEFAULT in every
** dialect: a literal (string, blob, number, keyword constant) or one
** parenthesised expression. Snapshots store defaults this way, and they
** must come back out unchanged. */
static int is_self_delimited(const char *text) {
  static const char *const words[] = {"null",         "true",
                                      "false",        "current_timestamp",
                                      "current_date", "current_time"};
  size_t n, i, j;
  if (text == NULL) return 0;
  while (isspace((unsigned char)*text))
    text++;
  n = strlen(text);
  while (n > 0 && isspace((unsigned char)text[n - 1]))
    n--;
  if (is_string_literal(text, n) || is_number(text, n) ||
      is_parenthesised(text, n))
    return 1;
  for (i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (strlen(words[i]) != n) continue;
    for (j = 0; j < n; j++)
      if (tolower((unsigned char)text[j]) != words[i][j]) break;
    if (j == n) return 1;
  }
  return 0;
}

/* The value of a column default: literals as they are; expressions in
** parentheses where SQLite and MySQL require them. */
static int render_default_value(sl_render *r, const sl_node *e) {
  int wrap = r->fam != SL_FAM_POSTGRESQL && e->kind != SL_N_PARAM &&
             e->kind != SL_N_NULL &&
             !(e->kind == SL_N_RAW && is_self_delimited(e->u.raw.text));
  if (wrap) sl_buf_addc(&r->buf, '(');
  if (sl_render_expr(r, e) != SL_OK) return SL_ERROR;
  if (wrap) sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

static int render_default(sl_render *r, const sl_node *e) {
  sl_buf_adds(&r->buf, " DEFAULT ");
  return render_default_value(r, e);
}

static int render_generated(sl_render *r, const sl_coldef *c) {
  sl_buf_adds(&r->buf, " GENERATED ALWAYS AS (");
  if (sl_render_expr(r, c->generated) != SL_OK) return SL_ERROR;
  /* PostgreSQL only has stored generated columns */
  sl_buf_adds(&r->buf, c->generated_stored || r->fam == SL_FAM_POSTGRESQL
                           ? ") STORED"
                           : ") VIRTUAL");
  return SL_OK;
}

/* Whether a type is exactly "serial", in any case. */
static int is_serial(const char *type) {
  const char *w = "serial";
  for (; *w != '\0'; w++, type++)
    if (tolower((unsigned char)*type) != *w) return 0;
  return *type == '\0';
}

/* One column definition, clauses in the order drizzle-kit writes them for
** the dialect. */
/* The sequence options of an identity, in parentheses, after " ". Their
** integers are checked where snapshots are read (they are spliced in). */
void sl_identity_options(sl_buf *b, char quote, const sl_identity *id) {
  sl_buf_adds(b, " (");
  if (id->name != NULL) {
    sl_buf_adds(b, "sequence name ");
    if (id->schema != NULL) {
      sl_quote_ident(b, quote, id->schema);
      sl_buf_addc(b, '.');
    }
    sl_quote_ident(b, quote, id->name);
    sl_buf_addc(b, ' ');
  }
  sl_sequence_options(b, id);
  sl_buf_addc(b, ')');
}

/* INCREMENT BY ... CACHE n [CYCLE] of a sequence or an identity. */
void sl_sequence_options(sl_buf *b, const sl_identity *id) {
  sl_buf_adds(b, "INCREMENT BY ");
  sl_buf_adds(b, id->increment);
  sl_buf_adds(b, " MINVALUE ");
  sl_buf_adds(b, id->min);
  sl_buf_adds(b, " MAXVALUE ");
  sl_buf_adds(b, id->max);
  sl_buf_adds(b, " START WITH ");
  sl_buf_adds(b, id->start);
  sl_buf_adds(b, " CACHE ");
  sl_buf_adds(b, id->cache);
  if (id->cycle) sl_buf_adds(b, " CYCLE");
}

static int render_column(sl_render *r, const sl_coldef *c) {
  sl_buf *b = &r->buf;
  if (c->name == NULL || c->type == NULL)
    return sl_render_malformed(r, "column without a name or type");
  sl_render_ident(r, c->name);
  sl_buf_addc(b, ' ');
  sl_buf_adds(b, c->type);
  if (c->on_update_now && r->fam != SL_FAM_MYSQL)
    return sl_render_failf(r, SL_EK_USAGE,
                           "on update now is not supported by %s", r->d->name);
  if (c->identity != NULL && r->fam != SL_FAM_POSTGRESQL)
    return sl_render_failf(
        r, SL_EK_USAGE, "identity columns are not supported by %s", r->d->name);
  switch (r->fam) {
  case SL_FAM_MYSQL:
    /* MariaDB's SERIAL already means AUTO_INCREMENT and refuses it
    ** twice */
    if (c->autoincrement && !is_serial(c->type))
      sl_buf_adds(b, " AUTO_INCREMENT");
    if (c->primary_key) sl_buf_adds(b, " PRIMARY KEY");
    if (c->generated != NULL && render_generated(r, c) != SL_OK)
      return SL_ERROR;
    if (c->not_null) sl_buf_adds(b, " NOT NULL");
    if (c->default_ != NULL && render_default(r, c->default_) != SL_OK)
      return SL_ERROR;
    if (c->on_update_now) {
      /* the precision of the type: timestamp(3) updates to now(3) */
      const char *p = strchr(c->type, '(');
      sl_buf_adds(b, " ON UPDATE CURRENT_TIMESTAMP");
      if (p != NULL) {
        const char *e = strchr(p, ')');
        if (e == NULL) return sl_render_malformed(r, "column type");
        sl_buf_add(b, p, (size_t)(e - p) + 1);
      }
    }
    break;
  case SL_FAM_SQLITE:
    if (c->primary_key) sl_buf_adds(b, " PRIMARY KEY");
    if (c->autoincrement) sl_buf_adds(b, " AUTOINCREMENT");
    if (c->default_ != NULL && render_default(r, c->default_) != SL_OK)
      return SL_ERROR;
    if (c->generated != NULL && render_generated(r, c) != SL_OK)
      return SL_ERROR;
    if (c->not_null) sl_buf_adds(b, " NOT NULL");
    break;
  case SL_FAM_POSTGRESQL:
    /* serial types carry their own sequence: autoincrement is implied */
    if (c->primary_key) sl_buf_adds(b, " PRIMARY KEY");
    if (c->identity != NULL) {
      sl_buf_adds(b, c->identity->by_default
                         ? " GENERATED BY DEFAULT AS IDENTITY"
                         : " GENERATED ALWAYS AS IDENTITY");
      sl_identity_options(b, r->d->quote, c->identity);
    }
    if (c->default_ != NULL && render_default(r, c->default_) != SL_OK)
      return SL_ERROR;
    if (c->generated != NULL && render_generated(r, c) != SL_OK)
      return SL_ERROR;
    if (c->not_null) sl_buf_adds(b, " NOT NULL");
    break;
  }
  return r->failed ? SL_ERROR : SL_OK;
}

/* The constraint clauses below start with sep: ",\n\t" inside CREATE
** TABLE, "" after ALTER TABLE ... ADD. */
static int render_primary_key(sl_render *r, const char *table,
                              const sl_keydef *pk, const char *sep) {
  if (!names_ok(pk->columns, pk->ncolumns))
    return sl_render_malformed(r, "primary key without columns");
  sl_buf_adds(&r->buf, sep);
  /* SQLite ignores the name; drizzle-kit leaves it out there */
  if (pk->name != NULL || r->fam != SL_FAM_SQLITE) {
    sl_buf_adds(&r->buf, "CONSTRAINT ");
    if (pk->name != NULL)
      sl_render_ident(r, pk->name);
    else
      generated_name(r, table, pk->columns, pk->ncolumns, NULL, NULL, 0, "pk");
    sl_buf_addc(&r->buf, ' ');
  }
  sl_buf_adds(&r->buf, "PRIMARY KEY");
  return render_name_list(r, pk->columns, pk->ncolumns);
}

static int render_foreign_key(sl_render *r, const char *table, const sl_fk *fk,
                              const char *sep) {
  if (!names_ok(fk->columns, fk->ncolumns) || fk->ref_table == NULL ||
      !names_ok(fk->ref_columns, fk->nref_columns) ||
      fk->ncolumns != fk->nref_columns)
    return sl_render_malformed(r, "foreign key columns do not match");
  sl_buf_adds(&r->buf, sep);
  if (fk->name != NULL || r->fam != SL_FAM_SQLITE) {
    sl_buf_adds(&r->buf, "CONSTRAINT ");
    if (fk->name != NULL)
      sl_render_ident(r, fk->name);
    else
      generated_name(r, table, fk->columns, fk->ncolumns, fk->ref_table,
                     fk->ref_columns, fk->nref_columns, "fk");
    sl_buf_addc(&r->buf, ' ');
  }
  sl_buf_adds(&r->buf, "FOREIGN KEY ");
  if (render_name_list(r, fk->columns, fk->ncolumns) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, " REFERENCES ");
  /* a SQLite foreign key always refers to its own database and cannot be
  ** qualified */
  if (sl_render_qualified(r, r->fam == SL_FAM_SQLITE ? NULL : fk->ref_schema,
                          fk->ref_table) != SL_OK)
    return SL_ERROR;
  if (render_name_list(r, fk->ref_columns, fk->nref_columns) != SL_OK)
    return SL_ERROR;
  if (r->fam == SL_FAM_SQLITE) {
    if (render_fk_action(r, "UPDATE", fk->on_update) != SL_OK) return SL_ERROR;
    return render_fk_action(r, "DELETE", fk->on_delete);
  }
  if (render_fk_action(r, "DELETE", fk->on_delete) != SL_OK) return SL_ERROR;
  return render_fk_action(r, "UPDATE", fk->on_update);
}

static int render_unique(sl_render *r, const char *table, const char *name,
                         const char *const *cols, int ncols, const char *sep,
                         int nulls_not_distinct) {
  if (!names_ok(cols, ncols))
    return sl_render_malformed(r, "unique constraint without columns");
  if (nulls_not_distinct && r->fam != SL_FAM_POSTGRESQL)
    return sl_render_failf(r, SL_EK_USAGE,
                           "unique ... nulls not distinct is not supported "
                           "by %s",
                           r->d->name);
  sl_buf_adds(&r->buf, sep);
  sl_buf_adds(&r->buf, "CONSTRAINT ");
  if (name != NULL && name[0] != '\0')
    sl_render_ident(r, name);
  else
    generated_name(r, table, cols, ncols, NULL, NULL, 0, "unique");
  sl_buf_adds(&r->buf,
              nulls_not_distinct ? " UNIQUE NULLS NOT DISTINCT" : " UNIQUE");
  return render_name_list(r, cols, ncols);
}

static int render_check(sl_render *r, const sl_checkdef *ck, const char *sep) {
  if (ck->expr == NULL) return sl_render_malformed(r, "check without expr");
  sl_buf_adds(&r->buf, sep);
  if (ck->name != NULL) {
    sl_buf_adds(&r->buf, "CONSTRAINT ");
    sl_render_ident(r, ck->name);
    sl_buf_addc(&r->buf, ' ');
  }
  sl_buf_adds(&r->buf, "CHECK (");
  if (sl_render_expr(r, ck->expr) != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  return SL_OK;
}

/* CREATE TABLE for the dialect of r; see the file comment. */
int sl_ddl_create_table(sl_render *r, const sl_node *n) {
  const char *table = n->u.create_table.name;
  const sl_coldef *cols = n->u.create_table.columns;
  int i, ncols = n->u.create_table.ncolumns;
  if (table == NULL) return sl_render_malformed(r, "table without a name");
  if (ncols <= 0 || cols == NULL)
    return sl_render_malformed(r, "table without columns");
  r->inline_params = 1;
  r->unqualify = 1;
  sl_buf_adds(&r->buf, n->u.create_table.if_not_exists
                           ? "CREATE TABLE IF NOT EXISTS "
                           : "CREATE TABLE ");
  if (sl_render_qualified(r, n->u.create_table.schema, table) != SL_OK)
    return SL_ERROR;
  sl_buf_adds(&r->buf, " (\n");
  for (i = 0; i < ncols; i++) {
    if (i > 0) sl_buf_adds(&r->buf, ",\n");
    sl_buf_addc(&r->buf, '\t');
    if (render_column(r, &cols[i]) != SL_OK) return SL_ERROR;
  }
  if (n->u.create_table.primary_key != NULL &&
      render_primary_key(r, table, n->u.create_table.primary_key, IN_TABLE) !=
          SL_OK)
    return SL_ERROR;
  for (i = 0; i < n->u.create_table.nfks; i++)
    if (render_foreign_key(r, table, &n->u.create_table.fks[i], IN_TABLE) !=
        SL_OK)
      return SL_ERROR;
  for (i = 0; i < ncols; i++) {
    const char *col = cols[i].name;
    if (cols[i].unique == NULL) continue;
    if (render_unique(r, table, cols[i].unique, &col, 1, IN_TABLE, 0) != SL_OK)
      return SL_ERROR;
  }
  for (i = 0; i < n->u.create_table.nuniques; i++) {
    const sl_keydef *u = &n->u.create_table.uniques[i];
    if (render_unique(r, table, u->name, u->columns, u->ncolumns, IN_TABLE,
                      u->nulls_not_distinct) != SL_OK)
      return SL_ERROR;
  }
  for (i = 0; i < n->u.create_table.nchecks; i++)
    if (render_check(r, &n->u.create_table.checks[i], IN_TABLE) != SL_OK)
      return SL_ERROR;
  sl_buf_adds(&r->buf, "\n);");
  return r->failed ? SL_ERROR : SL_OK;
}

/* CREATE [UNIQUE] INDEX: PostgreSQL names the access method like
** drizzle-kit (USING btree); MySQL has no partial indexes. */
static int create_index(sl_render *r, const sl_node *n, const char *method) {
  const char *schema = n->u.create_index.schema;
  if (n->u.create_index.name == NULL || n->u.create_index.table == NULL)
    return sl_render_malformed(r, "index without a name or table");
  if (n->u.create_index.columns.n <= 0)
    return sl_render_malformed(r, "index without columns");
  if (n->u.create_index.where != NULL && r->fam == SL_FAM_MYSQL)
    return sl_render_failf(r, SL_EK_USAGE,
                           "partial indexes (index where) are not supported "
                           "by %s",
                           r->d->name);
  r->inline_params = 1;
  r->unqualify = 1;
  sl_buf_adds(&r->buf, n->u.create_index.unique ? "CREATE UNIQUE INDEX "
                                                : "CREATE INDEX ");
  if (n->u.create_index.concurrently) {
    if (r->fam != SL_FAM_POSTGRESQL)
      return sl_render_failf(r, SL_EK_USAGE,
                             "concurrently is not supported by %s", r->d->name);
    sl_buf_adds(&r->buf, "CONCURRENTLY ");
  }
  if (n->u.create_index.if_not_exists) sl_buf_adds(&r->buf, "IF NOT EXISTS ");
  /* SQLite qualifies the index with its database, the others the table */
  if (r->fam == SL_FAM_SQLITE) {
    sl_render_qualified(r, schema, n->u.create_index.name);
    sl_buf_adds(&r->buf, " ON ");
    sl_render_ident(r, n->u.create_index.table);
  } else {
    sl_render_ident(r, n->u.create_index.name);
    sl_buf_adds(&r->buf, " ON ");
    sl_render_qualified(r, schema, n->u.create_index.table);
  }
  if (r->fam == SL_FAM_POSTGRESQL) {
    const char *m;
    /* the method is spliced into the text: a bare word only */
    for (m = method; *m != '\0'; m++)
      if (!isalnum((unsigned char)*m) && *m != '_')
        return sl_render_failf(r, SL_EK_USAGE, "bad index method \"%s\"",
                               method);
    sl_buf_adds(&r->buf, " USING ");
    sl_buf_adds(&r->buf, method);
  }
  sl_buf_adds(&r->buf, " (");
  if (sl_render_list(r, &n->u.create_index.columns, ",") != SL_OK)
    return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  if (n->u.create_index.nulls_not_distinct) {
    if (r->fam != SL_FAM_POSTGRESQL || !n->u.create_index.unique)
      return sl_render_failf(r, SL_EK_USAGE,
                             "nulls not distinct needs a unique index on "
                             "PostgreSQL (not %s)",
                             r->d->name);
    sl_buf_adds(&r->buf, " NULLS NOT DISTINCT");
  }
  if (n->u.create_index.where != NULL) {
    sl_buf_adds(&r->buf, " WHERE ");
    if (sl_render_expr(r, n->u.create_index.where) != SL_OK) return SL_ERROR;
  }
  sl_buf_addc(&r->buf, ';');
  return r->failed ? SL_ERROR : SL_OK;
}

int sl_ddl_create_index(sl_render *r, const sl_node *n) {
  return create_index(r, n, "btree");
}

/* CREATE TYPE "schema"."name" AS ENUM('a', 'b'); PostgreSQL only (the
** others spell enums in the column type). */
int sl_ddl_create_enum(sl_render *r, const sl_node *n) {
  int i;
  if (!(r->d->caps & SL_CAP_ENUM_TYPES))
    return sl_render_failf(r, SL_EK_USAGE,
                           "create type ... as enum is not supported by %s; "
                           "use an enum column type",
                           r->d->name);
  if (n->u.create_enum.name == NULL)
    return sl_render_malformed(r, "enum without a name");
  if (n->u.create_enum.nvalues > 0 &&
      !names_ok(n->u.create_enum.values, n->u.create_enum.nvalues))
    return sl_render_malformed(r, "enum with a missing value");
  sl_buf_adds(&r->buf, "CREATE TYPE ");
  sl_render_qualified(
      r, n->u.create_enum.schema ? n->u.create_enum.schema : "public",
      n->u.create_enum.name);
  sl_buf_adds(&r->buf, " AS ENUM(");
  for (i = 0; i < n->u.create_enum.nvalues; i++) {
    sl_value v;
    const char *s = n->u.create_enum.values[i];
    if (i > 0) sl_buf_adds(&r->buf, ", ");
    v.type = SL_V_TEXT;
    v.u.s.p = s;
    v.u.s.n = strlen(s);
    r->d->literal(&r->buf, &v);
  }
  sl_buf_adds(&r->buf, ");");
  return r->failed ? SL_ERROR : SL_OK;
}

/* {====================================================================
** Migration statements (sl_ddl): ALTER / DROP / RENAME, one statement per
** sl_ddl, for the schema diff (sl_diff.c).
** ===================================================================== */

/* Fails with a usage error naming what d cannot do. */
static int unsupported(sl_render *r, const char *what) {
  return sl_render_failf(r, SL_EK_USAGE, "%s is not supported by %s", what,
                         r->d->name);
}

/* "ALTER TABLE "schema"."table" " */
static int alter_table(sl_render *r, const sl_ddl *s) {
  if (s->table == NULL)
    return sl_render_malformed(r, "statement without table");
  sl_buf_adds(&r->buf, "ALTER TABLE ");
  if (sl_render_qualified(r, s->schema, s->table) != SL_OK) return SL_ERROR;
  sl_buf_addc(&r->buf, ' ');
  return SL_OK;
}

/* "ALTER TABLE ... ALTER COLUMN "name" " */
static int alter_column(sl_render *r, const sl_ddl *s) {
  if (alter_table(r, s) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, "ALTER COLUMN ");
  sl_render_ident(r, s->name);
  sl_buf_addc(&r->buf, ' ');
  return r->failed ? SL_ERROR : SL_OK;
}

static void add_text_literal(sl_render *r, const char *text) {
  sl_value v;
  v.type = SL_V_TEXT;
  v.u.s.p = text;
  v.u.s.n = strlen(text);
  r->d->literal(&r->buf, &v);
}

/* ALTER TABLE ... SET DATA TYPE (PostgreSQL): USING casts the old value
** explicitly, through an intermediate type when there is no direct cast
** (enum to enum goes through text). */
static int ddl_set_type(sl_render *r, const sl_ddl *s) {
  if (r->fam != SL_FAM_POSTGRESQL)
    return unsupported(r, "ALTER COLUMN ... SET DATA TYPE");
  if (s->type == NULL) return sl_render_malformed(r, "SET DATA TYPE w/o type");
  if (alter_column(r, s) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, "SET DATA TYPE ");
  sl_buf_adds(&r->buf, s->type);
  if (s->using_ != NULL) {
    sl_buf_adds(&r->buf, " USING ");
    sl_render_ident(r, s->name);
    if (s->using_[0] != '\0') {
      sl_buf_adds(&r->buf, "::");
      sl_buf_adds(&r->buf, s->using_);
    }
    sl_buf_adds(&r->buf, "::");
    sl_buf_adds(&r->buf, s->type);
  }
  return SL_OK;
}

/* A PRAGMA name (and value) is spliced into the text: words only. */
static int pragma_word_ok(const char *w) {
  if (w == NULL || *w == '\0') return 0;
  for (; *w != '\0'; w++)
    if (!isalnum((unsigned char)*w) && *w != '_') return 0;
  return 1;
}

static int ddl_pragma(sl_render *r, const sl_ddl *s) {
  if (r->fam != SL_FAM_SQLITE) return unsupported(r, "PRAGMA");
  if (!pragma_word_ok(s->name) || (s->value && !pragma_word_ok(s->value)))
    return sl_render_malformed(r, "bad PRAGMA name or value");
  sl_buf_adds(&r->buf, "PRAGMA ");
  sl_buf_adds(&r->buf, s->name);
  if (s->value != NULL) {
    sl_buf_addc(&r->buf, '=');
    sl_buf_adds(&r->buf, s->value);
  }
  return SL_OK;
}

/* INSERT INTO "t"("a", "b") SELECT "a", "b" FROM "source" */
static int ddl_copy_rows(sl_render *r, const sl_ddl *s) {
  if (s->table == NULL || s->source == NULL ||
      !names_ok(s->columns, s->ncolumns))
    return sl_render_malformed(r, "row copy without tables or columns");
  sl_buf_adds(&r->buf, "INSERT INTO ");
  sl_render_qualified(r, s->schema, s->table);
  sl_buf_addc(&r->buf, '(');
  sl_render_names(r, s->columns, s->ncolumns, ", ");
  sl_buf_adds(&r->buf, ") SELECT ");
  sl_render_names(r, s->columns, s->ncolumns, ", ");
  sl_buf_adds(&r->buf, " FROM ");
  sl_render_qualified(r, s->schema, s->source);
  return r->failed ? SL_ERROR : SL_OK;
}

/* ALTER TABLE ... ADD COLUMN / MODIFY COLUMN with a whole definition.
** MODIFY never repeats PRIMARY KEY: the key is kept by MODIFY and stating
** it again is an error. */
static int ddl_column_def(sl_render *r, const sl_ddl *s, int modify) {
  sl_coldef c;
  if (s->column == NULL) return sl_render_malformed(r, "missing column");
  if (modify && r->fam != SL_FAM_MYSQL) return unsupported(r, "MODIFY COLUMN");
  c = *s->column;
  if (modify) c.primary_key = 0;
  if (c.unique != NULL)
    return sl_render_malformed(r, "unique column in ALTER TABLE");
  if (alter_table(r, s) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, modify ? "MODIFY COLUMN " : "ADD COLUMN ");
  return render_column(r, &c);
}

/* Statements about one named object of a table: DROP / RENAME. */
static int ddl_table_object(sl_render *r, const sl_ddl *s) {
  int pg = r->fam == SL_FAM_POSTGRESQL, my = r->fam == SL_FAM_MYSQL;
  if (s->name == NULL && s->kind != SL_DDL_DROP_PRIMARY_KEY)
    return sl_render_malformed(r, "statement without a name");
  switch (s->kind) {
  case SL_DDL_DROP_COLUMN:
    alter_table(r, s);
    sl_buf_adds(&r->buf, "DROP COLUMN ");
    break;
  case SL_DDL_DROP_PRIMARY_KEY:
    if (r->fam == SL_FAM_SQLITE) return unsupported(r, "DROP PRIMARY KEY");
    alter_table(r, s);
    if (my) {
      sl_buf_adds(&r->buf, "DROP PRIMARY KEY");
      return r->failed ? SL_ERROR : SL_OK;
    }
    if (s->name == NULL) return sl_render_malformed(r, "pk without a name");
    sl_buf_adds(&r->buf, "DROP CONSTRAINT ");
    break;
  case SL_DDL_DROP_FOREIGN_KEY:
  case SL_DDL_DROP_UNIQUE:
  case SL_DDL_DROP_CHECK:
    if (r->fam == SL_FAM_SQLITE) return unsupported(r, "DROP CONSTRAINT");
    alter_table(r, s);
    if (my && s->kind == SL_DDL_DROP_FOREIGN_KEY)
      sl_buf_adds(&r->buf, "DROP FOREIGN KEY ");
    else if (my && s->kind == SL_DDL_DROP_UNIQUE)
      sl_buf_adds(&r->buf, "DROP INDEX "); /* a unique key is an index */
    else
      sl_buf_adds(&r->buf, "DROP CONSTRAINT ");
    break;
  case SL_DDL_DROP_DEFAULT:
    if (r->fam == SL_FAM_SQLITE) return unsupported(r, "DROP DEFAULT");
    alter_column(r, s);
    sl_buf_adds(&r->buf, "DROP DEFAULT");
    return r->failed ? SL_ERROR : SL_OK;
  case SL_DDL_SET_NOT_NULL:
  case SL_DDL_DROP_NOT_NULL:
    if (!pg) return unsupported(r, "SET/DROP NOT NULL");
    alter_column(r, s);
    sl_buf_adds(&r->buf, s->kind == SL_DDL_SET_NOT_NULL ? "SET NOT NULL"
                                                        : "DROP NOT NULL");
    return r->failed ? SL_ERROR : SL_OK;
  case SL_DDL_DROP_INDEX:
    sl_buf_adds(&r->buf, "DROP INDEX ");
    if (my) {
      sl_render_ident(r, s->name);
      sl_buf_adds(&r->buf, " ON ");
      sl_render_qualified(r, s->schema, s->table);
    } else {
      /* an index lives in its table's schema */
      sl_render_qualified(r, s->schema, s->name);
    }
    return r->failed ? SL_ERROR : SL_OK;
  case SL_DDL_RENAME_COLUMN:
  case SL_DDL_RENAME_CONSTRAINT:
  case SL_DDL_RENAME_INDEX:
    if (s->new_name == NULL) return sl_render_malformed(r, "rename w/o name");
    if (s->kind == SL_DDL_RENAME_CONSTRAINT && !pg)
      return unsupported(r, "RENAME CONSTRAINT");
    if (s->kind == SL_DDL_RENAME_INDEX && pg) {
      sl_buf_adds(&r->buf, "ALTER INDEX ");
      sl_render_qualified(r, s->schema, s->name);
      sl_buf_adds(&r->buf, " RENAME TO ");
      sl_render_ident(r, s->new_name);
      return r->failed ? SL_ERROR : SL_OK;
    }
    if (s->kind == SL_DDL_RENAME_INDEX && !my)
      return unsupported(r, "RENAME INDEX");
    alter_table(r, s);
    sl_buf_adds(&r->buf, s->kind == SL_DDL_RENAME_COLUMN ? "RENAME COLUMN "
                         : s->kind == SL_DDL_RENAME_INDEX
                             ? "RENAME INDEX "
                             : "RENAME CONSTRAINT ");
    sl_render_ident(r, s->name);
    sl_buf_adds(&r->buf, " TO ");
    sl_render_ident(r, s->new_name);
    return r->failed ? SL_ERROR : SL_OK;
  default:
    return sl_render_malformed(r, "unknown statement kind");
  }
  sl_render_ident(r, s->name);
  return r->failed ? SL_ERROR : SL_OK;
}

/* ALTER TABLE ... ADD [CONSTRAINT] PRIMARY KEY / FOREIGN KEY / UNIQUE /
** CHECK: the clauses CREATE TABLE writes, after ADD. */
static int ddl_add_constraint(sl_render *r, const sl_ddl *s) {
  if (r->fam == SL_FAM_SQLITE)
    return unsupported(r, "ALTER TABLE ... ADD CONSTRAINT");
  if (alter_table(r, s) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, "ADD ");
  switch (s->kind) {
  case SL_DDL_ADD_PRIMARY_KEY: {
    sl_keydef k;
    if (s->key == NULL) return sl_render_malformed(r, "missing key");
    k = *s->key;
    /* MySQL's primary key is always called PRIMARY */
    if (r->fam == SL_FAM_MYSQL) {
      sl_buf_adds(&r->buf, "PRIMARY KEY");
      return render_name_list(r, k.columns, k.ncolumns);
    }
    return render_primary_key(r, s->table, &k, "");
  }
  case SL_DDL_ADD_FOREIGN_KEY:
    if (s->fk == NULL) return sl_render_malformed(r, "missing foreign key");
    return render_foreign_key(r, s->table, s->fk, "");
  case SL_DDL_ADD_UNIQUE:
    if (s->key == NULL) return sl_render_malformed(r, "missing key");
    return render_unique(r, s->table, s->key->name, s->key->columns,
                         s->key->ncolumns, "", s->key->nulls_not_distinct);
  default:
    if (s->check == NULL) return sl_render_malformed(r, "missing check");
    if (s->check->name == NULL)
      return sl_render_malformed(r, "check without a name");
    return render_check(r, s->check, "");
  }
}

/* Statements about a type or schema (PostgreSQL). */
static int ddl_pg_object(sl_render *r, const sl_ddl *s) {
  if (r->fam != SL_FAM_POSTGRESQL) {
    return unsupported(r, s->kind == SL_DDL_CREATE_SCHEMA ||
                                  s->kind == SL_DDL_DROP_SCHEMA
                              ? "CREATE/DROP SCHEMA"
                              : "CREATE/ALTER/DROP TYPE");
  }
  if (s->name == NULL) return sl_render_malformed(r, "statement w/o name");
  switch (s->kind) {
  case SL_DDL_CREATE_SCHEMA:
  case SL_DDL_DROP_SCHEMA:
    sl_buf_adds(&r->buf, s->kind == SL_DDL_CREATE_SCHEMA ? "CREATE SCHEMA "
                                                         : "DROP SCHEMA ");
    sl_render_ident(r, s->name);
    break;
  case SL_DDL_DROP_ENUM:
    sl_buf_adds(&r->buf, "DROP TYPE ");
    sl_render_qualified(r, s->schema ? s->schema : "public", s->name);
    break;
  default: /* SL_DDL_ADD_ENUM_VALUE */
    if (s->value == NULL) return sl_render_malformed(r, "enum w/o value");
    sl_buf_adds(&r->buf, "ALTER TYPE ");
    sl_render_qualified(r, s->schema ? s->schema : "public", s->name);
    sl_buf_adds(&r->buf, " ADD VALUE ");
    add_text_literal(r, s->value);
    if (s->before != NULL) {
      sl_buf_adds(&r->buf, " BEFORE ");
      add_text_literal(r, s->before);
    }
    break;
  }
  return r->failed ? SL_ERROR : SL_OK;
}

static int render_ddl(sl_render *r, const sl_ddl *s) {
  switch (s->kind) {
  case SL_DDL_NODE:
    if (s->node == NULL) return sl_render_malformed(r, "missing node");
    return sl_render_expr(r, s->node);
  case SL_DDL_CREATE_INDEX:
    if (s->node == NULL || s->node->kind != SL_N_CREATE_INDEX)
      return sl_render_malformed(r, "missing index node");
    return create_index(r, s->node, s->type ? s->type : "btree");
  case SL_DDL_DROP_TABLE:
    if (s->table == NULL) return sl_render_malformed(r, "drop w/o table");
    sl_buf_adds(&r->buf, "DROP TABLE ");
    return sl_render_qualified(r, s->schema, s->table);
  case SL_DDL_RENAME_TABLE:
  case SL_DDL_SET_SCHEMA:
    if (s->new_name == NULL) return sl_render_malformed(r, "rename w/o name");
    if (s->kind == SL_DDL_SET_SCHEMA && r->fam != SL_FAM_POSTGRESQL)
      return unsupported(r, "SET SCHEMA");
    if (alter_table(r, s) != SL_OK) return SL_ERROR;
    sl_buf_adds(&r->buf,
                s->kind == SL_DDL_SET_SCHEMA ? "SET SCHEMA " : "RENAME TO ");
    sl_render_ident(r, s->new_name);
    return r->failed ? SL_ERROR : SL_OK;
  case SL_DDL_ADD_COLUMN:
    return ddl_column_def(r, s, 0);
  case SL_DDL_MODIFY_COLUMN:
    return ddl_column_def(r, s, 1);
  case SL_DDL_SET_TYPE:
    return ddl_set_type(r, s);
  case SL_DDL_SET_DEFAULT:
    if (r->fam == SL_FAM_SQLITE) return unsupported(r, "SET DEFAULT");
    if (s->default_sql == NULL)
      return sl_render_malformed(r, "SET DEFAULT w/o value");
    if (alter_column(r, s) != SL_OK) return SL_ERROR;
    sl_buf_adds(&r->buf, "SET DEFAULT ");
    sl_buf_adds(&r->buf, s->default_sql);
    return SL_OK;
  case SL_DDL_ADD_PRIMARY_KEY:
  case SL_DDL_ADD_FOREIGN_KEY:
  case SL_DDL_ADD_UNIQUE:
  case SL_DDL_ADD_CHECK:
    return ddl_add_constraint(r, s);
  case SL_DDL_DROP_ENUM:
  case SL_DDL_ADD_ENUM_VALUE:
  case SL_DDL_CREATE_SCHEMA:
  case SL_DDL_DROP_SCHEMA:
    return ddl_pg_object(r, s);
  case SL_DDL_COPY_ROWS:
    return ddl_copy_rows(r, s);
  case SL_DDL_PRAGMA:
    return ddl_pragma(r, s);
  default:
    return ddl_table_object(r, s);
  }
}

/* A render context for DDL: literals inlined, columns unqualified. */
static void ddl_context(sl_render *r, const sl_dialect *d, sl_error *err) {
  memset(r, 0, sizeof *r);
  r->d = d;
  r->fam = sl_dialect_family(d);
  r->err = err;
  r->inline_params = 1;
  r->unqualify = 1;
  sl_buf_init(&r->buf);
}

/* Moves the text of r into out (arena a); frees r's buffers. */
static int ddl_finish(sl_render *r, int rc, sl_arena *a, sl_sql *out) {
  if (rc == SL_OK && r->failed) rc = SL_ERROR;
  if (rc == SL_OK && (r->buf.oom || r->oom))
    rc = sl_error_set(r->err, SL_EK_USAGE, "out of memory");
  if (rc == SL_OK) {
    memset(out, 0, sizeof *out);
    out->len = r->buf.n;
    out->sql = sl_arena_strndup(a, r->buf.p ? r->buf.p : "", r->buf.n);
    if (out->sql == NULL)
      rc = sl_error_set(r->err, SL_EK_USAGE, "out of memory");
  }
  sl_buf_free(&r->buf);
  free(r->params);
  return rc;
}

/* Renders migration statement s for d (see sleet.h). */
int sl_render_ddl(const sl_dialect *d, const sl_ddl *s, sl_arena *a,
                  sl_sql *out, sl_error *err) {
  sl_render r;
  sl_error scratch;
  int rc;
  if (err == NULL) err = &scratch;
  if (d == NULL || s == NULL || a == NULL || out == NULL)
    return sl_error_set(err, SL_EK_USAGE,
                        "sl_render_ddl: missing dialect, statement or output");
  ddl_context(&r, d, err);
  rc = render_ddl(&r, s);
  /* CREATE nodes end with ';' already */
  if (rc == SL_OK && !r.failed && (r.buf.n == 0 || r.buf.p[r.buf.n - 1] != ';'))
    sl_buf_addc(&r.buf, ';');
  return ddl_finish(&r, rc, a, out);
}

/* Renders expression e as DDL text for d (see sleet.h). */
int sl_render_ddl_expr(const sl_dialect *d, const sl_node *e, int as_default,
                       sl_arena *a, sl_sql *out, sl_error *err) {
  sl_render r;
  sl_error scratch;
  int rc;
  if (err == NULL) err = &scratch;
  if (d == NULL || e == NULL || a == NULL || out == NULL)
    return sl_error_set(err, SL_EK_USAGE,
                        "sl_render_ddl_expr: missing dialect, node or output");
  ddl_context(&r, d, err);
  rc = as_default ? render_default_value(&r, e) : sl_render_expr(&r, e);
  return ddl_finish(&r, rc, a, out);
}

int sl_render_ddl_query(const sl_dialect *d, const sl_node *q, sl_arena *a,
                        sl_sql *out, sl_error *err) {
  sl_render r;
  sl_error scratch;
  int rc;
  if (err == NULL) err = &scratch;
  if (d == NULL || q == NULL || a == NULL || out == NULL)
    return sl_error_set(err, SL_EK_USAGE,
                        "sl_render_ddl_query: missing dialect, node or output");
  ddl_context(&r, d, err);
  r.unqualify = 0;
  rc = sl_render_expr(&r, q);
  return ddl_finish(&r, rc, a, out);
}

/* }==================================================================== */
