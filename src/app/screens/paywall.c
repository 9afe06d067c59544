#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../app_internal.h"
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

bool paywall_row_enabled(const struct catalog_wallet *w, const struct paywall_focus *p, size_t row)
{
    switch (row) {
    case APP_UNLOCK_COINS:
        /* While the balance is unknown the server decides. */
        return p->balance < 0 || p->balance >= p->price;
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

void paywall_focus_first(const struct catalog_wallet *w, struct paywall_focus *p)
{
    p->focus = APP_UNLOCK_METHODS;
    for (size_t row = 0; row < APP_UNLOCK_METHODS; row++) {
        if (paywall_row_enabled(w, p, row)) {
            p->focus = row;
            return;
        }
    }
}

void paywall_focus_step(const struct catalog_wallet *w, struct paywall_focus *p, int dir)
{
    for (size_t row = p->focus; dir < 0 ? row > 0 : row < APP_UNLOCK_METHODS;) {
        row = dir < 0 ? row - 1 : row + 1;
        if (paywall_row_enabled(w, p, row)) {
            p->focus = row;
            return;
        }
    }
}

bool paywall_keep_focus(const struct catalog_wallet *w, struct paywall_focus *p)
{
    if (p->focus <= APP_UNLOCK_METHODS && paywall_row_enabled(w, p, p->focus))
        return false;
    /* The next enabled row below: the last one, buying coins, always is. */
    if (p->focus > APP_UNLOCK_METHODS)
        p->focus = APP_UNLOCK_METHODS;
    else
        paywall_focus_step(w, p, 1);
    return true;
}

/* ---- the screen: open, unlock, keys ---- */

struct paywall_screen {
    char *series_title;
    char *poster_url;
    char *episode_id;
    int episode_index;
    struct paywall_focus pf; /* price, balance (-1 while unknown) and the focused row */
    char status[480];
    bool status_error;
    uint64_t unlock_req;
    char unlock_key[33]; /* "" when no attempt is open */
    int unlock_method;   /* enum app_unlock_method of the open attempt */
};

static const char *const unlock_method_names[APP_UNLOCK_METHODS] = {"coins", "ad", "vip"};

static void pay_status(struct app *app, struct paywall_screen *pw, bool is_error, const char *text)
{
    snprintf(pw->status, sizeof(pw->status), "%s", text);
    pw->status_error = is_error;
    if (is_error)
        app_set_error(app, "%s", text);
}

/* Sends an unlock with method (enum app_unlock_method), keeping the idempotency key of an
 * attempt that got no definite answer. */
static void send_unlock(struct app *app, struct screen *s, int method)
{
    struct paywall_screen *pw = s->state;
    if (!pw->episode_id)
        return;
    if (!app->token) {
        screen_resend_later(app, s, APP_REQ_UNLOCK);
        return;
    }
    /* A new attempt gets a new key; the same attempt (same method, no definite answer yet)
     * keeps its key, so the server charges at most once. The paywall is for one episode. */
    if (!pw->unlock_key[0] || pw->unlock_method != method) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
            pay_status(app, pw, true, _("Can't make an unlock key on this device"));
            return;
        }
        for (size_t i = 0; i < sizeof(raw); i++)
            snprintf(pw->unlock_key + 2 * i, 3, "%02x", raw[i]);
        pw->unlock_method = method;
    }
    static const enum catalog_method methods[APP_UNLOCK_METHODS] = {
        CATALOG_METHOD_COINS, CATALOG_METHOD_AD, CATALOG_METHOD_VIP};
    char *path = NET_PATH("v1", "episodes", pw->episode_id, "unlock"), *body = NULL;
    if (!path || catalog_build_unlock(methods[method], pw->unlock_key, &body) != 0) {
        free(path);
        return;
    }
    net_cancel(app->net, pw->unlock_req);
    pw->unlock_req =
        screen_request(app, s, APP_REQ_UNLOCK, NET_POST, path, body, APP_REQ_IDEMPOTENT, NULL);
    free(path);
    free(body);
    pay_status(app, pw, false, _("Unlocking..."));
    log_info("unlock episode %d with %s", pw->episode_index, unlock_method_names[method]);
}

static void on_unlock(struct app *app, struct screen *s, struct net_response *r)
{
    struct paywall_screen *pw = s->state;
    pw->unlock_req = 0;
    if (r->error) {
        /* No answer: the key stays, so OK retries the same attempt. */
        char text[480], title[160], detail[256], tech[512];
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
        snprintf(text, sizeof(text), _("%s. Press OK to try again."), title);
        log_warn("unlock: %s", tech);
        pay_status(app, pw, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    pw->unlock_key[0] = '\0'; /* a definite answer closes the attempt */
    if (r->status == 200) {
        int index = pw->episode_index;
        log_info("episode %d unlocked", index);
        session_request_wallet(app); /* the new balance, for home and the next paywall */
        /* Back to the player below, which plays the episode. */
        app_pop(app);
        player_screen_unlocked(app, index);
        return;
    }
    struct catalog_locked *locked = NULL;
    char err[CATALOG_ERR_LEN];
    if (r->status == 402 && catalog_parse_locked(r->body, r->len, &locked, err) == 0) {
        pw->pf.balance = locked->balance;
        catalog_locked_free(locked);
    }
    char text[400];
    if (r->status == 402 && pw->unlock_method == APP_UNLOCK_COINS)
        snprintf(text, sizeof(text), _("Not enough coins: you have %1$d, it costs %2$d"),
                 pw->pf.balance, pw->pf.price);
    else if (r->status == 429 && pw->unlock_method == APP_UNLOCK_AD) {
        snprintf(text, sizeof(text), "%s", _("No more ad unlocks today"));
        if (app->wallet)
            app->wallet->ads_left_today = 0; /* the row turns off; the wallet is asked again */
        session_request_wallet(app);
    } else if (r->status == 429)
        snprintf(text, sizeof(text), "%s", _("Too many attempts. Please wait a moment"));
    else {
        char title[120], detail[120];
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        snprintf(text, sizeof(text), _("The unlock failed. %s"), detail);
    }
    char tech[512];
    app_failure_tech(r, tech, sizeof(tech));
    log_warn("unlock: %s", tech);
    pay_status(app, pw, true, text);
    app_set_error_tech(app, "%s", tech);
}

static int paywall_enter(struct app *app, struct screen *s, const void *arg)
{
    struct paywall_screen *pw = s->state;
    const struct paywall_args *a = arg;
    if (!a)
        return BINGE_EINVAL;
    pw->series_title = util_strdup(a->series_title ? a->series_title : "");
    pw->poster_url = a->poster_url ? util_strdup(a->poster_url) : NULL;
    pw->episode_id = a->episode_id ? util_strdup(a->episode_id) : NULL;
    pw->episode_index = a->episode_index;
    pw->pf.price = a->price;
    pw->pf.balance = a->balance;
    session_request_wallet(app);               /* ads left and VIP, for the options */
    paywall_focus_first(app->wallet, &pw->pf); /* again as the wallet comes in: keep_focus */
    return 0;
}

static void paywall_leave(struct app *app, struct screen *s)
{
    struct paywall_screen *pw = s->state;
    net_cancel(app->net, pw->unlock_req);
    free(pw->series_title);
    free(pw->poster_url);
    free(pw->episode_id);
}

static bool paywall_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    (void)repeat;
    struct paywall_screen *pw = s->state;
    switch (action) {
    case INPUT_UP:
        paywall_focus_step(app->wallet, &pw->pf, -1);
        return true;
    case INPUT_DOWN:
        paywall_focus_step(app->wallet, &pw->pf, 1); /* the last row buys coins */
        return true;
    case INPUT_OK:
        if (pw->unlock_req)
            return true; /* one attempt at a time */
        if (pw->unlock_key[0]) {
            /* An attempt whose answer was lost: send it again as it was (same method, same
             * key) - an ad already watched is not shown twice. */
            send_unlock(app, s, pw->unlock_method);
        } else if (!paywall_row_enabled(app->wallet, &pw->pf, pw->pf.focus)) {
            /* never reached: the focus leaves a disabled row */
        } else if (pw->pf.focus == APP_UNLOCK_METHODS) {
            /* The pack chooser: the wallet, focused on the pack that covers the episode. */
            struct wallet_args wa = {
                .choose_pack = true, .price = pw->pf.price, .balance = pw->pf.balance};
            app_push(app, &screen_wallet, &wa);
        } else if (pw->pf.focus == APP_UNLOCK_AD) {
            app_push(app, &screen_ad, NULL);
        } else {
            send_unlock(app, s, (int)pw->pf.focus);
        }
        return true;
    case INPUT_BACK:
    case INPUT_HOME:
        /* The episode stays locked: back past the stopped player, to the series page it was
         * chosen on, else home. */
        app_pop_to(app, action == INPUT_BACK && app_find(app, &screen_series) ? &screen_series
                                                                              : &screen_home);
        return true;
    default:
        return false;
    }
}

static void paywall_response(struct app *app, struct screen *s, struct net_response *r)
{
    if (r->kind == APP_REQ_UNLOCK)
        on_unlock(app, s, r);
}

static void paywall_resend(struct app *app, struct screen *s, int kind)
{
    struct paywall_screen *pw = s->state;
    if (kind == APP_REQ_UNLOCK && pw->unlock_key[0])
        send_unlock(app, s, pw->unlock_method);
}

static int64_t paywall_tick(struct app *app, struct screen *s, int64_t now)
{
    struct paywall_screen *pw = s->state;
    /* The wallet may have turned the focused row off (no ad unlocks left). */
    if (paywall_keep_focus(app->wallet, &pw->pf))
        app->dirty = true;
    return pw->unlock_req ? app_animate(app, now) : -1;
}

static void paywall_render(struct app *app, struct screen *s, int64_t now)
{
    struct paywall_screen *pw = s->state;
    const struct catalog_wallet *w = app->wallet;
    const struct paywall_focus *f = &pw->pf;
    char coins[160], coins_detail[160], ads[160], vip[160];
    snprintf(coins, sizeof(coins), P_("Unlock for %d coin", "Unlock for %d coins", f->price),
             f->price);
    if (f->balance >= 0 && f->balance < f->price)
        snprintf(coins_detail, sizeof(coins_detail),
                 P_("You need %d more coin", "You need %d more coins", f->price - f->balance),
                 f->price - f->balance);
    else
        snprintf(coins_detail, sizeof(coins_detail),
                 P_("%d coin left after this", "%d coins left after this", f->balance - f->price),
                 f->balance - f->price);
    if (w && w->ads_left_today <= 0)
        snprintf(ads, sizeof(ads), "%s", _("No ad unlocks left today"));
    else if (w)
        snprintf(ads, sizeof(ads),
                 P_("%d ad unlock left today", "%d ad unlocks left today", w->ads_left_today),
                 w->ads_left_today);
    else
        snprintf(ads, sizeof(ads), "%s", _("Checking your ad unlocks..."));
    snprintf(vip, sizeof(vip), "%s",
             w && w->vip_active ? _("Included in your VIP plan")
                                : _("Every episode while a VIP plan is active"));
    struct ui_paywall_view v = {
        .series_title = pw->series_title,
        .poster_url = pw->poster_url,
        .episode_index = pw->episode_index,
        .price_coins = f->price,
        .balance = f->balance,
        .vip_line = w && w->vip_active ? _("You are VIP") : NULL,
        .options =
            {
                {coins, coins_detail, paywall_row_enabled(w, f, APP_UNLOCK_COINS)},
                {_("Watch a short ad"), ads, paywall_row_enabled(w, f, APP_UNLOCK_AD)},
                {_("Unlock with VIP"), vip, paywall_row_enabled(w, f, APP_UNLOCK_VIP)},
                {_("Buy coins on your phone"), _("Scan a code and pay there"),
                 paywall_row_enabled(w, f, APP_UNLOCK_METHODS)},
            },
        .n_options = APP_UNLOCK_METHODS + 1,
        .focus = f->focus,
        .status = pw->status[0] ? pw->status : NULL,
        .status_is_error = pw->status_error,
        .busy = pw->unlock_req != 0,
        .now_ms = now,
    };
    ui_draw_paywall(app->ui, &v);
}

#define STR(x) (*v = (struct app_value){.type = APP_VALUE_STR, .s = (x)})
#define INT(x) (*v = (struct app_value){.type = APP_VALUE_INT, .i = (x)})

static bool paywall_state_value(struct app *app, struct screen *s, const char *path,
                                struct app_value *v)
{
    (void)app;
    struct paywall_screen *pw = s->state;
    if (strcmp(path, "paywall.price_coins") == 0) {
        INT(pw->pf.price);
    } else if (strcmp(path, "paywall.balance") == 0) {
        INT(pw->pf.balance);
    } else if (strcmp(path, "paywall.focus") == 0) {
        /* The last row, buying coins, has no method name: null. */
        STR(pw->pf.focus < APP_UNLOCK_METHODS ? unlock_method_names[pw->pf.focus] : NULL);
    } else if (strcmp(path, "paywall.status") == 0) {
        STR(pw->status[0] ? pw->status : NULL);
    } else {
        return false;
    }
    return true;
}

const struct screen_ops screen_paywall = {
    .name = "paywall",
    .state_size = sizeof(struct paywall_screen),
    .enter = paywall_enter,
    .leave = paywall_leave,
    .action = paywall_action,
    .response = paywall_response,
    .resend = paywall_resend,
    .tick = paywall_tick,
    .render = paywall_render,
    .state = paywall_state_value,
};

/* ---- what the ad break, the checkout and the session tell the paywall ---- */

void paywall_ad_watched(struct app *app)
{
    struct screen *s = app_find(app, &screen_paywall);
    if (s)
        send_unlock(app, s, APP_UNLOCK_AD);
}

void paywall_paid(struct app *app, const char *text)
{
    struct screen *s = app_find(app, &screen_paywall);
    if (!s)
        return;
    struct paywall_screen *pw = s->state;
    pay_status(app, pw, false, text);
    pw->pf.focus = APP_UNLOCK_COINS;
    session_request_wallet(app);
}

void paywall_wallet_changed(struct app *app)
{
    struct screen *s = app_find(app, &screen_paywall);
    if (s) {
        struct paywall_screen *pw = s->state;
        pw->pf.balance = (int)session_balance(app);
    }
}
