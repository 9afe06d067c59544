#include <stdio.h>

#include "../ui_internal.h"

/* The wallet. Left: the balance, VIP and ads, the daily check-in (a strip of seven days and
 * its Claim button) and the recent ledger. Right: the coin packs and VIP plans. Everything
 * stays inside the safe area (5% by default); the focus is one filled button or one framed ledger
 * row. */

#define LEFT_X UI_SAFE_X
#define LEFT_W 930
#define RIGHT_X (UI_SAFE_X + LEFT_W + 60)
#define RIGHT_W (UI_WIDTH - UI_SAFE_R - RIGHT_X)
#define BOTTOM (UI_HEIGHT - UI_SAFE_B)
#define HINT_Y (BOTTOM - 40)
#define DAY_W 124
#define DAY_GAP 10
#define DAY_H 100
#define PACK_H 88
#define PACK_GAP 14
#define ROW_H 42

static void draw_day(struct ui *ui, const struct ui_wallet_day *d, int x, int y)
{
    SDL_Rect r = {x, y, DAY_W, DAY_H};
    /* Claimed days are filled, the next one framed in the accent, the rest plain cards. */
    ui_fill_round(ui, r, d->claimed ? ui_color_focus : ui_color_card);
    if (d->next) /* inside the cell: the first one sits on the safe area's edge */
        ui_frame_round(ui, (SDL_Rect){x + 4, y + 4, DAY_W - 8, DAY_H - 8}, 4, ui_color_accent);
    char line[64];
    snprintf(line, sizeof(line), _("Day %d"), d->day);
    text_draw(ui, line, 24, d->claimed ? ui_color_text : ui_color_dim, x + DAY_W / 2, y + 12,
              TEXT_CENTER, DAY_W - 8);
    snprintf(line, sizeof(line), "+%d", d->reward);
    text_draw(ui, line, 38, ui_color_text, x + DAY_W / 2, y + 44, TEXT_CENTER, DAY_W - 8);
}

static void draw_history(struct ui *ui, const struct ui_wallet_view *v, int y)
{
    text_draw(ui, _("Recent activity"), 36,
              v->focus == UI_WALLET_FOCUS_HISTORY ? ui_color_text : ui_color_dim, LEFT_X, y,
              TEXT_LEFT, LEFT_W);
    y += 54;
    if (v->n_rows == 0) {
        if (v->rows_status)
            ui_text_block(ui, v->rows_status, (SDL_Rect){LEFT_X, y, LEFT_W, HINT_Y - y}, 28, 24,
                          ui_color_dim, TEXT_LEFT);
        return;
    }
    size_t visible = (size_t)((HINT_Y - 10 - y) / ROW_H);
    if (visible == 0)
        visible = 1;
    bool focused = v->focus == UI_WALLET_FOCUS_HISTORY;
    size_t first = ui_scroll_first(focused ? v->row_focus : 0, v->n_rows, visible, 1);
    for (size_t i = first; i < v->n_rows && i < first + visible; i++, y += ROW_H) {
        const struct ui_wallet_row *row = &v->rows[i];
        /* The focused row is filled, its text indented inside the fill (and the safe area). */
        if (focused && i == v->row_focus)
            ui_fill_round(ui, (SDL_Rect){LEFT_X, y - 4, LEFT_W, ROW_H}, ui_color_focus);
        SDL_Color dim = focused && i == v->row_focus ? ui_color_text : ui_color_dim;
        text_draw(ui, row->when, 26, dim, LEFT_X + 12, y + 4, TEXT_LEFT, 190);
        text_draw(ui, row->what, 28, ui_color_text, LEFT_X + 212, y + 2, TEXT_LEFT, 460);
        if (row->delta && row->delta[0])
            text_draw(ui, row->delta, 28,
                      row->credit && !(focused && i == v->row_focus) ? ui_color_success
                                                                     : ui_color_text,
                      LEFT_X + LEFT_W - 12, y + 2, TEXT_RIGHT, 240);
    }
}

void ui_draw_wallet(struct ui *ui, const struct ui_wallet_view *v)
{
    SDL_SetRenderDrawColor(ui->renderer, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b, 255);
    SDL_RenderClear(ui->renderer);

    /* The balance, VIP and ads. */
    text_draw(ui, _("Wallet"), 56, ui_color_text, LEFT_X, UI_SAFE_Y, TEXT_LEFT, LEFT_W);
    if (v->busy)
        ui_spinner(ui, LEFT_X + 260, UI_SAFE_Y + 34, 20, v->now_ms);
    int y = UI_SAFE_Y + 84;
    text_draw(ui, v->balance, 64, ui_color_accent, LEFT_X, y, TEXT_LEFT, LEFT_W);
    y += 86;
    if (v->bonus) {
        text_draw(ui, v->bonus, 30, ui_color_text, LEFT_X, y, TEXT_LEFT, LEFT_W);
        y += 42;
    }
    char line[256];
    snprintf(line, sizeof(line), "%s%s%s", v->vip ? v->vip : "", v->vip && v->ads ? "   -   " : "",
             v->ads ? v->ads : "");
    text_draw(ui, line, 30, ui_color_dim, LEFT_X, y, TEXT_LEFT, LEFT_W);
    y = UI_SAFE_Y + 300;

    /* The daily check-in. */
    text_draw(ui, _("Daily check-in"), 36, ui_color_text, LEFT_X, y, TEXT_LEFT, LEFT_W);
    y += 54;
    if (v->days_known)
        for (int i = 0; i < UI_WALLET_DAYS; i++)
            draw_day(ui, &v->days[i], LEFT_X + i * (DAY_W + DAY_GAP), y);
    y += DAY_H + 20;
    struct ui_button claim = {v->claim_label, NULL, true};
    ui_button_list(ui, LEFT_X, y, 420, 76, 0, &claim, 1, v->focus == UI_WALLET_FOCUS_CLAIM ? 0 : 1);
    if (v->checkin_line)
        ui_text_block(ui, v->checkin_line, (SDL_Rect){LEFT_X + 450, y + 4, LEFT_W - 450, 76}, 28,
                      22, v->checkin_is_error ? ui_color_error : ui_color_dim, TEXT_LEFT);
    y += 76 + 36;

    draw_history(ui, v, y);

    /* The packs. */
    int py = UI_SAFE_Y + 84;
    text_draw(ui, _("Coins and VIP"), 36,
              v->focus == UI_WALLET_FOCUS_PACKS ? ui_color_text : ui_color_dim, RIGHT_X, py,
              TEXT_LEFT, RIGHT_W);
    text_draw(ui, _("Pay on your phone: choose one"), 26, ui_color_dim, RIGHT_X, py + 48, TEXT_LEFT,
              RIGHT_W);
    py += 96;
    if (v->n_packs == 0) {
        if (v->packs_status)
            ui_text_block(ui, v->packs_status, (SDL_Rect){RIGHT_X, py, RIGHT_W, HINT_Y - py}, 30,
                          24, v->packs_status_is_error ? ui_color_error : ui_color_dim, TEXT_LEFT);
    } else {
        size_t n = v->n_packs < UI_WALLET_MAX_PACKS ? v->n_packs : UI_WALLET_MAX_PACKS;
        size_t visible = (size_t)((HINT_Y - 10 - py + PACK_GAP) / (PACK_H + PACK_GAP));
        if (visible == 0)
            visible = 1;
        size_t first = ui_scroll_first(v->pack_focus, n, visible, 1);
        struct ui_button buttons[UI_WALLET_MAX_PACKS];
        size_t shown = 0;
        for (size_t i = first; i < n && shown < visible; i++, shown++)
            buttons[shown] = (struct ui_button){v->packs[i].label, v->packs[i].detail, true};
        size_t focus = v->focus == UI_WALLET_FOCUS_PACKS && v->pack_focus >= first
                           ? v->pack_focus - first
                           : shown;
        ui_button_list(ui, RIGHT_X, py, RIGHT_W, PACK_H, PACK_GAP, buttons, shown, focus);
    }

    text_draw(ui, _("OK to choose, arrows to move, BACK to return"), 28, ui_color_dim, LEFT_X,
              HINT_Y, TEXT_LEFT, UI_SAFE_W);
}
