/*
** fuzz.h — what the libFuzzer targets of spec/fuzz/ share: the entry point's
** prototype and a reader that turns fuzz bytes into choices. Reading past
** the end yields zeros, so every input, even an empty one, builds
** something, and the choices a byte makes stay put when later bytes
** change.
*/
#ifndef SL_FUZZ_H
#define SL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz_reader {
  const uint8_t *p;
  size_t n, pos;
} fz_reader;

static inline void fz_init(fz_reader *z, const uint8_t *p, size_t n) {
  z->p = p;
  z->n = n;
  z->pos = 0;
}

static inline unsigned fz_byte(fz_reader *z) {
  return z->pos < z->n ? z->p[z->pos++] : 0u;
}

/* A number in [0, n) (n > 0). */
static inline int fz_pick(fz_reader *z, int n) {
  return (int)(fz_byte(z) % (unsigned)n);
}

static inline int fz_bool(fz_reader *z) {
  return (int)(fz_byte(z) & 1u);
}

static inline uint64_t fz_u64(fz_reader *z) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++)
    v = (v << 8) | fz_byte(z);
  return v;
}

/* Up to max bytes of the input itself, without copying: *len gets how
** many. */
static inline const char *fz_bytes(fz_reader *z, size_t max, size_t *len) {
  size_t want = fz_byte(z) % (max + 1), left = z->n - z->pos;
  const char *s = (const char *)z->p + z->pos;
  if (z->pos >= z->n) {
    *len = 0;
    return "";
  }
  if (want > left) want = left;
  z->pos += want;
  *len = want;
  return s;
}

#endif
