/* The series page end to end (issue 9, section 3): the real binge-server on loopback with a
 * generated series of 80 short episodes, and the real binge driven over its --control socket.
 *   - home OK opens the series page; the focus moves from the buttons to the range tabs and
 *     into the grid, across ranges; digits 3 then 7 focus episode 37 on the 31-60 tab;
 *   - OK on the locked episode 37: its paywall; coins bought on the phone, the coins unlock,
 *     and episode 37 plays; DOWN in the player opens the episode strip, OK on a locked episode
 *     there opens its paywall, BACK returns to the series page;
 *   - My list: add (series.in_mylist, and the server's list), BACK to home with the focus where
 *     it was and a "My list" shelf; remove again.
 * Screenshots are checked by their pixels: the focus drawn where the state says, text present,
 * nothing in the UI's colours outside the 5% safe area. Waits are bounds against hangs, never
 * performance budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/testutil.h"

/* One series of 80 episodes (three range tabs: 1-30, 31-60, 61-80), 4 s each: cheap to make,
 * long enough to pause before one ends. Episodes 1-5 are free, the rest cost 30 coins. */
#define CONTENT_ARGS "--series 1 --episodes 80 --duration 4 --sizes 180x320"
#define SERIES "midnight-heir"

static char content[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-80", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static struct tu_server srv = {.pid = -1};

struct tv {
    pid_t pid;
    int fd;
    char sock[64];
};

/* The binge under test: killed by the teardown when a failed assertion left it running. */
static struct tv the_tv = {.pid = -1, .fd = -1};

static int stop_server(void **state)
{
    (void)state;
    if (the_tv.pid > 0) {
        kill(the_tv.pid, SIGKILL);
        tu_wait(the_tv.pid, 30);
        the_tv.pid = -1;
    }
    if (the_tv.fd >= 0)
        close(the_tv.fd);
    the_tv.fd = -1;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    srv.pid = -1;
    return 0;
}

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* binge --headless --control against url, its own state directory, at width x height. */
static void tv_start(struct tv *tv, const char *dir, const char *url, int width, int height)
{
    static int serial;
    char bin[1024], state[1200], w[16], h[16];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(w, sizeof(w), "%d", width);
    snprintf(h, sizeof(h), "%d", height);
    snprintf(tv->sock, sizeof(tv->sock), "/tmp/binge-series-%d-%d.sock", (int)getpid(), serial++);
    char *argv[] = {bin,           "--headless", "--server", (char *)url, "--control", tv->sock,
                    "--state-dir", state,        "--width",  w,           "--height",  h,
                    NULL};
    tv->pid = tu_spawn(argv, path_in(dir, "binge.out"), path_in(dir, "binge.log"));
    assert_true(tv->pid > 0);
    tv->fd = tu_control_connect(tv->sock, 60);
    assert_true(tv->fd >= 0);
}

/* Sends a command that must answer "ok". */
static void ok(struct tv *tv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(struct tv *tv, const char *fmt, ...)
{
    char line[1400], answer[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    assert_int_equal(tu_control(tv->fd, line, answer, sizeof(answer)), 0);
    if (strcmp(answer, "ok") != 0)
        fail_msg("'%s' answered '%s'", line, answer);
}

static cJSON *tv_state(struct tv *tv)
{
    char answer[8192];
    assert_int_equal(tu_control(tv->fd, "state", answer, sizeof(answer)), 0);
    cJSON *json = cJSON_Parse(answer);
    if (!json)
        fail_msg("state is not JSON: %s", answer);
    return json;
}

static const cJSON *get(const cJSON *root, const char *group, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(
        group ? cJSON_GetObjectItemCaseSensitive(root, group) : root, key);
}

static double num(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = get(root, group, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s.%s is not a number", group ? group : "", key);
    return v->valuedouble;
}

static const char *str(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = get(root, group, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void tv_quit(struct tv *tv)
{
    ok(tv, "quit");
    close(tv->fd);
    tv->fd = -1;
    int rc = tu_wait(tv->pid, 60);
    tv->pid = -1;
    assert_int_equal(rc, 0);
}

/* POSTs to the server with curl; returns the HTTP status. */
static int post(const char *url, const char *path, const char *data, const char *type)
{
    char cmd[2048], out[16] = "";
    snprintf(cmd, sizeof(cmd),
             "curl -s -o /dev/null -w '%%{http_code}' -X POST -H 'Content-Type: %s' "
             "--data '%s' '%s%s'",
             type, data, url, path);
    tu_sh(cmd, out, sizeof(out));
    return atoi(out);
}

/* The theme's colours (src/ui/ui_internal.h). */
#define COLOR_TEXT 0xF0F0F5u
#define COLOR_FOCUS 0xC41C4Eu
#define COLOR_ACCENT 0xFF486Eu
#define COLOR_DIM 0x9696A5u

/* The mean colour of a rectangle given in 1920x1080 logical pixels, of a screenshot made at
 * width x height. */
static unsigned mean_rgb(const char *png, int w, int x, int y, int rw, int rh)
{
    double m[3], sd;
    int iw, ih;
    double k = w / 1920.0;
    assert_int_equal(tu_png_stats(png, (int)(x * k), (int)(y * k), (int)(rw * k), (int)(rh * k), m,
                                  &sd, &iw, &ih),
                     0);
    assert_int_equal(iw, w);
    return ((unsigned)(m[0] + 0.5) << 16) | ((unsigned)(m[1] + 0.5) << 8) | (unsigned)(m[2] + 0.5);
}

static int distance(unsigned a, unsigned b)
{
    int d = 0;
    for (int s = 0; s < 24; s += 8) {
        int x = (int)((a >> s) & 255) - (int)((b >> s) & 255);
        d += x < 0 ? -x : x;
    }
    return d;
}

/* Nothing of the UI (its text, focus and accent colours) outside the 5% safe area of a
 * 1920x1080 screenshot: only the backdrop is there. */
static void assert_inside_safe_area(const char *png)
{
    static const unsigned colors[] = {COLOR_TEXT, COLOR_FOCUS, COLOR_ACCENT};
    static const int bands[][4] = {
        {0, 0, 1920, 54}, {0, 1026, 1920, 54}, {0, 0, 96, 1080}, {1824, 0, 96, 1080}};
    for (size_t c = 0; c < 3; c++)
        for (size_t b = 0; b < 4; b++)
            if (tu_png_text_lines(png, bands[b][0], bands[b][1], bands[b][2], bands[b][3],
                                  colors[c]) != 0)
                fail_msg("%s: colour %06x outside the safe area (band %zu)", png, colors[c], b);
}

/* Where the grid's cell of position pos (0..29) of its range is drawn at 1920x1080
 * (src/ui/screens/series.c: x 560, y 584, cells 113x110 with 14 between). */
static void cell_rect(int pos, int *x, int *y)
{
    *x = 560 + (pos % 10) * 127;
    *y = 584 + (pos / 10) * 124;
}

static void test_grid_digits_paywall_unlock(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-series-grid");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 5", path_in(dir, "server.log")),
                     0);
    tv_start(&the_tv, dir, srv.url, 1920, 1080);
    ok(&the_tv, "wait-for home.state=ready 30000");
    ok(&the_tv, "wait-for session.registered=true 30000");
    ok(&the_tv, "wait-for home.posters_pending=0 30000");

    /* Home OK: the series page, the focus on its primary button. */
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for screen=series 5000");
    ok(&the_tv, "wait-for series.state=ready 30000");
    const char *page = path_in(dir, "series.png");
    ok(&the_tv, "screenshot %s", page);
    cJSON *st = tv_state(&the_tv);
    assert_string_equal(str(st, "series", "id"), SERIES);
    assert_int_equal((int)num(st, "series", "episodes"), 80);
    assert_string_equal(str(st, "series", "range"), "1-30");
    assert_true(cJSON_IsNull(get(st, "series", "focus_episode")));
    assert_string_equal(str(st, "series", "focus"), "play");
    assert_string_equal(str(st, "series", "button"), "Play EP 1");
    assert_false(cJSON_IsTrue(get(st, "series", "in_mylist")));
    cJSON_Delete(st);
    /* The primary button is filled with the focus colour; the title and the facts are text. */
    assert_true(distance(mean_rgb(page, 1920, 566, 406, 30, 16), COLOR_FOCUS) < 20);
    assert_true(tu_png_text_lines(page, 560, 70, 1264, 100, COLOR_TEXT) >= 1);
    assert_true(tu_png_text_lines(page, 560, 220, 1264, 50, COLOR_TEXT) >= 1);
    /* The numbers: free ones (1-5) in the text colour, locked ones dimmed, on three rows. */
    assert_true(tu_png_text_lines(page, 560, 584, 1264, 372, COLOR_TEXT) >= 1);
    assert_true(tu_png_text_lines(page, 560, 584, 1264, 372, COLOR_DIM) >= 3);
    assert_inside_safe_area(page);

    /* DOWN: the range tabs; RIGHT: 31-60; DOWN: into the grid at its first episode. */
    ok(&the_tv, "key DOWN");
    ok(&the_tv, "wait-for series.focus=tabs 5000");
    ok(&the_tv, "wait-for series.focus_episode=null 5000");
    ok(&the_tv, "key RIGHT");
    ok(&the_tv, "wait-for series.range=31-60 5000");
    ok(&the_tv, "key DOWN");
    ok(&the_tv, "wait-for series.focus_episode=31 5000");
    ok(&the_tv, "key DOWN");
    ok(&the_tv, "wait-for series.focus_episode=41 5000");
    /* LEFT at a row's start goes on in episode order, across the range's edge too. */
    ok(&the_tv, "key UP");
    ok(&the_tv, "key LEFT");
    ok(&the_tv, "wait-for series.focus_episode=30 5000");
    ok(&the_tv, "wait-for series.range=1-30 5000");
    ok(&the_tv, "key RIGHT 2");
    ok(&the_tv, "wait-for series.focus_episode=32 5000");

    /* Digits: 3 then 7 within a second focus episode 37 (the tab follows). A digit alone
     * jumps too; another key ends the number (6, RIGHT, 3 is not 63). */
    ok(&the_tv, "key DIGIT_6");
    ok(&the_tv, "wait-for series.focus_episode=6 5000");
    ok(&the_tv, "wait-for series.range=1-30 5000");
    ok(&the_tv, "key RIGHT");
    ok(&the_tv, "wait-for series.focus_episode=7 5000");
    ok(&the_tv, "key DIGIT_3");
    ok(&the_tv, "key DIGIT_7");
    ok(&the_tv, "wait-for series.focus_episode=37 5000");
    ok(&the_tv, "wait-for series.range=31-60 5000");
    const char *grid = path_in(dir, "grid37.png");
    ok(&the_tv, "screenshot %s", grid);
    int x, y;
    cell_rect(6, &x, &y); /* 37 is the 7th of 31-60 */
    assert_true(distance(mean_rgb(grid, 1920, x + 6, y + 6, 16, 8), COLOR_FOCUS) < 20);
    cell_rect(5, &x, &y); /* 36 is not focused */
    assert_true(distance(mean_rgb(grid, 1920, x + 6, y + 6, 16, 8), COLOR_FOCUS) > 100);
    assert_true(tu_png_text_lines(grid, x, y, 113, 110, COLOR_ACCENT) >= 1); /* lock, price */
    assert_inside_safe_area(grid);

    /* OK on locked 37: its paywall. Coins bought on the phone, then the coins unlock. */
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for screen=paywall 30000");
    st = tv_state(&the_tv);
    assert_int_equal((int)num(st, "player", "episode_index"), 37);
    assert_int_equal((int)num(st, "paywall", "price_coins"), 30);
    cJSON_Delete(st);
    ok(&the_tv, "wait-for paywall.focus=ad 10000"); /* 20 welcome coins can't pay 30 */
    ok(&the_tv, "key DOWN 3");
    ok(&the_tv, "key OK"); /* the pack chooser, on the pack that covers the episode */
    ok(&the_tv, "wait-for screen=wallet 20000");
    ok(&the_tv, "wait-for wallet.packs>0 20000");
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for checkout.id!=null 20000");
    st = tv_state(&the_tv);
    char path[200];
    snprintf(path, sizeof(path), "/checkout/%s/pay", str(st, "checkout", "id"));
    cJSON_Delete(st);
    assert_int_equal(post(srv.url, path, "", "application/x-www-form-urlencoded"), 200);
    ok(&the_tv, "wait-for screen=paywall 20000");
    ok(&the_tv, "wait-for paywall.balance>=30 20000");
    ok(&the_tv, "key UP 3");
    ok(&the_tv, "wait-for paywall.focus=coins 5000");
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for player.state=playing 30000");
    ok(&the_tv, "key PLAY_PAUSE"); /* a 4 s episode: paused before it ends */
    ok(&the_tv, "wait-for player.state=paused 10000");
    st = tv_state(&the_tv);
    assert_string_equal(str(st, NULL, "screen"), "player");
    assert_string_equal(str(st, "player", "series_id"), SERIES);
    assert_int_equal((int)num(st, "player", "episode_index"), 37);
    cJSON_Delete(st);

    /* DOWN: the episode strip on the player, at the episode playing; BACK closes it. */
    ok(&the_tv, "key DOWN");
    ok(&the_tv, "wait-for player.strip=true 5000");
    ok(&the_tv, "wait-for player.strip_episode=37 5000");
    ok(&the_tv, "key RIGHT");
    ok(&the_tv, "wait-for player.strip_episode=38 5000");
    const char *strip = path_in(dir, "strip.png");
    ok(&the_tv, "screenshot %s", strip);
    assert_inside_safe_area(strip);
    /* The panel along the bottom holds the focused cell, in the focus colour. */
    assert_true(tu_png_text_lines(strip, 96, 796, 1728, 230, COLOR_TEXT) >= 1);
    assert_true(tu_png_text_lines(strip, 96, 796, 1728, 80, COLOR_DIM) >= 1); /* its hint */
    assert_true(tu_png_text_lines(strip, 96, 866, 1728, 120, COLOR_FOCUS) >= 1);
    ok(&the_tv, "key BACK");
    ok(&the_tv, "wait-for player.strip=false 5000");
    ok(&the_tv, "wait-for screen=player 5000");
    /* OK on a locked episode in the strip: its paywall. BACK: the series page. */
    ok(&the_tv, "key DOWN");
    ok(&the_tv, "key RIGHT");
    ok(&the_tv, "wait-for player.strip_episode=38 5000");
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for screen=paywall 30000");
    ok(&the_tv, "wait-for player.episode_index=38 5000");
    ok(&the_tv, "key BACK");
    ok(&the_tv, "wait-for screen=series 5000");
    ok(&the_tv, "wait-for series.focus_episode=37 5000");
    ok(&the_tv, "key BACK");
    ok(&the_tv, "wait-for screen=home 5000");
    tv_quit(&the_tv);
    stop_server(NULL);
}

static void test_mylist_and_back(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-series-mylist");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 5", path_in(dir, "server.log")),
                     0);
    tv_start(&the_tv, dir, srv.url, 1280, 720);
    ok(&the_tv, "wait-for home.state=ready 30000");
    ok(&the_tv, "wait-for session.registered=true 30000");
    ok(&the_tv, "wait-for home.cached=false 30000");
    /* The focus on the second shelf, so that coming back can show it kept. */
    ok(&the_tv, "key DOWN");
    cJSON *st = tv_state(&the_tv);
    int shelves = (int)num(st, "home", "shelves");
    int shelf = (int)num(st, "focus", "shelf");
    char series_id[64];
    snprintf(series_id, sizeof(series_id), "%s", str(st, "focus", "series_id"));
    cJSON_Delete(st);
    assert_int_equal(shelf, 1);

    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for screen=series 5000");
    ok(&the_tv, "wait-for series.state=ready 30000");
    ok(&the_tv, "key RIGHT");
    ok(&the_tv, "wait-for series.focus=mylist 5000");
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for series.in_mylist=true 10000");
    const char *added = path_in(dir, "mylist.png");
    ok(&the_tv, "screenshot %s", added);
    /* At 1280x720: the focused My list button (x 1104..1424, y 400..476 at 1080p). */
    assert_true(distance(mean_rgb(added, 1280, 1110, 406, 30, 16), COLOR_FOCUS) < 30);

    /* BACK: home, the focus on the same card, and a "My list" shelf once home is asked again
     * (the card's shelf moved down one: the focus went with it). */
    ok(&the_tv, "key BACK");
    ok(&the_tv, "wait-for screen=home 5000");
    ok(&the_tv, "wait-for home.shelves=%d 20000", shelves + 1);
    st = tv_state(&the_tv);
    assert_string_equal(str(st, "focus", "series_id"), series_id);
    assert_int_equal((int)num(st, "focus", "shelf"), shelf + 1);
    cJSON_Delete(st);
    /* Back on the page, from the server: on the list; OK takes it off. */
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for screen=series 5000");
    ok(&the_tv, "wait-for series.state=ready 30000");
    ok(&the_tv, "wait-for series.in_mylist=true 10000");
    ok(&the_tv, "key RIGHT");
    ok(&the_tv, "key OK");
    ok(&the_tv, "wait-for series.in_mylist=false 10000");
    ok(&the_tv, "key BACK");
    ok(&the_tv, "wait-for screen=home 5000");
    ok(&the_tv, "wait-for home.shelves=%d 20000", shelves);
    st = tv_state(&the_tv);
    assert_string_equal(str(st, "focus", "series_id"), series_id);
    cJSON_Delete(st);
    tv_quit(&the_tv);
    stop_server(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_grid_digits_paywall_unlock, stop_server),
        cmocka_unit_test_teardown(test_mylist_and_back, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
