/* The decoders a board profile prefers (player_config.prefer_decoders, src/player/decoders.c):
 * real HLS streams (tests/fixtures/make-streams) played through playbin3, and the decoder it
 * really chose read back from the player (player_stats.video_decoder). This machine has no V4L2
 * decoder, so software decoders of low rank stand in for them: openh264dec (marginal) for H.264
 * and libde265dec (secondary) for HEVC, both below gst-libav (primary). The V4L2 names in the
 * list are absent here and must be skipped, not fail the player. Tests run in order: ranks are
 * process-wide. */
#include "binge/player.h"
#include "test_player_util.h"

#include <gst/gst.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *streams;

static bool have_element(const char *name)
{
    GstElementFactory *f = gst_element_factory_find(name);
    if (f)
        gst_object_unref(f);
    return f != NULL;
}

/* Plays rel to its first frame with cfg; returns the video decoder the player reports. */
static void decoder_of(const struct player_config *cfg, const char *rel, char *out, size_t size)
{
    struct player *p = tp_new_player(cfg);
    assert_non_null(p);
    struct tp_run *r = malloc(sizeof(*r));
    assert_non_null(r);
    tp_run_init(r, p);
    assert_int_equal(player_open(p, tp_file_uri(streams, rel), 0), 0);
    int i = tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS);
    if (i < 0)
        tp_dump(r);
    assert_true(i >= 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    tp_pump_for(r, 300);
    assert_true(r->frames >= 1); /* it really decoded pictures */
    struct player_stats st;
    player_get_stats(p, &st);
    snprintf(out, size, "%s", st.video_decoder);
    print_message("  %s: %s, %d frames %dx%d\n", rel, out, r->frames, r->first_w, r->first_h);
    free(r);
    player_free(p);
}

static const struct player_config plain = {.audio_sink = "fakesink sync=true"};

/* Without a list, GStreamer's ranks: the low-ranked stand-ins are not chosen. */
static void test_default_ranks(void **state)
{
    (void)state;
    char dec[32];
    decoder_of(&plain, "ts-h264/index.m3u8", dec, sizeof(dec));
    assert_true(dec[0] != '\0');
    assert_string_not_equal(dec, "openh264dec");
    decoder_of(&plain, "ts-h265/index.m3u8", dec, sizeof(dec));
    assert_true(dec[0] != '\0');
    assert_string_not_equal(dec, "libde265dec");
}

/* A profile's list, absent V4L2 names first as on a board without them: the first present
 * decoder of each format wins over gst-libav. */
static void test_preferred_win(void **state)
{
    (void)state;
    if (!have_element("openh264dec") || !have_element("libde265dec"))
        fail_msg("openh264dec and libde265dec are needed (gstreamer1.0-plugins-bad)");
    assert_false(have_element("v4l2h264dec-not-here"));
    static const char *const prefer[] = {"v4l2h264dec-not-here", "v4l2slh265dec-not-here",
                                         "openh264dec", "libde265dec", NULL};
    struct player_config cfg = plain;
    cfg.prefer_decoders = prefer;
    char dec[32];
    decoder_of(&cfg, "ts-h264/index.m3u8", dec, sizeof(dec));
    assert_string_equal(dec, "openh264dec");
    decoder_of(&cfg, "fmp4-h265/index.m3u8", dec, sizeof(dec));
    assert_string_equal(dec, "libde265dec");
    /* A player without a list keeps the process's ranks. */
    decoder_of(&plain, "ts-h265/index.m3u8", dec, sizeof(dec));
    assert_string_equal(dec, "libde265dec");
}

/* A later list goes above an earlier one. */
static void test_later_list_wins(void **state)
{
    (void)state;
    if (!have_element("avdec_h264"))
        fail_msg("avdec_h264 is needed (gstreamer1.0-libav)");
    static const char *const prefer[] = {"avdec_h264", NULL};
    struct player_config cfg = plain;
    cfg.prefer_decoders = prefer;
    char dec[32];
    decoder_of(&cfg, "ts-h264/index.m3u8", dec, sizeof(dec));
    assert_string_equal(dec, "avdec_h264");
}

static int suite_setup(void **state)
{
    (void)state;
    if (tp_setup() != 0)
        return -1;
    streams = tp_streams_dir();
    return streams ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ranks),
        cmocka_unit_test(test_preferred_win),
        cmocka_unit_test(test_later_list_wins),
    };
    tp_filter();
    return cmocka_run_group_tests(tests, suite_setup, NULL);
}
