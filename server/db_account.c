/* Devices, tokens, accounts and the RFC 8628 device flow, including the merge of a guest
 * device's wallet into the account it is linked to. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "binge/error.h"
#include "db.h"
#include "db_internal.h"
#include "slog.h"

/* Old device codes are forgotten this long after they expired. */
#define DEVICE_CODE_KEEP_S 86400

int db_issue_tokens_locked(struct db *db, const char *device_id, long long now, long long ttl,
                           struct db_tokens *out)
{
    sqlite3_stmt *st = NULL;
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
    db_bind_text(st, 1, out->token);
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
    db_bind_text(st, 1, out->refresh_token);
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

static int register_locked(struct db *db, const char *device_id, long long now, long long ttl,
                           struct db_tokens *out)
{
    sqlite3_stmt *st = NULL;
    char owner[DB_OWNER_MAX + 1];
    int rc;

    rc = db_prepare(db, "INSERT OR IGNORE INTO devices (device_id, created_at) VALUES (?, ?)", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_id);
    sqlite3_bind_int64(st, 2, now);
    rc = db_step_done(db, st, "insert device");
    if (rc < 0)
        return rc;
    /* changes() is 1 only when the device row was new: the welcome credit is given once. */
    if (sqlite3_changes(db->conn) == 1) {
        db_owner_string(device_id, 0, owner);
        rc = db_ledger_add_locked(db, owner, device_id, "coins", DB_WELCOME_COINS, 0, 0, "welcome",
                                  NULL, now);
        if (rc < 0)
            return rc;
    }
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

int db_register_device(struct db *db, const char *device_id, long long now, long long token_ttl,
                       struct db_tokens *out)
{
    int rc;

    if (!db || !device_id || !*device_id || strlen(device_id) > DB_DEVICE_ID_MAX || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, register_locked(db, device_id, now, token_ttl, out));
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

int db_token_principal(struct db *db, const char *token, long long now, struct db_principal *out)
{
    sqlite3_stmt *st = NULL;
    char device_id[DB_DEVICE_ID_MAX + 1];
    int rc;

    if (!db || !token || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT device_id, expires_at FROM tokens WHERE token = ?", &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, token);
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
    sqlite3_stmt *st = NULL;
    int rc;

    rc = db_prepare(db, "SELECT device_id FROM refresh_tokens WHERE token = ? AND used_at IS NULL",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, refresh_token);
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
    db_bind_text(st, 2, refresh_token);
    rc = db_step_done(db, st, "use refresh token");
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
        db_bind_text(st, 1, out->device_code);
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
    int rc;

    if (!db || !device_code || !result || !interval || !tokens || !who)
        return BINGE_EINVAL;
    *interval = DB_DEVICE_CODE_INTERVAL;
    memset(tokens, 0, sizeof(*tokens));
    memset(who, 0, sizeof(*who));
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc =
            db_end(db, poll_locked(db, device_code, now, token_ttl, result, interval, tokens, who));
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

/* Links device_id to account_id and moves the rows its guest wallet owns into the account's.
 * Where both hold a row for the same thing: an unlock stays (a permanent one wins over a VIP
 * one), the newer progress wins, a day's check-in is kept once. Rows of an account the device
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
    };
    char to[DB_OWNER_MAX + 1];
    char from[DB_OWNER_MAX + 1];
    sqlite3_stmt *st = NULL;
    int rc = 0;

    db_owner_string(device_id, account_id, to);
    db_owner_string(device_id, 0, from);
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

static int account_id_locked(struct db *db, const char *name, long long now, long long *id)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "INSERT OR IGNORE INTO accounts (name, created_at) VALUES (?, ?)", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, now);
    rc = db_step_done(db, st, "create account");
    if (rc == 0)
        rc = db_prepare(db, "SELECT id FROM accounts WHERE name = ?", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, name);
    return db_step_int64(db, st, "account lookup", false, id);
}

static int decide_locked(struct db *db, const char *user_code, bool approve, const char *name,
                         long long now, enum db_decide_result *result, char *device_id)
{
    sqlite3_stmt *st = NULL;
    char device_code[DB_TOKEN_HEX_LEN + 1];
    char status[16];
    long long expires_at = 0;
    long long account_id = 0;
    int rc;

    *result = DB_DECIDE_UNKNOWN;
    rc = db_prepare(db,
                    "SELECT device_code, device_id, expires_at, status FROM device_codes"
                    " WHERE user_code = ?",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, user_code);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, device_code, sizeof(device_code));
        db_column_copy(st, 1, device_id, DB_DEVICE_ID_MAX + 1);
        expires_at = sqlite3_column_int64(st, 2);
        db_column_copy(st, 3, status, sizeof(status));
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "user code lookup");
    }
    sqlite3_finalize(st);
    if (rc == BINGE_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    if (strcmp(status, "pending") != 0) {
        *result = DB_DECIDE_USED;
        return 0;
    }
    if (now >= expires_at) {
        *result = DB_DECIDE_EXPIRED;
        return 0;
    }
    if (approve) {
        rc = account_id_locked(db, name, now, &account_id);
        if (rc == 0)
            rc = link_locked(db, device_id, account_id, now);
        if (rc < 0)
            return rc;
    }
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

int db_device_code_decide(struct db *db, const char *user_code, bool approve,
                          const char *account_name, long long now, enum db_decide_result *result,
                          char *device_id)
{
    char dev[DB_DEVICE_ID_MAX + 1] = "";
    int rc;

    if (!db || !user_code || !result || (approve && (!account_name || !*account_name)))
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, decide_locked(db, user_code, approve, account_name, now, result, dev));
    pthread_mutex_unlock(&db->lock);
    if (device_id)
        snprintf(device_id, DB_DEVICE_ID_MAX + 1, "%s", rc == 0 ? dev : "");
    return rc;
}
