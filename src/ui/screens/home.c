#include <stdio.h>

#include "../ui_internal.h"

/* Home: one carousel row per shelf. Rows scroll so the focused row sits at the top of the list
 * with the next one below it and a third peeking in, which tells the viewer there is more. */
#define HOME_LIST_Y (UI_SAFE_Y + 100)
#define HOME_ROW_H 468
#define HOME_TITLE_H 52
#define CARD_W 200
#define CARD_H 300
#define CARD_GAP 40
#define FOCUS_SCALE_NUM 112
#define HOME_BAR_X 230 /* the top bar, right of the logo */
#define HOME_BAR_Y (UI_SAFE_Y + 8)
#define HOME_BAR_H 54
#define HOME_BAR_PAD 26
#define HOME_BAR_GAP 18
#define HOME_BAR_TEXT 30 /* the focused card is drawn at 112% */

static void draw_card(struct ui *ui, const struct catalog_item *item, int x, int y, bool focused)
{
    SDL_Rect r = {x, y, CARD_W, CARD_H};
    if (focused) {
        int w = CARD_W * FOCUS_SCALE_NUM / 100, h = CARD_H * FOCUS_SCALE_NUM / 100;
        r = (SDL_Rect){x - (w - CARD_W) / 2, y - (h - CARD_H) / 2, w, h};
    }
    SDL_Texture *poster = image_cache_texture(ui->images, item->poster_url);
    if (poster) {
        SDL_RenderCopy(ui->renderer, poster, NULL, &r);
    } else {
        /* A titled placeholder while the poster loads or when it failed: never a hole. */
        ui_fill(ui, r, ui_color_card);
        text_draw(ui, item->title, 24, ui_color_dim, r.x + r.w / 2, r.y + r.h / 2 - 14, TEXT_CENTER,
                  r.w - 20);
    }
    if (focused) {
        ui_frame(ui, r, 6, ui_color_accent);
        /* Centred under the card, but kept inside the safe area. */
        int w = 0, h = 0, max_w = 3 * (CARD_W + CARD_GAP);
        text_measure(ui, item->title, 30, &w, &h);
        if (w > max_w)
            w = max_w;
        int tx = r.x + r.w / 2 - w / 2;
        if (tx < UI_SAFE_X)
            tx = UI_SAFE_X;
        if (tx + w > UI_SAFE_X + UI_SAFE_W)
            tx = UI_SAFE_X + UI_SAFE_W - w;
        text_draw(ui, item->title, 30, ui_color_text, tx, r.y + r.h + 14, TEXT_LEFT, max_w);
    }
}

static void draw_cell(struct ui *ui, size_t i, SDL_Rect r, bool focused, void *data)
{
    const struct catalog_shelf *shelf = data;
    draw_card(ui, &shelf->items[i], r.x, r.y, focused);
}

static void draw_shelf(struct ui *ui, const struct catalog_shelf *shelf, int y, bool focused,
                       size_t focus_item)
{
    text_draw(ui, shelf->title, 40, focused ? ui_color_text : ui_color_dim, UI_SAFE_X, y, TEXT_LEFT,
              UI_SAFE_W);
    if (shelf->n_items == 0) {
        text_draw(ui, "Nothing here yet", 28, ui_color_dim, UI_SAFE_X, y + HOME_TITLE_H + 20,
                  TEXT_LEFT, 0);
        return;
    }
    /* Keep the focused card in view with two cards of context on its left. */
    ui_scroll_row(ui, (SDL_Rect){UI_SAFE_X + 10, y + HOME_TITLE_H + 22, UI_SAFE_W, CARD_H},
                  shelf->n_items, CARD_W, CARD_GAP, focus_item, focused, 2, draw_cell,
                  (void *)shelf);
}

/* The top bar: pills right of the logo, the focused one filled. Returns the x after it. */
static int draw_bar(struct ui *ui, const struct ui_home_view *v, int x)
{
    for (size_t i = 0; i < v->n_bar; i++) {
        int w = 0, h = 0;
        if (text_measure(ui, v->bar[i], HOME_BAR_TEXT, &w, &h) != 0)
            continue;
        bool focused = v->bar_focused && i == v->bar_focus;
        SDL_Rect r = {x, HOME_BAR_Y, w + 2 * HOME_BAR_PAD, HOME_BAR_H};
        ui_fill(ui, r, focused ? ui_color_focus : ui_color_card);
        if (focused)
            ui_frame(ui, r, 3, ui_color_text);
        text_draw(ui, v->bar[i], HOME_BAR_TEXT, focused ? ui_color_text : ui_color_dim,
                  x + HOME_BAR_PAD, HOME_BAR_Y + (HOME_BAR_H - h) / 2, TEXT_LEFT, 0);
        x += r.w + HOME_BAR_GAP;
    }
    return x;
}

void ui_draw_home(struct ui *ui, const struct ui_home_view *v)
{
    SDL_SetRenderDrawColor(ui->renderer, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b, 255);
    SDL_RenderClear(ui->renderer);
    text_draw(ui, "binge", 64, ui_color_accent, UI_SAFE_X, UI_SAFE_Y - 6, TEXT_LEFT, 0);
    int bar_end = draw_bar(ui, v, UI_SAFE_X + HOME_BAR_X);
    if (v->header_right)
        text_draw(ui, v->header_right, 30, ui_color_dim, UI_WIDTH - UI_SAFE_X, UI_SAFE_Y + 18,
                  TEXT_RIGHT, UI_WIDTH - UI_SAFE_X - bar_end - 20);

    const struct catalog_home *home = v->home;
    if (!home || home->n_shelves == 0) {
        const char *title = v->status_title ? v->status_title : "Nothing to watch yet";
        text_draw(ui, title, 56, v->status_is_error ? ui_color_error : ui_color_text, UI_WIDTH / 2,
                  UI_HEIGHT / 2 - 120, TEXT_CENTER, UI_SAFE_W);
        if (v->status_detail) {
            char lines[3][TEXT_LINE_MAX];
            int n = text_wrap(ui, v->status_detail, 34, UI_SAFE_W, lines, 3, NULL);
            text_draw_lines(ui, lines, n, 34, ui_color_dim, UI_WIDTH / 2, UI_HEIGHT / 2 - 30,
                            TEXT_CENTER);
        }
        if (v->busy)
            ui_spinner(ui, UI_WIDTH / 2, UI_HEIGHT / 2 + 110, 44, v->now_ms);
        return;
    }

    size_t top = v->focus_shelf;
    if (home->n_shelves >= 2 && top > home->n_shelves - 2)
        top = home->n_shelves - 2;
    for (size_t s = top; s < home->n_shelves; s++) {
        int y = HOME_LIST_Y + (int)(s - top) * HOME_ROW_H;
        if (y > UI_HEIGHT)
            break;
        draw_shelf(ui, &home->shelves[s], y, s == v->focus_shelf && !v->bar_focused,
                   v->focus_item[s]);
    }

    /* A status over a loaded home (a failed refresh, say) is a banner, not a takeover. */
    if (v->status_title) {
        char line[512];
        snprintf(line, sizeof(line), "%s%s%s", v->status_title, v->status_detail ? " - " : "",
                 v->status_detail ? v->status_detail : "");
        int w, h;
        if (text_measure(ui, line, 28, &w, &h) == 0) {
            if (w > UI_SAFE_W - 400)
                w = UI_SAFE_W - 400;
            /* Under the wallet line, right-aligned, clear of the shelf titles on the left. */
            SDL_Rect r = {UI_WIDTH - UI_SAFE_X - w - 40, UI_SAFE_Y + 66, w + 40, h + 16};
            ui_fill(ui, r, ui_color_panel);
            text_draw(ui, line, 28, v->status_is_error ? ui_color_error : ui_color_text, r.x + 20,
                      r.y + 8, TEXT_LEFT, w);
        }
    }
}
