/*
** diff_test.c — the schema diff (sl_diff.c), snapshots (sl_snapshot.c) and
** migration DDL (sl_ddl.c): golden SQL for every change kind in all three
** dialects, down migrations, determinism, no-op diffs, rename questions,
** snapshot validation, and SQLite migrations applied to a real database
** under the migrator's foreign-key contract (a rebuilt parent table keeps
** its children's rows).
**
** Snapshots are written with ` for " to keep them readable. Build and run
** with `make check-c`; DIFF_TEST_PRINT=1 prints what each scenario gives
** (to review a new golden string). The last line is "N passed, N failed".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sleet.h"

static int passed, failed;
static int print_mode;

static const sl_dialect *const SQ = &sl_dialect_sqlite;
static const sl_dialect *const PG = &sl_dialect_postgresql;
static const sl_dialect *const MY = &sl_dialect_mysql;

static void check(int ok, const char *label, const char *detail) {
  if (ok) {
    passed++;
    return;
  }
  failed++;
  printf("FAIL %s\n%s\n", label, detail ? detail : "");
}

/* {====================================================================
** Snapshots
** ===================================================================== */

/* A snapshot document of dialect d holding tables (members of "tables",
** ` for ") and extra top-level members (may be ""). Static buffer. */
static const char *snap(const sl_dialect *d, const char *tables,
                        const char *extra) {
  static char buf[2][16384];
  static int which;
  char *out = buf[which ^= 1];
  char *p;
  snprintf(out, sizeof buf[0], "{`version`:`7`,`dialect`:`%s`,`tables`:{%s}%s}",
           d->name, tables, extra);
  for (p = out; *p != '\0'; p++)
    if (*p == '`') *p = '"';
  return out;
}

typedef struct result {
  sl_arena *a;
  sl_diff diff;
  sl_error err;
  int rc;
  char text[16384]; /* statements, then "-- " and the change kinds */
} result;

static void run(result *r, const sl_dialect *d, const char *prev_tables,
                const char *prev_extra, const char *next_tables,
                const char *next_extra, const sl_diff_opts *opts) {
  sl_snapshot *p = NULL, *n = NULL;
  size_t used = 0;
  int i;
  memset(&r->diff, 0, sizeof r->diff);
  sl_error_clear(&r->err);
  r->text[0] = '\0';
  r->a = sl_arena_new();
  if (prev_tables == NULL) {
    p = sl_snapshot_empty(d, r->a);
  } else {
    const char *j = snap(d, prev_tables, prev_extra);
    r->rc = sl_snapshot_parse(j, strlen(j), "previous", r->a, &p, &r->err);
    if (r->rc != SL_OK) return;
  }
  if (next_tables == NULL) {
    n = sl_snapshot_empty(d, r->a);
  } else {
    const char *j = snap(d, next_tables, next_extra);
    r->rc = sl_snapshot_parse(j, strlen(j), "next", r->a, &n, &r->err);
    if (r->rc != SL_OK) return;
  }
  r->rc = sl_diff_snapshots(d, p, n, opts, r->a, &r->diff, &r->err);
  if (r->rc != SL_OK) return;
  for (i = 0; i < r->diff.nstatements; i++)
    used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%s\n",
                             r->diff.statements[i]);
  used += (size_t)snprintf(r->text + used, sizeof r->text - used, "--");
  for (i = 0; i < r->diff.nchanges; i++)
    used += (size_t)snprintf(r->text + used, sizeof r->text - used, " %s%s",
                             r->diff.changes[i].kind,
                             r->diff.changes[i].destructive ? "!" : "");
  for (i = 0; i < r->diff.nunresolved; i++) {
    const sl_unresolved *u = &r->diff.unresolved[i];
    int k;
    used += (size_t)snprintf(r->text + used, sizeof r->text - used, " ?%s %s +",
                             u->columns ? "column" : "table",
                             u->table ? u->table : "-");
    for (k = 0; k < u->ncreated; k++)
      used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%s%s",
                               k ? "," : "", u->created[k]);
    used += (size_t)snprintf(r->text + used, sizeof r->text - used, " -");
    for (k = 0; k < u->ndeleted; k++)
      used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%s%s",
                               k ? "," : "", u->deleted[k]);
  }
}

static void done(result *r) {
  sl_arena_free(r->a);
  r->a = NULL;
}

/* One diff in one dialect against its golden text. */
static void expect(const char *label, const sl_dialect *d, const char *prev,
                   const char *prev_extra, const char *next,
                   const char *next_extra, const sl_diff_opts *opts,
                   const char *want) {
  result r;
  char lab[256], detail[40000];
  snprintf(lab, sizeof lab, "%s [%s]", label, d->name);
  run(&r, d, prev, prev_extra, next, next_extra, opts);
  if (r.rc != SL_OK) {
    snprintf(detail, sizeof detail, "error: %s", r.err.message);
    check(0, lab, detail);
  } else if (print_mode) {
    printf("== %s\n%s\n", lab, r.text);
  } else {
    snprintf(detail, sizeof detail, "want:\n%s\ngot:\n%s", want, r.text);
    check(strcmp(r.text, want) == 0, lab, detail);
  }
  done(&r);
}

/* A diff that must fail with a message containing want. */
static void expect_error(const char *label, const sl_dialect *d,
                         const char *prev, const char *next,
                         const sl_diff_opts *opts, const char *want) {
  result r;
  char detail[1024];
  run(&r, d, prev, "", next, "", opts);
  snprintf(detail, sizeof detail, "want an error containing: %s\ngot: %.800s",
           want, r.rc == SL_OK ? r.text : r.err.message);
  check(r.rc != SL_OK && strstr(r.err.message, want) != NULL, label, detail);
  done(&r);
}

/* }==================================================================== */

/* {====================================================================
** Tables used by the scenarios
** ===================================================================== */

#define USERS \
  "`users`:{`name`:`users`,`columns`:{" \
  "`id`:{`type`:`integer`,`primaryKey`:true,`notNull`:true,`order`:1}," \
  "`name`:{`type`:`varchar(100)`,`notNull`:true,`order`:2}," \
  "`email`:{`type`:`varchar(255)`,`notNull`:true,`order`:3}," \
  "`role`:{`type`:`varchar(20)`,`notNull`:true,`default`:`'member'`," \
  "`order`:4}}," \
  "`uniqueConstraints`:{`users_email_unique`:{`name`:`users_email_unique`," \
  "`columns`:[`email`]}}}"

#define POSTS_COLS \
  "`posts`:{`name`:`posts`,`columns`:{" \
  "`id`:{`type`:`integer`,`primaryKey`:true,`notNull`:true,`order`:1}," \
  "`author_id`:{`type`:`integer`,`notNull`:true,`order`:2}," \
  "`title`:{`type`:`text`,`order`:3}}"

#define POSTS_FK(action) \
  ",`foreignKeys`:{`posts_author_id_users_id_fk`:{" \
  "`name`:`posts_author_id_users_id_fk`,`tableFrom`:`posts`," \
  "`columnsFrom`:[`author_id`],`tableTo`:`users`,`columnsTo`:[`id`]," \
  "`onDelete`:`" action "`,`onUpdate`:`no action`}}"

#define POSTS_IDX \
  ",`indexes`:{`posts_author_idx`:{`name`:`posts_author_idx`," \
  "`columns`:[{`expression`:`author_id`,`isExpression`:false,`asc`:true}]," \
  "`isUnique`:false}}"

#define POSTS POSTS_COLS POSTS_FK("cascade") POSTS_IDX "}"

/* A one-column-key table with extra column text and extras. */
#define T1(name, cols, extras) \
  "`" name "`:{`name`:`" name "`,`columns`:{" \
  "`id`:{`type`:`integer`,`primaryKey`:true,`notNull`:true,`order`:1}" cols \
  "}" extras "}"

/* }==================================================================== */

/* {====================================================================
** Golden SQL: every change kind, up and down, in every dialect
** ===================================================================== */

/* Goldens of one scenario: up and down per dialect (NULL: not run). */
typedef struct golden {
  const char *up[3], *down[3];
} golden;

/* Runs prev -> next (up) and next -> prev (down, inverted answers) in the
** three dialects (SQLite, PostgreSQL, MySQL), and checks that both
** snapshots diff against themselves to nothing. */
static void scenario(const char *label, const char *prev, const char *pextra,
                     const char *next, const char *nextra,
                     const sl_diff_opts *up, const sl_diff_opts *down,
                     const golden *g) {
  static const sl_dialect *const ds[3] = {
      &sl_dialect_sqlite, &sl_dialect_postgresql, &sl_dialect_mysql};
  char lab[200];
  int i;
  for (i = 0; i < 3; i++) {
    if (g->up[i] == NULL) continue;
    expect(label, ds[i], prev, pextra, next, nextra, up, g->up[i]);
    snprintf(lab, sizeof lab, "%s, down", label);
    expect(lab, ds[i], next, nextra, prev, pextra, down, g->down[i]);
    snprintf(lab, sizeof lab, "%s, no-op", label);
    if (prev != NULL)
      expect(lab, ds[i], prev, pextra, prev, pextra, NULL, "--");
    if (next != NULL)
      expect(lab, ds[i], next, nextra, next, nextra, NULL, "--");
  }
}

static const sl_rename rn_col[] = {{"users.name", "full_name"}};
static const sl_rename rn_col_back[] = {{"users.full_name", "name"}};
static const sl_rename rn_table[] = {{"posts", "articles"}};
static const sl_rename rn_table_back[] = {{"articles", "posts"}};

static void test_golden(void) {
  sl_diff_opts o_col = {NULL, 0, rn_col, 1},
               o_col_back = {NULL, 0, rn_col_back, 1};
  sl_diff_opts o_tab = {rn_table, 1, NULL, 0},
               o_tab_back = {rn_table_back, 1, NULL, 0};
  {
    static const golden g = {
        {"CREATE TABLE \"users\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"name\" varchar(100) NOT NULL,\n"
         "\t\"email\" varchar(255) NOT NULL,\n"
         "\t\"role\" varchar(20) DEFAULT 'member' NOT NULL,\n"
         "\tCONSTRAINT \"users_email_unique\" UNIQUE(\"email\")\n"
         ");\n"
         "CREATE TABLE \"posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"posts_author_id_users_id_fk\" FOREIGN KEY "
         "(\"author_id\") REFERENCES \"users\"(\"id\") ON UPDATE no action ON "
         "DELETE cascade\n"
         ");\n"
         "CREATE INDEX \"posts_author_idx\" ON \"posts\" (\"author_id\");\n"
         "-- create_table create_table create_index",
         "CREATE TABLE \"users\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"name\" varchar(100) NOT NULL,\n"
         "\t\"email\" varchar(255) NOT NULL,\n"
         "\t\"role\" varchar(20) DEFAULT 'member' NOT NULL,\n"
         "\tCONSTRAINT \"users_email_unique\" UNIQUE(\"email\")\n"
         ");\n"
         "CREATE TABLE \"posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"posts_author_id_users_id_fk\" FOREIGN KEY "
         "(\"author_id\") REFERENCES \"users\"(\"id\") ON DELETE cascade ON "
         "UPDATE no action\n"
         ");\n"
         "CREATE INDEX \"posts_author_idx\" ON \"posts\" USING btree "
         "(\"author_id\");\n"
         "-- create_table create_table create_index",
         "CREATE TABLE `users` (\n"
         "\t`id` integer PRIMARY KEY NOT NULL,\n"
         "\t`name` varchar(100) NOT NULL,\n"
         "\t`email` varchar(255) NOT NULL,\n"
         "\t`role` varchar(20) NOT NULL DEFAULT 'member',\n"
         "\tCONSTRAINT `users_email_unique` UNIQUE(`email`)\n"
         ");\n"
         "CREATE TABLE `posts` (\n"
         "\t`id` integer PRIMARY KEY NOT NULL,\n"
         "\t`author_id` integer NOT NULL,\n"
         "\t`title` text,\n"
         "\tCONSTRAINT `posts_author_id_users_id_fk` FOREIGN KEY (`author_id`) "
         "REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action\n"
         ");\n"
         "CREATE INDEX `posts_author_idx` ON `posts` (`author_id`);\n"
         "-- create_table create_table create_index"},
        {"PRAGMA foreign_keys=OFF;\n"
         "DROP TABLE \"posts\";\n"
         "DROP TABLE \"users\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_table! drop_table!",
         "DROP TABLE \"posts\";\n"
         "DROP TABLE \"users\";\n"
         "-- drop_table! drop_table!",
         "DROP TABLE `posts`;\n"
         "DROP TABLE `users`;\n"
         "-- drop_table! drop_table!"}};
    scenario("create tables", NULL, "", USERS "," POSTS, "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"ALTER TABLE \"users\" ADD COLUMN \"age\" integer;\n"
         "-- add_column",
         "ALTER TABLE \"users\" ADD COLUMN \"age\" integer;\n"
         "-- add_column",
         "ALTER TABLE `users` ADD COLUMN `age` integer;\n"
         "-- add_column"},
        {"ALTER TABLE \"users\" DROP COLUMN \"age\";\n"
         "-- drop_column!",
         "ALTER TABLE \"users\" DROP COLUMN \"age\";\n"
         "-- drop_column!",
         "ALTER TABLE `users` DROP COLUMN `age`;\n"
         "-- drop_column!"}};
    scenario("add column", USERS, "",
             T1("users",
                ",`name`:{`type`:`varchar(100)`,`notNull`:true,`order`:2},`"
                "email`:{`type`:`varchar(255)`,`notNull`:true,`order`:3},`role`"
                ":{`type`:`varchar(20)`,`notNull`:true,`default`:`'member'`,`"
                "order`:4},`age`:{`type`:`integer`,`order`:5}",
                ",`uniqueConstraints`:{`users_email_unique`:{`name`:`users_"
                "email_unique`,`columns`:[`email`]}}"),
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer NOT NULL\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\") SELECT \"id\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- add_column! rebuild_table",
         "ALTER TABLE \"t\" ADD COLUMN \"n\" integer NOT NULL;\n"
         "-- add_column!",
         "ALTER TABLE `t` ADD COLUMN `n` integer NOT NULL;\n"
         "-- add_column!"},
        {"ALTER TABLE \"t\" DROP COLUMN \"n\";\n"
         "-- drop_column!",
         "ALTER TABLE \"t\" DROP COLUMN \"n\";\n"
         "-- drop_column!",
         "ALTER TABLE `t` DROP COLUMN `n`;\n"
         "-- drop_column!"}};
    scenario("add not null column", T1("t", "", ""), "",
             T1("t", ",`n`:{`type`:`integer`,`notNull`:true}", ""), "", NULL,
             NULL, &g);
  }
  {
    static const golden g = {
        {"ALTER TABLE \"t\" ADD COLUMN \"n\" integer DEFAULT 0 NOT NULL;\n"
         "-- add_column",
         "ALTER TABLE \"t\" ADD COLUMN \"n\" integer DEFAULT 0 NOT NULL;\n"
         "-- add_column",
         "ALTER TABLE `t` ADD COLUMN `n` integer NOT NULL DEFAULT 0;\n"
         "-- add_column"},
        {"ALTER TABLE \"t\" DROP COLUMN \"n\";\n"
         "-- drop_column!",
         "ALTER TABLE \"t\" DROP COLUMN \"n\";\n"
         "-- drop_column!",
         "ALTER TABLE `t` DROP COLUMN `n`;\n"
         "-- drop_column!"}};
    scenario(
        "add column with default", T1("t", "", ""), "",
        T1("t", ",`n`:{`type`:`integer`,`notNull`:true,`default`:`0`}", ""), "",
        NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"ALTER TABLE \"users\" RENAME COLUMN \"name\" TO \"full_name\";\n"
         "-- rename_column",
         "ALTER TABLE \"users\" RENAME COLUMN \"name\" TO \"full_name\";\n"
         "-- rename_column",
         "ALTER TABLE `users` RENAME COLUMN `name` TO `full_name`;\n"
         "-- rename_column"},
        {"ALTER TABLE \"users\" RENAME COLUMN \"full_name\" TO \"name\";\n"
         "-- rename_column",
         "ALTER TABLE \"users\" RENAME COLUMN \"full_name\" TO \"name\";\n"
         "-- rename_column",
         "ALTER TABLE `users` RENAME COLUMN `full_name` TO `name`;\n"
         "-- rename_column"}};
    scenario(
        "rename column", USERS, "",
        T1("users",
           ",`full_name`:{`type`:`varchar(100)`,`notNull`:true,`order`:2},`"
           "email`:{`type`:`varchar(255)`,`notNull`:true,`order`:3},`role`:{`"
           "type`:`varchar(20)`,`notNull`:true,`default`:`'member'`,`order`:4}",
           ",`uniqueConstraints`:{`users_email_unique`:{`name`:`users_email_"
           "unique`,`columns`:[`email`]}}"),
        "", &o_col, &o_col_back, &g);
  }
  {
    static const golden g = {{"ALTER TABLE \"posts\" RENAME TO \"articles\";\n"
                              "-- rename_table",
                              "ALTER TABLE \"posts\" RENAME TO \"articles\";\n"
                              "ALTER TABLE \"articles\" RENAME CONSTRAINT "
                              "\"posts_pkey\" TO \"articles_pkey\";\n"
                              "-- rename_table rename_constraint",
                              "ALTER TABLE `posts` RENAME TO `articles`;\n"
                              "-- rename_table"},
                             {"ALTER TABLE \"articles\" RENAME TO \"posts\";\n"
                              "-- rename_table",
                              "ALTER TABLE \"articles\" RENAME TO \"posts\";\n"
                              "ALTER TABLE \"posts\" RENAME CONSTRAINT "
                              "\"articles_pkey\" TO \"posts_pkey\";\n"
                              "-- rename_table rename_constraint",
                              "ALTER TABLE `articles` RENAME TO `posts`;\n"
                              "-- rename_table"}};
    scenario("rename table", USERS "," POSTS, "",
             USERS "," T1("articles",
                          ",`author_id`:{`type`:`integer`,`notNull`:true,`"
                          "order`:2},`title`:{`type`:`text`,`order`:3}",
                          POSTS_FK("cascade") POSTS_IDX),
             "", &o_tab, &o_tab_back, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" bigint,\n"
         "\t\"s\" varchar(100)\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\", \"s\") SELECT \"id\", \"n\", "
         "\"s\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_type alter_column_type rebuild_table",
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" SET DATA TYPE bigint USING "
         "\"n\"::bigint;\n"
         "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET DATA TYPE varchar(100) "
         "USING \"s\"::varchar(100);\n"
         "-- alter_column_type alter_column_type",
         "ALTER TABLE `t` MODIFY COLUMN `n` bigint;\n"
         "ALTER TABLE `t` MODIFY COLUMN `s` varchar(100);\n"
         "-- alter_column_type alter_column_type"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer,\n"
         "\t\"s\" varchar(50)\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\", \"s\") SELECT \"id\", \"n\", "
         "\"s\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_type! alter_column_type! rebuild_table",
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" SET DATA TYPE integer USING "
         "\"n\"::integer;\n"
         "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET DATA TYPE varchar(50) USING "
         "\"s\"::varchar(50);\n"
         "-- alter_column_type! alter_column_type!",
         "ALTER TABLE `t` MODIFY COLUMN `n` integer;\n"
         "ALTER TABLE `t` MODIFY COLUMN `s` varchar(50);\n"
         "-- alter_column_type! alter_column_type!"}};
    scenario("widen type",
             T1("t", ",`n`:{`type`:`integer`},`s`:{`type`:`varchar(50)`}", ""),
             "",
             T1("t", ",`n`:{`type`:`bigint`},`s`:{`type`:`varchar(100)`}", ""),
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {{"PRAGMA foreign_keys=OFF;\n"
                              "CREATE TABLE \"__new_t\" (\n"
                              "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
                              "\t\"s\" varchar(10)\n"
                              ");\n"
                              "INSERT INTO \"__new_t\"(\"id\", \"s\") SELECT "
                              "\"id\", \"s\" FROM \"t\";\n"
                              "DROP TABLE \"t\";\n"
                              "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
                              "PRAGMA foreign_key_check;\n"
                              "PRAGMA foreign_keys=ON;\n"
                              "-- alter_column_type! rebuild_table",
                              "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET DATA "
                              "TYPE varchar(10) USING \"s\"::varchar(10);\n"
                              "-- alter_column_type!",
                              "ALTER TABLE `t` MODIFY COLUMN `s` varchar(10);\n"
                              "-- alter_column_type!"},
                             {"PRAGMA foreign_keys=OFF;\n"
                              "CREATE TABLE \"__new_t\" (\n"
                              "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
                              "\t\"s\" text\n"
                              ");\n"
                              "INSERT INTO \"__new_t\"(\"id\", \"s\") SELECT "
                              "\"id\", \"s\" FROM \"t\";\n"
                              "DROP TABLE \"t\";\n"
                              "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
                              "PRAGMA foreign_key_check;\n"
                              "PRAGMA foreign_keys=ON;\n"
                              "-- alter_column_type rebuild_table",
                              "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET DATA "
                              "TYPE text USING \"s\"::text;\n"
                              "-- alter_column_type",
                              "ALTER TABLE `t` MODIFY COLUMN `s` text;\n"
                              "-- alter_column_type"}};
    scenario("narrow type", T1("t", ",`s`:{`type`:`text`}", ""), "",
             T1("t", ",`s`:{`type`:`varchar(10)`}", ""), "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"s\" varchar(10) DEFAULT 'b',\n"
         "\t\"n\" integer DEFAULT 7\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"s\", \"n\") SELECT \"id\", \"s\", "
         "\"n\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_default alter_column_default rebuild_table",
         "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET DEFAULT 'b';\n"
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" SET DEFAULT 7;\n"
         "-- alter_column_default alter_column_default",
         "ALTER TABLE `t` MODIFY COLUMN `s` varchar(10) DEFAULT 'b';\n"
         "ALTER TABLE `t` MODIFY COLUMN `n` integer DEFAULT 7;\n"
         "-- alter_column_default alter_column_default"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"s\" varchar(10) DEFAULT 'a',\n"
         "\t\"n\" integer\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"s\", \"n\") SELECT \"id\", \"s\", "
         "\"n\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_default alter_column_default rebuild_table",
         "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET DEFAULT 'a';\n"
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" DROP DEFAULT;\n"
         "-- alter_column_default alter_column_default",
         "ALTER TABLE `t` MODIFY COLUMN `s` varchar(10) DEFAULT 'a';\n"
         "ALTER TABLE `t` MODIFY COLUMN `n` integer;\n"
         "-- alter_column_default alter_column_default"}};
    scenario(
        "default",
        T1("t",
           ",`s`:{`type`:`varchar(10)`,`default`:`'a'`},`n`:{`type`:`integer`}",
           ""),
        "",
        T1("t",
           ",`s`:{`type`:`varchar(10)`,`default`:`'b'`},`n`:{`type`:`integer`,`"
           "default`:`7`}",
           ""),
        "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"s\" varchar(10) NOT NULL\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"s\") SELECT \"id\", \"s\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_notnull! rebuild_table",
         "ALTER TABLE \"t\" ALTER COLUMN \"s\" SET NOT NULL;\n"
         "-- alter_column_notnull!",
         "ALTER TABLE `t` MODIFY COLUMN `s` varchar(10) NOT NULL;\n"
         "-- alter_column_notnull!"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"s\" varchar(10)\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"s\") SELECT \"id\", \"s\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_notnull rebuild_table",
         "ALTER TABLE \"t\" ALTER COLUMN \"s\" DROP NOT NULL;\n"
         "-- alter_column_notnull",
         "ALTER TABLE `t` MODIFY COLUMN `s` varchar(10);\n"
         "-- alter_column_notnull"}};
    scenario("not null", T1("t", ",`s`:{`type`:`varchar(10)`}", ""), "",
             T1("t", ",`s`:{`type`:`varchar(10)`,`notNull`:true}", ""), "",
             NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_m\" (\n"
         "\t\"a\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"b\" integer NOT NULL\n"
         ");\n"
         "INSERT INTO \"__new_m\"(\"a\", \"b\") SELECT \"a\", \"b\" FROM "
         "\"m\";\n"
         "DROP TABLE \"m\";\n"
         "ALTER TABLE \"__new_m\" RENAME TO \"m\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_primary_key! rebuild_table",
         "ALTER TABLE \"m\" DROP CONSTRAINT \"m_a_b_pk\";\n"
         "ALTER TABLE \"m\" ADD CONSTRAINT \"m_pkey\" PRIMARY KEY(\"a\");\n"
         "-- alter_primary_key!",
         "ALTER TABLE `m` DROP PRIMARY KEY;\n"
         "ALTER TABLE `m` ADD PRIMARY KEY(`a`);\n"
         "-- alter_primary_key!"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_m\" (\n"
         "\t\"a\" integer NOT NULL,\n"
         "\t\"b\" integer NOT NULL,\n"
         "\tCONSTRAINT \"m_a_b_pk\" PRIMARY KEY(\"a\",\"b\")\n"
         ");\n"
         "INSERT INTO \"__new_m\"(\"a\", \"b\") SELECT \"a\", \"b\" FROM "
         "\"m\";\n"
         "DROP TABLE \"m\";\n"
         "ALTER TABLE \"__new_m\" RENAME TO \"m\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_primary_key! rebuild_table",
         "ALTER TABLE \"m\" DROP CONSTRAINT \"m_pkey\";\n"
         "ALTER TABLE \"m\" ADD CONSTRAINT \"m_a_b_pk\" PRIMARY "
         "KEY(\"a\",\"b\");\n"
         "-- alter_primary_key!",
         "ALTER TABLE `m` DROP PRIMARY KEY;\n"
         "ALTER TABLE `m` ADD PRIMARY KEY(`a`,`b`);\n"
         "-- alter_primary_key!"}};
    scenario("primary key",
             "`m`:{`name`:`m`,`columns`:{`a`:{`type`:`integer`,`notNull`:true},"
             "`b`:{`type`:`integer`,`notNull`:true}},`compositePrimaryKeys`:{`"
             "m_a_b_pk`:{`name`:`m_a_b_pk`,`columns`:[`a`,`b`]}}}",
             "",
             "`m`:{`name`:`m`,`columns`:{`a`:{`type`:`integer`,`notNull`:true,`"
             "primaryKey`:true},`b`:{`type`:`integer`,`notNull`:true}}}",
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"posts_author_id_users_id_fk\" FOREIGN KEY "
         "(\"author_id\") REFERENCES \"users\"(\"id\") ON UPDATE no action ON "
         "DELETE cascade\n"
         ");\n"
         "INSERT INTO \"__new_posts\"(\"id\", \"author_id\", \"title\") SELECT "
         "\"id\", \"author_id\", \"title\" FROM \"posts\";\n"
         "DROP TABLE \"posts\";\n"
         "ALTER TABLE \"__new_posts\" RENAME TO \"posts\";\n"
         "CREATE INDEX \"posts_author_idx\" ON \"posts\" (\"author_id\");\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- add_fk rebuild_table",
         "ALTER TABLE \"posts\" ADD CONSTRAINT \"posts_author_id_users_id_fk\" "
         "FOREIGN KEY (\"author_id\") REFERENCES \"users\"(\"id\") ON DELETE "
         "cascade ON UPDATE no action;\n"
         "-- add_fk",
         "ALTER TABLE `posts` ADD CONSTRAINT `posts_author_id_users_id_fk` "
         "FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON DELETE cascade "
         "ON UPDATE no action;\n"
         "-- add_fk"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text\n"
         ");\n"
         "INSERT INTO \"__new_posts\"(\"id\", \"author_id\", \"title\") SELECT "
         "\"id\", \"author_id\", \"title\" FROM \"posts\";\n"
         "DROP TABLE \"posts\";\n"
         "ALTER TABLE \"__new_posts\" RENAME TO \"posts\";\n"
         "CREATE INDEX \"posts_author_idx\" ON \"posts\" (\"author_id\");\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_fk rebuild_table",
         "ALTER TABLE \"posts\" DROP CONSTRAINT "
         "\"posts_author_id_users_id_fk\";\n"
         "-- drop_fk",
         "ALTER TABLE `posts` DROP FOREIGN KEY `posts_author_id_users_id_fk`;\n"
         "-- drop_fk"}};
    scenario("foreign key", USERS "," POSTS_COLS POSTS_IDX "}", "",
             USERS "," POSTS, "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"posts_author_id_users_id_fk\" FOREIGN KEY "
         "(\"author_id\") REFERENCES \"users\"(\"id\") ON UPDATE no action ON "
         "DELETE set null\n"
         ");\n"
         "INSERT INTO \"__new_posts\"(\"id\", \"author_id\", \"title\") SELECT "
         "\"id\", \"author_id\", \"title\" FROM \"posts\";\n"
         "DROP TABLE \"posts\";\n"
         "ALTER TABLE \"__new_posts\" RENAME TO \"posts\";\n"
         "CREATE INDEX \"posts_author_idx\" ON \"posts\" (\"author_id\");\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_fk add_fk rebuild_table",
         "ALTER TABLE \"posts\" DROP CONSTRAINT "
         "\"posts_author_id_users_id_fk\";\n"
         "ALTER TABLE \"posts\" ADD CONSTRAINT \"posts_author_id_users_id_fk\" "
         "FOREIGN KEY (\"author_id\") REFERENCES \"users\"(\"id\") ON DELETE "
         "set null ON UPDATE no action;\n"
         "-- drop_fk add_fk",
         "ALTER TABLE `posts` DROP FOREIGN KEY `posts_author_id_users_id_fk`;\n"
         "ALTER TABLE `posts` ADD CONSTRAINT `posts_author_id_users_id_fk` "
         "FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON DELETE set "
         "null ON UPDATE no action;\n"
         "-- drop_fk add_fk"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_posts\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"author_id\" integer NOT NULL,\n"
         "\t\"title\" text,\n"
         "\tCONSTRAINT \"posts_author_id_users_id_fk\" FOREIGN KEY "
         "(\"author_id\") REFERENCES \"users\"(\"id\") ON UPDATE no action ON "
         "DELETE cascade\n"
         ");\n"
         "INSERT INTO \"__new_posts\"(\"id\", \"author_id\", \"title\") SELECT "
         "\"id\", \"author_id\", \"title\" FROM \"posts\";\n"
         "DROP TABLE \"posts\";\n"
         "ALTER TABLE \"__new_posts\" RENAME TO \"posts\";\n"
         "CREATE INDEX \"posts_author_idx\" ON \"posts\" (\"author_id\");\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_fk add_fk rebuild_table",
         "ALTER TABLE \"posts\" DROP CONSTRAINT "
         "\"posts_author_id_users_id_fk\";\n"
         "ALTER TABLE \"posts\" ADD CONSTRAINT \"posts_author_id_users_id_fk\" "
         "FOREIGN KEY (\"author_id\") REFERENCES \"users\"(\"id\") ON DELETE "
         "cascade ON UPDATE no action;\n"
         "-- drop_fk add_fk",
         "ALTER TABLE `posts` DROP FOREIGN KEY `posts_author_id_users_id_fk`;\n"
         "ALTER TABLE `posts` ADD CONSTRAINT `posts_author_id_users_id_fk` "
         "FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON DELETE cascade "
         "ON UPDATE no action;\n"
         "-- drop_fk add_fk"}};
    scenario("foreign key action", USERS "," POSTS, "",
             USERS "," POSTS_COLS POSTS_FK("set null") POSTS_IDX "}", "", NULL,
             NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"a\" varchar(10),\n"
         "\t\"b\" varchar(10),\n"
         "\tCONSTRAINT \"t_a_b_unique\" UNIQUE(\"a\",\"b\")\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"a\", \"b\") SELECT \"id\", \"a\", "
         "\"b\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- add_unique! rebuild_table",
         "ALTER TABLE \"t\" ADD CONSTRAINT \"t_a_b_unique\" "
         "UNIQUE(\"a\",\"b\");\n"
         "-- add_unique!",
         "ALTER TABLE `t` ADD CONSTRAINT `t_a_b_unique` UNIQUE(`a`,`b`);\n"
         "-- add_unique!"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"a\" varchar(10),\n"
         "\t\"b\" varchar(10)\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"a\", \"b\") SELECT \"id\", \"a\", "
         "\"b\" FROM \"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_unique rebuild_table",
         "ALTER TABLE \"t\" DROP CONSTRAINT \"t_a_b_unique\";\n"
         "-- drop_unique",
         "ALTER TABLE `t` DROP INDEX `t_a_b_unique`;\n"
         "-- drop_unique"}};
    scenario(
        "unique",
        T1("t", ",`a`:{`type`:`varchar(10)`},`b`:{`type`:`varchar(10)`}", ""),
        "",
        T1("t", ",`a`:{`type`:`varchar(10)`},`b`:{`type`:`varchar(10)`}",
           ",`uniqueConstraints`:{`t_a_b_unique`:{`name`:`t_a_b_unique`,`"
           "columns`:[`a`,`b`]}}"),
        "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer,\n"
         "\tCONSTRAINT \"t_n_check\" CHECK (n > 0)\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\") SELECT \"id\", \"n\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- add_check rebuild_table",
         "ALTER TABLE \"t\" ADD CONSTRAINT \"t_n_check\" CHECK (n > 0);\n"
         "-- add_check",
         "ALTER TABLE `t` ADD CONSTRAINT `t_n_check` CHECK (n > 0);\n"
         "-- add_check"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\") SELECT \"id\", \"n\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_check rebuild_table",
         "ALTER TABLE \"t\" DROP CONSTRAINT \"t_n_check\";\n"
         "-- drop_check",
         "ALTER TABLE `t` DROP CONSTRAINT `t_n_check`;\n"
         "-- drop_check"}};
    scenario("check", T1("t", ",`n`:{`type`:`integer`}", ""), "",
             T1("t", ",`n`:{`type`:`integer`}",
                ",`checkConstraints`:{`t_n_check`:{`name`:`t_n_check`,`value`:`"
                "n > 0`}}"),
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"CREATE UNIQUE INDEX \"t_a_idx\" ON \"t\" (\"a\",\"b\" desc);\n"
         "-- create_index",
         "CREATE UNIQUE INDEX \"t_a_idx\" ON \"t\" USING btree (\"a\",\"b\" "
         "desc);\n"
         "-- create_index",
         "CREATE UNIQUE INDEX `t_a_idx` ON `t` (`a`,`b` desc);\n"
         "-- create_index"},
        {"DROP INDEX \"t_a_idx\";\n"
         "-- drop_index",
         "DROP INDEX \"t_a_idx\";\n"
         "-- drop_index",
         "DROP INDEX `t_a_idx` ON `t`;\n"
         "-- drop_index"}};
    scenario("indexes",
             T1("t", ",`a`:{`type`:`varchar(10)`},`b`:{`type`:`integer`}", ""),
             "",
             T1("t", ",`a`:{`type`:`varchar(10)`},`b`:{`type`:`integer`}",
                ",`indexes`:{`t_a_idx`:{`name`:`t_a_idx`,`isUnique`:true,`"
                "columns`:[{`expression`:`a`,`isExpression`:false,`asc`:true},{"
                "`expression`:`b`,`isExpression`:false,`asc`:false}]}}"),
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {{"CREATE INDEX \"t_lower_idx\" ON \"t\" "
                              "((lower(a))) WHERE a is not null;\n"
                              "-- create_index",
                              "CREATE INDEX \"t_lower_idx\" ON \"t\" USING "
                              "btree ((lower(a))) WHERE a is not null;\n"
                              "-- create_index",
                              NULL},
                             {"DROP INDEX \"t_lower_idx\";\n"
                              "-- drop_index",
                              "DROP INDEX \"t_lower_idx\";\n"
                              "-- drop_index",
                              NULL}};
    scenario("partial and expression indexes",
             T1("t", ",`a`:{`type`:`text`}", ""), "",
             T1("t", ",`a`:{`type`:`text`}",
                ",`indexes`:{`t_lower_idx`:{`name`:`t_lower_idx`,`columns`:[{`"
                "expression`:`lower(a)`,`isExpression`:true}],`where`:`a is "
                "not null`}}"),
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"DROP INDEX \"t_a_idx\";\n"
         "CREATE INDEX \"t_a_index\" ON \"t\" (\"a\");\n"
         "-- drop_index create_index",
         "ALTER INDEX \"t_a_idx\" RENAME TO \"t_a_index\";\n"
         "-- rename_index",
         "ALTER TABLE `t` RENAME INDEX `t_a_idx` TO `t_a_index`;\n"
         "-- rename_index"},
        {"DROP INDEX \"t_a_index\";\n"
         "CREATE INDEX \"t_a_idx\" ON \"t\" (\"a\");\n"
         "-- drop_index create_index",
         "ALTER INDEX \"t_a_index\" RENAME TO \"t_a_idx\";\n"
         "-- rename_index",
         "ALTER TABLE `t` RENAME INDEX `t_a_index` TO `t_a_idx`;\n"
         "-- rename_index"}};
    scenario(
        "index rename",
        T1("t", ",`a`:{`type`:`integer`}",
           ",`indexes`:{`t_a_idx`:{`name`:`t_a_idx`,`columns`:[`a`]}}"),
        "",
        T1("t", ",`a`:{`type`:`integer`}",
           ",`indexes`:{`t_a_index`:{`name`:`t_a_index`,`columns`:[`a`]}}"),
        "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"CREATE TABLE \"b\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"a_id\" integer,\n"
         "\tCONSTRAINT \"b_a_fk\" FOREIGN KEY (\"a_id\") REFERENCES "
         "\"a\"(\"id\") ON UPDATE no action ON DELETE no action\n"
         ");\n"
         "CREATE TABLE \"a\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"b_id\" integer,\n"
         "\tCONSTRAINT \"a_b_fk\" FOREIGN KEY (\"b_id\") REFERENCES "
         "\"b\"(\"id\") ON UPDATE no action ON DELETE no action\n"
         ");\n"
         "-- create_table create_table",
         "CREATE TABLE \"b\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"a_id\" integer\n"
         ");\n"
         "CREATE TABLE \"a\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"b_id\" integer,\n"
         "\tCONSTRAINT \"a_b_fk\" FOREIGN KEY (\"b_id\") REFERENCES "
         "\"b\"(\"id\") ON DELETE no action ON UPDATE no action\n"
         ");\n"
         "ALTER TABLE \"b\" ADD CONSTRAINT \"b_a_fk\" FOREIGN KEY (\"a_id\") "
         "REFERENCES \"a\"(\"id\") ON DELETE no action ON UPDATE no action;\n"
         "-- create_table create_table add_fk",
         "CREATE TABLE `b` (\n"
         "\t`id` integer PRIMARY KEY NOT NULL,\n"
         "\t`a_id` integer\n"
         ");\n"
         "CREATE TABLE `a` (\n"
         "\t`id` integer PRIMARY KEY NOT NULL,\n"
         "\t`b_id` integer,\n"
         "\tCONSTRAINT `a_b_fk` FOREIGN KEY (`b_id`) REFERENCES `b`(`id`) ON "
         "DELETE no action ON UPDATE no action\n"
         ");\n"
         "ALTER TABLE `b` ADD CONSTRAINT `b_a_fk` FOREIGN KEY (`a_id`) "
         "REFERENCES `a`(`id`) ON DELETE no action ON UPDATE no action;\n"
         "-- create_table create_table add_fk"},
        {"PRAGMA foreign_keys=OFF;\n"
         "DROP TABLE \"a\";\n"
         "DROP TABLE \"b\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- drop_table! drop_table!",
         "ALTER TABLE \"b\" DROP CONSTRAINT \"b_a_fk\";\n"
         "DROP TABLE \"a\";\n"
         "DROP TABLE \"b\";\n"
         "-- drop_table! drop_table!",
         "ALTER TABLE `b` DROP FOREIGN KEY `b_a_fk`;\n"
         "DROP TABLE `a`;\n"
         "DROP TABLE `b`;\n"
         "-- drop_table! drop_table!"}};
    scenario(
        "cycle", "", "",
        T1("a", ",`b_id`:{`type`:`integer`}",
           ",`foreignKeys`:{`a_b_fk`:{`name`:`a_b_fk`,`columnsFrom`:[`b_id`],`"
           "tableTo`:`b`,`columnsTo`:[`id`]}}") "," T1("b",
                                                       ",`a_id`:{`type`:`"
                                                       "integer`}",
                                                       ",`foreignKeys`:{`b_a_"
                                                       "fk`:{`name`:`b_a_fk`,`"
                                                       "columnsFrom`:[`a_id`],`"
                                                       "tableTo`:`a`,`"
                                                       "columnsTo`:[`id`]}}"),
        "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer,\n"
         "\t\"g\" integer GENERATED ALWAYS AS (n * 3) STORED\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\") SELECT \"id\", \"n\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_generated rebuild_table",
         "ALTER TABLE \"t\" DROP COLUMN \"g\";\n"
         "ALTER TABLE \"t\" ADD COLUMN \"g\" integer GENERATED ALWAYS AS (n * "
         "3) STORED;\n"
         "-- alter_column_generated",
         "ALTER TABLE `t` MODIFY COLUMN `g` integer GENERATED ALWAYS AS (n * "
         "3) STORED;\n"
         "-- alter_column_generated"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer,\n"
         "\t\"g\" integer GENERATED ALWAYS AS (n * 2) STORED\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\") SELECT \"id\", \"n\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_generated rebuild_table",
         "ALTER TABLE \"t\" DROP COLUMN \"g\";\n"
         "ALTER TABLE \"t\" ADD COLUMN \"g\" integer GENERATED ALWAYS AS (n * "
         "2) STORED;\n"
         "-- alter_column_generated",
         "ALTER TABLE `t` MODIFY COLUMN `g` integer GENERATED ALWAYS AS (n * "
         "2) STORED;\n"
         "-- alter_column_generated"}};
    scenario("generated",
             T1("t",
                ",`n`:{`type`:`integer`},`g`:{`type`:`integer`,`generated`:{`"
                "as`:`n * 2`,`type`:`stored`}}",
                ""),
             "",
             T1("t",
                ",`n`:{`type`:`integer`},`g`:{`type`:`integer`,`generated`:{`"
                "as`:`n * 3`,`type`:`stored`}}",
                ""),
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
         "\t\"n\" integer\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\") SELECT \"id\", \"n\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_autoincrement rebuild_table",
         NULL,
         "ALTER TABLE `t` MODIFY COLUMN `id` integer AUTO_INCREMENT NOT NULL;\n"
         "-- alter_column_autoincrement"},
        {"PRAGMA foreign_keys=OFF;\n"
         "CREATE TABLE \"__new_t\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"n\" integer\n"
         ");\n"
         "INSERT INTO \"__new_t\"(\"id\", \"n\") SELECT \"id\", \"n\" FROM "
         "\"t\";\n"
         "DROP TABLE \"t\";\n"
         "ALTER TABLE \"__new_t\" RENAME TO \"t\";\n"
         "PRAGMA foreign_key_check;\n"
         "PRAGMA foreign_keys=ON;\n"
         "-- alter_column_autoincrement rebuild_table",
         NULL,
         "ALTER TABLE `t` MODIFY COLUMN `id` integer NOT NULL;\n"
         "-- alter_column_autoincrement"}};
    scenario("autoincrement", T1("t", ",`n`:{`type`:`integer`}", ""), "",
             "`t`:{`name`:`t`,`columns`:{`id`:{`type`:`integer`,`primaryKey`:"
             "true,`notNull`:true,`autoincrement`:true,`order`:1},`n`:{`type`:`"
             "integer`,`order`:2}}}",
             "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {NULL,
         "CREATE SEQUENCE IF NOT EXISTS \"t_id_seq\" AS integer OWNED BY "
         "\"t\".\"id\";\n"
         "SELECT setval('\"t_id_seq\"', coalesce(max(\"id\"), 0) + 1, false) "
         "FROM \"t\";\n"
         "ALTER TABLE \"t\" ALTER COLUMN \"id\" SET DEFAULT "
         "nextval('\"t_id_seq\"');\n"
         "-- alter_column_type",
         NULL},
        {NULL,
         "ALTER TABLE \"t\" ALTER COLUMN \"id\" DROP DEFAULT;\n"
         "DROP SEQUENCE IF EXISTS \"t_id_seq\";\n"
         "-- alter_column_type",
         NULL}};
    scenario(
        "serial", T1("t", ",`n`:{`type`:`integer`}", ""), "",
        "`t`:{`name`:`t`,`columns`:{`id`:{`type`:`serial`,`primaryKey`:true,`"
        "notNull`:true,`order`:1},`n`:{`type`:`integer`,`order`:2}}}",
        "", NULL, NULL, &g);
  }
  {
    static const golden g = {
        {NULL,
         "CREATE TYPE \"public\".\"mood\" AS ENUM('sad', 'ok');\n"
         "CREATE TABLE \"u\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL,\n"
         "\t\"m\" mood DEFAULT 'ok' NOT NULL\n"
         ");\n"
         "-- create_enum create_table",
         NULL},
        {NULL,
         "DROP TABLE \"u\";\n"
         "DROP TYPE \"public\".\"mood\";\n"
         "-- drop_table! drop_enum",
         NULL}};
    scenario(
        "enum create", NULL, "",
        T1("u", ",`m`:{`type`:`mood`,`notNull`:true,`default`:`'ok'`}", ""),
        ",`enums`:{`public.mood`:{`name`:`mood`,`schema`:`public`,`values`:[`"
        "sad`,`ok`]}}",
        NULL, NULL, &g);
  }
  {
    static const golden g = {
        {NULL,
         "ALTER TYPE \"public\".\"mood\" ADD VALUE 'meh' BEFORE 'sad';\n"
         "ALTER TYPE \"public\".\"mood\" ADD VALUE 'happy';\n"
         "-- add_enum_value add_enum_value",
         NULL},
        {NULL,
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" DROP DEFAULT;\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DATA TYPE text USING "
         "\"m\"::text;\n"
         "DROP TYPE \"public\".\"mood\";\n"
         "CREATE TYPE \"public\".\"mood\" AS ENUM('sad', 'ok');\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DATA TYPE mood USING "
         "\"m\"::mood;\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DEFAULT 'ok';\n"
         "-- recreate_enum!",
         NULL}};
    scenario(
        "enum add values",
        T1("u", ",`m`:{`type`:`mood`,`notNull`:true,`default`:`'ok'`}", ""),
        ",`enums`:{`public.mood`:{`name`:`mood`,`schema`:`public`,`values`:[`"
        "sad`,`ok`]}}",
        T1("u", ",`m`:{`type`:`mood`,`notNull`:true,`default`:`'ok'`}", ""),
        ",`enums`:{`public.mood`:{`name`:`mood`,`schema`:`public`,`values`:[`"
        "meh`,`sad`,`ok`,`happy`]}}",
        NULL, NULL, &g);
  }
  {
    static const golden g = {
        {NULL,
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" DROP DEFAULT;\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DATA TYPE text USING "
         "\"m\"::text;\n"
         "DROP TYPE \"public\".\"mood\";\n"
         "CREATE TYPE \"public\".\"mood\" AS ENUM('ok', 'sad');\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DATA TYPE mood USING "
         "\"m\"::mood;\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DEFAULT 'ok';\n"
         "-- recreate_enum",
         NULL},
        {NULL,
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" DROP DEFAULT;\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DATA TYPE text USING "
         "\"m\"::text;\n"
         "DROP TYPE \"public\".\"mood\";\n"
         "CREATE TYPE \"public\".\"mood\" AS ENUM('sad', 'ok');\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DATA TYPE mood USING "
         "\"m\"::mood;\n"
         "ALTER TABLE \"u\" ALTER COLUMN \"m\" SET DEFAULT 'ok';\n"
         "-- recreate_enum",
         NULL}};
    scenario(
        "enum recreate",
        T1("u", ",`m`:{`type`:`mood`,`notNull`:true,`default`:`'ok'`}", ""),
        ",`enums`:{`public.mood`:{`name`:`mood`,`schema`:`public`,`values`:[`"
        "sad`,`ok`]}}",
        T1("u", ",`m`:{`type`:`mood`,`notNull`:true,`default`:`'ok'`}", ""),
        ",`enums`:{`public.mood`:{`name`:`mood`,`schema`:`public`,`values`:[`"
        "ok`,`sad`]}}",
        NULL, NULL, &g);
  }
  {
    static const golden g = {{NULL,
                              "CREATE SCHEMA \"auth\";\n"
                              "CREATE TABLE \"auth\".\"s\" (\n"
                              "\t\"id\" integer\n"
                              ");\n"
                              "-- create_schema create_table",
                              NULL},
                             {NULL,
                              "DROP TABLE \"auth\".\"s\";\n"
                              "DROP SCHEMA \"auth\";\n"
                              "-- drop_table! drop_schema",
                              NULL}};
    scenario("schema", T1("t", "", ""), "",
             T1("t", "", "") ","
                             "`auth.s`:{`name`:`s`,`schema`:`auth`,`columns`:{`"
                             "id`:{`type`:`integer`}}}",
             ",`schemas`:{`auth`:`auth`}", NULL, NULL, &g);
  }
}

/* }==================================================================== */

/* {====================================================================
** Determinism, rename questions and answers, errors
** ===================================================================== */

/* The same schema with every JSON object in another key order, and a
** default spelled with other white space. */
#define USERS_SHUFFLED \
  "`users`:{`uniqueConstraints`:{`users_email_unique`:{`columns`:[`email`]," \
  "`name`:`users_email_unique`}},`columns`:{" \
  "`role`:{`order`:4,`default`:`  'member' `,`notNull`:true," \
  "`type`:`varchar(20)`}," \
  "`email`:{`notNull`:true,`type`:`varchar(255)`,`order`:3}," \
  "`name`:{`order`:2,`type`:`varchar(100)`,`notNull`:true}," \
  "`id`:{`order`:1,`notNull`:true,`primaryKey`:true,`type`:`integer`}}," \
  "`name`:`users`}"

static void test_determinism(void) {
  int i;
  for (i = 0; i < 3; i++) {
    const sl_dialect *d = i == 0 ? SQ : i == 1 ? PG : MY;
    result a, b;
    run(&a, d, NULL, "", USERS "," POSTS, "", NULL);
    run(&b, d, NULL, "", POSTS "," USERS_SHUFFLED, "", NULL);
    check(a.rc == SL_OK && b.rc == SL_OK && strcmp(a.text, b.text) == 0,
          "key order does not change the statements", b.text);
    done(&b);
    run(&b, d, NULL, "", USERS "," POSTS, "", NULL);
    check(strcmp(a.text, b.text) == 0, "the same diff twice", b.text);
    done(&b);
    done(&a);
    expect("reordered keys and spacing are no change", d, USERS "," POSTS, "",
           POSTS "," USERS_SHUFFLED, "", NULL, "--");
  }
  /* types compare without case and extra spaces */
  expect("type spelling", MY, T1("t", ",`a`:{`type`:`varchar(20)`}", ""), "",
         T1("t", ",`a`:{`type`:`VARCHAR( 20 )`}", ""), "", NULL, "--");
  /* MySQL enums: a list that keeps every old value in its order widens
  ** (rows convert by value); a value removed, or the old ones reordered
  ** (which re-sorts rows), is flagged */
  expect("enum values added", MY,
         T1("t", ",`e`:{`type`:`enum('a','it''s')`}", ""), "",
         T1("t", ",`e`:{`type`:`enum('x','a','y','it''s','z')`}", ""), "", NULL,
         "ALTER TABLE `t` MODIFY COLUMN `e` enum('x','a','y','it''s','z');\n"
         "-- alter_column_type");
  expect("enum value removed", MY,
         T1("t", ",`e`:{`type`:`enum('a','b','c')`}", ""), "",
         T1("t", ",`e`:{`type`:`enum('a','c')`}", ""), "", NULL,
         "ALTER TABLE `t` MODIFY COLUMN `e` enum('a','c');\n"
         "-- alter_column_type!");
  expect("enum values reordered", MY,
         T1("t", ",`e`:{`type`:`enum('a','b')`}", ""), "",
         T1("t", ",`e`:{`type`:`enum('b','a')`}", ""), "", NULL,
         "ALTER TABLE `t` MODIFY COLUMN `e` enum('b','a');\n"
         "-- alter_column_type!");
  expect("enum to varchar", MY, T1("t", ",`e`:{`type`:`enum('a','b')`}", ""),
         "", T1("t", ",`e`:{`type`:`varchar(10)`}", ""), "", NULL,
         "ALTER TABLE `t` MODIFY COLUMN `e` varchar(10);\n"
         "-- alter_column_type!");
  /* PostgreSQL identity columns: added, changed in place, dropped */
  expect("identity added", PG, T1("t", ",`n`:{`type`:`integer`}", ""), "",
         T1("t",
            ",`n`:{`type`:`integer`,`identity`:{`type`:`always`,`name`:"
            "`t_n_seq`,`schema`:`public`,`increment`:`1`,`startWith`:`1`,"
            "`minValue`:`1`,`maxValue`:`2147483647`,`cache`:`1`}}",
            ""),
         "", NULL,
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" ADD GENERATED ALWAYS AS "
         "IDENTITY (sequence name \"t_n_seq\" INCREMENT BY 1 MINVALUE 1 "
         "MAXVALUE 2147483647 START WITH 1 CACHE 1);\n-- "
         "alter_column_identity");
  expect("identity changed", PG,
         T1("t",
            ",`n`:{`type`:`integer`,`identity`:{`type`:`always`,`name`:"
            "`t_n_seq`,`increment`:`1`,`startWith`:`1`,`minValue`:`1`,"
            "`maxValue`:`2147483647`,`cache`:`1`}}",
            ""),
         "",
         T1("t",
            ",`n`:{`type`:`integer`,`identity`:{`type`:`byDefault`,`name`:"
            "`t_n_seq`,`increment`:`5`,`startWith`:`1`,`minValue`:`1`,"
            "`maxValue`:`2147483647`,`cache`:`1`,`cycle`:true}}",
            ""),
         "", NULL,
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" SET GENERATED BY DEFAULT "
         "SET INCREMENT BY 5 SET CYCLE;\n-- alter_column_identity");
  expect("identity dropped", PG,
         T1("t",
            ",`n`:{`type`:`integer`,`identity`:{`type`:`always`,`name`:"
            "`t_n_seq`}}",
            ""),
         "", T1("t", ",`n`:{`type`:`integer`}", ""), "", NULL,
         "ALTER TABLE \"t\" ALTER COLUMN \"n\" DROP IDENTITY;\n-- "
         "alter_column_identity");
  /* MySQL: ON UPDATE CURRENT_TIMESTAMP at the type's precision */
  expect("on update now", MY, T1("t", ",`u`:{`type`:`timestamp(3)`}", ""), "",
         T1("t", ",`u`:{`type`:`timestamp(3)`,`onUpdate`:true}", ""), "", NULL,
         "ALTER TABLE `t` MODIFY COLUMN `u` timestamp(3) ON UPDATE "
         "CURRENT_TIMESTAMP(3);\n-- alter_column_on_update");
  /* column order alone is no change */
  expect("column order", PG,
         T1("t", ",`a`:{`type`:`text`,`order`:2},`b`:{`type`:`text`,`order`:3}",
            ""),
         "",
         T1("t", ",`b`:{`type`:`text`,`order`:2},`a`:{`type`:`text`,`order`:3}",
            ""),
         "", NULL, "--");
}

static void test_renames(void) {
  static const sl_rename col_dropped[] = {{"t.a", NULL}};
  static const sl_rename col_created[] = {{"t.b", NULL}};
  static const sl_rename tab_dropped[] = {{"old", NULL}};
  static const sl_rename tab_renamed[] = {{"old", "auth.new"}};
  static const sl_rename bad_from[] = {{"nope", "new"}};
  static const sl_rename bad_to[] = {{"old", "nope"}};
  static const sl_rename bad_col[] = {{"t.zz", "b"}};
  static const sl_rename bad_col_table[] = {{"zz.a", "b"}};
  static const sl_rename bad_col_form[] = {{"a", "b"}};
  static const sl_rename twice[] = {{"t.a", "b"}, {"t.c", "b"}};
  sl_diff_opts o;
  const char *prev = T1("t", ",`a`:{`type`:`text`},`c`:{`type`:`text`}", "");
  const char *next = T1("t", ",`b`:{`type`:`text`},`c`:{`type`:`text`}", "");
  const char *tprev = T1("t", "", "") "," T1("old", "", "");
  const char *tnext =
      T1("t", "", "") ","
                      "`auth.new`:{`name`:`new`,`schema`:`auth`,"
                      "`columns`:{`id`:{`type`:`integer`,"
                      "`primaryKey`:true,`notNull`:true}}}";
  expect("column question", SQ, prev, "", next, "", NULL, "-- ?column t +b -a");
  memset(&o, 0, sizeof o);
  o.columns = col_dropped;
  o.ncolumns = 1;
  expect("column answered: dropped", PG, prev, "", next, "", &o,
         "ALTER TABLE \"t\" DROP COLUMN \"a\";\n"
         "ALTER TABLE \"t\" ADD COLUMN \"b\" text;\n"
         "-- drop_column! add_column");
  o.columns = col_created;
  expect("column answered: created", PG, prev, "", next, "", &o,
         "ALTER TABLE \"t\" DROP COLUMN \"a\";\n"
         "ALTER TABLE \"t\" ADD COLUMN \"b\" text;\n"
         "-- drop_column! add_column");
  expect("table question", PG, tprev, "", tnext, ",`schemas`:{`auth`:`auth`}",
         NULL, "-- ?table - +auth.new -old");
  memset(&o, 0, sizeof o);
  o.tables = tab_dropped;
  o.ntables = 1;
  expect("table answered: dropped", PG, tprev, "", tnext,
         ",`schemas`:{`auth`:`auth`}", &o,
         "CREATE SCHEMA \"auth\";\n"
         "DROP TABLE \"old\";\n"
         "CREATE TABLE \"auth\".\"new\" (\n"
         "\t\"id\" integer PRIMARY KEY NOT NULL\n"
         ");\n"
         "-- create_schema drop_table! create_table");
  o.tables = tab_renamed;
  expect("table answered: renamed across schemas", PG, tprev, "", tnext,
         ",`schemas`:{`auth`:`auth`}", &o,
         "CREATE SCHEMA \"auth\";\n"
         "ALTER TABLE \"old\" SET SCHEMA \"auth\";\n"
         "ALTER TABLE \"auth\".\"old\" RENAME TO \"new\";\n"
         "ALTER TABLE \"auth\".\"new\" RENAME CONSTRAINT \"old_pkey\" TO "
         "\"new_pkey\";\n"
         "-- create_schema rename_table rename_constraint");
  o.tables = bad_from;
  expect_error("rename from nothing", PG, tprev, tnext, &o,
               "the previous schema has no table \"nope\"");
  o.tables = bad_to;
  expect_error("rename to nothing", PG, tprev, tnext, &o,
               "the new schema has no table \"nope\"");
  memset(&o, 0, sizeof o);
  o.ncolumns = 1;
  o.columns = bad_col;
  expect_error("column rename from nothing", SQ, prev, next, &o,
               "the previous schema has no column \"zz\"");
  o.columns = bad_col_table;
  expect_error("column rename in no table", SQ, prev, next, &o,
               "no table \"zz\" in both schemas");
  o.columns = bad_col_form;
  expect_error("column rename without a table", SQ, prev, next, &o,
               "expected \"table.column\"");
  o.columns = twice;
  o.ncolumns = 2;
  expect_error("two renames to one column", SQ,
               T1("t", ",`a`:{`type`:`text`},`c`:{`type`:`text`}", ""),
               T1("t", ",`b`:{`type`:`text`}", ""), &o,
               "in another rename already");
}

/* MySQL refuses to drop a key an AUTO_INCREMENT column needs: the column
** loses AUTO_INCREMENT first and gets it back after the new key; a key
** whose columns all go away goes with them. */
static void test_mysql_keys(void) {
  const char *auto1 = "`t`:{`name`:`t`,`columns`:{"
                      "`id`:{`type`:`int`,`primaryKey`:true,`notNull`:true,"
                      "`autoincrement`:true},"
                      "`k`:{`type`:`int`,`notNull`:true}}}";
  const char *auto2 = "`t`:{`name`:`t`,`columns`:{"
                      "`id`:{`type`:`int`,`notNull`:true,`autoincrement`:true},"
                      "`k`:{`type`:`int`,`notNull`:true}},"
                      "`compositePrimaryKeys`:{`t_id_k_pk`:{`name`:`t_id_k_pk`,"
                      "`columns`:[`id`,`k`]}}}";
  const char *bare = "`t`:{`name`:`t`,`columns`:{"
                     "`k`:{`type`:`int`,`notNull`:true}}}";
  expect("auto-increment key grows", MY, auto1, "", auto2, "", NULL,
         "ALTER TABLE `t` MODIFY COLUMN `id` int NOT NULL;\n"
         "ALTER TABLE `t` DROP PRIMARY KEY;\n"
         "ALTER TABLE `t` ADD PRIMARY KEY(`id`,`k`);\n"
         "ALTER TABLE `t` MODIFY COLUMN `id` int AUTO_INCREMENT NOT NULL;\n"
         "-- alter_primary_key!");
  expect("auto-increment key column added", MY, bare, "", auto1, "", NULL,
         "ALTER TABLE `t` ADD COLUMN `id` int AUTO_INCREMENT PRIMARY KEY NOT "
         "NULL;\n"
         "-- add_column alter_primary_key!");
  expect("auto-increment key column dropped", MY, auto1, "", bare, "", NULL,
         "ALTER TABLE `t` DROP COLUMN `id`;\n"
         "-- drop_column! alter_primary_key");
}

/* Snapshot parsing: messages name the place. */
static void test_validation(void) {
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{", "invalid JSON at line 1"},
      {"[]", "a snapshot must be a JSON object, got an array"},
      {"{`dialect`:`oracle`}", "unknown dialect \"oracle\""},
      {"{`tables`:{}}", "\"dialect\" is missing"},
      {"{`dialect`:`sqlite`,`tables`:[]}", "\"tables\" must be an object"},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{}}}}",
       "tables.t.columns: a table needs at least one column"},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{`a`:{`type`:3}}}}}",
       "tables.t.columns.a: \"type\" must be a string, got a number"},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{`a`:{`type`:`int`,"
       "`notNull`:`yes`}}}}}",
       "\"notNull\" must be a boolean, got a string"},
      {"{`dialect`:`postgresql`,`tables`:{`public.t`:{`name`:`t`,`columns`:{"
       "`a`:{`type`:`int`}},`indexes`:{`i`:{`columns`:[{`expression`:`b`}]}}"
       "}}}",
       "tables.\"public.t\".indexes.i[1]: index column \"b\" is not a column"},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{`a`:{`type`:`int`}},"
       "`foreignKeys`:{`f`:{`columnsFrom`:[`a`],`tableTo`:`x`,`columnsTo`:[`a`"
       ",`b`]}}}}}",
       "\"columnsFrom\" and \"columnsTo\" differ in length"},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{`a`:{`type`:`int`}},"
       "`foreignKeys`:{`f`:{`columnsFrom`:[`a`],`tableTo`:`x`,`columnsTo`:[`a`"
       "],`onDelete`:`explode`}}}}}",
       "\"onDelete\" must be cascade, restrict, no action, set null or set "
       "default, got \"explode\""},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{`a`:{`type`:`int`}},"
       "`uniqueConstraints`:{`u`:{`columns`:[`z`]}}}}}",
       "\"columns\" names column \"z\", which the table lacks"},
      {"{`dialect`:`sqlite`,`tables`:{`t`:{`columns`:{`a`:{`type`:`int`,"
       "`primaryKey`:true},`b`:{`type`:`int`,`primaryKey`:true}}}}}",
       "2 columns are marked \"primaryKey\""},
      {"{`dialect`:`postgresql`,`tables`:{},`enums`:{`public.e`:{`name`:`e`,"
       "`values`:[`a`,`a`]}}}",
       "enums.\"public.e\": value \"a\" appears twice"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char json[1024], detail[1200], *p;
    sl_arena *a = sl_arena_new();
    sl_snapshot *s = NULL;
    sl_error err;
    int rc;
    snprintf(json, sizeof json, "%s", cases[i].json);
    for (p = json; *p != '\0'; p++)
      if (*p == '`') *p = '"';
    sl_error_clear(&err);
    rc = sl_snapshot_parse(json, strlen(json), "snapshot", a, &s, &err);
    snprintf(detail, sizeof detail, "want: %s\ngot: %s", cases[i].want,
             rc == SL_OK ? "success" : err.message);
    check(rc == SL_ERROR && err.kind == SL_EK_VALIDATION && s == NULL &&
              strstr(err.message, cases[i].want) != NULL,
          "snapshot validation", detail);
    sl_arena_free(a);
  }
  /* drizzle-kit's own spellings are accepted: numbers as defaults, no
  ** "order", no names */
  {
    const char *j = "{\"dialect\":\"mysql\",\"tables\":{\"t\":{\"columns\":{"
                    "\"b\":{\"type\":\"int\",\"default\":0},"
                    "\"a\":{\"type\":\"boolean\",\"default\":true}}}}}";
    sl_arena *a = sl_arena_new();
    sl_snapshot *s = NULL;
    sl_error err;
    int rc = sl_snapshot_parse(j, strlen(j), "snapshot", a, &s, &err);
    check(rc == SL_OK && s->ntables == 1 && s->tables[0].ncolumns == 2 &&
              strcmp(s->tables[0].columns[0].name, "b") == 0 &&
              strcmp(s->tables[0].columns[0].default_, "0") == 0 &&
              strcmp(s->tables[0].columns[1].default_, "true") == 0,
          "lenient snapshot", rc == SL_OK ? NULL : err.message);
    sl_arena_free(a);
  }
  /* a snapshot of another dialect */
  {
    result r;
    char j[256];
    sl_arena *a = sl_arena_new();
    sl_snapshot *p = NULL, *n = sl_snapshot_empty(SQ, a);
    sl_error err;
    snprintf(j, sizeof j, "%s", snap(PG, "", ""));
    sl_snapshot_parse(j, strlen(j), "previous", a, &p, &err);
    r.rc = sl_diff_snapshots(SQ, p, n, NULL, a, &r.diff, &err);
    check(r.rc == SL_ERROR && strstr(err.message, "cannot diff") != NULL,
          "dialects must match", err.message);
    sl_arena_free(a);
  }
}

/* }==================================================================== */

/* {====================================================================
** The DDL renderer
** ===================================================================== */

static void ddl_expect(const char *label, const sl_dialect *d, const sl_ddl *s,
                       const char *want) {
  sl_arena *a = sl_arena_new();
  sl_sql out;
  sl_error err;
  char detail[1024];
  int rc;
  sl_error_clear(&err);
  rc = sl_render_ddl(d, s, a, &out, &err);
  if (want == NULL) {
    snprintf(detail, sizeof detail, "want a usage error, got %s",
             rc == SL_OK ? out.sql : "-");
    check(rc == SL_ERROR && err.kind == SL_EK_USAGE, label, detail);
  } else {
    snprintf(detail, sizeof detail, "want: %s\ngot: %s", want,
             rc == SL_OK ? out.sql : err.message);
    check(rc == SL_OK && strcmp(out.sql, want) == 0, label, detail);
  }
  sl_arena_free(a);
}

static void test_ddl(void) {
  sl_ddl s;
  sl_node raw, param, *e = &raw;
  sl_arena *a = sl_arena_new();
  sl_sql out;
  const char *cols[] = {"a", "b"};
  memset(&s, 0, sizeof s);
  s.kind = SL_DDL_SET_TYPE;
  s.table = "t";
  s.name = "c";
  s.type = "bigint";
  s.using_ = "text";
  ddl_expect("set type through text", PG, &s,
             "ALTER TABLE \"t\" ALTER COLUMN \"c\" SET DATA TYPE bigint USING "
             "\"c\"::text::bigint;");
  ddl_expect("no set type on sqlite", SQ, &s, NULL);
  ddl_expect("no set type on mysql", MY, &s, NULL);
  s.kind = SL_DDL_SET_NOT_NULL;
  ddl_expect("no set not null on mysql", MY, &s, NULL);
  s.kind = SL_DDL_SET_DEFAULT;
  s.default_sql = "(now())";
  ddl_expect("set default mysql", MY, &s,
             "ALTER TABLE `t` ALTER COLUMN `c` SET DEFAULT (now());");
  ddl_expect("no set default on sqlite", SQ, &s, NULL);
  s.kind = SL_DDL_DROP_INDEX;
  s.schema = "auth";
  s.name = "i";
  ddl_expect("drop index in a schema", PG, &s, "DROP INDEX \"auth\".\"i\";");
  s.schema = NULL;
  s.kind = SL_DDL_RENAME_INDEX;
  s.new_name = "j";
  ddl_expect("no index rename on sqlite", SQ, &s, NULL);
  s.kind = SL_DDL_RENAME_CONSTRAINT;
  ddl_expect("no constraint rename on mysql", MY, &s, NULL);
  s.kind = SL_DDL_ADD_ENUM_VALUE;
  s.name = "mood";
  s.value = "it's";
  s.before = "ok";
  ddl_expect("enum value quoted", PG, &s,
             "ALTER TYPE \"public\".\"mood\" ADD VALUE 'it''s' BEFORE 'ok';");
  ddl_expect("no enum types on mysql", MY, &s, NULL);
  memset(&s, 0, sizeof s);
  s.kind = SL_DDL_PRAGMA;
  s.name = "foreign_keys";
  s.value = "OFF; DROP TABLE t";
  ddl_expect("pragma values are words", SQ, &s, NULL);
  s.value = "OFF";
  ddl_expect("no pragma on postgresql", PG, &s, NULL);
  memset(&s, 0, sizeof s);
  s.kind = SL_DDL_COPY_ROWS;
  s.table = "__new_t";
  s.source = "t";
  s.columns = cols;
  s.ncolumns = 2;
  ddl_expect("copy rows", SQ, &s,
             "INSERT INTO \"__new_t\"(\"a\", \"b\") SELECT \"a\", \"b\" FROM "
             "\"t\";");
  s.kind = SL_DDL_CREATE_INDEX;
  ddl_expect("create index without its node", SQ, &s, NULL);

  /* defaults: literals and parenthesised text stand alone, the rest is
  ** parenthesised where SQLite and MySQL need it */
  memset(&raw, 0, sizeof raw);
  raw.kind = SL_N_RAW;
  {
    static const struct {
      const char *text, *sqlite;
    } cases[] = {{"'it''s'", "'it''s'"},
                 {"-1.5e3", "-1.5e3"},
                 {"true", "true"},
                 {"CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"},
                 {"X'00ff'", "X'00ff'"},
                 {"(unixepoch())", "(unixepoch())"},
                 {"unixepoch()", "(unixepoch())"},
                 {"'a' || 'b'", "('a' || 'b')"},
                 {"(1) + (2)", "((1) + (2))"}};
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      sl_error err;
      raw.u.raw.text = cases[i].text;
      check(sl_render_ddl_expr(SQ, e, 1, a, &out, &err) == SL_OK &&
                strcmp(out.sql, cases[i].sqlite) == 0,
            "default text", cases[i].text);
      check(sl_render_ddl_expr(PG, e, 1, a, &out, &err) == SL_OK &&
                strcmp(out.sql, cases[i].text) == 0,
            "default text on postgresql", cases[i].text);
    }
  }
  memset(&param, 0, sizeof param);
  param.kind = SL_N_PARAM;
  param.u.param.v.type = SL_V_TEXT;
  param.u.param.v.u.s.p = "a\\b";
  param.u.param.v.u.s.n = 3;
  check(sl_render_ddl_expr(MY, &param, 1, a, &out, NULL) == SL_OK &&
            strcmp(out.sql, "'a\\\\b'") == 0,
        "literal default (mysql)", out.sql);
  check(sl_render_ddl_expr(PG, &param, 0, a, &out, NULL) == SL_OK &&
            strcmp(out.sql, "'a\\b'") == 0,
        "literal expression (postgresql)", out.sql);
  sl_arena_free(a);
}

/* }==================================================================== */

/* {====================================================================
** SQLite, for real: the migrator's contract, rows kept across rebuilds
** ===================================================================== */

static int sq_exec(sqlite3 *db, const char *sql, int *rows, char *msg,
                   size_t size) {
  sqlite3_stmt *st;
  int rc;
  if (rows) *rows = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    snprintf(msg, size, "%s: %s", sql, sqlite3_errmsg(db));
    return 1;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (rows) (*rows)++;
  if (rc != SQLITE_DONE) snprintf(msg, size, "%s: %s", sql, sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return rc != SQLITE_DONE;
}

/* Applies a diff as the migrator does (docs/internals.md, "Migrations"):
** the foreign-key PRAGMAs outside, everything else in one transaction, a
** row from the check fails it. Returns 0 on success. */
static int sq_migrate(sqlite3 *db, const sl_diff *d, char *msg, size_t size) {
  int i, first = 0, last = d->nstatements, rows, bad = 0;
  int wrapped = d->nstatements >= 3 &&
                strcmp(d->statements[0], "PRAGMA foreign_keys=OFF;") == 0;
  msg[0] = '\0';
  if (wrapped) {
    if (strcmp(d->statements[last - 1], "PRAGMA foreign_keys=ON;") != 0 ||
        strcmp(d->statements[last - 2], "PRAGMA foreign_key_check;") != 0) {
      snprintf(msg, size, "wrapper broken");
      return 1;
    }
    sq_exec(db, d->statements[0], NULL, msg, size);
    first = 1;
    last--;
  }
  sq_exec(db, "BEGIN", NULL, msg, size);
  for (i = first; i < last && !bad; i++) {
    bad = sq_exec(db, d->statements[i], &rows, msg, size);
    if (!bad && rows > 0 &&
        strcmp(d->statements[i], "PRAGMA foreign_key_check;") == 0) {
      snprintf(msg, size, "foreign key check: %d rows", rows);
      bad = 1;
    }
  }
  sq_exec(db, bad ? "ROLLBACK" : "COMMIT", NULL, msg + strlen(msg),
          size - strlen(msg));
  if (wrapped) sq_exec(db, "PRAGMA foreign_keys=ON", NULL, msg, size);
  return bad;
}

static int sq_count(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  int n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return n;
}

static void sq_step(sqlite3 *db, const char *label, const char *prev,
                    const char *next, int want_ok) {
  result r;
  char msg[2048];
  int bad;
  run(&r, SQ, prev, "", next, "", NULL);
  if (r.rc != SL_OK) {
    check(0, label, r.err.message);
    done(&r);
    return;
  }
  bad = sq_migrate(db, &r.diff, msg, sizeof msg);
  check(want_ok ? !bad : bad, label, msg[0] ? msg : r.text);
  done(&r);
}

#define CHILD_COLS \
  "`children`:{`name`:`children`,`columns`:{" \
  "`id`:{`type`:`integer`,`primaryKey`:true,`notNull`:true,`order`:1}," \
  "`parent_id`:{`type`:`integer`,`order`:2}}," \
  "`foreignKeys`:{`children_parent_fk`:{`name`:`children_parent_fk`," \
  "`columnsFrom`:[`parent_id`],`tableTo`:`parents`,`columnsTo`:[`id`]," \
  "`onDelete`:`cascade`}}}"

static void test_sqlite_live(void) {
  sqlite3 *db;
  char msg[512];
  const char *v1 = T1("parents", ",`name`:{`type`:`text`}", "") "," CHILD_COLS;
  const char *v2 =
      T1("parents", ",`name`:{`type`:`text`,`notNull`:true,`default`:`''`}",
         ",`checkConstraints`:{`c`:{`name`:`c`,`value`:`length("
         "name) < 100`}}") "," CHILD_COLS;
  const char *v3 = T1("parents", ",`name`:{`type`:`text`}", "");
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    check(0, "sqlite open", NULL);
    return;
  }
  sq_exec(db, "PRAGMA foreign_keys=ON", NULL, msg, sizeof msg);
  sq_step(db, "sqlite: create", NULL, v1, 1);
  sq_exec(db, "INSERT INTO parents VALUES (1, 'a'), (2, 'b')", NULL, msg,
          sizeof msg);
  sq_exec(db, "INSERT INTO children VALUES (10, 1), (11, 1), (12, 2)", NULL,
          msg, sizeof msg);
  /* the parent is rebuilt (NOT NULL, check): DROP TABLE "parents" must not
  ** cascade into children */
  sq_step(db, "sqlite: rebuild the parent", v1, v2, 1);
  check(sq_count(db, "SELECT count(*) FROM children") == 3,
        "sqlite: a rebuilt parent keeps its children's rows", NULL);
  check(sq_count(db, "SELECT count(*) FROM parents") == 2,
        "sqlite: a rebuilt table keeps its rows", NULL);
  check(sq_count(db, "PRAGMA foreign_keys") == 1,
        "sqlite: foreign keys are on again", NULL);
  sq_step(db, "sqlite: rebuild back (down)", v2, v1, 1);
  check(sq_count(db, "SELECT count(*) FROM children") == 3,
        "sqlite: down keeps the children too", NULL);
  /* dropping the parent alone would leave dangling references: the check
  ** before COMMIT refuses it and nothing changes */
  sq_step(db, "sqlite: a dangling reference fails the migration", v1,
          CHILD_COLS, 0);
  check(sq_count(db, "SELECT count(*) FROM parents") == 2 &&
            sq_count(db, "SELECT count(*) FROM children") == 3,
        "sqlite: a failed migration leaves everything as it was", NULL);
  /* dropping the child table first is fine */
  sq_step(db, "sqlite: drop the child table", v1, v3, 1);
  check(sq_count(db, "SELECT count(*) FROM parents") == 2,
        "sqlite: dropping the child keeps the parent's rows", NULL);
  sqlite3_close(db);
}

/* }==================================================================== */

int main(void) {
  print_mode = getenv("DIFF_TEST_PRINT") != NULL;
  test_golden();
  test_determinism();
  test_renames();
  test_mysql_keys();
  test_validation();
  test_ddl();
  test_sqlite_live();
  printf("%d passed, %d failed\n", passed, failed);
  return failed > 0;
}
