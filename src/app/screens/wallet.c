/* The wallet and its rewards: the balance (coins, bonus coins and when they expire), VIP and
 * the ad unlocks left today, the daily check-in (a 7-day strip, Claim, a toast with the
 * reward), the coin packs and VIP plans (each opens the phone checkout for that pack), and the
 * recent ledger.
 *
 * It is also the paywall's pack chooser: "Buy coins on your phone" pushes it with the focus on
 * the packs, on the smallest one that covers what the episode is missing. Once that checkout is
 * paid, the chooser steps aside and the paywall shows the new balance. Opened from home, a
 * payment stays here: a toast, and the balance and ledger refresh.
 *
 * Focus: three areas. The Claim button (LEFT from the packs, UP from the ledger's first row),
 * the packs (RIGHT; UP/DOWN move along them) and the ledger (DOWN from Claim; UP/DOWN scroll
 * it). BACK returns where the viewer came from.
 *
 * The balance, VIP, ads and check-in status are the session's wallet (app->wallet, GET
 * /v1/wallet); the packs and the ledger are this screen's own.
 *
 * Threading: UI thread only. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("app");

#define HISTORY_PATH "/v1/wallet/history?limit=20"

struct wallet_row_text {
    char when[32];
    char what[160];
    char delta[64];
    bool credit;
};

struct wallet_screen {
    bool chooser;       /* pushed by the paywall: a paid checkout returns to it */
    int price, balance; /* the paywall's, to focus the pack that covers the episode */

    struct catalog_packs *packs;
    uint64_t packs_req;
    char packs_status[420];
    bool packs_error;

    struct wallet_row_text *rows; /* the ledger, formatted once as it arrives */
    size_t n_rows;
    uint64_t history_req;
    char history_status[420];

    uint64_t checkin_req;
    char checkin_status[420]; /* the claim's result or failure, "" for the default line */
    bool checkin_error;
    const char *checkin_result; /* the last claim's: "claimed", "already_claimed", "failed" */

    enum ui_wallet_focus focus;
    size_t pack_focus, row_focus;
};

/* ---- formatting ---- */

/* Dates in the language's order, in digits where the language has no month names in "C"
 * (strftime's %b is English there): the translators choose the format (docs/i18n.md). */
static const char *date_format(void)
{
    /* TRANSLATORS: a strftime() format of a day, e.g. "%d/%m" or "%m月%d日"; use digits (%d
     * %m), not %b, which is in English. */
    /* xgettext:no-c-format */
    return _("%b %e");
}

static const char *date_time_format(void)
{
    /* TRANSLATORS: a strftime() format of a day and a time, e.g. "%d/%m %H:%M"; digits only. */
    /* xgettext:no-c-format */
    return _("%b %e %H:%M");
}

static void format_date(int64_t t, bool with_time, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    /* The format is the translation's (a strftime() format, checked by no compiler). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    if (t <= 0 || !localtime_r(&tt, &tm) ||
        strftime(buf, len, with_time ? date_time_format() : date_format(), &tm) == 0) {
        snprintf(buf, len, "-");
        return;
    }
#pragma GCC diagnostic pop
    /* "%e" pads the day with a space: "Dec  6" reads as a gap. */
    char *dbl = strstr(buf, "  ");
    if (dbl)
        memmove(dbl, dbl + 1, strlen(dbl));
}

static void format_delta(int64_t coins, int64_t bonus, char *buf, size_t len)
{
    buf[0] = '\0';
    if (coins)
        snprintf(buf, len, P_("%+lld coin", "%+lld coins", coins < 0 ? -coins : coins),
                 (long long)coins);
    if (bonus) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s", used ? ", " : "");
        used = strlen(buf);
        snprintf(buf + used, len - used, _("%+lld bonus"), (long long)bonus);
    }
}

static void format_row(const struct catalog_ledger_item *it, struct wallet_row_text *t)
{
    format_date(it->time, true, t->when, sizeof(t->when));
    format_delta(it->coins, it->bonus_coins, t->delta, sizeof(t->delta));
    t->credit = it->coins + it->bonus_coins > 0;
    const char *how = it->method == CATALOG_METHOD_COINS ? _("coins")
                      : it->method == CATALOG_METHOD_AD  ? _("an ad")
                      : it->method == CATALOG_METHOD_VIP ? "VIP"
                                                         : NULL;
    switch (it->kind) {
    case CATALOG_LEDGER_UNLOCK:
        snprintf(t->what, sizeof(t->what), _("Unlocked %1$s, episode %2$d"),
                 it->series_title ? it->series_title : _("an episode"), it->episode_index);
        if (how) {
            size_t used = strlen(t->what);
            snprintf(t->what + used, sizeof(t->what) - used, " (%s)", how);
        }
        if (!t->delta[0])
            snprintf(t->delta, sizeof(t->delta), "%s", _("free"));
        break;
    case CATALOG_LEDGER_PURCHASE:
        snprintf(t->what, sizeof(t->what), _("Bought %s"),
                 it->pack_title ? it->pack_title : (it->pack_id ? it->pack_id : _("a pack")));
        if (!t->delta[0] && it->pack_vip_days > 0) {
            snprintf(t->delta, sizeof(t->delta),
                     P_("+%d day VIP", "+%d days VIP", it->pack_vip_days), it->pack_vip_days);
            t->credit = true;
        }
        break;
    case CATALOG_LEDGER_CHECKIN:
        snprintf(t->what, sizeof(t->what), "%s", _("Daily check-in reward"));
        break;
    case CATALOG_LEDGER_WELCOME:
        snprintf(t->what, sizeof(t->what), "%s", _("Welcome gift"));
        break;
    case CATALOG_LEDGER_WELCOME_RETURN:
        snprintf(t->what, sizeof(t->what), "%s",
                 _("Welcome gift returned (account already had one)"));
        break;
    case CATALOG_LEDGER_OTHER:
        snprintf(t->what, sizeof(t->what), "%s", _("Balance change"));
        break;
    }
}

/* What a pack gives, as its button's label ("300 coins + 30 bonus", "VIP for 7 days"). */
static void pack_label(const struct catalog_pack *p, char *buf, size_t len)
{
    if (p->vip_days > 0 && p->coins == 0)
        snprintf(buf, len, P_("VIP for %d day", "VIP for %d days", p->vip_days), p->vip_days);
    else if (p->bonus_coins > 0)
        snprintf(buf, len, P_("%1$d coin + %2$d bonus", "%1$d coins + %2$d bonus", p->coins),
                 p->coins, p->bonus_coins);
    else
        snprintf(buf, len, P_("%d coin", "%d coins", p->coins), p->coins);
}

/* The check-in reward of streak day `day`: min(5 x day, 35) (docs/api.md, POST /v1/checkin). */
static int day_reward(int day)
{
    return day * 5 < 35 ? day * 5 : 35;
}

/* ---- requests ---- */

static void request_packs(struct app *app, struct screen *s)
{
    struct wallet_screen *w = s->state;
    net_cancel(app->net, w->packs_req);
    w->packs_req = screen_request(app, s, APP_REQ_PACKS, NET_GET, "/v1/packs", NULL, 0, NULL);
    snprintf(w->packs_status, sizeof(w->packs_status), "%s", _("Loading the packs..."));
    w->packs_error = false;
}

static void request_history(struct app *app, struct screen *s)
{
    struct wallet_screen *w = s->state;
    if (!app->token) {
        screen_resend_later(app, s, APP_REQ_WALLET_HISTORY);
        return;
    }
    net_cancel(app->net, w->history_req);
    w->history_req =
        screen_request(app, s, APP_REQ_WALLET_HISTORY, NET_GET, HISTORY_PATH, NULL, 0, NULL);
}

static void request_checkin(struct app *app, struct screen *s)
{
    struct wallet_screen *w = s->state;
    if (w->checkin_req)
        return; /* one claim at a time */
    if (!app->token) {
        screen_resend_later(app, s, APP_REQ_CHECKIN);
        return;
    }
    /* No idempotency key: a second claim the same day is a harmless 409 "already claimed". */
    w->checkin_req =
        screen_request(app, s, APP_REQ_CHECKIN, NET_POST, "/v1/checkin", "{}", 0, NULL);
    snprintf(w->checkin_status, sizeof(w->checkin_status), "%s", _("Claiming..."));
    w->checkin_error = false;
    w->checkin_result = NULL;
}

/* The smallest pack that covers what the paywall is missing, else the largest. */
static size_t covering_pack(const struct wallet_screen *w)
{
    int64_t need = (int64_t)w->price - (w->balance > 0 ? w->balance : 0);
    size_t best = SIZE_MAX, largest = 0;
    for (size_t i = 0; i < w->packs->n_packs; i++) {
        const struct catalog_pack *k = &w->packs->packs[i];
        int64_t coins = (int64_t)k->coins + k->bonus_coins;
        const struct catalog_pack *l = &w->packs->packs[largest];
        if (coins > (int64_t)l->coins + l->bonus_coins)
            largest = i;
        if (coins >= need && k->coins > 0 &&
            (best == SIZE_MAX ||
             coins < (int64_t)w->packs->packs[best].coins + w->packs->packs[best].bonus_coins))
            best = i;
    }
    return best != SIZE_MAX ? best : largest;
}

static void on_packs(struct app *app, struct screen *s, struct net_response *r)
{
    struct wallet_screen *w = s->state;
    w->packs_req = 0;
    struct catalog_packs *packs = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 || catalog_parse_packs(r->body, r->len, &packs, err) != 0 ||
        packs->n_packs == 0) {
        char text[360], tech[512] = "";
        if (!r->error && r->status == 200 && !err[0])
            snprintf(text, sizeof(text), "%s", _("No packs are on sale right now."));
        else
            app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        if (!r->error && r->status == 200 && !err[0])
            snprintf(tech, sizeof(tech), "GET /v1/packs: an empty list");
        log_warn("wallet packs: %s", tech);
        snprintf(w->packs_status, sizeof(w->packs_status), _("%s Press OK to try again."), text);
        w->packs_error = true;
        app_set_error(app, "%s", text);
        app_set_error_tech(app, "%s", tech);
        catalog_packs_free(packs);
        return;
    }
    catalog_packs_free(w->packs);
    w->packs = packs;
    w->packs_status[0] = '\0';
    w->packs_error = false;
    if (w->chooser)
        w->pack_focus = covering_pack(w);
    if (w->pack_focus >= packs->n_packs)
        w->pack_focus = packs->n_packs - 1;
}

static void on_history(struct app *app, struct screen *s, struct net_response *r)
{
    (void)app;
    struct wallet_screen *w = s->state;
    w->history_req = 0;
    struct catalog_wallet_history *h = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 ||
        catalog_parse_wallet_history(r->body, r->len, &h, err) != 0) {
        char text[420], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("wallet history: %s", tech);
        /* What was shown stays; a first failure says so where the ledger goes. */
        if (!w->n_rows)
            snprintf(w->history_status, sizeof(w->history_status), "%s", text);
        return;
    }
    if (h->n_dropped)
        log_warn("wallet history: left out %zu item%s; the first: %s", h->n_dropped,
                 h->n_dropped == 1 ? "" : "s", h->dropped);
    struct wallet_row_text *rows = h->n_items ? calloc(h->n_items, sizeof(*rows)) : NULL;
    if (h->n_items && !rows) {
        catalog_wallet_history_free(h);
        return;
    }
    for (size_t i = 0; i < h->n_items; i++)
        format_row(&h->items[i], &rows[i]);
    free(w->rows);
    w->rows = rows;
    w->n_rows = h->n_items < UI_WALLET_MAX_ROWS ? h->n_items : UI_WALLET_MAX_ROWS;
    snprintf(w->history_status, sizeof(w->history_status), "%s", _("No activity yet"));
    if (w->row_focus >= w->n_rows)
        w->row_focus = w->n_rows ? w->n_rows - 1 : 0;
    if (w->focus == UI_WALLET_FOCUS_HISTORY && !w->n_rows)
        w->focus = UI_WALLET_FOCUS_CLAIM;
    catalog_wallet_history_free(h);
}

static void on_checkin(struct app *app, struct screen *s, struct net_response *r)
{
    struct wallet_screen *w = s->state;
    w->checkin_req = 0;
    struct catalog_checkin *c = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || (r->status != 200 && r->status != 409) ||
        catalog_parse_checkin(r->status, r->body, r->len, &c, err) != 0) {
        char text[360], tech[512];
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_warn("check-in: %s", tech);
        snprintf(w->checkin_status, sizeof(w->checkin_status), _("The check-in failed. %s"), text);
        w->checkin_error = true;
        w->checkin_result = "failed";
        app_set_error(app, "%s", w->checkin_status);
        app_set_error_tech(app, "%s", tech);
        /* A lost answer may hide a claim the server made: the wallet and ledger say. */
        session_refresh_wallet(app);
        request_history(app, s);
        return;
    }
    struct catalog_wallet *wallet = app->wallet;
    w->checkin_result = c->already_claimed ? "already_claimed" : "claimed";
    int next = c->next_reward >= 0 ? c->next_reward : day_reward(c->streak + 1);
    if (c->already_claimed && wallet && !wallet->checkin_claimed_today) {
        /* The wallet said unclaimed: another device of the account claimed, or this claim went
         * through and its answer was lost (curl resends a POST once on a stale connection, and
         * the resend hears 409). Either way today's reward is in: say that, not "already". */
        snprintf(w->checkin_status, sizeof(w->checkin_status),
                 _("Today's check-in is in: day %1$d of your streak. Tomorrow: +%2$d."), c->streak,
                 next);
        app_toast(app, _("Checked in: day %d of your streak"), c->streak);
        log_info("check-in: claimed today already (streak %d), not shown before", c->streak);
        request_history(app, s);
    } else if (c->already_claimed) {
        snprintf(w->checkin_status, sizeof(w->checkin_status),
                 P_("Already claimed today. Come back tomorrow for +%d bonus coin.",
                    "Already claimed today. Come back tomorrow for +%d bonus coins.", next),
                 next);
        app_toast(app, "%s", _("Already claimed today"));
        log_info("check-in: already claimed (streak %d)", c->streak);
    } else {
        snprintf(w->checkin_status, sizeof(w->checkin_status),
                 _("+%1$d bonus coins for day %2$d. Tomorrow: +%3$d."), c->reward_bonus_coins,
                 c->streak, c->next_reward >= 0 ? c->next_reward : day_reward(c->streak + 1));
        app_toast(app, _("+%1$d bonus coins: day %2$d of your check-in streak"),
                  c->reward_bonus_coins, c->streak);
        log_info("check-in: +%d bonus coins, streak %d", c->reward_bonus_coins, c->streak);
        if (wallet) {
            wallet->coins = c->coins;
            wallet->bonus_coins = c->bonus_coins;
        }
        request_history(app, s);
    }
    w->checkin_error = false;
    /* Shown at once; the wallet asked for below confirms it (and the bonus expiry). */
    if (wallet) {
        wallet->checkin_claimed_today = true;
        wallet->checkin_streak = c->streak;
        wallet->checkin_next_reward = c->next_reward;
    }
    session_refresh_wallet(app);
    catalog_checkin_free(c);
}

/* ---- the screen ---- */

static int wallet_enter(struct app *app, struct screen *s, const void *arg)
{
    struct wallet_screen *w = s->state;
    const struct wallet_args *a = arg;
    w->chooser = a && a->choose_pack;
    w->price = a ? a->price : 0;
    w->balance = a ? a->balance : -1;
    w->focus = w->chooser ? UI_WALLET_FOCUS_PACKS : UI_WALLET_FOCUS_CLAIM;
    snprintf(w->history_status, sizeof(w->history_status), "%s", _("Loading your activity..."));
    session_refresh_wallet(app);
    request_packs(app, s);
    request_history(app, s);
    return 0;
}

static void wallet_leave(struct app *app, struct screen *s)
{
    struct wallet_screen *w = s->state;
    net_cancel(app->net, w->packs_req);
    net_cancel(app->net, w->history_req);
    net_cancel(app->net, w->checkin_req);
    catalog_packs_free(w->packs);
    free(w->rows);
}

static void wallet_resume(struct app *app, struct screen *s)
{
    /* Back from a checkout: whatever happened there shows in the balance and the ledger. */
    session_refresh_wallet(app);
    request_history(app, s);
}

static size_t n_packs(const struct wallet_screen *w)
{
    return w->packs ? w->packs->n_packs : 0;
}

static void open_checkout(struct app *app, struct wallet_screen *w)
{
    const struct catalog_pack *p = &w->packs->packs[w->pack_focus];
    struct checkout_args c = {.pack_id = p->id};
    log_info("wallet: checkout for pack %s (%s)", p->id, p->price);
    app_push(app, &screen_checkout, &c);
}

static bool wallet_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    (void)repeat;
    struct wallet_screen *w = s->state;
    switch (action) {
    case INPUT_LEFT:
        if (w->focus == UI_WALLET_FOCUS_PACKS)
            w->focus = UI_WALLET_FOCUS_CLAIM;
        return true;
    case INPUT_RIGHT:
        if (w->focus != UI_WALLET_FOCUS_PACKS && (n_packs(w) || w->packs_error))
            w->focus = UI_WALLET_FOCUS_PACKS;
        return true;
    case INPUT_UP:
        if (w->focus == UI_WALLET_FOCUS_PACKS && w->pack_focus > 0)
            w->pack_focus--;
        else if (w->focus == UI_WALLET_FOCUS_HISTORY && w->row_focus > 0)
            w->row_focus--;
        else if (w->focus == UI_WALLET_FOCUS_HISTORY)
            w->focus = UI_WALLET_FOCUS_CLAIM;
        return true;
    case INPUT_DOWN:
        if (w->focus == UI_WALLET_FOCUS_PACKS && w->pack_focus + 1 < n_packs(w))
            w->pack_focus++;
        else if (w->focus == UI_WALLET_FOCUS_HISTORY && w->row_focus + 1 < w->n_rows)
            w->row_focus++;
        else if (w->focus == UI_WALLET_FOCUS_CLAIM && w->n_rows) {
            w->focus = UI_WALLET_FOCUS_HISTORY;
            w->row_focus = 0;
        }
        return true;
    case INPUT_OK:
        if (w->focus == UI_WALLET_FOCUS_CLAIM)
            request_checkin(app, s);
        else if (w->focus == UI_WALLET_FOCUS_PACKS && n_packs(w))
            open_checkout(app, w);
        else if (w->focus == UI_WALLET_FOCUS_PACKS && !w->packs_req)
            request_packs(app, s); /* they failed: try again */
        return true;
    default:
        return false; /* BACK: where the viewer came from; HOME: home */
    }
}

static void wallet_response(struct app *app, struct screen *s, struct net_response *r)
{
    if (r->kind == APP_REQ_PACKS)
        on_packs(app, s, r);
    else if (r->kind == APP_REQ_WALLET_HISTORY)
        on_history(app, s, r);
    else if (r->kind == APP_REQ_CHECKIN)
        on_checkin(app, s, r);
}

static void wallet_resend(struct app *app, struct screen *s, int kind)
{
    if (kind == APP_REQ_PACKS)
        request_packs(app, s);
    else if (kind == APP_REQ_WALLET_HISTORY)
        request_history(app, s);
    else if (kind == APP_REQ_CHECKIN) {
        ((struct wallet_screen *)s->state)->checkin_req = 0;
        request_checkin(app, s);
    }
}

static bool busy(const struct app *app, const struct wallet_screen *w)
{
    return w->packs_req || w->history_req || w->checkin_req || app->wallet_req;
}

static int64_t wallet_tick(struct app *app, struct screen *s, int64_t now)
{
    return busy(app, s->state) ? app_animate(app, now) : -1;
}

static void wallet_render(struct app *app, struct screen *s, int64_t now)
{
    struct wallet_screen *w = s->state;
    const struct catalog_wallet *cw = app->wallet;
    char balance[128], bonus[256], vip[160], ads[160], claim[128], line[256], date[32];
    struct ui_wallet_view v = {.focus = w->focus, .now_ms = now, .busy = busy(app, w)};

    if (cw) {
        long long total = (long long)(cw->coins + cw->bonus_coins);
        snprintf(balance, sizeof(balance), P_("%lld coin", "%lld coins", total), total);
        if (cw->bonus_coins > 0 && cw->bonus_expiring > 0) {
            format_date(cw->bonus_expires_at, false, date, sizeof(date));
            snprintf(bonus, sizeof(bonus),
                     _("%1$lld coins + %2$lld bonus coins (%3$lld expire %4$s)"),
                     (long long)cw->coins, (long long)cw->bonus_coins,
                     (long long)cw->bonus_expiring, date);
        } else if (cw->bonus_coins > 0) {
            snprintf(bonus, sizeof(bonus), _("%1$lld coins + %2$lld bonus coins"),
                     (long long)cw->coins, (long long)cw->bonus_coins);
        } else {
            snprintf(bonus, sizeof(bonus), _("%lld coins, no bonus coins"), (long long)cw->coins);
        }
        v.bonus = bonus;
        if (cw->vip_active) {
            format_date(cw->vip_expires_at, false, date, sizeof(date));
            snprintf(vip, sizeof(vip), _("VIP until %s"), date);
        } else if (cw->vip_expires_at > 0) {
            format_date(cw->vip_expires_at, false, date, sizeof(date));
            snprintf(vip, sizeof(vip), _("VIP ended %s"), date);
        } else {
            snprintf(vip, sizeof(vip), "%s", _("No VIP plan"));
        }
        v.vip = vip;
        if (cw->ads_per_day >= 0)
            snprintf(ads, sizeof(ads), _("%1$d of %2$d ad unlocks left today"), cw->ads_left_today,
                     cw->ads_per_day);
        else
            snprintf(ads, sizeof(ads),
                     P_("%d ad unlock left today", "%d ad unlocks left today", cw->ads_left_today),
                     cw->ads_left_today);
        v.ads = ads;

        /* The strip: days 1-7 while the streak is young; past a week, the last six claimed
         * and the next. */
        int next_day = cw->checkin_streak + 1;
        int first = next_day <= UI_WALLET_DAYS ? 1 : next_day - (UI_WALLET_DAYS - 1);
        for (int i = 0; i < UI_WALLET_DAYS; i++) {
            int day = first + i;
            v.days[i] = (struct ui_wallet_day){
                .day = day,
                .reward = day == next_day && cw->checkin_next_reward >= 0 ? cw->checkin_next_reward
                                                                          : day_reward(day),
                .claimed = day <= cw->checkin_streak,
                .next = day == next_day,
            };
        }
        v.days_known = true;
        int next_reward =
            cw->checkin_next_reward >= 0 ? cw->checkin_next_reward : day_reward(next_day);
        if (cw->checkin_claimed_today) {
            snprintf(claim, sizeof(claim), "%s", _("Claimed today"));
            snprintf(line, sizeof(line), _("Day %1$d streak. Tomorrow: +%2$d bonus coins."),
                     cw->checkin_streak, next_reward);
        } else {
            snprintf(claim, sizeof(claim), _("Claim +%d bonus"), next_reward);
            snprintf(line, sizeof(line), "%s", _("Claim every day: the reward grows to 35 a day."));
        }
    } else {
        snprintf(balance, sizeof(balance), "%s", _("Checking your balance..."));
        snprintf(claim, sizeof(claim), "%s", _("Claim"));
        line[0] = '\0';
    }
    v.balance = balance;
    v.claim_label = claim;
    v.checkin_line = w->checkin_status[0] ? w->checkin_status : (line[0] ? line : NULL);
    v.checkin_is_error = w->checkin_status[0] && w->checkin_error;

    char labels[UI_WALLET_MAX_PACKS][128], details[UI_WALLET_MAX_PACKS][160];
    for (size_t i = 0; i < n_packs(w) && i < UI_WALLET_MAX_PACKS; i++) {
        const struct catalog_pack *p = &w->packs->packs[i];
        pack_label(p, labels[i], sizeof(labels[i]));
        if (p->bonus_coins > 0 && p->bonus_days > 0)
            snprintf(details[i], sizeof(details[i]),
                     P_("%1$s  -  bonus lasts %2$d day", "%1$s  -  bonus lasts %2$d days",
                        p->bonus_days),
                     p->price, p->bonus_days);
        else
            snprintf(details[i], sizeof(details[i]), "%s", p->price);
        v.packs[i] = (struct ui_wallet_pack){labels[i], details[i]};
        v.n_packs++;
    }
    v.pack_focus = w->pack_focus;
    v.packs_status = w->packs_status[0] ? w->packs_status : NULL;
    v.packs_status_is_error = w->packs_error;

    struct ui_wallet_row rows[UI_WALLET_MAX_ROWS];
    for (size_t i = 0; i < w->n_rows; i++)
        rows[i] = (struct ui_wallet_row){w->rows[i].when, w->rows[i].what, w->rows[i].delta,
                                         w->rows[i].credit};
    v.rows = rows;
    v.n_rows = w->n_rows;
    v.row_focus = w->row_focus;
    v.rows_status = w->history_status[0] ? w->history_status : NULL;
    ui_draw_wallet(app->ui, &v);
}

#define STR(x) (*v = (struct app_value){.type = APP_VALUE_STR, .s = (x)})
#define INT(x) (*v = (struct app_value){.type = APP_VALUE_INT, .i = (x)})

static bool wallet_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    (void)app;
    struct wallet_screen *w = s->state;
    if (strcmp(path, "wallet.packs") == 0) {
        INT((int64_t)n_packs(w));
    } else if (strcmp(path, "wallet.focus") == 0) {
        if (w->focus == UI_WALLET_FOCUS_CLAIM)
            STR("claim");
        else if (w->focus == UI_WALLET_FOCUS_HISTORY)
            STR("history");
        else
            STR(n_packs(w) ? w->packs->packs[w->pack_focus].id : NULL);
    } else if (strcmp(path, "wallet.history") == 0) {
        INT((int64_t)w->n_rows);
    } else if (strcmp(path, "wallet.checkin_status") == 0) {
        STR(w->checkin_status[0] ? w->checkin_status : NULL);
    } else if (strcmp(path, "wallet.checkin_result") == 0) {
        STR(w->checkin_result);
    } else {
        return false;
    }
    return true;
}

static const char *wallet_status(struct app *app, struct screen *s)
{
    (void)app;
    struct wallet_screen *w = s->state;
    if (w->checkin_status[0])
        return w->checkin_status;
    return w->packs_error ? w->packs_status : NULL;
}

const struct screen_ops screen_wallet = {
    .name = "wallet",
    .state_size = sizeof(struct wallet_screen),
    .enter = wallet_enter,
    .leave = wallet_leave,
    .resume = wallet_resume,
    .action = wallet_action,
    .response = wallet_response,
    .resend = wallet_resend,
    .tick = wallet_tick,
    .render = wallet_render,
    .state = wallet_state,
    .status = wallet_status,
};

/* ---- what the checkout tells the wallet ---- */

void wallet_paid(struct app *app, const char *text)
{
    struct screen *top = app_top(app);
    if (top && top->ops == &screen_wallet) {
        struct wallet_screen *w = top->state;
        if (w->chooser) {
            /* Chosen for an episode: back to its paywall, which shows the new balance. */
            app_pop(app);
            paywall_paid(app, text);
            return;
        }
        app_toast(app, "%s", text);
        session_refresh_wallet(app);
        request_history(app, top);
        return;
    }
    paywall_paid(app, text);
}
