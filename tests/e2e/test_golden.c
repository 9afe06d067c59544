/* Golden screenshots (issue 10, Tests): home and the paywall in en, ar, th, ja and zh-Hans,
 * drawn by the real binge (headless, 1280x720) against the real binge-server on loopback with a
 * small generated catalog, and compared by their pixels with the PNGs kept under
 * tests/fixtures/golden/ (<screen>-<language>.png).
 *
 * A pixel differs when one of its channels is more than GOLDEN_CHANNEL_TOL away from the
 * golden's; a screenshot fails when more than GOLDEN_MAX_DIFF_FRACTION of its pixels differ, and
 * then a diff PNG (the screenshot dimmed, the differing pixels in magenta) is written beside it
 * and named in the failure.
 *
 * Deterministic by construction: fixed content (scripts/make-content is seeded), a fresh
 * server database and state directory for each run (the same welcome coins, no history), no
 * clock on these screens, and each screenshot taken once the UI is idle (posters settled, no
 * focus slide in flight, no spinner). The fonts are the packages scripts/install-deps installs;
 * a language whose script has no font installed is skipped, saying which.
 *
 * Regenerate after a deliberate change of these screens (docs/testing.md):
 *     BINGE_GOLDEN_UPDATE=1 ctest -R test_golden
 * writes every screenshot over its golden in the source tree (and passes); look at each one
 * before committing it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "screen_util.h"

/* Three series of two 4 s episodes; episode 1 free, episode 2 locked (30 coins). */
#define CONTENT_ARGS "--series 3 --episodes 2 --duration 4 --sizes 180x320"
#define GOLDEN_CARDS 12
#define GOLDEN_W 1280
#define GOLDEN_H 720
#define GOLDEN_CHANNEL_TOL 24
#define GOLDEN_MAX_DIFF_FRACTION 0.0005 /* 0.05%: 460 pixels of 1280x720 */

static char content[1024];
static struct tu_server srv = {.pid = -1};

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-golden-content", BINGE_BUILD_DIR);
    if (tu_make_content(content, CONTENT_ARGS) != 0)
        return -1;
    const char *dir = tu_workdir("e2e-golden");
    if (!dir)
        return -1;
    return tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), "--free-episodes 1",
                           su_path(dir, "server.log"));
}

static int teardown(void **state)
{
    (void)state;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    return 0;
}

static SDL_Surface *load_rgb(const char *path)
{
    SDL_Surface *raw = IMG_Load(path);
    if (!raw)
        return NULL;
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGB888, 0);
    SDL_FreeSurface(raw);
    return s;
}

static Uint32 *row(SDL_Surface *s, int y)
{
    return (Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch);
}

/* Compares actual with the golden of name. Returns false when they differ, having written
 * actual's diff PNG beside it and said so. */
static bool compare_golden(const char *actual, const char *name)
{
    char golden[1400], cmd[3000];
    snprintf(golden, sizeof(golden), "%s/tests/fixtures/golden/%s.png", BINGE_SOURCE_DIR, name);
    const char *update = getenv("BINGE_GOLDEN_UPDATE");
    if (update && *update && strcmp(update, "0") != 0) {
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s/tests/fixtures/golden' && cp '%s' '%s'",
                 BINGE_SOURCE_DIR, actual, golden);
        assert_int_equal(system(cmd), 0);
        fprintf(stderr, "golden %s written from %s\n", golden, actual);
        return true;
    }
    SDL_Surface *a = load_rgb(actual), *g = load_rgb(golden);
    if (!a)
        fail_msg("can't read the screenshot %s", actual);
    if (!g)
        fail_msg("no golden %s (%s): make it with BINGE_GOLDEN_UPDATE=1 (docs/testing.md)", golden,
                 IMG_GetError());
    if (a->w != g->w || a->h != g->h)
        fail_msg("%s is %dx%d, its golden %s %dx%d", actual, a->w, a->h, golden, g->w, g->h);
    long differ = 0;
    int worst = 0;
    for (int y = 0; y < a->h; y++) {
        Uint32 *pa = row(a, y), *pg = row(g, y);
        for (int x = 0; x < a->w; x++) {
            int d = 0;
            for (int s = 0; s < 24; s += 8) {
                int c = (int)((pa[x] >> s) & 255) - (int)((pg[x] >> s) & 255);
                c = c < 0 ? -c : c;
                d = c > d ? c : d;
            }
            worst = d > worst ? d : worst;
            if (d > GOLDEN_CHANNEL_TOL) {
                differ++;
                pa[x] = 0xff00ff; /* the diff image: magenta where it differs ... */
            } else {
                Uint32 p = pa[x]; /* ... the screenshot dimmed elsewhere */
                pa[x] = ((p >> 2) & 0x3f3f3f);
            }
        }
    }
    double fraction = (double)differ / ((double)a->w * a->h);
    fprintf(stderr, "%s: %ld pixels differ (%.4f%%), worst channel difference %d\n", name, differ,
            100 * fraction, worst);
    if (fraction > GOLDEN_MAX_DIFF_FRACTION) {
        char diff[1400];
        snprintf(diff, sizeof(diff), "%s-diff.png", actual);
        IMG_SavePNG(a, diff);
        SDL_FreeSurface(a);
        SDL_FreeSurface(g);
        fprintf(stderr,
                "%s differs from its golden %s in %ld pixels (%.3f%%, over %.3f%%): see %s\n",
                actual, golden, differ, 100 * fraction, 100 * GOLDEN_MAX_DIFF_FRACTION, diff);
        return false;
    }
    SDL_FreeSurface(a);
    SDL_FreeSurface(g);
    return true;
}

/* A language, the fontconfig language its script needs a font for (NULL: the UI font's), and
 * whether it is written right to left (its keys then point the other way). */
struct lang {
    const char *tag;
    const char *fc_lang;
    bool rtl;
};

static void golden_run(const struct lang *l)
{
    if (l->fc_lang) {
        char cmd[256], out[512] = "";
        snprintf(cmd, sizeof(cmd), "fc-list ':lang=%s' family 2>/dev/null | head -n 1", l->fc_lang);
        if (tu_sh(cmd, out, sizeof(out)) != 0 || !out[0]) {
            fprintf(stderr,
                    "SKIP %s: no font covers %s here (fc-list ':lang=%s' is empty); "
                    "scripts/install-deps installs one\n",
                    l->tag, l->fc_lang, l->fc_lang);
            skip();
        }
    }
    char name[64];
    snprintf(name, sizeof(name), "e2e-golden-%s", l->tag);
    const char *dir = tu_workdir(name);
    assert_non_null(dir);
    const char *next = l->rtl ? "LEFT" : "RIGHT";
    char script[3000];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 60000\n"
             "wait-for home.posters_pending=0 60000\n"
             "wait-for home.animating=false 30000\n"
             "screenshot %s/home.png\n"
             "state\n"
             /* the first series' page, its episode 2 (locked), the paywall */
             "key OK\n"
             "wait-for screen=series 30000\n"
             "wait-for series.state=ready 60000\n"
             "key DOWN\n"
             "key DOWN\n"
             "wait-for series.focus=grid 20000\n"
             "key %s\n"
             "wait-for series.focus_episode=2 20000\n"
             "key OK\n"
             "wait-for screen=paywall 30000\n"
             "wait-for paywall.balance>=0 60000\n"
             "wait-for paywall.focus!=null 60000\n"
             "screenshot %s/paywall.png\n"
             "state\n"
             "quit\n",
             dir, next, dir);
    char bin[1024], script_path[1300], out[1300], err[1300], w[16], h[16];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/script.txt", dir);
    snprintf(out, sizeof(out), "%s/run-out.txt", dir);
    snprintf(err, sizeof(err), "%s/run-err.txt", dir);
    snprintf(w, sizeof(w), "%d", GOLDEN_W);
    snprintf(h, sizeof(h), "%d", GOLDEN_H);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {
        bin,           "--headless",          "--server", srv.url, "--script", script_path,
        "--language",  (char *)l->tag,        "--width",  w,       "--height", h,
        "--state-dir", su_path(dir, "state"), NULL};
    int rc = tu_run(argv, out, err, 300);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge --language %s exited %d; its log:\n%s\n", l->tag, rc,
                log ? log : "(none)");
        free(log);
    }
    assert_int_equal(rc, 0);

    /* The screens are the ones meant, settled. */
    cJSON *st = su_state(dir, "run", 0);
    assert_string_equal(su_str(st, NULL, "screen"), "home");
    assert_false(su_bool(st, "home", "animating"));
    assert_int_equal(su_bool(st, "ui", "rtl"), l->rtl);
    /* Every card's poster drawn (a failed fetch would draw a placeholder): 12 cards on the 6
     * shelves the server makes of this content, 3 pictures. */
    if (su_num(st, "home", "posters_ready") != GOLDEN_CARDS || su_num(st, "images", "refused"))
        fail_msg("%s: %lld of %d posters drawn, %lld refused", l->tag,
                 su_num(st, "home", "posters_ready"), GOLDEN_CARDS,
                 su_num(st, "images", "refused"));
    cJSON_Delete(st);
    st = su_state(dir, "run", 1);
    assert_string_equal(su_str(st, NULL, "screen"), "paywall");
    assert_int_equal(su_num(st, "paywall", "price_coins"), 30);
    cJSON_Delete(st);

    char golden[96];
    snprintf(golden, sizeof(golden), "home-%s", l->tag);
    bool home_ok = compare_golden(su_path(dir, "home.png"), golden);
    snprintf(golden, sizeof(golden), "paywall-%s", l->tag);
    bool paywall_ok = compare_golden(su_path(dir, "paywall.png"), golden);
    if (!home_ok || !paywall_ok)
        fail_msg("%s: %s%s%s differ from the goldens (the diff PNGs are named above)", l->tag,
                 home_ok ? "" : "home", !home_ok && !paywall_ok ? " and " : "",
                 paywall_ok ? "" : "the paywall");
}

static void test_golden_en(void **state)
{
    (void)state;
    golden_run(&(struct lang){"en", NULL, false});
}

static void test_golden_ar(void **state)
{
    (void)state;
    golden_run(&(struct lang){"ar", "ar", true});
}

static void test_golden_th(void **state)
{
    (void)state;
    golden_run(&(struct lang){"th", "th", false});
}

static void test_golden_ja(void **state)
{
    (void)state;
    golden_run(&(struct lang){"ja", "ja", false});
}

static void test_golden_zh_hans(void **state)
{
    (void)state;
    golden_run(&(struct lang){"zh-Hans", "zh-cn", false});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_en),      cmocka_unit_test(test_golden_ar),
        cmocka_unit_test(test_golden_th),      cmocka_unit_test(test_golden_ja),
        cmocka_unit_test(test_golden_zh_hans),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
