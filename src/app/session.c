#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("session");

/* The device's identity: a token kept in the store (0600, never logged), registered once,
 * renewed once when the server answers 401, and the wallet that goes with it. */

static struct catalog_wallet *cached_wallet(struct app *app, char **etag);

static void set_session(struct app *app, const struct catalog_device *dev)
{
    free(app->token);
    app->token = util_strdup(dev->token);
    free(app->device_id);
    app->device_id = util_strdup(dev->device_id);
    if (dev->refresh_token) {
        free(app->refresh_token);
        app->refresh_token = util_strdup(dev->refresh_token);
    }
    if (dev->account_name) {
        free(app->account_name);
        app->account_name = util_strdup(dev->account_name);
    }
    net_set_bearer(app->net, app->token);
    if (app->store &&
        store_save_token(app->store, dev->device_id, dev->token, app->refresh_token) != 0)
        log_warn("the token could not be saved; this device registers again next time");
}

/* The saved token is this device's when it belongs to the id asked for, or to the distinct guest
 * id the server gave instead because that id was taken: "<asked, cut to 47>:<16 hex>"
 * (docs/api.md, register). */
static bool saved_id_is_ours(const char *saved, const char *asked)
{
    size_t n = strlen(asked) < 47 ? strlen(asked) : 47;
    if (strcmp(saved, asked) == 0)
        return true;
    if (strncmp(saved, asked, n) != 0 || saved[n] != ':' || strlen(saved + n + 1) != 16)
        return false;
    return strspn(saved + n + 1, "0123456789abcdef") == 16;
}

void session_start(struct app *app)
{
    char *device_id = NULL, *token = NULL, *refresh = NULL;
    if (app->store && store_load_token(app->store, &device_id, &token, &refresh) == 0 && token &&
        device_id && app->opts->device_id && saved_id_is_ours(device_id, app->opts->device_id)) {
        app->token = token;
        app->refresh_token = refresh;
        app->device_id = device_id;
        token = refresh = device_id = NULL;
        net_set_bearer(app->net, app->token);
        log_info("signed in with the saved token of %s", app->device_id);
        app->wallet = cached_wallet(app, &app->wallet_etag); /* shown at once, refreshed below */
        if (app->wallet && app->wallet->account_name)
            app->account_name = util_strdup(app->wallet->account_name);
        session_request_wallet(app); /* the balance and the account name */
        progress_flush(app);         /* what a previous run could not send */
    }
    free(device_id);
    free(token);
    free(refresh);
}

void session_request_register(struct app *app)
{
    char *body = NULL;
    /* A device id is public; the server gives a known one back only with its proof, an unused
     * refresh token. Without one this device asks for its own id and gets a fresh guest if that
     * is taken, never another device's wallet. */
    bool proof = app->refresh_token && app->device_id;
    if (catalog_build_register(proof ? app->device_id : app->opts->device_id,
                               proof ? app->refresh_token : NULL, &body) != 0) {
        log_error("can't build a register request for device id '%s'", app->opts->device_id);
        return;
    }
    app->register_req = app_request(app, APP_REQ_REGISTER, NET_POST, "/v1/device/register", body,
                                    APP_REQ_NO_AUTH | APP_REQ_IDEMPOTENT, NULL);
    free(body);
}

void session_on_register(struct app *app, struct net_response *r)
{
    app->register_req = 0;
    struct catalog_device *dev = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 200 && catalog_parse_device(r->body, r->len, &dev, err) == 0) {
        set_session(app, dev);
        log_info("registered as device %s", dev->device_id);
        catalog_device_free(dev);
        session_request_wallet(app);
        progress_flush(app);
        app_resubmit(app);
        return;
    }
    if (err[0])
        log_error("bad register response: %s", err);
    else
        log_warn("register failed: %s (status %ld)", r->message, r->status);
    if (!app->retry_at_ms)
        app_schedule_retry(app);
}

void session_on_refresh(struct app *app, struct net_response *r)
{
    app->refresh_req = 0;
    struct catalog_device *dev = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 200 && catalog_parse_device(r->body, r->len, &dev, err) == 0) {
        set_session(app, dev);
        catalog_device_free(dev);
        log_info("token refreshed");
        app_resubmit(app);
        return;
    }
    /* A refused refresh token (400 invalid_grant) is spent: start over as a new registration.
     * After a failure in transit it may still be good, so it goes along as the proof. */
    log_warn("refresh failed (status %ld); registering again", r->status);
    if (!r->error && r->status == 400) {
        free(app->refresh_token);
        app->refresh_token = NULL;
    }
    if (!app->register_req)
        session_request_register(app);
}

/* Marks what answered 401 to be sent again with the next token. Returns false when no one can
 * send it again (it is then shown as the failure it is). */
static bool mark_resend(struct app *app, struct net_response *r)
{
    if (r->userdata) {
        /* A screen's request: the screen sends it again, if it is still there and knows how. */
        for (size_t i = 0; i < app->depth; i++) {
            struct screen *s = app->stack[i];
            if (s->gen == (uintptr_t)r->userdata && s->ops->resend) {
                screen_resend_later(app, s, r->kind);
                return true;
            }
        }
        return false;
    }
    static const unsigned core = 1u << APP_REQ_WALLET | 1u << APP_REQ_PROGRESS;
    if (!(core & (1u << r->kind)))
        return false;
    app->resubmit |= 1u << r->kind;
    return true;
}

bool session_on_unauthorized(struct app *app, struct net_response *r)
{
    if (r->error || r->status != 401 || !mark_resend(app, r))
        return false;
    /* Another request already renewed the token since this one was sent: just resend. */
    if (r->bearer_gen && r->bearer_gen != net_bearer_gen(app->net)) {
        app_resubmit(app);
        return true;
    }
    /* Requests sent with the old token keep coming back while the renewal is under way: they
     * wait for it too. */
    if (app->refresh_req || app->register_req)
        return true;
    if (app->auth_renewed) {
        log_error("the server refused a renewed token too");
        app->resubmit = 0;
        app->n_resend = 0;
        return false; /* shown as the error it is */
    }
    app->auth_renewed = true;
    char *body = NULL;
    if (app->refresh_token && catalog_build_refresh(app->refresh_token, &body) == 0) {
        app->refresh_req = app_request(app, APP_REQ_REFRESH, NET_POST, "/v1/device/refresh", body,
                                       APP_REQ_NO_AUTH, NULL);
        free(body);
        log_info("token refused; refreshing it");
    } else {
        log_info("token refused; registering again");
        session_request_register(app);
    }
    return true;
}

void session_adopt(struct app *app, const struct catalog_device *t)
{
    app_replace_str(&app->token, t->token);
    app_replace_str(&app->refresh_token, t->refresh_token);
    app_replace_str(&app->account_name, t->account_name);
    app_replace_str(&app->device_id, t->device_id);
    net_set_bearer(app->net, app->token);
    if (app->store)
        store_save_token(app->store, t->device_id, app->token, app->refresh_token);
    catalog_wallet_free(app->wallet);
    app->wallet = NULL;
    session_request_wallet(app);
}

/* The wallet is cached too, so the balance shows at once and offline. */
static struct catalog_wallet *cached_wallet(struct app *app, char **etag)
{
    char key[200], *body = NULL, err[CATALOG_ERR_LEN];
    size_t len = 0;
    struct catalog_wallet *w = NULL;
    app_cache_key(app, "wallet", NULL, key, sizeof(key));
    if (app_cache_load(app, key, &body, &len, etag) == 0 &&
        catalog_parse_wallet(body, len, &w, err) != 0)
        w = NULL;
    free(body);
    return w;
}

void session_request_wallet(struct app *app)
{
    if (!app->token || app->wallet_req)
        return;
    /* Send the ETag only for the copy shown: after a link the wallet is dropped. */
    app->wallet_req = app_request(app, APP_REQ_WALLET, NET_GET, "/v1/wallet", NULL, 0,
                                  app->wallet ? app->wallet_etag : NULL);
}

void session_refresh_wallet(struct app *app)
{
    net_cancel(app->net, app->wallet_req);
    app->wallet_req = 0;
    session_request_wallet(app);
}

void session_on_wallet(struct app *app, struct net_response *r)
{
    app->wallet_req = 0;
    struct catalog_wallet *w = NULL;
    char err[CATALOG_ERR_LEN] = "", key[200];
    app_cache_key(app, "wallet", NULL, key, sizeof(key));
    if (!r->error && r->status == 304) {
        if (app->store)
            store_cache_touch(app->store, key);
        return; /* what is shown is current */
    }
    if (!r->error && r->status == 200 && catalog_parse_wallet(r->body, r->len, &w, err) == 0) {
        if (app->store)
            store_cache_put(app->store, key, r->etag, r->body, r->len);
        free(app->wallet_etag);
        app->wallet_etag = util_strdup(r->etag);
        catalog_wallet_free(app->wallet);
        app->wallet = w;
        if (w->account_name) {
            free(app->account_name);
            app->account_name = util_strdup(w->account_name);
        }
        paywall_wallet_changed(app);
        log_info("wallet: %lld coins + %lld bonus, vip %s, %d ads left", (long long)w->coins,
                 (long long)w->bonus_coins, w->vip_active ? "on" : "off", w->ads_left_today);
        return;
    }
    if (err[0])
        log_error("bad wallet response: %s", err);
    else
        log_warn("wallet: %s (status %ld)", r->message, r->status);
}

int64_t session_balance(const struct app *app)
{
    return app->wallet ? app->wallet->coins + app->wallet->bonus_coins : -1;
}
