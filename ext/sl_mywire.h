/*
** sl_mywire.h — the MySQL/MariaDB client/server protocol as a sans-I/O
** engine: bytes in, bytes out, never a socket.
**
** The engine frames packets (3-byte length + sequence id, payloads of
** 2^24-1 bytes continued in the next packet), runs the login (Initial
** Handshake v10, SSLRequest, HandshakeResponse41, the auth plugins
** mysql_native_password and caching_sha2_password, Auth Switch Request),
** builds the commands sleet sends (COM_QUERY, COM_STMT_PREPARE /
** EXECUTE / CLOSE / RESET, COM_RESET_CONNECTION, COM_QUIT) and parses the
** server's replies (OK, ERR, EOF, column definitions, binary rows). It
** knows nothing of Lua, of sockets or of the sl_driver vtable: the driver
** (drivers/mywire.c) strings commands and replies together.
**
** Flow: whoever owns the socket asks sl_mywire_output() for bytes to send
** and sl_mywire_want() for how many bytes to read next, reads exactly that
** many and gives them to sl_mywire_feed(). Once a whole packet has arrived
** sl_mywire_packet() returns it and want() is 0 until sl_mywire_next()
** drops it: memory holds one packet at a time, however long a result.
**
** Errors: functions return SL_OK / SL_ERROR (SL_AGAIN where said) and fill
** an sl_error. Broken input (bad sequence id, truncated or oversized
** packet, a value running past its packet) is kind connection: the byte
** stream can no longer be trusted. An ERR packet is mapped by
** sl_mywire_report() exactly as drivers/mysql.c maps the client library's
** errors (kind, code, SQLSTATE, constraint, table, column).
*/
#ifndef SL_MYWIRE_H
#define SL_MYWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "sleet.h"

/* {====================================================================
** Protocol constants
** ===================================================================== */

/* Capability flags (the ones sleet reads or sends). */
#define SL_MW_CLIENT_LONG_PASSWORD 0x00000001u
#define SL_MW_CLIENT_FOUND_ROWS 0x00000002u
#define SL_MW_CLIENT_LONG_FLAG 0x00000004u
#define SL_MW_CLIENT_CONNECT_WITH_DB 0x00000008u
#define SL_MW_CLIENT_PROTOCOL_41 0x00000200u
#define SL_MW_CLIENT_SSL 0x00000800u
#define SL_MW_CLIENT_TRANSACTIONS 0x00002000u
#define SL_MW_CLIENT_SECURE_CONNECTION 0x00008000u
#define SL_MW_CLIENT_MULTI_RESULTS 0x00020000u
#define SL_MW_CLIENT_PS_MULTI_RESULTS 0x00040000u
#define SL_MW_CLIENT_PLUGIN_AUTH 0x00080000u
#define SL_MW_CLIENT_PLUGIN_AUTH_LENENC 0x00200000u
#define SL_MW_CLIENT_DEPRECATE_EOF 0x01000000u

/* Status flags of OK and EOF packets. */
#define SL_MW_STATUS_IN_TRANS 0x0001u
#define SL_MW_STATUS_MORE_RESULTS 0x0008u

/* Commands. */
#define SL_MW_COM_QUIT 0x01
#define SL_MW_COM_QUERY 0x03
#define SL_MW_COM_PING 0x0e
#define SL_MW_COM_STMT_PREPARE 0x16
#define SL_MW_COM_STMT_EXECUTE 0x17
#define SL_MW_COM_STMT_CLOSE 0x19
#define SL_MW_COM_STMT_RESET 0x1a
#define SL_MW_COM_RESET_CONNECTION 0x1f

/* Column types (enum_field_types). */
enum {
  SL_MW_T_DECIMAL = 0,
  SL_MW_T_TINY = 1,
  SL_MW_T_SHORT = 2,
  SL_MW_T_LONG = 3,
  SL_MW_T_FLOAT = 4,
  SL_MW_T_DOUBLE = 5,
  SL_MW_T_NULL = 6,
  SL_MW_T_TIMESTAMP = 7,
  SL_MW_T_LONGLONG = 8,
  SL_MW_T_INT24 = 9,
  SL_MW_T_DATE = 10,
  SL_MW_T_TIME = 11,
  SL_MW_T_DATETIME = 12,
  SL_MW_T_YEAR = 13,
  SL_MW_T_NEWDATE = 14,
  SL_MW_T_VARCHAR = 15,
  SL_MW_T_BIT = 16,
  SL_MW_T_TIMESTAMP2 = 17,
  SL_MW_T_DATETIME2 = 18,
  SL_MW_T_TIME2 = 19,
  SL_MW_T_JSON = 245,
  SL_MW_T_NEWDECIMAL = 246,
  SL_MW_T_ENUM = 247,
  SL_MW_T_SET = 248,
  SL_MW_T_TINY_BLOB = 249,
  SL_MW_T_MEDIUM_BLOB = 250,
  SL_MW_T_LONG_BLOB = 251,
  SL_MW_T_BLOB = 252,
  SL_MW_T_VAR_STRING = 253,
  SL_MW_T_STRING = 254,
  SL_MW_T_GEOMETRY = 255
};

/* Column flag: an unsigned integer column. */
#define SL_MW_FLAG_UNSIGNED 0x0020u
/* The charset number of binary strings (BLOB, BINARY, VARBINARY). */
#define SL_MW_BINARY_CHARSET 63
/* utf8mb4_general_ci, the collation "utf8mb4" names in the handshake. */
#define SL_MW_UTF8MB4 45

/* The largest logical packet (several physical packets) the engine
** accepts: the server's own limit (max_allowed_packet at most 1 GiB). */
#define SL_MW_MAX_PACKET ((size_t)1 << 30)

/* }==================================================================== */

/* {====================================================================
** The engine
** ===================================================================== */

typedef struct sl_mywire sl_mywire;

/* Login parameters (copied by sl_mywire_login). */
typedef struct sl_mywire_login {
  const char *user;     /* NULL: "" */
  const char *password; /* NULL or "": no password */
  const char *database; /* NULL: none */
  int tls;              /* SL_MW_TLS_* */
} sl_mywire_login;

enum {
  SL_MW_TLS_OFF = 0, /* never */
  SL_MW_TLS_PREFER,  /* when the server offers it */
  SL_MW_TLS_REQUIRE  /* or fail with kind connection */
};

/* A new engine, or NULL when out of memory. It expects nothing yet. */
sl_mywire *sl_mywire_new(void);
/* Frees the engine and everything it owns; NULL is fine. */
void sl_mywire_free(sl_mywire *w);

/* The bytes to send now (owned by the engine, valid until the next call
** that queues a packet); they count as sent once returned. *tls is set to
** 1 when the host must start TLS on its socket after sending them (the
** SSLRequest went out), else 0. n is 0 when there is nothing to send. */
void sl_mywire_output(sl_mywire *w, const char **p, size_t *n, int *tls);
/* How many bytes to read and feed next: 4 for a packet header, then the
** rest of its payload; 0 when the engine expects no reply, or a whole
** packet waits to be taken (sl_mywire_packet). */
size_t sl_mywire_want(const sl_mywire *w);
/* Bytes read from the socket, at most what want() asked for. SL_ERROR
** (kind connection) when they break the framing: wrong sequence id, a
** logical packet beyond SL_MW_MAX_PACKET, or more bytes than asked. */
int sl_mywire_feed(sl_mywire *w, const char *data, size_t len, sl_error *err);
/* 1 and the payload (*p, *n) of the packet that has arrived whole (a
** payload continued over several packets is joined), else 0. The bytes
** stay valid until sl_mywire_next() or sl_mywire_take(). */
int sl_mywire_packet(sl_mywire *w, const unsigned char **p, size_t *n);
/* Drops the current packet; the engine then reads the next one. */
void sl_mywire_next(sl_mywire *w);
/* Moves the current packet's payload into dst (swapping buffers: no copy)
** and reads the next one. dst must be an initialised sl_buf. */
void sl_mywire_take(sl_mywire *w, sl_buf *dst);
/* Sets whether a reply is expected (1 after a command that has one, 0
** once it has been read whole): want() is 0 while none is. */
void sl_mywire_expect(sl_mywire *w, int on);

/* The capabilities both sides agreed on (0 before the login). */
uint32_t sl_mywire_caps(const sl_mywire *w);
/* The status flags of the last OK or EOF packet parsed by
** sl_mywire_parse_ok / sl_mywire_parse_eof on this engine. */
unsigned sl_mywire_status(const sl_mywire *w);
/* The server's version text from its handshake ("" before it). */
const char *sl_mywire_server_version(const sl_mywire *w);

/* }==================================================================== */

/* {====================================================================
** Login
** ===================================================================== */

/* Starts a login: copies the parameters and expects the server's Initial
** Handshake. SL_ERROR only when out of memory. */
int sl_mywire_start_login(sl_mywire *w, const sl_mywire_login *login,
                          sl_error *err);
/* Goes on with the login as far as the packets received allow: answers
** the handshake (after an SSLRequest, once output() reported tls, the
** next call sends the HandshakeResponse), an Auth Switch Request or
** caching_sha2's requests. SL_AGAIN: bytes to move (output, want);
** SL_OK: authenticated (the final OK has been read); SL_ERROR: refused
** (the server's ERR mapped by sl_mywire_report, kind connection), TLS
** required but not offered, an auth plugin sleet does not speak, or broken
** packets. */
int sl_mywire_login_step(sl_mywire *w, sl_error *err);

/* mysql_native_password: SHA1(password) XOR SHA1(scramble ..
** SHA1(SHA1(password))), scramble of 20 bytes; out gets 20 bytes. An empty
** password gives an empty answer (the caller sends none). */
void sl_mywire_native_scramble(const char *password, size_t len,
                               const unsigned char scramble[20],
                               unsigned char out[20]);
/* caching_sha2_password's fast path: SHA256(password) XOR
** SHA256(SHA256(SHA256(password)) .. scramble); out gets 32 bytes. */
void sl_mywire_sha2_scramble(const char *password, size_t len,
                             const unsigned char *scramble, size_t slen,
                             unsigned char out[32]);
/* caching_sha2_password's full auth without TLS: (password .. NUL) XOR
** scramble (repeated), encrypted with RSA-OAEP under the server's PEM
** public key; appended to out. SL_ERROR (kind connection) when the key
** cannot be read or used. */
int sl_mywire_rsa_password(const char *pem, size_t pemlen, const char *password,
                           size_t len, const unsigned char *scramble,
                           size_t slen, sl_buf *out, sl_error *err);

/* }==================================================================== */

/* {====================================================================
** Commands (each starts a new sequence; the reply is expected)
** ===================================================================== */

/* Queues a command with an argument (SQL text for COM_QUERY and
** COM_STMT_PREPARE, nothing for COM_RESET_CONNECTION), split into several
** packets when long. Commands without a reply (COM_QUIT, COM_STMT_CLOSE)
** leave expect() as it was; the others set it. SL_ERROR when out of
** memory. */
int sl_mywire_command(sl_mywire *w, int cmd, const char *arg, size_t len,
                      sl_error *err);
/* Queues COM_STMT_CLOSE (no reply) or COM_STMT_RESET (OK or ERR) of the
** statement id. */
int sl_mywire_stmt_command(sl_mywire *w, int cmd, uint32_t id, sl_error *err);
/* Queues COM_STMT_EXECUTE of statement id with n parameters bound as
** drivers/mysql.c binds them: NULL as MYSQL_TYPE_NULL (bit set in the NULL
** bitmap), integers as LONGLONG, floats as DOUBLE, booleans as TINY,
** text as STRING, blobs as BLOB; no cursor, one iteration. SL_ERROR (kind
** usage) for a value of an unknown type, or out of memory. */
int sl_mywire_execute(sl_mywire *w, uint32_t id, const sl_value *params, int n,
                      sl_error *err);

/* }==================================================================== */

/* {====================================================================
** Replies
** ===================================================================== */

typedef struct sl_mywire_ok {
  uint64_t affected;  /* affected (found) rows */
  uint64_t insert_id; /* last insert id, 0 when none */
  unsigned status;    /* status flags */
  unsigned warnings;
} sl_mywire_ok;

/* The first byte of a packet: 0x00 OK (or a binary row), 0xff ERR, 0xfe
** EOF (or an OK that ends a result under CLIENT_DEPRECATE_EOF). */
#define SL_MW_OK 0x00
#define SL_MW_EOF 0xfe
#define SL_MW_ERR 0xff

/* 1 when the packet (p, n) ends a result set or a list of definitions: an
** EOF packet, or under CLIENT_DEPRECATE_EOF an OK packet headed 0xfe. A
** row of a text result may start with 0xfe only when it is at least 2^24-1
** bytes long, which a terminator never is. */
int sl_mywire_is_eof(const unsigned char *p, size_t n);
/* Parses an OK packet (header 0x00 or 0xfe) into ok and remembers its
** status; SL_ERROR (kind connection) when malformed. */
int sl_mywire_parse_ok(sl_mywire *w, const unsigned char *p, size_t n,
                       sl_mywire_ok *ok, sl_error *err);
/* Parses a terminator (sl_mywire_is_eof): an EOF packet, or an OK packet
** when CLIENT_DEPRECATE_EOF was agreed. Remembers the status. */
int sl_mywire_parse_eof(sl_mywire *w, const unsigned char *p, size_t n,
                        sl_mywire_ok *ok, sl_error *err);
/* Maps an ERR packet into err (sl_mywire_report); always SL_ERROR. A
** malformed one is kind connection. */
int sl_mywire_parse_err(const unsigned char *p, size_t n, sl_error *err);
/* Fills err from an error code, SQLSTATE (NULL or "00000": none) and
** message as drivers/mysql.c does: kind database, or connection for a lost
** or killed connection, usage for commands out of sync; code and SQLSTATE
** copied; the constraint, table and column named in the messages of
** duplicate keys, foreign keys, NOT NULL, missing defaults, too long or
** out of range values and CHECK constraints. Returns SL_ERROR. */
int sl_mywire_report(unsigned code, const char *state, const char *msg,
                     sl_error *err);

/* A column definition; name points into the packet it was parsed from. */
typedef struct sl_mywire_column {
  const char *name;
  size_t namelen;
  unsigned charset;
  uint32_t length;
  unsigned type;
  unsigned flags;
  unsigned decimals;
} sl_mywire_column;

/* Parses a ColumnDefinition41 packet. */
int sl_mywire_parse_column(const unsigned char *p, size_t n,
                           sl_mywire_column *col, sl_error *err);
/* Parses COM_STMT_PREPARE_OK: statement id, columns and parameters. */
int sl_mywire_parse_prepare_ok(const unsigned char *p, size_t n, uint32_t *id,
                               unsigned *ncols, unsigned *nparams,
                               sl_error *err);
/* Parses a length-encoded integer at *pp (before end) and moves past it.
** SL_ERROR when it runs past end or is the NULL marker 0xfb. */
int sl_mywire_lenenc(const unsigned char **pp, const unsigned char *end,
                     uint64_t *v);

/* The bytes of one cell of a binary row (n = 0 and p = NULL for NULL). */
typedef struct sl_mywire_cell {
  const unsigned char *p;
  size_t n;
  int is_null;
} sl_mywire_cell;

/* Splits a binary result row (header 0x00, NULL bitmap, values) into
** cells, one per column of the given types (types[i] of
** sl_mywire_column), pointing into (p, n). SL_ERROR (kind connection)
** when a value runs past the packet, the packet holds more than the
** values, or a type is unknown. */
int sl_mywire_split_row(const unsigned char *p, size_t n, const unsigned *types,
                        unsigned ncols, sl_mywire_cell *cells, sl_error *err);
/* The cell of column col as the binding receives it, exactly as
** drivers/mysql.c converts its fetched buffers: integers (YEAR, BIT
** included) SL_V_INT, beyond INT64_MAX the text of the digits; FLOAT the
** shortest decimal that reads back as the same float; DOUBLE; DECIMAL,
** JSON, ENUM, SET as text; dates "YYYY-MM-DD", datetimes and timestamps
** "YYYY-MM-DD HH:MM:SS[.f]", times "[-]HH:MM:SS[.f]"; strings text, or
** blob for the binary charset (and GEOMETRY). txt (64 bytes) holds the
** text of converted values; out may point into it and into the cell. */
void sl_mywire_value(const sl_mywire_column *col, const sl_mywire_cell *cell,
                     char txt[64], sl_value *out);

/* }==================================================================== */

#endif
