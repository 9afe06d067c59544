/* The text engine (src/ui/text*.c) with the fonts installed from Debian's packages: script
 * runs, bidi order, font fallback, no missing glyph in Thai, Arabic, Hebrew, Devanagari, Japanese,
 * Korean and Chinese, measures equal to what is drawn, Thai and CJK line breaks. A case whose
 * font is not installed is skipped, saying which package it needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_ttf.h>
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/ui/text_internal.h"
#include "../../src/ui/ui_internal.h"

struct canvas {
    SDL_Surface *surface;
    SDL_Renderer *renderer;
    struct ui ui;
};

static int setup(void **state)
{
    struct canvas *c = calloc(1, sizeof(*c));
    char err[256];
    if (!c)
        return -1;
    c->surface = SDL_CreateRGBSurfaceWithFormat(0, 1280, 720, 32, SDL_PIXELFORMAT_RGB888);
    c->renderer = c->surface ? SDL_CreateSoftwareRenderer(c->surface) : NULL;
    c->ui.renderer = c->renderer;
    c->ui.text = c->renderer ? text_new(NULL, err, sizeof(err)) : NULL;
    if (!c->ui.text) {
        fprintf(stderr, "no text engine: %s\n", c->renderer ? err : SDL_GetError());
        return -1;
    }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct canvas *c = *state;
    text_free(c->ui.text);
    SDL_DestroyRenderer(c->renderer);
    SDL_FreeSurface(c->surface);
    free(c);
    return 0;
}

static struct text_fonts *fonts(struct canvas *c)
{
    return text_fonts_of(c->ui.text);
}

/* Whether an installed face (other than by accident the primary) covers cp: the reason to skip
 * is printed once per case. */
static bool have_font_for(struct canvas *c, uint32_t cp, const char *package)
{
    if (text_face_has(text_fonts_primary(fonts(c)), cp) || text_fonts_for_char(fonts(c), cp))
        return true;
    fprintf(stderr, "skipped: no font covers U+%04X; install %s\n", (unsigned)cp, package);
    return false;
}

/* The runs of s, in visual order, as "text|text|...". */
static void visual(struct canvas *c, const char *s, char *out, size_t len, struct text_layout *l)
{
    assert_int_equal(text_layout(fonts(c), s, 32, TEXT_BASE_AUTO_LTR, l), 0);
    out[0] = '\0';
    for (int i = 0; i < l->n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%.*s", i ? "|" : "", (int)l->runs[i].len,
                 s + l->runs[i].start);
    }
}

static void test_script_runs(void **state)
{
    (void)state;
    /* "Ep. 1: ทายาท (الحلقة) 東京の恋" with Common characters between the scripts. */
    const char *s = "Ep. 1: \xe0\xb8\x97\xe0\xb8\xb2\xe0\xb8\xa2\xe0\xb8\xb2\xe0\xb8\x97 "
                    "(\xd8\xa7\xd9\x84\xd8\xad\xd9\x84\xd9\x82\xd8\xa9) "
                    "\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xae\xe6\x81\x8b";
    uint32_t cps[128], scripts[128];
    size_t offs[129];
    size_t n = text_utf8_decode(s, cps, offs);
    assert_int_equal(n, 7 + 5 + 1 + 8 + 1 + 4);
    text_scripts(cps, n, scripts);
    /* "Ep. 1: " is Latin: the Common digits and punctuation join the run around them. */
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(scripts[i], HB_SCRIPT_LATIN);
    for (size_t i = 7; i < 12; i++)
        assert_int_equal(scripts[i], HB_SCRIPT_THAI);
    assert_int_equal(scripts[12], HB_SCRIPT_THAI); /* the space after Thai stays Thai */
    assert_int_equal(scripts[13], HB_SCRIPT_THAI); /* "(" too */
    for (size_t i = 14; i < 20; i++)
        assert_int_equal(scripts[i], HB_SCRIPT_ARABIC);
    assert_int_equal(scripts[20], HB_SCRIPT_ARABIC); /* ")" */
    assert_int_equal(scripts[22], HB_SCRIPT_HAN);
    assert_int_equal(scripts[24], HB_SCRIPT_HIRAGANA);
    assert_int_equal(scripts[25], HB_SCRIPT_HAN);

    /* Leading Common characters take the first real script after them. */
    const char *lead = "12 \xd8\xa7\xd9\x84";
    n = text_utf8_decode(lead, cps, offs);
    text_scripts(cps, n, scripts);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(scripts[i], HB_SCRIPT_ARABIC);

    /* Invalid UTF-8 becomes U+FFFD, one per bad byte, and nothing is read past the end. */
    n = text_utf8_decode("a\xff\xc3", cps, offs);
    assert_int_equal(n, 3);
    assert_int_equal(cps[1], 0xFFFD);
    assert_int_equal(cps[2], 0xFFFD);
    assert_int_equal(offs[3], 3);
}

#define AR_EPISODE "\xd8\xa7\xd9\x84\xd8\xad\xd9\x84\xd9\x82\xd8\xa9" /* الحلقة */
#define AR_HELLO "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"           /* مرحبا */

static void test_bidi_order(void **state)
{
    struct canvas *c = *state;
    if (!have_font_for(c, 0x0627, "fonts-noto-core"))
        skip();
    struct text_layout l;
    char v[512];

    /* An Arabic paragraph (its first strong character): right to left, the number and the
     * Latin word inside it stay left to right, and read right to left the order is the
     * logical one: الحلقة, 12, CEO. */
    visual(c, AR_EPISODE " 12 CEO", v, sizeof(v), &l);
    assert_true(l.rtl);
    assert_string_equal(v, "CEO| |12|" AR_EPISODE " ");
    assert_true(l.runs[0].level % 2 == 0); /* CEO: LTR */
    assert_true(l.runs[2].level % 2 == 0); /* 12: LTR */
    assert_true(l.runs[3].level % 2 == 1); /* Arabic: RTL */

    /* A Latin paragraph with Arabic inside: left to right, the Arabic run in place. */
    visual(c, "Episode 3: " AR_EPISODE " " AR_HELLO "!", v, sizeof(v), &l);
    assert_false(l.rtl);
    assert_string_equal(v, "Episode 3: |" AR_EPISODE " " AR_HELLO "|!");

    /* Two Arabic words and a number: the words swap sides, the number stays LTR. */
    visual(c, AR_HELLO " 2026 " AR_EPISODE, v, sizeof(v), &l);
    assert_true(l.rtl);
    /* the spaces between them take the paragraph's direction and stay with the words */
    assert_string_equal(v, " " AR_EPISODE "|2026|" AR_HELLO " ");

    /* Neutral only: LTR in an LTR UI, RTL in an RTL one; a Latin paragraph stays LTR. */
    visual(c, "12:30", v, sizeof(v), &l);
    assert_false(l.rtl);
    assert_int_equal(text_layout(fonts(c), "12:30", 32, TEXT_BASE_AUTO_RTL, &l), 0);
    assert_true(l.rtl);
    assert_int_equal(text_layout(fonts(c), "Next up", 32, TEXT_BASE_AUTO_RTL, &l), 0);
    assert_false(l.rtl);
    assert_int_equal(text_layout(fonts(c), AR_EPISODE, 32, TEXT_BASE_AUTO_RTL, &l), 0);
    assert_true(l.rtl);
    /* A translated UI string that starts with a key name: right to left in an RTL UI, so OK
     * sits at the right, read first; in an LTR UI the first strong character (O) decides. */
    assert_int_equal(text_layout(fonts(c), "OK " AR_EPISODE, 32, TEXT_BASE_AUTO_RTL, &l), 0);
    assert_true(l.rtl);
    char rv[256] = "";
    for (int i = 0; i < l.n; i++) {
        size_t used = strlen(rv);
        snprintf(rv + used, sizeof(rv) - used, "%s%.*s", i ? "|" : "", (int)l.runs[i].len,
                 "OK " AR_EPISODE + l.runs[i].start);
    }
    assert_string_equal(rv, AR_EPISODE "| |OK");
    visual(c, "OK " AR_EPISODE, v, sizeof(v), &l);
    assert_false(l.rtl);
    assert_string_equal(v, "OK |" AR_EPISODE);
    /* ... and text_set_rtl switches what text_measure and text_draw use. */
    text_set_rtl(&c->ui, true);
    int w1 = 0, h1 = 0;
    assert_int_equal(text_measure(&c->ui, "12:30", 32, &w1, &h1), 0);
    text_set_rtl(&c->ui, false);
    assert_true(w1 > 0);
}

/* Byte offsets where text_breaks allows a line to start, as "3,9,..." */
static void breaks_of(const char *s, char *out, size_t len)
{
    size_t n = strlen(s);
    unsigned char brk[1024];
    assert_true(n < sizeof(brk));
    text_breaks(s, n, brk);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (brk[i] != TEXT_BRK_NO) {
            size_t used = strlen(out);
            snprintf(out + used, len - used, "%s%zu", used ? "," : "", i);
        }
}

#define TH_HEIR "\xe0\xb8\x97\xe0\xb8\xb2\xe0\xb8\xa2\xe0\xb8\xb2\xe0\xb8\x97" /* ทายาท */
#define TH_MIDNIGHT                                                                                \
    "\xe0\xb9\x80\xe0\xb8\x97\xe0\xb8\xb5\xe0\xb9\x88\xe0\xb8\xa2\xe0\xb8\x87" /* เที่ยง */
#define TH_NIGHT "\xe0\xb8\x84\xe0\xb8\xb7\xe0\xb8\x99"                        /* คืน */

static void test_thai_breaks(void **state)
{
    struct canvas *c = *state;
    char b[256];
    /* ทายาท|เที่ยงคืน (heir, midnight): the dictionary's words, never inside one. */
    breaks_of(TH_HEIR TH_MIDNIGHT TH_NIGHT, b, sizeof(b));
    assert_string_equal(b, "15");
    /* แค้น|รัก|ประธาน|สาว: a mark (the tone mark on แค้) stays on its base. */
    breaks_of("\xe0\xb9\x81\xe0\xb8\x84\xe0\xb9\x89\xe0\xb8\x99\xe0\xb8\xa3\xe0\xb8\xb1"
              "\xe0\xb8\x81\xe0\xb8\x9b\xe0\xb8\xa3\xe0\xb8\xb0\xe0\xb8\x98\xe0\xb8\xb2"
              "\xe0\xb8\x99\xe0\xb8\xaa\xe0\xb8\xb2\xe0\xb8\xa7",
              b, sizeof(b));
    assert_string_equal(b, "12,21,39");
    /* Thai after Latin and a space: the space's break, then the words. */
    breaks_of("EP 1 " TH_HEIR TH_NIGHT, b, sizeof(b));
    assert_string_equal(b, "3,5,20");

    /* Wrapped narrow, a Thai synopsis breaks only where a word ends. */
    if (!have_font_for(c, 0x0E17, "fonts-noto-core"))
        skip();
    const char *syn = "\xe0\xb8\xaa\xe0\xb8\xb2\xe0\xb8\xa7\xe0\xb9\x80\xe0\xb8\xaa\xe0\xb8\xb4"
                      "\xe0\xb8\xa3\xe0\xb9\x8c\xe0\xb8\x9f\xe0\xb8\xa3\xe0\xb8\xb9\xe0\xb9\x89"
                      "\xe0\xb8\x84\xe0\xb8\xa7\xe0\xb8\xb2\xe0\xb8\xa1\xe0\xb8\x88\xe0\xb8\xa3"
                      "\xe0\xb8\xb4\xe0\xb8\x87\xe0\xb8\x95\xe0\xb8\xad\xe0\xb8\x99"
                      "\xe0\xb9\x80\xe0\xb8\x97\xe0\xb8\xb5\xe0\xb9\x88\xe0\xb8\xa2\xe0\xb8\x87"
                      "\xe0\xb8\x84\xe0\xb8\xb7\xe0\xb8\x99\xe0\xb8\xa7\xe0\xb9\x88\xe0\xb8\xb2"
                      "\xe0\xb9\x80\xe0\xb8\x98\xe0\xb8\xad\xe0\xb8\x84\xe0\xb8\xb7\xe0\xb8\xad"
                      "\xe0\xb8\x97\xe0\xb8\xb2\xe0\xb8\xa2\xe0\xb8\xb2\xe0\xb8\x97";
    size_t len = strlen(syn);
    unsigned char brk[1024];
    text_breaks(syn, len, brk);
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    bool complete = false;
    int n = text_wrap(&c->ui, syn, 32, 220, lines, TEXT_MAX_LINES, &complete);
    assert_true(complete);
    assert_true(n >= 3);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        int w = 0, h = 0;
        assert_int_equal(text_measure(&c->ui, lines[i], 32, &w, &h), 0);
        assert_true(w <= 220);
        assert_memory_equal(syn + at, lines[i], strlen(lines[i]));
        at += strlen(lines[i]);
        if (i < n - 1 && brk[at] == TEXT_BRK_NO)
            fail_msg("line %d ends inside a word, at byte %zu: %s", i, at, lines[i]);
    }
    assert_int_equal(at, len);
}

#define JA_TOKYO "\xe6\x9d\xb1\xe4\xba\xac" /* 東京 */
#define JA_NO "\xe3\x81\xae"                /* の */
#define JA_LOVE "\xe6\x81\x8b"              /* 恋 */
#define JA_STOP "\xe3\x80\x82"              /* 。 */

static void test_cjk_breaks(void **state)
{
    struct canvas *c = *state;
    char b[256];
    /* 東|京|の|恋。: between ideographs and kana, never before the full stop. */
    breaks_of(JA_TOKYO JA_NO JA_LOVE JA_STOP, b, sizeof(b));
    assert_string_equal(b, "3,6,9");
    /* Latin words inside keep their letters together. */
    breaks_of(JA_TOKYO "CEO" JA_LOVE, b, sizeof(b));
    assert_string_equal(b, "3,6,9");

    /* Korean keeps its words whole: 알게 되고, breaks at the space only. */
    breaks_of("\xec\x95\x8c\xea\xb2\x8c \xeb\x90\x98\xea\xb3\xa0,", b, sizeof(b));
    assert_string_equal(b, "7");

    if (!have_font_for(c, 0x6771, "fonts-noto-cjk"))
        skip();
    /* 霸道总裁爱上我，她是失散多年的继承人。 wrapped narrow: several lines, nothing lost, no line
     * starts with the comma or the full stop. */
    const char *zh = "\xe9\x9c\xb8\xe9\x81\x93\xe6\x80\xbb\xe8\xa3\x81\xe7\x88\xb1\xe4\xb8\x8a"
                     "\xe6\x88\x91\xef\xbc\x8c\xe5\xa5\xb9\xe6\x98\xaf\xe5\xa4\xb1\xe6\x95\xa3"
                     "\xe5\xa4\x9a\xe5\xb9\xb4\xe7\x9a\x84\xe7\xbb\xa7\xe6\x89\xbf\xe4\xba\xba"
                     "\xe3\x80\x82";
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    bool complete = false;
    int n = text_wrap(&c->ui, zh, 32, 200, lines, TEXT_MAX_LINES, &complete);
    assert_true(complete);
    assert_true(n >= 3);
    char joined[1024] = "";
    for (int i = 0; i < n; i++) {
        int w = 0, h = 0;
        assert_int_equal(text_measure(&c->ui, lines[i], 32, &w, &h), 0);
        assert_true(w <= 200);
        if (i < n - 1 && w <= 200 - 2 * 40)
            fail_msg("line %d is %d px wide: two ideographs more would have fit", i, w);
        assert_true(strncmp(lines[i], "\xef\xbc\x8c", 3) != 0);
        assert_true(strncmp(lines[i], JA_STOP, 3) != 0);
        strcat(joined, lines[i]);
    }
    assert_string_equal(joined, zh);
}

/* An ellipsis cut never takes a mark off its base: แค้น (the tone mark U+0E49 on ค), a
 * Devanagari vowel sign, an emoji after a zero-width joiner. */
static void test_cut_points(void **state)
{
    (void)state;
    size_t cuts[64];
    /* แ ค ้ น: cuts before ค and before น, not before the tone mark. */
    const char *th = "\xe0\xb9\x81\xe0\xb8\x84\xe0\xb9\x89\xe0\xb8\x99";
    size_t n = text_cut_points(th, strlen(th), cuts);
    assert_int_equal(n, 2);
    assert_int_equal(cuts[0], 3);
    assert_int_equal(cuts[1], 9);
    /* न म स ् त े: the virama and the vowel sign stay on their consonants. */
    const char *hi = "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87";
    n = text_cut_points(hi, strlen(hi), cuts);
    assert_int_equal(n, 3);
    assert_int_equal(cuts[0], 3);
    assert_int_equal(cuts[1], 6);
    assert_int_equal(cuts[2], 12);
    /* 👩 ZWJ 🚒: no cut after the joiner. */
    const char *zwj = "a\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x9a\x92";
    n = text_cut_points(zwj, strlen(zwj), cuts);
    assert_int_equal(n, 1);
    assert_int_equal(cuts[0], 1);
    /* Malformed UTF-8 from a server (an overlong NUL, stray continuation bytes): each byte that
     * decodes to U+FFFD is a cut of its own, and nothing is written past the decoder's arrays
     * (ASan caught a stack overflow here). */
    const char *bad = "x\xc0\x80\x80\x80y\xe9\x80\x80";
    n = text_cut_points(bad, strlen(bad), cuts);
    assert_true(n >= 2);
    assert_int_equal(cuts[0], 1);
}

/* One string per script the issue names, and the Debian package with its font. */
static const struct {
    const char *lang, *s, *package;
    uint32_t probe;
} scripts[] = {
    {"th",
     "\xe0\xb9\x81\xe0\xb8\x84\xe0\xb9\x89\xe0\xb8\x99\xe0\xb8\xa3\xe0\xb8\xb1\xe0\xb8\x81"
     "\xe0\xb8\x9b\xe0\xb8\xa3\xe0\xb8\xb0\xe0\xb8\x98\xe0\xb8\xb2\xe0\xb8\x99\xe0\xb8\xaa"
     "\xe0\xb8\xb2\xe0\xb8\xa7 EP 12",
     "fonts-noto-core", 0x0E41},
    {"ar",
     "\xd9\x88\xd8\xb1\xd9\x8a\xd8\xab\xd8\xa9 \xd9\x85\xd9\x86\xd8\xaa\xd8\xb5\xd9\x81 "
     "\xd8\xa7\xd9\x84\xd9\x84\xd9\x8a\xd9\x84 12",
     "fonts-noto-core", 0x0648},
    {"he", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d", "fonts-noto-core",
     0x05E9},
    {"hi", "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87",
     "fonts-noto-core", 0x0928},
    {"ja",
     "\xe7\xa7\x98\xe5\xaf\x86\xe3\x81\xae\xe5\xae\xae\xe6\xae\xbf\xe3\x83\x89\xe3\x83\xa9"
     "\xe3\x83\x9e",
     "fonts-noto-cjk", 0x3042},
    {"ko", "\xec\x9e\x90\xec\xa0\x95\xec\x9d\x98 \xec\x83\x81\xec\x86\x8d\xeb\x85\x80",
     "fonts-noto-cjk", 0xC790},
    {"zh-Hans", "\xe5\x8d\x88\xe5\xa4\x9c\xe7\xbb\xa7\xe6\x89\xbf\xe4\xba\xba", "fonts-noto-cjk",
     0x7EE7},
    {"zh-Hant", "\xe5\x8d\x88\xe5\xa4\x9c\xe7\xb9\xbc\xe6\x89\xbf\xe4\xba\xba", "fonts-noto-cjk",
     0x7E7C},
    {"emoji", "Love \xe2\x9d\xa4 \xf0\x9f\x94\xa5", "fonts-noto-color-emoji or fonts-symbola",
     0x1F525},
};

static void test_fallback_chain(void **state)
{
    struct canvas *c = *state;
    struct text_face *primary = text_fonts_primary(fonts(c));
    if (text_face_has(primary, 0x0E17)) {
        fprintf(stderr, "skipped: the primary font %s has Thai itself\n", text_face_file(primary));
        skip();
    }
    if (!have_font_for(c, 0x0E17, "fonts-noto-core"))
        skip();
    struct text_layout l;
    const char *s = "binge " TH_HEIR " 12";
    assert_int_equal(text_layout(fonts(c), s, 40, TEXT_BASE_AUTO_LTR, &l), 0);
    assert_true(l.n >= 2);
    /* Latin stays in the primary face (the logo does not change font)... */
    assert_ptr_equal(l.runs[0].face, primary);
    assert_int_equal(l.runs[0].script, HB_SCRIPT_LATIN);
    /* ... the Thai run gets a face with every Thai glyph (the space and digits after it stay
     * in it if it has them, else go back to the primary face). */
    struct text_face *thai = l.runs[1].face;
    assert_ptr_not_equal(thai, primary);
    assert_int_equal(l.runs[1].script, HB_SCRIPT_THAI);
    uint32_t cps[32];
    size_t offs[33];
    size_t n = text_utf8_decode(TH_HEIR, cps, offs);
    for (size_t i = 0; i < n; i++)
        assert_true(text_face_has(thai, cps[i]));
    for (int i = 2; i < l.n; i++)
        assert_true(l.runs[i].face == thai || l.runs[i].face == primary);
    /* The same face again, from the cache, for another Thai string. */
    assert_int_equal(text_layout(fonts(c), TH_NIGHT, 26, TEXT_BASE_AUTO_LTR, &l), 0);
    assert_ptr_equal(l.runs[0].face, thai);
    /* The line height now fits the Thai face's ascent and descent at that size. */
    TTF_Font *tf = text_face_at(thai, 26);
    assert_non_null(tf);
    assert_true(text_line_height(&c->ui, 26) >= TTF_FontAscent(tf) - TTF_FontDescent(tf));
    /* A Japanese string's Han characters get the same face as its kana. */
    if (!have_font_for(c, 0x3042, "fonts-noto-cjk"))
        return;
    assert_int_equal(text_layout(fonts(c), JA_TOKYO JA_NO JA_LOVE, 26, TEXT_BASE_AUTO_LTR, &l), 0);
    for (int i = 1; i < l.n; i++)
        assert_ptr_equal(l.runs[i].face, l.runs[0].face);
}

/* Every character of every script string is drawn by a face that has its glyph. */
static void test_no_tofu(void **state)
{
    struct canvas *c = *state;
    int checked = 0;
    for (size_t k = 0; k < sizeof(scripts) / sizeof(scripts[0]); k++) {
        if (!have_font_for(c, scripts[k].probe, scripts[k].package))
            continue;
        struct text_layout l;
        assert_int_equal(text_layout(fonts(c), scripts[k].s, 40, TEXT_BASE_AUTO_LTR, &l), 0);
        for (int r = 0; r < l.n; r++) {
            char run[512];
            snprintf(run, sizeof(run), "%.*s", (int)l.runs[r].len, scripts[k].s + l.runs[r].start);
            uint32_t cps[512];
            size_t offs[513];
            size_t n = text_utf8_decode(run, cps, offs);
            TTF_Font *font = text_face_at(l.runs[r].face, 40);
            assert_non_null(font);
            for (size_t i = 0; i < n; i++)
                if (!TTF_GlyphIsProvided32(font, cps[i]))
                    fail_msg("%s: U+%04X drawn with %s, which has no glyph for it", scripts[k].lang,
                             (unsigned)cps[i], text_face_file(l.runs[r].face));
        }
        /* ... and it draws something as wide as measured. */
        int w = 0, h = 0;
        assert_int_equal(text_measure(&c->ui, scripts[k].s, 40, &w, &h), 0);
        assert_true(w > 0);
        checked++;
    }
    if (checked == 0)
        skip();
}

static void test_measure_is_drawn_width(void **state)
{
    struct canvas *c = *state;
    SDL_Color white = {255, 255, 255, 255};
    const char *plain[] = {"binge", "Episode 12 is locked", "A"};
    for (size_t k = 0; k < sizeof(plain) / sizeof(plain[0]) + sizeof(scripts) / sizeof(scripts[0]);
         k++) {
        const char *s = k < 3 ? plain[k] : scripts[k - 3].s;
        for (int size = 24; size <= 60; size += 18) {
            int w = 0, h = 0;
            assert_int_equal(text_measure(&c->ui, s, size, &w, &h), 0);
            SDL_Surface *surf = text_render_surface(c->ui.text, s, size, white);
            assert_non_null(surf);
            if (surf->w != w || surf->h != h)
                fail_msg("\"%s\" at %d: measured %dx%d, drawn %dx%d", s, size, w, h, surf->w,
                         surf->h);
            SDL_FreeSurface(surf);
            assert_int_equal(text_draw(&c->ui, s, size, white, 0, 0, TEXT_LEFT, 0), w);
        }
    }
    /* A single-line field ends in an ellipsis inside max_w. */
    int w = text_draw(&c->ui, scripts[0].s, 40, white, 0, 0, TEXT_LEFT, 120);
    assert_true(w > 0 && w <= 120);
}

static long ink(SDL_Surface *s)
{
    SDL_Surface *argb = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    assert_non_null(argb);
    long n = 0;
    for (int y = 0; y < argb->h; y++)
        for (int x = 0; x < argb->w; x++)
            if (((const Uint32 *)((const Uint8 *)argb->pixels + (size_t)y * argb->pitch))[x] >> 24)
                n++;
    SDL_FreeSurface(argb);
    return n;
}

/* Glyphs reaching past their face's descent (the dots below DejaVu's Arabic letters) or ascent
 * are drawn whole: the line holds every pixel SDL_ttf draws for the run. */
static void test_nothing_clipped(void **state)
{
    struct canvas *c = *state;
    if (!have_font_for(c, 0x0627, "fonts-noto-core"))
        skip();
    const char *lines[] = {
        /* تكتشف نادلة عند منتصف الليل أنها الوريثة المفقودة لإمبراطورية شحن، */
        "\xd8\xaa\xd9\x83\xd8\xaa\xd8\xb4\xd9\x81 \xd9\x86\xd8\xa7\xd8\xaf\xd9\x84\xd8\xa9 "
        "\xd8\xb9\xd9\x86\xd8\xaf \xd9\x85\xd9\x86\xd8\xaa\xd8\xb5\xd9\x81 \xd8\xa7\xd9\x84"
        "\xd9\x84\xd9\x8a\xd9\x84 \xd8\xa3\xd9\x86\xd9\x87\xd8\xa7 \xd8\xa7\xd9\x84\xd9\x88"
        "\xd8\xb1\xd9\x8a\xd8\xab\xd8\xa9 \xd8\xa7\xd9\x84\xd9\x85\xd9\x81\xd9\x82\xd9\x88"
        "\xd8\xaf\xd8\xa9 \xd9\x84\xd8\xa5\xd9\x85\xd8\xa8\xd8\xb1\xd8\xa7\xd8\xb7\xd9\x88"
        "\xd8\xb1\xd9\x8a\xd8\xa9 \xd8\xb4\xd8\xad\xd9\x86\xd8\x8c",
        scripts[0].s, /* Thai: marks above */
        scripts[3].s, /* Devanagari */
    };
    SDL_Color white = {255, 255, 255, 255};
    for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
        for (int size = 28; size <= 56; size += 28) {
            struct text_layout l;
            assert_int_equal(text_layout(fonts(c), lines[k], size, TEXT_BASE_AUTO_LTR, &l), 0);
            long want = 0;
            for (int r = 0; r < l.n; r++) {
                char run[512];
                snprintf(run, sizeof(run), "%.*s", (int)l.runs[r].len, lines[k] + l.runs[r].start);
                TTF_Font *font = text_face_at(l.runs[r].face, size);
                char tag[5];
                hb_tag_to_string(hb_script_to_iso15924_tag((hb_script_t)l.runs[r].script), tag);
                tag[4] = '\0';
                TTF_SetFontDirection(font,
                                     (l.runs[r].level & 1) ? TTF_DIRECTION_RTL : TTF_DIRECTION_LTR);
                TTF_SetFontScriptName(font, tag);
                SDL_Surface *alone = TTF_RenderUTF8_Blended(font, run, white);
                assert_non_null(alone);
                want += ink(alone);
                SDL_FreeSurface(alone);
            }
            SDL_Surface *line = text_render_surface(c->ui.text, lines[k], size, white);
            assert_non_null(line);
            long got = ink(line);
            SDL_FreeSurface(line);
            /* Runs side by side may share a column of faint pixels, never more. */
            if (got < want - 2 * l.n * size)
                fail_msg("line %zu at %d px: %ld of SDL_ttf's %ld inked pixels drawn", k, size, got,
                         want);
        }
    }
}

/* The lowest inked row of surf between columns x0 and x1. */
static int ink_bottom(SDL_Surface *surf, int x0, int x1)
{
    SDL_Surface *argb = SDL_ConvertSurfaceFormat(surf, SDL_PIXELFORMAT_ARGB8888, 0);
    assert_non_null(argb);
    int bottom = -1;
    for (int y = 0; y < argb->h; y++)
        for (int x = x0; x < x1 && x < argb->w; x++)
            if ((((const Uint32 *)((const Uint8 *)argb->pixels + (size_t)y * argb->pitch))[x] >>
                 24) > 128)
                bottom = y;
    SDL_FreeSurface(argb);
    return bottom;
}

/* Runs of different faces share one baseline, also when SDL_ttf grew a run's surface on top
 * for marks stacked above (Thai ที่: a tone mark over a vowel over the consonant). */
static void test_one_baseline(void **state)
{
    struct canvas *c = *state;
    if (!have_font_for(c, 0x0E17, "fonts-noto-core"))
        skip();
    SDL_Color white = {255, 255, 255, 255};
    /* xx ที่ที่น้ำ xx: Latin, Thai, Latin; neither x nor ท/น reach below the baseline. */
    const char *s = "xx \xe0\xb8\x97\xe0\xb8\xb5\xe0\xb9\x88\xe0\xb8\x97\xe0\xb8\xb5"
                    "\xe0\xb9\x88\xe0\xb8\x99\xe0\xb9\x89\xe0\xb8\xb3 xx";
    for (int size = 26; size <= 60; size += 17) {
        struct text_layout l;
        assert_int_equal(text_layout(fonts(c), s, size, TEXT_BASE_AUTO_LTR, &l), 0);
        assert_int_equal(l.n, 3);
        SDL_Surface *surf = text_render_surface(c->ui.text, s, size, white);
        assert_non_null(surf);
        int x = 0, bottoms[3];
        for (int r = 0; r < 3; r++) {
            bottoms[r] = ink_bottom(surf, x + 1, x + l.runs[r].w - 1);
            x += l.runs[r].w;
        }
        SDL_FreeSurface(surf);
        if (abs(bottoms[1] - bottoms[0]) > 1 || abs(bottoms[2] - bottoms[0]) > 1)
            fail_msg("at %d px the runs sit on rows %d, %d, %d", size, bottoms[0], bottoms[1],
                     bottoms[2]);
    }
}

/* What home draws each frame (a title, an ellipsized card title, a wrapped Thai synopsis, a
 * measured chip): the second frame lays out and shapes nothing. */
static void test_unchanged_frame_shapes_nothing(void **state)
{
    struct canvas *c = *state;
    SDL_Color white = {255, 255, 255, 255};
    const char *syn = scripts[0].s;
    for (int frame = 0; frame < 2; frame++) {
        unsigned long before = *text_fonts_layouts(fonts(c));
        int w, h;
        text_draw(&c->ui, "binge", 60, white, 0, 0, TEXT_LEFT, 0);
        text_draw(&c->ui, scripts[1].s, 26, white, 0, 0, TEXT_LEFT, 90);
        text_draw_wrapped(&c->ui, syn, 30, white, 0, 0, 150, 2);
        assert_int_equal(text_measure(&c->ui, scripts[4].s, 26, &w, &h), 0);
        unsigned long shaped = *text_fonts_layouts(fonts(c)) - before;
        if (frame == 0)
            assert_true(shaped > 0);
        else
            assert_int_equal(shaped, 0);
    }
}

/* A character no installed font has: the primary face's missing-glyph box, logged once. */
static void test_missing_logged_once(void **state)
{
    struct canvas *c = *state;
    const char *pua = "x \xf3\xb0\x80\x80 y"; /* U+F0000, private use */
    fflush(stderr);
    char path[] = "/tmp/test_text_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    struct text_layout l;
    for (int i = 0; i < 5; i++) {
        int rc = text_layout(fonts(c), pua, 30 + i, TEXT_BASE_AUTO_LTR, &l);
        if (rc != 0)
            break;
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[4096] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t got = fread(buf, 1, sizeof(buf) - 1, f);
    buf[got] = '\0';
    fclose(f);
    close(fd);
    unlink(path);
    int count = 0;
    for (const char *p = buf; (p = strstr(p, "no installed font covers")) != NULL; p++)
        count++;
    assert_int_equal(count, 1);
    assert_int_equal(l.n, 1); /* drawn in the primary face, with its .notdef */
    assert_ptr_equal(l.runs[0].face, text_fonts_primary(fonts(c)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_runs),
        cmocka_unit_test(test_bidi_order),
        cmocka_unit_test(test_thai_breaks),
        cmocka_unit_test(test_cjk_breaks),
        cmocka_unit_test(test_cut_points),
        cmocka_unit_test(test_fallback_chain),
        cmocka_unit_test(test_no_tofu),
        cmocka_unit_test(test_measure_is_drawn_width),
        cmocka_unit_test(test_nothing_clipped),
        cmocka_unit_test(test_one_baseline),
        cmocka_unit_test(test_unchanged_frame_shapes_nothing),
        cmocka_unit_test(test_missing_logged_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
