#ifndef BINGE_SERVER_DB_INTERNAL_H
#define BINGE_SERVER_DB_INTERNAL_H

/* Private to server/db*.c: the database handle and the SQLite helpers the db files share.
 *
 * Threading: every *_locked function expects db->lock to be held by the caller (and, where it
 * writes, a transaction opened with db_begin()). Errors are negative BINGE_E* codes; SQLite
 * failures are logged with SQLite's message and returned as BINGE_EIO. */

#include <pthread.h>
#include <stdbool.h>

#include <sqlite3.h>

#include "db.h"

struct db {
    sqlite3 *conn;
    char *path; /* of the database file; the secret file is path + ".secret" */
    pthread_mutex_t lock;
};

/* Logs "what: <sqlite message>" and returns BINGE_EIO. */
int db_fail(struct db *db, const char *what);

/* Runs SQL without results (one or more statements). */
int db_exec(struct db *db, const char *sql);

/* Prepares one statement; *st is NULL on failure. */
int db_prepare(struct db *db, const char *sql, sqlite3_stmt **st);

/* Steps st expecting SQLITE_DONE, then finalizes it. */
int db_step_done(struct db *db, sqlite3_stmt *st, const char *what);

/* Steps st expecting one row and reads column 0 as an integer (0 when the row is missing and
 * missing_ok), then finalizes it. A missing row is BINGE_ENOTFOUND unless missing_ok. */
int db_step_int64(struct db *db, sqlite3_stmt *st, const char *what, bool missing_ok,
                  long long *out);

/* strdup of a text column ("" for NULL); NULL when out of memory. */
char *db_column_dup(sqlite3_stmt *st, int col);

/* Copies a text column into out (cap bytes, truncated). */
void db_column_copy(sqlite3_stmt *st, int col, char *out, size_t cap);

/* Binds a text parameter (NULL binds SQL NULL). */
void db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* BEGIN IMMEDIATE: takes SQLite's write lock now, so a transaction that reads a balance and
 * then writes a debit can never interleave with another writer (another process included). */
int db_begin(struct db *db);

/* COMMIT when rc is 0, else ROLLBACK; returns rc, or the COMMIT failure. */
int db_end(struct db *db, int rc);

/* Fills buf with n random bytes as 2n lower-case hex characters plus NUL. */
int db_random_hex(size_t n, char *buf);

/* The owner string of a device: "account:<id>" when account_id > 0, else "device:<id>". */
void db_owner_string(const char *device_id, long long account_id, char *out);

/* Fills who for device_id from the devices and accounts tables. BINGE_ENOTFOUND when the
 * device is unknown. */
int db_principal_locked(struct db *db, const char *device_id, struct db_principal *who);

/* db_get_episode without taking the lock. */
int db_get_episode_locked(struct db *db, const char *episode_id, const char *owner, long long now,
                          struct db_episode *out);

/* Spendable balances of owner at now: coins (the sum of its "coins" ledger rows) and bonus coins
 * (the sum of its "bonus" rows whose lot has not expired). */
int db_balances_locked(struct db *db, const char *owner, long long now, long long *coins,
                       long long *bonus);

/* Expiry of owner's VIP (0: never had one); active when > now. */
int db_vip_expiry_locked(struct db *db, const char *owner, long long *expires_at);

/* Inserts a ledger row. lot_id 0 and expires_at 0 are stored as NULL. */
int db_ledger_add_locked(struct db *db, const char *owner, const char *device_id, const char *kind,
                         long long amount, long long lot_id, long long expires_at,
                         const char *reason, const char *ref, long long now);

/* Issues a new access token (with expiry now + ttl, none when ttl is 0) and a new refresh token
 * for device_id. */
int db_issue_tokens_locked(struct db *db, const char *device_id, long long now, long long ttl,
                           struct db_tokens *out);

/* SHA-256 of a token as 64 lower-case hex characters into out (DB_TOKEN_HEX_LEN + 1 bytes):
 * what the tokens, refresh_tokens and device_codes tables store instead of the token. */
void db_token_hash(const char *token, char *out);

/* Registers the SQL function sha256hex(text) (db_token_hash) on the connection. */
int db_register_functions(struct db *db);

/* Creates the database file 0600 when missing, and makes it and its -wal, -shm and -journal
 * files 0600 when they exist with a wider mode. */
int db_prepare_files(const char *path);

#endif
