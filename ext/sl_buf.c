/*
** sl_buf.c — a growable string with a sticky out-of-memory flag: callers
** append freely and check `oom` once when they are done (the way SQLite's
** StrAccum works). After a failed allocation every append is a no-op.
*/
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sleet.h"

#define SL_BUF_MIN 64

/* Makes room for `extra` more bytes plus the NUL; 0 on failure (sets oom). */
static int buf_reserve(sl_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (b->oom) return 0;
  if (extra > SIZE_MAX - b->n - 1) {
    b->oom = 1;
    return 0;
  }
  need = b->n + extra + 1;
  if (need <= b->cap) return 1;
  cap = b->cap ? b->cap : SL_BUF_MIN;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  p = realloc(b->p, cap);
  if (p == NULL) {
    b->oom = 1;
    return 0;
  }
  b->p = p;
  b->cap = cap;
  b->p[b->n] = '\0';
  return 1;
}

/* An empty builder that owns no memory yet. */
void sl_buf_init(sl_buf *b) {
  b->p = NULL;
  b->n = 0;
  b->cap = 0;
  b->oom = 0;
}

/* Releases the memory and leaves b empty and usable. */
void sl_buf_free(sl_buf *b) {
  free(b->p);
  sl_buf_init(b);
}

/* Empties b (and clears oom) but keeps its memory for reuse. */
void sl_buf_reset(sl_buf *b) {
  b->n = 0;
  b->oom = 0;
  if (b->p) b->p[0] = '\0';
}

/* Appends n bytes of s (which may contain NUL bytes). */
void sl_buf_add(sl_buf *b, const char *s, size_t n) {
  if (n == 0) {
    /* keep the "NUL-terminated when cap > 0" promise for empty builders */
    if (b->cap == 0) buf_reserve(b, 0);
    return;
  }
  if (!buf_reserve(b, n)) return;
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

/* Appends the NUL-terminated string s. */
void sl_buf_adds(sl_buf *b, const char *s) {
  sl_buf_add(b, s, strlen(s));
}

/* Appends one byte. */
void sl_buf_addc(sl_buf *b, char c) {
  if (!buf_reserve(b, 1)) return;
  b->p[b->n++] = c;
  b->p[b->n] = '\0';
}

/* Appends printf-formatted text. */
void sl_buf_addf(sl_buf *b, const char *fmt, ...) {
  va_list ap, ap2;
  int len;
  size_t room;
  if (b->oom) return;
  if (!buf_reserve(b, 0)) return;
  room = b->cap - b->n;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  len = vsnprintf(b->p + b->n, room, fmt, ap);
  va_end(ap);
  if (len < 0) {
    /* an encoding error: nothing sensible was written */
    b->p[b->n] = '\0';
    va_end(ap2);
    return;
  }
  if ((size_t)len >= room) {
    if (buf_reserve(b, (size_t)len))
      vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap2);
    else {
      va_end(ap2);
      if (b->p) b->p[b->n] = '\0';
      return;
    }
  }
  va_end(ap2);
  b->n += (size_t)len;
}
