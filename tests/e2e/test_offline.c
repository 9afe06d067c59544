/* Offline first and nothing lost, on the real binge and binge-server:
 *   - with the server gone, the saved catalog, posters and wallet show at once under an
 *     Offline banner, and the fresh catalog replaces them when the server returns;
 *   - binge is killed with SIGKILL at random points while it saves positions, 200 times in 4
 *     lanes: every restart parses its state, and in the end the server holds, for each episode,
 *     the newest position that reached the journal, whether binge lived to log it or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/testutil.h"
#include "binge/log.h"
#include "binge/store.h"

#define CONTENT_ARGS "--series 2 --episodes 3 --duration 3 --sizes 180x320"
#define KILLS 200
#define LANES 4 /* KILLS is a multiple of it */
/* Even kills land this long after the start, from before the first frame into playback; odd
 * ones up to KILL_LATE_SPREAD_MS after binge logged its first position. */
#define KILL_EARLY_MIN_MS 300
#define KILL_EARLY_SPREAD_MS 2000
#define KILL_LATE_SPREAD_MS 600

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
    /* The banner top right (text), and a poster where the first card is (focused, under the
     * hero: x 108..332, y 538..874 in logical 1920x1080, as test_e2e samples it). */
    assert_int_equal(
        tu_png_stats(path_in(dir, "offline.png"), w / 2, 0, w / 2, h / 12, mean, &sd, NULL, NULL),
        0);
    assert_true(sd > 5);
    assert_int_equal(tu_png_stats(path_in(dir, "offline.png"), 153 * w / 1920, 566 * h / 1080,
                                  132 * w / 1920, 61 * h / 1080, mean, NULL, NULL, NULL),
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

/* The newest position for one episode, as far as the test knows: reported in binge's log
 * ("position <ep> <pos>/<dur> ms queued as <id>", printed once the record is durable), or found
 * in the journal after a kill that fell between the journal write and the log line. */
struct last_pos {
    char episode[64];
    long long pos;
    char id[40];
};

/* What one lane saw over its runs. */
struct lane {
    int index;
    struct tu_server srv;
    char dir[1100];
    char state_dir[1200];
    char script[1200];
    unsigned seed;
    struct last_pos newest[16]; /* per episode */
    size_t n_newest;
    char known[32768][STORE_EVENT_ID_LEN + 1]; /* every event id seen so far */
    size_t n_known;
    size_t reported;     /* "queued as" lines over all runs */
    size_t from_journal; /* newest positions found only in the journal */
    char failure[512];   /* empty while all is well: lanes run on threads, without cmocka asserts */
};

static struct last_pos *newest_for(struct lane *ln, const char *episode)
{
    for (size_t i = 0; i < ln->n_newest; i++)
        if (strcmp(ln->newest[i].episode, episode) == 0)
            return &ln->newest[i];
    if (ln->n_newest == sizeof(ln->newest) / sizeof(ln->newest[0]))
        return NULL;
    struct last_pos *p = &ln->newest[ln->n_newest++];
    memset(p, 0, sizeof(*p));
    snprintf(p->episode, sizeof(p->episode), "%s", episode);
    return p;
}

static bool known(const struct lane *ln, const char *id)
{
    for (size_t i = ln->n_known; i-- > 0;)
        if (strcmp(ln->known[i], id) == 0)
            return true;
    return false;
}

static void remember(struct lane *ln, const char *id)
{
    if (ln->n_known < sizeof(ln->known) / sizeof(ln->known[0]))
        snprintf(ln->known[ln->n_known++], sizeof(ln->known[0]), "%.*s", STORE_EVENT_ID_LEN, id);
}

/* One run's log: its "queued as" lines, in order, each newer than everything before it for its
 * episode. */
static void scan_log(struct lane *ln, const char *log_path)
{
    char *log = tu_read_file(log_path);
    for (char *p = log; p && (p = strstr(p, "progress: position ")); p++) {
        struct last_pos lp;
        long long dur;
        if (sscanf(p, "progress: position %63s %lld/%lld ms queued as %39[0-9a-f]", lp.episode,
                   &lp.pos, &dur, lp.id) != 4)
            continue;
        ln->reported++;
        struct last_pos *n = newest_for(ln, lp.episode);
        if (n)
            *n = lp;
        remember(ln, lp.id);
    }
    free(log);
}

/* The journal after a kill. A pending record never seen before is the write the kill caught
 * before its log line: the newest of this run for its episode (one put per episode is pending,
 * and binge logs each put as soon as it returns, so nothing older can be unseen). */
static void scan_journal(struct lane *ln, struct store *st)
{
    static __thread struct store_progress pend[64];
    size_t n = 0;
    if (store_progress_pending(st, pend, 64, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (known(ln, pend[i].event_id))
            continue;
        struct last_pos *p = newest_for(ln, pend[i].episode_id);
        if (p) {
            p->pos = pend[i].position_ms;
            snprintf(p->id, sizeof(p->id), "%.*s", STORE_EVENT_ID_LEN, pend[i].event_id);
            ln->from_journal++;
        }
        remember(ln, pend[i].event_id);
    }
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

/* Waits until binge logged a position (1), for at most 60 s (scaled; 0). -1: binge exited,
 * and was reaped. */
static int wait_for_position(const char *log_path, pid_t pid)
{
    for (int i = 0; i < tu_scaled(3000); i++) {
        char *log = tu_read_file(log_path);
        bool found = log && strstr(log, " queued as ");
        free(log);
        if (found)
            return 1;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1;
        usleep(20 * 1000);
    }
    return 0;
}

static void *lane_run(void *arg)
{
    struct lane *ln = arg;
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    for (int k = 0; k < KILLS / LANES; k++) {
        char log[1300];
        snprintf(log, sizeof(log), "%s/run%03d.log", ln->dir, k);
        /* Positions every 20 ms while playing: kills land in the middle of the writes. */
        char *argv[] = {bin,        "--headless",  "--server",    ln->srv.url,           "--script",
                        ln->script, "--state-dir", ln->state_dir, "--progress-interval", "20",
                        NULL};
        pid_t pid = tu_spawn(argv, "/dev/null", log);
        if (pid <= 0) {
            snprintf(ln->failure, sizeof(ln->failure), "run %d: binge did not start", k);
            return NULL;
        }
        /* Half the kills at any moment from the start, the other half once binge is writing
         * positions: wherever the machine's load puts the first frame, kills land in the
         * middle of the writes. */
        int written = 0;
        if (k % 2 == 0)
            usleep((useconds_t)(KILL_EARLY_MIN_MS + rand_r(&ln->seed) % KILL_EARLY_SPREAD_MS) *
                   1000);
        else if ((written = wait_for_position(log, pid)) > 0)
            usleep((useconds_t)(rand_r(&ln->seed) % KILL_LATE_SPREAD_MS) * 1000);
        if (written < 0) {
            snprintf(ln->failure, sizeof(ln->failure),
                     "run %d: binge exited by itself; see run%03d.log", k, k);
            return NULL;
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        scan_log(ln, log);

        /* The state binge left parses, with nothing set aside as damaged. */
        char err[256];
        struct store *st = store_open(ln->state_dir, err, sizeof(err));
        if (!st) {
            snprintf(ln->failure, sizeof(ln->failure), "run %d: the state does not open: %s", k,
                     err);
            return NULL;
        }
        if (store_recovered(st)) {
            snprintf(ln->failure, sizeof(ln->failure), "run %d: %s", k, store_recovery_message(st));
            store_close(st);
            return NULL;
        }
        scan_journal(ln, st);
        store_close(st);
    }
    return NULL;
}

/* KILLS kills in LANES lanes at once, each lane its own binge state and its own binge-server:
 * the kills of one lane are sequential, as a box's restarts are, and the lanes share the CPU. */
static void test_kill9_loses_no_progress(void **state)
{
    const char *dir = tu_workdir("e2e-kill9");
    assert_non_null(dir);
    char top[1024];
    snprintf(top, sizeof(top), "%s", dir);
    struct lane *lanes = calloc(LANES, sizeof(*lanes));
    assert_non_null(lanes);
    *state = lanes; /* stop_lanes stops their servers, whatever the outcome */
    for (int i = 0; i < LANES; i++) {
        struct lane *ln = &lanes[i];
        ln->index = i;
        ln->seed = 7u + (unsigned)i;
        snprintf(ln->dir, sizeof(ln->dir), "%s/lane%d", top, i);
        assert_int_equal(mkdir(ln->dir, 0700), 0);
        snprintf(ln->state_dir, sizeof(ln->state_dir), "%s/state", ln->dir);
        snprintf(ln->script, sizeof(ln->script), "%s/script.txt", ln->dir);
        /* The waits scale under emulation: under qemu-aarch64, with four lanes on two cores,
         * a run's playback took longer than 30 s to write a position (three stalls), so the
         * script ended and binge quit before the test could kill it. */
        char script[256];
        snprintf(script, sizeof(script), "wait-for home.state=ready %d\nkey PLAY_PAUSE\nwait %d\n",
                 tu_scaled(30000), tu_scaled(30000));
        assert_int_equal(tu_write_file(ln->script, script), 0);
        /* No per-device rate limit: one device restarted 50 times in a minute opens home, the
         * series and the episode each time, and a 429 on play (a CI run once got one) would
         * leave a run without positions to kill it in. */
        assert_int_equal(tu_server_start(&ln->srv, 0, content, path_in(ln->dir, "db.sqlite"),
                                         "--rate-limit 0", path_in(ln->dir, "server.log")),
                         0);
    }
    pthread_t threads[LANES];
    for (int i = 0; i < LANES; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, lane_run, &lanes[i]), 0);
    for (int i = 0; i < LANES; i++)
        pthread_join(threads[i], NULL);

    size_t reported = 0, from_journal = 0;
    for (int i = 0; i < LANES; i++) {
        struct lane *ln = &lanes[i];
        if (ln->failure[0])
            fail_msg("lane %d: %s", i, ln->failure);
        /* One last run sends what is still queued; then the server must hold, for each
         * episode, the newest position that reached the journal. */
        char bin[1024];
        snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
        char last[128];
        snprintf(last, sizeof(last),
                 "wait-for home.state=ready %d\nwait-for progress.pending=0 %d\n", tu_scaled(30000),
                 tu_scaled(60000));
        assert_int_equal(tu_write_file(ln->script, last), 0);
        char *argv[] = {bin,        "--headless",  "--server",    ln->srv.url, "--script",
                        ln->script, "--state-dir", ln->state_dir, NULL};
        assert_int_equal(
            tu_run(argv, path_in(ln->dir, "last.out"), path_in(ln->dir, "last.log"), 120), 0);
        tu_server_stop(&ln->srv);

        sqlite3 *db = NULL;
        assert_int_equal(
            sqlite3_open_v2(path_in(ln->dir, "db.sqlite"), &db, SQLITE_OPEN_READONLY, NULL),
            SQLITE_OK);
        for (size_t e = 0; e < ln->n_newest; e++) {
            const struct last_pos *p = &ln->newest[e];
            if (!acknowledged(db, p->id))
                fail_msg("lane %d: the newest position of %s (%lld ms, %s) never reached the "
                         "server",
                         i, p->episode, p->pos, p->id);
            long long at = server_position(db, p->episode);
            if (at != p->pos)
                fail_msg("lane %d: the server holds %lld ms for %s, the newest is %lld ms (%s)", i,
                         at, p->episode, p->pos, p->id);
        }
        sqlite3_close(db);
        reported += ln->reported;
        from_journal += ln->from_journal;
    }
    fprintf(stderr,
            "%d kills in %d lanes, %zu positions reported queued, %zu newest ones found only in "
            "the journal\n",
            KILLS, LANES, reported, from_journal);
    /* Every late kill landed while positions were being written. */
    assert_true(reported >= KILLS / 2);
}

static int stop_lanes(void **state)
{
    struct lane *lanes = *state;
    for (int i = 0; lanes && i < LANES; i++)
        tu_server_stop(&lanes[i].srv);
    free(lanes);
    *state = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_catalog),
        cmocka_unit_test_teardown(test_kill9_loses_no_progress, stop_lanes),
    };
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_WARN); /* the store's "state in ..." line at each of the 200 opens */
    if (getenv("BINGE_TEST_FILTER"))
        cmocka_set_test_filter(getenv("BINGE_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, NULL);
}
