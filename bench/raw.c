/*
** raw.c — the limit: the benchmark's workloads written directly against
** the client libraries sleet uses (SQLite, libpq, MariaDB Connector/C),
** with prepared statements, bound parameters and every column read.
**
**   raw sqlite :memory:
**   raw postgresql postgres://postgres@127.0.0.1:PORT/postgres
**   raw mysql mysql://root@127.0.0.1:PORT/sleet_test
**
** Workloads, the same as bench/sleet.lua and bench/luasql.lua (the rows,
** the statements and the checksums are those of bench/common.lua):
**
**   insert  SLEET_BENCH_ROWS rows (20,000), one prepared insert, one
**           transaction, run twice on a fresh table; ns per row
**   point   SLEET_BENCH_POINT (SQLite, 200,000) or SLEET_BENCH_POINT_SERVER
**           (20,000) point selects by primary key, prepared once
**   scan    every row, ordered by id, every column read, repeated
**           SLEET_BENCH_SCANS times (5 / 3); ns per row
**
** Each prints `RESULT dialect raw workload ns-per-op ops checksum`; INFO
** lines give the library and server versions. Time is wall time from
** CLOCK_MONOTONIC. Any error, or a row that does not hold the values
** written, ends the program with a message and exit status 1.
*/
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

#define TABLE_DDL_SQLITE \
  "create table bench_items (id integer primary key, name text not null, " \
  "email text not null, age integer not null, score real not null)"
#define TABLE_DDL_PG \
  "create table bench_items (id integer primary key, name text not null, " \
  "email text not null, age integer not null, " \
  "score double precision not null)"
#define TABLE_DDL_MYSQL \
  "create table bench_items (id int primary key, " \
  "name varchar(255) not null, email varchar(255) not null, " \
  "age int not null, score double not null)"
#define DROP_SQL "drop table if exists bench_items"
#define STATS_SQL "select count(*), sum(age) from bench_items"
#define COLUMNS "id, name, email, age, score"
#define SCAN_SQL "select " COLUMNS " from bench_items order by id"

/* A row as read: the text columns point into the library's buffers and
   stay valid until the next read. */
typedef struct Row {
  long long id;
  const char *name;
  size_t name_len;
  const char *email;
  size_t email_len;
  long long age;
  double score;
} Row;

/* The values of row i, formatted once per use. */
typedef struct RowValues {
  char name[32];
  char email[48];
  long long age;
  double score;
} RowValues;

/* One connection of one driver, and its statements. */
typedef struct Bench {
  const char *dialect;
  sqlite3 *lite;
  sqlite3_stmt *lite_point;
  PGconn *pg;
  PGresult *pg_last; /* the last point select's, read until the next */
  MYSQL *my;
  MYSQL_STMT *my_point;
  MYSQL_BIND my_point_param[1];
  MYSQL_BIND my_result[5];
  long long my_param_id;
  Row my_row;
  char my_name[256];
  char my_email[256];
  unsigned long my_name_len;
  unsigned long my_email_len;
} Bench;

/* What each driver does for a workload. */
typedef struct Driver {
  const char *name;
  void (*open)(Bench *b, const char *target);
  void (*exec)(Bench *b, const char *sql);
  void (*insert)(Bench *b, long long n);
  void (*point_prepare)(Bench *b);
  void (*point)(Bench *b, long long id, Row *out);
  long long (*scan)(Bench *b, long long rows, int check);
  void (*stats)(Bench *b, long long *count, long long *sum_age);
  void (*info)(Bench *b);
  void (*close)(Bench *b);
} Driver;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("raw: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static long long now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    die("clock_gettime: %s", strerror(errno));
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void row_values(long long i, RowValues *v) {
  snprintf(v->name, sizeof v->name, "user%lld", i);
  snprintf(v->email, sizeof v->email, "user%lld@example.org", i);
  v->age = i % 90 + 10;
  v->score = (double)i * 0.25;
}

/* The checksum term of a row (bench/common.lua's row_sum). */
static long long row_sum(const Row *r) {
  return r->id + r->age + (long long)r->name_len + (long long)r->email_len +
         (long long)(r->score * 4 + 0.5);
}

/* Ends the program unless r holds exactly the values of row i. */
static void check_row(long long i, const Row *r) {
  RowValues v;
  row_values(i, &v);
  if (r->id != i || r->age != v.age || r->score != v.score ||
      r->name_len != strlen(v.name) ||
      memcmp(r->name, v.name, r->name_len) != 0 ||
      r->email_len != strlen(v.email) ||
      memcmp(r->email, v.email, r->email_len) != 0)
    die("row %lld read wrong (id %lld, name %.*s)", i, r->id, (int)r->name_len,
        r->name);
}

/* The id of the k-th point select over n rows (common.point_id). */
static long long point_id(long long k, long long n) {
  return (k * 7919) % n + 1;
}

static long long env_count(const char *name, long long fallback) {
  const char *s = getenv(name);
  char *end;
  long long v;
  if (s == NULL || *s == '\0') return fallback;
  v = strtoll(s, &end, 10);
  if (*end != '\0' || v <= 0) die("%s: not a positive integer: %s", name, s);
  return v;
}

static void result(const Bench *b, const char *workload, long long ns,
                   long long ops, const char *checksum) {
  printf("RESULT %s raw %s %.1f %lld %s\n", b->dialect, workload,
         (double)ns / (double)ops, ops, checksum);
  fflush(stdout);
}

/* {==================================================================
** SQLite
** =================================================================== */

static void lite_open(Bench *b, const char *target) {
  if (sqlite3_open(target, &b->lite) != SQLITE_OK)
    die("sqlite3_open %s: %s", target, sqlite3_errmsg(b->lite));
}

static void lite_exec(Bench *b, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(b->lite, sql, NULL, NULL, &msg) != SQLITE_OK)
    die("sqlite: %s: %s", sql, msg ? msg : "?");
}

static sqlite3_stmt *lite_prepare(Bench *b, const char *sql) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(b->lite, sql, -1, &st, NULL) != SQLITE_OK)
    die("sqlite: prepare %s: %s", sql, sqlite3_errmsg(b->lite));
  return st;
}

static void lite_insert(Bench *b, long long n) {
  sqlite3_stmt *st;
  RowValues v;
  long long i;
  lite_exec(b, "begin");
  st = lite_prepare(b, "insert into bench_items (" COLUMNS
                       ") values (?, ?, ?, ?, ?)");
  for (i = 1; i <= n; i++) {
    row_values(i, &v);
    sqlite3_bind_int64(st, 1, i);
    sqlite3_bind_text(st, 2, v.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, v.email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, v.age);
    sqlite3_bind_double(st, 5, v.score);
    if (sqlite3_step(st) != SQLITE_DONE)
      die("sqlite: insert: %s", sqlite3_errmsg(b->lite));
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  lite_exec(b, "commit");
}

static void lite_read(sqlite3_stmt *st, Row *r) {
  r->id = sqlite3_column_int64(st, 0);
  r->name = (const char *)sqlite3_column_text(st, 1);
  r->name_len = (size_t)sqlite3_column_bytes(st, 1);
  r->email = (const char *)sqlite3_column_text(st, 2);
  r->email_len = (size_t)sqlite3_column_bytes(st, 2);
  r->age = sqlite3_column_int64(st, 3);
  r->score = sqlite3_column_double(st, 4);
}

static void lite_point_prepare(Bench *b) {
  b->lite_point =
      lite_prepare(b, "select " COLUMNS " from bench_items where id = ?");
}

static void lite_point(Bench *b, long long id, Row *out) {
  sqlite3_stmt *st = b->lite_point;
  /* the previous row's text stays readable until this reset */
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, id);
  if (sqlite3_step(st) != SQLITE_ROW)
    die("sqlite: point select %lld: no row", id);
  lite_read(st, out);
}

static long long lite_scan(Bench *b, long long rows, int check) {
  sqlite3_stmt *st = lite_prepare(b, SCAN_SQL);
  long long n = 0, sum = 0;
  int rc;
  Row r;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    lite_read(st, &r);
    n++;
    if (r.id != n) die("scan: row %lld has id %lld", n, r.id);
    if (check) check_row(n, &r);
    sum += row_sum(&r);
  }
  if (rc != SQLITE_DONE) die("sqlite: scan: %s", sqlite3_errmsg(b->lite));
  sqlite3_finalize(st);
  if (n != rows) die("scan: %lld rows, want %lld", n, rows);
  return sum;
}

static void lite_stats(Bench *b, long long *count, long long *sum_age) {
  sqlite3_stmt *st = lite_prepare(b, STATS_SQL);
  if (sqlite3_step(st) != SQLITE_ROW) die("sqlite: %s", STATS_SQL);
  *count = sqlite3_column_int64(st, 0);
  *sum_age = sqlite3_column_int64(st, 1);
  sqlite3_finalize(st);
}

static void lite_info(Bench *b) {
  (void)b;
  printf("INFO sqlite_library %s\n", sqlite3_libversion());
}

static void lite_close(Bench *b) {
  sqlite3_finalize(b->lite_point);
  sqlite3_close(b->lite);
}

/* }================================================================== */

/* {==================================================================
** PostgreSQL (libpq, text format, as libpq's users write it)
** =================================================================== */

/* Drops the server's notices ("table does not exist, skipping"). */
static void pg_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

static void pg_open(Bench *b, const char *target) {
  b->pg = PQconnectdb(target);
  if (PQstatus(b->pg) != CONNECTION_OK)
    die("postgresql: %s", PQerrorMessage(b->pg));
  PQsetNoticeProcessor(b->pg, pg_notice, NULL);
}

static void pg_check(Bench *b, PGresult *res, const char *what) {
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    die("postgresql: %s: %s", what, PQerrorMessage(b->pg));
}

static void pg_exec(Bench *b, const char *sql) {
  PGresult *res = PQexec(b->pg, sql);
  pg_check(b, res, sql);
  PQclear(res);
}

static void pg_prepare(Bench *b, const char *name, const char *sql) {
  PGresult *res = PQprepare(b->pg, name, sql, 0, NULL);
  pg_check(b, res, sql);
  PQclear(res);
}

static void pg_insert(Bench *b, long long n) {
  RowValues v;
  char id[24], age[24], score[32];
  const char *values[5];
  long long i;
  pg_exec(b, "begin");
  pg_prepare(b, "bench_insert",
             "insert into bench_items (" COLUMNS
             ") values ($1, $2, $3, $4, $5)");
  values[0] = id;
  values[3] = age;
  values[4] = score;
  for (i = 1; i <= n; i++) {
    PGresult *res;
    row_values(i, &v);
    snprintf(id, sizeof id, "%lld", i);
    snprintf(age, sizeof age, "%lld", v.age);
    snprintf(score, sizeof score, "%.17g", v.score);
    values[1] = v.name;
    values[2] = v.email;
    res = PQexecPrepared(b->pg, "bench_insert", 5, values, NULL, NULL, 0);
    pg_check(b, res, "insert");
    PQclear(res);
  }
  pg_exec(b, "deallocate bench_insert");
  pg_exec(b, "commit");
}

static void pg_read(PGresult *res, int i, Row *r) {
  r->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
  r->name = PQgetvalue(res, i, 1);
  r->name_len = (size_t)PQgetlength(res, i, 1);
  r->email = PQgetvalue(res, i, 2);
  r->email_len = (size_t)PQgetlength(res, i, 2);
  r->age = strtoll(PQgetvalue(res, i, 3), NULL, 10);
  r->score = strtod(PQgetvalue(res, i, 4), NULL);
}

static void pg_point_prepare(Bench *b) {
  pg_prepare(b, "bench_point",
             "select " COLUMNS " from bench_items where id = $1");
}

static void pg_point(Bench *b, long long id, Row *out) {
  char idtext[24];
  const char *values[1];
  /* the previous row's text lives in its result until here */
  PQclear(b->pg_last);
  snprintf(idtext, sizeof idtext, "%lld", id);
  values[0] = idtext;
  b->pg_last = PQexecPrepared(b->pg, "bench_point", 1, values, NULL, NULL, 0);
  pg_check(b, b->pg_last, "point select");
  if (PQntuples(b->pg_last) != 1) die("postgresql: point select %lld", id);
  pg_read(b->pg_last, 0, out);
}

static long long pg_scan(Bench *b, long long rows, int check) {
  PGresult *res;
  long long sum = 0;
  int i, n;
  Row r;
  res = PQexecParams(b->pg, SCAN_SQL, 0, NULL, NULL, NULL, NULL, 0);
  pg_check(b, res, "scan");
  n = PQntuples(res);
  if (n != rows) die("scan: %d rows, want %lld", n, rows);
  for (i = 0; i < n; i++) {
    pg_read(res, i, &r);
    if (r.id != i + 1) die("scan: row %d has id %lld", i + 1, r.id);
    if (check) check_row(i + 1, &r);
    sum += row_sum(&r);
  }
  PQclear(res);
  return sum;
}

static void pg_stats(Bench *b, long long *count, long long *sum_age) {
  PGresult *res = PQexec(b->pg, STATS_SQL);
  pg_check(b, res, STATS_SQL);
  *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  *sum_age = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
  PQclear(res);
}

static void pg_info(Bench *b) {
  printf("INFO libpq %d\n", PQlibVersion());
  printf("INFO postgresql_server %d\n", PQserverVersion(b->pg));
}

static void pg_close(Bench *b) {
  PQclear(b->pg_last);
  b->pg_last = NULL;
  PQfinish(b->pg);
}

/* }================================================================== */

/* {==================================================================
** MySQL / MariaDB (Connector/C, binary protocol of prepared statements)
** =================================================================== */

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes %XX escapes of s[0..len) into a new string (exits on no
   memory). */
static char *url_part(const char *s, size_t len) {
  char *out = malloc(len + 1), *p = out;
  size_t i;
  if (out == NULL) die("out of memory");
  for (i = 0; i < len; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
        (lo = hex_digit(s[i + 2])) >= 0) {
      *p++ = (char)(hi * 16 + lo);
      i += 2;
    } else {
      *p++ = s[i];
    }
  }
  *p = '\0';
  return out;
}

/* Connects to mysql://user[:password]@host[:port][/database]. */
static void my_open(Bench *b, const char *target) {
  const char *rest, *at, *slash, *colon, *hostend;
  char *user = NULL, *password = NULL, *host, *db = NULL;
  unsigned int port = 0;
  if (strncmp(target, "mysql://", 8) == 0)
    rest = target + 8;
  else
    die("mysql: not a mysql:// URL: %s", target);
  slash = strchr(rest, '/');
  hostend = slash ? slash : rest + strlen(rest);
  at = memchr(rest, '@', (size_t)(hostend - rest));
  if (at != NULL) {
    colon = memchr(rest, ':', (size_t)(at - rest));
    if (colon != NULL) {
      user = url_part(rest, (size_t)(colon - rest));
      password = url_part(colon + 1, (size_t)(at - colon - 1));
    } else {
      user = url_part(rest, (size_t)(at - rest));
    }
    rest = at + 1;
  }
  colon = memchr(rest, ':', (size_t)(hostend - rest));
  if (colon != NULL) {
    port = (unsigned int)strtoul(colon + 1, NULL, 10);
    host = url_part(rest, (size_t)(colon - rest));
  } else {
    host = url_part(rest, (size_t)(hostend - rest));
  }
  if (slash != NULL && slash[1] != '\0')
    db = url_part(slash + 1, strlen(slash + 1));
  b->my = mysql_init(NULL);
  if (b->my == NULL) die("mysql_init: out of memory");
  if (mysql_real_connect(b->my, host, user, password, db, port, NULL, 0) ==
      NULL)
    die("mysql: %s", mysql_error(b->my));
  if (mysql_set_character_set(b->my, "utf8mb4") != 0)
    die("mysql: %s", mysql_error(b->my));
  free(user);
  free(password);
  free(host);
  free(db);
}

static void my_exec(Bench *b, const char *sql) {
  MYSQL_RES *res;
  if (mysql_real_query(b->my, sql, (unsigned long)strlen(sql)) != 0)
    die("mysql: %s: %s", sql, mysql_error(b->my));
  res = mysql_store_result(b->my);
  if (res != NULL) mysql_free_result(res);
}

static MYSQL_STMT *my_prepare(Bench *b, const char *sql) {
  MYSQL_STMT *st = mysql_stmt_init(b->my);
  if (st == NULL) die("mysql_stmt_init: out of memory");
  if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0)
    die("mysql: prepare %s: %s", sql, mysql_stmt_error(st));
  return st;
}

static void my_bind_ll(MYSQL_BIND *bind, long long *v) {
  memset(bind, 0, sizeof *bind);
  bind->buffer_type = MYSQL_TYPE_LONGLONG;
  bind->buffer = v;
}

static void my_bind_double(MYSQL_BIND *bind, double *v) {
  memset(bind, 0, sizeof *bind);
  bind->buffer_type = MYSQL_TYPE_DOUBLE;
  bind->buffer = v;
}

static void my_bind_text(MYSQL_BIND *bind, char *buf, unsigned long size,
                         unsigned long *len) {
  memset(bind, 0, sizeof *bind);
  bind->buffer_type = MYSQL_TYPE_STRING;
  bind->buffer = buf;
  bind->buffer_length = size;
  bind->length = len;
}

static void my_insert(Bench *b, long long n) {
  MYSQL_STMT *st;
  MYSQL_BIND bind[5];
  RowValues v;
  long long id;
  unsigned long name_len, email_len;
  my_exec(b, "start transaction");
  st = my_prepare(b, "insert into bench_items (" COLUMNS
                     ") values (?, ?, ?, ?, ?)");
  my_bind_ll(&bind[0], &id);
  my_bind_text(&bind[1], v.name, sizeof v.name, &name_len);
  my_bind_text(&bind[2], v.email, sizeof v.email, &email_len);
  my_bind_ll(&bind[3], &v.age);
  my_bind_double(&bind[4], &v.score);
  if (mysql_stmt_bind_param(st, bind) != 0)
    die("mysql: bind: %s", mysql_stmt_error(st));
  for (id = 1; id <= n; id++) {
    row_values(id, &v);
    name_len = (unsigned long)strlen(v.name);
    email_len = (unsigned long)strlen(v.email);
    if (mysql_stmt_execute(st) != 0)
      die("mysql: insert: %s", mysql_stmt_error(st));
  }
  mysql_stmt_close(st);
  my_exec(b, "commit");
}

/* Binds b's result buffers (b->my_row and the text buffers) to st. */
static void my_bind_result(Bench *b, MYSQL_STMT *st) {
  my_bind_ll(&b->my_result[0], &b->my_row.id);
  my_bind_text(&b->my_result[1], b->my_name, sizeof b->my_name,
               &b->my_name_len);
  my_bind_text(&b->my_result[2], b->my_email, sizeof b->my_email,
               &b->my_email_len);
  my_bind_ll(&b->my_result[3], &b->my_row.age);
  my_bind_double(&b->my_result[4], &b->my_row.score);
  if (mysql_stmt_bind_result(st, b->my_result) != 0)
    die("mysql: bind result: %s", mysql_stmt_error(st));
}

static void my_row_out(Bench *b, Row *out) {
  *out = b->my_row;
  out->name = b->my_name;
  out->name_len = b->my_name_len;
  out->email = b->my_email;
  out->email_len = b->my_email_len;
}

static void my_point_prepare(Bench *b) {
  b->my_point =
      my_prepare(b, "select " COLUMNS " from bench_items where id = ?");
  my_bind_ll(&b->my_point_param[0], &b->my_param_id);
  if (mysql_stmt_bind_param(b->my_point, b->my_point_param) != 0)
    die("mysql: bind: %s", mysql_stmt_error(b->my_point));
  my_bind_result(b, b->my_point);
}

static void my_point(Bench *b, long long id, Row *out) {
  MYSQL_STMT *st = b->my_point;
  int rc;
  b->my_param_id = id;
  if (mysql_stmt_execute(st) != 0)
    die("mysql: point select: %s", mysql_stmt_error(st));
  if (mysql_stmt_fetch(st) != 0) die("mysql: point select %lld: no row", id);
  my_row_out(b, out);
  /* read to the end of the result, as a client must before the next
     statement */
  while ((rc = mysql_stmt_fetch(st)) == 0)
    die("mysql: point select: 2 rows");
  if (rc != MYSQL_NO_DATA) die("mysql: fetch: %s", mysql_stmt_error(st));
}

static long long my_scan(Bench *b, long long rows, int check) {
  MYSQL_STMT *st = my_prepare(b, SCAN_SQL);
  long long n = 0, sum = 0;
  int rc;
  Row r;
  my_bind_result(b, st);
  if (mysql_stmt_execute(st) != 0) die("mysql: scan: %s", mysql_stmt_error(st));
  while ((rc = mysql_stmt_fetch(st)) == 0) {
    my_row_out(b, &r);
    n++;
    if (r.id != n) die("scan: row %lld has id %lld", n, r.id);
    if (check) check_row(n, &r);
    sum += row_sum(&r);
  }
  if (rc != MYSQL_NO_DATA) die("mysql: fetch: %s", mysql_stmt_error(st));
  mysql_stmt_close(st);
  if (n != rows) die("scan: %lld rows, want %lld", n, rows);
  return sum;
}

static void my_stats(Bench *b, long long *count, long long *sum_age) {
  MYSQL_RES *res;
  MYSQL_ROW row;
  if (mysql_real_query(b->my, STATS_SQL, (unsigned long)strlen(STATS_SQL)))
    die("mysql: %s", mysql_error(b->my));
  res = mysql_store_result(b->my);
  if (res == NULL || (row = mysql_fetch_row(res)) == NULL)
    die("mysql: %s: no row", STATS_SQL);
  *count = strtoll(row[0], NULL, 10);
  *sum_age = strtoll(row[1], NULL, 10);
  mysql_free_result(res);
}

static void my_info(Bench *b) {
  printf("INFO mariadb_client %s\n", mysql_get_client_info());
  printf("INFO mariadb_server %s\n", mysql_get_server_info(b->my));
}

static void my_close(Bench *b) {
  if (b->my_point != NULL) mysql_stmt_close(b->my_point);
  mysql_close(b->my);
}

/* }================================================================== */

static const Driver drivers[] = {
    {"sqlite", lite_open, lite_exec, lite_insert, lite_point_prepare,
     lite_point, lite_scan, lite_stats, lite_info, lite_close},
    {"postgresql", pg_open, pg_exec, pg_insert, pg_point_prepare, pg_point,
     pg_scan, pg_stats, pg_info, pg_close},
    {"mysql", my_open, my_exec, my_insert, my_point_prepare, my_point, my_scan,
     my_stats, my_info, my_close},
};

static const char *table_ddl(const char *dialect) {
  if (strcmp(dialect, "sqlite") == 0) return TABLE_DDL_SQLITE;
  if (strcmp(dialect, "postgresql") == 0) return TABLE_DDL_PG;
  return TABLE_DDL_MYSQL;
}

static void reset_table(const Driver *d, Bench *b) {
  d->exec(b, DROP_SQL);
  d->exec(b, table_ddl(b->dialect));
}

static void bench_insert(const Driver *d, Bench *b, long long rows) {
  long long best = -1, count, sum_age, want = 0, i;
  int round;
  char checksum[64];
  for (round = 0; round < 2; round++) {
    long long t0, ns;
    reset_table(d, b);
    t0 = now_ns();
    d->insert(b, rows);
    ns = now_ns() - t0;
    if (best < 0 || ns < best) best = ns;
  }
  d->stats(b, &count, &sum_age);
  for (i = 1; i <= rows; i++)
    want += i % 90 + 10;
  if (count != rows || sum_age != want)
    die("insert: the table holds %lld rows, sum(age) %lld", count, sum_age);
  snprintf(checksum, sizeof checksum, "%lld/%lld", count, sum_age);
  result(b, "insert", best, rows, checksum);
}

static long long point_one(const Driver *d, Bench *b, long long k,
                           long long rows) {
  long long id = point_id(k, rows);
  Row r;
  d->point(b, id, &r);
  if (r.id != id) die("point select %lld: got row %lld", id, r.id);
  if (k % 1000 == 0) check_row(id, &r);
  return row_sum(&r);
}

static void bench_point(const Driver *d, Bench *b, long long count,
                        long long rows) {
  long long k, warm = count / 10 < 1000 ? count / 10 : 1000;
  long long sum = 0, t0, ns;
  char checksum[32];
  d->point_prepare(b);
  for (k = 1; k <= warm; k++)
    point_one(d, b, k, rows);
  t0 = now_ns();
  for (k = 1; k <= count; k++)
    sum += point_one(d, b, k, rows);
  ns = now_ns() - t0;
  snprintf(checksum, sizeof checksum, "%lld", sum);
  result(b, "point", ns, count, checksum);
}

static void bench_scan(const Driver *d, Bench *b, long long scans,
                       long long rows) {
  long long s, sum = 0, t0, ns;
  char checksum[32];
  /* every value of every row checked once, untimed */
  d->scan(b, rows, 1);
  t0 = now_ns();
  for (s = 0; s < scans; s++)
    sum = d->scan(b, rows, 0);
  ns = now_ns() - t0;
  snprintf(checksum, sizeof checksum, "%lld", sum);
  result(b, "scan", ns, scans * rows, checksum);
}

int main(int argc, char **argv) {
  const Driver *d = NULL;
  Bench b;
  size_t i;
  int server;
  long long rows, point, scans;
  if (argc != 3) {
    fprintf(stderr, "usage: raw sqlite|postgresql|mysql TARGET\n");
    return 2;
  }
  for (i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
    if (strcmp(argv[1], drivers[i].name) == 0) d = &drivers[i];
  if (d == NULL) die("unknown dialect %s", argv[1]);
  server = strcmp(d->name, "sqlite") != 0;
  rows = env_count("SLEET_BENCH_ROWS", 20000);
  point = server ? env_count("SLEET_BENCH_POINT_SERVER", 20000)
                 : env_count("SLEET_BENCH_POINT", 200000);
  scans = env_count("SLEET_BENCH_SCANS", server ? 3 : 5);
  memset(&b, 0, sizeof b);
  b.dialect = d->name;
  d->open(&b, argv[2]);
  d->info(&b);
  bench_insert(d, &b, rows);
  bench_point(d, &b, point, rows);
  bench_scan(d, &b, scans, rows);
  if (server) d->exec(&b, DROP_SQL);
  d->close(&b);
  return 0;
}
