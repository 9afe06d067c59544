/* Unit tests for src/store: every part round trips through a reopen; damaged files of every kind
 * are moved aside without stopping the store; a journal cut at any byte of its last record keeps
 * every earlier record; bad arguments and unwritable directories give clear errors. */
#define _GNU_SOURCE /* setresuid */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    chmod(path, 0700);
    remove(path);
    return 0;
}

static void rm_rf(const char *path)
{
    chmod(path, 0700);
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh, empty directory path (not created) for one test. Static buffer. */
static const char *fresh_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/test-tmp/store/%s", BINGE_BUILD_DIR, name);
    rm_rf(path);
    return path;
}

static char *join(const char *dir, const char *name)
{
    char *p = util_asprintf("%s/%s", dir, name);
    assert_non_null(p);
    return p;
}

static void write_bytes(const char *dir, const char *name, const void *data, size_t len)
{
    char *p = join(dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    free(p);
}

static char *read_all(const char *dir, const char *name, size_t *len)
{
    char *p = join(dir, name);
    char *buf = NULL;
    assert_int_equal(util_read_file(p, 64 * 1024 * 1024, &buf, len), 0);
    free(p);
    return buf;
}

/* Number of entries of dir whose name contains needle. */
static int count_names(const char *dir, const char *needle)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strstr(de->d_name, needle))
            n++;
    }
    closedir(d);
    return n;
}

static struct store *open_ok(const char *dir, const struct store_options *opts)
{
    char err[256] = "";
    struct store *st = store_open_with(dir, opts, err, sizeof(err));
    if (!st) {
        print_error("store_open_with(%s): %s\n", dir, err);
        fail();
    }
    return st;
}

static size_t pending(struct store *st, struct store_progress *out, size_t max)
{
    size_t n = 99999;
    assert_int_equal(store_progress_pending(st, out, max, &n), 0);
    assert_true(n <= max);
    return n;
}

/* ---- default directory ---- */

static void test_default_dir(void **state)
{
    (void)state;
    static const struct {
        const char *xdg, *home;
        int rc;
        const char *want;
    } rows[] = {
        {"/x/state", "/home/v", 0, "/x/state/binge"},
        {NULL, "/home/v", 0, "/home/v/.local/state/binge"},
        {"relative/state", "/home/v", 0, "/home/v/.local/state/binge"}, /* ignored per XDG */
        {"", "/home/v", 0, "/home/v/.local/state/binge"},
        {NULL, NULL, BINGE_ENOTFOUND, NULL},
        {NULL, "", BINGE_ENOTFOUND, NULL},
        {"/a-very-long-state-directory-name-that-does-not-fit", NULL, BINGE_ETOOBIG, NULL},
    };
    char *old_xdg = util_strdup(getenv("XDG_STATE_HOME"));
    char *old_home = util_strdup(getenv("HOME"));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[48] = "";
        if (rows[i].xdg)
            setenv("XDG_STATE_HOME", rows[i].xdg, 1);
        else
            unsetenv("XDG_STATE_HOME");
        if (rows[i].home)
            setenv("HOME", rows[i].home, 1);
        else
            unsetenv("HOME");
        int rc = store_default_dir(buf, sizeof(buf));
        if (rc != rows[i].rc || (rows[i].want && strcmp(buf, rows[i].want) != 0)) {
            print_error("row %zu: rc %d buf '%s'\n", i, rc, buf);
            fail();
        }
    }
    if (old_xdg)
        setenv("XDG_STATE_HOME", old_xdg, 1);
    else
        unsetenv("XDG_STATE_HOME");
    if (old_home)
        setenv("HOME", old_home, 1);
    else
        unsetenv("HOME");
    free(old_xdg);
    free(old_home);
}

/* ---- open ---- */

static void test_open_creates_private_dirs(void **state)
{
    (void)state;
    const char *base = fresh_dir("open");
    char *dir = util_asprintf("%s/a/b/binge", base);
    struct store *st = open_ok(dir, NULL);
    assert_string_equal(store_path(st), dir);
    assert_int_equal(store_recovered(st), 0);
    assert_string_equal(store_recovery_message(st), "");
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    char *parent = util_asprintf("%s/a", base);
    assert_int_equal(stat(parent, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);

    /* One process per directory: a second open is refused until the first closes. */
    char err[256] = "";
    assert_null(store_open(dir, err, sizeof(err)));
    assert_non_null(strstr(err, "in use"));
    store_close(st);
    st = open_ok(dir, NULL);
    store_close(st);
    store_close(NULL);
    free(parent);
    free(dir);
}

static void test_open_bad_paths(void **state)
{
    (void)state;
    const char *base = fresh_dir("badpath");
    char *file = util_asprintf("%s/file", base);
    char *under_file = util_asprintf("%s/file/binge", base);
    struct store *tmp = open_ok(base, NULL); /* creates base */
    store_close(tmp);
    write_bytes(base, "file", "x", 1);

    static const char *const expect[] = {"no state directory", "no state directory", "can't create",
                                         "can't create", "can't create"};
    const char *paths[] = {NULL, "", file, under_file, "/proc/binge-store-test"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char err[256] = "";
        struct store *st = store_open(paths[i], err, sizeof(err));
        if (st || !strstr(err, expect[i])) {
            print_error("path %zu (%s): err '%s'\n", i, paths[i] ? paths[i] : "NULL", err);
            fail();
        }
        /* err may be omitted */
        assert_null(store_open(paths[i], NULL, 0));
    }
    free(file);
    free(under_file);
}

static void test_null_handles(void **state)
{
    (void)state;
    char *a = NULL;
    size_t n = 1;
    char id[STORE_EVENT_ID_LEN + 1];
    const char *ids[] = {"x"};
    assert_null(store_path(NULL));
    assert_int_equal(store_recovered(NULL), 0);
    assert_string_equal(store_recovery_message(NULL), "");
    assert_int_equal(store_save_token(NULL, "d", "t", NULL), BINGE_EINVAL);
    assert_int_equal(store_load_token(NULL, &a, NULL, NULL), BINGE_EINVAL);
    assert_null(a);
    assert_int_equal(store_clear_token(NULL), BINGE_EINVAL);
    assert_int_equal(store_cache_put(NULL, "k", NULL, "b", 1), BINGE_EINVAL);
    assert_int_equal(store_cache_get(NULL, "k", NULL, &a, &n, NULL), BINGE_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(store_cache_touch(NULL, "k"), BINGE_EINVAL);
    assert_int_equal(store_cache_remove(NULL, "k"), BINGE_EINVAL);
    store_cache_usage(NULL, &n, NULL);
    assert_int_equal(n, 0);
    assert_int_equal(store_progress_put(NULL, "e", 1, 1, 1, id), BINGE_EINVAL);
    assert_int_equal(store_progress_pending(NULL, NULL, 0, &n), BINGE_EINVAL);
    assert_int_equal(store_progress_count(NULL), 0);
    assert_int_equal(store_progress_ack(NULL, ids, 1), BINGE_EINVAL);
    assert_null(store_get_setting(NULL, "k"));
    assert_int_equal(store_set_setting(NULL, "k", "v"), BINGE_EINVAL);
}

/* Leftovers of interrupted writes go away at open; other files stay. */
static void test_temp_files_swept(void **state)
{
    (void)state;
    const char *dir = fresh_dir("sweep");
    struct store *st = open_ok(dir, NULL);
    assert_int_equal(store_cache_put(st, "home:en", NULL, "{}", 2), 0);
    store_close(st);
    write_bytes(dir, "token.json.tmp.Ab12Cd", "{\"tok", 5);
    write_bytes(dir, "progress.journal.tmp.xYz123", "", 0);
    write_bytes(dir, "cache/7.body.tmp.QwErTy", "junk", 4);
    write_bytes(dir, "cache/999.body", "orphan", 6);
    write_bytes(dir, "notes.txt", "mine", 4);
    st = open_ok(dir, NULL);
    char *cache = join(dir, "cache");
    assert_int_equal(count_names(dir, ".tmp."), 0);
    assert_int_equal(count_names(cache, ".tmp."), 0);
    assert_int_equal(count_names(cache, "999.body"), 0);
    assert_int_equal(count_names(dir, "notes.txt"), 1);
    assert_int_equal(store_recovered(st), 0);
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(store_cache_get(st, "home:en", NULL, &body, &len, NULL), 0);
    assert_string_equal(body, "{}");
    free(body);
    store_close(st);
    free(cache);
}

/* ---- token ---- */

/* Runs fn with stderr captured into a string (transfer full). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/test-tmp", BINGE_BUILD_DIR);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/test-tmp/store", BINGE_BUILD_DIR);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/test-tmp/store/stderr.log", BINGE_BUILD_DIR);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    fn(arg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *text = NULL;
    assert_int_equal(util_read_file(path, 1 << 20, &text, NULL), 0);
    return text;
}

#define SECRET "tok-SECRET-0123456789abcdef"
#define REFRESH "ref-SECRET-fedcba9876543210"

static void token_session(void *arg)
{
    const char *dir = arg;
    struct store *st = open_ok(dir, NULL);
    char *d = NULL, *t = NULL, *r = (char *)"sentinel";
    assert_int_equal(store_load_token(st, &d, &t, &r), BINGE_ENOTFOUND);
    assert_null(d);
    assert_null(t);
    assert_null(r);
    assert_int_equal(store_save_token(st, "dev-1", SECRET, REFRESH), 0);
    assert_int_equal(store_load_token(st, &d, &t, &r), 0);
    assert_string_equal(d, "dev-1");
    assert_string_equal(t, SECRET);
    assert_string_equal(r, REFRESH);
    free(d);
    free(t);
    free(r);
    store_close(st);

    st = open_ok(dir, NULL);
    assert_int_equal(store_load_token(st, &d, &t, &r), 0);
    assert_string_equal(d, "dev-1");
    assert_string_equal(t, SECRET);
    assert_string_equal(r, REFRESH);
    free(d);
    free(t);
    free(r);
    /* Replaced without a refresh token; outs may be NULL. */
    assert_int_equal(store_save_token(st, "dev-2", SECRET "2", NULL), 0);
    assert_int_equal(store_load_token(st, NULL, &t, &r), 0);
    assert_string_equal(t, SECRET "2");
    assert_null(r);
    free(t);
    store_close(st);
}

static void test_token_round_trip(void **state)
{
    (void)state;
    const char *dir = fresh_dir("token");
    enum log_level old = log_get_level();
    log_set_level(LOG_DEBUG);
    char *log = capture_stderr(token_session, (void *)dir);
    log_set_level(old);
    assert_non_null(strstr(log, "token saved"));
    assert_null(strstr(log, "SECRET"));
    free(log);

    char *path = join(dir, "token.json");
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    struct store *st = open_ok(dir, NULL);
    char *d = NULL;
    assert_int_equal(store_load_token(st, &d, NULL, NULL), 0);
    assert_string_equal(d, "dev-2");
    free(d);
    assert_int_equal(store_clear_token(st), 0);
    assert_int_equal(store_clear_token(st), 0);
    assert_int_equal(store_load_token(st, &d, NULL, NULL), BINGE_ENOTFOUND);
    store_flush(st); /* the files change on the writer thread */
    assert_int_equal(access(path, F_OK), -1);
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_load_token(st, NULL, NULL, NULL), BINGE_ENOTFOUND);
    store_close(st);

    /* A token file that others could read is tightened at open. */
    st = open_ok(dir, NULL);
    assert_int_equal(store_save_token(st, "dev", "tok", NULL), 0);
    store_close(st);
    assert_int_equal(chmod(path, 0644), 0);
    st = open_ok(dir, NULL);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(store_load_token(st, NULL, NULL, NULL), 0);
    store_close(st);
    free(path);
}

static void test_token_bad_args(void **state)
{
    (void)state;
    char *long_id = malloc(STORE_ID_MAX + 2);
    char *long_tok = malloc(STORE_TOKEN_MAX + 2);
    char *max_tok = malloc(STORE_TOKEN_MAX + 1);
    memset(long_id, 'd', STORE_ID_MAX + 1);
    long_id[STORE_ID_MAX + 1] = '\0';
    memset(long_tok, 't', STORE_TOKEN_MAX + 1);
    long_tok[STORE_TOKEN_MAX + 1] = '\0';
    memset(max_tok, '"', STORE_TOKEN_MAX); /* worst case for JSON escaping */
    max_tok[STORE_TOKEN_MAX] = '\0';
    const struct {
        const char *dev, *tok, *ref;
        int rc;
    } rows[] = {
        {"d", "t", NULL, 0},
        {"d", max_tok, max_tok, 0},
        {NULL, "t", NULL, BINGE_EINVAL},
        {"", "t", NULL, BINGE_EINVAL},
        {"d", NULL, NULL, BINGE_EINVAL},
        {"d", "", NULL, BINGE_EINVAL},
        {"d", "t", "", BINGE_EINVAL},
        {long_id, "t", NULL, BINGE_EINVAL},
        {"d", long_tok, NULL, BINGE_EINVAL},
        {"d", "t", long_tok, BINGE_EINVAL},
        {"d", "t\nX-Injected: 1", NULL, BINGE_EINVAL},
        {"d\x7f", "t", NULL, BINGE_EINVAL},
    };
    const char *dir = fresh_dir("token_args");
    struct store *st = open_ok(dir, NULL);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = store_save_token(st, rows[i].dev, rows[i].tok, rows[i].ref);
        if (rc != rows[i].rc) {
            print_error("row %zu: rc %d want %d\n", i, rc, rows[i].rc);
            fail();
        }
    }
    store_close(st);
    /* The biggest legal token survives a reopen (the read cap covers its escaping). */
    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), 0);
    char *t = NULL;
    assert_int_equal(store_load_token(st, NULL, &t, NULL), 0);
    assert_string_equal(t, max_tok);
    free(t);
    store_close(st);
    free(long_id);
    free(long_tok);
    free(max_tok);
}

static void test_corrupt_token_moved_aside(void **state)
{
    (void)state;
    const char *dir = fresh_dir("token_corrupt");
    struct store *st = open_ok(dir, NULL);
    assert_int_equal(store_set_setting(st, "volume", "70"), 0);
    store_close(st);
    static const char garbage[] = "{\"version\":1,\"device_id\":\"d\",\"tok";
    write_bytes(dir, "token.json", garbage, sizeof(garbage) - 1);

    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), STORE_PART_TOKEN);
    assert_non_null(strstr(store_recovery_message(st), "sign-in"));
    assert_null(strstr(store_recovery_message(st), "settings"));
    assert_int_equal(store_load_token(st, NULL, NULL, NULL), BINGE_ENOTFOUND);
    assert_string_equal(store_get_setting(st, "volume"), "70"); /* the rest is untouched */
    assert_int_equal(count_names(dir, "token.json.corrupt-"), 1);
    assert_int_equal(count_names(dir, "token.json"), 1); /* only the aside copy */

    /* The damaged bytes are kept for a post-mortem. */
    DIR *d = opendir(dir);
    struct dirent *de;
    char name[256] = "";
    while ((de = readdir(d))) {
        if (strstr(de->d_name, ".corrupt-"))
            snprintf(name, sizeof(name), "%s", de->d_name);
    }
    closedir(d);
    size_t len = 0;
    char *kept = read_all(dir, name, &len);
    assert_int_equal(len, sizeof(garbage) - 1);
    assert_memory_equal(kept, garbage, len);
    free(kept);

    /* A fresh token works and the next open is clean. */
    assert_int_equal(store_save_token(st, "d", "t", NULL), 0);
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), 0);
    assert_int_equal(store_load_token(st, NULL, NULL, NULL), 0);
    store_close(st);
}

/* Repeated damage keeps only the newest few aside copies. */
static void test_corrupt_copies_bounded(void **state)
{
    (void)state;
    const char *dir = fresh_dir("corrupt_bound");
    store_close(open_ok(dir, NULL));
    for (int i = 0; i < STORE_CORRUPT_KEEP + 4; i++) {
        write_bytes(dir, "settings.json", "garbage", 7);
        struct store *st = open_ok(dir, NULL);
        assert_int_equal(store_recovered(st), STORE_PART_SETTINGS);
        store_close(st);
        int n = count_names(dir, "settings.json.corrupt-");
        assert_true(n >= 1 && n <= STORE_CORRUPT_KEEP);
    }
    assert_int_equal(count_names(dir, "settings.json.corrupt-"), STORE_CORRUPT_KEEP);
}

/* ---- garbage of every kind ---- */

enum content {
    C_TEXT,  /* the text as given */
    C_DIR,   /* a directory in place of the file */
    C_HUGE,  /* a sparse file over every read cap */
    C_BYTES, /* binary garbage */
};

struct garbage_row {
    const char *file;
    unsigned part;
    enum content kind;
    const char *text;
};

#define JV(fields) "{\"version\":1," fields "}"

static const struct garbage_row garbage_rows[] = {
    /* token */
    {"token.json", STORE_PART_TOKEN, C_TEXT, ""},
    {"token.json", STORE_PART_TOKEN, C_TEXT, "null"},
    {"token.json", STORE_PART_TOKEN, C_TEXT, "[]"},
    {"token.json", STORE_PART_TOKEN, C_TEXT, "{"},
    {"token.json", STORE_PART_TOKEN, C_TEXT, "{}"},
    {"token.json", STORE_PART_TOKEN, C_TEXT, "{\"version\":2,\"device_id\":\"d\",\"token\":\"t\"}"},
    {"token.json", STORE_PART_TOKEN, C_TEXT, JV("\"device_id\":\"d\"")},
    {"token.json", STORE_PART_TOKEN, C_TEXT, JV("\"device_id\":5,\"token\":\"t\"")},
    {"token.json", STORE_PART_TOKEN, C_TEXT, JV("\"device_id\":\"d\",\"token\":\"\"")},
    {"token.json", STORE_PART_TOKEN, C_TEXT, JV("\"device_id\":\"d\",\"token\":\"a\\nb\"")},
    {"token.json", STORE_PART_TOKEN, C_TEXT,
     JV("\"device_id\":\"d\",\"token\":\"t\",\"refresh_token\":7")},
    {"token.json", STORE_PART_TOKEN, C_BYTES, NULL},
    {"token.json", STORE_PART_TOKEN, C_DIR, NULL},
    {"token.json", STORE_PART_TOKEN, C_HUGE, NULL},
    /* settings */
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, ""},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, "\"volume\""},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, JV("\"settings\":[]")},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, "{\"settings\":{}}"},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, JV("\"settings\":{\"volume\":70}")},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, JV("\"settings\":{\"bad key\":\"x\"}")},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, JV("\"settings\":{\"a\":\"1\",\"a\":\"2\"}")},
    {"settings.json", STORE_PART_SETTINGS, C_TEXT, JV("\"settings\":{\"a\":\"\\u0001\"}")},
    {"settings.json", STORE_PART_SETTINGS, C_BYTES, NULL},
    {"settings.json", STORE_PART_SETTINGS, C_DIR, NULL},
    {"settings.json", STORE_PART_SETTINGS, C_HUGE, NULL},
    /* cache index */
    {"cache/index.json", STORE_PART_CACHE, C_TEXT, "{\"version\":1"},
    {"cache/index.json", STORE_PART_CACHE, C_TEXT, JV("\"next_file\":1,\"clock\":1")},
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":1,\"clock\":1,\"entries\":{}")},
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":-1,\"clock\":1,\"entries\":[]")},
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":1.5,\"clock\":1,\"entries\":[]")},
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":1,\"clock\":1,\"entries\":[{\"key\":\"k\"}]")},
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":1,\"clock\":1,\"entries\":[{\"key\":\"k\",\"file\":5,\"fetched_at\":0,"
        "\"used\":0,\"size\":0,\"crc\":0}]")}, /* file beyond next_file */
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":9,\"clock\":9,\"entries\":[{\"key\":\"k\",\"file\":1,\"fetched_at\":0,"
        "\"used\":0,\"size\":0,\"crc\":0},{\"key\":\"k\",\"file\":2,\"fetched_at\":0,\"used\":1,"
        "\"size\":0,\"crc\":0}]")}, /* duplicate key */
    {"cache/index.json", STORE_PART_CACHE, C_TEXT,
     JV("\"next_file\":9,\"clock\":9,\"entries\":[{\"key\":\"k\",\"file\":1,\"fetched_at\":0,"
        "\"used\":0,\"size\":1e300,\"crc\":0}]")},
    {"cache/index.json", STORE_PART_CACHE, C_BYTES, NULL},
    {"cache/index.json", STORE_PART_CACHE, C_DIR, NULL},
    {"cache/index.json", STORE_PART_CACHE, C_HUGE, NULL},
    {"cache", STORE_PART_CACHE, C_TEXT, "a file where the cache directory goes"},
    /* journal: nothing usable in it */
    {"progress.journal", STORE_PART_PROGRESS, C_TEXT, "hello\n"},
    {"progress.journal", STORE_PART_PROGRESS, C_TEXT, "00000000 {}\n"},
    {"progress.journal", STORE_PART_PROGRESS, C_TEXT, "not a record at all, no newline"},
    {"progress.journal", STORE_PART_PROGRESS, C_BYTES, NULL},
    {"progress.journal", STORE_PART_PROGRESS, C_DIR, NULL},
    {"progress.journal", STORE_PART_PROGRESS, C_HUGE, NULL},
};

static void put_garbage(const char *dir, const struct garbage_row *row)
{
    char *path = join(dir, row->file);
    rm_rf(path);
    switch (row->kind) {
    case C_TEXT:
        write_bytes(dir, row->file, row->text, strlen(row->text));
        break;
    case C_DIR:
        assert_int_equal(mkdir(path, 0700), 0);
        write_bytes(path, "x", "", 0);
        break;
    case C_HUGE: {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 64 * 1024 * 1024), 0);
        close(fd);
        break;
    }
    case C_BYTES: {
        unsigned char buf[3000];
        uint32_t x = 12345;
        for (size_t i = 0; i < sizeof(buf); i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (unsigned char)(x >> 16);
        }
        write_bytes(dir, row->file, buf, sizeof(buf));
        break;
    }
    }
    free(path);
}

/* Each damaged file is moved aside, the other parts load, and the damaged part works again. */
static void test_garbage_files(void **state)
{
    (void)state;
    const char *dir = fresh_dir("garbage");
    for (size_t i = 0; i < sizeof(garbage_rows) / sizeof(garbage_rows[0]); i++) {
        const struct garbage_row *row = &garbage_rows[i];
        rm_rf(dir);
        struct store *st = open_ok(dir, NULL);
        assert_int_equal(store_save_token(st, "d", "t", NULL), 0);
        assert_int_equal(store_set_setting(st, "volume", "5"), 0);
        assert_int_equal(store_cache_put(st, "wallet", "\"e\"", "{}", 2), 0);
        assert_int_equal(store_progress_put(st, "ep1", 1, 2, 3, NULL), 0);
        store_close(st);
        put_garbage(dir, row);

        char err[256] = "";
        st = store_open(dir, err, sizeof(err));
        if (!st || store_recovered(st) != row->part) {
            print_error("row %zu (%s): store %p recovered %#x err '%s'\n", i, row->file, (void *)st,
                        st ? store_recovered(st) : 0, err);
            fail();
        }
        assert_true(strlen(store_recovery_message(st)) > 0);
        char *sub = util_strdup(row->file);
        char *slash = strrchr(sub, '/');
        const char *base = slash ? slash + 1 : sub;
        char *where = slash ? (*slash = '\0', join(dir, sub)) : util_strdup(dir);
        char *aside = util_asprintf("%s.corrupt-", base);
        if (count_names(where, aside) != 1) {
            print_error("row %zu: no %s* in %s\n", i, aside, where);
            fail();
        }
        free(aside);
        free(where);
        free(sub);

        /* The parts that were fine are still there. */
        bool tok = store_load_token(st, NULL, NULL, NULL) == 0;
        const char *vol = store_get_setting(st, "volume");
        char *body = NULL;
        size_t len = 0;
        bool cached = store_cache_get(st, "wallet", NULL, &body, &len, NULL) == 0;
        free(body);
        assert_true(tok == (row->part != STORE_PART_TOKEN));
        assert_true((vol != NULL) == (row->part != STORE_PART_SETTINGS));
        assert_true(cached == (row->part != STORE_PART_CACHE));
        assert_int_equal(store_progress_count(st), row->part == STORE_PART_PROGRESS ? 0 : 1);

        /* And the damaged part works again, cleanly across a reopen. */
        assert_int_equal(store_save_token(st, "d2", "t2", NULL), 0);
        assert_int_equal(store_set_setting(st, "volume", "6"), 0);
        assert_int_equal(store_cache_put(st, "wallet", NULL, "{1}", 3), 0);
        assert_int_equal(store_progress_put(st, "ep2", 1, 2, 3, NULL), 0);
        store_close(st);
        st = open_ok(dir, NULL);
        assert_int_equal(store_recovered(st), 0);
        assert_string_equal(store_get_setting(st, "volume"), "6");
        assert_int_equal(store_cache_get(st, "wallet", NULL, &body, &len, NULL), 0);
        assert_string_equal(body, "{1}");
        free(body);
        assert_true(store_progress_count(st) >= 1);
        store_close(st);
    }
}

/* ---- cache ---- */

static void test_cache_round_trip(void **state)
{
    (void)state;
    const char *dir = fresh_dir("cache");
    struct store *st = open_ok(dir, NULL);
    char *etag = NULL, *body = NULL;
    size_t len = 0;
    int64_t at = 0;
    assert_int_equal(store_cache_get(st, "home:en", &etag, &body, &len, &at), BINGE_ENOTFOUND);
    assert_null(etag);
    assert_null(body);

    int64_t before = store_wall_ms();
    assert_int_equal(store_cache_put(st, "home:en", "W/\"v1\"", "{\"shelves\":[]}", 14), 0);
    static const char bin[] = {'a', '\0', 'b', '\n', (char)0xff};
    assert_int_equal(store_cache_put(st, "series:42:en", NULL, bin, sizeof(bin)), 0);
    assert_int_equal(store_cache_put(st, "wallet", "e", NULL, 0), 0);
    int64_t after = store_wall_ms();

    assert_int_equal(store_cache_get(st, "home:en", &etag, &body, &len, &at), 0);
    assert_string_equal(etag, "W/\"v1\"");
    assert_string_equal(body, "{\"shelves\":[]}");
    assert_int_equal(len, 14);
    assert_true(at >= before && at <= after);
    free(etag);
    free(body);
    assert_int_equal(store_cache_get(st, "series:42:en", &etag, &body, &len, NULL), 0);
    assert_null(etag);
    assert_int_equal(len, sizeof(bin));
    assert_memory_equal(body, bin, sizeof(bin));
    free(body);
    assert_int_equal(store_cache_get(st, "wallet", NULL, &body, &len, NULL), 0);
    assert_int_equal(len, 0);
    assert_string_equal(body, "");
    free(body);
    /* Every out-parameter is optional. */
    assert_int_equal(store_cache_get(st, "wallet", NULL, NULL, NULL, NULL), 0);

    /* Overwrite: new body, new ETag (or none), one entry. */
    assert_int_equal(store_cache_put(st, "home:en", "\"v2\"", "{\"v\":2}", 7), 0);
    assert_int_equal(store_cache_put(st, "series:42:en", "\"s2\"", "S", 1), 0);
    assert_int_equal(store_cache_put(st, "series:42:en", NULL, "S3", 2), 0);
    size_t bytes = 0, entries = 0;
    store_cache_usage(st, &bytes, &entries);
    assert_int_equal(entries, 3);
    assert_int_equal(bytes, 7 + 2 + 0);
    char *cdir = join(dir, "cache");
    store_flush(st);
    assert_int_equal(count_names(cdir, ".body"), 3); /* old bodies are gone */
    store_close(st);

    st = open_ok(dir, NULL);
    assert_int_equal(store_cache_get(st, "home:en", &etag, &body, &len, &at), 0);
    assert_string_equal(etag, "\"v2\"");
    assert_string_equal(body, "{\"v\":2}");
    free(etag);
    free(body);
    assert_int_equal(store_cache_get(st, "series:42:en", &etag, &body, &len, NULL), 0);
    assert_null(etag);
    assert_string_equal(body, "S3");
    free(body);

    /* 304: the fetch time moves, the body stays. */
    usleep(5000);
    int64_t old_at = at;
    assert_int_equal(store_cache_touch(st, "home:en"), 0);
    assert_int_equal(store_cache_touch(st, "nope"), BINGE_ENOTFOUND);
    assert_int_equal(store_cache_get(st, "home:en", NULL, &body, NULL, &at), 0);
    assert_true(at > old_at);
    free(body);

    assert_int_equal(store_cache_remove(st, "wallet"), 0);
    assert_int_equal(store_cache_remove(st, "wallet"), 0);
    assert_int_equal(store_cache_get(st, "wallet", NULL, NULL, NULL, NULL), BINGE_ENOTFOUND);
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_cache_get(st, "wallet", NULL, NULL, NULL, NULL), BINGE_ENOTFOUND);
    store_cache_usage(st, &bytes, &entries);
    assert_int_equal(entries, 2);
    assert_int_equal(count_names(cdir, ".body"), 2);
    store_close(st);
    free(cdir);
}

static void test_cache_bad_args(void **state)
{
    (void)state;
    char long_key[STORE_ID_MAX + 2];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    char long_etag[STORE_ETAG_MAX + 2];
    memset(long_etag, 'e', sizeof(long_etag) - 1);
    long_etag[sizeof(long_etag) - 1] = '\0';
    static char big[64 * 1024 + 1];
    const struct {
        const char *key, *etag;
        const void *body;
        size_t len;
        int rc;
    } rows[] = {
        {"k", NULL, "b", 1, 0},
        {NULL, NULL, "b", 1, BINGE_EINVAL},
        {"", NULL, "b", 1, BINGE_EINVAL},
        {long_key, NULL, "b", 1, BINGE_EINVAL},
        {"a\nb", NULL, "b", 1, BINGE_EINVAL},
        {"k", "", "b", 1, BINGE_EINVAL},
        {"k", long_etag, "b", 1, BINGE_EINVAL},
        {"k", "e\r", "b", 1, BINGE_EINVAL},
        {"k", NULL, NULL, 1, BINGE_EINVAL},
        {"k", NULL, big, sizeof(big), BINGE_ETOOBIG}, /* larger than the whole cache */
    };
    const char *dir = fresh_dir("cache_args");
    struct store_options opts = {.cache_max_bytes = 64 * 1024};
    struct store *st = open_ok(dir, &opts);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = store_cache_put(st, rows[i].key, rows[i].etag, rows[i].body, rows[i].len);
        if (rc != rows[i].rc) {
            print_error("row %zu: rc %d want %d\n", i, rc, rows[i].rc);
            fail();
        }
    }
    assert_int_equal(store_cache_get(st, "", NULL, NULL, NULL, NULL), BINGE_EINVAL);
    assert_int_equal(store_cache_touch(st, NULL), BINGE_EINVAL);
    assert_int_equal(store_cache_remove(st, "a\tb"), BINGE_EINVAL);
    store_close(st);
}

static bool cached(struct store *st, const char *key)
{
    return store_cache_get(st, key, NULL, NULL, NULL, NULL) == 0;
}

/* The total stays under the bound; the least recently used entry goes first, also after a
 * reopen (the order is saved at close). */
static void test_cache_eviction(void **state)
{
    (void)state;
    const char *dir = fresh_dir("cache_lru");
    struct store_options opts = {.cache_max_bytes = 64 * 1024};
    static char body[20 * 1024];
    memset(body, 'x', sizeof(body));
    struct store *st = open_ok(dir, &opts);
    assert_int_equal(store_cache_put(st, "a", NULL, body, sizeof(body)), 0);
    assert_int_equal(store_cache_put(st, "b", NULL, body, sizeof(body)), 0);
    assert_int_equal(store_cache_put(st, "c", NULL, body, sizeof(body)), 0);
    assert_true(cached(st, "a")); /* a is now newer than b */
    assert_int_equal(store_cache_put(st, "d", NULL, body, sizeof(body)), 0);
    assert_false(cached(st, "b"));
    assert_true(cached(st, "c")); /* order now: a d c */
    size_t bytes = 0, entries = 0;
    store_cache_usage(st, &bytes, &entries);
    assert_true(bytes <= opts.cache_max_bytes);
    assert_int_equal(entries, 3);
    store_close(st);

    st = open_ok(dir, &opts);
    assert_int_equal(store_cache_put(st, "e", NULL, body, sizeof(body)), 0);
    assert_false(cached(st, "a"));
    assert_true(cached(st, "d"));
    assert_true(cached(st, "c"));
    assert_true(cached(st, "e"));
    /* Replacing an entry counts its new size only. */
    assert_int_equal(store_cache_put(st, "e", NULL, body, 10), 0);
    store_cache_usage(st, &bytes, &entries);
    assert_int_equal(bytes, 2 * sizeof(body) + 10);
    /* One entry as big as the cache pushes everything else out. */
    static char whole[64 * 1024];
    assert_int_equal(store_cache_put(st, "big", NULL, whole, sizeof(whole)), 0);
    store_cache_usage(st, &bytes, &entries);
    assert_int_equal(entries, 1);
    assert_int_equal(bytes, sizeof(whole));
    store_close(st);
    char *cdir = join(dir, "cache");
    assert_int_equal(count_names(cdir, ".body"), 1);

    /* A smaller bound at the next open evicts at once, least recently used first. */
    rm_rf(dir);
    opts.cache_max_bytes = 128 * 1024;
    st = open_ok(dir, &opts);
    assert_int_equal(store_cache_put(st, "x", NULL, body, sizeof(body)), 0);
    assert_int_equal(store_cache_put(st, "y", NULL, body, sizeof(body)), 0);
    assert_int_equal(store_cache_put(st, "z", NULL, body, sizeof(body)), 0);
    assert_true(cached(st, "x"));
    store_close(st);
    opts.cache_max_bytes = 1; /* clamped up to 64 KiB */
    st = open_ok(dir, &opts);
    store_cache_usage(st, &bytes, &entries);
    assert_int_equal(entries, 3);
    assert_int_equal(store_cache_put(st, "w", NULL, body, sizeof(body)), 0);
    assert_false(cached(st, "y"));
    assert_true(cached(st, "x"));
    store_close(st);
    opts.cache_max_bytes = 64 * 1024;
    st = open_ok(dir, &opts);
    store_cache_usage(st, &bytes, &entries);
    assert_int_equal(entries, 3);
    store_close(st);
    free(cdir);
}

/* A body that changed behind the store's back is never served. */
static void test_cache_damaged_body(void **state)
{
    (void)state;
    const char *dir = fresh_dir("cache_damage");
    struct store *st = open_ok(dir, NULL);
    assert_int_equal(store_cache_put(st, "home:en", NULL, "{\"a\":1}", 7), 0);
    assert_int_equal(store_cache_put(st, "wallet", NULL, "{\"coins\":5}", 11), 0);
    assert_int_equal(store_cache_put(st, "gone", NULL, "x", 1), 0);
    store_close(st);
    char *cdir = join(dir, "cache");
    /* Same size, other bytes: only the checksum notices. Files are numbered from 0. */
    write_bytes(cdir, "0.body", "{\"a\":2}", 7);
    char *gone = join(cdir, "2.body");
    assert_int_equal(unlink(gone), 0);
    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), 0);
    assert_int_equal(store_cache_get(st, "gone", NULL, NULL, NULL, NULL), BINGE_ENOTFOUND);
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(store_cache_get(st, "home:en", NULL, &body, &len, NULL), BINGE_ENOTFOUND);
    assert_null(body);
    assert_int_equal(store_cache_get(st, "wallet", NULL, &body, &len, NULL), 0);
    free(body);
    store_close(st);
    st = open_ok(dir, NULL);
    size_t entries = 0;
    store_cache_usage(st, NULL, &entries);
    assert_int_equal(entries, 1);
    store_close(st);
    free(gone);
    free(cdir);
}

/* The ETag of an entry comes from memory: a series request never reads the cached series for
 * it. Proof: with the body file gone, the ETag is still there, while a get finds the damage. */
static void test_cache_etag_from_memory(void **state)
{
    (void)state;
    const char *dir = fresh_dir("cache_etag");
    struct store *st = open_ok(dir, NULL);
    assert_int_equal(store_cache_put(st, "series:1:en", "\"s1\"", "{\"episodes\":[]}", 15), 0);
    assert_int_equal(store_cache_put(st, "wallet", NULL, "{}", 2), 0);
    store_flush(st);
    char *cdir = join(dir, "cache"), *body0 = join(cdir, "0.body");
    assert_int_equal(unlink(body0), 0);
    char *etag = NULL;
    assert_int_equal(store_cache_etag(st, "series:1:en", &etag), 0);
    assert_string_equal(etag, "\"s1\"");
    free(etag);
    assert_int_equal(store_cache_etag(st, "wallet", &etag), 0);
    assert_null(etag);
    assert_int_equal(store_cache_etag(st, "nope", &etag), BINGE_ENOTFOUND);
    assert_int_equal(store_cache_etag(st, "", &etag), BINGE_EINVAL);
    assert_int_equal(store_cache_etag(NULL, "wallet", &etag), BINGE_EINVAL);
    /* The body is needed only on a 304, and then its loss shows. */
    assert_int_equal(store_cache_get(st, "series:1:en", NULL, NULL, NULL, NULL), BINGE_ENOTFOUND);
    assert_int_equal(store_cache_etag(st, "series:1:en", &etag), BINGE_ENOTFOUND);
    store_close(st);
    free(body0);
    free(cdir);
}

/* ---- progress ---- */

static void test_progress_basic(void **state)
{
    (void)state;
    const char *dir = fresh_dir("progress");
    struct store *st = open_ok(dir, NULL);
    struct store_progress out[8];
    char id[5][STORE_EVENT_ID_LEN + 1];
    assert_int_equal(pending(st, out, 8), 0);
    assert_int_equal(store_progress_put(st, "s1e1", 1000, 60000, 1700000000001, id[0]), 0);
    assert_int_equal(store_progress_put(st, "s1e2", 2000, 61000, 1700000000002, id[1]), 0);
    assert_int_equal(store_progress_put(st, "s2e1", 3000, 62000, 1700000000003, id[2]), 0);
    for (int i = 0; i < 3; i++)
        assert_true(store_valid_event_id(id[i]));
    assert_int_equal(store_progress_count(st), 3);

    /* Oldest first, and max is honoured. */
    assert_int_equal(pending(st, out, 2), 2);
    assert_string_equal(out[0].event_id, id[0]);
    assert_string_equal(out[0].episode_id, "s1e1");
    assert_int_equal(out[0].position_ms, 1000);
    assert_int_equal(out[0].duration_ms, 60000);
    assert_int_equal(out[0].updated_at_ms, 1700000000001);
    assert_string_equal(out[1].event_id, id[1]);
    size_t n = 7;
    assert_int_equal(store_progress_pending(st, NULL, 0, &n), 0);
    assert_int_equal(n, 0);

    /* Latest wins per episode: the new record replaces the old and goes to the back. */
    assert_int_equal(store_progress_put(st, "s1e1", 5000, 60000, 1700000000009, id[3]), 0);
    assert_int_equal(pending(st, out, 8), 3);
    assert_string_equal(out[0].event_id, id[1]);
    assert_string_equal(out[1].event_id, id[2]);
    assert_string_equal(out[2].event_id, id[3]);
    assert_int_equal(out[2].position_ms, 5000);

    /* Acks: unknown, malformed, superseded and repeated ids are ignored. */
    const char *acks[] = {id[1], id[0], "0123", "ffffffffffffffffffffffffffffffff", id[1]};
    assert_int_equal(store_progress_ack(st, acks, 5), 0);
    assert_int_equal(store_progress_ack(st, acks, 5), 0);
    assert_int_equal(store_progress_ack(st, acks, 0), 0);
    assert_int_equal(pending(st, out, 8), 2);
    assert_string_equal(out[0].event_id, id[2]);
    assert_string_equal(out[1].event_id, id[3]);
    store_close(st);

    /* Everything, ids included, survives a reopen. */
    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), 0);
    assert_int_equal(pending(st, out, 8), 2);
    assert_string_equal(out[0].event_id, id[2]);
    assert_string_equal(out[0].episode_id, "s2e1");
    assert_int_equal(out[0].position_ms, 3000);
    assert_int_equal(out[0].updated_at_ms, 1700000000003);
    assert_string_equal(out[1].event_id, id[3]);
    const char *last[] = {id[2], id[3]};
    assert_int_equal(store_progress_ack(st, last, 2), 0);
    assert_int_equal(store_progress_count(st), 0);
    assert_int_equal(store_progress_put(st, "s3e1", 0, 0, 0, NULL), 0); /* id optional */
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(pending(st, out, 8), 1);
    assert_string_equal(out[0].episode_id, "s3e1");
    store_close(st);
}

static void test_progress_bad_args(void **state)
{
    (void)state;
    char long_ep[STORE_ID_MAX + 2];
    memset(long_ep, 'e', sizeof(long_ep) - 1);
    long_ep[sizeof(long_ep) - 1] = '\0';
    const struct {
        const char *ep;
        int64_t pos, dur, at;
        int rc;
    } rows[] = {
        {"e", 0, 0, 0, 0},
        {"épisode \"7\" / 中文", 1, 2, 3, 0}, /* any printable text */
        {"e", STORE_MS_MAX, 0, 0, 0},
        {NULL, 0, 0, 0, BINGE_EINVAL},
        {"", 0, 0, 0, BINGE_EINVAL},
        {long_ep, 0, 0, 0, BINGE_EINVAL},
        {"e\n", 0, 0, 0, BINGE_EINVAL},
        {"e", -1, 0, 0, BINGE_EINVAL},
        {"e", 0, -1, 0, BINGE_EINVAL},
        {"e", 0, 0, -1, BINGE_EINVAL},
        {"e", STORE_MS_MAX + 1, 0, 0, BINGE_EINVAL},
        {"e", 0, 0, INT64_MAX, BINGE_EINVAL},
    };
    const char *dir = fresh_dir("progress_args");
    struct store *st = open_ok(dir, NULL);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = store_progress_put(st, rows[i].ep, rows[i].pos, rows[i].dur, rows[i].at, NULL);
        if (rc != rows[i].rc) {
            print_error("row %zu: rc %d want %d\n", i, rc, rows[i].rc);
            fail();
        }
    }
    const char *with_null[] = {"x", NULL};
    assert_int_equal(store_progress_ack(st, NULL, 1), BINGE_EINVAL);
    assert_int_equal(store_progress_ack(st, with_null, 2), BINGE_EINVAL);
    size_t n = 0;
    assert_int_equal(store_progress_pending(st, NULL, 3, &n), BINGE_EINVAL);
    struct store_progress out[1];
    assert_int_equal(store_progress_pending(st, out, 1, NULL), BINGE_EINVAL);
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_progress_count(st), 2);
    struct store_progress all[2];
    assert_int_equal(pending(st, all, 2), 2);
    assert_string_equal(all[0].episode_id, "épisode \"7\" / 中文");
    assert_int_equal(all[1].position_ms, STORE_MS_MAX);
    store_close(st);
}

static bool same_progress(const struct store_progress *a, const struct store_progress *b)
{
    return strcmp(a->event_id, b->event_id) == 0 && strcmp(a->episode_id, b->episode_id) == 0 &&
           a->position_ms == b->position_ms && a->duration_ms == b->duration_ms &&
           a->updated_at_ms == b->updated_at_ms;
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Ids are unique and stay the same across reopens and compactions; the journal stays bounded. */
static void test_progress_ids_and_compaction(void **state)
{
    (void)state;
    enum { N = 120 };
    const char *dir = fresh_dir("progress_ids");
    struct store_options opts = {.journal_max_bytes = 2048};
    struct store *st = open_ok(dir, &opts);
    static char ids[N][STORE_EVENT_ID_LEN + 1];
    char *jpath = join(dir, "progress.journal");
    for (int i = 0; i < N; i++) {
        char ep[32];
        snprintf(ep, sizeof(ep), "ep%d", i % 40);
        assert_int_equal(store_progress_put(st, ep, i, 100, 1700000000000 + i, ids[i]), 0);
        if (i % 10 == 9) {
            const char *ack[] = {ids[i - 1]};
            assert_int_equal(store_progress_ack(st, ack, 1), 0);
        }
        struct stat sb;
        assert_int_equal(stat(jpath, &sb), 0);
        assert_true((size_t)sb.st_size <= 2 * 40 * 200 + 2048 + 512);
    }
    static char sorted[N][STORE_EVENT_ID_LEN + 1];
    memcpy(sorted, ids, sizeof(ids));
    qsort(sorted, N, sizeof(sorted[0]), cmp_ids);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(sorted[i - 1], sorted[i]);

    static struct store_progress before[64], after[64];
    size_t n = pending(st, before, 64);
    /* Episodes 0..39: the last put of each, minus the acked ones that were not replaced. */
    for (size_t i = 0; i < n; i++) {
        int k = (int)before[i].position_ms;
        assert_string_equal(before[i].event_id, ids[k]);
        assert_true(k >= N - 40);
        assert_false(k % 10 == 8);
    }
    assert_int_equal(n, 40 - 4);
    store_close(st);
    st = open_ok(dir, &opts);
    assert_int_equal(store_recovered(st), 0);
    assert_int_equal(pending(st, after, 64), n);
    for (size_t i = 0; i < n; i++)
        assert_true(same_progress(&before[i], &after[i]));
    store_close(st);
    free(jpath);
}

/* When STORE_PROGRESS_MAX episodes are pending the oldest goes; replay agrees. */
static void test_progress_cap(void **state)
{
    (void)state;
    /* Drive the queue directly: 4096 fdatasyncs would only test the disk. */
    struct store_queue q = {0};
    struct store_progress p = {0};
    bool evicted = false;
    for (int i = 0; i < STORE_PROGRESS_MAX + 10; i++) {
        snprintf(p.episode_id, sizeof(p.episode_id), "ep%d", i);
        snprintf(p.event_id, sizeof(p.event_id), "%032x", i);
        p.position_ms = i;
        assert_int_equal(store_queue_reserve(&q), 0);
        assert_int_equal(store_queue_put(&q, &p, &evicted), 0);
        assert_true(evicted == (i >= STORE_PROGRESS_MAX));
        assert_true(q.live <= STORE_PROGRESS_MAX);
    }
    assert_int_equal(q.live, STORE_PROGRESS_MAX);
    assert_null(store_queue_find_id(&q, "00000000000000000000000000000009"));
    assert_non_null(store_queue_find_id(&q, "0000000000000000000000000000000a"));
    size_t len = 0;
    char *journal = store_journal_format(&q, &len);
    assert_non_null(journal);
    assert_true(len <= STORE_JOURNAL_FILE_MAX);
    struct store_queue r = {0};
    struct store_journal_scan scan;
    assert_int_equal(store_journal_parse(journal, len, &r, &scan), 0);
    assert_int_equal(scan.bad, 0);
    assert_false(scan.torn);
    assert_true(scan.has_header);
    assert_int_equal(r.live, STORE_PROGRESS_MAX);
    free(journal);
    store_queue_clear(&q);
    store_queue_clear(&r);
}

/* Byte offset where the last line of buf (ending in '\n') starts. */
static size_t last_line_start(const char *buf, size_t len)
{
    assert_true(len > 0 && buf[len - 1] == '\n');
    size_t i = len - 1;
    while (i > 0 && buf[i - 1] != '\n')
        i--;
    return i;
}

/* A crash mid-append leaves a prefix of the last record: cut it at every byte and check that
 * every earlier record survives, nothing is reported as damage, and appending works after. */
static void test_torn_tail(void **state)
{
    (void)state;
    const char *dir = fresh_dir("torn");
    for (int scenario = 0; scenario < 2; scenario++) {
        rm_rf(dir);
        struct store *st = open_ok(dir, NULL);
        char ids[4][STORE_EVENT_ID_LEN + 1];
        for (int i = 0; i < 4; i++) {
            char ep[16];
            snprintf(ep, sizeof(ep), "e%d", i);
            assert_int_equal(store_progress_put(st, ep, i, 10, 20, ids[i]), 0);
        }
        /* Scenario 0: the last record is a put; 1: an ack of two records. */
        if (scenario == 1) {
            const char *ack[] = {ids[1], ids[3]};
            assert_int_equal(store_progress_ack(st, ack, 2), 0);
        } else {
            assert_int_equal(store_progress_put(st, "e9", 9, 10, 20, NULL), 0);
        }
        store_close(st);
        size_t len = 0;
        char *full = read_all(dir, "progress.journal", &len);
        size_t start = last_line_start(full, len);
        for (size_t cut = start; cut <= len; cut++) {
            write_bytes(dir, "progress.journal", full, cut);
            st = open_ok(dir, NULL);
            assert_int_equal(store_recovered(st), 0);
            struct store_progress out[8];
            size_t n = pending(st, out, 8);
            bool whole = cut == len;
            if (scenario == 0) {
                assert_int_equal(n, whole ? 5 : 4);
                for (int i = 0; i < 4; i++)
                    assert_string_equal(out[i].event_id, ids[i]);
            } else {
                assert_int_equal(n, whole ? 2 : 4);
                if (whole) {
                    assert_string_equal(out[0].event_id, ids[0]);
                    assert_string_equal(out[1].event_id, ids[2]);
                }
            }
            /* The fragment is gone: a new record lands on a clean line. */
            char nid[STORE_EVENT_ID_LEN + 1];
            assert_int_equal(store_progress_put(st, "after", 1, 1, 1, nid), 0);
            store_close(st);
            st = open_ok(dir, NULL);
            assert_int_equal(store_recovered(st), 0);
            assert_int_equal(pending(st, out, 8), n + 1);
            assert_string_equal(out[n].event_id, nid);
            store_close(st);
        }
        free(full);
    }
}

/* Damage in the middle (not a crash artefact) is reported, and the good records are kept. */
static void test_journal_damage_salvaged(void **state)
{
    (void)state;
    const char *dir = fresh_dir("journal_damage");
    struct store *st = open_ok(dir, NULL);
    char ids[4][STORE_EVENT_ID_LEN + 1];
    for (int i = 0; i < 4; i++) {
        char ep[16];
        snprintf(ep, sizeof(ep), "e%d", i);
        assert_int_equal(store_progress_put(st, ep, i, 10, 20, ids[i]), 0);
    }
    store_close(st);
    size_t len = 0;
    char *buf = read_all(dir, "progress.journal", &len);
    char *second = strstr(buf, ids[1]);
    assert_non_null(second);
    second[0] = second[0] == 'a' ? 'b' : 'a'; /* the CRC no longer matches */
    write_bytes(dir, "progress.journal", buf, len);
    free(buf);

    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), STORE_PART_PROGRESS);
    assert_non_null(strstr(store_recovery_message(st), "watch progress"));
    struct store_progress out[8];
    assert_int_equal(pending(st, out, 8), 3);
    assert_string_equal(out[0].event_id, ids[0]);
    assert_string_equal(out[1].event_id, ids[2]);
    assert_string_equal(out[2].event_id, ids[3]);
    assert_int_equal(count_names(dir, "progress.journal.corrupt-"), 1);
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), 0);
    assert_int_equal(store_progress_count(st), 3);
    store_close(st);
}

/* ---- the writer thread ---- */

static atomic_int wakes;
static void count_wake(void *data)
{
    (void)data;
    atomic_fetch_add(&wakes, 1);
}

/* Every fsync of a write happens on the writer thread: none on the caller's (the UI thread). */
static void test_no_sync_on_caller(void **state)
{
    (void)state;
    const char *dir = fresh_dir("nosync");
    struct store *st = open_ok(dir, NULL);
    store_set_wake(st, count_wake, NULL);
    unsigned long here = store_test_syncs_on_this_thread();
    unsigned long total = store_test_syncs_total();
    char id[STORE_EVENT_ID_LEN + 1];
    assert_int_equal(store_progress_put(st, "ep1", 1000, 90000, 1, id), 0);
    assert_int_equal(store_progress_put(st, "ep2", 2000, 90000, 2, NULL), 0);
    assert_int_equal(store_set_setting(st, "volume", "40"), 0);
    assert_int_equal(store_save_token(st, "dev", "tok", NULL), 0);
    assert_int_equal(store_cache_put(st, "poster:1", "\"p\"", "PNG", 3), 0);
    const char *ids[] = {id};
    assert_int_equal(store_progress_ack(st, ids, 1), 0);
    /* Reads of a body whose file may not be written yet come from memory. */
    char *body = NULL;
    assert_int_equal(store_cache_get(st, "poster:1", NULL, &body, NULL, NULL), 0);
    assert_string_equal(body, "PNG");
    free(body);
    store_flush(st);
    assert_int_equal(store_test_syncs_on_this_thread(), here);
    /* The durable writes did sync, on the writer: two appends, an ack, a setting, a token. */
    assert_true(store_test_syncs_total() >= total + 5);
    assert_true(atomic_load(&wakes) > 0);
    /* Both puts are reported saved, oldest first, once. */
    struct store_progress p;
    assert_true(store_poll(st, &p));
    assert_string_equal(p.episode_id, "ep1");
    assert_true(store_poll(st, &p));
    assert_string_equal(p.episode_id, "ep2");
    assert_int_equal(p.position_ms, 2000);
    assert_false(store_poll(st, &p));
    store_close(st);
    assert_int_equal(store_test_syncs_on_this_thread(), here);

    st = open_ok(dir, NULL);
    assert_int_equal(store_progress_count(st), 1);
    assert_string_equal(store_get_setting(st, "volume"), "40");
    assert_int_equal(store_load_token(st, NULL, NULL, NULL), 0);
    assert_int_equal(store_cache_get(st, "poster:1", NULL, &body, NULL, NULL), 0);
    assert_string_equal(body, "PNG");
    free(body);
    store_close(st);
}

/* Only durable records are offered for sending: a position the server holds has always reached
 * the journal first (the kill -9 e2e test once found the server ahead of the journal). */
static void test_progress_durable_only(void **state)
{
    (void)state;
    const char *dir = fresh_dir("durable");
    struct store *st = open_ok(dir, NULL);
    struct store_progress out[4];
    size_t n = 9;
    store_test_hold_writer(st, true);
    assert_int_equal(store_progress_put(st, "a", 1000, 60000, 1, NULL), 0);
    assert_int_equal(store_progress_pending(st, out, 4, &n), 0);
    assert_int_equal(n, 1); /* queued in memory */
    assert_int_equal(store_progress_durable(st, out, 4, &n), 0);
    assert_int_equal(n, 0); /* not on disk yet: not to be sent */
    store_flush(st);        /* releases the hold */
    assert_int_equal(store_progress_durable(st, out, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].episode_id, "a");
    /* A newer position for the same episode is not sendable until it is durable, and the old
     * one is no longer pending. */
    store_test_hold_writer(st, true);
    assert_int_equal(store_progress_put(st, "a", 2000, 60000, 2, NULL), 0);
    assert_int_equal(store_progress_durable(st, out, 4, &n), 0);
    assert_int_equal(n, 0);
    store_flush(st);
    assert_int_equal(store_progress_durable(st, out, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].position_ms, 2000);
    assert_int_equal(store_progress_durable(NULL, out, 4, &n), BINGE_EINVAL);
    store_close(st);
}

/* A burst of setting changes (volume held down) is written once, with the last value. */
static void test_settings_coalesce(void **state)
{
    (void)state;
    const char *dir = fresh_dir("coalesce");
    struct store *st = open_ok(dir, NULL);
    unsigned long total = store_test_syncs_total();
    store_test_hold_writer(st, true);
    for (int v = 0; v <= 100; v++) {
        char buf[8];
        snprintf(buf, sizeof(buf), "%d", v);
        assert_int_equal(store_set_setting(st, "volume", buf), 0);
        assert_string_equal(store_get_setting(st, "volume"), buf);
    }
    assert_int_equal(store_test_coalesced(st), 100);
    store_flush(st); /* releases the hold */
    /* One atomic write: the file and its directory. */
    assert_int_equal(store_test_syncs_total(), total + 2);
    store_close(st);
    st = open_ok(dir, NULL);
    assert_string_equal(store_get_setting(st, "volume"), "100");
    store_close(st);
}

/* A journal write that fails leaves the record unsaved; the next put rewrites the journal with
 * every pending record, and only then are they reported saved. */
static void test_progress_failed_write_retried(void **state)
{
    (void)state;
    const char *dir = fresh_dir("retry");
    struct store *st = open_ok(dir, NULL);
    assert_int_equal(store_progress_put(st, "a", 1, 10, 1, NULL), 0);
    store_flush(st);
    struct store_progress p;
    assert_true(store_poll(st, &p));
    /* Break the writer's journal: its appends fail. */
    pthread_mutex_lock(&st->writer.lock);
    st->writer.journal_broken = true;
    pthread_mutex_unlock(&st->writer.lock);
    assert_int_equal(store_progress_put(st, "b", 2, 10, 2, NULL), 0);
    store_writer_wait_idle(&st->writer);
    assert_false(store_poll(st, &p)); /* not durable: not reported */
    assert_int_equal(store_progress_count(st), 2);
    assert_int_equal(store_progress_put(st, "c", 3, 10, 3, NULL), 0);
    store_writer_wait_idle(&st->writer);
    assert_true(store_poll(st, &p));
    assert_string_equal(p.episode_id, "b");
    assert_true(store_poll(st, &p));
    assert_string_equal(p.episode_id, "c");
    assert_false(store_poll(st, &p));
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_progress_count(st), 3);
    store_close(st);
}

/* The cost of each call on the calling thread, printed for store.h (not asserted: timing). */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void print_cost(const char *what, int64_t *us, size_t n)
{
    qsort(us, n, sizeof(*us), cmp_i64);
    print_message("cost on the calling thread: %-40s median %lld us, p99 %lld us\n", what,
                  (long long)us[n / 2], (long long)us[n * 99 / 100]);
}

static void test_costs_printout(void **state)
{
    (void)state;
    enum { N = 200 };
    static int64_t us[N];
    const char *dir = fresh_dir("costs");
    struct store *st = open_ok(dir, NULL);
    static char body[8192];
    memset(body, 'x', sizeof(body));
    char id[STORE_EVENT_ID_LEN + 1];
    for (size_t i = 0; i < N; i++) {
        int64_t t = util_now_us();
        assert_int_equal(store_progress_put(st, "ep", (int64_t)i, 90000, 1, id), 0);
        us[i] = util_now_us() - t;
        store_flush(st);
    }
    print_cost("store_progress_put", us, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(store_progress_put(st, "ep", (int64_t)i, 90000, 1, id), 0);
        store_flush(st);
        const char *ids[] = {id};
        int64_t t = util_now_us();
        assert_int_equal(store_progress_ack(st, ids, 1), 0);
        us[i] = util_now_us() - t;
        store_flush(st);
    }
    print_cost("store_progress_ack", us, N);
    for (size_t i = 0; i < N; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%zu", i);
        int64_t t = util_now_us();
        assert_int_equal(store_set_setting(st, "volume", v), 0);
        us[i] = util_now_us() - t;
        store_flush(st);
    }
    print_cost("store_set_setting", us, N);
    for (size_t i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%zu", i % 4);
        int64_t t = util_now_us();
        assert_int_equal(store_cache_put(st, key, "\"e\"", body, sizeof(body)), 0);
        us[i] = util_now_us() - t;
        store_flush(st);
    }
    print_cost("store_cache_put 8 KiB, 4 entries", us, N);
    for (size_t i = 0; i < N; i++) {
        char *b = NULL;
        int64_t t = util_now_us();
        assert_int_equal(store_cache_get(st, "k1", NULL, &b, NULL, NULL), 0);
        us[i] = util_now_us() - t;
        free(b);
    }
    print_cost("store_cache_get 8 KiB (from the file)", us, N);
    for (size_t i = 0; i < STORE_CACHE_ENTRIES_MAX; i++) {
        char key[32];
        snprintf(key, sizeof(key), "poster:%zu", i);
        assert_int_equal(store_cache_put(st, key, NULL, "p", 1), 0);
        if (i % 64 == 0)
            store_flush(st);
    }
    store_flush(st);
    for (size_t i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof(key), "poster:%zu", i);
        int64_t t = util_now_us();
        assert_int_equal(store_cache_put(st, key, NULL, "q", 1), 0);
        us[i] = util_now_us() - t;
        store_flush(st);
    }
    print_cost("store_cache_put at 1024 entries", us, N);
    for (size_t i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof(key), "poster:%zu", i);
        assert_int_equal(store_cache_put(st, key, NULL, "r", 1), 0);
        usleep(i < 5 ? 1000 * 1000 : 0); /* a few past the once-a-second bound */
        int64_t t = util_now_us();
        store_poll(st, NULL); /* formats the index for the writer at most once a second */
        us[i] = util_now_us() - t;
        if (i < 5)
            print_message("store_poll formatting the index of 1024 entries: %lld us\n",
                          (long long)us[i]);
        store_flush(st);
    }
    print_cost("store_poll after a put, 1024 entries", us, N);
    for (size_t i = 0; i < N; i++) {
        char key[32], *e = NULL;
        snprintf(key, sizeof(key), "poster:%zu", 1000 - i);
        int64_t t = util_now_us();
        assert_int_equal(store_cache_etag(st, key, &e), 0);
        us[i] = util_now_us() - t;
        free(e);
    }
    print_cost("store_cache_etag at 1024 entries", us, N);
    store_close(st);
}

/* ---- settings ---- */

/* Recent searches: newest first, a repeat moves up instead of doubling, bounded, kept across a
 * restart; bad arguments change nothing; a full settings table leaves the list as it was. */
static void test_recent_list(void **state)
{
    (void)state;
    const char *dir = fresh_dir("recent");
    struct store *st = open_ok(dir, NULL);
    const char *out[STORE_RECENT_MAX];
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 0);
    assert_int_equal(store_recent_push(st, "search.recent", "pal", 3), 0);
    assert_int_equal(store_recent_push(st, "search.recent", "ceo", 3), 0);
    assert_int_equal(store_recent_push(st, "search.recent", "heir", 3), 0);
    assert_int_equal(store_recent_push(st, "search.recent", "pal", 3), 0); /* moves up */
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 3);
    assert_string_equal(out[0], "pal");
    assert_string_equal(out[1], "heir");
    assert_string_equal(out[2], "ceo");
    assert_int_equal(store_recent_push(st, "search.recent", "new one", 3), 0);
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 3);
    assert_string_equal(out[0], "new one");
    assert_string_equal(out[2], "heir"); /* "ceo" fell off the end */
    assert_int_equal(store_recent_list(st, "search.recent", out, 2), 2);
    assert_int_equal(store_recent_list(st, "other", out, STORE_RECENT_MAX), 0);
    store_close(st);

    st = open_ok(dir, NULL);
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 3);
    assert_string_equal(out[0], "new one");
    assert_string_equal(out[1], "pal");
    assert_string_equal(out[2], "heir");

    char long_list[STORE_SETTING_KEY_MAX + 1];
    memset(long_list, 'l', sizeof(long_list) - 1);
    long_list[sizeof(long_list) - 1] = '\0';
    const struct {
        const char *list, *value;
        size_t max;
    } bad[] = {
        {NULL, "v", 3},
        {"search.recent", NULL, 3},
        {"search.recent", "", 3},
        {"search.recent", "a\nb", 3},
        {"search.recent", "v", 0},
        {"search.recent", "v", 17},
        {"bad list", "v", 3},
        {long_list, "v", 3},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(store_recent_push(st, bad[i].list, bad[i].value, bad[i].max),
                         BINGE_EINVAL);
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 3);
    assert_string_equal(out[0], "new one");

    /* Fill the table: a push that needs a new key is refused and changes nothing. */
    char key[32];
    for (int i = 0; store_set_setting(st, (snprintf(key, sizeof(key), "fill%d", i), key), "x") == 0;
         i++)
        ;
    assert_int_equal(store_recent_push(st, "search.recent", "more", 4), BINGE_ETOOBIG);
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 3);
    assert_string_equal(out[0], "new one");
    assert_string_equal(out[2], "heir");
    /* One that needs no new key still works. */
    assert_int_equal(store_recent_push(st, "search.recent", "more", 3), 0);
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 3);
    assert_string_equal(out[0], "more");
    assert_int_equal(store_recent_clear(st, "search.recent"), 0);
    assert_int_equal(store_recent_list(st, "search.recent", out, STORE_RECENT_MAX), 0);
    store_close(st);
}

static void test_settings(void **state)
{
    (void)state;
    const char *dir = fresh_dir("settings");
    struct store *st = open_ok(dir, NULL);
    assert_null(store_get_setting(st, "audio_lang"));
    assert_int_equal(store_set_setting(st, "audio_lang", "ja"), 0);
    assert_int_equal(store_set_setting(st, "subtitle_lang", "pt-BR"), 0);
    assert_int_equal(store_set_setting(st, "volume", "80"), 0);
    assert_int_equal(store_set_setting(st, "volume", "65"), 0);
    assert_int_equal(store_set_setting(st, "volume", "65"), 0); /* unchanged: no write */
    assert_int_equal(store_set_setting(st, "ui.theme", ""), 0);
    assert_int_equal(store_set_setting(st, "subtitle_lang", NULL), 0);
    assert_int_equal(store_set_setting(st, "never-set", NULL), 0);
    assert_string_equal(store_get_setting(st, "volume"), "65");
    store_close(st);

    st = open_ok(dir, NULL);
    assert_string_equal(store_get_setting(st, "audio_lang"), "ja");
    assert_string_equal(store_get_setting(st, "volume"), "65");
    assert_string_equal(store_get_setting(st, "ui.theme"), "");
    assert_null(store_get_setting(st, "subtitle_lang"));
    assert_null(store_get_setting(st, "bad key"));

    char long_key[STORE_SETTING_KEY_MAX + 2];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    char long_val[STORE_SETTING_VALUE_MAX + 2];
    memset(long_val, 'v', sizeof(long_val) - 1);
    long_val[sizeof(long_val) - 1] = '\0';
    const struct {
        const char *key, *value;
        int rc;
    } rows[] = {
        {"k", "with \"quotes\" and \\ and ü", 0},
        {"k", long_val + 1, 0},
        {NULL, "v", BINGE_EINVAL},
        {"", "v", BINGE_EINVAL},
        {"bad key", "v", BINGE_EINVAL},
        {"bad/key", "v", BINGE_EINVAL},
        {long_key, "v", BINGE_EINVAL},
        {"k", long_val, BINGE_EINVAL},
        {"k", "line\nbreak", BINGE_EINVAL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = store_set_setting(st, rows[i].key, rows[i].value);
        if (rc != rows[i].rc) {
            print_error("row %zu: rc %d want %d\n", i, rc, rows[i].rc);
            fail();
        }
    }
    /* The key count is capped. */
    int set = 4;
    for (int i = 0; set < STORE_SETTINGS_MAX; i++, set++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(store_set_setting(st, key, "x"), 0);
    }
    assert_int_equal(store_set_setting(st, "one_more", "x"), BINGE_ETOOBIG);
    assert_int_equal(store_set_setting(st, "volume", "1"), 0); /* existing keys still change */
    store_close(st);
    st = open_ok(dir, NULL);
    assert_int_equal(store_recovered(st), 0);
    assert_string_equal(store_get_setting(st, "k"), long_val + 1);
    assert_string_equal(store_get_setting(st, "volume"), "1");
    store_close(st);
}

/* ---- parsers, row by row ---- */

struct parse_row {
    const char *json;
    int rc;
    const char *err; /* substring of the message when rc != 0 */
};

static void test_parser_rows(void **state)
{
    (void)state;
    static const struct parse_row token_rows[] = {
        {JV("\"device_id\":\"d\",\"token\":\"t\""), 0, NULL},
        {JV("\"device_id\":\"d\",\"token\":\"t\",\"refresh_token\":null,\"extra\":[1]"), 0, NULL},
        {JV("\"token\":\"t\""), BINGE_EPARSE, "device_id"},
        {JV("\"device_id\":\"d\""), BINGE_EPARSE, "'token'"},
        {JV("\"device_id\":\"d\",\"token\":true"), BINGE_EPARSE, "'token'"},
        {"{\"device_id\":\"d\",\"token\":\"t\"}", BINGE_EPARSE, "version"},
        {"{\"version\":\"1\",\"device_id\":\"d\",\"token\":\"t\"}", BINGE_EPARSE, "version"},
        {"[1]", BINGE_EPARSE, "object"},
        {"{", BINGE_EPARSE, "JSON"},
        {"", BINGE_EPARSE, "empty"},
    };
    for (size_t i = 0; i < sizeof(token_rows) / sizeof(token_rows[0]); i++) {
        struct store_token t = {0};
        char err[STORE_ERR_LEN] = "";
        const char *j = token_rows[i].json;
        int rc = store_token_parse(j, strlen(j), &t, err, sizeof(err));
        if (rc != token_rows[i].rc || (rc && !strstr(err, token_rows[i].err))) {
            print_error("token row %zu: rc %d err '%s'\n", i, rc, err);
            fail();
        }
        assert_true(rc == 0 ? t.token != NULL : t.token == NULL);
        store_token_clear(&t);
    }

    static const struct parse_row settings_rows[] = {
        {JV("\"settings\":{}"), 0, NULL},
        {JV("\"settings\":{\"a\":\"b\"},\"future\":1"), 0, NULL},
        {JV("\"setting\":{}"), BINGE_EPARSE, "settings"},
        {JV("\"settings\":{\"a\":null}"), BINGE_EPARSE, "settings.a"},
        {JV("\"settings\":{\"a\":\"1\",\"a\":\"1\"}"), BINGE_EPARSE, "duplicate"},
    };
    for (size_t i = 0; i < sizeof(settings_rows) / sizeof(settings_rows[0]); i++) {
        struct store_settings s = {0};
        char err[STORE_ERR_LEN] = "";
        const char *j = settings_rows[i].json;
        int rc = store_settings_parse(j, strlen(j), &s, err, sizeof(err));
        if (rc != settings_rows[i].rc || (rc && !strstr(err, settings_rows[i].err))) {
            print_error("settings row %zu: rc %d err '%s'\n", i, rc, err);
            fail();
        }
        store_settings_clear(&s);
    }

#define ENTRY(fields) "{\"key\":\"k\",\"file\":1,\"fetched_at\":5,\"used\":0,\"size\":3" fields "}"
    static const struct parse_row index_rows[] = {
        {JV("\"next_file\":0,\"clock\":0,\"entries\":[]"), 0, NULL},
        {JV("\"next_file\":2,\"clock\":1,\"entries\":[" ENTRY(",\"crc\":7") "]"), 0, NULL},
        {JV("\"next_file\":2,\"clock\":1,\"entries\":[" ENTRY("") "]"), BINGE_EPARSE,
         "entries[0]: missing field 'crc'"},
        {JV("\"next_file\":2,\"clock\":1,\"entries\":[" ENTRY(",\"crc\":4294967296") "]"),
         BINGE_EPARSE, "'crc'"},
        {JV("\"next_file\":2,\"clock\":1,\"entries\":[" ENTRY(",\"crc\":1,\"etag\":\"\"") "]"),
         BINGE_EPARSE, "'etag'"},
        {JV("\"next_file\":2,\"clock\":0,\"entries\":[" ENTRY(",\"crc\":7") "]"), BINGE_EPARSE,
         "counters"},
        {JV("\"clock\":0,\"entries\":[]"), BINGE_EPARSE, "next_file"},
        {JV("\"next_file\":0,\"clock\":0,\"entries\":[7]"), BINGE_EPARSE, "entries[0]"},
    };
    for (size_t i = 0; i < sizeof(index_rows) / sizeof(index_rows[0]); i++) {
        struct store_cache_index idx = {0};
        char err[STORE_ERR_LEN] = "";
        const char *j = index_rows[i].json;
        int rc = store_cache_index_parse(j, strlen(j), &idx, err, sizeof(err));
        if (rc != index_rows[i].rc || (rc && !strstr(err, index_rows[i].err))) {
            print_error("index row %zu: rc %d err '%s'\n", i, rc, err);
            fail();
        }
        store_cache_index_clear(&idx);
    }
}

/* Journal lines, row by row: what counts as a record, damage, or a torn tail. */
static void test_journal_rows(void **state)
{
    (void)state;
    struct store_progress p = {.event_id = "0123456789abcdef0123456789abcdef",
                               .episode_id = "ep",
                               .position_ms = 1,
                               .duration_ms = 2,
                               .updated_at_ms = 3};
    char *put = store_journal_put_line(&p);
    char *head = store_journal_header_line();
    const char *ids[] = {p.event_id};
    char *ack = store_journal_ack_lines(ids, 1);
    char *put_no_nl = util_strdup(put);
    put_no_nl[strlen(put_no_nl) - 1] = '\0';
    char *bad_crc = util_strdup(put);
    bad_crc[0] = bad_crc[0] == '0' ? '1' : '0';
    char *two = util_asprintf("%s%s", put, put); /* the same id twice is damage */
    char *put_ack = util_asprintf("%s%s%s", head, put, ack);
    char *torn = util_asprintf("%s%.20s", put, put);
    char *junk_tail = util_asprintf("%sXYZ", put);
    const struct {
        const char *text;
        size_t live, records, bad;
        bool torn, header;
    } rows[] = {
        {"", 0, 0, 0, false, false},        {head, 0, 1, 0, false, true},
        {put, 1, 1, 0, false, false},       {put_ack, 0, 3, 0, false, true},
        {put_no_nl, 0, 0, 0, true, false},  {torn, 1, 1, 0, true, false},
        {"0", 0, 0, 0, true, false},        {"0123abcd {\"t\":", 0, 0, 0, true, false},
        {junk_tail, 1, 1, 1, false, false}, {bad_crc, 0, 0, 1, false, false},
        {two, 1, 1, 1, false, false},       {"00000000 \n", 0, 0, 1, false, false},
        {"\n\n", 0, 0, 2, false, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct store_queue q = {0};
        struct store_journal_scan scan;
        assert_int_equal(store_journal_parse(rows[i].text, strlen(rows[i].text), &q, &scan), 0);
        if (q.live != rows[i].live || scan.records != rows[i].records || scan.bad != rows[i].bad ||
            scan.torn != rows[i].torn || scan.has_header != rows[i].header) {
            print_error("row %zu: live %zu records %zu bad %zu torn %d header %d\n", i, q.live,
                        scan.records, scan.bad, scan.torn, scan.has_header);
            fail();
        }
        store_queue_clear(&q);
    }
    free(put);
    free(head);
    free(ack);
    free(put_no_nl);
    free(bad_crc);
    free(two);
    free(put_ack);
    free(torn);
    free(junk_tail);
    /* The CRC is the standard one. */
    assert_int_equal(store_crc32("123456789", 9), 0xcbf43926u);
}

/* ---- unwritable directories ---- */

/* Body of the read-only checks; returns a line number on failure, 0 on success. It runs in a
 * child without root's privileges when the tests run as root. */
static int readonly_checks(const char *ro_dir, const char *own_dir)
{
    char err[256] = "";
    /* An existing read-only directory and a directory that can't be created under it. */
    if (store_open(ro_dir, err, sizeof(err)) || !strstr(err, "not writable"))
        return __LINE__;
    char *sub = util_asprintf("%s/binge", ro_dir);
    struct store *st = store_open(sub, err, sizeof(err));
    free(sub);
    if (st || !strstr(err, "can't create"))
        return __LINE__;

    /* A directory that turns read-only while open: the writer's writes fail cleanly (logged),
     * the memory holds what the caller set, and the files on disk stay whole and old. */
    st = store_open(own_dir, err, sizeof(err));
    if (!st || store_set_setting(st, "volume", "1") != 0 ||
        store_cache_put(st, "home:en", "e1", "old", 3) != 0)
        return __LINE__;
    store_flush(st);
    if (chmod(own_dir, 0500) != 0)
        return __LINE__;
    char cache_dir[600];
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", own_dir);
    if (chmod(cache_dir, 0500) != 0)
        return __LINE__;
    if (store_set_setting(st, "volume", "2") != 0 || strcmp(store_get_setting(st, "volume"), "2"))
        return __LINE__;
    if (store_save_token(st, "d", "t", NULL) != 0 || store_load_token(st, NULL, NULL, NULL) != 0)
        return __LINE__;
    if (store_cache_put(st, "home:en", "e2", "new", 3) != 0)
        return __LINE__;
    store_flush(st);
    /* The new body never reached the disk: the entry is dropped, never read back wrong. */
    char *etag = NULL, *body = NULL;
    if (store_cache_get(st, "home:en", &etag, &body, NULL, NULL) != BINGE_ENOTFOUND)
        return __LINE__;
    /* The journal is already open, so progress still lands. */
    if (store_progress_put(st, "e", 1, 1, 1, NULL) != 0)
        return __LINE__;
    store_flush(st);
    struct store_progress saved;
    if (!store_poll(st, &saved) || strcmp(saved.episode_id, "e") != 0)
        return __LINE__;
    store_close(st);
    chmod(cache_dir, 0700);
    chmod(own_dir, 0700);
    st = store_open(own_dir, err, sizeof(err));
    if (!st || store_recovered(st) != 0 || store_progress_count(st) != 1 ||
        strcmp(store_get_setting(st, "volume"), "1") != 0 ||
        store_load_token(st, NULL, NULL, NULL) != BINGE_ENOTFOUND)
        return __LINE__;
    if (store_cache_get(st, "home:en", &etag, &body, NULL, NULL) != 0 || strcmp(etag, "e1") != 0 ||
        strcmp(body, "old") != 0)
        return __LINE__;
    free(etag);
    free(body);
    store_close(st);
    return 0;
}

static void test_readonly_dir(void **state)
{
    (void)state;
    /* As root the checks run as nobody, who must reach the directories: not below the build
     * tree, whose parents may be closed to others (a checkout in a mktemp -d directory is 0700,
     * and the test failed there), but in a directory of its own under /tmp. */
    char tmpl[] = "/tmp/binge-readonly-XXXXXX";
    const char *base = geteuid() == 0 ? mkdtemp(tmpl) : fresh_dir("readonly");
    assert_non_null(base);
    char *ro = util_asprintf("%s/ro", base);
    char *own = util_asprintf("%s/own", base);
    store_close(open_ok(base, NULL)); /* creates base */
    assert_int_equal(chmod(base, 0755), 0);
    assert_int_equal(mkdir(ro, 0555), 0);
    assert_int_equal(mkdir(own, 0700), 0);
    if (geteuid() != 0) {
        int line = readonly_checks(ro, own);
        if (line)
            print_error("readonly check failed at line %d\n", line);
        assert_int_equal(line, 0);
    } else {
        /* Root ignores permissions: drop to nobody in a child. */
        const uid_t nobody = 65534;
        char *parent = util_asprintf("%s/test-tmp", BINGE_BUILD_DIR);
        chmod(parent, 0755);
        free(parent);
        parent = util_asprintf("%s/test-tmp/store", BINGE_BUILD_DIR);
        chmod(parent, 0755);
        free(parent);
        assert_int_equal(chown(own, nobody, nobody), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgroups(0, NULL) != 0 || setresgid(nobody, nobody, nobody) != 0 ||
                setresuid(nobody, nobody, nobody) != 0)
                _exit(200);
            int line = readonly_checks(ro, own);
            _exit(line > 199 ? 199 : line); /* line numbers are clamped: 199 = "late line" */
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
            print_error("readonly check failed (exit %d: line, 199 = any line >= 199, 200 = "
                        "can't drop root)\n",
                        WEXITSTATUS(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    rm_rf(base);
    free(ro);
    free(own);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_dir),
        cmocka_unit_test(test_open_creates_private_dirs),
        cmocka_unit_test(test_open_bad_paths),
        cmocka_unit_test(test_null_handles),
        cmocka_unit_test(test_temp_files_swept),
        cmocka_unit_test(test_token_round_trip),
        cmocka_unit_test(test_token_bad_args),
        cmocka_unit_test(test_corrupt_token_moved_aside),
        cmocka_unit_test(test_corrupt_copies_bounded),
        cmocka_unit_test(test_garbage_files),
        cmocka_unit_test(test_cache_round_trip),
        cmocka_unit_test(test_cache_bad_args),
        cmocka_unit_test(test_cache_eviction),
        cmocka_unit_test(test_cache_damaged_body),
        cmocka_unit_test(test_cache_etag_from_memory),
        cmocka_unit_test(test_progress_basic),
        cmocka_unit_test(test_progress_bad_args),
        cmocka_unit_test(test_progress_ids_and_compaction),
        cmocka_unit_test(test_progress_cap),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_journal_damage_salvaged),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_recent_list),
        cmocka_unit_test(test_no_sync_on_caller),
        cmocka_unit_test(test_settings_coalesce),
        cmocka_unit_test(test_progress_durable_only),
        cmocka_unit_test(test_progress_failed_write_retried),
        cmocka_unit_test(test_costs_printout),
        cmocka_unit_test(test_parser_rows),
        cmocka_unit_test(test_journal_rows),
        cmocka_unit_test(test_readonly_dir),
    };
    /* Quiet by default: most tests provoke errors on purpose. */
    log_set_level(getenv("BINGE_TEST_VERBOSE") ? LOG_DEBUG : LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
