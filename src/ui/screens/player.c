#include <stdio.h>

#include "../ui_internal.h"

/* The largest rectangle of the video's display aspect that fits the screen: vertical video is
 * pillarboxed, horizontal video fills the width. */
static SDL_Rect fit_video(const struct ui *ui)
{
    int dw = ui->video_dw > 0 ? ui->video_dw : 9, dh = ui->video_dh > 0 ? ui->video_dh : 16;
    int w = UI_WIDTH, h = (int)((int64_t)UI_WIDTH * dh / dw);
    if (h > UI_HEIGHT) {
        h = UI_HEIGHT;
        w = (int)((int64_t)UI_HEIGHT * dw / dh);
    }
    return (SDL_Rect){(UI_WIDTH - w) / 2, (UI_HEIGHT - h) / 2, w, h};
}

static void draw_overlay(struct ui *ui, const struct ui_player_view *v)
{
    ui_gradient(ui, (SDL_Rect){0, 0, UI_WIDTH, 240}, (SDL_Color){0, 0, 0, 200},
                (SDL_Color){0, 0, 0, 0});
    text_draw(ui, v->series_title, 52, ui_color_text, UI_SAFE_X, UI_SAFE_Y, TEXT_LEFT, UI_SAFE_W);
    char ep[64];
    if (v->episode_count > 0)
        snprintf(ep, sizeof(ep), "Episode %d / %d", v->episode_index, v->episode_count);
    else
        snprintf(ep, sizeof(ep), "Episode %d", v->episode_index);
    text_draw(ui, ep, 36, ui_color_dim, UI_SAFE_X, UI_SAFE_Y + 70, TEXT_LEFT, 0);

    ui_gradient(ui, (SDL_Rect){0, UI_HEIGHT - 220, UI_WIDTH, 220}, (SDL_Color){0, 0, 0, 0},
                (SDL_Color){0, 0, 0, 200});
    SDL_Rect bar = {UI_SAFE_X, UI_HEIGHT - UI_SAFE_Y - 40, UI_SAFE_W, 10};
    ui_fill(ui, bar, (SDL_Color){255, 255, 255, 70});
    if (v->duration_ms > 0 && v->position_ms >= 0) {
        int64_t pos = v->position_ms > v->duration_ms ? v->duration_ms : v->position_ms;
        SDL_Rect done = bar;
        done.w = (int)(bar.w * pos / v->duration_ms);
        ui_fill(ui, done, ui_color_accent);
    }
    char a[16], b[16], t[40];
    ui_format_time(v->position_ms, a, sizeof(a));
    ui_format_time(v->duration_ms, b, sizeof(b));
    snprintf(t, sizeof(t), "%s / %s", a, b);
    text_draw(ui, t, 32, ui_color_text, UI_WIDTH - UI_SAFE_X, bar.y - 50, TEXT_RIGHT, 0);
    if (v->state == PLAYER_PAUSED) {
        ui_fill(ui, (SDL_Rect){UI_WIDTH / 2 - 50, UI_HEIGHT / 2 - 60, 36, 120}, ui_color_text);
        ui_fill(ui, (SDL_Rect){UI_WIDTH / 2 + 14, UI_HEIGHT / 2 - 60, 36, 120}, ui_color_text);
    }
}

void ui_draw_player(struct ui *ui, const struct ui_player_view *v)
{
    SDL_SetRenderDrawColor(ui->renderer, 0, 0, 0, 255);
    SDL_RenderClear(ui->renderer);

    if (ui->video_has_frame && ui->video) {
        SDL_Rect r = fit_video(ui);
        SDL_RenderCopy(ui->renderer, ui->video, NULL, &r);
    } else {
        /* Until the first frame: the series poster, dimmed, so the screen is never blank. */
        SDL_Texture *poster = image_cache_texture(ui->images, v->poster_url);
        SDL_Rect r = {UI_WIDTH / 2 - 300, UI_HEIGHT / 2 - 450, 600, 900};
        if (poster) {
            SDL_RenderCopy(ui->renderer, poster, NULL, &r);
            ui_fill(ui, r, (SDL_Color){0, 0, 0, 150});
        } else {
            text_draw(ui, v->series_title, 56, ui_color_dim, UI_WIDTH / 2, UI_HEIGHT / 2 - 200,
                      TEXT_CENTER, UI_SAFE_W);
        }
    }

    if (v->busy) {
        ui_spinner(ui, UI_WIDTH / 2, UI_HEIGHT / 2, 48, v->now_ms);
        if (v->busy_text)
            text_draw(ui, v->busy_text, 36, ui_color_text, UI_WIDTH / 2, UI_HEIGHT / 2 + 90,
                      TEXT_CENTER, UI_SAFE_W);
    }
    if (v->overlay)
        draw_overlay(ui, v);
    if (v->message_title)
        ui_message_panel(ui, v->message_title, v->message_detail, v->message_hint,
                         v->state == PLAYER_ERROR);
}
