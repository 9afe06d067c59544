/* Every screen binge has, one row each (see screen.h for how to add one). The order is the
 * order of their fields in `state`. */

#include "app_internal.h"

const struct screen_ops *const app_screens[] = {
    &screen_home,     &screen_player,   &screen_paywall,      &screen_ad,
    &screen_checkout, &screen_activate, &screen_exit_confirm,
};
const size_t app_n_screens = sizeof(app_screens) / sizeof(app_screens[0]);
