/*
** sl_seed.h — deterministic generated data (the core of sleet.seed).
**
** Every value is a pure function of (the column's stream key, the row
** number): sl_seed_value(t, col, row) gives the same value whenever and
** in whatever order it is asked, on every platform (integer arithmetic
** only; floats are integers divided by a power of ten). A column's key
** is derived from the user's seed and the column's name (sl_seed_key), so
** changing one column's generator never changes another column's values.
**
** Random draws come from a counter-based mixer (splitmix64's finalizer
** over key, row and draw number). A unique column draws its k-th value
** through a keyed permutation of the generator's value space (a Feistel
** network with cycle walking), so uniqueness costs no memory and no
** retries; a group of columns unique together (a composite key, a junction
** table) permutes the product of their spaces.
**
** Foreign keys: a column referencing a parent table picks a parent row
** number and yields the parent column's value at that row (computed, not
** stored). Strings are built in the caller's sl_buf; out->s points into it
** and stays valid until the buffer changes.
**
** Nothing here allocates except the caller's sl_buf; the structures are
** filled by the binding (ext/lua_seed.c), which owns their memory.
*/
#ifndef SL_SEED_H
#define SL_SEED_H

#include <stddef.h>
#include <stdint.h>

#include "sleet.h"

/* Generator kinds (drizzle-seed's names in sleet/seed.lua). */
typedef enum sl_seed_kind {
  SL_G_DEFAULT,   /* one fixed value (values[0]) */
  SL_G_VALUES,    /* valuesFromArray */
  SL_G_INTPK,     /* intPrimaryKey: min + row */
  SL_G_INT,       /* int in [min, max] */
  SL_G_NUMBER,    /* number in [min, max] / 10^decimals */
  SL_G_BOOL,      /* boolean */
  SL_G_DATE,      /* days since 1970-01-01 in [min, max] */
  SL_G_TIME,      /* seconds of the day in [min, max] */
  SL_G_TIMESTAMP, /* seconds since 1970 in [min, max] */
  SL_G_YEAR,      /* year in [min, max] */
  SL_G_JSON,      /* a small JSON object */
  SL_G_INTERVAL,  /* "N days HH:MM:SS"-like interval text */
  SL_G_STRING,    /* random alphanumeric text */
  SL_G_UUID,      /* version 4 layout */
  SL_G_FIRSTNAME, /* word lists, see sl_seed_list_id */
  SL_G_LASTNAME,
  SL_G_FULLNAME,
  SL_G_EMAIL,
  SL_G_PHONE,
  SL_G_COUNTRY,
  SL_G_CITY,
  SL_G_STREET,
  SL_G_JOBTITLE,
  SL_G_POSTCODE,
  SL_G_STATE,
  SL_G_COMPANY,
  SL_G_LOREM,
  SL_G_POINT,
  SL_G_LINE,
  SL_G_WEIGHTED, /* weightedRandom: one of subs by weight */
  SL_G_FK,       /* a parent column's value at a chosen parent row */
  SL_G_NULL,     /* always NULL */
  SL_G__COUNT
} sl_seed_kind;

/* How a generator's value reaches the column (chosen from its codec). */
typedef enum sl_seed_out {
  SL_SO_NATURAL, /* the generator's own type */
  SL_SO_INT,     /* integer */
  SL_SO_FLOAT,   /* double */
  SL_SO_TEXT,    /* text */
  SL_SO_BOOL,    /* boolean */
  SL_SO_BOOLINT, /* 0 / 1 */
  SL_SO_EPOCH,   /* instants as integer seconds */
  SL_SO_EPOCHMS, /* instants as integer milliseconds */
  SL_SO_DATE,    /* instants as "YYYY-MM-DD" */
  SL_SO_JSON     /* JSON text to decode into a Lua value */
} sl_seed_out;

/* The type of a produced value. */
typedef enum sl_seed_vtype {
  SL_SV_NULL,
  SL_SV_INT,
  SL_SV_FLOAT,
  SL_SV_TEXT,
  SL_SV_BOOL,
  SL_SV_JSON /* text holding JSON */
} sl_seed_vtype;

typedef struct sl_seed_val {
  sl_seed_vtype type;
  int64_t i;     /* INT, BOOL */
  double f;      /* FLOAT */
  const char *s; /* TEXT, JSON: s[0 .. n) */
  size_t n;
} sl_seed_val;

/* The word lists of the data files (lua/sleet/seed/words.lua). */
typedef enum sl_seed_list_id {
  SL_L_FIRST,
  SL_L_LAST,
  SL_L_DOMAIN,
  SL_L_COUNTRY,
  SL_L_CITY,
  SL_L_STREET,
  SL_L_STREET_SUFFIX,
  SL_L_COMPANY_WORD,
  SL_L_COMPANY_SUFFIX,
  SL_L_JOB_LEVEL,
  SL_L_JOB_AREA,
  SL_L_JOB_ROLE,
  SL_L_STATE,
  SL_L_LOREM,
  SL_L__COUNT
} sl_seed_list_id;

typedef struct sl_seed_list {
  const char *const *items;
  const size_t *lens;
  size_t n;
} sl_seed_list;

typedef struct sl_seed_data {
  sl_seed_list lists[SL_L__COUNT];
} sl_seed_data;

typedef struct sl_seed_table sl_seed_table;
typedef struct sl_seed_gen sl_seed_gen;

/* How a foreign key column chooses its parent row. */
typedef enum sl_seed_fkmode {
  SL_FK_RANDOM, /* any parent row (unique: each at most once) */
  SL_FK_SELF,   /* a row of the same table before this one */
  SL_FK_WITH    /* parent rows in order, prefix[] children each */
} sl_seed_fkmode;

struct sl_seed_gen {
  sl_seed_kind kind;
  sl_seed_out out;
  int unique;
  int64_t min, max;          /* ranges (see sl_seed_kind) */
  int decimals;              /* NUMBER */
  size_t maxlen;             /* text: at most this many bytes (0: no limit) */
  int sentences;             /* LOREM */
  int nullable;              /* FK_SELF: the first row is NULL */
  const sl_seed_val *values; /* VALUES, DEFAULT */
  size_t nvalues;
  sl_seed_gen *const *subs; /* WEIGHTED */
  const uint64_t *cumw;     /* cumulative weights, cumw[nsubs-1] = total */
  size_t nsubs;
  const sl_seed_table *parent; /* FK */
  int pcol;
  sl_seed_fkmode fkmode;
  const uint64_t *prefix; /* FK_WITH: children before parent row j */
  size_t nprefix;         /* parent rows covered (prefix has nprefix+1) */
};

typedef struct sl_seed_col {
  sl_seed_gen *gen; /* NULL: not generated */
  uint64_t key;
  int group; /* -1, or the unique group the column belongs to */
  int digit; /* its position in the group */
} sl_seed_col;

#define SL_SEED_MAXGROUP 8

/* Columns unique together: row r takes the r-th element of a permutation
** of the product of their spaces. */
typedef struct sl_seed_group {
  uint64_t key;
  int n;
  uint64_t space[SL_SEED_MAXGROUP];
  uint64_t total; /* product of spaces (0: overflows 2^62) */
  int fixed;      /* the digit of a member whose parent row is fixed by
                     `with` (-1: none): the others are then permuted
                     within each parent's block of rows */
  uint64_t rest;  /* product of the other members' spaces */
} sl_seed_group;

struct sl_seed_table {
  uint64_t count; /* rows */
  int ncols;
  sl_seed_col *cols;
  int ngroups;
  sl_seed_group *groups;
  const sl_seed_data *data;
};

/* The stream key of column `column` of table `table` under seed. */
uint64_t sl_seed_key(int64_t seed, const char *table, const char *column);

/* A 64-bit random number for draw `draw` of row `row` of stream `key`. */
uint64_t sl_seed_rand(uint64_t key, uint64_t row, uint32_t draw);

/* The i-th element (i < n) of a permutation of [0, n) keyed by key. */
uint64_t sl_seed_perm(uint64_t key, uint64_t i, uint64_t n);

/* The number of distinct values gen can yield (for `count` rows: text
** generators grow a numeric suffix past their lists), or 0 when it is
** unbounded (2^62 or more). */
uint64_t sl_seed_space(const sl_seed_gen *g, const sl_seed_data *data,
                       uint64_t count);

/* Whether gen can be unique at all (weightedRandom, loremIpsum, json
** cannot). */
int sl_seed_can_unique(const sl_seed_gen *g);

/* Completes the unique groups of t (spaces, totals) once its columns are
** set. Returns SL_OK, or SL_ERROR (validation) naming the first column (by
** index in *bad) whose unique values cannot cover t->count rows. */
int sl_seed_prepare(sl_seed_table *t, int *bad, sl_error *err);

/* The value of column col at row `row` (row < t->count). Text goes to b. */
void sl_seed_value(const sl_seed_table *t, int col, uint64_t row, sl_buf *b,
                   sl_seed_val *out);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t sl_seed_days(int64_t y, int m, int d);

/* Parses "YYYY-MM-DD[( |T)HH:MM[:SS]][Z]" into seconds since 1970 (UTC).
** Returns 1, or 0 when s is not such a date. */
int sl_seed_parse_instant(const char *s, size_t n, int64_t *secs);

/* FNV-1a (64 bits) of n bytes, for checksums of seeded rows. */
uint64_t sl_seed_fnv(uint64_t h, const char *s, size_t n);

#endif
