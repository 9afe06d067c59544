/* The paywall's rows and focus (src/app/screens/paywall.c) and how `state` shows them
 * (src/app/state.c, through the screen stack):
 *   - `paywall.focus` on the last row, buying coins, is null, read within its table (ASan);
 *   - a row that can't be used (no ad unlocks left, too few coins, no VIP) is never focused,
 *     whether the wallet was known as the paywall opened or arrived after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "../../src/app/app_internal.h"

static void focus_is(struct app *app, const char *want)
{
    char buf[64];
    assert_int_equal(app_state_value(app, "paywall.focus", buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

/* The paywall on the stack, driven by its keys: every row is enabled (coins enough, ads left,
 * VIP), DOWN walks them, and `state` reads each; with the ad break pushed over it the paywall
 * still answers; popped, the field is null again. */
static void test_state_focus_every_row(void **state)
{
    struct catalog_wallet w = {.coins = 40, .ads_left_today = 2, .vip_active = true};
    struct app app = {.wallet = &w, .running = true};
    struct paywall_args args = {
        .series_title = "S", .episode_id = "e3", .episode_index = 3, .price = 30, .balance = 40};
    focus_is(&app, "null");
    assert_int_equal(app_push(&app, &screen_paywall, &args), 0);
    char buf[64];
    assert_int_equal(app_state_value(&app, "screen", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "paywall");
    static const char *const want[] = {"coins", "ad", "vip", "null"};
    for (size_t row = 0; row <= APP_UNLOCK_METHODS; row++) {
        focus_is(&app, want[row]);
        app_dispatch(&app, INPUT_DOWN, false);
    }
    focus_is(&app, "null"); /* DOWN on the last row stays */
    app_dispatch(&app, INPUT_UP, false);
    focus_is(&app, "vip");
    assert_int_equal(app_push(&app, &screen_ad, NULL), 0);
    assert_int_equal(app_state_value(&app, "screen", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "ad");
    focus_is(&app, "vip");
    app_dispatch(&app, INPUT_BACK, false); /* leaves the ad: the paywall again */
    stack_reap(&app);
    assert_int_equal(app_state_value(&app, "screen", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "paywall");
    app_pop(&app);
    stack_reap(&app);
    focus_is(&app, "null");
    assert_int_equal(app_state_value(&app, "paywall.price_coins", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "-1");
}

static void test_rows_enabled(void **state)
{
    struct catalog_wallet w = {.coins = 20, .ads_left_today = 0};
    struct paywall_focus p = {.price = 30, .balance = 20};
    /* No wallet yet: only coins (the balance from the 402 says no) and buying are judged. */
    assert_false(paywall_row_enabled(NULL, &p, APP_UNLOCK_COINS));
    assert_false(paywall_row_enabled(NULL, &p, APP_UNLOCK_AD));
    assert_false(paywall_row_enabled(NULL, &p, APP_UNLOCK_VIP));
    assert_true(paywall_row_enabled(NULL, &p, APP_UNLOCK_METHODS));
    assert_false(paywall_row_enabled(NULL, &p, APP_UNLOCK_METHODS + 1));
    assert_false(paywall_row_enabled(&w, &p, APP_UNLOCK_AD));
    w.ads_left_today = 1;
    assert_true(paywall_row_enabled(&w, &p, APP_UNLOCK_AD));
    w.vip_active = true;
    assert_true(paywall_row_enabled(&w, &p, APP_UNLOCK_VIP));
    p.balance = 30;
    assert_true(paywall_row_enabled(&w, &p, APP_UNLOCK_COINS));
    p.balance = -1; /* unknown: the server decides */
    assert_true(paywall_row_enabled(&w, &p, APP_UNLOCK_COINS));
}

/* 20 coins for a 30-coin episode, no ad unlocks left, no VIP: only buying coins is left, and
 * neither UP nor DOWN can reach another row. */
static void test_focus_skips_disabled(void **state)
{
    struct catalog_wallet w = {.coins = 20, .ads_left_today = 0};
    struct paywall_focus p = {.price = 30, .balance = 20};
    paywall_focus_first(&w, &p);
    assert_int_equal(p.focus, APP_UNLOCK_METHODS);
    for (int i = 0; i < 4; i++) {
        paywall_focus_step(&w, &p, -1);
        assert_int_equal(p.focus, APP_UNLOCK_METHODS);
    }
    paywall_focus_step(&w, &p, 1);
    assert_int_equal(p.focus, APP_UNLOCK_METHODS);
    assert_false(paywall_keep_focus(&w, &p));

    /* With ads left: the ad first; UP stops there, DOWN skips VIP. */
    w.ads_left_today = 2;
    paywall_focus_first(&w, &p);
    assert_int_equal(p.focus, APP_UNLOCK_AD);
    paywall_focus_step(&w, &p, -1);
    assert_int_equal(p.focus, APP_UNLOCK_AD);
    paywall_focus_step(&w, &p, 1);
    assert_int_equal(p.focus, APP_UNLOCK_METHODS);
    paywall_focus_step(&w, &p, -1);
    assert_int_equal(p.focus, APP_UNLOCK_AD);

    /* The ads run out under the focus (a refreshed wallet, a 429): it moves on at once. */
    w.ads_left_today = 0;
    assert_true(paywall_keep_focus(&w, &p));
    assert_int_equal(p.focus, APP_UNLOCK_METHODS);

    /* Enough coins: coins first, and UP/DOWN walk the enabled rows only. */
    p.balance = 40;
    w.vip_active = true;
    paywall_focus_first(&w, &p);
    assert_int_equal(p.focus, APP_UNLOCK_COINS);
    paywall_focus_step(&w, &p, 1);
    assert_int_equal(p.focus, APP_UNLOCK_VIP);
    /* A focus out of range (never set by the app) is brought back to the last row. */
    p.focus = 9;
    assert_true(paywall_keep_focus(&w, &p));
    assert_int_equal(p.focus, APP_UNLOCK_METHODS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_focus_every_row),
        cmocka_unit_test(test_rows_enabled),
        cmocka_unit_test(test_focus_skips_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
