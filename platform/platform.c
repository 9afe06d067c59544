#include "binge/platform.h"

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
