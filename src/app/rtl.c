/* Right to left: the UI's direction from the menus' language (i18n_is_rtl), and what follows
 * from it in the app: LEFT and RIGHT swapped for the screens. The mirrored drawing is ui/'s
 * (ui_set_rtl). UI thread. */
#include "app_internal.h"

/* The menus' language as asked, by docs/i18n.md's chain (prefs_apply_ui_language's): --language,
 * else the settings screen's choice, else the locale's. The tag asked, not the catalog it
 * resolves to: Arabic mirrors even where its translations are missing. */
static const char *ui_language_asked(const struct app *app)
{
    const char *ui = prefs_ui_language(app);
    return !app->opts->language_set && ui && *ui ? ui : app->opts->language;
}

void app_update_direction(struct app *app)
{
    if (!app->ui)
        return;
    ui_set_rtl(app->ui, i18n_is_rtl(ui_language_asked(app)));
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
