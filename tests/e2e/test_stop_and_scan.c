/* binge under the conditions issue 12 met under qemu-user, reproduced natively with the real
 * binary, the real binge-server and real GStreamer:
 * - a GStreamer registry that must be built in-process (GST_REGISTRY_FORK=no, as under
 *   qemu-user; or a box without gst-plugin-scanner): playback through the server must start;
 * - SIGTERM to a binge that hangs must end it in bounded time.
 * Timeouts are generous bounds against hangs, never performance budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "../common/testutil.h"

#define CONTENT_ARGS "--series 2 --episodes 3 --duration 3 --sizes 180x320"

static char content[1024];

static int setup(void **state)
{
    (void)state;
    /* The same fixture as test_e2e: make-content does nothing when it is there. */
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* An empty GStreamer registry and no forked scanner: gst_init scans every plugin inside binge,
 * as under qemu-user the first time, or on a box without gst-plugin-scanner. That scan loads
 * libgstwebrtc, which pulls in libsoup 3 (libnice -> libgupnp-igd -> libgupnp); with the
 * libsoup 2.4 binge had loaded before gst_init both were in the process, their GTypes clashed
 * and hlsdemux2 failed every playlist: the player never left loading for playing. */
static void test_play_after_in_process_registry_scan(void **state)
{
    (void)state;
    const char *dir = tu_workdir("scan-in-process");
    assert_non_null(dir);
    struct tu_server srv;
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 2", path_in(dir, "server.log")),
                     0);
    char script[1024];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready %d\n"
             "key OK\n"
             "wait-for screen=series %d\n"
             "key OK\n"
             "wait-for player.state=playing %d\n"
             "state\n"
             "quit\n",
             120000 * tu_timeout_scale(), 30000 * tu_timeout_scale(), 120000 * tu_timeout_scale());
    char *script_path = path_in(dir, "script.txt");
    assert_int_equal(tu_write_file(script_path, script), 0);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    char *argv[] = {bin,           "--headless", "--server",    srv.url,
                    "--script",    script_path,  "--state-dir", path_in(dir, "state"),
                    "--log-level", "debug",      NULL};
    char *registry = path_in(dir, "registry.bin"); /* does not exist: a full scan */
    setenv("GST_REGISTRY_1_0", registry, 1);       /* wins over GST_REGISTRY */
    setenv("GST_REGISTRY_FORK", "no", 1);
    int rc = tu_run(argv, path_in(dir, "stdout.txt"), path_in(dir, "stderr.txt"), 600);
    unsetenv("GST_REGISTRY_1_0");
    unsetenv("GST_REGISTRY_FORK");
    tu_server_stop(&srv);
    char *err = tu_read_file(path_in(dir, "stderr.txt"));
    assert_non_null(err);
    if (rc != 0)
        fprintf(stderr, "binge exited %d; its log:\n%s\n", rc, err);
    struct stat st;
    assert_int_equal(stat(registry, &st), 0); /* the scan did run, and wrote it */
    assert_null(strstr(err, "cannot register existing type"));
    assert_int_equal(rc, 0);
    char *out = tu_read_file(path_in(dir, "stdout.txt"));
    assert_non_null(out);
    assert_non_null(strstr(out, "\"screen\":\"player\""));
    free(out);
    free(err);
}

/* A binge whose main thread hangs: its --script is a FIFO nobody writes, so the main thread
 * waits in open() for a writer (reading a script from a pipe is allowed; the writer may come
 * late). SIGTERM must end it all the same, in bounded time: SDL's handler only queues SDL_QUIT
 * for a loop that never runs again, so before the stop watchdog binge ignored every SIGTERM
 * (as it did when a stop joined a player thread that never returned). */
static void sigterm_while_stuck(bool twice)
{
    const char *dir = tu_workdir(twice ? "sigterm-twice" : "sigterm-stuck");
    assert_non_null(dir);
    char *fifo = path_in(dir, "script.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    char *err_path = path_in(dir, "stderr.txt");
    char *argv[] = {bin,
                    "--headless",
                    "--server",
                    "http://127.0.0.1:1",
                    "--script",
                    fifo,
                    "--state-dir",
                    path_in(dir, "state"),
                    "--stop-timeout",
                    "3000",
                    NULL};
    /* Once: the stop's bound from --stop-timeout (the test's own value, over the environment's:
     * a cross build scales BINGE_STOP_TIMEOUT). Twice: the default. */
    if (twice)
        argv[8] = NULL;
    pid_t pid = tu_spawn(argv, path_in(dir, "stdout.txt"), err_path);
    assert_true(pid > 0);
    /* Home is pushed just before the script is opened (app.c): then it waits on the FIFO. */
    bool stuck = false;
    for (int i = 0; i < 120 * tu_timeout_scale() * 10 && !stuck; i++) {
        char *err = tu_read_file(err_path);
        stuck = err && strstr(err, "screen home (depth 1)");
        free(err);
        if (!stuck)
            sleep_ms(100);
    }
    if (!stuck) {
        kill(pid, SIGKILL);
        tu_wait(pid, 10);
        fail_msg("binge never pushed home");
    }
    sleep_ms(500);
    assert_int_equal(kill(pid, SIGTERM), 0);
    if (twice) {
        /* Once binge says it is stopping, the second SIGTERM ends it at once. */
        bool stopping = false;
        for (int i = 0; i < 60 * tu_timeout_scale() * 10 && !stopping; i++) {
            char *err = tu_read_file(err_path);
            stopping = err && strstr(err, "SIGTERM: stopping");
            free(err);
            if (!stopping)
                sleep_ms(100);
        }
        kill(pid, SIGTERM);
    }
    int rc = tu_wait(pid, 60); /* -1: still there, killed by tu_wait */
    char *err = tu_read_file(err_path);
    if (rc < 0)
        fprintf(stderr, "binge ignored SIGTERM; its log:\n%s\n", err ? err : "(none)");
    assert_true(rc >= 0);
    assert_non_null(err);
    assert_non_null(strstr(err, "SIGTERM: stopping"));
    /* Natively open() waits on, and the watchdog ends binge (128 + SIGTERM). Under qemu-user the
     * signal may interrupt the blocked open() instead, and binge stops by itself. */
    if (rc == 128 + SIGTERM && !twice)
        assert_non_null(strstr(err, "did not stop 3000 ms after SIGTERM"));
    /* Twice: the second signal, not the watchdog, ended it (SDL's handler, chained to, put
     * itself back in place of ours, and the second SIGTERM only queued another SDL_QUIT). */
    if (rc == 128 + SIGTERM && twice)
        assert_null(strstr(err, "did not stop"));
    free(err);
}

static void test_sigterm_while_stuck(void **state)
{
    (void)state;
    sigterm_while_stuck(false);
}

static void test_sigterm_twice_while_stuck(void **state)
{
    (void)state;
    sigterm_while_stuck(true);
}

/* SDL_NO_SIGNAL_HANDLERS=1 in the environment (an SDL hint any launcher may set): SDL installs
 * no SIGTERM handler, so the stop guard has nothing to chain to. The first SIGTERM must still
 * start the ordinary stop (the screens leave, the position is recorded, the state is written,
 * exit 0), not leave binge running until the watchdog _exit()s it 10 s later with nothing
 * saved. */
static void test_sigterm_without_sdl_handlers(void **state)
{
    (void)state;
    const char *dir = tu_workdir("sigterm-no-sdl-handlers");
    assert_non_null(dir);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    char *err_path = path_in(dir, "stderr.txt");
    char *argv[] = {bin,           "--headless",          "--server", "http://127.0.0.1:1",
                    "--state-dir", path_in(dir, "state"), NULL};
    assert_int_equal(setenv("SDL_NO_SIGNAL_HANDLERS", "1", 1), 0);
    pid_t pid = tu_spawn(argv, path_in(dir, "stdout.txt"), err_path);
    unsetenv("SDL_NO_SIGNAL_HANDLERS");
    assert_true(pid > 0);
    bool home = false;
    for (int i = 0; i < 120 * tu_timeout_scale() * 10 && !home; i++) {
        char *err = tu_read_file(err_path);
        home = err && strstr(err, "screen home (depth 1)");
        free(err);
        if (!home)
            sleep_ms(100);
    }
    if (!home) {
        kill(pid, SIGKILL);
        tu_wait(pid, 10);
        fail_msg("binge never pushed home");
    }
    assert_int_equal(kill(pid, SIGTERM), 0);
    int rc = tu_wait(pid, 60); /* -1: still there, killed by tu_wait */
    char *err = tu_read_file(err_path);
    if (rc != 0)
        fprintf(stderr, "binge exited %d after one SIGTERM; its log:\n%s\n", rc,
                err ? err : "(none)");
    assert_non_null(err);
    assert_non_null(strstr(err, "SIGTERM: stopping"));
    assert_null(strstr(err, "did not stop")); /* the watchdog did not have to end it */
    assert_int_equal(rc, 0);                  /* the ordinary stop's exit status */
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_play_after_in_process_registry_scan),
        cmocka_unit_test(test_sigterm_while_stuck),
        cmocka_unit_test(test_sigterm_twice_while_stuck),
        cmocka_unit_test(test_sigterm_without_sdl_handlers),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
