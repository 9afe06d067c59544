#include <stdio.h>
#include <string.h>

#include "../ui_internal.h"

/* Settings: the rows in a column on the left, the focused row's explanation (or About) in a
 * panel on the right, a status line under the rows; inside the safe area. */
#define ROWS_X UI_SAFE_X
#define ROWS_Y (UI_SAFE_Y + 110)
#define ROW_W 820
#define ROW_H 84
#define ROW_GAP 12
#define PANEL_X (ROWS_X + ROW_W + 60)
#define PANEL_W (UI_WIDTH - UI_SAFE_R - PANEL_X)
#define PANEL_TEXT 26

static void draw_row(struct ui *ui, const struct ui_settings_row *r, int y, bool focused)
{
    SDL_Rect b = {ROWS_X, y, ROW_W, ROW_H};
    ui_fill_round(ui, b, focused ? ui_color_focus : ui_color_panel_solid);
    SDL_Color fg = focused ? ui_color_text : ui_color_dim;
    char value[160];
    if (focused && r->choice)
        snprintf(value, sizeof(value), "\u2039  %s  \u203a", r->value ? r->value : "");
    else
        snprintf(value, sizeof(value), "%s", r->value ? r->value : "");
    /* The value whole on the right, the label in what is left. */
    int vw = 0, vh = 0;
    text_measure(ui, value, 30, &vw, &vh);
    if (vw > ROW_W / 2)
        vw = ROW_W / 2;
    text_draw(ui, value, 30, fg, b.x + ROW_W - 32, b.y + (ROW_H - text_line_height(ui, 30)) / 2,
              TEXT_RIGHT, ROW_W / 2);
    text_draw(ui, r->label, 32, ui_color_text, b.x + 32,
              b.y + (ROW_H - text_line_height(ui, 32)) / 2, TEXT_LEFT, ROW_W - vw - 96);
}

/* The text in paragraphs ('\n'), each wrapped; an empty one is a gap. */
static void draw_panel_text(struct ui *ui, const char *text, int x, int y, int w, int bottom)
{
    char para[TEXT_LINE_MAX];
    while (text && *text && y < bottom) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        if (n >= sizeof(para))
            n = sizeof(para) - 1;
        memcpy(para, text, n);
        para[n] = '\0';
        if (n == 0)
            y += text_line_height(ui, PANEL_TEXT) / 2;
        else
            y += ui_text_block(ui, para, (SDL_Rect){x, y, w, bottom - y}, PANEL_TEXT, 20,
                               ui_color_text, TEXT_LEFT) +
                 6;
        text = nl ? nl + 1 : NULL;
    }
}

void ui_draw_settings(struct ui *ui, const struct ui_settings_view *v)
{
    SDL_SetRenderDrawColor(ui->renderer, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b, 255);
    SDL_RenderClear(ui->renderer);
    text_draw(ui, _("Settings"), 56, ui_color_accent, UI_SAFE_X, UI_SAFE_Y, TEXT_LEFT, 0);
    int y = ROWS_Y;
    for (size_t i = 0; i < v->n_rows && i < UI_SETTINGS_MAX_ROWS; i++) {
        draw_row(ui, &v->rows[i], y, i == v->focus);
        y += ROW_H + ROW_GAP;
    }
    if (v->status)
        ui_text_block(ui, v->status, (SDL_Rect){ROWS_X, y + 16, ROW_W, 100}, 30, 24,
                      v->status_is_error ? ui_color_error : ui_color_text, TEXT_LEFT);
    if (v->busy)
        ui_spinner(ui, ROWS_X + ROW_W - 30, y + 150, 22, v->now_ms);
    text_draw(ui, _("LEFT/RIGHT change - OK chooses - BACK returns"), 24, ui_color_dim, ROWS_X,
              UI_HEIGHT - UI_SAFE_B - 34, TEXT_LEFT, ROW_W);

    SDL_Rect panel = {PANEL_X, ROWS_Y, PANEL_W, UI_HEIGHT - UI_SAFE_B - ROWS_Y};
    ui_fill_round(ui, panel, ui_color_panel_solid);
    int py = panel.y + 28;
    if (v->panel_title) {
        text_draw(ui, v->panel_title, 40, ui_color_text, panel.x + 36, py, TEXT_LEFT, panel.w - 72);
        py += text_line_height(ui, 40) + 20;
    }
    draw_panel_text(ui, v->panel_text, panel.x + 36, py, panel.w - 72, panel.y + panel.h - 20);
}
