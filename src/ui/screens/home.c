#include <stdio.h>
#include <string.h>

#include "../ui_internal.h"

/* Home: the hero of the focused card on top (a large backdrop from its poster, the title, genres,
 * synopsis and the series' size), and under it the shelves, one carousel row each. The focused
 * shelf sits at the top of the list with the next one peeking in under it, which tells the
 * viewer there is more. Everything but the hero's backdrop stays inside the safe area (5% by
 * default): the shelves are clipped to it, so a card cut by the edge says the row goes on without
 * crossing the safe line. Focus moves slide (the app gives the eased progress); nothing here keeps
 * time. */
#define HOME_HERO_Y (UI_SAFE_Y + 92)
#define HOME_HERO_TEXT_W 980
#define HOME_HERO_BG_X 700 /* the backdrop's left edge; the text reads over the fade into it */
#define HOME_HERO_BG_H 640
#define HOME_LIST_Y 480 /* the focused shelf's title */
#define HOME_ROW_H 400
#define HOME_TITLE_H 56
#define CARD_W 200
#define CARD_H 300
#define CARD_GAP 40
#define CARD_LEAD 2            /* cards of context left of the focused one */
#define ROW_X (UI_SAFE_X + 24) /* room for the enlarged focused card and its frame */
#define FOCUS_SCALE_NUM 112
#define HOME_BAR_X 230 /* the top bar, right of the logo */
#define HOME_BAR_Y (UI_SAFE_Y + 8)
#define HOME_BAR_H 54
#define HOME_BAR_PAD 26
#define HOME_BAR_GAP 18
#define HOME_BAR_TEXT 30

static float lerp(float a, float b, float t)
{
    return a + (b - a) * t;
}

/* A continue-watching card: "EP n" on the poster and how far into it the viewer is. */
static void draw_continue(struct ui *ui, const struct catalog_item *item, SDL_Rect r)
{
    char ep[64];
    snprintf(ep, sizeof(ep), _("EP %d"), item->episode_index);
    int w = 0, h = 0;
    if (text_measure(ui, ep, 26, &w, &h) == 0) {
        SDL_Rect badge = {r.x + 10, r.y + 10, w + 20, h + 6};
        ui_fill_round(ui, badge, ui_color_focus);
        text_draw(ui, ep, 26, ui_color_text, badge.x + 10, badge.y + 3, TEXT_LEFT, 0);
    }
    SDL_Rect bar = {r.x, r.y + r.h - 10, r.w, 10};
    ui_fill(ui, bar, ui_shade(200));
    if (item->duration_ms > 0) {
        int64_t pos = item->resume_ms < item->duration_ms ? item->resume_ms : item->duration_ms;
        bar.w = (int)(r.w * pos / item->duration_ms);
        if (bar.w < 4 && pos > 0)
            bar.w = 4;
        ui_fill(ui, bar, ui_color_accent);
    }
}

/* The card's title in the viewer's language, over a dark gradient across the poster's bottom
 * (posters carry no text, so one picture serves every language): one line, centred, cut with an
 * ellipsis. Above a continue-watching card's progress bar. The gradient is one small texture
 * stretched with linear filtering, as the hero's fade. */
#define CARD_TITLE_SIZE 26
#define CARD_SHADE_N 32
static void draw_card_title(struct ui *ui, const struct catalog_item *item, SDL_Rect r)
{
    if (!ui->card_shade) {
        SDL_Surface *sf =
            SDL_CreateRGBSurfaceWithFormat(0, 1, CARD_SHADE_N, 32, SDL_PIXELFORMAT_ARGB8888);
        if (sf) {
            for (int y = 0; y < CARD_SHADE_N; y++) {
                float v = (float)y / (CARD_SHADE_N - 1);
                Uint8 a = (Uint8)(235 * (v < 0.6f ? v / 0.6f : 1));
                *(Uint32 *)((Uint8 *)sf->pixels + y * sf->pitch) =
                    SDL_MapRGBA(sf->format, ui_shade(a).r, ui_shade(a).g, ui_shade(a).b, a);
            }
            ui->card_shade = SDL_CreateTextureFromSurface(ui->renderer, sf);
            SDL_FreeSurface(sf);
        }
        if (ui->card_shade) {
            SDL_SetTextureBlendMode(ui->card_shade, SDL_BLENDMODE_BLEND);
            SDL_SetTextureScaleMode(ui->card_shade, SDL_ScaleModeLinear);
        }
    }
    int w = 0, h = 0;
    if (!item->title || !*item->title ||
        text_measure(ui, item->title, CARD_TITLE_SIZE, &w, &h) != 0)
        return;
    int bottom = r.y + r.h - (item->episode_id ? 10 : 0) - 10;
    SDL_Rect band = {r.x, bottom - h - r.h / 5, r.w, r.y + r.h - (bottom - h - r.h / 5)};
    if (ui->card_shade)
        ui_copy(ui, ui->card_shade, NULL, band);
    else
        ui_fill(ui, (SDL_Rect){r.x, bottom - h - 6, r.w, r.y + r.h - (bottom - h - 6)},
                ui_shade(190));
    text_draw(ui, item->title, CARD_TITLE_SIZE, ui_color_text, r.x + r.w / 2, bottom - h,
              TEXT_CENTER, r.w - 20);
}

static void draw_card(struct ui *ui, const struct catalog_item *item, int x, int y, float focus)
{
    SDL_Rect r = {x, y, CARD_W, CARD_H};
    if (focus > 0) {
        int w = (int)(CARD_W * lerp(100, FOCUS_SCALE_NUM, focus) / 100);
        int h = (int)(CARD_H * lerp(100, FOCUS_SCALE_NUM, focus) / 100);
        r = (SDL_Rect){x - (w - CARD_W) / 2, y - (h - CARD_H) / 2, w, h};
    }
    SDL_Texture *poster = image_cache_texture(ui->images, item->poster_url);
    if (poster) {
        ui_copy(ui, poster, NULL, r);
        draw_card_title(ui, item, r);
    } else {
        /* A titled placeholder while the poster loads or when it failed: never a hole. */
        ui_fill_round(ui, r, ui_color_card);
        text_draw_wrapped(ui, item->title, 24, ui_color_dim, r.x + 12, r.y + r.h / 2 - 30, r.w - 24,
                          3);
    }
    if (item->episode_id)
        draw_continue(ui, item, r);
    if (focus > 0)
        ui_frame_round(ui, r, 6, ui_color_accent);
}

/* The first card shown when the focus is on card `col` of a row of n: the row scrolls so the
 * focus keeps CARD_LEAD cards of context on its left, and never past its end. */
static size_t row_first(const struct ui *ui, size_t col, size_t n)
{
    size_t visible = (size_t)((UI_SAFE_W - (ROW_X - UI_SAFE_X)) / (CARD_W + CARD_GAP));
    return ui_scroll_first(col, n, visible ? visible : 1, CARD_LEAD);
}

/* One shelf at y: its title and its cards, scrolled to `first` (fractional while sliding).
 * focus: the focused card's index, or n for none; grow: how far its focus has grown (0..1). */
static void draw_shelf(struct ui *ui, const struct catalog_shelf *shelf, int y, bool focused,
                       float first, size_t focus, float grow)
{
    text_draw(ui, shelf->title, 40, focused ? ui_color_text : ui_color_dim, UI_SAFE_X, y, TEXT_LEFT,
              UI_SAFE_W);
    int cy = y + HOME_TITLE_H + 20;
    if (shelf->n_items == 0) {
        text_draw(ui, _("Nothing here yet"), 28, ui_color_dim, UI_SAFE_X, cy, TEXT_LEFT, 0);
        return;
    }
    int step = CARD_W + CARD_GAP;
    float x0 = ROW_X - first * step;
    /* The cards in the safe area, plus the ones cut by its edges; the focused one last, over
     * its neighbours. */
    for (size_t i = 0; i < shelf->n_items; i++) {
        int x = (int)(x0 + (float)i * step);
        if (x + CARD_W < UI_SAFE_X || i == focus)
            continue;
        if (x > UI_SAFE_X + UI_SAFE_W)
            break;
        draw_card(ui, &shelf->items[i], x, cy, 0);
    }
    if (focus < shelf->n_items)
        draw_card(ui, &shelf->items[focus], (int)(x0 + (float)focus * step), cy, grow);
}

/* The hero's fade: the background colour with an alpha that covers the backdrop fully on its
 * left edge and its bottom edge and not at all in its top right, as one small texture stretched
 * with linear filtering (bands of rectangles leave seams once the logical size is scaled). */
#define FADE_N 64
#define FADE_LEFT 0.57f  /* the share of the width the left fade takes */
#define FADE_BOTTOM 0.6f /* where the bottom fade begins, as a share of the height */
static SDL_Texture *hero_fade(struct ui *ui)
{
    if (ui->hero_fade)
        return ui->hero_fade;
    SDL_Surface *sf =
        SDL_CreateRGBSurfaceWithFormat(0, FADE_N, FADE_N, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!sf)
        return NULL;
    for (int y = 0; y < FADE_N; y++) {
        Uint32 *row = (Uint32 *)((Uint8 *)sf->pixels + y * sf->pitch);
        for (int x = 0; x < FADE_N; x++) {
            float u = (float)x / (FADE_N - 1), v = (float)y / (FADE_N - 1);
            float hf = u < FADE_LEFT ? 1 - u / FADE_LEFT : 0;
            float vf = v > FADE_BOTTOM ? (v - FADE_BOTTOM) / (1 - FADE_BOTTOM) : 0;
            float a = 1 - (1 - hf) * (1 - vf);
            row[x] = SDL_MapRGBA(sf->format, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b,
                                 (Uint8)(a * 255 + 0.5f));
        }
    }
    ui->hero_fade = SDL_CreateTextureFromSurface(ui->renderer, sf);
    SDL_FreeSurface(sf);
    if (ui->hero_fade) {
        SDL_SetTextureBlendMode(ui->hero_fade, SDL_BLENDMODE_BLEND);
        SDL_SetTextureScaleMode(ui->hero_fade, SDL_ScaleModeLinear);
    }
    return ui->hero_fade;
}

/* In an RTL UI the backdrop is mirrored (top left) and its fade flipped (it covers the backdrop's
 * right edge, towards the text); the poster is never flipped. */
static void compose_hero_backdrop(struct ui *ui, SDL_Texture *poster, SDL_Rect dst)
{
    int tw = 0, th = 0;
    if (SDL_QueryTexture(poster, NULL, NULL, &tw, &th) != 0 || tw <= 0 || th <= 0)
        return;
    int sh = tw * dst.h / dst.w;
    if (sh > th)
        sh = th;
    SDL_Rect src = {0, (th - sh) / 3, tw, sh};
    ui_copy(ui, poster, &src, dst);
    ui_fill(ui, dst, ui_shade(130));
    SDL_Texture *fade = hero_fade(ui);
    if (fade)
        ui_copy_directional(ui, fade, NULL, dst);
    else
        ui_fill(ui, dst, ui_color_panel); /* no fade: dim it all, the text still reads */
}

/* The backdrop costs three scaled, blended passes over a third of the screen: too much for a
 * software renderer at every frame of a focus slide. It is composed once per poster into a
 * texture of its size on the output, which each frame copies 1:1. */
static bool draw_hero_backdrop_cached(struct ui *ui, SDL_Texture *poster, const char *url,
                                      SDL_Rect dst)
{
    SDL_Renderer *r = ui->renderer;
    int x0, y0, x1, y1;
    if (!SDL_RenderTargetSupported(r))
        return false;
    SDL_Rect at = ui_mirror(ui, dst); /* where it lands on screen */
    SDL_RenderLogicalToWindow(r, (float)at.x, (float)at.y, &x0, &y0);
    SDL_RenderLogicalToWindow(r, (float)(at.x + at.w), (float)(at.y + at.h), &x1, &y1);
    int w = x1 - x0, h = y1 - y0;
    if (w <= 0 || h <= 0)
        return false;
    char key[sizeof(ui->hero_key)];
    snprintf(key, sizeof(key), "%dx%d%s %s", w, h, ui->rtl ? " rtl" : "", url);
    if (strcmp(key, ui->hero_key) != 0) {
        int tw = 0, th = 0;
        if (ui->hero_layer)
            SDL_QueryTexture(ui->hero_layer, NULL, NULL, &tw, &th);
        if (!ui->hero_layer || tw != w || th != h) {
            if (ui->hero_layer)
                SDL_DestroyTexture(ui->hero_layer);
            ui->hero_layer =
                SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, w, h);
            if (!ui->hero_layer)
                return false;
            SDL_SetTextureBlendMode(ui->hero_layer, SDL_BLENDMODE_NONE);
        }
        /* The logical size must not apply while drawing into the target. */
        int lw, lh;
        SDL_RenderGetLogicalSize(r, &lw, &lh);
        if (SDL_SetRenderTarget(r, ui->hero_layer) != 0)
            return false;
        SDL_RenderSetLogicalSize(r, 0, 0);
        SDL_RenderSetScale(r, (float)w / dst.w, (float)h / dst.h);
        SDL_SetRenderDrawColor(r, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b, 255);
        SDL_RenderClear(r);
        bool mirror = ui_mirror_pause(ui); /* the texture's own coordinates */
        compose_hero_backdrop(ui, poster, (SDL_Rect){0, 0, dst.w, dst.h});
        ui_mirror_resume(ui, mirror);
        SDL_RenderSetScale(r, 1, 1);
        SDL_SetRenderTarget(r, NULL);
        SDL_RenderSetLogicalSize(r, lw, lh);
        snprintf(ui->hero_key, sizeof(ui->hero_key), "%s", key);
    }
    ui_copy(ui, ui->hero_layer, NULL, dst);
    return true;
}

/* The hero's backdrop: the poster's upper middle, scaled up over the top right (top left in an
 * RTL UI, the poster not flipped; the only thing
 * drawn past the safe lines), dimmed, and faded into the background on its left and bottom so
 * the text left of it reads at 4.5:1 or better. Worst case (a white poster): the dim leaves
 * 255 * (1 - 130/255) = 125 at most; where the text ends (x <= 1076) the fade still covers 46%
 * with the background, so the backdrop is at most 0.54 * 125 + 0.46 * 16 = 75, luminance 0.07,
 * against which ui_color_text reads at 7.7:1 and ui_color_soft at 6.1:1. */
static void draw_hero_backdrop(struct ui *ui, const char *poster_url)
{
    SDL_Texture *poster = poster_url ? image_cache_texture(ui->images, poster_url) : NULL;
    if (!poster)
        return;
    SDL_Rect dst = {HOME_HERO_BG_X, 0, UI_WIDTH - HOME_HERO_BG_X, HOME_HERO_BG_H};
    if (!draw_hero_backdrop_cached(ui, poster, poster_url, dst))
        compose_hero_backdrop(ui, poster, dst);
}

static void draw_hero(struct ui *ui, const struct ui_home_view *v)
{
    const struct catalog_item *item = v->hero;
    int x = UI_SAFE_X, y = HOME_HERO_Y;
    text_draw(ui, item->title, 60, ui_color_text, x, y, TEXT_LEFT, HOME_HERO_TEXT_W);
    y += text_line_height(ui, 60) + 6;
    int mx = x;
    if (v->hero_meta)
        mx +=
            text_draw(ui, v->hero_meta, 30, ui_color_soft, x, y + 4, TEXT_LEFT, HOME_HERO_TEXT_W) +
            24;
    /* Genre tags after the meta line, as long as they fit. */
    for (size_t i = 0; i < item->n_genres; i++) {
        int w = 0, h = 0;
        if (text_measure(ui, item->genres[i], 26, &w, &h) != 0)
            continue;
        if (mx + w + 28 > x + HOME_HERO_TEXT_W)
            break;
        SDL_Rect tag = {mx, y, w + 28, h + 8};
        ui_fill(ui, tag, ui_highlight(36));
        ui_frame(ui, tag, 2, ui_highlight(90));
        text_draw(ui, item->genres[i], 26, ui_color_text, mx + 14, y + 4, TEXT_LEFT, 0);
        mx += tag.w + 14;
    }
    y += text_line_height(ui, 30) + 22;
    if (item->synopsis)
        text_draw_wrapped(ui, item->synopsis, 30, ui_color_soft, x, y, HOME_HERO_TEXT_W, 2);
}

/* The brand, top left: the theme's logo fitted into HOME_LOGO_W x HOME_LOGO_H (never scaled
 * up past 2x, never flipped in an RTL UI), else its name in the accent colour in the room left of
 * the bar. */
#define HOME_LOGO_W (HOME_BAR_X - 20)
#define HOME_LOGO_H 64
static void draw_brand(struct ui *ui)
{
    if (ui->logo && ui->logo_w > 0 && ui->logo_h > 0) {
        int w = HOME_LOGO_W, h = (int)((int64_t)ui->logo_h * HOME_LOGO_W / ui->logo_w);
        if (h > HOME_LOGO_H) {
            h = HOME_LOGO_H;
            w = (int)((int64_t)ui->logo_w * HOME_LOGO_H / ui->logo_h);
        }
        if (w > 2 * ui->logo_w || h > 2 * ui->logo_h) {
            w = 2 * ui->logo_w;
            h = 2 * ui->logo_h;
        }
        ui_copy(
            ui, ui->logo, NULL,
            (SDL_Rect){UI_SAFE_X, UI_SAFE_Y + (HOME_LOGO_H - h) / 2, w > 0 ? w : 1, h > 0 ? h : 1});
        return;
    }
    /* A longer name than "binge" steps down in size to fit (to 36 px, cut past that), on the
     * same baseline band. */
    int size = 64, w = 0, h = 0;
    if (text_measure(ui, ui->theme.name, size, &w, &h) == 0 && w > HOME_LOGO_W) {
        size = 64 * HOME_LOGO_W / w;
        size = size < 36 ? 36 : size;
    }
    text_draw(ui, ui->theme.name, size, ui_color_accent, UI_SAFE_X, UI_SAFE_Y - 6 + (64 - size) / 2,
              TEXT_LEFT, HOME_LOGO_W);
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
        ui_fill_round(ui, r, focused ? ui_color_focus : ui_color_card);
        if (focused)
            ui_frame_round(ui, r, 3, ui_color_text);
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
    if (v->home && v->home->n_shelves && v->hero)
        draw_hero_backdrop(ui, v->hero->poster_url);
    draw_brand(ui);
    int bar_end = draw_bar(ui, v, UI_SAFE_X + HOME_BAR_X);
    if (v->header_right)
        text_draw(ui, v->header_right, 30, ui_color_dim, UI_WIDTH - UI_SAFE_R, UI_SAFE_Y + 18,
                  TEXT_RIGHT, UI_WIDTH - UI_SAFE_R - bar_end - 20);

    const struct catalog_home *home = v->home;
    if (!home || home->n_shelves == 0) {
        const char *title = v->status_title ? v->status_title : _("Nothing to watch yet");
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

    /* The shelves slide: the list to the focused shelf, and a shelf's cards to its focus. */
    float e = v->anim < 0 ? 0 : v->anim > 1 ? 1 : v->anim;
    bool moving_rows = v->from_shelf != v->focus_shelf && v->from_shelf < home->n_shelves;
    float top =
        moving_rows ? lerp((float)v->from_shelf, (float)v->focus_shelf, e) : (float)v->focus_shelf;
    SDL_Rect clip = {UI_SAFE_X, HOME_LIST_Y - 24, UI_SAFE_W,
                     UI_HEIGHT - UI_SAFE_B - (HOME_LIST_Y - 24)};
    ui_clip(ui, &clip);
    for (size_t s = 0; s < home->n_shelves; s++) {
        float rel = (float)s - top;
        if (rel <= -1.0f || rel * HOME_ROW_H > clip.h)
            continue;
        const struct catalog_shelf *shelf = &home->shelves[s];
        bool focused = s == v->focus_shelf && !v->bar_focused;
        size_t col = v->focus_item[s];
        float first = (float)row_first(ui, col, shelf->n_items);
        if (s == v->focus_shelf && v->from_shelf == s && v->from_item != col)
            first = lerp((float)row_first(ui, v->from_item, shelf->n_items), first, e);
        /* The focus grows in on its new card (at once when it comes back from the bar). */
        float grow = v->from_shelf == v->focus_shelf && v->from_item == col ? 1 : e;
        draw_shelf(ui, shelf, HOME_LIST_Y + (int)(rel * HOME_ROW_H), focused, first,
                   focused ? col : shelf->n_items, grow);
    }
    ui_clip(ui, NULL);

    if (v->hero)
        draw_hero(ui, v);

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
            SDL_Rect r = {UI_WIDTH - UI_SAFE_R - w - 40, UI_SAFE_Y + 66, w + 40, h + 16};
            ui_fill_round(ui, r, ui_color_panel);
            text_draw(ui, line, 28, v->status_is_error ? ui_color_error : ui_color_text, r.x + 20,
                      r.y + 8, TEXT_LEFT, w);
        }
    }
}
