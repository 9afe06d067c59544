/* The ad break that unlocks an episode, pushed over the paywall. It can be left (BACK or HOME:
 * back to the paywall, the episode still locked), never skipped; at its end it pops itself and
 * the paywall sends the unlock with the ad.
 *
 * Threading: UI thread only. */

#include <stdio.h>

#include "../app_internal.h"
#include "binge/util.h"

struct ad_screen {
    int64_t until_ms; /* the break ends */
};

static int ad_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)app;
    (void)arg;
    struct ad_screen *ad = s->state;
    ad->until_ms = util_now_ms() + APP_AD_BREAK_MS;
    return 0;
}

static bool ad_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    (void)s;
    (void)repeat;
    if (action == INPUT_BACK || action == INPUT_HOME)
        app_pop(app);
    return true; /* any other key: the break goes on */
}

static int64_t ad_tick(struct app *app, struct screen *s, int64_t now)
{
    struct ad_screen *ad = s->state;
    if (now >= ad->until_ms) {
        app_pop(app);
        paywall_ad_watched(app);
        return -1;
    }
    app_animate(app, now);
    /* the countdown changes once a second; the spinner turns meanwhile */
    int64_t second = now + 1000 - (ad->until_ms - now) % 1000;
    return app->next_anim_ms < second ? app->next_anim_ms : second;
}

static void ad_render(struct app *app, struct screen *s, int64_t now)
{
    struct ad_screen *ad = s->state;
    char count[64];
    snprintf(count, sizeof(count), _("Your episode unlocks in %lld s"),
             (long long)((ad->until_ms - now + 999) / 1000));
    struct ui_qr_view v = {
        .title = _("A short break from our sponsor"),
        .lines = {count, _("Thanks for watching: this keeps episodes free.")},
        .busy = true,
        .hint = _("BACK to leave the ad (the episode stays locked)"),
        .now_ms = now,
    };
    ui_draw_qr_screen(app->ui, &v);
}

const struct screen_ops screen_ad = {
    .name = "ad",
    .state_size = sizeof(struct ad_screen),
    .enter = ad_enter,
    .action = ad_action,
    .tick = ad_tick,
    .render = ad_render,
};
