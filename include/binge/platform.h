#ifndef BINGE_PLATFORM_H
#define BINGE_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct SDL_Window;

/* Per-box profiles (rpi, kms, desktop, headless): how video reaches the screen, which SDL video
 * driver and audio sink to use, the decoders to prefer, the keymap and the safe area. A const
 * table, probed in order by "auto"; "headless" is always built and always available. The
 * profiles live in platform/<name>/; only platform/platform.c knows the list.
 * Threading: the table is read-only data, any thread. The probes read files and environment
 * variables (no lock, no global state): any thread, though the app probes once at start. */

/* The safe area: how much of each edge the UI keeps clear of text and focus, in percent of the
 * screen's width (left, right) or height (top, bottom). TVs overscan; 5 is the broadcast
 * title-safe margin. Precedence: the option, then the theme, then the profile. */
struct platform_safe_area {
    uint8_t top, right, bottom, left;
};

/* What "auto" and the video output decide on, as probed (see platform_probe_env). */
struct platform_env {
    char model[128];    /* device tree model ("Raspberry Pi 4 Model B Rev 1.4"), "" when none */
    bool display;       /* $DISPLAY or $WAYLAND_DISPLAY is set and not empty */
    char drm_card[256]; /* the first /dev/dri/cardN opened read-write, "" when none */
    /* Overlay planes of the card with the most (the planes DRM lists to a client that does not
     * ask for universal planes); -1 when no card answered (no card, not a KMS device). */
    int overlay_planes;
};

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
     * draws above it. Read it through platform_video_output. */
    const char *video_output;
    /* plane: true when the plane is a DRM overlay plane (kmssink): without one ("plane" would
     * take the primary plane from the UI) the profile falls back to texture. */
    bool plane_needs_overlay;
    /* plane: gst-launch description of the video sink (player_config.video_sink), NULL = the
     * player probes for one. */
    const char *video_sink;
    /* NULL-terminated GStreamer decoder names ranked above every other decoder, first = best
     * (player_config.prefer_decoders); names this GStreamer lacks are skipped. NULL = GStreamer's
     * own ranks. */
    const char *const *prefer_decoders;
    /* Keymap name: assets/keymaps/<keymap>.conf, installed under ${datadir}/binge/keymaps/
     * (/etc/binge/keymap.conf overrides it). */
    const char *keymap;
    struct platform_safe_area safe_area;
    /* True when this profile can run on the machine env describes. NULL = always. */
    bool (*probe)(const struct platform_env *env);
};

/* Fills env from the machine: /proc/device-tree/model, /dev/dri/card* and the display
 * variables. Every path is read under $BINGE_PLATFORM_ROOT when it is set (a test hook: a
 * directory standing for "/", e.g. with proc/device-tree/model in it and no dev/dri), else under
 * "/". A missing or unreadable file is no error: the fact is just absent. Returns 0, or
 * BINGE_EINVAL when BINGE_PLATFORM_ROOT is set but is not a directory (env is still filled as
 * for an empty root). */
int platform_probe_env(struct platform_env *env);

/* The first profile, in table order, whose probe accepts env; never NULL (headless). */
const struct platform *platform_choose(const struct platform_env *env);

/* Returns the profile called name, or NULL. NULL or "auto" probes the machine
 * (platform_probe_env, platform_choose). */
const struct platform *platform_find(const char *name);

/* The NULL-terminated table, in probe order. */
const struct platform *const *platform_list(void);

/* The video output p uses on the machine env describes (NULL = probe it now): p->video_output,
 * except "texture" for a plane that needs a DRM overlay plane where there is none. */
const char *platform_video_output(const struct platform *p, const struct platform_env *env);

/* The native window behind an SDL window, for a video sink that draws into it through
 * GstVideoOverlay: an X11 Window (*display = 0), or a Wayland wl_surface and its wl_display.
 * Returns false, with both 0, when the window system has none to give (KMS/DRM, offscreen).
 * Threading: the thread that created the window. */
bool platform_native_window(struct SDL_Window *window, uintptr_t *handle, uintptr_t *display);

/* The DRM file of a window under SDL's kmsdrm driver (SDL holds it as the DRM master), for a
 * sink that sets its own plane (player_config.drm_fd). Borrowed: SDL owns it. Returns 0 under
 * any other driver. Threading: the thread that created the window. */
int platform_drm_fd(struct SDL_Window *window);

#endif
