#include "binge/platform.h"

#include <stdlib.h>
#include <unistd.h>

/* A box with no display server: SDL draws the UI with KMS/DRM and the video goes to a plane of
 * its own through kmssink, so no frame is ever copied through the CPU. The UI must then draw
 * with alpha where the video should show. */
static bool kms_probe(void)
{
    const char *x = getenv("DISPLAY");
    const char *w = getenv("WAYLAND_DISPLAY");
    if ((x && *x) || (w && *w))
        return false;
    return access("/dev/dri/card0", R_OK | W_OK) == 0;
}

const struct platform platform_kms = {
    .name = "kms",
    .description = "SDL on kmsdrm, video on a DRM plane (kmssink); autoaudiosink",
    .sdl_video_driver = "kmsdrm",
    .sdl_audio_driver = NULL,
    .audio_sink = NULL,
    .video_output = "plane",
    .video_sink = "kmssink",
    .probe = kms_probe,
};
