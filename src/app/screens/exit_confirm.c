/* "Exit binge?" (the theme's brand in place of binge): pushed by BACK on the bottom screen
 * (app_dispatch), drawn over it. OK on "Exit" quits with status 0; BACK, HOME or OK on "Stay"
 * return to the screen below as it was.
 *
 * Threading: UI thread only. */

#include <stdio.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/app.h"
#include "binge/log.h"

LOG_MODULE("app");

enum { EXIT_BUTTON = 0, STAY_BUTTON = 1, N_BUTTONS = 2 };

struct exit_screen {
    size_t focus;
};

static int exit_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)app;
    (void)arg;
    struct exit_screen *e = s->state;
    e->focus = EXIT_BUTTON; /* BACK twice leaves at once, as on every TV app */
    return 0;
}

static bool exit_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    (void)repeat;
    struct exit_screen *e = s->state;
    switch (action) {
    case INPUT_UP:
        e->focus = EXIT_BUTTON;
        break;
    case INPUT_DOWN:
        e->focus = STAY_BUTTON;
        break;
    case INPUT_OK:
        if (e->focus == EXIT_BUTTON) {
            log_info("exit confirmed");
            app_quit(app, APP_EXIT_OK);
        } else {
            app_pop(app);
        }
        break;
    case INPUT_BACK:
    case INPUT_HOME:
        app_pop(app);
        break;
    default:
        break; /* the question stays until it is answered */
    }
    return true;
}

static void exit_render(struct app *app, struct screen *s, int64_t now)
{
    (void)now;
    struct exit_screen *e = s->state;
    char title[THEME_NAME_MAX + 96];
    /* TRANSLATORS: %s is the product's name: "binge", or the brand an OEM's theme gives it. */
    snprintf(title, sizeof(title), _("Exit %s?"), app->theme.name);
    struct ui_dialog_view v = {
        .title = title,
        .detail = _("Your place in every series is saved."),
        .buttons = {_("Exit"), _("Stay")},
        .n_buttons = N_BUTTONS,
        .focus = e->focus,
        .hint = _("OK to choose, BACK to stay"),
    };
    ui_draw_dialog(app->ui, &v);
}

static bool exit_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    (void)app;
    struct exit_screen *e = s->state;
    if (strcmp(path, "exit_confirm.focus") != 0)
        return false;
    *v = (struct app_value){.type = APP_VALUE_STR, .s = e->focus == EXIT_BUTTON ? "exit" : "stay"};
    return true;
}

const struct screen_ops screen_exit_confirm = {
    .name = "exit_confirm",
    .state_size = sizeof(struct exit_screen),
    .overlay = true,
    .enter = exit_enter,
    .action = exit_action,
    .render = exit_render,
    .state = exit_state,
};
