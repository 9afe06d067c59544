#include "binge/error.h"
#include "binge/platform.h"

#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef BINGE_HAVE_LIBDRM
#include <xf86drmMode.h>
#endif

/* What "auto" looks at: plain files, and libdrm (optional at build time) for the planes. */

#define ROOT_ENV "BINGE_PLATFORM_ROOT"

/* root + path into out; false when it does not fit. */
static bool under_root(const char *root, const char *path, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s", root, path);
    return n >= 0 && (size_t)n < size;
}

/* The device tree model is a NUL-terminated string, sometimes with trailing junk. */
static void read_model(const char *root, char *model, size_t size)
{
    char path[4096];
    model[0] = '\0';
    if (!under_root(root, "/proc/device-tree/model", path, sizeof(path)))
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, model, size - 1);
    close(fd);
    if (n <= 0) {
        model[0] = '\0';
        return;
    }
    model[n] = '\0';
    /* Stops at the first NUL, control character or newline. */
    for (ssize_t i = 0; i < n; i++) {
        if ((unsigned char)model[i] < 0x20) {
            model[i] = '\0';
            break;
        }
    }
}

/* Overlay planes of a DRM card. A client that does not set DRM_CLIENT_CAP_UNIVERSAL_PLANES is
 * shown only the overlay planes, so their count is the answer. -1 when the file is no KMS
 * device (a render-only card, a plain file in a test root) or without libdrm. Needs no DRM
 * master. */
static int count_overlay_planes(int fd)
{
#ifdef BINGE_HAVE_LIBDRM
    drmModePlaneRes *res = drmModeGetPlaneResources(fd);
    if (!res)
        return -1;
    int n = (int)res->count_planes;
    drmModeFreePlaneResources(res);
    return n;
#else
    (void)fd;
    return -1;
#endif
}

static void probe_drm(const char *root, struct platform_env *env)
{
    char pattern[4096];
    env->drm_card[0] = '\0';
    env->overlay_planes = -1;
    if (!under_root(root, "/dev/dri/card[0-9]*", pattern, sizeof(pattern)))
        return;
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return; /* no card, or unreadable */
    for (size_t i = 0; i < g.gl_pathc; i++) {
        int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            continue;
        if (!env->drm_card[0] && strlen(g.gl_pathv[i]) < sizeof(env->drm_card))
            strcpy(env->drm_card, g.gl_pathv[i]);
        /* Raspberry Pi 4 and 5 have the 3D core (v3d, no KMS) and the display (vc4) as two
         * cards, in either order: the one with planes counts. */
        int planes = count_overlay_planes(fd);
        if (planes > env->overlay_planes)
            env->overlay_planes = planes;
        close(fd);
    }
    globfree(&g);
}

static bool set_and_not_empty(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

int platform_probe_env(struct platform_env *env)
{
    int rc = 0;
    memset(env, 0, sizeof(*env));
    env->overlay_planes = -1;
    const char *root = getenv(ROOT_ENV);
    if (root && *root) {
        struct stat st;
        if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = BINGE_EINVAL;
            goto fail;
        }
    } else {
        root = "";
    }
    read_model(root, env->model, sizeof(env->model));
    probe_drm(root, env);
    env->display = set_and_not_empty("DISPLAY") || set_and_not_empty("WAYLAND_DISPLAY");
    return 0;
fail:
    /* As for an empty root: no model, no card; the display is still the environment's. */
    env->display = set_and_not_empty("DISPLAY") || set_and_not_empty("WAYLAND_DISPLAY");
    return rc;
}
