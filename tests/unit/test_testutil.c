/* The helpers that run the tests under emulation (tests/common/testutil.h): a target binary goes
 * through BINGE_TEST_EMULATOR (directly, after fork, behind a host tool, in a sh -c line), a host
 * tool does not and loses the emulator's -E variables, exit statuses and deaths by signal come
 * back through the emulator, and BINGE_TEST_TIMEOUT_SCALE is read as documented.
 *
 * The emulator here is a recording one put in front of whatever BINGE_TEST_EMULATOR already
 * holds: natively it runs the program itself, under qemu-user it runs qemu-user. So the test
 * checks the same thing on both, and the real emulator is exercised too. The target binary is
 * this test (it lives in BINGE_BUILD_DIR/tests), run again with --child. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char self[PATH_MAX];
static char dir[1024];
static char record[1200];
static char *real_emulator; /* BINGE_TEST_EMULATOR as ctest gave it (empty natively) */

/* The recording emulator: appends "emulator:", its arguments (one a line) and a blank line to the
 * record; takes "-E NAME=VALUE" words as qemu-user does; runs the rest. */
static const char fake_emulator[] = "#!/bin/sh\n"
                                    "echo emulator: >>'%s'\n"
                                    "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done >>'%s'\n"
                                    "echo >>'%s'\n"
                                    "while [ \"$1\" = -E ]; do export \"$2\"; shift 2; done\n"
                                    "exec \"$@\"\n";

static char *path_in(const char *name)
{
    static char bufs[4][1200];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* BINGE_TEST_EMULATOR = the recording emulator, extra words, then the real one. */
static void use_emulator(const char *extra)
{
    char value[8192];
    snprintf(value, sizeof(value), "%s%s%s%s%s", path_in("fake-emu"), extra[0] ? ";" : "", extra,
             real_emulator[0] ? ";" : "", real_emulator);
    setenv("BINGE_TEST_EMULATOR", value, 1);
    unlink(record);
}

static int setup(void **state)
{
    (void)state;
    const char *e = getenv("BINGE_TEST_EMULATOR");
    real_emulator = strdup(e ? e : "");
    const char *w = tu_workdir("testutil");
    if (!w || !real_emulator)
        return -1;
    snprintf(dir, sizeof(dir), "%s", w);
    snprintf(record, sizeof(record), "%s/record.txt", dir);
    char text[4096];
    snprintf(text, sizeof(text), fake_emulator, record, record, record);
    if (tu_write_file(path_in("fake-emu"), text) != 0 || chmod(path_in("fake-emu"), 0755) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    setenv("BINGE_TEST_EMULATOR", real_emulator, 1);
    free(real_emulator);
    return 0;
}

/* The recorded emulator calls. */
static char *recorded(void)
{
    char *r = tu_read_file(record);
    return r ? r : strdup("");
}

static void test_target_binary_through_emulator(void **state)
{
    (void)state;
    use_emulator("-E;BINGE_TESTUTIL_SEEN=by-emulator");
    char *argv[] = {self, "--child", "print-env", NULL};
    assert_int_equal(tu_run(argv, path_in("out.txt"), NULL, 60), 0);
    char *rec = recorded(), *out = tu_read_file(path_in("out.txt"));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "-E\nBINGE_TESTUTIL_SEEN=by-emulator\n");
    assert_non_null(strstr(rec, want));
    snprintf(want, sizeof(want), "\n%s\n--child\nprint-env\n\n", self);
    assert_non_null(strstr(rec, want));
    /* The emulator's -E reached the program. */
    assert_non_null(out);
    assert_string_equal(out, "by-emulator\n");
    free(rec);
    free(out);
}

static void test_exit_status_and_signal_pass_through(void **state)
{
    (void)state;
    use_emulator("");
    char *exit3[] = {self, "--child", "exit3", NULL};
    assert_int_equal(tu_run(exit3, NULL, NULL, 60), 3);
    char *term[] = {self, "--child", "sigterm", NULL};
    assert_int_equal(tu_run(term, NULL, NULL, 60), 128 + SIGTERM);
    /* A signal sent to the pid tu_spawn gave reaches the program. */
    char *wait_argv[] = {self, "--child", "wait", NULL};
    pid_t pid = tu_spawn(wait_argv, path_in("wait.txt"), NULL);
    assert_true(pid > 0);
    for (int i = 0; i < tu_scaled(600); i++) { /* its "waiting" line: it has its handler */
        char *t = tu_read_file(path_in("wait.txt"));
        bool ready = t && strstr(t, "waiting\n");
        free(t);
        if (ready)
            break;
        usleep(100 * 1000);
    }
    kill(pid, SIGUSR1);
    assert_int_equal(tu_wait(pid, 60), 42); /* its SIGUSR1 handler exits 42 */
    char *rec = recorded();
    assert_non_null(strstr(rec, "exit3"));
    assert_non_null(strstr(rec, "sigterm"));
    free(rec);
}

static void test_host_tool_runs_natively(void **state)
{
    (void)state;
    use_emulator("-E;BINGE_TESTUTIL_SEEN=by-emulator");
    /* What a test run by the emulator inherits from it: gone for a host tool. */
    setenv("BINGE_TESTUTIL_SEEN", "inherited", 1);
    char *argv[] = {"/bin/sh", "-c", "echo \"[${BINGE_TESTUTIL_SEEN:-}]\"", NULL};
    assert_int_equal(tu_run(argv, path_in("out.txt"), NULL, 60), 0);
    char *out = tu_read_file(path_in("out.txt")), *rec = recorded();
    assert_non_null(out);
    assert_string_equal(out, "[]\n");
    assert_string_equal(rec, ""); /* never through the emulator */
    unsetenv("BINGE_TESTUTIL_SEEN");
    free(out);
    free(rec);
}

static void test_target_behind_host_tool(void **state)
{
    (void)state;
    use_emulator("");
    /* As xvfb-run -a ... bin/binge ...: env is the host tool, this test the target. */
    char *argv[] = {
        "/usr/bin/env", "BINGE_TESTUTIL_SEEN=set-by-env", self, "--child", "print-env", NULL};
    assert_int_equal(tu_run(argv, path_in("out.txt"), NULL, 60), 0);
    char *out = tu_read_file(path_in("out.txt")), *rec = recorded();
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "\n%s\n--child\nprint-env\n\n", self);
    assert_non_null(strstr(rec, want));
    assert_null(strstr(rec, "/usr/bin/env"));
    assert_non_null(out);
    assert_string_equal(out, "set-by-env\n");
    free(out);
    free(rec);
}

static void test_execv_after_fork_and_sh_prefix(void **state)
{
    (void)state;
    use_emulator("");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {self, "--child", "exit3", NULL};
        tu_execv(self, argv);
        _exit(127);
    }
    assert_int_equal(tu_wait(pid, 60), 3);
    /* tu_emulator_sh() in a sh -c line; a word with a quote and a space survives its quoting.
     * It is computed once per process: a fresh child sees this value. */
    use_emulator("-E;BINGE_TESTUTIL_SEEN=it's two");
    char *argv[] = {self, "--child", "sh-prefix", NULL};
    assert_int_equal(tu_run(argv, path_in("out.txt"), NULL, 60), 0);
    char *text = tu_read_file(path_in("out.txt"));
    assert_non_null(text);
    assert_string_equal(text, "it's two\n");
    free(text);
}

static void test_timeout_scale(void **state)
{
    (void)state;
    char *saved =
        getenv("BINGE_TEST_TIMEOUT_SCALE") ? strdup(getenv("BINGE_TEST_TIMEOUT_SCALE")) : NULL;
    static const struct {
        const char *value;
        int scale;
    } rows[] = {{NULL, 1}, {"1", 1}, {"4", 4},  {"12", 12}, {"0", 1},
                {"-3", 1}, {"x", 1}, {"4x", 1}, {"", 1}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].value)
            setenv("BINGE_TEST_TIMEOUT_SCALE", rows[i].value, 1);
        else
            unsetenv("BINGE_TEST_TIMEOUT_SCALE");
        assert_int_equal(tu_timeout_scale(), rows[i].scale);
        assert_int_equal(tu_scaled(30), 30 * rows[i].scale);
    }
    if (saved)
        setenv("BINGE_TEST_TIMEOUT_SCALE", saved, 1);
    else
        unsetenv("BINGE_TEST_TIMEOUT_SCALE");
    free(saved);
}

static void on_usr1(int sig)
{
    (void)sig;
    _exit(42);
}

/* The child roles of this binary (run through the emulator by the tests above). */
static int child(const char *role)
{
    if (strcmp(role, "print-env") == 0) {
        const char *v = getenv("BINGE_TESTUTIL_SEEN");
        printf("%s\n", v ? v : "(unset)");
        return 0;
    }
    if (strcmp(role, "exit3") == 0)
        return 3;
    if (strcmp(role, "sigterm") == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        return 1;
    }
    if (strcmp(role, "wait") == 0) {
        signal(SIGUSR1, on_usr1);
        printf("waiting\n");
        fflush(stdout);
        for (int i = 0; i < 6000; i++) /* 10 minutes at most: never left behind */
            usleep(100 * 1000);
        return 1;
    }
    if (strcmp(role, "sh-prefix") == 0) {
        /* Only the emulator's -E may set it for the grandchild. */
        unsetenv("BINGE_TESTUTIL_SEEN");
        char cmd[16384];
        snprintf(cmd, sizeof(cmd), "%s'%s' --child print-env", tu_emulator_sh(), self);
        fflush(stdout);
        return system(cmd) == 0 ? 0 : 1; /* its output is ours (the same stdout) */
    }
    return 2;
}

int main(int argc, char **argv)
{
    if (!realpath("/proc/self/exe", self))
        snprintf(self, sizeof(self), "%s", argv[0]);
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_binary_through_emulator),
        cmocka_unit_test(test_exit_status_and_signal_pass_through),
        cmocka_unit_test(test_host_tool_runs_natively),
        cmocka_unit_test(test_target_behind_host_tool),
        cmocka_unit_test(test_execv_after_fork_and_sh_prefix),
        cmocka_unit_test(test_timeout_scale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
