#include <stdio.h>
#include <string.h>

#include "../ui_internal.h"

/* The series page: the poster on the left over its blurred self, the series on the right
 * (title, genres, the facts line, synopsis), the buttons, the range tabs and the episode grid.
 * Everything stays inside the safe area (5% by default). */
#define SP_POSTER_X UI_SAFE_X
#define SP_POSTER_Y (UI_SAFE_Y + 30)
#define SP_POSTER_W 400
#define SP_POSTER_H 600
#define SP_X (SP_POSTER_X + SP_POSTER_W + 64)
#define SP_W (UI_WIDTH - UI_SAFE_R - SP_X)
#define SP_BUTTONS_Y (UI_SAFE_Y + 346)
#define SP_BUTTON_H 76
#define SP_TABS_Y (SP_BUTTONS_Y + SP_BUTTON_H + 32)
#define SP_TAB_W 170
#define SP_TAB_H 52
#define SP_GRID_Y (SP_TABS_Y + SP_TAB_H + 24)
#define SP_CELL_GAP 14
#define SP_CELL_W ((SP_W - (UI_SERIES_COLS - 1) * SP_CELL_GAP) / UI_SERIES_COLS)
#define SP_CELL_H 110

/* A padlock at (x, y), 20x26: closed, or open (the shackle lifted off the body on the right). */
static void draw_lock(struct ui *ui, int x, int y, bool open, SDL_Color c)
{
    ui_fill(ui, (SDL_Rect){x, y + 11, 20, 15}, c);
    int sy = open ? y - 5 : y;
    ui_fill(ui, (SDL_Rect){x + 3, sy, 3, open ? 16 : 11}, c);
    ui_fill(ui, (SDL_Rect){x + 3, sy, 14, 3}, c);
    ui_fill(ui, (SDL_Rect){x + 14, sy, 3, open ? 6 : 11}, c);
}

/* A check mark in a box of size x size at (x, y): two legs of t x t steps. */
static void draw_check(struct ui *ui, int x, int y, int size, int t, SDL_Color c)
{
    int k = size / 3; /* the short leg goes down-right to (k, size - t), the long one up */
    for (int i = 0; i <= k; i++)
        ui_fill(ui, (SDL_Rect){x + i, y + size - t - k + i, t, t}, c);
    for (int i = 0; i <= size - t - k; i++)
        ui_fill(ui, (SDL_Rect){x + k + i, y + size - t - i, t, t}, c);
}

static void format_runtime(int64_t s, char *buf, size_t len)
{
    if (s >= 3600)
        snprintf(buf, len, _("%lldh %02lldm"), (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, len, _("%lldm %02llds"), (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, len, _("%llds"), (long long)s);
}

/* The lines of the header under the title: genres, and the facts. */
struct header_lines {
    char genres[512];
    char facts[512];
};

static void header_lines(const struct catalog_series *se, struct header_lines *hl)
{
    hl->genres[0] = hl->facts[0] = '\0';
    if (!se)
        return;
    size_t off = 0;
    for (size_t i = 0; i < se->n_genres && off < sizeof(hl->genres); i++)
        off += (size_t)snprintf(hl->genres + off, sizeof(hl->genres) - off, "%s%s",
                                i ? "  \xc2\xb7  " : "", se->genres[i]);
    char runtime[32];
    format_runtime(se->total_duration_s, runtime, sizeof(runtime));
    char eps[128], free[96], all[96], price[160];
    snprintf(all, sizeof(all), _("%s in all"), runtime);
    if (se->episode_price_coins > 0) {
        snprintf(eps, sizeof(eps), P_("%d episode", "%d episodes", se->episode_count),
                 se->episode_count);
        snprintf(free, sizeof(free), P_("%d free", "%d free", se->free_episodes),
                 se->free_episodes);
        snprintf(
            price, sizeof(price),
            P_("%d coin an episode after", "%d coins an episode after", se->episode_price_coins),
            se->episode_price_coins);
        snprintf(hl->facts, sizeof(hl->facts), "%s  \xc2\xb7  %s  \xc2\xb7  %s  \xc2\xb7  %s", eps,
                 free, all, price);
    } else {
        snprintf(eps, sizeof(eps),
                 P_("%d episode, all free", "%d episodes, all free", se->episode_count),
                 se->episode_count);
        snprintf(hl->facts, sizeof(hl->facts), "%s  \xc2\xb7  %s", eps, all);
    }
}

static void draw_header(struct ui *ui, const struct ui_series_view *v,
                        const struct header_lines *hl)
{
    SDL_Rect poster = {SP_POSTER_X, SP_POSTER_Y, SP_POSTER_W, SP_POSTER_H};
    SDL_Texture *tex = image_cache_texture(ui->images, v->poster_url);
    if (tex) {
        ui_copy(ui, tex, NULL, poster); /* placed mirrored in RTL, never flipped */
    } else {
        ui_fill_round(ui, poster, ui_color_card);
        text_draw_wrapped(ui, v->title, 34, ui_color_dim, poster.x + 20, poster.y + 260,
                          poster.w - 40, 3);
    }
    int y = SP_POSTER_Y - 6;
    text_draw(ui, v->title ? v->title : "", 60, ui_color_text, SP_X, y, TEXT_LEFT, SP_W);
    y += 84;
    const struct catalog_series *se = v->series;
    if (!se)
        return;
    if (hl->genres[0]) {
        text_draw(ui, hl->genres, 30, ui_color_accent, SP_X, y, TEXT_LEFT, SP_W);
        y += 46;
    }
    text_draw(ui, hl->facts, 30, ui_color_text, SP_X, y, TEXT_LEFT, SP_W);
    y += 50;
    if (se->synopsis)
        text_draw_wrapped(ui, se->synopsis, 28, ui_color_dim, SP_X, y, SP_W, 3);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* a separator: ("ab", "c") is not ("a", "bc") */
}

/* Everything behind the buttons and the grid (the backdrop, the poster, the header) changes
 * only with the series, but stretching the blurred backdrop over the screen alone cost the
 * software renderer 24 ms a frame at 1920x1080. It is composed once at the output size and
 * copied 1:1 each frame while what it shows stays the same. Returns false when it can't be
 * (no render targets): then the caller draws it all. */
static bool draw_page_cached(struct ui *ui, const struct ui_series_view *v,
                             const struct header_lines *hl)
{
    SDL_Renderer *r = ui->renderer;
    int x0, y0, x1, y1;
    if (!SDL_RenderTargetSupported(r) || SDL_GetRenderTarget(r))
        return false;
    SDL_RenderLogicalToWindow(r, 0, 0, &x0, &y0);
    SDL_RenderLogicalToWindow(r, (float)UI_WIDTH, (float)UI_HEIGHT, &x1, &y1);
    int w = x1 - x0, h = y1 - y0;
    /* No window (a renderer on a surface): the output is the surface. */
    if ((w <= 0 || h <= 0) && (SDL_GetRendererOutputSize(r, &w, &h) != 0 || w <= 0 || h <= 0))
        return false;
    /* What the layer shows: the pictures as far as they are loaded, and every string. */
    bool back = ui_backdrop(ui, v->poster_url) != NULL; /* made now, not inside the target */
    bool poster = image_cache_texture(ui->images, v->poster_url) != NULL;
    uint64_t k = fnv1a(1469598103934665603ull, v->poster_url);
    k = fnv1a(k, v->title);
    k = fnv1a(k, hl->genres);
    k = fnv1a(k, hl->facts);
    k = fnv1a(k, v->series ? v->series->synopsis : NULL);
    char key[sizeof(ui->series_key)];
    snprintf(key, sizeof(key), "%dx%d %d%d%d%d %016llx", w, h, ui->rtl, back, poster,
             v->series != NULL, (unsigned long long)k);
    if (strcmp(key, ui->series_key) != 0) {
        int tw = 0, th = 0;
        if (ui->series_layer)
            SDL_QueryTexture(ui->series_layer, NULL, NULL, &tw, &th);
        if (!ui->series_layer || tw != w || th != h) {
            if (ui->series_layer)
                SDL_DestroyTexture(ui->series_layer);
            ui->series_layer =
                SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, w, h);
            ui->series_key[0] = '\0';
            if (!ui->series_layer)
                return false;
            SDL_SetTextureBlendMode(ui->series_layer, SDL_BLENDMODE_NONE);
        }
        /* The logical size must not apply while drawing into the target: a scale does. */
        int lw, lh;
        SDL_RenderGetLogicalSize(r, &lw, &lh);
        if (SDL_SetRenderTarget(r, ui->series_layer) != 0)
            return false;
        SDL_RenderSetLogicalSize(r, 0, 0);
        SDL_RenderSetScale(r, (float)w / UI_WIDTH, (float)h / UI_HEIGHT);
        ui_draw_backdrop(ui, v->poster_url);
        draw_header(ui, v, hl);
        SDL_RenderSetScale(r, 1, 1);
        SDL_SetRenderTarget(r, NULL);
        SDL_RenderSetLogicalSize(r, lw, lh);
        snprintf(ui->series_key, sizeof(ui->series_key), "%s", key);
    }
    SDL_RenderCopy(r, ui->series_layer, NULL, NULL);
    return true;
}

void ui_series_release(struct ui *ui)
{
    if (ui && ui->series_layer)
        SDL_DestroyTexture(ui->series_layer);
    if (ui) {
        ui->series_layer = NULL;
        ui->series_key[0] = '\0';
    }
}

static void draw_button(struct ui *ui, SDL_Rect r, const char *label, bool focused, bool marked)
{
    ui_fill_round(ui, r, focused ? ui_color_focus : ui_color_panel_solid);
    if (focused)
        ui_frame_round(ui, r, 4, ui_color_text);
    else if (marked)
        ui_frame_round(ui, r, 2, ui_color_accent);
    int w = 0, h = 0;
    text_measure(ui, label, 34, &w, &h);
    text_draw(ui, label, 34, ui_color_text, r.x + r.w / 2, r.y + (r.h - h) / 2, TEXT_CENTER,
              r.w - 24);
}

static void draw_cell(struct ui *ui, const struct ui_series_view *v, size_t i, SDL_Rect r,
                      bool focused)
{
    const struct catalog_episode *ep = &v->series->episodes[i];
    bool locked = ep->state == CATALOG_LOCKED;
    ui_fill_round(ui, r, focused ? ui_color_focus : locked ? ui_color_card_dim : ui_color_cell);
    if (focused)
        ui_frame_round(ui, r, 4, ui_color_text);
    char num[16];
    snprintf(num, sizeof(num), "%d", ep->index);
    text_draw(ui, num, 40, locked && !focused ? ui_color_dim : ui_color_text, r.x + r.w / 2,
              r.y + 14, TEXT_CENTER, r.w - 8);
    int by = r.y + r.h - 40;
    if (locked) {
        char price[16];
        snprintf(price, sizeof(price), "%d", ep->price_coins);
        int w = 0, h = 0;
        text_measure(ui, price, 24, &w, &h);
        int x = r.x + (r.w - (20 + 8 + w)) / 2;
        draw_lock(ui, x, by, false, focused ? ui_color_text : ui_color_accent);
        text_draw(ui, price, 24, focused ? ui_color_text : ui_color_accent, x + 28, by, TEXT_LEFT,
                  0);
    } else if (ep->state == CATALOG_FREE) {
        text_draw(ui, _("FREE"), 22, focused ? ui_color_text : ui_color_success, r.x + r.w / 2,
                  by + 2, TEXT_CENTER, r.w - 8);
    } else {
        draw_lock(ui, r.x + r.w / 2 - 10, by, true, focused ? ui_color_text : ui_color_success);
    }
    /* Watched: a full bar and a check in the top right corner (clear of the mark below, whose
     * label's width varies with the language); part-way: its own bar. */
    int pct = v->progress_pct ? v->progress_pct[i] : -1;
    if (pct >= 0) {
        SDL_Rect bar = {r.x, r.y + r.h - 6, r.w, 6};
        ui_fill(ui, bar, ui_shade(160));
        bar.w = r.w * pct / 100;
        ui_fill(ui, bar, focused ? ui_color_text : ui_color_accent);
    }
    if (pct >= 100)
        draw_check(ui, r.x + r.w - 26, r.y + 8, 18, 3, focused ? ui_color_text : ui_color_success);
}

void ui_draw_series(struct ui *ui, const struct ui_series_view *v)
{
    struct header_lines hl;
    header_lines(v->series, &hl);
    if (!draw_page_cached(ui, v, &hl)) {
        ui_draw_backdrop(ui, v->poster_url);
        draw_header(ui, v, &hl);
    }

    SDL_Rect b0 = {SP_X, SP_BUTTONS_Y, 520, SP_BUTTON_H};
    SDL_Rect b1 = {SP_X + 520 + 24, SP_BUTTONS_Y, 320, SP_BUTTON_H};
    draw_button(ui, b0, v->primary ? v->primary : _("Play"), v->zone == 0 && v->button == 0, false);
    draw_button(ui, b1, v->mylist ? v->mylist : _("My list"), v->zone == 0 && v->button == 1,
                v->in_mylist);

    const struct catalog_series *se = v->series;
    if (!se) {
        if (v->busy)
            ui_spinner(ui, SP_X + SP_W / 2, SP_GRID_Y + 160, 40, v->now_ms);
    } else if (se->n_episodes == 0) {
        text_draw(ui, _("No episodes yet"), 32, ui_color_dim, SP_X, SP_TABS_Y + 10, TEXT_LEFT,
                  SP_W);
    } else {
        size_t n = se->n_episodes;
        size_t ranges = (n + UI_SERIES_RANGE - 1) / UI_SERIES_RANGE;
        size_t range = v->range < ranges ? v->range : 0;
        /* The tabs: up to what fits; the ones around the range shown when there are more. */
        size_t fit = (size_t)((SP_W + 16) / (SP_TAB_W + 16));
        size_t first = range >= fit ? range - fit + 1 : 0;
        for (size_t t = first; t < ranges && t < first + fit; t++) {
            size_t a = t * UI_SERIES_RANGE, b = a + UI_SERIES_RANGE - 1;
            if (b >= n)
                b = n - 1;
            char label[32];
            snprintf(label, sizeof(label), "%d\xe2\x80\x93%d", se->episodes[a].index,
                     se->episodes[b].index);
            SDL_Rect r = {SP_X + (int)(t - first) * (SP_TAB_W + 16), SP_TABS_Y, SP_TAB_W, SP_TAB_H};
            bool focused = v->zone == 1 && t == range;
            if (focused)
                ui_fill_round(ui, r, ui_color_focus);
            else if (t == range)
                ui_fill_round(ui, r, ui_color_panel_solid);
            if (t == range)
                ui_fill(ui, (SDL_Rect){r.x, r.y + r.h - 4, r.w, 4},
                        focused ? ui_color_text : ui_color_accent);
            text_draw(ui, label, 30, t == range ? ui_color_text : ui_color_dim, r.x + r.w / 2,
                      r.y + 8, TEXT_CENTER, r.w - 8);
        }
        size_t start = range * UI_SERIES_RANGE;
        size_t focused_i = v->zone == 2 ? v->cell : (size_t)-1;
        for (size_t i = start; i < n && i < start + UI_SERIES_RANGE; i++) {
            if (i == focused_i)
                continue;
            size_t pos = i - start;
            SDL_Rect r = {SP_X + (int)(pos % UI_SERIES_COLS) * (SP_CELL_W + SP_CELL_GAP),
                          SP_GRID_Y + (int)(pos / UI_SERIES_COLS) * (SP_CELL_H + SP_CELL_GAP),
                          SP_CELL_W, SP_CELL_H};
            draw_cell(ui, v, i, r, false);
        }
        if (focused_i >= start && focused_i < n && focused_i < start + UI_SERIES_RANGE) {
            size_t pos = focused_i - start;
            SDL_Rect r = {SP_X + (int)(pos % UI_SERIES_COLS) * (SP_CELL_W + SP_CELL_GAP),
                          SP_GRID_Y + (int)(pos / UI_SERIES_COLS) * (SP_CELL_H + SP_CELL_GAP),
                          SP_CELL_W, SP_CELL_H};
            draw_cell(ui, v, focused_i, r, true);
        }
    }
    int hy = UI_HEIGHT - UI_SAFE_B - 44;
    if (v->status)
        ui_text_block(ui, v->status, (SDL_Rect){SP_X, hy - 46, SP_W, 80}, 30, 24, ui_color_error,
                      TEXT_LEFT);
    else
        text_draw(ui,
                  _("OK to play  \xc2\xb7  0-9 to jump to an episode  \xc2\xb7  BACK to return"),
                  26, ui_color_dim, SP_X, hy, TEXT_LEFT, SP_W);
}

/* The strip over the player: a panel along the bottom with the episodes in a scrolling row. */
#define STRIP_CELL 120
#define STRIP_GAP 16

struct strip_ctx {
    const struct ui_episode_strip_view *v;
};

static void draw_strip_cell(struct ui *ui, size_t i, SDL_Rect r, bool focused, void *data)
{
    const struct ui_episode_strip_view *v = ((struct strip_ctx *)data)->v;
    const struct catalog_episode *ep = &v->series->episodes[i];
    bool locked = ep->state == CATALOG_LOCKED;
    ui_fill_round(ui, r, focused ? ui_color_focus : locked ? ui_color_card_dim : ui_color_cell);
    if (focused)
        ui_frame_round(ui, r, 4, ui_color_text);
    else if (ep->index == v->playing)
        ui_frame_round(ui, r, 3, ui_color_accent);
    char num[16];
    snprintf(num, sizeof(num), "%d", ep->index);
    text_draw(ui, num, 40, ui_color_text, r.x + r.w / 2, r.y + 18, TEXT_CENTER, r.w - 8);
    if (locked) {
        char price[16];
        snprintf(price, sizeof(price), "%d", ep->price_coins);
        draw_lock(ui, r.x + 24, r.y + r.h - 42, false, focused ? ui_color_text : ui_color_accent);
        text_draw(ui, price, 24, focused ? ui_color_text : ui_color_accent, r.x + 52,
                  r.y + r.h - 42, TEXT_LEFT, 0);
    } else if (ep->state == CATALOG_FREE) {
        text_draw(ui, _("FREE"), 22, focused ? ui_color_text : ui_color_success, r.x + r.w / 2,
                  r.y + r.h - 40, TEXT_CENTER, r.w - 8);
    } else {
        draw_lock(ui, r.x + r.w / 2 - 10, r.y + r.h - 42, true,
                  focused ? ui_color_text : ui_color_success);
    }
}

void ui_draw_episode_strip(struct ui *ui, const struct ui_episode_strip_view *v)
{
    if (!v->series || v->series->n_episodes == 0)
        return;
    SDL_Rect panel = {UI_SAFE_X, UI_HEIGHT - UI_SAFE_B - 230, UI_SAFE_W, 230};
    ui_fill_round(ui, panel, ui_color_panel_solid);
    text_draw(ui, _("Episodes  \xc2\xb7  OK to play, BACK to close"), 28, ui_color_dim,
              panel.x + 24, panel.y + 14, TEXT_LEFT, panel.w - 48);
    struct strip_ctx ctx = {v};
    /* The cell cut at the panel's edge says the row goes on; nothing leaves the panel. */
    SDL_Rect box = {panel.x + 24, panel.y + 70, panel.w - 48, STRIP_CELL};
    ui_clip(ui, &box);
    ui_scroll_row(ui, box, v->series->n_episodes, STRIP_CELL, STRIP_GAP, v->focus, true, 3,
                  draw_strip_cell, &ctx);
    ui_clip(ui, NULL);
}
