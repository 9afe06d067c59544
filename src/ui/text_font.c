#include <fontconfig/fontconfig.h>
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "binge/log.h"
#include "text_internal.h"

LOG_MODULE("ui");

/* Faces: the primary one first (the --font file or fontconfig's sans-serif Bold, so the Latin
 * logo and UI stay in it), then the fallbacks fontconfig finds for the scripts and characters
 * the primary face lacks. The lookups are cached, so a string drawn again asks fontconfig
 * nothing. */

#define FACE_SIZES 32 /* the views use 18 sizes (20..96): past this, the last slot is reopened */
#define MAX_FACES 32
#define MAX_SCRIPTS 48
#define CHAR_CACHE 256 /* direct-mapped by code point */
#define BLOCK_CACHE 128
#define MAX_MISSING 32
#define MAX_OVERRIDES 16

struct text_face {
    char *file;
    int index;
    bool primary;
    int em_line; /* ascent + descent at 1000 px, from the first size opened (0 = none yet) */
    struct {
        int size;
        TTF_Font *font;
        float scale; /* < 1 for a bitmap face (color emoji) whose only strike is too large */
    } at[FACE_SIZES];
    int n_at;
    TTF_Font *probe; /* any open size, for the coverage checks (size does not matter) */
};

struct text_fonts {
    struct text_face *faces[MAX_FACES];
    int n_faces;
    struct {
        uint32_t script;
        char lang[12];
        struct text_face *face; /* NULL: nothing installed covers it */
    } scripts[MAX_SCRIPTS];
    int n_scripts;
    struct {
        uint32_t block; /* cp >> 7, + 1 so 0 is empty */
        struct text_face *face;
    } blocks[BLOCK_CACHE];
    int n_blocks;
    struct {
        uint32_t cp; /* + 1 so 0 is empty */
        struct text_face *face;
    } chars[CHAR_CACHE];
    /* A theme's font per script (font.arabic = FILE), asked before the primary face. */
    struct {
        uint32_t script;
        struct text_face *face;
    } overrides[MAX_OVERRIDES];
    int n_overrides;
    uint32_t missing[MAX_MISSING];
    int n_missing;
    bool fc_ready;
    unsigned long layouts;
};

unsigned long *text_fonts_layouts(struct text_fonts *f)
{
    return &f->layouts;
}

static bool fc_init(struct text_fonts *f)
{
    if (!f->fc_ready)
        f->fc_ready = FcInit() == FcTrue;
    return f->fc_ready;
}

static char *primary_from_fontconfig(struct text_fonts *f, int *index)
{
    char *path = NULL;
    if (!fc_init(f))
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
    if (FcPatternGetInteger(match, FC_INDEX, 0, index) != FcResultMatch)
        *index = 0;
    FcPatternDestroy(match);
fail:
    return path;
}

/* A font named by the configuration (--font, a theme's font.<script>) must be a regular file:
 * SDL_ttf opens it with a blocking fopen(), which a FIFO would hold for ever on the UI thread. */
static bool regular_file(const char *file)
{
    struct stat st;
    return stat(file, &st) == 0 && S_ISREG(st.st_mode);
}

static struct text_face *face_add(struct text_fonts *f, const char *file, int index)
{
    for (int i = 0; i < f->n_faces; i++)
        if (f->faces[i]->index == index && strcmp(f->faces[i]->file, file) == 0)
            return f->faces[i];
    if (f->n_faces == MAX_FACES) {
        log_warn("text: more than %d fonts wanted; %s not used", MAX_FACES, file);
        return NULL;
    }
    struct text_face *face = calloc(1, sizeof(*face));
    if (!face)
        return NULL;
    face->file = strdup(file);
    face->index = index;
    if (!face->file) {
        free(face);
        return NULL;
    }
    f->faces[f->n_faces++] = face;
    return face;
}

static void face_free(struct text_face *face)
{
    for (int i = 0; i < face->n_at; i++)
        TTF_CloseFont(face->at[i].font);
    free(face->file);
    free(face);
}

static float bitmap_scale(TTF_Font *font, int size)
{
    /* A bitmap font (NotoColorEmoji: one 109 px strike) comes in at its strike's size whatever
     * was asked: its runs are scaled down to about a line of text. */
    int fh = TTF_FontHeight(font);
    return fh > 2 * size ? (float)size * 1.17f / (float)fh : 1.0f;
}

TTF_Font *text_face_at(struct text_face *face, int size)
{
    for (int i = 0; i < face->n_at; i++)
        if (face->at[i].size == size)
            return face->at[i].font;
    /* A fallback face is opened once and resized: opening a large face (a 20 MB CJK .ttc) costs
     * milliseconds per size, resizing a fraction (its glyph cache is emptied, but strings are
     * shaped and rendered once, then drawn from the text cache). The primary face, used on every
     * screen, keeps one font per size. */
    if (!face->primary && face->n_at == 1) {
        if (TTF_SetFontSize(face->at[0].font, size) != 0) {
            log_error("can't size %s at %d px: %s", face->file, size, TTF_GetError());
            return NULL;
        }
        face->at[0].size = size;
        face->at[0].scale = bitmap_scale(face->at[0].font, size);
        return face->at[0].font;
    }
    TTF_Font *font = TTF_OpenFontIndex(face->file, size, face->index);
    if (!font) {
        log_error("can't open %s at %d px: %s", face->file, size, TTF_GetError());
        return NULL;
    }
    /* The theme uses a handful of sizes; if it ever uses more, recycle the last slot. */
    int slot = face->n_at < FACE_SIZES ? face->n_at++ : FACE_SIZES - 1;
    if (face->at[slot].font) {
        if (face->probe == face->at[slot].font)
            face->probe = NULL;
        TTF_CloseFont(face->at[slot].font);
    }
    face->at[slot].size = size;
    face->at[slot].font = font;
    face->at[slot].scale = bitmap_scale(font, size);
    if (!face->probe)
        face->probe = font;
    if (!face->em_line && size > 0)
        face->em_line = (int)((float)(TTF_FontAscent(font) - TTF_FontDescent(font)) *
                              face->at[slot].scale * 1000.0f / (float)size);
    return font;
}

float text_face_scale(struct text_face *face, int size)
{
    for (int i = 0; i < face->n_at; i++)
        if (face->at[i].size == size)
            return face->at[i].scale;
    return 1.0f;
}

bool text_face_has(struct text_face *face, uint32_t cp)
{
    if (!face->probe && !text_face_at(face, 32))
        return false;
    return TTF_GlyphIsProvided32(face->probe, cp) != 0;
}

const char *text_face_file(const struct text_face *face)
{
    return face->file;
}

bool text_face_is_primary(const struct text_face *face)
{
    return face->primary;
}

struct text_fonts *text_fonts_new(const char *font_path, char *err, size_t errlen)
{
    struct text_fonts *f = calloc(1, sizeof(*f));
    char *path = NULL;
    int index = 0;
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    path = font_path ? strdup(font_path) : primary_from_fontconfig(f, &index);
    if (!path) {
        snprintf(err, errlen, "no font found: install fonts-dejavu-core or pass --font FILE");
        goto fail;
    }
    if (font_path && !regular_file(path)) {
        snprintf(err, errlen, "font %s: not a regular file", path);
        goto fail;
    }
    struct text_face *primary = face_add(f, path, index);
    if (!primary) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    primary->primary = true;
    /* Open one size now so a bad font file is reported at start-up, not mid-draw. */
    if (!text_face_at(primary, 32)) {
        snprintf(err, errlen, "can't open font %s: %s", path, TTF_GetError());
        goto fail;
    }
    free(path);
    return f;
fail:
    free(path);
    text_fonts_free(f);
    return NULL;
}

void text_fonts_free(struct text_fonts *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_faces; i++)
        face_free(f->faces[i]);
    free(f);
}

struct text_face *text_fonts_primary(struct text_fonts *f)
{
    return f->faces[0];
}

const char *text_fonts_primary_path(const struct text_fonts *f)
{
    return f->faces[0]->file;
}

/* Asks fontconfig for the sans-serif Bold face (in lang, when given) covering the most of
 * cps[0..n), every one if it can: FcFontSort ranks by coverage, then family, lang and weight. */
static struct text_face *fc_find(struct text_fonts *f, const uint32_t *cps, size_t n,
                                 const char *lang, bool color)
{
    struct text_face *found = NULL;
    FcPattern *pat = NULL;
    FcCharSet *want = NULL;
    FcFontSet *set = NULL;
    if (!fc_init(f))
        return NULL;
    pat = FcNameParse((const FcChar8 *)"sans-serif:weight=bold");
    want = FcCharSetCreate();
    if (!pat || !want)
        goto fail;
    for (size_t i = 0; i < n; i++)
        FcCharSetAddChar(want, cps[i]);
    FcPatternAddCharSet(pat, FC_CHARSET, want);
    if (color) /* emoji: the color face first, where one is installed */
        FcPatternAddBool(pat, FC_COLOR, FcTrue);
    if (lang && *lang) {
        FcLangSet *ls = FcLangSetCreate();
        if (ls) {
            FcLangSetAdd(ls, (const FcChar8 *)lang);
            FcPatternAddLangSet(pat, FC_LANG, ls);
            FcLangSetDestroy(ls);
        }
    }
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    set = FcFontSort(NULL, pat, FcFalse, NULL, &res);
    if (!set)
        goto fail;
    FcChar32 total = FcCharSetCount(want), best = 0;
    FcChar8 *best_file = NULL;
    int best_index = 0;
    for (int i = 0; i < set->nfont && best < total; i++) {
        FcCharSet *has = NULL;
        FcChar8 *file = NULL;
        int index = 0;
        if (FcPatternGetCharSet(set->fonts[i], FC_CHARSET, 0, &has) != FcResultMatch ||
            FcPatternGetString(set->fonts[i], FC_FILE, 0, &file) != FcResultMatch)
            continue;
        if (FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, &index) != FcResultMatch)
            index = 0;
        FcChar32 got = FcCharSetIntersectCount(want, has);
        if (got > best) {
            best = got;
            best_file = file;
            best_index = index;
        }
    }
    if (best_file)
        found = face_add(f, (const char *)best_file, best_index);
    /* fontconfig's charset can claim a character the file then fails to open or map. */
    if (found && (!text_face_at(found, 32) || !text_face_has(found, cps[0])))
        found = NULL;
fail:
    if (set)
        FcFontSetDestroy(set);
    if (want)
        FcCharSetDestroy(want);
    if (pat)
        FcPatternDestroy(pat);
    return found;
}

int text_fonts_set_script(struct text_fonts *f, uint32_t script, const char *file)
{
    if (f->n_overrides == MAX_OVERRIDES || !regular_file(file))
        return -1;
    struct text_face *face = face_add(f, file, 0);
    if (!face || !text_face_at(face, 32))
        return -1;
    for (int i = 0; i < f->n_overrides; i++) {
        if (f->overrides[i].script == script) {
            f->overrides[i].face = face;
            return 0;
        }
    }
    f->overrides[f->n_overrides].script = script;
    f->overrides[f->n_overrides].face = face;
    f->n_overrides++;
    return 0;
}

struct text_face *text_fonts_for_script(struct text_fonts *f, uint32_t script, const char *lang,
                                        const uint32_t *cps, size_t n)
{
    struct text_face *primary = f->faces[0];
    for (int i = 0; i < f->n_overrides; i++) {
        if (f->overrides[i].script != script)
            continue;
        /* A character the theme's face lacks goes the usual way (the primary face, then
         * fontconfig), never to its .notdef. */
        bool has = true;
        for (size_t j = 0; j < n && has; j++)
            has = text_face_has(f->overrides[i].face, cps[j]);
        if (has)
            return f->overrides[i].face;
    }
    bool all = true;
    for (size_t i = 0; i < n && all; i++)
        all = text_face_has(primary, cps[i]);
    if (all)
        return primary;
    if (!lang)
        lang = "";
    for (int i = 0; i < f->n_scripts; i++)
        if (f->scripts[i].script == script && strcmp(f->scripts[i].lang, lang) == 0)
            return f->scripts[i].face;
    struct text_face *face = fc_find(f, cps, n, lang, false);
    if (f->n_scripts < MAX_SCRIPTS) {
        f->scripts[f->n_scripts].script = script;
        snprintf(f->scripts[f->n_scripts].lang, sizeof(f->scripts[0].lang), "%s", lang);
        f->scripts[f->n_scripts].face = face;
        f->n_scripts++;
    }
    if (face) {
        char tag[5];
        hb_tag_to_string(hb_script_to_iso15924_tag((hb_script_t)script), tag);
        tag[4] = '\0';
        log_debug("text: script %s%s%s drawn with %s", tag, *lang ? " lang " : "", lang,
                  face->file);
    }
    return face;
}

/* Code points no font can help with: private use, surrogates, noncharacters, unassigned, and
 * U+FFFD (what malformed UTF-8 decodes to). Asking fontconfig for each of them would let a
 * hostile title of many distinct ones hold the UI thread in FcFontSort. */
static bool no_font_helps(uint32_t cp)
{
    if (cp == 0xFFFD || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xE000 && cp <= 0xF8FF) ||
        cp >= 0xF0000 || (cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF))
        return true;
    return hb_unicode_general_category(hb_unicode_funcs_get_default(), cp) ==
           HB_UNICODE_GENERAL_CATEGORY_UNASSIGNED;
}

struct text_face *text_fonts_for_char(struct text_fonts *f, uint32_t cp)
{
    uint32_t block = (cp >> 7) + 1;
    for (int i = 0; i < f->n_blocks; i++)
        if (f->blocks[i].block == block && f->blocks[i].face &&
            text_face_has(f->blocks[i].face, cp))
            return f->blocks[i].face;
    size_t slot = cp % CHAR_CACHE;
    if (f->chars[slot].cp == cp + 1)
        return f->chars[slot].face;
    if (no_font_helps(cp))
        return NULL;
    bool emoji = (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF);
    struct text_face *face = fc_find(f, &cp, 1, NULL, emoji);
    f->chars[slot].cp = cp + 1;
    f->chars[slot].face = face;
    if (face) {
        int i = 0;
        while (i < f->n_blocks && f->blocks[i].block != block)
            i++;
        if (i == f->n_blocks && f->n_blocks < BLOCK_CACHE)
            f->n_blocks++;
        if (i < f->n_blocks) {
            f->blocks[i].block = block;
            f->blocks[i].face = face;
        }
    }
    return face;
}

void text_fonts_missing(struct text_fonts *f, uint32_t script, uint32_t cp)
{
    for (int i = 0; i < f->n_missing; i++)
        if (f->missing[i] == script)
            return;
    if (f->n_missing < MAX_MISSING)
        f->missing[f->n_missing++] = script;
    char tag[5];
    hb_tag_to_string(hb_script_to_iso15924_tag((hb_script_t)script), tag);
    tag[4] = '\0';
    log_warn("text: no installed font covers script %s (U+%04X first): it is drawn as %s's "
             "missing-glyph box; install its fonts (docs/oem.md, Fonts per language)",
             tag, (unsigned)cp, f->faces[0]->file);
}

int text_fonts_line_height(struct text_fonts *f, int size)
{
    struct text_face *primary = f->faces[0];
    TTF_Font *font = text_face_at(primary, size);
    int h = font ? TTF_FontLineSkip(font) : size;
    for (int i = 1; i < f->n_faces; i++) {
        if (!f->faces[i]->em_line)
            continue;
        int fh = (f->faces[i]->em_line * size + 999) / 1000;
        if (fh > h)
            h = fh;
    }
    return h;
}
