/* Per-episode watched progress on the series page (issue 9, section 3: "a watched progress
 * bar"), end to end: the real binge-server on loopback with real 60 s fixture episodes, the real
 * binge driven by --headless --script. The viewer plays episode 1 past its end (so autoplay
 * takes them to episode 2), seeks episode 2 to about 10 s and goes back; the series page then
 * shows episode 1 watched (a full bar and a check) and episode 2 part-way (its own bar), from
 * the server's per-episode fields of GET /v1/series/{id}. Checked by `state` and by the
 * screenshot's pixels. Waits are bounds against hangs, never performance budgets. */
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

/* The content of test_resume (made once, shared): three 60 s episodes, a keyframe every 2 s. */
#define CONTENT_ARGS "--series 1 --episodes 3 --duration 60 --sizes 180x320"

/* The episode grid of src/ui/screens/series.c at 1920x1080: the first cell's corner, a cell's
 * size and the step to the next one. */
#define GRID_X 560
#define GRID_Y 584
#define CELL_W 113
#define CELL_H 110
#define CELL_STEP 127
#define SU_FREE 0x78dc96 /* the free/unlocked mark's green, the check's too */

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-60s", BINGE_BUILD_DIR);
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

/* The mean colour of a rectangle of the screenshot, packed 0xRRGGBB. */
static unsigned mean_rgb(const char *png, int x, int y, int w, int h)
{
    double mean[3], sd = 0;
    int iw = 0, ih = 0;
    assert_int_equal(tu_png_stats(png, x, y, w, h, mean, &sd, &iw, &ih), 0);
    return ((unsigned)(mean[0] + 0.5) << 16) | ((unsigned)(mean[1] + 0.5) << 8) |
           (unsigned)(mean[2] + 0.5);
}

static int channel_diff(unsigned a, unsigned b)
{
    int d = 0;
    for (int s = 0; s < 24; s += 8) {
        int x = (int)((a >> s) & 0xff) - (int)((b >> s) & 0xff);
        d = x < 0 ? -x > d ? -x : d : x > d ? x : d;
    }
    return d;
}

static void test_watched_and_partial(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-series-progress");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    char *png = su_path(dir, "series.png");
    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.cached=false 30000\n"
             "wait-for session.registered=true 30000\n"
             /* Episode 1 to its end: seeks stop short of the last 5%, it plays the rest. */
             "key PLAY_PAUSE\n"
             "wait-for player.state=playing 30000\n"
             "wait-for player.duration_ms>0 10000\n"
             "key RIGHT 6\n"
             "wait-for player.episode_index=2 60000\n"
             "wait-for player.state=playing 30000\n"
             "key PLAY_PAUSE\n"
             "wait-for player.state=paused 10000\n"
             "key RIGHT\n"
             "wait-for player.seeking=false 30000\n"
             "state\n"
             "key BACK\n"
             "wait-for screen=home 10000\n"
             "wait-for progress.pending=0 20000\n"
             "key OK\n"
             "wait-for series.state=ready 30000\n"
             /* Not the saved copy, which can predate episode 2's report. */
             "wait-for series.fresh=true 30000\n"
             "wait-for series.watched=1 30000\n"
             "state\n"
             "screenshot %s\n"
             "quit\n",
             png);
    assert_int_equal(su_run(dir, "progress", srv.url, script), 0);

    cJSON *played = su_state(dir, "progress", 0);
    long long pos = su_num(played, "player", "position_ms");
    cJSON_Delete(played);
    cJSON *st = su_state(dir, "progress", 1);
    assert_string_equal(su_str(st, NULL, "screen"), "series");
    assert_int_equal(su_num(st, "series", "watched"), 1);
    const char *progress = su_str(st, "series", "progress");
    assert_non_null(progress);
    int e1 = 0, p1 = 0, e2 = 0, p2 = 0;
    if (sscanf(progress, "%d:%d %d:%d", &e1, &p1, &e2, &p2) != 4)
        fail_msg("series.progress is '%s'", progress);
    assert_int_equal(e1, 1);
    assert_int_equal(p1, 100);
    assert_int_equal(e2, 2);
    /* Where the player was when it left (a seek lands on a keyframe, 2 s apart). */
    int want = (int)(pos * 100 / 60000);
    if (p2 < want - 4 || p2 > want + 4 || p2 <= 0 || p2 >= 100)
        fail_msg("episode 2 at %d%%, the player left it at %lld ms", p2, pos);
    assert_string_equal(su_str(st, "series", "focus"), "play");
    cJSON_Delete(st);

    /* Episode 1: a full bar along its bottom, and the check in its top right corner. */
    int x1 = GRID_X, x2 = GRID_X + CELL_STEP, x3 = GRID_X + 2 * CELL_STEP;
    int bar_y = GRID_Y + CELL_H - 5;
    unsigned full = mean_rgb(png, x1 + 2, bar_y, CELL_W - 4, 4);
    if (channel_diff(full, SU_ACCENT) > 6)
        fail_msg("episode 1's bar is %06x, not the accent %06x", full, SU_ACCENT);
    assert_true(tu_png_text_lines(png, x1 + CELL_W - 30, GRID_Y + 2, 30, 30, SU_FREE) >= 1);
    /* Episode 2: its bar reaches p2% of the cell, and no check. */
    int reach = CELL_W * p2 / 100;
    unsigned head = mean_rgb(png, x2 + 1, bar_y, reach > 3 ? reach - 2 : 1, 4);
    unsigned tail = mean_rgb(png, x2 + reach + 3, bar_y, CELL_W - reach - 4, 4);
    if (channel_diff(head, SU_ACCENT) > 6)
        fail_msg("episode 2's bar starts %06x, not the accent", head);
    if (channel_diff(tail, SU_ACCENT) < 60)
        fail_msg("episode 2's bar goes on past %d%% (%06x)", p2, tail);
    assert_int_equal(tu_png_text_lines(png, x2 + CELL_W - 30, GRID_Y + 2, 30, 30, SU_FREE), 0);
    /* Episode 3: never played, no bar: its bottom is the cell's own colour, as above it. */
    unsigned bottom3 = mean_rgb(png, x3 + 2, bar_y, CELL_W - 4, 4);
    unsigned body3 = mean_rgb(png, x3 + 2, GRID_Y + 4, 8, 8);
    if (channel_diff(bottom3, body3) > 6)
        fail_msg("episode 3 has a bar: %06x under a cell of %06x", bottom3, body3);
    su_assert_ui_in_safe_area(png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_watched_and_partial, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
