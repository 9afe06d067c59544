#include "binge/platform.h"

#include <stdlib.h>
#include <unistd.h>

static bool access_dri_card(void)
{
    return access("/dev/dri/card0", R_OK | W_OK) == 0;
}

/* A desktop or a box with a display server or DRM: SDL picks x11, wayland or kmsdrm itself. */
static bool desktop_probe(void)
{
    const char *x = getenv("DISPLAY");
    const char *w = getenv("WAYLAND_DISPLAY");
    if ((x && *x) || (w && *w))
        return true;
    /* No display server: KMS/DRM needs a card node. */
    return access_dri_card();
}

const struct platform platform_desktop = {
    .name = "desktop",
    .description = "SDL window on x11, wayland or kmsdrm; autoaudiosink",
    .sdl_video_driver = NULL,
    .sdl_audio_driver = NULL,
    .audio_sink = NULL,
    .video_output = "texture",
    .video_sink = NULL,
    .probe = desktop_probe,
};
