/*
** my_txmode.h — the transaction characteristics a MySQL begin() accepts,
** shared by the MariaDB client driver (drivers/mysql.c), the wire driver
** (drivers/mywire.c) and the MySQL proxy (drivers/proxy.c), so that all of
** them accept and spell the same ones.
**
** mode is a list separated by ',' or ';', in any case and spacing:
** "isolation level <level>" (MySQL sets it with SET TRANSACTION before the
** transaction starts), "read only", "read write" and "with consistent
** snapshot" (appended to START TRANSACTION). The Lua layer composes it from
** db:transaction's options. Anything else is refused, so the text never
** reaches the server unchecked.
*/
#ifndef MY_TXMODE_H
#define MY_TXMODE_H

#include <stdio.h>
#include <string.h>

#include "../ext/sleet.h"

/* Copies [p, end) lower-cased with runs of white space made one space and
** none at either end; 0 when it does not fit. */
static inline int my_txmode_normalize(const char *p, const char *end, char *dst,
                                      size_t size) {
  size_t n = 0;
  int blank = 0;
  for (; p < end; p++) {
    int ch = (unsigned char)*p;
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      blank = n > 0;
      continue;
    }
    if (blank) {
      if (n + 1 >= size) return 0;
      dst[n++] = ' ';
      blank = 0;
    }
    if (n + 1 >= size) return 0;
    dst[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  }
  dst[n] = '\0';
  return 1;
}

static inline int my_txmode_listed(const char *s, const char *const *list) {
  int i;
  for (i = 0; list[i] != NULL; i++)
    if (strcmp(s, list[i]) == 0) return 1;
  return 0;
}

/* Splits mode (NULL: none) into level ("SET TRANSACTION ..." or "", 96
** bytes) and start ("START TRANSACTION[ ...]", 128 bytes). SL_ERROR with a
** usage error naming an unknown characteristic. */
static inline int my_txmode(const char *mode, char level[96], char start[128],
                            sl_error *err) {
  static const char *const levels[] = {"read uncommitted", "read committed",
                                       "repeatable read", "serializable", NULL};
  static const char *const options[] = {"read only", "read write",
                                        "with consistent snapshot", NULL};
  const char *p, *end;
  int nstart = 0;
  level[0] = '\0';
  snprintf(start, 128, "START TRANSACTION");
  if (mode == NULL) return SL_OK;
  for (p = mode; *p != '\0'; p = *end ? end + 1 : end) {
    char item[64];
    end = p + strcspn(p, ",;");
    if (!my_txmode_normalize(p, end, item, sizeof item))
      return sl_error_set(err, SL_EK_USAGE,
                          "unknown transaction characteristic '%.*s'",
                          (int)(end - p > 60 ? 60 : end - p), p);
    if (item[0] == '\0') continue;
    if (strncmp(item, "isolation level ", 16) == 0 &&
        my_txmode_listed(item + 16, levels)) {
      snprintf(level, 96, "SET TRANSACTION %s", item);
    } else if (my_txmode_listed(item, options)) {
      size_t k = strlen(start);
      snprintf(start + k, 128 - k, "%s%s", nstart ? ", " : " ", item);
      nstart++;
    } else {
      return sl_error_set(err, SL_EK_USAGE,
                          "unknown transaction characteristic '%s' "
                          "(isolation level <level>, read only, read "
                          "write or with consistent snapshot)",
                          item);
    }
  }
  return SL_OK;
}

#endif
