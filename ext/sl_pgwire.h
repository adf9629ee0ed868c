/*
** sl_pgwire.h — the PostgreSQL frontend/backend protocol 3.0, sans I/O.
**
** An sl_pgw is one session's protocol state: the bytes to send (queued by
** the encoders below), the bytes received and not yet consumed, and what
** the server told about the session (parameters, backend key, transaction
** status). It never touches a socket: the host sends what sl_pgw_out()
** gives, reads what sl_pgw_want() asks for and hands it to sl_pgw_feed().
** Everything a transport could get wrong — framing, authentication maths,
** error fields — is here, and is fuzzed (spec/fuzz/pgwire_fuzz.c).
**
** Life of a session
**   sl_pgw_new()                 no I/O
**   sl_pgw_start()               queues the SSLRequest or StartupMessage
**   sl_pgw_handshake() ...       SL_AGAIN until ReadyForQuery: each time,
**                                send sl_pgw_out(), read sl_pgw_want()
**                                bytes (after TLS when sl_pgw_tls() says
**                                so), feed them, call it again
**   encoders + sl_pgw_next() ... requests and their replies
**   sl_pgw_terminate(), then sl_pgw_free()
**
** Input framing: every backend message is a type byte, an int32 length
** counting itself, and a body. sl_pgw_want() names exactly the bytes the
** current message still lacks: 5 for a header, then its body — so memory
** holds one message, whatever the size of a result. A length below 4 or
** above SL_PGW_MAX_MESSAGE breaks the protocol: the session is then
** failed and every later call returns SL_ERROR with kind connection.
**
** Errors: functions return SL_OK, SL_AGAIN (more bytes are needed) or
** SL_ERROR and fill the caller's sl_error. Nothing longjmps or prints.
** Outgoing messages are appended to an internal buffer with a sticky
** out-of-memory flag: queue freely, then check once with sl_pgw_queued().
**
** Thread safety: an sl_pgw belongs to one thread at a time; the module has
** no mutable global state.
*/
#ifndef SL_PGWIRE_H
#define SL_PGWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "sleet.h"

/* Largest backend message accepted (the server's own limit is 1 GiB). */
#define SL_PGW_MAX_MESSAGE ((size_t)1 << 30)

/* Transaction status of the last ReadyForQuery. */
#define SL_PGW_IDLE 'I'
#define SL_PGW_INTRANS 'T'
#define SL_PGW_FAILED 'E'

typedef struct sl_pgw sl_pgw; /* opaque */

/* One backend message: type byte and body (without the length). The body
** is borrowed from the session until the next sl_pgw_feed() or
** sl_pgw_next(). */
typedef struct sl_pgw_msg {
  char type;
  const char *body;
  size_t len;
} sl_pgw_msg;

/* {====================================================================
** Sessions
** ===================================================================== */

/* TLS wishes, as libpq's sslmode: disable/allow send no SSLRequest;
** prefer goes on in clear when the server says 'N'; require and the
** verify-* modes fail then (verifying certificates is the host's TLS
** layer's business). */
typedef enum sl_pgw_ssl {
  SL_PGW_SSL_DISABLE = 0,
  SL_PGW_SSL_PREFER,
  SL_PGW_SSL_REQUIRE
} sl_pgw_ssl;

typedef struct sl_pgw_startopts {
  const char *user;     /* required */
  const char *password; /* NULL: none (fails when the server asks) */
  const char *database; /* NULL: the server's default (the user name) */
  /* further startup parameters (application_name, options, TimeZone...),
  ** sent in order; NULL values are skipped */
  const char *const *keys;
  const char *const *values;
  int nparams;
  sl_pgw_ssl ssl;
  /* how connection errors start, as libpq says it: e.g.
  ** `connection to server at "127.0.0.1", port 5432 failed: ` (copied) */
  const char *where;
} sl_pgw_startopts;

/* A fresh session, or NULL when out of memory. */
sl_pgw *sl_pgw_new(void);
/* Releases everything; NULL is fine. The password is wiped first. */
void sl_pgw_free(sl_pgw *p);

/* Queues the SSLRequest (ssl != DISABLE) or the StartupMessage, and keeps
** what authentication will need. SL_ERROR (usage) on a missing user or a
** key or value that cannot travel (an empty key, a NUL byte). */
int sl_pgw_start(sl_pgw *p, const sl_pgw_startopts *o, sl_error *err);

/* Consumes the handshake's replies from the input: the answer to the
** SSLRequest, authentication requests (trust, cleartext, md5,
** SCRAM-SHA-256, whose server signature is verified), ParameterStatus,
** BackendKeyData, notices. Returns SL_OK once ReadyForQuery arrived,
** SL_AGAIN while bytes must travel (see sl_pgw_out, sl_pgw_want), SL_ERROR
** with kind connection when the server refused the session (the message
** as libpq words it: `<where>FATAL:  password authentication failed for
** user "x"`) or broke the protocol. The sqlstate is set when the server
** gave one. */
int sl_pgw_handshake(sl_pgw *p, sl_error *err);

/* Takes over a session whose handshake is behind it (a socket from a
** keepalive pool, its session reset): ready and idle, nothing to send. */
void sl_pgw_resume(sl_pgw *p);

/* 1 once the handshake is done (ReadyForQuery seen). */
int sl_pgw_ready(const sl_pgw *p);
/* 1 once the server broke the protocol, the handshake failed, or
** sl_pgw_fail() was called: the session is unusable. */
int sl_pgw_failed(const sl_pgw *p);
/* Marks the session unusable (the transport is gone). */
void sl_pgw_fail(sl_pgw *p);

/* 1 exactly once, right after the server accepted the SSLRequest: the
** host must send sl_pgw_out() (nothing is queued then), run the TLS
** handshake on its socket, and go on reading through TLS. */
int sl_pgw_tls(sl_pgw *p);

/* The transaction status of the last ReadyForQuery: SL_PGW_IDLE,
** SL_PGW_INTRANS or SL_PGW_FAILED (SL_PGW_IDLE before the first). */
char sl_pgw_txstatus(const sl_pgw *p);
/* Sets the status (a session taken over from a pool, already reset). */
void sl_pgw_set_txstatus(sl_pgw *p, char status);
/* The last value of a ParameterStatus (server_version, client_encoding,
** ...), or NULL. Borrowed until the next sl_pgw_next(). */
const char *sl_pgw_parameter(const sl_pgw *p, const char *name);
/* The BackendKeyData (for a CancelRequest); 0 when none came. */
int sl_pgw_backend_key(const sl_pgw *p, uint32_t *pid, uint32_t *secret);

/* }==================================================================== */

/* {====================================================================
** Moving bytes
** ===================================================================== */

/* The bytes to send now (NULL, 0 when none). They count as sent once
** returned: the pointer stays valid until the next call that queues,
** feeds or reads on p. */
const char *sl_pgw_out(sl_pgw *p, size_t *len);

/* How many bytes the input needs before the next message is complete
** (0 when one is complete already). With lookahead set (sl_pgw_lookahead)
** and a message after which the server always sends another (DataRow,
** RowDescription, ParseComplete, BindComplete, CloseComplete, NoData,
** CommandComplete, EmptyQueryResponse, PortalSuspended,
** ParameterDescription), the next header's 5 bytes are asked for in the
** same read. */
size_t sl_pgw_want(const sl_pgw *p);

/* 1: the caller has a Sync (or Query) outstanding, so that the messages
** listed at sl_pgw_want are always followed by another; 0: never read
** past a message. */
void sl_pgw_lookahead(sl_pgw *p, int on);

/* Appends len bytes read from the server. SL_ERROR (kind connection) when
** a header in them breaks the protocol (the session is then failed) or on
** out of memory. */
int sl_pgw_feed(sl_pgw *p, const char *data, size_t len, sl_error *err);

/* The next complete message of the input: SL_OK with *m filled, SL_AGAIN
** when none is complete yet, SL_ERROR (kind connection) when the input
** breaks the protocol. Asynchronous messages are handled here and never
** returned: ParameterStatus (kept), NoticeResponse and
** NotificationResponse (dropped), BackendKeyData (kept). ReadyForQuery is
** returned after its status was recorded. */
int sl_pgw_next(sl_pgw *p, sl_pgw_msg *m, sl_error *err);

/* }==================================================================== */

/* {====================================================================
** Encoders (frontend messages). Each appends one message to the output;
** strings are NUL-terminated and must not be longer than the protocol
** allows (a message over SL_PGW_MAX_MESSAGE fails sl_pgw_queued()).
** ===================================================================== */

/* Parse: statement name ("" for the unnamed one), SQL text, and nparams
** parameter type OIDs (0: inferred by the server; types may be NULL when
** nparams is 0). */
void sl_pgw_parse(sl_pgw *p, const char *name, const char *sql, size_t sqllen,
                  int nparams, const uint32_t *types);
/* Bind: portal and statement names, then params: the parameter part of
** the message as sl_pgw_param_* lay it out (len bytes). Results are asked
** for in text format. */
void sl_pgw_bind(sl_pgw *p, const char *portal, const char *stmt,
                 const char *params, size_t len);
/* Describe: kind 'S' (statement) or 'P' (portal). */
void sl_pgw_describe(sl_pgw *p, char kind, const char *name);
/* Execute: portal, max rows (0: all; else PortalSuspended after that
** many). */
void sl_pgw_execute(sl_pgw *p, const char *portal, uint32_t maxrows);
void sl_pgw_sync(sl_pgw *p);
void sl_pgw_flush(sl_pgw *p);
/* Close: kind 'S' or 'P'. Closing a name that does not exist is no
** error. */
void sl_pgw_close(sl_pgw *p, char kind, const char *name);
/* Query: the simple protocol (several statements allowed). */
void sl_pgw_query(sl_pgw *p, const char *sql);
/* CopyFail, the answer to a COPY ... FROM STDIN nobody feeds. */
void sl_pgw_copyfail(sl_pgw *p, const char *why);
/* Terminate: the polite goodbye. */
void sl_pgw_terminate(sl_pgw *p);

/* SL_OK when everything queued since the last check fit in memory, else
** SL_ERROR (kind database, "out of memory", or kind usage when a message
** was too long); the failed output is dropped either way. */
int sl_pgw_queued(sl_pgw *p, sl_error *err);

/* The parameter part of a Bind message, built in an sl_buf by the caller:
** begin with sl_pgw_param_formats (n format codes: 0 text, 1 binary),
** then sl_pgw_param_count(n) and one sl_pgw_param_value per parameter
** (p NULL: SQL NULL). */
void sl_pgw_param_formats(sl_buf *b, int n, const int16_t *formats);
void sl_pgw_param_count(sl_buf *b, int n);
void sl_pgw_param_value(sl_buf *b, const char *v, size_t len);

/* }==================================================================== */

/* {====================================================================
** Decoders (backend messages)
** ===================================================================== */

/* A RowDescription field. name points into the message. */
typedef struct sl_pgw_field {
  const char *name;
  uint32_t table_oid;
  int column;
  uint32_t type_oid;
  int size;
  int32_t modifier;
  int format;
} sl_pgw_field;

/* Reads a RowDescription: *n is its field count; when fields is not NULL,
** the first min(n, cap) fields are filled. SL_ERROR (kind connection) when
** the body is malformed. */
int sl_pgw_rowdesc(const sl_pgw_msg *m, int *n, sl_pgw_field *fields, int cap,
                   sl_error *err);

/* A DataRow cell: len -1 for NULL, else len bytes at p. */
typedef struct sl_pgw_cell {
  const char *p;
  int32_t len;
} sl_pgw_cell;

/* Reads a DataRow body of ncols cells into cells. With terminate set,
** each non-NULL value is followed by a NUL written over the byte after it
** (the next cell's length, already read) — the body must then be
** writable and have one spare byte after len. SL_ERROR (kind connection)
** when the count differs from ncols or a length runs out of the body. */
int sl_pgw_datarow(char *body, size_t len, int ncols, sl_pgw_cell *cells,
                   int terminate, sl_error *err);

/* The row count of a CommandComplete tag as libpq's PQcmdTuples reads it
** ("INSERT 0 3" → 3, "UPDATE 2", "DELETE", "SELECT", "MOVE", "FETCH",
** "COPY", "MERGE"); 0 for any other command. */
long long sl_pgw_command_rows(const char *tag, size_t len);

/* Fields of an ErrorResponse or NoticeResponse, borrowed from it (""
** when absent). */
typedef struct sl_pgw_notice {
  const char *severity; /* localized (S), else V */
  const char *sqlstate, *message, *detail, *hint;
  const char *schema, *table, *column, *datatype, *constraint;
} sl_pgw_notice;

/* SL_ERROR (kind connection) when the fields are not NUL-terminated. */
int sl_pgw_notice_fields(const sl_pgw_msg *m, sl_pgw_notice *out,
                         sl_error *err);

/* Fills err from an ErrorResponse exactly as the libpq driver does: the
** first line of the message, kind database — or kind connection ("connection
** to the server was lost: ...") for class 08 (but 08P01) and 57P01-57P03,
** the backend going away; sqlstate, detail, constraint, table and column
** copied. Returns 1 when the session is lost (the caller stops using it),
** else 0. A malformed body gives kind connection and 1. */
int sl_pgw_error(const sl_pgw_msg *m, sl_error *err);

/* }==================================================================== */

/* {====================================================================
** Authentication maths (used by sl_pgw_handshake; public for tests)
** ===================================================================== */

/* out (36 bytes incl. NUL) = "md5" md5hex(md5hex(password user) salt). */
void sl_pgw_md5_password(const char *user, const char *password,
                         const unsigned char salt[4], char out[36]);

/* SCRAM-SHA-256 client (RFC 5802, RFC 7677), without channel binding. */
typedef struct sl_pgw_scram {
  char nonce[64];         /* client nonce (printable) */
  char first_bare[160];   /* client-first-message-bare */
  char server_first[512]; /* as received */
  char final_bare[640];   /* client-final-message-without-proof */
  unsigned char server_key[32];
  unsigned char salted[32];
  int state; /* 0 fresh, 1 first sent, 2 final sent, 3 verified */
} sl_pgw_scram;

/* Writes the client-first-message ("n,,n=<user>,r=<nonce>") into out.
** nonce NULL: 18 random bytes in base64. PostgreSQL ignores the user
** name here (it knows it from the startup) and libpq sends "". */
int sl_pgw_scram_first(sl_pgw_scram *s, const char *user, const char *nonce,
                       sl_buf *out, sl_error *err);
/* Reads the server-first-message (len bytes) and writes the
** client-final-message into out. SL_ERROR (kind connection) when the
** server's nonce does not extend ours, the salt or iteration count is
** malformed, or libcrypto fails. */
int sl_pgw_scram_final(sl_pgw_scram *s, const char *password,
                       const char *server_first, size_t len, sl_buf *out,
                       sl_error *err);
/* Checks the server-final-message ("v=<signature>"); SL_ERROR (kind
** connection) unless it proves the server knew the password too. */
int sl_pgw_scram_verify(sl_pgw_scram *s, const char *server_final, size_t len,
                        sl_error *err);

/* }==================================================================== */

#endif
