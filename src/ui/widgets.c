#include <math.h>
#include <stdio.h>

#include "ui_internal.h"

void ui_fill(struct ui *ui, SDL_Rect r, SDL_Color c)
{
    r = ui_mirror(ui, r);
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

/* How far in from the side row i (0 = the outermost) of a corner of radius rad lies. */
static int corner_inset(int rad, int i)
{
    if (rad <= 0 || i >= rad)
        return 0;
    float dy = (float)rad - (float)i - 0.5f;
    return rad - (int)lroundf(sqrtf((float)(rad * rad) - dy * dy));
}

void ui_fill_round(struct ui *ui, SDL_Rect r, SDL_Color c)
{
    int rad = UI_RADIUS;
    if (rad > r.w / 2)
        rad = r.w / 2;
    if (rad > r.h / 2)
        rad = r.h / 2;
    if (rad <= 0) {
        ui_fill(ui, r, c);
        return;
    }
    /* Row by row through the corners, one rectangle between: every pixel drawn once, so a
     * translucent colour blends evenly. */
    for (int i = 0; i < rad; i++) {
        int in = corner_inset(rad, i);
        ui_fill(ui, (SDL_Rect){r.x + in, r.y + i, r.w - 2 * in, 1}, c);
        ui_fill(ui, (SDL_Rect){r.x + in, r.y + r.h - 1 - i, r.w - 2 * in, 1}, c);
    }
    ui_fill(ui, (SDL_Rect){r.x, r.y + rad, r.w, r.h - 2 * rad}, c);
}

void ui_frame_round(struct ui *ui, SDL_Rect r, int t, SDL_Color c)
{
    int rad = UI_RADIUS;
    if (rad > r.w / 2)
        rad = r.w / 2;
    if (rad > r.h / 2)
        rad = r.h / 2;
    if (rad <= 0) {
        ui_frame(ui, r, t, c);
        return;
    }
    /* The ring between r rounded by rad and r grown by t rounded by rad + t: per row, the outer
     * span less the inner one; the straight middle as two bars. */
    int orad = rad + t;
    SDL_Rect o = {r.x - t, r.y - t, r.w + 2 * t, r.h + 2 * t};
    for (int i = 0; i < orad; i++) {
        for (int half = 0; half < 2; half++) {
            int y = half ? o.y + o.h - 1 - i : o.y + i;
            int oin = corner_inset(orad, i);
            int ii = i - t; /* the row inside r, from its edge */
            if (ii < 0) {
                ui_fill(ui, (SDL_Rect){o.x + oin, y, o.w - 2 * oin, 1}, c);
                continue;
            }
            int iin = corner_inset(rad, ii) + t;
            ui_fill(ui, (SDL_Rect){o.x + oin, y, iin - oin, 1}, c);
            ui_fill(ui, (SDL_Rect){o.x + o.w - iin, y, iin - oin, 1}, c);
        }
    }
    int mid = o.h - 2 * orad;
    ui_fill(ui, (SDL_Rect){o.x, o.y + orad, t, mid}, c);
    ui_fill(ui, (SDL_Rect){o.x + o.w - t, o.y + orad, t, mid}, c);
}

/* The coloured stripe along a panel's top edge, kept inside its rounded corners. */
static void panel_stripe(struct ui *ui, SDL_Rect r, SDL_Color c)
{
    int rad = UI_RADIUS < r.w / 2 ? UI_RADIUS : r.w / 2;
    ui_fill(ui, (SDL_Rect){r.x + rad, r.y, r.w - 2 * rad, 8}, c);
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
    ui_fill_round(ui, r, ui_color_panel_solid);
    panel_stripe(ui, r, is_error ? ui_color_error : ui_color_accent);
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

void ui_toast(struct ui *ui, const char *toast)
{
    int w = 0, h = 0;
    if (!toast || !*toast || text_measure(ui, toast, 34, &w, &h) != 0)
        return;
    if (w > 900)
        w = 900;
    SDL_Rect r = {UI_WIDTH - UI_SAFE_R - w - 48, UI_SAFE_Y, w + 48, h + 32};
    ui_fill_round(ui, r, ui_color_panel);
    text_draw(ui, toast, 34, ui_color_text, r.x + 24, r.y + 16, TEXT_LEFT, w);
}

void ui_draw_toast(struct ui *ui, const char *text)
{
    ui_toast(ui, text);
}

int ui_text_block(struct ui *ui, const char *s, SDL_Rect box, int size, int min_size,
                  SDL_Color color, int align)
{
    if (!s || !*s)
        return 0;
    ui_strings_note(s);
    char lines[TEXT_MAX_LINES][TEXT_LINE_MAX];
    int n = 0;
    if (min_size <= 0 || min_size > size)
        min_size = size;
    for (;; size -= 2) {
        if (size < min_size)
            size = min_size;
        bool complete = true;
        n = text_wrap(ui, s, size, box.w, lines, TEXT_MAX_LINES, &complete);
        if ((complete && n * text_line_height(ui, size) <= box.h) || size == min_size)
            break;
    }
    int x = align == TEXT_CENTER ? box.x + box.w / 2 : align == TEXT_RIGHT ? box.x + box.w : box.x;
    return text_draw_lines(ui, lines, n, size, color, x, box.y, (enum text_align)align);
}

int ui_button_list(struct ui *ui, int x, int y, int w, int h, int gap,
                   const struct ui_button *buttons, size_t n, size_t focus)
{
    for (size_t i = 0; i < n; i++) {
        const struct ui_button *o = &buttons[i];
        bool focused = i == focus;
        SDL_Rect b = {x, y, w, h};
        /* Every button's text keeps 4.5:1 against what is behind it (WCAG AA): white on the
         * deep focus pink, grey on the dark panel. A disabled one is never filled pink. */
        SDL_Color fg = o->enabled ? ui_color_text : ui_color_dim;
        SDL_Color detail_fg = focused && o->enabled ? ui_color_text : ui_color_dim;
        ui_fill_round(ui, b, focused && o->enabled ? ui_color_focus : ui_color_panel_solid);
        if (focused && !o->enabled)
            ui_frame_round(ui, b, 4, ui_color_accent);
        int label_size = h >= 90 ? 36 : 32;
        int label_y = o->detail ? b.y + 10 : b.y + (h - text_line_height(ui, label_size)) / 2;
        text_draw(ui, o->label, label_size, fg, b.x + 32, label_y, TEXT_LEFT, b.w - 64);
        if (o->detail)
            text_draw(ui, o->detail, 26, detail_fg, b.x + 32, b.y + 56, TEXT_LEFT, b.w - 64);
        y += h + gap;
    }
    return y - (n ? gap : 0);
}

size_t ui_scroll_first(size_t anchor, size_t n, size_t visible, size_t lead)
{
    if (anchor >= n)
        anchor = 0;
    size_t first = anchor > lead ? anchor - lead : 0;
    size_t max_first = n > visible ? n - visible : 0;
    return first > max_first ? max_first : first;
}

void ui_scroll_row(struct ui *ui, SDL_Rect box, size_t n, int item_w, int gap, size_t anchor,
                   bool focused, size_t lead,
                   void (*draw)(struct ui *ui, size_t i, SDL_Rect r, bool focused, void *data),
                   void *data)
{
    size_t visible = (size_t)(box.w / (item_w + gap));
    if (visible == 0)
        visible = 1;
    size_t first = ui_scroll_first(anchor, n, visible, lead);
    bool focus_drawn = focused && anchor < n;
    /* One more than fits, cut by the screen's edge: it says the row goes on. */
    for (size_t i = first; i < n && i < first + visible + 1; i++) {
        int x = box.x + (int)(i - first) * (item_w + gap);
        if (x > UI_WIDTH)
            break;
        if (!(focus_drawn && i == anchor))
            draw(ui, i, (SDL_Rect){x, box.y, item_w, box.h}, false, data);
    }
    if (focus_drawn && anchor >= first)
        draw(ui, anchor,
             (SDL_Rect){box.x + (int)(anchor - first) * (item_w + gap), box.y, item_w, box.h}, true,
             data);
}

void ui_draw_dialog(struct ui *ui, const struct ui_dialog_view *v)
{
    /* The screen below stays visible, dimmed: the viewer sees where BACK returns. */
    ui_fill(ui, (SDL_Rect){0, 0, UI_WIDTH, UI_HEIGHT}, ui_shade(170));
    const int w = 900, pad = 60, bh = 84, gap = 18;
    size_t nb = v->n_buttons < UI_DIALOG_MAX_BUTTONS ? v->n_buttons : UI_DIALOG_MAX_BUTTONS;
    char t[3][TEXT_LINE_MAX], d[6][TEXT_LINE_MAX];
    int nt = text_wrap(ui, v->title ? v->title : "", 56, w - 2 * pad, t, 3, NULL);
    int nd = v->detail ? text_wrap(ui, v->detail, 32, w - 2 * pad, d, 6, NULL) : 0;
    int th = nt * text_line_height(ui, 56), dh = nd * text_line_height(ui, 32);
    int hh = v->hint ? text_line_height(ui, 28) + 24 : 0;
    int height = pad + th + (nd ? 24 + dh : 0) + 40 + (int)nb * (bh + gap) - gap + hh + pad;
    SDL_Rect r = {UI_WIDTH / 2 - w / 2, UI_HEIGHT / 2 - height / 2, w, height};
    ui_fill_round(ui, r, ui_color_panel_solid);
    panel_stripe(ui, r, ui_color_accent);
    int y = r.y + pad;
    y += text_draw_lines(ui, t, nt, 56, ui_color_text, UI_WIDTH / 2, y, TEXT_CENTER);
    if (nd)
        y += 24 + text_draw_lines(ui, d, nd, 32, ui_color_dim, UI_WIDTH / 2, y + 24, TEXT_CENTER);
    struct ui_button b[UI_DIALOG_MAX_BUTTONS];
    for (size_t i = 0; i < nb; i++)
        b[i] = (struct ui_button){.label = v->buttons[i], .enabled = true};
    y = ui_button_list(ui, r.x + pad, y + 40, w - 2 * pad, bh, gap, b, nb, v->focus);
    if (v->hint)
        text_draw(ui, v->hint, 28, ui_color_dim, UI_WIDTH / 2, y + 24, TEXT_CENTER, w - 2 * pad);
}
