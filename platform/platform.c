#include "binge/platform.h"

#include <SDL_syswm.h>
#include <stddef.h>
#include <string.h>

/* The registry is the only place that knows every profile. Probe order matters, first match
 * wins: a display server means a desktop (also on a Pi running one); without one, a board with
 * a profile of its own (rpi) before the generic KMS box; headless last because it always
 * works. */
extern const struct platform platform_desktop;
extern const struct platform platform_rpi;
extern const struct platform platform_kms;
extern const struct platform platform_headless;

static const struct platform *const platforms[] = {
    &platform_desktop, &platform_rpi, &platform_kms, &platform_headless, NULL,
};

const struct platform *const *platform_list(void)
{
    return platforms;
}

const struct platform *platform_choose(const struct platform_env *env)
{
    for (size_t i = 0; platforms[i]; i++) {
        const struct platform *p = platforms[i];
        if (!p->probe || p->probe(env))
            return p;
    }
    return &platform_headless; /* not reached: headless accepts everything */
}

const struct platform *platform_find(const char *name)
{
    if (name == NULL || strcmp(name, "auto") == 0) {
        struct platform_env env;
        platform_probe_env(&env); /* a bad test root reads as an empty machine */
        return platform_choose(&env);
    }
    for (size_t i = 0; platforms[i]; i++) {
        if (strcmp(platforms[i]->name, name) == 0)
            return platforms[i];
    }
    return NULL;
}

const char *platform_video_output(const struct platform *p, const struct platform_env *env)
{
    const char *out = p->video_output ? p->video_output : "texture";
    if (strcmp(out, "plane") != 0 || !p->plane_needs_overlay)
        return out;
    struct platform_env probed;
    if (!env) {
        platform_probe_env(&probed);
        env = &probed;
    }
    /* Without an overlay plane kmssink would take the primary plane, the UI's. */
    return env->overlay_planes > 0 ? out : "texture";
}

bool platform_native_window(struct SDL_Window *window, uintptr_t *handle, uintptr_t *display)
{
    *handle = *display = 0;
    SDL_SysWMinfo wm;
    SDL_VERSION(&wm.version);
    if (!window || !SDL_GetWindowWMInfo(window, &wm))
        return false;
#if defined(SDL_VIDEO_DRIVER_X11)
    if (wm.subsystem == SDL_SYSWM_X11)
        *handle = (uintptr_t)wm.info.x11.window;
#endif
#if defined(SDL_VIDEO_DRIVER_WAYLAND)
    if (wm.subsystem == SDL_SYSWM_WAYLAND) {
        *handle = (uintptr_t)wm.info.wl.surface;
        *display = (uintptr_t)wm.info.wl.display;
    }
#endif
    return *handle != 0;
}

int platform_drm_fd(struct SDL_Window *window)
{
    SDL_SysWMinfo wm;
    SDL_VERSION(&wm.version);
    if (!window || !SDL_GetWindowWMInfo(window, &wm))
        return 0;
#if defined(SDL_VIDEO_DRIVER_KMSDRM)
    if (wm.subsystem == SDL_SYSWM_KMSDRM && wm.info.kmsdrm.drm_fd > 0)
        return wm.info.kmsdrm.drm_fd;
#endif
    return 0;
}
