#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "../ui_internal.h"
#include "binge/log.h"

LOG_MODULE("ui");

/* Encodes text as a QR code into a texture, one texel per module plus the 4-module quiet zone,
 * drawn scaled with nearest filtering. Rebuilt only when the text changes. */
static SDL_Texture *qr_texture(struct ui *ui, const char *text, int *modules)
{
    if (ui->qr && ui->qr_text && strcmp(ui->qr_text, text) == 0) {
        *modules = ui->qr_modules;
        return ui->qr;
    }
    QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code) {
        log_error("can't encode a QR code for a %zu-byte text", strlen(text));
        return NULL;
    }
    int n = code->width + 8;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, n, n, 32, SDL_PIXELFORMAT_RGBA32);
    SDL_Texture *tex = NULL;
    if (s) {
        SDL_FillRect(s, NULL, SDL_MapRGBA(s->format, 255, 255, 255, 255));
        Uint32 black = SDL_MapRGBA(s->format, 0, 0, 0, 255);
        for (int y = 0; y < code->width; y++)
            for (int x = 0; x < code->width; x++)
                if (code->data[y * code->width + x] & 1)
                    ((Uint32 *)((Uint8 *)s->pixels + (size_t)(y + 4) * s->pitch))[x + 4] = black;
        tex = SDL_CreateTextureFromSurface(ui->renderer, s);
        SDL_FreeSurface(s);
    }
    QRcode_free(code);
    if (!tex)
        return NULL;
    SDL_SetTextureScaleMode(tex, SDL_ScaleModeNearest);
    if (ui->qr)
        SDL_DestroyTexture(ui->qr);
    free(ui->qr_text);
    ui->qr = tex;
    ui->qr_text = strdup(text);
    ui->qr_modules = n;
    *modules = n;
    return tex;
}

void ui_draw_qr_screen(struct ui *ui, const struct ui_qr_view *v)
{
    SDL_SetRenderDrawColor(ui->renderer, ui_color_bg.r, ui_color_bg.g, ui_color_bg.b, 255);
    SDL_RenderClear(ui->renderer);
    int x = UI_SAFE_X + 40, w = 1000;
    text_draw(ui, v->title, 60, ui_color_text, x, UI_SAFE_Y + 80, TEXT_LEFT, w);
    int y = UI_SAFE_Y + 190;
    for (size_t i = 0; i < 4 && v->lines[i]; i++, y += 56)
        text_draw(ui, v->lines[i], 36, ui_color_dim, x, y, TEXT_LEFT, w);
    if (v->code) {
        text_draw(ui, v->code, 96, ui_color_accent, x, y + 30, TEXT_LEFT, w);
        y += 160;
    }
    if (v->url) {
        /* For a phone that cannot scan: the address, whole (wrapped, never cut). */
        text_draw(ui, _("No camera? Open this address on your phone:"), 30, ui_color_dim, x, y + 20,
                  TEXT_LEFT, w);
        y += 20 + text_line_height(ui, 30) + 6;
        y += ui_text_block(ui, v->url, (SDL_Rect){x, y, w, 120}, 34, 26, ui_color_text, TEXT_LEFT);
        y += 10;
    }
    if (v->busy)
        ui_spinner(ui, x + 30, y + 70, 26, v->now_ms);
    if (v->status)
        text_draw(ui, v->status, 36, v->status_is_error ? ui_color_error : ui_color_text,
                  x + (v->busy ? 80 : 0), y + 50, TEXT_LEFT, w);
    if (v->hint)
        text_draw(ui, v->hint, 30, ui_color_dim, x, UI_HEIGHT - UI_SAFE_B - 50, TEXT_LEFT, w);

    int modules = 0;
    SDL_Texture *qr = v->qr_text ? qr_texture(ui, v->qr_text, &modules) : NULL;
    if (qr) {
        /* Whole pixels per module keep the code sharp and scannable off a TV. */
        int size = 600 / modules * modules;
        SDL_Rect r = {UI_WIDTH - UI_SAFE_R - 40 - size, UI_HEIGHT / 2 - size / 2, size, size};
        ui_copy(ui, qr, NULL, r); /* placed mirrored in RTL, its modules never flipped */
    }
}
