/* Buy coins on the phone, pushed over the paywall: the TV asks for the packs, opens a checkout
 * session for the one that covers what the episode is missing, shows its QR code and polls it.
 * Paid: it pops itself and the paywall shows the new balance. BACK returns to the paywall,
 * HOME goes home.
 *
 * Threading: UI thread only. */

#include <stdlib.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("account");

struct checkout_screen {
    int price, balance; /* of the paywall below, to pick the pack */
    uint64_t packs_req, purchase_req, poll_req;
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
    net_cancel(app->net, c->packs_req);
    net_cancel(app->net, c->purchase_req);
    net_cancel(app->net, c->poll_req);
    c->packs_req = c->purchase_req = c->poll_req = 0;
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
    set_status(app, c, false, "Preparing your checkout...");
    c->packs_req = screen_request(app, s, APP_REQ_PACKS, NET_GET, "/v1/packs", NULL, 0, NULL);
}

/* The smallest pack that covers what the paywall is missing, else the largest. */
static const struct catalog_pack *pick_pack(const struct checkout_screen *c,
                                            const struct catalog_packs *p)
{
    int64_t need = c->price - (c->balance > 0 ? c->balance : 0);
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

static void on_packs(struct app *app, struct screen *s, struct net_response *r)
{
    struct checkout_screen *c = s->state;
    c->packs_req = 0;
    struct catalog_packs *packs = NULL;
    char err[CATALOG_ERR_LEN] = "", *body = NULL;
    if (r->error || r->status != 200 || catalog_parse_packs(r->body, r->len, &packs, err) != 0 ||
        packs->n_packs == 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("checkout: %s", tech);
        set_status(app, c, true, text);
        app_set_error_tech(app, "%s", tech);
        catalog_packs_free(packs);
        return;
    }
    const struct catalog_pack *pack = pick_pack(c, packs);
    if (catalog_build_purchase(pack->id, &body) == 0)
        c->purchase_req = screen_request(app, s, APP_REQ_PURCHASE, NET_POST, "/v1/purchase/session",
                                         body, 0, NULL);
    free(body);
    catalog_packs_free(packs);
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
        snprintf(text, sizeof(text), "Waiting for payment of %s...", p->pack.price);
        set_status(app, c, false, text);
        c->poll_at_ms = util_now_ms() + APP_POLL_CHECKOUT_MS;
        break;
    case CATALOG_PURCHASE_COMPLETED:
        snprintf(text, sizeof(text), "Paid: +%d coins", p->pack.coins + p->pack.bonus_coins);
        log_info("checkout %s completed", p->id);
        /* Back to the paywall with the new balance. */
        app_pop(app);
        paywall_paid(app, text);
        break;
    case CATALOG_PURCHASE_EXPIRED:
        set_status(app, c, true, "The checkout expired. Press OK to start again.");
        break;
    }
}

static int checkout_enter(struct app *app, struct screen *s, const void *arg)
{
    struct checkout_screen *c = s->state;
    const struct checkout_args *a = arg;
    c->price = a ? a->price : 0;
    c->balance = a ? a->balance : -1;
    start(app, s);
    return 0;
}

static void checkout_leave(struct app *app, struct screen *s)
{
    reset(app, s->state);
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
    if (r->kind == APP_REQ_PACKS)
        on_packs(app, s, r);
    else if (r->kind == APP_REQ_PURCHASE)
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
    struct ui_qr_view v = {
        .now_ms = now,
        .hint = "Press BACK to cancel",
        .title = "Buy coins on your phone",
        .lines = {"Scan the code with your phone's camera",
                  "and pay there. Your coins appear here."},
        .qr_text = c->purchase ? c->purchase->qr_url : NULL,
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
    if (strcmp(path, "checkout.id") != 0)
        return false;
    *v = (struct app_value){.type = APP_VALUE_STR, .s = c->purchase ? c->purchase->id : NULL};
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
