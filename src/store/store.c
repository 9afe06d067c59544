#include "binge/store.h"

#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

LOG_MODULE("store");

#define TOKEN_FILE "token.json"
#define SETTINGS_FILE "settings.json"
#define LOCK_FILE "lock"
#define CACHE_SUBDIR "cache"
#define DIR_PATH_MAX 3072 /* leaves room for the file names under PATH_MAX */
#define CORRUPT_SCAN_MAX 256

/* ---- helpers shared inside the module ---- */

char *store_join(const char *dir, const char *name)
{
    return util_asprintf("%s/%s", dir, name);
}

int64_t store_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_msg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_msg(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deletes the oldest <base>.corrupt-* files of dir beyond STORE_CORRUPT_KEEP. The UTC stamp in
 * their names sorts in time order. */
static void prune_corrupt(const char *dir, const char *base)
{
    char *names[CORRUPT_SCAN_MAX];
    size_t n = 0;
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) && n < CORRUPT_SCAN_MAX) {
        if (strncmp(de->d_name, base, blen) == 0 &&
            strncmp(de->d_name + blen, ".corrupt-", 9) == 0) {
            names[n] = util_strdup(de->d_name);
            if (names[n])
                n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (i + STORE_CORRUPT_KEEP < n) {
            char *p = store_join(dir, names[i]);
            if (p && remove(p) == 0)
                log_info("deleted the old %s", p);
            free(p);
        }
        free(names[i]);
    }
}

void store_move_aside(struct store *st, const char *path, enum store_part part, const char *reason)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);

    char *dir = util_strdup(path);
    char *dst = util_asprintf("%s.corrupt-%s", path, stamp);
    for (int i = 1; dst && access(dst, F_OK) == 0 && i < 100; i++) {
        free(dst);
        dst = util_asprintf("%s.corrupt-%s-%02d", path, stamp, i);
    }
    if (dst && rename(path, dst) == 0) {
        log_warn("%s is damaged (%s): moved aside to %s; starting without it", path, reason, dst);
    } else {
        /* Keeping the file would fail the same way on every start. */
        log_error("%s is damaged (%s) and can't be moved aside (%s): deleting it", path, reason,
                  strerror(errno));
        remove(path);
    }
    st->recovered |= (unsigned)part;

    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) {
        *slash = '\0';
        store_fsync_dir(dir);
        prune_corrupt(dir, slash + 1);
    }
    free(dst);
    free(dir);
}

int store_read_state(struct store *st, const char *path, size_t max, enum store_part part,
                     char **buf, size_t *len)
{
    char why[STORE_ERR_LEN];
    struct stat sb;
    *buf = NULL;
    *len = 0;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return BINGE_ENOTFOUND;
        snprintf(why, sizeof(why), "can't stat it: %s", strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        snprintf(why, sizeof(why), "not a regular file");
    } else {
        int rc = util_read_file(path, max, buf, len);
        if (rc == 0 || rc == BINGE_ENOMEM || rc == BINGE_ENOTFOUND)
            return rc;
        if (rc == BINGE_ETOOBIG)
            snprintf(why, sizeof(why), "bigger than %zu bytes", max);
        else
            snprintf(why, sizeof(why), "can't read it: %s", strerror(errno));
    }
    store_move_aside(st, path, part, why);
    return BINGE_ENOTFOUND;
}

/* mkdir -p, each created level 0700. */
static int mkdir_p(const char *path)
{
    char buf[DIR_PATH_MAX + 1];
    size_t n = strlen(path);
    if (n > DIR_PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A crash between mkstemp and rename leaves "<name>.tmp.XXXXXX" behind; under the lock no write
 * is in flight, so every one of them is garbage. */
static void sweep_temp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strstr(de->d_name, ".tmp.") && unlinkat(dfd, de->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    if (removed)
        log_info("removed %zu temporary file(s) left by an interrupted write in %s", removed, dir);
}

/* ---- token ---- */

static int load_token(struct store *st)
{
    char *buf = NULL;
    size_t len = 0;
    char why[STORE_ERR_LEN];
    char *path = store_join(st->dir, TOKEN_FILE);
    if (!path)
        return BINGE_ENOMEM;
    int rc = store_read_state(st, path, STORE_TOKEN_FILE_MAX, STORE_PART_TOKEN, &buf, &len);
    if (rc == BINGE_ENOTFOUND) {
        rc = 0;
    } else if (rc == BINGE_ENOMEM) {
        /* reported as is */
    } else if ((rc = store_token_parse(buf, len, &st->token, why, sizeof(why))) != 0) {
        if (rc != BINGE_ENOMEM) {
            store_move_aside(st, path, STORE_PART_TOKEN, why);
            rc = 0;
        }
    } else {
        st->has_token = true;
        struct stat sb;
        if (stat(path, &sb) == 0 && (sb.st_mode & 077)) {
            log_warn("%s was readable by others: mode set to 0600", path);
            chmod(path, 0600);
        }
    }
    if (buf) {
        explicit_bzero(buf, len);
        free(buf);
    }
    free(path);
    return rc;
}

int store_save_token(struct store *st, const char *device_id, const char *token,
                     const char *refresh_token)
{
    if (!st || !store_valid_text(device_id, STORE_ID_MAX) ||
        !store_valid_text(token, STORE_TOKEN_MAX) ||
        (refresh_token && !store_valid_text(refresh_token, STORE_TOKEN_MAX)))
        return BINGE_EINVAL;

    int rc = BINGE_ENOMEM;
    char *json = NULL;
    struct store_blob *blob = NULL;
    char *path = store_join(st->dir, TOKEN_FILE);
    struct store_token t = {
        .device_id = util_strdup(device_id),
        .token = util_strdup(token),
        .refresh_token = util_strdup(refresh_token),
    };
    if (!path || !t.device_id || !t.token || (refresh_token && !t.refresh_token))
        goto fail;
    json = store_token_format(&t);
    if (!json || !(blob = store_blob_new(json, strlen(json))))
        goto fail;
    blob->wipe = true;
    if (!store_submit(st, STORE_JOB_REPLACE, path, blob, true, STORE_CO_TOKEN)) {
        path = NULL;
        goto fail;
    }
    store_token_clear(&st->token);
    st->token = t;
    st->has_token = true;
    log_info("token saved");
    explicit_bzero(json, strlen(json));
    free(json);
    return 0;

fail:
    if (json) {
        explicit_bzero(json, strlen(json));
        free(json);
    }
    store_token_clear(&t);
    free(path);
    return rc;
}

int store_load_token(const struct store *st, char **device_id, char **token, char **refresh_token)
{
    char *d = NULL, *t = NULL, *r = NULL;
    if (device_id)
        *device_id = NULL;
    if (token)
        *token = NULL;
    if (refresh_token)
        *refresh_token = NULL;
    if (!st)
        return BINGE_EINVAL;
    if (!st->has_token)
        return BINGE_ENOTFOUND;
    if ((device_id && !(d = util_strdup(st->token.device_id))) ||
        (token && !(t = util_strdup(st->token.token))) ||
        (refresh_token && st->token.refresh_token && !(r = util_strdup(st->token.refresh_token)))) {
        struct store_token tmp = {d, t, r};
        store_token_clear(&tmp);
        return BINGE_ENOMEM;
    }
    if (device_id)
        *device_id = d;
    if (token)
        *token = t;
    if (refresh_token)
        *refresh_token = r;
    return 0;
}

int store_clear_token(struct store *st)
{
    if (!st)
        return BINGE_EINVAL;
    char *path = store_join(st->dir, TOKEN_FILE);
    if (!path || !store_submit(st, STORE_JOB_UNLINK, path, NULL, true, STORE_CO_TOKEN))
        return BINGE_ENOMEM;
    store_token_clear(&st->token);
    st->has_token = false;
    log_info("token cleared");
    return 0;
}

/* ---- settings ---- */

static int load_settings(struct store *st)
{
    char *buf = NULL;
    size_t len = 0;
    char why[STORE_ERR_LEN];
    char *path = store_join(st->dir, SETTINGS_FILE);
    if (!path)
        return BINGE_ENOMEM;
    int rc = store_read_state(st, path, STORE_SETTINGS_FILE_MAX, STORE_PART_SETTINGS, &buf, &len);
    if (rc == BINGE_ENOTFOUND) {
        rc = 0;
    } else if (rc == BINGE_ENOMEM) {
        /* reported as is */
    } else if ((rc = store_settings_parse(buf, len, &st->settings, why, sizeof(why))) != 0) {
        if (rc != BINGE_ENOMEM) {
            store_move_aside(st, path, STORE_PART_SETTINGS, why);
            rc = 0;
        }
    }
    free(buf);
    free(path);
    return rc;
}

static ssize_t find_setting(const struct store *st, const char *key)
{
    for (size_t i = 0; i < st->settings.n; i++) {
        if (strcmp(st->settings.items[i].key, key) == 0)
            return (ssize_t)i;
    }
    return -1;
}

const char *store_get_setting(const struct store *st, const char *key)
{
    if (!st || !store_valid_setting_key(key))
        return NULL;
    ssize_t i = find_setting(st, key);
    return i < 0 ? NULL : st->settings.items[i].value;
}

int store_set_setting(struct store *st, const char *key, const char *value)
{
    if (!st || !store_valid_setting_key(key) || (value && !store_valid_setting_value(value)))
        return BINGE_EINVAL;
    ssize_t at = find_setting(st, key);
    if (at < 0 && !value)
        return 0;
    if (at >= 0 && value && strcmp(st->settings.items[at].value, value) == 0)
        return 0;
    if (at < 0 && st->settings.n >= STORE_SETTINGS_MAX)
        return BINGE_ETOOBIG;

    /* The new table is built beside the old one so that a failed write changes nothing. */
    int rc = BINGE_ENOMEM;
    size_t n = st->settings.n;
    struct store_setting *items = malloc((n + 1) * sizeof(*items));
    char *nkey = NULL, *nval = NULL, *json = NULL, *path = NULL;
    if (!items)
        goto fail;
    if (n)
        memcpy(items, st->settings.items, n * sizeof(*items));
    if (value && !(nval = util_strdup(value)))
        goto fail;
    if (at >= 0 && value) {
        items[at].value = nval;
    } else if (at >= 0) {
        memmove(&items[at], &items[at + 1], (n - (size_t)at - 1) * sizeof(*items));
        n--;
    } else {
        if (!(nkey = util_strdup(key)))
            goto fail;
        items[n++] = (struct store_setting){nkey, nval};
    }
    json = store_settings_format(items, n);
    path = store_join(st->dir, SETTINGS_FILE);
    struct store_blob *blob = json ? store_blob_new(json, strlen(json)) : NULL;
    if (!blob || !path) {
        store_blob_unref(blob);
        goto fail;
    }
    /* A burst (volume held down) leaves one write: the last queued one. */
    if (!store_submit(st, STORE_JOB_REPLACE, path, blob, true, STORE_CO_SETTINGS)) {
        path = NULL;
        goto fail;
    }
    path = NULL;
    if (at >= 0) {
        /* The replaced or removed entry's strings are no longer referenced by items. */
        free(st->settings.items[at].value);
        if (!value)
            free(st->settings.items[at].key);
    }
    free(st->settings.items);
    st->settings.items = items;
    st->settings.n = n;
    log_debug("setting %s %s", key, value ? "saved" : "removed");
    free(json);
    free(path);
    return 0;

fail:
    free(items);
    free(nkey);
    free(nval);
    free(json);
    free(path);
    return rc;
}

/* ---- open / close ---- */

int store_default_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    /* The XDG spec says relative paths are invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, len, "%s/binge", xdg);
    else if (home && home[0])
        n = snprintf(buf, len, "%s/.local/state/binge", home);
    else
        return BINGE_ENOTFOUND;
    if (n < 0 || (size_t)n >= len)
        return BINGE_ETOOBIG;
    return 0;
}

static size_t clamp(size_t v, size_t def, size_t lo, size_t hi)
{
    if (v == 0)
        return def;
    return v < lo ? lo : v > hi ? hi : v;
}

static void build_recovery_message(struct store *st)
{
    static const struct {
        unsigned bit;
        const char *name;
    } parts[] = {
        {STORE_PART_TOKEN, "sign-in"},
        {STORE_PART_SETTINGS, "settings"},
        {STORE_PART_CACHE, "offline catalog"},
        {STORE_PART_PROGRESS, "watch progress"},
    };
    st->recovery_msg[0] = '\0';
    if (!st->recovered)
        return;
    size_t used = (size_t)snprintf(st->recovery_msg, sizeof(st->recovery_msg),
                                   "Some saved data was damaged and has been reset:");
    const char *sep = " ";
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!(st->recovered & parts[i].bit) || used >= sizeof(st->recovery_msg))
            continue;
        used += (size_t)snprintf(st->recovery_msg + used, sizeof(st->recovery_msg) - used, "%s%s",
                                 sep, parts[i].name);
        sep = ", ";
    }
}

/* Takes the directory's lock so that a second binge can't interleave writes or sweep away
 * another one's temporary files. */
static int take_lock(struct store *st, char *err, size_t errlen)
{
    char *path = store_join(st->dir, LOCK_FILE);
    if (!path) {
        set_msg(err, errlen, "out of memory");
        return BINGE_ENOMEM;
    }
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
    int e = errno;
    free(path);
    if (st->lock_fd < 0) {
        set_msg(err, errlen, "can't write the state directory %s: %s", st->dir, strerror(e));
        return BINGE_EIO;
    }
    if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            set_msg(err, errlen, "the state directory %s is in use by another binge process",
                    st->dir);
            return BINGE_ESTATE;
        }
        /* Some file systems have no locks; a single box runs a single binge anyway. */
        log_warn("can't lock %s (%s); continuing unlocked", st->dir, strerror(errno));
    }
    return 0;
}

struct store *store_open(const char *dir, char *err, size_t errlen)
{
    return store_open_with(dir, NULL, err, errlen);
}

struct store *store_open_with(const char *dir, const struct store_options *opts, char *err,
                              size_t errlen)
{
    char msg[256] = "";
    struct store *st = NULL;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!dir || !dir[0]) {
        set_msg(msg, sizeof(msg), "no state directory given");
        goto fail;
    }
    if (strlen(dir) > DIR_PATH_MAX) {
        set_msg(msg, sizeof(msg), "the state directory path is too long");
        goto fail;
    }
    st = calloc(1, sizeof(*st));
    if (!st || !(st->dir = util_strdup(dir)) || !(st->cache_dir = store_join(dir, CACHE_SUBDIR))) {
        set_msg(msg, sizeof(msg), "out of memory");
        goto fail;
    }
    st->lock_fd = -1;
    st->journal_fd = -1;
    st->cache_max = clamp(opts ? opts->cache_max_bytes : 0, STORE_CACHE_DEFAULT_BYTES, 64 * 1024,
                          256 * 1024 * 1024);
    st->journal_max = clamp(opts ? opts->journal_max_bytes : 0, STORE_JOURNAL_DEFAULT_BYTES, 1024,
                            4 * 1024 * 1024);

    if (mkdir_p(dir) != 0) {
        set_msg(msg, sizeof(msg), "can't create the state directory %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        set_msg(msg, sizeof(msg), "the state directory %s is not writable: %s", dir,
                strerror(errno));
        goto fail;
    }
    if (take_lock(st, msg, sizeof(msg)) != 0)
        goto fail;
    /* stat, not lstat: an OEM may point cache/ at another partition with a symlink. */
    struct stat sb;
    if (stat(st->cache_dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        store_move_aside(st, st->cache_dir, STORE_PART_CACHE, "not a directory");
    if (mkdir(st->cache_dir, 0700) != 0 && errno != EEXIST) {
        set_msg(msg, sizeof(msg), "can't create %s: %s", st->cache_dir, strerror(errno));
        goto fail;
    }
    sweep_temp(st->dir);
    sweep_temp(st->cache_dir);

    if ((rc = load_token(st)) != 0 || (rc = load_settings(st)) != 0 ||
        (rc = store_cache_load(st)) != 0 || (rc = store_progress_load(st)) != 0) {
        set_msg(msg, sizeof(msg), "can't load the state in %s: %s", dir, binge_strerror(rc));
        goto fail;
    }
    char *jpath = store_join(st->dir, "progress.journal");
    rc = jpath ? store_writer_start(&st->writer, jpath, st->journal_fd, st->journal_size,
                                    st->journal_broken)
               : BINGE_ENOMEM;
    free(jpath);
    st->journal_fd = -1; /* the writer's now, even when it failed to start */
    if (rc != 0) {
        set_msg(msg, sizeof(msg), "can't start the store's writer: %s", binge_strerror(rc));
        goto fail;
    }
    build_recovery_message(st);
    log_info("state in %s: %s, %zu setting(s), %zu cached (%zu bytes), %zu progress pending", dir,
             st->has_token ? "signed in" : "no token", st->settings.n, st->cache.n, st->cache_bytes,
             st->queue.live);
    return st;

fail:
    log_error("%s", msg);
    set_msg(err, errlen, "%s", msg);
    store_close(st);
    return NULL;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    if (st->writer.started) { /* only a store that was fully opened owns its files */
        store_cache_flush(st);
        store_progress_retry(st);
        store_writer_wait_idle(&st->writer);
        store_collect(st);
    }
    store_writer_stop(&st->writer);
    store_cache_close(st);
    store_progress_close(st);
    store_queue_clear(&st->queue);
    store_cache_index_clear(&st->cache);
    store_settings_clear(&st->settings);
    store_token_clear(&st->token);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->cache_dir);
    free(st->dir);
    free(st);
}

const char *store_path(const struct store *st)
{
    return st ? st->dir : NULL;
}

unsigned store_recovered(const struct store *st)
{
    return st ? st->recovered : 0;
}

const char *store_recovery_message(const struct store *st)
{
    return st ? st->recovery_msg : "";
}

/* ---- the writer's side ---- */

uint64_t store_submit(struct store *st, enum store_job_kind kind, char *path,
                      struct store_blob *blob, bool sync, int coalesce)
{
    uint64_t seq = store_writer_submit(&st->writer, kind, path, blob, sync, coalesce);
    if (!seq)
        log_error("out of memory: a write of the state in %s is lost", st->dir);
    return seq;
}

void store_collect(struct store *st)
{
    struct store_job *list = store_writer_take_done(&st->writer);
    if (!list)
        return;
    for (struct store_job *j = list, *n; j; j = n) {
        n = j->next;
        st->done_seq = j->seq;
        if (j->kind == STORE_JOB_APPEND || j->kind == STORE_JOB_JOURNAL)
            store_progress_done(st, j);
        store_job_free(j);
    }
    store_cache_done(st);
}

void store_set_wake(struct store *st, void (*wake)(void *data), void *data)
{
    if (st)
        store_writer_set_wake(&st->writer, wake, data);
}

bool store_poll(struct store *st, struct store_progress *saved)
{
    if (!st)
        return false;
    store_cache_commit(st, false);
    store_collect(st);
    if (st->saved_head == st->n_saved) {
        st->saved_head = st->n_saved = 0;
        return false;
    }
    if (saved)
        *saved = st->saved[st->saved_head];
    st->saved_head++;
    return true;
}

void store_flush(struct store *st)
{
    if (!st || !st->writer.started)
        return;
    store_cache_commit(st, true);
    store_progress_retry(st);
    store_writer_wait_idle(&st->writer);
    store_collect(st);
}

void store_test_hold_writer(struct store *st, bool hold)
{
    store_writer_hold(&st->writer, hold);
}

unsigned long store_test_coalesced(struct store *st)
{
    pthread_mutex_lock(&st->writer.lock);
    unsigned long n = st->writer.coalesced;
    pthread_mutex_unlock(&st->writer.lock);
    return n;
}

/* ---- recent lists ---- */

static bool recent_key(const char *list, size_t i, char key[STORE_SETTING_KEY_MAX + 1])
{
    int n = snprintf(key, STORE_SETTING_KEY_MAX + 1, "%s.%zu", list, i);
    return n > 0 && n <= STORE_SETTING_KEY_MAX && store_valid_setting_key(key);
}

size_t store_recent_list(const struct store *st, const char *list, const char **out, size_t max)
{
    char key[STORE_SETTING_KEY_MAX + 1];
    size_t n = 0;
    if (!st || !list || !out)
        return 0;
    for (size_t i = 0; i < STORE_RECENT_MAX && n < max; i++) {
        if (!recent_key(list, i, key))
            return 0;
        const char *v = store_get_setting(st, key);
        if (!v)
            break;
        out[n++] = v;
    }
    return n;
}

int store_recent_push(struct store *st, const char *list, const char *value, size_t max)
{
    char key[STORE_SETTING_KEY_MAX + 1];
    char *old[STORE_RECENT_MAX] = {0}, *nval = NULL;
    const char *cur[STORE_RECENT_MAX];
    const char *next[STORE_RECENT_MAX];
    int rc = BINGE_EINVAL;
    if (!st || !list || !value || !*value || !store_valid_setting_value(value) || max < 1 ||
        max > STORE_RECENT_MAX || !recent_key(list, STORE_RECENT_MAX - 1, key))
        return BINGE_EINVAL;
    /* Copies: each store_set_setting below frees the value it replaces. */
    size_t n_old = store_recent_list(st, list, cur, STORE_RECENT_MAX);
    rc = BINGE_ENOMEM;
    if (!(nval = util_strdup(value)))
        goto fail;
    for (size_t i = 0; i < n_old; i++)
        if (!(old[i] = util_strdup(cur[i])))
            goto fail;
    size_t n = 0;
    next[n++] = nval;
    for (size_t i = 0; i < n_old && n < max; i++)
        if (strcmp(old[i], value) != 0)
            next[n++] = old[i];
    /* Room first, so a full table leaves the list as it was. */
    rc = BINGE_ETOOBIG;
    if (n > n_old && st->settings.n + (n - n_old) > STORE_SETTINGS_MAX)
        goto fail;
    for (size_t i = 0; i < STORE_RECENT_MAX; i++) {
        recent_key(list, i, key);
        if ((rc = store_set_setting(st, key, i < n ? next[i] : NULL)) != 0)
            goto fail;
    }
    rc = 0;
fail:
    free(nval);
    for (size_t i = 0; i < n_old; i++)
        free(old[i]);
    return rc;
}

int store_recent_clear(struct store *st, const char *list)
{
    char key[STORE_SETTING_KEY_MAX + 1];
    if (!st || !list || !recent_key(list, STORE_RECENT_MAX - 1, key))
        return BINGE_EINVAL;
    for (size_t i = 0; i < STORE_RECENT_MAX; i++) {
        recent_key(list, i, key);
        int rc = store_set_setting(st, key, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}
