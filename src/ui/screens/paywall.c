#include <stdio.h>

#include "../ui_internal.h"

/* The paywall at the cliffhanger: the poster on the left, on the right what it costs, what the
 * viewer has, and the ways to unlock, one focused. Price and balance are always on screen. */
void ui_draw_paywall(struct ui *ui, const struct ui_paywall_view *v)
{
    ui_draw_backdrop(ui, v->poster_url);

    SDL_Rect poster = {UI_SAFE_X + 40, UI_SAFE_Y + 90, 480, 720};
    SDL_Texture *tex = image_cache_texture(ui->images, v->poster_url);
    if (tex)
        ui_copy(ui, tex, NULL, poster);
    else
        ui_fill_round(ui, poster, ui_color_card);

    int x = poster.x + poster.w + 90, w = UI_WIDTH - UI_SAFE_R - x;
    int y = UI_SAFE_Y + 90;
    char line[320];
    text_draw(ui, v->series_title, 40, ui_color_dim, x, y, TEXT_LEFT, w);
    snprintf(line, sizeof(line), _("Episode %d is locked"), v->episode_index);
    text_draw(ui, line, 64, ui_color_text, x, y + 56, TEXT_LEFT, w);
    snprintf(line, sizeof(line),
             P_("Unlock it for %d coin to keep watching", "Unlock it for %d coins to keep watching",
                v->price_coins),
             v->price_coins);
    text_draw(ui, line, 34, ui_color_dim, x, y + 150, TEXT_LEFT, w);
    if (v->balance >= 0)
        snprintf(line, sizeof(line),
                 P_("Your balance: %d coin", "Your balance: %d coins", v->balance), v->balance);
    else
        snprintf(line, sizeof(line), "%s", _("Your balance: checking..."));
    text_draw(ui, line, 36, ui_color_accent, x, y + 210, TEXT_LEFT, w);
    if (v->vip_line)
        text_draw(ui, v->vip_line, 30, ui_color_dim, x, y + 258, TEXT_LEFT, w);

    struct ui_button buttons[UI_PAYWALL_MAX_OPTIONS];
    size_t n = v->n_options < UI_PAYWALL_MAX_OPTIONS ? v->n_options : UI_PAYWALL_MAX_OPTIONS;
    for (size_t i = 0; i < n; i++)
        buttons[i] =
            (struct ui_button){v->options[i].label, v->options[i].detail, v->options[i].enabled};
    int by = ui_button_list(ui, x, y + 320, 760, 96, 20, buttons, n, v->focus) + 20;
    if (v->busy)
        ui_spinner(ui, x + 800, by - 60, 30, v->now_ms);
    /* A status is a sentence the viewer must read whole ("Not enough coins: ..."): wrapped. */
    if (v->status)
        ui_text_block(ui, v->status, (SDL_Rect){x, by + 10, w, UI_HEIGHT - UI_SAFE_B - 70 - by}, 32,
                      26, v->status_is_error ? ui_color_error : ui_color_text, TEXT_LEFT);
    text_draw(ui, _("OK to choose, BACK to return"), 28, ui_color_dim, x,
              UI_HEIGHT - UI_SAFE_B - 50, TEXT_LEFT, w);
}
