/* Unit tests for src/catalog: table-driven rows that must parse and rows that must fail with a
 * message naming the field; the shared API fixtures; hostile input (huge, deep, truncated). */
#include "binge/catalog.h"
#include "binge/error.h"
#include "binge/util.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

enum parser {
    P_HOME,
    P_SERIES,
    P_PLAY,
    P_LOCKED,
    P_DEVICE,
    P_ERROR,
    /* issue 3 */
    P_SEARCH,
    P_WALLET,
    P_UNLOCK,
    P_REFUSAL, /* with row.status */
    P_CHECKIN, /* with row.status */
    P_PACKS,
    P_PURCHASE,
    P_DEVICE_CODE,
    P_TOKEN, /* with row.status */
    P_PROGRESS,
    P_HISTORY,
};

struct row {
    const char *name;
    enum parser parser;
    const char *json;
    int rc;
    const char *err; /* substring expected in the error message (rc != 0), or NULL */
};

/* A row for the issue-3 tables: status is the HTTP status for the parsers that take one. */
struct srow {
    const char *name;
    enum parser parser;
    const char *json;
    int rc;
    const char *err;
    long status;
};

/* Runs one parser on an exact-length copy (no terminating NUL, so ASan catches over-reads) and
 * frees the result. Returns the parser's code; err receives its message. */
static int run_parser_status(enum parser p, long status, const char *json, size_t len,
                             char err[CATALOG_ERR_LEN])
{
    char *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, json, len);
    int rc = BINGE_EINVAL;
    err[0] = '\0';

    switch (p) {
    case P_HOME: {
        struct catalog_home *h = NULL;
        rc = catalog_parse_home(buf, len, &h, err);
        assert_true(rc == 0 ? h != NULL : h == NULL);
        if (h) {
            /* The error of an item left out is the row's message. */
            assert_true((h->n_dropped == 0) == (h->dropped[0] == '\0'));
            snprintf(err, CATALOG_ERR_LEN, "%s", h->dropped);
        }
        catalog_home_free(h);
        break;
    }
    case P_SERIES: {
        struct catalog_series *s = NULL;
        rc = catalog_parse_series(buf, len, &s, err);
        assert_true(rc == 0 ? s != NULL : s == NULL);
        for (size_t i = 1; s && i < s->n_episodes; i++)
            assert_true(s->episodes[i - 1].index < s->episodes[i].index);
        catalog_series_free(s);
        break;
    }
    case P_PLAY: {
        struct catalog_play *pl = NULL;
        rc = catalog_parse_play(buf, len, &pl, err);
        assert_true(rc == 0 ? pl != NULL : pl == NULL);
        catalog_play_free(pl);
        break;
    }
    case P_LOCKED: {
        struct catalog_locked *l = NULL;
        rc = catalog_parse_locked(buf, len, &l, err);
        assert_true(rc == 0 ? l != NULL : l == NULL);
        catalog_locked_free(l);
        break;
    }
    case P_DEVICE: {
        struct catalog_device *d = NULL;
        rc = catalog_parse_device(buf, len, &d, err);
        assert_true(rc == 0 ? d != NULL : d == NULL);
        catalog_device_free(d);
        break;
    }
    case P_ERROR: {
        char *code = NULL, *message = NULL;
        rc = catalog_parse_error(buf, len, &code, &message);
        assert_true(rc == 0 ? code && message : !code && !message);
        free(code);
        free(message);
        break;
    }
    case P_SEARCH: {
        struct catalog_search *x = NULL;
        rc = catalog_parse_search(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_search_free(x);
        break;
    }
    case P_WALLET: {
        struct catalog_wallet *x = NULL;
        rc = catalog_parse_wallet(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_wallet_free(x);
        break;
    }
    case P_UNLOCK: {
        struct catalog_unlock *x = NULL;
        rc = catalog_parse_unlock(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_unlock_free(x);
        break;
    }
    case P_REFUSAL: {
        struct catalog_refusal *x = NULL;
        rc = catalog_parse_refusal(status, buf, len, &x, err);
        assert_true(rc == 0 ? x && x->code && x->message : x == NULL);
        catalog_refusal_free(x);
        break;
    }
    case P_CHECKIN: {
        struct catalog_checkin *x = NULL;
        rc = catalog_parse_checkin(status, buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_checkin_free(x);
        break;
    }
    case P_PACKS: {
        struct catalog_packs *x = NULL;
        rc = catalog_parse_packs(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_packs_free(x);
        break;
    }
    case P_HISTORY: {
        struct catalog_wallet_history *x = NULL;
        rc = catalog_parse_wallet_history(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        if (x) {
            /* The error of an item left out is the row's message. */
            assert_true((x->n_dropped == 0) == (x->dropped[0] == '\0'));
            snprintf(err, CATALOG_ERR_LEN, "%s", x->dropped);
        }
        catalog_wallet_history_free(x);
        break;
    }
    case P_PURCHASE: {
        struct catalog_purchase *x = NULL;
        rc = catalog_parse_purchase(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_purchase_free(x);
        break;
    }
    case P_DEVICE_CODE: {
        struct catalog_device_code *x = NULL;
        rc = catalog_parse_device_code(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_device_code_free(x);
        break;
    }
    case P_TOKEN: {
        struct catalog_token_poll *x = NULL;
        rc = catalog_parse_token_poll(status, buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        if (x)
            assert_true(x->status == CATALOG_TOKEN_OK ? x->tokens && !x->code
                                                      : !x->tokens && x->code && x->message);
        catalog_token_poll_free(x);
        break;
    }
    case P_PROGRESS: {
        struct catalog_progress_ack *x = NULL;
        rc = catalog_parse_progress_ack(buf, len, &x, err);
        assert_true(rc == 0 ? x != NULL : x == NULL);
        catalog_progress_ack_free(x);
        break;
    }
    }
    free(buf);
    return rc;
}

static int run_parser(enum parser p, const char *json, size_t len, char err[CATALOG_ERR_LEN])
{
    return run_parser_status(p, 0, json, len, err);
}

static void run_rows(const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[CATALOG_ERR_LEN];
        int rc = run_parser(rows[i].parser, rows[i].json, strlen(rows[i].json), err);
        if (rc != rows[i].rc || (rows[i].err && !strstr(err, rows[i].err))) {
            print_error("row '%s': rc %d (want %d), err '%s' (want '%s')\n", rows[i].name, rc,
                        rows[i].rc, err, rows[i].err ? rows[i].err : "");
            fail();
        }
        if (rc != 0 && rows[i].parser != P_ERROR)
            assert_true(strlen(err) > 0);
    }
}

static void run_srows(const struct srow *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[CATALOG_ERR_LEN];
        int rc = run_parser_status(rows[i].parser, rows[i].status, rows[i].json,
                                   strlen(rows[i].json), err);
        if (rc != rows[i].rc || (rows[i].err && !strstr(err, rows[i].err))) {
            print_error("row '%s': rc %d (want %d), err '%s' (want '%s')\n", rows[i].name, rc,
                        rows[i].rc, err, rows[i].err ? rows[i].err : "");
            fail();
        }
        if (rc != 0 && rows[i].parser != P_ERROR)
            assert_true(strlen(err) > 0);
    }
}

#define ITEM(title, poster, count)                                                                 \
    "{\"id\":\"s1\",\"title\":" title ",\"poster_url\":" poster ",\"episode_count\":" count "}"
#define ITEM_OK ITEM("\"T\"", "\"http://h/p.png\"", "12")
#define HOME1(items)                                                                               \
    "{\"shelves\":[{\"id\":\"trending\",\"title\":\"Trending\",\"items\":[" items "]}]}"

/* The hero fields of a home item (issue 9): genres in order, counts, and their absence. */
static void test_home_hero_fields(void **state)
{
    (void)state;
    char err[CATALOG_ERR_LEN];
    const char *json =
        HOME1("{\"id\":\"a\",\"title\":\"A\",\"episode_count\":42,\"synopsis\":\"S\","
              "\"genres\":[\"Romance\",\"Drama\"],\"free_episodes\":5,\"total_duration_s\":4320},"
              "{\"id\":\"b\",\"title\":\"B\",\"episode_count\":1}");
    struct catalog_home *h = NULL;
    assert_int_equal(catalog_parse_home(json, strlen(json), &h, err), 0);
    assert_int_equal(h->shelves[0].n_items, 2);
    const struct catalog_item *a = &h->shelves[0].items[0], *b = &h->shelves[0].items[1];
    assert_string_equal(a->synopsis, "S");
    assert_int_equal(a->n_genres, 2);
    assert_string_equal(a->genres[0], "Romance");
    assert_string_equal(a->genres[1], "Drama");
    assert_int_equal(a->free_episodes, 5);
    assert_int_equal(a->total_duration_s, 4320);
    assert_null(b->synopsis);
    assert_int_equal(b->n_genres, 0);
    assert_null(b->genres);
    assert_int_equal(b->free_episodes, -1);
    assert_int_equal(b->total_duration_s, -1);
    catalog_home_free(h);
}

static void test_home_rows(void **state)
{
    static const struct row rows[] = {
        /* must parse */
        {"docs example", P_HOME,
         "{\"shelves\":[{\"id\":\"trending\",\"title\":\"Trending\",\"items\":[{\"id\":\"midnight-"
         "heir\",\"title\":\"The Midnight Heir\",\"poster_url\":\"http://127.0.0.1:8080/images/"
         "midnight-heir/poster.png\",\"episode_count\":12}]}]}",
         0, NULL},
        {"no shelves", P_HOME, "{\"shelves\":[]}", 0, NULL},
        {"empty shelf", P_HOME, HOME1(""), 0, NULL},
        {"https poster", P_HOME, HOME1(ITEM("\"T\"", "\"HTTPS://h/p.png\"", "0")), 0, NULL},
        {"unknown fields ignored", P_HOME,
         "{\"v\":2,\"shelves\":[{\"id\":\"a\",\"title\":\"A\",\"x\":[1,{}],\"items\":[{\"id\":"
         "\"s\",\"title\":\"\",\"poster_url\":\"http://h/\",\"episode_count\":1,\"new\":null}]}"
         "],\"extra\":{\"deep\":[[[]]]}}",
         0, NULL},
        {"whitespace around", P_HOME, " \n\t{\"shelves\":[]}\r\n ", 0, NULL},
        {"integral float count", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "3.0")), 0, NULL},

        /* document level */
        {"empty", P_HOME, "", BINGE_EPARSE, "empty document"},
        {"blank", P_HOME, "   ", BINGE_EPARSE, "invalid JSON"},
        {"top-level array", P_HOME, "[]", BINGE_EPARSE, "top level"},
        {"top-level string", P_HOME, "\"shelves\"", BINGE_EPARSE, "top level"},
        {"top-level null", P_HOME, "null", BINGE_EPARSE, "top level"},
        {"top-level number", P_HOME, "42", BINGE_EPARSE, "top level"},
        {"truncated", P_HOME, "{\"shelves\":[{\"id\":\"a\",\"tit", BINGE_EPARSE, "invalid JSON"},
        {"truncated after value", P_HOME, "{\"shelves\":[]", BINGE_EPARSE, "invalid JSON"},
        {"trailing garbage", P_HOME, "{\"shelves\":[]} x", BINGE_EPARSE, "after the JSON"},
        {"two documents", P_HOME, "{\"shelves\":[]}{}", BINGE_EPARSE, "after the JSON"},
        {"not json", P_HOME, "<html>502 Bad Gateway</html>", BINGE_EPARSE, "invalid JSON"},

        /* fields */
        {"shelves missing", P_HOME, "{}", BINGE_EPARSE, "shelves: missing"},
        {"shelves object", P_HOME, "{\"shelves\":{}}", BINGE_EPARSE, "shelves: expected an array"},
        {"shelves null", P_HOME, "{\"shelves\":null}", BINGE_EPARSE, "shelves: expected an array"},
        {"shelf not object", P_HOME, "{\"shelves\":[1]}", BINGE_EPARSE,
         "shelves[0]: expected an object"},
        {"shelf id missing", P_HOME, "{\"shelves\":[{\"title\":\"A\",\"items\":[]}]}", BINGE_EPARSE,
         "shelves[0].id: missing"},
        {"shelf id number", P_HOME, "{\"shelves\":[{\"id\":1,\"title\":\"A\",\"items\":[]}]}",
         BINGE_EPARSE, "shelves[0].id: expected a string"},
        {"shelf id empty", P_HOME, "{\"shelves\":[{\"id\":\"\",\"title\":\"A\",\"items\":[]}]}",
         BINGE_EPARSE, "shelves[0].id: expected a non-empty string"},
        {"shelf title bool", P_HOME, "{\"shelves\":[{\"id\":\"a\",\"title\":true,\"items\":[]}]}",
         BINGE_EPARSE, "shelves[0].title: expected a string"},
        {"shelf items missing", P_HOME, "{\"shelves\":[{\"id\":\"a\",\"title\":\"A\"}]}",
         BINGE_EPARSE, "shelves[0].items: missing"},
        {"shelf items string", P_HOME,
         "{\"shelves\":[{\"id\":\"a\",\"title\":\"A\",\"items\":\"x\"}]}", BINGE_EPARSE,
         "shelves[0].items: expected an array"},
        {"second shelf bad", P_HOME,
         "{\"shelves\":[{\"id\":\"a\",\"title\":\"A\",\"items\":[]},{\"id\":\"b\",\"items\":[]}]}",
         BINGE_EPARSE, "shelves[1].title: missing"},
        /* One bad item is left out (its error kept in home->dropped), not the whole home. */
        {"item not object", P_HOME, HOME1("[]"), 0, "shelves[0].items[0]: expected an object"},
        {"third item title number", P_HOME,
         HOME1(ITEM_OK "," ITEM_OK "," ITEM("7", "\"http://h/p\"", "1")), 0,
         "shelves[0].items[2].title: expected a string"},
        {"item title null", P_HOME, HOME1(ITEM("null", "\"http://h/p\"", "1")), 0,
         "shelves[0].items[0].title: missing"},
        {"item id missing", P_HOME,
         HOME1("{\"title\":\"T\",\"poster_url\":\"http://h/\",\"episode_count\":1}"), 0,
         "shelves[0].items[0].id: missing"},
        {"poster file://", P_HOME, HOME1(ITEM("\"T\"", "\"file:///etc/passwd\"", "1")), 0,
         "shelves[0].items[0].poster_url: expected an http(s) URL"},
        {"poster javascript:", P_HOME, HOME1(ITEM("\"T\"", "\"javascript:alert(1)\"", "1")), 0,
         "poster_url: expected an http(s) URL"},
        {"poster relative", P_HOME, HOME1(ITEM("\"T\"", "\"/images/p.png\"", "1")), 0,
         "poster_url: expected an http(s) URL"},
        {"poster no host", P_HOME, HOME1(ITEM("\"T\"", "\"http://\"", "1")), 0,
         "poster_url: expected an http(s) URL"},
        {"poster number", P_HOME, HOME1(ITEM("\"T\"", "5", "1")), 0,
         "poster_url: expected a string"},
        /* docs/api.md: poster_url is null for a series without a poster. */
        {"poster missing", P_HOME, HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1}"), 0,
         NULL},
        {"poster null", P_HOME, HOME1(ITEM("\"T\"", "null", "1")), 0, NULL},
        {"count negative", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "-1")), 0,
         "shelves[0].items[0].episode_count: must be >= 0"},
        {"count string", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "\"12\"")), 0,
         "episode_count: expected an integer"},
        {"count fraction", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "1.5")), 0,
         "episode_count: expected an integer"},
        {"count bool", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "true")), 0,
         "episode_count: expected an integer"},
        {"count null", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "null")), 0,
         "episode_count: expected an integer"},
        {"count huge", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "1e300")), 0,
         "episode_count: expected an integer"},
        {"count above int", P_HOME, HOME1(ITEM("\"T\"", "\"http://h/p\"", "4294967296")), 0,
         "episode_count: must be <= 2147483647"},
        /* The hero fields (issue 9): optional; a bad one drops only its item. */
        {"hero fields", P_HOME,
         HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1,\"genres\":[\"A\",\"B\"],"
               "\"free_episodes\":0,\"total_duration_s\":0}"),
         0, NULL},
        {"hero fields null", P_HOME,
         HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1,\"genres\":null,"
               "\"free_episodes\":null,\"total_duration_s\":null}"),
         0, NULL},
        {"genres not array", P_HOME,
         HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1,\"genres\":\"A\"}"), 0,
         "shelves[0].items[0].genres: expected an array"},
        {"genre number", P_HOME,
         HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1,\"genres\":[\"A\",3]}"), 0,
         "shelves[0].items[0].genres[1]: expected a string"},
        {"free episodes negative", P_HOME,
         HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1,\"free_episodes\":-1}"), 0,
         "shelves[0].items[0].free_episodes: must be >= 0"},
        {"total duration string", P_HOME,
         HOME1("{\"id\":\"s\",\"title\":\"T\",\"episode_count\":1,\"total_duration_s\":\"9\"}"), 0,
         "shelves[0].items[0].total_duration_s: expected an integer"},
    };
    run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

#define EP(id, index, state, price)                                                                \
    "{\"id\":\"" id "\",\"index\":" index ",\"title\":\"E\",\"duration_s\":20,\"thumb_url\":null," \
    "\"state\":" state ",\"price_coins\":" price "}"
#define SERIES(eps)                                                                                \
    "{\"id\":\"midnight-heir\",\"title\":\"The Midnight Heir\",\"synopsis\":\"...\","              \
    "\"poster_url\":\"http://h/images/midnight-heir/poster.png\",\"episodes\":[" eps "]}"

static void test_series_rows(void **state)
{
    static const struct row rows[] = {
        {"docs example", P_SERIES,
         SERIES(EP("m-1", "1", "\"free\"", "0") "," EP("m-6", "6", "\"locked\"", "30")), 0, NULL},
        {"no episodes", P_SERIES, SERIES(""), 0, NULL},
        {"unordered", P_SERIES,
         SERIES(EP("m-3", "3", "\"unlocked\"",
                   "0") "," EP("m-1", "1", "\"free\"", "0") "," EP("m-2", "2", "\"locked\"", "0")),
         0, NULL},
        {"synopsis absent", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"poster_url\":\"https://h/p\",\"episodes\":[]}", 0, NULL},
        {"synopsis null", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"synopsis\":null,\"poster_url\":\"https://h/p\","
         "\"episodes\":[]}",
         0, NULL},
        {"thumb absent", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":0,\"state\":\"free\","
                "\"price_coins\":0}"),
         0, NULL},

        {"progress null", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":0,\"state\":\"free\","
                "\"price_coins\":0,\"position_ms\":null,\"watched\":null}"),
         0, NULL},
        {"position negative", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":0,\"state\":\"free\","
                "\"price_coins\":0,\"position_ms\":-1}"),
         BINGE_EPARSE, "position_ms: must be >= 0"},
        {"position string", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":0,\"state\":\"free\","
                "\"price_coins\":0,\"position_ms\":\"5\"}"),
         BINGE_EPARSE, "position_ms: expected an integer"},
        {"watched number", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":0,\"state\":\"free\","
                "\"price_coins\":0,\"watched\":1}"),
         BINGE_EPARSE, "watched: expected a boolean"},
        {"top-level array", P_SERIES, "[" SERIES("") "]", BINGE_EPARSE, "top level"},
        {"id missing", P_SERIES, "{\"title\":\"T\",\"poster_url\":\"http://h/\",\"episodes\":[]}",
         BINGE_EPARSE, "id: missing"},
        {"id empty", P_SERIES,
         "{\"id\":\"\",\"title\":\"T\",\"poster_url\":\"http://h/\",\"episodes\":[]}", BINGE_EPARSE,
         "id: expected a non-empty string"},
        {"title missing", P_SERIES, "{\"id\":\"s\",\"poster_url\":\"http://h/\",\"episodes\":[]}",
         BINGE_EPARSE, "title: missing"},
        {"synopsis number", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"synopsis\":5,\"poster_url\":\"http://h/\","
         "\"episodes\":[]}",
         BINGE_EPARSE, "synopsis: expected a string"},
        {"poster missing", P_SERIES, "{\"id\":\"s\",\"title\":\"T\",\"episodes\":[]}", 0, NULL},
        {"poster null", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"poster_url\":null,\"episodes\":[]}", 0, NULL},
        {"poster file://", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"poster_url\":\"file:///x.png\",\"episodes\":[]}",
         BINGE_EPARSE, "poster_url: expected an http(s) URL"},
        {"episodes missing", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"poster_url\":\"http://h/\"}", BINGE_EPARSE,
         "episodes: missing"},
        {"episodes object", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"poster_url\":\"http://h/\",\"episodes\":{}}",
         BINGE_EPARSE, "episodes: expected an array"},
        {"episode not object", P_SERIES, SERIES("\"e1\""), BINGE_EPARSE,
         "episodes[0]: expected an object"},
        {"index negative", P_SERIES, SERIES(EP("e", "-1", "\"free\"", "0")), BINGE_EPARSE,
         "episodes[0].index: must be >= 1"},
        {"index zero", P_SERIES, SERIES(EP("e", "0", "\"free\"", "0")), BINGE_EPARSE,
         "episodes[0].index: must be >= 1"},
        {"index string", P_SERIES, SERIES(EP("e", "\"1\"", "\"free\"", "0")), BINGE_EPARSE,
         "episodes[0].index: expected an integer"},
        {"index missing", P_SERIES,
         SERIES("{\"id\":\"e\",\"title\":\"E\",\"duration_s\":1,\"state\":\"free\","
                "\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].index: missing"},
        {"duplicate index", P_SERIES,
         SERIES(EP("a", "2", "\"free\"", "0") "," EP("b", "2", "\"free\"", "0")), BINGE_EPARSE,
         "duplicate index 2"},
        {"bad state", P_SERIES,
         SERIES(EP("a", "1", "\"free\"", "0") "," EP("b", "2", "\"paid\"", "0")), BINGE_EPARSE,
         "episodes[1].state: expected \"free\", \"unlocked\" or \"locked\""},
        {"state case", P_SERIES, SERIES(EP("a", "1", "\"FREE\"", "0")), BINGE_EPARSE,
         "episodes[0].state"},
        {"state number", P_SERIES, SERIES(EP("a", "1", "2", "0")), BINGE_EPARSE,
         "episodes[0].state: expected a string"},
        {"state missing", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":1,\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].state: missing"},
        {"duration string", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":\"20\",\"state\":"
                "\"free\",\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].duration_s: expected an integer"},
        {"duration negative", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":-20,\"state\":\"free\","
                "\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].duration_s: must be >= 0"},
        {"price negative", P_SERIES, SERIES(EP("a", "1", "\"locked\"", "-5")), BINGE_EPARSE,
         "episodes[0].price_coins: must be >= 0"},
        {"thumb file://", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":1,\"thumb_url\":"
                "\"file:///t.png\",\"state\":\"free\",\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].thumb_url: expected an http(s) URL"},
        {"thumb number", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":\"E\",\"duration_s\":1,\"thumb_url\":1,"
                "\"state\":\"free\",\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].thumb_url: expected a string"},
        {"episode title array", P_SERIES,
         SERIES("{\"id\":\"e\",\"index\":1,\"title\":[],\"duration_s\":1,\"state\":\"free\","
                "\"price_coins\":0}"),
         BINGE_EPARSE, "episodes[0].title: expected a string"},
    };
    run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

#define PLAY_DOC(url, exp, resume, next)                                                           \
    "{\"episode_id\":\"m-1\",\"play_url\":" url ",\"expires_at\":" exp ",\"resume_ms\":" resume    \
    ",\"next_episode_id\":" next ",\"subtitles\":[],\"audio_tracks\":[]}"
#define PLAY_URL "\"http://h/media/m/01/master.m3u8?exp=1763700000&sig=abc\""

static void test_play_locked_device_error_rows(void **state)
{
    static const struct row rows[] = {
        {"play docs example", P_PLAY, PLAY_DOC(PLAY_URL, "1763700000", "0", "\"m-2\""), 0, NULL},
        {"play last episode", P_PLAY, PLAY_DOC(PLAY_URL, "1763700000", "1500", "null"), 0, NULL},
        {"play next absent", P_PLAY,
         "{\"episode_id\":\"m\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0}", 0,
         NULL},
        {"play url missing", P_PLAY, "{\"episode_id\":\"m\",\"expires_at\":1,\"resume_ms\":0}",
         BINGE_EPARSE, "play_url: missing"},
        {"play url null", P_PLAY, PLAY_DOC("null", "1", "0", "null"), BINGE_EPARSE,
         "play_url: missing"},
        {"play url file://", P_PLAY, PLAY_DOC("\"file:///etc/passwd\"", "1", "0", "null"),
         BINGE_EPARSE, "play_url: expected an http(s) URL"},
        {"play url rtsp", P_PLAY, PLAY_DOC("\"rtsp://h/x\"", "1", "0", "null"), BINGE_EPARSE,
         "play_url: expected an http(s) URL"},
        {"play expires string", P_PLAY, PLAY_DOC(PLAY_URL, "\"soon\"", "0", "null"), BINGE_EPARSE,
         "expires_at: expected an integer"},
        {"play resume negative", P_PLAY, PLAY_DOC(PLAY_URL, "1", "-1", "null"), BINGE_EPARSE,
         "resume_ms: must be >= 0"},
        {"play next number", P_PLAY, PLAY_DOC(PLAY_URL, "1", "0", "2"), BINGE_EPARSE,
         "next_episode_id: expected a string"},
        {"play episode_id missing", P_PLAY,
         "{\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0}", BINGE_EPARSE,
         "episode_id: missing"},
        {"play top-level array", P_PLAY, "[]", BINGE_EPARSE, "top level"},

        {"locked docs example", P_LOCKED,
         "{\"error\":{\"code\":\"payment_required\",\"message\":\"Episode 6 is locked\"},"
         "\"price_coins\":30,\"balance\":0,\"unlock_methods\":[\"coins\",\"ad\",\"vip\"]}",
         0, NULL},
        {"locked no error object", P_LOCKED, "{\"price_coins\":30,\"balance\":10}", 0, NULL},
        {"locked price missing", P_LOCKED, "{\"balance\":0}", BINGE_EPARSE, "price_coins: missing"},
        {"locked price string", P_LOCKED, "{\"price_coins\":\"30\",\"balance\":0}", BINGE_EPARSE,
         "price_coins: expected an integer"},
        {"locked balance negative", P_LOCKED, "{\"price_coins\":30,\"balance\":-1}", BINGE_EPARSE,
         "balance: must be >= 0"},
        {"locked error string", P_LOCKED, "{\"error\":\"x\",\"price_coins\":30,\"balance\":0}",
         BINGE_EPARSE, "error: expected an object"},
        {"locked message number", P_LOCKED,
         "{\"error\":{\"message\":5},\"price_coins\":30,\"balance\":0}", BINGE_EPARSE,
         "error.message: expected a string"},

        {"device docs example", P_DEVICE,
         "{\"device_id\":\"tv-1234\",\"token\":"
         "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
         0, NULL},
        {"device token missing", P_DEVICE, "{\"device_id\":\"tv-1\"}", BINGE_EPARSE,
         "token: missing"},
        {"device token number", P_DEVICE, "{\"device_id\":\"tv-1\",\"token\":123}", BINGE_EPARSE,
         "token: expected a string"},
        {"device token empty", P_DEVICE, "{\"device_id\":\"tv-1\",\"token\":\"\"}", BINGE_EPARSE,
         "token: expected a non-empty string"},
        {"device id missing", P_DEVICE, "{\"token\":\"t\"}", BINGE_EPARSE, "device_id: missing"},
        {"device id object", P_DEVICE, "{\"token\":\"t\",\"device_id\":{}}", BINGE_EPARSE,
         "device_id: expected a string"},
        {"device empty", P_DEVICE, "", BINGE_EPARSE, "empty document"},

        {"error body", P_ERROR, "{\"error\":{\"code\":\"not_found\",\"message\":\"No such\"}}", 0,
         NULL},
        {"error without message", P_ERROR, "{\"error\":{\"code\":\"not_found\"}}", 0, NULL},
        {"error string", P_ERROR, "{\"error\":\"not_found\"}", BINGE_EPARSE, NULL},
        {"error code missing", P_ERROR, "{\"error\":{\"message\":\"m\"}}", BINGE_EPARSE, NULL},
        {"error code number", P_ERROR, "{\"error\":{\"code\":404}}", BINGE_EPARSE, NULL},
        {"error absent", P_ERROR, "{\"shelves\":[]}", BINGE_EPARSE, NULL},
        {"error array", P_ERROR, "[{\"error\":{}}]", BINGE_EPARSE, NULL},
        {"error html", P_ERROR, "<h1>Not Found</h1>", BINGE_EPARSE, NULL},
        {"error empty", P_ERROR, "", BINGE_EPARSE, NULL},
    };
    run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static char *read_fixture(const char *name, size_t *len);

static void test_values(void **state)
{
    char err[CATALOG_ERR_LEN];
    const char *json = SERIES(EP("m-6", "6", "\"locked\"", "30") "," EP(
        "m-1", "1", "\"free\"", "0") "," EP("m-2", "2", "\"unlocked\"", "0"));
    struct catalog_series *s = NULL;
    assert_int_equal(catalog_parse_series(json, strlen(json), &s, err), 0);
    assert_string_equal(s->id, "midnight-heir");
    assert_string_equal(s->title, "The Midnight Heir");
    assert_string_equal(s->synopsis, "...");
    assert_string_equal(s->poster_url, "http://h/images/midnight-heir/poster.png");
    assert_int_equal(s->n_episodes, 3);
    assert_int_equal(s->episodes[0].index, 1);
    assert_string_equal(s->episodes[0].id, "m-1");
    assert_int_equal(s->episodes[0].state, CATALOG_FREE);
    assert_null(s->episodes[0].thumb_url);
    assert_int_equal(s->episodes[0].duration_s, 20);
    assert_int_equal(s->episodes[1].state, CATALOG_UNLOCKED);
    assert_int_equal(s->episodes[2].index, 6);
    assert_int_equal(s->episodes[2].state, CATALOG_LOCKED);
    assert_int_equal(s->episodes[2].price_coins, 30);
    /* No progress fields (an older server): none. */
    assert_int_equal(s->episodes[2].position_ms, 0);
    assert_false(s->episodes[2].watched);
    assert_ptr_equal(catalog_series_episode(s, 6), &s->episodes[2]);
    assert_ptr_equal(catalog_series_episode(s, 1), &s->episodes[0]);
    assert_null(catalog_series_episode(s, 3));
    assert_null(catalog_series_episode(s, 0));
    assert_null(catalog_series_episode(s, 7));
    assert_null(catalog_series_episode(NULL, 1));
    /* Without the figures above the grid, they are counted from the episodes. */
    assert_int_equal(s->episode_count, 3);
    assert_int_equal(s->free_episodes, 2);
    assert_int_equal(s->total_duration_s, 60);
    assert_int_equal(s->episode_price_coins, 30);
    assert_false(s->in_mylist);
    catalog_series_free(s);

    /* The server's figures win; a bad one fails the parse. */
    size_t flen = 0;
    char *fx = read_fixture("series.json", &flen);
    assert_non_null(fx);
    assert_int_equal(catalog_parse_series(fx, flen, &s, err), 0);
    assert_int_equal(s->episode_count, 6);
    assert_int_equal(s->free_episodes, 4);
    assert_int_equal(s->total_duration_s, 18);
    assert_int_equal(s->episode_price_coins, 30);
    assert_false(s->in_mylist);
    catalog_series_free(s);
    free(fx);
    const char *mine = "{\"id\":\"x\",\"title\":\"X\",\"episodes\":[],\"in_mylist\":true,"
                       "\"episode_count\":0}";
    assert_int_equal(catalog_parse_series(mine, strlen(mine), &s, err), 0);
    assert_true(s->in_mylist);
    catalog_series_free(s);
    const char *bad = "{\"id\":\"x\",\"title\":\"X\",\"episodes\":[],\"in_mylist\":1}";
    assert_int_equal(catalog_parse_series(bad, strlen(bad), &s, err), BINGE_EPARSE);
    assert_non_null(strstr(err, "in_mylist"));
    const char *neg = "{\"id\":\"x\",\"title\":\"X\",\"episodes\":[],\"free_episodes\":-1}";
    assert_int_equal(catalog_parse_series(neg, strlen(neg), &s, err), BINGE_EPARSE);

    const char *home_json = HOME1(ITEM_OK "," ITEM("\"Two\"", "\"https://h/2.png\"", "80"));
    struct catalog_home *h = NULL;
    assert_int_equal(catalog_parse_home(home_json, strlen(home_json), &h, err), 0);
    assert_int_equal(h->n_shelves, 1);
    assert_string_equal(h->shelves[0].id, "trending");
    assert_string_equal(h->shelves[0].title, "Trending");
    assert_int_equal(h->shelves[0].n_items, 2);
    assert_string_equal(h->shelves[0].items[1].series_id, "s1");
    assert_string_equal(h->shelves[0].items[1].title, "Two");
    assert_string_equal(h->shelves[0].items[1].poster_url, "https://h/2.png");
    assert_int_equal(h->shelves[0].items[1].episode_count, 80);
    catalog_home_free(h);

    const char *play_json = PLAY_DOC(PLAY_URL, "1763700000", "1500", "null");
    struct catalog_play *p = NULL;
    assert_int_equal(catalog_parse_play(play_json, strlen(play_json), &p, err), 0);
    assert_string_equal(p->episode_id, "m-1");
    assert_string_equal(p->play_url, "http://h/media/m/01/master.m3u8?exp=1763700000&sig=abc");
    assert_int_equal(p->expires_at, 1763700000);
    assert_int_equal(p->resume_ms, 1500);
    assert_null(p->next_episode_id);
    catalog_play_free(p);

    const char *locked_json =
        "{\"error\":{\"code\":\"payment_required\",\"message\":\"Episode 6 is locked\"},"
        "\"price_coins\":30,\"balance\":7}";
    struct catalog_locked *l = NULL;
    assert_int_equal(catalog_parse_locked(locked_json, strlen(locked_json), &l, err), 0);
    assert_int_equal(l->price_coins, 30);
    assert_int_equal(l->balance, 7);
    assert_string_equal(l->message, "Episode 6 is locked");
    catalog_locked_free(l);

    char *code = NULL, *message = NULL;
    assert_int_equal(catalog_parse_error(locked_json, strlen(locked_json), &code, &message), 0);
    assert_string_equal(code, "payment_required");
    assert_string_equal(message, "Episode 6 is locked");
    free(code);
    free(message);

    const char *dev_json = "{\"device_id\":\"tv-1234\",\"token\":\"abc\",\"extra\":1}";
    struct catalog_device *d = NULL;
    assert_int_equal(catalog_parse_device(dev_json, strlen(dev_json), &d, err), 0);
    assert_string_equal(d->device_id, "tv-1234");
    assert_string_equal(d->token, "abc");
    catalog_device_free(d);
}

static void test_free_null_and_bad_args(void **state)
{
    char err[CATALOG_ERR_LEN];
    catalog_home_free(NULL);
    catalog_series_free(NULL);
    catalog_play_free(NULL);
    catalog_locked_free(NULL);
    catalog_device_free(NULL);
    catalog_search_free(NULL);
    catalog_wallet_free(NULL);
    catalog_unlock_free(NULL);
    catalog_refusal_free(NULL);
    catalog_checkin_free(NULL);
    catalog_packs_free(NULL);
    catalog_wallet_history_free(NULL);
    catalog_purchase_free(NULL);
    catalog_device_code_free(NULL);
    catalog_token_poll_free(NULL);
    catalog_progress_ack_free(NULL);
    assert_int_equal(catalog_parse_wallet("{}", 2, NULL, err), BINGE_EINVAL);
    assert_int_equal(catalog_parse_refusal(402, "{}", 2, NULL, err), BINGE_EINVAL);
    struct catalog_wallet *w = (struct catalog_wallet *)&err; /* must be reset to NULL */
    assert_int_equal(catalog_parse_wallet(NULL, 0, &w, NULL), BINGE_EPARSE);
    assert_null(w);
    assert_int_equal(catalog_parse_home("{}", 2, NULL, err), BINGE_EINVAL);
    struct catalog_home *h = (struct catalog_home *)&err; /* must be reset to NULL */
    assert_int_equal(catalog_parse_home(NULL, 0, &h, err), BINGE_EPARSE);
    assert_null(h);
    /* err is optional. */
    assert_int_equal(catalog_parse_home("[]", 2, &h, NULL), BINGE_EPARSE);
}

static void test_length_bounds(void **state)
{
    /* Only len bytes count: what follows in memory (here more JSON) is never read. */
    const char *text = "{\"shelves\":[]}, {\"more\": 1}";
    struct catalog_home *h = NULL;
    char err[CATALOG_ERR_LEN];
    assert_int_equal(catalog_parse_home(text, 14, &h, err), 0);
    catalog_home_free(h);
    assert_int_equal(catalog_parse_home(text, 13, &h, err), BINGE_EPARSE);
    assert_null(h);
    /* A NUL counted in len is junk after the document, not an end marker. */
    assert_int_equal(catalog_parse_home("{\"shelves\":[]}\0", 15, &h, err), BINGE_EPARSE);
    assert_null(h);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

static void test_hostile_input(void **state)
{
    char err[CATALOG_ERR_LEN];

    /* A 5 MB title is odd but valid; it must come through intact. */
    size_t big = 5 * 1024 * 1024;
    char *title = repeat("", "x", big, "");
    char *json = util_asprintf("{\"id\":\"s\",\"title\":\"%s\",\"poster_url\":\"http://h/\","
                               "\"episodes\":[]}",
                               title);
    assert_non_null(json);
    struct catalog_series *s = NULL;
    assert_int_equal(catalog_parse_series(json, strlen(json), &s, err), 0);
    assert_int_equal(strlen(s->title), big);
    catalog_series_free(s);
    /* The same document cut anywhere is an error, never a crash. */
    static const size_t cuts[] = {1, 10, 30, 1000, 5 * 1024 * 1024};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        assert_int_equal(run_parser(P_SERIES, json, cuts[i], err), BINGE_EPARSE);
    free(json);
    free(title);

    /* Deep nesting in an ignored field: past cJSON's nesting limit it is rejected cleanly. */
    char *deep = repeat("{\"shelves\":[],\"x\":", "[", 200000, "");
    assert_int_equal(run_parser(P_HOME, deep, strlen(deep), err), BINGE_EPARSE);
    free(deep);
    char *deep_obj = repeat("{\"shelves\":[],\"x\":", "{\"a\":", 100000, "1");
    assert_int_equal(run_parser(P_HOME, deep_obj, strlen(deep_obj), err), BINGE_EPARSE);
    free(deep_obj);
    /* Moderate nesting below the limit is just an unknown field. */
    char *open_part = repeat("{\"shelves\":[],\"x\":", "[", 500, "");
    char *close_part = repeat("", "]", 500, "}");
    char *nested = util_asprintf("%s%s", open_part, close_part);
    assert_int_equal(run_parser(P_HOME, nested, strlen(nested), err), 0);
    free(open_part);
    free(close_part);
    free(nested);

    /* Many items. */
    size_t n = 50000;
    char *items = repeat("", ITEM_OK ",", n, ITEM_OK);
    char *home =
        util_asprintf("{\"shelves\":[{\"id\":\"a\",\"title\":\"A\",\"items\":[%s]}]}", items);
    struct catalog_home *h = NULL;
    assert_int_equal(catalog_parse_home(home, strlen(home), &h, err), 0);
    assert_int_equal(h->shelves[0].n_items, n + 1);
    catalog_home_free(h);
    free(home);
    free(items);

    /* Binary junk. */
    unsigned char junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    assert_int_equal(run_parser(P_HOME, (const char *)junk, sizeof(junk), err), BINGE_EPARSE);
}

/* ---- shared fixtures in tests/fixtures/api (written with the server) ---- */

static char *read_fixture(const char *name, size_t *len)
{
    char *path = util_asprintf("%s/tests/fixtures/api/%s", BINGE_SOURCE_DIR, name);
    char *text = NULL;
    int rc = util_read_file(path, 16 << 20, &text, len);
    free(path);
    return rc == 0 ? text : NULL;
}

static void test_fixtures(void **state)
{
    static const struct {
        const char *file;
        enum parser parser;
        int rc;
        const char *err;
    } rows[] = {
        /* valid responses captured from binge-server */
        {"home.json", P_HOME, 0, NULL},
        {"series.json", P_SERIES, 0, NULL},
        {"play.json", P_PLAY, 0, NULL},
        {"play_locked_402.json", P_LOCKED, 0, NULL},
        {"play_locked_402.json", P_ERROR, 0, NULL},
        {"register.json", P_DEVICE, 0, NULL},
        {"error_401.json", P_ERROR, 0, NULL},
        /* malformed variants */
        {"home_wrong_type.json", P_HOME, 0, "shelves[0].items[0].title: expected a string"},
        {"home_missing_shelves.json", P_HOME, BINGE_EPARSE, "shelves: missing"},
        {"home_not_object.json", P_HOME, BINGE_EPARSE, "expected a JSON object at the top level"},
        {"home_truncated.json", P_HOME, BINGE_EPARSE, "invalid JSON"},
        {"series_bad_state.json", P_SERIES, BINGE_EPARSE, "episodes[1].state: expected"},
        {"series_episodes_not_array.json", P_SERIES, BINGE_EPARSE, "episodes: expected an array"},
        {"series_resume.json", P_SERIES, 0, NULL},
        {"series_resume_bad_index.json", P_SERIES, BINGE_EPARSE,
         "resume.episode_index: must be >= 1"},
        {"play_missing_url.json", P_PLAY, BINGE_EPARSE, "play_url: missing"},
        {"play_bad_scheme.json", P_PLAY, BINGE_EPARSE, "play_url: expected an http(s) URL"},
        {"play_locked_missing_price.json", P_LOCKED, BINGE_EPARSE, "price_coins: missing"},
        {"register_missing_token.json", P_DEVICE, BINGE_EPARSE, "token: missing"},
        /* a document of one kind is not a document of another */
        {"home.json", P_SERIES, BINGE_EPARSE, "id: missing"},
        {"series.json", P_PLAY, BINGE_EPARSE, "episode_id: missing"},
        {"play.json", P_DEVICE, BINGE_EPARSE, "token: missing"},
        {"register.json", P_HOME, BINGE_EPARSE, "shelves: missing"},
        {"error_401.json", P_LOCKED, BINGE_EPARSE, "price_coins: missing"},
        {"home.json", P_ERROR, BINGE_EPARSE, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t len = 0;
        char *text = read_fixture(rows[i].file, &len);
        if (!text) {
            print_error("fixture %s is missing\n", rows[i].file);
            fail();
        }
        char err[CATALOG_ERR_LEN];
        int rc = run_parser(rows[i].parser, text, len, err);
        if (rc != rows[i].rc || (rows[i].err && !strstr(err, rows[i].err))) {
            print_error("fixture %s (parser %d): rc %d (want %d), err '%s' (want '%s')\n",
                        rows[i].file, rows[i].parser, rc, rows[i].rc, err,
                        rows[i].err ? rows[i].err : "");
            fail();
        }
        if (rc == 0) {
            /* Every prefix of a valid fixture is truncated JSON and must fail cleanly. */
            size_t doc_len = len;
            while (doc_len > 0 && strchr(" \t\r\n", text[doc_len - 1]))
                doc_len--;
            for (size_t cut = 0; cut < doc_len; cut += 1 + doc_len / 64)
                assert_int_equal(run_parser(rows[i].parser, text, cut, err), BINGE_EPARSE);
        }
        free(text);
    }
}

/* One bad field in one item (episode_count -5) leaves out that item only: every other shelf and
 * item of home.json is there, in order. */
static void test_home_drops_bad_item(void **state)
{
    size_t len = 0, blen = 0;
    char *good = read_fixture("home.json", &len),
         *bad = read_fixture("home_bad_episode_count.json", &blen);
    assert_non_null(good);
    assert_non_null(bad);
    char err[CATALOG_ERR_LEN];
    struct catalog_home *g = NULL, *b = NULL;
    assert_int_equal(catalog_parse_home(good, len, &g, err), 0);
    assert_int_equal(catalog_parse_home(bad, blen, &b, err), 0);
    assert_int_equal(g->n_dropped, 0);
    assert_int_equal(b->n_dropped, 1);
    assert_string_equal(b->dropped, "shelves[1].items[1].episode_count: must be >= 0");
    assert_int_equal(b->n_shelves, g->n_shelves);
    for (size_t s = 0; s < g->n_shelves; s++) {
        const struct catalog_shelf *gs = &g->shelves[s], *bs = &b->shelves[s];
        assert_string_equal(bs->id, gs->id);
        assert_int_equal(bs->n_items, gs->n_items - (s == 1));
        for (size_t i = 0, j = 0; i < gs->n_items; i++) {
            if (s == 1 && i == 1)
                continue; /* the one left out */
            assert_string_equal(bs->items[j].series_id, gs->items[i].series_id);
            assert_int_equal(bs->items[j].episode_count, gs->items[i].episode_count);
            j++;
        }
    }
    /* Two bad items: both left out, the first one's error kept. */
    const char *two = HOME1(
        ITEM("7", "\"http://h/p\"", "1") "," ITEM_OK "," ITEM("\"T\"", "\"http://h/p\"", "-5"));
    catalog_home_free(b);
    b = NULL;
    assert_int_equal(catalog_parse_home(two, strlen(two), &b, err), 0);
    assert_int_equal(b->n_dropped, 2);
    assert_int_equal(b->shelves[0].n_items, 1);
    assert_string_equal(b->dropped, "shelves[0].items[0].title: expected a string");
    /* A bad shelf still fails the whole document. */
    catalog_home_free(b);
    b = (struct catalog_home *)&err;
    const char *bad_shelf = "{\"shelves\":[{\"id\":\"a\",\"title\":1,\"items\":[]}]}";
    assert_int_equal(catalog_parse_home(bad_shelf, strlen(bad_shelf), &b, err), BINGE_EPARSE);
    assert_null(b);
    catalog_home_free(g);
    free(good);
    free(bad);
}

/* The issue-3 fixtures, with the HTTP status each was captured with. */
static void test_fixtures_v1(void **state)
{
    static const struct {
        const char *file;
        enum parser parser;
        long status;
        int rc;
        const char *err;
    } rows[] = {
        /* valid */
        {"refresh.json", P_DEVICE, 200, 0, NULL},
        {"device_code.json", P_DEVICE_CODE, 200, 0, NULL},
        {"device_token.json", P_TOKEN, 200, 0, NULL},
        {"device_token_pending.json", P_TOKEN, 400, 0, NULL},
        {"device_token_slow_down.json", P_TOKEN, 400, 0, NULL},
        {"device_token_denied.json", P_TOKEN, 400, 0, NULL},
        {"device_token_expired.json", P_TOKEN, 400, 0, NULL},
        {"device_token_invalid.json", P_TOKEN, 400, 0, NULL},
        {"home_continue.json", P_HOME, 200, 0, NULL},
        {"series_th.json", P_SERIES, 200, 0, NULL},
        {"search.json", P_SEARCH, 200, 0, NULL},
        {"play_resume.json", P_PLAY, 200, 0, NULL},
        {"error_token_expired.json", P_ERROR, 401, 0, NULL},
        {"wallet.json", P_WALLET, 200, 0, NULL},
        {"wallet_bonus.json", P_WALLET, 200, 0, NULL},
        {"wallet_account.json", P_WALLET, 200, 0, NULL},
        {"unlock.json", P_UNLOCK, 200, 0, NULL},
        {"unlock_already.json", P_UNLOCK, 200, 0, NULL},
        {"unlock_402.json", P_REFUSAL, 402, 0, NULL},
        {"unlock_vip_402.json", P_REFUSAL, 402, 0, NULL},
        {"unlock_ad_429.json", P_REFUSAL, 429, 0, NULL},
        {"unlock_409.json", P_REFUSAL, 409, 0, NULL},
        {"checkin.json", P_CHECKIN, 200, 0, NULL},
        {"checkin_409.json", P_CHECKIN, 409, 0, NULL},
        {"packs.json", P_PACKS, 200, 0, NULL},
        {"wallet_history.json", P_HISTORY, 200, 0, NULL},
        {"purchase_session.json", P_PURCHASE, 200, 0, NULL},
        {"purchase_session_completed.json", P_PURCHASE, 200, 0, NULL},
        {"progress.json", P_PROGRESS, 200, 0, NULL},
        {"progress_duplicates.json", P_PROGRESS, 200, 0, NULL},
        /* malformed */
        {"home_continue_bad_resume.json", P_HOME, 200, 0,
         "shelves[0].items[0].resume_ms: expected an integer"},
        {"home_bad_episode_count.json", P_HOME, 200, 0,
         "shelves[1].items[1].episode_count: must be >= 0"},
        {"device_code_missing_user_code.json", P_DEVICE_CODE, 200, BINGE_EPARSE,
         "user_code: missing"},
        {"device_code_interval_string.json", P_DEVICE_CODE, 200, BINGE_EPARSE,
         "interval: expected an integer"},
        {"device_code_bad_uri.json", P_DEVICE_CODE, 200, BINGE_EPARSE,
         "verification_uri_complete: expected an http(s) URL"},
        {"device_token_missing_token.json", P_TOKEN, 200, BINGE_EPARSE, "token: missing"},
        {"device_token_error_not_object.json", P_TOKEN, 400, BINGE_EPARSE,
         "error: expected an object"},
        {"wallet_missing_coins.json", P_WALLET, 200, BINGE_EPARSE, "coins: missing"},
        {"wallet_coins_string.json", P_WALLET, 200, BINGE_EPARSE, "coins: expected an integer"},
        {"wallet_vip_not_object.json", P_WALLET, 200, BINGE_EPARSE, "vip: expected an object"},
        {"wallet_checkin_bad_type.json", P_WALLET, 200, BINGE_EPARSE,
         "checkin.claimed_today: expected a boolean"},
        {"wallet_truncated.json", P_WALLET, 200, BINGE_EPARSE, "invalid JSON"},
        {"unlock_missing_state.json", P_UNLOCK, 200, BINGE_EPARSE, "state: missing"},
        {"unlock_bad_state.json", P_UNLOCK, 200, BINGE_EPARSE, "state: expected one of"},
        {"unlock_402_missing_balance.json", P_REFUSAL, 402, BINGE_EPARSE, "balance: missing"},
        {"checkin_streak_string.json", P_CHECKIN, 200, BINGE_EPARSE, "streak: expected an integer"},
        {"purchase_session_missing_id.json", P_PURCHASE, 200, BINGE_EPARSE, "id: missing"},
        {"purchase_session_bad_status.json", P_PURCHASE, 200, BINGE_EPARSE,
         "status: expected one of"},
        {"purchase_session_bad_qr_url.json", P_PURCHASE, 200, BINGE_EPARSE,
         "qr_url: expected an http(s) URL"},
        {"search_items_not_array.json", P_SEARCH, 200, BINGE_EPARSE, "items: expected an array"},
        {"packs_missing_price.json", P_PACKS, 200, BINGE_EPARSE, "packs[1].price_cents: missing"},
        {"packs_not_array.json", P_PACKS, 200, BINGE_EPARSE, "packs: expected an array"},
        {"wallet_history_coins_string.json", P_HISTORY, 200, 0,
         "items[1].coins: expected an integer"},
        {"wallet_history_400.json", P_HISTORY, 200, BINGE_EPARSE, "items: missing"},
        {"wallet.json", P_HISTORY, 200, BINGE_EPARSE, "items: missing"},
        {"progress_bad_status.json", P_PROGRESS, 200, BINGE_EPARSE, "].status: expected a string"},
        /* a document of one kind is not a document of another */
        {"wallet.json", P_UNLOCK, 200, BINGE_EPARSE, "episode_id: missing"},
        {"unlock.json", P_WALLET, 200, BINGE_EPARSE, "coins: missing"},
        {"packs.json", P_PURCHASE, 200, BINGE_EPARSE, "id: missing"},
        {"search.json", P_HOME, 200, BINGE_EPARSE, "shelves: missing"},
        {"device_code.json", P_DEVICE, 200, BINGE_EPARSE, "token: missing"},
        {"unlock_402.json", P_CHECKIN, 409, BINGE_EPARSE, "expected \"already_claimed\""},
        {"checkin.json", P_PROGRESS, 200, BINGE_EPARSE, "results: missing"},
        {"progress_request.json", P_PROGRESS, 200, BINGE_EPARSE, "results: missing"},
        {"device_token_pending.json", P_TOKEN, 200, BINGE_EPARSE, "token: missing"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t len = 0;
        char *text = read_fixture(rows[i].file, &len);
        if (!text) {
            print_error("fixture %s is missing\n", rows[i].file);
            fail();
        }
        char err[CATALOG_ERR_LEN];
        int rc = run_parser_status(rows[i].parser, rows[i].status, text, len, err);
        if (rc != rows[i].rc || (rows[i].err && !strstr(err, rows[i].err))) {
            print_error("fixture %s (parser %d, status %ld): rc %d (want %d), err '%s' (want "
                        "'%s')\n",
                        rows[i].file, rows[i].parser, rows[i].status, rc, rows[i].rc, err,
                        rows[i].err ? rows[i].err : "");
            fail();
        }
        if (rc == 0) {
            size_t doc_len = len;
            while (doc_len > 0 && strchr(" \t\r\n", text[doc_len - 1]))
                doc_len--;
            for (size_t cut = 0; cut < doc_len; cut += 1 + doc_len / 64)
                assert_int_equal(run_parser_status(rows[i].parser, rows[i].status, text, cut, err),
                                 BINGE_EPARSE);
        }
        free(text);
    }
}

/* What catalog_build_progress makes from the values of progress_request.json is, member for
 * member, that fixture: the body the server was tested with. */
static void test_fixture_progress_request(void **state)
{
    size_t len = 0;
    char *text = read_fixture("progress_request.json", &len);
    assert_non_null(text);
    cJSON *want = cJSON_ParseWithLength(text, len);
    free(text);
    assert_non_null(want);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(want, "items");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    assert_true(n > 0 && n <= CATALOG_PROGRESS_BATCH_MAX);
    struct catalog_progress_item items[CATALOG_PROGRESS_BATCH_MAX];
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        items[i].episode_id = cJSON_GetObjectItemCaseSensitive(it, "episode_id")->valuestring;
        items[i].event_id = cJSON_GetObjectItemCaseSensitive(it, "event_id")->valuestring;
        items[i].position_ms =
            (int64_t)cJSON_GetObjectItemCaseSensitive(it, "position_ms")->valuedouble;
        items[i].duration_ms =
            (int64_t)cJSON_GetObjectItemCaseSensitive(it, "duration_ms")->valuedouble;
        items[i].updated_at_ms =
            (int64_t)cJSON_GetObjectItemCaseSensitive(it, "updated_at")->valuedouble;
        i++;
    }
    char *body = NULL;
    assert_int_equal(catalog_build_progress(items, n, &body), 0);
    cJSON *got = cJSON_Parse(body);
    assert_non_null(got);
    assert_true(cJSON_Compare(want, got, true));
    cJSON_Delete(got);
    cJSON_Delete(want);
    free(body);
}

static void test_fixture_values(void **state)
{
    char err[CATALOG_ERR_LEN];
    size_t len = 0;
    char *text = read_fixture("series.json", &len);
    assert_non_null(text);
    struct catalog_series *s = NULL;
    assert_int_equal(catalog_parse_series(text, len, &s, err), 0);
    free(text);
    assert_string_equal(s->id, "midnight-heir");
    assert_non_null(s->synopsis);
    assert_int_equal(s->n_episodes, 6);
    static const enum catalog_lock states[] = {CATALOG_FREE, CATALOG_FREE,     CATALOG_FREE,
                                               CATALOG_FREE, CATALOG_UNLOCKED, CATALOG_LOCKED};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(s->episodes[i].index, (int)i + 1);
        assert_int_equal(s->episodes[i].state, states[i]);
        assert_null(s->episodes[i].thumb_url);
    }
    assert_int_equal(catalog_series_episode(s, 6)->price_coins, 30);
    assert_null(s->resume_episode_id); /* "resume": null, no progress */
    assert_int_equal(s->resume_index, 0);
    catalog_series_free(s);
    /* A viewer with progress: the episode they are on, and where. */
    text = read_fixture("series_resume.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_series(text, len, &s, err), 0);
    free(text);
    assert_string_equal(s->resume_episode_id, "midnight-heir-3");
    assert_int_equal(s->resume_index, 3);
    assert_int_equal(s->resume_ms, 8080);
    /* Each episode's own progress: 2 watched, 3 part-way, the others none. */
    for (size_t i = 0; i < s->n_episodes; i++) {
        const struct catalog_episode *ep = &s->episodes[i];
        assert_int_equal(ep->position_ms, ep->index == 2 ? 2950 : ep->index == 3 ? 8080 : 0);
        assert_int_equal(ep->watched, ep->index == 2);
    }
    catalog_series_free(s);

    text = read_fixture("home.json", &len);
    assert_non_null(text);
    struct catalog_home *h = NULL;
    assert_int_equal(catalog_parse_home(text, len, &h, err), 0);
    free(text);
    assert_true(h->n_shelves >= 3);
    assert_string_equal(h->shelves[0].id, "trending");
    assert_true(h->shelves[0].n_items > 0);
    assert_int_equal(h->shelves[0].items[0].episode_count, 6);
    catalog_home_free(h);

    text = read_fixture("play.json", &len);
    assert_non_null(text);
    struct catalog_play *p = NULL;
    assert_int_equal(catalog_parse_play(text, len, &p, err), 0);
    free(text);
    assert_string_equal(p->episode_id, "midnight-heir-1");
    assert_string_equal(p->next_episode_id, "midnight-heir-2");
    assert_true(p->expires_at > 0);
    assert_int_equal(p->resume_ms, 0);
    assert_non_null(strstr(p->play_url, "&sig="));
    catalog_play_free(p);

    text = read_fixture("play_locked_402.json", &len);
    assert_non_null(text);
    struct catalog_locked *l = NULL;
    assert_int_equal(catalog_parse_locked(text, len, &l, err), 0);
    free(text);
    assert_int_equal(l->price_coins, 30);
    assert_int_equal(l->balance, 20);
    assert_string_equal(l->message, "Episode 6 is locked");
    catalog_locked_free(l);

    text = read_fixture("register.json", &len);
    assert_non_null(text);
    struct catalog_device *d = NULL;
    assert_int_equal(catalog_parse_device(text, len, &d, err), 0);
    free(text);
    assert_string_equal(d->device_id, "tv-1234");
    assert_int_equal(strlen(d->token), 64);
    catalog_device_free(d);

    text = read_fixture("error_401.json", &len);
    assert_non_null(text);
    char *code = NULL, *message = NULL;
    assert_int_equal(catalog_parse_error(text, len, &code, &message), 0);
    free(text);
    assert_string_equal(code, "unauthorized");
    assert_string_equal(message, "a bearer token is required");
    free(code);
    free(message);

    /* issue 3: the values docs/api.md and tests/fixtures/api/README.md name */
    text = read_fixture("home_continue.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_home(text, len, &h, err), 0);
    free(text);
    assert_string_equal(h->shelves[0].id, "continue");
    assert_int_equal(h->shelves[0].n_items, 2);
    assert_string_equal(h->shelves[0].items[1].episode_id, "midnight-heir-2");
    assert_int_equal(h->shelves[0].items[1].episode_index, 2);
    assert_int_equal(h->shelves[0].items[1].resume_ms, 1200);
    assert_int_equal(h->shelves[0].items[1].duration_ms, 3000);
    assert_null(h->shelves[1].items[0].episode_id);
    catalog_home_free(h);

    text = read_fixture("play_resume.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_play(text, len, &p, err), 0);
    free(text);
    assert_int_equal(p->resume_ms, 1200);
    assert_int_equal(p->n_subtitles, 0);
    catalog_play_free(p);

    text = read_fixture("refresh.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_device(text, len, &d, err), 0);
    free(text);
    assert_non_null(d->refresh_token);
    assert_true(d->expires_in > 0);
    assert_string_equal(d->account_name, "Mia");
    catalog_device_free(d);

    text = read_fixture("wallet_account.json", &len);
    assert_non_null(text);
    struct catalog_wallet *w = NULL;
    assert_int_equal(catalog_parse_wallet(text, len, &w, err), 0);
    free(text);
    assert_string_equal(w->account_name, "Mia");
    assert_true(w->account_id > 0);
    catalog_wallet_free(w);
    text = read_fixture("wallet_bonus.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_wallet(text, len, &w, err), 0);
    free(text);
    assert_int_equal(w->bonus_coins, 5);
    assert_int_equal(w->bonus_expiring, 5);
    assert_true(w->bonus_expires_at > 0);
    assert_true(w->checkin_claimed_today);
    assert_null(w->account_name);
    catalog_wallet_free(w);

    /* The ledger: signed deltas, the episode of an unlock, the pack of a purchase. */
    text = read_fixture("wallet_history.json", &len);
    assert_non_null(text);
    struct catalog_wallet_history *hist = NULL;
    assert_int_equal(catalog_parse_wallet_history(text, len, &hist, err), 0);
    free(text);
    assert_int_equal(hist->n_items, 6);
    assert_int_equal(hist->items[0].kind, CATALOG_LEDGER_UNLOCK);
    assert_int_equal(hist->items[0].method, CATALOG_METHOD_AD);
    assert_int_equal(hist->items[0].episode_index, 5);
    assert_string_equal(hist->items[0].series_title, "The Midnight Heir");
    assert_int_equal(hist->items[1].coins, -25);
    assert_int_equal(hist->items[1].bonus_coins, -5);
    assert_int_equal(hist->items[3].kind, CATALOG_LEDGER_CHECKIN);
    assert_int_equal(hist->items[3].method, CATALOG_METHOD_NONE);
    assert_true(hist->items[3].bonus_expires_at > 0);
    assert_null(hist->items[3].episode_id);
    assert_int_equal(hist->items[4].kind, CATALOG_LEDGER_PURCHASE);
    assert_string_equal(hist->items[4].pack_id, "coins-300");
    assert_int_equal(hist->items[4].coins, 300);
    assert_int_equal(hist->items[4].pack_vip_days, 0);
    assert_int_equal(hist->items[5].kind, CATALOG_LEDGER_WELCOME);
    assert_int_equal(hist->items[5].time < hist->items[0].time, true);
    catalog_wallet_history_free(hist);
    text = read_fixture("wallet_history_coins_string.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_wallet_history(text, len, &hist, err), 0);
    free(text);
    assert_int_equal(hist->n_items, 5); /* the bad second item is left out, the rest stays */
    assert_int_equal(hist->n_dropped, 1);
    assert_int_equal(hist->items[1].bonus_coins, -30);
    catalog_wallet_history_free(hist);
    /* A kind the server adds later is shown as a change, not a reason to drop the ledger. */
    static const char later[] = "{\"items\":[{\"time\":5,\"kind\":\"refund\",\"method\":null,"
                                "\"coins\":7,\"bonus_coins\":0,\"bonus_expires_at\":null,"
                                "\"episode_id\":null,\"episode_index\":null,"
                                "\"series_id\":null,\"series_title\":null,\"pack\":null}]}";
    assert_int_equal(catalog_parse_wallet_history(later, sizeof(later) - 1, &hist, err), 0);
    assert_int_equal(hist->items[0].kind, CATALOG_LEDGER_OTHER);
    assert_int_equal(hist->items[0].coins, 7);
    catalog_wallet_history_free(hist);
    /* A VIP plan changes no balance: what it bought is the pack's days. */
    static const char vip[] = "{\"items\":[{\"time\":5,\"kind\":\"purchase\",\"method\":null,"
                              "\"coins\":0,\"bonus_coins\":0,\"bonus_expires_at\":null,"
                              "\"episode_id\":null,\"episode_index\":null,\"series_id\":null,"
                              "\"series_title\":null,\"pack\":{\"id\":\"vip-7\","
                              "\"title\":\"VIP, 7 days\",\"vip_days\":7}}]}";
    assert_int_equal(catalog_parse_wallet_history(vip, sizeof(vip) - 1, &hist, err), 0);
    assert_int_equal(hist->items[0].kind, CATALOG_LEDGER_PURCHASE);
    assert_int_equal(hist->items[0].pack_vip_days, 7);
    assert_string_equal(hist->items[0].pack_title, "VIP, 7 days");
    catalog_wallet_history_free(hist);

    text = read_fixture("unlock.json", &len);
    assert_non_null(text);
    struct catalog_unlock *u = NULL;
    assert_int_equal(catalog_parse_unlock(text, len, &u, err), 0);
    free(text);
    assert_int_equal(u->method, CATALOG_METHOD_COINS);
    assert_int_equal(u->charged_bonus, 30);
    assert_false(u->already_unlocked);
    catalog_unlock_free(u);
    text = read_fixture("unlock_already.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_unlock(text, len, &u, err), 0);
    free(text);
    assert_true(u->already_unlocked);
    assert_int_equal(u->charged_coins + u->charged_bonus, 0);
    catalog_unlock_free(u);

    static const struct {
        const char *file;
        long status;
        enum catalog_refusal_kind kind;
    } refusals[] = {
        {"unlock_402.json", 402, CATALOG_REFUSAL_NO_COINS},
        {"unlock_vip_402.json", 402, CATALOG_REFUSAL_NO_VIP},
        {"unlock_ad_429.json", 429, CATALOG_REFUSAL_AD_LIMIT},
        {"unlock_409.json", 409, CATALOG_REFUSAL_CONFLICT},
    };
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        text = read_fixture(refusals[i].file, &len);
        assert_non_null(text);
        struct catalog_refusal *r = NULL;
        assert_int_equal(catalog_parse_refusal(refusals[i].status, text, len, &r, err), 0);
        free(text);
        assert_int_equal(r->kind, refusals[i].kind);
        if (r->kind == CATALOG_REFUSAL_NO_COINS) {
            assert_int_equal(r->price_coins, 30);
            assert_int_equal(r->balance, 20);
        }
        if (r->kind == CATALOG_REFUSAL_AD_LIMIT) {
            assert_int_equal(r->ads_per_day, 5);
            assert_true(r->retry_after_s > 0);
        }
        catalog_refusal_free(r);
    }

    text = read_fixture("checkin.json", &len);
    assert_non_null(text);
    struct catalog_checkin *ci = NULL;
    assert_int_equal(catalog_parse_checkin(200, text, len, &ci, err), 0);
    free(text);
    assert_int_equal(ci->streak, 1);
    assert_int_equal(ci->reward_bonus_coins, 5);
    catalog_checkin_free(ci);
    text = read_fixture("checkin_409.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_checkin(409, text, len, &ci, err), 0);
    free(text);
    assert_true(ci->already_claimed);
    catalog_checkin_free(ci);

    text = read_fixture("purchase_session_completed.json", &len);
    assert_non_null(text);
    struct catalog_purchase *pu = NULL;
    assert_int_equal(catalog_parse_purchase(text, len, &pu, err), 0);
    free(text);
    assert_int_equal(pu->status, CATALOG_PURCHASE_COMPLETED);
    assert_true(pu->completed_at > 0);
    assert_string_equal(pu->pack.id, "coins-300");
    catalog_purchase_free(pu);

    text = read_fixture("device_token_slow_down.json", &len);
    assert_non_null(text);
    struct catalog_token_poll *tp = NULL;
    assert_int_equal(catalog_parse_token_poll(400, text, len, &tp, err), 0);
    free(text);
    assert_int_equal(tp->status, CATALOG_TOKEN_SLOW_DOWN);
    assert_int_equal(tp->interval, 10);
    catalog_token_poll_free(tp);
    static const struct {
        const char *file;
        enum catalog_token_status status;
    } polls[] = {
        {"device_token_pending.json", CATALOG_TOKEN_PENDING},
        {"device_token_denied.json", CATALOG_TOKEN_DENIED},
        {"device_token_expired.json", CATALOG_TOKEN_EXPIRED},
        {"device_token_invalid.json", CATALOG_TOKEN_FAILED},
    };
    for (size_t i = 0; i < sizeof(polls) / sizeof(polls[0]); i++) {
        text = read_fixture(polls[i].file, &len);
        assert_non_null(text);
        assert_int_equal(catalog_parse_token_poll(400, text, len, &tp, err), 0);
        free(text);
        assert_int_equal(tp->status, polls[i].status);
        catalog_token_poll_free(tp);
    }
    text = read_fixture("device_token.json", &len);
    assert_non_null(text);
    assert_int_equal(catalog_parse_token_poll(200, text, len, &tp, err), 0);
    free(text);
    assert_int_equal(tp->status, CATALOG_TOKEN_OK);
    assert_string_equal(tp->tokens->account_name, "Mia");
    catalog_token_poll_free(tp);

    text = read_fixture("progress_duplicates.json", &len);
    assert_non_null(text);
    struct catalog_progress_ack *ack = NULL;
    assert_int_equal(catalog_parse_progress_ack(text, len, &ack, err), 0);
    free(text);
    assert_int_equal(ack->n_results, 3);
    assert_int_equal(ack->applied, 0);
    for (size_t i = 0; i < ack->n_results; i++)
        assert_int_equal(ack->results[i].status, CATALOG_PROGRESS_DUPLICATE);
    catalog_progress_ack_free(ack);

    text = read_fixture("search.json", &len);
    assert_non_null(text);
    struct catalog_search *sr = NULL;
    assert_int_equal(catalog_parse_search(text, len, &sr, err), 0);
    free(text);
    assert_string_equal(sr->query, "secret");
    assert_int_equal(sr->n_items, 2);
    assert_non_null(sr->items[0].synopsis);
    catalog_search_free(sr);
}

/* ---- issue 3: the rest of the v1 contract ---- */

#define CONT_ITEM(extra)                                                                           \
    "{\"id\":\"s1\",\"title\":\"T\",\"poster_url\":null,\"episode_count\":12" extra "}"

static void test_home_search_series_extras_rows(void **state)
{
    static const struct srow rows[] = {
        {"continue entry", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":3,\"resume_ms\":41000,"
                         "\"duration_ms\":90000")),
         0, NULL, 0},
        {"continue without duration", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":3,\"resume_ms\":0")), 0, NULL,
         0},
        {"continue null episode", P_HOME, HOME1(CONT_ITEM(",\"episode_id\":null")), 0, NULL, 0},
        /* a bad continue entry is left out of its shelf, its error kept */
        {"continue index missing", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"resume_ms\":0")), 0,
         "shelves[0].items[0].episode_index: missing", 0},
        {"continue index zero", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":0,\"resume_ms\":0")), 0,
         "shelves[0].items[0].episode_index: must be >= 1", 0},
        {"continue resume missing", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":3")), 0,
         "shelves[0].items[0].resume_ms: missing", 0},
        {"continue resume negative", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":3,\"resume_ms\":-5")), 0,
         "shelves[0].items[0].resume_ms: must be >= 0", 0},
        {"continue duration string", P_HOME,
         HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":3,\"resume_ms\":0,"
                         "\"duration_ms\":\"90s\"")),
         0, "shelves[0].items[0].duration_ms: expected an integer", 0},
        {"continue episode id number", P_HOME, HOME1(CONT_ITEM(",\"episode_id\":3")), 0,
         "shelves[0].items[0].episode_id: expected a string", 0},
        {"continue episode id empty", P_HOME, HOME1(CONT_ITEM(",\"episode_id\":\"\"")), 0,
         "shelves[0].items[0].episode_id: expected a non-empty string", 0},
        {"item synopsis number", P_HOME, HOME1(CONT_ITEM(",\"synopsis\":1")), 0,
         "shelves[0].items[0].synopsis: expected a string", 0},
        {"search", P_SEARCH,
         "{\"query\":\"heir\",\"items\":[" CONT_ITEM(",\"synopsis\":\"A long-lost heir\"") "]}", 0,
         NULL, 0},
        {"search no results", P_SEARCH, "{\"query\":\"zzz\",\"items\":[]}", 0, NULL, 0},
        {"search without query", P_SEARCH, "{\"items\":[]}", 0, NULL, 0},
        {"search items missing", P_SEARCH, "{\"query\":\"x\"}", BINGE_EPARSE, "items: missing", 0},
        {"search items object", P_SEARCH, "{\"items\":{}}", BINGE_EPARSE,
         "items: expected an array", 0},
        {"search item title missing", P_SEARCH,
         "{\"items\":[{\"id\":\"s\",\"poster_url\":null,\"episode_count\":1}]}", BINGE_EPARSE,
         "items[0].title: missing", 0},
        {"search item poster ftp", P_SEARCH,
         "{\"items\":[{\"id\":\"s\",\"title\":\"T\",\"poster_url\":\"ftp://h/p\",\"episode_"
         "count\":1}]}",
         BINGE_EPARSE, "items[0].poster_url: expected an http(s) URL", 0},
        {"search query number", P_SEARCH, "{\"query\":5,\"items\":[]}", BINGE_EPARSE,
         "query: expected a string", 0},
        {"search is not home", P_SEARCH, "{\"shelves\":[]}", BINGE_EPARSE, "items: missing", 0},
        {"series genres", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"genres\":[\"Romance\",\"Revenge\"],\"episodes\":[]}", 0,
         NULL, 0},
        {"series genres null", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"genres\":null,\"episodes\":[]}", 0, NULL, 0},
        {"series genres string", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"genres\":\"Romance\",\"episodes\":[]}", BINGE_EPARSE,
         "genres: expected an array", 0},
        {"series genre number", P_SERIES,
         "{\"id\":\"s\",\"title\":\"T\",\"genres\":[\"Romance\",7],\"episodes\":[]}", BINGE_EPARSE,
         "genres[1]: expected a string", 0},
        {"play with tracks", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"subtitles\":[{\"language\":\"es\",\"label\":\"Español\",\"url\":\"https://h/es.vtt\","
         "\"default\":true},{\"language\":\"th\"}],\"audio_tracks\":[{\"language\":\"en\","
         "\"label\":null,\"url\":null}]}",
         0, NULL, 0},
        {"play tracks null", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"subtitles\":null}",
         0, NULL, 0},
        {"play subtitles object", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"subtitles\":{}}",
         BINGE_EPARSE, "subtitles: expected an array", 0},
        {"play subtitle string", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"subtitles\":[\"es\"]}",
         BINGE_EPARSE, "subtitles[0]: expected an object", 0},
        {"play subtitle language missing", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"subtitles\":[{\"language\":\"es\"},{\"label\":\"x\"}]}",
         BINGE_EPARSE, "subtitles[1].language: missing", 0},
        {"play subtitle file url", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"subtitles\":[{\"language\":\"es\",\"url\":\"file:///etc/passwd\"}]}",
         BINGE_EPARSE, "subtitles[0].url: expected an http(s) URL", 0},
        {"play audio default string", P_PLAY,
         "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
         "\"audio_tracks\":[{\"language\":\"en\",\"default\":\"yes\"}]}",
         BINGE_EPARSE, "audio_tracks[0].default: expected a boolean", 0},
        {"locked with wallet split", P_LOCKED,
         "{\"error\":{\"code\":\"payment_required\",\"message\":\"m\"},\"price_coins\":30,"
         "\"balance\":25,\"coins\":20,\"bonus_coins\":5,\"unlock_methods\":[\"coins\",\"ad\","
         "\"vip\",\"future\"]}",
         0, NULL, 0},
        {"locked methods string", P_LOCKED,
         "{\"price_coins\":30,\"balance\":0,\"unlock_methods\":\"coins\"}", BINGE_EPARSE,
         "unlock_methods: expected an array", 0},
        {"locked method number", P_LOCKED,
         "{\"price_coins\":30,\"balance\":0,\"unlock_methods\":[\"coins\",1]}", BINGE_EPARSE,
         "unlock_methods[1]: expected a string", 0},
        {"locked coins negative", P_LOCKED, "{\"price_coins\":30,\"balance\":0,\"coins\":-1}",
         BINGE_EPARSE, "coins: must be >= 0", 0},
        {"locked code number", P_LOCKED,
         "{\"error\":{\"code\":402},\"price_coins\":30,\"balance\":0}", BINGE_EPARSE,
         "error.code: expected a string", 0},
        {"device with refresh and account", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"refresh_token\":\"r\",\"expires_in\":3600,"
         "\"account\":{\"id\":7,\"name\":\"Ana\"}}",
         0, NULL, 0},
        {"device account null", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"refresh_token\":\"r\",\"account\":null}", 0,
         NULL, 0},
        {"device refresh empty", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"refresh_token\":\"\"}", BINGE_EPARSE,
         "refresh_token: expected a non-empty string", 0},
        {"device expires negative", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"expires_in\":-1}", BINGE_EPARSE,
         "expires_in: must be >= 0", 0},
        {"device account string", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"account\":\"Ana\"}", BINGE_EPARSE,
         "account: expected an object", 0},
        {"device account id missing", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"account\":{\"name\":\"Ana\"}}", BINGE_EPARSE,
         "account.id: missing", 0},
        {"device account name missing", P_DEVICE,
         "{\"device_id\":\"tv-1\",\"token\":\"t\",\"account\":{\"id\":1}}", BINGE_EPARSE,
         "account.name: missing", 0},
    };
    run_srows(rows, sizeof(rows) / sizeof(rows[0]));
}

#define WALLET_DOC(vip, checkin, tail)                                                             \
    "{\"coins\":20,\"bonus_coins\":5,\"bonus_expiry\":{\"amount\":5,\"expires_at\":1763800000},"   \
    "\"vip\":" vip ",\"ads_left_today\":2,\"ads_per_day\":3,\"checkin\":" checkin                  \
    ",\"owner\":\"device\"" tail "}"
#define VIP_OFF "{\"active\":false,\"expires_at\":null}"
#define CHECKIN_OK "{\"claimed_today\":false,\"streak\":2,\"next_reward\":15}"

static void test_wallet_rows(void **state)
{
    static const struct srow rows[] = {
        {"wallet", P_WALLET, WALLET_DOC(VIP_OFF, CHECKIN_OK, ",\"account\":null"), 0, NULL, 0},
        {"wallet vip account", P_WALLET,
         WALLET_DOC("{\"active\":true,\"expires_at\":1764000000}", CHECKIN_OK,
                    ",\"account\":{\"id\":3,\"name\":\"Bo\"}"),
         0, NULL, 0},
        {"wallet minimal", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0,\"vip\":{\"active\":false},\"ads_left_today\":0,"
         "\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         0, NULL, 0},
        {"wallet bonus expiry null", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0,\"bonus_expiry\":null,\"vip\":{\"active\":false},"
         "\"ads_left_today\":0,\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         0, NULL, 0},
        {"wallet coins missing", P_WALLET,
         "{\"bonus_coins\":0,\"vip\":{\"active\":false},\"ads_left_today\":0,\"checkin\":{"
         "\"claimed_today\":true,\"streak\":0}}",
         BINGE_EPARSE, "coins: missing", 0},
        {"wallet coins string", P_WALLET,
         "{\"coins\":\"20\",\"bonus_coins\":0,\"vip\":{\"active\":false},\"ads_left_today\":0,"
         "\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         BINGE_EPARSE, "coins: expected an integer", 0},
        {"wallet coins negative", P_WALLET,
         "{\"coins\":-3,\"bonus_coins\":0,\"vip\":{\"active\":false},\"ads_left_today\":0,"
         "\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         BINGE_EPARSE, "coins: must be >= 0", 0},
        {"wallet bonus fraction", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0.5,\"vip\":{\"active\":false},\"ads_left_today\":0,"
         "\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         BINGE_EPARSE, "bonus_coins: expected an integer", 0},
        {"wallet expiry amount missing", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0,\"bonus_expiry\":{\"expires_at\":1},\"vip\":{\"active\":"
         "false},\"ads_left_today\":0,\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         BINGE_EPARSE, "bonus_expiry.amount: missing", 0},
        {"wallet expiry array", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0,\"bonus_expiry\":[],\"vip\":{\"active\":false},\"ads_"
         "left_today\":0,\"checkin\":{\"claimed_today\":true,\"streak\":0}}",
         BINGE_EPARSE, "bonus_expiry: expected an object", 0},
        {"wallet vip missing", P_WALLET, WALLET_DOC("null", CHECKIN_OK, ""), BINGE_EPARSE,
         "vip: missing", 0},
        {"wallet vip bool", P_WALLET, WALLET_DOC("true", CHECKIN_OK, ""), BINGE_EPARSE,
         "vip: expected an object", 0},
        {"wallet vip active missing", P_WALLET, WALLET_DOC("{}", CHECKIN_OK, ""), BINGE_EPARSE,
         "vip.active: missing", 0},
        {"wallet vip active number", P_WALLET, WALLET_DOC("{\"active\":1}", CHECKIN_OK, ""),
         BINGE_EPARSE, "vip.active: expected a boolean", 0},
        {"wallet vip expiry string", P_WALLET,
         WALLET_DOC("{\"active\":true,\"expires_at\":\"tomorrow\"}", CHECKIN_OK, ""), BINGE_EPARSE,
         "vip.expires_at: expected an integer", 0},
        {"wallet ads missing", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0,\"vip\":{\"active\":false},\"checkin\":{\"claimed_"
         "today\":true,\"streak\":0}}",
         BINGE_EPARSE, "ads_left_today: missing", 0},
        {"wallet checkin missing", P_WALLET,
         "{\"coins\":0,\"bonus_coins\":0,\"vip\":{\"active\":false},\"ads_left_today\":0}",
         BINGE_EPARSE, "checkin: missing", 0},
        {"wallet claimed string", P_WALLET,
         WALLET_DOC(VIP_OFF, "{\"claimed_today\":\"no\",\"streak\":0}", ""), BINGE_EPARSE,
         "checkin.claimed_today: expected a boolean", 0},
        {"wallet streak missing", P_WALLET, WALLET_DOC(VIP_OFF, "{\"claimed_today\":false}", ""),
         BINGE_EPARSE, "checkin.streak: missing", 0},
        {"wallet next reward negative", P_WALLET,
         WALLET_DOC(VIP_OFF, "{\"claimed_today\":false,\"streak\":0,\"next_reward\":-5}", ""),
         BINGE_EPARSE, "checkin.next_reward: must be >= 0", 0},
        {"wallet account id zero", P_WALLET,
         WALLET_DOC(VIP_OFF, CHECKIN_OK, ",\"account\":{\"id\":0,\"name\":\"x\"}"), BINGE_EPARSE,
         "account.id: must be >= 1", 0},
        {"wallet is not home", P_WALLET, "{\"shelves\":[]}", BINGE_EPARSE, "coins: missing", 0},
        {"wallet top-level array", P_WALLET, "[]", BINGE_EPARSE, "top level", 0},
    };
    run_srows(rows, sizeof(rows) / sizeof(rows[0]));
}

#define UNLOCK_DOC(state, method, already, charged, wallet)                                        \
    "{\"episode_id\":\"m-6\",\"state\":" state ",\"method\":" method                               \
    ",\"price_coins\":30,\"already_unlocked\":" already ",\"charged\":" charged                    \
    ",\"wallet\":" wallet "}"
#define CHARGED_OK "{\"coins\":25,\"bonus_coins\":5}"
#define UWALLET_OK "{\"coins\":0,\"bonus_coins\":0,\"ads_left_today\":3}"
#define ERR_BODY(code) "{\"error\":{\"code\":\"" code "\",\"message\":\"m\"}"

static void test_unlock_rows(void **state)
{
    static const struct srow rows[] = {
        {"unlock coins", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"coins\"", "false", CHARGED_OK, UWALLET_OK), 0, NULL, 0},
        {"unlock replay", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"ad\"", "true", "{\"coins\":0,\"bonus_coins\":0}",
                    UWALLET_OK),
         0, NULL, 0},
        {"unlock free episode", P_UNLOCK,
         UNLOCK_DOC("\"free\"", "null", "true", "{\"coins\":0,\"bonus_coins\":0}", UWALLET_OK), 0,
         NULL, 0},
        {"unlock wallet without ads", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"vip\"", "false", CHARGED_OK,
                    "{\"coins\":0,\"bonus_coins\":0}"),
         0, NULL, 0},
        {"unlock state locked", P_UNLOCK,
         UNLOCK_DOC("\"locked\"", "\"coins\"", "false", CHARGED_OK, UWALLET_OK), BINGE_EPARSE,
         "state: expected one of \"free\", \"unlocked\"", 0},
        {"unlock state missing", P_UNLOCK,
         "{\"episode_id\":\"m-6\",\"price_coins\":30,\"already_unlocked\":false,\"charged\":"
         "{\"coins\":0,\"bonus_coins\":0},\"wallet\":{\"coins\":0,\"bonus_coins\":0}}",
         BINGE_EPARSE, "state: missing", 0},
        {"unlock method unknown", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"card\"", "false", CHARGED_OK, UWALLET_OK), BINGE_EPARSE,
         "method: expected one of \"coins\", \"ad\", \"vip\"", 0},
        {"unlock method number", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "1", "false", CHARGED_OK, UWALLET_OK), BINGE_EPARSE,
         "method: expected a string", 0},
        {"unlock already string", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"coins\"", "\"no\"", CHARGED_OK, UWALLET_OK), BINGE_EPARSE,
         "already_unlocked: expected a boolean", 0},
        {"unlock charged missing", P_UNLOCK,
         "{\"episode_id\":\"m-6\",\"state\":\"unlocked\",\"method\":\"coins\",\"price_coins\":30,"
         "\"already_unlocked\":false,\"wallet\":" UWALLET_OK "}",
         BINGE_EPARSE, "charged: missing", 0},
        {"unlock charged negative", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"coins\"", "false", "{\"coins\":-1,\"bonus_coins\":0}",
                    UWALLET_OK),
         BINGE_EPARSE, "charged.coins: must be >= 0", 0},
        {"unlock wallet coins missing", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"coins\"", "false", CHARGED_OK, "{\"bonus_coins\":0}"),
         BINGE_EPARSE, "wallet.coins: missing", 0},
        {"unlock wallet string", P_UNLOCK,
         UNLOCK_DOC("\"unlocked\"", "\"coins\"", "false", CHARGED_OK, "\"rich\""), BINGE_EPARSE,
         "wallet: expected an object", 0},
        {"unlock episode id empty", P_UNLOCK, "{\"episode_id\":\"\",\"state\":\"unlocked\"}",
         BINGE_EPARSE, "episode_id: expected a non-empty string", 0},
        {"unlock is an error body", P_UNLOCK, ERR_BODY("insufficient_coins") "}", BINGE_EPARSE,
         "episode_id: missing", 0},
        {"refusal no coins", P_REFUSAL,
         ERR_BODY("insufficient_coins") ",\"price_coins\":30,\"balance\":20,\"coins\":20,"
                                        "\"bonus_coins\":0}",
         0, NULL, 402},
        {"refusal no coins minimal", P_REFUSAL,
         ERR_BODY("insufficient_coins") ",\"price_coins\":30,\"balance\":20}", 0, NULL, 402},
        {"refusal no coins price missing", P_REFUSAL,
         ERR_BODY("insufficient_coins") ",\"balance\":20}", BINGE_EPARSE, "price_coins: missing",
         402},
        {"refusal no coins balance string", P_REFUSAL,
         ERR_BODY("insufficient_coins") ",\"price_coins\":30,\"balance\":\"20\"}", BINGE_EPARSE,
         "balance: expected an integer", 402},
        {"refusal no vip", P_REFUSAL,
         ERR_BODY("vip_required") ",\"vip\":{\"active\":false,\"expires_at\":1700000000}}", 0, NULL,
         402},
        {"refusal no vip bare", P_REFUSAL, ERR_BODY("vip_required") "}", 0, NULL, 402},
        {"refusal no vip bad vip", P_REFUSAL, ERR_BODY("vip_required") ",\"vip\":3}", BINGE_EPARSE,
         "vip: expected an object", 402},
        {"refusal ad limit", P_REFUSAL,
         ERR_BODY("ad_limit_reached") ",\"ads_per_day\":3,\"retry_after\":3600}", 0, NULL, 429},
        {"refusal ad limit retry string", P_REFUSAL,
         ERR_BODY("ad_limit_reached") ",\"retry_after\":\"1h\"}", BINGE_EPARSE,
         "retry_after: expected an integer", 429},
        {"refusal conflict", P_REFUSAL, ERR_BODY("idempotency_conflict") "}", 0, NULL, 409},
        {"refusal rate limited", P_REFUSAL, ERR_BODY("rate_limited") "}", 0, NULL, 429},
        {"refusal not found", P_REFUSAL, ERR_BODY("not_found") "}", 0, NULL, 404},
        {"refusal without message", P_REFUSAL, "{\"error\":{\"code\":\"bad_request\"}}", 0, NULL,
         400},
        {"refusal error missing", P_REFUSAL, "{\"price_coins\":30}", BINGE_EPARSE, "error: missing",
         402},
        {"refusal code missing", P_REFUSAL, "{\"error\":{\"message\":\"m\"}}", BINGE_EPARSE,
         "error.code: missing", 402},
        {"refusal error string", P_REFUSAL, "{\"error\":\"insufficient_coins\"}", BINGE_EPARSE,
         "error: expected an object", 402},
        {"refusal html", P_REFUSAL, "<html>502</html>", BINGE_EPARSE, "invalid JSON", 502},
    };
    run_srows(rows, sizeof(rows) / sizeof(rows[0]));
}

#define PACK_DOC(id, coins, price)                                                                 \
    "{\"id\":" id ",\"title\":\"100 coins\",\"coins\":" coins ",\"bonus_coins\":10,"               \
    "\"bonus_days\":7,\"vip_days\":0,\"price_cents\":99,\"currency\":\"USD\",\"price\":" price "}"
#define PACK_OK PACK_DOC("\"coins-100\"", "100", "\"$0.99\"")
#define PURCHASE_DOC(url, status, completed, pack)                                                 \
    "{\"id\":\"0123abcd\",\"qr_url\":" url ",\"status\":" status                                   \
    ",\"expires_at\":1763800000,\"completed_at\":" completed ",\"pack\":" pack "}"

static void test_checkin_packs_purchase_rows(void **state)
{
    static const struct srow rows[] = {
        {"checkin", P_CHECKIN,
         "{\"reward_bonus_coins\":5,\"streak\":1,\"expires_at\":1763900000,\"next_reward\":10,"
         "\"wallet\":{\"coins\":20,\"bonus_coins\":5}}",
         0, NULL, 200},
        {"checkin already", P_CHECKIN,
         ERR_BODY("already_claimed") ",\"streak\":3,\"next_reward\":20}", 0, NULL, 409},
        {"checkin already other code", P_CHECKIN, ERR_BODY("conflict") ",\"streak\":3}",
         BINGE_EPARSE, "error.code: expected \"already_claimed\"", 409},
        {"checkin already streak missing", P_CHECKIN, ERR_BODY("already_claimed") "}", BINGE_EPARSE,
         "streak: missing", 409},
        {"checkin reward missing", P_CHECKIN,
         "{\"streak\":1,\"expires_at\":1,\"wallet\":{\"coins\":0,\"bonus_coins\":0}}", BINGE_EPARSE,
         "reward_bonus_coins: missing", 200},
        {"checkin wallet missing", P_CHECKIN,
         "{\"reward_bonus_coins\":5,\"streak\":1,\"expires_at\":1}", BINGE_EPARSE,
         "wallet: missing", 200},
        {"checkin wallet bonus string", P_CHECKIN,
         "{\"reward_bonus_coins\":5,\"streak\":1,\"expires_at\":1,\"wallet\":{\"coins\":0,"
         "\"bonus_coins\":\"5\"}}",
         BINGE_EPARSE, "wallet.bonus_coins: expected an integer", 200},
        {"checkin other status", P_CHECKIN, ERR_BODY("internal") "}", BINGE_EPARSE,
         "unexpected HTTP status 500", 500},

        {"packs", P_PACKS, "{\"packs\":[" PACK_OK "," PACK_DOC("\"vip-7\"", "0", "\"$4.99\"") "]}",
         0, NULL, 0},
        {"packs empty", P_PACKS, "{\"packs\":[]}", 0, NULL, 0},
        {"packs missing", P_PACKS, "{}", BINGE_EPARSE, "packs: missing", 0},
        {"pack not object", P_PACKS, "{\"packs\":[" PACK_OK ",5]}", BINGE_EPARSE,
         "packs[1]: expected an object", 0},
        {"pack id missing", P_PACKS,
         "{\"packs\":[{\"title\":\"t\",\"coins\":1,\"bonus_coins\":0,\"vip_days\":0,\"price_"
         "cents\":1,\"currency\":\"USD\",\"price\":\"$0.01\"}]}",
         BINGE_EPARSE, "packs[0].id: missing", 0},
        {"pack coins negative", P_PACKS, "{\"packs\":[" PACK_DOC("\"c\"", "-100", "\"$0.99\"") "]}",
         BINGE_EPARSE, "packs[0].coins: must be >= 0", 0},
        {"pack price number", P_PACKS, "{\"packs\":[" PACK_DOC("\"c\"", "100", "0.99") "]}",
         BINGE_EPARSE, "packs[0].price: expected a string", 0},
        {"purchase pending", P_PURCHASE,
         PURCHASE_DOC("\"http://h/checkout/0123abcd\"", "\"pending\"", "null", PACK_OK), 0, NULL,
         0},
        {"purchase completed", P_PURCHASE,
         PURCHASE_DOC("\"https://h/checkout/0123abcd\"", "\"completed\"", "1763700000", PACK_OK), 0,
         NULL, 0},
        {"purchase expired", P_PURCHASE,
         PURCHASE_DOC("\"https://h/c\"", "\"expired\"", "null", PACK_OK), 0, NULL, 0},
        {"purchase status unknown", P_PURCHASE,
         PURCHASE_DOC("\"https://h/c\"", "\"refunded\"", "null", PACK_OK), BINGE_EPARSE,
         "status: expected one of \"pending\", \"completed\", \"expired\"", 0},
        {"purchase qr javascript", P_PURCHASE,
         PURCHASE_DOC("\"javascript:alert(1)\"", "\"pending\"", "null", PACK_OK), BINGE_EPARSE,
         "qr_url: expected an http(s) URL", 0},
        {"purchase qr missing", P_PURCHASE,
         "{\"id\":\"x\",\"status\":\"pending\",\"expires_at\":1,\"pack\":" PACK_OK "}",
         BINGE_EPARSE, "qr_url: missing", 0},
        {"purchase pack missing", P_PURCHASE,
         "{\"id\":\"x\",\"qr_url\":\"http://h/c\",\"status\":\"pending\",\"expires_at\":1}",
         BINGE_EPARSE, "pack: missing", 0},
        {"purchase pack bad", P_PURCHASE,
         PURCHASE_DOC("\"http://h/c\"", "\"pending\"", "null",
                      PACK_DOC("\"c\"", "\"lots\"", "\"$1\"")),
         BINGE_EPARSE, "pack.coins: expected an integer", 0},
        {"purchase completed_at string", P_PURCHASE,
         PURCHASE_DOC("\"http://h/c\"", "\"completed\"", "\"now\"", PACK_OK), BINGE_EPARSE,
         "completed_at: expected an integer", 0},
    };
    run_srows(rows, sizeof(rows) / sizeof(rows[0]));
}

#define CODE_DOC(uri, complete, interval)                                                          \
    "{\"device_code\":\"9f8e\",\"user_code\":\"BCDF-GHJK\",\"verification_uri\":" uri              \
    ",\"verification_uri_complete\":" complete ",\"expires_in\":600" interval "}"
#define TOKENS_OK                                                                                  \
    "{\"device_id\":\"tv-1\",\"token\":\"t2\",\"refresh_token\":\"r2\",\"expires_in\":3600,"       \
    "\"account\":{\"id\":9,\"name\":\"Ana\"}}"

static void test_device_flow_progress_rows(void **state)
{
    static const struct srow rows[] = {
        {"device code", P_DEVICE_CODE,
         CODE_DOC("\"http://h/activate\"", "\"http://h/activate?user_code=BCDF-GHJK\"",
                  ",\"interval\":5"),
         0, NULL, 0},
        {"device code minimal", P_DEVICE_CODE, CODE_DOC("\"https://h/a\"", "null", ""), 0, NULL, 0},
        {"device code uri file", P_DEVICE_CODE, CODE_DOC("\"file:///a\"", "null", ""), BINGE_EPARSE,
         "verification_uri: expected an http(s) URL", 0},
        {"device code complete bad", P_DEVICE_CODE,
         CODE_DOC("\"http://h/a\"", "\"data:text/html,x\"", ""), BINGE_EPARSE,
         "verification_uri_complete: expected an http(s) URL", 0},
        {"device code user code missing", P_DEVICE_CODE,
         "{\"device_code\":\"d\",\"verification_uri\":\"http://h/a\",\"expires_in\":600}",
         BINGE_EPARSE, "user_code: missing", 0},
        {"device code expires zero", P_DEVICE_CODE,
         "{\"device_code\":\"d\",\"user_code\":\"u\",\"verification_uri\":\"http://h/a\","
         "\"expires_in\":0}",
         BINGE_EPARSE, "expires_in: must be >= 1", 0},
        {"device code interval zero", P_DEVICE_CODE,
         CODE_DOC("\"http://h/a\"", "null", ",\"interval\":0"), BINGE_EPARSE,
         "interval: must be >= 1", 0},
        {"token ok", P_TOKEN, TOKENS_OK, 0, NULL, 200},
        {"token ok guest", P_TOKEN, "{\"device_id\":\"tv-1\",\"token\":\"t2\"}", 0, NULL, 200},
        {"token ok missing token", P_TOKEN, "{\"device_id\":\"tv-1\"}", BINGE_EPARSE,
         "token: missing", 200},
        {"token pending", P_TOKEN, ERR_BODY("authorization_pending") "}", 0, NULL, 400},
        {"token slow down", P_TOKEN, ERR_BODY("slow_down") ",\"interval\":10}", 0, NULL, 400},
        {"token slow down bare", P_TOKEN, ERR_BODY("slow_down") "}", 0, NULL, 400},
        {"token slow down bad interval", P_TOKEN, ERR_BODY("slow_down") ",\"interval\":\"10\"}",
         BINGE_EPARSE, "interval: expected an integer", 400},
        {"token expired", P_TOKEN, ERR_BODY("expired_token") "}", 0, NULL, 400},
        {"token denied", P_TOKEN, ERR_BODY("access_denied") "}", 0, NULL, 400},
        {"token invalid grant", P_TOKEN, ERR_BODY("invalid_grant") "}", 0, NULL, 400},
        {"token 400 not an error", P_TOKEN, TOKENS_OK, BINGE_EPARSE, "error: missing", 400},
        {"token 401", P_TOKEN, ERR_BODY("unauthorized") "}", BINGE_EPARSE,
         "unexpected HTTP status 401", 401},

        {"progress ack", P_PROGRESS,
         "{\"results\":[{\"event_id\":\"e1\",\"status\":\"applied\"},{\"event_id\":\"e2\","
         "\"status\":\"stale\"},{\"event_id\":\"e3\",\"status\":\"duplicate\"},{\"event_id\":"
         "\"e4\",\"status\":\"unknown_episode\"},{\"event_id\":\"e5\",\"status\":\"new\"}],"
         "\"applied\":1}",
         0, NULL, 0},
        {"progress ack empty", P_PROGRESS, "{\"results\":[]}", 0, NULL, 0},
        {"progress ack results missing", P_PROGRESS, "{\"applied\":0}", BINGE_EPARSE,
         "results: missing", 0},
        {"progress ack event missing", P_PROGRESS, "{\"results\":[{\"status\":\"applied\"}]}",
         BINGE_EPARSE, "results[0].event_id: missing", 0},
        {"progress ack status number", P_PROGRESS,
         "{\"results\":[{\"event_id\":\"e\",\"status\":1}]}", BINGE_EPARSE,
         "results[0].status: expected a string", 0},
        {"progress ack result string", P_PROGRESS, "{\"results\":[\"e\"]}", BINGE_EPARSE,
         "results[0]: expected an object", 0},
        {"progress ack applied negative", P_PROGRESS, "{\"results\":[],\"applied\":-1}",
         BINGE_EPARSE, "applied: must be >= 0", 0},
    };
    run_srows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_issue3_values(void **state)
{
    char err[CATALOG_ERR_LEN];

    const char *home_json =
        HOME1(CONT_ITEM(",\"episode_id\":\"s1-3\",\"episode_index\":3,"
                        "\"resume_ms\":41000,\"duration_ms\":90000") "," ITEM_OK);
    struct catalog_home *h = NULL;
    assert_int_equal(catalog_parse_home(home_json, strlen(home_json), &h, err), 0);
    const struct catalog_item *c = &h->shelves[0].items[0];
    assert_string_equal(c->episode_id, "s1-3");
    assert_int_equal(c->episode_index, 3);
    assert_int_equal(c->resume_ms, 41000);
    assert_int_equal(c->duration_ms, 90000);
    assert_null(c->poster_url);
    assert_null(h->shelves[0].items[1].episode_id);
    assert_int_equal(h->shelves[0].items[1].episode_index, 0);
    catalog_home_free(h);

    const char *search_json =
        "{\"query\":\"heir\",\"items\":[" CONT_ITEM(",\"synopsis\":\"Lost heir\"") "]}";
    struct catalog_search *sr = NULL;
    assert_int_equal(catalog_parse_search(search_json, strlen(search_json), &sr, err), 0);
    assert_string_equal(sr->query, "heir");
    assert_int_equal(sr->n_items, 1);
    assert_string_equal(sr->items[0].synopsis, "Lost heir");
    assert_int_equal(sr->items[0].episode_count, 12);
    catalog_search_free(sr);

    const char *series_json =
        "{\"id\":\"s\",\"title\":\"T\",\"genres\":[\"Romance\",\"Revenge\"],\"episodes\":[]}";
    struct catalog_series *se = NULL;
    assert_int_equal(catalog_parse_series(series_json, strlen(series_json), &se, err), 0);
    assert_int_equal(se->n_genres, 2);
    assert_string_equal(se->genres[1], "Revenge");
    catalog_series_free(se);

    const char *play_json =
        "{\"episode_id\":\"m-1\",\"play_url\":" PLAY_URL ",\"expires_at\":1,\"resume_ms\":0,"
        "\"subtitles\":[{\"language\":\"es\",\"label\":\"Espa\xc3\xb1ol\",\"url\":\"https://h/"
        "es.vtt\",\"default\":true},{\"language\":\"th\"}],\"audio_tracks\":[]}";
    struct catalog_play *p = NULL;
    assert_int_equal(catalog_parse_play(play_json, strlen(play_json), &p, err), 0);
    assert_int_equal(p->n_subtitles, 2);
    assert_string_equal(p->subtitles[0].language, "es");
    assert_string_equal(p->subtitles[0].label, "Espa\xc3\xb1ol");
    assert_string_equal(p->subtitles[0].url, "https://h/es.vtt");
    assert_true(p->subtitles[0].is_default);
    assert_null(p->subtitles[1].label);
    assert_null(p->subtitles[1].url);
    assert_false(p->subtitles[1].is_default);
    assert_int_equal(p->n_audio_tracks, 0);
    assert_null(p->audio_tracks);
    catalog_play_free(p);

    const char *locked_json = "{\"error\":{\"code\":\"payment_required\",\"message\":\"m\"},"
                              "\"price_coins\":30,\"balance\":25,\"coins\":20,\"bonus_coins\":5,"
                              "\"unlock_methods\":[\"ad\",\"future\",\"vip\"]}";
    struct catalog_locked *l = NULL;
    assert_int_equal(catalog_parse_locked(locked_json, strlen(locked_json), &l, err), 0);
    assert_int_equal(l->coins, 20);
    assert_int_equal(l->bonus_coins, 5);
    assert_int_equal(l->methods, CATALOG_METHOD_AD | CATALOG_METHOD_VIP);
    assert_string_equal(l->code, "payment_required");
    catalog_locked_free(l);
    locked_json = "{\"price_coins\":30,\"balance\":25}";
    assert_int_equal(catalog_parse_locked(locked_json, strlen(locked_json), &l, err), 0);
    assert_int_equal(l->coins, -1);
    assert_int_equal(l->bonus_coins, -1);
    assert_int_equal(l->methods, CATALOG_METHOD_COINS);
    assert_null(l->code);
    catalog_locked_free(l);

    const char *dev_json = "{\"device_id\":\"tv-1\",\"token\":\"t\",\"refresh_token\":\"r\","
                           "\"expires_in\":3600,\"account\":{\"id\":7,\"name\":\"Ana\"}}";
    struct catalog_device *d = NULL;
    assert_int_equal(catalog_parse_device(dev_json, strlen(dev_json), &d, err), 0);
    assert_string_equal(d->refresh_token, "r");
    assert_int_equal(d->expires_in, 3600);
    assert_int_equal(d->account_id, 7);
    assert_string_equal(d->account_name, "Ana");
    catalog_device_free(d);

    const char *wallet_json = WALLET_DOC("{\"active\":true,\"expires_at\":1764000000}", CHECKIN_OK,
                                         ",\"account\":{\"id\":3,\"name\":\"Bo\"}");
    struct catalog_wallet *w = NULL;
    assert_int_equal(catalog_parse_wallet(wallet_json, strlen(wallet_json), &w, err), 0);
    assert_int_equal(w->coins, 20);
    assert_int_equal(w->bonus_coins, 5);
    assert_int_equal(w->bonus_expiring, 5);
    assert_int_equal(w->bonus_expires_at, 1763800000);
    assert_true(w->vip_active);
    assert_int_equal(w->vip_expires_at, 1764000000);
    assert_int_equal(w->ads_left_today, 2);
    assert_int_equal(w->ads_per_day, 3);
    assert_false(w->checkin_claimed_today);
    assert_int_equal(w->checkin_streak, 2);
    assert_int_equal(w->checkin_next_reward, 15);
    assert_int_equal(w->account_id, 3);
    assert_string_equal(w->account_name, "Bo");
    catalog_wallet_free(w);
    wallet_json = "{\"coins\":0,\"bonus_coins\":0,\"vip\":{\"active\":false},\"ads_left_today\":0,"
                  "\"checkin\":{\"claimed_today\":true,\"streak\":0}}";
    assert_int_equal(catalog_parse_wallet(wallet_json, strlen(wallet_json), &w, err), 0);
    assert_int_equal(w->bonus_expiring, 0);
    assert_int_equal(w->bonus_expires_at, 0);
    assert_int_equal(w->vip_expires_at, 0);
    assert_int_equal(w->ads_per_day, -1);
    assert_int_equal(w->checkin_next_reward, -1);
    assert_int_equal(w->account_id, 0);
    assert_null(w->account_name);
    catalog_wallet_free(w);

    const char *unlock_json =
        UNLOCK_DOC("\"unlocked\"", "\"coins\"", "false", CHARGED_OK, UWALLET_OK);
    struct catalog_unlock *u = NULL;
    assert_int_equal(catalog_parse_unlock(unlock_json, strlen(unlock_json), &u, err), 0);
    assert_string_equal(u->episode_id, "m-6");
    assert_int_equal(u->state, CATALOG_UNLOCKED);
    assert_int_equal(u->method, CATALOG_METHOD_COINS);
    assert_int_equal(u->price_coins, 30);
    assert_false(u->already_unlocked);
    assert_int_equal(u->charged_coins, 25);
    assert_int_equal(u->charged_bonus, 5);
    assert_int_equal(u->coins, 0);
    assert_int_equal(u->ads_left_today, 3);
    catalog_unlock_free(u);
    unlock_json = UNLOCK_DOC("\"free\"", "null", "true", "{\"coins\":0,\"bonus_coins\":0}",
                             "{\"coins\":4,\"bonus_coins\":1}");
    assert_int_equal(catalog_parse_unlock(unlock_json, strlen(unlock_json), &u, err), 0);
    assert_int_equal(u->state, CATALOG_FREE);
    assert_int_equal(u->method, CATALOG_METHOD_NONE);
    assert_true(u->already_unlocked);
    assert_int_equal(u->ads_left_today, -1);
    catalog_unlock_free(u);

    static const struct {
        long status;
        const char *json;
        enum catalog_refusal_kind kind;
    } refusals[] = {
        {402,
         ERR_BODY("insufficient_coins") ",\"price_coins\":30,\"balance\":20,\"coins\":15,"
                                        "\"bonus_coins\":5}",
         CATALOG_REFUSAL_NO_COINS},
        {402, ERR_BODY("vip_required") ",\"vip\":{\"active\":false,\"expires_at\":1700000000}}",
         CATALOG_REFUSAL_NO_VIP},
        {429, ERR_BODY("ad_limit_reached") ",\"ads_per_day\":3,\"retry_after\":3600}",
         CATALOG_REFUSAL_AD_LIMIT},
        {409, ERR_BODY("idempotency_conflict") "}", CATALOG_REFUSAL_CONFLICT},
        {429, ERR_BODY("rate_limited") "}", CATALOG_REFUSAL_RATE_LIMIT},
        {404, ERR_BODY("not_found") "}", CATALOG_REFUSAL_OTHER},
        /* The code only counts with its status. */
        {400, ERR_BODY("insufficient_coins") "}", CATALOG_REFUSAL_OTHER},
    };
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        struct catalog_refusal *r = NULL;
        assert_int_equal(catalog_parse_refusal(refusals[i].status, refusals[i].json,
                                               strlen(refusals[i].json), &r, err),
                         0);
        assert_int_equal(r->kind, refusals[i].kind);
        assert_string_equal(r->message, "m");
        switch (r->kind) {
        case CATALOG_REFUSAL_NO_COINS:
            assert_int_equal(r->price_coins, 30);
            assert_int_equal(r->balance, 20);
            assert_int_equal(r->coins, 15);
            assert_int_equal(r->bonus_coins, 5);
            break;
        case CATALOG_REFUSAL_NO_VIP:
            assert_int_equal(r->vip_expires_at, 1700000000);
            break;
        case CATALOG_REFUSAL_AD_LIMIT:
            assert_int_equal(r->ads_per_day, 3);
            assert_int_equal(r->retry_after_s, 3600);
            break;
        default:
            assert_int_equal(r->price_coins, 0);
            assert_int_equal(r->retry_after_s, -1);
            assert_int_equal(r->coins, -1);
            break;
        }
        catalog_refusal_free(r);
    }

    struct catalog_checkin *ci = NULL;
    const char *ci_json = "{\"reward_bonus_coins\":5,\"streak\":1,\"expires_at\":1763900000,"
                          "\"next_reward\":10,\"wallet\":{\"coins\":20,\"bonus_coins\":5}}";
    assert_int_equal(catalog_parse_checkin(200, ci_json, strlen(ci_json), &ci, err), 0);
    assert_false(ci->already_claimed);
    assert_int_equal(ci->reward_bonus_coins, 5);
    assert_int_equal(ci->streak, 1);
    assert_int_equal(ci->expires_at, 1763900000);
    assert_int_equal(ci->next_reward, 10);
    assert_int_equal(ci->coins, 20);
    assert_int_equal(ci->bonus_coins, 5);
    catalog_checkin_free(ci);
    ci_json = ERR_BODY("already_claimed") ",\"streak\":3}";
    assert_int_equal(catalog_parse_checkin(409, ci_json, strlen(ci_json), &ci, err), 0);
    assert_true(ci->already_claimed);
    assert_int_equal(ci->streak, 3);
    assert_int_equal(ci->next_reward, -1);
    assert_int_equal(ci->coins, -1);
    catalog_checkin_free(ci);

    const char *packs_json = "{\"packs\":[" PACK_OK "]}";
    struct catalog_packs *pk = NULL;
    assert_int_equal(catalog_parse_packs(packs_json, strlen(packs_json), &pk, err), 0);
    assert_int_equal(pk->n_packs, 1);
    assert_string_equal(pk->packs[0].id, "coins-100");
    assert_string_equal(pk->packs[0].title, "100 coins");
    assert_int_equal(pk->packs[0].coins, 100);
    assert_int_equal(pk->packs[0].bonus_coins, 10);
    assert_int_equal(pk->packs[0].bonus_days, 7);
    assert_int_equal(pk->packs[0].price_cents, 99);
    assert_string_equal(pk->packs[0].currency, "USD");
    assert_string_equal(pk->packs[0].price, "$0.99");
    catalog_packs_free(pk);

    const char *pu_json =
        PURCHASE_DOC("\"https://h/checkout/0123abcd\"", "\"completed\"", "1763700000", PACK_OK);
    struct catalog_purchase *pu = NULL;
    assert_int_equal(catalog_parse_purchase(pu_json, strlen(pu_json), &pu, err), 0);
    assert_string_equal(pu->id, "0123abcd");
    assert_string_equal(pu->qr_url, "https://h/checkout/0123abcd");
    assert_int_equal(pu->status, CATALOG_PURCHASE_COMPLETED);
    assert_int_equal(pu->expires_at, 1763800000);
    assert_int_equal(pu->completed_at, 1763700000);
    assert_string_equal(pu->pack.id, "coins-100");
    catalog_purchase_free(pu);

    const char *dc_json = CODE_DOC("\"http://h/activate\"", "null", "");
    struct catalog_device_code *dc = NULL;
    assert_int_equal(catalog_parse_device_code(dc_json, strlen(dc_json), &dc, err), 0);
    assert_string_equal(dc->device_code, "9f8e");
    assert_string_equal(dc->user_code, "BCDF-GHJK");
    assert_string_equal(dc->verification_uri, "http://h/activate");
    assert_null(dc->verification_uri_complete);
    assert_int_equal(dc->expires_in, 600);
    assert_int_equal(dc->interval, 5); /* RFC 8628 default */
    catalog_device_code_free(dc);

    static const struct {
        long status;
        const char *json;
        enum catalog_token_status want;
        int interval;
    } polls[] = {
        {200, TOKENS_OK, CATALOG_TOKEN_OK, 0},
        {400, ERR_BODY("authorization_pending") "}", CATALOG_TOKEN_PENDING, 0},
        {400, ERR_BODY("slow_down") ",\"interval\":10}", CATALOG_TOKEN_SLOW_DOWN, 10},
        {400, ERR_BODY("slow_down") "}", CATALOG_TOKEN_SLOW_DOWN, 0},
        {400, ERR_BODY("expired_token") "}", CATALOG_TOKEN_EXPIRED, 0},
        {400, ERR_BODY("access_denied") "}", CATALOG_TOKEN_DENIED, 0},
        {400, ERR_BODY("invalid_grant") "}", CATALOG_TOKEN_FAILED, 0},
        {400, ERR_BODY("bad_request") ",\"interval\":7}", CATALOG_TOKEN_FAILED, 0},
    };
    for (size_t i = 0; i < sizeof(polls) / sizeof(polls[0]); i++) {
        struct catalog_token_poll *tp = NULL;
        assert_int_equal(catalog_parse_token_poll(polls[i].status, polls[i].json,
                                                  strlen(polls[i].json), &tp, err),
                         0);
        assert_int_equal(tp->status, polls[i].want);
        assert_int_equal(tp->interval, polls[i].interval);
        if (tp->status == CATALOG_TOKEN_OK) {
            assert_string_equal(tp->tokens->token, "t2");
            assert_string_equal(tp->tokens->refresh_token, "r2");
            assert_int_equal(tp->tokens->account_id, 9);
            assert_null(tp->code);
        } else {
            assert_null(tp->tokens);
            assert_string_equal(tp->message, "m");
        }
        catalog_token_poll_free(tp);
    }

    const char *ack_json =
        "{\"results\":[{\"event_id\":\"e1\",\"status\":\"applied\"},{\"event_id\":\"e2\","
        "\"status\":\"stale\"},{\"event_id\":\"e3\",\"status\":\"duplicate\"},{\"event_id\":\"e4\","
        "\"status\":\"unknown_episode\"},{\"event_id\":\"e5\",\"status\":\"new\"}],\"applied\":1}";
    struct catalog_progress_ack *ack = NULL;
    assert_int_equal(catalog_parse_progress_ack(ack_json, strlen(ack_json), &ack, err), 0);
    assert_int_equal(ack->n_results, 5);
    assert_int_equal(ack->applied, 1);
    static const enum catalog_progress_status want[] = {
        CATALOG_PROGRESS_APPLIED, CATALOG_PROGRESS_STALE, CATALOG_PROGRESS_DUPLICATE,
        CATALOG_PROGRESS_UNKNOWN, CATALOG_PROGRESS_OTHER};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ack->results[i].status, want[i]);
    assert_string_equal(ack->results[4].event_id, "e5");
    catalog_progress_ack_free(ack);
    ack_json = "{\"results\":[]}";
    assert_int_equal(catalog_parse_progress_ack(ack_json, strlen(ack_json), &ack, err), 0);
    assert_int_equal(ack->applied, -1);
    assert_null(ack->results);
    catalog_progress_ack_free(ack);
}

/* A builder's result must be exactly want; frees body. */
static void expect_body(int rc, char *body, const char *want)
{
    if (rc != 0 || !body || strcmp(body, want) != 0) {
        print_error("built rc %d '%s', want '%s'\n", rc, body ? body : "(null)", want);
        free(body);
        fail();
    }
    free(body);
}

static void test_builders(void **state)
{
    char *body = NULL;
    int rc;

    rc = catalog_build_unlock(CATALOG_METHOD_COINS, "k-1.a_b:C", &body);
    expect_body(rc, body, "{\"method\":\"coins\",\"idempotency_key\":\"k-1.a_b:C\"}");
    rc = catalog_build_unlock(CATALOG_METHOD_AD, "k", &body);
    expect_body(rc, body, "{\"method\":\"ad\",\"idempotency_key\":\"k\"}");
    rc = catalog_build_unlock(CATALOG_METHOD_VIP, "k", &body);
    expect_body(rc, body, "{\"method\":\"vip\",\"idempotency_key\":\"k\"}");
    char key128[129];
    memset(key128, 'k', 128);
    key128[128] = '\0';
    assert_int_equal(catalog_build_unlock(CATALOG_METHOD_COINS, key128, &body), 0);
    free(body);
    static const struct {
        enum catalog_method method;
        const char *key;
    } bad_unlocks[] = {
        {CATALOG_METHOD_NONE, "k"},
        {CATALOG_METHOD_COINS | CATALOG_METHOD_AD, "k"},
        {(enum catalog_method)99, "k"},
        {CATALOG_METHOD_COINS, NULL},
        {CATALOG_METHOD_COINS, ""},
        {CATALOG_METHOD_COINS, "has space"},
        {CATALOG_METHOD_COINS, "quote\""},
        {CATALOG_METHOD_COINS, "k\n"},
        {CATALOG_METHOD_COINS, "caf\xc3\xa9"},
    };
    for (size_t i = 0; i < sizeof(bad_unlocks) / sizeof(bad_unlocks[0]); i++) {
        body = (char *)"sentinel";
        assert_int_equal(catalog_build_unlock(bad_unlocks[i].method, bad_unlocks[i].key, &body),
                         BINGE_EINVAL);
        assert_null(body);
    }
    char key129[130];
    memset(key129, 'k', 129);
    key129[129] = '\0';
    assert_int_equal(catalog_build_unlock(CATALOG_METHOD_COINS, key129, &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_unlock(CATALOG_METHOD_COINS, "k", NULL), BINGE_EINVAL);

    struct catalog_progress_item items[2] = {
        {"midnight-heir-3", "ev-1", 41000, 90000, 1763700000123LL},
        {"midnight-heir-4", "ev-2", 0, 0, 1763700005000LL},
    };
    rc = catalog_build_progress(items, 2, &body);
    expect_body(rc, body,
                "{\"items\":[{\"episode_id\":\"midnight-heir-3\",\"event_id\":\"ev-1\","
                "\"position_ms\":41000,\"duration_ms\":90000,\"updated_at\":1763700000123},"
                "{\"episode_id\":\"midnight-heir-4\",\"event_id\":\"ev-2\",\"position_ms\":0,"
                "\"duration_ms\":0,\"updated_at\":1763700005000}]}");
    /* A full batch is fine, one more is not. */
    struct catalog_progress_item many[CATALOG_PROGRESS_BATCH_MAX + 1];
    for (size_t i = 0; i < CATALOG_PROGRESS_BATCH_MAX + 1; i++)
        many[i] = items[0];
    assert_int_equal(catalog_build_progress(many, CATALOG_PROGRESS_BATCH_MAX, &body), 0);
    free(body);
    assert_int_equal(catalog_build_progress(many, CATALOG_PROGRESS_BATCH_MAX + 1, &body),
                     BINGE_EINVAL);
    assert_null(body);
    assert_int_equal(catalog_build_progress(items, 0, &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_progress(NULL, 1, &body), BINGE_EINVAL);
    static const struct catalog_progress_item bad_items[] = {
        {NULL, "e", 0, 0, 0},
        {"", "e", 0, 0, 0},
        {"Upper-Case", "e", 0, 0, 0},
        {"ep/1", "e", 0, 0, 0},
        {"ep", NULL, 0, 0, 0},
        {"ep", "", 0, 0, 0},
        {"ep", "e v", 0, 0, 0},
        {"ep", "e", -1, 0, 0},
        {"ep", "e", CATALOG_PROGRESS_MS_MAX + 1, 0, 0},
        {"ep", "e", 0, -1, 0},
        {"ep", "e", 0, CATALOG_PROGRESS_MS_MAX + 1, 0},
        {"ep", "e", 0, 0, -1},
        {"ep", "e", 0, 0, CATALOG_TIME_MS_MAX + 1},
    };
    for (size_t i = 0; i < sizeof(bad_items) / sizeof(bad_items[0]); i++) {
        struct catalog_progress_item two[2] = {items[0], bad_items[i]};
        if (catalog_build_progress(two, 2, &body) != BINGE_EINVAL || body) {
            print_error("bad progress item %zu was accepted\n", i);
            free(body);
            fail();
        }
    }
    struct catalog_progress_item edge = {"e", "e", CATALOG_PROGRESS_MS_MAX, CATALOG_PROGRESS_MS_MAX,
                                         CATALOG_TIME_MS_MAX};
    rc = catalog_build_progress(&edge, 1, &body);
    expect_body(rc, body,
                "{\"items\":[{\"episode_id\":\"e\",\"event_id\":\"e\",\"position_ms\":86400000,"
                "\"duration_ms\":86400000,\"updated_at\":9007199254740992}]}");

    rc = catalog_build_register("tv-1234", NULL, &body);
    expect_body(rc, body, "{\"device_id\":\"tv-1234\"}");
    rc = catalog_build_register("tv-1234", "ab12", &body);
    expect_body(rc, body, "{\"device_id\":\"tv-1234\",\"refresh_token\":\"ab12\"}");
    rc = catalog_build_register(NULL, NULL, &body);
    expect_body(rc, body, "{}");
    assert_int_equal(catalog_build_register("my tv", NULL, &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_register("", NULL, &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_register("tv-1234", "", &body), BINGE_EINVAL);
    assert_null(body);

    rc = catalog_build_refresh("0123abcdef", &body);
    expect_body(rc, body, "{\"refresh_token\":\"0123abcdef\"}");
    assert_int_equal(catalog_build_refresh("", &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_refresh("a b", &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_refresh(NULL, &body), BINGE_EINVAL);

    rc = catalog_build_device_token("9f8e", &body);
    expect_body(rc, body,
                "{\"device_code\":\"9f8e\",\"grant_type\":\"urn:ietf:params:oauth:grant-type:"
                "device_code\"}");
    assert_int_equal(catalog_build_device_token("a\"b\n", &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_device_token("", &body), BINGE_EINVAL);

    /* JSON escaping is the builder's job. */
    rc = catalog_build_purchase("coins-100", &body);
    expect_body(rc, body, "{\"pack_id\":\"coins-100\"}");
    rc = catalog_build_purchase("a\"b\\c", &body);
    expect_body(rc, body, "{\"pack_id\":\"a\\\"b\\\\c\"}");
    assert_int_equal(catalog_build_purchase("", &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_purchase("a\nb", &body), BINGE_EINVAL);
    assert_int_equal(catalog_build_purchase(NULL, &body), BINGE_EINVAL);

    /* What the builders make, the server's own rules accept: round-trip through the parsers'
     * notion of JSON by parsing the unlock body as an error-free document. */
    assert_int_equal(catalog_build_unlock(CATALOG_METHOD_COINS, "k", &body), 0);
    char *code = NULL, *message = NULL;
    assert_int_equal(catalog_parse_error(body, strlen(body), &code, &message), BINGE_EPARSE);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_rows),
        cmocka_unit_test(test_home_hero_fields),
        cmocka_unit_test(test_series_rows),
        cmocka_unit_test(test_play_locked_device_error_rows),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_free_null_and_bad_args),
        cmocka_unit_test(test_length_bounds),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_fixture_values),
        cmocka_unit_test(test_fixtures_v1),
        cmocka_unit_test(test_home_drops_bad_item),
        cmocka_unit_test(test_fixture_progress_request),
        cmocka_unit_test(test_home_search_series_extras_rows),
        cmocka_unit_test(test_wallet_rows),
        cmocka_unit_test(test_unlock_rows),
        cmocka_unit_test(test_checkin_packs_purchase_rows),
        cmocka_unit_test(test_device_flow_progress_rows),
        cmocka_unit_test(test_issue3_values),
        cmocka_unit_test(test_builders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
