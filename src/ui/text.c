#include <SDL_ttf.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/error.h"
#include "binge/log.h"
#include "ui_internal.h"

LOG_MODULE("ui");

/* Rendering a string with SDL_ttf costs far more than drawing a texture, and most strings are
 * drawn every frame while video plays, so rendered strings are kept in a small LRU cache. */
#define TEXT_CACHE_SIZE 192
#define TEXT_MAX_FONTS 12

struct text_entry {
    char *s;
    int size;
    Uint32 rgba;
    SDL_Texture *tex;
    int w, h;
    uint64_t used;
};

struct text {
    char *font_path;
    struct {
        int size;
        TTF_Font *font;
    } fonts[TEXT_MAX_FONTS];
    struct text_entry cache[TEXT_CACHE_SIZE];
    uint64_t clock;
};

static char *font_from_fontconfig(void)
{
    char *path = NULL;
    if (!FcInit())
        return NULL;
    FcPattern *pat = FcNameParse((const FcChar8 *)"sans-serif:weight=bold");
    if (!pat)
        goto fail;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *match = FcFontMatch(NULL, pat, &res);
    FcPatternDestroy(pat);
    if (!match)
        goto fail;
    FcChar8 *file = NULL;
    if (FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch && file)
        path = strdup((const char *)file);
    FcPatternDestroy(match);
fail:
    return path;
}

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
    t->font_path = font_path ? strdup(font_path) : font_from_fontconfig();
    if (!t->font_path) {
        snprintf(err, errlen, "no font found: install fonts-dejavu-core or pass --font FILE");
        goto fail;
    }
    /* Open one size now so a bad font file is reported at start-up, not mid-draw. */
    TTF_Font *probe = TTF_OpenFont(t->font_path, 32);
    if (!probe) {
        snprintf(err, errlen, "can't open font %s: %s", t->font_path, TTF_GetError());
        goto fail;
    }
    t->fonts[0].size = 32;
    t->fonts[0].font = probe;
    return t;
fail:
    text_free(t);
    return NULL;
}

void text_free(struct text *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < TEXT_CACHE_SIZE; i++) {
        free(t->cache[i].s);
        if (t->cache[i].tex)
            SDL_DestroyTexture(t->cache[i].tex);
    }
    for (size_t i = 0; i < TEXT_MAX_FONTS; i++)
        if (t->fonts[i].font)
            TTF_CloseFont(t->fonts[i].font);
    free(t->font_path);
    free(t);
}

const char *text_font_path(const struct text *t)
{
    return t->font_path;
}

static TTF_Font *font_at(struct text *t, int size)
{
    size_t slot = 0;
    for (size_t i = 0; i < TEXT_MAX_FONTS; i++) {
        if (t->fonts[i].font && t->fonts[i].size == size)
            return t->fonts[i].font;
        if (!t->fonts[i].font) {
            slot = i;
            break;
        }
        slot = i;
    }
    /* The theme uses a handful of sizes; if it ever uses more, recycle the last slot. */
    if (t->fonts[slot].font)
        TTF_CloseFont(t->fonts[slot].font);
    t->fonts[slot].font = TTF_OpenFont(t->font_path, size);
    t->fonts[slot].size = size;
    if (!t->fonts[slot].font)
        log_error("can't open %s at %d px: %s", t->font_path, size, TTF_GetError());
    return t->fonts[slot].font;
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
    TTF_Font *font = font_at(t, size);
    if (!font)
        return NULL;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(font, s, color);
    if (!surf) {
        log_warn("text render failed: %s", TTF_GetError());
        return NULL;
    }
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
    TTF_Font *font = font_at(ui->text, size);
    if (!font)
        return BINGE_EIO;
    if (!s || !*s) {
        *w = 0;
        *h = TTF_FontHeight(font);
        return 0;
    }
    return TTF_SizeUTF8(font, s, w, h) == 0 ? 0 : BINGE_EINVAL;
}

/* Cuts s to fit max_w, ending in an ellipsis, on a UTF-8 boundary. */
static void ellipsize(struct ui *ui, const char *s, int size, int max_w, char *out, size_t len)
{
    snprintf(out, len, "%s", s);
    int w, h;
    if (text_measure(ui, out, size, &w, &h) != 0 || w <= max_w)
        return;
    size_t n = strlen(out);
    while (n > 0) {
        do
            n--;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80);
        if (n + 4 > len)
            continue;
        memcpy(out + n, "\xE2\x80\xA6", 4); /* U+2026 */
        if (text_measure(ui, out, size, &w, &h) == 0 && w <= max_w)
            return;
    }
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
    char buf[512];
    if (max_w > 0) {
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
    TTF_Font *font = font_at(ui->text, size);
    return font ? TTF_FontLineSkip(font) : size;
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

int text_wrap(struct ui *ui, const char *s, int size, int max_w, char (*lines)[TEXT_LINE_MAX],
              int max_lines, bool *complete)
{
    int n = 0;
    const char *p = s ? s : "";
    if (complete)
        *complete = true;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (n == max_lines) {
            if (complete)
                *complete = false;
            break;
        }
        /* Whole words while they fit; a '\n' ends the line. */
        size_t end = 0, fit = 0;
        for (;;) {
            size_t next = end;
            while (p[next] && p[next] != ' ' && p[next] != '\n')
                next++;
            if (!fits(ui, p, next, size, max_w))
                break;
            fit = next;
            if (!p[next] || p[next] == '\n')
                break;
            end = next + 1;
        }
        if (fit == 0) {
            /* A word wider than the line (a long URL, a language without spaces): it is broken
             * where the line ends, never cut short. */
            size_t word = strcspn(p, " \n");
            fit = fit_chars(ui, p, word, size, max_w);
        }
        size_t keep = fit < TEXT_LINE_MAX ? fit : TEXT_LINE_MAX - 1;
        memcpy(lines[n], p, keep);
        lines[n][keep] = '\0';
        while (keep > 0 && lines[n][keep - 1] == ' ')
            lines[n][--keep] = '\0';
        n++;
        p += fit;
        if (*p == '\n')
            p++;
    }
    return n;
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
            char last[TEXT_LINE_MAX + 4];
            if (snprintf(last, sizeof(last), "%s \xE2\x80\xA6", lines[i]) < 0)
                last[0] = '\0';
            text_draw(ui, last, size, color, x, y + i * line_h, TEXT_LEFT, max_w);
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
