/* A box that draws slower than the UI's animation rate (UI_ANIMATION_FRAME_MS): every tick has
 * something to draw. binge must still take input and the net and player events, so the episode
 * starts and the keys work. --render-delay makes each frame drawn take longer, as such a box does
 * (or this machine under a loaded CI run, where test_account once saw the screen stay on
 * "Loading" for 31 s while the episode played out unseen behind it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/testutil.h"

#define CONTENT_ARGS "--series 2 --episodes 3 --duration 3 --sizes 180x320"

static char content[1024];

static int setup(void **state)
{
    (void)state;
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

static void test_slow_draws_still_play(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-slow-box");
    assert_non_null(dir);
    struct tu_server srv;
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 2", path_in(dir, "server.log")),
                     0);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    char *script = path_in(dir, "script.txt");
    /* OK while home is still loading its posters; then the episode must play, and BACK, taken
     * while the player is busy drawing, must bring home back. */
    assert_int_equal(tu_write_file(script, "wait-for home.state=ready 30000\n"
                                           "key OK\n"
                                           "wait-for player.state=playing 60000\n"
                                           "key BACK\n"
                                           "wait-for screen=home 30000\n"),
                     0);
    char *argv[] = {
        bin,           "--headless",          "--server",       srv.url, "--script", script,
        "--state-dir", path_in(dir, "state"), "--render-delay", "80",    NULL};
    int rc = tu_run(argv, path_in(dir, "stdout.txt"), path_in(dir, "stderr.txt"), 180);
    if (rc != 0) {
        char *err = tu_read_file(path_in(dir, "stderr.txt"));
        fprintf(stderr, "binge exited %d; its log:\n%s\n", rc, err ? err : "(none)");
        free(err);
    }
    tu_server_stop(&srv);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_draws_still_play),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, NULL);
}
