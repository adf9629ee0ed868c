/*
** sl_seed.c — deterministic generated data (see sl_seed.h).
*/
#include <stdio.h>
#include <string.h>

#include "sl_seed.h"

#define LIMIT ((uint64_t)1 << 62)

/* {====================================================================
** Random numbers and permutations
** ===================================================================== */

/* splitmix64's finalizer: a bijection of 64-bit integers that mixes well. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t sl_seed_fnv(uint64_t h, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t sl_seed_key(int64_t seed, const char *table, const char *column) {
  uint64_t h = 0xcbf29ce484222325ULL;
  h = sl_seed_fnv(h, table, strlen(table));
  h = sl_seed_fnv(h, ".", 1);
  h = sl_seed_fnv(h, column, strlen(column));
  return mix64(h ^ mix64((uint64_t)seed + 0x9e3779b97f4a7c15ULL));
}

uint64_t sl_seed_rand(uint64_t key, uint64_t row, uint32_t draw) {
  return mix64(key + mix64(row * 0x9e3779b97f4a7c15ULL + draw + 1));
}

/* A number in [0, n) (n > 0). */
static uint64_t below(uint64_t key, uint64_t row, uint32_t draw, uint64_t n) {
  return sl_seed_rand(key, row, draw) % n;
}

uint64_t sl_seed_perm(uint64_t key, uint64_t i, uint64_t n) {
  int bits = 2, half, round;
  uint64_t mask, x = i;
  if (n <= 1) return 0;
  while (bits < 64 && ((uint64_t)1 << bits) < n)
    bits++;
  if (bits & 1) bits++;
  half = bits / 2;
  mask = ((uint64_t)1 << half) - 1;
  /* a balanced Feistel network is a permutation of [0, 2^bits); walking
  ** the cycle until the value falls below n restricts it to [0, n) */
  do {
    uint64_t l = x >> half, r = x & mask, rk = key;
    for (round = 0; round < 4; round++) {
      uint64_t nl = r;
      rk += 0x632be59bd9b4e019ULL;
      r = l ^ (mix64(rk + r) & mask);
      l = nl;
    }
    x = (l << half) | r;
  } while (x >= n);
  return x;
}

/* a * b, or 0 when it reaches LIMIT (0 means unbounded) */
static uint64_t mul(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a >= LIMIT / b) return 0;
  return a * b;
}

/* }==================================================================== */

/* {====================================================================
** Dates
** ===================================================================== */

int64_t sl_seed_days(int64_t y, int m, int d) {
  /* Howard Hinnant's days_from_civil */
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil(int64_t z, int64_t *y, int *m, int *d) {
  int64_t era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, size_t at, int count, int *out) {
  int v = 0, i;
  if (at + (size_t)count > n) return 0;
  for (i = 0; i < count; i++) {
    char c = s[at + (size_t)i];
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return 1;
}

int sl_seed_parse_instant(const char *s, size_t n, int64_t *secs) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  size_t at = 10;
  if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || s[7] != '-' ||
      !digits(s, n, 5, 2, &mo) || !digits(s, n, 8, 2, &d) || mo < 1 ||
      mo > 12 || d < 1 || d > 31)
    return 0;
  if (at < n && (s[at] == ' ' || s[at] == 'T')) {
    if (!digits(s, n, at + 1, 2, &h) || at + 3 >= n || s[at + 3] != ':' ||
        !digits(s, n, at + 4, 2, &mi) || h > 23 || mi > 59)
      return 0;
    at += 6;
    if (at < n && s[at] == ':') {
      if (!digits(s, n, at + 1, 2, &se) || se > 59) return 0;
      at += 3;
    }
  }
  if (at < n && s[at] == 'Z') at++;
  if (at != n) return 0;
  *secs = sl_seed_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return 1;
}

/* }==================================================================== */

/* {====================================================================
** Text helpers
** ===================================================================== */

static const sl_seed_list *list(const sl_seed_table *t, sl_seed_list_id id) {
  return &t->data->lists[id];
}

static void add_item(sl_buf *b, const sl_seed_list *l, uint64_t i) {
  if (l->n == 0) return;
  i %= l->n;
  sl_buf_add(b, l->items[i], l->lens[i]);
}

static void add_lower(sl_buf *b, const sl_seed_list *l, uint64_t i) {
  size_t from = b->n, k;
  add_item(b, l, i);
  if (b->oom) return;
  for (k = from; k < b->n; k++) {
    char c = b->p[k];
    if (c >= 'A' && c <= 'Z')
      b->p[k] = (char)(c - 'A' + 'a');
    else if (c == ' ' || c == '\'')
      b->p[k] = '-';
  }
}

static void add_uint(sl_buf *b, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v > 0);
  while (n > 0)
    sl_buf_addc(b, tmp[--n]);
}

static void add_int(sl_buf *b, int64_t v) {
  if (v < 0) {
    sl_buf_addc(b, '-');
    add_uint(b, (uint64_t)0 - (uint64_t)v);
  } else
    add_uint(b, (uint64_t)v);
}

static void add_padded(sl_buf *b, uint64_t v, int width) {
  char tmp[24];
  int n = 0;
  while (n < width || v > 0) {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
    if (n >= 20) break;
  }
  while (n > 0)
    sl_buf_addc(b, tmp[--n]);
}

static uint64_t pow10u(int n) {
  uint64_t p = 1;
  while (n-- > 0)
    p *= 10;
  return p;
}

/* v / 10^dec written exactly ("-12.05") */
static void add_decimal(sl_buf *b, int64_t v, int dec) {
  uint64_t a, p;
  if (dec <= 0) {
    add_int(b, v);
    return;
  }
  p = pow10u(dec);
  if (v < 0) sl_buf_addc(b, '-');
  a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  add_uint(b, a / p);
  sl_buf_addc(b, '.');
  add_padded(b, a % p, dec);
}

static void add_date(sl_buf *b, int64_t days) {
  int64_t y;
  int m, d;
  civil(days, &y, &m, &d);
  add_padded(b, (uint64_t)(y < 0 ? 0 : y), 4);
  sl_buf_addc(b, '-');
  add_padded(b, (uint64_t)m, 2);
  sl_buf_addc(b, '-');
  add_padded(b, (uint64_t)d, 2);
}

static void add_clock(sl_buf *b, int64_t secs) {
  add_padded(b, (uint64_t)(secs / 3600), 2);
  sl_buf_addc(b, ':');
  add_padded(b, (uint64_t)(secs / 60 % 60), 2);
  sl_buf_addc(b, ':');
  add_padded(b, (uint64_t)(secs % 60), 2);
}

static int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

/* "YYYY-MM-DDTHH:MM:SS.000Z" */
static void add_iso(sl_buf *b, int64_t secs) {
  int64_t days = floordiv(secs, 86400);
  add_date(b, days);
  sl_buf_addc(b, 'T');
  add_clock(b, secs - days * 86400);
  sl_buf_adds(b, ".000Z");
}

static void add_json_string(sl_buf *b, const char *s, size_t n) {
  size_t i;
  sl_buf_addc(b, '"');
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (c == '"' || c == '\\') sl_buf_addc(b, '\\');
    sl_buf_addc(b, c);
  }
  sl_buf_addc(b, '"');
}

static const char ALNUM[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* }==================================================================== */

/* {====================================================================
** Value spaces
** ===================================================================== */

static uint64_t range(const sl_seed_gen *g) {
  uint64_t w;
  if (g->max < g->min) return 0;
  w = (uint64_t)g->max - (uint64_t)g->min;
  if (w >= LIMIT - 1) return 0;
  return w + 1;
}

static uint64_t listn(const sl_seed_data *d, sl_seed_list_id id) {
  return d->lists[id].n;
}

/* Phone numbers: digits of the template ('#'), or the default format. */
static int phone_digits(const sl_seed_gen *g) {
  size_t i;
  int n = 0;
  if (g->nvalues == 0) return 10;
  for (i = 0; i < g->values[0].n; i++)
    if (g->values[0].s[i] == '#') n++;
  return n;
}

/* The space of list-based text generators before any suffix. */
static uint64_t text_space(const sl_seed_gen *g, const sl_seed_data *d) {
  switch (g->kind) {
  case SL_G_FIRSTNAME:
    return listn(d, SL_L_FIRST);
  case SL_G_LASTNAME:
    return listn(d, SL_L_LAST);
  case SL_G_FULLNAME:
    return mul(listn(d, SL_L_FIRST), listn(d, SL_L_LAST));
  case SL_G_EMAIL:
    return mul(mul(listn(d, SL_L_FIRST), listn(d, SL_L_LAST)),
               listn(d, SL_L_DOMAIN));
  case SL_G_COUNTRY:
    return listn(d, SL_L_COUNTRY);
  case SL_G_CITY:
    return listn(d, SL_L_CITY);
  case SL_G_STATE:
    return listn(d, SL_L_STATE);
  case SL_G_STREET:
    return mul(mul(listn(d, SL_L_STREET), listn(d, SL_L_STREET_SUFFIX)), 9999);
  case SL_G_JOBTITLE:
    return mul(mul(listn(d, SL_L_JOB_LEVEL), listn(d, SL_L_JOB_AREA)),
               listn(d, SL_L_JOB_ROLE));
  case SL_G_COMPANY:
    return mul(mul(listn(d, SL_L_COMPANY_WORD), listn(d, SL_L_COMPANY_WORD)),
               listn(d, SL_L_COMPANY_SUFFIX));
  default:
    return 0;
  }
}

int sl_seed_can_unique(const sl_seed_gen *g) {
  switch (g->kind) {
  case SL_G_WEIGHTED:
  case SL_G_LOREM:
  case SL_G_JSON:
  case SL_G_LINE:
  case SL_G_NULL:
    return 0;
  case SL_G_FK:
    return g->fkmode == SL_FK_RANDOM;
  default:
    return 1;
  }
}

uint64_t sl_seed_space(const sl_seed_gen *g, const sl_seed_data *d,
                       uint64_t count) {
  uint64_t s;
  switch (g->kind) {
  case SL_G_DEFAULT:
  case SL_G_NULL:
    return 1;
  case SL_G_VALUES:
    return g->nvalues;
  case SL_G_INT:
  case SL_G_NUMBER:
  case SL_G_DATE:
  case SL_G_TIME:
  case SL_G_TIMESTAMP:
  case SL_G_YEAR:
    return range(g);
  case SL_G_BOOL:
    return 2;
  case SL_G_POSTCODE:
    return 100000;
  case SL_G_PHONE:
    s = pow10u(phone_digits(g) > 18 ? 18 : phone_digits(g));
    return g->nvalues == 0 ? s / 10 * 8 : s;
  case SL_G_INTERVAL:
    return (uint64_t)10 * 12 * 30 * 86400;
  case SL_G_POINT:
    return mul(200001, 200001);
  case SL_G_EMAIL:
    /* past the lists, a numeric suffix makes more */
    s = text_space(g, d);
    if (s != 0 && g->unique && count > s) return mul(s, (count + s - 1) / s);
    return s;
  case SL_G_FIRSTNAME:
  case SL_G_LASTNAME:
  case SL_G_FULLNAME:
  case SL_G_COUNTRY:
  case SL_G_CITY:
  case SL_G_STATE:
  case SL_G_STREET:
  case SL_G_JOBTITLE:
  case SL_G_COMPANY:
    return text_space(g, d);
  case SL_G_FK:
    return g->fkmode == SL_FK_RANDOM && g->parent ? g->parent->count : 0;
  default:
    return 0; /* unbounded */
  }
}

/* }==================================================================== */

/* {====================================================================
** Generators
** ===================================================================== */

static void value_at(const sl_seed_table *t, const sl_seed_gen *g, uint64_t key,
                     uint64_t row, uint64_t k, sl_buf *b, sl_seed_val *out);

/* The k of a row of a non-unique generator: uniform in its space. */
static uint64_t draw_k(const sl_seed_gen *g, const sl_seed_data *d,
                       uint64_t key, uint64_t row, uint64_t count) {
  uint64_t s = sl_seed_space(g, d, count);
  uint64_t r = sl_seed_rand(key, row, 0);
  return s ? r % s : r;
}

static void set_text(sl_seed_val *out, size_t from) {
  out->type = SL_SV_TEXT;
  out->i = (int64_t)from; /* offset until the buffer is final */
}

/* A stream of 32-bit draws for generators that need many per row (lorem
** ipsum): one mix per two draws instead of one keyed mix per draw. */
typedef struct draws {
  uint64_t state, pool;
  int have;
} draws;

static uint32_t draw32(draws *d) {
  if (d->have == 0) {
    d->state += 0x9e3779b97f4a7c15ULL;
    d->pool = mix64(d->state);
    d->have = 2;
  }
  d->have--;
  return (uint32_t)(d->have ? d->pool >> 32 : d->pool & 0xffffffffU);
}

/* A draw in [0, n) for n < 2^32 (multiply-shift: no division). */
static uint64_t draw_below(draws *d, uint64_t n) {
  return ((uint64_t)draw32(d) * n) >> 32;
}

static void gen_lorem(const sl_seed_table *t, const sl_seed_gen *g,
                      uint64_t key, uint64_t row, sl_buf *b) {
  const sl_seed_list *l = list(t, SL_L_LOREM);
  int s, w, nsent = g->sentences > 0 ? g->sentences : 1;
  draws d;
  d.state = sl_seed_rand(key, row, 1);
  d.have = 0;
  d.pool = 0;
  if (l->n == 0) return;
  for (s = 0; s < nsent; s++) {
    int nwords = 5 + (int)draw_below(&d, 10);
    if (s > 0) sl_buf_addc(b, ' ');
    for (w = 0; w < nwords; w++) {
      size_t from = b->n;
      if (w > 0) sl_buf_addc(b, ' ');
      add_item(b, l, draw_below(&d, l->n));
      if (w == 0 && !b->oom && b->p[from] >= 'a' && b->p[from] <= 'z')
        b->p[from] = (char)(b->p[from] - 'a' + 'A');
    }
    sl_buf_addc(b, '.');
  }
}

static void gen_phone(const sl_seed_gen *g, uint64_t k, sl_buf *b) {
  if (g->nvalues > 0) {
    /* the template's '#' take the digits of k, last digit last */
    const char *tp = g->values[0].s;
    size_t n = g->values[0].n, i, from = b->n;
    int nd = phone_digits(g), pos = nd;
    sl_buf_add(b, tp, n);
    if (b->oom) return;
    for (i = n; i > 0; i--) {
      if (tp[i - 1] == '#' && pos > 0) {
        b->p[from + i - 1] = (char)('0' + (int)(k % 10));
        k /= 10;
        pos--;
      }
    }
    return;
  }
  /* (AAA) EEE-NNNN, the area code from 200 */
  {
    uint64_t area = 200 + k / 10000000, rest = k % 10000000;
    sl_buf_addc(b, '(');
    add_padded(b, area, 3);
    sl_buf_adds(b, ") ");
    add_padded(b, rest / 10000, 3);
    sl_buf_addc(b, '-');
    add_padded(b, rest % 10000, 4);
  }
}

static void gen_json(const sl_seed_table *t, uint64_t key, uint64_t row,
                     sl_buf *b) {
  const sl_seed_data *d = t->data;
  uint64_t f =
      below(key, row, 1, d->lists[SL_L_FIRST].n ? d->lists[SL_L_FIRST].n : 1);
  uint64_t l =
      below(key, row, 2, d->lists[SL_L_LAST].n ? d->lists[SL_L_LAST].n : 1);
  const sl_seed_list *fl = &d->lists[SL_L_FIRST], *ll = &d->lists[SL_L_LAST];
  const sl_seed_list *cl = &d->lists[SL_L_CITY];
  sl_buf_adds(b, "{\"name\":");
  if (fl->n > 0 && ll->n > 0) {
    sl_buf_addc(b, '"');
    sl_buf_add(b, fl->items[f], fl->lens[f]);
    sl_buf_addc(b, ' ');
    sl_buf_add(b, ll->items[l], ll->lens[l]);
    sl_buf_addc(b, '"');
  } else
    sl_buf_adds(b, "\"\"");
  sl_buf_adds(b, ",\"age\":");
  add_uint(b, 18 + below(key, row, 3, 60));
  sl_buf_adds(b, ",\"active\":");
  sl_buf_adds(b, below(key, row, 4, 2) ? "true" : "false");
  sl_buf_adds(b, ",\"city\":");
  if (cl->n > 0) {
    uint64_t c = below(key, row, 5, cl->n);
    add_json_string(b, cl->items[c], cl->lens[c]);
  } else
    sl_buf_adds(b, "\"\"");
  sl_buf_adds(b, ",\"score\":");
  add_uint(b, below(key, row, 6, 1000));
  sl_buf_addc(b, '}');
}

static const sl_seed_gen *pick_weighted(const sl_seed_gen *g, uint64_t key,
                                        uint64_t row, size_t *which) {
  uint64_t r = below(key, row, 7, g->cumw[g->nsubs - 1]);
  size_t i = 0;
  while (i + 1 < g->nsubs && r >= g->cumw[i])
    i++;
  *which = i;
  return g->subs[i];
}

/* The parent row of an FK_WITH column's row: prefix[j] <= row < prefix[j+1] */
static uint64_t with_parent(const sl_seed_gen *g, uint64_t row) {
  size_t lo = 0, hi = g->nprefix;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (g->prefix[mid] <= row)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

static void value_at(const sl_seed_table *t, const sl_seed_gen *g, uint64_t key,
                     uint64_t row, uint64_t k, sl_buf *b, sl_seed_val *out) {
  const sl_seed_data *d = t->data;
  size_t from = b->n;
  out->type = SL_SV_NULL;
  out->s = NULL;
  out->n = 0;
  switch (g->kind) {
  case SL_G_NULL:
    return;
  case SL_G_DEFAULT:
  case SL_G_VALUES:
    if (g->nvalues == 0) return;
    *out = g->values[g->kind == SL_G_DEFAULT ? 0 : k % g->nvalues];
    if (out->type == SL_SV_TEXT || out->type == SL_SV_JSON) {
      /* copied so that every text value lives in b */
      sl_seed_vtype ty = out->type;
      sl_buf_add(b, out->s, out->n);
      set_text(out, from);
      out->type = ty;
    }
    return;
  case SL_G_INTPK:
    out->type = SL_SV_INT;
    out->i = g->min + (int64_t)row;
    return;
  case SL_G_INT:
  case SL_G_YEAR:
    out->type = SL_SV_INT;
    out->i = (int64_t)((uint64_t)g->min + k);
    return;
  case SL_G_NUMBER:
    out->type = SL_SV_INT; /* scaled; finished by the output form */
    out->i = (int64_t)((uint64_t)g->min + k);
    return;
  case SL_G_BOOL:
    out->type = SL_SV_BOOL;
    out->i = (int64_t)(k & 1);
    return;
  case SL_G_DATE:
    out->type = SL_SV_INT;
    out->i = ((int64_t)((uint64_t)g->min + k)) * 86400;
    return;
  case SL_G_TIMESTAMP:
    out->type = SL_SV_INT;
    out->i = (int64_t)((uint64_t)g->min + k);
    return;
  case SL_G_TIME:
    add_clock(b, (int64_t)((uint64_t)g->min + k));
    set_text(out, from);
    return;
  case SL_G_JSON:
    gen_json(t, key, row, b);
    set_text(out, from);
    out->type = SL_SV_JSON;
    return;
  case SL_G_INTERVAL: {
    uint64_t secs = k % 86400, rest = k / 86400;
    add_uint(b, rest / 360);
    sl_buf_adds(b, " years ");
    add_uint(b, rest / 30 % 12);
    sl_buf_adds(b, " months ");
    add_uint(b, rest % 30);
    sl_buf_adds(b, " days ");
    add_uint(b, secs / 3600);
    sl_buf_adds(b, " hours ");
    add_uint(b, secs / 60 % 60);
    sl_buf_adds(b, " minutes ");
    add_uint(b, secs % 60);
    sl_buf_adds(b, " seconds");
    set_text(out, from);
    return;
  }
  case SL_G_STRING: {
    /* 11 characters of a bijective mix of k: distinct k, distinct text */
    uint64_t v = mix64(k ^ key);
    int i;
    for (i = 0; i < 11; i++) {
      sl_buf_addc(b, ALNUM[v % 62]);
      v /= 62;
    }
    set_text(out, from);
    return;
  }
  case SL_G_UUID: {
    uint64_t hi = mix64(k ^ key), lo = mix64(hi ^ 0x5851f42d4c957f2dULL);
    static const char hex[] = "0123456789abcdef";
    int i;
    hi = (hi & ~(uint64_t)0xf000) | 0x4000;                 /* version 4 */
    lo = (lo & ~((uint64_t)3 << 62)) | ((uint64_t)2 << 62); /* variant */
    for (i = 15; i >= 0; i--) {
      sl_buf_addc(b, hex[(hi >> (i * 4)) & 15]);
      if (i == 8 || i == 4) sl_buf_addc(b, '-');
    }
    sl_buf_addc(b, '-');
    for (i = 15; i >= 0; i--) {
      sl_buf_addc(b, hex[(lo >> (i * 4)) & 15]);
      if (i == 12) sl_buf_addc(b, '-');
    }
    set_text(out, from);
    return;
  }
  case SL_G_FIRSTNAME:
    add_item(b, list(t, SL_L_FIRST), k);
    set_text(out, from);
    return;
  case SL_G_LASTNAME:
    add_item(b, list(t, SL_L_LAST), k);
    set_text(out, from);
    return;
  case SL_G_FULLNAME: {
    uint64_t nf = listn(d, SL_L_FIRST);
    add_item(b, list(t, SL_L_FIRST), nf ? k % nf : 0);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_LAST), nf ? k / nf : 0);
    set_text(out, from);
    return;
  }
  case SL_G_EMAIL: {
    uint64_t s = text_space(g, d), nf = listn(d, SL_L_FIRST),
             nl = listn(d, SL_L_LAST), base = s ? k % s : k,
             suffix = s ? k / s : 0;
    if (nf == 0 || nl == 0) return;
    add_lower(b, list(t, SL_L_FIRST), base % nf);
    sl_buf_addc(b, '.');
    add_lower(b, list(t, SL_L_LAST), base / nf % nl);
    if (suffix > 0) add_uint(b, suffix);
    sl_buf_addc(b, '@');
    add_item(b, list(t, SL_L_DOMAIN), base / nf / nl);
    set_text(out, from);
    return;
  }
  case SL_G_PHONE:
    gen_phone(g, k, b);
    set_text(out, from);
    return;
  case SL_G_COUNTRY:
    add_item(b, list(t, SL_L_COUNTRY), k);
    set_text(out, from);
    return;
  case SL_G_CITY:
    add_item(b, list(t, SL_L_CITY), k);
    set_text(out, from);
    return;
  case SL_G_STATE:
    add_item(b, list(t, SL_L_STATE), k);
    set_text(out, from);
    return;
  case SL_G_STREET: {
    uint64_t ns = listn(d, SL_L_STREET), nx = listn(d, SL_L_STREET_SUFFIX);
    if (ns == 0 || nx == 0) return;
    add_uint(b, 1 + k % 9999);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_STREET), k / 9999 % ns);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_STREET_SUFFIX), k / 9999 / ns);
    set_text(out, from);
    return;
  }
  case SL_G_JOBTITLE: {
    uint64_t nl = listn(d, SL_L_JOB_LEVEL), na = listn(d, SL_L_JOB_AREA);
    if (nl == 0 || na == 0) return;
    add_item(b, list(t, SL_L_JOB_LEVEL), k % nl);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_JOB_AREA), k / nl % na);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_JOB_ROLE), k / nl / na);
    set_text(out, from);
    return;
  }
  case SL_G_POSTCODE:
    add_padded(b, k % 100000, 5);
    set_text(out, from);
    return;
  case SL_G_COMPANY: {
    uint64_t nw = listn(d, SL_L_COMPANY_WORD);
    if (nw == 0) return;
    add_item(b, list(t, SL_L_COMPANY_WORD), k % nw);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_COMPANY_WORD), k / nw % nw);
    sl_buf_addc(b, ' ');
    add_item(b, list(t, SL_L_COMPANY_SUFFIX), k / nw / nw);
    set_text(out, from);
    return;
  }
  case SL_G_LOREM:
    gen_lorem(t, g, key, row, b);
    set_text(out, from);
    return;
  case SL_G_POINT: {
    /* x and y in [-1000, 1000] with two decimals */
    int64_t x = (int64_t)(k % 200001) - 100000,
            y = (int64_t)(k / 200001) - 100000;
    if (g->out == SL_SO_JSON) {
      sl_buf_addc(b, '[');
      add_decimal(b, x, 2);
      sl_buf_addc(b, ',');
      add_decimal(b, y, 2);
      sl_buf_addc(b, ']');
      set_text(out, from);
      out->type = SL_SV_JSON;
      return;
    }
    sl_buf_addc(b, '(');
    add_decimal(b, x, 2);
    sl_buf_addc(b, ',');
    add_decimal(b, y, 2);
    sl_buf_addc(b, ')');
    set_text(out, from);
    return;
  }
  case SL_G_LINE: {
    int64_t a = (int64_t)below(key, row, 1, 200001) - 100000,
            bb = (int64_t)below(key, row, 2, 200001) - 100000,
            c = (int64_t)below(key, row, 3, 200001) - 100000;
    int json = g->out == SL_SO_JSON;
    if (a == 0 && bb == 0) a = 100; /* A and B not both zero */
    sl_buf_addc(b, json ? '[' : '{');
    add_decimal(b, a, 2);
    sl_buf_addc(b, ',');
    add_decimal(b, bb, 2);
    sl_buf_addc(b, ',');
    add_decimal(b, c, 2);
    sl_buf_addc(b, json ? ']' : '}');
    set_text(out, from);
    if (json) out->type = SL_SV_JSON;
    return;
  }
  case SL_G_WEIGHTED: {
    size_t which;
    const sl_seed_gen *sub = pick_weighted(g, key, row, &which);
    uint64_t skey = mix64(key + (which + 1) * 0x9e3779b97f4a7c15ULL);
    value_at(t, sub, skey, row, draw_k(sub, d, skey, row, t->count), b, out);
    return;
  }
  case SL_G_FK: {
    uint64_t j;
    const sl_seed_table *p = g->parent;
    if (p == NULL || p->count == 0) return;
    if (g->fkmode == SL_FK_WITH)
      j = with_parent(g, row);
    else if (g->fkmode == SL_FK_SELF) {
      if (row == 0 && g->nullable) return;
      j = g->nullable ? below(key, row, 1, row) : below(key, row, 1, row + 1);
    } else
      j = k % p->count;
    sl_seed_value(p, g->pcol, j, b, out);
    return;
  }
  default:
    return;
  }
}

/* The k of column c at row: its share of the group's permuted element, a
** permuted element of its own space when unique, else a uniform draw. */
static uint64_t column_k(const sl_seed_table *t, const sl_seed_col *c,
                         uint64_t row) {
  const sl_seed_gen *g = c->gen;
  uint64_t s;
  if (c->group >= 0) {
    const sl_seed_group *gr = &t->groups[c->group];
    uint64_t kk;
    int i;
    if (gr->fixed >= 0) {
      /* the rows of one parent: the other members permuted in their block */
      const sl_seed_gen *wg = NULL;
      uint64_t j, first;
      for (i = 0; i < t->ncols; i++)
        if (t->cols[i].group == c->group && t->cols[i].digit == gr->fixed)
          wg = t->cols[i].gen;
      if (c->digit == gr->fixed || wg == NULL) return 0;
      j = with_parent(wg, row);
      first = wg->prefix[j];
      if (gr->rest == 0)
        return sl_seed_rand(c->key, row, 0) % gr->space[c->digit];
      kk = sl_seed_perm(gr->key ^ mix64(j + 1), row - first, gr->rest);
      for (i = 0; i < c->digit; i++)
        if (i != gr->fixed) kk /= gr->space[i];
      return kk % gr->space[c->digit];
    }
    if (gr->total == 0)
      return sl_seed_rand(c->key, row, 0) % gr->space[c->digit];
    kk = sl_seed_perm(gr->key, row, gr->total);
    for (i = 0; i < c->digit; i++)
      kk /= gr->space[i];
    return kk % gr->space[c->digit];
  }
  s = sl_seed_space(g, t->data, t->count);
  if (g->unique && g->kind != SL_G_INTPK)
    return s ? sl_seed_perm(c->key, row, s) : row;
  return s ? sl_seed_rand(c->key, row, 0) % s : sl_seed_rand(c->key, row, 0);
}

/* Finishes out in the generator's output form. */
static void finish(const sl_seed_gen *g, sl_buf *b, sl_seed_val *out) {
  int64_t v = out->i;
  size_t from;
  if (out->type == SL_SV_NULL) return;
  if (g->kind == SL_G_NUMBER) {
    switch (g->out) {
    case SL_SO_INT:
      out->type = SL_SV_INT;
      out->i = v / (int64_t)pow10u(g->decimals);
      return;
    case SL_SO_TEXT:
      from = b->n;
      add_decimal(b, v, g->decimals);
      set_text(out, from);
      break;
    default:
      out->type = SL_SV_FLOAT;
      out->f = (double)v / (double)pow10u(g->decimals);
      return;
    }
  } else if (g->kind == SL_G_DATE || g->kind == SL_G_TIMESTAMP) {
    switch (g->out) {
    case SL_SO_EPOCHMS:
      out->i = v * 1000;
      return;
    case SL_SO_DATE:
      from = b->n;
      add_date(b, floordiv(v, 86400));
      set_text(out, from);
      break;
    case SL_SO_TEXT:
      from = b->n;
      if (g->kind == SL_G_DATE)
        add_date(b, floordiv(v, 86400));
      else
        add_iso(b, v);
      set_text(out, from);
      break;
    default:
      return; /* epoch seconds */
    }
  } else if (out->type == SL_SV_INT && g->kind != SL_G_FK) {
    switch (g->out) {
    case SL_SO_FLOAT:
      out->type = SL_SV_FLOAT;
      out->f = (double)v;
      return;
    case SL_SO_TEXT:
      from = b->n;
      add_int(b, v);
      set_text(out, from);
      break;
    default:
      return;
    }
  } else if (out->type == SL_SV_BOOL && g->out == SL_SO_BOOLINT) {
    out->type = SL_SV_INT;
    return;
  } else if (out->type == SL_SV_BOOL && g->out == SL_SO_TEXT) {
    from = b->n;
    sl_buf_adds(b, v ? "true" : "false");
    set_text(out, from);
  } else if (out->type == SL_SV_JSON && g->out == SL_SO_TEXT) {
    out->type = SL_SV_TEXT;
  }
}

void sl_seed_value(const sl_seed_table *t, int col, uint64_t row, sl_buf *b,
                   sl_seed_val *out) {
  const sl_seed_col *c = &t->cols[col];
  size_t from;
  if (c->gen == NULL) {
    out->type = SL_SV_NULL;
    return;
  }
  value_at(t, c->gen, c->key, row, column_k(t, c, row), b, out);
  if (c->gen->kind != SL_G_FK && c->gen->kind != SL_G_WEIGHTED &&
      c->gen->kind != SL_G_VALUES && c->gen->kind != SL_G_DEFAULT)
    finish(c->gen, b, out);
  if (out->type == SL_SV_TEXT || out->type == SL_SV_JSON) {
    if (b->oom) {
      out->type = SL_SV_NULL;
      return;
    }
    from = (size_t)out->i;
    out->s = b->p + from;
    out->n = b->n - from;
    if (c->gen->maxlen > 0 && out->n > c->gen->maxlen &&
        out->type == SL_SV_TEXT)
      out->n = c->gen->maxlen;
  }
}

/* }==================================================================== */

int sl_seed_prepare(sl_seed_table *t, int *bad, sl_error *err) {
  int i;
  for (i = 0; i < t->ngroups; i++) {
    t->groups[i].n = 0;
    t->groups[i].fixed = -1;
  }
  for (i = 0; i < t->ncols; i++) {
    sl_seed_col *c = &t->cols[i];
    sl_seed_group *gr;
    uint64_t s;
    if (c->gen == NULL) continue;
    if (c->group < 0) {
      if (!c->gen->unique || c->gen->kind == SL_G_INTPK) continue;
      if (!sl_seed_can_unique(c->gen)) {
        *bad = i;
        return sl_error_set(err, SL_EK_VALIDATION,
                            "this generator cannot make unique values");
      }
      s = sl_seed_space(c->gen, t->data, t->count);
      if (s != 0 && s < t->count) {
        *bad = i;
        return sl_error_set(
            err, SL_EK_VALIDATION, "only %llu unique values for %llu rows",
            (unsigned long long)s, (unsigned long long)t->count);
      }
      continue;
    }
    gr = &t->groups[c->group];
    if (c->gen->kind == SL_G_FK && c->gen->fkmode == SL_FK_WITH &&
        gr->fixed < 0 && gr->n < SL_SEED_MAXGROUP) {
      c->digit = gr->n;
      gr->fixed = gr->n;
      gr->space[gr->n++] = 1;
      continue;
    }
    if (!sl_seed_can_unique(c->gen)) {
      *bad = i;
      return sl_error_set(err, SL_EK_VALIDATION,
                          "this generator cannot make unique values");
    }
    s = sl_seed_space(c->gen, t->data, t->count);
    if (s == 0) s = LIMIT;
    if (gr->n >= SL_SEED_MAXGROUP) {
      *bad = i;
      return sl_error_set(err, SL_EK_VALIDATION,
                          "more than %d columns unique together",
                          SL_SEED_MAXGROUP);
    }
    c->digit = gr->n;
    gr->space[gr->n++] = s;
  }
  for (i = 0; i < t->ngroups; i++) {
    sl_seed_group *gr = &t->groups[i];
    int j;
    uint64_t need = t->count;
    gr->total = 1;
    for (j = 0; j < gr->n; j++)
      gr->total = mul(gr->total, gr->space[j]);
    gr->rest = gr->total;
    if (gr->fixed >= 0) {
      /* the largest block of one parent must fit */
      const sl_seed_gen *wg = NULL;
      size_t p;
      for (j = 0; j < t->ncols; j++)
        if (t->cols[j].group == i && t->cols[j].digit == gr->fixed)
          wg = t->cols[j].gen;
      need = 0;
      for (p = 0; wg != NULL && p < wg->nprefix; p++)
        if (wg->prefix[p + 1] - wg->prefix[p] > need)
          need = wg->prefix[p + 1] - wg->prefix[p];
    }
    if (gr->total != 0 && gr->total < need) {
      int k;
      *bad = -1;
      for (k = 0; k < t->ncols; k++)
        if (t->cols[k].group == i) {
          *bad = k;
          break;
        }
      return sl_error_set(
          err, SL_EK_VALIDATION, "only %llu unique combinations for %llu rows",
          (unsigned long long)gr->total, (unsigned long long)need);
    }
  }
  return SL_OK;
}
