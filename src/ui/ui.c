#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/error.h"
#include "binge/log.h"
#include "ui_internal.h"

LOG_MODULE("ui");

struct ui *ui_new(SDL_Renderer *renderer, const char *font_path, void (*wake)(void *data),
                  void *data, char *err, size_t errlen)
{
    struct ui *ui = calloc(1, sizeof(*ui));
    if (!ui) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ui->renderer = renderer;
    SDL_RendererInfo info;
    ui->software =
        SDL_GetRendererInfo(renderer, &info) == 0 && (info.flags & SDL_RENDERER_SOFTWARE);
    ui->text = text_new(font_path, err, errlen);
    if (!ui->text)
        goto fail;
    ui->images = image_cache_new(wake, data, 0);
    if (!ui->images) {
        snprintf(err, errlen, "can't start the image worker");
        goto fail;
    }
    return ui;
fail:
    ui_free(ui);
    return NULL;
}

void ui_free(struct ui *ui)
{
    if (!ui)
        return;
    image_cache_free(ui->images);
    text_free(ui->text);
    if (ui->video)
        SDL_DestroyTexture(ui->video);
    if (ui->backdrop)
        SDL_DestroyTexture(ui->backdrop);
    if (ui->hero_fade)
        SDL_DestroyTexture(ui->hero_fade);
    if (ui->card_shade)
        SDL_DestroyTexture(ui->card_shade);
    if (ui->hero_layer)
        SDL_DestroyTexture(ui->hero_layer);
    if (ui->layer)
        SDL_DestroyTexture(ui->layer);
    if (ui->series_layer)
        SDL_DestroyTexture(ui->series_layer);
    free(ui->backdrop_url);
    if (ui->qr)
        SDL_DestroyTexture(ui->qr);
    free(ui->qr_text);
    free(ui);
}

const char *ui_font_path(const struct ui *ui)
{
    return text_font_path(ui->text);
}

void ui_set_rtl(struct ui *ui, bool rtl)
{
    if (ui->rtl == rtl)
        return;
    ui->rtl = ui->mirror = rtl;
    text_set_rtl(ui, rtl); /* neutral-only paragraphs read right to left too */
    /* What was composed for the other direction is composed again. */
    ui->hero_key[0] = '\0';
    ui->layer_key[0] = '\0';
    ui->clean = false;
    log_info("layout %s", rtl ? "right to left (mirrored)" : "left to right");
}

bool ui_is_rtl(const struct ui *ui)
{
    return ui->rtl;
}

SDL_Rect ui_mirror(const struct ui *ui, SDL_Rect r)
{
    if (ui->mirror)
        r.x = UI_WIDTH - r.x - r.w;
    return r;
}

void ui_mirror_anchor(const struct ui *ui, int *x, int *align)
{
    if (!ui->mirror)
        return;
    *x = UI_WIDTH - *x;
    if (*align == TEXT_LEFT)
        *align = TEXT_RIGHT;
    else if (*align == TEXT_RIGHT)
        *align = TEXT_LEFT;
}

void ui_copy(struct ui *ui, SDL_Texture *tex, const SDL_Rect *src, SDL_Rect dst)
{
    dst = ui_mirror(ui, dst);
    SDL_RenderCopy(ui->renderer, tex, src, &dst);
}

void ui_copy_directional(struct ui *ui, SDL_Texture *tex, const SDL_Rect *src, SDL_Rect dst)
{
    bool flip = ui->rtl; /* also while composing off screen, unmirrored */
    dst = ui_mirror(ui, dst);
    SDL_RenderCopyEx(ui->renderer, tex, src, &dst, 0, NULL,
                     flip ? SDL_FLIP_HORIZONTAL : SDL_FLIP_NONE);
}

void ui_copy_unmirrored(struct ui *ui, SDL_Texture *tex, const SDL_Rect *src, SDL_Rect dst)
{
    SDL_RenderCopy(ui->renderer, tex, src, &dst);
}

void ui_clip(struct ui *ui, const SDL_Rect *r)
{
    if (!r) {
        SDL_RenderSetClipRect(ui->renderer, NULL);
        return;
    }
    SDL_Rect m = ui_mirror(ui, *r);
    SDL_RenderSetClipRect(ui->renderer, &m);
}

bool ui_mirror_pause(struct ui *ui)
{
    bool was = ui->mirror;
    ui->mirror = false;
    return was;
}

void ui_mirror_resume(struct ui *ui, bool was)
{
    ui->mirror = was;
}

enum ui_image_state ui_image_state(struct ui *ui, const char *url)
{
    return image_cache_state(ui->images, url);
}

void ui_image_mark_pending(struct ui *ui, const char *url)
{
    image_cache_mark_pending(ui->images, url);
}

void ui_image_submit(struct ui *ui, const char *url, char *bytes, size_t len)
{
    image_cache_submit(ui->images, url, bytes, len);
}

void ui_image_fail(struct ui *ui, const char *url)
{
    image_cache_fail(ui->images, url);
}

bool ui_image_wanted(struct ui *ui)
{
    return image_cache_wanted(ui->images);
}

void ui_image_stats(struct ui *ui, struct ui_image_stats *out)
{
    image_cache_stats(ui->images, out);
}

bool ui_image_pump(struct ui *ui)
{
    return image_cache_pump(ui->images, ui->renderer);
}

int ui_video_upload(struct ui *ui, const struct player_frame *f)
{
    Uint32 fmt;
    if (f->format == PLAYER_FORMAT_I420)
        fmt = SDL_PIXELFORMAT_IYUV;
    else if (f->format == PLAYER_FORMAT_NV12)
        fmt = SDL_PIXELFORMAT_NV12;
    else
        return BINGE_EINVAL;
    if (f->width <= 0 || f->height <= 0)
        return BINGE_EINVAL;
    if (!ui->video || ui->video_format != fmt || ui->video_w != f->width ||
        ui->video_h != f->height) {
        if (ui->video)
            SDL_DestroyTexture(ui->video);
        ui->video =
            SDL_CreateTexture(ui->renderer, fmt, SDL_TEXTUREACCESS_STREAMING, f->width, f->height);
        if (!ui->video) {
            log_error("can't create a %dx%d video texture: %s", f->width, f->height,
                      SDL_GetError());
            ui->video_has_frame = false;
            return BINGE_EMEDIA;
        }
        ui->video_format = fmt;
        ui->video_w = f->width;
        ui->video_h = f->height;
        log_info("video texture %dx%d %s", f->width, f->height,
                 fmt == SDL_PIXELFORMAT_IYUV ? "I420" : "NV12");
    }
    int rc;
    if (fmt == SDL_PIXELFORMAT_IYUV)
        rc = SDL_UpdateYUVTexture(ui->video, NULL, f->planes[0], f->strides[0], f->planes[1],
                                  f->strides[1], f->planes[2], f->strides[2]);
    else
        rc = SDL_UpdateNVTexture(ui->video, NULL, f->planes[0], f->strides[0], f->planes[1],
                                 f->strides[1]);
    if (rc != 0) {
        log_error("video upload failed: %s", SDL_GetError());
        return BINGE_EMEDIA;
    }
    /* Display size honours the pixel aspect ratio. */
    int par_n = f->par_n > 0 ? f->par_n : 1, par_d = f->par_d > 0 ? f->par_d : 1;
    ui->video_dw = (int)((int64_t)f->width * par_n / par_d);
    ui->video_dh = f->height;
    ui->video_has_frame = true;
    ui->video_external = false;
    return 0;
}

void ui_video_clear(struct ui *ui)
{
    ui->video_has_frame = false;
    ui->video_external = false;
}

void ui_video_elsewhere(struct ui *ui, int width, int height)
{
    if (width <= 0 || height <= 0)
        return;
    ui->video_dw = width;
    ui->video_dh = height;
    ui->video_external = true;
    ui->video_has_frame = true;
}

bool ui_video_has_frame(const struct ui *ui)
{
    return ui->video_has_frame;
}
