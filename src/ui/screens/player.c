#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ui_internal.h"

/* Pillars narrower than this get no side panel (horizontal or square video). */
#define SIDE_PANEL_MIN_W 420

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

/* A blur that costs nothing per frame: the poster is drawn once into a tiny texture, and that
 * texture is stretched over the screen with linear filtering. */
SDL_Texture *ui_backdrop(struct ui *ui, const char *url)
{
    if (!url)
        return NULL;
    if (ui->backdrop && ui->backdrop_url && strcmp(ui->backdrop_url, url) == 0)
        return ui->backdrop;
    SDL_Texture *poster = image_cache_texture(ui->images, url);
    if (!poster)
        return NULL;
    SDL_Texture *small =
        SDL_CreateTexture(ui->renderer, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, 12, 18);
    if (!small)
        return NULL;
    SDL_Texture *old_target = SDL_GetRenderTarget(ui->renderer);
    /* The logical size must not apply while drawing into the 12x18 target. */
    int lw, lh;
    SDL_RenderGetLogicalSize(ui->renderer, &lw, &lh);
    if (SDL_SetRenderTarget(ui->renderer, small) != 0) {
        SDL_DestroyTexture(small);
        return NULL;
    }
    SDL_RenderSetLogicalSize(ui->renderer, 0, 0);
    SDL_SetTextureScaleMode(poster, SDL_ScaleModeLinear);
    SDL_RenderCopy(ui->renderer, poster, NULL, NULL);
    SDL_SetRenderTarget(ui->renderer, old_target);
    SDL_RenderSetLogicalSize(ui->renderer, lw, lh);
    SDL_SetTextureScaleMode(small, SDL_ScaleModeLinear);
    if (ui->backdrop)
        SDL_DestroyTexture(ui->backdrop);
    free(ui->backdrop_url);
    ui->backdrop = small;
    ui->backdrop_url = strdup(url);
    return small;
}

void ui_draw_backdrop(struct ui *ui, const char *poster_url)
{
    SDL_Texture *back = ui_backdrop(ui, poster_url);
    if (!back) {
        ui_fill(ui, (SDL_Rect){0, 0, UI_WIDTH, UI_HEIGHT}, ui_color_bg);
        return;
    }
    /* Dimmed as black at alpha 170 over it would, in the copy itself: a second blended pass
     * over the whole screen costs the software renderer as much again. */
    SDL_SetTextureColorMod(back, 85, 85, 85);
    SDL_RenderCopy(ui->renderer, back, NULL, NULL);
    SDL_SetTextureColorMod(back, 255, 255, 255);
}

/* A heading and one line per name of list ('\n' separated), the selected one brighter, from y
 * down to bottom at most. Returns the y below it (y itself when the list is empty). */
static int draw_track_list(struct ui *ui, const char *heading, const char *list, int selected,
                           int x, int y, int w, int bottom)
{
    if (!list || !*list || y + 80 > bottom)
        return y;
    text_draw(ui, heading, 28, ui_color_accent, x, y, TEXT_LEFT, w);
    y += 42;
    int i = 0;
    for (const char *p = list; *p && y + 36 <= bottom; i++) {
        size_t n = strcspn(p, "\n");
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), p);
        text_draw(ui, name, 30, i == selected ? ui_color_text : ui_color_dim, x + 16, y, TEXT_LEFT,
                  w - 16);
        y += 36;
        p += n;
        if (*p == '\n')
            p++;
    }
    return y;
}

static void draw_side_panel(struct ui *ui, const struct ui_player_view *v, SDL_Rect video)
{
    int x = UI_SAFE_X, w = video.x - UI_SAFE_X - 48;
    int y = UI_SAFE_Y + 40;
    y += text_draw_wrapped(ui, v->series_title, 48, ui_color_text, x, y, w, 3);
    y += 16;
    char ep[128];
    if (v->episode_count > 0)
        snprintf(ep, sizeof(ep), _("Episode %d / %d"), v->episode_index, v->episode_count);
    else
        snprintf(ep, sizeof(ep), _("Episode %d"), v->episode_index);
    text_draw(ui, ep, 36, ui_color_dim, x, y, TEXT_LEFT, w);
    y += 76;
    /* The tracks the AUDIO and SUBTITLES keys go through, the one playing in full white. */
    int bottom = UI_HEIGHT - UI_SAFE_B - 190;
    y = draw_track_list(ui, _("Audio"), v->audio_tracks, v->audio_selected, x, y, w, bottom);
    /* Subtitles off: none of them is bright. */
    draw_track_list(ui, _("Subtitles"), v->subtitle_tracks, v->subtitle_selected, x, y + 20, w,
                    bottom);
    if (v->next_up) {
        int ny = UI_HEIGHT - UI_SAFE_B - 170;
        text_draw(ui, _("Next up"), 28, ui_color_accent, x, ny, TEXT_LEFT, w);
        text_draw_wrapped(ui, v->next_up, 34, ui_color_text, x, ny + 44, w, 2);
    }
}

static void draw_progress(struct ui *ui, const struct ui_player_view *v)
{
    ui_gradient(ui, (SDL_Rect){0, UI_HEIGHT - 220, UI_WIDTH, 220}, ui_shade(0), ui_shade(200));
    SDL_Rect bar = {UI_SAFE_X, UI_HEIGHT - UI_SAFE_B - 40, UI_SAFE_W, 10};
    ui_fill(ui, bar, ui_highlight(70));
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
    text_draw(ui, t, 32, ui_color_text, UI_WIDTH - UI_SAFE_R, bar.y - 50, TEXT_RIGHT, 0);
    if (v->state == PLAYER_PAUSED) {
        ui_fill(ui, (SDL_Rect){UI_WIDTH / 2 - 50, UI_HEIGHT / 2 - 60, 36, 120}, ui_color_text);
        ui_fill(ui, (SDL_Rect){UI_WIDTH / 2 + 14, UI_HEIGHT / 2 - 60, 36, 120}, ui_color_text);
    }
}

/* Title and episode across the top, for video that leaves no room for the side panel. */
static void draw_title_bar(struct ui *ui, const struct ui_player_view *v)
{
    ui_gradient(ui, (SDL_Rect){0, 0, UI_WIDTH, 240}, ui_shade(200), ui_shade(0));
    text_draw(ui, v->series_title, 52, ui_color_text, UI_SAFE_X, UI_SAFE_Y, TEXT_LEFT, UI_SAFE_W);
    char ep[128];
    if (v->episode_count > 0)
        snprintf(ep, sizeof(ep), _("Episode %d / %d"), v->episode_index, v->episode_count);
    else
        snprintf(ep, sizeof(ep), _("Episode %d"), v->episode_index);
    text_draw(ui, ep, 36, ui_color_dim, UI_SAFE_X, UI_SAFE_Y + 70, TEXT_LEFT, 0);
}

/* Subtitles sit low over the picture, on a dark box so any video stays readable. */
static void draw_subtitle(struct ui *ui, const char *cue, SDL_Rect video, bool overlay)
{
    /* A cue is wrapped into the picture's width (9:16 video leaves about 600 px), up to three
     * lines, the last one on the line where one-line cues sit: it is never cut short. */
    enum { SIZE = 40, MAX_LINES = 3 };
    char lines[MAX_LINES][TEXT_LINE_MAX];
    int max_w = video.w - 40 < UI_SAFE_W ? video.w - 40 : UI_SAFE_W;
    int n = text_wrap(ui, cue, SIZE, max_w, lines, MAX_LINES, NULL);
    if (n <= 0)
        return;
    int w = 0;
    for (int i = 0; i < n; i++) {
        int lw = 0, lh = 0;
        if (text_measure(ui, lines[i], SIZE, &lw, &lh) == 0 && lw > w)
            w = lw;
    }
    if (w > max_w)
        w = max_w;
    int lh = text_line_height(ui, SIZE);
    int y = UI_HEIGHT - UI_SAFE_B - (overlay ? 230 : 110) - (n - 1) * lh;
    SDL_Rect box = {UI_WIDTH / 2 - w / 2 - 16, y - 8, w + 32, n * lh + 16};
    ui_fill(ui, box, ui_shade(170));
    text_draw_lines(ui, lines, n, SIZE, ui_color_text, UI_WIDTH / 2, y, TEXT_CENTER);
}

static void draw_info(struct ui *ui, const char *info)
{
    /* Each line of info wrapped into the panel (an error's detail can be long). */
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    bool first[TEXT_MAX_LINES] = {false};
    SDL_Rect r = {UI_WIDTH - UI_SAFE_R - 600, UI_SAFE_Y + 130, 600, 0};
    int n = 0;
    for (const char *p = info; *p && n < TEXT_MAX_LINES;) {
        size_t len = strcspn(p, "\n");
        char line[TEXT_LINE_MAX];
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        first[n] = p == info;
        n += text_wrap(ui, line, 28, r.w - 40, lines + n, TEXT_MAX_LINES - n, NULL);
        p += len + (p[len] == '\n');
    }
    r.h = 30 + n * 40;
    ui_fill_round(ui, r, ui_color_panel);
    for (int i = 0; i < n; i++)
        text_draw(ui, lines[i], 28, first[i] ? ui_color_accent : ui_color_text, r.x + 20,
                  r.y + 15 + i * 40, TEXT_LEFT, 0);
}

static void draw_volume(struct ui *ui, const struct ui_player_view *v)
{
    SDL_Rect r = {UI_WIDTH - UI_SAFE_R - 80, UI_HEIGHT / 2 - 200, 24, 400};
    ui_fill_round(ui, (SDL_Rect){r.x - 20, r.y - 20, r.w + 40, r.h + 100}, ui_color_panel);
    ui_fill(ui, r, ui_highlight(60));
    int level = v->muted ? 0 : v->volume_pct;
    SDL_Rect lvl = {r.x, r.y + r.h - r.h * level / 100, r.w, r.h * level / 100};
    if (lvl.h > 0) /* an empty rectangle would still draw a line */
        ui_fill(ui, lvl, ui_color_accent);
    char t[64];
    snprintf(t, sizeof(t), "%s", v->muted ? _("Mute") : "");
    if (!v->muted)
        snprintf(t, sizeof(t), "%d", v->volume_pct);
    text_draw(ui, t, 28, ui_color_text, r.x + r.w / 2, r.y + r.h + 20, TEXT_CENTER, 0);
}

/* What the pillars show, and where: the output size, the video rectangle, the backdrop, the
 * side panel's texts. */
static void layer_key(struct ui *ui, const struct ui_player_view *v, SDL_Texture *back, SDL_Rect vr,
                      char *key, size_t len)
{
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize(ui->renderer, &ow, &oh);
    /* The track lists by a hash: they are long, and the key has a bound. */
    unsigned h = 5381;
    for (const char *t = v->audio_tracks; t && *t; t++)
        h = h * 33 ^ (unsigned char)*t;
    for (const char *t = v->subtitle_tracks; t && *t; t++)
        h = h * 33 ^ (unsigned char)*t;
    snprintf(key, len, "%dx%d|%s|%d,%d,%d,%d|%p|%s|%d/%d|%s|%x,%d,%d", ow, oh,
             ui->rtl ? "rtl" : "ltr", vr.x, vr.y, vr.w, vr.h, (void *)back,
             v->series_title ? v->series_title : "", v->episode_index, v->episode_count,
             v->next_up ? v->next_up : "", h, v->audio_selected, v->subtitle_selected);
}

/* The pillars: the blurred, dimmed poster and the side panel, drawn straight. The side panel is
 * laid out on the left pillar; an RTL UI's mirror puts it on the right one. */
static void draw_pillars(struct ui *ui, const struct ui_player_view *v, SDL_Texture *back,
                         SDL_Rect vr)
{
    if (back) {
        SDL_RenderCopy(ui->renderer, back, NULL, NULL);
        ui_fill(ui, (SDL_Rect){0, 0, UI_WIDTH, UI_HEIGHT}, ui_shade(170));
    }
    draw_side_panel(ui, v, vr);
}

/* The pillars change once an episode, but drawing them costs most of a frame in the software
 * renderer (headless, QEMU): a full-screen stretch of the backdrop and a full-screen blend. So
 * they are drawn once into a texture of the output size, which each frame copies 1:1, and
 * drawn again only when what they show changes. Returns false when that cannot be done (no
 * render targets): the caller draws them straight. */
static bool draw_pillars_cached(struct ui *ui, const struct ui_player_view *v, SDL_Texture *back,
                                SDL_Rect vr, const char *key)
{
    SDL_Renderer *r = ui->renderer;
    int ow, oh;
    if (!SDL_RenderTargetSupported(r) || SDL_GetRendererOutputSize(r, &ow, &oh) != 0)
        return false;
    int tw = 0, th = 0;
    if (ui->layer)
        SDL_QueryTexture(ui->layer, NULL, NULL, &tw, &th);
    if (!ui->layer || tw != ow || th != oh) {
        if (ui->layer)
            SDL_DestroyTexture(ui->layer);
        ui->layer_key[0] = '\0';
        ui->layer =
            SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, ow, oh);
        if (!ui->layer)
            return false;
        SDL_SetTextureBlendMode(ui->layer, SDL_BLENDMODE_NONE);
    }
    if (strcmp(key, ui->layer_key) != 0) {
        /* The target gets the UI's 1920x1080 coordinates scaled to the output size, as the
         * screen does; the logical size must not apply meanwhile. */
        int lw, lh;
        SDL_RenderGetLogicalSize(r, &lw, &lh);
        if (SDL_SetRenderTarget(r, ui->layer) != 0)
            return false;
        SDL_RenderSetLogicalSize(r, 0, 0);
        SDL_RenderSetScale(r, (float)ow / UI_WIDTH, (float)oh / UI_HEIGHT);
        SDL_SetRenderDrawColor(r, 0, 0, 0, 255);
        SDL_RenderClear(r);
        ui_strings_layer(true); /* its strings, noted again each frame that copies it */
        draw_pillars(ui, v, back, vr);
        ui_strings_layer(false);
        SDL_RenderSetScale(r, 1, 1);
        SDL_SetRenderTarget(r, NULL);
        SDL_RenderSetLogicalSize(r, lw, lh);
        snprintf(ui->layer_key, sizeof(ui->layer_key), "%s", key);
    }
    SDL_RenderCopy(r, ui->layer, NULL, NULL);
    ui_strings_layer_copied();
    return true;
}

bool ui_video_window_rect(struct ui *ui, int *x, int *y, int *w, int *h)
{
    if (!ui->video_has_frame)
        return false;
    SDL_Rect vr = fit_video(ui);
    int x0, y0, x1, y1;
    SDL_RenderLogicalToWindow(ui->renderer, (float)vr.x, (float)vr.y, &x0, &y0);
    SDL_RenderLogicalToWindow(ui->renderer, (float)(vr.x + vr.w), (float)(vr.y + vr.h), &x1, &y1);
    *x = x0;
    *y = y0;
    *w = x1 - x0;
    *h = y1 - y0;
    return *w > 0 && *h > 0;
}

void ui_draw_player(struct ui *ui, const struct ui_player_view *v)
{
    bool video = ui->video_has_frame && (ui->video || ui->video_external);
    SDL_Rect vr = fit_video(ui);
    bool pillars = video && vr.x >= SIDE_PANEL_MIN_W;
    SDL_Texture *back = (pillars || !video) ? ui_backdrop(ui, v->poster_url) : NULL;
    bool over = (v->subtitle && *v->subtitle) || v->busy || v->overlay || v->info ||
                v->show_volume || v->toast || v->message_title || v->strip;
    char key[sizeof(ui->clean_key)];
    layer_key(ui, v, back, vr, key, sizeof(key));
    /* Only the picture changed: with the software renderer, everything else on screen is
     * still what the last frame drew, so drawing the picture over it is the whole frame.
     * That spares a full-screen clear and copy per frame (measured: 15-20% of binge's CPU
     * while playing headless). */
    bool partial = ui->software && v->partial_ok && ui->clean && video && ui->video &&
                   !ui->video_external && !over && strcmp(key, ui->clean_key) == 0;
    ui->clean = video && ui->video && !ui->video_external && !over;
    snprintf(ui->clean_key, sizeof(ui->clean_key), "%s", key);
    if (partial) {
        ui_copy_unmirrored(ui, ui->video, NULL, vr);
        return;
    }
    SDL_SetRenderDrawColor(ui->renderer, 0, 0, 0, 255);
    SDL_RenderClear(ui->renderer);
    if (pillars) {
        if (!draw_pillars_cached(ui, v, back, vr, key))
            draw_pillars(ui, v, back, vr);
    } else if (back) {
        SDL_RenderCopy(ui->renderer, back, NULL, NULL);
        ui_fill(ui, (SDL_Rect){0, 0, UI_WIDTH, UI_HEIGHT}, ui_shade(170));
    }
    if (video && ui->video_external) {
        /* A plane sink draws the picture: leave its rectangle clear (and transparent, for a
         * UI plane above the video plane). */
        SDL_SetRenderDrawBlendMode(ui->renderer, SDL_BLENDMODE_NONE);
        SDL_SetRenderDrawColor(ui->renderer, 0, 0, 0, 0);
        SDL_RenderFillRect(ui->renderer, &vr);
        SDL_SetRenderDrawBlendMode(ui->renderer, SDL_BLENDMODE_BLEND);
    } else if (video) {
        ui_copy_unmirrored(ui, ui->video, NULL, vr);
    } else {
        /* Until the first frame: the series poster, dimmed, so the screen is never blank. */
        SDL_Texture *poster = image_cache_texture(ui->images, v->poster_url);
        SDL_Rect r = {UI_WIDTH / 2 - 300, UI_HEIGHT / 2 - 450, 600, 900};
        if (poster) {
            ui_copy(ui, poster, NULL, r);
            ui_fill(ui, r, ui_shade(150));
        } else if (!v->message_title) {
            /* (A message panel covers the middle; the title's top would show above it.) */
            text_draw(ui, v->series_title, 56, ui_color_dim, UI_WIDTH / 2, UI_HEIGHT / 2 - 200,
                      TEXT_CENTER, UI_SAFE_W);
        }
    }

    if (v->subtitle && *v->subtitle)
        draw_subtitle(ui, v->subtitle, video ? vr : (SDL_Rect){0, 0, UI_WIDTH, UI_HEIGHT},
                      v->overlay);
    if (v->busy) {
        ui_spinner(ui, UI_WIDTH / 2, UI_HEIGHT / 2, 48, v->now_ms);
        if (v->busy_text)
            text_draw(ui, v->busy_text, 36, ui_color_text, UI_WIDTH / 2, UI_HEIGHT / 2 + 90,
                      TEXT_CENTER, UI_SAFE_W);
    }
    if (v->overlay) {
        if (!pillars)
            draw_title_bar(ui, v);
        if (!v->strip)
            draw_progress(ui, v);
    }
    if (v->strip)
        ui_draw_episode_strip(ui, v->strip);
    if (v->show_volume)
        draw_volume(ui, v);
    if (v->toast)
        ui_toast(ui, v->toast);
    if (v->message_title)
        ui_message_panel(ui, v->message_title, v->message_detail, v->message_more, v->message_hint,
                         v->state == PLAYER_ERROR);
    else if (v->info)
        draw_info(ui, v->info);
}
