/* Right-to-left: which UI languages are written right to left, and what follows from it (the
 * mirrored layout in ui/, LEFT and RIGHT swapped for the focus and seeking). UI thread. */
#include <ctype.h>
#include <string.h>

#include "app_internal.h"
bool app_lang_is_rtl(const char *lang)
{
    static const char *const rtl[] = {"ar", "he", "iw", "fa", "ur", "ps", "yi", "dv", "ckb"};
    if (!lang)
        return false;
    while (*lang == ' ')
        lang++;
    /* The primary subtag of the first language: "ar", "ar-EG", "ar_EG.UTF-8", "ar, en;q=0.5". */
    char primary[8];
    size_t n = 0;
    while (lang[n] && isalpha((unsigned char)lang[n]) && n < sizeof(primary) - 1) {
        primary[n] = (char)tolower((unsigned char)lang[n]);
        n++;
    }
    primary[n] = '\0';
    if (isalpha((unsigned char)lang[n]))
        return false; /* longer than any language subtag */
    for (size_t i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
        if (strcmp(primary, rtl[i]) == 0)
            return true;
    return false;
}

void app_update_direction(struct app *app)
{
    if (!app->ui)
        return;
    ui_set_rtl(app->ui, app_lang_is_rtl(app->opts->language));
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
