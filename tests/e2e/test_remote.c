/* The remote end to end (issue 11, section 5): the real binge-server on loopback, the real
 * binge --headless driven over its --control socket, and the test playing lircd: a real AF_UNIX
 * listening socket that binge's LIRC source connects to (--lirc-socket), sending lircd's lines.
 *   - LIRC: button lines move the focus and open and leave a series page; a garbage line and a
 *     huge one are logged and dropped, binge carries on; lircd "restarts" (the connection
 *     closed) and binge connects again by itself;
 *   - the colour keys: RED search, YELLOW wallet, BLUE settings, EXIT back to home; GREEN adds
 *     the series on its page to My list, and on home takes the focus to the My list shelf;
 *   - the player: the colour keys do nothing there, CHANNEL_UP / CHANNEL_DOWN play the next /
 *     previous episode (not past the first), EXIT goes home.
 * Waits are bounds against hangs, never performance budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/testutil.h"

/* test_resume's content (made once, shared): one series of three free 60 s episodes, long
 * enough that no episode ends by itself while the test changes episodes. */
#define CONTENT_ARGS "--series 1 --episodes 3 --duration 60 --sizes 180x320"

static char content[1024];
static struct tu_server srv = {.pid = -1};
static struct {
    pid_t pid;
    int fd;
    char sock[64];
} tv = {.pid = -1, .fd = -1};
static int lircd = -1, lirc_conn = -1; /* the listening socket we play lircd on, binge's conn */
static char lirc_path[108];

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-60s", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static int teardown(void **state)
{
    (void)state;
    if (tv.pid > 0) {
        kill(tv.pid, SIGKILL);
        tu_wait(tv.pid, 30);
    }
    tv.pid = -1;
    if (tv.fd >= 0)
        close(tv.fd);
    tv.fd = -1;
    if (lirc_conn >= 0)
        close(lirc_conn);
    if (lircd >= 0)
        close(lircd);
    lirc_conn = lircd = -1;
    if (lirc_path[0])
        unlink(lirc_path);
    tu_server_stop(&srv);
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

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...)
{
    char line[1400], answer[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    assert_int_equal(tu_control(tv.fd, line, answer, sizeof(answer)), 0);
    if (strcmp(answer, "ok") != 0)
        fail_msg("'%s' answered '%s'", line, answer);
}

/* One value of the state, as text ("home", "3", "null"). */
static const char *value(const char *group, const char *key)
{
    static char out[256];
    char answer[16384];
    assert_int_equal(tu_control(tv.fd, "state", answer, sizeof(answer)), 0);
    cJSON *json = cJSON_Parse(answer);
    if (!json)
        fail_msg("state is not JSON: %s", answer);
    const cJSON *g = group ? cJSON_GetObjectItemCaseSensitive(json, group) : json;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, key);
    if (cJSON_IsString(v))
        snprintf(out, sizeof(out), "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, sizeof(out), "%lld", (long long)v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(out, sizeof(out), "%s", cJSON_IsTrue(v) ? "true" : "false");
    else
        snprintf(out, sizeof(out), "null");
    cJSON_Delete(json);
    return out;
}

/* Waits (up to 60 s) for binge's LIRC source to connect to our lircd. */
static void lirc_accept(void)
{
    struct pollfd pfd = {.fd = lircd, .events = POLLIN};
    if (poll(&pfd, 1, 60000) != 1)
        fail_msg("binge did not connect to the lircd socket");
    lirc_conn = accept(lircd, NULL, NULL);
    assert_true(lirc_conn >= 0);
}

/* lircd's line for a button press (repeat count 0). Then silence: binge releases it. */
static void lirc_press(const char *button)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "000000000000e0e0 00 %s samsung\n", button);
    assert_int_equal(write(lirc_conn, line, (size_t)n), n);
}

static void test_remote(void **state)
{
    (void)state;
    const char *dir = tu_workdir("remote");
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    /* lircd's socket, listening before binge starts (as a box's lircd would) */
    snprintf(lirc_path, sizeof(lirc_path), "/tmp/binge-lircd-%d.sock", (int)getpid());
    unlink(lirc_path);
    lircd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", lirc_path);
    assert_int_equal(bind(lircd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lircd, 2), 0);

    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    /* the headless profile's file, which includes default.conf beside it (and keeps the test
     * from a box's /etc/binge/keymap.conf) */
    char keymap[1024];
    snprintf(keymap, sizeof(keymap), "%s/assets/keymaps/headless.conf", BINGE_SOURCE_DIR);
    snprintf(tv.sock, sizeof(tv.sock), "/tmp/binge-remote-%d.sock", (int)getpid());
    char *argv[] = {bin,
                    "--headless",
                    "--server",
                    srv.url,
                    "--control",
                    tv.sock,
                    "--state-dir",
                    path_in(dir, "state"),
                    "--device-id",
                    "tv-remote",
                    "--lirc-socket",
                    lirc_path,
                    "--keymap",
                    keymap,
                    "--width",
                    "1280",
                    "--height",
                    "720",
                    NULL};
    tv.pid = tu_spawn(argv, path_in(dir, "binge.out"), path_in(dir, "binge.log"));
    assert_true(tv.pid > 0);
    tv.fd = tu_control_connect(tv.sock, 60);
    assert_true(tv.fd >= 0);
    lirc_accept();
    ok("wait-for home.state=ready 60000");
    assert_string_equal(value("focus", "shelf"), "0");
    /* the keyboard and LIRC at least (evdev too where it is built; no pads headless) */
    const char *sources = value("input", "sources");
    if (strncmp(sources, "sdl-keyboard,", 13) != 0 || !strstr(sources, ",lirc") ||
        strstr(sources, "gamecontroller"))
        fail_msg("input.sources is '%s'", sources);
    assert_string_equal(value("input", "keymap"), keymap);

    /* ---- LIRC: lircd's lines move the focus ---- */
    lirc_press("KEY_DOWN");
    ok("wait-for focus.shelf=1 20000");
    /* garbage and a huge line: logged and dropped; the next button still works */
    const char *junk = "this is not what lircd says\n";
    assert_int_equal(write(lirc_conn, junk, strlen(junk)), (ssize_t)strlen(junk));
    char huge[5001];
    memset(huge, 'x', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\n';
    assert_int_equal(write(lirc_conn, huge, sizeof(huge)), (ssize_t)sizeof(huge));
    lirc_press("KEY_UP");
    ok("wait-for focus.shelf=0 20000");
    lirc_press("KEY_OK");
    ok("wait-for screen=series 20000");
    lirc_press("KEY_BACK");
    ok("wait-for screen=home 20000");
    char *log = tu_read_file(path_in(dir, "binge.log"));
    assert_non_null(log);
    assert_non_null(strstr(log, "lircd sent a line binge can't read: 'this is not what lircd"));
    assert_non_null(strstr(log, "lircd sent a line longer than 255 bytes (dropped)"));
    free(log);
    /* lircd restarts: binge connects again by itself, and the buttons work again */
    close(lirc_conn);
    lirc_conn = -1;
    lirc_accept();
    lirc_press("KEY_DOWN");
    ok("wait-for focus.shelf=1 20000");
    lirc_press("KEY_UP");
    ok("wait-for focus.shelf=0 20000");

    /* ---- the colour keys and EXIT ---- */
    ok("key RED");
    ok("wait-for screen=search 20000");
    ok("key EXIT");
    ok("wait-for screen=home 20000");
    ok("key YELLOW");
    ok("wait-for screen=wallet 20000");
    ok("key BLUE");
    ok("wait-for screen=settings 20000");
    ok("key EXIT");
    ok("wait-for screen=home 20000");
    /* GREEN with My list empty: home has no such shelf; nothing moves */
    const char *shelves_before = value("home", "shelves");
    char before[32];
    snprintf(before, sizeof(before), "%s", shelves_before);
    ok("key GREEN");
    assert_string_equal(value(NULL, "screen"), "home");
    assert_string_equal(value("focus", "shelf"), "0");
    /* GREEN on the series page: added to My list (as its My list button) */
    ok("key OK");
    ok("wait-for series.state=ready 20000");
    assert_string_equal(value("series", "in_mylist"), "false");
    ok("key GREEN");
    ok("wait-for series.in_mylist=true 20000");
    /* RED from the series page: search over it; EXIT: home, past both */
    ok("key RED");
    ok("wait-for screen=search 20000");
    ok("key EXIT");
    ok("wait-for screen=home 20000");
    /* home asks again after a series page: the My list shelf comes; GREEN focuses it */
    ok("wait-for home.shelves>%s 30000", before);
    ok("key GREEN");
    ok("wait-for focus.shelf_id=mylist 20000");
    ok("wait-for home.animating=false 20000");
    ok("screenshot %s", path_in(dir, "mylist.png"));

    /* ---- the player: CHANNEL_UP / CHANNEL_DOWN ---- */
    ok("key PLAY_PAUSE");
    ok("wait-for player.state=playing 60000");
    assert_string_equal(value("player", "episode_index"), "1");
    ok("key RED"); /* nothing in the player */
    ok("key BLUE");
    assert_string_equal(value(NULL, "screen"), "player");
    ok("key CHANNEL_UP");
    ok("wait-for player.episode_index=2 20000");
    ok("wait-for player.state=playing 60000");
    ok("screenshot %s", path_in(dir, "episode2.png"));
    ok("key CHANNEL_DOWN");
    ok("wait-for player.episode_index=1 20000");
    ok("wait-for player.state=playing 60000");
    ok("key CHANNEL_DOWN"); /* no episode 0: it plays on */
    assert_string_equal(value("player", "episode_index"), "1");
    assert_string_equal(value("player", "state"), "playing");
    ok("key EXIT");
    ok("wait-for screen=home 20000");
    /* EXIT on home: the exit confirm, as BACK; EXIT there does not stack another */
    ok("key EXIT");
    ok("wait-for screen=exit_confirm 20000");
    ok("key EXIT");
    assert_string_equal(value(NULL, "screen"), "exit_confirm");
    ok("key BACK");
    ok("wait-for screen=home 20000");
    ok("quit");
    assert_int_equal(tu_wait(tv.pid, 60), 0);
    tv.pid = -1;
}

/* ---- a real lircd (Debian's lirc package), when it is installed ---- */

#define LIRCD "/usr/sbin/lircd"
#define IRSEND "/usr/bin/irsend"

static pid_t lircd_pid = -1;
static char lircd_sock[1200], lircd_log[1200];

static int stop_lircd(void **state)
{
    if (lircd_sock[0])
        unlink(lircd_sock);
    if (lircd_pid > 0) {
        kill(lircd_pid, SIGKILL);
        tu_wait(lircd_pid, 30);
    }
    lircd_pid = -1;
    return teardown(state);
}

/* lircd with the file driver reading nothing (no IR hardware here), our remote's codes, and
 * SIMULATE allowed: irsend SIMULATE makes it send its clients the line a decoded button would. */
static void lircd_start(const char *dir)
{
    static int serial;
    char conf[1200], opts[1200], pid[1200];
    snprintf(conf, sizeof(conf), "%s/remote.conf", dir);
    snprintf(opts, sizeof(opts), "%s/lirc_options.conf", dir);
    snprintf(pid, sizeof(pid), "%s/lircd.pid", dir);
    /* a short path: a Unix socket's must fit 108 bytes, the build tree's may not */
    snprintf(lircd_sock, sizeof(lircd_sock), "/tmp/binge-lircd-%d.sock", (int)getpid());
    snprintf(lircd_log, sizeof(lircd_log), "%s/lircd-%d.log", dir, serial++);
    assert_int_equal(tu_write_file(opts, "[lircd]\nnodaemon = True\n"), 0);
    assert_int_equal(tu_write_file(conf, "begin remote\n"
                                         "  name binge-test\n"
                                         "  bits 16\n"
                                         "  eps 30\n"
                                         "  aeps 100\n"
                                         "  one 0 0\n"
                                         "  zero 0 0\n"
                                         "  gap 100000\n"
                                         "  begin codes\n"
                                         "    KEY_UP 0x0001\n"
                                         "    KEY_DOWN 0x0002\n"
                                         "    KEY_OK 0x0003\n"
                                         "    KEY_BACK 0x0004\n"
                                         "    KEY_RED 0x0005\n"
                                         "  end codes\n"
                                         "end remote\n"),
                     0);
    char *argv[] = {LIRCD,      "-O", opts, "-n", "-H",      "file", "-d", "/dev/null", "-o",
                    lircd_sock, "-P", pid,  "-L", lircd_log, "-a",   conf, NULL};
    lircd_pid = tu_spawn(argv, path_in(dir, "lircd.out"), path_in(dir, "lircd.err"));
    assert_true(lircd_pid > 0);
}

/* Waits (up to 60 s) until the running lircd's log says a client connected: binge, since the
 * test's irsend has not run against this lircd yet. */
static void lircd_wait_client(void)
{
    for (int i = 0; i < 600; i++) {
        char *log = tu_read_file(lircd_log);
        bool in = log && strstr(log, "accepted new client");
        free(log);
        if (in)
            return;
        usleep(100 * 1000);
    }
    fail_msg("binge never connected to lircd (%s)", lircd_log);
}

static void irsend(int code, const char *button)
{
    char cmd[1600];
    snprintf(cmd, sizeof(cmd), IRSEND " -d %s SIMULATE '%016x 00 %s binge-test'", lircd_sock, code,
             button);
    if (tu_sh(cmd, NULL, 0) != 0)
        fail_msg("%s failed", cmd);
}

static void test_real_lircd(void **state)
{
    (void)state;
    if (access(LIRCD, X_OK) != 0 || access(IRSEND, X_OK) != 0) {
        fprintf(stderr, "SKIP: no lircd and irsend here (Debian's lirc package)\n");
        skip();
    }
    const char *dir = tu_workdir("remote-lircd");
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    lircd_start(dir);
    for (int i = 0; i < 300 && access(lircd_sock, F_OK) != 0; i++)
        usleep(100 * 1000);
    assert_int_equal(access(lircd_sock, F_OK), 0);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(tv.sock, sizeof(tv.sock), "/tmp/binge-lircd-tv-%d.sock", (int)getpid());
    char *argv[] = {bin,           "--headless", "--server",      srv.url,
                    "--control",   tv.sock,      "--state-dir",   path_in(dir, "state"),
                    "--device-id", "tv-lircd",   "--lirc-socket", lircd_sock,
                    "--width",     "1280",       "--height",      "720",
                    NULL};
    tv.pid = tu_spawn(argv, path_in(dir, "binge.out"), path_in(dir, "binge.log"));
    assert_true(tv.pid > 0);
    tv.fd = tu_control_connect(tv.sock, 60);
    assert_true(tv.fd >= 0);
    ok("wait-for home.state=ready 60000");
    lircd_wait_client();
    irsend(2, "KEY_DOWN");
    ok("wait-for focus.shelf=1 20000");
    irsend(1, "KEY_UP");
    ok("wait-for focus.shelf=0 20000");
    irsend(3, "KEY_OK");
    ok("wait-for screen=series 20000");
    irsend(5, "KEY_RED");
    ok("wait-for screen=search 20000");
    irsend(4, "KEY_BACK");
    ok("wait-for screen=series 20000");
    /* lircd restarts (killed: with the file driver it does not act on SIGTERM while it waits on
     * its input): binge finds it again by itself */
    kill(lircd_pid, SIGKILL);
    tu_wait(lircd_pid, 30);
    lircd_pid = -1;
    lircd_start(dir);
    lircd_wait_client();
    irsend(4, "KEY_BACK");
    ok("wait-for screen=home 20000");
    ok("quit");
    assert_int_equal(tu_wait(tv.pid, 60), 0);
    tv.pid = -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_remote, teardown),
        cmocka_unit_test_teardown(test_real_lircd, stop_lircd),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
