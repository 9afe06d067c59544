#ifndef BINGE_UI_WIDGETS_H
#define BINGE_UI_WIDGETS_H

/* The widgets the views in src/ui/screens share. Private to src/ui (the app never draws: it
 * fills a view struct of include/binge/ui.h, and the view draws it with these).
 *
 * Threading: UI thread only, between the app's render and present.
 * Ownership: every pointer argument is borrowed for the call; nothing is kept, except that text
 * is rendered through the text cache (text.c) and pictures come from the image cache.
 * Coordinates are logical 1920x1080 pixels; a view keeps its widgets inside the safe area (5% by
 * default) (UI_SAFE_*). Focus state lives in the app (struct ui_focus_grid, a size_t focus);
 * widgets only draw it. */

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ui;

/* Plain shapes; in an RTL UI they are drawn mirrored (ui_mirror, ui_internal.h). */
void ui_fill(struct ui *ui, SDL_Rect r, SDL_Color c);
/* A frame of thickness t around r (outside it). */
void ui_frame(struct ui *ui, SDL_Rect r, int thickness, SDL_Color c);
/* The same with the theme's corner radius (ui->theme.radius, clamped to half the shorter side):
 * for panels, buttons, pills, badges and focus frames. With radius 0, exactly ui_fill and
 * ui_frame. */
void ui_fill_round(struct ui *ui, SDL_Rect r, SDL_Color c);
void ui_frame_round(struct ui *ui, SDL_Rect r, int thickness, SDL_Color c);
/* A vertical gradient from c0 (top) to c1 (bottom), drawn in bands. */
void ui_gradient(struct ui *ui, SDL_Rect r, SDL_Color c0, SDL_Color c1);

/* A spinner centred on (cx, cy): twelve dots, the brightest turning with now_ms. A view that
 * draws one must be redrawn every UI_ANIMATION_FRAME_MS (the app does that while its screen
 * says it is busy). */
void ui_spinner(struct ui *ui, int cx, int cy, int radius, int64_t now_ms);

/* A toast: one line on a panel, top right inside the safe area (see ui_draw_toast). */
void ui_toast(struct ui *ui, const char *text);

/* A text block: s wrapped into box.w at size, at spaces and line breaks (inside a word only
 * when the word alone is wider than the box). Never cut and never ellipsized: when the lines
 * would be taller than box.h the size steps down (by 2) to min_size, and at min_size every line
 * is still drawn, past box.h if it must (the caller sees it in the height returned and can grow
 * its panel). Lines are aligned on box.x (LEFT), the box's centre (CENTER) or box.x + box.w
 * (RIGHT). Returns the height used; 0 for NULL or "". */
int ui_text_block(struct ui *ui, const char *s, SDL_Rect box, int size, int min_size,
                  SDL_Color color, int align);

/* A button list: buttons stacked from (x, y), each w x h with gap between, one focused. The
 * focused enabled button is filled with the focus colour (white text, 4.5:1); a disabled one is
 * dimmed and, focused, only framed (a controller never leaves the focus on it, but a wallet that
 * arrives late can disable it under the focus for a frame). A detail line goes under the label
 * in smaller type. Returns the y under the last button. */
struct ui_button {
    const char *label;
    const char *detail; /* may be NULL */
    bool enabled;
};
int ui_button_list(struct ui *ui, int x, int y, int w, int h, int gap,
                   const struct ui_button *buttons, size_t n, size_t focus);

/* A scrolling row (a shelf, a strip of episodes): n cells of item_w with gap between, in the
 * box's width, scrolled so cell `anchor` (the focused one, or the one a row remembers while
 * another row has the focus) is visible with `lead` cells of context on its left (fewer at the
 * start; the row never scrolls past its end). draw(ui, i, rect, focused, data) is called for
 * each visible cell; with focused true the anchor is drawn last, as the focused cell, so an
 * enlarged focus can overlap its neighbours. ui_scroll_first gives the first visible cell. */
size_t ui_scroll_first(size_t anchor, size_t n, size_t visible, size_t lead);
void ui_scroll_row(struct ui *ui, SDL_Rect box, size_t n, int item_w, int gap, size_t anchor,
                   bool focused, size_t lead,
                   void (*draw)(struct ui *ui, size_t i, SDL_Rect r, bool focused, void *data),
                   void *data);

/* A centred panel with a title, a detail, more detail (INFO on an error; may be NULL) and a
 * hint, each wrapped, never cut; the panel grows with them. */
void ui_message_panel(struct ui *ui, const char *title, const char *detail, const char *more,
                      const char *hint, bool is_error);

/* Formats ms as m:ss into buf. */
void ui_format_time(int64_t ms, char *buf, size_t len);

#endif
