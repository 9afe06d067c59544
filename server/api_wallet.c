/* The wallet side of the API: wallet, unlocks, daily check-in, packs and phone checkout
 * (including its pages), and progress reports. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_internal.h"
#include "binge/error.h"
#include "db.h"
#include "lang.h"
#include "slog.h"

/* Largest position or duration a progress item may carry, in milliseconds (one day). */
#define PROGRESS_MS_MAX (86400LL * 1000)

/* Largest client timestamp accepted, in Unix milliseconds (2^53, what a JSON number holds). */
#define PROGRESS_TIME_MAX 9007199254740992LL

static long long seconds_to_midnight(long long now)
{
    long long into = now % DB_DAY;
    if (into < 0)
        into += DB_DAY;
    return DB_DAY - into;
}

/* ---- wallet ------------------------------------------------------------------------------- */

static cJSON *wallet_doc(const struct api_call *c, const struct db_wallet *w)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *vip;
    cJSON *checkin;
    cJSON *account;
    cJSON *expiry;
    int ads_left = c->api->ads_per_day - w->ads_today;

    if (!cJSON_AddNumberToObject(root, "coins", (double)w->coins) ||
        !cJSON_AddNumberToObject(root, "bonus_coins", (double)w->bonus_coins))
        goto fail;
    if (w->bonus_next_expiry > 0) {
        expiry = cJSON_AddObjectToObject(root, "bonus_expiry");
        if (!expiry || !cJSON_AddNumberToObject(expiry, "amount", (double)w->bonus_next_amount) ||
            !cJSON_AddNumberToObject(expiry, "expires_at", (double)w->bonus_next_expiry))
            goto fail;
    } else if (!cJSON_AddNullToObject(root, "bonus_expiry")) {
        goto fail;
    }
    vip = cJSON_AddObjectToObject(root, "vip");
    if (!vip || !cJSON_AddBoolToObject(vip, "active", w->vip_active) ||
        !cJSON_AddItemToObject(vip, "expires_at",
                               w->vip_expires_at > 0 ? cJSON_CreateNumber((double)w->vip_expires_at)
                                                     : cJSON_CreateNull()) ||
        !cJSON_AddNumberToObject(root, "ads_left_today", ads_left > 0 ? ads_left : 0) ||
        !cJSON_AddNumberToObject(root, "ads_per_day", c->api->ads_per_day))
        goto fail;
    checkin = cJSON_AddObjectToObject(root, "checkin");
    if (!checkin || !cJSON_AddBoolToObject(checkin, "claimed_today", w->checked_in_today) ||
        !cJSON_AddNumberToObject(checkin, "streak", w->streak) ||
        !cJSON_AddNumberToObject(checkin, "next_reward", db_checkin_reward(w->streak + 1)) ||
        !cJSON_AddStringToObject(root, "owner", c->who.account_id > 0 ? "account" : "device"))
        goto fail;
    if (c->who.account_id > 0) {
        account = cJSON_AddObjectToObject(root, "account");
        if (!account || !cJSON_AddNumberToObject(account, "id", (double)c->who.account_id) ||
            !cJSON_AddStringToObject(account, "name", c->who.account_name))
            goto fail;
    } else if (!cJSON_AddNullToObject(root, "account")) {
        goto fail;
    }
    return root;

fail:
    cJSON_Delete(root);
    return NULL;
}

void api_handle_wallet(struct api_call *c)
{
    struct db_wallet w;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = db_wallet_get(c->api->db, c->who.owner, c->now, &w);
    if (rc < 0) {
        api_internal_error(c->resp, "wallet", rc);
        return;
    }
    c->resp->vary = API_VARY;
    api_respond_json(c->resp, 200, wallet_doc(c, &w));
    api_etag(c);
}

/* ---- history ------------------------------------------------------------------------------ */

#define HISTORY_LIMIT_DEFAULT 20

/* A JSON number, or null for 0 (a member that does not apply). */
static cJSON *number_or_null(long long v)
{
    return v != 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *history_item_doc(const struct api_call *c, const struct db_history_item *it)
{
    cJSON *doc = cJSON_CreateObject();

    if (!cJSON_AddNumberToObject(doc, "time", (double)it->time) ||
        !cJSON_AddStringToObject(doc, "kind", it->kind) ||
        !cJSON_AddItemToObject(doc, "method", string_or_null(it->method[0] ? it->method : NULL)) ||
        !cJSON_AddNumberToObject(doc, "coins", (double)it->coins) ||
        !cJSON_AddNumberToObject(doc, "bonus_coins", (double)it->bonus_coins) ||
        !cJSON_AddItemToObject(doc, "bonus_expires_at", number_or_null(it->bonus_expires_at)) ||
        !cJSON_AddItemToObject(doc, "episode_id", string_or_null(it->episode_id)) ||
        !cJSON_AddItemToObject(doc, "episode_index",
                               number_or_null(it->episode_id ? it->episode_index : 0)) ||
        !cJSON_AddItemToObject(doc, "series_id", string_or_null(it->series_id)) ||
        !cJSON_AddItemToObject(doc, "series_title", string_or_null(it->series_title)) ||
        !cJSON_AddItemToObject(doc, "pack",
                               it->pack ? api_pack_doc(it->pack, c->lang) : cJSON_CreateNull())) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* limit: 1 to 3 decimal digits, 1..DB_HISTORY_MAX. */
static bool parse_history_limit(const char *arg, size_t *limit)
{
    size_t v = 0;
    size_t len = arg ? strlen(arg) : 0;

    if (len == 0 || len > 3)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (arg[i] < '0' || arg[i] > '9')
            return false;
        v = v * 10 + (size_t)(arg[i] - '0');
    }
    if (v < 1 || v > DB_HISTORY_MAX)
        return false;
    *limit = v;
    return true;
}

void api_handle_wallet_history(struct api_call *c)
{
    const char *arg = api_query(c, "limit");
    struct db_history_item *items = NULL;
    size_t limit = HISTORY_LIMIT_DEFAULT;
    size_t n = 0;
    cJSON *root = NULL;
    cJSON *list;
    int rc;

    if (!api_require_auth(c))
        return;
    if (arg && !parse_history_limit(arg, &limit)) {
        api_error(c->resp, 400, "bad_request", "limit must be 1 to 100");
        return;
    }
    rc = db_wallet_history(c->api->db, c->who.owner, c->lang, limit, &items, &n);
    if (rc < 0) {
        api_internal_error(c->resp, "wallet history", rc);
        return;
    }
    root = cJSON_CreateObject();
    list = cJSON_AddArrayToObject(root, "items");
    for (size_t i = 0; list && i < n; i++) {
        cJSON *doc = history_item_doc(c, &items[i]);
        if (!doc || !cJSON_AddItemToArray(list, doc)) {
            cJSON_Delete(doc);
            list = NULL;
        }
    }
    db_history_free(items, n);
    if (!list) {
        cJSON_Delete(root);
        api_internal_error(c->resp, "history document", BINGE_ENOMEM);
        return;
    }
    c->resp->vary = API_VARY;
    c->resp->content_language = c->lang;
    api_respond_json(c->resp, 200, root);
    api_etag(c);
}

/* ---- unlock ------------------------------------------------------------------------------- */

static const char *const method_names[] = {
    [DB_UNLOCK_COINS] = "coins",
    [DB_UNLOCK_AD] = "ad",
    [DB_UNLOCK_VIP] = "vip",
};

static cJSON *unlock_ok_doc(const struct api_call *c, const struct db_unlock_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *charged;
    cJSON *wallet;
    int ads_left = c->api->ads_per_day - r->ads_today;
    bool free_ep = r->outcome == DB_UNLOCK_FREE;

    if (!cJSON_AddStringToObject(root, "episode_id", r->episode_id) ||
        !cJSON_AddStringToObject(root, "state", free_ep ? "free" : "unlocked") ||
        !cJSON_AddItemToObject(root, "method",
                               free_ep ? cJSON_CreateNull()
                                       : cJSON_CreateString(method_names[r->method])) ||
        !cJSON_AddNumberToObject(root, "price_coins", r->price_coins) ||
        !cJSON_AddBoolToObject(root, "already_unlocked", r->outcome != DB_UNLOCK_DONE))
        goto fail;
    charged = cJSON_AddObjectToObject(root, "charged");
    if (!charged || !cJSON_AddNumberToObject(charged, "coins", (double)r->spent_coins) ||
        !cJSON_AddNumberToObject(charged, "bonus_coins", (double)r->spent_bonus))
        goto fail;
    wallet = cJSON_AddObjectToObject(root, "wallet");
    if (!wallet || !cJSON_AddNumberToObject(wallet, "coins", (double)r->coins) ||
        !cJSON_AddNumberToObject(wallet, "bonus_coins", (double)r->bonus_coins) ||
        !cJSON_AddNumberToObject(wallet, "ads_left_today", ads_left > 0 ? ads_left : 0))
        goto fail;
    return root;

fail:
    cJSON_Delete(root);
    return NULL;
}

/* Called by db_unlock inside its transaction. */
static int unlock_render(const struct db_unlock_result *r, void *ctx, int *status, char **body)
{
    struct api_call *c = ctx;
    char message[96];
    cJSON *doc = NULL;
    cJSON *vip;

    switch (r->outcome) {
    case DB_UNLOCK_DONE:
    case DB_UNLOCK_ALREADY:
    case DB_UNLOCK_FREE:
        *status = 200;
        doc = unlock_ok_doc(c, r);
        break;
    case DB_UNLOCK_SHORT:
        *status = 402;
        snprintf(message, sizeof(message), "Episode %d costs %d coins; the balance is %lld",
                 r->episode_index, r->price_coins, r->coins + r->bonus_coins);
        doc = api_error_doc("insufficient_coins", message);
        if (doc && (!cJSON_AddNumberToObject(doc, "price_coins", r->price_coins) ||
                    !cJSON_AddNumberToObject(doc, "balance", (double)(r->coins + r->bonus_coins)) ||
                    !cJSON_AddNumberToObject(doc, "coins", (double)r->coins) ||
                    !cJSON_AddNumberToObject(doc, "bonus_coins", (double)r->bonus_coins))) {
            cJSON_Delete(doc);
            doc = NULL;
        }
        break;
    case DB_UNLOCK_AD_LIMIT:
        *status = 429;
        c->resp->retry_after = (int)seconds_to_midnight(c->now);
        snprintf(message, sizeof(message), "all %d ad unlocks of today are used",
                 c->api->ads_per_day);
        doc = api_error_doc("ad_limit_reached", message);
        if (doc && (!cJSON_AddNumberToObject(doc, "ads_per_day", c->api->ads_per_day) ||
                    !cJSON_AddNumberToObject(doc, "retry_after", c->resp->retry_after))) {
            cJSON_Delete(doc);
            doc = NULL;
        }
        break;
    case DB_UNLOCK_VIP_INACTIVE:
        *status = 402;
        doc = api_error_doc("vip_required", "VIP is not active; buy a VIP pack to unlock with it");
        vip = doc ? cJSON_AddObjectToObject(doc, "vip") : NULL;
        if (!vip || !cJSON_AddBoolToObject(vip, "active", false) ||
            !cJSON_AddItemToObject(vip, "expires_at",
                                   r->vip_expires_at > 0
                                       ? cJSON_CreateNumber((double)r->vip_expires_at)
                                       : cJSON_CreateNull())) {
            cJSON_Delete(doc);
            doc = NULL;
        }
        break;
    }
    *body = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    return *body ? 0 : BINGE_ENOMEM;
}

void api_handle_unlock(struct api_call *c)
{
    struct db_unlock_request rq;
    char fingerprint[16 + 160];
    const char *method;
    const char *key;
    cJSON *body;
    char *out = NULL;
    bool replayed = false;
    bool bad = false;
    int status = 0;
    int rc;

    if (!api_require_auth(c))
        return;
    if (!api_is_id(c->param)) {
        api_error(c->resp, 404, "not_found", "no such episode");
        return;
    }
    body = api_body_object(c);
    if (!body)
        return;
    memset(&rq, 0, sizeof(rq));
    method = api_json_string(body, "method", &bad);
    key = api_json_string(body, "idempotency_key", &bad);
    if (bad || !method ||
        (strcmp(method, "coins") != 0 && strcmp(method, "ad") != 0 && strcmp(method, "vip") != 0)) {
        api_error(c->resp, 400, "bad_request", "method must be \"coins\", \"ad\" or \"vip\"");
        goto out;
    }
    if (!api_is_key(key, DB_IDEM_KEY_MAX)) {
        api_error(c->resp, 400, "bad_request",
                  "idempotency_key must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        goto out;
    }
    rq.method = strcmp(method, "ad") == 0    ? DB_UNLOCK_AD
                : strcmp(method, "vip") == 0 ? DB_UNLOCK_VIP
                                             : DB_UNLOCK_COINS;
    /* What the key stands for: this method on this episode. Member order and spacing of the
     * body do not matter. */
    snprintf(fingerprint, sizeof(fingerprint), "%s\n%s", method, c->param);
    rq.who = &c->who;
    rq.episode_id = c->param;
    rq.key = key;
    rq.fingerprint = fingerprint;
    rq.now = c->now;
    rq.ads_per_day = c->api->ads_per_day;
    rc = db_unlock(c->api->db, &rq, unlock_render, c, &status, &out, &replayed);
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 404, "not_found", "no such episode");
        goto out;
    }
    if (rc == BINGE_ESTATE) {
        api_error(c->resp, 409, "idempotency_conflict",
                  "this idempotency_key was used for a different request");
        goto out;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "unlock", rc);
        goto out;
    }
    if (replayed)
        slog_msg(SLOG_DEBUG, "api", "unlock of %s replayed from its idempotency key", c->param);
    free(c->resp->body);
    c->resp->status = status;
    c->resp->content_type = API_JSON;
    c->resp->cache_control = "no-store";
    c->resp->body = out;
    c->resp->body_len = strlen(out);
    out = NULL;
out:
    free(out);
    cJSON_Delete(body);
}

/* ---- check-in ----------------------------------------------------------------------------- */

void api_handle_checkin(struct api_call *c)
{
    struct db_checkin_result r;
    cJSON *doc;
    cJSON *wallet;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = db_checkin(c->api->db, &c->who, c->now, &r);
    if (rc < 0) {
        api_internal_error(c->resp, "check-in", rc);
        return;
    }
    if (r.already) {
        doc = api_error_doc("already_claimed", "today's check-in is already claimed");
        if (doc &&
            (!cJSON_AddNumberToObject(doc, "streak", r.streak) ||
             !cJSON_AddNumberToObject(doc, "next_reward", db_checkin_reward(r.streak + 1)))) {
            cJSON_Delete(doc);
            doc = NULL;
        }
        c->resp->retry_after = (int)seconds_to_midnight(c->now);
        api_respond_json(c->resp, 409, doc);
        return;
    }
    doc = cJSON_CreateObject();
    if (!cJSON_AddNumberToObject(doc, "reward_bonus_coins", r.reward) ||
        !cJSON_AddNumberToObject(doc, "streak", r.streak) ||
        !cJSON_AddNumberToObject(doc, "expires_at", (double)r.expires_at) ||
        !cJSON_AddNumberToObject(doc, "next_reward", db_checkin_reward(r.streak + 1)) ||
        !(wallet = cJSON_AddObjectToObject(doc, "wallet")) ||
        !cJSON_AddNumberToObject(wallet, "coins", (double)r.coins) ||
        !cJSON_AddNumberToObject(wallet, "bonus_coins", (double)r.bonus_coins)) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    api_respond_json(c->resp, 200, doc);
}

/* ---- packs and checkout ------------------------------------------------------------------- */

void api_price_text(const struct db_pack *pack, char *out, size_t cap)
{
    if (strcmp(pack->currency, "USD") == 0)
        snprintf(out, cap, "$%d.%02d", pack->price_cents / 100, pack->price_cents % 100);
    else
        snprintf(out, cap, "%d.%02d %s", pack->price_cents / 100, pack->price_cents % 100,
                 pack->currency);
}

static void pack_title(const struct db_pack *pack, const char *lang, char *out, size_t cap)
{
    if (pack->vip_days > 0)
        lang_format_count(lang, LANG_TEXT_VIP_DAYS, pack->vip_days, out, cap);
    else
        lang_format_count(lang, LANG_TEXT_COINS, pack->coins, out, cap);
}

cJSON *api_pack_doc(const struct db_pack *pack, const char *lang)
{
    cJSON *root = cJSON_CreateObject();
    char title[96];
    char price[32];

    pack_title(pack, lang, title, sizeof(title));
    api_price_text(pack, price, sizeof(price));
    if (!cJSON_AddStringToObject(root, "id", pack->id) ||
        !cJSON_AddStringToObject(root, "title", title) ||
        !cJSON_AddNumberToObject(root, "coins", pack->coins) ||
        !cJSON_AddNumberToObject(root, "bonus_coins", pack->bonus_coins) ||
        !cJSON_AddNumberToObject(root, "bonus_days", pack->bonus_days) ||
        !cJSON_AddNumberToObject(root, "vip_days", pack->vip_days) ||
        !cJSON_AddNumberToObject(root, "price_cents", pack->price_cents) ||
        !cJSON_AddStringToObject(root, "currency", pack->currency) ||
        !cJSON_AddStringToObject(root, "price", price)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void api_handle_packs(struct api_call *c)
{
    size_t n = 0;
    const struct db_pack *packs = db_packs(&n);
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "packs");
    bool have;

    if (!api_optional_auth(c, &have)) {
        cJSON_Delete(root);
        return;
    }
    for (size_t i = 0; list && i < n; i++) {
        cJSON *doc = api_pack_doc(&packs[i], c->lang);
        if (!doc || !cJSON_AddItemToArray(list, doc)) {
            cJSON_Delete(doc);
            list = NULL;
        }
    }
    if (!list) {
        cJSON_Delete(root);
        root = NULL;
    }
    c->resp->content_language = c->lang;
    c->resp->vary = "Accept-Language";
    api_respond_json(c->resp, 200, root);
}

static const char *purchase_status_name(enum db_purchase_status s)
{
    return s == DB_PURCHASE_COMPLETED ? "completed"
           : s == DB_PURCHASE_EXPIRED ? "expired"
                                      : "pending";
}

static cJSON *purchase_doc(const struct api_call *c, const struct db_purchase *p)
{
    char base[API_URL_MAX];
    char url[API_URL_MAX + 48];
    cJSON *root = cJSON_CreateObject();

    api_base_url(c->api, c->req, base, sizeof(base));
    snprintf(url, sizeof(url), "%s/checkout/%s", base, p->id);
    if (!cJSON_AddStringToObject(root, "id", p->id) ||
        !cJSON_AddStringToObject(root, "qr_url", url) ||
        !cJSON_AddStringToObject(root, "status", purchase_status_name(p->status)) ||
        !cJSON_AddNumberToObject(root, "expires_at", (double)p->expires_at) ||
        !cJSON_AddItemToObject(root, "completed_at",
                               p->completed_at > 0 ? cJSON_CreateNumber((double)p->completed_at)
                                                   : cJSON_CreateNull()) ||
        !cJSON_AddItemToObject(root, "pack", api_pack_doc(p->pack, c->lang))) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void api_handle_purchase_new(struct api_call *c)
{
    const struct db_pack *pack;
    struct db_purchase p;
    const char *pack_id;
    cJSON *body;
    bool bad = false;
    int rc;

    if (!api_require_auth(c))
        return;
    body = api_body_object(c);
    if (!body)
        return;
    pack_id = api_json_string(body, "pack_id", &bad);
    if (bad || !pack_id) {
        api_error(c->resp, 400, "bad_request", "pack_id must be a string");
        goto out;
    }
    pack = db_pack_find(pack_id);
    if (!pack) {
        api_error(c->resp, 400, "unknown_pack", "no such pack; see GET /v1/packs");
        goto out;
    }
    rc = db_purchase_new(c->api->db, &c->who, pack, c->now, &p);
    if (rc < 0) {
        api_internal_error(c->resp, "purchase session", rc);
        goto out;
    }
    api_respond_json(c->resp, 200, purchase_doc(c, &p));
out:
    cJSON_Delete(body);
}

void api_handle_purchase_get(struct api_call *c)
{
    struct db_purchase p;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = api_is_hex(c->param, DB_PURCHASE_ID_LEN)
             ? db_purchase_get(c->api->db, c->param, c->now, &p)
             : BINGE_ENOTFOUND;
    /* Another wallet's session is as good as absent. */
    if (rc == 0 && strcmp(p.device_id, c->who.device_id) != 0 && strcmp(p.owner, c->who.owner) != 0)
        rc = BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 404, "not_found", "no such purchase session");
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "purchase session", rc);
        return;
    }
    api_respond_json(c->resp, 200, purchase_doc(c, &p));
}

static void checkout_page(struct api_call *c, int status, const struct db_purchase *p,
                          const char *notice)
{
    char title[96];
    char price[32];
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);

    if (!f) {
        api_internal_error(c->resp, "checkout page", BINGE_ENOMEM);
        return;
    }
    pack_title(p->pack, c->lang, title, sizeof(title));
    api_price_text(p->pack, price, sizeof(price));
    if (notice) {
        fputs("<p><strong>", f);
        api_html_escape(f, notice);
        fputs("</strong></p>\n", f);
    }
    fputs("<p>", f);
    api_html_escape(f, title);
    fputs(" &mdash; ", f);
    api_html_escape(f, price);
    fputs("</p>\n", f);
    if (p->status == DB_PURCHASE_PENDING) {
        /* The id is hex (checked), so it needs no escaping in the action URL. */
        fprintf(f,
                "<form method=\"post\" action=\"/checkout/%s/pay\">"
                "<button>Pay %s</button></form>\n"
                "<p>This is the demo store: no money changes hands.</p>",
                p->id, price);
    } else if (p->status == DB_PURCHASE_COMPLETED) {
        fputs("<p>Paid. The TV shows the new balance in a moment.</p>", f);
    } else {
        fputs("<p>This checkout has expired. Start a new one on the TV.</p>", f);
    }
    if (fclose(f) != 0 || !html) {
        free(html);
        api_internal_error(c->resp, "checkout page", BINGE_ENOMEM);
        return;
    }
    api_html_page(c->resp, status, "binge checkout", html);
    free(html);
}

void api_handle_checkout_page(struct api_call *c)
{
    struct db_purchase p;
    int rc = api_is_hex(c->param, DB_PURCHASE_ID_LEN)
                 ? db_purchase_get(c->api->db, c->param, c->now, &p)
                 : BINGE_ENOTFOUND;

    if (rc == BINGE_ENOTFOUND) {
        api_html_page(c->resp, 404, "binge checkout", "<p>There is no such checkout.</p>");
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "checkout page", rc);
        return;
    }
    checkout_page(c, p.status == DB_PURCHASE_EXPIRED ? 410 : 200, &p, NULL);
}

void api_handle_checkout_pay(struct api_call *c)
{
    struct db_purchase p;
    bool already = false;
    int rc = api_is_hex(c->param, DB_PURCHASE_ID_LEN)
                 ? db_purchase_complete(c->api->db, c->param, c->now, &already, &p)
                 : BINGE_ENOTFOUND;

    if (rc == BINGE_ENOTFOUND) {
        api_html_page(c->resp, 404, "binge checkout", "<p>There is no such checkout.</p>");
        return;
    }
    if (rc == BINGE_ETIMEDOUT) {
        api_html_page(c->resp, 410, "binge checkout",
                      "<p>This checkout has expired. Start a new one on the TV.</p>");
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "checkout", rc);
        return;
    }
    checkout_page(c, 200, &p, already ? "This checkout was already paid." : "Payment complete.");
}

/* ---- progress ----------------------------------------------------------------------------- */

/* An integral JSON number in [min, max]. */
static bool json_int(const cJSON *obj, const char *key, long long min, long long max,
                     long long *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < (double)min ||
        item->valuedouble > (double)max || item->valuedouble != floor(item->valuedouble))
        return false;
    *out = (long long)item->valuedouble;
    return true;
}

static const char *progress_status_name(enum db_progress_status s)
{
    switch (s) {
    case DB_PROGRESS_APPLIED:
        return "applied";
    case DB_PROGRESS_STALE:
        return "stale";
    case DB_PROGRESS_DUPLICATE:
        return "duplicate";
    case DB_PROGRESS_UNKNOWN:
        return "unknown_episode";
    }
    return "unknown_episode";
}

/* Fills one item from the JSON; on failure writes what is wrong into why. */
static bool parse_progress_item(const cJSON *j, struct db_progress_item *it, char *why, size_t cap)
{
    bool bad = false;

    if (!cJSON_IsObject(j)) {
        snprintf(why, cap, "is not an object");
        return false;
    }
    it->episode_id = api_json_string(j, "episode_id", &bad);
    if (bad || !api_is_id(it->episode_id)) {
        snprintf(why, cap, "episode_id must be an episode id");
        return false;
    }
    it->event_id = api_json_string(j, "event_id", &bad);
    if (bad || !api_is_key(it->event_id, DB_EVENT_ID_MAX)) {
        snprintf(why, cap, "event_id must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return false;
    }
    if (!json_int(j, "position_ms", 0, PROGRESS_MS_MAX, &it->position_ms)) {
        snprintf(why, cap, "position_ms must be an integer 0..86400000");
        return false;
    }
    if (!json_int(j, "duration_ms", 0, PROGRESS_MS_MAX, &it->duration_ms)) {
        snprintf(why, cap, "duration_ms must be an integer 0..86400000");
        return false;
    }
    if (!json_int(j, "updated_at", 0, PROGRESS_TIME_MAX, &it->updated_at)) {
        snprintf(why, cap, "updated_at must be Unix milliseconds");
        return false;
    }
    return true;
}

void api_handle_progress(struct api_call *c)
{
    struct db_progress_item items[DB_PROGRESS_BATCH_MAX];
    const cJSON *list;
    const cJSON *j;
    cJSON *body;
    cJSON *root = NULL;
    cJSON *results;
    size_t n = 0;
    int applied = 0;
    int rc;

    if (!api_require_auth(c))
        return;
    body = api_body_object(c);
    if (!body)
        return;
    list = cJSON_GetObjectItemCaseSensitive(body, "items");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > DB_PROGRESS_BATCH_MAX) {
        api_error(c->resp, 400, "bad_request", "items must be an array of at most 100 items");
        goto out;
    }
    memset(items, 0, sizeof(items));
    cJSON_ArrayForEach(j, list)
    {
        char why[96];
        char message[160];
        if (!parse_progress_item(j, &items[n], why, sizeof(why))) {
            snprintf(message, sizeof(message), "items[%zu]: %s", n, why);
            api_error(c->resp, 400, "bad_request", message);
            goto out;
        }
        n++;
    }
    rc = db_progress_apply(c->api->db, &c->who, items, n, c->now);
    if (rc < 0) {
        api_internal_error(c->resp, "progress", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    results = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; results && i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r || !cJSON_AddItemToArray(results, r) ||
            !cJSON_AddStringToObject(r, "event_id", items[i].event_id) ||
            !cJSON_AddStringToObject(r, "status", progress_status_name(items[i].status)))
            results = NULL;
        applied += items[i].status == DB_PROGRESS_APPLIED;
    }
    if (!results || !cJSON_AddNumberToObject(root, "applied", applied)) {
        cJSON_Delete(root);
        root = NULL;
    }
    api_respond_json(c->resp, 200, root);
out:
    cJSON_Delete(body);
}
