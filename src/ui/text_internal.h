#ifndef BINGE_TEXT_INTERNAL_H
#define BINGE_TEXT_INTERNAL_H

/* Private to src/ui/text*.c and their unit tests: the pieces of the text engine.
 *
 *   text_font.c    faces: the primary face, the fallback faces fontconfig finds per script or
 *                  per character, each opened once per (file, index, size)
 *   text_layout.c  a string cut into runs by script (UAX #24), bidi level (FriBidi) and face,
 *                  shaped by SDL_ttf's HarfBuzz and put in visual order
 *   text_break.c   where a line may break: UAX #14 (libunibreak), Thai words (libthai)
 *   text.c         the API the views use (ui_internal.h): measure, draw, wrap, the caches
 *
 * Threading: everything here belongs to the UI thread (SDL_ttf faces carry per-call state:
 * direction and script are set before each run is measured or drawn). */

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct text;

/* ---- text_font.c ---- */

/* One font file (and face index inside a .ttc), opened at the sizes asked for. */
struct text_face;

/* The face set: owns every face. font_path NULL = fontconfig's sans-serif Bold. Returns NULL
 * with the reason in err. */
struct text_fonts *text_fonts_new(const char *font_path, char *err, size_t errlen);
void text_fonts_free(struct text_fonts *f);
const char *text_fonts_primary_path(const struct text_fonts *f);
struct text_face *text_fonts_primary(struct text_fonts *f);
/* The face for the letters of a run of script (an hb_script_t) whose characters are cps[0..n):
 * the primary face when it has all of them, else the face fontconfig finds for the script (in
 * lang, e.g. "ja" for Han in a Japanese string), cached per (script, lang). NULL when no
 * installed face covers the script: then the caller draws the primary face's .notdef and the
 * missing coverage is logged once per script. */
struct text_face *text_fonts_for_script(struct text_fonts *f, uint32_t script, const char *lang,
                                        const uint32_t *cps, size_t n);
/* A font file for the runs of script (an hb_script_t), asked before the primary face and
 * fontconfig: a theme's font.<script>. A run the file does not fully cover goes the usual way.
 * Returns 0, or -1 when the file can't be opened (nothing changes then). */
int text_fonts_set_script(struct text_fonts *f, uint32_t script, const char *file);
/* The face for one character no face of its run has (an emoji in a Latin title): cached per
 * block of 128 code points, checked per character. NULL when none has it. */
struct text_face *text_fonts_for_char(struct text_fonts *f, uint32_t cp);
/* The face at size (pixels); NULL when the file can't be opened at that size. A fallback face
 * is one font resized on demand: use the answer before asking the face for another size. */
TTF_Font *text_face_at(struct text_face *face, int size);
bool text_face_has(struct text_face *face, uint32_t cp);
/* What the face's glyphs are scaled by at size (after text_face_at): 1, or less for a bitmap
 * face whose fixed strike is larger than size (color emoji). */
float text_face_scale(struct text_face *face, int size);
const char *text_face_file(const struct text_face *face);
bool text_face_is_primary(const struct text_face *face);
/* The tallest line any face used so far needs at size: max(ascent + descent) of the faces
 * opened so far, scaled to size, and never less than the primary face's line skip. */
int text_fonts_line_height(struct text_fonts *f, int size);
/* How many strings text_layout has laid out and shaped (tests: an unchanged frame shapes
 * nothing). */
unsigned long *text_fonts_layouts(struct text_fonts *f);
/* Logs, once per script, that no installed face covers it. */
void text_fonts_missing(struct text_fonts *f, uint32_t script, uint32_t cp);

/* ---- text_layout.c ---- */

#define TEXT_MAX_RUNS 96

struct text_run {
    size_t start, len;      /* bytes of the logical string */
    uint32_t script;        /* hb_script_t, after Common/Inherited joined their neighbours */
    int level;              /* bidi embedding level: odd = right to left */
    struct text_face *face; /* the face that draws it (primary's .notdef when none covers) */
    int w;                  /* shaped advance, pixels */
    int baseline;           /* rows of SDL_ttf's surface for the run above its baseline */
};

struct text_layout {
    struct text_run runs[TEXT_MAX_RUNS]; /* in visual order, left to right */
    int n;
    int w;               /* sum of the runs' widths: the width text_render draws */
    int ascent, descent; /* the largest of the faces used, pixels (descent positive) */
    bool rtl;            /* the paragraph's base direction */
};

/* The paragraph's base direction. AUTO_LTR (an LTR UI): its first strong character decides,
 * left to right without one. AUTO_RTL (an RTL UI): right to left when it has any Arabic or
 * Hebrew letter or no strong character at all; left to right for Latin-only text. */
enum text_base {
    TEXT_BASE_AUTO_LTR = 0,
    TEXT_BASE_AUTO_RTL = 1,
};

/* Decodes UTF-8 into code points (invalid bytes become U+FFFD); offs[i] is the byte offset of
 * cps[i]. Returns the count; cps and offs hold at least strlen(s) + 1 entries. */
size_t text_utf8_decode(const char *s, uint32_t *cps, size_t *offs);
/* The UAX #24 script of each code point, Common and Inherited resolved to the script of the run
 * around them (the one before, or at the start the first one after). */
void text_scripts(const uint32_t *cps, size_t n, uint32_t *scripts);
/* Cuts s into runs and shapes them at size. Returns 0 or a negative BINGE_E* code. */
int text_layout(struct text_fonts *f, const char *s, int size, enum text_base base,
                struct text_layout *out);
/* Renders a layout of s into a new ARGB surface (w x ascent+descent); NULL for an empty one. */
SDL_Surface *text_layout_render(const struct text_layout *l, const char *s, int size,
                                SDL_Color color);

/* ---- text_break.c ---- */

enum text_brk {
    TEXT_BRK_NO = 0,    /* no break before this byte */
    TEXT_BRK_ALLOW = 1, /* a line may start here */
    TEXT_BRK_MUST = 2,  /* a line starts here ('\n' before) */
};
/* For each byte of s (len bytes), whether a line may start there: UAX #14 through libunibreak,
 * with Thai words found by libthai's dictionary. brk holds len entries; brk[0] is NO. */
void text_breaks(const char *s, size_t len, unsigned char *brk);

/* Where a single-line field may be cut for its ellipsis: the byte offsets in (0, len) that start
 * a character, but not a combining mark (a Thai vowel or tone mark, Arabic harakat, a variation
 * selector) nor what follows a zero-width joiner, so nothing is taken off its base. cuts holds
 * len entries. Returns the count. */
size_t text_cut_points(const char *s, size_t len, size_t *cuts);

/* ---- text.c ---- */

/* s rendered as text_draw draws it (tests compare its width with text_measure). */
SDL_Surface *text_render_surface(struct text *t, const char *s, int size, SDL_Color color);
struct text_fonts *text_fonts_of(struct text *t);

#endif
