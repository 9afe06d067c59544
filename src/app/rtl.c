/* Right to left: the UI's direction from the menus' language (i18n_is_rtl), and what follows
 * from it in the app: LEFT and RIGHT swapped for the screens. The mirrored drawing is ui/'s
 * (ui_set_rtl). UI thread. */
#include "app_internal.h"

/* The menus' language as asked at start, by docs/i18n.md's chain (prefs_apply_ui_language's):
 * --language, else the settings screen's choice, else the locale's. */
static const char *ui_language_asked(const struct app *app)
{
    const char *ui = prefs_ui_language(app);
    return !app->opts->language_set && ui && *ui ? ui : app->opts->language;
}

/* The menus' language in effect (i18n_language: what the chain resolved to at start, or what
 * settings chose since, live); or, when binge has no catalog for the language asked (fa, ur:
 * the menus stay in English), the language asked, so that its titles' layout still mirrors. */
static bool menus_rtl(const struct app *app)
{
    if (i18n_is_rtl(i18n_language()))
        return true;
    const char *asked = ui_language_asked(app);
    return asked && !i18n_resolve(asked) && i18n_is_rtl(asked);
}

void app_update_direction(struct app *app)
{
    if (!app->ui)
        return;
    ui_set_rtl(app->ui, menus_rtl(app));
}

enum input_action app_visual_action(const struct app *app, enum input_action action)
{
    if (!app->ui || !ui_is_rtl(app->ui))
        return action;
    if (action == INPUT_LEFT)
        return INPUT_RIGHT;
    if (action == INPUT_RIGHT)
        return INPUT_LEFT;
    return action;
}
