#include <math.h>
#include <stdio.h>

#include "ui_internal.h"

void ui_fill(struct ui *ui, SDL_Rect r, SDL_Color c)
{
    SDL_SetRenderDrawBlendMode(ui->renderer, c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(ui->renderer, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(ui->renderer, &r);
}

void ui_frame(struct ui *ui, SDL_Rect r, int t, SDL_Color c)
{
    ui_fill(ui, (SDL_Rect){r.x - t, r.y - t, r.w + 2 * t, t}, c);
    ui_fill(ui, (SDL_Rect){r.x - t, r.y + r.h, r.w + 2 * t, t}, c);
    ui_fill(ui, (SDL_Rect){r.x - t, r.y, t, r.h}, c);
    ui_fill(ui, (SDL_Rect){r.x + r.w, r.y, t, r.h}, c);
}

void ui_gradient(struct ui *ui, SDL_Rect r, SDL_Color c0, SDL_Color c1)
{
    const int bands = 24;
    for (int i = 0; i < bands; i++) {
        int y0 = r.y + r.h * i / bands, y1 = r.y + r.h * (i + 1) / bands;
        SDL_Color c = {
            (Uint8)(c0.r + (c1.r - c0.r) * i / (bands - 1)),
            (Uint8)(c0.g + (c1.g - c0.g) * i / (bands - 1)),
            (Uint8)(c0.b + (c1.b - c0.b) * i / (bands - 1)),
            (Uint8)(c0.a + (c1.a - c0.a) * i / (bands - 1)),
        };
        ui_fill(ui, (SDL_Rect){r.x, y0, r.w, y1 - y0}, c);
    }
}

/* Twelve dots on a circle, the brightest one moving clockwise: cheap on any renderer. */
void ui_spinner(struct ui *ui, int cx, int cy, int radius, int64_t now_ms)
{
    const int dots = 12;
    int head = (int)((now_ms / 80) % dots);
    int d = radius / 4 > 4 ? radius / 4 : 4;
    for (int i = 0; i < dots; i++) {
        double a = 2 * M_PI * i / dots - M_PI / 2;
        int age = (head - i + dots) % dots;
        Uint8 alpha = (Uint8)(255 - age * 18);
        SDL_Color c = ui_color_text;
        c.a = alpha;
        ui_fill(ui,
                (SDL_Rect){cx + (int)(radius * cos(a)) - d / 2, cy + (int)(radius * sin(a)) - d / 2,
                           d, d},
                c);
    }
}

void ui_message_panel(struct ui *ui, const char *title, const char *detail, const char *more,
                      const char *hint, bool is_error)
{
    /* Wrapped, never cut: the panel grows with its text, up to the safe area. */
    char t[3][TEXT_LINE_MAX], d[8][TEXT_LINE_MAX], m[8][TEXT_LINE_MAX], h[2][TEXT_LINE_MAX];
    const int w = 1120, text_w = w - 80;
    int nt = text_wrap(ui, title, 56, text_w, t, 3, NULL);
    int nd = detail ? text_wrap(ui, detail, 34, text_w, d, 8, NULL) : 0;
    int nm = more ? text_wrap(ui, more, 26, text_w, m, 8, NULL) : 0;
    int nh = hint ? text_wrap(ui, hint, 30, text_w, h, 2, NULL) : 0;
    int th = nt * text_line_height(ui, 56), dh = nd * text_line_height(ui, 34);
    int mh = nm * text_line_height(ui, 26), hh = nh * text_line_height(ui, 30);
    int height = 50 + th + (nd ? 30 + dh : 0) + (nm ? 30 + mh : 0) + (nh ? 40 + hh : 0) + 50;
    if (height < 380)
        height = 380;
    if (height > UI_SAFE_H)
        height = UI_SAFE_H;
    SDL_Rect r = {UI_WIDTH / 2 - w / 2, UI_HEIGHT / 2 - height / 2, w, height};
    /* Opaque: a poster or a frame behind must not show through the words. */
    ui_fill(ui, r, ui_color_panel_solid);
    ui_fill(ui, (SDL_Rect){r.x, r.y, r.w, 8}, is_error ? ui_color_error : ui_color_accent);
    int y = r.y + 50;
    y += text_draw_lines(ui, t, nt, 56, ui_color_text, UI_WIDTH / 2, y, TEXT_CENTER);
    if (nd)
        y += 30 + text_draw_lines(ui, d, nd, 34, ui_color_dim, UI_WIDTH / 2, y + 30, TEXT_CENTER);
    if (nm)
        text_draw_lines(ui, m, nm, 26, ui_color_text, UI_WIDTH / 2, y + 30, TEXT_CENTER);
    /* The hint keeps its place at the bottom. */
    if (nh)
        text_draw_lines(ui, h, nh, 30, ui_color_accent, UI_WIDTH / 2, r.y + r.h - 50 - hh,
                        TEXT_CENTER);
}

void ui_format_time(int64_t ms, char *buf, size_t len)
{
    if (ms < 0) {
        snprintf(buf, len, "--:--");
        return;
    }
    long s = (long)(ms / 1000);
    snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}
