/* Settings, end to end (issue 9, section 6): a real binge-server on loopback with three small
 * generated series, and the real binge binary at 1920x1080, driven by --script and by the
 * --control socket. Autoplay turned off is kept across a restart with the same state directory
 * and the player honours it (it stops after episode 1; OK plays episode 2); the catalog language
 * refetches home in Spanish; "Link" opens the activation, and "Unlink", after its question, makes
 * the linked TV a guest again with an empty wallet. Screenshots are checked by their pixels:
 * focus visible, text present, nothing outside the 5% safe area. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <unistd.h>

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

/* From home: UP to the top bar, RIGHT to its last item (Settings, whether Wallet is there or
 * not), OK. */
#define OPEN_SETTINGS                                                                              \
    "key UP\nkey RIGHT 2\nwait-for home.bar=settings 5000\nkey OK\n"                               \
    "wait-for screen=settings 5000\n"

/* Geometry of the view (src/ui/screens/settings.c), in 1920x1080 pixels. */
#define ROWS_RECT 96, 164, 820, 670 /* the rows */
#define ROW_RECT(i) 96, 164 + (i)*96, 820, 84
#define PANEL_RECT 976, 190, 820, 300 /* the panel's title and first lines */

static void test_autoplay_kept_and_honoured(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-settings-autoplay");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    char script[2048];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "state\n" /* 0 */
             OPEN_SETTINGS "screenshot %s\n"
             "key DOWN 4\n"
             "wait-for settings.focus=autoplay 5000\n"
             "key OK\n"
             "wait-for settings.autoplay=false 5000\n"
             "screenshot %s\n"
             "state\n" /* 1 */,
             su_path(dir, "settings.png"), su_path(dir, "autoplay-off.png"));
    assert_int_equal(su_run(dir, "toggle", srv.url, script), 0);
    cJSON *s0 = su_state(dir, "toggle", 0);
    assert_true(su_bool(s0, "settings", "autoplay")); /* on unless turned off */
    cJSON_Delete(s0);
    cJSON *s1 = su_state(dir, "toggle", 1);
    assert_string_equal(su_str(s1, NULL, "screen"), "settings");
    assert_false(su_bool(s1, "settings", "autoplay"));
    cJSON_Delete(s1);

    const char *first = su_path(dir, "settings.png");
    assert_true(su_has_colour(first, ROW_RECT(0), SU_FOCUS)); /* the first row has the focus */
    assert_true(su_has_colour(first, PANEL_RECT, SU_TEXT));   /* its explanation */
    su_assert_safe_area(first);
    const char *off = su_path(dir, "autoplay-off.png");
    assert_true(su_has_colour(off, ROW_RECT(4), SU_FOCUS));
    assert_false(su_has_colour(off, ROW_RECT(0), SU_FOCUS));
    assert_true(su_has_colour(off, ROW_RECT(4), SU_TEXT));
    su_assert_safe_area(off);

    /* A new binge with the same state directory: still off, and the player stops after the
     * first episode until OK. */
    /* (wait-for cannot spell a value with spaces: the message is checked in the state.) */
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "state\n" /* 0 */
             "key PLAY_PAUSE\n"
             "wait-for player.state=playing 60000\n"
             "wait-for player.state=idle 60000\n"
             "wait 1000\n"
             "state\n" /* 1: held at the end of episode 1 */
             "screenshot %s\n"
             "key OK\n"
             "wait-for player.episode_index=2 30000\n"
             "wait-for player.state=playing 60000\n"
             "state\n" /* 2 */,
             su_path(dir, "held.png"));
    assert_int_equal(su_run(dir, "restart", srv.url, script), 0);
    cJSON *r0 = su_state(dir, "restart", 0);
    assert_false(su_bool(r0, "settings", "autoplay"));
    cJSON_Delete(r0);
    cJSON *r1 = su_state(dir, "restart", 1);
    assert_int_equal(su_num(r1, "player", "episode_index"), 1);
    assert_string_equal(su_str(r1, "player", "state"), "idle");
    assert_string_equal(su_str(r1, "player", "message"), "Episode 1 ended");
    cJSON_Delete(r1);
    cJSON *r2 = su_state(dir, "restart", 2);
    assert_int_equal(su_num(r2, "player", "episode_index"), 2);
    cJSON_Delete(r2);
    /* The panel over the last frame says it, in the middle (the player is full screen: no
     * safe-area margin to check). */
    assert_true(su_has_colour(su_path(dir, "held.png"), 400, 350, 1120, 380, SU_TEXT));
}

/* ---- the control socket, for the account flow (as tests/e2e/test_account.c does) ---- */

struct tv {
    pid_t pid;
    int fd;
    char sock[64];
};

static void tv_start(struct tv *tv, const char *dir, const char *url)
{
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(tv->sock, sizeof(tv->sock), "/tmp/binge-settings-%d.sock", (int)getpid());
    char *argv[] = {bin,           "--headless",  "--server",    (char *)url,
                    "--control",   tv->sock,      "--width",     "1920",
                    "--height",    "1080",        "--state-dir", su_path(dir, "state"),
                    "--device-id", "tv-settings", NULL};
    tv->pid = tu_spawn(argv, su_path(dir, "tv.out"), su_path(dir, "tv.log"));
    assert_true(tv->pid > 0);
    tv->fd = tu_control_connect(tv->sock, 60);
    assert_true(tv->fd >= 0);
}

static void ok(struct tv *tv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(struct tv *tv, const char *fmt, ...)
{
    char line[512], answer[4096];
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
    char answer[16384];
    assert_int_equal(tu_control(tv->fd, "state", answer, sizeof(answer)), 0);
    cJSON *json = cJSON_Parse(answer);
    if (!json)
        fail_msg("state is not JSON: %s", answer);
    return json;
}

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

/* Polls `state` until focus.title is want (home fetched again), for at most 30 s. */
static void wait_focus_title(struct tv *tv, const char *want)
{
    char last[256] = "";
    for (int i = 0; i < 300; i++) {
        cJSON *st = tv_state(tv);
        const char *t = su_str(st, "focus", "title");
        snprintf(last, sizeof(last), "%s", t ? t : "(null)");
        cJSON_Delete(st);
        if (strcmp(last, want) == 0)
            return;
        usleep(100 * 1000);
    }
    fail_msg("focus.title is '%s', not '%s'", last, want);
}

static void test_language_link_unlink(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-settings-account");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    struct tv tv;
    tv_start(&tv, dir, srv.url);
    ok(&tv, "wait-for home.state=ready 30000");
    wait_focus_title(&tv, "The Midnight Heir");
    ok(&tv, "key UP");
    ok(&tv, "key RIGHT 2");
    ok(&tv, "wait-for home.bar=settings 5000");
    ok(&tv, "key OK");
    ok(&tv, "wait-for screen=settings 5000");

    /* The catalog in Spanish: home is fetched again at once, under the settings. */
    ok(&tv, "key RIGHT");
    ok(&tv, "wait-for settings.language=es 5000");
    ok(&tv, "key BACK");
    ok(&tv, "wait-for screen=home 5000");
    wait_focus_title(&tv, "La heredera de medianoche");
    ok(&tv, "key LEFT"); /* back to English for the rest */
    ok(&tv, "key UP");
    ok(&tv, "key RIGHT 2");
    ok(&tv, "key OK");
    ok(&tv, "wait-for screen=settings 5000");
    ok(&tv, "key LEFT");
    ok(&tv, "wait-for settings.language=en 5000");

    /* Link: the account row opens today's activation; the phone approves the code. */
    ok(&tv, "key DOWN 5");
    ok(&tv, "wait-for settings.focus=account 5000");
    ok(&tv, "wait-for settings.linked=false 5000");
    ok(&tv, "key OK");
    ok(&tv, "wait-for screen=activate 5000");
    ok(&tv, "wait-for activation.user_code!=null 20000");
    cJSON *st = tv_state(&tv);
    char form[200];
    snprintf(form, sizeof(form), "user_code=%s&name=mia&password=mia-password&action=create",
             su_str(st, "activation", "user_code"));
    cJSON_Delete(st);
    assert_int_equal(post(srv.url, "/activate", form, "application/x-www-form-urlencoded"), 200);
    ok(&tv, "wait-for session.account=mia 60000");
    ok(&tv, "key BACK");
    ok(&tv, "wait-for screen=settings 5000");
    ok(&tv, "wait-for settings.linked=true 5000");
    ok(&tv, "wait-for wallet.coins>=0 20000");
    ok(&tv, "screenshot %s", su_path(dir, "linked.png"));

    /* Unlink asks first, with the focus on Cancel; BACK keeps the link. */
    ok(&tv, "key OK");
    ok(&tv, "wait-for settings.confirm=true 5000");
    ok(&tv, "screenshot %s", su_path(dir, "confirm.png"));
    ok(&tv, "key BACK");
    ok(&tv, "wait-for settings.confirm=false 5000");
    st = tv_state(&tv);
    assert_true(su_bool(st, "settings", "linked"));
    cJSON_Delete(st);
    ok(&tv, "key OK");
    ok(&tv, "wait-for settings.confirm=true 5000");
    ok(&tv, "key UP"); /* "Unlink" */
    ok(&tv, "key OK");
    ok(&tv, "wait-for settings.linked=false 20000");
    ok(&tv, "wait-for session.account=null 5000");
    /* A guest again: the wallet is its own, new and empty (no welcome credit on unlink). */
    ok(&tv, "wait-for wallet.coins=0 20000");
    ok(&tv, "wait-for wallet.bonus_coins=0 20000");
    ok(&tv, "screenshot %s", su_path(dir, "unlinked.png"));
    st = tv_state(&tv);
    assert_string_equal(su_str(st, NULL, "screen"), "settings");
    assert_non_null(su_str(st, "settings", "status"));
    assert_non_null(strstr(su_str(st, "settings", "status"), "no longer linked to mia"));
    cJSON_Delete(st);
    ok(&tv, "key BACK");
    ok(&tv, "wait-for screen=home 5000");
    ok(&tv, "wait-for home.state=ready 5000");
    ok(&tv, "quit");
    close(tv.fd);
    assert_int_equal(tu_wait(tv.pid, 60), 0);

    const char *linked = su_path(dir, "linked.png");
    assert_true(su_has_colour(linked, ROW_RECT(5), SU_FOCUS)); /* the account row */
    assert_true(su_has_colour(linked, PANEL_RECT, SU_TEXT));
    su_assert_safe_area(linked);
    /* The question over the dimmed settings: the rows' focus fill is dimmed away, the dialog's
     * focused button is the only focus fill. */
    const char *confirm = su_path(dir, "confirm.png");
    assert_true(su_has_colour(confirm, 510, 200, 900, 700, SU_FOCUS));
    assert_false(su_has_colour(confirm, 96, 164, 400, 670, SU_FOCUS)); /* left of the dialog */
    su_assert_safe_area(confirm);
    const char *unlinked = su_path(dir, "unlinked.png");
    assert_true(su_has_colour(unlinked, ROW_RECT(5), SU_FOCUS));
    assert_true(su_has_colour(unlinked, 96, 840, 820, 120, SU_TEXT)); /* the status line */
    su_assert_safe_area(unlinked);

    /* The server agrees: the device's tokens are a guest's now. */
    char *log = tu_read_file(su_path(dir, "server.log"));
    assert_non_null(log);
    assert_non_null(strstr(log, "/v1/device/unlink"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_autoplay_kept_and_honoured, stop_server),
        cmocka_unit_test_teardown(test_language_link_unlink, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
