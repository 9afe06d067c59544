#include "binge/platform.h"

#include <SDL_syswm.h>
#include <stddef.h>
#include <string.h>

/* The registry is the only place that knows every profile. Probe order matters: a real
 * display first, headless last because it always works. kms comes after desktop, which also
 * runs on DRM (texture output), so "auto" keeps the output that works everywhere; a box picks
 * kms by name. */
extern const struct platform platform_desktop;
extern const struct platform platform_kms;
extern const struct platform platform_headless;

static const struct platform *const platforms[] = {
    &platform_desktop,
    &platform_kms,
    &platform_headless,
    NULL,
};

const struct platform *const *platform_list(void)
{
    return platforms;
}

const struct platform *platform_find(const char *name)
{
    bool any = name == NULL || strcmp(name, "auto") == 0;
    for (size_t i = 0; platforms[i]; i++) {
        const struct platform *p = platforms[i];
        if (any ? (!p->probe || p->probe()) : strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
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
