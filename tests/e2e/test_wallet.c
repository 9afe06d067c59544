/* End to end for the wallet and rewards screen (issue 9, section 5): the real binge-server on
 * loopback with small generated content, the real binge driven over its --control socket.
 *   - the daily check-in: claimed once (a toast, streak 1, the bonus credited), then "already
 *     claimed" with nothing credited twice;
 *   - the paywall's pack chooser: the second pack's checkout, its QR code and address, paid on
 *     the server's checkout page, and the balance it raises; BACK at each step;
 *   - the screenshots' pixels: the focus visible, text present, nothing outside the 5% safe
 *     area, at 1920x1080 and 1280x720.
 * Waits are generous bounds against hangs, never performance budgets. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "../common/testutil.h"

#define CONTENT_ARGS "--series 2 --episodes 3 --duration 3 --sizes 180x320"

static char content[1024];

/* What a test started, stopped by teardown even when an assertion ended the test early. */
static struct tu_server srv;
struct tv {
    pid_t pid;
    int fd;
    char sock[64];
};
static struct tv tv = {.pid = -1, .fd = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content", BINGE_BUILD_DIR);
    return tu_make_content(content, CONTENT_ARGS);
}

static int teardown(void **state)
{
    (void)state;
    if (tv.fd >= 0)
        close(tv.fd);
    if (tv.pid > 0) {
        kill(tv.pid, SIGKILL);
        waitpid(tv.pid, NULL, 0);
    }
    tv.pid = tv.fd = -1;
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

/* Starts binge --headless --control at width x height with its own state directory. */
static void tv_start(const char *dir, const char *url, int width, int height)
{
    static int serial;
    char bin[1024], state[1200], w[16], h[16];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(tv.sock, sizeof(tv.sock), "/tmp/binge-wallet-%d-%d.sock", (int)getpid(), serial++);
    snprintf(w, sizeof(w), "%d", width);
    snprintf(h, sizeof(h), "%d", height);
    char *argv[] = {
        bin,   "--headless",  "--server",  (char *)url, "--control", tv.sock,    "--state-dir",
        state, "--device-id", "tv-wallet", "--width",   w,           "--height", h,
        NULL};
    tv.pid = tu_spawn(argv, path_in(dir, "binge.out"), path_in(dir, "binge.log"));
    assert_true(tv.pid > 0);
    tv.fd = tu_control_connect(tv.sock, 60);
    assert_true(tv.fd >= 0);
}

/* Sends a command that must answer "ok". */
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

static cJSON *tv_state(void)
{
    char answer[16384];
    assert_int_equal(tu_control(tv.fd, "state", answer, sizeof(answer)), 0);
    cJSON *json = cJSON_Parse(answer);
    if (!json)
        fail_msg("state is not JSON: %s", answer);
    return json;
}

static const cJSON *jget(const cJSON *root, const char *group, const char *key)
{
    const cJSON *g = group ? cJSON_GetObjectItemCaseSensitive(root, group) : root;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, key);
    if (!v)
        fail_msg("state has no %s.%s", group ? group : "", key);
    return v;
}

static int64_t num(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = jget(root, group, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s.%s is not a number", group ? group : "", key);
    return (int64_t)v->valuedouble;
}

static const char *str(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = jget(root, group, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool boolean(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = jget(root, group, key);
    if (!cJSON_IsBool(v))
        fail_msg("%s.%s is not a boolean", group ? group : "", key);
    return cJSON_IsTrue(v);
}

static void tv_quit(void)
{
    ok("quit");
    close(tv.fd);
    tv.fd = -1;
    assert_int_equal(tu_wait(tv.pid, 60), 0);
    tv.pid = -1;
}

/* POSTs to the server with curl, the way a phone's browser does; returns the HTTP status. */
static int post(const char *url, const char *path)
{
    char cmd[2048], out[16] = "";
    snprintf(cmd, sizeof(cmd),
             "curl -s -o /dev/null -w '%%{http_code}' -X POST "
             "-H 'Content-Type: application/x-www-form-urlencoded' --data '' '%s%s'",
             url, path);
    tu_sh(cmd, out, sizeof(out));
    return atoi(out);
}

/* ---- pixels ---- */

/* The screen's background (src/ui/ui_internal.h ui_color_bg) and the focus fill. */
#define BG_R 16
#define BG_G 16
#define BG_B 24

/* A rectangle given in 1920x1080 logical pixels, scaled to the screenshot. */
struct box {
    int x, y, w, h;
};
static struct box scaled(struct box b, int width)
{
    return (struct box){b.x * width / 1920, b.y * width / 1920, b.w * width / 1920,
                        b.h * width / 1920};
}

/* Nothing is drawn outside the 5% safe area: the four margins are plain background. */
static void assert_safe_area(const char *png, int width, int height)
{
    int mx = width * 5 / 100, my = height * 5 / 100;
    const struct box margins[] = {
        {0, 0, width, my - 1},               /* top */
        {0, height - my + 1, width, my - 1}, /* bottom */
        {0, 0, mx - 1, height},              /* left */
        {width - mx + 1, 0, mx - 1, height}, /* right */
    };
    for (size_t i = 0; i < sizeof(margins) / sizeof(margins[0]); i++) {
        double mean[3], sd = -1;
        int w = 0, h = 0;
        assert_int_equal(tu_png_stats(png, margins[i].x, margins[i].y, margins[i].w, margins[i].h,
                                      mean, &sd, &w, &h),
                         0);
        assert_int_equal(w, width);
        assert_int_equal(h, height);
        if (sd > 0.01 || (int)(mean[0] + 0.5) != BG_R || (int)(mean[1] + 0.5) != BG_G ||
            (int)(mean[2] + 0.5) != BG_B)
            fail_msg("%s: margin %zu (%d,%d %dx%d) is not plain background: mean %.1f,%.1f,%.1f "
                     "sd %.2f",
                     png, i, margins[i].x, margins[i].y, margins[i].w, margins[i].h, mean[0],
                     mean[1], mean[2], sd);
    }
}

/* The focus fill (ui_color_focus, 196,28,78) inside a button: a patch near its left edge. */
static bool focused_at(const char *png, struct box logical, int width)
{
    struct box b = scaled(logical, width);
    double mean[3];
    assert_int_equal(tu_png_stats(png, b.x + 3, b.y + 3, 12, 12, mean, NULL, NULL, NULL), 0);
    return mean[0] > 170 && mean[1] < 60 && mean[2] > 50 && mean[2] < 110;
}

/* Text is drawn in the box (glyphs of colour rgb). */
static void assert_text(const char *png, struct box logical, int width, unsigned rgb,
                        const char *what)
{
    struct box b = scaled(logical, width);
    int lines = tu_png_text_lines(png, b.x, b.y, b.w, b.h, rgb);
    if (lines < 1)
        fail_msg("%s: no text of #%06x in %s (%d,%d %dx%d)", png, rgb, what, b.x, b.y, b.w, b.h);
}

/* Layout of the wallet (src/ui/screens/wallet.c), in logical pixels. */
#define CLAIM_BOX ((struct box){96, 528, 420, 76})
#define PACK_BOX(i) ((struct box){1086, 234 + (i)*102, 738, 88})
#define BALANCE_BOX ((struct box){96, 138, 900, 80})

/* ---- the way in ---- */

/* Home, the first episode (locked: no free episodes), the paywall, "Buy coins on your phone":
 * the pack chooser, which is the wallet focused on its packs. */
static void open_chooser(void)
{
    ok("wait-for home.state=ready 30000");
    ok("key PLAY_PAUSE"); /* the card's series played at once */
    ok("wait-for screen=paywall 30000");
    ok("wait-for paywall.focus=ad 20000"); /* the wallet is in: the rows are known */
    ok("key DOWN 3");
    ok("key OK");
    ok("wait-for screen=wallet 10000");
    ok("wait-for wallet.packs>0 20000");
    ok("wait-for wallet.history>0 20000");
}

/* ---- the daily check-in ---- */

static void test_checkin_once_then_already_claimed(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-wallet-checkin");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 0", path_in(dir, "server.log")),
                     0);
    tv_start(dir, srv.url, 1920, 1080);
    open_chooser();
    ok("wait-for wallet.coins=20 20000"); /* the welcome coins */
    ok("key LEFT");
    ok("wait-for wallet.focus=claim 5000");
    const char *before_png = path_in(dir, "wallet-before.png");
    ok("screenshot %s", before_png);
    cJSON *st = tv_state();
    assert_string_equal(str(st, NULL, "screen"), "wallet");
    assert_int_equal(num(st, "wallet", "packs"), 5); /* docs/api.md: 3 coin packs, 2 VIP plans */
    assert_int_equal(num(st, "wallet", "checkin.streak"), 0);
    assert_false(boolean(st, "wallet", "checkin.claimed_today"));
    int64_t reward = num(st, "wallet", "checkin.next_reward");
    int64_t coins = num(st, "wallet", "coins"), bonus = num(st, "wallet", "bonus_coins");
    assert_int_equal(reward, 5);
    cJSON_Delete(st);

    /* Claim: a toast with the reward, streak 1, claimed today, the bonus coins credited. */
    ok("key OK");
    ok("wait-for wallet.checkin_result=claimed 20000");
    st = tv_state();
    const char *toast = str(st, NULL, "toast");
    assert_non_null(toast);
    assert_non_null(strstr(toast, "+5 bonus coins"));
    assert_int_equal(num(st, "wallet", "checkin.streak"), 1);
    assert_true(boolean(st, "wallet", "checkin.claimed_today"));
    assert_int_equal(num(st, "wallet", "coins"), coins);
    assert_int_equal(num(st, "wallet", "bonus_coins"), bonus + reward);
    cJSON_Delete(st);
    const char *claimed_png = path_in(dir, "wallet-claimed.png");
    ok("screenshot %s", claimed_png);
    /* The ledger shows the reward once the wallet asked again. */
    ok("wait-for wallet.history=2 20000");

    /* Again: the server says "already claimed", and nothing more is credited. */
    ok("key OK");
    ok("wait-for wallet.checkin_result=already_claimed 20000");
    st = tv_state();
    const char *status = str(st, NULL, "screen_status");
    assert_non_null(status);
    assert_non_null(strstr(status, "Already claimed today"));
    toast = str(st, NULL, "toast");
    assert_non_null(toast);
    assert_non_null(strstr(toast, "Already claimed"));
    assert_int_equal(num(st, "wallet", "checkin.streak"), 1);
    assert_int_equal(num(st, "wallet", "bonus_coins"), bonus + reward);
    cJSON_Delete(st);

    /* BACK returns to the paywall; the wallet opened again reads the server's ledger afresh:
     * the welcome and one check-in, never two. */
    ok("key BACK");
    ok("wait-for screen=paywall 10000");
    ok("wait-for paywall.balance=%lld 20000", (long long)(coins + bonus + reward));
    ok("key OK");
    ok("wait-for screen=wallet 10000");
    ok("wait-for wallet.history>0 20000");
    st = tv_state();
    assert_int_equal(num(st, "wallet", "history"), 2);
    assert_int_equal(num(st, "wallet", "bonus_coins"), bonus + reward);
    cJSON_Delete(st);
    ok("key BACK");
    ok("wait-for screen=paywall 10000");
    tv_quit();
    tu_server_stop(&srv);

    /* Pixels, 1920x1080: the Claim button focused, the balance and a pack label drawn, the
     * first day filled once claimed, nothing in the margins. */
    assert_safe_area(before_png, 1920, 1080);
    assert_safe_area(claimed_png, 1920, 1080);
    assert_true(focused_at(before_png, CLAIM_BOX, 1920));
    assert_false(focused_at(before_png, PACK_BOX(0), 1920));
    assert_text(before_png, BALANCE_BOX, 1920, 0xff486e, "the balance");
    assert_text(before_png, PACK_BOX(1), 1920, 0xf0f0f5, "the second pack");
    assert_text(claimed_png, (struct box){96, 406, 900, 120}, 1920, 0xf0f0f5, "the day strip");
    /* Day 1 claimed: the focus pink fills it (its top-left patch). */
    assert_true(focused_at(claimed_png, (struct box){96, 408, 124, 100}, 1920));
    assert_false(focused_at(before_png, (struct box){96, 408, 124, 100}, 1920));
}

/* ---- the pack chooser ---- */

static void test_chooser_second_pack_checkout_paid(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-wallet-chooser");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 0", path_in(dir, "server.log")),
                     0);
    tv_start(dir, srv.url, 1280, 720);
    open_chooser();
    /* 20 coins for a 30-coin episode: the chooser opens on the smallest pack that covers it. */
    ok("wait-for wallet.focus=coins-60 10000");
    ok("key DOWN");
    ok("wait-for wallet.focus=coins-300 5000");
    const char *chooser_png = path_in(dir, "chooser.png");
    ok("screenshot %s", chooser_png);

    /* The second pack's checkout: its id and price, the QR code's address written out. */
    ok("key OK");
    ok("wait-for screen=checkout 10000");
    ok("wait-for checkout.id!=null 20000");
    cJSON *st = tv_state();
    assert_string_equal(str(st, "checkout", "pack_id"), "coins-300");
    assert_string_equal(str(st, "checkout", "price"), "$4.99");
    char first_id[64];
    snprintf(first_id, sizeof(first_id), "%s", str(st, "checkout", "id"));
    char want_url[256];
    snprintf(want_url, sizeof(want_url), "%s/checkout/%s", srv.url, first_id);
    assert_string_equal(str(st, "checkout", "url"), want_url);
    cJSON_Delete(st);
    const char *checkout_png = path_in(dir, "checkout.png");
    ok("screenshot %s", checkout_png);

    /* BACK returns to the chooser, still on that pack; OK opens a new checkout for it. */
    ok("key BACK");
    ok("wait-for screen=wallet 10000");
    ok("wait-for wallet.focus=coins-300 5000");
    ok("key OK");
    ok("wait-for checkout.id!=null 20000");
    st = tv_state();
    assert_string_equal(str(st, "checkout", "pack_id"), "coins-300");
    assert_string_not_equal(str(st, "checkout", "id"), first_id);
    char pay[200];
    snprintf(pay, sizeof(pay), "/checkout/%s/pay", str(st, "checkout", "id"));
    cJSON_Delete(st);

    /* Paid on the phone's page: back to the paywall (past the chooser) with 330 coins more. */
    assert_int_equal(post(srv.url, pay), 200);
    ok("wait-for screen=paywall 20000");
    ok("wait-for paywall.balance=350 20000");
    ok("wait-for wallet.coins=320 20000");
    st = tv_state();
    assert_int_equal(num(st, "wallet", "bonus_coins"), 30);
    assert_non_null(strstr(str(st, "paywall", "status"), "+330"));
    cJSON_Delete(st);
    /* The first checkout, left unpaid, credited nothing: one purchase in the ledger. */
    ok("key DOWN 3");
    ok("key OK");
    ok("wait-for screen=wallet 10000");
    ok("wait-for wallet.history>0 20000");
    st = tv_state();
    assert_int_equal(num(st, "wallet", "history"), 2); /* welcome, the purchase */
    cJSON_Delete(st);
    ok("key BACK");
    ok("wait-for screen=paywall 10000");
    tv_quit();
    tu_server_stop(&srv);

    /* Pixels, 1280x720: the second pack focused (not the first), text drawn, the margins
     * plain; the checkout's address written out beside the QR code. */
    assert_safe_area(chooser_png, 1280, 720);
    assert_true(focused_at(chooser_png, PACK_BOX(1), 1280));
    assert_false(focused_at(chooser_png, PACK_BOX(0), 1280));
    assert_false(focused_at(chooser_png, CLAIM_BOX, 1280));
    assert_safe_area(checkout_png, 1280, 720);
}

/* The checkout's address, at 1920x1080 where the glyphs are drawn 1:1. */
static void test_checkout_writes_the_address(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-wallet-address");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"),
                                     "--free-episodes 0", path_in(dir, "server.log")),
                     0);
    tv_start(dir, srv.url, 1920, 1080);
    open_chooser();
    ok("key OK");
    ok("wait-for checkout.id!=null 20000");
    const char *png = path_in(dir, "checkout.png");
    ok("screenshot %s", png);
    ok("key BACK");
    ok("wait-for screen=wallet 10000");
    ok("key BACK");
    ok("wait-for screen=paywall 10000");
    tv_quit();
    tu_server_stop(&srv);
    assert_safe_area(png, 1920, 1080);
    /* Under the instructions, left of the QR code: the address in white, one or two lines. */
    assert_text(png, (struct box){136, 470, 1000, 110}, 1920, 0xf0f0f5, "the address");
}

/* ---- a check-in under faults ---- */

static void fault(const char *url, const char *rule)
{
    assert_int_equal(tu_server_fault(url, rule), 200);
}

/* A failed claim says so in the viewer's words and credits nothing; a claim whose answer was
 * lost after the server made it shows as claimed once the wallet is asked again, and the next
 * OK hears "already claimed": the reward is credited exactly once. */
static void test_checkin_under_faults(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-wallet-faults");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"), "--dev",
                                     path_in(dir, "server.log")),
                     0);
    tv_start(dir, srv.url, 1280, 720);
    ok("wait-for home.state=ready 30000");
    ok("key UP");
    ok("key RIGHT");
    ok("wait-for home.bar=wallet 5000");
    ok("key OK");
    ok("wait-for screen=wallet 10000");
    ok("wait-for wallet.history=1 20000");
    ok("wait-for wallet.coins=20 20000");

    /* 500 instead of the claim: nothing happened. */
    fault(srv.url, "{\"path_prefix\":\"/v1/checkin\",\"fault\":\"500\",\"count\":1}");
    ok("key OK");
    ok("wait-for wallet.checkin_result=failed 20000");
    cJSON *st = tv_state();
    const char *status = str(st, NULL, "screen_status");
    assert_non_null(status);
    assert_non_null(strstr(status, "The check-in failed"));
    static const char *const raw[] = {"injected", "internal", "127.0.0.1", "HTTP", "500"};
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
        if (strstr(status, raw[i]))
            fail_msg("the status shows '%s': %s", raw[i], status);
    assert_non_null(strstr(str(st, NULL, "error_detail"), "injected fault: 500"));
    cJSON_Delete(st);
    const char *failed_png = path_in(dir, "failed.png");
    ok("screenshot %s", failed_png);
    ok("wait-for wallet.checkin.claimed_today=false 20000");
    ok("wait-for wallet.bonus_coins=0 20000");

    /* The claim is made, then its answer is cut. Either binge sees the failure, or curl
     * resends the POST on what looked like a stale connection and hears 409 (docs: net.h):
     * both end with today's claim shown, credited once. */
    fault(srv.url, "{\"path_prefix\":\"/v1/checkin\",\"fault\":\"reset\",\"count\":1,"
                   "\"phase\":\"after\"}");
    ok("key OK");
    ok("wait-for wallet.checkin_result!=null 20000");
    st = tv_state();
    const char *result = str(st, "wallet", "checkin_result");
    fprintf(stderr, "the claim with its answer cut: %s\n", result);
    if (strcmp(result, "already_claimed") == 0) {
        /* Not "Already claimed": the viewer had not seen a claim today. */
        status = str(st, NULL, "screen_status");
        assert_non_null(strstr(status, "Today's check-in is in: day 1"));
    } else {
        assert_string_equal(result, "failed");
    }
    cJSON_Delete(st);
    ok("wait-for wallet.checkin.claimed_today=true 20000");
    ok("wait-for wallet.bonus_coins=5 20000");
    ok("wait-for wallet.history=2 20000");
    ok("key OK");
    ok("wait-for wallet.checkin_result=already_claimed 20000");
    st = tv_state();
    assert_int_equal(num(st, "wallet", "bonus_coins"), 5);
    assert_int_equal(num(st, "wallet", "checkin.streak"), 1);
    cJSON_Delete(st);
    ok("key BACK");
    ok("wait-for screen=home 10000");
    tv_quit();
    tu_server_stop(&srv);
    assert_safe_area(failed_png, 1280, 720);
}

/* ---- from home's top bar ---- */

/* Home, UP to the top bar, RIGHT to "Wallet", OK: the wallet on the Claim button. The ledger
 * takes the focus; a VIP plan bought here comes back to the wallet (not a paywall), with a
 * toast that says what was bought, VIP on, and the purchase in the ledger. BACK goes home. */
static void test_from_home_bar_buy_vip(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-wallet-home");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    tv_start(dir, srv.url, 1920, 1080);
    ok("wait-for home.state=ready 30000");
    ok("key UP");
    ok("wait-for home.bar=search 5000");
    ok("key RIGHT");
    ok("wait-for home.bar=wallet 5000");
    ok("key OK");
    ok("wait-for screen=wallet 10000");
    ok("wait-for wallet.focus=claim 5000");
    ok("wait-for wallet.packs>0 20000");
    ok("wait-for wallet.history=1 20000"); /* the welcome coins */
    ok("wait-for wallet.coins=20 20000");
    cJSON *st = tv_state();
    assert_false(boolean(st, "wallet", "vip"));
    assert_int_equal(num(st, "wallet", "vip_expires_at"), 0);
    cJSON_Delete(st);

    /* DOWN: the ledger's first row; UP: back to Claim. */
    ok("key DOWN");
    ok("wait-for wallet.focus=history 5000");
    const char *history_png = path_in(dir, "history.png");
    ok("screenshot %s", history_png);
    ok("key UP");
    ok("wait-for wallet.focus=claim 5000");

    /* RIGHT: the packs from the first; the fourth is the 7-day VIP plan. */
    ok("key RIGHT");
    ok("wait-for wallet.focus=coins-60 5000");
    ok("key DOWN 3");
    ok("wait-for wallet.focus=vip-7 5000");
    ok("key OK");
    ok("wait-for checkout.id!=null 20000");
    st = tv_state();
    assert_string_equal(str(st, "checkout", "pack_id"), "vip-7");
    char pay[200];
    snprintf(pay, sizeof(pay), "/checkout/%s/pay", str(st, "checkout", "id"));
    cJSON_Delete(st);
    assert_int_equal(post(srv.url, pay), 200);
    ok("wait-for screen=wallet 20000");
    st = tv_state();
    const char *toast = str(st, NULL, "toast");
    assert_non_null(toast);
    if (!strstr(toast, "VIP for 7"))
        fail_msg("the toast after a VIP plan says '%s'", toast);
    cJSON_Delete(st);
    ok("wait-for wallet.vip=true 20000");
    ok("wait-for wallet.history=2 20000"); /* the welcome, the purchase */
    st = tv_state();
    assert_true(num(st, "wallet", "vip_expires_at") > 0);
    assert_int_equal(num(st, "wallet", "coins"), 20); /* a VIP plan gives no coins */
    cJSON_Delete(st);
    const char *vip_png = path_in(dir, "vip.png");
    ok("screenshot %s", vip_png);
    ok("key BACK");
    ok("wait-for screen=home 10000");
    ok("wait-for home.bar=wallet 5000");
    tv_quit();
    tu_server_stop(&srv);

    /* The focused ledger row is filled, inside the safe area; the VIP line is drawn. */
    assert_safe_area(history_png, 1920, 1080);
    assert_true(focused_at(history_png, (struct box){96, 690, 930, 42}, 1920));
    assert_false(focused_at(history_png, CLAIM_BOX, 1920));
    assert_safe_area(vip_png, 1920, 1080);
    assert_text(vip_png, (struct box){96, 262, 900, 44}, 1920, 0x9696a5, "the VIP line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_checkin_once_then_already_claimed, teardown),
        cmocka_unit_test_teardown(test_chooser_second_pack_checkout_paid, teardown),
        cmocka_unit_test_teardown(test_checkout_writes_the_address, teardown),
        cmocka_unit_test_teardown(test_from_home_bar_buy_vip, teardown),
        cmocka_unit_test_teardown(test_checkin_under_faults, teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    if (getenv("BINGE_TEST_FILTER"))
        cmocka_set_test_filter(getenv("BINGE_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, NULL);
}
