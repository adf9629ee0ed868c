/*
** sl_snapshot.c — schema snapshots: drizzle-kit's JSON description of a
** schema (docs/internals.md, "Migrations"), parsed with jansson into the
** read-only structs of sleet.h, all in one arena.
**
** The parser validates as it goes and stops at the first problem, naming
** where it is (`tables."public.users".columns."email": "type" must be a
** string`). It is lenient where drizzle-kit's own snapshots vary: numbers
** and booleans are accepted as default text, absent booleans are false,
** absent names are the object key. Everything that is compared later is
** normalised here, once: SQL texts trimmed, foreign key actions in lower
** case, the PostgreSQL default schema spelled "public", lists sorted.
*/
/* newlocale and uselocale (sl_num.h) are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sleet.h"
#include "sl_num.h"

/* Parse state: where we are, for messages. */
typedef struct pctx {
  sl_arena *a;
  sl_error *err;
  const char *label;
  int pg; /* PostgreSQL: schemas and enums exist */
  char path[400];
  int failed;
} pctx;

/* {====================================================================
** Errors and small helpers
** ===================================================================== */

static int fail(pctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int fail(pctx *c, const char *fmt, ...) {
  char msg[300];
  va_list ap;
  if (c->failed) return SL_ERROR;
  c->failed = 1;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->path[0] != '\0')
    return sl_error_set(c->err, SL_EK_VALIDATION, "%s: %s: %s", c->label,
                        c->path, msg);
  return sl_error_set(c->err, SL_EK_VALIDATION, "%s: %s", c->label, msg);
}

static int oom(pctx *c) {
  if (c->failed) return SL_ERROR;
  c->failed = 1;
  return sl_error_set(c->err, SL_EK_USAGE, "out of memory");
}

/* Appends `.key` (quoted when it is not a plain word) to the path and
** returns the previous length, for path_pop. */
static size_t path_push(pctx *c, const char *key) {
  size_t len = strlen(c->path);
  const char *k;
  int plain = *key != '\0';
  for (k = key; *k != '\0'; k++)
    if (!isalnum((unsigned char)*k) && *k != '_') plain = 0;
  snprintf(c->path + len, sizeof c->path - len, plain ? "%s%s" : "%s\"%s\"",
           len > 0 ? "." : "", key);
  return len;
}

static size_t path_push_index(pctx *c, size_t i) {
  size_t len = strlen(c->path);
  snprintf(c->path + len, sizeof c->path - len, "[%zu]", i + 1);
  return len;
}

static void path_pop(pctx *c, size_t len) {
  c->path[len] = '\0';
}

static const char *json_kind(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  default:
    return "null";
  }
}

/* n bytes of s, trimmed of surrounding white space, copied into the
** arena. */
static const char *dup_trim(pctx *c, const char *s, size_t n) {
  const char *out;
  while (n > 0 && isspace((unsigned char)*s))
    s++, n--;
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  out = sl_arena_strndup(c->a, s, n);
  if (out == NULL) oom(c);
  return out;
}

/* The string member key of o into *out (trimmed). Absent or null leaves
** *out NULL unless required. Numbers and booleans are taken as their SQL
** text when as_text (drizzle-kit writes some defaults that way). */
static int get_str(pctx *c, const json_t *o, const char *key, int required,
                   int as_text, const char **out) {
  const json_t *v = json_object_get(o, key);
  char tmp[64];
  *out = NULL;
  if (v == NULL || json_is_null(v)) {
    if (required) return fail(c, "\"%s\" is missing", key);
    return SL_OK;
  }
  if (json_is_string(v)) {
    *out = dup_trim(c, json_string_value(v), json_string_length(v));
    return *out ? SL_OK : SL_ERROR;
  }
  if (as_text && json_is_integer(v)) {
    snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  } else if (as_text && json_is_real(v)) {
    sl_numfmt(tmp, sizeof tmp, "%.17g", json_real_value(v));
  } else if (as_text && json_is_boolean(v)) {
    snprintf(tmp, sizeof tmp, "%s", json_is_true(v) ? "true" : "false");
  } else {
    return fail(c, "\"%s\" must be a string, got %s", key, json_kind(v));
  }
  *out = dup_trim(c, tmp, strlen(tmp));
  return *out ? SL_OK : SL_ERROR;
}

/* A name member that must be a non-empty string; absent means fallback
** (the object's key). */
static int get_name(pctx *c, const json_t *o, const char *key,
                    const char *fallback, const char **out) {
  if (get_str(c, o, key, 0, 0, out) != SL_OK) return SL_ERROR;
  /* the key belongs to the JSON document, which is freed after parsing */
  if (*out == NULL && fallback != NULL &&
      (*out = dup_trim(c, fallback, strlen(fallback))) == NULL)
    return SL_ERROR;
  if (*out == NULL || **out == '\0')
    return fail(c, "\"%s\" must be a non-empty string", key);
  return SL_OK;
}

/* A boolean member; absent or null is false. */
static int get_bool(pctx *c, const json_t *o, const char *key, int *out) {
  const json_t *v = json_object_get(o, key);
  *out = 0;
  if (v == NULL || json_is_null(v)) return SL_OK;
  if (!json_is_boolean(v))
    return fail(c, "\"%s\" must be a boolean, got %s", key, json_kind(v));
  *out = json_is_true(v);
  return SL_OK;
}

/* An object member; absent or null gives NULL (an empty collection). */
static int get_object(pctx *c, const json_t *o, const char *key,
                      const json_t **out) {
  const json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v)) return SL_OK;
  if (!json_is_object(v))
    return fail(c, "\"%s\" must be an object, got %s", key, json_kind(v));
  *out = v;
  return SL_OK;
}

static void *alloc(pctx *c, size_t n, size_t size) {
  void *p;
  if (n == 0) return NULL;
  p = sl_arena_alloc(c->a, n * size);
  if (p == NULL) oom(c);
  return p;
}

/* An array of non-empty strings (column lists, enum values); required
** non-empty when min_one. */
static int get_names(pctx *c, const json_t *o, const char *key, int min_one,
                     const char ***out, int *n) {
  const json_t *v = json_object_get(o, key);
  size_t i, len;
  *out = NULL;
  *n = 0;
  if (v == NULL || json_is_null(v)) {
    if (min_one) return fail(c, "\"%s\" is missing", key);
    return SL_OK;
  }
  if (!json_is_array(v))
    return fail(c, "\"%s\" must be an array, got %s", key, json_kind(v));
  len = json_array_size(v);
  if (len == 0 && min_one) return fail(c, "\"%s\" must not be empty", key);
  if (len > 100000) return fail(c, "\"%s\" is too long", key);
  *out = alloc(c, len, sizeof **out);
  if (len > 0 && *out == NULL) return SL_ERROR;
  for (i = 0; i < len; i++) {
    const json_t *e = json_array_get(v, i);
    if (!json_is_string(e) || json_string_length(e) == 0)
      return fail(c, "\"%s\"[%zu] must be a non-empty string, got %s", key,
                  i + 1, json_is_string(e) ? "\"\"" : json_kind(e));
    (*out)[i] =
        sl_arena_strndup(c->a, json_string_value(e), json_string_length(e));
    if ((*out)[i] == NULL) return oom(c);
  }
  *n = (int)len;
  return SL_OK;
}

/* Lower-case copy of a foreign key action; "no action" when absent. */
static int get_action(pctx *c, const json_t *o, const char *key,
                      const char **out) {
  static const char *const known[] = {"cascade", "restrict", "no action",
                                      "set null", "set default"};
  const char *s;
  char low[16];
  size_t i, n;
  if (get_str(c, o, key, 0, 0, &s) != SL_OK) return SL_ERROR;
  if (s == NULL || *s == '\0') {
    *out = "no action";
    return SL_OK;
  }
  n = strlen(s);
  for (i = 0; i < n && i < sizeof low - 1; i++)
    low[i] = (char)tolower((unsigned char)s[i]);
  low[i] = '\0';
  for (i = 0; i < sizeof known / sizeof known[0]; i++)
    if (n < sizeof low && strcmp(low, known[i]) == 0) {
      *out = known[i];
      return SL_OK;
    }
  return fail(c,
              "\"%s\" must be cascade, restrict, no action, set null or set "
              "default, got \"%s\"",
              key, s);
}

/* Whether name is one of the n columns. */
static int has_column(const sl_snap_table *t, int n, const char *name) {
  int i;
  for (i = 0; i < n; i++)
    if (strcmp(t->columns[i].name, name) == 0) return 1;
  return 0;
}

static int check_columns(pctx *c, const sl_snap_table *t, const char *what,
                         const char **names, int n) {
  int i;
  for (i = 0; i < n; i++)
    if (!has_column(t, t->ncolumns, names[i]))
      return fail(c, "%s names column \"%s\", which the table lacks", what,
                  names[i]);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Sorting (stable results whatever the key order of the JSON)
** ===================================================================== */

typedef struct ordered_col {
  sl_snap_column col;
  size_t pos; /* position in the JSON object */
} ordered_col;

static int cmp_column(const void *x, const void *y) {
  const ordered_col *a = x, *b = y;
  if (a->col.order != b->col.order) return a->col.order < b->col.order ? -1 : 1;
  if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
  return 0;
}

static int cmp_table(const void *x, const void *y) {
  const sl_snap_table *a = x, *b = y;
  int r = strcmp(a->schema ? a->schema : "", b->schema ? b->schema : "");
  return r != 0 ? r : strcmp(a->name, b->name);
}

static int cmp_enum(const void *x, const void *y) {
  const sl_snap_enum *a = x, *b = y;
  int r = strcmp(a->schema, b->schema);
  return r != 0 ? r : strcmp(a->name, b->name);
}

/* Every named struct below starts with its name. */
static int cmp_named(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_string(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Fails when two sorted named entries share a name. */
static int check_unique_names(pctx *c, const void *v, size_t n, size_t size,
                              const char *what) {
  size_t i;
  const char *p = v;
  for (i = 1; i < n; i++) {
    const char *a = *(const char *const *)(const void *)(p + (i - 1) * size);
    const char *b = *(const char *const *)(const void *)(p + i * size);
    if (strcmp(a, b) == 0) return fail(c, "two %s named \"%s\"", what, a);
  }
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Tables
** ===================================================================== */

/* An integer sequence option: text of an integer, or an integer. */
static int get_seqopt(pctx *c, const json_t *o, const char *key,
                      const char *dflt, const char **out) {
  const char *s;
  size_t i;
  if (get_str(c, o, key, 0, 1, &s) != SL_OK) return SL_ERROR;
  if (s == NULL) s = dflt;
  for (i = s[0] == '-' ? 1 : 0; s[i] != '\0'; i++)
    if (s[i] < '0' || s[i] > '9') break;
  if (s[i] != '\0' || i == 0 || (s[0] == '-' && i == 1))
    return fail(c, "\"%s\" must be an integer", key);
  *out = s;
  return SL_OK;
}

/* "identity": { type, name, schema, increment, startWith, minValue,
** maxValue, cache, cycle } (drizzle-kit's shape). */
static int parse_identity(pctx *c, const json_t *o, sl_snap_column *col) {
  const json_t *id = json_object_get(o, "identity");
  const char *type;
  sl_identity *x;
  size_t len;
  if (id == NULL || json_is_null(id)) return SL_OK;
  if (!json_is_object(id))
    return fail(c, "\"identity\" must be an object, got %s", json_kind(id));
  x = alloc(c, 1, sizeof *x);
  if (x == NULL) return SL_ERROR;
  len = path_push(c, "identity");
  if (get_str(c, id, "type", 1, 0, &type) != SL_OK ||
      get_str(c, id, "name", 0, 0, &x->name) != SL_OK ||
      get_str(c, id, "schema", 0, 0, &x->schema) != SL_OK ||
      get_seqopt(c, id, "increment", "1", &x->increment) != SL_OK ||
      get_seqopt(c, id, "startWith", "1", &x->start) != SL_OK ||
      get_seqopt(c, id, "minValue", "1", &x->min) != SL_OK ||
      get_seqopt(c, id, "maxValue", "2147483647", &x->max) != SL_OK ||
      get_seqopt(c, id, "cache", "1", &x->cache) != SL_OK ||
      get_bool(c, id, "cycle", &x->cycle) != SL_OK)
    return SL_ERROR;
  if (strcmp(type, "always") == 0)
    x->by_default = 0;
  else if (strcmp(type, "byDefault") == 0)
    x->by_default = 1;
  else
    return fail(c, "\"type\" must be \"always\" or \"byDefault\"");
  if (x->schema != NULL &&
      (*x->schema == '\0' || strcmp(x->schema, "public") == 0))
    x->schema = NULL;
  path_pop(c, len);
  col->identity = x;
  return SL_OK;
}

static int parse_column(pctx *c, const char *key, const json_t *o,
                        ordered_col *out) {
  const json_t *gen, *order;
  sl_snap_column *col = &out->col;
  if (!json_is_object(o))
    return fail(c, "a column must be an object, got %s", json_kind(o));
  if (get_name(c, o, "name", key, &col->name) != SL_OK ||
      get_str(c, o, "type", 1, 0, &col->type) != SL_OK ||
      get_bool(c, o, "primaryKey", &col->primary_key) != SL_OK ||
      get_bool(c, o, "notNull", &col->not_null) != SL_OK ||
      get_bool(c, o, "autoincrement", &col->autoincrement) != SL_OK ||
      get_bool(c, o, "onUpdate", &col->on_update_now) != SL_OK ||
      get_str(c, o, "default", 0, 1, &col->default_) != SL_OK)
    return SL_ERROR;
  if (*col->type == '\0') return fail(c, "\"type\" must not be empty");
  if (col->default_ != NULL && *col->default_ == '\0')
    return fail(c, "\"default\" must not be empty (leave it out)");
  order = json_object_get(o, "order");
  if (order != NULL && !json_is_null(order)) {
    if (!json_is_integer(order) || json_integer_value(order) < 0 ||
        json_integer_value(order) > 1000000)
      return fail(c, "\"order\" must be a positive integer");
    col->order = (int)json_integer_value(order);
  }
  if (parse_identity(c, o, col) != SL_OK) return SL_ERROR;
  gen = json_object_get(o, "generated");
  if (gen != NULL && !json_is_null(gen)) {
    const char *type;
    size_t len;
    if (!json_is_object(gen))
      return fail(c, "\"generated\" must be an object, got %s", json_kind(gen));
    len = path_push(c, "generated");
    if (get_str(c, gen, "as", 1, 0, &col->generated) != SL_OK ||
        get_str(c, gen, "type", 0, 0, &type) != SL_OK)
      return SL_ERROR;
    if (type != NULL && strcmp(type, "stored") != 0 &&
        strcmp(type, "virtual") != 0)
      return fail(c, "\"type\" must be \"stored\" or \"virtual\"");
    col->generated_stored = type == NULL || strcmp(type, "stored") == 0;
    path_pop(c, len);
  }
  return SL_OK;
}

static int parse_columns(pctx *c, sl_snap_table *t, const json_t *cols) {
  const char *key;
  const json_t *v;
  ordered_col *tmp;
  size_t n = json_object_size(cols), i = 0;
  int rc = SL_OK;
  if (n == 0) return fail(c, "a table needs at least one column");
  tmp = calloc(n, sizeof *tmp);
  if (tmp == NULL) return oom(c);
  json_object_foreach((json_t *)cols, key, v) {
    size_t len = path_push(c, key);
    tmp[i].pos = i;
    /* without "order", the position in the object (jansson keeps it) */
    tmp[i].col.order = (int)i + 1;
    rc = parse_column(c, key, v, &tmp[i]);
    path_pop(c, len);
    if (rc != SL_OK) break;
    i++;
  }
  if (rc == SL_OK) {
    qsort(tmp, n, sizeof *tmp, cmp_column);
    t->columns = alloc(c, n, sizeof *t->columns);
    if (t->columns == NULL) rc = SL_ERROR;
  }
  if (rc == SL_OK) {
    for (i = 0; i < n; i++) {
      size_t j;
      t->columns[i] = tmp[i].col;
      for (j = 0; j < i; j++)
        if (strcmp(t->columns[j].name, t->columns[i].name) == 0)
          rc = fail(c, "two columns named \"%s\"", t->columns[i].name);
    }
    t->ncolumns = (int)n;
  }
  free(tmp);
  return rc;
}

static int parse_index(pctx *c, const sl_snap_table *t, const char *key,
                       const json_t *o, sl_snap_index *ix) {
  const json_t *cols;
  size_t i, n;
  if (!json_is_object(o))
    return fail(c, "an index must be an object, got %s", json_kind(o));
  if (get_name(c, o, "name", key, &ix->name) != SL_OK ||
      get_bool(c, o, "isUnique", &ix->unique) != SL_OK ||
      get_str(c, o, "where", 0, 0, &ix->where) != SL_OK ||
      get_str(c, o, "method", 0, 0, &ix->method) != SL_OK ||
      get_bool(c, o, "concurrently", &ix->concurrently) != SL_OK ||
      get_bool(c, o, "nullsNotDistinct", &ix->nulls_not_distinct) != SL_OK)
    return SL_ERROR;
  if (ix->where != NULL && *ix->where == '\0') ix->where = NULL;
  if (ix->method == NULL || *ix->method == '\0' || !c->pg) ix->method = "btree";
  cols = json_object_get(o, "columns");
  if (!json_is_array(cols) || json_array_size(cols) == 0)
    return fail(c, "\"columns\" must be a non-empty array");
  n = json_array_size(cols);
  ix->columns = alloc(c, n, sizeof *ix->columns);
  if (ix->columns == NULL) return SL_ERROR;
  ix->ncolumns = (int)n;
  for (i = 0; i < n; i++) {
    const json_t *e = json_array_get(cols, i);
    sl_snap_index_col *ic = &ix->columns[i];
    const json_t *asc;
    size_t len = path_push_index(c, i);
    /* a bare string is a column name */
    if (json_is_string(e)) {
      ic->expression = dup_trim(c, json_string_value(e), json_string_length(e));
      ic->asc = 1;
      if (ic->expression == NULL) return SL_ERROR;
    } else if (!json_is_object(e)) {
      return fail(c, "an index column must be an object, got %s", json_kind(e));
    } else {
      if (get_str(c, e, "expression", 1, 0, &ic->expression) != SL_OK ||
          get_bool(c, e, "isExpression", &ic->is_expression) != SL_OK)
        return SL_ERROR;
      const char *nulls;
      asc = json_object_get(e, "asc");
      ic->asc = asc == NULL || !json_is_false(asc);
      if (get_str(c, e, "nulls", 0, 0, &nulls) != SL_OK) return SL_ERROR;
      if (nulls != NULL && strcmp(nulls, "first") != 0 &&
          strcmp(nulls, "last") != 0)
        return fail(c, "\"nulls\" must be \"first\" or \"last\"");
      /* drizzle-kit writes the default too: asc is last, desc first */
      if (nulls != NULL && (strcmp(nulls, "first") == 0) == ic->asc)
        ic->nulls = ic->asc ? 1 : 2;
    }
    if (*ic->expression == '\0') return fail(c, "empty index column");
    if (!ic->is_expression && !has_column(t, t->ncolumns, ic->expression))
      return fail(c, "index column \"%s\" is not a column of the table",
                  ic->expression);
    path_pop(c, len);
  }
  return SL_OK;
}

static int parse_fk(pctx *c, const sl_snap_table *t, const char *key,
                    const json_t *o, sl_snap_fk *fk) {
  const char *schema_to;
  if (!json_is_object(o))
    return fail(c, "a foreign key must be an object, got %s", json_kind(o));
  if (get_name(c, o, "name", key, &fk->name) != SL_OK ||
      get_names(c, o, "columnsFrom", 1, &fk->columns, &fk->ncolumns) != SL_OK ||
      get_name(c, o, "tableTo", NULL, &fk->ref_table) != SL_OK ||
      get_names(c, o, "columnsTo", 1, &fk->ref_columns, &fk->nref_columns) !=
          SL_OK ||
      get_str(c, o, "schemaTo", 0, 0, &schema_to) != SL_OK ||
      get_action(c, o, "onDelete", &fk->on_delete) != SL_OK ||
      get_action(c, o, "onUpdate", &fk->on_update) != SL_OK)
    return SL_ERROR;
  if (fk->ncolumns != fk->nref_columns)
    return fail(c, "\"columnsFrom\" and \"columnsTo\" differ in length");
  fk->ref_schema = NULL;
  if (c->pg)
    fk->ref_schema =
        schema_to != NULL && *schema_to != '\0' ? schema_to : "public";
  return check_columns(c, t, "\"columnsFrom\"", fk->columns, fk->ncolumns);
}

static int parse_key(pctx *c, const sl_snap_table *t, const char *key,
                     const json_t *o, sl_snap_key *k) {
  if (!json_is_object(o))
    return fail(c, "a key must be an object, got %s", json_kind(o));
  if (get_name(c, o, "name", key, &k->name) != SL_OK ||
      get_names(c, o, "columns", 1, &k->columns, &k->ncolumns) != SL_OK ||
      get_bool(c, o, "nullsNotDistinct", &k->nulls_not_distinct) != SL_OK)
    return SL_ERROR;
  return check_columns(c, t, "\"columns\"", k->columns, k->ncolumns);
}

static int parse_check(pctx *c, const char *key, const json_t *o,
                       sl_snap_check *ck) {
  if (!json_is_object(o))
    return fail(c, "a check must be an object, got %s", json_kind(o));
  if (get_name(c, o, "name", key, &ck->name) != SL_OK ||
      get_str(c, o, "value", 1, 0, &ck->value) != SL_OK)
    return SL_ERROR;
  if (*ck->value == '\0') return fail(c, "\"value\" must not be empty");
  return SL_OK;
}

/* The members of a collection object member, parsed by kind into an
** array sorted by name. */
enum { K_INDEX, K_FK, K_PK, K_UNIQUE, K_CHECK };

static int parse_collection(pctx *c, sl_snap_table *t, const json_t *o,
                            const char *member, int kind) {
  static const size_t sizes[] = {sizeof(sl_snap_index), sizeof(sl_snap_fk),
                                 sizeof(sl_snap_key), sizeof(sl_snap_key),
                                 sizeof(sl_snap_check)};
  static const char *const what[] = {"indexes", "foreign keys", "primary keys",
                                     "unique constraints", "checks"};
  const json_t *coll, *v;
  const char *key;
  char *arr;
  size_t n, i = 0, len;
  int rc = SL_OK;
  if (get_object(c, o, member, &coll) != SL_OK) return SL_ERROR;
  n = coll ? json_object_size(coll) : 0;
  if (n == 0) return SL_OK;
  arr = alloc(c, n, sizes[kind]);
  if (arr == NULL) return SL_ERROR;
  len = path_push(c, member);
  json_object_foreach((json_t *)coll, key, v) {
    void *item = arr + i * sizes[kind];
    size_t len2 = path_push(c, key);
    switch (kind) {
    case K_INDEX:
      rc = parse_index(c, t, key, v, item);
      break;
    case K_FK:
      rc = parse_fk(c, t, key, v, item);
      break;
    case K_PK:
    case K_UNIQUE:
      rc = parse_key(c, t, key, v, item);
      break;
    default:
      rc = parse_check(c, key, v, item);
      break;
    }
    path_pop(c, len2);
    if (rc != SL_OK) return SL_ERROR;
    i++;
  }
  qsort(arr, n, sizes[kind], cmp_named);
  if (check_unique_names(c, arr, n, sizes[kind], what[kind]) != SL_OK)
    return SL_ERROR;
  path_pop(c, len);
  switch (kind) {
  case K_INDEX:
    t->indexes = (sl_snap_index *)(void *)arr;
    t->nindexes = (int)n;
    break;
  case K_FK:
    t->fks = (sl_snap_fk *)(void *)arr;
    t->nfks = (int)n;
    break;
  case K_PK:
    if (n > 1) return fail(c, "a table has at most one composite primary key");
    t->pks = (sl_snap_key *)(void *)arr;
    t->npks = (int)n;
    break;
  case K_UNIQUE:
    t->uniques = (sl_snap_key *)(void *)arr;
    t->nuniques = (int)n;
    break;
  default:
    t->checks = (sl_snap_check *)(void *)arr;
    t->nchecks = (int)n;
    break;
  }
  return rc;
}

/* "schema.name" on PostgreSQL, else the name. */
static const char *table_key(pctx *c, const char *schema, const char *name) {
  size_t n;
  char *k;
  if (schema == NULL) return name;
  n = strlen(schema) + strlen(name) + 2;
  k = sl_arena_alloc(c->a, n);
  if (k == NULL) {
    oom(c);
    return NULL;
  }
  snprintf(k, n, "%s.%s", schema, name);
  return k;
}

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A word of a list, any case, as its upper-case spelling; NULL if none. */
static const char *upper_word(const char *s, const char *const *words) {
  int i;
  for (i = 0; words[i] != NULL; i++) {
    size_t k, n = strlen(words[i]);
    if (strlen(s) != n) continue;
    for (k = 0; k < n; k++)
      if (toupper((unsigned char)s[k]) != words[i][k]) break;
    if (k == n) return words[i];
  }
  return NULL;
}

/* "policies": { name: { name, as, for, to: [roles], using, withCheck } }
** (PostgreSQL; drizzle-kit's shape). */
static int parse_policies(pctx *c, sl_snap_table *t, const json_t *o) {
  static const char *const ases[] = {"PERMISSIVE", "RESTRICTIVE", NULL};
  static const char *const cmds[] = {"ALL",    "SELECT", "INSERT",
                                     "UPDATE", "DELETE", NULL};
  const json_t *pol = json_object_get(o, "policies"), *v;
  const char *key;
  size_t n, i = 0, len;
  if (pol == NULL || json_is_null(pol)) return SL_OK;
  if (!json_is_object(pol))
    return fail(c, "\"policies\" must be an object, got %s", json_kind(pol));
  n = json_object_size(pol);
  if (n == 0 || !c->pg) return SL_OK;
  t->policies = alloc(c, n, sizeof *t->policies);
  if (t->policies == NULL) return SL_ERROR;
  len = path_push(c, "policies");
  json_object_foreach((json_t *)pol, key, v) {
    sl_snap_policy *p = &t->policies[i++];
    const char *as, *cmd;
    size_t len2 = path_push(c, key);
    if (!json_is_object(v))
      return fail(c, "a policy must be an object, got %s", json_kind(v));
    if (get_name(c, v, "name", key, &p->name) != SL_OK ||
        get_str(c, v, "as", 0, 0, &as) != SL_OK ||
        get_str(c, v, "for", 0, 0, &cmd) != SL_OK ||
        get_names(c, v, "to", 0, &p->to, &p->nto) != SL_OK ||
        get_str(c, v, "using", 0, 0, &p->using_) != SL_OK ||
        get_str(c, v, "withCheck", 0, 0, &p->with_check) != SL_OK)
      return SL_ERROR;
    if (as != NULL && upper_word(as, ases) == NULL)
      return fail(c, "\"as\" must be \"permissive\" or \"restrictive\"");
    p->restrictive =
        as != NULL && strcmp(upper_word(as, ases), "RESTRICTIVE") == 0;
    p->cmd = cmd != NULL ? upper_word(cmd, cmds) : "ALL";
    if (p->cmd == NULL)
      return fail(c, "\"for\" must be all, select, insert, update or delete");
    if (p->using_ != NULL && *p->using_ == '\0') p->using_ = NULL;
    if (p->with_check != NULL && *p->with_check == '\0') p->with_check = NULL;
    if (p->nto == 0) {
      const char **pub = alloc(c, 1, sizeof *pub);
      if (pub == NULL) return SL_ERROR;
      pub[0] = "public";
      p->to = pub;
      p->nto = 1;
    } else {
      qsort((void *)p->to, (size_t)p->nto, sizeof *p->to, cmp_str);
    }
    path_pop(c, len2);
  }
  path_pop(c, len);
  t->npolicies = (int)n;
  qsort(t->policies, n, sizeof *t->policies, cmp_named);
  return check_unique_names(c, t->policies, n, sizeof *t->policies, "policies");
}

static int parse_table(pctx *c, const char *key, const json_t *o,
                       sl_snap_table *t) {
  const json_t *cols;
  const char *schema;
  int i, npk = 0;
  if (!json_is_object(o))
    return fail(c, "a table must be an object, got %s", json_kind(o));
  if (get_name(c, o, "name", key, &t->name) != SL_OK ||
      get_str(c, o, "schema", 0, 0, &schema) != SL_OK)
    return SL_ERROR;
  /* only PostgreSQL has schemas; "" is the default one */
  t->schema = NULL;
  if (c->pg) t->schema = schema && *schema ? schema : "public";
  t->key = table_key(c, t->schema, t->name);
  if (t->key == NULL) return SL_ERROR;
  cols = json_object_get(o, "columns");
  if (!json_is_object(cols))
    return fail(c, "\"columns\" must be an object, got %s",
                cols ? json_kind(cols) : "nothing");
  {
    size_t len = path_push(c, "columns");
    if (parse_columns(c, t, cols) != SL_OK) return SL_ERROR;
    path_pop(c, len);
  }
  if (parse_policies(c, t, o) != SL_OK ||
      get_bool(c, o, "isRLSEnabled", &t->rls) != SL_OK)
    return SL_ERROR;
  if (!c->pg) t->rls = 0;
  if (parse_collection(c, t, o, "indexes", K_INDEX) != SL_OK ||
      parse_collection(c, t, o, "foreignKeys", K_FK) != SL_OK ||
      parse_collection(c, t, o, "compositePrimaryKeys", K_PK) != SL_OK ||
      parse_collection(c, t, o, "uniqueConstraints", K_UNIQUE) != SL_OK ||
      parse_collection(c, t, o, "checkConstraints", K_CHECK) != SL_OK)
    return SL_ERROR;
  for (i = 0; i < t->ncolumns; i++)
    npk += t->columns[i].primary_key;
  if (t->npks > 0 && npk > 0)
    return fail(c, "a table has either primary key columns or a composite "
                   "primary key, not both");
  if (npk > 1)
    return fail(c,
                "%d columns are marked \"primaryKey\"; use "
                "\"compositePrimaryKeys\"",
                npk);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** The document
** ===================================================================== */

static int parse_enums(pctx *c, const json_t *root, sl_snapshot *s) {
  const json_t *enums, *v;
  const char *key;
  size_t n, i = 0, len;
  if (get_object(c, root, "enums", &enums) != SL_OK) return SL_ERROR;
  n = enums ? json_object_size(enums) : 0;
  if (n == 0) return SL_OK;
  if (!c->pg) return SL_OK; /* enums are column types elsewhere */
  s->enums = alloc(c, n, sizeof *s->enums);
  if (s->enums == NULL) return SL_ERROR;
  len = path_push(c, "enums");
  json_object_foreach((json_t *)enums, key, v) {
    sl_snap_enum *e = &s->enums[i++];
    size_t len2 = path_push(c, key);
    const char *fallback = strchr(key, '.') ? strchr(key, '.') + 1 : key;
    int j, k;
    if (!json_is_object(v))
      return fail(c, "an enum must be an object, got %s", json_kind(v));
    if (get_name(c, v, "name", fallback, &e->name) != SL_OK ||
        get_str(c, v, "schema", 0, 0, &e->schema) != SL_OK ||
        get_names(c, v, "values", 0, &e->values, &e->nvalues) != SL_OK)
      return SL_ERROR;
    if (e->schema == NULL || *e->schema == '\0') e->schema = "public";
    for (j = 0; j < e->nvalues; j++)
      for (k = 0; k < j; k++)
        if (strcmp(e->values[j], e->values[k]) == 0)
          return fail(c, "value \"%s\" appears twice", e->values[j]);
    path_pop(c, len2);
  }
  path_pop(c, len);
  s->nenums = (int)n;
  qsort(s->enums, n, sizeof *s->enums, cmp_enum);
  for (i = 1; i < n; i++)
    if (cmp_enum(&s->enums[i - 1], &s->enums[i]) == 0)
      return fail(c, "two enums named \"%s.%s\"", s->enums[i].schema,
                  s->enums[i].name);
  return SL_OK;
}

static int cmp_sequence(const void *x, const void *y) {
  const sl_identity *a = x, *b = y;
  int r = strcmp(a->schema, b->schema);
  return r != 0 ? r : strcmp(a->name, b->name);
}

/* "sequences": { "schema.name": { name, schema, increment, startWith,
** minValue, maxValue, cache, cycle } } (PostgreSQL). */
static int parse_sequences(pctx *c, const json_t *root, sl_snapshot *s) {
  const json_t *seqs, *v;
  const char *key;
  size_t n, i = 0, len;
  if (get_object(c, root, "sequences", &seqs) != SL_OK) return SL_ERROR;
  n = seqs ? json_object_size(seqs) : 0;
  if (n == 0 || !c->pg) return SL_OK;
  s->sequences = alloc(c, n, sizeof *s->sequences);
  if (s->sequences == NULL) return SL_ERROR;
  len = path_push(c, "sequences");
  json_object_foreach((json_t *)seqs, key, v) {
    sl_identity *q = &s->sequences[i++];
    size_t len2 = path_push(c, key);
    const char *fallback = strchr(key, '.') ? strchr(key, '.') + 1 : key;
    if (!json_is_object(v))
      return fail(c, "a sequence must be an object, got %s", json_kind(v));
    if (get_name(c, v, "name", fallback, &q->name) != SL_OK ||
        get_str(c, v, "schema", 0, 0, &q->schema) != SL_OK ||
        get_seqopt(c, v, "increment", "1", &q->increment) != SL_OK ||
        get_seqopt(c, v, "startWith", "1", &q->start) != SL_OK ||
        get_seqopt(c, v, "minValue", "1", &q->min) != SL_OK ||
        get_seqopt(c, v, "maxValue", "9223372036854775807", &q->max) != SL_OK ||
        get_seqopt(c, v, "cache", "1", &q->cache) != SL_OK ||
        get_bool(c, v, "cycle", &q->cycle) != SL_OK)
      return SL_ERROR;
    if (q->schema == NULL || *q->schema == '\0') q->schema = "public";
    path_pop(c, len2);
  }
  path_pop(c, len);
  s->nsequences = (int)n;
  qsort(s->sequences, n, sizeof *s->sequences, cmp_sequence);
  for (i = 1; i < n; i++)
    if (cmp_sequence(&s->sequences[i - 1], &s->sequences[i]) == 0)
      return fail(c, "two sequences named \"%s.%s\"", s->sequences[i].schema,
                  s->sequences[i].name);
  return SL_OK;
}

/* "roles": { name: { name, createDb, createRole, inherit } }. */
static int parse_roles(pctx *c, const json_t *root, sl_snapshot *s) {
  const json_t *roles, *v;
  const char *key;
  size_t n, i = 0, len;
  if (get_object(c, root, "roles", &roles) != SL_OK) return SL_ERROR;
  n = roles ? json_object_size(roles) : 0;
  if (n == 0 || !c->pg) return SL_OK;
  s->roles = alloc(c, n, sizeof *s->roles);
  if (s->roles == NULL) return SL_ERROR;
  len = path_push(c, "roles");
  json_object_foreach((json_t *)roles, key, v) {
    sl_snap_role *r = &s->roles[i++];
    const json_t *inherit;
    size_t len2 = path_push(c, key);
    if (!json_is_object(v))
      return fail(c, "a role must be an object, got %s", json_kind(v));
    if (get_name(c, v, "name", key, &r->name) != SL_OK ||
        get_bool(c, v, "createDb", &r->create_db) != SL_OK ||
        get_bool(c, v, "createRole", &r->create_role) != SL_OK)
      return SL_ERROR;
    inherit = json_object_get(v, "inherit");
    r->inherit = inherit == NULL || !json_is_false(inherit);
    path_pop(c, len2);
  }
  path_pop(c, len);
  s->nroles = (int)n;
  qsort(s->roles, n, sizeof *s->roles, cmp_named);
  return check_unique_names(c, s->roles, n, sizeof *s->roles, "roles");
}

static int parse_schemas(pctx *c, const json_t *root, sl_snapshot *s) {
  const json_t *schemas, *v;
  const char *key;
  size_t n, i = 0;
  if (get_object(c, root, "schemas", &schemas) != SL_OK) return SL_ERROR;
  n = schemas ? json_object_size(schemas) : 0;
  if (n == 0 || !c->pg) return SL_OK;
  s->schemas = alloc(c, n, sizeof *s->schemas);
  if (s->schemas == NULL) return SL_ERROR;
  json_object_foreach((json_t *)schemas, key, v) {
    const char *name = key;
    if (json_is_string(v) && json_string_length(v) > 0)
      name = json_string_value(v);
    if (strcmp(name, "public") == 0 || *name == '\0') continue;
    s->schemas[i] = sl_arena_strndup(c->a, name, strlen(name));
    if (s->schemas[i] == NULL) return oom(c);
    i++;
  }
  s->nschemas = (int)i;
  qsort(s->schemas, i, sizeof *s->schemas, cmp_string);
  return SL_OK;
}

static int parse_root(pctx *c, const json_t *root, sl_snapshot *s) {
  const json_t *tables, *v;
  const char *key, *dialect;
  size_t n, i = 0;
  if (!json_is_object(root))
    return fail(c, "a snapshot must be a JSON object, got %s", json_kind(root));
  if (get_str(c, root, "dialect", 1, 0, &dialect) != SL_OK ||
      get_str(c, root, "version", 0, 1, &s->version) != SL_OK ||
      get_str(c, root, "id", 0, 0, &s->id) != SL_OK ||
      get_str(c, root, "prevId", 0, 0, &s->prev_id) != SL_OK)
    return SL_ERROR;
  s->dialect = sl_dialect_find(dialect);
  if (s->dialect == NULL)
    return fail(c,
                "unknown dialect \"%s\" (expected postgresql, mysql or "
                "sqlite)",
                dialect);
  c->pg = strcmp(s->dialect->name, "postgresql") == 0;
  if (get_object(c, root, "tables", &tables) != SL_OK) return SL_ERROR;
  n = tables ? json_object_size(tables) : 0;
  if (n > 0) {
    size_t len = path_push(c, "tables");
    s->tables = alloc(c, n, sizeof *s->tables);
    if (s->tables == NULL) return SL_ERROR;
    json_object_foreach((json_t *)tables, key, v) {
      size_t len2 = path_push(c, key);
      if (parse_table(c, key, v, &s->tables[i]) != SL_OK) return SL_ERROR;
      path_pop(c, len2);
      i++;
    }
    path_pop(c, len);
    s->ntables = (int)n;
    qsort(s->tables, n, sizeof *s->tables, cmp_table);
    for (i = 1; i < n; i++)
      if (cmp_table(&s->tables[i - 1], &s->tables[i]) == 0)
        return fail(c, "two tables named \"%s\"", s->tables[i].key);
  }
  if (parse_enums(c, root, s) != SL_OK) return SL_ERROR;
  if (parse_sequences(c, root, s) != SL_OK) return SL_ERROR;
  if (parse_roles(c, root, s) != SL_OK) return SL_ERROR;
  return parse_schemas(c, root, s);
}

/* Parses and validates snapshot JSON (see sleet.h). */
int sl_snapshot_parse(const char *json, size_t len, const char *label,
                      sl_arena *a, sl_snapshot **out, sl_error *err) {
  pctx c;
  json_t *root;
  json_error_t jerr;
  sl_snapshot *s;
  int rc;
  *out = NULL;
  memset(&c, 0, sizeof c);
  c.a = a;
  c.err = err;
  c.label = label ? label : "snapshot";
  root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    return fail(&c, "invalid JSON at line %d, column %d: %s", jerr.line,
                jerr.column, jerr.text);
  s = sl_arena_alloc(a, sizeof *s);
  if (s == NULL) {
    json_decref(root);
    return oom(&c);
  }
  rc = parse_root(&c, root, s);
  json_decref(root);
  if (rc == SL_OK && !c.failed) *out = s;
  return c.failed ? SL_ERROR : rc;
}

/* An empty snapshot of dialect d (see sleet.h). */
sl_snapshot *sl_snapshot_empty(const sl_dialect *d, sl_arena *a) {
  sl_snapshot *s = sl_arena_alloc(a, sizeof *s);
  if (s != NULL) s->dialect = d;
  return s;
}

/* }==================================================================== */
