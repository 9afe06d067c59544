/* The wallet history: the events of a wallet, newest first, read from the tables that record
 * them (the ledger, ad views, VIP unlocks and VIP grants). Nothing is written here. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "binge/error.h"
#include "db.h"
#include "db_internal.h"

/* ?1 owner, ?2 limit, ?3 language. The ledger rows of one action share their reason, ref, time
 * and device (a coin unlock's bonus and coin debits, a pack's coins and bonus coins), so they
 * group into one event. Each source is cut to the limit before the union, so the cost follows
 * the limit, not the wallet's age. Within one second the order is: VIP purchases, VIP unlocks,
 * ad unlocks, then ledger events newest row first. */
static const char history_sql[] =
    "WITH ev(src, seq, kind, method, t, coins, bonus, bonus_exp, ref) AS ("
    " SELECT * FROM (SELECT 0, MAX(id), reason,"
    "   CASE WHEN reason = 'unlock' THEN 'coins' END, created_at,"
    "   SUM(CASE WHEN kind = 'coins' THEN amount ELSE 0 END),"
    "   SUM(CASE WHEN kind = 'bonus' THEN amount ELSE 0 END),"
    "   MAX(CASE WHEN kind = 'bonus' AND amount > 0 THEN expires_at END), ref"
    "  FROM ledger WHERE owner = ?1"
    "  GROUP BY reason, COALESCE(ref, ''), created_at, COALESCE(device_id, '')"
    "  ORDER BY created_at DESC, MAX(id) DESC LIMIT ?2)"
    " UNION ALL"
    " SELECT * FROM (SELECT 1, id, 'unlock', 'ad', created_at, 0, 0, NULL, episode_id"
    "  FROM ad_views WHERE owner = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2)"
    " UNION ALL"
    " SELECT * FROM (SELECT 2, rowid, 'unlock', 'vip', created_at, 0, 0, NULL, episode_id"
    "  FROM unlocks WHERE owner = ?1 AND method = 'vip'"
    "  ORDER BY created_at DESC, rowid DESC LIMIT ?2)"
    " UNION ALL"
    /* A VIP pack credits no coins, so its purchase is only in vip_grants. */
    " SELECT * FROM (SELECT 3, v.id, 'purchase', NULL, v.created_at, 0, 0, NULL, v.source"
    "  FROM vip_grants v WHERE v.owner = ?1 AND v.source LIKE 'purchase:%'"
    "  AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.owner = ?1 AND l.ref = v.source)"
    "  ORDER BY v.created_at DESC, v.id DESC LIMIT ?2))"
    " SELECT ev.kind, COALESCE(ev.method, ''), ev.t, ev.coins, ev.bonus,"
    "  COALESCE(ev.bonus_exp, 0), e.id, e.idx, s.id, COALESCE(i.title, s.title), p.pack_id"
    " FROM ev"
    " LEFT JOIN episodes e ON ev.kind = 'unlock' AND e.id = ev.ref"
    " LEFT JOIN series s ON s.id = e.series_id"
    " LEFT JOIN series_i18n i ON i.series_id = s.id AND i.lang = ?3"
    " LEFT JOIN purchase_sessions p ON ev.kind = 'purchase'"
    "  AND p.id = substr(ev.ref, length('purchase:') + 1)"
    " ORDER BY ev.t DESC, ev.src DESC, ev.seq DESC LIMIT ?2";

void db_history_free(struct db_history_item *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].episode_id);
        free(list[i].series_id);
        free(list[i].series_title);
    }
    free(list);
}

/* A text column as a malloc'd string, or NULL (also for SQL NULL); *nomem when it failed. */
static char *column_or_null(sqlite3_stmt *st, int col, bool *nomem)
{
    char *s;

    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    s = db_column_dup(st, col);
    if (!s)
        *nomem = true;
    return s;
}

static int item_from_row(sqlite3_stmt *st, struct db_history_item *it)
{
    bool nomem = false;

    db_column_copy(st, 0, it->kind, sizeof(it->kind));
    db_column_copy(st, 1, it->method, sizeof(it->method));
    it->time = sqlite3_column_int64(st, 2);
    it->coins = sqlite3_column_int64(st, 3);
    it->bonus_coins = sqlite3_column_int64(st, 4);
    it->bonus_expires_at = sqlite3_column_int64(st, 5);
    it->episode_id = column_or_null(st, 6, &nomem);
    it->episode_index = sqlite3_column_int(st, 7);
    it->series_id = column_or_null(st, 8, &nomem);
    it->series_title = it->series_id ? column_or_null(st, 9, &nomem) : NULL;
    if (sqlite3_column_type(st, 10) != SQLITE_NULL)
        it->pack = db_pack_find((const char *)sqlite3_column_text(st, 10));
    return nomem ? BINGE_ENOMEM : 0;
}

int db_wallet_history(struct db *db, const char *owner, const char *lang, size_t limit,
                      struct db_history_item **out, size_t *n)
{
    struct db_history_item *list = NULL;
    sqlite3_stmt *st = NULL;
    size_t len = 0;
    int step = SQLITE_DONE;
    int rc;

    if (!db || !owner || !out || !n || limit < 1 || limit > DB_HISTORY_MAX)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    list = calloc(limit, sizeof(*list));
    if (!list)
        return BINGE_ENOMEM;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, history_sql, &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, (long long)limit);
    db_bind_text(st, 3, lang ? lang : "en");
    while (rc == 0 && len < limit && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = item_from_row(st, &list[len++]);
    if (rc == 0 && len < limit && step != SQLITE_DONE)
        rc = db_fail(db, "wallet history");
    sqlite3_finalize(st);
out:
    pthread_mutex_unlock(&db->lock);
    if (rc < 0 || len == 0) {
        db_history_free(list, len);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}
