/* Integration test of the player on the subtitles and AI dubs of make-content's episodes
 * (scripts/make-tracks): real playbin3 pipelines over the loopback server of
 * test_player_util.c, on one series of two 5 s episodes (midnight-heir: seven WebVTT
 * languages, the original audio and three dubs).
 *   - A subtitle language chosen before the open is the one hlsdemux2 starts with: its first
 *     cue shows, and only its cues.
 *   - The episode ends at its end: the text stream's stray GAP past the end no longer holds
 *     EOS back (it came 2 s late, at 7.1 s of a 5 s episode).
 *   - Regional fallback (pt-PT: pt-BR, zh-TW: zh-Hans), and a language the stream lacks shows
 *     nothing rather than another language.
 *   - The dubs are listed by their names ("... (AI dub)") and selectable.
 * Positions are the stream's (media time), never wall-clock budgets. */

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

#define CONTENT_ARGS "--series 1 --episodes 2 --duration 5 --sizes 180x320 --tracks"
#define EPISODE_MS 5000
/* The audio's last AAC frame runs a few ms past the video; anything near 5 s is the end. */
#define END_SLACK_MS 400

static const char *content; /* the episodes, also played from file:// */

static struct tp_run *new_run(struct player *p)
{
    struct tp_run *r = malloc(sizeof(*r));
    assert_non_null(r);
    tp_run_init(r, p);
    return r;
}

static struct player *quiet_player(void)
{
    struct player_config cfg = {.audio_sink = "fakesink sync=true"};
    struct player *p = tp_new_player(&cfg);
    assert_non_null(p);
    return p;
}

struct seen {
    char cues[8][128]; /* distinct cues, in the order they showed */
    int n;
    int64_t max_pos_ms;
};

/* Plays the open stream to EOS (or an error), noting the cues shown and the furthest
 * position. Returns the index of the ending event or -1. */
static int watch_to_end(struct tp_run *r, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    int64_t end = tp_now_ms() + 4 * TP_WAIT_MS;
    while (tp_now_ms() < end) {
        int from = r->n;
        tp_pump(r);
        int64_t pos = player_get_position_ms(r->p);
        if (pos > s->max_pos_ms)
            s->max_pos_ms = pos;
        char cue[128];
        if (player_get_subtitle(r->p, cue, sizeof(cue)) &&
            (s->n == 0 || strcmp(s->cues[s->n - 1], cue) != 0) && s->n < 8)
            snprintf(s->cues[s->n++], sizeof(s->cues[0]), "%s", cue);
        for (int i = from; i < r->n; i++) {
            if (r->ev[i].type == PLAYER_EVENT_EOS || r->ev[i].type == PLAYER_EVENT_ERROR)
                return i;
        }
        tp_wait_wake(20);
    }
    return -1;
}

static int find_lang(const struct player_track *t, size_t n, enum player_track_type type,
                     const char *lang)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].type == type && strcmp(t[i].language, lang) == 0)
            return (int)i;
    }
    return -1;
}

static const char *selected_text(const struct player_track *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].type == PLAYER_TRACK_TEXT && t[i].selected)
            return t[i].language;
    }
    return NULL;
}

static void test_chosen_subtitles_from_the_first_cue_to_the_end(void **state)
{
    (void)state;
    struct player *p = quiet_player();
    struct tp_run *r = new_run(p);
    assert_int_equal(player_select_subtitles(p, "es"), 0); /* before the open: the UI's default */
    assert_int_equal(player_open(p, tp_http_url("midnight-heir/01/master.m3u8"), 0), 0);
    struct seen s;
    int end = watch_to_end(r, &s);
    assert_true(end >= 0);
    assert_int_equal(r->ev[end].type, PLAYER_EVENT_EOS);
    print_message("  furthest position %lld ms; cues:", (long long)s.max_pos_ms);
    for (int i = 0; i < s.n; i++)
        print_message(" [%s]", s.cues[i]);
    print_message("\n");
    /* Spanish from the start (no switch from the stream's first rendition that loses the
     * first cue), and nothing but Spanish. */
    assert_true(s.n >= 2);
    assert_string_equal(s.cues[0], "Episodio 1");
    assert_string_equal(s.cues[1], "El imperio naviero ahora es tuyo.");
    for (int i = 2; i < s.n; i++)
        assert_string_equal(s.cues[i], "Nunca te mentí. Ni una sola vez.");
    /* It ended at its end, not when a stray text GAP past the end ran out. */
    assert_in_range(s.max_pos_ms, EPISODE_MS - END_SLACK_MS, EPISODE_MS + END_SLACK_MS);
    struct player_track t[16];
    size_t n = player_get_tracks(p, t, 16);
    assert_int_equal(n, 11); /* 4 audio, 7 subtitles */
    assert_string_equal(selected_text(t, n), "es");
    free(r);
    player_free(p);
}

static void test_subtitles_off_end_on_time(void **state)
{
    (void)state;
    struct player *p = quiet_player();
    struct tp_run *r = new_run(p);
    assert_int_equal(player_select_subtitles(p, NULL), 0); /* the English UI's default */
    assert_int_equal(player_open(p, tp_http_url("midnight-heir/02/master.m3u8"), 0), 0);
    struct seen s;
    assert_true(watch_to_end(r, &s) >= 0);
    assert_int_equal(s.n, 0);
    assert_in_range(s.max_pos_ms, EPISODE_MS - END_SLACK_MS, EPISODE_MS + END_SLACK_MS);
    free(r);
    player_free(p);
}

/* Each language chosen before the open (as the UI language's default is): the rendition the
 * stream starts with. */
static void test_regional_fallback_and_missing_language(void **state)
{
    (void)state;
    static const struct {
        const char *want, *gets;
    } rows[] = {{"pt-PT", "pt-BR"}, {"zh-TW", "zh-Hans"}, {"ES", "es"},
                {"ar-EG", "ar"},    {"fr", NULL},         {"fr-CA", NULL}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct player *p = quiet_player();
        struct tp_run *r = new_run(p);
        assert_int_equal(player_select_subtitles(p, rows[i].want), 0); /* remembered */
        assert_int_equal(player_open(p, tp_http_url("midnight-heir/01/master.m3u8"), 0), 0);
        assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
        struct player_track t[16];
        size_t n = player_get_tracks(p, t, 16);
        assert_int_equal(n, 11);
        /* The master's BCP 47 tags as written, also those GStreamer does not tag. */
        assert_true(find_lang(t, n, PLAYER_TRACK_TEXT, "pt-BR") >= 0);
        assert_true(find_lang(t, n, PLAYER_TRACK_TEXT, "zh-Hans") >= 0);
        assert_true(find_lang(t, n, PLAYER_TRACK_AUDIO, "pt-BR") >= 0);
        const char *sel = NULL;
        for (int k = 0; k < 250; k++) { /* STREAMS_SELECTED may come after the first frame */
            n = player_get_tracks(p, t, 16);
            sel = selected_text(t, n);
            if (rows[i].gets ? sel && strcmp(sel, rows[i].gets) == 0 : !sel)
                break;
            tp_pump_for(r, 40);
        }
        print_message("  %s -> %s\n", rows[i].want, sel ? sel : "(none)");
        if (rows[i].gets) {
            assert_non_null(sel);
            assert_string_equal(sel, rows[i].gets);
            /* its rendition from the start: the first cue is the episode's number */
            int64_t end = tp_now_ms() + TP_WAIT_MS;
            char cue[128] = "";
            while (!player_get_subtitle(p, cue, sizeof(cue)) && tp_now_ms() < end)
                tp_pump_for(r, 20);
            print_message("     first cue [%s]\n", cue);
            assert_true(cue[0] != '\0');
        } else {
            assert_null(sel);     /* nothing instead of the stream's first language */
            tp_pump_for(r, 2000); /* past the first cue (0.25-1.85 s) */
            char cue[64];
            assert_false(player_get_subtitle(p, cue, sizeof(cue)));
            assert_int_equal(player_select_subtitles(p, rows[i].want), BINGE_ENOTFOUND);
        }
        player_stop(p);
        free(r);
        player_free(p);
    }
}

/* A seek snaps to the keyframe and says so: the position is the picture's, not the subtitle
 * sink's, which runs ahead on the GAP events between cues (SEEKED said 2371 or 2425 ms for a
 * seek to 2100 in 2 s segments, where the picture stood at 2 s). */
static void test_seek_lands_on_the_keyframe(void **state)
{
    (void)state;
    struct player *p = quiet_player();
    struct tp_run *r = new_run(p);
    assert_int_equal(player_select_subtitles(p, "es"), 0);
    char *ep2 = strdup(tp_file_uri(content, "midnight-heir/02/master.m3u8"));
    assert_int_equal(player_open(p, tp_file_uri(content, "midnight-heir/01/master.m3u8"), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
    /* with the next episode prerolled, as the player screen has it */
    assert_int_equal(player_preroll(p, ep2, 0), 0);
    free(ep2);
    assert_true(tp_until(r, PLAYER_EVENT_PREROLLED, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(player_seek(p, 2100), 0);
    int s = tp_until(r, PLAYER_EVENT_SEEKED, -1, TP_WAIT_MS);
    assert_true(s >= 0);
    print_message("  SEEKED at %lld ms\n", (long long)r->ev[s].position_ms);
    assert_in_range(r->ev[s].position_ms, 1900, 2200); /* the keyframe at 2 s */
    player_stop(p);
    free(r);
    player_free(p);
}

static void test_ai_dubs_listed_and_selectable(void **state)
{
    (void)state;
    struct player *p = quiet_player();
    struct tp_run *r = new_run(p);
    assert_int_equal(player_open(p, tp_http_url("midnight-heir/01/master.m3u8"), 0), 0);
    assert_true(tp_until(r, PLAYER_EVENT_TRACKS, -1, TP_WAIT_MS) >= 0);
    struct player_track t[16];
    size_t n = player_get_tracks(p, t, 16);
    int dubs = 0, en = find_lang(t, n, PLAYER_TRACK_AUDIO, "en");
    for (size_t i = 0; i < n; i++)
        dubs += t[i].type == PLAYER_TRACK_AUDIO && strstr(t[i].title, "(AI dub)") != NULL;
    assert_int_equal(dubs, 3);
    assert_true(en >= 0);
    assert_string_equal(t[en].title, "English");
    assert_true(t[en].selected); /* the original is the default */
    int es = find_lang(t, n, PLAYER_TRACK_AUDIO, "es");
    assert_true(es >= 0);
    assert_string_equal(t[es].title, "Español (AI dub)");

    assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
    assert_int_equal(player_select_audio(p, "th"), 0);
    bool switched = false;
    for (int k = 0; k < 100 && !switched; k++) {
        tp_pump_for(r, 40);
        n = player_get_tracks(p, t, 16);
        int th = find_lang(t, n, PLAYER_TRACK_AUDIO, "th");
        switched =
            th >= 0 && t[th].selected && !t[find_lang(t, n, PLAYER_TRACK_AUDIO, "en")].selected;
    }
    assert_true(switched);
    struct seen s;
    int end = watch_to_end(r, &s);
    assert_true(end >= 0);
    assert_int_equal(r->ev[end].type, PLAYER_EVENT_EOS); /* the dub plays to the end */
    free(r);
    player_free(p);
}

static int suite_setup(void **state)
{
    (void)state;
    if (tp_setup() != 0)
        return -1;
    content = tp_content_dir("tracks-1x2x5s", CONTENT_ARGS);
    if (!content)
        return -1;
    return tp_http_start(content);
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
        cmocka_unit_test(test_chosen_subtitles_from_the_first_cue_to_the_end),
        cmocka_unit_test(test_subtitles_off_end_on_time),
        cmocka_unit_test(test_regional_fallback_and_missing_language),
        cmocka_unit_test(test_seek_lands_on_the_keyframe),
        cmocka_unit_test(test_ai_dubs_listed_and_selectable),
    };
    tp_filter();
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
