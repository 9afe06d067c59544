#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "binge/error.h"
#include "sign.h"
#include "slog.h"

/* catalog.json larger than this is refused rather than read into memory. */
#define DB_CATALOG_MAX (16L * 1024 * 1024)

/* Bumped when the schema changes; later versions migrate from here. */
#define DB_SCHEMA_VERSION 1
#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

struct db {
    sqlite3 *conn;
    pthread_mutex_t lock;
};

static const char db_schema[] =
    "CREATE TABLE IF NOT EXISTS settings ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS series ("
    "  id TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL,"
    "  synopsis TEXT NOT NULL DEFAULT '', genre TEXT NOT NULL DEFAULT '',"
    "  poster TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS episodes ("
    "  id TEXT PRIMARY KEY, series_id TEXT NOT NULL REFERENCES series(id),"
    "  idx INTEGER NOT NULL, title TEXT NOT NULL, duration_s INTEGER NOT NULL,"
    "  path TEXT NOT NULL, price_coins INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (series_id, idx));"
    "CREATE TABLE IF NOT EXISTS devices ("
    "  device_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tokens ("
    "  token TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ledger ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  amount INTEGER NOT NULL, reason TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ledger_device ON ledger (device_id);"
    "CREATE TABLE IF NOT EXISTS unlocks ("
    "  device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  episode_id TEXT NOT NULL REFERENCES episodes(id),"
    "  method TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (device_id, episode_id));";

static int db_fail(struct db *db, const char *what)
{
    slog_msg(SLOG_ERROR, "db", "%s: %s", what, sqlite3_errmsg(db->conn));
    return BINGE_EIO;
}

static int db_exec(struct db *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        slog_msg(SLOG_ERROR, "db", "%s", msg ? msg : "sqlite3_exec failed");
        sqlite3_free(msg);
        return BINGE_EIO;
    }
    return 0;
}

static int step_done(struct db *db, sqlite3_stmt *st, const char *what);

static int db_prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db->conn, sql, -1, st, NULL) != SQLITE_OK)
        return db_fail(db, "prepare");
    return 0;
}

static char *column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return strdup(text ? (const char *)text : "");
}

int db_new(const char *path, struct db **out)
{
    struct db *db;
    int rc;

    if (!path || !out)
        return BINGE_EINVAL;
    *out = NULL;
    db = calloc(1, sizeof(*db));
    if (!db)
        return BINGE_ENOMEM;
    pthread_mutex_init(&db->lock, NULL);
    if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        slog_msg(SLOG_ERROR, "db", "cannot open %s: %s", path,
                 db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
        rc = BINGE_EIO;
        goto fail;
    }
    /* Waits out another process's write lock instead of failing with SQLITE_BUSY at once. */
    sqlite3_busy_timeout(db->conn, 5000);
    rc = db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                     "PRAGMA synchronous=NORMAL;");
    if (rc < 0)
        goto fail;
    rc = db_exec(db, db_schema);
    if (rc < 0)
        goto fail;
    rc = db_exec(db, "PRAGMA user_version=" DB_STR(DB_SCHEMA_VERSION) ";");
    if (rc < 0)
        goto fail;
    *out = db;
    return 0;

fail:
    db_free(db);
    return rc;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    sqlite3_close(db->conn);
    pthread_mutex_destroy(&db->lock);
    free(db);
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    int rc = BINGE_EIO;

    *out = NULL;
    if (!f) {
        slog_msg(SLOG_ERROR, "db", "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? BINGE_ENOTFOUND : BINGE_EIO;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail;
    if (size > DB_CATALOG_MAX) {
        slog_msg(SLOG_ERROR, "db", "%s is larger than %ld bytes", path, DB_CATALOG_MAX);
        rc = BINGE_ETOOBIG;
        goto fail;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        goto fail;
    buf[size] = '\0';
    fclose(f);
    *out = buf;
    *len = (size_t)size;
    return 0;

fail:
    if (rc == BINGE_EIO)
        slog_msg(SLOG_ERROR, "db", "cannot read %s", path);
    free(buf);
    fclose(f);
    return rc;
}

static bool is_slug(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    }
    return true;
}

static const char *json_string(const cJSON *obj, const char *key, bool required, bool *bad)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!item) {
        if (required)
            *bad = true;
        return "";
    }
    if (!cJSON_IsString(item) || !item->valuestring) {
        *bad = true;
        return "";
    }
    return item->valuestring;
}

static int seed_episode(struct db *db, sqlite3_stmt *st, const char *series_id, const cJSON *ep,
                        size_t series_pos, size_t ep_pos)
{
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(ep, "index");
    const cJSON *duration = cJSON_GetObjectItemCaseSensitive(ep, "duration_s");
    bool bad = !cJSON_IsObject(ep);
    const char *title = json_string(ep, "title", true, &bad);
    const char *path = json_string(ep, "path", true, &bad);
    char id[128];

    if (bad || !cJSON_IsNumber(index) || index->valuedouble < 1 || index->valuedouble > 100000 ||
        index->valuedouble != (double)index->valueint || !cJSON_IsNumber(duration) ||
        duration->valuedouble < 0 || duration->valuedouble > 86400 || !sign_path_is_safe(path)) {
        slog_msg(SLOG_ERROR, "db",
                 "catalog.json: series[%zu].episodes[%zu] needs index (1..100000), title, "
                 "duration_s and a relative path",
                 series_pos, ep_pos);
        return BINGE_EPARSE;
    }
    snprintf(id, sizeof(id), "%s-%d", series_id, index->valueint);
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, series_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, index->valueint);
    sqlite3_bind_text(st, 4, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, (int)(duration->valuedouble + 0.5));
    sqlite3_bind_text(st, 6, path, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: episode %s: %s", id, sqlite3_errmsg(db->conn));
        return BINGE_EPARSE;
    }
    return 0;
}

static int seed_series(struct db *db, sqlite3_stmt *st_series, sqlite3_stmt *st_ep, const cJSON *s,
                       size_t pos)
{
    bool bad = !cJSON_IsObject(s);
    const char *id = json_string(s, "id", true, &bad);
    const char *title = json_string(s, "title", true, &bad);
    const char *synopsis = json_string(s, "synopsis", false, &bad);
    const char *genre = json_string(s, "genre", false, &bad);
    const char *poster = json_string(s, "poster", false, &bad);
    const cJSON *episodes = cJSON_GetObjectItemCaseSensitive(s, "episodes");
    const cJSON *ep;
    size_t ep_pos = 0;
    int rc;

    if (bad || !is_slug(id) || !cJSON_IsArray(episodes) ||
        (*poster && !sign_path_is_safe(poster))) {
        slog_msg(SLOG_ERROR, "db",
                 "catalog.json: series[%zu] needs an id ([a-z0-9-]+), a title, string "
                 "synopsis/genre/poster and an episodes array",
                 pos);
        return BINGE_EPARSE;
    }
    sqlite3_reset(st_series);
    sqlite3_bind_text(st_series, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st_series, 2, (sqlite3_int64)pos);
    sqlite3_bind_text(st_series, 3, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st_series, 4, synopsis, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st_series, 5, genre, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st_series, 6, poster, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st_series) != SQLITE_DONE) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: series %s: %s", id, sqlite3_errmsg(db->conn));
        return BINGE_EPARSE;
    }
    cJSON_ArrayForEach(ep, episodes)
    {
        rc = seed_episode(db, st_ep, id, ep, pos, ep_pos++);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int seed_locked(struct db *db, const char *media_dir)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    const cJSON *list;
    const cJSON *s;
    sqlite3_stmt *st_series = NULL;
    sqlite3_stmt *st_ep = NULL;
    size_t pos = 0;
    int rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/catalog.json", media_dir) >= sizeof(path))
        return BINGE_EINVAL;
    rc = read_file(path, &text, &len);
    if (rc < 0)
        return rc;
    root = cJSON_ParseWithLength(text, len);
    list = cJSON_GetObjectItemCaseSensitive(root, "series");
    if (!root || !cJSON_IsArray(list)) {
        slog_msg(SLOG_ERROR, "db", "%s: not a JSON object with a \"series\" array", path);
        rc = BINGE_EPARSE;
        goto fail;
    }
    rc = db_prepare(db,
                    "INSERT INTO series (id, position, title, synopsis, genre, poster)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    &st_series);
    if (rc < 0)
        goto fail;
    rc = db_prepare(db,
                    "INSERT INTO episodes (id, series_id, idx, title, duration_s, path)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    &st_ep);
    if (rc < 0)
        goto fail;
    cJSON_ArrayForEach(s, list)
    {
        rc = seed_series(db, st_series, st_ep, s, pos++);
        if (rc < 0)
            goto fail;
    }
    if (pos == 0) {
        slog_msg(SLOG_ERROR, "db", "%s: the series array is empty", path);
        rc = BINGE_EPARSE;
        goto fail;
    }
    slog_msg(SLOG_INFO, "db", "seeding %zu series from %s", pos, path);

fail:
    sqlite3_finalize(st_series);
    sqlite3_finalize(st_ep);
    cJSON_Delete(root);
    free(text);
    return rc;
}

int db_seed_catalog(struct db *db, const char *media_dir, bool *seeded)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !media_dir)
        return BINGE_EINVAL;
    if (seeded)
        *seeded = false;
    pthread_mutex_lock(&db->lock);
    /* The count and the inserts share one write transaction, so two servers starting on a fresh
     * database cannot both seed it. */
    rc = db_exec(db, "BEGIN IMMEDIATE");
    if (rc < 0)
        goto out;
    rc = db_prepare(db, "SELECT COUNT(*) FROM series", &st);
    if (rc == 0 && sqlite3_step(st) != SQLITE_ROW)
        rc = db_fail(db, "count series");
    if (rc == 0 && sqlite3_column_int64(st, 0) == 0) {
        rc = seed_locked(db, media_dir);
        if (rc == 0 && seeded)
            *seeded = true;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == 0)
        rc = db_exec(db, "COMMIT");
    if (rc < 0)
        db_exec(db, "ROLLBACK");
out:
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_apply_prices(struct db *db, int free_episodes)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || free_episodes < 0)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "UPDATE episodes SET price_coins = CASE WHEN idx > ? THEN ? ELSE 0 END",
                    &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_int(st, 1, free_episodes);
    sqlite3_bind_int(st, 2, DB_LOCKED_PRICE);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(db, "apply prices");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static void hex_encode(const unsigned char *raw, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int hex_decode(const char *hex, unsigned char *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return BINGE_EPARSE;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_nibble(hex[2 * i]);
        int lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BINGE_EPARSE;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int db_secret(struct db *db, unsigned char *out)
{
    sqlite3_stmt *st = NULL;
    unsigned char raw[DB_SECRET_LEN];
    char hex[2 * DB_SECRET_LEN + 1];
    int rc;

    if (!db || !out)
        return BINGE_EINVAL;
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        slog_msg(SLOG_ERROR, "db", "RAND_bytes failed");
        return BINGE_EIO;
    }
    hex_encode(raw, sizeof(raw), hex);
    OPENSSL_cleanse(raw, sizeof(raw));
    pthread_mutex_lock(&db->lock);
    /* Insert-if-absent then read back: whichever process stored a secret first wins, and every
     * later start (or a concurrent one) reads that same secret. */
    rc =
        db_prepare(db, "INSERT OR IGNORE INTO settings (key, value) VALUES ('url_secret', ?)", &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
    rc = step_done(db, st, "store secret");
    st = NULL;
    if (rc < 0)
        goto out;
    rc = db_prepare(db, "SELECT value FROM settings WHERE key = 'url_secret'", &st);
    if (rc < 0)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_fail(db, "read secret");
        goto out;
    }
    rc = hex_decode((const char *)sqlite3_column_text(st, 0), out, DB_SECRET_LEN);
    if (rc < 0)
        slog_msg(SLOG_ERROR, "db", "settings.url_secret is not %d hex bytes", DB_SECRET_LEN);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc;
}

static int step_done(struct db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, what);
    sqlite3_finalize(st);
    return rc;
}

static int register_locked(struct db *db, const char *device_id, const char *token, long long now)
{
    sqlite3_stmt *st = NULL;
    int rc;

    rc = db_prepare(db, "INSERT OR IGNORE INTO devices (device_id, created_at) VALUES (?, ?)", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, device_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    rc = step_done(db, st, "insert device");
    if (rc < 0)
        return rc;
    /* changes() is 1 only when the device row was new: the welcome credit is given once. */
    if (sqlite3_changes(db->conn) == 1) {
        rc = db_prepare(db,
                        "INSERT INTO ledger (device_id, amount, reason, created_at)"
                        " VALUES (?, ?, 'welcome', ?)",
                        &st);
        if (rc < 0)
            return rc;
        sqlite3_bind_text(st, 1, device_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, DB_WELCOME_COINS);
        sqlite3_bind_int64(st, 3, now);
        rc = step_done(db, st, "welcome credit");
        if (rc < 0)
            return rc;
    }
    rc = db_prepare(db, "INSERT INTO tokens (token, device_id, created_at) VALUES (?, ?, ?)", &st);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, device_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    return step_done(db, st, "insert token");
}

int db_register_device(struct db *db, const char *device_id, char *token)
{
    unsigned char raw[DB_TOKEN_HEX_LEN / 2];
    int rc;

    if (!db || !device_id || !*device_id || strlen(device_id) > DB_DEVICE_ID_MAX || !token)
        return BINGE_EINVAL;
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return BINGE_EIO;
    hex_encode(raw, sizeof(raw), token);
    pthread_mutex_lock(&db->lock);
    rc = db_exec(db, "BEGIN IMMEDIATE");
    if (rc == 0) {
        rc = register_locked(db, device_id, token, (long long)time(NULL));
        db_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK");
    }
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        token[0] = '\0';
    return rc;
}

int db_token_device(struct db *db, const char *token, char *device_id)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !token || !device_id)
        return BINGE_EINVAL;
    device_id[0] = '\0';
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT device_id FROM tokens WHERE token = ?", &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        snprintf(device_id, DB_DEVICE_ID_MAX + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "token lookup");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_balance(struct db *db, const char *device_id, long long *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !device_id || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE device_id = ?", &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_text(st, 1, device_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = db_fail(db, "balance");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

#define SERIES_COLUMNS                                                                             \
    "s.id, s.title, s.synopsis, s.genre, s.poster,"                                                \
    " (SELECT COUNT(*) FROM episodes e WHERE e.series_id = s.id)"

static int series_from_row(sqlite3_stmt *st, struct db_series *s)
{
    s->id = column_dup(st, 0);
    s->title = column_dup(st, 1);
    s->synopsis = column_dup(st, 2);
    s->genre = column_dup(st, 3);
    s->poster = column_dup(st, 4);
    s->episode_count = sqlite3_column_int(st, 5);
    if (!s->id || !s->title || !s->synopsis || !s->genre || !s->poster)
        return BINGE_ENOMEM;
    return 0;
}

void db_series_clear(struct db_series *s)
{
    if (!s)
        return;
    free(s->id);
    free(s->title);
    free(s->synopsis);
    free(s->genre);
    free(s->poster);
    memset(s, 0, sizeof(*s));
}

void db_series_list_free(struct db_series *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        db_series_clear(&list[i]);
    free(list);
}

int db_list_series(struct db *db, struct db_series **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct db_series *list = NULL;
    size_t len = 0;
    size_t cap = 0;
    int step;
    int rc;

    if (!db || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT " SERIES_COLUMNS " FROM series s ORDER BY s.position", &st);
    if (rc < 0)
        goto fail;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct db_series *p = realloc(list, ncap * sizeof(*p));
            if (!p) {
                rc = BINGE_ENOMEM;
                goto fail;
            }
            list = p;
            cap = ncap;
        }
        memset(&list[len], 0, sizeof(list[len]));
        rc = series_from_row(st, &list[len++]);
        if (rc < 0)
            goto fail;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(db, "list series");
        goto fail;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    *out = list;
    *n = len;
    return 0;

fail:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    db_series_list_free(list, len);
    return rc;
}

int db_get_series(struct db *db, const char *series_id, struct db_series *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !series_id || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT " SERIES_COLUMNS " FROM series s WHERE s.id = ?", &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_text(st, 1, series_id, -1, SQLITE_TRANSIENT);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        rc = series_from_row(st, out);
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "get series");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        db_series_clear(out);
    return rc;
}

#define EPISODE_COLUMNS                                                                            \
    "e.id, e.series_id, e.idx, e.title, e.duration_s, e.path, e.price_coins,"                      \
    " EXISTS (SELECT 1 FROM unlocks u WHERE u.episode_id = e.id AND u.device_id = ?1)"

static int episode_from_row(sqlite3_stmt *st, struct db_episode *e)
{
    e->id = column_dup(st, 0);
    e->series_id = column_dup(st, 1);
    e->index = sqlite3_column_int(st, 2);
    e->title = column_dup(st, 3);
    e->duration_s = sqlite3_column_int(st, 4);
    e->path = column_dup(st, 5);
    e->price_coins = sqlite3_column_int(st, 6);
    e->unlocked = sqlite3_column_int(st, 7) != 0;
    if (!e->id || !e->series_id || !e->title || !e->path)
        return BINGE_ENOMEM;
    return 0;
}

void db_episode_clear(struct db_episode *e)
{
    if (!e)
        return;
    free(e->id);
    free(e->series_id);
    free(e->title);
    free(e->path);
    memset(e, 0, sizeof(*e));
}

void db_episode_list_free(struct db_episode *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        db_episode_clear(&list[i]);
    free(list);
}

int db_list_episodes(struct db *db, const char *series_id, const char *device_id,
                     struct db_episode **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct db_episode *list = NULL;
    size_t len = 0;
    size_t cap = 0;
    int step;
    int rc;

    if (!db || !series_id || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "SELECT " EPISODE_COLUMNS " FROM episodes e WHERE e.series_id = ?2"
                    " ORDER BY e.idx",
                    &st);
    if (rc < 0)
        goto fail;
    /* A NULL device matches no unlock row, which is the anonymous viewer's view. */
    sqlite3_bind_text(st, 1, device_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, series_id, -1, SQLITE_TRANSIENT);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            struct db_episode *p = realloc(list, ncap * sizeof(*p));
            if (!p) {
                rc = BINGE_ENOMEM;
                goto fail;
            }
            list = p;
            cap = ncap;
        }
        memset(&list[len], 0, sizeof(list[len]));
        rc = episode_from_row(st, &list[len++]);
        if (rc < 0)
            goto fail;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(db, "list episodes");
        goto fail;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    *out = list;
    *n = len;
    return 0;

fail:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    db_episode_list_free(list, len);
    return rc;
}

int db_get_episode(struct db *db, const char *episode_id, const char *device_id,
                   struct db_episode *out, char **next_id)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !episode_id || !out)
        return BINGE_EINVAL;
    memset(out, 0, sizeof(*out));
    if (next_id)
        *next_id = NULL;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, "SELECT " EPISODE_COLUMNS " FROM episodes e WHERE e.id = ?2", &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_text(st, 1, device_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, episode_id, -1, SQLITE_TRANSIENT);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        rc = episode_from_row(st, out);
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "get episode");
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0 || !next_id)
        goto out;
    rc = db_prepare(db,
                    "SELECT id FROM episodes WHERE series_id = ? AND idx > ?"
                    " ORDER BY idx LIMIT 1",
                    &st);
    if (rc < 0)
        goto out;
    sqlite3_bind_text(st, 1, out->series_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, out->index);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *next_id = column_dup(st, 0);
        if (!*next_id)
            rc = BINGE_ENOMEM;
        break;
    case SQLITE_DONE:
        break;
    default:
        rc = db_fail(db, "next episode");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    if (rc < 0) {
        db_episode_clear(out);
        if (next_id) {
            free(*next_id);
            *next_id = NULL;
        }
    }
    return rc;
}
