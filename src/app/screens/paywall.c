#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("app");

/* The paywall: an episode is locked; the viewer unlocks it with coins, an ad or VIP, or buys
 * coins on the phone. An unlock attempt keeps its idempotency key until a definite answer.
 *
 * Which rows of the paywall can be chosen, and where the focus may go. A row that cannot do
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

/* ---- the screen: open, unlock, keys ---- */

static const char *const unlock_method_names[APP_UNLOCK_METHODS] = {"coins", "ad", "vip"};

void paywall_open(struct app *app, int price, int balance)
{
    player_stop(app->player);
    app->pstate = PLAYER_IDLE;
    app->busy = false;
    app->pay_price = price;
    app->pay_balance = balance;
    session_request_wallet(app); /* ads left and VIP, for the options */
    paywall_focus_first(app);    /* again as the wallet comes in: paywall_keep_focus */
    app->pay_status[0] = '\0';
    app->unlock_key[0] = '\0';
    app->ad_until_ms = 0;
    app->screen = APP_SCREEN_PAYWALL;
}

static void pay_status(struct app *app, bool is_error, const char *text)
{
    snprintf(app->pay_status, sizeof(app->pay_status), "%s", text);
    app->pay_status_error = is_error;
    if (is_error)
        app_set_error(app, "%s", text);
}

void paywall_send_unlock(struct app *app, int method)
{
    const struct catalog_episode *ep = catalog_series_episode(app->series, app->episode_index);
    if (!ep || !app->token)
        return;
    /* A new attempt gets a new key; the same attempt (same episode and method, no definite
     * answer yet) keeps its key, so the server charges at most once. */
    if (!app->unlock_key[0] || app->unlock_method != method ||
        app->unlock_episode != app->episode_index) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
            pay_status(app, true, "Can't make an unlock key on this device");
            return;
        }
        for (size_t i = 0; i < sizeof(raw); i++)
            snprintf(app->unlock_key + 2 * i, 3, "%02x", raw[i]);
        app->unlock_method = method;
        app->unlock_episode = app->episode_index;
    }
    static const enum catalog_method methods[APP_UNLOCK_METHODS] = {
        CATALOG_METHOD_COINS, CATALOG_METHOD_AD, CATALOG_METHOD_VIP};
    char *path = NET_PATH("v1", "episodes", ep->id, "unlock"), *body = NULL;
    if (!path || catalog_build_unlock(methods[method], app->unlock_key, &body) != 0) {
        free(path);
        return;
    }
    net_cancel(app->net, app->unlock_req);
    app->unlock_req =
        app_request(app, APP_REQ_UNLOCK, NET_POST, path, body, APP_REQ_IDEMPOTENT, NULL);
    free(path);
    free(body);
    pay_status(app, false, "Unlocking...");
    log_info("unlock episode %d with %s", app->episode_index, unlock_method_names[method]);
}

void paywall_on_unlock(struct app *app, struct net_response *r)
{
    app->unlock_req = 0;
    if (r->error) {
        /* No answer: the key stays, so OK retries the same attempt. */
        char text[480], title[160], detail[256], tech[512];
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
        snprintf(text, sizeof(text), "%s. Press OK to try again.", title);
        log_warn("unlock: %s", tech);
        pay_status(app, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    app->unlock_key[0] = '\0'; /* a definite answer closes the attempt */
    if (r->status == 200) {
        log_info("episode %d unlocked", app->episode_index);
        session_request_wallet(app); /* the new balance, for home and the next paywall */
        for (size_t i = 0; app->series && i < app->series->n_episodes; i++)
            if (app->series->episodes[i].index == app->episode_index)
                app->series->episodes[i].state = CATALOG_UNLOCKED;
        app->screen = APP_SCREEN_PLAYER;
        app_arm_first_frame(app, "unlock to first frame");
        app_play_episode(app, app->episode_index);
        return;
    }
    char *code = NULL, *message = NULL;
    catalog_parse_error(r->body, r->len, &code, &message);
    struct catalog_locked *locked = NULL;
    char err[CATALOG_ERR_LEN];
    if (r->status == 402 && catalog_parse_locked(r->body, r->len, &locked, err) == 0) {
        app->pay_balance = locked->balance;
        catalog_locked_free(locked);
    }
    char text[200];
    if (r->status == 402 && app->unlock_method == APP_UNLOCK_COINS)
        snprintf(text, sizeof(text), "Not enough coins: you have %d, it costs %d", app->pay_balance,
                 app->pay_price);
    else if (r->status == 429 && app->unlock_method == APP_UNLOCK_AD) {
        snprintf(text, sizeof(text), "No more ad unlocks today");
        if (app->wallet)
            app->wallet->ads_left_today = 0; /* the row turns off; the wallet is asked again */
        session_request_wallet(app);
    } else if (r->status == 429)
        snprintf(text, sizeof(text), "Too many attempts. Please wait a moment");
    else {
        char title[120], detail[120];
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        snprintf(text, sizeof(text), "The unlock failed. %s", detail);
    }
    char tech[512];
    app_failure_tech(r, tech, sizeof(tech));
    log_warn("unlock: %s", tech);
    pay_status(app, true, text);
    app_set_error_tech(app, "%s", tech);
    free(code);
    free(message);
}

void paywall_dispatch(struct app *app, enum input_action action)
{
    switch (action) {
    case INPUT_UP:
        paywall_focus_step(app, -1);
        break;
    case INPUT_DOWN:
        paywall_focus_step(app, 1); /* the last row buys coins */
        break;
    case INPUT_OK:
        if (app->unlock_req)
            break; /* one attempt at a time */
        if (app->unlock_key[0] && app->unlock_episode == app->episode_index) {
            /* An attempt whose answer was lost: send it again as it was (same method, same
             * key) - an ad already watched is not shown twice. */
            paywall_send_unlock(app, app->unlock_method);
            break;
        }
        if (!paywall_row_enabled(app, app->pay_focus)) {
            break; /* never reached: the focus leaves a disabled row */
        } else if (app->pay_focus == APP_UNLOCK_METHODS) {
            checkout_start(app);
        } else if (app->pay_focus == APP_UNLOCK_AD) {
            app->screen = APP_SCREEN_AD;
            app->ad_until_ms = util_now_ms() + APP_AD_BREAK_MS;
        } else {
            paywall_send_unlock(app, (int)app->pay_focus);
        }
        break;
    case INPUT_BACK:
    case INPUT_HOME:
        net_cancel(app->net, app->unlock_req);
        app->unlock_req = 0;
        app->screen = APP_SCREEN_HOME;
        app->home_refresh_at_ms = util_now_ms() + APP_HOME_REFRESH_WAIT_MS; /* as home_return */
        break;
    default:
        break;
    }
}

/* ---- drawing ---- */

void paywall_render(struct app *app, int64_t now)
{
    const struct catalog_wallet *w = app->wallet;
    char coins[64], coins_detail[64], ads[64], vip[96];
    snprintf(coins, sizeof(coins), "Unlock for %d coins", app->pay_price);
    if (app->pay_balance >= 0 && app->pay_balance < app->pay_price)
        snprintf(coins_detail, sizeof(coins_detail), "You need %d more coins",
                 app->pay_price - app->pay_balance);
    else
        snprintf(coins_detail, sizeof(coins_detail), "%d coins left after this",
                 app->pay_balance - app->pay_price);
    if (w && w->ads_left_today <= 0)
        snprintf(ads, sizeof(ads), "No ad unlocks left today");
    else if (w)
        snprintf(ads, sizeof(ads), "%d ad unlocks left today", w->ads_left_today);
    else
        snprintf(ads, sizeof(ads), "Checking your ad unlocks...");
    snprintf(vip, sizeof(vip), "%s",
             w && w->vip_active ? "Included in your VIP plan"
                                : "Every episode while a VIP plan is active");
    struct ui_paywall_view v = {
        .series_title = app->series_title ? app->series_title : "",
        .poster_url = app->poster_url,
        .episode_index = app->episode_index,
        .price_coins = app->pay_price,
        .balance = app->pay_balance,
        .vip_line = w && w->vip_active ? "You are VIP" : NULL,
        .options =
            {
                {coins, coins_detail, paywall_row_enabled(app, APP_UNLOCK_COINS)},
                {"Watch a short ad", ads, paywall_row_enabled(app, APP_UNLOCK_AD)},
                {"Unlock with VIP", vip, paywall_row_enabled(app, APP_UNLOCK_VIP)},
                {"Buy coins on your phone", "Scan a code and pay there",
                 paywall_row_enabled(app, APP_UNLOCK_METHODS)},
            },
        .n_options = APP_UNLOCK_METHODS + 1,
        .focus = app->pay_focus,
        .status = app->pay_status[0] ? app->pay_status : NULL,
        .status_is_error = app->pay_status_error,
        .busy = app->unlock_req != 0,
        .now_ms = now,
    };
    ui_draw_paywall(app->ui, &v);
}
