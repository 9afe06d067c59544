/* The screen stack (src/app/stack.c) with screens made for the test:
 *   - push, pop, pop_to, replace call enter, leave and resume in order; popping the last screen
 *     quits; a screen that refuses to enter leaves the stack as it was;
 *   - a response reaches the screen whose generation it carries, only while that screen is on
 *     the stack: the answer to a popped screen is dropped, even when a new instance of the same
 *     screen has taken its place;
 *   - unhandled keys: BACK pops, BACK on the bottom screen asks "Exit binge?" (exit_confirm),
 *     HOME goes back to the bottom screen;
 *   - `screen` is the top screen's name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "../../src/app/app_internal.h"
#include "binge/error.h"

struct probe {
    int id;      /* the enter argument */
    int answers; /* responses delivered */
};

static char events[512];

static void note(const char *what, const struct screen *s)
{
    const struct probe *p = s->state;
    size_t n = strlen(events);
    snprintf(events + n, sizeof(events) - n, "%s%s%d", n ? " " : "", what, p->id);
}

static int probe_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)app;
    struct probe *p = s->state;
    p->id = arg ? *(const int *)arg : 0;
    if (p->id < 0)
        return BINGE_EINVAL;
    note("enter", s);
    return 0;
}
static void probe_leave(struct app *app, struct screen *s)
{
    (void)app;
    note("leave", s);
}
static void probe_resume(struct app *app, struct screen *s)
{
    (void)app;
    note("resume", s);
}
static void probe_response(struct app *app, struct screen *s, struct net_response *r)
{
    (void)app;
    (void)r;
    struct probe *p = s->state;
    p->answers++;
}
static void probe_render(struct app *app, struct screen *s, int64_t now)
{
    (void)app;
    (void)s;
    (void)now;
}

static const struct screen_ops probe_a = {.name = "a",
                                          .state_size = sizeof(struct probe),
                                          .enter = probe_enter,
                                          .leave = probe_leave,
                                          .resume = probe_resume,
                                          .response = probe_response,
                                          .render = probe_render};
static const struct screen_ops probe_b = {.name = "b",
                                          .state_size = sizeof(struct probe),
                                          .enter = probe_enter,
                                          .leave = probe_leave,
                                          .resume = probe_resume,
                                          .response = probe_response,
                                          .render = probe_render};

static void screen_is(struct app *app, const char *want)
{
    char buf[64];
    assert_int_equal(app_state_value(app, "screen", buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

static void test_push_pop_order(void **state)
{
    (void)state;
    struct app app = {.running = true};
    int one = 1, two = 2, three = 3, four = 4, bad = -1;
    events[0] = '\0';
    assert_int_equal(app_push(&app, &probe_a, &one), 0);
    assert_int_equal(app_push(&app, &probe_b, &two), 0);
    assert_int_equal(app_push(&app, &probe_b, &three), 0);
    screen_is(&app, "b");
    assert_int_equal(app_push(&app, &probe_b, &bad), BINGE_EINVAL);
    assert_int_equal(app.depth, 3);
    app_pop(&app);
    assert_int_equal(app_replace(&app, &probe_a, &four), 0);
    screen_is(&app, "a");
    assert_ptr_equal(app_find(&app, &probe_b), NULL);
    assert_ptr_equal(app_find(&app, &probe_a), app_top(&app));
    app_pop_to(&app, &probe_a); /* already on top: nothing */
    app_pop(&app);
    stack_reap(&app);
    assert_string_equal(events, "enter1 enter2 enter3 leave3 resume2 leave2 enter4 leave4 resume1");
    assert_true(app.running);
    app_pop(&app); /* the last one: binge quits */
    assert_false(app.running);
    assert_int_equal(app.exit_code, 0);
    screen_is(&app, "none");
    stack_clear(&app);
}

static void test_pop_to_and_clear(void **state)
{
    (void)state;
    struct app app = {.running = true};
    int ids[] = {1, 2, 3, 4};
    events[0] = '\0';
    app_push(&app, &probe_a, &ids[0]);
    app_push(&app, &probe_b, &ids[1]);
    app_push(&app, &probe_b, &ids[2]);
    app_push(&app, &probe_b, &ids[3]);
    app_pop_to(&app, &probe_a);
    assert_string_equal(events, "enter1 enter2 enter3 enter4 leave4 leave3 leave2 resume1");
    app_push(&app, &probe_b, &ids[1]);
    events[0] = '\0';
    stack_clear(&app); /* quitting: top first, no resume */
    assert_string_equal(events, "leave2 leave1");
    assert_int_equal(app.depth, 0);
}

/* Responses carry the generation of the screen that asked. */
static void test_stale_answers_dropped(void **state)
{
    (void)state;
    struct app app = {.running = true};
    int one = 1, two = 2, three = 3;
    app_push(&app, &probe_a, &one);
    app_push(&app, &probe_b, &two);
    struct screen *b = app_top(&app);
    struct net_response to_b = {.id = 7, .kind = APP_REQ_SERIES, .userdata = (void *)b->gen};
    struct net_response to_core = {.id = 8, .kind = APP_REQ_WALLET};
    assert_true(stack_route(&app, &to_b));
    assert_int_equal(((struct probe *)b->state)->answers, 1);
    assert_false(stack_route(&app, &to_core)); /* the core's: not a screen's */
    /* b goes; a new b takes its place (perhaps its memory): the old answer is dropped. */
    app_pop(&app);
    stack_reap(&app);
    app_push(&app, &probe_b, &three);
    struct screen *b2 = app_top(&app);
    assert_true(b2->gen != (uintptr_t)to_b.userdata);
    assert_true(stack_route(&app, &to_b)); /* taken care of: dropped */
    assert_int_equal(((struct probe *)b2->state)->answers, 0);
    struct screen *a = app_find(&app, &probe_a);
    assert_int_equal(((struct probe *)a->state)->answers, 0);
    /* A screen below the top still gets its answers. */
    struct net_response to_a = {.id = 9, .kind = APP_REQ_HOME, .userdata = (void *)a->gen};
    assert_true(stack_route(&app, &to_a));
    assert_int_equal(((struct probe *)a->state)->answers, 1);
    stack_clear(&app);
}

static void test_back_and_home(void **state)
{
    (void)state;
    struct app app = {.running = true};
    int one = 1, two = 2, three = 3;
    app_push(&app, &probe_a, &one);
    app_push(&app, &probe_b, &two);
    app_push(&app, &probe_b, &three);
    app_dispatch(&app, INPUT_BACK, false);
    screen_is(&app, "b");
    assert_int_equal(app.depth, 2);
    app_push(&app, &probe_b, &three);
    app_dispatch(&app, INPUT_HOME, false);
    screen_is(&app, "a");
    assert_int_equal(app.depth, 1);
    /* BACK on the bottom screen asks first. */
    app_dispatch(&app, INPUT_BACK, false);
    screen_is(&app, "exit_confirm");
    assert_true(app.running);
    app_dispatch(&app, INPUT_BACK, false); /* "Stay" */
    stack_reap(&app);
    screen_is(&app, "a");
    assert_true(app.running);
    app_dispatch(&app, INPUT_BACK, false);
    app_dispatch(&app, INPUT_DOWN, false);
    app_dispatch(&app, INPUT_OK, false); /* OK on "Stay" */
    stack_reap(&app);
    screen_is(&app, "a");
    assert_true(app.running);
    app_dispatch(&app, INPUT_BACK, false);
    app_dispatch(&app, INPUT_OK, false); /* OK on "Exit", focused first */
    assert_false(app.running);
    assert_int_equal(app.exit_code, 0);
    stack_clear(&app);
}

/* Every screen of binge can be listed and has what the stack needs. */
static void test_registry(void **state)
{
    (void)state;
    /* The screens of the first stack are there, whatever screens were added after them. */
    static const char *const first[] = {"home",     "player",   "paywall",     "ad",
                                        "checkout", "activate", "exit_confirm"};
    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
        bool found = false;
        for (size_t j = 0; j < app_n_screens; j++)
            found = found || strcmp(app_screens[j]->name, first[i]) == 0;
        if (!found)
            fail_msg("no screen %s in app_screens[]", first[i]);
    }
    for (size_t i = 0; i < app_n_screens; i++) {
        const struct screen_ops *ops = app_screens[i];
        assert_non_null(ops->name);
        assert_non_null(ops->enter);
        assert_non_null(ops->render);
        assert_true(ops->state_size > 0);
        for (size_t j = 0; j < i; j++)
            assert_true(strcmp(ops->name, app_screens[j]->name) != 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pop_order),
        cmocka_unit_test(test_pop_to_and_clear),
        cmocka_unit_test(test_stale_answers_dropped),
        cmocka_unit_test(test_back_and_home),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
