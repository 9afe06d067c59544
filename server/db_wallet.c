/* The wallet: the ledger (coins and expiring bonus coins), unlocks with idempotency keys, daily
 * check-in, VIP, packs and phone checkout, and playback progress. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "binge/error.h"
#include "db.h"
#include "db_internal.h"
#include "slog.h"

#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

/* Idempotency records are kept this long. */
#define IDEM_KEEP_S (30L * 86400)

/* The progress rows looked at to build the "continue watching" shelf. */
#define CONTINUE_SCAN_MAX 1000

static const struct db_pack db_pack_table[] = {
    {"coins-60", 60, 0, 0, 0, 99, "USD"},          {"coins-300", 300, 30, 30, 0, 499, "USD"},
    {"coins-1000", 1000, 200, 30, 0, 1499, "USD"}, {"vip-7", 0, 0, 0, 7, 299, "USD"},
    {"vip-30", 0, 0, 0, 30, 999, "USD"},
};

const struct db_pack *db_packs(size_t *n)
{
    if (n)
        *n = sizeof(db_pack_table) / sizeof(db_pack_table[0]);
    return db_pack_table;
}

const struct db_pack *db_pack_find(const char *id)
{
    for (size_t i = 0; id && i < sizeof(db_pack_table) / sizeof(db_pack_table[0]); i++) {
        if (strcmp(db_pack_table[i].id, id) == 0)
            return &db_pack_table[i];
    }
    return NULL;
}

static long long day_of(long long t)
{
    /* Floor division, so times before 1970 (only ever seen in tests) still form days. */
    return t >= 0 ? t / DB_DAY : -((-t + DB_DAY - 1) / DB_DAY);
}

/* ---- ledger ------------------------------------------------------------------------------- */

int db_ledger_add_locked(struct db *db, const char *owner, const char *device_id, const char *kind,
                         long long amount, long long lot_id, long long expires_at,
                         const char *reason, const char *ref, long long now)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db,
                        "INSERT INTO ledger (owner, device_id, kind, amount, lot_id, expires_at,"
                        " reason, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    db_bind_text(st, 2, device_id);
    db_bind_text(st, 3, kind);
    sqlite3_bind_int64(st, 4, amount);
    if (lot_id > 0)
        sqlite3_bind_int64(st, 5, lot_id);
    else
        sqlite3_bind_null(st, 5);
    if (expires_at > 0)
        sqlite3_bind_int64(st, 6, expires_at);
    else
        sqlite3_bind_null(st, 6);
    db_bind_text(st, 7, reason);
    db_bind_text(st, 8, ref);
    sqlite3_bind_int64(st, 9, now);
    return db_step_done(db, st, "ledger insert");
}

/* Rows of the bonus lots still alive at ?2 for owner ?1: a lot is a bonus credit row (lot_id
 * NULL, with an expiry); spending from it adds rows pointing at it through lot_id. */
#define LIVE_LOTS                                                                                  \
    " FROM ledger r JOIN ledger lot ON lot.id = COALESCE(r.lot_id, r.id)"                          \
    " WHERE r.owner = ?1 AND r.kind = 'bonus' AND lot.expires_at > ?2"

int db_balances_locked(struct db *db, const char *owner, long long now, long long *coins,
                       long long *bonus)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(
        db, "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE owner = ? AND kind = 'coins'", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    rc = db_step_int64(db, st, "coin balance", true, coins);
    if (rc == 0)
        rc = db_prepare(db, "SELECT COALESCE(SUM(r.amount), 0)" LIVE_LOTS, &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, now);
    return db_step_int64(db, st, "bonus balance", true, bonus);
}

/* The live lots of owner with something left, soonest expiry first (FIFO by expiry). */
static int live_lots(struct db *db, const char *owner, long long now, sqlite3_stmt **st)
{
    int rc = db_prepare(db,
                        "SELECT lot.id, lot.expires_at, SUM(r.amount)" LIVE_LOTS
                        " GROUP BY lot.id HAVING SUM(r.amount) > 0"
                        " ORDER BY lot.expires_at, lot.id",
                        st);

    if (rc < 0)
        return rc;
    db_bind_text(*st, 1, owner);
    sqlite3_bind_int64(*st, 2, now);
    return 0;
}

/* Debits price from owner: bonus lots first, soonest expiry first, then coins. The caller has
 * checked that coins + bonus cover it. */
static int spend_locked(struct db *db, const struct db_principal *who, long long price,
                        long long now, const char *ref, long long *spent_coins,
                        long long *spent_bonus)
{
    struct {
        long long id;
        long long take;
    } takes[64];
    size_t n_takes;
    long long left = price;
    int rc;

    *spent_coins = 0;
    *spent_bonus = 0;
    /* In batches, collected first and written after: a statement must not read rows it is
     * changing. Each batch's debits empty its lots, so the next query starts past them. */
    do {
        sqlite3_stmt *st = NULL;
        n_takes = 0;
        rc = live_lots(db, who->owner, now, &st);
        if (rc < 0)
            return rc;
        while (left > 0 && n_takes < sizeof(takes) / sizeof(takes[0]) &&
               sqlite3_step(st) == SQLITE_ROW) {
            long long remaining = sqlite3_column_int64(st, 2);
            long long take = remaining < left ? remaining : left;
            takes[n_takes].id = sqlite3_column_int64(st, 0);
            takes[n_takes++].take = take;
            left -= take;
        }
        sqlite3_finalize(st);
        for (size_t i = 0; i < n_takes; i++) {
            rc = db_ledger_add_locked(db, who->owner, who->device_id, "bonus", -takes[i].take,
                                      takes[i].id, 0, "unlock", ref, now);
            if (rc < 0)
                return rc;
            *spent_bonus += takes[i].take;
        }
    } while (left > 0 && n_takes == sizeof(takes) / sizeof(takes[0]));
    if (left > 0) {
        rc = db_ledger_add_locked(db, who->owner, who->device_id, "coins", -left, 0, 0, "unlock",
                                  ref, now);
        if (rc < 0)
            return rc;
        *spent_coins = left;
    }
    return 0;
}

static int vip_state_locked(struct db *db, const char *owner, long long now, long long *expires,
                            bool *active)
{
    sqlite3_stmt *st = NULL;
    long long live = 0;
    int rc =
        db_prepare(db, "SELECT COALESCE(MAX(expires_at), 0) FROM vip_grants WHERE owner = ?", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    rc = db_step_int64(db, st, "vip expiry", true, expires);
    if (rc == 0)
        rc = db_prepare(db,
                        "SELECT COUNT(*) FROM vip_grants WHERE owner = ?"
                        " AND starts_at <= ?2 AND expires_at > ?2",
                        &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, now);
    rc = db_step_int64(db, st, "vip state", true, &live);
    *active = live > 0;
    return rc;
}

int db_vip_expiry_locked(struct db *db, const char *owner, long long *expires_at)
{
    bool active;
    return vip_state_locked(db, owner, 0, expires_at, &active);
}

/* Extends owner's VIP by days: a new grant from the end of the current one (or from now). */
static int vip_grant_locked(struct db *db, const char *owner, int days, const char *source,
                            long long now)
{
    sqlite3_stmt *st = NULL;
    long long expires = 0;
    long long start;
    int rc = db_vip_expiry_locked(db, owner, &expires);

    if (rc < 0)
        return rc;
    start = expires > now ? expires : now;
    rc = db_prepare(db,
                    "INSERT INTO vip_grants (owner, starts_at, expires_at, source, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int64(st, 3, start + (long long)days * DB_DAY);
    db_bind_text(st, 4, source);
    sqlite3_bind_int64(st, 5, now);
    return db_step_done(db, st, "grant vip");
}

static int ads_today_locked(struct db *db, const char *owner, long long now, int *count)
{
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int rc = db_prepare(db, "SELECT COUNT(*) FROM ad_views WHERE owner = ? AND day = ?", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, day_of(now));
    rc = db_step_int64(db, st, "ads today", true, &n);
    *count = (int)n;
    return rc;
}

/* The streak of owner's check-in on day, 0 when there is none. */
static int streak_on(struct db *db, const char *owner, long long day, int *streak)
{
    sqlite3_stmt *st = NULL;
    long long s = 0;
    int rc = db_prepare(db, "SELECT streak FROM checkins WHERE owner = ? AND day = ?", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, day);
    rc = db_step_int64(db, st, "check-in lookup", true, &s);
    *streak = (int)s;
    return rc;
}

int db_checkin_reward(int streak)
{
    long long r = (long long)(streak < 1 ? 1 : streak) * DB_CHECKIN_STEP;
    return r > DB_CHECKIN_CAP ? DB_CHECKIN_CAP : (int)r;
}

static int wallet_locked(struct db *db, const char *owner, long long now, struct db_wallet *w)
{
    sqlite3_stmt *st = NULL;
    int today = 0;
    int yesterday = 0;
    int rc;

    memset(w, 0, sizeof(*w));
    rc = db_balances_locked(db, owner, now, &w->coins, &w->bonus_coins);
    if (rc == 0)
        rc = live_lots(db, owner, now, &st);
    if (rc < 0)
        return rc;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        w->bonus_next_expiry = sqlite3_column_int64(st, 1);
        w->bonus_next_amount = sqlite3_column_int64(st, 2);
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "bonus lots");
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = vip_state_locked(db, owner, now, &w->vip_expires_at, &w->vip_active);
    if (rc == 0)
        rc = ads_today_locked(db, owner, now, &w->ads_today);
    if (rc == 0)
        rc = streak_on(db, owner, day_of(now), &today);
    if (rc == 0)
        rc = streak_on(db, owner, day_of(now) - 1, &yesterday);
    w->checked_in_today = today > 0;
    w->streak = today > 0 ? today : yesterday;
    return rc;
}

int db_wallet_get(struct db *db, const char *owner, long long now, struct db_wallet *out)
{
    int rc;

    if (!db || !owner || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = wallet_locked(db, owner, now, out);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* ---- unlocks ------------------------------------------------------------------------------ */

static const char *const method_names[] = {
    [DB_UNLOCK_COINS] = "coins",
    [DB_UNLOCK_AD] = "ad",
    [DB_UNLOCK_VIP] = "vip",
};

static enum db_unlock_method method_parse(const char *s)
{
    if (s && strcmp(s, "ad") == 0)
        return DB_UNLOCK_AD;
    if (s && strcmp(s, "vip") == 0)
        return DB_UNLOCK_VIP;
    return DB_UNLOCK_COINS;
}

/* The recorded answer of (device, key): 0 with *found, or *found false. */
static int idem_lookup(struct db *db, const char *device_id, const char *key, bool *found,
                       char **fingerprint, int *status, char **body)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db,
                        "SELECT fingerprint, status, body FROM idempotency"
                        " WHERE device_id = ? AND key = ?",
                        &st);

    *found = false;
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_id);
    db_bind_text(st, 2, key);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *found = true;
        *fingerprint = db_column_dup(st, 0);
        *status = sqlite3_column_int(st, 1);
        *body = db_column_dup(st, 2);
        if (!*fingerprint || !*body)
            rc = BINGE_ENOMEM;
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "idempotency lookup");
    }
    sqlite3_finalize(st);
    return rc;
}

static int idem_store(struct db *db, const struct db_unlock_request *rq, int status,
                      const char *body)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "DELETE FROM idempotency WHERE created_at < ?", &st);

    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, rq->now - IDEM_KEEP_S);
    rc = db_step_done(db, st, "forget old idempotency keys");
    if (rc == 0)
        rc = db_prepare(db,
                        "INSERT INTO idempotency (device_id, key, fingerprint, status, body,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, rq->who->device_id);
    db_bind_text(st, 2, rq->key);
    db_bind_text(st, 3, rq->fingerprint);
    sqlite3_bind_int(st, 4, status);
    db_bind_text(st, 5, body);
    sqlite3_bind_int64(st, 6, rq->now);
    return db_step_done(db, st, "record idempotency key");
}

static int unlock_row_method(struct db *db, const char *owner, const char *episode_id,
                             enum db_unlock_method *method)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "SELECT method FROM unlocks WHERE owner = ? AND episode_id = ?", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    db_bind_text(st, 2, episode_id);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *method = method_parse((const char *)sqlite3_column_text(st, 0));
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "unlock lookup");
    }
    sqlite3_finalize(st);
    return rc;
}

static int put_unlock(struct db *db, const struct db_unlock_request *rq)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db,
                        "INSERT INTO unlocks (owner, episode_id, method, device_id, created_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (owner, episode_id) DO UPDATE SET"
                        " method = excluded.method, device_id = excluded.device_id,"
                        " created_at = excluded.created_at",
                        &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, rq->who->owner);
    db_bind_text(st, 2, rq->episode_id);
    db_bind_text(st, 3, method_names[rq->method]);
    db_bind_text(st, 4, rq->who->device_id);
    sqlite3_bind_int64(st, 5, rq->now);
    return db_step_done(db, st, "store unlock");
}

static int add_ad_view(struct db *db, const struct db_unlock_request *rq)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db,
                        "INSERT INTO ad_views (owner, device_id, episode_id, day, created_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, rq->who->owner);
    db_bind_text(st, 2, rq->who->device_id);
    db_bind_text(st, 3, rq->episode_id);
    sqlite3_bind_int64(st, 4, day_of(rq->now));
    sqlite3_bind_int64(st, 5, rq->now);
    return db_step_done(db, st, "record ad view");
}

/* Decides and carries out the unlock; fills r. */
static int unlock_apply(struct db *db, const struct db_unlock_request *rq,
                        const struct db_episode *e, struct db_unlock_result *r)
{
    bool vip_active = false;
    long long coins = 0;
    long long bonus = 0;
    int rc;

    r->method = rq->method;
    rc = vip_state_locked(db, rq->who->owner, rq->now, &r->vip_expires_at, &vip_active);
    if (rc == 0)
        rc = ads_today_locked(db, rq->who->owner, rq->now, &r->ads_today);
    if (rc == 0)
        rc = db_balances_locked(db, rq->who->owner, rq->now, &coins, &bonus);
    if (rc < 0)
        return rc;
    if (e->price_coins == 0) {
        r->outcome = DB_UNLOCK_FREE;
    } else if (e->unlocked) {
        r->outcome = DB_UNLOCK_ALREADY;
        rc = unlock_row_method(db, rq->who->owner, rq->episode_id, &r->method);
    } else if (rq->method == DB_UNLOCK_COINS) {
        if (coins + bonus < e->price_coins) {
            r->outcome = DB_UNLOCK_SHORT;
        } else {
            r->outcome = DB_UNLOCK_DONE;
            rc = spend_locked(db, rq->who, e->price_coins, rq->now, rq->episode_id, &r->spent_coins,
                              &r->spent_bonus);
            if (rc == 0)
                rc = put_unlock(db, rq);
        }
    } else if (rq->method == DB_UNLOCK_AD) {
        if (r->ads_today >= rq->ads_per_day) {
            r->outcome = DB_UNLOCK_AD_LIMIT;
        } else {
            r->outcome = DB_UNLOCK_DONE;
            rc = add_ad_view(db, rq);
            if (rc == 0)
                rc = put_unlock(db, rq);
            r->ads_today++;
        }
    } else if (!vip_active) {
        r->outcome = DB_UNLOCK_VIP_INACTIVE;
    } else {
        r->outcome = DB_UNLOCK_DONE;
        rc = put_unlock(db, rq);
    }
    if (rc == 0)
        rc = db_balances_locked(db, rq->who->owner, rq->now, &r->coins, &r->bonus_coins);
    return rc;
}

static int unlock_locked(struct db *db, const struct db_unlock_request *rq,
                         db_unlock_render_fn render, void *ctx, int *status, char **body,
                         bool *replayed)
{
    struct db_unlock_result r;
    struct db_episode e;
    char *fingerprint = NULL;
    bool found = false;
    int rc;

    memset(&r, 0, sizeof(r));
    if (rq->key) {
        rc = idem_lookup(db, rq->who->device_id, rq->key, &found, &fingerprint, status, body);
        if (rc == 0 && found) {
            if (strcmp(fingerprint, rq->fingerprint) == 0) {
                *replayed = true;
            } else {
                rc = BINGE_ESTATE;
                free(*body);
                *body = NULL;
            }
        }
        free(fingerprint);
        if (rc < 0 || found)
            return rc;
    }
    rc = db_get_episode_locked(db, rq->episode_id, rq->who->owner, rq->now, &e);
    if (rc < 0)
        return rc;
    r.episode_id = e.id;
    r.episode_index = e.index;
    r.price_coins = e.price_coins;
    rc = unlock_apply(db, rq, &e, &r);
    if (rc == 0)
        rc = render(&r, ctx, status, body);
    /* Only a success is recorded: a refusal changed nothing, so a retry after a top-up (or the
     * next day, for ads) is judged afresh. */
    if (rc == 0 && *status == 200 && rq->key)
        rc = idem_store(db, rq, *status, *body);
    if (rc == 0 && r.outcome == DB_UNLOCK_DONE)
        slog_msg(SLOG_INFO, "db", "unlock %s by %s with %s: %lld coins, %lld bonus", e.id,
                 rq->who->owner, method_names[rq->method], r.spent_coins, r.spent_bonus);
    db_episode_clear(&e);
    return rc;
}

int db_unlock(struct db *db, const struct db_unlock_request *rq, db_unlock_render_fn render,
              void *ctx, int *status, char **body, bool *replayed)
{
    int rc;

    if (!db || !rq || !rq->who || !rq->episode_id || !render || !status || !body || !replayed ||
        (rq->key && !rq->fingerprint) || (unsigned)rq->method > DB_UNLOCK_VIP)
        return BINGE_EINVAL;
    *status = 0;
    *body = NULL;
    *replayed = false;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, unlock_locked(db, rq, render, ctx, status, body, replayed));
    pthread_mutex_unlock(&db->lock);
    if (rc < 0) {
        free(*body);
        *body = NULL;
    }
    return rc;
}

/* ---- check-in ----------------------------------------------------------------------------- */

static int checkin_locked(struct db *db, const struct db_principal *who, long long now,
                          struct db_checkin_result *out)
{
    sqlite3_stmt *st = NULL;
    long long day = day_of(now);
    char ref[48];
    int today = 0;
    int yesterday = 0;
    int rc;

    rc = streak_on(db, who->owner, day, &today);
    if (rc < 0)
        return rc;
    if (today > 0) {
        out->already = true;
        out->streak = today;
        return db_balances_locked(db, who->owner, now, &out->coins, &out->bonus_coins);
    }
    rc = streak_on(db, who->owner, day - 1, &yesterday);
    if (rc < 0)
        return rc;
    out->streak = yesterday + 1;
    out->reward = db_checkin_reward(out->streak);
    out->expires_at = now + DB_CHECKIN_BONUS_TTL;
    snprintf(ref, sizeof(ref), "checkin:%lld", day);
    rc = db_ledger_add_locked(db, who->owner, who->device_id, "bonus", out->reward, 0,
                              out->expires_at, "checkin", ref, now);
    if (rc == 0)
        rc = db_prepare(db,
                        "INSERT INTO checkins (owner, day, streak, reward, device_id, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, who->owner);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_int(st, 3, out->streak);
    sqlite3_bind_int(st, 4, out->reward);
    db_bind_text(st, 5, who->device_id);
    sqlite3_bind_int64(st, 6, now);
    rc = db_step_done(db, st, "record check-in");
    if (rc == 0)
        rc = db_balances_locked(db, who->owner, now, &out->coins, &out->bonus_coins);
    return rc;
}

int db_checkin(struct db *db, const struct db_principal *who, long long now,
               struct db_checkin_result *out)
{
    int rc;

    if (!db || !who || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, checkin_locked(db, who, now, out));
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* ---- phone checkout ----------------------------------------------------------------------- */

static int purchase_get_locked(struct db *db, const char *id, long long now,
                               struct db_purchase *out)
{
    sqlite3_stmt *st = NULL;
    struct db_principal who;
    char pack_id[64];
    char status[16];
    int rc;

    /* id may point into *out, which is cleared next. */
    rc = db_prepare(db,
                    "SELECT id, device_id, pack_id, status, created_at, expires_at,"
                    " COALESCE(completed_at, 0) FROM purchase_sessions WHERE id = ?",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, id);
    memset(out, 0, sizeof(*out));
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, out->id, sizeof(out->id));
        db_column_copy(st, 1, out->device_id, sizeof(out->device_id));
        db_column_copy(st, 2, pack_id, sizeof(pack_id));
        db_column_copy(st, 3, status, sizeof(status));
        out->created_at = sqlite3_column_int64(st, 4);
        out->expires_at = sqlite3_column_int64(st, 5);
        out->completed_at = sqlite3_column_int64(st, 6);
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "purchase lookup");
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    out->pack = db_pack_find(pack_id);
    if (!out->pack) {
        slog_msg(SLOG_ERROR, "db", "purchase %s names an unknown pack %s", out->id, pack_id);
        return BINGE_EIO;
    }
    if (strcmp(status, "completed") == 0)
        out->status = DB_PURCHASE_COMPLETED;
    else if (now > out->expires_at)
        out->status = DB_PURCHASE_EXPIRED;
    else
        out->status = DB_PURCHASE_PENDING;
    rc = db_principal_locked(db, out->device_id, &who);
    if (rc == 0)
        snprintf(out->owner, sizeof(out->owner), "%s", who.owner);
    return rc;
}

int db_purchase_new(struct db *db, const struct db_principal *who, const struct db_pack *pack,
                    long long now, struct db_purchase *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !who || !pack || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    rc = db_random_hex(DB_PURCHASE_ID_LEN / 2, out->id);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&db->lock);
    /* Unpaid sessions are forgotten a day after they expired, so the table stays small. */
    rc = db_prepare(db, "DELETE FROM purchase_sessions WHERE status = 'pending' AND expires_at < ?",
                    &st);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, now - DB_DAY);
        rc = db_step_done(db, st, "forget old purchases");
    }
    if (rc == 0)
        rc = db_prepare(db,
                        "INSERT INTO purchase_sessions (id, device_id, pack_id, created_at,"
                        " expires_at) VALUES (?, ?, ?, ?, ?)",
                        &st);
    if (rc == 0) {
        db_bind_text(st, 1, out->id);
        db_bind_text(st, 2, who->device_id);
        db_bind_text(st, 3, pack->id);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, now + DB_PURCHASE_TTL);
        rc = db_step_done(db, st, "create purchase");
    }
    if (rc == 0)
        rc = purchase_get_locked(db, out->id, now, out);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_purchase_get(struct db *db, const char *id, long long now, struct db_purchase *out)
{
    int rc;

    if (!db || !id || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = purchase_get_locked(db, id, now, out);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static int purchase_complete_locked(struct db *db, const char *id, long long now, bool *already,
                                    struct db_purchase *p)
{
    sqlite3_stmt *st = NULL;
    const struct db_pack *pack;
    char ref[DB_PURCHASE_ID_LEN + 16];
    int rc = purchase_get_locked(db, id, now, p);

    if (rc < 0)
        return rc;
    if (p->status == DB_PURCHASE_COMPLETED) {
        *already = true;
        return 0;
    }
    if (p->status == DB_PURCHASE_EXPIRED)
        return BINGE_ETIMEDOUT;
    /* The status change and the credit commit together; the WHERE makes a second payment a
     * no-op even if two ever got this far. */
    rc = db_prepare(db,
                    "UPDATE purchase_sessions SET status = 'completed', completed_at = ?"
                    " WHERE id = ? AND status = 'pending'",
                    &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    db_bind_text(st, 2, id);
    rc = db_step_done(db, st, "complete purchase");
    if (rc < 0)
        return rc;
    if (sqlite3_changes(db->conn) != 1) {
        *already = true;
        return 0;
    }
    pack = p->pack;
    snprintf(ref, sizeof(ref), "purchase:%s", p->id);
    if (pack->coins > 0)
        rc = db_ledger_add_locked(db, p->owner, p->device_id, "coins", pack->coins, 0, 0,
                                  "purchase", ref, now);
    if (rc == 0 && pack->bonus_coins > 0)
        rc = db_ledger_add_locked(db, p->owner, p->device_id, "bonus", pack->bonus_coins, 0,
                                  now + (long long)pack->bonus_days * DB_DAY, "purchase", ref, now);
    if (rc == 0 && pack->vip_days > 0)
        rc = vip_grant_locked(db, p->owner, pack->vip_days, ref, now);
    if (rc == 0)
        rc = purchase_get_locked(db, id, now, p);
    if (rc == 0)
        slog_msg(SLOG_INFO, "db", "purchase %.8s... paid: %s for %s", p->id, pack->id, p->owner);
    return rc;
}

int db_purchase_complete(struct db *db, const char *id, long long now, bool *already,
                         struct db_purchase *out)
{
    struct db_purchase p;
    int rc;

    if (!db || !id || !already)
        return BINGE_EINVAL;
    memset(&p, 0, sizeof(p));
    *already = false;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, purchase_complete_locked(db, id, now, already, &p));
    pthread_mutex_unlock(&db->lock);
    if (out)
        *out = p;
    return rc;
}

/* ---- progress ----------------------------------------------------------------------------- */

bool db_progress_finished(long long position_ms, long long duration_ms)
{
    return duration_ms > 0 && position_ms * 100 >= duration_ms * 95;
}

static int progress_item_locked(struct db *db, const struct db_principal *who,
                                struct db_progress_item *it, long long now)
{
    sqlite3_stmt *st = NULL;
    long long exists = 0;
    int rc = db_prepare(db,
                        "INSERT OR IGNORE INTO progress_events (device_id, event_id, created_at)"
                        " VALUES (?, ?, ?)",
                        &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, who->device_id);
    db_bind_text(st, 2, it->event_id);
    sqlite3_bind_int64(st, 3, now);
    rc = db_step_done(db, st, "record progress event");
    if (rc < 0)
        return rc;
    if (sqlite3_changes(db->conn) == 0) {
        it->status = DB_PROGRESS_DUPLICATE;
        return 0;
    }
    rc = db_prepare(db, "SELECT COUNT(*) FROM episodes WHERE id = ? AND hidden = 0", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, it->episode_id);
    rc = db_step_int64(db, st, "episode lookup", true, &exists);
    if (rc < 0)
        return rc;
    if (!exists) {
        it->status = DB_PROGRESS_UNKNOWN;
        return 0;
    }
    /* Newest wins: the upsert only replaces an older position. */
    rc = db_prepare(db,
                    "INSERT INTO progress (owner, episode_id, position_ms, duration_ms, updated_at,"
                    " device_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (owner, episode_id) DO"
                    " UPDATE SET position_ms = excluded.position_ms,"
                    " duration_ms = excluded.duration_ms, updated_at = excluded.updated_at,"
                    " device_id = excluded.device_id"
                    " WHERE excluded.updated_at > progress.updated_at",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, who->owner);
    db_bind_text(st, 2, it->episode_id);
    sqlite3_bind_int64(st, 3, it->position_ms);
    sqlite3_bind_int64(st, 4, it->duration_ms);
    sqlite3_bind_int64(st, 5, it->updated_at);
    db_bind_text(st, 6, who->device_id);
    rc = db_step_done(db, st, "store progress");
    if (rc == 0)
        it->status = sqlite3_changes(db->conn) == 1 ? DB_PROGRESS_APPLIED : DB_PROGRESS_STALE;
    return rc;
}

static int progress_locked(struct db *db, const struct db_principal *who,
                           struct db_progress_item *items, size_t n, long long now)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "DELETE FROM progress_events WHERE created_at < ?", &st);

    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, now - DB_PROGRESS_EVENT_TTL);
    rc = db_step_done(db, st, "forget old progress events");
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = progress_item_locked(db, who, &items[i], now);
    return rc;
}

int db_progress_apply(struct db *db, const struct db_principal *who, struct db_progress_item *items,
                      size_t n, long long now)
{
    int rc;

    if (!db || !who || (!items && n > 0) || n > DB_PROGRESS_BATCH_MAX)
        return BINGE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].episode_id || !items[i].event_id)
            return BINGE_EINVAL;
    }
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, progress_locked(db, who, items, n, now));
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_progress_resume(struct db *db, const char *owner, const char *episode_id,
                       long long *resume_ms)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !owner || !episode_id || !resume_ms)
        return BINGE_EINVAL;
    *resume_ms = 0;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "SELECT p.position_ms, p.duration_ms, e.duration_s FROM progress p"
                    " JOIN episodes e ON e.id = p.episode_id"
                    " WHERE p.owner = ? AND p.episode_id = ?",
                    &st);
    if (rc == 0) {
        db_bind_text(st, 1, owner);
        db_bind_text(st, 2, episode_id);
        switch (sqlite3_step(st)) {
        case SQLITE_ROW: {
            long long pos = sqlite3_column_int64(st, 0);
            long long dur = sqlite3_column_int64(st, 1);
            if (dur <= 0)
                dur = sqlite3_column_int64(st, 2) * 1000;
            *resume_ms = db_progress_finished(pos, dur) ? 0 : pos;
            break;
        }
        case SQLITE_DONE:
            break;
        default:
            rc = db_fail(db, "resume position");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

void db_continue_list_free(struct db_continue_item *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].series_id);
        free(list[i].episode_id);
    }
    free(list);
}

/* The episode after (series_id, index): 0 with *found, or *found false. */
static int next_episode(struct db *db, const char *series_id, int index, bool *found,
                        struct db_continue_item *item)
{
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db,
                        "SELECT id, idx, duration_s FROM episodes WHERE series_id = ? AND idx > ?"
                        " AND hidden = 0 ORDER BY idx LIMIT 1",
                        &st);

    *found = false;
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, series_id);
    sqlite3_bind_int(st, 2, index);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *found = true;
        item->episode_id = db_column_dup(st, 0);
        item->episode_index = sqlite3_column_int(st, 1);
        item->duration_ms = sqlite3_column_int64(st, 2) * 1000;
        item->resume_ms = 0;
        if (!item->episode_id)
            rc = BINGE_ENOMEM;
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "next episode");
    }
    sqlite3_finalize(st);
    return rc;
}

static bool series_listed(const struct db_continue_item *list, size_t n, const char *series_id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].series_id, series_id) == 0)
            return true;
    }
    return false;
}

int db_series_resume(struct db *db, const char *owner, const char *series_id, bool *found,
                     struct db_continue_item *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !owner || !series_id || !found || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    *found = false;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "SELECT p.episode_id, e.idx, p.position_ms, p.duration_ms, e.duration_s,"
                    " p.updated_at FROM progress p JOIN episodes e ON e.id = p.episode_id"
                    " WHERE p.owner = ? AND e.series_id = ? AND e.hidden = 0"
                    " ORDER BY p.updated_at DESC, p.episode_id LIMIT 1",
                    &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, owner);
    db_bind_text(st, 2, series_id);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW: {
        long long pos = sqlite3_column_int64(st, 2);
        long long dur = sqlite3_column_int64(st, 3);
        int index = sqlite3_column_int(st, 1);
        if (dur <= 0)
            dur = sqlite3_column_int64(st, 4) * 1000;
        out->updated_at = sqlite3_column_int64(st, 5);
        if (db_progress_finished(pos, dur)) {
            rc = next_episode(db, series_id, index, found, out);
            break;
        }
        out->episode_id = db_column_dup(st, 0);
        out->episode_index = index;
        out->resume_ms = pos;
        out->duration_ms = dur;
        *found = out->episode_id != NULL;
        rc = out->episode_id ? 0 : BINGE_ENOMEM;
        break;
    }
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "series resume");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    if (rc < 0 || !*found) {
        free(out->episode_id);
        out->episode_id = NULL;
        *found = false;
    }
    return rc;
}

int db_continue_list(struct db *db, const char *owner, struct db_continue_item **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct db_continue_item *list = NULL;
    char **seen = NULL;
    size_t n_seen = 0;
    size_t len = 0;
    int step = SQLITE_DONE;
    int rc;

    if (!db || !owner || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    list = calloc(DB_CONTINUE_MAX, sizeof(*list));
    seen = calloc(CONTINUE_SCAN_MAX, sizeof(*seen));
    if (!list || !seen) {
        free(list);
        free(seen);
        return BINGE_ENOMEM;
    }
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "SELECT p.episode_id, e.series_id, e.idx, p.position_ms, p.duration_ms,"
                    " e.duration_s, p.updated_at FROM progress p"
                    " JOIN episodes e ON e.id = p.episode_id JOIN series s ON s.id = e.series_id"
                    " WHERE p.owner = ? AND e.hidden = 0 AND s.hidden = 0"
                    " ORDER BY p.updated_at DESC, p.episode_id LIMIT " DB_STR(CONTINUE_SCAN_MAX),
                    &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, owner);
    while (len < DB_CONTINUE_MAX && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *series_id = (const char *)sqlite3_column_text(st, 1);
        struct db_continue_item *item = &list[len];
        long long pos = sqlite3_column_int64(st, 3);
        long long dur = sqlite3_column_int64(st, 4);
        bool skip = false;

        if (!series_id)
            continue;
        /* Only the most recent progress of a series counts. */
        for (size_t i = 0; i < n_seen && !skip; i++)
            skip = strcmp(seen[i], series_id) == 0;
        if (skip || n_seen == CONTINUE_SCAN_MAX)
            continue;
        seen[n_seen] = strdup(series_id);
        if (!seen[n_seen++]) {
            rc = BINGE_ENOMEM;
            goto out;
        }
        if (dur <= 0)
            dur = sqlite3_column_int64(st, 5) * 1000;
        item->updated_at = sqlite3_column_int64(st, 6);
        if (db_progress_finished(pos, dur)) {
            bool found;
            rc = next_episode(db, series_id, sqlite3_column_int(st, 2), &found, item);
            if (rc < 0)
                goto out;
            if (!found)
                continue; /* the series is watched to the end */
        } else {
            item->episode_id = db_column_dup(st, 0);
            item->episode_index = sqlite3_column_int(st, 2);
            item->resume_ms = pos;
            item->duration_ms = dur;
        }
        item->series_id = strdup(series_id);
        if (!item->episode_id || !item->series_id || series_listed(list, len, series_id)) {
            rc = item->episode_id && item->series_id ? 0 : BINGE_ENOMEM;
            free(item->episode_id);
            free(item->series_id);
            memset(item, 0, sizeof(*item));
            if (rc < 0)
                goto out;
            continue;
        }
        len++;
    }
    if (len < DB_CONTINUE_MAX && step != SQLITE_DONE)
        rc = db_fail(db, "continue watching");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    for (size_t i = 0; i < n_seen; i++)
        free(seen[i]);
    free(seen);
    if (rc < 0) {
        db_continue_list_free(list, len);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}
