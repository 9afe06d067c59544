#ifndef BINGE_SERVER_DB_H
#define BINGE_SERVER_DB_H

/* The binge-server database (SQLite): the catalog, devices and accounts, tokens, the device
 * flow, the coin ledger, unlocks, check-ins, VIP, phone checkout and playback progress.
 * docs/api.md describes the schema.
 *
 * Who owns a wallet: every row of user state (ledger, unlocks, check-ins, ad views, VIP grants,
 * progress) belongs to an owner string, "device:<device_id>" for a guest device and
 * "account:<account_id>" once the device is linked to an account. Linking a device moves its
 * guest rows to the account in the same transaction (db_device_code_decide), so the account then
 * owns the merged wallet, and every device linked to it shares it.
 *
 * Threading: one struct db holds one SQLite connection guarded by a mutex. Every function takes
 * the mutex for its whole duration, so each call is atomic with respect to the others and may be
 * called from any thread (libmicrohttpd runs one thread per connection). Writes that read
 * before they write run in BEGIN IMMEDIATE transactions, so they are also atomic with respect to
 * other processes using the same file. The database is opened in WAL mode with a busy timeout.
 *
 * Time: functions that depend on the time take `now` (Unix seconds) from the caller, so tests
 * can move the clock (binge-server --dev, X-Dev-Now). A "day" is a UTC day, now / 86400.
 *
 * Errors: 0 on success or a negative BINGE_E* code: BINGE_ENOTFOUND for a missing row,
 * BINGE_EINVAL for bad arguments, BINGE_EPARSE for a bad catalog.json, BINGE_EIO for SQLite
 * failures (logged with SQLite's message), BINGE_ENOMEM.
 *
 * Records returned to callers are plain structs owned by the caller and freed with the matching
 * *_free / *_clear function. */

#include <stdbool.h>
#include <stddef.h>

struct db;

/* Welcome credit, in coins, given to a device the first time it registers. */
#define DB_WELCOME_COINS 20

/* Price of an episode outside the free range, in coins. */
#define DB_LOCKED_PRICE 30

/* Longest device id accepted, in bytes. */
#define DB_DEVICE_ID_MAX 64

/* Length of a token (access or refresh) in hex characters, without the NUL. */
#define DB_TOKEN_HEX_LEN 64

/* Secret size, in bytes, generated on first start. */
#define DB_SECRET_LEN 32

/* Longest owner string ("device:" + device id), in bytes. */
#define DB_OWNER_MAX (7 + DB_DEVICE_ID_MAX)

/* Longest account name, in bytes of UTF-8. */
#define DB_ACCOUNT_NAME_MAX 64

/* Account passwords: DB_PASSWORD_MIN..DB_PASSWORD_MAX bytes; stored as
 * "scrypt$<log2 N>$<r>$<p>$<salt hex>$<key hex>" of at most DB_PASSWORD_HASH_MAX bytes. */
#define DB_PASSWORD_MIN 8
#define DB_PASSWORD_MAX 128
#define DB_PASSWORD_HASH_MAX 192

/* Wrong logins against one user code before the code is burned (the TV starts again). */
#define DB_USER_CODE_MAX_TRIES 5

/* Device flow: user codes are 8 characters of DB_USER_CODE_ALPHABET, shown as XXXX-XXXX;
 * device codes are DB_TOKEN_HEX_LEN hex characters. */
#define DB_USER_CODE_LEN 8
#define DB_USER_CODE_ALPHABET "BCDFGHJKLMNPQRSTVWXZ"
#define DB_DEVICE_CODE_TTL 600
#define DB_DEVICE_CODE_INTERVAL 5
#define DB_SLOW_DOWN_STEP 5

/* Longest idempotency key and progress event id, in bytes. */
#define DB_IDEM_KEY_MAX 128
#define DB_EVENT_ID_MAX 64

/* Check-in: the reward of a claim with streak s (1, 2, ...) is min(s * STEP, CAP) bonus coins,
 * which expire DB_CHECKIN_BONUS_TTL seconds after the claim. */
#define DB_CHECKIN_STEP 5
#define DB_CHECKIN_CAP 35
#define DB_CHECKIN_BONUS_TTL (7 * 86400)

/* Phone checkout sessions stay payable this long, in seconds. Ids are 32 hex characters. */
#define DB_PURCHASE_TTL 900
#define DB_PURCHASE_ID_LEN 32

/* Progress: a batch holds at most this many items; event ids are remembered this long. */
#define DB_PROGRESS_BATCH_MAX 100
#define DB_PROGRESS_EVENT_TTL (30 * 86400)

/* At most this many items on the "continue watching" shelf. */
#define DB_CONTINUE_MAX 20

#define DB_DAY 86400

/* ---- catalog ---------------------------------------------------------------------------- */

struct db_series {
    char *id;
    char *title;    /* localized, falling back to catalog.json's base text */
    char *synopsis; /* localized likewise */
    char *genre;    /* primary genre as in catalog.json (not localized) */
    char *poster;   /* media path of the poster, may be "" */
    int episode_count;
    int free_episodes;          /* visible episodes with price 0 */
    long long total_duration_s; /* the sum of the visible episodes' durations */
};

struct db_episode {
    char *id;
    char *series_id;
    int index;
    char *title;
    int duration_s;
    char *path;  /* media path of the master playlist */
    char *thumb; /* media path of the thumbnail, may be "" */
    int price_coins;
    bool unlocked; /* the owner asked about holds a valid unlock (see db_list_episodes) */
    /* The owner's stored progress in it (0 and 0 without any): the position and the duration it
     * was reported with (0 when the player did not know it). */
    long long position_ms;
    long long progress_duration_ms;
};

/* One (series, genre) pair: genre as in catalog.json, name localized. */
struct db_genre_row {
    char *genre;
    char *name;
    char *series_id;
};

/* Opens (creating if needed) the database at path and creates or migrates the schema (version
 * 2; a version 1 database from an earlier binge-server is migrated in one transaction). *out is
 * transfer full; free with db_free(). A newer schema than this build knows is BINGE_ESTATE. */
int db_new(const char *path, struct db **out);

/* Closes the database. NULL is a no-op. */
void db_free(struct db *db);

/* Reads <media_dir>/catalog.json and brings the catalog tables in line with it in one
 * transaction: series and episodes are inserted or updated by id, their genres and
 * translations replaced, and series or episodes no longer in the file are hidden (kept, since
 * unlocks and progress refer to them). *n_series (may be NULL) gets the number of series. */
int db_sync_catalog(struct db *db, const char *media_dir, size_t *n_series);

/* Sets price_coins of every episode: 0 for index <= free_episodes, DB_LOCKED_PRICE beyond. Run
 * at each start so the stored prices follow --free-episodes. */
int db_apply_prices(struct db *db, int free_episodes);

/* Returns the URL-signing secret kept in the file <database path>.secret (64 hex characters,
 * mode 0600), generating a random one on first use. A secret an older server kept in the
 * settings table moves to the file (so the URLs it signed stay valid) and leaves the table. out
 * must hold DB_SECRET_LEN bytes. */
int db_secret(struct db *db, unsigned char *out);

/* All visible series in catalog order, localized to lang. *out is transfer full (free with
 * db_series_list_free), *n its length; an empty catalog gives *out == NULL and *n == 0. */
int db_list_series(struct db *db, const char *lang, struct db_series **out, size_t *n);
void db_series_list_free(struct db_series *list, size_t n);

/* One visible series, localized. BINGE_ENOTFOUND when unknown. Free with db_series_clear. */
int db_get_series(struct db *db, const char *series_id, const char *lang, struct db_series *out);
void db_series_clear(struct db_series *s);

/* Every (series, genre) pair of the visible series, in catalog order and then in the order of
 * each series' genres, with the genre's name in lang. Transfer full. */
int db_list_genres(struct db *db, const char *lang, struct db_genre_row **out, size_t *n);
void db_genre_list_free(struct db_genre_row *list, size_t n);

/* Series whose title or synopsis, in any language, contains folded_query once case-folded
 * (lang_fold), in catalog order, at most limit of them, localized to lang. Transfer full. */
int db_search_series(struct db *db, const char *folded_query, const char *lang, size_t limit,
                     struct db_series **out, size_t *n);

/* Episodes of a visible series in index order. unlocked is true when owner (NULL: nobody)
 * holds an unlock row for the episode that is valid at now: bought with coins or an ad
 * (permanent) or with VIP (valid while owner's VIP is active). */
int db_list_episodes(struct db *db, const char *series_id, const char *owner, long long now,
                     struct db_episode **out, size_t *n);
void db_episode_list_free(struct db_episode *list, size_t n);

/* One visible episode with unlock state for owner (may be NULL) at now, and in *next_id (may be
 * NULL) the id of the following visible episode of the same series or NULL for the last one
 * (transfer full). */
int db_get_episode(struct db *db, const char *episode_id, const char *owner, long long now,
                   struct db_episode *out, char **next_id);
void db_episode_clear(struct db_episode *e);

/* The episode a media file belongs to: the visible episode whose playlist lies in the file's
 * directory or the nearest ancestor directory that holds one. *episode_id is transfer full.
 * BINGE_ENOTFOUND when there is none. */
int db_episode_for_file(struct db *db, const char *file_path, char **episode_id);

/* ---- devices, accounts, tokens ---------------------------------------------------------- */

/* The caller of an authenticated request. */
struct db_principal {
    char device_id[DB_DEVICE_ID_MAX + 1];
    char owner[DB_OWNER_MAX + 1]; /* the wallet owner, see the top of this file */
    long long account_id;         /* 0 for a guest device */
    char account_name[DB_ACCOUNT_NAME_MAX + 1];
};

/* A token pair. expires_in is the access token's lifetime in seconds, 0 when it never
 * expires. */
struct db_tokens {
    char token[DB_TOKEN_HEX_LEN + 1];
    char refresh_token[DB_TOKEN_HEX_LEN + 1];
    long long expires_in;
};

/* Registers device_id and issues a new token pair whose access token expires after token_ttl
 * seconds (0: never). A new id is created with the welcome credit. A known id is given back
 * only with its proof, refresh_token (NULL: none) being an unused refresh token of that device,
 * which is then spent; without it a new, distinct guest "<device_id cut to 47>:<16 hex>" is
 * created instead, so a device id alone never opens another device's wallet. out_device_id
 * (DB_DEVICE_ID_MAX + 1 bytes, may be NULL) gets the id the pair belongs to. */
int db_register_device(struct db *db, const char *device_id, const char *refresh_token,
                       long long now, long long token_ttl, struct db_tokens *out,
                       char *out_device_id);

/* Looks up the caller of an access token. BINGE_ENOTFOUND for an unknown token,
 * BINGE_ETIMEDOUT for an expired one. */
int db_token_principal(struct db *db, const char *token, long long now, struct db_principal *out);

/* Looks up a device as a principal. BINGE_ENOTFOUND when unknown. */
int db_device_principal(struct db *db, const char *device_id, struct db_principal *out);

/* Exchanges a refresh token for a new pair; the old refresh token is used up (rotation).
 * device_id (DB_DEVICE_ID_MAX + 1 bytes) gets its device. BINGE_ENOTFOUND when the refresh
 * token is unknown or already used. */
int db_refresh_tokens(struct db *db, const char *refresh_token, long long now, long long token_ttl,
                      char *device_id, struct db_tokens *out);

/* Unlinks device_id from its account, in one BEGIN IMMEDIATE transaction. The device becomes a
 * guest again whose wallet ("device:<id>") starts empty: no welcome credit, and every row of
 * the account's wallet stays with the account. Every access and refresh token of the device is
 * revoked and a new pair (access token expiring after token_ttl, 0: never) issued into *out;
 * its pending or approved device codes are replaced, its pending checkouts closed (expired) and
 * its idempotency keys forgotten (their recorded answers were the account's). *was (may be
 * NULL) gets the principal before the unlink. BINGE_ENOTFOUND for an unknown device,
 * BINGE_ESTATE for a device that is not linked (nothing changes). */
int db_device_unlink(struct db *db, const char *device_id, long long now, long long token_ttl,
                     struct db_principal *was, struct db_tokens *out);

/* ---- account passwords -------------------------------------------------------------------- */

/* Hashes password with scrypt and a random salt into out (cap >= DB_PASSWORD_HASH_MAX). Slow
 * on purpose; call without holding anything. One scrypt runs at a time, process-wide. */
int db_password_hash(const char *password, char *out, size_t cap);

/* True when password matches stored (a db_password_hash string), compared in constant time.
 * A NULL or malformed stored hash costs a scrypt too and is false. */
bool db_password_check(const char *password, const char *stored);
/* For request threads: like db_password_hash and db_password_check, but while another scrypt
 * runs they return BINGE_ESTATE at once instead of waiting. verify: 1 match, 0 no match. */
int db_password_hash_nowait(const char *password, char *out, size_t cap);
int db_password_verify_nowait(const char *password, const char *stored);

/* True for DB_PASSWORD_MIN..DB_PASSWORD_MAX bytes. */
bool db_password_acceptable(const char *password);

/* Creates the account name with password, or sets the password of the existing one (names are
 * case-insensitive). For binge-server --account (demo and QA accounts, and giving a password
 * to an account from before passwords). */
int db_account_set_password(struct db *db, const char *name, const char *password, long long now);

/* ---- device flow (RFC 8628) ------------------------------------------------------------- */

struct db_device_code {
    char device_code[DB_TOKEN_HEX_LEN + 1];
    char user_code[DB_USER_CODE_LEN + 1]; /* without the dash */
    long long expires_at;
    int interval;
};

/* Starts a device authorization for device_id, replacing the device's earlier pending ones. */
int db_device_code_new(struct db *db, const char *device_id, long long now,
                       struct db_device_code *out);

enum db_poll_result {
    DB_POLL_PENDING,   /* authorization_pending */
    DB_POLL_SLOW_DOWN, /* polled sooner than the interval; the interval grew */
    DB_POLL_EXPIRED,   /* expired_token */
    DB_POLL_DENIED,    /* access_denied */
    DB_POLL_APPROVED,  /* tokens issued; the code is used up */
    DB_POLL_INVALID,   /* unknown or already used device code */
};

/* One poll of the token endpoint. On DB_POLL_APPROVED *tokens and *who are filled; *interval
 * is the current polling interval. */
int db_device_code_poll(struct db *db, const char *device_code, long long now, long long token_ttl,
                        enum db_poll_result *result, int *interval, struct db_tokens *tokens,
                        struct db_principal *who);

enum db_decide_result {
    DB_DECIDE_DONE,       /* approved (device linked, wallet merged) or denied */
    DB_DECIDE_UNKNOWN,    /* no such user code */
    DB_DECIDE_EXPIRED,    /* the code expired */
    DB_DECIDE_USED,       /* already approved, denied, replaced or burned */
    DB_DECIDE_BAD_LOGIN,  /* approve: no such account, no password set, or a wrong one */
    DB_DECIDE_NAME_TAKEN, /* create: an account of that name exists */
    DB_DECIDE_BUSY,       /* approve, create: another sign-in is being checked; try again */
};

enum db_decide_action {
    DB_DECIDE_APPROVE, /* sign in to the account name with password, then link */
    DB_DECIDE_CREATE,  /* create the account name with password, then link */
    DB_DECIDE_DENY,    /* refuse: the TV's poll gets access_denied */
};

struct db_decide_request {
    const char *user_code; /* DB_USER_CODE_LEN characters, no dash */
    enum db_decide_action action;
    const char *name;     /* approve, create: the account name */
    const char *password; /* approve, create (DB_PASSWORD_MIN.. bytes for create: the caller
                             checks with db_password_acceptable) */
    long long now;
};

/* Approves or denies the pending authorization of rq->user_code. Approving signs in first:
 * the password is checked with scrypt (without holding the database lock). A wrong login is
 * DB_DECIDE_BAD_LOGIN and counts as a try against the code; after DB_USER_CODE_MAX_TRIES of
 * them the code is burned (replaced: the TV's poll says expired_token). *tries_left (may be
 * NULL) gets the tries the code has left. On approval, in one transaction: the account is
 * created (create), the device is linked to it, and the device's guest rows (ledger, unlocks,
 * check-ins, ad views, VIP, progress) are merged into the account's; welcome coins count once
 * per account (a later guest's unspent welcome coins are given back). device_id
 * (DB_DEVICE_ID_MAX + 1 bytes, may be NULL) gets the device. */
int db_device_code_decide(struct db *db, const struct db_decide_request *rq,
                          enum db_decide_result *result, int *tries_left, char *device_id);

/* ---- wallet --------------------------------------------------------------------------- */

struct db_wallet {
    long long coins;
    long long bonus_coins;
    long long bonus_next_amount; /* remaining in the soonest-expiring live bonus lot */
    long long bonus_next_expiry; /* its expiry; 0 when there is no live bonus */
    long long vip_expires_at;    /* 0 when never VIP */
    bool vip_active;
    int ads_today; /* ad unlocks used today */
    bool checked_in_today;
    int streak; /* today's streak if claimed, else yesterday's (0: broken) */
};

/* The wallet of owner at now. */
int db_wallet_get(struct db *db, const char *owner, long long now, struct db_wallet *out);

/* The reward of a check-in claim that makes the streak `streak` (>= 1). */
int db_checkin_reward(int streak);

/* ---- unlocks ------------------------------------------------------------------------- */

enum db_unlock_method {
    DB_UNLOCK_COINS,
    DB_UNLOCK_AD,
    DB_UNLOCK_VIP,
};

enum db_unlock_outcome {
    DB_UNLOCK_DONE,         /* unlocked now (and charged if coins) */
    DB_UNLOCK_ALREADY,      /* already unlocked: nothing charged */
    DB_UNLOCK_FREE,         /* a free episode: nothing to do */
    DB_UNLOCK_SHORT,        /* coins + bonus coins do not cover the price */
    DB_UNLOCK_AD_LIMIT,     /* the day's ads are used up */
    DB_UNLOCK_VIP_INACTIVE, /* method vip without an active VIP */
};

struct db_unlock_request {
    const struct db_principal *who;
    const char *episode_id;
    enum db_unlock_method method;
    const char *key;         /* idempotency key, scoped to who->device_id */
    const char *fingerprint; /* what the key stands for; a different one is a conflict */
    long long now;
    int ads_per_day;
};

struct db_unlock_result {
    enum db_unlock_outcome outcome;
    const char *episode_id;
    int episode_index;
    int price_coins;
    enum db_unlock_method method; /* of the valid unlock row (ALREADY: the earlier one's) */
    long long spent_coins;
    long long spent_bonus;
    long long coins; /* balances after */
    long long bonus_coins;
    int ads_today; /* ad unlocks used today, after */
    long long vip_expires_at;
};

/* Renders the answer to an unlock inside its transaction: sets *status and *body (malloc'd,
 * transfer full). Returns 0 or a negative BINGE_E* code (the transaction is then rolled back). */
typedef int (*db_unlock_render_fn)(const struct db_unlock_result *result, void *ctx, int *status,
                                   char **body);

/* Unlocks an episode in one BEGIN IMMEDIATE transaction. When (device, key) already holds a
 * recorded answer with the same fingerprint, that answer is returned (*replayed true) and
 * nothing else happens; with a different fingerprint it is BINGE_ESTATE. Otherwise the unlock
 * is carried out (coins: bonus lots first, soonest expiry first, then coins), render is called
 * and, when it answers 200, the answer is recorded under the key. *status and *body
 * (transfer full) get the answer. BINGE_ENOTFOUND for an unknown episode. */
int db_unlock(struct db *db, const struct db_unlock_request *rq, db_unlock_render_fn render,
              void *ctx, int *status, char **body, bool *replayed);

/* ---- check-in ------------------------------------------------------------------------- */

struct db_checkin_result {
    bool already; /* claimed today already: nothing happened */
    int streak;
    int reward;           /* bonus coins credited (0 when already) */
    long long expires_at; /* of the reward */
    long long coins;      /* balances after */
    long long bonus_coins;
};

/* Claims today's check-in for who: streak = yesterday's streak + 1 (or 1), reward =
 * db_checkin_reward(streak) bonus coins expiring DB_CHECKIN_BONUS_TTL after now. */
int db_checkin(struct db *db, const struct db_principal *who, long long now,
               struct db_checkin_result *out);

/* ---- packs and phone checkout ----------------------------------------------------------- */

struct db_pack {
    const char *id;
    int coins;
    int bonus_coins;
    int bonus_days; /* lifetime of the bonus coins */
    int vip_days;
    int price_cents;
    const char *currency;
};

/* The static list of packs, in display order. */
const struct db_pack *db_packs(size_t *n);

/* A pack by id, or NULL. */
const struct db_pack *db_pack_find(const char *id);

enum db_purchase_status {
    DB_PURCHASE_PENDING,
    DB_PURCHASE_COMPLETED,
    DB_PURCHASE_EXPIRED,
};

struct db_purchase {
    char id[DB_PURCHASE_ID_LEN + 1];
    char device_id[DB_DEVICE_ID_MAX + 1];
    char owner[DB_OWNER_MAX + 1]; /* the device's wallet owner now */
    const struct db_pack *pack;
    enum db_purchase_status status; /* expired: pending past expires_at */
    long long created_at;
    long long expires_at;
    long long completed_at; /* 0 unless completed */
};

/* Opens a checkout session for who and pack. */
int db_purchase_new(struct db *db, const struct db_principal *who, const struct db_pack *pack,
                    long long now, struct db_purchase *out);

/* Looks a session up. BINGE_ENOTFOUND when unknown. */
int db_purchase_get(struct db *db, const char *id, long long now, struct db_purchase *out);

/* Pays a session: in one BEGIN IMMEDIATE transaction, a pending, unexpired session becomes
 * completed and its pack is credited to the device's wallet owner (coins, bonus coins, VIP
 * days). *already is true when it was completed before (nothing is credited twice).
 * BINGE_ENOTFOUND when unknown, BINGE_ETIMEDOUT when it expired unpaid. *out (may be NULL) gets
 * the session after. */
int db_purchase_complete(struct db *db, const char *id, long long now, bool *already,
                         struct db_purchase *out);

/* ---- progress ----------------------------------------------------------------------------- */

enum db_progress_status {
    DB_PROGRESS_APPLIED,   /* stored: newer than what was there */
    DB_PROGRESS_STALE,     /* older than (or as old as) the stored position: ignored */
    DB_PROGRESS_DUPLICATE, /* this event id was seen before: ignored */
    DB_PROGRESS_UNKNOWN,   /* no such episode: ignored */
};

struct db_progress_item {
    const char *episode_id;
    long long position_ms;
    long long duration_ms; /* 0: unknown */
    long long updated_at;  /* client time, Unix milliseconds */
    const char *event_id;
    enum db_progress_status status; /* out */
};

/* Applies a batch in one transaction: per item, a seen (device, event_id) is a duplicate, else
 * the item replaces the owner's stored position for the episode when its updated_at is newer.
 * Sets each item's status. */
int db_progress_apply(struct db *db, const struct db_principal *who, struct db_progress_item *items,
                      size_t n, long long now);

/* The resume position of owner in an episode: the stored position, or 0 when there is none or
 * the episode was finished (db_progress_finished). */
int db_progress_resume(struct db *db, const char *owner, const char *episode_id,
                       long long *resume_ms);

/* True when position counts as watched to the end: at least 95% of the duration. */
bool db_progress_finished(long long position_ms, long long duration_ms);

struct db_continue_item {
    char *series_id;
    char *episode_id;
    int episode_index;
    long long resume_ms;
    long long duration_ms;
    long long updated_at; /* ms */
};

/* The "continue watching" list of owner: per series its most recently updated progress; an
 * unfinished one is resumed, a finished one continues with the next episode at 0 (a finished
 * last episode drops the series). Most recent first, at most DB_CONTINUE_MAX. Transfer full. */
int db_continue_list(struct db *db, const char *owner, struct db_continue_item **out, size_t *n);
void db_continue_list_free(struct db_continue_item *list, size_t n);

/* Where owner resumes series_id, by the rule of db_continue_list: its most recently updated
 * episode at the stored position, or the next one at 0 when that one was finished. *found is
 * false when owner has no progress in the series or finished its last episode. out's strings
 * are transfer full (db_continue_list_free(out, 1) does not apply: free them). */
int db_series_resume(struct db *db, const char *owner, const char *series_id, bool *found,
                     struct db_continue_item *out);

/* ---- wallet history ------------------------------------------------------------------------- */

/* Most events one history answer holds. */
#define DB_HISTORY_MAX 100

/* One event of a wallet: the ledger rows one action wrote (a coin unlock may debit several
 * bonus lots and coins), an ad unlock, a VIP unlock, or a VIP purchase. */
struct db_history_item {
    char kind[16];              /* "unlock", "purchase", "checkin", "welcome", "welcome_return" */
    char method[8];             /* unlock: "coins", "ad" or "vip"; else "" */
    long long time;             /* Unix seconds */
    long long coins;            /* change of the coin balance (signed) */
    long long bonus_coins;      /* change of the bonus coins (signed) */
    long long bonus_expires_at; /* a bonus credit's expiry; 0 when none */
    char *episode_id;           /* unlock: the episode; else NULL */
    int episode_index;
    char *series_id;            /* unlock: the episode's series; else NULL */
    char *series_title;         /* localized; NULL with series_id */
    const struct db_pack *pack; /* purchase: the pack bought (NULL when unknown) */
};

/* The newest limit (1..DB_HISTORY_MAX) events of owner's wallet, newest first, series titles in
 * lang. Transfer full (free with db_history_free); none gives *out NULL and *n 0. */
int db_wallet_history(struct db *db, const char *owner, const char *lang, size_t limit,
                      struct db_history_item **out, size_t *n);
void db_history_free(struct db_history_item *list, size_t n);

/* ---- my list ------------------------------------------------------------------------------ */

/* Most series a wallet owner's list holds. */
#define DB_MYLIST_MAX 200

struct db_mylist_entry {
    char *series_id;
    long long added_at;
};

/* Puts series_id on owner's list (who->owner; who->device_id is recorded) at now, in one
 * BEGIN IMMEDIATE transaction. A series already there stays as it is (*added false). *count
 * (may be NULL) gets the entries after. BINGE_ENOTFOUND for an unknown or hidden series,
 * BINGE_ETOOBIG when the list already holds DB_MYLIST_MAX entries. */
int db_mylist_add(struct db *db, const struct db_principal *who, const char *series_id,
                  long long now, bool *added, size_t *count);

/* Takes series_id off owner's list. *removed tells whether it was there; *count (may be NULL)
 * gets the entries after. BINGE_ENOTFOUND when it was not there and the series is unknown or
 * hidden. */
int db_mylist_remove(struct db *db, const char *owner, const char *series_id, bool *removed,
                     size_t *count);

/* owner's list, visible series only, most recently added first. Transfer full (free with
 * db_mylist_free); an empty list gives *out NULL and *n 0. */
int db_mylist_list(struct db *db, const char *owner, struct db_mylist_entry **out, size_t *n);
void db_mylist_free(struct db_mylist_entry *list, size_t n);

/* True in *in when series_id is on owner's list. */
int db_mylist_has(struct db *db, const char *owner, const char *series_id, bool *in);

/* ---- entitlement -------------------------------------------------------------------------- */

/* True in *ok when who may watch episode_id at now: it is free, or who's owner holds a valid
 * unlock (see db_list_episodes). BINGE_ENOTFOUND for an unknown episode. */
int db_entitled(struct db *db, const struct db_principal *who, const char *episode_id,
                long long now, bool *ok);

#endif
