/* Right to left end to end (issue 10, section 3): the real binge-server on loopback with a
 * small generated catalog, and the real binge run headless at 1920x1080 on the same script
 * twice, with --language ar and with --language en. The script presses the keys that point the
 * same way on screen (where en presses RIGHT, ar presses LEFT), and the screenshots are judged
 * by their pixels:
 *   - home: the focused first card of a shelf sits on the right in ar (mirroring en's, on the
 *     left); LEFT in ar moves the focus to the next card, drawn left of the first (state's
 *     focus.item 1, as RIGHT in en);
 *   - the player's seek bar, paused part way: its filled part touches the bar's right end in ar,
 *     its left end in en;
 *   - the "continue watching" card's progress bar likewise;
 *   - the top bar and the wallet: LEFT in ar goes where RIGHT goes in en (Wallet, the packs);
 *   - the checkout's QR code: module for module the code of checkout.url as encoded (by
 *     libqrencode here, as binge does), not mirrored, in both languages; in ar it is placed
 *     mirrored (on the left);
 *   - live: started in en, the settings screen's menu language stepped to ar mirrors the
 *     layout at once (the settings rows move to the right), and home after it; LEFT then moves
 *     along a shelf as in ar.
 * Waits are bounds against hangs, never performance budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <qrencode.h>
#include <signal.h>
#include <unistd.h>

#include "screen_util.h"

/* Three series of two 8 s episodes: long enough to pause part way through the first. */
#define CONTENT_ARGS "--series 3 --episodes 2 --duration 8 --sizes 180x320"

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-rtl-content", BINGE_BUILD_DIR);
    if (tu_make_content(content, CONTENT_ARGS) != 0)
        return -1;
    const char *dir = tu_workdir("e2e-rtl");
    if (!dir)
        return -1;
    return tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                           su_path(dir, "server.log"));
}

static int teardown(void **state)
{
    (void)state;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    return 0;
}

/* ---- pixels ---- */

struct shot {
    SDL_Surface *s; /* RGB888 */
    const char *path;
};

static struct shot shot_load(const char *path)
{
    SDL_Surface *raw = IMG_Load(path);
    if (!raw)
        fail_msg("can't read %s: %s", path, IMG_GetError());
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB888, 0);
    SDL_FreeSurface(raw);
    assert_non_null(s);
    assert_int_equal(s->w, SU_W);
    assert_int_equal(s->h, SU_H);
    return (struct shot){s, path};
}

static unsigned px(const struct shot *sh, int x, int y)
{
    assert_true(x >= 0 && x < sh->s->w && y >= 0 && y < sh->s->h);
    return ((const Uint32 *)((const Uint8 *)sh->s->pixels + (size_t)y * sh->s->pitch))[x] &
           0xffffffu;
}

static bool near(unsigned a, unsigned b, int tol)
{
    for (int s = 0; s < 24; s += 8) {
        int d = (int)((a >> s) & 255) - (int)((b >> s) & 255);
        if (d > tol || d < -tol)
            return false;
    }
    return true;
}

/* The focus frame around a card (ui_color_accent, 6 px): the columns through row y holding a
 * vertical run of the accent at least min_run tall. Its outer left and right columns in *l and
 * *r, the run's top and bottom rows in *top and *bottom. Returns false when there is none. */
static bool find_frame(const struct shot *sh, int y, int min_run, int *l, int *r, int *top,
                       int *bottom)
{
    *l = *r = -1;
    for (int x = 0; x < SU_W; x++) {
        if (!near(px(sh, x, y), SU_ACCENT, 6))
            continue;
        int t = y, b = y;
        while (t > 0 && near(px(sh, x, t - 1), SU_ACCENT, 6))
            t--;
        while (b < SU_H - 1 && near(px(sh, x, b + 1), SU_ACCENT, 6))
            b++;
        if (b - t + 1 < min_run)
            continue;
        if (*l < 0)
            *l = x, *top = t, *bottom = b;
        *r = x;
    }
    return *l >= 0;
}

/* A card on home's focused shelf: the shelf's cards are 200x300 from y 556, the focused one
 * grown to 224x336 (y 538 to 874) in a 6 px frame. */
#define CARD_MID_Y 706

static void card_frame(const char *png, int *l, int *r, int *top, int *bottom)
{
    struct shot sh = shot_load(png);
    if (!find_frame(&sh, CARD_MID_Y, 300, l, r, top, bottom))
        fail_msg("%s: no focused card on the first shelf", png);
    SDL_FreeSurface(sh.s);
    /* 224 wide inside a 6 px frame on both sides. */
    assert_in_range(*r - *l + 1, 224 + 12 - 2, 224 + 12 + 2);
}

/* ---- the runs ---- */

struct run {
    const char *lang;
    bool rtl;
    const char *next, *prev; /* the keys that point to what is drawn after, and before */
    char dir[1024];
};

static void run_flow(struct run *r)
{
    const char *dir = tu_workdir(r->rtl ? "e2e-rtl-ar" : "e2e-rtl-en");
    assert_non_null(dir);
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    char script[4096];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.posters_pending=0 30000\n"
             "wait-for home.animating=false 10000\n"
             "screenshot %s/home.png\n"
             "state\n"
             /* the next card */
             "key %s\n"
             "wait-for focus.item=1 5000\n"
             "wait-for home.animating=false 10000\n"
             "screenshot %s/home-next.png\n"
             "state\n"
             "key %s\n"
             "wait-for focus.item=0 5000\n"
             "wait-for home.animating=false 10000\n"
             /* the player, paused part way */
             "key PLAY_PAUSE\n"
             "wait-for screen=player 10000\n"
             "wait-for player.state=playing 60000\n"
             "wait-for player.position_ms>=1500 30000\n"
             "key PLAY_PAUSE\n"
             "wait-for player.state=paused 10000\n"
             "screenshot %s/player.png\n"
             "state\n"
             /* back home: the continue-watching card */
             "key BACK\n"
             "wait-for screen=home 10000\n"
             "wait-for home.continue_items=1 30000\n"
             "wait-for focus.shelf=0 5000\n"
             "wait-for home.posters_pending=0 30000\n"
             "wait-for home.animating=false 10000\n"
             "screenshot %s/continue.png\n"
             "state\n"
             /* the top bar, the wallet's packs, a checkout */
             "key UP\n"
             "wait-for home.bar=search 5000\n"
             "key %s\n"
             "wait-for home.bar=wallet 5000\n"
             "key OK\n"
             "wait-for screen=wallet 10000\n"
             "wait-for wallet.packs>0 30000\n"
             "key %s\n"
             "wait-for wallet.focus=coins-60 5000\n"
             "key OK\n"
             "wait-for screen=checkout 10000\n"
             "wait-for checkout.url!=null 30000\n"
             "screenshot %s/checkout.png\n"
             "state\n"
             "quit\n",
             dir, r->next, dir, r->prev, dir, dir, r->next, r->next, dir);
    char bin[1024], script_path[1300], out[1300], err[1300];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/script.txt", dir);
    snprintf(out, sizeof(out), "%s/run-out.txt", dir);
    snprintf(err, sizeof(err), "%s/run-err.txt", dir);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {
        bin,           "--headless",          "--server", srv.url, "--language", (char *)r->lang,
        "--script",    script_path,           "--width",  "1920",  "--height",   "1080",
        "--state-dir", su_path(dir, "state"), NULL};
    int rc = tu_run(argv, out, err, 300);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge --language %s exited %d; its log:\n%s\n", r->lang, rc,
                log ? log : "(none)");
        free(log);
    }
    assert_int_equal(rc, 0);
}

static cJSON *run_state(const struct run *r, int n)
{
    return su_state(r->dir, "run", n);
}

/* The QR code of text as binge draws it (src/ui/screens/qr.c): libqrencode's modules and a
 * 4-module quiet zone, whole pixels per module in at most 600 px, centred on y 540, its right
 * edge 40 px inside the safe area (mirrored in an RTL UI: its left edge). Counts the modules
 * whose centre pixel is not what the code says, drawn as encoded (flip false) or mirrored. */
static int qr_mismatches(const char *png, const char *text, bool rtl, bool flip)
{
    QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(code);
    int n = code->width + 8, size = 600 / n * n, m = size / n;
    int x0 = rtl ? SU_SAFE_X + 40 : SU_W - SU_SAFE_X - 40 - size, y0 = SU_H / 2 - size / 2;
    struct shot sh = shot_load(png);
    int bad = 0;
    for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
            int cx = flip ? n - 1 - x : x;
            bool dark = cx >= 4 && cx < code->width + 4 && y >= 4 && y < code->width + 4 &&
                        (code->data[(y - 4) * code->width + (cx - 4)] & 1);
            unsigned p = px(&sh, x0 + x * m + m / 2, y0 + y * m + m / 2);
            if (!near(p, dark ? 0x000000u : 0xffffffu, 8))
                bad++;
        }
    }
    SDL_FreeSurface(sh.s);
    QRcode_free(code);
    return bad;
}

/* The seek bar (src/ui/screens/player.c): 10 px high at y 986, from the safe area's left edge
 * to its right one; the accent fills the part played. */
#define SEEK_Y 991
#define SEEK_L (SU_SAFE_X + 3)
#define SEEK_R (SU_W - SU_SAFE_X - 4)

static void check_run(const struct run *r)
{
    char png[1300];

    /* Home: the direction, and the focused first card at the start of the row. */
    cJSON *st = run_state(r, 0);
    assert_int_equal(su_bool(st, "ui", "rtl"), r->rtl);
    assert_int_equal(su_num(st, "focus", "shelf"), 0);
    assert_int_equal(su_num(st, "focus", "item"), 0);
    cJSON_Delete(st);
    int l0, r0, t0, b0;
    snprintf(png, sizeof(png), "%s/home.png", r->dir);
    card_frame(png, &l0, &r0, &t0, &b0);
    if (r->rtl) /* its right edge near the safe area's right edge */
        assert_in_range(r0, SU_W - SU_SAFE_X - 60, SU_W - SU_SAFE_X);
    else
        assert_in_range(l0, SU_SAFE_X, SU_SAFE_X + 60);

    /* The next card: state's item 1, drawn on the side the key pointed to. */
    st = run_state(r, 1);
    assert_int_equal(su_num(st, "focus", "item"), 1);
    cJSON_Delete(st);
    int l1, r1, t1, b1;
    snprintf(png, sizeof(png), "%s/home-next.png", r->dir);
    card_frame(png, &l1, &r1, &t1, &b1);
    if (r->rtl)
        assert_true(r1 < l0); /* wholly left of the first card */
    else
        assert_true(l1 > r0);

    /* The seek bar, paused part way: filled from the right in ar, from the left in en. */
    st = run_state(r, 2);
    long long pos = su_num(st, "player", "position_ms"), dur = su_num(st, "player", "duration_ms");
    assert_string_equal(su_str(st, "player", "state"), "paused");
    cJSON_Delete(st);
    assert_true(dur > 0 && pos > 0 && pos < dur * 9 / 10);
    snprintf(png, sizeof(png), "%s/player.png", r->dir);
    struct shot sh = shot_load(png);
    bool right_filled = near(px(&sh, SEEK_R, SEEK_Y), SU_ACCENT, 6);
    bool left_filled = near(px(&sh, SEEK_L, SEEK_Y), SU_ACCENT, 6);
    SDL_FreeSurface(sh.s);
    if (right_filled == left_filled || right_filled != r->rtl)
        fail_msg("%s: the seek bar's ends: left %s, right %s (%s UI)", png,
                 left_filled ? "filled" : "empty", right_filled ? "filled" : "empty",
                 r->rtl ? "an RTL" : "an LTR");

    /* The continue-watching card: its bar (10 px along its bottom, inside the frame) filled
     * from its right end in ar, its left end in en. */
    st = run_state(r, 3);
    assert_int_equal(su_num(st, "home", "continue_items"), 1);
    cJSON_Delete(st);
    int lc, rc_, tc, bc;
    snprintf(png, sizeof(png), "%s/continue.png", r->dir);
    card_frame(png, &lc, &rc_, &tc, &bc);
    if (r->rtl)
        assert_in_range(rc_, SU_W - SU_SAFE_X - 60, SU_W - SU_SAFE_X);
    else
        assert_in_range(lc, SU_SAFE_X, SU_SAFE_X + 60);
    sh = shot_load(png);
    int bar_y = bc - 6 - 5;
    right_filled = near(px(&sh, rc_ - 6 - 3, bar_y), SU_ACCENT, 6);
    left_filled = near(px(&sh, lc + 6 + 3, bar_y), SU_ACCENT, 6);
    SDL_FreeSurface(sh.s);
    if (right_filled == left_filled || right_filled != r->rtl)
        fail_msg("%s: the continue card's bar ends: left %s, right %s (%s UI)", png,
                 left_filled ? "filled" : "empty", right_filled ? "filled" : "empty",
                 r->rtl ? "an RTL" : "an LTR");

    /* The checkout's QR code: exactly the code, never mirrored; placed mirrored in ar. */
    st = run_state(r, 4);
    const char *url = su_str(st, "checkout", "url");
    assert_non_null(url);
    snprintf(png, sizeof(png), "%s/checkout.png", r->dir);
    int bad = qr_mismatches(png, url, r->rtl, false);
    int bad_flipped = qr_mismatches(png, url, r->rtl, true);
    cJSON_Delete(st);
    if (bad != 0)
        fail_msg("%s: %d modules of the QR code differ from the code (%d from it mirrored)", png,
                 bad, bad_flipped);
    assert_true(bad_flipped > 0);
}

static void test_arabic_mirrors(void **state)
{
    (void)state;
    struct run r = {.lang = "ar", .rtl = true, .next = "LEFT", .prev = "RIGHT"};
    run_flow(&r);
    check_run(&r);
}

static void test_english_unchanged(void **state)
{
    (void)state;
    struct run r = {.lang = "en", .rtl = false, .next = "RIGHT", .prev = "LEFT"};
    run_flow(&r);
    check_run(&r);
}

/* ---- live: the menu language changed in settings ---- */

static pid_t live_pid = -1;
static int live_fd = -1;

static int stop_live(void **state)
{
    (void)state;
    if (live_pid > 0) {
        kill(live_pid, SIGKILL);
        tu_wait(live_pid, 30);
        live_pid = -1;
    }
    if (live_fd >= 0)
        close(live_fd);
    live_fd = -1;
    return 0;
}

static void live_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void live_ok(const char *fmt, ...)
{
    char line[1400], answer[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    assert_int_equal(tu_control(live_fd, line, answer, sizeof(answer)), 0);
    if (strcmp(answer, "ok") != 0)
        fail_msg("'%s' answered '%s'", line, answer);
}

static cJSON *live_state(void)
{
    static char answer[65536];
    assert_int_equal(tu_control(live_fd, "state", answer, sizeof(answer)), 0);
    cJSON *json = cJSON_Parse(answer);
    if (!json)
        fail_msg("state is not JSON: %.200s", answer);
    return json;
}

static void test_settings_switch_mirrors_live(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-rtl-live");
    assert_non_null(dir);
    char bin[1024], sock[64];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(sock, sizeof(sock), "/tmp/binge-rtl-%d.sock", (int)getpid());
    char *argv[] = {bin,           "--headless",
                    "--server",    srv.url,
                    "--control",   sock,
                    "--language",  "en",
                    "--width",     "1920",
                    "--height",    "1080",
                    "--state-dir", su_path(dir, "state"),
                    NULL};
    live_pid = tu_spawn(argv, su_path(dir, "binge.out"), su_path(dir, "binge.log"));
    assert_true(live_pid > 0);
    live_fd = tu_control_connect(sock, 60);
    assert_true(live_fd >= 0);
    live_ok("wait-for home.state=ready 30000");
    live_ok("wait-for home.posters_pending=0 30000");
    live_ok("wait-for ui.rtl=false 1000");
    /* Settings, its menu-language row. */
    live_ok("key UP");
    live_ok("wait-for home.bar=search 5000");
    live_ok("key RIGHT 2");
    live_ok("wait-for home.bar=settings 5000");
    live_ok("key OK");
    live_ok("wait-for screen=settings 10000");
    live_ok("key DOWN");
    live_ok("wait-for settings.focus=ui_language 5000");
    /* Step through the menu languages to ar: forward is RIGHT in an LTR UI and LEFT in an RTL
     * one (he may come first, and turns the keys round). */
    bool found = false;
    for (int i = 0; i < 40 && !found; i++) {
        cJSON *st = live_state();
        const char *lang = su_str(st, "settings", "ui_language");
        found = lang && strcmp(lang, "ar") == 0;
        bool rtl = su_bool(st, "ui", "rtl");
        cJSON_Delete(st);
        if (!found)
            live_ok("key %s", rtl ? "LEFT" : "RIGHT");
    }
    if (!found)
        fail_msg("the settings screen never offered the menus in ar");
    live_ok("wait-for ui.rtl=true 5000");
    const char *settings_png = su_path(dir, "settings-ar.png");
    live_ok("screenshot %s", settings_png);
    /* Home, mirrored: the focused first card on the right; LEFT moves to the next card. */
    live_ok("key BACK");
    live_ok("wait-for screen=home 10000");
    live_ok("key DOWN"); /* from the top bar back to the shelf */
    live_ok("wait-for home.bar=null 5000");
    live_ok("wait-for home.state=ready 30000");
    live_ok("wait-for home.posters_pending=0 30000");
    live_ok("wait-for home.animating=false 10000");
    const char *home_png = su_path(dir, "home-ar.png");
    live_ok("screenshot %s", home_png);
    cJSON *st = live_state();
    assert_int_equal(su_num(st, "focus", "item"), 0);
    cJSON_Delete(st);
    live_ok("key LEFT");
    live_ok("wait-for focus.item=1 5000");
    live_ok("quit");
    close(live_fd);
    live_fd = -1;
    assert_int_equal(tu_wait(live_pid, 60), 0);
    live_pid = -1;

    /* The settings rows (820 wide from the safe area's left edge in LTR) moved to the right:
     * the focused row's fill at the right safe edge, the info panel's at the left. */
    struct shot sh = shot_load(settings_png);
    unsigned right = px(&sh, SU_W - SU_SAFE_X - 8, 302), left = px(&sh, SU_SAFE_X + 8, 302);
    SDL_FreeSurface(sh.s);
    if (!near(right, SU_FOCUS, 6) || near(left, SU_FOCUS, 6))
        fail_msg("%s: the focused row is not mirrored (right edge %06x, left edge %06x)",
                 settings_png, right, left);
    int l, r, t, b;
    card_frame(home_png, &l, &r, &t, &b);
    assert_in_range(r, SU_W - SU_SAFE_X - 60, SU_W - SU_SAFE_X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arabic_mirrors),
        cmocka_unit_test(test_english_unchanged),
        cmocka_unit_test_teardown(test_settings_switch_mirrors_live, stop_live),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
