/* The text engine through the API the views use (text_draw, text_measure, text_wrap):
 *   - no tofu, judged by pixels: two different characters of a script must not come out as the
 *     same picture, which is what a font without the script draws for both (its missing-glyph
 *     box); each script whose font package is not installed is skipped, saying so;
 *   - with --font set to a Thai-only face, Latin (the logo) still renders, from the fallback;
 *   - Thai, written without spaces, wraps only between the words of libthai's dictionary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <thai/thwbrk.h>
#include <wchar.h>

#include "../../src/ui/ui_internal.h"

struct canvas {
    SDL_Surface *surface;
    SDL_Renderer *renderer;
    struct ui *ui;
};

static void no_wake(void *data)
{
    (void)data;
}

static struct canvas *canvas_new(const char *font)
{
    struct canvas *c = calloc(1, sizeof(*c));
    char err[256];
    assert_non_null(c);
    c->surface = SDL_CreateRGBSurfaceWithFormat(0, 400, 200, 32, SDL_PIXELFORMAT_RGB888);
    assert_non_null(c->surface);
    c->renderer = SDL_CreateSoftwareRenderer(c->surface);
    assert_non_null(c->renderer);
    c->ui = ui_new(c->renderer, font, no_wake, NULL, err, sizeof(err));
    if (!c->ui)
        fail_msg("no UI: %s", err);
    return c;
}

static void canvas_free(struct canvas *c)
{
    ui_free(c->ui);
    SDL_DestroyRenderer(c->renderer);
    SDL_FreeSurface(c->surface);
    free(c);
}

/* s drawn alone, white on black at (10, 10): its pixels (grey levels) in *pix, w x h. */
static void draw_alone(struct canvas *c, const char *s, int size, unsigned char **pix, int *w,
                       int *h)
{
    SDL_SetRenderDrawColor(c->renderer, 0, 0, 0, 255);
    SDL_RenderClear(c->renderer);
    SDL_Color white = {255, 255, 255, 255};
    int mh = 0;
    assert_int_equal(text_measure(c->ui, s, size, w, &mh), 0);
    int drawn = text_draw(c->ui, s, size, white, 10, 10, TEXT_LEFT, 0);
    assert_int_equal(drawn, *w); /* the width measured is the width drawn */
    SDL_RenderPresent(c->renderer);
    *h = mh;
    assert_true(*w > 0 && *w < 380 && *h > 0 && *h < 180);
    *pix = calloc((size_t)*w * (size_t)*h, 1);
    assert_non_null(*pix);
    for (int y = 0; y < *h; y++) {
        const Uint32 *row = (const Uint32 *)((const Uint8 *)c->surface->pixels +
                                             (size_t)(10 + y) * c->surface->pitch);
        for (int x = 0; x < *w; x++)
            (*pix)[(size_t)y * (size_t)*w + (size_t)x] = (unsigned char)((row[10 + x] >> 8) & 0xFF);
    }
}

static bool same_picture(struct canvas *c, const char *a, const char *b)
{
    unsigned char *pa, *pb;
    int wa, ha, wb, hb;
    draw_alone(c, a, 48, &pa, &wa, &ha);
    draw_alone(c, b, 48, &pb, &wb, &hb);
    bool same = wa == wb && ha == hb && memcmp(pa, pb, (size_t)wa * (size_t)ha) == 0;
    free(pa);
    free(pb);
    return same;
}

/* Whether fontconfig knows a face with cp (else the case is skipped: its package is missing). */
static bool installed(uint32_t cp, const char *package)
{
    FcPattern *pat = FcPatternCreate();
    FcCharSet *cs = FcCharSetCreate();
    FcCharSetAddChar(cs, cp);
    FcPatternAddCharSet(pat, FC_CHARSET, cs);
    FcObjectSet *os = FcObjectSetBuild(FC_FILE, NULL);
    FcFontSet *set = FcFontList(NULL, pat, os);
    bool found = set && set->nfont > 0;
    if (set)
        FcFontSetDestroy(set);
    FcObjectSetDestroy(os);
    FcCharSetDestroy(cs);
    FcPatternDestroy(pat);
    if (!found)
        fprintf(stderr, "skipped U+%04X: no font has it; install %s\n", (unsigned)cp, package);
    return found;
}

static void test_scripts_are_not_tofu(void **state)
{
    (void)state;
    static const struct {
        const char *lang, *a, *b, *package;
        uint32_t probe;
    } pairs[] = {
        {"th", "\xe0\xb8\x97", "\xe0\xb8\x84", "fonts-noto-core", 0x0E17},         /* ท ค */
        {"ar", "\xd8\xa8\xd8\xa8", "\xd9\x84\xd9\x84", "fonts-noto-core", 0x0628}, /* بب لل */
        {"he", "\xd7\xa9", "\xd7\x9c", "fonts-noto-core", 0x05E9},                 /* ש ל */
        {"hi", "\xe0\xa4\xa8", "\xe0\xa4\xae", "fonts-noto-core", 0x0928},         /* न म */
        {"ja", "\xe3\x81\xae", "\xe3\x81\x8b", "fonts-noto-cjk", 0x306E},          /* の か */
        {"ko", "\xec\x9e\x90", "\xec\xa0\x95", "fonts-noto-cjk", 0xC790},          /* 자 정 */
        {"zh", "\xe7\xbb\xa7", "\xe6\x89\xbf", "fonts-noto-cjk", 0x7EE7},          /* 继 承 */
        {"emoji", "\xf0\x9f\x94\xa5", "\xf0\x9f\x98\x80", "fonts-noto-color-emoji", 0x1F525},
    };
    struct canvas *c = canvas_new(NULL);
    int checked = 0;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (!installed(pairs[i].probe, pairs[i].package))
            continue;
        if (same_picture(c, pairs[i].a, pairs[i].b))
            fail_msg("%s: \"%s\" and \"%s\" are drawn the same: tofu", pairs[i].lang, pairs[i].a,
                     pairs[i].b);
        checked++;
    }
    canvas_free(c);
    if (!checked)
        skip();
}

/* --font with a Thai-only face: Thai from it, and the Latin logo from the fallback. */
static void test_latin_with_a_thai_font(void **state)
{
    (void)state;
    const char *thai = "/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf";
    FILE *f = fopen(thai, "rb");
    if (!f) {
        fprintf(stderr, "skipped: %s missing; install fonts-noto-core\n", thai);
        skip();
    }
    fclose(f);
    struct canvas *c = canvas_new(thai);
    assert_false(same_picture(c, "b", "g"));
    assert_false(same_picture(c, "\xe0\xb8\x97", "\xe0\xb8\x84"));
    canvas_free(c);
}

/* A Thai synopsis wrapped narrow: every line ends where libthai's dictionary puts a word
 * boundary, nothing is lost. */
static void test_thai_wraps_at_words(void **state)
{
    (void)state;
    if (!installed(0x0E17, "fonts-noto-core"))
        skip();
    /* สาวเสิร์ฟรู้ความจริงตอนเที่ยงคืนว่าเธอคือทายาทที่หายสาบสูญ */
    const char *syn = "\xe0\xb8\xaa\xe0\xb8\xb2\xe0\xb8\xa7\xe0\xb9\x80\xe0\xb8\xaa\xe0\xb8\xb4"
                      "\xe0\xb8\xa3\xe0\xb9\x8c\xe0\xb8\x9f\xe0\xb8\xa3\xe0\xb8\xb9\xe0\xb9\x89"
                      "\xe0\xb8\x84\xe0\xb8\xa7\xe0\xb8\xb2\xe0\xb8\xa1\xe0\xb8\x88\xe0\xb8\xa3"
                      "\xe0\xb8\xb4\xe0\xb8\x87\xe0\xb8\x95\xe0\xb8\xad\xe0\xb8\x99"
                      "\xe0\xb9\x80\xe0\xb8\x97\xe0\xb8\xb5\xe0\xb9\x88\xe0\xb8\xa2\xe0\xb8\x87"
                      "\xe0\xb8\x84\xe0\xb8\xb7\xe0\xb8\x99\xe0\xb8\xa7\xe0\xb9\x88\xe0\xb8\xb2"
                      "\xe0\xb9\x80\xe0\xb8\x98\xe0\xb8\xad\xe0\xb8\x84\xe0\xb8\xb7\xe0\xb8\xad"
                      "\xe0\xb8\x97\xe0\xb8\xb2\xe0\xb8\xa2\xe0\xb8\xb2\xe0\xb8\x97"
                      "\xe0\xb8\x97\xe0\xb8\xb5\xe0\xb9\x88\xe0\xb8\xab\xe0\xb8\xb2\xe0\xb8\xa2"
                      "\xe0\xb8\xaa\xe0\xb8\xb2\xe0\xb8\x9a\xe0\xb8\xaa\xe0\xb8\xb9\xe0\xb8\x8d";
    /* The dictionary's word boundaries, as byte offsets (each Thai character is 3 bytes). */
    wchar_t ws[128];
    size_t nc = 0;
    for (const unsigned char *p = (const unsigned char *)syn; *p; p += 3)
        ws[nc++] = (wchar_t)(((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F));
    ws[nc] = 0;
    int pos[128];
    int np = th_brk_wc_find_breaks(NULL, (const thwchar_t *)ws, pos, 128);
    assert_true(np > 5);
    bool word_end[512] = {false};
    for (int i = 0; i < np; i++)
        word_end[pos[i] * 3] = true;

    struct canvas *c = canvas_new(NULL);
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    bool complete = false;
    int nl = text_wrap(c->ui, syn, 32, 230, lines, TEXT_MAX_LINES, &complete);
    assert_true(complete);
    assert_true(nl >= 3);
    size_t at = 0;
    for (int i = 0; i < nl; i++) {
        int w = 0, h = 0;
        assert_int_equal(text_measure(c->ui, lines[i], 32, &w, &h), 0);
        assert_true(w <= 230);
        assert_memory_equal(syn + at, lines[i], strlen(lines[i]));
        at += strlen(lines[i]);
        if (i < nl - 1 && !word_end[at])
            fail_msg("line %d ends inside a word (byte %zu): %s", i, at, lines[i]);
    }
    assert_int_equal(at, strlen(syn));
    canvas_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts_are_not_tofu),
        cmocka_unit_test(test_latin_with_a_thai_font),
        cmocka_unit_test(test_thai_wraps_at_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
