/*
** sl_driver.h — how bytes reach a database.
**
** A driver is a const table of functions (like hiredis' redisContextFuncs):
** the binding picks one by name and never includes a client library's
** header itself. Drivers see sl_value and sl_error only; they know nothing of
** Lua or of the statement tree. Each driver lives in drivers/<db>.c and is
** exported as `const sl_driver sl_driver_<db>`. SQLite is built into the
** core module; the other drivers are Lua modules of their own
** (`sleet.driver.<name>`, one rock per driver family) whose value is a light
** userdata pointing at their sl_driver, so the core never links a client
** library it does not need. Such a module links its own copy of the few
** core functions it calls (sl_error_*, sl_buf_*), never core state.
**
** Lifetimes: a statement belongs to its connection; the binding finalizes
** every statement before it closes the connection. Cells returned by
** column() stay valid until the next step(), reset() or finalize() on that
** statement.
**
** Host I/O: a driver whose protocol engine never touches a socket (the
** PostgreSQL and MySQL wire drivers, for event loops) sets io() and feed().
** Such a driver may return SL_AGAIN from connect's follow-up ready(), from
** step(), exec(), the transaction verbs and batch(). The binding then
** returns to Lua, which repeats: call io(); send io.out; if io.want > 0
** read exactly io.want bytes and give them to feed() — until io() asks for
** nothing (want 0, no bytes to send). Then the binding calls the same
** function again with the same arguments, and the driver goes on from
** where it stopped. Between the two calls the binding makes no other call
** on that connection except finalize() (which never waits: a server-side
** release is sent with the next request) and close(). prepare(),
** prepare_persistent() and bind() never return SL_AGAIN: the work they
** would send waits for the first step(). reset() and finalize() of a
** statement whose result was not read to its end (get(), a loop left early)
** never wait either: the driver reads and drops the rest of that result at
** the start of the next pending call. A statement still being read (an
** open iterator) while another statement or verb runs on the connection
** keeps its rows: the driver reads the rest of its result into that
** statement's own buffer before it sends the new request, and later step()s
** of the first statement are served from there.
**
** Reuse: the binding keeps statements made by prepare_persistent() (query
** prepare() and its per-connection statement cache) and runs them again
** after reset() and a new bind(); one statement never has two executions
** in flight.
*/
#ifndef SL_DRIVER_H
#define SL_DRIVER_H

#include "../ext/sleet.h"

typedef struct sl_conn sl_conn; /* opaque, one per driver */
typedef struct sl_stmt sl_stmt; /* opaque, one per driver */

/* Connection options, already parsed from a URL or a table. Any field may be
** NULL (port 0). `path` is SQLite's file name (":memory:" for memory). */
typedef struct sl_connopts {
  const char *path;
  const char *host;
  int port;
  const char *user;
  const char *password;
  const char *database;
  const char *socket;
  const char **extra_keys; /* driver-specific key/value pairs */
  const char **extra_values;
  int nextra;
} sl_connopts;

typedef struct sl_txopts {
  /* Full text after BEGIN / START TRANSACTION, built by the Lua layer from
  ** validated options (e.g. "IMMEDIATE", "ISOLATION LEVEL SERIALIZABLE");
  ** NULL for the default. */
  const char *mode;
} sl_txopts;

/* Bumped whenever sl_driver, sl_value, sl_error or sl_connopts change, so
** that a driver module built against another version is refused. */
#define SL_DRIVER_ABI 4

/* What a host-I/O driver needs from the host now (io()). */
typedef struct sl_io {
  const char *out; /* bytes to send first (owned by the driver, valid until
                      the next call on the connection); NULL when none */
  size_t outlen;
  size_t want; /* then: read exactly this many bytes and feed() them; 0: the
                  pending call can be made again */
  int tls;     /* 1: after sending out, the socket must start TLS (the
                  PostgreSQL SSLRequest was accepted) before reading */
} sl_io;

typedef struct sl_driver {
  int abi;             /* SL_DRIVER_ABI of the driver's build */
  const char *name;    /* "sqlite", "postgresql", "mysql" */
  const char *dialect; /* how its database spells SQL (sl_dialect_find) */

  /* Opens a connection. On failure *out is NULL, err has kind connection. */
  int (*connect)(const sl_connopts *opts, sl_conn **out, sl_error *err);
  /* Releases everything; NULL is fine. */
  void (*close)(sl_conn *c);

  /* Compiles sql (len bytes, may lack a NUL) with nparams placeholders. */
  int (*prepare)(sl_conn *c, const char *sql, size_t len, int nparams,
                 sl_stmt **out, sl_error *err);
  /* Binds all parameters (values borrowed until the statement is done). */
  int (*bind)(sl_stmt *s, const sl_value *params, int nparams, sl_error *err);
  /* Executes / advances: SL_ROW, SL_DONE or SL_ERROR. */
  int (*step)(sl_stmt *s, sl_error *err);
  int (*ncolumns)(sl_stmt *s);
  const char *(*column_name)(sl_stmt *s, int i);
  /* The i-th cell (0-based) of the current row. */
  void (*column)(sl_stmt *s, int i, sl_value *out);
  /* Makes the statement ready for bind/step again: drops its result and
  ** forgets the bound values (they may be freed after reset()). */
  int (*reset)(sl_stmt *s, sl_error *err);
  void (*finalize)(sl_stmt *s);

  /* After a statement completed: rows changed and the last generated id
  ** (has_id = 0 when there is none). */
  long long (*rows_affected)(sl_conn *c, sl_stmt *s);
  long long (*last_insert_id)(sl_conn *c, sl_stmt *s, int *has_id);

  /* Runs SQL text without parameters or results (DDL, SET ...). */
  int (*exec)(sl_conn *c, const char *sql, sl_error *err);

  /* Transaction verbs. Savepoint names are generated by the binding and are
  ** plain identifiers. */
  int (*begin)(sl_conn *c, const sl_txopts *opts, sl_error *err);
  int (*commit)(sl_conn *c, sl_error *err);
  int (*rollback)(sl_conn *c, sl_error *err);
  int (*savepoint)(sl_conn *c, const char *name, sl_error *err);
  int (*release)(sl_conn *c, const char *name, sl_error *err);
  int (*rollback_to)(sl_conn *c, const char *name, sl_error *err);

  /* Like prepare(), for a statement the binding keeps and runs many times
  ** (reset() and bind() between runs): the database's own prepared
  ** statement is created once and reused (PostgreSQL: a named server-side
  ** statement, made at the first step; SQLite: a persistent statement).
  ** finalize() releases it on the server too. */
  int (*prepare_persistent)(sl_conn *c, const char *sql, size_t len,
                            int nparams, sl_stmt **out, sl_error *err);
  /* 1 while a transaction is open on c (also one that failed and awaits
  ** its rollback), else 0. */
  int (*in_transaction)(sl_conn *c);
  /* Optional (NULL: the binding steps the statements one by one inside a
  ** transaction or a savepoint). Runs n statements, each prepared and
  ** bound and not stepped yet, in order and in as few round trips as the
  ** database allows, all or nothing: inside an open transaction as a
  ** savepoint, else as a transaction of their own. On success each
  ** statement holds its result, read with step() and column() as usual.
  ** On failure *failed is the index of the statement that failed (-1 when
  ** none did, e.g. the connection was lost), err says why, and none of the
  ** statements' effects remain. */
  int (*batch)(sl_conn *c, sl_stmt *const *stmts, int n, int *failed,
               sl_error *err);
  /* Optional (NULL: never). 1 when the bound statement s changes the
  ** database and its changes stay uncommitted until it is stepped to its
  ** end or reset (SQLite: an INSERT ... RETURNING left half-read keeps the
  ** implicit transaction open). The binding then reads its whole result at
  ** once, also in iter mode, so that a later transaction or batch can
  ** never roll those changes back. Drivers whose results are complete at
  ** the first step (PostgreSQL, MySQL) leave it NULL. */
  int (*holds_changes)(sl_stmt *s);
  /* Optional (NULL: a result is read whole at its first step). Called
  ** after bind() for a run the binding reads row by row (iter): the driver
  ** then reads rows as the server sends them, so that memory stays flat
  ** however large the result. Another statement or verb on the connection
  ** while such a result is still being read first buffers the rest of it,
  ** so that the iterator keeps every row. reset() ends the mode. */
  void (*stream)(sl_stmt *s);

  /* Host I/O (all NULL for drivers that do their own blocking I/O). */
  /* What the host must do next for the pending call; the bytes in io->out
  ** count as sent once returned. */
  void (*io)(sl_conn *c, sl_io *io);
  /* Bytes read from the socket (at most what io() asked for). SL_ERROR
  ** with kind connection when they break the protocol; the connection is
  ** then unusable. */
  int (*feed)(sl_conn *c, const char *data, size_t len, sl_error *err);
  /* After connect(): SL_AGAIN until the server accepted the session, then
  ** SL_OK, or SL_ERROR (kind connection: refused, wrong password). */
  int (*ready)(sl_conn *c, sl_error *err);
  /* The transport failed (closed, timed out): every later call fails with
  ** kind connection and a message naming why. */
  void (*lost)(sl_conn *c, const char *why);
  /* Queues the protocol's goodbye for io() (PostgreSQL Terminate, MySQL
  ** COM_QUIT), or a reset that makes the session reusable by another
  ** connection (reset = 1: rolls back, drops server-side statements; it
  ** is a pending call: SL_AGAIN until answered). */
  int (*quit)(sl_conn *c, int reset, sl_error *err);
} sl_driver;

extern const sl_driver sl_driver_sqlite;
/* drivers/proxy.c: the statements go to a function of the host */
extern const sl_driver sl_driver_pgproxy, sl_driver_myproxy,
    sl_driver_sqliteproxy;
extern const sl_driver sl_driver_mywire;
extern const sl_driver sl_driver_pgwire;

#endif
