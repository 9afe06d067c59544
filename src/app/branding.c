/* Branding (issue 11 §6): the theme named by --theme (or the config's theme =), applied to the
 * UI, and the safe area's precedence. docs/oem.md, "Branding", is the OEM's side of it. */
#include <stdio.h>
#include <string.h>

#include "app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/theme.h"

LOG_MODULE("app");

int branding_load(struct app *app)
{
    const char *spec = app->opts->theme;
    /* A bad theme never stops binge: a file it can't read leaves binge's own look, a bad line
     * keeps that key's default; each says so on stderr with file:line. */
    int rc = theme_load(&app->theme, spec, stderr);
    if (spec && rc != 0 && rc != BINGE_EINVAL)
        log_error("theme %s not loaded: binge's own look is used", spec);
    else if (spec && rc == BINGE_EINVAL)
        log_warn("theme %s: some lines were not understood (above); their defaults are kept", spec);
    return rc;
}

/* The primary face: --font, else the theme's font.latin, else fontconfig's. */
const char *branding_font(const struct app *app)
{
    if (app->opts->font)
        return app->opts->font;
    return app->theme.fonts[THEME_FONT_LATIN][0] ? app->theme.fonts[THEME_FONT_LATIN] : NULL;
}

void branding_apply(struct app *app)
{
    ui_set_theme(app->ui, &app->theme);
    if (app->window)
        SDL_SetWindowTitle(app->window, app->theme.name);
    /* --safe-area > the theme's > the board profile's (platform/) > 5%. A side the theme leaves
     * unset takes the profile's. */
    int bp[4];
    const char *from = "the board profile";
    memcpy(bp, app->theme.safe_bp, sizeof(bp));
    if (app->opts->safe_area && theme_parse_safe_area(app->opts->safe_area, bp) == 0) {
        from = "--safe-area";
    } else {
        if (bp[0] >= 0 || bp[1] >= 0 || bp[2] >= 0 || bp[3] >= 0)
            from = "the theme";
        const struct platform_safe_area *ps = &app->platform->safe_area;
        const int profile[4] = {[THEME_LEFT] = ps->left,
                                [THEME_TOP] = ps->top,
                                [THEME_RIGHT] = ps->right,
                                [THEME_BOTTOM] = ps->bottom};
        for (int i = 0; i < 4; i++)
            if (bp[i] < 0 && profile[i] <= THEME_SAFE_MAX_BP / 100)
                bp[i] = profile[i] * 100;
    }
    ui_set_safe_area(app->ui, bp);
    log_info("safe area from %s", from);
}
