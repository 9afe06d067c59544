/* Branding (issue 11 §6), end to end: the real binge (--headless --script, 1920x1080) against a
 * real binge-server on loopback renders home with a second theme (tests/fixtures/themes/
 * acme.theme: its own background, accent, card colour, a logo written here, rounded corners, a
 * 4% safe area), and the screenshot is judged by its pixels: the background in the margins, the
 * accent on the focused card's frame (rounded at the corner), the card colour in the bar's pills,
 * the logo's two colours where the logo goes. A second run overrides the theme's safe area with
 * --safe-area and gives it a logo over the pixel limit: binge says why in its log and draws the
 * brand's name in the accent colour instead; the exit question names the brand. binge's own look is
 * the golden screenshots' (test_golden). No timing is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/testutil.h"

#define CONTENT_ARGS "--series 8 --episodes 1 --duration 4 --sizes 180x320"

/* acme.theme's colours, 0xRRGGBB. */
#define ACME_BG 0x0a3c1eu
#define ACME_ACCENT 0x00c8ffu
#define ACME_CARD 0x1e5032u
/* The logo written beside the theme: two flat halves. */
#define LOGO_W 128
#define LOGO_H 64
#define LOGO_LEFT 0xffe600u
#define LOGO_RIGHT 0x7800ffu

/* src/ui/screens/home.c at 1920x1080, relative to the safe area's left and top edges. */
#define BAR_X 230 /* the top bar's first pill */
#define BAR_DY 8
#define BAR_H 54
#define FOCUS_DX 12 /* the focused card (the first of its row, at 112%) */
#define FOCUS_Y 538
#define FOCUS_H 336
#define FRAME 6 /* its accent frame, outside it */

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-home", BINGE_BUILD_DIR);
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
    static char bufs[16][1200];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* The fixture theme copied into dir, with extra lines after it (later keys win). */
static const char *theme_copy(const char *dir, const char *extra)
{
    char src[1200];
    snprintf(src, sizeof(src), "%s/tests/fixtures/themes/acme.theme", BINGE_SOURCE_DIR);
    char *text = tu_read_file(src);
    assert_non_null(text);
    size_t n = strlen(text) + strlen(extra) + 2;
    char *all = malloc(n);
    assert_non_null(all);
    snprintf(all, n, "%s\n%s", text, extra);
    const char *path = path_in(dir, "acme.theme");
    assert_int_equal(tu_write_file(path, all), 0);
    free(all);
    free(text);
    return path;
}

static void write_logo(const char *path)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, LOGO_W, LOGO_H, 32, SDL_PIXELFORMAT_RGBA32);
    assert_non_null(s);
    SDL_Rect left = {0, 0, LOGO_W / 2, LOGO_H}, right = {LOGO_W / 2, 0, LOGO_W / 2, LOGO_H};
    SDL_FillRect(
        s, &left,
        SDL_MapRGBA(s->format, LOGO_LEFT >> 16, (LOGO_LEFT >> 8) & 255, LOGO_LEFT & 255, 255));
    SDL_FillRect(
        s, &right,
        SDL_MapRGBA(s->format, LOGO_RIGHT >> 16, (LOGO_RIGHT >> 8) & 255, LOGO_RIGHT & 255, 255));
    assert_int_equal(IMG_SavePNG(s, path), 0);
    SDL_FreeSurface(s);
}

/* A PNG whose header says 20000x20000: a decompression bomb binge must refuse before decoding. */
static void write_bomb(const char *path)
{
    static const unsigned char png[] = {
        0x89, 'P', 'N', 'G',  '\r', '\n', 0x1a, '\n', 0,    0,   0,    13,   'I',  'H', 'D',
        'R',  0,   0,   0x4e, 0x20, 0,    0,    0x4e, 0x20, 8,   6,    0,    0,    0,   0,
        0,    0,   0,   0,    0,    0,    'I',  'E',  'N',  'D', 0xae, 0x42, 0x60, 0x82};
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(png, 1, sizeof(png), f), sizeof(png));
    fclose(f);
}

static void run_binge(const char *dir, const char *name, const char *script, const char *theme,
                      const char *safe_area)
{
    char bin[1024], script_path[1300], out[1300], err[1300];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/%s.txt", dir, name);
    snprintf(out, sizeof(out), "%s/%s-out.txt", dir, name);
    snprintf(err, sizeof(err), "%s/%s-err.txt", dir, name);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[18] = {bin,        "--headless", "--server",    srv.url,
                      "--script", script_path,  "--width",     "1920",
                      "--height", "1080",       "--state-dir", path_in(dir, "state"),
                      "--theme",  (char *)theme};
    int n = 14;
    if (safe_area) {
        argv[n++] = "--safe-area";
        argv[n++] = (char *)safe_area;
    }
    argv[n] = NULL;
    int rc = tu_run(argv, out, err, 240);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge (%s) exited %d; its log:\n%s\n", name, rc, log ? log : "(none)");
        free(log);
    }
    assert_int_equal(rc, 0);
}

/* Pixels of a rectangle within tol of rgb on every channel, and the rectangle's size. */
static int count_near(SDL_Surface *img, int x, int y, int w, int h, unsigned rgb, int tol)
{
    int n = 0;
    for (int j = y; j < y + h; j++) {
        for (int i = x; i < x + w; i++) {
            const Uint8 *p = (const Uint8 *)img->pixels + j * img->pitch + i * 4;
            if (abs(p[0] - (int)(rgb >> 16)) <= tol && abs(p[1] - (int)((rgb >> 8) & 255)) <= tol &&
                abs(p[2] - (int)(rgb & 255)) <= tol)
                n++;
        }
    }
    return n;
}

static SDL_Surface *load_png(const char *path)
{
    SDL_Surface *raw = IMG_Load(path);
    if (!raw)
        fail_msg("%s: %s", path, IMG_GetError());
    SDL_Surface *img = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(raw);
    assert_non_null(img);
    assert_int_equal(img->w, 1920);
    assert_int_equal(img->h, 1080);
    return img;
}

/* Every pixel of the rectangle is rgb (within tol). */
static void assert_all(SDL_Surface *img, int x, int y, int w, int h, unsigned rgb, int tol,
                       const char *what)
{
    int n = count_near(img, x, y, w, h, rgb, tol);
    if (n != w * h) {
        const Uint8 *p = (const Uint8 *)img->pixels + y * img->pitch + x * 4;
        fail_msg("%s (%d,%d %dx%d): %d of %d pixels are %06x (the first is %02x%02x%02x)", what, x,
                 y, w, h, n, w * h, rgb, p[0], p[1], p[2]);
    }
}

/* The home screen's pieces at a safe area of sx, sy (left, top). */
static void check_home(SDL_Surface *img, int sx, int sy)
{
    /* The background: the left and top margins, flat. */
    assert_all(img, 0, 0, sx, 1080, ACME_BG, 0, "the left margin");
    assert_all(img, 0, 0, 700, sy, ACME_BG, 0, "the top margin");
    /* The accent: the focused card's frame, its straight left side. */
    int fx = sx + FOCUS_DX;
    assert_all(img, fx - FRAME, FOCUS_Y + 40, FRAME, FOCUS_H - 80, ACME_ACCENT, 0,
               "the focus frame's left side");
    assert_all(img, fx + 40, FOCUS_Y - FRAME, 140, FRAME, ACME_ACCENT, 0,
               "the focus frame's top side");
    /* ... rounded: radius 12 leaves the frame's outer corner to the background. */
    assert_int_equal(count_near(img, fx - FRAME, FOCUS_Y - FRAME, 2, 2, ACME_ACCENT, 0), 0);
    /* The card colour: the first pill of the bar, inside its padding; its corner rounded. */
    int px = sx + BAR_X, py = sy + BAR_DY;
    assert_all(img, px + 4, py + 16, 16, BAR_H - 32, ACME_CARD, 0, "the first pill");
    assert_all(img, px, py, 2, 2, ACME_BG, 0, "the first pill's corner");
}

static void test_second_theme(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-theme");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 3", path_in(dir, "server.log")),
                     0);
    write_logo(path_in(dir, "acme-logo.png"));
    const char *theme = theme_copy(dir, "");
    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.animating=false 5000\n"
             "wait-for home.posters_pending=0 20000\n"
             "wait 200\n"
             "screenshot %s\n"
             "state strings\n"
             "key BACK\n"
             "wait-for screen=exit_confirm 5000\n"
             "wait 100\n"
             "state strings\n"
             "quit\n",
             path_in(dir, "home.png"));
    run_binge(dir, "home", script, theme, NULL);

    /* 4% of 1920 and 1080. */
    const int sx = 77, sy = 43;
    SDL_Surface *img = load_png(path_in(dir, "home.png"));
    check_home(img, sx, sy);
    /* The logo, 1:1 at the safe area's corner (128x64 fits 214x64), in place of the name. */
    assert_all(img, sx + 4, sy + 4, LOGO_W / 2 - 8, LOGO_H - 8, LOGO_LEFT, 0, "the logo's left");
    assert_all(img, sx + LOGO_W / 2 + 4, sy + 4, LOGO_W / 2 - 8, LOGO_H - 8, LOGO_RIGHT, 0,
               "the logo's right");
    SDL_FreeSurface(img);
    char *out = tu_read_file(path_in(dir, "home-out.txt"));
    assert_non_null(out);
    assert_non_null(strstr(out, "\"strings\""));
    assert_null(strstr(out, "\"Acme TV\"")); /* the logo stands for the name */
    assert_null(strstr(out, "\"binge\""));
    /* BACK on home asks in the brand's name. */
    assert_non_null(strstr(out, "\"Exit Acme TV?\""));
    assert_null(strstr(out, "Exit binge?"));
    free(out);
    char *log = tu_read_file(path_in(dir, "home-err.txt"));
    assert_non_null(log);
    assert_non_null(strstr(log, "theme \"Acme TV\", logo "));
    assert_non_null(strstr(log, "safe area from the theme"));
    free(log);
}

/* --safe-area wins over the theme's; a logo over the pixel limit is refused before decoding and
 * the name is drawn, in the accent colour, where the logo would have been. */
static void test_option_and_bad_logo(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-theme-option");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 3", path_in(dir, "server.log")),
                     0);
    write_bomb(path_in(dir, "bomb.png"));
    const char *theme = theme_copy(dir, "logo = bomb.png\n");
    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.animating=false 5000\n"
             "wait-for home.posters_pending=0 20000\n"
             "wait 200\n"
             "screenshot %s\n"
             "state strings\n"
             "quit\n",
             path_in(dir, "home.png"));
    run_binge(dir, "home", script, theme, "6");

    /* 6% of 1920 and 1080. */
    const int sx = 115, sy = 65;
    SDL_Surface *img = load_png(path_in(dir, "home.png"));
    check_home(img, sx, sy);
    /* The name in the accent colour where the logo would be: glyph cores of the accent, and
     * nothing of the logo. */
    int accent = count_near(img, sx, sy - 6, 214, 90, ACME_ACCENT, 0);
    if (accent < 300)
        fail_msg("the name: %d pixels of the accent", accent);
    assert_int_equal(count_near(img, sx, sy - 6, 214, 90, LOGO_LEFT, 24), 0);
    SDL_FreeSurface(img);
    char *out = tu_read_file(path_in(dir, "home-out.txt"));
    assert_non_null(out);
    assert_non_null(strstr(out, "\"Acme TV\""));
    free(out);
    char *log = tu_read_file(path_in(dir, "home-err.txt"));
    assert_non_null(log);
    if (!strstr(log, "20000x20000 pixels, over the") || !strstr(log, "the name is drawn instead"))
        fail_msg("the log does not say why the logo is not drawn:\n%s", log);
    assert_non_null(strstr(log, "safe area from --safe-area"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_second_theme, stop_server),
        cmocka_unit_test_teardown(test_option_and_bad_logo, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
