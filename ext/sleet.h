/*
** sleet.h — the C core of sleet, free of Lua.
**
** The core knows three things: values (parameters and result cells), a
** dialect-neutral statement tree (sl_node) and the renderer that turns such a
** tree into SQL text plus a separate parameter list for one dialect. Nothing
** here talks to a database (that is drivers/) or to Lua (that is ext/lua_*.c).
**
** Conventions
**   - Functions return SL_OK (0) or SL_ERROR and leave the reason in an
**     sl_error owned by the caller; the core never longjmps and never prints.
**   - Trees and everything they point to live in one sl_arena, freed at once.
**   - Strings are (pointer, length) pairs where they may hold NUL bytes
**     (values); names (identifiers, keys) are NUL-terminated.
*/
#ifndef SLEET_H
#define SLEET_H

#include <stddef.h>
#include <stdint.h>

#define SL_OK 0
#define SL_ERROR 1
/* returned by a driver's step() */
#define SL_ROW 100
#define SL_DONE 101
/* returned by a driver whose bytes travel over the host's socket when it
** cannot go on before the host moves bytes (see sl_driver.h, "Host I/O") */
#define SL_AGAIN 102

/* {====================================================================
** Errors
** ===================================================================== */

/* The kinds of API.md's error object, in the same order as their names. */
typedef enum sl_errkind {
  SL_EK_NONE = 0,
  SL_EK_VALIDATION,
  SL_EK_DATABASE,
  SL_EK_CONNECTION,
  SL_EK_ROLLBACK,
  SL_EK_MIGRATION,
  SL_EK_USAGE
} sl_errkind;

/* Error context: fixed buffers so that reporting never allocates (an
** out-of-memory condition can be reported too). Empty string = unknown. */
typedef struct sl_error {
  sl_errkind kind;
  long long code;   /* driver code: sqlite extended code, mysql errno */
  int has_code;     /* code is meaningful */
  char sqlstate[6]; /* five characters + NUL */
  char message[512];
  char detail[256];
  char constraint_name[128];
  char table[128];
  char column[128];
} sl_error;

/* Clears every field. */
void sl_error_clear(sl_error *e);
/* Sets kind and a printf-formatted message (truncated to fit); leaves the
** other fields as they are. Returns SL_ERROR so callers can
** `return sl_error_set(...)`. */
int sl_error_set(sl_error *e, sl_errkind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Copies at most size-1 bytes of src into a fixed field, NUL-terminated. */
void sl_error_field(char *dst, size_t size, const char *src);
/* The API.md name of a kind ("validation", ...). */
const char *sl_errkind_name(sl_errkind kind);

/* }==================================================================== */

/* {====================================================================
** String builder with a sticky out-of-memory flag: append freely, check
** `oom` once at the end.
** ===================================================================== */

typedef struct sl_buf {
  char *p;  /* always NUL-terminated when cap > 0 */
  size_t n; /* bytes used, excluding the NUL */
  size_t cap;
  int oom;
} sl_buf;

void sl_buf_init(sl_buf *b);
void sl_buf_free(sl_buf *b);
void sl_buf_reset(sl_buf *b); /* n = 0, keeps the memory */
void sl_buf_add(sl_buf *b, const char *s, size_t n);
void sl_buf_adds(sl_buf *b, const char *s);
void sl_buf_addc(sl_buf *b, char c);
void sl_buf_addf(sl_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* }==================================================================== */

/* {====================================================================
** Arena: many small allocations, one release.
** ===================================================================== */

typedef struct sl_arena sl_arena;

/* Returns NULL when out of memory. */
sl_arena *sl_arena_new(void);
/* Zeroed, pointer-aligned memory owned by the arena; NULL when out of memory.
 */
void *sl_arena_alloc(sl_arena *a, size_t size);
/* Copies n bytes and appends a NUL; NULL when out of memory. */
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);
void sl_arena_free(sl_arena *a); /* NULL is fine */
/* Frees everything allocated in a at once and makes it empty again,
** keeping one block so that reusing the arena for work of the same size
** allocates nothing. Pointers obtained before are invalid after. */
void sl_arena_reset(sl_arena *a);

/* }==================================================================== */

/* {====================================================================
** Values
** ===================================================================== */

typedef enum sl_vtype {
  SL_V_NULL = 0,
  SL_V_INT,   /* u.i */
  SL_V_FLOAT, /* u.f */
  SL_V_BOOL,  /* u.b (0 or 1) */
  SL_V_TEXT,  /* u.s, may contain NUL bytes */
  SL_V_BLOB   /* u.s */
} sl_vtype;

/* A parameter or a result cell. The bytes of TEXT/BLOB are borrowed: from the
** compiled query's arena (parameters) or from the driver until its next
** step/reset (cells). */
typedef struct sl_value {
  sl_vtype type;
  union {
    int64_t i;
    double f;
    int b;
    struct {
      const char *p;
      size_t n;
    } s;
  } u;
} sl_value;

/* How a Lua value maps to a stored value and back (API.md's value table).
** The binding applies codecs; the core only carries them. */
typedef enum sl_codec {
  SL_C_ANY = 0,      /* no mapping: the driver's natural type */
  SL_C_INT,          /* 64-bit integer */
  SL_C_FLOAT,        /* double */
  SL_C_NUMERIC,      /* exact decimal, a string in Lua */
  SL_C_NUMBER,       /* decimal read as a float (mode = "number") */
  SL_C_BOOL,         /* true/false; 0/1 where the database has no boolean */
  SL_C_TEXT,         /* string */
  SL_C_JSON,         /* Lua table <-> JSON text */
  SL_C_BLOB,         /* byte string */
  SL_C_TIMESTAMP,    /* ISO-8601 string; sqlite stores integer seconds */
  SL_C_TIMESTAMP_MS, /* ISO-8601 string with ms; sqlite stores integer ms */
  SL_C_EPOCH,        /* integer seconds in Lua */
  SL_C_EPOCH_MS,     /* integer milliseconds in Lua */
  SL_C_DATE,         /* "YYYY-MM-DD" */
  SL_C_TIME,         /* "HH:MM:SS[.fff]" */
  SL_C_BIGINT,       /* int as SL_C_INT; on LuaJIT int64/uint64 cdata */
  SL_C__COUNT
} sl_codec;

/* Or'ed into a codec: a PostgreSQL array (nested to any depth) of the
** codec's values, a Lua sequence <-> the array's text ('{1,NULL,"a b"}'). */
#define SL_C_ARRAY 0x40
#define SL_C_ELEMENT(c) ((sl_codec)((int)(c) & ~SL_C_ARRAY))
/* Or'ed into a codec with a number n << SL_C_CUSTOM_SHIFT (n >= 1): a
** custom type's values ("custom:n", customType), which the binding passes
** through the type's own toDriver / fromDriver around the codec in the low
** bits ("any"). */
#define SL_C_CUSTOM 0x80
#define SL_C_CUSTOM_SHIFT 8
#define SL_C_CUSTOM_ID(c) ((int)(c) >> SL_C_CUSTOM_SHIFT)
#define SL_C_BASE(c) ((sl_codec)((int)(c) & (SL_C_ARRAY - 1)))

/* "int", "float", ... ("int[]" for an array) as used in Lua node trees;
** NULL for an unknown code. */
const char *sl_codec_name(sl_codec c);
/* The code of a name, or -1. */
int sl_codec_find(const char *name);

/* }==================================================================== */

/* {====================================================================
** The statement tree. Built by the binding (or by C tests) in one arena;
** the renderer only reads it. Every list is (v, n). Names are SQL names
** (already cased); keys are the Lua-facing names of result fields.
** ===================================================================== */

typedef struct sl_node sl_node;

typedef enum sl_kind {
  /* expressions */
  SL_N_COL,      /* column reference */
  SL_N_PARAM,    /* bound value */
  SL_N_PH,       /* named placeholder, bound at execution */
  SL_N_RAW,      /* trusted SQL text */
  SL_N_IDENT,    /* one quoted identifier */
  SL_N_SQL,      /* raw text chunks interleaved with nodes */
  SL_N_NULL,     /* NULL literal */
  SL_N_DEFAULT,  /* DEFAULT keyword (in VALUES) */
  SL_N_EXCLUDED, /* the proposed row of an upsert: excluded."c" / VALUES(`c`) */
  SL_N_BIN,      /* l op r */
  SL_N_AND,
  SL_N_OR,
  SL_N_NOT,
  SL_N_ISNULL,  /* e IS [NOT] NULL */
  SL_N_IN,      /* e [NOT] IN (list | subquery) */
  SL_N_BETWEEN, /* e [NOT] BETWEEN lo AND hi */
  SL_N_EXISTS,  /* [NOT] EXISTS (subquery) */
  SL_N_FUNC,    /* name([DISTINCT] args) ; no args = name(*) */
  SL_N_ALIAS,   /* e AS "name" */
  SL_N_ORDER,   /* e ASC|DESC */
  SL_N_SCALAR,  /* (select ...) used as a value */
  /* sources */
  SL_N_TABLE, /* [schema.]name [AS alias] */
  SL_N_SUBQ,  /* (select ...) AS alias */
  /* statements */
  SL_N_SELECT,
  SL_N_SETOP, /* l UNION|UNION ALL|INTERSECT|EXCEPT r */
  SL_N_INSERT,
  SL_N_UPDATE,
  SL_N_DELETE,
  /* DDL */
  SL_N_CREATE_TABLE,
  SL_N_CREATE_INDEX,
  SL_N_CREATE_ENUM,
  SL_N__COUNT
} sl_kind;

typedef enum sl_binop {
  SL_OP_EQ,
  SL_OP_NE,
  SL_OP_GT,
  SL_OP_GTE,
  SL_OP_LT,
  SL_OP_LTE,
  SL_OP_LIKE,
  SL_OP_NOT_LIKE,
  SL_OP_ILIKE,
  SL_OP_NOT_ILIKE
} sl_binop;

typedef enum sl_jointype {
  SL_JOIN_INNER,
  SL_JOIN_LEFT,
  SL_JOIN_RIGHT,
  SL_JOIN_FULL,
  SL_JOIN_CROSS
} sl_jointype;

typedef enum sl_setop {
  SL_SET_UNION,
  SL_SET_UNION_ALL,
  SL_SET_INTERSECT,
  SL_SET_EXCEPT,
  SL_SET_INTERSECT_ALL,
  SL_SET_EXCEPT_ALL
} sl_setop;

/* Row locks of a select (FOR UPDATE ...). */
typedef enum sl_lock {
  SL_LOCK_NONE,
  SL_LOCK_UPDATE,
  SL_LOCK_SHARE,
  SL_LOCK_NO_KEY_UPDATE,
  SL_LOCK_KEY_SHARE
} sl_lock;

typedef enum sl_lockwait {
  SL_LOCK_WAIT,
  SL_LOCK_NOWAIT,
  SL_LOCK_SKIP_LOCKED
} sl_lockwait;

typedef struct sl_list {
  sl_node **v;
  int n;
} sl_list;

/* The shape of a result cell that holds nested rows as JSON text
** (relational queries). A row is a JSON array of n elements: element i is
** read with codecs[i] into row[keys[i]], or, when sub[i] is not NULL, is a
** nested relation of shape sub[i]. A relation is one row or null (many = 0;
** null reads as nil) or an array of rows (many = 1; null reads as an empty
** list). An element that is a JSON string where a row or relation is
** expected holds that row or relation as JSON text. */
typedef struct sl_shape sl_shape;
struct sl_shape {
  int many;
  int n;
  const char **keys;
  sl_codec *codecs;
  sl_shape **sub; /* n entries, NULL for plain values */
  /* n entries or NULL: 1 where a float column is single precision (read as
  ** the shortest decimal of the float, as drivers read such cells) */
  unsigned char *single;
  int key_base; /* the binding's own: where its keys are interned */
};

/* One result column of a select or of RETURNING. Rows are built from these:
** row[key] = decode(cell, codec), inside row[groups[group].name] when
** group >= 0; a field with a shape decodes its cell as nested rows. */
typedef struct sl_field {
  const char *key;
  sl_node *e;
  sl_codec codec;
  int group;       /* index into the statement's groups, -1 for top level */
  sl_shape *shape; /* NULL for a plain cell */
} sl_field;

typedef struct sl_fields {
  sl_field *v;
  int n;
} sl_fields;

/* A nested object of a result row (the joined tables of a join). */
typedef struct sl_group {
  const char *key;
  int nullable; /* nil when every cell of the group is NULL (outer joins) */
} sl_group;

typedef struct sl_join {
  sl_jointype type;
  sl_node *source; /* SL_N_TABLE or SL_N_SUBQ */
  sl_node *on;     /* NULL for CROSS */
  int lateral;     /* JOIN LATERAL (a subquery that sees the tables before) */
} sl_join;

typedef struct sl_cte {
  const char *name;
  sl_node *query;
} sl_cte;

typedef struct sl_assign {
  const char *column; /* SQL name, unqualified */
  sl_node *value;
} sl_assign;

/* Foreign key actions: NULL or one of "cascade", "restrict", "no action",
** "set null", "set default" (any case; rendered in lower case as
** drizzle-kit writes them, e.g. ON DELETE cascade; others are refused). */
typedef struct sl_fk {
  const char *name; /* may be NULL: the dialect's generated name */
  const char **columns;
  int ncolumns;
  const char *ref_schema; /* may be NULL */
  const char *ref_table;
  const char **ref_columns;
  int nref_columns;
  const char *on_delete;
  const char *on_update;
} sl_fk;

/* A PostgreSQL identity column: GENERATED ALWAYS | BY DEFAULT AS IDENTITY
** with its sequence's options (integers as text, as snapshots keep them). */
typedef struct sl_identity {
  int by_default; /* 0: ALWAYS, 1: BY DEFAULT */
  const char *name, *schema;
  const char *increment, *start, *min, *max, *cache;
  int cycle;
} sl_identity;

typedef struct sl_coldef {
  const char *name;
  const char *type; /* SQL type text from the schema ("varchar(255)") */
  int not_null;
  int primary_key;    /* single-column primary key */
  int autoincrement;  /* sqlite AUTOINCREMENT / mysql AUTO_INCREMENT */
  sl_node *default_;  /* NULL, SL_N_PARAM (inlined as a literal) or SQL */
  const char *unique; /* NULL, "" (unnamed) or a constraint name */
  sl_node *generated; /* GENERATED ALWAYS AS (expr) */
  int generated_stored;
  int on_update_now;           /* MySQL: ON UPDATE CURRENT_TIMESTAMP */
  const sl_identity *identity; /* PostgreSQL identity, or NULL */
} sl_coldef;

typedef struct sl_keydef {
  const char *name; /* may be NULL */
  const char **columns;
  int ncolumns;
  int nulls_not_distinct; /* unique: NULLS NOT DISTINCT (PostgreSQL 15) */
} sl_keydef;

typedef struct sl_checkdef {
  const char *name;
  sl_node *expr;
} sl_checkdef;

struct sl_node {
  sl_kind kind;
  union {
    struct {
      const char *table;
      const char *name;
    } col; /* table may be NULL */
    struct {
      sl_value v;
      sl_codec codec;
      const char *column;
      int slot; /* 1-based value slot of a statement template; 0: none */
    } param;
    struct {
      const char *name;
      sl_codec codec;
      const char *column;
    } ph;
    struct {
      const char *text;
    } raw;
    struct {
      const char *name;
    } ident;
    struct {
      const char **texts;
      sl_node **nodes;
      int n;
    } sql;
    /* texts[0] nodes[0] texts[1] ... nodes[n-1] texts[n]: n+1 texts */
    struct {
      const char *column;
    } excluded;
    struct {
      sl_binop op;
      sl_node *l, *r;
    } bin;
    struct {
      sl_list list;
    } logic; /* AND / OR */
    struct {
      sl_node *e;
    } not_;
    struct {
      sl_node *e;
      int negate;
    } isnull;
    struct {
      sl_node *e;
      sl_list list;
      sl_node *subquery;
      int negate;
    } in;
    struct {
      sl_node *e, *lo, *hi;
      int negate;
    } between;
    struct {
      sl_node *subquery;
      int negate;
    } exists;
    struct {
      const char *name;
      sl_list args;
      int distinct;
    } func;
    struct {
      sl_node *e;
      const char *name;
    } alias;
    struct {
      sl_node *e;
      int desc;
      int nulls; /* 0: the direction's default, 1: NULLS FIRST, 2: LAST */
    } order;
    struct {
      sl_node *query;
    } scalar;
    struct {
      const char *schema;
      const char *name;
      const char *alias;
    } table;
    struct {
      sl_node *query;
      const char *alias;
    } subq;
    struct {
      int distinct;
      sl_list distinct_on; /* PostgreSQL: DISTINCT ON (...) */
      sl_lock lock;        /* FOR UPDATE / SHARE / ... */
      sl_lockwait lock_wait;
      sl_list lock_of; /* SL_N_TABLE nodes: FOR UPDATE OF ... */
      sl_cte *ctes;
      int nctes;
      sl_fields fields; /* never empty: "select *" is spelled out */
      sl_group *groups;
      int ngroups;
      int alias_fields; /* subquery/CTE: fields get AS "key" */
      sl_node *from;    /* may be NULL (select 1) */
      sl_join *joins;
      int njoins;
      sl_node *where;
      sl_list group_by;
      sl_node *having;
      sl_list order_by; /* SL_N_ORDER nodes (or plain expressions) */
      sl_node *limit, *offset;
    } select;
    struct {
      sl_setop op;
      sl_node *l, *r; /* selects or set operations */
      sl_list order_by;
      sl_node *limit, *offset;
    } setop;
    struct {
      sl_cte *ctes;
      int nctes;
      sl_node *table; /* SL_N_TABLE */
      const char **columns;
      int ncolumns;
      sl_node ***rows;
      int nrows;               /* rows[r][c], c < ncolumns */
      sl_node *select;         /* INSERT ... SELECT instead of rows */
      int ignore;              /* mysql INSERT IGNORE */
      int overriding;          /* pg: OVERRIDING SYSTEM VALUE (identity) */
      int conflict;            /* 0 none, 1 do nothing, 2 do update */
      sl_list conflict_target; /* SL_N_COL nodes */
      sl_node *conflict_where; /* target WHERE (partial index) */
      sl_assign *conflict_set;
      int nconflict_set;
      sl_node *conflict_set_where;
      sl_assign *dup_set;
      int ndup_set;        /* mysql ON DUPLICATE KEY UPDATE */
      sl_fields returning; /* n == 0: no RETURNING */
      int has_returning;
    } insert;
    struct {
      sl_cte *ctes;
      int nctes;
      sl_node *table;
      sl_assign *set;
      int nset;
      sl_node *from; /* UPDATE ... FROM (PostgreSQL, SQLite) */
      sl_node *where;
      sl_list order_by; /* ORDER BY / LIMIT (MySQL, SQLite) */
      sl_node *limit;
      sl_fields returning;
      int has_returning;
    } update;
    struct {
      sl_cte *ctes;
      int nctes;
      sl_node *table;
      sl_node *where;
      sl_list order_by; /* ORDER BY / LIMIT (MySQL, SQLite) */
      sl_node *limit;
      sl_fields returning;
      int has_returning;
    } delete_;
    struct {
      const char *schema;
      const char *name;
      int if_not_exists;
      sl_coldef *columns;
      int ncolumns;
      sl_keydef *primary_key; /* composite key, may be NULL */
      sl_fk *fks;
      int nfks; /* column-level references are here too */
      sl_keydef *uniques;
      int nuniques;
      sl_checkdef *checks;
      int nchecks;
    } create_table;
    struct {
      const char *name;
      const char *schema;
      const char *table;
      int unique;
      int if_not_exists;
      int concurrently;       /* PostgreSQL: CREATE INDEX CONCURRENTLY */
      int nulls_not_distinct; /* PostgreSQL 15: unique NULLS NOT DISTINCT */
      sl_list columns;        /* SL_N_COL (rendered unqualified) or SQL */
      sl_node *where;         /* partial index */
    } create_index;
    struct {
      const char *schema;
      const char *name;
      const char **values;
      int nvalues;
    } create_enum;
  } u;
};

/* }==================================================================== */

/* {====================================================================
** Dialects: one default renderer, per-dialect hooks.
** ===================================================================== */

typedef struct sl_render sl_render;

enum {
  SL_CAP_RETURNING = 1 << 0, /* RETURNING on insert/update/delete */
  SL_CAP_ILIKE = 1 << 1,     /* native ILIKE (else lower() LIKE lower()) */
  SL_CAP_FULL_JOIN = 1 << 2,
  SL_CAP_RIGHT_JOIN = 1 << 3,
  SL_CAP_ON_CONFLICT = 1 << 4,    /* INSERT ... ON CONFLICT */
  SL_CAP_ON_DUPLICATE = 1 << 5,   /* INSERT ... ON DUPLICATE KEY UPDATE */
  SL_CAP_DEFAULT_VALUES = 1 << 6, /* DEFAULT accepted inside VALUES */
  SL_CAP_PAREN_SETOP = 1 << 7,    /* (select) UNION (select) */
  SL_CAP_ENUM_TYPES = 1 << 8,     /* CREATE TYPE ... AS ENUM */
  SL_CAP_TRANSACTIONAL_DDL = 1 << 9,
  SL_CAP_INSERT_RETURNING = 1 << 10, /* RETURNING on insert/delete only */
  SL_CAP_INTERSECT_EXCEPT = 1 << 11,
  SL_CAP_SETOP_ALL = 1 << 12,   /* INTERSECT ALL, EXCEPT ALL */
  SL_CAP_ROW_LOCKS = 1 << 13,   /* SELECT ... FOR UPDATE */
  SL_CAP_LATERAL = 1 << 14,     /* JOIN LATERAL */
  SL_CAP_UPDATE_FROM = 1 << 15, /* UPDATE ... FROM */
  SL_CAP_DML_LIMIT = 1 << 16    /* UPDATE / DELETE ... ORDER BY ... LIMIT */
};

typedef struct sl_dialect {
  const char *name; /* "sqlite", "postgresql", "mysql" */
  unsigned caps;
  char quote; /* identifier quote: '"' or '`' */
  /* Appends the placeholder of the n-th parameter (1-based). */
  void (*placeholder)(sl_buf *b, int n);
  /* Appends v as an SQL literal (DDL defaults only; queries never inline). */
  void (*literal)(sl_buf *b, const sl_value *v);
  /* Optional: renders n itself and returns 1, or returns 0 to fall back to
  ** the default renderer. Errors go to the render context. */
  int (*render_node)(sl_render *r, const sl_node *n);
} sl_dialect;

extern const sl_dialect sl_dialect_sqlite;
extern const sl_dialect sl_dialect_postgresql;
extern const sl_dialect sl_dialect_mysql;

/* "sqlite", "postgresql" (also "postgres", "pg"), "mysql" (also "mariadb");
** NULL when unknown. */
const sl_dialect *sl_dialect_find(const char *name);

/* One parameter slot of a rendered statement: a bound value, or a named
** placeholder to be filled at execution (placeholder != NULL). */
typedef struct sl_param {
  sl_value v;
  const char *placeholder;
  sl_codec codec;
  const char *column; /* "table.column" for messages; may be NULL */
  int slot;           /* the param node's slot (statement templates); 0: none */
} sl_param;

/* The output of rendering. sql and params are allocated in the arena passed
** to sl_render_stmt and live as long as it. */
typedef struct sl_sql {
  const char *sql;
  size_t len;
  sl_param *params;
  int nparams;
} sl_sql;

/* Renders one statement (or expression) for a dialect.
** In: d, n (a tree; not modified), a (receives the output).
** Out: *out on SL_OK. On SL_ERROR, err says why (kind usage for features the
** dialect lacks, e.g. FULL JOIN on MySQL). */
int sl_render_stmt(const sl_dialect *d, const sl_node *n, sl_arena *a,
                   sl_sql *out, sl_error *err);

/* Helpers for dialect hooks (valid only during sl_render_stmt). */
sl_buf *sl_render_buf(sl_render *r);
const sl_dialect *sl_render_dialect(sl_render *r);
int sl_render_expr(sl_render *r, const sl_node *n); /* SL_OK/SL_ERROR */
void sl_render_ident(sl_render *r, const char *name);
int sl_render_fail(sl_render *r, sl_errkind kind, const char *msg);

/* Appends name quoted with q, doubling q inside. */
void sl_quote_ident(sl_buf *b, char q, const char *name);

/* }==================================================================== */

/* {====================================================================
** Migration DDL (sl_ddl.c): the statements a schema diff is made of, one
** sl_ddl per statement. CREATE TABLE / INDEX / TYPE reuse their sl_node
** kinds (kind SL_DDL_NODE); everything else is an ALTER/DROP spelled per
** dialect. A flat struct: each kind reads the fields its comment names and
** ignores the others. Names are SQL names; schema NULL means the default
** one (and is never written).
** ===================================================================== */

typedef enum sl_ddl_kind {
  SL_DDL_NODE,              /* node: any sl_node (CREATE ..., raw text) */
  SL_DDL_CREATE_INDEX,      /* node (SL_N_CREATE_INDEX), type = access
                            ** method (pg; NULL: btree) */
  SL_DDL_DROP_TABLE,        /* schema, table */
  SL_DDL_RENAME_TABLE,      /* schema, table -> new_name */
  SL_DDL_SET_SCHEMA,        /* schema, table -> new_name (a schema; pg) */
  SL_DDL_ADD_COLUMN,        /* schema, table, column */
  SL_DDL_DROP_COLUMN,       /* schema, table, name */
  SL_DDL_RENAME_COLUMN,     /* schema, table, name -> new_name */
  SL_DDL_MODIFY_COLUMN,     /* schema, table, column (mysql: whole def) */
  SL_DDL_SET_TYPE,          /* schema, table, name, type, using (pg) */
  SL_DDL_SET_DEFAULT,       /* schema, table, name, default_sql (text) */
  SL_DDL_DROP_DEFAULT,      /* schema, table, name */
  SL_DDL_SET_NOT_NULL,      /* schema, table, name (pg) */
  SL_DDL_DROP_NOT_NULL,     /* schema, table, name (pg) */
  SL_DDL_ADD_PRIMARY_KEY,   /* schema, table, key (name used by pg) */
  SL_DDL_DROP_PRIMARY_KEY,  /* schema, table, name (pg constraint name) */
  SL_DDL_ADD_FOREIGN_KEY,   /* schema, table, fk */
  SL_DDL_DROP_FOREIGN_KEY,  /* schema, table, name */
  SL_DDL_ADD_UNIQUE,        /* schema, table, key */
  SL_DDL_DROP_UNIQUE,       /* schema, table, name */
  SL_DDL_ADD_CHECK,         /* schema, table, check */
  SL_DDL_DROP_CHECK,        /* schema, table, name */
  SL_DDL_RENAME_CONSTRAINT, /* schema, table, name -> new_name (pg) */
  SL_DDL_DROP_INDEX,        /* schema, table, name */
  SL_DDL_RENAME_INDEX,      /* schema, table, name -> new_name */
  SL_DDL_DROP_ENUM,         /* schema, name (pg) */
  SL_DDL_ADD_ENUM_VALUE,    /* schema, name, value [, before] (pg) */
  SL_DDL_CREATE_SCHEMA,     /* name (pg) */
  SL_DDL_DROP_SCHEMA,       /* name (pg) */
  SL_DDL_COPY_ROWS,         /* table <- source, columns (sqlite rebuild) */
  SL_DDL_PRAGMA             /* name[=value] (sqlite; trusted text) */
} sl_ddl_kind;

typedef struct sl_ddl {
  sl_ddl_kind kind;
  const char *schema;
  const char *table;
  const char *name;
  const char *new_name;
  const char *type;        /* SQL type text */
  const char *using_;      /* SET_TYPE: NULL (no USING clause), "" for
                           ** USING "c"::type, or an intermediate type t
                           ** for USING "c"::t::type */
  const char *default_sql; /* SQL text as written after DEFAULT */
  const char *value;       /* enum value; PRAGMA value */
  const char *before;      /* ADD_ENUM_VALUE: BEFORE this value, or NULL */
  const char *source;      /* COPY_ROWS: the table rows come from */
  const char **columns;    /* COPY_ROWS: the columns copied */
  int ncolumns;
  const sl_coldef *column;
  const sl_keydef *key;
  const sl_fk *fk;
  const sl_checkdef *check;
  const sl_node *node;
} sl_ddl;

/* Renders one migration statement for d, ending with ';'. Text is
** allocated in a. Fails (usage) for a statement the dialect cannot express
** (e.g. SET_TYPE on SQLite) or a malformed one. */
int sl_render_ddl(const sl_dialect *d, const sl_ddl *s, sl_arena *a,
                  sl_sql *out, sl_error *err);

/* Renders an expression as DDL text for d: parameters inlined as literals,
** columns unqualified, placeholders refused. With as_default, the text is
** what CREATE TABLE writes after DEFAULT (expressions other than literals
** parenthesised on SQLite and MySQL). Text is allocated in a. */
int sl_render_ddl_expr(const sl_dialect *d, const sl_node *e, int as_default,
                       sl_arena *a, sl_sql *out, sl_error *err);

/* Renders a query (a view's definition) or an expression (a policy's) as
** DDL text for d: parameters inlined as literals, placeholders refused,
** columns qualified as a statement qualifies them. Text is allocated in
** a. */
int sl_render_ddl_query(const sl_dialect *d, const sl_node *q, sl_arena *a,
                        sl_sql *out, sl_error *err);

/* }==================================================================== */

/* {====================================================================
** Schema snapshots (sl_snapshot.c): drizzle-kit's JSON document
** describing a schema (docs/internals.md, "Migrations"), parsed into
** read-only structs in one arena. Lists are sorted (tables by schema and
** name, columns by "order", everything else by name) so that walks are
** stable whatever the key order of the JSON. SQL texts (defaults,
** checks, index expressions) are trimmed.
** ===================================================================== */

typedef struct sl_snap_column {
  const char *name;
  const char *type;
  const char *default_;  /* SQL text after DEFAULT; NULL: no default */
  const char *generated; /* GENERATED ALWAYS AS text; NULL: plain */
  int generated_stored;
  int primary_key; /* single-column primary key */
  int not_null;
  int autoincrement;
  int on_update_now;     /* MySQL: ON UPDATE CURRENT_TIMESTAMP ("onUpdate") */
  sl_identity *identity; /* PostgreSQL "identity", or NULL */
  int order;             /* 1-based position in the table */
} sl_snap_column;

typedef struct sl_snap_index_col {
  const char *expression; /* column name, or SQL when is_expression */
  int is_expression;
  int asc;
  int nulls; /* 0: the direction's default (asc: last), 1: first, 2: last */
} sl_snap_index_col;

typedef struct sl_snap_index {
  const char *name;
  sl_snap_index_col *columns;
  int ncolumns;
  int unique;
  const char *where;      /* NULL: not partial */
  const char *method;     /* access method (pg), "btree" when absent */
  int concurrently;       /* pg: CREATE INDEX CONCURRENTLY (not compared) */
  int nulls_not_distinct; /* pg: unique ... NULLS NOT DISTINCT */
} sl_snap_index;

typedef struct sl_snap_fk {
  const char *name;
  const char **columns;
  int ncolumns;
  const char *ref_schema; /* pg: "public" when absent; NULL elsewhere */
  const char *ref_table;
  const char **ref_columns;
  int nref_columns;
  const char *on_delete; /* lower case, "no action" when absent */
  const char *on_update;
} sl_snap_fk;

/* A composite primary key or a unique constraint. */
typedef struct sl_snap_key {
  const char *name;
  const char **columns;
  int ncolumns;
  int nulls_not_distinct; /* unique constraints: NULLS NOT DISTINCT */
} sl_snap_key;

typedef struct sl_snap_check {
  const char *name;
  const char *value; /* SQL text */
} sl_snap_check;

/* A row-level security policy (PostgreSQL). */
typedef struct sl_snap_policy {
  const char *name;
  int restrictive; /* AS RESTRICTIVE (else PERMISSIVE) */
  const char *cmd; /* ALL, SELECT, INSERT, UPDATE or DELETE */
  const char **to; /* roles, sorted; "public" when none given */
  int nto;
  const char *using_;     /* USING (...), or NULL */
  const char *with_check; /* WITH CHECK (...), or NULL */
} sl_snap_policy;

/* A role the schema manages (PostgreSQL). */
typedef struct sl_snap_role {
  const char *name;
  int create_db, create_role, inherit;
} sl_snap_role;

typedef struct sl_snap_table {
  const char *key;    /* pg "schema.name", else the name */
  const char *schema; /* pg: "public" when empty; NULL elsewhere */
  const char *name;
  sl_snap_column *columns;
  int ncolumns;
  sl_snap_index *indexes;
  int nindexes;
  sl_snap_fk *fks;
  int nfks;
  sl_snap_key *pks; /* compositePrimaryKeys: none or one */
  int npks;
  sl_snap_key *uniques;
  int nuniques;
  sl_snap_check *checks;
  int nchecks;
  sl_snap_policy *policies; /* pg: row-level security policies, by name */
  int npolicies;
  int rls; /* pg: row-level security enabled ("isRLSEnabled") */
} sl_snap_table;

typedef struct sl_snap_enum {
  const char *schema; /* "public" when absent */
  const char *name;
  const char **values;
  int nvalues;
} sl_snap_enum;

typedef struct sl_snapshot {
  const sl_dialect *dialect;
  const char *version; /* may be NULL */
  const char *id;      /* may be NULL */
  const char *prev_id; /* may be NULL */
  sl_snap_table *tables;
  int ntables;
  sl_snap_enum *enums; /* postgresql only */
  int nenums;
  sl_identity *sequences; /* postgresql only: schema, name and options */
  int nsequences;
  sl_snap_role *roles; /* postgresql only: the roles the schema manages */
  int nroles;
  const char **schemas; /* pg schemas other than public, sorted */
  int nschemas;
} sl_snapshot;

/* Parses and validates snapshot JSON (len bytes) into *out, allocated in
** a. label names the document in messages ("previous snapshot"). On
** SL_ERROR err (kind validation) says what is wrong and where, e.g.
** `next snapshot: tables."public.users".columns."email": "type" must be a
** string`. */
int sl_snapshot_parse(const char *json, size_t len, const char *label,
                      sl_arena *a, sl_snapshot **out, sl_error *err);

/* An empty snapshot of dialect d (the "previous" of a first migration). */
sl_snapshot *sl_snapshot_empty(const sl_dialect *d, sl_arena *a);

/* }==================================================================== */

/* {====================================================================
** Schema diff (sl_diff.c): two snapshots of one dialect to the ordered
** DDL statements that turn the first schema into the second, plus a
** change list naming what they do. diff(next, prev) with inverted renames
** is the down migration. See docs/internals.md, "Migrations", for the
** statement order and the SQLite foreign-key contract.
** ===================================================================== */

/* One rename answer. Tables: from "[schema.]old", to "[schema.]new".
** Columns: from "[schema.]table.old" (the table's old or new name), to the
** new column name. to == NULL answers "not a rename": from is dropped (in
** the previous snapshot) or created (in the next one). */
typedef struct sl_rename {
  const char *from;
  const char *to;
} sl_rename;

typedef struct sl_diff_opts {
  const sl_rename *tables;
  int ntables;
  const sl_rename *columns;
  int ncolumns;
} sl_diff_opts;

typedef struct sl_change {
  const char *kind;   /* "create_table", "add_column", ... */
  const char *table;  /* display name ("auth.users" outside public) */
  const char *column; /* may be NULL */
  const char *name;   /* constraint, index, enum or schema; may be NULL */
  int destructive;    /* may lose data, or fail on existing rows */
  const char *description;
} sl_change;

/* Created and deleted tables (columns == 0) or columns of one table that
** no rename answer covers: the caller must ask which are renames. */
typedef struct sl_unresolved {
  int columns;
  const char *table; /* columns: the table (its next name) */
  const char **created;
  int ncreated;
  const char **deleted;
  int ndeleted;
} sl_unresolved;

typedef struct sl_diff {
  const char **statements; /* each ends with ';' */
  int nstatements;
  sl_change *changes;
  int nchanges;
  sl_unresolved *unresolved; /* when nunresolved > 0 nothing else is set */
  int nunresolved;
} sl_diff;

/* Diffs prev into next for dialect d (both snapshots must be of d's
** family). opts may be NULL. *out is allocated in a; the names in it may
** be borrowed from the snapshots, which must outlive it. On
** SL_ERROR err says why: validation for a rename answer that names
** nothing, usage for a change the dialect cannot express. */
int sl_diff_snapshots(const sl_dialect *d, const sl_snapshot *prev,
                      const sl_snapshot *next, const sl_diff_opts *opts,
                      sl_arena *a, sl_diff *out, sl_error *err);

/* }==================================================================== */

#endif
