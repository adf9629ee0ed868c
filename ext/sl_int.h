/*
** sl_int.h — private header of the C core (ext/sl_*.c): the render
** context shared by the default renderer (sl_render.c), the DDL renderer
** (sl_ddl.c) and the dialect hooks (sl_dialect.c). Nothing outside ext/sl_*
** includes it; the binding and drivers see only sleet.h.
*/
#ifndef SL_INT_H
#define SL_INT_H

#include "sleet.h"

/* How deep a tree may nest before rendering refuses it (protects the C
** stack from pathological trees). */
#define SL_MAX_DEPTH 200

/* The database family of a dialect, for the few spellings that no
** capability flag describes (DDL clause order, LIMIT without OFFSET). */
typedef enum sl_family {
  SL_FAM_SQLITE,
  SL_FAM_POSTGRESQL,
  SL_FAM_MYSQL
} sl_family;

/* State of one sl_render_stmt call. */
struct sl_render {
  const sl_dialect *d;
  sl_family fam;
  sl_buf buf; /* the SQL text */
  sl_error *err;
  sl_param *params; /* malloc'd while rendering, copied to the arena */
  int nparams, capparams;
  int failed;              /* an error is in err; stop rendering */
  int oom;                 /* an allocation other than buf's failed */
  int depth;               /* current nesting, bounded by SL_MAX_DEPTH */
  int inline_params;       /* DDL: parameters become literals */
  int unqualify;           /* columns render without their table */
  const char *field_table; /* select list: this table's columns unqualified */
  int need_where; /* the next select must have a WHERE (sqlite upsert) */
};

/* The family of d (by name; unknown names count as PostgreSQL). */
sl_family sl_dialect_family(const sl_dialect *d);

/* Like sl_render_fail with a printf-formatted message. */
int sl_render_failf(sl_render *r, sl_errkind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Fails with a usage error about a malformed tree; what says what is
** missing. Returns SL_ERROR. */
int sl_render_malformed(sl_render *r, const char *what);

/* Renders the items of l separated by sep. */
int sl_render_list(sl_render *r, const sl_list *l, const char *sep);

/* Appends names quoted by the dialect, separated by sep. */
int sl_render_names(sl_render *r, const char *const *names, int n,
                    const char *sep);

/* Appends "schema"."name" (schema may be NULL). */
int sl_render_qualified(sl_render *r, const char *schema, const char *name);
void sl_identity_options(sl_buf *b, char quote, const sl_identity *id);
void sl_sequence_options(sl_buf *b, const sl_identity *id);

/* DDL statements (sl_ddl.c). */
int sl_ddl_create_table(sl_render *r, const sl_node *n);
int sl_ddl_create_index(sl_render *r, const sl_node *n);
int sl_ddl_create_enum(sl_render *r, const sl_node *n);

#endif
