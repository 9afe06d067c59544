/* The UI's screens drawn for real, by SDL's software renderer into a 1920x1080 surface with the
 * font binge uses, and judged by their pixels saved as PNG:
 *   - every paywall row's text has 4.5:1 contrast (WCAG AA) against what is drawn behind it,
 *     focused or not, enabled or not. */
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
static double row_contrast(const char *png, size_t row, unsigned *bg, unsigned *fg)
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
            double ratio = row_contrast(png, row, &bg, &fg);
            if (ratio < 4.5)
                fail_msg("focus on row %zu: row %zu (%s, %s) has text #%06x on #%06x at %.2f:1, "
                         "under 4.5:1",
                         focus, row, v.options[row].enabled ? "enabled" : "disabled",
                         row == focus ? "focused" : "not focused", fg, bg, ratio);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paywall_rows_contrast),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
