/* Titles on home's cards (issue 10, section 4), end to end: posters carry no baked-in text, and
 * binge draws each card's title in the viewer's language over a gradient at the card's bottom,
 * one line, centred. A real binge-server on loopback with small generated content (2 series of
 * one 2 s episode); the real binge binary driven by --headless --script at 1920x1080 with
 * --language en and --language zh, judged by the screenshots' pixels. No timing is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/testutil.h"

#define CONTENT_ARGS "--series 2 --episodes 1 --duration 2 --sizes 180x320"
#define TEXT_RGB 0xF0F0F5u /* ui_color_text */
/* src/ui/screens/home.c at 1920x1080: the first shelf's cards. The second card (revenge-ceo,
 * not focused) and the focused first one at 112%. */
#define CARD_X 360
#define CARD_Y 556
#define CARD_W 200
#define CARD_H 300
#define FOCUS_X 108
#define FOCUS_Y 538
#define FOCUS_W 224
#define FOCUS_H 336
#define BAND_H 100 /* the card's bottom, where its title line sits */

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-card-title", BINGE_BUILD_DIR);
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

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* Runs binge headless at 1920x1080 in language lang: home settled, a `state` line and a
 * screenshot dir/<lang>.png. */
static void shoot_home(const char *dir, const char *lang)
{
    char bin[1024], script_path[1300], out[1300], err[1300], script[1400];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/%s.txt", dir, lang);
    snprintf(out, sizeof(out), "%s/%s-out.txt", dir, lang);
    snprintf(err, sizeof(err), "%s/%s-err.txt", dir, lang);
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.animating=false 5000\n"
             "wait-for home.posters_pending=0 20000\n"
             "wait 200\n"
             "state\n"
             "screenshot %s/%s.png\n"
             "quit\n",
             dir, lang);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {bin,           "--headless",
                    "--server",    srv.url,
                    "--script",    script_path,
                    "--width",     "1920",
                    "--height",    "1080",
                    "--language",  (char *)lang,
                    "--state-dir", path_in(dir, "state"),
                    NULL};
    int rc = tu_run(argv, out, err, 240);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge (%s) exited %d; its log:\n%s\n", lang, rc, log ? log : "(none)");
        free(log);
    }
    assert_int_equal(rc, 0);
    /* Every poster was drawn (the titles below go over pictures, not placeholders). */
    char *text = tu_read_file(out);
    assert_non_null(text);
    char *line = strchr(text, '{');
    cJSON *s = line ? cJSON_Parse(line) : NULL;
    const cJSON *home = cJSON_GetObjectItemCaseSensitive(s, "home");
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(home, "posters_ready")) ||
        cJSON_GetObjectItemCaseSensitive(home, "posters_ready")->valuedouble < 2)
        fail_msg("%s: posters not drawn: %s", lang, line ? line : "(no state)");
    cJSON_Delete(s);
    free(text);
}

/* Lines of text-coloured text in the strip [x, x + w) of the second card's title band. */
static int band_lines(const char *png, int x, int w)
{
    return tu_png_text_lines(png, CARD_X + x, CARD_Y + CARD_H - BAND_H, w, BAND_H, TEXT_RGB);
}

static void test_titles_drawn_by_binge(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-card-title");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    shoot_home(dir, "en");
    shoot_home(dir, "zh");
    const char *en = path_in(dir, "en.png");
    const char *zh = path_in(dir, "zh.png");

    /* One line of title at the bottom of each card, the focused one too, in every language;
     * none over the artwork above it (the poster has no text of its own). */
    assert_int_equal(band_lines(en, 2, CARD_W - 4), 1);
    assert_int_equal(band_lines(zh, 2, CARD_W - 4), 1);
    assert_int_equal(tu_png_text_lines(en, FOCUS_X + 8, FOCUS_Y + FOCUS_H - BAND_H, FOCUS_W - 16,
                                       BAND_H - 6, TEXT_RGB),
                     1);
    assert_int_equal(tu_png_text_lines(zh, FOCUS_X + 8, FOCUS_Y + FOCUS_H - BAND_H, FOCUS_W - 16,
                                       BAND_H - 6, TEXT_RGB),
                     1);
    assert_int_equal(
        tu_png_text_lines(en, CARD_X + 2, CARD_Y + 10, CARD_W - 4, CARD_H - BAND_H - 20, TEXT_RGB),
        0);
    assert_int_equal(
        tu_png_text_lines(zh, CARD_X + 2, CARD_Y + 10, CARD_W - 4, CARD_H - BAND_H - 20, TEXT_RGB),
        0);
    /* The title is the language's own, centred: "Revenge of the CEO" fills the card's width
     * (cut with an ellipsis), "总裁的复仇" (five ideographs) only its middle. */
    assert_int_equal(band_lines(en, 12, 16), 1);
    assert_int_equal(band_lines(en, CARD_W - 28, 16), 1);
    assert_int_equal(band_lines(zh, 12, 16), 0);
    assert_int_equal(band_lines(zh, CARD_W - 28, 16), 0);
    assert_int_equal(band_lines(zh, CARD_W / 2 - 20, 40), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_titles_drawn_by_binge, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
