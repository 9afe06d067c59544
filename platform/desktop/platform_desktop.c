#include "binge/platform.h"

#include <stddef.h>

/* A desktop, or a box running a display server: SDL picks x11 or wayland itself; video in a
 * texture under the UI, decoders by GStreamer's own ranks (VA-API and friends rank themselves). */
static bool desktop_probe(const struct platform_env *env)
{
    return env->display;
}

const struct platform platform_desktop = {
    .name = "desktop",
    .description = "SDL window on x11 or wayland; autoaudiosink",
    .sdl_video_driver = NULL,
    .sdl_audio_driver = NULL,
    .audio_sink = NULL,
    .video_output = "texture",
    .video_sink = NULL,
    .prefer_decoders = NULL,
    .keymap = "desktop",
    .safe_area = {5, 5, 5, 5},
    .probe = desktop_probe,
};
