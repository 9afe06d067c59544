/* Integration test of the video outputs of src/player other than "texture": "plane" draws
 * with a GStreamer sink into a real X11 window through GstVideoOverlay (Xvfb: ximagesink, as
 * Xvfb has no XVideo), "null" drops the video in time. Frames do not come through
 * player_acquire_frame then, so the events say what happened, and the window's pixels say that
 * the picture got there. Without a DISPLAY the test runs itself again under xvfb-run. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "binge/error.h"
#include "binge/player.h"
#include "test_player_util.h"
#include "testutil.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WIN_W 270
#define WIN_H 480

static const char *streams;
static Display *dpy;
static Window win;

static struct tp_run *new_run(struct player *p)
{
    struct tp_run *r = malloc(sizeof(*r));
    assert_non_null(r);
    tp_run_init(r, p);
    return r;
}

/* Mean and standard deviation of the luma of the window's middle, as the X server has it. */
static void window_stats(double *mean, double *sd)
{
    XImage *img =
        XGetImage(dpy, win, WIN_W / 4, WIN_H / 4, WIN_W / 2, WIN_H / 2, AllPlanes, ZPixmap);
    assert_non_null(img);
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int y = 0; y < img->height; y += 2) {
        for (int x = 0; x < img->width; x += 2) {
            unsigned long px = XGetPixel(img, x, y);
            double l =
                0.299 * ((px >> 16) & 0xff) + 0.587 * ((px >> 8) & 0xff) + 0.114 * (px & 0xff);
            sum += l;
            sum2 += l * l;
            n++;
        }
    }
    XDestroyImage(img);
    *mean = sum / n;
    *sd = sqrt(sum2 / n - *mean * *mean);
}

static struct player *plane_player(void)
{
    struct player_config cfg = {.audio_sink = "fakesink sync=true",
                                .video_output = "plane",
                                .window_handle = (uintptr_t)win};
    struct player *p = tp_new_player(&cfg);
    assert_non_null(p);
    return p;
}

static void test_plane_x11_window(void **state)
{
    (void)state;
    double mean, sd;
    window_stats(&mean, &sd);
    print_message("  window before: luma mean %.1f sd %.1f\n", mean, sd);
    assert_true(sd < 1.0); /* a plain background */

    struct player *p = plane_player();
    struct tp_run *r = new_run(p);
    assert_int_equal(player_set_video_rect(p, 0, 0, WIN_W, WIN_H), 0);
    assert_int_equal(player_open(p, tp_file_uri(streams, "ts-h264/index.m3u8"), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
    tp_pump_for(r, 800);
    XSync(dpy, False);
    window_stats(&mean, &sd);
    print_message("  window playing: luma mean %.1f sd %.1f\n", mean, sd);
    assert_true(sd > 20.0); /* testsrc2's colours are in the window */
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(r->frames, 0); /* nothing through the texture path */
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 1);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    struct player_variant v;
    assert_true(player_get_variant(p, &v));
    assert_int_equal(v.width, 180); /* from the sink's caps: a media playlist has no master */
    free(r);
    player_free(p);
}

/* The next episode prerolls into the same window without drawing over the one playing, and
 * the swap announces its first frame. */
static void test_plane_preroll_swap(void **state)
{
    (void)state;
    struct player *p = plane_player();
    struct tp_run *r = new_run(p);
    assert_int_equal(player_open(p, tp_file_uri(streams, "ts-h264/index.m3u8"), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(player_preroll(p, tp_file_uri(streams, "horizontal/index.m3u8"), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_PREROLLED, -1, TP_WAIT_MS) >= 0);
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    int from = r->n;
    assert_int_equal(player_swap(p), 0);
    tp_pump(r);
    assert_true(tp_index(r, PLAYER_EVENT_FIRST_FRAME, from) >= from); /* at once */
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 2);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    struct player_variant v;
    assert_true(player_get_variant(p, &v));
    assert_int_equal(v.width, 320);
    free(r);
    player_free(p);
}

static void test_null_output_and_table(void **state)
{
    (void)state;
    assert_true(player_video_output_exists("texture"));
    assert_true(player_video_output_exists("plane"));
    assert_true(player_video_output_exists("null"));
    assert_false(player_video_output_exists("bogus"));
    assert_false(player_video_output_exists(NULL));
    struct player_config bad = {.video_output = "bogus"};
    assert_null(player_new(&bad, tp_wake, NULL));
    struct player_config bad_sink = {.video_output = "plane", .video_sink = "nosuchsink-binge"};
    assert_null(player_new(&bad_sink, tp_wake, NULL));

    struct player_config cfg = {.audio_sink = "fakesink sync=true", .video_output = "null"};
    struct player *p = tp_new_player(&cfg);
    assert_non_null(p);
    assert_int_equal(player_set_video_rect(p, 0, 0, 10, 10), BINGE_ESTATE);
    struct tp_run *r = new_run(p);
    assert_int_equal(player_open(p, tp_file_uri(streams, "fps60/index.m3u8"), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_EOS, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 1);
    assert_int_equal(r->frames, 0);
    free(r);
    player_free(p);
}

static int suite_setup(void **state)
{
    (void)state;
    if (tp_setup() != 0)
        return -1;
    streams = tp_streams_dir();
    if (!streams)
        return -1;
    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "cannot open the X display\n");
        return -1;
    }
    int screen = DefaultScreen(dpy);
    win = XCreateSimpleWindow(dpy, RootWindow(dpy, screen), 0, 0, WIN_W, WIN_H, 0,
                              BlackPixel(dpy, screen), WhitePixel(dpy, screen));
    XStoreName(dpy, win, "binge plane test");
    XMapWindow(dpy, win);
    XSync(dpy, False);
    return 0;
}

static int suite_teardown(void **state)
{
    (void)state;
    if (dpy) {
        XDestroyWindow(dpy, win);
        XCloseDisplay(dpy);
    }
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *display = getenv("DISPLAY");
    if (!display || !*display) {
        /* Once: a real X server of its own, on a free display number. */
        if (getenv("BINGE_PLANE_UNDER_XVFB")) {
            fprintf(stderr, "xvfb-run gave no DISPLAY\n");
            return 1;
        }
        if (access("/usr/bin/xvfb-run", X_OK) != 0) {
            fprintf(stderr, "no DISPLAY and no xvfb-run (install xvfb): skipping\n");
            return 0;
        }
        char self[PATH_MAX];
        if (!realpath("/proc/self/exe", self))
            snprintf(self, sizeof(self), "%s", argv[0]);
        setenv("BINGE_PLANE_UNDER_XVFB", "1", 1);
        /* xvfb-run (a host tool) runs this test again, through the emulator under emulation. */
        char emu_buf[4096];
        char *args[48] = {"xvfb-run", "-a", "-s", "-screen 0 640x720x24"};
        int n = tu_emulator_words(emu_buf, sizeof(emu_buf), args + 4, 40);
        if (n < 0) {
            fprintf(stderr, "BINGE_TEST_EMULATOR does not fit\n");
            return 1;
        }
        args[4 + n] = self;
        args[5 + n] = NULL;
        execv("/usr/bin/xvfb-run", args);
        perror("xvfb-run");
        return 1;
    }
    XInitThreads(); /* the sinks talk to the same server from their own threads */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plane_x11_window),
        cmocka_unit_test(test_plane_preroll_swap),
        cmocka_unit_test(test_null_output_and_table),
    };
    tp_filter();
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
