/* The UI's screens drawn for real, by SDL's software renderer into a 1920x1080 surface with the
 * font binge uses, and judged by their pixels saved as PNG:
 *   - every paywall row's text has 4.5:1 contrast (WCAG AA) against what is drawn behind it,
 *     focused or not, enabled or not;
 *   - text is wrapped into lines, never cut with an ellipsis: by text_wrap's lines, and by the
 *     lines of text an error panel shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ui/ui_internal.h"
#include "../common/testutil.h"

struct canvas {
    SDL_Surface *surface;
    SDL_Renderer *renderer;
    struct ui *ui;
};

static void no_wake(void *data)
{
    (void)data;
}

static int setup(void **state)
{
    struct canvas *c = calloc(1, sizeof(*c));
    char err[256];
    if (!c)
        return -1;
    c->surface = SDL_CreateRGBSurfaceWithFormat(0, UI_WIDTH, UI_HEIGHT, 32, SDL_PIXELFORMAT_RGB888);
    c->renderer = c->surface ? SDL_CreateSoftwareRenderer(c->surface) : NULL;
    c->ui = c->renderer ? ui_new(c->renderer, NULL, no_wake, NULL, err, sizeof(err)) : NULL;
    if (!c->ui) {
        fprintf(stderr, "no UI: %s\n", c->renderer ? err : SDL_GetError());
        return -1;
    }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct canvas *c = *state;
    ui_free(c->ui);
    SDL_DestroyRenderer(c->renderer);
    SDL_FreeSurface(c->surface);
    free(c);
    return 0;
}

/* Saves what was drawn as a PNG under the build directory; returns its path (static). */
static const char *save(struct canvas *c, const char *name)
{
    static char path[2200], dir[1024];
    if (!dir[0]) /* emptied once per run */
        snprintf(dir, sizeof(dir), "%s", tu_workdir("unit-ui"));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    SDL_RenderPresent(c->renderer);
    assert_int_equal(IMG_SavePNG(c->surface, path), 0);
    return path;
}

/* The paywall's option rows, as src/ui/screens/paywall.c lays them out (no poster). */
#define ROW_X (UI_SAFE_X + 40 + 480 + 90)
#define ROW_Y(i) (UI_SAFE_Y + 90 + 320 + (i) * (96 + 20))

/* The lower contrast of a row's two lines of text: the label (36 px, y + 10) and its detail
 * (26 px, y + 56), each measured inside the row, clear of a focus frame. */
static double row_contrast(const struct ui *ui, const char *png, size_t row, unsigned *bg,
                           unsigned *fg)
{
    static const int band[2][2] = {{8, 48}, {54, 34}}; /* y offset, height */
    double worst = 100;
    for (int i = 0; i < 2; i++) {
        double ratio = 0;
        unsigned b, f;
        assert_int_equal(tu_png_text_contrast(png, ROW_X + 8, ROW_Y(row) + band[i][0], 760 - 16,
                                              band[i][1], &ratio, &b, &f),
                         0);
        if (ratio < worst) {
            worst = ratio;
            *bg = b;
            *fg = f;
        }
    }
    return worst;
}

static void test_paywall_rows_contrast(void **state)
{
    struct canvas *c = *state;
    struct ui_paywall_view v = {
        .series_title = "The Midnight Heir",
        .episode_index = 3,
        .price_coins = 30,
        .balance = 20,
        .options =
            {
                {"Unlock for 30 coins", "You need 10 more coins", false},
                {"Watch a short ad", "No ad unlocks left today", false},
                {"Unlock with VIP", "Every episode while a VIP plan is active", true},
                {"Buy coins on your phone", "Scan a code and pay there", true},
            },
        .n_options = 4,
    };
    /* Each row focused in turn: the two disabled ones and the two enabled ones. */
    for (size_t focus = 0; focus < 4; focus++) {
        v.focus = focus;
        ui_draw_paywall(c->ui, &v);
        char name[32];
        snprintf(name, sizeof(name), "paywall-focus%zu.png", focus);
        const char *png = save(c, name);
        for (size_t row = 0; row < 4; row++) {
            unsigned bg, fg;
            double ratio = row_contrast(c->ui, png, row, &bg, &fg);
            if (ratio < 4.5)
                fail_msg("focus on row %zu: row %zu (%s, %s) has text #%06x on #%06x at %.2f:1, "
                         "under 4.5:1",
                         focus, row, v.options[row].enabled ? "enabled" : "disabled",
                         row == focus ? "focused" : "not focused", fg, bg, ratio);
        }
    }
}

static void test_wrap_rows(void **state)
{
    struct canvas *c = *state;
    static const struct {
        const char *s;
        int size, max_w, min_lines;
    } rows[] = {
        {"short", 34, 1040, 1},
        {"The service is having a problem. It is not your connection. Please try again in a "
         "moment, or pick another episode from the list of this series.",
         34, 600, 3},
        /* one word wider than the line: broken, not cut */
        {"https://cdn.example.com/media/midnight-heir/01/v0/segment-00042.ts?exp=1763700000&sig="
         "0123456789abcdef0123456789abcdef",
         34, 500, 3},
        /* UTF-8 broken only between characters */
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9\xc3\xa9",
         34, 120, 2},
        {"first line\nsecond line", 34, 1040, 2},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
        bool complete = false;
        int n = text_wrap(c->ui, rows[i].s, rows[i].size, rows[i].max_w, lines, TEXT_MAX_LINES,
                          &complete);
        assert_true(complete);
        if (n < rows[i].min_lines)
            fail_msg("row %zu: %d lines, want at least %d", i, n, rows[i].min_lines);
        /* Nothing lost: the lines are the text, in order, less the spaces at the breaks. */
        char joined[2048] = "", want[2048] = "";
        for (int k = 0; k < n; k++) {
            int w = 0, h = 0;
            assert_int_equal(text_measure(c->ui, lines[k], rows[i].size, &w, &h), 0);
            assert_true(w <= rows[i].max_w);
            assert_null(strstr(lines[k], "\xE2\x80\xA6"));
            assert_true(lines[k][0] != '\0');
            strcat(joined, lines[k]);
        }
        for (const char *p = rows[i].s; *p; p++)
            if (*p != ' ' && *p != '\n')
                strncat(want, p, 1);
        char squeezed[2048] = "";
        size_t n_squeezed = 0;
        for (const char *p = joined; *p && n_squeezed + 1 < sizeof(squeezed); p++)
            if (*p != ' ')
                squeezed[n_squeezed++] = *p;
        squeezed[n_squeezed] = '\0';
        assert_string_equal(squeezed, want);
    }
}

/* Rows of the image in [y, y + h) holding a pixel of colour rgb between x and x + w, counted
 * as runs: one run per line of text drawn in that colour. */
static int text_lines_of_colour(const char *png, int x, int y, int w, int h, Uint32 rgb)
{
    SDL_Surface *raw = IMG_Load(png);
    assert_non_null(raw);
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(raw);
    assert_non_null(s);
    int runs = 0;
    bool in = false;
    for (int j = y; j < y + h && j < s->h; j++) {
        const Uint8 *row = (const Uint8 *)s->pixels + (size_t)j * s->pitch;
        bool hit = false;
        for (int i = x; i < x + w && i < s->w && !hit; i++)
            hit = ((Uint32)row[i * 4] << 16 | (Uint32)row[i * 4 + 1] << 8 | row[i * 4 + 2]) == rgb;
        runs += hit && !in;
        in = hit;
    }
    SDL_FreeSurface(s);
    return runs;
}

static void test_message_panel_wraps(void **state)
{
    struct canvas *c = *state;
    const char *detail = "The episode could not be loaded from the video server, which answered "
                         "that the stream is not there any more. Please try again in a moment, "
                         "or pick another episode of this series from the list.";
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    int want = text_wrap(c->ui, detail, 34, 1040, lines, TEXT_MAX_LINES, NULL);
    assert_true(want >= 3);
    SDL_SetRenderDrawColor(c->renderer, 0, 0, 0, 255);
    SDL_RenderClear(c->renderer);
    ui_message_panel(c->ui, "Can't play this episode", detail, NULL, "OK to retry, BACK to return",
                     true);
    const char *png = save(c, "panel.png");
    /* The detail is drawn in the dim colour; the hint (accent) and title (text) are not. */
    const struct ui *ui = c->ui;
    Uint32 dim = (Uint32)ui_color_dim.r << 16 | (Uint32)ui_color_dim.g << 8 | ui_color_dim.b;
    int got = text_lines_of_colour(png, 0, 0, UI_WIDTH, UI_HEIGHT, dim);
    if (got != want)
        fail_msg("the detail shows as %d lines of text, want %d (wrapped, not cut)", got, want);
}

/* An error before the first picture, with no poster: the player screen shows the panel on black
 * and nothing else. The series title (drawn in place of the poster) once peeked out in a row of
 * dots above the panel's top bar. */
static void test_error_panel_covers_the_title(void **state)
{
    struct canvas *c = *state;
    struct ui_player_view v = {
        .series_title = "The Midnight Heir",
        .episode_index = 1,
        .episode_count = 3,
        .state = PLAYER_ERROR,
        .position_ms = -1,
        .duration_ms = -1,
        .message_title = "The service is having a problem",
        .message_detail = "It is not your connection. Please try again in a moment.",
        .message_hint = "OK to retry, BACK to return",
        .volume_pct = 100,
    };
    ui_draw_player(c->ui, &v);
    const char *png = save(c, "player-error.png");
    /* Everything above the panel (380 px high, centred) is black. */
    double mean[3], sd;
    assert_int_equal(tu_png_stats(png, 0, 0, UI_WIDTH, UI_HEIGHT / 2 - 190, mean, &sd, NULL, NULL),
                     0);
    if (sd > 0.5 || mean[0] + mean[1] + mean[2] > 1)
        fail_msg("something is drawn above the error panel (mean %.1f, sd %.2f)", mean[0], sd);
}

/* The series page keeps what stands still behind its grid (backdrop, poster, title, facts,
 * synopsis) composed in a layer: whatever the page showed before, a page drawn with it is
 * pixel for pixel the page a fresh UI draws, and a new series (or title) shows at once. */
static void draw_series_page(struct ui *ui, const char *title, const char *synopsis)
{
    char *genres[] = {"Drama", "Romance"};
    struct catalog_series se = {
        .id = "s",
        .title = (char *)title,
        .synopsis = (char *)synopsis,
        .genres = genres,
        .n_genres = 2,
        .episode_count = 0,
        .free_episodes = 0,
        .total_duration_s = 125,
    };
    struct ui_series_view v = {
        .title = title, .series = &se, .primary = "Play EP 1", .mylist = "+ My list"};
    ui_draw_series(ui, &v);
}

static void test_series_page_layer(void **state)
{
    struct canvas *c = *state;
    size_t size = (size_t)c->surface->pitch * (size_t)c->surface->h;
    unsigned char *first = malloc(size), *fresh = malloc(size);
    assert_non_null(first);
    assert_non_null(fresh);
    draw_series_page(c->ui, "The Midnight Heir", "A waitress learns at midnight.");
    SDL_RenderPresent(c->renderer);
    assert_non_null(c->ui->series_layer); /* drawn through the layer */
    memcpy(first, c->surface->pixels, size);
    /* Another series on the same UI: its title and synopsis, not the first one's. */
    draw_series_page(c->ui, "Palace of Secrets", "A maid hears what the walls say.");
    SDL_RenderPresent(c->renderer);
    assert_int_not_equal(memcmp(first, c->surface->pixels, size), 0);
    /* ... exactly as a UI that never drew the first one draws it. */
    SDL_Surface *s2 =
        SDL_CreateRGBSurfaceWithFormat(0, UI_WIDTH, UI_HEIGHT, 32, SDL_PIXELFORMAT_RGB888);
    SDL_Renderer *r2 = s2 ? SDL_CreateSoftwareRenderer(s2) : NULL;
    char err[256];
    struct ui *ui2 = r2 ? ui_new(r2, NULL, no_wake, NULL, err, sizeof(err)) : NULL;
    assert_non_null(ui2);
    draw_series_page(ui2, "Palace of Secrets", "A maid hears what the walls say.");
    SDL_RenderPresent(r2);
    memcpy(fresh, s2->pixels, size);
    assert_int_equal(memcmp(fresh, c->surface->pixels, size), 0);
    /* Back to the first: the same pixels as the first time. */
    draw_series_page(c->ui, "The Midnight Heir", "A waitress learns at midnight.");
    SDL_RenderPresent(c->renderer);
    assert_int_equal(memcmp(first, c->surface->pixels, size), 0);
    /* A page that is left gives its layer back; the next one composes it again, the same. */
    ui_series_release(c->ui);
    assert_null(c->ui->series_layer);
    draw_series_page(c->ui, "The Midnight Heir", "A waitress learns at midnight.");
    SDL_RenderPresent(c->renderer);
    assert_int_equal(memcmp(first, c->surface->pixels, size), 0);
    ui_free(ui2);
    SDL_DestroyRenderer(r2);
    SDL_FreeSurface(s2);
    free(first);
    free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paywall_rows_contrast),
        cmocka_unit_test(test_wrap_rows),
        cmocka_unit_test(test_message_panel_wraps),
        cmocka_unit_test(test_error_panel_covers_the_title),
        cmocka_unit_test(test_series_page_layer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
