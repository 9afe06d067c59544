/* "My list": the series a wallet owner keeps, per owner like the wallet (a linked device shares
 * its account's list; linking merges the guest's list into it, see db_account.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "binge/error.h"
#include "db.h"
#include "db_internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static int count_locked(struct db *db, const char *owner, size_t *count)
{
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int rc = db_prepare(db, "SELECT COUNT(*) FROM mylist WHERE owner = ?", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    rc = db_step_int64(db, st, "count my list", true, &n);
    *count = (size_t)n;
    return rc;
}

static int series_visible_locked(struct db *db, const char *series_id, bool *visible)
{
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int rc = db_prepare(db, "SELECT COUNT(*) FROM series WHERE id = ? AND hidden = 0", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, series_id);
    rc = db_step_int64(db, st, "series lookup", true, &n);
    *visible = n > 0;
    return rc;
}

static int add_locked(struct db *db, const struct db_principal *who, const char *series_id,
                      long long now, bool *added, size_t *count)
{
    sqlite3_stmt *st = NULL;
    bool visible = false;
    int rc = series_visible_locked(db, series_id, &visible);

    if (rc == 0 && !visible)
        rc = BINGE_ENOTFOUND;
    if (rc == 0)
        rc = count_locked(db, who->owner, count);
    if (rc == 0)
        rc = db_prepare(db, "SELECT COUNT(*) FROM mylist WHERE owner = ? AND series_id = ?", &st);
    if (rc < 0)
        return rc;
    long long there = 0;
    db_bind_text(st, 1, who->owner);
    db_bind_text(st, 2, series_id);
    rc = db_step_int64(db, st, "my list lookup", true, &there);
    if (rc < 0 || there > 0)
        return rc; /* already on the list: it keeps its place */
    if (*count >= DB_MYLIST_MAX)
        return BINGE_ETOOBIG;
    rc = db_prepare(
        db, "INSERT INTO mylist (owner, series_id, device_id, added_at) VALUES (?, ?, ?, ?)", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, who->owner);
    db_bind_text(st, 2, series_id);
    db_bind_text(st, 3, who->device_id);
    sqlite3_bind_int64(st, 4, now);
    rc = db_step_done(db, st, "add to my list");
    if (rc == 0) {
        *added = true;
        (*count)++;
    }
    return rc;
}

int db_mylist_add(struct db *db, const struct db_principal *who, const char *series_id,
                  long long now, bool *added, size_t *count)
{
    size_t n = 0;
    int rc;

    if (!db || !who || !series_id || !added)
        return BINGE_EINVAL;
    *added = false;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0) {
        int step = add_locked(db, who, series_id, now, added, &n);
        /* A refusal wrote nothing; it still ends the transaction cleanly. */
        rc = db_end(db, step == BINGE_ENOTFOUND || step == BINGE_ETOOBIG ? 0 : step);
        if (rc == 0)
            rc = step;
    }
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        *added = false;
    if (count)
        *count = n;
    return rc;
}

static int remove_locked(struct db *db, const char *owner, const char *series_id, bool *removed,
                         size_t *count)
{
    sqlite3_stmt *st = NULL;
    bool visible = true;
    int rc = db_prepare(db, "DELETE FROM mylist WHERE owner = ? AND series_id = ?", &st);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    db_bind_text(st, 2, series_id);
    rc = db_step_done(db, st, "remove from my list");
    if (rc < 0)
        return rc;
    *removed = sqlite3_changes(db->conn) > 0;
    if (!*removed)
        rc = series_visible_locked(db, series_id, &visible);
    if (rc == 0)
        rc = count_locked(db, owner, count);
    if (rc == 0 && !visible)
        rc = BINGE_ENOTFOUND;
    return rc;
}

int db_mylist_remove(struct db *db, const char *owner, const char *series_id, bool *removed,
                     size_t *count)
{
    size_t n = 0;
    int rc;

    if (!db || !owner || !series_id || !removed)
        return BINGE_EINVAL;
    *removed = false;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0) {
        int step = remove_locked(db, owner, series_id, removed, &n);
        rc = db_end(db, step == BINGE_ENOTFOUND ? 0 : step);
        if (rc == 0)
            rc = step;
    }
    pthread_mutex_unlock(&db->lock);
    if (count)
        *count = n;
    return rc;
}

void db_mylist_free(struct db_mylist_entry *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].series_id);
    free(list);
}

int db_mylist_list(struct db *db, const char *owner, struct db_mylist_entry **out, size_t *n)
{
    struct db_mylist_entry *list = NULL;
    sqlite3_stmt *st = NULL;
    size_t len = 0;
    int step = SQLITE_DONE;
    int rc;

    if (!db || !owner || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    /* Bounded by DB_MYLIST_MAX (a merge trims to it too), so one allocation holds it. */
    list = calloc(DB_MYLIST_MAX, sizeof(*list));
    if (!list)
        return BINGE_ENOMEM;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "SELECT m.series_id, m.added_at FROM mylist m JOIN series s ON s.id ="
                    " m.series_id WHERE m.owner = ? AND s.hidden = 0"
                    " ORDER BY m.added_at DESC, m.id DESC LIMIT " STR(DB_MYLIST_MAX),
                    &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, owner);
    while (len < DB_MYLIST_MAX && (step = sqlite3_step(st)) == SQLITE_ROW) {
        list[len].series_id = db_column_dup(st, 0);
        list[len].added_at = sqlite3_column_int64(st, 1);
        if (!list[len++].series_id) {
            rc = BINGE_ENOMEM;
            break;
        }
    }
    if (rc == 0 && len < DB_MYLIST_MAX && step != SQLITE_DONE)
        rc = db_fail(db, "list my list");
    sqlite3_finalize(st);
out:
    pthread_mutex_unlock(&db->lock);
    if (rc < 0 || len == 0) {
        db_mylist_free(list, len);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}

int db_mylist_has(struct db *db, const char *owner, const char *series_id, bool *in)
{
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int rc;

    if (!db || !owner || !series_id || !in)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT COUNT(*) FROM mylist WHERE owner = ? AND series_id = ?", &st);
    if (rc == 0) {
        db_bind_text(st, 1, owner);
        db_bind_text(st, 2, series_id);
        rc = db_step_int64(db, st, "my list lookup", true, &n);
    }
    pthread_mutex_unlock(&db->lock);
    *in = rc == 0 && n > 0;
    return rc;
}
