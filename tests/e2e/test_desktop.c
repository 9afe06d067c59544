/* binge on a display, and --play: the desktop platform in a real X server (Xvfb), with its
 * window, the x11 driver and the plane output (glimagesink), and --play's playlist of streams
 * with no server, for QA and the benchmarks. A real binge-server on loopback and real fixture
 * streams; the X screen grabbed and judged by its pixels. Split from test_e2e.c. Timeouts are
 * bounds against hangs, never performance budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/testutil.h"
#include "screen_util.h"

#define CONTENT_ARGS "--series 2 --episodes 3 --duration 3 --sizes 180x320" /* test_e2e's */

static char content[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

/* The desktop platform in a real X server (Xvfb): a real window, the x11 driver, the same UI. */
static void test_desktop_window_on_xvfb(void **state)
{
    const char *dir = tu_workdir("e2e-xvfb");
    assert_non_null(dir);
    /* Under emulation the target's Mesa draws binge's window (GLX to the host's Xvfb), and its
     * llvmpipe there is broken: under qemu-arm it drew the rectangles and no texture at all (no
     * text, no poster; the same binge with softpipe drew them all). Natively the host's default
     * driver draws. The environment reaches binge through xvfb-run and qemu. */
    if (tu_emulated())
        setenv("GALLIUM_DRIVER", "softpipe", 1);
    struct tu_server srv;
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    char bin[1024], script[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    /* The first frame presented in the window (player.first_frame_ms stays once set), not
     * player.state=playing: under qemu-arm the emulated GL made a UI iteration take seconds,
     * and each 3 s episode's first frame and its end came in the same iteration, so `playing`
     * was never seen and all three episodes went by (test-cross armhf). */
    snprintf(script, sizeof(script),
             "wait-for home.state=ready %d\n"
             "wait-for home.posters_pending=0 %d\n"
             "screenshot %s\n"
             "key PLAY_PAUSE\n"
             "wait-for player.first_frame_ms>=0 %d\n"
             "state\n",
             tu_scaled(30000), tu_scaled(30000), su_path(dir, "x11.png"), tu_scaled(30000));
    /* A copy: su_path's buffers are reused after 8 calls, and the --play run below wrote its
     * script to play.png (its screenshot's path) and read it from there. */
    char script_path[1200];
    snprintf(script_path, sizeof(script_path), "%s", su_path(dir, "script.txt"));
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {"/usr/bin/xvfb-run",
                    "-a",
                    "-s",
                    "-screen 0 1280x720x24",
                    bin,
                    "--platform",
                    "desktop",
                    "--server",
                    srv.url,
                    "--script",
                    script_path,
                    "--state-dir",
                    su_path(dir, "state"),
                    NULL};
    int rc = tu_run(argv, su_path(dir, "x11-out.txt"), su_path(dir, "stderr.txt"), 120);
    tu_server_stop(&srv);
    char *log = tu_read_file(su_path(dir, "stderr.txt"));
    assert_non_null(log);
    if (rc != 0)
        fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(log, "on platform desktop"));
    assert_non_null(strstr(log, "SDL video driver x11"));
    free(log);
    cJSON *s0 = su_state(dir, "x11", 0);
    assert_non_null(su_str(s0, "player", "series_id"));
    assert_true(su_num(s0, "player", "first_frame_ms") >= 0);
    cJSON_Delete(s0);
    double got[3], sd;
    int w, h;
    assert_int_equal(tu_png_stats(su_path(dir, "x11.png"), 0, 0, 1, 1, got, NULL, &w, &h), 0);
    assert_int_equal(w, 1280);
    assert_int_equal(h, 720);
    assert_int_equal(tu_png_stats(su_path(dir, "x11.png"), 0, 0, w, h / 2, got, &sd, NULL, NULL),
                     0);
    assert_true(sd > 20); /* posters and text, not an empty window */

    /* --play fills the screen, whatever window size is asked for. The stream three times: binge
     * quits when the last one ends, and under qemu-arm the first frame of a 3 s stream was
     * presented in the UI iteration that saw its end, so the script never got to its
     * screenshot with one. */
    char url[1200], urls[3700];
    snprintf(url, sizeof(url), "file://%s/midnight-heir/01/master.m3u8", content);
    snprintf(urls, sizeof(urls), "%s %s %s", url, url, url);
    snprintf(script, sizeof(script),
             "wait-for player.first_frame_ms>=0 %d\n"
             "screenshot %s\n"
             "quit\n",
             tu_scaled(30000), su_path(dir, "play.png"));
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *play_argv[] = {"/usr/bin/xvfb-run",
                         "-a",
                         "-s",
                         "-screen 0 1024x576x24",
                         bin,
                         "--platform",
                         "desktop",
                         "--play",
                         urls,
                         "--width",
                         "640",
                         "--height",
                         "360",
                         "--script",
                         script_path,
                         "--state-dir",
                         su_path(dir, "state"),
                         NULL};
    rc = tu_run(play_argv, su_path(dir, "stdout2.txt"), su_path(dir, "stderr2.txt"), 120);
    assert_int_equal(rc, 0);
    assert_int_equal(tu_png_stats(su_path(dir, "play.png"), 0, 0, 1, 1, got, NULL, &w, &h), 0);
    assert_int_equal(w, 1024);
    assert_int_equal(h, 576);
    /* And the picture is there at the top of the screen, in the middle (a 9:16 picture at full
     * height is x 350..674): with no window manager the window stayed 640x360, and the picture
     * was drawn clipped into the bottom-left 640x360, black above y 216. */
    assert_int_equal(
        tu_png_stats(su_path(dir, "play.png"), 380, 10, 260, 150, got, &sd, NULL, NULL), 0);
    fprintf(stderr, "play.png: top of the picture mean %.0f,%.0f,%.0f sd %.1f\n", got[0], got[1],
            got[2], sd);
    assert_true(got[0] + got[1] + got[2] > 60 && sd > 5);

    /* The plane output: glimagesink draws the picture into its rectangle of binge's window and
     * the UI stays around it. The X screen is grabbed (binge's own screenshot cannot see a
     * sink's surface) from the first frame on, twice a second for 6 s, while the playlist
     * plays: the sink's first picture reaches the window on its own clock (one grab 0.7 s after
     * the first frame was still black under qemu-aarch64, where GL is emulated), so the grab
     * that shows it is looked for, not a moment guessed. binge behind sh runs through the
     * emulator in a cross build (binfmt_misc may be missing, and has no sysroot). Under
     * emulation the grabs last longer (scaled) and the stall watchdog is off: under qemu-arm
     * glimagesink's emulated GL drew its first picture after the 6 s of grabs, and it plays far
     * slower than real time (gst-launch-1.0 alone, glimagesink on softpipe, took 58 s for the
     * 3 s stream, dropping buffers), so the position stood still past even a scaled watchdog
     * (32 s) three times and binge gave up (exit 4). Natively the default watchdog. */
    char sh[6000];
    snprintf(
        sh, sizeof(sh),
        "%s'%s' --platform desktop --video-output plane --video-sink glimagesink "
        "--stall-timeout=%d --play '%s %s %s' --state-dir '%s' 2>'%s' & p=$!; "
        "for i in $(seq %d); do grep -q 'start to first frame' '%s' && break; sleep 0.1; "
        "done; ffmpeg -loglevel error -f x11grab -framerate 2 -video_size 1280x720 -i $DISPLAY "
        "-t %d -y '%s'; wait $p",
        tu_emulator_sh(), bin, tu_emulated() ? -1 : 8000, url, url, url, su_path(dir, "state"),
        su_path(dir, "stderr3.txt"), tu_scaled(300), su_path(dir, "stderr3.txt"), tu_scaled(6),
        su_path(dir, "plane-%02d.png"));
    char *plane_argv[] = {
        "/usr/bin/xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "sh", "-c", sh, NULL};
    rc = tu_run(plane_argv, su_path(dir, "stdout3.txt"), su_path(dir, "stderr3-run.txt"), 120);
    log = tu_read_file(su_path(dir, "stderr3.txt"));
    assert_non_null(log);
    if (rc != 0)
        fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(log, "video output plane (glimagesink)"));
    assert_non_null(strstr(log, "swapped to the next stream")); /* the preroll too */
    assert_non_null(strstr(log, "the last stream ended"));
    free(log);
    /* The picture in the middle (a 9:16 picture at full height is x 437..842 of 1280), the
     * side panel's "Episode 1" on the left (its text survived the sink), black pillars
     * elsewhere: in a grab where both are there. Under qemu-aarch64 the first grab had the
     * picture and not yet the panel. */
    char grab[64];
    int shown = 0, grabs = 0;
    for (int i = 1; i <= 2 * tu_scaled(6) && !shown; i++) {
        double panel[3], panel_sd;
        snprintf(grab, sizeof(grab), "plane-%02d.png", i);
        if (tu_png_stats(su_path(dir, grab), 500, 200, 280, 300, got, &sd, NULL, NULL) != 0 ||
            tu_png_stats(su_path(dir, grab), 60, 70, 150, 40, panel, &panel_sd, NULL, NULL) != 0)
            break;
        grabs++;
        fprintf(stderr, "%s: picture mean %.0f,%.0f,%.0f sd %.1f, panel sd %.1f\n", grab, got[0],
                got[1], got[2], sd, panel_sd);
        if (got[0] + got[1] + got[2] > 120 && panel_sd > 10)
            shown = i;
    }
    if (!shown)
        fail_msg("glimagesink's picture and the side panel are in none of the %d grabs of the X "
                 "screen",
                 grabs);
}

/* binge --play: a playlist of streams with no server, for QA and the benchmarks. */
static void test_play_mode(void **state)
{
    const char *dir = tu_workdir("e2e-play-mode");
    assert_non_null(dir);
    char bin[1024], list[2600];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(list, sizeof(list),
             "file://%s/midnight-heir/01/master.m3u8 file://%s/revenge-ceo/02/master.m3u8", content,
             content);
    char *both[] = {bin, "--headless", "--play", list, NULL};
    assert_int_equal(tu_run(both, su_path(dir, "out1.txt"), su_path(dir, "err1.txt"), 60), 0);
    char *log = tu_read_file(su_path(dir, "err1.txt"));
    assert_non_null(log);
    assert_non_null(strstr(log, "start to first frame:"));
    assert_non_null(strstr(log, "gap: "));
    assert_non_null(strstr(log, "(episode 1 -> 2)"));
    assert_non_null(strstr(log, "the last stream ended"));
    assert_null(strstr(log, "loaded ahead")); /* --play opens at once: no warm-up to wait for */
    free(log);

    char one[1300];
    snprintf(one, sizeof(one), "file://%s/midnight-heir/01/master.m3u8", content);
    char *first[] = {bin, "--headless", "--play", one, "--exit-after-first-frame", NULL};
    assert_int_equal(tu_run(first, su_path(dir, "out2.txt"), su_path(dir, "err2.txt"), 60), 0);
    log = tu_read_file(su_path(dir, "err2.txt"));
    assert_non_null(strstr(log, "start to first frame:"));
    assert_null(strstr(log, "ended")); /* it left at the first frame, not at the end */
    free(log);

    /* A stream that cannot play: a clear message and a non-zero status, no hang. */
    char *bad[] = {bin, "--headless", "--play", "http://127.0.0.1:1/nothing/master.m3u8", NULL};
    assert_int_equal(tu_run(bad, su_path(dir, "out3.txt"), su_path(dir, "err3.txt"), 60), 4);
    log = tu_read_file(su_path(dir, "err3.txt"));
    assert_non_null(strstr(log, "binge: can't play http://127.0.0.1:1/nothing/master.m3u8: "));
    free(log);
    /* --audio-sink: a sink that plays, and one that does not exist, said so. */
    char *sink_ok[] = {bin,
                       "--headless",
                       "--play",
                       one,
                       "--exit-after-first-frame",
                       "--audio-sink",
                       "fakesink sync=true name=qa_sink",
                       NULL};
    assert_int_equal(tu_run(sink_ok, su_path(dir, "out5.txt"), su_path(dir, "err5.txt"), 60), 0);
    char *sink_bad[] = {bin, "--headless", "--play", one, "--audio-sink", "nosuchsink-qa", NULL};
    assert_int_not_equal(tu_run(sink_bad, su_path(dir, "out6.txt"), su_path(dir, "err6.txt"), 60),
                         0);
    log = tu_read_file(su_path(dir, "err6.txt"));
    assert_non_null(strstr(log, "nosuchsink-qa"));
    free(log);
    char *empty[] = {bin, "--headless", "--play", " ", NULL};
    assert_int_equal(tu_run(empty, su_path(dir, "out4.txt"), su_path(dir, "err4.txt"), 60), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_play_mode),
        cmocka_unit_test(test_desktop_window_on_xvfb),
    };
    if (getenv("BINGE_TEST_FILTER")) /* e.g. BINGE_TEST_FILTER=test_play_mode */
        cmocka_set_test_filter(getenv("BINGE_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, NULL);
}
