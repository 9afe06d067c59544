/* Search, end to end (issue 9, section 4): a real binge-server on loopback with three small
 * generated series, and the real binge binary driven by --headless --script at 1920x1080. Home's
 * top bar leads to search; "pal" typed on the on-screen keyboard with the D-pad finds "Palace of
 * Secrets"; digit keys type digits ("pal7" finds nothing, and says so); OK on a result opens the
 * series; the query is kept in the recent searches, across a restart; BACK returns home. The
 * screenshots are checked by their pixels: the focus is visible, the text is there, nothing is
 * drawn outside the 5% safe area. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "screen_util.h"

#define CONTENT_ARGS "--series 3 --episodes 3 --duration 2 --sizes 180x320"

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-3x3x2s", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static int stop_server(void **state)
{
    (void)state;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    srv.pid = -1;
    return 0;
}

/* The keyboard is a-f / g-l / m-r / s-x / y z 0-3 / 4-9, then Space Delete Clear; the focus
 * starts on "a". These moves type "pal". */
#define TYPE_PAL                                                                                   \
    "key DOWN 2\nkey RIGHT 3\nkey OK\n" /* p */                                                    \
    "key UP 2\nkey LEFT 3\nkey OK\n"    /* a */                                                    \
    "key DOWN\nkey RIGHT 5\nkey OK\n"   /* l */

/* Geometry of the views (src/ui/screens/home.c and search.c), in 1920x1080 pixels. */
#define BAR_RECT 326, 60, 220, 58          /* home's top bar, its first item */
#define KEYS_RECT 96, 252, 552, 630        /* the keyboard */
#define QUERY_RECT 96, 138, 552, 84        /* the query box */
#define HEADING_RECT 720, 130, 1100, 64    /* "Results for ...", "No results for ..." */
#define FIRST_CARD_RECT 708, 210, 204, 294 /* the first result with its focus frame */

static void test_search_from_home(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-search");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    char script[4096];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.posters_pending=0 30000\n"
             "key UP\n"
             "wait-for home.bar=search 5000\n"
             "screenshot %s\n"
             "state\n" /* 0 */
             "key OK\n"
             "wait-for screen=search 5000\n"
             "state\n" /* 1: empty, no recent searches yet */
             TYPE_PAL "wait-for search.results_for=pal 20000\n"
             "wait-for search.state=ready 20000\n"
             "screenshot %s\n"
             "state\n" /* 2 */
             "key RIGHT\n"
             "wait-for search.focus=result:0 5000\n"
             "screenshot %s\n"
             "state\n" /* 3 */
             "key LEFT\n"
             "key DIGIT_7\n"
             "wait-for search.results_for=pal7 20000\n"
             "wait-for search.state=ready 20000\n"
             "screenshot %s\n"
             "state\n" /* 4 */
             "key BACK\n"
             "wait-for screen=home 5000\n"
             "state\n" /* 5 */,
             su_path(dir, "bar.png"), su_path(dir, "pal.png"), su_path(dir, "result.png"),
             su_path(dir, "none.png"));
    assert_int_equal(su_run(dir, "search", srv.url, script), 0);

    cJSON *s0 = su_state(dir, "search", 0);
    assert_string_equal(su_str(s0, NULL, "screen"), "home");
    assert_string_equal(su_str(s0, "home", "bar"), "search");
    cJSON_Delete(s0);
    /* The bar's focused item is filled; the page keeps to the safe area. */
    assert_true(su_has_colour(su_path(dir, "bar.png"), BAR_RECT, SU_FOCUS));
    su_assert_ui_in_safe_area(su_path(dir, "bar.png")); /* the hero's art may bleed */

    cJSON *s1 = su_state(dir, "search", 1);
    assert_string_equal(su_str(s1, NULL, "screen"), "search");
    assert_string_equal(su_str(s1, "search", "query"), "");
    assert_string_equal(su_str(s1, "search", "focus"), "key:a");
    assert_int_equal(su_num(s1, "search", "results"), 0);
    cJSON_Delete(s1);

    cJSON *s2 = su_state(dir, "search", 2);
    assert_string_equal(su_str(s2, "search", "query"), "pal");
    assert_int_equal(su_num(s2, "search", "results"), 1);
    assert_string_equal(su_str(s2, "search", "focus"), "key:l");
    cJSON_Delete(s2);
    const char *pal = su_path(dir, "pal.png");
    assert_true(su_has_colour(pal, KEYS_RECT, SU_FOCUS));   /* the focused key */
    assert_true(su_has_colour(pal, QUERY_RECT, SU_TEXT));   /* what was typed */
    assert_true(su_has_colour(pal, HEADING_RECT, SU_TEXT)); /* "Results for ..." */
    su_assert_safe_area(pal);

    cJSON *s3 = su_state(dir, "search", 3);
    assert_string_equal(su_str(s3, "search", "focus"), "result:0");
    cJSON_Delete(s3);
    const char *result = su_path(dir, "result.png");
    assert_true(su_has_colour(result, FIRST_CARD_RECT, SU_ACCENT)); /* the focus frame */
    assert_false(su_has_colour(result, KEYS_RECT, SU_FOCUS));       /* not on a key any more */
    su_assert_safe_area(result);

    /* The digit key typed a digit, and nothing matches: said in words, not an empty page. */
    cJSON *s4 = su_state(dir, "search", 4);
    assert_string_equal(su_str(s4, "search", "query"), "pal7");
    assert_int_equal(su_num(s4, "search", "results"), 0);
    cJSON_Delete(s4);
    const char *none = su_path(dir, "none.png");
    assert_true(su_has_colour(none, HEADING_RECT, SU_TEXT)); /* "No results for ..." */
    assert_false(su_has_colour(none, FIRST_CARD_RECT, SU_ACCENT));
    su_assert_safe_area(none);

    cJSON *s5 = su_state(dir, "search", 5);
    assert_string_equal(su_str(s5, NULL, "screen"), "home");
    cJSON_Delete(s5);
}

/* The SEARCH key opens search; OK on a result opens the series' page; the query becomes a recent
 * search, kept across a restart, and OK on it searches it again. */
static void test_result_opens_series_and_recent_searches(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-search-recent");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    assert_int_equal(su_run(dir, "open", srv.url,
                            "wait-for home.state=ready 30000\n"
                            "key SEARCH\n"
                            "wait-for screen=search 5000\n" TYPE_PAL
                            "wait-for search.results=1 20000\n"
                            "key RIGHT\n"
                            "key OK\n"
                            "wait-for series.id=palace-secrets 20000\n"
                            "state\n" /* 0 */
                            "key HOME\n"
                            "wait-for screen=home 5000\n"),
                     0);
    cJSON *s0 = su_state(dir, "open", 0);
    assert_string_equal(su_str(s0, NULL, "screen"), "series"); /* its page */
    assert_string_equal(su_str(s0, "series", "id"), "palace-secrets");
    cJSON_Delete(s0);

    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "key SEARCH\n"
             "wait-for screen=search 5000\n"
             "state\n" /* 0 */
             "key RIGHT 6\n"
             "wait-for search.focus=recent:0 5000\n"
             "screenshot %s\n"
             "key OK\n"
             "wait-for search.results_for=pal 20000\n"
             "state\n" /* 1 */,
             su_path(dir, "recent.png"));
    assert_int_equal(su_run(dir, "again", srv.url, script), 0);
    cJSON *a0 = su_state(dir, "again", 0);
    assert_int_equal(su_num(a0, "search", "recent"), 1);
    cJSON_Delete(a0);
    cJSON *a1 = su_state(dir, "again", 1);
    assert_string_equal(su_str(a1, "search", "query"), "pal");
    assert_int_equal(su_num(a1, "search", "results"), 1);
    cJSON_Delete(a1);
    const char *recent = su_path(dir, "recent.png");
    /* The recent search is a focused button on the right. */
    assert_true(su_has_colour(recent, 720, 210, 660, 90, SU_FOCUS));
    assert_true(su_has_colour(recent, HEADING_RECT, SU_TEXT)); /* "Recent searches" */
    su_assert_safe_area(recent);
}

/* A result whose poster home never loaded (here home itself fails): search fetches it. */
static void test_result_posters_without_home(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-search-posters");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), "--dev",
                                     su_path(dir, "server.log")),
                     0);
    assert_int_equal(tu_server_fault(srv.url, "{\"path_prefix\":\"/v1/home\",\"fault\":\"500\"}"),
                     200);
    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=error 30000\n"
             "key SEARCH\n"
             "wait-for screen=search 5000\n" TYPE_PAL "wait-for search.results=1 20000\n"
             "wait-for images.decoded>=1 20000\n"
             "wait 300\n"
             "screenshot %s\n"
             "state\n" /* 0 */,
             su_path(dir, "posters.png"));
    assert_int_equal(su_run(dir, "posters", srv.url, script), 0);
    cJSON *s0 = su_state(dir, "posters", 0);
    assert_int_equal(su_num(s0, "home", "shelves"), 0);
    assert_int_equal(su_num(s0, "images", "decoded"), 1);
    cJSON_Delete(s0);
    /* The card shows the poster, not the grey placeholder (44,44,60). */
    double mean[3], sd = 0;
    assert_int_equal(
        tu_png_stats(su_path(dir, "posters.png"), 730, 232, 160, 250, mean, &sd, NULL, NULL), 0);
    assert_true(sd > 5 || mean[0] + mean[1] + mean[2] > 3 * 60 || mean[0] + mean[1] < 60);
    su_assert_safe_area(su_path(dir, "posters.png"));
}

/* The query is emptied while its search is on the way (the server is slow): the late answer is
 * dropped, not shown under an empty query where the recent searches belong. */
static void test_emptied_query_drops_late_answer(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-search-late");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), "--dev",
                                     su_path(dir, "server.log")),
                     0);
    assert_int_equal(
        tu_server_fault(srv.url,
                        "{\"path_prefix\":\"/v1/search\",\"fault\":\"latency\",\"ms\":2000}"),
        200);
    assert_int_equal(su_run(dir, "late", srv.url,
                            "wait-for home.state=ready 30000\n"
                            "key SEARCH\n"
                            "wait-for screen=search 5000\n"
                            "key DOWN 2\nkey RIGHT 3\nkey OK\n" /* p */
                            "wait-for search.state=loading 5000\n"
                            "key DOWN 4\n" /* Delete */
                            "wait-for search.focus=key:delete 5000\n"
                            "key OK\n"
                            "wait-for search.query= 5000\n"
                            "wait 3500\n" /* the answer came meanwhile */
                            "state\n"),
                     0);
    cJSON *s0 = su_state(dir, "late", 0);
    assert_string_equal(su_str(s0, "search", "query"), "");
    assert_string_equal(su_str(s0, "search", "state"), "idle");
    assert_int_equal(su_num(s0, "search", "results"), 0);
    assert_true(cJSON_IsNull(su_get(s0, "search", "results_for")));
    cJSON_Delete(s0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_search_from_home, stop_server),
        cmocka_unit_test_teardown(test_result_opens_series_and_recent_searches, stop_server),
        cmocka_unit_test_teardown(test_result_posters_without_home, stop_server),
        cmocka_unit_test_teardown(test_emptied_query_drops_late_answer, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
