#ifndef BINGE_APP_SCREEN_H
#define BINGE_APP_SCREEN_H

/* Screens on a stack. Private to src/app.
 *
 * A screen is a const table of functions (struct screen_ops) with a state struct of its own, in
 * a file of its own (src/app/screens/<name>.c), listed once in app_screens[] (screens.c). The
 * app pushes an instance of it; BACK pops it. The app core keeps only the loop, the request
 * router, the session and this stack.
 *
 * Adding a screen:
 *   1. src/app/screens/wallet.c: a state struct and the functions it needs, then
 *        const struct screen_ops screen_wallet = {
 *            .name = "wallet", .state_size = sizeof(struct wallet_screen),
 *            .enter = wallet_enter, .action = wallet_action, .response = wallet_response,
 *            .render = wallet_render, .state = wallet_state, ...};
 *   2. one row in app_screens[] (screens.c) and `extern const struct screen_ops screen_wallet;`
 *      in app_internal.h; the file in src/app/CMakeLists.txt.
 *   3. reach it: app_push(app, &screen_wallet, &args) from another screen's action.
 *   4. its automation fields: rows in state.c's table (the documented schema, with their
 *      default when no such screen is on the stack), answered by its .state function.
 *
 * Threading: everything here runs on the UI thread.
 * Ownership: the stack owns each instance and its state (ops->state_size bytes, zeroed before
 * enter). A screen owns what its state points to and frees it in leave. A popped screen's
 * memory stays valid until the end of the tick (it is freed after the dispatch that popped it),
 * so a handler may go on after app_pop(); it must not touch the stack's other screens' state
 * through pointers kept from before. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binge/input.h"
#include "binge/net.h"

struct app;

/* One screen on the stack. */
struct screen {
    const struct screen_ops *ops;
    void *state;   /* ops->state_size bytes; the screen's own */
    uintptr_t gen; /* unique while binge runs (never 0): requests carry it as userdata */
};

/* A value of the automation view (`state`, `wait-for`). */
enum app_value_type {
    APP_VALUE_STR = 0,
    APP_VALUE_INT = 1,
    APP_VALUE_BOOL = 2,
};
struct app_value {
    enum app_value_type type;
    const char *s; /* NULL shows as null; borrowed until the next call into the app */
    int64_t i;
    bool b;
};

struct screen_ops {
    const char *name; /* the automation `screen` value: "home", "player", ... */
    size_t state_size;
    /* Drawn over the screen below (which is rendered first), e.g. a dialog. */
    bool overlay;
    /* The screen draws the app's toast itself (in its view); otherwise the app draws it on top. */
    bool draws_toast;

    /* Pushed: arg is what the pusher gave app_push (borrowed for the call; copy what is kept).
     * Returns 0, or a negative BINGE_E* code to refuse (the push is undone, leave is not
     * called). Required. */
    int (*enter)(struct app *app, struct screen *s, const void *arg);
    /* Popped, replaced, or binge is quitting (app->running is false then): cancel requests,
     * stop what runs, free what the state owns. Optional. */
    void (*leave)(struct app *app, struct screen *s);
    /* Back on top: the screen above it was popped. Optional. */
    void (*resume)(struct app *app, struct screen *s);
    /* An action from the remote or a script, while on top. repeat: the key's auto-repeat.
     * Returns true when handled. Unhandled: BACK pops the screen (or, at the bottom, asks to
     * exit), HOME pops to the bottom screen. Optional. */
    bool (*action)(struct app *app, struct screen *s, enum input_action action, bool repeat);
    /* The answer to a request this screen made with screen_request(), while it is on the stack
     * (on top or not). r->kind is the request's enum app_request; r is borrowed (a screen may
     * take r->body by setting it NULL). A screen that was popped never gets a stale answer.
     * Optional. */
    void (*response)(struct app *app, struct screen *s, struct net_response *r);
    /* A request of this screen came back 401 and the session has a new token now: send
     * `kind` again. Optional (without it such a request fails as it came). */
    void (*resend)(struct app *app, struct screen *s, int kind);
    /* Every tick while on top: timers, polls, animation. Sets app->dirty to be drawn. Returns
     * the next time (util_now_ms clock) it needs to run, or -1. Optional. */
    int64_t (*tick)(struct app *app, struct screen *s, int64_t now);
    /* Draws the screen into the back buffer (through ui_draw_*; no SDL here). Required. */
    void (*render)(struct app *app, struct screen *s, int64_t now);
    /* After each present of this screen (on top): first-frame clocks, video plane rectangle.
     * Optional. */
    void (*presented)(struct app *app, struct screen *s);
    /* Answers the automation path ("paywall.focus") into v when it is the screen's; returns
     * false for any other path. Screens are asked from the top of the stack down. Optional. */
    bool (*state)(struct app *app, struct screen *s, const char *path, struct app_value *v);
    /* The status line of the screen ("Waiting for payment..."), for `screen_status`; NULL for
     * none. Asked of the top screen only. Optional. */
    const char *(*status)(struct app *app, struct screen *s);
};

#define APP_STACK_MAX 16

/* Pushes a new instance of ops with arg (see enter). Returns 0, BINGE_ENOMEM, BINGE_EINVAL
 * (the stack is full) or what enter returned. */
int app_push(struct app *app, const struct screen_ops *ops, const void *arg);
/* Pops the top screen (leave), and resumes the one below. Popping the last screen quits binge
 * (exit code 0). */
void app_pop(struct app *app);
/* Pops screens until the top is one of ops (or only the bottom screen is left). */
void app_pop_to(struct app *app, const struct screen_ops *ops);
/* Replaces the top screen with a new instance of ops (the one below is not resumed). Returns as
 * app_push; on failure the old top is gone already and the one below is resumed. */
int app_replace(struct app *app, const struct screen_ops *ops, const void *arg);
/* The top screen, NULL when the stack is empty. */
struct screen *app_top(struct app *app);
/* The topmost instance of ops on the stack, NULL when there is none. */
struct screen *app_find(struct app *app, const struct screen_ops *ops);
/* The name of the top screen ("home"), or "none". */
const char *app_screen_name(struct app *app);

/* Requests for a screen: like app_request (app_internal.h), with the answer routed to s's
 * response function, and never to another screen or after s was popped. */
uint64_t screen_request(struct app *app, struct screen *s, int kind, int method,
                        const char *path_or_url, const char *body, unsigned flags,
                        const char *etag);
/* Marks `kind` of s to be sent again (s->ops->resend) once the session has a token: the
 * device is still registering, or the token is being renewed. */
void screen_resend_later(struct app *app, struct screen *s, int kind);

/* For the core (app.c). */
/* Routes a response made by screen_request to its screen. Returns false when r is not a
 * screen's (userdata NULL): the core handles it. A response for a screen that is gone is
 * dropped (true). */
bool stack_route(struct app *app, struct net_response *r);
/* Sends again what screens asked for with screen_resend_later. */
void stack_resend(struct app *app);
/* Renders the top screen (and the ones under an overlay). */
void stack_render(struct app *app, int64_t now);
/* Frees the screens popped during this tick. */
void stack_reap(struct app *app);
/* Pops every screen, top first (binge is quitting). */
void stack_clear(struct app *app);
/* The automation value at path from the screens, top first. Returns false when no screen
 * answered. */
bool stack_state(struct app *app, const char *path, struct app_value *v);

#endif
