/* binge-server v1, the wallet: the ledger (coins, bonus coins spent first and expiring),
 * unlocks with idempotency keys (and under concurrency), the daily ad limit, VIP, the daily
 * check-in streak, phone checkout and progress with the "continue watching" shelf. A real
 * server on loopback with --dev, so X-Dev-Now moves its clock. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "test_server_common.h"

#define DAY 86400LL

struct suite {
    char tmpdir[512];
    struct ts_server srv;
};

static struct ts_server *srv_of(void **state)
{
    return &((struct suite *)*state)->srv;
}

static int suite_setup(void **state)
{
    static const char *const extra[] = {"--dev", "--rate-limit", "0", "--ads-per-day", "3", NULL};
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    return ts_server_start(&st->srv, st->tmpdir, "wallet.db", extra);
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;
    int rc = 0;

    if (!st)
        return 0;
    if (st->srv.pid > 0 && ts_server_stop(&st->srv) != 0)
        rc = -1;
    ts_suite_cleanup(st->tmpdir);
    free(st);
    return rc;
}

static cJSON *wallet_at(const struct ts_server *s, const char *token, long long now)
{
    struct ts_request rq = {
        .method = "GET", .url = ts_fmt("%s/v1/wallet", s->base), .token = token};

    if (now > 0)
        rq.headers[0] = ts_dev_now(now);
    return ts_json(&rq, 200);
}

static cJSON *unlock(const struct ts_server *s, const char *token, const char *episode,
                     const char *method, const char *key, long long now, long want)
{
    struct ts_request rq = {
        .method = "POST",
        .url = ts_fmt("%s/v1/episodes/%s/unlock", s->base, episode),
        .token = token,
        .body = ts_fmt("{\"method\":\"%s\",\"idempotency_key\":\"%s\"}", method, key)};

    if (now > 0)
        rq.headers[0] = ts_dev_now(now);
    return ts_json(&rq, want);
}

static cJSON *checkin(const struct ts_server *s, const char *token, long long now, long want)
{
    return ts_json(&(struct ts_request){.method = "POST",
                                        .url = ts_fmt("%s/v1/checkin", s->base),
                                        .token = token,
                                        .body = NULL,
                                        .headers = {ts_dev_now(now)}},
                   want);
}

static const char *episode_state(const struct ts_server *s, const char *token, const char *series,
                                 int index, long long now)
{
    static char state[16];
    struct ts_request rq = {
        .method = "GET", .url = ts_fmt("%s/v1/series/%s", s->base, series), .token = token};
    cJSON *doc;

    if (now > 0)
        rq.headers[0] = ts_dev_now(now);
    doc = ts_json(&rq, 200);
    snprintf(
        state, sizeof(state), "%s",
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "episodes"), index - 1),
               "state"));
    assert_int_equal((int)ts_num(cJSON_GetArrayItem(
                                     cJSON_GetObjectItemCaseSensitive(doc, "episodes"), index - 1),
                                 "price_coins"),
                     index > 2 ? 30 : 0);
    cJSON_Delete(doc);
    return state;
}

/* ---- wallet --------------------------------------------------------------------------------- */

static void test_wallet_shape(void **state)
{
    struct ts_server *s = srv_of(state);
    char token[65];
    cJSON *w;
    const cJSON *vip;
    const cJSON *ci;

    ts_register(s, "w-shape", token);
    w = wallet_at(s, token, 0);
    assert_int_equal((int)ts_num(w, "coins"), 20);
    assert_int_equal((int)ts_num(w, "bonus_coins"), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(w, "bonus_expiry")));
    vip = ts_obj(w, "vip");
    assert_false(ts_bool(vip, "active"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(vip, "expires_at")));
    assert_int_equal((int)ts_num(w, "ads_left_today"), 3);
    assert_int_equal((int)ts_num(w, "ads_per_day"), 3);
    ci = ts_obj(w, "checkin");
    assert_false(ts_bool(ci, "claimed_today"));
    assert_int_equal((int)ts_num(ci, "streak"), 0);
    assert_int_equal((int)ts_num(ci, "next_reward"), 5);
    assert_string_equal(ts_str(w, "owner"), "device");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(w, "account")));
    cJSON_Delete(w);

    /* The wallet is the caller's: no token, no wallet. */
    ts_assert_error(
        w = ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/wallet", s->base)},
                    401),
        "unauthorized");
    cJSON_Delete(w);
    /* The balance is the ledger's sum, not a counter. */
    assert_int_equal(ts_sql_int(s, "SELECT SUM(amount) FROM ledger WHERE owner = 'device:w-shape'"),
                     20);
}

static void test_bonus_spent_first_fifo(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = ts_today() + 3600;
    char token[65];
    cJSON *doc;
    const cJSON *charged;
    const cJSON *expiry;

    ts_register(s, "w-fifo", token);
    /* Two check-in lots (5 expiring t0+7d, 10 expiring t0+8d) and a pack (300 coins, 30 bonus
     * expiring 30 days after the purchase). */
    cJSON_Delete(checkin(s, token, t0, 200));
    cJSON_Delete(checkin(s, token, t0 + DAY, 200));
    ts_buy(s, token, "coins-300");
    doc = wallet_at(s, token, t0 + DAY);
    assert_int_equal((int)ts_num(doc, "coins"), 320);
    assert_int_equal((int)ts_num(doc, "bonus_coins"), 45);
    expiry = ts_obj(doc, "bonus_expiry");
    assert_int_equal((int)ts_num(expiry, "amount"), 5);
    assert_int_equal((long long)ts_num(expiry, "expires_at"), t0 + 7 * DAY);
    cJSON_Delete(doc);

    /* 30 coins: the two check-in lots (soonest expiry first), then 15 of the pack's bonus; no
     * coins at all. */
    doc = unlock(s, token, "midnight-heir-3", "coins", "fifo-1", t0 + DAY, 200);
    charged = ts_obj(doc, "charged");
    assert_int_equal((int)ts_num(charged, "bonus_coins"), 30);
    assert_int_equal((int)ts_num(charged, "coins"), 0);
    assert_int_equal((int)ts_num(ts_obj(doc, "wallet"), "coins"), 320);
    assert_int_equal((int)ts_num(ts_obj(doc, "wallet"), "bonus_coins"), 15);
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-fifo'"
                                   " AND reason = 'unlock' AND kind = 'bonus'"),
                     3);
    /* Each debit points at its lot: the check-in lots are empty now. */
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger l WHERE l.owner = 'device:w-fifo'"
                                   " AND l.reason = 'checkin' AND l.amount + (SELECT"
                                   " COALESCE(SUM(d.amount), 0) FROM ledger d WHERE d.lot_id ="
                                   " l.id) = 0"),
                     2);
    doc = wallet_at(s, token, t0 + DAY);
    expiry = ts_obj(doc, "bonus_expiry");
    assert_int_equal((int)ts_num(expiry, "amount"), 15);
    cJSON_Delete(doc);

    /* The next unlock takes the last 15 bonus coins, then 15 coins. */
    doc = unlock(s, token, "midnight-heir-4", "coins", "fifo-2", t0 + DAY, 200);
    charged = ts_obj(doc, "charged");
    assert_int_equal((int)ts_num(charged, "bonus_coins"), 15);
    assert_int_equal((int)ts_num(charged, "coins"), 15);
    cJSON_Delete(doc);
    doc = wallet_at(s, token, t0 + DAY);
    assert_int_equal((int)ts_num(doc, "coins"), 305);
    assert_int_equal((int)ts_num(doc, "bonus_coins"), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "bonus_expiry")));
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT SUM(amount) FROM ledger WHERE owner = 'device:w-fifo'"
                                   " AND kind = 'coins'"),
                     305);
}

static void test_bonus_expires(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = ts_today() + 7200;
    long long rows;
    char token[65];
    cJSON *doc;

    ts_register(s, "w-expiry", token);
    doc = checkin(s, token, t0, 200);
    assert_int_equal((long long)ts_num(doc, "expires_at"), t0 + 7 * DAY);
    cJSON_Delete(doc);
    doc = wallet_at(s, token, t0 + 7 * DAY - 1);
    assert_int_equal((int)ts_num(doc, "bonus_coins"), 5);
    cJSON_Delete(doc);
    rows = ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-expiry'");
    doc = wallet_at(s, token, t0 + 7 * DAY);
    assert_int_equal((int)ts_num(doc, "bonus_coins"), 0);
    assert_int_equal((int)ts_num(doc, "coins"), 20);
    cJSON_Delete(doc);
    /* Expiry writes nothing: the lot is still in the ledger, it just no longer counts. */
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-expiry'"),
                     rows);
    /* 20 coins + 5 expired bonus do not buy a 30-coin episode; the day before they nearly did. */
    doc = unlock(s, token, "revenge-ceo-3", "coins", "exp-1", t0 + 7 * DAY, 402);
    ts_assert_error(doc, "insufficient_coins");
    assert_int_equal((int)ts_num(doc, "price_coins"), 30);
    assert_int_equal((int)ts_num(doc, "balance"), 20);
    cJSON_Delete(doc);
    doc = unlock(s, token, "revenge-ceo-3", "coins", "exp-2", t0 + 6 * DAY, 402);
    assert_int_equal((int)ts_num(doc, "balance"), 25);
    cJSON_Delete(doc);
}

/* ---- unlocks ----------------------------------------------------------------------------------
 */

static void test_unlock_idempotency(void **state)
{
    struct ts_server *s = srv_of(state);
    const char *url;
    char token[65];
    char first[1024];
    struct ts_response r;
    cJSON *doc;

    ts_register(s, "w-idem", token);
    ts_buy(s, token, "coins-60"); /* 80 coins */
    url = ts_fmt("%s/v1/episodes/palace-secrets-3/unlock", s->base);
    ts_http(&(struct ts_request){.method = "POST",
                                 .url = url,
                                 .token = token,
                                 .body = "{\"method\":\"coins\",\"idempotency_key\":\"idem-1\"}"},
            &r);
    assert_int_equal(r.status, 200);
    snprintf(first, sizeof(first), "%s", r.body);
    ts_response_free(&r);
    doc = cJSON_Parse(first);
    assert_string_equal(ts_str(doc, "state"), "unlocked");
    assert_string_equal(ts_str(doc, "method"), "coins");
    assert_false(ts_bool(doc, "already_unlocked"));
    assert_int_equal((int)ts_num(ts_obj(doc, "charged"), "coins"), 30);
    cJSON_Delete(doc);

    /* The same key and the same request (members reordered, spaced): the same answer, byte for
     * byte, and no second charge. */
    for (int i = 0; i < 3; i++) {
        ts_http(
            &(struct ts_request){.method = "POST",
                                 .url = url,
                                 .token = token,
                                 .body =
                                     "{ \"idempotency_key\": \"idem-1\", \"method\": \"coins\" }"},
            &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, first);
        ts_response_free(&r);
    }
    doc = wallet_at(s, token, 0);
    assert_int_equal((int)ts_num(doc, "coins"), 50);
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-idem'"
                                   " AND reason = 'unlock'"),
                     1);

    /* The same key for something else is a conflict, and changes nothing. */
    doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = url,
                                     .token = token,
                                     .body = "{\"method\":\"ad\",\"idempotency_key\":\"idem-1\"}"},
                409);
    ts_assert_error(doc, "idempotency_conflict");
    cJSON_Delete(doc);
    doc = unlock(s, token, "palace-secrets-4", "coins", "idem-1", 0, 409);
    ts_assert_error(doc, "idempotency_conflict");
    cJSON_Delete(doc);
    /* A new key for an episode already unlocked: 200, nothing charged. */
    doc = unlock(s, token, "palace-secrets-3", "coins", "idem-2", 0, 200);
    assert_true(ts_bool(doc, "already_unlocked"));
    assert_int_equal((int)ts_num(ts_obj(doc, "charged"), "coins"), 0);
    assert_int_equal((int)ts_num(ts_obj(doc, "wallet"), "coins"), 50);
    cJSON_Delete(doc);
    /* A free episode needs no unlock. */
    doc = unlock(s, token, "palace-secrets-1", "coins", "idem-3", 0, 200);
    assert_string_equal(ts_str(doc, "state"), "free");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "method")));
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT SUM(amount) FROM ledger WHERE owner = 'device:w-idem'"),
                     50);

    /* The series and play now see it unlocked, at its list price. */
    assert_string_equal(episode_state(s, token, "palace-secrets", 3, 0), "unlocked");
    assert_string_equal(episode_state(s, token, "palace-secrets", 4, 0), "locked");
    doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/palace-secrets-3/play", s->base),
                                     .token = token},
                200);
    assert_non_null(strstr(ts_str(doc, "play_url"), "/media/palace-secrets/03/master.m3u8?"));
    cJSON_Delete(doc);
}

static void test_unlock_rejects(void **state)
{
    static const struct {
        const char *body;
        long status;
        const char *code;
    } rows[] = {
        {"{\"method\":\"coins\"}", 400, "bad_request"},
        {"{\"method\":\"gems\",\"idempotency_key\":\"r-1\"}", 400, "bad_request"},
        {"{\"method\":1,\"idempotency_key\":\"r-1\"}", 400, "bad_request"},
        {"{\"method\":\"coins\",\"idempotency_key\":\"has space\"}", 400, "bad_request"},
        {"{\"method\":\"coins\",\"idempotency_key\":\"\"}", 400, "bad_request"},
        {"{\"method\":\"coins\",\"idempotency_key\":7}", 400, "bad_request"},
        {"[\"coins\"]", 400, "bad_request"},
        {"{\"method\":\"coins\",", 400, "bad_request"},
        {"{\"method\":\"vip\",\"idempotency_key\":\"r-vip\"}", 402, "vip_required"},
    };
    struct ts_server *s = srv_of(state);
    char token[65];
    cJSON *doc;

    ts_register(s, "w-reject", token);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        doc = ts_json(
            &(struct ts_request){.method = "POST",
                                 .url = ts_fmt("%s/v1/episodes/revenge-ceo-4/unlock", s->base),
                                 .token = token,
                                 .body = rows[i].body},
            rows[i].status);
        ts_assert_error(doc, rows[i].code);
        cJSON_Delete(doc);
    }
    doc = unlock(s, token, "revenge-ceo-99", "coins", "r-2", 0, 404);
    ts_assert_error(doc, "not_found");
    cJSON_Delete(doc);
    doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/revenge-ceo-4/unlock", s->base),
                                     .token = NULL,
                                     .body = "{\"method\":\"coins\",\"idempotency_key\":\"r-3\"}"},
                401);
    cJSON_Delete(doc);
    /* Nothing of that touched the ledger. */
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-reject'"),
                     1);
}

/* 20 unlocks at once, each of its own episode with its own key, on a balance that covers 3.
 * With two_servers, every other request goes to a second binge-server process on the same
 * database file, so only SQLite's write lock (BEGIN IMMEDIATE) keeps the two apart. */
static void race(void **state, const char *device, bool two_servers)
{
    struct suite *st = *state;
    struct ts_server *s = &st->srv;
    static const char *const series[] = {"midnight-heir", "revenge-ceo", "palace-secrets"};
    static const char *const extra[] = {"--dev", "--rate-limit", "0", NULL};
    struct ts_server second;
    struct ts_request rqs[20];
    struct ts_response rs[20];
    long long now = (long long)time(NULL);
    const char *owner = ts_fmt("device:%s", device);
    char owner_copy[96];
    char token[65];
    int ok = 0;
    int short_ = 0;
    cJSON *doc;

    snprintf(owner_copy, sizeof(owner_copy), "%s", owner);
    if (two_servers)
        assert_int_equal(ts_server_start(&second, st->tmpdir, "wallet.db", extra), 0);
    ts_register(s, device, token);
    ts_buy(s, token, "coins-60");
    cJSON_Delete(checkin(s, token, now, 200));
    cJSON_Delete(checkin(s, token, now + DAY, 200));
    doc = wallet_at(s, token, 0);
    /* 80 coins + 15 bonus = 95: three 30-coin episodes, not four. */
    assert_int_equal((int)ts_num(doc, "coins") + (int)ts_num(doc, "bonus_coins"), 95);
    cJSON_Delete(doc);
    for (int i = 0; i < 20; i++) {
        const char *base = two_servers && i % 2 ? second.base : s->base;
        rqs[i] = (struct ts_request){
            .method = "POST",
            .url = ts_fmt("%s/v1/episodes/%s-%d/unlock", base, series[i % 3], 3 + i / 3),
            .token = token,
            .body = ts_fmt("{\"method\":\"coins\",\"idempotency_key\":\"race-%d\"}", i)};
        /* ts_fmt's ring holds 16 buffers: keep each request's strings. */
        rqs[i].url = strdup(rqs[i].url);
        rqs[i].body = strdup(rqs[i].body);
    }
    ts_http_parallel(rqs, rs, 20);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(rs[i].curl_rc, CURLE_OK);
        if (rs[i].status == 200)
            ok++;
        else if (rs[i].status == 402)
            short_++;
        else
            fail_msg("unlock %d: status %ld: %s", i, rs[i].status, rs[i].body);
        ts_response_free(&rs[i]);
        free((char *)rqs[i].url);
        free((char *)rqs[i].body);
    }
    if (two_servers)
        assert_int_equal(ts_server_stop(&second), 0);
    assert_int_equal(ok, 3);
    assert_int_equal(short_, 17);
    assert_int_equal(
        ts_sql_int(s, ts_fmt("SELECT COUNT(*) FROM unlocks WHERE owner = '%s'", owner_copy)), 3);
    /* The ledger agrees: 95 - 90 = 5 left, and no prefix of it ever went below zero. */
    assert_int_equal(
        ts_sql_int(s, ts_fmt("SELECT SUM(amount) FROM ledger WHERE owner = '%s'", owner_copy)), 5);
    assert_int_equal(ts_sql_int(s, ts_fmt("SELECT COUNT(*) FROM (SELECT SUM(amount) OVER (ORDER"
                                          " BY id) AS running FROM ledger WHERE owner = '%s'"
                                          " AND kind = 'coins') WHERE running < 0",
                                          owner_copy)),
                     0);
    assert_int_equal(ts_sql_int(s, ts_fmt("SELECT COUNT(*) FROM ledger WHERE owner = '%s' AND"
                                          " reason = 'unlock' AND kind = 'coins'",
                                          owner_copy)),
                     3);
    doc = wallet_at(s, token, 0);
    assert_true(ts_num(doc, "coins") >= 0 && ts_num(doc, "bonus_coins") >= 0);
    assert_int_equal((int)ts_num(doc, "coins") + (int)ts_num(doc, "bonus_coins"), 5);
    cJSON_Delete(doc);
}

static void test_unlock_concurrency(void **state)
{
    race(state, "w-race", false);
}

static void test_unlock_concurrency_two_processes(void **state)
{
    race(state, "w-race-2", true);
}

/* 20 retries of one unlock at once, same key: one charge, 20 identical answers. */
static void test_unlock_same_key_concurrent(void **state)
{
    struct ts_server *s = srv_of(state);
    struct ts_request rqs[20];
    struct ts_response rs[20];
    char token[65];
    const char *url;
    const char *body = "{\"method\":\"coins\",\"idempotency_key\":\"same-key\"}";

    ts_register(s, "w-retry", token);
    ts_buy(s, token, "coins-60");
    url = ts_fmt("%s/v1/episodes/revenge-ceo-5/unlock", s->base);
    for (int i = 0; i < 20; i++)
        rqs[i] = (struct ts_request){.method = "POST", .url = url, .token = token, .body = body};
    ts_http_parallel(rqs, rs, 20);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(rs[i].curl_rc, CURLE_OK);
        assert_int_equal(rs[i].status, 200);
        assert_string_equal(rs[i].body, rs[0].body);
    }
    for (int i = 0; i < 20; i++)
        ts_response_free(&rs[i]);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-retry'"
                                   " AND reason = 'unlock'"),
                     1);
    assert_int_equal(ts_sql_int(s, "SELECT SUM(amount) FROM ledger WHERE owner = 'device:w-retry'"),
                     50);
}

static void test_ad_limit(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = ts_today() + 3600;
    struct ts_response r;
    char token[65];
    cJSON *doc;

    ts_register(s, "w-ads", token);
    for (int i = 0; i < 3; i++) {
        doc =
            unlock(s, token, ts_fmt("midnight-heir-%d", 5 + i), "ad", ts_fmt("ad-%d", i), t0, 200);
        assert_string_equal(ts_str(doc, "method"), "ad");
        assert_int_equal((int)ts_num(ts_obj(doc, "charged"), "coins"), 0);
        assert_int_equal((int)ts_num(ts_obj(doc, "wallet"), "ads_left_today"), 2 - i);
        cJSON_Delete(doc);
    }
    doc = ts_json_r(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/v1/episodes/midnight-heir-8/unlock", s->base),
                             .token = token,
                             .body = "{\"method\":\"ad\",\"idempotency_key\":\"ad-3\"}",
                             .headers = {ts_dev_now(t0)}},
        429, &r);
    ts_assert_error(doc, "ad_limit_reached");
    /* Retry-After: until the next UTC day. */
    assert_string_equal(r.retry_after, "82800");
    assert_int_equal((int)ts_num(doc, "retry_after"), 82800);
    ts_response_free(&r);
    cJSON_Delete(doc);
    doc = wallet_at(s, token, t0);
    assert_int_equal((int)ts_num(doc, "ads_left_today"), 0);
    cJSON_Delete(doc);
    assert_string_equal(episode_state(s, token, "midnight-heir", 8, t0), "locked");
    /* A new day, new ads. */
    doc = unlock(s, token, "midnight-heir-8", "ad", "ad-4", t0 + DAY, 200);
    cJSON_Delete(doc);
    doc = wallet_at(s, token, t0 + DAY);
    assert_int_equal((int)ts_num(doc, "ads_left_today"), 2);
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:w-ads'"), 1);
}

static void test_vip(void **state)
{
    struct ts_server *s = srv_of(state);
    long long now = (long long)time(NULL);
    long long expires;
    char token[65];
    cJSON *doc;
    const cJSON *vip;

    ts_register(s, "w-vip", token);
    doc = unlock(s, token, "palace-secrets-5", "vip", "vip-0", 0, 402);
    ts_assert_error(doc, "vip_required");
    assert_false(ts_bool(ts_obj(doc, "vip"), "active"));
    cJSON_Delete(doc);

    ts_buy(s, token, "vip-7");
    doc = wallet_at(s, token, 0);
    vip = ts_obj(doc, "vip");
    assert_true(ts_bool(vip, "active"));
    expires = (long long)ts_num(vip, "expires_at");
    assert_true(expires >= now + 7 * DAY && expires <= now + 7 * DAY + 60);
    assert_int_equal((int)ts_num(doc, "coins"), 20);
    cJSON_Delete(doc);
    /* A second pack extends the first rather than overlapping it. */
    ts_buy(s, token, "vip-7");
    doc = wallet_at(s, token, 0);
    assert_int_equal((long long)ts_num(ts_obj(doc, "vip"), "expires_at"), expires + 7 * DAY);
    cJSON_Delete(doc);

    doc = unlock(s, token, "palace-secrets-5", "vip", "vip-1", 0, 200);
    assert_string_equal(ts_str(doc, "method"), "vip");
    assert_int_equal((int)ts_num(ts_obj(doc, "charged"), "coins"), 0);
    assert_int_equal((int)ts_num(ts_obj(doc, "charged"), "bonus_coins"), 0);
    cJSON_Delete(doc);
    assert_string_equal(episode_state(s, token, "palace-secrets", 5, 0), "unlocked");
    /* An unlock bought with VIP lasts as long as the VIP does. */
    assert_string_equal(episode_state(s, token, "palace-secrets", 5, expires + 7 * DAY + 1),
                        "locked");
    doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/palace-secrets-5/play", s->base),
                                     .token = token,
                                     .headers = {ts_dev_now(expires + 7 * DAY + 1)}},
                402);
    ts_assert_error(doc, "payment_required");
    cJSON_Delete(doc);
    doc = wallet_at(s, token, expires + 7 * DAY + 1);
    assert_false(ts_bool(ts_obj(doc, "vip"), "active"));
    cJSON_Delete(doc);
    /* Then coins make it permanent. */
    doc = unlock(s, token, "palace-secrets-5", "coins", "vip-2", expires + 7 * DAY + 1, 402);
    ts_assert_error(doc, "insufficient_coins");
    cJSON_Delete(doc);
}

/* ---- check-in ----------------------------------------------------------------------------- */

static void test_checkin_streak(void **state)
{
    static const struct {
        long long day; /* days after t0 */
        long status;
        int streak;
        int reward;
    } rows[] = {
        {0, 200, 1, 5},  {0, 409, 1, 0},   {1, 200, 2, 10},  {2, 200, 3, 15}, {2, 409, 3, 0},
        {4, 200, 1, 5},  {5, 200, 2, 10},  {6, 200, 3, 15},  {7, 200, 4, 20}, {8, 200, 5, 25},
        {9, 200, 6, 30}, {10, 200, 7, 35}, {11, 200, 8, 35},
    };
    struct ts_server *s = srv_of(state);
    long long t0 = ts_today() + 600;
    struct ts_response r;
    char token[65];
    cJSON *doc;

    ts_register(s, "w-streak", token);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        long long t = t0 + rows[i].day * DAY + (long long)i * 60;
        doc = ts_json_r(&(struct ts_request){.method = "POST",
                                             .url = ts_fmt("%s/v1/checkin", s->base),
                                             .token = token,
                                             .body = NULL,
                                             .headers = {ts_dev_now(t)}},
                        rows[i].status, &r);
        assert_int_equal((int)ts_num(doc, "streak"), rows[i].streak);
        if (rows[i].status == 200) {
            assert_int_equal((int)ts_num(doc, "reward_bonus_coins"), rows[i].reward);
            assert_int_equal((long long)ts_num(doc, "expires_at"), t + 7 * DAY);
        } else {
            ts_assert_error(doc, "already_claimed");
            assert_true(atoi(r.retry_after) > 0 && atoi(r.retry_after) <= DAY);
        }
        ts_response_free(&r);
        cJSON_Delete(doc);
    }
    /* What the wallet says on the gap day and the day after a claim. */
    doc = wallet_at(s, token, t0 + 3 * DAY + 100);
    assert_false(ts_bool(ts_obj(doc, "checkin"), "claimed_today"));
    assert_int_equal((int)ts_num(ts_obj(doc, "checkin"), "streak"), 3);
    assert_int_equal((int)ts_num(ts_obj(doc, "checkin"), "next_reward"), 20);
    cJSON_Delete(doc);
    doc = wallet_at(s, token, t0 + 11 * DAY + 3600);
    assert_true(ts_bool(ts_obj(doc, "checkin"), "claimed_today"));
    assert_int_equal((int)ts_num(ts_obj(doc, "checkin"), "streak"), 8);
    assert_int_equal((int)ts_num(ts_obj(doc, "checkin"), "next_reward"), 35);
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM checkins WHERE owner = 'device:w-streak'"),
                     11);
}

/* ---- phone checkout ----------------------------------------------------------------------- */

static void test_checkout(void **state)
{
    struct ts_server *s = srv_of(state);
    struct ts_request rqs[10];
    struct ts_response rs[10];
    struct ts_response r;
    char token[65];
    char other[65];
    char id[64];
    char qr[256];
    cJSON *doc;
    const cJSON *pack;

    ts_register(s, "w-pay", token);
    ts_register(s, "w-pay-other", other);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/purchase/session", s->base),
                                       .token = token,
                                       .body = "{\"pack_id\":\"coins-300\"}"},
                  200);
    snprintf(id, sizeof(id), "%s", ts_str(doc, "id"));
    snprintf(qr, sizeof(qr), "%s", ts_str(doc, "qr_url"));
    assert_int_equal(strlen(id), 32);
    assert_string_equal(qr, ts_fmt("%s/checkout/%s", s->base, id));
    assert_string_equal(ts_str(doc, "status"), "pending");
    assert_true(ts_num(doc, "expires_at") > (double)time(NULL));
    pack = ts_obj(doc, "pack");
    assert_string_equal(ts_str(pack, "id"), "coins-300");
    assert_int_equal((int)ts_num(pack, "coins"), 300);
    cJSON_Delete(doc);

    /* The page the QR code opens shows the pack and a pay button. */
    ts_http(&(struct ts_request){.method = "GET", .url = qr}, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/html"));
    assert_non_null(strstr(r.body, "300 coins"));
    assert_non_null(strstr(r.body, ts_fmt("action=\"/checkout/%s/pay\"", id)));
    ts_response_free(&r);

    /* Ten taps on Pay at once: credited exactly once. */
    for (int i = 0; i < 10; i++)
        rqs[i] =
            (struct ts_request){.method = "POST", .url = ts_fmt("%s/checkout/%s/pay", s->base, id)};
    ts_http_parallel(rqs, rs, 10);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rs[i].curl_rc, CURLE_OK);
        assert_int_equal(rs[i].status, 200);
        ts_response_free(&rs[i]);
    }
    assert_int_equal(
        ts_sql_int(s, ts_fmt("SELECT COUNT(*) FROM ledger WHERE ref = 'purchase:%s'", id)), 2);
    doc = wallet_at(s, token, 0);
    assert_int_equal((int)ts_num(doc, "coins"), 320);
    assert_int_equal((int)ts_num(doc, "bonus_coins"), 30);
    cJSON_Delete(doc);
    /* The TV's poll sees it completed; another device does not see it at all. */
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/purchase/session/%s", s->base, id),
                                       .token = token},
                  200);
    assert_string_equal(ts_str(doc, "status"), "completed");
    assert_true(ts_num(doc, "completed_at") > 0);
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/purchase/session/%s", s->base, id),
                                       .token = other},
                  404);
    cJSON_Delete(doc);

    /* A session left unpaid expires, and then cannot be paid. */
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/purchase/session", s->base),
                                       .token = token,
                                       .body = "{\"pack_id\":\"coins-60\"}"},
                  200);
    snprintf(id, sizeof(id), "%s", ts_str(doc, "id"));
    cJSON_Delete(doc);
    ts_http(&(struct ts_request){.method = "POST",
                                 .url = ts_fmt("%s/checkout/%s/pay", s->base, id),
                                 .token = NULL,
                                 .body = NULL,
                                 .headers = {ts_dev_now((long long)time(NULL) + 901)}},
            &r);
    assert_int_equal(r.status, 410);
    ts_response_free(&r);
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/purchase/session/%s", s->base, id),
                                       .token = token,
                                       .headers = {ts_dev_now(time(NULL) + 901)}},
                  200);
    assert_string_equal(ts_str(doc, "status"), "expired");
    cJSON_Delete(doc);
    doc = wallet_at(s, token, 0);
    assert_int_equal((int)ts_num(doc, "coins"), 320);
    cJSON_Delete(doc);

    /* Errors. */
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/purchase/session", s->base),
                                       .token = token,
                                       .body = "{\"pack_id\":\"gold-bars\"}"},
                  400);
    ts_assert_error(doc, "unknown_pack");
    cJSON_Delete(doc);
    ts_http(
        &(struct ts_request){.method = "POST", .url = ts_fmt("%s/checkout/%032d/pay", s->base, 0)},
        &r);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/checkout/..%%2fcatalog.json", s->base)},
            &r);
    assert_int_equal(r.status, 404);
    ts_response_free(&r);
}

static void test_packs(void **state)
{
    struct ts_server *s = srv_of(state);
    cJSON *doc = ts_json(&(struct ts_request){.method = "GET",
                                              .url = ts_fmt("%s/v1/packs", s->base),
                                              .token = NULL,
                                              .body = NULL,
                                              .headers = {"Accept-Language: es"}},
                         200);
    const cJSON *packs = cJSON_GetObjectItemCaseSensitive(doc, "packs");
    const cJSON *p;
    int vip = 0;

    assert_true(cJSON_GetArraySize(packs) >= 4);
    cJSON_ArrayForEach(p, packs)
    {
        assert_true(strlen(ts_str(p, "id")) > 0);
        assert_true(strlen(ts_str(p, "title")) > 0);
        assert_true(ts_num(p, "price_cents") > 0);
        assert_string_equal(ts_str(p, "currency"), "USD");
        assert_int_equal(ts_str(p, "price")[0], '$');
        ts_num(p, "coins");
        ts_num(p, "bonus_coins");
        vip += ts_num(p, "vip_days") > 0;
    }
    assert_true(vip >= 1);
    assert_string_equal(ts_str(cJSON_GetArrayItem(packs, 0), "title"), "60 monedas");
    cJSON_Delete(doc);
}

/* ---- progress ----------------------------------------------------------------------------- */

static cJSON *report(const struct ts_server *s, const char *token, const char *items, long want)
{
    return ts_json(&(struct ts_request){.method = "POST",
                                        .url = ts_fmt("%s/v1/progress", s->base),
                                        .token = token,
                                        .body = ts_fmt("{\"items\":[%s]}", items)},
                   want);
}

static const char *statuses(const cJSON *doc)
{
    static char out[256];
    const cJSON *r;
    size_t o = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "results"))
    {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", ts_str(r, "status"));
    }
    return out;
}

static long long resume_of(const struct ts_server *s, const char *token, const char *episode)
{
    cJSON *doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/%s/play", s->base, episode),
                                     .token = token},
                200);
    long long v = (long long)ts_num(doc, "resume_ms");

    cJSON_Delete(doc);
    return v;
}

static const cJSON *first_shelf(const cJSON *home)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(home, "shelves"), 0);
}

#define ITEM(ep, pos, dur, at, ev)                                                                 \
    "{\"episode_id\":\"" ep "\",\"position_ms\":" #pos ",\"duration_ms\":" #dur                    \
    ",\"updated_at\":" #at ",\"event_id\":\"" ev "\"}"

static void test_progress(void **state)
{
    struct ts_server *s = srv_of(state);
    const char *batch = ITEM("midnight-heir-1", 1000, 3000, 1000,
                             "ev-1") "," ITEM("midnight-heir-2", 500, 3000, 2000, "ev-2");
    char token[65];
    char big[120 * 100];
    size_t o = 0;
    cJSON *doc;
    const cJSON *shelf;
    const cJSON *item;

    ts_register(s, "w-prog", token);
    /* A fresh viewer has nothing to continue: home starts with trending. */
    doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", s->base), .token = token},
        200);
    assert_string_equal(ts_str(first_shelf(doc), "id"), "trending");
    cJSON_Delete(doc);

    doc = report(s, token, batch, 200);
    assert_string_equal(statuses(doc), "applied,applied");
    assert_int_equal((int)ts_num(doc, "applied"), 2);
    cJSON_Delete(doc);
    /* The same batch again (a retry after a lost answer) changes nothing. */
    doc = report(s, token, batch, 200);
    assert_string_equal(statuses(doc), "duplicate,duplicate");
    assert_int_equal((int)ts_num(doc, "applied"), 0);
    cJSON_Delete(doc);
    /* Newest wins: an older report (a queue flushed late) is ignored, a newer one applies. */
    doc =
        report(s, token,
               ITEM("midnight-heir-1", 2500, 3000, 500, "ev-3") "," ITEM(
                   "midnight-heir-1", 1500, 3000, 3000, "ev-4") "," ITEM("nope-1", 1, 2, 3, "ev-5"),
               200);
    assert_string_equal(statuses(doc), "stale,applied,unknown_episode");
    cJSON_Delete(doc);
    assert_int_equal(resume_of(s, token, "midnight-heir-1"), 1500);
    assert_int_equal(resume_of(s, token, "midnight-heir-2"), 500);
    assert_int_equal(resume_of(s, token, "revenge-ceo-1"), 0);

    /* Continue watching: first shelf, one item per series, most recent first. */
    doc = report(s, token, ITEM("revenge-ceo-1", 700, 3000, 4000, "ev-6"), 200);
    cJSON_Delete(doc);
    doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", s->base), .token = token},
        200);
    shelf = first_shelf(doc);
    assert_string_equal(ts_str(shelf, "id"), "continue");
    assert_string_equal(ts_str(shelf, "title"), "Continue watching");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(shelf, "items")), 2);
    item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(shelf, "items"), 0);
    assert_string_equal(ts_str(item, "id"), "revenge-ceo");
    assert_string_equal(ts_str(item, "episode_id"), "revenge-ceo-1");
    assert_int_equal((int)ts_num(item, "resume_ms"), 700);
    assert_true(strlen(ts_str(item, "title")) > 0);
    ts_num(item, "episode_count");
    item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(shelf, "items"), 1);
    assert_string_equal(ts_str(item, "id"), "midnight-heir");
    assert_string_equal(ts_str(item, "episode_id"), "midnight-heir-1");
    assert_int_equal((int)ts_num(item, "resume_ms"), 1500);
    cJSON_Delete(doc);

    /* Watched to the end: resume from 0, and the shelf moves on to the next episode. */
    doc = report(s, token, ITEM("revenge-ceo-1", 2900, 3000, 5000, "ev-7"), 200);
    cJSON_Delete(doc);
    assert_int_equal(resume_of(s, token, "revenge-ceo-1"), 0);
    doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", s->base), .token = token},
        200);
    item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(first_shelf(doc), "items"), 0);
    assert_string_equal(ts_str(item, "episode_id"), "revenge-ceo-2");
    assert_int_equal((int)ts_num(item, "resume_ms"), 0);
    cJSON_Delete(doc);
    /* Anonymous home has no such shelf. */
    doc = ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", s->base)}, 200);
    assert_string_equal(ts_str(first_shelf(doc), "id"), "trending");
    cJSON_Delete(doc);

    /* Malformed batches are refused whole, naming the item and field. */
    doc = report(s, token, "{\"episode_id\":\"midnight-heir-1\",\"position_ms\":\"x\"}", 400);
    ts_assert_error(doc, "bad_request");
    assert_non_null(strstr(ts_str(ts_obj(doc, "error"), "message"), "items[0]"));
    cJSON_Delete(doc);
    doc = report(
        s, token,
        ITEM("midnight-heir-1", 1, 3000, 1, "ok") "," ITEM("midnight-heir-1", -5, 3000, 1, "neg"),
        400);
    assert_non_null(strstr(ts_str(ts_obj(doc, "error"), "message"), "items[1]: position_ms"));
    cJSON_Delete(doc);
    doc = report(s, token, ITEM("midnight-heir-1", 1, 3000, 1, "bad id!"), 400);
    cJSON_Delete(doc);
    for (int i = 0; i < 101; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "%s" ITEM("midnight-heir-1", 1, 3, 1, "b"),
                              i ? "," : "");
    doc = report(s, token, big, 400);
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/progress", s->base),
                                       .token = token,
                                       .body = "{\"items\":{}}"},
                  400);
    cJSON_Delete(doc);
    /* None of those was stored. */
    assert_int_equal(resume_of(s, token, "midnight-heir-1"), 1500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wallet_shape),
        cmocka_unit_test(test_bonus_spent_first_fifo),
        cmocka_unit_test(test_bonus_expires),
        cmocka_unit_test(test_unlock_idempotency),
        cmocka_unit_test(test_unlock_rejects),
        cmocka_unit_test(test_unlock_concurrency),
        cmocka_unit_test(test_unlock_concurrency_two_processes),
        cmocka_unit_test(test_unlock_same_key_concurrent),
        cmocka_unit_test(test_ad_limit),
        cmocka_unit_test(test_vip),
        cmocka_unit_test(test_checkin_streak),
        cmocka_unit_test(test_checkout),
        cmocka_unit_test(test_packs),
        cmocka_unit_test(test_progress),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
