#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("account");

/* Two flows that hand the viewer over to a phone: buying coins (a checkout session the TV
 * polls) and linking the device to an account (RFC 8628: a code and a QR, polled at the
 * interval the server asks for). Both are screens of their own; BACK leaves them. */

void account_reset(struct app *app)
{
    net_cancel(app->net, app->packs_req);
    net_cancel(app->net, app->purchase_req);
    net_cancel(app->net, app->purchase_poll_req);
    net_cancel(app->net, app->devcode_req);
    net_cancel(app->net, app->devtoken_req);
    app->packs_req = app->purchase_req = app->purchase_poll_req = 0;
    app->devcode_req = app->devtoken_req = 0;
    catalog_purchase_free(app->purchase);
    app->purchase = NULL;
    catalog_device_code_free(app->devcode);
    app->devcode = NULL;
    app->purchase_poll_at_ms = app->devtoken_at_ms = 0;
    app->checkout_status[0] = app->act_status[0] = '\0';
    app->checkout_error = app->act_error = false;
}

static void checkout_status(struct app *app, bool is_error, const char *text)
{
    /* A longer text is cut (the return value is looked at so that gcc -O2 does not warn). */
    if (snprintf(app->checkout_status, sizeof(app->checkout_status), "%s", text) < 0)
        app->checkout_status[0] = '\0';
    app->checkout_error = is_error;
    if (is_error)
        app_set_error(app, "%s", text);
}

static void activation_status(struct app *app, bool is_error, const char *text)
{
    /* A longer text is cut (the return value is looked at so that gcc -O2 does not warn). */
    if (snprintf(app->act_status, sizeof(app->act_status), "%s", text) < 0)
        app->act_status[0] = '\0';
    app->act_error = is_error;
    if (is_error)
        app_set_error(app, "%s", text);
}

void checkout_start(struct app *app)
{
    account_reset(app);
    app->screen = APP_SCREEN_CHECKOUT;
    checkout_status(app, false, "Preparing your checkout...");
    app->packs_req = app_request(app, APP_REQ_PACKS, NET_GET, "/v1/packs", NULL, 0, NULL);
}

void activation_start(struct app *app)
{
    account_reset(app);
    app->screen = APP_SCREEN_ACTIVATE;
    activation_status(app, false, "Getting a code...");
    app->devcode_req =
        app_request(app, APP_REQ_DEVICE_CODE, NET_POST, "/v1/device/code", "{}", 0, NULL);
}

/* The smallest pack that covers what the paywall is missing, else the largest. */
static const struct catalog_pack *pick_pack(const struct app *app, const struct catalog_packs *p)
{
    int64_t need = app->pay_price - (app->pay_balance > 0 ? app->pay_balance : 0);
    const struct catalog_pack *best = NULL, *largest = NULL;
    for (size_t i = 0; i < p->n_packs; i++) {
        const struct catalog_pack *k = &p->packs[i];
        int64_t coins = (int64_t)k->coins + k->bonus_coins;
        if (!largest || coins > (int64_t)largest->coins + largest->bonus_coins)
            largest = k;
        if (coins >= need && (!best || coins < (int64_t)best->coins + best->bonus_coins))
            best = k;
    }
    return best ? best : largest;
}

static void on_packs(struct app *app, struct net_response *r)
{
    app->packs_req = 0;
    struct catalog_packs *packs = NULL;
    char err[CATALOG_ERR_LEN] = "", *body = NULL;
    if (r->error || r->status != 200 || catalog_parse_packs(r->body, r->len, &packs, err) != 0 ||
        packs->n_packs == 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("checkout: %s", tech);
        checkout_status(app, true, text);
        app_set_error_tech(app, "%s", tech);
        catalog_packs_free(packs);
        return;
    }
    const struct catalog_pack *pack = pick_pack(app, packs);
    if (catalog_build_purchase(pack->id, &body) == 0)
        app->purchase_req =
            app_request(app, APP_REQ_PURCHASE, NET_POST, "/v1/purchase/session", body, 0, NULL);
    free(body);
    catalog_packs_free(packs);
}

static void on_purchase(struct app *app, struct net_response *r, bool poll)
{
    if (poll)
        app->purchase_poll_req = 0;
    else
        app->purchase_req = 0;
    struct catalog_purchase *p = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 || catalog_parse_purchase(r->body, r->len, &p, err) != 0) {
        if (poll && r->error) {
            /* A missed poll is no failure: the session lives on the server. */
            app->purchase_poll_at_ms = util_now_ms() + APP_POLL_CHECKOUT_MS;
            return;
        }
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("checkout: %s", tech);
        checkout_status(app, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    catalog_purchase_free(app->purchase);
    app->purchase = p;
    char text[160];
    switch (p->status) {
    case CATALOG_PURCHASE_PENDING:
        snprintf(text, sizeof(text), "Waiting for payment of %s...", p->pack.price);
        checkout_status(app, false, text);
        app->purchase_poll_at_ms = util_now_ms() + APP_POLL_CHECKOUT_MS;
        break;
    case CATALOG_PURCHASE_COMPLETED:
        snprintf(text, sizeof(text), "Paid: +%d coins", p->pack.coins + p->pack.bonus_coins);
        log_info("checkout %s completed", p->id);
        /* Back to the paywall with the new balance. */
        app->screen = APP_SCREEN_PAYWALL;
        snprintf(app->pay_status, sizeof(app->pay_status), "%s", text);
        app->pay_status_error = false;
        app->pay_focus = APP_UNLOCK_COINS;
        session_request_wallet(app);
        account_reset(app);
        break;
    case CATALOG_PURCHASE_EXPIRED:
        checkout_status(app, true, "The checkout expired. Press OK to start again.");
        break;
    }
}

static void on_device_code(struct app *app, struct net_response *r)
{
    app->devcode_req = 0;
    struct catalog_device_code *code = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 ||
        catalog_parse_device_code(r->body, r->len, &code, err) != 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("activation: %s", tech);
        activation_status(app, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    catalog_device_code_free(app->devcode);
    app->devcode = code;
    app->devtoken_interval_s = code->interval;
    app->devtoken_at_ms = util_now_ms() + (int64_t)code->interval * 1000;
    activation_status(app, false, "Waiting for you to approve on your phone...");
    log_info("activation code issued, polling every %d s", code->interval);
}

static void on_device_token(struct app *app, struct net_response *r)
{
    app->devtoken_req = 0;
    struct catalog_token_poll *poll = NULL;
    char err[CATALOG_ERR_LEN] = "";
    int64_t now = util_now_ms();
    if (r->error) {
        app->devtoken_at_ms = now + (int64_t)app->devtoken_interval_s * 1000;
        return;
    }
    if (catalog_parse_token_poll(r->status, r->body, r->len, &poll, err) != 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("activation: %s", tech);
        activation_status(app, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    switch (poll->status) {
    case CATALOG_TOKEN_OK: {
        char text[160];
        free(app->token);
        app->token = util_strdup(poll->tokens->token);
        free(app->refresh_token);
        app->refresh_token = util_strdup(poll->tokens->refresh_token);
        free(app->account_name);
        app->account_name = util_strdup(poll->tokens->account_name);
        free(app->device_id);
        app->device_id = util_strdup(poll->tokens->device_id);
        net_set_bearer(app->net, app->token);
        if (app->store)
            store_save_token(app->store, poll->tokens->device_id, app->token, app->refresh_token);
        snprintf(text, sizeof(text), "Linked to %s",
                 app->account_name ? app->account_name : "your account");
        activation_status(app, false, text);
        log_info("device linked to an account");
        catalog_device_code_free(app->devcode);
        app->devcode = NULL;
        catalog_wallet_free(app->wallet);
        app->wallet = NULL;
        session_request_wallet(app);
        break;
    }
    case CATALOG_TOKEN_PENDING:
        app->devtoken_at_ms = now + (int64_t)app->devtoken_interval_s * 1000;
        break;
    case CATALOG_TOKEN_SLOW_DOWN:
        /* RFC 8628 3.5: add 5 s, or take the interval the server sent. */
        app->devtoken_interval_s =
            poll->interval > 0 ? poll->interval : app->devtoken_interval_s + 5;
        app->devtoken_at_ms = now + (int64_t)app->devtoken_interval_s * 1000;
        break;
    case CATALOG_TOKEN_EXPIRED:
        activation_status(app, true, "The code expired. Press OK for a new one.");
        break;
    case CATALOG_TOKEN_DENIED:
        activation_status(app, true, "Linking was declined. Press OK to try again.");
        break;
    case CATALOG_TOKEN_FAILED:
        log_warn("activation: linking failed: %s", poll->message ? poll->message : "no reason");
        activation_status(app, true, "Linking failed. Press OK to try again.");
        app_set_error_tech(app, "%s", poll->message ? poll->message : "");
        break;
    }
    catalog_token_poll_free(poll);
}

void account_on_response(struct app *app, struct net_response *r)
{
    switch (r->kind) {
    case APP_REQ_PACKS:
        if (r->id == app->packs_req)
            on_packs(app, r);
        break;
    case APP_REQ_PURCHASE:
        if (r->id == app->purchase_req)
            on_purchase(app, r, false);
        break;
    case APP_REQ_PURCHASE_POLL:
        if (r->id == app->purchase_poll_req)
            on_purchase(app, r, true);
        break;
    case APP_REQ_DEVICE_CODE:
        if (r->id == app->devcode_req)
            on_device_code(app, r);
        break;
    case APP_REQ_DEVICE_TOKEN:
        if (r->id == app->devtoken_req)
            on_device_token(app, r);
        break;
    default:
        break;
    }
}

int64_t account_tick(struct app *app, int64_t now)
{
    if (app->screen == APP_SCREEN_CHECKOUT && app->purchase_poll_at_ms && app->purchase) {
        if (now < app->purchase_poll_at_ms)
            return app->purchase_poll_at_ms;
        app->purchase_poll_at_ms = 0;
        char *path = NET_PATH("v1", "purchase", "session", app->purchase->id);
        if (path)
            app->purchase_poll_req =
                app_request(app, APP_REQ_PURCHASE_POLL, NET_GET, path, NULL, 0, NULL);
        free(path);
    }
    if (app->screen == APP_SCREEN_ACTIVATE && app->devtoken_at_ms && app->devcode) {
        if (now < app->devtoken_at_ms)
            return app->devtoken_at_ms;
        app->devtoken_at_ms = 0;
        char *body = NULL;
        if (catalog_build_device_token(app->devcode->device_code, &body) == 0)
            app->devtoken_req = app_request(app, APP_REQ_DEVICE_TOKEN, NET_POST, "/v1/device/token",
                                            body, APP_REQ_NO_AUTH, NULL);
        free(body);
    }
    return -1;
}

void account_dispatch(struct app *app, enum input_action action)
{
    bool failed = app->screen == APP_SCREEN_CHECKOUT ? app->checkout_error : app->act_error;
    if (action == INPUT_BACK || action == INPUT_HOME) {
        enum app_screen back = app->screen == APP_SCREEN_CHECKOUT && action == INPUT_BACK
                                   ? APP_SCREEN_PAYWALL
                                   : APP_SCREEN_HOME;
        account_reset(app);
        app->screen = back;
        if (back == APP_SCREEN_HOME)
            session_request_wallet(app);
        return;
    }
    if (action == INPUT_OK && failed) {
        if (app->screen == APP_SCREEN_CHECKOUT)
            checkout_start(app);
        else
            activation_start(app);
    }
}

void account_render(struct app *app, int64_t now)
{
    struct ui_qr_view v = {.now_ms = now, .hint = "Press BACK to cancel"};
    if (app->screen == APP_SCREEN_CHECKOUT) {
        v.title = "Buy coins on your phone";
        v.lines[0] = "Scan the code with your phone's camera";
        v.lines[1] = "and pay there. Your coins appear here.";
        v.qr_text = app->purchase ? app->purchase->qr_url : NULL;
        v.status = app->checkout_status[0] ? app->checkout_status : NULL;
        v.status_is_error = app->checkout_error;
        v.busy = !app->checkout_error;
    } else {
        const struct catalog_device_code *c = app->devcode;
        v.title = app->account_name && !c ? "Your account is linked" : "Link this TV";
        v.lines[0] = c ? "Scan the code, or visit" : NULL;
        v.lines[1] = c ? c->verification_uri : NULL;
        v.lines[2] = c ? "and enter this code:" : NULL;
        v.code = c ? c->user_code : NULL;
        v.qr_text =
            c ? (c->verification_uri_complete ? c->verification_uri_complete : c->verification_uri)
              : NULL;
        v.status = app->act_status[0] ? app->act_status : NULL;
        v.status_is_error = app->act_error;
        v.busy = c != NULL;
        v.hint = c ? "Press BACK to cancel" : "Press BACK to return";
    }
    ui_draw_qr_screen(app->ui, &v);
}
