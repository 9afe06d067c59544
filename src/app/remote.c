#include <string.h>

#include "app_internal.h"
#include "binge/log.h"

LOG_MODULE("app");

/* The remote's keys that mean a place rather than a move (the colour keys, EXIT), for what the
 * top screen did not take. The colour keys work from the menus (home, a series, search, the
 * wallet, settings); a screen that is a step of something (the player, the paywall, a checkout,
 * an ad) keeps the viewer where they are. EXIT leaves to home from anywhere. */

static bool browsing(const struct screen *top)
{
    static const char *const names[] = {"home", "series", "search", "wallet", "settings"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(top->ops->name, names[i]) == 0)
            return true;
    return false;
}

/* The screen called name: brought back when it is on the stack already (search under a series
 * page), else pushed. */
static void go_to(struct app *app, const char *name)
{
    const struct screen_ops *ops = app_screen_by_name(name);
    if (!ops || app_top(app)->ops == ops)
        return;
    if (app_find(app, ops))
        app_pop_to(app, ops);
    else
        app_push(app, ops, NULL);
}

bool remote_action(struct app *app, struct screen *top, enum input_action action)
{
    switch (action) {
    case INPUT_RED:
    case INPUT_GREEN:
    case INPUT_YELLOW:
    case INPUT_BLUE:
        if (!browsing(top))
            return true; /* nothing, here */
        log_info("%s on %s", input_action_name(action), top->ops->name);
        if (action == INPUT_RED)
            go_to(app, "search");
        else if (action == INPUT_YELLOW)
            go_to(app, "wallet");
        else if (action == INPUT_BLUE)
            go_to(app, "settings");
        else
            home_show_mylist(app);
        return true;
    case INPUT_EXIT:
        if (top->ops == &screen_exit_confirm)
            return true;
        if (app->depth > 1)
            app_pop_to(app, app->stack[0]->ops);
        else
            app_push(app, &screen_exit_confirm, NULL);
        return true;
    default:
        return false;
    }
}
