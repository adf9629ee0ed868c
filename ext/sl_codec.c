/*
** sl_codec.c — the names of codecs as they appear in Lua node trees
** (field `ty`) and in compiled parameter lists.
*/
#include <limits.h>
#include <string.h>

#include "sleet.h"

/* Indexed by sl_codec; keep in the enum's order. */
static const char *const codec_names[SL_C__COUNT] = {
    "any",      "int",  "float", "numeric",   "number",       "bool",
    "text",     "json", "blob",  "timestamp", "timestamp_ms", "epoch",
    "epoch_ms", "date", "time",  "bigint"};

/* The same, of arrays (codec | SL_C_ARRAY). */
static const char *const array_names[SL_C__COUNT] = {
    "any[]",      "int[]",       "float[]",        "numeric[]",
    "number[]",   "bool[]",      "text[]",         "json[]",
    "blob[]",     "timestamp[]", "timestamp_ms[]", "epoch[]",
    "epoch_ms[]", "date[]",      "time[]",         "bigint[]"};

/* The name of codec c ("int", "int[]", ...); NULL for a value outside the
** enum. */
const char *sl_codec_name(sl_codec c) {
  int base = (int)c & ~SL_C_ARRAY;
  if (base & SL_C_CUSTOM)
    return SL_C_CUSTOM_ID(c) > 0 && SL_C_BASE(c) == SL_C_ANY ? "custom" : NULL;
  if (base < 0 || base >= SL_C__COUNT) return NULL;
  return ((int)c & SL_C_ARRAY) ? array_names[base] : codec_names[base];
}

/* The codec called name, or -1 when there is none (NULL is unknown too). */
int sl_codec_find(const char *name) {
  int i;
  if (name == NULL) return -1;
  if (strncmp(name, "custom:", 7) == 0) { /* custom:n or custom:n[] */
    const char *p = name + 7;
    long n = 0;
    if (*p < '1' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9' && n <= (INT_MAX >> SL_C_CUSTOM_SHIFT))
      n = n * 10 + (*p++ - '0');
    if (n > (INT_MAX >> SL_C_CUSTOM_SHIFT)) return -1;
    i = (int)(n << SL_C_CUSTOM_SHIFT) | SL_C_CUSTOM;
    if (strcmp(p, "[]") == 0) return i | SL_C_ARRAY;
    return *p == '\0' ? i : -1;
  }
  for (i = 0; i < SL_C__COUNT; i++) {
    if (strcmp(codec_names[i], name) == 0) return i;
    if (strcmp(array_names[i], name) == 0) return i | SL_C_ARRAY;
  }
  return -1;
}
