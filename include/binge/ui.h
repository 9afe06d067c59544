#ifndef BINGE_UI_H
#define BINGE_UI_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binge/catalog.h"
#include "binge/player.h"

/* Screens, widgets, text, theme and the image cache. ui/ draws the model it is given and keeps
 * only drawing resources (fonts, textures); the app owns all state. It never includes GStreamer
 * or curl headers, and never does network I/O: the app fetches poster bytes and hands them over.
 *
 * Everything is drawn in a 1920x1080 logical space; the safe area (5% of each side by
 * default; ui_set_safe_area) is respected.
 *
 * Threading: every function runs on the UI thread, except that the image decode worker (a thread
 * owned by struct ui) calls wake(data) when decoded posters are ready; the app then calls
 * ui_image_pump on the UI thread, which is the only place surfaces become textures.
 * Ownership: struct ui is transfer full from ui_new, freed with ui_free (NULL ok). It borrows the
 * renderer, which must outlive it. Views are borrowed for the duration of a draw call. */

struct ui;

#define UI_WIDTH 1920
#define UI_HEIGHT 1080

/* font_path: a TTF/OTF file, or NULL to ask fontconfig for a bold sans font.
 * Returns NULL with a message in err when no font can be opened. */
struct ui *ui_new(SDL_Renderer *renderer, const char *font_path, void (*wake)(void *data),
                  void *data, char *err, size_t errlen);
void ui_free(struct ui *ui);

/* The font file in use (for the log). */
const char *ui_font_path(const struct ui *ui);

/* --- Theme (include/binge/theme.h) ---
 * Applies a theme: its colours, corner radius and fonts per script, and its logo, decoded here
 * once (a PNG of at most 1 MiB and 1 Mpixel; anything else is logged and the name is drawn in its
 * place). The primary face is ui_new's font_path (the app passes --font, else the theme's
 * font.latin). Call before drawing; theme is copied. */
struct theme;
void ui_set_theme(struct ui *ui, const struct theme *theme);
/* The safe area the views keep inside, per side (left, top, right, bottom as on the screen), in
 * hundredths of a percent of the width or height, 0..1000; -1 or bp NULL: 5%. The app resolves
 * the precedence (--safe-area > the theme > the platform's > 5%). */
void ui_set_safe_area(struct ui *ui, const int bp[4]);
/* The brand name shown ("binge" by default; the theme's name): for the window title, the HDMI-CEC
 * OSD name and anything else that names the product. Valid while ui lives. */
const char *ui_brand_name(const struct ui *ui);
/* True when the theme's logo decoded and is drawn in place of the name. */
bool ui_logo_drawn(const struct ui *ui);

/* Right-to-left: with rtl, everything drawn after the call is laid out mirrored, as Android TV
 * does for Arabic or Hebrew: rows start on the right, text sits on the right, progress bars fill
 * from the right, the player's side panel is on the other pillar. Text keeps its glyphs (the
 * text engine orders them), pictures are placed mirrored but never flipped, and the video is
 * not mirrored. The app swaps LEFT and RIGHT itself (app_visual_action). Default false. */
void ui_set_rtl(struct ui *ui, bool rtl);
bool ui_is_rtl(const struct ui *ui);

/* --- Images (posters), keyed by URL. ---
 * An LRU bounded in bytes of decoded pixels (64 MiB), with a hash index. The decode worker
 * checks the PNG or JPEG header before decoding and refuses a picture over 16 Mpixel (a
 * "decompression bomb": a tiny file, a huge picture) or over 8 MiB, then scales it down to fit
 * 300x450 (the drawn poster size) before the UI thread makes it a texture. A refused picture is
 * FAILED (drawn as a placeholder, logged once, not retried). */
enum ui_image_state {
    UI_IMAGE_UNKNOWN = 0, /* never seen, or wanted again: fetch it and call ui_image_submit */
    UI_IMAGE_PENDING = 1, /* fetch or decode under way */
    UI_IMAGE_READY = 2,
    UI_IMAGE_FAILED = 3,  /* fetch or decode failed, or refused; drawn as a titled placeholder */
    UI_IMAGE_EVICTED = 4, /* dropped for room; UNKNOWN again once something tries to draw it */
};
enum ui_image_state ui_image_state(struct ui *ui, const char *url);
/* True (once) when a draw asked for an evicted picture since the last call: the app should look
 * for UNKNOWN pictures again. */
bool ui_image_wanted(struct ui *ui);
struct ui_image_stats {
    uint64_t submitted; /* handed to the worker */
    uint64_t decoded;   /* became textures */
    uint64_t refused;   /* over a limit, or not decodable */
    uint64_t evictions; /* textures dropped for room */
    size_t bytes;       /* pixels held now */
    size_t entries;
};
void ui_image_stats(struct ui *ui, struct ui_image_stats *out);
/* Marks url as being fetched so it is not fetched twice. */
void ui_image_mark_pending(struct ui *ui, const char *url);
/* Hands encoded bytes (PNG/JPEG) to the decode worker. bytes: transfer full (free()d by ui). */
void ui_image_submit(struct ui *ui, const char *url, char *bytes, size_t len);
void ui_image_fail(struct ui *ui, const char *url);
/* Turns decoded posters into textures. Returns true when something new can be drawn. */
bool ui_image_pump(struct ui *ui);

/* --- Video --- */
/* Uploads a frame into the video texture (I420 or NV12, no software conversion).
 * Returns 0 or BINGE_EINVAL / BINGE_EMEDIA (texture creation or upload failed). */
int ui_video_upload(struct ui *ui, const struct player_frame *frame);
/* Forgets the current picture (the next player screen starts without stale video). */
void ui_video_clear(struct ui *ui);
bool ui_video_has_frame(const struct ui *ui);
/* The video is drawn by someone else (the "plane" output: a GStreamer sink on its own window or
 * plane) at width x height: the player screen lays it out as if it were its own, draws around
 * it and leaves its rectangle clear (transparent black) for the sink. ui_video_clear ends it. */
void ui_video_elsewhere(struct ui *ui, int width, int height);
/* Where the video goes, in window pixels (after the logical scaling), for the plane sink.
 * Returns false while there is no video on the player screen. */
bool ui_video_window_rect(struct ui *ui, int *x, int *y, int *w, int *h);

/* --- Focus: a 2-D grid of focusable cells, kept by the app, drawn by a view ---
 * Pure logic (no SDL, no drawing): a screen's controller keeps one in its state, moves it with
 * the D-pad, and hands row/col to its view. Rows may differ in length (home's shelves, an episode
 * grid's last row, an on-screen keyboard). Each row remembers the column it was left on, so
 * coming back to a row (UP then DOWN) lands where the viewer was.
 * Threading: none of its own; the caller's (the UI thread). Ownership: plain value, no
 * allocation; copy it freely. */
#define UI_GRID_MAX_ROWS 128
enum ui_grid_flags {
    UI_GRID_WRAP_COLS = 1u << 0,   /* RIGHT on a row's last cell goes to its first, and back */
    UI_GRID_WRAP_ROWS = 1u << 1,   /* DOWN on the last row goes to the first, and back */
    UI_GRID_FLOW = 1u << 2,        /* RIGHT on a row's last cell goes to the next row's first, LEFT
                                      on a first cell to the previous row's last (text order) */
    UI_GRID_SAME_COLUMN = 1u << 3, /* UP/DOWN keep the column (clamped to the row), as in a
                                      keyboard or an episode grid; without it a row comes back
                                      to its remembered column, as in carousels */
    UI_GRID_SKIP_EMPTY = 1u << 4,  /* UP/DOWN pass over rows with no cells */
};
struct ui_focus_grid {
    unsigned flags;                      /* enum ui_grid_flags */
    size_t n_rows;                       /* at most UI_GRID_MAX_ROWS */
    size_t cols[UI_GRID_MAX_ROWS];       /* cells in each row; 0 = an empty row */
    size_t remembered[UI_GRID_MAX_ROWS]; /* the column last focused in each row */
    size_t row, col;                     /* the focus; col is 0 on an empty row */
};
/* An empty grid (no rows) with flags. */
void ui_grid_init(struct ui_focus_grid *g, unsigned flags);
/* Sets the rows' lengths (n_rows over UI_GRID_MAX_ROWS are dropped). The focus and each row's
 * remembered column are kept when still inside, else clamped, so new data under the focus (a
 * refreshed home) does not throw the viewer back to the start. */
void ui_grid_set_rows(struct ui_focus_grid *g, const size_t *cols, size_t n_rows);
/* Moves the focus by drow rows and dcol columns (each -1, 0 or 1; a D-pad press) under the
 * grid's rules. Returns true when the focus changed. */
bool ui_grid_move(struct ui_focus_grid *g, int drow, int dcol);
/* Puts the focus on (row, col), clamped; the row remembers col. */
void ui_grid_focus(struct ui_focus_grid *g, size_t row, size_t col);
/* The column the focus shows in row (the focused column in the focused row, else the row's
 * remembered one): what a view draws as that row's selected cell. */
size_t ui_grid_col_of(const struct ui_focus_grid *g, size_t row);

/* --- Widgets drawn over any screen --- */
/* A short confirmation ("Audio: Español", "+20 coins"), top right inside the safe area, on a
 * panel; one line, cut to 900 px. The app decides how long it stays (APP_TOAST_MS). */
void ui_draw_toast(struct ui *ui, const char *text);
/* The strings drawn in the last frame that drew text, one a line ("\n" after each), for the
 * automation's `state strings`; ui_strings_frame starts a frame (app_render calls it first).
 * UI thread; the text is valid until the next frame. */
void ui_strings_frame(struct ui *ui);
const char *ui_drawn_strings(const struct ui *ui);

/* A question over the screen below (dimmed): a title, a wrapped detail, and buttons stacked
 * under it, one focused. "Exit binge?" with "Exit" and "Stay". */
#define UI_DIALOG_MAX_BUTTONS 4
struct ui_dialog_view {
    const char *title;
    const char *detail; /* wrapped, never cut; may be NULL */
    const char *buttons[UI_DIALOG_MAX_BUTTONS];
    size_t n_buttons;
    size_t focus;
    const char *hint; /* under the buttons, e.g. "OK to exit, BACK to stay"; may be NULL */
};
void ui_draw_dialog(struct ui *ui, const struct ui_dialog_view *view);

/* --- Screens --- */
#define UI_HOME_BAR_MAX 6
struct ui_home_view {
    /* The top bar above the shelves ("Search", "Wallet", "Settings"); bar_focused: the focus is
     * on bar[bar_focus], not on a card. */
    const char *const *bar;
    size_t n_bar;
    bool bar_focused;
    size_t bar_focus;
    const struct catalog_home *home; /* NULL while nothing has loaded */
    size_t focus_shelf;
    const size_t *focus_item;  /* per shelf, home->n_shelves entries */
    const char *status_title;  /* centred when home is NULL, else a banner; may be NULL */
    const char *status_detail; /* may be NULL */
    const char *header_right;  /* wallet and account, top right; may be NULL */
    bool busy;                 /* show a spinner */
    bool status_is_error;
    int64_t now_ms; /* drives animations */
    /* The hero: the focused card (or the last one, while the bar has the focus) over a large
     * backdrop from its poster, with its title, genres, two lines of synopsis and hero_meta
     * ("42 episodes · 5 free · 1 h 12 min"). May be NULL. */
    const struct catalog_item *hero;
    const char *hero_meta;
    /* The focus moving from (from_shelf, from_item) to (focus_shelf, focus_item[focus_shelf]):
     * anim is the eased progress, 0 at the start, 1 at rest (the rows then lie where the focus
     * puts them). */
    size_t from_shelf, from_item;
    float anim;
};
void ui_draw_home(struct ui *ui, const struct ui_home_view *view);

/* The episode strip over the player: the episodes of the series in a row, one focused. */
struct ui_episode_strip_view {
    const struct catalog_series *series;
    size_t focus; /* position in series->episodes */
    int playing;  /* the index of the episode playing, 0 for none */
};
void ui_draw_episode_strip(struct ui *ui, const struct ui_episode_strip_view *view);

struct ui_player_view {
    const char *series_title;
    const char *poster_url; /* shown dimmed while the video loads */
    int episode_index;      /* 1-based, 0 when unknown */
    int episode_count;
    enum player_state state;
    int64_t position_ms;       /* -1 when unknown */
    int64_t duration_ms;       /* -1 when unknown */
    bool overlay;              /* title, episode and progress bar */
    bool busy;                 /* spinner (loading, buffering, fetching the next episode) */
    const char *busy_text;     /* e.g. "Loading episode 3", may be NULL */
    const char *message_title; /* a centred panel (error, locked), NULL for none */
    const char *message_detail;
    const char *message_more; /* in the panel under the detail (INFO on an error), may be NULL */
    const char *message_hint; /* e.g. "Press BACK to return" */
    const char *next_up;      /* side panel: "Episode 4" or "Episode 6 - locked", may be NULL */
    const char *subtitle;     /* the cue to show now, may be NULL */
    /* Side panel: the stream's audio and subtitle tracks by name, separated by '\n' (NULL or
     * "" for none), and the index of the selected one in each list (-1: none, subtitles off). */
    const char *audio_tracks;
    int audio_selected;
    const char *subtitle_tracks;
    int subtitle_selected;
    const char *info; /* INFO panel text, lines separated by '\n', may be NULL */
    int volume_pct;   /* 0..100 */
    bool muted;
    bool show_volume;  /* the volume bar, after a volume key */
    const char *toast; /* a short confirmation ("Audio: Español"), top right, may be NULL */
    /* The episode strip (DOWN while playing), over the bottom in place of the progress bar;
     * may be NULL. */
    const struct ui_episode_strip_view *strip;
    /* The screen still holds the last player frame drawn (nothing else was drawn since, the
     * window was not exposed): the software renderer may then redraw only the picture. */
    bool partial_ok;
    int64_t now_ms;
};
void ui_draw_player(struct ui *ui, const struct ui_player_view *view);

/* The series page: the series above, the buttons, the range tabs and the episode grid of the
 * range shown (UI_SERIES_RANGE episodes in rows of UI_SERIES_COLS). */
#define UI_SERIES_RANGE 30
#define UI_SERIES_COLS 10
struct ui_series_view {
    const char *title;
    const char *poster_url;              /* the background, and the poster on the left */
    const struct catalog_series *series; /* NULL while loading */
    const char *primary;                 /* "Play EP 1", "Continue EP 3 (0:12)", "Watch EP 4" */
    const char *mylist;                  /* "+ My list" / "In My list" */
    bool in_mylist;
    int zone;                /* the focus: 0 the buttons, 1 the range tabs, 2 the grid */
    size_t button;           /* in the buttons: 0 primary, 1 My list */
    size_t range;            /* the range shown (its tab marked; focused in zone 1) */
    size_t cell;             /* the focused episode's position in series->episodes (zone 2) */
    const int *progress_pct; /* per episode: 100 watched (a full bar and a check), 1..99
                                part-way (its bar), -1 none; may be NULL */
    const char *status;      /* an error line, may be NULL */
    bool busy;
    int64_t now_ms;
};
void ui_draw_series(struct ui *ui, const struct ui_series_view *view);
/* Frees what ui_draw_series keeps between frames (its page layer: the output size in ARGB, 8 MiB
 * at 1080p); the next ui_draw_series composes it again. For a series page that is left. */
void ui_series_release(struct ui *ui);

/* The paywall: an episode is locked; the viewer picks how to unlock it. */
#define UI_PAYWALL_MAX_OPTIONS 4
struct ui_paywall_option {
    const char *label;  /* "Unlock for 30 coins" */
    const char *detail; /* "You have 20 coins", may be NULL */
    bool enabled;       /* drawn dimmed when false, its detail saying why; the app never focuses
                           it (a focused one gets a frame, never the focus fill) */
};
struct ui_paywall_view {
    const char *series_title;
    const char *poster_url;
    int episode_index;
    int price_coins;
    int balance;          /* coins + bonus coins, -1 while unknown */
    const char *vip_line; /* "VIP until 2026-12-01", or NULL */
    struct ui_paywall_option options[UI_PAYWALL_MAX_OPTIONS];
    size_t n_options;
    size_t focus;
    const char *status; /* a result or an error line, may be NULL */
    bool status_is_error;
    bool busy; /* an unlock is under way */
    int64_t now_ms;
};
void ui_draw_paywall(struct ui *ui, const struct ui_paywall_view *view);

/* The wallet: the balance, VIP and ads on the left with the daily check-in (a 7-day strip and
 * its Claim button) and the recent ledger under it; the coin packs and VIP plans on the right.
 * Strings are the app's, formatted (the view draws, it does not compute). */
#define UI_WALLET_DAYS 7
#define UI_WALLET_MAX_PACKS 16
#define UI_WALLET_MAX_ROWS 20
enum ui_wallet_focus {
    UI_WALLET_FOCUS_CLAIM = 0,
    UI_WALLET_FOCUS_PACKS = 1,
    UI_WALLET_FOCUS_HISTORY = 2,
};
struct ui_wallet_day {
    int day;      /* the streak day it stands for, 1-based */
    int reward;   /* bonus coins it gives */
    bool claimed; /* part of the streak */
    bool next;    /* the next claim (today's, or tomorrow's once today is claimed) */
};
struct ui_wallet_pack {
    const char *label;  /* "300 coins + 30 bonus" */
    const char *detail; /* "$4.99" */
};
struct ui_wallet_row {
    const char *when;  /* "Dec 6 14:05" */
    const char *what;  /* "Unlocked The Midnight Heir, episode 5 (coins)" */
    const char *delta; /* "-25 coins, -5 bonus", "" for none */
    bool credit;       /* drawn as a gain */
};
struct ui_wallet_view {
    const char *balance; /* "320 coins", or "Checking your balance..." */
    const char *bonus;   /* "5 bonus coins, expiring Dec 13", may be NULL */
    const char *vip;     /* "VIP until Dec 31" / "No VIP plan" */
    const char *ads;     /* "3 of 5 ad unlocks left today", may be NULL */
    struct ui_wallet_day days[UI_WALLET_DAYS];
    bool days_known;          /* false while the wallet is unknown: the strip is not drawn */
    const char *claim_label;  /* "Claim +5 bonus coins" / "Claimed today" */
    const char *checkin_line; /* beside the button: the next reward, or the claim's result */
    bool checkin_is_error;
    enum ui_wallet_focus focus;
    struct ui_wallet_pack packs[UI_WALLET_MAX_PACKS];
    size_t n_packs;
    size_t pack_focus;
    const char *packs_status; /* "Loading..." or an error, when there are no packs */
    bool packs_status_is_error;
    const struct ui_wallet_row *rows; /* newest first */
    size_t n_rows;
    size_t row_focus;        /* the row highlighted while the focus is on the history */
    const char *rows_status; /* "No activity yet", "Loading...", an error; may be NULL */
    bool busy;               /* a request is under way (spinner by the title) */
    int64_t now_ms;
};
void ui_draw_wallet(struct ui *ui, const struct ui_wallet_view *view);

/* A screen built around a QR code: phone checkout, device activation, an ad break. */
struct ui_qr_view {
    const char *title;    /* "Buy coins on your phone" */
    const char *lines[4]; /* instructions, NULL-terminated when shorter */
    const char *qr_text;  /* encoded in the QR code; NULL draws no code */
    const char *code;     /* a big code to type, e.g. "WDJB-MJHT", may be NULL */
    const char *status;   /* "Waiting for payment", may be NULL */
    bool status_is_error;
    /* Written out under the instructions for a phone that cannot scan (the QR code's URL);
     * wrapped, never cut. May be NULL. */
    const char *url;
    bool busy;
    const char *hint; /* "Press BACK to cancel" */
    int64_t now_ms;
};
void ui_draw_qr_screen(struct ui *ui, const struct ui_qr_view *view);

/* Search: the on-screen keyboard on the left, the results (or the recent searches) on the
 * right. */
#define UI_SEARCH_COLS 5 /* results per row */
struct ui_search_view {
    const char *query;       /* as typed, "" when empty */
    const char *const *keys; /* labels, row-major, key_cols per row (a row may be shorter) */
    size_t key_cols;
    const size_t *row_len; /* keys in each row; a shorter row's keys are wider */
    size_t n_rows;
    bool keys_focused;
    size_t key_row, key_col;
    const char *heading; /* "Results for ...", "No results for ...", an error; may be NULL */
    bool heading_is_error;
    const struct catalog_item *results; /* a grid of UI_SEARCH_COLS per row */
    size_t n_results;
    bool results_focused;
    size_t result_focus;
    const char *const *recents; /* shown when there are no results */
    size_t n_recents;
    bool recents_focused;
    size_t recent_focus;
    bool busy; /* a search is under way */
    int64_t now_ms;
};
void ui_draw_search(struct ui *ui, const struct ui_search_view *view);

/* Settings: rows (a label, its value) on the left, what the focused row means on the right. */
#define UI_SETTINGS_MAX_ROWS 10
struct ui_settings_row {
    const char *label;
    const char *value;
    bool choice; /* a value LEFT/RIGHT change: drawn between arrows while focused */
};
struct ui_settings_view {
    struct ui_settings_row rows[UI_SETTINGS_MAX_ROWS];
    size_t n_rows;
    size_t focus;
    const char *panel_title; /* may be NULL */
    const char *panel_text;  /* wrapped, '\n' breaks lines; may be NULL */
    const char *status;      /* a result line ("This TV is no longer linked ..."), may be NULL */
    bool status_is_error;
    bool busy;
    int64_t now_ms;
};
void ui_draw_settings(struct ui *ui, const struct ui_settings_view *view);

/* Spinner period: while busy, the app redraws at least this often. */
#define UI_ANIMATION_FRAME_MS 33

#endif
