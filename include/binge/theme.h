#ifndef BINGE_THEME_H
#define BINGE_THEME_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Branding without patching: a theme file (assets/themes/<name>.theme, installed under
 * ${datadir}/binge/themes/) sets the name shown, the logo, the colours, the fonts per script, the
 * corner radius and the safe area. The defaults (theme_default, and assets/themes/default.theme
 * which spells them out) are binge's own look; docs/oem.md, "Branding", lists the keys.
 *
 * Format: `key = value` lines; '#' starts a comment line; blank lines are skipped; '-' and '_' are
 * the same in keys. Bounded: THEME_FILE_MAX bytes, THEME_LINE_MAX bytes a line. An unknown key is
 * reported once per key; a bad value is reported with file:line and the key keeps the value it
 * had (the default). Relative paths (logo, fonts) are taken from the theme file's directory.
 *
 * Threading: the parser is pure (no SDL calls, no globals): any thread. theme_load does file I/O
 * and is meant for start-up on the main thread.
 * Ownership: struct theme is a plain value (no pointers inside); copy it freely. */

#define THEME_FILE_MAX (64 * 1024)
#define THEME_LINE_MAX 1024
#define THEME_NAME_MAX 64 /* bytes of the brand name, with its NUL */
#define THEME_PATH_MAX 1024
#define THEME_RADIUS_MAX 48    /* logical pixels (1920x1080) */
#define THEME_SAFE_MAX_BP 1000 /* 10% of a side, in hundredths of a percent */

/* The colours. The "dim" variants are the ones drawn for what is not focused or less important:
 * text_dim (secondary text, unfocused labels), card_dim (a locked episode's cell), and focus is
 * the accent's dark variant (the fill behind white text on a focused button, 4.5:1). */
enum theme_color {
    THEME_BACKGROUND = 0, /* background: what every screen is cleared to */
    THEME_PANEL,          /* panel: panels and dialogs over a screen (may be translucent) */
    THEME_CARD,           /* card: poster placeholders, unfocused buttons and pills */
    THEME_CARD_DIM,       /* card_dim: a locked episode's cell */
    THEME_CELL,           /* cell: an episode's cell on the series page */
    THEME_TEXT,           /* text */
    THEME_TEXT_DIM,       /* text_dim: secondary text */
    THEME_TEXT_SOFT,      /* text_soft: the hero's meta line and synopsis, over artwork */
    THEME_ACCENT,         /* accent: the brand colour, focus frames, progress, titles */
    THEME_FOCUS,          /* focus: the fill of a focused button (accent_dim) */
    THEME_ERROR,          /* error */
    THEME_SUCCESS,        /* success: free episodes, credits */
    THEME_SHADE,          /* shade: the scrims under text over pictures (alpha per use) */
    THEME_HIGHLIGHT,      /* highlight: the light scrims (tags, bar tracks; alpha per use) */
    THEME_N_COLORS,
};

/* Scripts a theme may give a font file of its own, ahead of fontconfig's choice (the key is
 * font.<name>). font.latin is the primary face: the UI and every Latin string, as --font (which
 * wins over it). */
enum theme_font {
    THEME_FONT_LATIN = 0,
    THEME_FONT_ARABIC,
    THEME_FONT_HEBREW,
    THEME_FONT_THAI,
    THEME_FONT_DEVANAGARI,
    THEME_FONT_CYRILLIC,
    THEME_FONT_GREEK,
    THEME_FONT_HAN,
    THEME_FONT_KANA, /* Hiragana and Katakana */
    THEME_FONT_HANGUL,
    THEME_N_FONTS,
};

/* The sides of the safe area. */
enum theme_side { THEME_LEFT = 0, THEME_TOP, THEME_RIGHT, THEME_BOTTOM };

struct theme {
    char name[THEME_NAME_MAX]; /* the brand, drawn where the app shows its name; "binge" */
    char logo[THEME_PATH_MAX]; /* a PNG drawn in place of the name; "" for none */
    SDL_Color colors[THEME_N_COLORS];
    char fonts[THEME_N_FONTS][THEME_PATH_MAX]; /* "" = fontconfig's choice */
    int radius;                                /* corners of panels, buttons, cards; 0 square */
    /* Per side (enum theme_side), in hundredths of a percent of the width or height; -1 where
     * the theme says nothing (then the platform's, else 5%). */
    int safe_bp[4];
};

/* binge's own look: the name "binge", no logo, its colours, fontconfig's fonts, square corners,
 * no safe area of its own. */
void theme_default(struct theme *t);

/* Reads a theme text (len bytes, need not be NUL-terminated) into t, over what t holds (start
 * from theme_default). name stands for the file in messages ("name:line: ..."); base_dir, when
 * not NULL, is prefixed to relative paths. Messages go to err (may be NULL).
 * Returns 0 when every line was good; BINGE_EINVAL when a line was reported (the good lines are
 * applied all the same), or when the text is over THEME_FILE_MAX or holds a NUL (nothing is
 * applied then). */
int theme_parse_buffer(struct theme *t, const char *text, size_t len, const char *name,
                       const char *base_dir, FILE *err);

/* Where a theme called spec lives: spec itself when it names a file (has a '/' or ends in
 * ".theme"), else <themes dir>/<spec>.theme, the themes dir being $BINGE_THEMEDIR, else the
 * source tree's assets/themes when this binary runs from its build tree, else the installed
 * ${datadir}/binge/themes. A name is letters, digits, '-', '_' and '.' only. Returns 0 or
 * BINGE_EINVAL (a bad name) with the path in out. */
int theme_path(const char *spec, char *out, size_t outlen);

/* theme_default, then the theme spec (theme_path) when spec is not NULL. Returns 0,
 * BINGE_EINVAL (lines reported, the good ones applied) or BINGE_EIO / BINGE_ENOTFOUND /
 * BINGE_ETOOBIG (the file could not be read: t stays the default). Messages go to err. */
int theme_load(struct theme *t, const char *spec, FILE *err);

/* Parses a safe area: one percentage for every side ("5", "2.5%") or four, left top right bottom
 * ("5 3 5 3"), each 0..10 with at most two decimals. Writes hundredths of a percent per side
 * (enum theme_side). Returns 0 or BINGE_EINVAL. */
int theme_parse_safe_area(const char *s, int bp[4]);

/* The key name of a colour / font ("accent", "arabic"), for messages and docs. */
const char *theme_color_name(enum theme_color c);
const char *theme_font_name(enum theme_font f);

#endif
