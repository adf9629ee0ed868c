/*
** mysql.c — the MySQL/MariaDB driver (sl_driver_mysql) on MariaDB
** Connector/C (libmariadb).
**
** Connections speak utf8mb4, never reconnect behind the caller's back (a
** reconnect would silently drop the session's transaction) and count the
** rows an UPDATE matched rather than changed (CLIENT_FOUND_ROWS), as
** PostgreSQL and SQLite do. Every value travels through the
** prepared-statement API; SQL text never holds one.
**
** Results are buffered on the client (mysql_stmt_store_result), except for
** runs the binding reads row by row (stream(): iter), whose rows are
** fetched as the server sends them so that memory stays flat. The protocol
** has one command in flight, so any other command while such a result is
** open first buffers the rest of it (settle()): a Lua loop that queries
** inside `for row in q:iter()` still sees every row. Column buffers are
** sized from the longest value of a buffered result
** (STMT_ATTR_UPDATE_MAX_LENGTH) and grown when a fetch reports truncation.
**
** Connection params (URL query or `params`): connect_timeout (seconds,
** default 10), read_timeout and write_timeout (seconds, default none). A
** host connects over TCP, `socket` over a unix socket (even when a host is
** given too).
**
** Errors: kind database with the server's errno as code, its SQLSTATE and
** the constraint, table and column its message names; a lost server
** (2006, 2013, 2055, a killed connection) is kind connection.
**
** Cells the binding receives:
**   integer types, YEAR, BIT        SL_V_INT (BIT read big-endian);
**                                   BIGINT UNSIGNED or BIT(64) above
**                                   INT64_MAX is SL_V_TEXT of its exact
**                                   decimal digits (Lua has no larger
**                                   integer)
**   FLOAT, DOUBLE                   SL_V_FLOAT (FLOAT as the shortest
**                                   decimal that reads back as the same
**                                   single-precision value: 1.1, not
**                                   1.100000023841858)
**   DECIMAL                         SL_V_TEXT, exact
**   DATE / DATETIME, TIMESTAMP /    SL_V_TEXT "YYYY-MM-DD" /
**   TIME                            "YYYY-MM-DD HH:MM:SS[.f]" / "HH:MM:SS[.f]"
**                                   (fraction only when nonzero, without
**                                   trailing zeros; TIME may be negative or
**                                   exceed 24 hours)
**   binary strings (charset 63)     SL_V_BLOB
**   other strings, JSON, ENUM, SET  SL_V_TEXT
**   NULL                            SL_V_NULL
*/
/* clock_gettime, newlocale and uselocale are POSIX.1-2008 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "sl_driver.h"
#include "my_txmode.h"
#include "../ext/sl_num.h"

/* The charset number of binary strings (BLOB, BINARY, VARBINARY). */
#define MY_BINARY_CHARSET 63
/* Seconds to wait for a server when the URL sets no connect_timeout. */
#define MY_DEFAULT_CONNECT_TIMEOUT 10u
/* The most placeholders a prepared statement may have (a 16-bit count in
** the protocol). */
#define MY_MAX_PARAMS 65535
/* ER_CONSTRAINT_FAILED of MariaDB 10.2+ (a CHECK constraint failed). */
#define MY_ER_CHECK_MARIADB 4025
/* ER_CHECK_CONSTRAINT_VIOLATED of MySQL 8.0.16+. */
#define MY_ER_CHECK_MYSQL 3819

struct sl_conn {
  MYSQL *my;
  /* the statement whose result is being read from the server row by row
  ** (stream()); any other command first buffers the rest of it */
  sl_stmt *streaming;
};

/* How a result column is fetched and handed to the binding. */
typedef enum colkind {
  K_INT,      /* signed integer, into n.i */
  K_UINT,     /* unsigned integer, into n.i as the same bits */
  K_DOUBLE,   /* into n.f */
  K_FLOAT,    /* single precision, into n.fl */
  K_TEXT,     /* bytes into buf */
  K_BLOB,     /* bytes into buf */
  K_BIT,      /* big-endian bytes into buf */
  K_DATE,     /* MYSQL_TIME into n.t */
  K_DATETIME, /* MYSQL_TIME into n.t */
  K_TIME      /* MYSQL_TIME into n.t */
} colkind;

typedef struct mycol {
  colkind kind;
  char *buf; /* K_TEXT, K_BLOB, K_BIT: owned, cap bytes */
  unsigned long cap;
  unsigned long len;
  my_bool is_null;
  my_bool error; /* set by a fetch that truncated this column */
  union {
    long long i;
    double f;
    float fl;
    MYSQL_TIME t;
  } n;
  char txt[64]; /* text of converted cells (times, big unsigned) */
} mycol;

/* One parameter as sent: scalars are copied here so that the bind
** buffers have the exact C type the client library reads. */
typedef struct myparam {
  union {
    long long i;
    double f;
    signed char b;
  } n;
  my_bool is_null;
} myparam;

enum { ST_READY, ST_ROWS, ST_DONE };

struct sl_stmt {
  sl_conn *conn;
  MYSQL_STMT *st;
  int state;
  int writes;  /* INSERT/UPDATE/DELETE/REPLACE (or WITH ... of those) */
  int inserts; /* INSERT/REPLACE: last_insert_id is meaningful */
  unsigned long nparams;
  MYSQL_BIND *pbind; /* nparams */
  myparam *pval;     /* nparams */
  unsigned int ncols;
  MYSQL_RES *meta; /* result metadata, NULL without a result set */
  MYSQL_FIELD *fields;
  MYSQL_BIND *rbind; /* ncols */
  mycol *cols;       /* ncols */
  long long affected;
  unsigned long long insert_id;
  int failed; /* the last step failed: reset() resets the server side too */
  int stream; /* this run reads rows as the server sends them */
};

/* Before any other command on c: the rest of a result being read row by
** row moves into client memory (its iterator keeps every row), because the
** protocol has one command in flight. except: the statement that is
** itself the streaming one. */
static int settle(sl_conn *c, const sl_stmt *except, sl_error *err) {
  sl_stmt *s = c->streaming;
  if (s == NULL || s == except) return SL_OK;
  c->streaming = NULL;
  if (mysql_stmt_store_result(s->st) != 0) {
    s->failed = 1;
    return sl_error_set(err, SL_EK_DATABASE,
                        "could not read the rest of an open result: %s",
                        mysql_stmt_error(s->st));
  }
  return SL_OK;
}

/* {====================================================================
** Errors
** ===================================================================== */

/* Copies the bytes [p, p + n) into a fixed error field. */
static void set_field_n(char *dst, size_t size, const char *p, size_t n) {
  if (size == 0) return;
  if (n >= size) n = size - 1;
  memcpy(dst, p, n);
  dst[n] = '\0';
}

/* Reads a name quoted by q (a doubled q is one q) starting at *pp, which
** points at the opening quote; copies it into dst and moves *pp past the
** closing quote. Returns 0 when s holds no such name. */
static int quoted_name(const char **pp, char q, char *dst, size_t size) {
  const char *p = *pp;
  size_t n = 0;
  if (*p != q) return 0;
  for (p++; *p != '\0'; p++) {
    if (*p == q) {
      if (p[1] != q) break;
      p++;
    }
    if (n + 1 < size) dst[n++] = *p;
  }
  if (*p != q) return 0;
  if (size > 0) dst[n] = '\0';
  *pp = p + 1;
  return 1;
}

/* Finds `after` in msg and reads the quoted name that follows it. */
static int name_after(const char *msg, const char *after, char q, char *dst,
                      size_t size) {
  const char *p = strstr(msg, after);
  if (p == NULL) return 0;
  p += strlen(after);
  return quoted_name(&p, q, dst, size);
}

/* "`db`.`t`" or "`t`" at *pp: the table name (the last part). */
static int qualified_table(const char **pp, char *dst, size_t size) {
  if (!quoted_name(pp, '`', dst, size)) return 0;
  if (**pp == '.') {
    (*pp)++;
    if (!quoted_name(pp, '`', dst, size)) return 0;
  }
  return 1;
}

/* The server names constraints, tables and columns only in its messages:
** read them from the texts of the errors an application reacts to. */
static void parse_names(unsigned int code, const char *msg, sl_error *err) {
  char name[128];
  const char *p;
  switch (code) {
  case ER_DUP_ENTRY:
  case ER_DUP_ENTRY_WITH_KEY_NAME: {
    /* "Duplicate entry 'x' for key 'k'"; the entry may itself contain the
    ** phrase, so the last occurrence names the key. MySQL 8 writes the
    ** key as 'table.key'. */
    const char *last = NULL;
    for (p = msg; (p = strstr(p, " for key '")) != NULL; p++)
      last = p;
    if (last == NULL) break;
    p = last + strlen(" for key ");
    if (!quoted_name(&p, '\'', name, sizeof name)) break;
    {
      char *dot = strrchr(name, '.');
      if (dot != NULL) {
        set_field_n(err->table, sizeof err->table, name, (size_t)(dot - name));
        sl_error_field(err->constraint_name, sizeof err->constraint_name,
                       dot + 1);
      } else {
        sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
      }
    }
    break;
  }
  case ER_ROW_IS_REFERENCED_2:
  case ER_NO_REFERENCED_ROW_2:
    /* "... a foreign key constraint fails (`db`.`posts`, CONSTRAINT `fk`
    ** FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ...)" */
    p = strstr(msg, "fails (");
    if (p != NULL) {
      p += strlen("fails (");
      if (qualified_table(&p, name, sizeof name))
        sl_error_field(err->table, sizeof err->table, name);
    }
    if (name_after(msg, "CONSTRAINT ", '`', name, sizeof name))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
    p = strstr(msg, "FOREIGN KEY (");
    if (p != NULL) {
      p += strlen("FOREIGN KEY (");
      /* a composite key names no single column */
      if (quoted_name(&p, '`', name, sizeof name) && *p == ')')
        sl_error_field(err->column, sizeof err->column, name);
    }
    break;
  case ER_BAD_NULL_ERROR: /* "Column 'name' cannot be null" */
  case ER_NO_DEFAULT_FOR_FIELD:
  case ER_DATA_TOO_LONG:
  case ER_WARN_DATA_OUT_OF_RANGE:
    if (name_after(msg, "olumn ", '\'', name, sizeof name) ||
        name_after(msg, "Field ", '\'', name, sizeof name))
      sl_error_field(err->column, sizeof err->column, name);
    break;
  case MY_ER_CHECK_MARIADB:
    /* "CONSTRAINT `c` failed for `db`.`t`" */
    if (name_after(msg, "CONSTRAINT ", '`', name, sizeof name))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
    p = strstr(msg, " failed for ");
    if (p != NULL) {
      p += strlen(" failed for ");
      if (qualified_table(&p, name, sizeof name))
        sl_error_field(err->table, sizeof err->table, name);
    }
    break;
  case MY_ER_CHECK_MYSQL: /* "Check constraint 'c' is violated." */
    if (name_after(msg, "onstraint ", '\'', name, sizeof name))
      sl_error_field(err->constraint_name, sizeof err->constraint_name, name);
    break;
  default:
    break;
  }
}

/* Whether errno code means the connection itself is unusable. */
static int is_connection_error(unsigned int code) {
  switch (code) {
  case CR_SERVER_GONE_ERROR:
  case CR_SERVER_LOST:
  case CR_SERVER_LOST_EXTENDED:
  case CR_CONNECTION_ERROR:
  case CR_CONN_HOST_ERROR:
  case CR_UNKNOWN_HOST:
  case ER_CONNECTION_KILLED:
    return 1;
  default:
    return 0;
  }
}

/* Fills err from an error code, SQLSTATE and message; returns SL_ERROR. */
static int report(unsigned int code, const char *state, const char *msg,
                  sl_error *err) {
  sl_errkind kind = SL_EK_DATABASE;
  sl_error_clear(err);
  if (code == 0) {
    code = CR_UNKNOWN_ERROR;
    if (msg == NULL || *msg == '\0') msg = "unknown MySQL client error";
  }
  if (is_connection_error(code))
    kind = SL_EK_CONNECTION;
  else if (code == CR_COMMANDS_OUT_OF_SYNC)
    /* another statement's result set is still being read (the further
    ** results of a CALL): the connection itself is fine */
    kind = SL_EK_USAGE;
  sl_error_set(err, kind, "%s", msg ? msg : "");
  err->code = (long long)code;
  err->has_code = 1;
  if (state != NULL && strcmp(state, "00000") != 0)
    sl_error_field(err->sqlstate, sizeof err->sqlstate, state);
  if (msg != NULL) parse_names(code, msg, err);
  return SL_ERROR;
}

static int conn_fail(MYSQL *my, sl_error *err) {
  return report(mysql_errno(my), mysql_sqlstate(my), mysql_error(my), err);
}

static int stmt_fail(MYSQL_STMT *st, sl_error *err) {
  return report(mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
                mysql_stmt_error(st), err);
}

static int oom(sl_error *err) {
  return sl_error_set(err, SL_EK_DATABASE, "out of memory");
}

/* }==================================================================== */

/* {====================================================================
** Connections
** ===================================================================== */

/* A timeout option in whole seconds (1 .. one day). */
static int parse_seconds(const char *key, const char *value, unsigned *out,
                         sl_error *err) {
  char *end;
  long v;
  errno = 0;
  v = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 86400)
    return sl_error_set(err, SL_EK_USAGE,
                        "mysql option %s must be a number of seconds, "
                        "got '%s'",
                        key, value);
  *out = (unsigned)v;
  return SL_OK;
}

/* Runs a statement of the session set-up; a failure closes nothing. */
static int setup_query(MYSQL *my, const char *sql, sl_error *err) {
  if (mysql_real_query(my, sql, (unsigned long)strlen(sql)) != 0) {
    conn_fail(my, err);
    err->kind = SL_EK_CONNECTION;
    return SL_ERROR;
  }
  return SL_OK;
}

static double now_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connect that failed after `elapsed` seconds: when that reached the
** timeout, the message says so and names where it tried to connect (the
** client's texts for a timeout vary: time decides). */
static int connect_failed(MYSQL *my, const sl_connopts *opts, unsigned timeout,
                          double elapsed, sl_error *err) {
  conn_fail(my, err);
  err->kind = SL_EK_CONNECTION;
  if (elapsed >= (double)timeout - 0.25) {
    char msg[sizeof err->message];
    memcpy(msg, err->message, sizeof msg);
    if (opts->socket != NULL)
      sl_error_set(err, SL_EK_CONNECTION,
                   "could not connect to %s within %u s (connect_timeout): %s",
                   opts->socket, timeout, msg);
    else
      sl_error_set(err, SL_EK_CONNECTION,
                   "could not connect to %s:%d within %u s (connect_timeout): "
                   "%s",
                   opts->host ? opts->host : "localhost",
                   opts->port > 0 ? opts->port : MYSQL_PORT, timeout, msg);
  }
  return SL_ERROR;
}

/* The client library's process-wide set-up, done once (pthread_once). */
static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_ok;

static void library_init(void) {
  library_ok = mysql_library_init(0, NULL, NULL) == 0;
}

static int my_connect(const sl_connopts *opts, sl_conn **out, sl_error *err) {
  unsigned connect_timeout = MY_DEFAULT_CONNECT_TIMEOUT;
  unsigned read_timeout = 0, write_timeout = 0;
  my_bool reconnect = 0;
  unsigned int local_infile = 0;
  unsigned int tcp = MYSQL_PROTOCOL_TCP, unix_socket = MYSQL_PROTOCOL_SOCKET;
  const char *host = opts->host;
  double started;
  MYSQL *my;
  sl_conn *c;
  int i;
  *out = NULL;
  sl_error_clear(err);
  for (i = 0; i < opts->nextra; i++) {
    const char *k = opts->extra_keys[i], *v = opts->extra_values[i];
    unsigned *dst;
    if (strcmp(k, "connect_timeout") == 0 || strcmp(k, "connectTimeout") == 0)
      dst = &connect_timeout;
    else if (strcmp(k, "read_timeout") == 0 || strcmp(k, "readTimeout") == 0)
      dst = &read_timeout;
    else if (strcmp(k, "write_timeout") == 0 || strcmp(k, "writeTimeout") == 0)
      dst = &write_timeout;
    else
      return sl_error_set(err, SL_EK_USAGE,
                          "unknown mysql option '%s' (connect_timeout, "
                          "read_timeout or write_timeout)",
                          k);
    if (parse_seconds(k, v, dst, err) != SL_OK) return SL_ERROR;
  }
  /* mysql_init would set the library up on first use, which two threads
  ** (each with its own Lua state) must not do at once */
  pthread_once(&library_once, library_init);
  if (!library_ok)
    return sl_error_set(err, SL_EK_CONNECTION,
                        "the MariaDB client library failed to initialise");
  my = mysql_init(NULL);
  if (my == NULL) return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(my, MYSQL_OPT_RECONNECT, &reconnect);
  mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (read_timeout > 0)
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  if (write_timeout > 0)
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  if (host != NULL && *host == '\0') host = NULL;
  /* A host means TCP, even "localhost" (which the client library would
  ** otherwise take as its default unix socket); a socket, asked for
  ** explicitly, wins over a host (which the client library would take as
  ** TCP unless it is "localhost"). */
  if (opts->socket != NULL && *opts->socket != '\0') {
    host = NULL;
    mysql_options(my, MYSQL_OPT_PROTOCOL, &unix_socket);
  } else if (host != NULL) {
    mysql_options(my, MYSQL_OPT_PROTOCOL, &tcp);
  }
  started = now_seconds();
  if (mysql_real_connect(my, host, opts->user, opts->password, opts->database,
                         (unsigned int)opts->port, opts->socket,
                         CLIENT_FOUND_ROWS) == NULL) {
    connect_failed(my, opts, connect_timeout, now_seconds() - started, err);
    mysql_close(my);
    return SL_ERROR;
  }
  /* sleet reads and writes timestamps as UTC text: the session time zone
  ** makes TIMESTAMP columns store and return exactly that text. */
  if (setup_query(my, "SET time_zone = '+00:00'", err) != SL_OK ||
      setup_query(my, "SET NAMES utf8mb4", err) != SL_OK) {
    mysql_close(my);
    return SL_ERROR;
  }
  c = calloc(1, sizeof *c);
  if (c == NULL) {
    mysql_close(my);
    return sl_error_set(err, SL_EK_CONNECTION, "out of memory");
  }
  c->my = my;
  *out = c;
  return SL_OK;
}

static void my_close(sl_conn *c) {
  if (c == NULL) return;
  mysql_close(c->my);
  free(c);
}

#if defined(__GNUC__)
/* mysql_init sets the client library up once per process. Lua unloads this
** module (and with it libmariadb) when its state closes, after every
** connection was collected: release that set-up first, or its memory is
** lost for good. */
static void my_library_end(void) __attribute__((destructor));

static void my_library_end(void) {
  mysql_library_end();
}
#endif

/* }==================================================================== */

/* {====================================================================
** Statements
** ===================================================================== */

static int lower_ascii(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Skips whitespace, comments, ';' and '(' (a parenthesised query). */
static const char *skip_space(const char *p, const char *end) {
  while (p < end) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
        *p == '\v' || *p == ';' || *p == '(') {
      p++;
    } else if ((*p == '-' && p + 1 < end && p[1] == '-') || *p == '#') {
      while (p < end && *p != '\n')
        p++;
    } else if (*p == '/' && p + 1 < end && p[1] == '*') {
      p += 2;
      while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
        p++;
      p = p + 1 < end ? p + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

static int keyword_is(const char *p, const char *end, const char *kw) {
  size_t i, n = strlen(kw);
  if ((size_t)(end - p) < n) return 0;
  for (i = 0; i < n; i++)
    if (lower_ascii((unsigned char)p[i]) != kw[i]) return 0;
  p += n;
  return p == end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       (*p >= '0' && *p <= '9') || *p == '_');
}

/* Frees the result buffers and metadata of the last execution. */
static void free_result(sl_stmt *s) {
  unsigned int i;
  if (s->cols != NULL)
    for (i = 0; i < s->ncols; i++)
      free(s->cols[i].buf);
  free(s->cols);
  free(s->rbind);
  if (s->meta != NULL) mysql_free_result(s->meta);
  s->cols = NULL;
  s->rbind = NULL;
  s->meta = NULL;
  s->fields = NULL;
  s->ncols = 0;
}

static int my_prepare(sl_conn *c, const char *sql, size_t len, int nparams,
                      sl_stmt **out, sl_error *err) {
  const char *end = sql + len, *kw;
  my_bool update_max = 1;
  sl_stmt *s;
  MYSQL_STMT *st;
  *out = NULL;
  /* The server's own error ("too many placeholders") names neither the
  ** limit nor the count. The count is checked against the statement in
  ** bind. */
  if (nparams > MY_MAX_PARAMS)
    return sl_error_set(err, SL_EK_USAGE,
                        "MySQL takes at most %d parameters per statement, "
                        "%d given",
                        MY_MAX_PARAMS, nparams);
  if (len > (size_t)ULONG_MAX)
    return sl_error_set(err, SL_EK_USAGE, "SQL text too long");
  if (settle(c, NULL, err) != SL_OK) return SL_ERROR;
  st = mysql_stmt_init(c->my);
  if (st == NULL) return conn_fail(c->my, err);
  if (mysql_stmt_prepare(st, sql, (unsigned long)len) != 0) {
    stmt_fail(st, err);
    mysql_stmt_close(st);
    return SL_ERROR;
  }
  mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
  s = calloc(1, sizeof *s);
  if (s == NULL) {
    mysql_stmt_close(st);
    return oom(err);
  }
  s->conn = c;
  s->st = st;
  s->state = ST_READY;
  s->nparams = mysql_stmt_param_count(st);
  if (s->nparams > 0) {
    s->pbind = calloc(s->nparams, sizeof *s->pbind);
    s->pval = calloc(s->nparams, sizeof *s->pval);
    if (s->pbind == NULL || s->pval == NULL) {
      free(s->pbind);
      free(s->pval);
      free(s);
      mysql_stmt_close(st);
      return oom(err);
    }
  }
  kw = skip_space(sql, end);
  if (keyword_is(kw, end, "insert") || keyword_is(kw, end, "replace"))
    s->writes = s->inserts = 1;
  else if (keyword_is(kw, end, "update") || keyword_is(kw, end, "delete") ||
           keyword_is(kw, end, "with"))
    s->writes = 1;
  *out = s;
  return SL_OK;
}

static int my_bind(sl_stmt *s, const sl_value *params, int nparams,
                   sl_error *err) {
  static char empty[1] = "";
  unsigned long i;
  if (nparams < 0 || (unsigned long)nparams != s->nparams)
    return sl_error_set(err, SL_EK_USAGE,
                        "statement takes %lu parameter%s, %d given", s->nparams,
                        s->nparams == 1 ? "" : "s", nparams);
  if (s->nparams == 0) return SL_OK;
  memset(s->pbind, 0, s->nparams * sizeof *s->pbind);
  for (i = 0; i < s->nparams; i++) {
    const sl_value *v = &params[i];
    MYSQL_BIND *b = &s->pbind[i];
    myparam *pv = &s->pval[i];
    switch (v->type) {
    case SL_V_NULL:
      pv->is_null = 1;
      b->buffer_type = MYSQL_TYPE_NULL;
      b->is_null = &pv->is_null;
      break;
    case SL_V_INT:
      pv->n.i = (long long)v->u.i;
      b->buffer_type = MYSQL_TYPE_LONGLONG;
      b->buffer = &pv->n.i;
      break;
    case SL_V_FLOAT:
      pv->n.f = v->u.f;
      b->buffer_type = MYSQL_TYPE_DOUBLE;
      b->buffer = &pv->n.f;
      break;
    case SL_V_BOOL:
      pv->n.b = (signed char)(v->u.b != 0);
      b->buffer_type = MYSQL_TYPE_TINY;
      b->buffer = &pv->n.b;
      break;
    case SL_V_TEXT:
    case SL_V_BLOB:
      if (v->u.s.n > (size_t)ULONG_MAX)
        return sl_error_set(err, SL_EK_USAGE, "parameter %lu is too long",
                            i + 1);
      /* a NULL pointer would send SQL NULL: "" keeps an empty string */
      b->buffer_type =
          v->type == SL_V_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
      b->buffer = v->u.s.p != NULL ? (void *)(uintptr_t)v->u.s.p : empty;
      b->buffer_length = (unsigned long)v->u.s.n;
      break;
    default:
      return sl_error_set(err, SL_EK_USAGE, "bad value type for parameter %lu",
                          i + 1);
    }
  }
  if (mysql_stmt_bind_param(s->st, s->pbind) != 0) return stmt_fail(s->st, err);
  return SL_OK;
}

/* How a column of type f is fetched. */
static colkind column_kind(const MYSQL_FIELD *f) {
  switch (f->type) {
  case MYSQL_TYPE_TINY:
  case MYSQL_TYPE_SHORT:
  case MYSQL_TYPE_INT24:
  case MYSQL_TYPE_LONG:
  case MYSQL_TYPE_LONGLONG:
  case MYSQL_TYPE_YEAR:
    return (f->flags & UNSIGNED_FLAG) ? K_UINT : K_INT;
  case MYSQL_TYPE_FLOAT:
    return K_FLOAT;
  case MYSQL_TYPE_DOUBLE:
    return K_DOUBLE;
  case MYSQL_TYPE_BIT:
    return K_BIT;
  case MYSQL_TYPE_DATE:
  case MYSQL_TYPE_NEWDATE:
    return K_DATE;
  case MYSQL_TYPE_DATETIME:
  case MYSQL_TYPE_TIMESTAMP:
  case MYSQL_TYPE_DATETIME2:
  case MYSQL_TYPE_TIMESTAMP2:
    return K_DATETIME;
  case MYSQL_TYPE_TIME:
  case MYSQL_TYPE_TIME2:
    return K_TIME;
  case MYSQL_TYPE_DECIMAL:
  case MYSQL_TYPE_NEWDECIMAL:
  case MYSQL_TYPE_JSON:
  case MYSQL_TYPE_ENUM:
  case MYSQL_TYPE_SET:
  case MYSQL_TYPE_NULL:
    return K_TEXT;
  case MYSQL_TYPE_GEOMETRY:
    return K_BLOB;
  default: /* CHAR, VARCHAR, TEXT and BLOB kinds */
    return f->charsetnr == MY_BINARY_CHARSET ? K_BLOB : K_TEXT;
  }
}

/* Points the bind of column i at its buffer. */
static void bind_column(sl_stmt *s, unsigned int i) {
  MYSQL_BIND *b = &s->rbind[i];
  mycol *col = &s->cols[i];
  memset(b, 0, sizeof *b);
  b->is_null = &col->is_null;
  b->error = &col->error;
  b->length = &col->len;
  switch (col->kind) {
  case K_INT:
  case K_UINT:
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = &col->n.i;
    b->is_unsigned = col->kind == K_UINT;
    break;
  case K_DOUBLE:
    b->buffer_type = MYSQL_TYPE_DOUBLE;
    b->buffer = &col->n.f;
    break;
  case K_FLOAT:
    b->buffer_type = MYSQL_TYPE_FLOAT;
    b->buffer = &col->n.fl;
    break;
  case K_DATE:
    b->buffer_type = MYSQL_TYPE_DATE;
    b->buffer = &col->n.t;
    break;
  case K_DATETIME:
    b->buffer_type = MYSQL_TYPE_DATETIME;
    b->buffer = &col->n.t;
    break;
  case K_TIME:
    b->buffer_type = MYSQL_TYPE_TIME;
    b->buffer = &col->n.t;
    break;
  default: /* K_TEXT, K_BLOB, K_BIT: raw bytes */
    b->buffer_type = MYSQL_TYPE_BLOB;
    b->buffer = col->buf;
    b->buffer_length = col->cap;
    break;
  }
}

/* Reads the result set of an executed statement into client memory and
** binds a buffer to every column. */
static int setup_result(sl_stmt *s, unsigned int ncols, sl_error *err) {
  unsigned int i;
  if (!s->stream && mysql_stmt_store_result(s->st) != 0)
    return stmt_fail(s->st, err);
  s->meta = mysql_stmt_result_metadata(s->st);
  if (s->meta == NULL) return stmt_fail(s->st, err);
  s->fields = mysql_fetch_fields(s->meta);
  s->ncols = ncols;
  s->rbind = calloc(ncols, sizeof *s->rbind);
  s->cols = calloc(ncols, sizeof *s->cols);
  if (s->rbind == NULL || s->cols == NULL) return oom(err);
  for (i = 0; i < ncols; i++) {
    mycol *col = &s->cols[i];
    col->kind = column_kind(&s->fields[i]);
    if (col->kind == K_TEXT || col->kind == K_BLOB || col->kind == K_BIT) {
      /* the longest value of the column, so that fetches never truncate */
      unsigned long cap = s->fields[i].max_length + 1;
      if (cap < 16) cap = 16;
      col->buf = malloc(cap);
      if (col->buf == NULL) return oom(err);
      col->cap = cap;
    }
    bind_column(s, i);
  }
  if (mysql_stmt_bind_result(s->st, s->rbind) != 0)
    return stmt_fail(s->st, err);
  return SL_OK;
}

/* Re-reads the columns a fetch truncated into buffers of their size. */
static int refetch_truncated(sl_stmt *s, sl_error *err) {
  unsigned int i;
  int rebind = 0;
  for (i = 0; i < s->ncols; i++) {
    mycol *col = &s->cols[i];
    char *p;
    if (!col->error) continue;
    if (col->kind != K_TEXT && col->kind != K_BLOB && col->kind != K_BIT)
      return sl_error_set(err, SL_EK_DATABASE,
                          "value of column '%s' does not fit its type",
                          s->fields[i].name);
    if (col->len >= ULONG_MAX) return oom(err);
    p = realloc(col->buf, col->len + 1);
    if (p == NULL) return oom(err);
    col->buf = p;
    col->cap = col->len + 1;
    bind_column(s, i);
    if (mysql_stmt_fetch_column(s->st, &s->rbind[i], i, 0) != 0)
      return stmt_fail(s->st, err);
    col->error = 0;
    rebind = 1;
  }
  /* later rows fetch straight into the grown buffers */
  if (rebind && mysql_stmt_bind_result(s->st, s->rbind) != 0)
    return stmt_fail(s->st, err);
  return SL_OK;
}

static int step_once(sl_stmt *s, sl_error *err) {
  int rc;
  if (s->state == ST_DONE) return SL_DONE;
  if (s->state == ST_READY) {
    unsigned int ncols;
    if (settle(s->conn, s, err) != SL_OK) return SL_ERROR;
    if (mysql_stmt_execute(s->st) != 0) return stmt_fail(s->st, err);
    ncols = mysql_stmt_field_count(s->st);
    if (ncols == 0) {
      s->affected = (long long)mysql_stmt_affected_rows(s->st);
      s->insert_id = (unsigned long long)mysql_stmt_insert_id(s->st);
      s->state = ST_DONE;
      return SL_DONE;
    }
    if (setup_result(s, ncols, err) != SL_OK) {
      free_result(s);
      mysql_stmt_free_result(s->st);
      s->state = ST_DONE;
      return SL_ERROR;
    }
    /* INSERT/DELETE ... RETURNING: the rows returned are the rows
    ** written. */
    s->affected = s->writes ? (long long)mysql_stmt_num_rows(s->st) : 0;
    s->insert_id = (unsigned long long)mysql_stmt_insert_id(s->st);
    s->state = ST_ROWS;
    if (s->stream) s->conn->streaming = s;
  }
  rc = mysql_stmt_fetch(s->st);
  if (rc == 0) return SL_ROW;
  if (s->conn->streaming == s) s->conn->streaming = NULL;
  if (rc == MYSQL_NO_DATA) {
    s->state = ST_DONE;
    return SL_DONE;
  }
  if (rc == MYSQL_DATA_TRUNCATED) {
    if (refetch_truncated(s, err) != SL_OK) return SL_ERROR;
    return SL_ROW;
  }
  /* an unbuffered fetch reports a failed read on the connection */
  if (mysql_stmt_errno(s->st) == 0 && mysql_errno(s->conn->my) != 0)
    return conn_fail(s->conn->my, err);
  return stmt_fail(s->st, err);
}

static int my_step(sl_stmt *s, sl_error *err) {
  int rc = step_once(s, err);
  if (rc == SL_ERROR) s->failed = 1;
  return rc;
}

static int my_ncolumns(sl_stmt *s) {
  return (int)s->ncols;
}

static const char *my_column_name(sl_stmt *s, int i) {
  if (s->fields == NULL || i < 0 || (unsigned)i >= s->ncols) return "?";
  return s->fields[i].name ? s->fields[i].name : "?";
}

/* Appends ".f" (microseconds, trailing zeros dropped) when us is nonzero. */
static void add_fraction(char *buf, size_t size, unsigned long us) {
  size_t n = strlen(buf);
  char frac[8];
  int k;
  if (us == 0 || us > 999999) return;
  snprintf(frac, sizeof frac, "%06lu", us);
  for (k = 5; k > 0 && frac[k] == '0'; k--)
    frac[k] = '\0';
  snprintf(buf + n, size - n, ".%s", frac);
}

/* The shortest decimal text that reads back as the float f, as a double:
** a FLOAT column holding 1.1 reads as 1.1, not as its binary expansion. */
static double float_value(float f) {
  char buf[32];
  int prec;
  if (f != f || f - f != 0.0f) return (double)f; /* NaN, infinities */
  for (prec = 1; prec < 9; prec++) {
    sl_numfmt(buf, sizeof buf, "%.*g", prec, (double)f);
    if (sl_strtof(buf, NULL) == f) break;
  }
  sl_numfmt(buf, sizeof buf, "%.*g", prec, (double)f);
  return sl_strtod(buf, NULL);
}

static void set_text(sl_value *out, const char *p, size_t n) {
  out->type = SL_V_TEXT;
  out->u.s.p = p;
  out->u.s.n = n;
}

/* An unsigned integer cell: SL_V_INT, or beyond a Lua integer (BIGINT
** UNSIGNED, BIT(64) above INT64_MAX) the text of its exact digits. */
static void set_unsigned(mycol *col, unsigned long long u, sl_value *out) {
  if (u > (unsigned long long)INT64_MAX) {
    snprintf(col->txt, sizeof col->txt, "%llu", u);
    set_text(out, col->txt, strlen(col->txt));
  } else {
    out->type = SL_V_INT;
    out->u.i = (int64_t)u;
  }
}

static void my_column(sl_stmt *s, int i, sl_value *out) {
  mycol *col;
  const MYSQL_TIME *t;
  if (s->cols == NULL || i < 0 || (unsigned)i >= s->ncols) {
    out->type = SL_V_NULL;
    return;
  }
  col = &s->cols[i];
  t = &col->n.t;
  if (col->is_null || s->fields[i].type == MYSQL_TYPE_NULL) {
    out->type = SL_V_NULL;
    return;
  }
  switch (col->kind) {
  case K_INT:
    out->type = SL_V_INT;
    out->u.i = (int64_t)col->n.i;
    break;
  case K_UINT:
    set_unsigned(col, (unsigned long long)col->n.i, out);
    break;
  case K_DOUBLE:
    out->type = SL_V_FLOAT;
    out->u.f = col->n.f;
    break;
  case K_FLOAT:
    out->type = SL_V_FLOAT;
    out->u.f = float_value(col->n.fl);
    break;
  case K_BIT: {
    unsigned long long v = 0;
    unsigned long k, n = col->len < col->cap ? col->len : col->cap;
    for (k = 0; k < n; k++)
      v = (v << 8) | (unsigned char)col->buf[k];
    set_unsigned(col, v, out);
    break;
  }
  case K_DATE:
    snprintf(col->txt, sizeof col->txt, "%04u-%02u-%02u", t->year % 10000u,
             t->month % 100u, t->day % 100u);
    set_text(out, col->txt, strlen(col->txt));
    break;
  case K_DATETIME:
    snprintf(col->txt, sizeof col->txt, "%04u-%02u-%02u %02u:%02u:%02u",
             t->year % 10000u, t->month % 100u, t->day % 100u, t->hour % 100u,
             t->minute % 100u, t->second % 100u);
    add_fraction(col->txt, sizeof col->txt, t->second_part);
    set_text(out, col->txt, strlen(col->txt));
    break;
  case K_TIME:
    /* TIME spans -838:59:59 .. 838:59:59; days fold into hours */
    snprintf(col->txt, sizeof col->txt, "%s%02u:%02u:%02u", t->neg ? "-" : "",
             (t->day * 24u + t->hour) % 100000u, t->minute % 100u,
             t->second % 100u);
    add_fraction(col->txt, sizeof col->txt, t->second_part);
    set_text(out, col->txt, strlen(col->txt));
    break;
  default:
    out->type = col->kind == K_BLOB ? SL_V_BLOB : SL_V_TEXT;
    out->u.s.p = col->buf;
    out->u.s.n = col->len < col->cap ? col->len : col->cap;
    break;
  }
}

/* After a failed run (e.g. an INSERT ... RETURNING whose error came with
** the result) the client library's statement may wait for packets the
** server never sends: mysql_stmt_reset puts both sides back in step. It
** costs a round trip, so it is only done then. */
static int my_reset(sl_stmt *s, sl_error *err) {
  if (s->conn->streaming == s)
    s->conn->streaming = NULL; /* drained */
  else if (settle(s->conn, s, err) != SL_OK)
    return SL_ERROR;
  s->stream = 0;
  free_result(s);
  if (mysql_stmt_free_result(s->st) != 0) return stmt_fail(s->st, err);
  if (s->failed) {
    s->failed = 0;
    if (mysql_stmt_reset(s->st) != 0) return stmt_fail(s->st, err);
  }
  s->state = ST_READY;
  s->affected = 0;
  s->insert_id = 0;
  return SL_OK;
}

static void my_finalize(sl_stmt *s) {
  sl_error ignored;
  if (s == NULL) return;
  if (s->conn->streaming == s)
    s->conn->streaming = NULL; /* closing drains it */
  else
    settle(s->conn, s, &ignored);
  free_result(s);
  mysql_stmt_close(s->st);
  free(s->pbind);
  free(s->pval);
  free(s);
}

static long long my_rows_affected(sl_conn *c, sl_stmt *s) {
  (void)c;
  if (s == NULL || s->affected < 0) return 0;
  return s->affected;
}

static long long my_last_insert_id(sl_conn *c, sl_stmt *s, int *has_id) {
  (void)c;
  *has_id = 0;
  if (s == NULL || !s->inserts || s->insert_id == 0 ||
      s->insert_id > (unsigned long long)LLONG_MAX)
    return 0;
  *has_id = 1;
  return (long long)s->insert_id;
}

/* Runs one statement of SQL text; any result sets are read and dropped so
** that the connection is ready for the next command. */
static int my_exec(sl_conn *c, const char *sql, sl_error *err) {
  int more;
  if (settle(c, NULL, err) != SL_OK) return SL_ERROR;
  if (mysql_real_query(c->my, sql, (unsigned long)strlen(sql)) != 0)
    return conn_fail(c->my, err);
  do {
    MYSQL_RES *res = mysql_store_result(c->my);
    if (res != NULL)
      mysql_free_result(res);
    else if (mysql_field_count(c->my) != 0)
      return conn_fail(c->my, err);
    more = mysql_next_result(c->my);
    if (more > 0) return conn_fail(c->my, err);
  } while (more == 0);
  return SL_OK;
}

/* }==================================================================== */

/* {====================================================================
** Transactions
** ===================================================================== */

/* Runs verb followed by name as a quoted identifier. */
static int exec_verb(sl_conn *c, const char *verb, const char *name,
                     sl_error *err) {
  sl_buf b;
  int status;
  const char *p;
  sl_buf_init(&b);
  sl_buf_adds(&b, verb);
  sl_buf_adds(&b, " `");
  for (p = name; *p != '\0'; p++) {
    if (*p == '`') sl_buf_addc(&b, '`');
    sl_buf_addc(&b, *p);
  }
  sl_buf_addc(&b, '`');
  if (b.oom) {
    sl_buf_free(&b);
    return oom(err);
  }
  status = my_exec(c, b.p, err);
  sl_buf_free(&b);
  return status;
}

/* my_txmode.h checks and spells the characteristics of mode. */
static int my_begin(sl_conn *c, const sl_txopts *opts, sl_error *err) {
  char level[96], start[128];
  if (my_txmode(opts != NULL ? opts->mode : NULL, level, start, err) != SL_OK)
    return SL_ERROR;
  if (level[0] != '\0' && my_exec(c, level, err) != SL_OK) return SL_ERROR;
  return my_exec(c, start, err);
}

static int my_commit(sl_conn *c, sl_error *err) {
  return my_exec(c, "COMMIT", err);
}

static int my_rollback(sl_conn *c, sl_error *err) {
  return my_exec(c, "ROLLBACK", err);
}

static int my_savepoint(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "SAVEPOINT", name, err);
}

static int my_release(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "RELEASE SAVEPOINT", name, err);
}

static int my_rollback_to(sl_conn *c, const char *name, sl_error *err) {
  return exec_verb(c, "ROLLBACK TO SAVEPOINT", name, err);
}

/* Rows of this run come as the server sends them (mysql_stmt_fetch
** without mysql_stmt_store_result); settle() buffers the rest when another
** command needs the connection. */
static void my_stream(sl_stmt *s) {
  s->stream = 1;
}

/* The server reports its transaction state with every reply. */
static int my_in_transaction(sl_conn *c) {
  unsigned int status = 0;
  if (mariadb_get_infov(c->my, MARIADB_CONNECTION_SERVER_STATUS, &status))
    return 0;
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

/* }==================================================================== */

/* The MySQL/MariaDB driver: "mysql" connections speaking sl_dialect_mysql. */
const sl_driver sl_driver_mysql = {
    .abi = SL_DRIVER_ABI,
    .name = "mysql",
    .dialect = "mysql",
    .connect = my_connect,
    .close = my_close,
    .prepare = my_prepare,
    .bind = my_bind,
    .step = my_step,
    .ncolumns = my_ncolumns,
    .column_name = my_column_name,
    .column = my_column,
    .reset = my_reset,
    .finalize = my_finalize,
    .rows_affected = my_rows_affected,
    .last_insert_id = my_last_insert_id,
    .exec = my_exec,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .savepoint = my_savepoint,
    .release = my_release,
    .rollback_to = my_rollback_to,
    /* every statement is a server-side prepared statement already: a kept
    ** one is re-executed after mysql_stmt_free_result */
    .prepare_persistent = my_prepare,
    .in_transaction = my_in_transaction,
    .batch = NULL,
    .stream = my_stream,
};
