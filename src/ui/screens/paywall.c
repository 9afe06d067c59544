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
        SDL_RenderCopy(ui->renderer, tex, NULL, &poster);
    else
        ui_fill(ui, poster, ui_color_card);

    int x = poster.x + poster.w + 90, w = UI_WIDTH - UI_SAFE_X - x;
    int y = UI_SAFE_Y + 90;
    char line[160];
    text_draw(ui, v->series_title, 40, ui_color_dim, x, y, TEXT_LEFT, w);
    snprintf(line, sizeof(line), "Episode %d is locked", v->episode_index);
    text_draw(ui, line, 64, ui_color_text, x, y + 56, TEXT_LEFT, w);
    snprintf(line, sizeof(line), "Unlock it for %d coins to keep watching", v->price_coins);
    text_draw(ui, line, 34, ui_color_dim, x, y + 150, TEXT_LEFT, w);
    if (v->balance >= 0)
        snprintf(line, sizeof(line), "Your balance: %d coins", v->balance);
    else
        snprintf(line, sizeof(line), "Your balance: checking...");
    text_draw(ui, line, 36, ui_color_accent, x, y + 210, TEXT_LEFT, w);
    if (v->vip_line)
        text_draw(ui, v->vip_line, 30, ui_color_dim, x, y + 258, TEXT_LEFT, w);

    int by = y + 320;
    for (size_t i = 0; i < v->n_options; i++) {
        const struct ui_paywall_option *o = &v->options[i];
        bool focused = i == v->focus;
        SDL_Rect b = {x, by, 760, 96};
        /* Every row's text keeps 4.5:1 against what is behind it (WCAG AA): white on the deep
         * focus pink, grey on the dark panel. A disabled row is never filled pink: focused, it
         * only gets a pink frame around its dark panel. */
        SDL_Color fg = o->enabled ? ui_color_text : ui_color_dim;
        SDL_Color detail_fg = focused && o->enabled ? ui_color_text : ui_color_dim;
        ui_fill(ui, b, focused && o->enabled ? ui_color_focus : ui_color_panel_solid);
        if (focused && !o->enabled)
            ui_frame(ui, b, 4, ui_color_accent);
        text_draw(ui, o->label, 36, fg, b.x + 32, b.y + (o->detail ? 10 : 26), TEXT_LEFT, b.w - 64);
        if (o->detail)
            text_draw(ui, o->detail, 26, detail_fg, b.x + 32, b.y + 56, TEXT_LEFT, b.w - 64);
        by += b.h + 20;
    }
    if (v->busy)
        ui_spinner(ui, x + 800, by - 60, 30, v->now_ms);
    if (v->status)
        text_draw(ui, v->status, 32, v->status_is_error ? ui_color_error : ui_color_text, x,
                  by + 10, TEXT_LEFT, w);
    text_draw(ui, "OK to choose, BACK to return", 28, ui_color_dim, x, UI_HEIGHT - UI_SAFE_Y - 50,
              TEXT_LEFT, w);
}
