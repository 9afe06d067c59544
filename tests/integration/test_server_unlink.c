/* binge-server v1, POST /v1/device/unlink: a linked device leaves its account and is a guest
 * again with a fresh, empty wallet; every earlier token of it is dead; what it opened for the
 * account (checkouts, sign-ins, idempotency answers, key URLs) no longer reaches the account;
 * the account and its other devices keep everything. A real server on loopback with --dev and
 * its real SQLite database. */

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
    static const char *const extra[] = {"--dev", "--rate-limit", "0", "--ads-per-day", "3", NULL};
    struct suite *st = calloc(1, sizeof(*st));
    cJSON *home;
    const cJSON *shelf;

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0 ||
        ts_server_start(&st->srv, st->tmpdir, "unlink.db", extra) != 0)
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

struct device {
    char id[72];
    char token[65];
    char refresh[65];
};

static void register_device(const struct ts_server *s, const char *id, struct device *d)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/device/register", s->base),
                                              .body = ts_fmt("{\"device_id\":\"%s\"}", id)},
                         200);

    snprintf(d->id, sizeof(d->id), "%s", ts_str(doc, "device_id"));
    assert_string_equal(d->id, id);
    snprintf(d->token, sizeof(d->token), "%s", ts_str(doc, "token"));
    snprintf(d->refresh, sizeof(d->refresh), "%s", ts_str(doc, "refresh_token"));
    cJSON_Delete(doc);
}

/* Starts the device flow for d; the user code into user_code (16 bytes), the device code into
 * device_code (65 bytes). */
static void start_flow(const struct ts_server *s, const struct device *d, char *user_code,
                       char *device_code)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/device/code", s->base),
                                              .token = d->token},
                         200);

    snprintf(user_code, 16, "%s", ts_str(doc, "user_code"));
    snprintf(device_code, 65, "%s", ts_str(doc, "device_code"));
    cJSON_Delete(doc);
}

static long activate(const struct ts_server *s, const char *user_code, const char *name,
                     bool create)
{
    struct ts_response r;
    long status;

    ts_http(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/activate", s->base),
                             .body = ts_fmt("user_code=%s&name=%s&password=pw-%s-123&action=%s",
                                            user_code, name, name, create ? "create" : "approve"),
                             .headers = {"Content-Type: application/x-www-form-urlencoded"}},
        &r);
    status = r.status;
    ts_response_free(&r);
    return status;
}

/* Links d to the account name through the device flow; d's tokens become the poll's. */
static void link_device(const struct ts_server *s, struct device *d, const char *name, bool create)
{
    char user_code[16];
    char device_code[65];
    cJSON *doc;

    start_flow(s, d, user_code, device_code);
    assert_int_equal(activate(s, user_code, name, create), 200);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/device/token", s->base),
                                       .body = ts_fmt("{\"device_code\":\"%s\"}", device_code)},
                  200);
    assert_string_equal(ts_str(ts_obj(doc, "account"), "name"), name);
    snprintf(d->token, sizeof(d->token), "%s", ts_str(doc, "token"));
    snprintf(d->refresh, sizeof(d->refresh), "%s", ts_str(doc, "refresh_token"));
    cJSON_Delete(doc);
}

static cJSON *unlink_device(const struct ts_server *s, const char *token, long want)
{
    return ts_json(&(struct ts_request){.method = "POST",
                                        .url = ts_fmt("%s/v1/device/unlink", s->base),
                                        .token = token},
                   want);
}

static cJSON *get(const struct ts_server *s, const char *token, const char *path, long want)
{
    return ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s%s", s->base, path), .token = token},
        want);
}

static cJSON *post(const struct ts_server *s, const char *token, const char *path, const char *body,
                   long want)
{
    return ts_json(
        &(struct ts_request){
            .method = "POST", .url = ts_fmt("%s%s", s->base, path), .token = token, .body = body},
        want);
}

static void unlock(const struct ts_server *s, const char *token, const char *episode,
                   const char *method, const char *key, long want)
{
    cJSON_Delete(post(s, token, ts_fmt("/v1/episodes/%s/unlock", episode),
                      ts_fmt("{\"method\":\"%s\",\"idempotency_key\":\"%s\"}", method, key), want));
}

static const char *episode_state(const struct ts_server *s, const char *token, const char *series,
                                 int index)
{
    static char state[16];
    cJSON *doc = get(s, token, ts_fmt("/v1/series/%s", series), 200);

    snprintf(
        state, sizeof(state), "%s",
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "episodes"), index - 1),
               "state"));
    cJSON_Delete(doc);
    return state;
}

static int count_items(const struct ts_server *s, const char *token, const char *path)
{
    cJSON *doc = get(s, token, path, 200);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items"));

    cJSON_Delete(doc);
    return n;
}

static bool has_shelf(const struct ts_server *s, const char *token, const char *id)
{
    cJSON *doc = get(s, token, "/v1/home", 200);
    const cJSON *sh;
    bool found = false;

    cJSON_ArrayForEach(sh, cJSON_GetObjectItemCaseSensitive(doc, "shelves"))
    {
        found = found || strcmp(ts_str(sh, "id"), id) == 0;
    }
    cJSON_Delete(doc);
    return found;
}

/* The wallet's coins, checking the owner. */
static long long coins_of(const struct ts_server *s, const char *token, const char *owner)
{
    cJSON *w = get(s, token, "/v1/wallet", 200);
    long long coins = (long long)ts_num(w, "coins");

    assert_string_equal(ts_str(w, "owner"), owner);
    cJSON_Delete(w);
    return coins;
}

static void test_unlinked_device_is_a_fresh_guest(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    const char *sr = st->series;
    struct device d;
    struct device e;
    char old_token[65];
    char old_refresh[65];
    cJSON *doc;
    cJSON *w;
    long long account_coins;

    /* D, as a guest, buys, checks in, unlocks, watches and lists; then links. E shares the
     * account. */
    register_device(s, "ul-d", &d);
    register_device(s, "ul-e", &e);
    ts_buy(s, d.token, "coins-300");
    cJSON_Delete(post(s, d.token, "/v1/checkin", NULL, 200));
    unlock(s, d.token, ts_fmt("%s-3", sr), "coins", "ul-k1", 200);
    unlock(s, d.token, ts_fmt("%s-4", sr), "ad", "ul-k2", 200);
    cJSON_Delete(
        post(s, d.token, "/v1/progress",
             ts_fmt("{\"items\":[{\"episode_id\":\"%s-1\",\"position_ms\":1000,\"duration_ms\":"
                    "3000,\"updated_at\":1795265568000,\"event_id\":\"ul-ev-1\"}]}",
                    sr),
             200));
    doc = ts_json(&(struct ts_request){.method = "PUT",
                                       .url = ts_fmt("%s/v1/mylist/%s", s->base, sr),
                                       .token = d.token},
                  200);
    cJSON_Delete(doc);
    link_device(s, &d, "ulacct", true);
    link_device(s, &e, "ulacct", false);
    account_coins = coins_of(s, e.token, "account");
    assert_int_equal(coins_of(s, d.token, "account"), account_coins);
    assert_string_equal(episode_state(s, d.token, sr, 3), "unlocked");
    snprintf(old_token, sizeof(old_token), "%s", d.token);
    snprintf(old_refresh, sizeof(old_refresh), "%s", d.refresh);

    doc = unlink_device(s, d.token, 200);
    assert_string_equal(ts_str(doc, "device_id"), "ul-d");
    assert_string_equal(ts_str(ts_obj(doc, "unlinked_from"), "name"), "ulacct");
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "account"));
    snprintf(d.token, sizeof(d.token), "%s", ts_str(doc, "token"));
    snprintf(d.refresh, sizeof(d.refresh), "%s", ts_str(doc, "refresh_token"));
    assert_int_equal(strlen(d.token), 64);
    assert_int_equal(strlen(d.refresh), 64);
    assert_string_not_equal(d.token, old_token);
    cJSON_Delete(doc);

    /* A guest wallet, empty: nothing of the account's, no new welcome credit. */
    w = get(s, d.token, "/v1/wallet", 200);
    assert_string_equal(ts_str(w, "owner"), "device");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(w, "account")));
    assert_int_equal((int)ts_num(w, "coins"), 0);
    assert_int_equal((int)ts_num(w, "bonus_coins"), 0);
    assert_false(ts_bool(ts_obj(w, "vip"), "active"));
    assert_int_equal((int)ts_num(w, "ads_left_today"), 3);
    assert_false(ts_bool(ts_obj(w, "checkin"), "claimed_today"));
    assert_int_equal((int)ts_num(ts_obj(w, "checkin"), "streak"), 0);
    cJSON_Delete(w);
    assert_string_equal(episode_state(s, d.token, sr, 3), "locked");
    assert_string_equal(episode_state(s, d.token, sr, 4), "locked");
    doc = post(s, d.token, ts_fmt("/v1/episodes/%s-3/play", sr), NULL, 402);
    ts_assert_error(doc, "payment_required");
    assert_int_equal((int)ts_num(doc, "balance"), 0);
    cJSON_Delete(doc);
    doc = get(s, d.token, ts_fmt("/v1/series/%s", sr), 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "resume")));
    assert_false(ts_bool(doc, "in_mylist"));
    cJSON_Delete(doc);
    assert_false(has_shelf(s, d.token, "continue"));
    assert_false(has_shelf(s, d.token, "mylist"));
    assert_int_equal(count_items(s, d.token, "/v1/mylist"), 0);
    assert_int_equal(count_items(s, d.token, "/v1/wallet/history"), 0);

    /* Every earlier token of D is dead: the access token, and the refresh token (for refresh
     * and as the proof of register, which then makes a new, distinct guest). */
    doc = get(s, old_token, "/v1/wallet", 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc =
        post(s, NULL, "/v1/device/refresh", ts_fmt("{\"refresh_token\":\"%s\"}", old_refresh), 400);
    ts_assert_error(doc, "invalid_grant");
    cJSON_Delete(doc);
    doc = post(s, NULL, "/v1/device/register",
               ts_fmt("{\"device_id\":\"ul-d\",\"refresh_token\":\"%s\"}", old_refresh), 200);
    assert_string_not_equal(ts_str(doc, "device_id"), "ul-d");
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "account"));
    cJSON_Delete(doc);

    /* The account and its other device keep everything. */
    assert_int_equal(coins_of(s, e.token, "account"), account_coins);
    assert_string_equal(episode_state(s, e.token, sr, 3), "unlocked");
    assert_string_equal(episode_state(s, e.token, sr, 4), "unlocked");
    assert_true(has_shelf(s, e.token, "continue"));
    assert_int_equal(count_items(s, e.token, "/v1/mylist"), 1);
    assert_true(count_items(s, e.token, "/v1/wallet/history") >= 5);

    /* The new token works, as a guest: what it does stays in its own wallet. */
    unlock(s, d.token, ts_fmt("%s-5", sr), "ad", "ul-k3", 200);
    assert_string_equal(episode_state(s, d.token, sr, 5), "unlocked");
    assert_string_equal(episode_state(s, e.token, sr, 5), "locked");
    /* A guest cannot unlink. */
    doc = unlink_device(s, d.token, 409);
    ts_assert_error(doc, "not_linked");
    cJSON_Delete(doc);
    assert_int_equal(coins_of(s, d.token, "device"), 0);

    /* D can link again: it sees the account wallet, and brought no coins. */
    link_device(s, &d, "ulacct", false);
    assert_int_equal(coins_of(s, d.token, "account"), account_coins);
    assert_string_equal(episode_state(s, e.token, sr, 5), "unlocked");
}

static void test_unlink_needs_a_linked_token(void **state)
{
    struct ts_server *s = srv_of(state);
    struct device g;
    cJSON *doc;

    register_device(s, "ul-guest", &g);
    doc = unlink_device(s, g.token, 409);
    ts_assert_error(doc, "not_linked");
    cJSON_Delete(doc);
    /* Nothing changed: the guest's token and wallet are as they were. */
    assert_int_equal(coins_of(s, g.token, "device"), 20);
    doc = unlink_device(s, NULL, 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc = unlink_device(s, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc = get(s, g.token, "/v1/device/unlink", 405);
    ts_assert_error(doc, "method_not_allowed");
    cJSON_Delete(doc);
}

/* The first line of text holding needle, up to a quote or the line's end. */
static void find_uri(const char *text, const char *needle, char *out, size_t cap)
{
    const char *p = strstr(text, needle);
    size_t n;

    if (!p)
        fail_msg("no \"%s\" in:\n%s", needle, text);
    n = strcspn(p, "\"\n");
    snprintf(out, cap, "%.*s", (int)n, p);
}

static char *get_text(const char *url, long want)
{
    struct ts_response r;

    ts_http(&(struct ts_request){.method = "GET", .url = url}, &r);
    if (r.status != want)
        fail_msg("GET %s: %ld, want %ld", url, r.status, want);
    return r.body ? r.body : strdup("");
}

static void test_what_the_link_opened_is_closed(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    const char *sr = st->series;
    struct device d;
    struct device e;
    char session[64];
    char user_code[16];
    char device_code[65];
    char variant[2048];
    char key_url[4200];
    char *text;
    cJSON *doc;
    long long account_coins;

    register_device(s, "ul-open-d", &d);
    register_device(s, "ul-open-e", &e);
    link_device(s, &d, "ulopen", true);
    link_device(s, &e, "ulopen", false);
    ts_buy(s, e.token, "coins-300");
    /* While linked, D unlocks an encrypted episode for the account and gets its key URL. */
    unlock(s, d.token, ts_fmt("%s-3", sr), "coins", "ul-open-k", 200);
    doc = post(s, d.token, ts_fmt("/v1/episodes/%s-3/play", sr), NULL, 200);
    text = get_text(ts_str(doc, "play_url"), 200);
    cJSON_Delete(doc);
    find_uri(text, "/media/", variant, sizeof(variant));
    free(text);
    text = get_text(ts_fmt("%s%s", s->base, variant), 200);
    find_uri(text, "/keys/", variant, sizeof(variant));
    free(text);
    snprintf(key_url, sizeof(key_url), "%s%s", s->base, variant);
    free(get_text(key_url, 200));
    /* ... opens a checkout for the account and starts another sign-in. */
    doc = post(s, d.token, "/v1/purchase/session", "{\"pack_id\":\"coins-60\"}", 200);
    snprintf(session, sizeof(session), "%s", ts_str(doc, "id"));
    cJSON_Delete(doc);
    start_flow(s, &d, user_code, device_code);
    account_coins = coins_of(s, e.token, "account");

    doc = unlink_device(s, d.token, 200);
    snprintf(d.token, sizeof(d.token), "%s", ts_str(doc, "token"));
    cJSON_Delete(doc);

    /* The key URL it holds is refused: the device is no longer entitled. */
    free(get_text(key_url, 403));
    /* The checkout it opened for the account is closed, and paying it credits nobody. */
    doc = get(s, d.token, ts_fmt("/v1/purchase/session/%s", session), 200);
    assert_string_equal(ts_str(doc, "status"), "expired");
    cJSON_Delete(doc);
    free(get_text(ts_fmt("%s/checkout/%s", s->base, session), 410));
    {
        struct ts_response r;
        ts_http(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/checkout/%s/pay", s->base, session)},
                &r);
        assert_int_equal(r.status, 410);
        ts_response_free(&r);
    }
    assert_int_equal(coins_of(s, e.token, "account"), account_coins);
    assert_int_equal(coins_of(s, d.token, "device"), 0);
    /* The sign-in it started cannot link it behind its back. */
    assert_int_equal(activate(s, user_code, "ulopen", false), 409);
    doc = post(s, NULL, "/v1/device/token", ts_fmt("{\"device_code\":\"%s\"}", device_code), 400);
    ts_assert_error(doc, "expired_token");
    cJSON_Delete(doc);
    assert_int_equal(coins_of(s, d.token, "device"), 0);
    /* The answer recorded under its key was the account's: the key is judged afresh against
     * the guest wallet (which cannot pay), not replayed. */
    unlock(s, d.token, ts_fmt("%s-3", sr), "coins", "ul-open-k", 402);
    assert_string_equal(episode_state(s, d.token, sr, 3), "locked");
    assert_string_equal(episode_state(s, e.token, sr, 3), "unlocked");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlinked_device_is_a_fresh_guest),
        cmocka_unit_test(test_unlink_needs_a_linked_token),
        cmocka_unit_test(test_what_the_link_opened_is_closed),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
