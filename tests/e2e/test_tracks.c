/* Subtitles and AI dubs of the demo content, end to end (issue 10, section 4): a real
 * binge-server on loopback with two small series made by scripts/make-content (which calls
 * scripts/make-tracks), and the real binge binary headless.
 *   - Every master playlist make-content writes is valid: its renditions (WebVTT subtitles in
 *     seven languages, named in themselves; for midnight-heir the original audio as the
 *     default and three AI dubs) and every segment they list exist, the WebVTT segments carry
 *     X-TIMESTAMP-MAP.
 *   - With --language es the Spanish subtitles are on from the first cue ("Episodio 1"), the
 *     dubs are listed with "AI dub" in their names, AUDIO selects them in turn and the next
 *     episode keeps both choices.
 *   - A regional UI language falls back to the region the content has (pt-PT: pt-BR).
 *   - With an English UI the subtitles are off until chosen; a choice (SUBTITLES) is kept and
 *     wins over the UI language in a later run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "screen_util.h"

/* Two series (midnight-heir is the dubbed one), two episodes of 5 s (three segments: 2+2+1 s),
 * the second one encrypted (its dubs too). */
#define CONTENT_ARGS                                                                               \
    "--series 2 --episodes 2 --duration 5 --sizes 180x320 --encrypt-from 2 --tracks"

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-tracks-2x2x5s", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static int start_server(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-tracks-server");
    if (!dir)
        return -1;
    return tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                           su_path(dir, "server.log"));
}

static int stop_server(void **state)
{
    (void)state;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    srv.pid = -1;
    return 0;
}

/* ---- the playlists ---- */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* The value of attribute name of an attribute list (quotes removed) into buf, or false. */
static bool attr(const char *line, const char *name, char *buf, size_t len)
{
    char key[32];
    snprintf(key, sizeof(key), "%s=", name);
    for (const char *p = strstr(line, key); p; p = strstr(p + 1, key)) {
        if (p[-1] != ':' && p[-1] != ',')
            continue;
        const char *v = p + strlen(key);
        size_t n = *v == '"' ? strcspn(v + 1, "\"") : strcspn(v, ",\r\n");
        if (*v == '"')
            v++;
        snprintf(buf, len, "%.*s", (int)n, v);
        return true;
    }
    return false;
}

/* A media playlist: every segment listed exists beside it; returns how many. A WebVTT one's
 * segments start with the header and the timestamp map. */
static int check_media(const char *dir, const char *uri)
{
    char path[2048], base[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, uri);
    snprintf(base, sizeof(base), "%s", path);
    *strrchr(base, '/') = '\0';
    char *text = tu_read_file(path);
    if (!text)
        fail_msg("%s: missing", path);
    int segs = 0;
    bool end = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strcmp(l, "#EXT-X-ENDLIST") == 0)
            end = true;
        if (l[0] == '#' || !l[0])
            continue;
        char seg[2300];
        snprintf(seg, sizeof(seg), "%s/%s", base, l);
        if (!exists(seg))
            fail_msg("%s lists %s, which is not there", path, l);
        if (strstr(l, ".vtt")) {
            char *vtt = tu_read_file(seg);
            assert_non_null(vtt);
            if (strncmp(vtt, "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:", 30) != 0)
                fail_msg("%s: no WEBVTT header with X-TIMESTAMP-MAP", seg);
            free(vtt);
        }
        segs++;
    }
    free(text);
    assert_true(end);
    return segs;
}

struct rendition {
    char type[16], lang[16], name[64], def[8];
};

/* One episode's master playlist: its renditions into r (returns how many); every URI and every
 * segment exists; each subtitle and audio rendition has as many segments as the video. */
static int check_master(const char *dir, struct rendition *r, int max)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/master.m3u8", dir);
    char *text = tu_read_file(path);
    assert_non_null(text);
    int n = 0, variants = 0, video_segs = -1;
    int media_segs[32];
    bool next_is_variant = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char uri[256];
        if (strncmp(l, "#EXT-X-MEDIA:", 13) == 0) {
            assert_true(n < max);
            memset(&r[n], 0, sizeof(r[n]));
            assert_true(attr(l, "TYPE", r[n].type, sizeof(r[n].type)));
            assert_true(attr(l, "LANGUAGE", r[n].lang, sizeof(r[n].lang)));
            assert_true(attr(l, "NAME", r[n].name, sizeof(r[n].name)));
            assert_true(attr(l, "DEFAULT", r[n].def, sizeof(r[n].def)));
            assert_true(attr(l, "URI", uri, sizeof(uri)));
            media_segs[n] = check_media(dir, uri);
            n++;
        } else if (strncmp(l, "#EXT-X-STREAM-INF:", 18) == 0) {
            char group[32];
            assert_true(attr(l, "SUBTITLES", group, sizeof(group)));
            assert_string_equal(group, "subs");
            next_is_variant = true;
        } else if (next_is_variant && l[0] != '#') {
            int segs = check_media(dir, l);
            if (video_segs < 0)
                video_segs = segs;
            variants++;
            next_is_variant = false;
        }
    }
    free(text);
    assert_true(variants >= 1);
    for (int i = 0; i < n; i++) {
        /* Segmented like the video (the dubs' AAC segments are a few ms longer each). */
        if (media_segs[i] != video_segs)
            fail_msg("%s: rendition %s has %d segments, the video %d", path, r[i].name,
                     media_segs[i], video_segs);
    }
    return n;
}

static const struct rendition *find(const struct rendition *r, int n, const char *type,
                                    const char *lang)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(r[i].type, type) == 0 && strcmp(r[i].lang, lang) == 0)
            return &r[i];
    }
    return NULL;
}

static void test_playlists_valid(void **state)
{
    (void)state;
    static const struct {
        const char *lang, *name;
    } subs[] = {{"en", "English"},      {"es", "Español"}, {"pt-BR", "Português (Brasil)"},
                {"th", "ไทย"},          {"ar", "العربية"}, {"ja", "日本語"},
                {"zh-Hans", "简体中文"}};
    const char *series[] = {"midnight-heir", "revenge-ceo"};
    for (size_t s = 0; s < 2; s++) {
        for (int ep = 1; ep <= 2; ep++) {
            char dir[1200];
            snprintf(dir, sizeof(dir), "%s/%s/%02d", content, series[s], ep);
            struct rendition r[32];
            int n = check_master(dir, r, 32);
            for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
                const struct rendition *t = find(r, n, "SUBTITLES", subs[i].lang);
                if (!t)
                    fail_msg("%s: no %s subtitles", dir, subs[i].lang);
                assert_string_equal(t->name, subs[i].name);
                assert_string_equal(t->def, "NO"); /* the player decides (the UI language) */
            }
            int dubs = 0;
            for (int i = 0; i < n; i++)
                dubs += strcmp(r[i].type, "AUDIO") == 0 && strstr(r[i].name, "AI dub") != NULL;
            if (s == 0) {
                /* The original audio is the default; the dubs are marked. */
                const struct rendition *en = find(r, n, "AUDIO", "en");
                assert_non_null(en);
                assert_string_equal(en->def, "YES");
                assert_null(strstr(en->name, "AI dub"));
                assert_true(dubs >= 2);
                assert_non_null(find(r, n, "AUDIO", "es"));
                assert_non_null(find(r, n, "AUDIO", "pt-BR"));
                assert_string_equal(find(r, n, "AUDIO", "es")->name, "Español (AI dub)");
                assert_string_equal(find(r, n, "AUDIO", "es")->def, "NO");
            } else {
                assert_int_equal(dubs, 0); /* one dubbed series, its audio in the variant */
                assert_null(find(r, n, "AUDIO", "en"));
            }
        }
    }
    /* The dubs of the encrypted episode are encrypted with its key, like its video. */
    char path[1300];
    snprintf(path, sizeof(path), "%s/midnight-heir/02/aud-es/index.m3u8", content);
    char *dub = tu_read_file(path);
    assert_non_null(dub);
    assert_non_null(strstr(dub, "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin\""));
    free(dub);
}

/* ---- playing ---- */

/* Runs binge headless on script with --language lang (NULL: none, the locale's), output in
 * dir/<name>-out.txt and -err.txt, its state directory dir/state. Returns its exit status. */
static int run(const char *dir, const char *name, const char *lang, const char *script)
{
    char bin[1024], script_path[1300], out[1300], err[1300];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/%s.txt", dir, name);
    snprintf(out, sizeof(out), "%s/%s-out.txt", dir, name);
    snprintf(err, sizeof(err), "%s/%s-err.txt", dir, name);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {bin,          "--headless", "--server",    srv.url,
                    "--script",   script_path,  "--width",     "1920",
                    "--height",   "1080",       "--state-dir", su_path(dir, "state"),
                    "--language", (char *)lang, NULL};
    if (!lang)
        argv[12] = NULL;
    int rc = tu_run(argv, out, err, 240);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge (%s) exited %d; its log:\n%s\n", name, rc, log ? log : "(none)");
        free(log);
    }
    return rc;
}

/* The names listed in a " | " separated track list that contain part. */
static int count_names(const char *list, const char *part)
{
    int n = 0;
    for (const char *p = list ? strstr(list, part) : NULL; p; p = strstr(p + 1, part))
        n++;
    return n;
}

/* From home (midnight-heir first), PLAY_PAUSE plays episode 1 of the first card. */
#define PLAY_FIRST                                                                                 \
    "wait-for home.state=ready 30000\n"                                                            \
    "key PLAY_PAUSE\n"                                                                             \
    "wait-for player.series_id=midnight-heir 30000\n"                                              \
    "wait-for player.state=playing 60000\n"

static void test_spanish_ui_spanish_subtitles_and_dubs(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-tracks-es");
    assert_non_null(dir);
    char script[2048];
    /* The audio switches' waits scale under emulation: under a loaded qemu-arm the switch to
     * pt-BR near the stream's end stood still for 20 s (no progress), which the stall watchdog
     * (scaled to 32 s there) re-tunes; natively the switch takes well under a second. */
    int sw = tu_scaled(20000);
    snprintf(script, sizeof(script),
             PLAY_FIRST "wait-for player.cue!=null 20000\n"
                        /* Paused for the screenshot: under a loaded qemu-aarch64 a 1920x1080
                         * screenshot took 4 s, and the 5 s episode ended meanwhile. */
                        "key PLAY_PAUSE\n"
                        "wait-for player.state=paused 10000\n"
                        "state\n" /* 0: the first cue */
                        "screenshot %s\n"
                        "key PLAY_PAUSE\n"
                        /* paused on the second cue, wider than the 9:16 picture */
                        "wait-for player.position_ms>=2300 20000\n"
                        "wait-for player.cue!=null 20000\n"
                        "key PLAY_PAUSE\n"
                        "wait-for player.state=paused 10000\n"
                        "state\n" /* 1 */
                        "screenshot %s\n"
                        "key PLAY_PAUSE\n"
                        "key AUDIO\n"
                        "wait-for player.audio=es %d\n"
                        "state\n" /* 2 */
                        "key AUDIO\n"
                        "wait-for player.audio=pt-BR %d\n"
                        "state\n" /* 3 */
                        "wait-for player.episode_index=2 %d\n"
                        "wait-for player.state=playing 60000\n"
                        "wait-for player.cue!=null 20000\n"
                        "state\n" /* 4: the next episode keeps both */,
             su_path(dir, "es.png"), su_path(dir, "long.png"), sw, sw, tu_scaled(30000));
    assert_int_equal(run(dir, "es", "es", script), 0);

    cJSON *s0 = su_state(dir, "es", 0);
    assert_string_equal(su_str(s0, "player", "subtitles"), "es");
    assert_string_equal(su_str(s0, "player", "subtitles_name"), "Español");
    /* The Spanish track from the start: its first cue, not a switch that misses it. */
    assert_string_equal(su_str(s0, "player", "cue"), "Episodio 1");
    assert_string_equal(su_str(s0, "player", "audio"), "en"); /* the original stays default */
    const char *subs = su_str(s0, "player", "subtitle_tracks");
    assert_non_null(subs);
    assert_int_equal(count_names(subs, " | "), 6); /* seven tracks */
    assert_int_equal(count_names(subs, "العربية"), 1);
    assert_int_equal(count_names(subs, "ไทย"), 1);
    const char *audio = su_str(s0, "player", "audio_tracks");
    assert_non_null(audio);
    assert_int_equal(count_names(audio, "AI dub"), 3);
    assert_int_equal(count_names(audio, "Español (AI dub)"), 1);
    cJSON_Delete(s0);

    /* A cue wider than the picture wraps onto a second line (it was cut with an ellipsis). */
    cJSON *p1 = su_state(dir, "es", 1);
    assert_string_equal(su_str(p1, "player", "cue"), "El imperio naviero ahora es tuyo.");
    cJSON_Delete(p1);
    int lines = tu_png_text_lines(su_path(dir, "long.png"), 670, 680, 580, 200, SU_TEXT);
    print_message("  the long cue: %d line(s)\n", lines);
    assert_int_equal(lines, 2);

    cJSON *s1 = su_state(dir, "es", 2);
    assert_string_equal(su_str(s1, "player", "audio_name"), "Español (AI dub)");
    assert_string_equal(su_str(s1, "settings", "audio"), "es");      /* kept */
    assert_string_not_equal(su_str(s1, "player", "state"), "error"); /* playing, or buffering it */
    cJSON_Delete(s1);
    cJSON *s2 = su_state(dir, "es", 3);
    assert_string_equal(su_str(s2, "player", "audio_name"), "Português (AI dub)");
    cJSON_Delete(s2);
    cJSON *s3 = su_state(dir, "es", 4);
    assert_int_equal(su_num(s3, "player", "episode_index"), 2);
    assert_string_equal(su_str(s3, "player", "audio"), "pt-BR");
    assert_string_equal(su_str(s3, "player", "subtitles"), "es");
    const char *cue = su_str(s3, "player", "cue");
    assert_non_null(cue);
    /* Episode 2 cues in Spanish: its number first, then the series' lines. */
    assert_true(strcmp(cue, "Episodio 2") == 0 ||
                strcmp(cue, "Nunca te mentí. Ni una sola vez.") == 0 ||
                strcmp(cue, "¿Quién eres en realidad?") == 0);
    cJSON_Delete(s3);

    /* The cue is drawn: text on its dark box low over the picture (paused: just above the
     * progress bar). */
    assert_true(su_has_colour(su_path(dir, "es.png"), 660, 780, 600, 110, SU_TEXT));
}

static void test_regional_fallback(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-tracks-pt");
    assert_non_null(dir);
    assert_int_equal(run(dir, "pt", "pt-PT",
                         PLAY_FIRST "wait-for player.cue!=null 20000\n"
                                    "state\n"),
                     0);
    cJSON *s = su_state(dir, "pt", 0);
    assert_string_equal(su_str(s, "player", "subtitles"), "pt-BR"); /* pt-PT: the Brazilian */
    assert_string_equal(su_str(s, "player", "cue"), "Episódio 1");
    cJSON_Delete(s);
}

/* The menus' language chosen on the settings screen (no --language): the subtitles follow it
 * from the next episode on. */
static void test_settings_ui_language_moves_subtitles(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-tracks-settings");
    assert_non_null(dir);
    assert_int_equal(run(dir, "ui", NULL,
                         "wait-for home.state=ready 30000\n"
                         "key UP\nkey RIGHT 2\nwait-for home.bar=settings 5000\nkey OK\n"
                         "wait-for screen=settings 5000\n"
                         "key DOWN\n"
                         "wait-for settings.focus=ui_language 5000\n"
                         "key RIGHT\n"
                         "wait-for ui_language=es 5000\n"
                         "state\n" /* 0 */
                         "key BACK\n"
                         "wait-for screen=home 5000\n" PLAY_FIRST
                         "wait-for player.cue!=null 20000\n"
                         "state\n" /* 1 */),
                     0);
    cJSON *s0 = su_state(dir, "ui", 0);
    assert_string_equal(su_str(s0, "settings", "ui_language"), "es");
    assert_null(su_str(s0, "settings", "subtitles")); /* not chosen: the default moves */
    cJSON_Delete(s0);
    cJSON *s1 = su_state(dir, "ui", 1);
    assert_string_equal(su_str(s1, "player", "subtitles"), "es");
    assert_string_equal(su_str(s1, "player", "cue"), "Episodio 1");
    cJSON_Delete(s1);
}

static void test_english_ui_off_until_chosen(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-tracks-en");
    assert_non_null(dir);
    /* Past the second cue's start (2.25 s): nothing shows, nothing is listed as on. */
    assert_int_equal(run(dir, "en", "en",
                         PLAY_FIRST "wait-for player.position_ms>=2400 20000\n"
                                    "state\n" /* 0 */
                                    "key SUBTITLES\n"
                                    "wait-for player.cue!=null 20000\n"
                                    "state\n" /* 1 */),
                     0);
    cJSON *s0 = su_state(dir, "en", 0);
    assert_null(su_str(s0, "player", "subtitles"));
    assert_null(su_str(s0, "player", "cue"));
    assert_null(su_str(s0, "settings", "subtitles"));
    assert_int_equal(count_names(su_str(s0, "player", "subtitle_tracks"), " | "), 6);
    cJSON_Delete(s0);
    cJSON *s1 = su_state(dir, "en", 1);
    assert_string_equal(su_str(s1, "player", "subtitles"), "en"); /* the first of the list */
    assert_string_equal(su_str(s1, "settings", "subtitles"), "en");
    cJSON_Delete(s1);

    /* The choice is the viewer's: a Spanish UI later keeps the English subtitles. */
    assert_int_equal(run(dir, "again", "es",
                         PLAY_FIRST "wait-for player.cue!=null 20000\n"
                                    "state\n"),
                     0);
    cJSON *a = su_state(dir, "again", 0);
    assert_string_equal(su_str(a, "player", "subtitles"), "en");
    /* An English cue of episode 1 (it resumes where the first run left it). */
    const char *cue = su_str(a, "player", "cue");
    assert_non_null(cue);
    assert_true(strcmp(cue, "Episode 1") == 0 ||
                strcmp(cue, "The shipping empire is yours now.") == 0 ||
                strcmp(cue, "I never lied to you. Not once.") == 0);
    cJSON_Delete(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_playlists_valid),
        cmocka_unit_test_setup_teardown(test_spanish_ui_spanish_subtitles_and_dubs, start_server,
                                        stop_server),
        cmocka_unit_test_setup_teardown(test_regional_fallback, start_server, stop_server),
        cmocka_unit_test_setup_teardown(test_english_ui_off_until_chosen, start_server,
                                        stop_server),
        cmocka_unit_test_setup_teardown(test_settings_ui_language_moves_subtitles, start_server,
                                        stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
