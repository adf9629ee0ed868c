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
#include <string.h>

#include "sl_int.h"

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

/* A column default: literals as they are; expressions in parentheses
** where SQLite and MySQL require them. */
static int render_default(sl_render *r, const sl_node *e) {
  int wrap = r->fam != SL_FAM_POSTGRESQL && e->kind != SL_N_PARAM &&
             e->kind != SL_N_NULL;
  sl_buf_adds(&r->buf, " DEFAULT ");
  if (wrap) sl_buf_addc(&r->buf, '(');
  if (sl_render_expr(r, e) != SL_OK) return SL_ERROR;
  if (wrap) sl_buf_addc(&r->buf, ')');
  return SL_OK;
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

/* One column line, clauses in the order drizzle-kit writes them for the
** dialect. */
static int render_column(sl_render *r, const sl_coldef *c) {
  sl_buf *b = &r->buf;
  if (c->name == NULL || c->type == NULL)
    return sl_render_malformed(r, "column without a name or type");
  sl_buf_addc(b, '\t');
  sl_render_ident(r, c->name);
  sl_buf_addc(b, ' ');
  sl_buf_adds(b, c->type);
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
    if (c->default_ != NULL && render_default(r, c->default_) != SL_OK)
      return SL_ERROR;
    if (c->generated != NULL && render_generated(r, c) != SL_OK)
      return SL_ERROR;
    if (c->not_null) sl_buf_adds(b, " NOT NULL");
    break;
  }
  return r->failed ? SL_ERROR : SL_OK;
}

static int render_primary_key(sl_render *r, const char *table,
                              const sl_keydef *pk) {
  if (!names_ok(pk->columns, pk->ncolumns))
    return sl_render_malformed(r, "primary key without columns");
  sl_buf_adds(&r->buf, ",\n\t");
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

static int render_foreign_key(sl_render *r, const char *table,
                              const sl_fk *fk) {
  if (!names_ok(fk->columns, fk->ncolumns) || fk->ref_table == NULL ||
      !names_ok(fk->ref_columns, fk->nref_columns) ||
      fk->ncolumns != fk->nref_columns)
    return sl_render_malformed(r, "foreign key columns do not match");
  sl_buf_adds(&r->buf, ",\n\t");
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
                         const char *const *cols, int ncols) {
  if (!names_ok(cols, ncols))
    return sl_render_malformed(r, "unique constraint without columns");
  sl_buf_adds(&r->buf, ",\n\tCONSTRAINT ");
  if (name != NULL && name[0] != '\0')
    sl_render_ident(r, name);
  else
    generated_name(r, table, cols, ncols, NULL, NULL, 0, "unique");
  sl_buf_adds(&r->buf, " UNIQUE");
  return render_name_list(r, cols, ncols);
}

static int render_check(sl_render *r, const sl_checkdef *ck) {
  if (ck->expr == NULL) return sl_render_malformed(r, "check without expr");
  sl_buf_adds(&r->buf, ",\n\t");
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
    if (render_column(r, &cols[i]) != SL_OK) return SL_ERROR;
  }
  if (n->u.create_table.primary_key != NULL &&
      render_primary_key(r, table, n->u.create_table.primary_key) != SL_OK)
    return SL_ERROR;
  for (i = 0; i < n->u.create_table.nfks; i++)
    if (render_foreign_key(r, table, &n->u.create_table.fks[i]) != SL_OK)
      return SL_ERROR;
  for (i = 0; i < ncols; i++) {
    const char *col = cols[i].name;
    if (cols[i].unique == NULL) continue;
    if (render_unique(r, table, cols[i].unique, &col, 1) != SL_OK)
      return SL_ERROR;
  }
  for (i = 0; i < n->u.create_table.nuniques; i++) {
    const sl_keydef *u = &n->u.create_table.uniques[i];
    if (render_unique(r, table, u->name, u->columns, u->ncolumns) != SL_OK)
      return SL_ERROR;
  }
  for (i = 0; i < n->u.create_table.nchecks; i++)
    if (render_check(r, &n->u.create_table.checks[i]) != SL_OK) return SL_ERROR;
  sl_buf_adds(&r->buf, "\n);");
  return r->failed ? SL_ERROR : SL_OK;
}

/* CREATE [UNIQUE] INDEX: PostgreSQL names the access method like
** drizzle-kit (USING btree); MySQL has no partial indexes. */
int sl_ddl_create_index(sl_render *r, const sl_node *n) {
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
  sl_buf_adds(&r->buf, r->fam == SL_FAM_POSTGRESQL ? " USING btree (" : " (");
  if (sl_render_list(r, &n->u.create_index.columns, ",") != SL_OK)
    return SL_ERROR;
  sl_buf_addc(&r->buf, ')');
  if (n->u.create_index.where != NULL) {
    sl_buf_adds(&r->buf, " WHERE ");
    if (sl_render_expr(r, n->u.create_index.where) != SL_OK) return SL_ERROR;
  }
  sl_buf_addc(&r->buf, ';');
  return r->failed ? SL_ERROR : SL_OK;
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
