/* Buy a pack on the phone, pushed by the wallet (its pack list, or the paywall's pack chooser)
 * with the pack chosen: the TV opens a checkout session for it, shows its QR code and the
 * address written out, and polls it. Paid: it pops itself and tells the wallet
 * (wallet_paid), which refreshes, or steps aside for the paywall. BACK returns to the wallet,
 * HOME goes home.
 *
 * Threading: UI thread only. */

#include <stdlib.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("account");

struct checkout_screen {
    char *pack_id; /* the pack being bought */
    uint64_t purchase_req, poll_req;
    struct catalog_purchase *purchase;
    int64_t poll_at_ms;
    char status[256];
    bool error;
};

static void set_status(struct app *app, struct checkout_screen *c, bool is_error, const char *text)
{
    /* A longer text is cut (the return value is looked at so that gcc -O2 does not warn). */
    if (snprintf(c->status, sizeof(c->status), "%s", text) < 0)
        c->status[0] = '\0';
    c->error = is_error;
    if (is_error)
        app_set_error(app, "%s", text);
}

static void reset(struct app *app, struct checkout_screen *c)
{
    net_cancel(app->net, c->purchase_req);
    net_cancel(app->net, c->poll_req);
    c->purchase_req = c->poll_req = 0;
    catalog_purchase_free(c->purchase);
    c->purchase = NULL;
    c->poll_at_ms = 0;
    c->status[0] = '\0';
    c->error = false;
}

static void start(struct app *app, struct screen *s)
{
    struct checkout_screen *c = s->state;
    reset(app, c);
    set_status(app, c, false, _("Preparing your checkout..."));
    char *body = NULL;
    if (catalog_build_purchase(c->pack_id, &body) == 0)
        c->purchase_req = screen_request(app, s, APP_REQ_PURCHASE, NET_POST, "/v1/purchase/session",
                                         body, 0, NULL);
    else
        set_status(app, c, true, _("This pack can't be bought here."));
    free(body);
}

static void on_purchase(struct app *app, struct screen *s, struct net_response *r, bool poll)
{
    struct checkout_screen *c = s->state;
    if (poll)
        c->poll_req = 0;
    else
        c->purchase_req = 0;
    struct catalog_purchase *p = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 || catalog_parse_purchase(r->body, r->len, &p, err) != 0) {
        if (poll && r->error) {
            /* A missed poll is no failure: the session lives on the server. */
            c->poll_at_ms = util_now_ms() + APP_POLL_CHECKOUT_MS;
            return;
        }
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("checkout: %s", tech);
        set_status(app, c, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    catalog_purchase_free(c->purchase);
    c->purchase = p;
    char text[160];
    switch (p->status) {
    case CATALOG_PURCHASE_PENDING:
        snprintf(text, sizeof(text), _("Waiting for payment of %s..."), p->pack.price);
        set_status(app, c, false, text);
        c->poll_at_ms = util_now_ms() + APP_POLL_CHECKOUT_MS;
        break;
    case CATALOG_PURCHASE_COMPLETED:
        if (p->pack.vip_days > 0 && p->pack.coins + p->pack.bonus_coins == 0)
            snprintf(
                text, sizeof(text),
                P_("Paid: VIP for %d more day", "Paid: VIP for %d more days", p->pack.vip_days),
                p->pack.vip_days);
        else
            snprintf(text, sizeof(text),
                     P_("Paid: +%d coin", "Paid: +%d coins", p->pack.coins + p->pack.bonus_coins),
                     p->pack.coins + p->pack.bonus_coins);
        log_info("checkout %s completed", p->id);
        /* Back to the wallet (or through it to the paywall) with the new balance. */
        app_pop(app);
        wallet_paid(app, text);
        break;
    case CATALOG_PURCHASE_EXPIRED:
        set_status(app, c, true, _("The checkout expired. Press OK to start again."));
        break;
    }
}

static int checkout_enter(struct app *app, struct screen *s, const void *arg)
{
    struct checkout_screen *c = s->state;
    const struct checkout_args *a = arg;
    if (!a || !a->pack_id)
        return BINGE_EINVAL;
    c->pack_id = util_strdup(a->pack_id);
    if (!c->pack_id)
        return BINGE_ENOMEM;
    start(app, s);
    return 0;
}

static void checkout_leave(struct app *app, struct screen *s)
{
    struct checkout_screen *c = s->state;
    reset(app, c);
    free(c->pack_id);
    if (app->running)
        session_request_wallet(app); /* a payment may have landed after all */
}

static bool checkout_action(struct app *app, struct screen *s, enum input_action action,
                            bool repeat)
{
    (void)repeat;
    struct checkout_screen *c = s->state;
    if (action == INPUT_OK && c->error)
        start(app, s);
    return action == INPUT_OK; /* BACK: the paywall; HOME: home */
}

static void checkout_response(struct app *app, struct screen *s, struct net_response *r)
{
    if (r->kind == APP_REQ_PURCHASE)
        on_purchase(app, s, r, false);
    else if (r->kind == APP_REQ_PURCHASE_POLL)
        on_purchase(app, s, r, true);
}

static void checkout_resend(struct app *app, struct screen *s, int kind)
{
    (void)kind;
    start(app, s); /* a checkout is started over as a whole */
}

static int64_t checkout_tick(struct app *app, struct screen *s, int64_t now)
{
    struct checkout_screen *c = s->state;
    int64_t next = c->error ? -1 : app_animate(app, now);
    if (c->poll_at_ms && c->purchase) {
        if (now < c->poll_at_ms)
            return next < 0 || c->poll_at_ms < next ? c->poll_at_ms : next;
        c->poll_at_ms = 0;
        char *path = NET_PATH("v1", "purchase", "session", c->purchase->id);
        if (path)
            c->poll_req =
                screen_request(app, s, APP_REQ_PURCHASE_POLL, NET_GET, path, NULL, 0, NULL);
        free(path);
    }
    return next;
}

static void checkout_render(struct app *app, struct screen *s, int64_t now)
{
    struct checkout_screen *c = s->state;
    char what[200] = "";
    if (c->purchase)
        snprintf(what, sizeof(what), _("%s for %s"), c->purchase->pack.title,
                 c->purchase->pack.price);
    struct ui_qr_view v = {
        .now_ms = now,
        .hint = _("Press BACK to choose another pack"),
        .title = _("Buy on your phone"),
        .lines = {what[0] ? what : _("Preparing your checkout..."),
                  _("Scan the code with your phone's camera"),
                  _("and pay there. Your coins appear here.")},
        .qr_text = c->purchase ? c->purchase->qr_url : NULL,
        .url = c->purchase ? c->purchase->qr_url : NULL,
        .status = c->status[0] ? c->status : NULL,
        .status_is_error = c->error,
        .busy = !c->error,
    };
    ui_draw_qr_screen(app->ui, &v);
}

static bool checkout_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    (void)app;
    struct checkout_screen *c = s->state;
    const struct catalog_purchase *p = c->purchase;
    const char *value;
    if (strcmp(path, "checkout.id") == 0)
        value = p ? p->id : NULL;
    else if (strcmp(path, "checkout.pack_id") == 0)
        value = p ? p->pack.id : c->pack_id; /* the server's word once it answered */
    else if (strcmp(path, "checkout.price") == 0)
        value = p ? p->pack.price : NULL;
    else if (strcmp(path, "checkout.url") == 0)
        value = p ? p->qr_url : NULL;
    else
        return false;
    *v = (struct app_value){.type = APP_VALUE_STR, .s = value};
    return true;
}

static const char *checkout_status(struct app *app, struct screen *s)
{
    (void)app;
    struct checkout_screen *c = s->state;
    return c->status[0] ? c->status : NULL;
}

const struct screen_ops screen_checkout = {
    .name = "checkout",
    .state_size = sizeof(struct checkout_screen),
    .enter = checkout_enter,
    .leave = checkout_leave,
    .action = checkout_action,
    .response = checkout_response,
    .resend = checkout_resend,
    .tick = checkout_tick,
    .render = checkout_render,
    .state = checkout_state,
    .status = checkout_status,
};
