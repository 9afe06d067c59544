#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/app.h"
#include "binge/log.h"
#include "binge/options.h"
#include "binge/platform.h"

LOG_MODULE("platform");

/* options -> platform probe -> app_run(). The only exit() in binge. */
int main(int argc, char **argv)
{
    struct binge_options opts = {0};
    int rc = options_parse(&opts, argc, argv, stdout, stderr);
    if (rc == OPTIONS_EXIT) {
        options_clear(&opts);
        exit(APP_EXIT_OK);
    }
    if (rc < 0) {
        fprintf(stderr, "binge: try --help\n");
        options_clear(&opts);
        exit(APP_EXIT_USAGE);
    }
    enum log_level level;
    if (log_level_from_name(opts.log_level, &level) != 0) {
        fprintf(stderr, "binge: --log-level must be error, warn, info or debug\n");
        options_clear(&opts);
        exit(APP_EXIT_USAGE);
    }
    log_set_level(level);

    const struct platform *platform = platform_find(opts.headless ? "headless" : opts.platform);
    if (!platform) {
        fprintf(stderr, "binge: unknown platform '%s'; known: auto", opts.platform);
        for (const struct platform *const *p = platform_list(); *p; p++)
            fprintf(stderr, " %s", (*p)->name);
        fprintf(stderr, "\n");
        options_clear(&opts);
        exit(APP_EXIT_USAGE);
    }
    if (!opts.headless && (!opts.platform || strcmp(opts.platform, "auto") == 0)) {
        struct platform_env env;
        if (platform_probe_env(&env) != 0)
            log_warn("BINGE_PLATFORM_ROOT is not a directory: probed as an empty machine");
        log_info("platform auto: model \"%s\", DRM card %s (%d overlay planes), display %s: %s",
                 env.model, env.drm_card[0] ? env.drm_card : "none", env.overlay_planes,
                 env.display ? "yes" : "no", platform->name);
    }
    rc = app_run(&opts, platform);
    options_clear(&opts);
    exit(rc);
}
