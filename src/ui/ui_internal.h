#ifndef BINGE_UI_INTERNAL_H
#define BINGE_UI_INTERNAL_H

/* Private to src/ui: the pieces the screens share. UI thread only. */

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

#include "binge/i18n.h"
#include "binge/theme.h"
#include "binge/ui.h"
#include "widgets.h"

struct text;
struct image_cache;

/* Theme: one place for colours and sizes, in logical pixels. The values come from the theme
 * (include/binge/theme.h, ui_set_theme) and live in struct ui, so these names read the `ui` in
 * scope: every drawing function has one. The safe area is per side, in the layout's terms: in an
 * RTL UI (mirrored) the layout's left is the screen's right, so the two are swapped
 * (ui_apply_safe_area). Default 5% of each side: 96 and 54 px. */
#define UI_SAFE_X (ui->safe[THEME_LEFT])
#define UI_SAFE_Y (ui->safe[THEME_TOP])
#define UI_SAFE_R (ui->safe[THEME_RIGHT])  /* the right margin */
#define UI_SAFE_B (ui->safe[THEME_BOTTOM]) /* the bottom margin */
#define UI_SAFE_W (UI_WIDTH - UI_SAFE_X - UI_SAFE_R)
#define UI_SAFE_H (UI_HEIGHT - UI_SAFE_Y - UI_SAFE_B)

#define ui_color_bg (ui->theme.colors[THEME_BACKGROUND])
#define ui_color_text (ui->theme.colors[THEME_TEXT])
#define ui_color_dim (ui->theme.colors[THEME_TEXT_DIM])
#define ui_color_soft (ui->theme.colors[THEME_TEXT_SOFT])
#define ui_color_accent (ui->theme.colors[THEME_ACCENT])
#define ui_color_card (ui->theme.colors[THEME_CARD])
#define ui_color_card_dim (ui->theme.colors[THEME_CARD_DIM])
#define ui_color_cell (ui->theme.colors[THEME_CELL])
#define ui_color_error (ui->theme.colors[THEME_ERROR])
#define ui_color_success (ui->theme.colors[THEME_SUCCESS])
#define ui_color_panel (ui->theme.colors[THEME_PANEL])
/* A focused row filled behind white text: darker than the accent for 4.5:1 (about 5:1). */
#define ui_color_focus (ui->theme.colors[THEME_FOCUS])
/* The panel made opaque, so the contrast of the text on it does not depend on what is behind. */
#define ui_color_panel_solid (ui_opaque(ui->theme.colors[THEME_PANEL]))
/* The scrims: the theme's shade (dark) or highlight (light) colour at alpha a. */
#define ui_shade(a) (ui_alpha(ui->theme.colors[THEME_SHADE], (a)))
#define ui_highlight(a) (ui_alpha(ui->theme.colors[THEME_HIGHLIGHT], (a)))
/* The corner radius of panels, buttons, pills and placeholders (0: square). */
#define UI_RADIUS (ui->theme.radius)

static inline SDL_Color ui_opaque(SDL_Color c)
{
    c.a = 255;
    return c;
}

static inline SDL_Color ui_alpha(SDL_Color c, Uint8 a)
{
    c.a = a;
    return c;
}

struct ui {
    SDL_Renderer *renderer;
    struct text *text;
    struct image_cache *images;
    SDL_Texture *video;
    Uint32 video_format;
    int video_w, video_h;   /* texture size */
    int video_dw, video_dh; /* display size after the pixel aspect ratio */
    bool video_has_frame;
    bool video_external; /* drawn by a plane sink, not through ui->video */
    /* The blurred poster behind pillarboxed video, made once per poster. */
    SDL_Texture *backdrop;
    char *backdrop_url;
    /* Home's hero: the fade that lays its backdrop into the background (screens/home.c). */
    SDL_Texture *hero_fade;
    /* Home's cards: the dark gradient their titles read over (screens/home.c). */
    SDL_Texture *card_shade;
    /* ... and the backdrop itself (poster, dim, fade) composed at the output size, copied 1:1
     * each frame while hero_key (poster URL and size) stays the same. */
    SDL_Texture *hero_layer;
    char hero_key[600];
    /* What is behind pillarboxed video (backdrop, dim, side panel), drawn once per episode at
     * the output size and copied 1:1 under each frame; layer_key says what it shows. */
    SDL_Texture *layer;
    char layer_key[640];
    /* The series page behind its buttons and grid (backdrop, poster, title, facts, synopsis),
     * composed at the output size and copied 1:1 each frame while series_key stays the same. */
    SDL_Texture *series_layer;
    char series_key[64];
    /* The software renderer keeps what was drawn between presents, so a new video frame under
     * an unchanged screen needs only the picture drawn: clean says the last player frame had
     * nothing over the picture, drawn at clean_key (the pillars' key, video rectangle). */
    bool software;
    bool clean;
    char clean_key[640];
    /* The last QR code drawn, kept while its text stays the same. */
    SDL_Texture *qr;
    char *qr_text;
    int qr_modules;
    /* Right-to-left (ui_set_rtl): the layout is mirrored. mirror is what the drawing functions
     * apply now: rtl, except while something is composed into a texture of its own size. */
    bool rtl;
    bool mirror;
    /* The theme (ui_set_theme), the safe area in the layout's pixels per side (enum theme_side;
     * swapped in an RTL UI), as asked in hundredths of a percent (-1: 5%), and the logo. */
    struct theme theme;
    int safe[4];
    int safe_bp[4];
    SDL_Texture *logo;
    int logo_w, logo_h;
};

/* ui.c: the mirror of an RTL UI. Views lay out left to right in 1920x1080; in an RTL UI every
 * x is mirrored where it is drawn (x -> UI_WIDTH - x - w): ui_fill (and so frames, gradients,
 * spinners and progress bars, which fill from the right), text anchors (text_draw: LEFT <->
 * RIGHT about the mirrored point, so text keeps its reading direction), pictures (ui_copy:
 * placed mirrored, never flipped) and clip rectangles (ui_clip). Opt-outs, drawn with the plain
 * (ui_copy_unmirrored): the video (centred, its picture never flipped); what is composed into a
 * texture of its own coordinates pauses the mirror (ui_mirror_pause). Full-screen copies (a NULL
 * rectangle) are the same either way. The QR code goes through ui_copy: placed mirrored, its
 * modules as encoded. scripts/check-boundaries keeps views from copying to a rectangle or
 * clipping with the plain SDL calls. UI thread only. */
SDL_Rect ui_mirror(const struct ui *ui, SDL_Rect r);
/* A text anchor: x mirrored, LEFT and RIGHT swapped (CENTER stays). */
void ui_mirror_anchor(const struct ui *ui, int *x, int *align);
/* Copies a picture (a poster, a thumbnail, the QR code) to dst, mirrored as a rectangle, its
 * pixels never flipped. src may be NULL (the whole texture). */
void ui_copy(struct ui *ui, SDL_Texture *tex, const SDL_Rect *src, SDL_Rect dst);
/* The same for a directional picture (a fade, a gradient towards the text): mirrored as a
 * rectangle and flipped horizontally in an RTL UI. */
void ui_copy_directional(struct ui *ui, SDL_Texture *tex, const SDL_Rect *src, SDL_Rect dst);
/* The opt-out: the video, copied where dst says whatever the direction. */
void ui_copy_unmirrored(struct ui *ui, SDL_Texture *tex, const SDL_Rect *src, SDL_Rect dst);
/* SDL_RenderSetClipRect with the rectangle mirrored; NULL clears it. */
void ui_clip(struct ui *ui, const SDL_Rect *r);
/* Stops mirroring (for drawing into a texture with coordinates of its own); returns what to
 * hand ui_mirror_resume. */
bool ui_mirror_pause(struct ui *ui);
void ui_mirror_resume(struct ui *ui, bool was);

/* ui.c: the safe area in layout pixels from safe_bp and the direction. */
#define UI_SAFE_DEFAULT_BP 500 /* 5% */
void ui_apply_safe_area(struct ui *ui);
/* The logo's bounds: a small PNG, decoded once at ui_set_theme. */
#define UI_LOGO_MAX_BYTES (1u << 20)
#define UI_LOGO_MAX_PIXELS (1024u * 1024u)

/* screens/player.c: the blurred poster, shared with the paywall. */
SDL_Texture *ui_backdrop(struct ui *ui, const char *poster_url);
/* Draws the blurred, dimmed poster over the whole screen, or plain background without one. */
void ui_draw_backdrop(struct ui *ui, const char *poster_url);

/* text.c: every script legible. Each string is cut into runs by script and bidi level, each
 * run drawn with a face that has its glyphs (the primary face first: --font or fontconfig's
 * sans-serif Bold; then per script the face fontconfig finds) and shaped by HarfBuzz; the runs
 * are put in visual order (FriBidi). Rendered strings are cached as textures (text_internal.h
 * has the pieces). UI thread only. */
struct text *text_new(const char *font_path, char *err, size_t errlen);
void text_free(struct text *text);
const char *text_font_path(const struct text *text);
/* A theme's font file for a script (font.arabic = FILE), ahead of fontconfig's choice and of the
 * primary face. A file that can't be opened or lacks the script is logged and not used. */
void text_set_script_font(struct text *text, enum theme_font script, const char *file);
/* An RTL UI (ar, he): a paragraph with any Arabic or Hebrew letter, or with no letter at all,
 * is right to left ("OK <Arabic>" too); Latin-only text stays left to right. In an LTR UI (the
 * default) each paragraph's first strong character decides. */
void text_set_rtl(struct ui *ui, bool rtl);
enum text_align {
    TEXT_LEFT = 0,
    TEXT_CENTER = 1,
    TEXT_RIGHT = 2,
};
/* Draws s at (x, y) top edge, aligned on x; clipped with an ellipsis to max_w (0 = no limit).
 * Returns the drawn width. */
int text_draw(struct ui *ui, const char *s, int size, SDL_Color color, int x, int y,
              enum text_align align, int max_w);
/* Draws s word-wrapped into max_w, at most max_lines lines (the last one ends in an ellipsis
 * only when the text needs more). Returns the height used. */
int text_draw_wrapped(struct ui *ui, const char *s, int size, SDL_Color color, int x, int y,
                      int max_w, int max_lines);
#define TEXT_LINE_MAX 512
#define TEXT_MAX_LINES 12
/* Splits s into lines no wider than max_w at size: at '\n', and at the line-break opportunities
 * of UAX #14 (spaces, after hyphens, between CJK ideographs) and between Thai words (libthai's
 * dictionary); inside a word only when the word alone is wider than a line (at a character
 * boundary). Nothing is cut or ellipsized: the lines joined give s back (less the spaces at the
 * breaks). Writes at most max_lines lines; *complete (may be NULL) turns false when s needed
 * more. Returns the count. */
int text_wrap(struct ui *ui, const char *s, int size, int max_w, char (*lines)[TEXT_LINE_MAX],
              int max_lines, bool *complete);
/* Draws n lines from (x, y) down, each aligned on x. Returns the height used. */
int text_draw_lines(struct ui *ui, char (*lines)[TEXT_LINE_MAX], int n, int size, SDL_Color color,
                    int x, int y, enum text_align align);
/* The distance between two lines of text at size: the primary face's line skip, or more when a
 * face used so far (Thai, Arabic, CJK) needs more room for its ascent and descent. */
int text_line_height(struct ui *ui, int size);
/* Measures s at size; returns 0 or a negative code. */
int text_measure(struct ui *ui, const char *s, int size, int *w, int *h);

/* image.c */
#define IMAGE_MAX_FILE_BYTES (8u << 20)
#define IMAGE_MAX_PIXELS (4096u * 4096u) /* checked in the header, before decoding */
#define IMAGE_DRAW_W 300                 /* pictures are scaled down to fit this box */
#define IMAGE_DRAW_H 450
#define IMAGE_CACHE_BYTES (64u << 20) /* decoded pixels kept as textures */
#define IMAGE_CACHE_ENTRIES 4096      /* entries, with or without a texture */
/* The size in a PNG's IHDR or a JPEG's first SOFn, without decoding. Returns 0, or -1 for
 * anything else (then *format says what it looked like). Any thread. */
int image_probe(const void *data, size_t len, int *w, int *h, const char **format);
/* Probes, refuses what is over the limits, decodes and scales down to fit IMAGE_DRAW_W x
 * IMAGE_DRAW_H. Returns an ARGB8888 surface (transfer full) or NULL with the reason in why. Any
 * thread (the worker). */
SDL_Surface *image_decode(const void *data, size_t len, char *why, size_t whylen);
/* max_bytes 0 = IMAGE_CACHE_BYTES. */
struct image_cache *image_cache_new(void (*wake)(void *data), void *data, size_t max_bytes);
bool image_cache_wanted(struct image_cache *cache);
void image_cache_stats(const struct image_cache *cache, struct ui_image_stats *out);
void image_cache_free(struct image_cache *cache);
SDL_Texture *image_cache_texture(struct image_cache *cache, const char *url);
enum ui_image_state image_cache_state(struct image_cache *cache, const char *url);
void image_cache_mark_pending(struct image_cache *cache, const char *url);
void image_cache_submit(struct image_cache *cache, const char *url, char *bytes, size_t len);
void image_cache_fail(struct image_cache *cache, const char *url);
bool image_cache_pump(struct image_cache *cache, SDL_Renderer *renderer);

/* widgets.c: see widgets.h */

/* Notes a string the text engine draws this frame (src/ui/strings.c). */
void ui_strings_note(const char *s);
/* A cached layer (the player's pillars): the strings drawn into it between
 * ui_strings_layer(true) and ui_strings_layer(false) are noted again by
 * ui_strings_layer_copied(), each frame that copies the layer to the screen. */
void ui_strings_layer(bool composing);
void ui_strings_layer_copied(void);

#endif
