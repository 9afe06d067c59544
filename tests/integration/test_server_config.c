/* binge-server --config FILE (/etc/binge/binge-server.conf in the package, read by
 * binge-server.service): the real binary serves with the file's listen address, database and
 * media; the command line wins over the file; broken files are refused with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/testutil.h"

static char content[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/server-config-content", BINGE_BUILD_DIR);
    return tu_make_content(content, "--series 1 --episodes 1 --duration 2 --sizes 180x320");
}

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* Starts the server with argv, waits for its "serving" line; returns the pid, the URL in url. */
static pid_t start(char *const argv[], const char *out, const char *err, char *url, size_t len)
{
    pid_t pid = tu_spawn(argv, out, err);
    assert_true(pid > 0);
    /* 60 s at most (scaled): a hung start fails, it does not block */
    for (int i = 0; i < tu_scaled(600); i++) {
        char *text = tu_read_file(out);
        const char *at = text ? strstr(text, "serving ") : NULL;
        if (at && strchr(at, '\n')) {
            snprintf(url, len, "%.*s", (int)(strchr(at, '\n') - at - 8), at + 8);
            free(text);
            return pid;
        }
        free(text);
        if (waitpid(pid, NULL, WNOHANG) == pid)
            fail_msg("binge-server exited before serving: see %s", err);
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("binge-server did not serve within a minute");
    return -1;
}

static void stop(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_config_serves(void **state)
{
    const char *dir = tu_workdir("server-config");
    assert_non_null(dir);
    char bin[1024], conf[1200], text[4096], url[128], cmd[512], out[8192];
    snprintf(bin, sizeof(bin), "%s/bin/binge-server", BINGE_BUILD_DIR);
    snprintf(conf, sizeof(conf), "%s", path_in(dir, "binge-server.conf"));
    snprintf(text, sizeof(text),
             "# binge-server's settings\n"
             "\n"
             "  listen = 127.0.0.1:0  \n"
             "db = %s\n"
             "media=%s\n"
             "\tfree-episodes = 1\r\n"
             "dev = false\n"
             "log-level = debug\n",
             path_in(dir, "db.sqlite"), content);
    assert_int_equal(tu_write_file(conf, text), 0);

    char *argv[] = {bin, "--config", conf, NULL};
    pid_t pid = start(argv, path_in(dir, "out1.txt"), path_in(dir, "err1.txt"), url, sizeof(url));
    assert_non_null(strstr(url, "http://127.0.0.1:"));
    snprintf(cmd, sizeof(cmd), "curl -fsS -X POST -H 'X-Device-Id: cfg-test' %s/v1/device/register",
             url);
    assert_int_equal(tu_sh(cmd, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "token"));
    stop(pid);
    assert_int_equal(access(path_in(dir, "db.sqlite"), F_OK), 0); /* the file's database */
    char *log = tu_read_file(path_in(dir, "err1.txt"));
    assert_non_null(strstr(log, "1 free episodes"));
    free(log);

    /* The command line wins over the file. */
    int port = tu_free_port();
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    char *argv2[] = {bin, "--free-episodes", "4", "--config", conf, "--listen", listen, NULL};
    pid = start(argv2, path_in(dir, "out2.txt"), path_in(dir, "err2.txt"), url, sizeof(url));
    char want[96];
    snprintf(want, sizeof(want), "http://%s", listen);
    assert_string_equal(url, want);
    stop(pid);
    log = tu_read_file(path_in(dir, "err2.txt"));
    assert_non_null(strstr(log, "4 free episodes"));
    free(log);

    /* Two files: the second's settings over the first's, and what the second does not set is
     * still the first's (the first's values point into its text, which must outlive it). */
    char second[1200];
    snprintf(second, sizeof(second), "%s", path_in(dir, "second.conf"));
    port = tu_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(text, sizeof(text), "# a local override\nlisten = %s\nfree-episodes = 2\n", listen);
    assert_int_equal(tu_write_file(second, text), 0);
    assert_int_equal(unlink(path_in(dir, "db.sqlite")), 0);
    char *argv3[] = {bin, "--config", conf, "--config", second, NULL};
    pid = start(argv3, path_in(dir, "out3.txt"), path_in(dir, "err3.txt"), url, sizeof(url));
    snprintf(want, sizeof(want), "http://%s", listen);
    assert_string_equal(url, want);
    snprintf(cmd, sizeof(cmd), "curl -fsS -X POST -H 'X-Device-Id: cfg-test' %s/v1/device/register",
             url);
    assert_int_equal(tu_sh(cmd, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "token"));
    stop(pid);
    assert_int_equal(access(path_in(dir, "db.sqlite"), F_OK), 0); /* the first file's database */
    log = tu_read_file(path_in(dir, "err3.txt"));
    assert_non_null(strstr(log, "2 free episodes"));
    free(log);
}

static void test_config_errors(void **state)
{
    static const struct {
        const char *text, *err; /* err after "<path>" unless it starts with '-' */
    } rows[] = {
        {"listen = 127.0.0.1:0\ncolour = red\n", ":2: unknown option 'colour'"},
        {"# ok\n\nlisten\n", ":3: expected \"name = value\""},
        {"free-episodes = lots\n", "--free-episodes wants an integer"},
        {"dev = perhaps\n", ":1: dev wants true or false"},
        {"help = true\n", ":1: unknown option 'help'"},
        {"config = /etc/other.conf\n", ":1: unknown option 'config'"},
    };
    const char *dir = tu_workdir("server-config-errors");
    assert_non_null(dir);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge-server", BINGE_BUILD_DIR);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char conf[1200];
        snprintf(conf, sizeof(conf), "%s", path_in(dir, "bad.conf"));
        assert_int_equal(tu_write_file(conf, rows[i].text), 0);
        char *argv[] = {bin,       "--config", conf, "--db", path_in(dir, "db.sqlite"),
                        "--media", content,    NULL};
        int rc = tu_run(argv, path_in(dir, "out.txt"), path_in(dir, "err.txt"), 60);
        char *err = tu_read_file(path_in(dir, "err.txt"));
        char want[1400];
        if (rows[i].err[0] == '-')
            snprintf(want, sizeof(want), "%s", rows[i].err);
        else
            snprintf(want, sizeof(want), "%s%s", conf, rows[i].err);
        if (rc != 2 || !err || !strstr(err, want)) {
            print_error("row %zu: status %d, err '%s', want '%s'\n", i, rc, err ? err : "", want);
            fail();
        }
        free(err);
    }
    char *missing[] = {bin, "--config", "/nonexistent/binge-server.conf", NULL};
    assert_int_equal(tu_run(missing, NULL, path_in(dir, "err.txt"), 60), 2);
    /* --help works whatever the file holds. */
    char *help[] = {bin, "--config", path_in(dir, "bad.conf"), "--help", NULL};
    assert_int_equal(tu_run(help, path_in(dir, "out.txt"), NULL, 60), 0);
    char *text = tu_read_file(path_in(dir, "out.txt"));
    assert_non_null(strstr(text, "--config FILE"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_serves),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
