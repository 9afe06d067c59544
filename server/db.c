/* The database handle, the schema and its migration, the catalog (sync from catalog.json and
 * the read side) and the helpers the other db files share. */

#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "binge/error.h"
#include "db_internal.h"
#include "lang.h"
#include "sign.h"
#include "slog.h"

/* catalog.json larger than this is refused rather than read into memory. */
#define DB_CATALOG_MAX (16L * 1024 * 1024)

/* Bumped when the schema changes; db_new migrates older versions up to it. */
#define DB_SCHEMA_VERSION 4

/* Bounds on what catalog.json may hold per series. */
#define DB_GENRES_MAX 16
#define DB_TEXT_MAX 4096

/* Version 4. Every statement is idempotent, so it also completes a migrated version 1 to 3.
 * tokens.token, refresh_tokens.token and device_codes.device_code hold SHA-256 hashes
 * (db_token_hash), never the tokens. Tables added since (mylist) run here at every start, so
 * they need no version of their own. */
static const char db_schema[] =
    "CREATE TABLE IF NOT EXISTS settings ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS series ("
    "  id TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL,"
    "  synopsis TEXT NOT NULL DEFAULT '', genre TEXT NOT NULL DEFAULT '',"
    "  poster TEXT NOT NULL DEFAULT '', hidden INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS series_genres ("
    "  series_id TEXT NOT NULL REFERENCES series(id), position INTEGER NOT NULL,"
    "  genre TEXT NOT NULL, PRIMARY KEY (series_id, genre));"
    "CREATE TABLE IF NOT EXISTS series_i18n ("
    "  series_id TEXT NOT NULL REFERENCES series(id), lang TEXT NOT NULL, title TEXT,"
    "  synopsis TEXT, PRIMARY KEY (series_id, lang));"
    "CREATE TABLE IF NOT EXISTS genre_i18n ("
    "  genre TEXT NOT NULL, lang TEXT NOT NULL, name TEXT NOT NULL,"
    "  PRIMARY KEY (genre, lang));"
    "CREATE TABLE IF NOT EXISTS episodes ("
    "  id TEXT PRIMARY KEY, series_id TEXT NOT NULL REFERENCES series(id),"
    "  idx INTEGER NOT NULL, title TEXT NOT NULL, duration_s INTEGER NOT NULL,"
    "  path TEXT NOT NULL, price_coins INTEGER NOT NULL DEFAULT 0,"
    "  hidden INTEGER NOT NULL DEFAULT 0, thumb TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (series_id, idx));"
    "CREATE TABLE IF NOT EXISTS accounts ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL, password TEXT);"
    "CREATE TABLE IF NOT EXISTS devices ("
    "  device_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL,"
    "  account_id INTEGER REFERENCES accounts(id), linked_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS tokens ("
    "  token TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  created_at INTEGER NOT NULL, expires_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS refresh_tokens ("
    "  token TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  created_at INTEGER NOT NULL, used_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS device_codes ("
    "  device_code TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE,"
    "  device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    "  interval_s INTEGER NOT NULL, last_poll_at INTEGER,"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending', 'approved', 'denied', 'used', 'replaced')),"
    "  account_id INTEGER REFERENCES accounts(id), tries INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS ledger ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,"
    "  device_id TEXT REFERENCES devices(device_id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('coins', 'bonus')), amount INTEGER NOT NULL,"
    "  lot_id INTEGER REFERENCES ledger(id), expires_at INTEGER,"
    "  reason TEXT NOT NULL, ref TEXT, created_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ledger_owner ON ledger (owner, kind);"
    "CREATE INDEX IF NOT EXISTS ledger_lot ON ledger (lot_id);"
    "CREATE TABLE IF NOT EXISTS unlocks ("
    "  owner TEXT NOT NULL, episode_id TEXT NOT NULL REFERENCES episodes(id),"
    "  method TEXT NOT NULL CHECK (method IN ('coins', 'ad', 'vip')),"
    "  device_id TEXT, created_at INTEGER NOT NULL, PRIMARY KEY (owner, episode_id));"
    "CREATE TABLE IF NOT EXISTS idempotency ("
    "  device_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    "  status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (device_id, key));"
    "CREATE TABLE IF NOT EXISTS ad_views ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, device_id TEXT,"
    "  episode_id TEXT NOT NULL, day INTEGER NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ad_views_owner_day ON ad_views (owner, day);"
    "CREATE TABLE IF NOT EXISTS checkins ("
    "  owner TEXT NOT NULL, day INTEGER NOT NULL, streak INTEGER NOT NULL,"
    "  reward INTEGER NOT NULL, device_id TEXT, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (owner, day));"
    "CREATE TABLE IF NOT EXISTS vip_grants ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,"
    "  starts_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, source TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS vip_grants_owner ON vip_grants (owner);"
    "CREATE TABLE IF NOT EXISTS purchase_sessions ("
    "  id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  pack_id TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending', 'completed')),"
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, completed_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS progress ("
    "  owner TEXT NOT NULL, episode_id TEXT NOT NULL REFERENCES episodes(id),"
    "  position_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, device_id TEXT, PRIMARY KEY (owner, episode_id));"
    "CREATE INDEX IF NOT EXISTS progress_recent ON progress (owner, updated_at);"
    "CREATE TABLE IF NOT EXISTS progress_events ("
    "  device_id TEXT NOT NULL, event_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (device_id, event_id));"
    "CREATE INDEX IF NOT EXISTS progress_events_age ON progress_events (created_at);"
    "CREATE TABLE IF NOT EXISTS mylist ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,"
    "  series_id TEXT NOT NULL REFERENCES series(id), device_id TEXT,"
    "  added_at INTEGER NOT NULL, UNIQUE (owner, series_id));";

/* Version 1 (the walking skeleton) to 2: new columns on old tables; the ledger and unlocks move
 * from device_id to an owner, so they are rebuilt. */
static const char db_migrate_v1_pre[] =
    "ALTER TABLE series ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE episodes ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE devices ADD COLUMN account_id INTEGER REFERENCES accounts(id);"
    "ALTER TABLE devices ADD COLUMN linked_at INTEGER;"
    "ALTER TABLE tokens ADD COLUMN expires_at INTEGER;"
    "ALTER TABLE ledger RENAME TO ledger_v1;"
    "ALTER TABLE unlocks RENAME TO unlocks_v1;"
    "DROP INDEX IF EXISTS ledger_device;";

static const char db_migrate_v1_post[] =
    "INSERT INTO ledger (id, owner, device_id, kind, amount, reason, created_at)"
    "  SELECT id, 'device:' || device_id, device_id, 'coins', amount, reason, created_at"
    "  FROM ledger_v1;"
    "INSERT INTO unlocks (owner, episode_id, method, device_id, created_at)"
    "  SELECT 'device:' || device_id, episode_id,"
    "    CASE WHEN method IN ('coins', 'ad', 'vip') THEN method ELSE 'coins' END,"
    "    device_id, created_at FROM unlocks_v1;"
    "DROP TABLE ledger_v1;"
    "DROP TABLE unlocks_v1;";

/* Version 2 to 3: account passwords and the wrong tries against a user code. */
static const char db_migrate_v2_pre[] =
    "ALTER TABLE accounts ADD COLUMN password TEXT;"
    "ALTER TABLE device_codes ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;";

/* Versions 1 to 3 to 4: episode thumbnails. */
static const char db_migrate_v3_pre[] =
    "ALTER TABLE episodes ADD COLUMN thumb TEXT NOT NULL DEFAULT '';";

/* Versions 1 and 2 to 3: stored tokens become their hashes (the clients' tokens keep working);
 * with secure_delete the plaintext is overwritten, not left in free pages. */
static const char db_migrate_hash_tokens[] =
    "UPDATE tokens SET token = sha256hex(token);"
    "UPDATE refresh_tokens SET token = sha256hex(token);"
    "UPDATE device_codes SET device_code = sha256hex(device_code);";

/* ---- shared helpers ---------------------------------------------------------------------- */

int db_fail(struct db *db, const char *what)
{
    slog_msg(SLOG_ERROR, "db", "%s: %s", what, sqlite3_errmsg(db->conn));
    return BINGE_EIO;
}

int db_exec(struct db *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        slog_msg(SLOG_ERROR, "db", "%s", msg ? msg : "sqlite3_exec failed");
        sqlite3_free(msg);
        return BINGE_EIO;
    }
    return 0;
}

int db_prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(db->conn, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_fail(db, "prepare");
    }
    return 0;
}

int db_step_done(struct db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, what);
    sqlite3_finalize(st);
    return rc;
}

int db_step_int64(struct db *db, sqlite3_stmt *st, const char *what, bool missing_ok,
                  long long *out)
{
    int rc = 0;

    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *out = sqlite3_column_int64(st, 0);
        break;
    case SQLITE_DONE:
        *out = 0;
        if (!missing_ok)
            rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, what);
    }
    sqlite3_finalize(st);
    return rc;
}

char *db_column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return strdup(text ? (const char *)text : "");
}

void db_column_copy(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", text ? (const char *)text : "");
}

void db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

int db_begin(struct db *db)
{
    return db_exec(db, "BEGIN IMMEDIATE");
}

int db_end(struct db *db, int rc)
{
    if (rc == 0) {
        rc = db_exec(db, "COMMIT");
        if (rc == 0)
            return 0;
    }
    db_exec(db, "ROLLBACK");
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

int db_random_hex(size_t n, char *buf)
{
    unsigned char raw[64];

    if (n > sizeof(raw))
        return BINGE_EINVAL;
    if (RAND_bytes(raw, (int)n) != 1) {
        slog_msg(SLOG_ERROR, "db", "RAND_bytes failed");
        return BINGE_EIO;
    }
    hex_encode(raw, n, buf);
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

void db_owner_string(const char *device_id, long long account_id, char *out)
{
    if (account_id > 0)
        snprintf(out, DB_OWNER_MAX + 1, "account:%lld", account_id);
    else
        snprintf(out, DB_OWNER_MAX + 1, "device:%s", device_id);
}

int db_principal_locked(struct db *db, const char *device_id, struct db_principal *who)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(who, 0, sizeof(*who));
    rc = db_prepare(db,
                    "SELECT d.device_id, COALESCE(d.account_id, 0), COALESCE(a.name, '')"
                    " FROM devices d LEFT JOIN accounts a ON a.id = d.account_id"
                    " WHERE d.device_id = ?",
                    &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, device_id);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        db_column_copy(st, 0, who->device_id, sizeof(who->device_id));
        who->account_id = sqlite3_column_int64(st, 1);
        db_column_copy(st, 2, who->account_name, sizeof(who->account_name));
        db_owner_string(who->device_id, who->account_id, who->owner);
        break;
    case SQLITE_DONE:
        rc = BINGE_ENOTFOUND;
        break;
    default:
        rc = db_fail(db, "device lookup");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- open and migrate -------------------------------------------------------------------- */

static int migrate_locked(struct db *db)
{
    sqlite3_stmt *st = NULL;
    long long version = 0;
    char sql[64];
    int rc;

    rc = db_begin(db);
    if (rc < 0)
        return rc;
    rc = db_prepare(db, "PRAGMA user_version", &st);
    if (rc == 0)
        rc = db_step_int64(db, st, "read schema version", true, &version);
    if (rc < 0)
        goto out;
    if (version > DB_SCHEMA_VERSION) {
        slog_msg(SLOG_ERROR, "db",
                 "the database has schema version %lld; this binge-server knows up to %d", version,
                 DB_SCHEMA_VERSION);
        rc = BINGE_ESTATE;
        goto out;
    }
    if (version >= 1 && version < DB_SCHEMA_VERSION)
        slog_msg(SLOG_INFO, "db", "migrating the database from schema version %lld to %d", version,
                 DB_SCHEMA_VERSION);
    if (version == 1)
        rc = db_exec(db, db_migrate_v1_pre);
    else if (version == 2)
        rc = db_exec(db, db_migrate_v2_pre);
    if (rc == 0 && version >= 1 && version <= 3)
        rc = db_exec(db, db_migrate_v3_pre);
    if (rc == 0)
        rc = db_exec(db, db_schema);
    if (rc == 0 && version == 1)
        rc = db_exec(db, db_migrate_v1_post);
    if (rc == 0 && (version == 1 || version == 2))
        rc = db_exec(db, db_migrate_hash_tokens);
    if (rc == 0 && version != DB_SCHEMA_VERSION) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", DB_SCHEMA_VERSION);
        rc = db_exec(db, sql);
    }
out:
    return db_end(db, rc);
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
    db->path = strdup(path);
    if (!db->path) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    rc = db_prepare_files(path);
    if (rc < 0)
        goto fail;
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
                     "PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;");
    if (rc == 0)
        rc = db_register_functions(db);
    if (rc < 0)
        goto fail;
    rc = migrate_locked(db);
    /* A migration rewrote plaintext tokens: the old page images leave the WAL now. */
    if (rc == 0)
        rc = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE);");
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
    free(db->path);
    free(db);
}

/* ---- catalog sync ---------------------------------------------------------------------- */

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

/* A text of catalog.json: at most DB_TEXT_MAX bytes (checked by the caller via bad). */
static const char *json_string(const cJSON *obj, const char *key, bool required, bool *bad)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!item) {
        if (required)
            *bad = true;
        return required ? "" : NULL;
    }
    /* Catalog texts go into JSON answers as they are: they must be UTF-8. */
    if (!cJSON_IsString(item) || !item->valuestring || strlen(item->valuestring) > DB_TEXT_MAX ||
        !lang_utf8_valid(item->valuestring, strlen(item->valuestring))) {
        *bad = true;
        return "";
    }
    return item->valuestring;
}

/* Prepared statements of one sync, in the order of sync_stmt_sql. */
enum sync_stmt {
    SYNC_SERIES_SEEN,
    SYNC_SERIES_UPSERT,
    SYNC_GENRES_CLEAR,
    SYNC_GENRE_ADD,
    SYNC_I18N_CLEAR,
    SYNC_I18N_ADD,
    SYNC_EPISODE_SEEN,
    SYNC_EPISODE_UPSERT,
    SYNC_GENRE_I18N_ADD,
    SYNC_COUNT,
};

static const char *const sync_stmt_sql[SYNC_COUNT] = {
    [SYNC_SERIES_SEEN] = "SELECT hidden FROM series WHERE id = ?",
    [SYNC_SERIES_UPSERT] =
        "INSERT INTO series (id, position, title, synopsis, genre, poster, hidden)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) ON CONFLICT (id) DO UPDATE SET"
        " position = ?2, title = ?3, synopsis = ?4, genre = ?5, poster = ?6, hidden = 0",
    [SYNC_GENRES_CLEAR] = "DELETE FROM series_genres WHERE series_id = ?",
    [SYNC_GENRE_ADD] =
        "INSERT OR IGNORE INTO series_genres (series_id, position, genre) VALUES (?, ?, ?)",
    [SYNC_I18N_CLEAR] = "DELETE FROM series_i18n WHERE series_id = ?",
    [SYNC_I18N_ADD] =
        "INSERT INTO series_i18n (series_id, lang, title, synopsis) VALUES (?, ?, ?, ?)",
    [SYNC_EPISODE_SEEN] = "SELECT hidden FROM episodes WHERE id = ?",
    [SYNC_EPISODE_UPSERT] =
        "INSERT INTO episodes (id, series_id, idx, title, duration_s, path, thumb, hidden)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0) ON CONFLICT (id) DO UPDATE SET"
        " series_id = ?2, idx = ?3, title = ?4, duration_s = ?5, path = ?6, thumb = ?7,"
        " hidden = 0",
    [SYNC_GENRE_I18N_ADD] =
        "INSERT OR REPLACE INTO genre_i18n (genre, lang, name) VALUES (?, ?, ?)",
};

struct sync {
    struct db *db;
    sqlite3_stmt *st[SYNC_COUNT];
};

static sqlite3_stmt *sync_stmt(struct sync *s, enum sync_stmt which)
{
    sqlite3_reset(s->st[which]);
    sqlite3_clear_bindings(s->st[which]);
    return s->st[which];
}

/* Runs a reset and bound statement to completion. */
static int sync_run(struct sync *s, sqlite3_stmt *st, const char *what)
{
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s->db, what);
}

/* True when id was already written by this sync (it then has hidden = 0): a duplicate. */
static bool sync_seen(struct sync *s, enum sync_stmt which, const char *id)
{
    sqlite3_stmt *st = sync_stmt(s, which);

    db_bind_text(st, 1, id);
    return sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
}

static int sync_episode(struct sync *s, const char *series_id, const cJSON *ep, size_t series_pos,
                        size_t ep_pos)
{
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(ep, "index");
    const cJSON *duration = cJSON_GetObjectItemCaseSensitive(ep, "duration_s");
    bool bad = !cJSON_IsObject(ep);
    const char *title = json_string(ep, "title", false, &bad); /* none: "Episode N", localized */
    const char *path = json_string(ep, "path", true, &bad);
    const char *thumb = json_string(ep, "thumb", false, &bad);
    sqlite3_stmt *st;
    char id[128];

    if (bad || !cJSON_IsNumber(index) || index->valuedouble < 1 || index->valuedouble > 100000 ||
        index->valuedouble != (double)index->valueint || !cJSON_IsNumber(duration) ||
        duration->valuedouble < 0 || duration->valuedouble > 86400 || !sign_path_is_safe(path) ||
        (thumb && *thumb && !sign_path_is_safe(thumb))) {
        slog_msg(SLOG_ERROR, "db",
                 "catalog.json: series[%zu].episodes[%zu] needs index (1..100000), "
                 "duration_s, a relative path and, if any, a relative thumb",
                 series_pos, ep_pos);
        return BINGE_EPARSE;
    }
    snprintf(id, sizeof(id), "%s-%d", series_id, index->valueint);
    if (sync_seen(s, SYNC_EPISODE_SEEN, id)) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: series[%zu].episodes[%zu]: episode %s twice",
                 series_pos, ep_pos, id);
        return BINGE_EPARSE;
    }
    st = sync_stmt(s, SYNC_EPISODE_UPSERT);
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, series_id);
    sqlite3_bind_int(st, 3, index->valueint);
    db_bind_text(st, 4, title ? title : "");
    sqlite3_bind_int(st, 5, (int)(duration->valuedouble + 0.5));
    db_bind_text(st, 6, path);
    db_bind_text(st, 7, thumb ? thumb : "");
    if (sqlite3_step(st) != SQLITE_DONE) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: episode %s: %s", id, sqlite3_errmsg(s->db->conn));
        return BINGE_EPARSE;
    }
    return 0;
}

/* "genres": ["Romance", "Drama"] (optional; without it the genre is the only one). */
static int sync_genres(struct sync *s, const char *id, const char *genre, const cJSON *genres,
                       size_t pos)
{
    sqlite3_stmt *st = sync_stmt(s, SYNC_GENRES_CLEAR);
    const cJSON *g;
    int n = 0;
    int rc;

    db_bind_text(st, 1, id);
    rc = sync_run(s, st, "clear genres");
    if (rc < 0)
        return rc;
    if (!genres) {
        if (!genre || !*genre)
            return 0;
        st = sync_stmt(s, SYNC_GENRE_ADD);
        db_bind_text(st, 1, id);
        sqlite3_bind_int(st, 2, 0);
        db_bind_text(st, 3, genre);
        return sync_run(s, st, "add genre");
    }
    if (!cJSON_IsArray(genres) || cJSON_GetArraySize(genres) > DB_GENRES_MAX) {
        slog_msg(SLOG_ERROR, "db",
                 "catalog.json: series[%zu].genres must be an array of at most %d", pos,
                 DB_GENRES_MAX);
        return BINGE_EPARSE;
    }
    cJSON_ArrayForEach(g, genres)
    {
        if (!cJSON_IsString(g) || !*g->valuestring || strlen(g->valuestring) > 64) {
            slog_msg(SLOG_ERROR, "db", "catalog.json: series[%zu].genres[%d] must be a string", pos,
                     n);
            return BINGE_EPARSE;
        }
        st = sync_stmt(s, SYNC_GENRE_ADD);
        db_bind_text(st, 1, id);
        sqlite3_bind_int(st, 2, n++);
        db_bind_text(st, 3, g->valuestring);
        rc = sync_run(s, st, "add genre");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* "i18n": {"es": {"title": "...", "synopsis": "..."}, ...} (optional). Languages binge-server
 * does not serve are skipped, so a catalog may carry more than it needs. */
static int sync_i18n(struct sync *s, const char *id, const cJSON *i18n, size_t pos)
{
    sqlite3_stmt *st = sync_stmt(s, SYNC_I18N_CLEAR);
    const cJSON *lang;
    int rc;

    db_bind_text(st, 1, id);
    rc = sync_run(s, st, "clear translations");
    if (rc < 0 || !i18n)
        return rc;
    if (!cJSON_IsObject(i18n)) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: series[%zu].i18n must be an object", pos);
        return BINGE_EPARSE;
    }
    cJSON_ArrayForEach(lang, i18n)
    {
        bool bad = !cJSON_IsObject(lang);
        const char *title = json_string(lang, "title", false, &bad);
        const char *synopsis = json_string(lang, "synopsis", false, &bad);
        if (bad) {
            slog_msg(SLOG_ERROR, "db",
                     "catalog.json: series[%zu].i18n.%s must be an object with string title "
                     "and synopsis",
                     pos, lang->string);
            return BINGE_EPARSE;
        }
        if (!lang_is_supported(lang->string))
            continue;
        st = sync_stmt(s, SYNC_I18N_ADD);
        db_bind_text(st, 1, id);
        db_bind_text(st, 2, lang->string);
        db_bind_text(st, 3, title && *title ? title : NULL);
        db_bind_text(st, 4, synopsis && *synopsis ? synopsis : NULL);
        rc = sync_run(s, st, "add translation");
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int sync_series(struct sync *s, const cJSON *obj, size_t pos)
{
    bool bad = !cJSON_IsObject(obj);
    const char *id = json_string(obj, "id", true, &bad);
    const char *title = json_string(obj, "title", true, &bad);
    const char *synopsis = json_string(obj, "synopsis", false, &bad);
    const char *genre = json_string(obj, "genre", false, &bad);
    const char *poster = json_string(obj, "poster", false, &bad);
    const cJSON *episodes = cJSON_GetObjectItemCaseSensitive(obj, "episodes");
    const cJSON *ep;
    sqlite3_stmt *st;
    size_t ep_pos = 0;
    int rc;

    if (bad || !is_slug(id) || !cJSON_IsArray(episodes) ||
        (poster && *poster && !sign_path_is_safe(poster))) {
        slog_msg(SLOG_ERROR, "db",
                 "catalog.json: series[%zu] needs an id ([a-z0-9-]+), a title, string "
                 "synopsis/genre/poster and an episodes array",
                 pos);
        return BINGE_EPARSE;
    }
    if (sync_seen(s, SYNC_SERIES_SEEN, id)) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: series[%zu]: series %s twice", pos, id);
        return BINGE_EPARSE;
    }
    st = sync_stmt(s, SYNC_SERIES_UPSERT);
    db_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
    db_bind_text(st, 3, title);
    db_bind_text(st, 4, synopsis ? synopsis : "");
    db_bind_text(st, 5, genre ? genre : "");
    db_bind_text(st, 6, poster ? poster : "");
    rc = sync_run(s, st, "store series");
    if (rc == 0)
        rc = sync_genres(s, id, genre, cJSON_GetObjectItemCaseSensitive(obj, "genres"), pos);
    if (rc == 0)
        rc = sync_i18n(s, id, cJSON_GetObjectItemCaseSensitive(obj, "i18n"), pos);
    if (rc < 0)
        return rc;
    cJSON_ArrayForEach(ep, episodes)
    {
        rc = sync_episode(s, id, ep, pos, ep_pos++);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* "genre_i18n": {"Romance": {"es": "Romance", "th": "..."}, ...} (optional). */
static int sync_genre_names(struct sync *s, const cJSON *names)
{
    const cJSON *genre;
    int rc = db_exec(s->db, "DELETE FROM genre_i18n");

    if (rc < 0 || !names)
        return rc;
    if (!cJSON_IsObject(names)) {
        slog_msg(SLOG_ERROR, "db", "catalog.json: genre_i18n must be an object");
        return BINGE_EPARSE;
    }
    cJSON_ArrayForEach(genre, names)
    {
        const cJSON *name;
        if (!cJSON_IsObject(genre)) {
            slog_msg(SLOG_ERROR, "db", "catalog.json: genre_i18n.%s must be an object",
                     genre->string);
            return BINGE_EPARSE;
        }
        cJSON_ArrayForEach(name, genre)
        {
            sqlite3_stmt *st;
            if (!cJSON_IsString(name) || strlen(name->valuestring) > 64) {
                slog_msg(SLOG_ERROR, "db", "catalog.json: genre_i18n.%s.%s must be a string",
                         genre->string, name->string);
                return BINGE_EPARSE;
            }
            if (!lang_is_supported(name->string) || !*name->valuestring)
                continue;
            st = sync_stmt(s, SYNC_GENRE_I18N_ADD);
            db_bind_text(st, 1, genre->string);
            db_bind_text(st, 2, name->string);
            db_bind_text(st, 3, name->valuestring);
            rc = sync_run(s, st, "add genre name");
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Fills each language's missing texts from its fallback language (lang_fallback: zh-Hant from
 * zh) before the queries fall back to English: a Traditional Chinese viewer reads Simplified
 * Chinese rather than English where the catalog has no zh-Hant text. */
static int sync_fallbacks(struct db *db)
{
    static const char *const sql[] = {
        "INSERT OR IGNORE INTO series_i18n (series_id, lang, title, synopsis)"
        " SELECT series_id, ?1, NULL, NULL FROM series_i18n WHERE lang = ?2",
        "UPDATE series_i18n SET"
        " title = COALESCE(title, (SELECT f.title FROM series_i18n f"
        "  WHERE f.series_id = series_i18n.series_id AND f.lang = ?2)),"
        " synopsis = COALESCE(synopsis, (SELECT f.synopsis FROM series_i18n f"
        "  WHERE f.series_id = series_i18n.series_id AND f.lang = ?2))"
        " WHERE lang = ?1",
        "INSERT OR IGNORE INTO genre_i18n (genre, lang, name)"
        " SELECT genre, ?1, name FROM genre_i18n WHERE lang = ?2",
    };
    int rc = 0;

    for (int i = 0; i < LANG_COUNT && rc == 0; i++) {
        const char *from = lang_fallback(lang_codes[i]);
        for (size_t k = 0; from && k < sizeof(sql) / sizeof(sql[0]) && rc == 0; k++) {
            sqlite3_stmt *st;
            rc = db_prepare(db, sql[k], &st);
            if (rc == 0) {
                db_bind_text(st, 1, lang_codes[i]);
                db_bind_text(st, 2, from);
                rc = db_step_done(db, st, "fill translations"); /* finalizes st */
            }
        }
    }
    return rc;
}

static int sync_locked(struct db *db, const char *media_dir, size_t *n_series)
{
    struct sync s = {.db = db};
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    const cJSON *list;
    const cJSON *obj;
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
    for (int i = 0; i < SYNC_COUNT; i++) {
        rc = db_prepare(db, sync_stmt_sql[i], &s.st[i]);
        if (rc < 0)
            goto fail;
    }
    /* Everything is hidden first; what the file still names is shown again as it is written. */
    rc = db_exec(db, "UPDATE series SET hidden = 1; UPDATE episodes SET hidden = 1;");
    if (rc < 0)
        goto fail;
    cJSON_ArrayForEach(obj, list)
    {
        rc = sync_series(&s, obj, pos++);
        if (rc < 0)
            goto fail;
    }
    if (pos == 0) {
        slog_msg(SLOG_ERROR, "db", "%s: the series array is empty", path);
        rc = BINGE_EPARSE;
        goto fail;
    }
    rc = sync_genre_names(&s, cJSON_GetObjectItemCaseSensitive(root, "genre_i18n"));
    if (rc < 0)
        goto fail;
    rc = sync_fallbacks(db);
    if (rc < 0)
        goto fail;
    if (n_series)
        *n_series = pos;
    slog_msg(SLOG_INFO, "db", "catalog: %zu series from %s", pos, path);

fail:
    for (int i = 0; i < SYNC_COUNT; i++)
        sqlite3_finalize(s.st[i]);
    cJSON_Delete(root);
    free(text);
    return rc;
}

int db_sync_catalog(struct db *db, const char *media_dir, size_t *n_series)
{
    int rc;

    if (!db || !media_dir)
        return BINGE_EINVAL;
    if (n_series)
        *n_series = 0;
    pthread_mutex_lock(&db->lock);
    rc = db_begin(db);
    if (rc == 0)
        rc = db_end(db, sync_locked(db, media_dir, n_series));
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
    if (rc == 0) {
        sqlite3_bind_int(st, 1, free_episodes);
        sqlite3_bind_int(st, 2, DB_LOCKED_PRICE);
        rc = db_step_done(db, st, "apply prices");
    }
    pthread_mutex_unlock(&db->lock);
    return rc;
}

/* ---- catalog queries --------------------------------------------------------------------- */

/* ?1 is the language. */
#define SERIES_SELECT                                                                              \
    "SELECT s.id, COALESCE(i.title, s.title), COALESCE(i.synopsis, s.synopsis), s.genre,"          \
    " s.poster, (SELECT COUNT(*) FROM episodes e WHERE e.series_id = s.id AND e.hidden = 0),"      \
    " (SELECT COUNT(*) FROM episodes e WHERE e.series_id = s.id AND e.hidden = 0"                  \
    "  AND e.price_coins = 0),"                                                                    \
    " (SELECT COALESCE(SUM(e.duration_s), 0) FROM episodes e WHERE e.series_id = s.id"             \
    "  AND e.hidden = 0)"                                                                          \
    " FROM series s LEFT JOIN series_i18n i ON i.series_id = s.id AND i.lang = ?1"

static int series_from_row(sqlite3_stmt *st, struct db_series *s)
{
    s->id = db_column_dup(st, 0);
    s->title = db_column_dup(st, 1);
    s->synopsis = db_column_dup(st, 2);
    s->genre = db_column_dup(st, 3);
    s->poster = db_column_dup(st, 4);
    s->episode_count = sqlite3_column_int(st, 5);
    s->free_episodes = sqlite3_column_int(st, 6);
    s->total_duration_s = sqlite3_column_int64(st, 7);
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

/* Grows *list (of elem-byte records, zeroing new ones) so that it holds at least len + 1. */
static int grow(void **list, size_t *cap, size_t len, size_t elem)
{
    size_t ncap;
    char *p;

    if (len < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    p = realloc(*list, ncap * elem);
    if (!p)
        return BINGE_ENOMEM;
    memset(p + *cap * elem, 0, (ncap - *cap) * elem);
    *list = p;
    *cap = ncap;
    return 0;
}

/* Reads every row of st (already bound) into a series list. */
static int collect_series(struct db *db, sqlite3_stmt *st, struct db_series **out, size_t *n)
{
    struct db_series *list = NULL;
    size_t len = 0;
    size_t cap = 0;
    int step;
    int rc = 0;

    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = grow((void **)&list, &cap, len, sizeof(*list));
        if (rc < 0)
            goto fail;
        rc = series_from_row(st, &list[len++]);
        if (rc < 0)
            goto fail;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(db, "list series");
        goto fail;
    }
    *out = list;
    *n = len;
    return 0;

fail:
    db_series_list_free(list, len);
    return rc;
}

int db_list_series(struct db *db, const char *lang, struct db_series **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db, SERIES_SELECT " WHERE s.hidden = 0 ORDER BY s.position", &st);
    if (rc == 0) {
        db_bind_text(st, 1, lang ? lang : "en");
        rc = collect_series(db, st, out, n);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static int get_series_locked(struct db *db, const char *series_id, const char *lang,
                             struct db_series *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = db_prepare(db, SERIES_SELECT " WHERE s.id = ?2 AND s.hidden = 0", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, lang ? lang : "en");
    db_bind_text(st, 2, series_id);
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
    sqlite3_finalize(st);
    if (rc < 0)
        db_series_clear(out);
    return rc;
}

int db_get_series(struct db *db, const char *series_id, const char *lang, struct db_series *out)
{
    int rc;

    if (!db || !series_id || !out)
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = get_series_locked(db, series_id, lang, out);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

void db_genre_list_free(struct db_genre_row *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++) {
        free(list[i].genre);
        free(list[i].name);
        free(list[i].series_id);
    }
    free(list);
}

int db_list_genres(struct db *db, const char *lang, struct db_genre_row **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct db_genre_row *list = NULL;
    size_t len = 0;
    size_t cap = 0;
    int step;
    int rc;

    if (!db || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "SELECT g.genre, COALESCE(gi.name, g.genre), g.series_id"
                    " FROM series_genres g JOIN series s ON s.id = g.series_id"
                    " LEFT JOIN genre_i18n gi ON gi.genre = g.genre AND gi.lang = ?"
                    " WHERE s.hidden = 0 ORDER BY s.position, g.position",
                    &st);
    if (rc < 0)
        goto fail;
    db_bind_text(st, 1, lang ? lang : "en");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = grow((void **)&list, &cap, len, sizeof(*list));
        if (rc < 0)
            goto fail;
        list[len].genre = db_column_dup(st, 0);
        list[len].name = db_column_dup(st, 1);
        list[len].series_id = db_column_dup(st, 2);
        if (!list[len].genre || !list[len].name || !list[len++].series_id) {
            rc = BINGE_ENOMEM;
            goto fail;
        }
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(db, "list genres");
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
    db_genre_list_free(list, len);
    return rc;
}

static bool folded_contains(const char *text, const char *folded_query)
{
    char *folded;
    bool found;

    if (!text || !*text)
        return false;
    folded = lang_fold(text);
    found = folded && strstr(folded, folded_query) != NULL;
    free(folded);
    return found;
}

int db_search_series(struct db *db, const char *folded_query, const char *lang, size_t limit,
                     struct db_series **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct db_series *list = NULL;
    char **ids = NULL;
    size_t n_ids = 0;
    size_t cap = 0;
    int step = SQLITE_DONE;
    int rc;

    if (!db || !folded_query || !out || !n)
        return BINGE_EINVAL;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&db->lock);
    /* Every text of every language, base text first; the rows of a series are adjacent. */
    rc = db_prepare(db,
                    "SELECT s.id, s.title, s.synopsis, i.title, i.synopsis"
                    " FROM series s LEFT JOIN series_i18n i ON i.series_id = s.id"
                    " WHERE s.hidden = 0 ORDER BY s.position, i.lang",
                    &st);
    if (rc < 0)
        goto out;
    while (n_ids < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        bool hit = false;
        if (!id || (n_ids > 0 && strcmp(ids[n_ids - 1], id) == 0))
            continue;
        for (int col = 1; col <= 4 && !hit; col++)
            hit = folded_contains((const char *)sqlite3_column_text(st, col), folded_query);
        if (!hit)
            continue;
        rc = grow((void **)&ids, &cap, n_ids, sizeof(*ids));
        if (rc < 0)
            goto out;
        ids[n_ids] = strdup(id);
        if (!ids[n_ids++]) {
            rc = BINGE_ENOMEM;
            goto out;
        }
    }
    if (n_ids < limit && step != SQLITE_DONE) {
        rc = db_fail(db, "search");
        goto out;
    }
    if (n_ids > 0) {
        list = calloc(n_ids, sizeof(*list));
        if (!list) {
            rc = BINGE_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n_ids; i++) {
        rc = get_series_locked(db, ids[i], lang, &list[i]);
        if (rc < 0)
            goto out;
    }
    *out = list;
    *n = n_ids;
    list = NULL;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    db_series_list_free(list, n_ids);
    for (size_t i = 0; i < n_ids; i++)
        free(ids[i]);
    free(ids);
    return rc;
}

/* ?1 owner, ?3 now. An unlock bought with VIP is valid while the owner's VIP is. The owner's
 * stored position and the duration it was reported with (0 without progress). */
#define EPISODE_COLUMNS                                                                            \
    "e.id, e.series_id, e.idx, e.title, e.duration_s, e.path, e.price_coins,"                      \
    " EXISTS (SELECT 1 FROM unlocks u WHERE u.episode_id = e.id AND u.owner = ?1"                  \
    "  AND (u.method <> 'vip' OR EXISTS (SELECT 1 FROM vip_grants v WHERE v.owner = ?1"            \
    "   AND v.starts_at <= ?3 AND v.expires_at > ?3))), e.thumb,"                                  \
    " COALESCE((SELECT p.position_ms FROM progress p WHERE p.owner = ?1"                           \
    "  AND p.episode_id = e.id), 0),"                                                              \
    " COALESCE((SELECT p.duration_ms FROM progress p WHERE p.owner = ?1"                           \
    "  AND p.episode_id = e.id), 0)"

static int episode_from_row(sqlite3_stmt *st, struct db_episode *e)
{
    e->id = db_column_dup(st, 0);
    e->series_id = db_column_dup(st, 1);
    e->index = sqlite3_column_int(st, 2);
    e->title = db_column_dup(st, 3);
    e->duration_s = sqlite3_column_int(st, 4);
    e->path = db_column_dup(st, 5);
    e->price_coins = sqlite3_column_int(st, 6);
    e->unlocked = sqlite3_column_int(st, 7) != 0;
    e->thumb = db_column_dup(st, 8);
    e->position_ms = sqlite3_column_int64(st, 9);
    e->progress_duration_ms = sqlite3_column_int64(st, 10);
    if (!e->id || !e->series_id || !e->title || !e->path || !e->thumb)
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
    free(e->thumb);
    memset(e, 0, sizeof(*e));
}

void db_episode_list_free(struct db_episode *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        db_episode_clear(&list[i]);
    free(list);
}

int db_list_episodes(struct db *db, const char *series_id, const char *owner, long long now,
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
                    " AND e.hidden = 0 ORDER BY e.idx",
                    &st);
    if (rc < 0)
        goto fail;
    /* A NULL owner matches no unlock row, which is the anonymous viewer's view. */
    db_bind_text(st, 1, owner);
    db_bind_text(st, 2, series_id);
    sqlite3_bind_int64(st, 3, now);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = grow((void **)&list, &cap, len, sizeof(*list));
        if (rc < 0)
            goto fail;
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

int db_get_episode_locked(struct db *db, const char *episode_id, const char *owner, long long now,
                          struct db_episode *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = db_prepare(
        db, "SELECT " EPISODE_COLUMNS " FROM episodes e WHERE e.id = ?2 AND e.hidden = 0", &st);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, owner);
    db_bind_text(st, 2, episode_id);
    sqlite3_bind_int64(st, 3, now);
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
    if (rc < 0)
        db_episode_clear(out);
    return rc;
}

int db_get_episode(struct db *db, const char *episode_id, const char *owner, long long now,
                   struct db_episode *out, char **next_id)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !episode_id || !out)
        return BINGE_EINVAL;
    if (next_id)
        *next_id = NULL;
    pthread_mutex_lock(&db->lock);
    rc = db_get_episode_locked(db, episode_id, owner, now, out);
    if (rc < 0 || !next_id)
        goto out;
    rc = db_prepare(db,
                    "SELECT id FROM episodes WHERE series_id = ? AND idx > ? AND hidden = 0"
                    " ORDER BY idx LIMIT 1",
                    &st);
    if (rc < 0)
        goto out;
    db_bind_text(st, 1, out->series_id);
    sqlite3_bind_int(st, 2, out->index);
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *next_id = db_column_dup(st, 0);
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

int db_episode_for_file(struct db *db, const char *file_path, char **episode_id)
{
    char dir[SIGN_PATH_MAX + 1];
    sqlite3_stmt *st = NULL;
    char *slash;
    int rc = BINGE_ENOTFOUND;

    if (!db || !file_path || !episode_id || strlen(file_path) > SIGN_PATH_MAX)
        return BINGE_EINVAL;
    *episode_id = NULL;
    snprintf(dir, sizeof(dir), "%s", file_path);
    pthread_mutex_lock(&db->lock);
    /* From the file's own directory upwards: the first one holding an episode's playlist. */
    while (rc == BINGE_ENOTFOUND && (slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        rc = db_prepare(db,
                        "SELECT id FROM episodes WHERE hidden = 0"
                        " AND substr(path, 1, length(?1) + 1) = ?1 || '/'"
                        " AND instr(substr(path, length(?1) + 2), '/') = 0"
                        " ORDER BY id LIMIT 1",
                        &st);
        if (rc < 0)
            break;
        db_bind_text(st, 1, dir);
        switch (sqlite3_step(st)) {
        case SQLITE_ROW:
            *episode_id = db_column_dup(st, 0);
            rc = *episode_id ? 0 : BINGE_ENOMEM;
            break;
        case SQLITE_DONE:
            rc = BINGE_ENOTFOUND;
            break;
        default:
            rc = db_fail(db, "episode of a file");
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    pthread_mutex_unlock(&db->lock);
    return rc;
}

int db_entitled(struct db *db, const struct db_principal *who, const char *episode_id,
                long long now, bool *ok)
{
    struct db_episode e;
    int rc;

    if (!db || !who || !episode_id || !ok)
        return BINGE_EINVAL;
    *ok = false;
    pthread_mutex_lock(&db->lock);
    rc = db_get_episode_locked(db, episode_id, who->owner, now, &e);
    pthread_mutex_unlock(&db->lock);
    if (rc < 0)
        return rc;
    *ok = e.price_coins == 0 || e.unlocked;
    db_episode_clear(&e);
    return 0;
}
