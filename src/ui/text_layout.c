#include <fribidi.h>
#include <hb.h>
#include <stdlib.h>
#include <string.h>

#include "binge/error.h"
#include "binge/log.h"
#include "text_internal.h"

LOG_MODULE("ui");

/* A string becomes runs: cut where the script (UAX #24), the bidi level (FriBidi) or the face
 * changes, each run shaped by SDL_ttf's HarfBuzz with its script and direction, and the runs
 * put in visual order (UAX #9 rule L2) so a right-to-left run's neighbours land on the right
 * side and numbers inside Arabic stay left to right. */

size_t text_utf8_decode(const char *s, uint32_t *cps, size_t *offs)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0, i = 0;
    while (p[i]) {
        uint32_t c = p[i];
        size_t len = 1;
        uint32_t min = 0;
        if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            c &= 0x07;
            min = 0x10000;
        } else if (c >= 0xF5) {
            len = 0;
        } else if (c >= 0xE0) {
            len = c <= 0xEF ? 3 : 0;
            c &= 0x0F;
            min = 0x800;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            c &= 0x1F;
            min = 0x80;
        } else if (c >= 0x80) {
            len = 0; /* a stray continuation byte or an invalid lead */
        }
        bool ok = len > 0;
        for (size_t k = 1; ok && k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                ok = false;
            else
                c = c << 6 | (p[i + k] & 0x3F);
        }
        if (ok && len > 1 && (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)))
            ok = false;
        offs[n] = i;
        if (ok) {
            cps[n++] = c;
            i += len;
        } else {
            cps[n++] = 0xFFFD;
            i++;
            while (p[i] && (p[i] & 0xC0) == 0x80 && len > 1) /* skip the rest of a bad one */
                i++;
        }
    }
    offs[n] = i;
    return n;
}

static bool weak_script(hb_script_t s)
{
    return s == HB_SCRIPT_COMMON || s == HB_SCRIPT_INHERITED || s == HB_SCRIPT_UNKNOWN;
}

void text_scripts(const uint32_t *cps, size_t n, uint32_t *scripts)
{
    hb_unicode_funcs_t *u = hb_unicode_funcs_get_default();
    hb_script_t last = HB_SCRIPT_COMMON;
    size_t pending = 0; /* leading Common/Inherited characters, waiting for a real script */
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        hb_script_t s = hb_unicode_script(u, cps[i]);
        if (weak_script(s)) {
            scripts[i] = (uint32_t)last;
            if (!seen)
                pending++;
            continue;
        }
        if (!seen) {
            for (size_t k = 0; k < pending; k++)
                scripts[k] = (uint32_t)s;
            seen = true;
        }
        scripts[i] = (uint32_t)s;
        last = s;
    }
}

/* The language fontconfig is asked for, per script: it picks the glyph forms (a Han character
 * in a Japanese string gets the Japanese face) and the weight of faces that have one. */
static const char *script_lang(hb_script_t s, bool kana, bool hangul)
{
    switch (s) {
    case HB_SCRIPT_HAN:
    case HB_SCRIPT_HIRAGANA:
    case HB_SCRIPT_KATAKANA:
    case HB_SCRIPT_BOPOMOFO:
    case HB_SCRIPT_HANGUL:
        return kana ? "ja" : hangul ? "ko" : s == HB_SCRIPT_BOPOMOFO ? "zh-tw" : "zh-cn";
    case HB_SCRIPT_THAI:
        return "th";
    case HB_SCRIPT_ARABIC:
        return "ar";
    case HB_SCRIPT_HEBREW:
        return "he";
    case HB_SCRIPT_DEVANAGARI:
        return "hi";
    default:
        return NULL;
    }
}

struct work {
    uint32_t *cps;
    size_t *offs;
    uint32_t *scripts;
    FriBidiCharType *types;
    FriBidiBracketType *brackets;
    FriBidiLevel *levels;
    struct text_face **faces;
};

static void work_free(struct work *w)
{
    free(w->cps);
    free(w->offs);
    free(w->scripts);
    free(w->types);
    free(w->brackets);
    free(w->levels);
    free(w->faces);
}

/* The face of each character: its run's face when it has the glyph, else the primary face,
 * else a face fontconfig finds for the character; a combining mark stays with its base. */
static void pick_faces(struct text_fonts *f, struct work *w, size_t n)
{
    hb_unicode_funcs_t *u = hb_unicode_funcs_get_default();
    struct text_face *primary = text_fonts_primary(f);
    bool kana = false, hangul = false;
    for (size_t i = 0; i < n; i++) {
        hb_script_t s = (hb_script_t)w->scripts[i];
        kana = kana || s == HB_SCRIPT_HIRAGANA || s == HB_SCRIPT_KATAKANA;
        hangul = hangul || s == HB_SCRIPT_HANGUL;
    }
    uint32_t letters[64];
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        size_t nl = 0;
        while (end < n && w->scripts[end] == w->scripts[i]) {
            hb_script_t own = hb_unicode_script(u, w->cps[end]);
            if (!weak_script(own) && nl < sizeof(letters) / sizeof(letters[0])) {
                bool dup = false;
                for (size_t k = 0; k < nl && !dup; k++)
                    dup = letters[k] == w->cps[end];
                if (!dup)
                    letters[nl++] = w->cps[end];
            }
            end++;
        }
        hb_script_t script = (hb_script_t)w->scripts[i];
        struct text_face *run =
            nl ? text_fonts_for_script(f, (uint32_t)script, script_lang(script, kana, hangul),
                                       letters, nl)
               : primary;
        for (size_t k = i; k < end; k++) {
            uint32_t cp = w->cps[k];
            hb_unicode_general_category_t gc = hb_unicode_general_category(u, cp);
            bool mark = gc == HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK ||
                        gc == HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK ||
                        gc == HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK || cp == 0x200D ||
                        (cp >= 0xFE00 && cp <= 0xFE0F);
            if (k > i && mark) {
                w->faces[k] = w->faces[k - 1];
                continue;
            }
            if (cp < 0x20 || (run && text_face_has(run, cp))) {
                w->faces[k] = run ? run : primary;
                continue;
            }
            if (text_face_has(primary, cp)) {
                w->faces[k] = primary;
                continue;
            }
            struct text_face *face = text_fonts_for_char(f, cp);
            if (!face) {
                text_fonts_missing(f, (uint32_t)hb_unicode_script(u, cp), cp);
                face = primary;
            }
            w->faces[k] = face;
        }
        i = end;
    }
}

static int scaled(int v, float scale)
{
    return scale == 1.0f ? v : (int)((float)v * scale + 0.5f);
}

static int shape_run(struct text_run *r, const char *s, int size, int *ascent, int *descent)
{
    TTF_Font *font = text_face_at(r->face, size);
    if (!font)
        return BINGE_EIO;
    char tag[5];
    hb_tag_to_string(hb_script_to_iso15924_tag((hb_script_t)r->script), tag);
    tag[4] = '\0';
    TTF_SetFontDirection(font, (r->level & 1) ? TTF_DIRECTION_RTL : TTF_DIRECTION_LTR);
    TTF_SetFontScriptName(font, tag);
    char buf[1024];
    char *text = r->len < sizeof(buf) ? buf : malloc(r->len + 1);
    if (!text)
        return BINGE_ENOMEM;
    memcpy(text, s + r->start, r->len);
    text[r->len] = '\0';
    int w = 0, h = 0;
    int rc = TTF_SizeUTF8(font, text, &w, &h) == 0 ? 0 : BINGE_EINVAL;
    /* SDL_ttf grows a run's surface past the font's height where glyphs reach beyond its
     * ascent or descent (DejaVu's Arabic dots below, stacked marks) and keeps the baseline at
     * the ascent plus what grew on top: that is estimated from the characters' own glyphs (a
     * glyph taller than the ascent), the rest grew below. */
    int asc = TTF_FontAscent(font), over = h - TTF_FontHeight(font), top = 0;
    if (over > 0) {
        uint32_t cps[256];
        size_t offs[257];
        size_t n = r->len < 256 ? text_utf8_decode(text, cps, offs) : 0;
        for (size_t i = 0; i < n; i++) {
            int minx, maxx, miny, maxy, adv;
            if (TTF_GlyphMetrics32(font, cps[i], &minx, &maxx, &miny, &maxy, &adv) == 0 &&
                maxy - asc > top)
                top = maxy - asc;
        }
        if (top > over)
            top = over;
    }
    if (text != buf)
        free(text);
    float scale = text_face_scale(r->face, size);
    r->w = scaled(w, scale);
    r->baseline = scaled(asc + top, scale);
    /* Below the baseline: the descent, and what grew there (SDL_ttf's height can be a row more
     * than ascent + descent from rounding; that row stays out, as it always has). */
    int grew = over > top ? over - top : 0;
    int below = scaled(-TTF_FontDescent(font) + grew, scale);
    if (r->baseline > *ascent)
        *ascent = r->baseline;
    if (below > *descent)
        *descent = below;
    return rc;
}

/* UAX #9 L2: from the highest level down to the lowest odd one, reverse every sequence of runs
 * at that level or higher. */
static void reorder(struct text_run *runs, int n)
{
    int hi = 0, lo_odd = 255;
    for (int i = 0; i < n; i++) {
        if (runs[i].level > hi)
            hi = runs[i].level;
        if ((runs[i].level & 1) && runs[i].level < lo_odd)
            lo_odd = runs[i].level;
    }
    for (int lvl = hi; lvl >= lo_odd && lvl > 0; lvl--) {
        int i = 0;
        while (i < n) {
            if (runs[i].level < lvl) {
                i++;
                continue;
            }
            int j = i;
            while (j < n && runs[j].level >= lvl)
                j++;
            for (int a = i, b = j - 1; a < b; a++, b--) {
                struct text_run t = runs[a];
                runs[a] = runs[b];
                runs[b] = t;
            }
            i = j;
        }
    }
}

int text_layout(struct text_fonts *f, const char *s, int size, enum text_base base,
                struct text_layout *out)
{
    int rc = BINGE_ENOMEM;
    struct work w = {0};
    memset(out, 0, sizeof(*out));
    (*text_fonts_layouts(f))++;
    size_t len = strlen(s);
    w.cps = malloc((len + 1) * sizeof(*w.cps));
    w.offs = malloc((len + 1) * sizeof(*w.offs));
    w.scripts = malloc((len + 1) * sizeof(*w.scripts));
    w.types = malloc((len + 1) * sizeof(*w.types));
    w.brackets = malloc((len + 1) * sizeof(*w.brackets));
    w.levels = malloc((len + 1) * sizeof(*w.levels));
    w.faces = malloc((len + 1) * sizeof(*w.faces));
    if (!w.cps || !w.offs || !w.scripts || !w.types || !w.brackets || !w.levels || !w.faces)
        goto fail;
    size_t n = text_utf8_decode(s, w.cps, w.offs);
    text_scripts(w.cps, n, w.scripts);

    FriBidiParType dir = base == TEXT_BASE_AUTO_RTL ? FRIBIDI_PAR_WRTL : FRIBIDI_PAR_WLTR;
    fribidi_get_bidi_types(w.cps, (FriBidiStrIndex)n, w.types);
    /* In an RTL UI a paragraph with any Arabic or Hebrew letter is right to left, even when it
     * starts with a Latin word ("OK للتشغيل": OK to play, a key name first); one with Latin
     * letters only stays left to right (an English title), one with none is right to left. */
    for (size_t i = 0; base == TEXT_BASE_AUTO_RTL && i < n; i++)
        if (w.types[i] == FRIBIDI_TYPE_RTL || w.types[i] == FRIBIDI_TYPE_AL)
            dir = FRIBIDI_PAR_RTL;
    fribidi_get_bracket_types(w.cps, (FriBidiStrIndex)n, w.types, w.brackets);
    if (n > 0 && fribidi_get_par_embedding_levels_ex(w.types, w.brackets, (FriBidiStrIndex)n, &dir,
                                                     w.levels) == 0) {
        rc = BINGE_EINVAL;
        goto fail;
    }
    out->rtl = FRIBIDI_IS_RTL(dir);
    pick_faces(f, &w, n);

    /* Runs in logical order, then shaped, then reordered for display. */
    size_t i = 0;
    while (i < n) {
        size_t end = i + 1;
        while (end < n && w.scripts[end] == w.scripts[i] && w.levels[end] == w.levels[i] &&
               w.faces[end] == w.faces[i])
            end++;
        if (out->n == TEXT_MAX_RUNS - 1)
            end = n; /* a pathological string: its tail stays in one run */
        struct text_run *r = &out->runs[out->n++];
        r->start = w.offs[i];
        r->len = w.offs[end] - w.offs[i];
        r->script = w.scripts[i];
        r->level = w.levels[i];
        r->face = w.faces[i];
        i = end;
    }
    if (out->n == 0) {
        TTF_Font *font = text_face_at(text_fonts_primary(f), size);
        if (!font) {
            rc = BINGE_EIO;
            goto fail;
        }
        out->ascent = TTF_FontAscent(font);
        out->descent = -TTF_FontDescent(font);
    }
    for (int k = 0; k < out->n; k++) {
        rc = shape_run(&out->runs[k], s, size, &out->ascent, &out->descent);
        if (rc != 0)
            goto fail;
        out->w += out->runs[k].w;
    }
    reorder(out->runs, out->n);
    rc = 0;
fail:
    work_free(&w);
    return rc;
}

/* Copies src over dst at (x, y) where src is more opaque: runs are drawn in one colour, and a
 * glyph hanging past its run's box must not be erased by the next run's transparent pixels. */
static void merge(SDL_Surface *dst, SDL_Surface *src, int x, int y)
{
    for (int j = 0; j < src->h; j++) {
        int dy = y + j;
        if (dy < 0 || dy >= dst->h)
            continue;
        const Uint32 *sp = (const Uint32 *)((const Uint8 *)src->pixels + (size_t)j * src->pitch);
        Uint32 *dp = (Uint32 *)((Uint8 *)dst->pixels + (size_t)dy * dst->pitch);
        for (int i = 0; i < src->w; i++) {
            int dx = x + i;
            if (dx < 0 || dx >= dst->w)
                continue;
            if ((sp[i] >> 24) > (dp[dx] >> 24))
                dp[dx] = sp[i];
        }
    }
}

SDL_Surface *text_layout_render(const struct text_layout *l, const char *s, int size,
                                SDL_Color color)
{
    if (l->w <= 0 || l->n == 0)
        return NULL;
    SDL_Surface *out = SDL_CreateRGBSurfaceWithFormat(0, l->w, l->ascent + l->descent, 32,
                                                      SDL_PIXELFORMAT_ARGB8888);
    if (!out)
        return NULL;
    SDL_FillRect(out, NULL, 0);
    int x = 0;
    for (int k = 0; k < l->n; k++) {
        const struct text_run *r = &l->runs[k];
        TTF_Font *font = text_face_at(r->face, size);
        char buf[1024];
        char *text = r->len < sizeof(buf) ? buf : malloc(r->len + 1);
        if (!font || !text)
            goto next;
        memcpy(text, s + r->start, r->len);
        text[r->len] = '\0';
        char tag[5];
        hb_tag_to_string(hb_script_to_iso15924_tag((hb_script_t)r->script), tag);
        tag[4] = '\0';
        TTF_SetFontDirection(font, (r->level & 1) ? TTF_DIRECTION_RTL : TTF_DIRECTION_LTR);
        TTF_SetFontScriptName(font, tag);
        SDL_Surface *run = TTF_RenderUTF8_Blended(font, text, color);
        if (!run) {
            log_warn("text render failed: %s", TTF_GetError());
            goto next;
        }
        SDL_Surface *argb = run->format->format == SDL_PIXELFORMAT_ARGB8888
                                ? run
                                : SDL_ConvertSurfaceFormat(run, SDL_PIXELFORMAT_ARGB8888, 0);
        float scale = text_face_scale(r->face, size);
        if (argb && scale != 1.0f) {
            /* A bitmap strike (color emoji) brought down to the run's measured size. */
            SDL_Surface *small = SDL_CreateRGBSurfaceWithFormat(
                0, r->w > 0 ? r->w : 1, scaled(argb->h, scale) > 0 ? scaled(argb->h, scale) : 1, 32,
                SDL_PIXELFORMAT_ARGB8888);
            if (small) {
                SDL_SetSurfaceBlendMode(argb, SDL_BLENDMODE_NONE);
                if (SDL_SoftStretchLinear(argb, NULL, small, NULL) != 0)
                    SDL_BlitScaled(argb, NULL, small, NULL);
            }
            if (argb != run)
                SDL_FreeSurface(argb);
            argb = small;
        }
        if (argb) {
            SDL_LockSurface(argb);
            merge(out, argb, x, l->ascent - r->baseline);
            SDL_UnlockSurface(argb);
            if (argb != run)
                SDL_FreeSurface(argb);
        }
        SDL_FreeSurface(run);
    next:
        if (text && text != buf)
            free(text);
        x += r->w;
    }
    return out;
}
