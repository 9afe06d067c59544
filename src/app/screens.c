/* Every screen binge has, one row each (see screen.h for how to add one). The order is the
 * order of their fields in `state`. */

#include <string.h>

#include "app_internal.h"

const struct screen_ops *const app_screens[] = {
    &screen_home,     &screen_player,   &screen_paywall,      &screen_ad,
    &screen_checkout, &screen_activate, &screen_exit_confirm, &screen_search,
    &screen_wallet,   &screen_settings, &screen_series,
};
const size_t app_n_screens = sizeof(app_screens) / sizeof(app_screens[0]);

const struct screen_ops *app_screen_by_name(const char *name)
{
    for (size_t i = 0; name && i < app_n_screens; i++)
        if (strcmp(app_screens[i]->name, name) == 0)
            return app_screens[i];
    return NULL;
}
