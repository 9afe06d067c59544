/* binge-server v1, devices: the RFC 8628 device flow (pending, slow_down, denied, expired,
 * approval on the /activate page with plain form posts) and the merge of the guest wallet into
 * the account, token refresh with rotation and expiry, and the migration of a version 1
 * database. A real server on loopback with --dev, so X-Dev-Now moves its clock. */

#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "test_server_common.h"

#define TOKEN_TTL 3600
#define MIA_PW "correct-horse-9"

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
    static const char *const extra[] = {"--dev", "--rate-limit", "0", "--token-ttl", "3600", NULL};
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    return ts_server_start(&st->srv, st->tmpdir, "device.db", extra);
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

struct code {
    char device_code[65];
    char user_code[16];
};

static void start_flow(const struct ts_server *s, const char *token, long long now,
                       struct code *out)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/device/code", s->base),
                                              .token = token,
                                              .headers = {ts_dev_now(now)}},
                         200);
    const char *uc;

    snprintf(out->device_code, sizeof(out->device_code), "%s", ts_str(doc, "device_code"));
    assert_int_equal(strlen(out->device_code), 64);
    uc = ts_str(doc, "user_code");
    snprintf(out->user_code, sizeof(out->user_code), "%s", uc);
    /* XXXX-XXXX of consonants that cannot be misread (no vowels, no 0/O or 1/I/L pairs). */
    assert_int_equal(strlen(uc), 9);
    assert_int_equal(uc[4], '-');
    for (int i = 0; i < 9; i++)
        assert_true(i == 4 || strchr("BCDFGHJKLMNPQRSTVWXZ", uc[i]));
    assert_string_equal(ts_str(doc, "verification_uri"), ts_fmt("%s/activate", s->base));
    assert_string_equal(ts_str(doc, "verification_uri_complete"),
                        ts_fmt("%s/activate?user_code=%s", s->base, uc));
    assert_int_equal((int)ts_num(doc, "expires_in"), 600);
    assert_int_equal((int)ts_num(doc, "interval"), 5);
    cJSON_Delete(doc);
}

/* Polls the token endpoint at now; returns the parsed answer (200 or 400). */
static cJSON *poll_token(const struct ts_server *s, const struct code *c, long long now, long want)
{
    return ts_json(&(struct ts_request){.method = "POST",
                                        .url = ts_fmt("%s/v1/device/token", s->base),
                                        .body = ts_fmt("{\"device_code\":\"%s\"}", c->device_code),
                                        .headers = {ts_dev_now(now)}},
                   want);
}

static void expect_poll(const struct ts_server *s, const struct code *c, long long now,
                        const char *error)
{
    cJSON *doc = poll_token(s, c, now, 400);

    ts_assert_error(doc, error);
    cJSON_Delete(doc);
}

/* Posts the activation form as a browser (or curl -d) would. Returns the HTTP status. */
static long activate(const struct ts_server *s, const char *form, long long now, char *page,
                     size_t cap)
{
    struct ts_response r;
    long status;

    ts_http(&(struct ts_request){.method = "POST",
                                 .url = ts_fmt("%s/activate", s->base),
                                 .body = form,
                                 .headers = {"Content-Type: application/x-www-form-urlencoded",
                                             ts_dev_now(now)}},
            &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_non_null(strstr(r.content_type, "text/html"));
    if (page)
        snprintf(page, cap, "%s", r.body ? r.body : "");
    status = r.status;
    ts_response_free(&r);
    return status;
}

static cJSON *wallet(const struct ts_server *s, const char *token)
{
    return ts_json(&(struct ts_request){.method = "GET",
                                        .url = ts_fmt("%s/v1/wallet", s->base),
                                        .token = token},
                   200);
}

static void report_progress(const struct ts_server *s, const char *token, const char *episode,
                            int pos, long long updated_at, const char *event)
{
    cJSON *doc = ts_json(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/v1/progress", s->base),
                             .token = token,
                             .body = ts_fmt("{\"items\":[{\"episode_id\":\"%s\",\"position_ms\":%d,"
                                            "\"duration_ms\":3000,\"updated_at\":%lld,"
                                            "\"event_id\":\"%s\"}]}",
                                            episode, pos, updated_at, event)},
        200);
    cJSON_Delete(doc);
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

static void test_device_flow_and_merge(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char guest[65];
    char account_token[65];
    char refresh[65];
    char page[4096];
    char lower[16];
    struct code c;
    cJSON *doc;
    const cJSON *account;
    long long account_id;

    /* A guest with a wallet of its own: 20 + 60 coins, one unlock (-30), a check-in, progress. */
    ts_register(s, "d-tv", guest);
    ts_buy(s, guest, "coins-60");
    cJSON_Delete(
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/revenge-ceo-3/unlock", s->base),
                                     .token = guest,
                                     .body = "{\"method\":\"coins\",\"idempotency_key\":"
                                             "\"m-1\"}"},
                200));
    cJSON_Delete(ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/checkin", s->base),
                                              .token = guest},
                         200));
    report_progress(s, guest, "midnight-heir-1", 1200, 5000, "tv-1");

    start_flow(s, guest, t0, &c);
    expect_poll(s, &c, t0, "authorization_pending");
    /* Polled again at once: slow down, and the interval grows by 5 s each time. */
    doc = poll_token(s, &c, t0 + 1, 400);
    ts_assert_error(doc, "slow_down");
    assert_int_equal((int)ts_num(doc, "interval"), 10);
    cJSON_Delete(doc);
    doc = poll_token(s, &c, t0 + 8, 400);
    ts_assert_error(doc, "slow_down");
    assert_int_equal((int)ts_num(doc, "interval"), 15);
    cJSON_Delete(doc);
    expect_poll(s, &c, t0 + 30, "authorization_pending");

    /* The page the QR code opens, prefilled. */
    {
        struct ts_response r;
        ts_http(
            &(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/activate?user_code=%s", s->base, c.user_code)},
            &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, ts_fmt("value=\"%s\"", c.user_code)));
        assert_non_null(strstr(r.body, "name=\"action\" value=\"approve\""));
        ts_response_free(&r);
    }
    /* Typed as people type: lower case, no dash. */
    for (int i = 0, o = 0; c.user_code[i]; i++) {
        if (c.user_code[i] != '-')
            lower[o++] = (char)tolower((unsigned char)c.user_code[i]);
        lower[o] = '\0';
    }
    assert_int_equal(
        activate(s, ts_fmt("user_code=%s&name=Mia+Chen&password=" MIA_PW "&action=create", lower),
                 t0 + 40, page, sizeof(page)),
        200);
    assert_non_null(strstr(page, "Mia Chen"));
    /* The account has a password, stored as a scrypt hash, never as typed. */
    assert_int_equal(ts_sql_int(s,
                                "SELECT COUNT(*) FROM accounts WHERE name = 'Mia Chen' AND"
                                " password LIKE 'scrypt$%' AND password NOT LIKE '%" MIA_PW "%'"),
                     1);
    /* Approving twice is refused. */
    assert_int_equal(
        activate(s, ts_fmt("user_code=%s&name=Mia+Chen&password=" MIA_PW "&action=approve", lower),
                 t0 + 41, NULL, 0),
        409);

    doc = poll_token(s, &c, t0 + 50, 200);
    assert_string_equal(ts_str(doc, "device_id"), "d-tv");
    snprintf(account_token, sizeof(account_token), "%s", ts_str(doc, "token"));
    snprintf(refresh, sizeof(refresh), "%s", ts_str(doc, "refresh_token"));
    assert_int_equal(strlen(refresh), 64);
    assert_int_equal((int)ts_num(doc, "expires_in"), TOKEN_TTL);
    account = ts_obj(doc, "account");
    account_id = (long long)ts_num(account, "id");
    assert_string_equal(ts_str(account, "name"), "Mia Chen");
    cJSON_Delete(doc);
    /* The device code is used up. */
    expect_poll(s, &c, t0 + 70, "invalid_grant");

    /* The guest wallet is now the account's, whichever token asks. */
    for (int i = 0; i < 2; i++) {
        doc = wallet(s, i ? guest : account_token);
        assert_string_equal(ts_str(doc, "owner"), "account");
        assert_string_equal(ts_str(ts_obj(doc, "account"), "name"), "Mia Chen");
        assert_int_equal((int)ts_num(doc, "coins"), 50);
        assert_int_equal((int)ts_num(doc, "bonus_coins"), 5);
        assert_true(ts_bool(ts_obj(doc, "checkin"), "claimed_today"));
        cJSON_Delete(doc);
    }
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:d-tv'"), 0);
    assert_int_equal(ts_sql_int(s, ts_fmt("SELECT COUNT(*) FROM ledger WHERE owner ="
                                          " 'account:%lld'",
                                          account_id)),
                     4);
    assert_int_equal(ts_sql_int(s, "SELECT account_id FROM devices WHERE device_id = 'd-tv'"),
                     account_id);
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/series/revenge-ceo", s->base),
                                       .token = account_token},
                  200);
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "episodes"), 2), "state"),
        "unlocked");
    cJSON_Delete(doc);
    assert_int_equal(resume_of(s, account_token, "midnight-heir-1"), 1200);

    /* A second device joins the same account (names are case-insensitive): its progress is
     * merged in (for the same episode the newer report wins), but not a second welcome credit:
     * those are once per account. */
    {
        char phone[65];
        struct code c2;
        ts_register(s, "d-phone", phone);
        report_progress(s, phone, "midnight-heir-1", 400, 1000, "ph-1");  /* older */
        report_progress(s, phone, "midnight-heir-2", 2000, 9000, "ph-2"); /* new */
        start_flow(s, phone, t0 + 100, &c2);
        assert_int_equal(
            activate(s, ts_fmt("user_code=%s&name=mia+chen&password=" MIA_PW, c2.user_code),
                     t0 + 110, NULL, 0),
            200);
        doc = wallet(s, phone);
        assert_int_equal((long long)ts_num(ts_obj(doc, "account"), "id"), account_id);
        assert_int_equal((int)ts_num(doc, "coins"), 50);
        cJSON_Delete(doc);
        assert_int_equal(resume_of(s, phone, "midnight-heir-1"), 1200);
        assert_int_equal(resume_of(s, account_token, "midnight-heir-2"), 2000);
        /* The first device sees the second one's unlock-free state and shared balance too. */
        doc = wallet(s, guest);
        assert_int_equal((int)ts_num(doc, "coins"), 50);
        cJSON_Delete(doc);
    }
}

static void test_device_flow_denied_expired(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    char page[4096];
    struct code c;
    struct code old;

    ts_register(s, "d-deny", token);
    start_flow(s, token, t0, &c);
    assert_int_equal(
        activate(s, ts_fmt("user_code=%s&action=deny", c.user_code), t0 + 5, page, sizeof(page)),
        200);
    assert_non_null(strstr(page, "not signed in"));
    expect_poll(s, &c, t0 + 10, "access_denied");
    expect_poll(s, &c, t0 + 20, "access_denied");
    /* Nothing was linked. */
    assert_int_equal(
        ts_sql_int(s, "SELECT COUNT(*) FROM devices WHERE device_id = 'd-deny' AND account_id"
                      " IS NOT NULL"),
        0);

    /* Expired: the poll says so, and so does the page. */
    start_flow(s, token, t0 + 100, &c);
    expect_poll(s, &c, t0 + 100 + 600, "expired_token");
    assert_int_equal(activate(s, ts_fmt("user_code=%s&name=late&password=whatever1", c.user_code),
                              t0 + 100 + 601, NULL, 0),
                     410);

    /* A new flow on the same device makes the older code expire at once. */
    start_flow(s, token, t0 + 1000, &old);
    start_flow(s, token, t0 + 1001, &c);
    expect_poll(s, &old, t0 + 1010, "expired_token");
    expect_poll(s, &c, t0 + 1010, "authorization_pending");

    /* Bad input on the page: unknown code, malformed code, no name. */
    assert_int_equal(
        activate(s, "user_code=BBBB-BBBB&name=x&password=whatever1", t0 + 1020, NULL, 0), 404);
    assert_int_equal(activate(s, "user_code=AEIO-U123&name=x", t0 + 1020, NULL, 0), 400);
    assert_int_equal(activate(s, "user_code=%ZZ&name=x", t0 + 1020, NULL, 0), 400);
    assert_int_equal(activate(s, ts_fmt("user_code=%s&name=+++", c.user_code), t0 + 1020, NULL, 0),
                     400);
    assert_int_equal(
        activate(s, ts_fmt("user_code=%s&name=x&action=maybe", c.user_code), t0 + 1020, NULL, 0),
        400);
    /* The page escapes what it echoes. */
    {
        struct ts_response r;
        ts_http(&(struct ts_request){.method = "GET",
                                     .url = ts_fmt("%s/activate?user_code=%%22%%3E%%3Cscript%%3E",
                                                   s->base)},
                &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "<script>"));
        ts_response_free(&r);
    }
    /* Bad token requests. */
    {
        cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                                  .url = ts_fmt("%s/v1/device/token", s->base),
                                                  .body = "{\"device_code\":\"short\"}"},
                             400);
        ts_assert_error(doc, "bad_request");
        cJSON_Delete(doc);
        doc = ts_json(&(struct ts_request){.method = "POST",
                                           .url = ts_fmt("%s/v1/device/token", s->base),
                                           .body = ts_fmt("{\"device_code\":\"%064d\"}", 0)},
                      400);
        ts_assert_error(doc, "invalid_grant");
        cJSON_Delete(doc);
        doc = ts_json(&(struct ts_request){.method = "POST",
                                           .url = ts_fmt("%s/v1/device/token", s->base),
                                           .body = ts_fmt("{\"device_code\":\"%s\",\"grant_type\":"
                                                          "\"password\"}",
                                                          c.device_code)},
                      400);
        ts_assert_error(doc, "unsupported_grant_type");
        cJSON_Delete(doc);
        /* The device code endpoint needs the guest token. */
        doc = ts_json(
            &(struct ts_request){.method = "POST", .url = ts_fmt("%s/v1/device/code", s->base)},
            401);
        cJSON_Delete(doc);
    }
    /* RFC 8628 form-encoded token requests work as well. */
    {
        cJSON *doc = ts_json(
            &(struct ts_request){
                .method = "POST",
                .url = ts_fmt("%s/v1/device/token", s->base),
                .body = ts_fmt("device_code=%s&grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-"
                               "type%%3Adevice_code",
                               c.device_code),
                .headers = {"Content-Type: application/x-www-form-urlencoded",
                            ts_dev_now(t0 + 1100)}},
            400);
        ts_assert_error(doc, "authorization_pending");
        cJSON_Delete(doc);
    }
}

static void test_refresh_rotation(void **state)
{
    struct ts_server *s = srv_of(state);
    long long now = (long long)time(NULL);
    char token[65];
    char refresh[65];
    char refresh2[65];
    char token2[65];
    cJSON *doc;

    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/device/register", s->base),
                                       .body = "{\"device_id\":\"d-refresh\"}"},
                  200);
    snprintf(token, sizeof(token), "%s", ts_str(doc, "token"));
    snprintf(refresh, sizeof(refresh), "%s", ts_str(doc, "refresh_token"));
    assert_int_equal((int)ts_num(doc, "expires_in"), TOKEN_TTL);
    cJSON_Delete(doc);

    /* The access token expires; then it is a 401 the client can tell apart. */
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/wallet", s->base),
                                       .token = token,
                                       .headers = {ts_dev_now(now + TOKEN_TTL + 10)}},
                  401);
    ts_assert_error(doc, "token_expired");
    cJSON_Delete(doc);

    /* Refresh: a new pair, and the old refresh token is spent. */
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/device/refresh", s->base),
                                       .body = ts_fmt("{\"refresh_token\":\"%s\"}", refresh),
                                       .headers = {ts_dev_now(now + TOKEN_TTL + 10)}},
                  200);
    assert_string_equal(ts_str(doc, "device_id"), "d-refresh");
    snprintf(token2, sizeof(token2), "%s", ts_str(doc, "token"));
    snprintf(refresh2, sizeof(refresh2), "%s", ts_str(doc, "refresh_token"));
    assert_string_not_equal(token2, token);
    assert_string_not_equal(refresh2, refresh);
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "account"));
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/wallet", s->base),
                                       .token = token2,
                                       .headers = {ts_dev_now(now + TOKEN_TTL + 10)}},
                  200);
    assert_int_equal((int)ts_num(doc, "coins"), 20);
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/device/refresh", s->base),
                                       .body = ts_fmt("{\"refresh_token\":\"%s\"}", refresh)},
                  400);
    ts_assert_error(doc, "invalid_grant");
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/device/refresh", s->base),
                                       .body = "{\"refresh_token\":42}"},
                  400);
    ts_assert_error(doc, "bad_request");
    cJSON_Delete(doc);
    /* Refreshing never re-grants the welcome coins. */
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE device_id = 'd-refresh'"), 1);
}

/* Registers device_id with an optional refresh token as proof; returns the answer. */
static cJSON *register_as(const struct ts_server *s, const char *device_id, const char *proof)
{
    return ts_json(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/v1/device/register", s->base),
                             .body = proof
                                         ? ts_fmt("{\"device_id\":\"%s\",\"refresh_token\":\"%s\"}",
                                                  device_id, proof)
                                         : ts_fmt("{\"device_id\":\"%s\"}", device_id)},
        200);
}

/* A device id is public (it is in every media URL): registering it again must not hand out
 * that device's tokens, wallet or account. Only its refresh token proves it is the device. */
static void test_register_needs_proof(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char victim[65];
    char refresh[65];
    char other_refresh[65];
    char thief_id[80];
    struct code c;
    cJSON *doc;

    doc = register_as(s, "d-victim", NULL);
    assert_string_equal(ts_str(doc, "device_id"), "d-victim");
    snprintf(victim, sizeof(victim), "%s", ts_str(doc, "token"));
    snprintf(refresh, sizeof(refresh), "%s", ts_str(doc, "refresh_token"));
    cJSON_Delete(doc);
    ts_buy(s, victim, "coins-60"); /* 80 coins */
    /* The victim links its TV to an account. */
    start_flow(s, victim, t0, &c);
    assert_int_equal(
        activate(s,
                 ts_fmt("user_code=%s&name=victim&password=victim-pw-1&action=create", c.user_code),
                 t0 + 5, NULL, 0),
        200);
    doc = poll_token(s, &c, t0 + 10, 200);
    snprintf(refresh, sizeof(refresh), "%s", ts_str(doc, "refresh_token"));
    cJSON_Delete(doc);

    /* Without proof, with a made-up proof, and with another device's refresh token: each time
     * a new guest of its own, with 20 welcome coins, no account, and an id that is not the
     * victim's. */
    doc = register_as(s, "d-other", NULL);
    snprintf(other_refresh, sizeof(other_refresh), "%s", ts_str(doc, "refresh_token"));
    cJSON_Delete(doc);
    for (int i = 0; i < 3; i++) {
        const char *proof = i == 0 ? NULL : i == 1 ? ts_fmt("%064d", 7) : other_refresh;
        char token[65];
        doc = register_as(s, "d-victim", proof);
        snprintf(thief_id, sizeof(thief_id), "%s", ts_str(doc, "device_id"));
        snprintf(token, sizeof(token), "%s", ts_str(doc, "token"));
        assert_string_not_equal(thief_id, "d-victim");
        assert_int_equal(strncmp(thief_id, "d-victim:", 9), 0);
        assert_int_equal(strlen(thief_id), 9 + 16);
        assert_null(cJSON_GetObjectItemCaseSensitive(doc, "account"));
        cJSON_Delete(doc);
        doc = wallet(s, token);
        assert_string_equal(ts_str(doc, "owner"), "device");
        assert_int_equal((int)ts_num(doc, "coins"), 20);
        cJSON_Delete(doc);
    }
    /* The other device's refresh token was not spent by the failed attempt on another id. */
    cJSON_Delete(register_as(s, "d-other", other_refresh));
    /* A long id still makes a valid new one (64 characters at most). */
    {
        char long_id[65];
        memset(long_id, 'L', 64);
        long_id[64] = '\0';
        cJSON_Delete(register_as(s, long_id, NULL));
        doc = register_as(s, long_id, NULL);
        assert_int_equal(strlen(ts_str(doc, "device_id")), 64);
        assert_int_equal(strncmp(ts_str(doc, "device_id"), long_id, 47), 0);
        cJSON_Delete(doc);
    }

    /* With its refresh token the device gets its own id back, with its account and wallet; the
     * refresh token is spent. */
    doc = register_as(s, "d-victim", refresh);
    assert_string_equal(ts_str(doc, "device_id"), "d-victim");
    assert_string_equal(ts_str(ts_obj(doc, "account"), "name"), "victim");
    snprintf(victim, sizeof(victim), "%s", ts_str(doc, "token"));
    cJSON_Delete(doc);
    doc = wallet(s, victim);
    assert_int_equal((int)ts_num(doc, "coins"), 80);
    cJSON_Delete(doc);
    doc = register_as(s, "d-victim", refresh);
    assert_string_not_equal(ts_str(doc, "device_id"), "d-victim");
    cJSON_Delete(doc);
    /* A malformed proof is a bad request. */
    cJSON_Delete(ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/device/register", s->base),
                                              .body = "{\"device_id\":\"d-victim\","
                                                      "\"refresh_token\":\"nope\"}"},
                         400));
}

/* /activate signs in before it approves: a name alone links nothing. */
static void test_activate_needs_password(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    char page[4096];
    struct code c;

    ts_register(s, "d-pw", token);
    start_flow(s, token, t0, &c);
    assert_int_equal(
        activate(s,
                 ts_fmt("user_code=%s&name=Pat&password=pat-secret-1&action=create", c.user_code),
                 t0 + 5, NULL, 0),
        200);
    cJSON_Delete(poll_token(s, &c, t0 + 10, 200));

    /* Another TV wants into Pat's account. */
    ts_register(s, "d-pw2", token);
    start_flow(s, token, t0 + 20, &c);
    /* No password, an empty one: 400. The name of an existing account cannot be taken by
     * creating it again: 409. */
    assert_int_equal(activate(s, ts_fmt("user_code=%s&name=Pat", c.user_code), t0 + 21, NULL, 0),
                     400);
    assert_int_equal(
        activate(s, ts_fmt("user_code=%s&name=Pat&password=", c.user_code), t0 + 21, NULL, 0), 400);
    assert_int_equal(
        activate(s,
                 ts_fmt("user_code=%s&name=pat&password=pat-secret-2&action=create", c.user_code),
                 t0 + 21, NULL, 0),
        409);
    /* A short password cannot create an account. */
    assert_int_equal(
        activate(s, ts_fmt("user_code=%s&name=Newbie&password=short&action=create", c.user_code),
                 t0 + 21, NULL, 0),
        400);
    /* A wrong password and an unknown name answer alike, and count as tries against the code:
     * the code stays pending meanwhile. */
    assert_int_equal(activate(s, ts_fmt("user_code=%s&name=Pat&password=pat-secret-2", c.user_code),
                              t0 + 22, page, sizeof(page)),
                     403);
    assert_non_null(strstr(page, "Wrong account name or password. 4 tries left"));
    assert_int_equal(activate(s,
                              ts_fmt("user_code=%s&name=Nobody&password=pat-secret-1", c.user_code),
                              t0 + 23, page, sizeof(page)),
                     403);
    assert_non_null(strstr(page, "Wrong account name or password. 3 tries left"));
    expect_poll(s, &c, t0 + 30, "authorization_pending");
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM devices WHERE device_id = 'd-pw2'"
                                   " AND account_id IS NOT NULL"),
                     0);
    /* The right password links it. */
    assert_int_equal(activate(s, ts_fmt("user_code=%s&name=PAT&password=pat-secret-1", c.user_code),
                              t0 + 31, NULL, 0),
                     200);
    cJSON_Delete(poll_token(s, &c, t0 + 40, 200));

    /* Guessing a password against one code is cut off: after 5 wrong tries the code is burned,
     * the right password no longer works on it, and the TV's poll tells it to start again. */
    ts_register(s, "d-pw3", token);
    start_flow(s, token, t0 + 100, &c);
    for (int i = 0; i < 5; i++)
        assert_int_equal(
            activate(s, ts_fmt("user_code=%s&name=Pat&password=guess-%04d", c.user_code, i),
                     t0 + 101 + i, page, sizeof(page)),
            403);
    assert_non_null(strstr(page, "last try"));
    assert_int_equal(activate(s, ts_fmt("user_code=%s&name=Pat&password=pat-secret-1", c.user_code),
                              t0 + 110, NULL, 0),
                     409);
    expect_poll(s, &c, t0 + 120, "expired_token");
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM devices WHERE device_id = 'd-pw3'"
                                   " AND account_id IS NOT NULL"),
                     0);
}

/* One sign-in post of the parallel burst below, on a thread of its own. */
struct burst_post {
    const char *url;
    char form[256];
    char dev_now[64];
    long status;
    bool html;
};

static void *burst_post_main(void *arg)
{
    struct burst_post *b = arg;
    struct ts_response r;

    ts_http(&(struct ts_request){.method = "POST",
                                 .url = b->url,
                                 .body = b->form,
                                 .headers = {"Content-Type: application/x-www-form-urlencoded",
                                             b->dev_now}},
            &r);
    b->status = r.curl_rc == CURLE_OK ? r.status : -1;
    b->html = strstr(r.content_type, "text/html") != NULL;
    ts_response_free(&r);
    return NULL;
}

/* Wrong passwords posted all at once against one code. Each pool thread that got one waited in
 * the KDF's lock for the others' scrypts (about 0.1 s each, more under ASan), and every other
 * connection that thread served waited with it: a few clients posting logins held the whole
 * server. Only one scrypt runs at a time now and no request waits for it: the others are told
 * at once to try again (503, Retry-After), with nothing counted against the code. 12 posts
 * sent together overlap: the old server never answered 503. */
static void test_parallel_logins_bounded(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    char url[512];
    struct code c;
    enum { N = 12 };
    struct burst_post posts[N];
    pthread_t threads[N];
    int wrong = 0, busy = 0, burned = 0;

    ts_register(s, "d-burst-owner", token);
    start_flow(s, token, t0, &c);
    assert_int_equal(
        activate(s,
                 ts_fmt("user_code=%s&name=Burst&password=burst-secret&action=create", c.user_code),
                 t0 + 1, NULL, 0),
        200);
    ts_register(s, "d-burst", token);
    start_flow(s, token, t0 + 10, &c);
    snprintf(url, sizeof(url), "%s/activate", s->base);
    for (int i = 0; i < N; i++) {
        posts[i].url = url;
        snprintf(posts[i].form, sizeof(posts[i].form),
                 "user_code=%s&name=Burst&password=guess-%04d", c.user_code, i);
        snprintf(posts[i].dev_now, sizeof(posts[i].dev_now), "X-Dev-Now: %lld", t0 + 11);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, burst_post_main, &posts[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_true(posts[i].html);
        if (posts[i].status == 403)
            wrong++;
        else if (posts[i].status == 503)
            busy++;
        else if (posts[i].status == 409)
            burned++;
        else
            fail_msg("post %d answered %ld", i, posts[i].status);
    }
    fprintf(stderr,
            "%d parallel wrong logins: %d checked (403), %d told to retry (503), %d after "
            "the code burned (409)\n",
            N, wrong, busy, burned);
    assert_true(wrong <= 5); /* DB_USER_CODE_MAX_TRIES */
    assert_true(busy >= 1);
    /* Then one at a time, as before: the code allows what is left of its 5 tries. */
    assert_int_equal(activate(s,
                              ts_fmt("user_code=%s&name=Burst&password=burst-secret", c.user_code),
                              t0 + 20, NULL, 0),
                     wrong < 5 ? 200 : 409);
}

/* 100 new devices linked to one account used to bring it 100 welcome credits. */
static void test_welcome_coins_once_per_account(void **state)
{
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    struct code c;
    cJSON *doc;

    for (int i = 0; i < 6; i++) {
        ts_register(s, ts_fmt("d-farm-%d", i), token);
        if (i == 5) /* this one spent nothing but holds bought coins too */
            ts_buy(s, token, "coins-60");
        start_flow(s, token, t0 + 10 * i, &c);
        assert_int_equal(activate(s,
                                  ts_fmt("user_code=%s&name=farm&password=farm-pw-123&action=%s",
                                         c.user_code, i == 0 ? "create" : "approve"),
                                  t0 + 10 * i + 1, NULL, 0),
                         200);
    }
    doc = wallet(s, token);
    assert_string_equal(ts_str(doc, "owner"), "account");
    assert_int_equal((int)ts_num(doc, "coins"), 20 + 60); /* one welcome credit, one purchase */
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger l JOIN accounts a ON l.owner ="
                                   " 'account:' || a.id WHERE a.name = 'farm' AND l.reason ="
                                   " 'welcome_return'"),
                     5);
}

/* The database and the secret are private to the server, and the database holds no token. */
static void test_db_and_secret_files_private(void **state)
{
    struct suite *st = *state;
    long long t0 = (long long)time(NULL);
    struct ts_server srv;
    struct stat sb;
    struct code c;
    char path[700];
    char token[65];
    char refresh[65];
    char device_code[65];
    cJSON *doc;
    int fd;

    /* An existing database left readable by others, as an older server made it. */
    snprintf(path, sizeof(path), "%s/loose.db", st->tmpdir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(
        ts_server_start(&srv, st->tmpdir, "loose.db",
                        (const char *const[]){"--dev", "--account", "QA:qa-password-1", NULL}),
        0);
    doc = register_as(&srv, "d-private", NULL);
    snprintf(token, sizeof(token), "%s", ts_str(doc, "token"));
    snprintf(refresh, sizeof(refresh), "%s", ts_str(doc, "refresh_token"));
    cJSON_Delete(doc);
    /* The account --account made signs in with its password (names are case-insensitive). */
    start_flow(&srv, token, t0, &c);
    snprintf(device_code, sizeof(device_code), "%s", c.device_code);
    assert_int_equal(activate(&srv,
                              ts_fmt("user_code=%s&name=qa&password=qa-password-2", c.user_code),
                              t0 + 1, NULL, 0),
                     403);
    assert_int_equal(activate(&srv,
                              ts_fmt("user_code=%s&name=qa&password=qa-password-1", c.user_code),
                              t0 + 2, NULL, 0),
                     200);
    assert_int_equal(ts_server_stop(&srv), 0);

    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/loose.db.secret", st->tmpdir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(ts_sql_int(&srv, "SELECT COUNT(*) FROM settings"), 0);
    /* Neither the tokens nor the device code appear anywhere in the database's files. */
    for (int i = 0; i < 3; i++) {
        static const char *const suffix[] = {"", "-wal", "-shm"};
        char *bytes;
        size_t len = 0;
        FILE *f;
        snprintf(path, sizeof(path), "%s/loose.db%s", st->tmpdir, suffix[i]);
        f = fopen(path, "rb");
        if (!f)
            continue; /* the server checkpointed and removed it */
        assert_int_equal(fstat(fileno(f), &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        bytes = calloc(1, (size_t)sb.st_size + 1);
        assert_non_null(bytes);
        len = fread(bytes, 1, (size_t)sb.st_size, f);
        fclose(f);
        assert_null(memmem(bytes, len, token, 64));
        assert_null(memmem(bytes, len, refresh, 64));
        assert_null(memmem(bytes, len, device_code, 64));
        free(bytes);
    }
    /* A secret file made readable by others is made private again at the next start. */
    snprintf(path, sizeof(path), "%s/loose.db.secret", st->tmpdir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(ts_server_start(&srv, st->tmpdir, "loose.db", NULL), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* And the token still works: the server compares hashes. */
    cJSON_Delete(wallet(&srv, token));
    assert_int_equal(ts_server_stop(&srv), 0);
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n requests from this address, one after the other; counts the answers with status ok and
 * the 429s (the first one's body and Retry-After are checked). Anything else fails the test. */
struct burst_result {
    int ok;
    int limited;
    double seconds;
};

static struct burst_result send_burst(const struct ts_request *(*make)(int i, void *ctx), void *ctx,
                                      int n, long ok_status)
{
    struct burst_result br = {0, 0, 0};
    double start = mono_s();

    for (int i = 0; i < n; i++) {
        struct ts_response r;
        ts_http(make(i, ctx), &r);
        assert_int_equal(r.curl_rc, CURLE_OK);
        if (r.status == ok_status) {
            br.ok++;
        } else if (r.status == 429) {
            if (br.limited++ == 0) {
                cJSON *doc = cJSON_Parse(r.body);
                assert_non_null(doc);
                ts_assert_error(doc, "rate_limited");
                cJSON_Delete(doc);
                assert_true(atoi(r.retry_after) >= 1);
            }
        } else {
            fail_msg("request %d answered %ld", i, r.status);
        }
        ts_response_free(&r);
    }
    br.seconds = mono_s() - start;
    return br;
}

/* A token bucket of burst tokens refilled at per_min a minute lets through at least burst and
 * at most burst plus what refilled while the requests went out, whatever the machine's
 * speed; the rest are 429. */
static void expect_bucket(struct burst_result br, int n, int burst, int per_min)
{
    int most = burst + (int)(br.seconds * per_min / 60.0) + 1;

    assert_int_equal(br.ok + br.limited, n);
    assert_true(br.ok >= burst);
    assert_true(br.ok <= most);
    if (most < n)
        assert_true(br.limited > 0);
}

struct limits_ctx {
    const struct ts_server *srv;
    const char *token;
    long long now;
    struct ts_request rq;
};

static const struct ts_request *make_register(int i, void *arg)
{
    struct limits_ctx *x = arg;

    x->rq = (struct ts_request){.method = "POST",
                                .url = ts_fmt("%s/v1/device/register", x->srv->base),
                                .body = ts_fmt("{\"device_id\":\"d-many-%d\"}", i)};
    return &x->rq;
}

static const struct ts_request *make_poll(int i, void *arg)
{
    struct limits_ctx *x = arg;

    x->rq = (struct ts_request){.method = "POST",
                                .url = ts_fmt("%s/v1/device/token", x->srv->base),
                                .body = ts_fmt("{\"device_code\":\"%064d\"}", i)};
    return &x->rq;
}

/* Guesses of user codes, each carrying a registered device's token: registering many devices
 * buys no more tries. */
static const struct ts_request *make_guess(int i, void *arg)
{
    static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
    struct limits_ctx *x = arg;

    x->rq = (struct ts_request){
        .method = "POST",
        .url = ts_fmt("%s/activate", x->srv->base),
        .token = x->token,
        .body = ts_fmt("user_code=BCDF-%c%cBB&name=x&password=guessing-1", alphabet[i % 20],
                       alphabet[i / 20 % 20]),
        .headers = {"Content-Type: application/x-www-form-urlencoded", ts_dev_now(x->now)}};
    return &x->rq;
}

/* Limits per client address on the endpoints where identities and guesses come cheap, whatever
 * device each request claims to be. With --auth-limit 4: 4 registrations and 4 activation posts
 * a minute, 24 device token polls. */
static void test_per_address_limits(void **state)
{
    struct suite *st = *state;
    static const char *const extra[] = {"--dev", "--rate-limit", "0", "--auth-limit", "4", NULL};
    struct limits_ctx x = {0};
    struct ts_server srv;
    struct burst_result br;
    char token[65];

    assert_int_equal(ts_server_start(&srv, st->tmpdir, "limits.db", extra), 0);
    x.srv = &srv;
    x.now = (long long)time(NULL);
    x.token = token;
    /* Registrations: the first one's token is kept for the guesses below. */
    {
        double start = mono_s();
        ts_register(&srv, "d-many-first", token);
        br = send_burst(make_register, &x, 11, 200);
        br.ok++;
        br.seconds = mono_s() - start;
        expect_bucket(br, 12, 4, 4);
    }
    /* Other endpoints are not held back by it. */
    cJSON_Delete(wallet(&srv, token));
    br = send_burst(make_poll, &x, 60, 400);
    expect_bucket(br, 60, 24, 24);
    br = send_burst(make_guess, &x, 60, 404);
    expect_bucket(br, 60, 4, 4);
    cJSON_Delete(wallet(&srv, token));
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* The schema of the walking skeleton (version 1), as it was created. */
static const char v1_schema[] =
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE series (id TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT NOT NULL,"
    "  synopsis TEXT NOT NULL DEFAULT '', genre TEXT NOT NULL DEFAULT '',"
    "  poster TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE episodes (id TEXT PRIMARY KEY, series_id TEXT NOT NULL REFERENCES series(id),"
    "  idx INTEGER NOT NULL, title TEXT NOT NULL, duration_s INTEGER NOT NULL,"
    "  path TEXT NOT NULL, price_coins INTEGER NOT NULL DEFAULT 0, UNIQUE (series_id, idx));"
    "CREATE TABLE devices (device_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);"
    "CREATE TABLE tokens (token TEXT PRIMARY KEY,"
    "  device_id TEXT NOT NULL REFERENCES devices(device_id), created_at INTEGER NOT NULL);"
    "CREATE TABLE ledger (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  amount INTEGER NOT NULL, reason TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX ledger_device ON ledger (device_id);"
    "CREATE TABLE unlocks (device_id TEXT NOT NULL REFERENCES devices(device_id),"
    "  episode_id TEXT NOT NULL REFERENCES episodes(id),"
    "  method TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (device_id, episode_id));"
    "INSERT INTO settings VALUES ('url_secret',"
    "  'abababababababababababababababababababababababababababababababab');"
    "INSERT INTO series VALUES ('midnight-heir', 0, 'Old title', '', 'Romance', '');"
    "INSERT INTO episodes VALUES ('midnight-heir-3', 'midnight-heir', 3, 'Episode 3', 3,"
    "  'midnight-heir/03/master.m3u8', 30);"
    "INSERT INTO devices VALUES ('old-tv', 1700000000);"
    "INSERT INTO tokens VALUES ('" /* token */
    "1111111111111111111111111111111111111111111111111111111111111111', 'old-tv', 1700000000);"
    "INSERT INTO ledger (device_id, amount, reason, created_at) VALUES"
    "  ('old-tv', 20, 'welcome', 1700000000), ('old-tv', 45, 'gift', 1700000001);"
    "INSERT INTO unlocks VALUES ('old-tv', 'midnight-heir-3', 'coins', 1700000002);"
    "PRAGMA user_version = 1;";

static void test_migration_from_v1(void **state)
{
    struct suite *st = *state;
    const char *token = "1111111111111111111111111111111111111111111111111111111111111111";
    struct ts_server old;
    sqlite3 *db = NULL;
    char path[600];
    cJSON *doc;

    snprintf(path, sizeof(path), "%s/v1.db", st->tmpdir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(
        ts_server_start(&old, st->tmpdir, "v1.db", (const char *const[]){"--dev", NULL}), 0);
    assert_int_equal(ts_sql_int(&old, "PRAGMA user_version"), 4);
    /* The token is kept as its hash now, and still works. */
    assert_int_equal(
        ts_sql_int(&old, ts_fmt("SELECT COUNT(*) FROM tokens WHERE token = '%s'", token)), 0);
    assert_int_equal(ts_sql_int(&old, "SELECT COUNT(*) FROM tokens"), 1);
    /* The URL secret left the database for its own file, unchanged. */
    assert_int_equal(ts_sql_int(&old, "SELECT COUNT(*) FROM settings"), 0);
    {
        unsigned char secret[32];
        ts_secret(&old, secret);
        for (int i = 0; i < 32; i++)
            assert_int_equal(secret[i], 0xab);
    }
    /* The old token still works (it has no expiry) and the balance is the old ledger's sum. */
    doc = wallet(&old, token);
    assert_int_equal((int)ts_num(doc, "coins"), 65);
    assert_string_equal(ts_str(doc, "owner"), "device");
    cJSON_Delete(doc);
    /* The catalog was brought in line with catalog.json, the unlock survived it. */
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/series/midnight-heir", old.base),
                                       .token = token},
                  200);
    assert_string_equal(ts_str(doc, "title"), "The Midnight Heir");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "episodes")), 9);
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "episodes"), 2), "state"),
        "unlocked");
    cJSON_Delete(doc);
    assert_int_equal(ts_server_stop(&old), 0);
    /* A second start on the migrated database is a no-op migration. */
    assert_int_equal(ts_server_start(&old, st->tmpdir, "v1.db", NULL), 0);
    assert_int_equal(ts_server_stop(&old), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_flow_and_merge),
        cmocka_unit_test(test_device_flow_denied_expired),
        cmocka_unit_test(test_refresh_rotation),
        cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_register_needs_proof),
        cmocka_unit_test(test_activate_needs_password),
        cmocka_unit_test(test_parallel_logins_bounded),
        cmocka_unit_test(test_welcome_coins_once_per_account),
        cmocka_unit_test(test_db_and_secret_files_private),
        cmocka_unit_test(test_per_address_limits),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
