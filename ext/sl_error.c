/*
** sl_error.c — the error context every core and driver function reports
** into. Fixed buffers only, so an out-of-memory condition can be reported
** without allocating.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sleet.h"

/* Clears every field of e: every string empty. Called before each run,
** so only the first byte of each buffer is written. */
void sl_error_clear(sl_error *e) {
  e->kind = SL_EK_NONE;
  e->code = 0;
  e->has_code = 0;
  e->sqlstate[0] = '\0';
  e->message[0] = '\0';
  e->detail[0] = '\0';
  e->constraint_name[0] = '\0';
  e->table[0] = '\0';
  e->column[0] = '\0';
}

/* Sets kind and a printf-formatted message (truncated to fit); the other
** fields are left as they are. Always returns SL_ERROR. */
int sl_error_set(sl_error *e, sl_errkind kind, const char *fmt, ...) {
  va_list ap;
  e->kind = kind;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return SL_ERROR;
}

/* Copies at most size-1 bytes of src (NULL = empty) into dst, terminated. */
void sl_error_field(char *dst, size_t size, const char *src) {
  size_t n;
  if (size == 0) return;
  n = src ? strlen(src) : 0;
  if (n >= size) n = size - 1;
  if (n > 0) memcpy(dst, src, n);
  dst[n] = '\0';
}

/* The API.md name of a kind; "none" for SL_EK_NONE or an unknown value. */
const char *sl_errkind_name(sl_errkind kind) {
  switch (kind) {
  case SL_EK_VALIDATION:
    return "validation";
  case SL_EK_DATABASE:
    return "database";
  case SL_EK_CONNECTION:
    return "connection";
  case SL_EK_ROLLBACK:
    return "rollback";
  case SL_EK_MIGRATION:
    return "migration";
  case SL_EK_USAGE:
    return "usage";
  case SL_EK_NONE:
    break;
  }
  return "none";
}
