#include "binge/platform.h"

#include <stddef.h>

/* No display and no sound: SDL's offscreen driver and a silent, clock-synced audio sink, so the
 * pipeline still runs in real time. Used by tests, QA and QEMU runs; always available. Software
 * decoders (GStreamer's ranks), so screenshots are the same on every machine. */
static bool headless_probe(const struct platform_env *env)
{
    (void)env;
    return true;
}

const struct platform platform_headless = {
    .name = "headless",
    .description = "SDL offscreen video, silent audio (fakesink); no display needed",
    .sdl_video_driver = "offscreen",
    .sdl_audio_driver = "dummy",
    .audio_sink = "fakesink sync=true",
    .video_output = "texture",
    .video_sink = NULL,
    .prefer_decoders = NULL,
    .keymap = "headless",
    .safe_area = {5, 5, 5, 5},
    .probe = headless_probe,
};
