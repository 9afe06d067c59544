/* Offline first and nothing lost, on the real binge and binge-server:
 *   - with the server gone, the saved catalog, posters and wallet show at once under an
 *     Offline banner, and the fresh catalog replaces them when the server returns;
 *   - binge is killed with SIGKILL at random points while it saves positions, 200 times: every
 *     restart parses its state, and every position binge reported as queued is either still
 *     queued or acknowledged by the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/testutil.h"
#include "binge/store.h"

#define CONTENT_ARGS "--series 2 --episodes 3 --duration 3 --sizes 180x320"
#define KILLS 200

static char content[1024];

static int setup(void **state)
{
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

static int run_binge(const char *dir, const char *url, const char *name, const char *script)
{
    char bin[1024], *script_path = path_in(dir, "script.txt");
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {bin,        "--headless", "--server",    (char *)url,
                    "--script", script_path,  "--state-dir", path_in(dir, "state"),
                    NULL};
    char out[1300], err[1300];
    snprintf(out, sizeof(out), "%s/%s.out", dir, name);
    snprintf(err, sizeof(err), "%s/%s.log", dir, name);
    int rc = tu_run(argv, out, err, 180);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge exited %d:\n%s\n", rc, log ? log : "");
        free(log);
    }
    return rc;
}

static cJSON *state_line(const char *dir, const char *name, int n)
{
    char file[1300];
    snprintf(file, sizeof(file), "%s/%s.out", dir, name);
    char *out = tu_read_file(file);
    assert_non_null(out);
    cJSON *json = NULL;
    int i = 0;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (l[0] == '{' && i++ == n) {
            json = cJSON_Parse(l);
            break;
        }
    free(out);
    if (!json)
        fail_msg("no state line %d", n);
    return json;
}

static const cJSON *get(const cJSON *root, const char *group, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(
        group ? cJSON_GetObjectItemCaseSensitive(root, group) : root, key);
}

static void test_offline_catalog(void **state)
{
    const char *dir = tu_workdir("e2e-offline");
    assert_non_null(dir);
    int port = tu_free_port();
    struct tu_server srv;
    assert_int_equal(tu_server_start(&srv, port, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    /* Online once: the catalog, the posters and the wallet are saved. */
    assert_int_equal(run_binge(dir, srv.url, "online",
                               "wait-for home.state=ready 30000\n"
                               "wait-for home.posters_pending=0 30000\n"
                               "wait-for wallet.coins=20 30000\n"),
                     0);
    tu_server_stop(&srv);

    /* Offline: everything saved shows at once, under a banner, and the loop keeps ticking. */
    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 5000\n"
             "state\n"
             "wait-for error!=null 30000\n"
             "wait-for home.posters_pending=0 10000\n"
             "screenshot %s\n"
             "state\n",
             path_in(dir, "offline.png"));
    assert_int_equal(run_binge(dir, srv.url, "offline", script), 0);
    cJSON *s0 = state_line(dir, "offline", 0);
    assert_true(cJSON_IsTrue(get(s0, "home", "cached")));
    assert_int_equal(get(s0, "wallet", "coins")->valueint, 20);
    cJSON_Delete(s0);
    cJSON *s1 = state_line(dir, "offline", 1);
    assert_true(cJSON_IsTrue(get(s1, "home", "cached")));
    assert_true(get(s1, "home", "posters_ready")->valueint >= 2); /* posters from the disk */
    assert_non_null(strstr(get(s1, NULL, "error")->valuestring, "Can't reach the server"));
    assert_string_equal(get(s1, NULL, "screen")->valuestring, "home");
    cJSON_Delete(s1);
    double mean[3], sd;
    int w, h;
    assert_int_equal(tu_png_stats(path_in(dir, "offline.png"), 0, 0, 1, 1, mean, NULL, &w, &h), 0);
    /* The banner top right (text), and a poster where the first card is. */
    assert_int_equal(
        tu_png_stats(path_in(dir, "offline.png"), w / 2, 0, w / 2, h / 12, mean, &sd, NULL, NULL),
        0);
    assert_true(sd > 5);
    assert_int_equal(tu_png_stats(path_in(dir, "offline.png"), 150 * w / 1920, 270 * h / 1080,
                                  130 * w / 1920, 60 * h / 1080, mean, NULL, NULL, NULL),
                     0);
    assert_true(fabs(mean[0] - mean[2]) > 20); /* a coloured poster, not the grey placeholder */

    /* The server comes back: the fresh catalog replaces the saved one without a restart. */
    assert_int_equal(tu_server_start(&srv, port, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server2.log")),
                     0);
    assert_int_equal(run_binge(dir, srv.url, "back",
                               "wait-for home.state=ready 5000\n"
                               "wait-for home.cached=false 60000\n"
                               "wait-for error=null 10000\n"),
                     0);
    tu_server_stop(&srv);
}

/* The newest position binge reported as queued for each episode: "position <ep> <pos>/<dur> ms
 * queued as <id>". Older ones are superseded by design (the newest position wins). */
struct last_pos {
    char episode[64];
    long long pos;
    char id[40];
};

static size_t scan_log(const char *log_path, struct last_pos *last, size_t n, size_t max,
                       size_t *reported)
{
    char *log = tu_read_file(log_path);
    for (char *p = log; p && (p = strstr(p, "progress: position ")); p++) {
        struct last_pos lp;
        long long dur;
        if (sscanf(p, "progress: position %63s %lld/%lld ms queued as %39[0-9a-f]", lp.episode,
                   &lp.pos, &dur, lp.id) != 4)
            continue;
        (*reported)++;
        size_t i = 0;
        while (i < n && strcmp(last[i].episode, lp.episode) != 0)
            i++;
        if (i == n && n < max)
            n++;
        if (i < n)
            last[i] = lp;
    }
    free(log);
    return n;
}

static bool acknowledged(sqlite3 *db, const char *event_id)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM progress_events WHERE event_id = ?", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static long long server_position(sqlite3 *db, const char *episode)
{
    sqlite3_stmt *st = NULL;
    long long pos = -1;
    if (sqlite3_prepare_v2(db, "SELECT position_ms FROM progress WHERE episode_id = ?", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, episode, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        pos = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return pos;
}

static void test_kill9_loses_no_progress(void **state)
{
    const char *dir = tu_workdir("e2e-kill9");
    assert_non_null(dir);
    struct tu_server srv;
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    /* Own copies: path_in's buffers are reused across the 200 runs. */
    char bin[1024], script_path[1200], state_dir[1200];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/script.txt", dir);
    snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
    assert_int_equal(tu_write_file(script_path, "wait-for home.state=ready 30000\n"
                                                "key OK\n"
                                                "wait 30000\n"),
                     0);
    struct last_pos last[16];
    size_t n = 0, reported = 0;
    srand(7);
    for (int k = 0; k < KILLS; k++) {
        char log[1300];
        snprintf(log, sizeof(log), "%s/run%03d.log", dir, k);
        /* Positions every 20 ms while playing: kills land in the middle of the writes. */
        char *argv[] = {bin,           "--headless", "--server",
                        srv.url,       "--script",   script_path,
                        "--state-dir", state_dir,    "--progress-interval",
                        "20",          NULL};
        pid_t pid = tu_spawn(argv, "/dev/null", log);
        assert_true(pid > 0);
        /* From before the first frame to well into playback. */
        usleep((useconds_t)(600 + rand() % 2400) * 1000);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        n = scan_log(log, last, n, 16, &reported);

        /* The state binge left parses, with nothing set aside as damaged. */
        char err[256];
        struct store *st = store_open(state_dir, err, sizeof(err));
        if (!st)
            fail_msg("run %d: the state does not open: %s", k, err);
        if (store_recovered(st))
            fail_msg("run %d: %s", k, store_recovery_message(st));
        store_close(st);
    }
    /* One last run sends what is still queued; then the server must hold, for each episode,
     * the newest position binge ever reported as queued. */
    char *argv[] = {bin,         "--headless",  "--server", srv.url, "--script",
                    script_path, "--state-dir", state_dir,  NULL};
    assert_int_equal(tu_write_file(script_path, "wait-for home.state=ready 30000\n"
                                                "wait-for progress.pending=0 60000\n"),
                     0);
    assert_int_equal(tu_run(argv, path_in(dir, "last.out"), path_in(dir, "last.log"), 120), 0);
    tu_server_stop(&srv);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path_in(dir, "db.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    fprintf(stderr, "%d kills, %zu positions reported queued, over %zu episodes\n", KILLS, reported,
            n);
    assert_true(reported >= KILLS); /* the kills landed while positions were being written */
    for (size_t i = 0; i < n; i++) {
        if (!acknowledged(db, last[i].id))
            fail_msg("the last position of %s (%s) never reached the server", last[i].episode,
                     last[i].id);
        assert_int_equal(server_position(db, last[i].episode), last[i].pos);
    }
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_catalog),
        cmocka_unit_test(test_kill9_loses_no_progress),
    };
    signal(SIGPIPE, SIG_IGN);
    if (getenv("BINGE_TEST_FILTER"))
        cmocka_set_test_filter(getenv("BINGE_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, NULL);
}
