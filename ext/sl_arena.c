/*
** sl_arena.c — many small allocations, one release (LPeg keeps a whole
** tree in one block for the same reason: building is fast and freeing
** cannot leak a node). Memory is never reused between resets, so chunks
** obtained zeroed from calloc hand out zeroed memory; a reset zeroes again
** only the bytes that were handed out.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sleet.h"

/* The strictest alignment any of our types needs. */
typedef union sl_maxalign {
  long double ld;
  long long ll;
  double d;
  void *p;
  void (*fn)(void);
} sl_maxalign;

#define SL_ALIGN sizeof(sl_maxalign)
#define SL_ROUND(n) (((n) + SL_ALIGN - 1) / SL_ALIGN * SL_ALIGN)
#define SL_CHUNK 4096

typedef struct sl_chunk {
  struct sl_chunk *next;
  size_t size; /* usable bytes after the header */
  size_t used;
} sl_chunk;

#define SL_HDR SL_ROUND(sizeof(sl_chunk))

struct sl_arena {
  sl_chunk *head; /* the chunk allocations are carved from */
};

static sl_chunk *chunk_new(size_t size) {
  sl_chunk *c;
  if (size > SIZE_MAX - SL_HDR) return NULL;
  c = calloc(1, SL_HDR + size);
  if (c == NULL) return NULL;
  c->size = size;
  c->used = 0;
  c->next = NULL;
  return c;
}

/* A new, empty arena; NULL when out of memory. Release with
** sl_arena_free. */
sl_arena *sl_arena_new(void) {
  sl_arena *a = malloc(sizeof *a);
  if (a == NULL) return NULL;
  a->head = chunk_new(SL_CHUNK - SL_HDR);
  if (a->head == NULL) {
    free(a);
    return NULL;
  }
  return a;
}

/* size zeroed bytes aligned for any type, owned by the arena; NULL when
** out of memory. */
void *sl_arena_alloc(sl_arena *a, size_t size) {
  sl_chunk *c = a->head;
  if (size == 0) size = 1;
  if (size > SIZE_MAX - SL_ALIGN) return NULL;
  size = SL_ROUND(size);
  if (c->size - c->used >= size) {
    void *p = (char *)c + SL_HDR + c->used;
    c->used += size;
    return p;
  }
  if (size > (SL_CHUNK - SL_HDR) / 4) {
    /* a big block gets a chunk of its own, kept behind the current one so
    ** the space left there is not wasted */
    sl_chunk *big = chunk_new(size);
    if (big == NULL) return NULL;
    big->used = size;
    big->next = c->next;
    c->next = big;
    return (char *)big + SL_HDR;
  }
  c = chunk_new(SL_CHUNK - SL_HDR);
  if (c == NULL) return NULL;
  c->next = a->head;
  a->head = c;
  c->used = size;
  return (char *)c + SL_HDR;
}

/* A NUL-terminated copy of n bytes of s, owned by the arena; NULL when out
** of memory. */
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n) {
  char *p;
  if (n == SIZE_MAX) return NULL;
  p = sl_arena_alloc(a, n + 1);
  if (p == NULL) return NULL;
  if (n > 0) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* Releases the arena and everything allocated in it; NULL is fine. */
void sl_arena_free(sl_arena *a) {
  sl_chunk *c, *next;
  if (a == NULL) return;
  for (c = a->head; c != NULL; c = next) {
    next = c->next;
    free(c);
  }
  free(a);
}

/* Frees every chunk but the current one (always of the standard size: big
** blocks are kept behind it) and zeroes what was handed out of it. */
void sl_arena_reset(sl_arena *a) {
  sl_chunk *c, *next;
  for (c = a->head->next; c != NULL; c = next) {
    next = c->next;
    free(c);
  }
  c = a->head;
  c->next = NULL;
  memset((char *)c + SL_HDR, 0, c->used);
  c->used = 0;
}
