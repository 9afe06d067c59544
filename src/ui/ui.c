#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/log.h"
#include <SDL_image.h>
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
    theme_default(&ui->theme);
    for (int i = 0; i < 4; i++)
        ui->safe_bp[i] = -1;
    ui_apply_safe_area(ui);
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
    if (ui->logo)
        SDL_DestroyTexture(ui->logo);
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
    ui_apply_safe_area(ui);
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

/* --- Theme --- */

void ui_apply_safe_area(struct ui *ui)
{
    static const int dims[4] = {UI_WIDTH, UI_HEIGHT, UI_WIDTH, UI_HEIGHT};
    int px[4];
    for (int i = 0; i < 4; i++) {
        int bp = ui->safe_bp[i] >= 0 ? ui->safe_bp[i] : UI_SAFE_DEFAULT_BP;
        px[i] = (dims[i] * bp + 5000) / 10000;
    }
    /* The views lay out left to right and the mirror flips them: the layout's left margin is
     * the screen's right one in an RTL UI. */
    ui->safe[THEME_LEFT] = px[ui->rtl ? THEME_RIGHT : THEME_LEFT];
    ui->safe[THEME_RIGHT] = px[ui->rtl ? THEME_LEFT : THEME_RIGHT];
    ui->safe[THEME_TOP] = px[THEME_TOP];
    ui->safe[THEME_BOTTOM] = px[THEME_BOTTOM];
    /* What was composed with the old margins is composed again. */
    ui->hero_key[0] = '\0';
    ui->layer_key[0] = '\0';
    ui->series_key[0] = '\0';
    ui->clean = false;
}

void ui_set_safe_area(struct ui *ui, const int bp[4])
{
    for (int i = 0; i < 4; i++)
        ui->safe_bp[i] = bp && bp[i] >= 0 && bp[i] <= THEME_SAFE_MAX_BP ? bp[i] : -1;
    ui_apply_safe_area(ui);
    log_info("safe area %d %d %d %d px (left top right bottom, layout)", ui->safe[THEME_LEFT],
             ui->safe[THEME_TOP], ui->safe[THEME_RIGHT], ui->safe[THEME_BOTTOM]);
}

/* The logo is decoded once, here, on the UI thread: it is small by contract (UI_LOGO_MAX_BYTES,
 * UI_LOGO_MAX_PIXELS, checked in the header before decoding), so it costs less than a poster. A
 * logo that is missing, too large or not a PNG is logged and the name is drawn instead. */
static SDL_Texture *logo_load(struct ui *ui, const char *path, int *w, int *h)
{
    SDL_Texture *tex = NULL;
    SDL_Surface *sf = NULL;
    unsigned char *buf = NULL;
    const char *format = "unknown";
    /* Not blocking, and a regular file only: a FIFO or a device named as the logo would hold
     * the UI thread in open() or read() for ever. */
    struct stat st;
    FILE *f = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        log_warn("theme: logo %s: can't open it; the name is drawn instead", path);
        goto fail;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_warn("theme: logo %s: not a regular file; the name is drawn instead", path);
        close(fd);
        goto fail;
    }
    f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        goto fail;
    }
    buf = malloc(UI_LOGO_MAX_BYTES + 1);
    if (!buf)
        goto fail;
    size_t len = fread(buf, 1, UI_LOGO_MAX_BYTES + 1, f);
    if (len > UI_LOGO_MAX_BYTES) {
        log_warn("theme: logo %s: over %u bytes; the name is drawn instead", path,
                 (unsigned)UI_LOGO_MAX_BYTES);
        goto fail;
    }
    int pw = 0, ph = 0;
    if (image_probe(buf, len, &pw, &ph, &format) != 0 || strcmp(format, "PNG") != 0) {
        log_warn("theme: logo %s: not a PNG with a readable header (%s); the name is drawn "
                 "instead",
                 path, format);
        goto fail;
    }
    if ((uint64_t)pw * (uint64_t)ph > UI_LOGO_MAX_PIXELS) {
        log_warn("theme: logo %s: %dx%d pixels, over the %u pixel limit; the name is drawn "
                 "instead",
                 path, pw, ph, (unsigned)UI_LOGO_MAX_PIXELS);
        goto fail;
    }
    SDL_RWops *rw = SDL_RWFromConstMem(buf, (int)len);
    sf = rw ? IMG_LoadTyped_RW(rw, 1, "PNG") : NULL;
    if (!sf || sf->w != pw || sf->h != ph) {
        log_warn("theme: logo %s: can't decode it (%s); the name is drawn instead", path,
                 sf ? "its size is not its header's" : IMG_GetError());
        goto fail;
    }
    tex = SDL_CreateTextureFromSurface(ui->renderer, sf);
    if (!tex) {
        log_warn("theme: logo %s: %s; the name is drawn instead", path, SDL_GetError());
        goto fail;
    }
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    SDL_SetTextureScaleMode(tex, SDL_ScaleModeLinear);
    *w = pw;
    *h = ph;
fail:
    if (sf)
        SDL_FreeSurface(sf);
    free(buf);
    if (f)
        fclose(f);
    return tex;
}

void ui_set_theme(struct ui *ui, const struct theme *theme)
{
    ui->theme = *theme;
    if (ui->logo)
        SDL_DestroyTexture(ui->logo);
    ui->logo = NULL;
    if (theme->logo[0])
        ui->logo = logo_load(ui, theme->logo, &ui->logo_w, &ui->logo_h);
    for (int i = THEME_FONT_LATIN + 1; i < THEME_N_FONTS; i++)
        if (theme->fonts[i][0])
            text_set_script_font(ui->text, (enum theme_font)i, theme->fonts[i]);
    /* Textures made with the old colours (the fades, the layers) are made again. */
    SDL_Texture **made[] = {&ui->hero_fade, &ui->card_shade, &ui->hero_layer, &ui->layer,
                            &ui->series_layer};
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        if (*made[i])
            SDL_DestroyTexture(*made[i]);
        *made[i] = NULL;
    }
    ui_apply_safe_area(ui);
    log_info("theme \"%s\"%s%s", theme->name, ui->logo ? ", logo " : "",
             ui->logo ? theme->logo : "");
}

const char *ui_brand_name(const struct ui *ui)
{
    return ui->theme.name;
}

bool ui_logo_drawn(const struct ui *ui)
{
    return ui->logo != NULL;
}
