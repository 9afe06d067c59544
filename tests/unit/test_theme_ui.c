/* The theme in the drawing layer (src/ui/ui.c, widgets.c), by SDL's software renderer into a
 * 1920x1080 surface: the rounded fill and frame (radius 0 is exactly the square ones; a radius
 * leaves the corners alone and blends a translucent colour once per pixel), the safe area per side
 * and its swap in a right-to-left UI, the logo's bounds (a bomb, a non-PNG, a missing file: no
 * logo, and the name stays), and the brand's name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void clear(struct canvas *c)
{
    SDL_SetRenderDrawBlendMode(c->renderer, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(c->renderer, 0, 0, 0, 255);
    SDL_RenderClear(c->renderer);
}

static Uint32 px(struct canvas *c, int x, int y)
{
    return ((const Uint32 *)((const Uint8 *)c->surface->pixels + y * c->surface->pitch))[x] &
           0xffffff;
}

/* A copy of the canvas's pixels. */
static Uint32 *snap(struct canvas *c)
{
    size_t n = (size_t)c->surface->pitch * UI_HEIGHT;
    Uint32 *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, c->surface->pixels, n);
    return copy;
}

static void set_radius(struct canvas *c, int radius)
{
    struct theme t;
    theme_default(&t);
    t.radius = radius;
    ui_set_theme(c->ui, &t);
}

static void test_round_shapes(void **state)
{
    struct canvas *c = *state;
    const struct ui *ui = c->ui; /* UI_RADIUS reads it */
    SDL_Rect r = {100, 100, 300, 120};
    SDL_Color solid = {200, 40, 90, 255}, glass = {255, 255, 255, 128};

    /* Radius 0: the very same pixels as the square fill and frame. */
    set_radius(c, 0);
    assert_int_equal(UI_RADIUS, 0);
    clear(c);
    ui_fill(c->ui, r, solid);
    ui_frame(c->ui, r, 6, glass);
    Uint32 *square = snap(c);
    clear(c);
    ui_fill_round(c->ui, r, solid);
    ui_frame_round(c->ui, r, 6, glass);
    assert_memory_equal(square, c->surface->pixels, (size_t)c->surface->pitch * UI_HEIGHT);
    free(square);

    /* Radius 12: the corner pixel is left alone, the middle and the edges' middles are filled. */
    set_radius(c, 12);
    clear(c);
    ui_fill_round(c->ui, r, solid);
    assert_int_equal(px(c, r.x, r.y), 0);
    assert_int_equal(px(c, r.x + r.w - 1, r.y + r.h - 1), 0);
    assert_int_equal(px(c, r.x + 2, r.y + 2), 0);
    assert_int_equal(px(c, r.x + r.w / 2, r.y), 0xc8285a);
    assert_int_equal(px(c, r.x, r.y + r.h / 2), 0xc8285a);
    assert_int_equal(px(c, r.x + 12, r.y + 12), 0xc8285a);
    /* A translucent fill blends once everywhere: every pixel drawn is the same colour. */
    clear(c);
    ui_fill_round(c->ui, r, glass);
    Uint32 inside = px(c, r.x + r.w / 2, r.y + r.h / 2);
    assert_int_not_equal(inside, 0);
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            if (px(c, x, y) != 0 && px(c, x, y) != inside)
                fail_msg("(%d,%d) is %06x, the fill %06x: blended twice", x, y, px(c, x, y),
                         inside);
    /* The frame: around r, never inside it, its corner rounded, each pixel once. */
    clear(c);
    ui_frame_round(c->ui, r, 6, glass);
    assert_int_equal(px(c, r.x + r.w / 2, r.y + r.h / 2), 0);
    assert_int_equal(px(c, r.x - 6, r.y - 6), 0);
    assert_int_equal(px(c, r.x - 3, r.y + r.h / 2), inside);
    assert_int_equal(px(c, r.x + r.w / 2, r.y + r.h + 2), inside);
    for (int y = r.y - 6; y < r.y + r.h + 6; y++)
        for (int x = r.x - 6; x < r.x + r.w + 6; x++)
            if (px(c, x, y) != 0 && px(c, x, y) != inside)
                fail_msg("frame (%d,%d) is %06x: blended twice", x, y, px(c, x, y));
    /* A radius larger than the box is clamped to half its side. */
    set_radius(c, 48);
    clear(c);
    ui_fill_round(c->ui, (SDL_Rect){500, 500, 20, 20}, solid);
    assert_int_equal(px(c, 510, 510), 0xc8285a);
    set_radius(c, 0);
}

static void test_safe_area(void **state)
{
    struct canvas *c = *state;
    const struct ui *ui = c->ui; /* the UI_SAFE_* macros read it */
    /* binge's own: 5% of each side. */
    ui_set_safe_area(c->ui, NULL);
    assert_int_equal(UI_SAFE_X, 96);
    assert_int_equal(UI_SAFE_Y, 54);
    assert_int_equal(UI_SAFE_R, 96);
    assert_int_equal(UI_SAFE_B, 54);
    assert_int_equal(UI_SAFE_W, 1728);
    /* Per side, in hundredths of a percent; -1 keeps 5%, out of range too. */
    int bp[4] = {[THEME_LEFT] = 1000, [THEME_TOP] = 250, [THEME_RIGHT] = 0, [THEME_BOTTOM] = -1};
    ui_set_safe_area(c->ui, bp);
    assert_int_equal(UI_SAFE_X, 192);
    assert_int_equal(UI_SAFE_Y, 27);
    assert_int_equal(UI_SAFE_R, 0);
    assert_int_equal(UI_SAFE_B, 54);
    assert_int_equal(UI_SAFE_W, 1728);
    /* Right to left: the layout is mirrored, so its left margin is the screen's right one. */
    ui_set_rtl(c->ui, true);
    assert_int_equal(UI_SAFE_X, 0);
    assert_int_equal(UI_SAFE_R, 192);
    ui_set_rtl(c->ui, false);
    assert_int_equal(UI_SAFE_X, 192);
    int bad[4] = {1001, -5, 5000, 500};
    ui_set_safe_area(c->ui, bad);
    assert_int_equal(UI_SAFE_X, 96);
    assert_int_equal(UI_SAFE_Y, 54);
    assert_int_equal(UI_SAFE_R, 96);
    ui_set_safe_area(c->ui, NULL);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* The writer of a FIFO named as the logo: whenever a reader has it open, writes a good PNG
 * into it and closes, so a loader that blocked in open() on the FIFO goes on and takes it. */
struct fifo_writer {
    const char *fifo, *png;
    SDL_atomic_t done;
};

static int fifo_writer_run(void *data)
{
    struct fifo_writer *w = data;
    while (!SDL_AtomicGet(&w->done)) {
        int fd = open(w->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            SDL_Delay(1); /* ENXIO: no reader yet */
            continue;
        }
        int flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        FILE *in = fopen(w->png, "rb");
        char buf[4096];
        size_t n;
        while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0 && write(fd, buf, n) == (ssize_t)n)
            ;
        if (in)
            fclose(in);
        close(fd);
    }
    return 0;
}

static void test_logo_bounds(void **state)
{
    struct canvas *c = *state;
    const char *dir = tu_workdir("unit-theme-ui");
    assert_non_null(dir);
    char good[900], bomb[900], text[900], big[900];
    snprintf(good, sizeof(good), "%s/good.png", dir);
    snprintf(bomb, sizeof(bomb), "%s/bomb.png", dir);
    snprintf(text, sizeof(text), "%s/text.png", dir);
    snprintf(big, sizeof(big), "%s/big.png", dir);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 40, 20, 32, SDL_PIXELFORMAT_RGBA32);
    assert_non_null(s);
    SDL_FillRect(s, NULL, SDL_MapRGBA(s->format, 255, 230, 0, 255));
    assert_int_equal(IMG_SavePNG(s, good), 0);
    SDL_FreeSurface(s);
    /* 1025 x 1024: one pixel row over the limit, refused from the header. */
    s = SDL_CreateRGBSurfaceWithFormat(0, 1025, 1024, 32, SDL_PIXELFORMAT_RGBA32);
    assert_non_null(s);
    SDL_FillRect(s, NULL, 0);
    assert_int_equal(IMG_SavePNG(s, big), 0);
    SDL_FreeSurface(s);
    static const unsigned char header[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0,
                                           0,    13,  'I', 'H', 'D',  'R',  0,    1,    0, 0,
                                           0,    1,   0,   0,   8,    6,    0,    0,    0};
    write_bytes(bomb, header, sizeof(header)); /* 65536 x 65536 claimed, no data */
    write_bytes(text, "not a picture at all", 20);

    struct theme t;
    theme_default(&t);
    snprintf(t.name, sizeof(t.name), "Acme TV");
    const char *const refused[] = {bomb, text, big, "/nonexistent/logo.png"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(t.logo, sizeof(t.logo), "%s", refused[i]);
        ui_set_theme(c->ui, &t);
        if (ui_logo_drawn(c->ui))
            fail_msg("%s was taken as a logo", refused[i]);
        assert_string_equal(ui_brand_name(c->ui), "Acme TV");
    }
    /* A FIFO (or a device) is no logo: not opened to be read, so the UI thread never waits for
     * a writer (before, open() blocked until one came, and its bytes were taken as the logo). */
    char fifo[900];
    snprintf(fifo, sizeof(fifo), "%s/fifo.png", dir);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    signal(SIGPIPE, SIG_IGN); /* the writer may find a reader that closes without reading */
    struct fifo_writer w = {.fifo = fifo, .png = good};
    SDL_AtomicSet(&w.done, 0);
    SDL_Thread *writer = SDL_CreateThread(fifo_writer_run, "fifo-writer", &w);
    assert_non_null(writer);
    snprintf(t.logo, sizeof(t.logo), "%s", fifo);
    ui_set_theme(c->ui, &t);
    SDL_AtomicSet(&w.done, 1);
    SDL_WaitThread(writer, NULL);
    if (ui_logo_drawn(c->ui))
        fail_msg("the FIFO %s was opened and read as a logo", fifo);
    assert_string_equal(ui_brand_name(c->ui), "Acme TV");
    unlink(fifo);

    snprintf(t.logo, sizeof(t.logo), "%s", good);
    ui_set_theme(c->ui, &t);
    assert_true(ui_logo_drawn(c->ui));
    /* Back to binge's own: no logo, its name. */
    theme_default(&t);
    ui_set_theme(c->ui, &t);
    assert_false(ui_logo_drawn(c->ui));
    assert_string_equal(ui_brand_name(c->ui), "binge");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_shapes),
        cmocka_unit_test(test_safe_area),
        cmocka_unit_test(test_logo_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
