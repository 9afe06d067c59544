/* binge-server v1, "My list" and the series page: GET /v1/mylist, PUT and DELETE
 * /v1/mylist/{series_id} (idempotent, per wallet owner, bounded), the "mylist" shelf of home
 * and its ETag, in_mylist and the totals of GET /v1/series/{id}. A real server on loopback
 * with --dev (X-Dev-Now orders the additions) and its real SQLite database. */

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
    char series[3][64]; /* the catalog's series, in catalog order */
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
    const cJSON *item;
    int i = 0;

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0 ||
        ts_server_start(&st->srv, st->tmpdir, "mylist.db", extra) != 0)
        return -1;
    /* The series ids come from the server, so the content's names are not wired in here. */
    home = ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", st->srv.base)},
                   200);
    shelf = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(home, "shelves"), 0);
    if (strcmp(ts_str(shelf, "id"), "trending") != 0)
        return -1;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(shelf, "items"))
    {
        if (i < 3)
            snprintf(st->series[i++], sizeof(st->series[0]), "%s", ts_str(item, "id"));
    }
    cJSON_Delete(home);
    return i == 3 ? 0 : -1;
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

/* PUT or DELETE /v1/mylist/{id} at now (0: the server's clock); the answer's body. */
static cJSON *change(const struct ts_server *s, const char *method, const char *token,
                     const char *series, long long now, long want)
{
    struct ts_request rq = {
        .method = method, .url = ts_fmt("%s/v1/mylist/%s", s->base, series), .token = token};

    if (now > 0)
        rq.headers[0] = ts_dev_now(now);
    return ts_json(&rq, want);
}

static void put_ok(const struct ts_server *s, const char *token, const char *series, long long now,
                   bool added, int count)
{
    cJSON *doc = change(s, "PUT", token, series, now, 200);

    assert_string_equal(ts_str(doc, "series_id"), series);
    assert_true(ts_bool(doc, "in_mylist"));
    assert_int_equal(ts_bool(doc, "added"), added);
    assert_int_equal((int)ts_num(doc, "count"), count);
    assert_int_equal((int)ts_num(doc, "max"), 200);
    cJSON_Delete(doc);
}

static void delete_ok(const struct ts_server *s, const char *token, const char *series,
                      bool removed, int count)
{
    cJSON *doc = change(s, "DELETE", token, series, 0, 200);

    assert_string_equal(ts_str(doc, "series_id"), series);
    assert_false(ts_bool(doc, "in_mylist"));
    assert_int_equal(ts_bool(doc, "removed"), removed);
    assert_int_equal((int)ts_num(doc, "count"), count);
    cJSON_Delete(doc);
}

static cJSON *mylist(const struct ts_server *s, const char *token, const char *lang)
{
    return ts_json(&(struct ts_request){.method = "GET",
                                        .url = ts_fmt("%s/v1/mylist", s->base),
                                        .token = token,
                                        .headers = {lang}},
                   200);
}

/* The ids of an items array, comma-separated (static buffer). */
static const char *ids_of(const cJSON *items)
{
    static char out[1024];
    const cJSON *item;
    size_t o = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(item, items)
    {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", ts_str(item, "id"));
    }
    return out;
}

static const char *list_ids(const struct ts_server *s, const char *token)
{
    cJSON *doc = mylist(s, token, NULL);
    const char *ids = ids_of(cJSON_GetObjectItemCaseSensitive(doc, "items"));

    assert_int_equal((int)ts_num(doc, "count"),
                     cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")));
    cJSON_Delete(doc);
    return ids;
}

static bool in_mylist(const struct ts_server *s, const char *token, const char *series)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "GET",
                                              .url = ts_fmt("%s/v1/series/%s", s->base, series),
                                              .token = token},
                         200);
    bool in = ts_bool(doc, "in_mylist");

    cJSON_Delete(doc);
    return in;
}

/* ---- the list ------------------------------------------------------------------------------- */

static void test_put_get_delete_idempotent(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    char want[256];
    cJSON *doc;
    const cJSON *item;
    struct ts_response r;

    ts_register(s, "ml-a", token);
    doc = mylist(s, token, NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), 0);
    assert_int_equal((int)ts_num(doc, "count"), 0);
    assert_int_equal((int)ts_num(doc, "max"), 200);
    cJSON_Delete(doc);

    put_ok(s, token, st->series[0], t0 + 10, true, 1);
    put_ok(s, token, st->series[0], t0 + 20, false, 1); /* PUT twice: one entry */
    put_ok(s, token, st->series[2], t0 + 30, true, 2);
    put_ok(s, token, st->series[1], t0 + 40, true, 3);
    /* A PUT of a listed series keeps its place: the list stays newest first by addition. */
    put_ok(s, token, st->series[2], t0 + 50, false, 3);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist WHERE owner = 'device:ml-a'"), 3);

    doc = ts_json_r(&(struct ts_request){.method = "GET",
                                         .url = ts_fmt("%s/v1/mylist", s->base),
                                         .token = token,
                                         .headers = {"Accept-Language: es"}},
                    200, &r);
    snprintf(want, sizeof(want), "%s,%s,%s", st->series[1], st->series[2], st->series[0]);
    assert_string_equal(ids_of(cJSON_GetObjectItemCaseSensitive(doc, "items")), want);
    assert_string_equal(r.content_language, "es");
    assert_non_null(strstr(r.vary, "Authorization"));
    assert_int_equal(r.etag[0], '"');
    /* Items have the shape of home's items, plus added_at. */
    item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 2);
    assert_true(strlen(ts_str(item, "title")) > 0);
    assert_true(ts_num(item, "episode_count") == 9);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(item, "poster_url"));
    assert_int_equal((long long)ts_num(item, "added_at"), t0 + 10);
    cJSON_Delete(doc);
    ts_response_free(&r);

    delete_ok(s, token, st->series[2], true, 2);
    delete_ok(s, token, st->series[2], false, 2); /* DELETE of an absent one: 200, nothing */
    snprintf(want, sizeof(want), "%s,%s", st->series[1], st->series[0]);
    assert_string_equal(list_ids(s, token), want);
    /* Added again, it is the newest. */
    put_ok(s, token, st->series[2], t0 + 60, true, 3);
    snprintf(want, sizeof(want), "%s,%s,%s", st->series[2], st->series[1], st->series[0]);
    assert_string_equal(list_ids(s, token), want);
}

static void test_bad_input(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    char token[65];
    char huge[2001];
    struct ts_response r;
    cJSON *doc;

    ts_register(s, "ml-bad", token);
    static const char *const unknown[] = {"no-such-series", "Bad_Id", "a%2Fb", "..", "-"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        doc = change(s, "PUT", token, unknown[i], 0, 404);
        ts_assert_error(doc, "not_found");
        cJSON_Delete(doc);
        doc = change(s, "DELETE", token, unknown[i], 0, 404);
        ts_assert_error(doc, "not_found");
        cJSON_Delete(doc);
    }
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    doc = change(s, "PUT", token, huge, 0, 404);
    ts_assert_error(doc, "not_found");
    cJSON_Delete(doc);
    /* 129 characters of a valid id shape: still no such series. */
    huge[129] = '\0';
    doc = change(s, "PUT", token, huge, 0, 404);
    ts_assert_error(doc, "not_found");
    cJSON_Delete(doc);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist WHERE owner = 'device:ml-bad'"), 0);

    /* A token is required, and a bad one is refused. */
    doc = change(s, "PUT", NULL, st->series[0], 0, 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc = change(s, "DELETE", NULL, st->series[0], 0, 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc =
        ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/mylist", s->base)}, 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);
    doc = change(s, "PUT", "0000000000000000000000000000000000000000000000000000000000000000",
                 st->series[0], 0, 401);
    ts_assert_error(doc, "unauthorized");
    cJSON_Delete(doc);

    /* Wrong methods: 405 with the right ones in Allow. */
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/mylist/%s", s->base, st->series[0]),
                                 .token = token},
            &r);
    assert_int_equal(r.status, 405);
    ts_response_free(&r);
    doc = ts_json(
        &(struct ts_request){
            .method = "POST", .url = ts_fmt("%s/v1/mylist", s->base), .token = token, .body = "{}"},
        405);
    ts_assert_error(doc, "method_not_allowed");
    cJSON_Delete(doc);
    /* The collection itself cannot be put or deleted. */
    doc = ts_json(&(struct ts_request){.method = "DELETE",
                                       .url = ts_fmt("%s/v1/mylist", s->base),
                                       .token = token},
                  405);
    cJSON_Delete(doc);
    /* A body is ignored (the path says everything). */
    doc = ts_json(&(struct ts_request){.method = "PUT",
                                       .url = ts_fmt("%s/v1/mylist/%s", s->base, st->series[0]),
                                       .token = token,
                                       .body = "not json at all"},
                  200);
    cJSON_Delete(doc);
}

static void test_isolation(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    char a[65];
    char b[65];

    ts_register(s, "ml-iso-a", a);
    ts_register(s, "ml-iso-b", b);
    put_ok(s, a, st->series[0], 0, true, 1);
    assert_string_equal(list_ids(s, a), st->series[0]);
    assert_string_equal(list_ids(s, b), "");
    assert_true(in_mylist(s, a, st->series[0]));
    assert_false(in_mylist(s, b, st->series[0]));
    assert_false(in_mylist(s, a, st->series[1]));
    /* B's delete touches only B's (empty) list. */
    delete_ok(s, b, st->series[0], false, 0);
    assert_string_equal(list_ids(s, a), st->series[0]);
    /* B's own entry does not show on A's list. */
    put_ok(s, b, st->series[1], 0, true, 1);
    assert_string_equal(list_ids(s, a), st->series[0]);
    assert_string_equal(list_ids(s, b), st->series[1]);
    /* Anonymous: no list, in_mylist false. */
    {
        cJSON *doc =
            ts_json(&(struct ts_request){.method = "GET",
                                         .url = ts_fmt("%s/v1/series/%s", s->base, st->series[0])},
                    200);
        assert_false(ts_bool(doc, "in_mylist"));
        cJSON_Delete(doc);
    }
}

/* ---- linked devices --------------------------------------------------------------------- */

/* Links token's device to the account name (created when create) through the device flow and
 * the activation form, as a TV and a phone would. */
static void link_device(const struct ts_server *s, const char *token, const char *name, bool create)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/device/code", s->base),
                                              .token = token},
                         200);
    char user_code[16];
    char device_code[65];
    struct ts_response r;

    snprintf(user_code, sizeof(user_code), "%s", ts_str(doc, "user_code"));
    snprintf(device_code, sizeof(device_code), "%s", ts_str(doc, "device_code"));
    cJSON_Delete(doc);
    ts_http(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/activate", s->base),
                             .body = ts_fmt("user_code=%s&name=%s&password=pw-%s-123&action=%s",
                                            user_code, name, name, create ? "create" : "approve"),
                             .headers = {"Content-Type: application/x-www-form-urlencoded"}},
        &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/device/token", s->base),
                                       .body = ts_fmt("{\"device_code\":\"%s\"}", device_code)},
                  200);
    assert_string_equal(ts_str(ts_obj(doc, "account"), "name"), name);
    cJSON_Delete(doc);
}

static void test_linked_devices_share_the_list(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char a[65];
    char c[65];
    char other[65];
    char want[256];

    ts_register(s, "ml-link-a", a);
    ts_register(s, "ml-link-c", c);
    ts_register(s, "ml-link-x", other);
    put_ok(s, a, st->series[0], t0 + 10, true, 1);
    /* A's guest list moves to the account it links to. */
    link_device(s, a, "mllist", true);
    assert_string_equal(list_ids(s, a), st->series[0]);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist WHERE owner = 'device:ml-link-a'"),
                     0);
    /* C lists two, one of them the account's too; after linking the account lists each once. */
    put_ok(s, c, st->series[1], t0 + 20, true, 1);
    put_ok(s, c, st->series[0], t0 + 30, true, 2);
    link_device(s, c, "mllist", false);
    snprintf(want, sizeof(want), "%s,%s", st->series[1], st->series[0]);
    assert_string_equal(list_ids(s, a), want);
    assert_string_equal(list_ids(s, c), want);
    /* One list: what C adds, A sees, and what A removes, C no longer sees. */
    put_ok(s, c, st->series[2], t0 + 40, true, 3);
    assert_true(in_mylist(s, a, st->series[2]));
    delete_ok(s, a, st->series[1], true, 2);
    snprintf(want, sizeof(want), "%s,%s", st->series[2], st->series[0]);
    assert_string_equal(list_ids(s, c), want);
    /* A device of no account sees none of it. */
    assert_string_equal(list_ids(s, other), "");
    assert_false(in_mylist(s, other, st->series[2]));
}

/* ---- bounds ------------------------------------------------------------------------------- */

static void test_list_is_bounded(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    char token[65];
    cJSON *doc;

    ts_register(s, "ml-full", token);
    put_ok(s, token, st->series[0], 0, true, 1);
    /* 199 more entries (of series that are not in the catalog, so only SQL can put them). */
    ts_sql_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 199)"
                   " INSERT INTO mylist (owner, series_id, added_at)"
                   " SELECT 'device:ml-full', 'gone-' || i, 1 FROM n");
    doc = change(s, "PUT", token, st->series[1], 0, 409);
    ts_assert_error(doc, "mylist_full");
    assert_int_equal((int)ts_num(doc, "max"), 200);
    cJSON_Delete(doc);
    /* Nothing was added; a series already listed is still fine to PUT. */
    put_ok(s, token, st->series[0], 0, false, 200);
    assert_false(in_mylist(s, token, st->series[1]));
    /* Entries of series the catalog no longer shows are not listed, but can be removed. */
    assert_string_equal(list_ids(s, token), st->series[0]);
    delete_ok(s, token, "gone-7", true, 199);
    put_ok(s, token, st->series[1], 0, true, 200);
}

static void test_merge_keeps_the_newest(void **state)
{
    struct ts_server *s = srv_of(state);
    char a[65];
    char b[65];

    ts_register(s, "ml-trim-a", a);
    ts_register(s, "ml-trim-b", b);
    link_device(s, a, "mltrim", true);
    /* The account lists 150 (added at 1001..1150), the guest 100 newer ones (2001..2100) and
     * one the account lists too. */
    ts_sql_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)"
                   " INSERT INTO mylist (owner, series_id, added_at)"
                   " SELECT 'account:' || (SELECT id FROM accounts WHERE name = 'mltrim'),"
                   " 'acct-' || i, 1000 + i FROM n");
    ts_sql_exec(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
                   " INSERT INTO mylist (owner, series_id, added_at)"
                   " SELECT 'device:ml-trim-b', 'dev-' || i, 2000 + i FROM n;"
                   " INSERT INTO mylist (owner, series_id, added_at)"
                   " VALUES ('device:ml-trim-b', 'acct-150', 5000)");
    link_device(s, b, "mltrim", false);
    /* 250 distinct series: the newest 200 stay (all of the guest's, the account's 51..150). */
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist m JOIN accounts a ON m.owner ="
                                   " 'account:' || a.id WHERE a.name = 'mltrim'"),
                     200);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist WHERE series_id LIKE 'dev-%'"),
                     100);
    assert_int_equal(ts_sql_int(s, "SELECT MIN(added_at) FROM mylist WHERE series_id LIKE"
                                   " 'acct-%'"),
                     1051);
    /* The series on both lists is there once, with the account's date. */
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist WHERE series_id = 'acct-150'"), 1);
    assert_int_equal(ts_sql_int(s, "SELECT added_at FROM mylist WHERE series_id = 'acct-150'"),
                     1150);
    assert_int_equal(ts_sql_int(s, "SELECT COUNT(*) FROM mylist WHERE owner = 'device:ml-trim-b'"),
                     0);
}

/* ---- home -------------------------------------------------------------------------------- */

static cJSON *home(const struct ts_server *s, const char *token, const char *inm, long want,
                   char *etag)
{
    struct ts_response r;
    cJSON *doc = NULL;

    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/home", s->base),
                                 .token = token,
                                 .headers = {inm ? ts_fmt("If-None-Match: %s", inm) : NULL}},
            &r);
    assert_int_equal(r.status, want);
    if (etag)
        snprintf(etag, 128, "%s", r.etag);
    if (want == 200) {
        doc = cJSON_Parse(r.body);
        assert_non_null(doc);
    }
    ts_response_free(&r);
    return doc;
}

/* The index of shelf id in home, or -1. */
static int shelf_at(const cJSON *doc, const char *id)
{
    const cJSON *sh;
    int i = 0;

    cJSON_ArrayForEach(sh, cJSON_GetObjectItemCaseSensitive(doc, "shelves"))
    {
        if (strcmp(ts_str(sh, "id"), id) == 0)
            return i;
        i++;
    }
    return -1;
}

static void test_home_shelf_and_etag(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    long long t0 = (long long)time(NULL);
    char token[65];
    char e0[128];
    char e1[128];
    char e2[128];
    char want[256];
    cJSON *doc;
    const cJSON *sh;

    ts_register(s, "ml-home", token);
    doc = home(s, token, NULL, 200, e0);
    assert_int_equal(shelf_at(doc, "mylist"), -1); /* no shelf for an empty list */
    cJSON_Delete(doc);
    assert_null(home(s, token, e0, 304, NULL));

    put_ok(s, token, st->series[1], t0 + 10, true, 1);
    put_ok(s, token, st->series[2], t0 + 20, true, 2);
    /* The old ETag no longer matches: the answer changed. */
    doc = home(s, token, e0, 200, e1);
    assert_string_not_equal(e0, e1);
    assert_int_equal(shelf_at(doc, "mylist"), 0); /* first when there is nothing to continue */
    sh = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "shelves"), 0);
    assert_string_equal(ts_str(sh, "title"), "My list");
    snprintf(want, sizeof(want), "%s,%s", st->series[2], st->series[1]);
    assert_string_equal(ids_of(cJSON_GetObjectItemCaseSensitive(sh, "items")), want);
    cJSON_Delete(doc);
    assert_null(home(s, token, e1, 304, NULL));

    /* After "Continue watching". */
    doc = ts_json(
        &(struct ts_request){
            .method = "POST",
            .url = ts_fmt("%s/v1/progress", s->base),
            .token = token,
            .body = ts_fmt("{\"items\":[{\"episode_id\":\"%s-1\",\"position_ms\":1000,"
                           "\"duration_ms\":3000,\"updated_at\":%lld000,\"event_id\":\"mlh-1\"}]}",
                           st->series[0], t0)},
        200);
    cJSON_Delete(doc);
    doc = home(s, token, e1, 200, e2);
    assert_int_equal(shelf_at(doc, "continue"), 0);
    assert_int_equal(shelf_at(doc, "mylist"), 1);
    assert_int_equal(shelf_at(doc, "trending"), 2);
    cJSON_Delete(doc);

    /* Removing one changes it again; localized title. */
    delete_ok(s, token, st->series[2], true, 1);
    doc = home(s, token, e2, 200, e1);
    assert_string_not_equal(e1, e2);
    sh = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "shelves"), 1);
    assert_string_equal(ts_str(sh, "id"), "mylist");
    assert_string_equal(ids_of(cJSON_GetObjectItemCaseSensitive(sh, "items")), st->series[1]);
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/home", s->base),
                                       .token = token,
                                       .headers = {"Accept-Language: es"}},
                  200);
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "shelves"), 1), "title"),
        "Mi lista");
    cJSON_Delete(doc);
    /* An emptied list takes the shelf away. */
    delete_ok(s, token, st->series[1], true, 0);
    doc = home(s, token, e1, 200, NULL);
    assert_int_equal(shelf_at(doc, "mylist"), -1);
    cJSON_Delete(doc);
    /* Anonymous home has no such shelf. */
    doc = home(s, NULL, NULL, 200, NULL);
    assert_int_equal(shelf_at(doc, "mylist"), -1);
    cJSON_Delete(doc);
}

/* ---- the series page ------------------------------------------------------------------------ */

static void test_series_page_fields(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    char token[65];
    char e0[128];
    struct ts_response r;
    cJSON *doc;
    const cJSON *ep;
    long long total = 0;
    int free_eps = 0;

    ts_register(s, "ml-series", token);
    doc = ts_json_r(&(struct ts_request){.method = "GET",
                                         .url = ts_fmt("%s/v1/series/%s", s->base, st->series[0]),
                                         .token = token},
                    200, &r);
    snprintf(e0, sizeof(e0), "%s", r.etag);
    ts_response_free(&r);
    cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(doc, "episodes"))
    {
        total += (long long)ts_num(ep, "duration_s");
        free_eps += ts_num(ep, "price_coins") == 0;
    }
    /* The content: 9 episodes of 3 s; --free-episodes 2; the list price is 30. */
    assert_int_equal((int)ts_num(doc, "episode_count"), 9);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "episodes")), 9);
    assert_int_equal((long long)ts_num(doc, "total_duration_s"), total);
    assert_int_equal(total, 27);
    assert_int_equal((int)ts_num(doc, "free_episodes"), 2);
    assert_int_equal(free_eps, 2);
    assert_int_equal((int)ts_num(doc, "episode_price_coins"), 30);
    assert_false(ts_bool(doc, "in_mylist"));
    /* The fields that were there stay. */
    assert_string_equal(ts_str(doc, "id"), st->series[0]);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(doc, "resume"));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "genres")));
    cJSON_Delete(doc);

    /* in_mylist follows the list, and so does the series ETag. */
    put_ok(s, token, st->series[0], 0, true, 1);
    assert_true(in_mylist(s, token, st->series[0]));
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/series/%s", s->base, st->series[0]),
                                 .token = token,
                                 .headers = {ts_fmt("If-None-Match: %s", e0)}},
            &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    delete_ok(s, token, st->series[0], true, 0);
    assert_false(in_mylist(s, token, st->series[0]));
}

/* Home, search and my list items carry what the hero of a focused card shows, with the values
 * of the series page, localized. */
static void expect_item_matches_series(const struct ts_server *s, const cJSON *item,
                                       const char *lang)
{
    cJSON *series =
        ts_json(&(struct ts_request){.method = "GET",
                                     .url = ts_fmt("%s/v1/series/%s", s->base, ts_str(item, "id")),
                                     .headers = {lang}},
                200);
    char *a;
    char *b;

    assert_string_equal(ts_str(item, "title"), ts_str(series, "title"));
    assert_string_equal(ts_str(item, "synopsis"), ts_str(series, "synopsis"));
    assert_true(strlen(ts_str(item, "synopsis")) > 0);
    a = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(item, "genres"));
    b = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(series, "genres"));
    assert_string_equal(a, b);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(item, "genres")) > 0);
    free(a);
    free(b);
    assert_int_equal((int)ts_num(item, "episode_count"), (int)ts_num(series, "episode_count"));
    assert_int_equal((int)ts_num(item, "free_episodes"), (int)ts_num(series, "free_episodes"));
    assert_int_equal((long long)ts_num(item, "total_duration_s"),
                     (long long)ts_num(series, "total_duration_s"));
    cJSON_Delete(series);
}

static void test_items_carry_the_hero(void **state)
{
    struct suite *st = suite_of(state);
    struct ts_server *s = srv_of(state);
    static const char *const langs[] = {NULL, "Accept-Language: es", "Accept-Language: th"};
    char token[65];
    char word[64];
    const cJSON *sh;
    const cJSON *item;
    cJSON *doc;
    int n = 0;

    ts_register(s, "ml-hero", token);
    put_ok(s, token, st->series[1], 0, true, 1);
    for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++) {
        doc = ts_json(&(struct ts_request){.method = "GET",
                                           .url = ts_fmt("%s/v1/home", s->base),
                                           .token = token,
                                           .headers = {langs[l]}},
                      200);
        cJSON_ArrayForEach(sh, cJSON_GetObjectItemCaseSensitive(doc, "shelves"))
        {
            cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(sh, "items"))
            {
                expect_item_matches_series(s, item, langs[l]);
                n++;
            }
        }
        cJSON_Delete(doc);
        doc = mylist(s, token, langs[l]);
        expect_item_matches_series(
            s, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 0), langs[l]);
        cJSON_Delete(doc);
    }
    assert_true(n > 9);
    /* Search items too, with synopsis once: search for the longest word of a title. */
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/series/%s", s->base, st->series[0])},
                  200);
    {
        const char *t = ts_str(doc, "title");
        size_t best = 0;
        size_t at = 0;
        for (size_t i = 0; t[i];) {
            size_t k = i;
            while ((t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= 'a' && t[k] <= 'z'))
                k++;
            if (k - i > best) {
                best = k - i;
                at = i;
            }
            i = k > i ? k : i + 1;
        }
        assert_true(best >= 3);
        snprintf(word, sizeof(word), "%.*s", (int)best, t + at);
    }
    cJSON_Delete(doc);
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/search?q=%s", s->base, word),
                                       .headers = {"Accept-Language: es"}},
                  200);
    item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 0);
    assert_non_null(item);
    {
        int count = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, item)
        {
            count += strcmp(m->string, "synopsis") == 0;
        }
        assert_int_equal(count, 1);
        expect_item_matches_series(s, item, "Accept-Language: es");
    }
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_delete_idempotent),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_linked_devices_share_the_list),
        cmocka_unit_test(test_list_is_bounded),
        cmocka_unit_test(test_merge_keeps_the_newest),
        cmocka_unit_test(test_home_shelf_and_etag),
        cmocka_unit_test(test_series_page_fields),
        cmocka_unit_test(test_items_carry_the_hero),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
