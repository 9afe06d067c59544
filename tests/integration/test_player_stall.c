/* Integration test of the stall watchdog of src/player: the loopback server of
 * test_player_util.c stops sending in the middle of a segment (it sends the headers and half
 * the body, then nothing), once or for good. The player must re-tune at the position it had
 * and recover, or give up after its retries with a clear error - never hang. The watchdog runs
 * with a 1.5 s timeout here instead of 8 s. Waits only stop a hang. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "binge/error.h"
#include "binge/player.h"
#include "test_player_util.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALL_MS 1500
#define STREAM "ts-h264/index.m3u8"
#define STUCK_SEGMENT "ts-h264/seg00002.ts" /* 2-3 s of a 4 s stream */

static struct tp_run *new_run(struct player *p)
{
    struct tp_run *r = malloc(sizeof(*r));
    assert_non_null(r);
    tp_run_init(r, p);
    return r;
}

static struct player *stall_player(void)
{
    struct player_config cfg = {
        .audio_sink = "fakesink sync=true",
        /* Under emulation a start alone may take longer than 1.5 s: the watch scales too. */
        .stall_timeout_ms = tu_scaled(STALL_MS),
        .stall_retries = 3};
    struct player *p = tp_new_player(&cfg);
    assert_non_null(p);
    return p;
}

/* The server stalls once; the re-tune fetches the segment again and plays on to the end. */
static void test_stall_recovers(void **state)
{
    (void)state;
    struct player *p = stall_player();
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule(STUCK_SEGMENT, TP_HTTP_HANG, 1);
    int masters = tp_http_requests(STREAM);
    int64_t t0 = tp_now_ms();
    assert_int_equal(player_open(p, tp_http_url(STREAM), 0), 0);
    int s = tp_until(r, PLAYER_EVENT_STALL, -1, TP_WAIT_MS);
    if (s < 0)
        tp_dump(r);
    assert_true(s >= 0);
    print_message("  stall noticed after %lld ms at %lld ms (attempt %d)\n",
                  (long long)(r->ev_ms[s] - t0), (long long)r->ev[s].position_ms, r->ev[s].attempt);
    assert_int_equal(r->ev[s].attempt, 1);
    r->mark = true; /* the next frame is the re-tuned stream's first */
    /* Where the picture stopped: at the end of what arrived before the stuck segment. */
    assert_in_range(r->ev[s].position_ms, 1000, 2600);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    int eos = tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS);
    if (eos < 0)
        tp_dump(r);
    assert_true(eos > s);
    print_message("  recovered: end of stream %lld ms after the stall\n",
                  (long long)(r->ev_ms[eos] - r->ev_ms[s]));
    /* The viewer saw a pause (BUFFERING: the buffer ran dry, then the re-tune), then playback
     * again; one first frame in all. */
    int ff = tp_index(r, PLAYER_EVENT_FIRST_FRAME, 0);
    assert_true(tp_has_state(r, PLAYER_BUFFERING, ff));
    assert_int_equal(player_get_state(p), PLAYER_PLAYING);
    assert_true(tp_has_state(r, PLAYER_PLAYING, s));
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 1);
    assert_int_equal(tp_count(r, PLAYER_EVENT_STALL), 1);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    assert_true(tp_http_requests(STREAM) - masters >= 2); /* opened again */
    assert_true(tp_http_requests(STUCK_SEGMENT) >= 2);
    /* The re-tune went on where the picture stopped, not from the start or a keyframe before. */
    assert_true(r->last_pts_ms >= 3000);
    int64_t stop = r->ev[s].position_ms;
    print_message("  stopped at %lld ms, re-tuned picture starts at %lld ms\n", (long long)stop,
                  (long long)r->mark_pts_ms);
    assert_false(r->mark);
    assert_in_range(r->mark_pts_ms, stop - 100, stop + 150);
    struct player_stats st;
    player_get_stats(p, &st);
    assert_int_equal(st.stalls, 1);
    assert_int_equal(st.errors, 0);
    free(r);
    player_free(p);
}

/* The server never delivers the segment: 3 re-tunes, then a clear error. */
static void test_stall_gives_up(void **state)
{
    (void)state;
    struct player *p = stall_player();
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule(STUCK_SEGMENT, TP_HTTP_HANG, -1);
    assert_int_equal(player_open(p, tp_http_url(STREAM), 0), 0);
    int e = tp_until(r, PLAYER_EVENT_ERROR, -1, 4 * TP_WAIT_MS);
    if (e < 0 || getenv("BINGE_TEST_DEBUG"))
        tp_dump(r);
    assert_true(e >= 0);
    assert_string_equal(r->ev[e].message, "The stream stopped and did not come back");
    assert_int_equal(r->ev[e].error, PLAYER_ERROR_STALLED);
    assert_true(strlen(r->ev[e].detail) > 0);
    int attempt = 0;
    for (int i = 0; i < e; i++) {
        if (r->ev[i].type == PLAYER_EVENT_STALL) {
            assert_int_equal(r->ev[i].attempt, attempt + 1);
            attempt = r->ev[i].attempt;
        }
    }
    assert_int_equal(attempt, 3);
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 1);
    tp_pump_for(r, 300);
    assert_int_equal(player_get_state(p), PLAYER_ERROR);
    assert_true(tp_has_state(r, PLAYER_ERROR, e));
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 1);
    assert_int_equal(player_next_deadline_ms(p), -1); /* nothing more to watch */
    struct player_stats st;
    player_get_stats(p, &st);
    assert_int_equal(st.stalls, 3);
    assert_int_equal(st.errors, 1);

    /* The way out for the viewer: OK retries, and the server has recovered. */
    tp_http_clear_rules();
    tp_run_reset(r);
    assert_int_equal(player_open(p, tp_http_url(STREAM), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_STALL), 0);
    free(r);
    player_free(p);
}

/* A start so slow that the watchdog gives up (the emulated Pi's first play loads the decoder
 * plugins for 20 s): the first segment is held by the server until after the error, then
 * served. The failed pipeline's late first frame must not reach the screen (it was drawn
 * behind the error dialog) nor be announced. */
static void test_late_frame_after_giving_up(void **state)
{
    (void)state;
    struct player *p = stall_player();
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule("ts-h264/seg00000.ts", TP_HTTP_LATE, -1);
    assert_int_equal(player_open(p, tp_http_url(STREAM), 0), 0);
    int e = tp_until(r, PLAYER_EVENT_ERROR, -1, 4 * TP_WAIT_MS);
    if (e < 0 || getenv("BINGE_TEST_DEBUG"))
        tp_dump(r);
    assert_true(e >= 0);
    assert_int_equal(r->ev[e].error, PLAYER_ERROR_STALLED);
    assert_int_equal(tp_count(r, PLAYER_EVENT_STALL), 3);
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 0);
    assert_int_equal(r->frames, 0);
    /* The given-up pipeline's request is still waiting at the server: now it is answered. */
    assert_true(tp_http_held() >= 1);
    tp_http_release();
    /* Long enough for the segment to arrive and be decoded (natively ~0.1 s). Before the fix
     * the frame was acquired here and FIRST_FRAME announced. */
    tp_pump_for(r, tu_scaled(3000));
    if (r->frames || getenv("BINGE_TEST_DEBUG"))
        tp_dump(r);
    assert_int_equal(r->frames, 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 1);
    assert_int_equal(player_get_state(p), PLAYER_ERROR);
    assert_int_equal(player_next_deadline_ms(p), -1);

    /* OK retries, and plays: the new pipeline is not silenced. */
    tp_http_clear_rules();
    tp_run_reset(r);
    assert_int_equal(player_open(p, tp_http_url(STREAM), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    assert_true(r->frames > 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    free(r);
    player_free(p);
}

/* A viewer's pause, however long, is not a stall. */
static void test_pause_is_not_a_stall(void **state)
{
    (void)state;
    struct player *p = stall_player();
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    assert_int_equal(player_open(p, tp_http_url(STREAM), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_STATE, PLAYER_PLAYING, TP_WAIT_MS) >= 0);
    assert_int_equal(player_set_paused(p, true), 0);
    tp_pump_for(r, 2 * tu_scaled(STALL_MS));
    assert_int_equal(tp_count(r, PLAYER_EVENT_STALL), 0);
    assert_int_equal(player_set_paused(p, false), 0);
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_STALL), 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    free(r);
    player_free(p);
}

/* The first pipeline of a process starts slowest: under qemu-user every library is translated
 * on first use, and a start took longer than the stall watch (a stall at 0 ms, not at the stuck
 * segment). One play to the first frame first, without a watch, so the tests see the start
 * every later one has. Natively it costs a fraction of a second. */
static int warm_up(void)
{
    struct player_config cfg = {.audio_sink = "fakesink sync=true", .stall_timeout_ms = -1};
    struct player *p = tp_new_player(&cfg);
    struct tp_run *r = p ? new_run(p) : NULL;
    int ok = -1;
    if (r && player_open(p, tp_http_url(STREAM), 0) == 0 &&
        tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0)
        ok = 0;
    free(r);
    player_free(p);
    return ok;
}

static int suite_setup(void **state)
{
    (void)state;
    if (tp_setup() != 0)
        return -1;
    const char *streams = tp_streams_dir();
    if (!streams || tp_http_start(streams) != 0)
        return -1;
    return warm_up();
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
        cmocka_unit_test(test_stall_recovers),
        cmocka_unit_test(test_stall_gives_up),
        cmocka_unit_test(test_late_frame_after_giving_up),
        cmocka_unit_test(test_pause_is_not_a_stall),
    };
    tp_filter();
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
