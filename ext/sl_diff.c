/*
** sl_diff.c — the schema diff: two snapshots of one dialect to the DDL
** statements that turn the first schema into the second, in an order that
** respects dependencies, plus a change list that names each change and
** says which ones may lose data.
**
** Matching. Tables are matched by schema and name, columns by name,
** after the caller's rename answers; constraints and indexes by name, and
** then, among those left over, by definition (a definition that only
** changed its name is renamed, or on SQLite, where constraint names are
** cosmetic, left alone). When a table (or a table's columns) both gains
** and loses members that no answer covers, the diff does not guess: it
** returns the question (sl_unresolved) and no statements.
**
** Order (PostgreSQL, MySQL):
**    1. create schemas; create enums, add enum values
**    2. rename tables, then columns (later statements use the new names)
**    3. drop foreign keys, primary keys, unique and check constraints and
**       indexes that go away or change; rename those that only got a new
**       name
**    4. drop tables, those that reference others first
**    5. drop columns
**    6. recreate enums that lost or reordered values (columns go through
**       text meanwhile)
**    7. add columns, alter columns (type, default, nullability)
**    8. add primary keys, unique and check constraints
**    9. create tables, referenced tables first; a foreign key closing a
**       cycle among new tables is added in step 11 instead
**   10. create indexes
**   11. add foreign keys
**   12. drop enums, drop schemas
**
** SQLite. ALTER TABLE only adds, drops and renames columns and renames
** tables; every other change of a table rebuilds it the way SQLite's
** documentation prescribes: CREATE TABLE "__new_t" (the new definition),
** INSERT INTO "__new_t"(...) SELECT ... FROM "t", DROP TABLE "t", ALTER
** TABLE "__new_t" RENAME TO "t", then t's indexes. DROP TABLE deletes the
** table's rows first when foreign keys are enforced, which fires ON DELETE
** actions in other tables (ON DELETE CASCADE would empty child tables), so
** whenever the statements drop or rebuild a table:
**
**   THE CONTRACT WITH THE MIGRATOR (docs/internals.md, "Migrations"):
**   the statement list starts with exactly "PRAGMA foreign_keys=OFF;" and
**   ends with exactly "PRAGMA foreign_keys=ON;", and the statement before
**   that one is "PRAGMA foreign_key_check;". The migrator runs the first
**   one outside any transaction (SQLite ignores it inside one), runs
**   everything between it and the last one in ONE transaction, treats any
**   row returned by "PRAGMA foreign_key_check;" as a failure (rolls back),
**   and runs "PRAGMA foreign_keys=ON;" after COMMIT or ROLLBACK.
**
** With enforcement off, DROP TABLE deletes nothing in other tables, and the
** check before COMMIT refuses a migration that would leave a dangling
** reference. No statement list holds BEGIN or COMMIT: the migrator owns
** the transaction.
**
** Down migrations are diffs from next back to previous with the rename
** answers inverted; every step above has its inverse among the others.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_int.h"

/* {====================================================================
** Context
** ===================================================================== */

/* A previous table: what it became. */
typedef struct tprev {
  int next;      /* index in the next snapshot, -1: dropped */
  int *col_next; /* per column: index in the next table, -1: dropped */
  int answered;  /* a "not a rename" answer names it */
  char *col_answered;
} tprev;

/* A next table: where it came from. */
typedef struct tnext {
  int prev;      /* index in the previous snapshot, -1: created */
  int *col_prev; /* per column: index in the previous table, -1: added */
  int answered;
  char *col_answered;
  int rebuild;                /* SQLite: rebuilt */
  sl_buf reasons;             /* SQLite: why it is rebuilt */
  char *enum_done;            /* per column: type and default set by an enum
                              ** recreation already */
  unsigned char *deferred_fk; /* per foreign key: added after creation */
} tnext;

typedef struct dctx {
  const sl_dialect *d;
  sl_family fam;
  const sl_snapshot *p, *n;
  const sl_diff_opts *opts;
  sl_arena *out; /* the results */
  sl_arena *tmp; /* scratch, freed at the end */
  sl_error *err;
  int failed;
  tprev *tp;
  tnext *tn;
  int record_only; /* changes without statements (inside a rebuild) */
  int fk_off;      /* SQLite: PRAGMA foreign_keys wrapper needed */
  const char **stmts;
  int nstmts, capstmts;
  sl_change *changes;
  int nchanges, capchanges;
  sl_unresolved *unres;
  int nunres, capunres;
} dctx;

static int fail(dctx *c, sl_errkind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(dctx *c, sl_errkind kind, const char *fmt, ...) {
  char msg[sizeof((sl_error *)0)->message];
  va_list ap;
  if (c->failed) return SL_ERROR;
  c->failed = 1;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sl_error_set(c->err, kind, "%s", msg);
}

static int oom(dctx *c) {
  return fail(c, SL_EK_USAGE, "out of memory");
}

/* Zeroed scratch memory for n items; NULL (and the context failed) when
** out of memory. n == 0 gives NULL without failing. */
static void *scratch(dctx *c, size_t n, size_t size) {
  void *p;
  if (n == 0) return NULL;
  p = sl_arena_alloc(c->tmp, n * size);
  if (p == NULL) oom(c);
  return p;
}

/* Makes room for one more item in a malloc'd array. */
static int grow(dctx *c, void **v, int *cap, int n, size_t size) {
  void *nv;
  int ncap;
  if (n < *cap) return SL_OK;
  ncap = *cap ? *cap * 2 : 32;
  nv = ncap > (1 << 24) ? NULL : realloc(*v, (size_t)ncap * size);
  if (nv == NULL) return oom(c);
  *v = nv;
  *cap = ncap;
  return SL_OK;
}

/* A copy of a formatted string in the output arena. */
static const char *outf(dctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static const char *outf(dctx *c, const char *fmt, ...) {
  char buf[1024];
  const char *s;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  s = sl_arena_strndup(c->out, buf, strlen(buf));
  if (s == NULL) oom(c);
  return s;
}

/* }==================================================================== */

/* {====================================================================
** Names
** ===================================================================== */

static int is_pg(const dctx *c) {
  return c->fam == SL_FAM_POSTGRESQL;
}

/* The schema to write for a table: NULL for the default one. */
static const char *tschema(const sl_snap_table *t) {
  return t->schema && strcmp(t->schema, "public") != 0 ? t->schema : NULL;
}

/* How messages and change records name a table: "auth.users" outside the
** default schema, else "users". */
static const char *tdisplay(const sl_snap_table *t) {
  return tschema(t) ? t->key : t->name;
}

/* Whether ref ("[schema.]name", n bytes) names table t. */
static int ref_is(const sl_snap_table *t, const char *ref, size_t n) {
  if (strlen(t->key) == n && memcmp(t->key, ref, n) == 0) return 1;
  return tschema(t) == NULL && strlen(t->name) == n &&
         memcmp(t->name, ref, n) == 0;
}

static int find_table_ref(const sl_snapshot *s, const char *ref, size_t n) {
  int i;
  for (i = 0; i < s->ntables; i++)
    if (ref_is(&s->tables[i], ref, n)) return i;
  return -1;
}

/* The table of s called schema.name (schema NULL or "public": default). */
static int find_table(const sl_snapshot *s, const char *schema,
                      const char *name) {
  int i;
  if (schema != NULL && strcmp(schema, "public") == 0) schema = NULL;
  for (i = 0; i < s->ntables; i++) {
    const sl_snap_table *t = &s->tables[i];
    const char *ts = tschema(t);
    if (strcmp(t->name, name) != 0) continue;
    if ((ts == NULL) != (schema == NULL)) continue;
    if (ts == NULL || strcmp(ts, schema) == 0) return i;
  }
  return -1;
}

static int find_column(const sl_snap_table *t, const char *name) {
  int i;
  for (i = 0; i < t->ncolumns; i++)
    if (strcmp(t->columns[i].name, name) == 0) return i;
  return -1;
}

static int same_schema(const sl_snap_table *a, const sl_snap_table *b) {
  const char *x = tschema(a), *y = tschema(b);
  if (x == NULL || y == NULL) return x == y;
  return strcmp(x, y) == 0;
}

/* Whether text mentions the identifier name (as a whole word, quoted or
** not, any case). Conservative: a false positive only costs a rebuild. */
static int mentions(const char *text, const char *name) {
  size_t n = strlen(name);
  const char *s;
  if (text == NULL || n == 0) return 0;
  for (s = text; *s != '\0'; s++) {
    size_t i;
    for (i = 0; i < n; i++)
      if (s[i] == '\0' ||
          tolower((unsigned char)s[i]) != tolower((unsigned char)name[i]))
        break;
    if (i < n) continue;
    if (s > text && (isalnum((unsigned char)s[-1]) || s[-1] == '_')) continue;
    if (isalnum((unsigned char)s[n]) || s[n] == '_') continue;
    return 1;
  }
  return 0;
}

/* }==================================================================== */

/* {====================================================================
** Types: equality, enums, and whether a change can lose data
** ===================================================================== */

/* Canonical text of a type for comparison: lower case, single spaces,
** none around punctuation. */
static void type_canon(const char *t, char *out, size_t size) {
  size_t n = 0;
  int space = 0;
  for (; *t != '\0' && n + 2 < size; t++) {
    unsigned char ch = (unsigned char)*t;
    if (isspace(ch)) {
      space = n > 0;
      continue;
    }
    if (space && !strchr("(),[]", (int)ch) && !strchr("(,[", (int)out[n - 1]))
      out[n++] = ' ';
    space = 0;
    out[n++] = (char)tolower(ch);
  }
  out[n] = '\0';
}

static int type_eq(const char *a, const char *b) {
  char x[256], y[256];
  type_canon(a, x, sizeof x);
  type_canon(b, y, sizeof y);
  return strcmp(x, y) == 0;
}

/* PostgreSQL serial pseudo-types: the integer type they stand for, or
** NULL. */
static const char *serial_base(const char *type) {
  char t[64];
  type_canon(type, t, sizeof t);
  if (strcmp(t, "serial") == 0 || strcmp(t, "serial4") == 0) return "integer";
  if (strcmp(t, "bigserial") == 0 || strcmp(t, "serial8") == 0) return "bigint";
  if (strcmp(t, "smallserial") == 0 || strcmp(t, "serial2") == 0)
    return "smallint";
  return NULL;
}

/* The enum of s that a column type names ("mood", "\"mood\"",
** "\"auth\".\"mood\"", "mood[]"), or NULL. */
static const sl_snap_enum *type_enum(const sl_snapshot *s, const char *type,
                                     int *array) {
  char part[2][128];
  int nparts = 0, i;
  const char *t = type;
  size_t len;
  *array = 0;
  if (s->nenums == 0) return NULL;
  while (isspace((unsigned char)*t))
    t++;
  len = strlen(t);
  while (len > 0 && isspace((unsigned char)t[len - 1]))
    len--;
  while (len >= 2 && t[len - 2] == '[' && t[len - 1] == ']') {
    *array = 1;
    len -= 2;
  }
  /* one or two identifiers, each quoted or bare, joined by '.' */
  for (i = 0; (size_t)i < len && nparts < 2;) {
    size_t k = 0;
    if (t[i] == '"') {
      for (i++; (size_t)i < len; i++) {
        if (t[i] == '"' && (size_t)i + 1 < len && t[i + 1] == '"')
          i++;
        else if (t[i] == '"')
          break;
        if (k + 1 < sizeof part[0]) part[nparts][k++] = t[i];
      }
      i++;
    } else {
      for (; (size_t)i < len && t[i] != '.'; i++)
        if (k + 1 < sizeof part[0]) part[nparts][k++] = t[i];
    }
    part[nparts++][k] = '\0';
    if ((size_t)i < len && t[i] == '.')
      i++;
    else
      break;
  }
  if ((size_t)i < len || nparts == 0) return NULL;
  for (i = 0; i < s->nenums; i++) {
    const sl_snap_enum *e = &s->enums[i];
    if (nparts == 2 && strcmp(part[0], e->schema) == 0 &&
        strcmp(part[1], e->name) == 0)
      return e;
    if (nparts == 1 && strcmp(part[0], e->name) == 0 &&
        strcmp(e->schema, "public") == 0)
      return e;
  }
  for (i = 0; nparts == 1 && i < s->nenums; i++)
    if (strcmp(part[0], s->enums[i].name) == 0) return &s->enums[i];
  return NULL;
}

/* A parsed type for the widening rules: family, rank within the family,
** length/precision arguments. */
typedef struct tinfo {
  int family; /* 0 other, 1 integer, 2 float, 3 text, 4 decimal */
  int rank;
  long len, scale; /* -1: none given */
  int is_unsigned;
} tinfo;

static void type_info(const char *type, tinfo *ti) {
  static const struct {
    const char *name;
    int family, rank;
  } known[] = {{"tinyint", 1, 1},
               {"smallint", 1, 2},
               {"int2", 1, 2},
               {"smallserial", 1, 2},
               {"serial2", 1, 2},
               {"mediumint", 1, 3},
               {"int", 1, 4},
               {"integer", 1, 4},
               {"int4", 1, 4},
               {"serial", 1, 4},
               {"serial4", 1, 4},
               {"bigint", 1, 5},
               {"int8", 1, 5},
               {"bigserial", 1, 5},
               {"serial8", 1, 5},
               {"real", 2, 1},
               {"float4", 2, 1},
               {"float", 2, 1},
               {"double", 2, 2},
               {"double precision", 2, 2},
               {"float8", 2, 2},
               {"char", 3, 1},
               {"character", 3, 1},
               {"varchar", 3, 2},
               {"character varying", 3, 2},
               {"tinytext", 3, 3},
               {"text", 3, 4},
               {"mediumtext", 3, 5},
               {"longtext", 3, 6},
               {"numeric", 4, 1},
               {"decimal", 4, 1}};
  char t[256], base[128];
  char *paren, *end;
  size_t i, n;
  type_canon(type, t, sizeof t);
  memset(ti, 0, sizeof *ti);
  ti->len = ti->scale = -1;
  n = strlen(t);
  if (n >= 9 && strcmp(t + n - 9, " unsigned") == 0) {
    ti->is_unsigned = 1;
    t[n - 9] = '\0';
  }
  paren = strchr(t, '(');
  n = paren ? (size_t)(paren - t) : strlen(t);
  if (n >= sizeof base) return;
  memcpy(base, t, n);
  base[n] = '\0';
  if (paren != NULL) {
    ti->len = strtol(paren + 1, &end, 10);
    if (*end == ',') ti->scale = strtol(end + 1, &end, 10);
    if (*end != ')' || end[1] != '\0') return; /* unknown shape */
  }
  for (i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(base, known[i].name) == 0) {
      ti->family = known[i].family;
      ti->rank = known[i].rank;
      /* integer display widths (int(11)) say nothing about range */
      if (ti->family == 1) ti->len = ti->scale = -1;
      return;
    }
}

/* The next value of a MySQL enum('a','b''c') list at *p: its quoted text
** (quotes and escapes as written) as [*start, *start + *len), *p moved past
** it and its comma. 0 at the end of the list or on a malformed one. */
static int enum_next(const char **p, const char **start, size_t *len) {
  const char *s = *p;
  if (*s != '\'') return 0;
  *start = s++;
  for (;;) {
    if (*s == '\0') return 0;
    if (*s == '\\' && s[1] != '\0') {
      s += 2;
    } else if (*s == '\'' && s[1] == '\'') {
      s += 2;
    } else if (*s == '\'') {
      break;
    } else {
      s++;
    }
  }
  s++;
  *len = (size_t)(s - *start);
  if (*s == ',') s++;
  *p = s;
  return 1;
}

/* The value list of a MySQL enum type (after "enum("), or NULL. */
static const char *enum_list(const char *type) {
  size_t n = strlen(type);
  size_t i;
  if (n < 6 || type[n - 1] != ')') return NULL;
  for (i = 0; i < 5; i++)
    if (tolower((unsigned char)type[i]) != "enum("[i]) return NULL;
  return type + 5;
}

/* A MySQL enum keeps every stored value when the new list has all the old
** values, in the same order (new ones may come anywhere): rows are
** converted by value, and a reordering would change how they sort. */
static int enum_widens(const char *from, const char *to) {
  const char *a = enum_list(from), *b = enum_list(to);
  const char *av, *bv;
  size_t al, bl;
  if (a == NULL || b == NULL) return 0;
  while (enum_next(&a, &av, &al)) {
    int found = 0;
    while (enum_next(&b, &bv, &bl))
      if (bl == al && memcmp(av, bv, al) == 0) {
        found = 1;
        break;
      }
    if (!found) return 0;
  }
  return *a == ')';
}

/* Whether every value of type from fits type to unchanged: the widening
** changes that need no warning. Anything else may lose or reject data. */
static int type_widens(const char *from, const char *to) {
  tinfo a, b;
  if (enum_list(from) != NULL) return enum_widens(from, to);
  type_info(from, &a);
  type_info(to, &b);
  if (a.family == 0 || a.family != b.family) return 0;
  switch (a.family) {
  case 1:
    if (a.is_unsigned && !b.is_unsigned) return b.rank > a.rank;
    if (!a.is_unsigned && b.is_unsigned) return 0;
    return b.rank >= a.rank;
  case 2:
    return b.rank >= a.rank;
  case 3:
    if (b.rank < a.rank) return 0;
    if (b.rank > 2) return 1;          /* a text type holds any char/varchar */
    if (b.len < 0) return b.rank == 2; /* varchar without a length */
    return a.len >= 0 && b.len >= a.len;
  default: /* decimal: no fewer integer or fraction digits */
    if (b.len < 0) return 1;
    if (a.len < 0) return 0;
    {
      long as = a.scale < 0 ? 0 : a.scale, bs = b.scale < 0 ? 0 : b.scale;
      return bs >= as && b.len - bs >= a.len - as;
    }
  }
}

/* }==================================================================== */

/* {====================================================================
** Output: statements and changes
** ===================================================================== */

/* Renders s and appends it to the statements (unless only changes are
** being recorded). */
static int emit(dctx *c, const sl_ddl *s) {
  sl_sql sql;
  if (c->failed) return SL_ERROR;
  if (c->record_only) return SL_OK;
  if (sl_render_ddl(c->d, s, c->out, &sql, c->err) != SL_OK) {
    c->failed = 1;
    return SL_ERROR;
  }
  if (grow(c, (void **)&c->stmts, &c->capstmts, c->nstmts, sizeof *c->stmts))
    return SL_ERROR;
  c->stmts[c->nstmts++] = sql.sql;
  return SL_OK;
}

/* A statement about table t (its current schema and name). */
static void ddl_init(sl_ddl *s, sl_ddl_kind kind, const sl_snap_table *t) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  if (t != NULL) {
    s->schema = tschema(t);
    s->table = t->name;
  }
}

static int change(dctx *c, const char *kind, const sl_snap_table *t,
                  const char *column, const char *name, int destructive,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

/* Records one change; the description is printf-formatted. */
static int change(dctx *c, const char *kind, const sl_snap_table *t,
                  const char *column, const char *name, int destructive,
                  const char *fmt, ...) {
  char buf[1024];
  sl_change *ch;
  va_list ap;
  if (c->failed) return SL_ERROR;
  if (grow(c, (void **)&c->changes, &c->capchanges, c->nchanges,
           sizeof *c->changes))
    return SL_ERROR;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  ch = &c->changes[c->nchanges++];
  memset(ch, 0, sizeof *ch);
  ch->kind = kind;
  ch->table = t ? tdisplay(t) : NULL;
  ch->column = column;
  ch->name = name;
  ch->destructive = destructive;
  ch->description = sl_arena_strndup(c->out, buf, strlen(buf));
  if (ch->description == NULL) return oom(c);
  return SL_OK;
}

/* "(a, b)" of a name list in buf, for descriptions. */
static const char *name_list(char *buf, size_t size, const char **names,
                             int n) {
  size_t used = 0;
  int i;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "(");
  for (i = 0; i < n && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                             names[i]);
  if (used < size) snprintf(buf + used, size - used, ")");
  return buf;
}

/* }==================================================================== */

/* {====================================================================
** Snapshot objects to DDL structs
** ===================================================================== */

static sl_node *raw_node(dctx *c, const char *text) {
  sl_node *n = scratch(c, 1, sizeof *n);
  if (n == NULL) return NULL;
  n->kind = SL_N_RAW;
  n->u.raw.text = text;
  return n;
}

static int coldef_of(dctx *c, const sl_snap_column *col, sl_coldef *cd) {
  memset(cd, 0, sizeof *cd);
  cd->name = col->name;
  cd->type = col->type;
  cd->not_null = col->not_null;
  cd->primary_key = col->primary_key;
  cd->autoincrement = col->autoincrement;
  cd->on_update_now = col->on_update_now;
  cd->identity = col->identity;
  if (col->default_ != NULL &&
      (cd->default_ = raw_node(c, col->default_)) == NULL)
    return SL_ERROR;
  if (col->generated != NULL) {
    cd->generated = raw_node(c, col->generated);
    if (cd->generated == NULL) return SL_ERROR;
    cd->generated_stored = col->generated_stored;
  }
  return SL_OK;
}

static void fk_of(const sl_snap_fk *f, sl_fk *out) {
  memset(out, 0, sizeof *out);
  out->name = f->name;
  out->columns = f->columns;
  out->ncolumns = f->ncolumns;
  out->ref_schema = f->ref_schema && strcmp(f->ref_schema, "public") != 0
                        ? f->ref_schema
                        : NULL;
  out->ref_table = f->ref_table;
  out->ref_columns = f->ref_columns;
  out->nref_columns = f->nref_columns;
  out->on_delete = f->on_delete;
  out->on_update = f->on_update;
}

static void key_of(const sl_snap_key *k, sl_keydef *out) {
  out->name = k->name;
  out->columns = k->columns;
  out->ncolumns = k->ncolumns;
  out->nulls_not_distinct = k->nulls_not_distinct;
}

/* CREATE TABLE for t under name (t->name when NULL), without the foreign
** keys marked in skip_fk. */
static sl_node *create_table_node(dctx *c, const sl_snap_table *t,
                                  const char *name,
                                  const unsigned char *skip_fk) {
  sl_node *n = scratch(c, 1, sizeof *n);
  int i;
  if (n == NULL) return NULL;
  n->kind = SL_N_CREATE_TABLE;
  n->u.create_table.schema = tschema(t);
  n->u.create_table.name = name ? name : t->name;
  n->u.create_table.columns =
      scratch(c, (size_t)t->ncolumns, sizeof(sl_coldef));
  if (n->u.create_table.columns == NULL) return NULL;
  n->u.create_table.ncolumns = t->ncolumns;
  for (i = 0; i < t->ncolumns; i++)
    if (coldef_of(c, &t->columns[i], &n->u.create_table.columns[i]) != SL_OK)
      return NULL;
  if (t->npks > 0) {
    n->u.create_table.primary_key = scratch(c, 1, sizeof(sl_keydef));
    if (n->u.create_table.primary_key == NULL) return NULL;
    key_of(&t->pks[0], n->u.create_table.primary_key);
  }
  if (t->nfks > 0) {
    n->u.create_table.fks = scratch(c, (size_t)t->nfks, sizeof(sl_fk));
    if (n->u.create_table.fks == NULL) return NULL;
    for (i = 0; i < t->nfks; i++)
      if (skip_fk == NULL || !skip_fk[i])
        fk_of(&t->fks[i], &n->u.create_table.fks[n->u.create_table.nfks++]);
  }
  if (t->nuniques > 0) {
    n->u.create_table.uniques =
        scratch(c, (size_t)t->nuniques, sizeof(sl_keydef));
    if (n->u.create_table.uniques == NULL) return NULL;
    for (i = 0; i < t->nuniques; i++)
      key_of(&t->uniques[i], &n->u.create_table.uniques[i]);
    n->u.create_table.nuniques = t->nuniques;
  }
  if (t->nchecks > 0) {
    n->u.create_table.checks =
        scratch(c, (size_t)t->nchecks, sizeof(sl_checkdef));
    if (n->u.create_table.checks == NULL) return NULL;
    for (i = 0; i < t->nchecks; i++) {
      n->u.create_table.checks[i].name = t->checks[i].name;
      n->u.create_table.checks[i].expr = raw_node(c, t->checks[i].value);
      if (n->u.create_table.checks[i].expr == NULL) return NULL;
    }
    n->u.create_table.nchecks = t->nchecks;
  }
  return n;
}

/* Wraps an index expression in parentheses unless it already is (every
** dialect accepts "(expr)" as an index element). */
static const char *paren_expr(dctx *c, const char *e) {
  size_t n = strlen(e);
  int depth = 0, ok = n >= 2 && e[0] == '(' && e[n - 1] == ')';
  size_t i;
  char *s;
  for (i = 0; ok && i < n; i++) {
    if (e[i] == '(') depth++;
    if (e[i] == ')' && --depth == 0 && i + 1 < n) ok = 0;
  }
  if (ok) return e;
  s = sl_arena_alloc(c->tmp, n + 3);
  if (s == NULL) {
    oom(c);
    return NULL;
  }
  s[0] = '(';
  memcpy(s + 1, e, n);
  s[n + 1] = ')';
  s[n + 2] = '\0';
  return s;
}

static int emit_create_index(dctx *c, const sl_snap_table *t,
                             const sl_snap_index *ix) {
  sl_node *n = scratch(c, 1, sizeof *n);
  sl_ddl s;
  int i;
  if (n == NULL) return SL_ERROR;
  n->kind = SL_N_CREATE_INDEX;
  n->u.create_index.name = ix->name;
  n->u.create_index.schema = tschema(t);
  n->u.create_index.table = t->name;
  n->u.create_index.unique = ix->unique;
  n->u.create_index.columns.v =
      scratch(c, (size_t)ix->ncolumns, sizeof(sl_node *));
  if (n->u.create_index.columns.v == NULL) return SL_ERROR;
  n->u.create_index.concurrently = ix->concurrently;
  n->u.create_index.nulls_not_distinct = ix->nulls_not_distinct;
  n->u.create_index.columns.n = ix->ncolumns;
  for (i = 0; i < ix->ncolumns; i++) {
    const sl_snap_index_col *ic = &ix->columns[i];
    sl_node *e;
    if (ic->is_expression) {
      const char *text = paren_expr(c, ic->expression);
      e = text ? raw_node(c, text) : NULL;
    } else {
      e = scratch(c, 1, sizeof *e);
      if (e != NULL) {
        e->kind = SL_N_COL;
        e->u.col.name = ic->expression;
      }
    }
    if (e == NULL) return SL_ERROR;
    if (!ic->asc || ic->nulls != 0) {
      sl_node *o = scratch(c, 1, sizeof *o);
      if (o == NULL) return SL_ERROR;
      o->kind = SL_N_ORDER;
      o->u.order.e = e;
      o->u.order.desc = !ic->asc;
      o->u.order.nulls = ic->nulls;
      e = o;
    }
    n->u.create_index.columns.v[i] = e;
  }
  if (ix->where != NULL &&
      (n->u.create_index.where = raw_node(c, ix->where)) == NULL)
    return SL_ERROR;
  ddl_init(&s, SL_DDL_CREATE_INDEX, t);
  s.node = n;
  s.type = ix->method;
  return emit(c, &s);
}

/* }==================================================================== */

/* {====================================================================
** Matching: tables and columns, rename answers, unresolved questions
** ===================================================================== */

static int add_unresolved(dctx *c, int columns, const char *table,
                          const char **created, int ncreated,
                          const char **deleted, int ndeleted) {
  sl_unresolved *u;
  int i;
  if (grow(c, (void **)&c->unres, &c->capunres, c->nunres, sizeof *c->unres))
    return SL_ERROR;
  u = &c->unres[c->nunres++];
  memset(u, 0, sizeof *u);
  u->columns = columns;
  u->table = table;
  u->created = sl_arena_alloc(c->out, (size_t)ncreated * sizeof(char *));
  u->deleted = sl_arena_alloc(c->out, (size_t)ndeleted * sizeof(char *));
  if (u->created == NULL || u->deleted == NULL) return oom(c);
  for (i = 0; i < ncreated; i++)
    u->created[i] = created[i];
  for (i = 0; i < ndeleted; i++)
    u->deleted[i] = deleted[i];
  u->ncreated = ncreated;
  u->ndeleted = ndeleted;
  return SL_OK;
}

static int match_tables(dctx *c) {
  const sl_snapshot *p = c->p, *n = c->n;
  int i, j;
  c->tp = scratch(c, (size_t)p->ntables + 1, sizeof *c->tp);
  c->tn = scratch(c, (size_t)n->ntables + 1, sizeof *c->tn);
  if (c->tp == NULL || c->tn == NULL) return SL_ERROR;
  for (i = 0; i < p->ntables; i++)
    c->tp[i].next = -1;
  for (i = 0; i < n->ntables; i++) {
    c->tn[i].prev = -1;
    sl_buf_init(&c->tn[i].reasons);
  }
  for (j = 0; c->opts && j < c->opts->ntables; j++) {
    const sl_rename *r = &c->opts->tables[j];
    int pi, ni;
    if (r->from == NULL)
      return fail(c, SL_EK_VALIDATION, "table rename without a name");
    pi = find_table_ref(p, r->from, strlen(r->from));
    if (r->to == NULL) {
      ni = find_table_ref(n, r->from, strlen(r->from));
      if (pi < 0 && ni < 0)
        return fail(c, SL_EK_VALIDATION,
                    "rename answer for table \"%s\": no such table in "
                    "either snapshot",
                    r->from);
      if (pi >= 0) c->tp[pi].answered = 1;
      if (ni >= 0) c->tn[ni].answered = 1;
      continue;
    }
    if (pi < 0)
      return fail(c, SL_EK_VALIDATION,
                  "rename of table \"%s\" to \"%s\": the previous schema "
                  "has no table \"%s\"",
                  r->from, r->to, r->from);
    ni = find_table_ref(n, r->to, strlen(r->to));
    if (ni < 0)
      return fail(c, SL_EK_VALIDATION,
                  "rename of table \"%s\" to \"%s\": the new schema has "
                  "no table \"%s\"",
                  r->from, r->to, r->to);
    if (c->tp[pi].next >= 0 || c->tn[ni].prev >= 0)
      return fail(c, SL_EK_VALIDATION,
                  "rename of table \"%s\" to \"%s\": one of them is in "
                  "another rename already",
                  r->from, r->to);
    c->tp[pi].next = ni;
    c->tn[ni].prev = pi;
  }
  /* same schema and name: the same table */
  for (i = 0; i < p->ntables; i++) {
    if (c->tp[i].next >= 0) continue;
    j = find_table(n, p->tables[i].schema, p->tables[i].name);
    if (j >= 0 && c->tn[j].prev < 0) {
      c->tp[i].next = j;
      c->tn[j].prev = i;
    }
  }
  return SL_OK;
}

/* The tables question: unanswered created and deleted tables at once. */
static int unresolved_tables(dctx *c) {
  const char **created, **deleted;
  int i, nc = 0, nd = 0;
  created = scratch(c, (size_t)c->n->ntables + 1, sizeof *created);
  deleted = scratch(c, (size_t)c->p->ntables + 1, sizeof *deleted);
  if (created == NULL || deleted == NULL) return SL_ERROR;
  for (i = 0; i < c->n->ntables; i++)
    if (c->tn[i].prev < 0 && !c->tn[i].answered)
      created[nc++] = tdisplay(&c->n->tables[i]);
  for (i = 0; i < c->p->ntables; i++)
    if (c->tp[i].next < 0 && !c->tp[i].answered)
      deleted[nd++] = tdisplay(&c->p->tables[i]);
  if (nc > 0 && nd > 0)
    return add_unresolved(c, 0, NULL, created, nc, deleted, nd);
  return SL_OK;
}

/* The matched next table a column answer's table part names (its old or
** new name), or -1. */
static int answer_table(dctx *c, const char *ref, size_t len) {
  int i = find_table_ref(c->n, ref, len);
  if (i >= 0 && c->tn[i].prev >= 0) return i;
  i = find_table_ref(c->p, ref, len);
  if (i >= 0 && c->tp[i].next >= 0) return c->tp[i].next;
  return -1;
}

static int match_columns(dctx *c) {
  int i, j;
  for (i = 0; i < c->n->ntables; i++) {
    const sl_snap_table *nt = &c->n->tables[i];
    size_t nc = (size_t)nt->ncolumns;
    c->tn[i].enum_done = scratch(c, nc, 1);
    c->tn[i].deferred_fk = scratch(c, (size_t)nt->nfks + 1, 1);
    if (c->tn[i].prev < 0) continue;
    {
      const sl_snap_table *pt = &c->p->tables[c->tn[i].prev];
      tprev *tp = &c->tp[c->tn[i].prev];
      tnext *tn = &c->tn[i];
      tn->col_prev = scratch(c, nc, sizeof(int));
      tn->col_answered = scratch(c, nc, 1);
      tp->col_next = scratch(c, (size_t)pt->ncolumns, sizeof(int));
      tp->col_answered = scratch(c, (size_t)pt->ncolumns, 1);
      if (c->failed) return SL_ERROR;
      for (j = 0; j < nt->ncolumns; j++)
        tn->col_prev[j] = -1;
      for (j = 0; j < pt->ncolumns; j++)
        tp->col_next[j] = -1;
    }
  }
  if (c->failed) return SL_ERROR;
  for (j = 0; c->opts && j < c->opts->ncolumns; j++) {
    const sl_rename *r = &c->opts->columns[j];
    const char *dot = r->from ? strrchr(r->from, '.') : NULL;
    const sl_snap_table *pt, *nt;
    int ni, pc, nc;
    if (dot == NULL || dot == r->from || dot[1] == '\0')
      return fail(c, SL_EK_VALIDATION,
                  "column rename \"%s\": expected \"table.column\"",
                  r->from ? r->from : "");
    ni = answer_table(c, r->from, (size_t)(dot - r->from));
    if (ni < 0)
      return fail(c, SL_EK_VALIDATION,
                  "column rename \"%s\": no table \"%.*s\" in both "
                  "schemas",
                  r->from, (int)(dot - r->from), r->from);
    nt = &c->n->tables[ni];
    pt = &c->p->tables[c->tn[ni].prev];
    pc = find_column(pt, dot + 1);
    if (r->to == NULL) {
      nc = find_column(nt, dot + 1);
      if (pc < 0 && nc < 0)
        return fail(c, SL_EK_VALIDATION,
                    "rename answer for column \"%s\": no such column", r->from);
      if (pc >= 0) c->tp[c->tn[ni].prev].col_answered[pc] = 1;
      if (nc >= 0) c->tn[ni].col_answered[nc] = 1;
      continue;
    }
    nc = find_column(nt, r->to);
    if (pc < 0 || nc < 0)
      return fail(c, SL_EK_VALIDATION,
                  "rename of column \"%s\" to \"%s\": %s has no column "
                  "\"%s\"",
                  r->from, r->to,
                  pc < 0 ? "the previous schema" : "the new schema",
                  pc < 0 ? dot + 1 : r->to);
    if (c->tp[c->tn[ni].prev].col_next[pc] >= 0 || c->tn[ni].col_prev[nc] >= 0)
      return fail(c, SL_EK_VALIDATION,
                  "rename of column \"%s\" to \"%s\": one of them is in "
                  "another rename already",
                  r->from, r->to);
    c->tp[c->tn[ni].prev].col_next[pc] = nc;
    c->tn[ni].col_prev[nc] = pc;
  }
  /* same name: the same column; then the columns question per table */
  for (i = 0; i < c->n->ntables; i++) {
    const sl_snap_table *nt = &c->n->tables[i], *pt;
    tnext *tn = &c->tn[i];
    tprev *tp;
    const char **created, **deleted;
    int nc = 0, nd = 0, k;
    if (tn->prev < 0) continue;
    pt = &c->p->tables[tn->prev];
    tp = &c->tp[tn->prev];
    for (j = 0; j < pt->ncolumns; j++) {
      if (tp->col_next[j] >= 0) continue;
      k = find_column(nt, pt->columns[j].name);
      if (k >= 0 && tn->col_prev[k] < 0) {
        tp->col_next[j] = k;
        tn->col_prev[k] = j;
      }
    }
    created = scratch(c, (size_t)nt->ncolumns, sizeof *created);
    deleted = scratch(c, (size_t)pt->ncolumns, sizeof *deleted);
    if (c->failed) return SL_ERROR;
    for (k = 0; k < nt->ncolumns; k++)
      if (tn->col_prev[k] < 0 && !tn->col_answered[k])
        created[nc++] = nt->columns[k].name;
    for (k = 0; k < pt->ncolumns; k++)
      if (tp->col_next[k] < 0 && !tp->col_answered[k])
        deleted[nd++] = pt->columns[k].name;
    if (nc > 0 && nd > 0 &&
        add_unresolved(c, 1, tdisplay(nt), created, nc, deleted, nd) != SL_OK)
      return SL_ERROR;
  }
  return SL_OK;
}

/* The next-table name of previous column pc of previous table pi, or
** NULL when it is dropped. */
static const char *mapped_col(dctx *c, int pi, const char *name) {
  const sl_snap_table *pt = &c->p->tables[pi];
  int pc = find_column(pt, name), nc;
  if (pc < 0 || c->tp[pi].next < 0) return NULL;
  nc = c->tp[pi].col_next[pc];
  return nc < 0 ? NULL : c->n->tables[c->tp[pi].next].columns[nc].name;
}

/* Whether the previous names (of table pi) map to exactly the next ones. */
static int same_cols(dctx *c, int pi, const char **prev, int np,
                     const char **next, int nn) {
  int i;
  if (np != nn) return 0;
  for (i = 0; i < np; i++) {
    const char *m = mapped_col(c, pi, prev[i]);
    if (m == NULL || strcmp(m, next[i]) != 0) return 0;
  }
  return 1;
}

/* }==================================================================== */

/* {====================================================================
** Columns: what changed
** ===================================================================== */

typedef struct colchg {
  int type, default_, not_null, autoinc, generated, on_update, identity;
} colchg;

static const sl_snap_column *prev_col(dctx *c, int ni, int k) {
  int pc = c->tn[ni].col_prev ? c->tn[ni].col_prev[k] : -1;
  return pc < 0 ? NULL : &c->p->tables[c->tn[ni].prev].columns[pc];
}

static int str_eq(const char *a, const char *b) {
  if (a == NULL || b == NULL) return a == b;
  return strcmp(a, b) == 0;
}

/* Whether two identities (or none) are the same. */
static int identity_eq(const sl_identity *a, const sl_identity *b) {
  if (a == NULL || b == NULL) return a == b;
  return a->by_default == b->by_default && str_eq(a->name, b->name) &&
         str_eq(a->schema, b->schema) &&
         strcmp(a->increment, b->increment) == 0 &&
         strcmp(a->start, b->start) == 0 && strcmp(a->min, b->min) == 0 &&
         strcmp(a->max, b->max) == 0 && strcmp(a->cache, b->cache) == 0 &&
         a->cycle == b->cycle;
}

/* What changed in column k of next table ni (all zero when it is new). */
static void column_changes(dctx *c, int ni, int k, colchg *ch) {
  const sl_snap_column *pc = prev_col(c, ni, k);
  const sl_snap_column *nc = &c->n->tables[ni].columns[k];
  memset(ch, 0, sizeof *ch);
  if (pc == NULL) return;
  ch->type = !type_eq(pc->type, nc->type);
  ch->default_ = !str_eq(pc->default_, nc->default_);
  ch->not_null = pc->not_null != nc->not_null;
  /* serial types are their own autoincrement on PostgreSQL */
  ch->autoinc = pc->autoincrement != nc->autoincrement && !is_pg(c);
  ch->on_update = pc->on_update_now != nc->on_update_now;
  ch->identity = !identity_eq(pc->identity, nc->identity);
  ch->generated =
      !str_eq(pc->generated, nc->generated) ||
      (nc->generated && pc->generated_stored != nc->generated_stored);
}

/* The primary key columns of a table: the composite key, else the
** column marked primaryKey. */
static int pk_columns(dctx *c, const sl_snap_table *t, const char ***cols) {
  int i;
  if (t->npks > 0) {
    *cols = t->pks[0].columns;
    return t->pks[0].ncolumns;
  }
  for (i = 0; i < t->ncolumns; i++)
    if (t->columns[i].primary_key) {
      const char **one = scratch(c, 1, sizeof *one);
      if (one == NULL) return 0;
      one[0] = t->columns[i].name;
      *cols = one;
      return 1;
    }
  *cols = NULL;
  return 0;
}

/* The constraint name of a primary key on PostgreSQL: the composite key's
** name, else PostgreSQL's default "<table>_pkey". */
static const char *pk_name(dctx *c, const sl_snap_table *t) {
  if (t->npks > 0) return t->pks[0].name;
  return outf(c, "%s_pkey", t->name);
}

static int pk_changed(dctx *c, int ni) {
  const sl_snap_table *pt = &c->p->tables[c->tn[ni].prev];
  const char **pc, **nc;
  int np = pk_columns(c, pt, &pc);
  int nn = pk_columns(c, &c->n->tables[ni], &nc);
  return !same_cols(c, c->tn[ni].prev, pc, np, nc, nn);
}

/* }==================================================================== */

/* {====================================================================
** Constraints and indexes: matching by name, then by definition
** ===================================================================== */

enum { OBJ_FK, OBJ_UNIQUE, OBJ_CHECK, OBJ_INDEX };

/* The outcome for each previous and next object of one kind:
** pm[i] = index of the next object it stays as (-1: dropped), pren[i] =
** only renamed; nm[j] = index of the previous one (-1: added). A changed
** object is dropped and added (pm = -1, nm = -1). */
typedef struct objmatch {
  int *pm, *nm;
  char *pren;
} objmatch;

/* Whether the foreign key's referenced table (previous snapshot) maps to
** the next one's target, with the same columns. */
static int fk_target_same(dctx *c, const sl_snap_fk *a, const sl_snap_fk *b) {
  int ri = find_table(c->p, a->ref_schema, a->ref_table), i;
  if (ri < 0) {
    /* a table outside the snapshot: compare names as they are */
    if (!str_eq(a->ref_table, b->ref_table)) return 0;
    if (!str_eq(a->ref_schema, b->ref_schema)) return 0;
    if (a->nref_columns != b->nref_columns) return 0;
    for (i = 0; i < a->nref_columns; i++)
      if (strcmp(a->ref_columns[i], b->ref_columns[i]) != 0) return 0;
    return 1;
  }
  if (c->tp[ri].next < 0 ||
      find_table(c->n, b->ref_schema, b->ref_table) != c->tp[ri].next)
    return 0;
  return same_cols(c, ri, a->ref_columns, a->nref_columns, b->ref_columns,
                   b->nref_columns);
}

/* Whether a column of table pi (previous names) changes type. */
static int cols_retyped(dctx *c, int pi, const char **cols, int n) {
  const sl_snap_table *pt = &c->p->tables[pi];
  int i;
  if (c->tp[pi].next < 0) return 0;
  for (i = 0; i < n; i++) {
    int pc = find_column(pt, cols[i]), nc;
    if (pc < 0) continue;
    nc = c->tp[pi].col_next[pc];
    if (nc >= 0 && !type_eq(pt->columns[pc].type,
                            c->n->tables[c->tp[pi].next].columns[nc].type))
      return 1;
  }
  return 0;
}

static int fk_same(dctx *c, int pi, const sl_snap_fk *a, const sl_snap_fk *b) {
  int ri;
  if (!same_cols(c, pi, a->columns, a->ncolumns, b->columns, b->ncolumns) ||
      !fk_target_same(c, a, b) || strcmp(a->on_delete, b->on_delete) != 0 ||
      strcmp(a->on_update, b->on_update) != 0)
    return 0;
  /* a foreign key does not survive a type change of its columns on
  ** either side: drop it before, add it after (a SQLite rebuild restates
  ** it anyway) */
  if (c->fam == SL_FAM_SQLITE) return 1;
  if (cols_retyped(c, pi, a->columns, a->ncolumns)) return 0;
  ri = find_table(c->p, a->ref_schema, a->ref_table);
  return ri < 0 || !cols_retyped(c, ri, a->ref_columns, a->nref_columns);
}

static int index_same(dctx *c, int pi, const sl_snap_index *a,
                      const sl_snap_index *b) {
  int i;
  if (a->unique != b->unique || !str_eq(a->where, b->where) ||
      a->nulls_not_distinct != b->nulls_not_distinct ||
      strcmp(a->method, b->method) != 0 || a->ncolumns != b->ncolumns)
    return 0;
  for (i = 0; i < a->ncolumns; i++) {
    const sl_snap_index_col *x = &a->columns[i], *y = &b->columns[i];
    if (x->is_expression != y->is_expression || x->asc != y->asc ||
        x->nulls != y->nulls)
      return 0;
    if (x->is_expression) {
      if (strcmp(x->expression, y->expression) != 0) return 0;
    } else {
      const char *m = mapped_col(c, pi, x->expression);
      if (m == NULL || strcmp(m, y->expression) != 0) return 0;
    }
  }
  return 1;
}

static int obj_count(const sl_snap_table *t, int kind) {
  switch (kind) {
  case OBJ_FK:
    return t->nfks;
  case OBJ_UNIQUE:
    return t->nuniques;
  case OBJ_CHECK:
    return t->nchecks;
  default:
    return t->nindexes;
  }
}

static const char *obj_name(const sl_snap_table *t, int kind, int i) {
  switch (kind) {
  case OBJ_FK:
    return t->fks[i].name;
  case OBJ_UNIQUE:
    return t->uniques[i].name;
  case OBJ_CHECK:
    return t->checks[i].name;
  default:
    return t->indexes[i].name;
  }
}

static int find_named(const sl_snap_table *t, int kind, const char *name) {
  int i, n = obj_count(t, kind);
  for (i = 0; i < n; i++)
    if (strcmp(obj_name(t, kind, i), name) == 0) return i;
  return -1;
}

static int obj_same(dctx *c, int pi, int ni, int kind, int i, int j) {
  const sl_snap_table *pt = &c->p->tables[pi], *nt = &c->n->tables[ni];
  switch (kind) {
  case OBJ_FK:
    return fk_same(c, pi, &pt->fks[i], &nt->fks[j]);
  case OBJ_UNIQUE:
    return pt->uniques[i].nulls_not_distinct ==
               nt->uniques[j].nulls_not_distinct &&
           same_cols(c, pi, pt->uniques[i].columns, pt->uniques[i].ncolumns,
                     nt->uniques[j].columns, nt->uniques[j].ncolumns);
  case OBJ_CHECK:
    return strcmp(pt->checks[i].value, nt->checks[j].value) == 0;
  default:
    return index_same(c, pi, &pt->indexes[i], &nt->indexes[j]);
  }
}

/* Matches the objects of one kind of next table ni and its previous
** table. */
static int match_objects(dctx *c, int ni, int kind, objmatch *m) {
  int pi = c->tn[ni].prev, i, j;
  const sl_snap_table *pt = &c->p->tables[pi], *nt = &c->n->tables[ni];
  int np = obj_count(pt, kind), nn = obj_count(nt, kind);
  m->pm = scratch(c, (size_t)np + 1, sizeof(int));
  m->nm = scratch(c, (size_t)nn + 1, sizeof(int));
  m->pren = scratch(c, (size_t)np + 1, 1);
  if (c->failed) return SL_ERROR;
  for (i = 0; i < np; i++)
    m->pm[i] = -1;
  for (j = 0; j < nn; j++)
    m->nm[j] = -1;
  /* by name: kept when the definition is the same, else changed */
  for (i = 0; i < np; i++)
    for (j = 0; j < nn; j++)
      if (strcmp(obj_name(pt, kind, i), obj_name(nt, kind, j)) == 0) {
        if (obj_same(c, pi, ni, kind, i, j)) {
          m->pm[i] = j;
          m->nm[j] = i;
        }
        break;
      }
  /* by definition among the rest: renamed (SQLite: names do not matter;
  ** indexes there cannot be renamed, they are dropped and created) */
  if (c->fam == SL_FAM_SQLITE && kind == OBJ_INDEX) return SL_OK;
  /* MySQL cannot rename foreign keys or checks */
  if (c->fam == SL_FAM_MYSQL && (kind == OBJ_FK || kind == OBJ_CHECK))
    return SL_OK;
  for (i = 0; i < np; i++) {
    if (m->pm[i] >= 0 || find_named(nt, kind, obj_name(pt, kind, i)) >= 0)
      continue;
    for (j = 0; j < nn; j++) {
      if (m->nm[j] >= 0 || find_named(pt, kind, obj_name(nt, kind, j)) >= 0)
        continue;
      if (obj_same(c, pi, ni, kind, i, j)) {
        m->pm[i] = j;
        m->nm[j] = i;
        m->pren[i] = c->fam != SL_FAM_SQLITE &&
                     strcmp(obj_name(pt, kind, i), obj_name(nt, kind, j)) != 0;
        break;
      }
    }
  }
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** SQLite: which tables ALTER TABLE cannot change (they are rebuilt)
** ===================================================================== */

/* Whether default text is a constant SQLite's ADD COLUMN accepts: a
** literal, not an expression in parentheses or CURRENT_*. */
static int constant_default(const char *d) {
  size_t n, i = 0;
  if (d == NULL) return 1;
  n = strlen(d);
  if (n == 4 && (strncmp(d, "null", 4) == 0 || strncmp(d, "NULL", 4) == 0 ||
                 strncmp(d, "true", 4) == 0 || strncmp(d, "TRUE", 4) == 0))
    return 1;
  if (n == 5 && (strcmp(d, "false") == 0 || strcmp(d, "FALSE") == 0)) return 1;
  if (d[0] == 'x' || d[0] == 'X') i = 1;
  if (d[i] == '\'') {
    /* one string literal, quotes doubled inside */
    for (i++; i < n; i++)
      if (d[i] == '\'' && (i + 1 == n || d[i + 1] != '\''))
        return i + 1 == n;
      else if (d[i] == '\'')
        i++;
    return 0;
  }
  i = (d[0] == '-' || d[0] == '+') ? 1 : 0;
  if (i == n) return 0;
  for (; i < n; i++)
    if (!isdigit((unsigned char)d[i]) && d[i] != '.' && d[i] != 'e' &&
        d[i] != 'E' && d[i] != '-' && d[i] != '+')
      return 0;
  return 1;
}

static void add_reason(dctx *c, int ni, const char *what, const char *name) {
  sl_buf *b = &c->tn[ni].reasons;
  if (b->n > 0) sl_buf_adds(b, ", ");
  sl_buf_adds(b, what);
  if (name != NULL) {
    sl_buf_addc(b, ' ');
    sl_buf_adds(b, name);
  }
}

static int in_list(const char **names, int n, const char *name) {
  int i;
  for (i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return 1;
  return 0;
}

/* Why ADD COLUMN cannot add column k of next table t, or NULL. */
static const char *add_column_blocker(dctx *c, const sl_snap_table *t, int k) {
  const sl_snap_column *col = &t->columns[k];
  const char **pk;
  int npk = pk_columns(c, t, &pk), i;
  if (col->primary_key || in_list(pk, npk, col->name)) return "primary key";
  if (col->autoincrement) return "autoincrement";
  if (col->generated && col->generated_stored) return "stored generated";
  if (!constant_default(col->default_)) return "non-constant default";
  if (col->not_null && col->default_ == NULL && col->generated == NULL)
    return "NOT NULL without a default";
  for (i = 0; i < t->nuniques; i++)
    if (in_list(t->uniques[i].columns, t->uniques[i].ncolumns, col->name))
      return "unique";
  for (i = 0; i < t->nfks; i++)
    if (in_list(t->fks[i].columns, t->fks[i].ncolumns, col->name))
      return "foreign key";
  return NULL;
}

/* Whether DROP COLUMN cannot drop previous column pc of table pt. */
static int drop_column_blocked(dctx *c, const sl_snap_table *pt, int pc) {
  const char *name = pt->columns[pc].name;
  const char **pk;
  int npk = pk_columns(c, pt, &pk), i;
  if (in_list(pk, npk, name)) return 1;
  for (i = 0; i < pt->nuniques; i++)
    if (in_list(pt->uniques[i].columns, pt->uniques[i].ncolumns, name))
      return 1;
  for (i = 0; i < pt->nfks; i++)
    if (in_list(pt->fks[i].columns, pt->fks[i].ncolumns, name)) return 1;
  for (i = 0; i < pt->nchecks; i++)
    if (mentions(pt->checks[i].value, name)) return 1;
  for (i = 0; i < pt->ncolumns; i++)
    if (i != pc && mentions(pt->columns[i].generated, name)) return 1;
  return 0;
}

/* Decides which matched tables SQLite rebuilds, and whether the
** foreign-key wrapper is needed. */
static int sqlite_plan(dctx *c) {
  static const int kinds[] = {OBJ_FK, OBJ_UNIQUE, OBJ_CHECK};
  static const char *const kind_names[] = {"foreign keys",
                                           "unique "
                                           "constraints",
                                           "checks"};
  int ni, k, i;
  for (i = 0; i < c->p->ntables; i++)
    if (c->tp[i].next < 0) c->fk_off = 1;
  for (ni = 0; ni < c->n->ntables; ni++) {
    const sl_snap_table *nt = &c->n->tables[ni], *pt;
    tnext *tn = &c->tn[ni];
    if (tn->prev < 0) continue;
    pt = &c->p->tables[tn->prev];
    for (k = 0; k < nt->ncolumns; k++) {
      colchg ch;
      const char *why, *name = nt->columns[k].name;
      if (prev_col(c, ni, k) == NULL) {
        if ((why = add_column_blocker(c, nt, k)) != NULL) {
          add_reason(c, ni, "new column", name);
          sl_buf_addf(&tn->reasons, " (%s)", why);
        }
        continue;
      }
      column_changes(c, ni, k, &ch);
      if (ch.type) add_reason(c, ni, "type of", name);
      if (ch.default_) add_reason(c, ni, "default of", name);
      if (ch.not_null) add_reason(c, ni, "NOT NULL of", name);
      if (ch.autoinc) add_reason(c, ni, "autoincrement of", name);
      if (ch.generated) add_reason(c, ni, "generated column", name);
    }
    for (k = 0; k < pt->ncolumns; k++)
      if (c->tp[tn->prev].col_next[k] < 0 && drop_column_blocked(c, pt, k))
        add_reason(c, ni, "dropped key or referenced column",
                   pt->columns[k].name);
    if (pk_changed(c, ni)) add_reason(c, ni, "primary key", NULL);
    for (i = 0; i < 3; i++) {
      objmatch m;
      int np = obj_count(pt, kinds[i]), nn = obj_count(nt, kinds[i]), j;
      int changed = 0;
      if (match_objects(c, ni, kinds[i], &m) != SL_OK) return SL_ERROR;
      for (j = 0; j < np; j++)
        changed |= m.pm[j] < 0;
      for (j = 0; j < nn; j++)
        changed |= m.nm[j] < 0;
      if (changed) add_reason(c, ni, kind_names[i], NULL);
    }
    if (tn->reasons.oom) return oom(c);
    if (tn->reasons.n > 0) {
      tn->rebuild = 1;
      c->fk_off = 1;
    }
  }
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Schemas and enums (PostgreSQL)
** ===================================================================== */

static const char *enum_display(dctx *c, const sl_snap_enum *e) {
  if (strcmp(e->schema, "public") == 0) return e->name;
  return outf(c, "%s.%s", e->schema, e->name);
}

static const sl_snap_enum *find_enum(const sl_snapshot *s,
                                     const sl_snap_enum *like) {
  int i;
  for (i = 0; i < s->nenums; i++)
    if (strcmp(s->enums[i].schema, like->schema) == 0 &&
        strcmp(s->enums[i].name, like->name) == 0)
      return &s->enums[i];
  return NULL;
}

static int enum_same(const sl_snap_enum *a, const sl_snap_enum *b) {
  int i;
  if (a->nvalues != b->nvalues) return 0;
  for (i = 0; i < a->nvalues; i++)
    if (strcmp(a->values[i], b->values[i]) != 0) return 0;
  return 1;
}

/* Whether b is a with values inserted (a's values keep their order). */
static int enum_extends(const sl_snap_enum *a, const sl_snap_enum *b) {
  int i = 0, j;
  for (j = 0; j < b->nvalues && i < a->nvalues; j++)
    if (strcmp(a->values[i], b->values[j]) == 0) i++;
  return i == a->nvalues;
}

static int has_value(const sl_snap_enum *e, const char *v) {
  return in_list(e->values, e->nvalues, v);
}

static int emit_create_enum(dctx *c, const sl_snap_enum *e) {
  sl_node *n = scratch(c, 1, sizeof *n);
  sl_ddl s;
  if (n == NULL) return SL_ERROR;
  n->kind = SL_N_CREATE_ENUM;
  n->u.create_enum.schema = e->schema;
  n->u.create_enum.name = e->name;
  n->u.create_enum.values = e->values;
  n->u.create_enum.nvalues = e->nvalues;
  ddl_init(&s, SL_DDL_NODE, NULL);
  s.node = n;
  return emit(c, &s);
}

static int phase_create_schemas_enums(dctx *c) {
  int i, j;
  sl_ddl s;
  for (i = 0; i < c->n->nschemas; i++) {
    if (in_list(c->p->schemas, c->p->nschemas, c->n->schemas[i])) continue;
    ddl_init(&s, SL_DDL_CREATE_SCHEMA, NULL);
    s.name = c->n->schemas[i];
    emit(c, &s);
    change(c, "create_schema", NULL, NULL, s.name, 0, "create schema %s",
           s.name);
  }
  for (i = 0; i < c->n->nenums; i++) {
    const sl_snap_enum *e = &c->n->enums[i], *pe = find_enum(c->p, e);
    const char *name = enum_display(c, e);
    if (pe == NULL) {
      emit_create_enum(c, e);
      change(c, "create_enum", NULL, NULL, name, 0, "create enum %s", name);
      continue;
    }
    if (enum_same(pe, e) || !enum_extends(pe, e)) continue;
    for (j = 0; j < e->nvalues; j++) {
      int k;
      if (has_value(pe, e->values[j])) continue;
      ddl_init(&s, SL_DDL_ADD_ENUM_VALUE, NULL);
      s.schema = e->schema;
      s.name = e->name;
      s.value = e->values[j];
      /* before the next value that exists already */
      for (k = j + 1; k < e->nvalues && s.before == NULL; k++)
        if (has_value(pe, e->values[k])) s.before = e->values[k];
      emit(c, &s);
      change(c, "add_enum_value", NULL, NULL, name, 0,
             "add value '%s' to enum %s", s.value, name);
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

static int phase_drop_enums_schemas(dctx *c) {
  int i;
  sl_ddl s;
  for (i = 0; i < c->p->nenums; i++) {
    const sl_snap_enum *e = &c->p->enums[i];
    const char *name;
    if (find_enum(c->n, e) != NULL) continue;
    name = enum_display(c, e);
    ddl_init(&s, SL_DDL_DROP_ENUM, NULL);
    s.schema = e->schema;
    s.name = e->name;
    emit(c, &s);
    change(c, "drop_enum", NULL, NULL, name, 0, "drop enum %s", name);
  }
  for (i = 0; i < c->p->nschemas; i++) {
    if (in_list(c->n->schemas, c->n->nschemas, c->p->schemas[i])) continue;
    ddl_init(&s, SL_DDL_DROP_SCHEMA, NULL);
    s.name = c->p->schemas[i];
    emit(c, &s);
    change(c, "drop_schema", NULL, NULL, s.name, 0, "drop schema %s", s.name);
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Enums that lost or reordered values: PostgreSQL cannot remove a value,
** so the columns using the type go through text, the type is dropped and
** created again, and the columns come back. A row holding a removed value
** makes the conversion fail (and the migration with it). */
static int phase_recreate_enums(dctx *c) {
  int i, ni, k, pass;
  sl_ddl s;
  for (i = 0; i < c->n->nenums; i++) {
    const sl_snap_enum *e = &c->n->enums[i], *pe = find_enum(c->p, e);
    const char *name;
    char removed[512];
    size_t used = 0;
    int nremoved = 0;
    if (pe == NULL || enum_same(pe, e) || enum_extends(pe, e)) continue;
    name = enum_display(c, e);
    removed[0] = '\0';
    for (k = 0; k < pe->nvalues; k++)
      if (!has_value(e, pe->values[k]) && used < sizeof removed) {
        used += (size_t)snprintf(removed + used, sizeof removed - used,
                                 "%s'%s'", nremoved ? ", " : "", pe->values[k]);
        nremoved++;
      }
    if (nremoved > 0)
      change(c, "recreate_enum", NULL, NULL, name, 1,
             "recreate enum %s without %s (fails if a row holds a removed "
             "value)",
             name, removed);
    else
      change(c, "recreate_enum", NULL, NULL, name, 0,
             "recreate enum %s to reorder its values", name);
    /* pass 0: columns to text; pass 1: the type; pass 2: columns back */
    for (pass = 0; pass < 3; pass++) {
      if (pass == 1) {
        ddl_init(&s, SL_DDL_DROP_ENUM, NULL);
        s.schema = pe->schema;
        s.name = pe->name;
        emit(c, &s);
        emit_create_enum(c, e);
        continue;
      }
      for (ni = 0; ni < c->n->ntables; ni++) {
        const sl_snap_table *nt = &c->n->tables[ni];
        if (c->tn[ni].prev < 0) continue;
        for (k = 0; k < nt->ncolumns; k++) {
          const sl_snap_column *pc = prev_col(c, ni, k), *nc = &nt->columns[k];
          int array;
          if (pc == NULL || type_enum(c->p, pc->type, &array) != pe) continue;
          if (pass == 0) {
            if (pc->default_ != NULL) {
              ddl_init(&s, SL_DDL_DROP_DEFAULT, nt);
              s.name = nc->name;
              emit(c, &s);
            }
            ddl_init(&s, SL_DDL_SET_TYPE, nt);
            s.name = nc->name;
            s.type = array ? "text[]" : "text";
            s.using_ = "";
            emit(c, &s);
            continue;
          }
          if (!type_eq(pc->type, nc->type)) continue; /* step 7 retypes it */
          ddl_init(&s, SL_DDL_SET_TYPE, nt);
          s.name = nc->name;
          s.type = nc->type;
          s.using_ = "";
          emit(c, &s);
          if (nc->default_ != NULL) {
            ddl_init(&s, SL_DDL_SET_DEFAULT, nt);
            s.name = nc->name;
            s.default_sql = nc->default_;
            emit(c, &s);
          }
          c->tn[ni].enum_done[k] = 1;
        }
      }
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Tables: renames, creation order, drops
** ===================================================================== */

static int phase_renames(dctx *c) {
  int ni, k;
  sl_ddl s;
  for (ni = 0; ni < c->n->ntables; ni++) {
    const sl_snap_table *nt = &c->n->tables[ni], *pt;
    if (c->tn[ni].prev < 0) continue;
    pt = &c->p->tables[c->tn[ni].prev];
    if (!same_schema(pt, nt)) {
      ddl_init(&s, SL_DDL_SET_SCHEMA, pt);
      s.new_name = nt->schema;
      emit(c, &s);
    }
    if (strcmp(pt->name, nt->name) != 0) {
      ddl_init(&s, SL_DDL_RENAME_TABLE, pt);
      s.schema = tschema(nt);
      s.new_name = nt->name;
      emit(c, &s);
    }
    if (!same_schema(pt, nt) || strcmp(pt->name, nt->name) != 0)
      change(c, "rename_table", nt, NULL, NULL, 0, "rename table %s to %s",
             tdisplay(pt), tdisplay(nt));
  }
  for (ni = 0; ni < c->n->ntables; ni++) {
    const sl_snap_table *nt = &c->n->tables[ni];
    if (c->tn[ni].prev < 0) continue;
    for (k = 0; k < nt->ncolumns; k++) {
      const sl_snap_column *pc = prev_col(c, ni, k);
      if (pc == NULL || strcmp(pc->name, nt->columns[k].name) == 0) continue;
      ddl_init(&s, SL_DDL_RENAME_COLUMN, nt);
      s.name = pc->name;
      s.new_name = nt->columns[k].name;
      emit(c, &s);
      change(c, "rename_column", nt, s.new_name, NULL, 0,
             "rename column %s.%s to %s", tdisplay(nt), pc->name, s.new_name);
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Depth-first over foreign keys among included tables: referenced tables
** come first in order; a key that closes a cycle is marked in back. */
static void topo_visit(dctx *c, const sl_snapshot *s, const char *include,
                       char *state, int t, int *order, int *n,
                       unsigned char **back) {
  const sl_snap_table *tb = &s->tables[t];
  int f;
  state[t] = 1;
  for (f = 0; f < tb->nfks; f++) {
    int to = find_table(s, tb->fks[f].ref_schema, tb->fks[f].ref_table);
    if (to < 0 || to == t || !include[to]) continue;
    if (state[to] == 1) {
      if (back != NULL && back[t] != NULL) back[t][f] = 1;
    } else if (state[to] == 0) {
      topo_visit(c, s, include, state, to, order, n, back);
    }
  }
  state[t] = 2;
  order[(*n)++] = t;
}

static int topo_order(dctx *c, const sl_snapshot *s, const char *include,
                      int *order, unsigned char **back) {
  char *state = scratch(c, (size_t)s->ntables + 1, 1);
  int i, n = 0;
  if (state == NULL) return 0;
  for (i = 0; i < s->ntables; i++)
    if (include[i] && state[i] == 0)
      topo_visit(c, s, include, state, i, order, &n, back);
  return n;
}

static int phase_drop_tables(dctx *c) {
  const sl_snapshot *p = c->p;
  char *include = scratch(c, (size_t)p->ntables + 1, 1);
  int *order = scratch(c, (size_t)p->ntables + 1, sizeof(int));
  unsigned char **back = scratch(c, (size_t)p->ntables + 1, sizeof *back);
  int i, n, f;
  sl_ddl s;
  if (c->failed) return SL_ERROR;
  for (i = 0; i < p->ntables; i++) {
    include[i] = c->tp[i].next < 0;
    back[i] = scratch(c, (size_t)p->tables[i].nfks + 1, 1);
  }
  n = topo_order(c, p, include, order, back);
  if (c->failed) return SL_ERROR;
  /* a cycle among dropped tables: its closing keys go first */
  if (c->fam != SL_FAM_SQLITE)
    for (i = 0; i < n; i++)
      for (f = 0; f < p->tables[order[i]].nfks; f++) {
        if (!back[order[i]][f]) continue;
        ddl_init(&s, SL_DDL_DROP_FOREIGN_KEY, &p->tables[order[i]]);
        s.name = p->tables[order[i]].fks[f].name;
        emit(c, &s);
      }
  /* referencing tables first: the reverse of creation order */
  for (i = n - 1; i >= 0; i--) {
    const sl_snap_table *t = &p->tables[order[i]];
    ddl_init(&s, SL_DDL_DROP_TABLE, t);
    emit(c, &s);
    change(c, "drop_table", t, NULL, NULL, 1,
           "drop table %s (deletes its rows)", tdisplay(t));
  }
  return c->failed ? SL_ERROR : SL_OK;
}

static int phase_create_tables(dctx *c) {
  const sl_snapshot *ns = c->n;
  char *include = scratch(c, (size_t)ns->ntables + 1, 1);
  int *order = scratch(c, (size_t)ns->ntables + 1, sizeof(int));
  unsigned char **back = scratch(c, (size_t)ns->ntables + 1, sizeof *back);
  int i, n;
  sl_ddl s;
  if (c->failed) return SL_ERROR;
  for (i = 0; i < ns->ntables; i++) {
    include[i] = c->tn[i].prev < 0;
    /* SQLite checks references only when rows change: keep them inline */
    back[i] = c->fam == SL_FAM_SQLITE ? NULL : c->tn[i].deferred_fk;
  }
  n = topo_order(c, ns, include, order, back);
  for (i = 0; i < n && !c->failed; i++) {
    const sl_snap_table *t = &ns->tables[order[i]];
    ddl_init(&s, SL_DDL_NODE, NULL);
    s.node = create_table_node(c, t, NULL, c->tn[order[i]].deferred_fk);
    if (s.node == NULL) return SL_ERROR;
    emit(c, &s);
    change(c, "create_table", t, NULL, NULL, 0, "create table %s", tdisplay(t));
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Per table: constraints, columns, indexes
** ===================================================================== */

/* Whether column name of table t is in its primary key. */
static int in_pk(dctx *c, const sl_snap_table *t, const char *name) {
  const char **cols;
  int n = pk_columns(c, t, &cols);
  return in_list(cols, n, name);
}

/* MySQL refuses to drop a primary key an AUTO_INCREMENT column needs
** (error 1075): such a column loses AUTO_INCREMENT first (step 8 gives it
** back once the new key exists). When every column of the key goes away,
** DROP COLUMN takes the key with it. Returns how many key columns stay. */
static int my_demote_pk(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const sl_snap_table *pt = &c->p->tables[c->tn[ni].prev];
  const tprev *tp = &c->tp[c->tn[ni].prev];
  int k, staying = 0;
  for (k = 0; k < pt->ncolumns; k++)
    if (in_pk(c, pt, pt->columns[k].name) && tp->col_next[k] >= 0) staying++;
  for (k = 0; k < pt->ncolumns && staying > 0; k++) {
    sl_coldef cd;
    sl_ddl s;
    if (!pt->columns[k].autoincrement || tp->col_next[k] < 0 ||
        !in_pk(c, pt, pt->columns[k].name))
      continue;
    if (coldef_of(c, &pt->columns[k], &cd) != SL_OK) return staying;
    cd.name = nt->columns[tp->col_next[k]].name; /* renamed already */
    cd.autoincrement = 0;
    ddl_init(&s, SL_DDL_MODIFY_COLUMN, nt);
    s.column = &cd;
    emit(c, &s);
  }
  return staying;
}

/* Step 3 for next table ni: drop (or rename) foreign keys, primary key,
** unique and check constraints that go away or change. */
static int table_drop_constraints(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const sl_snap_table *pt = &c->p->tables[c->tn[ni].prev];
  objmatch m;
  sl_ddl s;
  int i, k;
  static const int kinds[] = {OBJ_FK, OBJ_UNIQUE, OBJ_CHECK};
  static const sl_ddl_kind drops[] = {SL_DDL_DROP_FOREIGN_KEY,
                                      SL_DDL_DROP_UNIQUE, SL_DDL_DROP_CHECK};
  static const char *const change_kinds[] = {"drop_fk", "drop_unique",
                                             "drop_check"};
  static const char *const what[] = {"foreign key", "unique constraint",
                                     "check"};
  for (k = 0; k < 3; k++) {
    if (match_objects(c, ni, kinds[k], &m) != SL_OK) return SL_ERROR;
    for (i = 0; i < obj_count(pt, kinds[k]); i++) {
      const char *name = obj_name(pt, kinds[k], i);
      if (m.pm[i] >= 0 && !m.pren[i]) continue;
      if (m.pm[i] >= 0) {
        const char *to = obj_name(nt, kinds[k], m.pm[i]);
        ddl_init(&s,
                 c->fam == SL_FAM_MYSQL ? SL_DDL_RENAME_INDEX
                                        : SL_DDL_RENAME_CONSTRAINT,
                 nt);
        s.name = name;
        s.new_name = to;
        emit(c, &s);
        change(c, "rename_constraint", nt, NULL, to, 0,
               "rename %s %s to %s on %s", what[k], name, to, tdisplay(nt));
        continue;
      }
      ddl_init(&s, drops[k], nt);
      s.name = name;
      emit(c, &s);
      change(c, change_kinds[k], nt, NULL, name, 0, "drop %s %s on %s", what[k],
             name, tdisplay(nt));
    }
  }
  /* the primary key (its change is recorded when the new one is added) */
  {
    const char **pc;
    int np = pk_columns(c, pt, &pc);
    if (np > 0 && pk_changed(c, ni)) {
      if (c->fam == SL_FAM_MYSQL && my_demote_pk(c, ni) == 0) return SL_OK;
      ddl_init(&s, SL_DDL_DROP_PRIMARY_KEY, nt);
      s.name = pk_name(c, pt);
      emit(c, &s);
    } else if (np > 0 && is_pg(c)) {
      const char *from = pk_name(c, pt), *to = pk_name(c, nt);
      if (from && to && strcmp(from, to) != 0) {
        ddl_init(&s, SL_DDL_RENAME_CONSTRAINT, nt);
        s.name = from;
        s.new_name = to;
        emit(c, &s);
        change(c, "rename_constraint", nt, NULL, to, 0,
               "rename primary key %s to %s on %s", from, to, tdisplay(nt));
      }
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Step 3, indexes: drop those that go away or change, rename those that
** only got a new name. */
static int table_drop_indexes(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const sl_snap_table *pt = &c->p->tables[c->tn[ni].prev];
  objmatch m;
  sl_ddl s;
  int i;
  if (match_objects(c, ni, OBJ_INDEX, &m) != SL_OK) return SL_ERROR;
  for (i = 0; i < pt->nindexes; i++) {
    const char *name = pt->indexes[i].name;
    if (m.pm[i] >= 0 && !m.pren[i]) continue;
    if (m.pm[i] >= 0) {
      ddl_init(&s, SL_DDL_RENAME_INDEX, nt);
      s.name = name;
      s.new_name = nt->indexes[m.pm[i]].name;
      emit(c, &s);
      change(c, "rename_index", nt, NULL, s.new_name, 0,
             "rename index %s to %s on %s", name, s.new_name, tdisplay(nt));
      continue;
    }
    ddl_init(&s, SL_DDL_DROP_INDEX, nt);
    s.name = name;
    emit(c, &s);
    change(c, "drop_index", nt, NULL, name, 0, "drop index %s on %s", name,
           tdisplay(nt));
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Step 5: drop the columns that go away. */
static int table_drop_columns(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const sl_snap_table *pt = &c->p->tables[c->tn[ni].prev];
  sl_ddl s;
  int k;
  for (k = 0; k < pt->ncolumns; k++) {
    if (c->tp[c->tn[ni].prev].col_next[k] >= 0) continue;
    ddl_init(&s, SL_DDL_DROP_COLUMN, nt);
    s.name = pt->columns[k].name;
    emit(c, &s);
    change(c, "drop_column", nt, s.name, NULL, 1,
           "drop column %s.%s (deletes its values)", tdisplay(nt), s.name);
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Whether column k of next table ni is new and the table's whole primary
** key: ADD COLUMN states PRIMARY KEY itself (MySQL needs it for an
** AUTO_INCREMENT column) and step 8 adds nothing. */
static int inline_pk(dctx *c, int ni, int k) {
  return c->fam != SL_FAM_SQLITE && c->n->tables[ni].columns[k].primary_key &&
         prev_col(c, ni, k) == NULL;
}

/* Appends "schema"."name" (schema NULL: unqualified). */
static void add_qualified(sl_buf *b, const char *schema, const char *name) {
  if (schema != NULL) {
    sl_quote_ident(b, '"', schema);
    sl_buf_addc(b, '.');
  }
  sl_quote_ident(b, '"', name);
}

/* Appends "name" quoted as a string literal holding a qualified,
** quoted identifier ('"s"."t_c_seq"'), for nextval/setval. */
static void add_regclass(dctx *c, sl_buf *b, const char *schema,
                         const char *name) {
  sl_buf id;
  sl_value v;
  sl_buf_init(&id);
  if (schema != NULL) {
    sl_quote_ident(&id, '"', schema);
    sl_buf_addc(&id, '.');
  }
  sl_quote_ident(&id, '"', name);
  v.type = SL_V_TEXT;
  v.u.s.p = id.p ? id.p : "";
  v.u.s.n = id.n;
  c->d->literal(b, &v);
  if (id.oom) b->oom = 1;
  sl_buf_free(&id);
}

/* Emits one raw statement built in b (moved to the scratch arena). */
static int emit_raw(dctx *c, sl_buf *b) {
  sl_ddl s;
  char *text;
  if (b->oom) {
    sl_buf_free(b);
    return oom(c);
  }
  text = sl_arena_strndup(c->tmp, b->p ? b->p : "", b->n);
  sl_buf_free(b);
  if (text == NULL) return oom(c);
  ddl_init(&s, SL_DDL_NODE, NULL);
  s.node = raw_node(c, text);
  if (s.node == NULL) return SL_ERROR;
  return emit(c, &s);
}

/* PostgreSQL: an integer column becomes serial: the sequence a serial
** column would own, started after the highest value, as its default. */
static int pg_make_serial(dctx *c, const sl_snap_table *t,
                          const sl_snap_column *col) {
  const char *seq = outf(c, "%s_%s_seq", t->name, col->name);
  sl_buf b;
  sl_ddl s;
  if (seq == NULL) return SL_ERROR;
  sl_buf_init(&b);
  sl_buf_adds(&b, "CREATE SEQUENCE IF NOT EXISTS ");
  add_qualified(&b, tschema(t), seq);
  sl_buf_adds(&b, " AS ");
  sl_buf_adds(&b, serial_base(col->type));
  sl_buf_adds(&b, " OWNED BY ");
  add_qualified(&b, tschema(t), t->name);
  sl_buf_addc(&b, '.');
  sl_quote_ident(&b, '"', col->name);
  sl_buf_addc(&b, ';');
  if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
  sl_buf_init(&b);
  sl_buf_adds(&b, "SELECT setval(");
  add_regclass(c, &b, tschema(t), seq);
  sl_buf_adds(&b, ", coalesce(max(");
  sl_quote_ident(&b, '"', col->name);
  sl_buf_adds(&b, "), 0) + 1, false) FROM ");
  add_qualified(&b, tschema(t), t->name);
  sl_buf_addc(&b, ';');
  if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
  sl_buf_init(&b);
  sl_buf_adds(&b, "nextval(");
  add_regclass(c, &b, tschema(t), seq);
  sl_buf_addc(&b, ')');
  if (b.oom) {
    sl_buf_free(&b);
    return oom(c);
  }
  ddl_init(&s, SL_DDL_SET_DEFAULT, t);
  s.name = col->name;
  s.default_sql = sl_arena_strndup(c->tmp, b.p ? b.p : "", b.n);
  sl_buf_free(&b);
  if (s.default_sql == NULL) return oom(c);
  return emit(c, &s);
}

/* PostgreSQL: a serial column becomes a plain integer: its sequence goes
** too (the default that used it is dropped before). */
static int pg_drop_serial(dctx *c, const sl_snap_table *t,
                          const sl_snap_column *col) {
  const char *seq = outf(c, "%s_%s_seq", t->name, col->name);
  sl_buf b;
  if (seq == NULL) return SL_ERROR;
  sl_buf_init(&b);
  sl_buf_adds(&b, "DROP SEQUENCE IF EXISTS ");
  add_qualified(&b, tschema(t), seq);
  sl_buf_addc(&b, ';');
  return emit_raw(c, &b);
}

/* Records the changes of an altered column (all dialects). */
static void record_column_changes(dctx *c, const sl_snap_table *nt,
                                  const sl_snap_column *pc,
                                  const sl_snap_column *nc, const colchg *ch) {
  const char *t = tdisplay(nt), *col = nc->name;
  if (ch->type) {
    int wide = type_widens(pc->type, nc->type);
    change(c, "alter_column_type", nt, col, NULL, !wide,
           "change type of %s.%s from %s to %s%s", t, col, pc->type, nc->type,
           wide ? "" : " (narrowing or conversion: may fail or lose data)");
  }
  if (ch->default_) {
    if (nc->default_ != NULL)
      change(c, "alter_column_default", nt, col, NULL, 0,
             "set default of %s.%s to %s", t, col, nc->default_);
    else
      change(c, "alter_column_default", nt, col, NULL, 0,
             "drop default of %s.%s", t, col);
  }
  if (ch->not_null) {
    if (nc->not_null)
      change(c, "alter_column_notnull", nt, col, NULL, 1,
             "set NOT NULL on %s.%s (fails if a row holds NULL)", t, col);
    else
      change(c, "alter_column_notnull", nt, col, NULL, 0,
             "drop NOT NULL on %s.%s", t, col);
  }
  if (ch->identity)
    change(c, "alter_column_identity", nt, col, NULL, 0, "%s identity of %s.%s",
           nc->identity == NULL   ? "drop the"
           : pc->identity == NULL ? "add an"
                                  : "change the",
           t, col);
  if (ch->on_update)
    change(c, "alter_column_on_update", nt, col, NULL, 0,
           "%s on update now on %s.%s", nc->on_update_now ? "set" : "drop", t,
           col);
  if (ch->autoinc)
    change(c, "alter_column_autoincrement", nt, col, NULL, 0,
           "%s autoincrement on %s.%s", nc->autoincrement ? "set" : "drop", t,
           col);
  if (ch->generated)
    change(c, "alter_column_generated", nt, col, NULL, 0,
           "%s generated expression of %s.%s",
           nc->generated == NULL   ? "drop the"
           : pc->generated == NULL ? "set a"
                                   : "change the",
           t, col);
}

/* PostgreSQL: the statements of one altered column. */
/* ALTER TABLE t ALTER COLUMN "col" into b. */
static void alter_column_prefix(sl_buf *b, const sl_snap_table *t,
                                const char *col) {
  sl_buf_init(b);
  sl_buf_adds(b, "ALTER TABLE ");
  add_qualified(b, tschema(t), t->name);
  sl_buf_adds(b, " ALTER COLUMN ");
  sl_quote_ident(b, '"', col);
}

/* PostgreSQL: a column's identity dropped (phase "first", before its
** default or type change, which PostgreSQL refuses on an identity column)
** or added or changed (the rest). A sequence of another name or schema
** (a renamed table or column) is renamed, so that it keeps counting. */
static int pg_alter_identity(dctx *c, const sl_snap_table *t,
                             const sl_snap_column *pc, const sl_snap_column *nc,
                             int first) {
  const sl_identity *a = pc->identity, *b = nc->identity;
  const char *aschema, *bschema;
  sl_buf buf;
  if (first) {
    if (a == NULL || b != NULL) return SL_OK;
    alter_column_prefix(&buf, t, nc->name);
    sl_buf_adds(&buf, " DROP IDENTITY;");
    return emit_raw(c, &buf);
  }
  if (b == NULL) return SL_OK;
  if (a == NULL) {
    alter_column_prefix(&buf, t, nc->name);
    sl_buf_adds(&buf, b->by_default ? " ADD GENERATED BY DEFAULT AS IDENTITY"
                                    : " ADD GENERATED ALWAYS AS IDENTITY");
    sl_identity_options(&buf, '"', b);
    sl_buf_addc(&buf, ';');
    return emit_raw(c, &buf);
  }
  aschema = a->schema != NULL ? a->schema : tschema(t);
  bschema = b->schema != NULL ? b->schema : tschema(t);
  if (a->name != NULL && b->name != NULL && !str_eq(aschema, bschema)) {
    sl_buf_init(&buf);
    sl_buf_adds(&buf, "ALTER SEQUENCE ");
    add_qualified(&buf, aschema, a->name);
    sl_buf_adds(&buf, " SET SCHEMA ");
    sl_quote_ident(&buf, '"', bschema != NULL ? bschema : "public");
    sl_buf_addc(&buf, ';');
    if (emit_raw(c, &buf) != SL_OK) return SL_ERROR;
  }
  if (a->name != NULL && b->name != NULL && strcmp(a->name, b->name) != 0) {
    sl_buf_init(&buf);
    sl_buf_adds(&buf, "ALTER SEQUENCE ");
    add_qualified(&buf, bschema, a->name);
    sl_buf_adds(&buf, " RENAME TO ");
    sl_quote_ident(&buf, '"', b->name);
    sl_buf_addc(&buf, ';');
    if (emit_raw(c, &buf) != SL_OK) return SL_ERROR;
  }
  if (a->by_default == b->by_default &&
      strcmp(a->increment, b->increment) == 0 && strcmp(a->min, b->min) == 0 &&
      strcmp(a->max, b->max) == 0 && strcmp(a->start, b->start) == 0 &&
      strcmp(a->cache, b->cache) == 0 && a->cycle == b->cycle)
    return SL_OK;
  alter_column_prefix(&buf, t, nc->name);
  if (a->by_default != b->by_default)
    sl_buf_adds(&buf, b->by_default ? " SET GENERATED BY DEFAULT"
                                    : " SET GENERATED ALWAYS");
  if (strcmp(a->increment, b->increment) != 0) {
    sl_buf_adds(&buf, " SET INCREMENT BY ");
    sl_buf_adds(&buf, b->increment);
  }
  if (strcmp(a->min, b->min) != 0) {
    sl_buf_adds(&buf, " SET MINVALUE ");
    sl_buf_adds(&buf, b->min);
  }
  if (strcmp(a->max, b->max) != 0) {
    sl_buf_adds(&buf, " SET MAXVALUE ");
    sl_buf_adds(&buf, b->max);
  }
  if (strcmp(a->start, b->start) != 0) {
    sl_buf_adds(&buf, " SET START WITH ");
    sl_buf_adds(&buf, b->start);
  }
  if (strcmp(a->cache, b->cache) != 0) {
    sl_buf_adds(&buf, " SET CACHE ");
    sl_buf_adds(&buf, b->cache);
  }
  if (a->cycle != b->cycle)
    sl_buf_adds(&buf, b->cycle ? " SET CYCLE" : " SET NO CYCLE");
  sl_buf_addc(&buf, ';');
  return emit_raw(c, &buf);
}

static int pg_alter_column(dctx *c, int ni, int k, const colchg *ch) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const sl_snap_column *pc = prev_col(c, ni, k), *nc = &nt->columns[k];
  int done = c->tn[ni].enum_done[k], array;
  int had_default = pc->default_ != NULL || serial_base(pc->type) != NULL;
  int retype = ch->type && !done, dropped_default = 0;
  sl_ddl s;
  sl_coldef cd;
  if (ch->generated) {
    /* no ALTER for a generation expression: drop and add the column */
    ddl_init(&s, SL_DDL_DROP_COLUMN, nt);
    s.name = nc->name;
    emit(c, &s);
    if (coldef_of(c, nc, &cd) != SL_OK) return SL_ERROR;
    cd.primary_key = 0;
    ddl_init(&s, SL_DDL_ADD_COLUMN, nt);
    s.column = &cd;
    return emit(c, &s);
  }
  if (ch->identity && pg_alter_identity(c, nt, pc, nc, 1) != SL_OK)
    return SL_ERROR;
  if (retype) {
    const char *base = serial_base(nc->type);
    /* the old default may not convert to the new type */
    if (had_default) {
      ddl_init(&s, SL_DDL_DROP_DEFAULT, nt);
      s.name = nc->name;
      emit(c, &s);
      dropped_default = 1;
    }
    ddl_init(&s, SL_DDL_SET_TYPE, nt);
    s.name = nc->name;
    s.type = base ? base : nc->type;
    /* enum to anything goes through text */
    s.using_ =
        type_enum(c->p, pc->type, &array) ? (array ? "text[]" : "text") : "";
    /* integer <-> serial keeps the storage type */
    if (!type_eq(serial_base(pc->type) ? serial_base(pc->type) : pc->type,
                 s.type))
      emit(c, &s);
    if (base != NULL && serial_base(pc->type) == NULL &&
        pg_make_serial(c, nt, nc) != SL_OK)
      return SL_ERROR;
    if (base == NULL && serial_base(pc->type) != NULL &&
        pg_drop_serial(c, nt, nc) != SL_OK)
      return SL_ERROR;
  }
  if (!done && nc->default_ != NULL && (ch->default_ || dropped_default)) {
    ddl_init(&s, SL_DDL_SET_DEFAULT, nt);
    s.name = nc->name;
    s.default_sql = nc->default_;
    emit(c, &s);
  } else if (!done && ch->default_ && nc->default_ == NULL &&
             !dropped_default) {
    ddl_init(&s, SL_DDL_DROP_DEFAULT, nt);
    s.name = nc->name;
    emit(c, &s);
  }
  if (ch->not_null) {
    ddl_init(&s, nc->not_null ? SL_DDL_SET_NOT_NULL : SL_DDL_DROP_NOT_NULL, nt);
    s.name = nc->name;
    emit(c, &s);
  }
  if (ch->identity && pg_alter_identity(c, nt, pc, nc, 0) != SL_OK)
    return SL_ERROR;
  return c->failed ? SL_ERROR : SL_OK;
}

/* Step 7 for next table ni: add new columns, alter changed ones. */
static int table_columns(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  sl_ddl s;
  sl_coldef cd;
  int k;
  for (k = 0; k < nt->ncolumns && !c->failed; k++) {
    const sl_snap_column *pc = prev_col(c, ni, k), *nc = &nt->columns[k];
    colchg ch;
    if (pc == NULL) {
      int risky = nc->not_null && nc->default_ == NULL &&
                  nc->generated == NULL && !nc->autoincrement &&
                  serial_base(nc->type) == NULL &&
                  !(c->fam == SL_FAM_MYSQL && type_eq(nc->type, "serial"));
      if (coldef_of(c, nc, &cd) != SL_OK) return SL_ERROR;
      cd.primary_key = inline_pk(c, ni, k);
      ddl_init(&s, SL_DDL_ADD_COLUMN, nt);
      s.column = &cd;
      emit(c, &s);
      if (risky)
        change(c, "add_column", nt, nc->name, NULL, 1,
               "add column %s.%s (NOT NULL without a default: fails if %s "
               "has rows)",
               tdisplay(nt), nc->name, tdisplay(nt));
      else
        change(c, "add_column", nt, nc->name, NULL, 0, "add column %s.%s",
               tdisplay(nt), nc->name);
      continue;
    }
    column_changes(c, ni, k, &ch);
    if (!(ch.type || ch.default_ || ch.not_null || ch.autoinc || ch.generated ||
          ch.on_update || ch.identity))
      continue;
    record_column_changes(c, nt, pc, nc, &ch);
    if (c->fam == SL_FAM_POSTGRESQL) {
      if (pg_alter_column(c, ni, k, &ch) != SL_OK) return SL_ERROR;
    } else if (c->fam == SL_FAM_MYSQL) {
      /* MODIFY restates the whole column; AUTO_INCREMENT waits for a new
      ** key (step 8) */
      if (coldef_of(c, nc, &cd) != SL_OK) return SL_ERROR;
      if (cd.autoincrement && in_pk(c, nt, nc->name) && pk_changed(c, ni))
        cd.autoincrement = 0;
      ddl_init(&s, SL_DDL_MODIFY_COLUMN, nt);
      s.column = &cd;
      emit(c, &s);
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Step 8 for next table ni: the new primary key, unique and check
** constraints. */
static int table_add_constraints(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const sl_snap_table *pt = &c->p->tables[c->tn[ni].prev];
  objmatch m;
  sl_ddl s;
  char b1[512], b2[512];
  int j;
  if (pk_changed(c, ni)) {
    const char **pc, **nc;
    int np = pk_columns(c, pt, &pc), nn = pk_columns(c, nt, &nc), k;
    int inl = 0;
    sl_keydef key;
    for (k = 0; k < nt->ncolumns; k++)
      if (inline_pk(c, ni, k)) inl = 1;
    if (nn > 0 && !inl) {
      key.name = is_pg(c) ? pk_name(c, nt) : NULL;
      key.columns = nc;
      key.ncolumns = nn;
      ddl_init(&s, SL_DDL_ADD_PRIMARY_KEY, nt);
      s.key = &key;
      emit(c, &s);
      /* MySQL: AUTO_INCREMENT of existing key columns, now that they are
      ** a key (see my_demote_pk) */
      for (k = 0; k < nt->ncolumns && c->fam == SL_FAM_MYSQL; k++) {
        sl_coldef cd;
        if (!nt->columns[k].autoincrement || prev_col(c, ni, k) == NULL ||
            !in_pk(c, nt, nt->columns[k].name))
          continue;
        if (coldef_of(c, &nt->columns[k], &cd) != SL_OK) return SL_ERROR;
        ddl_init(&s, SL_DDL_MODIFY_COLUMN, nt);
        s.column = &cd;
        emit(c, &s);
      }
    }
    if (nn == 0)
      change(c, "alter_primary_key", nt, NULL, NULL, 0,
             "drop primary key %s of %s", name_list(b1, sizeof b1, pc, np),
             tdisplay(nt));
    else
      change(c, "alter_primary_key", nt, NULL, NULL, 1,
             "set primary key of %s to %s%s%s (fails if rows hold duplicates "
             "or NULLs)",
             tdisplay(nt), name_list(b2, sizeof b2, nc, nn),
             np > 0 ? ", was " : "",
             np > 0 ? name_list(b1, sizeof b1, pc, np) : "");
  }
  if (match_objects(c, ni, OBJ_UNIQUE, &m) != SL_OK) return SL_ERROR;
  for (j = 0; j < nt->nuniques; j++) {
    sl_keydef key;
    if (m.nm[j] >= 0) continue;
    key_of(&nt->uniques[j], &key);
    ddl_init(&s, SL_DDL_ADD_UNIQUE, nt);
    s.key = &key;
    emit(c, &s);
    change(c, "add_unique", nt, NULL, key.name, 1,
           "add unique constraint %s on %s %s (fails if rows hold duplicates)",
           key.name, tdisplay(nt),
           name_list(b1, sizeof b1, key.columns, key.ncolumns));
  }
  if (match_objects(c, ni, OBJ_CHECK, &m) != SL_OK) return SL_ERROR;
  for (j = 0; j < nt->nchecks; j++) {
    sl_checkdef ck;
    if (m.nm[j] >= 0) continue;
    ck.name = nt->checks[j].name;
    ck.expr = raw_node(c, nt->checks[j].value);
    if (ck.expr == NULL) return SL_ERROR;
    ddl_init(&s, SL_DDL_ADD_CHECK, nt);
    s.check = &ck;
    emit(c, &s);
    change(c, "add_check", nt, NULL, ck.name, 0,
           "add check %s on %s (fails if a row violates it)", ck.name,
           tdisplay(nt));
  }
  return c->failed ? SL_ERROR : SL_OK;
}

static int emit_add_fk(dctx *c, const sl_snap_table *t, const sl_snap_fk *f) {
  sl_fk fk;
  sl_ddl s;
  char b1[512], b2[512];
  fk_of(f, &fk);
  ddl_init(&s, SL_DDL_ADD_FOREIGN_KEY, t);
  s.fk = &fk;
  emit(c, &s);
  return change(c, "add_fk", t, NULL, f->name, 0,
                "add foreign key %s on %s %s -> %s %s", f->name, tdisplay(t),
                name_list(b1, sizeof b1, f->columns, f->ncolumns), f->ref_table,
                name_list(b2, sizeof b2, f->ref_columns, f->nref_columns));
}

/* Step 11 for next table ni: foreign keys added to an existing table, or
** left out of a new table's CREATE TABLE (cycles). */
static int table_add_fks(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  objmatch m;
  int j;
  if (c->tn[ni].prev < 0) {
    for (j = 0; j < nt->nfks; j++)
      if (c->tn[ni].deferred_fk[j] && emit_add_fk(c, nt, &nt->fks[j]) != SL_OK)
        return SL_ERROR;
    return SL_OK;
  }
  if (match_objects(c, ni, OBJ_FK, &m) != SL_OK) return SL_ERROR;
  for (j = 0; j < nt->nfks; j++)
    if (m.nm[j] < 0 && emit_add_fk(c, nt, &nt->fks[j]) != SL_OK)
      return SL_ERROR;
  return SL_OK;
}

/* Step 10 for next table ni: new and changed indexes; all of them after a
** rebuild. */
static int table_create_indexes(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  objmatch m;
  int j;
  if (c->tn[ni].prev >= 0 && match_objects(c, ni, OBJ_INDEX, &m) != SL_OK)
    return SL_ERROR;
  for (j = 0; j < nt->nindexes; j++) {
    int is_new = c->tn[ni].prev < 0 || m.nm[j] < 0;
    if (!is_new && !c->tn[ni].rebuild) continue;
    if (emit_create_index(c, nt, &nt->indexes[j]) != SL_OK) return SL_ERROR;
    if (is_new)
      change(c, "create_index", nt, NULL, nt->indexes[j].name, 0,
             "create %sindex %s on %s", nt->indexes[j].unique ? "unique " : "",
             nt->indexes[j].name, tdisplay(nt));
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* SQLite: rebuilds next table ni (see the file comment); its column and
** constraint changes are recorded, not spelled as ALTER statements. */
static int sqlite_rebuild(dctx *c, int ni) {
  const sl_snap_table *nt = &c->n->tables[ni];
  const char *tmp = outf(c, "__new_%s", nt->name);
  const char **cols;
  sl_ddl s;
  int k, n = 0;
  if (tmp == NULL) return SL_ERROR;
  c->record_only = 1;
  table_drop_constraints(c, ni);
  table_drop_columns(c, ni);
  table_columns(c, ni);
  table_add_constraints(c, ni);
  table_add_fks(c, ni);
  c->record_only = 0;
  if (c->failed) return SL_ERROR;
  if (c->tn[ni].reasons.oom) return oom(c);
  change(c, "rebuild_table", nt, NULL, NULL, 0,
         "rebuild table %s (SQLite cannot ALTER: %s)", tdisplay(nt),
         c->tn[ni].reasons.p ? c->tn[ni].reasons.p : "");
  ddl_init(&s, SL_DDL_NODE, NULL);
  s.node = create_table_node(c, nt, tmp, NULL);
  if (s.node == NULL) return SL_ERROR;
  emit(c, &s);
  /* the columns both tables have; generated ones compute themselves */
  cols = scratch(c, (size_t)nt->ncolumns, sizeof *cols);
  if (cols == NULL) return SL_ERROR;
  for (k = 0; k < nt->ncolumns; k++)
    if (prev_col(c, ni, k) != NULL && nt->columns[k].generated == NULL)
      cols[n++] = nt->columns[k].name;
  if (n > 0) {
    ddl_init(&s, SL_DDL_COPY_ROWS, NULL);
    s.table = tmp;
    s.source = nt->name;
    s.columns = cols;
    s.ncolumns = n;
    emit(c, &s);
  }
  ddl_init(&s, SL_DDL_DROP_TABLE, nt);
  emit(c, &s);
  ddl_init(&s, SL_DDL_RENAME_TABLE, NULL);
  s.table = tmp;
  s.new_name = nt->name;
  emit(c, &s);
  return c->failed ? SL_ERROR : SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** The diff
** ===================================================================== */

/* {====================================================================
** Sequences (PostgreSQL)
** ===================================================================== */

static const sl_identity *find_sequence(const sl_snapshot *s,
                                        const sl_identity *q) {
  int i;
  for (i = 0; i < s->nsequences; i++)
    if (strcmp(s->sequences[i].schema, q->schema) == 0 &&
        strcmp(s->sequences[i].name, q->name) == 0)
      return &s->sequences[i];
  return NULL;
}

static const char *sequence_display(dctx *c, const sl_identity *q) {
  return strcmp(q->schema, "public") == 0
             ? q->name
             : outf(c, "%s.%s", q->schema, q->name);
}

/* New sequences are created, changed ones altered (before the tables,
** whose defaults may call nextval). */
static int phase_create_sequences(dctx *c) {
  int i;
  sl_buf b;
  for (i = 0; i < c->n->nsequences && !c->failed; i++) {
    const sl_identity *q = &c->n->sequences[i], *pq = find_sequence(c->p, q);
    const char *name = sequence_display(c, q);
    if (pq != NULL && identity_eq(pq, q)) continue;
    sl_buf_init(&b);
    sl_buf_adds(&b, pq == NULL ? "CREATE SEQUENCE " : "ALTER SEQUENCE ");
    add_qualified(&b, q->schema, q->name);
    sl_buf_addc(&b, ' ');
    sl_sequence_options(&b, q);
    if (pq != NULL && pq->cycle && !q->cycle) sl_buf_adds(&b, " NO CYCLE");
    sl_buf_addc(&b, ';');
    if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
    if (pq == NULL)
      change(c, "create_sequence", NULL, NULL, name, 0, "create sequence %s",
             name);
    else
      change(c, "alter_sequence", NULL, NULL, name, 0, "alter sequence %s",
             name);
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Sequences the next snapshot lacks are dropped (after the tables that
** may use them); their current value is lost. */
static int phase_drop_sequences(dctx *c) {
  int i;
  sl_buf b;
  for (i = 0; i < c->p->nsequences && !c->failed; i++) {
    const sl_identity *q = &c->p->sequences[i];
    const char *name;
    if (find_sequence(c->n, q) != NULL) continue;
    name = sequence_display(c, q);
    sl_buf_init(&b);
    sl_buf_adds(&b, "DROP SEQUENCE ");
    add_qualified(&b, q->schema, q->name);
    sl_buf_addc(&b, ';');
    if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
    change(c, "drop_sequence", NULL, NULL, name, 1,
           "drop sequence %s (its current value is lost)", name);
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Row-level security and roles (PostgreSQL)
** ===================================================================== */

/* A role in a TO list: the keywords bare, other names quoted. */
static void add_role(sl_buf *b, const char *r) {
  if (strcmp(r, "public") == 0 || strcmp(r, "current_user") == 0 ||
      strcmp(r, "current_role") == 0 || strcmp(r, "session_user") == 0)
    sl_buf_adds(b, r);
  else
    sl_quote_ident(b, '"', r);
}

static const sl_snap_policy *find_policy(const sl_snap_table *t,
                                         const char *name) {
  int i;
  for (i = 0; i < t->npolicies; i++)
    if (strcmp(t->policies[i].name, name) == 0) return &t->policies[i];
  return NULL;
}

static int policy_same(const sl_snap_policy *a, const sl_snap_policy *b) {
  int i;
  if (a->restrictive != b->restrictive || strcmp(a->cmd, b->cmd) != 0 ||
      !str_eq(a->using_, b->using_) || !str_eq(a->with_check, b->with_check) ||
      a->nto != b->nto)
    return 0;
  for (i = 0; i < a->nto; i++)
    if (strcmp(a->to[i], b->to[i]) != 0) return 0;
  return 1;
}

static int emit_policy(dctx *c, const sl_snap_table *t, const sl_snap_policy *p,
                       int create) {
  sl_buf b;
  int i;
  const char *what = outf(c, "%s on %s", p->name, tdisplay(t));
  sl_buf_init(&b);
  sl_buf_adds(&b, create ? "CREATE POLICY " : "DROP POLICY ");
  sl_quote_ident(&b, '"', p->name);
  sl_buf_adds(&b, " ON ");
  add_qualified(&b, tschema(t), t->name);
  if (create) {
    sl_buf_adds(&b, p->restrictive ? " AS RESTRICTIVE FOR "
                                   : " AS PERMISSIVE FOR ");
    sl_buf_adds(&b, p->cmd);
    sl_buf_adds(&b, " TO ");
    for (i = 0; i < p->nto; i++) {
      if (i > 0) sl_buf_adds(&b, ", ");
      add_role(&b, p->to[i]);
    }
    if (p->using_ != NULL) {
      sl_buf_adds(&b, " USING (");
      sl_buf_adds(&b, p->using_);
      sl_buf_addc(&b, ')');
    }
    if (p->with_check != NULL) {
      sl_buf_adds(&b, " WITH CHECK (");
      sl_buf_adds(&b, p->with_check);
      sl_buf_addc(&b, ')');
    }
  }
  sl_buf_addc(&b, ';');
  if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
  change(c, create ? "create_policy" : "drop_policy", t, NULL, p->name, 0,
         "%s policy %s", create ? "create" : "drop", what ? what : p->name);
  return SL_OK;
}

/* Policies that went away or changed are dropped before the tables
** change (a policy may use a column being dropped). */
static int phase_drop_policies(dctx *c) {
  int ni, i;
  for (ni = 0; ni < c->n->ntables && !c->failed; ni++) {
    const sl_snap_table *nt = &c->n->tables[ni], *pt;
    if (c->tn[ni].prev < 0) continue;
    pt = &c->p->tables[c->tn[ni].prev];
    for (i = 0; i < pt->npolicies; i++) {
      const sl_snap_policy *np = find_policy(nt, pt->policies[i].name);
      if (np == NULL || !policy_same(&pt->policies[i], np))
        if (emit_policy(c, nt, &pt->policies[i], 0) != SL_OK) return SL_ERROR;
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* Row-level security switched on or off, and the new or changed policies
** created, once the tables are as the next snapshot says. */
static int phase_policies(dctx *c) {
  int ni, i;
  sl_buf b;
  for (ni = 0; ni < c->n->ntables && !c->failed; ni++) {
    const sl_snap_table *nt = &c->n->tables[ni];
    const sl_snap_table *pt =
        c->tn[ni].prev >= 0 ? &c->p->tables[c->tn[ni].prev] : NULL;
    if ((pt ? pt->rls : 0) != nt->rls) {
      sl_buf_init(&b);
      sl_buf_adds(&b, "ALTER TABLE ");
      add_qualified(&b, tschema(nt), nt->name);
      sl_buf_adds(&b, nt->rls ? " ENABLE ROW LEVEL SECURITY;"
                              : " DISABLE ROW LEVEL SECURITY;");
      if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
      change(c, nt->rls ? "enable_rls" : "disable_rls", nt, NULL, NULL, 0,
             "%s row-level security on %s", nt->rls ? "enable" : "disable",
             tdisplay(nt));
    }
    for (i = 0; i < nt->npolicies; i++) {
      const sl_snap_policy *pp =
          pt ? find_policy(pt, nt->policies[i].name) : NULL;
      if (pp != NULL && policy_same(pp, &nt->policies[i])) continue;
      if (emit_policy(c, nt, &nt->policies[i], 1) != SL_OK) return SL_ERROR;
    }
  }
  return c->failed ? SL_ERROR : SL_OK;
}

static const sl_snap_role *find_role(const sl_snapshot *s, const char *name) {
  int i;
  for (i = 0; i < s->nroles; i++)
    if (strcmp(s->roles[i].name, name) == 0) return &s->roles[i];
  return NULL;
}

static void role_options(sl_buf *b, const sl_snap_role *r) {
  sl_buf_adds(b, r->create_db ? " CREATEDB" : " NOCREATEDB");
  sl_buf_adds(b, r->create_role ? " CREATEROLE" : " NOCREATEROLE");
  sl_buf_adds(b, r->inherit ? " INHERIT" : " NOINHERIT");
}

/* New roles are created and changed ones altered first (policies name
** them); roles the next snapshot lacks are dropped last. */
static int phase_roles(dctx *c, int drop) {
  const sl_snapshot *from = drop ? c->p : c->n, *other = drop ? c->n : c->p;
  int i;
  sl_buf b;
  for (i = 0; i < from->nroles && !c->failed; i++) {
    const sl_snap_role *r = &from->roles[i], *o = find_role(other, r->name);
    if (drop) {
      if (o != NULL) continue;
      sl_buf_init(&b);
      sl_buf_adds(&b, "DROP ROLE ");
      sl_quote_ident(&b, '"', r->name);
      sl_buf_addc(&b, ';');
      if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
      change(c, "drop_role", NULL, NULL, r->name, 0, "drop role %s", r->name);
      continue;
    }
    if (o != NULL && o->create_db == r->create_db &&
        o->create_role == r->create_role && o->inherit == r->inherit)
      continue;
    sl_buf_init(&b);
    sl_buf_adds(&b, o == NULL ? "CREATE ROLE " : "ALTER ROLE ");
    sl_quote_ident(&b, '"', r->name);
    sl_buf_adds(&b, " WITH");
    role_options(&b, r);
    sl_buf_addc(&b, ';');
    if (emit_raw(c, &b) != SL_OK) return SL_ERROR;
    change(c, o == NULL ? "create_role" : "alter_role", NULL, NULL, r->name, 0,
           "%s role %s", o == NULL ? "create" : "alter", r->name);
  }
  return c->failed ? SL_ERROR : SL_OK;
}

/* }==================================================================== */

/* Every phase of the file comment, in order. */
static int run_phases(dctx *c) {
  int ni, sq = c->fam == SL_FAM_SQLITE;
#define EACH_MATCHED(body) \
  for (ni = 0; ni < c->n->ntables && !c->failed; ni++) \
    if (c->tn[ni].prev >= 0) { \
      body; \
    }
  if (is_pg(c) && phase_roles(c, 0) != SL_OK) return SL_ERROR;
  if (is_pg(c) && phase_create_schemas_enums(c) != SL_OK) return SL_ERROR;
  if (is_pg(c) && phase_create_sequences(c) != SL_OK) return SL_ERROR;
  if (phase_renames(c) != SL_OK) return SL_ERROR;
  if (is_pg(c) && phase_drop_policies(c) != SL_OK) return SL_ERROR;
  EACH_MATCHED(if (!sq) table_drop_constraints(c, ni));
  EACH_MATCHED(table_drop_indexes(c, ni));
  if (phase_drop_tables(c) != SL_OK) return SL_ERROR;
  EACH_MATCHED(if (!c->tn[ni].rebuild) table_drop_columns(c, ni));
  if (is_pg(c) && phase_recreate_enums(c) != SL_OK) return SL_ERROR;
  EACH_MATCHED(if (!c->tn[ni].rebuild) table_columns(c, ni));
  EACH_MATCHED(if (!sq) table_add_constraints(c, ni));
  if (phase_create_tables(c) != SL_OK) return SL_ERROR;
  EACH_MATCHED(if (c->tn[ni].rebuild) sqlite_rebuild(c, ni));
  for (ni = 0; ni < c->n->ntables && !c->failed; ni++)
    table_create_indexes(c, ni);
  for (ni = 0; ni < c->n->ntables && !c->failed; ni++)
    if (!sq) table_add_fks(c, ni);
  if (is_pg(c) && phase_policies(c) != SL_OK) return SL_ERROR;
  if (is_pg(c) && phase_drop_sequences(c) != SL_OK) return SL_ERROR;
  if (is_pg(c) && phase_drop_enums_schemas(c) != SL_OK) return SL_ERROR;
  if (is_pg(c) && phase_roles(c, 1) != SL_OK) return SL_ERROR;
#undef EACH_MATCHED
  return c->failed ? SL_ERROR : SL_OK;
}

/* Copies the results into out (arena memory); the SQLite foreign-key
** wrapper goes around the statements when needed. */
static int finish(dctx *c, sl_diff *out) {
  int i, n = 0, wrap = c->fk_off && c->nstmts > 0;
  static const char *const pragmas[] = {"PRAGMA foreign_keys=OFF;",
                                        "PRAGMA foreign_key_check;",
                                        "PRAGMA foreign_keys=ON;"};
  memset(out, 0, sizeof *out);
  if (c->nunres > 0) {
    out->unresolved =
        sl_arena_alloc(c->out, (size_t)c->nunres * sizeof *out->unresolved);
    if (out->unresolved == NULL) return oom(c);
    memcpy(out->unresolved, c->unres, (size_t)c->nunres * sizeof *c->unres);
    out->nunresolved = c->nunres;
    return SL_OK;
  }
  out->statements =
      sl_arena_alloc(c->out, ((size_t)c->nstmts + 4) * sizeof *out->statements);
  if (out->statements == NULL) return oom(c);
  if (wrap) out->statements[n++] = pragmas[0];
  for (i = 0; i < c->nstmts; i++)
    out->statements[n++] = c->stmts[i];
  if (wrap) {
    out->statements[n++] = pragmas[1];
    out->statements[n++] = pragmas[2];
  }
  out->nstatements = n;
  if (c->nchanges > 0) {
    out->changes =
        sl_arena_alloc(c->out, (size_t)c->nchanges * sizeof *out->changes);
    if (out->changes == NULL) return oom(c);
    memcpy(out->changes, c->changes, (size_t)c->nchanges * sizeof *c->changes);
    out->nchanges = c->nchanges;
  }
  return SL_OK;
}

/* Diffs prev into next for dialect d (see sleet.h). */
int sl_diff_snapshots(const sl_dialect *d, const sl_snapshot *prev,
                      const sl_snapshot *next, const sl_diff_opts *opts,
                      sl_arena *a, sl_diff *out, sl_error *err) {
  dctx c;
  sl_error scratch_err;
  int rc, i;
  if (err == NULL) err = &scratch_err;
  if (d == NULL || prev == NULL || next == NULL || a == NULL || out == NULL)
    return sl_error_set(err, SL_EK_USAGE,
                        "sl_diff_snapshots: missing dialect, snapshot or "
                        "output");
  memset(out, 0, sizeof *out);
  memset(&c, 0, sizeof c);
  c.d = d;
  c.fam = sl_dialect_family(d);
  c.p = prev;
  c.n = next;
  c.opts = opts;
  c.out = a;
  c.err = err;
  if (sl_dialect_family(prev->dialect) != c.fam ||
      sl_dialect_family(next->dialect) != c.fam)
    return sl_error_set(err, SL_EK_USAGE,
                        "cannot diff a %s snapshot into a %s one for %s",
                        prev->dialect->name, next->dialect->name, d->name);
  c.tmp = sl_arena_new();
  if (c.tmp == NULL) return sl_error_set(err, SL_EK_USAGE, "out of memory");
  rc = match_tables(&c);
  if (rc == SL_OK) rc = unresolved_tables(&c);
  if (rc == SL_OK) rc = match_columns(&c);
  if (rc == SL_OK && c.nunres == 0 && c.fam == SL_FAM_SQLITE)
    rc = sqlite_plan(&c);
  if (rc == SL_OK && c.nunres == 0) rc = run_phases(&c);
  if (rc == SL_OK && !c.failed) rc = finish(&c, out);
  if (c.failed) rc = SL_ERROR;
  if (rc != SL_OK) memset(out, 0, sizeof *out);
  for (i = 0; c.tn != NULL && i < next->ntables; i++)
    sl_buf_free(&c.tn[i].reasons);
  free(c.stmts);
  free(c.changes);
  free(c.unres);
  sl_arena_free(c.tmp);
  return rc;
}

/* }==================================================================== */
