#include <stdio.h>

#include "../ui_internal.h"

/* Search: the keyboard in a column on the left, the results as a grid of posters on the right,
 * everything inside the safe area. The results grid scrolls by rows so the focused row is in
 * view. */
#define KB_X UI_SAFE_X
#define KB_W 552
#define QUERY_Y (UI_SAFE_Y + 84)
#define QUERY_H 84
#define KEYS_Y (QUERY_Y + QUERY_H + 30)
#define KEY_H 78
#define KEY_GAP 12
#define RIGHT_X (KB_X + KB_W + 72)
#define RIGHT_W (UI_WIDTH - UI_SAFE_R - RIGHT_X)
#define HEADING_Y QUERY_Y
#define GRID_Y (QUERY_Y + 84)
#define CARD_W 180
#define CARD_H 270
#define CARD_GAP_X 36
#define CARD_ROW_H (CARD_H + 110) /* poster, two lines of title, the episodes, a gap */
#define GRID_ROWS_VISIBLE 2

static void draw_keys(struct ui *ui, const struct ui_search_view *v)
{
    int key_w = (KB_W - (int)(v->key_cols - 1) * KEY_GAP) / (int)v->key_cols;
    for (size_t r = 0; r < v->n_rows; r++) {
        size_t n = v->row_len[r];
        if (!n)
            continue;
        /* A shorter row's keys share the row's width. */
        int w = (KB_W - (int)(n - 1) * KEY_GAP) / (int)n;
        if (n == v->key_cols)
            w = key_w;
        for (size_t c = 0; c < n; c++) {
            SDL_Rect k = {KB_X + (int)c * (w + KEY_GAP), KEYS_Y + (int)r * (KEY_H + KEY_GAP), w,
                          KEY_H};
            bool focused = v->keys_focused && r == v->key_row && c == v->key_col;
            ui_fill_round(ui, k, focused ? ui_color_focus : ui_color_card);
            if (focused)
                ui_frame_round(ui, k, 4, ui_color_text);
            const char *label = v->keys[r * v->key_cols + c];
            int size = n == v->key_cols ? 38 : 30;
            int tw = 0, th = 0;
            text_measure(ui, label, size, &tw, &th);
            text_draw(ui, label, size, focused ? ui_color_text : ui_color_dim, k.x + k.w / 2,
                      k.y + (k.h - th) / 2, TEXT_CENTER, k.w - 8);
        }
    }
}

static void draw_query(struct ui *ui, const struct ui_search_view *v)
{
    SDL_Rect box = {KB_X, QUERY_Y, KB_W, QUERY_H};
    ui_fill(ui, box, ui_color_panel_solid);
    ui_fill(ui, (SDL_Rect){box.x, box.y + box.h - 4, box.w, 4}, ui_color_accent);
    bool empty = !v->query || !v->query[0];
    int tw = 0, th = 0;
    const char *shown = empty ? _("Type a title") : v->query;
    text_measure(ui, shown, 42, &tw, &th);
    int w = text_draw(ui, shown, 42, empty ? ui_color_dim : ui_color_text,
                      box.x + (empty ? 36 : 24), box.y + (box.h - th) / 2, TEXT_LEFT, box.w - 60);
    /* The caret after what was typed. */
    int cx = empty ? box.x + 20 : box.x + 24 + w + 4;
    ui_fill(ui, (SDL_Rect){cx, box.y + 18, 4, box.h - 36}, ui_color_accent);
}

static void draw_result(struct ui *ui, const struct catalog_item *item, SDL_Rect r, bool focused)
{
    SDL_Texture *poster = image_cache_texture(ui->images, item->poster_url);
    if (poster) {
        ui_copy(ui, poster, NULL, r);
    } else {
        ui_fill_round(ui, r, ui_color_card);
        ui_text_block(ui, item->title, (SDL_Rect){r.x + 10, r.y + r.h / 2 - 40, r.w - 20, 80}, 24,
                      18, ui_color_dim, TEXT_CENTER);
    }
    if (focused)
        ui_frame_round(ui, r, 6, ui_color_accent);
    /* The whole title, on two lines at most. */
    int h = text_draw_wrapped(ui, item->title, 24, focused ? ui_color_text : ui_color_dim, r.x,
                              r.y + r.h + 12, r.w + CARD_GAP_X - 8, 2);
    if (item->episode_count > 0) {
        char eps[96];
        snprintf(eps, sizeof(eps), P_("%d episode", "%d episodes", item->episode_count),
                 item->episode_count);
        text_draw(ui, eps, 20, ui_color_dim, r.x, r.y + r.h + 16 + h, TEXT_LEFT, r.w);
    }
}

static void draw_results(struct ui *ui, const struct ui_search_view *v)
{
    size_t rows = (v->n_results + UI_SEARCH_COLS - 1) / UI_SEARCH_COLS;
    size_t focus_row = v->result_focus / UI_SEARCH_COLS;
    size_t first = 0;
    if (v->results_focused && focus_row >= GRID_ROWS_VISIBLE)
        first = focus_row - (GRID_ROWS_VISIBLE - 1);
    for (size_t r = first; r < rows && r < first + GRID_ROWS_VISIBLE; r++) {
        for (size_t c = 0; c < UI_SEARCH_COLS; c++) {
            size_t i = r * UI_SEARCH_COLS + c;
            if (i >= v->n_results)
                break;
            SDL_Rect card = {RIGHT_X + (int)c * (CARD_W + CARD_GAP_X),
                             GRID_Y + (int)(r - first) * CARD_ROW_H, CARD_W, CARD_H};
            draw_result(ui, &v->results[i], card, v->results_focused && i == v->result_focus);
        }
    }
    if (first + GRID_ROWS_VISIBLE < rows)
        text_draw(ui, _("More below"), 24, ui_color_dim, RIGHT_X,
                  GRID_Y + GRID_ROWS_VISIBLE * CARD_ROW_H, TEXT_LEFT, 0);
}

void ui_draw_search(struct ui *ui, const struct ui_search_view *v)
{
    SDL_SetRenderDrawColor(ui->renderer, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b, 255);
    SDL_RenderClear(ui->renderer);
    text_draw(ui, _("Search"), 56, ui_color_accent, UI_SAFE_X, UI_SAFE_Y, TEXT_LEFT, 0);
    draw_query(ui, v);
    draw_keys(ui, v);
    int hint_y = KEYS_Y + (int)v->n_rows * (KEY_H + KEY_GAP) + 16;
    ui_text_block(ui, _("OK types a key. Number keys type digits. BACK returns."),
                  (SDL_Rect){KB_X, hint_y, KB_W, 80}, 24, 20, ui_color_dim, TEXT_LEFT);

    if (v->heading)
        text_draw(ui, v->heading, 40, v->heading_is_error ? ui_color_error : ui_color_text, RIGHT_X,
                  HEADING_Y, TEXT_LEFT, RIGHT_W - 80);
    if (v->busy)
        ui_spinner(ui, UI_WIDTH - UI_SAFE_R - 30, HEADING_Y + 26, 22, v->now_ms);
    if (v->n_results) {
        draw_results(ui, v);
    } else if (v->n_recents) {
        struct ui_button b[8];
        size_t n = v->n_recents < 8 ? v->n_recents : 8;
        for (size_t i = 0; i < n; i++)
            b[i] = (struct ui_button){.label = v->recents[i], .enabled = true};
        ui_button_list(ui, RIGHT_X, GRID_Y, 640, 72, 14, b, n,
                       v->recents_focused ? v->recent_focus : (size_t)-1);
    }
}
