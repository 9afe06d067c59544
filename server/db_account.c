/* Devices, tokens, accounts and the RFC 8628 device flow, including the merge of a guest
 * device's wallet into the account it is linked to. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "binge/error.h"
#include "db.h"
#include "db_internal.h"
#include "slog.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define DB_MYLIST_MAX_TEXT STR(DB_MYLIST_MAX)

/* Old device codes are forgotten this long after they expired. */
#define DEVICE_CODE_KEEP_S 86400

int db_issue_tokens_locked(struct db *db, const char *device_id, long long now, long long ttl,
                           struct db_tokens *out)
{
    sqlite3_stmt *st = NULL;
    char hash[DB_TOKEN_HEX_LEN + 1];
    int rc;

    memset(out, 0, sizeof(*out));
    rc = db_random_hex(DB_TOKEN_HEX_LEN / 2, out->token);
    if (rc == 0)
        rc = db_random_hex(DB_TOKEN_HEX_LEN / 2, out->refresh_token);
    if (rc == 0)
        rc = db_prepare(db,
                        "INSERT INTO tokens (token, device_id, created_at, expires_at)"
                        " VALUES (?, ?, ?, ?)",
                        &st);
    if (rc < 0)
        goto fail;
    db_token_hash(out->token, hash);
    db_bind_text(st, 1, hash);
    db_bind_text(st, 2, device_id);
    sqlite3_bind_int64(st, 3, now);
    if (ttl > 0)
        sqlite3_bind_int64(st, 4, now + ttl);
    else
        sqlite3_bind_null(st, 4);
    rc = db_step_done(db, st, "insert token");
    if (rc == 0)
        rc = db_prepare(
            db, "INSERT INTO refresh_tokens (token, device_id, created_at) VALUES (?, ?, ?)", &st);
    if (rc < 0)
        goto fail;
    db_token_hash(out->refresh_token, hash);
    db_bind_text(st, 1, hash);
    db_bind_text(st, 2, device_id);
    sqlite3_bind_int64(st, 3, now);
    rc = db_step_done(db, st, "insert refresh token");
    if (rc < 0)
        goto fail;
    out->expires_in = ttl > 0 ? ttl : 0;
    return 0;

fail:
    memset(out, 0, sizeof(*out));
    return rc;
}

/* Inserts device_id when it is new, with the welcome credit. *created tells whether it was. */
static int new_device_locked(struct db *db, const char *device_id, long long now, bool *created)
{
    sqlite3_stmt *st = NULL;
    char owner[DB_OWNER_MAX + 1];
    int rc;

    *created = false;
    rc = db_prepare(db, "INSERT OR IGNORE INTO devices (device_id, created_at) VALUES (?, ?)", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_id);
    sqlite3_bind_int64(st, 2, now);
    rc = db_step_done(db, st, "insert device");
    if (rc < 0)
        return rc;
    /* changes() is 1 only when the device row was new: the welcome credit is given once. */
    if (sqlite3_changes(db->conn) != 1)
        return 0;
    *created = true;
    db_owner_string(device_id, 0, owner);
    return db_ledger_add_locked(db, owner, device_id, "coins", DB_WELCOME_COINS, 0, 0, "welcome",
                                NULL, now);
}

/* Spends the unused refresh token of want_device (NULL: of any device) and copies its device
 * into device_id (DB_DEVICE_ID_MAX + 1 bytes). BINGE_ENOTFOUND when there is none. */
static int spend_refresh_locked(struct db *db, const char *refresh_token, const char *want_device,
                                long long now, char *device_id)
{
    sqlite3_stmt *st = NULL;
    char hash[DB_TOKEN_HEX_LEN + 1];
    int rc;

    db_token_hash(refresh_token, hash);
    rc = db_prepare(db,
                    "SELECT device_id FROM refresh_tokens WHERE token = ?1 AND used_at IS NULL"
                    " AND (?2 IS NULL OR device_id = ?2)",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, hash);
    db_bind_text(st, 2, want_device);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, device_id, DB_DEVICE_ID_MAX + 1);
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "refresh token lookup");
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    /* Rotation: this refresh token is spent, whatever happens to the new pair. */
    rc = db_prepare(db, "UPDATE refresh_tokens SET used_at = ? WHERE token = ?", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    db_bind_text(st, 2, hash);
    return db_step_done(db, st, "use refresh token");
}

/* A known id asked for without its proof: a new guest whose id says what was asked for,
 * "<asked, cut to fit>:<16 hex>" (docs/api.md). */
static int distinct_device_locked(struct db *db, const char *asked, long long now, char *device_id)
{
    char suffix[17];
    int base = (int)strlen(asked);
    bool created = false;
    int rc = 0;

    if (base > DB_DEVICE_ID_MAX - 17)
        base = DB_DEVICE_ID_MAX - 17;
    for (int attempt = 0; rc == 0 && !created && attempt < 8; attempt++) {
        rc = db_random_hex(8, suffix);
        if (rc == 0) {
            snprintf(device_id, DB_DEVICE_ID_MAX + 1, "%.*s:%s", base, asked, suffix);
            rc = new_device_locked(db, device_id, now, &created);
        }
    }
    if (rc == 0 && !created)
        rc = BINGE_EIO;
    return rc;
}

static int register_locked(struct db *db, const char *asked, const char *proof, long long now,
                           long long ttl, struct db_tokens *out, char *device_id)
{
    sqlite3_stmt *st = NULL;
    bool created = false;
    int rc;

    snprintf(device_id, DB_DEVICE_ID_MAX + 1, "%s", asked);
    rc = new_device_locked(db, asked, now, &created);
    if (rc == 0 && !created) {
        /* A known id: only its holder, who proves it with an unused refresh token of that
         * device, gets it back (with its wallet and account). Anyone else gets a new guest. */
        char owner_of_proof[DB_DEVICE_ID_MAX + 1];
        rc = proof ? spend_refresh_locked(db, proof, asked, now, owner_of_proof) : BINGE_ENOTFOUND;
        if (rc == BINGE_ENOTFOUND) {
            rc = distinct_device_locked(db, asked, now, device_id);
            if (rc == 0)
                slog_msg(SLOG_INFO, "db", "device %s registered without its proof: new guest %s",
                         asked, device_id);
        }
    }
    if (rc < 0)
        return rc;
    /* Dead tokens are forgotten a day after they died, so the tables stay bounded. */
    rc = db_prepare(db, "DELETE FROM tokens WHERE expires_at < ?", &st);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, now - DB_DAY);
        rc = db_step_done(db, st, "forget expired tokens");
    }
    if (rc == 0)
        rc = db_prepare(db, "DELETE FROM refresh_tokens WHERE used_at < ?", &st);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, now - DB_DAY);
        rc = db_step_done(db, st, "forget used refresh tokens");
    }
    if (rc < 0)
        return rc;
    return db_issue_tokens_locked(db, device_id, now, ttl, out);
}

int db_register_device(struct db *db, const char *device_id, const char *refresh_token,
                       long long now, long long token_ttl, struct db_tokens *out,
                       char *out_device_id)
{
    char got[DB_DEVICE_ID_MAX + 1] = "";
    int rc;

    if (!db || !device_id || !*device_id || strlen(device_id) > DB_DEVICE_ID_MAX || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, register_locked(db, device_id, refresh_token, now, token_ttl, out, got));
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    if (out_device_id)
        snprintf(out_device_id, DB_DEVICE_ID_MAX + 1, "%s", rc == 0 ? got : "");
    return rc;
}

int db_token_principal(struct db *db, const char *token, long long now, struct db_principal *out)
{
    sqlite3_stmt *st = NULL;
    char device_id[DB_DEVICE_ID_MAX + 1];
    char hash[DB_TOKEN_HEX_LEN + 1];
    int rc;

    if (!db || !token || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    db_token_hash(token, hash);
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT device_id, expires_at FROM tokens WHERE token = ?", &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, hash);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, device_id, sizeof(device_id));
        if (sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_int64(st, 1) <= now)
            rc = BINGE_ETIMEDOUT;
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "token lookup");
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = db_principal_locked(db, device_id, out);
out:
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_device_principal(struct db *db, const char *device_id, struct db_principal *out)
{
    int rc;

    if (!db || !device_id || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_principal_locked(db, device_id, out);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static int refresh_locked(struct db *db, const char *refresh_token, long long now, long long ttl,
                          char *device_id, struct db_tokens *out)
{
    int rc = spend_refresh_locked(db, refresh_token, NULL, now, device_id);

    if (rc < 0)
        return rc;
    return db_issue_tokens_locked(db, device_id, now, ttl, out);
}

int db_refresh_tokens(struct db *db, const char *refresh_token, long long now, long long token_ttl,
                      char *device_id, struct db_tokens *out)
{
    int rc;

    if (!db || !refresh_token || !device_id || !out)
        return BINGE_EINVAL;
    device_id[0] = '\0';
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, refresh_locked(db, refresh_token, now, token_ttl, device_id, out));
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* ---- unlink ------------------------------------------------------------------------------- */

/* Runs a statement whose ?1 is now and ?2 the device (a statement may use only ?2). */
static int device_step(struct db *db, const char *sql, long long now, const char *device_id)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, sql, &st);

    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    db_bind_text(st, 2, device_id);
    return db_step_done(db, st, "unlink device");
}

static int unlink_locked(struct db *db, const char *device_id, long long now, long long ttl,
                         struct db_principal *was, struct db_tokens *out)
{
    /* What was the account's reach through this device ends here: its tokens (any copy of
     * them, wherever it went), the sign-ins it started, the checkouts it opened for the
     * account, the answers recorded under its keys. */
    static const char *const steps[] = {
        "UPDATE devices SET account_id = NULL, linked_at = NULL WHERE device_id = ?2",
        "DELETE FROM tokens WHERE device_id = ?2",
        "UPDATE refresh_tokens SET used_at = ?1 WHERE device_id = ?2 AND used_at IS NULL",
        "UPDATE device_codes SET status = 'replaced' WHERE device_id = ?2"
        " AND status IN ('pending', 'approved')",
        "UPDATE purchase_sessions SET expires_at = ?1 - 1 WHERE device_id = ?2"
        " AND status = 'pending' AND expires_at >= ?1",
        "DELETE FROM idempotency WHERE device_id = ?2",
    };
    int rc = db_principal_locked(db, device_id, was);

    if (rc < 0)
        return rc;
    if (was->account_id == 0)
        return BINGE_ESTATE;
    for (size_t i = 0; rc == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
        rc = device_step(db, steps[i], now, device_id);
    if (rc == 0)
        rc = db_issue_tokens_locked(db, device_id, now, ttl, out);
    if (rc == 0)
        slog_msg(SLOG_INFO, "db", "device %s unlinked from account %lld; now a guest", device_id,
                 was->account_id);
    return rc;
}

int db_device_unlink(struct db *db, const char *device_id, long long now, long long token_ttl,
                     struct db_principal *was, struct db_tokens *out)
{
    struct db_principal before;
    int rc;

    if (!db || !device_id || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    memset(&before, 0, sizeof(before));
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0) {
        int step = unlink_locked(db, device_id, now, token_ttl, &before, out);
        rc = db_end(db, step == BINGE_ESTATE ? 0 : step);
        if (rc == 0)
            rc = step;
    }
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    if (was)
        *was = before;
    return rc;
}

/* ---- device flow -------------------------------------------------------------------------- */

/* DB_USER_CODE_LEN characters of the unambiguous alphabet, uniformly: bytes past the largest
 * multiple of the alphabet size are drawn again. */
static int make_user_code(char *out)
{
    static const char alphabet[] = DB_USER_CODE_ALPHABET;
    const unsigned int n = sizeof(alphabet) - 1;
    const unsigned int limit = 256 - 256 % n;
    size_t o = 0;

    while (o < DB_USER_CODE_LEN) {
        unsigned char raw[16];
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return BINGE_EIO;
        for (size_t i = 0; i < sizeof(raw) && o < DB_USER_CODE_LEN; i++) {
            if (raw[i] < limit)
                out[o++] = alphabet[raw[i] % n];
        }
    }
    out[o] = '\0';
    return 0;
}

static int device_code_new_locked(struct db *db, const char *device_id, long long now,
                                  struct db_device_code *out)
{
    char hash[DB_TOKEN_HEX_LEN + 1];
    sqlite3_stmt *st = NULL;
    int rc;

    rc = db_prepare(db,
                    "UPDATE device_codes SET status = 'replaced'"
                    " WHERE device_id = ? AND status = 'pending'",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_id);
    rc = db_step_done(db, st, "replace device codes");
    if (rc == 0)
        rc = db_prepare(db, "DELETE FROM device_codes WHERE expires_at < ?", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, now - DEVICE_CODE_KEEP_S);
    rc = db_step_done(db, st, "forget old device codes");
    /* A user code may collide with a live one (20^8 codes): draw again a few times. */
    for (int attempt = 0; rc == 0 && attempt < 8; attempt++) {
        int step;
        rc = db_random_hex(DB_TOKEN_HEX_LEN / 2, out->device_code);
        if (rc == 0)
            rc = make_user_code(out->user_code);
        if (rc == 0)
            rc = db_prepare(db,
                            "INSERT OR IGNORE INTO device_codes (device_code, user_code, device_id,"
                            " created_at, expires_at, interval_s) VALUES (?, ?, ?, ?, ?, ?)",
                            &st);
        if (rc < 0)
            return rc;
        out->expires_at = now + DB_DEVICE_CODE_TTL;
        out->interval = DB_DEVICE_CODE_INTERVAL;
        db_token_hash(out->device_code, hash);
        db_bind_text(st, 1, hash);
        db_bind_text(st, 2, out->user_code);
        db_bind_text(st, 3, device_id);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, out->expires_at);
        sqlite3_bind_int(st, 6, out->interval);
        step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE)
            return db_fail(db, "insert device code");
        if (sqlite3_changes(db->conn) == 1)
            return 0;
    }
    return rc < 0 ? rc : BINGE_EIO;
}

int db_device_code_new(struct db *db, const char *device_id, long long now,
                       struct db_device_code *out)
{
    int rc;

    if (!db || !device_id || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, device_code_new_locked(db, device_id, now, out));
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* Runs an UPDATE of one device code whose first n_ints parameters are a and b and whose last
 * one is the device code. */
static int code_update(struct db *db, const char *device_code, const char *sql, int n_ints,
                       long long a, long long b)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, sql, &st);

    if (rc < 0)
        return rc;
    if (n_ints >= 1)
        sqlite3_bind_int64(st, 1, a);
    if (n_ints >= 2)
        sqlite3_bind_int64(st, 2, b);
    db_bind_text(st, n_ints + 1, device_code);
    return db_step_done(db, st, "update device code");
}

static int poll_locked(struct db *db, const char *device_code, long long now, long long ttl,
                       enum db_poll_result *result, int *interval, struct db_tokens *tokens,
                       struct db_principal *who)
{
    sqlite3_stmt *st = NULL;
    char device_id[DB_DEVICE_ID_MAX + 1];
    char status[16];
    long long expires_at = 0; /* set with the row; unread when there is none */
    long long last_poll = -1;
    int rc;

    *result = DB_POLL_INVALID;
    rc = db_prepare(db,
                    "SELECT device_id, expires_at, interval_s, last_poll_at, status"
                    " FROM device_codes WHERE device_code = ?",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_code);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, device_id, sizeof(device_id));
        expires_at = sqlite3_column_int64(st, 1);
        *interval = sqlite3_column_int(st, 2);
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            last_poll = sqlite3_column_int64(st, 3);
        db_column_copy(st, 4, status, sizeof(status));
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "device code lookup");
    }
    sqlite3_finalize(st);
    if (rc == BINGE_ENOTFOUND || (rc == 0 && strcmp(status, "used") == 0))
        return 0; /* DB_POLL_INVALID */
    if (rc < 0)
        return rc;
    if (now >= expires_at || strcmp(status, "replaced") == 0) {
        *result = DB_POLL_EXPIRED;
        return 0;
    }
    if (last_poll >= 0 && now - last_poll < *interval) {
        /* RFC 8628 3.5: the client must add 5 s to its interval; we hold it to that. */
        *interval += DB_SLOW_DOWN_STEP;
        *result = DB_POLL_SLOW_DOWN;
        return code_update(db, device_code,
                           "UPDATE device_codes SET interval_s = ?, last_poll_at = ?"
                           " WHERE device_code = ?",
                           2, *interval, now);
    }
    rc = code_update(db, device_code,
                     "UPDATE device_codes SET last_poll_at = ? WHERE device_code = ?", 1, now, 0);
    if (rc < 0)
        return rc;
    if (strcmp(status, "denied") == 0) {
        *result = DB_POLL_DENIED;
        return 0;
    }
    if (strcmp(status, "approved") != 0) {
        *result = DB_POLL_PENDING;
        return 0;
    }
    rc = code_update(db, device_code,
                     "UPDATE device_codes SET status = 'used' WHERE device_code = ?", 0, 0, 0);
    if (rc == 0)
        rc = db_issue_tokens_locked(db, device_id, now, ttl, tokens);
    if (rc == 0)
        rc = db_principal_locked(db, device_id, who);
    if (rc == 0)
        *result = DB_POLL_APPROVED;
    return rc;
}

int db_device_code_poll(struct db *db, const char *device_code, long long now, long long token_ttl,
                        enum db_poll_result *result, int *interval, struct db_tokens *tokens,
                        struct db_principal *who)
{
    char hash[DB_TOKEN_HEX_LEN + 1];
    int rc;

    if (!db || !device_code || !result || !interval || !tokens || !who)
        return BINGE_EINVAL;
    db_token_hash(device_code, hash); /* the table holds hashes */
    *interval = DB_DEVICE_CODE_INTERVAL;
    memset(tokens, 0, sizeof(*tokens));
    memset(who, 0, sizeof(*who));
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, poll_locked(db, hash, now, token_ttl, result, interval, tokens, who));
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* Runs a statement with ?1 = the account owner and ?2 = the device owner. */
static int merge_step(struct db *db, const char *sql, const char *to, const char *from)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, sql, &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, to);
    db_bind_text(st, 2, from);
    return db_step_done(db, st, "merge wallet");
}

/* Welcome coins are given once per account: a guest joining an account that already holds a
 * welcome credit gives back its own welcome coins, as far as it has not spent them, before
 * its wallet moves. Linking many new devices to one account thus adds no coins. */
static int welcome_once_locked(struct db *db, const char *device_id, const char *to,
                               const char *from, long long now)
{
    sqlite3_stmt *st = NULL;
    long long has = 0, welcome = 0, coins = 0, bonus = 0, take;
    int rc = db_prepare(db,
                        "SELECT COUNT(*) FROM ledger WHERE owner = ? AND reason = 'welcome'"
                        " AND amount > 0",
                        &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, to);
    rc = db_step_int64(db, st, "account welcome", true, &has);
    if (rc < 0 || has == 0)
        return rc;
    rc = db_prepare(db,
                    "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE owner = ?"
                    " AND reason = 'welcome'",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, from);
    rc = db_step_int64(db, st, "guest welcome", true, &welcome);
    if (rc == 0)
        rc = db_balances_locked(db, from, now, &coins, &bonus);
    if (rc < 0)
        return rc;
    take = welcome < coins ? welcome : coins;
    if (take <= 0)
        return 0;
    return db_ledger_add_locked(db, from, device_id, "coins", -take, 0, 0, "welcome_return", NULL,
                                now);
}

/* Links device_id to account_id and moves the rows its guest wallet owns into the account's.
 * Where both hold a row for the same thing: an unlock stays (a permanent one wins over a VIP
 * one), the newer progress wins, a day's check-in is kept once, a series on both lists is
 * listed once. Rows of an account the device
 * was linked to before stay with that account: other devices may share it. */
static int link_locked(struct db *db, const char *device_id, long long account_id, long long now)
{
    static const char *const steps[] = {
        "UPDATE ledger SET owner = ?1 WHERE owner = ?2",
        "INSERT INTO unlocks (owner, episode_id, method, device_id, created_at)"
        " SELECT ?1, episode_id, method, device_id, created_at FROM unlocks WHERE owner = ?2"
        " ON CONFLICT (owner, episode_id) DO UPDATE SET method = excluded.method"
        " WHERE unlocks.method = 'vip' AND excluded.method <> 'vip'",
        "DELETE FROM unlocks WHERE owner = ?2",
        "INSERT INTO progress (owner, episode_id, position_ms, duration_ms, updated_at, device_id)"
        " SELECT ?1, episode_id, position_ms, duration_ms, updated_at, device_id FROM progress"
        " WHERE owner = ?2 ON CONFLICT (owner, episode_id) DO UPDATE SET"
        " position_ms = excluded.position_ms, duration_ms = excluded.duration_ms,"
        " updated_at = excluded.updated_at, device_id = excluded.device_id"
        " WHERE excluded.updated_at > progress.updated_at",
        "DELETE FROM progress WHERE owner = ?2",
        "INSERT OR IGNORE INTO checkins (owner, day, streak, reward, device_id, created_at)"
        " SELECT ?1, day, streak, reward, device_id, created_at FROM checkins WHERE owner = ?2",
        "DELETE FROM checkins WHERE owner = ?2",
        "UPDATE ad_views SET owner = ?1 WHERE owner = ?2",
        "UPDATE vip_grants SET owner = ?1 WHERE owner = ?2",
        /* My list: a series on both lists keeps the account's entry; the merged list keeps
         * its newest DB_MYLIST_MAX entries. */
        "UPDATE OR IGNORE mylist SET owner = ?1 WHERE owner = ?2",
        "DELETE FROM mylist WHERE owner = ?2",
        "DELETE FROM mylist WHERE owner = ?1 AND id NOT IN (SELECT id FROM mylist WHERE"
        " owner = ?1 ORDER BY added_at DESC, id DESC LIMIT " DB_MYLIST_MAX_TEXT ")",
    };
    char to[DB_OWNER_MAX + 1];
    char from[DB_OWNER_MAX + 1];
    sqlite3_stmt *st = NULL;
    int rc = 0;

    db_owner_string(device_id, account_id, to);
    db_owner_string(device_id, 0, from);
    rc = welcome_once_locked(db, device_id, to, from, now);
    for (size_t i = 0; rc == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
        rc = merge_step(db, steps[i], to, from);
    if (rc == 0)
        rc = db_prepare(db, "UPDATE devices SET account_id = ?, linked_at = ? WHERE device_id = ?",
                        &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, now);
    db_bind_text(st, 3, device_id);
    rc = db_step_done(db, st, "link device");
    if (rc == 0)
        slog_msg(SLOG_INFO, "db", "device %s linked to account %lld; guest wallet merged",
                 device_id, account_id);
    return rc;
}

/* The state of the authorization a user code belongs to: DB_DECIDE_UNKNOWN, _USED (approved,
 * denied, used, replaced or burned), _EXPIRED, or DB_DECIDE_DONE for a pending one, whose
 * device_code hash and device_id are then copied out. */
static int code_state_locked(struct db *db, const char *user_code, long long now,
                             enum db_decide_result *state, char *device_code, char *device_id)
{
    sqlite3_stmt *st = NULL;
    char status[16] = "";
    long long expires_at = 0;
    int rc;

    *state = DB_DECIDE_UNKNOWN;
    rc = db_prepare(db,
                    "SELECT device_code, device_id, expires_at, status FROM device_codes"
                    " WHERE user_code = ?",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, user_code);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, device_code, DB_TOKEN_HEX_LEN + 1);
        db_column_copy(st, 1, device_id, DB_DEVICE_ID_MAX + 1);
        expires_at = sqlite3_column_int64(st, 2);
        db_column_copy(st, 3, status, sizeof(status));
        if (strcmp(status, "pending") != 0)
            *state = DB_DECIDE_USED;
        else if (now >= expires_at)
            *state = DB_DECIDE_EXPIRED;
        else
            *state = DB_DECIDE_DONE;
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "user code lookup");
    }
    sqlite3_finalize(st);
    return rc;
}

/* A wrong login against a pending code: one more try; the last one burns the code (status
 * replaced, so the TV's poll says expired_token and it starts again). */
static int wrong_try_locked(struct db *db, const char *device_code, int *tries_left)
{
    sqlite3_stmt *st = NULL;
    long long tries = 0;
    int rc = db_prepare(db,
                        "UPDATE device_codes SET tries = tries + 1, status = CASE WHEN tries + 1"
                        " >= ?1 THEN 'replaced' ELSE status END"
                        " WHERE device_code = ?2 AND status = 'pending'",
                        &st);

    if (rc < 0)
        return rc;
    sqlite3_bind_int(st, 1, DB_USER_CODE_MAX_TRIES);
    db_bind_text(st, 2, device_code);
    rc = db_step_done(db, st, "count a wrong try");
    if (rc == 0)
        rc = db_prepare(db, "SELECT tries FROM device_codes WHERE device_code = ?", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_code);
    rc = db_step_int64(db, st, "read tries", true, &tries);
    *tries_left = tries >= DB_USER_CODE_MAX_TRIES ? 0 : DB_USER_CODE_MAX_TRIES - (int)tries;
    return rc;
}

/* The id and password hash of the account name; *id 0 and hash "" when there is none. */
static int account_login_locked(struct db *db, const char *name, long long *id, char *hash,
                                size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "SELECT id, COALESCE(password, '') FROM accounts WHERE name = ?", &st);

    *id = 0;
    hash[0] = '\0';
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, name);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *id = sqlite3_column_int64(st, 0);
        db_column_copy(st, 1, hash, cap);
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "account lookup");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Creates the account; *id 0 when the name is taken. */
static int account_create_locked(struct db *db, const char *name, const char *hash, long long now,
                                 long long *id)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(
        db, "INSERT OR IGNORE INTO accounts (name, created_at, password) VALUES (?, ?, ?)", &st);

    *id = 0;
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, now);
    db_bind_text(st, 3, hash);
    rc = db_step_done(db, st, "create account");
    if (rc == 0 && sqlite3_changes(db->conn) == 1)
        *id = sqlite3_last_insert_rowid(db->conn);
    return rc;
}

/* The second half of a decision, in one transaction: the code is checked again (another
 * request may have decided it meanwhile), the account created when asked, the device linked
 * and its wallet merged, the code marked. */
static int decide_locked(struct db *db, const struct db_decide_request *rq, const char *pw_hash,
                         long long account_id, enum db_decide_result *result, char *device_id)
{
    sqlite3_stmt *st = NULL;
    char device_code[DB_TOKEN_HEX_LEN + 1];
    bool approve = rq->action != DB_DECIDE_DENY;
    int rc;

    rc = code_state_locked(db, rq->user_code, rq->now, result, device_code, device_id);
    if (rc < 0 || *result != DB_DECIDE_DONE)
        return rc;
    if (rq->action == DB_DECIDE_CREATE) {
        rc = account_create_locked(db, rq->name, pw_hash, rq->now, &account_id);
        if (rc == 0 && account_id == 0) {
            *result = DB_DECIDE_NAME_TAKEN;
            return 0;
        }
    }
    if (rc == 0 && approve)
        rc = link_locked(db, device_id, account_id, rq->now);
    if (rc == 0)
        rc = db_prepare(db,
                        "UPDATE device_codes SET status = ?, account_id = NULLIF(?, 0)"
                        " WHERE device_code = ?",
                        &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, approve ? "approved" : "denied");
    sqlite3_bind_int64(st, 2, account_id);
    db_bind_text(st, 3, device_code);
    rc = db_step_done(db, st, "decide device code");
    if (rc == 0)
        *result = DB_DECIDE_DONE;
    return rc;
}

int db_device_code_decide(struct db *db, const struct db_decide_request *rq,
                          enum db_decide_result *result, int *tries_left, char *device_id)
{
    char dev[DB_DEVICE_ID_MAX + 1] = "";
    char device_code[DB_TOKEN_HEX_LEN + 1] = "";
    char hash[DB_PASSWORD_HASH_MAX] = "";
    long long account_id = 0;
    int left = DB_USER_CODE_MAX_TRIES;
    int rc;

    if (!db || !rq || !rq->user_code || !result ||
        (rq->action != DB_DECIDE_DENY && (!rq->name || !*rq->name || !rq->password)))
        return BINGE_EINVAL;
    /* Is there a pending code at all? An unknown one costs no scrypt. */
    pthread_mutex_lock(&db->lock);
    rc = code_state_locked(db, rq->user_code, rq->now, result, device_code, dev);
    if (rc == 0 && *result == DB_DECIDE_DONE && rq->action != DB_DECIDE_DENY)
        rc = account_login_locked(db, rq->name, &account_id, hash, sizeof(hash));
    pthread_mutex_unlock(&db->lock);
    if (rc < 0 || *result != DB_DECIDE_DONE)
        goto out;
    /* A taken name costs no scrypt: creating it again and again must not be a way to keep the
     * KDF busy. */
    if (rq->action == DB_DECIDE_CREATE && account_id > 0) {
        *result = DB_DECIDE_NAME_TAKEN;
        goto out;
    }
    /* The slow part runs without the database lock, and never waits for another sign-in's:
     * only one scrypt runs at a time, so parallel tries against one code cannot outrun its
     * count of wrong tries either. */
    int ok = rq->action == DB_DECIDE_APPROVE
                 ? db_password_verify_nowait(rq->password, account_id > 0 && hash[0] ? hash : NULL)
                 : 1;
    if (ok == BINGE_ESTATE) {
        *result = DB_DECIDE_BUSY;
        goto out;
    }
    if (rq->action == DB_DECIDE_APPROVE && ok != 1) {
        pthread_mutex_lock(&db->lock);
        rc = db_begin(db);
        if (rc == 0)
            rc = db_end(db, wrong_try_locked(db, device_code, &left));
        pthread_mutex_unlock(&db->lock);
        *result = DB_DECIDE_BAD_LOGIN;
        slog_msg(SLOG_INFO, "db", "wrong login for a device code of %s; %d tries left", dev, left);
        goto out;
    }
    if (rq->action == DB_DECIDE_CREATE) {
        rc = db_password_hash_nowait(rq->password, hash, sizeof(hash));
        if (rc == BINGE_ESTATE) {
            *result = DB_DECIDE_BUSY;
            rc = 0;
            goto out;
        }
        if (rc < 0)
            goto out;
    }
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, decide_locked(db, rq, hash, account_id, result, dev));
    pthread_mutex_unlock(&db->lock);
out:
    OPENSSL_cleanse(hash, sizeof(hash));
    if (tries_left)
        *tries_left = left;
    if (device_id)
        snprintf(device_id, DB_DEVICE_ID_MAX + 1, "%s", rc == 0 ? dev : "");
    return rc;
}
