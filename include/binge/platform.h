#ifndef BINGE_PLATFORM_H
#define BINGE_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct SDL_Window;

/* Per-box profiles: how video reaches the screen, which SDL video driver and audio sink to use,
 * defaults. A const table, probed in order; "headless" is always built and always available.
 * The profiles live in platform/<name>/; only platform/platform.c knows the list.
 * Threading: read-only data, any thread. */

struct platform {
    const char *name; /* "desktop", "headless", ... */
    const char *description;
    /* SDL video driver hint (SDL_HINT_VIDEODRIVER) or NULL to let SDL choose. */
    const char *sdl_video_driver;
    /* SDL audio driver hint or NULL. */
    const char *sdl_audio_driver;
    /* GStreamer audio sink description (see player_config.audio_sink), NULL = autoaudiosink. */
    const char *audio_sink;
    /* How video reaches the screen (see player_config.video_output): "texture" (NULL = texture)
     * uploads frames into an SDL texture under the UI; "plane" lets a GStreamer sink draw on a
     * surface of its own (the SDL window through GstVideoOverlay, or a KMS plane) and the UI
     * draws above it. */
    const char *video_output;
    /* plane: gst-launch description of the video sink (player_config.video_sink), NULL = the
     * player probes for one. */
    const char *video_sink;
    /* True when this profile can run here (e.g. a display is reachable). */
    bool (*probe)(void);
};

/* Returns the profile called name, or NULL. "auto" probes the table in order. */
const struct platform *platform_find(const char *name);

/* The NULL-terminated table, in probe order. */
const struct platform *const *platform_list(void);

/* The native window behind an SDL window, for a video sink that draws into it through
 * GstVideoOverlay: an X11 Window (*display = 0), or a Wayland wl_surface and its wl_display.
 * Returns false, with both 0, when the window system has none to give (KMS/DRM, offscreen).
 * Threading: the thread that created the window. */
bool platform_native_window(struct SDL_Window *window, uintptr_t *handle, uintptr_t *display);

#endif
