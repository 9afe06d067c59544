#include "binge/platform.h"

#include <stddef.h>

/* A box with no display server: SDL draws the UI with KMS/DRM on the primary plane and, where
 * the card has an overlay plane, the video goes to that plane through kmssink, so no frame is
 * ever copied through the CPU (the UI then draws with alpha where the video should show);
 * without one, video in a texture under the UI. The stateful (v4l2h264dec) and stateless
 * (v4l2sl*) V4L2 decoders of SoC boxes rank above software; a box without them decodes in
 * software. */
static bool kms_probe(const struct platform_env *env)
{
    return !env->display && env->drm_card[0] != '\0';
}

static const char *const kms_decoders[] = {
    "v4l2h264dec", "v4l2slh264dec", "v4l2h265dec", "v4l2slh265dec", NULL,
};

const struct platform platform_kms = {
    .name = "kms",
    .description = "SDL on kmsdrm, video on a DRM overlay plane (kmssink) where there is one; "
                   "V4L2 decoders; autoaudiosink",
    .sdl_video_driver = "kmsdrm",
    .sdl_audio_driver = NULL,
    .audio_sink = NULL,
    .video_output = "plane",
    .plane_needs_overlay = true,
    .video_sink = "kmssink",
    .prefer_decoders = kms_decoders,
    .keymap = "kms",
    .safe_area = {5, 5, 5, 5},
    .probe = kms_probe,
};
