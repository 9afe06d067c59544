#include "app_internal.h"

/* Which rows of the paywall can be chosen, and where the focus may go. A row that cannot do
 * anything (no ad unlocks left today, too few coins, no VIP plan) is drawn dimmed with its
 * reason and is never focused, so OK can never start what is bound to be refused: an ad watched
 * to the end only to hear "No more ad unlocks today". */

bool paywall_row_enabled(const struct app *app, size_t row)
{
    const struct catalog_wallet *w = app->wallet;
    switch (row) {
    case APP_UNLOCK_COINS:
        /* While the balance is unknown the server decides. */
        return app->pay_balance < 0 || app->pay_balance >= app->pay_price;
    case APP_UNLOCK_AD:
        /* Only with the count in hand: the wallet is asked for as the paywall opens. */
        return w && w->ads_left_today > 0;
    case APP_UNLOCK_VIP:
        return w && w->vip_active;
    case APP_UNLOCK_METHODS: /* buy coins on the phone: always possible */
        return true;
    default:
        return false;
    }
}

void paywall_focus_first(struct app *app)
{
    app->pay_focus = APP_UNLOCK_METHODS;
    for (size_t row = 0; row < APP_UNLOCK_METHODS; row++) {
        if (paywall_row_enabled(app, row)) {
            app->pay_focus = row;
            return;
        }
    }
}

void paywall_focus_step(struct app *app, int dir)
{
    for (size_t row = app->pay_focus; dir < 0 ? row > 0 : row < APP_UNLOCK_METHODS;) {
        row = dir < 0 ? row - 1 : row + 1;
        if (paywall_row_enabled(app, row)) {
            app->pay_focus = row;
            return;
        }
    }
}

bool paywall_keep_focus(struct app *app)
{
    if (app->pay_focus <= APP_UNLOCK_METHODS && paywall_row_enabled(app, app->pay_focus))
        return false;
    /* The next enabled row below: the last one, buying coins, always is. */
    if (app->pay_focus > APP_UNLOCK_METHODS)
        app->pay_focus = APP_UNLOCK_METHODS;
    else
        paywall_focus_step(app, 1);
    return true;
}
