/* What keeps the database's secrets secret: its files are 0600, tokens are stored as SHA-256
 * hashes, the URL-signing secret lives in its own 0600 file, and account passwords are hashed
 * with scrypt. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "binge/error.h"
#include "db.h"
#include "db_internal.h"
#include "slog.h"

/* scrypt cost: N = 2^15, r = 8, p = 1 takes 32 MiB and about 0.1 s here. The parameters are
 * stored with each hash, so raising them later keeps old passwords working. */
#define PW_LOG2_N 15
#define PW_R 8
#define PW_P 1
#define PW_SALT_LEN 16
#define PW_KEY_LEN 32
#define PW_MAXMEM (128ULL * 1024 * 1024)

/* One scrypt at a time: each takes 32 MiB, and a burst of logins must not take the memory of
 * a burst of threads. A request never waits for it (see scrypt_key). */
static pthread_mutex_t kdf_lock = PTHREAD_MUTEX_INITIALIZER;

static void to_hex(const unsigned char *raw, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static int from_hex(const char *hex, unsigned char *out, size_t n)
{
    if (!hex || strlen(hex) < 2 * n)
        return BINGE_EPARSE;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return BINGE_EPARSE;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

void db_token_hash(const char *token, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (!token || EVP_Digest(token, strlen(token), md, &md_len, EVP_sha256(), NULL) != 1 ||
        md_len != 32) {
        /* Cannot happen with a working libcrypto; an impossible hash matches no row. */
        snprintf(out, DB_TOKEN_HEX_LEN + 1, "%s", "-");
        return;
    }
    to_hex(md, 32, out);
}

/* sha256hex(text) for the migration of stored plaintext tokens. */
static void sql_sha256hex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char hex[DB_TOKEN_HEX_LEN + 1];
    const unsigned char *text = argc == 1 ? sqlite3_value_text(argv[0]) : NULL;

    if (!text) {
        sqlite3_result_null(ctx);
        return;
    }
    db_token_hash((const char *)text, hex);
    sqlite3_result_text(ctx, hex, -1, SQLITE_TRANSIENT);
}

int db_register_functions(struct db *db)
{
    if (sqlite3_create_function(db->conn, "sha256hex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_sha256hex, NULL, NULL) != SQLITE_OK)
        return db_fail(db, "register sha256hex");
    return 0;
}

/* chmod 0600 of an existing file; a missing one is fine. */
static int make_private(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : BINGE_EIO;
    if (!S_ISREG(st.st_mode)) {
        slog_msg(SLOG_ERROR, "db", "%s is not a regular file", path);
        return BINGE_EIO;
    }
    if ((st.st_mode & 077) == 0)
        return 0;
    if (chmod(path, 0600) != 0) {
        slog_msg(SLOG_ERROR, "db", "cannot make %s private (0600): %s", path, strerror(errno));
        return BINGE_EIO;
    }
    slog_msg(SLOG_WARN, "db", "%s was readable by others (%04o); it is 0600 now", path,
             (unsigned)(st.st_mode & 07777));
    return 0;
}

int db_prepare_files(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char side[4096];
    int fd;
    int rc;

    /* Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the database
     * file's mode. */
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        slog_msg(SLOG_ERROR, "db", "cannot open %s: %s", path, strerror(errno));
        return BINGE_EIO;
    }
    close(fd);
    rc = make_private(path);
    for (size_t i = 0; rc == 0 && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if ((size_t)snprintf(side, sizeof(side), "%s%s", path, suffixes[i]) >= sizeof(side))
            return BINGE_EINVAL;
        rc = make_private(side);
    }
    return rc;
}

/* ---- the URL-signing secret --------------------------------------------------------------- */

static int read_secret_file(const char *path, unsigned char *out)
{
    char buf[2 * DB_SECRET_LEN + 2];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0) {
        if (errno == ENOENT)
            return BINGE_ENOTFOUND;
        slog_msg(SLOG_ERROR, "db", "cannot open %s: %s", path, strerror(errno));
        return BINGE_EIO;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 2 * DB_SECRET_LEN) {
        slog_msg(SLOG_ERROR, "db", "%s does not hold %d hex bytes", path, DB_SECRET_LEN);
        rc = BINGE_EPARSE;
    } else {
        buf[n] = '\0';
        rc = from_hex(buf, out, DB_SECRET_LEN);
        if (rc < 0)
            slog_msg(SLOG_ERROR, "db", "%s does not hold %d hex bytes", path, DB_SECRET_LEN);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

/* Writes hex into a new 0600 file at path, atomically: a temporary file linked into place, so
 * of two servers starting at once one wins and the other reads the winner's. */
static int write_secret_file(const char *path, const char *hex)
{
    char tmp[4200];
    size_t len = strlen(hex);
    int fd;
    int rc = 0;

    int n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        slog_msg(SLOG_ERROR, "db", "the secret file's path is too long: %s", path);
        return BINGE_EINVAL;
    }
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        slog_msg(SLOG_ERROR, "db", "cannot create %s: %s", tmp, strerror(errno));
        return BINGE_EIO;
    }
    if (write(fd, hex, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0)
        rc = BINGE_EIO;
    if (close(fd) != 0)
        rc = BINGE_EIO;
    if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST) {
        slog_msg(SLOG_ERROR, "db", "cannot create %s: %s", path, strerror(errno));
        rc = BINGE_EIO;
    }
    unlink(tmp);
    return rc;
}

int db_secret(struct db *db, unsigned char *out)
{
    char path[4200];
    char hex[2 * DB_SECRET_LEN + 1] = "";
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !out)
        return BINGE_EINVAL;
    if ((size_t)snprintf(path, sizeof(path), "%s.secret", db->path) >= sizeof(path))
        return BINGE_EINVAL;
    pthread_mutex_lock(&db->lock);
    rc = make_private(path);
    if (rc == 0)
        rc = read_secret_file(path, out);
    if (rc == BINGE_ENOTFOUND) {
        /* An older server kept the secret in the settings table: it moves to the file, so the
         * URLs it signed stay valid. Otherwise a new random one. */
        rc = db_prepare(db, "SELECT value FROM settings WHERE key = 'url_secret'", &st);
        if (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
            db_column_copy(st, 0, hex, sizeof(hex));
        sqlite3_finalize(st);
        if (rc == 0 && strlen(hex) != 2 * DB_SECRET_LEN)
            rc = db_random_hex(DB_SECRET_LEN, hex);
        if (rc == 0)
            rc = write_secret_file(path, hex);
        if (rc == 0)
            rc = read_secret_file(path, out);
        if (rc == 0)
            slog_msg(SLOG_INFO, "db", "URL-signing secret kept in %s", path);
    }
    /* Never a copy in the database. */
    if (rc == 0)
        rc = db_exec(db, "DELETE FROM settings WHERE key = 'url_secret'");
    pthread_mutex_unlock(&db->lock);
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc;
}

/* ---- passwords ---------------------------------------------------------------------------- */

/* With wait false, a scrypt already running makes this return BINGE_ESTATE at once: a request
 * on a pool thread must not queue behind others' logins, or a few clients posting logins would
 * hold every pool thread (and every other connection they serve) in this lock. */
static int scrypt_key(const char *password, const unsigned char *salt, int log2_n, int r, int p,
                      unsigned char *key, bool wait)
{
    int ok;

    if (wait)
        pthread_mutex_lock(&kdf_lock);
    else if (pthread_mutex_trylock(&kdf_lock) != 0)
        return BINGE_ESTATE;
    ok = EVP_PBE_scrypt(password, strlen(password), salt, PW_SALT_LEN, 1ULL << log2_n, (uint64_t)r,
                        (uint64_t)p, PW_MAXMEM, key, PW_KEY_LEN);
    pthread_mutex_unlock(&kdf_lock);
    if (ok != 1) {
        slog_msg(SLOG_ERROR, "db", "scrypt failed");
        return BINGE_EIO;
    }
    return 0;
}

static int password_hash(const char *password, char *out, size_t cap, bool wait)
{
    unsigned char salt[PW_SALT_LEN];
    unsigned char key[PW_KEY_LEN];
    char salt_hex[2 * PW_SALT_LEN + 1];
    char key_hex[2 * PW_KEY_LEN + 1];
    int rc;

    if (!password || !out || cap < DB_PASSWORD_HASH_MAX)
        return BINGE_EINVAL;
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return BINGE_EIO;
    rc = scrypt_key(password, salt, PW_LOG2_N, PW_R, PW_P, key, wait);
    if (rc == 0) {
        to_hex(salt, sizeof(salt), salt_hex);
        to_hex(key, sizeof(key), key_hex);
        snprintf(out, cap, "scrypt$%d$%d$%d$%s$%s", PW_LOG2_N, PW_R, PW_P, salt_hex, key_hex);
    }
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(key_hex, sizeof(key_hex));
    return rc;
}

int db_password_hash(const char *password, char *out, size_t cap)
{
    return password_hash(password, out, cap, true);
}

int db_password_hash_nowait(const char *password, char *out, size_t cap)
{
    return password_hash(password, out, cap, false);
}

static int password_verify(const char *password, const char *stored, bool wait)
{
    unsigned char salt[PW_SALT_LEN];
    unsigned char want[PW_KEY_LEN];
    unsigned char got[PW_KEY_LEN];
    char salt_hex[2 * PW_SALT_LEN + 1];
    char key_hex[2 * PW_KEY_LEN + 1];
    int log2_n = 0, r = 0, p = 0;
    int rc;

    if (!password)
        return 0;
    /* No hash (an account from before passwords, or no account at all) still costs one scrypt,
     * so the time of an answer does not tell which names exist. */
    if (!stored ||
        sscanf(stored, "scrypt$%d$%d$%d$%32[0-9a-f]$%64[0-9a-f]", &log2_n, &r, &p, salt_hex,
               key_hex) != 5 ||
        log2_n < 10 || log2_n > 22 || r < 1 || r > 32 || p < 1 || p > 16 ||
        from_hex(salt_hex, salt, sizeof(salt)) < 0 || from_hex(key_hex, want, sizeof(want)) < 0) {
        memset(salt, 0, sizeof(salt));
        rc = scrypt_key(password, salt, PW_LOG2_N, PW_R, PW_P, got, wait);
        OPENSSL_cleanse(got, sizeof(got));
        return rc == BINGE_ESTATE ? rc : 0;
    }
    rc = scrypt_key(password, salt, log2_n, r, p, got, wait);
    if (rc == 0)
        rc = CRYPTO_memcmp(got, want, sizeof(got)) == 0;
    else if (rc != BINGE_ESTATE)
        rc = 0;
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(want, sizeof(want));
    return rc;
}

bool db_password_check(const char *password, const char *stored)
{
    return password_verify(password, stored, true) == 1;
}

int db_password_verify_nowait(const char *password, const char *stored)
{
    return password_verify(password, stored, false);
}

bool db_password_acceptable(const char *password)
{
    size_t n = password ? strlen(password) : 0;

    return n >= DB_PASSWORD_MIN && n <= DB_PASSWORD_MAX;
}

int db_account_set_password(struct db *db, const char *name, const char *password, long long now)
{
    char hash[DB_PASSWORD_HASH_MAX];
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db || !name || !*name || strlen(name) > DB_ACCOUNT_NAME_MAX ||
        !db_password_acceptable(password))
        return BINGE_EINVAL;
    rc = db_password_hash(password, hash, sizeof(hash));
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&db->lock);
    rc = db_prepare(db,
                    "INSERT INTO accounts (name, created_at, password) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (name) DO UPDATE SET password = excluded.password",
                    &st);
    if (rc == 0) {
        db_bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, now);
        db_bind_text(st, 3, hash);
        rc = db_step_done(db, st, "set account password");
    }
    pthread_mutex_unlock(&db->lock);
    return rc;
}
