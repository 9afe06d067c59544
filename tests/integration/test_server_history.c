/* binge-server v1, GET /v1/wallet/history: every kind of event (welcome, purchases of coins and
 * of VIP, check-in, unlocks with coins, bonus coins, an ad and VIP), newest first, with the
 * deltas adding up to the wallet; the limit and its bounds; one wallet's history never shows in
 * another's. A real server on loopback with --dev (X-Dev-Now orders the events). */

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
    char series[64]; /* the catalog's first series */
};

static struct suite *suite_of(void **state)
{
    return *state;
}

static struct ts_server *srv_of(void **state)
{
    return &suite_of(state)->srv;
}

static int suite_setup(void **state)
{
    static const char *const extra[] = {"--dev", "--rate-limit", "0", NULL};
    struct suite *st = calloc(1, sizeof(*st));
    cJSON *home;
    const cJSON *shelf;

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0 ||
        ts_server_start(&st->srv, st->tmpdir, "history.db", extra) != 0)
        return -1;
    home = ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", st->srv.base)},
                   200);
    shelf = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(home, "shelves"), 0);
    snprintf(st->series, sizeof(st->series), "%s",
             ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(shelf, "items"), 0), "id"));
    cJSON_Delete(home);
    return 0;
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

/* GET /v1/wallet/history[?limit=...]; query NULL for none. */
static cJSON *history(const struct ts_server *s, const char *token, const char *query,
                      const char *lang, long want)
{
    return ts_json(&(struct ts_request){.method = "GET",
                                        .url = ts_fmt("%s/v1/wallet/history%s%s", s->base,
                                                      query ? "?" : "", query ? query : ""),
                                        .token = token,
                                        .headers = {lang}},
                   want);
}

static void unlock(const struct ts_server *s, const char *token, const char *episode,
                   const char *method, long long now)
{
    cJSON *doc = ts_json(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/v1/episodes/%s/unlock", s->base, episode),
                             .token = token,
                             .body = ts_fmt("{\"method\":\"%s\",\"idempotency_key\":\"h-%s-%s\"}",
                                            method, method, episode),
                             .headers = {ts_dev_now(now)}},
        200);

    assert_false(ts_bool(doc, "already_unlocked"));
    cJSON_Delete(doc);
}

static void checkin(const struct ts_server *s, const char *token, long long now)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/checkin", s->base),
                                              .token = token,
                                              .headers = {ts_dev_now(now)}},
                         200);
    cJSON_Delete(doc);
}

static bool is_null(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    assert_non_null(v); /* every member is always there */
    return cJSON_IsNull(v);
}

/* Checks one event: kind, method (NULL: null), the deltas. */
static const cJSON *expect(const cJSON *items, int i, const char *kind, const char *method,
                           long long coins, long long bonus)
{
    const cJSON *it = cJSON_GetArrayItem(items, i);

    assert_non_null(it);
    assert_string_equal(ts_str(it, "kind"), kind);
    if (method)
        assert_string_equal(ts_str(it, "method"), method);
    else
        assert_true(is_null(it, "method"));
    assert_int_equal((long long)ts_num(it, "coins"), coins);
    assert_int_equal((long long)ts_num(it, "bonus_coins"), bonus);
    return it;
}

static void expect_episode(const cJSON *it, const char *series, int index)
{
    assert_string_equal(ts_str(it, "episode_id"), ts_fmt("%s-%d", series, index));
    assert_int_equal((int)ts_num(it, "episode_index"), index);
    assert_string_equal(ts_str(it, "series_id"), series);
    assert_true(strlen(ts_str(it, "series_title")) > 0);
    assert_true(is_null(it, "pack"));
}

static void test_every_kind_newest_first(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    const char *sr = st->series;
    char token[65];
    const cJSON *items;
    const cJSON *it;
    cJSON *doc;
    cJSON *w;
    long long coins = 0;
    long long bonus = 0;

    ts_register(s, "h-all", token);                          /* welcome: 20 coins */
    ts_buy(s, token, "coins-300");                           /* 300 coins, 30 bonus for 30 days */
    ts_buy(s, token, "vip-7");                               /* VIP: no coins */
    checkin(s, token, t0 + 100);                             /* 5 bonus for 7 days */
    unlock(s, token, ts_fmt("%s-3", sr), "coins", t0 + 200); /* 30 of 35 bonus */
    unlock(s, token, ts_fmt("%s-4", sr), "coins", t0 + 300); /* 5 bonus + 25 coins */
    unlock(s, token, ts_fmt("%s-5", sr), "ad", t0 + 400);
    unlock(s, token, ts_fmt("%s-6", sr), "vip", t0 + 500);

    doc = history(s, token, NULL, NULL, 200);
    items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    assert_int_equal(cJSON_GetArraySize(items), 8);
    it = expect(items, 0, "unlock", "vip", 0, 0);
    assert_int_equal((long long)ts_num(it, "time"), t0 + 500);
    expect_episode(it, sr, 6);
    it = expect(items, 1, "unlock", "ad", 0, 0);
    assert_int_equal((long long)ts_num(it, "time"), t0 + 400);
    expect_episode(it, sr, 5);
    /* One event for the rows one unlock wrote: a bonus lot, then coins. */
    it = expect(items, 2, "unlock", "coins", -25, -5);
    assert_int_equal((long long)ts_num(it, "time"), t0 + 300);
    expect_episode(it, sr, 4);
    /* Two bonus lots (check-in's first: it expires sooner). */
    it = expect(items, 3, "unlock", "coins", 0, -30);
    expect_episode(it, sr, 3);
    assert_true(is_null(it, "bonus_expires_at"));
    it = expect(items, 4, "checkin", NULL, 0, 5);
    assert_int_equal((long long)ts_num(it, "time"), t0 + 100);
    assert_int_equal((long long)ts_num(it, "bonus_expires_at"), t0 + 100 + 7 * DAY);
    assert_true(is_null(it, "episode_id"));
    assert_true(is_null(it, "series_title"));
    assert_true(is_null(it, "pack"));
    it = expect(items, 5, "purchase", NULL, 0, 0);
    assert_string_equal(ts_str(ts_obj(it, "pack"), "id"), "vip-7");
    assert_int_equal((int)ts_num(ts_obj(it, "pack"), "vip_days"), 7);
    assert_true(is_null(it, "episode_id"));
    it = expect(items, 6, "purchase", NULL, 300, 30);
    assert_string_equal(ts_str(ts_obj(it, "pack"), "id"), "coins-300");
    assert_string_equal(ts_str(ts_obj(it, "pack"), "title"), "300 coins");
    assert_int_equal((long long)ts_num(it, "bonus_expires_at"),
                     (long long)ts_num(it, "time") + 30 * DAY);
    it = expect(items, 7, "welcome", NULL, 20, 0);
    assert_true(ts_num(it, "time") >= t0 && ts_num(it, "time") <= ts_num(items->child, "time"));
    assert_true(is_null(it, "pack"));
    /* The deltas add up to the wallet. */
    cJSON_ArrayForEach(it, items)
    {
        coins += (long long)ts_num(it, "coins");
        bonus += (long long)ts_num(it, "bonus_coins");
    }
    cJSON_Delete(doc);
    w = ts_json(&(struct ts_request){.method = "GET",
                                     .url = ts_fmt("%s/v1/wallet", s->base),
                                     .token = token,
                                     .headers = {ts_dev_now(t0 + 600)}},
                200);
    assert_int_equal(coins, 295);
    assert_int_equal((long long)ts_num(w, "coins"), coins);
    assert_int_equal((long long)ts_num(w, "bonus_coins"), bonus);
    cJSON_Delete(w);

    /* limit takes the newest. */
    doc = history(s, token, "limit=2", NULL, 200);
    items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    assert_int_equal(cJSON_GetArraySize(items), 2);
    expect(items, 0, "unlock", "vip", 0, 0);
    expect(items, 1, "unlock", "ad", 0, 0);
    cJSON_Delete(doc);
    doc = history(s, token, "limit=1", NULL, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 1);
    cJSON_Delete(doc);
}

static void test_localized_titles(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    struct ts_response r;
    cJSON *series;
    cJSON *doc;

    ts_register(s, "h-lang", token);
    unlock(s, token, ts_fmt("%s-3", st->series), "ad", t0 + 10);
    series = ts_json(&(struct ts_request){.method = "GET",
                                          .url = ts_fmt("%s/v1/series/%s", s->base, st->series),
                                          .headers = {"Accept-Language: th"}},
                     200);
    doc = ts_json_r(&(struct ts_request){.method = "GET",
                                         .url = ts_fmt("%s/v1/wallet/history", s->base),
                                         .token = token,
                                         .headers = {"Accept-Language: th"}},
                    200, &r);
    assert_string_equal(r.content_language, "th");
    assert_non_null(strstr(r.vary, "Authorization"));
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 0),
               "series_title"),
        ts_str(series, "title"));
    ts_response_free(&r);
    cJSON_Delete(doc);
    cJSON_Delete(series);
}

static void test_limit_bounds(void **state)
{
    struct ts_server *s = srv_of(state);
    long long today = ts_today();
    char token[65];
    cJSON *doc;
    static const char *const bad[] = {
        "limit=0",   "limit=101",  "limit=-1", "limit=abc",  "limit=1.5",
        "limit=",    "limit=%2B5", "limit=5x", "limit=1000", "limit=99999999999999999999",
        "limit=%205"};

    ts_register(s, "h-limit", token);
    /* 25 check-ins on 25 days and the welcome: 26 events. */
    for (int d = 0; d < 25; d++)
        checkin(s, token, today + (d + 1) * DAY + 60);
    doc = history(s, token, NULL, NULL, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 20);
    /* Newest first: the last check-in comes first. */
    assert_int_equal(
        (long long)ts_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 0),
                          "time"),
        today + 25 * DAY + 60);
    cJSON_Delete(doc);
    doc = history(s, token, "limit=100", NULL, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 26);
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 25), "kind"),
        "welcome");
    cJSON_Delete(doc);
    doc = history(s, token, "limit=26", NULL, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 26);
    cJSON_Delete(doc);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = history(s, token, bad[i], NULL, 400);
        ts_assert_error(doc, "bad_request");
        cJSON_Delete(doc);
    }
    /* A token is required. */
    doc = history(s, NULL, NULL, NULL, 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/wallet/history", s->base),
                                       .token = token},
                  405);
    ts_assert_error(doc, "method_not_allowed");
    cJSON_Delete(doc);
}

static void test_own_wallet_only(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char a[65];
    char b[65];
    char etag[128];
    struct ts_response r;
    cJSON *doc;

    ts_register(s, "h-own-a", a);
    ts_register(s, "h-own-b", b);
    ts_buy(s, a, "coins-60");
    unlock(s, a, ts_fmt("%s-3", st->series), "coins", t0 + 10);
    doc = history(s, a, NULL, NULL, 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 3);
    cJSON_Delete(doc);
    /* B sees its own welcome and nothing of A's. */
    doc = ts_json_r(&(struct ts_request){.method = "GET",
                                         .url = ts_fmt("%s/v1/wallet/history", s->base),
                                         .token = b},
                    200, &r);
    snprintf(etag, sizeof(etag), "%s", r.etag);
    ts_response_free(&r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 1);
    expect(cJSON_GetObjectItemCaseSensitive(doc, "items"), 0, "welcome", NULL, 20, 0);
    cJSON_Delete(doc);
    /* Its ETag holds until B's own wallet moves. */
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/wallet/history", s->base),
                                 .token = b,
                                 .headers = {ts_fmt("If-None-Match: %s", etag)}},
            &r);
    assert_int_equal(r.status, 304);
    ts_response_free(&r);
    unlock(s, a, ts_fmt("%s-4", st->series), "ad", t0 + 20);
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/wallet/history", s->base),
                                 .token = b,
                                 .headers = {ts_fmt("If-None-Match: %s", etag)}},
            &r);
    assert_int_equal(r.status, 304);
    ts_response_free(&r);
    checkin(s, b, t0 + 30);
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/wallet/history", s->base),
                                 .token = b,
                                 .headers = {ts_fmt("If-None-Match: %s", etag)}},
            &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_newest_first),
        cmocka_unit_test(test_localized_titles),
        cmocka_unit_test(test_limit_bounds),
        cmocka_unit_test(test_own_wallet_only),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
