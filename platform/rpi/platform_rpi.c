#include "binge/platform.h"

#include <stddef.h>
#include <string.h>

/* Raspberry Pi 3, 4 and 5 on the KMS driver (vc4-kms-v3d, the default of current Raspberry Pi
 * OS and Debian kernels), without a display server. The UI on the primary plane through SDL's
 * kmsdrm, the video on an overlay plane through kmssink (vc4 has several; the probe falls back
 * to texture without one). Decoders: the Pi 3 and 4 have a stateful H.264 decoder
 * (bcm2835-codec: v4l2h264dec), the Pi 4 and 5 a stateless HEVC one (rpivid/rpi-hevc-dec:
 * v4l2slh265dec, GStreamer >= 1.22); the Pi 5 has no H.264 block and decodes it in software.
 * Audio through ALSA's default device (dmix): a prerolled episode opens a second sink, which a
 * bare hw: device refuses; point the default at HDMI in /etc/asound.conf. */
static bool rpi_probe(const struct platform_env *env)
{
    static const char prefix[] = "Raspberry Pi";
    return !env->display && env->drm_card[0] != '\0' &&
           strncmp(env->model, prefix, sizeof(prefix) - 1) == 0;
}

static const char *const rpi_decoders[] = {"v4l2h264dec", "v4l2slh265dec", NULL};

const struct platform platform_rpi = {
    .name = "rpi",
    .description = "Raspberry Pi 3/4/5: SDL on kmsdrm, video on an overlay plane (kmssink), "
                   "v4l2h264dec and v4l2slh265dec; autoaudiosink",
    .sdl_video_driver = "kmsdrm",
    .sdl_audio_driver = NULL,
    .audio_sink = NULL,
    .video_output = "plane",
    .plane_needs_overlay = true,
    .video_sink = "kmssink",
    .prefer_decoders = rpi_decoders,
    .keymap = "rpi",
    .safe_area = {5, 5, 5, 5},
    .probe = rpi_probe,
};
