/*
** sl_num.h — numbers as text, the same whatever the host's locale.
**
** A host program may call setlocale(LC_ALL, "de_DE.UTF-8"); printf("%g")
** and strtod then use "," as decimal point, and a float would travel to
** PostgreSQL as "0,5" and back as text. Every number sleet formats or
** parses goes through these helpers instead, which run the C library's
** functions under the "C" locale (uselocale: only the calling thread, only
** for that call).
**
** Header-only (static inline) so that the driver modules, which link no
** core object but sl_error and sl_buf, use the same code. A file including
** it defines _POSIX_C_SOURCE 200809L (newlocale, uselocale) before any
** #include.
*/
#ifndef SL_NUM_H
#define SL_NUM_H

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The "C" locale object, created at the first call and kept for the life
** of the process; (locale_t)0 when it cannot be created (then the helpers
** use the current locale). Threads racing to create it keep one. */
static inline locale_t sl_num_locale(void) {
  static locale_t c_locale = (locale_t)0;
#if defined(__GNUC__)
  locale_t loc = __atomic_load_n(&c_locale, __ATOMIC_ACQUIRE);
  if (loc == (locale_t)0) {
    locale_t fresh = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (fresh == (locale_t)0) return (locale_t)0;
    if (__atomic_compare_exchange_n(&c_locale, &loc, fresh, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
      loc = fresh;
    else
      freelocale(fresh); /* another thread's won; loc holds it */
  }
  return loc;
#else
  if (c_locale == (locale_t)0)
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  return c_locale;
#endif
}

/* strtod with '.' as decimal point. */
static inline double sl_strtod(const char *s, char **end) {
  locale_t loc = sl_num_locale(), old;
  double x;
  if (loc == (locale_t)0) return strtod(s, end);
  old = uselocale(loc);
  x = strtod(s, end);
  uselocale(old);
  return x;
}

/* strtof with '.' as decimal point. */
static inline float sl_strtof(const char *s, char **end) {
  locale_t loc = sl_num_locale(), old;
  float x;
  if (loc == (locale_t)0) return strtof(s, end);
  old = uselocale(loc);
  x = strtof(s, end);
  uselocale(old);
  return x;
}

/* snprintf for numbers ("%.*g", "%.17g"), '.' as decimal point. */
static inline int sl_numfmt(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline int sl_numfmt(char *buf, size_t size, const char *fmt, ...) {
  locale_t loc = sl_num_locale(), old = (locale_t)0;
  va_list ap;
  int n;
  if (loc != (locale_t)0) old = uselocale(loc);
  va_start(ap, fmt);
  n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  if (loc != (locale_t)0) uselocale(old);
  return n;
}

#endif
