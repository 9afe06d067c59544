#include <SDL_ttf.h>
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/error.h"
#include "binge/log.h"
#include "text_internal.h"
#include "ui_internal.h"

LOG_MODULE("ui");

/* The text engine's front: the API the views use (ui_internal.h). Each string is laid out by
 * text_layout.c (script runs, bidi, font fallback, HarfBuzz shaping through SDL_ttf) and
 * rendered once: rendered strings are kept as textures in a small LRU cache, and measures and
 * ellipsis cuts in a memo, so a frame with unchanged text shapes nothing. UI thread only. */
#define TEXT_CACHE_SIZE 192
#define TEXT_MEMO_SIZE 1024 /* direct-mapped by hash */

struct text_entry {
    char *s;
    int size;
    Uint32 rgba;
    SDL_Texture *tex;
    int w, h;
    uint64_t used;
};

/* A measure (max_w < 0) or an ellipsis cut (max_w >= 0: the bytes kept) of s at size. */
struct text_memo {
    char *s;
    uint32_t hash;
    int size, max_w;
    int w, h;
};

/* A text_wrap answer, kept while its text is drawn: the lines NUL-separated in one buffer. */
#define TEXT_WRAP_CACHE 48
struct text_wrapped {
    char *s;
    int size, max_w, max_lines;
    int n;
    bool complete;
    char *lines;
    uint64_t used;
};

struct text {
    struct text_fonts *fonts;
    struct text_wrapped wraps[TEXT_WRAP_CACHE];
    enum text_base base;
    struct text_entry cache[TEXT_CACHE_SIZE];
    struct text_memo memo[TEXT_MEMO_SIZE];
    uint64_t clock;
};

struct text *text_new(const char *font_path, char *err, size_t errlen)
{
    struct text *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!TTF_WasInit() && TTF_Init() != 0) {
        snprintf(err, errlen, "SDL_ttf init failed: %s", TTF_GetError());
        goto fail;
    }
    t->fonts = text_fonts_new(font_path, err, errlen);
    if (!t->fonts)
        goto fail;
    /* SDL_ttf built without HarfBuzz (a choice in Buildroot and Yocto) refuses a direction:
     * Arabic would then be drawn unjoined and Thai marks unstacked. Said once, at start. */
    TTF_Font *probe = text_face_at(text_fonts_primary(t->fonts), 24);
    if (probe && TTF_SetFontDirection(probe, TTF_DIRECTION_LTR) != 0)
        log_warn("SDL_ttf has no HarfBuzz (%s): Arabic, Thai and Indic text is not shaped; "
                 "build SDL_ttf with HarfBuzz",
                 TTF_GetError());
    return t;
fail:
    text_free(t);
    return NULL;
}

static void flush(struct text *t)
{
    for (size_t i = 0; i < TEXT_CACHE_SIZE; i++) {
        free(t->cache[i].s);
        if (t->cache[i].tex)
            SDL_DestroyTexture(t->cache[i].tex);
        t->cache[i] = (struct text_entry){0};
    }
    for (size_t i = 0; i < TEXT_MEMO_SIZE; i++) {
        free(t->memo[i].s);
        t->memo[i] = (struct text_memo){0};
    }
    for (size_t i = 0; i < TEXT_WRAP_CACHE; i++) {
        free(t->wraps[i].s);
        free(t->wraps[i].lines);
        t->wraps[i] = (struct text_wrapped){0};
    }
}

void text_free(struct text *t)
{
    if (!t)
        return;
    flush(t);
    text_fonts_free(t->fonts);
    free(t);
}

void text_set_script_font(struct text *t, enum theme_font script, const char *file)
{
    static const hb_script_t scripts[THEME_N_FONTS][2] = {
        [THEME_FONT_ARABIC] = {HB_SCRIPT_ARABIC, HB_SCRIPT_INVALID},
        [THEME_FONT_HEBREW] = {HB_SCRIPT_HEBREW, HB_SCRIPT_INVALID},
        [THEME_FONT_THAI] = {HB_SCRIPT_THAI, HB_SCRIPT_INVALID},
        [THEME_FONT_DEVANAGARI] = {HB_SCRIPT_DEVANAGARI, HB_SCRIPT_INVALID},
        [THEME_FONT_CYRILLIC] = {HB_SCRIPT_CYRILLIC, HB_SCRIPT_INVALID},
        [THEME_FONT_GREEK] = {HB_SCRIPT_GREEK, HB_SCRIPT_INVALID},
        [THEME_FONT_HAN] = {HB_SCRIPT_HAN, HB_SCRIPT_INVALID},
        [THEME_FONT_KANA] = {HB_SCRIPT_HIRAGANA, HB_SCRIPT_KATAKANA},
        [THEME_FONT_HANGUL] = {HB_SCRIPT_HANGUL, HB_SCRIPT_INVALID},
    };
    if ((unsigned)script >= THEME_N_FONTS || script == THEME_FONT_LATIN)
        return;
    for (int i = 0; i < 2 && scripts[script][i] != HB_SCRIPT_INVALID; i++) {
        if (text_fonts_set_script(t->fonts, (uint32_t)scripts[script][i], file) != 0) {
            log_warn("theme: font.%s %s can't be opened; fontconfig's choice is kept",
                     theme_font_name(script), file);
            return;
        }
    }
    log_info("theme: font.%s %s", theme_font_name(script), file);
}

const char *text_font_path(const struct text *t)
{
    return text_fonts_primary_path(t->fonts);
}

struct text_fonts *text_fonts_of(struct text *t)
{
    return t->fonts;
}

void text_set_rtl(struct ui *ui, bool rtl)
{
    struct text *t = ui->text;
    enum text_base base = rtl ? TEXT_BASE_AUTO_RTL : TEXT_BASE_AUTO_LTR;
    if (t->base == base)
        return;
    t->base = base;
    flush(t); /* the same string may now be laid out the other way */
}

static uint32_t hash_of(const char *s, int size, int max_w)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 16777619u;
    h = (h ^ (uint32_t)size) * 16777619u;
    return (h ^ (uint32_t)max_w) * 16777619u;
}

static struct text_memo *memo_find(struct text *t, const char *s, int size, int max_w,
                                   uint32_t *hash)
{
    *hash = hash_of(s, size, max_w);
    struct text_memo *m = &t->memo[*hash % TEXT_MEMO_SIZE];
    if (m->s && m->hash == *hash && m->size == size && m->max_w == max_w && strcmp(m->s, s) == 0)
        return m;
    return NULL;
}

static void memo_put(struct text *t, const char *s, int size, int max_w, uint32_t hash, int w,
                     int h)
{
    struct text_memo *m = &t->memo[hash % TEXT_MEMO_SIZE];
    char *copy = strdup(s);
    if (!copy)
        return;
    free(m->s);
    *m = (struct text_memo){copy, hash, size, max_w, w, h};
}

SDL_Surface *text_render_surface(struct text *t, const char *s, int size, SDL_Color color)
{
    struct text_layout *l = malloc(sizeof(*l));
    SDL_Surface *surf = NULL;
    if (!l)
        return NULL;
    if (text_layout(t->fonts, s, size, t->base, l) == 0)
        surf = text_layout_render(l, s, size, color);
    free(l);
    return surf;
}

static Uint32 pack(SDL_Color c)
{
    return (Uint32)c.r << 24 | (Uint32)c.g << 16 | (Uint32)c.b << 8 | c.a;
}

static struct text_entry *lookup(struct ui *ui, const char *s, int size, SDL_Color color)
{
    struct text *t = ui->text;
    Uint32 rgba = pack(color);
    struct text_entry *victim = &t->cache[0];
    t->clock++;
    for (size_t i = 0; i < TEXT_CACHE_SIZE; i++) {
        struct text_entry *e = &t->cache[i];
        if (e->s && e->size == size && e->rgba == rgba && strcmp(e->s, s) == 0) {
            e->used = t->clock;
            return e;
        }
        if (e->used < victim->used)
            victim = e;
    }
    SDL_Surface *surf = text_render_surface(t, s, size, color);
    if (!surf)
        return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(ui->renderer, surf);
    int w = surf->w, h = surf->h;
    SDL_FreeSurface(surf);
    if (!tex)
        return NULL;
    char *copy = strdup(s);
    if (!copy) {
        SDL_DestroyTexture(tex);
        return NULL;
    }
    free(victim->s);
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    *victim = (struct text_entry){copy, size, rgba, tex, w, h, t->clock};
    return victim;
}

int text_measure(struct ui *ui, const char *s, int size, int *w, int *h)
{
    struct text *t = ui->text;
    if (!s)
        s = "";
    uint32_t hash;
    struct text_memo *m = memo_find(t, s, size, -1, &hash);
    if (m) {
        *w = m->w;
        *h = m->h;
        return 0;
    }
    struct text_layout *l = malloc(sizeof(*l));
    if (!l)
        return BINGE_ENOMEM;
    int rc = text_layout(t->fonts, s, size, t->base, l);
    if (rc == 0) {
        *w = l->w;
        *h = l->ascent + l->descent;
        memo_put(t, s, size, -1, hash, *w, *h);
    }
    free(l);
    return rc;
}

static bool fits_with_ellipsis(struct ui *ui, const char *s, size_t n, int size, int max_w,
                               char *out, size_t len)
{
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n + 4 > len)
        return false;
    memcpy(out, s, n);
    memcpy(out + n, "\xE2\x80\xA6", 4); /* U+2026 */
    int w, h;
    return text_measure(ui, out, size, &w, &h) == 0 && w <= max_w;
}

/* Cuts s, which is wider than max_w, to fit it, ending in an ellipsis, on a character boundary
 * (the longest such prefix, found by bisection). The cut is remembered. */
static void ellipsize(struct ui *ui, const char *s, int size, int max_w, char *out, size_t len)
{
    out[0] = '\0';
    uint32_t hash;
    struct text_memo *m = memo_find(ui->text, s, size, max_w, &hash);
    if (m) {
        if (m->w > 0 && !fits_with_ellipsis(ui, s, (size_t)m->w, size, max_w, out, len))
            out[0] = '\0';
        return;
    }
    size_t total = strlen(s);
    size_t *cuts = malloc((total + 1) * sizeof(*cuts)); /* character boundaries */
    size_t nc = 0;
    if (!cuts)
        return;
    nc = text_cut_points(s, total < len - 4 ? total : len - 4, cuts);
    size_t lo = 0, hi = nc, best = 0; /* best: the bytes kept, 0 = none fits */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fits_with_ellipsis(ui, s, cuts[mid], size, max_w, out, len)) {
            best = cuts[mid];
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    free(cuts);
    memo_put(ui->text, s, size, max_w, hash, (int)best, 0);
    if (best == 0 || !fits_with_ellipsis(ui, s, best, size, max_w, out, len))
        out[0] = '\0';
}

int text_draw(struct ui *ui, const char *s, int size, SDL_Color color, int x, int y,
              enum text_align align, int max_w)
{
    if (!s || !*s)
        return 0;
    int a = (int)align;
    ui_mirror_anchor(ui, &x, &a); /* an RTL UI's anchor (ui.c) */
    align = (enum text_align)a;
    ui_strings_note(s);
    char buf[TEXT_LINE_MAX + 8];
    int w, h;
    if (max_w > 0 && text_measure(ui, s, size, &w, &h) == 0 && w > max_w) {
        ellipsize(ui, s, size, max_w, buf, sizeof(buf));
        s = buf;
        if (!*s)
            return 0;
    }
    struct text_entry *e = lookup(ui, s, size, color);
    if (!e)
        return 0;
    SDL_Rect dst = {x, y, e->w, e->h};
    if (align == TEXT_CENTER)
        dst.x -= e->w / 2;
    else if (align == TEXT_RIGHT)
        dst.x -= e->w;
    SDL_RenderCopy(ui->renderer, e->tex, NULL, &dst);
    return e->w;
}

int text_line_height(struct ui *ui, int size)
{
    return text_fonts_line_height(ui->text->fonts, size);
}

static bool fits(struct ui *ui, const char *s, size_t n, int size, int max_w)
{
    char buf[TEXT_LINE_MAX];
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int w = 0, h = 0;
    return text_measure(ui, buf, size, &w, &h) == 0 && w <= max_w;
}

/* The longest prefix of the word p[0..n) that fits, cut at a UTF-8 boundary; at least one
 * character, so a line always moves on. */
static size_t fit_chars(struct ui *ui, const char *p, size_t n, int size, int max_w)
{
    size_t best = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && ((unsigned char)p[i] & 0xC0) == 0x80)
            continue; /* inside a UTF-8 sequence */
        if (!fits(ui, p, i, size, max_w))
            break;
        best = i;
    }
    if (best == 0) {
        best = 1;
        while (best < n && ((unsigned char)p[best] & 0xC0) == 0x80)
            best++;
    }
    return best;
}

/* The end of the longest line from p that fits max_w and ends at a break opportunity of brk
 * (indexed from p), not past para (the paragraph's end); 0 when not even the first piece fits.
 * Found by bisection over the opportunities (a longer piece is never narrower), so a CJK line,
 * with an opportunity after every ideograph, costs a few measures, not one per ideograph. */
static size_t fit_breaks(struct ui *ui, const char *p, size_t para, const unsigned char *brk,
                         int size, int max_w)
{
    size_t *cand = malloc((para + 1) * sizeof(*cand)), *ends = malloc((para + 1) * sizeof(*ends));
    size_t nc = 0, fit = 0;
    if (!cand || !ends)
        goto fail;
    for (size_t q = 1; q <= para && q < TEXT_LINE_MAX + 64; q++) {
        if (q < para && brk[q] == TEXT_BRK_NO)
            continue;
        size_t end = q;
        while (end > 0 && p[end - 1] == ' ')
            end--;
        if (end == 0)
            continue;
        cand[nc] = q;
        ends[nc++] = end;
    }
    size_t lo = 0, hi = nc;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (fits(ui, p, ends[mid], size, max_w)) {
            fit = cand[mid];
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
fail:
    free(cand);
    free(ends);
    return fit;
}

static struct text_wrapped *wrap_find(struct text *t, const char *s, int size, int max_w,
                                      int max_lines, struct text_wrapped **victim)
{
    *victim = &t->wraps[0];
    t->clock++;
    for (size_t i = 0; i < TEXT_WRAP_CACHE; i++) {
        struct text_wrapped *e = &t->wraps[i];
        if (e->s && e->size == size && e->max_w == max_w && e->max_lines == max_lines &&
            strcmp(e->s, s) == 0) {
            e->used = t->clock;
            return e;
        }
        if (e->used < (*victim)->used)
            *victim = e;
    }
    return NULL;
}

static void wrap_put(struct text *t, struct text_wrapped *e, const char *s, int size, int max_w,
                     int max_lines, char (*lines)[TEXT_LINE_MAX], int n, bool complete)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *copy = strdup(s), *buf = malloc(total + 1);
    if (!copy || !buf) {
        free(copy);
        free(buf);
        return;
    }
    char *at = buf;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(lines[i]) + 1;
        memcpy(at, lines[i], len);
        at += len;
    }
    free(e->s);
    free(e->lines);
    *e = (struct text_wrapped){copy, size, max_w, max_lines, n, complete, buf, t->clock};
}

static int wrap_lines(struct ui *ui, const char *s, int size, int max_w,
                      char (*lines)[TEXT_LINE_MAX], int max_lines, bool *complete);

int text_wrap(struct ui *ui, const char *s, int size, int max_w, char (*lines)[TEXT_LINE_MAX],
              int max_lines, bool *complete)
{
    struct text *t = ui->text;
    struct text_wrapped *victim;
    if (!s)
        s = "";
    struct text_wrapped *e = wrap_find(t, s, size, max_w, max_lines, &victim);
    if (e) {
        const char *at = e->lines;
        for (int i = 0; i < e->n; i++) {
            size_t len = strlen(at);
            memcpy(lines[i], at, len + 1);
            at += len + 1;
        }
        if (complete)
            *complete = e->complete;
        return e->n;
    }
    bool done = true;
    int n = wrap_lines(ui, s, size, max_w, lines, max_lines, &done);
    wrap_put(t, victim, s, size, max_w, max_lines, lines, n, done);
    if (complete)
        *complete = done;
    return n;
}

/* text_wrap without its cache. */
static int wrap_lines(struct ui *ui, const char *s, int size, int max_w,
                      char (*lines)[TEXT_LINE_MAX], int max_lines, bool *complete)
{
    int n = 0;
    const char *text = s ? s : "";
    size_t len = strlen(text);
    unsigned char *brk = malloc(len + 1);
    if (complete)
        *complete = true;
    if (!brk)
        return 0;
    text_breaks(text, len, brk);
    size_t at = 0;
    while (at < len) {
        while (text[at] == ' ')
            at++;
        if (at >= len)
            break;
        if (n == max_lines) {
            if (complete)
                *complete = false;
            break;
        }
        const char *p = text + at;
        size_t para = strcspn(p, "\n");
        /* Whole words (Thai words, single ideographs) while they fit. */
        size_t fit = fit_breaks(ui, p, para, brk + at, size, max_w);
        if (fit == 0) {
            /* A word wider than the line (a long URL): it is broken where the line ends,
             * never cut short. */
            size_t word = 1;
            while (word < para && brk[at + word] == TEXT_BRK_NO)
                word++;
            while (word > 0 && p[word - 1] == ' ')
                word--;
            fit = fit_chars(ui, p, word ? word : 1, size, max_w);
        }
        size_t keep = fit < TEXT_LINE_MAX ? fit : TEXT_LINE_MAX - 1;
        while (keep > 0 && keep < fit && ((unsigned char)p[keep] & 0xC0) == 0x80)
            keep--; /* a line longer than the buffer ends on a character boundary */
        memcpy(lines[n], p, keep);
        lines[n][keep] = '\0';
        while (keep > 0 && lines[n][keep - 1] == ' ')
            lines[n][--keep] = '\0';
        n++;
        at += fit;
        if (text[at] == '\n')
            at++;
    }
    free(brk);
    return n;
}

/* The last line of a block that needed more lines: the longest piece of line, ending at a break
 * opportunity, that fits with an ellipsis after it, so no word is cut in the middle. */
static void last_line(struct ui *ui, const char *line, int size, int max_w, char *out, size_t len)
{
    size_t n = strlen(line);
    unsigned char *brk = malloc(n + 1);
    size_t best = 0;
    if (brk) {
        text_breaks(line, n, brk);
        for (size_t q = 1; q <= n; q++) {
            if (q < n && brk[q] == TEXT_BRK_NO)
                continue;
            if (fits_with_ellipsis(ui, line, q, size, max_w, out, len))
                best = q;
        }
        free(brk);
    }
    if (best > 0) {
        /* A space before the ellipsis where the text has spaces between words. */
        size_t end = best;
        while (end > 0 && line[end - 1] == ' ')
            end--;
        bool spaced = strchr(line, ' ') != NULL;
        snprintf(out, len, "%.*s%s", (int)end, line, spaced ? " \xE2\x80\xA6" : "\xE2\x80\xA6");
        int w, h;
        if (!spaced || (text_measure(ui, out, size, &w, &h) == 0 && w <= max_w))
            return;
        fits_with_ellipsis(ui, line, best, size, max_w, out, len);
        return;
    }
    /* One word wider than the line: cut inside it, the only way left. */
    char whole[TEXT_LINE_MAX + 8];
    snprintf(whole, sizeof(whole), "%s \xE2\x80\xA6", line);
    int w, h;
    if (text_measure(ui, whole, size, &w, &h) == 0 && w <= max_w)
        snprintf(out, len, "%s", whole);
    else
        ellipsize(ui, line, size, max_w, out, len);
}

int text_draw_wrapped(struct ui *ui, const char *s, int size, SDL_Color color, int x, int y,
                      int max_w, int max_lines)
{
    if (!s || !*s || max_lines <= 0)
        return 0;
    ui_strings_note(s);
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    bool complete = true;
    if (max_lines > TEXT_MAX_LINES)
        max_lines = TEXT_MAX_LINES;
    int n = text_wrap(ui, s, size, max_w, lines, max_lines, &complete);
    int line_h = text_line_height(ui, size);
    for (int i = 0; i < n; i++) {
        if (i == n - 1 && !complete) {
            /* Out of lines: the last one says so with an ellipsis. */
            char last[TEXT_LINE_MAX + 8];
            last_line(ui, lines[i], size, max_w, last, sizeof(last));
            text_draw(ui, last, size, color, x, y + i * line_h, TEXT_LEFT, 0);
        } else {
            text_draw(ui, lines[i], size, color, x, y + i * line_h, TEXT_LEFT, 0);
        }
    }
    return n * line_h;
}

int text_draw_lines(struct ui *ui, char (*lines)[TEXT_LINE_MAX], int n, int size, SDL_Color color,
                    int x, int y, enum text_align align)
{
    int line_h = text_line_height(ui, size);
    for (int i = 0; i < n; i++)
        text_draw(ui, lines[i], size, color, x, y + i * line_h, align, 0);
    return n * line_h;
}
