/*
** render_fuzz.c — libFuzzer target of the renderer (sl_render.c, sl_ddl.c,
** sl_dialect.c): fuzz bytes drive the construction of a statement tree of
** any node kinds, which is rendered for each of the three dialects as a
** statement and as DDL text (parameters inlined), then used in one
** migration statement (sl_ddl) of a fuzzed kind.
**
** Trees are built as the binding builds them: every list holds as many
** entries as its count says, strings are NUL-terminated. Anything else is
** fair game: NULL children and names, out-of-range operators, join types,
** conflict actions and node kinds, text with NUL bytes, NaN and infinite
** floats, nesting up to the renderer's depth limit and beyond.
**
** A render must return SL_OK with text whose length is its strlen, or
** SL_ERROR with a message; anything else (a sanitizer report, a missing
** message) stops the fuzzer.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sleet.h"

/* Past the renderer's limit (200), so that its check is reached. */
#define MAX_DEPTH 240
#define MAX_NODES 2000
/* List lengths are 0..MAX_LIST-1. */
#define MAX_LIST 4

typedef struct builder {
  fz_reader z;
  sl_arena *a;
  int nodes;
  int failed; /* out of memory: give up on this input */
} builder;

static const char *const NAMES[] = {"id",
                                    "users",
                                    "name",
                                    "a\"b",
                                    "a`b",
                                    "",
                                    "x y",
                                    "\xc3\xbc"
                                    "n"
                                    "\xc3\xaf"
                                    "code",
                                    "select",
                                    "public",
                                    "t.c",
                                    "?",
                                    "$1",
                                    "cascade",
                                    "set null",
                                    "no action",
                                    "restrict",
                                    "varchar(255)",
                                    "integer",
                                    "serial",
                                    "text[]",
                                    "now()",
                                    "lower(\"a\")",
                                    "--",
                                    "'quote'",
                                    "\\",
                                    "%s%n",
                                    "btree",
                                    "gin",
                                    "count"};
#define NNAMES ((int)(sizeof NAMES / sizeof NAMES[0]))

static void *mem(builder *b, size_t n) {
  void *p = sl_arena_alloc(b->a, n == 0 ? 1 : n);
  if (p == NULL) b->failed = 1;
  return p;
}

/* A name: one of NAMES, bytes of the input, or NULL. */
static const char *str(builder *b) {
  unsigned c = fz_byte(&b->z);
  if (c < 0xc0) return NAMES[c % NNAMES];
  if (c < 0xf0) {
    size_t len;
    const char *s = fz_bytes(&b->z, 24, &len);
    const char *copy = sl_arena_strndup(b->a, s, len);
    if (copy == NULL) b->failed = 1;
    return copy != NULL ? copy : "";
  }
  return NULL;
}

/* A name that is rarely NULL (where the binding always sets one). */
static const char *name(builder *b) {
  const char *s = str(b);
  return s != NULL || fz_pick(&b->z, 4) == 0 ? s : "n";
}

static const char **names(builder *b, int *n) {
  const char **v;
  int i;
  *n = fz_pick(&b->z, MAX_LIST);
  if (*n == 0 && fz_bool(&b->z)) return NULL;
  v = mem(b, (size_t)*n * sizeof *v);
  if (v == NULL) {
    *n = 0;
    return NULL;
  }
  for (i = 0; i < *n; i++)
    v[i] = name(b);
  return v;
}

static void value(builder *b, sl_value *v) {
  v->type = (sl_vtype)fz_pick(&b->z, 6);
  switch (v->type) {
  case SL_V_INT:
    v->u.i = (int64_t)fz_u64(&b->z);
    break;
  case SL_V_FLOAT: {
    static const double special[] = {0.0, -0.0, 1.5, 1e308, -1e-320};
    int k = fz_pick(&b->z, 8);
    if (k < 5)
      v->u.f = special[k];
    else if (k == 5)
      v->u.f = (double)NAN;
    else if (k == 6)
      v->u.f = fz_bool(&b->z) ? (double)INFINITY : -(double)INFINITY;
    else {
      uint64_t bits = fz_u64(&b->z);
      memcpy(&v->u.f, &bits, sizeof v->u.f);
    }
    break;
  }
  case SL_V_BOOL:
    v->u.b = fz_bool(&b->z);
    break;
  case SL_V_TEXT:
  case SL_V_BLOB:
    /* raw bytes: may hold NUL, quotes, backslashes, invalid UTF-8 */
    v->u.s.p = fz_bytes(&b->z, 32, &v->u.s.n);
    break;
  default:
    break;
  }
}

static sl_node *node(builder *b, int depth);

/* A child: a node, or NULL now and then. */
static sl_node *child(builder *b, int depth) {
  if (fz_pick(&b->z, 16) == 0) return NULL;
  return node(b, depth + 1);
}

/* A select or set operation, as subquery slots hold; sometimes anything. */
static sl_node *query(builder *b, int depth);

static sl_list list(builder *b, int depth) {
  sl_list l;
  int i;
  l.n = fz_pick(&b->z, MAX_LIST);
  l.v = NULL;
  if (l.n == 0 && fz_bool(&b->z)) return l;
  l.v = mem(b, (size_t)l.n * sizeof *l.v);
  if (l.v == NULL) {
    l.n = 0;
    return l;
  }
  for (i = 0; i < l.n; i++)
    l.v[i] = child(b, depth);
  return l;
}

static sl_fields fields(builder *b, int depth) {
  sl_fields f;
  int i;
  f.n = fz_pick(&b->z, MAX_LIST);
  f.v = f.n > 0 || fz_bool(&b->z) ? mem(b, (size_t)f.n * sizeof *f.v) : NULL;
  if (f.v == NULL) f.n = 0;
  for (i = 0; i < f.n; i++) {
    f.v[i].key = name(b);
    f.v[i].e = child(b, depth);
    f.v[i].codec = (sl_codec)fz_pick(&b->z, SL_C__COUNT);
    f.v[i].group = -1;
    f.v[i].shape = NULL;
  }
  return f;
}

static sl_cte *ctes(builder *b, int depth, int *n) {
  sl_cte *v;
  int i;
  *n = fz_pick(&b->z, 3);
  if (*n == 0) return NULL;
  v = mem(b, (size_t)*n * sizeof *v);
  if (v == NULL) {
    *n = 0;
    return NULL;
  }
  for (i = 0; i < *n; i++) {
    v[i].name = name(b);
    v[i].query = query(b, depth + 1);
  }
  return v;
}

static sl_assign *assigns(builder *b, int depth, int *n) {
  sl_assign *v;
  int i;
  *n = fz_pick(&b->z, MAX_LIST);
  if (*n == 0 && fz_bool(&b->z)) return NULL;
  v = mem(b, (size_t)*n * sizeof *v);
  if (v == NULL) {
    *n = 0;
    return NULL;
  }
  for (i = 0; i < *n; i++) {
    v[i].column = name(b);
    v[i].value = child(b, depth);
  }
  return v;
}

static sl_keydef *keydef(builder *b) {
  sl_keydef *k = mem(b, sizeof *k);
  if (k == NULL) return NULL;
  k->name = str(b);
  k->columns = names(b, &k->ncolumns);
  return k;
}

static void fk(builder *b, sl_fk *f) {
  static const char *const actions[] = {NULL,        "cascade",  "RESTRICT",
                                        "no action", "set null", "set default",
                                        "explode"};
  f->name = str(b);
  f->columns = names(b, &f->ncolumns);
  f->ref_schema = fz_bool(&b->z) ? str(b) : NULL;
  f->ref_table = name(b);
  f->ref_columns = names(b, &f->nref_columns);
  f->on_delete = actions[fz_pick(&b->z, 7)];
  f->on_update = actions[fz_pick(&b->z, 7)];
}

static void coldef(builder *b, int depth, sl_coldef *c) {
  unsigned flags = fz_byte(&b->z);
  c->name = name(b);
  c->type = name(b);
  c->not_null = (flags & 1u) != 0;
  c->primary_key = (flags & 2u) != 0;
  c->autoincrement = (flags & 4u) != 0;
  c->generated_stored = (flags & 8u) != 0;
  c->default_ = (flags & 16u) ? child(b, depth) : NULL;
  c->unique = (flags & 32u) ? str(b) : NULL;
  c->generated = (flags & 64u) ? child(b, depth) : NULL;
}

static void create_table(builder *b, sl_node *n, int depth) {
  int i;
  n->u.create_table.schema = fz_bool(&b->z) ? str(b) : NULL;
  n->u.create_table.name = name(b);
  n->u.create_table.if_not_exists = fz_bool(&b->z);
  n->u.create_table.ncolumns = fz_pick(&b->z, MAX_LIST);
  n->u.create_table.columns =
      mem(b, (size_t)n->u.create_table.ncolumns * sizeof(sl_coldef));
  if (n->u.create_table.columns == NULL) n->u.create_table.ncolumns = 0;
  for (i = 0; i < n->u.create_table.ncolumns; i++)
    coldef(b, depth, &n->u.create_table.columns[i]);
  n->u.create_table.primary_key = fz_pick(&b->z, 4) == 0 ? keydef(b) : NULL;
  n->u.create_table.nfks = fz_pick(&b->z, 3);
  n->u.create_table.fks =
      mem(b, (size_t)n->u.create_table.nfks * sizeof(sl_fk));
  if (n->u.create_table.fks == NULL) n->u.create_table.nfks = 0;
  for (i = 0; i < n->u.create_table.nfks; i++)
    fk(b, &n->u.create_table.fks[i]);
  n->u.create_table.nuniques = fz_pick(&b->z, 3);
  n->u.create_table.uniques =
      mem(b, (size_t)n->u.create_table.nuniques * sizeof(sl_keydef));
  if (n->u.create_table.uniques == NULL) n->u.create_table.nuniques = 0;
  for (i = 0; i < n->u.create_table.nuniques; i++) {
    n->u.create_table.uniques[i].name = str(b);
    n->u.create_table.uniques[i].columns =
        names(b, &n->u.create_table.uniques[i].ncolumns);
  }
  n->u.create_table.nchecks = fz_pick(&b->z, 3);
  n->u.create_table.checks =
      mem(b, (size_t)n->u.create_table.nchecks * sizeof(sl_checkdef));
  if (n->u.create_table.checks == NULL) n->u.create_table.nchecks = 0;
  for (i = 0; i < n->u.create_table.nchecks; i++) {
    n->u.create_table.checks[i].name = str(b);
    n->u.create_table.checks[i].expr = child(b, depth);
  }
}

static void select_(builder *b, sl_node *n, int depth) {
  int i;
  n->u.select.distinct = fz_bool(&b->z);
  n->u.select.ctes = ctes(b, depth, &n->u.select.nctes);
  n->u.select.fields = fields(b, depth);
  n->u.select.alias_fields = fz_bool(&b->z);
  n->u.select.from = fz_pick(&b->z, 4) != 0 ? child(b, depth) : NULL;
  n->u.select.njoins = fz_pick(&b->z, 3);
  n->u.select.joins = mem(b, (size_t)n->u.select.njoins * sizeof(sl_join));
  if (n->u.select.joins == NULL) n->u.select.njoins = 0;
  for (i = 0; i < n->u.select.njoins; i++) {
    sl_join *j = &n->u.select.joins[i];
    j->type = (sl_jointype)(fz_pick(&b->z, 7) - 1); /* -1 .. 5 */
    j->source = child(b, depth);
    j->on = child(b, depth);
  }
  n->u.select.where = fz_bool(&b->z) ? child(b, depth) : NULL;
  n->u.select.group_by = list(b, depth);
  n->u.select.having = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
  n->u.select.order_by = list(b, depth);
  n->u.select.limit = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
  n->u.select.offset = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
}

static void insert(builder *b, sl_node *n, int depth) {
  int i, j;
  n->u.insert.ctes = ctes(b, depth, &n->u.insert.nctes);
  n->u.insert.table = child(b, depth);
  n->u.insert.columns = names(b, &n->u.insert.ncolumns);
  n->u.insert.nrows = fz_pick(&b->z, MAX_LIST);
  n->u.insert.rows = NULL;
  if (n->u.insert.nrows > 0 || fz_bool(&b->z))
    n->u.insert.rows = mem(b, (size_t)n->u.insert.nrows * sizeof(sl_node **));
  if (n->u.insert.rows == NULL) n->u.insert.nrows = 0;
  for (i = 0; i < n->u.insert.nrows; i++) {
    sl_node **row = NULL;
    if (fz_pick(&b->z, 8) != 0)
      row = mem(b, (size_t)n->u.insert.ncolumns * sizeof *row);
    for (j = 0; row != NULL && j < n->u.insert.ncolumns; j++)
      row[j] = child(b, depth);
    n->u.insert.rows[i] = row;
  }
  n->u.insert.select = fz_pick(&b->z, 4) == 0 ? query(b, depth + 1) : NULL;
  n->u.insert.ignore = fz_bool(&b->z);
  n->u.insert.conflict = fz_pick(&b->z, 5) - 1; /* -1 .. 3 */
  n->u.insert.conflict_target = list(b, depth);
  n->u.insert.conflict_where = fz_bool(&b->z) ? child(b, depth) : NULL;
  n->u.insert.conflict_set = assigns(b, depth, &n->u.insert.nconflict_set);
  n->u.insert.conflict_set_where = fz_bool(&b->z) ? child(b, depth) : NULL;
  n->u.insert.dup_set =
      fz_pick(&b->z, 3) == 0 ? assigns(b, depth, &n->u.insert.ndup_set) : NULL;
  if (n->u.insert.dup_set == NULL) n->u.insert.ndup_set = 0;
  n->u.insert.returning = fields(b, depth);
  n->u.insert.has_returning = fz_bool(&b->z);
}

static sl_node *node(builder *b, int depth) {
  sl_node *n;
  int k;
  if (b->failed) return NULL;
  n = mem(b, sizeof *n);
  if (n == NULL) return NULL;
  if (depth >= MAX_DEPTH || ++b->nodes > MAX_NODES) {
    n->kind = SL_N_COL;
    n->u.col.name = "leaf";
    return n;
  }
  k = fz_pick(&b->z, (int)SL_N__COUNT + 1); /* SL_N__COUNT: unknown kind */
  n->kind = (sl_kind)k;
  switch (n->kind) {
  case SL_N_COL:
    n->u.col.table = str(b);
    n->u.col.name = name(b);
    break;
  case SL_N_PARAM:
    value(b, &n->u.param.v);
    n->u.param.codec = (sl_codec)fz_pick(&b->z, SL_C__COUNT);
    n->u.param.column = str(b);
    n->u.param.slot = fz_pick(&b->z, 4);
    break;
  case SL_N_PH:
    n->u.ph.name = name(b);
    n->u.ph.codec = (sl_codec)fz_pick(&b->z, SL_C__COUNT);
    n->u.ph.column = str(b);
    break;
  case SL_N_RAW:
    n->u.raw.text = name(b);
    break;
  case SL_N_IDENT:
    n->u.ident.name = name(b);
    break;
  case SL_N_SQL: {
    int i, cnt = fz_pick(&b->z, MAX_LIST);
    n->u.sql.n = cnt;
    n->u.sql.texts = fz_pick(&b->z, 8) != 0
                         ? mem(b, (size_t)(cnt + 1) * sizeof(char *))
                         : NULL;
    n->u.sql.nodes = mem(b, (size_t)cnt * sizeof(sl_node *));
    for (i = 0; i <= cnt && !b->failed; i++) {
      if (n->u.sql.texts != NULL) n->u.sql.texts[i] = str(b);
      if (i < cnt && n->u.sql.nodes != NULL)
        n->u.sql.nodes[i] = child(b, depth);
    }
    break;
  }
  case SL_N_NULL:
  case SL_N_DEFAULT:
    break;
  case SL_N_EXCLUDED:
    n->u.excluded.column = name(b);
    break;
  case SL_N_BIN:
    n->u.bin.op = (sl_binop)(fz_pick(&b->z, 12) - 1); /* -1 .. 10 */
    n->u.bin.l = child(b, depth);
    n->u.bin.r = child(b, depth);
    break;
  case SL_N_AND:
  case SL_N_OR:
    n->u.logic.list = list(b, depth);
    break;
  case SL_N_NOT:
    n->u.not_.e = child(b, depth);
    break;
  case SL_N_ISNULL:
    n->u.isnull.e = child(b, depth);
    n->u.isnull.negate = fz_bool(&b->z);
    break;
  case SL_N_IN:
    n->u.in.e = child(b, depth);
    n->u.in.negate = fz_bool(&b->z);
    if (fz_pick(&b->z, 3) == 0)
      n->u.in.subquery = query(b, depth + 1);
    else
      n->u.in.list = list(b, depth);
    break;
  case SL_N_BETWEEN:
    n->u.between.e = child(b, depth);
    n->u.between.lo = child(b, depth);
    n->u.between.hi = child(b, depth);
    n->u.between.negate = fz_bool(&b->z);
    break;
  case SL_N_EXISTS:
    n->u.exists.subquery = query(b, depth + 1);
    n->u.exists.negate = fz_bool(&b->z);
    break;
  case SL_N_FUNC:
    n->u.func.name = name(b);
    n->u.func.args = list(b, depth);
    n->u.func.distinct = fz_bool(&b->z);
    break;
  case SL_N_ALIAS:
    n->u.alias.e = child(b, depth);
    n->u.alias.name = name(b);
    break;
  case SL_N_ORDER:
    n->u.order.e = child(b, depth);
    n->u.order.desc = fz_bool(&b->z);
    break;
  case SL_N_SCALAR:
    n->u.scalar.query = query(b, depth + 1);
    break;
  case SL_N_TABLE:
    n->u.table.schema = fz_bool(&b->z) ? str(b) : NULL;
    n->u.table.name = name(b);
    n->u.table.alias = fz_bool(&b->z) ? str(b) : NULL;
    break;
  case SL_N_SUBQ:
    n->u.subq.query = query(b, depth + 1);
    n->u.subq.alias = name(b);
    break;
  case SL_N_SELECT:
    select_(b, n, depth);
    break;
  case SL_N_SETOP:
    n->u.setop.op = (sl_setop)(fz_pick(&b->z, 6) - 1); /* -1 .. 4 */
    n->u.setop.l = query(b, depth + 1);
    n->u.setop.r = query(b, depth + 1);
    n->u.setop.order_by = list(b, depth);
    n->u.setop.limit = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
    n->u.setop.offset = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
    break;
  case SL_N_INSERT:
    insert(b, n, depth);
    break;
  case SL_N_UPDATE:
    n->u.update.ctes = ctes(b, depth, &n->u.update.nctes);
    n->u.update.table = child(b, depth);
    n->u.update.set = assigns(b, depth, &n->u.update.nset);
    n->u.update.where = fz_bool(&b->z) ? child(b, depth) : NULL;
    n->u.update.returning = fields(b, depth);
    n->u.update.has_returning = fz_bool(&b->z);
    break;
  case SL_N_DELETE:
    n->u.delete_.ctes = ctes(b, depth, &n->u.delete_.nctes);
    n->u.delete_.table = child(b, depth);
    n->u.delete_.where = fz_bool(&b->z) ? child(b, depth) : NULL;
    n->u.delete_.returning = fields(b, depth);
    n->u.delete_.has_returning = fz_bool(&b->z);
    break;
  case SL_N_CREATE_TABLE:
    create_table(b, n, depth);
    break;
  case SL_N_CREATE_INDEX:
    n->u.create_index.name = name(b);
    n->u.create_index.schema = fz_bool(&b->z) ? str(b) : NULL;
    n->u.create_index.table = name(b);
    n->u.create_index.unique = fz_bool(&b->z);
    n->u.create_index.if_not_exists = fz_bool(&b->z);
    n->u.create_index.columns = list(b, depth);
    n->u.create_index.where = fz_bool(&b->z) ? child(b, depth) : NULL;
    break;
  case SL_N_CREATE_ENUM:
    n->u.create_enum.schema = fz_bool(&b->z) ? str(b) : NULL;
    n->u.create_enum.name = name(b);
    n->u.create_enum.values = names(b, &n->u.create_enum.nvalues);
    break;
  default: /* an unknown kind: nothing else is read */
    break;
  }
  return n;
}

static sl_node *query(builder *b, int depth) {
  sl_node *n;
  unsigned c = fz_byte(&b->z);
  if (c % 8 == 7) return node(b, depth); /* anything, even a column */
  if (c % 8 == 6) return NULL;
  if (b->failed) return NULL;
  if (depth >= MAX_DEPTH || ++b->nodes > MAX_NODES) return NULL;
  n = mem(b, sizeof *n);
  if (n == NULL) return NULL;
  if (c % 8 < 5) {
    n->kind = SL_N_SELECT;
    select_(b, n, depth);
  } else {
    n->kind = SL_N_SETOP;
    n->u.setop.op = (sl_setop)fz_pick(&b->z, 4);
    n->u.setop.l = query(b, depth + 1);
    n->u.setop.r = query(b, depth + 1);
    n->u.setop.order_by = list(b, depth);
    n->u.setop.limit = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
    n->u.setop.offset = fz_pick(&b->z, 4) == 0 ? child(b, depth) : NULL;
  }
  return n;
}

/* One migration statement of a fuzzed kind around the tree n. */
static void ddl(builder *b, sl_node *n, sl_ddl *s) {
  s->kind = (sl_ddl_kind)fz_pick(&b->z, (int)SL_DDL_PRAGMA + 2);
  s->schema = fz_bool(&b->z) ? str(b) : NULL;
  s->table = name(b);
  s->name = str(b);
  s->new_name = str(b);
  s->type = str(b);
  s->using_ = str(b);
  s->default_sql = str(b);
  s->value = str(b);
  s->before = fz_bool(&b->z) ? str(b) : NULL;
  s->source = str(b);
  s->columns = names(b, &s->ncolumns);
  if (fz_bool(&b->z)) {
    sl_coldef *c = mem(b, sizeof *c);
    if (c != NULL) coldef(b, 0, c);
    s->column = c;
  }
  s->key = fz_bool(&b->z) ? keydef(b) : NULL;
  if (fz_bool(&b->z)) {
    sl_fk *f = mem(b, sizeof *f);
    if (f != NULL) fk(b, f);
    s->fk = f;
  }
  if (fz_bool(&b->z)) {
    sl_checkdef *c = mem(b, sizeof *c);
    if (c != NULL) {
      c->name = str(b);
      c->expr = fz_bool(&b->z) ? n : child(b, 0);
    }
    s->check = c;
  }
  s->node = fz_pick(&b->z, 4) != 0 ? n : NULL;
}

static void check(const char *what, const sl_dialect *d, int rc,
                  const sl_sql *out, const sl_error *err) {
  if (rc == SL_OK) {
    if (out->sql == NULL || strlen(out->sql) != out->len ||
        (out->nparams > 0 && out->params == NULL)) {
      fprintf(stderr, "%s (%s): inconsistent output\n", what, d->name);
      abort();
    }
  } else if (rc != SL_ERROR || err->kind == SL_EK_NONE ||
             err->message[0] == '\0') {
    fprintf(stderr, "%s (%s): failure without a message (rc %d)\n", what,
            d->name, rc);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const sl_dialect *const dialects[] = {
      &sl_dialect_sqlite, &sl_dialect_postgresql, &sl_dialect_mysql};
  builder b;
  sl_node *root;
  sl_ddl s;
  int i;
  memset(&b, 0, sizeof b);
  fz_init(&b.z, data, size);
  b.a = sl_arena_new();
  if (b.a == NULL) return 0;
  root = node(&b, 0);
  memset(&s, 0, sizeof s);
  if (!b.failed && root != NULL) ddl(&b, root, &s);
  if (b.failed || root == NULL) {
    sl_arena_free(b.a);
    return 0;
  }
  for (i = 0; i < 3; i++) {
    const sl_dialect *d = dialects[i];
    sl_sql out;
    sl_error err;
    int rc;
    memset(&out, 0, sizeof out);
    sl_error_clear(&err);
    rc = sl_render_stmt(d, root, b.a, &out, &err);
    check("sl_render_stmt", d, rc, &out, &err);
    memset(&out, 0, sizeof out);
    sl_error_clear(&err);
    rc = sl_render_ddl_expr(d, root, 0, b.a, &out, &err);
    check("sl_render_ddl_expr", d, rc, &out, &err);
    memset(&out, 0, sizeof out);
    sl_error_clear(&err);
    rc = sl_render_ddl_expr(d, root, 1, b.a, &out, &err);
    check("sl_render_ddl_expr", d, rc, &out, &err);
    memset(&out, 0, sizeof out);
    sl_error_clear(&err);
    rc = sl_render_ddl(d, &s, b.a, &out, &err);
    check("sl_render_ddl", d, rc, &out, &err);
  }
  sl_arena_free(b.a);
  return 0;
}
