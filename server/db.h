#ifndef BINGE_SERVER_DB_H
#define BINGE_SERVER_DB_H

/* The binge-server database: catalog, devices, tokens, the coin ledger and unlocks, in SQLite.
 *
 * Threading: one struct db holds one SQLite connection guarded by a mutex. Every function takes
 * the mutex for its whole duration, so each call is atomic with respect to the others and may be
 * called from any thread (libmicrohttpd runs one thread per connection). The database is opened
 * in WAL mode with a busy timeout so another process (sqlite3 CLI, a second server) can read it
 * while the server runs.
 *
 * Errors: 0 on success or a negative BINGE_E* code: BINGE_ENOTFOUND for a missing row,
 * BINGE_EINVAL for bad arguments, BINGE_EPARSE for a bad catalog.json, BINGE_EIO for SQLite
 * failures (logged with SQLite's message), BINGE_ENOMEM.
 *
 * Records returned to callers are plain structs owned by the caller and freed with the matching
 * *_free function. */

#include <stdbool.h>
#include <stddef.h>

struct db;

/* Welcome credit, in coins, given to a device the first time it registers. */
#define DB_WELCOME_COINS 20

/* Price of an episode outside the free range, in coins. */
#define DB_LOCKED_PRICE 30

/* Longest device id accepted, in bytes. */
#define DB_DEVICE_ID_MAX 64

/* Length of a token in hex characters, without the NUL. */
#define DB_TOKEN_HEX_LEN 64

/* Secret size, in bytes, generated on first start. */
#define DB_SECRET_LEN 32

struct db_series {
    char *id;
    char *title;
    char *synopsis;
    char *genre;
    char *poster; /* media path of the poster, may be "" */
    int episode_count;
};

struct db_episode {
    char *id;
    char *series_id;
    int index;
    char *title;
    int duration_s;
    char *path; /* media path of the master playlist */
    int price_coins;
    bool unlocked; /* the device asked about holds an unlock row */
};

/* Opens (creating if needed) the database at path and creates the schema. *out is transfer
 * full; free with db_free(). */
int db_new(const char *path, struct db **out);

/* Closes the database. NULL is a no-op. */
void db_free(struct db *db);

/* When the database holds no series, reads <media_dir>/catalog.json and inserts its series and
 * episodes in one transaction. *seeded tells whether it did (may be NULL). */
int db_seed_catalog(struct db *db, const char *media_dir, bool *seeded);

/* Sets price_coins of every episode: 0 for index <= free_episodes, DB_LOCKED_PRICE beyond. Run
 * at each start so the stored prices follow --free-episodes. */
int db_apply_prices(struct db *db, int free_episodes);

/* Returns the URL-signing secret stored in the settings table, generating and storing a random
 * one on first use. out must hold DB_SECRET_LEN bytes. */
int db_secret(struct db *db, unsigned char *out);

/* Registers device_id (creating it with the welcome credit when new) and issues a new token,
 * written as DB_TOKEN_HEX_LEN hex characters plus NUL into token. */
int db_register_device(struct db *db, const char *device_id, char *token);

/* Looks up the device owning token. device_id must hold DB_DEVICE_ID_MAX + 1 bytes. Returns
 * BINGE_ENOTFOUND for an unknown token. */
int db_token_device(struct db *db, const char *token, char *device_id);

/* Coin balance of a device: the sum of its ledger. */
int db_balance(struct db *db, const char *device_id, long long *out);

/* All series in catalog order. *out is transfer full (free with db_series_list_free), *n its
 * length; an empty catalog gives *out == NULL and *n == 0. */
int db_list_series(struct db *db, struct db_series **out, size_t *n);
void db_series_list_free(struct db_series *list, size_t n);

/* One series. BINGE_ENOTFOUND when unknown. Free *out's fields with db_series_clear. */
int db_get_series(struct db *db, const char *series_id, struct db_series *out);
void db_series_clear(struct db_series *s);

/* Episodes of a series in index order, with unlock state for device_id (NULL: no unlocks). */
int db_list_episodes(struct db *db, const char *series_id, const char *device_id,
                     struct db_episode **out, size_t *n);
void db_episode_list_free(struct db_episode *list, size_t n);

/* One episode with unlock state for device_id (may be NULL), and in *next_id (may be NULL) the id
 * of the following episode of the same series or NULL for the last one (transfer full). */
int db_get_episode(struct db *db, const char *episode_id, const char *device_id,
                   struct db_episode *out, char **next_id);
void db_episode_clear(struct db_episode *e);

#endif
