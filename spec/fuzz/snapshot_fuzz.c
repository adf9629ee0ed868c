/*
** snapshot_fuzz.c — libFuzzer target of the snapshot reader and the schema
** diff (sl_snapshot.c, sl_diff.c, and sl_ddl.c through the statements a
** diff renders).
**
** Input: one control byte, then a snapshot document (drizzle-kit's or
** sleet's JSON), optionally followed by a NUL byte and a second document.
** Each document that parses is diffed against the empty snapshot both
** ways, and the two against each other both ways. The control byte picks
** the dialect (0: the first parsed document's own; 1-3: sqlite,
** postgresql, mysql, so that snapshots of another dialect reach the diff)
** and seeds the answers to the diff's rename questions: while a diff asks,
** each created table or column is answered as a rename of a deleted one or
** as new, as sleet-kit's prompt would, and the diff runs again.
**
** A diff must return SL_OK with statements ending in ';', or SL_ERROR with
** a message; anything else (a sanitizer report, a question asked again
** after it was answered) stops the fuzzer.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sleet.h"

/* Rounds of rename answers before a diff that keeps asking is an error. */
#define MAX_ROUNDS 64
#define MAX_RENAMES 512

typedef struct answers {
  sl_rename tables[MAX_RENAMES];
  int ntables;
  sl_rename columns[MAX_RENAMES];
  int ncolumns;
} answers;

static uint32_t rnd(uint32_t *state) {
  /* xorshift32: cheap, and the same answers for the same input */
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

static int cmp_rename(const void *x, const void *y) {
  return strcmp(((const sl_rename *)x)->from, ((const sl_rename *)y)->from);
}

/* Adds from -> to unless from is answered already (as a Lua table key
** would be once). */
static void answer(sl_rename *v, int *n, const char *from, const char *to) {
  int i;
  if (from == NULL || *n >= MAX_RENAMES) return;
  for (i = 0; i < *n; i++)
    if (strcmp(v[i].from, from) == 0) return;
  v[*n].from = from;
  v[*n].to = to;
  (*n)++;
}

/* "table.name" in a. */
static const char *column_key(sl_arena *a, const char *table,
                              const char *name) {
  size_t lt = strlen(table), ln = strlen(name);
  char *s = sl_arena_alloc(a, lt + ln + 2);
  if (s == NULL) return NULL;
  memcpy(s, table, lt);
  s[lt] = '.';
  memcpy(s + lt + 1, name, ln + 1);
  return s;
}

/* Now and then a wrong answer to the first question, which the diff must
** refuse with a validation error: a name that is in neither snapshot, a
** rename to a name that is not new, two renames to one name. */
static void answer_wrong(const sl_diff *d, answers *ans, sl_arena *a,
                         uint32_t *seed) {
  const sl_unresolved *u = &d->unresolved[0];
  sl_rename *v = u->columns ? ans->columns : ans->tables;
  int *n = u->columns ? &ans->ncolumns : &ans->ntables;
  const char *d0, *d1;
  if (u->ndeleted == 0) return;
  d0 = u->columns ? column_key(a, u->table, u->deleted[0]) : u->deleted[0];
  switch (rnd(seed) % 24) {
  case 0:
    answer(v, n, u->columns ? "no_such_table.c" : "no_such_table", "other");
    break;
  case 1:
    answer(v, n, d0, u->ncreated > 0 ? u->deleted[0] : "not_created");
    break;
  case 2:
    if (u->ndeleted < 2 || u->ncreated == 0) break;
    d1 = u->columns ? column_key(a, u->table, u->deleted[1]) : u->deleted[1];
    answer(v, n, d0, u->created[0]);
    answer(v, n, d1, u->created[0]);
    break;
  default:
    break;
  }
}

/* Answers every question of d: each created name is a rename of a deleted
** one not taken yet, or new; the deleted ones left are dropped. */
static void answer_all(const sl_diff *d, answers *ans, sl_arena *a,
                       uint32_t *seed) {
  int i, j;
  if (d->nunresolved > 0) answer_wrong(d, ans, a, seed);
  for (i = 0; i < d->nunresolved; i++) {
    const sl_unresolved *u = &d->unresolved[i];
    int *taken = calloc((size_t)u->ndeleted + 1, sizeof *taken);
    sl_rename *v = u->columns ? ans->columns : ans->tables;
    int *n = u->columns ? &ans->ncolumns : &ans->ntables;
    if (taken == NULL) abort();
    for (j = 0; j < u->ncreated; j++) {
      int k =
          u->ndeleted > 0 ? (int)(rnd(seed) % (uint32_t)(u->ndeleted + 1)) : 0;
      if (k < u->ndeleted && !taken[k]) {
        taken[k] = 1;
        if (u->columns)
          answer(v, n, column_key(a, u->table, u->deleted[k]), u->created[j]);
        else
          answer(v, n, u->deleted[k], u->created[j]);
      } else if (u->columns) {
        answer(v, n, column_key(a, u->table, u->created[j]), NULL);
      } else {
        answer(v, n, u->created[j], NULL);
      }
    }
    for (j = 0; j < u->ndeleted; j++) {
      if (taken[j]) continue;
      if (u->columns)
        answer(v, n, column_key(a, u->table, u->deleted[j]), NULL);
      else
        answer(v, n, u->deleted[j], NULL);
    }
    free(taken);
  }
  qsort(ans->tables, (size_t)ans->ntables, sizeof(sl_rename), cmp_rename);
  qsort(ans->columns, (size_t)ans->ncolumns, sizeof(sl_rename), cmp_rename);
}

static void check_diff(const sl_diff *d) {
  int i;
  for (i = 0; i < d->nstatements; i++) {
    const char *s = d->statements[i];
    size_t len = s != NULL ? strlen(s) : 0;
    if (len == 0 || s[len - 1] != ';') {
      fprintf(stderr, "diff statement %d does not end with ';': %s\n", i,
              s != NULL ? s : "(null)");
      abort();
    }
  }
  for (i = 0; i < d->nchanges; i++) {
    if (d->changes[i].kind == NULL || d->changes[i].description == NULL) {
      fprintf(stderr, "diff change %d without kind or description\n", i);
      abort();
    }
  }
}

/* Diffs prev into next, answering rename questions until none is left. */
static void diff(const sl_dialect *dl, const sl_snapshot *prev,
                 const sl_snapshot *next, uint32_t seed) {
  answers *ans = calloc(1, sizeof *ans);
  sl_arena *a = sl_arena_new();
  int round;
  if (ans == NULL || a == NULL) abort();
  for (round = 0; round < MAX_ROUNDS; round++) {
    sl_diff out;
    sl_diff_opts opts;
    sl_error err;
    int rc, before;
    memset(&out, 0, sizeof out);
    opts.tables = ans->tables;
    opts.ntables = ans->ntables;
    opts.columns = ans->columns;
    opts.ncolumns = ans->ncolumns;
    sl_error_clear(&err);
    rc = sl_diff_snapshots(dl, prev, next, &opts, a, &out, &err);
    if (rc != SL_OK) {
      if (rc != SL_ERROR || err.kind == SL_EK_NONE || err.message[0] == 0) {
        fprintf(stderr, "diff failed without a message (rc %d)\n", rc);
        abort();
      }
      break;
    }
    if (out.nunresolved == 0) {
      check_diff(&out);
      break;
    }
    before = ans->ntables + ans->ncolumns;
    answer_all(&out, ans, a, &seed);
    if (ans->ntables == MAX_RENAMES || ans->ncolumns == MAX_RENAMES) break;
    if (ans->ntables + ans->ncolumns == before) {
      fprintf(stderr, "the diff asks again what was answered\n");
      abort();
    }
  }
  sl_arena_free(a);
  free(ans);
}

static sl_snapshot *parse(const uint8_t *p, size_t n, const char *label,
                          sl_arena *a) {
  sl_snapshot *s = NULL;
  sl_error err;
  sl_error_clear(&err);
  if (sl_snapshot_parse((const char *)p, n, label, a, &s, &err) == SL_OK) {
    if (s == NULL || s->dialect == NULL) {
      fprintf(stderr, "%s parsed without a dialect\n", label);
      abort();
    }
    return s;
  }
  if (err.kind != SL_EK_VALIDATION || err.message[0] == '\0') {
    fprintf(stderr, "%s refused without a validation message\n", label);
    abort();
  }
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const sl_dialect *const forced[] = {
      NULL, &sl_dialect_sqlite, &sl_dialect_postgresql, &sl_dialect_mysql};
  const uint8_t *doc, *nul;
  size_t len;
  unsigned control;
  sl_arena *a;
  sl_snapshot *s1 = NULL, *s2 = NULL, *empty;
  const sl_dialect *d;
  uint32_t seed;
  if (size == 0) return 0;
  control = data[0];
  doc = data + 1;
  len = size - 1;
  seed = 0x9e3779b9u ^ (control >> 2);
  a = sl_arena_new();
  if (a == NULL) return 0;
  nul = memchr(doc, 0, len);
  if (nul != NULL) {
    s1 = parse(doc, (size_t)(nul - doc), "previous snapshot", a);
    s2 = parse(nul + 1, len - (size_t)(nul - doc) - 1, "next snapshot", a);
  } else {
    s1 = parse(doc, len, "snapshot", a);
  }
  d = forced[control & 3u];
  if (d == NULL) d = s1 != NULL ? s1->dialect : s2 != NULL ? s2->dialect : NULL;
  if (d == NULL) {
    sl_arena_free(a);
    return 0;
  }
  empty = sl_snapshot_empty(d, a);
  if (empty == NULL) abort();
  if (s1 != NULL) {
    diff(d, empty, s1, seed);
    diff(d, s1, empty, seed);
  }
  if (s2 != NULL) {
    diff(d, empty, s2, seed);
    diff(d, s2, empty, seed);
  }
  if (s1 != NULL && s2 != NULL) {
    diff(d, s1, s2, seed);
    diff(d, s2, s1, seed);
  }
  sl_arena_free(a);
  return 0;
}
