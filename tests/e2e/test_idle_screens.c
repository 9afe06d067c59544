/* Nothing is redrawn when nothing moves, on every screen (issue 9, section 2 and "CPU idle on
 * each screen"): home, the series page, search, the wallet, settings, the paywall and the exit
 * dialog. binge runs headless against the real binge-server on loopback; on each screen, once it
 * has settled, the test reads `loop.presents` (frames presented so far), lets it stand, and
 * reads it again: the count must not move. A count of frames, not a time budget (the CPU seconds
 * these idle screens cost are measured by scripts/bench, docs/performance.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "screen_util.h"

/* Two series of two short episodes; with --free-episodes 0 every episode is locked, so PLAY on
 * home meets the paywall. */
#define CONTENT_ARGS "--series 2 --episodes 2 --duration 2 --sizes 180x320"

/* A screen is settled when what it waits for has come (the waits before each STILL: the
 * focused card's preroll over, the wallet's packs and history in), and then given 3 s more;
 * then it is watched 2.5 s. Whatever the machine's load, a screen that redraws while idle (a
 * spinner left running, a timer that marks it dirty) presents frames in that window. */
#define STILL "wait 3000\nstate\nwait 2500\nstate\n"

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-idle-screens", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static int stop_server(void **state)
{
    (void)state;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    srv.pid = -1;
    return 0;
}

static void test_idle_screens_stand_still(void **state)
{
    (void)state;
    static const char *const screens[] = {"home",     "series",  "search",      "wallet",
                                          "settings", "paywall", "exit_confirm"};
    const char *dir = tu_workdir("e2e-idle-screens");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"),
                                     "--free-episodes 0", su_path(dir, "server.log")),
                     0);
    const char *script = "wait-for home.state=ready 30000\n"
                         "wait-for home.cached=false 30000\n"
                         "wait-for home.posters_pending=0 30000\n"
                         "wait-for session.registered=true 30000\n"
                         "wait-for home.preroll.started>=1 30000\n"
                         "wait-for home.preroll.state!=prerolling 30000\n" STILL
                         /* the series page */
                         "key OK\n"
                         "wait-for series.state=ready 30000\n" STILL "key BACK\n"
                         "wait-for screen=home 10000\n"
                         /* search, with results on screen */
                         "key SEARCH\n"
                         "wait-for screen=search 10000\n"
                         "key OK\n"
                         "wait-for search.results>0 20000\n" STILL "key BACK\n"
                         "wait-for screen=home 10000\n"
                         /* the wallet, then settings, from home's top bar */
                         "key UP\n"
                         "wait-for home.bar=search 5000\n"
                         "key RIGHT\n"
                         "wait-for home.bar=wallet 5000\n"
                         "key OK\n"
                         "wait-for screen=wallet 10000\n"
                         "wait-for wallet.packs>0 20000\n"
                         "wait-for wallet.history>0 20000\n" STILL "key BACK\n"
                         "wait-for screen=home 10000\n"
                         "wait-for home.bar=wallet 5000\n"
                         "key RIGHT\n"
                         "wait-for home.bar=settings 5000\n"
                         "key OK\n"
                         "wait-for screen=settings 10000\n" STILL "key BACK\n"
                         "wait-for screen=home 10000\n"
                         "key DOWN\n"
                         /* the paywall: every episode is locked */
                         "key PLAY_PAUSE\n"
                         "wait-for screen=paywall 30000\n"
                         "wait-for paywall.balance>=0 20000\n" STILL "key BACK\n"
                         "wait-for screen=home 20000\n"
                         /* BACK on home: the exit dialog */
                         "key BACK\n"
                         "wait-for screen=exit_confirm 10000\n" STILL "quit\n";
    assert_int_equal(su_run(dir, "idle", srv.url, script), 0);
    for (size_t i = 0; i < sizeof(screens) / sizeof(screens[0]); i++) {
        cJSON *a = su_state(dir, "idle", (int)(2 * i));
        cJSON *b = su_state(dir, "idle", (int)(2 * i + 1));
        assert_string_equal(su_str(a, NULL, "screen"), screens[i]);
        assert_string_equal(su_str(b, NULL, "screen"), screens[i]);
        long long pa = su_num(a, "loop", "presents"), pb = su_num(b, "loop", "presents");
        fprintf(stderr, "%s: %lld frames presented while idle\n", screens[i], pb - pa);
        if (pb != pa)
            fail_msg("%s redrew %lld frames while nothing moved", screens[i], pb - pa);
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_idle_screens_stand_still, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
