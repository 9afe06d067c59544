/* Unit tests for src/util: atomic writes, capped reads, error strings, logging. */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[PATH_MAX];

static int setup_dir(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/binge-test-util-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char p[PATH_MAX + 256];
            snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
            if (e->d_name[0] != '.')
                remove(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static char *path_in_tmp(const char *name)
{
    char *p = util_asprintf("%s/%s", tmpdir, name);
    assert_non_null(p);
    return p;
}

static void test_atomic_write_roundtrip(void **state)
{
    char *path = path_in_tmp("state.json");
    const char *v1 = "{\"v\":1}";
    const char *v2 = "{\"v\":2, \"longer\": true}";

    assert_int_equal(util_write_file_atomic(path, v1, strlen(v1), 0600), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(util_read_file(path, 1024, &text, &len), 0);
    assert_int_equal(len, strlen(v1));
    assert_string_equal(text, v1);
    free(text);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* Overwrite replaces the content and leaves no temporary files behind. */
    assert_int_equal(util_write_file_atomic(path, v2, strlen(v2), 0644), 0);
    assert_int_equal(util_read_file(path, 1024, &text, &len), 0);
    assert_string_equal(text, v2);
    free(text);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(tmpdir), 1);

    /* Zero-length data is a valid (empty) file. */
    assert_int_equal(util_write_file_atomic(path, "", 0, 0600), 0);
    assert_int_equal(util_read_file(path, 1024, &text, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
    remove(path);
    free(path);
}

static void test_atomic_write_failure_keeps_old(void **state)
{
    /* The target is a non-empty directory: rename must fail and leave it untouched. */
    char *dir = path_in_tmp("occupied");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *inner = util_asprintf("%s/keep", dir);
    assert_int_equal(util_write_file_atomic(inner, "x", 1, 0600), 0);

    assert_int_equal(util_write_file_atomic(dir, "new", 3, 0600), BINGE_EIO);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_entries(tmpdir), 1); /* no stray temporary file */

    /* A missing directory cannot hold the temporary file. */
    char *missing = path_in_tmp("no/such/dir/file");
    assert_int_equal(util_write_file_atomic(missing, "x", 1, 0600), BINGE_EIO);

    remove(inner);
    rmdir(dir);
    free(inner);
    free(dir);
    free(missing);
}

static void test_read_file_cap(void **state)
{
    char *path = path_in_tmp("hundred");
    char data[100];
    memset(data, 'a', sizeof(data));
    assert_int_equal(util_write_file_atomic(path, data, sizeof(data), 0600), 0);

    static const struct {
        size_t cap;
        int rc;
    } rows[] = {
        {1000, 0}, {101, 0}, {100, 0}, {99, BINGE_ETOOBIG}, {1, BINGE_ETOOBIG}, {0, BINGE_ETOOBIG},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *text = (char *)"untouched";
        size_t len = 12345;
        int rc = util_read_file(path, rows[i].cap, &text, &len);
        assert_int_equal(rc, rows[i].rc);
        if (rc == 0) {
            assert_int_equal(len, 100);
            assert_int_equal(text[100], '\0');
            free(text);
        } else {
            assert_null(text);
        }
    }

    char *text = NULL;
    size_t len = 0;
    char *missing = path_in_tmp("missing");
    assert_int_equal(util_read_file(missing, 100, &text, &len), BINGE_ENOTFOUND);
    assert_int_equal(util_read_file(tmpdir, 100, &text, &len), BINGE_EIO);
    /* st_size is 0 for /proc and endless for /dev/zero: the cap holds on bytes read. */
    assert_int_equal(util_read_file("/dev/zero", 4096, &text, &len), BINGE_ETOOBIG);
    assert_int_equal(util_read_file("/proc/self/status", 1 << 20, &text, &len), 0);
    assert_true(len > 0);
    assert_int_equal(strlen(text), len);
    free(text);
    remove(path);
    free(path);
    free(missing);
}

static void test_strerror(void **state)
{
    static const int codes[] = {
        BINGE_OK,        BINGE_ENOMEM, BINGE_EINVAL, BINGE_EIO,     BINGE_EPARSE, BINGE_ENOTFOUND,
        BINGE_ETIMEDOUT, BINGE_ENET,   BINGE_EHTTP,  BINGE_ETOOBIG, BINGE_ESTATE, BINGE_EMEDIA,
    };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        const char *s = binge_strerror(codes[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, binge_strerror(-999));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, binge_strerror(codes[j]));
    }
    static const int unknown[] = {-12, -999, 1, 42, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_string_equal(binge_strerror(unknown[i]), "unknown error");
}

static void test_strings_and_time(void **state)
{
    assert_null(util_strdup(NULL));
    char *s = util_strdup("abc");
    assert_string_equal(s, "abc");
    free(s);
    s = util_asprintf("%s-%d", "tv", 42);
    assert_string_equal(s, "tv-42");
    free(s);
    s = util_asprintf("%s", "");
    assert_string_equal(s, "");
    free(s);

    int64_t a = util_now_us(), b = util_now_us();
    assert_true(b >= a);
    int64_t ms = util_now_ms();
    assert_true(ms >= a / 1000);
}

static void test_log_level_names(void **state)
{
    static const struct {
        const char *name;
        int rc;
        enum log_level level;
    } rows[] = {
        {"error", 0, LOG_ERROR},
        {"warn", 0, LOG_WARN},
        {"info", 0, LOG_INFO},
        {"debug", 0, LOG_DEBUG},
        {"DEBUG", 0, LOG_DEBUG},
        {"", BINGE_EINVAL, LOG_INFO},
        {"trace", BINGE_EINVAL, LOG_INFO},
        {"warning", BINGE_EINVAL, LOG_INFO},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum log_level level = LOG_INFO;
        assert_int_equal(log_level_from_name(rows[i].name, &level), rows[i].rc);
        assert_int_equal(level, rows[i].level);
    }
    assert_int_equal(log_level_from_name(NULL, NULL), BINGE_EINVAL);
}

/* Runs fn with stderr redirected into a file and returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    char *path = path_in_tmp("stderr.txt");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    char *text = NULL;
    assert_int_equal(util_read_file(path, 1 << 20, &text, NULL), 0);
    remove(path);
    free(path);
    return text;
}

static void log_some(void)
{
    log_set_level(LOG_INFO);
    log_msg("test", LOG_INFO, "hello %d", 42);
    log_msg("test", LOG_DEBUG, "dropped at info");
    log_msg("net", LOG_WARN, "line1\nfake 00:00:00.000 ERROR x: y");
    log_set_level(LOG_DEBUG);
    log_msg("test", LOG_DEBUG, "now shown");
    log_set_level(LOG_INFO);
}

static void test_log_format(void **state)
{
    char *text = capture_stderr(log_some);
    /* Exactly three lines, each "HH:MM:SS.mmm LEVEL module: message". */
    char *save = NULL;
    const char *expect[] = {"INFO test: hello 42", "WARN net: line1 fake 00:00:00.000 ERROR x: y",
                            "DEBUG test: now shown"};
    size_t n = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_true(n < 3);
        assert_true(strlen(line) > 13);
        assert_true(line[2] == ':' && line[5] == ':' && line[8] == '.' && line[12] == ' ');
        assert_string_equal(line + 13, expect[n]);
        n++;
    }
    assert_int_equal(n, 3);
    free(text);
}

static void log_long(void)
{
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_msg("test", LOG_ERROR, "%s", big);
}

static void test_log_truncates(void **state)
{
    char *text = capture_stderr(log_long);
    size_t len = strlen(text);
    assert_true(len > 100 && len < 5000);
    assert_int_equal(text[len - 1], '\n');
    assert_non_null(strstr(text, "...\n"));
    assert_ptr_equal(strchr(text, '\n'), text + len - 1); /* one line, one write */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_roundtrip),
        cmocka_unit_test(test_atomic_write_failure_keeps_old),
        cmocka_unit_test(test_read_file_cap),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_strings_and_time),
        cmocka_unit_test(test_log_level_names),
        cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_log_truncates),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
