/* The screen stack and the routing of net responses to the screen that asked.
 *
 * A screen's request carries the screen's generation as its userdata. A generation names one
 * instance for the life of the process (a pushed screen gets the next one), so an answer finds
 * its screen by looking the generation up on the stack: a screen that was popped is not there
 * any more and its answers are dropped, even if a new instance of the same screen took its
 * place (or its memory). Threading: UI thread only. */

#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/app.h"
#include "binge/error.h"
#include "binge/log.h"

LOG_MODULE("app");

struct screen *app_top(struct app *app)
{
    return app->depth ? app->stack[app->depth - 1] : NULL;
}

struct screen *app_find(struct app *app, const struct screen_ops *ops)
{
    for (size_t i = app->depth; i-- > 0;)
        if (app->stack[i]->ops == ops)
            return app->stack[i];
    return NULL;
}

const char *app_screen_name(struct app *app)
{
    struct screen *top = app_top(app);
    return top ? top->ops->name : "none";
}

static struct screen *find_gen(struct app *app, uintptr_t gen)
{
    for (size_t i = 0; i < app->depth; i++)
        if (app->stack[i]->gen == gen)
            return app->stack[i];
    return NULL;
}

static void screen_free(struct screen *s)
{
    if (!s)
        return;
    free(s->state);
    free(s);
}

/* Takes the top off the stack: leave, and its memory to the dead list (freed after the tick,
 * so the handler that popped it may finish). */
static void take_top(struct app *app)
{
    struct screen *s = app->stack[--app->depth];
    app->stack[app->depth] = NULL;
    log_info("screen %s left", s->ops->name);
    if (s->ops->leave)
        s->ops->leave(app, s);
    if (app->n_dead < APP_STACK_MAX)
        app->dead[app->n_dead++] = s;
    else
        screen_free(s); /* not reachable: at most APP_STACK_MAX are on the stack */
    app->dirty = true;
}

int app_push(struct app *app, const struct screen_ops *ops, const void *arg)
{
    if (app->depth == APP_STACK_MAX) {
        log_error("screen stack full; %s not opened", ops->name);
        return BINGE_EINVAL;
    }
    struct screen *s = calloc(1, sizeof(*s));
    if (!s || !(s->state = calloc(1, ops->state_size ? ops->state_size : 1))) {
        free(s);
        return BINGE_ENOMEM;
    }
    s->ops = ops;
    s->gen = ++app->next_gen;
    if (s->gen == 0) /* wrapped (2^32 pushes on 32-bit): 0 means "the core's" */
        s->gen = ++app->next_gen;
    app->stack[app->depth++] = s;
    int rc = ops->enter ? ops->enter(app, s, arg) : 0;
    if (rc != 0) {
        /* The screen may have pushed another on its way out; take exactly this one. */
        for (size_t i = 0; i < app->depth; i++) {
            if (app->stack[i] == s) {
                memmove(&app->stack[i], &app->stack[i + 1],
                        (app->depth - i - 1) * sizeof(app->stack[0]));
                app->stack[--app->depth] = NULL;
                break;
            }
        }
        log_warn("screen %s refused to open (%s)", ops->name, binge_strerror(rc));
        screen_free(s);
        return rc;
    }
    log_info("screen %s (depth %zu)", ops->name, app->depth);
    app->dirty = true;
    return 0;
}

static void resume_top(struct app *app)
{
    struct screen *top = app_top(app);
    if (!top) {
        log_info("no screen left: exiting");
        app_quit(app, APP_EXIT_OK);
        return;
    }
    if (top->ops->resume)
        top->ops->resume(app, top);
}

void app_pop(struct app *app)
{
    if (!app->depth)
        return;
    take_top(app);
    resume_top(app);
}

void app_pop_to(struct app *app, const struct screen_ops *ops)
{
    if (app->depth <= 1 || app_top(app)->ops == ops)
        return;
    while (app->depth > 1 && app_top(app)->ops != ops)
        take_top(app);
    resume_top(app);
}

int app_replace(struct app *app, const struct screen_ops *ops, const void *arg)
{
    if (app->depth)
        take_top(app);
    int rc = app_push(app, ops, arg);
    if (rc != 0)
        resume_top(app);
    return rc;
}

void stack_reap(struct app *app)
{
    for (size_t i = 0; i < app->n_dead; i++)
        screen_free(app->dead[i]);
    app->n_dead = 0;
}

void stack_clear(struct app *app)
{
    while (app->depth)
        take_top(app);
    stack_reap(app);
}

/* ---- requests ---- */

uint64_t screen_request(struct app *app, struct screen *s, int kind, int method,
                        const char *path_or_url, const char *body, unsigned flags, const char *etag)
{
    return app_request_for(app, s ? (void *)s->gen : NULL, (enum app_request)kind,
                           (enum net_method)method, path_or_url, body, flags, etag);
}

bool stack_route(struct app *app, struct net_response *r)
{
    if (!r->userdata)
        return false;
    struct screen *s = find_gen(app, (uintptr_t)r->userdata);
    if (!s) {
        log_debug("answer %llu (kind %d) for a screen that is gone: dropped",
                  (unsigned long long)r->id, r->kind);
        return true;
    }
    if (s->ops->response)
        s->ops->response(app, s, r);
    return true;
}

void screen_resend_later(struct app *app, struct screen *s, int kind)
{
    for (size_t i = 0; i < app->n_resend; i++)
        if (app->resend[i].gen == s->gen && app->resend[i].kind == kind)
            return;
    if (app->n_resend == APP_STACK_MAX) {
        log_warn("too many requests waiting for a token; %s's kind %d is not sent again",
                 s->ops->name, kind);
        return;
    }
    app->resend[app->n_resend].gen = s->gen;
    app->resend[app->n_resend].kind = kind;
    app->n_resend++;
}

void stack_resend(struct app *app)
{
    /* A resend may ask to wait again (no token after all): take the list first. */
    size_t n = app->n_resend;
    struct {
        uintptr_t gen;
        int kind;
    } todo[APP_STACK_MAX];
    memcpy(todo, app->resend, n * sizeof(todo[0]));
    app->n_resend = 0;
    for (size_t i = 0; i < n; i++) {
        struct screen *s = find_gen(app, todo[i].gen);
        if (s && s->ops->resend)
            s->ops->resend(app, s, todo[i].kind);
    }
}

/* ---- drawing and state ---- */

static void render_from(struct app *app, size_t i, int64_t now)
{
    struct screen *s = app->stack[i];
    if (s->ops->overlay && i > 0)
        render_from(app, i - 1, now);
    s->ops->render(app, s, now);
}

void stack_render(struct app *app, int64_t now)
{
    if (app->depth)
        render_from(app, app->depth - 1, now);
}

bool stack_state(struct app *app, const char *path, struct app_value *v)
{
    for (size_t i = app->depth; i-- > 0;) {
        struct screen *s = app->stack[i];
        if (s->ops->state && s->ops->state(app, s, path, v))
            return true;
    }
    return false;
}
