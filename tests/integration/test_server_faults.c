/* binge-server v1, fault injection (--dev): every fault kind applied to home, series, play and
 * unlock really happens as a client sees it (curl's own error codes), faults after handling
 * leave exactly one charge behind a retried unlock, and without --dev there is no /dev/ and no
 * clock override. */

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
    char token[65];
};

static int suite_setup(void **state)
{
    static const char *const extra[] = {"--dev", "--rate-limit", "0", NULL};
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    return ts_server_start(&st->srv, st->tmpdir, "faults.db", extra);
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

static void set_fault(const struct ts_server *s, const char *json)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/dev/faults", s->base),
                                              .body = json},
                         200);

    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "faults")) >= 1);
    cJSON_Delete(doc);
}

static void clear_faults(const struct ts_server *s)
{
    cJSON *doc = ts_json(
        &(struct ts_request){.method = "DELETE", .url = ts_fmt("%s/dev/faults", s->base)}, 200);

    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "faults")), 0);
    cJSON_Delete(doc);
}

/* The four endpoints the client's fault matrix covers. The unlock is of a free episode, so it
 * answers 200 whenever it gets through, however often it is sent. */
struct endpoint {
    const char *name;
    const char *method;
    const char *path;
    const char *prefix;
    const char *body;
};

static const struct endpoint endpoints[] = {
    {"home", "GET", "/v1/home", "/v1/home", NULL},
    {"series", "GET", "/v1/series/midnight-heir", "/v1/series/", NULL},
    {"play", "POST", "/v1/episodes/midnight-heir-1/play", "/v1/episodes/midnight-heir-1/play",
     NULL},
    {"unlock", "POST", "/v1/episodes/midnight-heir-2/unlock", "/v1/episodes/midnight-heir-2/unlock",
     "{\"method\":\"coins\",\"idempotency_key\":\"fault-matrix\"}"},
};

static void call(const struct suite *st, const struct endpoint *e, long timeout_ms,
                 struct ts_response *r)
{
    ts_http(&(struct ts_request){.method = e->method,
                                 .url = ts_fmt("%s%s", st->srv.base, e->path),
                                 .token = st->token,
                                 .body = e->body,
                                 .timeout_ms = timeout_ms},
            r);
}

/* After a fault with count 1, the next request is served normally. */
static void expect_recovered(const struct suite *st, const struct endpoint *e)
{
    struct ts_response r;

    call(st, e, 0, &r);
    if (r.curl_rc != CURLE_OK || r.status != 200)
        fail_msg("%s after the fault: curl %d, status %ld", e->name, r.curl_rc, r.status);
    ts_response_free(&r);
}

static void test_fault_matrix(void **state)
{
    struct suite *st = *state;
    struct ts_server *s = &st->srv;

    ts_register(s, "f-matrix", st->token);
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        const struct endpoint *e = &endpoints[i];
        const char *rule =
            ts_fmt("\"path_prefix\":\"%s\",\"method\":\"%s\",\"count\":1", e->prefix, e->method);
        struct ts_response r;
        char rule_copy[512];
        cJSON *doc;

        snprintf(rule_copy, sizeof(rule_copy), "%s", rule);

        /* latency: late, but a normal answer. */
        set_fault(s, ts_fmt("{%s,\"fault\":\"latency\",\"ms\":600}", rule_copy));
        call(st, e, 0, &r);
        assert_int_equal(r.curl_rc, CURLE_OK);
        assert_int_equal(r.status, 200);
        if (r.seconds < 0.55)
            fail_msg("%s: latency fault took only %.3f s", e->name, r.seconds);
        ts_response_free(&r);
        expect_recovered(st, e);

        /* 500 */
        set_fault(s, ts_fmt("{%s,\"fault\":\"500\"}", rule_copy));
        doc = ts_json(&(struct ts_request){.method = e->method,
                                           .url = ts_fmt("%s%s", s->base, e->path),
                                           .token = st->token,
                                           .body = e->body},
                      500);
        ts_assert_error(doc, "internal");
        cJSON_Delete(doc);
        expect_recovered(st, e);

        /* 503 with Retry-After */
        set_fault(s, ts_fmt("{%s,\"fault\":\"503\",\"retry_after\":7}", rule_copy));
        doc = ts_json_r(&(struct ts_request){.method = e->method,
                                             .url = ts_fmt("%s%s", s->base, e->path),
                                             .token = st->token,
                                             .body = e->body},
                        503, &r);
        ts_assert_error(doc, "unavailable");
        assert_string_equal(r.retry_after, "7");
        ts_response_free(&r);
        cJSON_Delete(doc);
        expect_recovered(st, e);

        /* truncate: fewer bytes than Content-Length, then the connection closes. */
        set_fault(s, ts_fmt("{%s,\"fault\":\"truncate\"}", rule_copy));
        call(st, e, 0, &r);
        if (r.curl_rc != CURLE_PARTIAL_FILE)
            fail_msg("%s: truncate gave curl %d (%s)", e->name, r.curl_rc,
                     curl_easy_strerror(r.curl_rc));
        ts_response_free(&r);
        expect_recovered(st, e);

        /* reset: no answer at all, a TCP RST. */
        set_fault(s, ts_fmt("{%s,\"fault\":\"reset\"}", rule_copy));
        call(st, e, 0, &r);
        if (r.curl_rc != CURLE_RECV_ERROR)
            fail_msg("%s: reset gave curl %d (%s)", e->name, r.curl_rc,
                     curl_easy_strerror(r.curl_rc));
        assert_int_equal(r.status, 0);
        ts_response_free(&r);
        expect_recovered(st, e);

        /* oversize: 200 with 8 MiB of valid JSON, past the client's 4 MiB cap. */
        set_fault(s, ts_fmt("{%s,\"fault\":\"oversize\"}", rule_copy));
        call(st, e, 0, &r);
        assert_int_equal(r.curl_rc, CURLE_OK);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.len, 8 * 1024 * 1024);
        assert_true(r.len > 4 * 1024 * 1024);
        doc = cJSON_ParseWithLength(r.body, r.len);
        assert_non_null(doc);
        assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "shelves")) > 1000);
        cJSON_Delete(doc);
        ts_response_free(&r);
        expect_recovered(st, e);
    }
    /* Every rule was used up. */
    {
        cJSON *doc = ts_json(
            &(struct ts_request){.method = "GET", .url = ts_fmt("%s/dev/faults", s->base)}, 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "faults")), 0);
        cJSON_Delete(doc);
    }
    /* The log names each fault; no token and no query ever reaches it. */
    assert_true(ts_log_has(s, "GET /v1/home 200", 5));
    assert_true(ts_log_has(s, "fault=oversize", 5));
    assert_true(ts_log_has(s, "fault=reset", 5));
    assert_true(ts_log_has(s, "fault=truncate", 5));
    assert_false(ts_log_has(s, st->token, 0));
}

/* A fault that applies after the request was handled: the unlock happened, the answer was lost
 * (the client timed out). The retry with the same key gets the first answer; one debit. */
static void test_unlock_answer_lost(void **state)
{
    struct suite *st = *state;
    struct ts_server *s = &st->srv;
    const char *body = "{\"method\":\"coins\",\"idempotency_key\":\"lost-1\"}";
    struct ts_response r;
    char token[65];
    char url[256];

    ts_register(s, "f-lost", token);
    ts_buy(s, token, "coins-60");
    snprintf(url, sizeof(url), "%s/v1/episodes/revenge-ceo-3/unlock", s->base);
    set_fault(s, "{\"path_prefix\":\"/v1/episodes/revenge-ceo-3/unlock\",\"fault\":\"latency\","
                 "\"ms\":1500,\"phase\":\"after\",\"count\":3}");
    for (int i = 0; i < 3; i++) {
        ts_http(
            &(struct ts_request){
                .method = "POST", .url = url, .token = token, .body = body, .timeout_ms = 300},
            &r);
        assert_int_equal(r.curl_rc, CURLE_OPERATION_TIMEDOUT);
        ts_response_free(&r);
    }
    ts_http(&(struct ts_request){.method = "POST", .url = url, .token = token, .body = body}, &r);
    assert_int_equal(r.status, 200);
    {
        cJSON *doc = cJSON_Parse(r.body);
        assert_false(ts_bool(doc, "already_unlocked"));
        assert_int_equal((int)ts_num(ts_obj(doc, "charged"), "coins"), 30);
        cJSON_Delete(doc);
    }
    ts_response_free(&r);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM ledger WHERE owner = 'device:f-lost'"
                                   " AND reason = 'unlock'"),
                     1);
    assert_int_equal(ts_sql_int(s, "SELECT SUM(amount) FROM ledger WHERE owner = 'device:f-lost'"),
                     50);

    /* A reset after handling: the same story. */
    set_fault(s, "{\"path_prefix\":\"/v1/episodes/revenge-ceo-4/unlock\",\"fault\":\"reset\","
                 "\"phase\":\"after\",\"count\":1}");
    snprintf(url, sizeof(url), "%s/v1/episodes/revenge-ceo-4/unlock", s->base);
    body = "{\"method\":\"coins\",\"idempotency_key\":\"lost-2\"}";
    ts_http(&(struct ts_request){.method = "POST", .url = url, .token = token, .body = body}, &r);
    assert_int_equal(r.curl_rc, CURLE_RECV_ERROR);
    ts_response_free(&r);
    ts_http(&(struct ts_request){.method = "POST", .url = url, .token = token, .body = body}, &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    assert_int_equal(ts_sql_int(s, "SELECT SUM(amount) FROM ledger WHERE owner = 'device:f-lost'"),
                     20);
    clear_faults(s);
}

static void test_fault_rules(void **state)
{
    static const char *const bad[] = {
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"explode\"}",
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"latency\"}",
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"latency\",\"ms\":999999}",
        "{\"path_prefix\":\"v1/home\",\"fault\":\"500\"}",
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"500\",\"count\":0}",
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"500\",\"phase\":\"during\"}",
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"500\",\"method\":\"get\"}",
        "{\"path_prefix\":\"/v1/home\",\"fault\":\"oversize\",\"bytes\":1}",
        "{\"fault\":\"500\"}",
        "not json",
    };
    struct suite *st = *state;
    struct ts_server *s = &st->srv;
    struct ts_response r;
    cJSON *doc;
    const cJSON *rule;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = ts_json(&(struct ts_request){.method = "POST",
                                           .url = ts_fmt("%s/dev/faults", s->base),
                                           .body = bad[i]},
                      400);
        ts_assert_error(doc, "bad_request");
        cJSON_Delete(doc);
    }
    /* A rule for ever (count -1), for one method only, listed with its hits. */
    set_fault(s, "{\"path_prefix\":\"/v1/series/\",\"fault\":\"503\",\"method\":\"GET\"}");
    for (int i = 0; i < 3; i++) {
        ts_http(&(struct ts_request){.method = "GET",
                                     .url = ts_fmt("%s/v1/series/revenge-ceo", s->base)},
                &r);
        assert_int_equal(r.status, 503);
        ts_response_free(&r);
    }
    ts_http(&(struct ts_request){.method = "HEAD", .url = ts_fmt("%s/v1/home", s->base)}, &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    doc = ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/dev/faults", s->base)},
                  200);
    rule = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "faults"), 0);
    assert_string_equal(ts_str(rule, "fault"), "503");
    assert_int_equal((int)ts_num(rule, "count"), -1);
    assert_int_equal((int)ts_num(rule, "hits"), 3);
    cJSON_Delete(doc);
    /* /dev/ itself is never faulted, so the table can always be cleared. */
    set_fault(s, "{\"path_prefix\":\"/\",\"fault\":\"reset\"}");
    clear_faults(s);
    ts_http(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/series/revenge-ceo", s->base)},
        &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    /* A latency longer than the server's own shutdown must not hold the shutdown up: checked by
     * the teardown's clean SIGTERM after this rule. */
    set_fault(s, "{\"path_prefix\":\"/v1/packs\",\"fault\":\"latency\",\"ms\":60000}");
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/packs", s->base),
                                 .timeout_ms = 200},
            &r);
    assert_int_equal(r.curl_rc, CURLE_OPERATION_TIMEDOUT);
    ts_response_free(&r);
}

/* Without --dev: no /dev/, and X-Dev-Now changes nothing. */
static void test_no_dev(void **state)
{
    struct suite *st = *state;
    struct ts_server plain;
    char token[65];
    cJSON *doc;

    assert_int_equal(ts_server_start(&plain, st->tmpdir, "faults.db", NULL), 0);
    for (int i = 0; i < 3; i++) {
        static const char *const methods[] = {"GET", "POST", "DELETE"};
        doc = ts_json(&(struct ts_request){.method = methods[i],
                                           .url = ts_fmt("%s/dev/faults", plain.base),
                                           .body = i == 1 ? "{\"path_prefix\":\"/\",\"fault\":"
                                                            "\"reset\"}"
                                                          : NULL},
                      404);
        ts_assert_error(doc, "not_found");
        cJSON_Delete(doc);
    }
    ts_register(&plain, "f-plain", token);
    cJSON_Delete(ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/checkin", plain.base),
                                              .token = token},
                         200));
    /* "Tomorrow" is not honoured: still today, still claimed. */
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/checkin", plain.base),
                                       .token = token,
                                       .headers = {ts_dev_now((long long)time(NULL) + 86400)}},
                  409);
    ts_assert_error(doc, "already_claimed");
    cJSON_Delete(doc);
    assert_int_equal(ts_server_stop(&plain), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_matrix),
        cmocka_unit_test(test_unlock_answer_lost),
        cmocka_unit_test(test_no_dev),
        /* Last: it leaves a long latency rule behind for the teardown to meet. */
        cmocka_unit_test(test_fault_rules),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
