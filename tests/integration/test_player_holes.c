/* Integration test of how src/player gets past broken media: segments missing from the server
 * (ffmpeg-made streams with non-round segment durations, tests/fixtures/make-streams "holes"),
 * a segment that answers 500, and a server that stops answering while the viewer leaves
 * (player_stop must not wait for it). Real playbin3 pipelines on the loopback server of
 * test_player_util.c, which counts the requests. Waits only stop a hang; nothing asserts a
 * duration. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "binge/error.h"
#include "binge/player.h"
#include "test_player_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tp_run *new_run(struct player *p)
{
    struct tp_run *r = malloc(sizeof(*r));
    assert_non_null(r);
    tp_run_init(r, p);
    return r;
}

/* ---- a stalled server and player_stop ---- */

/* The server stops answering (it reads the request and says nothing) while the viewer leaves:
 * player_stop must return while the server thread is still blocked on the player's request,
 * i.e. without waiting for GStreamer to give up on it; player_free then waits for everything
 * (the sanitizers check that nothing is left). Before, player_stop waited for the pipeline to
 * reach NULL, which hlsdemux2 holds until its download times out: the server thread had been
 * let go by the time it returned. */
static void stop_while_stalled(const char *stream, const char *silent, bool preroll)
{
    struct player *p = tp_new_player(NULL);
    assert_non_null(p);
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule(silent, TP_HTTP_SILENT, -1);
    if (preroll) {
        assert_int_equal(player_open(p, tp_http_url("ts-h264/index.m3u8"), 0), 0);
        assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
        assert_int_equal(player_preroll(p, tp_http_url(stream), 0), 0);
    } else {
        assert_int_equal(player_open(p, tp_http_url(stream), 0), 0);
    }
    int64_t end = tp_now_ms() + TP_WAIT_MS;
    while (tp_http_held() == 0 && tp_now_ms() < end)
        tp_pump_for(r, 20);
    assert_int_equal(tp_http_held(), 1); /* the player waits for the server */
    player_stop(p);
    int held = tp_http_held();
    print_message("  %s silent%s: after player_stop the server is %s\n", silent,
                  preroll ? " (preroll)" : "", held ? "still blocked" : "let go");
    assert_int_equal(held, 1);
    assert_true(player_tearing_down(p)); /* on the reaper thread, waiting for GStreamer */
    assert_int_equal(player_get_state(p), PLAYER_IDLE);
    assert_false(player_has_preroll(p, NULL));
    tp_pump(r);
    free(r);
    player_free(p);
    /* player_free waited for the teardown: the request is gone with it. */
    end = tp_now_ms() + TP_WAIT_MS;
    while (tp_http_held() > 0 && tp_now_ms() < end)
        tp_wait_wake(20);
    assert_int_equal(tp_http_held(), 0);
    tp_http_clear_rules();
}

static void test_stop_while_server_stalled(void **state)
{
    (void)state;
    /* hlsdemux2's own downloads: a variant playlist and an AES-128 key. */
    stop_while_stalled("master3/index.m3u8", "master3/v0/index.m3u8", false);
    stop_while_stalled("aes128-rotated/index.m3u8", "aes128-rotated/key1.bin", false);
    /* A prerolled next episode whose server stalls, dropped by the stop. */
    stop_while_stalled("master3/index.m3u8", "master3/v0/index.m3u8", true);
}

static int suite_setup(void **state)
{
    (void)state;
    if (tp_setup() != 0)
        return -1;
    const char *streams = tp_streams_dir();
    return streams ? tp_http_start(streams) : -1;
}

static int suite_teardown(void **state)
{
    (void)state;
    tp_http_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_while_server_stalled),
    };
    tp_filter();
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
