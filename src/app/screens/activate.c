/* Link this TV to an account (RFC 8628), pushed by MENU on home: a code and a QR, polled at the
 * interval the server asks for. Linked: the session takes the account's tokens. BACK or HOME
 * leaves; the wallet (and the account's name) is asked for again on the way out.
 *
 * Threading: UI thread only. */

#include <stdlib.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("account");

struct activate_screen {
    struct catalog_device_code *code;
    uint64_t code_req, token_req;
    int64_t token_at_ms;
    int interval_s;
    char status[256];
    bool error;
};

static void set_status(struct app *app, struct activate_screen *a, bool is_error, const char *text)
{
    /* A longer text is cut (the return value is looked at so that gcc -O2 does not warn). */
    if (snprintf(a->status, sizeof(a->status), "%s", text) < 0)
        a->status[0] = '\0';
    a->error = is_error;
    if (is_error)
        app_set_error(app, "%s", text);
}

static void reset(struct app *app, struct activate_screen *a)
{
    net_cancel(app->net, a->code_req);
    net_cancel(app->net, a->token_req);
    a->code_req = a->token_req = 0;
    catalog_device_code_free(a->code);
    a->code = NULL;
    a->token_at_ms = 0;
    a->status[0] = '\0';
    a->error = false;
}

static void start(struct app *app, struct screen *s)
{
    struct activate_screen *a = s->state;
    reset(app, a);
    set_status(app, a, false, _("Getting a code..."));
    a->code_req =
        screen_request(app, s, APP_REQ_DEVICE_CODE, NET_POST, "/v1/device/code", "{}", 0, NULL);
}

static void on_device_code(struct app *app, struct activate_screen *a, struct net_response *r)
{
    a->code_req = 0;
    struct catalog_device_code *code = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 ||
        catalog_parse_device_code(r->body, r->len, &code, err) != 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("activation: %s", tech);
        set_status(app, a, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    catalog_device_code_free(a->code);
    a->code = code;
    a->interval_s = code->interval;
    a->token_at_ms = util_now_ms() + (int64_t)code->interval * 1000;
    set_status(app, a, false, _("Waiting for you to approve on your phone..."));
    log_info("activation code issued, polling every %d s", code->interval);
}

static void on_device_token(struct app *app, struct activate_screen *a, struct net_response *r)
{
    a->token_req = 0;
    struct catalog_token_poll *poll = NULL;
    char err[CATALOG_ERR_LEN] = "";
    int64_t now = util_now_ms();
    if (r->error) {
        a->token_at_ms = now + (int64_t)a->interval_s * 1000;
        return;
    }
    if (catalog_parse_token_poll(r->status, r->body, r->len, &poll, err) != 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("activation: %s", tech);
        set_status(app, a, true, text);
        app_set_error_tech(app, "%s", tech);
        return;
    }
    switch (poll->status) {
    case CATALOG_TOKEN_OK: {
        char text[160];
        session_adopt(app, poll->tokens);
        snprintf(text, sizeof(text), _("Linked to %s"),
                 app->account_name ? app->account_name : _("your account"));
        set_status(app, a, false, text);
        log_info("device linked to an account");
        catalog_device_code_free(a->code);
        a->code = NULL;
        break;
    }
    case CATALOG_TOKEN_PENDING:
        a->token_at_ms = now + (int64_t)a->interval_s * 1000;
        break;
    case CATALOG_TOKEN_SLOW_DOWN:
        /* RFC 8628 3.5: add 5 s, or take the interval the server sent. */
        a->interval_s = poll->interval > 0 ? poll->interval : a->interval_s + 5;
        a->token_at_ms = now + (int64_t)a->interval_s * 1000;
        break;
    case CATALOG_TOKEN_EXPIRED:
        set_status(app, a, true, _("The code expired. Press OK for a new one."));
        break;
    case CATALOG_TOKEN_DENIED:
        set_status(app, a, true, _("Linking was declined. Press OK to try again."));
        break;
    case CATALOG_TOKEN_FAILED:
        log_warn("activation: linking failed: %s", poll->message ? poll->message : "no reason");
        set_status(app, a, true, _("Linking failed. Press OK to try again."));
        app_set_error_tech(app, "%s", poll->message ? poll->message : "");
        break;
    }
    catalog_token_poll_free(poll);
}

static int activate_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)arg;
    start(app, s);
    return 0;
}

static void activate_leave(struct app *app, struct screen *s)
{
    reset(app, s->state);
    if (app->running)
        session_request_wallet(app);
}

static bool activate_action(struct app *app, struct screen *s, enum input_action action,
                            bool repeat)
{
    (void)repeat;
    struct activate_screen *a = s->state;
    if (action == INPUT_OK && a->error)
        start(app, s);
    return action == INPUT_OK; /* BACK and HOME: home */
}

static void activate_response(struct app *app, struct screen *s, struct net_response *r)
{
    if (r->kind == APP_REQ_DEVICE_CODE)
        on_device_code(app, s->state, r);
    else if (r->kind == APP_REQ_DEVICE_TOKEN)
        on_device_token(app, s->state, r);
}

static void activate_resend(struct app *app, struct screen *s, int kind)
{
    if (kind == APP_REQ_DEVICE_CODE)
        start(app, s);
}

static int64_t activate_tick(struct app *app, struct screen *s, int64_t now)
{
    struct activate_screen *a = s->state;
    int64_t next = a->code ? app_animate(app, now) : -1;
    if (a->token_at_ms && a->code) {
        if (now < a->token_at_ms)
            return next < 0 || a->token_at_ms < next ? a->token_at_ms : next;
        a->token_at_ms = 0;
        char *body = NULL;
        if (catalog_build_device_token(a->code->device_code, &body) == 0)
            a->token_req = screen_request(app, s, APP_REQ_DEVICE_TOKEN, NET_POST,
                                          "/v1/device/token", body, APP_REQ_NO_AUTH, NULL);
        free(body);
    }
    return next;
}

static void activate_render(struct app *app, struct screen *s, int64_t now)
{
    struct activate_screen *a = s->state;
    const struct catalog_device_code *c = a->code;
    struct ui_qr_view v = {
        .now_ms = now,
        .title = app->account_name && !c ? _("Your account is linked") : _("Link this TV"),
        .lines = {c ? _("Scan the code, or visit") : NULL, c ? c->verification_uri : NULL,
                  c ? _("and enter this code:") : NULL},
        .code = c ? c->user_code : NULL,
        .qr_text =
            c ? (c->verification_uri_complete ? c->verification_uri_complete : c->verification_uri)
              : NULL,
        .status = a->status[0] ? a->status : NULL,
        .status_is_error = a->error,
        .busy = c != NULL,
        .hint = c ? _("Press BACK to cancel") : _("Press BACK to return"),
    };
    ui_draw_qr_screen(app->ui, &v);
}

static bool activate_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    (void)app;
    struct activate_screen *a = s->state;
    if (strcmp(path, "activation.user_code") != 0)
        return false;
    *v = (struct app_value){.type = APP_VALUE_STR, .s = a->code ? a->code->user_code : NULL};
    return true;
}

static const char *activate_status(struct app *app, struct screen *s)
{
    (void)app;
    struct activate_screen *a = s->state;
    return a->status[0] ? a->status : NULL;
}

const struct screen_ops screen_activate = {
    .name = "activate",
    .state_size = sizeof(struct activate_screen),
    .enter = activate_enter,
    .leave = activate_leave,
    .action = activate_action,
    .response = activate_response,
    .resend = activate_resend,
    .tick = activate_tick,
    .render = activate_render,
    .state = activate_state,
    .status = activate_status,
};
