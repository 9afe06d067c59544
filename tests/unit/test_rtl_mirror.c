/* Right to left below the screens: the key swap (src/app/rtl.c) and the mirror of the drawing
 * layer (src/ui/ui.c) drawn by SDL's software renderer into a 1920x1080 surface: rectangles and
 * progress bars mirrored, text anchored on the mirrored side, pictures placed mirrored but never
 * flipped, clip rectangles mirrored, and nothing mirrored while paused or with the UI left to
 * right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <stdlib.h>

#include "../../src/app/app_internal.h"
#include "../../src/ui/ui_internal.h"

/* ---- the drawing layer ---- */

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

static void clear(struct canvas *c)
{
    SDL_SetRenderDrawColor(c->renderer, 0, 0, 0, 255);
    SDL_RenderClear(c->renderer);
}

static unsigned px(struct canvas *c, int x, int y)
{
    SDL_RenderPresent(c->renderer);
    return ((Uint32 *)((Uint8 *)c->surface->pixels + (size_t)y * c->surface->pitch))[x] & 0xffffffu;
}

/* The leftmost and rightmost columns in rows y..y+h with anything but black. */
static void ink_extent(struct canvas *c, int y, int h, int *l, int *r)
{
    SDL_RenderPresent(c->renderer);
    *l = -1;
    *r = -1;
    for (int yy = y; yy < y + h; yy++)
        for (int x = 0; x < UI_WIDTH; x++)
            if (px(c, x, yy)) {
                if (*l < 0 || x < *l)
                    *l = x;
                if (x > *r)
                    *r = x;
            }
}

static void test_fill_and_bar_mirror(void **state)
{
    struct canvas *c = *state;
    const SDL_Color red = {255, 0, 0, 255}, white = {255, 255, 255, 255};
    ui_set_rtl(c->ui, false);
    assert_false(ui_is_rtl(c->ui));
    clear(c);
    ui_fill(c->ui, (SDL_Rect){100, 10, 50, 20}, red);
    assert_int_equal(px(c, 100, 15), 0xff0000);
    assert_int_equal(px(c, UI_WIDTH - 101, 15), 0);

    ui_set_rtl(c->ui, true);
    assert_true(ui_is_rtl(c->ui));
    clear(c);
    ui_fill(c->ui, (SDL_Rect){100, 10, 50, 20}, red);
    assert_int_equal(px(c, 100, 15), 0);
    assert_int_equal(px(c, UI_WIDTH - 101, 15), 0xff0000); /* x 1770..1819 */
    assert_int_equal(px(c, UI_WIDTH - 150, 15), 0xff0000);
    assert_int_equal(px(c, UI_WIDTH - 151, 15), 0);
    assert_int_equal(px(c, UI_WIDTH - 100, 15), 0);

    /* A progress bar laid out left to right (its track, then the part done from its start)
     * fills from the right. */
    clear(c);
    SDL_Rect track = {200, 100, 1000, 10}, done = track;
    done.w = 250;
    ui_fill(c->ui, track, red);
    ui_fill(c->ui, done, white);
    assert_int_equal(px(c, UI_WIDTH - 201, 105), 0xffffff);  /* the track's right end: done */
    assert_int_equal(px(c, UI_WIDTH - 1199, 105), 0xff0000); /* its left end: to go */
    assert_int_equal(px(c, UI_WIDTH - 200 - 250 - 1, 105), 0xff0000);

    /* Paused (composing off screen), then resumed. */
    clear(c);
    bool was = ui_mirror_pause(c->ui);
    ui_fill(c->ui, (SDL_Rect){100, 10, 50, 20}, red);
    ui_mirror_resume(c->ui, was);
    assert_int_equal(px(c, 100, 15), 0xff0000);
    assert_int_equal(px(c, UI_WIDTH - 101, 15), 0);
    ui_set_rtl(c->ui, false);
}

static void test_text_anchor_mirror(void **state)
{
    struct canvas *c = *state;
    const struct ui *ui = c->ui; /* ui_color_text and UI_SAFE_X read the theme in it */
    int l, r, w = 0, h = 0;
    assert_int_equal(text_measure(c->ui, "Hello 42", 40, &w, &h), 0);
    assert_true(w > 20);

    /* LEFT at x 100: starts at 100 left to right, ends at 1820 right to left. */
    ui_set_rtl(c->ui, false);
    clear(c);
    text_draw(c->ui, "Hello 42", 40, ui_color_text, 100, 200, TEXT_LEFT, 0);
    ink_extent(c, 200, h, &l, &r);
    assert_in_range(l, 100, 110);
    assert_in_range(r, 100 + w - 12, 100 + w);
    ui_set_rtl(c->ui, true);
    clear(c);
    text_draw(c->ui, "Hello 42", 40, ui_color_text, 100, 200, TEXT_LEFT, 0);
    ink_extent(c, 200, h, &l, &r);
    assert_in_range(r, UI_WIDTH - 100 - 12, UI_WIDTH - 100);
    assert_in_range(l, UI_WIDTH - 100 - w, UI_WIDTH - 100 - w + 12);

    /* RIGHT at the safe area's right edge lands on its left edge; CENTER stays centred. */
    clear(c);
    text_draw(c->ui, "Hello 42", 40, ui_color_text, UI_WIDTH - UI_SAFE_X, 200, TEXT_RIGHT, 0);
    ink_extent(c, 200, h, &l, &r);
    assert_in_range(l, UI_SAFE_X, UI_SAFE_X + 12);
    clear(c);
    text_draw(c->ui, "Hello 42", 40, ui_color_text, UI_WIDTH / 2, 200, TEXT_CENTER, 0);
    ink_extent(c, 200, h, &l, &r);
    assert_in_range((l + r) / 2, UI_WIDTH / 2 - 8, UI_WIDTH / 2 + 8);

    /* A wrapped block keeps its box: right-aligned in the mirrored box. */
    clear(c);
    text_draw_wrapped(c->ui, "one two three four five six seven eight nine ten", 30, ui_color_text,
                      100, 300, 300, 4);
    ink_extent(c, 300, 200, &l, &r);
    assert_true(l >= UI_WIDTH - 400 - 2);
    assert_in_range(r, UI_WIDTH - 100 - 12, UI_WIDTH - 100);
    ui_set_rtl(c->ui, false);
}

static void test_picture_placed_not_flipped(void **state)
{
    struct canvas *c = *state;
    /* Two texels: red on the left, blue on the right. */
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 2, 1, 32, SDL_PIXELFORMAT_RGB888);
    assert_non_null(s);
    ((Uint32 *)s->pixels)[0] = 0xff0000;
    ((Uint32 *)s->pixels)[1] = 0x0000ff;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(c->renderer, s);
    SDL_FreeSurface(s);
    assert_non_null(tex);

    ui_set_rtl(c->ui, true);
    clear(c);
    ui_copy(c->ui, tex, NULL, (SDL_Rect){100, 400, 40, 20});
    /* Placed at 1780..1819, red still on its left. */
    assert_int_equal(px(c, UI_WIDTH - 140 + 5, 410), 0xff0000);
    assert_int_equal(px(c, UI_WIDTH - 100 - 5, 410), 0x0000ff);
    assert_int_equal(px(c, 105, 410), 0);

    /* A directional picture (a fade towards the text) is placed mirrored and flipped; composed
     * off screen (the mirror paused) only flipped; the video neither. */
    clear(c);
    ui_copy_directional(c->ui, tex, NULL, (SDL_Rect){100, 400, 40, 20});
    assert_int_equal(px(c, UI_WIDTH - 140 + 5, 410), 0x0000ff);
    assert_int_equal(px(c, UI_WIDTH - 100 - 5, 410), 0xff0000);
    clear(c);
    bool was = ui_mirror_pause(c->ui);
    ui_copy_directional(c->ui, tex, NULL, (SDL_Rect){100, 400, 40, 20});
    ui_mirror_resume(c->ui, was);
    assert_int_equal(px(c, 105, 410), 0x0000ff);
    assert_int_equal(px(c, 135, 410), 0xff0000);
    clear(c);
    ui_copy_unmirrored(c->ui, tex, NULL, (SDL_Rect){100, 400, 40, 20});
    assert_int_equal(px(c, 105, 410), 0xff0000);
    assert_int_equal(px(c, 135, 410), 0x0000ff);

    /* A clip rectangle is mirrored too. */
    clear(c);
    ui_clip(c->ui, &(SDL_Rect){0, 0, 300, UI_HEIGHT});
    ui_fill(c->ui, (SDL_Rect){0, 500, UI_WIDTH, 10}, (SDL_Color){0, 255, 0, 255});
    ui_clip(c->ui, NULL);
    assert_int_equal(px(c, UI_WIDTH - 10, 505), 0x00ff00);
    assert_int_equal(px(c, UI_WIDTH - 301, 505), 0);

    ui_set_rtl(c->ui, false);
    clear(c);
    ui_copy(c->ui, tex, NULL, (SDL_Rect){100, 400, 40, 20});
    assert_int_equal(px(c, 105, 410), 0xff0000);
    assert_int_equal(px(c, 135, 410), 0x0000ff);
    clear(c);
    ui_copy_directional(c->ui, tex, NULL, (SDL_Rect){100, 400, 40, 20});
    assert_int_equal(px(c, 105, 410), 0xff0000);
    assert_int_equal(px(c, 135, 410), 0x0000ff);
    SDL_DestroyTexture(tex);
}

/* LEFT and RIGHT swap for the screens only in an RTL UI; other keys never. */
static void test_keys_swap(void **state)
{
    struct canvas *c = *state;
    struct app *app = calloc(1, sizeof(*app));
    assert_non_null(app);
    assert_int_equal(app_visual_action(app, INPUT_LEFT), INPUT_LEFT); /* no UI yet */
    app->ui = c->ui;
    ui_set_rtl(c->ui, false);
    assert_int_equal(app_visual_action(app, INPUT_LEFT), INPUT_LEFT);
    assert_int_equal(app_visual_action(app, INPUT_RIGHT), INPUT_RIGHT);
    ui_set_rtl(c->ui, true);
    assert_int_equal(app_visual_action(app, INPUT_LEFT), INPUT_RIGHT);
    assert_int_equal(app_visual_action(app, INPUT_RIGHT), INPUT_LEFT);
    const enum input_action same[] = {INPUT_UP,   INPUT_DOWN,    INPUT_OK,
                                      INPUT_BACK, INPUT_DIGIT_4, INPUT_PLAY_PAUSE};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        assert_int_equal(app_visual_action(app, same[i]), same[i]);
    ui_set_rtl(c->ui, false);
    free(app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fill_and_bar_mirror, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_anchor_mirror, setup, teardown),
        cmocka_unit_test_setup_teardown(test_picture_placed_not_flipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_swap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
